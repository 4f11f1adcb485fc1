/*
 * tiers-seal: verify record streams, or re-seal one that an operator
 * edited by hand (recompute its trailer after checking everything else).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-q] [file ...]\n"
	    "       %s -r [-o output] [file]\n", progname_(), progname_());
	exit(EX_USAGE);
}

static int
none(void *arg, struct ts_reader *r)
{
	(void)arg;
	(void)r;
	return 0;
}

/* Verify one stream, two threads at a time; its exit status. */
static int
verify(const char *path, int quiet)
{
	struct ts_reader r;
	char sum[MONEY_BUFSZ];
	void *args[2] = { NULL, NULL };
	long base[2];
	int c;

	if (ts_open(&r, path, NULL, 0) < 0) {
		ts_perror(&r);
		ts_close(&r);
		return r.errline < 0 ? EX_NOINPUT : EX_DATAERR;
	}
	if ((c = ts_scan(&r, 2, none, args, base)) < 0) {
		ts_perror(&r);
		ts_close(&r);
		return EX_DATAERR;
	}
	if (!quiet) {
		money_fmt(r.sum, sum);
		printf("%s\t%s\t%d\t%" PRIu64 "\t%s\t%08" PRIx32 "\n",
		    path, r.kind, r.version, r.nrec, sum, r.crc);
	}
	ts_close(&r);
	return EX_OK;
}

static void
reseal(const char *in, const char *out)
{
	struct ts_reader r;
	struct ts_writer w;
	struct pub p;
	char *meta = NULL;
	int c, fd = 1;

	if (ts_open(&r, in, NULL, 0) < 0)
		ts_fatal(&r);
	r.lax = 1;
	r.keepmeta = 1;
	if (out != NULL) {
		if (pub_open(&p, out) < 0)
			die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
		fd = p.fd;
	}
	ts_wopen(&w, fd, out ? out : "stdout", r.kind, r.version,
	    (const char *const *)r.cols, r.ncol);
	while ((c = ts_next(&r)) > 0) {
		if (c == 1) {
			ts_wcopy(&w, &r);
			continue;
		}
		meta = xrealloc(meta, r.len + 1);
		memcpy(meta, r.line, r.len);
		meta[r.len] = '\0';
		ts_wmeta(&w, meta);
	}
	if (c < 0) {
		if (out != NULL)
			pub_abort(&p);
		ts_fatal(&r);
	}
	ts_wclose(&w);
	if (out != NULL && pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	free(meta);
	ts_close(&r);
}

int
main(int argc, char *argv[])
{
	const char *out = NULL;
	int ch, quiet = 0, rflag = 0, st = EX_OK, s, i;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "o:qr")) != -1)
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			rflag = 1;
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (rflag) {
		if (argc > 1 || quiet)
			usage();
		reseal(argc ? argv[0] : "-", out);
		return EX_OK;
	}
	if (out != NULL)
		usage();
	if (argc == 0)
		st = verify("-", quiet);
	for (i = 0; i < argc; i++)
		if ((s = verify(argv[i], quiet)) > st)
			st = s;
	fshut_stdout();
	return st;
}
