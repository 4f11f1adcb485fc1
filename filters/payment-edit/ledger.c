/*
 * payment-edit: the payment ledger (tiers-payment(5)).  The day before's:
 * its lines held, read whole, and its segments of lines paid, searched
 * for a line of today's; the day's: written, the segments carried.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pay.h"

static const char *const lcols[] = {
	"amc", "line", "ps_kind", "ps_number", "invoice", "line_no", "act_date",
	"decided", "amc_eur", "status", "paid", "payment_ref", "reason"
};
enum {
	L_AMC, L_LINE, L_KIND, L_NUM, L_INVOICE, L_LINENO, L_ACTDATE, L_DECIDED,
	L_EUR, L_STATUS, L_PAID, L_REF, L_REASON, NL
};

/* The day's lines already paid or held the day before, for the summary. */
uint64_t nalready;
int64_t already_eur;

static int
keycmp(const struct line *a, const struct field *amc, const struct field *key)
{
	int c;

	if ((c = cmpbytes(a->amc, amc->p, a->namc < amc->n ? a->namc : amc->n)) != 0)
		return c;
	if (a->namc != amc->n)
		return a->namc < amc->n ? -1 : 1;
	if ((c = cmpbytes(a->key, key->p, a->nkey < key->n ? a->nkey : key->n)) != 0)
		return c;
	return a->nkey < key->n ? -1 : a->nkey > key->n;
}

/*
 * The ledger of the day before, row by row: 1 + the row's status, or 0
 * at its end; its order checked against the key before (pk, kept).
 */
struct lkey {
	struct line l;
	size_t cap;
};

static int
ledgernext(struct ts_reader *r, const char *path, const int *c, struct lkey *pk)
{
	const struct field *f;
	int k = ts_next(r), st;
	size_t n;

	if (k < 0)
		ts_fatal(r);
	if (k == 0)
		return 0;
	f = r->f;
	/* Held first: the lines held are all held. */
	for (st = NS; st-- > 0;)
		if (strlen(statuses[st]) == f[c[L_STATUS]].n &&
		    memcmp(statuses[st], f[c[L_STATUS]].p, f[c[L_STATUS]].n) == 0)
			break;
	if (st < 0)
		die_at(EX_DATAERR, path, r->in.lineno, "status", "not paid, offset or held");
	if (!isamc(&f[c[L_AMC]]) || f[c[L_LINE]].n == 0)
		die_at(EX_DATAERR, path, r->in.lineno, f[c[L_LINE]].n ? "amc" : "line",
		    "not an AMC number, or empty");
	if (pk->l.amc != NULL && keycmp(&pk->l, &f[c[L_AMC]], &f[c[L_LINE]]) >= 0)
		die_at(EX_DATAERR, path, r->in.lineno, "line", "out of order (amc, line)");
	n = f[c[L_AMC]].n + f[c[L_LINE]].n + 2;
	if (n > pk->cap) {
		free(pk->l.amc);
		pk->l.amc = xmalloc(pk->cap = 2 * n);
	}
	memcpy(pk->l.amc, f[c[L_AMC]].p, f[c[L_AMC]].n);
	pk->l.amc[f[c[L_AMC]].n] = '\0';
	pk->l.key = pk->l.amc + f[c[L_AMC]].n + 1;
	memcpy(pk->l.key, f[c[L_LINE]].p, f[c[L_LINE]].n);
	pk->l.key[f[c[L_LINE]].n] = '\0';
	pk->l.namc = f[c[L_AMC]].n;
	pk->l.nkey = f[c[L_LINE]].n;
	return st + 1;
}

/*
 * The ledger of the day before, a directory (tiers-payment(5)): held.tsv,
 * the lines held, read whole; and a segment a business day of the lines
 * paid that day, paid-YYYY-MM-DD.tsv, sorted by (amc, line), which this
 * run reads only where a line of today's may be: a line's identity is
 * the dup_id of the day it was first received, and no line is paid
 * before that day.  A segment is searched by bytes, mapped, a few pages
 * of it touched; it was checked whole the day it was written.
 */
struct seg {
	int32_t day;
	char *path;
	struct ts_reader r;
	const char *rec, *end;	/* its records, mapped: from rec up to the trailer */
	int mapped;
};
static struct seg *segs;
size_t nsegs;
char *heldpath;
uint64_t nsearched, nsegread, nlinked, ndropped;

