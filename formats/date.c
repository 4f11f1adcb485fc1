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

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Exactly "YYYY-MM-DD": no sign, no spaces, no short fields. */
int
date_ymd(const char *s, size_t n, int *y, int *m, int *d)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, y) < 0 || digits(s + 5, 2, m) < 0 ||
	    digits(s + 8, 2, d) < 0)
		return -1;
	if (!date_valid(*y, *m, *d))
		return -1;
	return 0;
}

int
date_parse(const char *s, size_t n, int32_t *days)
{
	int y, m, d;

	if (date_ymd(s, n, &y, &m, &d) < 0)
		return -1;
	*days = date_from_ymd(y, m, d);
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
