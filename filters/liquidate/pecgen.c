/*
 * liquidate: a PEC generation read where it lies (pec.c's first
 * generation, when ps->lazy is set, or a segment of a PEC store,
 * pecstore.c): mapped, never read into memory.  A
 * claim's lookup finds its beneficiary's lines through a sparse index
 * and parses those; the next generation is written in one pass that
 * copies its lines as they are, the day's agreements merged in, the
 * ended ones left out, and checks every line's order, dates and amount
 * and the trailer's count, sum and CRC-32 (tiers-stream(5), What is
 * checked where).
 */
#include <sys/mman.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "liquidate.h"

/*
 * A generation read where it lies: its mapping (records from rec to the
 * trailer at end), the lines parsed so far by their offset (open
 * addressing: each parsed once, its agreement's address kept for the
 * run), the lookup's result.
 */
struct pecgen {
	struct ts_reader r;
	int c[NPC];
	const char *map, *rec, *end;
	struct genslot {
		size_t off;
		struct pec *p;
	} *slot;
	size_t cap, n;
	struct arena ar;
	/*
	 * The lookup's sparse index: the beneficiary of the first line
	 * starting in each GEN_STEP bytes, made at the first lookup; its
	 * nir as two numbers that order as its bytes do (bytes 0-7 and
	 * 5-12, big-endian), its amc apart: the entries of each client
	 * (amc) follow each other, from lo to hi.
	 */
	struct genent {
		const char *ls;
		uint64_t n0, n1;
		int32_t birth;
		int rang;
	} *ix;
	size_t nix;
	struct genamc {
		const char *amc;
		size_t lo, hi;
	} *am;
	size_t nam;
	int indexed;
	/*
	 * A filter of the beneficiaries it holds (amc and nir: two bits of
	 * a hash each), made once the lookups that found nothing there
	 * have cost what making it costs (see genfind); nofilter: a line
	 * not cut as genben cuts it, none made.
	 */
	uint64_t *filt;
	size_t fmask;
	uint64_t nmiss;
	int nofilter;
	/* The last lookup's beneficiary and result (a family's claims come together). */
	struct pec last;
	size_t nlast;
	const struct pec **found;
	size_t capfound;
	/*
	 * The lookups (the deciding thread) and the walk that writes the
	 * next generation (a thread of its own) share the lines parsed, the
	 * arena and the reader: held by a lookup, by the walk's parse of a
	 * line (rare: a tie, a line to format again), and by an error's
	 * message.  Recursive: a lookup's error takes it again.
	 */
	pthread_mutex_t mu;
	struct datememo *dm;	/* the lookups' dates (genben, genline) */
	/* As a segment of a store (pecstore.c): its path, records, latest valid_to. */
	char *path;
	uint64_t cnt;
	int32_t lastto;		/* NOEND: not said */
};

#ifndef GEN_STEP
#define GEN_STEP 4096
#endif

/*
 * The stream r (opened, its columns a generation's) read where it lies
 * as ps->gen, if it is a generation (a #business_date line before its
 * records) and a plain file: 1.  0: to be read as any other stream; -1:
 * r's error.
 */
struct pecgen *
pecgen_map(struct ts_reader *r, const int *c, const char *path, int *st)
{
	struct pecgen *g;
	const char *m, *e, *p, *nl, *t;
	int gen = 0;
	int32_t lastto = NOEND;
	long cnt;
	size_t n;

	if (ts_map(r) < 0) {
		/* A gzip file or a pipe: read in order, its errors found there. */
		r->errline = 0;
		r->errmsg[0] = '\0';
		return 0;
	}
	m = r->map;
	e = m + r->maplen;
	for (p = m + r->hdrlen; p < e && *p == '#' && strncmp(p, "#end", 4) != 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			break;
		if (nl - p > 15 && memcmp(p, "#business_date\t", 15) == 0)
			gen = 1;
		if (nl - p > 15 && memcmp(p, "#last_valid_to\t", 15) == 0 &&
		    date_parse(p + 15, (size_t)(nl - p - 15), &lastto) < 0) {
			r->line = p;
			r->in.lineno = -1;
			*st = ts_error(r, "last_valid_to", "not a date");
			return NULL;
		}
	}
	if (!gen) {
		munmap(r->map, r->maplen);
		r->map = NULL;
		r->maplen = 0;
		*st = 0;
		return NULL;
	}
	/* Its trailer's line: the records end there. */
	for (t = e - 1; t > p && t[-1] != '\n'; t--)
		;
	if (e[-1] != '\n' || t < p || strncmp(t, "#end", 4) != 0) {
		r->line = e;
		r->in.lineno = -1;
		*st = ts_error(r, "trailer", "no trailer: stream truncated or its writer failed");
		return NULL;
	}
	/* The count its trailer says ("#end2<TAB>count..." or "#end<TAB>count..."). */
	nl = t + (t[4] == '2' ? 6 : 5);
	n = strcspn(nl, "\t\n");
	if (nl > e || int_parse(nl, n, 0, LONG_MAX, &cnt) < 0) {
		r->line = t;
		r->in.lineno = -1;
		*st = ts_error(r, "trailer", "not a record count");
		return NULL;
	}
	g = xmalloc(sizeof *g);
	memset(g, 0, sizeof *g);
	{
		pthread_mutexattr_t a;

		if (pthread_mutexattr_init(&a) != 0 ||
		    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) != 0 ||
		    pthread_mutex_init(&g->mu, &a) != 0)
			die(EX_OSERR, "pthread_mutex_init failed");
		pthread_mutexattr_destroy(&a);
	}
	g->r = *r;
	memcpy(g->c, c, sizeof g->c);
	g->map = m;
	g->rec = p;
	g->end = t;
	g->path = xstrdup(path);
	g->cnt = (uint64_t)cnt;
	g->lastto = lastto;
	*st = 1;
	return g;
}

