/*
 * liquidate: what its files share.  rules.c holds the business rules
 * as functions of their arguments (a claim, its beneficiary, the
 * context of the run: guarantees, PEC, the family's consumption);
 * guarantee.c and pec.c read the parameters, claims.c and join.c the
 * claims and the beneficiaries they name, output.c writes, main.c
 * orchestrates.  See liquidate(1) and tiers-liquidate(5).
 */
#ifndef LIQUIDATE_H
#define LIQUIDATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tiers.h"
#include "arena.h"
#include "acts.h"
#include "psreg.h"

#define NOEND INT32_MAX
#define NOSTART INT32_MIN
/* What the AMO may have paid above BR x rate by its own rounding, in cents. */
#define AMO_TOLERANCE 1
/* Outside the care pathway the AMO's rate is 40 points lower (R871-1). */
#define HP_POINTS 4000
/* A doctor outside OPTAM: dépassement at most 100 % BR, 20 points below OPTAM. */
#define NOOPTAM_MAX 10000
#define NOOPTAM_GAP 2000
/* A frame: at most 100.00 with the AMO's part (R871-2). */
#define FRAME_CAP 10000
#define RETAIN 36		/* months of consumption kept */

/* Reason codes, in the order of the checks; their destinations. */
enum {
	LQ00, LQ01, LQ02, LQ03, LQ04, LQ05, LQ06, LQ07, LQ08, LQ09, LQ10,
	LQ11, LQ12, LQ13, LQ14, LQ15, LQ16, LQ17, LQ18, LQ19, LQ20, NCODE
};
enum { D_PS, D_PSREC, D_REJECT, D_RECPS, D_CLIENT };
extern const int codedest[NCODE];
#define F_IDENTITY 1
#define F_CAPPED 2

/* Care domains, as on the card (acts.c); their bit in a domain mask. */
#define NDOM 20
extern const char *const domnames[NDOM];
int domidx(const char *s, size_t n);
/* The act-code table (tiers-acts(5)): the built-in one, or a file. */
void loadacts(const char *arg);
int actdomain(const char *code, size_t n);
int actpart(const char *code, size_t n);
int64_t actplv(const char *code, size_t n);
void actof(const char *code, size_t n, int *dom, int *part, int64_t *plv);

/* Guarantees (tiers-liquidate(5)). */
enum { FO_BR, FO_BRSUP, FO_FR, FO_FIXE, FO_S100 };
struct plafond {
	char id[40];
	int family;
	int hasamt;
	int64_t amount;
	long count;		/* 0: no count limit */
	int months;		/* 0: a year, calendar or anniversary */
	int anniv;		/* the contract's anniversary year */
	int nage;
	int agemax[8], agemonths[8];
};
struct rule {
	int dom;
	char acts[128];		/* " A B C ", or empty */
	int agemin, agemax;
	int formula;
	int64_t rate;		/* basis points */
	int64_t amount, limit;
	int haslimit, pec;
	int plaf;		/* index, -1 none */
};
struct product {
	char ref[40];
	struct rule *rules;
	int nrules;
};
struct guar {
	char amc[16];
	const char *file;
	int nonoemie;		/* refuses to pay a line known from NOEMIE alone (3.1.2) */
	struct plafond *plafs;
	int nplafs;
	struct product *prods;
	int nprods;
};
/* The guarantee files read, one a client. */
struct guars {
	struct guar *g;
	int n;
};
/*
 * A reader's refusal: status (sysexits), the line (-1: none, the
 * message names the file alone), the field and the reason.
 */
struct lqerr {
	int status;
	long line;
	const char *field;
	char msg[256];
};
/* guarantee.c: the built-in schema parsed first; then each file. */
void guarinit(void);
int loadguar(struct guars *gs, const char *file, struct lqerr *e);
void freeguars(struct guars *gs);

/* A card issued (the cards generation, -k): its validity and domains. */
struct kcard {
	int32_t from, to, withdrawn;	/* withdrawn NOEND: still held */
	uint32_t doms;
};
/* Beneficiaries of the masters. */
struct period {
	int order;
	const char *ref;
	int32_t start, end;
};
/*
 * Of a master's record, what the rules read: the key, the adherent and
 * the beneficiary's own NIR are checked, not kept.  The amc and the
 * contract are the previous beneficiary's strings when they are the same
 * (a master is one amc's, sorted by contract).  One for each beneficiary
 * a claim names, 104 bytes and about 60 of strings.
 */
