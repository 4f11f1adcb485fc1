/*
 * Multi-buffer SHA-256 (FIPS 180-4): up to 16 independent buffers hashed
 * at once, one in each 32-bit lane of the processor's vectors (AVX-512:
 * 16 lanes, AVX2: 8, SSE2: 4; plain C: 1).
 *
 * Written here and not taken from a library because no library Debian
 * packages does it: OpenSSL hashes one buffer at a time (its multi-block
 * code is internal to its TLS ciphers), and on processors without the SHA
 * extensions that is a third of what the vector lanes give.  libcrypto
 * stays the reference (sha256.c, tiers-sum -r, tiers-verify), and the
 * unit tests compare the two.
 *
 * The rounds are written once, for a vector of any width (GCC's vector
 * extensions), and compiled for each width with the instruction set it
 * needs (target attributes: the build flags do not change); the width is
 * chosen at run time.  A lane's state is ours (h[8], its place), so when
 * the lanes in use fall to a few, they move to a narrower width, where a
 * step costs less: the last big file does not cost 16 lanes' work, and
 * when it is alone it goes on in libcrypto's code for one stream (which
 * is faster than one of our lanes alone; the padding stays ours).
 */
#include <stdlib.h>
#include <string.h>

/* x86-64 only: there SSE2 is always there, and size_t holds any file's size. */
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define MB_X86 1
#endif

/* SHA256_Update on a state of ours: the API OpenSSL 3 marks deprecated. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "tiers.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/*
 * The rounds, for x of any type: a uint32_t or a vector of them (an
 * operation between a vector and a scalar applies the scalar to each
 * lane).  GCC makes the rotations vprord and the three-input functions
 * vpternlogd where AVX-512 has them.
 */
#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define s0(x) (ROR(x, 7) ^ ROR(x, 18) ^ (x) >> 3)
#define s1(x) (ROR(x, 17) ^ ROR(x, 19) ^ (x) >> 10)
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))
#define RND(a, b, c, d, e, f, g, h, i) do { \
	t1 = h + S1(e) + CH(e, f, g) + K[t + (i)] + w[i]; \
	t2 = S0(a) + MAJ(a, b, c); \
	d += t1; \
	h = t1 + t2; \
} while (0)
#define RND8(i) do { \
	RND(a, b, c, d, e, f, g, h, (i)); RND(h, a, b, c, d, e, f, g, (i) + 1); \
	RND(g, h, a, b, c, d, e, f, (i) + 2); RND(f, g, h, a, b, c, d, e, (i) + 3); \
	RND(e, f, g, h, a, b, c, d, (i) + 4); RND(d, e, f, g, h, a, b, c, (i) + 5); \
	RND(c, d, e, f, g, h, a, b, (i) + 6); RND(b, c, d, e, f, g, h, a, (i) + 7); \
} while (0)

/*
 * The body of a compression function of width W over the vector type V:
 * n blocks for each of the W lanes of st (st[i][j]: word i of lane j),
 * lane j reading its blocks one after the other from p[j].  LOAD(w, q)
 * sets w[0..15] to the big-endian words of the blocks at q[0..W-1].
 */
#define COMPRESS(V, W, LOAD) \
	const unsigned char *q[W]; \
	V a, b, c, d, e, f, g, h, t1, t2, w[16], v[8]; \
	int i, j, t; \
	for (i = 0; i < 8; i++) \
		memcpy(&v[i], st[i], sizeof v[i]); \
	for (j = 0; j < W; j++) \
		q[j] = p[j]; \
	for (; n > 0; n--) { \
		LOAD(w, q); \
		for (j = 0; j < W; j++) \
			q[j] += 64; \
		a = v[0], b = v[1], c = v[2], d = v[3]; \
		e = v[4], f = v[5], g = v[6], h = v[7]; \
		_Pragma("GCC unroll 4") \
		for (t = 0; t < 64; t += 16) { \
			if (t > 0) \
				for (i = 0; i < 16; i++) \
					w[i] += s1(w[(i + 14) & 15]) + w[(i + 9) & 15] + \
					    s0(w[(i + 1) & 15]); \
			RND8(0); \
			RND8(8); \
		} \
		v[0] += a, v[1] += b, v[2] += c, v[3] += d; \
		v[4] += e, v[5] += f, v[6] += g, v[7] += h; \
	} \
	for (i = 0; i < 8; i++) \
		memcpy(st[i], &v[i], sizeof v[i])

