/*
 * benef-integrate: a client's beneficiary files of the day (Almerys Norme
 * V3 XML, or the project's CSV) into the next generation of the
 * beneficiary master, with the movements it implies and the entries it
 * rejects.
 *
 * Three passes, memory bounded whatever the sizes:
 *  1. each file, in file-number order, is read as a stream (libxml2's
 *     SAX2 parser with the schema plugged in, one CONTRAT's fields kept
 *     at a time; libcsv) into entries,
 *     one per beneficiary, checked against the rules that need nothing
 *     else; entries go to a temporary file, rejects to the reject stream;
 *  2. sort(1) orders the entries on the master's key, then file order;
 *  3. a merge of the sorted entries with the previous master (sorted on
 *     the same key) writes the new master and the movements; the
 *     previous master walked where it lies, the records no entry
 *     touches copied in runs of lines; with -x, the new master's index
 *     (index.c) as it is written.
 * A structurally broken file refuses the whole run: nothing is published.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "tiers.h"
#include "benef.h"

/* The master's columns (benef.h's M_ names); the first NKEY are its key. */
static const char *const mcols[NM] = {
	"amc", "contract", "member_ref", "contract_state", "adherent",
	"benef_type", "nir", "nir_key", "benef_nir", "benef_nir_key",
	"birth_date", "rang", "regime", "caisse", "centre", "responsable",
	"products", "tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "suspension_reason", "card_movement", "domains",
	"address_1", "address_2", "address_3", "address_4", "address_5",
	"address_6", "address_7", "rights_start", "rights_end",
	"key_nir_rang", "key_birth_rang_adherent", "card_number", "card_start",
	"card_end", "card_background", "card_annex", "rib_holder", "rib_iban",
	"rib_bic", "compensation", "updated"
};

static int32_t bizdate;
static char bizdate_s[DATE_BUFSZ];
static struct ts_writer rejw, mvw, mastw;
static FILE *entries;		/* pass 1 output */
static const char *ixname;	/* -x: the master's index, made as it is written */
static const char *oldix;	/* -i: the index of the master of the day before */
static const char *mastname;
static uint64_t moff;		/* the offset in the master of the next record */
static unsigned long long seq;
static uint64_t nentries, nrejects;

/* The sink of the readers: rejects to the reject stream, */
static void
reject(const struct entry *e, int code, const char *detail, void *arg)
{
	char label[192];

	(void)arg;
	ts_wcstr(&rejw, e->file);
	ts_wint(&rejw, e->line);
	ts_wcstr(&rejw, e->f[M_AMC]);
	ts_wcstr(&rejw, e->f[M_CONTRACT]);
	ts_wcstr(&rejw, e->f[M_MEMBER]);
	ts_wcstr(&rejw, bi_rejects[code].code);
	snprintf(label, sizeof label, "%s%s%s", bi_rejects[code].label,
	    detail ? ": " : "", detail ? detail : "");
	ts_wcstr(&rejw, label);
	ts_wend(&rejw);
	nrejects++;
}

/*
 * Entries that keep the rules to the temporary file: key, file order,
 * columns.  Written by hand into one buffer: this runs once a
 * beneficiary, and printf's parsing of its format was a tenth of the
 * run.
 */
static char *ebuf;
static size_t ebufsz;
static long *fileent;	/* the current file's entries, for the state */
static char lastkey[NKEY][FLD];	/* the key of the entry written last */
static int unsorted;		/* an entry came before the one written last */

static char *
eput(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	p[n] = '\t';
	return p + n + 1;
}

static void
put_entry(struct entry *e, void *arg)
{
	static const struct bi_sink self = { put_entry, reject, NULL };
	char num[24], *p;
	unsigned long long v;
	int i;

	(void)arg;
	if (fileent != NULL)
		++*fileent;
	e->f[M_UPDATED][0] = '\0';
	if (bi_check(e, bizdate, &self) < 0)
		return;
	if (ebuf == NULL) {
		ebufsz = (NM + 4) * FLD + 64;
		ebuf = xmalloc(ebufsz);
	}
	/* Entries in key order already need no sort(1). */
	if (!unsorted && nentries > 0) {
		int c = 0;

		for (i = 0; i < NKEY && c == 0; i++)
			c = strcmp(e->f[i], lastkey[i]);
		unsorted = c < 0;
	}
	for (i = 0; i < NKEY; i++)
		memcpy(lastkey[i], e->f[i], FLD);
	p = ebuf;
	for (i = 0; i < NKEY; i++)
		p = eput(p, e->f[i]);
	for (v = seq++, i = 20; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);
	p[20] = '\t';
	p = eput(p + 21, e->file);
	snprintf(num, sizeof num, "%ld", e->line);
	p = eput(p, num);
	for (i = NKEY; i < NM; i++)
		p = eput(p, e->f[i]);
	p[-1] = '\n';
	if (fwrite(ebuf, 1, (size_t)(p - ebuf), entries) != (size_t)(p - ebuf))
		die(EX_IOERR, "entries: write error");
	nentries++;
}

/* A reader's reject: a beneficiary of the file, as an entry is. */
static void
reader_reject(const struct entry *e, int code, const char *detail, void *arg)
{
	if (fileent != NULL)
		++*fileent;
	reject(e, code, detail, arg);
}

/* ---------- pass 3: merge ---------- */

static const char *const mvcols[] = {
	"business_date", "amc", "contract", "member_ref", "movement",
	"retroactive", "old_rights_end", "new_rights_end", "card_movement",
	"file", "line"
};