struct benef {
	const char *amc, *contract, *member;
	struct period *prods;
	struct kcard *cards;	/* -k: the cards issued for it */
	int32_t birth;
	int32_t tpstart, tpend, susstart, susend, rend;
	uint32_t doms;		/* 0: every domain */
	uint32_t fam;		/* rank of (amc, contract) in byte order */
	int nprods;
	int ncards;
	char nir[14];
	int8_t rang;
	unsigned char responsable, active;
	unsigned char plain;	/* contract and member as a decision writes them (fastdec) */
};

/* PEC agreements (pec.c), sorted with peccmp for the lookup. */
struct pec {
	const char *amc, *number, *acts;
	char nir[14];
	int32_t birth;
	int rang;
	const char *pskind, *psnum;
	int dom;
	int32_t from, to;
	uint32_t rawn;
	int64_t amount;
	const char *raw;	/* a generation's line, as writepecs writes it; or NULL */
};
/* The agreements of one stream, in ps->p from a to b; sorted: a generation's. */
struct pecrun {
	size_t a, b;
	int sorted;
};
/* The columns of a PEC generation, in its order. */
enum { P_AMC, P_NUM, P_NIR, P_BIRTH, P_RANG, P_PSK, P_PSN, P_DOM, P_ACTS,
	P_FROM, P_TO, P_AMT, NPC };
struct pecgen;
struct pecset {
	struct pec *p;
	size_t n, cap;
	struct arena ar;	/* their strings */
	struct pecrun *runs;
	size_t nrun;
	int lazy;		/* the first generation read where it lies, as gen */
	struct pecgen *gen;
	/*
	 * A PEC store (-p DIR, pecstore.c): its segments read where they
	 * lie, oldest first; a lookup sees none of their agreements ended
	 * before rkeep (the keep of the day that wrote the newest).
	 */
	struct pecgen **seg;
	int nseg;
	int32_t rkeep;
	const struct pec **found;	/* a lookup's result (pecfind) */
	size_t capfound;
};
/* 0, or -1 with r's error (ts_fatal prints it). */
int loadpec(struct pecset *ps, struct ts_reader *r, const char *path);
/*
 * The agreements of the generation read where it lies of k's beneficiary
 * (amc, nir, birth, rang), in peccmp's order: their number, and in *out
 * an array of them valid until the next call (the agreements are kept to
 * the end of the run).  A bad line of the generation is an error here
 * (exit 65).
 */
size_t genfind(struct pecgen *g, const struct pec *k, const struct pec ***out);
/*
 * The generation read where it lies, if any, read whole and checked as
 * writepecs checks it (its order, lines, count, sum and CRC-32): for a
 * run that writes no generation.  Exit 65 if it is not what was sealed.
 */
void checkgen(const struct pecset *ps);
/* pec.c and pecgen.c, one for the other. */
const char *pecdiff(const struct pec *x, const struct pec *y, int *d);
/*
 * The dates read, by their ten bytes (memodate: date_parse's answer, each
 * text parsed once, an entry holding its bytes 0-1 in w and 2-9 in v; m
 * NULL, parsed each time); for pecrec, the domains read (domidx's answer
 * for n bytes, none if 0), and the last amc and ps_kind copied into the
 * arena (none while their p is NULL).
 */
struct datememo {
	struct {
		uint64_t v;
		uint16_t w;
		int ok;
		int32_t d;
	} e[1024];
	struct {
		char s[16];
		size_t n;
		int i;
	} dom[8];
	struct field amc, psk;
};
int memodate(struct datememo *m, const char *s, size_t n, int32_t *d);
/* The agreement of r's record into p (its dates through dm, unless NULL). */
int pecrec(struct arena *ar, struct ts_reader *r, const int *c, char *raw, struct pec *p,
    struct datememo *dm);
