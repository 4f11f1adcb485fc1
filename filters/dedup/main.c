/*
 * dedup: a verdict on every claim, before anything is paid: first seen,
 * duplicate of an earlier claim of the day, or duplicate of a claim of an
 * earlier day (general conditions 3.1.8).  Nothing is dropped.
 *
 * The history of the keys already paid is a generation of segments
 * (tiers-history(5)): binary files of fixed 24-byte records sorted on a
 * 128-bit hash of the normalised key, each with its day and its record
 * number in that day.  Day D's generation is D-1's segments (hard links:
 * they never change) plus one new segment of the day's first-seen keys;
 * when there are too many segments they are merged into one, dropping the
 * keys older than the window.  A lookup is a gallop through each
 * segment, in page cache, a sorted batch of the day's keys at a time:
 * the cost per day is the day's keys times the segments, never the size
 * of the history.  Memory: a table of the day's keys (32 to 64 bytes a
 * claim), the first-seen keys (24 bytes each) and two batches of claims;
 * nothing per key of the history.  Keys shard by the first byte of
 * their hash (-S k/n): each shard keeps its own history and gives the
 * verdicts of its claims, which -J joins with the claims, so that GNU
 * parallel can run the shards on one machine or several.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include "tiers.h"
#include "radix.h"

#define MAGIC "TIERSHIS"
#define TMAGIC "TIERSEND"
#define HDRSZ 16
#define RECSZ 24		/* a history record */
#define LEDSZ 40		/* a ledger record */
#define TRLSZ 24
#define MAXSEG 30		/* more, and the segments are merged */

/*
 * A record of a segment.  A history's holds the hash, the day and the
 * record number; a ledger's (tiers-ledger(5)) also the amount, the
 * business day it was written, its kind and the party paid.
 */
struct key {
	uint64_t hi, lo;
	int32_t day;
	uint32_t rec;
	int64_t amount;
	int32_t bday;
	unsigned char kind, party;
};

/* Ledger record kinds: under the 3.1.8 key, the line's, or its identity. */
#define LK_KEY 'K'
#define LK_LINE 'L'
#define LK_MOVE 'M'

struct seg {
	char name[64];
	const unsigned char *map;
	size_t n;
	size_t len;
	size_t rsz;
	uint32_t crc;
	int32_t first, last;
};

static struct seg *segs;
static int nsegs;
static int ledger;		/* the reference is a ledger of paid lines */
static size_t rsz = RECSZ;	/* its record size */
static int32_t today, cutoff;
static char today_s[DATE_BUFSZ];

/* ---------- hashing the key ---------- */

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * 128 bits in two lanes, eight bytes a step: each lane xors in the word,
 * multiplies by an odd constant and rotates; the tail and the length go
 * in last, and each lane is finished by a bijective mix.
 */
static uint64_t
rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static void
hash128(const char *s, size_t n, uint64_t *hi, uint64_t *lo)
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
		b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
	b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
	*hi = mix64(a ^ (uint64_t)n);
	*lo = mix64(b + 0x9e3779b97f4a7c15ULL * (uint64_t)n);
}

/* ---------- segments ---------- */

static void
getkey(const unsigned char *p, struct key *k)
{
	k->hi = le_get64(p);
	k->lo = le_get64(p + 8);
	k->day = (int32_t)le_get32(p + 16);
	k->rec = le_get32(p + 20);
	if (rsz == LEDSZ) {
		k->amount = (int64_t)le_get64(p + 24);
		k->bday = (int32_t)le_get32(p + 32);
		k->kind = p[36];
		k->party = p[37];
	} else {
		k->amount = 0;
		k->bday = 0;
		k->kind = k->party = 0;
	}
}

/* The order of a segment: hash, day, record; then, in a ledger, the rest. */
static int
keycmp(const struct key *a, const struct key *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->rec != b->rec)
		return a->rec < b->rec ? -1 : 1;
	if (a->bday != b->bday)
		return a->bday < b->bday ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->party != b->party)
		return a->party < b->party ? -1 : 1;
	return a->amount < b->amount ? -1 : a->amount > b->amount;
}

