/*
 * payment-edit: the PS paid by SEPA credit transfer, net of the indus
 * offset against them (payment-edit(1), general conditions 3.3, annex 7).
 *
 * Reads the day's outcomes (the lines paid to the PS), the payment
 * ledger of the day before (the lines held until the register or the
 * client's account is fixed, and those already paid), the PS register,
 * the clients' paying accounts and the indus items open to offset.
 * Writes the payment ledger of the day, a pain.001.001.03 file per
 * client, the offsets applied (for indus-extract(1) the next day), the
 * remittance statements and each client's funding statement.  Every sum
 * is checked before anything is published: the transfers, read back from
 * the documents of the files written (the trees serialized), are the
 * lines paid less the offsets, per client and in total, to the cent.
 *
 * Memory: the day's lines to pay and those held, the register, the
 * parameters and the items open to offset.  The lines paid on earlier
 * days are not read: their segments are linked into the day's ledger,
 * and searched, mapped, only for a line first received on an earlier
 * day.
 *
 * This file: the stage in its order, and the parameters, register and
 * items it reads; the lines to pay are in outcomes.c, the ledgers of the
 * day before and of the day in ledger.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "pay.h"

static const char *date;
int32_t today;
char today_s[DATE_BUFSZ];

/* Everything published, together, at the end. */
struct out *outs;
static size_t nouts;

struct out *
publish(const char *path)
{
	struct out *o;

	outs = xrealloc(outs, (nouts + 1) * sizeof *outs);
	o = &outs[nouts++];
	o->path = xstrdup(path);
	if (pub_open(&o->p, o->path) < 0)
		die(EX_CANTCREAT, "%s: %s", o->path, strerror(errno));
	return o;
}

/* The outs from the from-th on, unwritten: their temporaries removed. */
static void
unpublish(size_t from)
{
	while (nouts > from) {
		nouts--;
		pub_abort(&outs[nouts].p);
		free(outs[nouts].path);
	}
}

/* Two paths in one directory (as written). */
static int
samedir(const char *a, const char *b)
{
	const char *x = strrchr(a, '/'), *y = strrchr(b, '/');
	size_t n = x ? (size_t)(x - a) : 0, m = y ? (size_t)(y - b) : 0;

	return n == m && memcmp(a, b, n) == 0;
}

/*
 * The file system of path (a temporary, there), synced once, as final
 * (pub_syncfs: final's directory) and named so in an error.
 */
static void
syncfs_of(const char *path, const char *final)
{
	if (pub_syncfs_once(path, final) < 0)
		die(EX_IOERR, "%s: %s", final, strerror(errno));
}

/* An out written whole: its descriptor closed until the commit. */
void
ready(struct out *o)
{
	if (pub_ready(&o->p) < 0)
		die(EX_IOERR, "%s: %s", o->path, strerror(errno));
}

struct out *
publishin(const char *dir, const char *name, const char *ext)
{
	char path[4096];

	if (snprintf(path, sizeof path, "%s/%s%s", dir, name, ext) >= (int)sizeof path)
		die(EX_USAGE, "%s: name too long", dir);
	return publish(path);
}

int
isamc(const struct field *f)
{
	return f->n > 0 && f->n <= 15 && strspn(f->p, "0123456789") >= f->n;
}

/* The day a line was first received: its identity's date (YYYY-MM-DD#N). */
int
firstday(const char *key, size_t n, int32_t *day)
{
	if (n < 12 || key[10] != '#' || strspn(key + 11, "0123456789") != n - 11 ||
	    date_parse(key, 10, day) < 0)
		return -1;
	return 0;
}

/* A record's column by name (the reader checked the header). */
void
needcols(struct ts_reader *r, const char *const *names, int n, int *c)
{
	int i;

	for (i = 0; i < n; i++)
		c[i] = ts_needcol(r, names[i]);
}

/* The clients' paying accounts (tiers-payparams(5)). */
static struct debtor *debtors;
static size_t ndebtors;

static int
debtorcmp(const void *a, const void *b)
{
	return strcmp(((const struct debtor *)a)->amc, ((const struct debtor *)b)->amc);
}