void wpec(struct ts_writer *w, const struct pec *p, char **line, size_t *cap);
/* The stream at path opened, its columns at c: 1 a generation's, 0 others, -1 r's error. */
int pecopen(struct ts_reader *r, const char *path, int *c);
/* 1: r (columns at c) is a generation, now ps->gen; 0: not; -1: r's error. */
int pecgen_open(struct pecset *ps, struct ts_reader *r, const int *c, const char *path);
/* The same, the generation returned (NULL and *st 0 or -1 if none). */
struct pecgen *pecgen_map(struct ts_reader *r, const int *c, const char *path, int *st);
/* Its path, the records its trailer counts, its last_valid_to (NOEND: not said). */
void pecgen_stat(const struct pecgen *g, const char **path, uint64_t *n, int32_t *lastto);
/* Its latest valid_to: its metadata's, else its lines read. */
int32_t pecgen_lastto(struct pecgen *g);
/* One generation read where it lies walked and checked (checkgen's, for one). */
void pecgen_check(struct pecgen *g);
/* The next generation from g and ps's agreements (writepecs): the number written. */
uint64_t pecgen_write(struct pecgen *g, const struct pecset *ps, struct ts_writer *w,
    int32_t keep, char **line, size_t *cap);
/*
 * The next generation from the generations g[0, ng) (oldest first) and
 * ps's agreements, merged: of equal agreements, the oldest's line kept
 * (pecwrite).  Each read through and checked as pecgen_write checks one.
 */
uint64_t pecgen_merge(struct pecgen *const *g, int ng, const struct pecset *ps,
    struct ts_writer *w, int32_t keep, char **line, size_t *cap);
void pecgen_free(struct pecgen *g);
void sortpecs(struct pecset *ps);
void freepecs(struct pecset *ps);
int peccmp(const void *a, const void *b);
void writepecs(const struct pecset *ps, int fd, const char *path, const char *meta,
    int32_t keep, uint64_t *n);
void pecwrite(struct pecgen *const *g, int ng, const struct pecset *ps, int fd,
    const char *path, const char *const *meta, int nmeta, int32_t keep, uint64_t *n,
    int64_t *sum);
/*
 * pecstore.c: the PEC store (-p DIR, -Q DIR; tiers-liquidate(5), "The
 * PEC store").  pecstore_open reads a store's segments where they lie
 * into ps; pecfind is a claim's lookup in ps's generation or store;
 * pecstore_write makes the next store in newdir.tmp (storepublish
 * renames it), pecstore_gen the single generation of a store (-N).
 */
void pecstore_open(struct pecset *ps, const char *path);
/* The pages of ps's generation or segments that the lookups read given back. */
void pecstore_release(const struct pecset *ps);
void pecgen_release(struct pecgen *g);
size_t pecfind(struct pecset *ps, const struct pec *k, const struct pec ***out);
/*
 * pecahead.c: the lookups of pecfind made by a thread ahead of the
 * decisions, family by family, started before the claims are sorted;
 * NULL when there is nothing to look up (findpec then calls pecfind).  pecahead_get: the agreements of
 * beneficiary bi, waiting for them if need be.
 */
struct pecahead;
struct ctx;
struct pecahead *pecahead_start(const struct ctx *cx, size_t nben);
size_t pecahead_get(struct pecahead *a, int32_t bi, const struct pec ***out);
void pecahead_end(struct pecahead *a, size_t nben);
void pecstore_write(const struct pecset *ps, const char *newdir, int32_t keep, uint64_t *n);
void pecstore_gen(const struct pecset *ps, int fd, const char *path, const char *meta,
    int32_t keep, uint64_t *n);
/* store.c, for both stores: the merge policy, a segment carried. */
int tierfrom(const uint64_t *n, const int *whole, int nlive, uint64_t nday);
/*
 * Is name a store's segment, YYYY-MM-DD.tsv of a valid date?  Its day in
 * *d.  seglist: the segments of the store directory path, oldest first
 * (names xmalloc'd, in *names), their number; any other file is refused
 * (exit 65), kind naming the store.
 */
int segname(const char *name, int32_t *d);
int seglist(const char *path, const char *kind, char ***names);
void linkorcopy(const char *from, const char *to);
/* A segment of kind written, read back: its CRC, count and sum (exit 65 otherwise). */
void segcheckback(const char *path, const char *kind, uint64_t n, int64_t sum);
/* An agreement is kept in the PEC generation this long after its end. */
#define PEC_KEEP 6		/* months */

