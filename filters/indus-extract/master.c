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
		for (k = 0; k < 3; k++)
			m->c[k] = ts_needcol(&m->r, cols[k]);
		m->c[3] = ts_col(&m->r, "compensation");
	}
}

/* The record at line start p against the key: <0, 0, >0; 1 past the records. */
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
		size_t n = f->n < key[k].n ? f->n : key[k].n;

		if ((d = memcmp(f->p, key[k].p, n)) != 0)
			return d;
		if (f->n != key[k].n)
			return f->n < key[k].n ? -1 : 1;
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
		lo = m->r.hdrlen;
		hi = m->r.maplen;
		/* lo and hi are line starts; the first record not below the key. */
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			for (s = mid; s > lo && base[s - 1] != '\n'; s--)
				;
			if (keyat(m, base + s, key) < 0) {
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
