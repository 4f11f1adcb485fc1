/*
 * fuzz-decode: the fixed-width decoder (lay_find, lay_decode,
 * lay_detect, formats/layout.c) with the built-in layouts (B2, NOEMIE
 * 580) on any bytes.  Each line is a record of the fixed framing, and a
 * NOEMIE line (a 4-digit length, then entities separated by '@'): each
 * record lay_find knows and of its length is decoded, as noemie-decode
 * does, against the file date of the last opening record decoded.  What
 * the file's structure means (levels, totals) is fuzz-noemie's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "layout.h"
#include "fuzz.h"
#include "noemie.h"
#include "check.h"

static struct layout *lays[8];
static int nlays;

static void
loadall(void)
{
	char err[256];
	int i;

	for (i = 0; i < lay_nbuiltins && i < 8; i++)
		if ((lays[nlays++] = lay_load(lay_builtins[i].name, lay_builtins[i].text,
		    nm_names, NM_NSLOT, err, sizeof err)) == NULL)
			die(EX_SOFTWARE, "%s", err);
}

static int32_t filedate = INT32_MIN;

static void
one(const struct layout *l, const char *p, size_t n)
{
	struct lay_val v[NM_NSLOT];
	const struct lay_record *r;
	const char *why;
	int col, fd;

	if ((r = lay_find(l, p, n)) == NULL || (size_t)r->len != n)
		return;
	memset(v, 0, sizeof v);
	if (lay_decode(l, r, p, n, filedate, v, &col, &why) < 0) {
		if (col < -1 || col >= NM_NSLOT || why == NULL)
			fz_fail("lay_decode: column %d", col);
		return;
	}
	checkval(l, r, v);
	for (fd = 0; fd < NM_NSLOT; fd++)
		if (strcmp(nm_names[fd], "file_date") == 0 && v[fd].set && (r->roles & LR_OPEN))
			filedate = v[fd].date;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *e, *q;
	int i;

	if (nlays == 0)
		loadall();
	filedate = INT32_MIN;
	for (i = 0; i < nlays; i++)
		lay_detect(lays[i], p, size);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		for (i = 0; i < nlays; i++) {
			if (lays[i]->framing == LAY_FIXED) {
				one(lays[i], p, (size_t)(nl - p));
				continue;
			}
			if (nl - p < 4)
				continue;
			lay_detect(lays[i], p + 4, (size_t)(nl - p - 4));
			for (q = p + 4; q < nl; q = e + 1) {
				if ((e = memchr(q, '@', (size_t)(nl - q))) == NULL)
					e = nl;
				one(lays[i], q, (size_t)(e - q));
			}
		}
		if (nl == end)
			break;
	}
	return 0;
}