static uint32_t
be32(const unsigned char *s)
{
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

#define LOAD1(w, q) do { \
	for (i = 0; i < 16; i++) \
		w[i] = be32(q[0] + 4 * i); \
} while (0)

static void
compress1(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(uint32_t, 1, LOAD1);
}

#ifdef MB_X86
typedef uint32_t v4u __attribute__((vector_size(16)));
typedef uint32_t v8u __attribute__((vector_size(32)));
typedef uint32_t v16u __attribute__((vector_size(64)));

/* Each lane's words from big-endian: bytes swapped within each word. */
#define BSWAP(x) (ROR((x) & 0x00ff00ffU, 8) | ROR((x) & 0xff00ff00U, 24))

/*
 * The words of four rows r[0..3] of four words, transposed by 128-bit
 * lane (r[k]'s word j to u[j]'s word k): SSE2's, AVX2's and AVX-512's
 * unpacks do the same in each 128 bits.
 */
#define T4(U32LO, U32HI, U64LO, U64HI, r, u) do { \
	t0 = U32LO(r[0], r[1]), t1_ = U32HI(r[0], r[1]); \
	t2_ = U32LO(r[2], r[3]), t3 = U32HI(r[2], r[3]); \
	u[0] = U64LO(t0, t2_), u[1] = U64HI(t0, t2_); \
	u[2] = U64LO(t1_, t3), u[3] = U64HI(t1_, t3); \
} while (0)

#define LOAD4(w, q) do { \
	__m128i r[4], u[4], t0, t1_, t2_, t3; \
	int k_, l_; \
	for (k_ = 0; k_ < 4; k_++) { \
		for (l_ = 0; l_ < 4; l_++) \
			r[l_] = _mm_loadu_si128((const __m128i *)(const void *)(q[l_] + 16 * k_)); \
		T4(_mm_unpacklo_epi32, _mm_unpackhi_epi32, _mm_unpacklo_epi64, \
		    _mm_unpackhi_epi64, r, u); \
		for (l_ = 0; l_ < 4; l_++) \
			w[4 * k_ + l_] = BSWAP((v4u)u[l_]); \
	} \
} while (0)

#define LOAD8(w, q) do { \
	__m256i r[8], u[8], t0, t1_, t2_, t3; \
	int k_, l_; \
	for (k_ = 0; k_ < 2; k_++) { \
		for (l_ = 0; l_ < 8; l_++) \
			r[l_] = _mm256_loadu_si256((const __m256i *)(const void *)(q[l_] + 32 * k_)); \
		T4(_mm256_unpacklo_epi32, _mm256_unpackhi_epi32, _mm256_unpacklo_epi64, \
		    _mm256_unpackhi_epi64, r, u); \
		T4(_mm256_unpacklo_epi32, _mm256_unpackhi_epi32, _mm256_unpacklo_epi64, \
		    _mm256_unpackhi_epi64, (r + 4), (u + 4)); \
		for (l_ = 0; l_ < 4; l_++) { \
			w[8 * k_ + l_] = BSWAP((v8u)_mm256_permute2x128_si256(u[l_], u[4 + l_], 0x20)); \
			w[8 * k_ + 4 + l_] = BSWAP((v8u)_mm256_permute2x128_si256(u[l_], u[4 + l_], 0x31)); \
		} \
	} \
} while (0)

