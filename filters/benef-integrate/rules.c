/*
 * The rules a beneficiary's entry keeps by itself, whatever file it came
 * from (tiers-benef(5)): codes known, NIR keys right, dates that exist
 * and in order, products that do not overlap; then the columns derived
 * from it (products, rights, reconciliation keys).  The rules that need
 * the master are main.c's merge.  And the small helpers of the readers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tiers.h"
#include "benef.h"

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
const struct bi_reject bi_rejects[NREJECT] = {
	{ "BI01", "NIR malformed or its key wrong" },
	{ "BI02", "dates out of order" },
	{ "BI03", "birth date missing, malformed or after the business date" },
	{ "BI04", "rang de naissance not 1 to 9" },
	{ "BI05", "product periods of the same order overlap" },
	{ "BI06", "unknown code" },
	{ "BI07", "movement for a beneficiary unknown to the master" },
	{ "BI08", "rows of one beneficiary disagree" },
	{ "BI09", "required field missing" },
	{ "BI10", "date malformed" },
	{ "BI11", "no NIR: neither the beneficiary's nor its insured's" },
	{ "BI12", "RIB malformed or its key wrong" }
};

/* ---------- small helpers ---------- */

const char *
bi_base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

void
bi_setf(char *dst, const char *s, size_t n)
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
int
bi_optdate(const char *s, int32_t *d, int32_t dflt)
{
	if (*s == '\0') {
		*d = dflt;
		return 1;
	}
	return date_parse(s, strlen(s), d) == 0;
}

/* What vmsg (formats/diag.c) writes after "prog: ", into msg. */
void
bi_msg(char *msg, size_t msgsz, const char *path, long line, const char *field,
    const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (line > 0)
		n = (size_t)snprintf(msg, msgsz, "%s:%ld: ", path, line);
	else
		n = (size_t)snprintf(msg, msgsz, "%s: ", path);
	if (field != NULL && n < msgsz)
		n += (size_t)snprintf(msg + n, msgsz - n, "%s: ", field);
	if (n < msgsz) {
		va_start(ap, fmt);
		vsnprintf(msg + n, msgsz - n, fmt, ap);
		va_end(ap);
	}
}

/*
 * The rules an entry keeps by itself; then its derived columns.  Returns
 * 0, or -1 once rejected to the sink.
 */
/*
 * Text built by hand where bi_check runs once a beneficiary (printf's
 * parsing of its formats was a tenth of its time): at most max bytes of
 * s at dst[at], cut at cap - 1, NUL-terminated; the new length, or
 * cap if s did not fit whole.
 */
static size_t
cat(char *dst, size_t at, size_t cap, const char *s, size_t max)
{
	size_t n = strnlen(s, max), fit = n;

	if (at >= cap)
		return cap;
	if (at + fit >= cap)
		fit = cap - 1 - at;
	memcpy(dst + at, s, fit);
	dst[at + fit] = '\0';
	return fit < n ? cap : at + n;
}

