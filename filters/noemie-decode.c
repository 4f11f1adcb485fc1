/*
 * noemie-decode: NOEMIE décomptes and B2-style invoices into the claim
 * stream, one record per act line.  The byte layouts are tables
 * (formats/layouts/, tiers-layout(5)); this program knows what the fields
 * mean, how levels nest and close, and which file may be decoded at all.
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

/* What layouts may name: the claim's fields and the control fields. */
enum {
	S_SENDER, S_FILENO, S_FILEDATE, S_REGIME, S_CAISSE, S_PSKIND, S_PSNUM,
	S_INVOICE, S_INVDATE, S_INVTOTAL, S_NIR, S_NIRKEY, S_BNIR, S_BNIRKEY,
	S_BIRTH, S_RANG, S_AMC, S_ADHERENT, S_LINENO, S_ACTDATE, S_ACTCODE,
	S_COEF, S_QTY, S_FR, S_BR, S_RATE, S_AMO, S_PF, S_FRANCHISE, S_DEPASS,
	S_TP, S_NATURE, S_REFINV, S_REFLINE,
	S_LEVEL, S_COUNT, S_TOTAL, S_FRTOT, S_BRTOT, S_AMOTOT, S_DATETOT,
	NSLOT
};
static const char *const names[NSLOT] = {
	"sender", "file_number", "file_date", "regime", "caisse", "ps_kind",
	"ps_number", "invoice", "invoice_date", "invoice_total_eur", "nir",
	"nir_key", "benef_nir", "benef_nir_key", "birth_date", "rang", "amc",
	"adherent", "line_no", "act_date", "act_code", "coef", "qty", "fr_eur",
	"br_eur", "amo_rate_bp", "amo_eur", "pf_eur", "franchise_eur",
	"depassement_eur", "tp", "nature", "ref_invoice", "ref_line",
	"level", "count", "total_eur", "fr_total_eur", "br_total_eur",
	"amo_total_eur", "date_total"
};
#define S_LASTCLAIM S_REFLINE

/* The claim stream: origin, then the claim's slots, then the flags. */
#define NCOL (1 + 3 + 3 + (S_LASTCLAIM - S_REGIME + 1) + 1)
static const char *cols[NCOL];

/* A line needs these in effect. */
static const int required[] = {
	S_SENDER, S_FILENO, S_FILEDATE, S_PSKIND, S_PSNUM, S_INVOICE,
	S_INVDATE, S_NIR, S_NIRKEY, S_ACTDATE, S_ACTCODE, S_QTY, S_FR, S_BR,
	S_AMO, S_TP, S_NATURE
};

#define LINELEVEL 10	/* the level of what line records set */
#define NOLEVEL 99	/* not set by any record */

struct lay {
	struct layout *l;
	signed char owner[NSLOT];	/* the level of the records that set it */
	char ctldate[LAY_MAXCTL];	/* the control sums a date: its day numbers */
};

/* Files already decoded: the state, and this run's. */
struct seen {
	char *key;		/* flow TAB sender TAB file_number */
	char *row;		/* the state record, as written */
};

static struct lay *lays;
static int nlays;
static struct seen *seen;
static size_t nseen, capseen;
static struct ts_writer out, rep;
static int hasrep;

/* The file being decoded. */
struct file {
	const char *path, *base;
	size_t baselen, namelen;
	const struct lay *lay;
	struct lines in;
	long line;
	int pos;
	int opened, ended;
	int depth;			/* deepest open level, 0 none */
	uint64_t count[10];		/* act lines under each open level */
	int64_t total[10];
	uint64_t fcount;
	int64_t ftotal;
	int64_t csum[10][LAY_MAXCTL];	/* the layout's controls, by level */
	int64_t fcsum[LAY_MAXCTL];
	struct lay_val v[NSLOT];
	char err[256];
	size_t reason;		/* where the reason starts in err */
	int dup;		/* refused as a duplicate transmission */
};

