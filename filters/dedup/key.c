/*
 * dedup: the keys of a claim.  The 3.1.8 key, normalised and hashed to
 * 128 bits; a ledger's line key, which finds the line an adjustment
 * adjusts; a paid line's identity, under which its movements are kept.
 */
#include <stdio.h>
#include <string.h>

#include "dedup.h"

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * 128 bits in two lanes, eight bytes a step: each lane xors in the word,
 * multiplies by an odd constant and rotates; the tail and the length go
 * in last, and each lane is finished by a bijective mix.
 */
static uint64_t
rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

void
hash128(const char *s, size_t n, uint64_t *hi, uint64_t *lo)
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL, w;
	size_t i = 0, k;

	/* Two words a turn (a key is ten or so): half the loop's tests. */
	for (; i + 16 <= n; i += 16) {
		uint64_t w1;

		memcpy(&w, s + i, 8);
		memcpy(&w1, s + i + 8, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
		b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
		a = rotl((a ^ w1) * 0x9e3779b97f4a7c15ULL, 29);
		b = rotl((b ^ w1) * 0xc2b2ae3d27d4eb4fULL, 31);
	}
	if (i + 8 <= n) {
		memcpy(&w, s + i, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
		b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
		i += 8;
	}
	/*
	 * The tail, zero-extended: as memcpy(&w, s + i, n - i) reads it, by
	 * two words that overlap (or three bytes), not a call to memcpy.
	 */
	w = 0;
	k = n - i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (k >= 4) {
		uint32_t x, y;

		memcpy(&x, s + i, 4);
		memcpy(&y, s + n - 4, 4);
		w = (uint64_t)x | (uint64_t)y << (8 * (k - 4));
	} else if (k > 0)
		w = (uint64_t)(unsigned char)s[i] |
		    (uint64_t)(unsigned char)s[i + k / 2] << (8 * (k / 2)) |
		    (uint64_t)(unsigned char)s[n - 1] << (8 * (k - 1));
#else
	memcpy(&w, s + i, k);
#endif
	a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
	b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
	*hi = mix64(a ^ (uint64_t)n);
	*lo = mix64(b + 0x9e3779b97f4a7c15ULL * (uint64_t)n);
}

/* Where the movements of a paid line are kept: a hash of its identity. */
void
idhash(int32_t day, uint32_t rec, uint64_t *hi, uint64_t *lo)
{
	char b[48];
	int n = snprintf(b, sizeof b, "M|%ld|%lu", (long)day, (unsigned long)rec);

	hash128(b, (size_t)n, hi, lo);
}

const char *const keycols[NKC] = {
	"ps_kind", "ps_number", "invoice", "nir", "benef_nir", "birth_date",
	"rang", "act_code", "fr_eur", "act_date", "invoice_total_eur",
	"invoice_date"
};

/* A field's bytes copied: few_cpy's words for the short, most of them. */
static inline __attribute__((always_inline)) void
kcpy(char *d, const char *s, size_t n)
{
	if (n <= 16)
		few_cpy(d, s, n);
	else
		memcpy(d, s, n);
}

/* The n bytes at p and a '|' at buf + at; where the next field goes. */
static inline __attribute__((always_inline)) size_t
kput(char *buf, size_t at, const char *p, size_t n)
{
	kcpy(buf + at, p, n);
	buf[at + n] = '|';
	return at + n + 1;
}

/* An identifier without its leading zeros (one left of "000"). */
static inline __attribute__((always_inline)) void
unzero(const char **p, size_t *n)
{
	while (*n > 1 && **p == '0')
		(*p)++, (*n)--;
}

/* Bytes at buf, n of them, in upper case (ASCII). */
static inline __attribute__((always_inline)) void
upcase(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 32);
}

/*
 * The normalised key of fields f[c[K_...]]: identifiers without leading
 * zeros, codes in upper case, amounts in cents; the beneficiary by its
 * own NIR when the claim has one, else by the insured's NIR, birth date
 * and rang.  An amount goes in as money_fmt writes its cents, which is
 * its text: the caller has read it with money_parse, which takes the
 * canonical text alone (tiers-stream(5)); an empty one is 0.00.  The
 * fields one by one, no loop over them: a claim's key costs its bytes.
 */
