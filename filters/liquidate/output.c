/*
 * liquidate: what it writes.  The consumption generation, the previous
 * one merged family by family with the events of the day; the decision
 * stream, formatted by two threads; the stage summary (tiers-summary(5)).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liquidate.h"

int32_t cutoff;
char today_s[DATE_BUFSZ];

static const char *const dests[] = { "ps", "ps-recover", "reject", "recover-ps", "client" };

static void
badfield(struct ts_reader *r, const char *col, const char *why)
{
	die_at(EX_DATAERR, r->in.name, r->in.lineno, col, "%s", why);
}

/* The order of a family's events in the generation. */
int
evcmp(const void *pa, const void *pb)
{
	const struct event *x = pa, *y = pb;
	int d;

	if ((d = strcmp(x->member, y->member)) != 0 || (d = strcmp(x->counter, y->counter)) != 0)
		return d;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if ((d = strcmp(x->claim, y->claim)) != 0 || (d = strcmp(x->bdate, y->bdate)) != 0)
		return d;
	return strcmp(x->inv, y->inv);
}

/* The previous consumption generation, read along the families. */
const char *const ecols[NEC] = {
	"amc", "contract", "member_ref", "counter", "act_date", "invoice",
	"count", "amount_eur", "claim", "business_date"
};
static struct ts_reader cons;
static int ec[NEC];
int conshave;
/*
 * The sort key of the record before, and of this one: amc, contract,
 * member_ref, counter, act_date, claim, joined by TABs.  The reader
 * refuses every byte below a space but TAB, so the bytes of the key
 * compare as its fields one after another; act_date, YYYY-MM-DD, as the
 * dates do.
 */
static char keys[2][512];
static size_t keyn[2];
static int kcur;
static int rawok;		/* the generation's columns, in the order written */
static int curcanon;		/* and the record's count and amount in their one form */
static int32_t curdate;
static long curcount;
static int curshard;		/* its family's shard, -1 not known yet */
static char curamc[16], curcontract[40];

static void
cfield(char *dst, size_t n, int col, const char *name)
{
	const struct field *f = &cons.f[ec[col]];

	if (f->n >= n || memchr(f->p, '\0', f->n) != NULL)
		badfield(&cons, name, "too long");
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
}

/* What cfield would refuse, without the copy. */
static void
clen(size_t n, int col, const char *name)
{
	if (cons.f[ec[col]].n >= n)
		badfield(&cons, name, "too long");
}

static void
kput(char *k, size_t *n, int col, int tab)
{
	const struct field *f = &cons.f[ec[col]];

	memcpy(k + *n, f->p, f->n);
	*n += f->n;
	if (tab)
		k[(*n)++] = '\t';
}

/* Is the count written by ts_wint as it is read: no sign but -, no leading 0? */
static int
intcanon(const struct field *f)
{
	const char *p = f->p;
	size_t n = f->n;

	if (n > 0 && *p == '-')
		p++, n--;
	return n > 0 && (p[0] != '0' || (n == 1 && f->n == 1));
}

/*
 * The next record of the previous generation, checked as it always was
 * (lengths, dates, counts, the order), its family at hand; its other
 * fields parsed only if asked (consget): a family without a claim
 * today is copied as it was read.
 */
