/*
 * liquidate: the cards generation (tiers-card(5), -k), the cards
 * card-edit issued, kept for the beneficiaries the day's claims name:
 * what card a PS was shown (general conditions 3.1.4, second case), and
 * the domains it prints for a master that carries none.
 */
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

static const struct benef **byname;	/* bens sorted on amc, contract, member */

static int
namecmp(const void *pa, const void *pb)
{
	const struct benef *a = *(const struct benef *const *)pa;
	const struct benef *b = *(const struct benef *const *)pb;
	int d;

	if ((d = strcmp(a->amc, b->amc)) != 0 || (d = strcmp(a->contract, b->contract)) != 0)
		return d;
	return strcmp(a->member, b->member);
}

/* The beneficiary named by the record's first three fields, or NULL. */
static struct benef *
named(const struct field *f, const int *c)
{
	size_t lo = 0, hi = nbens, mid;
	const struct benef *b;
	int d;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		b = byname[mid];
		if ((d = bytecmp(f[c[0]].p, f[c[0]].n, b->amc, strlen(b->amc))) == 0 &&
		    (d = bytecmp(f[c[1]].p, f[c[1]].n, b->contract, strlen(b->contract))) == 0)
			d = bytecmp(f[c[2]].p, f[c[2]].n, b->member, strlen(b->member));
		if (d == 0)
			return (struct benef *)(uintptr_t)b;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
kdate(struct ts_reader *r, const struct field *f, int32_t none, int32_t *d, const char *col)
{
	if (f->n == 0) {
		*d = none;
		return 0;
	}
	if (date_parse(f->p, f->n, d) < 0)
		return ts_error(r, col, "not a date");
	return 0;
}

/* The cards of the files, onto the beneficiaries they name. */
void
loadcards(char *const *files, int n)
{
	static const char *const cols[] = {
		"amc", "contract", "member_ref", "valid_from", "valid_to", "withdrawn", "domains"
	};
	struct ts_reader r;
	struct benef *b;
	struct kcard *k;
	const struct field *f;
	const char *p, *e, *s;
	int c[7], i, j, rc, d;
	size_t x;

	byname = xmalloc((nbens ? nbens : 1) * sizeof *byname);
	for (x = 0; x < nbens; x++)
		byname[x] = &bens[x];
	qsort(byname, nbens, sizeof *byname, namecmp);
	for (i = 0; i < n; i++) {
		if (ts_open(&r, files[i], "cards", 1) < 0)
			ts_fatal(&r);
		for (j = 0; j < 7; j++)
			c[j] = ts_needcol(&r, cols[j]);
		while ((rc = ts_next(&r)) == 1) {
			f = r.f;
			if ((b = named(f, c)) == NULL)
				continue;
			b->cards = xrealloc(b->cards, (size_t)(b->ncards + 1) * sizeof *b->cards);
			k = &b->cards[b->ncards];
			if (kdate(&r, &f[c[3]], NOSTART, &k->from, "valid_from") < 0 ||
			    kdate(&r, &f[c[4]], NOEND, &k->to, "valid_to") < 0 ||
			    kdate(&r, &f[c[5]], NOEND, &k->withdrawn, "withdrawn") < 0)
				ts_fatal(&r);
			k->doms = 0;
			for (p = f[c[6]].p, e = p + f[c[6]].n; p < e; p = s + 1) {
				for (s = p; s < e && *s != ';'; s++)
					;
				if ((d = domidx(p, (size_t)(s - p))) >= 0)
					k->doms |= 1u << d;
				else
					k->doms |= 1u << 31;
			}
			b->ncards++;
		}
		if (rc < 0)
			ts_fatal(&r);
		ts_close(&r);
	}
	free(byname);
	byname = NULL;
}

void
freecards(void)
{
	size_t x;

	for (x = 0; x < nbens; x++)
		free(bens[x].cards);
}

/*
 * The card of b valid on d (issued for it, within its validity, not
 * withdrawn by then): its domains, or 0 when b held none.  Several
 * valid: the domains of any of them.
 */
uint32_t
cardon(const struct benef *b, int32_t d)
{
	uint32_t m = 0;
	int i;

	for (i = 0; i < b->ncards; i++)
		if (b->cards[i].from <= d && d <= b->cards[i].to && d < b->cards[i].withdrawn)
			m |= b->cards[i].doms ? b->cards[i].doms : 1u << 31;
	return m;
}