/* Claims of the day, and their decisions. */
enum { C_DUPID, C_FILE, C_LINE, C_POS, C_AMC, C_PSKIND, C_PSNUM, C_INVOICE,
	C_LINENO, C_ACTDATE, C_ACTCODE, C_NATURE, C_DUP, C_NIR, C_NIRKEY,
	C_BNIR, C_ADHERENT, C_DUPREF, C_BIRTH, C_RANG, C_FR, C_BR, C_RATE, C_AMO,
	C_QTY, C_TP, C_FLOW, C_PAID, C_PF, C_FRANCH, C_PARC, C_RENEW, NCC };
enum { N_PAID, N_REGUL, N_CANCEL, N_REJECT };
/* The care pathway (parcours de soins) of a claim. */
enum { PC_UNKNOWN, PC_IN, PC_OUT };
enum { K_EXACT = BK_EXACT, K_NIRRANG = BK_NIRRANG, K_BIRTH = BK_BIRTH, NKIND = BK_NKIND };
/*
 * The fields kept of a claim, those before C_BIRTH (the others are parsed),
 * where they are: in the mapped claims file, else copied, line by line,
 * into an arena, a newline after each.  Not NUL-ended: CS and CN give each
 * its bytes.  A field of FLONG bytes or more is measured where it lies, to
 * the tab or newline that ends it: its length fits one byte otherwise.
 * Every claim of the day is held, 152 bytes each: the run's largest array
 * (liquidate(1), Memory and cost).
 */
#define NCK C_BIRTH
#define FLONG UINT8_MAX
/*
 * The amounts read, in cents, kept in 32 bits: one that does not fit is
 * AWIDE there and kept whole aside, found by the claim's line (amtwide).
 * They are read as int64 (camt) and computed on as such.
 */
enum { A_FR, A_BR, A_AMO, A_PAID, A_PF, NAMT };
#define AWIDE INT32_MIN
struct claim {
	const char *ln;
	const char *pref;
	union {
		/* Its key hashes, 0 none, until claimkeys puts them in its table, */
		uint64_t kh[NKIND];
		struct {
			/* then its key entries, UINT32_MAX none, until lookup; */
			uint32_t ke[NKIND];
			/* then 0 until decided: the AMC's part. */
			int64_t amc;
		};
	};
	/*
	 * A_*: FR, BR, AMO; paid, an adjustment's: the net paid on its line,
	 * by the ledger; pf, the claim's own participation forfaitaire and
	 * franchise.
	 */
	int32_t am[NAMT];
	int32_t date;
	int32_t birth;		/* NOSTART unreadable */
	int32_t rate;		/* the AMO's, basis points */
	int32_t qty;
	int32_t bi;		/* beneficiary, -1 unknown */
	int32_t rank;		/* the rule's in its product, 1 on; 0 none */
	uint32_t lno;		/* its line in the claims stream */
	uint16_t fo[NCK];	/* offset in ln */
	uint8_t fl[NCK];	/* length, FLONG: measured */
	int8_t rk;		/* rang, -1 unreadable */
	int8_t nature;
	int8_t parcours;	/* PC_* */
	int8_t part;		/* optics: ACT_FRAME, ACT_LENS, 0 */
	int8_t flags, code, dom;
	unsigned dup : 1, tp : 1, noemie : 1, haspaid : 1, decided : 1;
	unsigned sight : 1;	/* optics renewed early on a documented change of sight */
	unsigned hasplv : 1;	/* 100 % Santé: the act has a regulated price (actplv) */
	unsigned samekey : 1;	/* its keys' bytes the previous claim's (claims.c) */
};
#define CS(c, i) ((c)->ln + (c)->fo[i])
#define CN(c, i) cflen(c, i)

static inline size_t
cflen(const struct claim *c, int i)
{
	const char *p, *s;

	if (c->fl[i] < FLONG)
		return c->fl[i];
	for (s = p = CS(c, i); *p != '\t' && *p != '\n'; p++)
		;
	return (size_t)(p - s);
}

