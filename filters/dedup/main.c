/*
 * dedup: a verdict on every claim, before anything is paid: first seen,
 * duplicate of an earlier claim of the day, or duplicate of a claim of an
 * earlier day (general conditions 3.1.8).  Nothing is dropped.
 *
 * The history of the keys already paid is a generation of segments
 * (tiers-history(5)): binary files of fixed 24-byte records sorted on a
 * 128-bit hash of the normalised key, each with its day and its record
 * number in that day.  Day D's generation is D-1's segments (hard links:
 * they never change) plus one new segment of the day's first-seen keys,
 * merged by size with the newest of them (a binary counter: O(log days)
 * segments), dropping the keys older than the window.  The day's new
 * keys, sorted, are looked up in one pass, a gallop through each
 * segment, in page cache, its pages given back behind the cursor: the
 * cost per day is the day's keys times the segments, never the size of
 * the history.  Memory: a table of the day's keys (32 to 64 bytes a
 * claim), the new keys (24 bytes each), two batches of claims and the
 * claims waiting for their verdicts (up to 128 MiB, then spilled to a
 * temporary file); nothing per key of the history.
 * Keys shard by the first byte of their hash (-S k/n): each shard keeps
 * its own history and gives the verdicts of its claims, which -J joins
 * with the claims, so that GNU parallel can run the shards on one
 * machine or several.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dedup.h"

int32_t today;
char today_s[DATE_BUFSZ];
struct hist hist;		/* the history, or the ledger of paid lines */
/* The stage summary (-s), published last. */
static const char *sumpath;
static struct pub spub;

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

/* ---------- reading the claims ---------- */

/*
 * The claim streams, each read by ts_scan and kept open until the
 * claims are written: a plain file is mapped, and a claim held for its
 * verdict points to its line there (the page cache's pages, not a copy
 * in fresh memory); a gzip file or a pipe is read through a buffer, its
 * lines copied into the batch's text.
 */
static struct ts_reader *rds;
static int nrd;
/* Each stream's first claim's record number and key columns (claimline). */
static struct stream {
	uint32_t rec0;
	int c[NKC], lc[NLC];
} *sts;

static struct {
	struct batch *bt;
	size_t bmax, blim;
	uint32_t rec;
	int c[NKC], lc[NLC], nature;
} rd;

/*
 * A claim's item: its line where it stands, its keys checked and hashed.
 * 0, or -1 after ts_error.
 */
static inline __attribute__((always_inline)) int
claimkey(struct ts_reader *r, struct item *x)
{
	const int *c = rd.c;
	char key[2048];
	size_t j;
	int paid;

	x->len = (uint32_t)r->len;
	x->recsum = r->recsum;
	if (r->f[c[K_PSNUM]].n == 0 || r->f[c[K_INVOICE]].n == 0 ||
	    r->f[c[K_ACT]].n == 0 || r->f[c[K_ACTDATE]].n == 0 ||
	    r->f[c[K_FR]].n == 0 || (r->f[c[K_NIR]].n == 0 && r->f[c[K_BNIR]].n == 0))
		return ts_error(r, "key",
		    "a key field is empty (ps_number, invoice, nir, act_code, act_date, fr_eur)");
	paid = r->f[rd.nature].n == 4 && memcmp(r->f[rd.nature].p, "paid", 4) == 0;
	if (hist.ledger) {
		/*
		 * A paid claim's line key is looked for only among the
		 * adjustments' of the day: a mapped one gets its
		 * fingerprint, its hash made if an adjustment has the same
		 * (claimline).  An adjustment gets both, its fingerprint in
		 * hi (it has no key).
		 */
		if (paid && x->mapped) {
			x->lhi = linefp(r->f, rd.lc);
			x->llo = 0;
		} else
			linehash(r->f, rd.lc, c, &x->lhi, &x->llo);
		if (!paid)
			x->hi = linefp(r->f, rd.lc);
	}
	if (!paid) {
		x->verdict = V_ADJUST;
		return 0;
	}
	/* Its amounts read by the reader (fr_eur, invoice_total_eur: money columns). */
	j = normkey(r->f, c, key, sizeof key);
	if (j == 0)
		return ts_error(r, "key", "too long");
	hash128(key, j, &x->hi, &x->lo);
	if (nshard > 1 && (int)((x->hi >> 56) % (uint64_t)nshard) != shard)
		x->verdict = V_OTHER;
	return 0;
}

/*
 * The next claim's slot in the batch being filled, a line of len bytes
 * (not mapped: copied into the batch's text); the batch handed to the
 * judging thread when full.  NULL: too many claims.
 */
static inline __attribute__((always_inline)) struct item *
slot(int mapped, size_t len)
{
	struct batch *bt = rd.bt;

	if (bt != NULL && (bt->n == rd.bmax || (!mapped && bt->tlen + len > BATCHTEXT))) {
		rd.bmax = rd.bmax * 2 < rd.blim ? rd.bmax * 2 : rd.blim;
		putbatch(bt, 0);
		bt = rd.bt = NULL;
	}
	if (bt == NULL)
		bt = rd.bt = getbatch();
	if (bt->n == 0)
		bt->rec0 = rd.rec + 1;
	if (rd.rec == UINT32_MAX)
		return NULL;
	rd.rec++;
	return &bt->it[bt->n++];
}

