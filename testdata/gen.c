/*
 * tiers-gen: make the test data of a run of business days: a world of
 * clients, beneficiaries and health professionals, the claim lines they
 * exchange with known anomalies injected, and the truth about them.
 *
 * Everything is a pure function of the seed, the options and an index:
 * beneficiary i, PS i, the layout of block b of day j, the invoice that
 * starts at line k, line k itself.  An earlier line or day can therefore
 * be regenerated to make a duplicate without storing anything.  The world
 * model comes first, then the renderers that write it as record streams.
 *
 * A day's directory holds what the operator receives, and is used as the
 * nightly's inbox as it is; what only the generator knows (the world, the
 * claim lines, the truth about them) goes to truth/DAY beside it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

#define BLK	8		/* line slots of one layout block */
#define MAXINV	4		/* lines of one invoice, at most */
#define FAMSZ	4		/* beneficiaries of one adherent */
#define GOLDEN	0x9e3779b97f4a7c15ULL
/*
 * Identifiers are made unique by an affine permutation x * MUL + off
 * modulo the size of their space; MUL, a prime, is coprime to each.
 */
#define MUL	2654435761ULL
#define NIRMOD	(2ULL * 12 * 999 * 594)	/* sex, month, order, commune */
#define INVMOD	999999999ULL
#define MAXBENEF 10000000
#define MAXPS	1000000

/* What the counter-based generator is asked about. */
enum {
	K_WORLD, K_CLIENT, K_FAMILY, K_BENEF, K_PS, K_DAY, K_BLOCK,
	K_INVOICE, K_LINE, K_DUP, K_ROUTE, K_BFILE, K_PEC, K_LATE, K_CONTEST,
	K_PARCOURS, K_FRANCHISE, K_OPTICS, K_EXTRA, K_ANNIV, K_PAY, K_INDUS, K_CARDS,
	K_REJECT, K_RECOVER
};

/*
 * Anomalies, in the order of the truth file; then the world's options
 * (-A optam and the others after it), which are not anomalies of lines
 * but are given and parsed as them.
 */
enum {
	A_NONE, A_BADNIR, A_UNKNOWN, A_CLOSED, A_DUPINTRA, A_DUPINTER,
	A_CANCEL, A_NEAR, A_NOPEC, A_TRUNC, A_LATE, A_LATEPEC, A_CONTEST,
	A_OPTAM, A_PARCOURS, A_FRANCHISE, A_OPTICS, A_ANNIV, A_PAY, A_INDUS, A_CARDS,
	NANOM
};
static const char *const anames[NANOM] = {
	"none", "badnir", "unknown", "closed", "dupintra", "dupinter",
	"cancel", "near", "nopec", "truncated", "late", "latepec", "contest",
	"optam", "parcours", "franchise", "optics", "anniv", "pay", "indus", "cards"
};
/*
 * Per 10 000 claim lines; nopec per 10 000 invoices that need a PEC;
 * truncated per 10 000 days; late per 10 000 families (declared by their
 * client on a later day than the first: their claims come before);
 * latepec per 10 000 invoices that need a PEC (granted the next day);
 * contest per 10 000 lines rejected for good as not covered (LQ07),
 * contested by the PS the next day.  The options, off by default: optam
 * per 10 000 doctors, parcours per 10 000 doctors' lines of the B2 file,
 * franchise per 10 000 pharmacy lines, optics per 10 000 opticians'
 * invoices, anniv per 10 000 families, pay per 10 000 PS (whose bank
 * details are wrong in the register), indus per 10 000 clients (that
 * allow compensation in the indus parameters), cards per 10 000 families
 * (sent without a mailing address: their cards are refused, CE01).
 */
static const int arate[NANOM] = {
	0, 50, 50, 50, 30, 30, 20, 20, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};
#define ISREPEAT(a) ((a) == A_DUPINTRA || (a) == A_DUPINTER || (a) == A_CANCEL || \
	(a) == A_NEAR)

enum { RPPS, FINESS };
static const char *const pskinds[] = { "RPPS", "FINESS" };

/*
 * Acts: unit BR drawn in [brlo, brhi]; with probability over per 10 000
 * the PS charges above the base, by up to overhi a unit (at least a fifth
 * of it); rates in basis points; PF on visits only.  The parts of an
 * optics equipment (-A optics) have weight 0: only equipment invoices
 * hold them, a frame and two lenses, a line each.
 */
enum { P_NONE, P_FRAME, P_LENS };
static const struct act {
	const char *code;
	int weight;		/* within its domain, the weights sum to 100 */
	int64_t brlo, brhi;
	int rate;
	int64_t pf;
	int over;
	int64_t overhi;
	int qty;		/* at most */
	int part;		/* P_FRAME, P_LENS: counted as parts of an equipment */
} acts[] = {
	{ "PH7", 60, 100, 4000, 6500, 0, 0, 0, 3, P_NONE },
	{ "PH4", 30, 100, 3000, 3000, 0, 0, 0, 3, P_NONE },
	{ "PH2", 10, 100, 2000, 1500, 0, 0, 0, 2, P_NONE },
	{ "G", 90, 3000, 3000, 7000, 200, 1000, 2000, 1, P_NONE },
	{ "VG", 10, 4000, 4000, 7000, 200, 500, 2000, 1, P_NONE },
	{ "CS", 70, 3000, 3000, 7000, 200, 4000, 3000, 1, P_NONE },
	{ "APC", 30, 6000, 6000, 7000, 200, 4000, 5000, 1, P_NONE },
	{ "SC", 70, 2000, 10000, 6000, 0, 0, 0, 1, P_NONE },
	{ "SPR", 30, 12000, 12000, 6000, 0, 10000, 70000, 1, P_NONE },
	{ "OPT", 100, 5, 15, 6000, 0, 10000, 40000, 2, P_NONE },
	{ "OME", 0, 2000, 3500, 6000, 0, 10000, 20000, 1, P_FRAME },
	{ "OV1", 0, 1000, 3000, 6000, 0, 10000, 10000, 1, P_LENS },
	{ "B", 100, 500, 6000, 6000, 0, 0, 0, 1, P_NONE },
	{ "GHS", 60, 80000, 600000, 8000, 0, 0, 0, 1, P_NONE },
	{ "FJ", 40, 2000, 2000, 0, 0, 0, 0, 10, P_NONE }
};

/* Care domains; weight is the share of PS, the weights sum to 100. */
static const struct domain {
	const char *name;
	int kind;
	int weight;
	int maxlines;
	int delay;		/* acts may precede the invoice */
	int act0;		/* its first act in acts[] */
} domains[] = {
	{ "PHAR", FINESS, 30, 4, 0, 0 },
	{ "MEDG", RPPS, 30, 1, 1, 3 },
	{ "MEDS", RPPS, 10, 1, 1, 5 },
	{ "DENT", RPPS, 10, 2, 1, 7 },
	{ "OPTI", RPPS, 8, 2, 1, 9 },
	{ "LABO", FINESS, 8, 2, 1, 12 },
	{ "HOSP", FINESS, 4, 2, 1, 13 }
};

/* Bank codes of French banks, for the PS accounts. */
static const char *const banks[] = {
	"30002", "30003", "30004", "30066", "10278", "20041", "11315",
	"16606", "10107", "18206", "13507", "17515"
};
#define NBANK (sizeof banks / sizeof banks[0])

struct world {
	uint64_t base;		/* the seed, mixed */
	uint64_t nbenef, nps, nlines;
	int nclient, ndays;
	int rate[NANOM];
	int32_t *day;		/* the business days generated */
	char (*ymd)[9];		/* their YYYYMMDD, for line ids: 8 bytes, no NUL */
	int32_t first, last;
	int y0;			/* year of the first day */
	uint64_t off;		/* offset of the identifier permutations */
	char (*amc)[10];	/* AMC number of each client */
};

struct rng {
	uint64_t s;
};

struct benef {
	uint64_t id;
	int client;
	int rang;
	int gone;		/* radiated before the first day */
	int key;
	char adherent[11];
	char nir[14];
	int32_t birth, start, end;
};

struct ps {
	uint64_t i;		/* its index in the world */
	int dom;
	char num[12];
	int optam;		/* -A optam, doctors: 1 adheres, 0 not, -1 not said */
};

/*
 * An optics equipment (-A optics): a frame and two lenses on one
 * invoice, a line each (EQ_WHOLE), the frame alone with the lenses the
 * next day (EQ_SPLIT, then EQ_LENSES), or a whole one followed the next
 * day by a second (EQ_SECOND, then EQ_AGAIN).
 */
enum { EQ_NONE, EQ_WHOLE, EQ_SPLIT, EQ_SECOND, EQ_LENSES, EQ_AGAIN };

struct invoice {
	int j;			/* day index */
	uint64_t kf;		/* its first line */
	int size;
	int anom;
	uint64_t number;
	int32_t date;
	int tp;
	int key;		/* the NIR key as written */
	int64_t total;
	int equip;		/* EQ_* */
	struct ps ps;
	struct benef b;
};

struct line {
	int act;
	int qty;
	int32_t date;
	int rate;		/* the AMO's: 40 points lower outside the care pathway */
	int hp;			/* -A parcours: a visit outside the care pathway */
	int64_t fr, br, amo, pf, fran;
};

/* One block of line slots: duplicates and the invoices between them. */
struct block {
	int n;
	int dup[BLK];		/* A_DUPINTRA, A_DUPINTER, A_CANCEL or A_NONE */
	int of[BLK];		/* the invoice of each other slot */
	int ninv;
	struct invoice inv[BLK];
};

/* A walk through the claim lines of one day, in order. */
struct walk {
	int j;
	uint64_t k;		/* the next line */
	struct block blk;
	struct line ln[MAXINV];	/* the lines of the current invoice */
	int noextra;		/* stop at nlines: not the parts sent later */
	size_t xi;		/* the parts sent later: the current invoice */
};

/*
 * The parts of equipments sent later (-A optics): day j's invoices after
 * its nlines lines, one for each equipment of day j - 1 split (its
 * lenses) or followed by a second (a frame and lenses), from the same
 * optician for the same beneficiary.  Only those of clean invoices of
 * families declared the first day: they are never on hold, contested
 * nor repeated.  Made once a day.
 */
struct xday {
	int done;
	size_t n, alloc;
	uint64_t nl;		/* their lines */
	struct invoice *inv;
};
static struct xday *xdays;

/* One claim line: its invoice, itself, and what it is. */
struct claim {
	uint64_t k;
	int anom;
	int oj;			/* the original of a duplicate: day, line */
	uint64_t ok;
	const struct invoice *inv;
	const struct line *ln;
	struct invoice dinv;	/* a duplicate's invoice and line */
	struct line dln;
	int nearv;		/* a near-repeat: 0 one cent more, 1 a day earlier */
	int again;		/* a line on hold presented again */
	int contested;		/* and presented again because its PS contested it */
	int rej;		/* a cancellation that is an AMO reject (-A indus) */
};

/* The codes of liquidate(1), LQ00 to LQ19. */
enum { LQ00, LQ01, LQ02, LQ03, LQ07 = 7, LQ08, LQ09, LQ10, LQ11, LQ13 = 13, LQ14, LQ15, LQ16, LQ17,
	LQ18, LQ19, NLQ };

/* What each bound of the contrat responsable withheld (the truth's cr_ rows). */
enum { W_FRANCHISE, W_PARCOURS, W_OPTAM, W_FRAME, NW };

/* The outcomes of reject-code(1). */
enum {
	O_PAID, O_REPORT, O_REJECTED, O_HOLD, O_EXPIRED, O_RECOVER, O_CLIENT,
	O_CONFIRMED, NOUT
};
/* What payment-edit(1) must do of the lines paid (the truth's pay_ rows). */
enum { PY_PAID, PY_RELEASED, PY_HELD, PY_TRANSFERS, PY_OFFSET, NPAY };
static const char *const pynames[NPAY] = {
	"pay_paid", "pay_released", "pay_held", "pay_transfers", "pay_offset"
};

/* What indus-extract(1) must keep of the day (the truth's indus_ rows). */
enum {
	IN_NEWPS, IN_NEWBENEF, IN_RETRO, IN_OFFSETPS, IN_RECPS, IN_RECBENEF, IN_TRANSPS,
	IN_TRANSBENEF, IN_OPENPS, IN_OPENBENEF, NIND
};
static const char *const innames[NIND] = {
	"indus_new_ps", "indus_new_benef", "indus_retro_benef", "indus_offset_ps",
	"indus_recovered_ps", "indus_recovered_benef", "indus_transferred_ps",
	"indus_transferred_benef", "indus_open_ps", "indus_open_benef"
};

static const char *const onames[NOUT] = {
	"paid", "paid-report", "rejected", "hold", "expired", "recover", "client",
	"confirmed"
};

struct truth {
	int j;			/* the day */
	uint64_t n[NANOM];
	int64_t fr[NANOM];
	int64_t frtot, amotot;
	uint64_t lq[NLQ], nident, ncapped;
	int64_t lqamc[NLQ], identamc, cappedamc, amctot;
	uint64_t out[NOUT];	/* every line decided, presented again or not */
	int64_t outamc[NOUT];
	uint64_t ncr[NW], nanniv;	/* what the options' rules changed */
	int64_t cramt[NW], annivamc;
	uint64_t pay[NPAY];	/* -A pay: the day's payments */
	int64_t payamt[NPAY];
	uint64_t ind[NIND];	/* -A indus: the day's indus ledger */
	int64_t indamt[NIND];
};

/* A PEC granted: what a claim line must match, and what it paid so far. */
struct pec {
	char no[16];
	int client;
	char nir[14];
	int32_t birth;
	int rang;
	struct ps ps;
	unsigned acts;		/* a bit for each act of acts[] */
	int32_t from, to;
	int64_t amount, used;
};

/* An output stream being written under a temporary name. */
struct out {
	struct pub p;
	struct ts_writer w;
	char path[PATH_MAX];
};

/* splitmix64's finaliser: a bijection of 64-bit words. */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The random stream of one (kind, a, b): no state outlives a call. */
static void
rinit(struct rng *r, const struct world *w, int kind, uint64_t a, uint64_t b)
{
	r->s = mix(mix(mix(w->base ^ (uint64_t)kind * GOLDEN) ^ a) ^
	    (b + 1) * GOLDEN);
}

static uint64_t
rnext(struct rng *r)
{
	r->s += GOLDEN;
	return mix(r->s);
}

/* Uniform in [0, n): the bias of a 64-bit modulo is negligible here. */
static uint64_t
below(struct rng *r, uint64_t n)
{
	return rnext(r) % n;
}

