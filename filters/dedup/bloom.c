/*
 * dedup: the filter beside a ledger segment (tiers-ledger(5)), so that a
 * key of the day no segment holds is looked for in none: most of the
 * day's keys are new, and without it each would gallop into every
 * segment and fault its pages in.  The keys are hashes already: their
 * high word chooses the block, so the blocks follow the segment's order
 * and are written as the segment is, a merge's two halves at once; their
 * low word the bits.  A filter only ever says "not here" of a key the
 * segment does not hold: a segment without one is read as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"

void
fltpath(char *buf, size_t cap, const char *dir, const char *seg)
{
	const char *dot = strrchr(seg, '.');
	int n = dot != NULL ? (int)(dot - seg) : (int)strlen(seg);

	snprintf(buf, cap, "%s/%.*s.flt", dir, n, seg);
}

const char *
fltload(struct seg *s, const char *path, const char **field)
{
	struct stat st;
	const unsigned char *m;
	void *v;
	uint64_t nb;
	int fd, en;

	*field = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return NULL;
		return strerror(errno);
	}
	if (fstat(fd, &st) < 0) {
		en = errno;
		close(fd);
		return strerror(en);
	}
	*field = "size";
	if ((size_t)st.st_size < FLTHDR + FLTBLK) {
		close(fd);
		return "not a segment's filter, or truncated";
	}
	v = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	en = errno;
	close(fd);
	if (v == MAP_FAILED) {
		*field = NULL;
		return strerror(en);
	}
	s->flt = m = v;
	s->fltlen = (size_t)st.st_size;
	nb = le_get64(m + 16);
	*field = "header";
	if (memcmp(m, FMAGIC, 8) != 0 || le_get32(m + 8) != 1)
		return "not a segment's filter of version 1";
	if (le_get32(m + 12) < 1 || le_get32(m + 12) > 7 || nb == 0 || nb >> 32 != 0)
		return "parameters out of range: corrupt";
	*field = "size";
	if (s->fltlen != FLTHDR + nb * FLTBLK)
		return "not the size its header says: truncated or corrupt";
	*field = "header";
	if (le_get64(m + 24) != s->n || le_get32(m + 32) != s->crc)
		return "not the filter of its segment (count or CRC differ)";
	s->fk = le_get32(m + 12);
	s->fnb = nb;
	*field = NULL;
	return NULL;
}

const char *
fltcheck(const struct seg *s)
{
	uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
	size_t i, n = s->fnb * FLTBLK, c = (size_t)4 << 20;

	for (i = 0; i < n; i += c) {
		crc = crc32_buf(crc, s->flt + FLTHDR + i, n - i < c ? n - i : c);
		pages_release((const char *)s->flt + (i > c ? FLTHDR + i - c : 0),
		    (const char *)s->flt + FLTHDR + i + (n - i < c ? n - i : c));
	}
	return crc == le_get32(s->flt + 36) ? NULL : "blocks do not match their CRC: corrupt";
}

/*
 * The filter's pages behind the block of hi, a MiB at a time, as the
 * cursors give back the segment's: a pass reads the filter forward once.
 */
void
fltrelease(const struct seg *s, uint64_t hi, uint64_t *rel)
{
	uint64_t b;

	if (s->flt == NULL)
		return;
	b = hi == UINT64_MAX ? s->fnb : fltblock(hi, s->fnb);
	if (b < *rel + ((1 << 20) / FLTBLK) && hi != UINT64_MAX)
		return;
	pages_release((const char *)s->flt + (*rel == 0 ? 0 : FLTHDR + *rel * FLTBLK),
	    (const char *)s->flt + (b >= s->fnb ? s->fltlen : FLTHDR + b * FLTBLK));
	*rel = b;
}

/* ---------- writing ---------- */

static void
fltout(struct fltw *f, const void *p, size_t n, off_t at)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = pwrite(f->fd, c, n, at)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: write error: %s", f->path, strerror(errno));
		}
		c += k;
		n -= (size_t)k;
		at += k;
	}
}

/* The blocks in buf, the current one with them, written. */
static void
fltdrain(struct fltw *f)
{
	f->crc = crc32_buf(f->crc, f->buf, f->used);
	fltout(f, f->buf, f->used, f->off);
	f->off += (off_t)f->used;
	memset(f->buf, 0, f->used);
	f->used = 0;
}

