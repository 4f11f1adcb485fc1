/*
 * dedup: judging the day, batch by batch.  The reading thread (main.c)
 * verifies the claim streams and hashes the keys; a batch of claims at
 * a time comes here, to the judging thread, which gives the verdicts
 * and writes the output while the next batch is read: the claims are
 * read once, and the output is written as they are.  A bad stream found
 * later still publishes nothing: the output is a temporary file until
 * the end.
 *
 * Each key: a claim of the day before it has it (intra), else a claim
 * of an earlier day in the history (inter), else it is new (first).  The
 * day's keys are held in a table; a batch's new keys are sorted and
 * looked up in the history in that order, so that a cursor gallops
 * forward through each segment.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedup.h"
#include "radix.h"

#define NBATCH 2
#define PFDIST 4		/* keys ahead, for prefetch() */

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

static size_t
tabfind(uint64_t hi, uint64_t lo)
{
	size_t m = tabcap - 1, i = (size_t)lo & m;

	while (tab[i].rec != 0 && (tab[i].hi != hi || tab[i].lo != lo))
		i = (i + 1) & m;
	return i;
}

/* Room for n more keys, the table at most three quarters full. */
static void
tabgrow(size_t n)
{
	struct dent *old = tab;
	size_t oc = tabcap, i, c = tabcap ? tabcap : 1 << 16;

	while (4 * (tabn + n) > 3 * c)
		c *= 2;
	if (c == oc)
		return;
	tab = xmalloc(c * sizeof *tab);
	memset(tab, 0, c * sizeof *tab);
	tabcap = c;
	for (i = 0; i < oc; i++)
		if (old[i].rec != 0)
			tab[tabfind(old[i].hi, old[i].lo)] = old[i];
	free(old);
}

/* What the judging thread writes to. */
struct ts_writer out;
int shard, nshard = 1, ncol;
uint64_t counts[4], nout;
static struct nk *nkb, *nktmp;
static size_t *cursor;
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

static void
judge(struct batch *b)
{
	struct item *x;
	struct dent *e;
	struct key k;
	struct herr he;
	size_t i, nn = 0;
	char id[32], ref[32];
	int s, l;

	/* Each key: a claim of the day before it has it, or it is new. */
	tabgrow(hist.ledger ? 2 * b->n : b->n);
	for (i = 0; i < b->n; i++) {
		x = &b->it[i];
		x->hasref = x->haspaid = 0;
		if (hist.ledger && x->verdict == V_ADJUST) {
			/* A line of the day before it, which liquidate decides first. */
			e = &tab[tabfind(x->lhi, x->llo)];
			if (e->rec != 0) {
				x->refday = today;
				x->refrec = e->rec;
				x->hasref = 1;
			}
			continue;
		}
		if (x->verdict == V_ADJUST || x->verdict == V_OTHER)
			continue;
		if (hist.ledger) {
			e = &tab[tabfind(x->lhi, x->llo)];
			if (e->rec == 0) {
				e->hi = x->lhi;
				e->lo = x->llo;
				e->rec = b->rec0 + (uint32_t)i;
				tabn++;
			}
		}
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
		nkb[nn].hi = x->hi;
		nkb[nn].lo = x->lo;
		nkb[nn].rec = e->rec;
		nkb[nn++].slot = (uint32_t)i;
	}
	/* The new keys in the history: in key order, the segments in order. */
	nksort(nkb, nn, nktmp);
	for (s = 0; s < hist.nseg; s++)
		cursor[s] = 0;
	if (nfirst + nn > capfirst) {
		capfirst = capfirst ? capfirst : 1 << 16;
		while (nfirst + nn > capfirst)
			capfirst *= 2;
		first = xrealloc(first, capfirst * sizeof *first);
	}
	for (i = 0; i < nn; i++) {
		if (i + PFDIST < nn)
			for (s = 0; s < hist.nseg; s++)
				if (hist.seg[s].last >= hist.cutoff)
					prefetch(&hist.seg[s], cursor[s], nkb[i + PFDIST].hi);
		x = &b->it[nkb[i].slot];
		if ((l = lookup(&hist, nkb[i].hi, nkb[i].lo, &k, cursor, &he)) < 0)
			hfatal(&he);
		if (l) {
			x->verdict = V_INTER;
			x->refday = k.day;
			x->refrec = k.rec;
		} else
			first[nfirst++] = nkb[i];
	}
	for (i = 0; i < b->n; i++) {
		uint32_t rec = b->rec0 + (uint32_t)i;
		size_t nref = 0;

		x = &b->it[i];
		/*
		 * A repeat of an earlier claim of the day: of a claim paid
		 * on an earlier day if that one was (the same key, the same
		 * answer), else of that one.
		 */
		if (x->verdict == V_INTRA) {
			if ((l = lookup(&hist, x->hi, x->lo, &k, NULL, &he)) < 0)
				hfatal(&he);
			if (l) {
				x->verdict = V_INTER;
				x->refday = k.day;
				x->refrec = k.rec;
			}
		}
		/*
		 * An adjustment: of the line of an earlier day still paid, else
		 * of the day's, else of an earlier day's paid no more.
		 */
		if (hist.ledger && x->verdict == V_ADJUST) {
			if ((l = lookupk(&hist, x->lhi, x->llo, LK_LINE, &k, NULL, &he)) < 0)
				hfatal(&he);
			if (l && (k.amount > 0 || !x->hasref)) {
				x->refday = k.day;
				x->refrec = k.rec;
				x->hasref = 1;
				x->paid = k.amount;
				x->haspaid = 1;
			}
		}
		if (x->verdict == V_INTRA || x->verdict == V_INTER || x->hasref)
			nref = claimid(ref, x->refday, x->refrec);
		if (nshard > 1) {
			if (x->verdict > V_INTER)
				continue;
			ts_wint(&out, rec);
			ts_wcstr(&out, vnames[x->verdict]);
			ts_wstr(&out, ref, nref);
			ts_wend(&out);
			nout++;
			continue;
		}
		ts_wfields(&out, b->text + x->off, x->len, ncol, x->recsum);
		ts_wcstr(&out, vnames[x->verdict]);
		ts_wstr(&out, id, claimrank(id, rec));
		ts_wstr(&out, ref, nref);
		if (x->haspaid)
			ts_wmoney(&out, x->paid);
		else
			ts_wcstr(&out, "");
		ts_wend(&out);
		counts[x->verdict]++;
		nout++;
	}
}

/* The memory of the judging, before the thread starts. */
void
judgeinit(void)
{
	cursor = xmalloc((size_t)(hist.nseg ? hist.nseg : 1) * sizeof *cursor);
	nkb = xmalloc(BATCH * sizeof *nkb);
	nktmp = xmalloc(BATCH * sizeof *nktmp);
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

/* The judging's memory given back; the day's first-seen keys sorted. */
void
judgedone(void)
{
	int i;

	free(cursor);
	cursor = NULL;
	free(nkb);
	free(nktmp);
	for (i = 0; i < NBATCH; i++) {
		free(bq[i].it);
		free(bq[i].text);
	}

	/* The day's first-seen keys, in key order. */
	free(tab);
	tab = NULL;
	nktmp = xmalloc((nfirst ? nfirst : 1) * sizeof *nktmp);
	nksort(first, nfirst, nktmp);
	free(nktmp);
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
	free(first);
}
