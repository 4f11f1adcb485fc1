/*
 * indus-extract: the indus ledger of the day, what PS and beneficiaries
 * owe back, and what was offset, recovered or transferred to the client
 * of it, to the cent (indus-extract(1)).
 *
 * Generation D is generation D-1's items still open, and the day's new
 * ones (liquidate's recover-ps and ps-recover decisions, and the lines
 * paid that the day's retroactive radiations put outside the rights),
 * less the day's offsets (what payment-edit reports it offset) and
 * recoveries received, less what the clients' delays transfer to them.
 * The ledger of the day before is read once, in its order, and merged
 * with the day's new items sorted in memory; the day's offsets and
 * recoveries are held too.  Memory: the day's new items, offsets and
 * recoveries, one entry a client, one a line recovered today, the day's
 * rows of the store of lines paid; nothing grows with the ledger or the
 * store.
 * Conservation is checked per client and in total, from sums taken as
 * the inputs are read against sums taken as the outputs are written:
 * nothing is published otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "indus.h"

const char *const lcols[] = {
	"amc", "debtor", "debtor_ref", "item", "origin", "reason", "line",
	"ps_kind", "ps_number", "contract", "member_ref", "invoice", "line_no",
	"act_date", "act_code", "compensation", "opened", "paid_eur", "amount_eur", "offset_eur",
	"recovered_eur", "transferred_eur", "withdrawn_eur", "left_eur", "status", "moved",
	"age"
};
enum {
	L_OPENED = NS, L_PAID, L_AMOUNT, L_OFFSET, L_RECOVERED, L_TRANSFERRED,
	L_WITHDRAWN, L_LEFT, L_STATUS, L_MOVED, L_AGE, NL
};
const int nlcols = NL;

int32_t today;
char today_s[DATE_BUFSZ];

void
add(int64_t *r, int64_t v, const char *file, long line, const char *field)
{
	if (money_add(r, *r, v) < 0)
		die_at(EX_DATAERR, file, line, field, "sum out of range");
}

struct client *clients;
size_t nclients;
static size_t clientcap;

struct client *
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

static int
newcmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

/* A field's bytes at p, then the byte end: past them. */
static char *
keycol(char *p, const struct field *f, char end)
{
	memcpy(p, f->p, f->n);
	p += f->n;
	*p++ = end;
	return p;
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
	size_t db;
	char *p;
	int k;

	memset(it, 0, sizeof *it);
	for (k = 0; k < NS; k++)
		it->s[k] = lc[k] >= 0 ? r->f[lc[k]] : (struct field){ "", 0 };
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
	/* A ledger from before withdrawals has no such column. */
	it->withdrawn = lc[L_WITHDRAWN] >= 0 ? r->cents[lc[L_WITHDRAWN]] : 0;
	it->left = r->cents[lc[L_LEFT]];
	if (it->amount <= 0 || it->amount > it->paid)
		die_at(EX_DATAERR, path, line, "amount_eur", "not above 0.00 and at most paid_eur");
	if (it->offset < 0 || it->recovered < 0 || it->transferred < 0 || it->withdrawn < 0 ||
	    it->left < 0 || money_sub(&x, it->amount, it->offset) < 0 ||
	    money_sub(&x, x, it->recovered) < 0 || money_sub(&x, x, it->transferred) < 0 ||
	    money_sub(&x, x, it->withdrawn) < 0 || x != it->left)
		die_at(EX_DATAERR, path, line, "left_eur", "not amount_eur less offset_eur, "
		    "recovered_eur, transferred_eur and withdrawn_eur, at least 0.00");
	/* Its key, amc TAB debtor TAB debtor_ref TAB item: copied, a ledger's every item. */
	db = strlen(dbnames[it->debtor]);
	if (it->s[S_AMC].n + db + it->s[S_DREF].n + it->s[S_ITEM].n + 3 >= cap)
		die_at(EX_DATAERR, path, line, "debtor_ref", "too long");
	p = key;
	p = keycol(p, &it->s[S_AMC], '\t');
	memcpy(p, dbnames[it->debtor], db);
	p += db;
	*p++ = '\t';
	p = keycol(p, &it->s[S_DREF], '\t');
	p = keycol(p, &it->s[S_ITEM], '\0');
	it->key = key;
	c = client(&it->s[S_AMC], path, line);
	add(&c->rprev, it->left, path, line, "left_eur");
	add(&tot->rprev, it->left, path, line, "left_eur");
}