static int
ferr(struct file *f, const char *type, int slot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the file's error: "file:line: entity.field: reason". */
static int
ferr(struct file *f, const char *type, int slot, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(f->err, sizeof f->err, "%s:%ld: ", f->path, f->line);
	f->reason = strlen(f->err);
	snprintf(f->err + f->reason, sizeof f->err - f->reason, "%s%s%s: %s%s",
	    type ? type : "", type && slot >= 0 ? "." : "",
	    slot >= 0 ? names[slot] : (type ? "" : "-"), why,
	    f->pos > 1 ? " (not the line's first entity)" : "");
	return -1;
}

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
	struct lay *L;
	int i, j, k, s, lv;

	lays = xrealloc(lays, (size_t)(nlays + 1) * sizeof *lays);
	L = &lays[nlays];
	if ((L->l = lay_load(source, text, names, NSLOT, err, sizeof err)) == NULL)
		die(EX_CONFIG, "%s", err);
	for (s = 0; L->l->name[s] != '\0'; s++)
		if ((unsigned char)L->l->name[s] <= 0x20 || L->l->name[s] == 0x7f)
			die(EX_CONFIG, "%s: layout name: not printable", source);
	for (s = 0; s < NSLOT; s++)
		L->owner[s] = NOLEVEL;
	for (i = 0; i < L->l->nrec; i++) {
		const struct lay_record *r = &L->l->rec[i];

		lv = r->roles & LR_LINE ? LINELEVEL :
		    r->roles & (LR_GROUP | LR_ATTR) ? r->level :
		    r->roles & LR_OPEN ? 0 : NOLEVEL;
		for (j = 0; j < r->nfield; j++)
			if ((s = r->f[j].col) >= 0 && s <= S_LASTCLAIM && lv < L->owner[s])
				L->owner[s] = (signed char)lv;
	}
	if (L->l->total < 0 || L->l->total > S_LASTCLAIM)
		die(EX_CONFIG, "%s: a layout needs a total line naming a claim amount",
		    source);
	for (k = 0; k < L->l->nctl; k++) {
		const struct lay_ctl *c = &L->l->ctl[k];

		if (c->field <= S_TOTAL || c->col > S_LASTCLAIM)
			die(EX_CONFIG, "%s: control %s %s: a control field of a close "
			    "record, then a column of the lines", source,
			    names[c->field], names[c->col]);
		for (i = 0; i < L->l->nrec; i++)
			for (j = 0; j < L->l->rec[i].nfield; j++) {
				const struct lay_field *fd = &L->l->rec[i].f[j];

				if ((L->l->rec[i].roles & LR_LINE) && fd->col == c->col)
					L->ctldate[k] = fd->fmt == LF_D6 || fd->fmt == LF_Y6 ||
					    fd->fmt == LF_D8 || fd->fmt == LF_Y8;
			}
	}
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

static void
clearfrom(struct file *f, int level)
{
	int s;

	for (s = 0; s <= S_LASTCLAIM; s++)
		if (f->lay->owner[s] >= level && f->lay->owner[s] != NOLEVEL)
			f->v[s].set = 0;
}

/* Decimal digits of v at p; the end. */
static char *
utoa(char *p, unsigned long v)
{
	char b[24];
	size_t n = 0;

	do
		b[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = b[--n];
	return p;
}

/* A NIR and its key, whatever lengths the layout gave them. */
static int
nirok(const struct lay_val *nir, const struct lay_val *key)
{
	char nb[15];

	if (nir->n != 13 || !key->set || key->n != 2)
		return 0;
	memcpy(nb, nir->text, 13);
	memcpy(nb + 13, key->text, 2);
	return nir_valid(nb, 15);
}

static int
emit(struct file *f, const char *type)
{
	char flag[32];
	size_t i;
	int s;

	for (i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!f->v[required[i]].set)
			return ferr(f, type, required[i], "absent (no record in effect sets it)");
	/*
	 * The record is built here whole and handed to the writer once: the
	 * values were checked by lay_decode (printable ASCII, money as
	 * money_fmt writes it), so field-by-field checks would be repeated.
	 */
	{
		static char rec[NCOL * (LAY_VALSZ + 1) + PATH_MAX + 64];
		char *q = rec;
		int64_t sum = 0;
		size_t n;

#define ADD(ptr, len) do { lay_cpy(q, (ptr), (len)); q += (len); *q++ = '\t'; } while (0)
		ADD(f->lay->l->name, f->namelen);
		for (s = S_SENDER; s <= S_FILEDATE; s++)
			ADD(f->v[s].text, f->v[s].set ? f->v[s].n : 0u);
		ADD(f->base, f->baselen);
		q = utoa(q, (unsigned long)f->line);
		*q++ = '\t';
		q = utoa(q, (unsigned long)f->pos);
		*q++ = '\t';
		for (s = S_REGIME; s <= S_LASTCLAIM; s++) {
			const struct lay_val *v = &f->v[s];

			if (!v->set) {
				*q++ = '\t';
				continue;
			}
			if (s == S_INVTOTAL || (s >= S_FR && s <= S_DEPASS && s != S_RATE))
				if (money_add(&sum, sum, v->num) < 0)
					return ferr(f, type, s, "amounts out of range");
			ADD(v->text, v->n);
		}
		flag[0] = '\0';
		if (!nirok(&f->v[S_NIR], &f->v[S_NIRKEY]))
			strcat(flag, "badnir");
		if (f->v[S_BNIR].set && !nirok(&f->v[S_BNIR], &f->v[S_BNIRKEY]))
			strcat(flag, flag[0] ? ",badbnir" : "badbnir");
		n = strlen(flag);
		memcpy(q, flag, n);
		q += n;
#undef ADD
		ts_wfields(&out, rec, (size_t)(q - rec), NCOL, sum);
		ts_wend(&out);
	}
	return 0;
}


/*
 * The layout's controls a close or end record carries (those it has a
 * field for) against the sums of the lines it closes.
 */
static int
controls(struct file *f, const char *type, const int64_t *sum)
{
	const struct layout *l = f->lay->l;
	char b[MONEY_BUFSZ];
	int k, fd;

	for (k = 0; k < l->nctl; k++) {
		fd = l->ctl[k].field;
		if (!f->v[fd].set || f->v[fd].num == sum[k])
			continue;
		if (f->lay->ctldate[k])
			snprintf(b, sizeof b, "%lld", (long long)sum[k]);
		else
			money_fmt(sum[k], b);
		return ferr(f, type, fd, "total mismatch: %s decoded", b);
	}
	return 0;
}

/* One record (entity) of the file. */
static int
record(struct file *f, const char *p, size_t n)
{
	const struct layout *l = f->lay->l;
	const struct lay_record *r;
	const char *why;
	char type[8];
	int col, lv, k;
	int64_t amt;

	if ((r = lay_find(l, p, n)) == NULL) {
		size_t tn = n < (size_t)(l->toff + l->tlen) ? 0 : (size_t)l->tlen;

		for (k = 0; k < (int)tn; k++)
			type[k] = p[l->toff + k] >= 0x20 && p[l->toff + k] < 0x7f ?
			    p[l->toff + k] : '?';
		type[tn] = '\0';
		return ferr(f, tn ? type : NULL, -1, "unknown %s type", 
		    l->framing == LAY_NOEMIE ? "entity" : "record");
	}
	if (n != (size_t)r->len)
		return ferr(f, r->type, -1, "length %zu, not %d", n, r->len);
	if (f->ended)
		return ferr(f, r->type, -1, "after the end of the file");
	if (!f->opened && !(r->roles & LR_OPEN))
		return ferr(f, r->type, -1, "the file does not start with its opening record");
	if (r->roles & LR_OPEN) {
		if (f->opened)
			return ferr(f, r->type, -1, "second opening record");
		f->opened = 1;
	}
	if (r->roles & LR_GROUP) {
		if (r->level != f->depth + 1)
			return ferr(f, r->type, -1, "opens level %d %s", r->level,
			    r->level <= f->depth ? "while it is still open" :
			    "outside the level above it");
		clearfrom(f, r->level);
		f->depth = r->level;
		f->count[r->level] = 0;
		f->total[r->level] = 0;
		memset(f->csum[r->level], 0, sizeof f->csum[r->level]);
	} else if ((r->roles & LR_ATTR) && r->level != f->depth)
		return ferr(f, r->type, -1, "belongs to level %d, not open", r->level);
	if (r->roles & LR_LINE) {
		if (f->depth != l->maxlevel)
			return ferr(f, r->type, -1, "act line outside level %d", l->maxlevel);
		clearfrom(f, LINELEVEL);
	}
	for (k = S_LEVEL; k < NSLOT; k++)
		f->v[k].set = 0;
	if (lay_decode(l, r, p, n, f->v[S_FILEDATE].set ? f->v[S_FILEDATE].date :
	    INT32_MIN, f->v, &col, &why) < 0)
		return ferr(f, r->type, col, "%s", why);
	if ((r->roles & LR_OPEN) && f->v[S_SENDER].set && f->v[S_FILENO].set) {
		char *key = joinkey(l->name, f->v[S_SENDER].text, f->v[S_FILENO].text);
		int i = findseen(key);

		free(key);
		if (i >= 0 && (f->dup = 1))
			return ferr(f, r->type, S_FILENO,
			    "duplicate transmission: sender %s file %s already decoded",
			    f->v[S_SENDER].text, f->v[S_FILENO].text);
	}
	if (r->roles & LR_LINE) {
		if (emit(f, r->type) < 0)
			return -1;
		amt = f->v[l->total].set ? f->v[l->total].num : 0;
		for (lv = 1; lv <= f->depth; lv++) {
			f->count[lv]++;
			if (money_add(&f->total[lv], f->total[lv], amt) < 0)
				return ferr(f, r->type, l->total, "total out of range");
		}
		f->fcount++;
		if (money_add(&f->ftotal, f->ftotal, amt) < 0)
			return ferr(f, r->type, l->total, "total out of range");
		for (k = 0; k < l->nctl; k++) {
			const struct lay_val *v = &f->v[l->ctl[k].col];

			amt = !v->set ? 0 : f->lay->ctldate[k] ? v->date : v->num;
			for (lv = 1; lv <= f->depth; lv++)
				if (money_add(&f->csum[lv][k], f->csum[lv][k], amt) < 0)
					return ferr(f, r->type, l->ctl[k].col, "total out of range");
			if (money_add(&f->fcsum[k], f->fcsum[k], amt) < 0)
				return ferr(f, r->type, l->ctl[k].col, "total out of range");
		}
	}
	if (r->roles & LR_CLOSE) {
		lv = r->level ? r->level : (int)f->v[S_LEVEL].num;
		if (lv < 1 || lv != f->depth)
			return ferr(f, r->type, r->level ? -1 : S_LEVEL,
			    "closes level %d, but the open level is %d", lv, f->depth);
		if (!f->v[S_COUNT].set || (uint64_t)f->v[S_COUNT].num != f->count[lv])
			return ferr(f, r->type, S_COUNT, "count mismatch: %llu act lines decoded",
			    (unsigned long long)f->count[lv]);
		if (!f->v[S_TOTAL].set || f->v[S_TOTAL].num != f->total[lv]) {
			char b[MONEY_BUFSZ];

			money_fmt(f->total[lv], b);
			return ferr(f, r->type, S_TOTAL, "total mismatch: %s decoded", b);
		}
		if (controls(f, r->type, f->csum[lv]) < 0)
			return -1;
		f->depth = lv - 1;
	}
	if (r->roles & LR_END) {
		if (f->depth != 0)
			return ferr(f, r->type, -1, "level %d is not closed", f->depth);
		if (!f->v[S_COUNT].set || (uint64_t)f->v[S_COUNT].num != f->fcount)
			return ferr(f, r->type, S_COUNT, "count mismatch: %llu act lines decoded",
			    (unsigned long long)f->fcount);
		if (!f->v[S_TOTAL].set || f->v[S_TOTAL].num != f->ftotal) {
			char b[MONEY_BUFSZ];

			money_fmt(f->ftotal, b);
			return ferr(f, r->type, S_TOTAL, "total mismatch: %s decoded", b);
		}
		if (controls(f, r->type, f->fcsum) < 0)
			return -1;
		f->ended = 1;
	}
	return 0;
}

/* A physical line: one record, or NOEMIE's length and entities. */
static int
physline(struct file *f, const char *p, size_t n)
{
	const char *e, *end;
	size_t len;
	int k;

	f->pos = 1;
	if (f->lay->l->framing == LAY_FIXED)
		return record(f, p, n);
	if (n < 4)
		return ferr(f, NULL, -1, "no 4-digit length");
	for (len = 0, k = 0; k < 4; k++) {
		if (p[k] < '0' || p[k] > '9')
			return ferr(f, NULL, -1, "no 4-digit length");
		len = len * 10 + (size_t)(p[k] - '0');
	}
	if (len != n - 4)
		return ferr(f, NULL, -1, "length %zu, not the %zu announced", n - 4, len);
	p += 4;
	end = p + len;
	while (p < end) {
		e = memchr(p, '@', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e == p)
			return ferr(f, NULL, -1, "empty entity");
		if (record(f, p, (size_t)(e - p)) < 0)
			return -1;
		p = e + 1;
		f->pos++;
	}
	return 0;
}

static const struct lay *
detect(const char *p, size_t n)
{
	int i;

	for (i = 0; i < nlays; i++) {
		const struct layout *l = lays[i].l;

		if (nlays == 1)
			return &lays[i];
		if (l->framing == LAY_NOEMIE ? n >= 4 && lay_detect(l, p + 4, n - 4) :
		    lay_detect(l, p, n))
			return &lays[i];
	}
	return NULL;
}

static void
report(const struct file *f, const char *status, const char *reason)
{
	if (!hasrep)
		return;
	ts_wcstr(&rep, f->base);
	ts_wcstr(&rep, f->lay ? f->lay->l->name : "");
	ts_wcstr(&rep, f->opened && f->v[S_SENDER].set ? f->v[S_SENDER].text : "");
	ts_wcstr(&rep, f->opened && f->v[S_FILENO].set ? f->v[S_FILENO].text : "");
	ts_wcstr(&rep, f->opened && f->v[S_FILEDATE].set ? f->v[S_FILEDATE].text : "");
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

/* Decode one file: 0 ok, EX_DATAERR refused, EX_NOINPUT unreadable. */
static int
decode(const char *path)
{
	static struct file f;
	const char *why, *slash;
	char *p;
	size_t n;
	int st, rc = 0;

	memset(&f, 0, sizeof f);
	f.path = path;
	slash = strrchr(path, '/');
	f.base = slash ? slash + 1 : path;
	f.baselen = strlen(f.base);
	for (n = 0; n < f.baselen; n++)
		if ((unsigned char)f.base[n] < 0x20 || f.base[n] == 0x7f) {
			warnx_("%s: a control character in the file name (file refused)", path);
			report(&f, "refused", "control character in the file name");
			return EX_DATAERR;
		}
	if (lines_open(&f.in, path) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		report(&f, "unreadable", strerror(errno));
		return EX_NOINPUT;
	}
	ts_wmark(&out);
	while ((st = lines_next(&f.in, &p, &n, &why)) == 1) {
		f.line = f.in.lineno;
		if (f.lay == NULL && (f.lay = detect(p, n)) == NULL) {
			rc = ferr(&f, NULL, -1, "no layout recognises the first line");
			break;
		}
		f.namelen = strlen(f.lay->l->name);
		if (physline(&f, p, n) < 0) {
			rc = -1;
			break;
		}
	}
	if (st < 0) {
		f.line = f.in.lineno;
		snprintf(f.err, sizeof f.err, "%s:%ld: ", path, f.line);
		f.reason = strlen(f.err);
		snprintf(f.err + f.reason, sizeof f.err - f.reason, "%s", why);
		rc = -1;
	} else if (rc == 0 && !f.ended) {
		f.line = f.in.lineno;
		f.pos = 0;
		ferr(&f, NULL, -1, f.opened ? "no end record: the file is incomplete" :
		    "empty file");
		rc = -1;
	}
	lines_close(&f.in);
	if (rc < 0) {
		ts_wdrop(&out);
		warnx_("%s (file refused)", f.err);
		report(&f, f.dup ? "duplicate" : "refused", f.err + f.reason);
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
		rl = strlen(flow) + strlen(f.v[S_SENDER].text) + strlen(f.v[S_FILENO].text) +
		    strlen(f.v[S_FILEDATE].text) + strlen(f.base) + strlen(cnt) + strlen(sum) + 8;
		row = xmalloc(rl);
		snprintf(row, rl, "%s\t%s\t%s\t%s\t%s\t%s\t%s", flow, f.v[S_SENDER].text,
		    f.v[S_FILENO].text, f.v[S_FILEDATE].text, f.base, cnt, sum);
		addseen(joinkey(flow, f.v[S_SENDER].text, f.v[S_FILENO].text), row);
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
	for (s = S_SENDER; s <= S_FILEDATE; s++)
		cols[c++] = names[s];
	cols[c++] = "file";
	cols[c++] = "line";
	cols[c++] = "pos";
	for (s = S_REGIME; s <= S_LASTCLAIM; s++)
		cols[c++] = names[s];
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