/* An int's decimal digits into buf (24 bytes). */
static const char *
itoa10(int v, char *buf)
{
	char *p = buf + 23;
	unsigned u = v < 0 ? 0U - (unsigned)v : (unsigned)v;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

int
bi_check(struct entry *e, int32_t bizdate, const struct bi_sink *sink)
{
	char buf[64];
	int32_t d1, d2, b;
	int i, j, key;
	size_t n;

	if (!*e->f[M_AMC] || !*e->f[M_CONTRACT] || !*e->f[M_MEMBER]) {
		sink->reject(e, R_MISSING, "client, contract or member reference", sink->arg);
		return -1;
	}
	if (!inlist(e->f[M_STATE], states)) {
		snprintf(buf, sizeof buf, "contract_state %.8s", e->f[M_STATE]);
		sink->reject(e, R_CODE, buf, sink->arg);
		return -1;
	}
	if (!inlist(e->f[M_TYPE], types)) {
		snprintf(buf, sizeof buf, "benef_type %.8s", e->f[M_TYPE]);
		sink->reject(e, R_CODE, buf, sink->arg);
		return -1;
	}
	if (*e->f[M_CARD] && !inlist(e->f[M_CARD], cards)) {
		snprintf(buf, sizeof buf, "card_movement %.8s", e->f[M_CARD]);
		sink->reject(e, R_CODE, buf, sink->arg);
		return -1;
	}
	if (*e->f[M_ACTIVATION] && !inlist(e->f[M_ACTIVATION], activations)) {
		snprintf(buf, sizeof buf, "activation %.8s", e->f[M_ACTIVATION]);
		sink->reject(e, R_CODE, buf, sink->arg);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		const char *v = e->f[i ? M_COMP : M_RESP];

		if (*v && strcmp(v, "0") && strcmp(v, "1")) {
			snprintf(buf, sizeof buf, "%s %.8s", i ? "compensation" : "responsable", v);
			sink->reject(e, R_CODE, buf, sink->arg);
			return -1;
		}
	}
	/* The domains' names (their syntax is the file's to keep). */
	{
		const char *p = e->f[M_DOMAINS], *q;
		char d[8];

		for (; *p != '\0'; p = *q ? q + 1 : q) {
			q = p + strcspn(p, ";");
			n = strcspn(p, ":");
			/* As snprintf's "%.*s": p holds no NUL before n. */
			n = n < 7 ? n : 7;
			memcpy(d, p, n);
			d[n] = '\0';
			if (!inlist(d, domnames)) {
				snprintf(buf, sizeof buf, "domains %s", d);
				sink->reject(e, R_CODE, buf, sink->arg);
				return -1;
			}
		}
	}
	/*
	 * NIRs: the insured's, the beneficiary's; a key is computed if
	 * absent.  A beneficiary known by its own NIR alone is its own
	 * insured.
	 */
	if (!*e->f[M_NIR] && !*e->f[M_NIRKEY] && *e->f[M_BNIR]) {
		memcpy(e->f[M_NIR], e->f[M_BNIR], FLD);
		memcpy(e->f[M_NIRKEY], e->f[M_BNIRKEY], FLD);
		e->f[M_BNIR][0] = e->f[M_BNIRKEY][0] = '\0';
	}
	for (i = 0; i < 2; i++) {
		char *nir = e->f[i ? M_BNIR : M_NIR], *k = e->f[i ? M_BNIRKEY : M_NIRKEY];

		if (*nir == '\0') {
			if (*k != '\0') {
				sink->reject(e, R_NIR, i ? "benef_nir_key without benef_nir" :
				    "nir_key without nir", sink->arg);
				return -1;
			}
			continue;
		}
		if (strlen(nir) != 13 || nir_key(nir, &key) < 0) {
			sink->reject(e, R_NIR, i ? "benef_nir" : "nir", sink->arg);
			return -1;
		}
		if (*k == '\0')
			k[0] = (char)('0' + key / 10 % 10), k[1] = (char)('0' + key % 10), k[2] = '\0';
		if (strlen(k) != 2) {
			sink->reject(e, R_NIR, i ? "benef_nir_key" : "nir_key", sink->arg);
			return -1;
		}
		cat(buf, cat(buf, 0, sizeof buf, nir, 13), sizeof buf, k, 2);
		if (!nir_valid(buf, strlen(buf))) {
			sink->reject(e, R_NIR, i ? "benef_nir" : "nir", sink->arg);
			return -1;
		}
	}
	/*
	 * Every claim names the insured's NIR (DESIGN.md): a beneficiary
	 * without one could not be found by benef-index and liquidate.
	 */
	if (*e->f[M_NIR] == '\0') {
		sink->reject(e, R_NONIR, NULL, sink->arg);
		return -1;
	}
	if (*e->f[M_BIRTH] == '\0' || date_parse(e->f[M_BIRTH], strlen(e->f[M_BIRTH]), &b) < 0 ||
	    b > bizdate) {
		sink->reject(e, R_BIRTH, NULL, sink->arg);
		return -1;
	}
	n = strlen(e->f[M_RANG]);
	if (n != 1 || e->f[M_RANG][0] < '1' || e->f[M_RANG][0] > '9') {
		sink->reject(e, R_RANG, NULL, sink->arg);
		return -1;
	}
	/* Dates: TP validity, suspension, card; products below. */
	for (i = 0; i < 3; i++) {
		static const struct { int s, e; const char *bad, *order; } span[3] = {
			{ M_TPSTART, M_TPEND, "tp_start or tp_end", "tp_start after tp_end" },
			{ M_SUSPSTART, M_SUSPEND, "suspension_start or suspension_end",
			    "suspension_start after suspension_end" },
			{ M_CARDSTART, M_CARDEND, "card_start or card_end", "card_start after card_end" }
		};

		if (!bi_optdate(e->f[span[i].s], &d1, INT32_MIN) ||
		    !bi_optdate(e->f[span[i].e], &d2, INT32_MAX)) {
			sink->reject(e, R_DATE, span[i].bad, sink->arg);
			return -1;
		}
		if (d1 > d2) {
			sink->reject(e, R_DATES, span[i].order, sink->arg);
			return -1;
		}
	}
	/* The account the beneficiary may be paid on: an IBAN, a BIC of 8 or 11. */
	if (*e->f[M_IBAN] && !iban_valid(e->f[M_IBAN], strlen(e->f[M_IBAN]))) {
		sink->reject(e, R_RIB, "rib_iban", sink->arg);
		return -1;
	}
	n = strlen(e->f[M_BIC]);
	if (n != 0 && ((n != 8 && n != 11) || strspn(e->f[M_BIC],
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n)) {
		sink->reject(e, R_RIB, "rib_bic", sink->arg);
		return -1;
	}
	for (i = 0; i < e->nprod; i++) {
		if (e->prod[i].start > e->prod[i].end) {
			sink->reject(e, R_DATES, "product entry after its exit", sink->arg);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (e->prod[i].order == e->prod[j].order &&
			    e->prod[i].start <= e->prod[j].end &&
			    e->prod[j].start <= e->prod[i].end) {
				snprintf(buf, sizeof buf, "order %d", e->prod[i].order);
				sink->reject(e, R_OVERLAP, buf, sink->arg);
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
			char num[24];
			size_t w = 0;

			if (e->prod[i].start == INT32_MIN)
				s1[0] = '\0';
			else
				date_fmt(e->prod[i].start, s1);
			if (e->prod[i].end == INT32_MAX)
				s2[0] = '\0';
			else
				date_fmt(e->prod[i].end, s2);
			if (i > 0)
				w = cat(p, w, room, ",", 1);
			w = cat(p, w, room, itoa10(e->prod[i].order, num), 24);
			w = cat(p, w, room, ":", 1);
			w = cat(p, w, room, e->prod[i].ref, FLD);
			w = cat(p, w, room, ":", 1);
			w = cat(p, w, room, s1, DATE_BUFSZ);
			w = cat(p, w, room, ":", 1);
			w = cat(p, w, room, s2, DATE_BUFSZ);
			if (w >= room) {
				sink->reject(e, R_MISSING, "products: too many or too long", sink->arg);
				return -1;
			}
			p += w;
			room -= w;
			if (e->prod[i].start < rs)
				rs = e->prod[i].start;
			if (e->prod[i].end > re)
				re = e->prod[i].end;
		}
		/* Rights: the products' span within the TP service validity. */
		bi_optdate(e->f[M_TPSTART], &ts, INT32_MIN);
		bi_optdate(e->f[M_TPEND], &te, INT32_MAX);
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
			sink->reject(e, R_DATES, "products outside the TP service validity", sink->arg);
			return -1;
		}
	}
	if (*e->f[M_ADHERENT] == '\0')
		cat(e->f[M_ADHERENT], 0, FLD, e->f[M_CONTRACT], FLD);
	/*
	 * Under the subscriber's NIR, a child's NIR and rang are its
	 * parent's: the birth date tells them apart.
	 */
	n = cat(e->f[M_KNIR], 0, FLD, e->f[M_BNIR][0] ? e->f[M_BNIR] : e->f[M_NIR], 13);
	n = cat(e->f[M_KNIR], n, FLD, e->f[M_RANG], 1);
	if (e->shared)
		cat(e->f[M_KNIR], cat(e->f[M_KNIR], n, FLD, "/", 1), FLD, e->f[M_BIRTH], 10);
	/* The birth date and the rang were checked: 10 and 1 characters. */
	n = cat(e->f[M_KBIRTH], 0, FLD, e->f[M_BIRTH], 10);
	n = cat(e->f[M_KBIRTH], n, FLD, "/", 1);
	n = cat(e->f[M_KBIRTH], n, FLD, e->f[M_RANG], 1);
	n = cat(e->f[M_KBIRTH], n, FLD, "/", 1);
	cat(e->f[M_KBIRTH], n, FLD, e->f[M_ADHERENT], 100);
	return 0;
}

