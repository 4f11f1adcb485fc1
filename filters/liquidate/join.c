/*
 * liquidate: the join of the day's claims to the beneficiaries they
 * name.  The claims' three identity keys go into a hash table in hash
 * order.  A master with its index (benef-index(5)) is read only where
 * the claims' keys point, its whole CRC-32 checked by a thread of its
 * own; without one it is read through once by two threads, its keys
 * tested against a Bloom filter.  Only the beneficiaries a claim names
 * are kept, parsed by two threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "liquidate.h"
#include "radix.h"

/* Beneficiaries of the masters: those the claims name. */
struct benef *bens;
size_t nbens;
static size_t capbens;
struct arena mainarena;

/*
 * The identity keys of the day's claims, hashed: the masters are read
 * through once, and a beneficiary is kept only when one of its keys is a
 * claim's.  An entry stands for every claim with the same key; rep is
 * one of them, to compare the fields behind a hash.
 */
struct kent {
	uint64_t h;		/* the key's hash: its high bits are the slot */
	uint32_t rk;		/* rep | (kind + 1) << 30; 0: an empty slot */
	int32_t bi;		/* the beneficiary found, -1 none, KAMB two */
};
/* 16 bytes an entry: the kind in the top bits of rep, ambiguity in bi. */
#define KKIND1(e) ((int)((e)->rk >> 30))
#define KREP(e) ((e)->rk & 0x3fffffffu)
#define KMAXCL ((size_t)1 << 30)
#define KAMB (-2)
static struct kent *kt;
static size_t ktmask;
static int ktshift;
/*
 * A key's slot is the high bits of its hash, so that the table is in
 * hash order, as a master's index is: walking one walks the other.
 */
#define KSLOT(h) ((size_t)((h) >> ktshift))
/*
 * A blocked Bloom filter of the same keys, 21 bits a key or more, small
 * enough for the cache: most beneficiaries of a master are nobody's
 * claim, and the filter says so without a miss in the table.
 */
static uint64_t *bloom;
static size_t bloommask;

static void
bloomset(uint64_t h)
{
	uint64_t *b = &bloom[((h >> 40) & bloommask) * 8];

	b[(h >> 6) & 7] |= 1ULL << (h & 63);
	b[(h >> 15) & 7] |= 1ULL << ((h >> 9) & 63);
	b[(h >> 24) & 7] |= 1ULL << ((h >> 18) & 63);
}

static int
bloomhas(uint64_t h)
{
	const uint64_t *b = &bloom[((h >> 40) & bloommask) * 8];

	return (b[(h >> 6) & 7] >> (h & 63) & 1) && (b[(h >> 15) & 7] >> ((h >> 9) & 63) & 1) &&
	    (b[(h >> 24) & 7] >> ((h >> 18) & 63) & 1);
}

/* The dates of a master repeat from one record to the next: a cache a column. */
enum { M_BIRTH, M_TPS, M_TPE, M_SUSS, M_SUSE, M_RE, M_PSTART, M_PEND, NMEMO };
/*
 * What a thread that parses beneficiaries keeps of the last ones: the
 * dates, and the last products field with its periods, which the next
 * beneficiary with the same bytes shares (they are only read).
 */
#define PRAW 128
struct bmemo {
	struct dcache dm[NMEMO];
	char praw[PRAW];
	size_t prawn;		/* 0: none */
	struct period *prods;
	int nprods;
	char draw[PRAW];	/* the last domains field, and its mask */
	size_t drawn;		/* 0: none */
	uint32_t doms;
};

/* A date field that may be empty (then def). 0, or -1 malformed. */
static int
optdate(const struct field *f, int32_t def, struct dcache *m, int32_t *d)
{
	if (f->n == 0) {
		*d = def;
		return 0;
	}
	return cdate(m, f->p, f->n, d);
}

/* Masters: every beneficiary into memory, then the index. */

/*
 * The first ':' or ',' of [p, e), or e: eight bytes at a time where
 * they are little-endian words (the lowest byte a zero test marks is
 * the first zero, whatever it marks above it).
 */
static const char *
prodsep(const char *p, const char *e)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t one = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t x, a, b;

	for (; e - p >= 8; p += 8) {
		memcpy(&x, p, 8);
		a = x ^ 0x3a3a3a3a3a3a3a3aULL;	/* ':' */
		b = x ^ 0x2c2c2c2c2c2c2c2cULL;	/* ',' */
		a = ((a - one) & ~a & high) | ((b - one) & ~b & high);
		if (a != 0)
			return p + ((unsigned)__builtin_ctzll(a) >> 3);
	}
#endif
	while (p < e && *p != ':' && *p != ',')
		p++;
	return p;
}

static int
products(struct ts_reader *r, struct arena *a, const struct field *f, struct bmemo *mm,
    struct benef *b)
{
	const char *p = f->p, *end = f->p + f->n, *q;
	struct field s[4];
	struct period *pd;
	int k, n = 1;
	long v;
	char *ref;

	b->nprods = 0;
	if (f->n == 0)
		return 0;
	if (mm != NULL && mm->prawn == f->n && memcmp(mm->praw, f->p, f->n) == 0) {
		b->prods = mm->prods;
		b->nprods = mm->nprods;
		return 0;
	}
	/* The periods counted only for a field not shared: a loop a byte. */
	for (q = p; (q = memchr(q, ',', (size_t)(end - q))) != NULL; q++)
		n++;
	b->prods = (struct period *)(void *)arena_in(a, (size_t)n * sizeof *b->prods);
	while (p < end) {
		for (k = 0; k < 4; k++) {
			s[k].p = p;
			p = prodsep(p, end);
			s[k].n = (size_t)(p - s[k].p);
			if (k < 3) {
				if (p >= end || *p != ':')
					return ts_error(r, "products", "expected order:ref:start:end");
				p++;
			}
		}
		if (p < end && *p++ != ',')
			return ts_error(r, "products", "expected order:ref:start:end");
		pd = &b->prods[b->nprods++];
		if (int_parse(s[0].p, s[0].n, 0, 99, &v) < 0)
			return ts_error(r, "products", "bad order");
		pd->order = (int)v;
		ref = arena_in(a, s[1].n + 1);
		memcpy(ref, s[1].p, s[1].n);
		ref[s[1].n] = '\0';
		pd->ref = ref;
		if (optdate(&s[2], NOSTART, mm ? &mm->dm[M_PSTART] : NULL, &pd->start) < 0 ||
		    optdate(&s[3], NOEND, mm ? &mm->dm[M_PEND] : NULL, &pd->end) < 0)
			return ts_error(r, "products", "bad date");
	}
	if (mm != NULL && f->n <= sizeof mm->praw) {
		memcpy(mm->praw, f->p, f->n);
		mm->prawn = f->n;
		mm->prods = b->prods;
		mm->nprods = b->nprods;
	}
	return 0;
}

