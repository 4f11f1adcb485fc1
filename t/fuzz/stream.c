/*
 * fuzz-stream: the record-stream reader (formats/stream.c, lines.c,
 * zin.c) on any bytes, plain or gzip.  Every stream kind (claims,
 * decisions, masters, the PEC, the history's manifest) has this syntax;
 * what a kind's columns mean is its filter's.  One input is read five
 * ways, and they must agree:
 *   ts_open and ts_next to the end, as most filters read (and a
 *   master's identity keys, bk_fields and bk_hashes, when the stream has
 *   their columns);
 *   ts_scan in two parts (each part one thread), as tiers-seal and
 *   liquidate read: the same verdict, line, field and message, and on
 *   success the same count, sum and CRC-32;
 *   ts_map, ts_line at every line start, ts_mapcheck, as liquidate reads
 *   a master through its index: a stream ts_next accepts, ts_mapcheck
 *   accepts with ts_next's count and sum, and ts_mapident with its seal
 *   (and no other); and ts_map then ts_scan, as
 *   benef-index reads a master: ts_next's verdict again, and then
 *   ts_reline at every line start as ts_line, as reject-code -O reads
 *   its outcomes again;
 *   ts_next with lax and keepmeta, as tiers-seal -r reads.
 * Then the same input with its trailer made right (reseal) is read the
 * five ways again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"

struct verdict {
	int rc;
	long line;
	char field[64];
	char msg[128];
	uint64_t nrec;
	int64_t sum;
	uint32_t crc;
};

static void
keep(struct verdict *v, const struct ts_reader *r, int rc)
{
	memset(v, 0, sizeof *v);
	v->rc = rc;
	if (rc < 0) {
		v->line = r->errline;
		snprintf(v->field, sizeof v->field, "%s", r->errfield ? r->errfield : "");
		snprintf(v->msg, sizeof v->msg, "%s", r->errmsg);
	} else {
		v->nrec = r->nrec;
		v->sum = r->sum;
		v->crc = r->crc;
	}
}

/* A record as ts_next or a scan's part hands it on: its fields in it. */
static void
look(const struct ts_reader *r)
{
	int i;

	for (i = 0; i < r->ncol; i++)
		if (r->f[i].p < r->line || r->f[i].p + r->f[i].n > r->line + r->len)
			fz_fail("field %d outside its line", i);
}

static int
counted(void *arg, struct ts_reader *pr)
{
	look(pr);
	(*(uint64_t *)arg)++;
	return 0;
}

/* The key columns of a master (formats/benefkey.c's). */
static const char *const bkname[BK_NCOL] = {
	"amc", "nir", "nir_key", "benef_nir", "birth_date", "rang", "adherent"
};

/* The five readings of one input, which must agree. */
static void
readall(const uint8_t *data, size_t size)
{
	struct ts_reader r;
	struct verdict seq, par;
	uint64_t n[2] = { 0, 0 };
	void *args[2] = { &n[0], &n[1] };
	long base[2];
	const char *path;
	size_t off;
	int c, gz, i, keys, kc[BK_NCOL];
	struct bk_rec bk;
	uint64_t h[BK_NKIND];

	/* Cut even a small file in two parts. */
	setenv("TIERS_SCAN_MIN", "1", 1);
	path = fz_file(0, data, size, NULL);
	gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	if ((c = ts_open(&r, path, NULL, 0)) == 0) {
		/* A master's identity keys, when it has their columns. */
		for (i = 0, keys = 1; i < BK_NCOL; i++)
			if ((kc[i] = ts_col(&r, bkname[i])) < 0)
				keys = 0;
		while ((c = ts_next(&r)) == 1) {
			look(&r);
			if (keys && bk_fields(&r, kc, &bk) == 0)
				bk_hashes(&bk, h);
		}
		if (c == 2)
			fz_fail("ts_next: metadata without keepmeta");
	}
	keep(&seq, &r, c);
	ts_close(&r);

	if ((c = ts_open(&r, path, NULL, 0)) == 0)
		c = ts_scan(&r, 2, counted, args, base);
	keep(&par, &r, c);
	ts_close(&r);
	if (seq.rc != par.rc || seq.line != par.line ||
	    strcmp(seq.field, par.field) != 0 || strcmp(seq.msg, par.msg) != 0)
		fz_fail("ts_next says %d at line %ld (%s: %s), ts_scan %d at line %ld (%s: %s)",
		    seq.rc, seq.line, seq.field, seq.msg, par.rc, par.line, par.field, par.msg);
	if (seq.rc == 0 && (seq.nrec != par.nrec || seq.sum != par.sum ||
	    seq.crc != par.crc || n[0] + n[1] != par.nrec))
		fz_fail("ts_next and ts_scan count, sum or CRC differently");

	if (!gz && (c = ts_open(&r, path, NULL, 0)) == 0) {
		if (ts_map(&r) == 0) {
			const char *m = r.map;

			for (off = r.hdrlen; off < r.maplen; off++)
				if (m[off - 1] == '\n' && ts_line(&r, m + off) == 0)
					look(&r);
			c = ts_mapcheck(&r, seq.nrec, seq.sum);
			if (seq.rc == 0 && c != 0)
				fz_fail("ts_next accepts, ts_mapcheck refuses: %s", r.errmsg);
			/* What ts_mapcheck accepts, ts_mapident accepts with its seal. */
			if (c == 0) {
				uint32_t seal = r.crc;

				if (ts_mapident(&r, seq.nrec, seq.sum, seal) != 0)
					fz_fail("ts_mapcheck accepts, ts_mapident refuses: %s", r.errmsg);
				if (ts_mapident(&r, seq.nrec, seq.sum, seal ^ 1) == 0)
					fz_fail("ts_mapident accepts a seal that is not the trailer's");
			}
		} else if (seq.rc == 0)
			fz_fail("ts_next accepts, ts_map refuses: %s", r.errmsg);
	}
	if (!gz)
		ts_close(&r);

	/* Mapped first, then scanned, as benef-index and liquidate read. */
	if (!gz && ts_open(&r, path, NULL, 0) == 0 && ts_map(&r) == 0) {
		n[0] = n[1] = 0;
		c = ts_scan(&r, 2, counted, args, base);
		keep(&par, &r, c);
		if (seq.rc != par.rc || seq.line != par.line ||
		    strcmp(seq.field, par.field) != 0 || strcmp(seq.msg, par.msg) != 0)
			fz_fail("ts_next says %d at line %ld (%s: %s), ts_map and ts_scan %d at "
			    "line %ld (%s: %s)", seq.rc, seq.line, seq.field, seq.msg, par.rc,
			    par.line, par.field, par.msg);
		/* Read through: ts_reline, at every line start, as ts_line. */
		if (c == 0) {
			static struct field f[TS_MAXCOL];
			static int64_t cents[TS_MAXCOL];
			const char *m = r.map;
			int64_t recsum;
			int a, b, k;

			for (off = r.hdrlen; off < r.maplen; off++) {
				if (m[off - 1] != '\n')
					continue;
				a = ts_reline(&r, m + off);
				memcpy(f, r.f, (size_t)r.ncol * sizeof *f);
				memcpy(cents, r.cents, (size_t)r.ncol * sizeof *cents);
				recsum = r.recsum;
				b = ts_line(&r, m + off);
				if (a != b)
					fz_fail("ts_line says %d, ts_reline %d at offset %zu", b, a, off);
				if (a != 0)
					continue;
				for (k = 0; k < r.ncol; k++)
					if (f[k].p != r.f[k].p || f[k].n != r.f[k].n || cents[k] != r.cents[k])
						fz_fail("ts_reline: field %d not as ts_line", k + 1);
				if (recsum != r.recsum)
					fz_fail("ts_reline: record sum not as ts_line");
			}
		}
	}
	if (!gz)
		ts_close(&r);

	if (ts_open(&r, path, NULL, 0) == 0) {
		r.lax = 1;
		r.keepmeta = 1;
		while ((c = ts_next(&r)) > 0)
			if (c == 1)
				look(&r);
	}
	ts_close(&r);
}

