/*
 * The day's claims, read by a thread of their own while the decisions
 * are read, and handed on in step with them, one for one, as ts_step
 * would.  Each stream costs as much to read and check (fields, money,
 * CRC-32) and they were half of a day's run read in turn: on two
 * cores, the claims now cost the decisions' time, not their own.  Of a
 * claim only what readday needs is kept, in chunks of a small ring:
 * memory does not follow the day.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "indus.h"

#define NCLAIM 4096
#define NCHUNK 4

struct chunk {
	struct claim c[NCLAIM];
	size_t off[NCLAIM][3];	/* dup_id, dup_ref, dup in buf */
	char *buf;
	size_t len, cap;
	int n;
	int end;		/* after c[n - 1]: 1 more, 0 the trailer checked, -1 an error */
};

static struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ts_reader *r;
	int kid, kref, kpaid, kdup;
	struct chunk ring[NCHUNK];
	int head, tail, count, stop, running;
	struct chunk *cur;	/* the reader's, from tail */
	int at;
} cs;

static void
keep(struct chunk *ch, int k, const struct field *f)
{
	if (ch->len + f->n > ch->cap) {
		ch->cap = 2 * (ch->len + f->n) + 4096;
		ch->buf = xrealloc(ch->buf, ch->cap);
	}
	memcpy(ch->buf + ch->len, f->p, f->n);
	ch->off[ch->n][k] = ch->len;
	ch->len += f->n;
}

/*
 * dup, dup_id and dup_ref, columns side by side in the claims (dedup's
 * order), kept as one run of their line, TABs included: one copy.
 */
static void
keeprun(struct chunk *ch, const struct field *dup, const struct field *id,
    const struct field *ref)
{
	size_t n = (size_t)(ref->p + ref->n - dup->p);

	if (ch->len + n > ch->cap) {
		ch->cap = 2 * (ch->len + n) + 4096;
		ch->buf = xrealloc(ch->buf, ch->cap);
	}
	memcpy(ch->buf + ch->len, dup->p, n);
	ch->off[ch->n][2] = ch->len;
	ch->off[ch->n][0] = ch->len + (size_t)(id->p - dup->p);
	ch->off[ch->n][1] = ch->len + (size_t)(ref->p - dup->p);
	ch->len += n;
}

static void *
producer(void *arg)
{
	struct ts_reader *r = cs.r;
	const struct field *f;
	struct chunk *ch;
	struct claim *c;
	int rc, run = cs.kid == cs.kdup + 1 && cs.kref == cs.kid + 1;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&cs.mu);
		while (cs.count == NCHUNK && !cs.stop)
			pthread_cond_wait(&cs.cv, &cs.mu);
		ch = &cs.ring[cs.head];
		rc = cs.stop;
		pthread_mutex_unlock(&cs.mu);
		if (rc)
			return NULL;
		ch->n = 0;
		ch->len = 0;
		ch->end = 1;
		while (ch->n < NCLAIM) {
			if ((rc = ts_next(r)) != 1) {
				ch->end = rc;
				break;
			}
			c = &ch->c[ch->n];
			f = r->f;
			if (run)
				keeprun(ch, &f[cs.kdup], &f[cs.kid], &f[cs.kref]);
			else {
				keep(ch, 0, &f[cs.kid]);
				keep(ch, 1, &f[cs.kref]);
				keep(ch, 2, &f[cs.kdup]);
			}
			c->id.n = r->f[cs.kid].n;
			c->ref.n = r->f[cs.kref].n;
			c->dup.n = r->f[cs.kdup].n;
			c->haspaid = r->f[cs.kpaid].n > 0;
			c->paid = r->cents[cs.kpaid];
			c->line = r->in.lineno;
			ch->n++;
		}
		pthread_mutex_lock(&cs.mu);
		cs.head = (cs.head + 1) % NCHUNK;
		cs.count++;
		pthread_cond_broadcast(&cs.cv);
		pthread_mutex_unlock(&cs.mu);
		if (ch->end != 1)
			return NULL;
	}
}

void
claims_start(struct ts_reader *r, int kid, int kref, int kpaid, int kdup)
{
	memset(&cs, 0, sizeof cs);
	cs.r = r;
	cs.kid = kid;
	cs.kref = kref;
	cs.kpaid = kpaid;
	cs.kdup = kdup;
	pthread_mutex_init(&cs.mu, NULL);
	pthread_cond_init(&cs.cv, NULL);
	if ((errno = pthread_create(&cs.th, NULL, producer, NULL)) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	cs.running = 1;
}

/* The thread ended or stopped, so that r is the reader's alone again. */
static void
claims_join(void)
{
	if (!cs.running)
		return;
	pthread_mutex_lock(&cs.mu);
	cs.stop = 1;
	pthread_cond_broadcast(&cs.cv);
	pthread_mutex_unlock(&cs.mu);
	pthread_join(cs.th, NULL);
	cs.running = 0;
}

/* The next claim: 1 and *c; 0 the trailer checked; -1 the reader's error. */
static int
next(const struct claim **c)
{
	struct chunk *ch = cs.cur;
	struct claim *x;

	if (ch != NULL && cs.at == ch->n) {
		if (ch->end != 1)
			return ch->end;
		pthread_mutex_lock(&cs.mu);
		cs.tail = (cs.tail + 1) % NCHUNK;
		cs.count--;
		pthread_cond_broadcast(&cs.cv);
		pthread_mutex_unlock(&cs.mu);
		ch = NULL;
	}
	if (ch == NULL) {
		pthread_mutex_lock(&cs.mu);
		while (cs.count == 0)
			pthread_cond_wait(&cs.cv, &cs.mu);
		ch = cs.cur = &cs.ring[cs.tail];
		pthread_mutex_unlock(&cs.mu);
		cs.at = 0;
		if (ch->n == 0)
			return ch->end;
	}
	x = &ch->c[cs.at];
	x->id.p = ch->buf + ch->off[cs.at][0];
	x->ref.p = ch->buf + ch->off[cs.at][1];
	x->dup.p = ch->buf + ch->off[cs.at][2];
	cs.at++;
	*c = x;
	return 1;
}

/*
 * ts_step's contract, the claims (a, read by the thread) before the
 * decisions (b): 1 a record of each, 0 both ended; dies at the stream
 * that ends first or at the first error, as reading them in turn would.
 */
int
claims_step(struct ts_reader *a, struct ts_reader *b, const struct claim **c)
{
	int ka = next(c), kb = ts_next(b);

	if (ka != 1)
		claims_join();
	return ts_stepped(a, ka, b, kb, "claim", "claims", "decisions");
}

void
claims_stop(void)
{
	int i;

	claims_join();
	pthread_mutex_destroy(&cs.mu);
	pthread_cond_destroy(&cs.cv);
	for (i = 0; i < NCHUNK; i++)
		free(cs.ring[i].buf);
}
