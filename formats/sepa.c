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

/*
 * An ASCII character as the SEPA set writes it: itself if in the set,
 * '&' as '+', '_' as '-', '"' as an apostrophe, anything else a space.
 */
#define SEPA_IN(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
    ((c) >= '0' && (c) <= '9') || (c) == '/' || (c) == '-' || (c) == '?' || (c) == ':' || \
    (c) == '(' || (c) == ')' || (c) == '.' || (c) == ',' || (c) == '\'' || (c) == '+' || (c) == ' ')
#define SEPA_AS(c) (char)(SEPA_IN(c) ? (c) : (c) == '&' ? '+' : (c) == '_' ? '-' : \
    (c) == '"' ? '\'' : ' ')
#define SEPA_2(c) SEPA_AS(c), SEPA_AS((c) + 1)
#define SEPA_8(c) SEPA_2(c), SEPA_2((c) + 2), SEPA_2((c) + 4), SEPA_2((c) + 6)
#define SEPA_32(c) SEPA_8(c), SEPA_8((c) + 8), SEPA_8((c) + 16), SEPA_8((c) + 24)
static const char ascii[128] = { SEPA_32(0), SEPA_32(32), SEPA_32(64), SEPA_32(96) };

/*
 * The SEPA set, and what we write for a code point outside it: a string
 * of constants (a character alone: its place in ones, each followed by
 * its NUL), so that threads may call it.
 */
static const char ones[] =
    "A\0B\0C\0D\0E\0F\0G\0H\0I\0J\0K\0L\0M\0N\0O\0P\0Q\0R\0S\0T\0U\0V\0W\0X\0Y\0Z\0"
    "a\0b\0c\0d\0e\0f\0g\0h\0i\0j\0k\0l\0m\0n\0o\0p\0q\0r\0s\0t\0u\0v\0w\0x\0y\0z\0"
    "0\0001\0002\0003\0004\0005\0006\0007\0008\0009\0/\0-\0?\0:\0(\0)\0.\0,\0'\0+\0 ";

static const char *
one(char c)
{
	const char *p = memchr(ones, c, sizeof ones - 1);

	return p != NULL ? p : ones + sizeof ones - 2;
}

static const char *
map(unsigned long c)
{
	if (c < 0x80)
		return one(ascii[c]);
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
		return one(latin1[c - 0xC0]);
	if (c >= 0x100 && c <= 0x17F)
		return one(latinA[c - 0x100]);
	return one(' ');
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
		/* ASCII, most of a name: a character a byte, by the table. */
		for (; p < e && *p < 0x80; p++) {
			char ch = ascii[*p];

			if ((ch == ' ' && (len == 0 || dst[len - 1] == ' ')) || len >= max)
				continue;
			dst[len++] = ch;
		}
		if (p == e)
			break;
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
