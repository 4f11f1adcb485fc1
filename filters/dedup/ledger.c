/*
 * dedup -B: the ledger of paid lines (tiers-ledger(5)), after
 * liquidation.  The day's claims with their verdicts and their
 * decisions, one for one in the same order, make the day's records;
 * the new generation is the day before's segments and these.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dedup.h"
#include "radix.h"

static struct key *lrecs;
static size_t nlrecs, caplrecs;

/*
 * The day's records, in huge pages where they are given (bigalloc): a
 * larger array, the records copied into it, rather than a realloc in
 * small pages, each faulted in alone.  Room for n more.
 */
static void
lreserve(size_t n)
{
	struct key *v;

	if (n <= caplrecs - nlrecs)
		return;
	v = bigalloc((nlrecs + n) * sizeof *lrecs);
	if (nlrecs > 0)
		memcpy(v, lrecs, nlrecs * sizeof *lrecs);
	bigfree(lrecs, caplrecs * sizeof *lrecs);
	lrecs = v;
	caplrecs = nlrecs + n;
}

static void
lpush(const struct key *k)
{
	if (nlrecs == caplrecs)
		lreserve(caplrecs ? caplrecs : 65536);
	lrecs[nlrecs++] = *k;
}

/*
 * Room for the records of a plain claim stream of size bytes and ncol
 * columns (nc), at most two a claim (a line paid, under its key and its line
 * key) and a claim a line of nc bytes at least: the array is mapped
 * once, its untouched pages costing nothing, rather than doubled (each
 * time its records copied and pages cleared again for them).  Past
 * LRESMAX, doubled as it fills.
 */
#define LRESMAX ((size_t)1 << 24)

static void
lroom(const char *path, int nc)
{
	struct stat st;
	size_t n;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || nc < 1)
		return;
	n = (size_t)st.st_size / (size_t)nc * 2;
	lreserve(n < LRESMAX ? n : LRESMAX);
}

static void
getlrec(size_t j, struct key *k)
{
	*k = lrecs[j];
}

/*
 * The day's records in keycmp's order: an LSD radix sort on the top 33
 * bits of the hash, then the rare runs that share them (a line's
 * movements share all of it) by insertion.
 */
