/*
 * The LSD radix sort that liquidate (its candidates, its claims in the
 * consumption order) and dedup (its normalised keys) both need.
 */
#ifndef TIERS_RADIX_H
#define TIERS_RADIX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sort the n records of size bytes at a, each starting with its key, a
 * uint64_t, on the key's bits from bit `from` up, 11 a pass, least
 * significant first, stable; the passes where every key agrees are
 * skipped, and so are those above the highest bit of maxkey (give
 * UINT64_MAX to sort on every bit from `from`).  tmp holds n records.
 */
void radix_sort(void *a, size_t n, size_t size, void *tmp, int from, uint64_t maxkey);

#endif
