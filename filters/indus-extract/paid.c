/*
 * The store of lines paid, by beneficiary (tiers-indus(5), indus-paid):
 * what indus-extract needs to find the lines paid to a beneficiary after
 * a date, when a radiation takes his rights back to it, without reading
 * years of decisions.
 *
 * One file a month, the month of the business day its rows were written,
 * sorted on amc, contract, member_ref, line, day, the rows of one day in
 * the order written.  As an act is never dated after the day it is paid,
 * nor a line recovered before it is paid, the rows of the lines whose
 * acts are dated after a day D are all in the files from D's month on.
 * A closed month never changes: the next generation hard-links it, as
 * the ledger of paid lines does its segments (tiers-ledger(5)); the
 * month of the business date is the day before's file merged with the
 * day's rows, read whole and written anew.  A beneficiary's rows are
 * found in a month file by a binary search over the mapped file: a
 * lookup touches a few pages of each month it reads, not the month.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "indus.h"

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
 * it the key (amc to line, TAB-separated), and the order they came in.
 */
struct drow {
	char *s;
	size_t len, klen, seq;
	int64_t amount;
};
static struct drow *drows;
static size_t ndrows, drowcap;

void
paid_add(const struct field *src, int64_t amount)
{
	char m[MONEY_BUFSZ], *p;
	size_t len = 0, mlen, k;
	struct drow *r;

	if (!paid_on)
		return;
	mlen = money_fmt(amount, m);
	for (k = 0; k < P_AMOUNT; k++)
		len += (k == P_DAY ? strlen(today_s) : src[k].n) + 1;
	if (ndrows == drowcap) {
		drowcap = drowcap ? 2 * drowcap : 1024;
		drows = xrealloc(drows, drowcap * sizeof *drows);
	}
	r = &drows[ndrows];
	r->s = p = xmalloc(len + mlen + 1);
	for (k = 0; k < P_AMOUNT; k++) {
		const char *s = k == P_DAY ? today_s : src[k].p;
		size_t n = k == P_DAY ? strlen(today_s) : src[k].n;

		memcpy(p, s, n);
		p += n;
		*p++ = '\t';
		if (k == P_LINE)
			r->klen = (size_t)(p - 1 - r->s);
	}
	memcpy(p, m, mlen + 1);
	r->len = len + mlen;
	r->amount = amount;
	r->seq = ndrows++;
}

/* Two keys as bytes: amc to line, TAB-separated (no field holds a byte below TAB). */
static int
keycmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c ? c : (na > nb) - (na < nb);
}

