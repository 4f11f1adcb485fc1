/*
 * dedup -B: the ledger of paid lines (tiers-ledger(5)), after
 * liquidation.  The day's claims with their verdicts and their
 * decisions, one for one in the same order, make the day's records;
 * the new generation is the day before's segments and these.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

static struct key *lrecs;
static size_t nlrecs, caplrecs;

static void
lpush(const struct key *k)
{
	if (nlrecs == caplrecs) {
		caplrecs = caplrecs ? caplrecs * 2 : 4096;
		lrecs = xrealloc(lrecs, caplrecs * sizeof *lrecs);
	}
	lrecs[nlrecs++] = *k;
}

static void
getlrec(size_t j, struct key *k)
{
	*k = lrecs[j];
}

static int
lreccmp(const void *a, const void *b)
{
	return keycmp(a, b);
}

static int
feq(const struct field *f, const char *s)
{
	size_t n = strlen(s);

	return f->n == n && memcmp(f->p, s, n) == 0;
}

/* A claim's identity, "YYYY-MM-DD#N". */
static int
parseid(const struct field *f, int32_t *day, uint32_t *rec)
{
	long n;

	if (f->n < 12 || f->p[10] != '#' || date_parse(f->p, 10, day) < 0 ||
	    int_parse(f->p + 11, f->n - 11, 1, UINT32_MAX, &n) < 0)
		return -1;
	*rec = (uint32_t)n;
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
	int c[NKC], lc[NLC], cid, cdup, cref, dclaim, ddest, damc, i, st, sd;
	char key[2048], tmpdir[PATH_MAX];
	uint64_t npaid = 0, nmove = 0, ncl = 0;

	if (ts_open(&d, decisions, "decision", 1) < 0)
		ts_fatal(&d);
	dclaim = ts_needcol(&d, "claim");
	ddest = ts_needcol(&d, "dest");
	damc = ts_needcol(&d, "amc_eur");
	for (i = 0; i < argc; i++) {
		size_t q;

		if (ts_open(&r, argv[i], "claim", 1) < 0)
			ts_fatal(&r);
		for (q = 0; q < NKC; q++)
			c[q] = ts_needcol(&r, keycols[q]);
		for (q = 0; q < NLC; q++)
			lc[q] = ts_col(&r, linecols[q]);
		cid = ts_needcol(&r, "dup_id");
		cdup = ts_needcol(&r, "dup");
		cref = ts_needcol(&r, "dup_ref");
		while ((st = ts_next(&r)) == 1) {
			struct field v[NKC], lv[NLC];
			int64_t cents[NKC];
			struct key k;
			size_t n;
			int paid, psrec, recover;

			if ((sd = ts_next(&d)) < 0)
				ts_fatal(&d);
			if (sd == 0)
				die_at(EX_DATAERR, decisions, d.in.lineno, "claim",
				    "fewer decisions than claims");
			ncl++;
			if (d.f[dclaim].n != r.f[cid].n ||
			    memcmp(d.f[dclaim].p, r.f[cid].p, r.f[cid].n) != 0)
				die_at(EX_DATAERR, decisions, d.in.lineno, "claim",
				    "not the claim's dup_id: not these claims' decisions");
			psrec = feq(&d.f[ddest], "ps-recover");
			paid = psrec || feq(&d.f[ddest], "ps");
			recover = feq(&d.f[ddest], "recover-ps");
			if ((!paid && !recover) || d.cents[damc] == 0)
				continue;
			memset(&k, 0, sizeof k);
			k.amount = d.cents[damc];
			k.bday = today;
			k.party = psrec ? 'B' : 'P';
			if (feq(&r.f[cdup], "adjust") && r.f[cref].n > 0) {
				if (parseid(&r.f[cref], &k.day, &k.rec) < 0)
					die_at(EX_DATAERR, argv[i], r.in.lineno, "dup_ref",
					    "not a claim's identity (date#N)");
				idhash(k.day, k.rec, &k.hi, &k.lo);
				k.kind = LK_MOVE;
				lpush(&k);
				nmove++;
				continue;
			}
			if (recover)
				die_at(EX_DATAERR, decisions, d.in.lineno, "dest",
				    "recover-ps, and no line it recovers (dup_ref empty)");
			if (parseid(&r.f[cid], &k.day, &k.rec) < 0 || k.day != today)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "dup_id",
				    "not a claim's identity of the day");
			for (q = 0; q < NKC; q++) {
				v[q] = r.f[c[q]];
				cents[q] = r.cents[c[q]];
			}
			if ((n = normkey(v, cents, key, sizeof key)) == 0)
				die_at(EX_DATAERR, argv[i], r.in.lineno, "key", "too long");
			hash128(key, n, &k.hi, &k.lo);
			k.kind = LK_KEY;
			lpush(&k);
			linefields(&r, lc, lv);
			linehash(lv, v, &k.hi, &k.lo);
			k.kind = LK_LINE;
			lpush(&k);
			npaid++;
		}
		if (st < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	if ((sd = ts_next(&d)) < 0)
		ts_fatal(&d);
	if (sd == 1)
		die_at(EX_DATAERR, decisions, d.in.lineno, "claim", "more decisions than claims");
	ts_close(&d);
	if (nlrecs > 0)
		qsort(lrecs, nlrecs, sizeof *lrecs, lreccmp);
	writegen(&hist, hdir, newhdir, today, getlrec, nlrecs);
	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newhdir);
	if (rename(tmpdir, newhdir) < 0)
		die(EX_CANTCREAT, "%s: %s", newhdir, strerror(errno));
	tmp_untrack(tmpdir);
	fprintf(stderr, "%s: %s: %llu claims: %llu lines paid, %llu movements; ledger %d segments\n",
	    progname_(), today_s, (unsigned long long)ncl, (unsigned long long)npaid,
	    (unsigned long long)nmove, hist.nseg);
	free(lrecs);
	return EX_OK;
}
