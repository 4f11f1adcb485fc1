/*
 * The day's new items: each decision that recovers something
 * (tiers-liquidate(5), recover-ps and ps-recover), with the line it
 * recovers on and what was left paid there, from the day's claims and
 * their verdicts, read one for one with the decisions.  The items of a
 * line, over the day, never take more than was left paid on it.  And
 * the rows the day adds to the store of lines paid: what it paid on a
 * line, what it recovered on one paid before.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indus.h"

/*
 * The lines recovered today, hashed on their identity: what the day's
 * items of each debtor take of what was left paid on each, which must
 * not be more.  A line may have both: paid on a card kept (the
 * beneficiary owes it), then cancelled by the PS (the PS owes it, and
 * the beneficiary's item is withdrawn: main.c).
 */
struct use {
	char *line;
	int64_t used[NDB];
};
static struct use *uses;
static size_t nuses, usecap;

/* The slot of a line in the table: its own, or the empty one it would take. */
static size_t
useslot(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603u;
	size_t i, j, m = usecap - 1;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211u;
	for (j = (size_t)h & m; uses[j].line != NULL; j = (j + 1) & m)
		if (strlen(uses[j].line) == n && memcmp(uses[j].line, p, n) == 0)
			break;
	return j;
}

static struct use *
lineuse(const struct field *line)
{
	size_t i, j;

	if (2 * (nuses + 1) > usecap) {
		struct use *old = uses;
		size_t oldcap = usecap;

		usecap = usecap ? 2 * usecap : 1024;
		uses = xmalloc(usecap * sizeof *uses);
		memset(uses, 0, usecap * sizeof *uses);
		/* The lines move with their sums, their text kept. */
		for (i = 0; i < oldcap; i++)
			if (old[i].line != NULL)
				uses[useslot(old[i].line, strlen(old[i].line))] = old[i];
		free(old);
	}
	j = useslot(line->p, line->n);
	if (uses[j].line == NULL) {
		uses[j].line = xmalloc(line->n + 1);
		memcpy(uses[j].line, line->p, line->n);
		uses[j].line[line->n] = '\0';
		nuses++;
	}
	return &uses[j];
}

/*
 * The rank N of an identity "DATE#N" of today, or 0: N of 1 to 12
 * digits, not 0 (int_parse's bounds), read here for each decision.
 */
