/*
 * liquidate: shards.  A day too large for one run's memory is cut by
 * family, so that a family's plafonds and consumption stay in one run:
 * with -z k/n, a run reads every claim but keeps only those whose family
 * (amc, contract) hashes to k, each routed, as it is read, by the
 * beneficiary the lookup will give it, found through the masters'
 * indexes a claim at a time (nothing held); a claim no beneficiary has
 * is shard 0's.  It writes its decisions, the lines of the claims they
 * decide (-r), and the consumption of its families only.  -J joins the
 * shards' files into the bytes one run writes: the decisions in the
 * claims' order, the consumption generations merged family by family,
 * the summaries added.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "liquidate.h"

int nshards, myshard;
static struct master *rms;
static int nrms;

/* FNV-1a of amc, a NUL byte, contract: the family's shard. */
int
famshard(const char *amc, size_t an, const char *contract, size_t cn)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < an; i++)
		h = (h ^ (unsigned char)amc[i]) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL;
	for (i = 0; i < cn; i++)
		h = (h ^ (unsigned char)contract[i]) * 0x100000001b3ULL;
	return (int)((h ^ h >> 32) % (uint64_t)nshards);
}

/* Sharded, every master must have its index: a claim is routed through it. */
void
routeinit(struct master *ms, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!ms[i].indexed)
			die(EX_USAGE, "%s: -z needs the index of every master (-x)",
			    ms[i].r.in.name);
	rms = ms;
	nrms = n;
}

/*
 * The routing over, the pages of the masters and indexes it read are
 * given back: the lookup reads again those of its own claims only.
 */
void
routedone(void)
{
	int i;

	for (i = 0; i < nrms; i++) {
		pages_release((const char *)rms[i].r.map, (const char *)rms[i].r.map +
		    rms[i].r.maplen);
		pages_release((const char *)rms[i].x.map, (const char *)rms[i].x.map +
		    rms[i].x.len);
	}
}

/* A reading thread's own readers of the masters (their fields). */
struct router {
	struct ts_reader *r;
};

struct router *
routernew(void)
{
	struct router *ro = xmalloc(sizeof *ro);
	int i;

	ro->r = xmalloc((size_t)(nrms ? nrms : 1) * sizeof *ro->r);
	for (i = 0; i < nrms; i++) {
		memcpy(&ro->r[i], &rms[i].r, sizeof ro->r[i]);
		ro->r[i].f = xmalloc((size_t)rms[i].r.ncol * sizeof *ro->r[i].f);
		ro->r[i].cents = xmalloc((size_t)rms[i].r.ncol * sizeof *ro->r[i].cents);
		/* Zero once: the reader sets only the money columns' (ts_open). */
		memset(ro->r[i].cents, 0, (size_t)rms[i].r.ncol * sizeof *ro->r[i].cents);
	}
	return ro;
}

void
routerfree(struct router *ro)
{
	int i;

	if (ro == NULL)
		return;
	for (i = 0; i < nrms; i++) {
		free(ro->r[i].f);
		free(ro->r[i].cents);
	}
	free(ro->r);
	free(ro);
}

/*
 * The shard of claim c, its key hashes made: that of the beneficiary the
 * lookup (join.c) will find, by the same rules: the first record in the
 * masters' order with the exact key, else the one record with a
 * reconciliation key, in the order of the kinds; 0 when none.  A line an
 * entry points to that is not a record with that key's hash is shard
 * 0's too: its lookup reads it and refuses it, as one run would.
 */
