/*
 * unit-lib: table-driven unit tests of the formats library, printing TAP.
 * Each table row is "function<TAB>input<TAB>expected"; blank lines and
 * lines starting with '#' are ignored.  Built-in loops follow the tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"

static int ntest, nfail;

static void
report(int ok, const char *what, const char *in, const char *want, const char *got)
{
	ntest++;
	if (ok) {
		printf("ok %d - %s '%s'\n", ntest, what, in);
		return;
	}
	nfail++;
	printf("not ok %d - %s '%s'\n#   want '%s'\n#   got  '%s'\n",
	    ntest, what, in, want, got);
}

static const char *
merr(int e)
{
	switch (e) {
	case M_OK: return "ok";
	case M_EMPTY: return "empty";
	case M_SYNTAX: return "syntax";
	case M_COMMA: return "comma";
	case M_DECIMALS: return "decimals";
	case M_OVERFLOW: return "overflow";
	case M_ZERO: return "zero";
	}
	return "?";
}

static int
getdate(const char *s, int32_t *d)
{
	return date_parse(s, strlen(s), d);
}

/* Evaluate one function on one input; the result as text in out. */
static int
eval(const char *fn, const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);
	int32_t d;
	int64_t c, a, b;
	long long x, y;
	int k;
	char buf[64];
	const char *s;

	if (strcmp(fn, "nir") == 0)
		snprintf(out, outsz, "%d", nir_valid(in, n));
	else if (strcmp(fn, "nirkey") == 0) {
		if (nir_key(in, &k) < 0 || n != 13)
			snprintf(out, outsz, "bad");
		else
			snprintf(out, outsz, "%02d", k);
	} else if (strcmp(fn, "iban") == 0)
		snprintf(out, outsz, "%d", iban_valid(in, n));
	else if (strcmp(fn, "rib") == 0)
		snprintf(out, outsz, "%d", rib_valid(in, n));
	else if (strcmp(fn, "ribkey") == 0) {
		if (n != 21 || rib_key(in, in + 5, in + 10, &k) < 0)
			snprintf(out, outsz, "bad");
		else
			snprintf(out, outsz, "%02d", k);
	} else if (strcmp(fn, "luhn") == 0)
		snprintf(out, outsz, "%d", luhn_valid(in, n));
	else if (strcmp(fn, "luhnkey") == 0) {
		int lk = luhn_key(in, n);

		if (lk < 0)
			snprintf(out, outsz, "bad");
		else
			snprintf(out, outsz, "%d", lk);
	}
	else if (strcmp(fn, "siren") == 0)
		snprintf(out, outsz, "%d", siren_valid(in, n));
	else if (strcmp(fn, "siret") == 0)
		snprintf(out, outsz, "%d", siret_valid(in, n));
	else if (strcmp(fn, "rpps") == 0)
		snprintf(out, outsz, "%d", rpps_valid(in, n));
	else if (strcmp(fn, "adeli") == 0)
		snprintf(out, outsz, "%d", adeli_valid(in, n));
	else if (strcmp(fn, "finess") == 0)
		snprintf(out, outsz, "%d", finess_valid(in, n));
	else if (strcmp(fn, "bic") == 0)
		snprintf(out, outsz, "%d", bic_valid(in, n));
	else if (strcmp(fn, "sepatext") == 0) {
		/* At most 12 bytes out: the limit is tested too. */
		sepa_text(buf, 12, in, n);
		snprintf(out, outsz, "[%s]", buf);
	} else if (strcmp(fn, "money") == 0) {
		k = money_parse(in, n, &c);
		if (k == M_OK)
			snprintf(out, outsz, "%lld", (long long)c);
		else
			snprintf(out, outsz, "%s", merr(k));
	} else if (strcmp(fn, "moneyfmt") == 0) {
		money_fmt(strtoll(in, NULL, 10), buf);
		snprintf(out, outsz, "%s", buf);
	} else if (strcmp(fn, "moneyadd") == 0 || strcmp(fn, "moneysub") == 0 ||
	    strcmp(fn, "moneyrate") == 0) {
		if (sscanf(in, "%lld %lld", &x, &y) != 2)
			return -1;
		a = x, b = y;
		if (fn[5] == 'a')
			k = money_add(&c, a, b);
		else if (fn[5] == 's')
			k = money_sub(&c, a, b);
		else
			k = money_rate(&c, a, b);
		if (k < 0)
			snprintf(out, outsz, "overflow");
		else
			snprintf(out, outsz, "%lld", (long long)c);
	} else if (strcmp(fn, "date") == 0) {
		if (getdate(in, &d) < 0)
			snprintf(out, outsz, "bad");
		else
			snprintf(out, outsz, "%ld", (long)d);
	} else if (strcmp(fn, "datefmt") == 0) {
		date_fmt((int32_t)strtol(in, NULL, 10), buf);
		snprintf(out, outsz, "%s", buf);
	} else if (strcmp(fn, "wday") == 0) {
		if (getdate(in, &d) < 0)
			return -1;
		snprintf(out, outsz, "%d", date_wday(d));
	} else if (strcmp(fn, "easter") == 0) {
		date_fmt(date_easter(atoi(in)), buf);
		snprintf(out, outsz, "%s", buf);
	} else if (strcmp(fn, "holiday") == 0) {
		if (getdate(in, &d) < 0)
			return -1;
		s = date_holiday(d);
		snprintf(out, outsz, "%s", s ? s : "-");
	} else if (strcmp(fn, "business") == 0) {
		if (getdate(in, &d) < 0)
			return -1;
		snprintf(out, outsz, "%d", date_business(d));
	} else if (strcmp(fn, "nextbd") == 0 || strcmp(fn, "prevbd") == 0) {
		if (getdate(in, &d) < 0)
			return -1;
		d = fn[0] == 'n' ? date_next_business(d) : date_prev_business(d);
		date_fmt(d, buf);
		snprintf(out, outsz, "%s", buf);
	} else if (strcmp(fn, "xmlmsg") == 0) {
		/* "\\n" in the table is a line end of the message. */
		char msg[512], *q = msg;

		for (s = in; *s != '\0' && q < msg + sizeof msg - 1; s++)
			if (s[0] == '\\' && s[1] == 'n')
				*q++ = '\n', s++;
			else
				*q++ = *s;
		*q = '\0';
		xmlmsg(out, outsz, msg);
	} else
		return -1;
	return 0;
}