int64_t amtwide(const struct claim *c, int i);

/* Amount i (A_*) of c, in cents. */
static inline int64_t
camt(const struct claim *c, int i)
{
	return c->am[i] != AWIDE ? c->am[i] : amtwide(c, i);
}

/*
 * The amounts of a decision not kept but computed again from those kept,
 * as decide computed them: AMO_th, BR x the AMO's rate (0 out of range);
 * the rest to pay, FR - AMO - AMC (decide checked it in range); what is
 * recovered, the AMC's part by the code's destination.
 */
static inline int64_t
camoth(const struct claim *c)
{
	int64_t t;

	return money_rate(&t, camt(c, A_BR), c->rate) < 0 ? 0 : t;
}

static inline int64_t
crac(const struct claim *c)
{
	return camt(c, A_FR) - camt(c, A_AMO) - c->amc;
}

static inline int64_t
crec(const struct claim *c)
{
	return codedest[c->code] == D_PSREC ? c->amc : codedest[c->code] == D_RECPS ?
	    -c->amc : 0;
}

/*
 * date_parse through a small cache of the days read, m (NULL: none): a
 * stream's dates repeat (a day's acts, a contract's year), and the same
 * ten bytes again are the same day.  One a thread and a column, zeroed.
 */
#define DCACHE 16
struct dcache {
	struct {
		char s[10];	/* s[0] NUL: empty */
		int32_t d;
	} e[DCACHE];
};

static inline int
cdate(struct dcache *m, const char *p, size_t n, int32_t *d)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned i;

	if (m == NULL || n != sizeof m->e[0].s)
		return date_parse(p, n, d);
	i = (u[9] + 3u * u[8] + 5u * u[6] + 7u * u[3]) % DCACHE;
	if (m->e[i].s[0] != '\0' && memcmp(p, m->e[i].s, sizeof m->e[i].s) == 0) {
		*d = m->e[i].d;
		return 0;
	}
	if (date_parse(p, n, d) < 0)
		return -1;
	memcpy(m->e[i].s, p, sizeof m->e[i].s);
	m->e[i].d = *d;
	return 0;
}

/* The 8 bytes at p as a number that orders as memcmp orders them. */
static inline uint64_t
be64(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
	    (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | b[7];
}

/* Two nirs' 13 bytes as memcmp orders them: <0, 0, >0. */
static inline int
nircmp(const char *a, const char *b)
{
	uint64_t x = be64(a), y = be64(b);

	if (x == y) {
		x = be64(a + 5);
		y = be64(b + 5);
	}
	return x < y ? -1 : x > y;
}

/* Byte strings compared as strcmp compares C strings. */
static inline int
bytecmp(const char *a, size_t m, const char *b, size_t n)
{
	int d = memcmp(a, b, m < n ? m : n);

	return d != 0 ? d : m < n ? -1 : m > n;
}

/*
 * Are the n bytes at a and b the same?  A key's fields (an amc, a NIR)
 * compared by two overlapping words, as few_cpy copies them.
 */
static inline int
byteeq(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;
	uint32_t h, j, l, m;

	if (n >= 8 && n <= 16) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + n - 8, 8);
		memcpy(&v, b + n - 8, 8);
		return x == y && u == v;
	}
	if (n >= 4 && n < 8) {
		memcpy(&h, a, 4);
		memcpy(&j, b, 4);
		memcpy(&l, a + n - 4, 4);
		memcpy(&m, b + n - 4, 4);
		return h == j && l == m;
	}
	return memcmp(a, b, n) == 0;
}

/* Is field i of c the string s? */
static inline int
cfeq(const struct claim *c, int i, const char *s)
{
	return strlen(s) == CN(c, i) && byteeq(s, CS(c, i), CN(c, i));
}

/* Is field i of c the bytes f? */
static inline int
cfieq(const struct claim *c, int i, const struct field *f)
{
	return f->n == CN(c, i) && byteeq(f->p, CS(c, i), f->n);
}

/* Copy m bytes into a buffer of n, NUL-ended, cut if need be. */
static inline void
bytecpy(char *dst, size_t n, const char *src, size_t m)
{
	if (m >= n)
		m = n - 1;
	memcpy(dst, src, m);
	dst[m] = '\0';
}

