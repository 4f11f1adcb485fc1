/*
 * NOEMIE's structure (and B2's), over the byte layouts: the names
 * layouts give their fields, how a file's levels nest and close, the
 * counts and totals its close and end records carry, and the fields an
 * act line needs (noemie.h, tiers-layout(5)).  What the lines become is
 * the caller's (noemie-decode writes claims).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "noemie.h"

const char *const nm_names[NM_NSLOT] = {
	"sender", "file_number", "file_date", "regime", "caisse", "ps_kind",
	"ps_number", "invoice", "invoice_date", "invoice_total_eur", "nir",
	"nir_key", "benef_nir", "benef_nir_key", "birth_date", "rang", "amc",
	"adherent", "line_no", "act_date", "act_code", "coef", "qty", "fr_eur",
	"br_eur", "amo_rate_bp", "amo_eur", "pf_eur", "franchise_eur",
	"depassement_eur", "tp", "nature", "ref_invoice", "ref_line", "parcours", "renewal",
	"level", "count", "total_eur", "fr_total_eur", "br_total_eur",
	"amo_total_eur", "date_total"
};

/* An act line needs these in effect (in slot order: record's need). */
static const int required[] = {
	NM_SENDER, NM_FILENO, NM_FILEDATE, NM_PSKIND, NM_PSNUM, NM_INVOICE,
	NM_INVDATE, NM_NIR, NM_NIRKEY, NM_ACTDATE, NM_ACTCODE, NM_QTY, NM_FR, NM_BR,
	NM_AMO, NM_TP, NM_NATURE
};

#define LINELEVEL 10	/* the level of what line records set */
#define NOLEVEL 99	/* not set by any record */

int
nm_err(struct nm_file *f, const char *type, int slot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

int
nm_err(struct nm_file *f, const char *type, int slot, const char *fmt, ...)
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
	    slot >= 0 ? nm_names[slot] : (type ? "" : "-"), why,
	    f->pos > 1 ? " (not the line's first entity)" : "");
	return -1;
}

/* A layout refused after lay_load: its message, the layout freed. */
static int
lfail(struct nm_lay *L, char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
lfail(struct nm_lay *L, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	lay_free(L->l);
	L->l = NULL;
	return -1;
}

_Static_assert(NM_LASTCLAIM < 64, "nm_lay's masks hold a bit a claim slot");

#define BIT(s) ((uint64_t)1 << (s))
/* The slots every record reads (the file's date) or the report does. */
#define FILESLOTS (BIT(NM_SENDER) | BIT(NM_FILENO) | BIT(NM_FILEDATE))

/*
 * The claim slots record r clears (nm_lay's clear) as a record of this
 * level: those set at its level, but those its own fields set (lay_decode
 * sets or unsets each).  A deeper level's are cleared by a group of that
 * level, which opens before any act line (levels open one by one), and
 * the act line's by each line record: only act lines read claim slots.
 * The file's sender, number and date are read outside act lines (every
 * record's dates of six characters take the file's date): they are
 * cleared as they were, with all deeper ones, before r's fields are read.
 */
static uint64_t
clearmask(const struct nm_lay *L, const struct lay_record *r, int level)
{
	uint64_t m = 0;
	int s, j;

	for (s = 0; s <= NM_LASTCLAIM; s++)
		if (L->owner[s] != NOLEVEL && (L->owner[s] == level ||
		    (L->owner[s] >= level && (FILESLOTS & BIT(s)))))
			m |= BIT(s);
	for (j = 0; j < r->nfield; j++)
		if ((s = r->f[j].col) >= 0 && s <= NM_LASTCLAIM &&
		    r->f[j].fmt != LF_X && r->f[j].fmt != LF_CONST)
			m &= ~(BIT(s) & ~FILESLOTS);
	return m;
}

/*
 * The required slots line record r may leave unset: all but those its
 * own fields always set (neither optional nor fillers).
 */
static uint64_t
needmask(const struct lay_record *r)
{
	uint64_t m = 0;
	size_t k;
	int s, j;

	for (k = 0; k < sizeof required / sizeof required[0]; k++)
		m |= BIT(required[k]);
	for (j = 0; j < r->nfield; j++)
		if ((s = r->f[j].col) >= 0 && s <= NM_LASTCLAIM && !r->f[j].opt &&
		    r->f[j].fmt != LF_X && r->f[j].fmt != LF_CONST)
			m &= ~BIT(s);
	return m;
}

int
nm_lay_load(struct nm_lay *L, const char *source, const char *text, char *err,
    size_t errsz)
{
	int i, j, k, s, lv;

	if ((L->l = lay_load(source, text, nm_names, NM_NSLOT, err, errsz)) == NULL)
		return -1;
	for (s = 0; L->l->name[s] != '\0'; s++)
		if ((unsigned char)L->l->name[s] <= 0x20 || L->l->name[s] == 0x7f)
			return lfail(L, err, errsz, "%s: layout name: not printable", source);
	for (s = 0; s < NM_NSLOT; s++)
		L->owner[s] = NOLEVEL;
	for (i = 0; i < L->l->nrec; i++) {
		const struct lay_record *r = &L->l->rec[i];

		lv = r->roles & LR_LINE ? LINELEVEL :
		    r->roles & (LR_GROUP | LR_ATTR) ? r->level :
		    r->roles & LR_OPEN ? 0 : NOLEVEL;
		for (j = 0; j < r->nfield; j++)
			if ((s = r->f[j].col) >= 0 && s <= NM_LASTCLAIM && lv < L->owner[s])
				L->owner[s] = (signed char)lv;
	}
	if (L->l->total < 0 || L->l->total > NM_LASTCLAIM)
		return lfail(L, err, errsz, "%s: a layout needs a total line naming a claim amount",
		    source);
	for (i = 0; i < L->l->nrec; i++) {
		const struct lay_record *r = &L->l->rec[i];

		/* A record both group and line clears both at its group's place. */
		L->clear[i] = (r->roles & LR_GROUP ? clearmask(L, r, r->level) : 0) |
		    (r->roles & LR_LINE ? clearmask(L, r, LINELEVEL) : 0);
		L->need[i] = r->roles & LR_LINE ? needmask(r) : 0;
	}
	for (k = 0; k < L->l->nctl; k++) {
		const struct lay_ctl *c = &L->l->ctl[k];

		if (c->field <= NM_TOTAL || c->col > NM_LASTCLAIM)
			return lfail(L, err, errsz, "%s: control %s %s: a control field of a close "
			    "record, then a column of the lines", source,
			    nm_names[c->field], nm_names[c->col]);
		for (i = 0; i < L->l->nrec; i++)
			for (j = 0; j < L->l->rec[i].nfield; j++) {
				const struct lay_field *fd = &L->l->rec[i].f[j];

				if ((L->l->rec[i].roles & LR_LINE) && fd->col == c->col)
					L->ctldate[k] = fd->fmt == LF_D6 || fd->fmt == LF_Y6 ||
					    fd->fmt == LF_D8 || fd->fmt == LF_Y8;
			}
	}
	return 0;
}

const struct nm_lay *
nm_detect(const struct nm_lay *lays, int nlays, const char *p, size_t n)
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

/* Clear the slots of mask m: the values a record at its level ends. */
static void
clearfrom(struct nm_file *f, uint64_t m)
{
	for (; m != 0; m &= m - 1)
		f->v[__builtin_ctzll(m)].set = 0;
}

/*
 * The layout's controls a close or end record carries (those it has a
 * field for) against the sums of the lines it closes.
 */
static int
controls(struct nm_file *f, const char *type, const int64_t *sum)
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
		return nm_err(f, type, fd, "total mismatch: %s decoded", b);
	}
	return 0;
}

