/*
 * The harnesses' helpers (fuzz.h), linked into each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tiers.h"
#include "fuzz.h"

const char *
fz_file(int slot, const void *data, size_t size, int *fdp)
{
	static int fd[2] = { -1, -1 };
	static char path[2][64];
	const char *p = data;
	size_t off = 0;
	ssize_t k;

	if (fd[slot] < 0) {
		if ((fd[slot] = memfd_create("tiers-fuzz", MFD_CLOEXEC)) < 0)
			die(EX_OSERR, "memfd_create: %s", strerror(errno));
		snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
	}
	if (ftruncate(fd[slot], 0) < 0)
		die(EX_OSERR, "ftruncate: %s", strerror(errno));
	while (off < size) {
		if ((k = pwrite(fd[slot], p + off, size - off, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_OSERR, "pwrite: %s", strerror(errno));
		}
		off += (size_t)k;
	}
	if (fdp != NULL)
		*fdp = fd[slot];
	return path[slot];
}

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: property broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
