/*
 * The remittance statements (relevés de paiement, tiers-remittance(5)):
 * for each PS and client of the day, the lines paid or held, the indus
 * offset against them, and the transfer with its reference; as a sealed
 * stream and as printable text, a page per PS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pay.h"

static const char *const rcols[] = {
	"amc", "ps_kind", "ps_number", "row", "line", "invoice", "line_no", "act_date",
	"decided", "item", "amount_eur", "status", "reason", "payment_ref"
};

static void
head(struct ts_writer *w, const struct payee *py, const char *row)
{
	ts_wcstr(w, py->amc);
	ts_wcstr(w, py->kind);
	ts_wcstr(w, py->num);
	ts_wcstr(w, row);
}

static void
tail(struct ts_writer *w, const struct payee *py, int64_t amt)
{
	ts_wmoney(w, amt);
	ts_wcstr(w, statuses[py->status]);
	ts_wcstr(w, reasons[py->reason]);
	ts_wcstr(w, py->ref);
	ts_wend(w);
}

/*
 * A line's row: amc, ps_kind, ps_number, "line", then line, invoice,
 * line_no, act_date, decided, an empty item, and the tail; put whole,
 * the line's fields as they were read (line_tabs()), the amount in the
 * record's sum (money_fmt() writes it as ts_wmoney() would).
 */
static void
lrow(struct ts_writer *w, const struct payee *py, const struct line *l)
{
	char buf[1024 + 160], *p = buf, d[DATE_BUFSZ];

	if (l->nall + 160 > sizeof buf) {
		head(w, py, "line");
		ts_wcstr(w, l->key);
		ts_wcstr(w, l->invoice);
		ts_wcstr(w, l->lineno);
		ts_wcstr(w, l->actdate);
		decided_fmt(l->decided, d);
		ts_wcstr(w, d);
		ts_wcstr(w, "");
		tail(w, py, l->amt);
		return;
	}
	/* amc (to its NUL), kind and num (to num's), the row, key, invoice to act_date. */
	p = line_tabs(p, l->amc, l->amc + l->namc + 1);
	p = line_tabs(p, l->kind, l->invoice);
	p = stpcpy(p, "line\t");
	p = line_tabs(p, l->key, l->key + l->nkey + 1);
	p = line_tabs(p, l->invoice, l->amc + l->nall);
	p += decided_fmt(l->decided, p);
	*p++ = '\t';
	*p++ = '\t';
	p += money_fmt(l->amt, p);
	*p++ = '\t';
	p = stpcpy(p, statuses[py->status]);
	*p++ = '\t';
	p = stpcpy(p, reasons[py->reason]);
	*p++ = '\t';
	p = stpcpy(p, py->ref);
	ts_wfields(w, buf, (size_t)(p - buf), (int)(sizeof rcols / sizeof rcols[0]), l->amt);
	ts_wend(w);
}

