/*
 * The project's CSV reader (tiers-benef(5)): a client's file, one row
 * per product of a beneficiary, each field within its column's syntax,
 * the rows of one beneficiary gathered into its entry.  Plain or gzip,
 * through zlib; libcsv reads the quoting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "tiers.h"
#include "benef.h"

/* The CSV input's columns (tiers-benef(5)): an entry's, by product row. */
enum {
	C_CLIENT, C_FILENO, C_CONTRACT, C_STATE, C_ADHERENT, C_MEMBER, C_TYPE,
	C_NIR, C_NIRKEY, C_BNIR, C_BNIRKEY, C_BIRTH, C_RANG, C_REGIME,
	C_CAISSE, C_CENTRE, C_RESP, C_PORDER, C_PREF, C_PSTART, C_PEND,
	C_TPSTART, C_TPEND, C_ACTIVATION, C_SUSPSTART, C_SUSPEND,
	C_SUSPREASON, C_CARD, C_DOMAINS, C_ADDR1, NC0 = C_ADDR1 + 7,
	/* The card and account columns: all of them or none (tiers-benef(5)). */
	C_CARDNUM = NC0, C_CARDSTART, C_CARDEND, C_CARDBG, C_CARDANNEX,
	C_RIBHOLDER, C_IBAN, C_BIC, C_COMP, NC
};

/* A field copied into an entry, cut to FLD - 1 bytes as snprintf would. */
static void
fldcpy(char *dst, const char *src)
{
	size_t n = strnlen(src, FLD - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *const ccols[NC] = {
	"client", "file_number", "contract", "contract_state", "adherent",
	"member_ref", "benef_type", "nir", "nir_key", "benef_nir",
	"benef_nir_key", "birth_date", "rang", "regime", "caisse", "centre",
	"responsable", "product_order", "product_ref", "product_start",
	"product_end", "tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "suspension_reason", "card_movement", "domains",
	"address_1", "address_2", "address_3", "address_4", "address_5",
	"address_6", "address_7", "card_number", "card_start", "card_end",
	"card_background", "card_annex", "rib_holder", "rib_iban", "rib_bic",
	"compensation"
};

/*
 * The syntax of each CSV column (tiers-benef(5)): a field outside it
 * refuses the file.  Inside it, a value may still break a rule (a NIR's
 * key, a date that does not exist, an unknown code): that rejects the
 * beneficiary with its code.  Every field is UTF-8 without control
 * characters first.
 */
enum { X_DIGIT, X_ALNUM, X_UPPER, X_DATE, X_ID, X_REF, X_TEXT, X_DOMS };
static const struct syntax {
	int kind;
	int lo, hi;		/* length; lo 0: may be empty */
	int opt;		/* empty, or lo to hi */
	const char *what;	/* for the message: "not ..." */
} csyn[NC] = {
	[C_CLIENT] = { X_DIGIT, 1, 10, 0, "1 to 10 digits" },
	[C_FILENO] = { X_DIGIT, 1, 9, 0, "1 to 9 digits" },
	[C_CONTRACT] = { X_ID, 0, FLD - 1, 0, "printable ASCII without spaces" },
	[C_STATE] = { X_UPPER, 0, 2, 0, "2 capital letters" },
	[C_ADHERENT] = { X_ID, 0, FLD - 1, 0, "printable ASCII without spaces" },
	[C_MEMBER] = { X_ID, 0, FLD - 1, 0, "printable ASCII without spaces" },
	[C_TYPE] = { X_UPPER, 0, 2, 0, "2 capital letters" },
	[C_NIR] = { X_ALNUM, 13, 13, 1, "13 capital letters or digits" },
	[C_NIRKEY] = { X_DIGIT, 0, 2, 0, "2 digits" },
	[C_BNIR] = { X_ALNUM, 13, 13, 1, "13 capital letters or digits" },
	[C_BNIRKEY] = { X_DIGIT, 0, 2, 0, "2 digits" },
	[C_BIRTH] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_RANG] = { X_DIGIT, 0, 2, 0, "1 or 2 digits" },
	[C_REGIME] = { X_DIGIT, 2, 2, 1, "2 digits" },
	[C_CAISSE] = { X_DIGIT, 3, 3, 1, "3 digits" },
	[C_CENTRE] = { X_DIGIT, 4, 4, 1, "4 digits" },
	[C_RESP] = { X_DIGIT, 0, 1, 0, "one digit" },
	[C_PORDER] = { X_DIGIT, 0, 4, 0, "1 to 4 digits" },
	[C_PREF] = { X_REF, 0, FLD - 1, 0, "printable ASCII without spaces, commas or colons" },
	[C_PSTART] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_PEND] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_TPSTART] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_TPEND] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_ACTIVATION] = { X_UPPER, 0, 2, 0, "2 capital letters" },
	[C_SUSPSTART] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_SUSPEND] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_SUSPREASON] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_CARD] = { X_UPPER, 0, 2, 0, "2 capital letters" },
	[C_DOMAINS] = { X_DOMS, 0, FLD - 1, 0,
	    "DOMAIN:RATE:BASE items separated by ;" },
	[C_ADDR1] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 1] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 2] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 3] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 4] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 5] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_ADDR1 + 6] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_CARDNUM] = { X_ID, 0, 30, 0, "1 to 30 printable ASCII characters without spaces" },
	[C_CARDSTART] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_CARDEND] = { X_DATE, 0, 10, 0, "a date (digits and - / .)" },
	[C_CARDBG] = { X_ID, 0, 30, 0, "1 to 30 printable ASCII characters without spaces" },
	[C_CARDANNEX] = { X_ID, 0, 61, 0, "one or two codes separated by ;" },
	[C_RIBHOLDER] = { X_TEXT, 0, FLD - 1, 0, "text" },
	[C_IBAN] = { X_ALNUM, 15, 34, 1, "15 to 34 capital letters or digits" },
	[C_BIC] = { X_ALNUM, 8, 11, 1, "8 to 11 capital letters or digits" },
	[C_COMP] = { X_DIGIT, 0, 1, 0, "0, 1 or empty" }
};

