/*
 * Record streams, as tiers-stream(5) defines them: a header naming the
 * kind, version and columns; TAB-separated UTF-8 records; a trailer with
 * the record count, the control sum of the money columns and the CRC-32
 * of every line before it, header included (format 2, trailer "#end2"),
 * or of every line between header and trailer (format 1, "#end": the
 * archives, still read).  A stream that ends without a trailer that
 * matches what was read is refused: a crashed upstream stage or a
 * truncated copy is never taken for a complete file.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tiers.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#define MAGIC "#tiers"
#define TRAILER "#end"		/* format 1: the header outside the CRC */
#define TRAILER2 "#end2"	/* format 2: the header inside; written */
#define WBUFSZ (1 << 20)
#define SPOOLMEM (64 << 20)	/* a checkpoint's records held in memory */

/* The reader's error at its current line; callers return its -1. */
static int
vbad(struct ts_reader *r, const char *field, const char *fmt, va_list ap)
{
	/* lineno -1: the line of r->line in the mapping (ts_line). */
	r->errline = r->in.lineno > 0 ? r->in.lineno :
	    r->in.lineno < 0 && r->map != NULL ? ts_lineof(r, r->line) : 1;
	r->errfield = field;
	vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
	return -1;
}

static int
bad(struct ts_reader *r, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, field, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_money_name(const char *s, size_t n)
{
	return n > 4 && memcmp(s + n - 4, "_eur", 4) == 0;
}

/*
 * The format of the trailer a line is (1 "#end<TAB>...", 2
 * "#end2<TAB>..."), or 0: the line is not a trailer.
 */
static int
trailertag(const char *line, size_t len)
{
	if (len >= sizeof TRAILER && memcmp(line, TRAILER "\t", sizeof TRAILER) == 0)
		return 1;
	if (len >= sizeof TRAILER2 && memcmp(line, TRAILER2 "\t", sizeof TRAILER2) == 0)
		return 2;
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 (overlong, surrogate...). */
static size_t
utf8len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0xc2)
		return 0;
	else if (s[0] < 0xe0)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] < 0xf0)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] < 0xf5)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/* A bad byte's name for messages (never the data around it). */
static const char *
ctlname(unsigned char c)
{
	switch (c) {
	case '\0':
		return "NUL byte";
	case '\r':
		return "carriage return (CRLF line end?)";
	case 0x7f:
		return "DEL character";
	}
	return c < 0x20 ? "control character" : "invalid UTF-8";
}

/*
 * Is s, n bytes, text a stream field may hold: UTF-8 without control
 * characters (TAB included)?  NULL, or the first bad byte's name.
 */
const char *
text_bad(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (u[i] >= 0x20 && u[i] < 0x7f)
			continue;
		if (u[i] >= 0x80 && (k = utf8len(u + i, n - i)) > 0) {
			i += k - 1;
			continue;
		}
		return ctlname(u[i]);
	}
	return NULL;
}

static int
readline(struct ts_reader *r, char **line, size_t *len)
{
	const char *why;
	int c;

	if ((c = lines_next(&r->in, line, len, &why)) < 0)
		return bad(r, NULL, "%s", why);
	return c;
}

/*
 * The fields ended by the tabs of tab, a mask of the bytes from b: the
 * field being filled g (up to ge; past it counted in over), the one
 * being read starting at st.  need is at least the tabs' count (the
 * mask's width, or its popcount): when there is room for need fields
 * up to gw (r->fbig's past max included), no check a tab.
 */
static inline __attribute__((always_inline)) void
tabfields(uint64_t tab, int need, const char *b, struct field **gp,
    struct field *ge, struct field *gw, const char **stp, int *over)
{
	struct field *g = *gp;
	const char *st = *stp, *t;

	if ((size_t)((const char *)gw - (const char *)g) >= (size_t)need * sizeof *g)
		for (; tab != 0; tab &= tab - 1) {
			t = b + __builtin_ctzll(tab);
			g->p = st;
			g->n = (size_t)(t - st);
			g++;
			st = t + 1;
		}
	else
		for (; tab != 0; tab &= tab - 1) {
			t = b + __builtin_ctzll(tab);
			if (g < ge)
				g->p = st, g->n = (size_t)(t - st), g++;
			else
				(*over)++;
			st = t + 1;
		}
	*gp = g;
	*stp = st;
}

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * A wider step where the processor has AVX2 (64 bytes in two vectors),
 * chosen at run time: the build targets any x86-64.  TIERS_SPLIT=sse2
 * asks for the SSE2 step on any processor (the tests take both).
 *
 * AVX-512BW, tried (64 bytes in one vector, or in two of 32 with
 * AVX-512VL, compares into mask registers, the line's end by a masked
 * load), was slower than AVX2 on this machine's Xeon by 7 to 14 % of
 * split's time (the 512-bit vectors slowed even the other paths), and
 * valgrind cannot count its instructions: not kept.
 */
#define SPLIT_WIDE 1
#include <immintrin.h>

static int splitisa;	/* 0 SSE2, 1 AVX2 */

__attribute__((constructor)) static void
splitpick(void)
{
	const char *e = getenv("TIERS_SPLIT");

	__builtin_cpu_init();
	splitisa = (e == NULL || strcmp(e, "sse2") != 0) &&
	    __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
	    __builtin_cpu_supports("popcnt");
}

/*
 * The masks of 64 bytes at p, as split's SSE2 step makes them of 32:
 * the tabs, and the other bytes that are not printable ASCII (none
 * when those are all two-byte UTF-8 sequences whole in these bytes).
 * sh bytes at the start are not looked at (the masks are shifted
 * right): they stand before the line's last 64 when fewer are left.
 */
__attribute__((target("avx2,bmi,popcnt"))) static inline void
masks2(const unsigned char *p, unsigned sh, uint64_t *tabp, uint64_t *oddp)
{
	const __m256i tb = _mm256_set1_epi8('\t'), one = _mm256_set1_epi8(1);
	const __m256i lim = _mm256_set1_epi8(0x21);
	__m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	uint64_t tab, odd;

	tab = ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, tb)) |
	    (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x1, tb)) << 32) >> sh;
	odd = (((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(lim,
	    _mm256_add_epi8(x0, one))) | (uint64_t)(uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpgt_epi8(lim, _mm256_add_epi8(x1, one))) << 32) >> sh) & ~tab;
	if (odd != 0) {
		const __m256i l0 = _mm256_set1_epi8(-63), l1 = _mm256_set1_epi8(-32);
		const __m256i c0 = _mm256_set1_epi8(-64);
		uint64_t hi = ((uint64_t)(uint32_t)_mm256_movemask_epi8(x0) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(x1) << 32) >> sh;

		if (odd == hi) {
			uint64_t lead = ((uint64_t)(uint32_t)_mm256_movemask_epi8(
			    _mm256_and_si256(_mm256_cmpgt_epi8(x0, l0), _mm256_cmpgt_epi8(l1, x0))) |
			    (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_and_si256(
			    _mm256_cmpgt_epi8(x1, l0), _mm256_cmpgt_epi8(l1, x1))) << 32) >> sh;
			uint64_t cont = ((uint64_t)(uint32_t)_mm256_movemask_epi8(
			    _mm256_cmpgt_epi8(c0, x0)) |
			    (uint64_t)(uint32_t)_mm256_movemask_epi8(
			    _mm256_cmpgt_epi8(c0, x1)) << 32) >> sh;

			/* A lead at the last byte has its continuation elsewhere. */
			if (lead >> 63 == 0 && cont == lead << 1 && (lead | cont) == odd)
				odd = 0;
		}
	}
	*tabp = tab;
	*oddp = odd;
}
#endif

/*
 * Split a line into fields in place; check characters.  Fields may then
 * point into the line: nothing is copied.  The fields past max are
 * counted, not stored; but when f is r->fbig, which has room for 32
 * fields more, they may be written there first, so that the tabs of
 * a step (32 bytes; of 64, when there is room for as many fields as
 * it has tabs) need no check each however few fields are left.  The
 * state is pointers (the field being filled, where the current one
 * starts), not offsets: a field costs a few instructions, and a day's
 * streams have millions of them.  isa is splitisa, a constant in each
 * of split's and record's copies.
 *
 * With eol (a constant too), len is the bytes there are, not the
 * line's: the line ends at the first '\n', its length put in *eolp,
 * found by the steps that look for the tabs (a newline is one of the
 * bytes they stop at), not by a search of its own before them.  No
 * newline in the len bytes, or any byte before it that is not text:
 * 1, and no error set, so that the caller takes the way of a line at
 * a time, its messages and their line numbers.
 */
static inline __attribute__((always_inline)) int
splitin(struct ts_reader *r, const char *what, const char *line, size_t len,
    struct field *f, int max, int *nf, const int isa, const int eol, size_t *eolp)
{
	const unsigned char *s = (const unsigned char *)line;
	const char *st = line, *t;
	struct field *g = f, *const ge = f + (max > 0 ? max : 0);
	struct field *const gw = f != NULL && f == r->fbig && max <= r->ncol ? ge + 32 : ge;
	size_t i, k;
	int over = 0;