static unsigned long
todays(const struct field *id)
{
	const size_t n = DATE_BUFSZ - 1;
	unsigned long v = 0;
	size_t i;

	if (id->n <= n + 1 || id->n > n + 13 || id->p[n] != '#' ||
	    memcmp(id->p, today_s, n) != 0)
		return 0;
	/*
	 * Up to eight digits (a day's ranks have six), eight bytes at a
	 * time: the last eight of the identity, those before the digits
	 * made '0's, checked digits, then summed in pairs, fours, eights.
	 */
	if (id->n - (n + 1) <= 8) {
		const uint64_t z = 0x3030303030303030ULL, f = 0xf0f0f0f0f0f0f0f0ULL;
		unsigned pad = 8 - (unsigned)(id->n - (n + 1));
		uint64_t x, m = pad ? (((uint64_t)1 << 8 * pad) - 1) : 0;

		memcpy(&x, id->p + id->n - 8, 8);
		x = le64toh(x);
		x = (x & ~m) | (z & m);
		if ((x & f) != z || ((x + 0x0606060606060606ULL) & f) != z)
			return 0;
		x -= z;
		x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffULL;
		x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffULL;
		x = (x * 10000 + (x >> 32)) & 0xffffffffULL;
		return (unsigned long)x;
	}
	for (i = n + 1; i < id->n; i++) {
		if (id->p[i] < '0' || id->p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(id->p[i] - '0');
	}
	return v;
}

/*
 * Is act_date a date, as date_parse says?  A day's decisions have few
 * act dates, each hundreds of thousands of times: the texts of ten
 * bytes found dates are kept, a table of them, so that each is parsed
 * once (no byte of a date is 0: a slot of zeros is empty).
 */
static int
isdate(const struct field *f)
{
	static struct {
		uint64_t a;
		uint16_t b;
	} seen[256];
	uint64_t a;
	uint16_t b;
	int32_t d;
	unsigned k;

	if (f->n != DATE_BUFSZ - 1)
		return date_parse(f->p, f->n, &d) == 0;
	memcpy(&a, f->p, 8);
	memcpy(&b, f->p + 8, 2);
	k = (unsigned)(((a ^ b) * 0x9e3779b97f4a7c15ULL) >> 56);
	if (seen[k].a == a && seen[k].b == b)
		return 1;
	if (date_parse(f->p, f->n, &d) < 0)
		return 0;
	seen[k].a = a;
	seen[k].b = b;
	return 1;
}

/*
 * A decision's claim against the claim read with it, inline: identities
 * of 8 to 32 bytes compared as words that may overlap (the first eight
 * and the last eight bytes, of each half past 16), not by a call to
 * memcmp each decision.  Only their bytes are read.
 */
static inline uint64_t
word(const char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

static inline int
sameid(const struct field *a, const struct field *b)
{
	const char *p = a->p, *q = b->p;
	size_t n = a->n;

	if (n != b->n)
		return 0;
	if (n < 8 || n > 32)
		return memcmp(p, q, n) == 0;
	if (n > 16 && ((word(p + 8) ^ word(q + 8)) | (word(p + n - 16) ^ word(q + n - 16))) != 0)
		return 0;
	return ((word(p) ^ word(q)) | (word(p + n - 8) ^ word(q + n - 8))) == 0;
}

/* An item's text columns, copied into one allocation, and its key. */
void
item_keep(struct item *it, const struct field *src)
{
	size_t len = 0, k;
	char *p, *key;

	for (k = 0; k < NS; k++)
		len += src[k].n + 1;
	p = xmalloc(len);
	for (k = 0; k < NS; k++) {
		memcpy(p, src[k].p, src[k].n);
		it->s[k].p = p;
		it->s[k].n = src[k].n;
		p[src[k].n] = '\0';
		p += src[k].n + 1;
	}
	key = xmalloc(len);
	snprintf(key, len, "%s\t%s\t%s\t%s", it->s[S_AMC].p, it->s[S_DEBTOR].p,
	    it->s[S_DREF].p, it->s[S_ITEM].p);
	it->key = key;
}

/* The day's new items, from the claims and the decisions, one for one. */
enum {
	D_CLAIM, D_AMC, D_CONTRACT, D_MEMBER, D_PSKIND, D_PSNUM, D_INVOICE,
	D_LINENO, D_ACTDATE, D_ACT, D_AMCEUR, D_RECOVER, D_DEST, D_CODE, ND
};
static const char *const dnames[ND] = {
	"claim", "amc", "contract", "member_ref", "ps_kind", "ps_number", "invoice",
	"line_no", "act_date", "act_code", "amc_eur", "recover_eur", "dest", "code"
};
/* The decision's columns of an item's S_PSKIND .. S_ACTCODE. */
static const int dmap[8] = {
	D_PSKIND, D_PSNUM, D_CONTRACT, D_MEMBER, D_INVOICE, D_LINENO, D_ACTDATE, D_ACT
};

/*
 * A run of columns side by side in a decision (ts_needcol's indexes in
 * order): amc to member_ref, ps_kind to line_no; one copy each into the
 * store's row.
 */
static int runben, runps;

static void
run(struct field *p, int from, int to)
{
	int k;

	p[from].n = (size_t)(p[to].p + p[to].n - p[from].p);
	for (k = from + 1; k <= to; k++) {
		p[k].p = NULL;
		p[k].n = 0;
	}
}

/*
 * The row a decision adds to the store of lines paid, if any: a line
 * paid by its own claim, to the PS or on a card kept; a later payment on
 * a line paid before (an adjustment with a dup_ref, as dedup -B files it
 * in tiers-ledger(5)); a recovery from the PS on a line paid before.
 */
static void
paidrow(const struct field *f, const int *dc, const struct field *dup,
    const struct field *ref, int64_t amc, int64_t recover, const char *dpath, long line)
{
	struct field p[NP];
	const struct field *ln;
	int ps = fsame(&f[dc[D_DEST]], "ps", 2), psr = fsame(&f[dc[D_DEST]], "ps-recover", 10);
	int adj = fsame(dup, "adjust", 6) && ref->n > 0, kind;
	int64_t amt;

	/* The amount paid as read (amc_eur); one recovered, formatted. */
	p[P_AMOUNT].p = NULL;
	p[P_AMOUNT].n = 0;
	if ((ps || psr) && amc > 0) {
		kind = adj ? PK_REGUL : ps ? PK_PS : PK_PSREC;
		ln = adj ? ref : &f[dc[D_CLAIM]];
		amt = amc;
		p[P_AMOUNT] = f[dc[D_AMCEUR]];
	} else if (fsame(&f[dc[D_DEST]], "recover-ps", 10) && recover > 0 && ref->n > 0) {
		kind = PK_RECOVER;
		ln = ref;
		amt = -recover;
	} else
		return;
	if (!isdate(&f[dc[D_ACTDATE]]))
		die_at(EX_DATAERR, dpath, line, "act_date", "not a date");
	p[P_DAY].p = NULL;
	p[P_DAY].n = 0;
	p[P_AMC] = f[dc[D_AMC]];
	p[P_CONTRACT] = f[dc[D_CONTRACT]];
	p[P_MEMBER] = f[dc[D_MEMBER]];
	p[P_LINE] = *ln;
	p[P_KIND].p = pkinds[kind];
	p[P_KIND].n = strlen(pkinds[kind]);
	p[P_ACTDATE] = f[dc[D_ACTDATE]];
	p[P_PSKIND] = f[dc[D_PSKIND]];
	p[P_PSNUM] = f[dc[D_PSNUM]];
	p[P_INVOICE] = f[dc[D_INVOICE]];
	p[P_LINENO] = f[dc[D_LINENO]];
	p[P_ACTCODE] = f[dc[D_ACT]];
	if (runben)
		run(p, P_AMC, P_MEMBER);
	if (runps)
		run(p, P_PSKIND, P_LINENO);
	paid_add(p, amt);
}

void
readday(const char *cpath, const char *dpath, struct client *tot, struct item **newsp,
    size_t *nnewsp)
{
	struct ts_reader cr, dr;
	int dc[ND], kid, kref, kpaid, kdup, kps, kcl, k;
	int64_t *paidday = NULL;
	size_t npaid = 0, nnews = 0, newcap = 0, i;
	struct item *news = NULL;
	char dref[256];

	if (ts_open(&cr, cpath, "claim", 1) < 0)
		ts_fatal(&cr);
	if (ts_open(&dr, dpath, NULL, 0) < 0)
		ts_fatal(&dr);
	if (!(strcmp(dr.kind, "decision") == 0 || strcmp(dr.kind, "outcome") == 0) ||
	    dr.version != 1)
		die_at(EX_DATAERR, dpath, 1, "header", "not decisions nor outcomes, version 1");
	for (k = 0; k < ND; k++)
		dc[k] = ts_needcol(&dr, dnames[k]);
	kid = ts_needcol(&cr, "dup_id");
	kref = ts_needcol(&cr, "dup_ref");
	kpaid = ts_needcol(&cr, "dup_paid_eur");
	kdup = ts_needcol(&cr, "dup");
	runben = dc[D_CONTRACT] == dc[D_AMC] + 1 && dc[D_MEMBER] == dc[D_CONTRACT] + 1;
	runps = dc[D_PSNUM] == dc[D_PSKIND] + 1 && dc[D_INVOICE] == dc[D_PSNUM] + 1 &&
	    dc[D_LINENO] == dc[D_INVOICE] + 1;
	kps = ts_col(&dr, "ps_label");
	kcl = ts_col(&dr, "client_label");
	claims_start(&cr, kid, kref, kpaid, kdup);
	for (;;) {
		const struct field *f = dr.f;
		const struct claim *cl;
		struct field src[NS], empty = { "", 0 };
		struct item *it;
		struct client *c;
		struct use *u;
		unsigned long rank;
		int64_t recover, paid;
		int db, n;

		if (claims_step(&cr, &dr, &cl) == 0)
			break;
		recover = dr.cents[dc[D_RECOVER]];
		if (!sameid(&f[dc[D_CLAIM]], &cl->id))
			die_at(EX_DATAERR, dpath, (long)dr.in.lineno, "claim",
			    "not the claim of line %ld of the claims", cl->line);
		/* What the day paid on its own lines, for the day's adjustments. */
		rank = todays(&f[dc[D_CLAIM]]);
		if (rank > 0 && dr.cents[dc[D_AMCEUR]] > 0 &&
		    (fsame(&f[dc[D_DEST]], "ps", 2) || fsame(&f[dc[D_DEST]], "ps-recover", 10))) {
			if (rank >= npaid) {
				size_t m = npaid;

				npaid = rank + 1 > 2 * npaid ? rank + 1 : 2 * npaid;
				paidday = xrealloc(paidday, npaid * sizeof *paidday);
				memset(paidday + m, 0, (npaid - m) * sizeof *paidday);
			}
			paidday[rank] = dr.cents[dc[D_AMCEUR]];
		}
		paidrow(f, dc, &cl->dup, &cl->ref, dr.cents[dc[D_AMCEUR]], recover, dpath,
		    (long)dr.in.lineno);
		if ((db = item_debtor(&f[dc[D_DEST]], recover)) < 0)
			continue;
		src[S_AMC] = f[dc[D_AMC]];
		src[S_DEBTOR].p = dbnames[db];
		src[S_DEBTOR].n = strlen(dbnames[db]);
		src[S_ITEM] = f[dc[D_CLAIM]];
		src[S_ORIGIN] = f[dc[D_CODE]];
		src[S_REASON] = db == DB_PS ? (kps >= 0 ? f[kps] : empty) : (kcl >= 0 ? f[kcl] : empty);
		for (k = 0; k < 8; k++)
			src[S_PSKIND + k] = f[dc[dmap[k]]];
		if (db == DB_PS) {
			/* The line it recovers on, and what was left paid on it. */
			src[S_LINE] = cl->ref;
			if (cl->ref.n == 0)
				die_at(EX_DATAERR, cpath, cl->line, "dup_ref",
				    "empty for a line recovered from the PS");
			if (cl->haspaid)
				paid = cl->paid;
			else if ((rank = todays(&cl->ref)) > 0 && rank < npaid && paidday[rank] > 0)
				paid = paidday[rank];
			else
				die_at(EX_DATAERR, cpath, cl->line, "dup_paid_eur",
				    "empty, and dup_ref not a line paid today");
			n = snprintf(dref, sizeof dref, "%.*s:%.*s", (int)src[S_PSKIND].n,
			    src[S_PSKIND].p, (int)src[S_PSNUM].n, src[S_PSNUM].p);
			if (src[S_PSKIND].n == 0 || src[S_PSNUM].n == 0)
				die_at(EX_DATAERR, dpath, (long)dr.in.lineno, "ps_number", "empty");
		} else {
			/* The line paid today on a card kept: the claim's own. */
			src[S_LINE] = f[dc[D_CLAIM]];
			paid = dr.cents[dc[D_AMCEUR]];
			n = snprintf(dref, sizeof dref, "%.*s:%.*s", (int)src[S_CONTRACT].n,
			    src[S_CONTRACT].p, (int)src[S_MEMBER].n, src[S_MEMBER].p);
			if (src[S_CONTRACT].n == 0 || src[S_MEMBER].n == 0)
				die_at(EX_DATAERR, dpath, (long)dr.in.lineno, "member_ref",
				    "empty for an amount recovered from the beneficiary");
		}
		if (n < 0 || (size_t)n >= sizeof dref)
			die_at(EX_DATAERR, dpath, (long)dr.in.lineno, "ps_number", "too long");
		src[S_DREF].p = dref;
		src[S_DREF].n = (size_t)n;
		/* A PS's item: may it be offset, says the beneficiary's contract. */
		src[S_COMP] = empty;
		if (db == DB_PS)
			(void)master_comp(&src[S_AMC], &src[S_CONTRACT], &src[S_MEMBER], &src[S_COMP]);
		/* Never more than was paid on the line, over the day's items. */
		u = lineuse(&src[S_LINE]);
		if (money_add(&u->used[db], u->used[db], recover) < 0 || u->used[db] > paid)
			die_at(EX_SOFTWARE, dpath, (long)dr.in.lineno, "recover_eur",
			    "more than was left paid on line %.*s", (int)src[S_LINE].n, src[S_LINE].p);
		c = client(&f[dc[D_AMC]], dpath, (long)dr.in.lineno);
		add(&c->rnew, recover, dpath, (long)dr.in.lineno, "recover_eur");
		add(&tot->rnew, recover, dpath, (long)dr.in.lineno, "recover_eur");
		if (nnews == newcap) {
			newcap = newcap ? 2 * newcap : 64;
			news = xrealloc(news, newcap * sizeof *news);
		}
		it = &news[nnews++];
		memset(it, 0, sizeof *it);
		item_keep(it, src);
		it->debtor = db;
		it->opened = today;
		it->moved = NODATE;
		it->paid = paid;
		it->amount = it->left = recover;
		it->isnew = 1;
	}
	claims_stop();
	ts_close(&cr);
	ts_close(&dr);
	free(paidday);
	for (i = 0; i < usecap; i++)
		free(uses[i].line);
	free(uses);
	uses = NULL;
	nuses = usecap = 0;
	*newsp = news;
	*nnewsp = nnews;
}

