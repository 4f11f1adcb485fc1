/*
 * dedup: judging the day.  The reading thread (main.c) verifies the
 * claim streams and hashes the keys; a batch of claims at a time comes
 * here, to the judging thread, which finds the repeats within the day
 * while the next batch is read, and holds the batch (or spills it) until
 * the day's keys are known.  Then the day's new keys, sorted once, are
 * looked up in the history in one pass, each segment read forward once
 * and its pages given back behind the cursors: the memory follows the
 * day, not the history.  Then the claims are written, in their order,
 * with their verdicts.  A bad stream found later still publishes
 * nothing: the output is a temporary file until the end.
 *
 * Each key: a claim of the day before it has it (intra), else a claim
 * of an earlier day in the history (inter), else it is new (first).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "radix.h"

#define NBATCH 2
#define PFDIST 4		/* keys ahead, for prefetch() */
#define TABAHEAD 8		/* claims ahead, for the day's table */

const char *const vnames[] = { "first", "intra", "inter", "adjust" };

/* A key of the day: its hash, its first claim, its place in the batch. */
struct nk {
	uint64_t hi, lo;
	uint32_t rec, slot;
};

/*
 * Sort distinct keys on (hi, lo): LSD radix sort on the top 33 bits, 11 a
 * pass, skipping the passes where all agree; then the rare runs that
 * share them, by insertion.
 */
static void
nksort(struct nk *a, size_t n, struct nk *tmp)
{
	size_t i, j;
	struct nk x;

	radix_sort(a, n, sizeof *a, tmp, 31, UINT64_MAX);
	for (i = 1; i < n; i++) {
		if (a[i].hi > a[i - 1].hi ||
		    (a[i].hi == a[i - 1].hi && a[i].lo > a[i - 1].lo))
			continue;
		x = a[i];
		for (j = i; j > 0 && (a[j - 1].hi > x.hi ||
		    (a[j - 1].hi == x.hi && a[j - 1].lo > x.lo)); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

static struct batch bq[NBATCH];
static unsigned bput, bget;
static int bdone, bjudged;
static pthread_mutex_t bmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bcv = PTHREAD_COND_INITIALIZER;

/*
 * The day's keys, each with its first claim: open addressing on the low
 * bits of the hash.
 */
struct dent {
	uint64_t hi, lo;
	uint32_t rec;		/* the first claim with the key; 0: empty */
};

static struct dent *tab;
static size_t tabcap, tabn;

/*
 * n bytes of zeroes, for an array written at random: mapped apart and in
 * huge pages where the system gives them on request (madvise mode), so
 * that its first writes fault a page of 2 MiB at a time, not of 4 KiB,
 * and a random access misses the TLB less.  A refusal costs nothing but
 * the small pages.
 */
void *
bigalloc(size_t n)
{
	void *p;

	if (n == 0)
		return NULL;
	if ((p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED)
		die(EX_SOFTWARE, "out of memory");
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

void
bigfree(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, n);
}

static size_t
tabfind(uint64_t hi, uint64_t lo)
{
	size_t m = tabcap - 1, i = (size_t)lo & m;

	while (tab[i].rec != 0 && (tab[i].hi != hi || tab[i].lo != lo))
		i = (i + 1) & m;
	return i;
}

/*
 * Room for n more keys, the table at most three quarters full: grown as
 * the keys come rather than for a whole batch ahead, each table twice
 * the one before.
 */
static void
tabgrow(size_t n)
{
	struct dent *old = tab;
	size_t oc = tabcap, i, c = tabcap ? tabcap : 1 << 16;

	while (4 * (tabn + n) > 3 * c)
		c *= 2;
	if (c == oc)
		return;
	tab = bigalloc(c * sizeof *tab);
	tabcap = c;
	for (i = 0; i < oc; i++)
		if (old[i].rec != 0)
			tab[tabfind(old[i].hi, old[i].lo)] = old[i];
	bigfree(old, oc * sizeof *old);
}

/* What the judging thread writes to. */
struct ts_writer out;
int shard, nshard = 1, ncol;
uint64_t counts[4], nout;
static struct nk *nktmp;
/* The day's first-seen keys, in the order found. */
static struct nk *first;
size_t nfirst;
static size_t capfirst;

/* "#N" after the n bytes of a date in buf; the length. */
static size_t
rankat(char *buf, size_t n, uint32_t rec)
{
	char d[12];
	size_t k = 0;

	buf[n++] = '#';
	do
		d[k++] = (char)('0' + rec % 10);
	while ((rec /= 10) != 0);
	while (k > 0)
		buf[n++] = d[--k];
	return n;
}

/* A claim's identity, "date#N". */
static size_t
claimid(char *buf, int32_t day, uint32_t rec)
{
	return rankat(buf, date_fmt(day, buf), rec);
}

/* The same for a claim of today: its date formatted once. */
static size_t
claimrank(char *buf, uint32_t rec)
{
	memcpy(buf, today_s, DATE_BUFSZ - 1);
	return rankat(buf, DATE_BUFSZ - 1, rec);
}

/*
 * The identity of claim rec of today in buf, n bytes, which holds claim
 * brec's: the claims are written in order, so nearly always rec is
 * brec + 1, and its number is brec's plus one in decimal, a digit or a
 * carry, not a division a digit.
 */
static size_t
nextrank(char *buf, size_t n, uint32_t brec, uint32_t rec)
{
	size_t i;

	if (n == 0 || rec != brec + 1)
		return claimrank(buf, rec);
	for (i = n - 1; buf[i] == '9'; i--)
		buf[i] = '0';
	if (buf[i] != '#') {
		buf[i]++;
		return n;
	}
	/* 9...9 + 1: a 1 and as many zeros. */
	buf[i + 1] = '1';
	buf[n] = '0';
	return n + 1;
}

/*
 * The day's batches, claims and text, until their verdicts are known:
 * held in memory while they take at most spillmem bytes
 * ($TIERS_DEDUP_SPILLMEM, for the tests), then, from the first that
 * does not fit, in the spill, a temporary file.
 */
#define SPILLMEM ((size_t)128 << 20)
static struct batch *held;
static size_t nheld, capheld, heldbytes, spillmem = SPILLMEM;
static int spillfd = -1, spilling;
static char *spillpath;

static void
spillw(const void *p, size_t n)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = write(spillfd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", spillpath, strerror(errno));
		}
		c += k;
		n -= (size_t)k;
	}
}

static void
spillr(void *p, size_t n, off_t *at)
{
	char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = pread(spillfd, c, n, *at)) <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", spillpath, k < 0 ? strerror(errno) : "short read");
		}
		c += k;
		n -= (size_t)k;
		*at += k;
	}
}