/* One record (entity) of the file. */
static int
record(struct nm_file *f, const char *p, size_t n)
{
	const struct layout *l = f->lay->l;
	const struct lay_record *r;
	const char *why;
	char type[8];
	int col, lv, k;
	int64_t amt;
	uint64_t m;

	if ((r = lay_find(l, p, n)) == NULL) {
		size_t tn = n < (size_t)(l->toff + l->tlen) ? 0 : (size_t)l->tlen;

		for (k = 0; k < (int)tn; k++)
			type[k] = p[l->toff + k] >= 0x20 && p[l->toff + k] < 0x7f ?
			    p[l->toff + k] : '?';
		type[tn] = '\0';
		return nm_err(f, tn ? type : NULL, -1, "unknown %s type", 
		    l->framing == LAY_NOEMIE ? "entity" : "record");
	}
	if (n != (size_t)r->len)
		return nm_err(f, r->type, -1, "length %zu, not %d", n, r->len);
	if (f->ended)
		return nm_err(f, r->type, -1, "after the end of the file");
	if (!f->opened && !(r->roles & LR_OPEN))
		return nm_err(f, r->type, -1, "the file does not start with its opening record");
	if (r->roles & LR_OPEN) {
		if (f->opened)
			return nm_err(f, r->type, -1, "second opening record");
		f->opened = 1;
	}
	if (r->roles & LR_GROUP) {
		if (r->level != f->depth + 1)
			return nm_err(f, r->type, -1, "opens level %d %s", r->level,
			    r->level <= f->depth ? "while it is still open" :
			    "outside the level above it");
		clearfrom(f, f->lay->clear[r - l->rec]);
		f->depth = r->level;
		f->count[r->level] = 0;
		f->total[r->level] = 0;
		memset(f->csum[r->level], 0, sizeof f->csum[r->level]);
	} else if ((r->roles & LR_ATTR) && r->level != f->depth)
		return nm_err(f, r->type, -1, "belongs to level %d, not open", r->level);
	if (r->roles & LR_LINE) {
		if (f->depth != l->maxlevel)
			return nm_err(f, r->type, -1, "act line outside level %d", l->maxlevel);
		if (!(r->roles & LR_GROUP))
			clearfrom(f, f->lay->clear[r - l->rec]);
	}
	for (k = NM_LEVEL; k < NM_NSLOT; k++)
		f->v[k].set = 0;
	if (lay_decode(l, r, p, n, f->v[NM_FILEDATE].set ? f->v[NM_FILEDATE].date :
	    INT32_MIN, f->v, &col, &why) < 0)
		return nm_err(f, r->type, col, "%s", why);
	if ((r->roles & LR_OPEN) && f->onopen != NULL && f->onopen(f, r->type, f->arg) < 0)
		return -1;
	if (r->roles & LR_LINE) {
		/* In slot order, as required lists them: the first one absent. */
		for (m = f->lay->need[r - l->rec]; m != 0; m &= m - 1)
			if (!f->v[__builtin_ctzll(m)].set)
				return nm_err(f, r->type, __builtin_ctzll(m),
				    "absent (no record in effect sets it)");
		if (f->online != NULL && f->online(f, r->type, f->arg) < 0)
			return -1;
		amt = f->v[l->total].set ? f->v[l->total].num : 0;
		for (lv = 1; lv <= f->depth; lv++) {
			f->count[lv]++;
			if (money_add(&f->total[lv], f->total[lv], amt) < 0)
				return nm_err(f, r->type, l->total, "total out of range");
		}
		f->fcount++;
		if (money_add(&f->ftotal, f->ftotal, amt) < 0)
			return nm_err(f, r->type, l->total, "total out of range");
		for (k = 0; k < l->nctl; k++) {
			const struct lay_val *v = &f->v[l->ctl[k].col];

			amt = !v->set ? 0 : f->lay->ctldate[k] ? v->date : v->num;
			for (lv = 1; lv <= f->depth; lv++)
				if (money_add(&f->csum[lv][k], f->csum[lv][k], amt) < 0)
					return nm_err(f, r->type, l->ctl[k].col, "total out of range");
			if (money_add(&f->fcsum[k], f->fcsum[k], amt) < 0)
				return nm_err(f, r->type, l->ctl[k].col, "total out of range");
		}
	}
	if (r->roles & LR_CLOSE) {
		lv = r->level ? r->level : (int)f->v[NM_LEVEL].num;
		if (lv < 1 || lv != f->depth)
			return nm_err(f, r->type, r->level ? -1 : NM_LEVEL,
			    "closes level %d, but the open level is %d", lv, f->depth);
		if (!f->v[NM_COUNT].set || (uint64_t)f->v[NM_COUNT].num != f->count[lv])
			return nm_err(f, r->type, NM_COUNT, "count mismatch: %llu act lines decoded",
			    (unsigned long long)f->count[lv]);
		if (!f->v[NM_TOTAL].set || f->v[NM_TOTAL].num != f->total[lv]) {
			char b[MONEY_BUFSZ];

			money_fmt(f->total[lv], b);
			return nm_err(f, r->type, NM_TOTAL, "total mismatch: %s decoded", b);
		}
		if (controls(f, r->type, f->csum[lv]) < 0)
			return -1;
		f->depth = lv - 1;
	}
	if (r->roles & LR_END) {
		if (f->depth != 0)
			return nm_err(f, r->type, -1, "level %d is not closed", f->depth);
		if (!f->v[NM_COUNT].set || (uint64_t)f->v[NM_COUNT].num != f->fcount)
			return nm_err(f, r->type, NM_COUNT, "count mismatch: %llu act lines decoded",
			    (unsigned long long)f->fcount);
		if (!f->v[NM_TOTAL].set || f->v[NM_TOTAL].num != f->ftotal) {
			char b[MONEY_BUFSZ];

			money_fmt(f->ftotal, b);
			return nm_err(f, r->type, NM_TOTAL, "total mismatch: %s decoded", b);
		}
		if (controls(f, r->type, f->fcsum) < 0)
			return -1;
		f->ended = 1;
	}
	return 0;
}

