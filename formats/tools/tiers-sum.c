/*
 * tiers-sum: the SHA-256 of files, as sha256sum(1) prints them ("HEX  name"
 * in the order given), several threads at once, each hashing up to 16
 * files at once in the lanes of the processor's vectors (sha256mb.c);
 * -r hashes them one at a time with libcrypto, the reference.  The
 * nightly's MANIFEST and the receipt of the inbox hash a day's files with
 * it, tiers-verify with -r: over a gigabyte a day, where sha256sum's own
 * SHA-256 was a quarter of the night's processor time.  With -F it
 * follows a list that grows (the nightly's files as its stages write
 * them), its files joining the lanes as they come, until the list's end.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tiers.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-r] [-j jobs] [-f list] [file ...]\n"
	    "       %s [-r] [-j jobs] -F list\n", progname_(), progname_());
	exit(EX_USAGE);
}

/* A file to hash. */
struct item {
	char *name;
	char *line;		/* -F: the list's line, the name and what follows it */
	size_t seq;		/* its place in the order given */
	off_t size;		/* when listed, for the order to take them in */
	int err;
	char hex[SHA256_HEXSZ];
};

static struct item **items;	/* in the order given */
static size_t nitems, cap;
static struct item **queue;	/* not taken: queue[next..nqueue), largest first */
static size_t nqueue, qcap, next;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t come = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t outmu = PTHREAD_MUTEX_INITIALIZER;
static int ref;		/* -r: libcrypto, a file at a time */
static int width;	/* of the lanes: 0 the processor's, or TIERS_SHA_WIDTH */
static int follow;	/* -F: the list followed as it grows */
static int ended;	/* -F: its end read */
static int rc = EX_OK;
static _Thread_local sigjmp_buf *busjb;

/* A name of the list, or the whole line with -F (the name to its first tab). */
static void
add(const char *s, size_t n)
{
	struct item *it;
	const char *tab;
	size_t k;

	/* sha256sum would escape them: names this software never makes. */
	if (memchr(s, '\\', n) != NULL || memchr(s, '\n', n) != NULL)
		die(EX_DATAERR, "a file name with a backslash or a newline");
	tab = follow ? memchr(s, '\t', n) : NULL;
	k = tab != NULL ? (size_t)(tab - s) : n;
	if (k == 0)
		die(EX_DATAERR, "an empty name");
	it = xmalloc(sizeof *it);
	memset(it, 0, sizeof *it);
	it->name = xmalloc(k + 1);
	memcpy(it->name, s, k);
	it->name[k] = '\0';
	if (follow) {
		it->line = xmalloc(n + 1);
		memcpy(it->line, s, n);
		it->line[n] = '\0';
	}
	pthread_mutex_lock(&mu);
	if (nitems == cap) {
		cap = cap ? 2 * cap : 256;
		items = xrealloc(items, cap * sizeof *items);
	}
	it->seq = nitems;
	items[nitems++] = it;
	pthread_mutex_unlock(&mu);
}

