/*
 * The beneficiary masters of the day (tiers-benef(5), -b): for a PS
 * item opened today, whether the beneficiary's contract allows the
 * indus to be offset (Norme V3 COMPENSATION_AUTORISEE, the master's
 * column compensation).  A master is mapped and searched by bisection
 * on its sort key (amc, contract, member_ref): a few lines read an item,
 * nothing held.
 */
#include <stdlib.h>
#include <string.h>

#include "indus.h"

struct master {
	struct ts_reader r;
	int c[4];		/* amc, contract, member_ref, compensation (-1) */
	int maxc;		/* the last of the key's columns */
	size_t first, last;	/* its first and last records' lines; last 0: none */
};
static struct master *ms;
static int nms;

void
masters_open(char *const *paths, int n)
{
	static const char *const cols[3] = { "amc", "contract", "member_ref" };
	int i, k;

	ms = xrealloc(ms, (size_t)(n ? n : 1) * sizeof *ms);
	for (i = 0; i < n; i++) {
		struct master *m = &ms[nms++];

		if (ts_open(&m->r, paths[i], "benef-master", 1) < 0 || ts_map(&m->r) < 0)
			ts_fatal(&m->r);
		for (k = 0, m->maxc = 0; k < 3; k++) {
			m->c[k] = ts_needcol(&m->r, cols[k]);
			if (m->c[k] > m->maxc)
				m->maxc = m->c[k];
		}
		m->c[3] = ts_col(&m->r, "compensation");
		/*
		 * Its first and last records: a key outside them is not
		 * searched for (a master is a client's: the day's items of
		 * the other clients cost no search in it).
		 */
		m->first = m->last = 0;
		{
			const char *base = m->r.map, *p = base + m->r.hdrlen, *e = base + m->r.maplen;
			const char *q;

			while (p < e && *p == '#' && (q = memchr(p, '\n', (size_t)(e - p))) != NULL)
				p = q + 1;
			for (q = e; q > p; ) {
				const char *s0 = q - 1;

				while (s0 > p && s0[-1] != '\n')
					s0--;
				if (*s0 != '#') {
					m->first = (size_t)(p - base);
					m->last = (size_t)(s0 - base);
					break;
				}
				q = s0;
			}
		}
	}
}

/* A key field against a field of the key: <0, 0, >0. */
static int
fieldcmp(const char *p, size_t n, const struct field *key)
{
	int d = memcmp(p, key->p, n < key->n ? n : key->n);

	if (d != 0)
		return d;
	return n == key->n ? 0 : n < key->n ? -1 : 1;
}

/*
 * The record at line start p against the key: <0, 0, >0; 1 past the
 * records.  A probe of the search: the key's columns found at their
 * TABs, the line not checked (some sixty probes an item, each line of
 * fifty columns checked whole was the item's cost); the line found is
 * checked whole (keyat).
 */
static int keyat(struct master *m, const char *p, const struct field *key);

static int
probe(struct master *m, const char *p, const struct field *key)
{
	const char *end = (const char *)m->r.map + m->r.maplen, *nl, *f[3], *t;
	size_t n[3];
	int k, col, d;

	if (*p == '#')
		return 1;
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		nl = end;
	for (k = 0; k < 3; k++)
		f[k] = NULL;
	for (col = 0, t = p; col <= m->maxc; col++) {
		const char *e = memchr(t, '\t', (size_t)(nl - t));

		if (e == NULL)
			e = nl;
		for (k = 0; k < 3; k++)
			if (m->c[k] == col) {
				f[k] = t;
				n[k] = (size_t)(e - t);
			}
		if (e == nl)
			break;
		t = e + 1;
	}
	for (k = 0; k < 3; k++) {
		/* Fewer fields than the header's: checked, and refused, whole. */
		if (f[k] == NULL)
			return keyat(m, p, key);
		if ((d = fieldcmp(f[k], n[k], &key[k])) != 0)
			return d;
	}
	return 0;
}

/* The record at line start p, checked whole, against the key. */
static int
keyat(struct master *m, const char *p, const struct field *key)
{
	int k, d;

	if (*p == '#')
		return 1;
	if (ts_line(&m->r, p) < 0)
		ts_fatal(&m->r);
	for (k = 0; k < 3; k++) {
		const struct field *f = &m->r.f[m->c[k]];

		if ((d = fieldcmp(f->p, f->n, &key[k])) != 0)
			return d;
	}
	return 0;
}

/*
 * The compensation column of the beneficiary (amc, contract, member) in
 * the first master that has it: its field in *out (empty if the master
 * has no such column); 0, or -1 if no master has the beneficiary.
 */
int
master_comp(const struct field *amc, const struct field *contract, const struct field *member,
    struct field *out)
{
	struct field key[3];
	const char *base, *p;
	size_t lo, hi, mid, s;
	int i;

	key[0] = *amc;
	key[1] = *contract;
	key[2] = *member;
	for (i = 0; i < nms; i++) {
		struct master *m = &ms[i];

		base = (const char *)m->r.map;
		if (m->last == 0 || probe(m, base + m->first, key) > 0 ||
		    probe(m, base + m->last, key) < 0)
			continue;
		lo = m->r.hdrlen;
		hi = m->r.maplen;
		/* lo and hi are line starts; the first record not below the key. */
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			for (s = mid; s > lo && base[s - 1] != '\n'; s--)
				;
			if (probe(m, base + s, key) < 0) {
				p = memchr(base + s, '\n', m->r.maplen - s);
				lo = p == NULL ? hi : (size_t)(p - base) + 1;
			} else
				hi = s;
		}
		if (lo < m->r.maplen && keyat(m, base + lo, key) == 0) {
			if (m->c[3] >= 0)
				*out = m->r.f[m->c[3]];
			else
				out->p = "", out->n = 0;
			return 0;
		}
	}
	return -1;
}

void
masters_close(void)
{
	int i;

	for (i = 0; i < nms; i++)
		ts_close(&ms[i].r);
	free(ms);
	ms = NULL;
	nms = 0;
}