static const char *const bcols[NBC] = {
	"amc", "contract", "member_ref", "adherent", "nir", "nir_key",
	"benef_nir", "birth_date", "rang", "responsable", "products",
	"tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "domains", "rights_end"
};

/* The bytes of f in a, or s if they are s's. */
static const char *
sdup(struct arena *a, const struct field *f, const char *s)
{
	return s != NULL && strlen(s) == f->n && memcmp(s, f->p, f->n) == 0 ? s :
	    fdup_in(a, f);
}

/* Has s no byte ts_wcstr refuses? */
static int
plainstr(const char *s)
{
	size_t n = strlen(s);

	return ts_badbyte(s, n, 0) == n;
}

/*
 * The beneficiary of master record r (its fields split), its strings in
 * arena a, or prev's (NULL: none) when they are the same: 0, or -1 after
 * ts_error.  k, if not NULL, is r's key fields as bk_fields read and
 * checked them; mm, if not NULL, what this thread read last.
 */
static int
parsebenef(struct ts_reader *r, struct arena *a, const int *c, const struct benef *prev,
    const struct bk_rec *k, struct bmemo *mm, struct benef *b)
{
	const struct field *f;
	long v;
#define MM(i) (mm != NULL ? &mm->dm[i] : NULL)

	memset(b, 0, sizeof *b);
	f = r->f;
	b->amc = sdup(a, &f[c[B_AMC]], prev != NULL ? prev->amc : NULL);
	b->contract = sdup(a, &f[c[B_CONTRACT]], prev != NULL ? prev->contract : NULL);
	b->member = fdup_in(a, &f[c[B_MEMBER]]);
	/* bk_fields checked the first four as these do: the same columns. */
	if (f[c[B_NIR]].n != 13 || f[c[B_KEY]].n != 2)
		return ts_error(r, "nir", "not 13 characters and a 2-digit key");
	memcpy(b->nir, f[c[B_NIR]].p, 13);
	if (f[c[B_BNIR]].n != 0 && f[c[B_BNIR]].n != 13)
		return ts_error(r, "benef_nir", "not 13 characters");
	if (k != NULL) {
		b->birth = k->birth;
		b->rang = (int8_t)k->rang;
	} else {
		if (cdate(MM(M_BIRTH), f[c[B_BIRTH]].p, f[c[B_BIRTH]].n, &b->birth) < 0)
			return ts_error(r, "birth_date", "not a date");
		if (int_parse(f[c[B_RANG]].p, f[c[B_RANG]].n, 0, 99, &v) < 0)
			return ts_error(r, "rang", "not a rank");
		b->rang = (int8_t)v;
	}
	b->responsable = f[c[B_RESP]].n == 1 && *f[c[B_RESP]].p == '1';
	b->active = f[c[B_ACT]].n == 2 && memcmp(f[c[B_ACT]].p, "AC", 2) == 0;
	if (optdate(&f[c[B_TPS]], NOSTART, MM(M_TPS), &b->tpstart) < 0)
		return ts_error(r, "tp_start", "not a date");
	if (optdate(&f[c[B_TPE]], NOEND, MM(M_TPE), &b->tpend) < 0)
		return ts_error(r, "tp_end", "not a date");
	if (optdate(&f[c[B_SUSS]], NOEND, MM(M_SUSS), &b->susstart) < 0)
		return ts_error(r, "suspension_start", "not a date");
	if (optdate(&f[c[B_SUSE]], NOEND, MM(M_SUSE), &b->susend) < 0)
		return ts_error(r, "suspension_end", "not a date");
	if (optdate(&f[c[B_RE]], NOEND, MM(M_RE), &b->rend) < 0)
		return ts_error(r, "rights_end", "not a date");
	/*
	 * "PHAR:100:PC;MEDG:100:BR": the domain before each colon.  The
	 * bytes this thread read last give the same mask: the members of a
	 * contract, which come together, name the same domains.
	 */
	if (mm != NULL && mm->drawn > 0 && mm->drawn == f[c[B_DOMS]].n &&
	    memcmp(mm->draw, f[c[B_DOMS]].p, mm->drawn) == 0)
		b->doms = mm->doms;
	else {
		const char *p = f[c[B_DOMS]].p, *e = p + f[c[B_DOMS]].n, *s;
		int d;

		b->doms = 0;
		while (p < e) {
			s = p;
			while (p < e && *p != ':' && *p != ';')
				p++;
			if ((d = domidx(s, (size_t)(p - s))) >= 0)
				b->doms |= 1u << d;
			else
				b->doms |= 1u << 31;	/* a list, whatever it names */
			while (p < e && *p != ';')
				p++;
			if (p < e)
				p++;
		}
		if (mm != NULL && f[c[B_DOMS]].n <= sizeof mm->draw) {
			memcpy(mm->draw, f[c[B_DOMS]].p, f[c[B_DOMS]].n);
			mm->drawn = f[c[B_DOMS]].n;
			mm->doms = b->doms;
		}
	}
	/*
	 * Checked here, once a beneficiary, as fastdec would check them
	 * for each of its decisions: no byte the decisions' writer refuses.
	 * A contract that is the previous beneficiary's string, plain with
	 * its member, is plain.
	 */
	b->plain = (prev != NULL && b->contract == prev->contract && prev->plain ? 1 :
	    plainstr(b->contract)) && plainstr(b->member);
	return products(r, a, &f[c[B_PRODS]], mm, b);
#undef MM
}