/*
 * The second half of a mapped stream, read by a thread of its own beside
 * the first (ts_scan's second part): its claims verified and hashed into
 * items of their own, which go to the batches, in order, once the first
 * half's have.  The reading, three quarters of -l's instructions, takes
 * both cores while the judging thread waits for batches.
 */
#define NPARTS 2

static struct {
	struct item *it;
	size_t n, cap;
} p1;

/*
 * Room for n more items, in huge pages where they are given (bigalloc):
 * mapped once for the claims the second half of a stream may hold (a
 * claim a line of ncol bytes at least), its untouched pages costing
 * nothing, rather than grown as it fills, copied and faulted again.
 */
static void
p1room(size_t n)
{
	struct item *v;

	if (n <= p1.cap - p1.n)
		return;
	v = bigalloc((p1.n + n) * sizeof *v);
	if (p1.n > 0)
		memcpy(v, p1.it, p1.n * sizeof *v);
	bigfree(p1.it, p1.cap * sizeof *v);
	p1.it = v;
	p1.cap = p1.n + n;
}

static int
claim1(struct ts_reader *r)
{
	struct item *x;

	if (r->map == NULL)
		die(EX_SOFTWARE, "%s: a second part not mapped", r->in.name);
	if (p1.n == p1.cap)
		p1room(p1.cap ? p1.cap : 65536);
	x = &p1.it[p1.n++];
	x->verdict = V_FIRST;
	x->mapped = 1;
	x->at = (uintptr_t)r->line;
	return claimkey(r, x);
}

/*
 * The second part's items after the first's claims: into the batches as
 * claim() would have put them, a batch's run of them at a time.
 */
static void
putitems(const char *path)
{
	struct item *x;
	size_t k, n;

	for (k = 0; k < p1.n; k += n) {
		if ((x = slot(1, 0)) == NULL)
			die(EX_SOFTWARE, "%s: too many claims in a second part", path);
		n = p1.n - k;
		if (n > rd.bmax - rd.bt->n + 1)
			n = rd.bmax - rd.bt->n + 1;
		if (n > UINT32_MAX - rd.rec + 1)
			n = UINT32_MAX - rd.rec + 1;
		memcpy(x, p1.it + k, n * sizeof *x);
		rd.bt->n += n - 1;
		rd.rec += (uint32_t)(n - 1);
	}
}

/* A claim read: verified (ts_scan), hashed, into the batch (or part 1's items). */
static int
claim(void *arg, struct ts_reader *r)
{
	struct batch *bt;
	struct item *x;

	if (arg == &p1)
		return claim1(r);
	if ((x = slot(r->map != NULL, r->len)) == NULL)
		return ts_error(r, "-", "too many claims");
	bt = rd.bt;
	x->verdict = V_FIRST;
	if ((x->mapped = r->map != NULL))
		x->at = (uintptr_t)r->line;
	else {
		memcpy(bt->text + bt->tlen, r->line, r->len);
		x->at = bt->tlen;
		bt->tlen += r->len;
	}
	return claimkey(r, x);
}

/*
 * The line key of claim rec, x, of a mapped stream, whose item holds its
 * fingerprint: its line split again (ts_reline: the stream was read
 * through), its fields those of its stream's columns.
 */
void
claimline(const struct item *x, uint32_t rec, uint64_t *hi, uint64_t *lo)
{
	int a = 0, b = nrd, m;

	/* The last stream whose first claim is rec or before it. */
	while (b - a > 1) {
		m = a + (b - a) / 2;
		if (sts[m].rec0 <= rec)
			a = m;
		else
			b = m;
	}
	if (!x->mapped || ts_reline(&rds[a], (const char *)x->at) < 0)
		die(EX_SOFTWARE, "%s: claim %u: its line not found again", rds[a].in.name,
		    (unsigned)rec);
	linehash(rds[a].f, sts[a].lc, sts[a].c, hi, lo);
}

