/*
 * reject-code: the outcome of every line of the day's decisions, and the
 * lines on hold (reject-code(1)).
 *
 * liquidate(1) gives each claim a code; what that code means to the PS
 * and to the client, and what is done with the line, is data: a table of
 * codes (tiers-rejects(5)), built in, overridable per client.  A line
 * whose code is on hold (mise en instance: a beneficiary the client has
 * not declared yet, a PEC that may still come, general conditions 3.1.5)
 * goes into the pending generation, which the nightly presents again to
 * dedup(1) and liquidate(1) ahead of the next day's claims, until it
 * passes or its delay runs out.
 *
 * Reads the day's claims with their verdicts (dedup's output) and
 * liquidate's decisions, one for one, in step; the pending lines of the
 * day before, which were presented first, in step with the first claims.
 * Memory: the table of codes; nothing grows with the input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reject.h"

extern const char builtin_rejects[];

enum { H_PAID, H_REPORT, H_FINAL, H_HOLD, H_RECOVER, H_CLIENT, NH };
static const char *const hnames[NH] = {
	"paid", "report", "final", "hold", "recover", "client"
};

/* A row of the table: a client ("*": every one) and a code. */
struct rule {
	char amc[16], code[16];
	int handling;
	long days;
	char *pslabel, *clientlabel;
	size_t pslen, clientlen;
	const char *file;
	long line;
};
static struct rule *rules;
static size_t nrules, rulecap;

static int
rulecmp(const void *pa, const void *pb)
{
	const struct rule *a = pa, *b = pb;
	int c = strcmp(a->amc, b->amc);

	return c ? c : strcmp(a->code, b->code);
}

/*
 * One row of a table, its fields split: a later row for the same client
 * and code replaces the earlier (an override file read after the
 * built-in table).
 */
static void
addrule(const char *file, long line, const struct field *f)
{
	static const char *const names[] = {
		"client", "code", "handling", "days", "ps_label", "client_label"
	};
	struct rule r;
	size_t i;
	long v;
	int h;

	memset(&r, 0, sizeof r);
	for (i = 0; i < 6; i++)
		if (ts_badbyte(f[i].p, f[i].n, 0) != f[i].n)
			die_at(EX_DATAERR, file, line, names[i], "a control character or not UTF-8");
	if (f[0].n == 0 || f[0].n >= sizeof r.amc || !((f[0].n == 1 && f[0].p[0] == '*') ||
	    strspn(f[0].p, "0123456789") >= f[0].n))
		die_at(EX_DATAERR, file, line, "client", "not * nor an AMC number");
	if (f[1].n == 0 || f[1].n >= sizeof r.code)
		die_at(EX_DATAERR, file, line, "code", "empty or longer than 15 bytes");
	memcpy(r.amc, f[0].p, f[0].n);
	memcpy(r.code, f[1].p, f[1].n);
	for (h = 0; h < NH; h++)
		if (strlen(hnames[h]) == f[2].n && memcmp(hnames[h], f[2].p, f[2].n) == 0)
			break;
	if (h == NH)
		die_at(EX_DATAERR, file, line, "handling",
		    "not paid, report, final, hold, recover or client");
	r.handling = h;
	if (int_parse(f[3].p, f[3].n, 0, 60, &v) < 0)
		die_at(EX_DATAERR, file, line, "days", "not a number of business days from 0 to 60");
	if ((h == H_HOLD) != (v > 0))
		die_at(EX_DATAERR, file, line, "days", h == H_HOLD ?
		    "a line on hold waits 1 business day at least" :
		    "only a line on hold waits");
	r.days = v;
	if (f[4].n == 0 || f[5].n == 0)
		die_at(EX_DATAERR, file, line, f[4].n == 0 ? "ps_label" : "client_label", "empty");
	r.pslabel = xmalloc(f[4].n + 1);
	memcpy(r.pslabel, f[4].p, f[4].n);
	r.pslabel[f[4].n] = '\0';
	r.clientlabel = xmalloc(f[5].n + 1);
	memcpy(r.clientlabel, f[5].p, f[5].n);
	r.clientlabel[f[5].n] = '\0';
	r.pslen = f[4].n;
	r.clientlen = f[5].n;
	r.file = file;
	r.line = line;
	for (i = 0; i < nrules; i++)
		if (rulecmp(&rules[i], &r) == 0) {
			free(rules[i].pslabel);
			free(rules[i].clientlabel);
			rules[i] = r;
			return;
		}
	if (nrules == rulecap) {
		rulecap = rulecap ? 2 * rulecap : 64;
		rules = xrealloc(rules, rulecap * sizeof *rules);
	}
	rules[nrules++] = r;
}

static void
freerules(void)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		free(rules[i].pslabel);
		free(rules[i].clientlabel);
	}
	free(rules);
}

