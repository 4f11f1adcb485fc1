/*
 * dedup -A: the a posteriori control (general conditions 3.1.8 b).  A
 * client's CSV files of prestations it paid to beneficiaries itself,
 * each row's key looked up in the history: paid twice (by the client
 * and by us), or not paid by us.  The report is published only if every
 * file is whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "dedup.h"

/* The client's CSV of prestations it paid to beneficiaries itself. */
static const char *const pcols[] = {
	"client_ref", "ps_kind", "ps_number", "invoice", "nir", "benef_nir",
	"birth_date", "rang", "act_code", "fr_eur", "act_date",
	"invoice_total_eur", "invoice_date", "paid_eur", "paid_date"
};
#define NPC (sizeof pcols / sizeof pcols[0])
/* pcols index of each key field, in keycols order. */
static const int pkey[NKC] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
/* The key's fields gathered in keycols order: normkey finds field k at k. */
static const int ident[NKC] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

struct pctl {
	const char *path;
	long row;
	size_t col;
	char f[NPC][128];
	size_t n[NPC];
	int toolong;
	char err[256];
	struct ts_writer *w;
	uint64_t found, rows;
};

static void
pfield(void *s, size_t n, void *data)
{
	struct pctl *c = data;

	if (c->col < NPC) {
		if (n >= sizeof c->f[0])
			c->toolong = 1;
		else {
			memcpy(c->f[c->col], s, n);
			c->f[c->col][n] = '\0';
			c->n[c->col] = n;
		}
	}
	c->col++;
}

static void
prow(int term, void *data)
{
	struct pctl *c = data;
	struct field v[NKC];
	int64_t cents, paid;
	char key[2048], ref[32], d[DATE_BUFSZ];
	struct key k;
	struct herr he;
	uint64_t hi, lo;
	size_t i, n;
	int e, l;

	(void)term;
	c->row++;
	if (c->err[0])
		return;
	if (c->col != NPC) {
		snprintf(c->err, sizeof c->err, "%ld: -: %zu fields, not %zu", c->row, c->col, NPC);
		return;
	}
	c->col = 0;
	if (c->row == 1) {
		for (i = 0; i < NPC; i++)
			if (strcmp(c->f[i], pcols[i]) != 0) {
				snprintf(c->err, sizeof c->err, "1: header: expected %s", pcols[i]);
				return;
			}
		return;
	}
	if (c->toolong) {
		snprintf(c->err, sizeof c->err, "%ld: -: a field longer than 127 bytes", c->row);
		return;
	}
	for (i = 0; i < NPC; i++)
		if (memchr(c->f[i], '\t', c->n[i]) || memchr(c->f[i], '\n', c->n[i]) ||
		    memchr(c->f[i], '\r', c->n[i])) {
			snprintf(c->err, sizeof c->err, "%ld: %s: TAB or line break", c->row, pcols[i]);
			return;
		}
	for (i = 0; i < NKC; i++) {
		v[i].p = c->f[pkey[i]];
		v[i].n = c->n[pkey[i]];
		/* An amount of the key canonical: normkey takes its text. */
		if (i == K_FR || i == K_TOTAL) {
			if ((e = money_parse(v[i].p, v[i].n, &cents)) != M_OK) {
				snprintf(c->err, sizeof c->err, "%ld: %s: %s", c->row,
				    pcols[pkey[i]], money_strerror(e));
				return;
			}
		}
	}
	if ((e = money_parse(c->f[13], c->n[13], &paid)) != M_OK) {
		snprintf(c->err, sizeof c->err, "%ld: paid_eur: %s", c->row, money_strerror(e));
		return;
	}
	if (v[K_PSNUM].n == 0 || v[K_INVOICE].n == 0 || v[K_ACT].n == 0 ||
	    v[K_ACTDATE].n == 0 || (v[K_NIR].n == 0 && v[K_BNIR].n == 0)) {
		snprintf(c->err, sizeof c->err, "%ld: key: a key field is empty", c->row);
		return;
	}
	if ((n = normkey(v, ident, key, sizeof key)) == 0) {
		snprintf(c->err, sizeof c->err, "%ld: key: too long", c->row);
		return;
	}
	hash128(key, n, &hi, &lo);
	c->rows++;
	ts_wcstr(c->w, c->path);
	ts_wint(c->w, c->row);
	ts_wcstr(c->w, c->f[0]);
	if ((l = lookup(&hist, hi, lo, &k, NULL, &he)) < 0)
		hfatal(&he);
	if (l) {
		date_fmt(k.day, d);
		snprintf(ref, sizeof ref, "%s#%" PRIu32, d, k.rec);
		ts_wcstr(c->w, "paid-twice");
		ts_wcstr(c->w, ref);
		c->found++;
	} else {
		ts_wcstr(c->w, "not-paid-by-us");
		ts_wcstr(c->w, "");
	}
	ts_wmoney(c->w, paid);
	ts_wend(c->w);
}

/* Control each file; the report is published only if all are whole. */
int
control(int argc, char **argv, const char *output)
{
	static const char *const rcols[] = {
		"file", "line", "client_ref", "verdict", "operator_ref", "paid_eur"
	};
	static struct pctl c;
	struct csv_parser p;
	struct ts_writer w;
	struct pub pb;
	char buf[1 << 16];
	const char *why;
	struct zin *z;
	int i, fd, n;

	if (pub_open(&pb, output) < 0)
		die(EX_CANTCREAT, "%s: %s", output, strerror(errno));
	ts_wopen(&w, pb.fd, output, "dedup-control", 1, rcols, 6);
	for (i = 0; i < argc; i++) {
		memset(&c, 0, sizeof c);
		c.path = argv[i];
		c.w = &w;
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0)
			die(EX_NOINPUT, "%s: %s", argv[i], strerror(errno));
		z = zin_open(fd);
		if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
			die(EX_SOFTWARE, "csv_init");
		while (!c.err[0] && (n = zin_read(z, buf, sizeof buf, &why)) > 0)
			if (csv_parse(&p, buf, (size_t)n, pfield, prow, &c) != (size_t)n &&
			    !c.err[0])
				snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
				    csv_strerror(csv_error(&p)));
		if (!c.err[0] && n < 0)
			snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1, why);
		if (!c.err[0] && csv_fini(&p, pfield, prow, &c) != 0 && !c.err[0])
			snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
			    csv_strerror(csv_error(&p)));
		csv_free(&p);
		zin_close(z);
		if (!c.err[0] && c.row == 0)
			snprintf(c.err, sizeof c.err, "1: header: empty file");
		if (c.err[0]) {
			fprintf(stderr, "%s: %s:%s\n", progname_(), argv[i], c.err);
			exit(EX_DATAERR);
		}
		fprintf(stderr, "%s: %s: %llu prestations, %llu also paid by us\n",
		    progname_(), argv[i], (unsigned long long)c.rows,
		    (unsigned long long)c.found);
	}
	ts_wclose(&w);
	if (pub_commit(&pb) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	return EX_OK;
}