/* The format of the trailer starting at t (1 "#end", 2 "#end2"), or 0. */
static int
tag(const uint8_t *t, const uint8_t *end)
{
	if ((size_t)(end - t) >= 5 && memcmp(t, "#end\t", 5) == 0)
		return 1;
	if ((size_t)(end - t) >= 6 && memcmp(t, "#end2\t", 6) == 0)
		return 2;
	return 0;
}

/*
 * The input with its first trailer made right: the count, sum and CRC-32
 * of the lines before it (the sum as a lax reader finds it), in its
 * format (format 1 "#end": the CRC-32 of the lines after the header;
 * format 2 "#end2": of the header too), or a format 2 trailer added at
 * the end if there is none; NULL if the lines before it are refused
 * anyway (or the input is gzip).  A fuzzer seldom writes a right CRC-32:
 * this takes it past the trailer's checks, to what follows a good
 * trailer and to good streams read five ways.
 */
static uint8_t *
reseal(const uint8_t *data, size_t size, size_t *nsize)
{
	const uint8_t *hend, *t, *rest, *end = data + size;
	struct ts_reader r;
	uint8_t *out;
	char tr[128], sum[MONEY_BUFSZ];
	uint32_t crc;
	size_t n;
	int c, fmt = 2;

	if ((size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	    (hend = memchr(data, '\n', size)) == NULL)
		return NULL;
	hend++;
	for (t = hend; t < end; t++) {
		if ((c = tag(t, end)) != 0) {
			fmt = c;
			break;
		}
		if ((t = memchr(t, '\n', (size_t)(end - t))) == NULL) {
			t = end;
			break;
		}
	}
	if (t > end)
		t = end;
	if (t == end || (rest = memchr(t, '\n', (size_t)(end - t))) == NULL)
		rest = end;
	/* The lines before it, read lax: their count and sum. */
	if ((c = ts_open(&r, fz_file(1, data, (size_t)(t - data), NULL), NULL, 0)) == 0) {
		r.lax = 1;
		while ((c = ts_next(&r)) == 1)
			;
	}
	if (c < 0) {
		ts_close(&r);
		return NULL;
	}
	crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), fmt == 2 ? data : hend,
	    (uInt)(t - (fmt == 2 ? data : hend)));
	money_fmt(r.sum, sum);
	snprintf(tr, sizeof tr, "%s#end%s\t%llu\t%s\t%08x",
	    t > hend && t[-1] != '\n' ? "\n" : "", fmt == 2 ? "2" : "",
	    (unsigned long long)r.nrec, sum, (unsigned)crc);
	ts_close(&r);
	n = strlen(tr);
	*nsize = (size_t)(t - data) + n + (size_t)(end - rest) + (rest == end);
	out = xmalloc(*nsize);
	memcpy(out, data, (size_t)(t - data));
	memcpy(out + (t - data), tr, n);
	if (rest == end)
		out[*nsize - 1] = '\n';
	else
		memcpy(out + (t - data) + n, rest, (size_t)(end - rest));
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *good;
	size_t n;

	readall(data, size);
	if ((good = reseal(data, size, &n)) != NULL) {
		readall(good, n);
		free(good);
	}
	return 0;
}