/* The mapped lines before upto written: their pages may go. */
void
claimsrelease(const char *upto)
{
	int i;

	for (i = 0; i < nrd; i++)
		ts_release(&rds[i], upto);
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
	const char *date = NULL, *hdir = NULL, *newhdir = NULL, *output = NULL;
	const char *decisions = NULL;
	int months = 24, full = 0, ch, i, st, apost = 0, join = 0, build = 0;
	const char **vfiles = NULL;
	int nvfiles = 0;
	size_t blim = BATCH;
	const char *e;
	size_t ncl;
	char tmpdir[PATH_MAX - 128], meta[128];
	struct pub p;
	struct herr he;
	pthread_t th;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "ABD:H:JS:VW:d:h:lo:s:v:")) != -1)
		switch (ch) {
		case 'A': apost = 1; break;
		case 'B': build = hist.ledger = 1; break;
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
		case 'H': newhdir = optarg; break;
		case 'V': full = 1; break;
		case 'W': months = (int)numarg(optarg, 1, 1200, "months"); break;
		case 'd': date = optarg; break;
		case 'h': hdir = optarg; break;
		case 'l': hist.ledger = 1; break;
		case 'o': output = optarg; break;
		case 's': sumpath = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (build) {
		if (date == NULL || decisions == NULL || newhdir == NULL || argc == 0 ||
		    output != NULL || apost || join || nshard > 1 || sumpath != NULL || nvfiles > 0)
			usage();
	} else if (hist.ledger) {
		if (date == NULL || output == NULL || argc == 0 || newhdir != NULL ||
		    decisions != NULL || apost || join || nshard > 1 || nvfiles > 0)
			usage();
	} else if (decisions != NULL || date == NULL || output == NULL || argc == 0 ||
	    (apost ? hdir == NULL || newhdir != NULL :
	    join ? nvfiles == 0 || hdir != NULL || newhdir != NULL : newhdir == NULL) ||
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
		hist.cutoff = date_from_ymd(y, m, d);
	}
	hist.rsz = hist.ledger ? LEDSZ : RECSZ;
	if (hdir != NULL && loadhist(&hist, hdir, full, &he) < 0)
		hfatal(&he);
	if (build)
		return buildledger(argc, argv, decisions, hdir, newhdir);
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
	judgeinit();
	rd.blim = blim;
	rd.bmax = blim / 8 ? blim / 8 : 1;	/* the first batches small: the judging starts early */
	nrd = argc;
	rds = xmalloc((size_t)argc * sizeof *rds);
	sts = xmalloc((size_t)argc * sizeof *sts);
	for (i = 0; i < argc; i++) {
		struct ts_reader *r = &rds[i];
		void *args[NPARTS] = { &rd, &p1 };
		long base[NPARTS];
		struct stat sb;
		size_t k;
		int np;

		if (ts_open(r, argv[i], "claim", 1) < 0)
			ts_fatal(r);
		for (k = 0; k < NKC; k++)
			rd.c[k] = ts_needcol(r, keycols[k]);
		rd.nature = ts_needcol(r, "nature");
		for (k = 0; k < NLC; k++)
			rd.lc[k] = ts_col(r, linecols[k]);
		sts[i].rec0 = rd.rec + 1;
		memcpy(sts[i].c, rd.c, sizeof rd.c);
		memcpy(sts[i].lc, rd.lc, sizeof rd.lc);
		if (nshard == 1)
			outhead(&out, p.fd, output, r, i == 0, argv[i], argv[0], months);
		if (i == 0) {
			ncol = r->ncol;
			if (pthread_create(&th, NULL, judging, NULL) != 0)
				die(EX_OSERR, "pthread_create failed");
		}
		/*
		 * Two parts when the stream cannot hold more claims than
		 * the record numbers left (a line a byte or more): "too many
		 * claims" is then never the second part's.
		 */
		np = stat(argv[i], &sb) == 0 && sb.st_size >= 0 &&
		    (uint64_t)sb.st_size < UINT32_MAX - (uint64_t)rd.rec ? NPARTS : 1;
		p1.n = 0;
		if (np > 1 && r->ncol > 0)
			p1room((size_t)sb.st_size / 2 / (size_t)r->ncol + 1);
		if (ts_scan(r, np, claim, args, base) < 0)
			ts_fatal(r);
		putitems(argv[i]);
	}
	bigfree(p1.it, p1.cap * sizeof *p1.it);
	putbatch(rd.bt, 1);
	judged();
	for (i = 0; i < nrd; i++)
		ts_close(&rds[i]);
	free(rds);
	free(sts);
	ncl = rd.rec;
	if (nshard == 1 && nout != ncl)
		die(EX_SOFTWARE, "conservation: %zu claims read, %llu written", ncl,
		    (unsigned long long)nout);
	if (sumpath != NULL)
		wsummary(counts, nout);
	judgedone();

	/* The new generation: D-1's live segments, and the day's keys. */
	if (newhdir != NULL) {
		snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhdir);
		writegen(&hist, hdir, newhdir, today, getfirst, nfirst);
	}
	freefirst();

	pthread_join(th, NULL);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	if (newhdir != NULL) {
		if (rename(tmpdir, newhdir) < 0)
			die(EX_CANTCREAT, "%s: %s", newhdir, strerror(errno));
		tmp_untrack(tmpdir);
		/* The new name on disk, as pub_commit does for a file. */
		if (pub_syncdir(newhdir) < 0)
			die(EX_IOERR, "%s: %s", newhdir, strerror(errno));
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
		    (unsigned long long)counts[V_ADJUST], hist.ledger ? "ledger" : "history",
		    hist.nseg);
	return EX_OK;
}