void
consnext(void)
{
	const struct field *f;
	char *k;
	size_t *kn;
	int st;

	if (!conshave)
		return;
	if ((st = ts_next(&cons)) < 0)
		ts_fatal(&cons);
	if (st == 0) {
		conshave = 0;
		return;
	}
	f = cons.f;
	clen(sizeof curamc, E_AMC, "amc");
	clen(sizeof curcontract, E_CONTRACT, "contract");
	clen(sizeof ((struct event *)0)->member, E_MEMBER, "member_ref");
	clen(sizeof ((struct event *)0)->counter, E_COUNTER, "counter");
	clen(sizeof ((struct event *)0)->inv, E_INV, "invoice");
	clen(sizeof ((struct event *)0)->claim, E_CLAIM, "claim");
	clen(sizeof ((struct event *)0)->bdate, E_BDATE, "business_date");
	if (date_parse(f[ec[E_DATE]].p, f[ec[E_DATE]].n, &curdate) < 0)
		badfield(&cons, "act_date", "not a date");
	/* An invoice's event counts 1 or -1; a part counter's, its units. */
	if (int_parse(f[ec[E_COUNT]].p, f[ec[E_COUNT]].n, -100000, 100000, &curcount) < 0)
		badfield(&cons, "count", "not an integer from -100000 to 100000");
	curcanon = rawok && intcanon(&f[ec[E_COUNT]]) && f[ec[E_AMT]].n > 0 &&
	    !(f[ec[E_AMT]].p[0] == '-' && cons.cents[ec[E_AMT]] == 0);
	/* The generation must be sorted as it was written: it is merge-joined. */
	k = keys[kcur];
	kn = &keyn[kcur];
	*kn = 0;
	kput(k, kn, E_AMC, 1);
	kput(k, kn, E_CONTRACT, 1);
	kput(k, kn, E_MEMBER, 1);
	kput(k, kn, E_COUNTER, 1);
	kput(k, kn, E_DATE, 1);
	kput(k, kn, E_CLAIM, 0);
	if (bytecmp(k, *kn, keys[!kcur], keyn[!kcur]) < 0)
		badfield(&cons, NULL, "not sorted on amc, contract, member_ref, counter, "
		    "act_date, claim");
	kcur = !kcur;
	if (bytecmp(curamc, strlen(curamc), f[ec[E_AMC]].p, f[ec[E_AMC]].n) != 0 ||
	    bytecmp(curcontract, strlen(curcontract), f[ec[E_CONTRACT]].p,
	    f[ec[E_CONTRACT]].n) != 0) {
		cfield(curamc, sizeof curamc, E_AMC, "amc");
		cfield(curcontract, sizeof curcontract, E_CONTRACT, "contract");
		curshard = -1;
	}
}

/*
 * The lines of the family's events read, kept until they are written:
 * an event unchanged is written as it was read.
 */
static char *flines;
static size_t nflines, capflines;

void
consfamily(void)
{
	nflines = 0;
}

/* The current record's event, its fields parsed, into e. */
void
consget(struct event *e)
{
	memset(e, 0, sizeof *e);
	cfield(e->member, sizeof e->member, E_MEMBER, "member_ref");
	cfield(e->counter, sizeof e->counter, E_COUNTER, "counter");
	cfield(e->inv, sizeof e->inv, E_INV, "invoice");
	cfield(e->claim, sizeof e->claim, E_CLAIM, "claim");
	cfield(e->bdate, sizeof e->bdate, E_BDATE, "business_date");
	e->date = curdate;
	e->count = curcount;
	e->amount = cons.cents[ec[E_AMT]];
	if (curcanon && nflines + cons.len <= UINT32_MAX) {
		if (nflines + cons.len > capflines) {
			capflines = capflines ? 2 * capflines : 1 << 16;
			if (capflines < nflines + cons.len)
				capflines = nflines + cons.len;
			flines = xrealloc(flines, capflines);
		}
		memcpy(flines + nflines, cons.line, cons.len);
		e->rawoff = (uint32_t)nflines;
		e->rawn = (uint32_t)cons.len;
		nflines += cons.len;
	}
}

/* The previous generation at path, its first event read. */
void
consopen(const char *path)
{
	int i;

	if (ts_open(&cons, path, "consumption", 1) < 0)
		ts_fatal(&cons);
	rawok = cons.ncol == NEC;
	for (i = 0; i < NEC; i++) {
		ec[i] = ts_needcol(&cons, ecols[i]);
		rawok &= ec[i] == i;
	}
	conshave = 1;
	curshard = -1;
	consnext();
}

void
consclose(void)
{
	ts_close(&cons);
	free(flines);
	flines = NULL;
	nflines = capflines = 0;
}

int
famcmp(const char *amc, const char *contract)
{
	int d;

	if ((d = strcmp(curamc, amc)) != 0)
		return d;
	return strcmp(curcontract, contract);
}

struct ts_writer cw;
uint64_t nevout;
int32_t evlast = NOSTART;	/* the latest act date written */

