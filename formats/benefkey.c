/*
 * The identity keys of a beneficiary, as liquidate matches claims to the
 * master on them, and the master index benef-index writes and liquidate
 * reads (benef-index(5)): every key of every record, hashed, with the
 * record's offset, sorted and bucketed on the hash's high bits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

static const char *const bkcolname[BK_NCOL] = {
	"amc", "nir", "nir_key", "benef_nir", "birth_date", "rang", "adherent"
};

/* Strings and integers, each closed, then mixed. */
static uint64_t
hstr(uint64_t h, const struct field *f)
{
	const char *s = f->p, *e = s + f->n;

	while (s < e)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return (h ^ 0x1ff) * 0x100000001b3ULL;
}

static uint64_t
hint(uint64_t h, int64_t v)
{
	return hash_mix64(h ^ (uint64_t)v) * 0x9e3779b97f4a7c15ULL;
}

uint64_t
bk_hash(int kind, const struct bk_key *k)
{
	uint64_t h;

	switch (kind) {
	case BK_EXACT:
		h = hash_mix64(hint(hint(hstr(hstr(hstr(0xcbf29ce484222325ULL, &k->amc), &k->nir),
		    &k->key), k->rang), k->birth));
		break;
	case BK_NIRRANG:
		h = hash_mix64(hint(hstr(hstr(0x84222325cbf29ce4ULL, &k->amc),
		    k->bnir.n ? &k->bnir : &k->nir), k->rang));
		break;
	default:
		h = hash_mix64(hstr(hint(hint(hstr(0x9ce484222325cbf2ULL, &k->amc), k->birth),
		    k->rang), &k->adh));
		break;
	}
	return h != 0 ? h : 1;	/* 0 stands for no key */
}

void
bk_keyof(const struct bk_rec *m, struct bk_key *k)
{
	k->amc.p = m->amc;
	k->amc.n = strlen(m->amc);
	k->nir.p = m->nir;
	k->nir.n = strlen(m->nir);
	k->key.p = m->key;
	k->key.n = strlen(m->key);
	k->bnir.p = m->bnir;
	k->bnir.n = strlen(m->bnir);
	k->adh.p = m->adh;
	k->adh.n = strlen(m->adh);
	k->rang = m->rang;
	k->birth = m->birth;
}

void
bk_cols(struct ts_reader *r, int *c)
{
	int i;

	for (i = 0; i < BK_NCOL; i++)
		c[i] = ts_needcol(r, bkcolname[i]);
}

int
bk_fields(struct ts_reader *r, const int *c, struct bk_rec *m)
{
	const struct field *f = r->f;

	if (f[c[BK_AMC]].n >= sizeof m->amc || f[c[BK_ADH]].n >= sizeof m->adh)
		return ts_error(r, f[c[BK_AMC]].n >= sizeof m->amc ? "amc" : "adherent",
		    "too long");
	if (f[c[BK_NIR]].n != 13 || f[c[BK_KEY]].n != 2)
		return ts_error(r, "nir", "not 13 characters and a 2-digit key");
	if (f[c[BK_BNIR]].n != 0 && f[c[BK_BNIR]].n != 13)
		return ts_error(r, "benef_nir", "not 13 characters");
	if (date_parse(f[c[BK_BIRTH_DATE]].p, f[c[BK_BIRTH_DATE]].n, &m->birth) < 0)
		return ts_error(r, "birth_date", "not a date");
	if (int_parse(f[c[BK_RANG]].p, f[c[BK_RANG]].n, 0, 99, &m->rang) < 0)
		return ts_error(r, "rang", "not a rank");
	memcpy(m->amc, f[c[BK_AMC]].p, f[c[BK_AMC]].n);
	m->amc[f[c[BK_AMC]].n] = '\0';
	memcpy(m->nir, f[c[BK_NIR]].p, 13);
	m->nir[13] = '\0';
	memcpy(m->key, f[c[BK_KEY]].p, 2);
	m->key[2] = '\0';
	memcpy(m->bnir, f[c[BK_BNIR]].p, f[c[BK_BNIR]].n);
	m->bnir[f[c[BK_BNIR]].n] = '\0';
	memcpy(m->adh, f[c[BK_ADH]].p, f[c[BK_ADH]].n);
	m->adh[f[c[BK_ADH]].n] = '\0';
	return 0;
}

