/*
 * The PS register (tiers-ps(5)): who each PS is, how it is paid, and
 * whether it adheres to OPTAM, row by row in effect by dates.  Read by
 * payment-edit (the bank details) and liquidate (OPTAM).
 */
#ifndef TIERS_PSREG_H
#define TIERS_PSREG_H

#include <stddef.h>
#include <stdint.h>

/* A row: optam 1 adheres, 0 does not, -1 not said. */
struct psrow {
	char *kind, *num, *am, *siret, *name, *iban, *bic;
	int32_t from, to;	/* to: INT32_MAX when open */
	int optam;
	int reason;		/* the reader's user may note a verdict here */
	long line;
};
struct psreg {
	struct psrow *r;	/* sorted by kind, number, from */
	size_t n;
};

/* Read a register whole; a file that is not one: die_at, EX_DATAERR. */
void psreg_read(struct psreg *g, const char *path);
/* The row of a PS in effect at day, or NULL. */
const struct psrow *psreg_find(const struct psreg *g, const char *kind, size_t kn,
    const char *num, size_t nn, int32_t day);
void psreg_free(struct psreg *g);

#endif
