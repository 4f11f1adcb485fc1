/*
 * card-edit: the card rules of the general conditions (3.1.9, annex 4)
 * as the project reads them: which movement asks for a card, who is
 * covered, how long a card is valid, who is due one in a periodic
 * edition, what domains a card carries.  See card-edit(1).
 */
#include <stdio.h>
#include <string.h>

#include "card.h"

/*
 * The project's reading of CODE_MOUVEMENT_CARTE (assumed, tiers-card(5)):
 * 1 edit a card, 2 withdraw the beneficiary's cards, 0 no card.
 */
int
mvkind(const char *mv)
{
	static const char *const edit[] = { "CA", "CC", "EE", "MC", "RC" };
	static const char *const wd[] = { "CS", "MS", "RS" };
	size_t i;

	for (i = 0; i < sizeof edit / sizeof edit[0]; i++)
		if (strcmp(mv, edit[i]) == 0)
			return 1;
	for (i = 0; i < sizeof wd / sizeof wd[0]; i++)
		if (strcmp(mv, wd[i]) == 0)
			return 2;
	return 0;
}

/*
 * The product period of m covering date d (products "order:ref:start:end,
 * ..."): its reference and end (NOEND when open) into ref and *end; 0,
 * or -1 when none covers d.
 */
int
product(const struct mem *m, int32_t d, char *ref, size_t n, int32_t *end)
{
	const char *p = m->f[MA_PRODS], *q, *f[4];
	size_t len[4];
	int32_t s, e;
	int i;

	while (*p) {
		for (i = 0; i < 4; i++) {
			f[i] = p;
			q = p + strcspn(p, i < 3 ? ":," : ",");
			len[i] = (size_t)(q - p);
			p = *q == ':' || (*q == ',' && i == 3) ? q + 1 : q;
		}
		s = INT32_MIN, e = INT32_MAX;
		if (len[2] && date_parse(f[2], len[2], &s) < 0)
			continue;
		if (len[3] && date_parse(f[3], len[3], &e) < 0)
			continue;
		if (s <= d && d <= e) {
			snprintf(ref, n, "%.*s", (int)len[1], f[1]);
			*end = e;
			return 0;
		}
	}
	return -1;
}

/* Is m covered on the date of issue? */
int
eligible(const struct mem *m)
{
	int32_t e;

	if (strcmp(m->f[MA_ACT], "DE") == 0)
		return 0;
	if (*m->f[MA_REND] == '\0')
		return 1;
	return date_parse(m->f[MA_REND], strlen(m->f[MA_REND]), &e) == 0 && e >= today;
}

/*
 * The validity's end for m under p: 31 December of the year of issue (of
 * the next year once the annual edition's day has come), or the end of
 * its product period; never past its rights.
 */
int32_t
validto(const struct mem *m, const struct cardparam *p)
{
	int y, mo, d;
	int32_t e, r;
	char ref[64];

	date_to_ymd(today, &y, &mo, &d);
	if (mo > p->renm || (mo == p->renm && d >= p->rend))
		y++;
	e = date_from_ymd(y, 12, 31);
	if (p->prodend && product(m, today, ref, sizeof ref, &r) == 0 && r != INT32_MAX)
		e = r;
	if (*m->f[MA_REND] && date_parse(m->f[MA_REND], strlen(m->f[MA_REND]), &r) == 0 && r < e)
		e = r;
	return e;
}

/* Is the domain d among the ";"-separated ones of set? */
static int
hasdom(const char *set, const char *d, size_t n)
{
	const char *q;

	for (; *set; set = *q ? q + 1 : q) {
		q = set + strcspn(set, ";");
		if ((size_t)(q - set) == n && memcmp(set, d, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The domain set of a card (members marked in sel): the domains the
 * master gives its holders, in the order first met, else its columns';
 * their number.
 */
int
domset(const struct cardparam *p, const struct mem *fam, size_t nfam, const int *sel, char *buf,
    size_t n)
{
	const char *d, *q;
	size_t i, len, have = 0;
	int nd = 0, j;

	*buf = '\0';
	for (i = 0; i < nfam; i++) {
		if (!sel[i])
			continue;
		for (d = fam[i].f[MA_DOMS]; *d; d = *q ? q + 1 : q) {
			q = d + strcspn(d, ";");
			len = strcspn(d, ":;");
			if (len == 0 || hasdom(buf, d, len))
				continue;
			nd++;
			if (have + len + 2 <= n)
				have += (size_t)snprintf(buf + have, n - have, "%s%.*s", have ? ";" : "",
				    (int)len, d);
		}
	}
	if (nd > 0)
		return nd;
	for (j = 0; j < p->ncol; j++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", j ? ";" : "", p->col[j].dom);
	return p->ncol;
}

/*
 * Is m due a card in a periodic edition: does it hold none, not
 * withdrawn, valid to the end of the new one (rows: its family's cards)?
 */
int
due(const struct mem *m, const struct krow *rows, size_t nrows)
{
	int32_t e = validto(m, m->cp), to;
	size_t j;

	for (j = 0; j < nrows; j++)
		if (strcmp(rows[j].f[K_MEMBER], m->f[MA_MEMBER]) == 0 &&
		    *rows[j].f[K_WITHDRAWN] == '\0' &&
		    date_parse(rows[j].f[K_TO], strlen(rows[j].f[K_TO]), &to) == 0 && to >= e)
			return 0;
	return 1;
}