size_t
normkey(const struct field *f, const int *c, char *buf, size_t cap)
{
	const struct field *kind = &f[c[K_PSKIND]], *bnir = &f[c[K_BNIR]];
	const struct field *act = &f[c[K_ACT]], *adate = &f[c[K_ACTDATE]];
	const struct field *idate = &f[c[K_INVDATE]];
	const char *ps = f[c[K_PSNUM]].p, *inv = f[c[K_INVOICE]].p;
	const char *fr = f[c[K_FR]].p, *tot = f[c[K_TOTAL]].p;
	size_t psn = f[c[K_PSNUM]].n, invn = f[c[K_INVOICE]].n;
	size_t frn = f[c[K_FR]].n, totn = f[c[K_TOTAL]].n, n;
	/* The beneficiary's own NIR identifies: no NIR, birth date or rang. */
	const struct field *nir = NULL, *birth = NULL, *rang = NULL;

	unzero(&ps, &psn);
	unzero(&inv, &invn);
	if (frn == 0)
		fr = "0.00", frn = 4;
	if (totn == 0)
		tot = "0.00", totn = 4;
	n = NKC + kind->n + psn + invn + bnir->n + act->n + frn + adate->n + totn + idate->n;
	if (bnir->n == 0) {
		nir = &f[c[K_NIR]];
		birth = &f[c[K_BIRTH]];
		rang = &f[c[K_RANG]];
		n += nir->n + birth->n + rang->n;
	}
	if (n >= cap)
		return 0;
	n = kput(buf, 0, kind->p, kind->n);
	n = kput(buf, n, ps, psn);
	n = kput(buf, n, inv, invn);
	n = nir != NULL ? kput(buf, n, nir->p, nir->n) : kput(buf, n, "", 0);
	n = kput(buf, n, bnir->p, bnir->n);
	if (birth != NULL) {
		n = kput(buf, n, birth->p, birth->n);
		n = kput(buf, n, rang->p, rang->n);
	} else {
		buf[n++] = '|';
		buf[n++] = '|';
	}
	n = kput(buf, n, act->p, act->n);
	upcase(buf + n - 1 - act->n, act->n);
	n = kput(buf, n, fr, frn);
	n = kput(buf, n, adate->p, adate->n);
	n = kput(buf, n, tot, totn);
	return kput(buf, n, idate->p, idate->n);
}

/*
 * The line key: the PS, the invoice and the line (for a line that
 * corrects another, the ref_invoice and ref_line it names, when given),
 * the beneficiary as the key names it, the act code and the date of
 * care.  A cancellation, a regularisation or an AMO rejection finds by
 * it the line it adjusts; its amounts, negated or changed, are not in
 * it.  The act and its date are: two lines paid under one invoice line
 * (a PS's repeat with the date changed) are two lines, and what undoes
 * the one does not undo the other.
 */
const char *const linecols[NLC] = {
	"ps_kind", "ps_number", "invoice", "line_no", "ref_invoice", "ref_line"
};

/* A field of the line key: 127 bytes at most, an identifier unzeroed. */
static inline __attribute__((always_inline)) size_t
lput(char *buf, size_t n, const struct field *f, int num)
{
	const char *p = f->p;
	size_t len = f->n < 127 ? f->n : 127;

	if (num)
		unzero(&p, &len);
	return kput(buf, n, p, len);
}

/*
 * The line key's hash of fields f: the line's by lc (a column absent,
 * -1, is empty), the key's by c.
 */
void
linehash(const struct field *f, const int *lc, const int *c, uint64_t *hi, uint64_t *lo)
{
	static const struct field none = { "", 0 };
	char buf[2 + 8 * 128 + 33];	/* "L|", 8 fields of 127 bytes at most, the act */
	const struct field *inv, *line, *bnir = &f[c[K_BNIR]], *act = &f[c[K_ACT]];
	size_t n = 2, an;

	buf[0] = 'L';
	buf[1] = '|';
	n = lput(buf, n, lc[L_PSKIND] >= 0 ? &f[lc[L_PSKIND]] : &none, 0);
	n = lput(buf, n, lc[L_PSNUM] >= 0 ? &f[lc[L_PSNUM]] : &none, 1);
	inv = lc[L_REFINV] >= 0 && f[lc[L_REFINV]].n > 0 ? &f[lc[L_REFINV]] :
	    lc[L_INVOICE] >= 0 ? &f[lc[L_INVOICE]] : &none;
	n = lput(buf, n, inv, 1);
	line = lc[L_REFLINE] >= 0 && f[lc[L_REFLINE]].n > 0 ? &f[lc[L_REFLINE]] :
	    lc[L_LINE] >= 0 ? &f[lc[L_LINE]] : &none;
	n = lput(buf, n, line, 1);
	if (bnir->n > 0)
		n = lput(buf, n, bnir, 0);
	else {
		n = lput(buf, n, &f[c[K_NIR]], 0);
		n = lput(buf, n, &f[c[K_BIRTH]], 0);
		n = lput(buf, n, &f[c[K_RANG]], 1);
	}
	/* The act, 32 bytes at most, in upper case. */
	an = act->n < 32 ? act->n : 32;
	n = kput(buf, n, act->p, an);
	upcase(buf + n - 1 - an, an);
	n = lput(buf, n, &f[c[K_ACTDATE]], 0);
	hash128(buf, n, hi, lo);
}

