/*
 * tiers formats library: the record-stream contract, money, dates and the
 * business calendar, identifier keys, diagnostics and atomic publication.
 * Syntax only: no business rule lives here.  See tiers-stream(5).
 */
#ifndef TIERS_H
#define TIERS_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/*
 * Exit statuses, shared by every program: those of sysexits(3).
 * EX_OK 0, EX_USAGE 64 bad command line, EX_DATAERR 65 malformed input,
 * EX_NOINPUT 66 input cannot be opened, EX_SOFTWARE 70 internal error,
 * EX_CANTCREAT 73 output cannot be created, EX_IOERR 74 read or write error.
 */
#include <sysexits.h>

/*
 * Diagnostics: "prog: file:line: field: reason".  Messages name places and
 * fields, never the personal data a field holds.
 */
void setprogname_(const char *argv0);
const char *progname_(void);
void die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die_at(int status, const char *file, long line, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 5, 6), noreturn));
void warn_at(const char *file, long line, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A libxml2 message without the values it quotes (they may be a NIR). */
void xmlmsg(char *dst, size_t n, const char *msg);
/* Never NULL: they die (EX_SOFTWARE) when memory runs out. */
void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
/* a then b, in memory of their own (a directory's NAME.tmp, say). */
char *xconcat(const char *a, const char *b) __attribute__((malloc, returns_nonnull));
/* strtonum(3)-style: parse a decimal integer in [min, max] or die(EX_USAGE). */
long long numarg(const char *s, long long min, long long max, const char *what);

/*
 * Money: int64 cents, written as euros with exactly two decimals ("19.00",
 * "-4.50").  Parsing is strict and takes only what money_fmt writes:
 * optional '-', digits without a leading zero, '.', two digits; not
 * "-0.00".  (Zero-padded fixed-width amounts are lay_decode's.)
 */
enum {
	M_OK = 0, M_EMPTY, M_SYNTAX, M_COMMA, M_DECIMALS, M_OVERFLOW,
	M_ZERO
};
int money_parse(const char *s, size_t n, int64_t *cents);
const char *money_strerror(int e);
#define MONEY_BUFSZ 24
size_t money_fmt(int64_t cents, char *buf);	/* returns length */
/*
 * Overflow-checked arithmetic: return 0, or -1 on overflow (*r untouched).
 * Inline: every record's control sum goes through money_add.
 */
static inline int
money_add(int64_t *r, int64_t a, int64_t b)
{
	int64_t t;

	if (__builtin_add_overflow(a, b, &t))
		return -1;
	*r = t;
	return 0;
}

static inline int
money_sub(int64_t *r, int64_t a, int64_t b)
{
	int64_t t;

	if (__builtin_sub_overflow(a, b, &t))
		return -1;
	*r = t;
	return 0;
}
/*
 * cents × rate / 10000 (rate in basis points: 7000 = 70 %), rounded half
 * away from zero to the cent.
 */
int money_rate(int64_t *r, int64_t cents, int64_t rate_bp);

/*
 * Dates: days since 1970-01-01 (proleptic Gregorian), ISO 8601 text.
 */
#define DATE_BUFSZ 11
int date_valid(int y, int m, int d);
int32_t date_from_ymd(int y, int m, int d);
void date_to_ymd(int32_t days, int *y, int *m, int *d);
int date_parse(const char *s, size_t n, int32_t *days);	/* YYYY-MM-DD; 0 ok, -1 bad */
int date_ymd(const char *s, size_t n, int *y, int *m, int *d);	/* date_parse's, not in days */
size_t date_fmt(int32_t days, char *buf);		/* YYYY-MM-DD\0 */
int date_wday(int32_t days);				/* 0 Monday .. 6 Sunday */
int32_t date_easter(int y);				/* Easter Sunday */
/* French public holiday: returns its name, or NULL. */
const char *date_holiday(int32_t days);
int date_business(int32_t days);	/* not Saturday, Sunday or a holiday */
int32_t date_next_business(int32_t days);	/* first business day after */
int32_t date_prev_business(int32_t days);	/* last business day before */

/*
 * Identifier keys.  Each returns 1 when the identifier is well formed and
 * its key checks, 0 otherwise.  See tiers-stream(5), IDENTIFIERS.
 */
int nir_valid(const char *s, size_t n);		/* 13 characters + 2-digit key */
int nir_key(const char *s13, int *key);		/* 0 ok, -1 malformed */
int iban_valid(const char *s, size_t n);
int rib_key(const char *bank5, const char *branch5, const char *acct11, int *key);
int rib_valid(const char *s, size_t n);		/* 23 characters: bank branch account key */
int luhn_valid(const char *s, size_t n);
int luhn_key(const char *s, size_t n);	/* the digit to append, or -1 */
int siren_valid(const char *s, size_t n);
int siret_valid(const char *s, size_t n);
int rpps_valid(const char *s, size_t n);
int adeli_valid(const char *s, size_t n);
int finess_valid(const char *s, size_t n);
int bic_valid(const char *s, size_t n);		/* ISO 9362, 8 or 11 characters */
/*
 * Text for a SEPA message (formats/sepa.c): UTF-8 s[0..n) into dst, at
 * most max bytes and a NUL, in the SEPA Latin set (a-z A-Z 0-9 / - ? : (
 * ) . , ' + space): accented Latin letters lose their accent (é e, Œ OE,
 * ß ss), '&' becomes '+', anything else a space; spaces collapse and
 * trim.  Returns the length written.
 */
size_t sepa_text(char *dst, size_t max, const char *s, size_t n);
/* UTF-8 without control characters: NULL, or the bad byte's name. */
const char *text_bad(const char *s, size_t n);
/* A decimal integer, maybe negative, 12 digits at most, in [lo, hi]: 0, or -1. */
int int_parse(const char *s, size_t n, long lo, long hi, long *v);

/*
 * Plain or gzip input (formats/zin.c): zin_open takes an open file, read
 * as it is unless it starts as gzip does; gzip members, one or several,
 * are inflated and checked.  zin_read: the bytes read (at most n), 0 at
 * the end, -1 with *why set: a read error, bad gzip data, a member cut
 * short ("truncated gzip file") or bytes after the last member that do
 * not start another ("trailing garbage after gzip data").  zin_close
 * closes the file.
 */
struct zin;
struct zin *zin_open(int fd);
int zin_read(struct zin *z, char *buf, size_t n, const char **why);
void zin_close(struct zin *z);

/*
 * Input: plain or gzip files, line by line, with a reused buffer.  A
 * truncated gzip file is an error, not an end of file.
 */
#define LINE_MAX_ 65536
struct feed;
struct lines {
	struct zin *zin;
	struct feed *feed;	/* the reader thread of a regular file */
	const char *name;	/* for messages: path or "-" */
	char *buf;
	size_t cap, beg, end;
	long lineno;
	int eof;
	int nonl;		/* last line had no LF */
	/*
	 * CRC-32 of a run of lines, computed over whole buffers rather than
	 * line by line (per-call overhead dominates on short lines).
	 */
	int crcon;
	size_t crcmark;
	uint32_t crc;
};
int lines_open(struct lines *l, const char *path);	/* "-" is stdin; -1 + errno */
/*
 * Next line, without its LF: 1 and *line, *len set; 0 at end of input;
 * -1 on error with *why set (read error, truncated gzip, line too long).
 */
int lines_next(struct lines *l, char **line, size_t *len, const char **why);
void lines_close(struct lines *l);
/* crc.c: zlib's crc32(crc, p, n), for any n, faster where the CPU can. */
uint32_t crc32_buf(uint32_t crc, const void *p, size_t n);
/* Start a CRC-32 at the next line; its value up to p (a line start). */
void lines_crc_start(struct lines *l);
uint32_t lines_crc_upto(struct lines *l, const char *p);

/*
 * Record streams (tiers-stream(5)).  Header "#tiers<TAB>kind<TAB>version
 * <TAB>columns...", records, trailer "#end2<TAB>count<TAB>sum<TAB>crc32"
 * (format 2: the CRC-32 of every line before it, header included) or, in
 * streams written before format 2 and still read, "#end<TAB>..." (format
 * 1: the CRC-32 of the lines between header and trailer).
 * Money columns are those whose name ends in "_eur".
 */
#define TS_MAXCOL 256
struct field {
	const char *p;
	size_t n;
};
/* The bytes of a field, NUL-ended, in memory of their own (xmalloc). */
char *xfdup(const struct field *f);
struct ts_reader {
	struct lines in;
	char kind[64];
	int version;
	int ncol;
	char **cols;
	unsigned char *money;	/* money[i]: column i holds euros */
	int *mcol, nmcol;	/* the money columns, in order */
	char *hdr;		/* header storage */
	/* the current record */
	struct field *f;
	struct field *fbig;	/* f as ts_open made it: 32 fields of room past ncol */
	int64_t *cents;		/* parsed money columns (0 when empty) */
	const char *line;
	size_t len;
	int64_t recsum;
	/* running checks */
	uint64_t nrec;
	int64_t sum;
	/*
	 * The CRC-32 of the lines after the header (blen bytes); once the
	 * trailer is checked, the trailer's: the seal, of format seal (1:
	 * "#end", the lines after the header; 2: "#end2", the header too).
	 */
	uint32_t crc;
	uint32_t hcrc;		/* the header line's, LF included */
	uint64_t blen;
	int seal;
	int done;
	size_t hdrlen;		/* bytes of the header line, LF included */
	void *map;		/* ts_scan: the file, mapped until ts_close */
	size_t maplen;
	const char *released;	/* pages before it given back (ts_release) */
	int keepmap;		/* ts_scan: the pages read stay (fields kept) */
	int lax;		/* reseal: the trailer is neither required nor checked */
	int keepmeta;		/* ts_next returns 2 for a metadata line */
	/* error */
	long errline;
	const char *errfield;
	char errmsg[128];
};
/*
 * Open a stream and read its header; kind NULL accepts any kind, version 0
 * any version.  0 ok; -1 error (see ts_fatal / r->errmsg).
 */
int ts_open(struct ts_reader *r, const char *path, const char *kind, int version);
/*
 * 1 a record; 0 the trailer checked, end of stream; -1 error; 2 a metadata
 * line in r->line (without its '#') when r->keepmeta is set.
 */
int ts_next(struct ts_reader *r);
/*
 * The records of a stream just opened, checked as ts_next checks them and
 * handed to fn(args[p], pr) by nparts threads at once, part p holding
 * about 1/nparts of the lines, in file order.  pr is the part's own
 * reader (f, cents, line, len, recsum as after ts_next); pr->in.lineno
 * counts lines from base[p], which is known when the scan is over: a
 * record's line is base[p] + the lineno fn saw.  fn returns 0, or -1
 * after ts_error(pr, ...): that is then the scan's error.  Lines stay
 * readable until ts_close (the scan gives their pages back as it goes,
 * unless r->keepmap is set; they are mapped again if read).  A gzip file,
 * a pipe or a short file is read by ts_next in part 0 alone (base[0] =
 * 0).  0: every record handed on, the trailer checked; -1: r's error, the
 * first in file order.
 */
int ts_scan(struct ts_reader *r, int nparts,
    int (*fn)(void *arg, struct ts_reader *pr), void *const *args, long *base);
/*
 * After ts_scan: the pages of the mapping before upto may go (lines there
 * are still readable, mapped again if touched): a pass over the lines in
 * file order keeps little of the file resident.
 */
void ts_release(struct ts_reader *r, const char *upto);
/*
 * Random access to a plain stream at offsets (an index's): ts_map maps
 * the file just opened (-1: a gzip file, a pipe..., or a file shorter
 * than its header line and its newline, a data error).  ts_line checks the
 * record line starting at p, in the mapping, and sets f, cents, line,
 * len, recsum as ts_next; its line number is counted only for an error
 * (in.lineno is -1: ts_error counts it too).  ts_mapcheck checks the
 * trailer against nrec records summing to sum and the CRC-32 of the
 * lines, computed here; it uses only the mapping and r's count, sum, crc,
 * line and error fields, so that a copy of r may run it in a thread of
 * its own while ts_line reads on.  ts_mapident checks only that the
 * trailer says nrec, sum and the seal (the CRC a trailer carries): the
 * stream is the one an index was made of, without a pass over it.
 * ts_lineof: the line number of p.
 *
 * ts_reline is ts_line for a line this reader has read through already:
 * after its ts_scan over the mapping ended with the trailer checked
 * (r->done), every line's characters, fields and amounts, the count, sum
 * and CRC-32 are known good, on these very bytes.  It only splits the
 * line at p at its TABs and parses its amounts (f, cents, line, len,
 * recsum); it checks that p starts a record line of the mapping and that
 * the line has the header's count of fields, not its characters again.
 */
int ts_map(struct ts_reader *r);
int ts_line(struct ts_reader *r, const char *p);
int ts_reline(struct ts_reader *r, const char *p);
int ts_mapcheck(struct ts_reader *r, uint64_t nrec, int64_t sum);
int ts_mapident(struct ts_reader *r, uint64_t nrec, int64_t sum, uint32_t seal);
long ts_lineof(const struct ts_reader *r, const char *p);
/*
 * Give back the mapped pages wholly inside [a, b) of a read-only file
 * mapping: they stay readable, mapped again from the page cache if
 * touched.  Returns b.
 */
const char *pages_release(const char *a, const char *b);
/*
 * Copy n bytes from src to dst (not overlapping), 4 MiB at a time, the
 * whole pages of src behind given back as it goes: an array moved into
 * another is never twice in memory.  src is then garbage, to be freed.
 */
void movein(void *dst, const void *src, size_t n);
/*
 * In a mapped stream sorted byte by byte on its lines' starts, the first
 * line in [lo, hi) (both line starts) whose start is key (klen bytes) or
 * after it: a binary search over the bytes, each probe on the line that
 * starts after its middle (found forward), the last few lines one by
 * one.  ts_before: is the line at p (its end at hi at most) before key?
 */
const char *ts_seek(const char *lo, const char *hi, const char *key, size_t klen);
int ts_before(const char *p, const char *hi, const char *key, size_t klen);
void ts_maprecs(struct ts_reader *r, const char *path, const char **rec, const char **end);

/* sha256.c (link with -lcrypto): a file's SHA-256 in hex. */
#define SHA256_HEXSZ 65
int sha256_fd(int fd, char hex[SHA256_HEXSZ]);
/*
 * sha256mb.c (link with -lcrypto): the SHA-256 of up to 16 buffers at
 * once, each in a lane of the processor's vectors (AVX-512: 16 lanes,
 * AVX2: 8, SSE2: 4, plain C: 1), digests identical to libcrypto's.
 * sha256mb_new(0) takes the width of least cost a lane and moves the
 * lanes to narrower ones as they fall idle, a lane alone to libcrypto's
 * code for one stream; sha256mb_new(w) keeps to the widest of ours of at
 * most w lanes (1, 4, 8 or 16), the test knob.  sha256mb_width tells
 * which.
 * For the tests, sha256mb_impl names the k-th compression function the
 * processor runs (its width in *w; NULL past the last) and
 * sha256mb_new_impl(k) makes an engine of it alone.
 * sha256mb_add starts hashing n bytes at buf (kept until its digest is
 * taken) under id, when sha256mb_room is above 0; sha256mb_next hashes
 * until a lane is done and gives its id and digest: 1, or 0 when no lane
 * is in use; sha256mb_step likewise, but after one step of the lanes at
 * most (a release's bytes each, sha256mb_release, or all they have)
 * returns -1 if none is done then, so that its caller may add buffers
 * come meanwhile.  sha256mb_reset drops every lane (after a SIGBUS in a
 * buffer: the engine is left as it was before the step).
 */
struct sha256mb;
struct sha256mb *sha256mb_new(int width);
int sha256mb_width(int width);
const char *sha256mb_impl(int k, int *w);
struct sha256mb *sha256mb_new_impl(int k);
int sha256mb_room(const struct sha256mb *mb);
void sha256mb_add(struct sha256mb *mb, const void *buf, size_t n, size_t id);
/*
 * The buffers added from now on are files mapped (mmap, MAP_SHARED): the
 * pages a lane has hashed are given back every bytes (pages_release),
 * so that the engine's resident set is not the files' sizes.
 */
void sha256mb_release(struct sha256mb *mb, size_t bytes);
int sha256mb_next(struct sha256mb *mb, size_t *id, unsigned char md[32]);
int sha256mb_step(struct sha256mb *mb, size_t *id, unsigned char md[32]);
void sha256mb_reset(struct sha256mb *mb);
void sha256mb_free(struct sha256mb *mb);
/* A digest in lower-case hex, NUL-ended. */
void sha256_hex(const unsigned char md[32], char hex[SHA256_HEXSZ]);
/* Set r's error at its current line: returns -1. */
int ts_error(struct ts_reader *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Two streams read one for one, in step (the claims and their
 * decisions): 1 a record of each, 0 both ended; dies at the stream that
 * ends first ("fewer records than the <other's name>") or at an error.
 */
int ts_step(struct ts_reader *a, struct ts_reader *b, const char *field, const char *aname,
    const char *bname);
/* The same for the results ka and kb of ts_next on a and b, read otherwise. */
int ts_stepped(struct ts_reader *a, int ka, struct ts_reader *b, int kb, const char *field,
    const char *aname, const char *bname);
int ts_col(const struct ts_reader *r, const char *name);	/* index or -1 */
int ts_needcol(struct ts_reader *r, const char *name);	/* index or die */
void ts_fatal(const struct ts_reader *r) __attribute__((noreturn));
void ts_perror(const struct ts_reader *r);
void ts_close(struct ts_reader *r);

struct ts_writer {
	int fd;
	const char *name;
	char *buf;
	size_t len, cap;
	size_t rec;		/* start of the record being built */
	size_t crcfrom;		/* start of the lines not yet in crc */
	int ncol, nf;
	unsigned char *money;
	short *mnext;		/* mnext[i]: the first money column from i, or ncol */
	int64_t recsum;
	uint64_t nrec;
	int64_t sum;
	uint32_t crc;
	/* checkpoint: see ts_wmark */
	int marked;		/* 1 into the spool, 2 into a regular file */
	int spoolfd;
	long long spooled, moff;
	uint64_t mnrec;
	int64_t msum;
	uint32_t mcrc;
	int mem;		/* a part (ts_wpart): in memory only */
};
void ts_wopen(struct ts_writer *w, int fd, const char *name, const char *kind,
    int version, const char *const *cols, int ncol);
/*
 * ts_wstr and ts_wmeta die (EX_SOFTWARE) on text no reader would read
 * back: a control character (TAB but in metadata), DEL, bytes that are
 * not UTF-8.  ts_badbyte: the offset of the first such byte of s, or n;
 * a filter checks its input fields with it, to refuse them at their line.
 */
size_t ts_badbyte(const char *s, size_t n, int tab);
void ts_wstr(struct ts_writer *w, const char *s, size_t n);
/*
 * ts_wstr for text the caller checked with ts_badbyte (tab 0), once, on
 * these bytes (a table's labels, as it was loaded): not checked again,
 * but in the first field or a money column, where ts_wstr's way is kept.
 */
void ts_wchecked(struct ts_writer *w, const char *s, size_t n);
void ts_wcstr(struct ts_writer *w, const char *s);
void ts_wmoney(struct ts_writer *w, int64_t cents);
void ts_wint(struct ts_writer *w, long long v);
void ts_wdate(struct ts_writer *w, int32_t days);
void ts_wend(struct ts_writer *w);
void ts_wcopy(struct ts_writer *w, const struct ts_reader *r);	/* current record as is */
/*
 * The n fields of r's current record from column col, as they are: their
 * bytes were checked by r as ts_wstr checks them, and where both columns
 * are money r's amounts are taken as parsed; the others ts_wstr's way.
 */
void ts_wcols(struct ts_writer *w, const struct ts_reader *r, int col, int n);
/* ts_wcols of n[i] fields from column col[i], for each i < nrun, in one call. */
void ts_wruns(struct ts_writer *w, const struct ts_reader *r, const int *col, const int *n,
    int nrun);
/*
 * The first nf fields of a record, as a line read from a stream verified
 * earlier (nf fields, TAB-separated, no LF), with the sum of its money
 * columns; more fields may follow before ts_wend.
 */
void ts_wfields(struct ts_writer *w, const char *line, size_t len, int nf, int64_t recsum);
void ts_wmeta(struct ts_writer *w, const char *text);	/* "#text" line */
void ts_wclose(struct ts_writer *w);	/* trailer, flush; dies on error */
/*
 * Checkpoints: records written after ts_wmark are held aside until
 * ts_wcommit sends them on, or ts_wdrop forgets them (count, sum and CRC
 * back to what they were at the mark).  Into a regular file they are
 * written on and cut off by a drop; into a pipe they are kept in memory
 * (64 MiB at most), then in an unlinked temporary file under $TMPDIR
 * (0600).
 */
void ts_wmark(struct ts_writer *w);
/*
 * Parts: ts_wpart opens p, a writer into memory of records of w's shape
 * (another thread may fill it); ts_wappend writes p's records after w's,
 * counted, summed and in the CRC-32 as if written to w, and frees p.
 */
void ts_wpart(struct ts_writer *p, const struct ts_writer *w);
void ts_wappend(struct ts_writer *w, struct ts_writer *p);
/*
 * Whole record lines of a stream copied as they are (n bytes, the last
 * a newline): nrec records summing to sum, crc the CRC-32 of the n bytes
 * (the caller's, computed once as it checks where they come from).
 */
void ts_wlines(struct ts_writer *w, const char *p, size_t n, uint64_t nrec, int64_t sum,
    uint32_t crc);
void ts_wcommit(struct ts_writer *w);
void ts_wdrop(struct ts_writer *w);

/* Little-endian integers of the binary files (tiers-history(5), benef-index(5)). */
static inline void
le_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
le_put64(unsigned char *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t
le_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
le_get64(const unsigned char *p)
{
	return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

/*
 * A 64-bit hash's bits mixed (half of MurmurHash3's finalizer): the keys'
 * hashes of benefkey.c and indus-extract's store end with it.
 */
static inline uint64_t
hash_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/*
 * n bytes, 16 at most, copied exactly: two words (or halves, or bytes)
 * that overlap, no call to memcpy (which cost as much again for a field
 * of a few bytes), nothing read or written past them.  The writers of
 * streams and fixed-width records copy their fields with it.
 */
static inline void
few_cpy(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t c, e;

	if (n >= 8) {
		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		__builtin_memcpy(&c, s, 4);
		__builtin_memcpy(&e, s + n - 4, 4);
		__builtin_memcpy(d, &c, 4);
		__builtin_memcpy(d + n - 4, &e, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

/*
 * Beneficiary identity keys (liquidate(1)): the exact identity (amc, nir,
 * nir_key, rang, birth_date) and two reconciliation keys (amc, benef_nir
 * or else nir, rang) and (amc, birth_date, rang, adherent), hashed to 64
 * bits, never 0.  bk_cols finds a master's key columns (or dies);
 * bk_fields reads them from the current record (-1 after ts_error).
 */
enum { BK_EXACT, BK_NIRRANG, BK_BIRTH, BK_NKIND };
enum { BK_AMC, BK_NIR, BK_KEY, BK_BNIR, BK_BIRTH_DATE, BK_RANG, BK_ADH, BK_NCOL };
struct bk_rec {
	char amc[16], nir[14], key[3], bnir[14], adh[64];
	long rang;
	int32_t birth;
};
/* A key's fields where they are: a record's (bk_keyof) or a claim's. */
struct bk_key {
	struct field amc, nir, key, bnir, adh;
	long rang;
	int32_t birth;
};
uint64_t bk_hash(int kind, const struct bk_key *k);
void bk_keyof(const struct bk_rec *m, struct bk_key *k);
void bk_cols(struct ts_reader *r, int *c);
int bk_fields(struct ts_reader *r, const int *c, struct bk_rec *m);
void bk_hashes(const struct bk_rec *m, uint64_t *h);

/*
 * A master's index (benef-index(5)), mapped: BX_HDR bytes of header, a
 * directory of 2^bits + 1 entry numbers, the entries (hash, offset << 2 |
 * kind) sorted, a CRC-32.  bx_open checks its header and directory and
 * that it was made of the master m (mapped: ts_map): its size and header
 * line; the trailer is ts_mapcheck's, against mrec and msum.  bx_verify
 * checks the CRC-32 (a pass over the file).  -1: x->err says why;
 * noinput set when the file could not be opened.
 */
#define BX_MAGIC "TIERSIDX"
#define BX_VERSION 1
#define BX_HDR 64
struct bx {
	const char *name;
	const unsigned char *map, *dir, *ent;
	size_t len;
	int bits, noinput;
	uint64_t n, msize, mrec;
	int64_t msum;
	uint32_t mcrc, mhdrcrc;
	char err[160];
};
int bx_open(struct bx *x, const char *path, const struct ts_reader *m);
void bx_bucket(const struct bx *x, uint64_t h, uint64_t *lo, uint64_t *hi);
void bx_entry(const struct bx *x, uint64_t i, uint64_t *h, uint64_t *ref);
int bx_verify(struct bx *x);
void bx_close(struct bx *x);
/*
 * An index's entry (a key's hash; the offset of its record << 2 | its
 * kind), and the index written to fd (name for messages; dies on a write
 * error): the header for the master of msize bytes, nrec records
 * summing to sum, sealed by seal, its header line's CRC-32 hcrc; the
 * directory dir of 2^bits + 1 entry numbers; the n entries e, sorted;
 * the CRC-32 of it all.  benef-index and benef-integrate -x write the
 * same bytes by it.
 */
struct bx_ent {
	uint64_t h, ref;
};
void bx_write(int fd, const char *name, int bits, const uint64_t *dir, const struct bx_ent *e,
    uint64_t n, uint64_t msize, uint64_t nrec, int64_t sum, uint32_t seal, uint32_t hcrc);
/* The same, its n entries in order from next (up to max into buf a call: how many). */
void bx_write_src(int fd, const char *name, int bits, const uint64_t *dir, uint64_t n,
    size_t (*next)(void *, struct bx_ent *, size_t), void *ctx, uint64_t msize,
    uint64_t nrec, int64_t sum, uint32_t seal, uint32_t hcrc);
/* The entries of a record at offset off (its BK_NKIND hashes h) added to *e (*n of *cap). */
void bx_add(struct bx_ent **e, size_t *n, size_t *cap, const uint64_t *h, uint64_t off);
/* The index's order: on the hash, then the reference. */
int bx_entcmp(const struct bx_ent *a, const struct bx_ent *b);

/*
 * Atomic publication: write to a temporary name in the destination's
 * directory (mode 0600), then fsync, rename and fsync the directory.
 * Nothing appears under the final name unless pub_commit succeeds.  A
 * final name that exists and is not a regular file (a directory, a
 * device, a FIFO, a symbolic link) is never replaced: pub_open and
 * pub_commit die(EX_CANTCREAT), the temporary removed.
 */
struct pub {
	int fd;
	char *final;
	char *tmp;
};
int pub_open(struct pub *p, const char *final);	/* -1 + errno */
int pub_commit(struct pub *p);			/* -1 + errno, temp removed */
void pub_abort(struct pub *p);
/*
 * For many files published together (a statement a PS: thousands), one
 * fsync each would take seconds: pub_ready closes one written whole
 * (its descriptor freed at once, its data not synced); pub_syncfs(final)
 * syncs the file system that holds final's directory, all the ready
 * files on it at once (syncfs(2)), before any of them is renamed;
 * pub_rename puts a file under its final name (syncing it first if it
 * was not made ready) without syncing the directory, which
 * pub_syncdir(final) then does once for all the names it holds.
 * pub_commit is pub_rename and pub_syncdir.  Each -1 + errno.
 */
int pub_ready(struct pub *p);
int pub_syncfs(const char *final);
/*
 * pub_syncfs_once(path, final): pub_syncfs(final) unless this process
 * already synced the file system that holds path (a temporary of final,
 * or a directory made there): one syncfs a file system for a program's
 * outputs, whatever their number.
 */
int pub_syncfs_once(const char *path, const char *final);
int pub_rename(struct pub *p);
int pub_syncdir(const char *final);
/*
 * Temporary files (they may hold health data) are removed on every exit:
 * exit and die(), and SIGHUP, SIGINT and SIGTERM, after which the
 * program dies of the signal.  tmp_track names a file (dir 0) or a
 * directory (dir 1, removed with the files it holds) to remove;
 * tmp_untrack forgets it (it was renamed into place, or removed), and
 * for a directory the names under it.
 * tmp_dir is the program's own scratch directory under $TMPDIR (or
 * /tmp), made mode 0700 on the first call; tmp_open creates a file there,
 * mode 0600, and gives its path.  tmp_fork forks a child that will work
 * there and exec (sort -T): a signal is passed on to it and it is waited
 * for before the removal; it must leave by exec or _exit, not exit.
 * tmp_wait waits for it (waitpid): 0, or -1 + errno.
 */
void tmp_track(const char *path, int dir);
void tmp_untrack(const char *path);
const char *tmp_dir(void);
int tmp_open(const char *name, char **path);
pid_t tmp_fork(void);
int tmp_wait(pid_t pid, int *status);

/* Close stdout checking for errors (a full disk, a closed pipe). */
void fshut_stdout(void);

#endif
