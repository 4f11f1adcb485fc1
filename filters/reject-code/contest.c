/*
 * The lines presented again on day D (reject-code -K): the lines on hold
 * of the day before, then the rejected lines a PS contests (general
 * conditions 3.1.6), each found in the published day that rejected it,
 * with its claim as dedup read it then.  dedup and liquidate decide them
 * again with what the operator holds that day (a beneficiary, a PEC
 * received since); reject-code then says paid, or the reject confirmed.
 *
 * A contestation (tiers-contest(5)) names the line by the claim id the PS
 * return gave it, with its PS, invoice and line, and a ground.  One that
 * names no rejected line, or a line already contested that day, is
 * refused in the report, with its reason; every contestation has one row.
 * Memory: the day's contestations (a few per PS at most).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reject.h"

static const char *const kcols[] = {
	"claim", "ps_kind", "ps_number", "invoice", "line_no", "ground", "pec_number"
};
enum { K_CLAIM, K_PSKIND, K_PSNUM, K_INVOICE, K_LINENO, K_GROUND, K_PEC, NK };
static const char *const grounds[] = { "benef", "pec", "amount", "duplicate", "other" };

struct contest {
	const char *file;
	long line;
	char *f[NK];
	int32_t day;
	unsigned long rank;
	const char *why;	/* refused: the reason */
	int done;
};

static int
ctcmp(const void *pa, const void *pb)
{
	const struct contest *a = pa, *b = pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (strcmp(a->file, b->file) != 0)
		return strcmp(a->file, b->file);
	return a->line < b->line ? -1 : a->line > b->line;
}