	(void)isa;
	for (i = 0; i < len; i++) {
#ifdef SPLIT_WIDE
		/*
		 * 64 bytes at a time, as the 32 below; the last of them (when
		 * there are 64) again with the bytes already looked at left
		 * out of the masks.  Lines shorter go on below.
		 */
		if (isa == 1 && len >= 64) {
			uint64_t tab, odd;
			size_t w;

			while (i < len) {
				if (len - i >= 64) {
					masks2(s + i, 0, &tab, &odd);
					w = 64;
				} else {
					w = len - i;
					masks2(s + len - 64, (unsigned)(64 - w), &tab, &odd);
				}
				if (odd != 0)
					tab &= (odd & -odd) - 1;
				tabfields(tab, __builtin_popcountll(tab), line + i,
				    &g, ge, gw, &st, &over);
				if (odd != 0) {
					i += (size_t)__builtin_ctzll(odd);
					break;
				}
				i += w;
			}
			if (i >= len)
				break;
			goto onebyte;
		}
#endif
#if defined(__SSE2__) && defined(__GNUC__)
		/*
		 * Thirty-two bytes at a time (sixteen for the last of them),
		 * as the eight below.  A byte plus one, compared as signed
		 * bytes, is below 0x21 for a byte below 0x20, DEL and those
		 * from 0x80: the bytes to look at (one compare, not three).
		 * Sixteen bytes stand in for the second sixteen when there
		 * are not 32: 'A's, which are nothing of the kind.
		 */
		while (len - i >= 16) {
			const __m128i tb = _mm_set1_epi8('\t'), one = _mm_set1_epi8(1);
			const __m128i lim = _mm_set1_epi8(0x21);
			__m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i x1 = _mm_set1_epi8('A');
			uint64_t tab, odd;
			size_t w = 16;

			if (len - i >= 32) {
				x1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
				w = 32;
			}
			tab = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x0, tb)) |
			    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x1, tb)) << 16;
			odd = ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(lim,
			    _mm_add_epi8(x0, one))) | (uint64_t)(unsigned)_mm_movemask_epi8(
			    _mm_cmpgt_epi8(lim, _mm_add_epi8(x1, one))) << 16) & ~tab;
			if (odd != 0) {
				/*
				 * Accented letters of French labels are two-byte
				 * sequences: when every byte from 0x80 is a lead
				 * 0xc2-0xdf followed by a continuation 0x80-0xbf,
				 * both in these bytes, they are what utf8len would
				 * take, and the bytes need not be looked at one at
				 * a time (a label's every accent did).
				 */
				const __m128i l0 = _mm_set1_epi8(-63), l1 = _mm_set1_epi8(-32);
				const __m128i c0 = _mm_set1_epi8(-64);
				uint64_t hi = (uint64_t)(unsigned)_mm_movemask_epi8(x0) |
				    (uint64_t)(unsigned)_mm_movemask_epi8(x1) << 16;

				if (odd == hi) {
					uint64_t lead = (uint64_t)(unsigned)_mm_movemask_epi8(
					    _mm_and_si128(_mm_cmpgt_epi8(x0, l0), _mm_cmplt_epi8(x0, l1))) |
					    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_and_si128(
					    _mm_cmpgt_epi8(x1, l0), _mm_cmplt_epi8(x1, l1))) << 16;
					uint64_t cont = (uint64_t)(unsigned)_mm_movemask_epi8(
					    _mm_cmplt_epi8(x0, c0)) |
					    (uint64_t)(unsigned)_mm_movemask_epi8(
					    _mm_cmplt_epi8(x1, c0)) << 16;

					/* 64 bits: a lead at the last byte has no continuation here. */
					if (cont == lead << 1 && (lead | cont) == odd)
						odd = 0;
				}
				if (odd != 0)
					tab &= (odd & -odd) - 1;
			}
			tabfields(tab, 32, line + i, &g, ge, gw, &st, &over);
			if (odd != 0) {
				i += (size_t)__builtin_ctzll(odd);
				break;
			}
			i += w;
		}
		if (i >= len)
			break;
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/*
		 * Eight bytes at a time: exact masks of the tabs and of the
		 * bytes that are not printable ASCII (>= 0x80, < 0x20, DEL).
		 * Tabs before the first such byte end fields; that byte is
		 * then looked at one at a time below.
		 */
		while (len - i >= 8) {
			const uint64_t H = 0x8080808080808080ULL, L = 0x7f7f7f7f7f7f7f7fULL;
			uint64_t x, u, tab, odd;

			memcpy(&x, s + i, 8);
			u = x ^ 0x0909090909090909ULL;
			tab = ~(((u & L) + L) | u) & H;
			u = x ^ L;
			odd = (x & H) | (~((x & L) + 0x6060606060606060ULL) & ~x & H & ~tab) |
			    (~(((u & L) + L) | u) & H);
			if (odd != 0)
				tab &= (odd & -odd) - 1;
			for (; tab != 0; tab &= tab - 1) {
				t = line + i + ((unsigned)__builtin_ctzll(tab) >> 3);
				if (g < ge)
					g->p = st, g->n = (size_t)(t - st), g++;
				else
					over++;
				st = t + 1;
			}
			if (odd != 0) {
				i += (size_t)__builtin_ctzll(odd) >> 3;
				break;
			}
			i += 8;
		}
		if (i >= len)
			break;
#endif
#ifdef SPLIT_WIDE
onebyte:
#endif
		if ((unsigned char)(s[i] - 0x20) < 0x5f)
			continue;
		if (s[i] == '\t') {
			t = line + i;
			if (g < ge)
				g->p = st, g->n = (size_t)(t - st), g++;
			else
				over++;
			st = t + 1;
			continue;
		}
		if (eol && s[i] == '\n') {
			*eolp = len = i;
			goto last;
		}
		if (s[i] >= 0x80 && (k = utf8len(s + i, len - i)) > 0) {
			i += k - 1;
			continue;
		}
		if (eol)
			return 1;
		k = (size_t)(g - f) + (size_t)over;
		return bad(r, what == NULL && k < (size_t)r->ncol ? r->cols[k] : what,
		    "%s", ctlname(s[i]));
	}
	if (eol)
		return 1;
last:
	if (g < ge)
		g->p = st, g->n = (size_t)(line + len - st), g++;
	else
		over++;
	*nf = (int)(g - f) + over;
	return 0;
}

static int
split_sse2(struct ts_reader *r, const char *what, const char *line, size_t len,
    struct field *f, int max, int *nf)
{
	return splitin(r, what, line, len, f, max, nf, 0, 0, NULL);
}

#ifdef SPLIT_WIDE
__attribute__((target("avx2,bmi,popcnt"))) static int
split_avx2(struct ts_reader *r, const char *what, const char *line, size_t len,
    struct field *f, int max, int *nf)
{
	return splitin(r, what, line, len, f, max, nf, 1, 0, NULL);
}

#endif

static inline int
split(struct ts_reader *r, const char *what, const char *line, size_t len,
    struct field *f, int max, int *nf)
{
#ifdef SPLIT_WIDE
	if (splitisa == 1)
		return split_avx2(r, what, line, len, f, max, nf);
#endif
	return split_sse2(r, what, line, len, f, max, nf);
}

