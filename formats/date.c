/*
 * Dates as days since 1970-01-01 in the proleptic Gregorian calendar, their
 * ISO 8601 text, and the French business calendar.  Integer arithmetic only:
 * nothing here reads the clock or depends on the time zone, so a batch run
 * gives the same answer wherever and whenever it runs.
 */
#include <stddef.h>
#include <stdint.h>

#include "tiers.h"

/* Days from 0000-03-01 to 1970-01-01 in the shifted calendar below. */
#define EPOCH_SHIFT	719468
#define DAYS_PER_ERA	146097	/* 400 Gregorian years */

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int n[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Division rounding toward minus infinity, so dates before 1970 work. */
static int64_t
floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Years are those the text form can hold: 0001 to 9999. */
int
date_valid(int y, int m, int d)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12)
		return 0;
	return d >= 1 && d <= mdays(y, m);
}

/*
 * The year is counted from March so that the leap day falls last; the
 * month lengths from March are then given by (153 * mp + 2) / 5.
 * The arithmetic is done on 64 bits so that no int32 day overflows.
 */
int32_t
date_from_ymd(int y, int m, int d)
{
	int64_t yy, era, yoe, doy, doe;

	yy = (int64_t)y - (m <= 2);
	era = floordiv(yy, 400);
	yoe = yy - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * DAYS_PER_ERA + doe - EPOCH_SHIFT);
}

