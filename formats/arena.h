/*
 * Arenas: memory handed out in blocks from 1 MiB chunks and freed all
 * at once; for the many small strings and records a run keeps to its
 * end.  Every block is aligned for any struct of the library's.
 */
#ifndef TIERS_ARENA_H
#define TIERS_ARENA_H

#include <stddef.h>

struct field;

struct arena {
	char *p;
	size_t left;
	void **chunk;		/* the last chunk; its first word, the one before */
};

/* n bytes of a (never NULL: dies out of memory). */
char *arena_in(struct arena *a, size_t n);
/* Every chunk of a freed; a is empty again. */
void arena_free(struct arena *a);
/* The bytes of a field, NUL-ended, in a. */
const char *fdup_in(struct arena *a, const struct field *f);

#endif
