/*
 * liquidate: the PEC streams (care agreements, tiers-liquidate(5)),
 * read into memory, then sorted with peccmp for the lookup (findpec in
 * rules.c).  A PEC generation (what -N wrote the day before: its own
 * columns, a business_date) is already in that order.  The first one
 * given is read where it lies when ps->lazy is set (pecgen): mapped, the
 * lines of a beneficiary found by a binary search and parsed when a
 * claim needs them, and its lines copied as they are into the next
 * generation, merged with the day's agreements, the ended ones left out;
 * that copy reads it whole and checks it against its trailer (count,
 * sum, CRC-32).  Otherwise (liquidate -V, a second generation, a fuzz
 * harness) it is read into memory, its order checked, and its lines
 * written again as they were read.  A stream refused is the reader's
 * error, returned: the caller prints it (main exits; a fuzz harness
 * goes on).
 */
#define _GNU_SOURCE	/* memrchr */
#include <sys/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "liquidate.h"

enum { P_AMC, P_NUM, P_NIR, P_BIRTH, P_RANG, P_PSK, P_PSN, P_DOM, P_ACTS,
	P_FROM, P_TO, P_AMT, NPC };
static const char *const pcols[NPC] = {
	"amc", "pec_number", "nir", "birth_date", "rang", "ps_kind",
	"ps_number", "domain", "act_codes", "valid_from", "valid_to", "amount_eur"
};

/*
 * A generation read where it lies: its mapping (records from rec to the
 * trailer at end), the lines parsed so far by their offset (open
 * addressing: each parsed once, its agreement's address kept for the
 * run), the lookup's result.
 */
struct pecgen {
	struct ts_reader r;
	int c[NPC];
	const char *map, *rec, *end;
	struct genslot {
		size_t off;
		struct pec *p;
	} *slot;
	size_t cap, n;
	struct arena ar;
	/*
	 * The lookup's sparse index: the beneficiary of the first line
	 * starting in each GEN_STEP bytes, made at the first lookup.
	 */
	struct genent {
		const char *ls, *amc;
		char nir[13];
		int32_t birth;
		int rang;
	} *ix;
	size_t nix;
	int indexed;
	/* The last lookup's beneficiary and result (a family's claims come together). */
	struct pec last;
	size_t nlast;
	const struct pec **found;
	size_t capfound;
};

#define GEN_STEP 4096

/*
 * The column of the first term of the order on which x and y differ,
 * and its sign in *d (0: none, the same agreement).
 */
static const char *
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
static int
pecrec(struct arena *ar, struct ts_reader *r, const int *c, char *raw, struct pec *p)
{
	const struct field *f = r->f;
	char *acts;
	long v;

	memset(p, 0, sizeof *p);
	p->amc = pecstr(ar, raw, r->line, &f[c[P_AMC]]);
	p->number = pecstr(ar, raw, r->line, &f[c[P_NUM]]);
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
	p->pskind = pecstr(ar, raw, r->line, &f[c[P_PSK]]);
	p->psnum = pecstr(ar, raw, r->line, &f[c[P_PSN]]);
	if ((p->dom = domidx(f[c[P_DOM]].p, f[c[P_DOM]].n)) < 0)
		return ts_error(r, "domain", "not a domain");
	acts = arena_in(ar, f[c[P_ACTS]].n + 3);
	acts[0] = ' ';
	memcpy(acts + 1, f[c[P_ACTS]].p, f[c[P_ACTS]].n);
	memcpy(acts + 1 + f[c[P_ACTS]].n, " ", 2);
	p->acts = f[c[P_ACTS]].n ? acts : "";
	if (date_parse(f[c[P_FROM]].p, f[c[P_FROM]].n, &p->from) < 0)
		return ts_error(r, "valid_from", "not a date");
	if (date_parse(f[c[P_TO]].p, f[c[P_TO]].n, &p->to) < 0)
		return ts_error(r, "valid_to", "not a date");
	if (f[c[P_AMT]].n == 0 || r->cents[c[P_AMT]] < 0)
		return ts_error(r, "amount_eur", "missing or negative");
	p->amount = r->cents[c[P_AMT]];
	return 0;
}

/*
 * The stream r (opened, its columns a generation's) read where it lies
 * as ps->gen, if it is a generation (a #business_date line before its
 * records) and a plain file: 1.  0: to be read as any other stream; -1:
 * r's error.
 */