static void
movement(char f[][FLD], const char *what, int retro, const char *oldend,
    const char *file, const char *line)
{
	ts_wcstr(&mvw, bizdate_s);
	ts_wcstr(&mvw, f[M_AMC]);
	ts_wcstr(&mvw, f[M_CONTRACT]);
	ts_wcstr(&mvw, f[M_MEMBER]);
	ts_wcstr(&mvw, what);
	ts_wint(&mvw, retro);
	ts_wcstr(&mvw, oldend);
	ts_wcstr(&mvw, f[M_REND]);
	ts_wcstr(&mvw, f[M_CARD]);
	ts_wcstr(&mvw, file);
	ts_wcstr(&mvw, line);
	ts_wend(&mvw);
}

static uint64_t nmaster_in, nmaster_out, nmv[4];

/*
 * The master of the day before, walked where it lies (a plain file of
 * this version's columns, its last line a trailer): a day's entries
 * touch a few thousand of its records, and the others are copied as
 * they are, whole runs of lines at a time, not cut and written again.
 * Those lines were checked when they were written, by the writer of the
 * generation before; what they are now is checked by the seal, the
 * CRC-32 of the whole generation (tiers-stream(5)): each run's is
 * computed once, joined into the seal of the lines read (crc32_combine)
 * and carried into the new generation's (ts_wlines).  A record an entry
 * touches is checked whole, as a reader checks it (ts_line).
 */
#define WALK_RELEASE (16 << 20)
/* WALK_RELEASE, or $TIERS_WALK_RELEASE bytes (for the tests of long runs). */
static size_t walkrelease = WALK_RELEASE;
static struct walk {
	int on;
	const char *m0;		/* the file, mapped */
	const char *d0;		/* the lines after the header */
	const char *t;		/* the trailer */
	const char *p, *nl;	/* the current record line, and its end */
	const char *run;	/* the lines copied, not yet written: [run, p) */
	const char *rel;	/* the pages before it given back */
	uint64_t nrun;
	uint32_t crc;		/* the CRC-32 of the lines read before run */
	struct bi_run *runs;	/* for the index: the runs copied, where they went */
	size_t nruns, capruns;
} mw;

/*
 * The run of lines copied so far into the new master (none while the
 * line at p, touched, is being replaced: the run starts after it).
 */
static void
runflush(void)
{
	size_t n;
	uint32_t c;

	if (mw.p <= mw.run)
		return;
	n = (size_t)(mw.p - mw.run);
	c = crc32_buf(0, mw.run, n);
	mw.crc = (uint32_t)crc32_combine(mw.crc, c, (z_off_t)n);
	ts_wlines(&mastw, mw.run, n, mw.nrun, 0, c);
	if (ixname != NULL) {
		/* moff counted the run's lines, and nothing was written since the first. */
		if (mw.nruns == mw.capruns)
			mw.runs = xrealloc(mw.runs, (mw.capruns = mw.capruns ? 2 * mw.capruns :
			    1024) * sizeof *mw.runs);
		mw.runs[mw.nruns].a = (uint64_t)(mw.run - mw.m0);
		mw.runs[mw.nruns].b = (uint64_t)(mw.p - mw.m0);
		mw.runs[mw.nruns++].to = moff - n;
	}
	mw.run = mw.p;
	mw.nrun = 0;
	/* The pages behind, copied: not resident for the rest of the walk. */
	if ((size_t)(mw.run - mw.rel) >= walkrelease)
		mw.rel = pages_release(mw.rel, mw.run);
}

/*
 * The first fields of the line at p (to nl), up to rang, the last of
 * the index's keys; -1 if it has fewer.
 */
static int
cutkeys(const char *p, const char *nl, struct field *f)
{
	const char *t;
	int i;

	for (i = 0; i <= M_RANG; i++) {
		if ((t = memchr(p, '\t', (size_t)(nl - p))) == NULL)
			return -1;
		f[i].p = p;
		f[i].n = (size_t)(t - p);
		p = t + 1;
	}
	return 0;
}

/*
 * A record of the new master at off into the index: its key fields, as
 * f gives them for each column of mcols (up to rang).  0, or -1 with
 * the field and why its keys cannot be indexed.
 */
static int
ixat(const struct field *f, uint64_t off, const char **field, const char **why)
{
	struct field kf[BK_NCOL];

	kf[BK_AMC] = f[M_AMC];
	kf[BK_NIR] = f[M_NIR];
	kf[BK_KEY] = f[M_NIRKEY];
	kf[BK_BNIR] = f[M_BNIR];
	kf[BK_BIRTH_DATE] = f[M_BIRTH];
	kf[BK_RANG] = f[M_RANG];
	kf[BK_ADH] = f[M_ADHERENT];
	return bi_ix_add(kf, off, field, why);
}

/*
 * A record about to be written at moff (the line 3 + nmaster_out, after
 * the header and the business date) into the index.
 */
static void
ixput(const struct field *f)
{
	const char *field, *why;

	if (ixat(f, moff, &field, &why) < 0)
		die_at(EX_DATAERR, mastname, 3 + (long)nmaster_out, field, "%s", why);
}