int
route(struct router *ro, const struct claim *c)
{
	struct bk_rec rec;
	struct bk_key mk;
	struct ts_reader *r;
	const struct master *m;
	uint64_t h, lo, hi, eh, ref, q, off;
	int kind, i, found, first = 0, s;

	for (kind = 0; kind < NKIND; kind++) {
		if ((h = c->kh[kind]) == 0)
			continue;
		found = 0;
		for (i = 0; i < nrms; i++) {
			m = &rms[i];
			r = &ro->r[i];
			bx_bucket(&m->x, h, &lo, &hi);
			for (q = lo; q < hi; q++) {
				bx_entry(&m->x, q, &eh, &ref);
				if (eh > h)
					break;
				if (eh < h || (int)(ref & 3) != kind)
					continue;
				off = ref >> 2;
				if (off >= r->maplen || ts_line(r, (const char *)r->map + off) < 0 ||
				    bk_fields(r, m->kc, &rec) < 0)
					return 0;
				bk_keyof(&rec, &mk);
				if (bk_hash(kind, &mk) != h)
					return 0;
				if (!keyeq(kind, c, &mk))
					continue;
				s = famshard(r->f[m->c[B_AMC]].p, r->f[m->c[B_AMC]].n,
				    r->f[m->c[B_CONTRACT]].p, r->f[m->c[B_CONTRACT]].n);
				if (kind == K_EXACT)
					return s;
				if (found++ == 0)
					first = s;
			}
		}
		if (found == 1)
			return first;
	}
	return 0;
}

/* -r: the lines of the claims decided, in the decisions' order. */
void
wlines(const char *path, const char *meta)
{
	static const char *const cols[] = { "line" };
	struct ts_writer w;
	struct pub p;
	size_t k;

	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "shard-lines", 1, cols, 1);
	ts_wmeta(&w, meta);
	for (k = 0; k < ncl; k++) {
		ts_wint(&w, cl[k].lno);
		ts_wend(&w);
	}
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

/* One shard's files, read along. */
struct shard {
	struct ts_reader d, l, c;
	int dclaim, dcode, damc, lline;
	int have;		/* a decision and its line read */
	long line;
	int chave;		/* a consumption record read */
	int cc[2];
	char *path[3];		/* the readers' names */
};

static char *
shardpath(const char *dir, int k, const char *what)
{
	size_t n = strlen(dir) + strlen(what) + 24;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%d.%s.tsv", dir, k, what);
	return p;
}

static int
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void
nextdec(struct shard *s)
{
	int a, b;
	long v;

	if ((a = ts_next(&s->d)) < 0)
		ts_fatal(&s->d);
	if ((b = ts_next(&s->l)) < 0)
		ts_fatal(&s->l);
	if (a != b)
		die(EX_DATAERR, "%s: %llu decisions, %s: another count of lines", s->d.in.name,
		    (unsigned long long)s->d.nrec, s->l.in.name);
	s->have = a == 1;
	if (!s->have)
		return;
	if (int_parse(s->l.f[s->lline].p, s->l.f[s->lline].n, 1, LONG_MAX, &v) < 0 ||
	    (s->line > 0 && v <= s->line))
		die_at(EX_DATAERR, s->l.in.name, s->l.in.lineno, "line",
		    "not a line number after the one before");
	s->line = v;
}

static void
nextcons(struct shard *s)
{
	int st;

	if (!s->chave)
		return;
	if ((st = ts_next(&s->c)) < 0)
		ts_fatal(&s->c);
	s->chave = st == 1;
}

static int
fcmp(const struct field *a, const struct field *b)
{
	return bytecmp(a->p, a->n, b->p, b->n);
}

/* The family of shard x's current consumption record against y's. */
static int
famorder(const struct shard *x, const struct shard *y)
{
	int d = fcmp(&x->c.f[x->cc[0]], &y->c.f[y->cc[0]]);

	return d != 0 ? d : fcmp(&x->c.f[x->cc[1]], &y->c.f[y->cc[1]]);
}

/* The summaries' rows, added by (item, kind). */
struct srow {
	char *item, *kind;
	uint64_t n;
	int64_t a;
};

static int
srowcmp(const void *pa, const void *pb)
{
	const struct srow *x = pa, *y = pb;
	int d = strcmp(x->item, y->item);

	return d != 0 ? d : strcmp(x->kind, y->kind);
}