/* Is k, a key of this kind, claim c's? */
int
keyeq(int kind, const struct claim *c, const struct bk_key *k)
{
	if (!cfieq(c, C_AMC, &k->amc) || k->rang != c->rk)
		return 0;
	switch (kind) {
	case K_EXACT:
		return cfieq(c, C_NIR, &k->nir) && cfieq(c, C_NIRKEY, &k->key) &&
		    k->birth == c->birth;
	case K_NIRRANG:
		return cfieq(c, CN(c, C_BNIR) ? C_BNIR : C_NIR, k->bnir.n ? &k->bnir : &k->nir);
	default:
		return k->birth == c->birth && cfieq(c, C_ADHERENT, &k->adh);
	}
}

/*
 * Tables probed at random, hundreds of MiB, zeroed: on huge pages where the
 * system has them, so that a probe costs a cache miss, not also a TLB
 * miss.  Given back with bigfree once every claim has its beneficiary;
 * the claims' array, read at random in the consumption order, is one to
 * the end.
 */
#define BIGLEN(n) (((n) + BIGALIGN - 1) & ~(BIGALIGN - 1))
void *
bigalloc(size_t n)
{
	size_t len = BIGLEN(n);
	char *p;
	uintptr_t a;

	/* Zero pages, aligned for huge pages: one more to align them, its rest unmapped. */
	p = mmap(NULL, len + BIGALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		die(EX_OSERR, "out of memory");
	a = ((uintptr_t)p + BIGALIGN - 1) & ~(uintptr_t)(BIGALIGN - 1);
	if ((char *)a > p)
		(void)munmap(p, (size_t)((char *)a - p));
	if ((char *)a + len < p + len + BIGALIGN)
		(void)munmap((char *)a + len, (size_t)(p + len + BIGALIGN - ((char *)a + len)));
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)a, len, MADV_HUGEPAGE);
#endif
	return (void *)a;
}

static void
bigfree(void *p, size_t n)
{
	if (p != NULL && munmap(p, BIGLEN(n)) < 0)
		die(EX_OSERR, "munmap: %s", strerror(errno));
}

/*
 * The table twice as large, its entries moved, and those of claims
 * [0, k), which already point into it, moved with them.
 */
static void
ktgrow(size_t k)
{
	size_t n = (ktmask + 1) * 2, i, j;
	struct kent *t = bigalloc(n * sizeof *t);
	uint32_t *to = xmalloc((ktmask + 1) * sizeof *to);
	int kind;

	for (i = 0; i <= ktmask; i++) {
		if (kt[i].rk == 0)
			continue;
		for (j = (size_t)(kt[i].h >> (ktshift - 1)); t[j].rk != 0; j = (j + 1) & (n - 1))
			;
		t[j] = kt[i];
		to[i] = (uint32_t)j;
	}
	for (i = 0; i < k; i++)
		for (kind = 0; kind < NKIND; kind++)
			if (cl[i].ke[kind] != UINT32_MAX)
				cl[i].ke[kind] = to[cl[i].ke[kind]];
	free(to);
	bigfree(kt, (ktmask + 1) * sizeof *kt);
	kt = t;
	ktmask = n - 1;
	ktshift--;
}

/* The bits set in x. */
static size_t
popcount(uint64_t x)
{
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (size_t)((x * 0x0101010101010101ULL) >> 56);
}

/*
 * How many of the claims' keys are distinct, about: each hash's bit set
 * in a bitmap of m bits, twice as many as keys or more; d distinct keys
 * set a share p = 1 - exp(-d / m) of the bits (linear counting), so d =
 * -m ln(1 - p) = m (p + p^2/2 + p^3/3 + ...), summed in integers (32
 * bits of fraction): p is at most 1 - exp(-1/2), under 0.4, and the
 * terms fall below the last bit within 25.  Its error is a fraction of
 * a percent: it only sizes the key table, which grows if the estimate
 * fell short.
 */
static size_t
distinctkeys(void)
{
	size_t m = 1 << 16, k, z = 0, w;
	uint64_t *bits, h, q, t, i, sum = 0;
	int kind, sh = 48;

	while (m < 2 * ncl * NKIND) {
		m *= 2;
		sh--;
	}
	bits = xmalloc(m / 8);
	memset(bits, 0, m / 8);
	for (k = 0; k < ncl; k++)
		for (kind = 0; kind < NKIND; kind++)
			if ((h = cl[k].kh[kind]) != 0)
				bits[h >> sh >> 6] |= 1ULL << (h >> sh & 63);
	for (w = 0; w < m / 64; w++)
		z += 64 - popcount(bits[w]);
	free(bits);
	if (z <= m / 2)
		return ncl * NKIND;	/* not so: the bits are twice the keys */
	q = ((uint64_t)(m - z) << 32) / m;
	for (t = q, i = 1; t != 0; t = t * q >> 32, i++)
		sum += t / i;
	return (size_t)((uint64_t)m * sum >> 32) + 1;
}

/*
 * The key entries of the claims: each key once, whatever its claims.
 * The table is sized for the keys estimated distinct (a beneficiary's
 * claims share its three keys: 38 % of them are distinct on a generated
 * day), a little more, and doubled if they are more still, so that it is
 * three quarters full at most: growing it moves every entry and every
 * claim's, at random.
 */
