/*
 * The orders of the lines to pay: by (amc, line), as the ledger keeps
 * them, and by PS, as the transfers and statements list them.  They are
 * the orders of strcmp, got by a radix sort of byte strings (bytesort)
 * and a distribution rather than by comparisons: with qsort and chains of strcmp they were a third
 * of a day's run (324 000 lines paid, 5 000 PS, three clients).
 */
#include <stdlib.h>
#include <string.h>

#include "pay.h"
#include "radix.h"

/*
 * The order of the ledger: amc, then line (the key); one compare in
 * memcmp's order (cmpbytes) of the (amc, NUL, key) of each (see
 * linekey() below), not two strcmp.
 */
int
linecmp(const void *pa, const void *pb)
{
	const struct line *a = *(struct line *const *)pa, *b = *(struct line *const *)pb;
	size_t n = a->namc + 1 + a->nkey, m = b->namc + 1 + b->nkey;
	int c = cmpbytes(a->amc, b->amc, n < m ? n : m);

	return c ? c : (n > m) - (n < m);
}

/*
 * A line's (amc, NUL, key): the key follows the amc (newline() puts
 * them so).  No byte of either is NUL (the reader refuses them), so the
 * order of these strings, byte by byte unsigned, is that of (amc, key)
 * by strcmp.
 */
static const void *
linekey(const void *p, size_t *len)
{
	const struct line *l = *(struct line *const *)p;

	*len = l->namc + 1 + l->nkey;
	return l->amc;
}

void
lines_sort(struct line **v, size_t n)
{
	bytesort(v, n, sizeof *v, linekey);
}

/*
 * The day's lines in the ledger's order, by one radix sort on a number
 * a line: its client's rank and its key, a first_claim (YYYY-MM-DD#N),
 * packed so that the numbers are in the order of the strings, and one
 * only where the strings are one.  The client's rank among the day's
 * (few) clients, in strcmp's order; the date's eight digits, less the
 * earliest's; N's digits, each one more than its value in four bits,
 * put left and ended with zeros: the shorter of two that agree comes
 * first, as with strcmp.  Where the lines do not fit (many clients, a
 * key of another shape, more than 64 bits), bytesort: the same order.
 * The bytesort of the lines, in two threads merged, was 370 M of the
 * 4.9 G instructions of 2026-01-19 in the generated world; this, some
 * 60 M.  Gives 1 if two lines are one (the same amc and key), else 0.
 */
struct rk {
	uint64_t k;
	struct line *l;
};

#define MAXAMC 64

static int
bitsfor(uint64_t v)
{
	int b = 0;

	while (v != 0)
		b++, v >>= 1;
	return b;
}