static void
joinsummary(const char *dir, int n, const char *path, const char *date)
{
	static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
	struct srow *rows = NULL;
	size_t nr = 0, cap = 0, i, j;
	struct ts_reader r;
	struct ts_writer w;
	struct pub p;
	int k, c[4], st;
	long v;
	char *sp, meta[64];
	int64_t in = 0, outsum = 0;

	for (k = 0; k < n; k++) {
		sp = shardpath(dir, k, "summary");
		if (ts_open(&r, sp, "stage-summary", 1) < 0)
			ts_fatal(&r);
		for (i = 0; i < 4; i++)
			c[i] = ts_needcol(&r, scols[i]);
		while ((st = ts_next(&r)) == 1) {
			if (int_parse(r.f[c[2]].p, r.f[c[2]].n, 0, LONG_MAX, &v) < 0)
				die_at(EX_DATAERR, sp, r.in.lineno, "records", "not a count");
			if (nr == cap) {
				cap = cap ? cap * 2 : 64;
				rows = xrealloc(rows, cap * sizeof *rows);
			}
			rows[nr].item = xfdup(&r.f[c[0]]);
			rows[nr].kind = xfdup(&r.f[c[1]]);
			rows[nr].n = (uint64_t)v;
			rows[nr++].a = r.cents[c[3]];
			if (money_add(&in, in, r.cents[c[3]]) < 0)
				die_at(EX_DATAERR, sp, r.in.lineno, "amount_eur", "out of range");
		}
		if (st < 0)
			ts_fatal(&r);
		ts_close(&r);
		free(sp);
	}
	qsort(rows, nr, sizeof *rows, srowcmp);
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "stage-summary", 1, scols, 4);
	ts_wmeta(&w, "stage\tliquidate");
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	ts_wmeta(&w, meta);
	for (i = 0; i < nr; i = j) {
		uint64_t cnt = 0;
		int64_t a = 0;

		for (j = i; j < nr && srowcmp(&rows[i], &rows[j]) == 0; j++) {
			cnt += rows[j].n;
			if (money_add(&a, a, rows[j].a) < 0)
				die(EX_DATAERR, "%s: %s %s: amount out of range", path, rows[i].item,
				    rows[i].kind);
		}
		ts_wcstr(&w, rows[i].item);
		ts_wcstr(&w, rows[i].kind);
		ts_wint(&w, (long long)cnt);
		ts_wmoney(&w, a);
		ts_wend(&w);
		if (money_add(&outsum, outsum, a) < 0)
			die(EX_DATAERR, "%s: amounts out of range", path);
	}
	if (outsum != in)
		die(EX_SOFTWARE, "%s: conservation: the shards' rows sum to another amount", path);
	ts_wclose(&w);
	for (i = 0; i < nr; i++) {
		free(rows[i].item);
		free(rows[i].kind);
	}
	free(rows);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

/*
 * -J dir: the shards 0.. of dir (K.decisions.tsv, K.lines.tsv,
 * K.consumption.tsv, K.summary.tsv when -s) joined: each claim of the
 * claims stream, in its order, has its decision in exactly one shard,
 * the next of that shard's, for the same claim; each family's
 * consumption is in one shard.  0, or dies.
 */
