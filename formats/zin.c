/*
 * Plain or gzip input, strictly.  zlib's gzread takes a gzip member cut
 * short for an end of file unless gzerror is asked, and skips whatever
 * follows the last member when it does not start another (gzip -t warns
 * "trailing garbage ignored"): bytes nobody reads.  Here the members are
 * inflated one after the other, each checked whole (its CRC-32 and
 * length, by inflate), and the bytes after the last must be nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"

#define ZIN_BUFSZ (128 * 1024)

struct zin {
	int fd;
	int gz;			/* -1 not known yet, 0 plain, 1 gzip */
	int member;		/* inside a gzip member */
	int eof;		/* the file is read to its end */
	int done;
	z_stream s;
	unsigned char buf[ZIN_BUFSZ];
};

struct zin *
zin_open(int fd)
{
	struct zin *z = xmalloc(sizeof *z);

	memset(z, 0, sizeof *z);
	z->fd = fd;
	z->gz = -1;
	return z;
}

/* More raw bytes after those not yet used: 0, or -1 and *why. */
static int
rawfill(struct zin *z, const char **why)
{
	size_t have = z->s.avail_in;
	ssize_t k;

	if (z->eof)
		return 0;
	if (have > 0 && z->s.next_in != z->buf)
		memmove(z->buf, z->s.next_in, have);
	z->s.next_in = z->buf;
	while ((k = read(z->fd, z->buf + have, sizeof z->buf - have)) < 0 && errno == EINTR)
		;
	if (k < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (k == 0)
		z->eof = 1;
	z->s.avail_in = (uInt)(have + (size_t)k);
	return 0;
}

int
zin_read(struct zin *z, char *out, size_t n, const char **why)
{
	size_t k;
	int r;

	if (z->done || n == 0)
		return 0;
	if (n > INT_MAX)
		n = INT_MAX;
	if (z->gz < 0) {
		/* Two bytes tell gzip (1f 8b) from plain text. */
		while (z->s.avail_in < 2 && !z->eof)
			if (rawfill(z, why) < 0)
				return -1;
		z->gz = z->s.avail_in >= 2 && z->buf[0] == 0x1f && z->buf[1] == 0x8b;
		if (z->gz && inflateInit2(&z->s, 15 + 16) != Z_OK)
			die(EX_SOFTWARE, "inflateInit2: out of memory");
	}
	if (!z->gz) {
		/*
		 * A plain file read in large pieces (the line reader's
		 * thread): straight into out, not through buf, a copy the
		 * fewer; as much at a time as through buf, so that no more
		 * of out is touched than was.
		 */
		if (z->s.avail_in == 0 && n >= sizeof z->buf && !z->eof) {
			ssize_t got;

			while ((got = read(z->fd, out, sizeof z->buf)) < 0 && errno == EINTR)
				;
			if (got < 0) {
				*why = strerror(errno);
				return -1;
			}
			if (got == 0) {
				z->eof = 1;
				z->done = 1;
			}
			return (int)got;
		}
		if (z->s.avail_in == 0 && rawfill(z, why) < 0)
			return -1;
		if (z->s.avail_in == 0) {
			z->done = 1;
			return 0;
		}
		k = z->s.avail_in < n ? z->s.avail_in : n;
		memcpy(out, z->s.next_in, k);
		z->s.next_in += k;
		z->s.avail_in -= (uInt)k;
		return (int)k;
	}
	z->s.next_out = (Bytef *)out;
	z->s.avail_out = (uInt)n;
	while (z->s.avail_out == n) {
		if (!z->member) {
			/* Between members: the end, or another member. */
			while (z->s.avail_in < 2 && !z->eof)
				if (rawfill(z, why) < 0)
					return -1;
			if (z->s.avail_in == 0) {
				z->done = 1;
				return 0;
			}
			if (z->s.avail_in < 2 || z->s.next_in[0] != 0x1f || z->s.next_in[1] != 0x8b) {
				*why = "trailing garbage after gzip data";
				return -1;
			}
			if (inflateReset(&z->s) != Z_OK)
				die(EX_SOFTWARE, "inflateReset");
			z->member = 1;
		}
		if (z->s.avail_in == 0) {
			if (rawfill(z, why) < 0)
				return -1;
			if (z->s.avail_in == 0) {
				*why = "truncated gzip file";
				return -1;
			}
		}
		r = inflate(&z->s, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			z->member = 0;
		else if (r != Z_OK && r != Z_BUF_ERROR) {
			*why = r == Z_MEM_ERROR ? "out of memory" :
			    z->s.msg != NULL ? z->s.msg : "bad gzip data";
			return -1;
		}
	}
	return (int)(n - z->s.avail_out);
}

void
zin_close(struct zin *z)
{
	if (z == NULL)
		return;
	if (z->gz > 0)
		inflateEnd(&z->s);
	close(z->fd);
	free(z);
}
