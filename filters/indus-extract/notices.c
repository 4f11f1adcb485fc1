/*
 * What the PS and the clients are told.  Each PS that owes the day's new items of clients
 * that do not allow compensation is asked to pay them back, the lines,
 * amounts and reasons listed, as a sealed stream (tiers-indus(5),
 * request) and as a printable letter, one a PS, pages separated by a
 * form feed.  The letter names the PS by its number: the operator's PS
 * register, with names and addresses, is not an input here.  Each
 * client has its report: per debtor, the day's movements and the open
 * balance by age (tiers-indus(5), report); and the day summary its rows.
 * Each client that has any has its stream of what is now its to recover
 * (tiers-indus(5), client): the day's new items of its beneficiaries
 * (3.1.4), and the items transferred to it today (annex 8), with their
 * history.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * The clients' streams.  The ledger is written in its order, amc first:
 * each client's rows come together, and one file is open at a time.
 * The files are made in dir.tmp, renamed dir once all are complete, so
 * that a client without rows today finds no file of another day.
 */
static const char *const ccols[] = {
	"amc", "event", "debtor", "debtor_ref", "item", "origin", "reason", "line",
	"ps_kind", "ps_number", "contract", "member_ref", "invoice", "line_no",
	"act_date", "act_code", "opened", "paid_eur", "amount_eur", "offset_eur",
	"recovered_eur", "withdrawn_eur", "transferred_eur", "left_eur", "status", "age"
};
static char *cdir;
static struct pub *cpubs;
static size_t ncpubs;
static struct ts_writer cw;
/* The client whose file is open, by its number: client() may move them. */
static char ccur[sizeof clients->amc];

