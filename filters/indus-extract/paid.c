/*
 * The store of lines paid, by beneficiary (tiers-indus(5), indus-paid):
 * what indus-extract needs to find the lines paid to a beneficiary after
 * a date, when a radiation takes his rights back to it, without reading
 * years of decisions.
 *
 * One file a business day, YYYY-MM-DD.tsv, the rows written that day,
 * sorted on amc, contract, member_ref, line, the rows of one line in the
 * order written.  As an act is never dated after the day it is paid,
 * nor a line recovered before it is paid, the rows of the lines whose
 * acts are dated after a day D are all in the files of D and after.  A
 * day's file never changes: the next generation hard-links it, as the
 * ledger of paid lines does its segments (tiers-ledger(5)), and a day
 * costs its own rows, whatever the day of the month.  A store of the
 * first form, one file a month (YYYY-MM.tsv, sorted on the key and the
 * day), is read on: its months are segments closed, linked on until
 * they leave the window.  A beneficiary's rows are found in each file,
 * mapped, by a search from where the last lookup (the day's come in key
 * order) ended, and the files' rows merged on line and day: a lookup
 * touches a few pages of each file it reads, near the last.
 *
 * Beside each day's segment, its index (YYYY-MM-DD.idx, written with
 * it, linked with it): the hashes of the beneficiaries that have rows
 * there.  The day's radiations are sifted through each segment's index
 * first, read whole once, so that a lookup opens only the segments that
 * may hold the beneficiary: a radiation costs a probe a segment, not a
 * search through its pages.  A segment without an index (a month file,
 * a day written before indexes) is searched as before.
 */
#define _GNU_SOURCE	/* sync_file_range(2) */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "indus.h"
#include "radix.h"

const char *const paidcols[NP] = {
	"amc", "contract", "member_ref", "line", "day", "kind", "act_date", "ps_kind",
	"ps_number", "invoice", "line_no", "act_code", "amount_eur"
};
const char *const pkinds[NPK] = {
	"ps", "ps-recover", "regul", "recover-ps", "retro", "restore"
};
int paid_on;

int
month_of(int32_t day)
{
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	return y * 12 + m - 1;
}

/*
 * The day's rows, each the text of its line in the file, klen bytes of
 * it the key (amc to line, TAB-separated), blen the beneficiary's (amc
 * to member_ref, for the index), in the order they came in (daysort
 * keeps it among the rows of a line).  Their text is held in an arena:
 * a day's rows are a few hundred thousand small blocks, given back at
 * once.
 */
struct drow {
	char *s;
	size_t len;
	uint32_t klen, blen;	/* a line's fields are far shorter */
	int64_t amount;
	uint64_t bh;		/* its beneficiary's in daysort's table (rowhash) */
};
static struct drow *drows;
static size_t ndrows, drowcap;
static struct arena rowmem;

/*
 * A beneficiary's hash in an index: FNV-1a over amc TAB contract TAB
 * member_ref, then murmur3's fmix64 (fixed: no seed).
 */
static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
benhash(const char *s, size_t n)
{
	return hash_mix64(fnv(0xcbf29ce484222325ULL, s, n));
}

/*
 * A row's beneficiary's hash in daysort's table, which finds each
 * beneficiary once (the index's hash, benhash, is then taken once a
 * beneficiary, not once a row): eight bytes at a time.  The row goes on
 * past its beneficiary (a TAB, its line, its day: more than eight
 * bytes), so that its last bytes are read as eight, the bytes past the
 * key masked off: a hash of the key's bytes alone.
 */
static uint64_t
rowhash(const char *s, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = n * k, x;

	for (; n > 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = (h ^ x) * k;
		h ^= h >> 32;
	}
	memcpy(&x, s, 8);
	if (n < 8)
		x &= ((uint64_t)1 << 8 * n) - 1;
	return hash_mix64((h ^ x) * k);
}

/*
 * The n bytes at s to d, a column of a row: most are 4 to 32 bytes,
 * copied as two words that overlap (the first and the last), exactly
 * the n bytes read and written; a call to memcpy each cost more than
 * the copy (eight a row, a day's 330 000 rows).
 */
static inline __attribute__((always_inline)) void
cpy(char *d, const char *s, size_t n)
{
	if (n >= 16 && n <= 32) {
		char a[16], b[16];

		memcpy(a, s, 16);
		memcpy(b, s + n - 16, 16);
		memcpy(d, a, 16);
		memcpy(d + n - 16, b, 16);
	} else if (n >= 8 && n < 16) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n < 4) {
		while (n-- > 0)
			*d++ = *s++;
	} else
		memcpy(d, s, n);
}

/*
 * A column of a row at p, followed by a TAB: past it.  A column whose p
 * is NULL is in the run of the one before (paid_add): nothing.
 */
static inline __attribute__((always_inline)) char *
putcol(char *p, const struct field *f)
{
	if (f->p == NULL)
		return p;
	cpy(p, f->p, f->n);
	p += f->n;
	*p++ = '\t';
	return p;
}

/* What a column takes of a row: its bytes and its TAB, or nothing. */
static inline size_t
colw(const struct field *f)
{
	return f->n + (f->p != NULL);
}

/*
 * A row's columns one by one, not in a loop: a day's 330 000 rows, the
 * loop's count and tests were a third of the cost.
 */