/*
 * An event of the day as ts_wcstr, ts_wdate, ts_wint and ts_wmoney
 * would write it, field by field, made in one buffer and written at
 * once; -1 (nothing written) when one of its strings is one they would
 * refuse: they then say why.
 */
static int
fastevent(const char *amc, const char *contract, const struct event *e)
{
	const char *s[NEC];
	size_t n[NEC], need = 0;
	char line[1024], *p, d[24];
	unsigned long u;
	int k, i;

	s[E_AMC] = amc, s[E_CONTRACT] = contract, s[E_MEMBER] = e->member;
	s[E_COUNTER] = e->counter, s[E_INV] = e->inv, s[E_CLAIM] = e->claim;
	s[E_BDATE] = e->bdate;
	for (k = 0; k < NEC; k++) {
		if (k == E_DATE || k == E_COUNT || k == E_AMT)
			continue;
		n[k] = strlen(s[k]);
		need += n[k];
		if (ts_badbyte(s[k], n[k], 0) < n[k])
			return -1;
	}
	if (need + DATE_BUFSZ + MONEY_BUFSZ + 24 + NEC > sizeof line ||
	    (n[E_AMC] > 0 && amc[0] == '#'))
		return -1;
	p = line;
	for (k = 0; k < NEC; k++) {
		if (k > 0)
			*p++ = '\t';
		if (k == E_DATE)
			p += date_fmt(e->date, p);
		else if (k == E_COUNT) {
			u = e->count < 0 ? 0UL - (unsigned long)e->count : (unsigned long)e->count;
			i = 0;
			do
				d[i++] = (char)('0' + u % 10);
			while ((u /= 10) != 0);
			if (e->count < 0)
				*p++ = '-';
			while (i > 0)
				*p++ = d[--i];
		} else if (k == E_AMT)
			p += money_fmt(e->amount, p);
		else {
			memcpy(p, s[k], n[k]);
			p += n[k];
		}
	}
	ts_wfields(&cw, line, (size_t)(p - line), NEC, e->amount);
	ts_wend(&cw);
	return 0;
}

void
wevent(const char *amc, const char *contract, const struct event *e)
{
	static int fastev = -1;	/* cw's money column is amount_eur alone */
	int k;

	if (e->date < cutoff)
		return;
	nevout++;
	if (e->date > evlast)
		evlast = e->date;
	if (e->rawn > 0) {
		ts_wfields(&cw, flines + e->rawoff, e->rawn, NEC, e->amount);
		ts_wend(&cw);
		return;
	}
	if (fastev < 0)
		for (k = 0, fastev = cw.ncol == NEC; k < NEC && fastev; k++)
			fastev = !cw.money[k] == (k != E_AMT);
	if (fastev && fastevent(amc, contract, e) == 0)
		return;
	ts_wcstr(&cw, amc);
	ts_wcstr(&cw, contract);
	ts_wcstr(&cw, e->member);
	ts_wcstr(&cw, e->counter);
	ts_wdate(&cw, e->date);
	ts_wcstr(&cw, e->inv);
	ts_wint(&cw, e->count);
	ts_wmoney(&cw, e->amount);
	ts_wcstr(&cw, e->claim);
	ts_wcstr(&cw, e->bdate);
	ts_wend(&cw);
}

/* Copy the events of the families before amc, contract (all: NULL). */
void
consupto(const char *amc, const char *contract)
{
	while (conshave && (amc == NULL || famcmp(amc, contract) < 0)) {
		/* Sharded, the families of the other shards are theirs to carry. */
		if (nshards > 0 && curshard < 0)
			curshard = famshard(curamc, strlen(curamc), curcontract,
			    strlen(curcontract));
		if (nshards == 0 || curshard == myshard) {
			/* A record in its one form is the bytes wevent would write. */
			if (curdate < cutoff)
				;
			else if (curcanon) {
				ts_wcopy(&cw, &cons);
				nevout++;
			} else {
				struct event e;

				consget(&e);
				wevent(curamc, curcontract, &e);
			}
		}
		consnext();
	}
}

