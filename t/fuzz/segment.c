/*
 * fuzz-segment: dedup's history and ledger segments (filters/dedup/
 * segment.c; tiers-history(5), tiers-ledger(5)).  The input's first
 * byte says what it is (bit 0: a ledger, else a history; bit 1: a
 * window that starts at the day of the middle record, else none) and
 * what its manifest says (bit 2: one record more, bit 3: another CRC,
 * than the segment's trailer); the rest is one segment file, written
 * in a directory of its own beside its manifest.  Then
 * again with the header, the trailer and the manifest made right for
 * the records between them (a fuzzer seldom writes a CRC-32), and once
 * more with those records sorted, so that every input reaches the
 * lookups.
 *
 * Each is read by loadhist as dedup reads it, and with -V (full), which
 * must agree: -V refuses what the fast reading refuses, with the same
 * message, or else for the records' CRC or order; what -V accepts, the
 * fast reading accepts.  -V accepts the records only if they are in key
 * order, as a plain comparison of each with the next finds them, and
 * else names the first that is not.  On a segment read, every lookup
 * (seek, gallop, prefetch, lookupk, with and without cursors) stays
 * inside it: its bytes are copied between pages poisoned for ASan,
 * which sees a read past them (in a shared mapping, as dedup maps a
 * segment: see shadow).  On one in key order:
 *   seek gives the first record not below the hash, and a gallop from
 *   any record before it the same, cursors moved through the hashes in
 *   increasing order too;
 *   lookupk finds what a scan of the whole segment finds: the oldest
 *   record of the hash in the window; in a ledger, the oldest of the
 *   kind still paid (its net: the amount and the movements under its
 *   identity), else for a line key the oldest; nothing for a hash not
 *   in the segment.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FZ_ASAN)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#include "tiers.h"
#include "fuzz.h"
#include "../../filters/dedup/dedup.h"

static char dir[64];
static char segpath[128], manpath[128];

static void
cleanup(void)
{
	unlink(segpath);
	unlink(manpath);
	rmdir(dir);
}

/* The directory of the history, made once, removed at exit. */
static void
mkdir_once(void)
{
	const char *t = getenv("TMPDIR");

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof dir, "%s/tiers-fuzz-segment.XXXXXX",
	    t != NULL && *t != '\0' && strlen(t) < 32 ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	snprintf(segpath, sizeof segpath, "%s/day-20261119.seg", dir);
	snprintf(manpath, sizeof manpath, "%s/manifest.tsv", dir);
	atexit(cleanup);
}

static void
writefile(const char *path, const void *p, size_t n)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		die(EX_IOERR, "%s: write error", path);
	close(fd);
}