/* Is ch one of the characters of a field of this kind? */
static int
synchar(int kind, unsigned char ch)
{
	int digit = ch >= '0' && ch <= '9', upper = ch >= 'A' && ch <= 'Z';

	switch (kind) {
	case X_DIGIT:
		return digit;
	case X_ALNUM:
		return digit || upper;
	case X_UPPER:
		return upper;
	case X_DATE:
		return digit || ch == '-' || ch == '/' || ch == '.';
	case X_REF:
		if (ch == ',' || ch == ':')
			return 0;
		/* FALLTHROUGH */
	case X_ID:
		return ch > 0x20 && ch < 0x7f;
	}
	return 1;
}

/* n characters from p of this kind, n within [lo, hi]; the end. */
static const char *
span(const char *p, int kind, int lo, int hi)
{
	int n = 0;

	while (n < hi && synchar(kind, (unsigned char)p[n]))
		n++;
	return n < lo ? NULL : p + n;
}

/*
 * "PHAR:100:PC;OPTI:100:BR": items of a domain (2 to 4 capital letters
 * or digits), a rate (1 to 4 digits) and a base (2 to 4 capital
 * letters), separated by ";".  0 when it is so.
 */
static int
domsyntax(const char *p)
{
	if (*p == '\0')
		return 0;
	for (;;) {
		if ((p = span(p, X_ALNUM, 2, 4)) == NULL || *p++ != ':' ||
		    (p = span(p, X_DIGIT, 1, 4)) == NULL || *p++ != ':' ||
		    (p = span(p, X_UPPER, 2, 4)) == NULL)
			return -1;
		if (*p == '\0')
			return 0;
		if (*p++ != ';')
			return -1;
	}
}

/* A field within its column's syntax: NULL, or why not, in buf. */
static const char *
syntax(int col, const char *v, char *buf, size_t bufsz)
{
	const struct syntax *x = &csyn[col];
	size_t n = strlen(v), i;

	if (n == 0 && (x->lo == 0 || x->opt))
		return NULL;
	if (n == 0)
		return "missing";
	for (i = 0; i < n; i++)
		if (!synchar(x->kind, (unsigned char)v[i]))
			break;
	if (x->kind == X_DOMS ? domsyntax(v) < 0 :
	    i < n || n < (size_t)x->lo || n > (size_t)x->hi) {
		snprintf(buf, bufsz, "not %s", x->what);
		return buf;
	}
	return NULL;
}


/* ---------- the project's CSV ---------- */

