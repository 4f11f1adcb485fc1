/*
 * liquidate: the PEC streams (care agreements, tiers-liquidate(5)),
 * read into memory, then sorted with peccmp for the lookup (findpec in
 * rules.c).  A PEC generation (what -N wrote the day before: its own
 * columns, a business_date) is already in that order.  The first one
 * given is read where it lies when ps->lazy is set (pecgen.c).
 * Otherwise (liquidate -V, a second generation, a fuzz harness) it is
 * read into memory, its order checked, and its lines written again as
 * they were read.  A stream refused is the reader's error, returned:
 * the caller prints it (main exits; a fuzz harness goes on).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

static const char *const pcols[NPC] = {
	"amc", "pec_number", "nir", "birth_date", "rang", "ps_kind",
	"ps_number", "domain", "act_codes", "valid_from", "valid_to", "amount_eur"
};

/*
 * The column of the first term of the order on which x and y differ,
 * and its sign in *d (0: none, the same agreement).
 */
const char *
pecdiff(const struct pec *x, const struct pec *y, int *d)
{
#define NUM(a, b) ((a) < (b) ? -1 : (a) > (b))
	if ((*d = strcmp(x->amc, y->amc)) != 0)
		return "amc";
	if ((*d = strcmp(x->nir, y->nir)) != 0)
		return "nir";
	if ((*d = NUM(x->birth, y->birth)) != 0)
		return "birth_date";
	if ((*d = NUM(x->rang, y->rang)) != 0)
		return "rang";
	if ((*d = NUM(x->from, y->from)) != 0)
		return "valid_from";
	if ((*d = strcmp(x->number, y->number)) != 0)
		return "pec_number";
	if ((*d = NUM(x->to, y->to)) != 0)
		return "valid_to";
	if ((*d = NUM(x->amount, y->amount)) != 0)
		return "amount_eur";
	if ((*d = NUM(x->dom, y->dom)) != 0)
		return "domain";
	if ((*d = strcmp(x->pskind, y->pskind)) != 0)
		return "ps_kind";
	if ((*d = strcmp(x->psnum, y->psnum)) != 0)
		return "ps_number";
	*d = strcmp(x->acts, y->acts);
	return "act_codes";
#undef NUM
}

/*
 * The dates a walk has parsed, by their ten bytes: a generation's lines
 * hold few distinct valid_from and valid_to, and a beneficiary's lines
 * follow each other with the same birth date.  Each text is parsed, and
 * so checked, the first time it is met; the same bytes give the same
 * day.  The walk reads three dates a line: parsed, they were a third of
 * its cost on a generation of 500 000 lines; a lookup parses the lines
 * it finds (pecgen.c, genline) with the same memo.
 */
int
memodate(struct datememo *m, const char *s, size_t n, int32_t *d)
{
	uint64_t v;
	uint16_t w;
	size_t h;

	if (m == NULL || n != 10)
		return date_parse(s, n, d);
	memcpy(&w, s, sizeof w);
	memcpy(&v, s + 2, sizeof v);
	h = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 54);
	if (m->e[h].ok && m->e[h].v == v && m->e[h].w == w) {
		*d = m->e[h].d;
		return 0;
	}
	if (date_parse(s, n, d) < 0)
		return -1;
	m->e[h].v = v;
	m->e[h].w = w;
	m->e[h].ok = 1;
	m->e[h].d = *d;
	return 0;
}

/*
 * The domain of field f (domidx's answer), through m's table unless m is
 * NULL: a few domains, each looked up once.
 */
static int
memodom(struct datememo *m, const struct field *f)
{
	size_t h;
	int i;

	if (m == NULL || f->n == 0 || f->n > sizeof m->dom[0].s)
		return domidx(f->p, f->n);
	h = ((unsigned char)f->p[0] + f->n) % (sizeof m->dom / sizeof m->dom[0]);
	if (m->dom[h].n == f->n && memcmp(m->dom[h].s, f->p, f->n) == 0)
		return m->dom[h].i;
	if ((i = domidx(f->p, f->n)) >= 0) {
		memcpy(m->dom[h].s, f->p, f->n);
		m->dom[h].n = f->n;
		m->dom[h].i = i;
	}
	return i;
}

/*
 * Field f in the arena ar, NUL-ended: the copy made last time (*last) if
 * its bytes are the same, as the clients' numbers and the kinds of
 * practitioner of the lines a lookup reads mostly are.
 */
