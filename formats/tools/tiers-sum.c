/*
 * tiers-sum: the SHA-256 of files, as sha256sum(1) prints them ("HEX  name"
 * in the order given), hashed by libcrypto and several threads at once.
 * The nightly's MANIFEST, the receipt of the inbox and tiers-verify hash
 * a day's files with it: over a gigabyte a day, where sha256sum's own
 * SHA-256 was a quarter of the night's processor time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-j jobs] [-f list] [file ...]\n", progname_());
	exit(EX_USAGE);
}

static char **names;
static size_t nnames, cap;
static char (*hexes)[SHA256_HEXSZ];
static int *errs;
static size_t next;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

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

static void *
work(void *arg)
{
	size_t i;
	int fd;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		i = next++;
		pthread_mutex_unlock(&mu);
		if (i >= nnames)
			return NULL;
		if ((fd = open(names[i], O_RDONLY | O_CLOEXEC)) < 0) {
			errs[i] = errno;
			continue;
		}
		if (sha256_fd(fd, hexes[i]) < 0)
			errs[i] = errno;
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	pthread_t th[16];
	long jobs = 0;
	int c, nth, t, rc = EX_OK;
	size_t i;

	setprogname_(argv[0]);
	while ((c = getopt(argc, argv, "j:f:")) != -1)
		switch (c) {
		case 'j':
			if (int_parse(optarg, strlen(optarg), 1, 16, &jobs) < 0)
				die(EX_USAGE, "-j %s: not a number of jobs from 1 to 16", optarg);
			break;
		case 'f':
			readlist(optarg);
			break;
		default:
			usage();
		}
	for (; optind < argc; optind++)
		add(argv[optind], strlen(argv[optind]));
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
	nth = (size_t)jobs < nnames ? (int)jobs : (int)nnames;
	for (t = 1; t < nth; t++)
		if ((errno = pthread_create(&th[t], NULL, work, NULL)) != 0)
			die(EX_OSERR, "thread: %s", strerror(errno));
	work(NULL);
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
	free(hexes);
	free(errs);
	return rc;
}