static int
segcmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

/* A segment's name, paid-YYYY-MM-DD.tsv: 0 and its day, or -1. */
static int
segname(const char *s, int32_t *day)
{
	char d[DATE_BUFSZ];

	if (strlen(s) != 19 || strncmp(s, "paid-", 5) != 0 || strcmp(s + 15, ".tsv") != 0 ||
	    date_parse(s + 5, 10, day) < 0)
		return -1;
	date_fmt(*day, d);
	return memcmp(d, s + 5, 10) == 0 ? 0 : -1;
}

void
ledgeropen(const char *dir, int32_t cutoff)
{
	struct dirent *de;
	struct seg *g;
	int32_t day;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		die(EX_NOINPUT, "%s: %s", dir, strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		if (strcmp(de->d_name, "held.tsv") == 0) {
			heldpath = path;
			continue;
		}
		if (segname(de->d_name, &day) < 0)
			die_at(EX_DATAERR, path, 0, NULL,
			    "not a file of a payment ledger (held.tsv, paid-YYYY-MM-DD.tsv)");
		if (day >= today)
			die_at(EX_DATAERR, path, 0, NULL, "a segment of the business date or after");
		/* Paid before the window: not carried, not searched. */
		if (day < cutoff) {
			ndropped++;
			free(path);
			continue;
		}
		segs = xrealloc(segs, (nsegs + 1) * sizeof *segs);
		g = &segs[nsegs++];
		memset(g, 0, sizeof *g);
		g->day = day;
		g->path = path;
	}
	if (errno != 0)
		die(EX_IOERR, "%s: %s", dir, strerror(errno));
	closedir(d);
	if (heldpath == NULL)
		die_at(EX_NOINPUT, dir, 0, NULL, "no held.tsv: not a payment ledger");
	if (nsegs > 1)
		qsort(segs, nsegs, sizeof *segs, segcmp);
}

/* A segment mapped: its columns the ledger's, in order; its records. */
static void
segmap(struct seg *g)
{
	int k;

	if (ts_open(&g->r, g->path, "payment-ledger", 1) < 0)
		ts_fatal(&g->r);
	for (k = 0; k < NL; k++)
		if (g->r.ncol != NL || strcmp(g->r.cols[k], lcols[k]) != 0)
			die_at(EX_DATAERR, g->path, 1, "header", "not the payment-ledger columns in order");
	ts_maprecs(&g->r, g->path, &g->rec, &g->end);
	g->mapped = 1;
	nsegread++;
}

/*
 * Is the line in a segment, paid on a day since it was first received?
 * The record found is checked where it stands: its status and its day.
 */
static int
segfind(const struct line *l)
{
	static char *key;
	static size_t cap;
	size_t klen = l->namc + l->nkey + 2, i;
	int32_t first, paid;
	const char *p;

	if (firstday(l->key, l->nkey, &first) < 0 || first >= today)
		return 0;
	nsearched++;
	if (klen + 1 > cap) {
		cap = 2 * klen + 1;
		key = xrealloc(key, cap);
	}
	snprintf(key, cap, "%s\t%s\t", l->amc, l->key);
	for (i = nsegs; i-- > 0 && segs[i].day >= first;) {
		struct seg *g = &segs[i];
		struct ts_reader *r = &g->r;

		if (!g->mapped)
			segmap(g);
		p = ts_seek(g->rec, g->end, key, klen);
		if (p >= g->end || (size_t)(g->end - p) < klen || memcmp(p, key, klen) != 0)
			continue;
		if (ts_line(r, p) < 0)
			ts_fatal(r);
		if (!((r->f[L_STATUS].n == 4 && memcmp(r->f[L_STATUS].p, "paid", 4) == 0) ||
		    (r->f[L_STATUS].n == 6 && memcmp(r->f[L_STATUS].p, "offset", 6) == 0))) {
			ts_error(r, "status", "not paid or offset in a segment of lines paid");
			ts_fatal(r);
		}
		if (date_parse(r->f[L_PAID].p, r->f[L_PAID].n, &paid) < 0 || paid != g->day) {
			ts_error(r, "paid", "not the segment's day");
			ts_fatal(r);
		}
		return 1;
	}
	return 0;
}

/* The day's lines marked already in the ledger go (their memory stays in its arena). */
static void
dropmarked(void)
{
	size_t i, j;

	for (i = j = 0; i < nlines; i++)
		if (lines[i]->amc[0] != '\0')
			lines[j++] = lines[i];
	nlines = j;
}