int
pecgen_open(struct pecset *ps, struct ts_reader *r, const int *c, const char *path)
{
	int st;
	struct pecgen *g = pecgen_map(r, c, path, &st);

	if (g != NULL)
		ps->gen = g;
	return st;
}

/*
 * The generation's line at ls is bad: the message, and exit (ts_fatal).
 * Through a copy of its reader: the walk that writes the next generation
 * runs in a thread of its own while the lookups parse lines with g->r.
 */
static void __attribute__((noreturn))
genbad(struct pecgen *g, const char *ls, const char *field, const char *why)
{
	struct ts_reader r;

	pthread_mutex_lock(&g->mu);	/* never given back: the run ends */
	r = g->r;

	r.line = ls;
	r.in.lineno = -1;
	ts_error(&r, field, "%s", why);
	ts_fatal(&r);
}

/* The lookups' memo of dates (genben, genline), made at the first. */
static struct datememo *
gendm(struct pecgen *g)
{
	if (g->dm == NULL) {
		g->dm = xmalloc(sizeof *g->dm);
		memset(g->dm, 0, sizeof *g->dm);
	}
	return g->dm;
}

/*
 * The first five columns of the generation's line at ls, ending at nl
 * (NULL: found here) (amc, pec_number, nir, birth_date, rang) cut into
 * f and n, and its
 * beneficiary checked and read: the nir 13 characters, the birth date
 * into *birth (through m, unless NULL), the rang into *rang.  Returns
 * where the sixth column starts.
 */
static const char *
genhead(struct pecgen *g, const char *ls, const char *nl, const char **f, size_t *n,
    int32_t *birth, long *rang, struct datememo *m)
{
	const char *p = ls, *t;
	int i;

	if (nl == NULL)
		nl = memchr(ls, '\n', (size_t)(g->end - ls));
	for (i = 0; i <= P_RANG; i++) {
		if (*ls == '#' || (t = memchr(p, '\t', (size_t)(nl - p))) == NULL)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		f[i] = p;
		n[i] = (size_t)(t - p);
		p = t + 1;
	}
	if (n[P_NIR] != 13)
		genbad(g, ls, "nir", "not 13 characters");
	if (memodate(m, f[P_BIRTH], n[P_BIRTH], birth) < 0)
		genbad(g, ls, "birth_date", "not a date");
	if (int_parse(f[P_RANG], n[P_RANG], 0, 99, rang) < 0)
		genbad(g, ls, "rang", "not a rank");
	return p;
}

/* Does any of the 8 bytes of v equal each byte of c? */
#define HASBYTE(v, c) ((((v) ^ (c)) - 0x0101010101010101ULL) & ~((v) ^ (c)) & \
    0x8080808080808080ULL)

/* Are the 13 bytes at p free of TAB and newline (a nir's place)? */
static inline int
plain13(const char *p)
{
	uint64_t x, y;

	memcpy(&x, p, 8);
	memcpy(&y, p + 5, 8);
	return !HASBYTE(x, 0x0909090909090909ULL) && !HASBYTE(y, 0x0909090909090909ULL) &&
	    !HASBYTE(x, 0x0a0a0a0a0a0a0a0aULL) && !HASBYTE(y, 0x0a0a0a0a0a0a0a0aULL);
}

/* The n bytes at a those at b (an amc, most of them 8 to 16 bytes)? */
static inline int
sameamc(const char *a, const char *b, size_t n)
{
	uint64_t w, x, y, z;

	if (n < 8 || n > 16)
		return memcmp(a, b, n) == 0;
	memcpy(&w, a, 8);
	memcpy(&x, b, 8);
	memcpy(&y, a + n - 8, 8);
	memcpy(&z, b + n - 8, 8);
	return ((w ^ x) | (y ^ z)) == 0;
}

/*
 * The beneficiary of the generation's line at ls against k's: <0, 0 or
 * >0 as peccmp orders them.
 */
