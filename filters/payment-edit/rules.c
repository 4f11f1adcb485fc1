/*
 * The rules of paying the PS (general conditions 3.3 and annex 7), as
 * pure functions:
 *
 * - a PS is paid on the register row in effect on the business day, if
 *   its identifiers and bank details check: else its payments are held
 *   (not dropped), and paid the first day they do;
 * - a client's payments go out of its paying account: a client without
 *   one has its payments held the same way;
 * - one transfer per PS, client and day, of its lines less the offsets
 *   of its open indus items that the client allows to offset, oldest
 *   first; an item is offset at most what is left of it, and the
 *   offsets at most what the transfer had: what is left stays open in
 *   the indus ledger for the next payments;
 * - the transfer's reference (a SEPA end-to-end identification) is TP,
 *   the day, the client and the PS (the first letter of its kind, M for
 *   AM, and its number), as reject-code(1) gives it the day's paid lines.
 */
#include <stdio.h>
#include <string.h>

#include "pay.h"

const char *const reasons[NR] = {
	"", "no-account", "no-register", "bad-id", "bad-am", "bad-siret",
	"no-name", "no-iban", "bad-iban", "bad-bic"
};
const char *const statuses[NS] = { "paid", "offset", "held" };

static int
isnum(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789") == n;
}

/* Whether a register row is fit to pay on: R_NONE, or why not. */
int
reg_check(const struct psrow *r)
{
	size_t n = strlen(r->num);
	char nm[71];

	if (strcmp(r->kind, "RPPS") == 0 ? !rpps_valid(r->num, n) :
	    strcmp(r->kind, "FINESS") == 0 ? !finess_valid(r->num, n) :
	    strcmp(r->kind, "ADELI") == 0 ? !adeli_valid(r->num, n) :
	    strcmp(r->kind, "AM") == 0 ? !(n == 9 && isnum(r->num, n)) : 1)
		return R_BADID;
	if (*r->am != '\0' && !(strlen(r->am) == 9 && isnum(r->am, 9)))
		return R_BADAM;
	if (*r->siret != '\0' && !siret_valid(r->siret, strlen(r->siret)))
		return R_BADSIRET;
	if (sepa_text(nm, sizeof nm - 1, r->name, strlen(r->name)) == 0)
		return R_NONAME;
	if (*r->iban == '\0')
		return R_NOIBAN;
	if (!iban_valid(r->iban, strlen(r->iban)))
		return R_BADIBAN;
	if (*r->bic != '\0' && !bic_valid(r->bic, strlen(r->bic)))
		return R_BADBIC;
	return R_NONE;
}

/* Why a PS's payments for a client are held today, or R_NONE. */
int
hold_reason(const struct debtor *d, const struct psrow *r)
{
	if (d == NULL)
		return R_NOACCOUNT;
	if (r == NULL)
		return R_NOREG;
	return r->reason;
}

/*
 * The day's transfer reference to a PS for a client: its length, or -1.
 * TPYYYYMMDD-AMC-KNUM, K the kind's letter (M for AM); put by hand, not
 * by snprintf: it is checked on every line paid (pay_refn, the lengths
 * of amc and num given, not strlen's).
 */
int
pay_refn(char *buf, const char *date, const char *amc, size_t na, const char *kind,
    const char *num, size_t nn)
{
	size_t n = 2 + 8 + 1 + na + 2 + nn;

	if (n > 35)
		return -1;
	memcpy(buf, "TP", 2);
	memcpy(buf + 2, date, 4);
	memcpy(buf + 6, date + 5, 2);
	memcpy(buf + 8, date + 8, 2);
	buf[10] = '-';
	memcpy(buf + 11, amc, na);
	buf[11 + na] = '-';
	buf[12 + na] = kind[0] == 'A' && kind[1] == 'M' && kind[2] == '\0' ? 'M' : kind[0];
	memcpy(buf + 13 + na, num, nn);
	buf[13 + na + nn] = '\0';
	return (int)n;
}

int
pay_ref(char *buf, const char *date, const char *amc, const char *kind, const char *num)
{
	return pay_refn(buf, date, amc, strlen(amc), kind, num, strlen(num));
}

/* Items are offset oldest first, then in the order of their numbers. */
int
item_order(const struct item *a, const struct item *b)
{
	int c;

	if ((c = strcmp(a->amc, b->amc)) != 0 || (c = strcmp(a->kind, b->kind)) != 0 ||
	    (c = strcmp(a->num, b->num)) != 0)
		return c;
	if (a->opened != b->opened)
		return a->opened < b->opened ? -1 : 1;
	return strcmp(a->id, b->id);
}

/*
 * The offsets of a PS's open items against its transfer (items: the
 * PS's, in item_order): each the least of what is left of the item and
 * what is left of the transfer.  Returns how many items were offset.
 */
int
offsets_apply(struct payee *py, struct item **items, size_t nitems)
{
	int64_t room = py->gross, take;
	size_t i;

	py->noffs = 0;
	py->offset = 0;
	for (i = 0; i < nitems && room > 0; i++) {
		take = items[i]->left - items[i]->used;
		if (take <= 0)
			continue;
		if (take > room)
			take = room;
		items[i]->used += take;
		py->offs[py->noffs].it = items[i];
		py->offs[py->noffs++].amt = take;
		room -= take;
		py->offset += take;
	}
	return (int)py->noffs;
}

/* The transfer: its net amount and status, once the offsets are known. */
void
payee_settle(struct payee *py, const char *date)
{
	if (py->reason != R_NONE) {
		py->status = S_HELD;
		py->net = 0;
		py->ref[0] = '\0';
		return;
	}
	py->net = py->gross - py->offset;	/* 0 <= offset <= gross */
	py->status = py->net > 0 ? S_PAID : S_OFFSET;
	if (pay_ref(py->ref, date, py->amc, py->kind, py->num) < 0)
		py->ref[0] = '\0';
}

/* The day so many months before (the day of the month kept, or the last). */
int32_t
months_before(int32_t day, long months)
{
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	m -= (int)(months % 12);
	y -= (int)(months / 12);
	if (m < 1)
		m += 12, y--;
	while (d > 28 && !date_valid(y, m, d))
		d--;
	return date_from_ymd(y, m, d);
}
