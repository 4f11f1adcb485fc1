/*
 * libxml2's memory, for a Norme V3 file's validation: its small blocks
 * kept for reuse by size, as it frees them.
 *
 * The schema's validation allocates and frees a few blocks an element
 * (the content model's execution context, its rollbacks and the names
 * they save: xmlregexp.c), a dozen at a time, more than malloc's
 * per-thread cache holds: malloc and free were a tenth of the
 * instructions of a file (callgrind, 4.5 MB of Norme V3).  Here a block
 * of up to 256 bytes goes back to a list of its size class (16 bytes a
 * class), and is taken again from it; larger ones are malloc's.  The
 * lists are the thread's; nothing is given back before the exit (the
 * lists hold what libxml2 held at most at once: one CONTRAT's elements).
 * Set before libxml2 allocates anything (xmlMemSetup); a sanitizer's
 * build keeps malloc's, to see libxml2's blocks one by one.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlmemory.h>

#include "benef.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XM_SAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define XM_SAN 1
#endif
#endif

#ifndef XM_SAN
#define NCLASS 16
#define STEP 16
#define HDR 16		/* the block's class, before it; keeps malloc's alignment */

static _Thread_local void *freel[NCLASS];

static void *
xm_malloc(size_t n)
{
	size_t c = n > 0 ? (n - 1) / STEP : 0;
	char *p;

	if (c < NCLASS && (p = freel[c]) != NULL) {
		freel[c] = *(void **)p;
		return p;
	}
	if (c >= NCLASS)
		c = NCLASS;
	if ((p = malloc(HDR + (c < NCLASS ? (c + 1) * STEP : n))) == NULL)
		return NULL;
	*(size_t *)p = c;
	return p + HDR;
}

static void
xm_free(void *v)
{
	char *p = v;
	size_t c;

	if (p == NULL)
		return;
	if ((c = *(size_t *)(p - HDR)) < NCLASS) {
		*(void **)p = freel[c];
		freel[c] = p;
	} else
		free(p - HDR);
}

static void *
xm_realloc(void *v, size_t n)
{
	char *p = v, *q;
	size_t c;

	if (p == NULL)
		return xm_malloc(n);
	if ((c = *(size_t *)(p - HDR)) == NCLASS) {
		if ((q = realloc(p - HDR, HDR + n)) == NULL)
			return NULL;
		return q + HDR;
	}
	if (n <= (c + 1) * STEP)
		return p;
	if ((q = xm_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, (c + 1) * STEP);
	xm_free(p);
	return q;
}

static char *
xm_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = xm_malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}
#endif

/* 0, or -1 if libxml2 refused the functions. */
int
bi_xml_memory(void)
{
#ifndef XM_SAN
	return xmlMemSetup(xm_free, xm_malloc, xm_realloc, xm_strdup);
#else
	return 0;
#endif
}
