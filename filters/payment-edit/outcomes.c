/*
 * payment-edit: the lines to pay.  Each made in one allocation from a
 * record's fields and put back as a record's fields; the day's read from
 * the outcomes by two threads, then put in order (lines_order()).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pay.h"

/* The lines to pay: the day's, and those held the day before. */
struct line **lines;
size_t nlines;
static size_t maxlines;

/* A field's bytes at *p, NUL-ended; *p moved past them. */
static inline __attribute__((always_inline)) char *
fput(char **p, const struct field *f)
{
	char *s = *p;

	if (f->n <= 16)
		few_cpy(s, f->p, f->n);
	else
		memcpy(s, f->p, f->n);
	s[f->n] = '\0';
	*p += f->n + 1;
	return s;
}

/*
 * A line and its seven fields in one allocation, the key right after
 * the amc (the orders of order.c read them as one string), then its
 * amount's text: formatted once, written three times (the ledger, the
 * remittance statements).  In an arena (ar), kept to the end of the
 * run: a malloc a line was 66 M instructions on 2026-01-19 of the
 * generated world.
 */
struct line *
mkline(struct arena *ar, const struct field *f, const int *c, int32_t decided, int64_t amt,
    int carried)
{
	struct line *l;
	size_t n = sizeof *l, neur;
	char *p, eur[MONEY_BUFSZ];
	int i;

	neur = money_fmt(amt, eur);
	n += neur + 1;
	for (i = 0; i < 7; i++)
		n += f[c[i]].n + 1;
	l = (struct line *)(void *)arena_in(ar, n);
	p = (char *)(l + 1);
	l->amc = fput(&p, &f[c[0]]);
	l->key = fput(&p, &f[c[1]]);
	if (c[3] == c[2] + 1 && c[4] == c[3] + 1 && c[5] == c[4] + 1 && c[6] == c[5] + 1) {
		/*
		 * ps_kind to act_date, columns one after the other (the
		 * outcomes'): the reader's fields point into the record,
		 * one TAB between each and the next, so they are one copy,
		 * the TABs made NULs (a memcpy call a field was 43 M
		 * instructions of 2026-01-19 of the generated world).
		 */
		size_t n2 = f[c[2]].n, n3 = f[c[3]].n, n4 = f[c[4]].n, n5 = f[c[5]].n;
		size_t nr = (size_t)(f[c[6]].p + f[c[6]].n - f[c[2]].p);

		memcpy(p, f[c[2]].p, nr);
		p[nr] = '\0';
		l->kind = p;
		l->num = p += n2 + 1;
		l->invoice = p += n3 + 1;
		l->lineno = p += n4 + 1;
		l->actdate = p += n5 + 1;
		l->kind[n2] = l->num[n3] = l->invoice[n4] = l->lineno[n5] = '\0';
		p = l->kind + nr + 1;
	} else {
		l->kind = fput(&p, &f[c[2]]);
		l->num = fput(&p, &f[c[3]]);
		l->invoice = fput(&p, &f[c[4]]);
		l->lineno = fput(&p, &f[c[5]]);
		l->actdate = fput(&p, &f[c[6]]);
	}
	l->namc = f[c[0]].n;
	l->nkey = f[c[1]].n;
	l->nall = (size_t)(p - l->amc);
	if (neur + 1 <= 16)
		few_cpy(p, eur, neur + 1);
	else
		memcpy(p, eur, neur + 1);
	l->neur = (int)neur;
	l->decided = decided;
	l->amt = amt;
	l->carried = carried;
	l->py = NULL;
	l->raw = NULL;
	l->nraw = 0;
	l->rawwhy = R_NONE;
	return l;
}

/* Eight bytes from s to d, each NUL a TAB. */
static inline void
tab8(char *d, const char *s)
{
	const uint64_t lo = 0x7f7f7f7f7f7f7f7fULL, hi = 0x8080808080808080ULL;
	uint64_t x, z;

	memcpy(&x, s, 8);
	/* z has the high bit of each NUL byte, only. */
	z = ~(((x & lo) + lo) | x) & hi;
	x |= (z >> 7) * '\t';
	memcpy(d, &x, 8);
}