#define LOAD16(w, q) do { \
	__m512i r[16], u[16], t0, t1_, t2_, t3, x_, y_, z_, m_; \
	int l_; \
	for (l_ = 0; l_ < 16; l_++) \
		r[l_] = _mm512_loadu_si512((const void *)q[l_]); \
	for (l_ = 0; l_ < 16; l_ += 4) \
		T4(_mm512_unpacklo_epi32, _mm512_unpackhi_epi32, _mm512_unpacklo_epi64, \
		    _mm512_unpackhi_epi64, (r + l_), (u + l_)); \
	for (l_ = 0; l_ < 4; l_++) { \
		x_ = _mm512_shuffle_i32x4(u[l_], u[4 + l_], 0x44); \
		y_ = _mm512_shuffle_i32x4(u[l_], u[4 + l_], 0xee); \
		z_ = _mm512_shuffle_i32x4(u[8 + l_], u[12 + l_], 0x44); \
		m_ = _mm512_shuffle_i32x4(u[8 + l_], u[12 + l_], 0xee); \
		w[l_] = BSWAP((v16u)_mm512_shuffle_i32x4(x_, z_, 0x88)); \
		w[4 + l_] = BSWAP((v16u)_mm512_shuffle_i32x4(x_, z_, 0xdd)); \
		w[8 + l_] = BSWAP((v16u)_mm512_shuffle_i32x4(y_, m_, 0x88)); \
		w[12 + l_] = BSWAP((v16u)_mm512_shuffle_i32x4(y_, m_, 0xdd)); \
	} \
} while (0)

static void
compress4(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(v4u, 4, LOAD4);
}

/* Where AVX-512 has the same for 128 and 256 bits: rotations, ternary logic. */
__attribute__((target("avx2,avx512f,avx512vl"))) static void
compress4vl(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(v4u, 4, LOAD4);
}

__attribute__((target("avx2"))) static void
compress8(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(v8u, 8, LOAD8);
}

__attribute__((target("avx2,avx512f,avx512vl"))) static void
compress8vl(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(v8u, 8, LOAD8);
}

__attribute__((target("avx512f"))) static void
compress16(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	COMPRESS(v16u, 16, LOAD16);
}
#endif

/*
 * One lane alone, by libcrypto: its code for one stream (assembly, with
 * the SHA extensions where the processor has them) is twice as fast as
 * a lane of ours alone.  Whole blocks only: the padding is ours.
 */
static void
compress1crypto(uint32_t st[8][16], const unsigned char *const *p, size_t n)
{
	SHA256_CTX c;
	int i;

	memset(&c, 0, sizeof c);
	for (i = 0; i < 8; i++)
		c.h[i] = st[i][0];
	SHA256_Update(&c, p[0], 64 * n);
	for (i = 0; i < 8; i++)
		st[i][0] = c.h[i];
}

typedef void compressfn(uint32_t st[8][16], const unsigned char *const *p, size_t n);

/*
 * The compression functions this processor runs, ours first for each
 * width, widest first, with what a step (one 64-byte block in each lane)
 * costs: ns of processor time measured on an AVX-512 Xeon at 2.5 GHz
 * without the SHA extensions, 32 MiB a lane, warm, the middle of noisy
 * runs on a shared machine (the functions without AVX-512VL: 8 lanes of
 * AVX2 560 ns, 4 of SSE2 590).  The engine takes the width of least cost
 * a lane (16 here), and as lanes fall idle, the width of least cost that
 * holds those in use: 16 down to 9 lanes, 8 (AVX-512VL) for 8 to 5 (a
 * step of 8 costs nearly as much as one of 16), 4 for 4 to 2, libcrypto
 * for one alone.  With the
 * SHA extensions libcrypto's cost is a guess (no such machine here: 50 ns,
 * 1.3 GB/s): still above 16 lanes of AVX-512 (29 a lane), below 8 of AVX2
 * (70 a lane), where the engine then keeps to one lane, libcrypto's.
 */
struct impl {
	int w;
	compressfn *fn;
	int cost;
	const char *name;
};

static int
impls(struct impl *v)
{
	int n = 0, sha = 0;

#ifdef MB_X86
	unsigned int a, b, c, d;
	int vl;

	__builtin_cpu_init();
	vl = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx2");
	if (__builtin_cpu_supports("avx512f"))
		v[n++] = (struct impl){ 16, compress16, 470, "avx512f" };
	if (vl)
		v[n++] = (struct impl){ 8, compress8vl, 450, "avx512vl" };
	if (__builtin_cpu_supports("avx2"))
		v[n++] = (struct impl){ 8, compress8, 560, "avx2" };
	if (vl)
		v[n++] = (struct impl){ 4, compress4vl, 330, "avx512vl" };
	v[n++] = (struct impl){ 4, compress4, 590, "sse2" };
	sha = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
#endif
	v[n++] = (struct impl){ 1, compress1, 350, "c" };
	v[n++] = (struct impl){ 1, compress1crypto, sha ? 50 : 166, "libcrypto" };
	return n;
}