static int
genopen(struct pecset *ps, struct ts_reader *r, const int *c)
{
	struct pecgen *g;
	const char *m, *e, *p, *nl, *t;
	int gen = 0;

	if (ts_map(r) < 0) {
		/* A gzip file or a pipe: read in order, its errors found there. */
		r->errline = 0;
		r->errmsg[0] = '\0';
		return 0;
	}
	m = r->map;
	e = m + r->maplen;
	for (p = m + r->hdrlen; p < e && *p == '#' && strncmp(p, "#end", 4) != 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			break;
		if (nl - p > 15 && memcmp(p, "#business_date\t", 15) == 0)
			gen = 1;
	}
	if (!gen) {
		munmap(r->map, r->maplen);
		r->map = NULL;
		r->maplen = 0;
		return 0;
	}
	/* Its trailer's line: the records end there. */
	for (t = e - 1; t > p && t[-1] != '\n'; t--)
		;
	if (e[-1] != '\n' || t < p || strncmp(t, "#end", 4) != 0) {
		r->line = e;
		r->in.lineno = -1;
		return ts_error(r, "trailer", "no trailer: stream truncated or its writer failed");
	}
	g = xmalloc(sizeof *g);
	memset(g, 0, sizeof *g);
	g->r = *r;
	memcpy(g->c, c, sizeof g->c);
	g->map = m;
	g->rec = p;
	g->end = t;
	ps->gen = g;
	return 1;
}

/*
 * The agreements of the stream at path, added to ps; r is its reader,
 * closed unless this fails (or kept as ps->gen's): 0, or -1 with r's
 * error.
 */