int
lines_order(struct line **v, size_t n)
{
	struct rk *r, *tmp;
	const struct line *amc[MAXAMC];
	uint64_t rank[MAXAMC], *x, dmin = UINT64_MAX, dmax = 0, d, e, maxk, bad, w8, l8 = 0, ld = 0;
	uint16_t w2, l2 = 0;
	size_t namc = 0, maxdig = 0, i, j, a = 0, nd;
	const unsigned char *s;
	int ra, rd, rn, dup = 0;

	if (n < 2)
		return 0;
	r = xmalloc(n * sizeof *r);
	x = xmalloc(n * sizeof *x);
	for (i = 0; i < n; i++) {
		const struct line *l = v[i];

		if (namc == 0 || l->namc != amc[a]->namc || !samebytes(l->amc, amc[a]->amc, l->namc)) {
			for (a = 0; a < namc && (l->namc != amc[a]->namc ||
			    !samebytes(l->amc, amc[a]->amc, l->namc)); a++)
				;
			if (a == namc) {
				if (namc == MAXAMC)
					goto slow;
				amc[namc++] = l;
			}
		}
		s = (const unsigned char *)l->key;
		nd = l->nkey - 11;
		if (l->nkey < 12 || nd > 15 || s[4] != '-' || s[7] != '-' || s[10] != '#')
			goto slow;
		/*
		 * YYYYMMDD as a number: the dates' order, the strings'; the
		 * last line's again if its date is this one's (most are).
		 */
		bad = 0;
		memcpy(&w8, s, sizeof w8);
		memcpy(&w2, s + 8, sizeof w2);
		if (i == 0 || w8 != l8 || w2 != l2) {
			for (d = 0, j = 0; j < 10; j++)
				if (j != 4 && j != 7) {
					bad |= (uint64_t)(s[j] - '0') > 9;
					d = d * 10 + (uint64_t)(s[j] - '0');
				}
			if (bad)
				goto slow;
			l8 = w8;
			l2 = w2;
			ld = d;
		} else
			d = ld;
		/* N's digits, each one more than its value, from bit 60 down. */
		for (e = 0, j = 11; j < l->nkey; j++) {
			bad |= (uint64_t)(s[j] - '0') > 9;
			e = e << 4 | (uint64_t)(s[j] - '0' + 1);
		}
		if (bad)
			goto slow;
		if (d < dmin)
			dmin = d;
		if (d > dmax)
			dmax = d;
		if (nd > maxdig)
			maxdig = nd;
		r[i].k = e << 4 * (15 - nd);
		r[i].l = v[i];
		x[i] = d << 8 | a;
	}
	/* The clients ranked in strcmp's order (they are few). */
	for (a = 0; a < namc; a++)
		for (rank[a] = 0, j = 0; j < namc; j++)
			rank[a] += strcmp(amc[j]->amc, amc[a]->amc) < 0;
	ra = bitsfor(namc - 1);
	rd = bitsfor(dmax - dmin);
	rn = 4 * (int)maxdig;
	if (ra + rd + rn > 64)
		goto slow;
	for (i = 0; i < n; i++)
		r[i].k = (rank[x[i] & 0xff] << rd | ((x[i] >> 8) - dmin)) << rn | r[i].k >> (60 - rn);
	free(x);
	maxk = ra + rd + rn == 64 ? UINT64_MAX : ((uint64_t)1 << (ra + rd + rn)) - 1;
	tmp = xmalloc(n * sizeof *tmp);
	radix_sort(r, n, sizeof *r, tmp, 0, maxk);
	free(tmp);
	for (i = 0; i < n; i++) {
		v[i] = r[i].l;
		if (i > 0 && r[i].k == r[i - 1].k)
			dup = 1;
	}
	free(r);
	return dup;
slow:
	free(r);
	free(x);
	lines_sort(v, n);
	for (i = 1; i < n; i++)
		if (linecmp(&v[i - 1], &v[i]) == 0)
			dup = 1;
	return dup;
}

/*
 * A PS of a client: a line of its, the PS's rank and lines counted; its
 * key, amc NUL kind NUL num, whose byte order is that of strcmp on the
 * three (pscmp's).
 */
struct ps {
	const struct line *l;
	size_t rank, n;
	char *k;
	size_t nk;
};

/*
 * A PS's hash and identity: the bytes of its amc and NUL, and of its
 * kind and num, NUL-ended each (they are one after the other, up to the
 * invoice), 8 at a time: as strcmp's three, but without scanning them.
 */