struct cfile {
	const char *path;
	const struct bi_sink *sink;
	long row;
	int col;
	char f[NC][FLD];
	int toolong;
	char err[256];
	int hdr;
	int nc;			/* the file's columns: NC0, or NC with the card's */
	/* the beneficiary being gathered */
	struct entry e;
	int have;
	char key[3 * FLD];
};

static void
csv_flush(struct cfile *c)
{
	if (c->have == 1)
		c->sink->entry(&c->e, c->sink->arg);
	c->have = 0;
}

static void
csv_field(void *s, size_t n, void *data)
{
	struct cfile *c = data;

	if (c->col < NC) {
		const char *why;

		/* A NUL byte, a line break: the file is broken, not the field. */
		if (!c->err[0] && (why = text_bad(s, n)) != NULL)
			snprintf(c->err, sizeof c->err, "%ld: %s: %s",
			    c->row + 1, ccols[c->col], why);
		if (n >= FLD && !c->toolong)
			c->toolong = c->col + 1;
		bi_setf(c->f[c->col], s, n);
	}
	c->col++;
}

static void
csv_row(int term, void *data)
{
	struct cfile *c = data;
	struct prod *p;
	char key[3 * FLD];
	int i;

	(void)term;
	c->row++;
	if (c->err[0])
		return;
	if (!c->hdr)
		c->nc = c->col == NC ? NC : NC0;
	if (c->col != c->nc) {
		snprintf(c->err, sizeof c->err, "%ld: -: %d fields, not %d", c->row, c->col, c->nc);
		return;
	}
	c->col = 0;
	if (!c->hdr) {
		for (i = 0; i < c->nc; i++)
			if (strcmp(c->f[i], ccols[i]) != 0) {
				snprintf(c->err, sizeof c->err, "1: %s: header: expected %s",
				    c->f[i][0] ? "column" : "-", ccols[i]);
				return;
			}
		c->hdr = 1;
		return;
	}
	if (c->toolong) {
		snprintf(c->err, sizeof c->err, "%ld: %s: longer than %d bytes",
		    c->row, ccols[c->toolong - 1], FLD - 1);
		return;
	}
	for (i = 0; i < c->nc; i++) {
		char why[96];
		const char *w;

		if ((w = syntax(i, c->f[i], why, sizeof why)) != NULL) {
			snprintf(c->err, sizeof c->err, "%ld: %s: %s", c->row,
			    ccols[i], w);
			return;
		}
	}
	/* client TAB contract TAB member: each under FLD bytes, key holds them. */
	{
		char *k = key;

		for (i = 0; i < 3; i++) {
			const char *f = c->f[i == 0 ? C_CLIENT : i == 1 ? C_CONTRACT : C_MEMBER];
			size_t n = strlen(f);

			memcpy(k, f, n);
			k += n;
			*k++ = i < 2 ? '\t' : '\0';
		}
	}
	if (c->have && strcmp(key, c->key) == 0) {
		/* Another product row of the same beneficiary. */
		static const int same[] = {
			C_STATE, C_ADHERENT, C_TYPE, C_NIR, C_NIRKEY, C_BNIR,
			C_BNIRKEY, C_BIRTH, C_RANG, C_TPSTART, C_TPEND, C_CARD,
			C_CARDNUM, C_CARDSTART, C_CARDEND, C_CARDBG, C_CARDANNEX,
			C_RIBHOLDER, C_IBAN, C_BIC, C_COMP
		};
		static const int mcol[] = {
			M_STATE, M_ADHERENT, M_TYPE, M_NIR, M_NIRKEY, M_BNIR,
			M_BNIRKEY, M_BIRTH, M_RANG, M_TPSTART, M_TPEND, M_CARD,
			M_CARDNUM, M_CARDSTART, M_CARDEND, M_CARDBG, M_CARDANNEX,
			M_RIBHOLDER, M_IBAN, M_BIC, M_COMP
		};

		for (i = 0; i < (int)(sizeof same / sizeof same[0]) &&
		    (same[i] < NC0 || c->nc == NC); i++)
			if (strcmp(c->f[same[i]], c->e.f[mcol[i]]) != 0) {
				if (c->have == 1) {
					c->sink->reject(&c->e, R_DISAGREE, ccols[same[i]], c->sink->arg);
					c->have = 2;	/* rejected: swallow its rows */
				}
				return;
			}
		if (c->have == 2)
			return;
	} else {
		csv_flush(c);
		memset(&c->e, 0, sizeof c->e);
		snprintf(c->key, sizeof c->key, "%s", key);
		snprintf(c->e.file, sizeof c->e.file, "%s", bi_base(c->path));
		c->e.line = c->row;
		c->e.fileno = atol(c->f[C_FILENO]);
		fldcpy(c->e.f[M_AMC], c->f[C_CLIENT]);
		fldcpy(c->e.f[M_CONTRACT], c->f[C_CONTRACT]);
		fldcpy(c->e.f[M_MEMBER], c->f[C_MEMBER]);
		fldcpy(c->e.f[M_STATE], c->f[C_STATE]);
		fldcpy(c->e.f[M_ADHERENT], c->f[C_ADHERENT]);
		fldcpy(c->e.f[M_TYPE], c->f[C_TYPE]);
		fldcpy(c->e.f[M_NIR], c->f[C_NIR]);
		fldcpy(c->e.f[M_NIRKEY], c->f[C_NIRKEY]);
		fldcpy(c->e.f[M_BNIR], c->f[C_BNIR]);
		fldcpy(c->e.f[M_BNIRKEY], c->f[C_BNIRKEY]);
		fldcpy(c->e.f[M_BIRTH], c->f[C_BIRTH]);
		fldcpy(c->e.f[M_RANG], c->f[C_RANG]);
		fldcpy(c->e.f[M_REGIME], c->f[C_REGIME]);
		fldcpy(c->e.f[M_CAISSE], c->f[C_CAISSE]);
		fldcpy(c->e.f[M_CENTRE], c->f[C_CENTRE]);
		fldcpy(c->e.f[M_RESP], c->f[C_RESP]);
		fldcpy(c->e.f[M_TPSTART], c->f[C_TPSTART]);
		fldcpy(c->e.f[M_TPEND], c->f[C_TPEND]);
		fldcpy(c->e.f[M_ACTIVATION], c->f[C_ACTIVATION]);
		fldcpy(c->e.f[M_SUSPSTART], c->f[C_SUSPSTART]);
		fldcpy(c->e.f[M_SUSPEND], c->f[C_SUSPEND]);
		fldcpy(c->e.f[M_SUSPREASON], c->f[C_SUSPREASON]);
		fldcpy(c->e.f[M_CARD], c->f[C_CARD]);
		fldcpy(c->e.f[M_DOMAINS], c->f[C_DOMAINS]);
		for (i = 0; i < 7; i++)
			fldcpy(c->e.f[M_ADDR1 + i], c->f[C_ADDR1 + i]);
		if (c->nc == NC) {
			static const int cc[] = {
				C_CARDNUM, C_CARDSTART, C_CARDEND, C_CARDBG, C_CARDANNEX,
				C_RIBHOLDER, C_IBAN, C_BIC, C_COMP
			};
			static const int mc[] = {
				M_CARDNUM, M_CARDSTART, M_CARDEND, M_CARDBG, M_CARDANNEX,
				M_RIBHOLDER, M_IBAN, M_BIC, M_COMP
			};

			for (i = 0; i < (int)(sizeof cc / sizeof cc[0]); i++)
				fldcpy(c->e.f[mc[i]], c->f[cc[i]]);
		}
		c->have = 1;
	}
	if (c->f[C_PREF][0] == '\0' && c->f[C_PORDER][0] == '\0')
		return;
	if (c->e.nprod == MAXPROD) {
		c->sink->reject(&c->e, R_MISSING, "more than 16 products", c->sink->arg);
		c->have = 2;
		return;
	}
	p = &c->e.prod[c->e.nprod++];
	p->order = atoi(c->f[C_PORDER]);
	snprintf(p->ref, sizeof p->ref, "%s", c->f[C_PREF]);
	for (i = 0; p->ref[i]; i++)
		if (p->ref[i] == ',' || p->ref[i] == ':')
			p->ref[i] = '_';
	if (!bi_optdate(c->f[C_PSTART], &p->start, INT32_MIN) ||
	    !bi_optdate(c->f[C_PEND], &p->end, INT32_MAX)) {
		c->sink->reject(&c->e, R_DATE, "product_start or product_end", c->sink->arg);
		c->have = 2;
	}
}