/*
 * What the ledger said of a key of the day: the claim that asked (the
 * first of the day with the key, or an adjustment), and the record found.
 */
struct hit {
	uint32_t rec;
	int32_t day;
	uint32_t ref;
	int64_t amount;
};

static struct hit *khit, *lhit;	/* of claims' keys; of adjustments' lines */
static size_t nkhit, nlhit;
/* The adjustments' line keys, to look up (ledger). */
static struct nk *adj;
static size_t nadj, capadj;

/*
 * The adjustments' line keys, each with the first claim paid of the day
 * under it (0: none yet), filled by emit in the claims' order: the line
 * of the day an adjustment adjusts is the first paid before it with its
 * line key, which liquidate decides first.  (The day's table held every
 * paid claim's line key for them: twice its keys, for the few
 * adjustments of a day.)
 */
struct lent {
	uint64_t hi, lo;
	uint32_t rec;
	int used;
};

static struct lent *lset;
static size_t lsetcap;

/*
 * The adjustments' fingerprints (linefp), in judge's order, then a set
 * of them: a paid claim's line key is made (claimline) only when its
 * fingerprint is one of them, or either is 0 (unknown).
 */
static uint64_t *afp, *fpset;
static size_t nafp, capafp, fpcap;
static int fpall;		/* an adjustment's fingerprint unknown: every key made */

static void
fpsetmake(void)
{
	size_t i, j;

	for (fpcap = 16; fpcap < 2 * nafp; fpcap *= 2)
		;
	fpset = xmalloc(fpcap * sizeof *fpset);
	memset(fpset, 0, fpcap * sizeof *fpset);
	for (i = 0; i < nafp; i++) {
		if (afp[i] == 0)
			fpall = 1;
		for (j = (size_t)afp[i] & (fpcap - 1); fpset[j] != 0 && fpset[j] != afp[i];
		    j = (j + 1) & (fpcap - 1))
			;
		fpset[j] = afp[i];
	}
	free(afp);
	afp = NULL;
}

/* Whether a paid claim of fingerprint fp may have an adjustment's line key. */
static inline __attribute__((always_inline)) int
fpmaybe(uint64_t fp)
{
	size_t j;

	if (fp == 0 || fpall)
		return 1;
	for (j = (size_t)fp & (fpcap - 1); fpset[j] != 0; j = (j + 1) & (fpcap - 1))
		if (fpset[j] == fp)
			return 1;
	return 0;
}

static struct lent *
lsetslot(uint64_t hi, uint64_t lo)
{
	size_t m = lsetcap - 1, i = (size_t)lo & m;

	while (lset[i].used && (lset[i].hi != hi || lset[i].lo != lo))
		i = (i + 1) & m;
	return &lset[i];
}

static void
lsetmake(const struct nk *a, size_t n)
{
	struct lent *l;
	size_t i;

	for (lsetcap = 16; lsetcap < 2 * n; lsetcap *= 2)
		;
	lset = xmalloc(lsetcap * sizeof *lset);
	memset(lset, 0, lsetcap * sizeof *lset);
	for (i = 0; i < n; i++) {
		l = lsetslot(a[i].hi, a[i].lo);
		l->hi = a[i].hi;
		l->lo = a[i].lo;
		l->used = 1;
	}
}

/* Claim rec, in the claims' order: of a line of the day before it. */
static inline __attribute__((always_inline)) void
lineof(struct item *x, uint32_t rec)
{
	struct lent *l;
	uint64_t hi, lo;

	if (x->verdict == V_FIRST || x->verdict == V_INTRA) {
		hi = x->lhi;
		lo = x->llo;
		if (x->mapped) {
			/* Its fingerprint: its line key made if it may be one. */
			if (!fpmaybe(hi))
				return;
			claimline(x, rec, &hi, &lo);
		}
		l = lsetslot(hi, lo);
		if (l->used && l->rec == 0)
			l->rec = rec;
	} else if (x->verdict == V_ADJUST) {
		l = lsetslot(x->lhi, x->llo);
		if (l->rec != 0) {
			x->refday = today;
			x->refrec = l->rec;
			x->hasref = 1;
		}
	}
}