/* Not 0 when a byte of w is '|' (w ^ "||||||||" has a zero byte: exact). */
static inline __attribute__((always_inline)) uint64_t
haspipe(uint64_t w)
{
	uint64_t v = w ^ 0x7c7c7c7c7c7c7c7cULL;

	return (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;
}

/*
 * A field of the line key of 16 bytes at most, as lput puts it: its two
 * words (the second overlapping, or none), a function of its bytes,
 * mixed with its length into a word; *bad set if it is longer or holds
 * a '|'.
 */
static inline __attribute__((always_inline)) uint64_t
fpfield(const struct field *f, int num, uint64_t k, uint64_t *bad)
{
	const char *p = f->p;
	size_t n = f->n < 127 ? f->n : 127;	/* as lput: cut, then unzeroed */
	uint64_t a, b;
	uint32_t x, y;

	if (num)
		unzero(&p, &n);
	if (n > 16) {
		*bad = 1;
		return 0;
	}
	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		*bad |= haspipe(a) | haspipe(b);
		return (a * k ^ b) * k + n;
	}
	if (n >= 4) {
		memcpy(&x, p, 4);
		memcpy(&y, p + n - 4, 4);
		a = (uint64_t)x | (uint64_t)y << 32;
	} else
		a = n > 0 ? (uint64_t)(unsigned char)p[0] |
		    (uint64_t)(unsigned char)p[n / 2] << 8 |
		    (uint64_t)(unsigned char)p[n - 1] << 16 : 0;
	*bad |= haspipe(a);
	return a * k + n;
}

/*
 * A fingerprint of the line key's first fields (the PS's kind and
 * number, the invoice and the line, as linehash takes them), never 0;
 * 0 when one holds a '|' or is longer than 16 bytes.  Two claims of the
 * same line key have the same fingerprint when neither is 0: their
 * keys, cut at their '|', have these fields, the same, at the same
 * places.  It costs a few words a claim, where the line key's hash costs
 * its bytes, copied and hashed; -l needs the hash of a paid claim only
 * when an adjustment of the day has its fingerprint.
 */
uint64_t
linefp(const struct field *f, const int *lc)
{
	static const struct field none = { "", 0 };
	const struct field *inv, *line;
	uint64_t h, bad = 0;

	inv = lc[L_REFINV] >= 0 && f[lc[L_REFINV]].n > 0 ? &f[lc[L_REFINV]] :
	    lc[L_INVOICE] >= 0 ? &f[lc[L_INVOICE]] : &none;
	line = lc[L_REFLINE] >= 0 && f[lc[L_REFLINE]].n > 0 ? &f[lc[L_REFLINE]] :
	    lc[L_LINE] >= 0 ? &f[lc[L_LINE]] : &none;
	h = fpfield(lc[L_PSKIND] >= 0 ? &f[lc[L_PSKIND]] : &none, 0, 0x85ebca6b0b5a3c29ULL,
	    &bad);
	h = rotl(h, 17) ^ fpfield(lc[L_PSNUM] >= 0 ? &f[lc[L_PSNUM]] : &none, 1,
	    0xff51afd7ed558ccdULL, &bad);
	h = rotl(h, 17) ^ fpfield(inv, 1, 0x9e3779b97f4a7c15ULL, &bad);
	h = rotl(h, 17) ^ fpfield(line, 1, 0xc2b2ae3d27d4eb4fULL, &bad);
	if (bad != 0)
		return 0;
	h ^= h >> 29;
	return h != 0 ? h : 1;
}
