/*
 * benef-integrate: a client's beneficiary files of the day (Almerys Norme
 * V3 XML, or the project's CSV) into the next generation of the
 * beneficiary master, with the movements it implies and the entries it
 * rejects.
 *
 * Three passes, memory bounded whatever the sizes:
 *  1. each file, in file-number order, is read as a stream (libxml2's
 *     xmlTextReader, one CONTRAT expanded at a time; libcsv) into entries,
 *     one per beneficiary, checked against the rules that need nothing
 *     else; entries go to a temporary file, rejects to the reject stream;
 *  2. sort(1) orders the entries on the master's key, then file order;
 *  3. a merge of the sorted entries with the previous master (sorted on
 *     the same key) writes the new master and the movements.
 * A structurally broken file refuses the whole run: the previous master
 * is written out unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "tiers.h"

extern const char benef_xsd[];	/* formats/xsd/benef-normev3.xsd, built in */

/* The master's columns; the first three are its key. */
enum {
	M_AMC, M_CONTRACT, M_MEMBER, M_STATE, M_ADHERENT, M_TYPE, M_NIR,
	M_NIRKEY, M_BNIR, M_BNIRKEY, M_BIRTH, M_RANG, M_REGIME, M_CAISSE,
	M_CENTRE, M_RESP, M_PRODUCTS, M_TPSTART, M_TPEND, M_ACTIVATION,
	M_SUSPSTART, M_SUSPEND, M_SUSPREASON, M_CARD, M_DOMAINS, M_ADDR1,
	M_ADDR2, M_ADDR3, M_ADDR4, M_ADDR5, M_ADDR6, M_ADDR7, M_RSTART,
	M_REND, M_KNIR, M_KBIRTH, M_UPDATED, NM
};
static const char *const mcols[NM] = {
	"amc", "contract", "member_ref", "contract_state", "adherent",
	"benef_type", "nir", "nir_key", "benef_nir", "benef_nir_key",
	"birth_date", "rang", "regime", "caisse", "centre", "responsable",
	"products", "tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "suspension_reason", "card_movement", "domains",
	"address_1", "address_2", "address_3", "address_4", "address_5",
	"address_6", "address_7", "rights_start", "rights_end",
	"key_nir_rang", "key_birth_rang_adherent", "updated"
};
#define NKEY 3
#define FLD 128		/* a field's bytes, at most */

/* The CSV input's columns (tiers-benef(5)): an entry's, by product row. */
enum {
	C_CLIENT, C_FILENO, C_CONTRACT, C_STATE, C_ADHERENT, C_MEMBER, C_TYPE,
	C_NIR, C_NIRKEY, C_BNIR, C_BNIRKEY, C_BIRTH, C_RANG, C_REGIME,
	C_CAISSE, C_CENTRE, C_RESP, C_PORDER, C_PREF, C_PSTART, C_PEND,
	C_TPSTART, C_TPEND, C_ACTIVATION, C_SUSPSTART, C_SUSPEND,
	C_SUSPREASON, C_CARD, C_DOMAINS, C_ADDR1, NC = C_ADDR1 + 7
};
static const char *const ccols[NC] = {
	"client", "file_number", "contract", "contract_state", "adherent",
	"member_ref", "benef_type", "nir", "nir_key", "benef_nir",
	"benef_nir_key", "birth_date", "rang", "regime", "caisse", "centre",
	"responsable", "product_order", "product_ref", "product_start",
	"product_end", "tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "suspension_reason", "card_movement", "domains",
	"address_1", "address_2", "address_3", "address_4", "address_5",
	"address_6", "address_7"
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
	[C_ADDR1 + 6] = { X_TEXT, 0, FLD - 1, 0, "text" }
};

/* The care domains a card may name (DESIGN.md, cards). */
static const char *const domnames[] = {
	"PHAR", "MEDG", "MEDS", "LABO", "RADL", "SAGE", "LPPS", "AMI", "AMM",
	"AMY", "AMO", "AMP", "CSTD", "CSTE", "OPTI", "TRAN", "HOSP", "EXTE",
	"AUDI", "DENT", "CURE", NULL
};

/* Codes (tiers-benef(5)); a code not listed is rejected with BI06. */
static const char *const states[] = { "OU", "FE", "FR", "RO", "NA", NULL };
static const char *const types[] = {
	"AS", "CJ", "CD", "CS", "CV", "CO", "EN", "PC", "RA", "BH", "UT",
	"AA", "AE", NULL
};
static const char *const cards[] = {
	"CA", "CC", "CS", "MC", "MS", "RC", "RS", "EE", "NP", "QD", NULL
};
static const char *const activations[] = { "AC", "DE", NULL };

/* Reject codes. */
static const struct {
	const char *code, *label;
} rejects[] = {
	{ "BI01", "NIR malformed or its key wrong" },
	{ "BI02", "dates out of order" },
	{ "BI03", "birth date missing, malformed or after the business date" },
	{ "BI04", "rang de naissance not 1 to 9" },
	{ "BI05", "product periods of the same order overlap" },
	{ "BI06", "unknown code" },
	{ "BI07", "movement for a beneficiary unknown to the master" },
	{ "BI08", "rows of one beneficiary disagree" },
	{ "BI09", "required field missing" },
	{ "BI10", "date malformed" }
};
enum { R_NIR, R_DATES, R_BIRTH, R_RANG, R_OVERLAP, R_CODE, R_UNKNOWN,
	R_DISAGREE, R_MISSING, R_DATE };

#define MAXPROD 16

/* One beneficiary as a file gives it. */
struct entry {
	char f[NM][FLD];
	int nprod;
	struct prod {
		int order;
		char ref[FLD];
		int32_t start, end;	/* INT32_MIN / INT32_MAX: open */
	} prod[MAXPROD];
	char file[FLD];
	long line;
	long fileno;
};

static int32_t bizdate;
static char bizdate_s[DATE_BUFSZ];
static struct ts_writer rejw, mvw, mastw;
static FILE *entries;		/* pass 1 output */
static unsigned long long seq;
static uint64_t nentries, nrejects;

/* ---------- small helpers ---------- */

