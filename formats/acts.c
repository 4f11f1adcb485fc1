/*
 * Act-code tables (acts.h, tiers-acts(5)): TAB-separated text, '#'
 * lines and empty lines ignored, a header line naming the columns
 * (code and domain required, others free), one row a code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "acts.h"

static int
actcmp(const void *pa, const void *pb)
{
	const struct act *x = pa, *y = pb;

	return strcmp(x->code, y->code);
}

/* Field k of the line p..e (TAB-separated), in *f and *n; 0 if absent. */
static int
column(const char *p, const char *e, int k, const char **f, size_t *n)
{
	const char *q;

	for (;;) {
		for (q = p; q < e && *q != '\t'; q++)
			;
		if (k-- == 0) {
			*f = p;
			*n = (size_t)(q - p);
			return 1;
		}
		if (q == e)
			return 0;
		p = q + 1;
	}
}

static int
codeok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= ACT_CODESZ)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int
domok(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || n >= ACT_DOMSZ)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return 1;
}

int
acts_load(struct acts *t, const char *text, long *line, const char **field,
    char *err, size_t errn)
{
	const char *p = text, *e, *f;
	size_t n, cap = 0, i;
	long ln = 0;
	int ccode = -1, cdom = -1, cpart = -1, cplv = -1, k, header = 0;
	struct act *a;

	memset(t, 0, sizeof *t);
	*field = NULL;
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		ln++;
		*line = ln;
		if (e == p || *p == '#')
			continue;
		if (memchr(p, '\r', (size_t)(e - p)) != NULL) {
			snprintf(err, errn, "carriage return");
			goto bad;
		}
		if (!header) {
			for (k = 0; column(p, e, k, &f, &n); k++) {
				if (n == 4 && memcmp(f, "code", 4) == 0)
					ccode = k;
				if (n == 6 && memcmp(f, "domain", 6) == 0)
					cdom = k;
				if (n == 4 && memcmp(f, "part", 4) == 0)
					cpart = k;
				if (n == 7 && memcmp(f, "plv_eur", 7) == 0)
					cplv = k;
			}
			if (ccode < 0 || cdom < 0) {
				*field = ccode < 0 ? "code" : "domain";
				snprintf(err, errn, "no such column in the header line");
				goto bad;
			}
			header = 1;
			continue;
		}
		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			t->a = xrealloc(t->a, cap * sizeof *t->a);
		}
		a = &t->a[t->n];
		memset(a, 0, sizeof *a);
		a->line = ln;
		*field = "code";
		if (!column(p, e, ccode, &f, &n) || !codeok(f, n)) {
			snprintf(err, errn, "not 1 to %d capital letters or digits",
			    ACT_CODESZ - 1);
			goto bad;
		}
		memcpy(a->code, f, n);
		*field = "domain";
		if (!column(p, e, cdom, &f, &n) || !domok(f, n)) {
			snprintf(err, errn, "not 2 to %d capital letters", ACT_DOMSZ - 1);
			goto bad;
		}
		memcpy(a->dom, f, n);
		/* Optional: empty, frame or lens. */
		if (cpart >= 0 && column(p, e, cpart, &f, &n) && n > 0) {
			*field = "part";
			if (n == 5 && memcmp(f, "frame", 5) == 0)
				a->part = ACT_FRAME;
			else if (n == 4 && memcmp(f, "lens", 4) == 0)
				a->part = ACT_LENS;
			else {
				snprintf(err, errn, "not frame, lens or empty");
				goto bad;
			}
		}
		/* Optional: empty, or the 100 % Santé price, an amount above 0. */
		a->plv = -1;
		if (cplv >= 0 && column(p, e, cplv, &f, &n) && n > 0) {
			*field = "plv_eur";
			if (money_parse(f, n, &a->plv) != M_OK || a->plv <= 0) {
				snprintf(err, errn, "not an amount above 0.00");
				goto bad;
			}
		}
		t->n++;
	}
	*field = NULL;
	if (!header) {
		*line = 0;
		snprintf(err, errn, "no header line");
		goto bad;
	}
	if (t->n > 0)
		qsort(t->a, t->n, sizeof *t->a, actcmp);
	for (i = 1; i < t->n; i++)
		if (strcmp(t->a[i].code, t->a[i - 1].code) == 0) {
			*line = t->a[i].line > t->a[i - 1].line ? t->a[i].line : t->a[i - 1].line;
			*field = "code";
			snprintf(err, errn, "listed twice");
			goto bad;
		}
	return 0;
bad:
	acts_free(t);
	return -1;
}

void
acts_free(struct acts *t)
{
	free(t->a);
	memset(t, 0, sizeof *t);
}

long
acts_find(const struct acts *t, const char *code, size_t n)
{
	size_t lo = 0, hi = t->n, m, l;
	int d;

	if (n == 0 || n >= ACT_CODESZ)
		return -1;
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		l = strlen(t->a[m].code);
		/* As strcmp compares, on bytes that may hold a NUL. */
		d = memcmp(t->a[m].code, code, l < n ? l : n);
		if (d == 0)
			d = l < n ? -1 : l > n;
		if (d == 0)
			return (long)m;
		if (d < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return -1;
}
