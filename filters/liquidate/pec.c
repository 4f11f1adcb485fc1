/*
 * liquidate: the PEC streams (care agreements, tiers-liquidate(5)),
 * read into memory, then sorted with peccmp for the lookup (findpec in
 * rules.c).  A stream refused is the reader's error, returned: the
 * caller prints it (main exits; a fuzz harness goes on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

enum { P_AMC, P_NUM, P_NIR, P_BIRTH, P_RANG, P_PSK, P_PSN, P_DOM, P_ACTS,
	P_FROM, P_TO, P_AMT, NPC };
static const char *const pcols[NPC] = {
	"amc", "pec_number", "nir", "birth_date", "rang", "ps_kind",
	"ps_number", "domain", "act_codes", "valid_from", "valid_to", "amount_eur"
};

/*
 * The agreements of the stream at path, added to ps; r is its reader,
 * closed unless this fails: 0, or -1 with r's error.
 */
int
loadpec(struct pecset *ps, struct ts_reader *r, const char *path)
{
	int c[NPC], i, st;
	long v;
	struct pec *p;
	const struct field *f;
	char *acts;

	if (ts_open(r, path, "pec", 1) < 0)
		return -1;
	for (i = 0; i < NPC; i++)
		if ((c[i] = ts_col(r, pcols[i])) < 0) {
			/* As ts_needcol says it. */
			ts_error(r, "header", "no column %s", pcols[i]);
			r->errline = 1;
			return -1;
		}
	while ((st = ts_next(r)) == 1) {
		if (ps->n == ps->cap) {
			ps->cap = ps->cap ? ps->cap * 2 : 256;
			ps->p = xrealloc(ps->p, ps->cap * sizeof *ps->p);
		}
		p = &ps->p[ps->n];
		memset(p, 0, sizeof *p);
		f = r->f;
		p->amc = fdup_in(&ps->ar, &f[c[P_AMC]]);
		p->number = fdup_in(&ps->ar, &f[c[P_NUM]]);
		if (f[c[P_NUM]].n == 0)
			return ts_error(r, "pec_number", "empty");
		if (f[c[P_NIR]].n != 13)
			return ts_error(r, "nir", "not 13 characters");
		memcpy(p->nir, f[c[P_NIR]].p, 13);
		if (date_parse(f[c[P_BIRTH]].p, f[c[P_BIRTH]].n, &p->birth) < 0)
			return ts_error(r, "birth_date", "not a date");
		if (int_parse(f[c[P_RANG]].p, f[c[P_RANG]].n, 0, 99, &v) < 0)
			return ts_error(r, "rang", "not a rank");
		p->rang = (int)v;
		p->pskind = fdup_in(&ps->ar, &f[c[P_PSK]]);
		p->psnum = fdup_in(&ps->ar, &f[c[P_PSN]]);
		if ((p->dom = domidx(f[c[P_DOM]].p, f[c[P_DOM]].n)) < 0)
			return ts_error(r, "domain", "not a domain");
		acts = arena_in(&ps->ar, f[c[P_ACTS]].n + 3);
		snprintf(acts, f[c[P_ACTS]].n + 3, " %.*s ", (int)f[c[P_ACTS]].n,
		    f[c[P_ACTS]].p);
		p->acts = f[c[P_ACTS]].n ? acts : "";
		if (date_parse(f[c[P_FROM]].p, f[c[P_FROM]].n, &p->from) < 0)
			return ts_error(r, "valid_from", "not a date");
		if (date_parse(f[c[P_TO]].p, f[c[P_TO]].n, &p->to) < 0)
			return ts_error(r, "valid_to", "not a date");
		if (f[c[P_AMT]].n == 0 || r->cents[c[P_AMT]] < 0)
			return ts_error(r, "amount_eur", "missing or negative");
		p->amount = r->cents[c[P_AMT]];
		ps->n++;
	}
	if (st < 0)
		return -1;
	ts_close(r);
	return 0;
}

void
freepecs(struct pecset *ps)
{
	free(ps->p);
	arena_free(&ps->ar);
	memset(ps, 0, sizeof *ps);
}

/*
 * The order of the lookup: beneficiary, then validity, then number; the
 * rest of the agreement last, so that the order is total and the
 * generation written in it the same bytes whatever the files' order.
 */
int
peccmp(const void *a, const void *b)
{
	const struct pec *x = a, *y = b;
	int d;

	if ((d = strcmp(x->amc, y->amc)) != 0 || (d = strcmp(x->nir, y->nir)) != 0)
		return d;
	if (x->birth != y->birth)
		return x->birth < y->birth ? -1 : 1;
	if (x->rang != y->rang)
		return x->rang < y->rang ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if ((d = strcmp(x->number, y->number)) != 0)
		return d;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->amount != y->amount)
		return x->amount < y->amount ? -1 : 1;
	if (x->dom != y->dom)
		return x->dom < y->dom ? -1 : 1;
	if ((d = strcmp(x->pskind, y->pskind)) != 0 || (d = strcmp(x->psnum, y->psnum)) != 0)
		return d;
	return strcmp(x->acts, y->acts);
}

/*
 * The PEC generation: the agreements of ps (sorted) whose validity ends
 * on or after keep, as a pec stream on fd; an agreement given twice is
 * written once.  The number written, in *n.
 */
void
writepecs(const struct pecset *ps, int fd, const char *path, const char *meta, int32_t keep,
    uint64_t *n)
{
	struct ts_writer w;
	size_t i, m;
	const char *a;

	ts_wopen(&w, fd, path, "pec", 1, pcols, NPC);
	ts_wmeta(&w, meta);
	*n = 0;
	for (i = 0; i < ps->n; i++) {
		const struct pec *p = &ps->p[i];

		if (p->to < keep || (i > 0 && peccmp(&ps->p[i - 1], p) == 0))
			continue;
		ts_wcstr(&w, p->amc);
		ts_wcstr(&w, p->number);
		ts_wstr(&w, p->nir, 13);
		ts_wdate(&w, p->birth);
		ts_wint(&w, p->rang);
		ts_wcstr(&w, p->pskind);
		ts_wcstr(&w, p->psnum);
		ts_wcstr(&w, domnames[p->dom]);
		/* " A B " as read: "A B". */
		a = p->acts;
		m = strlen(a);
		if (m >= 2)
			ts_wstr(&w, a + 1, m - 2);
		else
			ts_wstr(&w, "", 0);
		ts_wdate(&w, p->from);
		ts_wdate(&w, p->to);
		ts_wmoney(&w, p->amount);
		ts_wend(&w);
		(*n)++;
	}
	ts_wclose(&w);
}
