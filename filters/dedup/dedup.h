/*
 * dedup: what its files share.  segment.c reads the history (or ledger)
 * segments and their manifest, looks keys up in them and writes a new
 * generation; key.c hashes a claim's keys; judge.c gives the day's
 * verdicts in a thread of its own: the repeats of the day a batch of
 * claims at a time, then the day's new keys in one pass over the history;
 * ledger.c builds the ledger of paid lines (-B); control.c is the a
 * posteriori control (-A); main.c reads the claims and orchestrates.
 * See dedup(1), tiers-history(5) and tiers-ledger(5).
 */
#ifndef DEDUP_H
#define DEDUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "tiers.h"

#define MAGIC "TIERSHIS"
#define TMAGIC "TIERSEND"
#define HDRSZ 16
#define RECSZ 24		/* a history record */
#define LEDSZ 40		/* a ledger record */
#define TRLSZ 24
#define MAXSEG 30		/* at most, live: see mergefrom in segment.c */

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
	const unsigned char *flt;	/* its filter (bloom.c), or NULL */
	size_t fltlen;
	uint64_t fnb;
	unsigned fk;
};

/*
 * A history, or a ledger of paid lines: its segments in the manifest's
 * order, their record size, and the window (records of a day before
 * cutoff are not read).
 */
struct hist {
	struct seg *seg;
	int nseg;
	int ledger;
	size_t rsz;
	int32_t cutoff;
};

/*
 * A reader's refusal: status (sysexits), the file, the line (0: none),
 * the field (empty: none) and the reason.  hfatal prints it as
 * "dedup: file:line: field: reason" and exits with the status.
 */
struct herr {
	int status;
	char file[PATH_MAX];
	long line;
	char field[256];
	char msg[256];
};

