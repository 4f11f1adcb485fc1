/*
 * Identifier keys: syntax and check characters of the identifiers a
 * tiers-payant batch carries.  Every function reads at most n bytes (nir_key
 * and rib_key stop at the first malformed byte, so a short NUL-terminated
 * string is safe), allocates nothing and uses integer arithmetic only.
 *
 * Verified (public algorithm, checked against published valid numbers):
 *   NIR     13 characters + 2-digit key, key = 97 - (N mod 97); Corsica
 *           "2A"/"2B" in positions 6-7 count as 19/18.  The first character
 *           must be 1 to 4 (1 and 2 give the sex; 3 and 4 are older special
 *           registrations) or 7 or 8 (temporary numbers).
 *   IBAN    ISO 13616 mod 97-10; fixed lengths checked for BE CH DE ES FR GB
 *           IT LU MC NL, any other country only for 15 to 34 characters.
 *   RIB     key = 97 - ((89 bank + 15 branch + 3 account) mod 97), account
 *           letters mapped A-I, J-R to 1-9 and S-Z to 2-9.
 *   SIREN   9 digits, Luhn.  SIRET 14 digits, Luhn; La Poste establishments
 *           (356000000...) use a digit sum divisible by 5 instead, except the
 *           head office 35600000000048, which follows Luhn.
 *   BIC     ISO 9362: 4 letters (the institution), 2 letters (the
 *           country), 2 letters or digits (the location: not 0 or 1
 *           first, a test or passive code; not O second), optionally 3
 *           letters or digits (the branch); no check character.
 * Assumed (no published specification found):
 *   RPPS    11 digits, the last a Luhn key.  Other implementations say so and
 *           real numbers pass, but no ANS text states it.
 *   FINESS  9 characters: department (2 digits, or 2A/2B), 7 digits.  Luhn
 *           over the 9 digits: real published FINESS numbers pass, but the
 *           rule itself is not published.  For 2A/2B no mapping of the
 *           letters is known, so only the form of a Corsican number is
 *           checked, not its key.
 *   ADELI   9 characters: department (2 digits, or 2A/2B), 7 digits.  Its
 *           check character's algorithm is not public: form only.
 */
#include <stddef.h>
#include <string.h>

#include "tiers.h"

struct ibanlen {
	char cc[3];
	size_t len;
};

