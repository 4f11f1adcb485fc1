/*
 * fuzz-normev3: benef-integrate's Norme V3 XML reader
 * (filters/benef-integrate/normev3.c) on any bytes, plain or gzip: the
 * header (bi_xml_head), then the file (bi_xml_file) validated against
 * the built-in schema, as main.c reads a client's file.  Each entry goes
 * through the rules (bi_check); what the harness checks is in
 * benefsink.h: an entry kept has a key and valid NIRs, dates and rights;
 * a refused file gives "file:line: field: reason (file refused)", with
 * no NIR in it; nothing exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "tiers.h"
#include "fuzz.h"
#include "benefsink.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xmlSchemaPtr schema;
	char sender[FLD], msg[1024];
	long fileno = -1;
	int st;

	if (schema == NULL) {
		LIBXML_TEST_VERSION
		xmlSubstituteEntitiesDefault(0);
		if ((schema = bi_loadschema(benef_xsd, NULL)) == NULL)
			fz_fail("the built-in schema");
		date_parse("2026-11-18", 10, &bizdate);
	}
	fpath = fz_file(0, data, size, NULL);
	nent = nrej = 0;
	sender[0] = '\0';
	msg[0] = '\0';
	st = bi_xml_head(fpath, sender, &fileno, msg, sizeof msg);
	if (st == EX_DATAERR) {
		refusal("bi_xml_head", msg);
		return 0;
	}
	if (st != 0)
		fz_fail("bi_xml_head: status %d: %s", st, msg);
	/* What main.c takes for the file's order: a sender, a number. */
	if (sender[0] == '\0' || fileno < 0 || fileno > 999999999)
		fz_fail("bi_xml_head: sender or file number");
	fieldok("sender", 0, sender);
	msg[0] = '\0';
	st = bi_xml_file(fpath, sender, fileno, schema, &sink, msg, sizeof msg);
	if (st == EX_DATAERR)
		refusal("bi_xml_file", msg);
	else if (st != 0)
		fz_fail("bi_xml_file: status %d: %s", st, msg);
	return 0;
}
