/*
 * The PS register (tiers-ps(5)), read whole: a few rows a PS, a few
 * hundred thousand PS at most, sorted for a binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "psreg.h"

static int
rowcmp(const void *pa, const void *pb)
{
	const struct psrow *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->kind, b->kind)) != 0 || (c = strcmp(a->num, b->num)) != 0)
		return c;
	return (a->from > b->from) - (a->from < b->from);
}

void
psreg_read(struct psreg *g, const char *path)
{
	static const char *const cols[] = {
		"ps_kind", "ps_number", "am_number", "siret", "name", "iban", "bic",
		"valid_from", "valid_to"
	};
	struct ts_reader r;
	struct psrow *w;
	size_t i, cap = 0;
	int c[9], copt, k;

	memset(g, 0, sizeof *g);
	if (ts_open(&r, path, "ps-register", 1) < 0)
		ts_fatal(&r);
	for (k = 0; k < 9; k++)
		c[k] = ts_needcol(&r, cols[k]);
	copt = ts_col(&r, "optam");
	while ((k = ts_next(&r)) > 0) {
		const struct field *f = r.f;

		if (f[c[0]].n == 0 || f[c[1]].n == 0)
			die_at(EX_DATAERR, path, r.in.lineno, f[c[0]].n ? "ps_number" : "ps_kind", "empty");
		if (g->n == cap) {
			cap = cap ? cap * 2 : 256;
			g->r = xrealloc(g->r, cap * sizeof *g->r);
		}
		w = &g->r[g->n++];
		memset(w, 0, sizeof *w);
		if (date_parse(f[c[7]].p, f[c[7]].n, &w->from) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "valid_from", "not a date");
		w->to = INT32_MAX;
		if (f[c[8]].n > 0 && date_parse(f[c[8]].p, f[c[8]].n, &w->to) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "valid_to", "not a date");
		if (w->to < w->from)
			die_at(EX_DATAERR, path, r.in.lineno, "valid_to", "before valid_from");
		w->optam = -1;
		if (copt >= 0 && f[copt].n > 0) {
			if (f[copt].n != 1 || (f[copt].p[0] != '0' && f[copt].p[0] != '1'))
				die_at(EX_DATAERR, path, r.in.lineno, "optam", "not 0, 1 or empty");
			w->optam = f[copt].p[0] - '0';
		}
		w->kind = xfdup(&f[c[0]]);
		w->num = xfdup(&f[c[1]]);
		w->am = xfdup(&f[c[2]]);
		w->siret = xfdup(&f[c[3]]);
		w->name = xfdup(&f[c[4]]);
		w->iban = xfdup(&f[c[5]]);
		w->bic = xfdup(&f[c[6]]);
		w->line = r.in.lineno;
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
	if (g->n > 1)
		qsort(g->r, g->n, sizeof *g->r, rowcmp);
	for (i = 1; i < g->n; i++)
		if (strcmp(g->r[i].kind, g->r[i - 1].kind) == 0 &&
		    strcmp(g->r[i].num, g->r[i - 1].num) == 0 && g->r[i].from <= g->r[i - 1].to)
			die_at(EX_DATAERR, path, g->r[i].line, "valid_from",
			    "the PS's rows of line %ld and this one overlap", g->r[i - 1].line);
}

/* kind and num compared as strcmp would compare them NUL-ended. */
static int
keycmp(const struct psrow *w, const char *kind, size_t kn, const char *num, size_t nn)
{
	size_t m = strlen(w->kind);
	int c = memcmp(w->kind, kind, m < kn ? m : kn);

	if (c != 0 || (c = (m > kn) - (m < kn)) != 0)
		return c;
	m = strlen(w->num);
	if ((c = memcmp(w->num, num, m < nn ? m : nn)) != 0)
		return c;
	return (m > nn) - (m < nn);
}

const struct psrow *
psreg_find(const struct psreg *g, const char *kind, size_t kn, const char *num, size_t nn,
    int32_t day)
{
	size_t lo = 0, hi = g->n, m;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (keycmp(&g->r[m], kind, kn, num, nn) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	for (; lo < g->n && keycmp(&g->r[lo], kind, kn, num, nn) == 0; lo++)
		if (g->r[lo].from <= day && day <= g->r[lo].to)
			return &g->r[lo];
	return NULL;
}

void
psreg_free(struct psreg *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->r[i].kind);
		free(g->r[i].num);
		free(g->r[i].am);
		free(g->r[i].siret);
		free(g->r[i].name);
		free(g->r[i].iban);
		free(g->r[i].bic);
	}
	free(g->r);
	memset(g, 0, sizeof *g);
}