/*
 * The first data row's client and file number, for the file order: read
 * with libcsv, through zlib, as bi_csv_file reads the rest.
 */
struct chead {
	long row;
	int col;
	char f[2][FLD];
	size_t n[2];
};

static void
chead_field(void *s, size_t n, void *data)
{
	struct chead *h = data;

	if (h->row == 1 && h->col < 2) {
		h->n[h->col] = n;
		if (n < FLD) {
			memcpy(h->f[h->col], s, n);
			h->f[h->col][n] = '\0';
		}
	}
	h->col++;
}

static void
chead_row(int term, void *data)
{
	struct chead *h = data;

	(void)term;
	h->row++;
	h->col = 0;
}

int
bi_csv_head(const char *path, char *sender, long *fileno, char *msg, size_t msgsz)
{
	struct csv_parser p;
	struct chead h;
	struct zin *z;
	char buf[8192];
	const char *why;
	int fd, n;

	memset(&h, 0, sizeof h);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(msg, msgsz, "%s:0: -: %s (file refused)", path, strerror(errno));
		return EX_NOINPUT;
	}
	z = zin_open(fd);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		zin_close(z);
		bi_msg(msg, msgsz, path, 0, NULL, "csv_init");
		return EX_SOFTWARE;
	}
	/* A read error here is bi_csv_file's to report, at its line. */
	while (h.row < 2 && (n = zin_read(z, buf, sizeof buf, &why)) > 0)
		if (csv_parse(&p, buf, (size_t)n, chead_field, chead_row, &h) != (size_t)n)
			break;
	if (h.row < 2)
		csv_fini(&p, chead_field, chead_row, &h);
	csv_free(&p);
	zin_close(z);
	/*
	 * A header alone is a client's day without changes: it names no
	 * sender and no file number; bi_csv_file checks the header.
	 */
	if (h.row == 1) {
		sender[0] = '\0';
		*fileno = 0;
		return 1;
	}
	if (h.row < 2) {
		snprintf(msg, msgsz, "%s:1: -: no header row (file refused)", path);
		return EX_DATAERR;
	}
	/* A NUL byte would cut the sender short: not a client either. */
	if (h.n[0] == 0 || h.n[0] >= FLD || strlen(h.f[0]) != h.n[0] ||
	    h.n[1] == 0 || h.n[1] > 9 ||
	    strspn(h.f[1], "0123456789") != h.n[1]) {
		snprintf(msg, msgsz, "%s:2: %s: missing or not a number (file refused)",
		    path, h.n[0] == 0 || h.n[0] >= FLD || strlen(h.f[0]) != h.n[0] ?
		    ccols[0] : ccols[1]);
		return EX_DATAERR;
	}
	memcpy(sender, h.f[0], h.n[0] + 1);
	*fileno = atol(h.f[1]);
	return 0;
}

