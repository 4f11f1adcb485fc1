/*
 * Text in the SEPA Latin character set (EPC's Implementation Guidelines
 * for SEPA credit transfers, character set section): a-z A-Z 0-9 / - ? :
 * ( ) . , ' + and space.  Names and remittance text come from files in
 * UTF-8 (a PS's name in the register, a client's); what a bank would
 * refuse or garble is transliterated here, the one place that knows the
 * set.
 */
#include <stddef.h>
#include <string.h>

#include "tiers.h"

/* U+00C0 to U+00FF, then U+0100 to U+017F: the letter without its accent. */
static const char latin1[] =
    "AAAAAA_CEEEEIIII" "DNOOOOO OUUUUY_s"
    "aaaaaa_ceeeeiiii" "dnooooo ouuuuy_y";
static const char latinA[] =
    "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg"
    "GgGgHhHhIiIiIiIi" "Ii__JjKkkLlLlLlL"
    "lLlNnNnNnnNnOoOo" "Oo__RrRrRrSsSsSs"
    "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";

/* The SEPA set, and what we write for a code point outside it. */
static const char *
map(unsigned long c)
{
	static char one[2];

	if (c < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr("/-?:().,'+ ", (int)c) != NULL))
			one[0] = (char)c;
		else if (c == '&')
			one[0] = '+';
		else if (c == '_')
			one[0] = '-';
		else if (c == '"')
			one[0] = '\'';
		else
			one[0] = ' ';
		return one;
	}
	switch (c) {
	case 0xC6: return "AE";
	case 0xE6: return "ae";
	case 0xDE: return "TH";
	case 0xFE: return "th";
	case 0xDF: return "ss";
	case 0x132: return "IJ";
	case 0x133: return "ij";
	case 0x152: return "OE";
	case 0x153: return "oe";
	case 0x2018: case 0x2019: case 0x201C: case 0x201D: return "'";
	case 0x2010: case 0x2011: case 0x2013: case 0x2014: return "-";
	}
	if (c >= 0xC0 && c <= 0xFF)
		one[0] = latin1[c - 0xC0];
	else if (c >= 0x100 && c <= 0x17F)
		one[0] = latinA[c - 0x100];
	else
		one[0] = ' ';
	return one;
}

/* The code point at s (n bytes left) and its length; a bad byte is one. */
static unsigned long
decode(const unsigned char *s, size_t n, size_t *len)
{
	unsigned long c;
	size_t k, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		k = 2, c = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		k = 3, c = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		k = 4, c = s[0] & 0x07u;
	else
		return 0xFFFD;
	if (k > n)
		return 0xFFFD;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = c << 6 | (s[i] & 0x3Fu);
	}
	*len = k;
	return c;
}

size_t
sepa_text(char *dst, size_t max, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	size_t len = 0, k;
	const char *m;

	while (p < e) {
		m = map(decode(p, (size_t)(e - p), &k));
		p += k;
		for (; *m != '\0' && len < max; m++) {
			if (*m == ' ' && (len == 0 || dst[len - 1] == ' '))
				continue;
			dst[len++] = *m;
		}
	}
	while (len > 0 && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
	return len;
}