static int
fis(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* Read the contestations of one file; the syntax of each field checked. */
static void
readcontests(const char *path, struct contest **cs, size_t *n, size_t *cap, int32_t today)
{
	struct ts_reader r;
	int c[NK], i, k;

	if (ts_open(&r, path, "contestation", 1) < 0)
		ts_fatal(&r);
	for (i = 0; i < NK; i++)
		c[i] = ts_needcol(&r, kcols[i]);
	while ((k = ts_next(&r)) > 0) {
		struct contest *x;
		const struct field *id = &r.f[c[K_CLAIM]];
		const char *hash;
		long rank;

		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*cs = xrealloc(*cs, *cap * sizeof **cs);
		}
		x = &(*cs)[(*n)++];
		memset(x, 0, sizeof *x);
		x->file = path;
		x->line = (long)r.in.lineno;
		for (i = 0; i < NK; i++) {
			if (ts_badbyte(r.f[c[i]].p, r.f[c[i]].n, 0) != r.f[c[i]].n)
				die_at(EX_DATAERR, path, x->line, kcols[i], "a control character or not UTF-8");
			x->f[i] = xfdup(&r.f[c[i]]);
		}
		/*
		 * What a PS may get wrong is refused in the report, its reason
		 * given; the night goes on.  A rank is written as dedup
		 * writes it: no leading zero.
		 */
		hash = memchr(id->p, '#', id->n);
		if (hash == NULL || date_parse(id->p, (size_t)(hash - id->p), &x->day) < 0 ||
		    hash + 1 == id->p + id->n || hash[1] == '0' ||
		    int_parse(hash + 1, (size_t)(id->p + id->n - hash - 1), 1, 2000000000L, &rank) < 0) {
			x->why = "not a claim id (YYYY-MM-DD#rank)";
			x->day = INT32_MAX;
			continue;
		}
		x->rank = (unsigned long)rank;
		for (i = 0; i < (int)(sizeof grounds / sizeof grounds[0]); i++)
			if (fis(&r.f[c[K_GROUND]], grounds[i]))
				break;
		if (i == (int)(sizeof grounds / sizeof grounds[0]))
			x->why = "the ground is not benef, pec, amount, duplicate or other";
		else if (x->day >= today)
			x->why = "a claim of this day or later";
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/* The claims and outcomes of a published day, read in step to the ranks asked. */
static void
findday(const char *days, struct contest *cs, size_t n, int ncl,
    struct ts_writer *pw, struct ts_writer *hw, const char *const *clcols)
{
	char dbuf[DATE_BUFSZ], cpath[4096], opath[4096];
	struct ts_reader cr, orr;
	unsigned long rank = 0, lastdone = 0;
	size_t i;
	int k, oc[8];
	static const char *const onames[] = {
		"claim", "ps_kind", "ps_number", "invoice", "line_no", "outcome",
		"first_claim", "first_date"
	};

	date_fmt(cs[0].day, dbuf);
	snprintf(cpath, sizeof cpath, "%s/%s/out/claims.tsv", days, dbuf);
	snprintf(opath, sizeof opath, "%s/%s/out/outcomes.tsv", days, dbuf);
	if (ts_open(&orr, opath, "outcome", 1) < 0) {
		for (i = 0; i < n; i++)
			if (cs[i].why == NULL)
				cs[i].why = "no outcomes published that day";
		return;
	}
	if (ts_open(&cr, cpath, "claim", 1) < 0)
		ts_fatal(&cr);
	if (cr.ncol != ncl + 4)
		die_at(EX_DATAERR, cpath, 1, "header", "not the columns of today's claims");
	for (k = 0; k < ncl; k++)
		if (strcmp(cr.cols[k], clcols[k]) != 0)
			die_at(EX_DATAERR, cpath, 1, "header", "not the columns of today's claims");
	for (k = 0; k < 8; k++)
		oc[k] = ts_needcol(&orr, onames[k]);
	for (i = 0; i < n; i++) {
		struct contest *x = &cs[i];
		int kc = 1, ko = 1;

		if (x->why != NULL)
			continue;
		if (x->rank == lastdone) {
			x->why = "the line is contested twice this day";
			continue;
		}
		if (rank == x->rank && rank > 0) {
			/* An earlier one of this claim was refused: judged on its own. */
			goto judge;
		}
		while (rank < x->rank && (kc = ts_next(&cr)) > 0 && (ko = ts_next(&orr)) > 0)
			rank++;
		if (kc < 0)
			ts_fatal(&cr);
		if (ko < 0)
			ts_fatal(&orr);
		if (rank < x->rank) {
			x->why = "no such claim that day";
			continue;
		}
judge:
		if (!fis(&orr.f[oc[0]], x->f[K_CLAIM]))
			die_at(EX_DATAERR, opath, (long)orr.in.lineno, "claim",
			    "not the claim of its rank");
		if (!fis(&orr.f[oc[1]], x->f[K_PSKIND]) || !fis(&orr.f[oc[2]], x->f[K_PSNUM]) ||
		    !fis(&orr.f[oc[3]], x->f[K_INVOICE]) || !fis(&orr.f[oc[4]], x->f[K_LINENO])) {
			x->why = "not the PS, invoice and line of that claim";
			continue;
		}
		if (!fis(&orr.f[oc[5]], "rejected") && !fis(&orr.f[oc[5]], "expired") &&
		    !fis(&orr.f[oc[5]], "confirmed")) {
			x->why = "the line was not rejected";
			continue;
		}
		/* Presented again: the claim as dedup read it then. */
		ts_wfields(pw, cr.line, (size_t)(cr.f[ncl - 1].p + cr.f[ncl - 1].n - cr.line), ncl,
		    cr.recsum - cr.cents[cr.ncol - 1]);
		ts_wend(pw);
		ts_wstr(hw, orr.f[oc[6]].p, orr.f[oc[6]].n);
		for (k = 0; k < 4; k++) {
			static const char *const idc[] = { "file", "line", "invoice", "line_no" };
			int j = ts_col(&cr, idc[k]);

			if (j < 0)
				die_at(EX_DATAERR, cpath, 1, "header", "no %s column", idc[k]);
			ts_wstr(hw, cr.f[j].p, cr.f[j].n);
		}
		ts_wcstr(hw, "");		/* code: decided again today */
		ts_wstr(hw, orr.f[oc[7]].p, orr.f[oc[7]].n);
		ts_wcstr(hw, "");		/* decide_by: today */
		ts_wint(hw, 1);
		ts_wcstr(hw, x->f[K_GROUND]);
		ts_wend(hw);
		x->done = 1;
		lastdone = x->rank;
	}
	ts_close(&cr);
	ts_close(&orr);
}

void
contest_run(const char *date, const char *days, const char *prevdir, char *const *files,
    int nfiles, const char *outdir, const char *report, const char *const *clcols, int ncl,
    const char *const *hcols, int nhc)
{
	static const char *const rcols[] = {
		"file", "line", "claim", "ps_kind", "ps_number", "invoice", "line_no",
		"ground", "status", "reason"
	};
	struct contest *cs = NULL;
	size_t n = 0, cap = 0, i, j;
	int32_t today;
	struct pub pp, ph, pr;
	struct ts_writer pw, hw, rw;
	char path[4096], meta[64], *pname, *hname;
	uint64_t carried = 0, presented = 0;
	int k;

	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "-d %s: not a date", date);
	for (k = 0; k < nfiles; k++)
		readcontests(files[k], &cs, &n, &cap, today);
	if (n > 0)
		qsort(cs, n, sizeof *cs, ctcmp);
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	snprintf(path, sizeof path, "%s/claims.tsv", outdir);
	if (pub_open(&pp, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&pw, pp.fd, pname = xstrdup(path), "claim", 1, clcols, ncl);
	snprintf(path, sizeof path, "%s/hold.tsv", outdir);
	if (pub_open(&ph, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&hw, ph.fd, hname = xstrdup(path), "pending", 1, hcols, nhc);
	ts_wmeta(&hw, meta);
	/* The lines on hold the day before, first, as they are. */
	if (prevdir != NULL) {
		struct ts_reader a, b;
		int ka, kb;

		snprintf(path, sizeof path, "%s/claims.tsv", prevdir);
		if (ts_open(&a, path, "claim", 1) < 0)
			ts_fatal(&a);
		if (a.ncol != ncl)
			die_at(EX_DATAERR, path, 1, "header", "not the columns of today's claims");
		snprintf(path, sizeof path, "%s/hold.tsv", prevdir);
		if (ts_open(&b, path, "pending", 1) < 0)
			ts_fatal(&b);
		if (b.ncol != nhc)
			die_at(EX_DATAERR, path, 1, "header", "not the columns of a pending generation");
		for (;;) {
			ka = ts_next(&a);
			kb = ts_next(&b);
			if (ka < 0)
				ts_fatal(&a);
			if (kb < 0)
				ts_fatal(&b);
			if (ka != kb)
				die_at(EX_DATAERR, path, (long)b.in.lineno, "first_claim",
				    "not as many records as its claims.tsv");
			if (ka == 0)
				break;
			ts_wcopy(&pw, &a);
			ts_wcopy(&hw, &b);
			carried++;
		}
		ts_close(&a);
		ts_close(&b);
	}
	/* Then the contested lines, day by day. */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && cs[j].day == cs[i].day; j++)
			;
		if (cs[i].day != INT32_MAX)	/* not a claim id: refused */
			findday(days, cs + i, j - i, ncl, &pw, &hw, clcols);
	}
	if (pw.nrec != hw.nrec)
		die(EX_SOFTWARE, "%s: %llu claims, %llu hold rows", outdir,
		    (unsigned long long)pw.nrec, (unsigned long long)hw.nrec);
	/* The report: one row a contestation, in the order received. */
	if (pub_open(&pr, report) < 0)
		die(EX_CANTCREAT, "%s: %s", report, strerror(errno));
	ts_wopen(&rw, pr.fd, report, "contest-report", 1, rcols, 10);
	ts_wmeta(&rw, meta);
	{
		/* In the order received: by file, then line. */
		struct contest **ord = xmalloc((n ? n : 1) * sizeof *ord);
		size_t m = 0;

		for (k = 0; k < nfiles; k++) {
			size_t s = m;

			for (i = 0; i < n; i++)
				if (cs[i].file == files[k])
					ord[m++] = &cs[i];
			for (i = s + 1; i < m; i++) {
				struct contest *t = ord[i];

				for (j = i; j > s && ord[j - 1]->line > t->line; j--)
					ord[j] = ord[j - 1];
				ord[j] = t;
			}
		}
		for (i = 0; i < m; i++) {
			struct contest *x = ord[i];
			const char *base = strrchr(x->file, '/');

			/* The file's name, not where this run read it. */
			ts_wcstr(&rw, base != NULL ? base + 1 : x->file);
			ts_wint(&rw, x->line);
			for (k = 0; k < K_PEC; k++)
				ts_wcstr(&rw, x->f[k]);
			ts_wcstr(&rw, x->done ? "presented" : "refused");
			ts_wcstr(&rw, x->done ? "" : x->why != NULL ? x->why : "?");
			ts_wend(&rw);
			presented += x->done;
		}
		free(ord);
	}
	if (rw.nrec != n || pw.nrec != carried + presented)
		die(EX_SOFTWARE, "%s: conservation: %llu contestations, %llu rows; %llu presented",
		    report, (unsigned long long)n, (unsigned long long)rw.nrec,
		    (unsigned long long)presented);
	ts_wclose(&pw);
	ts_wclose(&hw);
	ts_wclose(&rw);
	if (pub_commit(&pp) < 0 || pub_commit(&ph) < 0 || pub_commit(&pr) < 0)
		die(EX_IOERR, "%s: %s", outdir, strerror(errno));
	fprintf(stderr, "reject-code: %s: %llu lines presented again: %llu on hold, "
	    "%llu contested (%llu contestations refused)\n", date,
	    (unsigned long long)(carried + presented), (unsigned long long)carried,
	    (unsigned long long)presented, (unsigned long long)(n - presented));
	for (i = 0; i < n; i++)
		for (k = 0; k < NK; k++)
			free(cs[i].f[k]);
	free(cs);
	free(pname);
	free(hname);
}
