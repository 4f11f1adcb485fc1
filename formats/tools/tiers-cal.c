/*
 * tiers-cal: the French business-day calendar for the pipelines — is a
 * date a business day, which business day comes before or after it, and
 * which public holidays a year has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

static const char *wdays[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-n | -p | -q] date\n"
	    "       %s -y year\n", progname_(), progname_());
	exit(EX_USAGE);
}

static void
year(int y)
{
	int32_t d, end;
	char buf[DATE_BUFSZ];
	const char *h;

	end = date_from_ymd(y + 1, 1, 1);
	for (d = date_from_ymd(y, 1, 1); d < end; d++)
		if ((h = date_holiday(d)) != NULL) {
			date_fmt(d, buf);
			printf("%s\t%s\t%s\n", buf, wdays[date_wday(d)], h);
		}
}

int
main(int argc, char *argv[])
{
	int ch, mode = 0;
	long long y = 0;
	int32_t d;
	char buf[DATE_BUFSZ];
	const char *h;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "npqy:")) != -1)
		switch (ch) {
		case 'n':
		case 'p':
		case 'q':
			if (mode != 0)
				usage();
			mode = ch;
			break;
		case 'y':
			y = numarg(optarg, 1583, 9998, "year");
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (y != 0) {
		if (argc != 0 || mode != 0)
			usage();
		year((int)y);
		fshut_stdout();
		return EX_OK;
	}
	if (argc != 1)
		usage();
	if (date_parse(argv[0], strlen(argv[0]), &d) < 0)
		die_at(EX_DATAERR, "argument", 0, "date", "not an ISO 8601 date (YYYY-MM-DD)");
	switch (mode) {
	case 'n':
	case 'p':
		date_fmt(mode == 'n' ? date_next_business(d) : date_prev_business(d), buf);
		printf("%s\n", buf);
		fshut_stdout();
		return EX_OK;
	case 'q':
		return date_business(d) ? EX_OK : 1;
	}
	h = date_holiday(d);
	printf("%s\t%s\t%s\n", argv[0], wdays[date_wday(d)],
	    date_business(d) ? "business" : h ? h : "weekend");
	fshut_stdout();
	return date_business(d) ? EX_OK : 1;
}
