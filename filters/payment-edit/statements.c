/*
 * The remittance statements (relevés de paiement, tiers-remittance(5)):
 * for each PS and client of the day, the lines paid or held, the indus
 * offset against them, and the transfer with its reference; as a sealed
 * stream and as printable text, a page per PS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
 * What a PS's rows of lines share: amc, ps_kind, ps_number and "line"
 * before the line's fields, status, reason and payment_ref after them,
 * TAB-separated, made once a PS (remit_write()).
 */
struct lfix {
	char *head, tail[80];
	size_t nhead, ntail, cap;
};

static void
lfix(struct lfix *x, const struct payee *py)
{
	const struct line *l = py->lines[0];
	size_t n = l->namc + 1 + (size_t)(l->invoice - l->kind) + 5;
	char *p;

	if (n > x->cap)
		x->head = xrealloc(x->head, x->cap = 2 * n);
	/* amc (to its NUL), kind and num (to num's), the row. */
	p = line_tabs(x->head, l->amc, l->amc + l->namc + 1);
	p = line_tabs(p, l->kind, l->invoice);
	memcpy(p, "line\t", 5);
	x->nhead = (size_t)(p + 5 - x->head);
	p = stpcpy(x->tail, statuses[py->status]);
	*p++ = '\t';
	p = stpcpy(p, reasons[py->reason]);
	*p++ = '\t';
	p = stpcpy(p, py->ref);
	x->ntail = (size_t)(p - x->tail);
}

/*
 * A line's row: amc, ps_kind, ps_number, "line", then line, invoice,
 * line_no, act_date, decided, an empty item, and the tail; put whole,
 * the line's fields as they were read (line_tabs()), the amount in the
 * record's sum (its text, money_fmt()'s, as ts_wmoney() would write it).
 */
static void
lrow(struct ts_writer *w, const struct payee *py, const struct lfix *x, const struct line *l)
{
	char buf[1024 + 160], *p = buf, d[DATE_BUFSZ];

	if (l->nall + 160 > sizeof buf) {
		head(w, py, "line");
		ts_wcstr(w, l->key);
		ts_wcstr(w, l->invoice);
		ts_wcstr(w, l->lineno);
		ts_wcstr(w, l->actdate);
		decided_at(l->decided, d);
		ts_wcstr(w, d);
		ts_wcstr(w, "");
		tail(w, py, l->amt);
		return;
	}
	/* The PS's head, the key, invoice to act_date, decided, no item. */
	memcpy(p, x->head, x->nhead);
	p += x->nhead;
	p = line_tabs(p, l->key, l->key + l->nkey + 1);
	p = line_tabs(p, l->invoice, l->amc + l->nall);
	p += decided_at(l->decided, p);
	*p++ = '\t';
	*p++ = '\t';
	if (l->neur <= 16)
		few_cpy(p, l->amc + l->nall, (size_t)l->neur);
	else
		memcpy(p, l->amc + l->nall, (size_t)l->neur);
	p += l->neur;
	*p++ = '\t';
	memcpy(p, x->tail, x->ntail);
	p += x->ntail;
	ts_wfields(w, buf, (size_t)(p - buf), (int)(sizeof rcols / sizeof rcols[0]), l->amt);
	ts_wend(w);
}

/*
 * A PS's transfer row: amc, ps_kind, ps_number, "transfer", six empty
 * fields, the net amount and the tail; put whole from what its rows of
 * lines share (x, made for this PS; NULL if it has none), the amount in
 * the record's sum.
 * Fourteen fields put one by one, each looked at again for bytes a
 * stream may not hold, were 28 M instructions of 2026-01-19 of the
 * generated world, a row a PS; the fields are the lines' as they were
 * read and the writer's own words, as in lrow().
 */