#define AHEAD 8		/* claims ahead whose slots are fetched */
void
claimkeys(void)
{
	size_t n = 1024, k, i, nkey = 0, nd;
	int kind;
	struct claim *c;
	struct bk_key ck;
	uint64_t h, kh[NKIND];

	if (ncl >= KMAXCL)
		die(EX_DATAERR, "%zu claims: at most %zu a run", ncl, KMAXCL - 1);
	nd = distinctkeys();
	nd += nd / 64 + NKIND;
	while (n / 4 * 3 < nd)
		n *= 2;
	kt = bigalloc(n * sizeof *kt);
	ktmask = n - 1;
	for (ktshift = 64; ((size_t)1 << (64 - ktshift)) < n; ktshift--)
		;
	/*
	 * The hashes were made as the claims were read; the table is filled
	 * with the slots of the keys a few claims ahead fetched while this
	 * one goes in: the misses overlap instead of following one another.
	 */
	for (k = 0; k < ncl; k++) {
		c = &cl[k];
		if (nkey + NKIND > (ktmask + 1) / 4 * 3)
			ktgrow(k);
		/*
		 * The keys' bytes of the claim before: its entries, which the
		 * probes would find again (nothing went in since but its own
		 * keys of other kinds, which no probe of this kind takes).
		 */
		if (c->samekey && k > 0) {
			memcpy(c->ke, cl[k - 1].ke, sizeof c->ke);
			c->amc = 0;
			continue;
		}
		ckey(c, &ck);
		/* Its hashes read before its entries take their room. */
		memcpy(kh, c->kh, sizeof kh);
		for (kind = 0; kind < NKIND; kind++) {
#ifdef __GNUC__
			/*
			 * A key met before is compared with its first claim's,
			 * anywhere in memory: once the slot a few claims ahead
			 * is at hand, that claim, then its fields.
			 */
			if (k + AHEAD < ncl && (h = cl[k + AHEAD].kh[kind]) != 0)
				__builtin_prefetch(&kt[KSLOT(h)], 1);
			if (k + AHEAD / 2 < ncl && (h = cl[k + AHEAD / 2].kh[kind]) != 0 &&
			    kt[i = KSLOT(h)].h == h && kt[i].rk != 0) {
				__builtin_prefetch(&cl[KREP(&kt[i])]);
				__builtin_prefetch((const char *)&cl[KREP(&kt[i])] + 64);
			}
			if (k + AHEAD / 4 < ncl && (h = cl[k + AHEAD / 4].kh[kind]) != 0 &&
			    kt[i = KSLOT(h)].h == h && kt[i].rk != 0)
				__builtin_prefetch(CS(&cl[KREP(&kt[i])], C_AMC));
#endif
			c->ke[kind] = UINT32_MAX;
			if ((h = kh[kind]) == 0)
				continue;
			for (i = KSLOT(h); kt[i].rk != 0; i = (i + 1) & ktmask)
				if (kt[i].h == h && KKIND1(&kt[i]) == kind + 1 &&
				    keyeq(kind, &cl[KREP(&kt[i])], &ck))
					break;
			if (kt[i].rk == 0) {
				kt[i].h = h;
				kt[i].rk = (uint32_t)k | (uint32_t)(kind + 1) << 30;
				kt[i].bi = -1;
				nkey++;
			}
			c->ke[kind] = (uint32_t)i;
		}
		/* Its hashes are in the table: their room is the decision's. */
		c->amc = 0;
	}
}

/*
 * A master gives the beneficiaries the claims name in one of two ways.
 * Read through by two threads (ts_scan), a beneficiary whose keys are
 * none of the claims' is verified and passed over; for the others, the
 * key entries they match are noted, with the line.  With its index
 * (benef-index(5)), only the records that have a claim's key are read,
 * at their offsets, while another thread checks the CRC-32 of the whole
 * file against its trailer (checkmasters).  Either way, the records
 * noted are then kept in file order: the exact identity goes to the
 * first beneficiary that has it; a reconciliation key that two have is
 * ambiguous.
 */
#define MPARTS 2
struct mhit {
	const char *line;
	size_t len;
	long lineno;		/* in its part; -1: counted if need be */
	uint32_t ent[NKIND];	/* the entries matched, UINT32_MAX none */
};
struct mhits {
	struct mhit *h;
	size_t n, cap;
};

static struct mhit *
addhit(struct mhits *hs)
{
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 4096;
		hs->h = xrealloc(hs->h, hs->cap * sizeof *hs->h);
	}
	return &hs->h[hs->n++];
}

/* The entry of the claims' key of this kind that k makes, or UINT32_MAX. */
static uint32_t
findent(int kind, uint64_t h, const struct bk_key *k)
{
	size_t j;

	for (j = KSLOT(h); kt[j].rk != 0; j = (j + 1) & ktmask)
		if (kt[j].h == h && KKIND1(&kt[j]) == kind + 1 && keyeq(kind, &cl[KREP(&kt[j])], k))
			return (uint32_t)j;
	return UINT32_MAX;
}

/*
 * A record's keys: hashed when it is read, tested against the filter
 * and the table when the next one is read, its cache lines fetched in
 * between.
 */
struct mrec {
	struct bk_rec k;
	uint64_t h[NKIND];
	const char *line;
	size_t len;
	long lineno;
};
struct mpart {
	const int *kc;
	struct mhits hits;
	struct mrec rec[2];
	int cur, pending;
	struct arena ar;	/* hits' lines read through a buffer */
};

/* Note the entries the pending record of mp matches. */
static void
mtest(struct mpart *mp, const struct mrec *m)
{
	uint32_t ent[NKIND];
	int kind, any = 0, keyed = 0;
	struct mhit *hit;
	struct bk_key k;

	if (!mp->pending)
		return;
	mp->pending = 0;
	for (kind = 0; kind < NKIND; kind++) {
		ent[kind] = UINT32_MAX;
		if (!bloomhas(m->h[kind]))
			continue;
		if (!keyed++)
			bk_keyof(&m->k, &k);
		ent[kind] = findent(kind, m->h[kind], &k);
		any |= ent[kind] != UINT32_MAX;
	}
	if (!any)
		return;
	hit = addhit(&mp->hits);
	hit->line = m->line;
	hit->len = m->len;
	hit->lineno = m->lineno;
	memcpy(hit->ent, ent, sizeof ent);
}

static int
masterrec(void *arg, struct ts_reader *r)
{
	struct mpart *mp = arg;
	struct mrec *m = &mp->rec[mp->cur];
	size_t n;
	char *p;
	int kind;

	if (bk_fields(r, mp->kc, &m->k) < 0)
		return -1;
	m->line = r->line;
	m->len = r->len;
	m->lineno = r->in.lineno;
	bk_hashes(&m->k, m->h);
#ifdef __GNUC__
	for (kind = 0; kind < NKIND; kind++)
		__builtin_prefetch(&bloom[((m->h[kind] >> 40) & bloommask) * 8]);
#endif
	if (r->map == NULL) {
		/*
		 * Read through a buffer (gzip, a pipe): the line does not
		 * stay there.  Tested now, copied if it is a hit.
		 */
		n = mp->hits.n;
		mp->pending = 1;
		mtest(mp, m);
		if (mp->hits.n > n) {
			p = arena_in(&mp->ar, r->len);
			memcpy(p, r->line, r->len);
			mp->hits.h[n].line = p;
		}
		return 0;
	}
	/* The previous record now, this one at the next call. */
	mtest(mp, &mp->rec[mp->cur ^ 1]);
	mp->pending = 1;
	mp->cur ^= 1;
	return 0;
}

