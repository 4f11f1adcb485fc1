/*
 * liquidate: the PEC store (-p DIR, -Q DIR; tiers-liquidate(5), "The
 * PEC store").  A directory of segments, each a PEC generation named by
 * the business day that wrote it (YYYY-MM-DD.tsv): a day writes one
 * segment of its own agreements, the earlier ones hard-linked, never
 * rewritten, but when the day's segment takes in the newest ones by the
 * consumption store's size-tiered policy (tierfrom, store.c).  A
 * segment whose agreements all ended before the day's keep is not
 * carried; those ended are dropped from the segments taken in.  A
 * single generation (the day before's pec.tsv of before the store) is
 * read as a store of one segment, taken in whole by the first store.
 *
 * Read: each segment mapped and looked up where it lies (pecgen.c, a
 * sparse index each, made at its first lookup); a lookup's agreements
 * merged in peccmp's order, one given in two segments seen once (the
 * older's), those ended before the keep of the day that wrote the
 * newest segment not seen: what the single generation that day would
 * have written holds.  Only the lines read are checked; a segment is
 * checked whole where it is written or taken in.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liquidate.h"

/* A lookup's scratch: each segment's agreements, and where the merge is. */
static const struct pec ***sres;
static size_t *snr, *sat;

/* The day of segment g, from its name; NOSTART: a single generation. */
static int32_t
segday(const struct pecset *ps, const struct pecgen *g)
{
	const char *path, *b;
	uint64_t n;
	int32_t lt, d;

	if (ps->nseg == 0)
		return NOSTART;
	pecgen_stat(g, &path, &n, &lt);
	b = strrchr(path, '/');
	b = b != NULL ? b + 1 : path;
	if (!segname(b, &d))
		die(EX_SOFTWARE, "%s: not a segment's name", path);
	return d;
}

void
pecstore_open(struct pecset *ps, const char *path)
{
	struct ts_reader r;
	char **names = NULL, *p;
	int n = 0, i, c[NPC], own, st;
	int32_t day = NOSTART;
	size_t m;

	if (ps->nseg > 0 || ps->gen != NULL)
		die(EX_USAGE, "%s: a second PEC store, or one after a generation", path);
	n = seglist(path, "PEC store", &names);
	ps->seg = xmalloc((size_t)(n ? n : 1) * sizeof *ps->seg);
	for (i = 0; i < n; i++) {
		m = strlen(path) + strlen(names[i]) + 2;
		p = xmalloc(m);
		snprintf(p, m, "%s/%s", path, names[i]);
		if ((own = pecopen(&r, p, c)) < 0)
			ts_fatal(&r);
		if (!own)
			die_at(EX_DATAERR, p, 1, "header",
			    "columns not in the order liquidate writes them");
		if ((ps->seg[i] = pecgen_map(&r, c, p, &st)) == NULL) {
			if (st < 0)
				ts_fatal(&r);
			die_at(EX_DATAERR, p, 0, NULL,
			    "not a PEC generation (a plain file with its business_date)");
		}
		ps->nseg = i + 1;
		segname(names[i], &day);
		/* p stays: its reader names it in its messages. */
		free(names[i]);
	}
	free(names);
	ps->rkeep = n > 0 ? addmonths(day, -PEC_KEEP) : NOSTART;
	sres = xmalloc((size_t)(n ? n : 1) * sizeof *sres);
	snr = xmalloc((size_t)(n ? n : 1) * sizeof *snr);
	sat = xmalloc((size_t)(n ? n : 1) * sizeof *sat);
}

size_t
pecfind(struct pecset *ps, const struct pec *k, const struct pec ***out)
{
	const struct pec *p;
	size_t n = 0, all = 0;
	int i, b;

	if (ps->nseg == 0)
		return ps->gen != NULL ? genfind(ps->gen, k, out) : 0;
	/* One segment: the newest, written with the keep. */
	if (ps->nseg == 1)
		return genfind(ps->seg[0], k, out);
	for (i = 0; i < ps->nseg; i++) {
		all += snr[i] = genfind(ps->seg[i], k, &sres[i]);
		sat[i] = 0;
	}
	*out = ps->found;
	if (all == 0)
		return 0;
	for (;;) {
		/* The least, the oldest segment's of equals. */
		for (b = -1, i = 0; i < ps->nseg; i++)
			if (sat[i] < snr[i] && (b < 0 ||
			    peccmp(sres[i][sat[i]], sres[b][sat[b]]) < 0))
				b = i;
		if (b < 0)
			break;
		p = sres[b][sat[b]++];
		/* Two equal have the same end: both seen, or neither. */
		if (p->to < ps->rkeep || (n > 0 && peccmp(ps->found[n - 1], p) == 0))
			continue;
		if (n == ps->capfound) {
			ps->capfound = ps->capfound ? 2 * ps->capfound : 16;
			ps->found = xrealloc(ps->found, ps->capfound * sizeof *ps->found);
		}
		ps->found[n++] = p;
	}
	*out = ps->found;
	return n;
}

