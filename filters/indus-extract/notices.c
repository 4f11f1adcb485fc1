/*
 * What the PS and the clients are told.  Each PS that owes the day's new items of clients
 * that do not allow compensation is asked to pay them back, the lines,
 * amounts and reasons listed, as a sealed stream (tiers-indus(5),
 * request) and as a printable letter, one a PS, pages separated by a
 * form feed.  The letter names the PS by its number: the operator's PS
 * register, with names and addresses, is not an input here.  Each
 * client has its report: per debtor, the day's movements and the open
 * balance by age (tiers-indus(5), report); and the day summary its rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "indus.h"

static int
reqcmp(const void *pa, const void *pb)
{
	const struct item *a = *(const struct item *const *)pa;
	const struct item *b = *(const struct item *const *)pb;
	int c = strcmp(a->s[S_DREF].p, b->s[S_DREF].p);

	if (c == 0)
		c = strcmp(a->s[S_AMC].p, b->s[S_AMC].p);
	return c ? c : strcmp(a->s[S_ITEM].p, b->s[S_ITEM].p);
}

#define F(it, k) (int)(it)->s[k].n, (it)->s[k].p

static void
letters(FILE *fp, struct item **req, size_t n, const char *date)
{
	char amt[MONEY_BUFSZ];
	size_t i, j;
	int64_t total;

	for (i = 0; i < n; i = j) {
		const struct item *a = req[i];

		if (i > 0)
			fputc('\f', fp);
		fprintf(fp, "DEMANDE DE REMBOURSEMENT D'INDUS\n\n");
		fprintf(fp, "Date : %s\n", date);
		fprintf(fp, "Professionnel de santé : %.*s %.*s\n\n", F(a, S_PSKIND), F(a, S_PSNUM));
		fprintf(fp, "Les actes ci-dessous vous ont été payés en tiers payant pour le compte\n"
		    "des organismes complémentaires indiqués ; ces montants ne vous étaient\n"
		    "pas dus.  Merci de nous les rembourser en rappelant la référence de\n"
		    "chaque indu.\n\n");
		fprintf(fp, "%-20s %-10s %-12s %5s %-10s %-6s %10s  %s\n", "Indu", "Organisme",
		    "Facture", "Ligne", "Soins", "Acte", "Montant", "Motif");
		total = 0;
		for (j = i; j < n && strcmp(req[j]->s[S_DREF].p, a->s[S_DREF].p) == 0; j++) {
			const struct item *it = req[j];

			money_fmt(it->amount, amt);
			fprintf(fp, "%-20.*s %-10.*s %-12.*s %5.*s %-10.*s %-6.*s %10s  %.*s%s%.*s%s\n",
			    F(it, S_ITEM), F(it, S_AMC), F(it, S_INVOICE), F(it, S_LINENO),
			    F(it, S_ACTDATE), F(it, S_ACTCODE), amt, F(it, S_REASON),
			    it->s[S_REASON].n ? " (" : "", F(it, S_ORIGIN),
			    it->s[S_REASON].n ? ")" : "");
			total += it->amount;
		}
		money_fmt(total, amt);
		fprintf(fp, "\n%-69s %10s EUR\n", "Total à rembourser", amt);
	}
}

void
requests_write(struct item **req, size_t n, const char *date, const char *spath, int sfd,
    const char *lpath, int lfd)
{
	static const char *const cols[] = {
		"ps_kind", "ps_number", "amc", "item", "line", "invoice", "line_no",
		"act_date", "act_code", "origin", "reason", "amount_eur"
	};
	static const int sk[] = {
		S_PSKIND, S_PSNUM, S_AMC, S_ITEM, S_LINE, S_INVOICE, S_LINENO, S_ACTDATE,
		S_ACTCODE, S_ORIGIN, S_REASON
	};
	struct ts_writer w;
	char meta[64];
	size_t i;
	int k;

	if (n > 1)
		qsort(req, n, sizeof *req, reqcmp);
	if (spath != NULL) {
		ts_wopen(&w, sfd, spath, "indus-request", 1, cols, (int)(sizeof cols / sizeof cols[0]));
		snprintf(meta, sizeof meta, "business_date\t%s", date);
		ts_wmeta(&w, meta);
		for (i = 0; i < n; i++) {
			for (k = 0; k < (int)(sizeof sk / sizeof sk[0]); k++)
				ts_wstr(&w, req[i]->s[sk[k]].p, req[i]->s[sk[k]].n);
			ts_wmoney(&w, req[i]->amount);
			ts_wend(&w);
		}
		ts_wclose(&w);
	}
	if (lpath != NULL) {
		int fd = dup(lfd);
		FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");

		if (fp == NULL)
			die(EX_IOERR, "%s: %s", lpath, strerror(errno));
		letters(fp, req, n, date);
		if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF)
			die(EX_IOERR, "%s: %s", lpath, strerror(errno));
	}
}

/* The clients' report: one row a client and debtor with anything to say. */
void
report(int fd, const char *path, const char *meta)
{
	static const char *const cols[] = {
		"amc", "debtor", "open_before_eur", "new", "new_eur", "offset_eur",
		"recovered_eur", "transferred_eur", "withdrawn_eur", "open", "open_eur",
		"age_0_30_eur", "age_31_60_eur", "age_61_90_eur", "age_91_eur"
	};
	struct ts_writer w;
	size_t i;
	int db, k;

	ts_wopen(&w, fd, path, "indus-report", 1, cols, (int)(sizeof cols / sizeof cols[0]));
	ts_wmeta(&w, meta);
	for (i = 0; i < nclients; i++)
		for (db = 0; db < NDB; db++) {
			const struct client *c = &clients[i];

			if (c->w[db].prev == 0 && c->w[db].nnew == 0 && c->w[db].off == 0 &&
			    c->w[db].rec == 0 && c->w[db].tr == 0 && c->w[db].wd == 0 &&
			    c->w[db].nopen == 0)
				continue;
			ts_wcstr(&w, c->amc);
			ts_wcstr(&w, dbnames[db]);
			ts_wmoney(&w, c->w[db].prev);
			ts_wint(&w, (long long)c->w[db].nnew);
			ts_wmoney(&w, c->w[db].new);
			ts_wmoney(&w, c->w[db].off);
			ts_wmoney(&w, c->w[db].rec);
			ts_wmoney(&w, c->w[db].tr);
			ts_wmoney(&w, c->w[db].wd);
			ts_wint(&w, (long long)c->w[db].nopen);
			ts_wmoney(&w, c->w[db].open);
			for (k = 0; k < NAGE; k++)
				ts_wmoney(&w, c->w[db].age[k]);
			ts_wend(&w);
		}
	ts_wclose(&w);
}

