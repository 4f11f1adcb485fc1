/*
 * The rules of the indus, as the general conditions give them, one item
 * at a time.  Nothing here reads or writes a file.
 *
 * 3.1.4, second case: an act paid to the PS on a card the beneficiary
 * kept after his radiation is paid, and recovered from the beneficiary:
 * liquidate(1) says ps-recover, and the item's debtor is the beneficiary,
 * whom the client recovers from (the operator holds no address).
 * 3.1.7: an amount paid to a PS that it was not owed (the AMO rejected
 * or requalified the act, the PS cancelled or regularised it) is
 * recovered from the PS: liquidate(1) says recover-ps.  Where the client
 * allows compensation, it is offset against that PS's next payments for
 * that client; otherwise the PS is asked to pay it back.
 * Annex 8: what is still unrecovered after the client's delay is
 * transferred to the client, which recovers it itself.
 */
#include <string.h>

#include "indus.h"

const char *const dbnames[NDB] = { "benef", "ps" };
const char *const stnames[NST] = {
	"open", "partly-offset", "partly-recovered", "recovered", "transferred", "withdrawn"
};
const char *const agecols[NAGE] = {
	"age_0_30_eur", "age_31_60_eur", "age_61_90_eur", "age_91_eur"
};

static int
is(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* Who owes what a decision recovers: DB_PS, DB_BENEF, or -1 (no indus). */
int
item_debtor(const struct field *dest, int64_t recover)
{
	if (recover <= 0)
		return -1;
	if (is(dest, "recover-ps"))
		return DB_PS;
	if (is(dest, "ps-recover"))
		return DB_BENEF;
	return -1;
}

/*
 * An item handed to the client is closed as transferred; one with
 * nothing left, recovered (by offsets, payments or both); one partly
 * paid back stays open as partly offset when any of it was offset.
 */
int
item_status(const struct item *it)
{
	if (it->transferred > 0)
		return ST_TRANSFERRED;
	if (it->left == 0)
		return it->withdrawn > 0 ? ST_WITHDRAWN : ST_RECOVERED;
	if (it->offset > 0)
		return ST_POFFSET;
	if (it->recovered > 0)
		return ST_PRECOVER;
	return ST_OPEN;
}

/* Only a PS item of a client that allows compensation is offset. */
int
item_offsetable(const struct item *it, const struct params *pa)
{
	return it->debtor == DB_PS && pa->compensation && it->left > 0;
}

/*
 * Past the client's delay for its kind of debtor, counted in calendar
 * days from the day the item opened, what is left goes to the client
 * with the item's history: 1 when it went today.
 */
int
item_transfer(struct item *it, const struct params *pa, int32_t day)
{
	long d = pa->delay[it->debtor];

	if (it->left <= 0 || d < 0 || (long)day - it->opened < d)
		return 0;
	it->ttr += it->left;
	it->transferred += it->left;
	it->left = 0;
	return 1;
}

/* The ageing buckets of the clients' reports: 0-30, 31-60, 61-90, >90 days. */
int
age_bucket(int32_t age)
{
	if (age <= 30)
		return 0;
	if (age <= 60)
		return 1;
	if (age <= 90)
		return 2;
	return 3;
}