int
ts_open(struct ts_reader *r, const char *path, const char *kind, int version)
{
	char *line;
	size_t len, off;
	struct field *hf;
	int nf, i, j;
	long v;

	memset(r, 0, sizeof *r);
	if (lines_open(&r->in, path) < 0) {
		r->in.name = path;
		snprintf(r->errmsg, sizeof r->errmsg, "%s", strerror(errno));
		r->errline = -1;
		return -1;
	}
	if ((i = readline(r, &line, &len)) <= 0)
		return i < 0 ? -1 : bad(r, "header", "empty stream: no header");
	if (len < sizeof MAGIC || memcmp(line, MAGIC "\t", sizeof MAGIC) != 0)
		return bad(r, "header", "not a tiers stream (no #tiers header)");
	hf = xmalloc((TS_MAXCOL + 3) * sizeof *hf);
	if (split(r, "header", line, len, hf, TS_MAXCOL + 3, &nf) < 0) {
		free(hf);
		return -1;
	}
	if (nf < 4 || nf > TS_MAXCOL + 3) {
		free(hf);
		return bad(r, "header", nf < 4 ? "no columns" : "too many columns");
	}
	/* One allocation holds kind, version and column names, NUL-ended. */
	r->hdrlen = len + 1;
	r->hdr = xmalloc(len + 1);
	memcpy(r->hdr, line, len);
	r->hdr[len] = '\0';
	for (i = 0; i < nf; i++) {
		off = (size_t)(hf[i].p - line);
		r->hdr[off + hf[i].n] = '\0';
	}
	if (hf[1].n == 0 || hf[1].n >= sizeof r->kind ||
	    strspn(r->hdr + (hf[1].p - line), "abcdefghijklmnopqrstuvwxyz0123456789-") != hf[1].n) {
		free(hf);
		return bad(r, "header", "bad stream kind");
	}
	memcpy(r->kind, hf[1].p, hf[1].n);
	if (int_parse(hf[2].p, hf[2].n, 1, 99999, &v) < 0) {
		free(hf);
		return bad(r, "header", "bad stream version");
	}
	r->version = (int)v;
	r->ncol = nf - 3;
	r->cols = xmalloc((size_t)r->ncol * sizeof *r->cols);
	r->money = xmalloc((size_t)r->ncol);
	r->mcol = xmalloc((size_t)r->ncol * sizeof *r->mcol);
	r->nmcol = 0;
	for (i = 0; i < r->ncol; i++) {
		r->cols[i] = r->hdr + (hf[i + 3].p - line);
		if (hf[i + 3].n == 0 || strspn(r->cols[i],
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != hf[i + 3].n) {
			free(hf);
			return bad(r, "header", "bad column name");
		}
		for (j = 0; j < i; j++)
			if (strcmp(r->cols[i], r->cols[j]) == 0) {
				free(hf);
				return bad(r, "header", "duplicate column name");
			}
		r->money[i] = is_money_name(r->cols[i], hf[i + 3].n);
		if (r->money[i])
			r->mcol[r->nmcol++] = i;
	}
	free(hf);
	if (kind != NULL && strcmp(kind, r->kind) != 0)
		return bad(r, "header", "stream kind is %s, expected %s", r->kind, kind);
	if (version != 0 && version != r->version)
		return bad(r, "header", "%s stream version %d, expected %d",
		    r->kind, r->version, version);
	r->f = r->fbig = xmalloc((size_t)(r->ncol + 32) * sizeof *r->f);
	r->cents = xmalloc((size_t)r->ncol * sizeof *r->cents);
	memset(r->cents, 0, (size_t)r->ncol * sizeof *r->cents);
	/*
	 * The lines after the header get a CRC of their own, as format 1
	 * seals them; a format 2 trailer's is the header's joined to it
	 * (crc32_combine), which the trailer, read last, asks for or not.
	 */
	r->hcrc = crc32_buf((uint32_t)crc32(0L, Z_NULL, 0), line, len);
	r->hcrc = (uint32_t)crc32(r->hcrc, (const Bytef *)"\n", 1);
	lines_crc_start(&r->in);
	return 0;
}

/*
 * The trailer line against the count, sum and CRC of what was read: r's
 * crc is that of the r->blen bytes of lines after the header, or, given,
 * the seal itself (ts_mapident).  On success r->crc is the trailer's:
 * the seal of the stream.
 */
static int
sealcheck(struct ts_reader *r, const char *line, size_t len, int given)
{
	struct field f[5];
	uint64_t n = 0;
	uint32_t crc = 0, want;
	int64_t sum;
	size_t i;
	int nf, e, fmt = trailertag(line, len);

	if (split(r, "trailer", line, len, f, 5, &nf) < 0)
		return -1;
	if (nf != 4)
		return bad(r, "trailer", "malformed trailer");
	for (i = 0; i < f[1].n; i++) {
		if (f[1].p[i] < '0' || f[1].p[i] > '9' || n > UINT64_MAX / 10 - 9)
			return bad(r, "trailer", "bad record count");
		n = n * 10 + (uint64_t)(f[1].p[i] - '0');
	}
	if (f[1].n == 0)
		return bad(r, "trailer", "bad record count");
	if ((e = money_parse(f[2].p, f[2].n, &sum)) != M_OK)
		return bad(r, "trailer", "control sum: %s", money_strerror(e));
	if (f[3].n != 8)
		return bad(r, "trailer", "bad CRC-32");
	for (i = 0; i < 8; i++) {
		char c = f[3].p[i];

		if (c >= '0' && c <= '9')
			crc = crc << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			crc = crc << 4 | (uint32_t)(c - 'a' + 10);
		else
			return bad(r, "trailer", "bad CRC-32");
	}
	if (n != r->nrec)
		return bad(r, "trailer", "record count %" PRIu64 " but %" PRIu64
		    " records read", n, r->nrec);
	if (sum != r->sum) {
		char a[MONEY_BUFSZ], b[MONEY_BUFSZ];

		money_fmt(sum, a);
		money_fmt(r->sum, b);
		return bad(r, "trailer", "control sum %s but records sum to %s", a, b);
	}
	want = fmt == 2 && !given ? (uint32_t)crc32_combine(r->hcrc, r->crc, (z_off_t)r->blen) :
	    r->crc;
	if (crc != want && given)
		return bad(r, "trailer", "CRC-32 %08" PRIx32 " but %08" PRIx32 " was expected: "
		    "not the stream it was", crc, want);
	if (crc != want)
		return bad(r, "trailer", "CRC-32 %08" PRIx32 " but %s give %08"
		    PRIx32, crc, fmt == 2 ? "header and lines" : "records", want);
	r->crc = want;
	r->seal = fmt;
	return 0;
}

static int
checktrailer(struct ts_reader *r, const char *line, size_t len)
{
	return sealcheck(r, line, len, 0);
}

static int
trailer(struct ts_reader *r, char *line, size_t len)
{
	char *xline;
	size_t xlen;
	int e;

	r->crc = lines_crc_upto(&r->in, line);
	if (r->in.nonl)
		return bad(r, "trailer", "no final newline");
	if (checktrailer(r, line, len) < 0)
		return -1;
	if ((e = readline(r, &xline, &xlen)) != 0)
		return e < 0 ? -1 : bad(r, NULL, "data after the trailer");
	r->done = 1;
	return 0;
}

/*
 * The money columns of the fields just split into r->f, into r->cents,
 * and their sum into *sum: 0, or -1 with r's error (the column named).
 */
static inline int
amounts(struct ts_reader *r, int64_t *sum)
{
	int64_t s = 0;
	int i, j, e;

	/*
	 * The money columns alone: the others' slots were zeroed when the
	 * reader was made, and nothing writes them.
	 */
	for (j = 0; j < r->nmcol; j++) {
		i = r->mcol[j];
		/*
		 * An empty amount, or 0.00 (a third of a day's amounts, a
		 * word's compare, not a call): 0.
		 */
		if (r->f[i].n == 0 || (r->f[i].n == 4 && memcmp(r->f[i].p, "0.00", 4) == 0)) {
			r->cents[i] = 0;
			continue;
		}
		if ((e = money_parse(r->f[i].p, r->f[i].n, &r->cents[i])) != M_OK)
			return bad(r, r->cols[i], "%s", money_strerror(e));
		/* money_add's test, inline: a call an amount. */
		if (__builtin_add_overflow(s, r->cents[i], &s))
			return bad(r, r->cols[i], "record sum out of range");
	}
	*sum = s;
	return 0;
}

/*
 * A record line: its fields, their characters, its money columns.  Like
 * split, compiled for each step, split inlined: a day's streams have
 * millions of lines, and a call a line was a few per cent of split.
 */
static inline __attribute__((always_inline)) int
recorddone(struct ts_reader *r, const char *line, size_t len, int nf)
{
	int64_t sum = 0;

	if (nf != r->ncol)
		return bad(r, NULL, "%d fields, the header names %d", nf, r->ncol);
	if (amounts(r, &sum) < 0)
		return -1;
	if (money_add(&r->sum, r->sum, sum) < 0)
		return bad(r, NULL, "control sum out of range");
	r->nrec++;
	r->line = line;
	r->len = len;
	r->recsum = sum;
	return 1;
}

static inline __attribute__((always_inline)) int
recordin(struct ts_reader *r, const char *line, size_t len, const int isa)
{
	int nf = 0;	/* set by splitin; gcc cannot tell once inlined */

	if (splitin(r, NULL, line, len, r->f, r->ncol, &nf, isa, 0, NULL) < 0)
		return -1;
	return recorddone(r, line, len, nf);
}

/*
 * The record line at the start of the n bytes at line, its end found
 * by split's own steps (eol): 1 a record, -1 an error, as record; 3
 * none taken, for a line at a time (no newline in the n bytes, a byte
 * that is not text, a line too long).  The line taken is counted, and
 * in the sequential reader (seq) consumed, before its fields are
 * checked, as a line of lines_next is.
 */
static inline __attribute__((always_inline)) int
recordnlin(struct ts_reader *r, const char *line, size_t n, const int seq, const int isa)
{
	size_t len = 0;
	int nf = 0;

	if (splitin(r, NULL, line, n, r->f, r->ncol, &nf, isa, 1, &len) != 0 ||
	    len > LINE_MAX_)
		return 3;
	if (seq) {
		r->in.beg += len + 1;
		r->blen += len + 1;
	}
	r->in.lineno++;
	return recorddone(r, line, len, nf);
}

static int
record_sse2(struct ts_reader *r, const char *line, size_t len)
{
	return recordin(r, line, len, 0);
}

static int
recordnl_sse2(struct ts_reader *r, const char *line, size_t n, int seq)
{
	return seq ? recordnlin(r, line, n, 1, 0) : recordnlin(r, line, n, 0, 0);
}

#ifdef SPLIT_WIDE
__attribute__((target("avx2,bmi,popcnt"))) static int
record_avx2(struct ts_reader *r, const char *line, size_t len)
{
	return recordin(r, line, len, 1);
}

__attribute__((target("avx2,bmi,popcnt"))) static int
recordnl_avx2(struct ts_reader *r, const char *line, size_t n, int seq)
{
	return seq ? recordnlin(r, line, n, 1, 1) : recordnlin(r, line, n, 0, 1);
}
#endif

static inline int
record(struct ts_reader *r, const char *line, size_t len)
{
#ifdef SPLIT_WIDE
	if (splitisa == 1)
		return record_avx2(r, line, len);
#endif
	return record_sse2(r, line, len);
}

static inline int
recordnl(struct ts_reader *r, const char *line, size_t n, int seq)
{
#ifdef SPLIT_WIDE
	if (splitisa == 1)
		return recordnl_avx2(r, line, n, seq);
#endif
	return recordnl_sse2(r, line, n, seq);
}

int
ts_next(struct ts_reader *r)
{
	char *line;
	size_t len;
	int nf, c;

	if (r->done)
		return 0;
	/* A record line whole in the buffer: split finds its end. */
	if (r->in.end > r->in.beg && r->in.buf[r->in.beg] != '#' &&
	    (c = recordnl(r, r->in.buf + r->in.beg, r->in.end - r->in.beg, 1)) != 3)
		return c;
	for (;;) {
		if ((c = readline(r, &line, &len)) < 0)
			return -1;
		if (c == 0 && r->lax) {
			r->done = 1;
			return 0;
		}
		if (c == 0)
			return bad(r, "trailer", "no trailer: stream truncated or "
			    "its writer failed");
		if (r->in.nonl && !r->lax && !trailertag(line, len))
			return bad(r, "trailer", "no trailer: last line has no "
			    "newline, stream truncated");
		if (line[0] != '#') {
			r->blen += len + 1;
			break;
		}
		if (trailertag(line, len)) {
			if (r->lax)
				continue;
			if (trailer(r, line, len) < 0)
				return -1;
			return 0;
		}
		r->blen += len + 1;
		/* Metadata: checked and covered by the CRC, not a record. */
		if (split(r, "metadata", line, len, r->f, 0, &nf) < 0)
			return -1;
		if (r->keepmeta) {
			r->line = line + 1;
			r->len = len - 1;
			return 2;
		}
	}
	return record(r, line, len);
}

int
ts_error(struct ts_reader *r, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, field, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * ts_scan: a plain regular file is mapped; the lines between header and
 * trailer are cut into parts at line ends, each checked by a thread of
 * its own with its own count, sum and CRC-32 (computed a few hundred
 * KiB behind the lines, while they are in the cache); crc32_combine
 * joins the CRCs in file order.
 */
#define SCAN_MIN (4 << 20)	/* smaller: one part */
#define SCAN_CRCSTEP (256 << 10)
#define SCAN_RELEASE (32 << 20)	/* pages given back behind the scan */

struct part {
	struct ts_reader r;
	const char *a, *b;
	const char *tr;		/* a trailer found inside the part */
	size_t trlen;
	int (*fn)(void *, struct ts_reader *);
	void *arg;
	uint32_t crc;
	int rc;
	pthread_t th;
};

/*
 * Give back the mapped pages wholly inside [a, b): they stay readable,
 * mapped again from the page cache if touched, but a scan of a large file
 * does not hold it all in its resident memory.  Returns where the next
 * release starts.
 */
const char *
pages_release(const char *a, const char *b)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t x = ((uintptr_t)a + pg - 1) & ~(pg - 1), y = (uintptr_t)b & ~(pg - 1);

	if (y > x)
		madvise((void *)x, y - x, MADV_DONTNEED);
	return b;
}

/*
 * The records of r mapped (ts_map, or ts_fatal): from after its header
 * and metadata lines, *rec, up to its trailer, *end.  A stream without
 * its trailer dies (EX_DATAERR): a segment is read by binary search, not
 * to its end, so its end is checked here.
 */
void
ts_maprecs(struct ts_reader *r, const char *path, const char **rec, const char **end)
{
	const char *m, *e, *t, *p;

	if (ts_map(r) < 0)
		ts_fatal(r);
	m = r->map;
	e = m + r->maplen;
	for (t = e - 1; t > m && t[-1] != '\n'; t--)
		;
	if (e == m || e[-1] != '\n' || t < m + r->hdrlen || strncmp(t, "#end", 4) != 0)
		die_at(EX_DATAERR, path, 0, "trailer",
		    "no trailer: stream truncated or its writer failed");
	for (p = m + r->hdrlen; p < t && *p == '#'; p = (const char *)memchr(p, '\n',
	    (size_t)(t - p)) + 1)
		;
	*rec = p;
	*end = t;
}

int
ts_before(const char *p, const char *hi, const char *key, size_t klen)
{
	const char *nl = memchr(p, '\n', (size_t)(hi - p));
	size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(hi - p);
	int c = memcmp(p, key, n < klen ? n : klen);

	return c < 0 || (c == 0 && n < klen);
}

const char *
ts_seek(const char *lo, const char *hi, const char *key, size_t klen)
{
	const char *nl, *ls;

	/*
	 * Halving on the line that starts after the middle, found forward
	 * (memchr), not on the one that holds it, found byte by byte
	 * backward; the last few lines read one by one.  The same line.
	 */
	while (hi - lo > 256) {
		nl = memchr(lo + (hi - lo) / 2, '\n', (size_t)(hi - lo - (hi - lo) / 2));
		if (nl == NULL || (ls = nl + 1) >= hi)
			break;
		if (ts_before(ls, hi, key, klen))
			lo = ls;
		else
			hi = ls;
	}
	while (lo < hi && ts_before(lo, hi, key, klen))
		lo = (const char *)memchr(lo, '\n', (size_t)(hi - lo)) + 1;
	return lo;
}

void
movein(void *dst, const void *src, size_t n)
{
	const size_t chunk = (size_t)4 << 20;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *s = src, *rel = src;
	char *d = dst;
	size_t k;

	while (n > 0) {
		k = n < chunk ? n : chunk;
		memcpy(d, s, k);
		d += k;
		s += k;
		n -= k;
		/* From the first page not given back: none is left behind. */
		pages_release(rel, s);
		rel = (const char *)((uintptr_t)s & ~(pg - 1));
		if (rel < (const char *)src)
			rel = src;
	}
}

void
ts_release(struct ts_reader *r, const char *upto)
{
	const char *from;

	if (r->map == NULL || upto <= (const char *)r->map ||
	    upto > (const char *)r->map + r->maplen)
		return;
	from = r->released != NULL ? r->released : (const char *)r->map;
	if (upto > from && (size_t)(upto - from) >= SCAN_RELEASE)
		r->released = pages_release(from, upto);
}

static void *
scanpart(void *arg)
{
	struct part *p = arg;
	struct ts_reader *r = &p->r;
	const char *line = p->a, *mark = p->a, *done = p->a, *nl;
	size_t len;
	int nf, c;

	p->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	p->rc = 0;
	while (line < p->b) {
		/* A record line, its end found by split (as in ts_next). */
		if (line[0] != '#' &&
		    (c = recordnl(r, line, (size_t)(p->b - line), 0)) != 3) {
			nl = line + r->len;
			p->rc = c < 0 || p->fn(p->arg, r) < 0 ? -1 : 0;
		} else {
			nl = memchr(line, '\n', (size_t)(p->b - line));
			len = (size_t)(nl - line);
			r->in.lineno++;
			if (len > LINE_MAX_)
				p->rc = bad(r, NULL, "line too long");
			else if (line[0] != '#')
				p->rc = record(r, line, len) < 0 || p->fn(p->arg, r) < 0 ? -1 : 0;
			else if (trailertag(line, len)) {
				/* A trailer before the last line: stop at it. */
				p->tr = line;
				p->trlen = len;
				p->rc = 1;
			} else
				p->rc = split(r, "metadata", line, len, r->f, 0, &nf);
		}
		if (p->rc != 0)
			break;
		line = nl + 1;
		if ((size_t)(line - mark) >= SCAN_CRCSTEP) {
			p->crc = crc32_buf(p->crc, mark, (size_t)(line - mark));
			mark = line;
			if ((size_t)(line - done) >= SCAN_RELEASE && !r->keepmap)
				done = pages_release(done, line);
		}
	}
	p->crc = crc32_buf(p->crc, mark, (size_t)(line - mark));
	return NULL;
}

/* A plain regular file's mapping, or NULL. */
static char *
mapplain(const char *path, size_t *len)
{
	struct stat st;
	unsigned char mg[2];
	void *m;
	int fd;

	if (strcmp(path, "-") == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	m = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 2 &&
	    (uint64_t)st.st_size <= SIZE_MAX && pread(fd, mg, 2, 0) == 2 &&
	    !(mg[0] == 0x1f && mg[1] == 0x8b)) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			m = NULL;
		*len = (size_t)st.st_size;
	}
	close(fd);
	return m;
}