static void
already(struct line *l, const char *path)
{
	nalready++;
	if (money_add(&already_eur, already_eur, l->amt) < 0)
		die(EX_DATAERR, "%s: amc_eur: sum out of range", path);
	l->amc[0] = '\0';
}

/* The day's lines already paid, each looked up in the segments it may be in. */
void
ledgerpaid(void)
{
	uint64_t n0 = nalready;
	size_t i;

	/* Only those first received before today may be in a segment. */
	for (i = 0; i < nolds; i++)
		if (segfind(olds[i]))
			already(olds[i], "segments");
	free(olds);
	if (nalready > n0)
		dropmarked();
}

/*
 * Today's lines, then those held, each sorted by linecmp and none in
 * both: merged.
 */
static void
merge(void)
{
	struct line **v = xmalloc((nlines + 1) * sizeof *v);
	size_t i, j, k, m;

	for (m = 0; m < nlines && !lines[m]->carried; m++)
		;
	for (i = k = 0, j = m; k < nlines; k++)
		if (j == nlines || (i < m && linecmp(&lines[i], &lines[j]) < 0))
			v[k] = lines[i++];
		else
			v[k] = lines[j++];
	if (nlines > 0)
		memcpy(lines, v, nlines * sizeof *v);
	free(v);
}

/* The lines held the day before, kept to the end of the run. */
static struct arena heldar;

/*
 * The ledger's lines held, read as any stream is (ts_next) and mapped
 * too (hr, open until ledgercarry()): a line still held for the same
 * reason is the same row in the day's ledger, and goes there as it was
 * read, runs of rows at a time under their CRC (ts_wlines), not cut
 * and written again: most of a long backlog of lines held stays held.
 */
static struct ts_reader hr;
static int hropen;
static size_t nreason[NR];	/* the reasons' lengths */
static int lastwhy = R_NONE + 1;

/*
 * A line held read (l, from the record of hr at r->line): its row kept
 * (raw) if it is the row writeline() would write while held for the
 * same reason: the columns in the ledger's order, decided and amc_eur
 * as formatted, nothing paid.  The mapped bytes are checked against
 * those ts_next read.
 */
static void
keeprow(struct line *l, const struct ts_reader *r, int inorder, int canon)
{
	const struct field *f = r->f;
	const char *raw;
	size_t off;
	int k;

	if (!inorder || !canon || r->map == NULL || f[L_PAID].n != 0 || f[L_REF].n != 0 ||
	    f[L_EUR].n != (size_t)l->neur || !samebytes(f[L_EUR].p, l->amc + l->nall, f[L_EUR].n))
		return;
	/* The reason of the row before, most often. */
	k = lastwhy;
	if (nreason[k] != f[L_REASON].n ||
	    !samebytes(reasons[k], f[L_REASON].p, f[L_REASON].n))
		for (k = R_NONE + 1; k < NR; k++)
			if (nreason[k] == f[L_REASON].n &&
			    samebytes(reasons[k], f[L_REASON].p, f[L_REASON].n))
				break;
	if (k == NR)
		return;
	/*
	 * The record ends the lines after the header that ts_next counted;
	 * the mapping is checked whole against the seal once read
	 * (ledgerheld()): its start and its end here.
	 */
	off = r->hdrlen + (size_t)r->blen - r->len - 1;
	if (r->blen < r->len + 1 || off + r->len + 1 > r->maplen)
		return;
	raw = (const char *)r->map + off;
	if (raw[r->len] != '\n' || !samebytes(raw, r->line, r->len < 8 ? r->len : 8))
		return;
	l->raw = raw;
	l->nraw = (uint32_t)(r->len + 1);
	l->rawwhy = lastwhy = k;
}

/*
 * The lines held the day before are today's to pay again; a line of
 * today's already held is not paid again.
 */