/*
 * With the index: the claims' keys, in hash order as the key table is,
 * found in the index's buckets in the same order (the index is read
 * through once, its pages given back behind); the records they point to
 * in file order, each read once, checked and compared field by field
 * (a hash is not a key).
 */

/*
 * The records noted are parsed into beneficiaries by two threads, each
 * a run of them in file order with its own reader and arena (with the
 * index, each also finds its records and checks them first); then they
 * are kept in file order.  A record that cannot be parsed is an error
 * only if it is kept: it is parsed again, for the message, by the pass
 * that keeps.
 */
#define HPARTS 2
struct hpart {
	struct ts_reader r;	/* a copy of the master's, its own fields */
	const int *c, *kc;
	struct cand *cd;	/* with the index: the candidates a..b, sorted here */
	size_t a, b;
	struct mhits hs;	/* the records noted */
	struct benef *bs;	/* and parsed */
	unsigned char *bad;	/* not parsed */
	size_t bcap;
	struct arena ar;
	struct bmemo mm;
	int fatal;		/* candidate fataloff failed its check */
	uint64_t fataloff;
};

/* Split a line that was checked into r's fields. */
static void
resplit(struct ts_reader *r, const char *line, size_t len)
{
	const char *p, *q;
	int nf;

	for (p = line, nf = 0; nf < r->ncol; nf++, p = q + 1) {
		q = memchr(p, '\t', (size_t)(line + len - p));
		if (q == NULL)
			q = line + len;
		r->f[nf].p = p;
		r->f[nf].n = (size_t)(q - p);
	}
	r->line = line;
	r->len = len;
}

/*
 * A candidate record: checked, its key fields into m, its keys compared;
 * 1 noted, 0 not, -1 bad, -2 not the line its entries were made of.
 */
static int
candidate(struct ts_reader *r, const int *kc, const struct cand *cd, size_t k, size_t j,
    struct bk_rec *m, struct mhits *hs)
{
	struct mhit *hit;
	struct bk_key mk;
	int any = 0, kind;

	if (CDOFF(cd[k]) >= r->maplen || ts_line(r, (const char *)r->map + CDOFF(cd[k])) < 0 ||
	    bk_fields(r, kc, m) < 0)
		return -1;
	hit = addhit(hs);
	hit->line = r->line;
	hit->len = r->len;
	hit->lineno = -1;
	for (kind = 0; kind < NKIND; kind++)
		hit->ent[kind] = UINT32_MAX;
	bk_keyof(m, &mk);
	/*
	 * The line is the one its entries were made of: their hashes are its
	 * keys'.  A key equal to its entry's claim's has its hash (bk_hash
	 * reads the very fields keyeq compares): only the others are hashed,
	 * and the entries, at random in the table, not read for the rest.
	 */
	for (; k < j; k++) {
		if (keyeq(CDKIND(cd[k]), &cl[cd[k].rep], &mk)) {
			hit->ent[CDKIND(cd[k])] = cd[k].ent;
			any = 1;
		} else if (bk_hash(CDKIND(cd[k]), &mk) != kt[cd[k].ent].h) {
			for (kind = 0; kind < NKIND; kind++)
				hit->ent[kind] = UINT32_MAX;
			return -2;
		}
	}
	if (!any)
		hs->n--;
	return any;
}

static void *
hwork(void *arg)
{
	struct hpart *p = arg;
	struct mhit *hit;
	struct bk_rec m;
	size_t k, j, n;
	int rc;

	if (p->cd != NULL) {
		/* Its candidates in file order; the pages behind the first given back. */
		rsort(p->cd, p->b, (uint64_t)p->r.maplen << 2 | 3);
		p->r.released = p->b > 0 ? (const char *)p->r.map + CDOFF(p->cd[0]) : NULL;
	}
	for (k = p->a, n = 0; ; k = j) {
		if (p->cd != NULL) {
			if (k >= p->b)
				break;
			for (j = k; j < p->b && CDOFF(p->cd[j]) == CDOFF(p->cd[k]); j++)
				;
#ifdef __GNUC__
			/*
			 * The claims whose keys the records ahead are compared
			 * with, then their fields; the records' lines.
			 */
			if (j + 16 < p->b)
				__builtin_prefetch(&cl[p->cd[j + 16].rep]);
			if (j + 8 < p->b) {
				const struct claim *c = &cl[p->cd[j + 8].rep];

				__builtin_prefetch(CS(c, C_NIR));
				__builtin_prefetch(CS(c, C_ADHERENT));
				if (CDOFF(p->cd[j + 8]) < p->r.maplen)
					__builtin_prefetch((const char *)p->r.map +
					    CDOFF(p->cd[j + 8]));
			}
#endif
			if ((rc = candidate(&p->r, p->kc, p->cd, k, j, &m, &p->hs)) < 0) {
				p->fatal = rc == -2 ? 2 : 1;
				p->fataloff = CDOFF(p->cd[k]);
				break;
			}
			if (rc == 0)
				continue;
			hit = &p->hs.h[p->hs.n - 1];
		} else {
			if ((j = k + 1) > p->b)
				break;
			hit = &p->hs.h[k];
			resplit(&p->r, hit->line, hit->len);
		}
		ts_release(&p->r, hit->line);
		if (n == p->bcap) {
			p->bcap = p->bcap ? p->bcap * 2 : 4096;
			p->bs = xrealloc(p->bs, p->bcap * sizeof *p->bs);
			p->bad = xrealloc(p->bad, p->bcap);
		}
		p->r.in.lineno = 1;	/* the message is made again if need be */
		p->bad[n] = parsebenef(&p->r, &p->ar, p->c, n > 0 && !p->bad[n - 1] ?
		    &p->bs[n - 1] : NULL, p->cd != NULL ? &m : NULL, &p->mm, &p->bs[n]) < 0;
		n++;
	}
	return NULL;
}

/*
 * Parse hits[0..n) (hits NULL: find them from the candidates, cd[i][0..
 * ncd[i]) for part i, each part's offsets before the next's), then keep
 * them, in file order.
 */
