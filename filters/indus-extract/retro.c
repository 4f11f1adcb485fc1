/*
 * Retroactive radiations (general conditions 3.1.4, second case): the
 * acts already paid to a PS that a radiation dated back puts outside the
 * beneficiary's rights are the beneficiary's to pay back, recovered
 * through the client.  The day's movements of the beneficiaries
 * (tiers-benef(5), benef-movement) give, per beneficiary, the acts cut
 * off (rules.c, retro_window); the store of lines paid of the day before
 * (paid.c) gives the lines paid to him since, and what is left paid on
 * each; each line that owes something (rules.c, retro_owed) opens an
 * item, origin retro, and adds to the store a row that takes what was
 * left on the line, so that no later radiation opens it again.
 * A movement that gives the rights back over such an item's act
 * withdraws what is left of it (main.c), and a row gives the line back
 * to the store, so that a later radiation may open it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indus.h"

/* A beneficiary with acts cut off today: dated after lo, up to hi. */
struct window {
	char *amc, *contract, *member;
	int32_t lo, hi;
	const char *file;
	long line;
};
static struct window *wins;
static size_t nwins, wincap;
static uint64_t nmoves, nretro, nrt[NRT];

/* A beneficiary whose rights were given back today: they now end at end. */
struct restore {
	char *amc, *contract, *member;
	int32_t end;
	const char *file;
	long line;
};
static struct restore *rests;
static size_t nrests, restcap;
static uint64_t nwd;
static int64_t wdsum, wdrec;

/* A beneficiary's key against another's: amc, contract, member_ref. */
static int
benefcmp(const char *amc, const char *contract, const char *member, const char *amc2,
    const char *contract2, const char *member2)
{
	int c = strcmp(amc, amc2);

	if (c == 0)
		c = strcmp(contract, contract2);
	return c ? c : strcmp(member, member2);
}

static int
wincmp(const void *pa, const void *pb)
{
	const struct window *a = pa, *b = pb;

	return benefcmp(a->amc, a->contract, a->member, b->amc, b->contract, b->member);
}

/* A date, or OPENEND when empty; -1 if neither. */
static int
enddate(const struct field *f, int32_t *d)
{
	if (f->n == 0) {
		*d = OPENEND;
		return 0;
	}
	return date_parse(f->p, f->n, d);
}

enum { V_DATE, V_AMC, V_CONTRACT, V_MEMBER, V_MOVE, V_RETRO, V_OLD, V_NEW, NV };
static const char *const vcols[NV] = {
	"business_date", "amc", "contract", "member_ref", "movement", "retroactive",
	"old_rights_end", "new_rights_end"
};

/*
 * A stream of movements: each beneficiary's, together and in the order
 * benef-integrate wrote them, make his window, if any.
 */
