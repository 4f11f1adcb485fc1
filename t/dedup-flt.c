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
#include <unistd.h>

#include "../filters/dedup/dedup.h"

int32_t today;
char today_s[DATE_BUFSZ];
struct hist hist;

static void
saturate(const char *path, uint64_t nb)
{
	size_t len = FLTHDR + nb * FLTBLK;
	unsigned char *m;
	int fd;

	if ((fd = open(path, O_RDWR)) < 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
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
	struct fltw *f = xmalloc(sizeof *f);
	struct herr he;
	struct key k;
	size_t i;
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
		fltopen(f, argv[optind], sg->name, sg->n);
		for (i = 0; i < sg->n; i++) {
			getkey(sg, i, &k);
			fltadd(f, k.hi, k.lo);
		}
		fltclose(f, sg->n, sg->crc);
		tmp_untrack(f->path);
		if (sat)
			saturate(f->path, f->nb);
		printf("%s: %llu records, %llu blocks\n", f->path, (unsigned long long)sg->n,
		    (unsigned long long)f->nb);
	}
	closehist(&hist);
	free(f);
	return 0;
}