static uint64_t
hashbytes(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, sizeof w);
		h = (h ^ w) * 0x9e3779b97f4a7c15u;
		h ^= h >> 29;
	}
	for (; n > 0; n--, p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

static uint64_t
pshash(const struct line *l)
{
	uint64_t h = hashbytes(14695981039346656037u, l->amc, l->namc + 1);

	h = hashbytes(h, l->kind, (size_t)(l->invoice - l->kind));
	return h ^ h >> 32;
}

static int
sameps(const struct line *a, const struct line *b)
{
	size_t n = (size_t)(a->invoice - a->kind);

	return a->namc == b->namc && n == (size_t)(b->invoice - b->kind) &&
	    samebytes(a->amc, b->amc, a->namc) && samebytes(a->kind, b->kind, n);
}

static const void *
pskey(const void *p, size_t *len)
{
	const struct ps *ps = *(struct ps *const *)p;

	*len = ps->nk;
	return ps->k;
}

/* The table of the PS seen, twice the larger, its slots put again. */
static size_t *
psgrow(size_t *slot, size_t *mask, const struct ps *ps, size_t nps)
{
	size_t m = 2 * (*mask + 1) - 1, *t = xmalloc((m + 1) * sizeof *t), i, h;

	memset(t, 0, (m + 1) * sizeof *t);
	for (i = 0; i < nps; i++) {
		for (h = (size_t)pshash(ps[i].l) & m; t[h] != 0; h = (h + 1) & m)
			;
		t[h] = i + 1;
	}
	free(slot);
	*mask = m;
	return t;
}

/*
 * The n lines of src, in the ledger's order, put in v in their PS's:
 * (amc, kind, num, key).  Within a PS they keep their order, that of
 * their keys, so a stable distribution by the PS's rank gives it, each
 * PS found by a hash of (amc, kind, num) and the PS ranked in strcmp's
 * order by a bytesort of their keys (a qsort by strcmp was 21 M).
 * The table of the PS is sized to the PS (some 15 000 a day), grown as
 * they come, not to the lines (300 000): its pages are touched for the
 * first time, which on a loaded machine costs more than the growths.
 * Gives the number of PS; the lines of the r-th are v[start[r]] up to
 * v[start[r + 1]] (start holds n + 1).
 */
size_t
lines_bypayee(struct line *const *src, struct line **v, size_t n, size_t *start)
{
	struct ps *ps = NULL, **ord;
	char *keys;
	size_t *id = xmalloc((n + 1) * sizeof *id), *slot, mask = 4095, nps = 0, cap = 0, i, h, s;

	slot = xmalloc((mask + 1) * sizeof *slot);
	memset(slot, 0, (mask + 1) * sizeof *slot);
	for (i = 0; i < n; i++) {
		for (h = (size_t)pshash(src[i]) & mask; (s = slot[h]) != 0; h = (h + 1) & mask)
			if (sameps(ps[s - 1].l, src[i]))
				break;
		if (s == 0) {
			if (nps == cap) {
				cap = cap ? 2 * cap : 1024;
				ps = xrealloc(ps, cap * sizeof *ps);
			}
			ps[nps].l = src[i];
			ps[nps].n = 0;
			slot[h] = s = ++nps;
			/* At most half full: the probes stay short. */
			if (2 * nps > mask)
				slot = psgrow(slot, &mask, ps, nps);
		}
		ps[s - 1].n++;
		id[i] = s - 1;
	}
	free(slot);
	/* The PS ranked by (amc, kind, num): bytesort on their keys. */
	for (h = i = 0; i < nps; i++)
		h += ps[i].l->namc + 1 + (size_t)(ps[i].l->invoice - ps[i].l->kind);
	keys = xmalloc(h + 1);
	ord = xmalloc((nps + 1) * sizeof *ord);
	for (h = i = 0; i < nps; i++) {
		const struct line *l = ps[i].l;
		size_t nkn = (size_t)(l->invoice - l->kind) - 1;

		ps[i].k = keys + h;
		memcpy(ps[i].k, l->amc, l->namc + 1);
		memcpy(ps[i].k + l->namc + 1, l->kind, nkn);
		ps[i].nk = l->namc + 1 + nkn;
		h += ps[i].nk;
		ord[i] = &ps[i];
	}
	bytesort(ord, nps, sizeof *ord, pskey);
	free(keys);
	for (s = i = 0; i < nps; i++) {
		ord[i]->rank = i;
		start[i] = s;
		s += ord[i]->n;
	}
	start[nps] = n;
	free(ord);
	for (i = 0; i < nps; i++)
		ps[i].n = start[ps[i].rank];	/* where its next line goes */
	for (i = 0; i < n; i++)
		v[ps[id[i]].n++] = src[i];
	free(id);
	free(ps);
	return nps;
}