/* The decision stream. */
const char *const dcols[NDC] = {
	"claim", "file", "line", "pos", "amc", "contract", "member_ref",
	"ps_kind", "ps_number", "invoice", "line_no", "act_date", "act_code",
	"domain", "nature", "dup", "product", "rule", "fr_eur", "br_eur",
	"amo_th_eur", "amo_eur", "amc_eur", "rac_eur", "recover_eur", "dest",
	"code", "flag"
};

/*
 * A decision's line formatted here, then handed to the writer whole
 * (ts_wfields).  Its text fields are the claim's, split by the claims'
 * reader, which refuses every byte ts_wstr refuses (the same classes,
 * TAB the separator), and kept where they were checked: they are not
 * checked again.  The beneficiary's, read from a master the same way,
 * and the product's reference, from a guarantee file, are, as ts_wstr
 * does: the beneficiary's once, when it is read (plain), a reference
 * once a run of decisions that name it.  -1: a field fails, or the line
 * is long: wdecision writes it field by field, and ts_wstr dies as it
 * always did.
 */
#define DECMAX 2048
static int fastok;		/* the writer's money columns are those fastdec sums */
static const int dtext1[] = { C_DUPID, C_FILE, C_LINE, C_POS, C_AMC };
static const int dtext2[] = { C_PSKIND, C_PSNUM, C_INVOICE, C_LINENO, C_ACTDATE, C_ACTCODE };
static const int dtext3[] = { C_NATURE, C_DUP };

/*
 * The claim's columns a decision copies, in runs that are next to one
 * another in the claims stream too (file, line, pos; ps_kind, ps_number,
 * invoice; line_no, act_date, act_code in dedup's order): a run's bytes,
 * its TABs between, are copied at once.  A run is its first and last
 * column (C_*).
 */
struct drun {
	int a, b;
};
static struct drun druns1[5], druns2[6], druns3[2];
static size_t ndruns1, ndruns2, ndruns3;

static size_t
mkruns(struct drun *r, const int *ix, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (k > 0 && claimcol(ix[i - 1]) >= 0 &&
		    claimcol(ix[i]) == claimcol(ix[i - 1]) + 1)
			r[k - 1].b = ix[i];
		else {
			r[k].a = r[k].b = ix[i];
			k++;
		}
	return k;
}

/*
 * An amount of 0 in its text, made once by money_fmt: a day's
 * recover_eur is 0.00 nearly always, its rac_eur more than half the time.
 */
static char zerotxt[MONEY_BUFSZ];
static size_t zeron;
/* The lengths of the domains' and destinations' names, measured once. */
static size_t domlen[NDOM], destlen[sizeof dests / sizeof dests[0]];

/* n bytes of s at p, then a TAB; a field's few bytes by words. */
static inline char *
dstr(char *p, const char *s, size_t n)
{
	if (n <= 16)
		few_cpy(p, s, n);
	else
		memcpy(p, s, n);
	p += n;
	*p++ = '\t';
	return p;
}

static char *
dfields(char *p, const struct claim *c, const struct drun *r, size_t n)
{
	const char *s;
	size_t i, k;

	for (i = 0; i < n; i++) {
		s = CS(c, r[i].a);
		k = (size_t)(CS(c, r[i].b) - s) + CN(c, r[i].b);
		if (k <= 16)
			few_cpy(p, s, k);
		else if (k <= 32) {
			memcpy(p, s, 16);
			memcpy(p + k - 16, s + k - 16, 16);
		} else
			memcpy(p, s, k);
		p += k;
		*p++ = '\t';
	}
	return p;
}

/*
 * The product references fastdec found plain, with their lengths: a few
 * a day, the claims' interleaved.  Keyed by the reference's place (the
 * guarantee's product), open addressing; one a thread.  Once full, a
 * reference not there is checked each time.
 */
#define NREFS 32
struct refs {
	const char *p[NREFS];	/* NULL: free */
	size_t n[NREFS];
};