void
readmoves(const char *path)
{
	struct ts_reader r;
	struct field key[3];
	struct move *mv = NULL;
	size_t n = 0, cap = 0;
	char *keep[3] = { NULL, NULL, NULL };
	long fline = 0;
	int vc[NV], k, st, c;

	if (ts_open(&r, path, "benef-movement", 1) < 0)
		ts_fatal(&r);
	for (k = 0; k < NV; k++)
		vc[k] = ts_needcol(&r, vcols[k]);
	for (;;) {
		struct move m;
		int32_t lo, hi, end;

		st = ts_next(&r);
		if (st < 0)
			ts_fatal(&r);
		c = 1;
		if (st == 1) {
			for (k = 0; k < 3; k++)
				key[k] = r.f[vc[V_AMC + k]];
			if (key[0].n == 0 || key[1].n == 0 || key[2].n == 0)
				die_at(EX_DATAERR, path, r.in.lineno,
				    vcols[key[0].n == 0 ? V_AMC : key[1].n == 0 ? V_CONTRACT : V_MEMBER],
				    "empty");
			for (c = 0, k = 0; k < 3 && c == 0 && keep[0] != NULL; k++) {
				size_t kn = strlen(keep[k]);

				c = memcmp(key[k].p, keep[k], key[k].n < kn ? key[k].n : kn);
				if (c == 0)
					c = (key[k].n > kn) - (key[k].n < kn);
			}
			if (keep[0] == NULL)
				c = 1;
			if (c < 0)
				die_at(EX_DATAERR, path, r.in.lineno, "member_ref",
				    "out of order (amc, contract, member_ref)");
		}
		/* A beneficiary's movements end: his rights given back, his window. */
		if (c != 0 && n > 0 && retro_restore(mv, n, &end)) {
			struct restore *e;

			if (nrests == restcap) {
				restcap = restcap ? 2 * restcap : 64;
				rests = xrealloc(rests, restcap * sizeof *rests);
			}
			e = &rests[nrests++];
			e->amc = xstrdup(keep[0]);
			e->contract = xstrdup(keep[1]);
			e->member = xstrdup(keep[2]);
			e->end = end;
			e->file = path;
			e->line = fline;
		}
		if (c != 0 && n > 0 && retro_window(mv, n, today, &lo, &hi)) {
			struct window *w;

			if (nwins == wincap) {
				wincap = wincap ? 2 * wincap : 64;
				wins = xrealloc(wins, wincap * sizeof *wins);
			}
			w = &wins[nwins++];
			w->amc = keep[0];
			w->contract = keep[1];
			w->member = keep[2];
			keep[0] = keep[1] = keep[2] = NULL;
			w->lo = lo;
			w->hi = hi;
			w->file = path;
			w->line = fline;
		}
		if (st == 0)
			break;
		if (c != 0) {
			for (k = 0; k < 3; k++) {
				free(keep[k]);
				keep[k] = xfdup(&key[k]);
			}
			n = 0;
			fline = r.in.lineno;
		}
		nmoves++;
		if (!fsame(&r.f[vc[V_DATE]], today_s, strlen(today_s)))
			die_at(EX_DATAERR, path, r.in.lineno, "business_date", "not the business date");
		if (r.f[vc[V_RETRO]].n != 1 || (*r.f[vc[V_RETRO]].p != '0' && *r.f[vc[V_RETRO]].p != '1'))
			die_at(EX_DATAERR, path, r.in.lineno, "retroactive", "not 0 or 1");
		m.retro = *r.f[vc[V_RETRO]].p == '1';
		m.radiate = fsame(&r.f[vc[V_MOVE]], "radiate", 7);
		if (enddate(&r.f[vc[V_OLD]], &m.oldend) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "old_rights_end", "not empty nor a date");
		if (enddate(&r.f[vc[V_NEW]], &m.newend) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "new_rights_end", "not empty nor a date");
		if (m.retro && (!fsame(&r.f[vc[V_MOVE]], "radiate", 7) || m.newend >= m.oldend ||
		    m.newend >= today))
			die_at(EX_DATAERR, path, r.in.lineno, "retroactive",
			    "1, and not a radiation ending the rights earlier, before the business date");
		nretro += m.retro;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			mv = xrealloc(mv, cap * sizeof *mv);
		}
		mv[n++] = m;
	}
	ts_close(&r);
	for (k = 0; k < 3; k++)
		free(keep[k]);
	free(mv);
}

/* A beneficiary's rows in the store, in the order found, then by line. */
struct row {
	struct prow p;
	size_t seq;
};
struct rows {
	struct row *r;
	size_t n, cap;
};

static void
collect(const struct prow *pr, void *arg)
{
	struct rows *v = arg;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		v->r = xrealloc(v->r, v->cap * sizeof *v->r);
	}
	v->r[v->n].p = *pr;
	v->r[v->n].seq = v->n;
	v->n++;
}

static int
rowcmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	size_t na = a->p.f[P_LINE].n, nb = b->p.f[P_LINE].n;
	int c = memcmp(a->p.f[P_LINE].p, b->p.f[P_LINE].p, na < nb ? na : nb);

	if (c == 0)
		c = (na > nb) - (na < nb);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static int
sameline(const struct prow *a, const struct prow *b)
{
	return a->f[P_LINE].n == b->f[P_LINE].n &&
	    memcmp(a->f[P_LINE].p, b->f[P_LINE].p, a->f[P_LINE].n) == 0;
}

/*
 * A line owes: its item, and the row that takes what was left on it.
 * A line given back by a restore opens again under the line and the
 * day (LINE/YYYY-MM-DD): its first item may still be in the ledger.
 */
static void
open_item(const struct window *w, const struct prow *own, int64_t net, int again,
    struct client *tot, struct item **items, size_t *nitems)
{
	static const char reason[] = "retroactive radiation";
	struct field src[NS], p[NP];
	struct item *it;
	struct client *c;
	char dref[512], id[512];
	int n, k, ni;