static const char *
base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static void
setf(char *dst, const char *s, size_t n)
{
	size_t i, k = 0;

	/* Fields of a stream: no TAB, CR, LF or other control characters. */
	for (i = 0; i < n && k < FLD - 1; i++)
		dst[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	/* Trim blanks around. */
	while (k > 0 && dst[k - 1] == ' ')
		k--;
	dst[k] = '\0';
	for (i = 0; dst[i] == ' '; i++)
		;
	if (i > 0)
		memmove(dst, dst + i, k - i + 1);
}

static int
inlist(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* "" is absent (1); else a valid ISO date (1) or not (0). */
static int
optdate(const char *s, int32_t *d, int32_t dflt)
{
	if (*s == '\0') {
		*d = dflt;
		return 1;
	}
	return date_parse(s, strlen(s), d) == 0;
}

static void
reject(const struct entry *e, int code, const char *detail)
{
	char label[192];

	ts_wcstr(&rejw, e->file);
	ts_wint(&rejw, e->line);
	ts_wcstr(&rejw, e->f[M_AMC]);
	ts_wcstr(&rejw, e->f[M_CONTRACT]);
	ts_wcstr(&rejw, e->f[M_MEMBER]);
	ts_wcstr(&rejw, rejects[code].code);
	snprintf(label, sizeof label, "%s%s%s", rejects[code].label,
	    detail ? ": " : "", detail ? detail : "");
	ts_wcstr(&rejw, label);
	ts_wend(&rejw);
	nrejects++;
}

/*
 * The rules an entry keeps by itself; then its derived columns.  Returns
 * 0, or -1 once rejected.
 */
static int
check(struct entry *e)
{
	char buf[64];
	int32_t d1, d2, b;
	int i, j, key;
	size_t n;

	if (!*e->f[M_AMC] || !*e->f[M_CONTRACT] || !*e->f[M_MEMBER]) {
		reject(e, R_MISSING, "client, contract or member reference");
		return -1;
	}
	if (!inlist(e->f[M_STATE], states)) {
		snprintf(buf, sizeof buf, "contract_state %.8s", e->f[M_STATE]);
		reject(e, R_CODE, buf);
		return -1;
	}
	if (!inlist(e->f[M_TYPE], types)) {
		snprintf(buf, sizeof buf, "benef_type %.8s", e->f[M_TYPE]);
		reject(e, R_CODE, buf);
		return -1;
	}
	if (*e->f[M_CARD] && !inlist(e->f[M_CARD], cards)) {
		snprintf(buf, sizeof buf, "card_movement %.8s", e->f[M_CARD]);
		reject(e, R_CODE, buf);
		return -1;
	}
	if (*e->f[M_ACTIVATION] && !inlist(e->f[M_ACTIVATION], activations)) {
		snprintf(buf, sizeof buf, "activation %.8s", e->f[M_ACTIVATION]);
		reject(e, R_CODE, buf);
		return -1;
	}
	if (*e->f[M_RESP] && strcmp(e->f[M_RESP], "0") && strcmp(e->f[M_RESP], "1")) {
		snprintf(buf, sizeof buf, "responsable %.8s", e->f[M_RESP]);
		reject(e, R_CODE, buf);
		return -1;
	}
	/* The domains' names (their syntax is the file's to keep). */
	{
		const char *p = e->f[M_DOMAINS], *q;
		char d[8];

		for (; *p != '\0'; p = *q ? q + 1 : q) {
			q = p + strcspn(p, ";");
			n = strcspn(p, ":");
			snprintf(d, sizeof d, "%.*s", (int)(n < 7 ? n : 7), p);
			if (!inlist(d, domnames)) {
				snprintf(buf, sizeof buf, "domains %s", d);
				reject(e, R_CODE, buf);
				return -1;
			}
		}
	}
	/* NIRs: the insured's, the beneficiary's; a key is computed if absent. */
	for (i = 0; i < 2; i++) {
		char *nir = e->f[i ? M_BNIR : M_NIR], *k = e->f[i ? M_BNIRKEY : M_NIRKEY];

		if (*nir == '\0') {
			if (*k != '\0') {
				reject(e, R_NIR, i ? "benef_nir_key without benef_nir" :
				    "nir_key without nir");
				return -1;
			}
			continue;
		}
		if (strlen(nir) != 13 || nir_key(nir, &key) < 0) {
			reject(e, R_NIR, i ? "benef_nir" : "nir");
			return -1;
		}
		if (*k == '\0')
			snprintf(k, FLD, "%02d", key);
		snprintf(buf, sizeof buf, "%s%s", nir, k);
		if (!nir_valid(buf, strlen(buf))) {
			reject(e, R_NIR, i ? "benef_nir" : "nir");
			return -1;
		}
	}
	if (*e->f[M_BIRTH] == '\0' || date_parse(e->f[M_BIRTH], strlen(e->f[M_BIRTH]), &b) < 0 ||
	    b > bizdate) {
		reject(e, R_BIRTH, NULL);
		return -1;
	}
	n = strlen(e->f[M_RANG]);
	if (n != 1 || e->f[M_RANG][0] < '1' || e->f[M_RANG][0] > '9') {
		reject(e, R_RANG, NULL);
		return -1;
	}
	/* Dates: TP validity, suspension, products. */
	if (!optdate(e->f[M_TPSTART], &d1, INT32_MIN) || !optdate(e->f[M_TPEND], &d2, INT32_MAX)) {
		reject(e, R_DATE, "tp_start or tp_end");
		return -1;
	}
	if (d1 > d2) {
		reject(e, R_DATES, "tp_start after tp_end");
		return -1;
	}
	if (!optdate(e->f[M_SUSPSTART], &d1, INT32_MIN) || !optdate(e->f[M_SUSPEND], &d2, INT32_MAX)) {
		reject(e, R_DATE, "suspension_start or suspension_end");
		return -1;
	}
	if (d1 > d2) {
		reject(e, R_DATES, "suspension_start after suspension_end");
		return -1;
	}
	for (i = 0; i < e->nprod; i++) {
		if (e->prod[i].start > e->prod[i].end) {
			reject(e, R_DATES, "product entry after its exit");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (e->prod[i].order == e->prod[j].order &&
			    e->prod[i].start <= e->prod[j].end &&
			    e->prod[j].start <= e->prod[i].end) {
				snprintf(buf, sizeof buf, "order %d", e->prod[i].order);
				reject(e, R_OVERLAP, buf);
				return -1;
			}
	}
	/* Derived: products, rights, reconciliation keys. */
	{
		char *p = e->f[M_PRODUCTS];
		size_t room = FLD;
		int32_t rs = INT32_MAX, re = INT32_MIN, ts, te;
		char s1[DATE_BUFSZ], s2[DATE_BUFSZ];

		*p = '\0';
		for (i = 0; i < e->nprod; i++) {
			int w;

			if (e->prod[i].start == INT32_MIN)
				s1[0] = '\0';
			else
				date_fmt(e->prod[i].start, s1);
			if (e->prod[i].end == INT32_MAX)
				s2[0] = '\0';
			else
				date_fmt(e->prod[i].end, s2);
			w = snprintf(p, room, "%s%d:%s:%s:%s", i ? "," : "",
			    e->prod[i].order, e->prod[i].ref, s1, s2);
			if (w < 0 || (size_t)w >= room) {
				reject(e, R_MISSING, "products: too many or too long");
				return -1;
			}
			p += w;
			room -= (size_t)w;
			if (e->prod[i].start < rs)
				rs = e->prod[i].start;
			if (e->prod[i].end > re)
				re = e->prod[i].end;
		}
		/* Rights: the products' span within the TP service validity. */
		optdate(e->f[M_TPSTART], &ts, INT32_MIN);
		optdate(e->f[M_TPEND], &te, INT32_MAX);
		if (e->nprod == 0) {
			rs = ts;
			re = te;
		}
		if (ts > rs)
			rs = ts;
		if (te < re)
			re = te;
		if (rs == INT32_MIN)
			e->f[M_RSTART][0] = '\0';
		else
			date_fmt(rs, e->f[M_RSTART]);
		if (re == INT32_MAX)
			e->f[M_REND][0] = '\0';
		else
			date_fmt(re, e->f[M_REND]);
		if (rs != INT32_MIN && re != INT32_MAX && rs > re) {
			reject(e, R_DATES, "products outside the TP service validity");
			return -1;
		}
	}
	if (*e->f[M_ADHERENT] == '\0')
		snprintf(e->f[M_ADHERENT], FLD, "%s", e->f[M_CONTRACT]);
	if (*e->f[M_NIR])
		snprintf(e->f[M_KNIR], FLD, "%s%s", e->f[M_BNIR][0] ? e->f[M_BNIR] :
		    e->f[M_NIR], e->f[M_RANG]);
	else
		e->f[M_KNIR][0] = '\0';
	snprintf(e->f[M_KBIRTH], FLD, "%s/%s/%.100s", e->f[M_BIRTH], e->f[M_RANG],
	    e->f[M_ADHERENT]);
	return 0;
}

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

/* An entry to the temporary file: key, file order, then the columns. */
static void
put_entry(struct entry *e)
{
	int i;

	e->f[M_UPDATED][0] = '\0';
	if (check(e) < 0)
		return;
	fprintf(entries, "%s\t%s\t%s\t%020llu\t%s\t%ld", e->f[M_AMC],
	    e->f[M_CONTRACT], e->f[M_MEMBER], seq++, e->file, e->line);
	for (i = NKEY; i < NM; i++)
		fprintf(entries, "\t%s", e->f[i]);
	fputc('\n', entries);
	nentries++;
}

/* ---------- Norme V3 XML ---------- */

struct xfile {
	const char *path;
	xmlTextReaderPtr r;
	struct zin *zin;
	char err[256];
	long errline;
};

/*
 * The parser's input.  A read error (a gzip file cut short, bytes after
 * its data) is the file's error, at the line the parser has reached.
 */
static void
zio_error(struct xfile *x, const char *why)
{
	if (x->err[0] != '\0')
		return;
	snprintf(x->err, sizeof x->err, "%s", why);
	x->errline = x->r != NULL ? xmlTextReaderGetParserLineNumber(x->r) : 0;
}

static int
zio_read(void *ctx, char *buf, int len)
{
	struct xfile *x = ctx;
	const char *why;
	int n;

	if ((n = zin_read(x->zin, buf, len > 0 ? (size_t)len : 0, &why)) < 0)
		zio_error(x, why);
	return n;
}

static int
zio_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static struct xfile *xcur;

static void
xml_error(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
	struct xfile *x = arg;

	if (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR)
		return;
	if (x->err[0] != '\0')
		return;
	x->errline = loc ? xmlTextReaderLocatorLineNumber(loc) : 0;
	xmlmsg(x->err, sizeof x->err, msg);
}

static void
xml_serror(void *arg, xmlErrorPtr e)
{
	struct xfile *x = arg;

	if (x->err[0] != '\0' || e == NULL || e->level < XML_ERR_ERROR)
		return;
	x->errline = e->line;
	xmlmsg(x->err, sizeof x->err, e->message ? e->message : "error");
}

static const char *
lname(xmlNodePtr n)
{
	return (const char *)n->name;
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp(lname(n), name) == 0)
			return n;
	return NULL;
}

/* The text of a child element into dst ("" if absent). */
static void
ctext(xmlNodePtr n, const char *name, char *dst)
{
	xmlNodePtr c = child(n, name);
	xmlChar *s;

	dst[0] = '\0';
	if (c == NULL)
		return;
	s = xmlNodeGetContent(c);
	if (s != NULL) {
		setf(dst, (const char *)s, strlen((const char *)s));
		xmlFree(s);
	}
}

/* "true"/"1" → 1, "false"/"0" → 0, "" stays. */
static void
boolnorm(char *s)
{
	if (strcmp(s, "true") == 0)
		strcpy(s, "1");
	else if (strcmp(s, "false") == 0)
		strcpy(s, "0");
}

/* One CONTRAT: an entry per SERVICE_TP_PEC's beneficiary. */
static int
contract(struct xfile *x, xmlNodePtr c, const char *amc, long fileno)
{
	static struct entry e;
	char num[FLD], state[FLD], ref[FLD];
	xmlNodePtr svc, pec, m, ben, ro, tp, p, addr, ag;
	int i;

	ctext(c, "NUM_CONTRAT", num);
	ctext(c, "ETAT_CONTRAT", state);
	svc = child(c, "SERVICE");
	for (pec = svc ? svc->children : NULL; pec != NULL; pec = pec->next) {
		if (pec->type != XML_ELEMENT_NODE || strcmp(lname(pec), "SERVICE_TP_PEC") != 0)
			continue;
		memset(&e, 0, sizeof e);
		snprintf(e.file, sizeof e.file, "%s", base(x->path));
		e.line = xmlGetLineNo(pec);
		e.fileno = fileno;
		snprintf(e.f[M_AMC], FLD, "%s", amc);
		snprintf(e.f[M_CONTRACT], FLD, "%s", num);
		snprintf(e.f[M_STATE], FLD, "%s", state);
		ben = child(pec, "BENEFICIAIRE");
		ctext(ben, "REF_INTERNE_OS", ref);
		snprintf(e.f[M_MEMBER], FLD, "%s", ref);
		ctext(ben, "TYPE_BENEF", e.f[M_TYPE]);
		ctext(ben, "CONTRAT_RESPONSABLE", e.f[M_RESP]);
		boolnorm(e.f[M_RESP]);
		ctext(ben, "CODE_MOUVEMENT_CARTE", e.f[M_CARD]);
		if ((ro = child(ben, "RO")) != NULL) {
			ctext(ro, "CODE_GRAND_REGIME", e.f[M_REGIME]);
			ctext(ro, "CODE_CAISSE_RO", e.f[M_CAISSE]);
			ctext(ro, "CENTRE_SS", e.f[M_CENTRE]);
			ctext(ro, "NNI", e.f[M_NIR]);
		}
		for (p = ben ? ben->children : NULL; p != NULL; p = p->next) {
			char o[FLD], s[FLD], t[FLD];
			struct prod *pr;

			if (p->type != XML_ELEMENT_NODE || strcmp(lname(p), "PRODUIT") != 0)
				continue;
			if (e.nprod == MAXPROD) {
				reject(&e, R_MISSING, "more than 16 products");
				goto next;
			}
			pr = &e.prod[e.nprod++];
			ctext(p, "ORDRE", o);
			ctext(p, "REFERENCE_PRODUIT", pr->ref);
			ctext(p, "DATE_ENTREE_PRODUIT", s);
			ctext(p, "DATE_SORTIE_PRODUIT", t);
			pr->order = *o ? atoi(o) : 0;
			for (i = 0; pr->ref[i]; i++)
				if (pr->ref[i] == ',' || pr->ref[i] == ':')
					pr->ref[i] = '_';
			if (!optdate(s, &pr->start, INT32_MIN) || !optdate(t, &pr->end, INT32_MAX)) {
				reject(&e, R_DATE, "product dates");
				goto next;
			}
		}
		if ((tp = child(pec, "SERVICE_TP")) != NULL) {
			ctext(tp, "DATE_DEBUT_VALIDITE", e.f[M_TPSTART]);
			ctext(tp, "DATE_FIN_VALIDITE", e.f[M_TPEND]);
			ctext(tp, "ACTIVATION_DESACTIVATION", e.f[M_ACTIVATION]);
			ctext(tp, "DATE_DEBUT_SUSPENSION", e.f[M_SUSPSTART]);
			ctext(tp, "DATE_FIN_SUSPENSION", e.f[M_SUSPEND]);
			ctext(tp, "MOTIF_SUSPENSION", e.f[M_SUSPREASON]);
		}
		/* The member of the same reference: identity and address. */
		for (m = c->children; m != NULL; m = m->next) {
			xmlNodePtr ind;
			char mref[FLD];

			if (m->type != XML_ELEMENT_NODE || strcmp(lname(m), "MEMBRE_CONTRAT") != 0)
				continue;
			ind = child(m, "INDIVIDU");
			ctext(ind, "REF_INTERNE_OS", mref);
			if (strcmp(mref, ref) != 0)
				continue;
			ctext(ind, "DATE_NAISSANCE", e.f[M_BIRTH]);
			ctext(ind, "RANG_NAISSANCE", e.f[M_RANG]);
			ctext(m, "NUM_ADHESION", e.f[M_ADHERENT]);
			{
				char own[FLD];

				ctext(m, "NNI", own);
				if (*own && *e.f[M_NIR] && strcmp(own, e.f[M_NIR]) != 0)
					snprintf(e.f[M_BNIR], FLD, "%s", own);
				else if (*own && !*e.f[M_NIR])
					snprintf(e.f[M_NIR], FLD, "%s", own);
			}
			if ((addr = child(m, "ADRESSE_MEMBRE")) != NULL &&
			    (ag = child(addr, "ADRESSE_AGREGEE")) != NULL)
				for (i = 0; i < 7; i++) {
					char tag[8];

					snprintf(tag, sizeof tag, "LIGNE%d", i + 1);
					ctext(ag, tag, e.f[M_ADDR1 + i]);
				}
			break;
		}
		if (m == NULL) {
			reject(&e, R_MISSING, "no MEMBRE_CONTRAT of this REF_INTERNE_OS");
			continue;
		}
		put_entry(&e);
next:		;
	}
	return 0;
}

static xmlSchemaPtr projschema, refschema;

static xmlSchemaPtr
loadschema(const char *text, const char *path)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	pc = text ? xmlSchemaNewMemParserCtxt(text, (int)strlen(text)) :
	    xmlSchemaNewParserCtxt(path);
	if (pc == NULL)
		die(EX_CONFIG, "%s: cannot read the schema", path);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (s == NULL)
		die(EX_CONFIG, "%s: not a usable XML schema", path);
	return s;
}

/* Read the header only: sender and file number, for the order. */
static int
xml_head(const char *path, char *sender, long *fileno, char *err, size_t errsz,
    long *errline);

/* Pass 1 over a Norme V3 file.  0, or -1 with x->err (file refused). */
static int
xml_file(const char *path, const char *amc, long fileno)
{
	struct xfile x;
	xmlNodePtr n;
	int fd, r;
	xmlSchemaPtr sch = refschema ? refschema : projschema;

	memset(&x, 0, sizeof x);
	x.path = path;
	xcur = &x;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(x.err, sizeof x.err, "%s", strerror(errno));
		warn_at(path, 0, NULL, "%s", x.err);
		return -2;
	}
	x.zin = zin_open(fd);
	x.r = xmlReaderForIO(zio_read, zio_close, &x, path, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (x.r == NULL) {
		zin_close(x.zin);
		warn_at(path, 0, NULL, "cannot read");
		return -1;
	}
	xmlTextReaderSetErrorHandler(x.r, xml_error, &x);
	xmlTextReaderSetStructuredErrorHandler(x.r, xml_serror, &x);
	if (xmlTextReaderSetSchema(x.r, sch) != 0)
		die(EX_SOFTWARE, "%s: cannot attach the schema", path);
	while ((r = xmlTextReaderRead(x.r)) == 1 && x.err[0] == '\0') {
		if (xmlTextReaderNodeType(x.r) != XML_READER_TYPE_ELEMENT)
			continue;
		if (strcmp((const char *)xmlTextReaderConstLocalName(x.r), "CONTRAT") != 0)
			continue;
		if ((n = xmlTextReaderExpand(x.r)) == NULL || x.err[0] != '\0') {
			r = -1;
			break;
		}
		contract(&x, n, amc, fileno);
		/* Move past the subtree; the reader frees it. */
		while ((r = xmlTextReaderNext(x.r)) == 1 &&
		    xmlTextReaderNodeType(x.r) == XML_READER_TYPE_ELEMENT &&
		    strcmp((const char *)xmlTextReaderConstLocalName(x.r), "CONTRAT") == 0 &&
		    x.err[0] == '\0') {
			if ((n = xmlTextReaderExpand(x.r)) == NULL || x.err[0] != '\0') {
				r = -1;
				break;
			}
			contract(&x, n, amc, fileno);
		}
		if (r != 1)
			break;
	}
	if (x.err[0] == '\0' && (r < 0 || xmlTextReaderIsValid(x.r) != 1)) {
		snprintf(x.err, sizeof x.err, "%s", r < 0 ? "not well-formed" :
		    "not valid against the schema");
		x.errline = xmlTextReaderGetParserLineNumber(x.r);
	}
	/* What the parser left unread must be nothing, read whole. */
	if (x.err[0] == '\0') {
		char rest[4096];

		while (zio_read(&x, rest, sizeof rest) > 0)
			;
	}
	xmlFreeTextReader(x.r);
	zin_close(x.zin);
	xcur = NULL;
	if (x.err[0] != '\0') {
		warn_at(path, x.errline, "xml", "%s (file refused)", x.err);
		return -1;
	}
	return 0;
}

static int
xml_head(const char *path, char *sender, long *fileno, char *err, size_t errsz,
    long *errline)
{
	xmlTextReaderPtr r;
	xmlNodePtr n;
	char num[FLD];
	int fd, st, ok = -1;
	struct xfile x;

	memset(&x, 0, sizeof x);
	x.path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "%s", strerror(errno));
		return -2;
	}
	x.zin = zin_open(fd);
	r = x.r = xmlReaderForIO(zio_read, zio_close, &x, path, NULL, XML_PARSE_NONET);
	if (r == NULL) {
		zin_close(x.zin);
		snprintf(err, errsz, "cannot read");
		return -1;
	}
	xmlTextReaderSetErrorHandler(r, xml_error, &x);
	xmlTextReaderSetStructuredErrorHandler(r, xml_serror, &x);
	snprintf(err, errsz, "no ENTETE");
	while ((st = xmlTextReaderRead(r)) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT ||
		    strcmp((const char *)xmlTextReaderConstLocalName(r), "ENTETE") != 0)
			continue;
		if ((n = xmlTextReaderExpand(r)) == NULL)
			break;
		ctext(n, "NUM_OS_EMETTEUR", sender);
		ctext(n, "NUM_FICHIER", num);
		if (*sender && *num && strspn(num, "0123456789") == strlen(num) &&
		    strlen(num) <= 9) {
			*fileno = atol(num);
			ok = 0;
		} else
			snprintf(err, errsz, "ENTETE: NUM_FICHIER or NUM_OS_EMETTEUR");
		break;
	}
	*errline = xmlTextReaderGetParserLineNumber(r);
	if (ok < 0 && x.err[0]) {
		snprintf(err, errsz, "%.200s", x.err);
		*errline = x.errline;
	}
	xmlFreeTextReader(r);
	zin_close(x.zin);
	return ok;
}

