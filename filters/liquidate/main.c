/*
 * liquidate: for every act line, what the complementary insurer pays,
 * and to whom (general conditions 3.1.3, 3.1.4): from the beneficiary's
 * rights at the act date, the client's guarantee parameters, the care
 * agreements (PEC) and the ceilings already consumed.  Exactly one
 * decision per claim, nothing dropped; the filter checks that
 * FR = AMO + AMC + RAC to the cent over the whole run.
 *
 * Cost: the day's claims are loaded into memory (two threads, ts_scan),
 * their three identity keys into a hash table in hash order.  A master
 * with its index (benef-index(5)) is read only where the claims' keys
 * point, its whole CRC-32 checked by a thread of its own; without one it
 * is read through once by two threads, its keys tested against a Bloom
 * filter.  Only the beneficiaries a claim names are kept, parsed by two
 * threads.  Claims are then processed per family (amc,
 * contract) in a fixed order, merge-joined with the previous consumption
 * generation, which is sorted on the same key: memory for the
 * consumption is one family's events at a time.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liquidate.h"

/*
 * The files of this folder: rules.c the business rules, guarantee.c and
 * pec.c the parameters, acts.c the act codes, claims.c and join.c the
 * claims and their beneficiaries, output.c what is written, pecahead.c
 * the PEC lookups made by a thread ahead of the decisions.
 */
static int32_t today;
static struct ctx cx;		/* what the rules see */
static struct guars gset;
static struct pecset pset;


/*
 * In the consumption order, claims and their beneficiaries are anywhere
 * in memory: those a few places ahead fetched while one is decided, the
 * claim first, then what it points to.  Inlined before GCC sees it: a
 * function that only prefetches is found to have no effect, and its
 * calls dropped.
 */
#ifdef __GNUC__
static inline __attribute__((always_inline)) void
#else
static void
#endif
ahead(const size_t *ord, size_t j, size_t n)
{
#ifdef __GNUC__
	const struct claim *c;
	const char *p;
	size_t i;

	if (j + 16 < n)
		for (p = (const char *)&cl[ord[j + 16]], i = 0; i < sizeof *c; i += 64)
			__builtin_prefetch(p + i);
	if (j + 8 < n) {
		c = &cl[ord[j + 8]];
		__builtin_prefetch(&bens[c->bi]);
		__builtin_prefetch(CS(c, C_PSKIND));
		__builtin_prefetch(CS(c, C_ACTCODE));
		__builtin_prefetch(CS(c, C_DUPID));
	}
#else
	(void)ord, (void)j, (void)n;
#endif
}

/* Digit strings compare as numbers, when they are. */
static int
numcmp(const char *a, size_t m, const char *b, size_t n)
{
	size_t i;

	if (m != n) {
		for (i = 0; i < m && a[i] >= '0' && a[i] <= '9'; i++)
			;
		if (i == m) {
			for (i = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++)
				;
			if (i == n)
				return m < n ? -1 : 1;
		}
	}
	return bytecmp(a, m, b, n);
}

/* The consumption order: family, act date, PS, invoice, line, input. */
static int
ordcmp(const void *pa, const void *pb)
{
	const struct claim *x = &cl[*(const size_t *)pa], *y = &cl[*(const size_t *)pb];
	const struct benef *bx = &bens[x->bi], *by = &bens[y->bi];
	int d;

	if (bx->fam != by->fam)
		return bx->fam < by->fam ? -1 : 1;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
#define FCMP(i) bytecmp(CS(x, i), CN(x, i), CS(y, i), CN(y, i))
	if ((d = FCMP(C_PSKIND)) != 0 || (d = FCMP(C_PSNUM)) != 0 ||
	    (d = FCMP(C_INVOICE)) != 0 ||
	    (d = numcmp(CS(x, C_LINENO), CN(x, C_LINENO), CS(y, C_LINENO),
	    CN(y, C_LINENO))) != 0)
		return d;
#undef FCMP
	return x < y ? -1 : x > y;
}

static int
okcmp(const void *pa, const void *pb)
{
	const struct cand *x = pa, *y = pb;
	size_t i = x->ent, j = y->ent;

	return ordcmp(&i, &j);
}

#ifdef __GNUC__
/* Is a[m] one of a tie? */
static int
intie(const struct cand *a, size_t n, size_t m)
{
	return (m + 1 < n && a[m].off == a[m + 1].off) || (m > 0 && a[m].off == a[m - 1].off);
}
#endif