/* The current block done: the next one, empty. */
static void
fltnext(struct fltw *f)
{
	f->used += FLTBLK;
	f->cur++;
	if (f->used == sizeof f->buf)
		fltdrain(f);
}

void
fltto(struct fltw *f, uint64_t b)
{
	if (b < f->cur || b >= f->end)
		die(EX_SOFTWARE, "%s: block %llu out of order", f->path, (unsigned long long)b);
	while (f->cur < b)
		fltnext(f);
}

/*
 * nkeys: the records the segment may hold (those of a merge older than
 * the window are dropped after).  The blocks an even count: a merge's
 * halves (hashes below 2^63, and from it) fill blocks 0 to nb / 2 and
 * nb / 2 to nb, none shared.
 */
void
fltopen(struct fltw *f, const char *dir, const char *seg, uint64_t nkeys)
{
	fltpath(f->path, sizeof f->path, dir, seg);
	if ((f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", f->path, strerror(errno));
	tmp_track(f->path, 0);
	f->nb = (nkeys * FLTBITS + FLTBLK * 8 - 1) / (FLTBLK * 8);
	f->nb += f->nb & 1;
	if (f->nb < 2)
		f->nb = 2;
	f->cur = f->start = 0;
	f->end = f->nb;
	f->off = FLTHDR;
	f->used = 0;
	f->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	memset(f->buf, 0, sizeof f->buf);
}

/* Blocks from to the end to p, written by another thread; f's end there. */
void
fltpart(struct fltw *p, struct fltw *f, uint64_t from)
{
	p->fd = f->fd;
	memcpy(p->path, f->path, sizeof p->path);
	p->nb = f->nb;
	p->cur = p->start = from;
	p->end = f->end;
	f->end = from;
	p->off = (off_t)(FLTHDR + from * FLTBLK);
	p->used = 0;
	p->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	memset(p->buf, 0, sizeof p->buf);
}

/* The part's blocks to its end written. */
void
fltflush(struct fltw *f)
{
	while (f->cur < f->end)
		fltnext(f);
	fltdrain(f);
}

/* Part p (flushed) after f's (flushed): in the CRC. */
void
fltjoin(struct fltw *f, const struct fltw *p)
{
	f->crc = (uint32_t)crc32_combine(f->crc, p->crc, (z_off_t)((p->end - p->start) * FLTBLK));
	f->cur = f->end = p->end;
	f->off = p->off;
}

/*
 * The header, with the segment's count and CRC and the blocks', last;
 * its pages sent to the disk, not waited for (fltsync).
 */
void
fltclose(struct fltw *f, uint64_t n, uint32_t segcrc)
{
	unsigned char h[FLTHDR];

	fltflush(f);
	if (f->cur != f->nb || f->off != (off_t)(FLTHDR + f->nb * FLTBLK))
		die(EX_SOFTWARE, "%s: %llu blocks written, not %llu", f->path,
		    (unsigned long long)f->cur, (unsigned long long)f->nb);
	memset(h, 0, sizeof h);
	memcpy(h, FMAGIC, 8);
	le_put32(h + 8, 1);
	le_put32(h + 12, FLTK);
	le_put64(h + 16, f->nb);
	le_put64(h + 24, n);
	le_put32(h + 32, segcrc);
	le_put32(h + 36, f->crc);
	fltout(f, h, sizeof h, 0);
	writeback(f->fd);
}

void
fltsync(struct fltw *f)
{
	if (fsync(f->fd) < 0 || close(f->fd) < 0)
		die(EX_IOERR, "%s: write error: %s", f->path, strerror(errno));
}

/*
 * The filter of segment name of dir, written, n records of rsz bytes at
 * map (the segment, mapped), of CRC crc: for a segment whose count was
 * not known before it was written (a merge that dropped records), so
 * that a filter is a function of its segment alone.
 */
void
fltwrite(const char *dir, const char *name, const unsigned char *map, uint64_t n, size_t rsz,
    uint32_t crc)
{
	struct fltw *f = xmalloc(sizeof *f);
	const unsigned char *p;
	uint64_t i;

	fltopen(f, dir, name, n);
	for (i = 0; i < n; i++) {
		p = map + HDRSZ + i * rsz;
		fltadd(f, le_get64(p), le_get64(p + 8));
		if (i % 65536 == 65535)
			pages_release((const char *)map + (i > 131072 ? HDRSZ + (i - 131072) * rsz : 0),
			    (const char *)p);
	}
	fltclose(f, n, crc);
	fltsync(f);
	free(f);
}