static int
hitcmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/*
 * The hit of claim rec, or NULL, the claims asked for in increasing
 * order: from *at on, *at moved to it.
 */
static const struct hit *
hitnext(const struct hit *h, size_t n, size_t *at, uint32_t rec)
{
	size_t a = *at;

	while (a < n && h[a].rec < rec)
		a++;
	*at = a;
	return a < n && h[a].rec == rec ? &h[a] : NULL;
}

/* The hit of claim rec, or NULL. */
static const struct hit *
hitof(const struct hit *h, size_t n, uint32_t rec)
{
	size_t a = 0, b = n, m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (h[m].rec < rec)
			a = m + 1;
		else
			b = m;
	}
	return a < n && h[a].rec == rec ? &h[a] : NULL;
}

/* Copied into twice the room, in huge pages (bigalloc). */
static void
nkgrow(struct nk **v, size_t n, size_t *cap)
{
	struct nk *w = bigalloc((*cap ? *cap * 2 : 1 << 16) * sizeof *w);

	if (n > 0)
		memcpy(w, *v, n * sizeof *w);
	bigfree(*v, *cap * sizeof **v);
	*v = w;
	*cap = *cap ? *cap * 2 : 1 << 16;
}

/* Inlined: a call a new key of the day cost as much as the rest. */
static inline __attribute__((always_inline)) void
pushnk(struct nk **v, size_t *n, size_t *cap, uint64_t hi, uint64_t lo, uint32_t rec)
{
	if (*n == *cap)
		nkgrow(v, *n, cap);
	(*v)[*n].hi = hi;
	(*v)[*n].lo = lo;
	(*v)[*n].rec = rec;
	(*v)[(*n)++].slot = 0;
}

/*
 * A batch, first half: each key, a claim of the day before it has it, or
 * it is new and joins the day's keys to look up (an adjustment's line
 * key joins the lines to look up); then the batch is held, or goes to
 * the spill, to be written when the day's keys are looked up.
 */
static void
judge(struct batch *b)
{
	struct item *x;
	struct dent *e;
	size_t i, bytes;

	for (i = 0; i < b->n; i++) {
		if (4 * (tabn + 1) > 3 * tabcap)
			tabgrow(1);
#ifdef __GNUC__
		/*
		 * The slot of a claim a few places ahead asked for now: the
		 * table is larger than the caches, a key a miss.
		 */
		if (i + TABAHEAD < b->n && b->it[i + TABAHEAD].verdict == V_FIRST)
			__builtin_prefetch(&tab[(size_t)b->it[i + TABAHEAD].lo & (tabcap - 1)]);
#endif
		x = &b->it[i];
		x->hasref = x->haspaid = 0;
		if (hist.ledger && x->verdict == V_ADJUST) {
			/*
			 * Its line key, to look up in the ledger, and in the
			 * claims of the day before it (emit, lineof).
			 */
			pushnk(&adj, &nadj, &capadj, x->lhi, x->llo, b->rec0 + (uint32_t)i);
			if (nafp == capafp) {
				capafp = capafp ? 2 * capafp : 1024;
				afp = xrealloc(afp, capafp * sizeof *afp);
			}
			afp[nafp++] = x->hi;
			continue;
		}
		if (x->verdict == V_ADJUST || x->verdict == V_OTHER)
			continue;
		e = &tab[tabfind(x->hi, x->lo)];
		if (e->rec != 0) {
			/* The claim it repeats was judged first. */
			x->verdict = V_INTRA;
			x->refday = today;
			x->refrec = e->rec;
			continue;
		}
		e->hi = x->hi;
		e->lo = x->lo;
		e->rec = b->rec0 + (uint32_t)i;
		tabn++;
		pushnk(&first, &nfirst, &capfirst, x->hi, x->lo, e->rec);
	}
	bytes = b->n * sizeof *b->it + b->tlen;
	if (!spilling && heldbytes + bytes <= spillmem) {
		/* Held as it is; the reading thread gets new buffers. */
		if (nheld == capheld) {
			capheld = capheld ? capheld * 2 : 16;
			held = xrealloc(held, capheld * sizeof *held);
		}
		held[nheld++] = *b;
		heldbytes += bytes;
		b->it = NULL;
		b->text = NULL;
		return;
	}
	if (!spilling) {
		/* Unlinked at once: gone at exit, whatever the exit. */
		spillfd = tmp_open("claims.spill", &spillpath);
		if (unlink(spillpath) < 0)
			die(EX_CANTCREAT, "%s: %s", spillpath, strerror(errno));
		tmp_untrack(spillpath);
		spilling = 1;
	}
	spillw(&b->n, sizeof b->n);
	spillw(&b->tlen, sizeof b->tlen);
	spillw(&b->rec0, sizeof b->rec0);
	spillw(b->it, b->n * sizeof *b->it);
	spillw(b->text, b->tlen);
}

/*
 * Records a cursor goes past before the pages behind it are given back;
 * records before those given back the last time given back again.
 */
#define RELREC ((size_t)(1 << 20) / hist.rsz)
#define BACK ((size_t)(4 << 20) / hist.rsz)