static void
readparams(const char *path)
{
	static const char *const cols[] = { "amc", "debtor_name", "iban", "bic" };
	struct ts_reader r;
	struct debtor *d;
	char nm[71];
	int c[4], k;
	size_t i;

	if (ts_open(&r, path, "payment-params", 1) < 0)
		ts_fatal(&r);
	needcols(&r, cols, 4, c);
	while ((k = ts_next(&r)) > 0) {
		const struct field *f = r.f;

		if (!isamc(&f[c[0]]))
			die_at(EX_DATAERR, path, r.in.lineno, "amc", "not an AMC number");
		if (sepa_text(nm, sizeof nm - 1, f[c[1]].p, f[c[1]].n) == 0)
			die_at(EX_DATAERR, path, r.in.lineno, "debtor_name",
			    "empty in the SEPA character set");
		if (!iban_valid(f[c[2]].p, f[c[2]].n))
			die_at(EX_DATAERR, path, r.in.lineno, "iban", "not a valid IBAN");
		if (!bic_valid(f[c[3]].p, f[c[3]].n))
			die_at(EX_DATAERR, path, r.in.lineno, "bic", "not a BIC of 8 or 11 characters");
		debtors = xrealloc(debtors, (ndebtors + 1) * sizeof *debtors);
		d = &debtors[ndebtors++];
		d->amc = xfdup(&f[c[0]]);
		d->name = xfdup(&f[c[1]]);
		d->iban = xfdup(&f[c[2]]);
		d->bic = xfdup(&f[c[3]]);
		for (i = 0; i + 1 < ndebtors; i++)
			if (strcmp(debtors[i].amc, d->amc) == 0)
				die_at(EX_DATAERR, path, r.in.lineno, "amc", "a second account for the client");
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
	if (ndebtors > 1)
		qsort(debtors, ndebtors, sizeof *debtors, debtorcmp);
}

static const struct debtor *
debtor(const char *amc)
{
	struct debtor key;

	if (ndebtors == 0)
		return NULL;
	key.amc = (char *)amc;
	return bsearch(&key, debtors, ndebtors, sizeof *debtors, debtorcmp);
}

/* The PS register (tiers-ps(5)), each row's verdict noted. */
static struct psreg reg;

static void
readregister(const char *path)
{
	size_t i;

	psreg_read(&reg, path);
	for (i = 0; i < reg.n; i++)
		reg.r[i].reason = reg_check(&reg.r[i]);
}

/* The PS's register row in effect today, or NULL. */
static const struct psrow *
regrow(const char *kind, const char *num)
{
	return psreg_find(&reg, kind, strlen(kind), num, strlen(num), today);
}

/* The indus items open to offset (indus-extract(1), -x). */
static struct item *items;
static size_t nitems;

static int
itemcmp(const void *a, const void *b)
{
	return item_order(a, b);
}

static void
readoffsetable(const char *path)
{
	static const char *const cols[] = {
		"amc", "ps_kind", "ps_number", "item", "line", "invoice", "line_no",
		"act_date", "opened", "left_eur"
	};
	struct ts_reader r;
	struct item *it;
	int c[10], k;
	size_t i;

	if (ts_open(&r, path, "indus-offsetable", 1) < 0)
		ts_fatal(&r);
	needcols(&r, cols, 10, c);
	while ((k = ts_next(&r)) > 0) {
		const struct field *f = r.f;

		if (!isamc(&f[c[0]]))
			die_at(EX_DATAERR, path, r.in.lineno, "amc", "not an AMC number");
		if (f[c[3]].n == 0)
			die_at(EX_DATAERR, path, r.in.lineno, "item", "empty");
		if (r.cents[c[9]] <= 0)
			die_at(EX_DATAERR, path, r.in.lineno, "left_eur", "not above 0.00");
		items = xrealloc(items, (nitems + 1) * sizeof *items);
		it = &items[nitems++];
		if (date_parse(f[c[8]].p, f[c[8]].n, &it->opened) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "opened", "not a date");
		it->amc = xfdup(&f[c[0]]);
		it->kind = xfdup(&f[c[1]]);
		it->num = xfdup(&f[c[2]]);
		it->id = xfdup(&f[c[3]]);
		it->line = xfdup(&f[c[4]]);
		it->invoice = xfdup(&f[c[5]]);
		it->lineno = xfdup(&f[c[6]]);
		it->actdate = xfdup(&f[c[7]]);
		it->left = r.cents[c[9]];
		it->used = 0;
		it->lineno_in = r.in.lineno;
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
	if (nitems > 1)
		qsort(items, nitems, sizeof *items, itemcmp);
	for (i = 1; i < nitems; i++)
		if (strcmp(items[i].amc, items[i - 1].amc) == 0 &&
		    strcmp(items[i].id, items[i - 1].id) == 0)
			die_at(EX_DATAERR, path, items[i].lineno_in, "item", "listed twice");
}

/*
 * The PS paid for a client today: the lines grouped, held or not, from
 * the lines alone (before the offsets arrive), settled as if nothing
 * were offset; offset() takes the items off.
 */
static struct payee *payees;
static size_t npayees;

static int
samepayee(const struct item *it, const struct payee *py)
{
	return strcmp(it->amc, py->amc) == 0 && strcmp(it->kind, py->kind) == 0 &&
	    strcmp(it->num, py->num) == 0;
}

/* The first of a PS's items (they are in item_order), or where it would be. */
static size_t
itemfirst(const struct payee *py)
{
	size_t lo = 0, hi = nitems, m;
	int c;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if ((c = strcmp(items[m].amc, py->amc)) == 0 &&
		    (c = strcmp(items[m].kind, py->kind)) == 0)
			c = strcmp(items[m].num, py->num);
		if (c < 0)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static void
group(void)
{
	static struct line **v;		/* the payees' lines */
	struct payee *py;
	size_t *start, np, p, i, j, k;

	v = xmalloc((nlines + 1) * sizeof *v);
	start = xmalloc((nlines + 1) * sizeof *start);
	np = lines_bypayee(lines, v, nlines, start);
	payees = xmalloc((np + 1) * sizeof *payees);
	for (p = 0; p < np; p++) {
		i = start[p];
		j = start[p + 1];
		py = &payees[npayees++];
		memset(py, 0, sizeof *py);
		py->amc = v[i]->amc;
		py->kind = v[i]->kind;
		py->num = v[i]->num;
		py->lines = &v[i];
		py->nlines = j - i;
		py->deb = debtor(py->amc);
		py->reg = regrow(py->kind, py->num);
		py->reason = hold_reason(py->deb, py->reg);
		for (k = i; k < j; k++) {
			v[k]->py = py;
			if (money_add(&py->gross, py->gross, v[k]->amt) < 0)
				die(EX_DATAERR, "a PS's lines: amc_eur: sum out of range");
		}
		payee_settle(py, date);
		if (py->reason == R_NONE && py->ref[0] == '\0')
			die(EX_DATAERR, "a PS's transfer reference would be longer than 35 characters");
	}
	free(start);
}

/*
 * The items open to offset taken off their PS's transfers, oldest
 * first: the number of PS whose status they changed (a transfer
 * offset whole).
 */
static size_t
offset(void)
{
	struct payee *py;
	size_t p, m, e, k, nchanged = 0;
	int st;

	for (p = 0; p < npayees; p++) {
		py = &payees[p];
		if (py->reason != R_NONE)
			continue;
		m = itemfirst(py);
		for (e = m; e < nitems && samepayee(&items[e], py); e++)
			;
		if (e == m)
			continue;
		{
			struct item **its = xmalloc((e - m + 1) * sizeof *its);

			py->offs = xmalloc((e - m + 1) * sizeof *py->offs);
			for (k = m; k < e; k++)
				its[k - m] = &items[k];
			offsets_apply(py, its, e - m);
			free(its);
		}
		st = py->status;
		payee_settle(py, date);
		nchanged += py->status != st;
	}
	return nchanged;
}

/* Per client: the sums the checks and the funding statement need. */
struct client {
	const char *amc;
	uint64_t n[6];
	int64_t eur[6];
};
enum { C_PAID, C_RELEASED, C_OFFSET, C_TRANSFER, C_HELD, C_SETTLED };
static const char *const cnames[] = {
	"paid", "released", "indus-offset", "transfers", "held", "settled"
};

static void
cadd(struct client *c, int k, uint64_t n, int64_t eur)
{
	c->n[k] += n;
	if (money_add(&c->eur[k], c->eur[k], eur) < 0)
		die(EX_DATAERR, "client %s: %s: sum out of range", c->amc, cnames[k]);
}

static void
funding(int fd, const char *path, const struct client *c, const struct debtor *d)
{
	static const char *const cols[] = { "amc", "item", "count", "amount_eur" };
	static const int rows[] = { C_PAID, C_RELEASED, C_OFFSET, C_TRANSFER, C_HELD };
	struct ts_writer w;
	char meta[128];
	size_t i;

	ts_wopen(&w, fd, path, "funding", 1, cols, 4);
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	ts_wmeta(&w, meta);
	if (d != NULL) {
		char nm[71];

		sepa_text(nm, sizeof nm - 1, d->name, strlen(d->name));
		snprintf(meta, sizeof meta, "debtor\t%s", nm);
		ts_wmeta(&w, meta);
	}
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ts_wcstr(&w, c->amc);
		ts_wcstr(&w, cnames[rows[i]]);
		ts_wint(&w, (long long)c->n[rows[i]]);
		ts_wmoney(&w, c->eur[rows[i]]);
		ts_wend(&w);
	}
	ts_wclose(&w);
}

/* The ledger of the day (wledger), its sums from the clients'. */
static void
ledger(const char *dir, const char *meta, const struct client *cl, size_t n)
{
	struct client t;
	size_t i;

	memset(&t, 0, sizeof t);
	t.amc = "total";
	for (i = 0; i < n; i++) {
		cadd(&t, C_PAID, cl[i].n[C_PAID], cl[i].eur[C_PAID]);
		cadd(&t, C_HELD, cl[i].n[C_HELD], cl[i].eur[C_HELD]);
	}
	if (t.n[C_PAID] > 0) {
		char name[DATE_BUFSZ + 8];

		snprintf(name, sizeof name, "paid-%s", date);
		wledger(dir, name, meta, t.eur[C_HELD], t.eur[C_PAID]);
	} else
		wledger(dir, NULL, meta, t.eur[C_HELD], 0);
}

/*
 * The same, printable: what the operator paid on the client's behalf
 * today, what it kept of the PS's indus for it, and what the client is
 * asked to fund (the transfers).
 */
static void
fundingtext(int fd, const char *path, const struct client *c, const struct debtor *d)
{
	static const char *const labels[] = {
		"Lignes payees ce jour", "dont lignes en attente liberees",
		"Indus retenus sur les paiements", "Virements emis (a financer)",
		"Lignes en attente"
	};
	static const int rows[] = { C_PAID, C_RELEASED, C_OFFSET, C_TRANSFER, C_HELD };
	char m[MONEY_BUFSZ], nm[71];
	FILE *fp;
	size_t i;

	if ((fp = fdopen(dup(fd), "w")) == NULL)
		die(EX_OSERR, "%s: %s", path, strerror(errno));
	if (d != NULL)
		sepa_text(nm, sizeof nm - 1, d->name, strlen(d->name));
	fprintf(fp, "APPEL DE FONDS TIERS PAYANT du %s\n\n", date);
	fprintf(fp, "Organisme complementaire : %s%s%s\n\n", c->amc, d != NULL ? " - " : "",
	    d != NULL ? nm : "");
	fprintf(fp, "%-40s %8s %14s\n", "", "Nombre", "Montant");
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		money_fmt(c->eur[rows[i]], m);
		fprintf(fp, "%-40s %8llu %14s\n", labels[i], (unsigned long long)c->n[rows[i]], m);
	}
	money_fmt(c->eur[C_TRANSFER], m);
	fprintf(fp, "\nMontant a financer : %s\n", m);
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

/*
 * The SEPA files checked (sepa_check) by threads of their own, each file
 * as soon as it is written (sjobs, one a client at most, never moved;
 * nsjobs grows under slock; snext, the next to take), with what it
 * found: its client, its out by index (outs move).  Two threads: a file
 * is checked in one piece, and a day's three take longer to check than
 * to write, so the second is checked beside the first.  A file found
 * wrong stops the taking of more; the files before it were all taken,
 * and main() reports the first wrong one, as one thread would.
 */
enum { NCHECK = 2 };
struct sjob {
	size_t client, out;
	const char *path;
	struct sepa s;
	int rc;
	char err[512];
};
static struct sjob *sjobs;
static size_t nsjobs, snext;
static int sdone;		/* no file more */
static int sfail;		/* a file found wrong */
static pthread_mutex_t slock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t smore = PTHREAD_COND_INITIALIZER;
static xmlSchemaPtr sschema;

static void *
sepacheck(void *arg)
{
	struct sjob *jb;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&slock);
		while (snext == nsjobs && !sdone && !sfail)
			pthread_cond_wait(&smore, &slock);
		if (snext == nsjobs || sfail) {
			pthread_mutex_unlock(&slock);
			break;
		}
		jb = &sjobs[snext++];
		pthread_mutex_unlock(&slock);
		if ((jb->rc = sepa_check(&jb->s, sschema, jb->path, jb->err, sizeof jb->err)) != 0) {
			pthread_mutex_lock(&slock);
			sfail = 1;
			pthread_cond_broadcast(&smore);
			pthread_mutex_unlock(&slock);
			break;
		}
	}
	return NULL;
}

