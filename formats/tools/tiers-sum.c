/*
 * tiers-sum: the SHA-256 of files, as sha256sum(1) prints them ("HEX  name"
 * in the order given), several threads at once, each hashing up to 16
 * files at once in the lanes of the processor's vectors (sha256mb.c);
 * -r hashes them one at a time with libcrypto, the reference.  The
 * nightly's MANIFEST and the receipt of the inbox hash a day's files with
 * it, tiers-verify with -r: over a gigabyte a day, where sha256sum's own
 * SHA-256 was a quarter of the night's processor time.
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
#include <unistd.h>

#include "tiers.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-r] [-j jobs] [-f list] [file ...]\n", progname_());
	exit(EX_USAGE);
}

static char **names;
static size_t nnames, cap;
static char (*hexes)[SHA256_HEXSZ];
static int *errs;
static size_t next;
static size_t *order;	/* the names to take, largest file first */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int ref;		/* -r: libcrypto, a file at a time */
static int width;	/* of the lanes: 0 the processor's, or TIERS_SHA_WIDTH */
static _Thread_local sigjmp_buf *busjb;

static void
add(const char *s, size_t n)
{
	/* sha256sum would escape them: names this software never makes. */
	if (memchr(s, '\\', n) != NULL || memchr(s, '\n', n) != NULL)
		die(EX_DATAERR, "a file name with a backslash or a newline");
	if (nnames == cap) {
		cap = cap ? 2 * cap : 256;
		names = xrealloc(names, cap * sizeof *names);
	}
	names[nnames] = xmalloc(n + 1);
	memcpy(names[nnames], s, n);
	names[nnames++][n] = '\0';
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

/* The next name to hash, or nnames. */
static size_t
take(void)
{
	size_t i;

	pthread_mutex_lock(&mu);
	i = next < nnames ? order[next++] : nnames;
	pthread_mutex_unlock(&mu);
	return i;
}

/* File i hashed by libcrypto, read to its end. */
static void
refsum(size_t i)
{
	int fd;

	if ((fd = open(names[i], O_RDONLY | O_CLOEXEC)) < 0) {
		errs[i] = errno;
		return;
	}
	if (sha256_fd(fd, hexes[i]) < 0)
		errs[i] = errno;
	close(fd);
}

static void *
refwork(void *arg)
{
	size_t i;

	(void)arg;
	while ((i = take()) < nnames)
		refsum(i);
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
 * The files a thread's engine is hashing: mapped, and which.  Not on the
 * stack: what changed there since sigsetjmp is lost by siglongjmp.
 */
struct fly {
	struct sha256mb *mb;
	size_t id[16];
	void *map[16];
	size_t len[16];
	int fd[16];
	struct stat st[16];	/* each file as it was when opened */
	int n;
};

static void
land(struct fly *f, size_t id)
{
	int k;

	for (k = 0; f->id[k] != id; k++)
		;
	munmap(f->map[k], f->len[k]);
	close(f->fd[k]);
	f->n--;
	f->id[k] = f->id[f->n];
	f->map[k] = f->map[f->n];
	f->len[k] = f->len[f->n];
	f->fd[k] = f->fd[f->n];
	f->st[k] = f->st[f->n];
}

/*
 * File id, hashed in a lane, still as it was when opened (the same
 * inode, size, modification and change times)?  Its last part block was
 * copied when it was given to the lane, the rest read later from the
 * mapping: a file written in place meanwhile, or cut short within its
 * last page (no fault), would get the digest of bytes it never held.
 */
static int
same(const struct fly *f, size_t id)
{
	struct stat now;
	const struct stat *was;
	int k;

	for (k = 0; f->id[k] != id; k++)
		;
	was = &f->st[k];
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
 * after is not read.
 */
static void *
work(void *arg)
{
	sigjmp_buf jb;
	struct fly *f = xmalloc(sizeof *f);
	struct stat st;
	unsigned char md[32];
	size_t i;
	void *p;
	int fd;

	(void)arg;
	memset(f, 0, sizeof *f);
	f->mb = sha256mb_new(width);
	/* Mapped files: resident, at most the lanes' last 4 MiB each. */
	sha256mb_release(f->mb, 4 << 20);
	if (sigsetjmp(jb, 1) != 0) {
		busjb = NULL;
		sha256mb_reset(f->mb);
		while (f->n > 0) {
			i = f->id[0];
			land(f, i);
			refsum(i);
		}
	}
	busjb = &jb;
	for (;;) {
		while (sha256mb_room(f->mb) > 0 && (i = take()) < nnames) {
			if ((fd = open(names[i], O_RDONLY | O_CLOEXEC)) < 0) {
				errs[i] = errno;
				continue;
			}
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !mappable(st.st_size) ||
			    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) ==
			    MAP_FAILED) {
				if (sha256_fd(fd, hexes[i]) < 0)
					errs[i] = errno;
				close(fd);
				continue;
			}
			f->id[f->n] = i;
			f->map[f->n] = p;
			f->fd[f->n] = fd;
			f->st[f->n] = st;
			f->len[f->n++] = (size_t)st.st_size;
			sha256mb_add(f->mb, p, (size_t)st.st_size, i);
		}
		if (!sha256mb_next(f->mb, &i, md))
			break;
		if (same(f, i))
			sha256_hex(md, hexes[i]);
		else {
			land(f, i);
			refsum(i);
			continue;
		}
		land(f, i);
	}
	busjb = NULL;
	sha256mb_free(f->mb);
	free(f);
	return NULL;
}

/*
 * The order to take the files in, largest first, and the threads worth
 * running.  A file's lane is sequential: however many lanes run, the
 * largest file takes as many steps as it has blocks, at a step's cost,
 * and an engine's step costs about as much with few lanes in use as with
 * all.  Files started largest first keep the lanes in use together, the
 * small ones filling those freed.  A second engine shortens the hashing
 * only when the bytes are more than one engine's lanes (16, 8 or 4, its
 * width at its widest) can hash in the largest file's steps: below that
 * it costs a step's time for nothing
 * (the 80 new files of a day, 916 MB, 100 MB the largest: 0.95-1.14 s of
 * user time with one thread, 1.45-1.67 s with two, in the same elapsed
 * time, 2 cores, warm).  A name that cannot be looked at counts as
 * empty; its error comes when it is opened.
 */
static off_t *sizes;

/* Largest first; as large, in the order given. */
static int
bysize(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (sizes[i] != sizes[j])
		return sizes[i] > sizes[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

static size_t
plan(size_t jobs)
{
	uintmax_t sum = 0, max = 0, want, lanes;
	struct stat st;
	size_t i, k;

	sizes = xmalloc((nnames ? nnames : 1) * sizeof *sizes);
	order = xmalloc((nnames ? nnames : 1) * sizeof *order);
	for (i = 0; i < nnames; i++) {
		sizes[i] = stat(names[i], &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
		sum += (uintmax_t)sizes[i];
		if ((uintmax_t)sizes[i] > max)
			max = (uintmax_t)sizes[i];
		order[i] = i;
	}
	qsort(order, nnames, sizeof *order, bysize);
	free(sizes);
	sizes = NULL;
	if (ref)
		k = jobs;
	else {
		lanes = (uintmax_t)sha256mb_width(width);
		want = max == 0 ? 1 : (sum + lanes * max - 1) / (lanes * max);
		k = want < jobs ? (size_t)want : jobs;
	}
	return k < nnames ? k : nnames;
}

int
main(int argc, char **argv)
{
	pthread_t th[16];
	void *(*fn)(void *);
	const char *w;
	long jobs = 0;
	int c, nth, t, rc = EX_OK;
	size_t i;

	setprogname_(argv[0]);
	while ((c = getopt(argc, argv, "f:j:r")) != -1)
		switch (c) {
		case 'f':
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
	hexes = xmalloc((nnames ? nnames : 1) * sizeof *hexes);
	errs = xmalloc((nnames ? nnames : 1) * sizeof *errs);
	memset(errs, 0, (nnames ? nnames : 1) * sizeof *errs);
	nth = (int)plan((size_t)jobs);
	for (t = 1; t < nth; t++)
		if ((errno = pthread_create(&th[t], NULL, fn, NULL)) != 0)
			die(EX_OSERR, "thread: %s", strerror(errno));
	fn(NULL);
	for (t = 1; t < nth; t++)
		pthread_join(th[t], NULL);
	for (i = 0; i < nnames; i++) {
		if (errs[i] != 0) {
			fprintf(stderr, "%s: %s: %s\n", progname_(), names[i], strerror(errs[i]));
			if (rc == EX_OK)
				rc = errs[i] == ENOENT || errs[i] == EACCES ? EX_NOINPUT : EX_IOERR;
		} else if (printf("%s  %s\n", hexes[i], names[i]) < 0)
			break;
		free(names[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EX_IOERR, "standard output: %s", strerror(errno));
	free(names);
	free(order);
	free(hexes);
	free(errs);
	return rc;
}
