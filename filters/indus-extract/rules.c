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
 * 3.1.4, second case, again: an act already paid to the PS that a
 * retroactive radiation puts outside the beneficiary's rights is owed by
 * the beneficiary, recovered through the client, as a card kept is.
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

/*
 * The acts a beneficiary's movements of the day put outside his rights,
 * dated after lo and up to hi: 1 when there are.  The rights now end
 * where the last movement says (a radiation undone by a later entry of
 * the day gives its window back); the acts cut off are those up to the
 * latest end a retroactive radiation took away, the day at most, an open
 * end the day.
 */
int
retro_window(const struct move *mv, size_t n, int32_t day, int32_t *lo, int32_t *hi)
{
	size_t i;
	int any = 0;

	*hi = NODATE;
	for (i = 0; i < n; i++)
		if (mv[i].retro) {
			any = 1;
			if (mv[i].oldend > *hi)
				*hi = mv[i].oldend;
		}
	if (!any || n == 0 || mv[n - 1].newend == OPENEND)
		return 0;
	*lo = mv[n - 1].newend;
	if (*hi > day)
		*hi = day;
	return *lo < *hi;
}

/*
 * Rights given back: when one of a beneficiary's movements of the day
 * ends his rights later than before (a radiation sent by mistake and
 * corrected, an end moved later), they now end where the last says: 1,
 * and that end in *end.  An item a retroactive radiation opened for an
 * act up to it is covered again (retro_covered), and withdrawn.  Not a
 * radiation whose end moves later: benef-integrate radiates a contract
 * that leaves the state OU whatever its end, and a closed contract gives
 * no rights back.
 */
int
retro_restore(const struct move *mv, size_t n, int32_t *end)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mv[i].radiate && mv[i].newend > mv[i].oldend) {
			*end = mv[n - 1].newend;
			return 1;
		}
	return 0;
}

int
retro_covered(int32_t act, int32_t end)
{
	return act <= end;
}

/*
 * What becomes of a line of the beneficiary's, read in the store from
 * the day after lo on: kind, how its own claim paid it (-1: not read, it
 * was paid before); net, what is left paid on it.  An item (RT_ITEM) for
 * an act within the window paid to the PS with something left: a line
 * paid on a card kept is the beneficiary's already (LQ03, RT_CARD); one
 * cancelled, rejected by the AMO or taken by an earlier radiation has
 * nothing left (RT_NONE).
 */
int
retro_owed(int kind, int32_t act, int64_t net, int32_t lo, int32_t hi)
{
	if (kind < 0)
		return RT_UNPAID;
	if (act <= lo)
		return RT_BEFORE;
	if (act > hi)
		return RT_AFTER;
	if (kind == PK_PSREC)
		return RT_CARD;
	if (net <= 0)
		return RT_NONE;
	return RT_ITEM;
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
	/* The client allows it, and the beneficiary's contract does not refuse it. */
	return it->debtor == DB_PS && pa->compensation && it->left > 0 &&
	    !(it->s[S_COMP].n == 1 && it->s[S_COMP].p[0] == '0');
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
