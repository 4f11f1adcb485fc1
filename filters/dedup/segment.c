/*
 * dedup: the segments of a history or a ledger (tiers-history(5),
 * tiers-ledger(5)) and their manifest.  Read: each segment mapped and
 * checked (size, header, trailer, the manifest's count and CRC; with
 * full, the records' CRC and order of the segment the generation added,
 * the manifest's last); a key looked up by a seek
 * (interpolation, then binary) or by the gallop of a cursor that a
 * sorted batch of keys moves forward.  A history refused is the
 * reader's error, returned: dedup prints it and exits, a fuzz harness
 * goes on.  Written: a new generation, the day before's segments
 * hard-linked beside the day's, or the newest of them merged with the
 * day's by a size-tiered policy (mergefrom), a large merge in two halves
 * at once (merge); sent to the disk as it is written (writeback).
 */
#define _GNU_SOURCE	/* sync_file_range(2) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"

/* ---------- reading ---------- */

static int
refuse(struct herr *e, int status, const char *file, long line, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	snprintf(e->file, sizeof e->file, "%s", file);
	e->line = line;
	snprintf(e->field, sizeof e->field, "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* A stream reader's error, as ts_fatal would say it. */
static int
tsrefuse(const struct ts_reader *r, struct herr *e)
{
	if (r->errline < 0)
		return refuse(e, EX_NOINPUT, r->in.name, 0, NULL, "%s", r->errmsg);
	return refuse(e, EX_DATAERR, r->in.name, r->errline, r->errfield, "%s", r->errmsg);
}

void
hfatal(const struct herr *e)
{
	die_at(e->status, e->file, e->line, e->field[0] ? e->field : NULL, "%s", e->msg);
}

/*
 * Every record against the CRC, and each not before the one it follows,
 * a chunk at a time while it is in the cache, its pages given back
 * after.  The CRC is said first.  A large segment is checked in two
 * halves at once, the second in a thread of its own (dedup -l's check
 * is on the nightly's critical path, and the day after a merge the
 * segment is the merged one): the halves' CRCs joined by crc32_combine,
 * the first record out of order the first half's, else the second's
 * (whose first is checked against the first half's last).
 */
#define CHECKRECS 16384
#define CHECKPAR ((size_t)1 << 19)	/* records, at least, checked in two halves */

struct chk {
	const struct seg *s;
	size_t from, to;
	uint32_t crc;
	size_t bad;		/* the first record out of order, plus one; 0 none */
};

static void *
checkpart(void *arg)
{
	struct chk *c = arg;
	const struct seg *s = c->s;
	const unsigned char *p;
	uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
	size_t i, j, k, lo, bad = 0, from = c->from, to = c->to;
	size_t back = ((size_t)4 << 20) / s->rsz;
	uint64_t a, b;
	struct key x, y;

	for (i = from; i < to; i = j) {
		j = to - i > CHECKRECS ? i + CHECKRECS : to;
		crc = crc32_buf(crc, s->map + HDRSZ + i * s->rsz, (j - i) * s->rsz);
		/* The high words of the hashes decide, but for a tie. */
		for (k = i > 0 ? i : 1; k < j && bad == 0; k++) {
			p = s->map + HDRSZ + k * s->rsz;
			a = le_get64(p - s->rsz);
			b = le_get64(p);
			if (a < b)
				continue;
			getkey(s, k - 1, &x);
			getkey(s, k, &y);
			if (keycmp(&x, &y) > 0)
				bad = k + 1;
		}
		/* And 4 MiB before, in the part: a fault maps a large folio, behind too. */
		lo = i > back ? i - back : 0;
		segrelease(s, lo > from ? lo : from, j);
	}
	c->crc = crc;
	c->bad = bad;
	return NULL;
}

static int
checkrecs(const struct seg *s, const char *path, struct herr *e)
{
	struct chk c[2];
	pthread_t th;
	uint32_t crc;
	size_t bad;
	int np = s->n >= CHECKPAR ? 2 : 1;

	c[0].s = c[1].s = s;
	c[0].from = 0;
	c[0].to = np == 2 ? s->n / 2 : s->n;
	c[1].from = c[0].to;
	c[1].to = s->n;
	if (np == 2 && pthread_create(&th, NULL, checkpart, &c[1]) != 0)
		die(EX_OSERR, "pthread_create failed");
	checkpart(&c[0]);
	crc = c[0].crc;
	bad = c[0].bad;
	if (np == 2) {
		pthread_join(th, NULL);
		crc = (uint32_t)crc32_combine(crc, c[1].crc,
		    (z_off_t)((c[1].to - c[1].from) * s->rsz));
		if (bad == 0)
			bad = c[1].bad;
	}
	if (crc != s->crc)
		return refuse(e, EX_DATAERR, path, 0, "crc", "records do not match their CRC: corrupt");
	if (bad != 0)
		return refuse(e, EX_DATAERR, path, 0, "order",
		    "record %zu out of key order: corrupt", bad);
	return 0;
}

/* Map and check a segment: header, size, trailer (its records: checkrecs). */
static int
openseg(const struct hist *h, const char *dir, struct seg *s, struct herr *e)
{
	char path[PATH_MAX];
	struct stat st;
	const unsigned char *t;
	const char *why, *field;
	void *m;
	int fd, en;

	snprintf(path, sizeof path, "%s/%s", dir, s->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return refuse(e, EX_NOINPUT, path, 0, NULL, "%s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		en = errno;
		close(fd);
		return refuse(e, EX_NOINPUT, path, 0, NULL, "%s", strerror(en));
	}
	s->len = (size_t)st.st_size;
	s->rsz = h->rsz;
	if (s->len < HDRSZ + TRLSZ || (s->len - HDRSZ - TRLSZ) % s->rsz != 0) {
		close(fd);
		return refuse(e, EX_DATAERR, path, 0, "size", "not a %s segment, or truncated",
		    h->ledger ? "ledger" : "history");
	}
	m = mmap(NULL, s->len, PROT_READ, MAP_SHARED, fd, 0);
	en = errno;
	close(fd);
	if (m == MAP_FAILED)
		return refuse(e, EX_IOERR, path, 0, NULL, "%s", strerror(en));
	s->map = m;
	s->n = (s->len - HDRSZ - TRLSZ) / s->rsz;
	t = s->map + s->len - TRLSZ;
	if (memcmp(s->map, MAGIC, 8) != 0 || le_get32(s->map + 8) != (h->ledger ? 2u : 1u))
		return refuse(e, EX_DATAERR, path, 0, "header", h->ledger ?
		    "not a ledger segment (version 2)" : "not a history segment of version 1");
	if (memcmp(t, TMAGIC, 8) != 0 || le_get64(t + 8) != s->n)
		return refuse(e, EX_DATAERR, path, 0, "trailer",
		    "no trailer, or a count that does not match: truncated or corrupt");
	if (le_get32(t + 16) != s->crc)
		return refuse(e, EX_DATAERR, path, 0, "trailer", "CRC not the manifest's");
	/*
	 * Its filter, if it has one: refused if wrong rather than ignored,
	 * as the segment would be (removed, the segment is read without).
	 */
	fltpath(path, sizeof path, dir, s->name);
	if ((why = fltload(s, path, &field)) != NULL)
		return refuse(e, field != NULL ? EX_DATAERR : EX_NOINPUT, path, 0, field, "%s", why);
	return 0;
}

static const char *const mancols[] = {
	"segment", "records", "crc", "first_day", "last_day"
};

int
loadhist(struct hist *h, const char *dir, int full, struct herr *e)
{
	char path[PATH_MAX];
	const char *kind = h->ledger ? "ledger" : "history", *why;
	struct ts_reader r;
	struct seg *s;
	int st;

	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	if (ts_open(&r, path, kind, 1) < 0) {
		tsrefuse(&r, e);
		goto fail;
	}
	if (r.ncol != 5 || strcmp(r.cols[0], "segment") != 0) {
		refuse(e, EX_DATAERR, path, 1, "header", "not the %s columns", kind);
		goto fail;
	}
	while ((st = ts_next(&r)) == 1) {
		h->seg = xrealloc(h->seg, (size_t)(h->nseg + 1) * sizeof *h->seg);
		s = &h->seg[h->nseg++];
		memset(s, 0, sizeof *s);
		if (r.f[0].n == 0 || r.f[0].n >= sizeof s->name || memchr(r.f[0].p, '/', r.f[0].n)) {
			refuse(e, EX_DATAERR, path, r.in.lineno, "segment", "bad name");
			goto fail;
		}
		memcpy(s->name, r.f[0].p, r.f[0].n);
		s->crc = (uint32_t)strtoul(r.f[2].p, NULL, 16);
		if (date_parse(r.f[3].p, r.f[3].n, &s->first) < 0 ||
		    date_parse(r.f[4].p, r.f[4].n, &s->last) < 0) {
			refuse(e, EX_DATAERR, path, r.in.lineno, "first_day", "not a date");
			goto fail;
		}
		if (openseg(h, dir, s, e) < 0)
			goto fail;
		if ((uint64_t)strtoull(r.f[1].p, NULL, 10) != s->n) {
			refuse(e, EX_DATAERR, path, r.in.lineno, "records", "not the segment's count");
			goto fail;
		}
	}
	if (st < 0) {
		tsrefuse(&r, e);
		goto fail;
	}
	/*
	 * Every generation adds one segment, its manifest's last (writegen):
	 * the others are the generation before's, hard links of the same
	 * files, whose records were checked when that generation was read.
	 * So the records are checked once, the day after they are written,
	 * and the cost does not grow with the history.
	 */
	if (full && h->nseg > 0) {
		s = &h->seg[h->nseg - 1];
		snprintf(path, sizeof path, "%s/%s", dir, s->name);
		if (checkrecs(s, path, e) < 0)
			goto fail;
		fltpath(path, sizeof path, dir, s->name);
		if (s->flt != NULL && (why = fltcheck(s)) != NULL) {
			refuse(e, EX_DATAERR, path, 0, "crc", "%s", why);
			goto fail;
		}
	}
	ts_close(&r);
	return 0;
fail:
	ts_close(&r);
	return -1;
}

void
closehist(struct hist *h)
{
	int s;

	for (s = 0; s < h->nseg; s++) {
		if (h->seg[s].map != NULL)
			munmap((void *)h->seg[s].map, h->seg[s].len);
		if (h->seg[s].flt != NULL)
			munmap((void *)h->seg[s].flt, h->seg[s].fltlen);
	}
	free(h->seg);
	h->seg = NULL;
	h->nseg = 0;
}

/*
 * Give back the mapped pages of records from to to of s (whole pages
 * only): they stay in the page cache, but the process's memory does not
 * grow with the history it has read through.
 */
void
segrelease(const struct seg *s, size_t from, size_t to)
{
	const char *m = (const char *)s->map;

	if (m == NULL || to <= from)
		return;
	pages_release(m + (from == 0 ? 0 : HDRSZ + from * s->rsz),
	    to >= s->n ? m + s->len : m + HDRSZ + to * s->rsz);
}

/* ---------- looking up ---------- */

/* seek, and the records it read: from *from to *to. */
static size_t
seekr(const struct seg *s, uint64_t hi, uint64_t lo, size_t *from, size_t *to)
{
	size_t a = 0, b = s->n, m;
	struct key k;

	*from = *to = 0;
	if (s->n == 0)
		return 0;
	/*
	 * Hashes are uniform: guess hi / 2^64 * n (in integers: a segment
	 * holds fewer than 2^32 records), then widen until it brackets.
	 */
	m = s->n >> 32 ? s->n / 2 : (size_t)(((hi >> 32) * (uint64_t)s->n) >> 32);
	if (m >= s->n)
		m = s->n - 1;
	{
		size_t w = 64, lo_i, hi_i;

		for (;;) {
			lo_i = m > w ? m - w : 0;
			hi_i = m + w < s->n ? m + w : s->n;
			getkey(s, lo_i, &k);
			if (lo_i > 0 && (k.hi > hi || (k.hi == hi && k.lo >= lo))) {
				w *= 4;
				continue;
			}
			if (hi_i < s->n) {
				getkey(s, hi_i, &k);
				if (k.hi < hi || (k.hi == hi && k.lo < lo)) {
					w *= 4;
					continue;
				}
			}
			a = *from = lo_i;
			b = *to = hi_i;
			break;
		}
	}
	while (a < b) {
		m = a + (b - a) / 2;
		getkey(s, m, &k);
		if (k.hi < hi || (k.hi == hi && k.lo < lo))
			a = m + 1;
		else
			b = m;
	}
	return a;
}

size_t
seek(const struct seg *s, uint64_t hi, uint64_t lo)
{
	size_t from, to;

	return seekr(s, hi, lo, &from, &to);
}

/*
 * Keys looked up in increasing order (a batch of the day's, sorted) move a
 * cursor forward in each segment: a gallop from where the last one
 * stopped, so the segments are read in order rather than probed at
 * random.
 */

static int
hashless(const struct seg *s, size_t i, uint64_t hi, uint64_t lo)
{
	const unsigned char *p = s->map + HDRSZ + i * s->rsz;
	uint64_t h = le_get64(p);

	return h < hi || (h == hi && le_get64(p + 8) < lo);
}

#define NEAR 8

size_t
gallop(const struct seg *s, size_t from, uint64_t hi, uint64_t lo)
{
	size_t a = from, b, m, step = 4;
	uint64_t ka;

	if (a >= s->n || !hashless(s, a, hi, lo))
		return a;
	/*
	 * The day's keys are often a few records apart in a segment: the
	 * next records first, one after the other, in the cache lines
	 * already read.
	 */
	for (b = a + 1; b < s->n && b <= a + NEAR; b++)
		if (!hashless(s, b, hi, lo))
			return b;
	if (b >= s->n)
		return s->n;
	a = b - 1;
	/*
	 * key(a) < target.  Hashes are uniform: the target is about
	 * (hi - ka) / 2^64 * n records further; gallop from that guess,
	 * forward or back, to b with key(b) >= target or b = n.
	 */
	ka = le_get64(s->map + HDRSZ + a * s->rsz);
	m = a + 1 + (size_t)((((hi - ka) >> 32) * (uint64_t)s->n) >> 32);
	if (m >= s->n || m < a)
		m = s->n - 1;
	if (hashless(s, m, hi, lo)) {
		a = m;
		for (;;) {
			b = a + step;
			if (b >= s->n) {
				b = s->n;
				break;
			}
			if (!hashless(s, b, hi, lo))
				break;
			a = b;
			step *= 2;
		}
	} else {
		b = m;
		while (b - a > step) {
			m = b - step;
			if (hashless(s, m, hi, lo)) {
				a = m;
				break;
			}
			b = m;
			step *= 2;
		}
	}
	a++;
	while (a < b) {
		m = a + (b - a) / 2;
		if (hashless(s, m, hi, lo))
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/*
 * The movements of the line (day, rec) of a ledger, its identity hashed
 * to (hi, lo), added to *amount (its first payment), in every segment in
 * order: from the record at cursor[s], moved (a gallop; the segments
 * whose filter says the key is not there skipped), or from a seek
 * of each segment (cursor NULL), whose pages are then given back (with
 * the pages about them that fault-around mapped): a seek at random must
 * not keep the ledger in memory a few pages a line.
 */
int
netpaid(const struct hist *h, uint64_t hi, uint64_t lo, int32_t day, uint32_t rec,
    int64_t *amount, size_t *cursor, struct herr *e)
{
	struct key k;
	size_t i, from = 0, to = 0, m = (128 << 10) / h->rsz + 1;
	int s;

	for (s = 0; s < h->nseg; s++) {
		if (h->seg[s].last < h->cutoff)
			continue;
		if (cursor != NULL && !fltmaybe(&h->seg[s], hi, lo))
			continue;
		if (cursor != NULL)
			i = cursor[s] = gallop(&h->seg[s], cursor[s], hi, lo);
		else
			i = seekr(&h->seg[s], hi, lo, &from, &to);
		for (; i < h->seg[s].n; i++) {
			getkey(&h->seg[s], i, &k);
			if (k.hi != hi || k.lo != lo)
				break;
			if (k.kind != LK_MOVE || k.day != day || k.rec != rec)
				continue;
			if (money_add(amount, *amount, k.amount) < 0)
				return refuse(e, EX_DATAERR, h->seg[s].name, 0, "ledger",
				    "the amounts of a line out of range");
		}
		if (cursor == NULL)
			segrelease(&h->seg[s], from > m ? from - m : 0, (i > to ? i : to) + m);
	}
	return 0;
}

/*
 * The records of the key within the window (in a ledger, of that kind),
 * in any segment, in the order lookupk weighs them: segment by segment,
 * in each in order.  Appended to *v (*cap its room), their count
 * returned.  cursor NULL: a seek in each segment; else a gallop from
 * cursor[s], moved, in the segments whose filter may hold the key (a
 * cursor left behind is still before the next key, which is greater).
 * The seeks do without the filters: TIERS_DEDUP_CHECK's verdicts, given
 * by seeks, are given without them.
 */
size_t
gather(const struct hist *h, uint64_t hi, uint64_t lo, int kind, size_t *cursor,
    struct key **v, size_t *nv, size_t *cap)
{
	return gathermay(h, hi, lo, kind, cursor, 0, v, nv, cap);
}

size_t
gathermay(const struct hist *h, uint64_t hi, uint64_t lo, int kind, size_t *cursor,
    uint64_t may, struct key **v, size_t *nv, size_t *cap)
{
	const struct seg *sg;
	struct key k;
	size_t i, n0 = *nv;
	int s;

	for (s = 0; s < h->nseg; s++) {
		sg = &h->seg[s];
		if ((may & MAYSET) != 0 && s < MAYSEG) {
			/* What the caller found: the window and the filter. */
			if (!((may >> s) & 1))
				continue;
		} else {
			if (sg->last < h->cutoff)
				continue;
			if (cursor != NULL && !fltmaybe(sg, hi, lo))
				continue;
		}
		if (cursor != NULL)
			i = cursor[s] = gallop(sg, cursor[s], hi, lo);
		else
			i = seek(sg, hi, lo);
		for (; i < sg->n; i++) {
			getkey(sg, i, &k);
			if (k.hi != hi || k.lo != lo)
				break;
			if (k.day < h->cutoff || (h->ledger && k.kind != kind))
				continue;
			if (*nv == *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				*v = xrealloc(*v, *cap * sizeof **v);
			}
			(*v)[(*nv)++] = k;
		}
	}
	return *nv - n0;
}

/*
 * Of the n records gather found, in a ledger each with what it was paid
 * net in amount: the oldest; in a ledger, the oldest still paid (net
 * above 0), or for a line key (LK_LINE), if none is still paid, the
 * oldest line.  1 found, 0 not.
 */
int
weigh(const struct hist *h, const struct key *c, size_t n, int kind, struct key *found)
{
	size_t i;
	int hit = 0, live = 0, l;

	for (i = 0; i < n; i++) {
		if (h->ledger) {
			l = c[i].amount > 0;
			if (!l && (kind == LK_KEY || live))
				continue;
			if (l && !live) {
				*found = c[i];
				hit = live = 1;
				continue;
			}
		}
		if (!hit || c[i].day < found->day ||
		    (c[i].day == found->day && c[i].rec < found->rec)) {
			*found = c[i];
			hit = 1;
		}
	}
	return hit;
}

/*
 * The oldest record of the key within the window, in any segment, as
 * weigh chooses it; in a ledger, each record's net paid by a seek of its
 * own (netpaid).
 */
int
lookupk(const struct hist *h, uint64_t hi, uint64_t lo, int kind, struct key *found,
    size_t *cursor, struct herr *e)
{
	struct key *c = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t mhi, mlo;
	int hit;

	gather(h, hi, lo, kind, cursor, &c, &n, &cap);
	for (i = 0; h->ledger && i < n; i++) {
		idhash(c[i].day, c[i].rec, &mhi, &mlo);
		if (netpaid(h, mhi, mlo, c[i].day, c[i].rec, &c[i].amount, NULL, e) < 0) {
			free(c);
			return -1;
		}
	}
	hit = weigh(h, c, n, kind, found);
	free(c);
	return hit;
}

int
lookup(const struct hist *h, uint64_t hi, uint64_t lo, struct key *found, size_t *cursor,
    struct herr *e)
{
	return lookupk(h, hi, lo, LK_KEY, found, cursor, e);
}

/* ---------- writing a generation ---------- */

/*
 * Start writing out the pages of fd written so far, without waiting: the
 * disk works while the rest is computed, and the fsync that publishes
 * the file waits for less.
 */
void
writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
}

struct wseg {
	int fd;
	off_t off;		/* where buf goes in the file */
	unsigned char buf[65520];	/* records batched for the CRC: 2730 of 24 bytes, 1638 of 40 */
	size_t used;
	size_t rsz;
	size_t unsynced;	/* bytes written since the last writeback */
	char path[PATH_MAX];
	uint64_t n;
	uint32_t crc;
	int32_t first, last;
	struct fltw *flt;	/* the segment's filter, or NULL */
};

static void
wsout(struct wseg *w, const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = pwrite(w->fd, c, n, w->off)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: write error: %s", w->path, strerror(errno));
		}
		c += k;
		n -= (size_t)k;
		w->off += k;
	}
}

/* w at offset off of its file, nothing written from there yet. */
static void
wsreset(struct wseg *w, off_t off, size_t rsz)
{
	w->off = off;
	w->rsz = rsz;
	w->unsynced = 0;
	w->n = 0;
	w->used = 0;
	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->first = INT32_MAX;
	w->last = INT32_MIN;
}

/* Records to come at offset off of w's file, by another thread: p. */
static void
wspart(struct wseg *p, const struct wseg *w, off_t off)
{
	p->fd = w->fd;
	memcpy(p->path, w->path, sizeof p->path);
	wsreset(p, off, w->rsz);
	p->flt = NULL;
}

static void
wsopen(struct wseg *w, const struct hist *h, const char *dir, const char *name)
{
	unsigned char hd[HDRSZ];

	snprintf(w->path, sizeof w->path, "%s/%s", dir, name);
	if ((w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", w->path, strerror(errno));
	tmp_track(w->path, 0);
	wsreset(w, 0, h->rsz);
	memset(hd, 0, sizeof hd);
	memcpy(hd, MAGIC, 8);
	le_put32(hd + 8, h->ledger ? 2 : 1);
	wsout(w, hd, HDRSZ);
}

static void
wsflush(struct wseg *w)
{
	w->crc = crc32_buf(w->crc, w->buf, w->used);
	wsout(w, w->buf, w->used);
	if ((w->unsynced += w->used) >= WBACK) {
		writeback(w->fd);
		w->unsynced = 0;
	}
	w->used = 0;
}

/* The records of part p (flushed) after w's (flushed): counted, in the CRC. */
static void
wsjoin(struct wseg *w, const struct wseg *p)
{
	w->crc = (uint32_t)crc32_combine(w->crc, p->crc, (z_off_t)(p->n * p->rsz));
	w->n += p->n;
	w->off = p->off;
	if (p->first < w->first)
		w->first = p->first;
	if (p->last > w->last)
		w->last = p->last;
}

static void
wsput(struct wseg *w, const struct key *k)
{
	unsigned char *r;

	if (w->used + w->rsz > sizeof w->buf)
		wsflush(w);
	r = w->buf + w->used;
	le_put64(r, k->hi);
	le_put64(r + 8, k->lo);
	le_put32(r + 16, (uint32_t)k->day);
	le_put32(r + 20, k->rec);
	if (w->rsz == LEDSZ) {
		le_put64(r + 24, (uint64_t)k->amount);
		le_put32(r + 32, (uint32_t)k->bday);
		r[36] = k->kind;
		r[37] = k->party;
		r[38] = r[39] = 0;
	}
	w->used += w->rsz;
	w->n++;
	if (w->flt != NULL)
		fltadd(w->flt, k->hi, k->lo);
	if (k->day < w->first)
		w->first = k->day;
	if (k->day > w->last)
		w->last = k->day;
}

/*
 * Record p of a segment written as it is: the bytes wsput writes of it
 * as getkey reads it (a ledger's last two, padding, zero), not read
 * into a key and written again field by field.
 */
static inline __attribute__((always_inline)) void
wsraw(struct wseg *w, const unsigned char *p)
{
	unsigned char *r;
	int32_t day = (int32_t)le_get32(p + 16);

	if (w->used + w->rsz > sizeof w->buf)
		wsflush(w);
	r = w->buf + w->used;
	if (w->rsz == LEDSZ) {
		memcpy(r, p, LEDSZ);
		r[38] = r[39] = 0;
	} else
		memcpy(r, p, RECSZ);
	w->used += w->rsz;
	w->n++;
	if (w->flt != NULL)
		fltadd(w->flt, le_get64(p), le_get64(p + 8));
	if (day < w->first)
		w->first = day;
	if (day > w->last)
		w->last = day;
}

static void
wsclose(struct wseg *w, int32_t day)
{
	unsigned char t[TRLSZ];

	wsflush(w);
	memset(t, 0, sizeof t);
	memcpy(t, TMAGIC, 8);
	le_put64(t + 8, w->n);
	le_put32(t + 16, w->crc);
	wsout(w, t, TRLSZ);
	writeback(w->fd);
	if (w->flt != NULL)
		fltclose(w->flt, w->n, w->crc);
	if (w->n == 0) {
		w->first = day;
		w->last = day;
	}
}

/*
 * The segment and its filter on the disk.  Waited for once the manifest
 * is: the three files' pages go to the disk at once, and a journal
 * commit that one fsync forces carries the others' blocks, rather than
 * three waits one after the other.  Nothing of the generation is read
 * before the caller renames its directory, after this.
 */
static void
wssync(struct wseg *w)
{
	if (fsync(w->fd) < 0 || close(w->fd) < 0)
		die(EX_IOERR, "%s: write error: %s", w->path, strerror(errno));
	if (w->flt != NULL)
		fltsync(w->flt);
}

static void
manifest_row(struct ts_writer *m, const char *name, uint64_t n, uint32_t crc,
    int32_t first, int32_t last)
{
	char b[16];

	ts_wcstr(m, name);
	ts_wint(m, (long long)n);
	snprintf(b, sizeof b, "%08" PRIx32, crc);
	ts_wcstr(m, b);
	ts_wdate(m, first);
	ts_wdate(m, last);
	ts_wend(m);
}

/*
 * The merge policy, size-tiered: the day's records make the newest
 * segment; while the live segment before it (or before the run of newest
 * segments it was merged with) holds at most one and a half times as
 * many records as that run, the run takes it in; and it takes in as many
 * more as keep the live segments at MAXSEG.  On days of the same size
 * that is a binary counter (segments of 1, 2, 4, 8... days, as many as
 * the ones in the count of days), and a day somewhat larger or smaller
 * than the others does not hold it back: each live segment holds more
 * than one and a half times the next, so there are O(log days) of them,
 * and a record is rewritten O(log days) times.  Decided from the
 * manifest's counts and the day's alone: a rerun, or a replay from the
 * same generation, writes the same bytes.  The run's first segment in
 * the live ones, nlive if the day's segment stands alone.
 */
static int
mergefrom(const struct seg *segs, const int *live, int nlive, size_t nday)
{
	uint64_t run = nday;
	int r = nlive;

	while (r > 0 &&
	    (2 * (uint64_t)segs[live[r - 1]].n <= 3 * run || r + 1 > MAXSEG)) {
		run += segs[live[r - 1]].n;
		r--;
	}
	return r;
}

/* The record at *pos of s or after it, before end, in the window, at *p: 0 if none. */
static inline __attribute__((always_inline)) int
nexthead(const struct hist *h, const struct seg *s, size_t *pos, size_t end,
    const unsigned char **p)
{
	for (; *pos < end; (*pos)++) {
		*p = s->map + HDRSZ + *pos * s->rsz;
		if ((int32_t)le_get32(*p + 16) >= h->cutoff)
			return 1;
	}
	return 0;
}

/*
 * A part of a merge: the records from[i] to to[i] of each segment of the
 * run (live[r] to live[nlive - 1]) and the day's jfrom to jto, in key
 * order, to w; flushed at the end.
 */
struct merge {
	const struct hist *h;
	const struct seg *segs;
	const int *live;
	int r, nlive;
	size_t *from, *to, jfrom, jto;
	void (*get)(size_t, struct key *);
	struct wseg *w;
};

#define PARMERGE ((uint64_t)1 << 20)	/* records, at least, merged in two halves */

/* The order of the heads of sources a and b (the day's: source nlive, day). */
static int
headcmp(const struct merge *m, const size_t *pos, int a, int b, const struct key *day)
{
	struct key ka, kb;

	if (a < m->nlive)
		getkey(&m->segs[m->live[a]], pos[a], &ka);
	else
		ka = *day;
	if (b < m->nlive)
		getkey(&m->segs[m->live[b]], pos[b], &kb);
	else
		kb = *day;
	return keycmp(&ka, &kb);
}

static void *
merge(void *arg)
{
	struct merge *m = arg;
	const struct seg *segs = m->segs;
	int nlive = m->nlive, i, b;
	size_t *pos = xmalloc((size_t)(nlive + 1) * sizeof *pos);
	size_t *rel = xmalloc((size_t)nlive * sizeof *rel);
	const unsigned char **rp = xmalloc((size_t)(nlive + 1) * sizeof *rp);
	uint64_t *hh = xmalloc((size_t)(nlive + 1) * sizeof *hh);
	int *has = xmalloc((size_t)(nlive + 1) * sizeof *has);
	struct key day;
	uint64_t nmerged = 0;
	size_t j = m->jfrom;

	/*
	 * Each source's next record found once, the least of them written
	 * (the high words of the hashes decide, but for a tie), the day's
	 * last: source nlive.  A segment's record is written as it is
	 * (wsraw), read from its mapping, never as a key.
	 */
	for (i = m->r; i < nlive; i++) {
		pos[i] = rel[i] = m->from[i];
		has[i] = nexthead(m->h, &segs[m->live[i]], &pos[i], m->to[i], &rp[i]);
		hh[i] = has[i] ? le_get64(rp[i]) : UINT64_MAX;
	}
	hh[nlive] = UINT64_MAX;
	if ((has[nlive] = j < m->jto)) {
		m->get(j, &day);
		hh[nlive] = day.hi;
	}
	for (;;) {
		/* The pages merged, given back: memory not the run's size. */
		if (++nmerged % 65536 == 0)
			for (i = m->r; i < nlive; i++) {
				segrelease(&segs[m->live[i]], rel[i], pos[i]);
				rel[i] = pos[i];
			}
		/*
		 * A source read through has the greatest high word, and
		 * loses the tie: one comparison a source.
		 */
		b = m->r;
		for (i = m->r + 1; i <= nlive; i++)
			if (hh[i] < hh[b] || (hh[i] == hh[b] && has[i] &&
			    (!has[b] || headcmp(m, pos, i, b, &day) < 0)))
				b = i;
		if (!has[b])
			break;
		if (b == nlive) {
			wsput(m->w, &day);
			if ((has[b] = ++j < m->jto)) {
				m->get(j, &day);
				hh[b] = day.hi;
			} else
				hh[b] = UINT64_MAX;
		} else {
			wsraw(m->w, rp[b]);
			pos[b]++;
			has[b] = nexthead(m->h, &segs[m->live[b]], &pos[b], m->to[b], &rp[b]);
			hh[b] = has[b] ? le_get64(rp[b]) : UINT64_MAX;
		}
	}
	for (i = m->r; i < nlive; i++)
		segrelease(&segs[m->live[i]], rel[i], m->to[i]);
	wsflush(m->w);
	free(pos);
	free(rel);
	free(rp);
	free(hh);
	free(has);
	return NULL;
}

/*
 * Write the new generation in newdir.tmp: the live segments of h (in
 * dir) before the run mergefrom chooses, hard-linked, and the day's
 * records, nday of them in order, given by get, merged with the run's
 * (keys of a day before the window dropped) or alone.  The caller
 * renames it to newdir when everything else is published.
 */
void
writegen(const struct hist *h, const char *dir, const char *newdir, int32_t day,
    void (*get)(size_t, struct key *), size_t nday)
{
	char tmpdir[PATH_MAX - 128], day_s[DATE_BUFSZ];
	const struct seg *segs = h->seg;
	int nsegs = h->nseg;
	size_t j;

	date_fmt(day, day_s);
	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newdir);
	if (strlen(newdir) + 5 >= sizeof tmpdir)
		die(EX_USAGE, "%s: path too long", newdir);
	if (mkdir(tmpdir, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", tmpdir, strerror(errno));
	/* Removed, with its segments, if the run ends before the rename. */
	tmp_track(tmpdir, 1);
	{
		struct ts_writer m;
		struct pub mp;
		struct wseg ws, wpart;
		struct fltw *fw = NULL;
		char name[64], mpath[PATH_MAX];
		int *live = xmalloc((size_t)(nsegs ? nsegs : 1) * sizeof *live);
		int nlive = 0, r, i, s, drop = 0;

		snprintf(mpath, sizeof mpath, "%s/manifest.tsv", tmpdir);
		if (pub_open(&mp, mpath) < 0)
			die(EX_CANTCREAT, "%s: %s", mpath, strerror(errno));
		ts_wopen(&m, mp.fd, mpath, h->ledger ? "ledger" : "history", 1, mancols, 5);
		for (s = 0; s < nsegs; s++)
			if (segs[s].last >= h->cutoff)
				live[nlive++] = s;	/* else wholly out of the window */
		r = mergefrom(segs, live, nlive, nday);
		for (i = 0; i < r; i++) {
			char from[PATH_MAX], to[PATH_MAX];

			s = live[i];
			snprintf(from, sizeof from, "%s/%s", dir, segs[s].name);
			snprintf(to, sizeof to, "%s/%s", tmpdir, segs[s].name);
			if (link(from, to) < 0)
				die(EX_CANTCREAT, "%s: %s", to, strerror(errno));
			tmp_track(to, 0);
			if (segs[s].flt != NULL) {
				fltpath(from, sizeof from, dir, segs[s].name);
				fltpath(to, sizeof to, tmpdir, segs[s].name);
				if (link(from, to) < 0)
					die(EX_CANTCREAT, "%s: %s", to, strerror(errno));
				tmp_track(to, 0);
			}
			manifest_row(&m, segs[s].name, segs[s].n, segs[s].crc,
			    segs[s].first, segs[s].last);
		}
		snprintf(name, sizeof name, "%s-%.4s%.2s%.2s.%s", r < nlive ? "base" : "day",
		    day_s, day_s + 5, day_s + 8, h->ledger ? "led" : "his");
		wsopen(&ws, h, tmpdir, name);
		ws.flt = NULL;
		/*
		 * A ledger's segment gets its filter, sized for its records,
		 * written with it; when a merge drops records older than the
		 * window, their count known after, from the segment written.
		 */
		for (i = r; i < nlive; i++)
			drop |= segs[live[i]].first < h->cutoff;
		if (h->ledger && !drop) {
			uint64_t nk = nday;

			for (i = r; i < nlive; i++)
				nk += segs[live[i]].n;
			fw = xmalloc(2 * sizeof *fw);
			fltopen(&fw[0], tmpdir, name, nk);
			ws.flt = &fw[0];
		}
		if (r < nlive) {
			struct merge mg[2];
			pthread_t th;
			size_t *cut = xmalloc((size_t)nlive * sizeof *cut);
			uint64_t nrun = nday;
			off_t at = 0;
			int np = 1;

			memset(mg, 0, sizeof mg);
			mg[0].h = h;
			mg[0].segs = segs;
			mg[0].live = live;
			mg[0].r = r;
			mg[0].nlive = nlive;
			mg[0].get = get;
			mg[0].w = &ws;
			mg[0].from = xmalloc((size_t)nlive * sizeof *mg[0].from);
			mg[0].to = xmalloc((size_t)nlive * sizeof *mg[0].to);
			mg[0].jto = nday;
			for (i = r; i < nlive; i++) {
				mg[0].from[i] = 0;
				mg[0].to[i] = segs[live[i]].n;
				nrun += segs[live[i]].n;
			}
			/* Records to drop: where the halves meet is not known. */
			if (nrun >= PARMERGE && !drop) {
				/*
				 * Two halves, hashes below 2^63 and from it, merged at
				 * once: the second written after as many records as the
				 * first has (none is dropped), its CRC joined after.
				 */
				struct key k;
				uint64_t na = 0;
				size_t a = 0, bb = nday, mid;

				while (a < bb) {
					mid = a + (bb - a) / 2;
					get(mid, &k);
					if (k.hi < (uint64_t)1 << 63)
						a = mid + 1;
					else
						bb = mid;
				}
				mg[1] = mg[0];
				mg[1].from = xmalloc((size_t)nlive * sizeof *mg[1].from);
				mg[1].to = xmalloc((size_t)nlive * sizeof *mg[1].to);
				for (i = r; i < nlive; i++) {
					cut[i] = seek(&segs[live[i]], (uint64_t)1 << 63, 0);
					mg[0].to[i] = mg[1].from[i] = cut[i];
					mg[1].to[i] = segs[live[i]].n;
					na += cut[i];
				}
				mg[0].jto = mg[1].jfrom = a;
				mg[1].jto = nday;
				na += a;
				mg[1].w = &wpart;
				at = (off_t)(HDRSZ + na * h->rsz);
				wspart(&wpart, &ws, at);
				if (fw != NULL) {
					fltpart(&fw[1], &fw[0], fw[0].nb / 2);
					wpart.flt = &fw[1];
				}
				np = 2;
				if (pthread_create(&th, NULL, merge, &mg[1]) != 0)
					die(EX_OSERR, "pthread_create failed");
			}
			merge(&mg[0]);
			if (np == 2) {
				pthread_join(th, NULL);
				if (ws.off != at)
					die(EX_SOFTWARE, "%s: the merge's first half ends at %lld, not %lld",
					    ws.path, (long long)ws.off, (long long)at);
				wsjoin(&ws, &wpart);
				if (fw != NULL) {
					fltflush(&fw[0]);
					fltflush(&fw[1]);
					fltjoin(&fw[0], &fw[1]);
				}
			}
			for (i = 0; i < np; i++) {
				free(mg[i].from);
				free(mg[i].to);
			}
			free(cut);
		} else {
			for (j = 0; j < nday; j++) {
				struct key k;

				get(j, &k);
				wsput(&ws, &k);
			}
		}
		wsclose(&ws, day);
		if (h->ledger && drop) {
			void *sm;
			int fd;
			size_t len = HDRSZ + ws.n * h->rsz + TRLSZ;

			if ((fd = open(ws.path, O_RDONLY | O_CLOEXEC)) < 0 ||
			    (sm = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
				die(EX_IOERR, "%s: %s", ws.path, strerror(errno));
			close(fd);
			fltwrite(tmpdir, name, sm, ws.n, h->rsz, ws.crc);
			munmap(sm, len);
		}
		manifest_row(&m, name, ws.n, ws.crc, ws.first, ws.last);
		free(live);
		ts_wclose(&m);
		if (pub_commit(&mp) < 0)
			die(EX_IOERR, "%s: %s", mpath, strerror(errno));
		tmp_track(mpath, 0);
		wssync(&ws);
		free(fw);
	}
}
