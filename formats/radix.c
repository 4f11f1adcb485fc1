/*
 * radix_sort (radix.h).  The records are moved with memcpy of their
 * size; the sizes the callers use are spelt out, and sort() forced
 * inline into each case (plain inline, GCC kept one copy taking the
 * size as an argument), so that each copy is a few moves, not a call.
 */
#include <string.h>

#include "radix.h"

static inline uint64_t
key(const char *p)
{
	uint64_t k;

	memcpy(&k, p, sizeof k);
	return k;
}

static inline __attribute__((always_inline)) void
sort(char *a, size_t n, size_t size, char *tmp, int from, uint64_t maxkey)
{
	size_t cnt[2048], i, s, v;
	char *src = a, *dst = tmp, *sw;
	int sh;

	for (sh = from; sh < 64 && (maxkey >> sh) != 0; sh += 11) {
		memset(cnt, 0, sizeof cnt);
		for (i = 0; i < n; i++)
			cnt[(key(src + i * size) >> sh) & 2047]++;
		if (n == 0 || cnt[(key(src) >> sh) & 2047] == n)
			continue;	/* every key agrees on these bits */
		for (i = 0, s = 0; i < 2048; i++) {
			v = cnt[i];
			cnt[i] = s;
			s += v;
		}
		for (i = 0; i < n; i++)
			memcpy(dst + cnt[(key(src + i * size) >> sh) & 2047]++ * size,
			    src + i * size, size);
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != a)
		memcpy(a, src, n * size);
}

void
radix_sort(void *a, size_t n, size_t size, void *tmp, int from, uint64_t maxkey)
{
	switch (size) {
	case 16:
		sort(a, n, 16, tmp, from, maxkey);
		break;
	case 24:
		sort(a, n, 24, tmp, from, maxkey);
		break;
	case 40:
		sort(a, n, 40, tmp, from, maxkey);
		break;
	default:
		sort(a, n, size, tmp, from, maxkey);
	}
}
