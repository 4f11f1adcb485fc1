/*
 * Arenas (arena.h): bump allocation in chunks, freed together.
 */
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "arena.h"

char *
arena_in(struct arena *a, size_t n)
{
	char *r;
	void **c;

	/* Every block aligned for any struct held here. */
	n = (n + 7) & ~(size_t)7;
	if (n > a->left) {
		a->left = n > (1 << 20) ? n : (1 << 20);
		c = xmalloc(a->left + 16);
		c[0] = a->chunk;
		a->chunk = c;
		a->p = (char *)c + 16;
	}
	r = a->p;
	a->p += n;
	a->left -= n;
	return r;
}

void
arena_free(struct arena *a)
{
	void **c, **prev;

	for (c = a->chunk; c != NULL; c = prev) {
		prev = c[0];
		free(c);
	}
	memset(a, 0, sizeof *a);
}

const char *
fdup_in(struct arena *a, const struct field *f)
{
	char *s = arena_in(a, f->n + 1);

	memcpy(s, f->p, f->n);
	s[f->n] = '\0';
	return s;
}
