/*
 * The day's returns, from its outcomes (reject-code(1)):
 *
 * - to the PS (tiers-psreturn(5)): each invoice line it sent and what
 *   became of it (paid with the amount and the transfer's reference,
 *   rejected with the code and its label, on hold until a date, to be
 *   recovered), as a sealed stream and as a fixed-width file of a layout
 *   (formats/returns/ps-return.lay, the project's own), grouped by PS;
 * - to each client (tiers-clientreturn(5), general conditions 3.1.4 and
 *   annex 5): every line processed for it, the lines it must pay itself
 *   (no tiers payant) among them, as a sealed stream and as CSV.
 *
 * The outcomes come in the order of the claims.  A client's lines are
 * the outcomes' in their order: each is written as it is read.  The PS
 * return is grouped by PS: each PS's outcomes are listed as they are
 * read, the PS sorted, and the outcomes read again, a PS after the other.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>

#include "arena.h"
#include "reject.h"

extern const char builtin_psreturn[];

/* The names a PS return layout may use. */
static const char *const laynames[] = {
	"file_date", "ps_kind", "ps_number", "invoice", "line_no", "act_date",
	"act_code", "fr_eur", "amc_eur", "recover_eur", "outcome", "code",
	"decide_by", "claim", "payment_ref", "count", "total_eur", "fr_total_eur"
};
enum {
	Y_DATE, Y_PSKIND, Y_PSNUM, Y_INVOICE, Y_LINENO, Y_ACTDATE, Y_ACT, Y_FR,
	Y_AMC, Y_RECOVER, Y_OUTCOME, Y_CODE, Y_BY, Y_CLAIM, Y_PAYREF, Y_COUNT,
	Y_TOTAL, Y_FRTOTAL, NY
};

const struct layout *
returns_layout(const char *file)
{
	const struct layout *l;
	char err[256], *text = NULL;
	const char *src = "ps-return (built in)";

	if (file != NULL) {
		FILE *fp = fopen(file, "r");
		size_t n = 0, cap = 0, k;

		if (fp == NULL)
			die(EX_NOINPUT, "%s: %s", file, strerror(errno));
		do {
			if (cap - n < 4096)
				text = xrealloc(text, cap = cap ? 2 * cap : 8192);
			k = fread(text + n, 1, cap - n - 1, fp);
			n += k;
		} while (k > 0 && n < (1 << 16));
		if (ferror(fp) || n >= (1 << 16) || memchr(text, '\0', n) != NULL)
			die_at(EX_DATAERR, file, 0, "layout", "unreadable, 64 KiB or more, or a NUL byte");
		fclose(fp);
		text[n] = '\0';
		src = file;
	}
	l = lay_load(src, text != NULL ? text : builtin_psreturn, laynames, NY, err, sizeof err);
	if (l == NULL)
		die(file != NULL ? EX_DATAERR : EX_SOFTWARE, "%s", err);
	free(text);
	if (lay_find(l, "000", 3) == NULL || lay_find(l, "100", 3) == NULL ||
	    lay_find(l, "200", 3) == NULL || lay_find(l, "900", 3) == NULL ||
	    lay_find(l, "999", 3) == NULL)
		die_at(file != NULL ? EX_DATAERR : EX_SOFTWARE, src, 0, "record",
		    "a PS return layout has records 000, 100, 200, 900 and 999");
	return l;
}

/*
 * The outputs, published together at the end: the PS return's two in
 * pubs, the clients' in dirpubs, which a thread of their own may open
 * while the PS return's are (returns_write with two jobs).
 */
static struct pub pubs[2];
static int npub;
static struct pub *dirpubs;
static size_t ndirpub;

void
returns_commit(void)
{
	int i;
	size_t j;

	for (i = 0; i < npub; i++)
		if (pub_commit(&pubs[i]) < 0)
			die(EX_IOERR, "a return: %s", strerror(errno));
	for (j = 0; j < ndirpub; j++)
		if (pub_commit(&dirpubs[j]) < 0)
			die(EX_IOERR, "a client return: %s", strerror(errno));
	free(dirpubs);
}

