/*
 * fuzz-parse: the small parsers of formats/ on any bytes, with the
 * properties their callers rely on: money_parse (money.c) reads back
 * what money_fmt writes of it; date_parse (date.c) accepts exactly what
 * date_fmt writes; text_bad and ts_badbyte (stream.c) refuse the same
 * text; int_parse, the identifier keys (ident.c) and xmlmsg (diag.c)
 * take any bytes safely.  Every parser sees every input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char buf[MONEY_BUFSZ > DATE_BUFSZ ? MONEY_BUFSZ : DATE_BUFSZ], *z, msg[512];
	int64_t c, c2, r;
	int32_t d;
	long v;
	int e, key, y, m, dd;
	size_t n;

	if ((e = money_parse(s, size, &c)) == M_OK) {
		n = money_fmt(c, buf);
		if (n != strlen(buf) || money_parse(buf, n, &c2) != M_OK || c2 != c)
			fz_fail("money %lld written %s", (long long)c, buf);
		/* Canonical: the text written is the text read. */
		if (n != size || memcmp(buf, s, n) != 0)
			fz_fail("money read and written differ: %s", buf);
		money_add(&r, c, c);
		money_sub(&r, c, c);
		money_rate(&r, c, size > 4 ? (int64_t)(data[size - 1] * 100) : 7000);
	} else if (money_strerror(e) == NULL)
		fz_fail("money_strerror");
	if (date_parse(s, size, &d) == 0) {
		date_fmt(d, buf);
		if (size != 10 || memcmp(buf, s, 10) != 0)
			fz_fail("date read and written differ: %s", buf);
		date_to_ymd(d, &y, &m, &dd);
		if (!date_valid(y, m, dd) || date_from_ymd(y, m, dd) != d)
			fz_fail("day %ld does not come back", (long)d);
		date_wday(d);
		date_holiday(d);
		date_business(d);
		date_next_business(d);
		date_prev_business(d);
	}
	/* The reader's text check and the writer's agree. */
	if ((text_bad(s, size) == NULL) != (ts_badbyte(s, size, 0) == size))
		fz_fail("text_bad and ts_badbyte disagree");
	if (int_parse(s, size, -99999, 99999, &v) == 0 && (v < -99999 || v > 99999))
		fz_fail("int_parse out of its range");
	int_parse(s, size, 1, 99999, &v);
	nir_valid(s, size);
	iban_valid(s, size);
	rib_valid(s, size);
	luhn_valid(s, size);
	luhn_key(s, size);
	siren_valid(s, size);
	siret_valid(s, size);
	rpps_valid(s, size);
	adeli_valid(s, size);
	finess_valid(s, size);
	/*
	 * nir_key and rib_key read fixed widths but stop at the first
	 * malformed byte: a short NUL-ended string is safe.  A key they
	 * give makes a valid identifier.
	 */
	z = xmalloc(size + 16);
	memcpy(z, s, size);
	z[size] = '\0';
	if (nir_key(z, &key) == 0) {
		if (key < 1 || key > 97)
			fz_fail("NIR key %d", key);
		snprintf(z + 13, 3, "%02d", key);
		if (!nir_valid(z, 15))
			fz_fail("the NIR with its key is not valid");
		memcpy(z, s, size);
		z[size] = '\0';
	}
	if (rib_key(z, z + (size < 5 ? size : 5), z + (size < 10 ? size : 10), &key) == 0 &&
	    (key < 1 || key > 97))
		fz_fail("RIB key %d", key);
	if (size < 64 && (key = luhn_key(s, size)) >= 0) {
		memcpy(z, s, size);
		z[size] = (char)('0' + key);
		if (!luhn_valid(z, size + 1))
			fz_fail("Luhn key %d does not make a valid number", key);
		z[size] = '\0';
	}
	/* A libxml2 message, in any buffer size. */
	xmlmsg(msg, sizeof msg, z);
	if (memchr(msg, '\0', sizeof msg) == NULL)
		fz_fail("xmlmsg: no NUL");
	xmlmsg(msg, size % 64 + 1, z);
	if (memchr(msg, '\0', size % 64 + 1) == NULL)
		fz_fail("xmlmsg: no NUL in a short buffer");
	free(z);
	return 0;
}