/* The built-in table: lines of six TAB-separated fields, # comments. */
static void
builtin(void)
{
	const char *p = builtin_rejects, *e, *q;
	struct field f[6];
	long line = 0;
	int n;

	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		line++;
		if (*p == '#' || p == e)
			continue;
		for (n = 0, q = p; n < 6; n++) {
			const char *t = memchr(q, '\t', (size_t)(e - q));

			f[n].p = q;
			f[n].n = (size_t)((t != NULL ? t : e) - q);
			if (t == NULL) {
				n++;
				break;
			}
			q = t + 1;
		}
		if (n != 6)
			die_at(EX_SOFTWARE, "(built-in codes)", line, "client", "not six fields");
		addrule("(built-in codes)", line, f);
	}
}

/* An override table: a sealed stream of kind reject-codes. */
static void
override(const char *path)
{
	static const char *const cols[] = {
		"client", "code", "handling", "days", "ps_label", "client_label"
	};
	struct ts_reader r;
	struct field f[6];
	int c[6], i, k;

	if (ts_open(&r, path, "reject-codes", 1) < 0)
		ts_fatal(&r);
	for (i = 0; i < 6; i++)
		c[i] = ts_needcol(&r, cols[i]);
	while ((k = ts_next(&r)) > 0) {
		for (i = 0; i < 6; i++)
			f[i] = r.f[c[i]];
		addrule(path, (long)r.in.lineno, f);
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/* The client's row for a code, else every client's, else NULL. */
static const struct rule *
lookup(const struct field *amc, const char *code, size_t n)
{
	struct rule key;
	const struct rule *r;

	memset(&key, 0, sizeof key);
	if (n >= sizeof key.code)
		return NULL;
	memcpy(key.code, code, n);
	if (amc->n < sizeof key.amc) {
		memcpy(key.amc, amc->p, amc->n);
		r = bsearch(&key, rules, nrules, sizeof *rules, rulecmp);
		if (r != NULL)
			return r;
	}
	memset(key.amc, 0, sizeof key.amc);
	key.amc[0] = '*';
	return bsearch(&key, rules, nrules, sizeof *rules, rulecmp);
}

/*
 * lookup's answers by client and code, remembered: a day has a few
 * dozen pairs, and two binary searches of the table a line, comparing
 * strings, cost more than the rest of the line's outcome.
 */
static struct memo {
	uint64_t k[4];
	size_t an, cn;
	const struct rule *r;
} memo[256];

/*
 * A value of 15 bytes at most as two words: its first and last eight,
 * four or one bytes, which with its length are the value itself.
 */
static void
words(const char *s, size_t n, uint64_t *k)
{
	uint32_t a, b;

	if (n >= 8) {
		memcpy(&k[0], s, 8);
		memcpy(&k[1], s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		k[0] = a;
		k[1] = b;
	} else {
		k[0] = n == 0 ? 0 : (uint64_t)(unsigned char)s[0] |
		    (uint64_t)(unsigned char)s[n / 2] << 8 | (uint64_t)(unsigned char)s[n - 1] << 16;
		k[1] = 0;
	}
}

static const struct rule *
findrule(const struct field *amc, const char *code, size_t n)
{
	struct memo *m;
	uint64_t k[4], h;

	if (amc->n >= 16 || n >= 16)
		return lookup(amc, code, n);
	/* The client and the code as words, compared at once, not byte by byte. */
	words(amc->p, amc->n, k);
	words(code, n, k + 2);
	h = (k[0] ^ k[1] * 3 ^ k[2] * 5 ^ k[3] * 7 ^ amc->n << 8 ^ n) * 0x9e3779b97f4a7c15ULL;
	m = &memo[h >> 56];
	if (m->r != NULL && m->an == amc->n && m->cn == n && m->k[0] == k[0] &&
	    m->k[1] == k[1] && m->k[2] == k[2] && m->k[3] == k[3])
		return m->r;
	memcpy(m->k, k, sizeof k);
	m->an = amc->n;
	m->cn = n;
	return m->r = lookup(amc, code, n);
}

static int
fsame(const struct field *a, const struct field *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Whether a flag list (a,b,...) holds a word. */
static int
hasflag(const struct field *f, const char *word)
{
	size_t n = strlen(word), i = 0, j;

	while (i < f->n) {
		for (j = i; j < f->n && f->p[j] != ','; j++)
			;
		if (j - i == n && memcmp(f->p + i, word, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* Whether the 8 bytes of w are all digits: none below '0', none above '9'. */
static inline int
digits8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;

	return (((w - 0x30 * ones) | (w + 0x46 * ones)) & 0x80 * ones) == 0;
}

/* Whether the n bytes at p are all letters (upper case only: upper) or digits. */
static int
alnum(const char *p, size_t n, int upper)
{
	size_t i;
	uint64_t w;
	unsigned c;

	/*
	 * A PS number is digits, most often: tested eight bytes at a time,
	 * the last eight overlapping; a byte at a time if not.
	 */
	if (!upper && n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, p + i, 8);
			if (!digits8(w))
				break;
		}
		if (i + 8 > n) {
			memcpy(&w, p + n - 8, 8);
			if (digits8(w))
				return 1;
		}
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (!(c - 'A' < 26 || (!upper && (c - 'a' < 26 || c - '0' < 10))))
			return 0;
	}
	return 1;
}

static int32_t
plusbusiness(int32_t d, long n)
{
	while (n-- > 0)
		d = date_next_business(d);
	return d;
}

/* The outcomes, and what they are counted under in the summary. */
enum {
	O_PAID, O_REPORT, O_REJECTED, O_HOLD, O_EXPIRED, O_RECOVER, O_CLIENT,
	O_CONFIRMED, NO
};
static const char *const onames[NO] = {
	"paid", "paid-report", "rejected", "hold", "expired", "recover", "client",
	"confirmed"
};

static void
usage(void)
{
	fprintf(stderr, "usage: reject-code -d date -n new-pending -o outcomes [-p pending]\n"
	    "                   [-c client-returns] [-f ps-return-fixed [-L layout]]\n"
	    "                   [-r ps-return] [-s summary] [-t codes]... claims decisions\n"
	    "       reject-code -K days -d date -n presented -R report [-p pending]\n"
	    "                   [-k contests]... claims-file\n"
	    "       reject-code -O outcomes -d date [-c client-returns]\n"
	    "                   [-f ps-return-fixed [-L layout]] [-j jobs] [-r ps-return]\n");
	exit(EX_USAGE);
}

/* A column of the decisions, and of the claims. */
enum {
	D_CLAIM, D_FILE, D_LINE, D_AMC, D_CONTRACT, D_MEMBER, D_PSKIND, D_PSNUM,
	D_INVOICE, D_LINENO, D_ACTDATE, D_ACT, D_FR, D_BR, D_AMO, D_AMCEUR,
	D_RAC, D_RECOVER, D_DEST, D_CODE, D_FLAG, ND
};
static const char *const dnames[ND] = {
	"claim", "file", "line", "amc", "contract", "member_ref", "ps_kind",
	"ps_number", "invoice", "line_no", "act_date", "act_code", "fr_eur",
	"br_eur", "amo_eur", "amc_eur", "rac_eur", "recover_eur", "dest", "code",
	"flag"
};
/* The outcome's columns: the decision's, then reject-code's. */
const char *const ocols[] = {
	"claim", "file", "line", "amc", "contract", "member_ref", "ps_kind",
	"ps_number", "invoice", "line_no", "act_date", "act_code", "fr_eur",
	"br_eur", "amo_eur", "amc_eur", "rac_eur", "recover_eur", "dest", "code",
	"flag", "outcome", "first_claim", "first_date", "decide_by", "presented",
	"ground", "payment_ref", "ps_label", "client_label"
};
#define NOC (int)(sizeof ocols / sizeof ocols[0])
const int nocols = NOC;
/* A pending line: which claim it is, since when, until when. */
static const char *const hcols[] = {
	"first_claim", "file", "line", "invoice", "line_no", "code",
	"first_date", "decide_by", "presented", "ground"
};
#define NHC (int)(sizeof hcols / sizeof hcols[0])
/* The verdict columns dedup adds to the claims, last. */
static const char *const vcols[] = { "dup", "dup_id", "dup_ref", "dup_paid_eur" };

static void
openout(struct pub *p, const char *dir, const char *name, char **path)
{
	size_t n = strlen(dir) + strlen(name) + 2;

	*path = xmalloc(n);
	snprintf(*path, n, "%s/%s", dir, name);
	if (pub_open(p, *path) < 0)
		die(EX_CANTCREAT, "%s: %s", *path, strerror(errno));
}

/*
 * The business date of outcomes written before (-O): the returns say the
 * day of their outcomes, so -d must be it.
 */
static void
checkdate(const char *path, const char *today_s)
{
	struct ts_reader r;
	char want[64];
	int k, found = 0;

	snprintf(want, sizeof want, "business_date\t%s", today_s);
	if (ts_open(&r, path, "outcome", 1) < 0)
		ts_fatal(&r);
	r.keepmeta = 1;
	while ((k = ts_next(&r)) == 2)
		if (strncmp(r.line, "business_date\t", 14) == 0) {
			if (strlen(want) != r.len || memcmp(r.line, want, r.len) != 0)
				die_at(EX_DATAERR, path, (long)r.in.lineno, "business_date",
				    "not the business date %s (-d)", today_s);
			found = 1;
		}
	if (k < 0)
		ts_fatal(&r);
	if (!found)
		die_at(EX_DATAERR, path, 1, "business_date", "no business date");
	ts_close(&r);
}

/*
 * A field after a TAB at d: its end.  A field of 16 bytes at most (the
 * outcome's name, a date, a count, an empty one) copied by two words
 * (few_cpy), not a call to memcpy, which cost as much again.
 */
static inline char *
ocat(char *d, const char *s, size_t n)
{
	*d++ = '\t';
	if (n <= 16)
		few_cpy(d, s, n);
	else
		memcpy(d, s, n);
	return d + n;
}

int
main(int argc, char *argv[])
{
	const char *date = NULL, *newdir = NULL, *outpath = NULL, *prevdir = NULL;
	const char *sumpath = NULL, *clientdir = NULL, *fixout = NULL, *psout = NULL;
	const char *layfile = NULL;
	const struct layout *lay = NULL;
	const char **tables = NULL;
	size_t ntables = 0, i;
	struct ts_reader cr, dr, hr, pr;
	struct ts_writer ow, pw, hw;
	struct pub po, pp, ph, ps;
	int dc[ND], cc[ND], hc[NHC], ch, k, kc, kh = 0, havehold = 0, ncl, nvcol, kid;
	int run[ND], rfirst[ND], nrun, dm[ND], ndm, dmall;
	char *oline;
	size_t olcap;
	size_t onlen[NO], todaylen;
	int32_t today, first, by;
	char today_s[DATE_BUFSZ], meta[64], *pcpath, *hpath, *prevhold = NULL, *prevclaims = NULL;
	uint64_t n = 0, nheld = 0, nhin = 0, cnt[NO], carried = 0;
	int64_t insum = 0, amt[NO], x;
	long presented;
	static const struct field noground = { "", 0 };
	const struct field *ground;
	const char *daysdir = NULL, *report = NULL, *published = NULL;
	char **contests = NULL;
	int ncontests = 0, jobs = 0;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "K:L:O:R:c:d:f:j:k:n:o:p:r:s:t:")) != -1)
		switch (ch) {
		case 'K': daysdir = optarg; break;
		case 'O': published = optarg; break;
		case 'R': report = optarg; break;
		case 'k':
			contests = xrealloc(contests, (size_t)(ncontests + 1) * sizeof *contests);
			contests[ncontests++] = optarg;
			break;
		case 'L': layfile = optarg; break;
		case 'c': clientdir = optarg; break;
		case 'f': fixout = optarg; break;
		case 'j': jobs = (int)numarg(optarg, 1, 2, "-j"); break;
		case 'r': psout = optarg; break;
		case 'd': date = optarg; break;
		case 'n': newdir = optarg; break;
		case 'o': outpath = optarg; break;
		case 'p': prevdir = optarg; break;
		case 's': sumpath = optarg; break;
		case 't':
			tables = xrealloc(tables, (ntables + 1) * sizeof *tables);
			tables[ntables++] = optarg;
			break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	/*
	 * -K: the lines to present again today, the day before's on hold
	 * and those contested, for dedup to read first; no decisions yet.
	 */
	if (daysdir != NULL) {
		struct ts_reader r;
		int j;

		if (date == NULL || newdir == NULL || report == NULL || argc != 1 || jobs > 0 ||
		    outpath != NULL || psout != NULL || fixout != NULL || clientdir != NULL ||
		    sumpath != NULL || ntables > 0 || layfile != NULL)
			usage();
		/* The claim columns: today's first claim file's, as dedup will read them. */
		if (ts_open(&r, argv[0], "claim", 1) < 0)
			ts_fatal(&r);
		for (j = 0; j < r.ncol; j++)
			if (strcmp(r.cols[j], "dup") == 0)
				die_at(EX_DATAERR, argv[0], 1, "header", "claims with verdicts: not as decoded");
		contest_run(date, daysdir, prevdir, contests, ncontests, newdir, report,
		    (const char *const *)r.cols, r.ncol, hcols, NHC);
		ts_close(&r);
		free(contests);
		return 0;
	}
	/*
	 * -O: the returns alone, from outcomes written before (by a run
	 * without -r, -f and -c), so that the nightly writes them beside
	 * the stages that read the outcomes.
	 */
	if (published != NULL) {
		if (date == NULL || argc != 0 || newdir != NULL || outpath != NULL ||
		    prevdir != NULL || sumpath != NULL || ntables > 0 || ncontests > 0 ||
		    report != NULL || (psout == NULL && fixout == NULL && clientdir == NULL) ||
		    (layfile != NULL && fixout == NULL))
			usage();
		if (date_parse(date, strlen(date), &today) < 0)
			die(EX_USAGE, "-d %s: not a date YYYY-MM-DD", date);
		date_fmt(today, today_s);
		checkdate(published, today_s);
		if (fixout != NULL)
			lay = returns_layout(layfile);
		returns_write(published, today_s, psout, fixout, lay, clientdir, jobs);
		returns_commit();
		if (lay != NULL)
			lay_free((struct layout *)lay);
		return 0;
	}
	if (date == NULL || newdir == NULL || outpath == NULL || argc != 2 || ncontests > 0 ||
	    report != NULL || jobs > 0)
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "-d %s: not a date YYYY-MM-DD", date);
	todaylen = date_fmt(today, today_s);
	if (layfile != NULL && fixout == NULL)
		usage();
	if (fixout != NULL)
		lay = returns_layout(layfile);
	builtin();
	for (i = 0; i < ntables; i++)
		override(tables[i]);
	qsort(rules, nrules, sizeof *rules, rulecmp);

	if (ts_open(&cr, argv[0], "claim", 1) < 0)
		ts_fatal(&cr);
	if (ts_open(&dr, argv[1], "decision", 1) < 0)
		ts_fatal(&dr);
	for (k = 0; k < ND; k++) {
		dc[k] = ts_needcol(&dr, dnames[k]);
		cc[k] = ts_col(&cr, dnames[k]);
	}
	/*
	 * The decision's columns the outcome begins with, in runs of columns
	 * that follow each other in the decisions: each copied at once.
	 */
	for (k = 0, nrun = 0; k < ND; k++)
		if (k > 0 && dc[k] == dc[k - 1] + 1)
			run[nrun - 1]++;
		else {
			rfirst[nrun] = dc[k];
			run[nrun++] = 1;
		}
	for (k = 0; k < NO; k++)
		onlen[k] = strlen(onames[k]);
	nvcol = (int)(sizeof vcols / sizeof vcols[0]);
	ncl = cr.ncol - nvcol;
	for (k = 0; k < nvcol; k++)
		if (ncl < 1 || strcmp(cr.cols[ncl + k], vcols[k]) != 0)
			die_at(EX_DATAERR, argv[0], 1, "header",
			    "not claims with dedup's verdicts (dup, dup_id, dup_ref, dup_paid_eur last)");
	if ((kid = ts_col(&cr, "dup_id")) < 0 || cc[D_FILE] < 0 || cc[D_LINE] < 0 ||
	    cc[D_INVOICE] < 0 || cc[D_LINENO] < 0)
		die_at(EX_DATAERR, argv[0], 1, "header", "no file, line, invoice or line_no column");
	if (prevdir != NULL) {
		size_t len = strlen(prevdir) + sizeof "/hold.tsv";

		prevhold = xmalloc(len);
		snprintf(prevhold, len, "%s/hold.tsv", prevdir);
		if (ts_open(&hr, prevhold, "pending", 1) < 0)
			ts_fatal(&hr);
		prevclaims = xmalloc(len + 8);
		snprintf(prevclaims, len + 8, "%s/claims.tsv", prevdir);
		if (ts_open(&pr, prevclaims, "claim", 1) < 0)
			ts_fatal(&pr);
		if (pr.ncol != ncl)
			die_at(EX_DATAERR, prevclaims, 1, "header", "not the columns of the claims of %s",
			    argv[0]);
		for (k = 0; k < NHC; k++)
			hc[k] = ts_needcol(&hr, hcols[k]);
		havehold = 1;
		kh = 1;
	}

	if (pub_open(&po, outpath) < 0)
		die(EX_CANTCREAT, "%s: %s", outpath, strerror(errno));
	ts_wopen(&ow, po.fd, outpath, "outcome", 1, ocols, NOC);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&ow, meta);
	/*
	 * The decision's columns of the outcome built in oline, fewer than
	 * the decision's, written at once (ts_wfields); the amounts summed
	 * those of its money columns dm.
	 */
	for (k = 0, ndm = 0, dmall = 1; k < ND; k++)
		if (ow.money[k]) {
			dm[ndm++] = dc[k];
			dmall &= dr.money[dc[k]] != 0;
		}
	if (NOC != ND + 9)
		die(EX_SOFTWARE, "%s: %d columns, not the decision's %d and 9", outpath, NOC, ND);
	for (; k < NOC; k++)
		if (ow.money[k])
			die(EX_SOFTWARE, "%s: the outcome's own column %s is money", outpath, ocols[k]);
	oline = xmalloc(olcap = LINE_MAX_ + 256);
	openout(&pp, newdir, "claims.tsv", &pcpath);
	ts_wopen(&pw, pp.fd, pcpath, "claim", 1, (const char *const *)cr.cols, ncl);
	openout(&ph, newdir, "hold.tsv", &hpath);
	ts_wopen(&hw, ph.fd, hpath, "pending", 1, hcols, NHC);
	ts_wmeta(&hw, meta);
	memset(cnt, 0, sizeof cnt);
	memset(amt, 0, sizeof amt);

	for (;;) {
		const struct field *f = dr.f;
		const struct rule *ru;
		const struct field *first_claim;
		char fbuf[DATE_BUFSZ];
		int o, kd;

		kc = ts_next(&cr);
		kd = ts_next(&dr);
		if (kc < 0)
			ts_fatal(&cr);
		if (kd < 0)
			ts_fatal(&dr);
		if (kc == 0 || kd == 0) {
			if (kc != kd)
				die_at(EX_DATAERR, kc ? argv[1] : argv[0], kc ? (long)dr.in.lineno :
				    (long)cr.in.lineno, "claim", "fewer records than the %s",
				    kc ? "claims" : "decisions");
			break;
		}
		n++;
		if (!fsame(&f[dc[D_CLAIM]], &cr.f[kid]))
			die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "claim",
			    "not the claim of line %ld of the claims", (long)cr.in.lineno);
		/* A pending line of the day before, presented first. */
		first_claim = &f[dc[D_CLAIM]];
		first = today;
		by = 0;
		presented = 1;
		ground = &noground;
		if (kh) {
			kh = ts_next(&hr);
			if (kh < 0)
				ts_fatal(&hr);
		}
		if (kh > 0) {
			const struct field *h = hr.f;
			long v;

			nhin++;
			if ((k = ts_next(&pr)) < 0)
				ts_fatal(&pr);
			if (k == 0)
				die_at(EX_DATAERR, prevclaims, (long)pr.in.lineno, "claim",
				    "fewer records than %s", prevhold);
			/* The claim presented again, as it was kept, field for field. */
			if (!fsame(&h[hc[1]], &pr.f[cc[D_FILE]]) || !fsame(&h[hc[2]], &pr.f[cc[D_LINE]]) ||
			    !fsame(&h[hc[3]], &pr.f[cc[D_INVOICE]]) ||
			    !fsame(&h[hc[4]], &pr.f[cc[D_LINENO]]))
				die_at(EX_DATAERR, prevhold, (long)hr.in.lineno, "file",
				    "not the line of record %llu of %s", (unsigned long long)nhin,
				    prevclaims);
			if ((size_t)(cr.f[ncl - 1].p + cr.f[ncl - 1].n - cr.line) != pr.len ||
			    memcmp(cr.line, pr.line, pr.len) != 0)
				die_at(EX_DATAERR, argv[0], (long)cr.in.lineno, "claim",
				    "not the pending line %ld of %s, which must come first",
				    (long)pr.in.lineno, prevclaims);
			if (date_parse(h[hc[6]].p, h[hc[6]].n, &first) < 0)
				die_at(EX_DATAERR, prevhold, (long)hr.in.lineno, "first_date", "not a date");
			ground = &h[hc[9]];
			if (ground->n > 0 && h[hc[7]].n == 0)
				by = today;	/* contested: decided again today */
			else if (date_parse(h[hc[7]].p, h[hc[7]].n, &by) < 0)
				die_at(EX_DATAERR, prevhold, (long)hr.in.lineno, "decide_by", "not a date");
			if (int_parse(h[hc[8]].p, h[hc[8]].n, 1, 1000, &v) < 0)
				die_at(EX_DATAERR, prevhold, (long)hr.in.lineno, "presented", "not a count");
			first_claim = &h[hc[0]];
			presented = v + 1;
		}
		ru = findrule(&f[dc[D_AMC]], f[dc[D_CODE]].p, f[dc[D_CODE]].n);
		if (ru == NULL)
			die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "code",
			    "a code no table of codes names");
		switch (ru->handling) {
		case H_PAID:
		case H_REPORT:
			o = ru->handling == H_REPORT ? O_REPORT : O_PAID;
			if (hasflag(&f[dc[D_FLAG]], "identity")) {
				const struct rule *id = findrule(&f[dc[D_AMC]], "identity", 8);

				if (id != NULL && id->handling == H_REPORT) {
					ru = id;
					o = O_REPORT;
				}
			}
			break;
		case H_RECOVER: o = O_RECOVER; break;
		case H_CLIENT: o = O_CLIENT; break;
		case H_HOLD:
			if (by == 0)
				by = plusbusiness(first, ru->days);
			o = today >= by ? O_EXPIRED : O_HOLD;
			break;
		default: o = O_REJECTED; break;
		}
		/* A contested line rejected again: the reject is confirmed. */
		if (ground->n > 0 && (o == O_REJECTED || o == O_HOLD || o == O_EXPIRED))
			o = O_CONFIRMED;
		/*
		 * The outcome, one line written at once (ts_wfields): the
		 * decision's columns, their runs copied, its amounts those the
		 * reader parsed; then its own columns, none money (checked as
		 * the writer opened), text of the program's own or of fields
		 * read (checked), dates and a count as ts_wdate and ts_wint
		 * write them.
		 */
		{
			const struct field *fa, *fb;
			int64_t sum = 0, c;
			char *d, dbuf[DATE_BUFSZ], nbuf[24];
			size_t len, m;
			int j, e;

			/*
			 * The decision's money columns, all of them most often:
			 * its amounts as the reader parsed them (0 when empty).
			 */
			for (j = 0; dmall && j < ndm; j++)
				if (__builtin_add_overflow(sum, dr.cents[dm[j]], &sum))
					die(EX_DATAERR, "%s: record sum out of range", outpath);
			for (j = 0; !dmall && j < ndm; j++) {
				if (f[dm[j]].n == 0)
					continue;
				if (dr.money[dm[j]])
					c = dr.cents[dm[j]];
				else if ((e = money_parse(f[dm[j]].p, f[dm[j]].n, &c)) != M_OK)
					die(EX_SOFTWARE, "%s: record %llu: %s: %s", outpath,
					    (unsigned long long)ow.nrec + 1, dr.cols[dm[j]],
					    money_strerror(e));
				if (__builtin_add_overflow(sum, c, &sum))
					die(EX_DATAERR, "%s: record sum out of range", outpath);
			}
			if (f[rfirst[0]].n > 0 && f[rfirst[0]].p[0] == '#')
				die(EX_SOFTWARE, "%s: record %llu: first field starts with #", outpath,
				    (unsigned long long)ow.nrec + 1);
			/* Room: the decision's line, the fields of others, the program's text. */
			len = dr.len + first_claim->n + ground->n + ru->pslen + ru->clientlen + 256;
			if (len > olcap)
				oline = xrealloc(oline, olcap = len);
			for (j = 0, d = oline; j < nrun; j++) {
				fa = &f[rfirst[j]];
				fb = fa + run[j] - 1;
				len = (size_t)(fb->p + fb->n - fa->p);
				if (j > 0)
					*d++ = '\t';
				memcpy(d, fa->p, len);
				d += len;
			}
			d = ocat(d, onames[o], onlen[o]);
			d = ocat(d, first_claim->p, first_claim->n);
			/* Most lines are first presented today: its date written once. */
			if (first == today)
				d = ocat(d, today_s, todaylen);
			else
				d = ocat(d, dbuf, date_fmt(first, dbuf));
			if (o == O_HOLD || o == O_EXPIRED)
				d = ocat(d, dbuf, date_fmt(by, dbuf));
			else
				*d++ = '\t';
			for (m = 0, x = presented; m == 0 || x > 0; x /= 10)
				nbuf[sizeof nbuf - ++m] = (char)('0' + x % 10);
			d = ocat(d, nbuf + sizeof nbuf - m, m);
			d = ocat(d, ground->p, ground->n);
			/*
			 * A line paid is paid by the day's transfer to its PS for
			 * its client, whose reference payment-edit gives it (a
			 * SEPA end-to-end id: 35 characters at most, letters,
			 * digits and '-'): TP, the day, the client, the PS by the
			 * first letter of its kind (M for AM) and its number.
			 */
			if (o == O_PAID || o == O_REPORT) {
				const struct field *pk = &f[dc[D_PSKIND]], *pn = &f[dc[D_PSNUM]];
				const struct field *am = &f[dc[D_AMC]];
				char *q;

				if (pn->n == 0 || !alnum(pn->p, pn->n, 0) || pk->n == 0 ||
				    !alnum(pk->p, pk->n, 1))
					die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "ps_number",
					    "a paid line's PS kind or number is not letters and digits");
				if (sizeof "TPyyyymmdd--M" - 1 + am->n + pn->n >= 36)
					die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "ps_number",
					    "the payment reference would be longer than 35 characters");
				q = d;
				memcpy(q, "\tTP", 3);
				memcpy(q + 3, today_s, 4);
				memcpy(q + 7, today_s + 5, 2);
				memcpy(q + 9, today_s + 8, 2);
				q[11] = '-';
				q += 12;
				memcpy(q, am->p, am->n);
				q += am->n;
				*q++ = '-';
				*q++ = pk->n == 2 && memcmp(pk->p, "AM", 2) == 0 ? 'M' : pk->p[0];
				memcpy(q, pn->p, pn->n);
				d = q + pn->n;
			} else
				*d++ = '\t';
			/* The labels were checked as their table was read (addrule). */
			d = ocat(d, ru->pslabel, ru->pslen);
			d = ocat(d, ru->clientlabel, ru->clientlen);
			ts_wfields(&ow, oline, (size_t)(d - oline), NOC, sum);
		}
		ts_wend(&ow);
		/*
		 * Summed from the decision, against what the writer sums
		 * (money_add's test, inline: a call an amount).
		 */
		for (k = D_FR; k <= D_RECOVER; k++)
			if (__builtin_add_overflow(insum, dr.cents[dc[k]], &insum))
				die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, dnames[k], "sum out of range");
		cnt[o]++;
		x = o == O_RECOVER ? dr.cents[dc[D_RECOVER]] : dr.cents[dc[D_AMCEUR]];
		if (o != O_PAID && o != O_REPORT && o != O_RECOVER &&
		    money_sub(&x, dr.cents[dc[D_FR]], dr.cents[dc[D_AMO]]) < 0)
			die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "fr_eur", "out of range");
		if (money_add(&amt[o], amt[o], x) < 0)
			die_at(EX_DATAERR, argv[1], (long)dr.in.lineno, "amc_eur", "sum out of range");
		if (o != O_HOLD)
			continue;
		/* On hold: the claim as dedup read it, and why. */
		if (kh > 0)
			carried++;
		ts_wfields(&pw, cr.line, (size_t)(cr.f[ncl - 1].p + cr.f[ncl - 1].n - cr.line), ncl,
		    cr.recsum - cr.cents[cr.ncol - 1]);
		ts_wend(&pw);
		ts_wstr(&hw, first_claim->p, first_claim->n);
		ts_wstr(&hw, cr.f[cc[D_FILE]].p, cr.f[cc[D_FILE]].n);
		ts_wstr(&hw, cr.f[cc[D_LINE]].p, cr.f[cc[D_LINE]].n);
		ts_wstr(&hw, cr.f[cc[D_INVOICE]].p, cr.f[cc[D_INVOICE]].n);
		ts_wstr(&hw, cr.f[cc[D_LINENO]].p, cr.f[cc[D_LINENO]].n);
		ts_wstr(&hw, f[dc[D_CODE]].p, f[dc[D_CODE]].n);
		date_fmt(first, fbuf);
		ts_wcstr(&hw, fbuf);
		ts_wdate(&hw, by);
		ts_wint(&hw, presented);
		ts_wcstr(&hw, "");
		ts_wend(&hw);
		nheld++;
	}
	if (kh > 0 && (kh = ts_next(&hr)) > 0)
		die_at(EX_DATAERR, prevhold, (long)hr.in.lineno, "first_claim",
		    "a pending line not presented again (it must come first in the claims)");
	if (kh < 0)
		ts_fatal(&hr);
	if (havehold && (k = ts_next(&pr)) != 0) {
		if (k < 0)
			ts_fatal(&pr);
		die_at(EX_DATAERR, prevclaims, (long)pr.in.lineno, "claim", "more records than %s",
		    prevhold);
	}
	if (havehold) {
		ts_close(&hr);
		ts_close(&pr);
	}
	/* Conservation: a line in, an outcome out; the amounts to the cent. */
	if (ow.nrec != n || ow.sum != insum)
		die(EX_SOFTWARE, "%s: conservation: %llu decisions, %llu outcomes; %lld cents in, %lld out",
		    outpath, (unsigned long long)n, (unsigned long long)ow.nrec,
		    (long long)insum, (long long)ow.sum);
	if (pw.nrec != nheld || hw.nrec != nheld || cnt[O_HOLD] != nheld)
		die(EX_SOFTWARE, "%s: conservation: %llu lines on hold, %llu pending",
		    newdir, (unsigned long long)cnt[O_HOLD], (unsigned long long)hw.nrec);
	ts_wclose(&ow);
	ts_wclose(&pw);
	ts_wclose(&hw);
	if (sumpath != NULL) {
		static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
		struct ts_writer sw;

		if (pub_open(&ps, sumpath) < 0)
			die(EX_CANTCREAT, "%s: %s", sumpath, strerror(errno));
		ts_wopen(&sw, ps.fd, sumpath, "stage-summary", 1, scols, 4);
		ts_wmeta(&sw, "stage\treject");
		ts_wmeta(&sw, meta);
		for (k = 0; k < NO; k++) {
			if (cnt[k] == 0)
				continue;
			ts_wcstr(&sw, "lines");
			ts_wcstr(&sw, onames[k]);
			ts_wint(&sw, (long long)cnt[k]);
			ts_wmoney(&sw, amt[k]);
			ts_wend(&sw);
		}
		ts_wclose(&sw);
	}
	ts_close(&cr);
	ts_close(&dr);
	/* The returns, from the outcomes as written; published with them. */
	if (psout != NULL || fixout != NULL || clientdir != NULL)
		returns_write(po.tmp, today_s, psout, fixout, lay, clientdir, 1);
	if (pub_commit(&po) < 0)
		die(EX_IOERR, "%s: %s", outpath, strerror(errno));
	if (pub_commit(&pp) < 0)
		die(EX_IOERR, "%s: %s", pcpath, strerror(errno));
	if (pub_commit(&ph) < 0)
		die(EX_IOERR, "%s: %s", hpath, strerror(errno));
	if (sumpath != NULL && pub_commit(&ps) < 0)
		die(EX_IOERR, "%s: %s", sumpath, strerror(errno));
	returns_commit();
	fprintf(stderr, "reject-code: %s: %llu lines: %llu paid, %llu paid-report, %llu rejected, "
	    "%llu on hold (%llu presented again, %llu carried), %llu expired, %llu recover, %llu client, "
	    "%llu confirmed\n",
	    today_s, (unsigned long long)n, (unsigned long long)cnt[O_PAID],
	    (unsigned long long)cnt[O_REPORT], (unsigned long long)cnt[O_REJECTED],
	    (unsigned long long)cnt[O_HOLD], (unsigned long long)nhin,
	    (unsigned long long)carried, (unsigned long long)cnt[O_EXPIRED],
	    (unsigned long long)cnt[O_RECOVER], (unsigned long long)cnt[O_CLIENT],
	    (unsigned long long)cnt[O_CONFIRMED]);
	free(oline);
	free(pcpath);
	free(hpath);
	free(prevhold);
	free(prevclaims);
	free(tables);
	if (lay != NULL)
		lay_free((struct layout *)lay);
	freerules();
	return 0;
}