static struct pub *
newpub(const char *path, int cl)
{
	struct pub *p;

	if (!cl) {
		if (npub == 2)
			die(EX_SOFTWARE, "%s: a third PS return", path);
		p = &pubs[npub++];
	} else {
		dirpubs = xrealloc(dirpubs, (ndirpub + 1) * sizeof *dirpubs);
		p = &dirpubs[ndirpub++];
	}
	if (pub_open(p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	return p;
}

/* Column of the outcomes by name. */
static int
ocol(const char *name)
{
	int i;

	for (i = 0; i < nocols; i++)
		if (strcmp(ocols[i], name) == 0)
			return i;
	die(EX_SOFTWARE, "outcome column %s", name);
}

/* The client a line is returned to: its AMC number, else unattributed. */
static struct field
clientof(const struct field *a)
{
	static const struct field unattributed = { "unattributed", 12 };

	if (a->n == 0 || a->n > 15 || strspn(a->p, "0123456789") < a->n)
		return unattributed;
	return *a;
}

/*
 * Columns of the outcomes copied into a return (ocol's, -1: computed
 * there), in runs of columns that follow each other in the outcomes,
 * each from column first[]: each run is written at once, the runs of a
 * record in one call (ts_wruns).
 */
static int
runs(const int *c, int n, int *run, int *first)
{
	int i, nrun = 0;

	for (i = 0; i < n; i++)
		if (i > 0 && c[i] >= 0 && c[i - 1] >= 0 && c[i] == c[i - 1] + 1)
			run[nrun - 1]++;
		else {
			first[nrun] = c[i];
			run[nrun++] = 1;
		}
	return nrun;
}

/*
 * A file of the returns written through a buffer of its own, a write(2)
 * when a line ends past OBUFSZ bytes: stdio's fwrite, a call a line (and
 * a copy of it), cost more than the CSV line or the fixed-width record
 * it wrote.  A CSV line is built in place, where it is written from.
 */
#define OBUFSZ (1 << 16)
#define QCOPY 48		/* csvmemo's copies of short quoted fields */

struct obuf {
	char *b;
	size_t len, cap;
	size_t ls;		/* where the line being built starts */
	int fd;
	const char *path;
};

static void
oopen(struct obuf *o, const struct pub *p, const char *path)
{
	memset(o, 0, sizeof *o);
	o->fd = p->fd;
	o->path = path;
	o->cap = 2 * OBUFSZ;
	o->b = xmalloc(o->cap);
}

static void
oflush(struct obuf *o)
{
	size_t off = 0;
	ssize_t k;

	while (off < o->len) {
		k = write(o->fd, o->b + off, o->len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die(EX_IOERR, "%s: %s", o->path, strerror(k < 0 ? errno : EIO));
		off += (size_t)k;
	}
	o->len = o->ls = 0;
}

/* Room for n more bytes (lines are flushed whole: the buffer grows for a long one). */
static inline void
oroom(struct obuf *o, size_t n)
{
	if (o->cap - o->len < n) {
		while (o->cap - o->len < n)
			o->cap *= 2;
		o->b = xrealloc(o->b, o->cap);
	}
}

/* A line ended: written out when the buffer holds OBUFSZ bytes. */
static inline void
oline(struct obuf *o)
{
	o->ls = o->len;
	if (o->len >= OBUFSZ)
		oflush(o);
}

static void
oclose(struct obuf *o)
{
	oflush(o);
	free(o->b);
	o->b = NULL;
}

/*
 * A CSV line, its fields quoted by libcsv's csv_write into the file's
 * buffer: csv_fwrite puts a field a byte at a time, and a field at a
 * time was a putc and an fwrite each.
 *
 * Room in l for a line of nf fields of n bytes in all: csvput's, quoted
 * (at most 2 n + 3 bytes a field), a comma each, the CR LF; made once a
 * line, not a field.
 */
static void
csvroom(struct obuf *l, size_t n, int nf)
{
	/* And QCOPY bytes more, that csvmemo may copy past a field's end. */
	oroom(l, 2 * n + 4 * (size_t)nf + 2 + QCOPY);
}

/*
 * A field quoted at d, in the room csvroom made: its end.  A line is
 * built at a cursor, its commas put by the caller, not through the
 * buffer's length, loaded, tested and stored again at each field.
 */
static inline char *
csvput(char *d, const char *s, size_t n)
{
	size_t need = 2 * n + 3, m;

	m = csv_write(d, need, s, n);
	if (m > need)
		die(EX_SOFTWARE, "csv_write: %zu bytes for a field of %zu", m, n);
	return d + m;
}

/*
 * A column's fields as csv_write quoted them, remembered by value, in a
 * slot of a few by a hash of the value: the columns of few values (a
 * code, its label, an outcome, a kind of PS, a line number) are quoted
 * once a value, not once a line (csv_write's loop, a byte at a time, was
 * a fifth of the run).  A value of QSHORT bytes at most is known by its
 * length and two words of its bytes (its first and last eight, four or
 * one, which cover it), compared and hashed at once, and its quoted
 * field copied QCOPY bytes at a time: calls to memcmp and memcpy cost
 * as much as csv_write's loop on a few bytes.
 */
#define QSLOTS 32
#define QMAX 64
#define QSHORT 16

struct quoted {
	size_t n, m;		/* the value's bytes, the quoted field's (0: empty slot) */
	uint64_t k1, k2;	/* a short value's words */
	char v[QMAX], q[2 * QMAX + 2];
};

/* A short value's words: with its length, the value itself (n <= QSHORT). */
static inline void
qwords(const char *s, size_t n, uint64_t *k1, uint64_t *k2)
{
	uint32_t a, b;

	if (n >= 8) {
		memcpy(k1, s, 8);
		memcpy(k2, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		*k1 = a;
		*k2 = b;
	} else {
		*k1 = n == 0 ? 0 : (uint64_t)(unsigned char)s[0] |
		    (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
		*k2 = 0;
	}
}

/*
 * The slot of a value (QMAX bytes at most) in a column's slots, and
 * whether it holds it (*hit), its words in *k1 and *k2 for qkeep.
 * Inlined: a call a field cost more than a field remembered.
 */
static inline __attribute__((always_inline)) struct quoted *
qfind(struct quoted *slot, const char *s, size_t n, uint64_t *k1, uint64_t *k2, int *hit)
{
	struct quoted *q;
	size_t h = n;

	*k1 = *k2 = 0;
	if (n <= QSHORT) {
		qwords(s, n, k1, k2);
		q = &slot[((*k1 ^ *k2 * 31 ^ n) * 0x9e3779b97f4a7c15ULL) >> 59];
		*hit = q->m != 0 && q->n == n && q->k1 == *k1 && q->k2 == *k2;
	} else {
		h = h * 31 + (unsigned char)s[n - 1] * 7 + (unsigned char)s[n / 2] * 3 +
		    (unsigned char)s[n - 2];
		q = &slot[h % QSLOTS];
		*hit = q->m != 0 && q->n == n && memcmp(q->v, s, n) == 0;
	}
	return q;
}

/* The CSV remembered, copied at d (the room csvroom made has QCOPY bytes to spare): its end. */
static inline __attribute__((always_inline)) char *
qcopy(char *d, const struct quoted *q)
{
	if (q->m <= QCOPY)
		memcpy(d, q->q, QCOPY);
	else
		memcpy(d, q->q, q->m);
	return d + q->m;
}

/* The value s (n bytes, k1, k2 its words) is the CSV at to d, remembered in q. */
static inline __attribute__((always_inline)) void
qkeep(struct quoted *q, const char *s, size_t n, uint64_t k1, uint64_t k2, const char *at,
    const char *d)
{
	size_t m = (size_t)(d - at);

	/* Two columns' CSV at once may not fit (qspan): then not kept. */
	if (m > sizeof q->q)
		return;
	q->n = n;
	q->k1 = k1;
	q->k2 = k2;
	/* A short value is its words: its bytes are not kept. */
	if (n > QSHORT)
		memcpy(q->v, s, n);
	q->m = m;
	/* As a hit copies it: QCOPY bytes, the room has them past the field. */
	if (m <= QCOPY)
		memcpy(q->q, at, QCOPY);
	else
		memcpy(q->q, at, m);
}

static inline __attribute__((always_inline)) char *
csvmemo(char *d, struct quoted *slot, const char *s, size_t n)
{
	struct quoted *q;
	uint64_t k1, k2;
	char *at;
	int hit;

	if (n > QMAX)
		return csvput(d, s, n);
	q = qfind(slot, s, n, &k1, &k2, &hit);
	if (hit)
		return qcopy(d, q);
	at = d;
	d = csvput(d, s, n);
	qkeep(q, s, n, k1, k2, at, d);
	return d;
}

/*
 * A column of a few thousand values, each repeated on the lines of a
 * PS's payment over the day (the transfer's reference: some 15 000 a
 * day of 31 to 33 bytes, three lines in five paid): its CSV remembered
 * for every value, in a table that grows, not in a few slots the next
 * value takes (two lines in three were quoted again by csv_write, a
 * byte at a time).  Each value of more than QSHORT bytes, and each CSV,
 * kept in bytes; a short value known by its words (qwords).
 */
struct qwide {
	struct qw {
		uint64_t k1, k2;	/* a short value's words; a longer one's hash */
		uint32_t at;		/* in b: the value if longer, then its CSV */
		uint16_t n, m;		/* 0 m: an empty slot */
	} *t;
	size_t nt, cap;
	char *b;
	size_t len, bcap;
};

/* A value's hash, by words of its bytes (more than QSHORT). */
static inline uint64_t
qwhash(const char *s, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ULL, w;
	size_t i;

	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	memcpy(&w, s + n - 8, 8);
	h = (h ^ w) * 0x100000001b3ULL;
	return h ^ h >> 29;
}

/* The first slot to look in for a value of n bytes, its words k1 and k2. */
static inline size_t
qwslot(const struct qwide *m, uint64_t k1, uint64_t k2, size_t n)
{
	uint64_t h = (k1 ^ k2 * 31 ^ n) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ h >> 32) & (m->cap - 1);
}

static struct qwide *
qwnew(void)
{
	struct qwide *m = xmalloc(sizeof *m);

	memset(m, 0, sizeof *m);
	m->cap = 4096;
	m->t = xmalloc(m->cap * sizeof *m->t);
	memset(m->t, 0, m->cap * sizeof *m->t);
	return m;
}

static void
qwgrow(struct qwide *m)
{
	struct qw *old = m->t;
	size_t ocap = m->cap, i, j;

	m->cap = 2 * ocap;
	m->t = xmalloc(m->cap * sizeof *m->t);
	memset(m->t, 0, m->cap * sizeof *m->t);
	for (j = 0; j < ocap; j++) {
		if (old[j].m == 0)
			continue;
		for (i = qwslot(m, old[j].k1, old[j].k2, old[j].n); m->t[i].m != 0;
		    i = (i + 1) & (m->cap - 1))
			;
		m->t[i] = old[j];
	}
	free(old);
}

static void
qwfree(struct qwide *m)
{
	if (m == NULL)
		return;
	free(m->t);
	free(m->b);
	free(m);
}

/*
 * The field s (n bytes) quoted at d, its CSV remembered in m: its end.
 * Copied QCOPY bytes at a time when it is short (the room csvroom made
 * has them), the buffer having QCOPY bytes to spare.
 */
static inline __attribute__((always_inline)) char *
csvwide(char *d, struct qwide *m, const char *s, size_t n)
{
	struct qw *e;
	uint64_t k1, k2;
	size_t i, q, v;
	char *at;

	if (n > QMAX)
		return csvput(d, s, n);
	if (n <= QSHORT)
		qwords(s, n, &k1, &k2);
	else {
		k1 = qwhash(s, n);
		k2 = 0;
	}
	for (i = qwslot(m, k1, k2, n); (e = &m->t[i])->m != 0; i = (i + 1) & (m->cap - 1))
		if (e->k1 == k1 && e->k2 == k2 && e->n == n &&
		    (n <= QSHORT || memcmp(m->b + e->at, s, n) == 0)) {
			v = n <= QSHORT ? 0 : n;
			if (e->m <= QCOPY)
				memcpy(d, m->b + e->at + v, QCOPY);
			else
				memcpy(d, m->b + e->at + v, e->m);
			return d + e->m;
		}
	at = d;
	d = csvput(d, s, n);
	q = (size_t)(d - at);
	v = n <= QSHORT ? 0 : n;
	if (m->len + v + q + QCOPY > UINT32_MAX)
		return d;
	if (m->bcap - m->len < v + q + QCOPY) {
		while (m->bcap - m->len < v + q + QCOPY)
			m->bcap = m->bcap ? 2 * m->bcap : 1 << 16;
		m->b = xrealloc(m->b, m->bcap);
	}
	e->k1 = k1;
	e->k2 = k2;
	e->at = (uint32_t)m->len;
	e->n = (uint16_t)n;
	e->m = (uint16_t)q;
	memcpy(m->b + m->len, s, v);
	memcpy(m->b + m->len + v, at, q);
	m->len += v + q;
	if (2 * ++m->nt > m->cap)
		qwgrow(m);
	return d;
}

/*
 * The amounts (fr_eur, amo_eur, amc_eur, rac_eur), a field in five of
 * the clients' CSV, and csv_write's on every line: tens of thousands of
 * values a day (fr_eur's), or a few thousand, most of them met often,
 * of 8 bytes at most.  Each in one of many slots by a hash of the value,
 * known by its length and one word (its first four and last four
 * bytes), its CSV copied QACOPY bytes at once: fewer instructions than
 * csvmemo's or csvwide's, where most values are met again.
 */
#define QABITS 14
#define QACOPY 24

struct qamt {
	uint64_t k;
	unsigned char n, m;	/* 0 m: an empty slot */
	char q[QACOPY];
};

/* The key of a value of 8 bytes at most: with its length, the value. */
static inline uint64_t
qakey(const char *s, size_t n)
{
	uint32_t a, b;

	if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		return (uint64_t)a | (uint64_t)b << 32;
	}
	return n == 0 ? 0 : (uint64_t)(unsigned char)s[0] |
	    (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
}

static inline __attribute__((always_inline)) char *
csvamt(char *d, struct qamt *t, const char *s, size_t n)
{
	struct qamt *e;
	uint64_t k;
	char *at;

	if (n > 8)
		return csvput(d, s, n);
	k = qakey(s, n);
	e = &t[((k ^ n) * 0x9e3779b97f4a7c15ULL) >> (64 - QABITS)];
	if (e->m != 0 && e->k == k && e->n == n) {
		/* The room csvroom made has QCOPY bytes past the field. */
		memcpy(d, e->q, QACOPY);
		return d + e->m;
	}
	at = d;
	d = csvput(d, s, n);
	e->k = k;
	e->n = (unsigned char)n;
	e->m = (unsigned char)(d - at);
	memcpy(e->q, at, QACOPY);
	return d;
}

/* A field of column k of the clients' returns at d, remembered or not. */
#define CSVFIELD(ps, k, d, fv) \
	((ps)->memo[k] != NULL ? csvmemo(d, (ps)->memo[k], (fv)->p, (fv)->n) : \
	    csvput(d, (fv)->p, (fv)->n))
/* Or, a column of many values (cwide, camt), in a table of its own. */
#define CSVWIDE(ps, k, d, fv) \
	((ps)->amt[k] != NULL ? csvamt(d, (ps)->amt[k], (fv)->p, (fv)->n) : \
	    (ps)->wide[k] != NULL ? csvwide(d, (ps)->wide[k], (fv)->p, (fv)->n) : \
	    CSVFIELD(ps, k, d, fv))

/* The line built up to d ended. */
static void
csvend(struct obuf *l, char *d)
{
	memcpy(d, "\r\n", 2);
	l->len = (size_t)(d + 2 - l->b);
	oline(l);
}

/* A client's return, open: its stream and its CSV twin. */
struct cret {
	char name[32], tpath[4096], cpath[4096];
	struct ts_writer w;
	struct obuf csv;
};

/* The clients' returns' columns. */
static const char *const ccols[] = {
	"contract", "member_ref", "ps_kind", "ps_number", "invoice", "line_no",
	"act_date", "act_code", "fr_eur", "br_eur", "amo_eur", "amc_eur",
	"rac_eur", "recover_eur", "dest", "code", "outcome", "identity_update",
	"payment_ref", "claim", "client_label"
};
#define NCC (int)(sizeof ccols / sizeof ccols[0])
/*
 * Those of few values, whose quoted fields are remembered (csvmemo);
 * br_eur too when it is not fr_eur (then most often a usual base).  Not
 * ps_number: it is quoted when the line before was of another invoice,
 * most often of another PS.
 */
static const char *const cfew[] = {
	"ps_kind", "line_no", "act_date", "act_code", "br_eur", "recover_eur",
	"dest", "code", "outcome", "identity_update", "client_label"
};
/* Those of a few thousand values (csvwide), and the amounts (csvamt). */
static const char *const cwide[] = {
	"payment_ref"
};
static const char *const camt[] = {
	"fr_eur", "amo_eur", "amc_eur", "rac_eur"
};

/* The PS return's columns. */
static const char *const pcols[] = {
	"ps_kind", "ps_number", "invoice", "line_no", "act_date", "act_code",
	"claim", "fr_eur", "amc_eur", "recover_eur", "outcome", "code",
	"decide_by", "payment_ref", "ps_label"
};
#define NPC (int)(sizeof pcols / sizeof pcols[0])

/*
 * The PS return's order: each PS (its key, ps_kind, a TAB and
 * ps_number, as the outcome holds them) in a hash table, numbered as
 * it first comes, and each outcome's offset in the mapping and its PS's
 * number; the PS sorted, a few thousand, not the day's lines, the
 * outcomes (their numbers) are put in their order by counting (the
 * outcomes' order within a PS): twenty bytes an outcome, where sort(1)
 * wrote, sorted and read back a key line an outcome.  (Lists of each
 * PS's outcomes, followed link by link, missed the cache at each.)
 * Past PSMEM bytes, memory stops growing: the key lines go to sort(1)
 * as they did (spilled).
 *
 * And, up to PSMEM bytes of them, where the PS return's fields lie in
 * each outcome's line (from its start and their lengths, as the pass
 * split it): read back, the line is not split again (a split of every
 * column and a parse of every amount, the half of the PS return).
 */
#define PSMEM (64 << 20)

struct psgroup {
	const char *key;
	size_t len;
	uint32_t id, n;
};
struct psorder {
	struct psgroup *g;
	size_t ng, cap;
	uint64_t *off, *ord;
	uint32_t *gid;
	size_t n, ncap, max, mem;
	/* The fields of outcomes 0 to nsp - 1 (NPC pairs each), room for spcap. */
	uint16_t *sp;
	size_t nsp, spcap;
	/*
	 * The keys, copied: compared with the outcome's at each, where it
	 * stands in the outcomes it missed the cache.
	 */
	struct arena kmem;
	/* Spilled: the key lines, a file of them sorted, read back. */
	FILE *keys;
	char *in, *srt;
	struct lines sorted;
	/*
	 * Where psnext is in ord, and where the group it is in ends (its
	 * PS's outcomes follow each other there): the next group's first
	 * outcome is told, the others need no compare of their PS.
	 */
	size_t i, gi, gend;
};

/* PSMEM, or $TIERS_PSMEM bytes (for the tests of sort(1)'s way). */
static size_t
psmem(void)
{
	const char *e = getenv("TIERS_PSMEM");

	return e != NULL && *e != '\0' ? (size_t)strtoull(e, NULL, 10) : PSMEM;
}

/*
 * A key line: the key (no byte below a space, but its TAB), a TAB and
 * the offset in 20 digits, all an offset may need.
 */
static void
keyline(struct psorder *o, const char *key, size_t len, uint64_t off)
{
	char d[21];
	int i;

	for (i = 19; i >= 0; i--, off /= 10)
		d[i] = (char)('0' + off % 10);
	d[20] = '\n';
	if (fwrite(key, 1, len, o->keys) != len || putc('\t', o->keys) == EOF ||
	    fwrite(d, 1, sizeof d, o->keys) != sizeof d)
		die(EX_IOERR, "%s: %s", o->in, strerror(errno));
}

/* The lists too large: the outcomes so far, and those to come, as key lines. */
static void
spill(struct psorder *o)
{
	const struct psgroup **byid;
	size_t i;
	int fd;

	if ((fd = tmp_open("returns", &o->in)) < 0)
		die(EX_CANTCREAT, "%s/returns: %s", tmp_dir(), strerror(errno));
	if ((o->keys = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
	byid = xmalloc((o->ng + 1) * sizeof *byid);
	for (i = 0; i < o->cap; i++)
		if (o->g[i].key != NULL)
			byid[o->g[i].id] = &o->g[i];
	for (i = 0; i < o->n; i++)
		keyline(o, byid[o->gid[i]]->key, byid[o->gid[i]]->len, o->off[i]);
	free(byid);
	free(o->g);
	free(o->off);
	free(o->gid);
	free(o->sp);
	o->g = NULL;
	o->off = NULL;
	o->gid = NULL;
	o->sp = NULL;
	o->ng = o->cap = o->n = o->ncap = o->nsp = o->spcap = 0;
}

/*
 * FNV-1a over words of the key, then its last bytes, the high bits
 * folded down: a slot of the table for a key (a byte at a time cost
 * more than the rest of psadd).  The slots do not make the order.
 */
static size_t
psslot(const struct psorder *o, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, key + i, 8);
		h = (h ^ w) * 1099511628211ULL;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (size_t)h & (o->cap - 1);
}

/*
 * The outcome at off (its line), its PS's key, and its fields f as the
 * reader split them, the PS return's at pc[].
 */
static void
psadd(struct psorder *o, const char *key, size_t len, uint64_t off, const char *line,
    size_t linelen, const struct field *f, const int *pc)
{
	struct psgroup *g;
	size_t i, j;

	if (o->keys != NULL) {
		keyline(o, key, len, off);
		return;
	}
	if (o->n == o->ncap) {
		if (o->max == 0) {
			o->mem = psmem();
			o->max = o->mem / (sizeof *o->off + sizeof *o->gid + sizeof *o->ord);
		}
		if (o->n >= o->max || o->ncap >= UINT32_MAX / 2) {
			spill(o);
			keyline(o, key, len, off);
			return;
		}
		o->ncap = o->ncap ? 2 * o->ncap : 1 << 16;
		if (o->ncap > o->max)
			o->ncap = o->max > 0 ? o->max : 1;
		o->off = xrealloc(o->off, o->ncap * sizeof *o->off);
		o->gid = xrealloc(o->gid, o->ncap * sizeof *o->gid);
		if (o->nsp == o->n && o->ncap * 2 * NPC * sizeof *o->sp <= o->mem) {
			o->sp = xrealloc(o->sp, o->ncap * 2 * NPC * sizeof *o->sp);
			o->spcap = o->ncap;
		}
	}
	/*
	 * Its fields' places, while every outcome before has them: its
	 * line under 64 KiB, each field's start and length fit 16 bits.
	 */
	if (o->nsp == o->n && o->n < o->spcap && linelen <= UINT16_MAX) {
		uint16_t *sp = &o->sp[o->n * 2 * NPC];
		int k;

		/* Unrolled: the loop's own count and tests cost a third of it. */
		_Pragma("GCC unroll 16")
		for (k = 0; k < NPC; k++) {
			sp[2 * k] = (uint16_t)(f[pc[k]].p - line);
			sp[2 * k + 1] = (uint16_t)f[pc[k]].n;
		}
		o->nsp++;
	}
	if (2 * (o->ng + 1) > o->cap) {
		struct psgroup *old = o->g;
		size_t ocap = o->cap;

		o->cap = ocap ? 2 * ocap : 4096;
		o->g = xmalloc(o->cap * sizeof *o->g);
		for (i = 0; i < o->cap; i++)
			o->g[i].key = NULL;
		for (j = 0; j < ocap; j++) {
			if (old[j].key == NULL)
				continue;
			for (i = psslot(o, old[j].key, old[j].len); o->g[i].key != NULL;
			    i = (i + 1) & (o->cap - 1))
				;
			o->g[i] = old[j];
		}
		free(old);
	}
	for (i = psslot(o, key, len); (g = &o->g[i])->key != NULL; i = (i + 1) & (o->cap - 1))
		if (g->len == len && memcmp(g->key, key, len) == 0)
			break;
	if (g->key == NULL) {
		g->key = memcpy(arena_in(&o->kmem, len + 1), key, len);
		g->len = len;
		g->id = (uint32_t)o->ng++;
		g->n = 0;
	}
	g->n++;
	o->off[o->n] = off;
	o->gid[o->n++] = g->id;
}

/*
 * The offset of the next outcome of the PS return in its order, its
 * fields' places (*sp, NULL: not kept), and whether it may be of another
 * PS than the outcome before (*newps; 0: of the same PS, its key's very
 * bytes): 1, or 0 at the end.
 */
static int
psnext(struct psorder *o, const char *map, uint64_t *off, const uint16_t **sp, int *newps)
{
	const char *why, *t;
	char *line;
	size_t len;
	int k;

	if (o->keys == NULL) {
		if (o->i == o->n)
			return 0;
		/*
		 * The lines are read at random: each fetched eight ahead,
		 * its first 256 bytes (a prefetch past the mapping is a no-op).
		 */
		if (o->i + 8 < o->n) {
			uint64_t j = o->ord[o->i + 8];

			for (k = 0; k < 256; k += 64)
				__builtin_prefetch(map + o->off[j] + k);
			if (j < o->nsp)
				__builtin_prefetch(&o->sp[j * 2 * NPC]);
		}
		if (o->i + 16 < o->n)
			__builtin_prefetch(&o->off[o->ord[o->i + 16]]);
		/* pssort packed the groups, in order, at the start of g. */
		*newps = o->i == o->gend;
		if (*newps)
			o->gend += o->g[o->gi++].n;
		k = (int)(o->ord[o->i] < o->nsp);
		*sp = k ? &o->sp[o->ord[o->i] * 2 * NPC] : NULL;
		*off = o->off[o->ord[o->i++]];
		return 1;
	}
	*sp = NULL;
	*newps = 1;
	if ((k = lines_next(&o->sorted, &line, &len, &why)) < 0)
		die(EX_IOERR, "%s: %s", o->srt, why);
	if (k == 0)
		return 0;
	if (len < 22 || line[len - 21] != '\t')
		die_at(EX_SOFTWARE, o->srt, o->sorted.lineno, "", "not a sorted key");
	for (*off = 0, t = line + len - 20; t < line + len; t++) {
		if (*t < '0' || *t > '9')
			die_at(EX_SOFTWARE, o->srt, o->sorted.lineno, "", "not a sorted key");
		*off = *off * 10 + (uint64_t)(*t - '0');
	}
	return 1;
}

/*
 * Bytewise, the shorter first where one begins the other: the order of
 * sort(1) with LC_ALL=C on key lines (ps_kind, ps_number, the offset),
 * their fields holding no byte below a space, so the TAB after each
 * sorted before any byte of a longer one.
 */
static int
groupcmp(const void *pa, const void *pb)
{
	const struct psgroup *a = pa, *b = pb;
	int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);

	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * The outcomes' numbers in the PS return's order, in ord: the PS
 * sorted, packed at the start of the table, each given the place of its
 * first outcome, the outcomes put at their PS's places in their order.
 * Spilled, the key lines sorted by sort(1), whole and bytewise, which
 * orders them as the groups (the offsets, of one width, compare as
 * numbers), and opened.
 */
static void
pssort(struct psorder *o)
{
	uint32_t *at;
	size_t i, n;
	pid_t pid;
	int fd, st;

	if (o->keys == NULL) {
		for (i = 0, n = 0; i < o->cap; i++)
			if (o->g[i].key != NULL)
				o->g[n++] = o->g[i];
		if (n > 0)
			qsort(o->g, n, sizeof *o->g, groupcmp);
		at = xmalloc((n + 1) * sizeof *at);
		for (i = 0, n = 0; i < o->ng; i++) {
			at[o->g[i].id] = (uint32_t)n;
			n += o->g[i].n;
		}
		/* The outcomes' numbers, in order: their offsets and fields kept. */
		o->ord = xmalloc((o->n + 1) * sizeof *o->ord);
		for (i = 0; i < o->n; i++)
			o->ord[at[o->gid[i]]++] = i;
		free(at);
		free(o->gid);
		o->gid = NULL;
		return;
	}
	if (fflush(o->keys) != 0 || ferror(o->keys) || fclose(o->keys) != 0)
		die(EX_IOERR, "%s: %s", o->in, strerror(errno));
	if ((fd = tmp_open("returns.sorted", &o->srt)) < 0)
		die(EX_CANTCREAT, "%s/returns.sorted: %s", tmp_dir(), strerror(errno));
	close(fd);
	if ((pid = tmp_fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		setenv("LC_ALL", "C", 1);
		execlp("sort", "sort", "-S", "256M", "-T", tmp_dir(), "-o", o->srt, o->in,
		    (char *)NULL);
		_exit(127);
	}
	if (tmp_wait(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(EX_SOFTWARE, "sort failed");
	unlink(o->in);
	tmp_untrack(o->in);
	if (lines_open(&o->sorted, o->srt) < 0)
		die(EX_NOINPUT, "%s: %s", o->srt, strerror(errno));
}

static void
psfree(struct psorder *o)
{
	if (o->keys != NULL) {
		lines_close(&o->sorted);
		unlink(o->srt);
		tmp_untrack(o->srt);
		free(o->srt);
		free(o->in);
	}
	free(o->g);
	free(o->off);
	free(o->gid);
	free(o->ord);
	free(o->sp);
	arena_free(&o->kmem);
}

/*
 * One pass over the outcomes (ts_scan: every record, metadata line and
 * the trailer checked) feeds the two kinds of returns: the PS return's
 * order (order not NULL), and the clients' returns (dir not NULL),
 * each outcome in the order of the outcomes to its client's two files,
 * opened when the client's first line comes (three descriptors a
 * client): no sort, a client's lines are the outcomes' in their order.
 */
struct pass {
	const char *path;
	const char *map;
	/* The PS return's order: the fields k1 and k2 (k1 + 1) as a key. */
	struct psorder *order;
	int k1, ko, ka, pc[NPC];
	uint64_t kept;
	int64_t keptamc;
	/* The clients' returns. */
	const char *dir;
	char meta[64];
	int cc[NCC], run[NCC], first[NCC], nrun, idrun, kamc, kout, hasamc;
	/* br_eur, after fr_eur: most often the same amount. */
	int kbr;
	struct cret **cl;
	size_t ncl;
	/* The last line's amc, as it was, and its client's return. */
	char lastamc[16];
	size_t lastn;
	struct cret *last;
	struct quoted *memo[NCC];
	/*
	 * recover_eur, dest and code, which follow each other in the
	 * outcomes too, their CSV remembered as one by the bytes of the
	 * three (nine lines in ten, a few values); outcome and
	 * identity_update, which the outcome says, by the outcome.
	 */
	int ksp, nsp;
	struct quoted *spmemo, *omemo;
	/*
	 * The columns of many values, their CSV remembered in tables of
	 * their own (cwide, camt): fr_eur, those between br_eur and
	 * recover_eur, those after identity_update, where clientrec
	 * quotes a field by CSVWIDE.
	 */
	struct qwide *wide[NCC];
	struct qamt *amt[NCC];
	/*
	 * The clients' stream line built in tl (ts_wfields), its amounts
	 * the reader's of the nmk outcome columns mk (-1: not yet known).
	 */
	char *tl;
	int mk[NCC], nmk;
	/*
	 * Whether mk are the reader's money columns, in their order (-1:
	 * not yet known): the line's sum is then the reader's.
	 */
	int mkrec;
	/*
	 * The first npre columns of the clients' returns, following each
	 * other in the outcomes: the line before's (pren bytes, SIZE_MAX:
	 * none) and their CSV (preqn bytes).
	 */
	int npre, idk;
	size_t pren, preqn;
	char pre[128], preq[2 * 128 + 16];
	uint64_t nin, n;
	int64_t inamc, amc;
	/* The reader's money columns (its header's). */
	const int *mcol;
	int nmcol;
	const unsigned char *money;
	/* Two jobs: the outcomes handed to the clients' thread. */
	struct hand *hand;
};

static struct cret *
client(struct pass *ps, const struct field *a)
{
	struct cret *c;
	size_t lo, hi, mid, n;
	int cmp, i;
	char *d;

	for (lo = 0, hi = ps->ncl, cmp = 1; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		cmp = strncmp(ps->cl[mid]->name, a->p, a->n);
		if (cmp == 0 && ps->cl[mid]->name[a->n] != '\0')
			cmp = 1;
		if (cmp == 0)
			return ps->cl[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	c = xmalloc(sizeof *c);
	snprintf(c->name, sizeof c->name, "%.*s", (int)a->n, a->p);
	snprintf(c->tpath, sizeof c->tpath, "%s/%s.tsv", ps->dir, c->name);
	ts_wopen(&c->w, newpub(c->tpath, 1)->fd, c->tpath, "client-return", 1, ccols, NCC);
	ts_wmeta(&c->w, ps->meta);
	if (ps->nmk < 0)
		for (i = ps->nmk = 0; i < NCC; i++)
			if (c->w.money[i]) {
				if (ps->cc[i] < 0)
					die(EX_SOFTWARE, "client returns: %s computed", ccols[i]);
				ps->mk[ps->nmk++] = ps->cc[i];
			}
	snprintf(c->cpath, sizeof c->cpath, "%s/%s.csv", ps->dir, c->name);
	oopen(&c->csv, newpub(c->cpath, 1), c->cpath);
	for (i = 0, n = 0; i < NCC; i++)
		n += strlen(ccols[i]);
	csvroom(&c->csv, n, NCC);
	d = c->csv.b + c->csv.len;
	for (i = 0; i < NCC; i++) {
		if (i > 0)
			*d++ = ',';
		d = csvput(d, ccols[i], strlen(ccols[i]));
	}
	csvend(&c->csv, d);
	ps->cl = xrealloc(ps->cl, (ps->ncl + 1) * sizeof *ps->cl);
	memmove(&ps->cl[lo + 1], &ps->cl[lo], (ps->ncl - lo) * sizeof *ps->cl);
	ps->cl[lo] = c;
	ps->ncl++;
	return c;
}

/*
 * An outcome to the clients' returns: its fields by column, its length,
 * the sum of its amounts and its amc_eur's cents as the reader parsed
 * them, its line number; the reader's amounts (cents, NULL: those the
 * clients' returns sum are parsed again from their fields).
 */
struct orec {
	const struct field *f;
	const int64_t *cents;
	size_t len;
	int64_t recsum, amc;
	long lineno;
};

/*
 * The outcome o to its client's two files: 0, or -1 when the sum of the
 * outcomes' amc_eur is out of range (the caller says it).  Inlined in
 * its two callers, passrec and the clients' thread: a call an outcome
 * cost 7 million instructions a day more than when it was passrec's.
 */
static inline __attribute__((always_inline)) int
clientrec(struct pass *ps, const struct orec *o)
{
	struct cret *c;
	struct field a, v, id;
	int64_t x;
	int k;
	char *d;

	ps->nin++;
	if (money_add(&ps->inamc, ps->inamc, o->amc) < 0)
		return -1;
	/*
	 * A line whose claim names no client by a number (rejected,
	 * liquidate could not tell whose it was) is nobody's to send:
	 * it goes to the return named unattributed, for the operator.
	 */
	if (ps->last != NULL && o->f[ps->kamc].n == ps->lastn &&
	    memcmp(o->f[ps->kamc].p, ps->lastamc, ps->lastn) == 0)
		c = ps->last;
	else {
		a = clientof(&o->f[ps->kamc]);
		c = client(ps, &a);
		if (o->f[ps->kamc].n < sizeof ps->lastamc) {
			memcpy(ps->lastamc, o->f[ps->kamc].p, o->f[ps->kamc].n);
			ps->lastn = o->f[ps->kamc].n;
			ps->last = c;
		}
	}
	/* The fields are the line's, and the identity_update's byte. */
	id.p = o->f[ps->kout].n == 11 && memcmp(o->f[ps->kout].p, "paid-report", 11) == 0 ?
	    "1" : "0";
	id.n = 1;
	/*
	 * The stream's line: the runs of columns copied, identity_update
	 * between them, written at once (ts_wfields), with the checks
	 * ts_wruns made: no '#' first, the sum of the amounts the reader
	 * parsed.
	 */
	{
		const struct field *fa, *fb;
		int64_t sum = 0;
		size_t len;
		int i, e;

		fa = &o->f[ps->cc[0]];
		if (fa->n > 0 && fa->p[0] == '#')
			die(EX_SOFTWARE, "%s: record %llu: first field starts with #", c->tpath,
			    (unsigned long long)c->w.nrec + 1);
		if (o->len > LINE_MAX_)
			die(EX_SOFTWARE, "%s: record longer than %d bytes", c->tpath, LINE_MAX_);
		if (ps->mkrec < 0)
			ps->mkrec = ps->nmk == ps->nmcol &&
			    memcmp(ps->mk, ps->mcol, (size_t)ps->nmk * sizeof *ps->mk) == 0;
		/*
		 * The same amounts summed in the same order, as the reader
		 * did (0 for an empty one, and no overflow): its sum.
		 */
		if (ps->mkrec)
			sum = o->recsum;
		for (i = 0; !ps->mkrec && i < ps->nmk; i++) {
			if (o->f[k = ps->mk[i]].n == 0)
				continue;
			if (ps->money[k] && o->cents != NULL)
				x = o->cents[k];
			else if ((e = money_parse(o->f[k].p, o->f[k].n, &x)) != M_OK)
				die(EX_SOFTWARE, "%s: record %llu: %s: %s", c->tpath,
				    (unsigned long long)c->w.nrec + 1, ocols[k], money_strerror(e));
			if (__builtin_add_overflow(sum, x, &sum))
				die(EX_DATAERR, "%s: record sum out of range", c->tpath);
		}
		for (i = 0, d = ps->tl; i < ps->nrun; i++) {
			if (i > 0)
				*d++ = '\t';
			if (i == ps->idrun) {
				*d++ = *id.p;
				continue;
			}
			fa = &o->f[ps->first[i]];
			fb = fa + ps->run[i] - 1;
			len = (size_t)(fb->p + fb->n - fa->p);
			memcpy(d, fa->p, len);
			d += len;
		}
		ts_wfields(&c->w, ps->tl, (size_t)(d - ps->tl), NCC, sum);
		ts_wend(&c->w);
	}
	csvroom(&c->csv, o->len + 1, NCC);
	d = c->csv.b + c->csv.len;
	k = 0;
	if (ps->npre > 0) {
		/*
		 * The line's first fields (its contract, member, PS and
		 * invoice) those of the line before, an invoice's lines
		 * following each other: the CSV they were, not quoted again.
		 */
		const char *sp = o->f[ps->cc[0]].p;
		const struct field *fe = &o->f[ps->cc[ps->npre - 1]];
		size_t sn = (size_t)(fe->p + fe->n - sp);

		if (sn == ps->pren && memcmp(sp, ps->pre, sn) == 0) {
			memcpy(d, ps->preq, ps->preqn);
			d += ps->preqn;
		} else {
			char *d0 = d;

			for (; k < ps->npre; k++) {
				if (k > 0)
					*d++ = ',';
				d = CSVFIELD(ps, k, d, &o->f[ps->cc[k]]);
			}
			ps->pren = SIZE_MAX;
			if (sn <= sizeof ps->pre && (size_t)(d - d0) <= sizeof ps->preq) {
				memcpy(ps->pre, sp, sn);
				ps->pren = sn;
				ps->preqn = (size_t)(d - d0);
				memcpy(ps->preq, d0, ps->preqn);
			}
		}
		k = ps->npre;
	} else {
		d = CSVFIELD(ps, 0, d, &o->f[ps->cc[0]]);
		k = 1;
	}
	/*
	 * The columns before br_eur; br_eur, the CSV of fr_eur before it
	 * copied when it is the same amount (five lines in six); those
	 * before identity_update, it, those after.
	 */
	for (; k < ps->kbr - 1; k++) {
		*d++ = ',';
		d = CSVFIELD(ps, k, d, &o->f[ps->cc[k]]);
	}
	{
		const struct field *fa = &o->f[ps->cc[k]], *fb = &o->f[ps->cc[k + 1]];
		uint64_t a1, a2, b1, b2;
		char *qs;

		*d++ = ',';
		qs = d;
		d = CSVWIDE(ps, k, d, fa);
		k++;
		*d++ = ',';
		if (fa->n == fb->n && fa->n <= QSHORT) {
			qwords(fa->p, fa->n, &a1, &a2);
			qwords(fb->p, fb->n, &b1, &b2);
			if (a1 == b1 && a2 == b2) {
				if (d - 1 - qs <= 16)
					few_cpy(d, qs, (size_t)(d - 1 - qs));
				else
					memcpy(d, qs, (size_t)(d - 1 - qs));
				d += d - 1 - qs;
			} else
				d = CSVFIELD(ps, k, d, fb);
		} else
			d = CSVFIELD(ps, k, d, fb);
		k++;
	}
	for (; k < ps->ksp; k++) {
		*d++ = ',';
		d = CSVWIDE(ps, k, d, &o->f[ps->cc[k]]);
	}
	/*
	 * recover_eur, dest and code, their CSV remembered as one; then
	 * outcome and identity_update, remembered by the outcome.
	 */
	{
		const struct field *fs = &o->f[ps->cc[k]], *fe = &o->f[ps->cc[k + ps->nsp - 1]];
		size_t sn = (size_t)(fe->p + fe->n - fs->p);
		struct quoted *q = NULL;
		uint64_t k1 = 0, k2 = 0;
		char *at;
		int hit = 0, j;

		*d++ = ',';
		if (sn <= QMAX)
			q = qfind(ps->spmemo, fs->p, sn, &k1, &k2, &hit);
		if (hit)
			d = qcopy(d, q);
		else {
			at = d;
			for (j = 0; j < ps->nsp; j++) {
				if (j > 0)
					*d++ = ',';
				d = CSVFIELD(ps, k + j, d, &o->f[ps->cc[k + j]]);
			}
			if (q != NULL)
				qkeep(q, fs->p, sn, k1, k2, at, d);
		}
		for (k += ps->nsp; k < ps->idk - 1; k++) {
			*d++ = ',';
			d = CSVFIELD(ps, k, d, &o->f[ps->cc[k]]);
		}
		fs = &o->f[ps->cc[k]];
		*d++ = ',';
		q = NULL;
		hit = 0;
		if (fs->n <= QMAX)
			q = qfind(ps->omemo, fs->p, fs->n, &k1, &k2, &hit);
		if (hit)
			d = qcopy(d, q);
		else {
			at = d;
			d = CSVFIELD(ps, k, d, fs);
			*d++ = ',';
			d = CSVFIELD(ps, k + 1, d, &id);
			if (q != NULL)
				qkeep(q, fs->p, fs->n, k1, k2, at, d);
		}
		k++;
	}
	for (k++; k < NCC; k++) {
		*d++ = ',';
		d = CSVWIDE(ps, k, d, &o->f[ps->cc[k]]);
	}
	/* What the returns carry, summed from their own text. */
	if (ps->hasamc) {
		v = o->f[ps->ka];
		if (money_parse(v.p, v.n, &x) != 0)
			die_at(EX_DATAERR, ps->path, o->lineno, "amc_eur", "not an amount");
		if (money_add(&ps->amc, ps->amc, x) < 0)
			die_at(EX_DATAERR, ps->path, o->lineno, "amc_eur",
			    "sum out of range");
	}
	csvend(&c->csv, d);
	ps->n++;
	return 0;
}


/*
 * Two jobs (returns_write): the clients' returns written by a thread
 * of their own while the reading thread checks and splits the outcomes
 * once, lists the PS return's, and writes the PS return.  The outcomes
 * go from the one to the other in batches of BATCH, each outcome as its
 * fields as the reader split them (a copy of its array), its length,
 * sum, amc_eur's cents and line number: 512 bytes for the outcomes' 30
 * columns.  (Two bytes a column, the places of the fields in the line,
 * cost a tenth more instructions than one thread, to store them and to
 * make the fields again; the copy, under 2 %.)  The batches go round
 * a ring of RINGMEM bytes at most, about 130 000 outcomes: past them,
 * the reader waits for the clients' thread to give one back.  The
 * clients' returns cost their thread more than the reading costs the
 * reader, which then writes the PS return while the clients' thread
 * writes on: a third of a day's outcomes in the ring lets the reader
 * end its pass without waiting.
 */
#define BATCH 1024
#define RINGMEM (64 << 20)

/* An outcome handed over. */
struct hrec {
	int64_t recsum, amc;
	long lineno;
	size_t len;
	struct field f[];	/* ncol of them */
};

struct batch {
	struct batch *next;
	size_t n;
	unsigned char *b;	/* n records of stride bytes */
};

struct hand {
	pthread_mutex_t mu;
	pthread_cond_t full, free;	/* a batch to write, a batch given back */
	struct batch *head, *tail;	/* the batches handed over, in order */
	struct batch *spare;		/* those given back */
	struct batch *cur;		/* the reader's, being filled */
	size_t nb, maxb, batchn, stride;
	int ncol, done;
	struct pass *ps;
	pthread_t th;
};

/* A batch for the reader to fill: a spare one, a new one, or wait for one. */
static struct batch *
handget(struct hand *h)
{
	struct batch *b;

	pthread_mutex_lock(&h->mu);
	while (h->spare == NULL && h->nb >= h->maxb)
		pthread_cond_wait(&h->free, &h->mu);
	if ((b = h->spare) != NULL)
		h->spare = b->next;
	else
		h->nb++;
	pthread_mutex_unlock(&h->mu);
	if (b == NULL) {
		b = xmalloc(sizeof *b);
		b->b = xmalloc(h->batchn * h->stride);
	}
	b->n = 0;
	b->next = NULL;
	return b;
}

/* The reader's batch handed over (done: and the last). */
static void
handput(struct hand *h, int done)
{
	struct batch *b = h->cur;

	h->cur = NULL;
	pthread_mutex_lock(&h->mu);
	if (b != NULL && b->n > 0) {
		if (h->tail != NULL)
			h->tail->next = b;
		else
			h->head = b;
		h->tail = b;
	} else if (b != NULL) {
		b->next = h->spare;
		h->spare = b;
	}
	h->done |= done;
	pthread_cond_signal(&h->full);
	pthread_mutex_unlock(&h->mu);
}

/* The outcome r read, to the clients' thread (ka: amc_eur's column). */
static inline void
handrec(struct hand *h, const struct ts_reader *r, int ka)
{
	struct hrec *e;

	if (h->cur == NULL)
		h->cur = handget(h);
	e = (struct hrec *)(h->cur->b + h->cur->n * h->stride);
	e->recsum = r->recsum;
	e->amc = r->cents[ka];
	e->lineno = 1 + r->in.lineno;
	e->len = r->len;
	memcpy(e->f, r->f, (size_t)h->ncol * sizeof *r->f);
	if (++h->cur->n == h->batchn)
		handput(h, 0);
}

static void clientsend(struct pass *ps);

/* The clients' thread: each batch's outcomes to their clients, in order. */
static void *
handrun(void *arg)
{
	struct hand *h = arg;
	struct orec o;
	struct batch *b;
	const struct hrec *e;
	size_t i;

	o.cents = NULL;
	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (h->head == NULL && !h->done)
			pthread_cond_wait(&h->full, &h->mu);
		if ((b = h->head) != NULL && (h->head = b->next) == NULL)
			h->tail = NULL;
		pthread_mutex_unlock(&h->mu);
		if (b == NULL)
			break;
		for (i = 0; i < b->n; i++) {
			e = (const struct hrec *)(b->b + i * h->stride);
			o.f = e->f;
			o.len = e->len;
			o.recsum = e->recsum;
			o.amc = e->amc;
			o.lineno = e->lineno;
			if (clientrec(h->ps, &o) < 0)
				die_at(EX_DATAERR, h->ps->path, o.lineno, "amc_eur", "sum out of range");
		}
		pthread_mutex_lock(&h->mu);
		b->next = h->spare;
		h->spare = b;
		pthread_cond_signal(&h->free);
		pthread_mutex_unlock(&h->mu);
	}
	clientsend(h->ps);
	return NULL;
}

/*
 * The clients' thread started for ps, the outcomes' ncol columns handed
 * to it in batches of $TIERS_RETBATCH outcomes, four of them at most
 * (for the tests: many batches on a small file, the reader held back),
 * or of BATCH, RINGMEM bytes of them.
 */
static struct hand *
handstart(struct pass *ps, int ncol)
{
	struct hand *h = xmalloc(sizeof *h);
	const char *e = getenv("TIERS_RETBATCH");

	memset(h, 0, sizeof *h);
	h->ps = ps;
	h->ncol = ncol;
	h->stride = sizeof(struct hrec) + (size_t)ncol * sizeof(struct field);
	h->batchn = BATCH;
	h->maxb = RINGMEM / (BATCH * h->stride);
	if (e != NULL && *e != '\0') {
		h->batchn = (size_t)numarg(e, 1, 1 << 20, "TIERS_RETBATCH");
		h->maxb = 4;
	}
	if (h->maxb < 2)
		h->maxb = 2;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->full, NULL);
	pthread_cond_init(&h->free, NULL);
	if ((errno = pthread_create(&h->th, NULL, handrun, h)) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	return h;
}

/* The clients' thread, done with the last batch handed over. */
static void
handjoin(struct hand *h)
{
	struct batch *b;

	if ((errno = pthread_join(h->th, NULL)) != 0)
		die(EX_OSERR, "pthread_join: %s", strerror(errno));
	while ((b = h->spare) != NULL) {
		h->spare = b->next;
		free(b->b);
		free(b);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->full);
	pthread_cond_destroy(&h->free);
	free(h);
}

static int
passrec(void *arg, struct ts_reader *r)
{
	struct pass *ps = arg;
	const struct field *o = &r->f[ps->ko];
	struct orec or;

	if (ps->order != NULL && !(o->n == 6 && memcmp(o->p, "client", 6) == 0)) {
		const struct field *f1 = &r->f[ps->k1], *f2 = &r->f[ps->k1 + 1];

		ps->kept++;
		if (money_add(&ps->keptamc, ps->keptamc, r->cents[ps->ka]) < 0)
			return ts_error(r, "amc_eur", "sum out of range");
		psadd(ps->order, f1->p, (size_t)(f2->p + f2->n - f1->p),
		    (uint64_t)(r->line - ps->map), r->line, r->len, r->f, ps->pc);
	}
	if (ps->dir == NULL)
		return 0;
	if (ps->hand != NULL) {
		handrec(ps->hand, r, ps->ka);
		return 0;
	}
	or.f = r->f;
	or.cents = r->cents;
	or.len = r->len;
	or.recsum = r->recsum;
	or.amc = r->cents[ps->ka];
	or.lineno = 1 + r->in.lineno;
	if (clientrec(ps, &or) < 0)
		return ts_error(r, "amc_eur", "sum out of range");
	return 0;
}

/*
 * The outcomes of path (a plain file: reject-code wrote it), mapped in
 * *r and checked whole in one pass (every record, the trailer's count,
 * sum and CRC), which writes the clients' returns into clientdir (NULL:
 * none) and, order not NULL, lists the PS return's outcomes in *order
 * (those whose outcome is not client, each under its PS, the fields k1
 * and k1 + 1), the PS in order.  p->kept says how many, p->keptamc the
 * sum of their amc_eur as the reader parsed it, for the writer to check
 * its own count and sum against.  With two jobs and both kinds of
 * returns, the clients' are written by a thread of their own, which
 * goes on after onepass (p->hand, to join when the PS return is done).
 */
static void
onepass(struct pass *pp, struct ts_reader *r, const char *path, const char *date,
    struct psorder *order, int k1, const char *clientdir, int jobs)
{
	static const char *const cident = "identity_update";
	void *arg = pp;
	long base;
	int i;
	size_t j;

	memset(pp, 0, sizeof *pp);
	pp->path = path;
	pp->order = order;
	pp->k1 = k1;
	pp->ko = ocol("outcome");
	pp->ka = ocol("amc_eur");
	for (i = 0; i < NPC; i++)
		pp->pc[i] = ocol(pcols[i]);
	if (clientdir != NULL) {
		snprintf(pp->meta, sizeof pp->meta, "business_date\t%s", date);
		pp->dir = clientdir;
		pp->kamc = ocol("amc");
		pp->kout = ocol("outcome");
		for (i = 0; i < NCC; i++) {
			pp->cc[i] = strcmp(ccols[i], cident) == 0 ? -1 : ocol(ccols[i]);
			pp->hasamc |= pp->cc[i] == pp->ka;
			for (j = 0; j < sizeof cfew / sizeof cfew[0]; j++)
				if (strcmp(ccols[i], cfew[j]) == 0) {
					pp->memo[i] = xmalloc(QSLOTS * sizeof *pp->memo[i]);
					memset(pp->memo[i], 0, QSLOTS * sizeof *pp->memo[i]);
				}
		}
		/* Up to the invoice, what an invoice's lines have in common. */
		for (pp->npre = 1; pp->npre < NCC && pp->cc[pp->npre] == pp->cc[pp->npre - 1] + 1 &&
		    pp->cc[pp->npre - 1] >= 0 && strcmp(ccols[pp->npre - 1], "invoice") != 0; pp->npre++)
			;
		if (pp->cc[0] < 0 || strcmp(ccols[pp->npre - 1], "invoice") != 0)
			pp->npre = 0;
		pp->pren = SIZE_MAX;
		for (pp->idk = 0; pp->idk < NCC && pp->cc[pp->idk] >= 0; pp->idk++)
			;
		if (pp->idk == NCC || pp->idk < pp->npre || pp->idk == 0)
			die(EX_SOFTWARE, "client returns: %s first, or among %d first", cident, pp->npre);
		for (pp->kbr = 0; pp->kbr < NCC && strcmp(ccols[pp->kbr], "br_eur") != 0; pp->kbr++)
			;
		if (pp->kbr == NCC || pp->kbr - 1 < pp->npre || pp->kbr >= pp->idk ||
		    strcmp(ccols[pp->kbr - 1], "fr_eur") != 0)
			die(EX_SOFTWARE, "client returns: br_eur not after fr_eur, before %s", cident);
		for (pp->ksp = 0; pp->ksp < NCC && strcmp(ccols[pp->ksp], "recover_eur") != 0; pp->ksp++)
			;
		pp->nsp = 3;
		if (pp->ksp <= pp->kbr || pp->ksp + pp->nsp > pp->idk - 1 ||
		    strcmp(ccols[pp->ksp + 1], "dest") != 0 || strcmp(ccols[pp->ksp + 2], "code") != 0 ||
		    pp->cc[pp->ksp + 1] != pp->cc[pp->ksp] + 1 || pp->cc[pp->ksp + 2] != pp->cc[pp->ksp] + 2 ||
		    strcmp(ccols[pp->idk - 1], "outcome") != 0)
			die(EX_SOFTWARE, "client returns: not recover_eur, dest and code, "
			    "then outcome and %s", cident);
		for (i = 0; i < NCC; i++) {
			int wide = 0, amt = 0;

			for (j = 0; j < sizeof cwide / sizeof cwide[0]; j++)
				wide |= strcmp(ccols[i], cwide[j]) == 0;
			for (j = 0; j < sizeof camt / sizeof camt[0]; j++)
				amt |= strcmp(ccols[i], camt[j]) == 0;
			if ((wide || amt) && !(i == pp->kbr - 1 || (i > pp->kbr && i < pp->ksp) ||
			    i > pp->idk))
				die(EX_SOFTWARE, "client returns: %s not quoted by CSVWIDE", ccols[i]);
			if (wide)
				pp->wide[i] = qwnew();
			else if (amt) {
				pp->amt[i] = xmalloc(((size_t)1 << QABITS) * sizeof *pp->amt[i]);
				memset(pp->amt[i], 0, ((size_t)1 << QABITS) * sizeof *pp->amt[i]);
			}
		}
		pp->spmemo = xmalloc(QSLOTS * sizeof *pp->spmemo);
		memset(pp->spmemo, 0, QSLOTS * sizeof *pp->spmemo);
		pp->omemo = xmalloc(QSLOTS * sizeof *pp->omemo);
		memset(pp->omemo, 0, QSLOTS * sizeof *pp->omemo);
		pp->nrun = runs(pp->cc, NCC, pp->run, pp->first);
		pp->nmk = -1;
		pp->mkrec = -1;
		/* A line of the outcome's fields, fewer, and identity_update's byte and TAB. */
		pp->tl = xmalloc(LINE_MAX_ + 64);
		for (pp->idrun = 0; pp->idrun < pp->nrun && pp->first[pp->idrun] >= 0; pp->idrun++)
			;
		if (pp->idrun == pp->nrun)
			die(EX_SOFTWARE, "client returns: no %s column", cident);
	}
	if (ts_open(r, path, "outcome", 1) < 0 || ts_map(r) < 0)
		ts_fatal(r);
	pp->map = r->map;
	/*
	 * The PS return reads the outcomes again, at their offsets: the
	 * pages the scan would give back would be mapped again, a fault
	 * each.
	 */
	r->keepmap = order != NULL;
	pp->mcol = r->mcol;
	pp->nmcol = r->nmcol;
	pp->money = r->money;
	if (clientdir != NULL && order != NULL && jobs >= 2)
		pp->hand = handstart(pp, r->ncol);
	if (ts_scan(r, 1, passrec, &arg, &base) < 0) {
		/* The clients' lines before the bad one written first, as by one job. */
		if (pp->hand != NULL) {
			handput(pp->hand, 1);
			handjoin(pp->hand);
		}
		ts_fatal(r);
	}
	if (pp->hand != NULL)
		handput(pp->hand, 1);
	else if (clientdir != NULL)
		clientsend(pp);
	if (order != NULL)
		pssort(order);
}

/* The clients' returns, every outcome written: checked and closed. */
static void
clientsend(struct pass *ps)
{
	size_t j;
	int i;

	if (ps->n != ps->nin || ps->amc != ps->inamc)
		die(EX_SOFTWARE, "client returns: conservation: %llu outcomes, %llu lines; "
		    "%lld cents, %lld", (unsigned long long)ps->nin, (unsigned long long)ps->n,
		    (long long)ps->inamc, (long long)ps->amc);
	for (j = 0; j < ps->ncl; j++) {
		ts_wclose(&ps->cl[j]->w);
		oclose(&ps->cl[j]->csv);
		free(ps->cl[j]);
	}
	free(ps->cl);
	free(ps->tl);
	for (i = 0; i < NCC; i++)
		free(ps->memo[i]);
	free(ps->spmemo);
	free(ps->omemo);
	for (i = 0; i < NCC; i++) {
		qwfree(ps->wide[i]);
		free(ps->amt[i]);
	}
}

static inline __attribute__((always_inline)) void
setval(struct lay_val *v, const struct field *f)
{
	size_t n = f->n < LAY_VALSZ - 1 ? f->n : LAY_VALSZ - 1;

	/*
	 * Words that overlap, not a call (a field's few bytes, the code,
	 * the outcome, an amount, cost a memcpy each as much again): nothing
	 * read past them.
	 */
	if (n <= 16)
		few_cpy(v->text, f->p, n);
	else
		lay_cpy(v->text, f->p, n);
	v->text[n] = '\0';
	v->n = (unsigned char)n;
	v->set = f->n > 0;
}

/* An amount's field, and its cents as the reader parsed them. */
static void
setamount(struct lay_val *v, const struct field *f, int64_t c)
{
	setval(v, f);
	v->num = c;
	v->bynum = 1;
}

static void
setcents(struct lay_val *v, int64_t c)
{
	v->n = (unsigned char)money_fmt(c, v->text);
	v->set = 1;
}

static void
setcount(struct lay_val *v, uint64_t n)
{
	v->n = (unsigned char)snprintf(v->text, sizeof v->text, "%llu", (unsigned long long)n);
	v->set = 1;
}

/* A record of the fixed-width PS return, r a record of its layout l. */
static void
fixrec(struct obuf *o, const struct layout *l, const struct lay_record *r,
    const struct lay_val *vals)
{
	const char *why;
	int col;

	if (r->len >= 1024)
		die(EX_DATAERR, "%s: record %s longer than %d", l->source, r->type, 1023);
	oroom(o, (size_t)r->len + 1);
	if (lay_encode(l, r, vals, o->b + o->len, &col, &why) < 0)
		die(EX_DATAERR, "%s: record %s: field %s: %s", o->path, r->type,
		    col >= 0 ? laynames[col] : "-", why);
	o->b[o->len + (size_t)r->len] = '\n';
	o->len += (size_t)r->len + 1;
	oline(o);
}

/*
 * The PS return, from the outcomes the pass over them (r, mapped) put
 * in order: kept lines whose amc_eur sum to inamc.
 */
static void
psreturn(struct ts_reader *r, const char *path, struct psorder *o, uint64_t kept, int64_t inamc,
    const char *date, const char *psout, const char *fixout, const struct layout *lay)
{
	struct ts_writer w;
	struct lay_val v[NY];
	struct field f[NPC];
	const uint16_t *sp;
	char meta[64], prevkind[32] = "", prevnum[64] = "", *line, *d;
	size_t pklen = 0, pnlen = 0;
	struct obuf fo;
	const struct lay_record *r000 = NULL, *r100 = NULL, *r200 = NULL, *r900 = NULL;
	const struct lay_record *r999 = NULL;
	unsigned char wm[NPC];
	int pc[NPC], run[NPC], first[NPC], mi[NPC], wi[NPC], nrun, nm, nw, i, j, e, open = 0;
	int newps;
	size_t rl[NPC], tot;
	uint64_t n = 0, pn = 0, off;
	int64_t amc = 0, fr = 0, pamc = 0, pfr = 0, x, cents[NPC], recsum;

	for (i = 0; i < NPC; i++)
		pc[i] = ocol(pcols[i]);
	/* The runs of the PS return's columns, by their place in it. */
	nrun = runs(pc, NPC, run, first);
	for (i = j = 0; i < nrun; j += run[i++])
		first[i] = j;
	memset(wm, 0, sizeof wm);
	if (psout != NULL) {
		struct pub *p = newpub(psout, 0);

		ts_wopen(&w, p->fd, psout, "ps-return", 1, pcols, NPC);
		snprintf(meta, sizeof meta, "business_date\t%s", date);
		ts_wmeta(&w, meta);
		memcpy(wm, w.money, NPC);
	}
	/* The amounts parsed (mi): the writer's (wi), and those of the fixed-width file. */
	for (i = nm = nw = 0; i < NPC; i++) {
		if (wm[i] || i == 7 || i == 8 || i == 9)
			mi[nm++] = i;
		if (wm[i])
			wi[nw++] = i;
	}
	line = xmalloc(LINE_MAX_ + 2);
	memset(v, 0, sizeof v);
	if (fixout != NULL) {
		oopen(&fo, newpub(fixout, 0), fixout);
		/* The records by type, found once (returns_layout checked they are). */
		r000 = lay_find(lay, "000", 3);
		r100 = lay_find(lay, "100", 3);
		r200 = lay_find(lay, "200", 3);
		r900 = lay_find(lay, "900", 3);
		r999 = lay_find(lay, "999", 3);
		setval(&v[Y_DATE], &(struct field){ date, strlen(date) });
		fixrec(&fo, lay, r000, v);
	}
	while (psnext(o, (const char *)r->map, &off, &sp, &newps)) {
		const struct field *fk = &f[0], *fn = &f[1];

		/*
		 * The line was checked, with the trailer, by the pass that
		 * listed it, on these mapped bytes: its fields are where the
		 * pass found them, or it is split again, not checked again.
		 */
		if (off >= r->maplen)
			die_at(EX_SOFTWARE, path, 0, "", "not the offset of an outcome");
		if (sp != NULL) {
			/* Unrolled, as psadd's loop that kept them. */
			_Pragma("GCC unroll 16")
			for (i = 0; i < NPC; i++) {
				f[i].p = (const char *)r->map + off + sp[2 * i];
				f[i].n = sp[2 * i + 1];
			}
		} else {
			if (ts_reline(r, (const char *)r->map + off) < 0)
				die_at(EX_SOFTWARE, path, 0, "", "not the offset of an outcome");
			for (i = 0; i < NPC; i++)
				f[i] = r->f[pc[i]];
		}
		/* The amounts, parsed again from the line (an empty one is 0). */
		for (j = 0; j < nm; j++) {
			i = mi[j];
			cents[i] = 0;
			if (f[i].n > 0 && (e = money_parse(f[i].p, f[i].n, &cents[i])) != M_OK)
				die_at(EX_SOFTWARE, path, ts_lineof(r, f[0].p), pcols[i], "%s",
				    money_strerror(e));
		}
		if (psout != NULL) {
			/*
			 * The record as ts_wruns wrote it from the reader: its
			 * runs of columns copied, TABs between, its amounts summed.
			 */
			if (f[0].n > 0 && f[0].p[0] == '#')
				die(EX_SOFTWARE, "%s: record %llu: first field starts with #",
				    psout, (unsigned long long)w.nrec + 1);
			for (j = 0, recsum = 0; j < nw; j++)
				if (__builtin_add_overflow(recsum, cents[wi[j]], &recsum))
					die(EX_DATAERR, "%s: record sum out of range", psout);
			/*
			 * The runs' lengths, checked at once; then copied, those
			 * of 16 bytes at most (an amount, the outcome, the code)
			 * by two words (few_cpy), not a call to memcpy.
			 */
			for (i = 0, tot = (size_t)nrun - 1; i < nrun; i++) {
				const struct field *a = &f[first[i]], *b = a + run[i] - 1;

				rl[i] = (size_t)(b->p + b->n - a->p);
				tot += rl[i];
			}
			if (tot > LINE_MAX_ + 1)
				die(EX_SOFTWARE, "%s: record longer than %d bytes", psout, LINE_MAX_);
			for (i = 0, d = line; i < nrun; i++) {
				if (i > 0)
					*d++ = '\t';
				if (rl[i] <= 16)
					few_cpy(d, f[first[i]].p, rl[i]);
				else
					memcpy(d, f[first[i]].p, rl[i]);
				d += rl[i];
			}
			ts_wfields(&w, line, (size_t)(d - line), NPC, recsum);
			ts_wend(&w);
		}
		n++;
		/* amc_eur as this second read parsed it; the pass summed its own. */
		x = cents[8];
		if (money_add(&amc, amc, x) < 0)
			die_at(EX_SOFTWARE, path, ts_lineof(r, r->line), "amc_eur", "sum out of range");
		if (fixout == NULL)
			continue;
		/* Of the PS before (!newps): the same bytes, no compare. */
		if (!open || (newps && (fk->n != pklen || memcmp(fk->p, prevkind, fk->n) != 0 ||
		    fn->n != pnlen || memcmp(fn->p, prevnum, fn->n) != 0))) {
			if (open) {
				setcount(&v[Y_COUNT], pn);
				setcents(&v[Y_TOTAL], pamc);
				setcents(&v[Y_FRTOTAL], pfr);
				fixrec(&fo, lay, r900, v);
			}
			snprintf(prevkind, sizeof prevkind, "%.*s", (int)fk->n, fk->p);
			snprintf(prevnum, sizeof prevnum, "%.*s", (int)fn->n, fn->p);
			/* Their lengths as kept (cut to the buffers), for the next line's test. */
			pklen = strlen(prevkind);
			pnlen = strlen(prevnum);
			setval(&v[Y_PSKIND], fk);
			setval(&v[Y_PSNUM], fn);
			fixrec(&fo, lay, r100, v);
			open = 1;
			pn = 0;
			pamc = pfr = 0;
		}
		setval(&v[Y_INVOICE], &f[2]);
		setval(&v[Y_LINENO], &f[3]);
		setval(&v[Y_ACTDATE], &f[4]);
		setval(&v[Y_ACT], &f[5]);
		setval(&v[Y_CLAIM], &f[6]);
		setamount(&v[Y_FR], &f[7], cents[7]);
		setamount(&v[Y_AMC], &f[8], x);
		setamount(&v[Y_RECOVER], &f[9], cents[9]);
		setval(&v[Y_OUTCOME], &f[10]);
		setval(&v[Y_CODE], &f[11]);
		setval(&v[Y_BY], &f[12]);
		setval(&v[Y_PAYREF], &f[13]);
		fixrec(&fo, lay, r200, v);
		pn++;
		/* x: the amc_eur just parsed. */
		if (money_add(&pamc, pamc, x) < 0 ||
		    money_add(&pfr, pfr, cents[7]) < 0 || money_add(&fr, fr, cents[7]) < 0)
			die_at(EX_DATAERR, path, 0, "amc_eur", "an amount out of range");
	}
	/* Conservation: the lines and the AMC of the outcomes, all of them. */
	if (n != kept || amc != inamc)
		die(EX_SOFTWARE, "PS return: conservation: %llu outcomes, %llu lines; %lld cents, %lld",
		    (unsigned long long)kept, (unsigned long long)n, (long long)inamc, (long long)amc);
	if (fixout != NULL) {
		if (open) {
			setcount(&v[Y_COUNT], pn);
			setcents(&v[Y_TOTAL], pamc);
			setcents(&v[Y_FRTOTAL], pfr);
			fixrec(&fo, lay, r900, v);
		}
		setcount(&v[Y_COUNT], n);
		setcents(&v[Y_TOTAL], amc);
		setcents(&v[Y_FRTOTAL], fr);
		fixrec(&fo, lay, r999, v);
		oclose(&fo);
	}
	if (psout != NULL)
		ts_wclose(&w);
	free(line);
}

void
returns_write(const char *path, const char *date, const char *psout, const char *fixout,
    const struct layout *lay, const char *clientdir, int jobs)
{
	struct ts_reader r;
	struct pass p;
	struct psorder o;
	int ps = psout != NULL || fixout != NULL;

	memset(&o, 0, sizeof o);
	if (ocol("ps_number") != ocol("ps_kind") + 1)
		die(EX_SOFTWARE, "outcome columns: ps_number does not follow ps_kind");
	onepass(&p, &r, path, date, ps ? &o : NULL, ocol("ps_kind"), clientdir, jobs);
	if (ps)
		psreturn(&r, path, &o, p.kept, p.keptamc, date, psout, fixout, lay);
	/* The clients' thread reads the mapping: done before it goes. */
	if (p.hand != NULL)
		handjoin(p.hand);
	psfree(&o);
	ts_close(&r);
}
