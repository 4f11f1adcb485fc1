/*
 * The CRC-32 of zlib's crc32(), by libdeflate's: the seals of the
 * streams (stream.c, lines.c) checksum every byte read and written, and
 * zlib 1.2.13's tables took a fifth of a filter's instructions, where
 * libdeflate folds sixteen bytes at a time with the CPU's carry-less
 * multiplication when it has one (chosen at run time).  The same
 * checksum: gzip's polynomial, 0 to start, one call continuing another;
 * t0100-unit checks it against zlib's.  zlib still combines them
 * (crc32_combine) and reads and writes gzip.
 */
#include <libdeflate.h>

#include "tiers.h"

uint32_t
crc32_buf(uint32_t crc, const void *buf, size_t n)
{
	return libdeflate_crc32(crc, buf, n);
}
