/*
 * indus-extract: the indus ledger of the day, what PS and beneficiaries
 * owe back, and what was offset, recovered or transferred to the client
 * of it, to the cent (indus-extract(1)).
 *
 * Generation D is generation D-1's items still open, and the day's new
 * ones (liquidate's recover-ps and ps-recover decisions), less the day's
 * offsets (what payment-edit reports it offset) and recoveries received,
 * less what the clients' delays transfer to them.  The ledger of the day
 * before is read once, in its order, and merged with the day's new items
 * sorted in memory; the day's offsets and recoveries are held too.
 * Memory: the day's new items, offsets and recoveries, one entry a
 * client, one a line recovered today; nothing grows with the ledger.
 * Conservation is checked per client and in total, from sums taken as
 * the inputs are read against sums taken as the outputs are written:
 * nothing is published otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indus.h"

const char *const lcols[] = {
	"amc", "debtor", "debtor_ref", "item", "origin", "reason", "line",
	"ps_kind", "ps_number", "contract", "member_ref", "invoice", "line_no",
	"act_date", "act_code", "opened", "paid_eur", "amount_eur", "offset_eur",
	"recovered_eur", "transferred_eur", "left_eur", "status", "moved", "age"
};
enum {
	L_OPENED = NS, L_PAID, L_AMOUNT, L_OFFSET, L_RECOVERED, L_TRANSFERRED,
	L_LEFT, L_STATUS, L_MOVED, L_AGE, NL
};
const int nlcols = NL;

static int32_t today;
static char today_s[DATE_BUFSZ];

static int
fsame(const struct field *a, const char *s, size_t n)
{
	return a->n == n && memcmp(a->p, s, n) == 0;
}

static void
add(int64_t *r, int64_t v, const char *file, long line, const char *field)
{
	if (money_add(r, *r, v) < 0)
		die_at(EX_DATAERR, file, line, field, "sum out of range");
}

/*
 * The clients: their parameters, and the sums of the conservation check,
 * the read side's as the inputs are read, the write side's per debtor as
 * the items are written.  Sorted on amc; few.
 */
struct client {
	char amc[16];
	struct params pa;
	int64_t rprev, rnew, roff, rrec;
	struct {
		int64_t prev, new, off, rec, tr, open, age[NAGE];
		uint64_t nnew, noff, nrec, ntr, nopen;
	} w[NDB];
};
static struct client *clients;
static size_t nclients, clientcap;