static void
wmaster(char f[][FLD])
{
	struct field kf[NM];
	size_t len = 0;
	int i;

	if (mw.on)
		runflush();
	for (i = 0; i < NM; i++) {
		kf[i].p = f[i];
		kf[i].n = strlen(f[i]);
		len += kf[i].n + 1;
		ts_wstr(&mastw, kf[i].p, kf[i].n);
	}
	ts_wend(&mastw);
	if (ixname != NULL)
		ixput(kf);
	moff += len;
}

/* The master record r has just read, as it is (its columns those of mcols, in order). */
static void
wcopy(const struct ts_reader *r)
{
	ts_wcopy(&mastw, r);
	if (ixname != NULL)
		ixput(r->f);
	moff += r->len + 1;
}

/* Key order: field by field, bytes (sort -t TAB -k1,1 -k2,2 -k3,3 in C). */
static int
keycmp(char a[][FLD], char b[][FLD])
{
	int i, c;

	for (i = 0; i < NKEY; i++)
		if ((c = strcmp(a[i], b[i])) != 0)
			return c;
	return 0;
}

/* The key of the master record r has just read (its columns mc) against an entry's. */
static int
mkeycmp(const struct ts_reader *r, const int *mc, char e[][FLD])
{
	size_t n;
	int i, c;

	for (i = 0; i < NKEY; i++) {
		const struct field *f = &r->f[mc[i]];

		n = strlen(e[i]);
		if ((c = memcmp(f->p, e[i], f->n < n ? f->n : n)) == 0)
			c = (f->n > n) - (f->n < n);
		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * The key of the master line at p (to nl) against an entry's, k: its
 * fields each followed by a TAB (klen bytes).  Bytes compared as they
 * are order as mkeycmp orders fields: a TAB is below any byte a field
 * holds, so a field that is a prefix of the other's comes first.
 */
static int
wkeycmp(const char *p, const char *nl, const char *k, size_t klen)
{
	size_t n = (size_t)(nl - p);
	int c;

	if ((c = memcmp(p, k, n < klen ? n : klen)) != 0)
		return c;
	return n < klen ? -1 : 0;
}

/* Split a TAB line into n fields of FLD; -1 if the count differs. */
static int
split(char *line, size_t len, char f[][FLD], int n)
{
	char *p = line, *end = line + len, *t;
	int i;

	for (i = 0; i < n; i++) {
		t = memchr(p, '\t', (size_t)(end - p));
		if (t == NULL)
			t = end;
		if (t - p >= FLD)
			return -1;
		memcpy(f[i], p, (size_t)(t - p));
		f[i][t - p] = '\0';
		if (t == end && i < n - 1)
			return -1;
		p = t + 1;
	}
	return p - 1 == end ? 0 : -1;
}

/*
 * The keys of the runs the walk copied, for the index: the entries of
 * the index of the day before carried over, when it is that of the
 * master read (its identity, count, seal and CRC-32); else the lines
 * of the runs cut and hashed, at their new offsets.
 */
static void
ixruns(struct ts_reader *r, const char *master, uint32_t seal)
{
	struct field kf[M_RANG + 1];
	const char *p, *e, *nl, *field, *bad, *rel = mw.m0;
	char why[192];
	size_t i;

	if (oldix != NULL && bi_ix_carry(oldix, r, nmaster_in, seal, mw.runs, mw.nruns,
	    why, sizeof why) == 0)
		return;
	if (oldix != NULL)
		warn_at(oldix, 0, NULL, "not carried over, the keys hashed again: %s", why);
	for (i = 0; i < mw.nruns; i++)
		for (p = mw.m0 + mw.runs[i].a, e = mw.m0 + mw.runs[i].b; p < e; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(e - p));
			if (cutkeys(p, nl, kf) < 0)
				die_at(EX_DATAERR, master, ts_lineof(r, p), NULL,
				    "fewer fields than the header names");
			if (ixat(kf, mw.runs[i].to + (uint64_t)(p - (mw.m0 + mw.runs[i].a)),
			    &field, &bad) < 0)
				die_at(EX_DATAERR, master, ts_lineof(r, p), field, "%s", bad);
			/* The pages behind, read: not resident for the rest. */
			if ((size_t)(nl + 1 - rel) >= walkrelease)
				rel = pages_release(rel, nl + 1);
		}
}

/* Apply the sorted entries to the master. */
static void
merge(const char *master, const char *sorted)
{
	static char m[NM][FLD], e[NM + 3][FLD], cur[NM][FLD], gkey[NM][FLD];
	int mc[NM];
	struct ts_reader r;
	struct lines in;
	char *line, efile[FLD], eline[FLD], ekey[3 * FLD];
	size_t eklen = 0;
	size_t len;
	const char *why;
	int hm = 0, he, st, i, have, copy = 0;
	long en = 0;

	if (master != NULL) {
		if (ts_open(&r, master, "benef-master", 1) < 0)
			ts_fatal(&r);
		/*
		 * Its columns by name: this version's, or those of before the
		 * card's (M_NEW), which it then has empty.
		 */
		for (i = 0; i < NM; i++)
			if ((mc[i] = ts_col(&r, mcols[i])) < 0 && !M_NEW(i))
				break;
		if (i < NM || r.ncol != NM - (M_UPDATED - M_CARDNUM) * (mc[M_CARDNUM] < 0))
			die_at(EX_DATAERR, master, 1, "header", "not the benef-master columns");
		for (i = M_CARDNUM; i < M_UPDATED; i++)
			if ((mc[i] < 0) != (mc[M_CARDNUM] < 0))
				die_at(EX_DATAERR, master, 1, "header", "not the benef-master columns");
		/*
		 * A master of this version's columns in this order: the
		 * records no entry changes are copied as they were read
		 * (checked whole by the reader), not cut and written again.
		 */
		for (copy = 1, i = 0; i < NM; i++)
			if (mc[i] != i)
				copy = 0;
		if (copy && ts_map(&r) == 0) {
			const char *wr = getenv("TIERS_WALK_RELEASE");
			const char *mp = r.map, *end = mp + r.maplen, *t;

			t = end > mp + r.hdrlen && end[-1] == '\n' ? end - 1 : end;
			while (t > mp + r.hdrlen && t[-1] != '\n')
				t--;
			/* Else read through, to say what is wrong where ts_next says it. */
			if (end[-1] == '\n' && t >= mp + r.hdrlen && (strncmp(t, "#end\t", 5) == 0 ||
			    strncmp(t, "#end2\t", 6) == 0)) {
				mw.on = 1;
				mw.m0 = mp;
				mw.d0 = mw.p = mw.run = mw.rel = mp + r.hdrlen;
				mw.t = t;
				mw.crc = (uint32_t)crc32(0L, Z_NULL, 0);
				if (wr != NULL && *wr != '\0')
					walkrelease = (size_t)strtoull(wr, NULL, 10);
			}
		}
	}
	if (lines_open(&in, sorted) < 0)
		die(EX_IOERR, "%s: %s", sorted, strerror(errno));

	/*
	 * Every column of the master is one of mcols: a field too long
	 * shows in the lengths or-ed together (FLD a power of two), then
	 * looked for in mcols' order for the message.
	 */
#define NEXTM() do { \
	hm = 0; \
	if (mw.on) { \
		if (mw.nl != NULL) \
			mw.p = mw.nl + 1; \
		mw.nl = NULL; \
		while (mw.p < mw.t && *mw.p == '#') { \
			/* Metadata (the business date): read, not copied. */ \
			const char *nl_ = memchr(mw.p, '\n', (size_t)(mw.t - mw.p)); \
			if (strncmp(mw.p, "#end\t", 5) == 0 || strncmp(mw.p, "#end2\t", 6) == 0) \
				die_at(EX_DATAERR, master, ts_lineof(&r, mw.p), NULL, \
				    "data after the trailer"); \
			runflush(); \
			mw.crc = crc32_buf(mw.crc, mw.p, (size_t)(nl_ + 1 - mw.p)); \
			mw.p = mw.run = nl_ + 1; \
		} \
		if (mw.p < mw.t) { \
			mw.nl = memchr(mw.p, '\n', (size_t)(mw.t - mw.p)); \
			hm = 1; \
			nmaster_in++; \
		} \
	} else if (master != NULL && (st = ts_next(&r)) == 1) { \
		size_t or_ = 0; \
		for (i = 0; i < r.ncol; i++) \
			or_ |= r.f[i].n; \
		if ((or_ & ~(size_t)(FLD - 1)) != 0) \
			for (i = 0; i < NM; i++) \
				if (mc[i] >= 0 && r.f[mc[i]].n >= FLD) \
					die_at(EX_DATAERR, master, r.in.lineno, mcols[i], \
					    "too long"); \
		hm = 1; \
		nmaster_in++; \
	} else if (master != NULL && st < 0) \
		ts_fatal(&r); \
} while (0)
	/*
	 * A line of the walk an entry touches: checked whole (ts_line), the
	 * lengths of its fields as NEXTM checks them, and not copied.
	 */
#define TOUCHM() do { \
	if (mw.on) { \
		size_t or_ = 0; \
		runflush(); \
		if (ts_line(&r, mw.p) < 0) \
			ts_fatal(&r); \
		for (i = 0; i < r.ncol; i++) \
			or_ |= r.f[i].n; \
		if ((or_ & ~(size_t)(FLD - 1)) != 0) \
			for (i = 0; i < NM; i++) \
				if (r.f[i].n >= FLD) \
					die_at(EX_DATAERR, master, ts_lineof(&r, mw.p), mcols[i], \
					    "too long"); \
		mw.crc = crc32_buf(mw.crc, mw.p, (size_t)(mw.nl + 1 - mw.p)); \
		mw.run = mw.nl + 1; \
	} \
} while (0)
	/* The master record's fields, when an entry touches it or it is not copied. */
