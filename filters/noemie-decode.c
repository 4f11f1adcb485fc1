/*
 * noemie-decode: NOEMIE décomptes and B2-style invoices into the claim
 * stream, one record per act line.  The byte layouts are tables
 * (formats/layouts/, tiers-layout(5)) and how levels nest and close is
 * formats/noemie.c's; this program knows what the fields mean, what a
 * claim record holds, and which file may be decoded at all.
 *
 * A file is decoded whole or not at all: its records are held at a writer
 * checkpoint and dropped if anything in the file is wrong (a count or a
 * total that does not match, a field that does not parse, a truncated
 * gzip), while the other files go on.  A wrong NIR key in a well-formed
 * file is not an error but a flag on the record, for the later stages.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiers.h"
#include "layout.h"
#include "noemie.h"

/* The claim stream: origin, then the claim's slots, then the flags. */
#define NCOL (1 + 3 + 3 + (NM_LASTCLAIM - NM_REGIME + 1) + 1)
static const char *cols[NCOL];

/* Files already decoded: the state, and this run's. */
struct seen {
	char *key;		/* flow TAB sender TAB file_number */
	char *row;		/* the state record, as written */
};

static struct nm_lay *lays;
static int nlays;
static struct seen *seen;
static size_t nseen, capseen;
static struct ts_writer out, rep;
static int hasrep;

static int
findseen(const char *key)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (strcmp(seen[i].key, key) == 0)
			return (int)i;
	return -1;
}

static void
addseen(char *key, char *row)
{
	if (nseen == capseen) {
		capseen = capseen ? capseen * 2 : 64;
		seen = xrealloc(seen, capseen * sizeof *seen);
	}
	seen[nseen].key = key;
	seen[nseen].row = row;
	nseen++;
}

static char *
joinkey(const char *flow, const char *sender, const char *fileno)
{
	size_t n = strlen(flow) + strlen(sender) + strlen(fileno) + 3;
	char *k = xmalloc(n);

	snprintf(k, n, "%s\t%s\t%s", flow, sender, fileno);
	return k;
}

static const char *const statecols[] = {
	"flow", "sender", "file_number", "file_date", "file", "records", "amount_eur"
};

