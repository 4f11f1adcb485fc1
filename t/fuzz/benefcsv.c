/*
 * fuzz-benefcsv: benef-integrate's CSV reader
 * (filters/benef-integrate/csv.c; tiers-benef(5)) on any bytes, plain or
 * gzip: the first row's client and file number (bi_csv_head), then the
 * file (bi_csv_file), as main.c reads a client's file.  Each entry goes
 * through the rules (bi_check); what the harness checks is in
 * benefsink.h.  A header alone is a day without changes: no sender.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"
#include "benefsink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sender[FLD], msg[1024];
	long fileno = -1;
	int st;

	if (bizdate == 0)
		date_parse("2026-11-18", 10, &bizdate);
	fpath = fz_file(0, data, size, NULL);
	nent = nrej = 0;
	sender[0] = '\0';
	msg[0] = '\0';
	st = bi_csv_head(fpath, sender, &fileno, msg, sizeof msg);
	if (st == EX_DATAERR) {
		refusal("bi_csv_head", msg);
		return 0;
	}
	if (st != 0 && st != 1)
		fz_fail("bi_csv_head: status %d: %s", st, msg);
	/* A header alone names nothing; a row names a client and a number. */
	if (st == 1 ? sender[0] != '\0' || fileno != 0 :
	    sender[0] == '\0' || fileno < 0 || fileno > 999999999)
		fz_fail("bi_csv_head: sender or file number");
	msg[0] = '\0';
	st = bi_csv_file(fpath, &sink, msg, sizeof msg);
	if (st == EX_DATAERR)
		refusal("bi_csv_file", msg);
	else if (st != 0)
		fz_fail("bi_csv_file: status %d: %s", st, msg);
	return 0;
}