#define CUTM() do { \
	for (i = 0; i < NM; i++) { \
		const struct field *mf = mc[i] < 0 ? NULL : &r.f[mc[i]]; \
		if (mf == NULL) { \
			m[i][0] = '\0'; \
			continue; \
		} \
		memcpy(m[i], mf->p, mf->n); \
		m[i][mf->n] = '\0'; \
	} \
} while (0)
#define NEXTE() do { \
	he = 0; \
	if ((st = lines_next(&in, &line, &len, &why)) == 1) { \
		/* key(3) seq file line, then columns from NKEY */ \
		static char tmp[NM + 3][FLD]; \
		if (split(line, len, tmp, NM + 3) < 0) \
			die(EX_SOFTWARE, "%s: entry %ld malformed", sorted, en); \
		for (i = 0; i < NKEY; i++) \
			memcpy(e[i], tmp[i], FLD); \
		memcpy(efile, tmp[4], FLD); \
		snprintf(eline, sizeof eline, "%s", tmp[5]); \
		for (i = NKEY; i < NM; i++) \
			memcpy(e[i], tmp[i + 3], FLD); \
		for (eklen = 0, i = 0; i < NKEY; i++) { \
			size_t n_ = strlen(e[i]); \
			memcpy(ekey + eklen, e[i], n_); \
			ekey[eklen + n_] = '\t'; \
			eklen += n_ + 1; \
		} \
		he = 1; \
		en++; \
	} else if (st < 0) \
		die(EX_IOERR, "%s: %s", sorted, why); \
} while (0)

	NEXTM();
	NEXTE();
	while (hm || he) {
		int c = !hm ? 1 : !he ? -1 : mw.on ? wkeycmp(mw.p, mw.nl, ekey, eklen) :
		    mkeycmp(&r, mc, e);

		if (c < 0) {
			/* No entry: the master record goes on unchanged. */
			if (mw.on) {
				moff += (size_t)(mw.nl + 1 - mw.p);
				mw.nrun++;
				/*
				 * A long run written as it goes, its pages then
				 * given back: the resident memory of the walk is
				 * not that of the longest run no entry touches.
				 */
				if ((size_t)(mw.nl + 1 - mw.run) >= walkrelease) {
					mw.p = mw.nl + 1;
					mw.nl = NULL;
					runflush();
				}
			} else if (copy)
				wcopy(&r);
			else {
				CUTM();
				wmaster(m);
			}
			nmaster_out++;
			NEXTM();
			continue;
		}
		/* Entries of this key, in file order, over the master record. */
		have = c == 0;
		if (have) {
			TOUCHM();
			CUTM();
			memcpy(cur, m, sizeof cur);
		}
		for (i = 0; i < NKEY; i++)
			memcpy(gkey[i], e[i], FLD);
		do {
			struct entry fake;

			if (!have && strcmp(e[M_STATE], "OU") != 0 && strcmp(e[M_STATE], "NA") != 0) {
				memset(&fake, 0, sizeof fake);
				memcpy(fake.f, e, sizeof fake.f);
				snprintf(fake.file, sizeof fake.file, "%s", efile);
				fake.line = atol(eline);
				reject(&fake, R_UNKNOWN, e[M_STATE], NULL);
			} else if (!have) {
				memcpy(cur, e, sizeof cur);
				snprintf(cur[M_UPDATED], FLD, "%s", bizdate_s);
				movement(cur, "create", 0, "", efile, eline);
				nmv[0]++;
				if (*cur[M_CARD])
					movement(cur, "card", 0, "", efile, eline), nmv[3]++;
				have = 1;
			} else {
				int same = 1, retro = 0;
				int32_t on, nn;
				char oldend[FLD];

				for (i = NKEY; i < M_UPDATED; i++)
					if (strcmp(cur[i], e[i]) != 0)
						same = 0;
				if (!same) {
					/*
					 * The rights' ends, empty when open: the entry's
					 * made by bi_check, the master's read as it is.
					 */
					snprintf(oldend, sizeof oldend, "%s", cur[M_REND]);
					on = nn = INT32_MAX;
					if (*oldend && date_parse(oldend, strlen(oldend), &on) < 0)
						die_at(EX_DATAERR, master, mw.on ?
						    ts_lineof(&r, mw.p) : r.in.lineno, "rights_end",
						    "not a date");
					if (*e[M_REND] && date_parse(e[M_REND], strlen(e[M_REND]), &nn) < 0)
						die(EX_SOFTWARE, "%s: entry %ld: rights_end not a date",
						    sorted, en);
					/*
					 * Rights cut short below what was integrated and
					 * already run: acts paid within them may now be
					 * outside (indus-extract(1)).
					 */
					retro = nn < on && nn < bizdate;
					memcpy(cur, e, sizeof cur);
					snprintf(cur[M_UPDATED], FLD, "%s", bizdate_s);
					if (nn < on || strcmp(cur[M_STATE], "OU") != 0) {
						movement(cur, "radiate", retro, oldend, efile, eline);
						nmv[2]++;
					} else {
						movement(cur, "modify", 0, oldend, efile, eline);
						nmv[1]++;
					}
					if (*cur[M_CARD])
						movement(cur, "card", 0, oldend, efile, eline), nmv[3]++;
				}
			}
			NEXTE();
		} while (he && keycmp(gkey, e) == 0);
		if (have) {
			wmaster(cur);
			nmaster_out++;
		}
		if (c == 0)
			NEXTM();
	}
	if (mw.on) {
		/*
		 * The generation read: its count, its sum (no amounts) and its
		 * seal, the CRC-32 of its lines, the header's joined to them for
		 * a trailer of format 2.
		 */
		uint32_t seal = mw.crc;

		mw.p = mw.t;
		runflush();
		if (strncmp(mw.t, "#end2\t", 6) == 0)
			seal = (uint32_t)crc32_combine(r.hcrc, mw.crc, (z_off_t)(mw.t - mw.d0));
		if (ts_mapident(&r, nmaster_in, 0, seal) < 0)
			ts_fatal(&r);
		if (ixname != NULL)
			ixruns(&r, master, seal);
	}
	if (master != NULL)
		ts_close(&r);
	lines_close(&in);
}

