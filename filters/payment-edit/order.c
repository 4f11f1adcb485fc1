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
 * The order of the ledger: amc, then line (the key); one memcmp of the
 * (amc, NUL, key) of each (see linekey() below), not two strcmp.
 */
int
linecmp(const void *pa, const void *pb)
{
	const struct line *a = *(struct line *const *)pa, *b = *(struct line *const *)pb;
	size_t n = a->namc + 1 + a->nkey, m = b->namc + 1 + b->nkey;
	int c = memcmp(a->amc, b->amc, n < m ? n : m);

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

/* A PS of a client: a line of its, the PS's rank and lines counted. */
struct ps {
	const struct line *l;
	size_t rank, n;
};

static uint64_t
pshash(const struct line *l)
{
	const char *s[3] = { l->amc, l->kind, l->num };
	const unsigned char *p;
	uint64_t h = 14695981039346656037u;
	int i;

	for (i = 0; i < 3; i++) {
		for (p = (const unsigned char *)s[i]; *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211u;
		h = (h ^ 0xff) * 1099511628211u;
	}
	return h;
}

static int
sameps(const struct line *a, const struct line *b)
{
	return strcmp(a->amc, b->amc) == 0 && strcmp(a->kind, b->kind) == 0 &&
	    strcmp(a->num, b->num) == 0;
}

static int
pscmp(const void *pa, const void *pb)
{
	const struct line *a = (*(struct ps *const *)pa)->l, *b = (*(struct ps *const *)pb)->l;
	int c;

	if ((c = strcmp(a->amc, b->amc)) != 0 || (c = strcmp(a->kind, b->kind)) != 0)
		return c;
	return strcmp(a->num, b->num);
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
 * PS found by a hash of (amc, kind, num) and the PS ranked by strcmp.
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
	ord = xmalloc((nps + 1) * sizeof *ord);
	for (i = 0; i < nps; i++)
		ord[i] = &ps[i];
	qsort(ord, nps, sizeof *ord, pscmp);
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