/* Text, checked: a full disk is an error, not a short statement. */
static void
put(FILE *fp, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put(FILE *fp, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(fp, fmt, ap) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	va_end(ap);
}

/* s, of n bytes, in w columns at p, as printf's %-ws (left) or %ws: past it. */
static char *
pad(char *p, const char *s, size_t n, size_t w, int left)
{
	size_t k = n < w ? w - n : 0;

	if (!left) {
		memset(p, ' ', k);
		p += k;
	}
	memcpy(p, s, n);
	p += n;
	if (left) {
		memset(p, ' ', k);
		p += k;
	}
	return p;
}

/*
 * A line's row, "%-12s %-8s %-10s %-10s %12s\n", put without vfprintf:
 * it was a tenth of the run, a row a line paid or held.  The lengths of
 * invoice, line_no and act_date are where the next field starts (they
 * are one after the other, NUL-ended), not strlen's.
 */
static void
row(FILE *fp, const char *path, const struct line *l)
{
	char m[MONEY_BUFSZ], d[DATE_BUFSZ], buf[256], *p = buf;
	size_t ni = (size_t)(l->lineno - l->invoice) - 1, nl = (size_t)(l->actdate - l->lineno) - 1;
	size_t na = (size_t)(l->amc + l->nall - l->actdate) - 1, nm, nd;

	nm = money_fmt(l->amt, m);
	nd = decided_fmt(l->decided, d);
	if (ni + nl + na + 60 > sizeof buf) {
		put(fp, path, "%-12s %-8s %-10s %-10s %12s\n", l->invoice, l->lineno, l->actdate, d, m);
		return;
	}
	p = pad(p, l->invoice, ni, 12, 1);
	*p++ = ' ';
	p = pad(p, l->lineno, nl, 8, 1);
	*p++ = ' ';
	p = pad(p, l->actdate, na, 10, 1);
	*p++ = ' ';
	p = pad(p, d, nd, 10, 1);
	*p++ = ' ';
	p = pad(p, m, nm, 12, 0);
	*p++ = '\n';
	if (fwrite(buf, 1, (size_t)(p - buf), fp) != (size_t)(p - buf))
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

static void
page(FILE *fp, const char *path, const char *date, const struct payee *py, int first)
{
	char m[MONEY_BUFSZ];
	size_t i;

	put(fp, path, "%sRELEVE DE PAIEMENT TIERS PAYANT du %s\n\n", first ? "" : "\f", date);
	put(fp, path, "Professionnel de sante : %s %s%s%s\n", py->kind, py->num,
	    py->reg != NULL ? " - " : "", py->reg != NULL ? py->reg->name : "");
	put(fp, path, "Pour le compte de l'organisme complementaire : %s\n\n", py->amc);
	put(fp, path, "%-12s %-8s %-10s %-10s %12s\n", "Facture", "Ligne", "Date acte",
	    "Decide le", "Montant");
	for (i = 0; i < py->nlines; i++)
		row(fp, path, py->lines[i]);
	money_fmt(py->gross, m);
	put(fp, path, "%-44s %12s\n", "Total des lignes", m);
	for (i = 0; i < py->noffs; i++) {
		char lab[64];

		money_fmt(-py->offs[i].amt, m);
		snprintf(lab, sizeof lab, "Indus retenu %s", py->offs[i].it->id);
		put(fp, path, "%-44.44s %12s\n", lab, m);
	}
	switch (py->status) {
	case S_PAID:
		money_fmt(py->net, m);
		put(fp, path, "%-44s %12s\n\nVirement SEPA reference %s\n", "Montant vire", m, py->ref);
		break;
	case S_OFFSET:
		put(fp, path, "%-44s %12s\n\nAucun virement : tout est retenu au titre des indus.\n",
		    "Montant vire", "0.00");
		break;
	default:
		put(fp, path, "\nPaiement en attente (%s) : coordonnees bancaires ou compte a regulariser.\n",
		    reasons[py->reason]);
		break;
	}
}

/* One PS's statement for one client, a text file of its own (-R). */
void
remit_page(int fd, const char *path, const char *date, const struct payee *py)
{
	FILE *fp;

	if ((fp = fdopen(dup(fd), "w")) == NULL)
		die(EX_OSERR, "%s: %s", path, strerror(errno));
	page(fp, path, date, py, 1);
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

void
remit_write(int fd, const char *path, int tfd, const char *tpath, const char *date,
    struct payee *const *pys, size_t npy)
{
	struct ts_writer w;
	char meta[64];
	FILE *fp = NULL;
	size_t i, j;

	if (fd >= 0) {
		ts_wopen(&w, fd, path, "remittance", 1, rcols, (int)(sizeof rcols / sizeof rcols[0]));
		snprintf(meta, sizeof meta, "business_date\t%s", date);
		ts_wmeta(&w, meta);
	}
	if (tfd >= 0 && (fp = fdopen(dup(tfd), "w")) == NULL)
		die(EX_OSERR, "%s: %s", tpath, strerror(errno));
	for (i = 0; i < npy; i++) {
		const struct payee *py = pys[i];

		if (fp != NULL)
			page(fp, tpath, date, py, i == 0);
		if (fd < 0)
			continue;
		for (j = 0; j < py->nlines; j++) {
			const struct line *l = py->lines[j];

			lrow(&w, py, l);
		}
		for (j = 0; j < py->noffs; j++) {
			const struct item *it = py->offs[j].it;

			head(&w, py, "offset");
			ts_wcstr(&w, it->line);
			ts_wcstr(&w, it->invoice);
			ts_wcstr(&w, it->lineno);
			ts_wcstr(&w, it->actdate);
			ts_wcstr(&w, "");
			ts_wcstr(&w, it->id);
			tail(&w, py, -py->offs[j].amt);
		}
		head(&w, py, "transfer");
		for (j = 0; j < 6; j++)
			ts_wcstr(&w, "");
		tail(&w, py, py->net);
	}
	if (fd >= 0)
		ts_wclose(&w);
	if (fp != NULL && (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0))
		die(EX_IOERR, "%s: %s", tpath, strerror(errno));
}