/*
 * The lines the PS pays back from today (the day's PS items: a line
 * cancelled or rejected after payment), with what each item takes: a
 * beneficiary's item on the same line (paid on a card kept, 3.1.4) is
 * withdrawn by as much, at most what is left of it: the money comes
 * back once, from the PS.  Sorted on amc TAB line.
 */
struct back {
	char *key;
	int64_t left;
};
static struct back *backs;
static size_t nbacks;

static int
backcmp(const void *a, const void *b)
{
	return strcmp(((const struct back *)a)->key, ((const struct back *)b)->key);
}

static void
paidback(const struct item *news, size_t n)
{
	size_t i, j;

	backs = xmalloc((n ? n : 1) * sizeof *backs);
	for (i = 0; i < n; i++)
		if (news[i].debtor == DB_PS) {
			backs[nbacks].key = joined(&news[i].s[S_AMC], '\t', &news[i].s[S_LINE]);
			backs[nbacks++].left = news[i].amount;
		}
	if (nbacks > 1)
		qsort(backs, nbacks, sizeof *backs, backcmp);
	/* Two PS items on one line today: one entry, their sum. */
	for (i = 0, j = 0; i < nbacks; i++)
		if (j > 0 && strcmp(backs[j - 1].key, backs[i].key) == 0) {
			if (money_add(&backs[j - 1].left, backs[j - 1].left, backs[i].left) < 0)
				die(EX_DATAERR, "line %s: amounts out of range", backs[i].key);
			free(backs[i].key);
		} else
			backs[j++] = backs[i];
	nbacks = j;
}

static void
withdraw(struct item *it)
{
	struct back key, *b;
	int64_t w;

	if (it->debtor != DB_BENEF || it->left == 0 || nbacks == 0)
		return;
	key.key = joined(&it->s[S_AMC], '\t', &it->s[S_LINE]);
	b = bsearch(&key, backs, nbacks, sizeof *backs, backcmp);
	free(key.key);
	if (b == NULL || b->left == 0)
		return;
	w = b->left < it->left ? b->left : it->left;
	b->left -= w;
	it->left -= w;
	it->withdrawn += w;
	it->twd += w;
}

/*
 * An item a retroactive radiation opened, whose act the day's movements
 * put back inside the rights: what is left is withdrawn, and the line
 * given back to the store.  What was recovered stays so: the client
 * holds it, his to give back; a transferred item has nothing left.
 */
static void
restore(struct item *it, const char *file, long line)
{
	int64_t w = it->left;

	if (it->debtor != DB_BENEF || w == 0 || !fsame(&it->s[S_ORIGIN], "retro", 5) ||
	    !retro_restored(it, file, line))
		return;
	it->left = 0;
	it->withdrawn += w;
	it->twd += w;
	retro_giveback(it, w);
}