static int
drowcmp(const void *pa, const void *pb)
{
	const struct drow *a = pa, *b = pb;
	int c = keycmp(a->s, a->klen, b->s, b->klen);

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* The month files of the store of the day before. */
struct mfile {
	int month;
	char *path;
	struct ts_reader r;
	const char *rec, *end;	/* its records, mapped: from rec up to the trailer */
	int mapped;
};
static struct mfile *mfiles;
static int nmfiles, first, npruned, ncarried;
static const char *beforedir;
static uint64_t nmonthrows;

static int
mfilecmp(const void *a, const void *b)
{
	return ((const struct mfile *)a)->month - ((const struct mfile *)b)->month;
}

/* A month file's name, YYYY-MM.tsv: its month, or -1. */
static int
monthname(const char *s)
{
	int i, y = 0, m;

	if (strlen(s) != 11 || s[4] != '-' || strcmp(s + 7, ".tsv") != 0)
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	for (i = 0; i < 4; i++)
		y = y * 10 + s[i] - '0';
	m = (s[5] - '0') * 10 + s[6] - '0';
	if (m < 1 || m > 12 || y < 1)
		return -1;
	return y * 12 + m - 1;
}

/* Open a month file: its header and columns, the store's own, in order. */
static void
mopen(struct ts_reader *r, const char *path)
{
	int k;

	if (ts_open(r, path, "indus-paid", 1) < 0)
		ts_fatal(r);
	for (k = 0; k < NP; k++)
		if (r->ncol != NP || strcmp(r->cols[k], paidcols[k]) != 0)
			die_at(EX_DATAERR, path, 1, "header", "not the indus-paid columns");
}

/*
 * A row of month file f, read by r: its kind, its day in the file's
 * month and before the business date, its act date, its amount's sign.
 * 0, or -1 after ts_error.
 */
static int
rowcheck(struct ts_reader *r, int month, struct prow *pr)
{
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
	    month_of(pr->day) != month || pr->day >= today)
		return ts_error(r, "day", "not a date of the file's month before the business date");
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

/* Its records in the mapping, after the header and metadata, before the trailer. */
static void
mmapped(struct mfile *f)
{
	const char *m, *e, *t, *p;

	if (ts_map(&f->r) < 0)
		ts_fatal(&f->r);
	m = f->r.map;
	e = m + f->r.maplen;
	for (t = e - 1; t > m && t[-1] != '\n'; t--)
		;
	if (e == m || e[-1] != '\n' || t < m + f->r.hdrlen || strncmp(t, "#end", 4) != 0)
		die_at(EX_DATAERR, f->path, 0, "trailer",
		    "no trailer: stream truncated or its writer failed");
	for (p = m + f->r.hdrlen; p < t && *p == '#'; p = (const char *)memchr(p, '\n',
	    (size_t)(t - p)) + 1)
		;
	f->rec = p;
	f->end = t;
	f->mapped = 1;
}

void
paid_open(const char *dir, int from)
{
	DIR *d;
	struct dirent *de;
	int m, cur = month_of(today), i;

	first = from;
	beforedir = dir;
	if ((d = opendir(dir)) == NULL)
		die(EX_NOINPUT, "%s: %s", dir, strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct mfile *f;
		char *path;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(path, "%s/%s", dir, de->d_name);
		if ((m = monthname(de->d_name)) < 0)
			die_at(EX_DATAERR, path, 0, NULL, "not a month file of the store (YYYY-MM.tsv)");
		if (m > cur)
			die_at(EX_DATAERR, path, 0, NULL, "a month after the business date");
		if (m < first) {
			npruned++;
			free(path);
			continue;
		}
		mfiles = xrealloc(mfiles, (size_t)(nmfiles + 1) * sizeof *mfiles);
		f = &mfiles[nmfiles++];
		memset(f, 0, sizeof *f);
		f->month = m;
		f->path = path;
	}
	if (errno != 0)
		die(EX_IOERR, "%s: %s", dir, strerror(errno));
	closedir(d);
	if (nmfiles > 1)
		qsort(mfiles, (size_t)nmfiles, sizeof *mfiles, mfilecmp);
	for (i = 0; i < nmfiles; i++) {
		mopen(&mfiles[i].r, mfiles[i].path);
		mmapped(&mfiles[i]);
	}
}

const char *
paid_where(const struct prow *pr, long *line)
{
	*line = ts_lineof(&mfiles[pr->file].r, pr->at);
	return mfiles[pr->file].path;
}

void
paid_find(const char *amc, const char *contract, const char *member, int from,
    void (*fn)(const struct prow *, void *), void *arg)
{
	static char *key;
	static size_t cap;
	size_t klen = strlen(amc) + strlen(contract) + strlen(member) + 3;
	struct prow pr;
	const char *p, *nl, *prev;
	int i;

	if (klen + 1 > cap) {
		cap = 2 * klen + 1;
		key = xrealloc(key, cap);
	}
	snprintf(key, cap, "%s\t%s\t%s\t", amc, contract, member);
	for (i = 0; i < nmfiles; i++) {
		struct mfile *f = &mfiles[i];

		if (f->month < from)
			continue;
		prev = NULL;
		for (p = ts_seek(f->rec, f->end, key, klen); p < f->end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(f->end - p));
			if ((size_t)(nl - p) < klen || memcmp(p, key, klen) != 0)
				break;
			if (ts_line(&f->r, p) < 0 || rowcheck(&f->r, f->month, &pr) < 0)
				ts_fatal(&f->r);
			/* In order within the beneficiary: line, then day. */
			if (prev != NULL && keycmp(prev, (size_t)(pr.f[P_DAY].p + pr.f[P_DAY].n - prev),
			    p, (size_t)(pr.f[P_DAY].p + pr.f[P_DAY].n - p)) > 0) {
				ts_error(&f->r, "line", "out of order (amc, contract, member_ref, line, day)");
				ts_fatal(&f->r);
			}
			prev = p;
			pr.file = i;
			pr.at = p;
			fn(&pr, arg);
		}
	}
}