/* Copy a string into a buffer of n bytes, cut if need be. */
static inline void
scopy(char *dst, size_t n, const char *src)
{
	bytecpy(dst, n, src, strlen(src));
}

/*
 * Consumption events of one family.  One read from the previous
 * generation, unchanged, keeps its line (output.c, consget): rawn bytes
 * at rawoff in the family's lines; 0, an event of the day or changed.
 */
struct event {
	char member[40], counter[48], inv[64], claim[48], bdate[DATE_BUFSZ];
	int32_t date;
	long count;
	int64_t amount;
	uint32_t rawoff, rawn;
};

/*
 * The lines the day's adjustments refer to (dup_ref), with what is left
 * paid on each (rules.c, refget).
 */
struct lref {
	const char *p;
	size_t n;
	int64_t net;
};

/*
 * What the rules read besides the claim and its beneficiary, and the
 * consumption they write: the run's parameters, the day's claims (an
 * adjustment may name one), the lines adjusted, the family's events.
 */
struct ctx {
	const struct guar *guars;
	int nguars;
	const struct pec *pecs;
	size_t npecs;
	struct pecset *ps;	/* -p: pecs and npecs, a generation or store read where it lies */
	const struct benef *bens;
	const struct claim *cl;
	size_t ncl;
	struct lref *lrefs;	/* open addressing, lrefcap a power of 2 */
	size_t lrefcap;
	struct event *ev;	/* the family's consumption */
	size_t nev, capev;
	size_t nold;		/* ev[0, nold): read; the others, the day's */
	int evready;		/* 0: those read are still to look up (needev) */
	int32_t today;
	char today_s[DATE_BUFSZ];
	int cards;		/* -k given: the cards issued decide 3.1.4 */
	const struct psreg *reg;	/* -P: the PS register (OPTAM), or NULL */
	struct pecahead *pa;	/* ps's lookups made ahead, or NULL */
};

/* rules.c: the business rules. */
int32_t addmonths(int32_t d, int n);
int age(int32_t birth, int32_t at);
const struct guar *findguar(const struct ctx *x, const char *amc);
int covered(const struct benef *b, int32_t d);
const struct rule *findrule(const struct ctx *x, struct claim *c, const struct benef *b,
    int32_t d);
int findpec(const struct ctx *x, const struct claim *c, const struct benef *b,
    const struct pec **pp);
void window(const struct plafond *p, const struct claim *c, const struct benef *b,
    int32_t *lo, int32_t *hi);
int counted(const struct ctx *x, const struct plafond *p, const struct claim *c,
    const struct benef *b, int64_t *sum, long *ninv);
long partcount(const struct ctx *x, const struct plafond *p, const struct claim *c,
    const struct benef *b);
int rcbound(const struct ctx *x, const struct claim *c, const struct rule *r,
    int64_t fr, int64_t br, int64_t amo, int64_t amoth, int64_t pf, int64_t x0,
    int64_t kept, int64_t *bound);
int64_t pecused(const struct ctx *x, const struct pec *p, const struct benef *b);
int formula(const struct rule *r, const struct claim *c, int64_t fr, int64_t br,
    int64_t amoth, int64_t *x);
int needpec(const struct ctx *x, const struct claim *c);
void decide(struct ctx *x, struct claim *c);

/* claims.c: the day's claims, into memory. */
extern struct claim *cl;
extern size_t ncl;
extern size_t nallclaims;	/* the claims read, those of other shards too */
void loadclaims(struct ts_reader *r);
int claimcol(int i);
void ckey(const struct claim *c, struct bk_key *k);

/* join.c: the beneficiaries the claims name, from the masters. */
#define BIGALIGN ((size_t)2 << 20)
void *bigalloc(size_t n);
extern struct benef *bens;
extern size_t nbens;
extern struct arena mainarena;
struct cand {
	uint64_t off;		/* sort key; a candidate's: offset << 2 | kind */
	uint32_t ent;
	uint32_t rep;		/* a candidate's: its entry's rep; else 0 */
};
#define CDOFF(c) ((c).off >> 2)
#define CDKIND(c) ((int)((c).off & 3))
void rsort(struct cand *a, size_t n, uint64_t maxoff);
enum { B_AMC, B_CONTRACT, B_MEMBER, B_ADH, B_NIR, B_KEY, B_BNIR, B_BIRTH,
	B_RANG, B_RESP, B_PRODS, B_TPS, B_TPE, B_ACT, B_SUSS, B_SUSE, B_DOMS,
	B_RE, NBC };