/* A physical line: one record, or NOEMIE's length and entities. */
int
nm_physline(struct nm_file *f, const char *p, size_t n)
{
	const char *e, *end;
	size_t len;
	int k;

	f->pos = 1;
	if (f->lay->l->framing == LAY_FIXED)
		return record(f, p, n);
	if (n < 4)
		return nm_err(f, NULL, -1, "no 4-digit length");
	for (len = 0, k = 0; k < 4; k++) {
		if (p[k] < '0' || p[k] > '9')
			return nm_err(f, NULL, -1, "no 4-digit length");
		len = len * 10 + (size_t)(p[k] - '0');
	}
	if (len != n - 4)
		return nm_err(f, NULL, -1, "length %zu, not the %zu announced", n - 4, len);
	p += 4;
	end = p + len;
	while (p < end) {
		e = memchr(p, '@', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e == p)
			return nm_err(f, NULL, -1, "empty entity");
		if (record(f, p, (size_t)(e - p)) < 0)
			return -1;
		p = e + 1;
		f->pos++;
	}
	return 0;
}

void
nm_start(struct nm_file *f, const char *path)
{
	const char *slash = strrchr(path, '/');

	f->path = path;
	f->base = slash ? slash + 1 : path;
	f->baselen = strlen(f->base);
}

int
nm_finish(struct nm_file *f)
{
	if (f->ended)
		return 0;
	f->pos = 0;
	return nm_err(f, NULL, -1, f->opened ? "no end record: the file is incomplete" :
	    "empty file");
}