/* ---------- the project's CSV ---------- */

struct cfile {
	const char *path;
	long row;
	int col;
	char f[NC][FLD];
	int toolong;
	char err[256];
	int hdr;
	/* the beneficiary being gathered */
	struct entry e;
	int have;
	char key[3 * FLD];
};

static void
csv_flush(struct cfile *c)
{
	if (c->have == 1)
		put_entry(&c->e);
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
		setf(c->f[c->col], s, n);
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
	if (c->col != NC) {
		snprintf(c->err, sizeof c->err, "%ld: -: %d fields, not %d", c->row, c->col, NC);
		return;
	}
	c->col = 0;
	if (!c->hdr) {
		for (i = 0; i < NC; i++)
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
	for (i = 0; i < NC; i++) {
		char why[96];
		const char *w;

		if ((w = syntax(i, c->f[i], why, sizeof why)) != NULL) {
			snprintf(c->err, sizeof c->err, "%ld: %s: %s", c->row,
			    ccols[i], w);
			return;
		}
	}
	snprintf(key, sizeof key, "%s\t%s\t%s", c->f[C_CLIENT], c->f[C_CONTRACT], c->f[C_MEMBER]);
	if (c->have && strcmp(key, c->key) == 0) {
		/* Another product row of the same beneficiary. */
		static const int same[] = {
			C_STATE, C_ADHERENT, C_TYPE, C_NIR, C_NIRKEY, C_BNIR,
			C_BNIRKEY, C_BIRTH, C_RANG, C_TPSTART, C_TPEND, C_CARD
		};
		static const int mcol[] = {
			M_STATE, M_ADHERENT, M_TYPE, M_NIR, M_NIRKEY, M_BNIR,
			M_BNIRKEY, M_BIRTH, M_RANG, M_TPSTART, M_TPEND, M_CARD
		};

		for (i = 0; i < (int)(sizeof same / sizeof same[0]); i++)
			if (strcmp(c->f[same[i]], c->e.f[mcol[i]]) != 0) {
				if (c->have == 1) {
					reject(&c->e, R_DISAGREE, ccols[same[i]]);
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
		snprintf(c->e.file, sizeof c->e.file, "%s", base(c->path));
		c->e.line = c->row;
		c->e.fileno = atol(c->f[C_FILENO]);
		snprintf(c->e.f[M_AMC], FLD, "%s", c->f[C_CLIENT]);
		snprintf(c->e.f[M_CONTRACT], FLD, "%s", c->f[C_CONTRACT]);
		snprintf(c->e.f[M_MEMBER], FLD, "%s", c->f[C_MEMBER]);
		snprintf(c->e.f[M_STATE], FLD, "%s", c->f[C_STATE]);
		snprintf(c->e.f[M_ADHERENT], FLD, "%s", c->f[C_ADHERENT]);
		snprintf(c->e.f[M_TYPE], FLD, "%s", c->f[C_TYPE]);
		snprintf(c->e.f[M_NIR], FLD, "%s", c->f[C_NIR]);
		snprintf(c->e.f[M_NIRKEY], FLD, "%s", c->f[C_NIRKEY]);
		snprintf(c->e.f[M_BNIR], FLD, "%s", c->f[C_BNIR]);
		snprintf(c->e.f[M_BNIRKEY], FLD, "%s", c->f[C_BNIRKEY]);
		snprintf(c->e.f[M_BIRTH], FLD, "%s", c->f[C_BIRTH]);
		snprintf(c->e.f[M_RANG], FLD, "%s", c->f[C_RANG]);
		snprintf(c->e.f[M_REGIME], FLD, "%s", c->f[C_REGIME]);
		snprintf(c->e.f[M_CAISSE], FLD, "%s", c->f[C_CAISSE]);
		snprintf(c->e.f[M_CENTRE], FLD, "%s", c->f[C_CENTRE]);
		snprintf(c->e.f[M_RESP], FLD, "%s", c->f[C_RESP]);
		snprintf(c->e.f[M_TPSTART], FLD, "%s", c->f[C_TPSTART]);
		snprintf(c->e.f[M_TPEND], FLD, "%s", c->f[C_TPEND]);
		snprintf(c->e.f[M_ACTIVATION], FLD, "%s", c->f[C_ACTIVATION]);
		snprintf(c->e.f[M_SUSPSTART], FLD, "%s", c->f[C_SUSPSTART]);
		snprintf(c->e.f[M_SUSPEND], FLD, "%s", c->f[C_SUSPEND]);
		snprintf(c->e.f[M_SUSPREASON], FLD, "%s", c->f[C_SUSPREASON]);
		snprintf(c->e.f[M_CARD], FLD, "%s", c->f[C_CARD]);
		snprintf(c->e.f[M_DOMAINS], FLD, "%s", c->f[C_DOMAINS]);
		for (i = 0; i < 7; i++)
			snprintf(c->e.f[M_ADDR1 + i], FLD, "%s", c->f[C_ADDR1 + i]);
		c->have = 1;
	}
	if (c->f[C_PREF][0] == '\0' && c->f[C_PORDER][0] == '\0')
		return;
	if (c->e.nprod == MAXPROD) {
		reject(&c->e, R_MISSING, "more than 16 products");
		c->have = 2;
		return;
	}
	p = &c->e.prod[c->e.nprod++];
	p->order = atoi(c->f[C_PORDER]);
	snprintf(p->ref, sizeof p->ref, "%s", c->f[C_PREF]);
	for (i = 0; p->ref[i]; i++)
		if (p->ref[i] == ',' || p->ref[i] == ':')
			p->ref[i] = '_';
	if (!optdate(c->f[C_PSTART], &p->start, INT32_MIN) ||
	    !optdate(c->f[C_PEND], &p->end, INT32_MAX)) {
		reject(&c->e, R_DATE, "product_start or product_end");
		c->have = 2;
	}
}

/*
 * The first data row's client and file number, for the file order: read
 * with libcsv, through zlib, as csv_file reads the rest.
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

static int
csv_head(const char *path, char *sender, long *fileno, char *err, size_t errsz)
{
	struct csv_parser p;
	struct chead h;
	struct zin *z;
	char buf[8192];
	const char *why;
	int fd, n;

	memset(&h, 0, sizeof h);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "0: -: %s", strerror(errno));
		return -2;
	}
	z = zin_open(fd);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		die(EX_SOFTWARE, "csv_init");
	/* A read error here is csv_file's to report, at its line. */
	while (h.row < 2 && (n = zin_read(z, buf, sizeof buf, &why)) > 0)
		if (csv_parse(&p, buf, (size_t)n, chead_field, chead_row, &h) != (size_t)n)
			break;
	if (h.row < 2)
		csv_fini(&p, chead_field, chead_row, &h);
	csv_free(&p);
	zin_close(z);
	/*
	 * A header alone is a client's day without changes: it names no
	 * sender and no file number; csv_file checks the header.
	 */
	if (h.row == 1) {
		sender[0] = '\0';
		*fileno = 0;
		return 1;
	}
	if (h.row < 2) {
		snprintf(err, errsz, "1: -: no header row");
		return -1;
	}
	if (h.n[0] == 0 || h.n[0] >= FLD || h.n[1] == 0 || h.n[1] > 9 ||
	    strspn(h.f[1], "0123456789") != h.n[1]) {
		snprintf(err, errsz, "2: %s: missing or not a number",
		    h.n[0] == 0 || h.n[0] >= FLD ? ccols[0] : ccols[1]);
		return -1;
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

static int
csv_file(const char *path)
{
	static struct cfile c;
	struct csv_parser p;
	struct zin *z;
	char buf[1 << 16];
	const char *why;
	int fd, n;

	memset(&c, 0, sizeof c);
	c.path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		warn_at(path, 0, NULL, "%s", strerror(errno));
		return -2;
	}
	z = zin_open(fd);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		die(EX_SOFTWARE, "csv_init");
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
		fprintf(stderr, "%s: %s:%s (file refused)\n", progname_(), path, c.err);
		return -1;
	}
	csv_flush(&c);
	return 0;
}

/* ---------- pass 3: merge ---------- */

static const char *const mvcols[] = {
	"business_date", "amc", "contract", "member_ref", "movement",
	"retroactive", "old_rights_end", "new_rights_end", "card_movement",
	"file", "line"
};

static void
movement(char f[][FLD], const char *what, int retro, const char *oldend,
    const char *file, const char *line)
{
	ts_wcstr(&mvw, bizdate_s);
	ts_wcstr(&mvw, f[M_AMC]);
	ts_wcstr(&mvw, f[M_CONTRACT]);
	ts_wcstr(&mvw, f[M_MEMBER]);
	ts_wcstr(&mvw, what);
	ts_wint(&mvw, retro);
	ts_wcstr(&mvw, oldend);
	ts_wcstr(&mvw, f[M_REND]);
	ts_wcstr(&mvw, f[M_CARD]);
	ts_wcstr(&mvw, file);
	ts_wcstr(&mvw, line);
	ts_wend(&mvw);
}

static void
wmaster(char f[][FLD])
{
	int i;

	for (i = 0; i < NM; i++)
		ts_wcstr(&mastw, f[i]);
	ts_wend(&mastw);
}

/* Key order: field by field, bytes (sort -t TAB -k1,1 -k2,2 -k3,3 in C). */
static int
keycmp(char a[][FLD], char b[][FLD])
{
	int i, c;

	for (i = 0; i < NKEY; i++)
		if ((c = strcmp(a[i], b[i])) != 0)
			return c;
	return 0;
}

/* Split a TAB line into n fields of FLD; -1 if the count differs. */
static int
split(char *line, size_t len, char f[][FLD], int n)
{
	char *p = line, *end = line + len, *t;
	int i;

	for (i = 0; i < n; i++) {
		t = memchr(p, '\t', (size_t)(end - p));
		if (t == NULL)
			t = end;
		if (t - p >= FLD)
			return -1;
		memcpy(f[i], p, (size_t)(t - p));
		f[i][t - p] = '\0';
		if (t == end && i < n - 1)
			return -1;
		p = t + 1;
	}
	return p - 1 == end ? 0 : -1;
}

static uint64_t nmaster_in, nmaster_out, nmv[4];

/* Apply the sorted entries to the master. */
static void
merge(const char *master, const char *sorted)
{
	static char m[NM][FLD], e[NM + 3][FLD], cur[NM][FLD], gkey[NM][FLD];
	struct ts_reader r;
	struct lines in;
	char *line, efile[FLD], eline[FLD];
	size_t len;
	const char *why;
	int hm = 0, he, st, i, have;
	long en = 0;

	if (master != NULL) {
		if (ts_open(&r, master, "benef-master", 1) < 0)
			ts_fatal(&r);
		for (i = 0; i < NM; i++)
			if (i >= r.ncol || strcmp(r.cols[i], mcols[i]) != 0)
				die_at(EX_DATAERR, master, 1, "header", "not the benef-master columns");
		if (r.ncol != NM)
			die_at(EX_DATAERR, master, 1, "header", "not the benef-master columns");
	}
	if (lines_open(&in, sorted) < 0)
		die(EX_IOERR, "%s: %s", sorted, strerror(errno));

#define NEXTM() do { \
	hm = 0; \
	if (master != NULL && (st = ts_next(&r)) == 1) { \
		for (i = 0; i < NM; i++) { \
			if (r.f[i].n >= FLD) \
				die_at(EX_DATAERR, master, r.in.lineno, mcols[i], "too long"); \
			memcpy(m[i], r.f[i].p, r.f[i].n); \
			m[i][r.f[i].n] = '\0'; \
		} \
		hm = 1; \
		nmaster_in++; \
	} else if (master != NULL && st < 0) \
		ts_fatal(&r); \
} while (0)
#define NEXTE() do { \
	he = 0; \
	if ((st = lines_next(&in, &line, &len, &why)) == 1) { \
		/* key(3) seq file line, then columns from NKEY */ \
		static char tmp[NM + 3][FLD]; \
		if (split(line, len, tmp, NM + 3) < 0) \
			die(EX_SOFTWARE, "%s: entry %ld malformed", sorted, en); \
		for (i = 0; i < NKEY; i++) \
			memcpy(e[i], tmp[i], FLD); \
		memcpy(efile, tmp[4], FLD); \
		snprintf(eline, sizeof eline, "%s", tmp[5]); \
		for (i = NKEY; i < NM; i++) \
			memcpy(e[i], tmp[i + 3], FLD); \
		he = 1; \
		en++; \
	} else if (st < 0) \
		die(EX_IOERR, "%s: %s", sorted, why); \
} while (0)

	NEXTM();
	NEXTE();
	while (hm || he) {
		int c = !hm ? 1 : !he ? -1 : keycmp(m, e);

		if (c < 0) {
			/* No entry: the master record goes on unchanged. */
			wmaster(m);
			nmaster_out++;
			NEXTM();
			continue;
		}
		/* Entries of this key, in file order, over the master record. */
		have = c == 0;
		if (have)
			memcpy(cur, m, sizeof cur);
		for (i = 0; i < NKEY; i++)
			memcpy(gkey[i], e[i], FLD);
		do {
			struct entry fake;

			if (!have && strcmp(e[M_STATE], "OU") != 0 && strcmp(e[M_STATE], "NA") != 0) {
				memset(&fake, 0, sizeof fake);
				memcpy(fake.f, e, sizeof fake.f);
				snprintf(fake.file, sizeof fake.file, "%s", efile);
				fake.line = atol(eline);
				reject(&fake, R_UNKNOWN, e[M_STATE]);
			} else if (!have) {
				memcpy(cur, e, sizeof cur);
				snprintf(cur[M_UPDATED], FLD, "%s", bizdate_s);
				movement(cur, "create", 0, "", efile, eline);
				nmv[0]++;
				if (*cur[M_CARD])
					movement(cur, "card", 0, "", efile, eline), nmv[3]++;
				have = 1;
			} else {
				int same = 1, retro = 0;
				int32_t on, nn;
				char oldend[FLD];

				for (i = NKEY; i < M_UPDATED; i++)
					if (strcmp(cur[i], e[i]) != 0)
						same = 0;
				if (!same) {
					snprintf(oldend, sizeof oldend, "%s", cur[M_REND]);
					on = *oldend ? 0 : INT32_MAX;
					if (*oldend)
						date_parse(oldend, strlen(oldend), &on);
					nn = INT32_MAX;
					if (*e[M_REND])
						date_parse(e[M_REND], strlen(e[M_REND]), &nn);
					/* Rights cut short below what was integrated and already run. */
					retro = nn < on && nn < bizdate;
					memcpy(cur, e, sizeof cur);
					snprintf(cur[M_UPDATED], FLD, "%s", bizdate_s);
					if (nn < on || strcmp(cur[M_STATE], "OU") != 0) {
						movement(cur, "radiate", retro, oldend, efile, eline);
						nmv[2]++;
					} else {
						movement(cur, "modify", 0, oldend, efile, eline);
						nmv[1]++;
					}
					if (*cur[M_CARD])
						movement(cur, "card", 0, oldend, efile, eline), nmv[3]++;
				}
			}
			NEXTE();
		} while (he && keycmp(gkey, e) == 0);
		if (have) {
			wmaster(cur);
			nmaster_out++;
		}
		if (c == 0)
			NEXTM();
	}
	if (master != NULL)
		ts_close(&r);
	lines_close(&in);
}