/*
 * The last line of the lines [d0, end) of a mapped stream, and whether it
 * is a trailer (its final newline not required here).
 */
static const char *
lastline(const char *d0, const char *end, int *hastrailer)
{
	const char *t = d0 < end && end[-1] == '\n' ? end - 1 : end;

	while (t > d0 && t[-1] != '\n')
		t--;
	*hastrailer = d0 < end && trailertag(t, (size_t)(end - t));
	return t;
}

int
ts_scan(struct ts_reader *r, int nparts, int (*fn)(void *, struct ts_reader *),
    void *const *args, long *base)
{
	struct part *pt;
	const char *d0, *d1, *end, *t, *cut;
	char *map = NULL;
	size_t maplen = 0, tlen = 0, n;
	long lines;
	int i, st, rc = 0, hastrailer, nonl;

	for (i = 0; i < nparts; i++)
		base[i] = 0;
	if (r->map != NULL) {
		map = r->map;
		maplen = r->maplen;
	} else if (!r->lax && !r->done && r->nrec == 0 && r->in.lineno == 1 &&
	    (map = mapplain(r->in.name, &maplen)) != NULL && maplen < r->hdrlen) {
		munmap(map, maplen);
		map = NULL;
	}
	if (map == NULL) {
		while ((st = ts_next(r)) == 1)
			if (fn(args[0], r) < 0)
				return -1;
		return st < 0 ? -1 : 0;
	}
	r->map = map;
	r->maplen = maplen;
	/* The trailer: the last line, if it is one. */
	d0 = map + r->hdrlen;
	end = map + maplen;
	nonl = d0 < end && end[-1] != '\n';
	t = lastline(d0, end, &hastrailer);
	d1 = hastrailer || nonl ? t : end;
	if (hastrailer)
		tlen = (size_t)(end - t) - !nonl;
	{
		/* TIERS_SCAN_MIN: the size below which one part does (tests). */
		const char *e = getenv("TIERS_SCAN_MIN");
		size_t min = e != NULL && *e != '\0' ? (size_t)strtoull(e, NULL, 10) : SCAN_MIN;

		if ((size_t)(d1 - d0) < min || nparts < 1)
			nparts = 1;
	}
	pt = xmalloc((size_t)nparts * sizeof *pt);
	for (i = 0, cut = d0; i < nparts; i++) {
		memcpy(&pt[i].r, r, sizeof *r);
		pt[i].r.f = pt[i].r.fbig = xmalloc((size_t)(r->ncol + 32) * sizeof *r->f);
		pt[i].r.cents = xmalloc((size_t)(r->ncol ? r->ncol : 1) * sizeof *r->cents);
		memset(pt[i].r.cents, 0, (size_t)(r->ncol ? r->ncol : 1) * sizeof *r->cents);
		pt[i].r.in.lineno = 0;
		pt[i].r.nrec = 0;
		pt[i].r.sum = 0;
		pt[i].fn = fn;
		pt[i].arg = args[i];
		pt[i].a = cut;
		if (i == nparts - 1)
			cut = d1;
		else {
			const char *c = d0 + (size_t)(d1 - d0) / (size_t)nparts * (size_t)(i + 1);

			if (c < cut)
				c = cut;
			c = memchr(c, '\n', (size_t)(d1 - c));
			cut = c == NULL ? d1 : c + 1;
		}
		pt[i].b = cut;
	}
	for (i = 1; i < nparts; i++)
		if (pthread_create(&pt[i].th, NULL, scanpart, &pt[i]) != 0)
			die(EX_OSERR, "pthread_create: %s", strerror(errno));
	scanpart(&pt[0]);
	for (i = 1; i < nparts; i++)
		pthread_join(pt[i].th, NULL);
	/* The parts in order: the first error, else the totals. */
	r->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	lines = 1;
	for (i = 0; i < nparts && rc == 0; i++) {
		base[i] = lines;
		if (pt[i].rc < 0) {
			r->errline = lines + pt[i].r.errline;
			r->errfield = pt[i].r.errfield;
			memcpy(r->errmsg, pt[i].r.errmsg, sizeof r->errmsg);
			rc = -1;
			break;
		}
		lines += pt[i].r.in.lineno;
		r->nrec += pt[i].r.nrec;
		n = (size_t)((pt[i].rc ? pt[i].tr : pt[i].b) - pt[i].a);
		r->crc = (uint32_t)crc32_combine(r->crc, pt[i].crc, (z_off_t)n);
		r->blen += n;
		r->in.lineno = lines;
		if (money_add(&r->sum, r->sum, pt[i].r.sum) < 0)
			rc = bad(r, NULL, "control sum out of range");
		else if (pt[i].rc == 1) {
			/* As ts_next: the trailer checked, then what follows it. */
			if ((rc = checktrailer(r, pt[i].tr, pt[i].trlen)) == 0) {
				r->in.lineno++;
				rc = bad(r, NULL, "data after the trailer");
			}
		}
	}
	for (i = 0; i < nparts; i++) {
		free(pt[i].r.f);
		free(pt[i].r.cents);
	}
	free(pt);
	if (rc < 0)
		return -1;
	r->in.lineno = lines;
	if (d1 == end)
		return bad(r, "trailer", "no trailer: stream truncated or its writer failed");
	r->in.lineno++;
	if (nonl)
		return bad(r, "trailer", hastrailer ? "no final newline" :
		    "no trailer: last line has no newline, stream truncated");
	if (checktrailer(r, t, tlen) < 0)
		return -1;
	r->done = 1;
	return 0;
}

