/*
 * fuzz-bindex: the reader of a master's index (bx_open, bx_bucket,
 * bx_entry, bx_verify, formats/benefkey.c; benef-index(5)) on any bytes,
 * against a small master.  The bytes are the index; the harness writes
 * the master's size and header CRC-32 into them (as a real index of that
 * master holds) and, when the directory's size allows it, the entry
 * count that matches the file's length, so that the fuzzer gets past the
 * checks a random file fails at once.  Whatever bx_open accepts must be
 * read in full safely: every bucket's bounds within the entries, each
 * entry, the CRC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"

/* A master of two beneficiaries (t/fuzz/seeds.sh indexes it, a seed). */
static const char master[] =
    "#tiers\tbenef-master\t1\tamc\tnir\tnir_key\tbenef_nir\tbirth_date\trang\tadherent\n"
    "877370001\t2880955438794\t04\t\t1988-09-11\t1\t5300000001\n"
    "877370001\t1101045072996\t02\t\t2010-10-29\t1\t5300000001\n"
    "#end\t2\t0.00\tc72660ab\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ts_reader m;
	static int opened;
	struct bx x;
	unsigned char *ix;
	uint64_t lo, hi, h, ref, i, nb, rest;
	const char *mpath, *xpath;
	int bits, k;

	/* The master, opened and mapped once: it does not change. */
	if (!opened) {
		mpath = fz_file(0, master, sizeof master - 1, NULL);
		if (ts_open(&m, mpath, NULL, 0) < 0 || ts_map(&m) < 0)
			die(EX_SOFTWARE, "the master: %s", m.errmsg);
		opened = 1;
	}
	ix = xmalloc(size ? size : 1);
	memcpy(ix, data, size);
	if (size >= BX_HDR) {
		le_put64(ix + 24, m.maplen);
		le_put32(ix + 52, (uint32_t)crc32(0L, (const Bytef *)m.map, (uInt)m.hdrlen));
		bits = (int)le_get32(ix + 12);
		if (bits >= 1 && bits <= 40) {
			nb = ((uint64_t)1 << bits) + 1;
			if (size >= BX_HDR + 4 && nb <= (size - BX_HDR - 4) / 8) {
				rest = size - BX_HDR - 4 - 8 * nb;
				if (rest % 16 == 0)
					le_put64(ix + 16, rest / 16);
			}
		}
	}
	xpath = fz_file(1, ix, size, NULL);
	free(ix);
	if (bx_open(&x, xpath, &m) == 0) {
		nb = (uint64_t)1 << x.bits;
		for (k = 0; k < 64; k++) {
			h = (uint64_t)k << 58 | (uint64_t)k * 0x9e3779b97f4a7c15ULL >> 6;
			bx_bucket(&x, h, &lo, &hi);
			if (lo > hi || hi > x.n)
				fz_fail("bucket [%llu, %llu) of %llu entries",
				    (unsigned long long)lo, (unsigned long long)hi,
				    (unsigned long long)x.n);
			for (i = lo; i < hi; i++)
				bx_entry(&x, i, &h, &ref);
		}
		bx_bucket(&x, UINT64_MAX, &lo, &hi);
		if (lo > hi || hi > x.n)
			fz_fail("last bucket out of the entries");
		(void)nb;
		bx_verify(&x);
	} else if (x.err[0] == '\0')
		fz_fail("bx_open refuses without a message");
	bx_close(&x);
	return 0;
}
