/*
 * unit-lib: table-driven unit tests of the formats library, printing TAP.
 * Each table row is "function<TAB>input<TAB>expected"; blank lines and
 * lines starting with '#' are ignored.  Built-in loops follow the tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "radix.h"
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

/* A key to sort, and its place before the sort: bytesort's record in these tests. */
struct tkey {
	const unsigned char *s;
	size_t len, i;
};

static const void *
tkey(const void *p, size_t *len)
{
	const struct tkey *k = p;

	*len = k->len;
	return k->s;
}

/* The reference, byte by byte: the first that differs, the shorter first, then the place. */
static int
tkeycmp(const void *pa, const void *pb)
{
	const struct tkey *a = pa, *b = pb;
	size_t j;

	for (j = 0; j < a->len && j < b->len; j++)
		if (a->s[j] != b->s[j])
			return a->s[j] < b->s[j] ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* The n keys of v in bytesort's order are in qsort's by tkeycmp. */
static int
tsorted(struct tkey *v, size_t n)
{
	struct tkey *w = xmalloc((n + 1) * sizeof *w);
	size_t i;
	int ok = 1;

	memcpy(w, v, n * sizeof *v);
	qsort(w, n, sizeof *w, tkeycmp);
	bytesort(v, n, sizeof *v, tkey);
	for (i = 0; i < n; i++)
		if (v[i].i != w[i].i)
			ok = 0;
	free(w);
	return ok;
}

/*
 * A bytesort row: keys split at commas, "\0", "\," and "\\" a NUL, a
 * comma and a backslash, "(none)" no key; out gets their places in
 * bytesort's order, or "copies differ" if the row's keys repeated 64
 * times (the radix passes, not comparisons alone) are not in qsort's.
 */
static void
tbytesort(const char *in, char *out, size_t outsz)
{
	static unsigned char text[1024];
	static struct tkey v[64 * 256];
	size_t n = 0, t = 0, i, at;

	if (strcmp(in, "(none)") != 0) {
		v[0].s = text, v[0].len = 0, v[0].i = 0, n = 1;
		for (; *in != '\0' && t < sizeof text && n < 256; in++) {
			if (*in == ',') {
				v[n].s = text + t, v[n].len = 0, v[n].i = n, n++;
				continue;
			}
			if (in[0] == '\\' && in[1] != '\0')
				text[t++] = *++in == '0' ? '\0' : (unsigned char)*in;
			else
				text[t++] = (unsigned char)*in;
			v[n - 1].len++;
		}
	}
	for (i = n; i < 64 * n; i++) {
		v[i] = v[i % n];
		v[i].i = i;
	}
	if (!tsorted(v + n, 63 * n)) {
		snprintf(out, outsz, "copies differ");
		return;
	}
	bytesort(v, n, sizeof *v, tkey);
	for (i = 0, at = 0, *out = '\0'; i < n && at < outsz; i++)
		at += (size_t)snprintf(out + at, outsz - at, i ? " %zu" : "%zu", v[i].i);
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
	else if (strcmp(fn, "bytesort") == 0)
		tbytesort(in, out, outsz);
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

/*
 * date_parse and date_ymd, which read a word at a time, against the plain
 * reading a byte at a time, "YYYY-MM-DD" then date_valid and
 * date_from_ymd: every month and day number 00-99 of years around the
 * leap rules and the ends, and each byte of a spread of dates replaced by
 * each of the 256 values; then every day of 0001..9999 and its lengths.
 */
static int
dateref(const char *s, size_t n, int *y, int *m, int *d)
{
	size_t i;
	int v[3] = { 0, 0, 0 };

	if (n != 10)
		return -1;
	for (i = 0; i < n; i++)
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (s[i] < '0' || s[i] > '9')
			return -1;
		else
			v[i > 7 ? 2 : i > 4] = v[i > 7 ? 2 : i > 4] * 10 + (s[i] - '0');
	if (!date_valid(v[0], v[1], v[2]))
		return -1;
	*y = v[0];
	*m = v[1];
	*d = v[2];
	return 0;
}

static int
datesame(const char *s, size_t n)
{
	int32_t days = 7, want = 7;
	int y = 0, m = 0, d = 0, y2 = 0, m2 = 0, d2 = 0, r;

	r = dateref(s, n, &y, &m, &d);
	if (r == 0)
		want = date_from_ymd(y, m, d);
	if (date_parse(s, n, &days) != r || days != want)
		return 0;
	if (date_ymd(s, n, &y2, &m2, &d2) != r)
		return 0;
	return r < 0 || (y2 == y && m2 == m && d2 == d);
}

static void
parseloop(void)
{
	static const int years[] = { 0, 1, 4, 100, 400, 1582, 1900, 1970, 2000,
	    2024, 2026, 2100, 2400, 9996, 9999 };
	char buf[48], c[48];	/* room for any int, as the compiler counts at -O1 */
	size_t i, n;
	int y, m, d, p, k, bad = 0;

	for (i = 0; i < sizeof years / sizeof years[0]; i++)
		for (m = 0; m < 100; m++)
			for (d = 0; d < 100; d++) {
				snprintf(buf, sizeof buf, "%04d-%02d-%02d", years[i], m, d);
				bad |= !datesame(buf, 10);
			}
	for (y = 1; y <= 9999; y += 37)
		for (m = 1; m <= 12; m++) {
			snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, (y + m) % 28 + 1);
			for (p = 0; p < 10; p++)
				for (k = 0; k < 256; k++) {
					memcpy(c, buf, sizeof c);
					c[p] = (char)k;
					bad |= !datesame(c, 10);
				}
		}
	for (y = 1; y <= 9999 && !bad; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= 31; d++) {
				if (!date_valid(y, m, d))
					continue;
				snprintf(buf, sizeof buf, "%04d-%02d-%02d-0", y, m, d);
				bad |= !datesame(buf, 10);
				for (n = 0; y % 37 == 0 && n <= 12; n++)
					bad |= !datesame(buf, n);
			}
	report(!bad, "date_parse as read a byte at a time", "0001..9999", "all",
	    bad ? "mismatch" : "all");
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

/*
 * bytesort against qsort by tkeycmp on sets of every size around its
 * thresholds: keys of a few bytes (NUL among them) so that many agree,
 * of lengths around the 8-byte steps, or cut from one long key so that
 * they are prefixes of each other and agree past 64 bytes.  Then
 * records larger than its own.
 */
static void
sortloop(void)
{
	static const size_t ns[] = { 0, 1, 2, 15, 16, 17, 127, 128, 129, 300, 5000, 100000 };
	static const unsigned char abc[] = { 0, 1, 'a', 0xff };
	static const size_t lens[] = { 0, 1, 7, 8, 9, 15, 16, 17, 24, 25, 63, 64, 65, 72, 73, 90 };
	struct big {
		struct tkey k;
		char pad[40];
	} *b;
	unsigned char *text = xmalloc(100000 * 90);
	struct tkey *v = xmalloc(100000 * sizeof *v);
	uint32_t x = 2463534242U;
	size_t i, j, n, kind;
	int bad = 0, t;

#define RND() (x ^= x << 13, x ^= x >> 17, x ^= x << 5)
	for (kind = 0; kind < 3; kind++)
		for (t = 0; t < (int)(sizeof ns / sizeof ns[0]); t++) {
			n = ns[t];
			for (i = 0; i < n; i++) {
				v[i].s = text + i * 90;
				v[i].i = i;
				v[i].len = lens[RND() % (sizeof lens / sizeof lens[0])];
				for (j = 0; j < v[i].len; j++)
					text[i * 90 + j] = kind == 2 ? (unsigned char)('a' + j % 7) :
					    kind == 1 && j < 70 ? 'x' : abc[RND() % (kind == 0 ? 2 : 4)];
				if (kind == 2 && v[i].len > 0 && RND() % 4 == 0)
					text[i * 90 + v[i].len - 1] = 'z';
			}
			if (!tsorted(v, n))
				bad = 1;
		}
	b = xmalloc(5000 * sizeof *b);
	for (i = 0; i < 5000; i++) {
		b[i].k = v[i];
		b[i].k.i = i;
		snprintf(b[i].pad, sizeof b[i].pad, "%zu", i);
	}
	bytesort(b, 5000, sizeof *b, tkey);
	for (i = 1; i < 5000; i++)
		if (tkeycmp(&b[i - 1].k, &b[i].k) >= 0 || (size_t)atol(b[i].pad) != b[i].k.i)
			bad = 1;
#undef RND
	free(b);
	free(v);
	free(text);
	report(!bad, "bytesort as qsort", "0..100000 keys", "all", bad ? "mismatch" : "all");
}

/* Lanes' digests, by id, from mb: buffers fed to it as its lanes free up. */
static void
mbrun(struct sha256mb *mb, size_t nb, const unsigned char **b, const size_t *len,
    unsigned char (*md)[32])
{
	size_t i = 0, id;
	unsigned char d[32];

	for (;;) {
		while (i < nb && sha256mb_room(mb) > 0) {
			sha256mb_add(mb, b[i], len[i], i);
			i++;
		}
		if (!sha256mb_next(mb, &id, d))
			break;
		memcpy(md[id], d, 32);
	}
}

/*
 * The multi-buffer SHA-256 at each width this processor has (0: the
 * widest, narrowing as lanes fall idle): FIPS 180-4's examples in one
 * batch, then buffers of the lengths around the padding's edges and of
 * random lengths up to 4 MiB at odd offsets, many lanes of different
 * lengths in a batch, against libcrypto's.
 */
static void
shaloop(void)
{
	static const char *fips[][2] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ NULL, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	static const size_t edges[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000 };
	enum { NB = 60, BIG = 4 << 20 };
	unsigned char *text = xmalloc(BIG + 64), *mil = xmalloc(1000000);
	const unsigned char *b[NB];
	size_t len[NB], nb, i;
	unsigned char (*md)[32] = xmalloc(NB * sizeof *md), ref[32];
	char hex[SHA256_HEXSZ], what[64];
	struct sha256mb *mb;
	uint32_t x = 2463534242U;
	unsigned int rlen;
	const char *name;
	int k, bad, w;

#define RND() (x ^= x << 13, x ^= x >> 17, x ^= x << 5)
	for (i = 0; i < BIG + 64; i++)
		text[i] = (unsigned char)RND();
	memset(mil, 'a', 1000000);
	/* Each compression function alone, then the engine that narrows. */
	for (k = 0, name = ""; name != NULL; k++) {
		if ((name = sha256mb_impl(k, &w)) != NULL) {
			snprintf(what, sizeof what, "sha256mb %s width %d", name, w);
			mb = sha256mb_new_impl(k);
		} else {
			snprintf(what, sizeof what, "sha256mb widths %d and narrower",
			    sha256mb_width(0));
			mb = sha256mb_new(0);
		}
		for (i = 0; i < 4; i++) {
			b[i] = fips[i][0] != NULL ? (const unsigned char *)fips[i][0] : mil;
			len[i] = fips[i][0] != NULL ? strlen(fips[i][0]) : 1000000;
		}
		mbrun(mb, 4, b, len, md);
		for (bad = 0, i = 0; i < 4; i++) {
			sha256_hex(md[i], hex);
			if (strcmp(hex, fips[i][1]) != 0)
				bad = 1;
		}
		report(!bad, what, "FIPS 180-4 examples", "all", bad ? "mismatch" : "all");
		/*
		 * Lanes ending one step apart, each with a padding of two
		 * blocks: when a lane ends, those behind it move down while
		 * half-way through their padding.
		 */
		for (nb = 0; nb < 40; nb++) {
			b[nb] = text + nb;
			len[nb] = 64 * (nb % 20) + 56 + nb % 8;
		}
		mbrun(mb, nb, b, len, md);
		for (bad = 0, i = 0; i < nb; i++)
			if (EVP_Digest(b[i], len[i], ref, &rlen, EVP_sha256(), NULL) != 1 ||
			    memcmp(ref, md[i], 32) != 0)
				bad = 1;
		report(!bad, what, "lanes ending in turn", "all", bad ? "mismatch" : "all");
		/* Twice over: the edges, then random lengths, mixed in each batch. */
		nb = 0;
		for (i = 0; i < 2 * sizeof edges / sizeof edges[0]; i++) {
			b[nb] = text + i % 7;
			len[nb++] = edges[i % (sizeof edges / sizeof edges[0])];
		}
		for (; nb < NB; nb++) {
			RND();
			b[nb] = text + x % 61;
			len[nb] = nb % 5 == 0 ? RND() % BIG : RND() % 70000;
		}
		mbrun(mb, nb, b, len, md);
		for (bad = 0, i = 0; i < nb; i++)
			if (EVP_Digest(b[i], len[i], ref, &rlen, EVP_sha256(), NULL) != 1 ||
			    memcmp(ref, md[i], 32) != 0)
				bad = 1;
		report(!bad, what, "libcrypto's at 0..4 MiB", "all", bad ? "mismatch" : "all");
		sha256mb_free(mb);
	}
#undef RND
	free(md);
	free(mil);
	free(text);
}

int
main(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++)
		table(argv[i]);
	dateloop();
	parseloop();
	moneyloop();
	crcloop();
	sortloop();
	shaloop();
	printf("1..%d\n", ntest);
	return nfail != 0;
}