/*
 * Random access, for an index's offsets: the file mapped whole, a record
 * checked where it stands, the trailer checked against what the index
 * says of the lines and their CRC-32, computed here.
 */
int
ts_map(struct ts_reader *r)
{
	char *map;
	size_t len;

	if (r->map != NULL)
		return 0;
	if (r->lax || r->done || r->nrec != 0 || r->in.lineno != 1 ||
	    (map = mapplain(r->in.name, &len)) == NULL) {
		r->errline = -1;
		snprintf(r->errmsg, sizeof r->errmsg,
		    "not a plain file (gzip, pipe or device): it cannot be read at offsets");
		return -1;
	}
	/* A header line without its newline, and nothing after it. */
	if (len < r->hdrlen) {
		munmap(map, len);
		return bad(r, "trailer", "no trailer: stream truncated or its writer failed");
	}
	r->map = map;
	r->maplen = len;
	return 0;
}

long
ts_lineof(const struct ts_reader *r, const char *p)
{
	const char *s = r->map, *e;
	long n = 1;

	if (s == NULL || p < s || p > s + r->maplen)
		return 1;
	while ((e = memchr(s, '\n', (size_t)(p - s))) != NULL) {
		n++;
		s = e + 1;
	}
	return n;
}

int
ts_line(struct ts_reader *r, const char *p)
{
	const char *m = r->map, *nl;

	r->in.lineno = -1;
	r->line = p;
	r->len = 0;
	if (m == NULL || p < m + r->hdrlen || p >= m + r->maplen || p[-1] != '\n' ||
	    (nl = memchr(p, '\n', (size_t)(m + r->maplen - p))) == NULL || *p == '#') {
		r->errline = -1;
		snprintf(r->errmsg, sizeof r->errmsg, "offset %llu: not a record line",
		    (unsigned long long)(p - m));
		return -1;
	}
	if ((size_t)(nl - p) > LINE_MAX_)
		return bad(r, NULL, "line too long");
	return record(r, p, (size_t)(nl - p)) < 0 ? -1 : 0;
}

/*
 * The fields of a line at TABs, nothing else looked at: a line a pass
 * checked before.  Sixteen bytes at a time where the CPU has SSE2.
 */
static int
splittabs(const char *line, size_t len, struct field *f, int max)
{
	const char *s = line, *start = line, *e = line + len, *t;
	struct field *g = f, *const ge = f + (max > 0 ? max : 0);
	int over = 0;

#if defined(__SSE2__) && defined(__GNUC__)
	for (; e - s >= 16; s += 16) {
		unsigned tab = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)s), _mm_set1_epi8('\t')));

		/* As split: room for sixteen fields, no check a tab. */
		if ((size_t)((const char *)ge - (const char *)g) >= 16 * sizeof *g)
			for (; tab != 0; tab &= tab - 1) {
				t = s + (size_t)(unsigned)__builtin_ctz(tab);
				g->p = start;
				g->n = (size_t)(t - start);
				g++;
				start = t + 1;
			}
		else
			for (; tab != 0; tab &= tab - 1) {
				t = s + (size_t)(unsigned)__builtin_ctz(tab);
				if (g < ge)
					g->p = start, g->n = (size_t)(t - start), g++;
				else
					over++;
				start = t + 1;
			}
	}
#endif
	for (; (t = memchr(s, '\t', (size_t)(e - s))) != NULL; s = start = t + 1) {
		if (g < ge)
			g->p = start, g->n = (size_t)(t - start), g++;
		else
			over++;
	}
	if (g < ge)
		g->p = start, g->n = (size_t)(e - start), g++;
	else
		over++;
	return (int)(g - f) + over;
}

int
ts_reline(struct ts_reader *r, const char *p)
{
	const char *m = r->map, *nl;
	int64_t sum = 0;

	r->in.lineno = -1;
	r->line = p;
	r->len = 0;
	if (!r->done || r->lax || m == NULL || p < m + r->hdrlen || p >= m + r->maplen ||
	    p[-1] != '\n' || *p == '#' ||
	    (nl = memchr(p, '\n', (size_t)(m + r->maplen - p))) == NULL) {
		r->errline = -1;
		snprintf(r->errmsg, sizeof r->errmsg, "offset %llu: not a record line read through",
		    (unsigned long long)(p - m));
		return -1;
	}
	if (splittabs(p, (size_t)(nl - p), r->f, r->ncol) != r->ncol)
		return bad(r, NULL, "not the fields of the header");
	if (amounts(r, &sum) < 0)
		return -1;
	r->len = (size_t)(nl - p);
	r->recsum = sum;
	return 0;
}