/*
 * ok[0, n), sorted on (family, act date), each run of equal keys sorted
 * with okcmp: a total order, whatever sorts it.  The claims of a run are
 * anywhere in memory, and so are their beneficiaries and fields: those
 * of the ties a few places ahead fetched while one is sorted.
 */
static void
okties(struct cand *a, size_t n)
{
	size_t i, j, s, v, f1 = 0, f2 = 0;

	for (i = 0; i < n; i = j) {
#ifdef __GNUC__
		/* Those of a tie, up to 16 ahead: the claim, then what it points to. */
		for (; f1 < n && f1 <= i + 16; f1++)
			if (intie(a, n, f1))
				for (s = 0; s < sizeof *cl; s += 64)
					__builtin_prefetch((const char *)&cl[a[f1].ent] + s);
		for (; f2 < n && f2 <= i + 8; f2++)
			if (intie(a, n, f2)) {
				const struct claim *c = &cl[a[f2].ent];

				__builtin_prefetch(&bens[c->bi]);
				__builtin_prefetch(CS(c, C_PSKIND));
			}
#endif
		for (j = i + 1; j < n && a[j].off == a[i].off; j++)
			;
		if (j - i > 8)
			qsort(a + i, j - i, sizeof *a, okcmp);
		else
			for (s = i + 1; s < j; s++)	/* a few: by insertion */
				for (v = s; v > i && okcmp(&a[v - 1], &a[v]) > 0; v--) {
					struct cand x = a[v];

					a[v] = a[v - 1];
					a[v - 1] = x;
				}
	}
}

static void *
wdecthread(void *arg)
{
	wdecisions(arg);
	return NULL;
}

/* The next PEC generation, written while the claims are decided. */
struct pecjob {
	int fd;
	const char *path, *meta, *store;	/* -N, or -Q */
	int32_t keep;
	uint64_t n;
};

static void *
pecthread(void *arg)
{
	struct pecjob *j = arg;

	if (j->store != NULL)
		pecstore_write(&pset, j->store, j->keep, &j->n);
	else
		writepecs(&pset, j->fd, j->path, j->meta, j->keep, &j->n);
	return NULL;
}

static int
isdir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
usage(void)
{
	fprintf(stderr, "usage: liquidate -C new-consumption | -E day-events | -S new-store\n"
	    "                 -d date [-a acts] [-c consumption] [-g guarantees]...\n"
	    "                 [-k cards]... [-N new-pec | -Q new-pec-store] [-P ps-register]\n"
	    "                 [-m master [-x index]]... [-o decisions] [-p pec]...\n"
	    "                 [-s summary] [-V] [-z shard/shards -r lines] [claims]\n"
	    "       liquidate -J dir -C new-consumption | -S new-store -d date\n"
	    "                 [-c consumption] [-o decisions] [-s summary] claims\n");
	exit(EX_USAGE);
}

/* The directory path of a store to write (NULL: none) does not exist yet, or exit 73. */
static void
newdirfree(const char *path)
{
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0)
		die(EX_CANTCREAT, "%s: already exists: a new store is written where none is", path);
}