/* The manifest of the one segment: its count and CRC as given. */
static void
writeman(int ledger, uint64_t count, uint32_t crc)
{
	static const char *const cols[] = {
		"segment", "records", "crc", "first_day", "last_day"
	};
	struct ts_writer w;
	char b[24];
	int32_t d;
	int fd;

	unlink(manpath);
	if ((fd = open(manpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", manpath, strerror(errno));
	ts_wopen(&w, fd, manpath, ledger ? "ledger" : "history", 1, cols, 5);
	ts_wcstr(&w, "day-20261119.seg");
	snprintf(b, sizeof b, "%llu", (unsigned long long)count);
	ts_wcstr(&w, b);
	snprintf(b, sizeof b, "%08x", (unsigned)crc);
	ts_wcstr(&w, b);
	date_parse("2026-11-19", 10, &d);
	ts_wdate(&w, d);
	ts_wdate(&w, d);
	ts_wend(&w);
	ts_wclose(&w);
	close(fd);
}

static int
below(const struct seg *s, size_t i, uint64_t hi, uint64_t lo)
{
	struct key k;

	getkey(s, i, &k);
	return k.hi < hi || (k.hi == hi && k.lo < lo);
}

/*
 * The first record before the one it follows, numbered from 1 as -V
 * names it, by a comparison of each with the next; 0: in key order.
 */
static size_t
misplaced(const struct seg *s)
{
	struct key a, b;
	size_t i;

	for (i = 1; i < s->n; i++) {
		getkey(s, i - 1, &a);
		getkey(s, i, &b);
		if (keycmp(&a, &b) > 0)
			return i + 1;
	}
	return 0;
}

/* A line's net, by a scan of every record: 0, or -1 out of range. */
static int
scannet(const struct hist *h, int32_t day, uint32_t rec, int64_t *amount)
{
	uint64_t hi, lo;
	struct key k;
	size_t i;
	int s;

	idhash(day, rec, &hi, &lo);
	for (s = 0; s < h->nseg; s++) {
		if (h->seg[s].last < h->cutoff)
			continue;
		for (i = 0; i < h->seg[s].n; i++) {
			getkey(&h->seg[s], i, &k);
			if (k.hi != hi || k.lo != lo || k.kind != LK_MOVE || k.day != day ||
			    k.rec != rec)
				continue;
			if (money_add(amount, *amount, k.amount) < 0)
				return -1;
		}
	}
	return 0;
}

/* What lookupk is to find (see segment.c), by a scan of every record. */
static int
scanfind(const struct hist *h, uint64_t hi, uint64_t lo, int kind, struct key *found)
{
	struct key k;
	size_t i;
	int s, hit = 0, live = 0, l;

	for (s = 0; s < h->nseg; s++) {
		if (h->seg[s].last < h->cutoff)
			continue;
		for (i = 0; i < h->seg[s].n; i++) {
			getkey(&h->seg[s], i, &k);
			if (k.hi != hi || k.lo != lo || k.day < h->cutoff)
				continue;
			if (h->ledger) {
				if (k.kind != kind)
					continue;
				if (scannet(h, k.day, k.rec, &k.amount) < 0)
					return -1;
				l = k.amount > 0;
				if (!l && (kind == LK_KEY || live))
					continue;
				if (l && !live) {
					*found = k;
					hit = live = 1;
					continue;
				}
			}
			if (!hit || k.day < found->day ||
			    (k.day == found->day && k.rec < found->rec)) {
				*found = k;
				hit = 1;
			}
		}
	}
	return hit;
}

struct probe {
	uint64_t hi, lo;
};

static int
probecmp(const void *a, const void *b)
{
	const struct probe *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * The lookups of the hashes of some records, of hashes beside them
 * (not in the segment, mostly), and of the least and greatest: inside
 * the segment always; right if it is in order.
 */
static void
lookups(const struct hist *h, int sorted)
{
	static const int kinds[2] = { LK_KEY, LK_LINE };
	const struct seg *s = &h->seg[0];
	struct probe *pr;
	struct key k, m;
	struct herr e;
	size_t np = 0, i, j, r, g, step, cur[2];
	size_t from[3];
	int a, b, c, nk = h->ledger ? 2 : 1;

	step = s->n / 64 ? s->n / 64 : 1;
	pr = xmalloc((3 * (s->n / step + 1) + 2) * sizeof *pr);
	for (i = 0; i < s->n; i += step) {
		getkey(s, i, &k);
		pr[np].hi = k.hi;
		pr[np++].lo = k.lo;
		pr[np].hi = k.hi;
		pr[np++].lo = k.lo + 1;
		pr[np].hi = k.hi;
		pr[np++].lo = k.lo - 1;
	}
	pr[np].hi = pr[np].lo = 0;
	np++;
	pr[np].hi = pr[np].lo = UINT64_MAX;
	np++;
	qsort(pr, np, sizeof *pr, probecmp);
	for (i = j = 0; i < np; i++)
		if (j == 0 || probecmp(&pr[i], &pr[j - 1]) != 0)
			pr[j++] = pr[i];
	np = j;

	cur[0] = cur[1] = 0;
	for (i = 0; i < np; i++) {
		r = seek(s, pr[i].hi, pr[i].lo);
		if (r > s->n)
			fz_fail("seek: %zu past the %zu records", r, s->n);
		if (sorted && ((r > 0 && !below(s, r - 1, pr[i].hi, pr[i].lo)) ||
		    (r < s->n && below(s, r, pr[i].hi, pr[i].lo))))
			fz_fail("seek: record %zu is not the first not below the hash", r);
		from[0] = 0;
		from[1] = r / 2;
		from[2] = r;
		for (j = 0; j < 3; j++) {
			g = gallop(s, from[j], pr[i].hi, pr[i].lo);
			if (g < from[j] || g > s->n)
				fz_fail("gallop from %zu: %zu, %zu records", from[j], g, s->n);
			if (sorted && g != r)
				fz_fail("gallop from %zu: %zu, seek %zu", from[j], g, r);
			prefetch(s, from[j], pr[i].hi);
		}
		for (c = 0; c < nk; c++) {
			/* As judge() and control() look up: by a seek, by a cursor. */
			a = lookupk(h, pr[i].hi, pr[i].lo, kinds[c], &k, NULL, &e);
			if (a < 0 && strcmp(e.field, "ledger") != 0)
				fz_fail("lookupk: refused in %s: %s", e.field, e.msg);
			b = lookupk(h, pr[i].hi, pr[i].lo, kinds[c], &m, &cur[c], &e);
			if (cur[c] > s->n)
				fz_fail("lookupk: cursor %zu past the %zu records", cur[c], s->n);
			if (!sorted)
				continue;
			if (a != b || (a == 1 && keycmp(&k, &m) != 0))
				fz_fail("lookupk: %d by a seek, %d by a cursor", a, b);
			b = scanfind(h, pr[i].hi, pr[i].lo, kinds[c], &m);
			if (a != b || (a == 1 && keycmp(&k, &m) != 0))
				fz_fail("lookupk: %d (%ld#%lu, %lld), a scan %d (%ld#%lu, %lld)", a,
				    (long)k.day, (unsigned long)k.rec, (long long)k.amount, b,
				    (long)m.day, (unsigned long)m.rec, (long long)m.amount);
			if (a == 1 && (k.hi != pr[i].hi || k.lo != pr[i].lo))
				fz_fail("lookupk: found another hash");
		}
	}
	free(pr);
}

/*
 * A copy of the n bytes at p for the lookups, where ASan sees a read
 * past them: page-aligned as the segment's own mapping, in a shared
 * anonymous mapping with a poisoned page before and the rest after.
 * Not on the heap: a lookup by a seek gives the pages it read back
 * (segrelease, MADV_DONTNEED), which keeps the bytes of a shared
 * mapping, the segment's file as dedup maps it, but zeroes a private
 * one's, the heap's, and the next lookup read other records.
 */
static unsigned char *
shadow(const unsigned char *p, size_t n, size_t *len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *m;

	*len = pg + (n + pg - 1) / pg * pg + pg;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		die(EX_OSERR, "mmap: %s", strerror(errno));
	memcpy(m + pg, p, n);
	POISON(m, pg);
	POISON(m + pg + n, *len - pg - n);
	return m + pg;
}

static void
unshadow(unsigned char *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	UNPOISON(p - pg, len);
	munmap(p - pg, len);
}

/*
 * One history: the segment seg of n bytes and a manifest of count and
 * crc, read fast and with -V, which must agree; then looked up.
 */
static void
attempt(int ledger, int32_t cutoff, const uint8_t *seg, size_t n, uint64_t count, uint32_t crc)
{
	struct hist h, v;
	struct herr ef, ev;
	const unsigned char *map;
	unsigned char *copy;
	char want[64];
	size_t bad, clen;
	int rf, rv, sorted;

	writefile(segpath, seg, n);
	writeman(ledger, count, crc);
	memset(&h, 0, sizeof h);
	h.ledger = ledger;
	h.rsz = ledger ? LEDSZ : RECSZ;
	h.cutoff = cutoff;
	v = h;
	rf = loadhist(&h, dir, 0, &ef);
	rv = loadhist(&v, dir, 1, &ev);
	if (rf < 0 && (ef.msg[0] == '\0' || ef.file[0] == '\0'))
		fz_fail("refused without a message");
	if (rv < 0 && (ev.msg[0] == '\0' || ev.file[0] == '\0'))
		fz_fail("-V refused without a message");
	if (rv < 0 && strcmp(ev.field, "crc") != 0 && strcmp(ev.field, "order") != 0 &&
	    (rf == 0 || ev.status != ef.status || strcmp(ev.file, ef.file) != 0 ||
	    ev.line != ef.line || strcmp(ev.field, ef.field) != 0 ||
	    strcmp(ev.msg, ef.msg) != 0))
		fz_fail("-V refuses (%s: %s), the fast reading %s (%s: %s)", ev.field, ev.msg,
		    rf < 0 ? "too" : "accepts", rf < 0 ? ef.field : "", rf < 0 ? ef.msg : "");
	if (rv == 0 && rf < 0)
		fz_fail("-V accepts, the fast reading refuses (%s: %s)", ef.field, ef.msg);
	if (rf == 0 && h.nseg != 1)
		fz_fail("%d segments read of 1", h.nseg);
	sorted = rf == 0 && misplaced(&h.seg[0]) == 0;
	if (rv < 0 && strcmp(ev.field, "order") == 0) {
		/* The fast reading may have refused after, at the manifest's count. */
		bad = misplaced(&v.seg[v.nseg - 1]);
		snprintf(want, sizeof want, "record %zu out of key order: corrupt", bad);
		if (bad == 0 || strcmp(ev.msg, want) != 0)
			fz_fail("-V says \"%s\", a comparison of each record with the next "
			    "finds record %zu first", ev.msg, bad);
	}
	if (rv == 0 && !sorted)
		fz_fail("-V accepts records out of key order");
	if (rv == 0 && (uint32_t)crc32(crc32(0L, Z_NULL, 0), v.seg[0].map + HDRSZ,
	    (uInt)(v.seg[0].n * v.seg[0].rsz)) != v.seg[0].crc)
		fz_fail("-V accepts records that do not match their CRC");
	closehist(&v);
	if (rf == 0) {
		/* Lookups on a copy of the bytes, for ASan. */
		map = h.seg[0].map;
		copy = shadow(map, h.seg[0].len, &clen);
		h.seg[0].map = copy;
		lookups(&h, sorted);
		h.seg[0].map = map;
		unshadow(copy, clen);
	}
	closehist(&h);
}

/* Segment records of sz bytes compared in key order. */
static size_t sortrsz;

static int
reccmp(const void *a, const void *b)
{
	struct seg s;
	struct key x, y;

	memset(&s, 0, sizeof s);
	s.rsz = sortrsz;
	s.n = 1;
	s.map = (const unsigned char *)a - HDRSZ;
	getkey(&s, 0, &x);
	s.map = (const unsigned char *)b - HDRSZ;
	getkey(&s, 0, &y);
	return keycmp(&x, &y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *seg;
	size_t rsz, blen, nrec, n;
	const uint8_t *body;
	int32_t cutoff = INT32_MIN;
	uint32_t crc, other;
	int ledger, more;

	if (size < 1)
		return 0;
	mkdir_once();
	ledger = data[0] & 1;
	rsz = ledger ? LEDSZ : RECSZ;
	data++;
	size--;
	/* The window from the middle record's day. */
	if (data[-1] & 2 && size >= HDRSZ + TRLSZ + rsz) {
		nrec = (size - HDRSZ - TRLSZ) / rsz;
		cutoff = (int32_t)le_get32(data + HDRSZ + nrec / 2 * rsz + 16);
	}

	more = data[-1] >> 2 & 1;
	other = data[-1] >> 3 & 1;

	/* As written, the manifest made from its trailer. */
	attempt(ledger, cutoff, data, size, (size >= TRLSZ ? le_get64(data + size - 16) : 0) + more,
	    (size >= TRLSZ ? le_get32(data + size - 8) : 0) ^ other);

	/* Its header, trailer and manifest (bits 2, 3 aside) made right for its records. */
	body = size > HDRSZ ? data + HDRSZ : data;
	blen = size >= HDRSZ + TRLSZ ? size - HDRSZ - TRLSZ : size > HDRSZ ? size - HDRSZ : 0;
	nrec = blen / rsz;
	n = HDRSZ + nrec * rsz + TRLSZ;
	seg = xmalloc(n);
	memset(seg, 0, n);
	memcpy(seg, MAGIC, 8);
	le_put32(seg + 8, ledger ? 2 : 1);
	if (nrec > 0)
		memcpy(seg + HDRSZ, body, nrec * rsz);
	memcpy(seg + n - TRLSZ, TMAGIC, 8);
	le_put64(seg + n - 16, nrec);
	crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), seg + HDRSZ, (uInt)(nrec * rsz));
	le_put32(seg + n - 8, crc);
	attempt(ledger, cutoff, seg, n, nrec + more, crc ^ other);

	/* The same records sorted: in key order, as a writer writes them. */
	if (nrec > 1) {
		sortrsz = rsz;
		qsort(seg + HDRSZ, nrec, rsz, reccmp);
		crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), seg + HDRSZ, (uInt)(nrec * rsz));
		le_put32(seg + n - 8, crc);
		attempt(ledger, cutoff, seg, n, nrec + more, crc ^ other);
	}
	free(seg);
	return 0;
}