/*
 * A lane: the whole blocks of its buffer, then its tail (the last part
 * block and the padding), a copy of its own.  Where it is in the tail is
 * a count, not a pointer: a lane moves to another place in the array.
 */
struct lane {
	const unsigned char *next;	/* the buffer's blocks not hashed */
	size_t nblk;			/* how many */
	unsigned char tail[128];
	size_t ntail;			/* blocks of tail: 1 or 2 */
	size_t tdone;			/* of which hashed */
	int state;			/* 0 free, 1 hashing, 2 done, not yet taken */
	size_t id;
	const unsigned char *rel;	/* its pages before given back (sha256mb_release) */
};

struct sha256mb {
	uint32_t st[8][16];	/* word i of lane j's state: st[i][j] */
	const unsigned char *p[16];	/* lane j's next block */
	struct lane lane[16];
	struct impl wd[8];	/* the widths it may use, widest first */
	int nwd;
	int nlane;		/* lanes in use (hashing or done) */
	int maxw;
	size_t release;		/* 0, or bytes hashed in a lane between two releases */
};

int
sha256mb_width(int width)
{
	struct sha256mb *mb = sha256mb_new(width);
	int w = mb->maxw;

	free(mb);
	return w;
}

const char *
sha256mb_impl(int k, int *w)
{
	struct impl v[8];
	int n = impls(v);

	if (k < 0 || k >= n)
		return NULL;
	*w = v[k].w;
	return v[k].name;
}

static struct sha256mb *
mbnew(void)
{
	struct sha256mb *mb = xmalloc(sizeof *mb);

	memset(mb, 0, sizeof *mb);
	return mb;
}