static int
fastdec(struct ts_writer *w, const struct claim *c, struct refs *okref)
{
	static const int all[] = { C_DUPID, C_FILE, C_LINE, C_POS, C_AMC, C_PSKIND,
		C_PSNUM, C_INVOICE, C_LINENO, C_ACTDATE, C_ACTCODE, C_NATURE, C_DUP };
	const struct benef *b = c->bi >= 0 ? &bens[c->bi] : NULL;
	const char *con = b ? b->contract : "", *mem = b ? b->member : "";
	const char *pref = c->pref ? c->pref : "", *dn = c->dom >= 0 ? domnames[c->dom] : "";
	const char *fl;
	size_t need = 0, nc, nm, np, i, nfl;
	int64_t sum = 0, m[7];
	char line[DECMAX], *p;
	uint32_t u;
	int k;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		need += CN(c, all[i]);
	nc = strlen(con);
	nm = strlen(mem);
	/* A product's reference checked once. */
	for (i = (size_t)((uintptr_t)pref >> 3) % NREFS, k = 0; k < NREFS &&
	    okref->p[i] != NULL && okref->p[i] != pref; i = (i + 1) % NREFS, k++)
		;
	if (k < NREFS && okref->p[i] == pref)
		np = okref->n[i];
	else {
		np = strlen(pref);
		if (ts_badbyte(pref, np, 0) < np)
			return -1;
		if (k < NREFS) {
			okref->p[i] = pref;
			okref->n[i] = np;
		}
	}
	need += nc + nm + np + 7 * MONEY_BUFSZ + 128;
	if (need > sizeof line || CN(c, C_DUPID) == 0 || *CS(c, C_DUPID) == '#' ||
	    (b != NULL && !b->plain))
		return -1;
	m[0] = camt(c, A_FR), m[1] = camt(c, A_BR), m[2] = camoth(c), m[3] = camt(c, A_AMO);
	m[4] = c->amc, m[5] = crac(c), m[6] = crec(c);
	for (k = 0; k < 7; k++)
		if (money_add(&sum, sum, m[k]) < 0)
			return -1;
	p = dfields(line, c, druns1, ndruns1);
	p = dstr(p, con, nc);
	p = dstr(p, mem, nm);
	p = dfields(p, c, druns2, ndruns2);
	p = dstr(p, dn, c->dom >= 0 ? domlen[c->dom] : 0);
	p = dfields(p, c, druns3, ndruns3);
	p = dstr(p, pref, np);
	if (c->rank > 0) {
		char d[16];

		for (i = 0, u = (uint32_t)c->rank; u != 0; u /= 10)
			d[i++] = (char)('0' + u % 10);
		while (i > 0)
			*p++ = d[--i];
	} else if (c->rank < 0)
		return -1;
	*p++ = '\t';
	for (k = 0; k < 7; k++) {
		if (m[k] == 0) {
			few_cpy(p, zerotxt, zeron);
			p += zeron;
		} else
			p += money_fmt(m[k], p);
		*p++ = '\t';
	}
	p = dstr(p, dests[codedest[c->code]], destlen[codedest[c->code]]);
	p[0] = 'L';
	p[1] = 'Q';
	p[2] = (char)('0' + c->code / 10 % 10);
	p[3] = (char)('0' + c->code % 10);
	p[4] = '\t';
	p += 5;
	switch (c->flags & (F_IDENTITY | F_CAPPED)) {
	case F_IDENTITY | F_CAPPED:
		fl = "identity,capped", nfl = 15;
		break;
	case F_IDENTITY:
		fl = "identity", nfl = 8;
		break;
	case F_CAPPED:
		fl = "capped", nfl = 6;
		break;
	default:
		fl = "", nfl = 0;
	}
	memcpy(p, fl, nfl);
	p += nfl;
	ts_wfields(w, line, (size_t)(p - line), NDC, sum);
	ts_wend(w);
	return 0;
}