static int
genben(struct pecgen *g, const char *ls, const struct pec *k, size_t amcn)
{
	const char *f[P_RANG + 1];
	size_t n[P_RANG + 1];
	int32_t birth;
	long rang;
	const char *p, *t, *e;
	int d, i;

	/*
	 * A line of another client or NIR, most of those a lookup walks
	 * past, told by their bytes (its amc, then its nir after the TAB
	 * that ends its pec_number, 13 bytes and a TAB, all before the
	 * line's end): its dates are read, and checked, when the generation
	 * is copied (gencopy), before anything is published.  The claim's
	 * amc is most lines' there: its bytes compared, not looked for.
	 */
	e = g->end;
	if (*ls != '#' && (size_t)(e - ls) > amcn + 16 && ls[amcn] == '\t' &&
	    sameamc(ls, k->amc, amcn) &&
	    (t = memchr(ls + amcn + 1, '\t', (size_t)(e - ls) - amcn - 1)) != NULL &&
	    e - (p = t + 1) > 13 && p[13] == '\t') {
		/* No line's end among its first columns: a record line's. */
		if (plain13(p) && memchr(ls + amcn + 1, '\n', (size_t)(t - ls) - amcn - 1) == NULL) {
			if ((d = nircmp(p, k->nir)) != 0)
				return d;
			/*
			 * The claim's amc and nir: its birth date (ten bytes and
			 * a TAB, read through the memo) and a rang of one digit
			 * (what int_parse reads "0" to "9" as), as genhead reads
			 * them, their TABs before the line's end.  Other forms
			 * are cut below.
			 */
			if (e - p > 26 && p[24] == '\t' && p[25] >= '0' && p[25] <= '9' &&
			    p[26] == '\t' && memodate(gendm(g), p + 14, 10, &birth) == 0) {
				if (birth != k->birth)
					return birth < k->birth ? -1 : 1;
				rang = p[25] - '0';
				return rang < k->rang ? -1 : rang > k->rang;
			}
		}
	} else if (*ls != '#') {
		for (t = ls; t < e && *t != '\t' && *t != '\n'; t++)
			;
		n[P_AMC] = (size_t)(t - ls);
		if (t < e && *t == '\t')
			for (t++; t < e && *t != '\t' && *t != '\n'; t++)
				;
		/* The nir, if the TABs were there. */
		if (t < e && *t == '\t' && e - (p = t + 1) > 13) {
			for (i = 0; i < 13 && p[i] != '\t' && p[i] != '\n'; i++)
				;
			if (i == 13 && p[13] == '\t' &&
			    ((d = bytecmp(ls, n[P_AMC], k->amc, amcn)) != 0 ||
			    (d = memcmp(p, k->nir, 13)) != 0))
				return d;
		}
	}
	e = memchr(ls, '\n', (size_t)(g->end - ls));
	genhead(g, ls, e, f, n, &birth, &rang, gendm(g));
	if ((d = bytecmp(f[P_AMC], n[P_AMC], k->amc, amcn)) != 0 ||
	    (d = memcmp(f[P_NIR], k->nir, 13)) != 0)
		return d;
	if (birth != k->birth)
		return birth < k->birth ? -1 : 1;
	return rang < k->rang ? -1 : rang > k->rang;
}

/* The agreement of the generation's line at ls, parsed once. */
static const struct pec *
genline(struct pecgen *g, const char *ls)
{
	size_t off = (size_t)(ls - g->map), h, i, m;
	struct genslot *old;
	struct pec *p;

	if (2 * (g->n + 1) > g->cap) {
		old = g->slot;
		m = g->cap;
		g->cap = m ? 2 * m : 1024;
		/* Zeroed by the system (pages never touched), not written twice. */
		if ((g->slot = calloc(g->cap, sizeof *g->slot)) == NULL)
			die(EX_SOFTWARE, "out of memory");
		for (i = 0; i < m; i++)
			if (old[i].p != NULL) {
				for (h = (old[i].off * 0x9e3779b97f4a7c15ULL) >> 20 & (g->cap - 1);
				    g->slot[h].p != NULL; h = (h + 1) & (g->cap - 1))
					;
				g->slot[h] = old[i];
			}
		free(old);
	}
	for (h = (off * 0x9e3779b97f4a7c15ULL) >> 20 & (g->cap - 1); g->slot[h].p != NULL;
	    h = (h + 1) & (g->cap - 1))
		if (g->slot[h].off == off)
			return g->slot[h].p;
	if (ts_line(&g->r, ls) < 0)
		ts_fatal(&g->r);
	p = (struct pec *)(void *)arena_in(&g->ar, sizeof *p);
	if (pecrec(&g->ar, &g->r, g->c, NULL, p, gendm(g)) < 0)
		ts_fatal(&g->r);
	g->slot[h].off = off;
	g->slot[h].p = p;
	g->n++;
	return p;
}

/* The line after ls, a line of the generation's records. */
static const char *
gennext(const struct pecgen *g, const char *ls)
{
	return (const char *)memchr(ls, '\n', (size_t)(g->end - ls)) + 1;
}

/* Bytes 0-7 and 5-12 of a nir, as numbers ordered as memcmp orders its bytes. */
static void
nirkey(const char *nir, uint64_t *n0, uint64_t *n1)
{
	unsigned char b[13];
	uint64_t x = 0, y = 0;
	int i;

	memcpy(b, nir, 13);
	for (i = 0; i < 8; i++) {
		x = x << 8 | b[i];
		y = y << 8 | b[i + 5];
	}
	*n0 = x;
	*n1 = y;
}

/*
 * The beneficiary of the generation's line at ls, into the index's
 * entry nix; its amc a new client's, or the last one's.
 */
static void
genkey(struct pecgen *g, const char *ls, size_t *capam)
{
	const char *f[P_RANG + 1];
	size_t n[P_RANG + 1];
	struct genent *e = &g->ix[g->nix];
	struct genamc *a;
	long rang;
	char *amc;

	genhead(g, ls, NULL, f, n, &e->birth, &rang, NULL);
	e->ls = ls;
	e->rang = (int)rang;
	nirkey(f[P_NIR], &e->n0, &e->n1);
	/* The clients' numbers, few: one copy for each run of the same. */
	a = g->nam > 0 ? &g->am[g->nam - 1] : NULL;
	if (a == NULL || bytecmp(f[P_AMC], n[P_AMC], a->amc, strlen(a->amc)) != 0) {
		if (g->nam == *capam) {
			*capam = *capam ? 2 * *capam : 8;
			g->am = xrealloc(g->am, *capam * sizeof *g->am);
		}
		a = &g->am[g->nam++];
		amc = arena_in(&g->ar, n[P_AMC] + 1);
		memcpy(amc, f[P_AMC], n[P_AMC]);
		amc[n[P_AMC]] = '\0';
		a->amc = amc;
		a->lo = g->nix;
	}
	a->hi = ++g->nix;
}