static void
keephits(struct ts_reader *r, const int *c, const int *kc, struct mhit *hits, size_t n,
    struct cand *const *cd, const size_t *ncd, const struct bx *x)
{
	struct hpart pt[HPARTS];
	pthread_t th[HPARTS];
	const struct mhit *hit, *h0;
	struct benef tmp;
	struct bk_rec m;
	struct kent *e;
	const char *p, *relb, *relh;
	long kept;
	size_t k, cut, nh;
	int i, kind;

	memset(pt, 0, sizeof pt);
	for (i = 0, cut = 0; i < HPARTS; i++) {
		memcpy(&pt[i].r, r, sizeof *r);
		pt[i].r.f = xmalloc((size_t)r->ncol * sizeof *r->f);
		pt[i].r.cents = xmalloc((size_t)r->ncol * sizeof *r->cents);
		/* Zero once: the reader sets only the money columns' (ts_open). */
		memset(pt[i].r.cents, 0, (size_t)r->ncol * sizeof *r->cents);
		pt[i].c = c;
		pt[i].kc = kc;
		if (cd != NULL) {
			pt[i].cd = cd[i];
			pt[i].b = ncd[i];
			continue;
		}
		pt[i].a = cut;
		cut = i == HPARTS - 1 ? n : n / HPARTS * (size_t)(i + 1);
		pt[i].b = cut;
		pt[i].hs.h = hits;
		pt[i].hs.n = n;
		/* Each gives back the pages behind it, from its own start. */
		pt[i].r.released = pt[i].a >= n ? NULL : hits[pt[i].a].line;
	}
	for (i = 1; i < HPARTS; i++)
		if (pthread_create(&th[i], NULL, hwork, &pt[i]) != 0)
			die(EX_OSERR, "pthread_create: %s", strerror(errno));
	hwork(&pt[0]);
	for (i = 1; i < HPARTS; i++)
		pthread_join(th[i], NULL);

	/*
	 * Room for every record parsed, the most that may be kept: the
	 * array grows in place (remapped), untouched pages cost nothing.
	 */
	for (i = 0, nh = nbens; i < HPARTS; i++)
		nh += cd != NULL ? pt[i].hs.n : pt[i].b - pt[i].a;
	if (nh > capbens) {
		capbens = nh;
		bens = xrealloc(bens, capbens * sizeof *bens);
	}
	for (i = 0; i < HPARTS; i++) {
		h0 = cd != NULL ? pt[i].hs.h : hits + pt[i].a;
		nh = cd != NULL ? pt[i].hs.n : pt[i].b - pt[i].a;
		relb = (const char *)pt[i].bs;
		relh = (const char *)h0;
		for (k = 0; k < nh; k++) {
			/*
			 * The parts' records behind, copied, and the hits
			 * read, given back as the beneficiaries are kept,
			 * 4096 at a time (576 KiB): never all of them twice
			 * in memory.
			 */
			if ((k & 0xfff) == 0xfff) {
				relb = pages_release(relb, (const char *)&pt[i].bs[k]);
				if (cd != NULL)
					relh = pages_release(relh, (const char *)&h0[k]);
			}
			hit = &h0[k];
			kept = -1;
			for (kind = 0; kind < NKIND; kind++) {
				if (hit->ent[kind] == UINT32_MAX)
					continue;
				e = &kt[hit->ent[kind]];
				if (e->bi >= 0 && kind == K_EXACT)
					continue;
				if (kept < 0) {
					if (pt[i].bad[k]) {
						/* Parsed again, for the message. */
						resplit(r, hit->line, hit->len);
						r->in.lineno = hit->lineno;
						(void)parsebenef(r, &mainarena, c, NULL, NULL,
						    NULL, &tmp);
						ts_fatal(r);
					}
					if (nbens == capbens) {
						capbens = capbens ? capbens * 2 : 4096;
						bens = xrealloc(bens, capbens * sizeof *bens);
					}
					bens[nbens] = pt[i].bs[k];
					kept = (long)nbens++;
				}
				if (e->bi == -1)
					e->bi = (int32_t)kept;
				else if (e->bi != kept)
					e->bi = KAMB;
			}
		}
		if (pt[i].fatal == 2)
			die(EX_DATAERR, "%s: offset %llu: its entries do not match the line of %s "
			    "there: the master changed since it was indexed, or the index is "
			    "damaged; run benef-index again (liquidate -V checks both whole)",
			    x->name, (unsigned long long)pt[i].fataloff, r->in.name);
		if (pt[i].fatal) {
			/* Checked again, for the message. */
			p = (const char *)r->map + pt[i].fataloff;
			if (pt[i].fataloff < r->maplen && ts_line(r, p) == 0) {
				(void)bk_fields(r, kc, &m);
				ts_fatal(r);
			}
			if (pt[i].fataloff >= r->maplen || r->errline < 0)
				die(EX_DATAERR, "%s: offset %llu: not a record of %s: damaged index",
				    x->name, (unsigned long long)pt[i].fataloff, r->in.name);
			ts_fatal(r);
		}
	}
	for (i = 0; i < HPARTS; i++) {
		free(pt[i].r.f);
		free(pt[i].r.cents);
		if (cd != NULL)
			free(pt[i].hs.h);
		free(pt[i].bs);
		free(pt[i].bad);
	}
}

/*
 * Sort on off, least significant 11 bits first, stable, skipping the
 * passes where every off agrees: off <= maxoff.
 */
void
rsort(struct cand *a, size_t n, uint64_t maxoff)
{
	struct cand *t = xmalloc((n ? n : 1) * sizeof *t);

	radix_sort(a, n, sizeof *a, t, 0, maxoff);
	free(t);
}