void
clients_create(const char *dir)
{
	struct stat st;

	cdir = xconcat(dir, ".tmp");
	if (stat(dir, &st) == 0)
		die(EX_CANTCREAT, "%s: exists", dir);
	if (mkdir(cdir, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", cdir, strerror(errno));
	/* Removed, with its files, if the run ends before the rename. */
	tmp_track(cdir, 1);
}

/* The rows written to the client's file, by debtor. */
static uint64_t
crows(const struct client *c)
{
	return c->t[DB_BENEF].nnew + c->t[DB_BENEF].ntr + c->t[DB_PS].nnew + c->t[DB_PS].ntr;
}

static void
cclose(void)
{
	const struct client *c;

	if (ccur[0] == '\0')
		return;
	c = client(&(struct field){ ccur, strlen(ccur) }, cdir, 0);
	if (cw.nrec != crows(c))
		die(EX_SOFTWARE, "%s/%s.tsv: %llu records written, %llu rows counted", cdir,
		    ccur, (unsigned long long)cw.nrec, (unsigned long long)crows(c));
	ts_wclose(&cw);
}

static void
crow(const struct item *it, const char *event, int32_t age)
{
	static const int sk[] = {
		S_DEBTOR, S_DREF, S_ITEM, S_ORIGIN, S_REASON, S_LINE, S_PSKIND, S_PSNUM,
		S_CONTRACT, S_MEMBER, S_INVOICE, S_LINENO, S_ACTDATE, S_ACTCODE
	};
	size_t k;

	ts_wstr(&cw, it->s[S_AMC].p, it->s[S_AMC].n);
	ts_wcstr(&cw, event);
	for (k = 0; k < sizeof sk / sizeof sk[0]; k++)
		ts_wstr(&cw, it->s[sk[k]].p, it->s[sk[k]].n);
	ts_wdate(&cw, it->opened);
	ts_wmoney(&cw, it->paid);
	ts_wmoney(&cw, it->amount);
	ts_wmoney(&cw, it->offset);
	ts_wmoney(&cw, it->recovered);
	ts_wmoney(&cw, it->withdrawn);
	ts_wmoney(&cw, it->transferred);
	ts_wmoney(&cw, it->left);
	ts_wcstr(&cw, stnames[item_status(it)]);
	ts_wint(&cw, age);
	ts_wend(&cw);
}

/*
 * An item's rows: new when it is a beneficiary's opened today, the
 * client's to recover from its beneficiary; transferred when its delay
 * handed what was left of it to the client today.  Both, in that
 * order, for an item of a client whose delay is 0 days.
 */
void
client_rows(const struct item *it, int32_t age, const char *file, long line)
{
	struct client *c;
	char path[4096], meta[64];
	struct pub *p;
	size_t k;
	int db = it->debtor;

	if (cdir == NULL || !((it->isnew && db == DB_BENEF) || it->ttr > 0))
		return;
	c = client(&it->s[S_AMC], file, line);
	if (strcmp(c->amc, ccur) != 0) {
		/* The client's number names its file: nothing that walks the tree. */
		for (k = 0; k < it->s[S_AMC].n; k++)
			if (strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-",
			    it->s[S_AMC].p[k]) == NULL || it->s[S_AMC].p[k] == '\0')
				die_at(EX_DATAERR, file, line, "amc",
				    "not letters, digits, _ and -: no name for the client's file");
		if (strcmp(ccur, c->amc) > 0)
			die(EX_SOFTWARE, "%s: client %s after %s: the ledger out of order", cdir,
			    c->amc, ccur);
		cclose();
		if ((size_t)snprintf(path, sizeof path, "%s/%s.tsv", cdir, c->amc) >= sizeof path)
			die(EX_CANTCREAT, "%s: a name too long", cdir);
		cpubs = xrealloc(cpubs, (ncpubs + 1) * sizeof *cpubs);
		p = &cpubs[ncpubs++];
		if (pub_open(p, path) < 0)
			die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
		ts_wopen(&cw, p->fd, p->final, "indus-client", 1, ccols,
		    (int)(sizeof ccols / sizeof ccols[0]));
		snprintf(meta, sizeof meta, "business_date\t%s", today_s);
		ts_wmeta(&cw, meta);
		memcpy(ccur, it->s[S_AMC].p, it->s[S_AMC].n);
		ccur[it->s[S_AMC].n] = '\0';
	}
	/* The sums of the conservation check: from what the rows say. */
	if (it->isnew && db == DB_BENEF) {
		crow(it, "new", age);
		add(&c->t[db].new, it->amount, file, line, "amount_eur");
		c->t[db].nnew++;
	}
	if (it->ttr > 0) {
		crow(it, "transferred", age);
		add(&c->t[db].tr, it->transferred, file, line, "transferred_eur");
		c->t[db].ntr++;
	}
}

/*
 * What the clients' files list, new beneficiary items and transfers,
 * per client, in count and amount, is what the report says.
 */
void
clients_close(void)
{
	const struct client *c;
	char m[4][MONEY_BUFSZ];
	size_t i;
	int db;

	if (cdir == NULL)
		return;
	cclose();
	for (i = 0; i < nclients; i++) {
		c = &clients[i];
		for (db = 0; db < NDB; db++) {
			if (c->t[db].ntr == c->w[db].ntr && c->t[db].tr == c->w[db].tr &&
			    (db != DB_BENEF ||
			    (c->t[db].nnew == c->w[db].nnew && c->t[db].new == c->w[db].new)))
				continue;
			money_fmt(c->t[db].new, m[0]);
			money_fmt(c->t[db].tr, m[1]);
			money_fmt(db == DB_BENEF ? c->w[db].new : 0, m[2]);
			money_fmt(c->w[db].tr, m[3]);
			die(EX_SOFTWARE, "%s: conservation: client %s, debtor %s: the client's file "
			    "lists %llu new (%s) and %llu transferred (%s), the report %llu new (%s) "
			    "and %llu transferred (%s)", cdir, c->amc, dbnames[db],
			    (unsigned long long)c->t[db].nnew, m[0], (unsigned long long)c->t[db].ntr,
			    m[1], db == DB_BENEF ? (unsigned long long)c->w[db].nnew : 0ULL, m[2],
			    (unsigned long long)c->w[db].ntr, m[3]);
		}
	}
}

/*
 * The clients' files, closed, under their names in dir.tmp (synced by
 * main.c with the other outputs, once per file system); dir.tmp, or
 * NULL without -T.
 */
const char *
clients_ready(void)
{
	size_t i;

	if (cdir == NULL)
		return NULL;
	for (i = 0; i < ncpubs; i++)
		if (pub_ready(&cpubs[i]) < 0 || pub_rename(&cpubs[i]) < 0)
			die(EX_IOERR, "%s: %s", cdir, strerror(errno));
	return cdir;
}

/* dir.tmp renamed dir; its name synced by main.c with the other outputs'. */
void
clients_commit(const char *dir)
{
	if (cdir == NULL)
		return;
	if (rename(cdir, dir) < 0)
		die(EX_CANTCREAT, "%s: %s", dir, strerror(errno));
	tmp_untrack(cdir);
	free(cpubs);
	free(cdir);
	cdir = NULL;
}