int
main(int argc, char *argv[])
{
	const char *date = NULL, *prevcons = NULL, *newcons = NULL, *out = NULL;
	const char *sumpath = NULL, *acts = NULL, *regfile = NULL, *newpec = NULL;
	const char *joindir = NULL, *linespath = NULL, *dayevents = NULL, *newstore = NULL;
	const char *newpstore = NULL;
	struct ts_writer cwfile;
	char *daytmp = NULL;
	int store, nout;
	static struct psreg reg;
	const char *input;
	char **gfiles, **mfiles, **xfiles, **pfiles, **kfiles, meta[64];
	int ngf = 0, nmf = 0, npf = 0, nkf = 0, ch, i;
	struct ts_reader r, pr;
	struct ts_writer w;
	pthread_t wth, pth;
	struct pecjob pj;
	struct pub pd, pc, psum, pp;
	struct master *ms;
	size_t *ord, k, j, nord = 0;
	int64_t sfr = 0, samo = 0, samc = 0, srac = 0, t;
	uint64_t ncode[NCODE];

	setprogname_(argv[0]);
#ifdef M_MMAP_THRESHOLD
	/*
	 * A block of 128 KiB or more mapped on its own and given back whole
	 * when freed, the threshold fixed: glibc raises it to the size of
	 * each such block freed, and the join's arrays, made and freed
	 * master by master, then come from the heap among the
	 * beneficiaries' strings, which keep their pages (20 MiB on a day
	 * of 370 000 claims) to the end of the run.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 << 10);
#endif
	gfiles = xmalloc((size_t)argc * sizeof *gfiles);
	mfiles = xmalloc((size_t)argc * sizeof *mfiles);
	xfiles = xmalloc((size_t)argc * sizeof *xfiles);
	pfiles = xmalloc((size_t)argc * sizeof *pfiles);
	kfiles = xmalloc((size_t)argc * sizeof *kfiles);
	while ((ch = getopt(argc, argv, "C:E:J:N:P:Q:S:Va:c:d:g:k:m:o:p:r:s:x:z:")) != -1)
		switch (ch) {
		case 'C': newcons = optarg; break;
		case 'E': dayevents = optarg; break;
		case 'J': joindir = optarg; break;
		case 'r': linespath = optarg; break;
		case 'z': {
			char *e;
			long zk, zn;

			errno = 0;
			zk = strtol(optarg, &e, 10);
			if (e == optarg || *e != '/' || errno != 0)
				usage();
			zn = strtol(e + 1, &e, 10);
			if (*e != '\0' || errno != 0 || zk < 0 || zn < 1 || zk >= zn || zn > 4096)
				usage();
			myshard = (int)zk;
			nshards = (int)zn;
			break;
		}
		case 'N': newpec = optarg; break;
		case 'V': verifyall = 1; break;
		case 'P': regfile = optarg; break;
		case 'Q': newpstore = optarg; break;
		case 'S': newstore = optarg; break;
		case 'a': acts = optarg; break;
		case 'c': prevcons = optarg; break;
		case 'd': date = optarg; break;
		case 'g': gfiles[ngf++] = optarg; break;
		case 'k': kfiles[nkf++] = optarg; break;
		case 'm':
			xfiles[nmf] = NULL;
			mfiles[nmf++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'p': pfiles[npf++] = optarg; break;
		case 's': sumpath = optarg; break;
		case 'x':
			/* The index of the master named just before. */
			if (nmf == 0 || xfiles[nmf - 1] != NULL)
				usage();
			xfiles[nmf - 1] = optarg;
			break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	nout = (newcons != NULL) + (dayevents != NULL) + (newstore != NULL);
	if (date == NULL || nout != 1 || argc > 1 || (newpec != NULL && newpstore != NULL))
		usage();
	/*
	 * A new store's directory must not exist: refused now, before any
	 * output is published (its rename would fail after them).
	 */
	newdirfree(newstore);
	newdirfree(newpstore);
	/* The store written or the day's events alone: the consumption read as a store. */
	store = newcons == NULL;
	if (!store && prevcons != NULL && isdir(prevcons))
		die(EX_USAGE, "%s: a consumption store: -E or -S, not -C", prevcons);
	if (joindir != NULL) {
		if (argc != 1 || nshards || linespath || ngf || nmf || npf || nkf ||
		    (prevcons != NULL && newstore == NULL) || dayevents != NULL ||
		    regfile || newpec || newpstore || acts || verifyall)
			usage();
		if (date_parse(date, strlen(date), &today) < 0)
			die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
		free(gfiles);
		free(mfiles);
		free(xfiles);
		free(pfiles);
		free(kfiles);
		if (newstore != NULL) {
			if (prevcons != NULL)
				storeopen(prevcons, 0);
			cutoff = addmonths(today, -RETAIN);
			date_fmt(today, today_s);
		}
		return joinshards(joindir, argv[0], date, out, newcons, newstore, sumpath);
	}
	if ((nshards > 0) != (linespath != NULL) || (nshards > 0 && newstore != NULL))
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(today, today_s);
	cutoff = addmonths(today, -RETAIN);
	input = argc == 1 ? argv[0] : "-";

	/* Parameters, rights and agreements first: all of them in memory. */
	loadacts(acts);
	guarinit();
	for (i = 0; i < ngf; i++) {
		struct lqerr e;

		if (loadguar(&gset, gfiles[i], &e) < 0) {
			if (e.line < 0)
				die(e.status, "%s: %s", gfiles[i], e.msg);
			die_at(e.status, gfiles[i], e.line, e.field, "%s", e.msg);
		}
	}
	/* -V: the generation read whole and its order checked, not where it lies. */
	pset.lazy = !verifyall;
	/* A store (a directory) first: its segments are the oldest agreements. */
	for (i = 0; i < npf; i++)
		if (isdir(pfiles[i]))
			pecstore_open(&pset, pfiles[i]);
	for (i = 0; i < npf; i++)
		if (!isdir(pfiles[i]) && loadpec(&pset, &pr, pfiles[i]) < 0)
			ts_fatal(&pr);
	sortpecs(&pset);
	/* The PS register: who adheres to OPTAM (the contrat responsable). */
	if (regfile != NULL) {
		psreg_read(&reg, regfile);
		cx.reg = &reg;
	}

	if (newpec != NULL && pub_open(&pp, newpec) < 0)
		die(EX_CANTCREAT, "%s: %s", newpec, strerror(errno));
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	/*
	 * The masters opened, the indexed ones checked whole meanwhile; the
	 * claims, then the beneficiaries they name, and their families.
	 */
	ms = xmalloc((size_t)(nmf ? nmf : 1) * sizeof *ms);
	openmasters(ms, mfiles, xfiles, nmf);
	if (nshards > 0)
		routeinit(ms, nmf);
	if (ts_open(&r, input, "claim", 1) < 0)
		ts_fatal(&r);
	loadclaims(&r);
	/*
	 * The agreements still alive, the next day's PEC generation,
	 * written by a thread of their own from here, while this one fills
	 * the claims' key table alone, joins, sorts and decides: they depend
	 * on the day's PEC files and the date, not on the claims (begun
	 * after the join, the walk took the second core from the lookups
	 * ahead; before the claims, from their second reader); the lookups
	 * read the generation (mapped) beside the walk that copies it.  The
	 * one read where it lies is read whole there, or below if none is
	 * written: checked before anything is published.
	 */
	if (newpec != NULL || newpstore != NULL) {
		pj.fd = newpec != NULL ? pp.fd : -1;
		pj.path = newpec;
		pj.store = newpstore;
		pj.meta = meta;
		pj.keep = addmonths(today, -PEC_KEEP);
		if (pthread_create(&pth, NULL, pecthread, &pj) != 0)
			die(EX_OSERR, "pthread_create: %s", strerror(errno));
	}
	if (nshards > 0)
		routedone();
	for (k = 0, j = 0; k < ncl; k++)
		j += cl[k].nature != N_PAID;
	for (cx.lrefcap = 16; cx.lrefcap < 2 * j; cx.lrefcap *= 2)
		;
	cx.lrefs = xmalloc(cx.lrefcap * sizeof *cx.lrefs);
	memset(cx.lrefs, 0, cx.lrefcap * sizeof *cx.lrefs);
	claimkeys();
	for (i = 0; i < nmf; i++) {
		if (ms[i].indexed)
			indexmaster(&ms[i].r, ms[i].c, ms[i].kc, &ms[i].x);
		else
			scanmaster(&ms[i].r, ms[i].c, ms[i].kc);
	}
	checkedmasters();
	for (i = 0; i < nmf; i++) {
		if (ms[i].indexed)
			bx_close(&ms[i].x);
		ts_close(&ms[i].r);
	}
	free(ms);
	families();
	if (nkf > 0)
		loadcards(kfiles, nkf);
	cx.cards = nkf > 0;
	for (k = 0; k < ncl; k++) {
		/* The key entry of a claim ahead, anywhere in the table. */
		if (k + 8 < ncl)
			lookahead(&cl[k + 8]);
		cl[k].bi = (int32_t)lookup(&cl[k]);
		/* Where the claim was routed, its family's shard, or none's: 0. */
		if (nshards > 0 && (cl[k].bi < 0 ? 0 : famshard(bens[cl[k].bi].amc,
		    strlen(bens[cl[k].bi].amc), bens[cl[k].bi].contract,
		    strlen(bens[cl[k].bi].contract))) != myshard)
			die(EX_SOFTWARE, "claim %.*s: routed to shard %d, not its family's",
			    (int)CN(&cl[k], C_DUPID), CS(&cl[k], C_DUPID), myshard);
	}
	keysdone();
	if (prevcons != NULL && store)
		storeopen(prevcons, verifyall);
	else if (prevcons != NULL)
		consopen(prevcons);
	cx.guars = gset.g;
	cx.nguars = gset.n;
	cx.pecs = pset.p;
	cx.npecs = pset.n;
	cx.ps = &pset;
	cx.bens = bens;
	cx.cl = cl;
	cx.ncl = ncl;
	cx.today = today;
	memcpy(cx.today_s, today_s, sizeof cx.today_s);
	/*
	 * The PEC lookups made by a thread ahead (pecahead.c), from now:
	 * they need the beneficiaries, not the consumption order.
	 */
	cx.pa = pecahead_start(&cx, nbens);
	if (newstore != NULL) {
		pc.fd = tmp_open("day-consumption.tsv", &daytmp);
		newcons = daytmp;
	} else if (pub_open(&pc, store ? dayevents : newcons) < 0)
		die(EX_CANTCREAT, "%s: %s", store ? dayevents : newcons, strerror(errno));
	else if (store)
		newcons = dayevents;
	if (sumpath != NULL && pub_open(&psum, sumpath) < 0)
		die(EX_CANTCREAT, "%s: %s", sumpath, strerror(errno));
	ord = xmalloc((ncl ? ncl : 1) * sizeof *ord);
	{
		/*
		 * Sorted on (family, act date) packed in one integer, the
		 * claims' own fields read only for ties.
		 */
		struct cand *ok = xmalloc((ncl ? ncl : 1) * sizeof *ok);
		uint64_t max = 0;

		for (k = 0; k < ncl; k++) {
#ifdef __GNUC__
			/* The beneficiary of a claim ahead, anywhere in memory. */
			if (k + 8 < ncl && cl[k + 8].bi >= 0)
				__builtin_prefetch(&bens[cl[k + 8].bi].fam);
#endif
			if (cl[k].bi >= 0) {
				ok[nord].off = (uint64_t)bens[cl[k].bi].fam << 32 |
				    ((uint32_t)cl[k].date ^ 0x80000000u);
				max |= ok[nord].off;
				ok[nord].rep = 0;
				ok[nord++].ent = (uint32_t)k;
			}
		}
		rsort(ok, nord, max);
		okties(ok, nord);
		for (k = 0; k < nord; k++)
			ord[k] = ok[k].ent;
		free(ok);
	}

	if (store) {
		/*
		 * The day's events into memory: the metadata saying their
		 * latest act date goes before them.
		 */
		ts_wopen(&cwfile, pc.fd, newcons, "consumption", 1, ecols, NEC);
		ts_wmeta(&cwfile, meta);
		ts_wpart(&cw, &cwfile);
	} else {
		ts_wopen(&cw, pc.fd, newcons, "consumption", 1, ecols, NEC);
		ts_wmeta(&cw, meta);
	}

	/* Family by family, in the consumption order. */
	for (k = 0; k < nord; k = j) {
		const struct benef *b = &bens[cl[ord[k]].bi];

		if (store)
			storefamily(&cx, b->amc, b->contract);
		else {
			consupto(b->amc, b->contract);
			cx.nev = 0;
			cx.nold = 0;
			cx.evready = 1;
			consfamily();
			while (conshave && famcmp(b->amc, b->contract) == 0) {
				if (cx.nev == cx.capev) {
					cx.capev = cx.capev ? cx.capev * 2 : 64;
					cx.ev = xrealloc(cx.ev, cx.capev * sizeof *cx.ev);
				}
				consget(&cx.ev[cx.nev++]);
				consnext();
			}
		}
		/* The family's payments, then its adjustments, which may undo them. */
		for (j = k; j < nord && bens[cl[ord[j]].bi].fam == b->fam; j++) {
			ahead(ord, j, nord);
			if (cl[ord[j]].nature == N_PAID)
				decide(&cx, &cl[ord[j]]);
		}
		for (i = 0; i < (int)(j - k); i++)
			if (cl[ord[k + (size_t)i]].nature != N_PAID)
				decide(&cx, &cl[ord[k + (size_t)i]]);
		if (store) {
			wdayevents(&cx, b->amc, b->contract);
			continue;
		}
		if (cx.nev > 0)
			qsort(cx.ev, cx.nev, sizeof *cx.ev, evcmp);
		for (i = 0; i < (int)cx.nev; i++)
			wevent(b->amc, b->contract, &cx.ev[i]);
	}
	pecahead_end(cx.pa, nbens);
	cx.pa = NULL;
	if (!store)
		consupto(NULL, NULL);
	cx.nev = 0;
	cx.nold = 0;
	cx.evready = 1;
	for (k = 0; k < ncl; k++)
		if (cl[k].bi < 0)
			decide(&cx, &cl[k]);
	if (prevcons != NULL && !store)
		consclose();

	/*
	 * Decisions in the claims' order, formatted and written by a thread
	 * of their own while this one sums them, checks the sums and writes
	 * the PEC generation and the consumption; the count checked once
	 * they are written.
	 */
	wdecopen(&w, &pd, out, meta);
	if (pthread_create(&wth, NULL, wdecthread, &w) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	memset(ncode, 0, sizeof ncode);
	for (k = 0; k < ncl; k++) {
		const struct claim *c = &cl[k];

		if (money_add(&sfr, sfr, camt(c, A_FR)) < 0 ||
		    money_add(&samo, samo, camt(c, A_AMO)) < 0 ||
		    money_add(&samc, samc, c->amc) < 0 || money_add(&srac, srac, crac(c)) < 0)
			die(EX_DATAERR, "%s: control sums out of range", input);
		ncode[c->code]++;
		if (sumpath != NULL) {
#ifdef __GNUC__
			/* The amc of a claim ahead, in the claims' text. */
			if (k + 16 < ncl)
				__builtin_prefetch(CS(&cl[k + 16], C_AMC));
#endif
			sumadd(c, sumpath);
		}
	}
	t = 0;	/* set by money_add; GCC does not follow it through the inlined call */
	if (money_add(&t, samo, samc) < 0 || money_add(&t, t, srac) < 0 || t != sfr)
		die(EX_SOFTWARE, "conservation check failed: %llu claims, FR %lld, AMO + AMC + "
		    "RAC %lld", (unsigned long long)ncl, (long long)sfr, (long long)t);
	/* Never more recovered on a line than it was paid. */
	for (k = 0; k < cx.lrefcap; k++)
		if (cx.lrefs[k].p != NULL && cx.lrefs[k].net < 0)
			die(EX_SOFTWARE, "conservation check failed: line %.*s recovered beyond what "
			    "it was paid", (int)cx.lrefs[k].n, cx.lrefs[k].p);
	if (newpec != NULL || newpstore != NULL) {
		pthread_join(pth, NULL);
		/* -V: the store's segments not taken in read whole too. */
		for (i = 0; verifyall && i < pset.nseg; i++)
			pecgen_check(pset.seg[i]);
	} else
		checkgen(&pset);
	if (store) {
		if (evlast != NOSTART) {
			char m2[64], ld[DATE_BUFSZ];

			date_fmt(evlast, ld);
			snprintf(m2, sizeof m2, "last_act_date\t%s", ld);
			ts_wmeta(&cwfile, m2);
		}
		ts_wappend(&cwfile, &cw);
		ts_wclose(&cwfile);
	} else
		ts_wclose(&cw);
	/* The store made before anything is published: its merge may refuse a segment. */
	if (newstore != NULL) {
		uint64_t nday = cwfile.nrec;

		if (close(pc.fd) < 0)
			die(EX_IOERR, "%s: %s", daytmp, strerror(errno));
		writestore(newstore, &daytmp, 1, nday, &nevout);
		unlink(daytmp);
		tmp_untrack(daytmp);
		free(daytmp);
	}
	pthread_join(wth, NULL);
	if (w.nrec != ncl)
		die(EX_SOFTWARE, "conservation check failed: %llu claims, %llu decisions",
		    (unsigned long long)ncl, (unsigned long long)w.nrec);
	if (sumpath != NULL)
		wsummary(psum.fd, sumpath, w.nrec);
	ts_wclose(&w);
	ts_close(&r);		/* the claims' fields were read from it */
	if (out != NULL && pub_commit(&pd) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	if (newstore != NULL)
		storepublish(newstore);
	else if (pub_commit(&pc) < 0)
		die(EX_IOERR, "%s: %s", newcons, strerror(errno));
	if (newpec != NULL && pub_commit(&pp) < 0)
		die(EX_IOERR, "%s: %s", newpec, strerror(errno));
	if (newpstore != NULL)
		storepublish(newpstore);
	/* Sharded, the lines of the claims decided: the join needs both. */
	if (linespath != NULL)
		wlines(linespath, meta);
	/* Last: a summary is there only with what it sums. */
	if (sumpath != NULL && pub_commit(&psum) < 0)
		die(EX_IOERR, "%s: %s", sumpath, strerror(errno));
	if (out == NULL)
		fshut_stdout();
	free(ord);
	free(gfiles);
	free(mfiles);
	free(xfiles);
	free(pfiles);
	free(kfiles);
	freecards();
	if (prevcons != NULL && store)
		storeclose();
	tellday(today_s, ncl, ncode, samc, nevout);
	return 0;
}
