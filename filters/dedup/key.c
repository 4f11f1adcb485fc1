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
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ULL, 29);
		b = rotl((b ^ w) * 0xc2b2ae3d27d4eb4fULL, 31);
	}
	w = 0;
	memcpy(&w, s + i, n - i);
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

/*
 * The normalised key: identifiers without leading zeros, codes in upper
 * case, amounts in cents; the beneficiary by its own NIR when the claim
 * has one, else by the insured's NIR, birth date and rang.
 */
size_t
normkey(const struct field *v, const int64_t *cents, char *buf, size_t cap)
{
	size_t n = 0, i, k;

	for (k = 0; k < NKC; k++) {
		const char *p;
		size_t len;

		p = v[k].p;
		len = v[k].n;
		if (k == K_NIR && v[K_BNIR].n > 0)
			len = 0;	/* the beneficiary's own NIR identifies */
		if (k == K_PSNUM || k == K_INVOICE)
			while (len > 1 && *p == '0')
				p++, len--;
		if ((k == K_BIRTH || k == K_RANG) && v[K_BNIR].n > 0)
			len = 0;
		if (k == K_FR || k == K_TOTAL) {
			char b[MONEY_BUFSZ];

			len = money_fmt(cents[k], b);
			p = b;
			if (n + len + 1 >= cap)
				return 0;
			memcpy(buf + n, p, len);
			n += len;
			buf[n++] = '|';
			continue;
		}
		if (n + len + 1 >= cap)
			return 0;
		if (k == K_ACT)
			for (i = 0; i < len; i++) {
				char ch = p[i];

				buf[n++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
			}
		else {
			memcpy(buf + n, p, len);
			n += len;
		}
		buf[n++] = '|';
	}
	return n;
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

static size_t
lput(char *buf, size_t n, const struct field *f, int num)
{
	const char *p = f->p;
	size_t len = f->n < 127 ? f->n : 127;

	if (num)
		while (len > 1 && *p == '0')
			p++, len--;
	memcpy(buf + n, p, len);
	n += len;
	buf[n++] = '|';
	return n;
}

void
linehash(const struct field *lv, const struct field *kv, uint64_t *hi, uint64_t *lo)
{
	char buf[2 + 8 * 128 + 33];	/* "L|", 8 fields of 127 bytes at most, the act */
	size_t n = 0, i;

	buf[n++] = 'L';
	buf[n++] = '|';
	n = lput(buf, n, &lv[L_PSKIND], 0);
	n = lput(buf, n, &lv[L_PSNUM], 1);
	n = lput(buf, n, lv[L_REFINV].n > 0 ? &lv[L_REFINV] : &lv[L_INVOICE], 1);
	n = lput(buf, n, lv[L_REFLINE].n > 0 ? &lv[L_REFLINE] : &lv[L_LINE], 1);
	if (kv[K_BNIR].n > 0)
		n = lput(buf, n, &kv[K_BNIR], 0);
	else {
		n = lput(buf, n, &kv[K_NIR], 0);
		n = lput(buf, n, &kv[K_BIRTH], 0);
		n = lput(buf, n, &kv[K_RANG], 1);
	}
	for (i = 0; i < kv[K_ACT].n && i < 32; i++) {
		char ch = kv[K_ACT].p[i];

		buf[n++] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
	}
	buf[n++] = '|';
	n = lput(buf, n, &kv[K_ACTDATE], 0);
	hash128(buf, n, hi, lo);
}

/* The fields of the line key of the reader's record; absent columns empty. */
void
linefields(const struct ts_reader *r, const int *lc, struct field *lv)
{
	int i;

	for (i = 0; i < NLC; i++) {
		if (lc[i] >= 0)
			lv[i] = r->f[lc[i]];
		else {
			lv[i].p = "";
			lv[i].n = 0;
		}
	}
}
