/*
 * fuzz-zin: plain or gzip input (zin_read, formats/zin.c) and the line
 * reader over it (lines_next, formats/lines.c) on any bytes.  Plain
 * input (not starting 1f 8b) must come back byte for byte, through
 * zin_read at odd buffer sizes and as lines joined by their newlines;
 * gzip input must give the same bytes both ways, or fail both ways.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zin *z;
	struct lines l;
	const char *path, *why;
	char *out = NULL, *line, *joined = NULL;
	size_t nout = 0, cap = 0, nj = 0, capj = 0, len, step;
	int fd, k, c, zerr = 0, lerr = 0, gz;

	path = fz_file(0, data, size, NULL);
	gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	/* zin_read at buffer sizes 1, 2, 3... 64, then 4096. */
	if ((fd = open(path, O_RDONLY)) < 0)
		fz_fail("open %s", path);
	z = zin_open(fd);
	for (step = 1;; step = step < 64 ? step + 1 : 4096) {
		if (nout + step > cap)
			out = xrealloc(out, cap = (nout + step) * 2);
		if ((k = zin_read(z, out + nout, step, &why)) < 0) {
			if (why == NULL || why[0] == '\0')
				fz_fail("zin_read fails without a reason");
			zerr = 1;
			break;
		}
		if (k == 0)
			break;
		if ((size_t)k > step)
			fz_fail("zin_read gives %d bytes for %zu", k, step);
		nout += (size_t)k;
	}
	if (zerr == 0 && zin_read(z, out, 1, &why) != 0)
		fz_fail("zin_read: data after its end");
	zin_close(z);
	if (!gz && (zerr || nout != size || memcmp(out, data, size) != 0))
		fz_fail("plain input not given back as it is");

	/* The same through lines_next, lines joined again. */
	if (lines_open(&l, path) < 0)
		fz_fail("lines_open %s", path);
	while ((c = lines_next(&l, &line, &len, &why)) == 1) {
		if (nj + len + 1 > capj)
			joined = xrealloc(joined, capj = (nj + len + 1) * 2);
		memcpy(joined + nj, line, len);
		nj += len;
		if (!l.nonl)
			joined[nj++] = '\n';
	}
	if (c < 0) {
		if (why == NULL || why[0] == '\0')
			fz_fail("lines_next fails without a reason");
		lerr = 1;
	}
	lines_close(&l);
	/* A line too long is the line reader's refusal alone. */
	if (!lerr && (zerr || nj != nout || (nj && memcmp(joined, out, nj) != 0)))
		fz_fail("zin_read and lines_next read different bytes");
	if (lerr && !zerr && strcmp(why, "line too long") != 0)
		fz_fail("lines_next fails (%s) where zin_read does not", why);
	free(out);
	free(joined);
	return 0;
}