/*
 * A part of the day's keys, sorted, looked up in the ledger in one pass:
 * a cursor in each segment gallops forward, so each page of the
 * segments is read once, and the pages behind it are given back as it
 * goes, a MiB at a time, and 4 MiB before them again: a fault maps more
 * than the page faulted (fault-around, a large folio of the page cache,
 * at most 2 MiB), behind the cursor too.  (From where it started each
 * time, madvise would walk page tables it emptied already: quadratic.)
 * The process holds a few MiB a segment, whatever the ledger's size.
 * The keys found make hits; with keep, the others stay in q, in order, n
 * their count.
 */
struct pass {
	struct nk *q;
	size_t n;
	int kind, keep;
	struct hit *h;
	size_t nh, caph;
	size_t *cursor;
};

/*
 * The cursors started at (hi, lo); their pages given back as they go,
 * and the filters' (frel: the block they are given back to).
 */
static void
cursors(size_t *cursor, size_t *rel, size_t *start, uint64_t *frel, uint64_t hi, uint64_t lo)
{
	int s;

	for (s = 0; s < hist.nseg; s++) {
		cursor[s] = rel[s] = start[s] = seek(&hist.seg[s], hi, lo);
		frel[s] = hist.seg[s].flt != NULL ? fltblock(hi, hist.seg[s].fnb) : 0;
	}
}

static void
behind(const size_t *cursor, size_t *rel, const size_t *start, uint64_t *frel, uint64_t hi)
{
	size_t back = BACK;
	int s;

	for (s = 0; s < hist.nseg; s++) {
		fltrelease(&hist.seg[s], hi, &frel[s]);
		if (cursor[s] - rel[s] >= RELREC) {
			segrelease(&hist.seg[s], rel[s] - start[s] > back ?
			    rel[s] - back : start[s], cursor[s]);
			rel[s] = cursor[s];
		}
	}
}

/*
 * Ask for the lines where key (hi, lo) will be looked for, a few keys
 * ahead: in the segments whose filter may hold it.  Always inlined: GCC
 * takes a function that only prefetches for one without effect, and
 * drops its calls (none was left in judging, objdump showed).
 */
static inline __attribute__((always_inline)) uint64_t
ahead(const size_t *cursor, uint64_t hi, uint64_t lo)
{
	uint64_t may = MAYSET;
	int s;

	for (s = 0; s < hist.nseg; s++)
		if (hist.seg[s].last >= hist.cutoff && fltmaybe(&hist.seg[s], hi, lo)) {
			prefetch(&hist.seg[s], cursor[s], hi);
			if (s < MAYSEG)
				may |= (uint64_t)1 << s;
		}
	return may;
}

/* A line found, by its identity's hash, for the pass of the movements. */
struct mv {
	uint64_t hi, lo;
	size_t c;
};

/*
 * What the n lines of a ledger in c were paid net, their movements added
 * to their amounts: a second pass, the lines sorted on the hash of their
 * identities, the cursors galloping forward as in the first.  (A seek of
 * each line in each segment faulted its pages in at random, and giving
 * them back after each cost a madvise and a TLB shootdown a line and a
 * segment: 13 seconds, 11 of the system, the day every claim repeated one
 * of the day before.)
 */