void
scanmaster(struct ts_reader *r, const int *c, const int *kc)
{
	struct mpart mp[MPARTS];
	void *args[MPARTS];
	long base[MPARTS];
	struct mhits all;
	int i;
	size_t k;

	if (bloom == NULL) {
		/* 16 bits a slot: a block of 512 bits for 32 slots. */
		bloom = bigalloc((ktmask + 1) / 32 * 8 * sizeof *bloom);
		bloommask = (ktmask + 1) / 32 - 1;
		for (k = 0; k <= ktmask; k++)
			if (kt[k].rk != 0)
				bloomset(kt[k].h);
	}
	for (i = 0; i < MPARTS; i++) {
		memset(&mp[i], 0, sizeof mp[i]);
		mp[i].kc = kc;
		args[i] = &mp[i];
	}
	if (ts_scan(r, MPARTS, masterrec, args, base) < 0)
		ts_fatal(r);
	/* The hits of the parts end to end, their lines counted from 1. */
	for (i = 0; i < MPARTS; i++) {
		mtest(&mp[i], &mp[i].rec[mp[i].cur ^ 1]);
		for (k = 0; k < mp[i].hits.n; k++)
			mp[i].hits.h[k].lineno += base[i];
		if (i == 0)
			all = mp[0].hits;
		else {
			for (k = 0; k < mp[i].hits.n; k++)
				*addhit(&all) = mp[i].hits.h[k];
			free(mp[i].hits.h);
		}
	}
	keephits(r, c, kc, all.h, all.n, NULL, NULL, NULL);
	free(all.h);
	for (i = 0; i < MPARTS; i++)
		arena_free(&mp[i].ar);
}

/*
 * Offsets that cut a master's candidates into HPARTS runs of about as
 * many, each to be sorted and read by a thread of its own: quantiles of
 * the offsets of a sample of the claims' keys.  Part i holds the
 * offsets below cut[i] (cut[HPARTS - 1] is past every offset).
 */
#define NSAMPLE 2048
static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
cuts(const struct bx *x, uint64_t *cut)
{
	uint64_t s[NSAMPLE], lo, hi, eh, ref, q;
	size_t i, n = 0, step = (ktmask + 1) / NSAMPLE ? (ktmask + 1) / NSAMPLE : 1;
	const struct kent *e;
	int p;

	for (i = 0; i <= ktmask && n < NSAMPLE; i += step) {
		if ((e = &kt[i])->rk == 0)
			continue;
		bx_bucket(x, e->h, &lo, &hi);
		for (q = lo; q < hi; q++) {
			bx_entry(x, q, &eh, &ref);
			if (eh > e->h)
				break;
			if (eh == e->h && (int)(ref & 3) == KKIND1(e) - 1) {
				s[n++] = ref >> 2;
				break;
			}
		}
	}
	qsort(s, n, sizeof *s, u64cmp);
	for (p = 0; p < HPARTS - 1; p++)
		cut[p] = n > 0 ? s[n * (size_t)(p + 1) / HPARTS] : UINT64_MAX;
	cut[HPARTS - 1] = UINT64_MAX;
}

/*
 * The candidates of the key table's slots [a, b): the index's entries of
 * their keys, found in its buckets in the same order, into the part
 * their offset falls in.  Each half of the table by a thread of its own,
 * the index behind given back as it goes.
 */
struct walk {
	const struct bx *x;
	const uint64_t *cut;
	size_t a, b;
	struct cand *cd[HPARTS];
	size_t nc[HPARTS], cap[HPARTS];
};

static void *
walkkeys(void *arg)
{
	struct walk *w = arg;
	const struct kent *e;
	uint64_t h, lo, hi, eh, ref, q, rel = UINT64_MAX;
	size_t i;
	int p;

	for (i = w->a; i < w->b; i++) {
		if ((e = &kt[i])->rk == 0)
			continue;
		h = e->h;
		bx_bucket(w->x, h, &lo, &hi);
		if (rel == UINT64_MAX)
			rel = lo;
		for (q = lo; q < hi; q++) {
			bx_entry(w->x, q, &eh, &ref);
			if (eh > h)
				break;
			if (eh < h || (int)(ref & 3) != KKIND1(e) - 1)
				continue;
			for (p = 0; (ref >> 2) >= w->cut[p]; p++)
				;
			if (w->nc[p] == w->cap[p]) {
				w->cap[p] = w->cap[p] ? w->cap[p] * 2 : 4096;
				w->cd[p] = xrealloc(w->cd[p], w->cap[p] * sizeof *w->cd[p]);
			}
			w->cd[p][w->nc[p]].off = ref;	/* offset << 2 | kind */
			w->cd[p][w->nc[p]].ent = (uint32_t)i;
			w->cd[p][w->nc[p]++].rep = KREP(e);
		}
		/* The index behind, 32 MiB at a time, given back. */
		if (lo > rel && (lo - rel) * 16 >= (32 << 20)) {
			pages_release((const char *)w->x->ent + 16 * rel,
			    (const char *)w->x->ent + 16 * lo);
			rel = lo;
		}
	}
	return NULL;
}

