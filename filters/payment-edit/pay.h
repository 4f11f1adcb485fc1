/*
 * payment-edit: what its files share (payment-edit(1)).
 */
#include <endian.h>
#include <string.h>

#include <libxml/xmlschemas.h>

#include "tiers.h"
#include "arena.h"
#include "psreg.h"

/*
 * Why a PS's payments are held: nothing (paid), the client has no paying
 * account in the parameters, the PS is not in the register at the date,
 * or its register row is not fit to pay on.
 */
enum {
	R_NONE, R_NOACCOUNT, R_NOREG, R_BADID, R_BADAM, R_BADSIRET, R_NONAME,
	R_NOIBAN, R_BADIBAN, R_BADBIC, NR
};
extern const char *const reasons[NR];

/* What became of a PS's lines of the day. */
enum { S_PAID, S_OFFSET, S_HELD, NS };
extern const char *const statuses[NS];

/* A client's paying account (tiers-payparams(5)). */
struct debtor {
	char *amc, *name, *iban, *bic;
};

/* An open indus item the client allows to offset (indus-extract(1)). */
struct item {
	char *amc, *kind, *num, *id, *line, *invoice, *lineno, *actdate;
	int32_t opened;
	int64_t left, used;
	long lineno_in;
};

/* A line to pay: the day's, or one held on an earlier day. */
struct line {
	char *amc, *key, *kind, *num, *invoice, *lineno, *actdate;
	size_t namc, nkey;	/* their lengths; key follows amc's NUL */
	size_t nall;		/* the seven, each NUL-ended, one after the other */
	int32_t decided;
	int64_t amt;
	int carried;		/* held in the ledger of the day before */
	int neur;		/* amt's text (money_fmt's), at amc + nall, NUL-ended */
	struct payee *py;
	/*
	 * A line held: its row in the ledger of the day before (nraw bytes,
	 * its LF included), if it is the row the day's ledger would have
	 * while held for the reason rawwhy; else NULL.
	 */
	const char *raw;
	uint32_t nraw;
	int rawwhy;
};

/* An offset applied: so much of an item taken off a PS's transfer. */
struct offset {
	struct item *it;
	int64_t amt;
};

/* A PS paid for a client: its lines, offsets and transfer. */
struct payee {
	const char *amc, *kind, *num;
	const struct psrow *reg;
	const struct debtor *deb;
	struct line **lines;
	size_t nlines;
	struct offset *offs;
	size_t noffs;
	int64_t gross, offset, net;
	int status, reason;
	char ref[36];
	/*
	 * The end of its lines' rows in the day's ledger (status to
	 * reason, TAB-separated), made for the status ltailst - 1 (0: not made).
	 */
	char ltail[80];
	size_t nltail;
	int ltailst;
};

/* rules.c: the business rules, pure functions. */
int reg_check(const struct psrow *r);
int hold_reason(const struct debtor *d, const struct psrow *r);
int pay_ref(char *buf, const char *date, const char *amc, const char *kind, const char *num);
int pay_refn(char *buf, const char *date, const char *amc, size_t na, const char *kind,
    const char *num, size_t nn);
int item_order(const struct item *a, const struct item *b);
int offsets_apply(struct payee *py, struct item **items, size_t nitems);
void payee_settle(struct payee *py, const char *date);
int32_t months_before(int32_t day, long months);

/*
 * main.c: the business day; the outputs, published together at the end;
 * the checks and columns its readers share.
 */
extern int32_t today;
extern char today_s[DATE_BUFSZ];
struct out {
	struct pub p;
	char *path;
};
extern struct out *outs;	/* they move: kept by index */
struct out *publish(const char *path);
struct out *publishin(const char *dir, const char *name, const char *ext);
void ready(struct out *o);
int isamc(const struct field *f);
int firstday(const char *key, size_t n, int32_t *day);
void needcols(struct ts_reader *r, const char *const *names, int n, int *c);