static const char *
memostr(struct arena *ar, struct field *last, const struct field *f)
{
	if (last->p == NULL || last->n != f->n || memcmp(last->p, f->p, f->n) != 0) {
		last->p = fdup_in(ar, f);
		last->n = f->n;
	}
	return last->p;
}

/*
 * Is the record r holds written by writepecs as it is, byte for byte:
 * its numbers, domain and amount in their one form?
 */
static int
canonical(const struct ts_reader *r, const struct pec *p)
{
	const struct field *f = r->f;
	const char *d = domnames[p->dom];

	if (f[P_RANG].n != 1 && f[P_RANG].p[0] == '0')
		return 0;
	if (strlen(d) != f[P_DOM].n || memcmp(d, f[P_DOM].p, f[P_DOM].n) != 0)
		return 0;
	return f[P_AMT].p[0] != '-';
}

/* Field f of line, NUL-ended: in raw, line's copy, or in the arena ar. */
static const char *
pecstr(struct arena *ar, char *raw, const char *line, const struct field *f)
{
	size_t o;

	if (raw == NULL)
		return fdup_in(ar, f);
	o = (size_t)(f->p - line);
	raw[o + f->n] = '\0';
	return raw + o;
}

/*
 * The agreement of r's record, its columns at c, into p: its strings in
 * raw (a copy of the line, its TABs made NULs) or in the arena ar.  0,
 * or -1 with r's error.
 */
int
pecrec(struct arena *ar, struct ts_reader *r, const int *c, char *raw, struct pec *p,
    struct datememo *dm)
{
	const struct field *f = r->f;
	char *acts;
	long v;

	memset(p, 0, sizeof *p);
	p->amc = raw == NULL && dm != NULL ? memostr(ar, &dm->amc, &f[c[P_AMC]]) :
	    pecstr(ar, raw, r->line, &f[c[P_AMC]]);
	p->number = pecstr(ar, raw, r->line, &f[c[P_NUM]]);
	if (f[c[P_NUM]].n == 0)
		return ts_error(r, "pec_number", "empty");
	if (f[c[P_NIR]].n != 13)
		return ts_error(r, "nir", "not 13 characters");
	memcpy(p->nir, f[c[P_NIR]].p, 13);
	if (memodate(dm, f[c[P_BIRTH]].p, f[c[P_BIRTH]].n, &p->birth) < 0)
		return ts_error(r, "birth_date", "not a date");
	if (int_parse(f[c[P_RANG]].p, f[c[P_RANG]].n, 0, 99, &v) < 0)
		return ts_error(r, "rang", "not a rank");
	p->rang = (int)v;
	p->pskind = raw == NULL && dm != NULL ? memostr(ar, &dm->psk, &f[c[P_PSK]]) :
	    pecstr(ar, raw, r->line, &f[c[P_PSK]]);
	p->psnum = pecstr(ar, raw, r->line, &f[c[P_PSN]]);
	if ((p->dom = memodom(dm, &f[c[P_DOM]])) < 0)
		return ts_error(r, "domain", "not a domain");
	acts = arena_in(ar, f[c[P_ACTS]].n + 3);
	acts[0] = ' ';
	memcpy(acts + 1, f[c[P_ACTS]].p, f[c[P_ACTS]].n);
	memcpy(acts + 1 + f[c[P_ACTS]].n, " ", 2);
	p->acts = f[c[P_ACTS]].n ? acts : "";
	if (memodate(dm, f[c[P_FROM]].p, f[c[P_FROM]].n, &p->from) < 0)
		return ts_error(r, "valid_from", "not a date");
	if (memodate(dm, f[c[P_TO]].p, f[c[P_TO]].n, &p->to) < 0)
		return ts_error(r, "valid_to", "not a date");
	if (f[c[P_AMT]].n == 0 || r->cents[c[P_AMT]] < 0)
		return ts_error(r, "amount_eur", "missing or negative");
	p->amount = r->cents[c[P_AMT]];
	return 0;
}

/*
 * The agreements of the stream at path, added to ps; r is its reader,
 * closed unless this fails (or kept as ps->gen's): 0, or -1 with r's
 * error.
 */
int
pecopen(struct ts_reader *r, const char *path, int *c)
{
	int i, own;

	if (ts_open(r, path, "pec", 1) < 0)
		return -1;
	own = r->ncol == NPC;
	for (i = 0; i < NPC; i++) {
		if ((c[i] = ts_col(r, pcols[i])) < 0) {
			/* As ts_needcol says it. */
			ts_error(r, "header", "no column %s", pcols[i]);
			r->errline = 1;
			return -1;
		}
		own &= c[i] == i;
	}
	return own;
}