void
date_to_ymd(int32_t days, int *y, int *m, int *d)
{
	int64_t z, era, doe, yoe, doy, mp;

	z = (int64_t)days + EPOCH_SHIFT;
	era = floordiv(z, DAYS_PER_ERA);
	doe = z - era * DAYS_PER_ERA;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/*
 * The eight bytes at s, the first lowest, whatever the processor's byte
 * order (compilers make one load of it where the order is little-endian).
 */
static inline __attribute__((always_inline)) uint64_t
load8(const unsigned char *s)
{
	return (uint64_t)s[0] | (uint64_t)s[1] << 8 | (uint64_t)s[2] << 16 |
	    (uint64_t)s[3] << 24 | (uint64_t)s[4] << 32 | (uint64_t)s[5] << 40 |
	    (uint64_t)s[6] << 48 | (uint64_t)s[7] << 56;
}

#define ONES	0x0101010101010101ULL

/*
 * Exactly "YYYY-MM-DD": no sign, no spaces, no short fields; then a day
 * date_valid takes.  A date is read a word at a time, being the most
 * parsed field of the batch (liquidate reads one and a half million on a
 * day).  Bytes 0-7 and 2-9 are each taken as one word and xored with
 * what "0000-00-00" has there: a digit becomes 0-9, a dash 0; adding
 * 0x76 to a digit's byte and 0x7f to a dash's sets its high bit when it
 * was not that (a byte with the high bit already set is wrong by itself,
 * whatever it carries into the next).  The digits are then joined in
 * pairs and the year's two pairs joined.  The leap day alone needs the
 * year's rule.  Always inlined, so that the year, month and day stay in
 * registers.
 */
static inline __attribute__((always_inline)) int
ymd(const char *p, size_t n, unsigned *yp, unsigned *mp, unsigned *dp)
{
	static const unsigned char mlen[13] = {
		0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	const unsigned char *s = (const unsigned char *)p;
	uint64_t a, b, t;
	unsigned y, m, d;

	if (n != 10)
		return -1;
	a = load8(s) ^ 0x2d30302d30303030ULL;		/* "0000-00-" */
	b = load8(s + 2) ^ 0x30302d30302d3030ULL;	/* "00-00-00" */
	if (((a | (a + 0x7f76767f76767676ULL) | b |
	    (b + 0x76767f76767f7676ULL)) & 0x80 * ONES) != 0)
		return -1;
	t = (a * 10 + (a >> 8)) & 0x0000ff0000ff00ffULL;
	y = (unsigned)(t & 0xff) * 100 + (unsigned)(t >> 16 & 0xff);
	m = (unsigned)(t >> 40);
	d = (unsigned)(b >> 48 & 0xff) * 10 + (unsigned)(b >> 56);
	if (y == 0 || m - 1 >= 12 || d - 1 >= mlen[m] ||
	    (m == 2 && d == 29 && !leap((int)y)))
		return -1;
	*yp = y;
	*mp = m;
	*dp = d;
	return 0;
}

int
date_ymd(const char *s, size_t n, int *y, int *m, int *d)
{
	unsigned yy, mm, dd;

	if (ymd(s, n, &yy, &mm, &dd) < 0)
		return -1;
	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
	return 0;
}

/*
 * date_from_ymd for a year of 1 to 9999: the year counted from March is
 * never negative, its eras and centuries plain divisions; the day of that
 * year at the first of each month from a table.
 */
int
date_parse(const char *s, size_t n, int32_t *days)
{
	static const unsigned short doy[13] = {
		0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275
	};
	unsigned y, m, d;

	if (ymd(s, n, &y, &m, &d) < 0)
		return -1;
	y -= m <= 2;
	*days = (int32_t)(y * 365 + y / 4 - y / 100 + y / 400 + doy[m] +
	    d - 1) - EPOCH_SHIFT;
	return 0;
}

static void
put(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * A day whose year the text form cannot hold is written "0000-00-00",
 * which date_parse rejects: a wild value shows instead of wrapping.
 */
size_t
date_fmt(int32_t days, char *buf)
{
	int y, m, d;

	date_to_ymd(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		y = m = d = 0;
	put(buf, y, 4);
	buf[4] = '-';
	put(buf + 5, m, 2);
	buf[7] = '-';
	put(buf + 8, d, 2);
	buf[10] = '\0';
	return 10;
}

/* 1970-01-01 was a Thursday (3). */
int
date_wday(int32_t days)
{
	return (days % 7 + 7 + 3) % 7;
}

/*
 * The anonymous Gregorian algorithm (Meeus, Astronomical Algorithms,
 * ch. 8).  Floor division keeps it defined for years before 1 as well.
 */
int32_t
date_easter(int y)
{
	int64_t a, b, c, d, e, f, g, h, i, k, l, m, n;

	a = y - floordiv(y, 19) * 19;
	b = floordiv(y, 100);
	c = y - b * 100;
	d = floordiv(b, 4);
	e = b - d * 4;
	f = floordiv(b + 8, 25);
	g = floordiv(b - f + 1, 3);
	h = (19 * a + b - d - g + 15) % 30;
	h = (h + 30) % 30;
	i = c / 4;
	k = c % 4;
	l = ((32 + 2 * e + 2 * i - h - k) % 7 + 7) % 7;
	m = (a + 11 * h + 22 * l) / 451;
	n = h + l - 7 * m + 114;
	return date_from_ymd(y, (int)(n / 31), (int)(n % 31 + 1));
}

/*
 * Metropolitan France's eleven jours fériés (Code du travail L3133-1),
 * named as single ASCII tokens fit for TSV tables.  Alsace-Moselle's
 * Good Friday and 26 December are not included.  Whit Monday is counted
 * as a holiday although the journée de solidarité makes it a working day
 * at some employers: a documented project choice.  When two fall on one
 * day (Ascension on 1 May 2008) the fixed date's name is given.
 */
const char *
date_holiday(int32_t days)
{
	static const struct {
		int m, d;
		const char *name;
	} fixed[] = {
		{ 1, 1, "jour-de-l-an" },
		{ 5, 1, "fete-du-travail" },
		{ 5, 8, "victoire-1945" },
		{ 7, 14, "fete-nationale" },
		{ 8, 15, "assomption" },
		{ 11, 1, "toussaint" },
		{ 11, 11, "armistice" },
		{ 12, 25, "noel" }
	};
	int32_t easter;
	size_t j;
	int y, m, d;

	date_to_ymd(days, &y, &m, &d);
	for (j = 0; j < sizeof fixed / sizeof fixed[0]; j++)
		if (fixed[j].m == m && fixed[j].d == d)
			return fixed[j].name;
	/* Movable feasts fall between 23 March and 14 June. */
	if (m < 3 || m > 6)
		return NULL;
	easter = date_easter(y);
	if (days - easter == 1)
		return "lundi-de-paques";
	if (days - easter == 39)
		return "ascension";
	if (days - easter == 50)
		return "lundi-de-pentecote";
	return NULL;
}

int
date_business(int32_t days)
{
	return date_wday(days) < 5 && date_holiday(days) == NULL;
}

/*
 * At most four days in a row are not business days (Ascension on 7 May,
 * then 8 May and the weekend), so these loops are short.
 */
int32_t
date_next_business(int32_t days)
{
	do
		days++;
	while (!date_business(days));
	return days;
}

int32_t
date_prev_business(int32_t days)
{
	do
		days--;
	while (!date_business(days));
	return days;
}
