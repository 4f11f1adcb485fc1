/*
 * tiers-publish: put a finished directory under its final name in one
 * step, so that whatever the moment of a crash the final name holds
 * either the old version whole or the new one whole, never neither.
 */
#define _GNU_SOURCE	/* renameat2(2) and its flags */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s new final\n", progname_());
	exit(EX_USAGE);
}

/* The directory that holds path, for its fsync. */
static char *
parent(const char *path)
{
	char *d, *p;

	d = xstrdup(path);
	while ((p = strrchr(d, '/')) != NULL && p[1] == '\0' && p != d)
		*p = '\0';
	if ((p = strrchr(d, '/')) == NULL) {
		free(d);
		return xstrdup(".");
	}
	if (p == d)
		p[1] = '\0';
	else
		*p = '\0';
	return d;
}

/*
 * The new entries must reach the disk before the caller removes the old
 * version: fsync the directory that holds them.  The names are already
 * exchanged when this runs, so a failure is a warning, not a refusal.
 */
static void
syncdir(const char *path)
{
	char *d;
	int fd;

	d = parent(path);
	if ((fd = open(d, O_RDONLY | O_DIRECTORY)) < 0 || fsync(fd) < 0)
		warn_at(d, 0, NULL, "published, but not synchronised: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(d);
}

int
main(int argc, char *argv[])
{
	struct stat st;
	const char *new, *final;

	setprogname_(argv[0]);
	if (getopt(argc, argv, "") != -1)
		usage();
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	new = argv[0];
	final = argv[1];

	if (lstat(new, &st) < 0)
		die_at(EX_NOINPUT, new, 0, NULL, "%s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die_at(EX_NOINPUT, new, 0, NULL, "not a directory");
	if (lstat(final, &st) < 0) {
		if (errno != ENOENT)
			die_at(EX_IOERR, final, 0, NULL, "%s", strerror(errno));
		/* First publication: a plain rename, refusing to replace. */
		if (renameat2(AT_FDCWD, new, AT_FDCWD, final, RENAME_NOREPLACE) < 0)
			die_at(EX_IOERR, final, 0, NULL, "cannot publish: %s", strerror(errno));
		syncdir(final);
		return EX_OK;
	}
	if (!S_ISDIR(st.st_mode))
		die_at(EX_CANTCREAT, final, 0, NULL, "exists and is not a directory");
	/*
	 * A later attempt at the same name: the two swap in one step; the old
	 * version is then under the new one's name, for the caller to remove.
	 */
	if (renameat2(AT_FDCWD, new, AT_FDCWD, final, RENAME_EXCHANGE) < 0)
		die_at(EX_IOERR, final, 0, NULL, "cannot exchange with %s: %s", new,
		    errno == EINVAL ? "the file system cannot exchange names atomically" :
		    strerror(errno));
	syncdir(final);
	return EX_OK;
}