static char *newtmp;

void
paid_create(const char *dir)
{
	struct stat st;

	newtmp = xmalloc(strlen(dir) + 5);
	sprintf(newtmp, "%s.tmp", dir);
	if (stat(dir, &st) == 0)
		die(EX_CANTCREAT, "%s: exists", dir);
	if (mkdir(newtmp, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", newtmp, strerror(errno));
	/* Removed, with its files, if the run ends before the rename. */
	tmp_track(newtmp, 1);
}

/*
 * The month of the business date: the day before's file, read whole,
 * checked and in order, merged with the day's rows sorted on their key,
 * the day's after the day before's on the same line.
 */
static void
merge(const struct mfile *before, const char *path)
{
	struct ts_reader r;
	struct ts_writer w;
	struct pub p;
	struct prow pr;
	char meta[64], *prev = NULL;
	size_t i = 0, plen = 0, pcap = 0, n;
	int st = 0, c;

	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "indus-paid", 1, paidcols, NP);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	if (before != NULL) {
		mopen(&r, before->path);
		st = ts_next(&r);
	}
	for (;;) {
		if (st < 0)
			ts_fatal(&r);
		if (st == 1) {
			if (rowcheck(&r, before->month, &pr) < 0)
				ts_fatal(&r);
			n = (size_t)(pr.f[P_DAY].p + pr.f[P_DAY].n - r.line);
			if (prev != NULL && keycmp(prev, plen, r.line, n) > 0) {
				ts_error(&r, "line", "out of order (amc, contract, member_ref, line, day)");
				ts_fatal(&r);
			}
			if (n > pcap) {
				pcap = 2 * n;
				prev = xrealloc(prev, pcap);
			}
			memcpy(prev, r.line, n);
			plen = n;
		}
		if (st != 1 && i == ndrows)
			break;
		c = st != 1 ? 1 : i == ndrows ? -1 :
		    keycmp(r.line, (size_t)(pr.f[P_LINE].p + pr.f[P_LINE].n - r.line),
		    drows[i].s, drows[i].klen);
		if (c <= 0) {
			ts_wcopy(&w, &r);
			nmonthrows++;
			st = ts_next(&r);
		} else {
			ts_wfields(&w, drows[i].s, drows[i].len, NP, drows[i].amount);
			ts_wend(&w);
			nmonthrows++;
			i++;
		}
	}
	if (before != NULL)
		ts_close(&r);
	free(prev);
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	tmp_track(path, 0);
}

void
paid_write(void)
{
	const struct mfile *cur = NULL;
	char path[PATH_MAX], from[PATH_MAX];
	int i, m = month_of(today), y = m / 12;

	if (ndrows > 1)
		qsort(drows, ndrows, sizeof *drows, drowcmp);
	for (i = 0; i < nmfiles; i++) {
		const struct mfile *f = &mfiles[i];

		snprintf(path, sizeof path, "%s/%04d-%02d.tsv", newtmp, f->month / 12,
		    f->month % 12 + 1);
		if (f->month == m && ndrows > 0) {
			cur = f;
			continue;
		}
		/* A closed month, or the current one when the day adds nothing. */
		snprintf(from, sizeof from, "%s", f->path);
		if (link(from, path) < 0)
			die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
		tmp_track(path, 0);
		ncarried++;
	}
	if (ndrows > 0) {
		snprintf(path, sizeof path, "%s/%04d-%02d.tsv", newtmp, y, m % 12 + 1);
		merge(cur, path);
	}
}

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
	char month[32];

	if (ndrows > 0)
		snprintf(month, sizeof month, "%llu", (unsigned long long)nmonthrows);
	fprintf(stderr, "indus-extract: %s: store of lines paid: %llu rows today, %s%s, "
	    "%d months linked, %d dropped\n", today_s, (unsigned long long)ndrows,
	    ndrows > 0 ? month : "", ndrows > 0 ? " in the month" : "the month unchanged",
	    ncarried, npruned);
}

void
paid_free(void)
{
	size_t i;
	int k;

	for (i = 0; i < ndrows; i++)
		free(drows[i].s);
	free(drows);
	for (k = 0; k < nmfiles; k++) {
		ts_close(&mfiles[k].r);
		free(mfiles[k].path);
	}
	free(mfiles);
	free(newtmp);
}
