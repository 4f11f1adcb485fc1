/*
 * benef-integrate -x: the index of the master it writes (benef-index(5)),
 * made from the records as they are written, so that the master is not
 * read a second time for it.  The same bytes as benef-index(1) writes
 * of that master: every identity key of every record, hashed, with the
 * record's offset, bucketed on the hash's high bits and sorted in each
 * bucket; the master's size, header line, count, sum and seal.
 *
 * Memory: 16 bytes a key, three keys a beneficiary, twice while
 * bucketing, as benef-index's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"
#include "benef.h"

struct ent {
	uint64_t h, ref;
};

static struct ent *ents;
static size_t nents, capents;

/* The key fields in bk_fields' order (amc, nir, ...): read through a reader of them alone. */
static const int bkc[BK_NCOL] = { 0, 1, 2, 3, 4, 5, 6 };

void
bi_ix_add(const struct field *kf, uint64_t off, const char *name, long line)
{
	static struct ts_reader fr;
	struct field f[BK_NCOL];
	struct bk_rec m;
	uint64_t h[BK_NKIND];
	int kind;

	memcpy(f, kf, sizeof f);
	fr.f = f;
	if (bk_fields(&fr, bkc, &m) < 0)
		die_at(EX_DATAERR, name, line, fr.errfield, "%s", fr.errmsg);
	bk_hashes(&m, h);
	if (capents - nents < BK_NKIND) {
		capents = capents ? capents * 2 : 3 << 12;
		ents = xrealloc(ents, capents * sizeof *ents);
	}
	for (kind = 0; kind < BK_NKIND; kind++) {
		ents[nents].h = h[kind];
		ents[nents++].ref = off << 2 | (uint64_t)kind;
	}
}

static int
entcmp(const struct ent *a, const struct ent *b)
{
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

/* A buffered writer of the index, with its running CRC-32. */
struct out {
	int fd;
	const char *name;
	unsigned char buf[1 << 16];
	size_t len;
	uint32_t crc;
};

static void
oflush(struct out *o)
{
	size_t off = 0;
	ssize_t k;

	o->crc = crc32_buf(o->crc, o->buf, o->len);
	while (off < o->len) {
		if ((k = write(o->fd, o->buf + off, o->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", o->name, strerror(errno));
		}
		off += (size_t)k;
	}
	o->len = 0;
}

static inline void
o64(struct out *o, uint64_t v)
{
	if (sizeof o->buf - o->len < 8)
		oflush(o);
	le_put64(o->buf + o->len, v);
	o->len += 8;
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
	uint64_t n = nents, nb, k, *dir, b;
	struct ent *e, x;
	struct out *o;
	size_t j, m;
	int bits;

	for (bits = 1; bits < 40 && ((uint64_t)1 << bits) * 8 < n; bits++)
		;
	nb = (uint64_t)1 << bits;
	dir = xmalloc((nb + 1) * sizeof *dir);
	memset(dir, 0, (nb + 1) * sizeof *dir);
	for (j = 0; j < nents; j++)
		dir[(ents[j].h >> (64 - bits)) + 1]++;
	for (b = 0; b < nb; b++)
		dir[b + 1] += dir[b];
	e = xmalloc((n ? n : 1) * sizeof *e);
	for (j = 0; j < nents; j++)
		e[dir[ents[j].h >> (64 - bits)]++] = ents[j];
	free(ents);
	ents = NULL;
	nents = capents = 0;
	/* dir[b] is now the end of bucket b: shift it back to the starts. */
	memmove(dir + 1, dir, nb * sizeof *dir);
	dir[0] = 0;
	for (b = 0; b < nb; b++)
		for (k = dir[b] + 1; k < dir[b + 1]; k++) {
			x = e[k];
			for (m = (size_t)k; m > dir[b] && entcmp(&e[m - 1], &x) > 0; m--)
				e[m] = e[m - 1];
			e[m] = x;
		}

	o = xmalloc(sizeof *o);
	o->fd = fd;
	o->name = name;
	o->crc = 0;
	memcpy(o->buf, BX_MAGIC, 8);
	le_put32(o->buf + 8, BX_VERSION);
	le_put32(o->buf + 12, (uint32_t)bits);
	le_put64(o->buf + 16, n);
	le_put64(o->buf + 24, msize);
	le_put64(o->buf + 32, nrec);
	le_put64(o->buf + 40, (uint64_t)sum);
	le_put32(o->buf + 48, seal);
	le_put32(o->buf + 52, hcrc);
	le_put64(o->buf + 56, 0);
	o->len = BX_HDR;
	for (b = 0; b <= nb; b++)
		o64(o, dir[b]);
	for (k = 0; k < n; k++) {
		o64(o, e[k].h);
		o64(o, e[k].ref);
	}
	oflush(o);
	le_put32(o->buf, o->crc);
	o->len = 4;
	oflush(o);
	free(e);
	free(dir);
	free(o);
	*nkey = n;
	*nbucket = nb;
}