/* The names of list (one a line; "-": the standard input). */
static void
readlist(const char *list)
{
	FILE *fp = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;

	if (fp == NULL)
		die(EX_NOINPUT, "%s: %s", list, strerror(errno));
	while ((n = getline(&line, &lcap, fp)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (n == 0)
			die(EX_DATAERR, "%s: an empty name", list);
		add(line, (size_t)n);
	}
	if (ferror(fp))
		die(EX_IOERR, "%s: %s", list, strerror(errno));
	free(line);
	if (fp != stdin)
		fclose(fp);
}

/* Largest first; as large, in the order given. */
static int
bysize(const void *a, const void *b)
{
	const struct item *i = *(struct item *const *)a, *j = *(struct item *const *)b;

	if (i->size != j->size)
		return i->size > j->size ? -1 : 1;
	return i->seq < j->seq ? -1 : i->seq > j->seq;
}

/*
 * items[from..) to the queue, their sizes looked at now (a name that
 * cannot be counts as empty: its error comes when it is opened), the
 * files not yet taken sorted again, largest first.  Under mu with -F.
 */
static void
enqueue(size_t from)
{
	struct stat st;
	size_t i;

	for (i = from; i < nitems; i++) {
		items[i]->size = stat(items[i]->name, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
		if (nqueue == qcap) {
			qcap = qcap ? 2 * qcap : 256;
			queue = xrealloc(queue, qcap * sizeof *queue);
		}
		queue[nqueue++] = items[i];
	}
	if (nqueue - next > 1)
		qsort(queue + next, nqueue - next, sizeof *queue, bysize);
}

/*
 * The next file to hash, or NULL: none left, or, with -F, none now and
 * wait false, or the list ended and none left.
 */
static struct item *
take(int wait)
{
	struct item *it = NULL;

	pthread_mutex_lock(&mu);
	for (;;) {
		if (next < nqueue) {
			it = queue[next++];
			break;
		}
		if (!follow || ended || !wait)
			break;
		pthread_cond_wait(&come, &mu);
	}
	pthread_mutex_unlock(&mu);
	return it;
}

/* The error of file it said; the first error gives the status. */
static void
failed(const struct item *it)
{
	fprintf(stderr, "%s: %s: %s\n", progname_(), it->name, strerror(it->err));
	if (rc == EX_OK)
		rc = it->err == ENOENT || it->err == EACCES ? EX_NOINPUT : EX_IOERR;
}

/*
 * File it ended: with -F its line told at once, a tab and its digest
 * after the line, or its error; otherwise all are told at the end, in
 * the order given.
 */
static void
told(struct item *it)
{
	if (!follow)
		return;
	pthread_mutex_lock(&outmu);
	if (it->err != 0)
		failed(it);
	else if (printf("%s\t%s\n", it->line, it->hex) < 0 || fflush(stdout) != 0)
		die(EX_IOERR, "standard output: %s", strerror(errno));
	pthread_mutex_unlock(&outmu);
}

/* File it hashed by libcrypto, read to its end. */
static void
refsum(struct item *it)
{
	int fd;

	if ((fd = open(it->name, O_RDONLY | O_CLOEXEC)) < 0) {
		it->err = errno;
		return;
	}
	if (sha256_fd(fd, it->hex) < 0)
		it->err = errno;
	close(fd);
}

static void *
refwork(void *arg)
{
	struct item *it;

	(void)arg;
	while ((it = take(1)) != NULL) {
		refsum(it);
		told(it);
	}
	return NULL;
}

/*
 * A file that shrinks under its mapping faults (SIGBUS) where its pages
 * end: the thread that touched it goes back to its engine's start.
 */
static void
onbus(int sig)
{
	if (busjb == NULL) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(*busjb, 1);
}

/*
 * The files a thread's engine is hashing: mapped, and which (a lane's
 * id is its place here).  Not on the stack: what changed there since
 * sigsetjmp is lost by siglongjmp.
 */
struct fly {
	struct sha256mb *mb;
	struct item *it[16];
	void *map[16];
	size_t len[16];
	int fd[16];
	struct stat st[16];	/* each file as it was when opened */
	int used[16];
	int n;
};

/* Lane k's file let go. */
static void
land(struct fly *f, size_t k)
{
	munmap(f->map[k], f->len[k]);
	close(f->fd[k]);
	f->used[k] = 0;
	f->n--;
}

/*
 * Lane k's file, hashed, still as it was when opened (the same inode,
 * size, modification and change times)?  Its last part block was copied
 * when it was given to the lane, the rest read later from the mapping: a
 * file written in place meanwhile, or cut short within its last page (no
 * fault), would get the digest of bytes it never held.
 */
static int
same(const struct fly *f, size_t k)
{
	struct stat now;
	const struct stat *was = &f->st[k];

	return fstat(f->fd[k], &now) == 0 && now.st_ino == was->st_ino &&
	    now.st_dev == was->st_dev && now.st_size == was->st_size &&
	    now.st_mtim.tv_sec == was->st_mtim.tv_sec && now.st_mtim.tv_nsec == was->st_mtim.tv_nsec &&
	    now.st_ctim.tv_sec == was->st_ctim.tv_sec && now.st_ctim.tv_nsec == was->st_ctim.tv_nsec;
}

/* A size the address space can map (not so on a 32-bit system). */
static int
mappable(off_t n)
{
	return n > 0 && (uintmax_t)n <= SIZE_MAX / 2;
}

/*
 * Files mapped whole and fed to the engine's lanes as they free up; a
 * file that is not a regular one, or empty (it may be /proc's), is read
 * to its end by libcrypto as -r does, and so are the files in flight
 * when one shrinks under its mapping, and a file changed while hashed
 * (same(), above).  A file is hashed as it was when opened: what grows
 * after is not read.  With -F, the lanes step a release's bytes at a
 * time (4 MiB), and between steps take the files listed meanwhile; with
 * no lane in use, the thread waits for some, or the list's end.
 */
static void *
work(void *arg)
{
	sigjmp_buf jb;
	struct fly *f = xmalloc(sizeof *f);
	struct item *it;
	struct stat st;
	unsigned char md[32];
	size_t k;
	void *p;
	int fd, r;

	(void)arg;
	memset(f, 0, sizeof *f);
	f->mb = sha256mb_new(width);
	/* Mapped files: resident, at most the lanes' last 4 MiB each. */
	sha256mb_release(f->mb, 4 << 20);
	if (sigsetjmp(jb, 1) != 0) {
		busjb = NULL;
		sha256mb_reset(f->mb);
		for (k = 0; k < 16; k++)
			if (f->used[k]) {
				it = f->it[k];
				land(f, k);
				refsum(it);
				told(it);
			}
	}
	busjb = &jb;
	for (;;) {
		while (sha256mb_room(f->mb) > 0 && (it = take(f->n == 0)) != NULL) {
			if ((fd = open(it->name, O_RDONLY | O_CLOEXEC)) < 0) {
				it->err = errno;
				told(it);
				continue;
			}
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !mappable(st.st_size) ||
			    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) ==
			    MAP_FAILED) {
				if (sha256_fd(fd, it->hex) < 0)
					it->err = errno;
				close(fd);
				told(it);
				continue;
			}
			for (k = 0; f->used[k]; k++)
				;
			f->used[k] = 1;
			f->it[k] = it;
			f->map[k] = p;
			f->fd[k] = fd;
			f->st[k] = st;
			f->len[k] = (size_t)st.st_size;
			f->n++;
			sha256mb_add(f->mb, p, (size_t)st.st_size, k);
		}
		r = follow ? sha256mb_step(f->mb, &k, md) : sha256mb_next(f->mb, &k, md);
		if (r < 0)
			continue;
		/* No lane in use, and none to take (with -F, the list ended). */
		if (r == 0)
			break;
		it = f->it[k];
		if (same(f, k)) {
			sha256_hex(md, it->hex);
			land(f, k);
		} else {
			land(f, k);
			refsum(it);
		}
		told(it);
	}
	busjb = NULL;
	sha256mb_free(f->mb);
	free(f);
	return NULL;
}