/*
 * The mapped stream's lines (from *d0) and its trailer line (at *t,
 * ending at *end with its newline), or -1 with r's error.
 */
static int
maptrailer(struct ts_reader *r, const char **d0, const char **t, const char **end)
{
	int hastrailer;

	if (r->map == NULL && ts_map(r) < 0)
		return -1;
	*d0 = (const char *)r->map + r->hdrlen;
	*end = (const char *)r->map + r->maplen;
	r->in.lineno = -1;
	r->line = *end;
	if (*d0 >= *end)
		return bad(r, "trailer", "no trailer: stream truncated or its writer failed");
	r->line = *t = lastline(*d0, *end, &hastrailer);
	if (!hastrailer)
		return bad(r, "trailer", (*end)[-1] != '\n' ?
		    "no trailer: last line has no newline, stream truncated" :
		    "no trailer: stream truncated or its writer failed");
	if ((*end)[-1] != '\n')
		return bad(r, "trailer", "no final newline");
	return 0;
}

int
ts_mapcheck(struct ts_reader *r, uint64_t nrec, int64_t sum)
{
	const char *d0, *end, *t, *p, *done;
	uint32_t crc;
	size_t n;

	if (maptrailer(r, &d0, &t, &end) < 0)
		return -1;
	/* The CRC-32 of the lines, giving back the pages behind it. */
	crc = (uint32_t)crc32(0L, Z_NULL, 0);
	for (p = done = d0; p < t; p += n) {
		n = (size_t)(t - p) < SCAN_CRCSTEP ? (size_t)(t - p) : SCAN_CRCSTEP;
		crc = crc32_buf(crc, p, n);
		if ((size_t)(p + n - done) >= SCAN_RELEASE)
			done = pages_release(done, p + n);
	}
	r->nrec = nrec;
	r->sum = sum;
	r->crc = crc;
	r->blen = (uint64_t)(t - d0);
	return checktrailer(r, t, (size_t)(end - t) - 1);
}

int
ts_mapident(struct ts_reader *r, uint64_t nrec, int64_t sum, uint32_t seal)
{
	const char *d0, *end, *t;

	if (maptrailer(r, &d0, &t, &end) < 0)
		return -1;
	r->nrec = nrec;
	r->sum = sum;
	r->crc = seal;
	r->blen = (uint64_t)(t - d0);
	return sealcheck(r, t, (size_t)(end - t) - 1, 1);
}

int
ts_col(const struct ts_reader *r, const char *name)
{
	int i;

	for (i = 0; i < r->ncol; i++)
		if (strcmp(r->cols[i], name) == 0)
			return i;
	return -1;
}

int
ts_needcol(struct ts_reader *r, const char *name)
{
	int i;

	if ((i = ts_col(r, name)) < 0) {
		r->errline = 1;
		bad(r, "header", "no column %s", name);
		r->errline = 1;
		ts_fatal(r);
	}
	return i;
}

void
ts_perror(const struct ts_reader *r)
{
	if (r->errline < 0)
		warn_at(r->in.name, 0, NULL, "%s", r->errmsg);
	else
		warn_at(r->in.name, r->errline, r->errfield, "%s", r->errmsg);
}

void
ts_fatal(const struct ts_reader *r)
{
	ts_perror(r);
	exit(r->errline < 0 ? EX_NOINPUT : EX_DATAERR);
}

int
ts_step(struct ts_reader *a, struct ts_reader *b, const char *field, const char *aname,
    const char *bname)
{
	int ka = ts_next(a), kb = ts_next(b);

	return ts_stepped(a, ka, b, kb, field, aname, bname);
}

int
ts_stepped(struct ts_reader *a, int ka, struct ts_reader *b, int kb, const char *field,
    const char *aname, const char *bname)
{
	if (ka < 0)
		ts_fatal(a);
	if (kb < 0)
		ts_fatal(b);
	if (ka == kb)
		return ka;
	if (ka == 0)
		die_at(EX_DATAERR, a->in.name, (long)a->in.lineno, field,
		    "fewer records than the %s", bname);
	die_at(EX_DATAERR, b->in.name, (long)b->in.lineno, field, "fewer records than the %s",
	    aname);
}

void
ts_close(struct ts_reader *r)
{
	if (r->map != NULL)
		munmap(r->map, r->maplen);
	r->map = NULL;
	lines_close(&r->in);
	free(r->hdr);
	free(r->cols);
	free(r->money);
	free(r->mcol);
	free(r->f);
	free(r->cents);
	r->hdr = NULL;
	r->cols = NULL;
	r->money = NULL;
	r->mcol = NULL;
	r->f = r->fbig = NULL;
	r->cents = NULL;
}

/* Writer. */

/*
 * Write out the first upto bytes of the buffer.  Between ts_wmark and
 * ts_wcommit they go to the spool instead, outside the CRC, which covers
 * them when they are committed.
 */
static void
writeall(struct ts_writer *w, int fd, const char *p, size_t n)
{
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		k = write(fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die(EX_IOERR, "%s: write error: %s", w->name,
			    strerror(k < 0 ? errno : EIO));
		off += (size_t)k;
	}
}

/* SPOOLMEM, or $TIERS_SPOOLMEM bytes (for the tests of the spill). */
static size_t
spoolmem(void)
{
	static size_t m;
	const char *e;

	if (m == 0) {
		m = SPOOLMEM;
		if ((e = getenv("TIERS_SPOOLMEM")) != NULL && *e != '\0')
			m = (size_t)strtoull(e, NULL, 10) + 1;
	}
	return m;
}

static void
wflush(struct ts_writer *w, size_t upto)
{
	if (w->marked == 1) {
		if (w->spoolfd < 0) {
			char tmpl[PATH_MAX];
			const char *dir = getenv("TMPDIR");

			if (dir == NULL || *dir == '\0')
				dir = "/tmp";
			if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/tiers-spool.XXXXXX",
			    dir) >= sizeof tmpl)
				die(EX_CANTCREAT, "TMPDIR: path too long");
			/* mkstemp: mode 0600; unlinked at once, gone at exit. */
			if ((w->spoolfd = mkstemp(tmpl)) < 0)
				die(EX_CANTCREAT, "%s: %s", tmpl, strerror(errno));
			unlink(tmpl);
		}
		writeall(w, w->spoolfd, w->buf, upto);
		w->spooled += upto;
		w->crcfrom = 0;
	} else {
		if (upto > w->crcfrom) {
			w->crc = crc32_buf(w->crc, w->buf + w->crcfrom, upto - w->crcfrom);
			w->crcfrom = upto;
		}
		writeall(w, w->fd, w->buf, upto);
		w->crcfrom -= upto;
	}
	memmove(w->buf, w->buf + upto, w->len - upto);
	w->len -= upto;
	w->rec -= upto;
}

/* Room for n more bytes of the current record, when the buffer has not. */
static void
grow(struct ts_writer *w, size_t n)
{
	if (w->mem) {
		while (w->len + n > w->cap)
			w->cap *= 2;
		w->buf = xrealloc(w->buf, w->cap);
		return;
	}
	wflush(w, w->rec);
	if (w->len + n > w->cap) {
		if (w->len + n > LINE_MAX_ + 2)
			die(EX_SOFTWARE, "%s: record longer than %d bytes", w->name, LINE_MAX_);
		w->cap = LINE_MAX_ + 2;
		w->buf = xrealloc(w->buf, w->cap);
	}
}

static inline void
reserve(struct ts_writer *w, size_t n)
{
	if (w->len + n > w->cap)
		grow(w, n);
}

/* n bytes copied: a field's few by few_cpy (tiers.h), inline. */
static inline void
cpy(char *d, const char *s, size_t n)
{
	if (n > 16)
		memcpy(d, s, n);
	else
		few_cpy(d, s, n);
}

static inline void
put(struct ts_writer *w, const char *s, size_t n)
{
	reserve(w, n);
	cpy(w->buf + w->len, s, n);
	w->len += n;
}