/* The outputs, and what the write side counts. */
static struct ts_writer lw, xw;
static const char *lpath, *prevpath;
static int havex;
/* The ledger of the day before has the text columns first, in their order. */
static int prevrun;
static struct item **reqs;
static size_t nreqs, reqcap;
static uint64_t nwritten;
static int64_t wleft, wtr, wwd;

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
	keycol(keycol(key, &it->s[S_AMC], '\t'), &it->s[S_ITEM], '\0');
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
	withdraw(it);
	restore(it, it->isnew ? lpath : prevpath, line);
	item_transfer(it, &c->pa, today);
	if (it->toff || it->trec || it->ttr || it->twd)
		it->moved = today;
	if (!it->isnew && before == 0)
		return;
	/* Never below 0, never above what was paid on its line. */
	if (it->left < 0 || it->left > it->amount || it->amount > it->paid)
		die(EX_SOFTWARE, "%s: item %.*s: left %lld, amount %lld, paid %lld cents: "
		    "out of bounds", lpath, (int)it->s[S_ITEM].n, it->s[S_ITEM].p,
		    (long long)it->left, (long long)it->amount, (long long)it->paid);
	/*
	 * An item of the day before: its text as the ledger's reader read
	 * and checked it, not checked again (a year's open items are most
	 * of what is written); in a ledger of the same columns first, one
	 * run of its line.
	 */
	if (it->isnew)
		for (k = 0; k < NS; k++)
			ts_wstr(&lw, it->s[k].p, it->s[k].n);
	else if (prevrun)
		ts_wfields(&lw, it->s[0].p,
		    (size_t)(it->s[NS - 1].p + it->s[NS - 1].n - it->s[0].p), NS, 0);
	else
		for (k = 0; k < NS; k++)
			ts_wchecked(&lw, it->s[k].p, it->s[k].n);
	ts_wdate(&lw, it->opened);
	ts_wmoney(&lw, it->paid);
	ts_wmoney(&lw, it->amount);
	ts_wmoney(&lw, it->offset);
	ts_wmoney(&lw, it->recovered);
	ts_wmoney(&lw, it->transferred);
	ts_wmoney(&lw, it->withdrawn);
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
		if (it->retro) {
			add(&c->w[db].retro, it->amount, lpath, line, "amount_eur");
			c->w[db].nretro++;
		}
	} else
		add(&c->w[db].prev, before, lpath, line, "left_eur");
	add(&c->w[db].off, it->toff, lpath, line, "offset_eur");
	add(&c->w[db].rec, it->trec, lpath, line, "recovered_eur");
	add(&c->w[db].tr, it->ttr, lpath, line, "transferred_eur");
	add(&c->w[db].wd, it->twd, lpath, line, "withdrawn_eur");
	add(&wtr, it->ttr, lpath, line, "transferred_eur");
	add(&wwd, it->twd, lpath, line, "withdrawn_eur");
	add(&wleft, it->left, lpath, line, "left_eur");
	c->w[db].noff += it->toff > 0;
	c->w[db].nrec += it->trec > 0;
	c->w[db].ntr += it->ttr > 0;
	c->w[db].nwd += it->twd > 0;
	if (it->left > 0) {
		add(&c->w[db].open, it->left, lpath, line, "left_eur");
		add(&c->w[db].age[age_bucket(age)], it->left, lpath, line, "left_eur");
		c->w[db].nopen++;
	}
	/* What the client now recovers itself (-T). */
	client_rows(it, age, it->isnew ? lpath : prevpath, line);
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
	if (it->isnew && db == DB_PS && !item_offsetable(it, &c->pa)) {
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
	char m[9][MONEY_BUFSZ];
	size_t i;
	int64_t w[7], lhs, rnew;
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
			    money_add(&w[4], w[4], c->w[db].tr) < 0 ||
			    money_add(&w[5], w[5], c->w[db].wd) < 0 ||
			    money_add(&w[6], w[6], c->w[db].retro) < 0)
				die(EX_SOFTWARE, "%s: conservation: sums out of range", lpath);
		}
		/*
		 * New: the decisions' items and the retroactive radiations',
		 * each summed as its input was read, and each as written.
		 */
		rnew = balance(c->rnew, c->rretro, 0, 0, 0);
		lhs = balance(balance(c->rprev, rnew, c->roff, c->rrec, w[4]), 0, w[5], 0, 0);
		if (lhs == balance(balance(w[0], w[1], w[2], w[3], w[4]), 0, w[5], 0, 0) &&
		    c->rprev == w[0] && rnew == w[1] && c->rretro == w[6] &&
		    c->roff == w[2] && c->rrec == w[3] &&
		    lhs == balance(c->w[0].open, c->w[1].open, 0, 0, 0))
			continue;
		money_fmt(c->rprev, m[0]);
		money_fmt(c->rnew, m[1]);
		money_fmt(c->roff, m[2]);
		money_fmt(c->rrec, m[3]);
		money_fmt(w[4], m[4]);
		money_fmt(lhs, m[5]);
		money_fmt(balance(c->w[0].open, c->w[1].open, 0, 0, 0), m[6]);
		money_fmt(w[5], m[7]);
		money_fmt(c->rretro, m[8]);
		die(EX_SOFTWARE, "%s: conservation: client %s: open the day before %s + new %s "
		    "+ retro %s - offset %s - recovered %s - transferred %s - withdrawn %s = %s, "
		    "the ledger says %s", lpath, c->amc, m[0], m[1], m[8], m[2], m[3], m[4], m[7],
		    m[5], m[6]);
	}
	rnew = balance(tot->rnew, tot->rretro, 0, 0, 0);
	lhs = balance(balance(tot->rprev, rnew, tot->roff, tot->rrec, wtr), 0, wwd, 0, 0);
	if (lhs != wleft) {
		money_fmt(lhs, m[0]);
		money_fmt(wleft, m[1]);
		die(EX_SOFTWARE, "%s: conservation: in total %s open expected, the ledger says %s",
		    lpath, m[0], m[1]);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: indus-extract -d date -o ledger [-C params] [-c report] [-f letters]\n"
	    "                     [-l ledger-before] [-m movements]... [-O offsets]...\n"
	    "                     [-P paid-before] [-p paid] [-R recoveries]... [-r requests]\n"
	    "                     [-s summary] [-T clients] [-W months] [-x offsetable]\n"
	    "                     [-b master]... [claims decisions]\n");
	exit(EX_USAGE);
}