static void
trow(struct ts_writer *w, const struct payee *py, const struct lfix *x)
{
	char buf[320], *p = buf;

	if (x == NULL || x->nhead + 16 + MONEY_BUFSZ + x->ntail > sizeof buf) {
		int j;

		head(w, py, "transfer");
		for (j = 0; j < 6; j++)
			ts_wcstr(w, "");
		tail(w, py, py->net);
		return;
	}
	/* The head, its "line" made "transfer". */
	memcpy(p, x->head, x->nhead - 5);
	p += x->nhead - 5;
	memcpy(p, "transfer\t\t\t\t\t\t\t", 15);
	p += 15;
	p += money_fmt(py->net, p);
	*p++ = '\t';
	memcpy(p, x->tail, x->ntail);
	p += x->ntail;
	ts_wfields(w, buf, (size_t)(p - buf), (int)(sizeof rcols / sizeof rcols[0]), py->net);
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

/*
 * s, of n bytes, in w columns at p, as printf's %-ws (left) or %ws: past
 * it.  Out of line: pad16's path for the long fields.
 */
static __attribute__((noinline)) char *
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
 * pad() for the fields of a row, without a call: 16 spaces put, then
 * the field over them (few_cpy).  Up to 16 bytes from p are written
 * whatever the width: the rows' room has 16 bytes more (ROWPAD).  The
 * memset and memcpy calls of pad() were 35 M instructions of
 * 2026-01-19 of the generated world, five a row.
 */
#define ROWPAD 16

static inline __attribute__((always_inline)) char *
pad16(char *p, const char *s, size_t n, size_t w, int left)
{
	if (n > 16 || w > 16)
		return pad(p, s, n, w, left);
	memcpy(p, "                ", 16);
	if (left || n >= w) {
		few_cpy(p, s, n);
		return p + (n > w ? n : w);
	}
	few_cpy(p + w - n, s, n);
	return p + w;
}

/*
 * A line's row, "%-12s %-8s %-10s %-10s %12s\n", put at p without
 * vfprintf: it was a tenth of the run, a row a line paid or held.  The
 * lengths of invoice, line_no and act_date are where the next field
 * starts (they are one after the other, NUL-ended), not strlen's.
 * Past it; or NULL, nothing put, if it may take more than ROWMAX bytes.
 */
#define ROWMAX 256

static char *
row(char *p, const struct line *l)
{
	char d[DATE_BUFSZ];
	const char *m = l->amc + l->nall;	/* the amount's text */
	size_t ni = (size_t)(l->lineno - l->invoice) - 1, nl = (size_t)(l->actdate - l->lineno) - 1;
	size_t na = (size_t)(l->amc + l->nall - l->actdate) - 1, nm = (size_t)l->neur, nd;

	if (ni + nl + na + 60 > ROWMAX)
		return NULL;
	nd = decided_at(l->decided, d);
	p = pad16(p, l->invoice, ni, 12, 1);
	*p++ = ' ';
	p = pad16(p, l->lineno, nl, 8, 1);
	*p++ = ' ';
	p = pad16(p, l->actdate, na, 10, 1);
	*p++ = ' ';
	p = pad16(p, d, nd, 10, 1);
	*p++ = ' ';
	p = pad16(p, m, nm, 12, 0);
	*p++ = '\n';
	return p;
}

/* A page, made in memory and written at once. */
struct pg {
	char *buf, *p;
	size_t cap;
};

/* Room for n bytes more at pg->p. */
static void
room(struct pg *pg, size_t n)
{
	size_t used = (size_t)(pg->p - pg->buf);

	if (used + n > pg->cap) {
		pg->cap = 2 * (used + n);
		pg->buf = xrealloc(pg->buf, pg->cap);
		pg->p = pg->buf + used;
	}
}

/* Strings up to a NULL, one after the other. */
static void
app(struct pg *pg, ...)
{
	va_list ap;
	const char *s;
	size_t n;

	va_start(ap, pg);
	while ((s = va_arg(ap, const char *)) != NULL) {
		n = strlen(s);
		room(pg, n);
		memcpy(pg->p, s, n);
		pg->p += n;
	}
	va_end(ap);
}

/* A total's row, "%-44s %12s\n" (label short, m an amount). */
static void
total(struct pg *pg, const char *label, const char *m)
{
	room(pg, 44 + 1 + MONEY_BUFSZ + 12 + 1);
	pg->p = pad(pg->p, label, strlen(label), 44, 1);
	*pg->p++ = ' ';
	pg->p = pad(pg->p, m, strlen(m), 12, 0);
	*pg->p++ = '\n';
}

/*
 * A page, made in memory (app, total, row) and written at once: with
 * vfprintf its six lines of head and totals were 120 M instructions of
 * a day of 15 000 pages (2026-01-19 of the generated world), and a
 * fwrite a row 43 M more.
 */
static void
page(FILE *fp, const char *path, const char *date, const struct payee *py, int first)
{
	static struct pg pg;
	static char cols[80];
	char m[MONEY_BUFSZ], d[DATE_BUFSZ], *q;
	size_t i;

	if (cols[0] == '\0')
		snprintf(cols, sizeof cols, "%-12s %-8s %-10s %-10s %12s\n", "Facture", "Ligne",
		    "Date acte", "Decide le", "Montant");
	if (pg.buf == NULL)
		pg.buf = xmalloc(pg.cap = 1 << 16);
	pg.p = pg.buf;
	app(&pg, first ? "" : "\f", "RELEVE DE PAIEMENT TIERS PAYANT du ", date, "\n\n",
	    "Professionnel de sante : ", py->kind, " ", py->num, py->reg != NULL ? " - " : "",
	    py->reg != NULL ? py->reg->name : "", "\n",
	    "Pour le compte de l'organisme complementaire : ", py->amc, "\n\n", cols,
	    (const char *)NULL);
	room(&pg, py->nlines * ROWMAX + ROWPAD);
	for (i = 0; i < py->nlines; i++) {
		const struct line *l = py->lines[i];

		if ((q = row(pg.p, l)) != NULL) {
			pg.p = q;
			continue;
		}
		/* Fields too long for a row's room: by vfprintf, after the rest. */
		if (fwrite(pg.buf, 1, (size_t)(pg.p - pg.buf), fp) != (size_t)(pg.p - pg.buf))
			die(EX_IOERR, "%s: %s", path, strerror(errno));
		pg.p = pg.buf;
		decided_at(l->decided, d);
		put(fp, path, "%-12s %-8s %-10s %-10s %12s\n", l->invoice, l->lineno, l->actdate, d,
		    l->amc + l->nall);
		room(&pg, (py->nlines - i) * ROWMAX + ROWPAD);
	}
	money_fmt(py->gross, m);
	total(&pg, "Total des lignes", m);
	for (i = 0; i < py->noffs; i++) {
		char lab[64], buf[128];

		money_fmt(-py->offs[i].amt, m);
		snprintf(lab, sizeof lab, "Indus retenu %s", py->offs[i].it->id);
		snprintf(buf, sizeof buf, "%-44.44s %12s\n", lab, m);
		app(&pg, buf, (const char *)NULL);
	}
	switch (py->status) {
	case S_PAID:
		money_fmt(py->net, m);
		total(&pg, "Montant vire", m);
		app(&pg, "\nVirement SEPA reference ", py->ref, "\n", (const char *)NULL);
		break;
	case S_OFFSET:
		total(&pg, "Montant vire", "0.00");
		app(&pg, "\nAucun virement : tout est retenu au titre des indus.\n", (const char *)NULL);
		break;
	default:
		app(&pg, "\nPaiement en attente (", reasons[py->reason],
		    ") : coordonnees bancaires ou compte a regulariser.\n", (const char *)NULL);
		break;
	}
	if (fwrite(pg.buf, 1, (size_t)(pg.p - pg.buf), fp) != (size_t)(pg.p - pg.buf))
		die(EX_IOERR, "%s: %s", path, strerror(errno));
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
	struct lfix x;
	char meta[64];
	FILE *fp = NULL;
	size_t i, j;

	memset(&x, 0, sizeof x);

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
		if (py->nlines > 0)
			lfix(&x, py);
		for (j = 0; j < py->nlines; j++)
			lrow(&w, py, &x, py->lines[j]);
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
		trow(&w, py, py->nlines > 0 ? &x : NULL);
	}
	free(x.head);
	if (fd >= 0)
		ts_wclose(&w);
	if (fp != NULL && (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0))
		die(EX_IOERR, "%s: %s", tpath, strerror(errno));
}