void
bk_hashes(const struct bk_rec *m, uint64_t *h)
{
	struct bk_key k;
	int kind;

	bk_keyof(m, &k);
	for (kind = 0; kind < BK_NKIND; kind++)
		h[kind] = bk_hash(kind, &k);
}

/* The index. */

static int
xbad(struct bx *x, const char *fmt, const char *a)
{
	snprintf(x->err, sizeof x->err, fmt, a);
	return -1;
}

int
bx_open(struct bx *x, const char *path, const struct ts_reader *m)
{
	const unsigned char *h;
	struct stat st;
	uint64_t nb, i, prev, d;
	void *map;
	int fd;

	memset(x, 0, sizeof *x);
	x->name = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		x->noinput = 1;
		if (fd >= 0)
			close(fd);
		return xbad(x, "%s", strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || st.st_size < BX_HDR + 4) {
		close(fd);
		return xbad(x, "%s", "not an index: too short");
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		x->noinput = 1;
		return xbad(x, "%s", strerror(errno));
	}
	x->map = map;
	x->len = (size_t)st.st_size;
	h = x->map;
	if (memcmp(h, BX_MAGIC, 8) != 0)
		return xbad(x, "%s", "not a beneficiary index (bad magic)");
	if (le_get32(h + 8) != BX_VERSION)
		return xbad(x, "%s", "index version not 1");
	x->bits = (int)le_get32(h + 12);
	x->n = le_get64(h + 16);
	x->msize = le_get64(h + 24);
	x->mrec = le_get64(h + 32);
	x->msum = (int64_t)le_get64(h + 40);
	x->mcrc = le_get32(h + 48);
	x->mhdrcrc = le_get32(h + 52);
	if (x->bits < 1 || x->bits > 40 || x->n > (x->len >> 4) ||
	    x->len != BX_HDR + 8 * (((uint64_t)1 << x->bits) + 1) + 16 * x->n + 4)
		return xbad(x, "%s", "index size does not match its header: truncated?");
	x->dir = h + BX_HDR;
	x->ent = x->dir + 8 * (((uint64_t)1 << x->bits) + 1);
	/* The master it was made of: size and header; the trailer later. */
	if (m->map == NULL || x->msize != m->maplen ||
	    x->mhdrcrc != (uint32_t)crc32(0L, (const Bytef *)m->map, (uInt)m->hdrlen))
		return xbad(x, "not the index of %s: run benef-index on it again", m->in.name);
	nb = (uint64_t)1 << x->bits;
	for (i = 0, prev = 0; i <= nb; i++) {
		d = le_get64(x->dir + 8 * i);
		if (d < prev || d > x->n || (i == 0 && d != 0) || (i == nb && d != x->n))
			return xbad(x, "%s", "index directory out of order: damaged");
		prev = d;
	}
	return 0;
}

void
bx_bucket(const struct bx *x, uint64_t h, uint64_t *lo, uint64_t *hi)
{
	uint64_t b = h >> (64 - x->bits);

	*lo = le_get64(x->dir + 8 * b);
	*hi = le_get64(x->dir + 8 * (b + 1));
}

void
bx_entry(const struct bx *x, uint64_t i, uint64_t *h, uint64_t *ref)
{
	*h = le_get64(x->ent + 16 * i);
	*ref = le_get64(x->ent + 16 * i + 8);
}