/* The next file written (more), or none more: told to the checks. */
static void
separeady(int more)
{
	pthread_mutex_lock(&slock);
	if (more)
		nsjobs++;
	else
		sdone = 1;
	pthread_cond_broadcast(&smore);
	pthread_mutex_unlock(&slock);
}

static void
usage(void)
{
	fprintf(stderr, "usage: payment-edit -d date -o ledger [-F funding-dir] [-l ledger-before]\n"
	    "                    [-M remittance-text] [-m remittance] [-P params]\n"
	    "                    [-R remittance-dir] [-r register]\n"
	    "                    [-s summary] [-t transfers-dir] [-W months]\n"
	    "                    [-x offsetable -O offsets] [outcomes]\n");
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *fdir = NULL, *prev = NULL, *tpath = NULL, *rpath = NULL, *params = NULL;
	const char *register_ = NULL, *spath = NULL, *tdir = NULL, *xpath = NULL, *opath = NULL;
	const char *pdir = NULL;
	char ptmp[4096];
	const char *lpath = NULL;
	char *ltmp;
	struct stat sb;
	long window = 24;
	struct out *oo, *so;
	struct ts_writer ow;
	struct client *clients, tot;
	size_t nclients = 0, n0, i, j, k;
	int ch;
	int32_t cutoff;
	char meta[64];
	xmlSchemaPtr schema;
	pthread_t th[NCHECK];
	int nth = 0;
	struct sepa *pre = NULL;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "F:M:O:P:R:W:d:l:m:o:r:s:t:x:")) != -1)
		switch (ch) {
		case 'F': fdir = optarg; break;
		case 'M': tpath = optarg; break;
		case 'R': pdir = optarg; break;
		case 'O': opath = optarg; break;
		case 'P': params = optarg; break;
		case 'W': window = (long)numarg(optarg, 1, 1200, "-W months"); break;
		case 'd': date = optarg; break;
		case 'l': prev = optarg; break;
		case 'm': rpath = optarg; break;
		case 'o': lpath = optarg; break;
		case 'r': register_ = optarg; break;
		case 's': spath = optarg; break;
		case 't': tdir = optarg; break;
		case 'x': xpath = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (date == NULL || lpath == NULL || argc > 1 || (xpath != NULL) != (opath != NULL))
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "-d %s: not a date YYYY-MM-DD", date);
	date_fmt(today, today_s);
	date = today_s;
	cutoff = months_before(today, window);
	/* The ledger of the day is built in LEDGER.tmp, renamed whole. */
	if (stat(lpath, &sb) == 0)
		die(EX_CANTCREAT, "%s: exists", lpath);
	ltmp = xconcat(lpath, ".tmp");
	if (mkdir(ltmp, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", ltmp, strerror(errno));
	tmp_track(ltmp, 1);
	LIBXML_TEST_VERSION
	/*
	 * libxml2 set up here, before the check's thread: its trees and its
	 * parser then run in two threads at once, as libxml2 allows once
	 * initialised in the main thread.
	 */
	xmlInitParser();
	schema = sepa_schema();

	/*
	 * The inputs, whole, before anything is written but the day's
	 * ledger; the offsets last: the nightly gives them through a FIFO
	 * that the indus stage's end fills, while the outcomes and the
	 * ledger are read, the lines grouped by PS and the day's ledger
	 * written.
	 */
	if (params != NULL)
		readparams(params);
	if (register_ != NULL)
		readregister(register_);
	if (argc == 1)
		readoutcomes(argv[0]);
	if (prev != NULL) {
		ledgeropen(prev, cutoff);
		ledgerpaid();
		ledgerheld(heldpath);
	}
	group();

	/* Per client, from the lines and offsets, not from the payees' sums. */
	clients = xmalloc((npayees + 1) * sizeof *clients);
	memset(&tot, 0, sizeof tot);
	tot.amc = "total";
	for (i = 0; i < nlines; i++) {
		const struct line *l = lines[i];
		struct client *cl;
		int s = l->py->status;

		/* A client's lines are together (the ledger's order). */
		if (i == 0 || lines[i - 1]->namc != l->namc ||
		    !samebytes(lines[i - 1]->amc, l->amc, l->namc)) {
			cl = &clients[nclients++];
			memset(cl, 0, sizeof *cl);
			cl->amc = l->amc;
		}
		cl = &clients[nclients - 1];
		cadd(cl, s == S_HELD ? C_HELD : C_PAID, 1, l->amt);
		if (s != S_HELD && l->carried)
			cadd(cl, C_RELEASED, 1, l->amt);
	}

	/*
	 * The ledger of the day, a directory: the lines held after the day;
	 * the lines paid today, a segment of their own; the segments of the
	 * days before within the window, linked.  Written before the offsets
	 * arrive: they change it only where they take a PS's whole transfer,
	 * and then it is written again.
	 */
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	n0 = nouts;
	ledger(ltmp, meta, clients, nclients);
	/*
	 * The trees of the files of transfers built too, of the PS paid
	 * before the offsets: once they arrive, the offsets only take some
	 * transfers off or lower them (sepa_write), and the trees were
	 * 140 M instructions of 2026-01-19 of the generated world that the
	 * night waited for.
	 */
	if (tdir != NULL) {
		struct payee **pys = xmalloc((npayees + 1) * sizeof *pys);

		pre = xmalloc((nclients + 1) * sizeof *pre);
		for (i = 0; i < nclients; i++) {
			size_t n = 0;

			for (j = 0; j < npayees; j++)
				if (strcmp(payees[j].amc, clients[i].amc) == 0 && payees[j].status == S_PAID)
					pys[n++] = &payees[j];
			memset(&pre[i], 0, sizeof pre[i]);
			if (n > 0)
				sepa_build(&pre[i], date, pys[0]->deb, pys, n);
		}
		free(pys);
	}
	if (xpath != NULL)
		readoffsetable(xpath);
	if (offset() > 0) {
		unpublish(n0);
		ledger(ltmp, meta, clients, nclients);
	}
	ledgercarry(ltmp);

	for (i = 0; i < npayees; i++)
		for (j = 0; j < payees[i].noffs; j++) {
			for (k = 0; strcmp(clients[k].amc, payees[i].amc) != 0; k++)
				;
			cadd(&clients[k], C_OFFSET, 1, payees[i].offs[j].amt);
		}
	for (i = 0; i < nitems; i++)
		if (items[i].used > items[i].left)
			die(EX_SOFTWARE, "%s: item offset beyond what is left of it", xpath);

	/*
	 * A file of transfers per client, written now and checked by the
	 * threads of the check, each as soon as written, while the rest is
	 * written (the check: 1.06 G of the run's 3.21 G instructions on
	 * 2026-01-19 of the generated world); what they find is counted at
	 * the join.
	 */
	if (tdir != NULL) {
		sjobs = xmalloc((nclients + 1) * sizeof *sjobs);
		sschema = schema;
		while (nth < NCHECK && pthread_create(&th[nth], NULL, sepacheck, NULL) == 0)
			nth++;
		for (i = 0; i < nclients; i++) {
			struct sjob *jb;
			struct out *x;
			size_t n = 0;

			for (j = 0; j < npayees; j++)
				if (strcmp(payees[j].amc, clients[i].amc) == 0 && payees[j].status == S_PAID)
					n++;
			if (n == 0) {
				if (pre[i].doc != NULL)
					sepa_drop(&pre[i]);
				continue;
			}
			x = publishin(tdir, clients[i].amc, ".xml");
			jb = &sjobs[nsjobs];
			memset(jb, 0, sizeof *jb);
			jb->client = i;
			jb->out = (size_t)(x - outs);
			jb->path = x->path;
			/*
			 * Beside the checks of the files before: each tree has
			 * its own dictionary, the schema is only read, and
			 * libxml2, built with threads, keeps its error
			 * handlers a thread.
			 */
			jb->s = pre[i];
			sepa_write(&jb->s, date, x->path);
			separeady(1);
		}
		free(pre);
		separeady(0);
		if (nth == 0)
			sepacheck(NULL);
	} else
		for (i = 0; i < npayees; i++)
			if (payees[i].status == S_PAID) {
				for (k = 0; strcmp(clients[k].amc, payees[i].amc) != 0; k++)
					;
				cadd(&clients[k], C_TRANSFER, 1, payees[i].net);
			}
	for (i = 0; i < nclients; i++)
		for (k = 0; k < 6; k++)
			if (k != C_TRANSFER)
				cadd(&tot, (int)k, clients[i].n[k], clients[i].eur[k]);

	/* The offsets applied, for indus-extract the next day. */
	if (opath != NULL) {
		static const char *const ocols[] = { "amc", "item", "offset_eur", "ps_kind", "ps_number" };

		oo = publish(opath);
		ts_wopen(&ow, oo->p.fd, opath, "indus-offset", 1, ocols, 5);
		ts_wmeta(&ow, meta);
		for (i = 0; i < npayees; i++)
			for (j = 0; j < payees[i].noffs; j++) {
				ts_wcstr(&ow, payees[i].amc);
				ts_wcstr(&ow, payees[i].offs[j].it->id);
				ts_wmoney(&ow, payees[i].offs[j].amt);
				ts_wcstr(&ow, payees[i].kind);
				ts_wcstr(&ow, payees[i].num);
				ts_wend(&ow);
			}
		if (ow.sum != tot.eur[C_OFFSET])
			die(EX_SOFTWARE, "%s: offsets written %lld cents, %lld applied", opath,
			    (long long)ow.sum, (long long)tot.eur[C_OFFSET]);
		ts_wclose(&ow);
		ready(oo);
	}

	/* The statements. */
	if (rpath != NULL || tpath != NULL) {
		struct payee **pys = xmalloc((npayees + 1) * sizeof *pys);

		for (i = 0; i < npayees; i++)
			pys[i] = &payees[i];
		int rfd = -1, tfd = -1;
		size_t ro = nouts;

		/* publish() moves the earlier outs: their fds are taken at once. */
		if (rpath != NULL)
			rfd = publish(rpath)->p.fd;
		if (tpath != NULL)
			tfd = publish(tpath)->p.fd;
		remit_write(rfd, rpath, tfd, tpath, date, pys, npayees);
		free(pys);
		for (; ro < nouts; ro++)
			ready(&outs[ro]);
	}
	/*
	 * A statement a PS and client, to send it: CLIENT-KIND-NUMBER.txt,
	 * thousands a day: written under their names into pdir.tmp, which
	 * takes pdir's place (an empty directory, or none) with the rest,
	 * not each file renamed.
	 */
	if (pdir != NULL) {
		if ((size_t)snprintf(ptmp, sizeof ptmp, "%s.tmp", pdir) >= sizeof ptmp)
			die(EX_USAGE, "%s: path too long", pdir);
		if (mkdir(ptmp, 0700) < 0)
			die(EX_CANTCREAT, "%s: %s", ptmp, strerror(errno));
		/* Removed, with its files, if the run ends before the rename. */
		tmp_track(ptmp, 1);
		for (i = 0; i < npayees; i++) {
			char name[128], path[4096 + 160];
			int fd;

			if ((size_t)snprintf(name, sizeof name, "%s-%s-%s", payees[i].amc, payees[i].kind,
			    payees[i].num) >= sizeof name || strchr(name, '/') != NULL)
				die(EX_DATAERR, "PS %s %s: its number makes no file name", payees[i].kind,
				    payees[i].num);
			snprintf(path, sizeof path, "%s/%s.txt", ptmp, name);
			if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
				die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
			remit_page(fd, path, date, &payees[i]);
			if (close(fd) < 0)
				die(EX_IOERR, "%s: %s", path, strerror(errno));
		}
	}
	/* The check's end: what it found. */
	while (nth > 0)
		if (pthread_join(th[--nth], NULL) != 0)
			die(EX_OSERR, "pthread_join failed");
	for (i = 0; i < nsjobs; i++) {
		struct sjob *jb = &sjobs[i];
		struct out *x = &outs[jb->out];

		if (jb->rc != 0)
			die(jb->rc, "%s", jb->err);
		cadd(&clients[jb->client], C_TRANSFER, jb->s.ntx, jb->s.sum);
		if (write(x->p.fd, jb->s.xml, jb->s.len) != (ssize_t)jb->s.len)
			die(EX_IOERR, "%s: %s", x->path, strerror(errno));
		ready(x);
		free(jb->s.xml);
	}
	/* The transfers are the lines paid less the offsets, to the cent. */
	for (i = 0; i < nclients; i++) {
		struct client *cl = &clients[i];
		int64_t want;

		if (money_sub(&want, cl->eur[C_PAID], cl->eur[C_OFFSET]) < 0 ||
		    want != cl->eur[C_TRANSFER])
			die(EX_SOFTWARE, "client %s: transfers %lld cents, lines paid %lld less offsets %lld",
			    cl->amc, (long long)cl->eur[C_TRANSFER], (long long)cl->eur[C_PAID],
			    (long long)cl->eur[C_OFFSET]);
		cadd(&tot, C_TRANSFER, cl->n[C_TRANSFER], cl->eur[C_TRANSFER]);
	}
	{
		int64_t want;

		if (money_sub(&want, tot.eur[C_PAID], tot.eur[C_OFFSET]) < 0 ||
		    want != tot.eur[C_TRANSFER])
			die(EX_SOFTWARE, "total: transfers %lld cents, lines paid %lld less offsets %lld",
			    (long long)tot.eur[C_TRANSFER], (long long)tot.eur[C_PAID],
			    (long long)tot.eur[C_OFFSET]);
	}
	if (fdir != NULL)
		for (i = 0; i < nclients; i++) {
			struct out *x = publishin(fdir, clients[i].amc, ".tsv");

			funding(x->p.fd, x->path, &clients[i], debtor(clients[i].amc));
			ready(x);
			x = publishin(fdir, clients[i].amc, ".txt");
			fundingtext(x->p.fd, x->path, &clients[i], debtor(clients[i].amc));
			ready(x);
		}
	if (spath != NULL) {
		static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
		static const int rows[] = { C_PAID, C_RELEASED, C_HELD, C_OFFSET, C_TRANSFER };
		struct ts_writer sw;

		so = publish(spath);
		ts_wopen(&sw, so->p.fd, spath, "stage-summary", 1, scols, 4);
		ts_wmeta(&sw, "stage\tpayment");
		ts_wmeta(&sw, meta);
		for (i = 0; i < nclients; i++)
			for (k = 0; k < sizeof rows / sizeof rows[0]; k++) {
				if (clients[i].n[rows[k]] == 0)
					continue;
				ts_wcstr(&sw, clients[i].amc);
				ts_wcstr(&sw, cnames[rows[k]]);
				ts_wint(&sw, (long long)clients[i].n[rows[k]]);
				ts_wmoney(&sw, clients[i].eur[rows[k]]);
				ts_wend(&sw);
			}
		if (nalready > 0) {
			ts_wcstr(&sw, "lines");
			ts_wcstr(&sw, "already-paid");
			ts_wint(&sw, (long long)nalready);
			ts_wmoney(&sw, already_eur);
			ts_wend(&sw);
		}
		ts_wclose(&sw);
		ready(so);
	}
	/*
	 * The data synced once for each file system (the statements' with
	 * the rest), every file closed (ready): then no rename syncs a file
	 * of its own (pub_rename's fsync of one still open), and no other
	 * directory of the same file system syncs it again (on day 60 of
	 * the bench-year world, six syncfs and seven fsync became one
	 * syncfs: 0.10 s of the night's end on a busy disk).  All under
	 * their names, then each directory synced once.
	 */
	for (i = 0; i < nouts; i++)
		syncfs_of(outs[i].p.tmp, outs[i].path);
	if (pdir != NULL)
		syncfs_of(ptmp, pdir);
	/* The statements first: a directory in the way stops the rest. */
	if (pdir != NULL) {
		if (rename(ptmp, pdir) < 0)
			die(EX_CANTCREAT, "%s: %s", pdir, strerror(errno));
		tmp_untrack(ptmp);
		if (pub_syncdir(pdir) < 0)
			die(EX_IOERR, "%s: %s", pdir, strerror(errno));
	}
	for (i = 0; i < nouts; i++)
		if (pub_rename(&outs[i].p) < 0)
			die(EX_IOERR, "%s: %s", outs[i].path, strerror(errno));
	for (i = 0; i < nouts; i++)
		if ((i == 0 || !samedir(outs[i].path, outs[i - 1].path)) &&
		    pub_syncdir(outs[i].path) < 0)
			die(EX_IOERR, "%s: %s", outs[i].path, strerror(errno));
	/* The ledger's directory, whole, under its name. */
	if (rename(ltmp, lpath) < 0)
		die(EX_CANTCREAT, "%s: %s", lpath, strerror(errno));
	tmp_untrack(ltmp);
	if (pub_syncdir(lpath) < 0)
		die(EX_IOERR, "%s: %s", lpath, strerror(errno));
	{
		char m1[MONEY_BUFSZ], m2[MONEY_BUFSZ];

		money_fmt(tot.eur[C_TRANSFER], m1);
		money_fmt(tot.eur[C_OFFSET], m2);
		fprintf(stderr, "payment-edit: %s: %llu outcomes, %llu lines paid (%llu released), "
		    "%llu held, %llu already paid; %llu transfers %s, offsets %s; "
		    "ledger: %llu lines looked up in %llu of %zu segments, %llu carried, %llu dropped\n",
		    date, (unsigned long long)nout, (unsigned long long)tot.n[C_PAID],
		    (unsigned long long)tot.n[C_RELEASED], (unsigned long long)tot.n[C_HELD],
		    (unsigned long long)nalready, (unsigned long long)tot.n[C_TRANSFER], m1, m2,
		    (unsigned long long)nsearched, (unsigned long long)nsegread, nsegs,
		    (unsigned long long)nlinked, (unsigned long long)ndropped);
	}
	xmlSchemaFree(schema);
	free(clients);
	free(ltmp);
	return 0;
}