/*
 * The threads worth running for the files queued, at most jobs.  A
 * file's lane is sequential: however many lanes run, the largest file
 * takes as many steps as it has blocks, at a step's cost, and an
 * engine's step costs about as much with few lanes in use as with all.
 * Files started largest first keep the lanes in use together, the small
 * ones filling those freed.  A second engine shortens the hashing only
 * when the bytes are more than one engine's lanes (16, 8 or 4, its width
 * at its widest) can hash in the largest file's steps: below that it
 * costs a step's time for nothing (the 80 new files of a day, 916 MB,
 * 100 MB the largest: 0.95-1.14 s of user time with one thread, 1.45-1.67
 * s with two, in the same elapsed time, 2 cores, warm).
 */
static size_t
plan(size_t jobs)
{
	uintmax_t sum = 0, max = 0, want, lanes;
	size_t i, k;

	for (i = next; i < nqueue; i++) {
		sum += (uintmax_t)queue[i]->size;
		if ((uintmax_t)queue[i]->size > max)
			max = (uintmax_t)queue[i]->size;
	}
	if (ref)
		k = jobs;
	else {
		lanes = (uintmax_t)sha256mb_width(width);
		want = max == 0 ? 1 : (sum + lanes * max - 1) / (lanes * max);
		k = want < jobs ? (size_t)want : jobs;
	}
	return k < nqueue - next ? k : nqueue - next;
}

/*
 * -F: the list read as it grows, by a thread of its own.  A regular
 * file's end is only where its writer is: read on, every 10 ms, until an
 * empty line; a pipe's end, or an empty line, ends the list.  If the
 * process that started tiers-sum ends first, the list never will: the
 * files listed are not waited for (exit 75).  At the list's end, more
 * threads may hash the files not yet taken, by plan()'s rule.  (Sharing
 * them out one a thread, so that a large one is not slowed by the
 * lanes beside it, was tried: within the noise of a loaded 2-core
 * machine on the night's last files, 127 MB.)
 */
struct follower {
	const char *list;
	size_t jobs;
	pid_t parent;
	pthread_t th[16];
	size_t nth;
	void *(*fn)(void *);
};

static void
batch(size_t from)
{
	pthread_mutex_lock(&mu);
	enqueue(from);
	pthread_cond_broadcast(&come);
	pthread_mutex_unlock(&mu);
}