/* put by memcpy (a date's buffer, shorter than cpy's words might read). */
static inline void
putmem(struct ts_writer *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* For each column, the first money column from it on (ncol: none), and ncol's. */
static short *
moneynext(const unsigned char *money, int ncol)
{
	short *m = xmalloc(((size_t)ncol + 1) * sizeof *m);
	int i;

	m[ncol] = (short)ncol;
	for (i = ncol - 1; i >= 0; i--)
		m[i] = money[i] ? (short)i : m[i + 1];
	return m;
}

void
ts_wopen(struct ts_writer *w, int fd, const char *name, const char *kind,
    int version, const char *const *cols, int ncol)
{
	char v[16];
	int i;

	memset(w, 0, sizeof *w);
	if (ncol < 1 || ncol > TS_MAXCOL)
		die(EX_SOFTWARE, "%s: %d columns", name, ncol);
	w->fd = fd;
	w->name = name;
	w->cap = WBUFSZ;
	w->buf = xmalloc(w->cap);
	w->ncol = ncol;
	w->money = xmalloc((size_t)ncol);
	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->spoolfd = -1;
	put(w, MAGIC "\t", sizeof MAGIC);
	put(w, kind, strlen(kind));
	snprintf(v, sizeof v, "\t%d", version);
	put(w, v, strlen(v));
	for (i = 0; i < ncol; i++) {
		put(w, "\t", 1);
		put(w, cols[i], strlen(cols[i]));
		w->money[i] = is_money_name(cols[i], strlen(cols[i]));
	}
	w->mnext = moneynext(w->money, ncol);
	put(w, "\n", 1);
	/* Format 2: the header is in the CRC. */
	w->rec = w->len;
	w->crcfrom = 0;
}

static inline void
sep(struct ts_writer *w)
{
	if (w->nf >= w->ncol)
		die(EX_SOFTWARE, "%s: record has more than %d fields", w->name, w->ncol);
	if (w->nf++ > 0)
		put(w, "\t", 1);
}

/*
 * The writer refuses to write what no reader would read back (split):
 * see tiers.h.
 */
size_t
ts_badbyte(const char *s, size_t n, int tab)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	uint64_t x, m;

	while (i < n) {
		/*
		 * Eight bytes at a time while all are printable ASCII: a byte
		 * below 0x20 borrows, one of 0x7f carries, one from 0x80 is
		 * set, each into its high bit (a borrow or carry into the
		 * next byte comes only from a byte flagged already, so the
		 * lowest flag is the first such byte).  From there, byte by
		 * byte up to the end of that byte's character, then on by
		 * words again: a label with an accent is not scanned a byte
		 * at a time to its end.
		 */
		for (; i + 8 <= n; i += 8) {
			memcpy(&x, u + i, 8);
			m = ((x - 0x2020202020202020ULL) | x | (x + 0x0101010101010101ULL)) &
			    0x8080808080808080ULL;
			if (m != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				i += (size_t)__builtin_ctzll(m) >> 3;
#endif
				break;
			}
		}
		if (i >= n)
			break;
		if ((unsigned char)(u[i] - 0x20) < 0x5f || (tab && u[i] == '\t')) {
			i++;
			continue;
		}
		if (u[i] >= 0x80 && (k = utf8len(u + i, n - i)) > 0) {
			i += k;
			continue;
		}
		return i;
	}
	return n;
}

void
ts_wstr(struct ts_writer *w, const char *s, size_t n)
{
	size_t i;
	int64_t c;
	int e;

	sep(w);
	if ((i = ts_badbyte(s, n, 0)) < n)
		die(EX_SOFTWARE, "%s: record %" PRIu64 ": field %d: %s",
		    w->name, w->nrec + 1, w->nf, ctlname((unsigned char)s[i]));
	if (w->nf == 1 && n > 0 && s[0] == '#')
		die(EX_SOFTWARE, "%s: record %" PRIu64 ": first field starts with #",
		    w->name, w->nrec + 1);
	if (w->money[w->nf - 1] && n > 0) {
		if ((e = money_parse(s, n, &c)) != M_OK)
			die(EX_SOFTWARE, "%s: record %" PRIu64 ": field %d: %s",
			    w->name, w->nrec + 1, w->nf, money_strerror(e));
		if (money_add(&w->recsum, w->recsum, c) < 0)
			die(EX_DATAERR, "%s: record sum out of range", w->name);
	}
	put(w, s, n);
}

void
ts_wchecked(struct ts_writer *w, const char *s, size_t n)
{
	/*
	 * A first field or an amount: ts_wstr's checks are not all the
	 * caller's; but an empty field passes them all, as an empty amount
	 * (no cents) does.
	 */
	if (n == 0) {
		sep(w);
		return;
	}
	if (w->nf == 0 || w->nf >= w->ncol || w->money[w->nf]) {
		ts_wstr(w, s, n);
		return;
	}
	sep(w);
	put(w, s, n);
}

void
ts_wcstr(struct ts_writer *w, const char *s)
{
	ts_wstr(w, s, strlen(s));
}

void
ts_wmoney(struct ts_writer *w, int64_t cents)
{
	char buf[MONEY_BUFSZ];
	size_t n;

	if (!w->money[w->nf])
		die(EX_SOFTWARE, "%s: field %d is not a money column", w->name, w->nf + 1);
	n = money_fmt(cents, buf);
	sep(w);
	if (money_add(&w->recsum, w->recsum, cents) < 0)
		die(EX_DATAERR, "%s: record sum out of range", w->name);
	put(w, buf, n);
}

void
ts_wint(struct ts_writer *w, long long v)
{
	char buf[24];
	size_t n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		buf[sizeof buf - ++n] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		buf[sizeof buf - ++n] = '-';
	if (w->money[w->nf])
		die(EX_SOFTWARE, "%s: field %d is a money column", w->name, w->nf + 1);
	sep(w);
	put(w, buf + sizeof buf - n, n);
}

void
ts_wdate(struct ts_writer *w, int32_t days)
{
	char buf[DATE_BUFSZ];
	size_t n = date_fmt(days, buf);

	/* Digits and dashes: only a money column (a bug) has a check to fail. */
	if (w->nf < w->ncol && !w->money[w->nf]) {
		sep(w);
		putmem(w, buf, n);
	} else
		ts_wstr(w, buf, n);
}

/* Inlined in ts_wruns: a call a run cost as much as the run's fields. */
static inline __attribute__((always_inline)) void
wcols(struct ts_writer *w, const struct ts_reader *r, int col, int n)
{
	const struct field *a, *b;
	size_t len, sum;
	int64_t c;
	int i, e, nf = w->nf;
	char *d;

	if (n < 1 || col < 0 || col + n > r->ncol || nf + n > w->ncol)
		die(EX_SOFTWARE, "%s: record %" PRIu64 ": %d fields from column %d of %s",
		    w->name, w->nrec + 1, n, col + 1, r->in.name);
	a = &r->f[col];
	/* One field, most runs: its own length, its column money or not. */
	if (n == 1) {
		len = a->n;
		if (w->money[nf] && len > 0) {
			if (r->money[col])
				c = r->cents[col];
			else if ((e = money_parse(a->p, len, &c)) != M_OK)
				die(EX_SOFTWARE, "%s: record %" PRIu64 ": field %d: %s",
				    w->name, w->nrec + 1, nf + 1, money_strerror(e));
			if (__builtin_add_overflow(w->recsum, c, &w->recsum))
				die(EX_DATAERR, "%s: record sum out of range", w->name);
		}
		if (nf == 0 && len > 0 && a->p[0] == '#')
			die(EX_SOFTWARE, "%s: record %" PRIu64 ": first field starts with #",
			    w->name, w->nrec + 1);
		reserve(w, len + 1);
		d = w->buf + w->len;
		if (nf > 0)
			*d++ = '\t';
		cpy(d, a->p, len);
		w->len = (size_t)(d + len - w->buf);
		w->nf = nf + 1;
		return;
	}
	b = a + (n - 1);
	len = (size_t)(b->p + b->n - a->p);
	/*
	 * The fields as split lie one TAB apart in the line: nothing else
	 * between (one field is its own length).
	 */
	if (n > 1) {
		for (i = 0, sum = (size_t)(n - 1); i < n; i++)
			sum += a[i].n;
		if (sum != len)
			die(EX_SOFTWARE, "%s: fields of %s not as read", w->name, r->in.name);
	}
	/* The writer's money columns among the n, found by mnext, not tried one by one. */
	for (i = w->mnext[nf]; i < nf + n; i = w->mnext[i + 1]) {
		const struct field *f = &a[i - nf];
		int k = col + i - nf;

		if (f->n == 0)
			continue;
		if (r->money[k])
			c = r->cents[k];
		else if ((e = money_parse(f->p, f->n, &c)) != M_OK)
			die(EX_SOFTWARE, "%s: record %" PRIu64 ": field %d: %s",
			    w->name, w->nrec + 1, i + 1, money_strerror(e));
		if (__builtin_add_overflow(w->recsum, c, &w->recsum))
			die(EX_DATAERR, "%s: record sum out of range", w->name);
	}
	if (nf == 0 && a->n > 0 && a->p[0] == '#')
		die(EX_SOFTWARE, "%s: record %" PRIu64 ": first field starts with #",
		    w->name, w->nrec + 1);
	reserve(w, len + 1);
	d = w->buf + w->len;
	if (nf > 0)
		*d++ = '\t';
	cpy(d, a->p, len);
	w->len = (size_t)(d + len - w->buf);
	w->nf = nf + n;
}

void
ts_wcols(struct ts_writer *w, const struct ts_reader *r, int col, int n)
{
	wcols(w, r, col, n);
}

void
ts_wruns(struct ts_writer *w, const struct ts_reader *r, const int *col, const int *n,
    int nrun)
{
	int i;

	for (i = 0; i < nrun; i++)
		wcols(w, r, col[i], n[i]);
}