void
pecstore_release(const struct pecset *ps)
{
	int i;

	if (ps->gen != NULL)
		pecgen_release(ps->gen);
	for (i = 0; i < ps->nseg; i++)
		pecgen_release(ps->seg[i]);
}

/* The day's agreements' latest valid_to, of those kept; NOSTART none. */
static int32_t
daylast(const struct pecset *ps, int32_t keep)
{
	int32_t last = NOSTART;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (ps->p[i].to >= keep && ps->p[i].to > last)
			last = ps->p[i].to;
	return last;
}

void
pecstore_write(const struct pecset *ps, const char *newdir, int32_t keep, uint64_t *n)
{
	char tmpdir[PATH_MAX - 64], path[PATH_MAX], bd[64], lv[64];
	const char *meta[2], *sp, *b;
	struct pecgen *const *seg = ps->nseg > 0 ? ps->seg : &ps->gen, **run;
	int nseg = ps->nseg > 0 ? ps->nseg : ps->gen != NULL, *whole, *live, nlive = 0, r, i;
	uint64_t *cnt, c;
	int32_t today, lt, day, last;
	int64_t sum;
	struct pub p;

	if ((size_t)snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newdir) >= sizeof tmpdir - 32)
		die(EX_USAGE, "%s: path too long", newdir);
	date_parse(today_s, strlen(today_s), &today);
	cnt = xmalloc((size_t)(nseg ? nseg : 1) * sizeof *cnt);
	whole = xmalloc((size_t)(nseg ? nseg : 1) * sizeof *whole);
	live = xmalloc((size_t)(nseg ? nseg : 1) * sizeof *live);
	run = xmalloc((size_t)(nseg ? nseg : 1) * sizeof *run);
	/* The live segments: a single generation, or one of an agreement not ended before keep. */
	for (i = 0; i < nseg; i++) {
		pecgen_stat(seg[i], &sp, &c, &lt);
		day = segday(ps, seg[i]);
		if (day != NOSTART && day >= today)
			die_at(EX_DATAERR, sp, 0, NULL, "a segment of this business day or a later one");
		if (day == NOSTART || (c > 0 && (lt == NOEND || lt >= keep))) {
			cnt[nlive] = c;
			whole[nlive] = day == NOSTART;
			live[nlive++] = i;
		}
	}
	r = tierfrom(cnt, whole, nlive, ps->n);
	if (mkdir(tmpdir, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", tmpdir, strerror(errno));
	tmp_track(tmpdir, 1);
	for (i = 0; i < r; i++) {
		pecgen_stat(seg[live[i]], &sp, &c, &lt);
		b = strrchr(sp, '/');
		snprintf(path, sizeof path, "%s/%s", tmpdir, b != NULL ? b + 1 : sp);
		linkorcopy(sp, path);
		tmp_track(path, 0);
	}
	/* The day's segment: the run taken in and the day's agreements. */
	last = daylast(ps, keep);
	for (i = r; i < nlive; i++) {
		run[i - r] = seg[live[i]];
		if ((lt = pecgen_lastto(seg[live[i]])) > last)
			last = lt;
	}
	snprintf(bd, sizeof bd, "business_date\t%s", today_s);
	meta[0] = bd;
	if (last != NOSTART) {
		char ld[DATE_BUFSZ];

		date_fmt(last, ld);
		snprintf(lv, sizeof lv, "last_valid_to\t%s", ld);
		meta[1] = lv;
	}
	snprintf(path, sizeof path, "%s/%s.tsv", tmpdir, today_s);
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	/*
	 * The run and the day's agreements merged: every segment walked
	 * where it lies, its lines copied as they are and checked as a
	 * generation copied is (pecgen_merge); of agreements equal, the
	 * oldest segment's line kept, then the day's.
	 */
	pecwrite(run, nlive - r, ps, p.fd, path, meta, last != NOSTART ? 2 : 1, keep, n, &sum);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	tmp_track(path, 0);
	/* Verified once, as it is written: readers then check what they read. */
	segcheckback(path, "pec", *n, sum);
	free(cnt);
	free(whole);
	free(live);
	free(run);
}

void
pecstore_gen(const struct pecset *ps, int fd, const char *path, const char *meta, int32_t keep,
    uint64_t *n)
{
	struct pecgen **run = xmalloc((size_t)ps->nseg * sizeof *run);
	const char *sp;
	uint64_t c;
	int32_t lt;
	int i, nrun = 0;

	for (i = 0; i < ps->nseg; i++) {
		pecgen_stat(ps->seg[i], &sp, &c, &lt);
		if (c > 0 && (lt == NOEND || lt >= keep))
			run[nrun++] = ps->seg[i];
	}
	pecwrite(run, nrun, ps, fd, path, &meta, 1, keep, n, NULL);
	free(run);
}
