/*
 * liquidate's business rules: for one claim, its beneficiary and the
 * context of the run (the client's guarantees, the PEC, the family's
 * consumption so far), the decision: a reason code (LQ00-LQ19), the
 * complementary's share (AMC), the patient's (RAC) and what is to be
 * recovered, and the consumption the decision adds.  Functions of their
 * arguments: no file is read here, no global is touched, so that a
 * unit table (t/unit-rules.c) calls them as the stage does.
 *
 * The order of the checks is the general conditions': beneficiary and
 * rights (3.1.1, 3.1.3), guarantee and PEC (3.2.1), the payee (3.1.4),
 * duplicates (3.1.8), then the amounts (DESIGN 6, tiers-liquidate(5)).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

/* The destination of each reason code. */
const int codedest[NCODE] = {
	D_PS, D_REJECT, D_REJECT, D_PSREC, D_REJECT, D_REJECT, D_REJECT,
	D_REJECT, D_REJECT, D_REJECT, D_CLIENT, D_REJECT, D_REJECT, D_REJECT,
	D_REJECT, D_REJECT, D_RECPS, D_REJECT, D_REJECT, D_RECPS, D_CLIENT
};

/*
 * The act code of c between spaces, as act lists hold theirs; 0 if it is
 * too long for any list word.
 */
static int
actword(const struct claim *c, char *buf, size_t n)
{
	size_t m = CN(c, C_ACTCODE);

	if (m + 3 > n)
		return 0;
	buf[0] = ' ';
	memcpy(buf + 1, CS(c, C_ACTCODE), m);
	buf[m + 1] = ' ';
	buf[m + 2] = '\0';
	return 1;
}

int32_t
addmonths(int32_t d, int n)
{
	int y, m, day;

	date_to_ymd(d, &y, &m, &day);
	m += n;
	while (m > 12)
		m -= 12, y++;
	while (m < 1)
		m += 12, y--;
	while (day > 28 && !date_valid(y, m, day))
		day--;
	return date_from_ymd(y, m, day);
}

int
age(int32_t birth, int32_t at)
{
	int y1, m1, d1, y2, m2, d2, a;

	date_to_ymd(birth, &y1, &m1, &d1);
	date_to_ymd(at, &y2, &m2, &d2);
	a = y2 - y1;
	if (m2 < m1 || (m2 == m1 && d2 < d1))
		a--;
	return a;
}

const struct guar *
findguar(const struct ctx *cx, const char *amc)
{
	int i;

	/* Told apart by their first byte first: a call a guarantee otherwise. */
	for (i = 0; i < cx->nguars; i++)
		if (cx->guars[i].amc[0] == amc[0] && strcmp(cx->guars[i].amc, amc) == 0)
			return &cx->guars[i];
	return NULL;
}

/*
 * The PEC of a claim: LQ00 and *pp, LQ08 none for this beneficiary and
 * domain, LQ09 some, but none valid for this date, PS and act.  Of the
 * valid ones: one with amount left before one used up, then the one that
 * names its acts before one for every act of the domain, then the oldest
 * (the earliest valid_from, then the number): a PEC used up does not hide
 * a later one that covers the act (its line would be LQ14).
 */