/*
 * The sparse index: a line every GEN_STEP bytes, read at its offset
 * (a page each), the pages then given back.
 */
static void
genindex(struct pecgen *g)
{
	const char *o, *ls, *prev = NULL;
	size_t cap = 0, capam = 0;

	g->indexed = 1;
	for (o = g->rec; o < g->end; o += GEN_STEP) {
		ls = o == g->rec || o[-1] == '\n' ? o :
		    (const char *)memchr(o, '\n', (size_t)(g->end - o)) + 1;
		if (ls >= g->end)
			break;
		if (ls == prev)
			continue;
		if (g->nix == cap) {
			cap = cap ? 2 * cap : 1024;
			g->ix = xrealloc(g->ix, cap * sizeof *g->ix);
		}
		genkey(g, ls, &capam);
		prev = ls;
	}
	pages_release(g->rec, g->end);
}

/*
 * An entry of the index against k's beneficiary (its nir as nirkey
 * makes it, n0 and n1), of the same amc: is it before, as peccmp orders
 * them?
 */
static int
entbefore(const struct genent *e, const struct pec *k, uint64_t n0, uint64_t n1)
{
	if (e->n0 != n0)
		return e->n0 < n0;
	if (e->n1 != n1)
		return e->n1 < n1;
	if (e->birth != k->birth)
		return e->birth < k->birth;
	return e->rang < k->rang;
}

/*
 * The first line of the generation whose beneficiary is not before k's:
 * the last entry of the index before k (among its client's entries, by
 * the numbers of its nir, birth date and rang), then the GEN_STEP bytes
 * after it halved on the line starting after the middle (forty lines
 * walked one by one cost four times what these steps do), then its last
 * lines read on; in *d, genben's answer for it (the end: not set).
 */
static const char *
genseek(struct pecgen *g, const struct pec *k, size_t amcn, int *d)
{
	size_t lo = 0, hi = g->nam, m;
	uint64_t n0, n1;
	const char *ls, *a, *b, *nl;
	int c;

	if (!g->indexed)
		genindex(g);
	/* The client's entries (or, if none, where they would be), then the beneficiary's. */
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if ((c = strcmp(g->am[m].amc, k->amc)) == 0) {
			lo = g->am[m].lo;
			hi = g->am[m].hi;
			break;
		}
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == hi)
		lo = hi = lo < g->nam ? g->am[lo].lo : g->nix;
	nirkey(k->nir, &n0, &n1);
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (entbefore(&g->ix[m], k, n0, n1))
			lo = m + 1;
		else
			hi = m;
	}
	/* Lines from a are before k's; from b on, not (b an entry, or the end). */
	a = lo > 0 ? g->ix[lo - 1].ls : g->rec;
	b = lo < g->nix ? g->ix[lo].ls : g->end;
	while (b - a > 256) {
		nl = memchr(a + (b - a) / 2, '\n', (size_t)(b - a - (b - a) / 2));
		if (nl == NULL || (ls = nl + 1) >= b)
			break;
		if (genben(g, ls, k, amcn) < 0)
			a = ls;
		else
			b = ls;
	}
	for (ls = a; ls < g->end && (*d = genben(g, ls, k, amcn)) < 0; ls = gennext(g, ls))
		;
	return ls;
}

/* The filter's hash of a beneficiary: its amc's an bytes and its nir's 13. */
static uint64_t
benhash(const char *amc, size_t an, const char *nir)
{
	uint64_t h = 0xcbf29ce484222325ULL, x, y;
	size_t i;

	for (i = 0; i < an; i++)
		h = (h ^ (unsigned char)amc[i]) * 0x100000001b3ULL;
	memcpy(&x, nir, 8);
	memcpy(&y, nir + 5, 8);
	h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 29) ^ y) * 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/*
 * The filter of g: every line's amc and nir, cut as genben's first test
 * cuts them.  A line that test would not cut (a comment, a column
 * missing, a nir not 13 bytes) and no filter: the lookups go on reading
 * the lines, and find it bad as they do.  Sixteen bits a line, two set
 * each: one lookup in about seventy of a beneficiary it does not hold
 * searches it still.
 */
static void
genfilter(struct pecgen *g)
{
	const char *ls, *nl, *t, *p;
	uint64_t *f, h;
	size_t bits = 1024;

	/* Its trailer's count, bounded by its bytes: a line has 16 at least. */
	while (bits / 16 < g->cnt && bits < (size_t)(g->end - g->rec))
		bits <<= 1;
	f = xmalloc(bits / 8);
	memset(f, 0, bits / 8);
	for (ls = g->rec; ls < g->end; ls = nl + 1) {
		if ((nl = memchr(ls, '\n', (size_t)(g->end - ls))) == NULL || *ls == '#' ||
		    (t = memchr(ls, '\t', (size_t)(nl - ls))) == NULL ||
		    (p = memchr(t + 1, '\t', (size_t)(nl - t - 1))) == NULL ||
		    nl - ++p <= 13 || p[13] != '\t' || !plain13(p)) {
			free(f);
			g->nofilter = 1;
			return;
		}
		h = benhash(ls, (size_t)(t - ls), p);
		f[(h & (bits - 1)) >> 6] |= (uint64_t)1 << (h & 63);
		h >>= 32;
		f[(h & (bits - 1)) >> 6] |= (uint64_t)1 << (h & 63);
	}
	g->filt = f;
	g->fmask = bits - 1;
	pages_release(g->rec, g->end);
}

