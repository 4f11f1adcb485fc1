/*
 * Act-code tables (tiers-acts(5)): which care domain each act code of a
 * claim belongs to, as data.  The built-in table is formats/acts/acts.tsv,
 * embedded at build time; a client's table replaces it.  The loader
 * knows the syntax, not the domains: the program checks those.
 */
#ifndef TIERS_ACTS_H
#define TIERS_ACTS_H

#include <stddef.h>
#include <stdint.h>

#define ACT_CODESZ 16	/* a code: 1 to 15 characters */
#define ACT_DOMSZ 8	/* a domain: 2 to 7 capital letters */
enum { ACT_FRAME = 1, ACT_LENS = 2 };	/* the part column */

struct act {
	char code[ACT_CODESZ];
	char dom[ACT_DOMSZ];
	int part;		/* optics: ACT_FRAME, ACT_LENS, or 0 */
	int64_t plv;		/* 100 % Santé: the regulated price a unit, cents; -1 none */
	long line;		/* in its table */
};
struct acts {
	struct act *a;		/* sorted on code, in byte order */
	size_t n;
};

/*
 * Load the table text (NUL-ended) from source: 0, or -1 with *line the
 * line (0 the whole text), *field the column and err the reason.
 */
int acts_load(struct acts *t, const char *text, long *line, const char **field,
    char *err, size_t errn);
void acts_free(struct acts *t);
/* The entry of the code of n bytes, or -1. */
long acts_find(const struct acts *t, const char *code, size_t n);

/* formats/acts/acts.tsv, built in. */
extern const char acts_builtin[];

#endif