static int
csv_space(unsigned char ch)
{
	return ch == ' ';
}

int
bi_csv_file(const char *path, const struct bi_sink *sink, char *msg, size_t msgsz)
{
	static struct cfile c;
	struct csv_parser p;
	struct zin *z;
	char buf[1 << 16];
	const char *why;
	int fd, n;

	memset(&c, 0, sizeof c);
	c.path = path;
	c.sink = sink;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		bi_msg(msg, msgsz, path, 0, NULL, "%s", strerror(errno));
		return EX_NOINPUT;
	}
	z = zin_open(fd);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		zin_close(z);
		bi_msg(msg, msgsz, path, 0, NULL, "csv_init");
		return EX_SOFTWARE;
	}
	/* libcsv trims spaces and TABs around a field: a TAB is refused. */
	csv_set_space_func(&p, csv_space);
	while ((n = zin_read(z, buf, sizeof buf, &why)) > 0 && !c.err[0])
		if (csv_parse(&p, buf, (size_t)n, csv_field, csv_row, &c) != (size_t)n) {
			snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
			    csv_strerror(csv_error(&p)));
			break;
		}
	if (!c.err[0] && n < 0)
		snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1, why);
	if (!c.err[0] && csv_fini(&p, csv_field, csv_row, &c) != 0)
		snprintf(c.err, sizeof c.err, "%ld: -: %s", c.row + 1,
		    csv_strerror(csv_error(&p)));
	csv_free(&p);
	zin_close(z);
	if (!c.err[0] && !c.hdr)
		snprintf(c.err, sizeof c.err, "1: -: no header row");
	if (c.err[0]) {
		snprintf(msg, msgsz, "%s:%s (file refused)", path, c.err);
		return EX_DATAERR;
	}
	csv_flush(&c);
	return 0;
}