/* May g hold k's beneficiary?  0: none of its lines is k's amc and nir. */
static int
genmay(const struct pecgen *g, const struct pec *k, size_t amcn)
{
	uint64_t h = benhash(k->amc, amcn, k->nir), l = h >> 32;

	return (g->filt[(h & g->fmask) >> 6] >> (h & 63) & 1) &&
	    (g->filt[(l & g->fmask) >> 6] >> (l & 63) & 1);
}

size_t
genfind(struct pecgen *g, const struct pec *k, const struct pec ***out)
{
	const char *ls, *amc;
	size_t n = 0, amcn = strlen(k->amc);
	int d = 1;	/* genseek sets it, but for a lookup past the end */

	pthread_mutex_lock(&g->mu);
	*out = g->found;
	if (g->last.amc != NULL && strcmp(g->last.amc, k->amc) == 0 &&
	    memcmp(g->last.nir, k->nir, 13) == 0 && g->last.birth == k->birth &&
	    g->last.rang == k->rang) {
		pthread_mutex_unlock(&g->mu);
		return g->nlast;
	}
	/*
	 * A beneficiary the filter says is not there: not searched.  Most
	 * lookups in a store's newer, smaller segments find nothing; the
	 * filter is made once those that did cost, a lookup about 3 000
	 * instructions, what its making costs, about 50 a line.
	 */
	if (g->filt == NULL || genmay(g, k, amcn))
		for (ls = genseek(g, k, amcn, &d); ls < g->end && d == 0;
		    ls = gennext(g, ls), d = ls < g->end ? genben(g, ls, k, amcn) : 1) {
			if (n == g->capfound) {
				g->capfound = g->capfound ? 2 * g->capfound : 16;
				g->found = xrealloc(g->found, g->capfound * sizeof *g->found);
			}
			g->found[n++] = genline(g, ls);
		}
	if (n == 0 && g->filt == NULL && !g->nofilter && ++g->nmiss * 64 >= g->cnt)
		genfilter(g);
	amc = g->last.amc != NULL && strcmp(g->last.amc, k->amc) == 0 ? g->last.amc :
	    fdup_in(&g->ar, &(struct field){ k->amc, strlen(k->amc) });
	g->last = *k;
	g->last.amc = amc;
	g->nlast = n;
	*out = g->found;
	pthread_mutex_unlock(&g->mu);
	return n;
}

/* genline, for the walk: beside the lookups. */
static const struct pec *
genlinew(struct pecgen *g, const char *ls)
{
	const struct pec *p;

	pthread_mutex_lock(&g->mu);
	p = genline(g, ls);
	pthread_mutex_unlock(&g->mu);
	return p;
}

/*
 * A line of a generation read where it lies, cut where the walk reads
 * it: its first five columns and its last three (the others are copied
 * unread).
 */
struct gline {
	const char *ls, *f[NPC];
	size_t n[NPC];
	int32_t birth, from, to;
	long rang;
	int64_t amt;
};

/*
 * The walk of a generation read where it lies, copied into the next
 * generation (w, unless NULL: only read): the CRC-32 of its lines after
 * the header so far, the records and sum read, the records written, the
 * pages before rel given back, the last line read (its order checked
 * against the next); the day's agreements (ps, sorted) merged in as it
 * goes, i the next of them, those ended before keep left out.
 */
struct genwalk {
	uint32_t crc;
	uint64_t n, nout;
	int64_t sum;
	const char *rel;
	struct gline prev;
	int haveprev;
	struct ts_writer *w;
	const struct pecset *ps;
	size_t i;
	int32_t keep;
	char *line;
	size_t cap;
	struct datememo dm;
};

#define GEN_RELEASE (16 << 20)

/* [a, b) of the generation into k's writer (nrec records summing to sum), or only read. */
static void
genrun(const char *a, const char *b, uint64_t nrec, int64_t sum, int keep, struct genwalk *k)
{
	const char *p;
	uint64_t m;
	uint32_t c;

	if (b <= a) {
		if (b < a || nrec != 0)
			die(EX_SOFTWARE, "PEC generation: a run of %llu lines in %lld bytes",
			    (unsigned long long)nrec, (long long)(b - a));
		return;
	}
	/*
	 * The runs come in the generation's order: its CRC carried on over
	 * their bytes, which costs less than combining theirs (a run ends
	 * at each agreement of the day merged in).
	 */
	k->crc = crc32_buf(k->crc, a, (size_t)(b - a));
	if (keep && k->w != NULL) {
		c = crc32_buf(0, a, (size_t)(b - a));
		/* The lines counted as they were read, against the bytes written. */
		for (p = a, m = 0; (p = memchr(p, '\n', (size_t)(b - p))) != NULL; p++)
			m++;
		if (m != nrec)
			die(EX_SOFTWARE, "conservation check failed: PEC generation: %llu lines "
			    "copied counted as %llu", (unsigned long long)m, (unsigned long long)nrec);
		ts_wlines(k->w, a, (size_t)(b - a), nrec, sum, c);
		k->nout += nrec;
	}
}