static void *
followlist(void *arg)
{
	struct follower *fo = arg;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct stat st;
	char *buf = NULL, *nl, *q;
	size_t len = 0, bcap = 0, from, want, t;
	ssize_t n;
	int fd, reg, end = 0;

	fd = strcmp(fo->list, "-") == 0 ? 0 : open(fo->list, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(EX_NOINPUT, "%s: %s", fo->list, strerror(errno));
	reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	while (!end) {
		if (bcap - len < 65536) {
			bcap = bcap ? 2 * bcap : 65536;
			buf = xrealloc(buf, bcap);
		}
		if ((n = read(fd, buf + len, bcap - len)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", fo->list, strerror(errno));
		}
		if (n == 0) {
			if (!reg) {
				/* A pipe's last line may have no newline. */
				if (len > 0) {
					from = nitems;
					add(buf, len);
					batch(from);
				}
				break;
			}
			if (getppid() != fo->parent)
				die(EX_TEMPFAIL, "%s: its writer is gone before its end", fo->list);
			nanosleep(&tick, NULL);
			continue;
		}
		len += (size_t)n;
		from = nitems;
		for (q = buf; (nl = memchr(q, '\n', len - (size_t)(q - buf))) != NULL; q = nl + 1) {
			if (nl == q) {
				end = 1;
				break;
			}
			add(q, (size_t)(nl - q));
		}
		len -= (size_t)(q - buf);
		memmove(buf, q, len);
		if (nitems > from)
			batch(from);
	}
	free(buf);
	if (fd != 0)
		close(fd);
	pthread_mutex_lock(&mu);
	ended = 1;
	want = plan(fo->jobs);
	pthread_cond_broadcast(&come);
	pthread_mutex_unlock(&mu);
	/* The main thread hashes on: it is one of them. */
	for (t = 1; t < want && t < fo->jobs; t++) {
		if ((errno = pthread_create(&fo->th[fo->nth], NULL, fo->fn, NULL)) != 0)
			die(EX_OSERR, "thread: %s", strerror(errno));
		fo->nth++;
	}
	for (t = 0; t < fo->nth; t++)
		pthread_join(fo->th[t], NULL);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[16], rd;
	struct follower fo;
	void *(*fn)(void *);
	const char *w, *flist = NULL;
	long jobs = 0;
	int c, nth, t, lists = 0;
	size_t i;

	setprogname_(argv[0]);
	while ((c = getopt(argc, argv, "F:f:j:r")) != -1)
		switch (c) {
		case 'F':
			flist = optarg;
			follow = 1;
			break;
		case 'f':
			lists = 1;
			readlist(optarg);
			break;
		case 'j':
			if (int_parse(optarg, strlen(optarg), 1, 16, &jobs) < 0)
				die(EX_USAGE, "-j %s: not a number of jobs from 1 to 16", optarg);
			break;
		case 'r':
			ref = 1;
			break;
		default:
			usage();
		}
	if (follow && (lists || optind < argc))
		usage();
	for (; optind < argc; optind++)
		add(argv[optind], strlen(argv[optind]));
	/* The test knob: the lanes' width forced (the bytes never change). */
	if ((w = getenv("TIERS_SHA_WIDTH")) != NULL && *w != '\0') {
		if (strcmp(w, "1") == 0 || strcmp(w, "4") == 0 || strcmp(w, "8") == 0 ||
		    strcmp(w, "16") == 0)
			width = atoi(w);
		else
			die(EX_USAGE, "TIERS_SHA_WIDTH=%s: not 1, 4, 8 or 16", w);
	}
	fn = ref ? refwork : work;
	if (!ref)
		signal(SIGBUS, onbus);
	if (jobs == 0) {
		jobs = sysconf(_SC_NPROCESSORS_ONLN);
		if (jobs < 1)
			jobs = 1;
		if (jobs > 16)
			jobs = 16;
	}
	if (follow) {
		/* A thread until the list's end, then up to jobs (followlist). */
		memset(&fo, 0, sizeof fo);
		fo.list = flist;
		fo.jobs = (size_t)jobs;
		fo.parent = getppid();
		fo.fn = fn;
		if ((errno = pthread_create(&rd, NULL, followlist, &fo)) != 0)
			die(EX_OSERR, "thread: %s", strerror(errno));
		fn(NULL);
		pthread_join(rd, NULL);
	} else {
		enqueue(0);
		nth = (int)plan((size_t)jobs);
		for (t = 1; t < nth; t++)
			if ((errno = pthread_create(&th[t], NULL, fn, NULL)) != 0)
				die(EX_OSERR, "thread: %s", strerror(errno));
		fn(NULL);
		for (t = 1; t < nth; t++)
			pthread_join(th[t], NULL);
	}
	for (i = 0; i < nitems; i++) {
		if (!follow) {
			if (items[i]->err != 0)
				failed(items[i]);
			else if (printf("%s  %s\n", items[i]->hex, items[i]->name) < 0)
				break;
		}
		free(items[i]->name);
		free(items[i]->line);
		free(items[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EX_IOERR, "standard output: %s", strerror(errno));
	free(items);
	free(queue);
	return rc;
}