struct sha256mb *
sha256mb_new(int width)
{
	struct sha256mb *mb = mbnew();
	struct impl v[8];
	int i, j, n = impls(v), best = 0;

	if (width != 0) {
		for (i = 0; i < n - 1 && v[i].w > width; i++)
			;
		mb->wd[mb->nwd++] = v[i];
		mb->maxw = v[i].w;
		return mb;
	}
	/* Of each width the cheapest; the widest of least cost a lane. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < mb->nwd && mb->wd[j].w != v[i].w; j++)
			;
		if (j == mb->nwd)
			mb->wd[mb->nwd++] = v[i];
		else if (v[i].cost < mb->wd[j].cost)
			mb->wd[j] = v[i];
	}
	for (j = 1; j < mb->nwd; j++)
		if (mb->wd[j].cost * mb->wd[best].w < mb->wd[best].cost * mb->wd[j].w)
			best = j;
	memmove(mb->wd, mb->wd + best, (size_t)(mb->nwd - best) * sizeof mb->wd[0]);
	mb->nwd -= best;
	mb->maxw = mb->wd[0].w;
	return mb;
}

struct sha256mb *
sha256mb_new_impl(int k)
{
	struct sha256mb *mb = mbnew();
	struct impl v[8];
	int n = impls(v);

	mb->wd[mb->nwd++] = v[k < n ? k : n - 1];
	mb->maxw = mb->wd[0].w;
	return mb;
}

void
sha256mb_free(struct sha256mb *mb)
{
	free(mb);
}

int
sha256mb_room(const struct sha256mb *mb)
{
	return mb->maxw - mb->nlane;
}

void
sha256mb_add(struct sha256mb *mb, const void *buf, size_t n, size_t id)
{
	struct lane *l;
	size_t r = n % 64;
	uint64_t bits = (uint64_t)n * 8;
	int j, i;

	for (j = 0; mb->lane[j].state != 0; j++)
		;
	l = &mb->lane[j];
	memset(l->tail, 0, sizeof l->tail);
	if (r > 0)
		memcpy(l->tail, (const unsigned char *)buf + (n - r), r);
	l->tail[r] = 0x80;
	l->ntail = r < 56 ? 1 : 2;
	for (i = 0; i < 8; i++)
		l->tail[64 * l->ntail - 1 - i] = (unsigned char)(bits >> 8 * i);
	l->next = l->rel = buf;
	l->nblk = n / 64;
	l->tdone = 0;
	l->id = id;
	for (i = 0; i < 8; i++)
		mb->st[i][j] = H0[i];
	l->state = 1;
	mb->nlane++;
}

/* Lane j's digest, its lane freed. */
static void
take(struct sha256mb *mb, int j, size_t *id, unsigned char md[32])
{
	int i;

	for (i = 0; i < 8; i++) {
		md[4 * i] = (unsigned char)(mb->st[i][j] >> 24);
		md[4 * i + 1] = (unsigned char)(mb->st[i][j] >> 16);
		md[4 * i + 2] = (unsigned char)(mb->st[i][j] >> 8);
		md[4 * i + 3] = (unsigned char)mb->st[i][j];
	}
	*id = mb->lane[j].id;
	mb->lane[j].state = 0;
	mb->nlane--;
}

/*
 * Until a lane is done (1, its digest taken) or none is in use (0); with
 * once, a single call of the compression function at most, then -1 if
 * no lane is done yet.
 */
static int
advance(struct sha256mb *mb, size_t *id, unsigned char md[32], int once)
{
	struct lane *l;
	const struct impl *wd;
	size_t n;
	int i, j, k, a, stepped = 0;

	for (;;) {
		for (j = 0; j < mb->maxw; j++)
			if (mb->lane[j].state == 2) {
				take(mb, j, id, md);
				return 1;
			}
		if (mb->nlane == 0)
			return 0;
		if (once && stepped)
			return -1;
		stepped = 1;
		/*
		 * The lanes hashing to the first places, then the width that
		 * costs least for them.
		 */
		for (j = k = 0; j < mb->maxw; j++) {
			if (mb->lane[j].state == 0)
				continue;
			if (j != k) {
				mb->lane[k] = mb->lane[j];
				mb->lane[j].state = 0;
				for (i = 0; i < 8; i++)
					mb->st[i][k] = mb->st[i][j];
			}
			k++;
		}
		a = k;
		wd = &mb->wd[0];
		for (i = 1; i < mb->nwd; i++)
			if (mb->wd[i].w >= a && mb->wd[i].cost < wd->cost)
				wd = &mb->wd[i];
		/* As many blocks as every lane has left before its next turn. */
		n = SIZE_MAX;
		for (j = 0; j < a; j++) {
			l = &mb->lane[j];
			if (l->nblk > 0) {
				mb->p[j] = l->next;
				if (l->nblk < n)
					n = l->nblk;
			} else {
				mb->p[j] = l->tail + 64 * l->tdone;
				if (l->ntail - l->tdone < n)
					n = l->ntail - l->tdone;
			}
		}
		/* Pages given back: no more than a release's bytes a step. */
		if (mb->release > 0 && n > mb->release / 64)
			n = mb->release / 64;
		/* A lane not in use hashes the first lane's blocks for nothing. */
		for (j = a; j < wd->w; j++)
			mb->p[j] = mb->p[0];
		wd->fn(mb->st, mb->p, n);
		for (j = 0; j < a; j++) {
			l = &mb->lane[j];
			if (l->nblk > 0) {
				l->next += 64 * n;
				l->nblk -= n;
				if (mb->release > 0 && (size_t)(l->next - l->rel) >= mb->release)
					l->rel = (const unsigned char *)pages_release(
					    (const char *)l->rel, (const char *)l->next);
			} else if ((l->tdone += n) == l->ntail)
				l->state = 2;
		}
	}
}

int
sha256mb_next(struct sha256mb *mb, size_t *id, unsigned char md[32])
{
	return advance(mb, id, md, 0);
}

int
sha256mb_step(struct sha256mb *mb, size_t *id, unsigned char md[32])
{
	return advance(mb, id, md, 1);
}

void
sha256mb_release(struct sha256mb *mb, size_t bytes)
{
	mb->release = bytes >= 64 ? bytes : 64;
}

void
sha256mb_reset(struct sha256mb *mb)
{
	int j;

	for (j = 0; j < 16; j++)
		mb->lane[j].state = 0;
	mb->nlane = 0;
}

void
sha256_hex(const unsigned char md[32], char hex[SHA256_HEXSZ])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[64] = '\0';
}