/* The line at ls, ending at nl, cut and read into l, its dates through m. */
static void
gencut(struct pecgen *g, const char *ls, const char *nl, struct gline *l, struct datememo *m)
{
	const char *p, *t, *e = nl;
	int i;

	l->ls = ls;
	p = genhead(g, ls, nl, l->f, l->n, &l->birth, &l->rang, m);
	for (i = P_AMT; i >= P_FROM; i--) {
		for (t = e; t > p && t[-1] != '\t'; t--)
			;
		if (t == p)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		l->f[i] = t;
		l->n[i] = (size_t)(e - t);
		e = t - 1;
	}
	if (memodate(m, l->f[P_FROM], l->n[P_FROM], &l->from) < 0)
		genbad(g, ls, "valid_from", "not a date");
	if (memodate(m, l->f[P_TO], l->n[P_TO], &l->to) < 0)
		genbad(g, ls, "valid_to", "not a date");
	if (money_parse(l->f[P_AMT], l->n[P_AMT], &l->amt) != M_OK || l->amt < 0)
		genbad(g, ls, "amount_eur", "missing or negative");
}

/*
 * The line y against the agreement q (when p is NULL) or the line x (p
 * then its column where they differ): <0, 0, >0 as peccmp orders them.
 */
static int
gencmp(struct pecgen *g, const struct gline *x, const struct pec *q, const struct gline *y,
    const char **why)
{
	const char *amc = x ? x->f[P_AMC] : q->amc, *nir = x ? x->f[P_NIR] : q->nir;
	const char *num = x ? x->f[P_NUM] : q->number;
	size_t amcn = x ? x->n[P_AMC] : strlen(q->amc), numn = x ? x->n[P_NUM] : strlen(q->number);
	int32_t birth = x ? x->birth : q->birth, from = x ? x->from : q->from;
	long rang = x ? x->rang : q->rang;
	int d;

	*why = "amc";
	if ((d = bytecmp(amc, amcn, y->f[P_AMC], y->n[P_AMC])) != 0)
		return d;
	*why = "nir";
	if ((d = memcmp(nir, y->f[P_NIR], 13)) != 0)
		return d;
	*why = "birth_date";
	if (birth != y->birth)
		return birth < y->birth ? -1 : 1;
	*why = "rang";
	if (rang != y->rang)
		return rang < y->rang ? -1 : 1;
	*why = "valid_from";
	if (from != y->from)
		return from < y->from ? -1 : 1;
	*why = "pec_number";
	if ((d = bytecmp(num, numn, y->f[P_NUM], y->n[P_NUM])) != 0)
		return d;
	/* The rest of the order, rarely reached: the two agreements whole. */
	*why = pecdiff(x ? genlinew(g, x->ls) : q, genlinew(g, y->ls), &d);
	return d;
}

/* The next of the day's agreements to write, or NULL. */
static const struct pec *
gennextpec(struct genwalk *k)
{
	const struct pec *p;

	for (; k->ps != NULL && k->i < k->ps->n; k->i++) {
		p = &k->ps->p[k->i];
		if (p->to >= k->keep && (k->i == 0 || peccmp(&k->ps->p[k->i - 1], p) != 0))
			return p;
	}
	return NULL;
}

/*
 * The generation's lines [a, b) copied into k's writer (if any) as they
 * are, the day's agreements merged in, but the lines whose validity
 * ended before keep, and those not in the form writepecs writes (a rang
 * with a leading zero), written again from their fields; each line cut,
 * checked and read (its order, its dates, its amount), counted and
 * summed for the trailer.
 */
static void
gencopy(struct pecgen *g, const char *a, const char *b, struct genwalk *k)
{
	const char *ls, *nl, *run = a, *why;
	const struct pec *q = gennextpec(k);
	struct gline l;
	uint64_t rn = 0;
	int64_t rs = 0;
	int canon, d, dup;

	/* [run, ls): rn lines kept, summing to rs, not yet written. */
	for (ls = a; ls < b; ls = nl + 1) {
		if (ls - k->rel > GEN_RELEASE) {
			genrun(run, ls, rn, rs, 1, k);
			run = ls;
			rn = 0;
			rs = 0;
			k->rel = pages_release(k->rel, ls);
		}
		nl = memchr(ls, '\n', (size_t)(b - ls));
		gencut(g, ls, nl, &l, &k->dm);
		dup = 0;
		if (k->haveprev && (dup = gencmp(g, &k->prev, NULL, &l, &why)) > 0)
			genbad(g, ls, why, "not sorted on amc, nir, birth_date, rang, valid_from, "
			    "pec_number, as a PEC generation is");
		dup = k->haveprev && dup == 0;
		k->prev = l;
		k->haveprev = 1;
		if (money_add(&k->sum, k->sum, l.amt) < 0)
			genbad(g, ls, "amount_eur", "control sum out of range");
		k->n++;
		/* The day's agreements before this line; one it holds, written with it. */
		for (; q != NULL && (d = gencmp(g, NULL, q, &l, &why)) <= 0; k->i++, q = gennextpec(k))
			if (d < 0 && k->w != NULL) {
				genrun(run, ls, rn, rs, 1, k);
				run = ls;
				rn = 0;
				rs = 0;
				wpec(k->w, q, &k->line, &k->cap);
				k->nout++;
			}
		/* Ended, the line before again (written once), or to format again. */
		canon = l.n[P_RANG] == 1 || l.f[P_RANG][0] != '0';
		if (l.to < k->keep || dup || !canon) {
			genrun(run, ls, rn, rs, 1, k);
			genrun(ls, nl + 1, 1, l.amt, 0, k);
			run = nl + 1;
			rn = 0;
			rs = 0;
			if (l.to >= k->keep && !dup && k->w != NULL) {
				wpec(k->w, genlinew(g, ls), &k->line, &k->cap);
				k->nout++;
			}
		} else {
			rn++;
			rs += l.amt;	/* less than k->sum, checked */
		}
	}
	genrun(run, b, rn, rs, 1, k);
}