struct master {
	struct ts_reader r;
	struct bx x;
	int c[NBC], kc[BK_NCOL];
	int indexed;
};
extern int verifyall;	/* -V: the indexed masters and indexes checked whole */
int keyeq(int kind, const struct claim *c, const struct bk_key *k);

/*
 * shard.c: -z k/n, the claims of the families of shard k of n (a hash of
 * amc and contract), routed as they are read by the beneficiary the
 * lookup will give them, found through the masters' indexes; -J, the
 * shards' outputs joined into what one run writes.
 */
extern int nshards, myshard;	/* nshards 0: not sharded */
struct router;
int famshard(const char *amc, size_t an, const char *contract, size_t cn);
void routeinit(struct master *ms, int n);
void routedone(void);
struct router *routernew(void);
void routerfree(struct router *ro);
int route(struct router *ro, const struct claim *c);
void wlines(const char *path, const char *meta);
void wdecopen(struct ts_writer *w, struct pub *pd, const char *out, const char *meta);
void tellday(const char *date, uint64_t n, const uint64_t *ncode, int64_t amc, uint64_t nev);
int joinshards(const char *dir, const char *claims, const char *date, const char *out,
    const char *newcons, const char *newstore, const char *sumpath);
void openmasters(struct master *ms, char *const *paths, char *const *indexes, int n);
void claimkeys(void);
void scanmaster(struct ts_reader *r, const int *c, const int *kc);
void indexmaster(struct ts_reader *r, const int *c, const int *kc, struct bx *x);
void checkedmasters(void);
void families(void);
long lookup(struct claim *c);
void lookahead(const struct claim *c);
void keysdone(void);

/* cards.c: the cards generation (-k). */
void loadcards(char *const *files, int n);
void freecards(void);
uint32_t cardon(const struct benef *b, int32_t d);

/* output.c: the consumption merged, the decisions, the summary. */
extern int conshave;
extern struct ts_writer cw;
extern uint64_t nevout;
extern int32_t evlast;
extern int32_t cutoff;
extern char today_s[DATE_BUFSZ];
extern const char *const ecols[];
#define NEC 10
enum { E_AMC, E_CONTRACT, E_MEMBER, E_COUNTER, E_DATE, E_INV, E_COUNT,
	E_AMT, E_CLAIM, E_BDATE };
void consopen(const char *path);
void consnext(void);
void consget(struct event *e);
void consfamily(void);
int famcmp(const char *amc, const char *contract);
void wevent(const char *amc, const char *contract, const struct event *e);
void consupto(const char *amc, const char *contract);
void consclose(void);
int evcmp(const void *pa, const void *pb);
/*
 * store.c: the consumption store (-c DIR or FILE with -E or -S): the
 * family's events looked up when a rule needs them (needev); the day's
 * events written alone, then the new store.
 */
void storeopen(const char *path, int verify);
void storefamily(struct ctx *x, const char *amc, const char *contract);
void storeload(struct ctx *x);
int storesum(const char *member, const char *counter, int64_t *sum);
void wdayevents(struct ctx *x, const char *amc, const char *contract);
void writestore(const char *newdir, char *const *days, int ndays, uint64_t nday,
    uint64_t *nev);
void storepublish(const char *newdir);
void storeclose(void);

/*
 * The family's events, read when a rule first needs them: loading them
 * changes no decision (the rules read them as sums), so the rules' const
 * view of the context may.
 */
static inline void
needev(const struct ctx *x)
{
	if (!x->evready)
		storeload((struct ctx *)(uintptr_t)x);
}

extern const char *const dcols[];
#define NDC 28
void wdecisions(struct ts_writer *w);
void sumadd(const struct claim *c, const char *path);
void wsummary(int fd, const char *path, uint64_t written);

#endif