/* The countries our clients' accounts are in; others get the generic rule. */
static const struct ibanlen ibanlens[] = {
	{ "BE", 16 }, { "CH", 21 }, { "DE", 22 }, { "ES", 24 }, { "FR", 27 },
	{ "GB", 22 }, { "IT", 27 }, { "LU", 20 }, { "MC", 27 }, { "NL", 18 }
};

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
isupp(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int
alldigits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdig((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Corsican department "2A" or "2B", upper case only as INSEE writes it. */
static int
corsica(const char *s)
{
	return s[0] == '2' && (s[1] == 'A' || s[1] == 'B');
}

/*
 * The Luhn sum of n digits already checked, the rightmost doubled when
 * dbl (it is then the digit before a key still to come).
 */
static unsigned int
luhnsum(const char *s, size_t n, int dbl)
{
	unsigned int sum = 0, d;
	size_t i;

	for (i = n; i-- > 0;) {
		d = (unsigned int)(s[i] - '0');
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum = (sum + d) % 10;
		dbl = !dbl;
	}
	return sum;
}

/* Luhn over n digits already checked; the rightmost is the key. */
static int
luhn(const char *s, size_t n)
{
	return luhnsum(s, n, 0) == 0;
}

int
luhn_key(const char *s, size_t n)
{
	if (!alldigits(s, n))
		return -1;
	return (int)((10 - luhnsum(s, n, 1)) % 10);
}

/*
 * Decimal value of n digits, or -1 at the first non-digit (which may be the
 * terminating NUL of a short string: nothing past it is read).
 */
static long
num(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdig((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
nir_key(const char *s13, int *key)
{
	uint64_t r = 0;	/* the 13 digits, below 10^13: one modulo at the end */
	int i;

	/* 1 and 2 give the sex, 3 and 4 older registrations, 7 and 8 temporary. */
	switch (s13[0]) {
	case '1': case '2': case '3': case '4': case '7': case '8':
		break;
	default:
		return -1;
	}
	for (i = 0; i < 13; i++) {
		if (i == 5 && corsica(s13 + 5)) {
			/* 2A and 2B were 20: INSEE counts them as 19 and 18. */
			r = r * 100 + (s13[6] == 'A' ? 19 : 18);
			i++;
			continue;
		}
		if (!isdig((unsigned char)s13[i]))
			return -1;
		r = r * 10 + (uint64_t)(s13[i] - '0');
	}
	*key = 97 - (int)(r % 97);
	return 0;
}

int
nir_valid(const char *s, size_t n)
{
	int key;

	if (n != 15 || nir_key(s, &key) < 0)
		return 0;
	return num(s + 13, 2) == key;
}

int
iban_valid(const char *s, size_t n)
{
	unsigned long r = 0;
	size_t i, j;
	long check;
	int c;

	if (n < 15 || n > 34 || !isupp(s[0]) || !isupp(s[1]))
		return 0;
	/*
	 * Check digits are 02..98: "01" and "99" are congruent to 98 and 2
	 * and would pass the modulo.
	 */
	if ((check = num(s + 2, 2)) < 2 || check > 98)
		return 0;
	for (i = 4; i < n; i++)
		if (!isdig((unsigned char)s[i]) && !isupp(s[i]))
			return 0;
	for (j = 0; j < sizeof ibanlens / sizeof ibanlens[0]; j++)
		if (memcmp(s, ibanlens[j].cc, 2) == 0 && n != ibanlens[j].len)
			return 0;
	/* The country and check digits go last; the remainder fits a long. */
	for (i = 0; i < n; i++) {
		c = s[(i + 4) % n];
		if (isdig(c))
			r = (r * 10 + (unsigned long)(c - '0')) % 97;
		else
			r = (r * 100 + (unsigned long)(c - 'A' + 10)) % 97;
	}
	return r == 1;
}

int
rib_key(const char *bank5, const char *branch5, const char *acct11, int *key)
{
	unsigned long acct = 0, d;
	long bank, branch;
	int i, c;

	if ((bank = num(bank5, 5)) < 0 || (branch = num(branch5, 5)) < 0)
		return -1;
	for (i = 0; i < 11; i++) {
		c = (unsigned char)acct11[i];
		if (isdig(c))
			d = (unsigned long)(c - '0');
		else if (c >= 'A' && c <= 'I')
			d = (unsigned long)(c - 'A' + 1);
		else if (c >= 'J' && c <= 'R')
			d = (unsigned long)(c - 'J' + 1);
		else if (c >= 'S' && c <= 'Z')
			d = (unsigned long)(c - 'S' + 2);
		else
			return -1;
		acct = (acct * 10 + d) % 97;
	}
	*key = 97 - (int)((89 * (unsigned long)bank +
	    15 * (unsigned long)branch + 3 * acct) % 97);
	return 0;
}

int
rib_valid(const char *s, size_t n)
{
	int key;

	if (n != 23 || rib_key(s, s + 5, s + 10, &key) < 0)
		return 0;
	return num(s + 21, 2) == key;
}

int
luhn_valid(const char *s, size_t n)
{
	return n > 0 && alldigits(s, n) && luhn(s, n);
}

int
siren_valid(const char *s, size_t n)
{
	return n == 9 && luhn_valid(s, n);
}

int
siret_valid(const char *s, size_t n)
{
	unsigned int sum = 0;
	size_t i;

	if (n != 14 || !alldigits(s, n))
		return 0;
	/* La Poste numbers its many offices past what Luhn allows. */
	if (memcmp(s, "356000000", 9) == 0 &&
	    memcmp(s, "35600000000048", 14) != 0) {
		for (i = 0; i < n; i++)
			sum += (unsigned int)(s[i] - '0');
		return sum % 5 == 0;
	}
	return luhn(s, n);
}

int
rpps_valid(const char *s, size_t n)
{
	return n == 11 && luhn_valid(s, n);
}

int
adeli_valid(const char *s, size_t n)
{
	if (n != 9 || !(corsica(s) || alldigits(s, 2)))
		return 0;
	return alldigits(s + 2, 7);
}

int
finess_valid(const char *s, size_t n)
{
	if (n != 9)
		return 0;
	if (corsica(s))
		return alldigits(s + 2, 7);
	return alldigits(s, n) && luhn(s, n);
}

int
bic_valid(const char *s, size_t n)
{
	size_t i;

	if (n != 8 && n != 11)
		return 0;
	for (i = 0; i < n; i++)
		if (i < 6 ? !isupp(s[i]) : !isupp(s[i]) && !isdig((unsigned char)s[i]))
			return 0;
	return s[6] != '0' && s[6] != '1' && s[7] != 'O';
}

/* A decimal integer, maybe negative, of 12 digits at most, in [lo, hi]. */
int
int_parse(const char *s, size_t n, long lo, long hi, long *v)
{
	long x = 0;
	size_t i;
	int neg = 0;

	if (n > 0 && s[0] == '-')
		neg = 1, s++, n--;
	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (neg)
		x = -x;
	if (x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}