/*
 * The generation read where it lies, read whole (copied into k's writer
 * if any, the day's agreements merged in) and checked against its
 * trailer: one that is not what its writer sealed is an error here
 * (exit 65).
 */
static void
genwalk(struct pecgen *g, struct genwalk *k)
{
	const char *body;
	const struct pec *q;
	struct ts_reader r;	/* the trailer's check, apart from the lookups' */
	uint32_t seal;

	pthread_mutex_lock(&g->mu);
	r = g->r;
	pthread_mutex_unlock(&g->mu);
	body = g->map + r.hdrlen;

	/* Its metadata lines read, not copied: the day's are written. */
	k->crc = crc32_buf(0, body, (size_t)(g->rec - body));
	k->rel = g->rec;
	gencopy(g, g->rec, g->end, k);
	seal = strncmp(g->end, "#end2\t", 6) == 0 ?
	    (uint32_t)crc32_combine(r.hcrc, k->crc, (z_off_t)(g->end - body)) : k->crc;
	if (ts_mapident(&r, k->n, k->sum, seal) < 0)
		ts_fatal(&r);
	pages_release(k->rel, g->end);
	/* The day's agreements after its last line. */
	for (; (q = gennextpec(k)) != NULL; k->i++)
		if (k->w != NULL) {
			wpec(k->w, q, &k->line, &k->cap);
			k->nout++;
		}
}

void
pecgen_check(struct pecgen *g)
{
	struct genwalk k;

	memset(&k, 0, sizeof k);
	genwalk(g, &k);
}

void
checkgen(const struct pecset *ps)
{
	int i;

	if (ps->gen != NULL)
		pecgen_check(ps->gen);
	/* A store's segments were checked as they were written: -V reads them again. */
	for (i = 0; verifyall && i < ps->nseg; i++)
		pecgen_check(ps->seg[i]);
}

/*
 * A segment's line against another's (as gencmp, their generations
 * apart): <0, 0, >0 as peccmp orders them.
 */
static int
gencmp2(struct pecgen *gx, const struct gline *x, struct pecgen *gy, const struct gline *y,
    const char **why)
{
	int d;

	*why = "amc";
	if ((d = bytecmp(x->f[P_AMC], x->n[P_AMC], y->f[P_AMC], y->n[P_AMC])) != 0)
		return d;
	*why = "nir";
	if ((d = memcmp(x->f[P_NIR], y->f[P_NIR], 13)) != 0)
		return d;
	*why = "birth_date";
	if (x->birth != y->birth)
		return x->birth < y->birth ? -1 : 1;
	*why = "rang";
	if (x->rang != y->rang)
		return x->rang < y->rang ? -1 : 1;
	*why = "valid_from";
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	*why = "pec_number";
	if ((d = bytecmp(x->f[P_NUM], x->n[P_NUM], y->f[P_NUM], y->n[P_NUM])) != 0)
		return d;
	*why = pecdiff(genlinew(gx, x->ls), genlinew(gy, y->ls), &d);
	return d;
}

/* A segment merged (pecgen_merge): where its walk is, as genwalk's. */
struct msrc {
	struct pecgen *g;
	struct ts_reader r;
	const char *ls, *nl;	/* its line, cut in l; ls at g->end: read whole */
	struct gline l;
	uint32_t crc;		/* of its bytes before crcto */
	const char *crcto;
	uint64_t n;
	int64_t sum;
	const char *rel;
	struct datememo dm;
};

/* Source s's next line, cut, checked (order, dates, amount) and counted; or its end. */
static void
msrcnext(struct msrc *s, int first)
{
	struct gline prev = s->l;
	const char *why;

	if (!first)
		s->ls = s->nl + 1;
	/* Its CRC-32 carried on by steps, its pages given back behind. */
	if (s->ls - s->crcto >= 65536 || s->ls >= s->g->end) {
		s->crc = crc32_buf(s->crc, s->crcto, (size_t)(s->ls - s->crcto));
		s->crcto = s->ls;
	}
	if (s->crcto - s->rel > GEN_RELEASE)
		s->rel = pages_release(s->rel, s->crcto);
	if (s->ls >= s->g->end)
		return;
	s->nl = memchr(s->ls, '\n', (size_t)(s->g->end - s->ls));
	gencut(s->g, s->ls, s->nl, &s->l, &s->dm);
	if (!first && gencmp2(s->g, &prev, s->g, &s->l, &why) > 0)
		genbad(s->g, s->ls, why, "not sorted on amc, nir, birth_date, rang, valid_from, "
		    "pec_number, as a PEC generation is");
	if (money_add(&s->sum, s->sum, s->l.amt) < 0)
		genbad(s->g, s->ls, "amount_eur", "control sum out of range");
	s->n++;
}