/* ---------- files, order, state ---------- */

struct input {
	const char *path;
	int csv;
	char sender[FLD];
	long fileno;
	int skip;		/* already integrated */
	int empty;		/* a CSV header alone: no sender, no number */
};

static int
inputcmp(const void *a, const void *b)
{
	const struct input *x = a, *y = b;
	int c = strcmp(x->sender, y->sender);

	if (c != 0)
		return c;
	return x->fileno < y->fileno ? -1 : x->fileno > y->fileno;
}

static const char *const statecols[] = {
	"sender", "file_number", "file", "business_date", "entries"
};

struct done {
	char sender[FLD];
	long fileno;
	char row[512];
};
static struct done *done;
static size_t ndone;

static void
loadstate(const char *path)
{
	struct ts_reader r;
	int st;

	if (ts_open(&r, path, "benef-files", 1) < 0) {
		ts_perror(&r);
		exit(r.errline < 0 ? EX_NOINPUT : EX_DATAERR);
	}
	if (r.ncol != 5 || strcmp(r.cols[0], "sender") || strcmp(r.cols[1], "file_number"))
		die_at(EX_DATAERR, path, 1, "header", "not the benef-files columns");
	while ((st = ts_next(&r)) == 1) {
		done = xrealloc(done, (ndone + 1) * sizeof *done);
		snprintf(done[ndone].sender, FLD, "%.*s", (int)r.f[0].n, r.f[0].p);
		done[ndone].fileno = atol(r.f[1].p);
		snprintf(done[ndone].row, sizeof done[ndone].row, "%.*s", (int)r.len, r.line);
		ndone++;
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

static int
isdone(const char *sender, long fileno)
{
	size_t i;

	for (i = 0; i < ndone; i++)
		if (strcmp(done[i].sender, sender) == 0 && done[i].fileno == fileno)
			return 1;
	return 0;
}

/* sort(1)'s own temporary files go in our scratch directory too. */
static void
sortfile(const char *in, const char *out)
{
	const char *tmp = tmp_dir();
	pid_t pid;
	int st;

	if ((pid = tmp_fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		setenv("LC_ALL", "C", 1);
		execlp("sort", "sort", "-t", "\t", "-k1,1", "-k2,2", "-k3,3", "-k4,4",
		    "-S", "256M", "-T", tmp, "-o", out, in, (char *)NULL);
		_exit(127);
	}
	if (tmp_wait(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(EX_SOFTWARE, "sort failed");
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-X reference.xsd] [-m master] [-s state] [-w new-state]\n"
	    "       -d business-date -o new-master -M movements -R rejects file ...\n",
	    progname_());
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	static const char *const rejcols[] = {
		"file", "line", "amc", "contract", "member_ref", "code", "label"
	};
	const char *master = NULL, *out = NULL, *mvout = NULL, *rejout = NULL;
	const char *state = NULL, *newstate = NULL, *refxsd = NULL, *date = NULL;
	struct pub pm, pv, pr;
	struct input *in;
	char *tmpl[2], err[256], meta[256];
	int ch, i, nin, fd, refused = 0, st;
	long eline;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "M:R:X:d:m:o:s:w:")) != -1)
		switch (ch) {
		case 'M': mvout = optarg; break;
		case 'R': rejout = optarg; break;
		case 'X': refxsd = optarg; break;
		case 'd': date = optarg; break;
		case 'm': master = optarg; break;
		case 'o': out = optarg; break;
		case 's': state = optarg; break;
		case 'w': newstate = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (date == NULL || out == NULL || mvout == NULL || rejout == NULL)
		usage();
	if (date_parse(date, strlen(date), &bizdate) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(bizdate, bizdate_s);

	LIBXML_TEST_VERSION
	xmlSubstituteEntitiesDefault(0);
	projschema = loadschema(benef_xsd, "benef-normev3.xsd (built in)");
	if (refxsd != NULL)
		refschema = loadschema(NULL, refxsd);
	if (state != NULL)
		loadstate(state);

	/* The files, in sender and file-number order. */
	nin = argc;
	in = xmalloc((size_t)(nin ? nin : 1) * sizeof *in);
	for (i = 0; i < nin; i++) {
		size_t n = strlen(argv[i]);
		const char *base = n > 3 && strcmp(argv[i] + n - 3, ".gz") == 0 ?
		    argv[i] + n - 7 : argv[i] + n - 4;

		memset(&in[i], 0, sizeof in[i]);
		in[i].path = argv[i];
		in[i].csv = n >= 4 && base >= argv[i] && strncmp(base, ".csv", 4) == 0;
		eline = 0;
		st = in[i].csv ? csv_head(argv[i], in[i].sender, &in[i].fileno, err, sizeof err) :
		    xml_head(argv[i], in[i].sender, &in[i].fileno, err, sizeof err, &eline);
		if (st < 0) {
			if (in[i].csv)
				fprintf(stderr, "%s: %s:%s (file refused)\n", progname_(), argv[i], err);
			else
				warn_at(argv[i], eline, "ENTETE", "%s (file refused)", err);
			refused = st == -2 ? EX_NOINPUT : EX_DATAERR;
		}
		in[i].empty = st == 1;
	}
	qsort(in, (size_t)nin, sizeof *in, inputcmp);

	/* Outputs: temporaries until every file has been read whole. */
	if (pub_open(&pm, out) < 0)
		die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
	if (pub_open(&pv, mvout) < 0)
		die(EX_CANTCREAT, "%s: %s", mvout, strerror(errno));
	if (pub_open(&pr, rejout) < 0)
		die(EX_CANTCREAT, "%s: %s", rejout, strerror(errno));
	ts_wopen(&rejw, pr.fd, rejout, "benef-reject", 1, rejcols, 7);
	ts_wopen(&mvw, pv.fd, mvout, "benef-movement", 1, mvcols, 11);
	ts_wopen(&mastw, pm.fd, out, "benef-master", 1, mcols, NM);
	snprintf(meta, sizeof meta, "business_date\t%s", bizdate_s);
	ts_wmeta(&mastw, meta);
	ts_wmeta(&mvw, meta);
	ts_wmeta(&rejw, meta);

	/* The entries, then sorted: in a scratch directory removed at exit. */
	fd = tmp_open("entries", &tmpl[0]);
	if ((entries = fdopen(fd, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", tmpl[0], strerror(errno));
	close(tmp_open("sorted", &tmpl[1]));
	for (i = 0; i < nin && !refused; i++) {
		/* A header alone names no file to check against the others. */
		if (!in[i].empty && isdone(in[i].sender, in[i].fileno)) {
			warn_at(in[i].path, 0, NULL, "sender %s file %ld already integrated: skipped",
			    in[i].sender, in[i].fileno);
			in[i].skip = 1;
			continue;
		}
		for (st = in[i].empty ? i : 0; st < i; st++)
			if (!in[st].skip && !in[st].empty &&
			    strcmp(in[st].sender, in[i].sender) == 0 &&
			    in[st].fileno == in[i].fileno)
				break;
		if (st < i) {
			warn_at(in[i].path, 0, NULL, "sender %s file %ld given twice: skipped",
			    in[i].sender, in[i].fileno);
			in[i].skip = 1;
			continue;
		}
		st = in[i].csv ? csv_file(in[i].path) :
		    xml_file(in[i].path, in[i].sender, in[i].fileno);
		if (st < 0)
			refused = st == -2 ? EX_NOINPUT : EX_DATAERR;
	}
	if (fclose(entries) != 0)
		die(EX_IOERR, "%s: write error", tmpl[0]);
	if (refused) {
		/* Nothing of the day: the previous master goes on as it was. */
		ts_wclose(&rejw);
		ts_wclose(&mvw);
		pub_abort(&pr);
		pub_abort(&pv);
		if ((fd = open(tmpl[1], O_WRONLY | O_TRUNC)) < 0)
			die(EX_IOERR, "%s: %s", tmpl[1], strerror(errno));
		close(fd);
		merge(master, tmpl[1]);
		unlink(tmpl[0]);
		unlink(tmpl[1]);
		ts_wclose(&mastw);
		if (pub_commit(&pm) < 0)
			die(EX_IOERR, "%s: %s", out, strerror(errno));
		exit(refused);
	}
	sortfile(tmpl[0], tmpl[1]);
	merge(master, tmpl[1]);
	unlink(tmpl[0]);
	unlink(tmpl[1]);
	free(tmpl[0]);
	free(tmpl[1]);
	ts_wclose(&mastw);
	ts_wclose(&mvw);
	ts_wclose(&rejw);
	if (pub_commit(&pm) < 0 || pub_commit(&pv) < 0 || pub_commit(&pr) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	if (newstate != NULL) {
		struct pub ps;
		struct ts_writer w;
		size_t k;

		if (pub_open(&ps, newstate) < 0)
			die(EX_CANTCREAT, "%s: %s", newstate, strerror(errno));
		ts_wopen(&w, ps.fd, newstate, "benef-files", 1, statecols, 5);
		for (k = 0; k < ndone; k++) {
			char *s = done[k].row, *t;
			int c;

			for (c = 0; c < 5; c++) {
				t = strchr(s, '\t');
				ts_wstr(&w, s, t ? (size_t)(t - s) : strlen(s));
				s = t ? t + 1 : s + strlen(s);
			}
			ts_wend(&w);
		}
		for (i = 0; i < nin; i++) {
			const char *b = strrchr(in[i].path, '/');

			if (in[i].skip || in[i].empty)
				continue;
			ts_wcstr(&w, in[i].sender);
			ts_wint(&w, in[i].fileno);
			ts_wcstr(&w, b ? b + 1 : in[i].path);
			ts_wcstr(&w, bizdate_s);
			ts_wint(&w, 0);
			ts_wend(&w);
		}
		ts_wclose(&w);
		if (pub_commit(&ps) < 0)
			die(EX_IOERR, "%s: %s", newstate, strerror(errno));
	}
	/* Conservation: master in + created = master out. */
	if (nmaster_in + nmv[0] != nmaster_out)
		die(EX_SOFTWARE, "conservation: %llu in + %llu created != %llu out",
		    (unsigned long long)nmaster_in, (unsigned long long)nmv[0],
		    (unsigned long long)nmaster_out);
	fprintf(stderr, "%s: %s: %llu entries, %llu rejected; master %llu -> %llu; "
	    "%llu created, %llu modified, %llu radiated, %llu card movements\n",
	    progname_(), bizdate_s, (unsigned long long)nentries,
	    (unsigned long long)nrejects, (unsigned long long)nmaster_in,
	    (unsigned long long)nmaster_out, (unsigned long long)nmv[0],
	    (unsigned long long)nmv[1], (unsigned long long)nmv[2],
	    (unsigned long long)nmv[3]);
	free(in);
	free(done);
	xmlSchemaFree(projschema);
	if (refschema)
		xmlSchemaFree(refschema);
	xmlCleanupParser();
	return EX_OK;
}