/* v as exactly n decimal digits. */
static void
digits(char *p, uint64_t v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* An index's place in [0, mod): distinct indices below mod stay distinct. */
static uint64_t
perm(const struct world *w, uint64_t i, uint64_t mod)
{
	return (i % mod * (MUL % mod) + w->off) % mod;
}

static int32_t
monthlen(int y, int m)
{
	return m == 12 ? date_from_ymd(y + 1, 1, 1) - date_from_ymd(y, 12, 1) :
	    date_from_ymd(y, m + 1, 1) - date_from_ymd(y, m, 1);
}

/*
 * The anniversary of day start in year y: the same day and month, 28
 * February for a 29 February in a common year.
 */
static int32_t
anniversary(int32_t start, int y)
{
	int sy, m, d;

	date_to_ymd(start, &sy, &m, &d);
	return date_from_ymd(y, m, date_valid(y, m, d) ? d : 28);
}

/*
 * The rights start of a family of -A anniv: at its rate, one whose
 * anniversary falls among the act dates of the run (from 17 days before
 * the first day: an invoice 3 days old, an act 14 days before it), one
 * to eight years back; else start.  A stream of its own.
 */
static int32_t
annivstart(const struct world *w, uint64_t fam, int32_t start)
{
	struct rng r;
	int32_t t;
	int y, m, d;

	rinit(&r, w, K_ANNIV, fam, 0);
	if ((int)below(&r, 10000) >= w->rate[A_ANNIV])
		return start;
	t = w->first - 17 + (int32_t)below(&r, (uint64_t)(w->last - w->first + 18));
	date_to_ymd(t, &y, &m, &d);
	return anniversary(t, y - 1 - (int)below(&r, 8));
}

static int late(const struct world *, uint64_t);

/*
 * Beneficiary i.  Those of one family of FAMSZ share the client, the
 * adherent number and the rights start.  The sex, birth month, commune
 * and order of the NIR come from a permutation of i, so that the NIRs of
 * the first NIRMOD beneficiaries are distinct whatever the other draws.
 * Indices from nbenef on are people the world does not know.
 */
static void
benef(const struct world *w, uint64_t i, struct benef *b)
{
	struct rng r, rf;
	uint64_t x, fam = i / FAMSZ, cmn;
	int y, m, u;
	int32_t start;

	rinit(&rf, w, K_FAMILY, fam, 0);
	rinit(&r, w, K_BENEF, i, 0);
	b->id = i + 1;
	b->client = (int)below(&rf, (uint64_t)w->nclient);
	digits(b->adherent, 10 + below(&rf, 90), 2);
	digits(b->adherent + 2, fam + 1, 8);
	b->adherent[10] = '\0';
	start = w->first - 90 - (int32_t)below(&rf, 3650);
	if (w->rate[A_ANNIV] > 0)
		start = annivstart(w, fam, start);

	x = perm(w, i, NIRMOD);
	b->nir[0] = (char)('1' + x % 2);
	x /= 2;
	m = (int)(x % 12) + 1;
	x /= 12;
	digits(b->nir + 10, x % 999 + 1, 3);
	cmn = x / 999;
	/* Children are young; the others anywhere from 2 to 95. */
	y = w->y0 - 2 - (int)below(&r, i % FAMSZ >= 2 ? 25 : 93);
	digits(b->nir + 1, (uint64_t)y % 100, 2);
	digits(b->nir + 3, (uint64_t)m, 2);
	u = (int)below(&r, 10000);
	if (u < 150) {
		memcpy(b->nir + 5, u < 80 ? "2A" : "2B", 2);
		digits(b->nir + 7, cmn + 1, 3);
	} else if (u < 450) {
		/* Overseas: a 3-digit department, a 2-digit commune. */
		memcpy(b->nir + 5, "97", 2);
		digits(b->nir + 7, 1 + cmn / 99, 1);
		digits(b->nir + 8, cmn % 99 + 1, 2);
	} else {
		u = 1 + (int)below(&r, 94);
		digits(b->nir + 5, (uint64_t)(u >= 20 ? u + 1 : u), 2);
		digits(b->nir + 7, cmn + 1, 3);
	}
	b->nir[13] = '\0';
	if (nir_key(b->nir, &b->key) < 0)
		die(EX_SOFTWARE, "beneficiary %llu: bad NIR made",
		    (unsigned long long)b->id);
	b->birth = date_from_ymd(y, m, 1) + (int32_t)below(&r, (uint64_t)monthlen(y, m));
	u = (int)below(&r, 10000);
	b->rang = u < 9700 ? 1 : u < 9950 ? 2 : 3 + (int)below(&r, 7);
	b->start = start > b->birth ? start : b->birth;
	/* Beneficiary 0 stays, so that the world has one at least. */
	b->gone = i != 0 && below(&r, 10000) < 500;
	if (b->gone)
		b->end = b->start + (int32_t)below(&r,
		    (uint64_t)(w->first - 31 - b->start + 1));
	/*
	 * With -A indus, a radiation sent late ends the rights at most 50
	 * days before the first day: the acts of the 60 days it is late by
	 * are paid until it is corrected, then owed back (a stream of its
	 * own).
	 */
	if (b->gone && w->rate[A_INDUS] > 0 && late(w, i)) {
		rinit(&rf, w, K_INDUS, i, 1);
		b->end = w->first - 31 - (int32_t)below(&rf, 20);
		if (b->end < b->start)
			b->end = b->start;
	}
	if (!b->gone)
		b->end = w->last + 30 + (int32_t)below(&r, 700);
}

/*
 * The account of PS i, a French IBAN: bank, branch, account, RIB key,
 * ISO 13616 check.  A stream of its own, since claims do not need it.
 */
static void
ibanof(const struct world *w, int kind, uint64_t i, char *s)
{
	struct rng r;
	uint64_t rem = 0;
	int key, k;

	rinit(&r, w, kind, i, 1);
	memcpy(s, "FR00", 4);
	memcpy(s + 4, banks[below(&r, NBANK)], 5);
	digits(s + 9, below(&r, 100000), 5);
	digits(s + 14, below(&r, 100000000000ULL), 11);
	if (rib_key(s + 4, s + 9, s + 14, &key) < 0)
		die(EX_SOFTWARE, "bad RIB made");
	digits(s + 25, (uint64_t)key, 2);
	for (k = 4; k < 27; k++)
		rem = (rem * 10 + (uint64_t)(s[k] - '0')) % 97;
	/* "FR00" moved to the end: F = 15, R = 27. */
	rem = (rem * 10000 + 1527) % 97;
	rem = rem * 100 % 97;
	digits(s + 2, 98 - rem, 2);
	s[27] = '\0';
}

static void
iban(const struct world *w, uint64_t i, char *s)
{
	ibanof(w, K_PS, i, s);
}

/* Whether a domain's PS are doctors: MEDG, MEDS (OPTAM, the care pathway). */
static int
isdoctor(int dom)
{
	return strcmp(domains[dom].name, "MEDG") == 0 || strcmp(domains[dom].name, "MEDS") == 0;
}

/*
 * PS i: RPPS "10" + 8 digits + Luhn key, or FINESS department + 6 digits
 * + Luhn key.  For Corsican FINESS numbers the key is computed with 2A
 * and 2B read as 20 (our choice: no rule is published).
 */
static void
ps(const struct world *w, uint64_t i, struct ps *p)
{
	struct rng r;
	char tmp[9];
	int u, d;

	p->i = i;
	rinit(&r, w, K_PS, i, 0);
	u = (int)below(&r, 100);
	for (p->dom = 0; u >= domains[p->dom].weight; p->dom++)
		u -= domains[p->dom].weight;
	p->optam = -1;
	if (w->rate[A_OPTAM] > 0 && isdoctor(p->dom)) {
		/* Outside OPTAM at its rate; a third of those not said so. */
		struct rng ro;

		rinit(&ro, w, K_PS, i, 2);
		p->optam = (int)below(&ro, 10000) >= w->rate[A_OPTAM];
		if (!p->optam && below(&ro, 3) == 0)
			p->optam = -1;
	}
	if (domains[p->dom].kind == RPPS) {
		memcpy(p->num, "10", 2);
		digits(p->num + 2, perm(w, i, 100000000), 8);
		p->num[10] = (char)('0' + luhn_key(p->num, 10));
		p->num[11] = '\0';
	} else {
		u = (int)below(&r, 100);
		d = 1 + (int)below(&r, 94);
		if (u < 2)
			memcpy(p->num, u == 0 ? "2A" : "2B", 2);
		else
			digits(p->num, (uint64_t)(d >= 20 ? d + 1 : d), 2);
		digits(p->num + 2, perm(w, i, 1000000), 6);
		memcpy(tmp, p->num, 8);
		if (u < 2)
			memcpy(tmp, "20", 2);
		p->num[8] = (char)('0' + luhn_key(tmp, 8));
		p->num[9] = '\0';
	}
}

/*
 * The bank details of the payments (-A pay): the register of the first
 * day gives a share of the PS (the rate) no IBAN or one with a wrong
 * key, half of them right again in the register of the third day, and
 * half of those still wrong in each register after it, one every
 * PAY_REGEVERY business days (a PS unpaid sends its bank details in,
 * sooner or later: its lines held do not pile up for ever); the paying
 * accounts of the first day are every client's but the last's, whose
 * account comes the second day.
 */
#define PAY_FIXDAY 2
#define PAY_REGEVERY 20
enum { IB_GOOD, IB_NONE, IB_KEY };

/* The IBAN of PS i in the register of day j: IB_GOOD, or what is wrong. */
static int
psbank(const struct world *w, uint64_t i, int j)
{
	struct rng r;
	int how, k;

	rinit(&r, w, K_PAY, i, 0);
	if ((int)below(&r, 10000) >= w->rate[A_PAY])
		return IB_GOOD;
	how = below(&r, 2) == 0 ? IB_NONE : IB_KEY;
	if (below(&r, 2) == 0 && j >= PAY_FIXDAY)
		return IB_GOOD;
	/* The draws the same whatever j: a PS put right stays right. */
	for (k = PAY_FIXDAY + PAY_REGEVERY; k <= j; k += PAY_REGEVERY)
		if (below(&r, 2) == 0)
			return IB_GOOD;
	return how;
}

/* Whether client c has a paying account on day j. */
static int
hasaccount(const struct world *w, int c, int j)
{
	return c != w->nclient - 1 || j >= 1;
}

/*
 * The indus parameters (-A indus), on the first day: every client's but
 * the last's (when there are two or more), which has none: no
 * compensation, nothing transferred.  A client allows compensation at
 * the rate; its PS delay is 1, 3 calendar days or never by its rank,
 * its beneficiaries' 30 days.
 */
static int
compensates(const struct world *w, int c)
{
	struct rng r;

	rinit(&r, w, K_INDUS, (uint64_t)c, 0);
	return (int)below(&r, 10000) < w->rate[A_INDUS];
}

/* Client c's PS delay in calendar days, or -1 for never. */
static int
psdays(const struct world *w, int c)
{
	if (w->nclient > 1 && c == w->nclient - 1)
		return -1;
	return c % 3 == 0 ? 1 : c % 3 == 1 ? 3 : -1;
}

/* Client c's beneficiary delay in calendar days, or -1 for never. */
static int
benefdays(const struct world *w, int c)
{
	if (w->nclient > 1 && c == w->nclient - 1)
		return -1;
	return c % 3 == 1 ? 2 : 30;
}

/* What day j's file says of beneficiary i: 0 nothing, else a kind. */
enum { BE_NONE, BE_FULL, BE_PRODUCT, BE_RETRO, BE_BADNIR, BE_OVERLAP };

static int
late(const struct world *w, uint64_t i)
{
	struct rng r;

	rinit(&r, w, K_BFILE, 0, i);
	return below(&r, 100) < 30;
}

/*
 * -A indus: does radiated beneficiary i keep his card?  One in two of
 * those whose radiation is sent in time (a late one is corrected
 * retroactively instead): his client's files end his rights but leave
 * his tiers-payant service open past the run, so that liquidate(1) pays
 * the PS for his acts after the end and recovers them from him (LQ03).
 * Not with -A cards: liquidate then looks at the card issued, which this
 * model does not follow.
 */
static int
kept(const struct world *w, uint64_t i, const struct benef *b)
{
	struct rng r;

	if (!b->gone || w->rate[A_INDUS] == 0 || w->rate[A_CARDS] > 0 || late(w, i))
		return 0;
	rinit(&r, w, K_INDUS, i, 2);
	return below(&r, 2) == 0;
}

/* The end of beneficiary i's tiers-payant service: his rights', or kept, past the run. */
static int32_t
tpend(const struct world *w, uint64_t i, const struct benef *b, int32_t end)
{
	return kept(w, i, b) ? w->last + 30 : end;
}

/*
 * The day the client first declares beneficiary i (its family): the
 * first, or for a late family (-A late) a later day of the run; its
 * claims may come before.  Beneficiary 0's family is never late, nor
 * those the world does not know.
 */
static int
declared(const struct world *w, uint64_t i)
{
	struct rng r;
	uint64_t fam = i / FAMSZ;

	if (i >= w->nbenef || fam == 0 || w->ndays < 2 || w->rate[A_LATE] == 0)
		return 0;
	rinit(&r, w, K_LATE, fam, 0);
	if ((int)below(&r, 10000) >= w->rate[A_LATE])
		return 0;
	return 1 + (int)below(&r, (uint64_t)(w->ndays - 1));
}

static int
bkind(const struct world *w, int j, uint64_t i, const struct benef *b)
{
	struct rng r;
	int u, dj = declared(w, i);

	if (j < dj)
		return BE_NONE;
	if (j == dj)
		return BE_FULL;
	if (b->gone && late(w, i) && w->ndays > 1 &&
	    (int)(i % (uint64_t)(w->ndays - 1)) + 1 == j)
		return BE_RETRO;
	rinit(&r, w, K_BFILE, (uint64_t)j, i);
	u = (int)below(&r, 10000);
	if (b->gone)
		return BE_NONE;
	if (u < 300)
		return BE_PRODUCT;
	if (u < 350)
		return BE_BADNIR;
	if (u < 400)
		return BE_OVERLAP;
	return BE_NONE;
}

/*
 * -A cards: does family fam come without a mailing address?  Never the
 * first, so that the world has one card at least.
 */
static int
noaddr(const struct world *w, uint64_t fam)
{
	struct rng r;

	if (fam == 0 || w->rate[A_CARDS] == 0)
		return 0;
	rinit(&r, w, K_CARDS, fam, 1);
	return (int)below(&r, 10000) < w->rate[A_CARDS];
}

/*
 * -A cards: the day client c receives its card parameters: the first,
 * but for one client drawn from the seed, the third (or the last), whose
 * card movements wait for them until then.
 */
static int
cardday(const struct world *w, int c)
{
	struct rng r;

	rinit(&r, w, K_CARDS, 0, 0);
	if ((int)below(&r, (uint64_t)w->nclient) != c)
		return 0;
	return w->ndays > 2 ? 2 : w->ndays - 1;
}

/*
 * What the beneficiary master holds of beneficiary i once the files of
 * day j are integrated.  The end of its rights: a late radiation is first
 * sent 60 days too late, then corrected on its day.
 */
static int32_t
mend(const struct world *w, int j, uint64_t i, const struct benef *b)
{
	if (b->gone && late(w, i) &&
	    (w->ndays < 2 || (int)(i % (uint64_t)(w->ndays - 1)) + 1 > j))
		return b->end + 60;
	return b->end;
}

/*
 * The start of its product RENFORT, 1; or 0 without one.  The last file
 * that changed the beneficiary says which products it has; rejected
 * entries change nothing.
 */
static int
renfort(const struct world *w, int j, uint64_t i, const struct benef *b, int32_t *from)
{
	for (; j >= 1; j--)
		switch (bkind(w, j, i, b)) {
		case BE_PRODUCT:
			*from = w->day[j];
			return 1;
		case BE_RETRO:
			return 0;
		default:
			break;
		}
	return 0;
}

/*
 * The guarantees of every client, written in its garanties-<AMC>.xml on
 * the first day: product BASE, and RENFORT for optics.  The first rule of
 * a product that matches an act applies.  No plafond but with the
 * options below (mkrules).
 */
enum { F_BR, F_FIXE, F_S100, F_FR };
static const char *const fnames[] = { "br", "fixe", "sante100", "fr" };
struct rule {
	const char *prod;
	const char *dom;
	const char *act;	/* NULL: every act of the domain */
	int form;
	int taux;		/* F_BR, F_FR: percent of BR (the AMO's share included), of FR */
	int64_t amount;		/* a unit's: F_FIXE the amount, F_S100 the price limit */
	int pec;
	int plaf;		/* its plafond in plafs[], PL_NONE for none */
};
static const struct rule rules[] = {
	{ "BASE", "PHAR", NULL, F_BR, 100, 0, 0, 0 },
	{ "BASE", "MEDG", "VG", F_BR, 70, 0, 0, 0 },
	{ "BASE", "MEDG", NULL, F_BR, 100, 0, 0, 0 },
	{ "BASE", "MEDS", NULL, F_BR, 200, 0, 0, 0 },
	{ "BASE", "DENT", "SC", F_BR, 100, 0, 0, 0 },
	{ "BASE", "DENT", "SPR", F_S100, 0, 50000, 1, 0 },
	{ "BASE", "LABO", NULL, F_BR, 100, 0, 0, 0 },
	{ "BASE", "HOSP", "GHS", F_BR, 100, 0, 0, 0 },
	{ "BASE", "HOSP", "FJ", F_FIXE, 0, 2000, 0, 0 },
	{ "RENFORT", "OPTI", "OPT", F_FIXE, 0, 6000, 1, 0 }
};
#define NRULE (sizeof rules / sizeof rules[0])

/*
 * Plafonds, per beneficiary: one equipment (a frame, two lenses) a
 * year; 40.00 of dental care a year.  The year is the calendar one, or
 * the contract's anniversary year for the clients of odd rank with -A
 * anniv (annivclient).
 */
enum { PL_NONE, PL_EQUIP, PL_SOINS, NPL };
static const struct plafdef {
	const char *id;
	long count;		/* equipments, 0 none */
	int64_t amount;		/* 0 none */
} plafs[NPL] = {
	{ NULL, 0, 0 },
	{ "EQUIP", 1, 0 },
	{ "SOINS", 0, 4000 }
};

/* The rules of the world's guarantees, and the plafonds they use. */
static struct rule wrules[NRULE + 2];
static size_t nwrule;
static int plafused[NPL];

/*
 * The options change the guarantees: -A franchise makes PHAR pay 100 %
 * FR, so that only the contrat responsable keeps the franchise from it;
 * -A optam makes MEDS pay 150 % BR, 50 points above BR, 30 for a doctor
 * outside OPTAM: a cut more dépassements meet than under 200 %; -A
 * optics adds to BASE a frame (OME) at 150.00 and lenses (OV1) at 80.00
 * a unit, under plafond EQUIP; -A anniv puts dental care (SC) under
 * plafond SOINS.  Without them, the table as it is.
 */
static void
mkrules(const struct world *w)
{
	static const struct rule frame = { "BASE", "OPTI", "OME", F_FIXE, 0, 15000, 0, PL_EQUIP };
	static const struct rule lens = { "BASE", "OPTI", "OV1", F_FIXE, 0, 8000, 0, PL_EQUIP };
	struct rule *r;
	size_t k;

	for (k = 0; k < NRULE; k++) {
		if (w->rate[A_OPTICS] > 0 && strcmp(rules[k].prod, "RENFORT") == 0 &&
		    strcmp(rules[k - 1].prod, "BASE") == 0) {
			wrules[nwrule++] = frame;
			wrules[nwrule++] = lens;
		}
		r = &wrules[nwrule++];
		*r = rules[k];
		if (w->rate[A_FRANCHISE] > 0 && strcmp(r->dom, "PHAR") == 0)
			r->form = F_FR;
		if (w->rate[A_OPTAM] > 0 && strcmp(r->dom, "MEDS") == 0)
			r->taux = 150;
		if (w->rate[A_ANNIV] > 0 && r->act != NULL && strcmp(r->act, "SC") == 0)
			r->plaf = PL_SOINS;
	}
	for (k = 0; k < nwrule; k++)
		plafused[wrules[k].plaf] = 1;
}

/* Whether client c counts its plafonds over the contract's anniversary year. */
static int
annivclient(const struct world *w, int c)
{
	return w->rate[A_ANNIV] > 0 && c % 2 == 1;
}

/* The domain of act a. */
static int
actdom(int a)
{
	int d = (int)(sizeof domains / sizeof domains[0]) - 1;

	while (domains[d].act0 > a)
		d--;
	return d;
}

static const struct rule *
match(const char *prod, const struct line *ln)
{
	const char *dom = domains[actdom(ln->act)].name;
	size_t k;

	for (k = 0; k < nwrule; k++)
		if (strcmp(wrules[k].prod, prod) == 0 && strcmp(wrules[k].dom, dom) == 0 &&
		    (wrules[k].act == NULL || strcmp(wrules[k].act, acts[ln->act].code) == 0))
			return &wrules[k];
	return NULL;
}

/*
 * The rule that applies on day j to a line of beneficiary b, whose rights
 * cover it: BASE's, else RENFORT's if in effect at the act date; NULL for
 * none.
 */
static const struct rule *
cover(const struct world *w, int j, const struct benef *b, const struct line *ln)
{
	const struct rule *ru;
	int32_t from;

	if ((ru = match("BASE", ln)) != NULL)
		return ru;
	if (renfort(w, j, b->id - 1, b, &from) && ln->date >= from &&
	    ln->date <= mend(w, j, b->id - 1, b))
		return match("RENFORT", ln);
	return NULL;
}

/*
 * The contrat responsable (Code de la sécurité sociale R871-1, R871-2):
 * outside the care pathway the AMO pays 40 points of BR less; a doctor
 * outside OPTAM has his dépassement covered 20 points of BR below the
 * level of the rule, 100 % BR at most; a frame costs the AMO and the
 * AMC 100.00 at most.
 */
#define HP_POINTS	4000
#define OPTAM_GAP	2000
#define OPTAM_MAX	10000
#define FRAME_MAX	10000

static const char *const wnames[NW] = { "cr_franchise", "cr_parcours", "cr_optam", "cr_frame" };
static const int wopt[NW] = { A_FRANCHISE, A_PARCOURS, A_OPTAM, A_OPTICS };

/* cents x bp / 10000, rounded as liquidate(1) rounds. */
static int64_t
pct(int64_t cents, int64_t bp)
{
	int64_t v;

	if (money_rate(&v, cents, bp) < 0)
		die(EX_SOFTWARE, "amount overflows");
	return v;
}

static int64_t
clampto(int64_t v, int64_t lim)
{
	if (v > lim)
		v = lim;
	return v < 0 ? 0 : v;
}

/* Lower the bound *lim to b: what that withholds of v goes to held[i]. */
static void
lower(int64_t v, int64_t *lim, int64_t b, int64_t *held, int i)
{
	if (b >= *lim)
		return;
	if (held != NULL)
		held[i] += clampto(v, *lim) - clampto(v, b);
	*lim = b;
}

/* Flows, the files of a day (below): the B2 invoices and two NOEMIE files. */
enum { FL_B2, FL_N1, FL_N2, NFLOW };

/*
 * What the rule gives for a line of PS p come by flow fl (-1: not
 * known), sg = -1 for a cancellation, whose negated amounts are used:
 * the formula, then at least 0 and, every contract being responsable,
 * at most:
 *  - what the AMO left of FR less the franchise and the PF, which stay
 *    with the insured: FR - AMO paid - franchise - PF (FR - AMO_th);
 *  - outside the care pathway, when the line says so (a B2 invoice: the
 *    NOEMIE layout does not), less the majoration, the points of BR
 *    the AMO did not pay: BR x (min(rate + 40 %, 100 %) - rate);
 *  - a doctor's dépassement, FR above BR, when the PS register (-A
 *    optam) does not say he adheres to OPTAM: the ticket modérateur in
 *    the pathway, BR - BR x its rate, plus what the rule pays above BR
 *    less 20 % BR, within 0 and 100 % BR;
 *  - a frame: 100.00 a unit less the AMO's part.
 * In cents, rounded as liquidate(1) rounds; held, if not NULL, gets what
 * each bound withheld.
 */
static int64_t
formula(const struct world *w, const struct rule *ru, const struct line *ln, int sg, int fl,
    const struct ps *p, int64_t *held)
{
	int64_t fr = sg * ln->fr, br = sg * ln->br, amo = sg * ln->amo, th, in, v, lim, t;
	int rin;

	th = pct(br, ln->rate);
	switch (ru->form) {
	case F_BR:
		v = pct(br, (int64_t)ru->taux * 100) - th;
		break;
	case F_FR:
		v = pct(fr, (int64_t)ru->taux * 100);
		break;
	case F_FIXE:
		v = ru->amount * ln->qty;
		break;
	default:
		t = ru->amount * ln->qty;
		v = (fr < t ? fr : t) - th;
		break;
	}
	lim = fr - amo;
	lower(v, &lim, lim - sg * ln->fran, held, W_FRANCHISE);
	lim -= sg * ln->pf;
	in = th;
	if (ln->hp && fl == FL_B2) {
		rin = ln->rate + HP_POINTS > 10000 ? 10000 : ln->rate + HP_POINTS;
		in = pct(br, rin);
		lower(v, &lim, lim - pct(br, rin - ln->rate), held, W_PARCOURS);
	}
	if (w->rate[A_OPTAM] > 0 && isdoctor(actdom(ln->act)) && br > 0 && fr > br &&
	    p->optam != 1) {
		t = v - (br - th) - pct(br, OPTAM_GAP);
		if (t > pct(br, OPTAM_MAX))
			t = pct(br, OPTAM_MAX);
		if (t < 0)
			t = 0;
		lower(v, &lim, br - in + t, held, W_OPTAM);
	}
	if (acts[ln->act].part == P_FRAME)
		lower(v, &lim, FRAME_MAX * ln->qty - amo, held, W_FRAME);
	return clampto(v, lim);
}

/* Whether a line of the invoice needs a PEC. */
static int
needpec(const struct world *w, const struct invoice *inv, const struct line *ln)
{
	const struct rule *ru;
	int i;

	for (i = 0; i < inv->size; i++)
		if ((ru = cover(w, inv->j, &inv->b, &ln[i])) != NULL && ru->pec)
			return 1;
	return 0;
}

/*
 * A beneficiary for an invoice: one with rights, or for A_CLOSED one
 * radiated.  0 when the world has none of the kind asked.
 */
static int
pick(const struct world *w, struct rng *r, int gone, struct benef *b)
{
	uint64_t i, start;
	int t;

	for (t = 0; t < 64; t++) {
		benef(w, below(r, w->nbenef), b);
		if (b->gone == gone)
			return 1;
	}
	if (!gone) {
		benef(w, 0, b);
		return 1;
	}
	/* A small world may have few radiated beneficiaries, or none. */
	start = below(r, w->nbenef);
	for (i = 0; i < w->nbenef; i++) {
		benef(w, (start + i) % w->nbenef, b);
		if (b->gone)
			return 1;
	}
	return 0;
}

/*
 * The invoice whose first line is line kf of day j, of at most max lines:
 * its PS, beneficiary, number and date, and the anomaly it carries.
 */
static void
invoice(const struct world *w, int j, uint64_t kf, int max, struct invoice *inv)
{
	struct rng r;
	int u;

	rinit(&r, w, K_INVOICE, (uint64_t)j, kf);
	inv->j = j;
	inv->kf = kf;
	ps(w, below(&r, w->nps), &inv->ps);
	inv->size = 1 + (int)below(&r, (uint64_t)domains[inv->ps.dom].maxlines);
	if (inv->size > max)
		inv->size = max;
	u = (int)below(&r, 10000);
	if ((u -= w->rate[A_BADNIR]) < 0)
		inv->anom = A_BADNIR;
	else if ((u -= w->rate[A_UNKNOWN]) < 0)
		inv->anom = A_UNKNOWN;
	else if ((u -= w->rate[A_CLOSED]) < 0)
		inv->anom = A_CLOSED;
	else
		inv->anom = A_NONE;
	if (inv->anom == A_UNKNOWN)
		benef(w, w->nbenef + below(&r, NIRMOD - w->nbenef), &inv->b);
	else if (!pick(w, &r, inv->anom == A_CLOSED, &inv->b)) {
		inv->anom = A_NONE;
		pick(w, &r, 0, &inv->b);
	}
	inv->key = inv->b.key;
	if (inv->anom == A_BADNIR)
		inv->key = (inv->key + (int)below(&r, 96)) % 97 + 1;
	inv->number = 1 + perm(w, (uint64_t)j * w->nlines + kf, INVMOD);
	inv->date = w->day[j] - (int32_t)below(&r, 4);
	inv->tp = below(&r, 100) < 92;
	inv->total = 0;
	/*
	 * An optician's invoice, at the rate of -A optics: an equipment,
	 * whole (4 in 10), split (3 in 10: the lenses the next day; and
	 * whenever the invoice has less than three lines), or whole and
	 * followed by a second the next day.
	 */
	inv->equip = EQ_NONE;
	if (w->rate[A_OPTICS] > 0 && strcmp(domains[inv->ps.dom].name, "OPTI") == 0) {
		rinit(&r, w, K_OPTICS, (uint64_t)j, kf);
		if ((int)below(&r, 10000) < w->rate[A_OPTICS]) {
			u = (int)below(&r, 10);
			inv->equip = u < 4 ? EQ_WHOLE : u < 7 ? EQ_SPLIT : EQ_SECOND;
			inv->size = inv->equip == EQ_SPLIT || max < 3 ? 1 : 3;
			if (inv->size == 1)
				inv->equip = EQ_SPLIT;
		}
	}
}

static int route(const struct world *, int, uint64_t, int);

/* Line k, of invoice inv. */
static void
mkline(const struct world *w, const struct invoice *inv, uint64_t k, struct line *ln)
{
	const struct domain *d = &domains[inv->ps.dom];
	const struct act *a;
	struct rng r;
	int64_t unit, fru, th;
	int u;

	rinit(&r, w, K_LINE, (uint64_t)inv->j, k);
	u = (int)below(&r, 100);
	for (ln->act = d->act0; u >= acts[ln->act].weight; ln->act++)
		u -= acts[ln->act].weight;
	a = &acts[ln->act];
	ln->date = inv->date;
	if (d->delay && below(&r, 100) >= 70)
		ln->date -= 1 + (int32_t)below(&r, 14);
	ln->qty = 1 + (int)below(&r, (uint64_t)a->qty);
	unit = a->brlo + (int64_t)below(&r, (uint64_t)(a->brhi - a->brlo + 1));
	fru = unit;
	if ((int)below(&r, 10000) < a->over)
		fru += a->overhi / 5 + (int64_t)below(&r,
		    (uint64_t)(a->overhi - a->overhi / 5 + 1));
	ln->br = unit * ln->qty;
	ln->fr = fru * ln->qty;
	/*
	 * A doctor's visit outside the care pathway (-A parcours), on the
	 * invoices the B2 file carries: the AMO's rate 40 points lower.
	 */
	ln->rate = a->rate;
	ln->hp = 0;
	if (w->rate[A_PARCOURS] > 0 && isdoctor(inv->ps.dom) &&
	    route(w, inv->j, inv->kf, A_NONE) == FL_B2) {
		rinit(&r, w, K_PARCOURS, (uint64_t)inv->j, k);
		if ((int)below(&r, 10000) < w->rate[A_PARCOURS]) {
			ln->hp = 1;
			ln->rate = a->rate > HP_POINTS ? a->rate - HP_POINTS : 0;
		}
	}
	money_rate(&th, ln->br, ln->rate);
	ln->pf = a->pf < th ? a->pf : th;
	/* Drugs: a franchise of 0.50 a box (-A franchise), no more than the AMO pays. */
	ln->fran = 0;
	if (w->rate[A_FRANCHISE] > 0 && strcmp(d->name, "PHAR") == 0) {
		rinit(&r, w, K_FRANCHISE, (uint64_t)inv->j, k);
		if ((int)below(&r, 10000) < w->rate[A_FRANCHISE])
			ln->fran = 50 * ln->qty < th - ln->pf ? 50 * ln->qty : th - ln->pf;
	}
	ln->amo = th - ln->pf - ln->fran;
}

/*
 * Line k of an equipment invoice: part, a frame or two lenses, charged
 * above the base.
 */
static void
partline(const struct world *w, const struct invoice *inv, uint64_t k, int part,
    struct line *ln)
{
	const struct act *a;
	struct rng r;
	int64_t unit, fru;

	rinit(&r, w, K_OPTICS, (uint64_t)inv->j, k + (1ULL << 60));
	for (ln->act = 0; acts[ln->act].part != part; ln->act++)
		;
	a = &acts[ln->act];
	ln->date = inv->date;
	if (below(&r, 100) >= 70)
		ln->date -= 1 + (int32_t)below(&r, 14);
	ln->qty = a->qty;
	unit = a->brlo + (int64_t)below(&r, (uint64_t)(a->brhi - a->brlo + 1));
	fru = unit + a->overhi / 5 +
	    (int64_t)below(&r, (uint64_t)(a->overhi - a->overhi / 5 + 1));
	ln->br = unit * ln->qty;
	ln->fr = fru * ln->qty;
	ln->rate = a->rate;
	ln->hp = 0;
	ln->pf = ln->fran = 0;
	ln->amo = pct(ln->br, ln->rate);
}

/* The lines of an invoice, and its total. */
static void
lines(const struct world *w, struct invoice *inv, struct line *ln)
{
	struct rng r;
	int i, k, t;

	inv->total = 0;
	for (i = 0; i < inv->size; i++) {
		/*
		 * Two lines of one invoice never share act, date and amount:
		 * that would be a duplicate by the key of dedup(1).  Such a
		 * line is drawn again, from a salted index.
		 */
		for (t = 0; t < 16; t++) {
			if (inv->equip != EQ_NONE)
				partline(w, inv, inv->kf + (uint64_t)i + ((uint64_t)t << 40),
				    inv->equip == EQ_LENSES || i > 0 ? P_LENS : P_FRAME, &ln[i]);
			else
				mkline(w, inv, inv->kf + (uint64_t)i + ((uint64_t)t << 40), &ln[i]);
			for (k = 0; k < i; k++)
				if (ln[k].act == ln[i].act && ln[k].date == ln[i].date &&
				    ln[k].fr == ln[i].fr)
					break;
			if (k == i)
				break;
		}
		inv->total += ln[i].fr;
	}
	/* An invoice that needs a PEC and gets none, or gets it the next day. */
	if (inv->anom == A_NONE && needpec(w, inv, ln)) {
		int u;

		rinit(&r, w, K_PEC, (uint64_t)inv->j, inv->kf);
		u = (int)below(&r, 10000);
		if (u < w->rate[A_NOPEC])
			inv->anom = A_NOPEC;
		else if (u < w->rate[A_NOPEC] + w->rate[A_LATEPEC])
			inv->anom = A_LATEPEC;
	}
}

/*
 * Block b of day j: which slots are duplicates, and the invoices that
 * fill the runs of other slots.  A duplicate needs something before it.
 */
static void
layout(const struct world *w, int j, uint64_t b, struct block *blk)
{
	struct rng r;
	uint64_t k0 = b * BLK;
	int s, e, i, u;

	blk->n = w->nlines - k0 < BLK ? (int)(w->nlines - k0) : BLK;
	rinit(&r, w, K_BLOCK, (uint64_t)j, b);
	for (s = 0; s < blk->n; s++) {
		u = (int)below(&r, 10000);
		blk->dup[s] = A_NONE;
		if ((u -= w->rate[A_DUPINTRA]) < 0) {
			if (k0 + (uint64_t)s > 0)
				blk->dup[s] = A_DUPINTRA;
		} else if ((u -= w->rate[A_DUPINTER]) < 0) {
			if (j > 0)
				blk->dup[s] = A_DUPINTER;
		} else if ((u -= w->rate[A_CANCEL]) < 0) {
			if (j > 0 || k0 + (uint64_t)s > 0)
				blk->dup[s] = A_CANCEL;
		} else if (u - w->rate[A_NEAR] < 0 && (j > 0 || k0 + (uint64_t)s > 0))
			blk->dup[s] = A_NEAR;
	}
	blk->ninv = 0;
	for (s = 0; s < blk->n;) {
		if (blk->dup[s] != A_NONE) {
			blk->of[s++] = -1;
			continue;
		}
		for (e = s; e < blk->n && blk->dup[e] == A_NONE; e++)
			;
		invoice(w, j, k0 + (uint64_t)s, e - s, &blk->inv[blk->ninv]);
		for (i = 0; i < blk->inv[blk->ninv].size; i++)
			blk->of[s++] = blk->ninv;
		blk->ninv++;
	}
}

static struct xday *extras(const struct world *, int);

/* Regenerate line k of day j; its anomaly, or -1 for a duplicate slot. */
static int
locate(const struct world *w, int j, uint64_t k, struct invoice *inv, struct line *ln)
{
	struct block blk;
	struct line all[MAXINV];
	struct xday *x;
	int s = (int)(k % BLK);
	size_t i;

	if (k >= w->nlines) {
		x = extras(w, j);
		for (i = 0; i < x->n && k >= x->inv[i].kf + (uint64_t)x->inv[i].size; i++)
			;
		if (i == x->n)
			return -1;
		*inv = x->inv[i];
		lines(w, inv, all);
		*ln = all[k - inv->kf];
		return inv->anom;
	}
	layout(w, j, k / BLK, &blk);
	if (blk.dup[s] != A_NONE)
		return -1;
	*inv = blk.inv[blk.of[s]];
	lines(w, inv, all);
	*ln = all[k - inv->kf];
	return inv->anom;
}

/*
 * The original that duplicate or cancellation slot k of day j repeats: a
 * line without anomaly, of the same day before it or of an earlier day
 * (a cancellation on the first day cancels a line of that day).  0 when a few
 * draws find none (a day made of anomalies).
 */
static int
original(const struct world *w, int j, uint64_t k, int kind, struct invoice *inv,
    struct line *ln, int *oj, uint64_t *ok)
{
	struct rng r;
	int t;

	int same = kind == A_DUPINTRA || ((kind == A_CANCEL || kind == A_NEAR) && j == 0);

	rinit(&r, w, K_DUP, (uint64_t)j, k);
	for (t = 0; t < 8; t++) {
		*oj = same ? j : (int)below(&r, (uint64_t)j);
		*ok = below(&r, same ? k : w->nlines);
		/*
		 * Not a line of a family declared late: rejected (LQ01), on
		 * hold, maybe paid when presented again, its copies would be
		 * judged against a line this model does not follow.
		 */
		if (locate(w, *oj, *ok, inv, ln) == A_NONE && declared(w, inv->b.id - 1) == 0)
			return 1;
	}
	return 0;
}

/*
 * The next claim line of a day: 1, or 0 after the last.  A duplicate slot
 * whose original cannot be found holds an invoice of one line instead.
 */
static int
nextclaim(const struct world *w, struct walk *wk, struct claim *c)
{
	struct invoice *inv;
	struct xday *x;
	int s, dup;

	c->rej = 0;
	if (wk->k >= w->nlines) {
		if (wk->noextra || (x = extras(w, wk->j))->n == 0)
			return 0;
		if (wk->k == w->nlines)
			wk->xi = 0;
		else if (wk->k >= x->inv[wk->xi].kf + (uint64_t)x->inv[wk->xi].size)
			wk->xi++;
		if (wk->xi >= x->n)
			return 0;
		inv = &x->inv[wk->xi];
		c->k = wk->k++;
		if (c->k == inv->kf)
			lines(w, inv, wk->ln);
		c->inv = inv;
		c->ln = &wk->ln[c->k - inv->kf];
		c->anom = A_NONE;
		return 1;
	}
	s = (int)(wk->k % BLK);
	if (s == 0)
		layout(w, wk->j, wk->k / BLK, &wk->blk);
	c->k = wk->k++;
	dup = wk->blk.dup[s];
	if (dup == A_NONE) {
		inv = &wk->blk.inv[wk->blk.of[s]];
		if (c->k == inv->kf)
			lines(w, inv, wk->ln);
		c->inv = inv;
		c->ln = &wk->ln[c->k - inv->kf];
		c->anom = inv->anom;
		return 1;
	}
	c->inv = &c->dinv;
	c->ln = &c->dln;
	if (original(w, wk->j, c->k, dup, &c->dinv, &c->dln, &c->oj, &c->ok)) {
		c->anom = dup;
		/*
		 * With -A indus, a quarter of the cancellations of a line of
		 * an earlier day are AMO rejects instead (nature J): LQ19.
		 */
		if (dup == A_CANCEL && w->rate[A_INDUS] > 0 && c->oj < wk->j) {
			struct rng r;

			rinit(&r, w, K_REJECT, (uint64_t)wk->j, c->k);
			c->rej = below(&r, 4) == 0;
		}
		if (dup == A_CANCEL) {
			/* The AMO reverses the line: every amount negated. */
			c->dln.fr = -c->dln.fr;
			c->dln.br = -c->dln.br;
			c->dln.amo = -c->dln.amo;
			c->dln.pf = -c->dln.pf;
			c->dln.fran = -c->dln.fran;
			c->dinv.total = c->dln.fr;
		}
		if (dup == A_NEAR) {
			/*
			 * A near-repeat: the same line but for one key field,
			 * the amount (one cent more) or the date of care (a
			 * day earlier).  Not a duplicate.
			 */
			struct rng r;

			rinit(&r, w, K_DUP, (uint64_t)wk->j, c->k + (1ULL << 40));
			if ((c->nearv = (int)below(&r, 2)) == 0) {
				c->dln.fr += 1;
				c->dinv.total += 1;
			} else
				c->dln.date -= 1;
		}
		return 1;
	}
	invoice(w, wk->j, c->k, 1, &c->dinv);
	lines(w, &c->dinv, &c->dln);
	c->anom = c->dinv.anom;
	return 1;
}

static struct xday *
extras(const struct world *w, int j)
{
	static struct xday none = { 1, 0, 0, 0, NULL };
	struct xday *x;
	struct invoice *inv;
	struct walk wk;
	struct claim c;
	struct rng r;

	if (w->rate[A_OPTICS] == 0 || j == 0)
		return &none;
	if (xdays == NULL) {
		xdays = xmalloc((size_t)w->ndays * sizeof *xdays);
		memset(xdays, 0, (size_t)w->ndays * sizeof *xdays);
	}
	x = &xdays[j];
	if (x->done)
		return x;
	x->done = 1;
	memset(&wk, 0, sizeof wk);
	wk.j = j - 1;
	wk.noextra = 1;
	while (nextclaim(w, &wk, &c)) {
		if (ISREPEAT(c.anom) || c.k != c.inv->kf || c.anom != A_NONE ||
		    (c.inv->equip != EQ_SPLIT && c.inv->equip != EQ_SECOND) ||
		    declared(w, c.inv->b.id - 1) != 0)
			continue;
		if (x->n == x->alloc) {
			x->alloc = x->alloc ? 2 * x->alloc : 16;
			x->inv = xrealloc(x->inv, x->alloc * sizeof *x->inv);
		}
		inv = &x->inv[x->n++];
		*inv = *c.inv;
		inv->j = j;
		inv->kf = w->nlines + x->nl;
		inv->equip = c.inv->equip == EQ_SPLIT ? EQ_LENSES : EQ_AGAIN;
		inv->size = inv->equip == EQ_LENSES ? 2 : 3;
		/* Numbers of their own: after those of every day's lines. */
		inv->number = 1 + perm(w, ((uint64_t)w->ndays + (uint64_t)j) * w->nlines +
		    c.inv->kf, INVMOD);
		rinit(&r, w, K_EXTRA, (uint64_t)j, inv->kf);
		inv->date = w->day[j] - (int32_t)below(&r, 4);
		inv->tp = below(&r, 100) < 92;
		x->nl += (uint64_t)inv->size;
	}
	return x;
}

/* Renderers. */

/*
 * The outputs being written: a stream and its gzip copy.  If the program
 * dies (a full disk), their temporary files are removed at exit.
 */
static struct pub *live[2];
static void flowsabort(void);

static void
cleanup(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (live[i] != NULL)
			pub_abort(live[i]);
	flowsabort();
}

static void
mkpath(char *buf, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		die(EX_CANTCREAT, "%s: path too long", dir);
}

static void
oopen(struct out *o, const char *dir, const char *name, const char *kind,
    const char *const *cols, int ncol)
{
	mkpath(o->path, dir, name);
	if (pub_open(&o->p, o->path) < 0)
		die(EX_CANTCREAT, "%s: %s", o->path, strerror(errno));
	live[0] = &o->p;
	ts_wopen(&o->w, o->p.fd, o->path, kind, 1, cols, ncol);
}

/*
 * Compress the file open on src into path, whole or cut in the middle.
 * gzdopen writes a header without name and with mtime 0: the bytes
 * depend on the data only.
 */
static void
gzcopy(int src, const char *path, int cut)
{
	static char buf[1 << 16];
	struct pub p;
	struct stat st;
	gzFile gz;
	ssize_t n;
	off_t off = 0;
	int fd;

	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	live[1] = &p;
	if ((fd = dup(p.fd)) < 0 || (gz = gzdopen(fd, "wb6")) == NULL)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	while ((n = pread(src, buf, sizeof buf, off)) > 0) {
		if (gzwrite(gz, buf, (unsigned int)n) != (int)n)
			die(EX_IOERR, "%s: write error", path);
		off += n;
	}
	if (n < 0)
		die(EX_IOERR, "%s: read error: %s", path, strerror(errno));
	if (gzclose(gz) != Z_OK)
		die(EX_IOERR, "%s: write error", path);
	if (cut && (fstat(p.fd, &st) < 0 || ftruncate(p.fd, st.st_size / 2) < 0))
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	live[1] = NULL;
}

/* Publish a finished file plain, or its gzip copy instead. */
static void
publish(struct pub *p, const char *path, int z)
{
	char gzpath[PATH_MAX + 3];

	if (z) {
		snprintf(gzpath, sizeof gzpath, "%s.gz", path);
		gzcopy(p->fd, gzpath, 0);
		pub_abort(p);
	} else if (pub_commit(p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	live[0] = NULL;
}

static void
oclose(struct out *o, int z)
{
	ts_wclose(&o->w);
	publish(&o->p, o->path, z);
}

/* A count in decimal: ts_wint's snprintf costs too much per claim line. */
static void
wnum(struct ts_writer *o, uint64_t v)
{
	char buf[24];
	size_t n = 0;

	do
		buf[sizeof buf - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	ts_wstr(o, buf + sizeof buf - n, n);
}

static void
wdigits(struct ts_writer *o, uint64_t v, int n)
{
	char buf[24];

	digits(buf, v, n);
	ts_wstr(o, buf, (size_t)n);
}

/* Line id YYYYMMDD-NNNNNNN: the day and the line's rank in it. */
static void
wlineid(struct ts_writer *o, const struct world *w, int j, uint64_t k)
{
	char id[16];

	memcpy(id, w->ymd[j], 8);
	id[8] = '-';
	digits(id + 9, k + 1, 7);
	ts_wstr(o, id, sizeof id);
}

static void
wbenef(const struct world *w, const char *dir, int z)
{
	static const char *const cols[] = {
		"benef_id", "client", "adherent", "nir", "nir_key",
		"birth_date", "rang", "rights_start", "rights_end"
	};
	struct out o;
	struct benef b;
	uint64_t i;

	oopen(&o, dir, "benef.tsv", "gen-benef", cols, 9);
	for (i = 0; i < w->nbenef; i++) {
		benef(w, i, &b);
		wnum(&o.w, b.id);
		ts_wstr(&o.w, w->amc[b.client], 9);
		ts_wstr(&o.w, b.adherent, 10);
		ts_wstr(&o.w, b.nir, 13);
		wdigits(&o.w, (uint64_t)b.key, 2);
		ts_wdate(&o.w, b.birth);
		wnum(&o.w, (uint64_t)b.rang);
		ts_wdate(&o.w, b.start);
		ts_wdate(&o.w, b.end);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

static void
wps(const struct world *w, const char *dir, int z)
{
	static const char *const cols[] = {
		"ps_id", "ps_kind", "ps_number", "iban", "domain"
	};
	struct out o;
	struct ps p;
	char acct[28];
	uint64_t i;

	oopen(&o, dir, "ps.tsv", "gen-ps", cols, 5);
	for (i = 0; i < w->nps; i++) {
		ps(w, i, &p);
		wnum(&o.w, i + 1);
		ts_wcstr(&o.w, pskinds[domains[p.dom].kind]);
		ts_wcstr(&o.w, p.num);
		iban(w, i, acct);
		ts_wstr(&o.w, acct, 27);
		ts_wcstr(&o.w, domains[p.dom].name);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

/*
 * The PS register (tiers-ps(5)) of a world with -A optam or -A pay, on
 * the first day: every PS, in effect from five years before it, with an
 * AM number, a SIRET whose SIREN and SIRET keys check (Luhn), a name,
 * its IBAN and no BIC; and for doctors whether they adhere to OPTAM, 1
 * or 0, or for some of those who do not, nothing said; without -A optam,
 * every doctor adheres.  With -A pay, the IBAN of some PS is missing or
 * has a wrong key (psbank), and the register of the third day, the
 * same, has some of them right, as each register after it, one every
 * PAY_REGEVERY business days.
 */
static void
wpsreg(const struct world *w, int j, const char *dir, int z)
{
	static const char *const cols[] = {
		"ps_kind", "ps_number", "am_number", "siret", "name", "iban", "bic",
		"valid_from", "valid_to", "optam"
	};
	static const char *const titles[] = {
		"Pharmacie", "Docteur", "Docteur", "Cabinet dentaire", "Optique",
		"Laboratoire", "Hopital"
	};
	struct out o;
	struct ps p;
	char acct[28], am[10], siret[15], name[64];
	uint64_t i;

	oopen(&o, dir, "ps-register.tsv", "ps-register", cols, 10);
	for (i = 0; i < w->nps; i++) {
		ps(w, i, &p);
		iban(w, i, acct);
		switch (w->rate[A_PAY] > 0 ? psbank(w, i, j) : IB_GOOD) {
		case IB_NONE:
			acct[0] = '\0';
			break;
		case IB_KEY:
			/* Another key of 02 to 98: the ISO 13616 check fails. */
			digits(acct + 2, (uint64_t)((acct[2] - '0') * 10 + acct[3] - '0' - 1) % 97 + 2, 2);
			break;
		}
		digits(am, perm(w, i, 1000000000), 9);
		siret[0] = '4';
		digits(siret + 1, perm(w, i, 10000000), 7);
		siret[8] = (char)('0' + luhn_key(siret, 8));
		digits(siret + 9, 1 + i % 999, 4);
		siret[13] = (char)('0' + luhn_key(siret, 13));
		snprintf(name, sizeof name, "%s %llu", titles[p.dom], (unsigned long long)i + 1);
		ts_wcstr(&o.w, pskinds[domains[p.dom].kind]);
		ts_wcstr(&o.w, p.num);
		ts_wstr(&o.w, am, 9);
		ts_wstr(&o.w, siret, 14);
		ts_wcstr(&o.w, name);
		ts_wcstr(&o.w, acct);
		ts_wstr(&o.w, "", 0);
		ts_wdate(&o.w, w->first - 1826);
		ts_wstr(&o.w, "", 0);
		ts_wcstr(&o.w, p.optam == 1 ? "1" : p.optam == 0 ? "0" :
		    w->rate[A_OPTAM] == 0 && isdoctor(p.dom) ? "1" : "");
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

/*
 * The clients' paying accounts (tiers-payment(5)) of a world with -A
 * pay: on the first day every client's but the last's, on the second
 * day all of them.  A name, an IBAN of its own and a BIC.
 */
static void
wparams(const struct world *w, int j, const char *dir, int z)
{
	static const char *const cols[] = { "amc", "debtor_name", "iban", "bic" };
	static const char *const bics[] = {
		"AGRIFRPPXXX", "BNPAFRPPXXX", "SOGEFRPPXXX", "CCBPFRPPXXX", "CEPAFRPPXXX"
	};
	struct out o;
	char acct[28], name[32];
	int c;

	oopen(&o, dir, "payment-params.tsv", "payment-params", cols, 4);
	for (c = 0; c < w->nclient; c++) {
		if (!hasaccount(w, c, j))
			continue;
		ibanof(w, K_CLIENT, (uint64_t)c, acct);
		snprintf(name, sizeof name, "Mutuelle %s", w->amc[c]);
		ts_wstr(&o.w, w->amc[c], 9);
		ts_wcstr(&o.w, name);
		ts_wstr(&o.w, acct, 27);
		ts_wcstr(&o.w, bics[c % (int)(sizeof bics / sizeof bics[0])]);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

/* The clients' indus parameters (tiers-indus(5)) of -A indus, first day. */
static void
wiparams(const struct world *w, const char *dir, int z)
{
	static const char *const cols[] = {
		"amc", "compensation", "ps_days", "benef_days"
	};
	struct out o;
	char n[12];
	int c, d;

	oopen(&o, dir, "indus-params.tsv", "indus-params", cols, 4);
	for (c = 0; c < w->nclient; c++) {
		if (w->nclient > 1 && c == w->nclient - 1)
			continue;
		ts_wstr(&o.w, w->amc[c], 9);
		ts_wcstr(&o.w, compensates(w, c) ? "1" : "0");
		if ((d = psdays(w, c)) >= 0)
			snprintf(n, sizeof n, "%d", d);
		else
			n[0] = '\0';
		ts_wcstr(&o.w, n);
		snprintf(n, sizeof n, "%d", benefdays(w, c));
		ts_wcstr(&o.w, n);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

/* One claim line of day j. */
static void
wact(struct ts_writer *o, const struct world *w, int j, const struct claim *c)
{
	const struct invoice *inv = c->inv;
	const struct line *ln = c->ln;
	const struct act *a = &acts[ln->act];

	wlineid(o, w, j, c->k);
	ts_wstr(o, w->amc[inv->b.client], 9);
	ts_wcstr(o, pskinds[domains[inv->ps.dom].kind]);
	ts_wcstr(o, inv->ps.num);
	wdigits(o, inv->number, 9);
	ts_wdate(o, inv->date);
	ts_wmoney(o, inv->total);
	ts_wstr(o, inv->b.nir, 13);
	wdigits(o, (uint64_t)inv->key, 2);
	ts_wdate(o, inv->b.birth);
	wnum(o, (uint64_t)inv->b.rang);
	ts_wdate(o, ln->date);
	ts_wcstr(o, a->code);
	ts_wcstr(o, domains[inv->ps.dom].name);
	wnum(o, (uint64_t)ln->qty);
	ts_wmoney(o, ln->fr);
	ts_wmoney(o, ln->br);
	wnum(o, (uint64_t)ln->rate);
	ts_wmoney(o, ln->amo);
	ts_wmoney(o, ln->pf);
	ts_wstr(o, inv->tp ? "1" : "0", 1);
	ts_wcstr(o, anames[c->anom]);
	if (ISREPEAT(c->anom))
		wlineid(o, w, c->oj, c->ok);
	else
		ts_wstr(o, "", 0);
	if (w->rate[A_FRANCHISE] > 0)
		ts_wmoney(o, ln->fran);
	if (w->rate[A_PARCOURS] > 0)
		ts_wcstr(o, !isdoctor(inv->ps.dom) ? "" : ln->hp ? "out" : "in");
	ts_wend(o);
}


/*
 * Flows: the files the operator receives for a day.  Each invoice goes to
 * one of them: a quarter to the B2 file the PS software sends, the others
 * to the NOEMIE décomptes of two AMO senders; cancellations come from the
 * AMO only.  Layouts: formats/layouts/noemie-580.lay and b2.lay.
 */
static const struct flowdef {
	const char *file;
	int noemie;
	const char *sender;	/* 9 digits */
	const char *regime, *caisse;
} flowdefs[NFLOW] = {
	{ "invoices.b2", 0, "990000001", "01", "751" },
	{ "noemie-01751.580", 1, "017510001", "01", "751" },
	{ "noemie-01931.580", 1, "019310002", "01", "931" }
};

struct flow {
	const struct flowdef *def;
	struct pub p;
	FILE *fp;
	char path[PATH_MAX];
	uint64_t n[3];		/* act lines: file, lot (level 1), invoice */
	int64_t t[3];		/* their totals */
	int64_t c[3][3];	/* their controls (tiers-layout(5)): FR or AMO, BR, dates */
	char ln[8192];		/* NOEMIE: the physical line being built */
	size_t ll;
};

static struct flow flows[NFLOW];

static void
flowsabort(void)
{
	int i;

	for (i = 0; i < NFLOW; i++)
		if (flows[i].def != NULL && flows[i].p.tmp != NULL)
			pub_abort(&flows[i].p);
}

static void
fwr(struct flow *f, const char *s, size_t n)
{
	if (fwrite(s, 1, n, f->fp) != n)
		die(EX_IOERR, "%s: write error", f->path);
}

/* Fixed-width pieces. */
static char *
ftext(char *p, const char *s, int n)
{
	size_t l = strlen(s);

	memset(p, ' ', (size_t)n);
	memcpy(p, s, l < (size_t)n ? l : (size_t)n);
	return p + n;
}

static char *
fnum(char *p, uint64_t v, int n)
{
	digits(p, v, n);
	return p + n;
}

static char *
fsigned(char *p, int64_t v, int n)
{
	*p = v < 0 ? '-' : '+';
	digits(p + 1, (uint64_t)(v < 0 ? -v : v), n - 1);
	return p + n;
}

/* DDMMYY, or YYMMDD. */
static char *
fdate(char *p, int32_t days, int ymd)
{
	int y, m, d;

	date_to_ymd(days, &y, &m, &d);
	if (ymd) {
		digits(p, (uint64_t)y % 100, 2);
		digits(p + 2, (uint64_t)m, 2);
		digits(p + 4, (uint64_t)d, 2);
	} else {
		digits(p, (uint64_t)d, 2);
		digits(p + 2, (uint64_t)m, 2);
		digits(p + 4, (uint64_t)y % 100, 2);
	}
	return p + 6;
}

/* NOEMIE: add an entity to the physical line; send the line. */
static void
nent(struct flow *f, const char *e, size_t n)
{
	if (f->ll + n + 1 > sizeof f->ln)
		die(EX_SOFTWARE, "%s: NOEMIE line too long", f->path);
	if (f->ll > 0)
		f->ln[f->ll++] = '@';
	memcpy(f->ln + f->ll, e, n);
	f->ll += n;
}

static void
nline(struct flow *f)
{
	char len[5];

	digits(len, f->ll, 4);
	fwr(f, len, 4);
	f->ln[f->ll++] = '\n';
	fwr(f, f->ln, f->ll);
	f->ll = 0;
}

/* B2: one 128-character record. */
static void
b2rec(struct flow *f, char *r, char *end)
{
	if (end - r > 128)
		die(EX_SOFTWARE, "B2 record too long");
	memset(end, ' ', (size_t)(128 - (end - r)));
	r[128] = '\n';
	fwr(f, r, 129);
}

static void
flowopen(const struct world *w, int j, const char *dir, int i)
{
	struct flow *f = &flows[i];
	char e[160], *p;
	int fd;

	memset(f, 0, sizeof *f);
	f->def = &flowdefs[i];
	mkpath(f->path, dir, f->def->file);
	if (pub_open(&f->p, f->path) < 0)
		die(EX_CANTCREAT, "%s: %s", f->path, strerror(errno));
	if ((fd = dup(f->p.fd)) < 0 || (f->fp = fdopen(fd, "w")) == NULL)
		die(EX_IOERR, "%s: %s", f->path, strerror(errno));
	setvbuf(f->fp, NULL, _IOFBF, 1 << 16);
	if (f->def->noemie) {
		p = ftext(e, "000580", 6);
		p = ftext(p, f->def->sender, 9);
		p = fnum(p, (uint64_t)j + 1, 7);
		p = fdate(p, w->day[j], 1);
		p = ftext(p, "990000000", 9);
		nent(f, e, (size_t)(p - e));
		nline(f);
	} else {
		p = ftext(e, "0B2", 3);
		p = ftext(p, f->def->sender, 9);
		p = fnum(p, (uint64_t)j + 1, 7);
		p = fdate(p, w->day[j], 0);
		b2rec(f, e, p);
	}
}

/* The first line of an invoice: the PS and the invoice. */
static void
flowinvoice(struct flow *f, const struct world *w, const struct invoice *inv)
{
	char e[160], *p;
	const char *kind = domains[inv->ps.dom].kind == RPPS ? "2" : "4";

	f->n[1] = f->n[2] = 0;
	f->t[1] = f->t[2] = 0;
	memset(f->c[1], 0, sizeof f->c[1]);
	memset(f->c[2], 0, sizeof f->c[2]);
	if (f->def->noemie) {
		p = ftext(e, "010", 3);
		p = ftext(p, kind, 1);
		p = ftext(p, inv->ps.num, 11);
		nent(f, e, (size_t)(p - e));
		p = ftext(e, "100", 3);
		p = ftext(p, inv->b.nir, 13);
		p = fnum(p, (uint64_t)inv->key, 2);
		p = fnum(p, inv->number, 9);
		p = fdate(p, inv->date, 0);
		p = fsigned(p, inv->total, 12);
		p = ftext(p, inv->tp ? "1" : "0", 1);
		nent(f, e, (size_t)(p - e));
		p = ftext(e, "101", 3);
		p = ftext(p, "", 15);
		p = fdate(p, inv->b.birth, 0);
		p = fnum(p, (uint64_t)inv->b.rang, 1);
		nent(f, e, (size_t)(p - e));
		p = ftext(e, "102", 3);
		p = ftext(p, w->amc[inv->b.client], 10);
		p = ftext(p, inv->b.adherent, 15);
		nent(f, e, (size_t)(p - e));
	} else {
		p = ftext(e, "1", 1);
		p = ftext(p, kind, 1);
		p = ftext(p, inv->ps.num, 11);
		p = ftext(p, f->def->regime, 2);
		p = ftext(p, f->def->caisse, 3);
		b2rec(f, e, p);
		p = ftext(e, "2", 1);
		p = fnum(p, f->n[0] + 1, 10);
		p = ftext(p, inv->b.nir, 13);
		p = fnum(p, (uint64_t)inv->key, 2);
		p = fnum(p, (uint64_t)inv->b.rang, 3);
		p = fnum(p, inv->number, 9);
		p = fdate(p, inv->date, 0);
		p = fdate(p, inv->b.birth, 0);
		p = ftext(p, w->amc[inv->b.client], 10);
		p = ftext(p, inv->b.adherent, 15);
		p = ftext(p, "", 15);
		p = fnum(p, (uint64_t)inv->total, 11);
		p = ftext(p, inv->tp ? "1" : "0", 1);
		b2rec(f, e, p);
	}
}

/*
 * The controls a close of level i carries after its count and total
 * (the layouts' control lines): NOEMIE's FR, B2's AMO; then BR; then the
 * sum of the act dates as day numbers.
 */
static char *
flowctl(const struct flow *f, char *p, int i, int wm, int wd)
{
	if (f->def->noemie) {
		p = fsigned(p, f->c[i][0], wm);
		p = fsigned(p, f->c[i][1], wm);
	} else {
		p = fsigned(p, f->c[i][1], wm);
		p = fsigned(p, f->c[i][0], wm);
	}
	return fnum(p, (uint64_t)f->c[i][2], wd);
}

static int hpsaid;		/* -A parcours: B2 lines say the care pathway */

/* One act line, rank no of its invoice; the invoice closes after the last. */
static void
flowline(struct flow *f, const struct claim *c, int no, int last)
{
	const struct line *ln = c->ln;
	const struct act *a = &acts[ln->act];
	char e[160], *p;
	int64_t tot = f->def->noemie ? ln->amo : ln->fr;
	int cancel = c->anom == A_CANCEL, i;

	p = ftext(e, f->def->noemie ? "200" : "3", f->def->noemie ? 3 : 1);
	p = fnum(p, (uint64_t)no, 3);
	if (f->def->noemie)
		p = ftext(p, c->rej ? "J" : cancel ? "A" : "N", 1);
	p = fdate(p, ln->date, 0);
	p = ftext(p, a->code, 5);
	p = fnum(p, 100, 5);
	p = fnum(p, (uint64_t)ln->qty, 3);
	p = fsigned(p, ln->fr, 10);
	p = fsigned(p, ln->br, 10);
	p = fnum(p, (uint64_t)ln->rate, 5);
	p = fsigned(p, ln->amo, 10);
	p = fsigned(p, ln->pf, 8);
	p = fsigned(p, ln->fran, 8);
	if (f->def->noemie) {
		p = fsigned(p, ln->fr - ln->br, 10);
		if (cancel) {
			p = fnum(p, c->inv->number, 9);
			p = fnum(p, c->ok - c->inv->kf + 1, 3);
		} else
			p = ftext(p, "", 12);
		nent(f, e, (size_t)(p - e));
	} else {
		p = ftext(p, "N", 1);
		/* The care pathway, said of doctors' visits with -A parcours. */
		if (hpsaid && isdoctor(c->inv->ps.dom))
			p = ftext(p, ln->hp ? "H" : "P", 1);
		b2rec(f, e, p);
	}
	for (i = 0; i < 3; i++) {
		f->n[i]++;
		f->t[i] += tot;
		f->c[i][0] += f->def->noemie ? ln->fr : ln->amo;
		f->c[i][1] += ln->br;
		f->c[i][2] += ln->date;
	}
	if (!last)
		return;
	/* Close the invoice (level 2), then the PS (level 1). */
	for (i = 2; i >= 1; i--) {
		if (f->def->noemie) {
			p = ftext(e, "990", 3);
			p = fnum(p, (uint64_t)i, 1);
		} else
			p = ftext(e, i == 2 ? "5" : "8", 1);
		p = fnum(p, f->n[i], 7);
		p = fsigned(p, f->t[i], 13);
		p = flowctl(f, p, i, 13, 12);
		if (f->def->noemie)
			nent(f, e, (size_t)(p - e));
		else
			b2rec(f, e, p);
	}
	if (f->def->noemie)
		nline(f);
}

static void
flowclose(struct flow *f, int z, int trunc)
{
	char e[160], *p, path[PATH_MAX + 16];

	if (f->def->noemie) {
		p = ftext(e, "999", 3);
		p = fnum(p, f->n[0], 9);
		p = fsigned(p, f->t[0], 15);
		p = flowctl(f, p, 0, 15, 14);
		nent(f, e, (size_t)(p - e));
		nline(f);
	} else {
		p = ftext(e, "9", 1);
		p = fnum(p, f->n[0], 9);
		p = fsigned(p, f->t[0], 15);
		p = flowctl(f, p, 0, 15, 14);
		b2rec(f, e, p);
	}
	if (fclose(f->fp) != 0)
		die(EX_IOERR, "%s: write error", f->path);
	if (trunc) {
		/* A truncated gzip copy: name.trunc.ext.gz */
		p = strrchr(f->path, '.');
		snprintf(path, sizeof path, "%.*s.trunc%s.gz", (int)(p - f->path),
		    f->path, p);
		gzcopy(f->p.fd, path, 1);
	}
	publish(&f->p, f->path, z);
}

/* Which flow the invoice starting at line k of day j goes to. */
static int
route(const struct world *w, int j, uint64_t k, int anom)
{
	struct rng r;
	int u;

	rinit(&r, w, K_ROUTE, (uint64_t)j, k);
	u = (int)below(&r, 100);
	if (u < 25 && anom != A_CANCEL)
		return FL_B2;
	return u % 2 ? FL_N1 : FL_N2;
}

/*
 * The claims dedup(1) sees with one key: a clean line and its copies of
 * the same day or later days (v 2), a near-repeat of a line and those made
 * with the same change (v 0, one cent more; v 1, a day earlier).  Within
 * a day, the first in the order dedup reads them (the files in name order,
 * then their lines) is the first; the others are duplicates, the original
 * itself when a copy comes in a file read before its own.  Against earlier
 * days dedup -l reads the ledger of lines paid: a claim is a duplicate
 * only if a line of its key is still paid, so a copy of a line never paid
 * (or paid and cancelled) is judged on its own.  What a copy was paid, and
 * under which PEC, is kept for that and for a cancellation.
 */
struct rep {
	int oj;
	uint64_t ok;
	int v;
	int j, fl;
	uint64_t k;
	int dup;		/* a claim of the same day with the key before it */
	int64_t paid;		/* what is left paid on the copy */
	int cj;			/* the day it was cancelled, or -1 */
	struct pec *pec;
};
static struct rep *reps;
static size_t nrep, repalloc;

static int
repcmp(const void *a, const void *b)
{
	const struct rep *x = a, *y = b;

	if (x->oj != y->oj)
		return x->oj < y->oj ? -1 : 1;
	if (x->ok != y->ok)
		return x->ok < y->ok ? -1 : 1;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	if (x->j != y->j)
		return x->j < y->j ? -1 : 1;
	if (x->fl != y->fl)
		return x->fl < y->fl ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static void
repadd(int oj, uint64_t ok, int v, int j, int fl, uint64_t k)
{
	struct rep *r;

	if (nrep == repalloc) {
		repalloc = repalloc ? repalloc * 2 : 64;
		reps = xrealloc(reps, repalloc * sizeof *reps);
	}
	r = &reps[nrep++];
	r->oj = oj;
	r->ok = ok;
	r->v = v;
	r->j = j;
	r->fl = fl;
	r->k = k;
	r->dup = 0;
	r->paid = 0;
	r->cj = -1;
	r->pec = NULL;
}

/* The repeats of day j, and the originals of its copies. */
static void
repday(const struct world *w, int j, const struct claim *c)
{
	if (c->anom == A_NEAR)
		repadd(c->oj, c->ok, c->nearv, j, route(w, j, c->k, c->anom), c->k);
	else if (c->anom == A_DUPINTRA || c->anom == A_DUPINTER) {
		repadd(c->oj, c->ok, 2, j, route(w, j, c->k, c->anom), c->k);
		repadd(c->oj, c->ok, 2, c->oj, route(w, c->oj, c->inv->kf, A_NONE),
		    c->ok);
	}
}

/* Mark them: a claim listed twice (an original copied twice) is one. */
static void
repsort(void)
{
	struct rep *r;
	size_t i;

	if (nrep > 0)
		qsort(reps, nrep, sizeof *reps, repcmp);
	for (i = 1; i < nrep; i++) {
		r = &reps[i];
		if (repcmp(r, r - 1) == 0)
			r->dup = r[-1].dup;
		else
			r->dup = r->oj == r[-1].oj && r->ok == r[-1].ok &&
			    r->v == r[-1].v && r->j == r[-1].j;
	}
}

/* Whether two entries are of the same key. */
static int
samekey(const struct rep *x, const struct rep *y)
{
	return x->oj == y->oj && x->ok == y->ok && x->v == y->v;
}

/* The entry of claim c of day j, come by flow fl, or NULL. */
static struct rep *
repfind(const struct claim *c, int j, int fl)
{
	struct rep key, *r;

	if (c->anom == A_CANCEL)
		return NULL;
	key.oj = ISREPEAT(c->anom) ? c->oj : j;
	key.ok = ISREPEAT(c->anom) ? c->ok : c->k;
	key.v = c->anom == A_NEAR ? c->nearv : 2;
	key.j = j;
	key.fl = fl;
	key.k = c->k;
	r = nrep > 0 ? bsearch(&key, reps, nrep, sizeof *reps, repcmp) : NULL;
	if (r == NULL && ISREPEAT(c->anom))
		die(EX_SOFTWARE, "a repeat lost");
	return r;
}

/*
 * The PECs granted since the first day.  One for each invoice of a day
 * that needs one, but those of unknown beneficiaries and the nopec ones,
 * out of rights lines aside: the acts that need it, from 15 days before
 * the first act to 15 days after the last, for what the guarantee gives
 * for them.
 */
static struct pec **pecs;	/* each allocated once: lines and copies point to them */
static size_t npec, pecalloc;
static size_t *pecn;		/* the PECs granted by the end of each day */
/*
 * The PECs of a beneficiary, in the order granted: chains by a hash of
 * client, NIR, birth and rang (pecnext: the next PEC of the chain, +1; 0
 * none), so that a claim finds its beneficiary's without going through
 * every PEC granted since the first day.
 */
#define PECHASH 65536
static size_t pechead[PECHASH], pectail[PECHASH], *pecnext;

static size_t
pecslot(int client, const char *nir, int32_t birth, int rang)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < 13 && nir[i] != '\0'; i++)
		h = (h ^ (unsigned char)nir[i]) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(uint32_t)client) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(uint32_t)birth) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(uint32_t)rang) * 0x100000001b3ULL;
	return (size_t)(h ^ h >> 32) & (PECHASH - 1);
}

static void
grant(const struct world *w, int j, const struct invoice *inv, const struct line *ln,
    struct ts_writer *o)
{
	const struct benef *b = &inv->b;
	const struct rule *ru;
	struct pec *p;
	int32_t end = mend(w, j, b->id - 1, b);
	char codes[64];
	int i, a, n;

	if (npec == pecalloc) {
		pecalloc = pecalloc ? pecalloc * 2 : 64;
		pecs = xrealloc(pecs, pecalloc * sizeof *pecs);
		pecnext = xrealloc(pecnext, pecalloc * sizeof *pecnext);
	}
	p = xmalloc(sizeof *p);
	memset(p, 0, sizeof *p);
	for (i = 0; i < inv->size; i++) {
		if (ln[i].date < b->start || ln[i].date > end ||
		    (ru = cover(w, j, b, &ln[i])) == NULL || !ru->pec)
			continue;
		if (p->acts == 0 || ln[i].date < p->from)
			p->from = ln[i].date;
		if (p->acts == 0 || ln[i].date > p->to)
			p->to = ln[i].date;
		p->acts |= 1U << ln[i].act;
		p->amount += formula(w, ru, &ln[i], 1, -1, &inv->ps, NULL);
	}
	if (p->acts == 0) {
		free(p);
		return;
	}
	pecs[npec++] = p;
	memcpy(p->no, w->ymd[j], 8);
	digits(p->no + 8, inv->kf + 1, 7);
	p->client = b->client;
	memcpy(p->nir, b->nir, sizeof p->nir);
	p->birth = b->birth;
	p->rang = b->rang;
	{
		size_t h = pecslot(p->client, p->nir, p->birth, p->rang);

		pecnext[npec - 1] = 0;
		if (pechead[h] == 0)
			pechead[h] = npec;
		else
			pecnext[pectail[h] - 1] = npec;
		pectail[h] = npec;
	}
	p->ps = inv->ps;
	p->from -= 15;
	p->to += 15;
	ts_wstr(o, w->amc[b->client], 9);
	ts_wstr(o, p->no, 15);
	ts_wstr(o, b->nir, 13);
	wdigits(o, (uint64_t)b->key, 2);
	ts_wdate(o, b->birth);
	wnum(o, (uint64_t)b->rang);
	ts_wcstr(o, pskinds[domains[inv->ps.dom].kind]);
	ts_wcstr(o, inv->ps.num);
	ts_wcstr(o, domains[inv->ps.dom].name);
	for (a = 0, n = 0; a < (int)(sizeof acts / sizeof acts[0]); a++)
		if (p->acts & 1U << a)
			n += snprintf(codes + n, sizeof codes - (size_t)n, "%s%s",
			    n > 0 ? " " : "", acts[a].code);
	ts_wcstr(o, codes);
	ts_wdate(o, p->from);
	ts_wdate(o, p->to);
	ts_wmoney(o, p->amount);
	ts_wend(o);
}

static void
wpecs(const struct world *w, int j, const char *dir, int z)
{
	static const char *const cols[] = {
		"amc", "pec_number", "nir", "nir_key", "birth_date", "rang",
		"ps_kind", "ps_number", "domain", "act_codes", "valid_from",
		"valid_to", "amount_eur"
	};
	static struct walk wk;
	static struct claim c;
	struct out o;

	oopen(&o, dir, "pec.tsv", "pec", cols, 13);
	/* The PECs granted late: for the day before's latepec invoices. */
	if (j > 0 && w->rate[A_LATEPEC] > 0) {
		wk.j = j - 1;
		wk.k = 0;
		while (nextclaim(w, &wk, &c))
			if (!ISREPEAT(c.anom) && c.k == c.inv->kf && c.anom == A_LATEPEC)
				grant(w, j, c.inv, c.ln, &o.w);
	}
	wk.j = j;
	wk.k = 0;
	while (nextclaim(w, &wk, &c))
		if (ISREPEAT(c.anom))
			repday(w, j, &c);
		else if (c.k == c.inv->kf && c.anom != A_UNKNOWN &&
		    c.anom != A_NOPEC && c.anom != A_LATEPEC)
			grant(w, j, c.inv, c.ln, &o.w);
	repsort();
	pecn = xrealloc(pecn, ((size_t)j + 1) * sizeof *pecn);
	pecn[j] = npec;
	oclose(&o, z);
}

static int indus_on;		/* the world has -A indus */
static int cards_on;		/* the world has -A cards */

/*
 * What liquidate(1) decides for a claim line of day j, come by flow fl.
 * A line paid or cancelled under a PEC waits for the end of the day, to
 * be taken in liquidate's order: what is left of the PEC depends on it.
 */
struct dec {
	int code;
	int64_t amc;
	int ident, capped;
	struct pec *pec;
	struct rep *rep;	/* the claim's key entry, if a repeat's */
	struct rep *from;	/* a cancellation's: the copy it recovers */
	/* the order: amc, contract, act date, PS, invoice, line, input */
	const char *amcno;
	char contract[11];
	int32_t date;
	const char *pskind;
	char psnum[12];
	uint64_t psi;		/* the PS's index */
	uint64_t invoice;
	int no, fl;
	uint64_t k;
	int again, j0;		/* presented again (on hold since day j0) */
	int contested;		/* presented again, contested */
	struct pec *cand[8];	/* the PECs valid for the line, oldest first */
	int ncand;
	/* a line under a plafond: which, the part, the quantity, whose */
	int plaf, part, qty, client;
	uint64_t bid;
	int32_t bstart;
	int64_t held[NW];	/* what each bound of the contrat responsable withheld */
	int anniv;		/* decided otherwise over the calendar year */
	int32_t rend;		/* -A indus: the rights' end a late radiation sets */
	int kept;		/* paid on a card kept after the rights' end: LQ03 */
	uint64_t pos;		/* its rank in its flow, or among the lines presented again */
	uint64_t firstno;	/* presented again: its first claim's number */
};

/*
 * The generator's ledger of paid lines, as liquidate(1) reads it back: the
 * lines of a PEC paid less than the formula gives (capped, or nothing left:
 * LQ14), and the lines a cancellation recovered, with its day.  A line
 * decided again gives the rest.
 */
struct settled {
	int j;
	uint64_t k;
	int code;
	int64_t amc;
	struct pec *pec;	/* the PEC it was paid under */
};
static struct settled *sets;
static size_t nset, setalloc;

struct undo {
	int oj;
	uint64_t ok;
	int j;
};
static struct undo *undos;
static size_t nundo, undoalloc;

static int
setcmp(const void *a, const void *b)
{
	const struct settled *x = a, *y = b;

	if (x->j != y->j)
		return x->j < y->j ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static int
undocmp(const void *a, const void *b)
{
	const struct undo *x = a, *y = b;

	if (x->oj != y->oj)
		return x->oj < y->oj ? -1 : 1;
	return x->ok < y->ok ? -1 : x->ok > y->ok;
}

static void decide(const struct world *, int, const struct claim *, int, struct dec *);
static int latepec_on;		/* the world has -A latepec: its truth row */

/* PECs by age: the earliest valid_from, then the number. */
static int
pecage(const void *a, const void *b)
{
	const struct pec *x = *(struct pec *const *)a, *y = *(struct pec *const *)b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->no, y->no);
}

/*
 * What is left paid on clean line ok of day oj, and the PEC it consumed:
 * the line decided again, its PEC cap as settled, less a cancellation of
 * an earlier day than j (or of day j too, with same: a line cancelled
 * twice in a day).
 */
static int64_t
paidon(const struct world *w, int oj, uint64_t ok, int j, int same, struct pec **pp)
{
	struct invoice oinv;
	struct line oln;
	struct claim oc;
	struct dec od;
	struct settled skey, *sp;
	struct undo ukey, *up;

	locate(w, oj, ok, &oinv, &oln);
	memset(&oc, 0, sizeof oc);
	oc.k = ok;
	oc.anom = A_NONE;
	oc.inv = &oinv;
	oc.ln = &oln;
	decide(w, oj, &oc, route(w, oj, oinv.kf, A_NONE), &od);
	if (pp != NULL)
		*pp = od.pec;
	if (od.code != LQ00)
		return 0;
	skey.j = oj;
	skey.k = ok;
	if ((od.pec != NULL || od.plaf != PL_NONE) && nset > 0 &&
	    (sp = bsearch(&skey, sets, nset, sizeof *sets, setcmp)) != NULL) {
		od.amc = sp->code == LQ00 ? sp->amc : 0;
		if (pp != NULL)
			*pp = sp->pec;
	}
	ukey.oj = oj;
	ukey.ok = ok;
	if (nundo > 0 &&
	    (up = bsearch(&ukey, undos, nundo, sizeof *undos, undocmp)) != NULL &&
	    up->j < j + same)
		return 0;
	return od.amc;
}

/* Whether entry r is the clean line of its key itself, not a copy. */
static int
isorig(const struct rep *r)
{
	return r->v == 2 && r->j == r->oj && r->k == r->ok;
}

/* Whether a line of an earlier day than j with the key of r is still paid. */
static int
paidbefore(const struct world *w, const struct rep *r, int j)
{
	const struct rep *q;

	for (q = r; q > reps && samekey(q - 1, r); q--)
		;
	for (; q < r && q->j < j; q++)
		if (isorig(q) ? paidon(w, q->oj, q->ok, j, 0, NULL) > 0 : q->paid > 0)
			return 1;
	return 0;
}

/* Whether line (j, fl, k) is read before line (bj, bfl, bk). */
static int
readfirst(int j, int fl, uint64_t k, int bj, int bfl, uint64_t bk)
{
	if (j != bj)
		return j < bj;
	if (fl != bfl)
		return fl < bfl;
	return k < bk;
}

/*
 * The line that dedup(1) links a cancellation of clean line ok of day oj
 * to, read as claim k of day j by flow fl.  Its line key is the invoice
 * line, the beneficiary, the act and its date: the original, its copies
 * and its near-repeats of one cent more share it, not those a day
 * earlier.  The oldest line of an earlier day still paid in the ledger
 * (paid, or cancelled on day j only), else the day's first line with the
 * key read before the cancellation, else none.  *orig says the original;
 * else the copy is returned, or NULL and *orig 0 for none.
 */
static struct rep *
linked(const struct world *w, int oj, uint64_t ok, int j, int fl, uint64_t k, int *orig)
{
	struct rep *r, *best = NULL;
	struct invoice oi;
	struct line ol;
	size_t lo = 0, hi = nrep, m;
	int bj, bfl, ofl, pass;
	uint64_t bk;

	locate(w, oj, ok, &oi, &ol);
	ofl = route(w, oj, oi.kf, A_NONE);
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (reps[m].oj < oj || (reps[m].oj == oj && reps[m].ok < ok))
			lo = m + 1;
		else
			hi = m;
	}
	for (pass = 0; pass < 2; pass++) {
		*orig = 0;
		bj = INT_MAX;
		bfl = 0;
		bk = 0;
		if (pass == 0 ? oj < j && paidon(w, oj, ok, j, 0, NULL) > 0 :
		    oj == j && readfirst(oj, ofl, ok, j, fl, k)) {
			*orig = 1;
			bj = oj;
			bfl = ofl;
			bk = ok;
		}
		for (r = reps + lo; r < reps + nrep && r->oj == oj && r->ok == ok; r++) {
			if (isorig(r) || r->v == 1)
				continue;
			if (pass == 0 ? r->j >= j || (r->paid <= 0 && r->cj != j) :
			    r->j != j || !readfirst(r->j, r->fl, r->k, j, fl, k))
				continue;
			if (readfirst(r->j, r->fl, r->k, bj, bfl, bk)) {
				best = r;
				*orig = 0;
				bj = r->j;
				bfl = r->fl;
				bk = r->k;
			}
		}
		if (*orig || best != NULL)
			return *orig ? NULL : best;
	}
	return NULL;
}

static void
decide(const struct world *w, int j, const struct claim *c, int fl, struct dec *d)
{
	const struct invoice *inv = c->inv;
	const struct line *ln = c->ln;
	const struct benef *b = &inv->b;
	const struct rule *ru;
	struct pec *p = NULL, *q;
	int sg = c->anom == A_CANCEL ? -1 : 1, seen = 0;
	size_t i;

	d->amc = 0;
	d->ident = d->capped = 0;
	d->pec = NULL;
	d->rep = d->from = NULL;
	d->again = c->again;
	d->contested = c->contested;
	d->j0 = j;
	d->ncand = 0;
	d->plaf = PL_NONE;
	d->anniv = 0;
	d->rend = 0;
	d->kept = 0;
	d->pos = d->firstno = 0;
	memset(d->held, 0, sizeof d->held);
	d->k = c->k;		/* every return below keeps it: a line on hold needs it */
	d->fl = fl;
	if (c->anom == A_UNKNOWN) {
		d->code = LQ01;
		return;
	}
	/* A beneficiary its client has not declared yet. */
	if (declared(w, b->id - 1) > j) {
		d->code = LQ01;
		return;
	}
	/* A wrong NIR key: the beneficiary is found by its NIR and rang. */
	d->ident = inv->key != b->key;
	/*
	 * A cancellation recovers what is left paid on the line dedup(1)
	 * links it to (linked), after the day's earlier recoveries and that
	 * line's PEC cap; nothing if nothing is left (LQ18).  What the line
	 * consumed of its PEC goes back to it, after the day's payments.
	 */
	if (sg < 0) {
		struct pec *pp = NULL;
		int orig;
		int64_t left = 0;

		d->from = linked(w, c->oj, c->ok, j, fl, c->k, &orig);
		if (orig)
			left = paidon(w, c->oj, c->ok, j, 1, &pp);
		else if (d->from != NULL) {
			left = d->from->paid;
			pp = d->from->pec;
		}
		if (c->rej)
			d->code = left > 0 ? LQ19 : LQ13;
		else
			d->code = left > 0 ? LQ16 : LQ18;
		d->amc = left > 0 ? -left : 0;
		d->pec = left > 0 ? pp : NULL;
		return;
	}
	/*
	 * A cancellation undoes a payment: only the guarantee is checked,
	 * and what the formula gives is recovered, even 0, with no PEC.
	 * The originals of tiers-gen's are always in rights.
	 */
	if (sg > 0 && (ln->date < b->start ||
	    ln->date > mend(w, j, b->id - 1, b))) {
		/*
		 * After the end, on a card kept: judged as in rights, paid
		 * to the PS and owed by the beneficiary (LQ03).
		 */
		if (ln->date < b->start || ln->date > tpend(w, b->id - 1, b, b->end)) {
			d->code = LQ02;
			return;
		}
		d->kept = 1;
	}
	if ((ru = cover(w, j, b, ln)) == NULL) {
		d->code = LQ07;
		return;
	}
	if (ru->pec) {
		for (i = pechead[pecslot(b->client, b->nir, b->birth, b->rang)]; i != 0;
		    i = pecnext[i - 1]) {
			q = pecs[i - 1];
			if (q->client != b->client || strcmp(q->nir, b->nir) != 0 ||
			    q->birth != b->birth || q->rang != b->rang ||
			    q->ps.dom != inv->ps.dom)
				continue;
			seen = 1;
			if (domains[q->ps.dom].kind != domains[inv->ps.dom].kind ||
			    strcmp(q->ps.num, inv->ps.num) != 0 ||
			    !(q->acts & 1U << ln->act) || ln->date < q->from ||
			    ln->date > q->to)
				continue;
			if (p == NULL || q->from < p->from ||
			    (q->from == p->from && strcmp(q->no, p->no) < 0))
				p = q;
			/* settle() takes the oldest with amount left, as liquidate does. */
			if (d->ncand < 8)
				d->cand[d->ncand++] = q;
		}
		if (d->ncand > 1)
			qsort(d->cand, (size_t)d->ncand, sizeof *d->cand, pecage);
		if (p == NULL) {
			d->code = seen ? LQ09 : LQ08;
			return;
		}
	}
	if (!inv->tp && flowdefs[fl].noemie) {
		d->code = LQ10;
		return;
	}
	/*
	 * A line presented again (on hold) is judged by dedup against the
	 * ledger, where it never is: not a repeat.  (Its copies the PS sent
	 * later are not followed: an original is never on hold but a
	 * nopec one.)
	 */
	if (!d->again && (d->rep = repfind(c, j, fl)) != NULL &&
	    (d->rep->dup || paidbefore(w, d->rep, j))) {
		d->code = LQ11;
		return;
	}
	d->amc = formula(w, ru, ln, sg, fl, &inv->ps, d->held);
	d->code = d->amc == 0 ? LQ17 : LQ00;
	d->pec = p;
	d->plaf = ru->plaf;
	d->part = acts[ln->act].part;
	d->qty = ln->qty < 1 ? 1 : ln->qty;
	d->client = b->client;
	d->bid = b->id;
	d->rend = indus_on && b->gone && late(w, b->id - 1) ? b->end : 0;
	d->bstart = b->start;
	d->amcno = w->amc[b->client];
	memcpy(d->contract, b->adherent, sizeof d->contract);
	d->date = ln->date;
	d->pskind = pskinds[domains[inv->ps.dom].kind];
	memcpy(d->psnum, inv->ps.num, sizeof d->psnum);
	d->psi = inv->ps.i;
	d->invoice = inv->number;
	d->fl = fl;
	d->k = c->k;
}

static int
deccmp(const void *a, const void *b)
{
	const struct dec *x = a, *y = b;
	int r;

	if ((r = strcmp(x->amcno, y->amcno)) != 0 ||
	    (r = strcmp(x->contract, y->contract)) != 0)
		return r;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if ((r = strcmp(x->pskind, y->pskind)) != 0 ||
	    (r = strcmp(x->psnum, y->psnum)) != 0)
		return r;
	if (x->invoice != y->invoice)
		return x->invoice < y->invoice ? -1 : 1;
	if (x->no != y->no)
		return x->no < y->no ? -1 : 1;
	if (x->fl != y->fl)
		return x->fl < y->fl ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/*
 * The lines on hold (reject-code(1)): a beneficiary the client has not
 * declared (LQ01), a PEC not received (LQ08), presented again each day
 * until 2 business days after the first, the run's days being business
 * days: then expired.
 */
struct hold {
	int j0, fl;		/* its first day, the flow it came by */
	uint64_t k;
	uint64_t pos, no;	/* its rank on the day it is held; its first claim's number */
};
static struct hold *holds;
static size_t nhold, holdalloc;
#define HOLD_DAYS 2

/*
 * The indus ledger (-A indus), as indus-extract(1) keeps it: a
 * cancellation or an AMO reject that recovers (LQ16, LQ19) opens an
 * item owed by the PS, of what it recovers; a line paid on a card kept
 * after a radiation (LQ03, kept()) or taken away by a radiation
 * corrected retroactively (rlines) one owed by the beneficiary (bitems,
 * below, which follow the same course with the beneficiaries' delay and
 * are never offset).  Each day, before the payments: what the payments
 * of the day before offset comes off the items, then what the PS pay
 * back that day (recovered), an item closing when nothing is left; then
 * an item is transferred to its client the first day it is as old, in
 * calendar days, as the client's PS delay.  With -A pay, the day's payments then offset the
 * items left of a PS for a client that allows compensation, oldest
 * first, at most what the PS is paid.
 */
struct item {
	int client, j;
	uint64_t psi, k;	/* k: the line of the claim that opened it */
	int64_t amt, left, pend;	/* pend: offset by today's payment */
	char id[32];		/* that claim's id, the item's in the ledger */
};
static struct item *items;
static size_t nitem, itemalloc;

static void
iadd(struct truth *t, int client, uint64_t psi, int j, int64_t amt, uint64_t k,
    const char *id)
{
	if (nitem == itemalloc) {
		itemalloc = itemalloc ? 2 * itemalloc : 64;
		items = xrealloc(items, itemalloc * sizeof *items);
	}
	items[nitem].client = client;
	items[nitem].j = j;
	items[nitem].psi = psi;
	items[nitem].k = k;
	snprintf(items[nitem].id, sizeof items[nitem].id, "%s", id);
	items[nitem].amt = items[nitem].left = amt;
	items[nitem++].pend = 0;
	t->ind[IN_NEWPS]++;
	t->indamt[IN_NEWPS] += amt;
}

/*
 * The beneficiaries' items: a line paid on a card kept (LQ03) opens one
 * the day it is paid, of its AMC; a line a late radiation takes away,
 * the day it is corrected (rlines).  Both are named by the line's claim
 * id, its dup_id, known once the day's files are all read (idfix).
 * From the day after it opens, the client reports what the beneficiary
 * paid back, in the same files and at the same rates as the PS's
 * (brecovered); then an item is transferred to its client the first day
 * it is as old, in calendar days, as the client's beneficiary delay.  No
 * cancellation or AMO reject comes on their lines (tiers-gen's repeat
 * lines without anomaly): none is withdrawn.
 */
struct bitem {
	int client, j;
	uint64_t k;		/* the line, on its day */
	int64_t amt, left;
	int again;		/* presented again: pos among those */
	int fl;
	uint64_t pos;
	char id[32];
};
static struct bitem *bitems;
static size_t nbitem, bitemalloc;

/*
 * The lines paid to the PS for a beneficiary whose radiation comes late,
 * for an act after the rights' end it will have: on the day the
 * radiation is corrected, retroactively, each opens an item owed by the
 * beneficiary (origin retro), of what was paid, if it was paid before
 * that day (the store of lines paid is the day before's) and its act is
 * at most 60 days after the end (what the radiation took away) and not
 * after the day.  No cancellation or AMO reject comes on such a line:
 * what was paid is left.
 */
struct rline {
	uint64_t bid, k;
	int j, client;
	int32_t date, rend;
	int64_t amc;
	int again, fl;
	uint64_t pos;
	char id[32];		/* its claim id, the item's */
};
static struct rline *rlines;
static size_t nrline, rlinealloc;

static void
radd(const struct dec *d, int j)
{
	struct rline *l;

	if (nrline == rlinealloc) {
		rlinealloc = rlinealloc ? 2 * rlinealloc : 64;
		rlines = xrealloc(rlines, rlinealloc * sizeof *rlines);
	}
	l = &rlines[nrline++];
	memset(l, 0, sizeof *l);
	l->bid = d->bid;
	l->k = d->k;
	l->j = j;
	l->client = d->client;
	l->date = d->date;
	l->rend = d->rend;
	l->amc = d->amc;
	l->again = d->again;
	l->fl = d->fl;
	l->pos = d->pos;
}

/*
 * A beneficiary's item of amt opened on day j: a line of the day's, its
 * id made by idfix (d), or a line of an earlier day (id).
 */
static void
badd(struct truth *t, int client, int j, int64_t amt, uint64_t k, const struct dec *d,
    const char *id)
{
	struct bitem *it;

	if (nbitem == bitemalloc) {
		bitemalloc = bitemalloc ? 2 * bitemalloc : 64;
		bitems = xrealloc(bitems, bitemalloc * sizeof *bitems);
	}
	it = &bitems[nbitem++];
	memset(it, 0, sizeof *it);
	it->client = client;
	it->j = j;
	it->k = k;
	it->amt = it->left = amt;
	if (d != NULL) {
		it->again = d->again;
		it->fl = d->fl;
		it->pos = d->pos;
	} else
		snprintf(it->id, sizeof it->id, "%s", id);
	t->ind[IN_NEWBENEF]++;
	t->indamt[IN_NEWBENEF] += amt;
}

/*
 * The number in the claim id dedup gives a line of a day: the lines
 * presented again first (npres of them), then the flows in order (fpos
 * lines each).
 */
static uint64_t
claimno(int again, int fl, uint64_t pos, uint64_t npres, const uint64_t *fpos)
{
	uint64_t before = 0;
	int i;

	if (!again)
		for (before = npres, i = 0; i < fl; i++)
			before += fpos[i];
	return before + pos + 1;
}

static void
lineid(char *id, size_t n, const char *ymd, int again, int fl, uint64_t pos,
    uint64_t npres, const uint64_t *fpos)
{
	snprintf(id, n, "%s#%llu", ymd,
	    (unsigned long long)claimno(again, fl, pos, npres, fpos));
}

/* Lines on hold by their first claim: its day, then its number. */
static int
holdcmp(const void *a, const void *b)
{
	const struct hold *x = a, *y = b;

	if (x->j0 != y->j0)
		return x->j0 < y->j0 ? -1 : 1;
	return x->no < y->no ? -1 : x->no > y->no;
}

/* The ids of the lines of day j paid to a beneficiary's account. */
static void
idfix(int j, const char *ymd, uint64_t npres, const uint64_t *fpos)
{
	size_t i;

	for (i = 0; i < nrline; i++)
		if (rlines[i].j == j && rlines[i].id[0] == '\0')
			lineid(rlines[i].id, sizeof rlines[i].id, ymd, rlines[i].again,
			    rlines[i].fl, rlines[i].pos, npres, fpos);
	for (i = 0; i < nbitem; i++)
		if (bitems[i].j == j && bitems[i].id[0] == '\0')
			lineid(bitems[i].id, sizeof bitems[i].id, ymd, bitems[i].again,
			    bitems[i].fl, bitems[i].pos, npres, fpos);
}

/*
 * What the PS pays back of item it on day j, after the day before's
 * offsets: from the second day, an item of an earlier day is paid back
 * whole one time in eight, half of what is left (rounded down) one time
 * in eight, in a file of its client's, indus-recoveries-AMC.tsv.
 */
static int64_t
recovered(const struct world *w, int j, const struct item *it)
{
	struct rng r;
	uint64_t u;
	int64_t left = it->left - it->pend;

	if (j == 0 || it->j >= j || left <= 0)
		return 0;
	rinit(&r, w, K_RECOVER, (uint64_t)j << 32 | (uint64_t)it->j, it->k);
	u = below(&r, 8);
	if (u == 0 || (u == 1 && left < 2))
		return left;
	return u == 1 ? left / 2 : 0;
}

/* What the beneficiary pays back of item it on day j: as a PS would. */
static int64_t
brecovered(const struct world *w, int j, const struct bitem *it)
{
	struct rng r;
	uint64_t u;

	if (j == 0 || it->j >= j || it->left <= 0)
		return 0;
	rinit(&r, w, K_RECOVER, 1ULL << 63 | (uint64_t)j << 32 | (uint64_t)it->j, it->k);
	u = below(&r, 8);
	if (u == 0 || (u == 1 && it->left < 2))
		return it->left;
	return u == 1 ? it->left / 2 : 0;
}

static void rmfiles(const char *, const char *const *);

static void
wrecov(const struct world *w, int j, const char *dir, int z, const int64_t *rec,
    const int64_t *brec)
{
	static const char *const cols[] = {
		"amc", "item", "recovered_eur", "received", "reference"
	};
	struct out o;
	char name[64], gz[68], ref[32];
	const char *names[3] = { name, gz, NULL };
	size_t i, n;
	int c;

	for (c = 0; c < w->nclient; c++) {
		snprintf(name, sizeof name, "indus-recoveries-%s.tsv", w->amc[c]);
		snprintf(gz, sizeof gz, "%s.gz", name);
		rmfiles(dir, names);
		for (n = i = 0; i < nitem; i++)
			n += items[i].client == c && rec[i] > 0;
		for (i = 0; i < nbitem; i++)
			n += bitems[i].client == c && brec[i] > 0;
		if (n == 0)
			continue;
		oopen(&o, dir, name, "indus-recovery", cols, 5);
		/* The PS's, then the beneficiaries'. */
		for (n = i = 0; i < nitem + nbitem; i++) {
			int b = i >= nitem;
			size_t x = b ? i - nitem : i;
			int64_t v = b ? brec[x] : rec[x];

			if ((b ? bitems[x].client : items[x].client) != c || v <= 0)
				continue;
			ts_wstr(&o.w, w->amc[c], 9);
			ts_wcstr(&o.w, b ? bitems[x].id : items[x].id);
			ts_wmoney(&o.w, v);
			ts_wdate(&o.w, w->day[j]);
			snprintf(ref, sizeof ref, "R%.8s-%zu", w->ymd[j], ++n);
			ts_wcstr(&o.w, ref);
			ts_wend(&o.w);
		}
		oclose(&o, z);
	}
}

/* Day j's ledger, once its items are opened. */
static void
indusday(const struct world *w, int j, const char *dir, int z, struct truth *t)
{
	static int64_t *rec, *brec;
	static size_t recalloc, brecalloc;
	size_t i, keep = 0;
	int d;

	for (i = 0; i < nrline; i++) {
		struct rline *l = &rlines[i];

		if (w->ndays < 2 || (int)((l->bid - 1) % (uint64_t)(w->ndays - 1)) + 1 != j ||
		    l->j >= j || l->date <= l->rend || l->date > l->rend + 60 ||
		    l->date > w->day[j])
			continue;
		badd(t, l->client, j, l->amc, l->k, NULL, l->id);
		t->ind[IN_RETRO]++;
		t->indamt[IN_RETRO] += l->amc;
	}

	if (nitem > recalloc) {
		recalloc = nitem;
		rec = xrealloc(rec, recalloc * sizeof *rec);
	}
	if (nbitem > brecalloc) {
		brecalloc = nbitem;
		brec = xrealloc(brec, brecalloc * sizeof *brec);
	}
	for (i = 0; i < nitem; i++)
		rec[i] = recovered(w, j, &items[i]);
	for (i = 0; i < nbitem; i++)
		brec[i] = brecovered(w, j, &bitems[i]);
	wrecov(w, j, dir, z, rec, brec);
	for (i = 0; i < nitem; i++) {
		if (items[i].pend > 0) {
			t->ind[IN_OFFSETPS]++;
			t->indamt[IN_OFFSETPS] += items[i].pend;
			items[i].left -= items[i].pend;
			items[i].pend = 0;
		}
		/* After the offsets, as indus-extract applies them. */
		if (rec[i] > 0) {
			t->ind[IN_RECPS]++;
			t->indamt[IN_RECPS] += rec[i];
			items[i].left -= rec[i];
		}
		if (items[i].left == 0)
			continue;
		d = psdays(w, items[i].client);
		if (d >= 0 && w->day[j] - w->day[items[i].j] >= d) {
			t->ind[IN_TRANSPS]++;
			t->indamt[IN_TRANSPS] += items[i].left;
			continue;
		}
		t->ind[IN_OPENPS]++;
		t->indamt[IN_OPENPS] += items[i].left;
		items[keep++] = items[i];
	}
	nitem = keep;
	for (keep = i = 0; i < nbitem; i++) {
		if (brec[i] > 0) {
			t->ind[IN_RECBENEF]++;
			t->indamt[IN_RECBENEF] += brec[i];
			bitems[i].left -= brec[i];
		}
		if (bitems[i].left == 0)
			continue;
		d = benefdays(w, bitems[i].client);
		if (d >= 0 && w->day[j] - w->day[bitems[i].j] >= d) {
			t->ind[IN_TRANSBENEF]++;
			t->indamt[IN_TRANSBENEF] += bitems[i].left;
			continue;
		}
		t->ind[IN_OPENBENEF]++;
		t->indamt[IN_OPENBENEF] += bitems[i].left;
		bitems[keep++] = bitems[i];
	}
	nbitem = keep;
}

/*
 * What the payment of PS psi by client c, of gross, offsets of its
 * items: the items are in the order they opened.
 */
static int64_t
offset(const struct world *w, int c, uint64_t psi, int64_t gross, struct truth *t)
{
	int64_t room = gross, take;
	size_t i;

	if (!indus_on || !compensates(w, c) || (w->nclient > 1 && c == w->nclient - 1))
		return 0;
	for (i = 0; i < nitem && room > 0; i++) {
		if (items[i].client != c || items[i].psi != psi)
			continue;
		take = items[i].left < room ? items[i].left : room;
		items[i].pend = take;
		room -= take;
		t->pay[PY_OFFSET]++;
		t->payamt[PY_OFFSET] += take;
	}
	return gross - room;
}

/*
 * The payments (-A pay), as payment-edit(1) makes them: the lines paid
 * (paid, paid-report: the generator's are all to the PS) go to their PS
 * for their client, one transfer per PS, client and day, of their sum
 * less the offsets of its indus items (-A indus; without it no client
 * allows compensation) when above 0.00.  They are
 * held while the client has no paying account or the PS's register row
 * has no IBAN or a wrong key, and paid the first day both are right.
 * The register of the first day gives a share of the PS (the rate) bad
 * bank details, half of them fixed by the register of the third day and
 * half of those left by each register after it (psbank); the
 * parameters of the first day give every client an account but the
 * last, whose account comes the second day.
 */
struct pline {
	int client;
	uint64_t psi;
	int64_t amc;
};
static struct pline *pday, *pheld;	/* the day's lines paid; those held */
static size_t npday, pdayalloc, npheld, pheldalloc;
static int pay_on;		/* the world has -A pay */

static void
padd(struct pline **v, size_t *n, size_t *alloc, const struct pline *l)
{
	if (*n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 256;
		*v = xrealloc(*v, *alloc * sizeof **v);
	}
	(*v)[(*n)++] = *l;
}

static int
plinecmp(const void *a, const void *b)
{
	const struct pline *x = a, *y = b;

	if (x->client != y->client)
		return x->client < y->client ? -1 : 1;
	return x->psi < y->psi ? -1 : x->psi > y->psi;
}

/*
 * Day j's payments, once its lines are decided: the lines held before
 * that can be paid now (released), the day's (paid or held), and the
 * transfers, per client and PS.
 */
static void
payday(const struct world *w, int j, struct truth *t)
{
	struct pline *go;
	size_t i, n, ngo = 0, goalloc = 0, keep = 0;
	int64_t sum;

	go = NULL;
	for (i = 0; i < npheld; i++)
		if (hasaccount(w, pheld[i].client, j) && psbank(w, pheld[i].psi, j) == IB_GOOD) {
			t->pay[PY_RELEASED]++;
			t->payamt[PY_RELEASED] += pheld[i].amc;
			padd(&go, &ngo, &goalloc, &pheld[i]);
		} else
			pheld[keep++] = pheld[i];
	npheld = keep;
	for (i = 0; i < npday; i++)
		if (hasaccount(w, pday[i].client, j) && psbank(w, pday[i].psi, j) == IB_GOOD)
			padd(&go, &ngo, &goalloc, &pday[i]);
		else
			padd(&pheld, &npheld, &pheldalloc, &pday[i]);
	npday = 0;
	for (i = 0; i < npheld; i++) {
		t->pay[PY_HELD]++;
		t->payamt[PY_HELD] += pheld[i].amc;
	}
	if (ngo > 1)
		qsort(go, ngo, sizeof *go, plinecmp);
	for (i = 0; i < ngo; i = n) {
		for (sum = 0, n = i; n < ngo && plinecmp(&go[i], &go[n]) == 0; n++) {
			t->pay[PY_PAID]++;
			t->payamt[PY_PAID] += go[n].amc;
			sum += go[n].amc;
		}
		if (sum > 0)
			sum -= offset(w, go[i].client, go[i].psi, sum, t);
		if (sum > 0) {
			t->pay[PY_TRANSFERS]++;
			t->payamt[PY_TRANSFERS] += sum;
		}
	}
	free(go);
}

static void
account(struct truth *t, const struct dec *d)
{
	int o, j0 = d->again ? d->j0 : t->j;
	/* A line paid on a card kept: decided as paid, then coded so. */
	int code = d->kept && d->code == LQ00 ? LQ03 : d->code;

	if (!d->again) {
		t->lq[code]++;
		t->lqamc[code] += d->amc;
		t->amctot += d->amc;
		if (d->ident) {
			t->nident++;
			t->identamc += d->amc;
		}
		if (d->capped) {
			t->ncapped++;
			t->cappedamc += d->amc;
		}
		for (o = 0; o < NW && d->code == LQ00; o++)
			if (d->held[o] > 0) {
				t->ncr[o]++;
				t->cramt[o] += d->held[o];
			}
		if (d->anniv) {
			t->nanniv++;
			t->annivamc += d->amc;
		}
	}
	switch (code) {
	case LQ00:
	case LQ03: o = d->ident ? O_REPORT : O_PAID; break;
	case LQ01:
	case LQ08: o = t->j >= j0 + HOLD_DAYS ? O_EXPIRED : O_HOLD; break;
	case LQ10: o = O_CLIENT; break;
	case LQ16:
	case LQ19: o = O_RECOVER; break;
	default: o = O_REJECTED; break;
	}
	/* A contested line rejected again: confirmed, never held again. */
	if (d->contested && (o == O_REJECTED || o == O_HOLD || o == O_EXPIRED))
		o = O_CONFIRMED;
	t->out[o]++;
	t->outamc[o] += d->amc;
	if (indus_on && d->rend != 0 && (o == O_PAID || o == O_REPORT) && d->amc > 0 &&
	    d->date > d->rend)
		radd(d, t->j);
	if (indus_on && code == LQ03 && d->amc > 0)
		badd(t, d->client, t->j, d->amc, d->k, d, NULL);
	if (pay_on && (o == O_PAID || o == O_REPORT)) {
		struct pline l = { d->client, d->psi, d->amc };

		padd(&pday, &npday, &pdayalloc, &l);
	}
	if (o == O_HOLD && !d->contested) {
		if (nhold == holdalloc) {
			holdalloc = holdalloc ? 2 * holdalloc : 64;
			holds = xrealloc(holds, holdalloc * sizeof *holds);
		}
		holds[nhold].j0 = j0;
		holds[nhold].fl = d->fl;
		holds[nhold].pos = d->pos;
		holds[nhold].no = d->again ? d->firstno : 0;	/* a day's: holdfix */
		holds[nhold++].k = d->k;
	}
	if (d->rep != NULL) {
		d->rep->paid = d->code == LQ00 ? d->amc : 0;
		d->rep->pec = d->pec;
	}
}

/*
 * The consumption of plafonds, as liquidate(1) keeps it: a line paid
 * under one adds an event of its beneficiary to the plafond's counter (1
 * and the amount paid) and, a frame or lenses, to its part's (the
 * quantity); a cancellation gives back what its line added.  Chained by
 * beneficiary, through a table on its id.
 */
struct cev {
	uint64_t bid;
	int plaf, part;		/* part P_NONE: the plafond's own counter */
	int32_t date;
	long count;
	int64_t amount;
	int rj;			/* the line that added it: day, line */
	uint64_t rk;
	size_t prev;		/* the beneficiary's event before, or NOEV */
};
#define NOEV SIZE_MAX
static struct cev *cevs;
static size_t ncev, cevalloc;
static struct cmap {
	uint64_t bid;		/* 0: free */
	size_t last;
} *cmap;
static size_t cmapcap, cmapn;

/* The slot of beneficiary bid's last event; added, NOEV, when add says. */
static size_t *
clast(uint64_t bid, int add)
{
	struct cmap *old;
	size_t i, n;

	if (add && 2 * (cmapn + 1) > cmapcap) {
		old = cmap;
		n = cmapcap;
		cmapcap = cmapcap ? 2 * cmapcap : 1024;
		cmap = xmalloc(cmapcap * sizeof *cmap);
		memset(cmap, 0, cmapcap * sizeof *cmap);
		/* Moved to the new table as they are: the count stays. */
		for (i = 0; i < n; i++) {
			size_t j;

			if (old[i].bid == 0)
				continue;
			for (j = mix(old[i].bid) & (cmapcap - 1); cmap[j].bid != 0;
			    j = (j + 1) & (cmapcap - 1))
				;
			cmap[j] = old[i];
		}
		free(old);
	}
	if (cmapcap == 0)
		return NULL;
	for (i = mix(bid) & (cmapcap - 1); cmap[i].bid != 0; i = (i + 1) & (cmapcap - 1))
		if (cmap[i].bid == bid)
			return &cmap[i].last;
	if (!add)
		return NULL;
	cmap[i].bid = bid;
	cmap[i].last = NOEV;
	cmapn++;
	return &cmap[i].last;
}

static void
cevadd(uint64_t bid, int plaf, int part, int32_t date, long count, int64_t amount,
    int rj, uint64_t rk)
{
	size_t *last;
	struct cev *e;

	if (ncev == cevalloc) {
		cevalloc = cevalloc ? 2 * cevalloc : 256;
		cevs = xrealloc(cevs, cevalloc * sizeof *cevs);
	}
	last = clast(bid, 1);
	e = &cevs[ncev];
	e->bid = bid;
	e->plaf = plaf;
	e->part = part;
	e->date = date;
	e->count = count;
	e->amount = amount;
	e->rj = rj;
	e->rk = rk;
	e->prev = *last;
	*last = ncev++;
}

/* What beneficiary bid's events of a counter hold in [lo, hi]. */
static void
consumed(uint64_t bid, int plaf, int part, int32_t lo, int32_t hi, long *count, int64_t *sum)
{
	size_t *last = clast(bid, 0), i;

	*count = 0;
	*sum = 0;
	for (i = last != NULL ? *last : NOEV; i != NOEV; i = cevs[i].prev)
		if (cevs[i].plaf == plaf && cevs[i].part == part && cevs[i].date >= lo &&
		    cevs[i].date <= hi) {
			*count += cevs[i].count;
			*sum += cevs[i].amount;
		}
}

/*
 * A cancellation of line (rj, rk) of beneficiary bid: each counter gets
 * back what the line added, at its act date (once: a line cancelled
 * twice has nothing left).
 */
static void
giveback(uint64_t bid, int rj, uint64_t rk)
{
	size_t *last = clast(bid, 0), i;
	long cnt;
	int64_t amt;
	int32_t date;
	int pl, pt;

	for (pl = 1; pl < NPL; pl++)
		for (pt = P_NONE; pt <= P_LENS; pt++) {
			cnt = 0;
			amt = 0;
			date = 0;
			for (i = last != NULL ? *last : NOEV; i != NOEV; i = cevs[i].prev)
				if (cevs[i].rj == rj && cevs[i].rk == rk && cevs[i].plaf == pl &&
				    cevs[i].part == pt) {
					cnt += cevs[i].count;
					amt += cevs[i].amount;
					date = cevs[i].date;
				}
			if (cnt > 0 || amt > 0)
				cevadd(bid, pl, pt, date, -cnt, -amt, rj, rk);
		}
}

/*
 * The window of a plafond for an act of day d: the calendar year, or
 * with anniv the contract's anniversary year that holds it, from start,
 * the rights start (the start of the beneficiary's first product).
 */
static void
window(int32_t d, int32_t start, int anniv, int32_t *lo, int32_t *hi)
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	if (anniv && start <= d) {
		if ((*lo = anniversary(start, y)) > d)
			*lo = anniversary(start, --y);
		*hi = anniversary(start, y + 1) - 1;
		return;
	}
	*lo = date_from_ymd(y, 1, 1);
	*hi = date_from_ymd(y, 12, 31);
}

/*
 * The code of a line paid under a PEC or a plafond, taken in liquidate's
 * order, and *amc: a frame or lenses beyond the equipments the window
 * of its plafond holds, LQ15; nothing left of its PEC, or of the
 * plafond's amount in the window, LQ14; else at most what is left of
 * each (*capped when less than the rule gives); nothing to pay, LQ17.
 * Its plafond counted over the anniversary year with anniv.
 */
static int
judge(const struct dec *d, int anniv, int64_t *amc, int *capped)
{
	const struct plafdef *pd = &plafs[d->plaf];
	int32_t lo = 0, hi = 0;
	int64_t left, sum;
	long n;

	*amc = d->amc;
	*capped = 0;
	if (d->plaf != PL_NONE)
		window(d->date, d->bstart, anniv, &lo, &hi);
	if (d->plaf != PL_NONE && pd->count > 0 && d->part != P_NONE) {
		consumed(d->bid, d->plaf, d->part, lo, hi, &n, &sum);
		if (n + d->qty > pd->count * (d->part == P_LENS ? 2 : 1)) {
			*amc = 0;
			return LQ15;
		}
	}
	if (d->pec != NULL) {
		if ((left = d->pec->amount - d->pec->used) <= 0) {
			*amc = 0;
			return LQ14;
		}
		if (*amc > left)
			*amc = left, *capped = 1;
	}
	if (d->plaf != PL_NONE && pd->amount > 0) {
		consumed(d->bid, d->plaf, P_NONE, lo, hi, &n, &sum);
		if ((left = pd->amount - sum) <= 0) {
			*amc = 0;
			return LQ14;
		}
		if (*amc > left)
			*amc = left, *capped = 1;
	}
	return *amc == 0 ? LQ17 : LQ00;
}

/*
 * The day's lines under a PEC or a plafond, in liquidate's order: each
 * pays what is left of them at most, and consumes it.
 */
static void
settle(const struct world *w, int j, struct dec *v, size_t n, struct truth *t)
{
	struct dec *d;
	struct settled *sp;
	size_t i, n0 = nset;
	int64_t amc;
	int capped, code, anniv;

	if (n > 0)
		qsort(v, n, sizeof *v, deccmp);
	for (i = 0; i < n; i++) {
		int h;

		d = &v[i];
		/*
		 * Of the PECs valid for the line, liquidate takes the oldest
		 * with amount left, else the oldest (then nothing is left).
		 */
		for (h = 0; h < d->ncand; h++)
			if (d->cand[h]->amount - d->cand[h]->used > 0) {
				d->pec = d->cand[h];
				break;
			}
		anniv = d->plaf != PL_NONE && annivclient(w, d->client);
		if (anniv) {
			/* What the calendar year would have made of it. */
			code = judge(d, 0, &amc, &capped);
			d->code = judge(d, 1, &d->amc, &d->capped);
			d->anniv = code != d->code || amc != d->amc;
		} else
			d->code = judge(d, 0, &d->amc, &d->capped);
		if (d->pec != NULL)
			d->pec->used += d->amc;
		if (d->code == LQ00 && d->plaf != PL_NONE) {
			cevadd(d->bid, d->plaf, P_NONE, d->date, 1, d->amc,
			    d->again ? d->j0 : j, d->k);
			if (d->part != P_NONE)
				cevadd(d->bid, d->plaf, d->part, d->date, d->qty, 0,
				    d->again ? d->j0 : j, d->k);
		}
		account(t, d);
		/* Every line paid under a PEC or a plafond: which, and what it was paid. */
		if (nset == setalloc) {
			setalloc = setalloc ? setalloc * 2 : 64;
			sets = xrealloc(sets, setalloc * sizeof *sets);
		}
		sp = &sets[nset++];
		sp->j = d->again ? d->j0 : j;
		sp->k = d->k;
		sp->code = d->code;
		sp->amc = d->amc;
		sp->pec = d->pec;
	}
	/* All of it: a line presented again is filed under its first day. */
	if (nset > n0)
		qsort(sets, nset, sizeof *sets, setcmp);
}

/* A cancellation of the day, held: its original, itself, its flow. */
struct cancel {
	int oj;
	uint64_t ok, k;
	int fl, rej;
	uint64_t pos;		/* its rank in its flow */
	char id[32];		/* its claim id: the item it opens */
};

/* Cancellations in the order dedup reads them: flow, then rank. */
static int
cancelcmp(const void *a, const void *b)
{
	const struct cancel *x = a, *y = b;

	if (x->fl != y->fl)
		return x->fl < y->fl ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The day's cancellations, after its payments: what each recovers, and
 * what it gives back to its PEC for the lines of later days.
 */
static void
undo(const struct world *w, int j, const struct cancel *v, size_t n, struct truth *t)
{
	struct invoice oinv;
	struct line oln;
	struct claim oc;
	struct dec d;
	struct undo *u, key;
	size_t i;

	for (i = 0; i < n; i++) {
		locate(w, v[i].oj, v[i].ok, &oinv, &oln);
		memset(&oc, 0, sizeof oc);
		oc.k = v[i].k;
		oc.anom = A_CANCEL;
		oc.rej = v[i].rej;
		oc.oj = v[i].oj;
		oc.ok = v[i].ok;
		oc.inv = &oinv;
		oc.ln = &oln;
		decide(w, j, &oc, v[i].fl, &d);
		account(t, &d);
		if (d.code != LQ16 && d.code != LQ19)
			continue;
		if (indus_on)
			iadd(t, oinv.b.client, oinv.ps.i, j, -d.amc, v[i].k, v[i].id);
		if (d.pec != NULL)
			d.pec->used += d.amc;
		if (d.from != NULL)
			giveback(oinv.b.id, d.from->j, d.from->k);
		else
			giveback(oinv.b.id, oc.oj, oc.ok);
		if (d.from != NULL) {
			d.from->paid = 0;
			d.from->cj = j;
			continue;
		}
		key.oj = oc.oj;
		key.ok = oc.ok;
		if (nundo == undoalloc) {
			undoalloc = undoalloc ? undoalloc * 2 : 64;
			undos = xrealloc(undos, undoalloc * sizeof *undos);
		}
		for (u = undos + nundo; u > undos && undocmp(u - 1, &key) > 0; u--)
			;
		memmove(u + 1, u, (size_t)(undos + nundo - u) * sizeof *u);
		nundo++;
		u->oj = oc.oj;
		u->ok = oc.ok;
		u->j = j;
	}
}

/*
 * A decision taken: a line paid under a PEC waits for the day's others,
 * to be settled in liquidate's order (settle); any other is accounted.
 */
static void
decided(const struct dec *d, struct dec **held, size_t *n, size_t *alloc, struct truth *t)
{
	if ((d->pec != NULL || d->plaf != PL_NONE) && (d->code == LQ00 || d->code == LQ17)) {
		if (*n == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 64;
			*held = xrealloc(*held, *alloc * sizeof **held);
		}
		(*held)[(*n)++] = *d;
	} else
		account(t, d);
}

/*
 * Contestations (-A contest): a day's lines rejected as not covered
 * (LQ07) that their PS contests the next day, by the claim id the PS
 * return gave them: the day's date and the line's rank in its claims,
 * the lines presented again first, then the files in name order (the
 * flows in order), each line in turn.  Not a line with a copy the day of
 * the contestation: presented first, the copy would be its duplicate.
 */
struct contest {
	uint64_t k;
	int fl;
	uint64_t pos;		/* in its flow's file, from 0 */
	char id[32];
};
static struct contest *conts;	/* the day before's */
static size_t ncont, contalloc;
static int contday = -1;

static void rmfiles(const char *dir, const char *const *names);

/* Whether line ok of day oj has a copy or near-repeat on day j. */
static int
copied(int oj, uint64_t ok, int j)
{
	size_t i;

	for (i = 0; i < nrep; i++)
		if (reps[i].oj == oj && reps[i].ok == ok && reps[i].j == j && !isorig(&reps[i]))
			return 1;
	return 0;
}

/* The day's contestations of the day before's lines, into dir: how many. */
static size_t
wcontests(const struct world *w, int j, const char *dir, int z)
{
	static const char *const cols[] = {
		"claim", "ps_kind", "ps_number", "invoice", "line_no", "ground", "pec_number"
	};
	static const char *const both[] = { "contest.tsv", "contest.tsv.gz", NULL };
	struct invoice inv;
	struct line ln;
	struct out o;
	size_t i, n = 0;

	if (w->rate[A_CONTEST] == 0 || j == 0) {
		rmfiles(dir, both);
		return 0;
	}
	oopen(&o, dir, "contest.tsv", "contestation", cols, 7);
	for (i = 0; contday == j - 1 && i < ncont; i++) {
		if (copied(j - 1, conts[i].k, j))
			continue;
		locate(w, j - 1, conts[i].k, &inv, &ln);
		ts_wcstr(&o.w, conts[i].id);
		ts_wcstr(&o.w, pskinds[domains[inv.ps.dom].kind]);
		ts_wcstr(&o.w, inv.ps.num);
		wdigits(&o.w, inv.number, 9);
		wnum(&o.w, conts[i].k - inv.kf + 1);
		ts_wcstr(&o.w, "other");
		ts_wcstr(&o.w, "");
		ts_wend(&o.w);
		conts[n++] = conts[i];
	}
	oclose(&o, z);
	return contday == j - 1 ? n : 0;
}

static void
wacts(const struct world *w, int j, const char *dir, const char *tdir, int z,
    int trunc, struct truth *t)
{
	static const char *cols[] = {
		"line_id", "client", "ps_kind", "ps_number", "invoice",
		"invoice_date", "invoice_total_eur", "nir", "nir_key",
		"birth_date", "rang", "act_date", "act_code", "domain", "qty",
		"fr_eur", "br_eur", "amo_rate_bp", "amo_eur", "pf_eur", "tp",
		"anomaly", "orig", NULL, NULL
	};
	int ncol = 23;
	static struct walk wk;
	static struct claim c;
	static struct dec *held;
	static struct cancel *undone;
	static size_t held_alloc, undone_alloc;
	size_t nheld = 0, nundone = 0;
	struct dec d;
	struct out o;
	char path[PATH_MAX];

	static int fl;
	static struct contest *newc;
	static size_t newcalloc;
	size_t nnewc = 0, npres, ncontested, h;
	uint64_t fpos[NFLOW] = { 0 }, cpos, before;
	char ymd[DATE_BUFSZ];
	int i, first, last, no;

	t->j = j;
	npres = nhold;
	/*
	 * The lines on hold, presented again first, in their order (dedup
	 * reads them before the day's files): decided again with the day's
	 * masters and PECs, with the flow they came by (no tiers payant on a
	 * NOEMIE flow is LQ10).  Never repeats.
	 */
	{
		struct hold *was = holds;
		size_t n = nhold;

		/* In reject-code's pending order: by first claim, as its ids. */
		if (n > 1)
			qsort(was, n, sizeof *was, holdcmp);

		holds = NULL;
		nhold = holdalloc = 0;
		for (h = 0; h < n; h++) {
			struct invoice pinv;
			struct line pln;
			struct claim pc;

			if (locate(w, was[h].j0, was[h].k, &pinv, &pln) < 0)
				die(EX_SOFTWARE, "a line on hold lost");
			memset(&pc, 0, sizeof pc);
			pc.k = was[h].k;
			pc.anom = pinv.anom;
			pc.inv = &pinv;
			pc.ln = &pln;
			pc.again = 1;
			decide(w, j, &pc, was[h].fl, &d);
			d.no = (int)(was[h].k - pinv.kf + 1);
			d.pos = h;
			d.firstno = was[h].no;
			d.again = 1;
			d.j0 = was[h].j0;
			decided(&d, &held, &nheld, &held_alloc, t);
		}
		free(was);
	}
	/*
	 * Then the lines their PS contests (the day before's, rejected LQ07),
	 * in the order of their ranks: decided again; rejected again, the
	 * reject is confirmed.
	 */
	ncontested = wcontests(w, j, dir, z);
	npres += ncontested;
	for (h = 0; h < ncontested; h++) {
		struct invoice pinv;
		struct line pln;
		struct claim pc;

		locate(w, j - 1, conts[h].k, &pinv, &pln);
		memset(&pc, 0, sizeof pc);
		pc.k = conts[h].k;
		pc.anom = pinv.anom;
		pc.inv = &pinv;
		pc.ln = &pln;
		pc.again = pc.contested = 1;
		decide(w, j, &pc, conts[h].fl, &d);
		d.no = (int)(conts[h].k - pinv.kf + 1);
		d.pos = npres - ncontested + h;
		d.j0 = j - 1;
		decided(&d, &held, &nheld, &held_alloc, t);
	}
	/* With -A franchise and -A parcours, what the lines say of them. */
	if (w->rate[A_FRANCHISE] > 0)
		cols[ncol++] = "franchise_eur";
	if (w->rate[A_PARCOURS] > 0)
		cols[ncol++] = "parcours";
	oopen(&o, tdir, "acts.tsv", "gen-acts", cols, ncol);
	for (i = 0; i < NFLOW; i++)
		flowopen(w, j, dir, i);
	wk.j = j;
	wk.k = 0;
	while (nextclaim(w, &wk, &c)) {
		wact(&o.w, w, j, &c);
		if (ISREPEAT(c.anom)) {
			first = last = 1;
			no = (int)(c.ok - c.inv->kf + 1);
		} else {
			first = c.k == c.inv->kf;
			last = c.k == c.inv->kf + (uint64_t)c.inv->size - 1;
			no = (int)(c.k - c.inv->kf + 1);
		}
		if (first) {
			fl = route(w, j, c.k, c.anom);
			flowinvoice(&flows[fl], w, c.inv);
		}
		cpos = fpos[fl]++;
		flowline(&flows[fl], &c, no, last);
		if (c.anom == A_CANCEL) {
			/* decided after the day's payments, as liquidate does */
			if (nundone == undone_alloc) {
				undone_alloc = undone_alloc ? undone_alloc * 2 : 64;
				undone = xrealloc(undone, undone_alloc * sizeof *undone);
			}
			undone[nundone].oj = c.oj;
			undone[nundone].ok = c.ok;
			undone[nundone].k = c.k;
			undone[nundone].rej = c.rej;
			undone[nundone].pos = cpos;
			undone[nundone++].fl = fl;
		} else {
			decide(w, j, &c, fl, &d);
			if (d.code == LQ07 && w->rate[A_CONTEST] > 0 && !ISREPEAT(c.anom)) {
				struct rng r;

				rinit(&r, w, K_CONTEST, (uint64_t)j, c.k);
				if ((int)below(&r, 10000) < w->rate[A_CONTEST]) {
					if (nnewc == newcalloc) {
						newcalloc = newcalloc ? 2 * newcalloc : 64;
						newc = xrealloc(newc, newcalloc * sizeof *newc);
					}
					newc[nnewc].k = c.k;
					newc[nnewc].fl = fl;
					newc[nnewc++].pos = cpos;
				}
			}
		}
		d.no = no;
		d.pos = cpos;
		if (c.anom == A_CANCEL)
			;
		else
			decided(&d, &held, &nheld, &held_alloc, t);
		t->n[c.anom]++;
		t->fr[c.anom] += c.ln->fr;
		t->frtot += c.ln->fr;
		t->amotot += c.ln->amo;
	}
	settle(w, j, held, nheld, t);
	/* The claim ids dedup gives: the lines presented again, then the flows. */
	date_fmt(w->day[j], ymd);
	for (h = 0; h < nundone; h++)
		lineid(undone[h].id, sizeof undone[h].id, ymd, 0, undone[h].fl,
		    undone[h].pos, npres, fpos);
	if (indus_on)
		idfix(j, ymd, npres, fpos);
	for (h = 0; h < nhold; h++)
		if (holds[h].j0 == j && holds[h].no == 0)
			holds[h].no = claimno(0, holds[h].fl, holds[h].pos, npres, fpos);
	/*
	 * Of two cancellations of one line, liquidate recovers on the first
	 * it reads: the item is that one's.  The counts do not depend on it.
	 */
	if (indus_on && nundone > 1)
		qsort(undone, nundone, sizeof *undone, cancelcmp);
	undo(w, j, undone, nundone, t);
	/* The day's contested lines, for tomorrow: their claim ids. */
	for (h = 0; h < nnewc; h++) {
		for (before = npres, i = 0; i < newc[h].fl; i++)
			before += fpos[i];
		snprintf(newc[h].id, sizeof newc[h].id, "%s#%llu", ymd,
		    (unsigned long long)(before + newc[h].pos + 1));
	}
	if (nnewc > contalloc) {
		contalloc = nnewc;
		conts = xrealloc(conts, contalloc * sizeof *conts);
	}
	if (nnewc > 0)
		memcpy(conts, newc, nnewc * sizeof *conts);
	ncont = nnewc;
	contday = j;
	ts_wclose(&o.w);
	for (i = 0; i < NFLOW; i++)
		flowclose(&flows[i], z, trunc && i == FL_N1);
	live[0] = &o.p;
	if (trunc) {
		mkpath(path, dir, "acts.trunc.tsv.gz");
		gzcopy(o.p.fd, path, 1);
	}
	publish(&o.p, o.path, z);
}

static void
wtruth(const struct world *w, const char *dir, int z, const struct truth *t, int trunc)
{
	static const char *const cols[] = { "key", "count", "amount_eur" };
	struct out o;
	uint64_t n = 0;
	char key[24];
	int a;

	for (a = 0; a < NANOM; a++)
		if (a != A_TRUNC)
			n += t->n[a];
	oopen(&o, dir, "truth.tsv", "gen-truth", cols, 3);
	ts_wcstr(&o.w, "claims");
	wnum(&o.w, n);
	ts_wmoney(&o.w, t->frtot);
	ts_wend(&o.w);
	/* The lines of each anomaly; latepec's only in a world that has it. */
	for (a = 0; a < NANOM; a++) {
		if (a == A_TRUNC || a == A_LATE || a >= A_CONTEST ||
		    (a == A_LATEPEC && !latepec_on))
			continue;
		ts_wcstr(&o.w, anames[a]);
		wnum(&o.w, t->n[a]);
		ts_wmoney(&o.w, t->fr[a]);
		ts_wend(&o.w);
	}
	ts_wcstr(&o.w, "fr_total");
	wnum(&o.w, n);
	ts_wmoney(&o.w, t->frtot);
	ts_wend(&o.w);
	ts_wcstr(&o.w, "amo_total");
	wnum(&o.w, n);
	ts_wmoney(&o.w, t->amotot);
	ts_wend(&o.w);
	ts_wcstr(&o.w, "truncated_files");
	wnum(&o.w, (uint64_t)trunc);
	ts_wmoney(&o.w, 0);
	ts_wend(&o.w);
	/* What the options' rules changed, in a world that has them. */
	for (a = 0; a < NW; a++)
		if (w->rate[wopt[a]] > 0) {
			ts_wcstr(&o.w, wnames[a]);
			wnum(&o.w, t->ncr[a]);
			ts_wmoney(&o.w, t->cramt[a]);
			ts_wend(&o.w);
		}
	if (w->rate[A_ANNIV] > 0) {
		ts_wcstr(&o.w, "plafond_anniv");
		wnum(&o.w, t->nanniv);
		ts_wmoney(&o.w, t->annivamc);
		ts_wend(&o.w);
	}
	for (a = 0; a < NLQ; a++) {
		snprintf(key, sizeof key, "liq_LQ%02d", a);
		ts_wcstr(&o.w, key);
		wnum(&o.w, t->lq[a]);
		ts_wmoney(&o.w, t->lqamc[a]);
		ts_wend(&o.w);
	}
	ts_wcstr(&o.w, "liq_identity");
	wnum(&o.w, t->nident);
	ts_wmoney(&o.w, t->identamc);
	ts_wend(&o.w);
	ts_wcstr(&o.w, "liq_capped");
	wnum(&o.w, t->ncapped);
	ts_wmoney(&o.w, t->cappedamc);
	ts_wend(&o.w);
	ts_wcstr(&o.w, "liq_total");
	wnum(&o.w, n);
	ts_wmoney(&o.w, t->amctot);
	ts_wend(&o.w);
	for (a = 0; a < NOUT; a++) {
		snprintf(key, sizeof key, "out_%s", onames[a]);
		ts_wcstr(&o.w, key);
		wnum(&o.w, t->out[a]);
		ts_wmoney(&o.w, t->outamc[a]);
		ts_wend(&o.w);
	}
	for (a = 0; a < NIND && indus_on; a++) {
		ts_wcstr(&o.w, innames[a]);
		wnum(&o.w, t->ind[a]);
		ts_wmoney(&o.w, t->indamt[a]);
		ts_wend(&o.w);
	}
	for (a = 0; a < NPAY && w->rate[A_PAY] > 0; a++) {
		if (a == PY_OFFSET && !indus_on)
			continue;
		ts_wcstr(&o.w, pynames[a]);
		wnum(&o.w, t->pay[a]);
		ts_wmoney(&o.w, t->payamt[a]);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}


/*
 * Beneficiary files: what each client sends about its beneficiaries, in
 * Norme V3 XML (clients 0, 1, 3, 4...) or the project's CSV (every third
 * client).  The first day, the whole population; later days, the changes:
 * a second product for some, the radiation of some that the first file
 * covered 60 days too long (a retroactive radiation), and entries that
 * must be rejected (a wrong NIR key, overlapping products).  From the
 * third day the first client sends the day before's file again.
 */
enum { BT_FILES, BT_ENTRIES, BT_BADNIR, BT_OVERLAP, BT_RETRO, BT_MODIFY,
	BT_RESENT, NBT };
static const char *const btnames[NBT] = {
	"files", "entries", "reject_nir", "reject_overlap", "retroactive",
	"modify", "resent"
};

struct bfile {
	struct pub p;
	FILE *fp;
	char path[PATH_MAX];
	int csv;
};

static void
bput(struct bfile *f, const char *s)
{
	if (fputs(s, f->fp) == EOF)
		die(EX_IOERR, "%s: write error", f->path);
}

static void
bprintf(struct bfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bprintf(struct bfile *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f->fp, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EX_IOERR, "%s: write error", f->path);
}

/* One beneficiary's products: [start, end] of order 1, and order 2. */
struct bprod {
	int n;
	int order[2];
	const char *ref[2];
	int32_t from[2], to[2];
};

static void
bproducts(const struct world *w, int j, uint64_t i, const struct benef *b, int kind,
    struct bprod *p, int32_t *end)
{
	*end = b->end;
	if (kind == BE_FULL && b->gone && late(w, i))
		*end = b->end + 60;	/* corrected later, retroactively */
	p->n = 1;
	p->order[0] = 1;
	p->ref[0] = "BASE";
	p->from[0] = b->start;
	p->to[0] = *end;
	if (kind == BE_PRODUCT || kind == BE_OVERLAP) {
		p->n = 2;
		p->order[1] = kind == BE_OVERLAP ? 1 : 2;
		p->ref[1] = "RENFORT";
		p->from[1] = kind == BE_OVERLAP ? w->day[j] - 10 : w->day[j];
		p->to[1] = *end;
	}
}

static void
xdate(char *buf, int32_t d)
{
	date_fmt(d, buf);
}

static void
bxml_head(struct bfile *f, const struct world *w, int c, int fileno)
{
	bput(f, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" standalone=\"no\" ?>\n"
	    "<FICHIER xmlns=\"http://www.almerys.com/NormeV3\">\n<ENTETE>\n");
	bprintf(f, "  <NUM_FICHIER>%d</NUM_FICHIER>\n", fileno);
	bprintf(f, "  <DATE_CREATION>%.4s-%.2s-%.2sT20:00:00.000Z</DATE_CREATION>\n",
	    w->ymd[fileno - 1], w->ymd[fileno - 1] + 4, w->ymd[fileno - 1] + 6);
	bprintf(f, "  <VERSION_NORME>V3</VERSION_NORME>\n  <NUM_OS_EMETTEUR>%s</NUM_OS_EMETTEUR>\n"
	    "</ENTETE>\n<OFFREUR_SERVICE>\n  <LIBELLE_OS>CLIENT %d</LIBELLE_OS>\n"
	    "  <NUM_OS>%s</NUM_OS>\n  <PERIMETRE_SERVICE>\n"
	    "    <CODE_PERIMETRE>PERIM</CODE_PERIMETRE>\n"
	    "    <LIBELLE_PERIMETRE>CLIENT %d</LIBELLE_PERIMETRE>\n"
	    "    <CRITERE_REGROUPEMENT></CRITERE_REGROUPEMENT>\n",
	    w->amc[c], c, w->amc[c], c);
}

/* One family's CONTRAT, with the members listed in ids. */
static void
bxml_contract(struct bfile *f, const struct world *w, int j, const uint64_t *ids,
    const int *kinds, int n)
{
	struct benef b;
	struct bprod p;
	char d1[DATE_BUFSZ], d2[DATE_BUFSZ], nni[14];
	int32_t end;
	int k, q;

	benef(w, ids[0], &b);
	bprintf(f, "<CONTRAT>\n  <NUM_CONTRAT>%s</NUM_CONTRAT>\n  <ETAT_CONTRAT>OU</ETAT_CONTRAT>\n",
	    b.adherent);
	for (k = 0; k < n; k++) {
		benef(w, ids[k], &b);
		xdate(d1, b.birth);
		memcpy(nni, b.nir, 14);
		if (kinds[k] == BE_BADNIR)
			nni[4] = 'X';	/* malformed: the file holds no key */
		bprintf(f, "  <MEMBRE_CONTRAT>\n    <SOUSCRIPTEUR>%d</SOUSCRIPTEUR>\n"
		    "    <POSITION>%02d</POSITION>\n    <TYPE_REGIME>RC</TYPE_REGIME>\n"
		    "    <INDIVIDU>\n      <REF_INTERNE_OS>B%llu</REF_INTERNE_OS>\n"
		    "      <DATE_NAISSANCE>%s</DATE_NAISSANCE>\n"
		    "      <RANG_NAISSANCE>%d</RANG_NAISSANCE>\n"
		    "      <NOM_PATRONIMIQUE>NOM%llu</NOM_PATRONIMIQUE>\n"
		    "      <PRENOM>PRENOM%llu</PRENOM>\n    </INDIVIDU>\n",
		    ids[k] % FAMSZ == 0, (int)(ids[k] % FAMSZ) + 1,
		    (unsigned long long)b.id, d1, b.rang, (unsigned long long)b.id,
		    (unsigned long long)b.id);
		if (!noaddr(w, ids[k] / FAMSZ))
			bprintf(f, "    <ADRESSE_MEMBRE>\n      <ADRESSE_AGREGEE>\n"
			    "        <LIGNE1>NOM%llu PRENOM%llu</LIGNE1>\n"
			    "        <LIGNE2>%llu RUE DES TESTS</LIGNE2>\n"
			    "        <LIGNE6>75001 PARIS</LIGNE6>\n"
			    "      </ADRESSE_AGREGEE>\n    </ADRESSE_MEMBRE>\n",
			    (unsigned long long)b.id, (unsigned long long)b.id,
			    (unsigned long long)b.id);
		bprintf(f, "    <AUTONOME>0</AUTONOME>\n    <NNI>%s</NNI>\n  </MEMBRE_CONTRAT>\n",
		    nni);
	}
	bput(f, "  <SERVICE>\n");
	for (k = 0; k < n; k++) {
		benef(w, ids[k], &b);
		bproducts(w, j, ids[k], &b, kinds[k], &p, &end);
		bprintf(f, "    <SERVICE_TP_PEC>\n      <BENEFICIAIRE>\n"
		    "        <REF_INTERNE_OS>B%llu</REF_INTERNE_OS>\n"
		    "        <TYPE_BENEF>%s</TYPE_BENEF>\n"
		    "        <CONTRAT_RESPONSABLE>1</CONTRAT_RESPONSABLE>\n",
		    (unsigned long long)b.id, ids[k] % FAMSZ == 0 ? "AS" :
		    ids[k] % FAMSZ == 1 ? "CJ" : "EN");
		for (q = 0; q < p.n; q++) {
			xdate(d1, p.from[q]);
			xdate(d2, p.to[q]);
			bprintf(f, "        <PRODUIT>\n          <ORDRE>%d</ORDRE>\n"
			    "          <REFERENCE_PRODUIT>%s</REFERENCE_PRODUIT>\n"
			    "          <DATE_ENTREE_PRODUIT>%s</DATE_ENTREE_PRODUIT>\n"
			    "          <DATE_SORTIE_PRODUIT>%s</DATE_SORTIE_PRODUIT>\n"
			    "        </PRODUIT>\n", p.order[q], p.ref[q], d1, d2);
		}
		xdate(d1, b.start);
		xdate(d2, tpend(w, ids[k], &b, end));
		bprintf(f, "        <CODE_MOUVEMENT_CARTE>%s</CODE_MOUVEMENT_CARTE>\n"
		    "      </BENEFICIAIRE>\n      <SERVICE_TP>\n"
		    "        <DATE_DEBUT_VALIDITE>%s</DATE_DEBUT_VALIDITE>\n"
		    "        <DATE_FIN_VALIDITE>%s</DATE_FIN_VALIDITE>\n"
		    "        <ACTIVATION_DESACTIVATION>AC</ACTIVATION_DESACTIVATION>\n"
		    "        <ENVOI>AD</ENVOI>\n      </SERVICE_TP>\n    </SERVICE_TP_PEC>\n",
		    j == 0 ? "CA" : kinds[k] == BE_RETRO ? "RC" : "MC", d1, d2);
	}
	bput(f, "  </SERVICE>\n</CONTRAT>\n");
}

static void
bcsv_rows(struct bfile *f, const struct world *w, int c, int j, int fileno, uint64_t i,
    int kind)
{
	struct benef b;
	struct bprod p;
	char d1[DATE_BUFSZ], d2[DATE_BUFSZ], dp1[DATE_BUFSZ], dp2[DATE_BUFSZ], dn[DATE_BUFSZ];
	char addr[96];
	int32_t end;
	int q, key;

	benef(w, i, &b);
	bproducts(w, j, i, &b, kind, &p, &end);
	key = kind == BE_BADNIR ? b.key % 97 + 1 : b.key;
	xdate(dn, b.birth);
	xdate(d1, b.start);
	xdate(d2, tpend(w, i, &b, end));
	if (noaddr(w, i / FAMSZ))
		snprintf(addr, sizeof addr, ",,,,,,");
	else
		snprintf(addr, sizeof addr, "\"NOM%llu PRENOM%llu\",%llu RUE DES TESTS,,,,75001 PARIS,",
		    (unsigned long long)b.id, (unsigned long long)b.id, (unsigned long long)b.id);
	for (q = 0; q < p.n; q++) {
		xdate(dp1, p.from[q]);
		xdate(dp2, p.to[q]);
		bprintf(f, "%s,%d,%s,OU,%s,B%llu,%s,%s,%02d,,,%s,%d,01,751,0001,1,%d,%s,%s,%s,"
		    "%s,%s,AC,,,,%s,PHAR:100:PC;MEDG:100:BR;MEDS:100:BR;DENT:100:BR;"
		    "OPTI:100:BR;LABO:100:BR;HOSP:100:BR,%s\n",
		    w->amc[c], fileno, b.adherent, b.adherent, (unsigned long long)b.id,
		    i % FAMSZ == 0 ? "AS" : i % FAMSZ == 1 ? "CJ" : "EN", b.nir, key, dn,
		    b.rang, p.order[q], p.ref[q], dp1, dp2, d1, d2,
		    j == 0 ? "CA" : kind == BE_RETRO ? "RC" : "MC", addr);
	}
}

static void
bopen(struct bfile *f, const char *dir, const char *name)
{
	int fd;

	mkpath(f->path, dir, name);
	if (pub_open(&f->p, f->path) < 0)
		die(EX_CANTCREAT, "%s: %s", f->path, strerror(errno));
	if ((fd = dup(f->p.fd)) < 0 || (f->fp = fdopen(fd, "w")) == NULL)
		die(EX_IOERR, "%s: %s", f->path, strerror(errno));
}

static void
bclose(struct bfile *f, int z)
{
	if (fclose(f->fp) != 0)
		die(EX_IOERR, "%s: write error", f->path);
	publish(&f->p, f->path, z);
}

/* Client c's file of day j (sent as file number j + 1), named name. */
static void
wbfile(const struct world *w, int c, int j, const char *dir, const char *name, int z,
    uint64_t *t)
{
	struct bfile f;
	struct benef b;
	uint64_t i, ids[FAMSZ];
	int kinds[FAMSZ], n, k, csv = c % 3 == 2;

	memset(&f, 0, sizeof f);
	bopen(&f, dir, name);
	if (csv)
		bput(&f, "client,file_number,contract,contract_state,adherent,member_ref,"
		    "benef_type,nir,nir_key,benef_nir,benef_nir_key,birth_date,rang,regime,"
		    "caisse,centre,responsable,product_order,product_ref,product_start,"
		    "product_end,tp_start,tp_end,activation,suspension_start,"
		    "suspension_end,suspension_reason,card_movement,domains,address_1,"
		    "address_2,address_3,address_4,address_5,address_6,address_7\n");
	else
		bxml_head(&f, w, c, j + 1);
	for (i = 0; i < w->nbenef; i += FAMSZ) {
		n = 0;
		for (k = 0; k < FAMSZ && i + (uint64_t)k < w->nbenef; k++) {
			benef(w, i + (uint64_t)k, &b);
			if (b.client != c || (kinds[n] = bkind(w, j, i + (uint64_t)k, &b)) == BE_NONE)
				continue;
			ids[n++] = i + (uint64_t)k;
			if (t != NULL) {
				t[BT_ENTRIES]++;
				t[BT_BADNIR] += kinds[n - 1] == BE_BADNIR;
				t[BT_OVERLAP] += kinds[n - 1] == BE_OVERLAP;
				t[BT_RETRO] += kinds[n - 1] == BE_RETRO;
				t[BT_MODIFY] += kinds[n - 1] == BE_PRODUCT;
			}
		}
		if (n == 0)
			continue;
		if (csv)
			for (k = 0; k < n; k++)
				bcsv_rows(&f, w, c, j, j + 1, ids[k], kinds[k]);
		else
			bxml_contract(&f, w, j, ids, kinds, n);
	}
	if (!csv)
		bput(&f, "  </PERIMETRE_SERVICE>\n</OFFREUR_SERVICE>\n</FICHIER>\n");
	bclose(&f, z);
	if (t != NULL)
		t[BT_FILES]++;
}

static void
wbfiles(const struct world *w, int j, const char *dir, const char *tdir, int z)
{
	static const char *const cols[] = { "key", "count" };
	uint64_t t[NBT];
	char name[64];
	struct out o;
	int c, k;

	memset(t, 0, sizeof t);
	for (c = 0; c < w->nclient; c++) {
		snprintf(name, sizeof name, "benef-%s-%06d.%s", w->amc[c], j + 1,
		    c % 3 == 2 ? "csv" : "xml");
		wbfile(w, c, j, dir, name, z, t);
	}
	if (j >= 2) {
		snprintf(name, sizeof name, "benef-%s-resent.%s", w->amc[0], "xml");
		wbfile(w, 0, j - 1, dir, name, z, NULL);
		t[BT_RESENT]++;
	}
	oopen(&o, tdir, "benef-truth.tsv", "gen-benef-truth", cols, 2);
	for (k = 0; k < NBT; k++) {
		ts_wcstr(&o.w, btnames[k]);
		wnum(&o.w, t[k]);
		ts_wend(&o.w);
	}
	oclose(&o, z);
}

/*
 * -A cards: client c's card parameters (tiers-card(5)), sent on its
 * cardday: a family card for the product every beneficiary has, one of
 * its own for the second; plain, as the nightly takes them only so.
 */
static void
wcparams(const struct world *w, int c, const char *dir)
{
	static const char *const cols[][2] = {
		{ "PHAR", "100 %" }, { "MEDG", "100 %" }, { "LABO", "100 %" },
		{ "OPTI", "PEC" }, { "DENT", "PEC" }, { "HOSP", "PEC" }
	};
	static const char *const prods[][2] = {
		{ "BASE", "famille" }, { "RENFORT", "beneficiaire" }
	};
	struct bfile f;
	char name[64];
	size_t k, q;

	snprintf(name, sizeof name, "cartes-%s.xml", w->amc[c]);
	memset(&f, 0, sizeof f);
	bopen(&f, dir, name);
	bprintf(&f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<parametres-cartes xmlns=\"urn:tiers:cartes:1\" amc=\"%s\">\n", w->amc[c]);
	for (q = 0; q < sizeof prods / sizeof prods[0]; q++) {
		bprintf(&f, "  <carte produit=\"%s\" par=\"%s\">\n"
		    "    <libelles amc=\"N° AMC\" convention=\"Type conv.\" csr=\"CSR\" "
		    "adherent=\"N° adhérent\" validite=\"Validité\"/>\n"
		    "    <convention type=\"TP\" csr=\"01\"/>\n"
		    "    <validite regle=\"fin-annee\"/>\n"
		    "    <calendrier renouvellement=\"12-01\"/>\n", prods[q][0], prods[q][1]);
		for (k = 0; k < sizeof cols / sizeof cols[0]; k++)
			bprintf(&f, "    <colonne domaine=\"%s\" libelle=\"%s\" valeur=\"%s\"/>\n",
			    cols[k][0], cols[k][0], cols[k][1]);
		bput(&f, "  </carte>\n");
	}
	bput(&f, "</parametres-cartes>\n");
	bclose(&f, 0);
}

/* Does day j's file carry a card movement of beneficiary i (accepted)? */
static int
cardmoved(const struct world *w, int j, uint64_t i, const struct benef *b)
{
	int k = bkind(w, j, i, b);

	return k == BE_FULL || k == BE_PRODUCT || k == BE_RETRO;
}

/*
 * -A cards: what the nightly's cards stage must do on day j, per client
 * (truth/DAY/cards-truth.tsv).  Before its parameters come, a client's
 * beneficiaries with a card movement wait; the day they come, those of
 * the days before are edited with the day's.  Each card asked is for the
 * whole family: one card for the members covered at the date, unless the
 * family has no address (CE01); a member not covered is refused (CE04).
 * The product of the day is always BASE (RENFORT comes second).
 */
enum { CT_WAITING, CT_MOVEMENTS, CT_PRINT, CT_HOLDERS, CT_CE01, CT_CE04, NCT };
static const char *const ctnames[NCT] = {
	"card_waiting", "card_movements", "card_print", "card_holders", "card_CE01",
	"card_CE04"
};

static void
wctruth(const struct world *w, int j, const char *tdir, int z)
{
	static const char *const cols[] = { "amc", "key", "count" };
	struct out o;
	struct benef b;
	uint64_t i, t[NCT], ask, cov;
	int c, k, d, pc, a, e, m;

	oopen(&o, tdir, "cards-truth.tsv", "gen-card-truth", cols, 3);
	for (c = 0; c < w->nclient; c++) {
		memset(t, 0, sizeof t);
		pc = cardday(w, c);
		for (i = 0; i < w->nbenef; i += FAMSZ) {
			ask = cov = 0;
			m = 0;
			for (k = 0; k < FAMSZ && i + (uint64_t)k < w->nbenef; k++) {
				benef(w, i + (uint64_t)k, &b);
				if (b.client != c || declared(w, i + (uint64_t)k) > j)
					continue;
				a = 0;
				for (d = j <= pc ? 0 : j; d <= j; d++)
					a |= cardmoved(w, d, i + (uint64_t)k, &b);
				e = mend(w, j, i + (uint64_t)k, &b) >= w->day[j];
				if (j < pc) {
					t[CT_WAITING] += (uint64_t)a;
					continue;
				}
				t[CT_MOVEMENTS] += (uint64_t)a;
				t[CT_CE04] += (uint64_t)(a && !e);
				ask += (uint64_t)(a && e);
				cov += (uint64_t)e;
				m = 1;
			}
			if (!m || ask == 0)
				continue;
			if (noaddr(w, i / FAMSZ)) {
				t[CT_CE01] += ask;
				continue;
			}
			t[CT_PRINT]++;
			t[CT_HOLDERS] += cov;
		}
		for (k = 0; k < NCT; k++) {
			ts_wstr(&o.w, w->amc[c], 9);
			ts_wcstr(&o.w, ctnames[k]);
			wnum(&o.w, t[k]);
			ts_wend(&o.w);
		}
	}
	oclose(&o, z);
}

/* Each client's guarantees, as liquidate(1) reads them. */
static void
wgaranties(const struct world *w, const char *dir, int z)
{
	struct bfile f;
	char name[64], m[MONEY_BUFSZ];
	const char *prod;
	size_t k;
	int c;

	for (c = 0; c < w->nclient; c++) {
		snprintf(name, sizeof name, "garanties-%s.xml", w->amc[c]);
		memset(&f, 0, sizeof f);
		bopen(&f, dir, name);
		bprintf(&f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<garanties xmlns=\"urn:tiers:garanties:1\" amc=\"%s\">\n", w->amc[c]);
		for (k = 1; k < NPL; k++) {
			if (!plafused[k])
				continue;
			bprintf(&f, "  <plafond id=\"%s\" portee=\"beneficiaire\"", plafs[k].id);
			if (plafs[k].amount > 0) {
				money_fmt(plafs[k].amount, m);
				bprintf(&f, " montant=\"%s\"", m);
			}
			if (plafs[k].count > 0)
				bprintf(&f, " nombre=\"%ld\"", plafs[k].count);
			bprintf(&f, " periode=\"%s\"/>\n", annivclient(w, c) ? "anniversaire" : "annee");
		}
		for (prod = NULL, k = 0; k < nwrule; k++) {
			const struct rule *ru = &wrules[k];

			if (prod == NULL || strcmp(prod, ru->prod) != 0) {
				if (prod != NULL)
					bput(&f, "  </produit>\n");
				prod = ru->prod;
				bprintf(&f, "  <produit ref=\"%s\">\n", prod);
			}
			bprintf(&f, "    <regle domaine=\"%s\"", ru->dom);
			if (ru->act != NULL)
				bprintf(&f, " actes=\"%s\"", ru->act);
			bprintf(&f, " formule=\"%s\"", fnames[ru->form]);
			money_fmt(ru->amount, m);
			if (ru->form == F_BR || ru->form == F_FR)
				bprintf(&f, " taux=\"%d\"", ru->taux);
			else
				bprintf(&f, " %s=\"%s\"", ru->form == F_FIXE ?
				    "montant" : "prix-limite", m);
			if (ru->plaf != PL_NONE)
				bprintf(&f, " plafond=\"%s\"", plafs[ru->plaf].id);
			bput(&f, ru->pec ? " pec=\"1\"/>\n" : "/>\n");
		}
		bput(&f, "  </produit>\n</garanties>\n");
		bclose(&f, z);
	}
}

/*
 * Remove the beneficiary and guarantee files an earlier run left in a day
 * directory, and the beneficiary truth an older layout put there.
 */
static void
unstale_benef(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char path[PATH_MAX];

	if ((d = opendir(dir)) == NULL)
		die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "benef-", 6) == 0 ||
		    strncmp(de->d_name, "garanties-", 10) == 0) {
			mkpath(path, dir, de->d_name);
			if (unlink(path) < 0)
				die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
		}
	closedir(d);
}

/* A directory of ours, mode 0700 whatever the umask; or one that exists. */
static void
mkdir_(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0 && chmod(path, 0700) == 0)
		return;
	if (errno != EEXIST || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		die(EX_CANTCREAT, "%s: %s", path,
		    strerror(errno == EEXIST ? ENOTDIR : errno));
}

static void
rmfiles(const char *dir, const char *const *names)
{
	char path[PATH_MAX];

	for (; *names != NULL; names++) {
		mkpath(path, dir, *names);
		if (unlink(path) < 0 && errno != ENOENT)
			die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	}
}

/*
 * Remove from a day directory and its truth directory what an earlier run
 * with other options left there, so that they hold what this run made and
 * nothing else.  The generator's own files are removed from the day
 * directory whatever the options: an older layout put them there.
 */
static void
unstale(const char *dir, const char *tdir, int z, int trunc, int regday, int parday,
    int ipday)
{
	static const char *const plain[] = { "ps.tsv", "pec.tsv", "contest.tsv", NULL };
	static const char *const gz[] = { "ps.tsv.gz", "pec.tsv.gz", "contest.tsv.gz", NULL };
	static const char *const reg[] = { "ps-register.tsv", "ps-register.tsv.gz", NULL };
	static const char *const regplain[] = { "ps-register.tsv", NULL };
	static const char *const par[] = {
		"payment-params.tsv", "payment-params.tsv.gz", NULL
	};
	static const char *const parplain[] = { "payment-params.tsv", NULL };
	static const char *const ipar[] = {
		"indus-params.tsv", "indus-params.tsv.gz", NULL
	};
	static const char *const iparplain[] = { "indus-params.tsv", NULL };
	static const char *const tplain[] = {
		"benef.tsv", "acts.tsv", "truth.tsv", "benef-truth.tsv", "cards-truth.tsv", NULL
	};
	static const char *const tgz[] = {
		"benef.tsv.gz", "acts.tsv.gz", "truth.tsv.gz",
		"benef-truth.tsv.gz", "cards-truth.tsv.gz", NULL
	};
	static const char *const cut[] = { "acts.trunc.tsv.gz", NULL };
	char name[3][PATH_MAX];
	const char *names[2] = { NULL, NULL };
	const char *dot;
	int i;

	rmfiles(dir, z ? plain : gz);
	/* The register and the accounts: only the days that have them. */
	rmfiles(dir, !regday ? reg : z ? regplain : reg + 1);
	rmfiles(dir, !parday ? par : z ? parplain : par + 1);
	rmfiles(dir, !ipday ? ipar : z ? iparplain : ipar + 1);
	rmfiles(dir, tplain);
	rmfiles(dir, tgz);
	rmfiles(tdir, z ? tplain : tgz);
	if (!trunc)
		rmfiles(dir, cut);
	for (i = 0; i < NFLOW; i++) {
		snprintf(name[0], PATH_MAX, "%s", flowdefs[i].file);
		snprintf(name[1], PATH_MAX, "%s.gz", flowdefs[i].file);
		dot = strrchr(flowdefs[i].file, '.');
		snprintf(name[2], PATH_MAX, "%.*s.trunc%s.gz",
		    (int)(dot - flowdefs[i].file), flowdefs[i].file, dot);
		names[0] = name[z ? 0 : 1];
		rmfiles(dir, names);
		if (!trunc || i != FL_N1) {
			names[0] = name[2];
			rmfiles(dir, names);
		}
	}
}

/* Whether day j's inbox holds a PS register: -A optam's, -A pay's. */
static int
regday(const struct world *w, int j)
{
	return (j == 0 && (w->rate[A_OPTAM] > 0 || w->rate[A_PAY] > 0)) ||
	    (j >= PAY_FIXDAY && (j - PAY_FIXDAY) % PAY_REGEVERY == 0 && w->rate[A_PAY] > 0);
}

static void
day(const struct world *w, int j, const char *outdir, int z)
{
	static const char *const ctruth[] = { "cards-truth.tsv", "cards-truth.tsv.gz", NULL };
	char dir[PATH_MAX], tdir[PATH_MAX];
	struct truth t;
	struct rng r;
	char name[64];
	int trunc, c;

	if ((size_t)snprintf(dir, sizeof dir, "%s/%.4s-%.2s-%.2s", outdir,
	    w->ymd[j], w->ymd[j] + 4, w->ymd[j] + 6) >= sizeof dir ||
	    (size_t)snprintf(tdir, sizeof tdir, "%s/truth/%.4s-%.2s-%.2s", outdir,
	    w->ymd[j], w->ymd[j] + 4, w->ymd[j] + 6) >= sizeof tdir)
		die(EX_CANTCREAT, "%s: path too long", outdir);
	mkdir_(dir);
	mkdir_(tdir);
	rinit(&r, w, K_DAY, (uint64_t)j, 0);
	trunc = (int)below(&r, 10000) < w->rate[A_TRUNC];
	memset(&t, 0, sizeof t);
	unstale_benef(dir);
	if (j == 0)
		wgaranties(w, dir, z);
	if (regday(w, j))
		wpsreg(w, j, dir, z);
	if (w->rate[A_PAY] > 0 && j <= 1)
		wparams(w, j, dir, z);
	if (indus_on && j == 0)
		wiparams(w, dir, z);
	for (c = 0; c < w->nclient && cards_on; c++)
		if (cardday(w, c) == j)
			wcparams(w, c, dir);
	wbfiles(w, j, dir, tdir, z);
	wbenef(w, tdir, z);
	wps(w, dir, z);
	wpecs(w, j, dir, z);
	wacts(w, j, dir, tdir, z, trunc, &t);
	if (indus_on)
		indusday(w, j, dir, z, &t);
	if (pay_on)
		payday(w, j, &t);
	wtruth(w, tdir, z, &t, trunc);
	unstale(dir, tdir, z, trunc, regday(w, j), w->rate[A_PAY] > 0 && j <= 1,
	    indus_on && j == 0);
	if (cards_on)
		wctruth(w, j, tdir, z);
	else
		rmfiles(tdir, ctruth);
	/* The card parameters only on the days that have them. */
	for (c = 0; c < w->nclient; c++) {
		const char *names[2] = { name, NULL };

		snprintf(name, sizeof name, "cartes-%s.xml", w->amc[c]);
		if (!cards_on || cardday(w, c) != j)
			rmfiles(dir, names);
	}
}

/* -A name=rate */
static void
anomarg(struct world *w, const char *arg)
{
	const char *eq = strchr(arg, '=');
	int a;

	for (a = 1; eq != NULL && a < NANOM; a++)
		if (strlen(anames[a]) == (size_t)(eq - arg) &&
		    memcmp(anames[a], arg, (size_t)(eq - arg)) == 0)
			break;
	if (eq == NULL || a == NANOM)
		die(EX_USAGE, "-A: expected badnir, unknown, closed, dupintra, "
		    "dupinter, cancel, near, nopec, truncated, late, latepec, contest, "
		    "optam, parcours, franchise, optics, anniv, pay, indus or cards=rate");
	w->rate[a] = (int)numarg(eq + 1, 0, 10000, anames[a]);
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-z] [-A anomaly=rate] [-b beneficiaries] "
	    "[-c clients] [-d days]\n"
	    "                 [-n claims] [-p ps] [-s seed] -D first-date "
	    "-o outdir\n", progname_());
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	struct world w;
	struct rng r;
	const char *outdir = NULL, *first = NULL;
	char tdir[PATH_MAX];
	uint64_t seed = 1;
	int32_t d;
	int ch, z = 0, j, c, y, m, dd;

	setprogname_(argv[0]);
	memset(&w, 0, sizeof w);
	memcpy(w.rate, arate, sizeof w.rate);
	w.nbenef = 500;
	w.nps = 50;
	w.nlines = 200;
	w.nclient = 3;
	w.ndays = 3;
	while ((ch = getopt(argc, argv, "A:D:b:c:d:n:o:p:s:z")) != -1)
		switch (ch) {
		case 'A':
			anomarg(&w, optarg);
			break;
		case 'D':
			first = optarg;
			break;
		case 'b':
			w.nbenef = (uint64_t)numarg(optarg, 1, MAXBENEF, "beneficiaries");
			break;
		case 'c':
			w.nclient = (int)numarg(optarg, 1, 9999, "clients");
			break;
		case 'd':
			w.ndays = (int)numarg(optarg, 1, 1000, "days");
			break;
		case 'n':
			w.nlines = (uint64_t)numarg(optarg, 0, 9999999, "claims");
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'p':
			w.nps = (uint64_t)numarg(optarg, 1, MAXPS, "ps");
			break;
		case 's':
			seed = (uint64_t)numarg(optarg, 0, LLONG_MAX, "seed");
			break;
		case 'z':
			z = 1;
			break;
		default:
			usage();
		}
	argc -= optind;
	if (argc != 0 || first == NULL || outdir == NULL)
		usage();
	if (date_parse(first, strlen(first), &d) < 0)
		die(EX_USAGE, "first-date: not an ISO 8601 date (YYYY-MM-DD)");
	if (w.rate[A_BADNIR] + w.rate[A_UNKNOWN] + w.rate[A_CLOSED] > 10000 ||
	    w.rate[A_DUPINTRA] + w.rate[A_DUPINTER] + w.rate[A_CANCEL] +
	    w.rate[A_NEAR] > 10000 || w.rate[A_NOPEC] + w.rate[A_LATEPEC] > 10000)
		die(EX_USAGE, "anomaly rates: badnir, unknown and closed; "
		    "dupintra, dupinter, cancel and near; nopec and latepec: each sum to 10000 at most");
	latepec_on = w.rate[A_LATEPEC] > 0;
	pay_on = w.rate[A_PAY] > 0;
	indus_on = w.rate[A_INDUS] > 0;
	cards_on = w.rate[A_CARDS] > 0;
	hpsaid = w.rate[A_PARCOURS] > 0;
	mkrules(&w);

	w.base = mix(seed + GOLDEN);
	w.day = xmalloc((size_t)w.ndays * sizeof *w.day);
	w.ymd = xmalloc((size_t)w.ndays * sizeof *w.ymd);
	w.day[0] = date_business(d) ? d : date_next_business(d);
	for (j = 1; j < w.ndays; j++)
		w.day[j] = date_next_business(w.day[j - 1]);
	w.first = w.day[0];
	w.last = w.day[w.ndays - 1];
	for (j = 0; j < w.ndays; j++) {
		date_to_ymd(w.day[j], &y, &m, &dd);
		if (y < 1900 || y > 9000)
			die(EX_USAGE, "first-date: years 1900 to 9000 only");
		if (j == 0)
			w.y0 = y;
		digits(w.ymd[j], (uint64_t)y, 4);
		digits(w.ymd[j] + 4, (uint64_t)m, 2);
		digits(w.ymd[j] + 6, (uint64_t)dd, 2);
	}
	rinit(&r, &w, K_WORLD, 0, 0);
	w.off = below(&r, 1ULL << 32);
	w.amc = xmalloc((size_t)w.nclient * sizeof *w.amc);
	for (c = 0; c < w.nclient; c++) {
		rinit(&r, &w, K_CLIENT, (uint64_t)c, 0);
		digits(w.amc[c], (10000 + below(&r, 90000)) * 10000 + (uint64_t)c, 9);
		w.amc[c][9] = '\0';
	}
	mkdir_(outdir);
	mkpath(tdir, outdir, "truth");
	mkdir_(tdir);

	atexit(cleanup);
	for (j = 0; j < w.ndays; j++)
		day(&w, j, outdir, z);
	free(w.day);
	free(w.ymd);
	free(w.amc);
	return EX_OK;
}