static void
wdecision(struct ts_writer *w, const struct claim *c, struct refs *okref)
{
	const struct benef *b = c->bi >= 0 ? &bens[c->bi] : NULL;
	char code[8];

	if (fastok && fastdec(w, c, okref) == 0)
		return;

	ts_wstr(w, CS(c, C_DUPID), CN(c, C_DUPID));
	ts_wstr(w, CS(c, C_FILE), CN(c, C_FILE));
	ts_wstr(w, CS(c, C_LINE), CN(c, C_LINE));
	ts_wstr(w, CS(c, C_POS), CN(c, C_POS));
	ts_wstr(w, CS(c, C_AMC), CN(c, C_AMC));
	ts_wcstr(w, b ? b->contract : "");
	ts_wcstr(w, b ? b->member : "");
	ts_wstr(w, CS(c, C_PSKIND), CN(c, C_PSKIND));
	ts_wstr(w, CS(c, C_PSNUM), CN(c, C_PSNUM));
	ts_wstr(w, CS(c, C_INVOICE), CN(c, C_INVOICE));
	ts_wstr(w, CS(c, C_LINENO), CN(c, C_LINENO));
	ts_wstr(w, CS(c, C_ACTDATE), CN(c, C_ACTDATE));
	ts_wstr(w, CS(c, C_ACTCODE), CN(c, C_ACTCODE));
	ts_wcstr(w, c->dom >= 0 ? domnames[c->dom] : "");
	ts_wstr(w, CS(c, C_NATURE), CN(c, C_NATURE));
	ts_wstr(w, CS(c, C_DUP), CN(c, C_DUP));
	ts_wcstr(w, c->pref ? c->pref : "");
	if (c->rank)
		ts_wint(w, c->rank);
	else
		ts_wcstr(w, "");
	ts_wmoney(w, camt(c, A_FR));
	ts_wmoney(w, camt(c, A_BR));
	ts_wmoney(w, camoth(c));
	ts_wmoney(w, camt(c, A_AMO));
	ts_wmoney(w, c->amc);
	ts_wmoney(w, crac(c));
	ts_wmoney(w, crec(c));
	ts_wcstr(w, dests[codedest[c->code]]);
	code[0] = 'L';
	code[1] = 'Q';
	code[2] = (char)('0' + c->code / 10 % 10);
	code[3] = (char)('0' + c->code % 10);
	ts_wstr(w, code, 4);
	ts_wcstr(w, (c->flags & (F_IDENTITY | F_CAPPED)) == (F_IDENTITY | F_CAPPED) ?
	    "identity,capped" : c->flags & F_IDENTITY ? "identity" :
	    c->flags & F_CAPPED ? "capped" : "");
	ts_wend(w);
}

/*
 * The decisions in the claims' order: the second half formatted into
 * memory by another thread while the first is written, then appended.
 */
struct wpart {
	struct ts_writer *w;
	size_t a, b;
	struct refs okref;	/* the product references fastdec found plain */
};

/* The decision stream opened: out, published by pd, or the standard output. */
void
wdecopen(struct ts_writer *w, struct pub *pd, const char *out, const char *meta)
{
	if (out != NULL) {
		if (pub_open(pd, out) < 0)
			die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
		ts_wopen(w, pd->fd, out, "decision", 1, dcols, NDC);
	} else
		ts_wopen(w, STDOUT_FILENO, "stdout", "decision", 1, dcols, NDC);
	ts_wmeta(w, meta);
}

#define WROUND ((size_t)1 << 17)	/* claims a round of the decisions */

static void *
wwork(void *arg)
{
	struct wpart *p = arg;
	size_t k;

	for (k = p->a; k < p->b; k++) {
#ifdef __GNUC__
		/* The beneficiaries ahead, then their strings. */
		if (k + 8 < p->b && cl[k + 8].bi >= 0)
			__builtin_prefetch(&bens[cl[k + 8].bi]);
		if (k + 4 < p->b && cl[k + 4].bi >= 0)
			__builtin_prefetch(bens[cl[k + 4].bi].contract);
#endif
		wdecision(p->w, &cl[k], &p->okref);
	}
	return NULL;
}

