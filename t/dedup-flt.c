/*
 * dedup-flt [-s] ledger: for the tests and the measures, the filter
 * (filters/dedup/bloom.c) dedup -B would have written beside each
 * segment of a ledger generation written before filters, or without
 * one; -s sets every bit of each filter written, its CRC right: a filter
 * that says "maybe" of every key, all of them false positives but the
 * segment's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../filters/dedup/dedup.h"

int32_t today;
char today_s[DATE_BUFSZ];
struct hist hist;

static void
saturate(const char *path)
{
	struct stat st;
	size_t len;
	unsigned char *m;
	int fd;

	if ((fd = open(path, O_RDWR)) < 0 || fstat(fd, &st) < 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	len = (size_t)st.st_size;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	memset(m + FLTHDR, 0xff, len - FLTHDR);
	le_put32(m + 36, crc32_buf((uint32_t)crc32(0L, Z_NULL, 0), m + FLTHDR, len - FLTHDR));
	if (msync(m, len, MS_SYNC) < 0 || munmap(m, len) < 0 || close(fd) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

int
main(int argc, char *argv[])
{
	char path[PATH_MAX];
	struct herr he;
	int s, sat = 0, ch;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "s")) != -1)
		switch (ch) {
		case 's': sat = 1; break;
		default: die(EX_USAGE, "usage: dedup-flt [-s] ledger");
		}
	if (argc - optind != 1)
		die(EX_USAGE, "usage: dedup-flt [-s] ledger");
	hist.ledger = 1;
	hist.rsz = LEDSZ;
	hist.cutoff = INT32_MIN;
	if (loadhist(&hist, argv[optind], 0, &he) < 0)
		hfatal(&he);
	for (s = 0; s < hist.nseg; s++) {
		const struct seg *sg = &hist.seg[s];

		if (sg->flt != NULL)
			continue;
		fltwrite(argv[optind], sg->name, sg->map, sg->n, sg->rsz, sg->crc);
		fltpath(path, sizeof path, argv[optind], sg->name);
		tmp_untrack(path);
		if (sat)
			saturate(path);
		printf("%s: %llu records\n", path, (unsigned long long)sg->n);
	}
	closehist(&hist);
	return 0;
}