/*
 * The fields of a line from from up to to (the NUL of the last), as
 * the TAB-separated fields of a record, at p: past them.  They were
 * checked as they were read (ts_next refuses control bytes and bad
 * UTF-8), so they go to the writers whole (ts_wfields), not field by
 * field: that was a fifth of the run.
 */
char *
line_tabs(char *p, const char *from, const char *to)
{
	size_t n = (size_t)(to - from), i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			p[i] = from[i] == '\0' ? '\t' : from[i];
		return p + n;
	}
#if defined(__SSE2__)
	/*
	 * Sixteen bytes at a time, the last sixteen overlapping those
	 * before: four instructions where tab8 took a dozen for eight
	 * (line_tabs was 82 M instructions of 2026-01-19 of the generated
	 * world, a million calls of 45 bytes).
	 */
	if (n >= 16) {
		const __m128i z = _mm_setzero_si128(), t = _mm_set1_epi8('\t');
		__m128i x;

		for (i = 0; i + 16 < n; i += 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)(from + i));
			x = _mm_or_si128(x, _mm_and_si128(_mm_cmpeq_epi8(x, z), t));
			_mm_storeu_si128((__m128i *)(void *)(p + i), x);
		}
		x = _mm_loadu_si128((const __m128i *)(const void *)(from + n - 16));
		x = _mm_or_si128(x, _mm_and_si128(_mm_cmpeq_epi8(x, z), t));
		_mm_storeu_si128((__m128i *)(void *)(p + n - 16), x);
		return p + n;
	}
#endif
	/* Eight bytes at a time, the last eight overlapping the eight before. */
	for (i = 0; i + 8 < n; i += 8)
		tab8(p + i, from + i);
	tab8(p + n - 8, from + n - 8);
	return p + n;
}

/*
 * A day of decision, formatted into buf (DATE_BUFSZ bytes): most are
 * today, formatted once (one thread only).
 */
size_t
decided_fmt(int32_t day, char *buf)
{
	static int32_t last = INT32_MIN;
	static char s[DATE_BUFSZ];
	static size_t n;

	if (day != last) {
		n = date_fmt(day, s);
		last = day;
	}
	/* The whole buffer, a copy of known size (date_fmt's are all 10 long). */
	memcpy(buf, s, DATE_BUFSZ);
	return n;
}

void
addline(struct line *l)
{
	if (nlines == maxlines) {
		maxlines = maxlines ? 2 * maxlines : 1024;
		lines = xrealloc(lines, maxlines * sizeof *lines);
	}
	lines[nlines++] = l;
}

/* The outcomes read, and those not paid to the PS: for the message. */
uint64_t nout;
static uint64_t nother;

/*
 * The day's outcomes: the lines paid to the PS (paid, paid-report;
 * dest ps or ps-recover), each with the reference reject-code gave it.
 * Read by two threads (ts_scan), a part of the file each, into lines
 * of its own put end to end after.
 */
#define OPARTS 2
static const char *const outcols[] = {
	"amc", "first_claim", "ps_kind", "ps_number", "invoice", "line_no",
	"act_date", "amc_eur", "outcome", "dest", "payment_ref"
};
static int oc[11];

struct opart {
	struct line **v, **old;
	size_t n, cap, nold, capold;
	uint64_t nout, nother;
	struct arena ar;	/* its lines */
	char last[10];		/* the date of the last first_claim, and its day */
	int32_t lastday;
};

/*
 * firstday(), the date parsed once a run of lines of one day, not once
 * a line (all the lines of a day but a few are of the day).
 */
static int
opfirstday(struct opart *op, const char *key, size_t n, int32_t *day)
{
	size_t i;

	if (n >= 12 && op->last[0] != '\0' && memcmp(key, op->last, 10) == 0) {
		if (key[10] != '#')
			return -1;
		for (i = 11; i < n; i++)
			if (key[i] < '0' || key[i] > '9')
				return -1;
		*day = op->lastday;
		return 0;
	}
	if (firstday(key, n, day) < 0)
		return -1;
	memcpy(op->last, key, 10);
	op->lastday = *day;
	return 0;
}