void
wdecisions(struct ts_writer *w)
{
	struct ts_writer part;
	struct wpart first, second;
	pthread_t th;
	size_t k, e;
	int threaded;

	for (k = 0, fastok = w->ncol == NDC; k < NDC && fastok; k++)
		fastok = !w->money[k] == (k < 18 || k > 24);
	/*
	 * By rounds of WROUND claims: the first half written as it is
	 * formatted, the second formatted meanwhile into memory by a thread
	 * of its own, then appended.  What waits in memory is half a round,
	 * not half the day.
	 */
	zeron = money_fmt(0, zerotxt);
	ndruns1 = mkruns(druns1, dtext1, sizeof dtext1 / sizeof dtext1[0]);
	ndruns2 = mkruns(druns2, dtext2, sizeof dtext2 / sizeof dtext2[0]);
	ndruns3 = mkruns(druns3, dtext3, sizeof dtext3 / sizeof dtext3[0]);
	for (k = 0; k < NDOM; k++)
		domlen[k] = strlen(domnames[k]);
	for (k = 0; k < sizeof dests / sizeof dests[0]; k++)
		destlen[k] = strlen(dests[k]);
	memset(&first.okref, 0, sizeof first.okref);
	memset(&second.okref, 0, sizeof second.okref);
	k = 0;
	do {
		e = ncl - k > WROUND ? k + WROUND : ncl;
		first.w = w;
		first.a = k;
		first.b = k + (e - k) / 2;
		second.w = &part;
		second.a = first.b;
		second.b = e;
		ts_wpart(&part, w);
		threaded = e - k >= 4096 && pthread_create(&th, NULL, wwork, &second) == 0;
		if (!threaded)
			first.b = e;
		wwork(&first);
		if (threaded)
			pthread_join(th, NULL);
		ts_wappend(w, &part);
		k = e;
	} while (k < ncl);
}

/*
 * The stage summary (-s, tiers-summary(5)): per item AMC/DOMAIN, the
 * decisions paid (ps, ps-recover: their AMC), to recover (ps-recover,
 * recover-ps: the amount to recover) and rejected (their RAC), counted
 * and summed in cents with the run's control sums, from the decisions in
 * memory: the stream written is not read again.  The groups are an
 * open-addressing table on (amc, domain), the last one of each domain
 * kept at hand: a day's claims come in runs of one client.
 */
enum { S_CLIENT, S_PAID, S_RECOVER, S_REJECTED, NSK };	/* in byte order */
static const char *const sknames[NSK] = { "client", "paid", "recover", "rejected" };
struct sgroup {
	const char *amc;	/* in the claims' text */
	size_t amcn;
	int dom, used;
	uint64_t n[NSK];
	int64_t a[NSK];
	char *item;
	size_t itemn;
};
static struct sgroup *sg;
static size_t sgcap, nsg;
/*
 * The last groups met, by domain + 1 and a way told by the amc's last
 * byte and length: group + 1, or 0.  A day's claims interleave its
 * clients: one a domain missed 169 000 times of 374 000 on day 60 of a
 * generated world of three.
 */
#define SGWAYS 8
static size_t sglast[NDOM + 1][SGWAYS];
static uint64_t nsummed;

static size_t
sgfind(const char *amc, size_t n, int dom)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, m = sgcap - 1;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)amc[i]) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(dom + 1)) * 0x100000001b3ULL;
	for (i = (size_t)(h ^ h >> 32) & m; sg[i].used; i = (i + 1) & m)
		if (sg[i].dom == dom && bytecmp(sg[i].amc, sg[i].amcn, amc, n) == 0)
			break;
	return i;
}

static void
sumkind(struct sgroup *g, int k, int64_t cents, const char *path)
{
	g->n[k]++;
	if (money_add(&g->a[k], g->a[k], cents) < 0)
		die(EX_DATAERR, "%s: %s: amount_eur out of range", path, sknames[k]);
}