/* Map and check a segment: header, size, trailer; the CRC if asked. */
static void
openseg(const char *dir, struct seg *s, int full)
{
	char path[PATH_MAX];
	struct stat st;
	const unsigned char *t;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, s->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	s->len = (size_t)st.st_size;
	s->rsz = rsz;
	if (s->len < HDRSZ + TRLSZ || (s->len - HDRSZ - TRLSZ) % rsz != 0)
		die_at(EX_DATAERR, path, 0, "size", "not a %s segment, or truncated",
		    ledger ? "ledger" : "history");
	s->map = mmap(NULL, s->len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (s->map == MAP_FAILED)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	s->n = (s->len - HDRSZ - TRLSZ) / rsz;
	t = s->map + s->len - TRLSZ;
	if (memcmp(s->map, MAGIC, 8) != 0 || le_get32(s->map + 8) != (ledger ? 2u : 1u))
		die_at(EX_DATAERR, path, 0, "header", ledger ?
		    "not a ledger segment (version 2)" : "not a history segment of version 1");
	if (memcmp(t, TMAGIC, 8) != 0 || le_get64(t + 8) != s->n)
		die_at(EX_DATAERR, path, 0, "trailer", "no trailer, or a count that does not match: truncated or corrupt");
	if (le_get32(t + 16) != s->crc)
		die_at(EX_DATAERR, path, 0, "trailer", "CRC not the manifest's");
	if (full && (uint32_t)crc32(crc32(0L, Z_NULL, 0), s->map + HDRSZ,
	    (uInt)(s->n * rsz)) != s->crc)
		die_at(EX_DATAERR, path, 0, "crc", "records do not match their CRC: corrupt");
}

static const char *const mancols[] = {
	"segment", "records", "crc", "first_day", "last_day"
};

static void
loadhist(const char *dir, int full)
{
	char path[PATH_MAX];
	struct ts_reader r;
	int st;

	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	if (ts_open(&r, path, ledger ? "ledger" : "history", 1) < 0) {
		ts_perror(&r);
		exit(r.errline < 0 ? EX_NOINPUT : EX_DATAERR);
	}
	if (r.ncol != 5 || strcmp(r.cols[0], "segment") != 0)
		die_at(EX_DATAERR, path, 1, "header", "not the %s columns",
		    ledger ? "ledger" : "history");
	while ((st = ts_next(&r)) == 1) {
		struct seg *s;

		segs = xrealloc(segs, (size_t)(nsegs + 1) * sizeof *segs);
		s = &segs[nsegs++];
		memset(s, 0, sizeof *s);
		if (r.f[0].n == 0 || r.f[0].n >= sizeof s->name || memchr(r.f[0].p, '/', r.f[0].n))
			die_at(EX_DATAERR, path, r.in.lineno, "segment", "bad name");
		memcpy(s->name, r.f[0].p, r.f[0].n);
		s->crc = (uint32_t)strtoul(r.f[2].p, NULL, 16);
		if (date_parse(r.f[3].p, r.f[3].n, &s->first) < 0 ||
		    date_parse(r.f[4].p, r.f[4].n, &s->last) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "first_day", "not a date");
		openseg(dir, s, full);
		if ((uint64_t)strtoull(r.f[1].p, NULL, 10) != s->n)
			die_at(EX_DATAERR, path, r.in.lineno, "records", "not the segment's count");
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/* The first record of s with hash >= (hi, lo): interpolation, then binary. */
static size_t
seek(const struct seg *s, uint64_t hi, uint64_t lo)
{
	size_t a = 0, b = s->n, m;
	struct key k;

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
			getkey(s->map + HDRSZ + lo_i * s->rsz, &k);
			if (lo_i > 0 && (k.hi > hi || (k.hi == hi && k.lo >= lo))) {
				w *= 4;
				continue;
			}
			if (hi_i < s->n) {
				getkey(s->map + HDRSZ + hi_i * s->rsz, &k);
				if (k.hi < hi || (k.hi == hi && k.lo < lo)) {
					w *= 4;
					continue;
				}
			}
			a = lo_i;
			b = hi_i;
			break;
		}
	}
	while (a < b) {
		m = a + (b - a) / 2;
		getkey(s->map + HDRSZ + m * s->rsz, &k);
		if (k.hi < hi || (k.hi == hi && k.lo < lo))
			a = m + 1;
		else
			b = m;
	}
	return a;
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

static size_t
gallop(const struct seg *s, size_t from, uint64_t hi, uint64_t lo)
{
	size_t a = from, b, m, step = 4;
	uint64_t ka;

	if (a >= s->n || !hashless(s, a, hi, lo))
		return a;
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
 * Ask for the lines where a key a few places ahead in the batch will be
 * looked for, guessed as gallop() guesses: the segments are read at
 * memory speed rather than a miss at a time.
 */
static void
prefetch(const struct seg *s, size_t a, uint64_t hi)
{
#ifdef __GNUC__
	const unsigned char *p;
	uint64_t ka;
	size_t m;

	if (a >= s->n)
		return;
	ka = le_get64(s->map + HDRSZ + a * s->rsz);
	if (hi < ka)
		return;
	m = a + (size_t)((((hi - ka) >> 32) * (uint64_t)s->n) >> 32);
	if (m >= s->n)
		return;
	p = s->map + HDRSZ + m * s->rsz;
	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	if (m > 2)
		__builtin_prefetch(p - 64);
#else
	(void)s;
	(void)a;
	(void)hi;
#endif
}

/* Where the movements of a paid line are kept: a hash of its identity. */
static void
idhash(int32_t day, uint32_t rec, uint64_t *hi, uint64_t *lo)
{
	char b[48];
	int n = snprintf(b, sizeof b, "M|%ld|%lu", (long)day, (unsigned long)rec);

	hash128(b, (size_t)n, hi, lo);
}

/*
 * What a paid line was paid, net: its first payment (amount) and its
 * movements since, recoveries negative, in every segment.
 */
static int64_t
netpaid(int32_t day, uint32_t rec, int64_t amount)
{
	uint64_t hi, lo;
	struct key k;
	size_t i;
	int s;

	idhash(day, rec, &hi, &lo);
	for (s = 0; s < nsegs; s++) {
		if (segs[s].last < cutoff)
			continue;
		for (i = seek(&segs[s], hi, lo); i < segs[s].n; i++) {
			getkey(segs[s].map + HDRSZ + i * rsz, &k);
			if (k.hi != hi || k.lo != lo)
				break;
			if (k.kind != LK_MOVE || k.day != day || k.rec != rec)
				continue;
			if (money_add(&amount, amount, k.amount) < 0)
				die(EX_DATAERR, "%s: ledger: the amounts of a line out of range",
				    segs[s].name);
		}
	}
	return amount;
}

/*
 * The oldest record of the key within the window, in any segment.  In a
 * ledger, the oldest line of that kind of key still paid (net above 0),
 * its net in found->amount; for a line key (LK_LINE), if none is still
 * paid, the oldest line.
 */
static int
lookupk(uint64_t hi, uint64_t lo, int kind, struct key *found, size_t *cursor)
{
	struct key k;
	size_t i;
	int s, hit = 0, live = 0, l;

	for (s = 0; s < nsegs; s++) {
		if (segs[s].last < cutoff)
			continue;
		if (cursor != NULL)
			i = cursor[s] = gallop(&segs[s], cursor[s], hi, lo);
		else
			i = seek(&segs[s], hi, lo);
		for (; i < segs[s].n; i++) {
			getkey(segs[s].map + HDRSZ + i * rsz, &k);
			if (k.hi != hi || k.lo != lo)
				break;
			if (k.day < cutoff)
				continue;
			if (ledger) {
				if (k.kind != kind)
					continue;
				k.amount = netpaid(k.day, k.rec, k.amount);
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

static int
lookup(uint64_t hi, uint64_t lo, struct key *found, size_t *cursor)
{
	return lookupk(hi, lo, LK_KEY, found, cursor);
}

/* ---------- writing a generation ---------- */

struct wseg {
	FILE *fp;
	unsigned char buf[65520];	/* records batched for the CRC: 2730 of 24 bytes, 1638 of 40 */
	size_t used;
	char path[PATH_MAX];
	uint64_t n;
	uint32_t crc;
	int32_t first, last;
};

static void
wsopen(struct wseg *w, const char *dir, const char *name)
{
	unsigned char h[HDRSZ];

	int fd;

	snprintf(w->path, sizeof w->path, "%s/%s", dir, name);
	if ((fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", w->path, strerror(errno));
	tmp_track(w->path, 0);
	if ((w->fp = fdopen(fd, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", w->path, strerror(errno));
	memset(h, 0, sizeof h);
	memcpy(h, MAGIC, 8);
	le_put32(h + 8, ledger ? 2 : 1);
	fwrite(h, 1, HDRSZ, w->fp);
	w->n = 0;
	w->used = 0;
	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->first = INT32_MAX;
	w->last = INT32_MIN;
}

static void
wsflush(struct wseg *w)
{
	w->crc = (uint32_t)crc32(w->crc, w->buf, (uInt)w->used);
	if (fwrite(w->buf, 1, w->used, w->fp) != w->used)
		die(EX_IOERR, "%s: write error", w->path);
	w->used = 0;
}

static void
wsput(struct wseg *w, const struct key *k)
{
	unsigned char *r;

	if (w->used + rsz > sizeof w->buf)
		wsflush(w);
	r = w->buf + w->used;
	le_put64(r, k->hi);
	le_put64(r + 8, k->lo);
	le_put32(r + 16, (uint32_t)k->day);
	le_put32(r + 20, k->rec);
	if (rsz == LEDSZ) {
		le_put64(r + 24, (uint64_t)k->amount);
		le_put32(r + 32, (uint32_t)k->bday);
		r[36] = k->kind;
		r[37] = k->party;
		r[38] = r[39] = 0;
	}
	w->used += rsz;
	w->n++;
	if (k->day < w->first)
		w->first = k->day;
	if (k->day > w->last)
		w->last = k->day;
}

static void
wsclose(struct wseg *w)
{
	unsigned char t[TRLSZ];

	wsflush(w);
	memset(t, 0, sizeof t);
	memcpy(t, TMAGIC, 8);
	le_put64(t + 8, w->n);
	le_put32(t + 16, w->crc);
	fwrite(t, 1, TRLSZ, w->fp);
	if (fflush(w->fp) != 0 || fsync(fileno(w->fp)) < 0 || fclose(w->fp) != 0)
		die(EX_IOERR, "%s: write error", w->path);
	if (w->n == 0) {
		w->first = today;
		w->last = today;
	}
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

/* ---------- the day ---------- */

/* A key of the day: its hash, its first claim, its place in the batch. */
struct nk {
	uint64_t hi, lo;
	uint32_t rec, slot;
};

/*
 * Sort distinct keys on (hi, lo): LSD radix sort on the top 33 bits, 11 a
 * pass, skipping the passes where all agree; then the rare runs that
 * share them, by insertion.
 */
static void
nksort(struct nk *a, size_t n, struct nk *tmp)
{
	size_t i, j;
	struct nk x;

	radix_sort(a, n, sizeof *a, tmp, 31, UINT64_MAX);
	for (i = 1; i < n; i++) {
		if (a[i].hi > a[i - 1].hi ||
		    (a[i].hi == a[i - 1].hi && a[i].lo > a[i - 1].lo))
			continue;
		x = a[i];
		for (j = i; j > 0 && (a[j - 1].hi > x.hi ||
		    (a[j - 1].hi == x.hi && a[j - 1].lo > x.lo)); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

enum { V_FIRST, V_INTRA, V_INTER, V_ADJUST, V_OTHER /* another shard's */ };
static const char *const vnames[] = { "first", "intra", "inter", "adjust" };

/* The key's fields, by name, in the order they are hashed. */
static const char *const keycols[] = {
	"ps_kind", "ps_number", "invoice", "nir", "benef_nir", "birth_date",
	"rang", "act_code", "fr_eur", "act_date", "invoice_total_eur",
	"invoice_date"
};
#define NKC (sizeof keycols / sizeof keycols[0])
enum { K_PSKIND, K_PSNUM, K_INVOICE, K_NIR, K_BNIR, K_BIRTH, K_RANG,
	K_ACT, K_FR, K_ACTDATE, K_TOTAL, K_INVDATE };

/*
 * The normalised key: identifiers without leading zeros, codes in upper
 * case, amounts in cents; the beneficiary by its own NIR when the claim
 * has one, else by the insured's NIR, birth date and rang.
 */
static size_t
normkey(const struct field *v, const int64_t *cents, char *buf, size_t cap)
{
	size_t n = 0, i, k;

	for (k = 0; k < NKC; k++) {
		const char *p;
		size_t len;

		p = v[k].p;
		len = v[k].n;
		if (k == K_NIR && v[K_BNIR].n > 0)
			len = 0;	/* the beneficiary's own NIR identifies */
		if (k == K_PSNUM || k == K_INVOICE)
			while (len > 1 && *p == '0')
				p++, len--;
		if ((k == K_BIRTH || k == K_RANG) && v[K_BNIR].n > 0)
			len = 0;
		if (k == K_FR || k == K_TOTAL) {
			char b[MONEY_BUFSZ];

			len = money_fmt(cents[k], b);
			p = b;
			if (n + len + 1 >= cap)
				return 0;
			memcpy(buf + n, p, len);
			n += len;
			buf[n++] = '|';
			continue;
		}
		if (n + len + 1 >= cap)
			return 0;
		for (i = 0; i < len; i++) {
			char ch = p[i];

			buf[n++] = k == K_ACT && ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
		}
		buf[n++] = '|';
	}
	return n;
}

/*
 * The line key: the PS, the invoice and the line (for a line that
 * corrects another, the ref_invoice and ref_line it names, when given),
 * the beneficiary as the key names it, the act code and the date of
 * care.  A cancellation, a regularisation or an AMO rejection finds by
 * it the line it adjusts; its amounts, negated or changed, are not in
 * it.  The act and its date are: two lines paid under one invoice line
 * (a PS's repeat with the date changed) are two lines, and what undoes
 * the one does not undo the other.
 */
enum { L_PSKIND, L_PSNUM, L_INVOICE, L_LINE, L_REFINV, L_REFLINE, NLC };
static const char *const linecols[NLC] = {
	"ps_kind", "ps_number", "invoice", "line_no", "ref_invoice", "ref_line"
};

static size_t
lput(char *buf, size_t n, const struct field *f, int num)
{
	const char *p = f->p;
	size_t len = f->n < 127 ? f->n : 127;

	if (num)
		while (len > 1 && *p == '0')
			p++, len--;
	memcpy(buf + n, p, len);
	n += len;
	buf[n++] = '|';
	return n;
}

static void
linehash(const struct field *lv, const struct field *kv, uint64_t *hi, uint64_t *lo)
{
	char buf[2 + 8 * 128 + 33];	/* "L|", 8 fields of 127 bytes at most, the act */
	size_t n = 0, i;

	buf[n++] = 'L';
	buf[n++] = '|';
	n = lput(buf, n, &lv[L_PSKIND], 0);
	n = lput(buf, n, &lv[L_PSNUM], 1);
	n = lput(buf, n, lv[L_REFINV].n > 0 ? &lv[L_REFINV] : &lv[L_INVOICE], 1);
	n = lput(buf, n, lv[L_REFLINE].n > 0 ? &lv[L_REFLINE] : &lv[L_LINE], 1);
	if (kv[K_BNIR].n > 0)
		n = lput(buf, n, &kv[K_BNIR], 0);
	else {
		n = lput(buf, n, &kv[K_NIR], 0);
		n = lput(buf, n, &kv[K_BIRTH], 0);
		n = lput(buf, n, &kv[K_RANG], 1);
	}
	for (i = 0; i < kv[K_ACT].n && i < 32; i++) {
		char ch = kv[K_ACT].p[i];

		buf[n++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
	}
	buf[n++] = '|';
	n = lput(buf, n, &kv[K_ACTDATE], 0);
	hash128(buf, n, hi, lo);
}

/* The fields of the line key of the reader's record; absent columns empty. */
static void
linefields(const struct ts_reader *r, const int *lc, struct field *lv)
{
	int i;

	for (i = 0; i < NLC; i++) {
		if (lc[i] >= 0)
			lv[i] = r->f[lc[i]];
		else {
			lv[i].p = "";
			lv[i].n = 0;
		}
	}
}

/*
 * The output's header, from the first claim stream's: its columns and the
 * verdict columns; later streams must have the same columns.
 */
static const char *const extra[] = { "dup", "dup_id", "dup_ref", "dup_paid_eur" };
#define NEXTRA 4

static void
outhead(struct ts_writer *w, int fd, const char *output, const struct ts_reader *r,
    int first, const char *path, const char *firstpath, int months)
{
	const char *cols[TS_MAXCOL];
	char meta[128];
	int c;

	if (!first) {
		if (r->ncol + NEXTRA != w->ncol)
			die_at(EX_DATAERR, path, 1, "header", "not the columns of %s", firstpath);
		return;
	}
	if (r->ncol + NEXTRA > TS_MAXCOL)
		die_at(EX_DATAERR, path, 1, "header", "too many columns");
	for (c = 0; c < r->ncol; c++)
		cols[c] = r->cols[c];
	for (c = 0; c < NEXTRA; c++)
		cols[r->ncol + c] = extra[c];
	ts_wopen(w, fd, output, "claim", 1, cols, r->ncol + NEXTRA);
	snprintf(meta, sizeof meta, "dedup\t%s\twindow %d months", today_s, months);
	ts_wmeta(w, meta);
}

/* ---------- judging the day, batch by batch ---------- */

/*
 * The reading thread verifies the claim streams and hashes the keys; a
 * batch of claims at a time goes to the judging thread, which gives the
 * verdicts and writes the output while the next batch is read: the
 * claims are read once, and the output is written as they are.  A bad
 * stream found later still publishes nothing: the output is a temporary
 * file until the end.
 */
#define BATCH 65536		/* claims */
#define BATCHTEXT (16 << 20)	/* bytes of claim lines */
#define NBATCH 2
#define PFDIST 4		/* keys ahead, for prefetch() */

struct item {
	uint64_t hi, lo;
	uint64_t lhi, llo;	/* the line key (ledger) */
	int64_t recsum;
	int64_t paid;		/* adjustments: the net paid on the line referred to */
	size_t off;
	uint32_t len;
	uint32_t refrec;	/* duplicates: the claim they repeat */
	int32_t refday;
	unsigned char verdict, hasref, haspaid;
};

struct batch {
	struct item *it;
	size_t n;
	char *text;		/* BATCHTEXT bytes: lines are shorter */
	size_t tlen;
	uint32_t rec0;		/* record number of it[0] */
	int full;
};

static struct batch bq[NBATCH];
static unsigned bput, bget;
static int bdone, bjudged;
static pthread_mutex_t bmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bcv = PTHREAD_COND_INITIALIZER;

/*
 * The day's keys, each with its first claim: open addressing on the low
 * bits of the hash.
 */
struct dent {
	uint64_t hi, lo;
	uint32_t rec;		/* the first claim with the key; 0: empty */
};

static struct dent *tab;
static size_t tabcap, tabn;

static size_t
tabfind(uint64_t hi, uint64_t lo)
{
	size_t m = tabcap - 1, i = (size_t)lo & m;

	while (tab[i].rec != 0 && (tab[i].hi != hi || tab[i].lo != lo))
		i = (i + 1) & m;
	return i;
}

/* Room for n more keys, the table at most three quarters full. */
static void
tabgrow(size_t n)
{
	struct dent *old = tab;
	size_t oc = tabcap, i, c = tabcap ? tabcap : 1 << 16;

	while (4 * (tabn + n) > 3 * c)
		c *= 2;
	if (c == oc)
		return;
	tab = xmalloc(c * sizeof *tab);
	memset(tab, 0, c * sizeof *tab);
	tabcap = c;
	for (i = 0; i < oc; i++)
		if (old[i].rec != 0)
			tab[tabfind(old[i].hi, old[i].lo)] = old[i];
	free(old);
}

/* What the judging thread writes to. */
static struct ts_writer out;
static int shard, nshard = 1, ncol;
static uint64_t counts[4], nout;
/* The stage summary (-s), published last. */
static const char *sumpath;
static struct pub spub;
static struct nk *nkb, *nktmp;
static size_t *cursor;
/* The day's first-seen keys, in the order found. */
static struct nk *first;
static size_t nfirst, capfirst;

/* "#N" after the n bytes of a date in buf; the length. */
static size_t
rankat(char *buf, size_t n, uint32_t rec)
{
	char d[12];
	size_t k = 0;

	buf[n++] = '#';
	do
		d[k++] = (char)('0' + rec % 10);
	while ((rec /= 10) != 0);
	while (k > 0)
		buf[n++] = d[--k];
	return n;
}

/* A claim's identity, "date#N". */
static size_t
claimid(char *buf, int32_t day, uint32_t rec)
{
	return rankat(buf, date_fmt(day, buf), rec);
}

/* The same for a claim of today: its date formatted once. */
static size_t
claimrank(char *buf, uint32_t rec)
{
	memcpy(buf, today_s, DATE_BUFSZ - 1);
	return rankat(buf, DATE_BUFSZ - 1, rec);
}

static void
judge(struct batch *b)
{
	struct item *x;
	struct dent *e;
	struct key k;
	size_t i, nn = 0;
	char id[32], ref[32];
	int s;

	/* Each key: a claim of the day before it has it, or it is new. */
	tabgrow(ledger ? 2 * b->n : b->n);
	for (i = 0; i < b->n; i++) {
		x = &b->it[i];
		x->hasref = x->haspaid = 0;
		if (ledger && x->verdict == V_ADJUST) {
			/* A line of the day before it, which liquidate decides first. */
			e = &tab[tabfind(x->lhi, x->llo)];
			if (e->rec != 0) {
				x->refday = today;
				x->refrec = e->rec;
				x->hasref = 1;
			}
			continue;
		}
		if (x->verdict == V_ADJUST || x->verdict == V_OTHER)
			continue;
		if (ledger) {
			e = &tab[tabfind(x->lhi, x->llo)];
			if (e->rec == 0) {
				e->hi = x->lhi;
				e->lo = x->llo;
				e->rec = b->rec0 + (uint32_t)i;
				tabn++;
			}
		}
		e = &tab[tabfind(x->hi, x->lo)];
		if (e->rec != 0) {
			/* The claim it repeats was judged first. */
			x->verdict = V_INTRA;
			x->refday = today;
			x->refrec = e->rec;
			continue;
		}
		e->hi = x->hi;
		e->lo = x->lo;
		e->rec = b->rec0 + (uint32_t)i;
		tabn++;
		nkb[nn].hi = x->hi;
		nkb[nn].lo = x->lo;
		nkb[nn].rec = e->rec;
		nkb[nn++].slot = (uint32_t)i;
	}
	/* The new keys in the history: in key order, the segments in order. */
	nksort(nkb, nn, nktmp);
	for (s = 0; s < nsegs; s++)
		cursor[s] = 0;
	if (nfirst + nn > capfirst) {
		capfirst = capfirst ? capfirst : 1 << 16;
		while (nfirst + nn > capfirst)
			capfirst *= 2;
		first = xrealloc(first, capfirst * sizeof *first);
	}
	for (i = 0; i < nn; i++) {
		if (i + PFDIST < nn)
			for (s = 0; s < nsegs; s++)
				if (segs[s].last >= cutoff)
					prefetch(&segs[s], cursor[s], nkb[i + PFDIST].hi);
		x = &b->it[nkb[i].slot];
		if (lookup(nkb[i].hi, nkb[i].lo, &k, cursor)) {
			x->verdict = V_INTER;
			x->refday = k.day;
			x->refrec = k.rec;
		} else
			first[nfirst++] = nkb[i];
	}
	for (i = 0; i < b->n; i++) {
		uint32_t rec = b->rec0 + (uint32_t)i;
		size_t nref = 0;

		x = &b->it[i];
		/*
		 * A repeat of an earlier claim of the day: of a claim paid
		 * on an earlier day if that one was (the same key, the same
		 * answer), else of that one.
		 */
		if (x->verdict == V_INTRA && lookup(x->hi, x->lo, &k, NULL)) {
			x->verdict = V_INTER;
			x->refday = k.day;
			x->refrec = k.rec;
		}
		/*
		 * An adjustment: of the line of an earlier day still paid, else
		 * of the day's, else of an earlier day's paid no more.
		 */
		if (ledger && x->verdict == V_ADJUST && lookupk(x->lhi, x->llo, LK_LINE, &k, NULL) &&
		    (k.amount > 0 || !x->hasref)) {
			x->refday = k.day;
			x->refrec = k.rec;
			x->hasref = 1;
			x->paid = k.amount;
			x->haspaid = 1;
		}
		if (x->verdict == V_INTRA || x->verdict == V_INTER || x->hasref)
			nref = claimid(ref, x->refday, x->refrec);
		if (nshard > 1) {
			if (x->verdict > V_INTER)
				continue;
			ts_wint(&out, rec);
			ts_wcstr(&out, vnames[x->verdict]);
			ts_wstr(&out, ref, nref);
			ts_wend(&out);
			nout++;
			continue;
		}
		ts_wfields(&out, b->text + x->off, x->len, ncol, x->recsum);
		ts_wcstr(&out, vnames[x->verdict]);
		ts_wstr(&out, id, claimrank(id, rec));
		ts_wstr(&out, ref, nref);
		if (x->haspaid)
			ts_wmoney(&out, x->paid);
		else
			ts_wcstr(&out, "");
		ts_wend(&out);
		counts[x->verdict]++;
		nout++;
	}
}

static void *
judging(void *arg)
{
	struct batch *b;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&bmu);
		b = &bq[bget % NBATCH];
		while (!b->full && !bdone)
			pthread_cond_wait(&bcv, &bmu);
		pthread_mutex_unlock(&bmu);
		if (!b->full)
			break;
		judge(b);
		pthread_mutex_lock(&bmu);
		b->full = 0;
		bget++;
		pthread_cond_broadcast(&bcv);
		pthread_mutex_unlock(&bmu);
	}
	pthread_mutex_lock(&bmu);
	bjudged = 1;
	pthread_cond_broadcast(&bcv);
	pthread_mutex_unlock(&bmu);
	/* The output complete, synced while the history is written. */
	ts_wclose(&out);
	if (fsync(out.fd) < 0)
		die(EX_IOERR, "%s: %s", out.name, strerror(errno));
	return NULL;
}

/* The next batch to fill, when the judging thread is done with it. */
static struct batch *
getbatch(void)
{
	struct batch *b;

	pthread_mutex_lock(&bmu);
	b = &bq[bput % NBATCH];
	while (b->full)
		pthread_cond_wait(&bcv, &bmu);
	pthread_mutex_unlock(&bmu);
	if (b->it == NULL) {
		b->it = xmalloc(BATCH * sizeof *b->it);
		b->text = xmalloc(BATCHTEXT);
	}
	b->n = 0;
	b->tlen = 0;
	return b;
}

static void
putbatch(struct batch *b, int last)
{
	pthread_mutex_lock(&bmu);
	if (b != NULL) {
		b->full = 1;
		bput++;
	}
	bdone = last;
	pthread_cond_broadcast(&bcv);
	pthread_mutex_unlock(&bmu);
}

/* ---------- the a posteriori control (3.1.8 b) ---------- */

/* The client's CSV of prestations it paid to beneficiaries itself. */
static const char *const pcols[] = {
	"client_ref", "ps_kind", "ps_number", "invoice", "nir", "benef_nir",
	"birth_date", "rang", "act_code", "fr_eur", "act_date",
	"invoice_total_eur", "invoice_date", "paid_eur", "paid_date"
};
#define NPC (sizeof pcols / sizeof pcols[0])
/* pcols index of each key field, in keycols order. */
static const int pkey[NKC] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

struct pctl {
	const char *path;
	long row;
	size_t col;
	char f[NPC][128];
	size_t n[NPC];
	int toolong;
	char err[256];
	struct ts_writer *w;
	uint64_t found, rows;
};

static void
pfield(void *s, size_t n, void *data)
{
	struct pctl *c = data;

	if (c->col < NPC) {
		if (n >= sizeof c->f[0])
			c->toolong = 1;
		else {
			memcpy(c->f[c->col], s, n);
			c->f[c->col][n] = '\0';
			c->n[c->col] = n;
		}
	}
	c->col++;
}

static void
prow(int term, void *data)
{
	struct pctl *c = data;
	struct field v[NKC];
	int64_t cents[NKC], paid;
	char key[2048], ref[32], d[DATE_BUFSZ];
	struct key k;
	uint64_t hi, lo;
	size_t i, n;
	int e;

	(void)term;
	c->row++;
	if (c->err[0])
		return;
	if (c->col != NPC) {
		snprintf(c->err, sizeof c->err, "%ld: -: %zu fields, not %zu", c->row, c->col, NPC);
		return;
	}
	c->col = 0;
	if (c->row == 1) {
		for (i = 0; i < NPC; i++)
			if (strcmp(c->f[i], pcols[i]) != 0) {
				snprintf(c->err, sizeof c->err, "1: header: expected %s", pcols[i]);
				return;
			}
		return;
	}
	if (c->toolong) {
		snprintf(c->err, sizeof c->err, "%ld: -: a field longer than 127 bytes", c->row);
		return;
	}
	for (i = 0; i < NPC; i++)
		if (memchr(c->f[i], '\t', c->n[i]) || memchr(c->f[i], '\n', c->n[i]) ||
		    memchr(c->f[i], '\r', c->n[i])) {
			snprintf(c->err, sizeof c->err, "%ld: %s: TAB or line break", c->row, pcols[i]);
			return;
		}
	for (i = 0; i < NKC; i++) {
		v[i].p = c->f[pkey[i]];
		v[i].n = c->n[pkey[i]];
		cents[i] = 0;
		if (i == K_FR || i == K_TOTAL) {
			if ((e = money_parse(v[i].p, v[i].n, &cents[i])) != M_OK) {
				snprintf(c->err, sizeof c->err, "%ld: %s: %s", c->row,
				    pcols[pkey[i]], money_strerror(e));
				return;
			}
		}
	}
	if ((e = money_parse(c->f[13], c->n[13], &paid)) != M_OK) {
		snprintf(c->err, sizeof c->err, "%ld: paid_eur: %s", c->row, money_strerror(e));
		return;
	}
	if (v[K_PSNUM].n == 0 || v[K_INVOICE].n == 0 || v[K_ACT].n == 0 ||
	    v[K_ACTDATE].n == 0 || (v[K_NIR].n == 0 && v[K_BNIR].n == 0)) {
		snprintf(c->err, sizeof c->err, "%ld: key: a key field is empty", c->row);
		return;
	}
	if ((n = normkey(v, cents, key, sizeof key)) == 0) {
		snprintf(c->err, sizeof c->err, "%ld: key: too long", c->row);
		return;
	}
	hash128(key, n, &hi, &lo);
	c->rows++;
	ts_wcstr(c->w, c->path);
	ts_wint(c->w, c->row);
	ts_wcstr(c->w, c->f[0]);
	if (lookup(hi, lo, &k, NULL)) {
		date_fmt(k.day, d);
		snprintf(ref, sizeof ref, "%s#%" PRIu32, d, k.rec);
		ts_wcstr(c->w, "paid-twice");
		ts_wcstr(c->w, ref);
		c->found++;
	} else {
		ts_wcstr(c->w, "not-paid-by-us");
		ts_wcstr(c->w, "");
	}
	ts_wmoney(c->w, paid);
	ts_wend(c->w);
}

/* Control each file; the report is published only if all are whole. */
static int
control(int argc, char **argv, const char *output)
{
	static const char *const rcols[] = {
		"file", "line", "client_ref", "verdict", "operator_ref", "paid_eur"
	};
	static struct pctl c;
	struct csv_parser p;
	struct ts_writer w;
	struct pub pb;
	char buf[1 << 16];
	const char *why;
	struct zin *z;
	int i, fd, n;

	if (pub_open(&pb, output) < 0)
		die(EX_CANTCREAT, "%s: %s", output, strerror(errno));
	ts_wopen(&w, pb.fd, output, "dedup-control", 1, rcols, 6);
	for (i = 0; i < argc; i++) {
		memset(&c, 0, sizeof c);
		c.path = argv[i];
		c.w = &w;
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0)
			die(EX_NOINPUT, "%s: %s", argv[i], strerror(errno));
		z = zin_open(fd);
		if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
			die(EX_SOFTWARE, "csv_init");
		while (!c.err[0] && (n = zin_read(z, buf, sizeof buf, &why)) > 0)
			if (csv_parse(&p, buf, (size_t)n, pfield, prow, &c) != (size_t)n &&
			    !c.err[0])
				snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
				    csv_strerror(csv_error(&p)));
		if (!c.err[0] && n < 0)
			snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1, why);
		if (!c.err[0] && csv_fini(&p, pfield, prow, &c) != 0 && !c.err[0])
			snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
			    csv_strerror(csv_error(&p)));
		csv_free(&p);
		zin_close(z);
		if (!c.err[0] && c.row == 0)
			snprintf(c.err, sizeof c.err, "1: header: empty file");
		if (c.err[0]) {
			fprintf(stderr, "%s: %s:%s\n", progname_(), argv[i], c.err);
			exit(EX_DATAERR);
		}
		fprintf(stderr, "%s: %s: %llu prestations, %llu also paid by us\n",
		    progname_(), argv[i], (unsigned long long)c.rows,
		    (unsigned long long)c.found);
	}
	ts_wclose(&w);
	if (pub_commit(&pb) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	return EX_OK;
}

/* ---------- the stage summary (-s) ---------- */

/*
 * The day's counts for the nightly's summary (tiers-summary(5)), as the
 * claims were written: a row per verdict given, in byte order of the
 * verdict.  They must add up to the claims written.
 */
static void
wsummary(const uint64_t *n, uint64_t written)
{
	static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
	struct ts_writer w;
	uint64_t sum = 0;
	char meta[64];
	int ord[V_OTHER], i, j;

	for (i = 0; i < V_OTHER; i++) {
		sum += n[i];
		for (j = i; j > 0 && strcmp(vnames[ord[j - 1]], vnames[i]) > 0; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	if (sum != written)
		die(EX_SOFTWARE, "%s: conservation: %llu verdicts counted, %llu claims written",
		    sumpath, (unsigned long long)sum, (unsigned long long)written);
	ts_wopen(&w, spub.fd, sumpath, "stage-summary", 1, scols, 4);
	ts_wmeta(&w, "stage\tdedup");
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	for (i = 0; i < V_OTHER; i++) {
		if (n[ord[i]] == 0)
			continue;
		ts_wcstr(&w, vnames[ord[i]]);
		ts_wcstr(&w, "claim");
		ts_wint(&w, (long long)n[ord[i]]);
		ts_wcstr(&w, "");
		ts_wend(&w);
	}
	ts_wclose(&w);
}

/*
 * dedup -J: the claims with the verdicts the shards gave (dedup -S k/n),
 * merged on record number; claims that are not payments are adjustments.
 * Every paid claim must have exactly one verdict.
 */
static int
joinv(int argc, char **argv, const char **vf, int nv, const char *output, int months)
{
	struct ts_reader *vr = xmalloc((size_t)nv * sizeof *vr);
	int *have = xmalloc((size_t)nv * sizeof *have);
	uint64_t *vrec = xmalloc((size_t)nv * sizeof *vrec);
	struct ts_reader r;
	struct ts_writer w;
	struct pub p;
	uint64_t rec = 0, vcount[V_OTHER] = { 0 };
	int i, k, v, st, nature = -1;

	for (k = 0; k < nv; k++) {
		if (ts_open(&vr[k], vf[k], "dedup-verdict", 1) < 0)
			ts_fatal(&vr[k]);
		if (vr[k].ncol != 3)
			die_at(EX_DATAERR, vf[k], 1, "header", "not a dedup-verdict stream");
		if ((st = ts_next(&vr[k])) < 0)
			ts_fatal(&vr[k]);
		have[k] = st == 1;
		vrec[k] = have[k] ? strtoull(vr[k].f[0].p, NULL, 10) : 0;
	}
	if (pub_open(&p, output) < 0)
		die(EX_CANTCREAT, "%s: %s", output, strerror(errno));
	for (i = 0; i < argc; i++) {
		if (ts_open(&r, argv[i], "claim", 1) < 0)
			ts_fatal(&r);
		nature = ts_needcol(&r, "nature");
		outhead(&w, p.fd, output, &r, i == 0, argv[i], argv[0], months);
		while ((st = ts_next(&r)) == 1) {
			char id[32];
			int b = -1;

			rec++;
			ts_wfields(&w, r.line, r.len, r.ncol, r.recsum);
			snprintf(id, sizeof id, "%s#%llu", today_s, (unsigned long long)rec);
			if (r.f[nature].n != 4 || memcmp(r.f[nature].p, "paid", 4) != 0) {
				ts_wcstr(&w, "adjust");
				ts_wcstr(&w, id);
				ts_wcstr(&w, "");
				ts_wcstr(&w, "");
				ts_wend(&w);
				vcount[V_ADJUST]++;
				continue;
			}
			for (k = 0; k < nv; k++)
				if (have[k] && vrec[k] == rec)
					b = k;
			if (b < 0)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "-",
				    "no shard gave a verdict for claim %llu", (unsigned long long)rec);
			/* A shard judges a payment: first, intra or inter. */
			for (v = V_FIRST; v <= V_INTER; v++)
				if (strlen(vnames[v]) == vr[b].f[1].n &&
				    memcmp(vnames[v], vr[b].f[1].p, vr[b].f[1].n) == 0)
					break;
			if (v > V_INTER)
				die_at(EX_DATAERR, vf[b], vr[b].in.lineno, "dup",
				    "not first, intra or inter");
			vcount[v]++;
			ts_wstr(&w, vr[b].f[1].p, vr[b].f[1].n);
			ts_wcstr(&w, id);
			ts_wstr(&w, vr[b].f[2].p, vr[b].f[2].n);
			ts_wcstr(&w, "");
			ts_wend(&w);
			if ((st = ts_next(&vr[b])) < 0)
				ts_fatal(&vr[b]);
			have[b] = st == 1;
			if (have[b]) {
				uint64_t n = strtoull(vr[b].f[0].p, NULL, 10);

				if (n <= vrec[b])
					die_at(EX_DATAERR, vf[b], vr[b].in.lineno, "rec", "not increasing");
				vrec[b] = n;
			}
		}
		if (st < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	for (k = 0; k < nv; k++) {
		if (have[k])
			die_at(EX_DATAERR, vf[k], vr[k].in.lineno, "rec",
			    "a verdict for no claim: not these claims' shards");
		ts_close(&vr[k]);
	}
	if (sumpath != NULL)
		wsummary(vcount, w.nrec);
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	if (sumpath != NULL && pub_commit(&spub) < 0)
		die(EX_IOERR, "%s: %s", sumpath, strerror(errno));
	free(vr);
	free(have);
	free(vrec);
	return EX_OK;
}

/*
 * Write the new generation in newhist.tmp: D-1's live segments
 * (hard-linked) and the day's records, nday of them in order, given by
 * get; or, past MAXSEG segments, one merge of them all.  The caller
 * renames it to newhist when everything else is published.
 */
static void
writegen(const char *hist, const char *newhist, void (*get)(size_t, struct key *),
    size_t nday)
{
	char tmpdir[PATH_MAX - 128];
	size_t j;

	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhist);
	if (strlen(newhist) + 5 >= sizeof tmpdir)
		die(EX_USAGE, "%s: path too long", newhist);
	if (mkdir(tmpdir, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", tmpdir, strerror(errno));
	/* Removed, with its segments, if the run ends before the rename. */
	tmp_track(tmpdir, 1);
	{
		struct ts_writer m;
		struct pub mp;
		struct wseg ws;
		char name[64], mpath[PATH_MAX];
		int live = 0, s;

		snprintf(mpath, sizeof mpath, "%s/manifest.tsv", tmpdir);
		if (pub_open(&mp, mpath) < 0)
			die(EX_CANTCREAT, "%s: %s", mpath, strerror(errno));
		ts_wopen(&m, mp.fd, mpath, ledger ? "ledger" : "history", 1, mancols, 5);
		for (s = 0; s < nsegs; s++)
			live += segs[s].last >= cutoff;
		if (live + 1 > MAXSEG) {
			/* Merge every live segment and the day into one, in key order. */
			size_t *pos = xmalloc((size_t)nsegs * sizeof *pos);
			struct key best, k;
			int b;

			snprintf(name, sizeof name, "base-%.4s%.2s%.2s.%s", today_s,
			    today_s + 5, today_s + 8, ledger ? "led" : "his");
			wsopen(&ws, tmpdir, name);
			memset(pos, 0, (size_t)nsegs * sizeof *pos);
			j = 0;
			for (;;) {
				b = -1;
				for (s = 0; s < nsegs; s++) {
					while (pos[s] < segs[s].n) {
						getkey(segs[s].map + HDRSZ + pos[s] * rsz, &k);
						if (k.day >= cutoff)
							break;
						pos[s]++;
					}
					if (pos[s] < segs[s].n && (b < 0 || keycmp(&k, &best) < 0)) {
						best = k;
						b = s;
					}
				}
				if (j < nday) {
					get(j, &k);
					if (b < 0 || keycmp(&k, &best) < 0) {
						wsput(&ws, &k);
						j++;
						continue;
					}
				}
				if (b < 0)
					break;
				wsput(&ws, &best);
				pos[b]++;
			}
			free(pos);
			wsclose(&ws);
			manifest_row(&m, name, ws.n, ws.crc, ws.first, ws.last);
		} else {
			for (s = 0; s < nsegs; s++) {
				char from[PATH_MAX], to[PATH_MAX];

				if (segs[s].last < cutoff)
					continue;	/* wholly out of the window */
				snprintf(from, sizeof from, "%s/%s", hist, segs[s].name);
				snprintf(to, sizeof to, "%s/%s", tmpdir, segs[s].name);
				if (link(from, to) < 0)
					die(EX_CANTCREAT, "%s: %s", to, strerror(errno));
				tmp_track(to, 0);
				manifest_row(&m, segs[s].name, segs[s].n, segs[s].crc,
				    segs[s].first, segs[s].last);
			}
			snprintf(name, sizeof name, "day-%.4s%.2s%.2s.%s", today_s,
			    today_s + 5, today_s + 8, ledger ? "led" : "his");
			wsopen(&ws, tmpdir, name);
			for (j = 0; j < nday; j++) {
				struct key k;

				get(j, &k);
				wsput(&ws, &k);
			}
			wsclose(&ws);
			manifest_row(&m, name, ws.n, ws.crc, ws.first, ws.last);
		}
		ts_wclose(&m);
		if (pub_commit(&mp) < 0)
			die(EX_IOERR, "%s: %s", mpath, strerror(errno));
		tmp_track(mpath, 0);
	}

}

/* The day's first-seen keys of a history. */
static void
getfirst(size_t j, struct key *k)
{
	memset(k, 0, sizeof *k);
	k->hi = first[j].hi;
	k->lo = first[j].lo;
	k->day = today;
	k->rec = first[j].rec;
}

/* ---------- the ledger of paid lines, after liquidation (-B) ---------- */

static struct key *lrecs;
static size_t nlrecs, caplrecs;

static void
lpush(const struct key *k)
{
	if (nlrecs == caplrecs) {
		caplrecs = caplrecs ? caplrecs * 2 : 4096;
		lrecs = xrealloc(lrecs, caplrecs * sizeof *lrecs);
	}
	lrecs[nlrecs++] = *k;
}

static void
getlrec(size_t j, struct key *k)
{
	*k = lrecs[j];
}

static int
lreccmp(const void *a, const void *b)
{
	return keycmp(a, b);
}

static int
feq(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f->n == n && memcmp(f->p, s, n) == 0;
}

/* A claim's identity, "YYYY-MM-DD#N". */
static int
parseid(const struct field *f, int32_t *day, uint32_t *rec)
{
	long n;

	if (f->n < 12 || f->p[10] != '#' || date_parse(f->p, 10, day) < 0 ||
	    int_parse(f->p + 11, f->n - 11, 1, UINT32_MAX, &n) < 0)
		return -1;
	*rec = (uint32_t)n;
	return 0;
}

/*
 * dedup -B: the day's ledger generation, from the day before's and the
 * day's claims with their verdicts and their decisions, one for one in
 * the same order.  A line paid (ps, ps-recover) gets a record under its
 * key and one under its line key, with what it was paid; a payment or a
 * recovery on a line paid before (an adjustment with a dup_ref) gets a
 * movement under that line's identity.
 */
static int
buildledger(int argc, char **argv, const char *decisions, const char *hist,
    const char *newhist)
{
	struct ts_reader r, d;
	int c[NKC], lc[NLC], cid, cdup, cref, dclaim, ddest, damc, i, st, sd;
	char key[2048], tmpdir[PATH_MAX];
	uint64_t npaid = 0, nmove = 0, ncl = 0;

	if (ts_open(&d, decisions, "decision", 1) < 0)
		ts_fatal(&d);
	dclaim = ts_needcol(&d, "claim");
	ddest = ts_needcol(&d, "dest");
	damc = ts_needcol(&d, "amc_eur");
	for (i = 0; i < argc; i++) {
		size_t q;

		if (ts_open(&r, argv[i], "claim", 1) < 0)
			ts_fatal(&r);
		for (q = 0; q < NKC; q++)
			c[q] = ts_needcol(&r, keycols[q]);
		for (q = 0; q < NLC; q++)
			lc[q] = ts_col(&r, linecols[q]);
		cid = ts_needcol(&r, "dup_id");
		cdup = ts_needcol(&r, "dup");
		cref = ts_needcol(&r, "dup_ref");
		while ((st = ts_next(&r)) == 1) {
			struct field v[NKC], lv[NLC];
			int64_t cents[NKC];
			struct key k;
			size_t n;
			int paid, psrec, recover;

			if ((sd = ts_next(&d)) < 0)
				ts_fatal(&d);
			if (sd == 0)
				die_at(EX_DATAERR, decisions, d.in.lineno, "claim",
				    "fewer decisions than claims");
			ncl++;
			if (d.f[dclaim].n != r.f[cid].n ||
			    memcmp(d.f[dclaim].p, r.f[cid].p, r.f[cid].n) != 0)
				die_at(EX_DATAERR, decisions, d.in.lineno, "claim",
				    "not the claim's dup_id: not these claims' decisions");
			psrec = feq(&d.f[ddest], "ps-recover");
			paid = psrec || feq(&d.f[ddest], "ps");
			recover = feq(&d.f[ddest], "recover-ps");
			if ((!paid && !recover) || d.cents[damc] == 0)
				continue;
			memset(&k, 0, sizeof k);
			k.amount = d.cents[damc];
			k.bday = today;
			k.party = psrec ? 'B' : 'P';
			if (feq(&r.f[cdup], "adjust") && r.f[cref].n > 0) {
				if (parseid(&r.f[cref], &k.day, &k.rec) < 0)
					die_at(EX_DATAERR, argv[i], r.in.lineno, "dup_ref",
					    "not a claim's identity (date#N)");
				idhash(k.day, k.rec, &k.hi, &k.lo);
				k.kind = LK_MOVE;
				lpush(&k);
				nmove++;
				continue;
			}
			if (recover)
				die_at(EX_DATAERR, decisions, d.in.lineno, "dest",
				    "recover-ps, and no line it recovers (dup_ref empty)");
			if (parseid(&r.f[cid], &k.day, &k.rec) < 0 || k.day != today)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "dup_id",
				    "not a claim's identity of the day");
			for (q = 0; q < NKC; q++) {
				v[q] = r.f[c[q]];
				cents[q] = r.cents[c[q]];
			}
			if ((n = normkey(v, cents, key, sizeof key)) == 0)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "key", "too long");
			hash128(key, n, &k.hi, &k.lo);
			k.kind = LK_KEY;
			lpush(&k);
			linefields(&r, lc, lv);
			linehash(lv, v, &k.hi, &k.lo);
			k.kind = LK_LINE;
			lpush(&k);
			npaid++;
		}
		if (st < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	if ((sd = ts_next(&d)) < 0)
		ts_fatal(&d);
	if (sd == 1)
		die_at(EX_DATAERR, decisions, d.in.lineno, "claim", "more decisions than claims");
	ts_close(&d);
	if (nlrecs > 0)
		qsort(lrecs, nlrecs, sizeof *lrecs, lreccmp);
	writegen(hist, newhist, getlrec, nlrecs);
	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhist);
	if (rename(tmpdir, newhist) < 0)
		die(EX_CANTCREAT, "%s: %s", newhist, strerror(errno));
	tmp_untrack(tmpdir);
	fprintf(stderr, "%s: %s: %llu claims: %llu lines paid, %llu movements; ledger %d segments\n",
	    progname_(), today_s, (unsigned long long)ncl, (unsigned long long)npaid,
	    (unsigned long long)nmove, nsegs);
	free(lrecs);
	return EX_OK;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dedup [-V] [-W months] [-h history] [-s summary] -d date "
	    "-H new-history\n"
	    "             -o output claims ...\n"
	    "       dedup -l [-V] [-W months] [-h ledger] [-s summary] -d date -o output\n"
	    "             claims ...\n"
	    "       dedup -B [-V] [-W months] [-h ledger] -d date -D decisions\n"
	    "             -H new-ledger claims ...\n"
	    "       dedup -S shard/shards [-V] [-W months] [-h history] -d date\n"
	    "             -H new-history -o verdicts claims ...\n"
	    "       dedup -J [-W months] [-s summary] -d date -v verdicts [-v verdicts ...]\n"
	    "             -o output claims ...\n"
	    "       dedup -A [-V] [-W months] -d date -h history -o report paid.csv ...\n");
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *date = NULL, *hist = NULL, *newhist = NULL, *output = NULL;
	const char *decisions = NULL;
	int months = 24, full = 0, ch, i, st, apost = 0, join = 0, build = 0;
	const char **vfiles = NULL;
	int nvfiles = 0;
	struct batch *bt = NULL;
	size_t bmax, blim = BATCH;
	const char *e;
	size_t ncl, j;
	int c[NKC], lc[NLC], nature = -1;
	char key[2048], tmpdir[PATH_MAX - 128], meta[128];
	struct ts_reader r;
	struct pub p;
	pthread_t th;
	uint32_t rec;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "ABD:H:JS:VW:d:h:lo:s:v:")) != -1)
		switch (ch) {
		case 'A': apost = 1; break;
		case 'B': build = ledger = 1; break;
		case 'D': decisions = optarg; break;
		case 'J': join = 1; break;
		case 'S':
			if (sscanf(optarg, "%d/%d", &shard, &nshard) != 2 || nshard < 1 ||
			    nshard > 256 || shard < 0 || shard >= nshard)
				die(EX_USAGE, "-S: shard/shards, 0 <= shard < shards <= 256");
			break;
		case 'v':
			vfiles = xrealloc(vfiles, (size_t)(nvfiles + 1) * sizeof *vfiles);
			vfiles[nvfiles++] = optarg;
			break;
		case 'H': newhist = optarg; break;
		case 'V': full = 1; break;
		case 'W': months = (int)numarg(optarg, 1, 1200, "months"); break;
		case 'd': date = optarg; break;
		case 'h': hist = optarg; break;
		case 'l': ledger = 1; break;
		case 'o': output = optarg; break;
		case 's': sumpath = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (build) {
		if (date == NULL || decisions == NULL || newhist == NULL || argc == 0 ||
		    output != NULL || apost || join || nshard > 1 || sumpath != NULL || nvfiles > 0)
			usage();
	} else if (ledger) {
		if (date == NULL || output == NULL || argc == 0 || newhist != NULL ||
		    decisions != NULL || apost || join || nshard > 1 || nvfiles > 0)
			usage();
	} else if (decisions != NULL || date == NULL || output == NULL || argc == 0 ||
	    (apost ? hist == NULL || newhist != NULL :
	    join ? nvfiles == 0 || hist != NULL || newhist != NULL : newhist == NULL) ||
	    (nvfiles > 0 && !join) || (apost && join) ||
	    (sumpath != NULL && (apost || nshard > 1)))
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(today, today_s);
	{
		int y, m, d;

		date_to_ymd(today, &y, &m, &d);
		m -= months % 12;
		y -= months / 12;
		if (m < 1) {
			m += 12;
			y--;
		}
		while (!date_valid(y, m, d))
			d--;
		cutoff = date_from_ymd(y, m, d);
	}
	if (ledger)
		rsz = LEDSZ;
	if (hist != NULL)
		loadhist(hist, full);
	if (build)
		return buildledger(argc, argv, decisions, hist, newhist);
	if (apost)
		return control(argc, argv, output);
	if (sumpath != NULL && pub_open(&spub, sumpath) < 0)
		die(EX_CANTCREAT, "%s: %s", sumpath, strerror(errno));
	if (join) {
		st = joinv(argc, argv, vfiles, nvfiles, output, months);
		free(vfiles);
		return st;
	}

	/*
	 * The claims, once: verified and hashed here, judged and written by
	 * the judging thread, a batch at a time.
	 */
	if (pub_open(&p, output) < 0)
		die(EX_CANTCREAT, "%s: %s", output, strerror(errno));
	if (nshard > 1) {
		static const char *const vcols[] = { "rec", "dup", "dup_ref" };

		ts_wopen(&out, p.fd, output, "dedup-verdict", 1, vcols, 3);
		snprintf(meta, sizeof meta, "shard\t%d/%d\t%s", shard, nshard, today_s);
		ts_wmeta(&out, meta);
	}
	/* $TIERS_DEDUP_BATCH claims a batch: for the tests of the batches. */
	if ((e = getenv("TIERS_DEDUP_BATCH")) != NULL && *e != '\0')
		blim = (size_t)numarg(e, 1, BATCH, "TIERS_DEDUP_BATCH");
	bmax = blim / 8 ? blim / 8 : 1;	/* the first batches small: the judging starts early */
	cursor = xmalloc((size_t)(nsegs ? nsegs : 1) * sizeof *cursor);
	nkb = xmalloc(BATCH * sizeof *nkb);
	nktmp = xmalloc(BATCH * sizeof *nktmp);
	rec = 0;
	for (i = 0; i < argc; i++) {
		size_t k;

		if (ts_open(&r, argv[i], "claim", 1) < 0)
			ts_fatal(&r);
		for (k = 0; k < NKC; k++)
			c[k] = ts_needcol(&r, keycols[k]);
		nature = ts_needcol(&r, "nature");
		for (k = 0; k < NLC; k++)
			lc[k] = ts_col(&r, linecols[k]);
		if (nshard == 1)
			outhead(&out, p.fd, output, &r, i == 0, argv[i], argv[0], months);
		if (i == 0) {
			ncol = r.ncol;
			if (pthread_create(&th, NULL, judging, NULL) != 0)
				die(EX_OSERR, "pthread_create failed");
		}
		while ((st = ts_next(&r)) == 1) {
			struct item *x;

			if (bt != NULL && (bt->n == bmax || bt->tlen + r.len > BATCHTEXT)) {
				bmax = bmax * 2 < blim ? bmax * 2 : blim;
				putbatch(bt, 0);
				bt = NULL;
			}
			if (bt == NULL)
				bt = getbatch();
			if (bt->n == 0)
				bt->rec0 = rec + 1;
			if (rec == UINT32_MAX)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "-", "too many claims");
			rec++;
			x = &bt->it[bt->n++];
			x->verdict = V_FIRST;
			memcpy(bt->text + bt->tlen, r.line, r.len);
			x->off = bt->tlen;
			x->len = (uint32_t)r.len;
			bt->tlen += r.len;
			x->recsum = r.recsum;
			if (r.f[c[K_PSNUM]].n == 0 || r.f[c[K_INVOICE]].n == 0 ||
			    r.f[c[K_ACT]].n == 0 || r.f[c[K_ACTDATE]].n == 0 ||
			    r.f[c[K_FR]].n == 0 || (r.f[c[K_NIR]].n == 0 && r.f[c[K_BNIR]].n == 0))
				die_at(EX_DATAERR, argv[i], r.in.lineno, "key",
				    "a key field is empty (ps_number, invoice, nir, act_code, act_date, fr_eur)");
			{
				struct field v[NKC], lv[NLC];
				int64_t cents[NKC];
				size_t q;

				for (q = 0; q < NKC; q++) {
					v[q] = r.f[c[q]];
					cents[q] = r.cents[c[q]];
				}
				if (ledger) {
					linefields(&r, lc, lv);
					linehash(lv, v, &x->lhi, &x->llo);
				}
				if (r.f[nature].n != 4 || memcmp(r.f[nature].p, "paid", 4) != 0) {
					x->verdict = V_ADJUST;
					continue;
				}
				j = normkey(v, cents, key, sizeof key);
			}
			if (j == 0)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "key", "too long");
			hash128(key, j, &x->hi, &x->lo);
			if (nshard > 1 && (int)((x->hi >> 56) % (uint64_t)nshard) != shard)
				x->verdict = V_OTHER;
		}
		if (st < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	putbatch(bt, 1);
	pthread_mutex_lock(&bmu);
	while (!bjudged)
		pthread_cond_wait(&bcv, &bmu);
	pthread_mutex_unlock(&bmu);
	ncl = rec;
	if (nshard == 1 && nout != ncl)
		die(EX_SOFTWARE, "conservation: %zu claims read, %llu written", ncl,
		    (unsigned long long)nout);
	if (sumpath != NULL)
		wsummary(counts, nout);
	free(cursor);
	cursor = NULL;
	free(nkb);
	free(nktmp);
	for (i = 0; i < NBATCH; i++) {
		free(bq[i].it);
		free(bq[i].text);
	}

	/* The day's first-seen keys, in key order. */
	free(tab);
	tab = NULL;
	nktmp = xmalloc((nfirst ? nfirst : 1) * sizeof *nktmp);
	nksort(first, nfirst, nktmp);
	free(nktmp);

	/* The new generation: D-1's live segments, and the day's keys. */
	if (newhist != NULL) {
		snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhist);
		writegen(hist, newhist, getfirst, nfirst);
	}
	free(first);

	pthread_join(th, NULL);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	if (newhist != NULL) {
		if (rename(tmpdir, newhist) < 0)
			die(EX_CANTCREAT, "%s: %s", newhist, strerror(errno));
		tmp_untrack(tmpdir);
	}
	if (sumpath != NULL && pub_commit(&spub) < 0)
		die(EX_IOERR, "%s: %s", sumpath, strerror(errno));
	if (nshard > 1)
		fprintf(stderr, "%s: %s: shard %d/%d: %zu claims, %llu of this shard\n",
		    progname_(), today_s, shard, nshard, ncl, (unsigned long long)nout);
	else
		fprintf(stderr, "%s: %s: %zu claims: %llu first, %llu intra-day, "
		    "%llu earlier days, %llu adjustments; %s %d segments\n",
		    progname_(), today_s, ncl, (unsigned long long)counts[V_FIRST],
		    (unsigned long long)counts[V_INTRA], (unsigned long long)counts[V_INTER],
		    (unsigned long long)counts[V_ADJUST], ledger ? "ledger" : "history", nsegs);
	return EX_OK;
}
