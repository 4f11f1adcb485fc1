/*
 * benef-integrate -x: the index of the master it writes (benef-index(5)),
 * made from the records as they are written, so that the master is not
 * read a second time for it.  The same bytes as benef-index(1) writes
 * of that master: every identity key of every record, hashed, with the
 * record's offset, bucketed on the hash's high bits and sorted in each
 * bucket; the master's size, header line, count, sum and seal.
 *
 * With the index of the master of the day before (-i), the keys of the
 * records copied as they were are not hashed again: that index's
 * entries are carried over, at the offsets their runs of lines moved
 * to, and merged with those of the records written anew.
 *
 * Memory: made anew, 16 bytes a key, three keys a beneficiary, twice
 * while bucketing, as benef-index's.  Carried over, the entries are
 * not held: the old index's, remapped, and the new ones, sorted, are
 * merged as they are written, twice (once to count the directory's
 * buckets, once to write them), the old index's pages given back behind
 * each pass; what is held is the directory (a bucket of 8 bytes for
 * about 8 keys: 3 bytes a beneficiary), the new entries (48 bytes a
 * beneficiary written anew), and where the runs of the old master went
 * (4 bytes for each 256 bytes of it, and 24 a run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"
#include "benef.h"

static struct bx_ent *ents;
static size_t nents, capents;

/* The index of the day before, whose entries are carried over (bi_ix_carry). */
static struct bx ox;
static const struct bi_run *oruns;
static size_t noruns;
static uint32_t *ogran;		/* the first run ending after each granule of the old master */
#define GRAN 256

/* The key fields in bk_fields' order (amc, nir, ...): read through a reader of them alone. */
static const int bkc[BK_NCOL] = { 0, 1, 2, 3, 4, 5, 6 };

int
bi_ix_add(const struct field *kf, uint64_t off, const char **field, const char **why)
{
	static struct ts_reader fr;
	struct field f[BK_NCOL];
	struct bk_rec m;
	uint64_t h[BK_NKIND];

	memcpy(f, kf, sizeof f);
	fr.f = f;
	if (bk_fields(&fr, bkc, &m) < 0) {
		*field = fr.errfield;
		*why = fr.errmsg;
		return -1;
	}
	bk_hashes(&m, h);
	bx_add(&ents, &nents, &capents, h, off);
	return 0;
}

/*
 * The index at path, of the master m (mapped) read whole: nrec records,
 * sealed by seal, of which the runs (old offsets [a, b), in order) were
 * copied into the new master at their to.  0: its entries are carried
 * over by bi_ix_write; -1, why says what is wrong with it.
 */
#define IX_RELEASE (16 << 20)	/* pages of the old index given back behind a pass */

/* The CRC-32 of the n bytes at p, mapped: their pages given back behind. */
static uint32_t
ixcrc(const unsigned char *p, size_t n)
{
	const unsigned char *q = p, *e = p + n;
	uint32_t c = 0;
	size_t k;

	for (; q < e; q += k) {
		k = (size_t)(e - q) < IX_RELEASE ? (size_t)(e - q) : IX_RELEASE;
		c = crc32_buf(c, q, k);
		pages_release((const char *)q, (const char *)(q + k));
	}
	return c;
}

int
bi_ix_carry(const char *path, const struct ts_reader *m, uint64_t nrec, uint32_t seal,
    const struct bi_run *runs, size_t nruns, char *why, size_t whysz)
{
	uint64_t g, ng;
	size_t i;

	if (bx_open(&ox, path, m) < 0) {
		snprintf(why, whysz, "%s", ox.err);
		bx_close(&ox);
		return -1;
	}
	if (ox.mrec != nrec || ox.msum != 0 || ox.mcrc != seal || ox.n != BK_NKIND * nrec) {
		snprintf(why, whysz, "not the index of %s", m->in.name);
		bx_close(&ox);
		return -1;
	}
	/* Verified once when it was made; checked whole before it is carried on. */
	if (ixcrc(ox.map, ox.len - 4) != le_get32(ox.map + ox.len - 4)) {
		snprintf(why, whysz, "index CRC-32 does not match: damaged");
		bx_close(&ox);
		return -1;
	}
	oruns = runs;
	noruns = nruns;
	ng = m->maplen / GRAN + 1;
	ogran = xmalloc(ng * sizeof *ogran);
	for (g = 0, i = 0; g < ng; g++) {
		while (i < nruns && runs[i].b <= g * GRAN)
			i++;
		ogran[g] = (uint32_t)i;
	}
	return 0;
}

/* An old entry's reference at its new offset, or 0: its record was not copied. */
static inline uint64_t
remap(uint64_t ref)
{
	uint64_t o = ref >> 2;
	size_t i = ogran[o / GRAN];

	while (i < noruns && oruns[i].b <= o)
		i++;
	if (i == noruns || oruns[i].a > o)
		return 0;
	return (o - oruns[i].a + oruns[i].to) << 2 | (ref & 3);
}

/*
 * The n entries of src into dst, sorted as benef-index sorts them: into
 * buckets on the high bits of the hash (as many as its index of n keys
 * has), then each bucket by insertion.
 */