void
indexmaster(struct ts_reader *r, const int *c, const int *kc, struct bx *x)
{
	struct walk w[2];
	pthread_t th;
	uint64_t cut[HPARTS];
	int p, t;

	cuts(x, cut);
	memset(w, 0, sizeof w);
	for (t = 0; t < 2; t++) {
		w[t].x = x;
		w[t].cut = cut;
		w[t].a = t == 0 ? 0 : (ktmask + 1) / 2;
		w[t].b = t == 0 ? (ktmask + 1) / 2 : ktmask + 1;
	}
	if (pthread_create(&th, NULL, walkkeys, &w[1]) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	walkkeys(&w[0]);
	pthread_join(th, NULL);
	/* Each part's candidates in the table's order: the first half's, then the second's. */
	for (p = 0; p < HPARTS; p++) {
		if (w[1].nc[p] > 0) {
			w[0].cd[p] = xrealloc(w[0].cd[p], (w[0].nc[p] + w[1].nc[p]) * sizeof *w[0].cd[p]);
			movein(&w[0].cd[p][w[0].nc[p]], w[1].cd[p], w[1].nc[p] * sizeof *w[0].cd[p]);
			w[0].nc[p] += w[1].nc[p];
		}
		free(w[1].cd[p]);
	}
	keephits(r, c, kc, NULL, 0, w[0].cd, w[0].nc, x);
	for (p = 0; p < HPARTS; p++)
		free(w[0].cd[p]);
}

/*
 * The indexed masters: by default, the generation's identity only (the
 * master's trailer says the count, sum and seal its index was made of:
 * benef-index checked it whole when it made the index), then each line
 * an entry points to is checked as it is read (candidate).  With -V,
 * checked whole while their records are read: each index's CRC-32, each
 * master's against its trailer, which must be the one the index was made
 * of.  In a thread of its own, on copies of the readers; its verdict is
 * waited for before anything is decided.
 */
int verifyall;
struct mcheck {
	struct ts_reader r;	/* a copy of the master's reader */
	struct bx *x;
	int rc;			/* -1 index, -2 master */
};
static struct mcheck *mchecks;
static int nmchecks;
static pthread_t mcheckth;

static void *
checkmasters(void *arg)
{
	struct mcheck *m;
	int i;

	(void)arg;
	for (i = 0; i < nmchecks; i++) {
		m = &mchecks[i];
		if (bx_verify(m->x) < 0)
			m->rc = -1;
		else if (ts_mapcheck(&m->r, m->x->mrec, m->x->msum) < 0)
			m->rc = -2;
		else if (m->r.crc != m->x->mcrc) {
			snprintf(m->x->err, sizeof m->x->err,
			    "not the index of %s: run benef-index on it again", m->r.in.name);
			m->rc = -1;
		}
	}
	return NULL;
}

/* A master opened, with its index if it has one. */
static void
openmaster(struct master *m, const char *path, const char *index)
{
	int i;

	if (ts_open(&m->r, path, "benef-master", 1) < 0)
		ts_fatal(&m->r);
	for (i = 0; i < NBC; i++)
		m->c[i] = ts_needcol(&m->r, bcols[i]);
	bk_cols(&m->r, m->kc);
	m->indexed = index != NULL;
	if (!m->indexed)
		return;
	if (ts_map(&m->r) < 0)
		ts_fatal(&m->r);
	if (bx_open(&m->x, index, &m->r) < 0)
		die(m->x.noinput ? EX_NOINPUT : EX_DATAERR, "%s: %s", index, m->x.err);
	if (!verifyall) {
		if (ts_mapident(&m->r, m->x.mrec, m->x.msum, m->x.mcrc) < 0) {
			if (m->r.errmsg[0] != '\0' && strstr(m->r.errmsg, "expected") != NULL)
				die(EX_DATAERR, "%s: not the index of %s: run benef-index on it again",
				    index, path);
			ts_fatal(&m->r);
		}
		return;
	}
	memcpy(&mchecks[nmchecks].r, &m->r, sizeof m->r);
	mchecks[nmchecks].x = &m->x;
	mchecks[nmchecks++].rc = 0;
}

/* The n masters opened, the indexed ones checked whole meanwhile. */
void
openmasters(struct master *ms, char *const *paths, char *const *indexes, int n)
{
	int i;

	mchecks = xmalloc((size_t)(n ? n : 1) * sizeof *mchecks);
	for (i = 0; i < n; i++)
		openmaster(&ms[i], paths[i], indexes[i]);
	if (nmchecks > 0 && pthread_create(&mcheckth, NULL, checkmasters, NULL) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
}

void
checkedmasters(void)
{
	int i;

	if (nmchecks > 0)
		pthread_join(mcheckth, NULL);
	for (i = 0; i < nmchecks; i++) {
		if (mchecks[i].rc == -1)
			die(EX_DATAERR, "%s: %s", mchecks[i].x->name, mchecks[i].x->err);
		if (mchecks[i].rc == -2)
			ts_fatal(&mchecks[i].r);
	}
	free(mchecks);
}

/*
 * The rank of each beneficiary's family, (amc, contract) in byte order:
 * the order in which claims consume.  Masters come sorted; given in amc
 * order the ranks are the load order, else the families are sorted.
 */
static int
repcmp(const void *a, const void *b)
{
	const struct benef *x = &bens[*(const size_t *)a], *y = &bens[*(const size_t *)b];
	int d;

	if ((d = strcmp(x->amc, y->amc)) != 0)
		return d;
	return strcmp(x->contract, y->contract);
}

void
families(void)
{
	size_t i, nf = 0, *rep;
	uint32_t *rank, r;
	int d, sorted = 1;

	for (i = 0; i < nbens; i++) {
		d = i == 0 ? 1 : repcmp(&i, &(size_t){ i - 1 });
		if (d < 0)
			sorted = 0;
		if (d != 0)
			nf++;
		bens[i].fam = (uint32_t)(nf - 1);
	}
	if (sorted || nf == 0)
		return;
	rep = xmalloc(nf * sizeof *rep);
	rank = xmalloc(nf * sizeof *rank);
	for (i = 0; i < nbens; i++)
		rep[bens[i].fam] = i;
	qsort(rep, nf, sizeof *rep, repcmp);
	for (i = 0, r = 0; i < nf; i++) {
		if (i > 0 && repcmp(&rep[i], &rep[i - 1]) != 0)
			r++;
		rank[bens[rep[i]].fam] = r;
	}
	for (i = 0; i < nbens; i++)
		bens[i].fam = rank[bens[i].fam];
	free(rep);
	free(rank);
}

/*
 * The beneficiary of a claim: exact identity, else a reconciliation key
 * naming exactly one beneficiary (flag identity).  -1 when none.
 */
long
lookup(struct claim *c)
{
	const struct kent *e;
	int kind;

	for (kind = 0; kind < NKIND; kind++) {
		if (c->ke[kind] == UINT32_MAX)
			continue;
		e = &kt[c->ke[kind]];
		if (e->bi >= 0) {
			if (kind != K_EXACT)
				c->flags |= F_IDENTITY;
			return e->bi;
		}
	}
	return -1;
}

/* The key entry lookup reads first for c, fetched. */
void
lookahead(const struct claim *c)
{
#ifdef __GNUC__
	if (c->ke[K_EXACT] != UINT32_MAX)
		__builtin_prefetch(&kt[c->ke[K_EXACT]]);
#else
	(void)c;
#endif
}

/*
 * Every claim has looked its beneficiary up: the key table and the Bloom
 * filter, sized for every key of the day, are given back before the
 * decisions are made and written, when the memory is at its peak.
 */
void
keysdone(void)
{
	bigfree(kt, (ktmask + 1) * sizeof *kt);
	kt = NULL;
	bigfree(bloom, (ktmask + 1) / 32 * 8 * sizeof *bloom);
	bloom = NULL;
}