static void
table(const char *path)
{
	FILE *fp;
	char *line = NULL, *fn, *in, *want, *p;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	char got[512];

	if ((fp = fopen(path, "r")) == NULL) {
		printf("Bail out! %s: cannot open\n", path);
		exit(1);
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		fn = line;
		if ((p = strchr(fn, '\t')) == NULL)
			goto bad;
		*p = '\0';
		in = p + 1;
		if ((p = strchr(in, '\t')) == NULL)
			goto bad;
		*p = '\0';
		want = p + 1;
		if (eval(fn, in, got, sizeof got) < 0)
			goto bad;
		report(strcmp(got, want) == 0, fn, in, want, got);
		continue;
bad:
		printf("Bail out! %s:%ld: malformed row\n", path, lineno);
		exit(1);
	}
	free(line);
	fclose(fp);
}

/* Every day of 1900..2199 survives ymd -> days -> text -> days -> ymd. */
static void
dateloop(void)
{
	int y, m, d, y2, m2, d2, bad = 0;
	int32_t days, prev = 0, back;
	char buf[DATE_BUFSZ];

	for (y = 1900; y < 2200 && !bad; y++)
		for (m = 1; m <= 12 && !bad; m++)
			for (d = 1; d <= 31; d++) {
				if (!date_valid(y, m, d))
					continue;
				days = date_from_ymd(y, m, d);
				date_to_ymd(days, &y2, &m2, &d2);
				date_fmt(days, buf);
				if ((y > 1900 || m > 1 || d > 1) && days != prev + 1)
					bad = 1;
				if (y2 != y || m2 != m || d2 != d ||
				    date_parse(buf, strlen(buf), &back) < 0 ||
				    back != days)
					bad = 1;
				prev = days;
			}
	report(!bad, "date round trip", "1900..2199", "all", bad ? "mismatch" : "all");
}

/* money_fmt and money_parse are inverse over a spread of values. */
static void
moneyloop(void)
{
	int64_t v, back;
	char buf[MONEY_BUFSZ];
	int bad = 0, i;

	for (i = -200000; i <= 200000 && !bad; i++) {
		v = (int64_t)i * 7919;
		money_fmt(v, buf);
		if (money_parse(buf, strlen(buf), &back) != M_OK || back != v)
			bad = 1;
	}
	v = INT64_MIN;
	money_fmt(v, buf);
	if (money_parse(buf, strlen(buf), &back) != M_OK || back != v)
		bad = 1;
	report(!bad, "money round trip", "spread and INT64_MIN", "all", bad ? "mismatch" : "all");
}

/* crc32_buf is zlib's crc32 at every length, alignment and start value. */
static void
crcloop(void)
{
	static unsigned char b[1 << 16];
	uint32_t x = 2463534242U, c0;
	size_t i, n, off;
	int bad = 0, t;

	for (i = 0; i < sizeof b; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	for (t = 0; t < 20000 && !bad; t++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		n = t < 1024 ? (size_t)t : x % (sizeof b - 64);
		off = (size_t)t % 64;
		c0 = t % 3 == 0 ? 0 : x * 2654435761U;
		if (crc32_buf(c0, b + off, n) != (uint32_t)crc32(c0, b + off, (uInt)n))
			bad = 1;
	}
	report(!bad, "crc32_buf as crc32", "0..64 KiB", "all", bad ? "mismatch" : "all");
}

int
main(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		table(argv[i]);
	dateloop();
	moneyloop();
	crcloop();
	printf("1..%d\n", ntest);
	return nfail != 0;
}