/* The day summary's rows (tiers-summary(5)), over all clients. */
void
summary(int fd, const char *path, const char *meta)
{
	static const char *const cols[] = { "item", "kind", "records", "amount_eur" };
	static const char *const what[] = {
		"new", "retro", "offset", "recovered", "transferred", "withdrawn", "open"
	};
	struct ts_writer w;
	uint64_t n[7];
	int64_t a[7];
	size_t i;
	int db, k;

	ts_wopen(&w, fd, path, "stage-summary", 1, cols, 4);
	ts_wmeta(&w, "stage\tindus");
	ts_wmeta(&w, meta);
	for (k = 0; k < 7; k++)
		for (db = NDB - 1; db >= 0; db--) {
			n[k] = 0;
			a[k] = 0;
			for (i = 0; i < nclients; i++) {
				const struct client *c = &clients[i];
				const uint64_t cn[7] = {
					c->w[db].nnew, c->w[db].nretro, c->w[db].noff, c->w[db].nrec,
					c->w[db].ntr, c->w[db].nwd, c->w[db].nopen
				};
				const int64_t ca[7] = {
					c->w[db].new, c->w[db].retro, c->w[db].off, c->w[db].rec,
					c->w[db].tr, c->w[db].wd, c->w[db].open
				};

				n[k] += cn[k];
				add(&a[k], ca[k], path, 0, "amount_eur");
			}
			if (n[k] == 0)
				continue;
			ts_wcstr(&w, what[k]);
			ts_wcstr(&w, dbnames[db]);
			ts_wint(&w, (long long)n[k]);
			ts_wmoney(&w, a[k]);
			ts_wend(&w);
		}
	ts_wclose(&w);
}