/* The day's lines first received on an earlier day, in the ledger's order. */
struct line **olds;
size_t nolds;

static int
outcome(void *arg, struct ts_reader *r)
{
	struct opart *op = arg;
	const struct field *f = r->f, *o = &f[oc[8]], *d = &f[oc[9]];
	const int *c = oc;
	struct line *l;
	char ref[36];
	int32_t first;
	int n;

	op->nout++;
	if (!((o->n == 4 && memcmp(o->p, "paid", 4) == 0) ||
	    (o->n == 11 && memcmp(o->p, "paid-report", 11) == 0)) ||
	    !((d->n == 2 && memcmp(d->p, "ps", 2) == 0) ||
	    (d->n == 10 && memcmp(d->p, "ps-recover", 10) == 0))) {
		op->nother++;
		return 0;
	}
	if (!isamc(&f[c[0]]))
		return ts_error(r, "amc", "a paid line's client is not an AMC number");
	if (opfirstday(op, f[c[1]].p, f[c[1]].n, &first) < 0 || first > today)
		return ts_error(r, "first_claim",
		    "not a day and rank YYYY-MM-DD#N on or before the business date");
	if (r->cents[c[7]] < 0)
		return ts_error(r, "amc_eur", "below 0.00 on a paid line");
	l = mkline(&op->ar, f, c, today, r->cents[c[7]], 0);
	if (op->n == op->cap) {
		op->cap = op->cap ? 2 * op->cap : 1024;
		op->v = xrealloc(op->v, op->cap * sizeof *op->v);
	}
	op->v[op->n++] = l;
	if (first < today) {
		if (op->nold == op->capold) {
			op->capold = op->capold ? 2 * op->capold : 64;
			op->old = xrealloc(op->old, op->capold * sizeof *op->old);
		}
		op->old[op->nold++] = l;
	}
	if ((n = pay_refn(ref, today_s, l->amc, l->namc, l->kind, l->num,
	    (size_t)(l->invoice - l->num) - 1)) < 0 || f[c[10]].n != (size_t)n ||
	    memcmp(f[c[10]].p, ref, f[c[10]].n) != 0)
		return ts_error(r, "payment_ref", "not the day's reference of the line's PS and client");
	return 0;
}

void
readoutcomes(const char *path)
{
	struct ts_reader r;
	struct opart op[OPARTS];
	void *args[OPARTS];
	long base[OPARTS];
	size_t i, k;

	if (ts_open(&r, path, "outcome", 1) < 0)
		ts_fatal(&r);
	needcols(&r, outcols, 11, oc);
	memset(op, 0, sizeof op);
	for (i = 0; i < OPARTS; i++)
		args[i] = &op[i];
	if (ts_scan(&r, OPARTS, outcome, args, base) < 0)
		ts_fatal(&r);
	ts_close(&r);
	for (i = 0; i < OPARTS; i++) {
		nout += op[i].nout;
		nother += op[i].nother;
		olds = xrealloc(olds, (nolds + op[i].nold + 1) * sizeof *olds);
		for (k = 0; k < op[i].nold; k++)
			olds[nolds++] = op[i].old[k];
		free(op[i].old);
	}
	lines_sort(olds, nolds);
	/* The parts' lines end to end, then in the ledger's order. */
	maxlines = op[0].n + op[1].n + 1;
	lines = xrealloc(lines, maxlines * sizeof *lines);
	for (i = 0; i < OPARTS; i++) {
		if (op[i].n > 0)
			memcpy(lines + nlines, op[i].v, op[i].n * sizeof *lines);
		nlines += op[i].n;
	}
	if (lines_order(lines, nlines))
		die(EX_DATAERR, "%s: first_claim: a line paid twice in the day's outcomes", path);
	free(op[0].v);
	free(op[1].v);
}

