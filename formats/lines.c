/*
 * Line input over zlib: plain and gzip files alike (gzread passes plain
 * data through), one reused buffer, lines returned in place.  zlib reports
 * a truncated gzip member only through gzerror or gzclose, so both are
 * checked before an end of file is believed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

#define LINES_BUFSZ (1 << 20)
#define GZ_BUFSZ (128 * 1024)

int
lines_open(struct lines *l, const char *path)
{
	int fd;

	memset(l, 0, sizeof *l);
	if (strcmp(path, "-") == 0) {
		if ((fd = dup(0)) < 0)
			return -1;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((l->gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	gzbuffer(l->gz, GZ_BUFSZ);
	l->name = path;
	l->cap = LINES_BUFSZ;
	l->buf = xmalloc(l->cap);
	return 0;
}

/* Refill after keeping the partial line at the start: 1 data, 0 EOF, -1. */
static int
fill(struct lines *l, const char **why)
{
	int n, zerr;
	const char *msg;

	if (l->crcon) {
		l->crc = (uint32_t)crc32(l->crc, (const Bytef *)l->buf + l->crcmark,
		    (uInt)(l->beg - l->crcmark));
		l->crcmark = 0;
	}
	if (l->beg > 0) {
		memmove(l->buf, l->buf + l->beg, l->end - l->beg);
		l->end -= l->beg;
		l->beg = 0;
	}
	if (l->end == l->cap) {
		*why = "line too long";
		return -1;
	}
	n = gzread(l->gz, l->buf + l->end, (unsigned)(l->cap - l->end));
	if (n < 0) {
		msg = gzerror(l->gz, &zerr);
		*why = zerr == Z_ERRNO ? strerror(errno) : msg;
		return -1;
	}
	if (n == 0) {
		msg = gzerror(l->gz, &zerr);
		if (zerr != Z_OK) {
			*why = zerr == Z_BUF_ERROR ? "truncated gzip file" : msg;
			return -1;
		}
		l->eof = 1;
		return 0;
	}
	l->end += (size_t)n;
	return 1;
}

int
lines_next(struct lines *l, char **line, size_t *len, const char **why)
{
	char *p, *nl;
	size_t scanned = 0;
	int r;

	for (;;) {
		p = l->buf + l->beg;
		nl = memchr(p + scanned, '\n', l->end - l->beg - scanned);
		if (nl != NULL) {
			*line = p;
			*len = (size_t)(nl - p);
			l->beg += *len + 1;
			l->lineno++;
			if (*len > LINE_MAX_) {
				*why = "line too long";
				return -1;
			}
			return 1;
		}
		scanned = l->end - l->beg;
		if (scanned > LINE_MAX_) {
			l->lineno++;
			*why = "line too long";
			return -1;
		}
		if (l->eof || (r = fill(l, why)) == 0) {
			if (l->end == l->beg)
				return 0;
			/* A last line without LF is still a line; say so. */
			*line = l->buf + l->beg;
			*len = l->end - l->beg;
			l->beg = l->end;
			l->lineno++;
			l->nonl = 1;
			return 1;
		}
		if (r < 0) {
			l->lineno++;
			return -1;
		}
	}
}

void
lines_close(struct lines *l)
{
	if (l->gz != NULL)
		gzclose_r(l->gz);
	free(l->buf);
	l->gz = NULL;
	l->buf = NULL;
}

void
lines_crc_start(struct lines *l)
{
	l->crcon = 1;
	l->crcmark = l->beg;
	l->crc = (uint32_t)crc32(0L, Z_NULL, 0);
}

uint32_t
lines_crc_upto(struct lines *l, const char *p)
{
	size_t upto = (size_t)(p - l->buf);

	l->crc = (uint32_t)crc32(l->crc, (const Bytef *)l->buf + l->crcmark,
	    (uInt)(upto - l->crcmark));
	l->crcmark = upto;
	return l->crc;
}