int
loadpec(struct pecset *ps, struct ts_reader *r, const char *path)
{
	int c[NPC], st, own, gen = 0, d;
	struct pec *p;
	const char *why;
	char *raw;
	size_t first = ps->n;

	if ((own = pecopen(r, path, c)) < 0)
		return -1;
	if (own && ps->lazy && ps->gen == NULL && ps->nseg == 0 &&
	    (st = pecgen_open(ps, r, c, path)) != 0)
		return st < 0 ? -1 : 0;
	r->keepmeta = 1;
	while ((st = ts_next(r)) != 0) {
		if (st < 0)
			return -1;
		if (st == 2) {
			/* A generation: the columns writepecs writes, and its date. */
			if (own && ps->n == first && r->len > 14 &&
			    memcmp(r->line, "business_date\t", 14) == 0)
				gen = 1;
			continue;
		}
		if (ps->n == ps->cap) {
			ps->cap = ps->cap ? ps->cap * 2 : 256;
			ps->p = xrealloc(ps->p, ps->cap * sizeof *ps->p);
		}
		p = &ps->p[ps->n];
		/*
		 * A generation's line is kept, its fields' TABs made NULs: its
		 * strings are there, and it is written again from there.
		 */
		raw = NULL;
		if (gen) {
			raw = arena_in(&ps->ar, r->len + 1);
			memcpy(raw, r->line, r->len);
			raw[r->len] = '\0';
		}
		if (pecrec(&ps->ar, r, c, raw, p, NULL) < 0)
			return -1;
		if (gen) {
			/* The merge trusts a generation's order: checked here. */
			if (ps->n > first) {
				why = pecdiff(p - 1, p, &d);
				if (d > 0)
					return ts_error(r, why, "not sorted on amc, nir, "
					    "birth_date, rang, valid_from, pec_number, as a PEC "
					    "generation is");
			}
			if (canonical(r, p)) {
				p->raw = raw;
				p->rawn = (uint32_t)r->len;
			}
		}
		ps->n++;
	}
	ts_close(r);
	ps->runs = xrealloc(ps->runs, (ps->nrun + 1) * sizeof *ps->runs);
	ps->runs[ps->nrun].a = first;
	ps->runs[ps->nrun].b = ps->n;
	ps->runs[ps->nrun++].sorted = gen;
	return 0;
}

/*
 * The agreements in peccmp's order: those of the streams that are not
 * generations sorted together, then merged with the generations, which
 * are in that order already.
 */
void
sortpecs(struct pecset *ps)
{
	struct pec *in;
	size_t k, m, n, o, best, *at, *end;

	/* Nothing to order (streams without agreements: no memory to copy). */
	if (ps->n == 0 || ps->nrun == 0 || (ps->nrun == 1 && ps->runs[0].sorted))
		return;
	/*
	 * The nightly's case: the generation first, the day's after it.
	 * The day's are sorted aside, then merged from the end: the
	 * generation is not moved but to make room.
	 */
	for (k = 1; k < ps->nrun && !ps->runs[k].sorted; k++)
		;
	if (ps->runs[0].sorted && k == ps->nrun) {
		m = ps->n - ps->runs[0].b;
		in = xmalloc((m ? m : 1) * sizeof *in);
		memcpy(in, ps->p + ps->runs[0].b, m * sizeof *in);
		qsort(in, m, sizeof *in, peccmp);
		o = ps->n;
		n = ps->runs[0].b;
		while (m > 0)
			if (n > 0 && peccmp(&ps->p[n - 1], &in[m - 1]) > 0)
				ps->p[--o] = ps->p[--n];
			else
				ps->p[--o] = in[--m];
		free(in);
		return;
	}
	in = xmalloc(ps->n * sizeof *in);
	at = xmalloc((ps->nrun + 1) * sizeof *at);
	end = xmalloc((ps->nrun + 1) * sizeof *end);
	m = 0;
	for (k = 0; k < ps->nrun; k++)
		if (!ps->runs[k].sorted) {
			n = ps->runs[k].b - ps->runs[k].a;
			memcpy(in + m, ps->p + ps->runs[k].a, n * sizeof *in);
			m += n;
		}
	qsort(in, m, sizeof *in, peccmp);
	n = 0;
	at[n] = 0;
	end[n++] = m;
	for (k = 0; k < ps->nrun; k++)
		if (ps->runs[k].sorted) {
			at[n] = m;
			memcpy(in + m, ps->p + ps->runs[k].a,
			    (ps->runs[k].b - ps->runs[k].a) * sizeof *in);
			m += ps->runs[k].b - ps->runs[k].a;
			end[n++] = m;
		}
	for (o = 0; o < ps->n; o++) {
		best = n;
		for (k = 0; k < n; k++)
			if (at[k] < end[k] && (best == n ||
			    peccmp(&in[at[k]], &in[at[best]]) < 0))
				best = k;
		ps->p[o] = in[at[best]++];
	}
	free(end);
	free(at);
	free(in);
}

