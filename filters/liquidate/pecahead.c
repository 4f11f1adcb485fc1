/*
 * liquidate: the PEC lookups of the day, by a thread ahead of the
 * decisions.  A claim's agreements in the generation or store read where
 * it lies (pecfind) depend on its beneficiary alone, not on what the
 * families before consumed: a thread of their own looks them up, in the
 * consumption order, a beneficiary once, while the main thread decides
 * (the lookups were half of its work in the families' loop, the second
 * core idle meanwhile).  Which claims decide will ask (needpec, rules.c)
 * is known from the claim, its beneficiary, the cards and the
 * guarantees, which no decision changes.  findpec takes the agreements
 * found, waiting for them if the thread is not there yet.  The thread
 * is the only one to look up, as the main thread was (the generation's
 * walk of -N beside it under its lock, as before), and the agreements
 * found do not depend on the order of the lookups: the decisions are the
 * same bytes.
 *
 * The thread starts before the claims are sorted in the consumption
 * order, which it does not wait for: it marks the beneficiaries some
 * claim will ask for, in the claims' order, then looks them up family by
 * family (the consumption order's first key), a family's in their own
 * order.  The main thread sorted alone meanwhile, then waited for lookups
 * at the start of the families' loop (on day 60 of the bench world).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

/* A domain is a bit of doms. */
_Static_assert(NDOM <= 32, "a domain a bit of 32");

struct slot {
	const struct pec **p;	/* the agreements found, n of them */
	uint32_t n;
	atomic_int ready;
};

struct pecahead {
	const struct ctx *cx;
	size_t nben;
	uint32_t doms;		/* the domains for which some rule needs a PEC */
	struct slot *s;		/* one a beneficiary */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int finished;		/* under mu */
};

/*
 * The pages of the generation or store read where it lies that the
 * lookups fault in stay mapped: the lookups come in the families' order,
 * the segments are in the beneficiaries', so all of them would be by the
 * end (125 MB on day 60 of the 60-day bench world, growing with the
 * store).  They are given back every AHEAD_RELEASE lookups, and once the
 * lookups are done.  A page given back and read again is a fault again,
 * from the page cache: on day 60, every 4096 lookups kept 42 to 66 MiB
 * mapped (smaps sampled) for 2 % more faults, every 1024 41 MiB for 13 %
 * more, every 256 31 MiB for 37 % more (liquidate.1).
 */
#ifndef AHEAD_RELEASE
#define AHEAD_RELEASE 4096
#endif

static int
famcmp64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

static void *
aheadthread(void *arg)
{
	struct pecahead *a = arg;
	const struct ctx *cx = a->cx;
	const struct claim *c;
	const struct benef *b;
	const struct pec **gp;
	struct slot *s;
	struct pec key;
	uint64_t *want, *bit;
	size_t j, n, nwant = 0, nlook = 0;
	int sorted = 1;

	/* The beneficiaries some claim's rule will ask for, a bit each. */
	bit = xmalloc((a->nben / 64 + 1) * sizeof *bit);
	memset(bit, 0, (a->nben / 64 + 1) * sizeof *bit);
	for (j = 0; j < cx->ncl; j++) {
		c = &cx->cl[j];
		if (c->bi < 0 || c->dom < 0 || !(a->doms & 1u << c->dom) ||
		    bit[c->bi / 64] & (uint64_t)1 << c->bi % 64 || !needpec(cx, c))
			continue;
		bit[c->bi / 64] |= (uint64_t)1 << c->bi % 64;
		nwant++;
	}
	/* In the families' order, (family, beneficiary): sorted unless already. */
	want = xmalloc((nwant ? nwant : 1) * sizeof *want);
	for (j = 0, n = 0; j < a->nben; j++)
		if (bit[j / 64] & (uint64_t)1 << j % 64) {
			want[n] = (uint64_t)cx->bens[j].fam << 32 | j;
			if (n > 0 && want[n] < want[n - 1])
				sorted = 0;
			n++;
		}
	free(bit);
	if (!sorted)
		qsort(want, nwant, sizeof *want, famcmp64);

	memset(&key, 0, sizeof key);
	key.from = NOSTART;
	key.number = "";
	for (j = 0; j < nwant; j++) {
		s = &a->s[(uint32_t)want[j]];
		b = &cx->bens[(uint32_t)want[j]];
		key.amc = b->amc;
		memcpy(key.nir, b->nir, 14);
		key.birth = b->birth;
		key.rang = b->rang;
		n = pecfind(cx->ps, &key, &gp);
		if (n > 0) {
			s->p = xmalloc(n * sizeof *s->p);
			memcpy(s->p, gp, n * sizeof *s->p);
		}
		s->n = (uint32_t)n;
		if (++nlook % AHEAD_RELEASE == 0)
			pecstore_release(cx->ps);
		pthread_mutex_lock(&a->mu);
		atomic_store_explicit(&s->ready, 1, memory_order_release);
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	free(want);
	pecstore_release(cx->ps);
	pthread_mutex_lock(&a->mu);
	a->finished = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

struct pecahead *
pecahead_start(const struct ctx *cx, size_t nben)
{
	struct pecahead *a;
	const struct product *pr;
	size_t k;
	int i, j, r;

	if (cx->ps == NULL || (cx->ps->nseg == 0 && cx->ps->gen == NULL) || nben == 0)
		return NULL;
	a = xmalloc(sizeof *a);
	a->cx = cx;
	a->nben = nben;
	a->finished = 0;
	a->doms = 0;
	for (i = 0; i < cx->nguars; i++)
		for (j = 0; j < cx->guars[i].nprods; j++)
			for (pr = &cx->guars[i].prods[j], r = 0; r < pr->nrules; r++)
				if (pr->rules[r].pec && pr->rules[r].dom >= 0)
					a->doms |= 1u << pr->rules[r].dom;
	a->s = xmalloc((nben ? nben : 1) * sizeof *a->s);
	for (k = 0; k < nben; k++) {
		a->s[k].p = NULL;
		a->s[k].n = 0;
		atomic_init(&a->s[k].ready, 0);
	}
	if (pthread_mutex_init(&a->mu, NULL) != 0 || pthread_cond_init(&a->cv, NULL) != 0)
		die(EX_OSERR, "pthread_mutex_init failed");
	if (pthread_create(&a->th, NULL, aheadthread, a) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	return a;
}

/* The agreements of b (bi in the ctx's bens) the thread found, in *out. */
size_t
pecahead_get(struct pecahead *a, int32_t bi, const struct pec ***out)
{
	struct slot *s = &a->s[bi];

	if (!atomic_load_explicit(&s->ready, memory_order_acquire)) {
		pthread_mutex_lock(&a->mu);
		while (!atomic_load_explicit(&s->ready, memory_order_acquire) && !a->finished)
			pthread_cond_wait(&a->cv, &a->mu);
		pthread_mutex_unlock(&a->mu);
		if (!atomic_load_explicit(&s->ready, memory_order_acquire))
			die(EX_SOFTWARE, "a PEC lookup the thread ahead did not make");
	}
	*out = s->p;
	return s->n;
}

/* The thread joined, what it found given back. */
void
pecahead_end(struct pecahead *a, size_t nben)
{
	size_t k;

	if (a == NULL)
		return;
	pthread_join(a->th, NULL);
	for (k = 0; k < nben; k++)
		free(a->s[k].p);
	free(a->s);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a);
}