/* ---------- files, order, state ---------- */

struct input {
	const char *path;
	int csv;
	char sender[FLD];
	long fileno;
	int skip;		/* already integrated */
	int empty;		/* a CSV header alone: no sender, no number */
	long nent;		/* its beneficiaries, integrated or rejected */
};

static int
inputcmp(const void *a, const void *b)
{
	const struct input *x = a, *y = b;
	int c = strcmp(x->sender, y->sender);

	if (c != 0)
		return c;
	return x->fileno < y->fileno ? -1 : x->fileno > y->fileno;
}

static const char *const statecols[] = {
	"sender", "file_number", "file", "business_date", "entries"
};

struct done {
	char sender[FLD];
	long fileno;
	char row[512];
};
static struct done *done;
static size_t ndone;

static void
loadstate(const char *path)
{
	struct ts_reader r;
	int st;

	if (ts_open(&r, path, "benef-files", 1) < 0) {
		ts_perror(&r);
		exit(r.errline < 0 ? EX_NOINPUT : EX_DATAERR);
	}
	if (r.ncol != 5 || strcmp(r.cols[0], "sender") || strcmp(r.cols[1], "file_number"))
		die_at(EX_DATAERR, path, 1, "header", "not the benef-files columns");
	while ((st = ts_next(&r)) == 1) {
		done = xrealloc(done, (ndone + 1) * sizeof *done);
		snprintf(done[ndone].sender, FLD, "%.*s", (int)r.f[0].n, r.f[0].p);
		done[ndone].fileno = atol(r.f[1].p);
		snprintf(done[ndone].row, sizeof done[ndone].row, "%.*s", (int)r.len, r.line);
		ndone++;
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

static int
isdone(const char *sender, long fileno)
{
	size_t i;

	for (i = 0; i < ndone; i++)
		if (strcmp(done[i].sender, sender) == 0 && done[i].fileno == fileno)
			return 1;
	return 0;
}

/*
 * The day's entries are sorted here when they fit in ESORTMEM, which a
 * day's file does many times over: forking sort(1) cost more than the
 * sort.  More (a client's first load) go to sort(1), whose memory is
 * bounded whatever the size.
 */
#define ESORTMEM (64 << 20)

/* ESORTMEM, or $TIERS_ESORTMEM bytes (for the tests of sort(1)'s runs). */
static size_t
esortmem(void)
{
	const char *e = getenv("TIERS_ESORTMEM");

	return e != NULL && *e != '\0' ? (size_t)strtoull(e, NULL, 10) : ESORTMEM;
}

struct eline {
	const char *p;
	size_t len;
};

/*
 * sort(1)'s order with LC_ALL=C, -t TAB -k1,1 -k2,2 -k3,3 -k4,4: the
 * key's fields, then the sequence number, each byte by byte and shorter
 * before longer, then, its last resort, the whole lines.  That is the
 * order of the lines' bytes as they are: a field holds no byte below a
 * space (bi_setf), and the TAB that ends it is below any it holds, so a
 * field that is a prefix of the other's comes first, as sort(1) puts
 * it.  The sequence numbers differ: the order is total and the sort need
 * not be stable.  (Cutting the fields at each comparison was four fifths
 * of the sort.)
 */
static int
elinecmp(const void *x, const void *y)
{
	const struct eline *a = x, *b = y;
	int c;

	if ((c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len)) == 0)
		c = (a->len > b->len) - (a->len < b->len);
	return c;
}

/* The entries in in sorted into out as sort(1) would: 0, or -1 if too many. */
static int
sortmem(const char *in, const char *out)
{
	struct eline *v = NULL;
	size_t n = 0, cap = 0, i, len = 0, size;
	char *buf, *p, *e, *nl;
	struct stat st;
	ssize_t k;
	FILE *f;
	int fd;

	if ((fd = open(in, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		die(EX_IOERR, "%s: %s", in, strerror(errno));
	if ((uint64_t)st.st_size >= esortmem()) {
		close(fd);
		return -1;
	}
	size = (size_t)st.st_size;
	buf = xmalloc(size + 1);
	while (len < size && (k = read(fd, buf + len, size - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die(EX_IOERR, "%s: %s", in, strerror(errno));
		len += (size_t)k;
	}
	close(fd);
	if (len != size || (len > 0 && buf[len - 1] != '\n'))
		die(EX_SOFTWARE, "%s: entries not as written", in);
	for (p = buf, e = buf + len; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (n == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 4096) * sizeof *v);
		v[n].p = p;
		v[n++].len = (size_t)(nl - p);
	}
	qsort(v, n, sizeof *v, elinecmp);
	if ((f = fopen(out, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
	for (i = 0; i < n; i++)
		if (fwrite(v[i].p, 1, v[i].len + 1, f) != v[i].len + 1)
			die(EX_IOERR, "%s: write error", out);
	if (fclose(f) != 0)
		die(EX_IOERR, "%s: write error", out);
	free(v);
	free(buf);
	return 0;
}

/* sort(1)'s own temporary files go in our scratch directory too. */
static void
sortfile(const char *in, const char *out)
{
	const char *tmp = tmp_dir();
	pid_t pid;
	int st;

	if ((pid = tmp_fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		setenv("LC_ALL", "C", 1);
		execlp("sort", "sort", "-t", "\t", "-k1,1", "-k2,2", "-k3,3", "-k4,4",
		    "-S", "256M", "-T", tmp, "-o", out, in, (char *)NULL);
		_exit(127);
	}
	if (tmp_wait(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(EX_SOFTWARE, "sort failed");
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-X reference.xsd] [-m master] [-s state] [-w new-state]\n"
	    "       [-i index] [-x new-index] -d business-date -o new-master -M movements\n"
	    "       -R rejects file ...\n",
	    progname_());
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	static const char *const rejcols[] = {
		"file", "line", "amc", "contract", "member_ref", "code", "label"
	};
	const char *master = NULL, *out = NULL, *mvout = NULL, *rejout = NULL;
	const char *state = NULL, *newstate = NULL, *refxsd = NULL, *date = NULL;
	struct pub pm, pv, pr, px;
	struct input *in;
	static const struct bi_sink sink = { put_entry, reader_reject, NULL };
	xmlSchemaPtr projschema, refschema = NULL;
	char *tmpl[2], msg[1024], meta[256];
	uint32_t hcrc = 0, seal;
	struct stat mst;
	uint64_t nkey = 0, nbucket = 0;
	int ch, i, nin, fd, refused = 0, st;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "M:R:X:d:i:m:o:s:w:x:")) != -1)
		switch (ch) {
		case 'M': mvout = optarg; break;
		case 'R': rejout = optarg; break;
		case 'X': refxsd = optarg; break;
		case 'd': date = optarg; break;
		case 'i': oldix = optarg; break;
		case 'm': master = optarg; break;
		case 'o': out = optarg; break;
		case 's': state = optarg; break;
		case 'w': newstate = optarg; break;
		case 'x': ixname = optarg; break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (date == NULL || out == NULL || mvout == NULL || rejout == NULL ||
	    (oldix != NULL && ixname == NULL))
		usage();
	if (date_parse(date, strlen(date), &bizdate) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(bizdate, bizdate_s);

	if (bi_xml_memory() != 0)
		die(EX_SOFTWARE, "libxml2: cannot set its memory functions");
	LIBXML_TEST_VERSION
	xmlSubstituteEntitiesDefault(0);
	if ((projschema = bi_loadschema(benef_xsd, NULL)) == NULL)
		die(EX_CONFIG, "benef-normev3.xsd (built in): not a usable XML schema");
	if (refxsd != NULL && (refschema = bi_loadschema(NULL, refxsd)) == NULL)
		die(EX_CONFIG, "%s: not a usable XML schema", refxsd);
	if (state != NULL)
		loadstate(state);

	/* The files, in sender and file-number order. */
	nin = argc;
	in = xmalloc((size_t)(nin ? nin : 1) * sizeof *in);
	for (i = 0; i < nin; i++) {
		size_t n = strlen(argv[i]);
		const char *base = n > 3 && strcmp(argv[i] + n - 3, ".gz") == 0 ?
		    argv[i] + n - 7 : argv[i] + n - 4;

		memset(&in[i], 0, sizeof in[i]);
		in[i].path = argv[i];
		in[i].csv = n >= 4 && base >= argv[i] && strncmp(base, ".csv", 4) == 0;
		st = in[i].csv ? bi_csv_head(argv[i], in[i].sender, &in[i].fileno, msg, sizeof msg) :
		    bi_xml_head(argv[i], in[i].sender, &in[i].fileno, msg, sizeof msg);
		if (st == EX_SOFTWARE)
			die(st, "%s", msg);
		if (st > 1) {
			warnx_("%s", msg);
			refused = st;
		}
		in[i].empty = st == 1;
	}
	qsort(in, (size_t)nin, sizeof *in, inputcmp);

	/* Outputs: temporaries until every file has been read whole. */
	if (pub_open(&pm, out) < 0)
		die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
	if (pub_open(&pv, mvout) < 0)
		die(EX_CANTCREAT, "%s: %s", mvout, strerror(errno));
	if (pub_open(&pr, rejout) < 0)
		die(EX_CANTCREAT, "%s: %s", rejout, strerror(errno));
	if (ixname != NULL && pub_open(&px, ixname) < 0)
		die(EX_CANTCREAT, "%s: %s", ixname, strerror(errno));
	mastname = out;
	ts_wopen(&rejw, pr.fd, rejout, "benef-reject", 1, rejcols, 7);
	ts_wopen(&mvw, pv.fd, mvout, "benef-movement", 1, mvcols, 11);
	ts_wopen(&mastw, pm.fd, out, "benef-master", 1, mcols, NM);
	/*
	 * The header line is what the writer holds yet, then the business
	 * date: the index records the header's CRC-32, and offsets from
	 * the first record's.
	 */
	hcrc = crc32_buf(0, mastw.buf, mastw.len);
	snprintf(meta, sizeof meta, "business_date\t%s", bizdate_s);
	ts_wmeta(&mastw, meta);
	moff = mastw.len;
	ts_wmeta(&mvw, meta);
	ts_wmeta(&rejw, meta);

	/* The entries, then sorted: in a scratch directory removed at exit. */
	fd = tmp_open("entries", &tmpl[0]);
	if ((entries = fdopen(fd, "w")) == NULL)
		die(EX_CANTCREAT, "%s: %s", tmpl[0], strerror(errno));
	close(tmp_open("sorted", &tmpl[1]));
	for (i = 0; i < nin && !refused; i++) {
		/* A header alone names no file to check against the others. */
		if (!in[i].empty && isdone(in[i].sender, in[i].fileno)) {
			warn_at(in[i].path, 0, NULL, "sender %s file %ld already integrated: skipped",
			    in[i].sender, in[i].fileno);
			in[i].skip = 1;
			continue;
		}
		for (st = in[i].empty ? i : 0; st < i; st++)
			if (!in[st].skip && !in[st].empty &&
			    strcmp(in[st].sender, in[i].sender) == 0 &&
			    in[st].fileno == in[i].fileno)
				break;
		if (st < i) {
			warn_at(in[i].path, 0, NULL, "sender %s file %ld given twice: skipped",
			    in[i].sender, in[i].fileno);
			in[i].skip = 1;
			continue;
		}
		fileent = &in[i].nent;
		st = in[i].csv ? bi_csv_file(in[i].path, &sink, msg, sizeof msg) :
		    bi_xml_file(in[i].path, in[i].sender, in[i].fileno,
		    refschema ? refschema : projschema, &sink, msg, sizeof msg);
		if (st == EX_SOFTWARE)
			die(st, "%s", msg);
		if (st != 0) {
			warnx_("%s", msg);
			refused = st;
		}
	}
	fileent = NULL;
	if (fclose(entries) != 0)
		die(EX_IOERR, "%s: write error", tmpl[0]);
	if (refused) {
		/*
		 * Nothing of the day is published, the master no more than the
		 * rest: the previous generation stays where it is, and no file
		 * under a final name can be taken for today's.
		 */
		ts_wclose(&rejw);
		ts_wclose(&mvw);
		ts_wclose(&mastw);
		pub_abort(&pr);
		pub_abort(&pv);
		pub_abort(&pm);
		if (ixname != NULL)
			pub_abort(&px);
		unlink(tmpl[0]);
		unlink(tmpl[1]);
		exit(refused);
	}
	/*
	 * Sorted on the key, then on the order written: entries written in
	 * key order are that already (a client's file sorted by contract).
	 */
	if (unsorted && sortmem(tmpl[0], tmpl[1]) < 0)
		sortfile(tmpl[0], tmpl[1]);
	merge(master, unsorted ? tmpl[1] : tmpl[0]);
	unlink(tmpl[0]);
	unlink(tmpl[1]);
	free(tmpl[0]);
	free(tmpl[1]);
	/*
	 * The seal the trailer is to carry: the CRC-32 of the lines before
	 * it, those the writer holds yet joined to what it wrote.
	 */
	seal = crc32_buf(mastw.crc, mastw.buf + mastw.crcfrom, mastw.len - mastw.crcfrom);
	ts_wclose(&mastw);
	ts_wclose(&mvw);
	ts_wclose(&rejw);
	if (ixname != NULL) {
		if (fstat(pm.fd, &mst) < 0)
			die(EX_IOERR, "%s: %s", out, strerror(errno));
		bi_ix_write(px.fd, ixname, (uint64_t)mst.st_size, nmaster_out, 0, seal, hcrc,
		    &nkey, &nbucket);
	}
	if (pub_commit(&pm) < 0 || pub_commit(&pv) < 0 || pub_commit(&pr) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	if (ixname != NULL && pub_commit(&px) < 0)
		die(EX_IOERR, "%s: %s", ixname, strerror(errno));
	if (newstate != NULL) {
		struct pub ps;
		struct ts_writer w;
		size_t k;

		if (pub_open(&ps, newstate) < 0)
			die(EX_CANTCREAT, "%s: %s", newstate, strerror(errno));
		ts_wopen(&w, ps.fd, newstate, "benef-files", 1, statecols, 5);
		for (k = 0; k < ndone; k++) {
			char *s = done[k].row, *t;
			int c;

			for (c = 0; c < 5; c++) {
				t = strchr(s, '\t');
				ts_wstr(&w, s, t ? (size_t)(t - s) : strlen(s));
				s = t ? t + 1 : s + strlen(s);
			}
			ts_wend(&w);
		}
		for (i = 0; i < nin; i++) {
			const char *b = strrchr(in[i].path, '/');

			if (in[i].skip || in[i].empty)
				continue;
			ts_wcstr(&w, in[i].sender);
			ts_wint(&w, in[i].fileno);
			ts_wcstr(&w, b ? b + 1 : in[i].path);
			ts_wcstr(&w, bizdate_s);
			ts_wint(&w, in[i].nent);
			ts_wend(&w);
		}
		ts_wclose(&w);
		if (pub_commit(&ps) < 0)
			die(EX_IOERR, "%s: %s", newstate, strerror(errno));
	}
	/* Conservation: master in + created = master out. */
	if (nmaster_in + nmv[0] != nmaster_out)
		die(EX_SOFTWARE, "conservation: %llu in + %llu created != %llu out",
		    (unsigned long long)nmaster_in, (unsigned long long)nmv[0],
		    (unsigned long long)nmaster_out);
	fprintf(stderr, "%s: %s: %llu entries, %llu rejected; master %llu -> %llu; "
	    "%llu created, %llu modified, %llu radiated, %llu card movements\n",
	    progname_(), bizdate_s, (unsigned long long)nentries,
	    (unsigned long long)nrejects, (unsigned long long)nmaster_in,
	    (unsigned long long)nmaster_out, (unsigned long long)nmv[0],
	    (unsigned long long)nmv[1], (unsigned long long)nmv[2],
	    (unsigned long long)nmv[3]);
	if (ixname != NULL)
		fprintf(stderr, "%s: index: %llu beneficiaries, %llu keys in %llu buckets\n",
		    progname_(), (unsigned long long)nmaster_out, (unsigned long long)nkey,
		    (unsigned long long)nbucket);
	free(in);
	free(done);
	xmlSchemaFree(projschema);
	if (refschema)
		xmlSchemaFree(refschema);
	xmlCleanupParser();
	return EX_OK;
}