int
findpec(const struct ctx *cx, const struct claim *c, const struct benef *b,
    const struct pec **pp)
{
	size_t lo = 0, hi = cx->npecs, m, ng;
	struct pec key;
	const struct pec *best = NULL, **gp;
	int any = 0, haveact, rank, bestrank = -1;
	char act[64];

	memset(&key, 0, sizeof key);
	key.amc = b->amc;
	memcpy(key.nir, b->nir, 14);
	key.birth = b->birth;
	key.rang = b->rang;
	key.from = NOSTART;
	key.number = "";
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (peccmp(&cx->pecs[m], &key) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	for (hi = lo; hi < cx->npecs; hi++) {
		const struct pec *p = &cx->pecs[hi];

		if (p->birth != b->birth || p->rang != b->rang || nircmp(p->nir, b->nir) != 0 ||
		    strcmp(p->amc, b->amc) != 0)
			break;
	}
	/* And those of the generation or store read where it lies, merged in that order. */
	ng = cx->pa != NULL ? pecahead_get(cx->pa, c->bi, &gp) :
	    cx->ps != NULL ? pecfind(cx->ps, &key, &gp) : 0;
	haveact = actword(c, act, sizeof act);
	while (lo < hi || ng > 0) {
		const struct pec *p;

		if (ng == 0 || (lo < hi && peccmp(&cx->pecs[lo], *gp) <= 0))
			p = &cx->pecs[lo++];
		else {
			p = *gp++;
			ng--;
		}
		if (p->dom != c->dom)
			continue;
		any = 1;
		if (cfeq(c, C_PSKIND, p->pskind) && cfeq(c, C_PSNUM, p->psnum) &&
		    (*p->acts == '\0' || (haveact && strstr(p->acts, act) != NULL)) &&
		    p->from <= c->date && c->date <= p->to) {
			rank = p->amount - pecused(cx, p, b) > 0 ? (*p->acts != '\0' ? 2 : 1) : 0;
			if (rank > bestrank) {
				best = p;
				bestrank = rank;
			}
		}
	}
	if (best != NULL) {
		*pp = best;
		return LQ00;
	}
	return any ? LQ09 : LQ08;
}

/*
 * Is the age at the act within rule r's bounds?  Computed once a claim
 * (*a, INT_MIN till then), and only for a rule that has bounds: a rule
 * without (0 to 1000 years, the defaults) takes any beneficiary born on
 * or before the act and less than 365 000 days before (fewer than 1000
 * years: those hold 242 leap days at least).
 */
static int
ageok(const struct rule *r, int32_t birth, int32_t at, int *a)
{
	if (r->agemin <= 0 && r->agemax >= 999 && birth <= at && (int64_t)at - birth < 365000)
		return 1;
	if (*a == INT_MIN)
		*a = age(birth, at);
	return *a >= r->agemin && *a <= r->agemax;
}

/*
 * The rule of a claim: the first of the products in effect at d; its
 * product's reference and its rank there in *pref and *rank.
 */
static const struct rule *
rulefor(const struct ctx *cx, const struct claim *c, const struct benef *b,
    int32_t d, const char **pref, int32_t *rank)
{
	const struct guar *g = findguar(cx, b->amc);
	const struct product *pr;
	const struct rule *r;
	uint64_t done = 0;	/* the periods taken, a bit each */
	int i, j, k, best, a, haveact = -1;
	char act[32];

	if (g == NULL || c->dom < 0)
		return NULL;
	a = INT_MIN;
	for (;;) {
		/* The next period covering d, in product order, then file order. */
		best = -1;
		for (i = 0; i < b->nprods && i < 64; i++)
			if (!(done >> i & 1) && b->prods[i].start <= d && d <= b->prods[i].end &&
			    (best < 0 || b->prods[i].order < b->prods[best].order))
				best = i;
		if (best < 0)
			return NULL;
		done |= (uint64_t)1 << best;
		for (j = 0; j < g->nprods; j++) {
			pr = &g->prods[j];
			/* A product told by its reference's first byte first (a call a product). */
			if (pr->ref[0] != b->prods[best].ref[0] ||
			    strcmp(pr->ref, b->prods[best].ref) != 0)
				continue;
			for (k = 0; k < pr->nrules; k++) {
				r = &pr->rules[k];
				if (r->dom == c->dom && (*r->acts == '\0' ||
				    ((haveact < 0 ? (haveact = actword(c, act, sizeof act)) :
				    haveact) && strstr(r->acts, act) != NULL)) &&
				    ageok(r, b->birth, c->date, &a)) {
					*pref = pr->ref;
					*rank = k + 1;
					return r;
				}
			}
		}
	}
}

const struct rule *
findrule(const struct ctx *cx, struct claim *c, const struct benef *b,
    int32_t d)
{
	const struct rule *r;
	const char *pref;
	int32_t rank;

	if ((r = rulefor(cx, c, b, d, &pref, &rank)) != NULL) {
		c->pref = pref;
		c->rank = rank;
	}
	return r;
}

int
covered(const struct benef *b, int32_t d)
{
	int i;

	for (i = 0; i < b->nprods; i++)
		if (b->prods[i].start <= d && d <= b->prods[i].end)
			return 1;
	return 0;
}

static void
invkey(const struct claim *c, char *buf, size_t n)
{
	static const int part[3] = { C_PSKIND, C_PSNUM, C_INVOICE };
	size_t at = 0, m;
	int i;

	/* "kind:number:invoice", cut to n - 1 bytes. */
	for (i = 0; i < 3; i++) {
		if (i > 0 && at + 1 < n)
			buf[at++] = ':';
		m = CN(c, part[i]);
		if (m > n - 1 - at)
			m = n - 1 - at;
		memcpy(buf + at, CS(c, part[i]), m);
		at += m;
	}
	buf[at] = '\0';
}

static void
addevent(struct ctx *cx, const struct claim *c, const struct benef *b,
    const char *counter, long count, int64_t amount)
{
	struct event *e;

	if (cx->nev == cx->capev) {
		cx->capev = cx->capev ? cx->capev * 2 : 64;
		cx->ev = xrealloc(cx->ev, cx->capev * sizeof *cx->ev);
	}
	e = &cx->ev[cx->nev++];
	memset(e, 0, sizeof *e);
	scopy(e->member, sizeof e->member, b->member);
	scopy(e->counter, sizeof e->counter, counter);
	invkey(c, e->inv, sizeof e->inv);
	/* What a regularisation adds is the line's: given back with it. */
	if (c->nature != N_PAID && CN(c, C_DUPREF) > 0)
		bytecpy(e->claim, sizeof e->claim, CS(c, C_DUPREF), CN(c, C_DUPREF));
	else
		bytecpy(e->claim, sizeof e->claim, CS(c, C_DUPID), CN(c, C_DUPID));
	memcpy(e->bdate, cx->today_s, sizeof e->bdate);
	e->date = c->date;
	e->count = count;
	e->amount = amount;
}

/*
 * The window of a plafond for a claim, [*lo, *hi]: the calendar year of
 * the act; the contract's anniversary year that holds it (from the
 * start of the beneficiary's earliest product period; the calendar year
 * when that is unknown); or the months before and after the act, as
 * many as the beneficiary's age says.
 */
void
window(const struct plafond *p, const struct claim *c, const struct benef *b,
    int32_t *lo, int32_t *hi)
{
	int months = p->months, i, y, m, d, ay, am, ad, n;
	int32_t start = NOEND;

	date_to_ymd(c->date, &y, &m, &d);
	if (months) {
		for (i = 0; i < p->nage; i++)
			if (age(b->birth, c->date) <= p->agemax[i]) {
				months = p->agemonths[i];
				break;
			}
		*lo = addmonths(c->date, -months) + 1;
		*hi = addmonths(c->date, months) - 1;
		return;
	}
	if (p->anniv)
		for (i = 0; i < b->nprods; i++)
			if (b->prods[i].start != NOSTART && b->prods[i].start < start)
				start = b->prods[i].start;
	if (start == NOEND || start > c->date) {
		*lo = date_from_ymd(y, 1, 1);
		*hi = date_from_ymd(y, 12, 31);
		return;
	}
	/* The last anniversary on or before the act, and the day before the next. */
	date_to_ymd(start, &ay, &am, &ad);
	n = (y - ay) * 12;
	if (addmonths(start, n) > c->date)
		n -= 12;
	*lo = addmonths(start, n);
	*hi = addmonths(start, n + 12) - 1;
}

/* Does event e count for plafond p and the claim's beneficiary b? */
static int
counts(const struct event *e, const char *counter, const struct plafond *p,
    const struct benef *b, int32_t lo, int32_t hi)
{
	return strcmp(e->counter, counter) == 0 && (p->family || strcmp(e->member, b->member) == 0) &&
	    e->date >= lo && e->date <= hi;
}

/*
 * What a plafond has counted for a claim: the sum of the amounts, and the
 * number of other invoices, of the events in its window.
 */
int
counted(const struct ctx *cx, const struct plafond *p, const struct claim *c,
    const struct benef *b, int64_t *sum, long *ninv)
{
	const struct event *ev;
	int32_t lo, hi;
	size_t k, j;
	char inv[64];
	long tot;

	needev(cx);
	ev = cx->ev;
	window(p, c, b, &lo, &hi);
	invkey(c, inv, sizeof inv);
	*sum = 0;
	*ninv = 0;
	for (k = 0; k < cx->nev; k++) {
		const struct event *e = &ev[k];

		if (!counts(e, p->id, p, b, lo, hi))
			continue;
		if (money_add(sum, *sum, e->amount) < 0)
			return -1;
		if (strcmp(e->inv, inv) == 0)
			continue;
		/* An invoice counts once, when its counts add up above zero. */
		for (j = 0; j < k; j++)
			if (strcmp(ev[j].inv, e->inv) == 0 && counts(&ev[j], p->id, p, b, lo, hi))
				break;
		if (j < k)
			continue;
		tot = 0;
		for (j = k; j < cx->nev; j++)
			if (strcmp(ev[j].inv, e->inv) == 0 && counts(&ev[j], p->id, p, b, lo, hi))
				tot += ev[j].count;
		if (tot > 0)
			(*ninv)++;
	}
	return 0;
}

/* The counter of the optics parts of a plafond: "ID/frame", "ID/lens". */
static void
partcounter(char *buf, size_t n, const struct plafond *p, int part)
{
	snprintf(buf, n, "%s/%s", p->id, part == ACT_FRAME ? "frame" : "lens");
}

/*
 * The frames or lenses a plafond's window holds already, whatever the
 * invoice: an equipment is a frame and two lenses, bought together or
 * not (R871-2).
 */
long
partcount(const struct ctx *cx, const struct plafond *p, const struct claim *c,
    const struct benef *b)
{
	char counter[48], ref[48] = "";
	int32_t lo, hi;
	long n = 0;
	size_t k;

	needev(cx);
	partcounter(counter, sizeof counter, p, c->part);
	window(p, c, b, &lo, &hi);
	/* A regularisation's own line is not another part. */
	if (c->nature != N_PAID && CN(c, C_DUPREF) > 0)
		bytecpy(ref, sizeof ref, CS(c, C_DUPREF), CN(c, C_DUPREF));
	for (k = 0; k < cx->nev; k++)
		if (counts(&cx->ev[k], counter, p, b, lo, hi) && strcmp(cx->ev[k].claim, ref) != 0)
			n += cx->ev[k].count;
	return n;
}

/*
 * The counter of a PEC, "pec:NUMBER", into a buffer of 48 bytes, cut as
 * snprintf would: pecused builds it twice a claim, and snprintf cost a
 * third of it.
 */
static void
peccounter(char *counter, const char *number)
{
	size_t n = strlen(number);

	if (n > 48 - 5)
		n = 48 - 5;
	memcpy(counter, "pec:", 4);
	memcpy(counter + 4, number, n);
	counter[4 + n] = '\0';
}

int64_t
pecused(const struct ctx *cx, const struct pec *p, const struct benef *b)
{
	const struct event *ev;
	char counter[48];
	int64_t s = 0;
	size_t k;

	peccounter(counter, p->number);
	/* Before the family's events are loaded, cx->ev holds the day's alone. */
	if (cx->evready || !storesum(b->member, counter, &s))
		needev(cx);
	ev = cx->ev;
	for (k = 0; k < cx->nev; k++)
		if (strcmp(ev[k].counter, counter) == 0 && strcmp(ev[k].member, b->member) == 0)
			s += ev[k].amount;
	return s;
}

/* The formula of a rule, before any bound; -1 on overflow. */
int
formula(const struct rule *r, const struct claim *c, int64_t fr, int64_t br,
    int64_t amoth, int64_t *x)
{
	int64_t t, q = c->qty < 0 ? -c->qty : c->qty;

	switch (r->formula) {
	case FO_BR:
		return money_rate(&t, br, r->rate) < 0 ? -1 : money_sub(x, t, amoth);
	case FO_BRSUP:
		return money_rate(x, br, r->rate);
	case FO_FR:
		return money_rate(x, fr, r->rate);
	case FO_FIXE:
		return __builtin_mul_overflow(r->amount, q, x) ? -1 : 0;
	default:
		t = fr;
		if (r->haslimit) {
			if (__builtin_mul_overflow(r->limit, q, &t))
				return -1;
			if (t > fr)
				t = fr;
		}
		return money_sub(x, t, amoth);
	}
}

/*
 * The lines the day's adjustments refer to (dup_ref), with what is left
 * paid on each: by the ledger (dedup's dup_paid_eur) for a line of an
 * earlier day, by the day's own decision for a line of the day; then
 * less what the day recovers, plus what it pays again.  Open addressing
 * on the bytes of the reference.
 */
/*
 * The claim of the day whose identity is p (n bytes), of rank k in the
 * day's claims (dedup(1)'s date#N): at its place in one run; in a shard,
 * which holds some of the claims in their order, found by its rank among
 * those of the day it holds.  NULL if none.
 */
struct rankent {
	long k;
	size_t i;
};
static struct rankent *ranks;
static size_t nranks;
static int rankbuilt;

static int
rankcmp(const void *a, const void *b)
{
	const struct rankent *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k ? 1 : x->i < y->i ? -1 : x->i > y->i;
}

static const struct claim *
dayclaim(const struct ctx *cx, const struct claim *adj, const char *p, size_t n, long k)
{
	const struct claim *c;
	size_t lo, hi, mid, i;
	long r;

	if ((size_t)k <= cx->ncl && bytecmp(CS(&cx->cl[k - 1], C_DUPID),
	    CN(&cx->cl[k - 1], C_DUPID), p, n) == 0)
		return &cx->cl[k - 1];
	if (nshards == 0)
		return NULL;
	if (!rankbuilt) {
		ranks = xmalloc((cx->ncl ? cx->ncl : 1) * sizeof *ranks);
		for (i = 0; i < cx->ncl; i++) {
			c = &cx->cl[i];
			if (CN(c, C_DUPID) > 11 && CS(c, C_DUPID)[10] == '#' &&
			    memcmp(CS(c, C_DUPID), cx->today_s, 10) == 0 &&
			    int_parse(CS(c, C_DUPID) + 11, CN(c, C_DUPID) - 11, 1, LONG_MAX, &r) == 0) {
				ranks[nranks].k = r;
				ranks[nranks++].i = i;
			}
		}
		qsort(ranks, nranks, sizeof *ranks, rankcmp);
		rankbuilt = 1;
	}
	for (lo = 0, hi = nranks; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (ranks[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nranks && ranks[lo].k == k; lo++) {
		c = &cx->cl[ranks[lo].i];
		if (bytecmp(CS(c, C_DUPID), CN(c, C_DUPID), p, n) == 0)
			return c;
	}
	/*
	 * A line of the day another shard holds: its family is not this
	 * claim's, and what one run decides then depends on the order of
	 * the families.  The day is to be run in one piece (exit 75).
	 */
	if ((size_t)k <= nallclaims)
		die(EX_TEMPFAIL, "claim %.*s: adjusts line %.*s, of another family: "
		    "the day cannot be sharded, run it without -z", (int)CN(adj, C_DUPID),
		    CS(adj, C_DUPID), (int)n, p);
	return NULL;
}

static struct lref *
refget(struct ctx *cx, const struct claim *c)
{
	const char *p = CS(c, C_DUPREF);
	size_t n = CN(c, C_DUPREF), i, m = cx->lrefcap - 1;
	uint64_t h = 0xcbf29ce484222325ULL;
	struct lref *e;
	const struct claim *pc;
	int32_t d;
	long k;

	if (n == 0 || cx->lrefcap == 0)
		return NULL;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	for (i = (size_t)(h ^ h >> 32) & m; cx->lrefs[i].p != NULL; i = (i + 1) & m)
		if (bytecmp(cx->lrefs[i].p, cx->lrefs[i].n, p, n) == 0)
			return &cx->lrefs[i];
	e = &cx->lrefs[i];
	e->p = p;
	e->n = n;
	e->net = 0;
	if (n > 11 && p[10] == '#' && date_parse(p, 10, &d) == 0 && d == cx->today) {
		/* A line of the day: its rank is its place. */
		if (int_parse(p + 11, n - 11, 1, LONG_MAX, &k) == 0 &&
		    (pc = dayclaim(cx, c, p, n, k)) != NULL && pc->decided &&
		    (codedest[pc->code] == D_PS || codedest[pc->code] == D_PSREC))
			e->net = pc->amc;
	} else if (c->haspaid)
		e->net = camt(c, A_PAID);
	return e;
}

/*
 * Give back what the line ref consumed of each plafond and PEC: the sum
 * of its events under each counter, negated (all of it: a cancellation,
 * with its count), or at most x of each (a partial regularisation: the
 * equipment stays, count 0).  Its events are the family's, in cx->ev.
 */
static void
giveback(struct ctx *cx, const struct claim *c, int all, int64_t x)
{
	size_t k, j, n0;
	char ref[48];
	struct event e;
	long cnt;
	int64_t amt;

	needev(cx);
	n0 = cx->nev;
	bytecpy(ref, sizeof ref, CS(c, C_DUPREF), CN(c, C_DUPREF));
	for (k = 0; k < n0; k++) {
		if (strcmp(cx->ev[k].claim, ref) != 0)
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(cx->ev[j].claim, ref) == 0 &&
			    strcmp(cx->ev[j].counter, cx->ev[k].counter) == 0 &&
			    strcmp(cx->ev[j].member, cx->ev[k].member) == 0)
				break;
		if (j < k)
			continue;	/* this counter done */
		cnt = 0;
		amt = 0;
		for (j = k; j < n0; j++)
			if (strcmp(cx->ev[j].claim, ref) == 0 &&
			    strcmp(cx->ev[j].counter, cx->ev[k].counter) == 0 &&
			    strcmp(cx->ev[j].member, cx->ev[k].member) == 0) {
				cnt += cx->ev[j].count;
				if (money_add(&amt, amt, cx->ev[j].amount) < 0)
					die(EX_DATAERR, "%s: consumption of %s out of range", cx->ev[j].counter, ref);
			}
		if (!all) {
			cnt = 0;
			if (amt > x)
				amt = x;
		}
		if (amt <= 0 && cnt <= 0)
			continue;
		e = cx->ev[k];
		if (cx->nev == cx->capev) {
			cx->capev = cx->capev ? cx->capev * 2 : 64;
			cx->ev = xrealloc(cx->ev, cx->capev * sizeof *cx->ev);
		}
		e.count = -cnt;
		e.amount = -amt;
		e.rawn = 0;	/* not the line it was read from */
		memcpy(e.bdate, cx->today_s, sizeof e.bdate);
		cx->ev[cx->nev++] = e;
	}
	(void)c;
}

/*
 * What a contrat responsable may pay of a claim at most, given x, what
 * its rule pays before any bound (Code de la sécurité sociale L871-1,
 * R871-1, R871-2; liquidate(1), CONTRAT RESPONSABLE):
 *  - never the participation forfaitaire nor the franchises, the claim's
 *    own (pf): at most FR - AMO paid - pf;
 *  - never the majoration outside the care pathway: there the AMO's rate
 *    is HP_POINTS lower, and those points of BR stay with the insured;
 *  - a doctor's dépassement (FR - BR, domains MEDG and MEDS) when the PS
 *    register (-P) does not say the doctor adheres to OPTAM: at most
 *    100 % BR, and 20 points of BR below what the rule pays above BR;
 *  - a frame: at most FRAME_CAP a unit, the AMO's part included, less
 *    what its line kept already (kept: a regularisation's).
 * -1 on overflow.
 */
int
rcbound(const struct ctx *cx, const struct claim *c, const struct rule *r,
    int64_t fr, int64_t br, int64_t amo, int64_t amoth, int64_t pf, int64_t x0,
    int64_t kept, int64_t *bound)
{
	int64_t t, u, full, cap, level, gap;
	const struct psrow *w;
	long rate;

	(void)r;
	if (money_sub(&t, fr, amo) < 0 || money_sub(bound, t, pf) < 0)
		return -1;
	/* The rate the AMO would have paid in the pathway. */
	full = amoth;
	if (c->parcours == PC_OUT) {
		rate = c->rate + HP_POINTS > 10000 ? 10000 : c->rate + HP_POINTS;
		if (money_rate(&full, br, rate) < 0 || money_sub(&t, full, amoth) < 0 ||
		    money_sub(bound, *bound, t) < 0)
			return -1;
	}
	if (cx->reg != NULL && br > 0 && fr > br && c->dom >= 0 &&
	    (strcmp(domnames[c->dom], "MEDG") == 0 || strcmp(domnames[c->dom], "MEDS") == 0)) {
		w = psreg_find(cx->reg, CS(c, C_PSKIND), CN(c, C_PSKIND), CS(c, C_PSNUM),
		    CN(c, C_PSNUM), c->date);
		if (w == NULL || w->optam != 1) {
			/* What the rule pays above BR (the OPTAM level), less 20 points. */
			if (money_sub(&t, br, amoth) < 0 || money_sub(&level, x0, t) < 0 ||
			    money_rate(&gap, br, NOOPTAM_GAP) < 0 || money_sub(&cap, level, gap) < 0 ||
			    money_rate(&u, br, NOOPTAM_MAX) < 0)
				return -1;
			if (cap > u)
				cap = u;
			if (cap < 0)
				cap = 0;
			/* The ticket modérateur in the pathway, and that dépassement. */
			if (money_sub(&t, br, full) < 0 || money_add(&t, t, cap) < 0)
				return -1;
			if (t < *bound)
				*bound = t;
		}
	}
	if (c->part == ACT_FRAME) {
		if (__builtin_mul_overflow((int64_t)FRAME_CAP, c->qty < 0 ? -c->qty : c->qty, &t) ||
		    money_sub(&t, t, amo) < 0 || money_sub(&t, t, kept) < 0)
			return -1;
		if (t < *bound)
			*bound = t;
	}
	return 0;
}

/*
 * A claim's rights at its act date, its beneficiary b known: LQ00, or
 * the code of the first check that fails (LQ02, LQ04, LQ05, LQ06; none
 * for a cancellation).  *at: the date its products are taken at (after
 * a radiation, rights_end); *psrec: paid and recovered from the
 * beneficiary (LQ03).  It reads the claim, b and the cards: nothing a
 * decision changes.
 */
static int
rights(const struct ctx *cx, const struct claim *c, const struct benef *b, int cancel,
    int32_t *at, int *psrec)
{
	uint32_t doms;
	int open;

	*at = c->date;
	*psrec = 0;
	open = covered(b, c->date);
	if (!open && c->date > b->rend && b->rend != NOEND)
		*at = b->rend;
	if (!cancel) {
		/*
		 * Radiated, the act after its rights' end: paid and recovered
		 * from the beneficiary if it still held a valid card (3.1.4,
		 * second case).  With the cards generation, the card issued,
		 * not the master's latest service dates, which a later file
		 * may have changed since.
		 */
		if (!open) {
			if (c->date > b->rend && (cx->cards ? cardon(b, c->date) != 0 :
			    b->active && b->tpstart <= c->date && c->date <= b->tpend))
				*psrec = 1;
			else {
				return LQ02;
			}
		}
		if (!(*psrec && cx->cards) &&
		    (!b->active || c->date < b->tpstart || c->date > b->tpend)) {
			return LQ04;
		}
		if (b->susstart <= c->date && c->date <= b->susend) {
			return LQ05;
		}
		/* A master without domains: those of the card it holds, if any. */
		doms = b->doms;
		if (doms == 0 && cx->cards)
			doms = cardon(b, c->date) & ~(1u << 31);
		if (c->dom >= 0 && doms != 0 && !(doms & (1u << c->dom))) {
			return LQ06;
		}
	}
	return LQ00;
}

/*
 * Does decide look for c's PEC (findpec)?  What it reads to know is the
 * claim, its beneficiary, the cards and the guarantees, none of which a
 * decision changes: pecahead.c asks it ahead of the decisions.
 */
int
needpec(const struct ctx *cx, const struct claim *c)
{
	const struct benef *b;
	const struct rule *r;
	const char *pref;
	int32_t at, rank;
	int psrec;

	if (c->nature == N_REJECT || c->nature == N_CANCEL || c->bi < 0 ||
	    (c->nature == N_REGUL && camt(c, A_FR) < 0))
		return 0;
	b = &cx->bens[c->bi];
	if (rights(cx, c, b, 0, &at, &psrec) != LQ00)
		return 0;
	return (r = rulefor(cx, c, b, at, &pref, &rank)) != NULL && r->pec;
}

/* One claim's decision; consumption in cx->ev. */
void
decide(struct ctx *cx, struct claim *c)
{
	const struct benef *b = NULL;
	const struct rule *ru = NULL;
	const struct pec *pe = NULL;
	const struct plafond *pl = NULL;
	int code, cancel, psrec = 0, s100 = 0;
	struct lref *lr = NULL;
	int64_t fr, br, amo, amoth, x, bound, s = 0, left, t100, plv;
	long n = 0;
	int32_t at;
	char counter[48];

	cancel = c->nature == N_CANCEL || (c->nature == N_REGUL && camt(c, A_FR) < 0);
	/*
	 * An AMO rejection of a line paid: recovered from the PS, and what
	 * it consumed given back.  A cancellation of a line paid: what is
	 * left paid on it, the same way; of a line never paid, or already
	 * recovered, nothing (LQ18).
	 */
	if (c->nature != N_PAID)
		lr = refget(cx, c);
	if (c->nature == N_REJECT || c->nature == N_CANCEL) {
		if (lr == NULL || lr->net <= 0) {
			code = c->nature == N_REJECT ? LQ13 : LQ18;
			goto done;
		}
		x = lr->net;
		giveback(cx, c, 1, x);
		lr->net = 0;
		c->amc = -x;
		code = c->nature == N_REJECT ? LQ19 : LQ16;
		goto done;
	}
	if (cancel && (lr == NULL || lr->net <= 0)) {
		code = LQ18;
		goto done;
	}
	if (c->bi < 0) {
		code = LQ01;
		goto done;
	}
	b = &cx->bens[c->bi];
	if ((code = rights(cx, c, b, cancel, &at, &psrec)) != LQ00)
		goto done;
	if ((ru = findrule(cx, c, b, at)) == NULL) {
		code = LQ07;
		goto done;
	}
	if (ru->plaf >= 0)
		pl = &findguar(cx, b->amc)->plafs[ru->plaf];
	if (!cancel) {
		if (ru->pec && (code = findpec(cx, c, b, &pe)) != LQ00)
			goto done;
		if (c->noemie && !c->tp) {
			code = LQ10;
			goto done;
		}
		if (c->dup) {
			code = LQ11;
			goto done;
		}
		/*
		 * A client may refuse to pay on the AMO's décompte alone,
		 * without the PS's invoice (general conditions 3.1.2): the
		 * line is the client's, to reimburse the insured.
		 */
		if (c->noemie && findguar(cx, b->amc)->nonoemie) {
			code = LQ20;
			goto done;
		}
	}
	/* Amounts: those of the act a cancellation undoes. */
	fr = camt(c, A_FR), br = camt(c, A_BR), amo = camt(c, A_AMO);
	if (cancel) {
		if (fr == INT64_MIN || br == INT64_MIN || amo == INT64_MIN) {
			code = LQ12;
			goto done;
		}
		fr = -fr, br = -br, amo = -amo;
	}
	/*
	 * The AMO rounds its own part: what it paid may be AMO_TOLERANCE
	 * above BR x rate (rounded half up here) and still be coherent.
	 */
	if (br < 0 || fr < 0 || amo < 0 || c->rate < 0 || c->rate > 10000 ||
	    money_rate(&amoth, br, c->rate) < 0 || amo - AMO_TOLERANCE > amoth || fr < amo ||
	    formula(ru, c, fr, br, amoth, &x) < 0) {
		code = LQ12;
		goto done;
	}
	/*
	 * A contrat responsable leaves PF, franchises, the majoration outside
	 * the care pathway and part of the dépassements to the insured; a
	 * guarantee that is not responsable may pay them: never more than
	 * what the AMO left of FR.
	 */
	/*
	 * 100 % Santé (L871-1, R871-2): an act of the basket, its price
	 * regulated, is paid whole up to that price by a contrat
	 * responsable, whatever the rule says below it; no plafond's or
	 * PEC's amount cuts it (s100).
	 */
	if (b->responsable && !cancel && c->hasplv &&
	    (plv = actplv(CS(c, C_ACTCODE), CN(c, C_ACTCODE))) > 0) {
		if (__builtin_mul_overflow(plv, c->qty < 0 ? -c->qty : c->qty, &t100) ||
		    money_sub(&t100, t100 < fr ? t100 : fr, amo) < 0) {
			code = LQ12;
			goto done;
		}
		if (t100 > x)
			x = t100;
		s100 = 1;
	}
	if (b->responsable) {
		if (rcbound(cx, c, ru, fr, br, amo, amoth,
		    cancel ? -camt(c, A_PF) : camt(c, A_PF), x,
		    !cancel && lr != NULL && lr->net > 0 ? lr->net : 0, &bound) < 0) {
			code = LQ12;
			goto done;
		}

	} else
		bound = fr - amo;
	if (x > bound)
		x = bound;
	if (x < 0)
		x = 0;
	if (cancel) {
		/* A negative regularisation: the part it cancels, at most what is left. */
		if (x > lr->net)
			x = lr->net;
		if (x == 0) {
			code = LQ17;
			goto done;
		}
		giveback(cx, c, 0, x);
		lr->net -= x;
		c->amc = -x;
		code = LQ16;
		goto done;
	}
	if (pl != NULL) {
		if (counted(cx, pl, c, b, &s, &n) < 0) {
			code = LQ12;
			goto done;
		}
		/*
		 * An equipment limit: a frame or lenses counted as parts
		 * whatever invoice brought them (two lenses an equipment);
		 * other acts, by invoice.  A documented change of sight
		 * renews the equipment early (R871-2): counted, not limited.
		 */
		if (pl->count > 0 && !(c->part && c->sight) &&
		    (c->part ? partcount(cx, pl, c, b) + (c->qty < 1 ? 1 : c->qty) >
		    pl->count * (c->part == ACT_LENS ? 2 : 1) : n >= pl->count)) {
			code = LQ15;
			goto done;
		}
	}
	if (pe != NULL && !s100) {
		left = pe->amount - pecused(cx, pe, b);
		if (left <= 0) {
			code = LQ14;
			goto done;
		}
		if (x > left)
			x = left, c->flags |= F_CAPPED;
	}
	if (pl != NULL && pl->hasamt && !s100) {
		left = pl->amount - s;
		if (left <= 0) {
			code = LQ14;
			goto done;
		}
		if (x > left)
			x = left, c->flags |= F_CAPPED;
	}
	if (x == 0) {
		code = LQ17;
		goto done;
	}
	c->amc = x;
	if (pl != NULL) {
		addevent(cx, c, b, pl->id, 1, x);
		/* A regularisation adds no part: its line's are counted. */
		if (c->part && c->nature == N_PAID) {
			partcounter(counter, sizeof counter, pl, c->part);
			addevent(cx, c, b, counter, c->qty < 1 ? 1 : c->qty, 0);
		}
	}
	if (pe != NULL) {
		peccounter(counter, pe->number);
		addevent(cx, c, b, counter, 1, x);
	}
	code = psrec ? LQ03 : LQ00;
	if (lr != NULL && money_add(&lr->net, lr->net, x) < 0)
		die(EX_DATAERR, "claim %.*s: amounts out of range", (int)CN(c, C_DUPID),
		    CS(c, C_DUPID));
done:
	c->code = code;
	c->decided = 1;
	/* The rest to pay, in range: what crac computes again, unchecked. */
	if (money_sub(&s, camt(c, A_FR), camt(c, A_AMO)) < 0 ||
	    money_sub(&s, s, c->amc) < 0)
		die(EX_DATAERR, "%.*s: claim %.*s: amounts out of range", (int)CN(c, C_FILE),
		    CS(c, C_FILE), (int)CN(c, C_DUPID), CS(c, C_DUPID));
}