static void
endline(struct ts_writer *w)
{
	put(w, "\n", 1);
	if (w->len - w->rec > LINE_MAX_ + 1)
		die(EX_SOFTWARE, "%s: record longer than %d bytes", w->name, LINE_MAX_);
	w->rec = w->len;
	if (w->len > w->cap / 2 && !w->mem) {
		/* Spooling into memory first, up to SPOOLMEM. */
		if (w->marked == 1 && w->spooled == 0 && w->cap < spoolmem()) {
			w->cap *= 2;
			w->buf = xrealloc(w->buf, w->cap);
		} else
			wflush(w, w->len);
	}
}

void
ts_wend(struct ts_writer *w)
{
	if (w->nf != w->ncol)
		die(EX_SOFTWARE, "%s: record %" PRIu64 " has %d fields, not %d",
		    w->name, w->nrec + 1, w->nf, w->ncol);
	if (money_add(&w->sum, w->sum, w->recsum) < 0)
		die(EX_DATAERR, "%s: control sum out of range", w->name);
	w->nrec++;
	w->nf = 0;
	w->recsum = 0;
	endline(w);
}

void
ts_wfields(struct ts_writer *w, const char *line, size_t len, int nf, int64_t recsum)
{
	if (w->nf != 0 || nf > w->ncol)
		die(EX_SOFTWARE, "%s: fields of a record of another shape", w->name);
	put(w, line, len);
	w->nf = nf;
	w->recsum = recsum;
}

void
ts_wcopy(struct ts_writer *w, const struct ts_reader *r)
{
	if (w->ncol != r->ncol)
		die(EX_SOFTWARE, "%s: copy of a record of another shape", w->name);
	ts_wfields(w, r->line, r->len, r->ncol, r->recsum);
	ts_wend(w);
}

void
ts_wmeta(struct ts_writer *w, const char *text)
{
	size_t i, n = strlen(text);

	/* Nothing a reader would take for a trailer, of either format. */
	if (w->nf != 0 || (strncmp(text, "end", 3) == 0 && (text[3] == '\0' ||
	    text[3] == '\t' || (text[3] == '2' && (text[4] == '\0' || text[4] == '\t')))))
		die(EX_SOFTWARE, "%s: bad metadata line", w->name);
	if ((i = ts_badbyte(text, n, 1)) < n)
		die(EX_SOFTWARE, "%s: metadata: %s", w->name,
		    ctlname((unsigned char)text[i]));
	put(w, "#", 1);
	put(w, text, n);
	endline(w);
}

/*
 * Checkpoints.  Records written after ts_wmark are held aside (in the
 * buffer, then in an unlinked temporary file) until ts_wcommit sends them
 * on, or ts_wdrop forgets them as if never written: a filter can refuse
 * a whole input file after having decoded part of it.
 */
void
ts_wmark(struct ts_writer *w)
{
	struct stat st;
	off_t off;

	if (w->nf != 0 || w->marked)
		die(EX_SOFTWARE, "%s: mark inside a record", w->name);
	wflush(w, w->len);
	w->spooled = 0;
	w->mnrec = w->nrec;
	w->msum = w->sum;
	w->mcrc = w->crc;
	/*
	 * Into a regular file, records go on to it and a drop cuts it back;
	 * into a pipe, they wait in the spool.
	 */
	if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off = lseek(w->fd, 0, SEEK_CUR)) >= 0) {
		w->marked = 2;
		w->moff = off;
	} else
		w->marked = 1;
}

void
ts_wcommit(struct ts_writer *w)
{
	static char buf[1 << 16];
	off_t off = 0;
	ssize_t n;

	if (!w->marked || w->nf != 0)
		die(EX_SOFTWARE, "%s: commit without a mark", w->name);
	if (w->marked == 2) {
		w->marked = 0;
		return;
	}
	w->marked = 0;
	while (off < w->spooled) {
		n = pread(w->spoolfd, buf, (size_t)(w->spooled - off) < sizeof buf ?
		    (size_t)(w->spooled - off) : sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die(EX_IOERR, "%s: spool read error: %s", w->name,
			    strerror(n < 0 ? errno : EIO));
		w->crc = crc32_buf(w->crc, buf, (size_t)n);
		writeall(w, w->fd, buf, (size_t)n);
		off += n;
	}
	if (w->spooled > 0 && (ftruncate(w->spoolfd, 0) < 0 ||
	    lseek(w->spoolfd, 0, SEEK_SET) < 0))
		die(EX_IOERR, "%s: spool: %s", w->name, strerror(errno));
	w->spooled = 0;
	w->crcfrom = 0;
}

void
ts_wdrop(struct ts_writer *w)
{
	if (!w->marked)
		die(EX_SOFTWARE, "%s: drop without a mark", w->name);
	if (w->marked == 2 && (ftruncate(w->fd, w->moff) < 0 ||
	    lseek(w->fd, w->moff, SEEK_SET) < 0))
		die(EX_IOERR, "%s: %s", w->name, strerror(errno));
	w->crc = w->mcrc;
	w->marked = 0;
	if (w->spooled > 0 && (ftruncate(w->spoolfd, 0) < 0 ||
	    lseek(w->spoolfd, 0, SEEK_SET) < 0))
		die(EX_IOERR, "%s: spool: %s", w->name, strerror(errno));
	w->spooled = 0;
	w->len = w->rec = w->crcfrom = 0;
	w->nf = 0;
	w->recsum = 0;
	w->nrec = w->mnrec;
	w->sum = w->msum;
}

void
ts_wpart(struct ts_writer *p, const struct ts_writer *w)
{
	memset(p, 0, sizeof *p);
	p->fd = -1;
	p->name = w->name;
	p->mem = 1;
	p->cap = WBUFSZ;
	p->buf = xmalloc(p->cap);
	p->ncol = w->ncol;
	p->money = xmalloc((size_t)w->ncol);
	memcpy(p->money, w->money, (size_t)w->ncol);
	p->mnext = moneynext(p->money, p->ncol);
	p->spoolfd = -1;
}

void
ts_wappend(struct ts_writer *w, struct ts_writer *p)
{
	size_t off, n;

	if (w->nf != 0 || p->nf != 0 || w->marked || !p->mem || p->ncol != w->ncol)
		die(EX_SOFTWARE, "%s: a part appended in a record or of another shape", w->name);
	wflush(w, w->len);
	for (off = 0; off < p->len; off += n) {
		n = p->len - off < (1U << 30) ? p->len - off : (1U << 30);
		w->crc = crc32_buf(w->crc, p->buf + off, n);
	}
	writeall(w, w->fd, p->buf, p->len);
	w->nrec += p->nrec;
	if (money_add(&w->sum, w->sum, p->sum) < 0)
		die(EX_DATAERR, "%s: control sum out of range", w->name);
	free(p->buf);
	free(p->money);
	free(p->mnext);
	p->buf = NULL;
	p->money = NULL;
	p->mnext = NULL;
}

/*
 * Whole record lines copied as they are (a stream this software wrote,
 * carried into the next one): nrec records summing to sum, crc their
 * CRC-32, computed once by the caller (who checks the stream they come
 * from with it).  Small runs go through the buffer, large ones straight
 * to the file.
 */
void
ts_wlines(struct ts_writer *w, const char *p, size_t n, uint64_t nrec, int64_t sum,
    uint32_t crc)
{
	if (w->nf != 0 || w->marked || w->mem || (n > 0 && p[n - 1] != '\n'))
		die(EX_SOFTWARE, "%s: lines copied in a record or not whole", w->name);
	if (money_add(&w->sum, w->sum, sum) < 0)
		die(EX_DATAERR, "%s: control sum out of range", w->name);
	w->nrec += nrec;
	if (n < WBUFSZ / 4) {
		/* The lines before them in the CRC, then theirs, given. */
		w->crc = crc32_buf(w->crc, w->buf + w->crcfrom, w->len - w->crcfrom);
		put(w, p, n);
		w->crc = (uint32_t)crc32_combine(w->crc, crc, (z_off_t)n);
		w->rec = w->crcfrom = w->len;
		if (w->len > w->cap / 2)
			wflush(w, w->len);
		return;
	}
	wflush(w, w->len);
	w->crc = (uint32_t)crc32_combine(w->crc, crc, (z_off_t)n);
	writeall(w, w->fd, p, n);
}

void
ts_wclose(struct ts_writer *w)
{
	char buf[128], sum[MONEY_BUFSZ];
	int n;

	if (w->nf != 0 || w->marked)
		die(EX_SOFTWARE, "%s: unfinished record", w->name);
	w->crc = crc32_buf(w->crc, w->buf + w->crcfrom, w->len - w->crcfrom);
	w->crcfrom = w->len;
	money_fmt(w->sum, sum);
	n = snprintf(buf, sizeof buf, TRAILER2 "\t%" PRIu64 "\t%s\t%08" PRIx32 "\n",
	    w->nrec, sum, w->crc);
	put(w, buf, (size_t)n);
	w->rec = w->len;
	wflush(w, w->len);
	if (w->spoolfd >= 0)
		close(w->spoolfd);
	w->spoolfd = -1;
	free(w->buf);
	free(w->money);
	free(w->mnext);
	w->buf = NULL;
	w->money = NULL;
	w->mnext = NULL;
}