void
paid_add(const struct field *src, int64_t amount)
{
	char m[MONEY_BUFSZ], *p;
	const char *cp;
	const size_t dn = DATE_BUFSZ - 1;	/* today_s, date_fmt's */
	size_t len, mlen;
	struct drow *r;

	if (!paid_on)
		return;
	/* The amount as read, canonical (money_parse's): money_fmt's text. */
	if (src[P_AMOUNT].p != NULL) {
		mlen = src[P_AMOUNT].n;
		cp = src[P_AMOUNT].p;
	} else
		mlen = money_fmt(amount, m), cp = m;
	/* The day's column and its TAB: today's. */
	len = dn + 1 + colw(&src[P_AMC]) + colw(&src[P_CONTRACT]) + colw(&src[P_MEMBER]) +
	    colw(&src[P_LINE]) + colw(&src[P_KIND]) + colw(&src[P_ACTDATE]) +
	    colw(&src[P_PSKIND]) + colw(&src[P_PSNUM]) + colw(&src[P_INVOICE]) +
	    colw(&src[P_LINENO]) + colw(&src[P_ACTCODE]);
	if (ndrows == drowcap) {
		drowcap = drowcap ? 2 * drowcap : 1024;
		drows = xrealloc(drows, drowcap * sizeof *drows);
	}
	r = &drows[ndrows];
	r->s = p = arena_in(&rowmem, len + mlen + 1);
	p = putcol(p, &src[P_AMC]);
	p = putcol(p, &src[P_CONTRACT]);
	p = putcol(p, &src[P_MEMBER]);
	r->blen = (uint32_t)(p - 1 - r->s);
	p = putcol(p, &src[P_LINE]);
	r->klen = (uint32_t)(p - 1 - r->s);
	memcpy(p, today_s, dn);
	p += dn;
	*p++ = '\t';
	p = putcol(p, &src[P_KIND]);
	p = putcol(p, &src[P_ACTDATE]);
	p = putcol(p, &src[P_PSKIND]);
	p = putcol(p, &src[P_PSNUM]);
	p = putcol(p, &src[P_INVOICE]);
	p = putcol(p, &src[P_LINENO]);
	p = putcol(p, &src[P_ACTCODE]);
	cpy(p, cp, mlen);
	p[mlen] = '\0';
	r->len = len + mlen;
	r->amount = amount;
	/* Its hash: daysort's, once everything is read (bhash). */
	r->bh = 0;
	ndrows++;
}

/* Two keys as bytes: amc to line, TAB-separated (no field holds a byte below TAB). */
static int
keycmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c ? c : (na > nb) - (na < nb);
}

/*
 * The segments of the store of the day before: one a business day,
 * YYYY-MM-DD.tsv, the rows written that day; or, in a store of the
 * first form, one a month, YYYY-MM.tsv, the rows of the days of its
 * month, read as a segment closed.  lo and hi: the days its rows may be
 * of.
 */
struct seg {
	int32_t lo, hi;
	int month;		/* lo's, the window's unit */
	int whole;		/* a month file */
	char *path;
	const char *name;
	struct ts_reader r;
	const char *rec, *end;	/* its records, mapped: from rec up to the trailer */
	int mapped;
	/*
	 * The lookups come in key order: the line the last found (none of
	 * the next is before it), and the pages before rel given back.
	 */
	const char *cur, *rel;
	/*
	 * Its index, if any; sifted, the wanted beneficiaries that may have
	 * rows here, a bit each (paid_sift).
	 */
	char *xpath;
	int sifted;
	unsigned char *maybe;
};
static struct seg *segs;
static int nsegs, first, npruned, ncarried;

/* The beneficiaries looked up today (paid_want): their hashes, their first days. */
static uint64_t *wanth;
static int32_t *wantfrom;
static size_t nwant, wantcap;

/*
 * An index (tiers-indus(5), indus-paid): a header of PX_HDR bytes, a
 * directory of 2^B + 1 entry numbers (32 bits), an entry of 16 bits a
 * beneficiary, a CRC-32; little-endian.
 */
#define PX_MAGIC "TIERSPIX"
#define PX_VERSION 1
#define PX_HDR 40
#define PX_MAXB 28

static int
segcmp(const void *pa, const void *pb)
{
	const struct seg *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->hi > b->hi) - (a->hi < b->hi);
}

/*
 * A segment's name, YYYY-MM-DD.tsv (a day) or YYYY-MM.tsv (a month of
 * the first form): the days it covers in g, 0; or -1.
 */
