/*
 * fuzz-layout: the layout loader (lay_load, formats/layout.c) on any
 * text, then the decoder with what it loaded.  The input is a layout,
 * then a line "%%", then bytes: for each record type the layout defines,
 * a record of its length is made of those bytes (repeated) with the type
 * at its place, found again by lay_find and decoded (lay_decode), as
 * noemie-decode does; lay_detect is asked of the bytes.  A layout
 * lay_load accepts must decode every record of its lengths safely.  What
 * a record decodes to, written again by lay_encode (when it writes it: a
 * record of fields that overlap is not for writing), decodes to the same.
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

/* Whether two fields of r share a byte. */
static int
overlaps(const struct lay_record *r)
{
	int i, j;

	for (i = 0; i < r->nfield; i++)
		for (j = i + 1; j < r->nfield; j++)
			if (r->f[i].off < r->f[j].off + r->f[j].len &&
			    r->f[j].off < r->f[i].off + r->f[i].len)
				return 1;
	return 0;
}

/* lay_encode of the values v of record r, decoded again with filedate. */
static void
reencode(const struct layout *l, const struct lay_record *r, const struct lay_val *v,
    int32_t filedate)
{
	static struct lay_val w[NM_NSLOT];
	const char *why;
	char *out;
	int col, i, c;

	if (overlaps(r))
		return;
	out = xmalloc((size_t)r->len + 1);
	if (lay_encode(l, r, v, out, &col, &why) == 0) {
		memset(w, 0, sizeof w);
		if (lay_decode(l, r, out, (size_t)r->len, filedate, w, &col, &why) != 0)
			fz_fail("lay_encode wrote what lay_decode refuses: column %d: %s", col, why);
		for (i = 0; i < r->nfield; i++) {
			c = r->f[i].col;
			if (c < 0 || r->f[i].fmt == LF_X || r->f[i].fmt == LF_CONST)
				continue;
			if (v[c].set != w[c].set || (v[c].set && (v[c].n != w[c].n ||
			    memcmp(v[c].text, w[c].text, v[c].n) != 0)))
				fz_fail("lay_encode then lay_decode: column %d changed", c);
		}
	} else if (col < -1 || col >= NM_NSLOT || why == NULL)
		fz_fail("lay_encode: column %d", col);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout *l;
	struct lay_val v[NM_NSLOT];
	const struct lay_record *r;
	const uint8_t *rec = NULL;
	char err[256], *text, *buf;
	const char *why, *sep;
	size_t nrec = 0, tlen = size, k;
	int i, col, d;

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if ((sep = strstr(text, "\n%%\n")) != NULL) {
		tlen = (size_t)(sep - text) + 1;
		rec = data + tlen + 3;
		nrec = size - tlen - 3;
		text[tlen] = '\0';
	}
	if ((l = lay_load("fuzz", text, nm_names, NM_NSLOT, err, sizeof err)) == NULL) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
			fz_fail("lay_load refuses without a message");
		free(text);
		return 0;
	}
	lay_detect(l, (const char *)rec, nrec);
	for (i = 0; i < l->nrec; i++) {
		size_t len = (size_t)l->rec[i].len;

		buf = xmalloc(len ? len : 1);
		for (k = 0; k < len; k++)
			buf[k] = nrec ? (char)rec[k % nrec] : ' ';
		if ((size_t)l->toff + strlen(l->rec[i].type) <= len)
			memcpy(buf + l->toff, l->rec[i].type, strlen(l->rec[i].type));
		if ((r = lay_find(l, buf, len)) != NULL && (size_t)r->len == len)
			for (d = 0; d < 2; d++) {
				memset(v, 0, sizeof v);
				if (lay_decode(l, r, buf, len, d ? 20773 : INT32_MIN, v, &col,
				    &why) == 0) {
					checkval(l, r, v);
					reencode(l, r, v, d ? 20773 : INT32_MIN);
				}
				else if (col < -1 || col >= NM_NSLOT || why == NULL)
					fz_fail("lay_decode: column %d", col);
			}
		free(buf);
	}
	lay_free(l);
	free(text);
	return 0;
}