uint64_t
pecgen_merge(struct pecgen *const *g, int ng, const struct pecset *ps, struct ts_writer *w,
    int32_t keep, char **line, size_t *cap)
{
	struct msrc *s = xmalloc((size_t)ng * sizeof *s);
	struct genwalk k;	/* the day's agreements: gennextpec's */
	struct gline last;
	struct pecgen *lastg = NULL;
	const struct pec *q;
	const char *body, *why;
	uint32_t seal;
	int b, i, d, canon;

	memset(&k, 0, sizeof k);
	k.ps = ps;
	k.keep = keep;
	for (i = 0; i < ng; i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].g = g[i];
		pthread_mutex_lock(&g[i]->mu);
		s[i].r = g[i]->r;
		pthread_mutex_unlock(&g[i]->mu);
		body = g[i]->map + s[i].r.hdrlen;
		/* Its metadata lines read, not copied: the day's are written. */
		s[i].crc = crc32_buf(0, body, (size_t)(g[i]->rec - body));
		s[i].ls = s[i].rel = s[i].crcto = g[i]->rec;
		msrcnext(&s[i], 1);
	}
	q = gennextpec(&k);
	for (;;) {
		/* The least line, the oldest segment's of equals. */
		for (b = -1, i = 0; i < ng; i++)
			if (s[i].ls < s[i].g->end && (b < 0 ||
			    gencmp2(s[i].g, &s[i].l, s[b].g, &s[b].l, &why) < 0))
				b = i;
		if (b < 0)
			break;
		/* The day's agreements before it; one it holds, written with it. */
		for (; q != NULL && (d = gencmp(s[b].g, NULL, q, &s[b].l, &why)) <= 0;
		    k.i++, q = gennextpec(&k))
			if (d < 0) {
				wpec(w, q, line, cap);
				k.nout++;
			}
		/* Ended, one held already (an older segment's), or to format again. */
		canon = s[b].l.n[P_RANG] == 1 || s[b].l.f[P_RANG][0] != '0';
		if (s[b].l.to >= keep && (lastg == NULL ||
		    gencmp2(lastg, &last, s[b].g, &s[b].l, &why) != 0)) {
			if (canon) {
				/* As it is: its CRC-32 the writer's, with its neighbours'. */
				ts_wfields(w, s[b].ls, (size_t)(s[b].nl - s[b].ls), NPC, s[b].l.amt);
				ts_wend(w);
			} else
				wpec(w, genlinew(s[b].g, s[b].ls), line, cap);
			k.nout++;
		}
		last = s[b].l;
		lastg = s[b].g;
		msrcnext(&s[b], 0);
	}
	/* The day's agreements after the last line. */
	for (; (q = gennextpec(&k)) != NULL; k.i++) {
		wpec(w, q, line, cap);
		k.nout++;
	}
	/* Each segment against its trailer, as genwalk checks one. */
	for (i = 0; i < ng; i++) {
		body = g[i]->map + s[i].r.hdrlen;
		seal = strncmp(g[i]->end, "#end2\t", 6) == 0 ?
		    (uint32_t)crc32_combine(s[i].r.hcrc, s[i].crc, (z_off_t)(g[i]->end - body)) :
		    s[i].crc;
		if (ts_mapident(&s[i].r, s[i].n, s[i].sum, seal) < 0)
			ts_fatal(&s[i].r);
		pages_release(s[i].rel, g[i]->end);
	}
	free(s);
	return k.nout;
}

uint64_t
pecgen_write(struct pecgen *g, const struct pecset *ps, struct ts_writer *w, int32_t keep,
    char **line, size_t *cap)
{
	struct genwalk k;

	memset(&k, 0, sizeof k);
	k.w = w;
	k.ps = ps;
	k.keep = keep;
	k.line = *line;
	k.cap = *cap;
	genwalk(g, &k);
	*line = k.line;
	*cap = k.cap;
	return k.nout;
}

void
pecgen_free(struct pecgen *g)
{
	ts_close(&g->r);
	pthread_mutex_destroy(&g->mu);
	arena_free(&g->ar);
	free(g->slot);
	free(g->ix);
	free(g->am);
	free(g->found);
	free(g->filt);
	free(g->dm);
	free(g->path);
	free(g);
}

void
pecgen_release(struct pecgen *g)
{
	pages_release(g->map, g->end);
}

void
pecgen_stat(const struct pecgen *g, const char **path, uint64_t *n, int32_t *lastto)
{
	*path = g->path;
	*n = g->cnt;
	*lastto = g->lastto;
}

/*
 * The latest valid_to of g's lines, when its metadata does not say it
 * (a generation of before the store): its lines' eleventh columns read.
 */
int32_t
pecgen_lastto(struct pecgen *g)
{
	const char *ls, *nl, *t, *u;
	int32_t d, last = NOSTART;

	if (g->lastto != NOEND)
		return g->lastto;
	for (ls = g->rec; ls < g->end; ls = nl + 1) {
		nl = memchr(ls, '\n', (size_t)(g->end - ls));
		for (t = nl; t > ls && t[-1] != '\t'; t--)
			;
		for (u = t - 1; u > ls && u[-1] != '\t'; u--)
			;
		if (u <= ls || date_parse(u, (size_t)(t - 1 - u), &d) < 0)
			genbad(g, ls, "valid_to", "not a date");
		if (d > last)
			last = d;
	}
	pages_release(g->rec, g->end);
	return last;
}