static int
segname(const char *s, struct seg *g, const char *ext)
{
	size_t n = strlen(s);
	int i, y = 0, m, d = 0;

	if ((n != 11 && n != 14) || s[4] != '-' || strcmp(s + n - 4, ext) != 0 ||
	    (n == 14 && s[7] != '-'))
		return -1;
	for (i = 0; i < (int)n - 4; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + s[i] - '0';
	m = (s[5] - '0') * 10 + s[6] - '0';
	if (n == 14)
		d = (s[8] - '0') * 10 + s[9] - '0';
	if (m < 1 || m > 12 || y < 1 || (n == 14 && (d < 1 || d > 31)))
		return -1;
	g->whole = n == 11;
	g->month = y * 12 + m - 1;
	if (g->whole) {
		g->lo = date_from_ymd(y, m, 1);
		g->hi = (m == 12 ? date_from_ymd(y + 1, 1, 1) : date_from_ymd(y, m + 1, 1)) - 1;
	} else {
		int yy, mm, dd;

		g->lo = g->hi = date_from_ymd(y, m, d);
		date_to_ymd(g->lo, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			return -1;
	}
	return 0;
}

/* Open a segment: its header and columns, the store's own, in order. */
static void
sopen(struct ts_reader *r, const char *path)
{
	int k;

	if (ts_open(r, path, "indus-paid", 1) < 0)
		ts_fatal(r);
	for (k = 0; k < NP; k++)
		if (r->ncol != NP || strcmp(r->cols[k], paidcols[k]) != 0)
			die_at(EX_DATAERR, path, 1, "header", "not the indus-paid columns");
}

/*
 * A row of segment g, read by its reader: its kind, its day the
 * segment's (of its month, for a month file) and before the business
 * date, its act date, its amount's sign.  0, or -1 after ts_error.
 */
static int
rowcheck(struct seg *g, struct prow *pr)
{
	struct ts_reader *r = &g->r;
	int k;

	memcpy(pr->f, r->f, sizeof pr->f);
	pr->amount = r->cents[P_AMOUNT];
	for (k = 0; k < NPK; k++)
		if (fsame(&r->f[P_KIND], pkinds[k], strlen(pkinds[k])))
			break;
	if (k == NPK)
		return ts_error(r, "kind", "not ps, ps-recover, regul, recover-ps, retro nor restore");
	pr->kind = k;
	if (date_parse(r->f[P_DAY].p, r->f[P_DAY].n, &pr->day) < 0 ||
	    pr->day < g->lo || pr->day > g->hi || pr->day >= today)
		return ts_error(r, "day", g->whole ?
		    "not a date of the file's month before the business date" :
		    "not the file's day, before the business date");
	if (date_parse(r->f[P_ACTDATE].p, r->f[P_ACTDATE].n, &pr->act) < 0)
		return ts_error(r, "act_date", "not a date");
	if (r->f[P_LINE].n == 0)
		return ts_error(r, "line", "empty");
	if ((k == PK_PS || k == PK_PSREC || k == PK_REGUL || k == PK_RESTORE) != (pr->amount > 0) ||
	    (k == PK_RECOVER || k == PK_RETRO) != (pr->amount < 0))
		return ts_error(r, "amount_eur",
		    "not above 0.00 for a payment or a restore, below 0.00 for a recovery or a radiation");
	return 0;
}

/*
 * A segment opened and mapped, the first time a lookup reaches it (the
 * window holds hundreds): its records, after the header and metadata,
 * before the trailer.  Once mapped its reader's input is not needed:
 * the descriptor, buffers and reading thread are given back at once.
 */
static void
segmap(struct seg *g)
{
	sopen(&g->r, g->path);
	ts_maprecs(&g->r, g->path, &g->rec, &g->end);
	lines_close(&g->r.in);
	g->mapped = 1;
	g->cur = g->rel = g->rec;
}

void
paid_open(const char *dir, int from)
{
	DIR *d;
	struct dirent *de;
	struct seg *idx = NULL, *x;
	int nidx = 0, k;

	first = from;
	if ((d = opendir(dir)) == NULL)
		die(EX_NOINPUT, "%s: %s", dir, strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct seg g;
		char *path;
		int isidx = 0;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		memset(&g, 0, sizeof g);
		if (segname(de->d_name, &g, ".tsv") < 0) {
			if (segname(de->d_name, &g, ".idx") < 0 || g.whole)
				die_at(EX_DATAERR, path, 0, NULL,
				    "not a file of the store (YYYY-MM-DD.tsv, or a month YYYY-MM.tsv)");
			isidx = 1;
		}
		if (g.whole && g.month > month_of(today))
			die_at(EX_DATAERR, path, 0, NULL, "a month after the business date");
		if (!g.whole && g.lo >= today)
			die_at(EX_DATAERR, path, 0, NULL, "a day not before the business date");
		if (g.month < first) {
			npruned += !isidx;
			free(path);
			continue;
		}
		g.path = path;
		g.name = path + strlen(dir) + 1;
		if (isidx) {
			idx = xrealloc(idx, (size_t)(nidx + 1) * sizeof *idx);
			idx[nidx++] = g;
			continue;
		}
		segs = xrealloc(segs, (size_t)(nsegs + 1) * sizeof *segs);
		segs[nsegs++] = g;
	}
	if (errno != 0)
		die(EX_IOERR, "%s: %s", dir, strerror(errno));
	closedir(d);
	if (nsegs > 1)
		qsort(segs, (size_t)nsegs, sizeof *segs, segcmp);
	/* Each index to its day's segment: lo and hi its day, a month file's hi later. */
	for (k = 0; k < nidx; k++) {
		x = nsegs > 0 ? bsearch(&idx[k], segs, (size_t)nsegs, sizeof *segs, segcmp) : NULL;
		if (x == NULL)
			die_at(EX_DATAERR, idx[k].path, 0, NULL, "an index without its segment");
		x->xpath = idx[k].path;
	}
	free(idx);
}

/*
 * What binds an index to its segment: the segment's size and the
 * CRC-32 of its trailer line (which seals its header and rows), read
 * from its end without mapping it.  A segment without its trailer dies
 * as a search reaching it would.
 */
static void
segtail(const char *path, uint64_t *size, uint32_t *crc)
{
	char buf[256];
	struct stat st;
	const char *t;
	ssize_t n;
	size_t k;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	k = st.st_size < (off_t)sizeof buf ? (size_t)st.st_size : sizeof buf;
	if ((n = pread(fd, buf, k, st.st_size - (off_t)k)) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	close(fd);
	if ((size_t)n != k)
		die(EX_IOERR, "%s: short read", path);
	for (t = buf + k - 1; t > buf && t[-1] != '\n'; t--)
		;
	if (k == 0 || buf[k - 1] != '\n' || (t == buf && (off_t)k < st.st_size) ||
	    (size_t)(buf + k - t) < 4 || strncmp(t, "#end", 4) != 0)
		die_at(EX_DATAERR, path, 0, "trailer",
		    "no trailer: stream truncated or its writer failed");
	*size = (uint64_t)st.st_size;
	*crc = crc32_buf(0, t, (size_t)(buf + k - t));
}

int
paid_want(const char *amc, const char *contract, const char *member, int32_t from)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, amc, strlen(amc));

	h = fnv(fnv(h, "\t", 1), contract, strlen(contract));
	h = fnv(fnv(h, "\t", 1), member, strlen(member));
	if (nwant == wantcap) {
		wantcap = wantcap ? 2 * wantcap : 256;
		wanth = xrealloc(wanth, wantcap * sizeof *wanth);
		wantfrom = xrealloc(wantfrom, wantcap * sizeof *wantfrom);
	}
	wanth[nwant] = hash_mix64(h);
	wantfrom[nwant] = from;
	return (int)nwant++;
}

/*
 * The beneficiaries wanted sifted through each segment's index that a
 * lookup of theirs reaches: the index read whole into one buffer, kept
 * from one segment to the next, checked (its header, directory, CRC-32,
 * and that it is its segment's), then probed for each.
 */
void
paid_sift(void)
{
	static unsigned char *buf;
	static size_t cap;
	const unsigned char *dir, *ent;
	struct stat st;
	size_t nb = (nwant + 7) / 8, i, len;
	uint64_t n, ssize, nbk;
	uint32_t scrc, b, j, lo, hi, prev;
	ssize_t r;
	int k, fd;

	for (k = 0; k < nsegs; k++) {
		struct seg *g = &segs[k];
		const char *why = NULL;

		if (g->xpath == NULL)
			continue;
		for (i = 0; i < nwant && wantfrom[i] > g->hi; i++)
			;
		if (i == nwant)
			continue;
		if ((fd = open(g->xpath, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
			die(EX_NOINPUT, "%s: %s", g->xpath, strerror(errno));
		len = (size_t)st.st_size;
		if (len > cap) {
			cap = len;
			buf = xrealloc(buf, cap);
		}
		for (i = 0; i < len; i += (size_t)r)
			if ((r = read(fd, buf + i, len - i)) <= 0)
				die(EX_IOERR, "%s: %s", g->xpath, r < 0 ? strerror(errno) : "short read");
		close(fd);
		b = len >= PX_HDR ? le_get32(buf + 12) : 0;
		n = len >= PX_HDR ? le_get64(buf + 16) : 0;
		nbk = (uint64_t)1 << (b >= 1 && b <= PX_MAXB ? b : 1);
		if (len < PX_HDR + 4 || memcmp(buf, PX_MAGIC, 8) != 0 || le_get32(buf + 8) != PX_VERSION)
			why = "not an index of the store";
		else if (b < 1 || b > PX_MAXB || n > UINT32_MAX ||
		    len != PX_HDR + 4 * (nbk + 1) + 2 * n + 4)
			why = "truncated, or its size not its header's";
		else if (crc32_buf(0, buf, len - 4) != le_get32(buf + len - 4))
			why = "index CRC-32 does not match: damaged";
		if (why != NULL)
			die_at(EX_DATAERR, g->xpath, 0, "index", "%s", why);
		dir = buf + PX_HDR;
		ent = dir + 4 * (nbk + 1);
		for (prev = 0, j = 0; j <= nbk; j++) {
			if (le_get32(dir + 4 * j) < prev || (j == 0 && le_get32(dir) != 0))
				die_at(EX_DATAERR, g->xpath, 0, "index", "its directory out of order");
			prev = le_get32(dir + 4 * j);
		}
		if (prev != n)
			die_at(EX_DATAERR, g->xpath, 0, "index", "its directory out of order");
		segtail(g->path, &ssize, &scrc);
		if (ssize != le_get64(buf + 24) || scrc != le_get32(buf + 32))
			die_at(EX_DATAERR, g->xpath, 0, "index",
			    "not the index of %s: damaged, or the segment rewritten", g->name);
		g->sifted = 1;
		g->maybe = xmalloc(nb ? nb : 1);
		memset(g->maybe, 0, nb ? nb : 1);
		for (i = 0; i < nwant; i++) {
			uint64_t h = wanth[i];
			uint32_t fp = (uint32_t)(h >> (48 - b)) & 0xffff;

			if (wantfrom[i] > g->hi)
				continue;
			lo = le_get32(dir + 4 * (h >> (64 - b)));
			hi = le_get32(dir + 4 * (h >> (64 - b)) + 4);
			for (j = lo; j < hi; j++)
				if ((uint32_t)(ent[2 * j] | ent[2 * j + 1] << 8) == fp) {
					g->maybe[i / 8] |= (unsigned char)(1 << (i % 8));
					break;
				}
		}
	}
}

const char *
paid_where(const struct prow *pr, long *line)
{
	*line = ts_lineof(&segs[pr->file].r, pr->at);
	return segs[pr->file].path;
}

/*
 * A beneficiary's rows in one segment, from where the search put it:
 * the row at p, parsed and checked, and its key up to the day's end.
 */
struct cur {
	int seg;
	const char *p, *nl;
	size_t dlen;
	struct prow pr;
};

/* The row at c->p if still the beneficiary's (1), checked and in order; else 0. */
static int
curread(struct cur *c, const char *key, size_t klen, const char *prev, size_t plen)
{
	struct seg *g = &segs[c->seg];

	if (c->p >= g->end)
		return 0;
	c->nl = memchr(c->p, '\n', (size_t)(g->end - c->p));
	if ((size_t)(c->nl - c->p) < klen || memcmp(c->p, key, klen) != 0)
		return 0;
	if (ts_line(&g->r, c->p) < 0 || rowcheck(g, &c->pr) < 0)
		ts_fatal(&g->r);
	c->dlen = (size_t)(c->pr.f[P_DAY].p + c->pr.f[P_DAY].n - c->p);
	/* In order within the beneficiary: line, then day. */
	if (prev != NULL && keycmp(prev, plen, c->p, c->dlen) > 0) {
		ts_error(&g->r, "line", "out of order (amc, contract, member_ref, line, day)");
		ts_fatal(&g->r);
	}
	c->pr.file = c->seg;
	c->pr.at = c->p;
	return 1;
}

/*
 * The first line of g at or after key, from its cursor on: lines 4 KiB,
 * 8 KiB, ... ahead until one is not before the key, then a binary search
 * between the last two.  A day's lookups, a few hundred beneficiaries
 * spread over a segment, each touch a few pages near the last, where a
 * search over the whole segment touched a page at each of its twenty
 * steps, on every segment of the window.
 */
static const char *
gallop(struct seg *g, const char *key, size_t klen)
{
	const char *lo = g->cur, *p, *nl;
	size_t step = 4096, n;

	while ((size_t)(g->end - lo) > step) {
		/* The line that starts after lo + step, if any. */
		if ((nl = memchr(lo + step, '\n', (size_t)(g->end - lo - step))) == NULL ||
		    nl + 1 >= g->end)
			break;
		p = nl + 1;
		nl = memchr(p, '\n', (size_t)(g->end - p));
		n = (size_t)(nl - p);
		if (keycmp(p, n < klen ? n : klen, key, klen) >= 0)
			return ts_seek(lo, p, key, klen);
		lo = p;
		step *= 2;
	}
	return ts_seek(lo, g->end, key, klen);
}

void
paid_find(int which, const char *amc, const char *contract, const char *member, int32_t from,
    void (*fn)(const struct prow *, void *), void *arg)
{
	static char *key, *last;
	static size_t cap, lcap, llen;
	static struct cur *cs;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	size_t klen = strlen(amc) + strlen(contract) + strlen(member) + 3;
	int i, n = 0, best;

	if (klen + 1 > cap) {
		cap = 2 * klen + 1;
		key = xrealloc(key, cap);
	}
	snprintf(key, cap, "%s\t%s\t%s\t", amc, contract, member);
	/* A key before the last (not retro's order): the cursors start again. */
	if (last != NULL && keycmp(key, klen, last, llen) < 0)
		for (i = 0; i < nsegs; i++)
			segs[i].cur = segs[i].rec;
	if (klen + 1 > lcap) {
		lcap = cap;
		last = xrealloc(last, lcap);
	}
	memcpy(last, key, klen);
	llen = klen;
	if (cs == NULL && nsegs > 0)
		cs = xmalloc((size_t)nsegs * sizeof *cs);
	for (i = 0; i < nsegs; i++) {
		struct seg *g = &segs[i];

		if (g->hi < from)
			continue;
		/* Its index says the beneficiary has no row here. */
		if (g->sifted && !(g->maybe[which / 8] & 1 << which % 8))
			continue;
		if (!g->mapped)
			segmap(g);
		cs[n].seg = i;
		cs[n].p = g->cur = gallop(g, key, klen);
		/*
		 * The pages before the line found given back: no later lookup
		 * reads them (kept, a day's lookups made nearly every page of
		 * every segment of the window resident: 24 MiB more each day).
		 */
		if ((size_t)(g->cur - g->rel) >= 65536) {
			pages_release(g->rel, g->cur);
			g->rel = g->cur - ((uintptr_t)g->cur & (pg - 1));
		}
		if (curread(&cs[n], key, klen, NULL, 0))
			n++;
	}
	/*
	 * The segments merged on line, then day, as one file would give
	 * them: a day is in one segment, whose rows of the line keep the
	 * order written; on a tie (a store whose segments overlap), the
	 * earlier segment first.
	 */
	while (n > 0) {
		struct cur *c;
		const char *prev;
		size_t plen;

		for (best = 0, i = 1; i < n; i++)
			if (keycmp(cs[i].p, cs[i].dlen, cs[best].p, cs[best].dlen) < 0)
				best = i;
		c = &cs[best];
		fn(&c->pr, arg);
		prev = c->p;
		plen = c->dlen;
		c->p = c->nl + 1;
		if (!curread(c, key, klen, prev, plen)) {
			memmove(c, c + 1, (size_t)(n - best - 1) * sizeof *c);
			n--;
		}
	}
}

static char *newtmp;

void
paid_create(const char *dir)
{
	struct stat st;

	newtmp = xconcat(dir, ".tmp");
	if (stat(dir, &st) == 0)
		die(EX_CANTCREAT, "%s: exists", dir);
	if (mkdir(newtmp, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", newtmp, strerror(errno));
	/* Removed, with its files, if the run ends before the rename. */
	tmp_track(newtmp, 1);
}

/*
 * A segment of the day before, in the window, into the new generation:
 * hard-linked (it never changes), copied where links are not possible.
 */
static void
carry(const char *from, const char *path)
{
	char buf[1 << 16];
	struct pub p;
	ssize_t n;
	int fd;

	if (link(from, path) == 0) {
		tmp_track(path, 0);
		return;
	}
	if ((fd = open(from, O_RDONLY)) < 0)
		die(EX_NOINPUT, "%s: %s", from, strerror(errno));
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write(p.fd, buf, (size_t)n) != n)
			die(EX_IOERR, "%s: %s", path, strerror(errno));
	if (n < 0)
		die(EX_IOERR, "%s: %s", from, strerror(errno));
	close(fd);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	tmp_track(path, 0);
}

/*
 * The day's beneficiaries, each once: its key (amc to member_ref), its
 * hash in an index, its number as first met, its count of rows.
 */
struct ben {
	const char *s;
	uint32_t len, id;
	uint64_t h;
	size_t n;
};

static const void *
benkey(const void *p, size_t *len)
{
	const struct ben *b = p;

	*len = b->len;
	return b->s;
}

/* Two rows of one beneficiary in the order of their lines, then as they came in. */
static int
lineafter(const struct drow *a, const struct drow *b)
{
	return keycmp(a->s + a->blen + 1, a->klen - a->blen - 1,
	    b->s + b->blen + 1, b->klen - b->blen - 1) > 0;
}

/*
 * The same order for qsort, on the rows' numbers: as they came in, the
 * number, when the lines are the same (qsort is not stable).
 */
static int
linecmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (lineafter(&drows[a], &drows[b]))
		return 1;
	if (lineafter(&drows[b], &drows[a]))
		return -1;
	return a < b ? -1 : a > b;
}

/*
 * The beneficiaries b in the order of their keys as bytes (bytesort's
 * order), when no key is longer than 32 bytes, as a day's are (amc,
 * contract and member_ref: 23 to 28): each key as four words, its
 * bytes the most significant first and zeros past its end (no byte of
 * a key is below TAB, so that of two keys that agree as far as the
 * shorter goes, the shorter is first, as bytesort puts it), sorted on
 * the fourth word, then the third, the second, the first, each by
 * radix_sort, which is stable: the same order.  bytesort sorted most
 * of a day's beneficiaries in small groups by qsort, 670 instructions
 * a beneficiary on day 60 of a generated world; these passes 490.  0
 * if a key is longer (then bytesort).
 */
struct wkey {
	uint64_t k;
	uint64_t i;
};

static int
bensort(struct ben *b, size_t nb)
{
	struct wkey *a, *tmp;
	struct ben *o;
	uint64_t *w;
	size_t i;
	int j;

	for (i = 0; i < nb; i++)
		if (b[i].len > 32)
			return 0;
	w = xmalloc((nb ? nb : 1) * 4 * sizeof *w);
	for (i = 0; i < nb; i++) {
		unsigned char k[32];

		memset(k, 0, sizeof k);
		memcpy(k, b[i].s, b[i].len);
		for (j = 0; j < 4; j++) {
			uint64_t x;

			memcpy(&x, k + 8 * j, 8);
			w[4 * i + (size_t)j] = be64toh(x);
		}
	}
	a = xmalloc((nb ? nb : 1) * sizeof *a);
	tmp = xmalloc((nb ? nb : 1) * sizeof *tmp);
	for (i = 0; i < nb; i++)
		a[i].i = i;
	for (j = 3; j >= 0; j--) {
		uint64_t x = 0;

		/*
		 * The bits where the keys differ: the passes on the others,
		 * the same in every key, are not run (most of a word of
		 * digits; the fourth word's zeros).
		 */
		for (i = 0; i < nb; i++) {
			a[i].k = w[4 * a[i].i + (size_t)j];
			x |= a[i].k ^ a[0].k;
		}
		if (x != 0)
			radix_sort(a, nb, sizeof *a, tmp, __builtin_ctzll(x), x);
	}
	o = xmalloc((nb ? nb : 1) * sizeof *o);
	for (i = 0; i < nb; i++)
		o[i] = b[a[i].i];
	memcpy(b, o, nb * sizeof *b);
	free(o);
	free(tmp);
	free(a);
	free(w);
	return 1;
}

/*
 * Half of the day's beneficiaries, those whose hash's high bit is t,
 * each once (found by its hash), then sorted (bensort, else bytesort):
 * what each of two threads does at once.  bof[i], for a row i of the half, is its
 * beneficiary's number there (an array a half).
 */
struct half {
	int t;
	struct ben *b;
	size_t nb;
	struct arena keys;
	uint32_t *bof;
};

static void *
halfsort(void *arg)
{
	struct half *hf = arg;
	struct ben *b;
	uint64_t *slot, v;
	size_t cap, m, i, k, nb = 0, n = 0;
	const uint64_t t = (uint64_t)hf->t;

	for (i = 0; i < ndrows; i++)
		n += drows[i].bh >> 63 == t;
	for (cap = 1024; cap < 2 * n; cap *= 2)
		;
	m = cap - 1;
	/* A slot: the hash's high half, and the beneficiary's number + 1. */
	slot = xmalloc(cap * sizeof *slot);
	memset(slot, 0, cap * sizeof *slot);
	b = xmalloc((n ? n : 1) * sizeof *b);
	for (i = 0; i < ndrows; i++) {
		const struct drow *d = &drows[i];
		uint64_t x = d->bh;

		/* The table is far larger than the cache: its slots fetched ahead. */
		if (i + 16 < ndrows && drows[i + 16].bh >> 63 == t)
			__builtin_prefetch(&slot[drows[i + 16].bh & m]);
		if (x >> 63 != t)
			continue;
		for (k = (size_t)x & m; (v = slot[k]) != 0; k = (k + 1) & m) {
			const struct ben *e = &b[(v & 0xffffffffu) - 1];

			if (v >> 32 == x >> 32 && e->len == d->blen && memcmp(e->s, d->s, d->blen) == 0)
				break;
		}
		if (v == 0) {
			/* Its key copied, the row at hand: the keys together for the sort. */
			struct field f = { d->s, d->blen };

			b[nb].s = fdup_in(&hf->keys, &f);
			b[nb].len = d->blen;
			b[nb].id = (uint32_t)nb;
			b[nb].h = benhash(d->s, d->blen);
			b[nb].n = 0;
			v = slot[k] = (x >> 32 << 32) | (uint64_t)++nb;
		}
		hf->bof[i] = (uint32_t)(v & 0xffffffffu) - 1;
		b[hf->bof[i]].n++;
	}
	free(slot);
	if (!bensort(b, nb))
		bytesort(b, nb, sizeof *b, benkey);
	hf->b = b;
	hf->nb = nb;
	return NULL;
}

/*
 * The rows of the beneficiaries from..to - 1 of the day's order (each
 * from at[j], cnt[j] of them, in the order they came in), sorted on
 * their lines: what each of two threads does for half of them.
 */
struct lsort {
	uint32_t *ord;
	const size_t *at, *cnt;
	size_t from, to;
};

static void *
linesort(void *arg)
{
	struct lsort *ls = arg;
	uint32_t *ord = ls->ord, o;
	size_t j, i, q, a, n, end;

	if (ls->from == ls->to)
		return NULL;
	/* The rows fetched ahead up to the last of these beneficiaries, no further. */
	end = ls->at[ls->to - 1] + ls->cnt[ls->to - 1];
	for (j = ls->from; j < ls->to; j++) {
		a = ls->at[j];
		n = ls->cnt[j];
		/* Insertion costs k*k for k rows: many (a day of one beneficiary's) by qsort. */
		if (n > 64) {
			qsort(&ord[a], n, sizeof *ord, linecmp);
			continue;
		}
		for (i = a; i < a + n; i++) {
			/* The rows and their lines lie in the order they came in: fetched ahead. */
			if (i + 16 < end)
				__builtin_prefetch(&drows[ord[i + 16]]);
			if (i + 8 < end) {
				const struct drow *d = &drows[ord[i + 8]];

				__builtin_prefetch(d->s + d->blen);
			}
			if (i == a)
				continue;
			o = ord[i];
			for (q = i; q > a && lineafter(&drows[ord[q - 1]], &drows[o]); q--)
				ord[q] = ord[q - 1];
			ord[q] = o;
		}
	}
	return NULL;
}

/*
 * The beneficiaries' hashes of the rows from a to b: the reading of the
 * decisions, that holds up the claims' thread, does not hash them; two
 * threads do, each half the rows, once everything is read.
 */
struct hrange {
	size_t a, b;
};

static void *
bhash(void *arg)
{
	const struct hrange *hr = arg;
	size_t i;

	for (i = hr->a; i < hr->b; i++)
		drows[i].bh = rowhash(drows[i].s, drows[i].blen);
	return NULL;
}

static void
spawn(pthread_t *th, void *(*fn)(void *), void *arg)
{
	if ((errno = pthread_create(th, NULL, fn, arg)) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
}

/*
 * The order of the day's rows, their numbers in *op, sorted on their
 * keys (amc to line, bytes), the rows of a line in the order they came
 * in: the order bytesort gave the rows themselves, at less cost.  A day
 * has some 2.5 rows a beneficiary: the beneficiaries, found by their
 * hash, are sorted (bensort), the rows dealt to them in the order they
 * came in, and each beneficiary's few sorted on their lines.  As no
 * byte of a key is below TAB, a beneficiary before another by bytes
 * (the shorter first) puts its rows before the other's.  The
 * beneficiaries' hashes for the index, in their order, in *hp; their
 * count returned.
 *
 * It runs after everything else is read, the second core idle: the
 * beneficiaries are found and sorted in two halves at once (by their
 * hash's high bit: a beneficiary is in one), the halves merged; their
 * rows sorted on their lines in two halves at once.  The same order.
 */
static size_t
daysort(uint32_t **op, uint64_t **hp)
{
	struct half hf[2];
	struct hrange hr[2];
	struct lsort ls[2];
	pthread_t th;
	uint64_t *h;
	uint32_t *rank[2], *ord;
	size_t *at, *cnt, nb, i, j, g, a;
	int t;

	if (ndrows >= UINT32_MAX)
		die(EX_SOFTWARE, "%zu rows of the store today, more than it sorts", ndrows);
	hr[0].a = 0;
	hr[0].b = hr[1].a = ndrows / 2;
	hr[1].b = ndrows;
	spawn(&th, bhash, &hr[1]);
	bhash(&hr[0]);
	pthread_join(th, NULL);
	/* An array each: the two writing one would share its cache lines. */
	memset(hf, 0, sizeof hf);
	for (t = 0; t < 2; t++) {
		hf[t].t = t;
		hf[t].bof = xmalloc((ndrows ? ndrows : 1) * sizeof *hf[t].bof);
	}
	spawn(&th, halfsort, &hf[1]);
	halfsort(&hf[0]);
	pthread_join(th, NULL);
	/*
	 * The halves merged (a key is in one only): where each
	 * beneficiary's rows start, by its number in its half.
	 */
	nb = hf[0].nb + hf[1].nb;
	h = xmalloc((nb ? nb : 1) * sizeof *h);
	at = xmalloc((nb ? nb : 1) * sizeof *at);
	cnt = xmalloc((nb ? nb : 1) * sizeof *cnt);
	for (t = 0; t < 2; t++)
		rank[t] = xmalloc((hf[t].nb ? hf[t].nb : 1) * sizeof *rank[t]);
	for (i = j = g = a = 0; g < nb; g++) {
		const struct ben *e;

		t = j < hf[1].nb && (i == hf[0].nb || keycmp(hf[1].b[j].s, hf[1].b[j].len,
		    hf[0].b[i].s, hf[0].b[i].len) < 0);
		e = t ? &hf[1].b[j++] : &hf[0].b[i++];
		rank[t][e->id] = (uint32_t)a;
		h[g] = e->h;
		at[g] = a;
		cnt[g] = e->n;
		a += e->n;
	}
	/* The rows in order, by their numbers: four bytes moved a row, not the row. */
	ord = xmalloc((ndrows ? ndrows : 1) * sizeof *ord);
	for (i = 0; i < ndrows; i++)
		ord[rank[drows[i].bh >> 63][hf[drows[i].bh >> 63].bof[i]]++] = (uint32_t)i;
	for (t = 0; t < 2; t++) {
		free(rank[t]);
		free(hf[t].b);
		free(hf[t].bof);
		arena_free(&hf[t].keys);
	}
	/* The beneficiaries cut where half the rows are before. */
	for (g = 0; g < nb && at[g] < ndrows / 2; g++)
		;
	for (t = 0; t < 2; t++) {
		ls[t].ord = ord;
		ls[t].at = at;
		ls[t].cnt = cnt;
		ls[t].from = t ? g : 0;
		ls[t].to = t ? nb : g;
	}
	spawn(&th, linesort, &ls[1]);
	linesort(&ls[0]);
	pthread_join(th, NULL);
	free(at);
	free(cnt);
	*op = ord;
	*hp = h;
	return nb;
}

/*
 * A file of the new generation written whole: its pages sent to the
 * disk without waiting, closed, under its name in dir.tmp.  Not synced
 * here: main.c syncs the data of every output once per file system
 * (syncfs), then publishes them all; a sync a file, each waiting for
 * the journal, was a tenth of the run.
 */
static void
settle(struct pub *p, const char *path)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	if (pub_ready(p) < 0 || pub_rename(p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	tmp_track(path, 0);
}

/*
 * The index of the day's segment, just written at spath, at path: the
 * hashes h of its n beneficiaries, sorted, bucketed on their B high
 * bits, 16 bits each kept.
 */
static void
writeidx(const char *spath, const char *path, uint64_t *h, size_t n)
{
	uint64_t *tmp, ssize;
	unsigned char *buf, *dir, *ent;
	size_t i, len, nbk, bk;
	uint32_t scrc;
	struct pub p;
	int b;

	for (b = 1; b < PX_MAXB && ((size_t)1 << b) * 16 < n; b++)
		;
	/* Only the bits kept (bucket and entry) need be in order. */
	tmp = xmalloc((n ? n : 1) * sizeof *tmp);
	radix_sort(h, n, sizeof *h, tmp, 48 - b, UINT64_MAX);
	free(tmp);
	nbk = (size_t)1 << b;
	len = PX_HDR + 4 * (nbk + 1) + 2 * n + 4;
	buf = xmalloc(len);
	memset(buf, 0, PX_HDR);
	memcpy(buf, PX_MAGIC, 8);
	le_put32(buf + 8, PX_VERSION);
	le_put32(buf + 12, (uint32_t)b);
	le_put64(buf + 16, n);
	segtail(spath, &ssize, &scrc);
	le_put64(buf + 24, ssize);
	le_put32(buf + 32, scrc);
	dir = buf + PX_HDR;
	ent = dir + 4 * (nbk + 1);
	for (bk = 0, i = 0; bk <= nbk; bk++) {
		while (i < n && (bk == nbk || h[i] >> (64 - b) < bk))
			i++;
		le_put32(dir + 4 * bk, (uint32_t)i);
	}
	for (i = 0; i < n; i++) {
		uint32_t fp = (uint32_t)(h[i] >> (48 - b)) & 0xffff;

		ent[2 * i] = (unsigned char)fp;
		ent[2 * i + 1] = (unsigned char)(fp >> 8);
	}
	le_put32(buf + len - 4, crc32_buf(0, buf, len - 4));
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if (write(p.fd, buf, len) != (ssize_t)len)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	settle(&p, path);
	free(buf);
}

/*
 * The day's segment is written as whole lines, runs of RUNSZ bytes at a
 * time under their CRC-32 (ts_wlines), not a record each (ts_wfields,
 * ts_wend: a tenth of the writing's cost was their bookkeeping a row):
 * a row is made of checked fields (paid_add), NP of them, and ts_wend's
 * checks, its length and the control sum, are made here.
 */
#define RUNSZ (1 << 20)

void
paid_write(void)
{
	char path[PATH_MAX], xpath[PATH_MAX];
	struct ts_writer w;
	struct pub p;
	char meta[64], *run;
	uint64_t *h, nrun = 0;
	int64_t sum = 0, rsum = 0;
	uint32_t *ord;
	size_t i, nh, n = 0;
	int k;

	for (k = 0; k < nsegs; k++) {
		if (snprintf(path, sizeof path, "%s/%s", newtmp, segs[k].name) >= (int)sizeof path)
			die(EX_USAGE, "%s: name too long", newtmp);
		carry(segs[k].path, path);
		ncarried++;
		if (segs[k].xpath == NULL)
			continue;
		memcpy(path + strlen(path) - 4, ".idx", 4);
		carry(segs[k].xpath, path);
	}
	if (ndrows == 0)
		return;
	/* The day's segment: its rows sorted on their key, a line's in the order written. */
	nh = daysort(&ord, &h);
	if (snprintf(path, sizeof path, "%s/%s.tsv", newtmp, today_s) >= (int)sizeof path)
		die(EX_USAGE, "%s: name too long", newtmp);
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "indus-paid", 1, paidcols, NP);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	run = xmalloc(RUNSZ);
	for (i = 0; i < ndrows; i++) {
		const struct drow *d = &drows[ord[i]];

		/* The rows are read in an order not theirs in memory: fetched ahead. */
		if (i + 16 < ndrows)
			__builtin_prefetch(&drows[ord[i + 16]]);
		if (i + 8 < ndrows) {
			__builtin_prefetch(drows[ord[i + 8]].s);
			__builtin_prefetch(drows[ord[i + 8]].s + 64);
		}
		/* ts_wend's checks, in its words. */
		if (d->len > LINE_MAX_)
			die(EX_SOFTWARE, "%s: record longer than %d bytes", path, LINE_MAX_);
		if (money_add(&sum, sum, d->amount) < 0)
			die(EX_DATAERR, "%s: control sum out of range", path);
		if (n + d->len + 1 > RUNSZ || money_add(&rsum, rsum, d->amount) < 0) {
			ts_wlines(&w, run, n, nrun, rsum, crc32_buf(0, run, n));
			n = 0;
			nrun = 0;
			rsum = d->amount;
		}
		memcpy(run + n, d->s, d->len);
		n += d->len;
		run[n++] = '\n';
		nrun++;
	}
	ts_wlines(&w, run, n, nrun, rsum, crc32_buf(0, run, n));
	free(run);
	ts_wclose(&w);
	settle(&p, path);
	snprintf(xpath, sizeof xpath, "%s/%s.idx", newtmp, today_s);
	writeidx(path, xpath, h, nh);
	free(h);
	free(ord);
}

const char *
paid_newdir(void)
{
	return newtmp;
}

/* Renamed; its name synced by main.c with the other outputs'. */
void
paid_commit(const char *dir)
{
	if (rename(newtmp, dir) < 0)
		die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	tmp_untrack(newtmp);
}

/* What the store became, for the log. */
void
paid_log(void)
{
	fprintf(stderr, "indus-extract: %s: store of lines paid: %llu rows today, "
	    "%d segments linked, %d dropped\n", today_s, (unsigned long long)ndrows,
	    ncarried, npruned);
}

void
paid_free(void)
{
	int k;

	arena_free(&rowmem);
	free(drows);
	for (k = 0; k < nsegs; k++) {
		if (segs[k].mapped)
			ts_close(&segs[k].r);
		free(segs[k].path);
		free(segs[k].xpath);
		free(segs[k].maybe);
	}
	free(segs);
	free(newtmp);
	free(wanth);
	free(wantfrom);
}