/* Record i of segment s. */
static inline void
getkey(const struct seg *s, size_t i, struct key *k)
{
	const unsigned char *p = s->map + HDRSZ + i * s->rsz;

	k->hi = le_get64(p);
	k->lo = le_get64(p + 8);
	k->day = (int32_t)le_get32(p + 16);
	k->rec = le_get32(p + 20);
	if (s->rsz == LEDSZ) {
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
static inline int
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

/*
 * Ask for the lines where a key a few places ahead in the batch will be
 * looked for, guessed as gallop() guesses: the segments are read at
 * memory speed rather than a miss at a time.
 */
static inline __attribute__((always_inline)) void
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

/*
 * segment.c.  loadhist maps and checks the segments the manifest of dir
 * lists (h->ledger, h->rsz and h->cutoff set first); full: the CRC
 * and order of every record of the last segment too (the one the
 * generation added; the others were checked as the generation
 * before's).  0, or -1 with e filled; either way closehist gives back
 * what h holds.
 */
int loadhist(struct hist *h, const char *dir, int full, struct herr *e);
void closehist(struct hist *h);
/* Give back the mapped pages of records from to to (whole pages). */
void segrelease(const struct seg *s, size_t from, size_t to);
void hfatal(const struct herr *e) __attribute__((noreturn));
/* Start writing out fd's pages (every WBACK bytes written), not waiting. */
#define WBACK ((size_t)8 << 20)
void writeback(int fd);
/* The first record of s with hash >= (hi, lo), from anywhere; from from. */
size_t seek(const struct seg *s, uint64_t hi, uint64_t lo);
size_t gallop(const struct seg *s, size_t from, uint64_t hi, uint64_t lo);
/*
 * The records of a key in the window, of kind in a ledger, appended to
 * *v (see segment.c); the one of them a lookup finds, their nets in
 * their amounts.
 */
size_t gather(const struct hist *h, uint64_t hi, uint64_t lo, int kind, size_t *cursor,
    struct key **v, size_t *nv, size_t *cap);
/*
 * The same, cursor given, with may: MAYSET and bit s set for each segment
 * s < MAYSEG in the window whose filter may hold the key (as judge.c's
 * ahead finds them), the others looked at as gather does; without
 * MAYSET, gather.
 */
#define MAYSEG 63
#define MAYSET ((uint64_t)1 << 63)
size_t gathermay(const struct hist *h, uint64_t hi, uint64_t lo, int kind, size_t *cursor,
    uint64_t may, struct key **v, size_t *nv, size_t *cap);
int weigh(const struct hist *h, const struct key *c, size_t n, int kind, struct key *found);
/*
 * What the line (day, rec) of a ledger, its identity hashed to (hi, lo),
 * was paid net: its movements added to *amount; 0, or -1 with e filled.
 * cursor NULL: a seek in each segment; else a gallop from cursor[s].
 */
int netpaid(const struct hist *h, uint64_t hi, uint64_t lo, int32_t day, uint32_t rec,
    int64_t *amount, size_t *cursor, struct herr *e);
/*
 * The oldest record of the key in the window (see segment.c): 1 found, 0
 * not, -1 with e filled (a ledger's amounts out of range).  cursor NULL:
 * a seek in each segment; else a gallop from cursor[s], moved.
 */
int lookupk(const struct hist *h, uint64_t hi, uint64_t lo, int kind, struct key *found,
    size_t *cursor, struct herr *e);
int lookup(const struct hist *h, uint64_t hi, uint64_t lo, struct key *found,
    size_t *cursor, struct herr *e);
/*
 * The new generation of business day day in newdir.tmp: dir's live
 * segments of h and the day's nday records, in order, given by get.
 */
void writegen(const struct hist *h, const char *dir, const char *newdir, int32_t day,
    void (*get)(size_t, struct key *), size_t nday);

/*
 * bloom.c: a segment's filter of its keys (tiers-ledger(5)), a blocked
 * Bloom filter beside it: a block of 512 bits chosen by the high word of
 * the hash, k bits in it by 9-bit slices of the low word, so a probe
 * reads one cache line, and the blocks are in the segment's order.
 */
#define FMAGIC "TIERSFLT"
#define FLTHDR 64
#define FLTBLK 64		/* bytes: 512 bits, a cache line */
#define FLTK 7			/* bits a key */
#define FLTBITS 16		/* bits of filter a record */

static inline uint64_t
fltblock(uint64_t hi, uint64_t nb)
{
	return ((hi >> 32) * nb) >> 32;
}

/* 0: the key is not in s; 1: it may be (or s has no filter). */
static inline int
fltmaybe(const struct seg *s, uint64_t hi, uint64_t lo)
{
	const unsigned char *b;
	unsigned i, bit;

	if (s->flt == NULL)
		return 1;
	b = s->flt + FLTHDR + fltblock(hi, s->fnb) * FLTBLK;
	for (i = 0; i < s->fk; i++, lo >>= 9) {
		bit = (unsigned)(lo & 511);
		if (!((b[bit >> 3] >> (bit & 7)) & 1))
			return 0;
	}
	return 1;
}

/* The filter's file name of segment seg in dir. */
void fltpath(char *buf, size_t cap, const char *dir, const char *seg);
/*
 * Map the filter of s in dir if it has one: 0 (none, or mapped and its
 * header and size right for s), or the reason it is refused, its field
 * in *field.
 */
const char *fltload(struct seg *s, const char *path, const char **field);
/* Its blocks against their CRC: NULL, or the reason. */
const char *fltcheck(const struct seg *s);
/* Give back the pages of s's filter before the block of hi (all: hi UINT64_MAX). */
void fltrelease(const struct seg *s, uint64_t hi, uint64_t *rel);

/*
 * A filter written with its segment, in the segment's order: blocks
 * cur to end (a part of it written by another thread: fltpart), the
 * header at close.
 */
struct fltw {
	int fd;
	char path[PATH_MAX];
	uint64_t nb, cur, start, end;
	off_t off;		/* where buf goes in the file */
	size_t used;
	uint32_t crc;
	unsigned char buf[65536];
};
void fltopen(struct fltw *f, const char *dir, const char *seg, uint64_t nkeys);
void fltpart(struct fltw *p, struct fltw *f, uint64_t from);
void fltflush(struct fltw *f);
void fltjoin(struct fltw *f, const struct fltw *p);
void fltclose(struct fltw *f, uint64_t n, uint32_t segcrc);
void fltsync(struct fltw *f);
void fltwrite(const char *dir, const char *name, const unsigned char *map, uint64_t n,
    size_t rsz, uint32_t crc);

/* Block b made the current one, the blocks before it done (bloom.c). */
void fltto(struct fltw *f, uint64_t b);

/*
 * A key into the filter: inlined, as it is called for every record a
 * generation writes (a merge's millions); a block holds 32 keys, and
 * the next block is a call.
 */
static inline __attribute__((always_inline)) void
fltadd(struct fltw *f, uint64_t hi, uint64_t lo)
{
	uint64_t b = fltblock(hi, f->nb);
	unsigned char *p;
	unsigned bit;

	if (b != f->cur || b >= f->end)
		fltto(f, b);
	p = f->buf + f->used;
	/* The FLTK bits spelt out: a loop's turns cost as much as the bits. */
#if FLTK != 7
#error "fltadd sets 7 bits a key: FLTK changed"
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/*
	 * Bit b of the block is bit b % 64 of its little-endian word b / 64:
	 * the same byte and bit, a shift that needs no mask.
	 */
#define FLTSET(j) do { \
	uint64_t w_; \
	bit = (unsigned)(lo >> (9 * (j))) & 511; \
	__builtin_memcpy(&w_, p + (bit >> 6) * 8, 8); \
	w_ |= (uint64_t)1 << (bit & 63); \
	__builtin_memcpy(p + (bit >> 6) * 8, &w_, 8); \
} while (0)
#else
#define FLTSET(j) (bit = (unsigned)(lo >> (9 * (j))) & 511, \
	p[bit >> 3] |= (unsigned char)(1u << (bit & 7)))
#endif
	FLTSET(0);
	FLTSET(1);
	FLTSET(2);
	FLTSET(3);
	FLTSET(4);
	FLTSET(5);
	FLTSET(6);
#undef FLTSET
}