static void
entsort(const struct bx_ent *src, size_t n, struct bx_ent *dst)
{
	uint64_t nb, b, k, *dir;
	struct bx_ent x;
	size_t j, m;
	int bits;

	for (bits = 1; bits < 40 && ((uint64_t)1 << bits) * 8 < n; bits++)
		;
	nb = (uint64_t)1 << bits;
	dir = xmalloc((nb + 1) * sizeof *dir);
	memset(dir, 0, (nb + 1) * sizeof *dir);
	for (j = 0; j < n; j++)
		dir[(src[j].h >> (64 - bits)) + 1]++;
	for (b = 0; b < nb; b++)
		dir[b + 1] += dir[b];
	for (j = 0; j < n; j++)
		dst[dir[src[j].h >> (64 - bits)]++] = src[j];
	/* dir[b] is now the end of bucket b: shift it back to the starts. */
	memmove(dir + 1, dir, nb * sizeof *dir);
	dir[0] = 0;
	for (b = 0; b < nb; b++)
		for (k = dir[b] + 1; k < dir[b + 1]; k++) {
			x = dst[k];
			for (m = (size_t)k; m > dir[b] && bx_entcmp(&dst[m - 1], &x) > 0; m--)
				dst[m] = dst[m - 1];
			dst[m] = x;
		}
	free(dir);
}

/*
 * The entries carried over (the old index's, remapped, in its order;
 * those of records not copied dropped) merged with the new ones (f,
 * sorted), as a source of bx_write_src: the new one first of two equal.
 */
struct merge {
	const unsigned char *p, *pe, *rel;
	const struct bx_ent *f, *fe;
	struct bx_ent o;	/* the old entry waiting; o.h 0: none */
};

static void
merge_start(struct merge *m, const struct bx_ent *f, size_t nf)
{
	m->p = m->rel = ox.ent;
	m->pe = ox.ent + 16 * ox.n;
	m->f = f;
	m->fe = f + nf;
	m->o.h = 0;
}

static size_t
mergenext(void *ctx, struct bx_ent *buf, size_t max)
{
	struct merge *m = ctx;
	size_t k = 0;

	while (k < max) {
		while (m->o.h == 0 && m->p < m->pe) {
			m->o.h = le_get64(m->p);
			if ((m->o.ref = remap(le_get64(m->p + 8))) == 0)
				m->o.h = 0;
			m->p += 16;
		}
		if (m->f < m->fe && (m->o.h == 0 || bx_entcmp(m->f, &m->o) < 0))
			buf[k++] = *m->f++;
		else if (m->o.h != 0) {
			buf[k++] = m->o;
			m->o.h = 0;
		} else
			break;
	}
	if ((size_t)(m->p - m->rel) >= IX_RELEASE)
		m->rel = (const unsigned char *)pages_release((const char *)m->rel,
		    (const char *)m->p);
	return k;
}

/*
 * The index of the master of msize bytes, nrec records summing to sum,
 * sealed by seal, its header line's CRC-32 hcrc, to fd; its keys and
 * buckets counted in *nkey and *nbucket.
 */
void
bi_ix_write(int fd, const char *name, uint64_t msize, uint64_t nrec, int64_t sum,
    uint32_t seal, uint32_t hcrc, uint64_t *nkey, uint64_t *nbucket)
{
	uint64_t n = BK_NKIND * nrec, nb, *dir, b;
	struct bx_ent *e;
	int bits;

	for (bits = 1; bits < 40 && ((uint64_t)1 << bits) * 8 < n; bits++)
		;
	nb = (uint64_t)1 << bits;
	dir = xmalloc((nb + 1) * sizeof *dir);
	memset(dir, 0, (nb + 1) * sizeof *dir);
	if (ox.map != NULL) {
		/* Carried over, merged with the new ones: counted, then written. */
		struct bx_ent *f = xmalloc((nents ? nents : 1) * sizeof *f), buf[256];
		struct merge m;
		uint64_t got = 0;
		size_t k, j;

		entsort(ents, nents, f);
		free(ents);
		ents = NULL;
		merge_start(&m, f, nents);
		while ((k = mergenext(&m, buf, 256)) > 0) {
			for (j = 0; j < k; j++)
				dir[(buf[j].h >> (64 - bits)) + 1]++;
			got += k;
		}
		if (got != n)
			die(EX_SOFTWARE, "%s: %llu keys, not 3 a record", name,
			    (unsigned long long)got);
		for (b = 0; b < nb; b++)
			dir[b + 1] += dir[b];
		merge_start(&m, f, nents);
		bx_write_src(fd, name, bits, dir, n, mergenext, &m, msize, nrec, sum, seal, hcrc);
		free(f);
		free(dir);
		bx_close(&ox);
		free(ogran);
		ogran = NULL;
		nents = capents = 0;
		*nkey = n;
		*nbucket = nb;
		return;
	}
	/* Made anew: every entry in memory, sorted. */
	if (nents != n)
		die(EX_SOFTWARE, "%s: %llu keys, not 3 a record", name, (unsigned long long)nents);
	e = xmalloc((n ? n : 1) * sizeof *e);
	entsort(ents, nents, e);
	for (b = 0; b < n; b++)
		dir[(e[b].h >> (64 - bits)) + 1]++;
	for (b = 0; b < nb; b++)
		dir[b + 1] += dir[b];
	free(ents);
	ents = NULL;
	nents = capents = 0;

	bx_write(fd, name, bits, dir, e, n, msize, nrec, sum, seal, hcrc);
	free(e);
	free(dir);
	*nkey = n;
	*nbucket = nb;
}
