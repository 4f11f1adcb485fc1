/*
 * The CRC-32 of zlib's crc32(), by carry-less multiplication where the
 * CPU has it (x86-64's PCLMULQDQ): the seals of the streams (stream.c,
 * lines.c) checksum every byte read and written, and zlib's tables took
 * a fifth of a filter's time.  The folding is Intel's ("Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction",
 * Gopal et al., 2009) for the reflected polynomial 0xedb88320, four
 * sixteen-byte lanes at a time; the bytes that do not fill sixteen, and
 * CPUs without the instruction, go to zlib.
 */
#include "tiers.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <wmmintrin.h>

#define CLMUL_OK 1

/* x times its constants, folded onto the sixteen bytes d. */
__attribute__((target("pclmul,sse2")))
static inline __m128i
fold16(__m128i x, __m128i d, __m128i k)
{
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
	    _mm_clmulepi64_si128(x, k, 0x11)), d);
}

/* crc, zlib's inverted, over n bytes (64 at least, a multiple of 16). */
__attribute__((target("pclmul,sse2")))
static uint32_t
clmul(uint32_t crc, const unsigned char *p, size_t n)
{
	/*
	 * The paper's constants for this polynomial (powers of x modulo
	 * it, reflected, as Linux's crc32-pclmul has them): folds of 64
	 * bytes, of 16, to 32 bits, and Barrett's reduction (P and mu).
	 */
	const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
	const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
	const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124LL);
	const __m128i pu = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
	const __m128i lo32 = _mm_set_epi32(0, 0, 0, -1);
	__m128i x1, x2, x3, x4, t;

#define LOAD(q) _mm_loadu_si128((const __m128i *)(const void *)(q))
	x1 = _mm_xor_si128(LOAD(p), _mm_cvtsi32_si128((int)crc));
	x2 = LOAD(p + 16);
	x3 = LOAD(p + 32);
	x4 = LOAD(p + 48);
	for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
		x1 = fold16(x1, LOAD(p), k1k2);
		x2 = fold16(x2, LOAD(p + 16), k1k2);
		x3 = fold16(x3, LOAD(p + 32), k1k2);
		x4 = fold16(x4, LOAD(p + 48), k1k2);
	}
	x1 = fold16(x1, x2, k3k4);
	x1 = fold16(x1, x3, k3k4);
	x1 = fold16(x1, x4, k3k4);
	for (; n >= 16; p += 16, n -= 16)
		x1 = fold16(x1, LOAD(p), k3k4);
#undef LOAD
	/* 128 bits to 64, to 32 (with 32 zero bits appended), then Barrett. */
	t = _mm_clmulepi64_si128(k3k4, x1, 0x01);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), t);
	t = _mm_and_si128(x1, lo32);
	x1 = _mm_srli_si128(x1, 4);
	x1 = _mm_xor_si128(x1, _mm_clmulepi64_si128(t, k5, 0x00));
	t = _mm_and_si128(x1, lo32);
	t = _mm_clmulepi64_si128(t, pu, 0x10);
	t = _mm_and_si128(t, lo32);
	t = _mm_clmulepi64_si128(t, pu, 0x00);
	x1 = _mm_xor_si128(x1, t);
	return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(x1, 4));
}
#endif

uint32_t
crc32_buf(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t k;

#ifdef CLMUL_OK
	if (n >= 64 && __builtin_cpu_supports("pclmul")) {
		k = n & ~(size_t)15;
		crc = ~clmul(~crc, p, k);
		p += k;
		n -= k;
	}
#endif
	for (; n > 0; p += k, n -= k) {
		k = n < (1U << 30) ? n : (1U << 30);
		crc = (uint32_t)crc32(crc, (const Bytef *)p, (uInt)k);
	}
	return crc;
}