static void
moves(struct key *c, size_t n, size_t *cursor, size_t *rel, size_t *start, uint64_t *frel)
{
	struct mv *m, *tmp, x;
	struct herr he;
	size_t i, j;

	if (n == 0)
		return;
	m = xmalloc(n * sizeof *m);
	tmp = xmalloc(n * sizeof *tmp);
	for (i = 0; i < n; i++) {
		idhash(c[i].day, c[i].rec, &m[i].hi, &m[i].lo);
		m[i].c = i;
	}
	radix_sort(m, n, sizeof *m, tmp, 31, UINT64_MAX);
	free(tmp);
	for (i = 1; i < n; i++) {
		if (m[i].hi > m[i - 1].hi || (m[i].hi == m[i - 1].hi && m[i].lo >= m[i - 1].lo))
			continue;
		x = m[i];
		for (j = i; j > 0 && (m[j - 1].hi > x.hi ||
		    (m[j - 1].hi == x.hi && m[j - 1].lo > x.lo)); j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
	cursors(cursor, rel, start, frel, m[0].hi, m[0].lo);
	for (i = 0; i < n; i++) {
		if (i + PFDIST < n)
			ahead(cursor, m[i + PFDIST].hi, m[i + PFDIST].lo);
		if (netpaid(&hist, m[i].hi, m[i].lo, c[m[i].c].day, c[m[i].c].rec,
		    &c[m[i].c].amount, cursor, &he) < 0)
			hfatal(&he);
		behind(cursor, rel, start, frel, m[i].hi);
	}
	free(m);
}

static void *
pass(void *arg)
{
	struct pass *p = arg;
	struct key *c = NULL, k;
	uint32_t *cq = NULL;
	uint64_t *frel, may[PFDIST], m;
	size_t *rel, *start, i, j = 0, nc = 0, capc = 0, capq = 0, at, from;

	rel = xmalloc((size_t)hist.nseg * sizeof *rel);
	start = xmalloc((size_t)hist.nseg * sizeof *start);
	frel = xmalloc((size_t)hist.nseg * sizeof *frel);
	if (p->n > 0)
		cursors(p->cursor, rel, start, frel, p->q[0].hi, p->q[0].lo);
	/*
	 * The records of each key, then (a ledger) their nets, then the
	 * verdicts.  The segments whose filters may hold a key, found when
	 * its lines are asked for (ahead), PFDIST keys before: its filters
	 * probed once.
	 */
	for (i = 0; i < p->n; i++) {
		/* The first PFDIST keys were not asked for: 0, gathermay probes. */
		m = i < PFDIST ? 0 : may[i % PFDIST];
		if (i + PFDIST < p->n)
			may[i % PFDIST] = ahead(p->cursor, p->q[i + PFDIST].hi, p->q[i + PFDIST].lo);
		from = nc;
		if (gathermay(&hist, p->q[i].hi, p->q[i].lo, p->kind, p->cursor, m,
		    &c, &nc, &capc) > 0) {
			if (capq < capc) {
				capq = capc;
				cq = xrealloc(cq, capq * sizeof *cq);
			}
			while (from < nc)
				cq[from++] = (uint32_t)i;
		}
		/*
		 * Every 16 keys: the pages go a MiB at a time, and the cursors
		 * move a few records a key (not a loop over the segments and
		 * their filters a key).
		 */
		if ((i & 15) == 15)
			behind(p->cursor, rel, start, frel, p->q[i].hi);
	}
	if (hist.ledger)
		moves(c, nc, p->cursor, rel, start, frel);
	for (i = 0, at = 0; i < p->n; i++) {
		for (from = at; at < nc && cq[at] == i; at++)
			;
		/* No record of any key gathered: c is NULL, which takes no offset. */
		if (weigh(&hist, at > from ? c + from : NULL, at - from, p->kind, &k)) {
			if (p->nh == p->caph) {
				p->caph = p->caph ? p->caph * 2 : 1024;
				p->h = xrealloc(p->h, p->caph * sizeof *p->h);
			}
			p->h[p->nh].rec = p->q[i].rec;
			p->h[p->nh].day = k.day;
			p->h[p->nh].ref = k.rec;
			p->h[p->nh++].amount = k.amount;
		} else if (p->keep)
			p->q[j++] = p->q[i];
	}
	free(c);
	free(cq);
	free(rel);
	free(start);
	free(frel);
	if (p->keep)
		p->n = j;
	return NULL;
}

/*
 * The day's keys q, n of them sorted, looked up: in two halves, one in a
 * thread of its own, when there are many (the reading thread is done:
 * the pass takes both cores, as the reading and the judging did).  The
 * hits in *hv, in claim order; with keep, the keys not found in q.
 */
#define PASSPAR 65536

static void
passday(struct nk *q, size_t *n, int kind, struct hit **hv, size_t *nh, int keep)
{
	struct pass p[2];
	pthread_t th;
	size_t h;
	int np = *n >= PASSPAR ? 2 : 1, i, s;

	if (hist.nseg == 0 || *n == 0)
		return;
	memset(p, 0, sizeof p);
	for (i = 0; i < np; i++) {
		p[i].q = q + (i == 0 ? 0 : *n / 2);
		p[i].n = np == 1 ? *n : i == 0 ? *n / 2 : *n - *n / 2;
		p[i].kind = kind;
		p[i].keep = keep;
		p[i].cursor = xmalloc((size_t)hist.nseg * sizeof *p[i].cursor);
	}
	if (np == 2 && pthread_create(&th, NULL, pass, &p[1]) != 0)
		die(EX_OSERR, "pthread_create failed");
	pass(&p[0]);
	if (np == 2)
		pthread_join(th, NULL);
	for (s = 0; s < hist.nseg; s++) {
		uint64_t fr = 0;

		segrelease(&hist.seg[s], 0, hist.seg[s].n);
		fltrelease(&hist.seg[s], UINT64_MAX, &fr);
	}
	*hv = xmalloc((p[0].nh + p[1].nh + 1) * sizeof **hv);
	*nh = 0;
	for (i = 0; i < np; i++) {
		if (p[i].nh > 0)	/* p[i].h is NULL when the half found nothing */
			memcpy(*hv + *nh, p[i].h, p[i].nh * sizeof **hv);
		*nh += p[i].nh;
		free(p[i].h);
		free(p[i].cursor);
	}
	qsort(*hv, *nh, sizeof **hv, hitcmp);
	if (keep) {
		h = p[0].n;
		if (np == 2 && p[1].n > 0)
			memmove(q + h, p[1].q, p[1].n * sizeof *q);
		*n = h + (np == 2 ? p[1].n : 0);
	}
}

/*
 * For the tests ($TIERS_DEDUP_CHECK): each claim's verdict given again by
 * a seek of its own in each segment, as it was before the day's keys
 * were looked up in one pass; a verdict that differs is a bug.
 */
static int check;

static void
recheck(const struct item *x0, const struct item *x, uint32_t rec)
{
	struct item y = *x0;
	struct key k;
	struct herr he;
	int l;

	/* What judge() did, batch by batch, before. */
	if (y.verdict == V_FIRST || y.verdict == V_INTRA) {
		if ((l = lookup(&hist, y.hi, y.lo, &k, NULL, &he)) < 0)
			hfatal(&he);
		if (l) {
			y.verdict = V_INTER;
			y.refday = k.day;
			y.refrec = k.rec;
		}
	}
	if (hist.ledger && y.verdict == V_ADJUST) {
		if ((l = lookupk(&hist, y.lhi, y.llo, LK_LINE, &k, NULL, &he)) < 0)
			hfatal(&he);
		if (l && (k.amount > 0 || !y.hasref)) {
			y.refday = k.day;
			y.refrec = k.rec;
			y.hasref = 1;
			y.paid = k.amount;
			y.haspaid = 1;
		}
	}
	if (y.verdict != x->verdict || y.hasref != x->hasref || y.haspaid != x->haspaid ||
	    ((y.verdict == V_INTRA || y.verdict == V_INTER || y.hasref) &&
	    (y.refday != x->refday || y.refrec != x->refrec)) ||
	    (y.haspaid && y.paid != x->paid))
		die(EX_SOFTWARE, "claim %u: the pass and a seek disagree", (unsigned)rec);
}

/*
 * Claims from to to of a batch, held or back from the spill, their verdicts given
 * and written to w, counted in cnt (by verdict) and nw.
 */
struct emit {
	struct batch *b;
	size_t from, to;
	struct ts_writer *w;
	uint64_t cnt[4], nw;
	size_t kat, lat;	/* hitnext's places in khit and lhit */
	char id[32];		/* the identity of claim idrec, idn bytes */
	size_t idn;
	uint32_t idrec;
	char *rec;		/* a record written: EMITREC bytes */
	int lineof;		/* lineof() a claim here (not done before) */
	int chunk;		/* stop before w's buffer grows (from: where) */
};

/* A claim's line, its TABs, the verdict, two identities and an amount. */
#define EMITREC (LINE_MAX_ + 4 + 8 + 2 * 32 + MONEY_BUFSZ)

/* The verdicts' lengths, and their names padded to a word (judgeinit). */
static size_t vlen[4];
static char vpad[4][8];

static void *
emit(void *arg)
{
	struct emit *e = arg;
	struct batch *b = e->b;
	const struct hit *h;
	struct item *x, x0;
	size_t i;
	int64_t sum;
	char ref[32], *q;

	for (i = e->from; i < e->to; i++) {
		uint32_t rec = b->rec0 + (uint32_t)i;
		size_t nref = 0;

		x = &b->it[i];
		if (e->lineof)
			lineof(x, rec);
		x0 = *x;
		/*
		 * First of the day with its key, or a repeat of one: a repeat
		 * of a claim paid on an earlier day if that one was (the same
		 * key, the same answer), else of it.
		 */
		h = NULL;
		if (x->verdict == V_FIRST)
			h = hitnext(khit, nkhit, &e->kat, rec);
		else if (x->verdict == V_INTRA)
			h = hitof(khit, nkhit, x->refrec);
		if (h != NULL) {
			x->verdict = V_INTER;
			x->refday = h->day;
			x->refrec = h->ref;
		}
		/*
		 * An adjustment: of the line of an earlier day still paid, else
		 * of the day's, else of an earlier day's paid no more.
		 */
		if (hist.ledger && x->verdict == V_ADJUST &&
		    (h = hitnext(lhit, nlhit, &e->lat, rec)) != NULL &&
		    (h->amount > 0 || !x->hasref)) {
			x->refday = h->day;
			x->refrec = h->ref;
			x->hasref = 1;
			x->paid = h->amount;
			x->haspaid = 1;
		}
		if (check)
			recheck(&x0, x, rec);
		if (x->verdict == V_INTRA || x->verdict == V_INTER || x->hasref)
			nref = claimid(ref, x->refday, x->refrec);
		if (nshard > 1) {
			if (x->verdict > V_INTER)
				continue;
			ts_wint(e->w, rec);
			ts_wcstr(e->w, vnames[x->verdict]);
			ts_wstr(e->w, ref, nref);
			ts_wend(e->w);
			e->nw++;
			continue;
		}
		/*
		 * The claim's line and its four columns built here and handed
		 * to the writer once, as ts_wchecked and ts_wmoney would have
		 * put them: the verdict and the identities are bytes of this
		 * file, digits, '-' and '#', the amount paid money_fmt's text;
		 * the record's sum is the claim's and the amount paid.
		 */
		e->idn = nextrank(e->id, e->idn, e->idrec, rec);
		e->idrec = rec;
		memcpy(e->rec, x->mapped ? (const char *)x->at : b->text + x->at, x->len);
		q = e->rec + x->len;
		*q++ = '\t';
		/* Whole words (the record has room), not a call a field. */
		memcpy(q, vpad[x->verdict], sizeof vpad[0]);
		q += vlen[x->verdict];
		*q++ = '\t';
		memcpy(q, e->id, sizeof e->id);
		q += e->idn;
		*q++ = '\t';
		if (nref > 0) {
			memcpy(q, ref, sizeof ref);
			q += nref;
		}
		*q++ = '\t';
		sum = x->recsum;
		if (x->haspaid) {
			q += money_fmt(x->paid, q);
			if (__builtin_add_overflow(sum, x->paid, &sum))
				die(EX_DATAERR, "%s: record sum out of range", e->w->name);
		}
		ts_wfields(e->w, e->rec, (size_t)(q - e->rec), e->w->ncol, sum);
		ts_wend(e->w);
		e->cnt[x->verdict]++;
		e->nw++;
		if (e->chunk && e->w->len + EMITREC > e->w->cap) {
			e->from = i + 1;
			return NULL;
		}
	}
	e->from = e->to;
	return NULL;
}

/* The pages of the batch's mapped lines, written, given back. */
static void
written(const struct batch *b)
{
	size_t i;

	for (i = b->n; i > 0; i--)
		if (b->it[i - 1].mapped) {
			claimsrelease((const char *)b->it[i - 1].at + b->it[i - 1].len);
			return;
		}
}

/*
 * The held batches written by two threads: the odd ones' records by a
 * thread of its own into parts in memory (ts_wpart), appended to the
 * output in their turn (ts_wappend: the same bytes, counted, summed and
 * in the CRC as if written there), while this one writes the even ones.
 * A part is closed before a record could make its buffer grow (a
 * realloc, its bytes copied), and a batch's parts are handed over at
 * once, when the batch is done: a few waits a day, not one a part (each
 * a wake-up, which a loaded machine delays).  What a claim's verdict
 * depends on in the claims before it (an adjustment's line of the day,
 * lineof) is found first, in order.
 */
struct part {
	struct ts_writer w;
	struct part *next;
};

static struct {
	struct part **parts;		/* of each odd batch */
	size_t done;			/* odd batches made: 1, 3, ... done - 1 */
	size_t at;			/* the batch this thread writes or appends */
	struct emit e;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} ep = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *
emitodd(void *arg)
{
	struct part *p, *l, **last;
	size_t k;

	(void)arg;
	for (k = 1; k < nheld; k += 2) {
		/* One batch ahead at most: two batches' records in memory. */
		pthread_mutex_lock(&ep.mu);
		while (ep.at + 1 < k)
			pthread_cond_wait(&ep.cv, &ep.mu);
		pthread_mutex_unlock(&ep.mu);
		ep.e.b = &held[k];
		ep.e.from = 0;
		ep.e.to = held[k].n;
		l = NULL;
		last = &l;
		do {
			p = xmalloc(sizeof *p);
			ts_wpart(&p->w, &out);
			p->next = NULL;
			ep.e.w = &p->w;
			emit(&ep.e);
			*last = p;
			last = &p->next;
		} while (ep.e.from < ep.e.to);
		pthread_mutex_lock(&ep.mu);
		ep.parts[k] = l;
		ep.done = k + 1;
		pthread_cond_broadcast(&ep.cv);
		pthread_mutex_unlock(&ep.mu);
	}
	return NULL;
}

/* The parts of odd batch k appended to the output. */
static void
appendodd(size_t k)
{
	struct part *p;

	pthread_mutex_lock(&ep.mu);
	while (ep.done <= k)
		pthread_cond_wait(&ep.cv, &ep.mu);
	p = ep.parts[k];
	pthread_mutex_unlock(&ep.mu);
	while (p != NULL) {
		struct part *q = p->next;

		ts_wappend(&out, &p->w);
		free(p);
		p = q;
	}
}

/*
 * The day, second half: its keys looked up in one pass, then each batch
 * back, in the claims' order, its verdicts given and written.
 */
static void
judgeday(void)
{
	struct batch *b = &bq[0];
	struct emit e;
	off_t at = 0, end;
	pthread_t th;
	size_t k, i;
	int j, par;

	/* The table and the second batch are done with: memory for the pass. */
	bigfree(tab, tabcap * sizeof *tab);
	tab = NULL;
	tabcap = 0;
	for (j = 1; j < NBATCH; j++) {
		free(bq[j].it);
		free(bq[j].text);
		bq[j].it = NULL;
		bq[j].text = NULL;
	}
	k = nfirst > nadj ? nfirst : nadj ? nadj : 1;
	nktmp = bigalloc(k * sizeof *nktmp);
	nksort(first, nfirst, nktmp);
	nksort(adj, nadj, nktmp);
	bigfree(nktmp, k * sizeof *nktmp);
	nktmp = NULL;
	if (hist.ledger && nadj > 0) {
		lsetmake(adj, nadj);
		fpsetmake();
	}
	passday(first, &nfirst, LK_KEY, &khit, &nkhit, 1);
	passday(adj, &nadj, LK_LINE, &lhit, &nlhit, 0);
	bigfree(adj, capadj * sizeof *adj);
	adj = NULL;

	memset(&e, 0, sizeof e);
	e.w = &out;
	e.rec = xmalloc(EMITREC);
	if (lset != NULL)
		for (k = 0; k < nheld; k++)
			for (i = 0; i < held[k].n; i++)
				lineof(&held[k].it[i], held[k].rec0 + (uint32_t)i);
	par = nheld >= 2;
	if (par) {
		memset(&ep.e, 0, sizeof ep.e);
		ep.e.rec = xmalloc(EMITREC);
		ep.e.chunk = 1;
		ep.parts = xmalloc(nheld * sizeof *ep.parts);
		ep.done = 0;
		ep.at = 0;
		if (pthread_create(&th, NULL, emitodd, NULL) != 0)
			die(EX_OSERR, "pthread_create failed");
	}
	for (k = 0; k < nheld; k++) {
		e.b = &held[k];
		if (par && k % 2 == 0 && k > 0) {
			pthread_mutex_lock(&ep.mu);
			ep.at = k;
			pthread_cond_broadcast(&ep.cv);
			pthread_mutex_unlock(&ep.mu);
		}
		if (par && k % 2 == 1)
			appendodd(k);
		else {
			e.from = 0;
			e.to = held[k].n;
			emit(&e);
		}
		written(e.b);
		writeback(out.fd);
		free(held[k].it);
		free(held[k].text);
	}
	if (par) {
		pthread_join(th, NULL);
		for (j = 0; j < 4; j++)
			counts[j] += ep.e.cnt[j];
		nout += ep.e.nw;
		free(ep.e.rec);
		free(ep.parts);
	}
	free(held);
	held = NULL;
	/* The spill's batches one by one, their lines of the day found as they go. */
	e.lineof = lset != NULL;
	if (spilling) {
		if ((end = lseek(spillfd, 0, SEEK_CUR)) < 0)
			die(EX_IOERR, "%s: %s", spillpath, strerror(errno));
		if (b->it == NULL) {
			b->it = xmalloc(BATCH * sizeof *b->it);
			b->text = xmalloc(BATCHTEXT);
		}
		while (at < end) {
			spillr(&b->n, sizeof b->n, &at);
			spillr(&b->tlen, sizeof b->tlen, &at);
			spillr(&b->rec0, sizeof b->rec0, &at);
			spillr(b->it, b->n * sizeof *b->it, &at);
			spillr(b->text, b->tlen, &at);
			e.b = b;
			e.from = 0;
			e.to = b->n;
			emit(&e);
			written(e.b);
			writeback(out.fd);
		}
		close(spillfd);
		spillfd = -1;
	}
	free(e.rec);
	for (j = 0; j < 4; j++)
		counts[j] += e.cnt[j];
	nout += e.nw;
	free(khit);
	free(lhit);
	khit = lhit = NULL;
	free(lset);
	lset = NULL;
	free(fpset);
	fpset = NULL;
	free(afp);
	afp = NULL;
}

/* The memory of the judging, before the thread starts. */
void
judgeinit(void)
{
	const char *e;
	int i;

	for (i = 0; i < 4; i++) {
		vlen[i] = strlen(vnames[i]);
		if (vlen[i] > sizeof vpad[i])
			die(EX_SOFTWARE, "verdict name too long");
		memcpy(vpad[i], vnames[i], vlen[i]);
	}
	check = (e = getenv("TIERS_DEDUP_CHECK")) != NULL && *e != '\0';
	if ((e = getenv("TIERS_DEDUP_SPILLMEM")) != NULL && *e != '\0')
		spillmem = (size_t)numarg(e, 0, 1LL << 40, "TIERS_DEDUP_SPILLMEM");
}

void *
judging(void *arg)
{
	struct batch *b;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&bmu);
		b = &bq[bget % NBATCH];
		while (!b->full && !bdone)
			pthread_cond_wait(&bcv, &bmu);
		pthread_mutex_unlock(&bmu);
		if (!b->full)
			break;
		judge(b);
		pthread_mutex_lock(&bmu);
		b->full = 0;
		bget++;
		pthread_cond_broadcast(&bcv);
		pthread_mutex_unlock(&bmu);
	}
	judgeday();
	pthread_mutex_lock(&bmu);
	bjudged = 1;
	pthread_cond_broadcast(&bcv);
	pthread_mutex_unlock(&bmu);
	/* The output complete, synced while the history is written. */
	ts_wclose(&out);
	if (fsync(out.fd) < 0)
		die(EX_IOERR, "%s: %s", out.name, strerror(errno));
	return NULL;
}

