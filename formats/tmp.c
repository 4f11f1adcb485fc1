/*
 * Temporary files hold health data: none may outlive its program.  Their
 * names are kept here and removed at exit, die() included, and on
 * SIGHUP, SIGINT and SIGTERM.  A program's scratch files go in a
 * directory of its own under $TMPDIR, mode 0700, removed with whatever
 * is in it; a child working there, sort(1), is sent the signal and
 * waited for first, so that it removes its own files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tiers.h"

/*
 * The names, in a table that a signal handler may read: chunks of
 * CHUNK slots, allocated zeroed as needed and never moved nor freed; a
 * slot is filled once its string is complete and emptied before it is
 * freed.  A day's payments publish a statement a PS, thousands of
 * temporaries at once: up to NCHUNK * CHUNK.
 */
#define CHUNK 256
#define NCHUNK 4096
struct slot {
	char *volatile name;
	volatile sig_atomic_t isdir;
};
static struct slot *volatile chunks[NCHUNK];
static volatile sig_atomic_t nslots;	/* allocated */
static int freehint, findhint;	/* where a free slot, a name, may be */
static volatile pid_t child;
static char *scratch;

#define SLOT(i) (&chunks[(i) / CHUNK][(i) % CHUNK])

/*
 * Threads (liquidate's, dedup's, payment-edit's) make and forget
 * temporaries while others run, and any of them may die(): the table is
 * changed under a lock, which the exit's cleanup takes too, and keeps,
 * so that no name is freed under it nor added after it.  A thread that
 * dies holding the lock (a die() within) has it already: a count of its
 * own holds.  The signal handler takes no lock: a handler may not; it
 * reads the table as it stands, as it was made to be read.
 */
static pthread_mutex_t tmu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int held;

static void
tlock(void)
{
	if (held++ == 0)
		pthread_mutex_lock(&tmu);
}

static void
tunlock(void)
{
	if (--held == 0)
		pthread_mutex_unlock(&tmu);
}

/* Remove what a directory holds (one level: scratch directories are flat). */
static void
empty(const char *dir)
{
	char path[4096];
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0 &&
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, d->d_name) < sizeof path)
			unlink(path);
	closedir(dp);
}

/*
 * Files first, then directories, the last made first.  In a signal
 * handler only unlink and rmdir are safe: a directory holds then only
 * the files named here, and the child's, which it removed itself.
 */
static void
removeall(int insignal)
{
	char *s;
	int i, n = nslots;

	for (i = n - 1; i >= 0; i--)
		if ((s = SLOT(i)->name) != NULL && !SLOT(i)->isdir)
			unlink(s);
	for (i = n - 1; i >= 0; i--)
		if ((s = SLOT(i)->name) != NULL && SLOT(i)->isdir) {
			if (!insignal)
				empty(s);
			rmdir(s);
		}
}

static void
atexit_cleanup(void)
{
	tlock();
	removeall(0);
}

static void
onsignal(int sig)
{
	int e = errno;
	pid_t pid = child;

	if (pid > 0) {
		kill(pid, sig);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	removeall(1);
	errno = e;
	/* SA_RESETHAND: the default action, once this handler returns. */
	raise(sig);
}

static const int sigs[] = { SIGHUP, SIGINT, SIGTERM };
#define NSIG_ (int)(sizeof sigs / sizeof sigs[0])

/*
 * Once a process, whichever thread tracks its first temporary (liquidate
 * starts threads that make them while the main thread does too: a plain
 * flag was a race, which ThreadSanitizer found).
 */
static void
setup_once(void)
{
	struct sigaction sa, old;
	int i;

	atexit(atexit_cleanup);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = onsignal;
	sa.sa_flags = SA_RESETHAND;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < NSIG_; i++) {
		/* A signal ignored (nohup) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static void
setup(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, setup_once);
}

void
tmp_track(const char *path, int dir)
{
	char *s;
	int i;

	setup();
	s = xstrdup(path);
	tlock();
	for (i = freehint; i < nslots && SLOT(i)->name != NULL; i++)
		;
	if (i == nslots) {
		if (nslots == NCHUNK * CHUNK)
			die(EX_SOFTWARE, "%s: more than %d temporary files", path, NCHUNK * CHUNK);
		struct slot *c = xmalloc(CHUNK * sizeof *c);

		memset(c, 0, CHUNK * sizeof *c);
		chunks[nslots / CHUNK] = c;
		/* The handler may see the slots once they are counted. */
		nslots += CHUNK;
	}
	SLOT(i)->isdir = dir;
	SLOT(i)->name = s;
	freehint = i + 1;
	tunlock();
}

static void
forget(int i)
{
	char *s = SLOT(i)->name;

	SLOT(i)->name = NULL;
	free(s);
	if (i < freehint)
		freehint = i;
}

/* A directory forgotten, the names under it are forgotten too. */
void
tmp_untrack(const char *path)
{
	size_t n = strlen(path);
	char *s;
	int i = 0, k, dir;

	tlock();
	/* The name, looked for from where the last one was found. */
	for (k = 0; k < nslots; k++) {
		i = (findhint + k) % nslots;
		if ((s = SLOT(i)->name) != NULL && strcmp(s, path) == 0)
			break;
	}
	if (k == nslots) {
		tunlock();
		return;
	}
	findhint = i + 1;
	dir = SLOT(i)->isdir;
	forget(i);
	/* A directory: the names under it too. */
	for (i = 0; dir && i < nslots; i++)
		if ((s = SLOT(i)->name) != NULL && strncmp(s, path, n) == 0 && s[n] == '/')
			forget(i);
	tunlock();
}

const char *
tmp_dir(void)
{
	const char *t;
	size_t n;

	/* Made once, whichever thread asks first. */
	tlock();
	if (scratch == NULL) {
		if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
			t = "/tmp";
		n = strlen(t) + strlen(progname_()) + 9;
		scratch = xmalloc(n);
		snprintf(scratch, n, "%s/%s.XXXXXX", t, progname_());
		/* mkdtemp: mode 0700 whatever the umask. */
		if (mkdtemp(scratch) == NULL)
			die(EX_CANTCREAT, "%s: %s", scratch, strerror(errno));
		tmp_track(scratch, 1);
	}
	tunlock();
	return scratch;
}

int
tmp_open(const char *name, char **path)
{
	const char *d = tmp_dir();
	size_t n = strlen(d) + strlen(name) + 2;
	int fd;

	*path = xmalloc(n);
	snprintf(*path, n, "%s/%s", d, name);
	if ((fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", *path, strerror(errno));
	tmp_track(*path, 0);
	return fd;
}

/*
 * The signals are blocked across the fork: the parent knows its child
 * before any handler may run, and the child gets back the default
 * actions (it must not remove the parent's files) before it execs.
 */
pid_t
tmp_fork(void)
{
	struct sigaction sa, old;
	sigset_t set, oset;
	pid_t pid;
	int i, e;

	setup();
	sigemptyset(&set);
	for (i = 0; i < NSIG_; i++)
		sigaddset(&set, sigs[i]);
	pthread_sigmask(SIG_BLOCK, &set, &oset);
	pid = fork();
	e = errno;
	if (pid == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_DFL;
		for (i = 0; i < NSIG_; i++)
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
				sigaction(sigs[i], &sa, NULL);
	} else if (pid > 0)
		child = pid;
	pthread_sigmask(SIG_SETMASK, &oset, NULL);
	errno = e;
	return pid;
}

int
tmp_wait(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	if (pid == child)
		child = 0;
	return r < 0 ? -1 : 0;
}