void
freepecs(struct pecset *ps)
{
	int i;

	if (ps->gen != NULL)
		pecgen_free(ps->gen);
	for (i = 0; i < ps->nseg; i++)
		pecgen_free(ps->seg[i]);
	free(ps->seg);
	free(ps->found);
	free(ps->p);
	free(ps->runs);
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

	/*
	 * The amc the same string most often (a generation's are shared);
	 * the nirs 13 bytes without NUL (pecrec checks them, a stream's
	 * field cannot hold one), two numbers ordered as strcmp orders them.
	 */
	if ((x->amc != y->amc && (d = strcmp(x->amc, y->amc)) != 0) ||
	    (d = nircmp(x->nir, y->nir)) != 0)
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

/* The agreement p as a record of the generation w writes. */
void
wpec(struct ts_writer *w, const struct pec *p, char **line, size_t *cap)
{
	const char *a;
	size_t j, m;

	/* A generation's line, kept: the bytes the fields would make. */
	if (p->raw != NULL) {
		if (p->rawn > *cap) {
			*cap = p->rawn;
			*line = xrealloc(*line, *cap);
		}
		for (j = 0; j < p->rawn; j++)
			(*line)[j] = p->raw[j] != '\0' ? p->raw[j] : '\t';
		ts_wfields(w, *line, p->rawn, NPC, p->amount);
		ts_wend(w);
		return;
	}
	ts_wcstr(w, p->amc);
	ts_wcstr(w, p->number);
	ts_wstr(w, p->nir, 13);
	ts_wdate(w, p->birth);
	ts_wint(w, p->rang);
	ts_wcstr(w, p->pskind);
	ts_wcstr(w, p->psnum);
	ts_wcstr(w, domnames[p->dom]);
	/* " A B " as read: "A B". */
	a = p->acts;
	m = strlen(a);
	if (m >= 2)
		ts_wstr(w, a + 1, m - 2);
	else
		ts_wstr(w, "", 0);
	ts_wdate(w, p->from);
	ts_wdate(w, p->to);
	ts_wmoney(w, p->amount);
	ts_wend(w);
}

/*
 * The PEC generation: the agreements of ps (sorted) and of g[0, ng),
 * generations read where they lie (oldest first), merged, whose validity ends
 * on or after keep, as a pec stream on fd, its metadata lines meta[0,
 * nmeta) first; an agreement given twice is written once, the oldest
 * generation's line kept.  The number written, in *n, their sum in *sum (unless NULL).  g
 * is read whole meanwhile and
 * checked (pecgen_write), before anything is published.
 */
void
pecwrite(struct pecgen *const *g, int ng, const struct pecset *ps, int fd, const char *path,
    const char *const *meta, int nmeta, int32_t keep, uint64_t *n, int64_t *sum)
{
	struct ts_writer w;
	char *line = NULL;
	size_t i, cap = 0;
	int k;

	ts_wopen(&w, fd, path, "pec", 1, pcols, NPC);
	for (k = 0; k < nmeta; k++)
		ts_wmeta(&w, meta[k]);
	*n = 0;
	if (ng > 1)
		*n = pecgen_merge(g, ng, ps, &w, keep, &line, &cap);
	else if (ng == 1)
		*n = pecgen_write(g[0], ps, &w, keep, &line, &cap);
	else
		for (i = 0; i < ps->n; i++) {
			const struct pec *p = &ps->p[i];

			if (p->to < keep || (i > 0 && peccmp(&ps->p[i - 1], p) == 0))
				continue;
			(*n)++;
			wpec(&w, p, &line, &cap);
		}
	free(line);
	if (sum != NULL)
		*sum = w.sum;
	ts_wclose(&w);
}

/* The PEC generation of ps (its generation read where it lies, its agreements) (-N). */
void
writepecs(const struct pecset *ps, int fd, const char *path, const char *meta, int32_t keep,
    uint64_t *n)
{
	if (ps->nseg > 0)
		pecstore_gen(ps, fd, path, meta, keep, n);
	else
		pecwrite(&ps->gen, ps->gen != NULL, ps, fd, path, &meta, 1, keep, n, NULL);
}