int
joinshards(const char *dir, const char *claims, const char *date, const char *out,
    const char *newcons, const char *newstore, const char *sumpath)
{
	struct shard *sh;
	struct ts_reader cr;
	struct ts_writer w, cw2;
	struct pub pd, pc;
	char *sp, meta[64];
	int n, k, best, st, cdup;
	uint64_t ncode[NCODE], ndec = 0, nin = 0, nev = 0, nevin = 0;
	int64_t samc = 0, sumin = 0, csumin = 0;

	for (n = 0;; n++) {
		sp = shardpath(dir, n, "decisions");
		st = exists(sp);
		free(sp);
		if (!st)
			break;
	}
	if (n == 0)
		die(EX_NOINPUT, "%s: no shard (0.decisions.tsv)", dir);
	sh = xmalloc((size_t)n * sizeof *sh);
	memset(sh, 0, (size_t)n * sizeof *sh);
	for (k = 0; k < n; k++) {
		sh[k].path[0] = shardpath(dir, k, "decisions");
		if (ts_open(&sh[k].d, sh[k].path[0], "decision", 1) < 0)
			ts_fatal(&sh[k].d);
		sh[k].dclaim = ts_needcol(&sh[k].d, "claim");
		sh[k].dcode = ts_needcol(&sh[k].d, "code");
		sh[k].damc = ts_needcol(&sh[k].d, "amc_eur");
		sh[k].path[1] = shardpath(dir, k, "lines");
		if (ts_open(&sh[k].l, sh[k].path[1], "shard-lines", 1) < 0)
			ts_fatal(&sh[k].l);
		sh[k].lline = ts_needcol(&sh[k].l, "line");
		nextdec(&sh[k]);
		/* A store: each shard's events of the day, merged by writestore. */
		sh[k].path[2] = shardpath(dir, k, newstore != NULL ? "events" : "consumption");
		if (newstore != NULL)
			continue;
		if (ts_open(&sh[k].c, sh[k].path[2], "consumption", 1) < 0)
			ts_fatal(&sh[k].c);
		sh[k].cc[0] = ts_needcol(&sh[k].c, "amc");
		sh[k].cc[1] = ts_needcol(&sh[k].c, "contract");
		sh[k].chave = 1;
		nextcons(&sh[k]);
	}
	snprintf(meta, sizeof meta, "business_date\t%s", date);

	/* The decisions, in the claims' order. */
	if (ts_open(&cr, claims, "claim", 1) < 0)
		ts_fatal(&cr);
	cdup = ts_needcol(&cr, "dup_id");
	wdecopen(&w, &pd, out, meta);
	memset(ncode, 0, sizeof ncode);
	while ((st = ts_next(&cr)) == 1) {
		nin++;
		for (k = 0; k < n && !(sh[k].have && sh[k].line == cr.in.lineno); k++)
			;
		if (k == n)
			die_at(EX_DATAERR, claims, cr.in.lineno, NULL,
			    "no shard of %s has the decision of this claim", dir);
		if (fcmp(&sh[k].d.f[sh[k].dclaim], &cr.f[cdup]) != 0)
			die_at(EX_DATAERR, sh[k].d.in.name, sh[k].d.in.lineno, "claim",
			    "not the claim of line %ld of %s", cr.in.lineno, claims);
		{
			const struct field *f = &sh[k].d.f[sh[k].dcode];
			long code;

			if (f->n != 4 || memcmp(f->p, "LQ", 2) != 0 ||
			    int_parse(f->p + 2, 2, 0, NCODE - 1, &code) < 0)
				die_at(EX_DATAERR, sh[k].d.in.name, sh[k].d.in.lineno, "code",
				    "not a code of liquidate");
			ncode[code]++;
		}
		if (money_add(&samc, samc, sh[k].d.cents[sh[k].damc]) < 0)
			die(EX_DATAERR, "%s: amc_eur: control sum out of range", sh[k].d.in.name);
		ts_wcopy(&w, &sh[k].d);
		ndec++;
		nextdec(&sh[k]);
	}
	if (st < 0)
		ts_fatal(&cr);
	for (k = 0; k < n; k++) {
		if (sh[k].have)
			die_at(EX_DATAERR, sh[k].d.in.name, sh[k].d.in.lineno, NULL,
			    "a decision of no claim of %s", claims);
		if (money_add(&sumin, sumin, sh[k].d.sum) < 0)
			die(EX_DATAERR, "%s: control sum out of range", dir);
	}
	/* Records in (the claims, the shards' decisions) = records out. */
	if (w.nrec != nin || w.nrec != ndec || w.sum != sumin)
		die(EX_SOFTWARE, "conservation check failed: %llu claims, %llu decisions written",
		    (unsigned long long)nin, (unsigned long long)w.nrec);

	if (newstore != NULL) {
		/* The day's segment, made of the shards' as one run makes it of its own. */
		char **days = xmalloc((size_t)n * sizeof *days);
		uint64_t nday = 0;

		for (k = 0; k < n; k++) {
			struct ts_reader er;

			if (ts_open(&er, sh[k].path[2], "consumption", 1) < 0)
				ts_fatal(&er);
			while ((st = ts_next(&er)) == 1)
				nday++;
			if (st < 0)
				ts_fatal(&er);
			ts_close(&er);
			days[k] = sh[k].path[2];
		}
		ts_wclose(&w);
		if (sumpath != NULL)
			joinsummary(dir, n, sumpath, date);
		ts_close(&cr);
		writestore(newstore, days, n, nday, &nev);
		if (out != NULL && pub_commit(&pd) < 0)
			die(EX_IOERR, "%s: %s", out, strerror(errno));
		storepublish(newstore);
		free(days);
		for (k = 0; k < n; k++) {
			ts_close(&sh[k].d);
			ts_close(&sh[k].l);
			free(sh[k].path[0]);
			free(sh[k].path[1]);
			free(sh[k].path[2]);
		}
		free(sh);
		if (out == NULL)
			fshut_stdout();
		tellday(date, ndec, ncode, samc, nev);
		return 0;
	}

	/* The consumption generations, family by family. */
	if (pub_open(&pc, newcons) < 0)
		die(EX_CANTCREAT, "%s: %s", newcons, strerror(errno));
	ts_wopen(&cw2, pc.fd, newcons, "consumption", 1, ecols, NEC);
	ts_wmeta(&cw2, meta);
	for (;;) {
		for (best = -1, k = 0; k < n; k++)
			if (sh[k].chave && (best < 0 || famorder(&sh[k], &sh[best]) < 0))
				best = k;
		if (best < 0)
			break;
		for (k = 0; k < n; k++)
			if (k != best && sh[k].chave && famorder(&sh[k], &sh[best]) == 0)
				die_at(EX_DATAERR, sh[k].c.in.name, sh[k].c.in.lineno, NULL,
				    "a family of shard %d too", best);
		/* Its family whole: the shards were written in that order. */
		{
			struct shard *s = &sh[best];
			char *amc = xfdup(&s->c.f[s->cc[0]]), *con = xfdup(&s->c.f[s->cc[1]]);
			struct field fa = { amc, strlen(amc) }, fc = { con, strlen(con) };

			while (s->chave && fcmp(&s->c.f[s->cc[0]], &fa) == 0 &&
			    fcmp(&s->c.f[s->cc[1]], &fc) == 0) {
				ts_wcopy(&cw2, &s->c);
				nev++;
				nextcons(s);
			}
			free(amc);
			free(con);
		}
	}
	for (k = 0; k < n; k++) {
		nevin += sh[k].c.nrec;
		if (money_add(&csumin, csumin, sh[k].c.sum) < 0)
			die(EX_DATAERR, "%s: control sum out of range", dir);
	}
	if (cw2.nrec != nevin || cw2.sum != csumin)
		die(EX_SOFTWARE, "conservation check failed: %llu events read, %llu written",
		    (unsigned long long)nevin, (unsigned long long)cw2.nrec);
	ts_wclose(&w);
	ts_wclose(&cw2);
	if (sumpath != NULL)
		joinsummary(dir, n, sumpath, date);
	ts_close(&cr);
	for (k = 0; k < n; k++) {
		ts_close(&sh[k].d);
		ts_close(&sh[k].l);
		ts_close(&sh[k].c);
		free(sh[k].path[0]);
		free(sh[k].path[1]);
		free(sh[k].path[2]);
	}
	free(sh);
	if (out != NULL && pub_commit(&pd) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	if (pub_commit(&pc) < 0)
		die(EX_IOERR, "%s: %s", newcons, strerror(errno));
	if (out == NULL)
		fshut_stdout();
	tellday(date, ndec, ncode, samc, nev);
	return 0;
}
