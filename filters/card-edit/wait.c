/*
 * card-edit -W: the card movements waiting for a client's card parameters
 * (tiers-nightly's cards stage).  A client without parameters has no cards
 * edited; its movements asking for a card (CA, CC, EE, MC, RC) wait from
 * day to day in one benef-movement stream, the latest card movement of a
 * beneficiary replacing the one before.  From the day's movements and the
 * waiting ones of the day before, this writes the next waiting stream:
 * the waiting movements of the beneficiaries the day has no card movement
 * for, and the day's asking ones (with -a, all the day's movements: what
 * card-edit reads the day the client has its parameters), in the order of
 * the master (amc, contract, member_ref, bytes), the waiting ones before
 * the day's for one beneficiary, each part in the order it came in.
 *
 * The day's movements are few (a few thousand): held in memory and
 * sorted.  The waiting ones, up to one a beneficiary of the client, are
 * read once, in their order (checked), and merged with them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"

/* A movement of the day kept: its line, its key's fields, its place. */
struct wrow {
	char *line;
	size_t len;
	struct field k[3];	/* amc, contract, member_ref, into line */
	size_t at;
	int64_t sum;
};

static const char *const keycols[3] = { "amc", "contract", "member_ref" };

/* Bytes, then the shorter first: sort(1) on one key in the C locale. */
static int
fcmp(const struct field *a, const struct field *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int d = n ? memcmp(a->p, b->p, n) : 0;

	if (d != 0)
		return d;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int
keycmp(const struct field *a, const struct field *b)
{
	int i, d;

	for (i = 0; i < 3; i++)
		if ((d = fcmp(&a[i], &b[i])) != 0)
			return d;
	return 0;
}

static int
byrow(const void *x, const void *y)
{
	const struct wrow *a = x, *b = y;
	int d = keycmp(a->k, b->k);

	if (d != 0)
		return d;
	return a->at < b->at ? -1 : a->at > b->at;
}

static int
bykey(const void *x, const void *y)
{
	return keycmp(((const struct wrow *)x)->k, ((const struct wrow *)y)->k);
}

/* A card movement asking for a card. */
static int
asks(const struct field *mv, const struct field *cm)
{
	static const char *const ask[] = { "CA", "CC", "EE", "MC", "RC" };
	size_t i;

	if (mv->n != 4 || memcmp(mv->p, "card", 4) != 0 || cm->n != 2)
		return 0;
	for (i = 0; i < sizeof ask / sizeof ask[0]; i++)
		if (memcmp(cm->p, ask[i], 2) == 0)
			return 1;
	return 0;
}

/* Row r's line copied into row, its key's fields pointing into the copy. */
static void
rowcopy(struct wrow *row, const struct ts_reader *r, const int *kc)
{
	int j;

	row->line = xmalloc(r->len + 1);
	memcpy(row->line, r->line, r->len);
	row->len = r->len;
	row->sum = r->recsum;
	for (j = 0; j < 3; j++) {
		row->k[j].p = row->line + (r->f[kc[j]].p - r->line);
		row->k[j].n = r->f[kc[j]].n;
	}
}

static void
cols(struct ts_reader *r, int *kc, int *mv, int *cm)
{
	int i;

	for (i = 0; i < 3; i++)
		kc[i] = ts_needcol(r, keycols[i]);
	*mv = ts_needcol(r, "movement");
	*cm = ts_needcol(r, "card_movement");
}

void
waitmerge(const char *date, const char *mvin, const char *waiting, const char *out, int all)
{
	struct ts_reader dr, wr;
	struct ts_writer w;
	struct pub p;
	struct wrow *keep = NULL, *card = NULL, key, prev = { 0 };
	size_t nkeep = 0, ncard = 0, cap = 0, ccap = 0, i = 0, nold = 0, nout = 0, nday = 0;
	int kc[3], mv, cm, wkc[3], wmv, wcm, c, j;
	char meta[64];

	if (ts_open(&dr, mvin, "benef-movement", 1) < 0)
		ts_fatal(&dr);
	cols(&dr, kc, &mv, &cm);
	/* The day's movements: those kept, and the keys of every card movement. */
	while ((c = ts_next(&dr)) == 1) {
		nday++;
		if (all || asks(&dr.f[mv], &dr.f[cm])) {
			if (nkeep == cap) {
				cap = cap ? 2 * cap : 256;
				keep = xrealloc(keep, cap * sizeof *keep);
			}
			rowcopy(&keep[nkeep], &dr, kc);
			keep[nkeep].at = nkeep;
			nkeep++;
		}
		if (dr.f[mv].n == 4 && memcmp(dr.f[mv].p, "card", 4) == 0) {
			if (ncard == ccap) {
				ccap = ccap ? 2 * ccap : 256;
				card = xrealloc(card, ccap * sizeof *card);
			}
			rowcopy(&card[ncard++], &dr, kc);
		}
	}
	if (c < 0)
		ts_fatal(&dr);
	/* (Not qsort of none: the arrays are NULL then.) */
	if (nkeep > 1)
		qsort(keep, nkeep, sizeof *keep, byrow);
	if (ncard > 1)
		qsort(card, ncard, sizeof *card, bykey);

	if (pub_open(&p, out) < 0)
		die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
	ts_wopen(&w, p.fd, out, "benef-movement", dr.version, (const char *const *)dr.cols,
	    dr.ncol);
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	ts_wmeta(&w, meta);
	if (waiting != NULL) {
		if (ts_open(&wr, waiting, "benef-movement", 1) < 0)
			ts_fatal(&wr);
		cols(&wr, wkc, &wmv, &wcm);
		if (wr.ncol != dr.ncol)
			die(EX_DATAERR, "%s: not the columns of %s", waiting, mvin);
		for (j = 0; j < wr.ncol; j++)
			if (strcmp(wr.cols[j], dr.cols[j]) != 0)
				die(EX_DATAERR, "%s: not the columns of %s", waiting, mvin);
		while ((c = ts_next(&wr)) == 1) {
			for (j = 0; j < 3; j++)
				key.k[j] = wr.f[wkc[j]];
			if (nold++ > 0 && keycmp(key.k, prev.k) < 0)
				die(EX_DATAERR, "%s:%ld: member_ref: not in the order of the master",
				    waiting, wr.in.lineno);
			/* Kept for the next line's check: the reader's line moves on. */
			free(prev.line);
			rowcopy(&prev, &wr, wkc);
			if (!asks(&wr.f[wmv], &wr.f[wcm]) ||
			    (ncard > 0 && bsearch(&key, card, ncard, sizeof *card, bykey) != NULL))
				continue;
			/* The day's before it, then it: the waiting first for one key. */
			for (; i < nkeep && keycmp(keep[i].k, key.k) < 0; i++, nout++)
				ts_wfields(&w, keep[i].line, keep[i].len, dr.ncol, keep[i].sum), ts_wend(&w);
			ts_wcopy(&w, &wr);
			nout++;
		}
		if (c < 0)
			ts_fatal(&wr);
		ts_close(&wr);
	}
	for (; i < nkeep; i++, nout++)
		ts_wfields(&w, keep[i].line, keep[i].len, dr.ncol, keep[i].sum), ts_wend(&w);
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	ts_close(&dr);
	fprintf(stderr, "%s: %s: %zu movements of the day, %zu kept; %zu waiting before, "
	    "%zu still; %zu waiting now\n", progname_(), date, nday, nkeep, nold,
	    nout - nkeep, nout);
	for (i = 0; i < nkeep; i++)
		free(keep[i].line);
	for (i = 0; i < ncard; i++)
		free(card[i].line);
	free(keep);
	free(card);
	free(prev.line);
}