int
loadpec(struct pecset *ps, struct ts_reader *r, const char *path)
{
	int c[NPC], i, st, own, gen = 0, d;
	struct pec *p;
	const char *why;
	char *raw;
	size_t first = ps->n;

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
	if (own && ps->lazy && ps->gen == NULL && (st = genopen(ps, r, c)) != 0)
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
		if (pecrec(&ps->ar, r, c, raw, p) < 0)
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

/* The generation's line at ls is bad: the message, and exit (ts_fatal). */
static void __attribute__((noreturn))
genbad(struct pecgen *g, const char *ls, const char *field, const char *why)
{
	g->r.line = ls;
	g->r.in.lineno = -1;
	ts_error(&g->r, field, "%s", why);
	ts_fatal(&g->r);
}

/*
 * The beneficiary of the generation's line at ls (amc, nir, birth_date,
 * rang: its first five columns, cut here, checked as read) against k's:
 * <0, 0 or >0 as peccmp orders them.
 */
static int
genben(struct pecgen *g, const char *ls, const struct pec *k)
{
	const char *f[5], *p = ls, *nl, *t;
	size_t n[5];
	int32_t birth;
	long rang;
	int i, d;

	nl = memchr(ls, '\n', (size_t)(g->end - ls));
	for (i = 0; i < 5; i++) {
		if (*ls == '#' || (t = memchr(p, '\t', (size_t)(nl - p))) == NULL)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		f[i] = p;
		n[i] = (size_t)(t - p);
		p = t + 1;
	}
	if ((d = bytecmp(f[P_AMC], n[P_AMC], k->amc, strlen(k->amc))) != 0)
		return d;
	if (n[P_NIR] != 13)
		genbad(g, ls, "nir", "not 13 characters");
	if ((d = memcmp(f[P_NIR], k->nir, 13)) != 0)
		return d;
	if (date_parse(f[P_BIRTH], n[P_BIRTH], &birth) < 0)
		genbad(g, ls, "birth_date", "not a date");
	if (birth != k->birth)
		return birth < k->birth ? -1 : 1;
	if (int_parse(f[P_RANG], n[P_RANG], 0, 99, &rang) < 0)
		genbad(g, ls, "rang", "not a rank");
	return rang < k->rang ? -1 : rang > k->rang;
}

/* The agreement of the generation's line at ls, parsed once. */
static const struct pec *
genline(struct pecgen *g, const char *ls)
{
	size_t off = (size_t)(ls - g->map), h, i, m;
	struct genslot *old;
	struct pec *p;

	if (2 * (g->n + 1) > g->cap) {
		old = g->slot;
		m = g->cap;
		g->cap = m ? 2 * m : 1024;
		g->slot = xmalloc(g->cap * sizeof *g->slot);
		memset(g->slot, 0, g->cap * sizeof *g->slot);
		for (i = 0; i < m; i++)
			if (old[i].p != NULL) {
				for (h = (old[i].off * 0x9e3779b97f4a7c15ULL) >> 20 & (g->cap - 1);
				    g->slot[h].p != NULL; h = (h + 1) & (g->cap - 1))
					;
				g->slot[h] = old[i];
			}
		free(old);
	}
	for (h = (off * 0x9e3779b97f4a7c15ULL) >> 20 & (g->cap - 1); g->slot[h].p != NULL;
	    h = (h + 1) & (g->cap - 1))
		if (g->slot[h].off == off)
			return g->slot[h].p;
	if (ts_line(&g->r, ls) < 0)
		ts_fatal(&g->r);
	p = (struct pec *)(void *)arena_in(&g->ar, sizeof *p);
	if (pecrec(&g->ar, &g->r, g->c, NULL, p) < 0)
		ts_fatal(&g->r);
	g->slot[h].off = off;
	g->slot[h].p = p;
	g->n++;
	return p;
}

/* The line after ls, a line of the generation's records. */
static const char *
gennext(const struct pecgen *g, const char *ls)
{
	return (const char *)memchr(ls, '\n', (size_t)(g->end - ls)) + 1;
}

/* The beneficiary of the generation's line at ls, into e (checked as genben checks it). */
static void
genkey(struct pecgen *g, const char *ls, struct genent *e)
{
	const char *f[5], *p = ls, *nl, *t;
	size_t n[5];
	long rang;
	char *amc;
	int i;

	nl = memchr(ls, '\n', (size_t)(g->end - ls));
	for (i = 0; i < 5; i++) {
		if (*ls == '#' || (t = memchr(p, '\t', (size_t)(nl - p))) == NULL)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		f[i] = p;
		n[i] = (size_t)(t - p);
		p = t + 1;
	}
	if (n[P_NIR] != 13)
		genbad(g, ls, "nir", "not 13 characters");
	if (date_parse(f[P_BIRTH], n[P_BIRTH], &e->birth) < 0)
		genbad(g, ls, "birth_date", "not a date");
	if (int_parse(f[P_RANG], n[P_RANG], 0, 99, &rang) < 0)
		genbad(g, ls, "rang", "not a rank");
	e->ls = ls;
	e->rang = (int)rang;
	memcpy(e->nir, f[P_NIR], 13);
	/* The clients' numbers, few: one copy for each run of the same. */
	if (g->nix > 0 && bytecmp(f[P_AMC], n[P_AMC], g->ix[g->nix - 1].amc,
	    strlen(g->ix[g->nix - 1].amc)) == 0)
		e->amc = g->ix[g->nix - 1].amc;
	else {
		amc = arena_in(&g->ar, n[P_AMC] + 1);
		memcpy(amc, f[P_AMC], n[P_AMC]);
		amc[n[P_AMC]] = '\0';
		e->amc = amc;
	}
}

/*
 * The sparse index: a line every GEN_STEP bytes, read at its offset
 * (a page each), the pages then given back.
 */
static void
genindex(struct pecgen *g)
{
	const char *o, *ls, *prev = NULL;
	size_t cap = 0;

	g->indexed = 1;
	for (o = g->rec; o < g->end; o += GEN_STEP) {
		ls = o == g->rec || o[-1] == '\n' ? o :
		    (const char *)memchr(o, '\n', (size_t)(g->end - o)) + 1;
		if (ls >= g->end)
			break;
		if (ls == prev)
			continue;
		if (g->nix == cap) {
			cap = cap ? 2 * cap : 1024;
			g->ix = xrealloc(g->ix, cap * sizeof *g->ix);
		}
		genkey(g, ls, &g->ix[g->nix]);
		g->nix++;
		prev = ls;
	}
	pages_release(g->rec, g->end);
}

/* An entry of the index against k's beneficiary, as peccmp orders them. */
static int
entcmp(const struct genent *e, const struct pec *k)
{
	int d;

	if ((d = strcmp(e->amc, k->amc)) != 0 || (d = memcmp(e->nir, k->nir, 13)) != 0)
		return d;
	if (e->birth != k->birth)
		return e->birth < k->birth ? -1 : 1;
	return e->rang < k->rang ? -1 : e->rang > k->rang;
}

/*
 * The first line of the generation whose beneficiary is not before k's:
 * the last entry of the index before k, then its lines, GEN_STEP bytes
 * at most, read on.
 */
static const char *
genseek(struct pecgen *g, const struct pec *k)
{
	size_t lo = 0, hi = g->nix, m;
	const char *ls;

	if (!g->indexed)
		genindex(g);
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (entcmp(&g->ix[m], k) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	for (ls = lo > 0 ? g->ix[lo - 1].ls : g->rec; ls < g->end && genben(g, ls, k) < 0;
	    ls = gennext(g, ls))
		;
	return ls;
}

size_t
genfind(struct pecgen *g, const struct pec *k, const struct pec ***out)
{
	const char *ls, *amc;
	size_t n = 0;

	*out = g->found;
	if (g->last.amc != NULL && strcmp(g->last.amc, k->amc) == 0 &&
	    memcmp(g->last.nir, k->nir, 13) == 0 && g->last.birth == k->birth &&
	    g->last.rang == k->rang)
		return g->nlast;
	for (ls = genseek(g, k); ls < g->end && genben(g, ls, k) == 0; ls = gennext(g, ls)) {
		if (n == g->capfound) {
			g->capfound = g->capfound ? 2 * g->capfound : 16;
			g->found = xrealloc(g->found, g->capfound * sizeof *g->found);
		}
		g->found[n++] = genline(g, ls);
	}
	amc = g->last.amc != NULL && strcmp(g->last.amc, k->amc) == 0 ? g->last.amc :
	    fdup_in(&g->ar, &(struct field){ k->amc, strlen(k->amc) });
	g->last = *k;
	g->last.amc = amc;
	g->nlast = n;
	*out = g->found;
	return n;
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
	if (ps->gen != NULL) {
		ts_close(&ps->gen->r);
		arena_free(&ps->gen->ar);
		free(ps->gen->slot);
		free(ps->gen->ix);
		free(ps->gen->found);
		free(ps->gen);
	}
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

/* The agreement p as a record of the generation w writes. */
static void
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
 * A line of a generation read where it lies, cut where the walk reads
 * it: its first five columns and its last three (the others are copied
 * unread).
 */
struct gline {
	const char *ls, *f[NPC];
	size_t n[NPC];
	int32_t birth, from, to;
	long rang;
	int64_t amt;
};

/*
 * The walk of a generation read where it lies, copied into the next
 * generation (w, unless NULL: only read): the CRC-32 of its lines after
 * the header so far, the records and sum read, the records written, the
 * pages before rel given back, the last line read (its order checked
 * against the next); the day's agreements (ps, sorted) merged in as it
 * goes, i the next of them, those ended before keep left out.
 */
struct genwalk {
	uint32_t crc;
	uint64_t n, nout;
	int64_t sum;
	const char *rel;
	struct gline prev;
	int haveprev;
	struct ts_writer *w;
	const struct pecset *ps;
	size_t i;
	int32_t keep;
	char *line;
	size_t cap;
};

#define GEN_RELEASE (16 << 20)

/* [a, b) of the generation into k's writer (nrec records summing to sum), or only read. */
static void
genrun(const char *a, const char *b, uint64_t nrec, int64_t sum, int keep, struct genwalk *k)
{
	const char *p;
	uint64_t m;
	uint32_t c;

	if (b <= a) {
		if (b < a || nrec != 0)
			die(EX_SOFTWARE, "PEC generation: a run of %llu lines in %lld bytes",
			    (unsigned long long)nrec, (long long)(b - a));
		return;
	}
	c = (uint32_t)crc32_z(0L, (const Bytef *)a, (z_size_t)(b - a));
	k->crc = (uint32_t)crc32_combine(k->crc, c, (z_off_t)(b - a));
	if (keep && k->w != NULL) {
		/* The lines counted as they were read, against the bytes written. */
		for (p = a, m = 0; (p = memchr(p, '\n', (size_t)(b - p))) != NULL; p++)
			m++;
		if (m != nrec)
			die(EX_SOFTWARE, "conservation check failed: PEC generation: %llu lines "
			    "copied counted as %llu", (unsigned long long)m, (unsigned long long)nrec);
		ts_wlines(k->w, a, (size_t)(b - a), nrec, sum, c);
		k->nout += nrec;
	}
}

/* The line at ls, ending at nl, cut and read into l. */
static void
gencut(struct pecgen *g, const char *ls, const char *nl, struct gline *l)
{
	const char *p = ls, *t, *e = nl;
	int i;

	l->ls = ls;
	for (i = 0; i <= P_RANG; i++) {
		if (*ls == '#' || (t = memchr(p, '\t', (size_t)(nl - p))) == NULL)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		l->f[i] = p;
		l->n[i] = (size_t)(t - p);
		p = t + 1;
	}
	for (i = P_AMT; i >= P_FROM; i--) {
		for (t = e; t > p && t[-1] != '\t'; t--)
			;
		if (t == p)
			genbad(g, ls, NULL, "not a record line of a PEC generation");
		l->f[i] = t;
		l->n[i] = (size_t)(e - t);
		e = t - 1;
	}
	if (l->n[P_NIR] != 13)
		genbad(g, ls, "nir", "not 13 characters");
	if (date_parse(l->f[P_BIRTH], l->n[P_BIRTH], &l->birth) < 0)
		genbad(g, ls, "birth_date", "not a date");
	if (int_parse(l->f[P_RANG], l->n[P_RANG], 0, 99, &l->rang) < 0)
		genbad(g, ls, "rang", "not a rank");
	if (date_parse(l->f[P_FROM], l->n[P_FROM], &l->from) < 0)
		genbad(g, ls, "valid_from", "not a date");
	if (date_parse(l->f[P_TO], l->n[P_TO], &l->to) < 0)
		genbad(g, ls, "valid_to", "not a date");
	if (money_parse(l->f[P_AMT], l->n[P_AMT], &l->amt) != M_OK || l->amt < 0)
		genbad(g, ls, "amount_eur", "missing or negative");
}

/*
 * The line y against the agreement q (when p is NULL) or the line x (p
 * then its column where they differ): <0, 0, >0 as peccmp orders them.
 */
static int
gencmp(struct pecgen *g, const struct gline *x, const struct pec *q, const struct gline *y,
    const char **why)
{
	const char *amc = x ? x->f[P_AMC] : q->amc, *nir = x ? x->f[P_NIR] : q->nir;
	const char *num = x ? x->f[P_NUM] : q->number;
	size_t amcn = x ? x->n[P_AMC] : strlen(q->amc), numn = x ? x->n[P_NUM] : strlen(q->number);
	int32_t birth = x ? x->birth : q->birth, from = x ? x->from : q->from;
	long rang = x ? x->rang : q->rang;
	int d;

	*why = "amc";
	if ((d = bytecmp(amc, amcn, y->f[P_AMC], y->n[P_AMC])) != 0)
		return d;
	*why = "nir";
	if ((d = memcmp(nir, y->f[P_NIR], 13)) != 0)
		return d;
	*why = "birth_date";
	if (birth != y->birth)
		return birth < y->birth ? -1 : 1;
	*why = "rang";
	if (rang != y->rang)
		return rang < y->rang ? -1 : 1;
	*why = "valid_from";
	if (from != y->from)
		return from < y->from ? -1 : 1;
	*why = "pec_number";
	if ((d = bytecmp(num, numn, y->f[P_NUM], y->n[P_NUM])) != 0)
		return d;
	/* The rest of the order, rarely reached: the two agreements whole. */
	*why = pecdiff(x ? genline(g, x->ls) : q, genline(g, y->ls), &d);
	return d;
}

/* The next of the day's agreements to write, or NULL. */
static const struct pec *
gennextpec(struct genwalk *k)
{
	const struct pec *p;

	for (; k->ps != NULL && k->i < k->ps->n; k->i++) {
		p = &k->ps->p[k->i];
		if (p->to >= k->keep && (k->i == 0 || peccmp(&k->ps->p[k->i - 1], p) != 0))
			return p;
	}
	return NULL;
}

/*
 * The generation's lines [a, b) copied into k's writer (if any) as they
 * are, the day's agreements merged in, but the lines whose validity
 * ended before keep, and those not in the form writepecs writes (a rang
 * with a leading zero), written again from their fields; each line cut,
 * checked and read (its order, its dates, its amount), counted and
 * summed for the trailer.
 */
static void
gencopy(struct pecgen *g, const char *a, const char *b, struct genwalk *k)
{
	const char *ls, *nl, *run = a, *why;
	const struct pec *q = gennextpec(k);
	struct gline l;
	uint64_t rn = 0;
	int64_t rs = 0;
	int canon, d, dup;

	/* [run, ls): rn lines kept, summing to rs, not yet written. */
	for (ls = a; ls < b; ls = nl + 1) {
		if (ls - k->rel > GEN_RELEASE) {
			genrun(run, ls, rn, rs, 1, k);
			run = ls;
			rn = 0;
			rs = 0;
			k->rel = pages_release(k->rel, ls);
		}
		nl = memchr(ls, '\n', (size_t)(b - ls));
		gencut(g, ls, nl, &l);
		dup = 0;
		if (k->haveprev && (dup = gencmp(g, &k->prev, NULL, &l, &why)) > 0)
			genbad(g, ls, why, "not sorted on amc, nir, birth_date, rang, valid_from, "
			    "pec_number, as a PEC generation is");
		dup = k->haveprev && dup == 0;
		k->prev = l;
		k->haveprev = 1;
		if (money_add(&k->sum, k->sum, l.amt) < 0)
			genbad(g, ls, "amount_eur", "control sum out of range");
		k->n++;
		/* The day's agreements before this line; one it holds, written with it. */
		for (; q != NULL && (d = gencmp(g, NULL, q, &l, &why)) <= 0; k->i++, q = gennextpec(k))
			if (d < 0 && k->w != NULL) {
				genrun(run, ls, rn, rs, 1, k);
				run = ls;
				rn = 0;
				rs = 0;
				wpec(k->w, q, &k->line, &k->cap);
				k->nout++;
			}
		/* Ended, the line before again (written once), or to format again. */
		canon = l.n[P_RANG] == 1 || l.f[P_RANG][0] != '0';
		if (l.to < k->keep || dup || !canon) {
			genrun(run, ls, rn, rs, 1, k);
			genrun(ls, nl + 1, 1, l.amt, 0, k);
			run = nl + 1;
			rn = 0;
			rs = 0;
			if (l.to >= k->keep && !dup && k->w != NULL) {
				wpec(k->w, genline(g, ls), &k->line, &k->cap);
				k->nout++;
			}
		} else {
			rn++;
			rs += l.amt;	/* less than k->sum, checked */
		}
	}
	genrun(run, b, rn, rs, 1, k);
}

/*
 * The generation read where it lies, read whole (copied into k's writer
 * if any, the day's agreements merged in) and checked against its
 * trailer: one that is not what its writer sealed is an error here
 * (exit 65).
 */
static void
genwalk(struct pecgen *g, struct genwalk *k)
{
	const char *body = g->map + g->r.hdrlen;
	const struct pec *q;
	uint32_t seal;

	/* Its metadata lines read, not copied: the day's are written. */
	k->crc = (uint32_t)crc32_z(0L, (const Bytef *)body, (z_size_t)(g->rec - body));
	k->rel = g->rec;
	gencopy(g, g->rec, g->end, k);
	seal = strncmp(g->end, "#end2\t", 6) == 0 ?
	    (uint32_t)crc32_combine(g->r.hcrc, k->crc, (z_off_t)(g->end - body)) : k->crc;
	if (ts_mapident(&g->r, k->n, k->sum, seal) < 0)
		ts_fatal(&g->r);
	pages_release(k->rel, g->end);
	/* The day's agreements after its last line. */
	for (; (q = gennextpec(k)) != NULL; k->i++)
		if (k->w != NULL) {
			wpec(k->w, q, &k->line, &k->cap);
			k->nout++;
		}
}

void
checkgen(const struct pecset *ps)
{
	struct genwalk k;

	if (ps->gen == NULL)
		return;
	memset(&k, 0, sizeof k);
	genwalk(ps->gen, &k);
}

/*
 * The PEC generation: the agreements of ps (sorted) and of its
 * generation read where it lies, merged, whose validity ends on or after
 * keep, as a pec stream on fd; an agreement given twice is written once.
 * The number written, in *n.  The generation read where it lies is read
 * whole meanwhile and checked (genwalk), before anything is published.
 */
void
writepecs(const struct pecset *ps, int fd, const char *path, const char *meta, int32_t keep,
    uint64_t *n)
{
	struct ts_writer w;
	struct genwalk k;
	size_t i;

	ts_wopen(&w, fd, path, "pec", 1, pcols, NPC);
	ts_wmeta(&w, meta);
	memset(&k, 0, sizeof k);
	k.w = &w;
	k.ps = ps;
	k.keep = keep;
	if (ps->gen != NULL)
		genwalk(ps->gen, &k);
	else
		for (i = 0; i < ps->n; i++) {
			const struct pec *p = &ps->p[i];

			if (p->to < keep || (i > 0 && peccmp(&ps->p[i - 1], p) == 0))
				continue;
			k.nout++;
			wpec(&w, p, &k.line, &k.cap);
		}
	*n = k.nout;
	free(k.line);
	ts_wclose(&w);
}
