/*
 * Line input: plain and gzip files alike (zin.c), one reused buffer,
 * lines returned in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

#define LINES_BUFSZ (1 << 20)

/*
 * A regular gzip file is read, and inflated, by a thread of its own, a
 * few chunks ahead of the lines being parsed: on two cores a gzip input
 * then costs little more than its inflation.  Pipes are read in line,
 * since a reader thread blocked on a pipe could not be stopped; plain
 * files too (gzipped, below).
 */
#define NCHUNK 4
#define CHUNKSZ (256 * 1024)

struct feed {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct zin *zin;
	char *chunk[NCHUNK];
	int len[NCHUNK];
	int head, tail, count;
	size_t off;		/* consumed of chunk[tail] */
	int done;		/* 1 end of file, -1 error */
	int stop;
	char why[128];
};

/* zin_read: 1 data, 0 EOF, -1 error. */
static int
zget(struct zin *z, char *buf, size_t n, int *got, const char **why)
{
	*got = zin_read(z, buf, n, why);
	return *got < 0 ? -1 : *got > 0;
}

static void *
producer(void *arg)
{
	struct feed *f = arg;
	const char *why = NULL;
	int r, n, slot;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (f->count == NCHUNK && !f->stop)
			pthread_cond_wait(&f->cv, &f->mu);
		slot = f->head;
		r = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (r)
			return NULL;
		r = zget(f->zin, f->chunk[slot], CHUNKSZ, &n, &why);
		pthread_mutex_lock(&f->mu);
		if (r > 0) {
			f->len[slot] = n;
			f->head = (f->head + 1) % NCHUNK;
			f->count++;
		} else {
			f->done = r == 0 ? 1 : -1;
			if (r < 0)
				snprintf(f->why, sizeof f->why, "%s", why);
		}
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (r <= 0)
			return NULL;
	}
}

/* What the thread has read: as zget. */
static int
feedget(struct feed *f, char *buf, size_t n, int *got, const char **why)
{
	size_t k;

	pthread_mutex_lock(&f->mu);
	while (f->count == 0 && f->done == 0)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->count == 0) {
		pthread_mutex_unlock(&f->mu);
		*got = 0;
		*why = f->why;
		return f->done > 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&f->mu);
	/* chunk[tail] is ours until count drops. */
	k = (size_t)f->len[f->tail] - f->off;
	if (k > n)
		k = n;
	memcpy(buf, f->chunk[f->tail] + f->off, k);
	f->off += k;
	*got = (int)k;
	if (f->off == (size_t)f->len[f->tail]) {
		pthread_mutex_lock(&f->mu);
		f->off = 0;
		f->tail = (f->tail + 1) % NCHUNK;
		f->count--;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	return 1;
}

static struct feed *
feedstart(struct zin *zin)
{
	struct feed *f = xmalloc(sizeof *f);
	int i;

	memset(f, 0, sizeof *f);
	f->zin = zin;
	for (i = 0; i < NCHUNK; i++)
		f->chunk[i] = xmalloc(CHUNKSZ);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->th, NULL, producer, f) != 0) {
		for (i = 0; i < NCHUNK; i++)
			free(f->chunk[i]);
		free(f);
		return NULL;
	}
	return f;
}

static void
feedstop(struct feed *f)
{
	int i;

	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	for (i = 0; i < NCHUNK; i++)
		free(f->chunk[i]);
	free(f);
}

/*
 * Whether a regular file starts as gzip does (1f 8b), read where it is
 * without moving its offset.  Only a gzip file is read by a thread: a
 * plain one is read straight into the line buffer (the kernel reads
 * ahead of a file read in order), not into the thread's chunks and then
 * copied, a copy of every byte the fewer (169 M of reject-code's 2.6 G
 * instructions on 2026-01-19 of the generated world).
 */
static int
gzipped(int fd)
{
	unsigned char m[2];
	ssize_t k;

	while ((k = pread(fd, m, 2, 0)) < 0 && errno == EINTR)
		;
	return k < 0 || (k == 2 && m[0] == 0x1f && m[1] == 0x8b);
}

int
lines_open(struct lines *l, const char *path)
{
	struct stat st;
	int fd;

	memset(l, 0, sizeof *l);
	if (strcmp(path, "-") == 0) {
		if ((fd = dup(0)) < 0)
			return -1;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	l->zin = zin_open(fd);
	l->name = path;
	l->cap = LINES_BUFSZ;
	l->buf = xmalloc(l->cap);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && gzipped(fd))
		l->feed = feedstart(l->zin);	/* NULL: read in line */
	return 0;
}

/* Refill after keeping the partial line at the start: 1 data, 0 EOF, -1. */
static int
fill(struct lines *l, const char **why)
{
	int n, r;

	if (l->crcon) {
		l->crc = crc32_buf(l->crc, l->buf + l->crcmark, l->beg - l->crcmark);
		l->crcmark = 0;
	}
	if (l->beg > 0) {
		memmove(l->buf, l->buf + l->beg, l->end - l->beg);
		l->end -= l->beg;
		l->beg = 0;
	}
	if (l->end == l->cap) {
		*why = "line too long";
		return -1;
	}
	if (l->feed != NULL)
		r = feedget(l->feed, l->buf + l->end, l->cap - l->end, &n, why);
	else
		r = zget(l->zin, l->buf + l->end, l->cap - l->end, &n, why);
	if (r <= 0) {
		if (r == 0)
			l->eof = 1;
		return r;
	}
	l->end += (size_t)n;
	return 1;
}

int
lines_next(struct lines *l, char **line, size_t *len, const char **why)
{
	char *p, *nl;
	size_t scanned = 0;
	int r;

	for (;;) {
		p = l->buf + l->beg;
		nl = memchr(p + scanned, '\n', l->end - l->beg - scanned);
		if (nl != NULL) {
			*line = p;
			*len = (size_t)(nl - p);
			l->beg += *len + 1;
			l->lineno++;
			if (*len > LINE_MAX_) {
				*why = "line too long";
				return -1;
			}
			return 1;
		}
		scanned = l->end - l->beg;
		if (scanned > LINE_MAX_) {
			l->lineno++;
			*why = "line too long";
			return -1;
		}
		if (l->eof || (r = fill(l, why)) == 0) {
			if (l->end == l->beg)
				return 0;
			/* A last line without LF is still a line; say so. */
			*line = l->buf + l->beg;
			*len = l->end - l->beg;
			l->beg = l->end;
			l->lineno++;
			l->nonl = 1;
			return 1;
		}
		if (r < 0) {
			l->lineno++;
			return -1;
		}
	}
}

void
lines_close(struct lines *l)
{
	if (l->feed != NULL)
		feedstop(l->feed);
	l->feed = NULL;
	zin_close(l->zin);
	free(l->buf);
	l->zin = NULL;
	l->buf = NULL;
}

void
lines_crc_start(struct lines *l)
{
	l->crcon = 1;
	l->crcmark = l->beg;
	l->crc = (uint32_t)crc32(0L, Z_NULL, 0);
}

uint32_t
lines_crc_upto(struct lines *l, const char *p)
{
	size_t upto = (size_t)(p - l->buf);

	l->crc = crc32_buf(l->crc, l->buf + l->crcmark, upto - l->crcmark);
	l->crcmark = upto;
	return l->crc;
}
