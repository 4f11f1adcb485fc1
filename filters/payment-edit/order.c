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

/* The order of the ledger: amc, then line (the key). */
int
linecmp(const void *pa, const void *pb)
{
	const struct line *a = *(struct line *const *)pa, *b = *(struct line *const *)pb;
	int c = strcmp(a->amc, b->amc);

	return c ? c : strcmp(a->key, b->key);
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

/*
 * The n lines of v, in the ledger's order, put in their PS's: (amc,
 * kind, num, key).  Within a PS they keep their order, that of their
 * keys, so a stable distribution by the PS's rank gives it, each PS
 * found by a hash of (amc, kind, num) and the PS ranked by strcmp.
 * Gives the number of PS; the lines of the r-th are v[start[r]] up to
 * v[start[r + 1]] (start holds n + 1).
 */
size_t
lines_bypayee(struct line **v, size_t n, size_t *start)
{
	struct ps *ps = xmalloc((n + 1) * sizeof *ps), **ord;
	struct line **tmp;
	size_t *id = xmalloc((n + 1) * sizeof *id), *slot, mask, nps = 0, i, h, s;

	for (mask = 1; mask < 2 * n; mask <<= 1)
		;
	slot = xmalloc(mask * sizeof *slot);
	memset(slot, 0, mask * sizeof *slot);
	mask--;
	for (i = 0; i < n; i++) {
		for (h = (size_t)pshash(v[i]) & mask; (s = slot[h]) != 0; h = (h + 1) & mask)
			if (sameps(ps[s - 1].l, v[i]))
				break;
		if (s == 0) {
			ps[nps].l = v[i];
			ps[nps].n = 0;
			slot[h] = s = ++nps;
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
	tmp = xmalloc((n + 1) * sizeof *tmp);
	for (i = 0; i < nps; i++)
		ps[i].n = start[ps[i].rank];	/* where its next line goes */
	for (i = 0; i < n; i++)
		tmp[ps[id[i]].n++] = v[i];
	memcpy(v, tmp, n * sizeof *v);
	free(tmp);
	free(id);
	free(ps);
	return nps;
}