void
ledgerheld(const char *path)
{
	struct lkey pk;
	struct line *l;
	int c[NL], st, k, inorder;
	size_t lo = 0, n0 = nlines;
	uint64_t a0 = nalready;
	int32_t decided = 0;
	char dlast[DATE_BUFSZ] = "", d[DATE_BUFSZ];

	memset(&pk, 0, sizeof pk);
	if (ts_open(&hr, path, "payment-ledger", 1) < 0)
		ts_fatal(&hr);
	hropen = 1;
	for (k = 0; k < NR; k++)
		nreason[k] = strlen(reasons[k]);
	needcols(&hr, lcols, NL, c);
	for (inorder = hr.ncol == NL, k = 0; k < NL; k++)
		inorder &= c[k] == k;
	/* Not mapped (a pipe...): every line written again. */
	if (ts_map(&hr) < 0)
		hr.map = NULL;
	while ((st = ledgernext(&hr, path, c, &pk)) > 0) {
		const struct field *f = hr.f, *fd = &f[c[L_DECIDED]];
		int canon = 1;

		if (st - 1 != S_HELD)
			die_at(EX_DATAERR, path, hr.in.lineno, "status", "not held in the lines held");
		/* Today's lines are sorted as the ledger is: merge. */
		for (k = 1; lo < n0 && (k = keycmp(lines[lo], &f[c[L_AMC]], &f[c[L_LINE]])) < 0; lo++)
			;
		if (k == 0)
			already(lines[lo], path);
		/* Most lines held were decided on a few days: parsed once a run. */
		if (fd->n != 10 || dlast[0] == '\0' || !samebytes(fd->p, dlast, 10)) {
			if (date_parse(fd->p, fd->n, &decided) < 0)
				die_at(EX_DATAERR, path, hr.in.lineno, "decided", "not a date");
			date_fmt(decided, d);
			if (fd->n == 10 && samebytes(fd->p, d, 10))
				memcpy(dlast, d, DATE_BUFSZ);
			else
				canon = 0, dlast[0] = '\0';
		}
		if (hr.cents[c[L_EUR]] < 0)
			die_at(EX_DATAERR, path, hr.in.lineno, "amc_eur", "below 0.00");
		l = mkline(&heldar, f, c, decided, hr.cents[c[L_EUR]], 1);
		keeprow(l, &hr, inorder, canon);
		addline(l);
	}
	free(pk.l.amc);
	/* The rows kept are the bytes read: the mapping is what the seal says. */
	if (hr.map != NULL && ts_mapcheck(&hr, hr.nrec, hr.sum) < 0)
		ts_fatal(&hr);
	if (nalready > a0)
		dropmarked();
	/* The lines held were checked in order (ledgernext()). */
	merge();
}

/*
 * A line of the day's ledger, as decided now: put whole, its amount in
 * the record's sum (money_fmt() writes it as ts_wmoney() would).
 */
static void
writeline(struct ts_writer *w, const struct line *l)
{
	const struct payee *py = l->py;
	char buf[1024 + 160], *p;

	if (l->nall + 160 > sizeof buf) {
		ts_wcstr(w, l->amc);
		ts_wcstr(w, l->key);
		ts_wcstr(w, l->kind);
		ts_wcstr(w, l->num);
		ts_wcstr(w, l->invoice);
		ts_wcstr(w, l->lineno);
		ts_wcstr(w, l->actdate);
		decided_at(l->decided, buf);
		ts_wcstr(w, buf);
		ts_wmoney(w, l->amt);
		ts_wcstr(w, statuses[py->status]);
		ts_wcstr(w, py->status == S_HELD ? "" : today_s);
		ts_wcstr(w, py->status == S_PAID ? py->ref : "");
		ts_wcstr(w, reasons[py->reason]);
		ts_wend(w);
		return;
	}
	p = line_tabs(buf, l->amc, l->amc + l->nall);
	p += decided_at(l->decided, p);
	*p++ = '\t';
	if (l->neur <= 16)
		few_cpy(p, l->amc + l->nall, (size_t)l->neur);
	else
		memcpy(p, l->amc + l->nall, (size_t)l->neur);
	p += l->neur;
	*p++ = '\t';
	/* The rest is the PS's, for all its lines: made once a status. */
	if (l->py->ltailst != 1 + py->status) {
		char *q = l->py->ltail;

		q = stpcpy(q, statuses[py->status]);
		*q++ = '\t';
		q = stpcpy(q, py->status == S_HELD ? "" : today_s);
		*q++ = '\t';
		q = stpcpy(q, py->status == S_PAID ? py->ref : "");
		*q++ = '\t';
		q = stpcpy(q, reasons[py->reason]);
		l->py->nltail = (size_t)(q - l->py->ltail);
		l->py->ltailst = 1 + py->status;
	}
	memcpy(p, py->ltail, py->nltail);
	p += py->nltail;
	ts_wfields(w, buf, (size_t)(p - buf), NL, l->amt);
	ts_wend(w);
}