static struct client *
client(const struct field *amc, const char *file, long line)
{
	size_t lo = 0, hi = nclients, m;
	int c;

	if (amc->n == 0 || amc->n >= sizeof clients->amc)
		die_at(EX_DATAERR, file, line, "amc", "not 1 to %zu characters",
		    sizeof clients->amc - 1);
	while (lo < hi) {
		m = (lo + hi) / 2;
		c = strncmp(clients[m].amc, amc->p, amc->n);
		if (c == 0 && clients[m].amc[amc->n] != '\0')
			c = 1;
		if (c == 0)
			return &clients[m];
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	if (nclients == clientcap) {
		clientcap = clientcap ? 2 * clientcap : 16;
		clients = xrealloc(clients, clientcap * sizeof *clients);
	}
	memmove(clients + lo + 1, clients + lo, (nclients - lo) * sizeof *clients);
	nclients++;
	memset(&clients[lo], 0, sizeof clients[lo]);
	memcpy(clients[lo].amc, amc->p, amc->n);
	/* Without parameters: no compensation, nothing transferred. */
	clients[lo].pa.delay[DB_PS] = clients[lo].pa.delay[DB_BENEF] = -1;
	return &clients[lo];
}

/* The clients' parameters (tiers-indus(5), params). */
static void
readparams(const char *path)
{
	static const char *const pcols[] = { "amc", "compensation", "ps_days", "benef_days" };
	struct ts_reader r;
	struct client *c;
	int pc[4], k, rc;
	long v;

	if (ts_open(&r, path, "indus-params", 1) < 0)
		ts_fatal(&r);
	for (k = 0; k < 4; k++)
		pc[k] = ts_needcol(&r, pcols[k]);
	while ((rc = ts_next(&r)) > 0) {
		size_t before = nclients;

		c = client(&r.f[pc[0]], path, r.in.lineno);
		if (nclients == before)
			die_at(EX_DATAERR, path, r.in.lineno, "amc", "a client given twice");
		if (int_parse(r.f[pc[1]].p, r.f[pc[1]].n, 0, 1, &v) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "compensation", "not 0 or 1");
		c->pa.compensation = (int)v;
		for (k = 0; k < 2; k++) {
			const struct field *f = &r.f[pc[2 + k]];

			if (f->n == 0)
				continue;
			if (int_parse(f->p, f->n, 0, 3650, &v) < 0)
				die_at(EX_DATAERR, path, r.in.lineno, pcols[2 + k],
				    "not empty nor a number of days from 0 to 3650");
			c->pa.delay[k == 0 ? DB_PS : DB_BENEF] = v;
		}
	}
	if (rc < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/*
 * The day's offsets and recoveries, sorted on the item they go to
 * (amc TAB item), offsets first, then in the order read.
 */
enum { EV_OFFSET, EV_RECOVERY };
struct event {
	char *key, *ps;		/* ps: ps_kind:ps_number of an offset */
	int kind, used;
	int64_t amt;
	const char *file;
	long line;
	size_t seq;
};
static struct event *events;
static size_t nevents, eventcap;

static char *
joined(const struct field *a, char sep, const struct field *b)
{
	char *s = xmalloc(a->n + b->n + 2);

	memcpy(s, a->p, a->n);
	s[a->n] = sep;
	memcpy(s + a->n + 1, b->p, b->n);
	s[a->n + 1 + b->n] = '\0';
	return s;
}

static int
eventcmp(const void *pa, const void *pb)
{
	const struct event *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c == 0)
		c = a->kind - b->kind;
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static void
readevents(const char *path, int kind, struct client *tot)
{
	static const char *const ocols[] = { "amc", "item", "offset_eur", "ps_kind", "ps_number" };
	static const char *const rcols[] = { "amc", "item", "recovered_eur" };
	struct ts_reader r;
	struct event *e;
	struct client *c;
	int ec[5], k, rc, n = kind == EV_OFFSET ? 5 : 3;

	if (ts_open(&r, path, kind == EV_OFFSET ? "indus-offset" : "indus-recovery", 1) < 0)
		ts_fatal(&r);
	for (k = 0; k < n; k++)
		ec[k] = ts_needcol(&r, kind == EV_OFFSET ? ocols[k] : rcols[k]);
	while ((rc = ts_next(&r)) > 0) {
		if (r.cents[ec[2]] <= 0)
			die_at(EX_DATAERR, path, r.in.lineno, kind == EV_OFFSET ? ocols[2] : rcols[2],
			    "not above 0.00");
		if (r.f[ec[1]].n == 0)
			die_at(EX_DATAERR, path, r.in.lineno, "item", "empty");
		c = client(&r.f[ec[0]], path, r.in.lineno);
		add(kind == EV_OFFSET ? &c->roff : &c->rrec, r.cents[ec[2]], path, r.in.lineno,
		    "amc");
		add(kind == EV_OFFSET ? &tot->roff : &tot->rrec, r.cents[ec[2]], path,
		    r.in.lineno, "amc");
		if (nevents == eventcap) {
			eventcap = eventcap ? 2 * eventcap : 64;
			events = xrealloc(events, eventcap * sizeof *events);
		}
		e = &events[nevents];
		e->key = joined(&r.f[ec[0]], '\t', &r.f[ec[1]]);
		e->ps = kind == EV_OFFSET ? joined(&r.f[ec[3]], ':', &r.f[ec[4]]) : NULL;
		e->kind = kind;
		e->used = 0;
		e->amt = r.cents[ec[2]];
		e->file = path;
		e->line = r.in.lineno;
		e->seq = nevents++;
	}
	if (rc < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/*
 * The lines recovered today, hashed on their identity: what was left
 * paid on each, and what the day's items take of it, which must not be
 * more.
 */
struct use {
	char *line;
	int64_t used;
};
static struct use *uses;
static size_t nuses, usecap;

static struct use *
lineuse(const struct field *line)
{
	size_t i, j, m;
	uint64_t h = 1469598103934665603u;

	if (2 * (nuses + 1) > usecap) {
		struct use *old = uses;
		size_t oldcap = usecap;

		usecap = usecap ? 2 * usecap : 1024;
		uses = xmalloc(usecap * sizeof *uses);
		memset(uses, 0, usecap * sizeof *uses);
		nuses = 0;
		for (i = 0; i < oldcap; i++) {
			struct field f;

			if (old[i].line == NULL)
				continue;
			f.p = old[i].line;
			f.n = strlen(old[i].line);
			*lineuse(&f) = old[i];
		}
		free(old);
	}
	for (i = 0; i < line->n; i++)
		h = (h ^ (unsigned char)line->p[i]) * 1099511628211u;
	m = usecap - 1;
	for (j = (size_t)h & m; uses[j].line != NULL; j = (j + 1) & m)
		if (strlen(uses[j].line) == line->n && memcmp(uses[j].line, line->p, line->n) == 0)
			return &uses[j];
	uses[j].line = xmalloc(line->n + 1);
	memcpy(uses[j].line, line->p, line->n);
	uses[j].line[line->n] = '\0';
	nuses++;
	return &uses[j];
}

/* The rank N of an identity "DATE#N" of today, or 0. */
static unsigned long
todays(const struct field *id)
{
	size_t n = strlen(today_s);
	long v;

	if (id->n <= n + 1 || memcmp(id->p, today_s, n) != 0 || id->p[n] != '#' ||
	    int_parse(id->p + n + 1, id->n - n - 1, 1, 999999999999L, &v) < 0)
		return 0;
	return (unsigned long)v;
}

/* An item's text columns, copied into one allocation, and its key. */
static void
keep(struct item *it, const struct field *src)
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
static struct item *news;
static size_t nnews, newcap;

static void
readday(const char *cpath, const char *dpath, struct client *tot)
{
	struct ts_reader cr, dr;
	int dc[ND], kid, kref, kpaid, kps, kcl, kc, kd, k;
	int64_t *paidday = NULL;
	size_t npaid = 0;
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
	kps = ts_col(&dr, "ps_label");
	kcl = ts_col(&dr, "client_label");
	for (;;) {
		const struct field *f = dr.f;
		struct field src[NS], empty = { "", 0 };
		struct item *it;
		struct client *c;
		struct use *u;
		unsigned long rank;
		int64_t recover, paid;
		int db, n;

		kc = ts_next(&cr);
		kd = ts_next(&dr);
		if (kc < 0)
			ts_fatal(&cr);
		if (kd < 0)
			ts_fatal(&dr);
		if (kc == 0 || kd == 0) {
			if (kc != kd)
				die_at(EX_DATAERR, kc ? dpath : cpath, kc ? (long)dr.in.lineno :
				    (long)cr.in.lineno, "claim", "fewer records than the %s",
				    kc ? "claims" : "decisions");
			break;
		}
		recover = dr.cents[dc[D_RECOVER]];
		if (!fsame(&f[dc[D_CLAIM]], cr.f[kid].p, cr.f[kid].n))
			die_at(EX_DATAERR, dpath, (long)dr.in.lineno, "claim",
			    "not the claim of line %ld of the claims", (long)cr.in.lineno);
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
			src[S_LINE] = cr.f[kref];
			if (cr.f[kref].n == 0)
				die_at(EX_DATAERR, cpath, (long)cr.in.lineno, "dup_ref",
				    "empty for a line recovered from the PS");
			if (cr.f[kpaid].n > 0)
				paid = cr.cents[kpaid];
			else if ((rank = todays(&cr.f[kref])) > 0 && rank < npaid && paidday[rank] > 0)
				paid = paidday[rank];
			else
				die_at(EX_DATAERR, cpath, (long)cr.in.lineno, "dup_paid_eur",
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
		/* Never more than was paid on the line, over the day's items. */
		u = lineuse(&src[S_LINE]);
		if (money_add(&u->used, u->used, recover) < 0 || u->used > paid)
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
		keep(it, src);
		it->debtor = db;
		it->opened = today;
		it->moved = NODATE;
		it->paid = paid;
		it->amount = it->left = recover;
		it->isnew = 1;
	}
	ts_close(&cr);
	ts_close(&dr);
	free(paidday);
}

static int
newcmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

/* An item of the ledger of the day before, its fields where they are. */
static void
parseprev(struct ts_reader *r, const int *lc, struct item *it, char *key, size_t cap,
    struct client *tot)
{
	const char *path = r->in.name;
	long line = r->in.lineno;
	struct client *c;
	int64_t x;
	int k, n;

	memset(it, 0, sizeof *it);
	for (k = 0; k < NS; k++)
		it->s[k] = r->f[lc[k]];
	for (it->debtor = 0; it->debtor < NDB; it->debtor++)
		if (fsame(&it->s[S_DEBTOR], dbnames[it->debtor], strlen(dbnames[it->debtor])))
			break;
	if (it->debtor == NDB)
		die_at(EX_DATAERR, path, line, "debtor", "not benef or ps");
	if (it->s[S_ITEM].n == 0 || it->s[S_DREF].n == 0)
		die_at(EX_DATAERR, path, line, it->s[S_ITEM].n ? "debtor_ref" : "item", "empty");
	if (date_parse(r->f[lc[L_OPENED]].p, r->f[lc[L_OPENED]].n, &it->opened) < 0 ||
	    it->opened > today)
		die_at(EX_DATAERR, path, line, "opened", "not a date up to the business date");
	it->moved = NODATE;
	if (r->f[lc[L_MOVED]].n > 0 &&
	    date_parse(r->f[lc[L_MOVED]].p, r->f[lc[L_MOVED]].n, &it->moved) < 0)
		die_at(EX_DATAERR, path, line, "moved", "not empty nor a date");
	it->paid = r->cents[lc[L_PAID]];
	it->amount = r->cents[lc[L_AMOUNT]];
	it->offset = r->cents[lc[L_OFFSET]];
	it->recovered = r->cents[lc[L_RECOVERED]];
	it->transferred = r->cents[lc[L_TRANSFERRED]];
	it->left = r->cents[lc[L_LEFT]];
	if (it->amount <= 0 || it->amount > it->paid)
		die_at(EX_DATAERR, path, line, "amount_eur", "not above 0.00 and at most paid_eur");
	if (it->offset < 0 || it->recovered < 0 || it->transferred < 0 || it->left < 0 ||
	    money_sub(&x, it->amount, it->offset) < 0 || money_sub(&x, x, it->recovered) < 0 ||
	    money_sub(&x, x, it->transferred) < 0 || x != it->left)
		die_at(EX_DATAERR, path, line, "left_eur",
		    "not amount_eur less offset_eur, recovered_eur and transferred_eur, at least 0.00");
	n = snprintf(key, cap, "%.*s\t%s\t%.*s\t%.*s", (int)it->s[S_AMC].n, it->s[S_AMC].p,
	    dbnames[it->debtor], (int)it->s[S_DREF].n, it->s[S_DREF].p, (int)it->s[S_ITEM].n,
	    it->s[S_ITEM].p);
	if (n < 0 || (size_t)n >= cap)
		die_at(EX_DATAERR, path, line, "debtor_ref", "too long");
	it->key = key;
	c = client(&it->s[S_AMC], path, line);
	add(&c->rprev, it->left, path, line, "left_eur");
	add(&tot->rprev, it->left, path, line, "left_eur");
}

/* The outputs, and what the write side counts. */
static struct ts_writer lw, xw;
static const char *lpath;
static int havex;
static struct item **reqs;
static size_t nreqs, reqcap;
static uint64_t nwritten;
static int64_t wleft, wtr;

/* The day's offsets, then recoveries, of an item. */
static void
apply(struct item *it, const struct params *pa)
{
	static char *key;
	static size_t cap;
	size_t lo = 0, hi = nevents, m, n = it->s[S_AMC].n + it->s[S_ITEM].n + 2;
	struct event *e;

	if (n > cap) {
		cap = 2 * n;
		key = xrealloc(key, cap);
	}
	snprintf(key, cap, "%.*s\t%.*s", (int)it->s[S_AMC].n, it->s[S_AMC].p,
	    (int)it->s[S_ITEM].n, it->s[S_ITEM].p);
	while (lo < hi) {
		m = (lo + hi) / 2;
		if (strcmp(events[m].key, key) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	for (e = events + lo; e < events + nevents && strcmp(e->key, key) == 0; e++) {
		if (e->kind == EV_OFFSET) {
			if (it->debtor != DB_PS)
				die_at(EX_DATAERR, e->file, e->line, "item",
				    "a beneficiary's item is not offset");
			if (!pa->compensation)
				die_at(EX_DATAERR, e->file, e->line, "item",
				    "the client does not allow compensation");
			if (!fsame(&it->s[S_DREF], e->ps, strlen(e->ps)))
				die_at(EX_DATAERR, e->file, e->line, "ps_number",
				    "not the PS that owes the item");
		}
		if (e->amt > it->left)
			die_at(EX_DATAERR, e->file, e->line,
			    e->kind == EV_OFFSET ? "offset_eur" : "recovered_eur",
			    "more than is left on the item");
		it->left -= e->amt;
		if (e->kind == EV_OFFSET) {
			it->offset += e->amt;
			it->toff += e->amt;
		} else {
			it->recovered += e->amt;
			it->trec += e->amt;
		}
		e->used = 1;
	}
}

/*
 * An item through the day: its offsets and recoveries, its transfer,
 * then written, unless it closed on an earlier day: it leaves the
 * ledger, its history in the generation of the day it closed.
 */
static void
settle(struct item *it, long line)
{
	struct client *c = client(&it->s[S_AMC], lpath, line);
	int64_t before = it->left;
	int32_t age = today - it->opened;
	int k, db = it->debtor;

	apply(it, &c->pa);
	item_transfer(it, &c->pa, today);
	if (it->toff || it->trec || it->ttr)
		it->moved = today;
	if (!it->isnew && before == 0)
		return;
	/* Never below 0, never above what was paid on its line. */
	if (it->left < 0 || it->left > it->amount || it->amount > it->paid)
		die(EX_SOFTWARE, "%s: item %.*s: left %lld, amount %lld, paid %lld cents: "
		    "out of bounds", lpath, (int)it->s[S_ITEM].n, it->s[S_ITEM].p,
		    (long long)it->left, (long long)it->amount, (long long)it->paid);
	for (k = 0; k < NS; k++)
		ts_wstr(&lw, it->s[k].p, it->s[k].n);
	ts_wdate(&lw, it->opened);
	ts_wmoney(&lw, it->paid);
	ts_wmoney(&lw, it->amount);
	ts_wmoney(&lw, it->offset);
	ts_wmoney(&lw, it->recovered);
	ts_wmoney(&lw, it->transferred);
	ts_wmoney(&lw, it->left);
	ts_wcstr(&lw, stnames[item_status(it)]);
	if (it->moved == NODATE)
		ts_wcstr(&lw, "");
	else
		ts_wdate(&lw, it->moved);
	ts_wint(&lw, age);
	ts_wend(&lw);
	nwritten++;
	/* The write side: from the item as written. */
	if (it->isnew) {
		add(&c->w[db].new, it->amount, lpath, line, "amount_eur");
		c->w[db].nnew++;
	} else
		add(&c->w[db].prev, before, lpath, line, "left_eur");
	add(&c->w[db].off, it->toff, lpath, line, "offset_eur");
	add(&c->w[db].rec, it->trec, lpath, line, "recovered_eur");
	add(&c->w[db].tr, it->ttr, lpath, line, "transferred_eur");
	add(&wtr, it->ttr, lpath, line, "transferred_eur");
	add(&wleft, it->left, lpath, line, "left_eur");
	c->w[db].noff += it->toff > 0;
	c->w[db].nrec += it->trec > 0;
	c->w[db].ntr += it->ttr > 0;
	if (it->left > 0) {
		add(&c->w[db].open, it->left, lpath, line, "left_eur");
		add(&c->w[db].age[age_bucket(age)], it->left, lpath, line, "left_eur");
		c->w[db].nopen++;
	}
	/* What payment-edit may offset against the PS's payments. */
	if (havex && item_offsetable(it, &c->pa)) {
		ts_wstr(&xw, it->s[S_AMC].p, it->s[S_AMC].n);
		ts_wstr(&xw, it->s[S_PSKIND].p, it->s[S_PSKIND].n);
		ts_wstr(&xw, it->s[S_PSNUM].p, it->s[S_PSNUM].n);
		ts_wstr(&xw, it->s[S_ITEM].p, it->s[S_ITEM].n);
		ts_wstr(&xw, it->s[S_LINE].p, it->s[S_LINE].n);
		ts_wstr(&xw, it->s[S_INVOICE].p, it->s[S_INVOICE].n);
		ts_wstr(&xw, it->s[S_LINENO].p, it->s[S_LINENO].n);
		ts_wstr(&xw, it->s[S_ACTDATE].p, it->s[S_ACTDATE].n);
		ts_wdate(&xw, it->opened);
		ts_wmoney(&xw, it->left);
		ts_wend(&xw);
	}
	/* A PS item the client does not offset: the PS is asked for it. */
	if (it->isnew && db == DB_PS && !c->pa.compensation) {
		if (nreqs == reqcap) {
			reqcap = reqcap ? 2 * reqcap : 64;
			reqs = xrealloc(reqs, reqcap * sizeof *reqs);
		}
		reqs[nreqs++] = it;
	}
}

/* a + b - c - d - e, or die: the conservation's arithmetic. */
static int64_t
balance(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e)
{
	int64_t r;

	if (money_add(&r, a, b) < 0 || money_sub(&r, r, c) < 0 || money_sub(&r, r, d) < 0 ||
	    money_sub(&r, r, e) < 0)
		die(EX_SOFTWARE, "%s: conservation: sums out of range", lpath);
	return r;
}

static void
conservation(const struct client *tot)
{
	const struct client *c;
	char m[7][MONEY_BUFSZ];
	size_t i;
	int64_t w[5], lhs;
	int db;

	for (i = 0; i < nevents; i++)
		if (!events[i].used)
			die_at(EX_DATAERR, events[i].file, events[i].line, "item",
			    "not an item of the ledger");
	for (i = 0; i < nclients; i++) {
		c = &clients[i];
		memset(w, 0, sizeof w);
		for (db = 0; db < NDB; db++) {
			if (money_add(&w[0], w[0], c->w[db].prev) < 0 ||
			    money_add(&w[1], w[1], c->w[db].new) < 0 ||
			    money_add(&w[2], w[2], c->w[db].off) < 0 ||
			    money_add(&w[3], w[3], c->w[db].rec) < 0 ||
			    money_add(&w[4], w[4], c->w[db].tr) < 0)
				die(EX_SOFTWARE, "%s: conservation: sums out of range", lpath);
		}
		lhs = balance(c->rprev, c->rnew, c->roff, c->rrec, w[4]);
		if (lhs == balance(w[0], w[1], w[2], w[3], w[4]) && c->rprev == w[0] &&
		    c->rnew == w[1] && c->roff == w[2] && c->rrec == w[3] &&
		    lhs == balance(c->w[0].open, c->w[1].open, 0, 0, 0))
			continue;
		money_fmt(c->rprev, m[0]);
		money_fmt(c->rnew, m[1]);
		money_fmt(c->roff, m[2]);
		money_fmt(c->rrec, m[3]);
		money_fmt(w[4], m[4]);
		money_fmt(lhs, m[5]);
		money_fmt(balance(c->w[0].open, c->w[1].open, 0, 0, 0), m[6]);
		die(EX_SOFTWARE, "%s: conservation: client %s: open the day before %s + new %s "
		    "- offset %s - recovered %s - transferred %s = %s, the ledger says %s",
		    lpath, c->amc, m[0], m[1], m[2], m[3], m[4], m[5], m[6]);
	}
	lhs = balance(tot->rprev, tot->rnew, tot->roff, tot->rrec, wtr);
	if (lhs != wleft) {
		money_fmt(lhs, m[0]);
		money_fmt(wleft, m[1]);
		die(EX_SOFTWARE, "%s: conservation: in total %s open expected, the ledger says %s",
		    lpath, m[0], m[1]);
	}
}

/* The clients' report: one row a client and debtor with anything to say. */
static void
report(int fd, const char *path, const char *meta)
{
	static const char *const cols[] = {
		"amc", "debtor", "open_before_eur", "new", "new_eur", "offset_eur",
		"recovered_eur", "transferred_eur", "open", "open_eur",
		"age_0_30_eur", "age_31_60_eur", "age_61_90_eur", "age_91_eur"
	};
	struct ts_writer w;
	size_t i;
	int db, k;

	ts_wopen(&w, fd, path, "indus-report", 1, cols, (int)(sizeof cols / sizeof cols[0]));
	ts_wmeta(&w, meta);
	for (i = 0; i < nclients; i++)
		for (db = 0; db < NDB; db++) {
			const struct client *c = &clients[i];

			if (c->w[db].prev == 0 && c->w[db].nnew == 0 && c->w[db].off == 0 &&
			    c->w[db].rec == 0 && c->w[db].tr == 0 && c->w[db].nopen == 0)
				continue;
			ts_wcstr(&w, c->amc);
			ts_wcstr(&w, dbnames[db]);
			ts_wmoney(&w, c->w[db].prev);
			ts_wint(&w, (long long)c->w[db].nnew);
			ts_wmoney(&w, c->w[db].new);
			ts_wmoney(&w, c->w[db].off);
			ts_wmoney(&w, c->w[db].rec);
			ts_wmoney(&w, c->w[db].tr);
			ts_wint(&w, (long long)c->w[db].nopen);
			ts_wmoney(&w, c->w[db].open);
			for (k = 0; k < NAGE; k++)
				ts_wmoney(&w, c->w[db].age[k]);
			ts_wend(&w);
		}
	ts_wclose(&w);
}

/* The day summary's rows (tiers-summary(5)), over all clients. */
static void
summary(int fd, const char *path, const char *meta)
{
	static const char *const cols[] = { "item", "kind", "records", "amount_eur" };
	static const char *const what[] = { "new", "offset", "recovered", "transferred", "open" };
	struct ts_writer w;
	uint64_t n[5];
	int64_t a[5];
	size_t i;
	int db, k;

	ts_wopen(&w, fd, path, "stage-summary", 1, cols, 4);
	ts_wmeta(&w, "stage\tindus");
	ts_wmeta(&w, meta);
	for (k = 0; k < 5; k++)
		for (db = NDB - 1; db >= 0; db--) {
			n[k] = 0;
			a[k] = 0;
			for (i = 0; i < nclients; i++) {
				const struct client *c = &clients[i];
				const uint64_t cn[5] = {
					c->w[db].nnew, c->w[db].noff, c->w[db].nrec, c->w[db].ntr,
					c->w[db].nopen
				};
				const int64_t ca[5] = {
					c->w[db].new, c->w[db].off, c->w[db].rec, c->w[db].tr,
					c->w[db].open
				};

				n[k] += cn[k];
				add(&a[k], ca[k], path, 0, "amount_eur");
			}
			if (n[k] == 0)
				continue;
			ts_wcstr(&w, what[k]);
			ts_wcstr(&w, dbnames[db]);
			ts_wint(&w, (long long)n[k]);
			ts_wmoney(&w, a[k]);
			ts_wend(&w);
		}
	ts_wclose(&w);
}

static void
usage(void)
{
	fprintf(stderr, "usage: indus-extract -d date -o ledger [-C params] [-c report] [-f letters]\n"
	    "                     [-l ledger-before] [-O offsets]... [-R recoveries]...\n"
	    "                     [-r requests] [-s summary] [-x offsetable] [claims decisions]\n");
	exit(EX_USAGE);
}

static void
popen_(struct pub *p, const char *path)
{
	if (path != NULL && pub_open(p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
}

static void
pcommit(struct pub *p, const char *path)
{
	if (path != NULL && pub_commit(p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

int
main(int argc, char *argv[])
{
	static const char *const xcols[] = {
		"amc", "ps_kind", "ps_number", "item", "line", "invoice", "line_no",
		"act_date", "opened", "left_eur"
	};
	const char *date = NULL, *params = NULL, *rpath = NULL, *fpath = NULL;
	const char *prevpath = NULL, *qpath = NULL, *spath = NULL, *xpath = NULL;
	const char **offs = NULL, **recs = NULL;
	size_t noffs = 0, nrecs = 0, i = 0;
	struct pub po, pc, pf, pq, ps, px;
	struct ts_reader lr;
	struct client tot;
	struct item pit;
	char meta[64], *keys[2], m[4][MONEY_BUFSZ];
	int ch, k, kp = 0, lc[NL], cur = 0, cmp;
	size_t keycap = 4096;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "C:O:R:c:d:f:l:o:r:s:x:")) != -1)
		switch (ch) {
		case 'C': params = optarg; break;
		case 'O':
			offs = xrealloc(offs, (noffs + 1) * sizeof *offs);
			offs[noffs++] = optarg;
			break;
		case 'R':
			recs = xrealloc(recs, (nrecs + 1) * sizeof *recs);
			recs[nrecs++] = optarg;
			break;
		case 'c': rpath = optarg; break;
		case 'd': date = optarg; break;
		case 'f': fpath = optarg; break;
		case 'l': prevpath = optarg; break;
		case 'o': lpath = optarg; break;
		case 'r': qpath = optarg; break;
		case 's': spath = optarg; break;
		case 'x': xpath = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (date == NULL || lpath == NULL || (argc != 0 && argc != 2))
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "-d %s: not a date YYYY-MM-DD", date);
	date_fmt(today, today_s);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	if (prevpath != NULL) {
		if (ts_open(&lr, prevpath, "indus", 1) < 0)
			ts_fatal(&lr);
		for (k = 0; k < NL; k++)
			lc[k] = ts_needcol(&lr, lcols[k]);
	}
	popen_(&po, lpath);
	popen_(&pc, rpath);
	popen_(&pf, fpath);
	popen_(&pq, qpath);
	popen_(&ps, spath);
	popen_(&px, xpath);

	memset(&tot, 0, sizeof tot);
	if (params != NULL)
		readparams(params);
	for (i = 0; i < noffs; i++)
		readevents(offs[i], EV_OFFSET, &tot);
	for (i = 0; i < nrecs; i++)
		readevents(recs[i], EV_RECOVERY, &tot);
	qsort(events, nevents, sizeof *events, eventcmp);
	if (argc == 2)
		readday(argv[0], argv[1], &tot);
	qsort(news, nnews, sizeof *news, newcmp);
	for (i = 1; i < nnews; i++)
		if (strcmp(news[i - 1].key, news[i].key) == 0)
			die(EX_SOFTWARE, "%s: item %s: opened twice today", argv[1], news[i].s[S_ITEM].p);

	ts_wopen(&lw, po.fd, lpath, "indus", 1, lcols, NL);
	ts_wmeta(&lw, meta);
	if (xpath != NULL) {
		ts_wopen(&xw, px.fd, xpath, "indus-offsetable", 1, xcols,
		    (int)(sizeof xcols / sizeof xcols[0]));
		ts_wmeta(&xw, meta);
		havex = 1;
	}
	/* The ledger of the day before, merged with the day's new items. */
	keys[0] = xmalloc(keycap);
	keys[1] = xmalloc(keycap);
	keys[1][0] = '\0';
	if (prevpath != NULL && (kp = ts_next(&lr)) < 0)
		ts_fatal(&lr);
	i = 0;
	pit.key = NULL;
	for (;;) {
		if (kp == 1 && pit.key != keys[cur]) {
			parseprev(&lr, lc, &pit, keys[cur], keycap, &tot);
			if (strcmp(keys[!cur], keys[cur]) >= 0 && keys[!cur][0] != '\0')
				die_at(EX_DATAERR, prevpath, lr.in.lineno, "item",
				    "out of order (amc, debtor, debtor_ref, item)");
		}
		if (kp != 1 && i == nnews)
			break;
		cmp = kp != 1 ? 1 : i == nnews ? -1 : strcmp(pit.key, news[i].key);
		if (cmp == 0)
			die_at(EX_DATAERR, prevpath, lr.in.lineno, "item",
			    "already in the ledger: opened again today");
		if (cmp < 0) {
			settle(&pit, lr.in.lineno);
			cur = !cur;
			pit.key = NULL;
			if ((kp = ts_next(&lr)) < 0)
				ts_fatal(&lr);
		} else
			settle(&news[i++], 0);
	}
	if (prevpath != NULL)
		ts_close(&lr);
	ts_wclose(&lw);
	if (havex)
		ts_wclose(&xw);
	conservation(&tot);
	if (rpath != NULL)
		report(pc.fd, rpath, meta);
	if (spath != NULL)
		summary(ps.fd, spath, meta);
	if (qpath != NULL || fpath != NULL)
		requests_write(reqs, nreqs, today_s, qpath, qpath ? pq.fd : -1, fpath,
		    fpath ? pf.fd : -1);
	pcommit(&po, lpath);
	pcommit(&pc, rpath);
	pcommit(&pf, fpath);
	pcommit(&pq, qpath);
	pcommit(&ps, spath);
	pcommit(&px, xpath);
	{
		int64_t a[3] = { 0, 0, 0 };
		uint64_t nn = 0;

		for (i = 0; i < nclients; i++)
			for (k = 0; k < NDB; k++) {
				nn += clients[i].w[k].nnew;
				add(&a[0], clients[i].w[k].new, lpath, 0, "amount_eur");
				add(&a[1], clients[i].w[k].off, lpath, 0, "offset_eur");
				add(&a[2], clients[i].w[k].rec, lpath, 0, "recovered_eur");
			}
		money_fmt(a[0], m[0]);
		money_fmt(a[1], m[1]);
		money_fmt(a[2], m[2]);
		money_fmt(wleft, m[3]);
		fprintf(stderr, "indus-extract: %s: %llu items, %llu new (%s), offset %s, "
		    "recovered %s, transferred ", today_s, (unsigned long long)nwritten,
		    (unsigned long long)nn, m[0], m[1], m[2]);
		money_fmt(wtr, m[0]);
		fprintf(stderr, "%s, open %s\n", m[0], m[3]);
	}
	return 0;
}