/* The outputs, each published with the others once all hold. */
enum { O_LEDGER, O_REPORT, O_LETTERS, O_REQUESTS, O_SUMMARY, O_OFFSETABLE, NO };
static struct {
	const char *path;
	struct pub p;
} outs[NO];

/*
 * The file systems synced (syncfs, pub_syncfs_once) and the directories
 * (fsync), each once: every output's data, then every output's name.
 */
static const char **dirs;
static size_t ndirs;

/* The data of the file system of path (a file, or a directory made here). */
static void
syncfs_of(const char *path)
{
	if (pub_syncfs_once(path, path) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

/* The directory that holds final, synced so that the name it took stays. */
static void
syncdir_of(const char *final)
{
	const char *s = strrchr(final, '/'), *t;
	size_t n = s ? (size_t)(s - final) : 0, i;

	for (i = 0; i < ndirs; i++) {
		t = strrchr(dirs[i], '/');
		if ((t ? (size_t)(t - dirs[i]) : 0) == n && memcmp(dirs[i], final, n) == 0)
			return;
	}
	dirs = xrealloc(dirs, (ndirs + 1) * sizeof *dirs);
	dirs[ndirs++] = final;
	if (pub_syncdir(final) < 0)
		die(EX_IOERR, "%s: %s", final, strerror(errno));
}

int
main(int argc, char *argv[])
{
	static const char *const xcols[] = {
		"amc", "ps_kind", "ps_number", "item", "line", "invoice", "line_no",
		"act_date", "opened", "left_eur"
	};
	const char *date = NULL, *params = NULL, *rpath = NULL, *fpath = NULL;
	const char *qpath = NULL, *spath = NULL, *xpath = NULL;
	const char **offs = NULL, **recs = NULL, **moves = NULL;
	const char *pbefore = NULL, *pnew = NULL, *tdir = NULL, *cnew;
	char **mfiles = NULL;
	int nmfiles = 0;
	size_t noffs = 0, nrecs = 0, nmoves = 0, i = 0;
	long months = 24;
	int first;
	struct ts_reader lr;
	struct client tot;
	struct item pit, *news = NULL;
	size_t nnews = 0;
	char meta[64], *keys[2], m[4][MONEY_BUFSZ];
	int ch, k, kp = 0, lc[NL], cur = 0, cmp;
	size_t keycap = 4096;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "C:O:P:R:T:W:b:c:d:f:l:m:o:p:r:s:x:")) != -1)
		switch (ch) {
		case 'C': params = optarg; break;
		case 'O':
			offs = xrealloc(offs, (noffs + 1) * sizeof *offs);
			offs[noffs++] = optarg;
			break;
		case 'P': pbefore = optarg; break;
		case 'R':
			recs = xrealloc(recs, (nrecs + 1) * sizeof *recs);
			recs[nrecs++] = optarg;
			break;
		case 'T': tdir = optarg; break;
		case 'W': months = (long)numarg(optarg, 1, 120, "-W"); break;
		case 'b':
			mfiles = xrealloc(mfiles, (nmfiles + 1) * sizeof *mfiles);
			mfiles[nmfiles++] = optarg;
			break;
		case 'c': rpath = optarg; break;
		case 'd': date = optarg; break;
		case 'f': fpath = optarg; break;
		case 'l': prevpath = optarg; break;
		case 'm':
			moves = xrealloc(moves, (nmoves + 1) * sizeof *moves);
			moves[nmoves++] = optarg;
			break;
		case 'o': lpath = optarg; break;
		case 'p': pnew = optarg; break;
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
	/* The months of the store kept: the business date's and months before it. */
	first = month_of(today) - (int)months;
	if (prevpath != NULL) {
		if (ts_open(&lr, prevpath, "indus", 1) < 0)
			ts_fatal(&lr);
		for (k = 0; k < NL; k++)
			lc[k] = k == L_WITHDRAWN || k == S_COMP ? ts_col(&lr, lcols[k]) :
			    ts_needcol(&lr, lcols[k]);
		for (prevrun = 1, k = 0; k < NS; k++)
			prevrun &= lc[k] == k;
	}
	outs[O_LEDGER].path = lpath;
	outs[O_REPORT].path = rpath;
	outs[O_LETTERS].path = fpath;
	outs[O_REQUESTS].path = qpath;
	outs[O_SUMMARY].path = spath;
	outs[O_OFFSETABLE].path = xpath;
	for (k = 0; k < NO; k++)
		if (outs[k].path != NULL && pub_open(&outs[k].p, outs[k].path) < 0)
			die(EX_CANTCREAT, "%s: %s", outs[k].path, strerror(errno));
	if (pnew != NULL) {
		paid_create(pnew);
		paid_on = 1;
	}
	if (pbefore != NULL)
		paid_open(pbefore, first);
	if (tdir != NULL)
		clients_create(tdir);

	memset(&tot, 0, sizeof tot);
	if (params != NULL)
		readparams(params);
	for (i = 0; i < noffs; i++)
		readevents(offs[i], EV_OFFSET, &tot);
	for (i = 0; i < nrecs; i++)
		readevents(recs[i], EV_RECOVERY, &tot);
	if (nevents > 1)
		qsort(events, nevents, sizeof *events, eventcmp);
	if (nmfiles > 0)
		masters_open(mfiles, nmfiles);
	if (argc == 2)
		readday(argv[0], argv[1], &tot, &news, &nnews);
	/* The lines paid before that the day's retroactive radiations take back. */
	for (i = 0; i < nmoves; i++)
		readmoves(moves[i]);
	retro(pbefore, &tot, &news, &nnews);
	if (nnews > 1)
		qsort(news, nnews, sizeof *news, newcmp);
	for (i = 1; i < nnews; i++)
		if (strcmp(news[i - 1].key, news[i].key) == 0)
			die(EX_SOFTWARE, "%s: item %s: opened twice today", argv[1], news[i].s[S_ITEM].p);
	paidback(news, nnews);

	ts_wopen(&lw, outs[O_LEDGER].p.fd, lpath, "indus", 1, lcols, NL);
	ts_wmeta(&lw, meta);
	if (xpath != NULL) {
		ts_wopen(&xw, outs[O_OFFSETABLE].p.fd, xpath, "indus-offsetable", 1, xcols,
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
	/* After the ledger: its withdrawals give lines back to the store. */
	if (pnew != NULL)
		paid_write();
	ts_wclose(&lw);
	if (havex)
		ts_wclose(&xw);
	conservation(&tot);
	clients_close();
	if (rpath != NULL)
		report(outs[O_REPORT].p.fd, rpath, meta);
	if (spath != NULL)
		summary(outs[O_SUMMARY].p.fd, spath, meta);
	if (qpath != NULL || fpath != NULL)
		requests_write(reqs, nreqs, today_s, qpath, qpath ? outs[O_REQUESTS].p.fd : -1,
		    fpath, fpath ? outs[O_LETTERS].p.fd : -1);
	/*
	 * Published: every file closed (the store's and the clients' under
	 * their names in their directories .tmp), the data synced once per
	 * file system, the names given, each directory synced once.
	 */
	for (k = 0; k < NO; k++)
		if (outs[k].path != NULL && pub_ready(&outs[k].p) < 0)
			die(EX_IOERR, "%s: %s", outs[k].path, strerror(errno));
	cnew = clients_ready();
	for (k = 0; k < NO; k++)
		if (outs[k].path != NULL)
			syncfs_of(outs[k].p.tmp);
	if (pnew != NULL)
		syncfs_of(paid_newdir());
	if (cnew != NULL)
		syncfs_of(cnew);
	for (k = 0; k < NO; k++)
		if (outs[k].path != NULL && pub_rename(&outs[k].p) < 0)
			die(EX_IOERR, "%s: %s", outs[k].path, strerror(errno));
	if (pnew != NULL)
		paid_commit(pnew);
	if (tdir != NULL)
		clients_commit(tdir);
	for (k = 0; k < NO; k++)
		if (outs[k].path != NULL)
			syncdir_of(outs[k].path);
	if (pnew != NULL)
		syncdir_of(pnew);
	if (tdir != NULL)
		syncdir_of(tdir);
	if (nmoves > 0)
		retro_log();
	if (pnew != NULL)
		paid_log();
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
	for (i = 0; i < nnews; i++) {
		free((char *)news[i].s[0].p);
		free((char *)news[i].key);
	}
	free(news);
	free(keys[0]);
	free(keys[1]);
	free(offs);
	free(recs);
	free(dirs);
	masters_close();
	free(mfiles);
	free(moves);
	paid_free();
	retro_free();
	return 0;
}