/*
 * Rows of the ledger of the day before, one after the other there, to go
 * into the day's as they are: nrec records summing to sum (each below
 * the money range: the sum of the lines of one file, read).
 */
struct run {
	const char *p;
	size_t n;
	uint64_t nrec;
	int64_t sum;
};

static void
runput(struct ts_writer *w, struct run *run)
{
	if (run->n == 0)
		return;
	ts_wlines(w, run->p, run->n, run->nrec, run->sum, crc32_buf(0, run->p, run->n));
	memset(run, 0, sizeof *run);
}

/*
 * The files of the day's ledger in dir: the lines held, and, if pname
 * is not NULL, those paid or offset; in one pass over the lines (each
 * pass a walk through the heap), each file's sum checked against what
 * the run counted.
 */
void
wledger(const char *dir, const char *pname, const char *meta, int64_t held, int64_t paid)
{
	static const char *const what[] = { "paid", "held" };
	const int64_t expect[] = { paid, held };
	struct ts_writer w[2];
	struct run run;
	size_t o[2], i;
	int k, n = pname != NULL ? 2 : 1;

	memset(&run, 0, sizeof run);

	/* Held first, as they are published; outs move: by index. */
	o[1] = (size_t)(publishin(dir, "held", ".tsv") - outs);
	if (pname != NULL)
		o[0] = (size_t)(publishin(dir, pname, ".tsv") - outs);
	for (k = 2 - n; k < 2; k++) {
		ts_wopen(&w[k], outs[o[k]].p.fd, outs[o[k]].path, "payment-ledger", 1, lcols, NL);
		ts_wmeta(&w[k], meta);
	}
	for (i = 0; i < nlines; i++) {
		const struct line *l = lines[i];
		int h = l->py->status == S_HELD;

		/* In the order its next reader checks, or nothing published. */
		if (i > 0 && linecmp(&lines[i - 1], &lines[i]) >= 0)
			die(EX_SOFTWARE, "%s: lines not in (amc, line) order", outs[o[1]].path);
		/* A row held as it was: into the run of rows as they were. */
		if (h && l->raw != NULL && l->rawwhy == l->py->reason) {
			if (run.n > 0 && run.p + run.n != l->raw)
				runput(&w[1], &run);
			if (run.n == 0)
				run.p = l->raw;
			run.n += l->nraw;
			run.nrec++;
			run.sum += l->amt;
			continue;
		}
		if (h)
			runput(&w[1], &run);
		if (h || pname != NULL)
			writeline(&w[h], l);
	}
	runput(&w[1], &run);
	for (k = 1; k >= 2 - n; k--) {
		if (w[k].sum != expect[k])
			die(EX_SOFTWARE, "%s: lines %s written %lld cents, %lld counted", outs[o[k]].path,
			    what[k], (long long)w[k].sum, (long long)expect[k]);
		ts_wclose(&w[k]);
		ready(&outs[o[k]]);
	}
}

/*
 * A segment of the day before, in the window, into the day's ledger:
 * hard-linked (it never changes), copied where links are not possible.
 */
static void
carry(const struct seg *g, const char *dir)
{
	const char *name = strrchr(g->path, '/') + 1;
	char path[4096], buf[1 << 16];
	struct out *x;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		die(EX_USAGE, "%s: name too long", dir);
	if (link(g->path, path) == 0) {
		nlinked++;
		return;
	}
	if ((fd = open(g->path, O_RDONLY)) < 0)
		die(EX_NOINPUT, "%s: %s", g->path, strerror(errno));
	x = publish(path);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write(x->p.fd, buf, (size_t)n) != n)
			die(EX_IOERR, "%s: %s", x->path, strerror(errno));
	if (n < 0)
		die(EX_IOERR, "%s: %s", g->path, strerror(errno));
	close(fd);
	ready(x);
	nlinked++;
}


/* The segments of the days before, in the window, into the day's ledger. */
void
ledgercarry(const char *dir)
{
	size_t i;

	for (i = 0; i < nsegs; i++)
		carry(&segs[i], dir);
	/* The day's ledger is written: the rows held it took are no longer read. */
	if (hropen) {
		ts_close(&hr);
		hropen = 0;
	}
}