int
bx_verify(struct bx *x)
{
	uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
	size_t off, n, step = (size_t)1 << 20;

	for (off = 0; off < x->len - 4; off += n) {
		n = x->len - 4 - off < step ? x->len - 4 - off : step;
		crc = (uint32_t)crc32(crc, x->map + off, (uInt)n);
	}
	if (crc != le_get32(x->map + x->len - 4))
		return xbad(x, "%s", "index CRC-32 does not match: damaged");
	return 0;
}

void
bx_close(struct bx *x)
{
	if (x->map != NULL)
		munmap((void *)x->map, x->len);
	x->map = NULL;
}

void
bx_add(struct bx_ent **e, size_t *n, size_t *cap, const uint64_t *h, uint64_t off)
{
	int kind;

	if (*cap - *n < BK_NKIND) {
		*cap = *cap ? *cap * 2 : 3 << 12;
		*e = xrealloc(*e, *cap * sizeof **e);
	}
	for (kind = 0; kind < BK_NKIND; kind++) {
		(*e)[*n].h = h[kind];
		(*e)[(*n)++].ref = off << 2 | (uint64_t)kind;
	}
}

int
bx_entcmp(const struct bx_ent *a, const struct bx_ent *b)
{
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->ref < b->ref ? -1 : a->ref > b->ref;
}

/* The index's buffered writer, with its running CRC-32. */
struct bxout {
	int fd;
	const char *name;
	uint32_t crc;
	size_t len;
	unsigned char buf[1 << 16];
};

static void
bxflush(struct bxout *o)
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
bx64(struct bxout *o, uint64_t v)
{
	if (sizeof o->buf - o->len < 8)
		bxflush(o);
	le_put64(o->buf + o->len, v);
	o->len += 8;
}

/* bx_write's source: the entries of an array, in order. */
struct bxarr {
	const struct bx_ent *e;
	uint64_t n;
};

static size_t
bxarrnext(void *ctx, struct bx_ent *buf, size_t max)
{
	struct bxarr *a = ctx;
	size_t k = a->n < max ? (size_t)a->n : max;

	memcpy(buf, a->e, k * sizeof *buf);
	a->e += k;
	a->n -= k;
	return k;
}

void
bx_write(int fd, const char *name, int bits, const uint64_t *dir, const struct bx_ent *e,
    uint64_t n, uint64_t msize, uint64_t nrec, int64_t sum, uint32_t seal, uint32_t hcrc)
{
	struct bxarr a = { e, n };

	bx_write_src(fd, name, bits, dir, n, bxarrnext, &a, msize, nrec, sum, seal, hcrc);
}

void
bx_write_src(int fd, const char *name, int bits, const uint64_t *dir, uint64_t n,
    size_t (*next)(void *, struct bx_ent *, size_t), void *ctx, uint64_t msize,
    uint64_t nrec, int64_t sum, uint32_t seal, uint32_t hcrc)
{
	struct bxout *o = xmalloc(sizeof *o);
	uint64_t b, nb = (uint64_t)1 << bits, left = n;
	struct bx_ent e[256];

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
		bx64(o, dir[b]);
	while (left > 0) {
		size_t k = next(ctx, e, left < 256 ? (size_t)left : 256);

		if (k == 0)
			die(EX_SOFTWARE, "%s: %llu entries short", name, (unsigned long long)left);
		if (sizeof o->buf - o->len < sizeof e)
			bxflush(o);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* The entries as they are in memory: two 64-bit words, nothing between. */
		_Static_assert(sizeof e[0] == 16, "struct bx_ent is two words");
		memcpy(o->buf + o->len, e, k * sizeof e[0]);
		o->len += k * sizeof e[0];
#else
		for (size_t i = 0; i < k; i++) {
			le_put64(o->buf + o->len, e[i].h);
			le_put64(o->buf + o->len + 8, e[i].ref);
			o->len += 16;
		}
#endif
		left -= k;
	}
	bxflush(o);
	le_put32(o->buf, o->crc);
	o->len = 4;
	bxflush(o);
	free(o);
}