/* Read the state of files already decoded. */
static void
loadstate(const char *path)
{
	struct ts_reader r;
	char *key, *row;
	int c[3], i, st;

	errno = 0;
	if (ts_open(&r, path, "decoded-files", 1) < 0) {
		ts_perror(&r);
		exit(r.errline < 0 ? EX_NOINPUT : EX_DATAERR);
	}
	/* Rows are written back as read: the columns must be ours. */
	if (r.ncol != 7)
		die_at(EX_DATAERR, path, 1, "header", "not the decoded-files columns");
	for (i = 0; i < 7; i++)
		if (strcmp(r.cols[i], statecols[i]) != 0)
			die_at(EX_DATAERR, path, 1, "header", "not the decoded-files columns");
	for (i = 0; i < 3; i++)
		c[i] = i;
	while ((st = ts_next(&r)) == 1) {
		struct field *f = r.f;
		char buf[3][64];

		for (i = 0; i < 3; i++) {
			size_t n = f[c[i]].n < 63 ? f[c[i]].n : 63;

			memcpy(buf[i], f[c[i]].p, n);
			buf[i][n] = '\0';
		}
		key = joinkey(buf[0], buf[1], buf[2]);
		row = xmalloc(r.len + 1);
		memcpy(row, r.line, r.len);
		row[r.len] = '\0';
		addseen(key, row);
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

static void
savestate(const char *path)
{
	struct pub p;
	struct ts_writer w;
	size_t i;
	char *s, *t;
	int k;

	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "decoded-files", 1, statecols, 7);
	for (i = 0; i < nseen; i++) {
		s = seen[i].row;
		for (k = 0; k < 7; k++) {
			t = strchr(s, '\t');
			ts_wstr(&w, s, t ? (size_t)(t - s) : strlen(s));
			s = t ? t + 1 : s + strlen(s);
		}
		ts_wend(&w);
	}
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

static void
addlayout(const char *source, const char *text)
{
	char err[256];

	lays = xrealloc(lays, (size_t)(nlays + 1) * sizeof *lays);
	if (nm_lay_load(&lays[nlays], source, text, err, sizeof err) < 0)
		die(EX_CONFIG, "%s", err);
	nlays++;
}

/* -L name-or-file */
static void
layoutarg(const char *arg)
{
	FILE *fp;
	char *text;
	size_t n, cap = 1 << 16;
	int i;

	for (i = 0; i < lay_nbuiltins; i++)
		if (strcmp(lay_builtins[i].name, arg) == 0) {
			addlayout(arg, lay_builtins[i].text);
			return;
		}
	if ((fp = fopen(arg, "r")) == NULL)
		die(EX_NOINPUT, "%s: %s (not a built-in layout either)", arg, strerror(errno));
	text = xmalloc(cap);
	n = fread(text, 1, cap - 1, fp);
	if (ferror(fp) || !feof(fp))
		die(EX_CONFIG, "%s: unreadable, or larger than %zu bytes", arg, cap - 1);
	fclose(fp);
	text[n] = '\0';
	if (strlen(text) != n)
		die(EX_CONFIG, "%s: NUL byte", arg);
	addlayout(arg, text);
	free(text);
}

/* Decimal digits of v at p; the end.  Two digits a division. */
static char *
utoa(char *p, unsigned long v)
{
	static const char two[] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char b[24], *e = b + sizeof b;
	size_t n;

	for (; v >= 100; v /= 100) {
		e -= 2;
		memcpy(e, two + 2 * (v % 100), 2);
	}
	if (v >= 10) {
		e -= 2;
		memcpy(e, two + 2 * v, 2);
	} else
		*--e = (char)('0' + v);
	n = (size_t)(b + sizeof b - e);
	if (n <= 16)
		few_cpy(p, e, n);
	else
		memcpy(p, e, n);
	return p + n;
}

/*
 * A NIR and its key, whatever lengths the layout gave them.  The act lines
 * of one invoice carry the same NIR: the last one checked, and its
 * answer, are kept for each of the two slots.
 */
static int
nirok(const struct lay_val *nir, const struct lay_val *key, int slot)
{
	static struct {
		char nb[15];
		int ok;
	} last[2];
	char nb[15];

	if (nir->n != 13 || !key->set || key->n != 2)
		return 0;
	memcpy(nb, nir->text, 13);
	memcpy(nb + 13, key->text, 2);
	if (memcmp(nb, last[slot].nb, 15) != 0) {
		memcpy(last[slot].nb, nb, 15);
		last[slot].ok = nir_valid(nb, 15);
	}
	return last[slot].ok;
}

/*
 * A value and its TAB at q; the end.  Its text is copied by whole 16-byte
 * words, 16 bytes at least (a lay_val holds LAY_VALSZ bytes, and the
 * record has room past its end): few values are longer, and fixed copies
 * cost less than a loop or a copy of the exact length.
 */
static inline char *
addval(char *q, const struct lay_val *v)
{
	memcpy(q, v->text, 16);
	if (v->n > 16)
		memcpy(q + 16, v->text + 16, 32);
	q += v->n;
	*q++ = '\t';
	return q;
}

_Static_assert(LAY_VALSZ == 48, "addval copies 16 or 48 bytes of a value");

/* The amounts that make a claim record's control sum, in slot order. */
static const int moneyslots[] = {
	NM_INVTOTAL, NM_FR, NM_BR, NM_AMO, NM_PF, NM_FRANCHISE, NM_DEPASS
};

/* An act line (every required field in effect): its claim record. */
static int
emit(struct nm_file *f, const char *type, void *arg)
{
	/* The longest record, and a word of slack for addval's last copy. */
	static char rec[NCOL * (LAY_VALSZ + 1) + PATH_MAX + 64];
	char *q = rec;
	int64_t sum = 0;
	size_t k;
	int s, bad;

	(void)arg;
	for (k = 0; k < sizeof moneyslots / sizeof moneyslots[0]; k++)
		if (f->v[moneyslots[k]].set &&
		    money_add(&sum, sum, f->v[moneyslots[k]].num) < 0)
			return nm_err(f, type, moneyslots[k], "amounts out of range");
	/*
	 * The record is built here whole and handed to the writer once: the
	 * values were checked by lay_decode (printable ASCII, money as
	 * money_fmt writes it), so field-by-field checks would be repeated.
	 */
	lay_cpy(q, f->lay->l->name, f->namelen);
	q += f->namelen;
	*q++ = '\t';
	for (s = NM_SENDER; s <= NM_FILEDATE; s++)
		if (f->v[s].set)
			q = addval(q, &f->v[s]);
		else
			*q++ = '\t';
	lay_cpy(q, f->base, f->baselen);
	q += f->baselen;
	*q++ = '\t';
	q = utoa(q, (unsigned long)f->line);
	*q++ = '\t';
	q = utoa(q, (unsigned long)f->pos);
	*q++ = '\t';
	for (s = NM_REGIME; s <= NM_LASTCLAIM; s++)
		if (f->v[s].set)
			q = addval(q, &f->v[s]);
		else
			*q++ = '\t';
	bad = 0;
	if (!nirok(&f->v[NM_NIR], &f->v[NM_NIRKEY], 0)) {
		memcpy(q, "badnir", 6);
		q += 6;
		bad = 1;
	}
	if (f->v[NM_BNIR].set && !nirok(&f->v[NM_BNIR], &f->v[NM_BNIRKEY], 1)) {
		if (bad)
			*q++ = ',';
		memcpy(q, "badbnir", 7);
		q += 7;
	}
	ts_wfields(&out, rec, (size_t)(q - rec), NCOL, sum);
	ts_wend(&out);
	return 0;
}

static void
report(const struct nm_file *f, const char *status, const char *reason)
{
	if (!hasrep)
		return;
	ts_wcstr(&rep, f->base);
	ts_wcstr(&rep, f->lay ? f->lay->l->name : "");
	ts_wcstr(&rep, f->opened && f->v[NM_SENDER].set ? f->v[NM_SENDER].text : "");
	ts_wcstr(&rep, f->opened && f->v[NM_FILENO].set ? f->v[NM_FILENO].text : "");
	ts_wcstr(&rep, f->opened && f->v[NM_FILEDATE].set ? f->v[NM_FILEDATE].text : "");
	ts_wcstr(&rep, status);
	/* A refused file gives no records, whatever was decoded of it. */
	if (strcmp(status, "ok") == 0) {
		ts_wint(&rep, (long long)f->fcount);
		ts_wmoney(&rep, f->ftotal);
	} else {
		ts_wint(&rep, 0);
		ts_wstr(&rep, "", 0);
	}
	ts_wcstr(&rep, reason);
	ts_wend(&rep);
}

/*
 * The opening record: a file already decoded (its sender and number in
 * the state, or earlier in this run) is a duplicate transmission.
 */
static int
onopen(struct nm_file *f, const char *type, void *arg)
{
	int *dup = arg, i;
	char *key;

	if (!f->v[NM_SENDER].set || !f->v[NM_FILENO].set)
		return 0;
	key = joinkey(f->lay->l->name, f->v[NM_SENDER].text, f->v[NM_FILENO].text);
	i = findseen(key);
	free(key);
	if (i >= 0 && (*dup = 1))
		return nm_err(f, type, NM_FILENO,
		    "duplicate transmission: sender %s file %s already decoded",
		    f->v[NM_SENDER].text, f->v[NM_FILENO].text);
	return 0;
}

/* Decode one file: 0 ok, EX_DATAERR refused, EX_NOINPUT unreadable. */
static int
decode(const char *path)
{
	static struct nm_file f;
	struct lines in;
	const char *why;
	char *p;
	size_t n;
	int st, rc = 0, dup = 0;

	memset(&f, 0, sizeof f);
	nm_start(&f, path);
	f.onopen = onopen;
	f.online = emit;
	f.arg = &dup;
	for (n = 0; n < f.baselen; n++)
		if ((unsigned char)f.base[n] < 0x20 || f.base[n] == 0x7f) {
			warnx_("%s: a control character in the file name (file refused)", path);
			report(&f, "refused", "control character in the file name");
			return EX_DATAERR;
		}
	if (lines_open(&in, path) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		report(&f, "unreadable", strerror(errno));
		return EX_NOINPUT;
	}
	ts_wmark(&out);
	while ((st = lines_next(&in, &p, &n, &why)) == 1) {
		f.line = in.lineno;
		if (f.lay == NULL) {
			if ((f.lay = nm_detect(lays, nlays, p, n)) == NULL) {
				rc = nm_err(&f, NULL, -1, "no layout recognises the first line");
				break;
			}
			f.namelen = strlen(f.lay->l->name);
			/* The record's room (emit) holds a name of a file's length. */
			if (f.namelen > NAME_MAX) {
				rc = nm_err(&f, NULL, -1, "a layout name longer than a file's");
				break;
			}
		}
		if (nm_physline(&f, p, n) < 0) {
			rc = -1;
			break;
		}
	}
	if (st < 0) {
		f.line = in.lineno;
		snprintf(f.err, sizeof f.err, "%s:%ld: ", path, f.line);
		f.reason = strlen(f.err);
		snprintf(f.err + f.reason, sizeof f.err - f.reason, "%s", why);
		rc = -1;
	} else if (rc == 0) {
		f.line = in.lineno;
		rc = nm_finish(&f);
	}
	lines_close(&in);
	if (rc < 0) {
		ts_wdrop(&out);
		warnx_("%s (file refused)", f.err);
		report(&f, dup ? "duplicate" : "refused", f.err + f.reason);
		return EX_DATAERR;
	}
	ts_wcommit(&out);
	report(&f, "ok", "");
	{
		char sum[MONEY_BUFSZ], cnt[24], *row;
		size_t rl;
		const char *flow = f.lay->l->name;

		money_fmt(f.ftotal, sum);
		snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)f.fcount);
		rl = strlen(flow) + strlen(f.v[NM_SENDER].text) + strlen(f.v[NM_FILENO].text) +
		    strlen(f.v[NM_FILEDATE].text) + strlen(f.base) + strlen(cnt) + strlen(sum) + 8;
		row = xmalloc(rl);
		snprintf(row, rl, "%s\t%s\t%s\t%s\t%s\t%s\t%s", flow, f.v[NM_SENDER].text,
		    f.v[NM_FILENO].text, f.v[NM_FILEDATE].text, f.base, cnt, sum);
		addseen(joinkey(flow, f.v[NM_SENDER].text, f.v[NM_FILENO].text), row);
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-L layout]... [-o output] [-r report] "
	    "[-s state] [-w new-state] [file ...]\n", progname_());
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	static const char *const repcols[] = {
		"file", "flow", "sender", "file_number", "file_date", "status",
		"records", "amount_eur", "reason"
	};
	const char *output = NULL, *repfile = NULL, *state = NULL, *newstate = NULL;
	struct pub pout, prep;
	char meta[256];
	int ch, i, s, c, st, worst = 0;

	setprogname_(argv[0]);
	c = 0;
	cols[c++] = "flow";
	for (s = NM_SENDER; s <= NM_FILEDATE; s++)
		cols[c++] = nm_names[s];
	cols[c++] = "file";
	cols[c++] = "line";
	cols[c++] = "pos";
	for (s = NM_REGIME; s <= NM_LASTCLAIM; s++)
		cols[c++] = nm_names[s];
	cols[c++] = "flag";
	if (c != NCOL)
		die(EX_SOFTWARE, "column table");
	while ((ch = getopt(argc, argv, "L:o:r:s:w:")) != -1)
		switch (ch) {
		case 'L':
			layoutarg(optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'r':
			repfile = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'w':
			newstate = optarg;
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (nlays == 0)
		for (i = 0; i < lay_nbuiltins; i++)
			addlayout(lay_builtins[i].name, lay_builtins[i].text);
	if (state != NULL)
		loadstate(state);

	if (output != NULL) {
		if (pub_open(&pout, output) < 0)
			die(EX_CANTCREAT, "%s: %s", output, strerror(errno));
		ts_wopen(&out, pout.fd, output, "claim", 1, cols, NCOL);
	} else
		ts_wopen(&out, STDOUT_FILENO, "stdout", "claim", 1, cols, NCOL);
	if (repfile != NULL) {
		if (pub_open(&prep, repfile) < 0)
			die(EX_CANTCREAT, "%s: %s", repfile, strerror(errno));
		ts_wopen(&rep, prep.fd, repfile, "decode-report", 1, repcols, 9);
		hasrep = 1;
	}
	for (i = 0; i < nlays; i++) {
		snprintf(meta, sizeof meta, "layout\t%s\t%08lx", lays[i].l->name,
		    (unsigned long)lays[i].l->crc);
		ts_wmeta(&out, meta);
	}
	for (i = 0; i < (argc ? argc : 1); i++) {
		st = decode(argc ? argv[i] : "-");
		if (st == EX_NOINPUT || (st == EX_DATAERR && worst != EX_NOINPUT))
			worst = st;
	}
	ts_wclose(&out);
	if (hasrep) {
		ts_wclose(&rep);
		if (pub_commit(&prep) < 0)
			die(EX_IOERR, "%s: %s", repfile, strerror(errno));
	}
	if (output != NULL && pub_commit(&pout) < 0)
		die(EX_IOERR, "%s: %s", output, strerror(errno));
	if (newstate != NULL)
		savestate(newstate);
	for (i = 0; i < nlays; i++)
		lay_free(lays[i].l);
	free(lays);
	for (i = 0; i < (int)nseen; i++) {
		free(seen[i].key);
		free(seen[i].row);
	}
	free(seen);
	if (output == NULL)
		fshut_stdout();
	return worst;
}