static void
lsort(struct key *a, size_t n)
{
	struct key *tmp = bigalloc(n * sizeof *tmp), x;
	size_t i, j;

	radix_sort(a, n, sizeof *a, tmp, 31, UINT64_MAX);
	bigfree(tmp, n * sizeof *tmp);
	for (i = 1; i < n; i++) {
		if (keycmp(&a[i - 1], &a[i]) <= 0)
			continue;
		x = a[i];
		for (j = i; j > 0 && keycmp(&a[j - 1], &x) > 0; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

static int
feq(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f->n == n && memcmp(f->p, s, n) == 0;
}

/*
 * The decisions, read by a thread of their own a few chunks ahead of the
 * claims they go with: what -B needs of each (the claim it names, its
 * dest, its amount, its line), in a ring of chunks.  The claims and the
 * decisions are then checked on both cores, and each error is still
 * found where reading them one for one finds it: the reader's at the
 * decision it reads, the others by the claim.  Both streams are read by
 * ts_scan, a plain file mapped rather than copied through a reader's
 * buffers.  The ring is small: its chunks are touched again and again,
 * each first touch a page fault.
 */
#define DCHUNK 2048
#define NDCHUNK 8
enum { D_OTHER, D_PS, D_PSREC, D_RECOVER };

struct dec {
	int64_t amc;
	long line;
	size_t idlen;
	char *idlong;		/* an identity longer than id: its own memory */
	char id[24];
	unsigned char dest;
};

static struct {
	struct ts_reader *d;
	int dclaim, ddest, damc;
	struct dec *ch[NDCHUNK];
	size_t n[NDCHUNK], at;
	int head, tail, count, have;
	int end;		/* 1 the trailer read, -1 the reader's error */
	int slot;		/* the reader's chunk, fill decisions in it */
	size_t fill;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
} dq = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/*
 * The line of the record a scan of one part hands on: counted from the
 * header in r itself when ts_scan reads by ts_next, from after it in the
 * part's own reader when the file is mapped.
 */
static long
scanline(const struct ts_reader *r, const struct ts_reader *pr)
{
	return (long)pr->in.lineno + (pr != r);
}

/* The reader's next chunk, once the claims' side has given one back. */
static void
decslot(void)
{
	pthread_mutex_lock(&dq.mu);
	while (dq.count == NDCHUNK)
		pthread_cond_wait(&dq.cv, &dq.mu);
	dq.slot = dq.head;
	pthread_mutex_unlock(&dq.mu);
}

/* The reader's chunk to the claims' side; end: the stream's end (1, -1). */
static void
decput(int end)
{
	pthread_mutex_lock(&dq.mu);
	dq.n[dq.slot] = dq.fill;
	dq.head = (dq.head + 1) % NDCHUNK;
	dq.count++;
	if (end != 0)
		dq.end = end;
	pthread_cond_broadcast(&dq.cv);
	pthread_mutex_unlock(&dq.mu);
	dq.fill = 0;
}

static int
decrec(void *arg, struct ts_reader *d)
{
	struct dec *x;

	(void)arg;
	if (dq.fill == 0)
		decslot();
	x = &dq.ch[dq.slot][dq.fill++];
	x->amc = d->cents[dq.damc];
	x->line = scanline(dq.d, d);
	x->idlen = d->f[dq.dclaim].n;
	free(x->idlong);
	x->idlong = NULL;
	if (x->idlen <= sizeof x->id)
		memcpy(x->id, d->f[dq.dclaim].p, x->idlen);
	else
		x->idlong = xfdup(&d->f[dq.dclaim]);
	x->dest = feq(&d->f[dq.ddest], "ps-recover") ? D_PSREC :
	    feq(&d->f[dq.ddest], "ps") ? D_PS :
	    feq(&d->f[dq.ddest], "recover-ps") ? D_RECOVER : D_OTHER;
	if (dq.fill == DCHUNK)
		decput(0);
	return 0;
}

static void *
decreader(void *arg)
{
	void *a = NULL;
	long base;
	int st;

	(void)arg;
	st = ts_scan(dq.d, 1, decrec, &a, &base);
	if (dq.fill == 0)
		decslot();
	decput(st < 0 ? -1 : 1);
	return NULL;
}

/*
 * The next decision: 1 and *x; 0 the stream ended, its trailer checked;
 * -1 the reader's error (ts_fatal(dq.d) tells it).
 */
static int
nextdec(const struct dec **x)
{
	int end;

	for (;;) {
		if (dq.have && dq.at < dq.n[dq.tail]) {
			*x = &dq.ch[dq.tail][dq.at++];
			return 1;
		}
		pthread_mutex_lock(&dq.mu);
		if (dq.have) {
			/* The chunk read through: back to the reader. */
			dq.tail = (dq.tail + 1) % NDCHUNK;
			dq.count--;
			dq.at = 0;
			pthread_cond_broadcast(&dq.cv);
		}
		while (dq.count == 0 && dq.end == 0)
			pthread_cond_wait(&dq.cv, &dq.mu);
		dq.have = dq.count > 0;
		end = dq.end;
		pthread_mutex_unlock(&dq.mu);
		if (!dq.have)
			return end < 0 ? -1 : 0;
	}
}

/*
 * A claim's identity, "YYYY-MM-DD#N".  Most are of today, whose date is
 * known (today_s), not parsed again.
 */
static int
parseid(const struct field *f, int32_t *day, uint32_t *rec)
{
	long n;

	if (f->n < 12 || f->p[10] != '#')
		return -1;
	if (memcmp(f->p, today_s, 10) == 0)
		*day = today;
	else if (date_parse(f->p, 10, day) < 0)
		return -1;
	if (int_parse(f->p + 11, f->n - 11, 1, UINT32_MAX, &n) < 0)
		return -1;
	*rec = (uint32_t)n;
	return 0;
}

/* The claims of a stream, as ts_scan hands them on, and the day's counts. */
static struct {
	const struct ts_reader *r;
	const char *path, *decisions;
	int c[NKC], lc[NLC], cid, cdup, cref;
	uint64_t npaid, nmove, ncl;
} cs;

/* A claim with its decision: its records, if it was paid or recovered. */
static int
claimrec(void *arg, struct ts_reader *r)
{
	const struct dec *x;
	struct key k;
	char key[2048];
	size_t n;
	int paid, psrec, recover, sd;

	(void)arg;
	if ((sd = nextdec(&x)) < 0)
		ts_fatal(dq.d);
	if (sd == 0)
		die_at(EX_DATAERR, cs.decisions, dq.d->in.lineno, "claim",
		    "fewer decisions than claims");
	cs.ncl++;
	if (x->idlen != r->f[cs.cid].n || memcmp(x->idlong != NULL ? x->idlong : x->id,
	    r->f[cs.cid].p, r->f[cs.cid].n) != 0)
		die_at(EX_DATAERR, cs.decisions, x->line, "claim",
		    "not the claim's dup_id: not these claims' decisions");
	psrec = x->dest == D_PSREC;
	paid = psrec || x->dest == D_PS;
	recover = x->dest == D_RECOVER;
	if ((!paid && !recover) || x->amc == 0)
		return 0;
	memset(&k, 0, sizeof k);
	k.amount = x->amc;
	k.bday = today;
	k.party = psrec ? 'B' : 'P';
	if (feq(&r->f[cs.cdup], "adjust") && r->f[cs.cref].n > 0) {
		if (parseid(&r->f[cs.cref], &k.day, &k.rec) < 0)
			die_at(EX_DATAERR, cs.path, scanline(cs.r, r), "dup_ref",
			    "not a claim's identity (date#N)");
		idhash(k.day, k.rec, &k.hi, &k.lo);
		k.kind = LK_MOVE;
		lpush(&k);
		cs.nmove++;
		return 0;
	}
	if (recover)
		die_at(EX_DATAERR, cs.decisions, x->line, "dest",
		    "recover-ps, and no line it recovers (dup_ref empty)");
	if (parseid(&r->f[cs.cid], &k.day, &k.rec) < 0 || k.day != today)
		die_at(EX_DATAERR, cs.path, scanline(cs.r, r), "dup_id",
		    "not a claim's identity of the day");
	/* Its amounts read by the reader (money columns). */
	if ((n = normkey(r->f, cs.c, key, sizeof key)) == 0)
		die_at(EX_DATAERR, cs.path, scanline(cs.r, r), "key", "too long");
	hash128(key, n, &k.hi, &k.lo);
	k.kind = LK_KEY;
	lpush(&k);
	linehash(r->f, cs.lc, cs.c, &k.hi, &k.lo);
	k.kind = LK_LINE;
	lpush(&k);
	cs.npaid++;
	return 0;
}

/*
 * dedup -B: the day's ledger generation, from the day before's and the
 * day's claims with their verdicts and their decisions, one for one in
 * the same order.  A line paid (ps, ps-recover) gets a record under its
 * key and one under its line key, with what it was paid; a payment or a
 * recovery on a line paid before (an adjustment with a dup_ref) gets a
 * movement under that line's identity.
 */
int
buildledger(int argc, char **argv, const char *decisions, const char *hdir,
    const char *newhdir)
{
	struct ts_reader r, d;
	const struct dec *x;
	int i, sd;
	char tmpdir[PATH_MAX];

	if (ts_open(&d, decisions, "decision", 1) < 0)
		ts_fatal(&d);
	dq.d = &d;
	dq.dclaim = ts_needcol(&d, "claim");
	dq.ddest = ts_needcol(&d, "dest");
	dq.damc = ts_needcol(&d, "amc_eur");
	for (i = 0; i < NDCHUNK; i++) {
		dq.ch[i] = xmalloc(DCHUNK * sizeof *dq.ch[i]);
		memset(dq.ch[i], 0, DCHUNK * sizeof *dq.ch[i]);
	}
	if (pthread_create(&dq.th, NULL, decreader, NULL) != 0)
		die(EX_OSERR, "pthread_create failed");
	cs.decisions = decisions;
	for (i = 0; i < argc; i++) {
		void *a = NULL;
		long base;
		size_t q;

		if (ts_open(&r, argv[i], "claim", 1) < 0)
			ts_fatal(&r);
		for (q = 0; q < NKC; q++)
			cs.c[q] = ts_needcol(&r, keycols[q]);
		for (q = 0; q < NLC; q++)
			cs.lc[q] = ts_col(&r, linecols[q]);
		cs.cid = ts_needcol(&r, "dup_id");
		cs.cdup = ts_needcol(&r, "dup");
		cs.cref = ts_needcol(&r, "dup_ref");
		cs.r = &r;
		cs.path = argv[i];
		lroom(argv[i], r.ncol);
		if (ts_scan(&r, 1, claimrec, &a, &base) < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	if ((sd = nextdec(&x)) < 0)
		ts_fatal(&d);
	if (sd == 1)
		die_at(EX_DATAERR, decisions, x->line, "claim", "more decisions than claims");
	pthread_join(dq.th, NULL);
	ts_close(&d);
	for (i = 0; i < NDCHUNK; i++) {
		size_t q;

		for (q = 0; q < DCHUNK; q++)
			free(dq.ch[i][q].idlong);
		free(dq.ch[i]);
	}
	if (nlrecs > 0)
		lsort(lrecs, nlrecs);
	writegen(&hist, hdir, newhdir, today, getlrec, nlrecs);
	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhdir);
	if (rename(tmpdir, newhdir) < 0)
		die(EX_CANTCREAT, "%s: %s", newhdir, strerror(errno));
	tmp_untrack(tmpdir);
	/* The new name on disk, as pub_commit does for a file. */
	if (pub_syncdir(newhdir) < 0)
		die(EX_IOERR, "%s: %s", newhdir, strerror(errno));
	fprintf(stderr, "%s: %s: %llu claims: %llu lines paid, %llu movements; ledger %d segments\n",
	    progname_(), today_s, (unsigned long long)cs.ncl, (unsigned long long)cs.npaid,
	    (unsigned long long)cs.nmove, hist.nseg);
	bigfree(lrecs, caplrecs * sizeof *lrecs);
	return EX_OK;
}
