/*
 * Money: int64 cents, written as euros with exactly two decimals.  The text
 * form is strict so that a control sum computed by one program is the sum
 * every other program computes: no '+', no spaces, no comma, no exponent.
 * It is canonical too, one text per amount, the one money_fmt writes: no
 * leading zero ("007.50"), no "-0.00".  Every caller reads text (streams,
 * the guarantee parameters); the zero-padded amounts of fixed-width
 * records are read by lay_decode, not here.
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tiers.h"

/*
 * Any amount, and what is wrong with one that is not: money_parse's way
 * when its quick test fails (out of line, so that the quick test needs
 * no registers saved).
 */
static __attribute__((noinline)) int
parse(const char *s, size_t n, int64_t *cents)
{
	const char *p = s, *e = s + n;
	int neg = 0;
	uint64_t v = 0, lim;
	size_t ndig = 0, nfrac = 0;

	if (n == 0)
		return M_EMPTY;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* Nineteen digits at most (n < 20) stay below 10^19 < 2^64: no overflow. */
	if (n < 20)
		for (; p < e && *p >= '0' && *p <= '9'; p++, ndig++)
			v = v * 10 + (uint64_t)(*p - '0');
	for (; p < e && *p >= '0' && *p <= '9'; p++, ndig++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return M_OVERFLOW;
	if (ndig == 0)
		return M_SYNTAX;
	if (ndig > 1 && p[-(ptrdiff_t)ndig] == '0')
		return M_ZERO;
	if (p == e)
		return M_DECIMALS;
	if (*p == ',')
		return M_COMMA;
	if (*p != '.')
		return M_SYNTAX;
	for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
		if (++nfrac > 2)
			return M_DECIMALS;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return M_OVERFLOW;
	}
	if (p != e)
		return M_SYNTAX;
	if (nfrac != 2)
		return M_DECIMALS;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (v > lim)
		return M_OVERFLOW;
	if (neg && v == 0)
		return M_ZERO;
	if (neg)
		*cents = v == lim ? INT64_MIN : -(int64_t)v;
	else
		*cents = (int64_t)v;
	return M_OK;
}

int
money_parse(const char *s, size_t n, int64_t *cents)
{
	/*
	 * The amount of nearly every field first: no sign, one to fifteen
	 * digits, the first not a zero unless alone, '.', two digits; below
	 * 10^17 cents, no overflow.  Its last four bytes (a digit, '.', two
	 * digits) checked in one word: the xor with "0.00" leaves the '.' a
	 * zero byte and the digits their values.  Most amounts of our
	 * streams have four or five bytes ("0.00", "12.34"): the digits
	 * before those four, if any, one at a time (eight at a time, tried,
	 * cost more than it saved on so few).  Anything else, the way of
	 * parse, which tells what is wrong.
	 */
	if (n - 4 <= 14) {
		const unsigned char *u = (const unsigned char *)s, *q, *e = u + n - 4;
		uint32_t x;
		uint64_t v, w;
		unsigned d;

		memcpy(&x, e, 4);
		x = le32toh(x) ^ 0x30302e30U;
		if (((x & 0xf0f0fff0U) | ((x + 0x06060006U) & 0xf0f0f0f0U)) == 0) {
			v = (x & 0xf) * 100 + ((x >> 16) & 0xf) * 10 + (x >> 24);
			if (n == 4) {
				*cents = (int64_t)v;
				return M_OK;
			}
			/* The first digit of several: not a zero. */
			if ((d = u[0] - (unsigned)'1') <= 8) {
				for (w = d + 1, q = u + 1; q < e; q++) {
					if ((d = *q - (unsigned)'0') > 9)
						break;
					w = w * 10 + d;
				}
				if (q == e) {
					*cents = (int64_t)(w * 1000 + v);
					return M_OK;
				}
			}
		}
	}
	return parse(s, n, cents);
}

const char *
money_strerror(int e)
{
	switch (e) {
	case M_OK:
		return "ok";
	case M_EMPTY:
		return "empty amount";
	case M_COMMA:
		return "comma as decimal mark";
	case M_DECIMALS:
		return "not exactly two decimals";
	case M_OVERFLOW:
		return "amount out of range";
	case M_ZERO:
		return "not canonical (a leading zero, or -0.00)";
	}
	return "not an amount";
}

size_t
money_fmt(int64_t cents, char *buf)
{
	static const char dd[] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char tmp[MONEY_BUFSZ], *p = tmp + sizeof tmp;
	uint64_t v;
	size_t n;

	v = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	p -= 2;
	memcpy(p, dd + 2 * (v % 100), 2);
	v /= 100;
	*--p = '.';
	while (v >= 100) {
		p -= 2;
		memcpy(p, dd + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, dd + 2 * v, 2);
	} else
		*--p = (char)('0' + v);
	if (cents < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof tmp - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

int
money_rate(int64_t *r, int64_t cents, int64_t rate_bp)
{
	int64_t p, q, rem;

	if (__builtin_mul_overflow(cents, rate_bp, &p))
		return -1;
	q = p / 10000;
	rem = p % 10000;
	/* Half away from zero: 0.5 cent and more rounds to the next cent. */
	if (rem >= 5000)
		q++;
	else if (rem <= -5000)
		q--;
	*r = q;
	return 0;
}