void
sumadd(const struct claim *c, const char *path)
{
	struct sgroup *g;
	int d = codedest[c->code];
	const char *amc = CS(c, C_AMC);
	size_t i, n = CN(c, C_AMC), *last;

	last = &sglast[c->dom + 1][n > 0 ? ((unsigned char)amc[n - 1] ^ n) % SGWAYS : 0];
	g = *last ? &sg[*last - 1] : NULL;
	if (g == NULL || g->amcn != n || !byteeq(g->amc, amc, n)) {
		if (4 * (nsg + 1) > 3 * sgcap) {
			struct sgroup *old = sg;
			size_t oc = sgcap;

			sgcap = sgcap ? sgcap * 2 : 64;
			sg = xmalloc(sgcap * sizeof *sg);
			memset(sg, 0, sgcap * sizeof *sg);
			for (i = 0; i < oc; i++)
				if (old[i].used)
					sg[sgfind(old[i].amc, old[i].amcn, old[i].dom)] = old[i];
			free(old);
			memset(sglast, 0, sizeof sglast);
		}
		i = sgfind(amc, n, c->dom);
		*last = i + 1;
		g = &sg[i];
		if (!g->used) {
			g->used = 1;
			g->amc = amc;
			g->amcn = n;
			g->dom = c->dom;
			nsg++;
		}
	}
	if (d == D_PS || d == D_PSREC)
		sumkind(g, S_PAID, c->amc, path);
	if (d == D_PSREC || d == D_RECPS)
		sumkind(g, S_RECOVER, crec(c), path);
	if (d == D_REJECT)
		sumkind(g, S_REJECTED, crac(c), path);
	if (d == D_CLIENT)
		sumkind(g, S_CLIENT, crac(c), path);
	nsummed++;
}

static int
itemcmp(const void *pa, const void *pb)
{
	const struct sgroup *x = *(struct sgroup *const *)pa, *y = *(struct sgroup *const *)pb;

	return bytecmp(x->item, x->itemn, y->item, y->itemn);
}

/* The rows, in byte order of (item, kind); one decision summed for each written. */
void
wsummary(int fd, const char *path, uint64_t written)
{
	static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
	struct sgroup **o = xmalloc((nsg ? nsg : 1) * sizeof *o);
	struct ts_writer w;
	const char *dn;
	char meta[64];
	size_t i, j = 0, n;
	int k;

	if (nsummed != written)
		die(EX_SOFTWARE, "%s: conservation: %llu decisions summed, %llu written", path,
		    (unsigned long long)nsummed, (unsigned long long)written);
	for (i = 0; i < sgcap; i++) {
		if (!sg[i].used)
			continue;
		dn = sg[i].dom >= 0 ? domnames[sg[i].dom] : "-";
		n = strlen(dn);
		sg[i].item = xmalloc(sg[i].amcn + 1 + n);
		memcpy(sg[i].item, sg[i].amc, sg[i].amcn);
		sg[i].item[sg[i].amcn] = '/';
		memcpy(sg[i].item + sg[i].amcn + 1, dn, n);
		sg[i].itemn = sg[i].amcn + 1 + n;
		o[j++] = &sg[i];
	}
	qsort(o, j, sizeof *o, itemcmp);
	ts_wopen(&w, fd, path, "stage-summary", 1, scols, 4);
	ts_wmeta(&w, "stage\tliquidate");
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	for (i = 0; i < j; i++) {
		for (k = 0; k < NSK; k++) {
			if (o[i]->n[k] == 0)
				continue;
			ts_wstr(&w, o[i]->item, o[i]->itemn);
			ts_wcstr(&w, sknames[k]);
			ts_wint(&w, (long long)o[i]->n[k]);
			ts_wmoney(&w, o[i]->a[k]);
			ts_wend(&w);
		}
		free(o[i]->item);
	}
	ts_wclose(&w);
	free(o);
	free(sg);
}

/* The run's last line on the standard error, which tiers-nightly(1) shows. */
void
tellday(const char *date, uint64_t n, const uint64_t *ncode, int64_t amc, uint64_t nev)
{
	char a[MONEY_BUFSZ];

	money_fmt(amc, a);
	fprintf(stderr, "%s: %s: %llu claims: %llu paid, %llu rejected, %llu to recover; "
	    "AMC %s; consumption %llu events\n", progname_(), date, (unsigned long long)n,
	    (unsigned long long)(ncode[LQ00] + ncode[LQ03]),
	    (unsigned long long)(n - ncode[LQ00] - ncode[LQ03] - ncode[LQ16] - ncode[LQ19] -
	    ncode[LQ10] - ncode[LQ20]),
	    (unsigned long long)(ncode[LQ03] + ncode[LQ16] + ncode[LQ19]), a,
	    (unsigned long long)nev);
}
