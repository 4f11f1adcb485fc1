/*
 * fuzz-roundtrip: the record-stream writer (ts_wopen ... ts_wclose,
 * formats/stream.c) and its reader: a stream written without the writer
 * dying is a stream read back whole, each record's fields as written,
 * with its count and sum.  The input says what to write: its first byte
 * the number of columns (1 to 8) and which hold money; then fields
 * separated by TAB, records by LF; a record whose first byte is 0x01 is
 * a metadata line; 0x02 a checkpoint (ts_wmark), 0x03 a commit, 0x04 a
 * drop.  What the writer is documented to refuse (bytes ts_badbyte
 * finds, a first field starting with '#', "#end" metadata, a money field
 * that is not an amount, sums out of range) is replaced before it sees
 * it: the writer's callers must not send it, and it dies if they do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"
#include "fuzz.h"

#define MAXC 8
#define MAXR 256

static const char *const cnames[MAXC] = {
	"id", "a_eur", "b", "c_eur", "d", "e_eur", "f", "g_eur"
};

struct rec {
	int meta;
	char *f[MAXC];
	size_t n[MAXC];
	int kept;
};

/* Each byte the writer refuses becomes '?'. */
static void
clean(char *s, size_t n, int tab)
{
	size_t i = 0;

	while ((i += ts_badbyte(s + i, n - i, tab)) < n)
		s[i] = '?';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_writer w;
	struct ts_reader r;
	struct rec recs[MAXR];
	const char *cols[MAXC], *path;
	char *text, *p, *end, *nl, *tab;
	int ncol, money = 0, nrec = 0, i, j, c, fd, marked = 0, mstart = 0, got;
	int64_t cents, sum = 0, msum = 0, rs, t;
	uint64_t count = 0, mcount = 0;

	if (size < 1)
		return 0;
	ncol = data[0] % MAXC + 1;
	for (i = 0; i < ncol; i++) {
		cols[i] = cnames[i];
		money |= (strstr(cnames[i], "_eur") != NULL) << i;
	}
	text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	end = text + size - 1;
	path = fz_file(0, "", 0, &fd);
	if (lseek(fd, 0, SEEK_SET) < 0)
		fz_fail("lseek");
	ts_wopen(&w, fd, "fuzz", "fuzz", 1, cols, ncol);
	for (p = text; p < end && nrec < MAXR; p = nl + 1) {
		struct rec *rc = &recs[nrec];

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		memset(rc, 0, sizeof *rc);
		if (*p >= 0x02 && *p <= 0x04) {
			if (*p == 0x02 && !marked) {
				ts_wmark(&w);
				marked = 1, mstart = nrec, mcount = count, msum = sum;
			} else if (*p == 0x03 && marked) {
				ts_wcommit(&w);
				marked = 0;
			} else if (*p == 0x04 && marked) {
				ts_wdrop(&w);
				for (i = mstart; i < nrec; i++)
					recs[i].kept = 0;
				count = mcount, sum = msum;
				marked = 0;
			}
			continue;
		}
		if (*p == 0x01) {
			clean(p + 1, (size_t)(nl - p - 1), 1);
			if (strncmp(p + 1, "end", 3) == 0)
				p[1] = 'E';
			ts_wmeta(&w, p + 1);
			continue;
		}
		rs = 0;
		for (i = 0; i < ncol; i++) {
			if ((tab = memchr(p, '\t', (size_t)(nl - p))) == NULL || i == ncol - 1)
				tab = nl;
			clean(p, (size_t)(tab - p), 0);
			if (i == 0 && tab > p && *p == '#')
				*p = '_';
			rc->f[i] = p;
			rc->n[i] = (size_t)(tab - p);
			/* Not an amount, or a sum out of range: no amount. */
			if ((money >> i & 1) && rc->n[i] > 0 &&
			    (money_parse(p, rc->n[i], &cents) != M_OK ||
			    money_add(&t, rs, cents) < 0 || money_add(&t, sum, t) < 0))
				rc->n[i] = 0;
			else if ((money >> i & 1) && rc->n[i] > 0)
				rs += cents;
			p = tab < nl ? tab + 1 : nl;
		}
		for (i = 0; i < ncol; i++)
			ts_wstr(&w, rc->f[i], rc->n[i]);
		sum += rs;
		ts_wend(&w);
		rc->kept = 1;
		count++;
		nrec++;
	}
	if (marked)
		ts_wcommit(&w);
	ts_wclose(&w);

	if (ts_open(&r, path, "fuzz", 1) < 0)
		fz_fail("written, refused at line %ld: %s", r.errline, r.errmsg);
	for (i = 0, got = 0; (c = ts_next(&r)) == 1; got++) {
		while (i < nrec && !recs[i].kept)
			i++;
		if (i == nrec)
			fz_fail("more records read than written");
		for (j = 0; j < ncol; j++)
			if (r.f[j].n != recs[i].n[j] || memcmp(r.f[j].p, recs[i].f[j], r.f[j].n) != 0)
				fz_fail("record %d field %d read differs", got + 1, j + 1);
		i++;
	}
	if (c < 0)
		fz_fail("written, refused at line %ld: %s: %s", r.errline,
		    r.errfield ? r.errfield : "", r.errmsg);
	if (r.nrec != count || r.sum != sum)
		fz_fail("count or sum read differ");
	ts_close(&r);
	free(text);
	return 0;
}
