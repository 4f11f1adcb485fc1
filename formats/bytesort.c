/*
 * bytesort (radix.h): an MSD radix sort on byte strings, 8 bytes at a
 * time, each step a radix_sort of the records on a uint64_t, the groups
 * that agree on it sorted on the next 8 bytes.  Records of the sort of
 * their own, 24 bytes: the step's 8 bytes, the key and its length, and
 * the record's place, which makes the order total (the sort stable) and
 * tells where the record is once they are in order.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "radix.h"
#include "tiers.h"

struct rec {
	uint64_t k;
	const unsigned char *s;
	uint32_t len, i;
};

/*
 * The bytes d to d + 8 of a key, the first the most significant, 0 past
 * its end: a key that ends there and one whose bytes go on with NULs get
 * the same, which the group's step below tells apart.
 */
static inline uint64_t
chunk(const struct rec *r, size_t d)
{
	uint64_t k = 0;
	size_t i;

	if (d + 8 <= r->len) {
		memcpy(&k, r->s + d, sizeof k);
		return be64toh(k);
	}
	for (i = d; i < d + 8; i++)
		k = k << 8 | (i < r->len ? r->s[i] : 0);
	return k;
}

/* The order of two keys whose first d bytes agree; then their places. */
static inline int
cmpfrom(const struct rec *a, const struct rec *b, size_t d)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n > d ? memcmp(a->s + d, b->s + d, n - d) : 0;

	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static int
reccmp(const void *a, const void *b)
{
	return cmpfrom(a, b, 0);
}

static int
kcmp(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return cmpfrom(a, b, 0);
}

/* Where a key ends in its bytes d to d + 8, 0 to 8, or 9 if it goes on. */
static inline size_t
ends(const struct rec *r, size_t d)
{
	return r->len <= d + 8 ? r->len - d : 9;
}

/*
 * The n records sorted on their keys from byte d on (the bytes before
 * agree, and every key goes on past d but at d 0), their k holding the
 * bytes d to d + 8 if n is 16 or more.  A few records are sorted by
 * insertion; some more, and those still agreeing past 64 bytes, by
 * qsort: a radix pass clears and sums 2048 counts, for a small group
 * more than comparing.
 */
static void
msd(struct rec *a, size_t n, size_t d, struct rec *tmp)
{
	struct rec r;
	size_t i, j, m, lo, at, cnt[10], c;
	int mixed;

	if (n < 16) {
		for (i = 1; i < n; i++) {
			r = a[i];
			for (j = i; j > 0 && cmpfrom(&a[j - 1], &r, d) > 0; j--)
				a[j] = a[j - 1];
			a[j] = r;
		}
		return;
	}
	if (d >= 64) {
		qsort(a, n, sizeof *a, reccmp);
		return;
	}
	if (n < 128) {
		qsort(a, n, sizeof *a, kcmp);
		return;
	}
	radix_sort(a, n, sizeof *a, tmp, 0, UINT64_MAX);
	for (i = 0; i < n; i = j) {
		/*
		 * Agreeing on these bytes, the keys that end within them
		 * come first, the shorter first (they differ only where one
		 * has NULs), then those that go on, sorted on the next ones.
		 */
		for (m = a[i].len <= d + 8, mixed = 0, j = i + 1; j < n && a[j].k == a[i].k; j++) {
			m += a[j].len <= d + 8;
			mixed |= ends(&a[j - 1], d) > ends(&a[j], d);
		}
		if (j - i < 2)
			continue;
		if (mixed) {
			memset(cnt, 0, sizeof cnt);
			for (at = i; at < j; at++)
				cnt[ends(&a[at], d)]++;
			for (c = 0, at = 0; c < 10; c++) {
				lo = cnt[c];
				cnt[c] = at;
				at += lo;
			}
			for (at = i; at < j; at++)
				tmp[cnt[ends(&a[at], d)]++] = a[at];
			memcpy(a + i, tmp, (j - i) * sizeof *a);
		}
		lo = i + m;
		if (j - lo < 2)
			continue;
		if (j - lo >= 16 && d + 8 < 64)
			for (at = lo; at < j; at++) {
				/* Read in the order of the bytes before: fetched ahead. */
				if (at + 8 < j)
					__builtin_prefetch(a[at + 8].s + d + 8);
				a[at].k = chunk(&a[at], d + 8);
			}
		msd(a + lo, j - lo, d + 8, tmp);
	}
}

void
bytesort(void *a, size_t n, size_t size, const void *(*key)(const void *, size_t *))
{
	struct rec *v, *tmp;
	char *p = a, *out;
	size_t i, len;

	if (n < 2)
		return;
	if (n > UINT32_MAX)
		die(EX_SOFTWARE, "bytesort: %zu records, more than it sorts", n);
	v = xmalloc(n * sizeof *v);
	tmp = xmalloc(n * sizeof *tmp);
	for (i = 0; i < n; i++) {
		v[i].s = key(p + i * size, &len);
		if (len > UINT32_MAX)
			die(EX_SOFTWARE, "bytesort: a key of %zu bytes, more than it sorts", len);
		v[i].len = (uint32_t)len;
		v[i].i = (uint32_t)i;
		v[i].k = chunk(&v[i], 0);
	}
	msd(v, n, 0, tmp);
	if (size <= sizeof *tmp)
		out = (char *)tmp;
	else {
		free(tmp);
		out = xmalloc(n * size);
	}
	for (i = 0; i < n; i++)
		memcpy(out + i * size, p + (size_t)v[i].i * size, size);
	memcpy(a, out, n * size);
	free(out);
	free(v);
}
