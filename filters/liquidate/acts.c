/*
 * liquidate: the care domains, as on the card, and the act-code table
 * that gives each act of a claim its domain (tiers-acts(5)): the
 * built-in one (formats/acts/acts.tsv) or a client's file (-a).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"
#include "acts.h"

/* Their bit in a domain mask is their place here. */
const char *const domnames[NDOM] = {
	"PHAR", "MEDG", "MEDS", "LABO", "RADL", "SAGE", "LPPS", "AMI", "AMM",
	"AMY", "AMO", "AMP", "CSTE", "OPTI", "TRAN", "HOSP", "EXTE", "AUDI",
	"DENT", "CURE"
};

static struct acts acttab;
static int *actdom;		/* the domain of each entry of acttab */

int
domidx(const char *s, size_t n)
{
	const char *d;
	size_t k;
	int i;

	/*
	 * The first letter first: a PEC's domain (OPTI, DENT, AUDI) is among
	 * the last, and a master's list names several a beneficiary.
	 */
	if (n == 0)
		return -1;
	for (i = 0; i < NDOM; i++) {
		d = domnames[i];
		if (d[0] != s[0])
			continue;
		for (k = 1; k < n && d[k] != '\0' && d[k] == s[k]; k++)
			;
		if (k == n && d[n] == '\0')
			return i;
	}
	return -1;
}

/*
 * -a arg: the name of the built-in table ("acts"), or else a file
 * smaller than 1 MiB; NULL: the built-in table.
 */
void
loadacts(const char *arg)
{
	const char *text = acts_builtin, *field, *name = "acts (built in)";
	char *buf = NULL, err[128];
	size_t n, cap = 1 << 20, i;
	long line;
	int rc;
	FILE *fp;

	if (arg != NULL && strcmp(arg, "acts") != 0) {
		if ((fp = fopen(arg, "r")) == NULL)
			die(EX_NOINPUT, "%s: %s (not a built-in table either)", arg, strerror(errno));
		buf = xmalloc(cap);
		n = fread(buf, 1, cap - 1, fp);
		if (ferror(fp) || !feof(fp))
			die(EX_DATAERR, "%s: unreadable, or larger than %zu bytes", arg, cap - 1);
		fclose(fp);
		buf[n] = '\0';
		if (strlen(buf) != n)
			die(EX_DATAERR, "%s: NUL byte", arg);
		text = buf;
		name = arg;
	}
	rc = acts_load(&acttab, text, &line, &field, err, sizeof err);
	free(buf);
	if (rc < 0)
		die_at(EX_DATAERR, name, line, field, "%s", err);
	actdom = xmalloc((acttab.n ? acttab.n : 1) * sizeof *actdom);
	for (i = 0; i < acttab.n; i++)
		if ((actdom[i] = domidx(acttab.a[i].dom, strlen(acttab.a[i].dom))) < 0)
			die_at(EX_DATAERR, name, acttab.a[i].line, "domain", "not a care domain");
}

/* The three below of an act code, found once: a claim needs all of them. */
void
actof(const char *code, size_t n, int *dom, int *part, int64_t *plv)
{
	long i = acts_find(&acttab, code, n);

	*dom = i < 0 ? -1 : actdom[i];
	*part = i < 0 ? 0 : acttab.a[i].part;
	*plv = i < 0 ? -1 : acttab.a[i].plv;
}

/* The domain of an act code, -1 if the table does not list it. */
int
actdomain(const char *code, size_t n)
{
	long i = acts_find(&acttab, code, n);

	return i < 0 ? -1 : actdom[i];
}

/* The optics part of an act code (ACT_FRAME, ACT_LENS), 0 if none. */
int
actpart(const char *code, size_t n)
{
	long i = acts_find(&acttab, code, n);

	return i < 0 ? 0 : acttab.a[i].part;
}

/* The 100 % Santé price of an act code, a unit, in cents; -1 if none. */
int64_t
actplv(const char *code, size_t n)
{
	long i = acts_find(&acttab, code, n);

	return i < 0 ? -1 : acttab.a[i].plv;
}