/* The next batch to fill, when the judging thread is done with it. */
struct batch *
getbatch(void)
{
	struct batch *b;

	pthread_mutex_lock(&bmu);
	b = &bq[bput % NBATCH];
	while (b->full)
		pthread_cond_wait(&bcv, &bmu);
	pthread_mutex_unlock(&bmu);
	if (b->it == NULL) {
		b->it = xmalloc(BATCH * sizeof *b->it);
		b->text = xmalloc(BATCHTEXT);
	}
	b->n = 0;
	b->tlen = 0;
	return b;
}

void
putbatch(struct batch *b, int last)
{
	pthread_mutex_lock(&bmu);
	if (b != NULL) {
		b->full = 1;
		bput++;
	}
	bdone = last;
	pthread_cond_broadcast(&bcv);
	pthread_mutex_unlock(&bmu);
}

/* Wait until every batch is judged (the output is then being closed). */
void
judged(void)
{
	pthread_mutex_lock(&bmu);
	while (!bjudged)
		pthread_cond_wait(&bcv, &bmu);
	pthread_mutex_unlock(&bmu);
}

/* The judging's memory given back; the day's first-seen keys are in key order. */
void
judgedone(void)
{
	int i;

	for (i = 0; i < NBATCH; i++) {
		free(bq[i].it);
		free(bq[i].text);
	}
	bigfree(tab, tabcap * sizeof *tab);
	tab = NULL;
	free(spillpath);
}

/* The day's first-seen keys of a history. */
void
getfirst(size_t j, struct key *k)
{
	memset(k, 0, sizeof *k);
	k->hi = first[j].hi;
	k->lo = first[j].lo;
	k->day = today;
	k->rec = first[j].rec;
}

void
freefirst(void)
{
	bigfree(first, capfirst * sizeof *first);
}