	n = snprintf(dref, sizeof dref, "%s:%s", w->contract, w->member);
	if (n < 0 || (size_t)n >= sizeof dref)
		die_at(EX_DATAERR, w->file, w->line, "member_ref", "too long");
	ni = snprintf(id, sizeof id, "%.*s/%s", (int)own->f[P_LINE].n, own->f[P_LINE].p, today_s);
	if (ni < 0 || (size_t)ni >= sizeof id)
		die_at(EX_DATAERR, w->file, w->line, "line", "too long");
	memset(src, 0, sizeof src);
	src[S_AMC] = own->f[P_AMC];
	src[S_DEBTOR].p = dbnames[DB_BENEF];
	src[S_DEBTOR].n = strlen(dbnames[DB_BENEF]);
	src[S_DREF].p = dref;
	src[S_DREF].n = (size_t)n;
	src[S_ITEM] = own->f[P_LINE];
	if (again) {
		src[S_ITEM].p = id;
		src[S_ITEM].n = (size_t)ni;
	}
	src[S_ORIGIN].p = "retro";
	src[S_ORIGIN].n = 5;
	src[S_REASON].p = reason;
	src[S_REASON].n = sizeof reason - 1;
	src[S_LINE] = own->f[P_LINE];
	src[S_PSKIND] = own->f[P_PSKIND];
	src[S_PSNUM] = own->f[P_PSNUM];
	src[S_CONTRACT] = own->f[P_CONTRACT];
	src[S_MEMBER] = own->f[P_MEMBER];
	src[S_INVOICE] = own->f[P_INVOICE];
	src[S_LINENO] = own->f[P_LINENO];
	src[S_ACTDATE] = own->f[P_ACTDATE];
	src[S_ACTCODE] = own->f[P_ACTCODE];
	src[S_COMP].p = "";
	src[S_COMP].n = 0;
	*items = xrealloc(*items, (*nitems + 1) * sizeof **items);
	it = &(*items)[(*nitems)++];
	memset(it, 0, sizeof *it);
	item_keep(it, src);
	it->debtor = DB_BENEF;
	it->opened = today;
	it->moved = NODATE;
	it->paid = it->amount = it->left = net;
	it->isnew = 1;
	it->retro = 1;
	/* The read side: as the store is read. */
	c = client(&own->f[P_AMC], w->file, w->line);
	add(&c->rretro, net, w->file, w->line, "amount_eur");
	add(&tot->rretro, net, w->file, w->line, "amount_eur");
	for (k = 0; k < NP; k++)
		p[k] = own->f[k];
	p[P_AMOUNT].p = NULL;	/* not the row's: -net, formatted */
	p[P_AMOUNT].n = 0;
	p[P_KIND].p = pkinds[PK_RETRO];
	p[P_KIND].n = strlen(pkinds[PK_RETRO]);
	paid_add(p, -net);
}

static int
restcmp(const void *pa, const void *pb)
{
	const struct restore *a = pa, *b = pb;

	return benefcmp(a->amc, a->contract, a->member, b->amc, b->contract, b->member);
}

/* A field against a string, as strcmp would order them. */
static int
fcmp(const struct field *f, const char *s)
{
	size_t n = strlen(s);
	int c = memcmp(f->p, s, f->n < n ? f->n : n);

	return c ? c : (f->n > n) - (f->n < n);
}

int
retro_restored(const struct item *it, const char *file, long line)
{
	size_t lo = 0, hi = nrests, m;
	int32_t act;
	int c;

	while (lo < hi) {
		m = (lo + hi) / 2;
		c = fcmp(&it->s[S_AMC], rests[m].amc);
		if (c == 0)
			c = fcmp(&it->s[S_CONTRACT], rests[m].contract);
		if (c == 0)
			c = fcmp(&it->s[S_MEMBER], rests[m].member);
		if (c == 0)
			break;
		if (c > 0)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo >= hi)
		return 0;
	if (date_parse(it->s[S_ACTDATE].p, it->s[S_ACTDATE].n, &act) < 0)
		die_at(EX_DATAERR, file, line, "act_date", "not a date");
	return retro_covered(act, rests[m].end);
}

/*
 * A retro item withdrawn by w, its rights given back: the row that
 * gives its line back to the store.  The retro row took all that was
 * left on the line; the item now claims only what it recovered (a PS
 * paying the line back has its own row), so all it withdrew is left
 * paid on the line again.
 */
void
retro_giveback(const struct item *it, int64_t w)
{
	struct field p[NP];

	memset(p, 0, sizeof p);
	p[P_AMC] = it->s[S_AMC];
	p[P_CONTRACT] = it->s[S_CONTRACT];
	p[P_MEMBER] = it->s[S_MEMBER];
	p[P_LINE] = it->s[S_LINE];
	p[P_KIND].p = pkinds[PK_RESTORE];
	p[P_KIND].n = strlen(pkinds[PK_RESTORE]);
	p[P_ACTDATE] = it->s[S_ACTDATE];
	p[P_PSKIND] = it->s[S_PSKIND];
	p[P_PSNUM] = it->s[S_PSNUM];
	p[P_INVOICE] = it->s[S_INVOICE];
	p[P_LINENO] = it->s[S_LINENO];
	p[P_ACTCODE] = it->s[S_ACTCODE];
	paid_add(p, it->withdrawn);
	nwd++;
	if (money_add(&wdsum, wdsum, w) < 0 || money_add(&wdrec, wdrec, it->recovered) < 0)
		die(EX_SOFTWARE, "retro: withdrawn sums out of range");
}

