/*
 * The LSD radix sort that liquidate (its candidates, its claims in the
 * consumption order) and dedup (its normalised keys) both need; and the
 * MSD sort on byte strings built on it that payment-edit (its lines) and
 * indus-extract (its store's rows) both need.
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

/*
 * Sort the n records of size bytes at a, stable, on their keys as
 * strings of bytes: memcmp's order on the bytes they share, then the
 * shorter first.  key gives a record's key, its first byte, and its
 * length in *len; the key stays in place while the sort runs.  On 8
 * bytes at a time, the most significant first, by radix_sort, the
 * small groups by comparisons.  Up to 2^32 - 1 records, and keys as
 * long.
 */
void bytesort(void *a, size_t n, size_t size, const void *(*key)(const void *, size_t *));

#endif