/* key.c: the keys of a claim, hashed. */
void hash128(const char *s, size_t n, uint64_t *hi, uint64_t *lo);
void idhash(int32_t day, uint32_t rec, uint64_t *hi, uint64_t *lo);
/* The key's fields, by name, in the order they are hashed. */
extern const char *const keycols[];
enum { K_PSKIND, K_PSNUM, K_INVOICE, K_NIR, K_BNIR, K_BIRTH, K_RANG,
	K_ACT, K_FR, K_ACTDATE, K_TOTAL, K_INVDATE, NKC };
/*
 * The 3.1.8 key of fields f[c[K_...]] in buf (its amounts read by
 * money_parse: their text canonical); its length, 0 if it is cap or more.
 */
size_t normkey(const struct field *f, const int *c, char *buf, size_t cap);
/* The line key's fields (a ledger's), by name. */
enum { L_PSKIND, L_PSNUM, L_INVOICE, L_LINE, L_REFINV, L_REFLINE, NLC };
extern const char *const linecols[NLC];
/* The line key of fields f, the line's f[lc[L_...]] (-1: absent), hashed. */
void linehash(const struct field *f, const int *lc, const int *c, uint64_t *hi, uint64_t *lo);
/* A fingerprint of its first fields (see key.c), or 0: a '|' in them. */
uint64_t linefp(const struct field *f, const int *lc);

/* main.c: the run's parameters; the history or ledger of -h. */
extern int32_t today;
extern char today_s[DATE_BUFSZ];
extern struct hist hist;

/* The claims' mapped lines before upto written (main.c). */
void claimsrelease(const char *upto);
/* The line key of a paid claim rec whose item holds its fingerprint (main.c). */
struct item;
void claimline(const struct item *x, uint32_t rec, uint64_t *hi, uint64_t *lo);

/* judge.c: zeroed memory in huge pages where they are given; its size to free it. */
void *bigalloc(size_t n);
void bigfree(void *p, size_t n);

/* judge.c: the day judged: batch by batch, then in one pass. */
enum { V_FIRST, V_INTRA, V_INTER, V_ADJUST, V_OTHER /* another shard's */ };
extern const char *const vnames[];
#define BATCH 65536		/* claims */
#define BATCHTEXT (16 << 20)	/* bytes of claim lines */
struct item {
	uint64_t hi, lo;
	/*
	 * The line key (ledger); a paid claim's mapped line: its
	 * fingerprint in lhi (linefp), the key made when needed (claimline).
	 * An adjustment's fingerprint is in hi.
	 */
	uint64_t lhi, llo;
	int64_t recsum;
	int64_t paid;		/* adjustments: the net paid on the line referred to */
	uintptr_t at;		/* its line: at bytes into the text, or (mapped) its address */
	uint32_t len;
	uint32_t refrec;	/* duplicates: the claim they repeat */
	int32_t refday;
	unsigned char verdict, hasref, haspaid, mapped;
};
struct batch {
	struct item *it;
	size_t n;
	char *text;		/* BATCHTEXT bytes: lines are shorter (those not mapped) */
	size_t tlen;
	uint32_t rec0;		/* record number of it[0] */
	int full;
};
/* What the judging thread writes to, and counts. */
extern struct ts_writer out;
extern int shard, nshard, ncol;
extern uint64_t counts[4], nout;
void judgeinit(void);
void *judging(void *arg);
struct batch *getbatch(void);
void putbatch(struct batch *b, int last);
void judged(void);
void judgedone(void);
/* The day's first-seen keys of a history, in key order after judgedone. */
extern size_t nfirst;
void getfirst(size_t j, struct key *k);
void freefirst(void);

/* ledger.c: dedup -B. */
int buildledger(int argc, char **argv, const char *decisions, const char *hdir,
    const char *newhdir);

/* control.c: dedup -A. */
int control(int argc, char **argv, const char *output);

#endif
