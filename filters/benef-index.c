/*
 * benef-index: the index of a beneficiary master generation
 * (benef-index(5)), so that liquidate finds the beneficiaries of the
 * day's claims without reading the whole master: every identity key of
 * every record, hashed, with the record's offset in the file, sorted on
 * the hash and bucketed on its high bits.  The master is checked whole
 * (count, control sum, CRC-32, every line and every key field) as it is
 * read, by two threads; the index records its size, header and trailer,
 * so that a reader can tell the master it was made of.
 *
 * Memory: 16 bytes a key, three keys a beneficiary, twice while sorting:
 * about 100 bytes a beneficiary, 480 MB for five million.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

#define NPARTS 2

struct part {
	const int *c;
	const char *map;
	struct bx_ent *e;
	size_t n, cap;
};

static int
rec(void *arg, struct ts_reader *r)
{
	struct part *p = arg;
	struct bk_rec m;
	uint64_t h[BK_NKIND], off;

	if (bk_fields(r, p->c, &m) < 0)
		return -1;
	bk_hashes(&m, h);
	off = (uint64_t)(r->line - p->map);
	bx_add(&p->e, &p->n, &p->cap, h, off);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s -o index master\n", progname_());
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *out = NULL;
	struct ts_reader r;
	struct part pt[NPARTS];
	void *args[NPARTS];
	long base[NPARTS];
	int c[BK_NCOL], ch, bits, i;
	uint64_t n, nb, k, *dir, b;
	struct bx_ent *e, x;
	struct pub pb;
	size_t j, m;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "o:")) != -1)
		switch (ch) {
		case 'o': out = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (out == NULL || argc != 1)
		usage();
	if (ts_open(&r, argv[0], "benef-master", 1) < 0 || ts_map(&r) < 0)
		ts_fatal(&r);
	bk_cols(&r, c);
	if (pub_open(&pb, out) < 0)
		die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
	memset(pt, 0, sizeof pt);
	for (i = 0; i < NPARTS; i++) {
		pt[i].c = c;
		pt[i].map = r.map;
		args[i] = &pt[i];
	}
	if (ts_scan(&r, NPARTS, rec, args, base) < 0)
		ts_fatal(&r);

	/* Into buckets on the high bits of the hash, then each bucket sorted. */
	for (i = 0, n = 0; i < NPARTS; i++)
		n += pt[i].n;
	for (bits = 1; bits < 40 && ((uint64_t)1 << bits) * 8 < n; bits++)
		;
	nb = (uint64_t)1 << bits;
	dir = xmalloc((nb + 1) * sizeof *dir);
	memset(dir, 0, (nb + 1) * sizeof *dir);
	for (i = 0; i < NPARTS; i++)
		for (j = 0; j < pt[i].n; j++)
			dir[(pt[i].e[j].h >> (64 - bits)) + 1]++;
	for (b = 0; b < nb; b++)
		dir[b + 1] += dir[b];
	e = xmalloc((n ? n : 1) * sizeof *e);
	for (i = 0; i < NPARTS; i++) {
		for (j = 0; j < pt[i].n; j++)
			e[dir[pt[i].e[j].h >> (64 - bits)]++] = pt[i].e[j];
		free(pt[i].e);
	}
	/* dir[b] is now the end of bucket b: shift it back to the starts. */
	memmove(dir + 1, dir, nb * sizeof *dir);
	dir[0] = 0;
	for (b = 0; b < nb; b++)
		for (k = dir[b] + 1; k < dir[b + 1]; k++) {
			x = e[k];
			for (m = (size_t)k; m > dir[b] && bx_entcmp(&e[m - 1], &x) > 0; m--)
				e[m] = e[m - 1];
			e[m] = x;
		}

	bx_write(pb.fd, out, bits, dir, e, n, r.maplen, r.nrec, r.sum, r.crc,
	    crc32_buf(0, r.map, r.hdrlen));
	if (pub_commit(&pb) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	fprintf(stderr, "%s: %llu beneficiaries, %llu keys in %llu buckets\n", progname_(),
	    (unsigned long long)r.nrec, (unsigned long long)n, (unsigned long long)nb);
	ts_close(&r);
	free(e);
	free(dir);
	return 0;
}