/*
 * outcomes.c: the lines to pay, made and added; a line's fields from..to,
 * TAB-separated, at p; the date.  The day's outcomes read into them, and
 * the day's lines first received on an earlier day (olds).
 */
extern struct line **lines, **olds;
extern size_t nlines, nolds;
extern uint64_t nout;
struct line *mkline(struct arena *ar, const struct field *f, const int *c, int32_t decided, int64_t amt, int carried);
void addline(struct line *l);
char *line_tabs(char *p, const char *from, const char *to);
size_t decided_fmt(int32_t day, char *buf);

/* decided_fmt, the day's date (most lines') without a call. */
static inline size_t
decided_at(int32_t day, char *buf)
{
	if (day == today) {
		memcpy(buf, today_s, DATE_BUFSZ);
		return DATE_BUFSZ - 1;
	}
	return decided_fmt(day, buf);
}
void readoutcomes(const char *path);

/*
 * ledger.c: the ledger of the day before, its segments opened and
 * searched, its lines held read; the day's ledger written, the segments
 * carried.  What it counted, for the summary and the message.
 */
extern char *heldpath;
extern size_t nsegs;
extern uint64_t nalready, nsearched, nsegread, nlinked, ndropped;
extern int64_t already_eur;
void ledgeropen(const char *dir, int32_t cutoff);
void ledgerpaid(void);
void ledgerheld(const char *path);
void wledger(const char *dir, const char *pname, const char *meta, int64_t held, int64_t paid);
void ledgercarry(const char *dir);

/*
 * Whether n bytes at a and at b are the same: 8 at a time, inline (a
 * memcmp call a line, on short strings, cost more than the compare).
 */
static inline int
samebytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	for (; n > 0; n--)
		if (*a++ != *b++)
			return 0;
	return 1;
}

/* memcmp's order on n bytes, as samebytes: -1, 0 or 1. */
static inline int
cmpbytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; n -= 8, a += 8, b += 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return be64toh(x) < be64toh(y) ? -1 : 1;
	}
	for (; n > 0; n--, a++, b++)
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
	return 0;
}

/* order.c: the orders of the lines, (amc, key) and by PS. */
int linecmp(const void *a, const void *b);
void lines_sort(struct line **v, size_t n);
int lines_order(struct line **v, size_t n);
size_t lines_bypayee(struct line *const *src, struct line **v, size_t n, size_t *start);

/*
 * sepa.c: a client's pain.001.001.03 file, its tree built before the
 * offsets (sepa_build), made the file once they are known (sepa_write),
 * checked.
 */
struct sepatx {
	const struct payee *py;
	xmlNodePtr tx, amt, ustrd;	/* its CdtTrfTxInf; InstdAmt's, Ustrd's texts */
};
struct sepa {
	xmlDocPtr doc;		/* the tree serialized into xml, until checked */
	struct sepatx *txs;	/* the transfers built, until written */
	size_t npy;
	xmlNodePtr nb[2], ctl[2];	/* the texts of NbOfTxs and CtrlSum */
	unsigned char *xml;
	size_t len;
	uint64_t wantn;		/* the transfers meant */
	int64_t wantsum;
	uint64_t ntx;
	int64_t sum;		/* the InstdAmt read back from the document */
};
xmlSchemaPtr sepa_schema(void);
void sepa_build(struct sepa *s, const char *date, const struct debtor *deb,
    struct payee *const *pys, size_t npy);
void sepa_drop(struct sepa *s);
void sepa_write(struct sepa *s, const char *date, const char *name);
int sepa_check(struct sepa *s, xmlSchemaPtr schema, const char *name, char *err, size_t errsz);

/* statements.c: the remittance statements and the funding statements. */
void remit_page(int fd, const char *path, const char *date, const struct payee *py);
void remit_write(int fd, const char *path, int tfd, const char *tpath, const char *date,
    struct payee *const *pys, size_t npy);
