/*
 * Atomic publication.  A file appears under its final name complete or
 * not at all: it is written under a hidden temporary name in the same
 * directory (so rename(2) cannot cross file systems), created 0600 since
 * it may hold health data, synced, renamed, and the directory synced so
 * that the rename itself survives a crash.
 */
#define _GNU_SOURCE	/* syncfs(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

static char *
dirof(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	d = xmalloc((size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

/*
 * rename(2) replaces whatever has the final name: a device node, a FIFO
 * or a symbolic link would become a regular file.  Only a regular file
 * may be replaced; anything else is left as it is and refused.
 */
static void
replaceable(const char *final)
{
	struct stat st;
	const char *what;

	if (lstat(final, &st) < 0 || S_ISREG(st.st_mode))
		return;
	if (S_ISDIR(st.st_mode))
		what = "a directory";
	else if (S_ISLNK(st.st_mode))
		what = "a symbolic link";
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		what = "a device";
	else if (S_ISFIFO(st.st_mode))
		what = "a FIFO";
	else
		what = "not a regular file";
	die(EX_CANTCREAT, "%s: exists and is %s: not replaced", final, what);
}

int
pub_open(struct pub *p, const char *final)
{
	const char *base = strrchr(final, '/');
	char *dir;
	size_t n;
	int fd;

	memset(p, 0, sizeof *p);
	p->fd = -1;
	base = base ? base + 1 : final;
	if (*base == '\0') {
		errno = EISDIR;
		return -1;
	}
	replaceable(final);
	dir = dirof(final);
	n = strlen(dir) + strlen(base) + 16;
	p->tmp = xmalloc(n);
	snprintf(p->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(dir);
	/* mkstemp creates the file 0600 whatever the umask. */
	if ((fd = mkstemp(p->tmp)) < 0) {
		free(p->tmp);
		p->tmp = NULL;
		return -1;
	}
	/* An exit or a signal before the commit removes it (tmp.c). */
	tmp_track(p->tmp, 0);
	p->fd = fd;
	p->final = xstrdup(final);
	return 0;
}

/* Written whole: closed now, synced by pub_syncfs, renamed by pub_rename. */
int
pub_ready(struct pub *p)
{
	int e;

	if (p->fd < 0)
		return 0;
	if (close(p->fd) < 0) {
		e = errno;
		p->fd = -1;
		pub_abort(p);
		errno = e;
		return -1;
	}
	p->fd = -1;
	return 0;
}

/* fsync(2) or syncfs(2) of the directory of final. */
static int
dirsync(const char *final, int (*f)(int))
{
	char *dir = dirof(final);
	int dfd, e;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	e = dfd < 0 || f(dfd) < 0 ? errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

int
pub_syncdir(const char *final)
{
	return dirsync(final, fsync);
}

int
pub_syncfs(const char *final)
{
	return dirsync(final, syncfs);
}

int
pub_syncfs_once(const char *path, const char *final)
{
	/* The file systems synced; beyond 16, synced again (no harm). */
	static dev_t done[16];
	static size_t ndone;
	struct stat st;
	size_t i;

	if (stat(path, &st) < 0)
		return -1;
	for (i = 0; i < ndone; i++)
		if (done[i] == st.st_dev)
			return 0;
	if (pub_syncfs(final) < 0)
		return -1;
	if (ndone < sizeof done / sizeof done[0])
		done[ndone++] = st.st_dev;
	return 0;
}

int
pub_rename(struct pub *p)
{
	int e;

	/* Not made ready: synced here, as pub_commit always did. */
	if (p->fd >= 0 && (fsync(p->fd) < 0 || pub_ready(p) < 0)) {
		e = errno;
		pub_abort(p);
		errno = e;
		return -1;
	}
	/* Again: something may have taken the name since pub_open. */
	replaceable(p->final);
	if (rename(p->tmp, p->final) < 0) {
		e = errno;
		pub_abort(p);
		errno = e;
		return -1;
	}
	tmp_untrack(p->tmp);
	free(p->tmp);
	free(p->final);
	p->tmp = p->final = NULL;
	return 0;
}

int
pub_commit(struct pub *p)
{
	char *final = xstrdup(p->final);
	int r = pub_rename(p) < 0 ? -1 : pub_syncdir(final);

	free(final);
	return r;
}

void
pub_abort(struct pub *p)
{
	if (p->fd >= 0)
		close(p->fd);
	if (p->tmp != NULL) {
		unlink(p->tmp);
		tmp_untrack(p->tmp);
	}
	free(p->tmp);
	free(p->final);
	p->fd = -1;
	p->tmp = p->final = NULL;
}