void
retro(const char *before, struct client *tot, struct item **items, size_t *nitems)
{
	struct rows v = { NULL, 0, 0 };
	size_t i, j, k;

	if (nwins > 1)
		qsort(wins, nwins, sizeof *wins, wincmp);
	for (i = 1; i < nwins; i++)
		if (wincmp(&wins[i - 1], &wins[i]) == 0)
			die_at(EX_DATAERR, wins[i].file, wins[i].line, "member_ref",
			    "the beneficiary's movements are in two places");
	if (nrests > 1)
		qsort(rests, nrests, sizeof *rests, restcmp);
	for (i = 1; i < nrests; i++)
		if (restcmp(&rests[i - 1], &rests[i]) == 0)
			die_at(EX_DATAERR, rests[i].file, rests[i].line, "member_ref",
			    "the beneficiary's movements are in two places");
	/* The acts after the new end: paid that day or after. */
	for (i = 0; i < nwins && before != NULL; i++)
		paid_want(wins[i].amc, wins[i].contract, wins[i].member, wins[i].lo + 1);
	if (nwins > 0 && before != NULL)
		paid_sift();
	for (i = 0; i < nwins && before != NULL; i++) {
		const struct window *w = &wins[i];

		v.n = 0;
		paid_find((int)i, w->amc, w->contract, w->member, w->lo + 1, collect, &v);
		if (v.n > 1)
			qsort(v.r, v.n, sizeof *v.r, rowcmp);
		/* Each line: how its own claim paid it, what is left paid on it. */
		for (j = 0; j < v.n; j = k) {
			const struct prow *own = NULL;
			int64_t net = 0;
			int rt, again = 0;

			for (k = j; k < v.n && sameline(&v.r[j].p, &v.r[k].p); k++) {
				const struct prow *pr = &v.r[k].p;
				const char *file;
				long line;

				if (money_add(&net, net, pr->amount) < 0) {
					file = paid_where(pr, &line);
					die_at(EX_DATAERR, file, line, "amount_eur", "sum out of range");
				}
				again |= pr->kind == PK_RESTORE;
				if (pr->kind != PK_PS && pr->kind != PK_PSREC)
					continue;
				if (own != NULL) {
					file = paid_where(pr, &line);
					die_at(EX_DATAERR, file, line, "kind",
					    "a line paid twice by its own claim");
				}
				own = pr;
			}
			rt = retro_owed(own ? own->kind : -1, own ? own->act : 0, net, w->lo, w->hi);
			nrt[rt]++;
			if (rt == RT_ITEM)
				open_item(w, own, net, again, tot, items, nitems);
		}
	}
	free(v.r);
}

/* What the movements gave, for the log, before the run's last line. */
void
retro_log(void)
{
	uint64_t n = 0;
	int k;

	for (k = 0; k < NRT; k++)
		if (k != RT_UNPAID)
			n += nrt[k];
	fprintf(stderr, "indus-extract: %s: %llu movements, %llu retroactive, %llu "
	    "beneficiaries cut off; %llu lines paid in the store: %llu items, %llu acts "
	    "before the cut, %llu after, %llu on a card kept, %llu with nothing left\n",
	    today_s, (unsigned long long)nmoves, (unsigned long long)nretro,
	    (unsigned long long)nwins, (unsigned long long)n, (unsigned long long)nrt[RT_ITEM],
	    (unsigned long long)nrt[RT_BEFORE], (unsigned long long)nrt[RT_AFTER],
	    (unsigned long long)nrt[RT_CARD], (unsigned long long)nrt[RT_NONE]);
	if (nrests > 0) {
		char a[MONEY_BUFSZ], b[MONEY_BUFSZ];

		money_fmt(wdsum, a);
		money_fmt(wdrec, b);
		fprintf(stderr, "indus-extract: %s: rights given back to %zu beneficiaries: %llu "
		    "retro items withdrawn (%s), %s recovered on them before\n", today_s, nrests,
		    (unsigned long long)nwd, a, b);
	}
}

void
retro_free(void)
{
	size_t i;

	for (i = 0; i < nwins; i++) {
		free(wins[i].amc);
		free(wins[i].contract);
		free(wins[i].member);
	}
	free(wins);
	for (i = 0; i < nrests; i++) {
		free(rests[i].amc);
		free(rests[i].contract);
		free(rests[i].member);
	}
	free(rests);
}
