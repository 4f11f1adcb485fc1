/*
 * Layout tables (tiers-layout(5)): loading and field decoding.  A layout
 * is a list of directives, one per line; this file turns it into tables
 * and decodes records with them.  What the fields mean is the caller's.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

#include "tiers.h"
#include "layout.h"

static const struct {
	const char *name;
	int fmt;
} fmts[] = {
	{ "N", LF_N }, { "NZ", LF_NZ }, { "I", LF_I }, { "A", LF_A },
	{ "X", LF_X }, { "D6", LF_D6 }, { "Y6", LF_Y6 }, { "D8", LF_D8 },
	{ "Y8", LF_Y8 }, { "M", LF_M }, { "S", LF_S }, { "F2", LF_F2 },
	{ "NIR", LF_NIR }
};

static int
lerr(char *err, size_t errsz, const char *src, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errsz, "%s:%d: ", src, line);
	if (n < 0 || (size_t)n >= errsz)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A positive decimal number of at most 5 digits, or -1. */
static int
small(const char *s)
{
	int v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int
colof(const char *name, const char *const *names, int nnames)
{
	int i;

	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static struct lay_record *
recof(struct layout *l, const char *type)
{
	int i;

	for (i = 0; i < l->nrec; i++)
		if (strcmp(l->rec[i].type, type) == 0)
			return &l->rec[i];
	return NULL;
}

/*
 * A step of lay_encode: a field that writes, or is refused, in the
 * record's order.  Its format resolved to what lay_encode does with it:
 * the ops from E_CONST on take no value.
 */
enum {
	E_N, E_NZ, E_I, E_A, E_NIR, E_D6, E_Y6, E_D8, E_Y8, E_M, E_S,
	E_CONST, E_NONAME
};
struct lay_enc {
	int off, len, col;
	unsigned char op, opt, mapped;
	size_t voff;		/* of its value in lay_encode's vals: col's */
	const char *konst;	/* E_CONST */
	int nmk;		/* mapped: the map lines of its column, in order */
	int *mk;
};

/* Whether fields a and b share a byte. */
static int
shared(const struct lay_field *a, const struct lay_field *b)
{
	return a->off < b->off + b->len && b->off < a->off + a->len;
}

/*
 * r's template and steps for lay_encode.  A constant that shares no
 * byte with another field (but a filler, which writes nothing) is laid
 * in the template once, after the type, as lay_encode laid it each
 * record; one that does stays a step, written in its place among the
 * others.  Fillers and the unnamed fields lay_encode passes over (text,
 * or optional) are no step.
 */
static void
encprep(const struct layout *l, struct lay_record *r)
{
	static const unsigned char op[] = {
		[LF_N] = E_N, [LF_NZ] = E_NZ, [LF_I] = E_I, [LF_A] = E_A,
		[LF_NIR] = E_NIR, [LF_D6] = E_D6, [LF_Y6] = E_Y6, [LF_D8] = E_D8,
		[LF_Y8] = E_Y8, [LF_M] = E_M, [LF_F2] = E_M, [LF_S] = E_S
	};
	const struct lay_field *f;
	struct lay_enc *e;
	int i, j, k, alone;

	r->tmpl = xmalloc((size_t)r->len + 1);
	memset(r->tmpl, ' ', (size_t)r->len);
	memcpy(r->tmpl + l->toff, r->type, (size_t)l->tlen);
	r->enc = xmalloc((size_t)(r->nfield ? r->nfield : 1) * sizeof *r->enc);
	r->nenc = 0;
	for (i = 0; i < r->nfield; i++) {
		f = &r->f[i];
		if (f->fmt == LF_X)
			continue;
		if (f->fmt == LF_CONST) {
			for (j = 0, alone = 1; j < r->nfield; j++)
				if (j != i && r->f[j].fmt != LF_X && shared(f, &r->f[j]))
					alone = 0;
			if (alone) {
				memcpy(r->tmpl + f->off, f->konst, (size_t)f->len);
				continue;
			}
		} else if (f->col < 0 && (f->fmt == LF_A || f->opt))
			continue;
		e = &r->enc[r->nenc++];
		memset(e, 0, sizeof *e);
		e->off = f->off;
		e->len = f->len;
		e->col = f->col;
		e->voff = f->col >= 0 ? (size_t)f->col * sizeof(struct lay_val) : 0;
		e->opt = (unsigned char)f->opt;
		e->mapped = (unsigned char)f->mapped;
		if (f->fmt == LF_CONST) {
			e->op = E_CONST;
			e->konst = f->konst;
		} else if (f->col < 0)
			e->op = E_NONAME;
		else
			e->op = op[f->fmt];
		if (e->op < E_CONST && f->mapped) {
			e->mk = xmalloc((size_t)l->nmap * sizeof *e->mk);
			for (k = 0; k < l->nmap; k++)
				if (l->map[k].col == f->col)
					e->mk[e->nmk++] = k;
		}
	}
}

#define MAXTOK 16

struct layout *
lay_load(const char *source, const char *text, const char *const *names,
    int nnames, char *err, size_t errsz)
{
	struct layout *l = xmalloc(sizeof *l);
	char *copy = xstrdup(text), *line, *next, *tok[MAXTOK], *p;
	struct lay_record *r;
	struct lay_field *f;
	int lineno = 0, ntok, i, v, ok = -1;

	memset(l, 0, sizeof *l);
	l->source = xstrdup(source);
	l->crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text,
	    (uInt)strlen(text));
	l->total = -1;
	l->tlen = -1;
	for (line = copy; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		ntok = 0;
		for (p = strtok(line, " \t\r"); p != NULL; p = strtok(NULL, " \t\r")) {
			if (ntok == MAXTOK) {
				lerr(err, errsz, source, lineno, "too many words");
				goto out;
			}
			tok[ntok++] = p;
		}
		if (ntok == 0)
			continue;
		if (strcmp(tok[0], "layout") == 0 && ntok == 2) {
			free(l->name);
			l->name = xstrdup(tok[1]);
		} else if (strcmp(tok[0], "framing") == 0 && ntok == 2) {
			if (strcmp(tok[1], "fixed") == 0)
				l->framing = LAY_FIXED;
			else if (strcmp(tok[1], "noemie") == 0)
				l->framing = LAY_NOEMIE;
			else {
				lerr(err, errsz, source, lineno, "framing: fixed or noemie");
				goto out;
			}
		} else if (strcmp(tok[0], "type") == 0 && ntok == 3) {
			if ((l->toff = small(tok[1])) < 1 || (l->tlen = small(tok[2])) < 1 ||
			    l->tlen >= (int)sizeof l->rec[0].type) {
				lerr(err, errsz, source, lineno, "type: offset and length (at most 7)");
				goto out;
			}
			l->toff--;
		} else if (strcmp(tok[0], "total") == 0 && ntok == 2) {
			if ((l->total = colof(tok[1], names, nnames)) < 0) {
				lerr(err, errsz, source, lineno, "total: unknown name %s", tok[1]);
				goto out;
			}
		} else if (strcmp(tok[0], "control") == 0 && ntok == 3) {
			struct lay_ctl *c = &l->ctl[l->nctl];

			if (l->nctl == LAY_MAXCTL) {
				lerr(err, errsz, source, lineno, "control: more than %d",
				    LAY_MAXCTL);
				goto out;
			}
			if ((c->field = colof(tok[1], names, nnames)) < 0 ||
			    (c->col = colof(tok[2], names, nnames)) < 0) {
				lerr(err, errsz, source, lineno, "control: unknown name %s",
				    c->field < 0 ? tok[1] : tok[2]);
				goto out;
			}
			l->nctl++;
		} else if (strcmp(tok[0], "detect") == 0 && ntok == 3) {
			if ((l->detoff = small(tok[1])) < 1) {
				lerr(err, errsz, source, lineno, "detect: bad offset");
				goto out;
			}
			l->detoff--;
			free(l->detect);
			l->detect = xstrdup(tok[2]);
		} else if (strcmp(tok[0], "record") == 0 && ntok >= 4) {
			if (l->tlen < 0) {
				lerr(err, errsz, source, lineno, "record before type");
				goto out;
			}
			if (strlen(tok[1]) != (size_t)l->tlen || recof(l, tok[1]) != NULL) {
				lerr(err, errsz, source, lineno, "record %s: type of %d characters, once",
				    tok[1], l->tlen);
				goto out;
			}
			if (l->nrec == LAY_MAXREC) {
				lerr(err, errsz, source, lineno, "more than %d records", LAY_MAXREC);
				goto out;
			}
			r = &l->rec[l->nrec];
			strcpy(r->type, tok[1]);
			if ((r->len = small(tok[2])) < l->toff + l->tlen) {
				lerr(err, errsz, source, lineno, "record %s: bad length", tok[1]);
				goto out;
			}
			for (i = 3; i < ntok; i++) {
				int role = strcmp(tok[i], "open") == 0 ? LR_OPEN :
				    strcmp(tok[i], "group") == 0 ? LR_GROUP :
				    strcmp(tok[i], "attr") == 0 ? LR_ATTR :
				    strcmp(tok[i], "line") == 0 ? LR_LINE :
				    strcmp(tok[i], "close") == 0 ? LR_CLOSE :
				    strcmp(tok[i], "end") == 0 ? LR_END : 0;

				if (role == 0 || (r->roles & role)) {
					lerr(err, errsz, source, lineno, "record %s: role %s", tok[1], tok[i]);
					goto out;
				}
				r->roles |= role;
				if (role & (LR_GROUP | LR_ATTR | LR_CLOSE)) {
					if (i + 1 >= ntok || ((v = small(tok[i + 1])) < 1 &&
					    !(role == LR_CLOSE && strcmp(tok[i + 1], "*") == 0)) || v > 9) {
						lerr(err, errsz, source, lineno,
						    "record %s: %s needs a level 1-9%s", tok[1], tok[i],
						    role == LR_CLOSE ? " or *" : "");
						goto out;
					}
					if (r->level != 0 && v > 0 && v != r->level) {
						lerr(err, errsz, source, lineno, "record %s: two levels", tok[1]);
						goto out;
					}
					if (v > 0)
						r->level = v;
					if (v > l->maxlevel)
						l->maxlevel = v;
					i++;
				}
			}
			if ((r->roles & LR_GROUP) && (r->roles & LR_ATTR)) {
				lerr(err, errsz, source, lineno, "record %s: group and attr", tok[1]);
				goto out;
			}
			l->nrec++;
		} else if (strcmp(tok[0], "field") == 0 && ntok == 6) {
			int off, len, fmt = -1, opt = 0;
			size_t fl = strlen(tok[4]);

			if ((r = recof(l, tok[1])) == NULL) {
				lerr(err, errsz, source, lineno, "field of unknown record %s", tok[1]);
				goto out;
			}
			if ((off = small(tok[2])) < 1 || (len = small(tok[3])) < 1 ||
			    off - 1 + len > r->len || len >= LAY_VALSZ - 8) {
				lerr(err, errsz, source, lineno, "field %s: outside record %s",
				    tok[5], tok[1]);
				goto out;
			}
			if (fl > 1 && tok[4][fl - 1] == '?') {
				opt = 1;
				tok[4][fl - 1] = '\0';
			}
			if (tok[4][0] == '=') {
				fmt = LF_CONST;
				if (strlen(tok[4] + 1) != (size_t)len) {
					lerr(err, errsz, source, lineno, "field %s: constant of %d characters",
					    tok[5], len);
					goto out;
				}
			} else
				for (i = 0; i < (int)(sizeof fmts / sizeof fmts[0]); i++)
					if (strcmp(fmts[i].name, tok[4]) == 0)
						fmt = fmts[i].fmt;
			if (fmt < 0) {
				lerr(err, errsz, source, lineno, "field %s: unknown format %s",
				    tok[5], tok[4]);
				goto out;
			}
			if ((fmt == LF_D6 || fmt == LF_Y6) && len != 6) {
				lerr(err, errsz, source, lineno, "field %s: length 6", tok[5]);
				goto out;
			}
			if ((fmt == LF_D8 || fmt == LF_Y8) && len != 8) {
				lerr(err, errsz, source, lineno, "field %s: length 8", tok[5]);
				goto out;
			}
			if (fmt == LF_NIR && len != 13) {
				lerr(err, errsz, source, lineno, "field %s: length 13", tok[5]);
				goto out;
			}
			if ((fmt == LF_M || fmt == LF_S || fmt == LF_I || fmt == LF_F2) && len > 18) {
				lerr(err, errsz, source, lineno, "field %s: 18 digits at most", tok[5]);
				goto out;
			}
			r->f = xrealloc(r->f, (size_t)(r->nfield + 1) * sizeof *r->f);
			f = &r->f[r->nfield++];
			memset(f, 0, sizeof *f);
			f->off = off - 1;
			f->len = len;
			f->fmt = fmt;
			f->opt = opt;
			f->col = -1;
			if (fmt == LF_CONST)
				f->konst = xstrdup(tok[4] + 1);
			if (fmt != LF_X && strcmp(tok[5], "-") != 0 &&
			    (f->col = colof(tok[5], names, nnames)) < 0) {
				lerr(err, errsz, source, lineno, "field: unknown name %s", tok[5]);
				goto out;
			}
			/* One value per column and record: no later field overwrites it. */
			for (i = 0; f->col >= 0 && i < r->nfield - 1; i++)
				if (r->f[i].col == f->col) {
					lerr(err, errsz, source, lineno,
					    "field %s: a second field of record %s names it",
					    tok[5], tok[1]);
					goto out;
				}
		} else if (strcmp(tok[0], "map") == 0 && ntok == 4) {
			l->map = xrealloc(l->map, (size_t)(l->nmap + 1) * sizeof *l->map);
			if ((l->map[l->nmap].col = colof(tok[1], names, nnames)) < 0) {
				lerr(err, errsz, source, lineno, "map: unknown name %s", tok[1]);
				goto out;
			}
			for (p = tok[3]; *p; p++)
				if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
					lerr(err, errsz, source, lineno, "map: value not printable ASCII");
					goto out;
				}
			for (i = 0; i < l->nmap; i++)
				if (l->map[i].col == l->map[l->nmap].col &&
				    strcmp(l->map[i].code, tok[2]) == 0) {
					lerr(err, errsz, source, lineno, "map: %s %s: a second value",
					    tok[1], tok[2]);
					goto out;
				}
			l->map[l->nmap].code = xstrdup(tok[2]);
			l->map[l->nmap].value = xstrdup(tok[3]);
			l->map[l->nmap].codelen = strlen(tok[2]);
			l->map[l->nmap].valuelen = strlen(tok[3]);
			l->nmap++;
		} else {
			lerr(err, errsz, source, lineno, "unknown directive or wrong number of words: %s",
			    tok[0]);
			goto out;
		}
	}
	if (l->name == NULL || l->tlen < 0 || l->nrec == 0) {
		lerr(err, errsz, source, lineno, "a layout needs layout, type and record lines");
		goto out;
	}
	for (i = 0; i < l->nrec; i++) {
		int j;

		r = &l->rec[i];
		for (j = 0; j < r->nfield; j++)
			for (v = 0; v < l->nmap; v++)
				if (r->f[j].col >= 0 && l->map[v].col == r->f[j].col) {
					r->f[j].mapped = 1;
					if (strlen(l->map[v].value) >= LAY_VALSZ) {
						lerr(err, errsz, source, lineno, "map: value too long");
						goto out;
					}
				}
		if ((r->roles & LR_CLOSE) && r->level == 0 &&
		    !(r->roles & LR_END)) {
			int has = 0;

			for (j = 0; j < r->nfield; j++)
				has |= r->f[j].col >= 0 && strcmp(names[r->f[j].col], "level") == 0;
			if (!has) {
				lerr(err, errsz, source, lineno, "record %s: close * needs a level field",
				    r->type);
				goto out;
			}
		}
		if (l->tlen == 3 && r->type[0] >= '0' && r->type[0] <= '9' &&
		    r->type[1] >= '0' && r->type[1] <= '9' && r->type[2] >= '0' &&
		    r->type[2] <= '9')
			l->index[atoi(r->type)] = (short)(i + 1);
		if (l->tlen == 1)
			l->index1[(unsigned char)r->type[0]] = (short)(i + 1);
		r->dec = xmalloc((size_t)(r->nfield ? r->nfield : 1) * sizeof *r->dec);
		for (j = 0; j < r->nfield; j++) {
			f = &r->f[j];
			/*
			 * A number read as one word or two (lay_decode), never
			 * past the record, and given as decoded (not mapped).
			 */
			if ((f->fmt == LF_I || f->fmt == LF_M || f->fmt == LF_S ||
			    f->fmt == LF_F2) && f->len <= 16 && !f->mapped &&
			    (f->len >= 8 || r->len - f->off >= 8)) {
				f->tag = (uint32_t)f->fmt << 8 | (uint32_t)f->len;
				f->mask = f->len >= 8 ? ~0ULL : ~0ULL >> 8 * (8 - f->len);
			}
			f->special = (f->fmt == LF_CONST ? LAY_SPCONST : 0) |
			    (f->opt ? LAY_SPOPT : 0) | (f->mapped ? LAY_SPMAP : 0);
			if (f->fmt == LF_CONST || (f->fmt != LF_X && f->col >= 0))
				r->dec[r->ndec++] = *f;
		}
		encprep(l, r);
	}
	ok = 0;
out:
	free(copy);
	if (ok < 0) {
		lay_free(l);
		return NULL;
	}
	return l;
}

void
lay_free(struct layout *l)
{
	int i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->nrec; i++) {
		for (j = 0; j < l->rec[i].nfield; j++)
			free(l->rec[i].f[j].konst);
		for (j = 0; j < l->rec[i].nenc; j++)
			free(l->rec[i].enc[j].mk);
		free(l->rec[i].f);
		free(l->rec[i].dec);
		free(l->rec[i].enc);
		free(l->rec[i].tmpl);
	}
	for (i = 0; i < l->nmap; i++) {
		free(l->map[i].code);
		free(l->map[i].value);
	}
	free(l->map);
	free(l->name);
	free(l->source);
	free(l->detect);
	free(l);
}

/*
 * lay_find's record by a memcmp of each type: apart, so that its loop's
 * saved registers and calls cost nothing to the lookups by table.
 */
static __attribute__((noinline)) const struct lay_record *
findtype(const struct layout *l, const char *t)
{
	int i;

	for (i = 0; i < l->nrec; i++)
		if (memcmp(l->rec[i].type, t, (size_t)l->tlen) == 0)
			return &l->rec[i];
	return NULL;
}

const struct lay_record *
lay_find(const struct layout *l, const char *rec, size_t n)
{
	const unsigned char *t = (const unsigned char *)rec + l->toff;
	unsigned a, b, c;
	int i;

	if (n < (size_t)(l->toff + l->tlen))
		return NULL;
	if (l->tlen == 3) {
		a = t[0] - (unsigned)'0';
		b = t[1] - (unsigned)'0';
		c = t[2] - (unsigned)'0';
		if (a < 10 && b < 10 && c < 10) {
			i = l->index[a * 100 + b * 10 + c];
			return i ? &l->rec[i - 1] : NULL;
		}
	} else if (l->tlen == 1) {
		i = l->index1[t[0]];
		return i ? &l->rec[i - 1] : NULL;
	}
	return findtype(l, (const char *)t);
}

int
lay_detect(const struct layout *l, const char *rec, size_t n)
{
	size_t dl;

	if (l->detect == NULL)
		return 0;
	dl = strlen(l->detect);
	return n >= (size_t)l->detoff + dl && memcmp(rec + l->detoff, l->detect, dl) == 0;
}

/*
 * Whether the n bytes at s are digits, eight at a time: of a byte's low
 * seven bits b, b + 0x46 sets the high bit from '9' + 1 up, (b | 0x80) -
 * 0x30 clears it below '0', neither carrying into the next byte; a byte
 * from 0x80 has its own.  room: the bytes from s that may be read (n or
 * more).  A field shorter than a word is read as one word where the room
 * allows, the bytes past it taken for '0's; a longer one's last word
 * ends where it does.
 */
#define DIGITS_BAD(x) (((x) | (((x) & 0x7f7f7f7f7f7f7f7fULL) + 0x4646464646464646ULL) | \
    ~((((x) & 0x7f7f7f7f7f7f7f7fULL) | 0x8080808080808080ULL) - 0x3030303030303030ULL)) & \
    0x8080808080808080ULL)
static inline int
digitsin(const char *s, int n, size_t room)
{
	uint64_t x, m;
	int i = 0;

	if (n >= 8) {
		for (; i + 8 <= n; i += 8) {
			memcpy(&x, s + i, 8);
			if (DIGITS_BAD(x))
				return 0;
		}
		if (i < n) {
			memcpy(&x, s + n - 8, 8);
			if (DIGITS_BAD(x))
				return 0;
		}
		return 1;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n > 0 && room >= 8) {
		memcpy(&x, s, 8);
		m = ((uint64_t)1 << 8 * n) - 1;
		x = (x & m) | (0x3030303030303030ULL & ~m);
		return !DIGITS_BAD(x);
	}
#else
	(void)m;
	(void)x;
	(void)room;
#endif
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
alldigits(const char *s, int n)
{
	return digitsin(s, n, n > 0 ? (size_t)n : 0);
}

/*
 * Whether the n bytes at s are all printable ASCII.  Sixteen at a time
 * where SSE2 is: a byte b is printable when b + 1, as a signed byte, is
 * above 0x20 (0x7f becomes -128, 0x80 and up negative or zero).  Else
 * eight at a time: a byte below 0x20 borrows, 0x7f carries, one from
 * 0x80 is set, each into its high bit (as ts_badbyte).  A last part
 * shorter than a step is read as the step that ends where s does.
 */
static int
printable(const char *s, size_t n)
{
	uint64_t x, bad = 0;
	size_t i = 0;

#if defined(__SSE2__) && defined(__GNUC__)
	if (n >= 16) {
		const __m128i one = _mm_set1_epi8(1), sp = _mm_set1_epi8(0x20);
		__m128i ok = _mm_set1_epi8(-1), w;

		for (; i + 16 <= n; i += 16) {
			w = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			ok = _mm_and_si128(ok, _mm_cmpgt_epi8(_mm_add_epi8(w, one), sp));
		}
		if (i < n) {
			w = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
			ok = _mm_and_si128(ok, _mm_cmpgt_epi8(_mm_add_epi8(w, one), sp));
		}
		return _mm_movemask_epi8(ok) == 0xffff;
	}
#endif
	if (n >= 8) {
		for (; i + 8 <= n; i += 8) {
			memcpy(&x, s + i, 8);
			bad |= (x - 0x2020202020202020ULL) | x | (x + 0x0101010101010101ULL);
		}
		if (i < n) {
			memcpy(&x, s + n - 8, 8);
			bad |= (x - 0x2020202020202020ULL) | x | (x + 0x0101010101010101ULL);
		}
		return (bad & 0x8080808080808080ULL) == 0;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * printable for a value's text (n < LAY_VALSZ bytes of the LAY_VALSZ of
 * t): with SSE2, the whole text in three vectors; else a word at a time
 * to the end.  The bytes past n are masked off (a borrow or carry runs
 * from a byte to the next above, so the bytes past n, the higher ones,
 * change none of those before them).
 */
static int
printableval(const char *t, size_t n)
{
	const uint64_t H = 0x8080808080808080ULL;
	uint64_t x, m;
	size_t i;

#if defined(__SSE2__) && defined(__GNUC__)
	/* All LAY_VALSZ bytes at once as printable's, the bits past n masked off. */
	const __m128i one = _mm_set1_epi8(1), sp = _mm_set1_epi8(0x20);
	uint64_t ok;

	_Static_assert(LAY_VALSZ == 48, "a value's text is three vectors");
	ok = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(_mm_add_epi8(
	    _mm_loadu_si128((const __m128i *)(const void *)t), one), sp)) |
	    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(_mm_add_epi8(
	    _mm_loadu_si128((const __m128i *)(const void *)(t + 16)), one), sp)) << 16 |
	    (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(_mm_add_epi8(
	    _mm_loadu_si128((const __m128i *)(const void *)(t + 32)), one), sp)) << 32;
	(void)H, (void)x, (void)m, (void)i;
	return (~ok & (((uint64_t)1 << n) - 1)) == 0;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = 0; i < n; i += 8) {
		memcpy(&x, t + i, 8);
		m = ((x - 0x2020202020202020ULL) | x | (x + 0x0101010101010101ULL)) & H;
		if (n - i < 8)
			m &= ((uint64_t)1 << 8 * (n - i)) - 1;
		if (m != 0)
			return 0;
	}
	return 1;
#else
	(void)H, (void)x, (void)m, (void)i;
	return printable(t, n);
#endif
}

/* n bytes copied exactly: a field's few by few_cpy (tiers.h). */
static inline void
fcpy(char *d, const char *s, size_t n)
{
	if (n > 16)
		lay_cpy(d, s, n);
	else
		few_cpy(d, s, n);
}

#define BLANKS 0x2020202020202020ULL

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * The number of eight digits, their values (0-9) in the bytes of x, the
 * first in the lowest: two digits a byte, four a 16-bit half, then all
 * eight, in three multiplications (Lemire's parse of eight digits).
 */
static inline uint64_t
eight(uint64_t x)
{
	x = x * 10 + (x >> 8);
	return (((x & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32))) +
	    (((x >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32)))) >> 32;
}
#endif

/*
 * Whether a word of bytes less '0' (d) were all digits: a byte from 10
 * sets its high bit adding 0x76, one that was below '0' or from 0x80 has
 * it set already or gets it so; a carry or borrow across bytes comes only
 * from a byte so caught.
 */
#define NOTDIG(d) (((d) | ((d) + 0x7676767676767676ULL)) & 0x8080808080808080ULL)

/*
 * The number the n (1-18) characters at s write, in *val; 0 if one is
 * not a digit.  room: the bytes from s that may be read (n or more).
 * On a little-endian machine a word at a time: the first word holds the
 * first n % 8 digits (or eight), the bytes past them masked off, then
 * moved to the word's top, zeros before them; each following word eight
 * digits.
 */
static inline int
digval(const char *s, int n, size_t room, uint64_t *val)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, d, v;
	/* The first word's digits h (1-8), and the bits of the 8 - h others. */
	int h = ((n - 1) & 7) + 1, i;
	unsigned sh = (unsigned)(-8 * n) & 56;

	if (room >= 8)
		memcpy(&x, s, 8);
	else
		/* Then n <= room < 8: the field is the first word's h. */
		for (x = 0, i = 0; i < h; i++)
			x |= (uint64_t)(unsigned char)s[i] << 8 * i;
	/* A borrow runs up: the bytes past the field change none of its. */
	d = (x - 0x3030303030303030ULL) & (~0ULL >> sh);
	if (NOTDIG(d))
		return 0;
	v = eight(d << sh);
	for (i = h; i < n; i += 8) {
		memcpy(&x, s + i, 8);
		d = x - 0x3030303030303030ULL;
		if (NOTDIG(d))
			return 0;
		v = v * 100000000 + eight(d);
	}
	*val = v;
	return 1;
#else
	uint64_t v = 0;
	int i;

	(void)room;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*val = v;
	return 1;
#endif
}

/* The decimal digits of v, 0 for 0 (v below 10^19). */
static inline int
ndigits(uint64_t v)
{
	static const uint64_t p10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
		100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL
	};
	int t;

	if (v == 0)
		return 0;
	/* 1233 / 4096 is just above log10(2): t is the digits or one less. */
	t = (64 - __builtin_clzll(v)) * 1233 >> 12;
	return t + (v >= p10[t]);
}

/* Whether the n (1 or more) bytes at s are blanks; room as digval's. */
static inline int
allblank(const char *s, int n, size_t room)
{
	uint64_t x;
	int i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, s + i, 8);
			if (x != BLANKS)
				return 0;
		}
		if (i < n) {
			memcpy(&x, s + n - 8, 8);
			if (x != BLANKS)
				return 0;
		}
		return 1;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (room >= 8) {
		memcpy(&x, s, 8);
		return ((x ^ BLANKS) & (~0ULL >> 8 * (8 - n))) == 0;
	}
#else
	(void)room;
#endif
	for (i = 0; i < n; i++)
		if (s[i] != ' ')
			return 0;
	return 1;
}

/* The n bytes at s without their trailing blanks: how many are left. */
static inline int
unblanked(const char *s, int n, size_t room)
{
	int k;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n <= 8 && room >= 8) {
		uint64_t x;

		/* The highest byte of the field that is not a blank, and those before. */
		memcpy(&x, s, 8);
		x = (x ^ BLANKS) & (~0ULL >> 8 * (8 - n));
		return x == 0 ? 0 : (63 - __builtin_clzll(x)) / 8 + 1;
	}
	if (n > 8 && n <= 16) {
		uint64_t x, y;

		/* The last eight bytes, then the first n - 8 not among them. */
		memcpy(&y, s + n - 8, 8);
		if ((y ^= BLANKS) != 0)
			return n - 8 + (63 - __builtin_clzll(y)) / 8 + 1;
		memcpy(&x, s, 8);
		x = (x ^ BLANKS) & (~0ULL >> 8 * (16 - n));
		return x == 0 ? 0 : (63 - __builtin_clzll(x)) / 8 + 1;
	}
#else
	(void)room;
#endif
	for (k = n; k > 0 && s[k - 1] == ' '; k--)
		;
	return k;
}

static int
num(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static void
digits4(char *p, int v)
{
	p[3] = (char)('0' + v % 10);
	p[2] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v / 100 % 10);
	p[0] = (char)('0' + v / 1000 % 10);
}

/* The latest date of year yy (mod 100) not after ref; 2000-2099 without ref. */
static int
century(int yy, int m, int d, int32_t ref)
{
	static int32_t cref = INT32_MIN;
	static int ry, rm, rd;
	int y;

	if (ref == INT32_MIN)
		return 2000 + yy;
	if (ref != cref) {
		date_to_ymd(ref, &ry, &rm, &rd);
		cref = ref;
	}
	y = ry - ((ry % 100 - yy) % 100 + 100) % 100;
	if (y == ry && (m > rm || (m == rm && d > rd)))
		y -= 100;
	return y;
}

/*
 * The dates lay_decode found good, by their characters, format and
 * reference date: a file's act and invoice dates are few, and checking
 * a date and counting its days cost more than the rest of its field.
 * An entry not yet filled has the format 0, no date's.
 */
#define DECMEMO 64
static _Thread_local struct decmemo {
	uint64_t raw;		/* the field's characters, those past it zeros */
	int32_t ref, date;
	int fmt;
	unsigned char n;
	char text[11];
} decmemo[DECMEMO];

/*
 * The numbers (I, M, S, F2) of 16 characters or fewer lay_decode read, by
 * their characters, format and length: most amounts and counts of a file
 * are a few values written again and again (zeros, a rate, a quantity,
 * a total closed twice), and a value looked up costs less than its
 * digits parsed and its text written.  The characters are two words:
 * the field's first eight (those past a shorter field zeros) and, from
 * eight, its last eight.  An entry not yet filled has the tag 0, no
 * field's (len is 1 or more).
 */
#define NUMBITS 9
#define NUMMEMO (1 << NUMBITS)
static _Thread_local struct nummemo {
	uint64_t w0, w1;
	int64_t num;
	uint32_t tag;		/* fmt << 8 | len */
	unsigned char n;
	char text[24];		/* and its NUL: a text of 16 digits is 17 at most */
} nummemo[NUMMEMO];

_Static_assert(LAY_VALSZ >= 24, "a memo's text is copied as 24 bytes");

/* A date field of f's format at s (digits checked): -1 with *why if bad. */
static int
datefield(const struct lay_field *f, const char *s, int32_t filedate,
    struct lay_val *v, const char **why)
{
	int y, m, d;

	if (f->fmt == LF_D6 || f->fmt == LF_D8) {
		d = num(s, 2);
		m = num(s + 2, 2);
		y = num(s + 4, f->len - 4);
	} else {
		y = num(s, f->len - 4);
		m = num(s + f->len - 4, 2);
		d = num(s + f->len - 2, 2);
	}
	if (m < 1 || m > 12 || d < 1 || d > 31) {
		*why = "impossible date";
		return -1;
	}
	if (f->len == 6)
		y = century(y, m, d, filedate);
	if (!date_valid(y, m, d) || y < 1900) {
		*why = "impossible date";
		return -1;
	}
	v->date = date_from_ymd(y, m, d);
	if (y <= 9999) {
		digits4(v->text, y);
		v->text[4] = '-';
		v->text[5] = (char)('0' + m / 10);
		v->text[6] = (char)('0' + m % 10);
		v->text[7] = '-';
		v->text[8] = (char)('0' + d / 10);
		v->text[9] = (char)('0' + d % 10);
		v->n = 10;
	} else
		v->n = (unsigned char)date_fmt(v->date, v->text);
	return 0;
}

/* An amount (M, S, F2) of f at s, in cents: -1 with *why if bad. */
static inline int
money(const struct lay_field *f, const char *s, size_t room, struct lay_val *v,
    const char **why)
{
	uint64_t c;
	int k = 0, neg = 0;

	if (f->fmt == LF_S) {
		if (s[0] == '-')
			neg = 1;
		else if (s[0] != '+' && s[0] != ' ') {
			*why = "no sign";
			return -1;
		}
		k = 1;
	}
	if (f->len - k < 1 || !digval(s + k, f->len - k,
	    room > (size_t)k ? room - (size_t)k : 0, &c)) {
		*why = "not a number";
		return -1;
	}
	v->num = neg ? -(int64_t)c : (int64_t)c;
	if (f->len - k < 3) {
		v->n = (unsigned char)money_fmt(v->num, v->text);
		return 0;
	}
	{
		/*
		 * The text straight from the digits, money_fmt's layout: the
		 * units without their leading zeros (one at least), the
		 * point, the cents.
		 */
		int u = ndigits(c) - 2, t = 0;

		if (u < 1)
			u = 1;
		if (neg && c != 0)
			v->text[t++] = '-';
		fcpy(v->text + t, s + f->len - 2 - u, (size_t)u);
		t += u;
		v->text[t++] = '.';
		v->text[t++] = s[f->len - 2];
		v->text[t++] = s[f->len - 1];
		v->n = (unsigned char)t;
	}
	return 0;
}

int
lay_decode(const struct layout *l, const struct lay_record *r, const char *rec,
    size_t n, int32_t filedate, struct lay_val *vals, int *errcol, const char **why)
{
	const struct lay_field *f, *end = r->dec + r->ndec, *unp = NULL;
	struct lay_val *v;
	struct decmemo *dm;
	struct nummemo *nm;
	const char *s;
	int i, k;
	size_t room;
	uint64_t c, raw;

	if (n < (size_t)r->len) {
		*errcol = -1;
		*why = "shorter than its record";
		return -1;
	}
	/*
	 * Printable ASCII throughout, the usual case: no check per field.
	 * Else the first field that is not (unp: neither a filler nor a
	 * constant, which are not read as text) is refused after those
	 * before it are decoded.
	 */
	if (!printable(rec, n))
		for (i = 0, k = 0; i < r->nfield; i++) {
			f = &r->f[i];
			if (f->fmt != LF_X && f->fmt != LF_CONST &&
			    !printable(rec + f->off, (size_t)f->len)) {
				unp = f;
				end = r->dec + k;
				break;
			}
			/* The fields lay_load put in dec, counted. */
			k += f->fmt == LF_CONST || (f->fmt != LF_X && f->col >= 0);
		}
	for (f = r->dec; f < end; f++) {
		s = rec + f->off;
		/* What may be read from s: to the record's end (lay_load: off < len). */
		room = n - (size_t)f->off;
		/* Constants and optional fields set apart by one test. */
		if (f->special & (LAY_SPCONST | LAY_SPOPT)) {
			if (f->fmt == LF_CONST) {
				if (memcmp(s, f->konst, (size_t)f->len) != 0) {
					*why = "not the expected constant";
					goto bad;
				}
				continue;
			}
			if (allblank(s, f->len, room)) {
				v = &vals[f->col];
				v->n = 0;
				v->text[0] = '\0';
				v->set = 0;
				v->bynum = 0;
				v->num = 0;
				continue;
			}
		}
		v = &vals[f->col];
		v->set = 1;
		v->bynum = 0;
		switch (f->fmt) {
		case LF_N:
		case LF_NZ:
			if (!digitsin(s, f->len, room)) {
				*why = "not a number";
				goto bad;
			}
			if (f->fmt == LF_NZ) {
				for (k = 0; k < f->len && s[k] == '0'; k++)
					;
				if (k == f->len) {
					*why = "zero";
					goto bad;
				}
			}
			v->n = (unsigned char)f->len;
			fcpy(v->text, s, v->n);
			break;
		case LF_I:
		case LF_M:
		case LF_S:
		case LF_F2:
			nm = NULL;
			if (f->tag != 0) {
				uint64_t w0, w1 = 0;

				memcpy(&w0, s, 8);
				w0 &= f->mask;
				if (f->len >= 8)
					memcpy(&w1, s + f->len - 8, 8);
				nm = &nummemo[((w0 ^ (w1 << 32 | w1 >> 32) ^ f->tag) *
				    0x9e3779b97f4a7c15ULL) >> (64 - NUMBITS)];
				if (nm->w0 == w0 && nm->w1 == w1 && nm->tag == f->tag) {
					v->num = nm->num;
					v->n = nm->n;
					/* Its text ends with its NUL: nothing more to do. */
					memcpy(v->text, nm->text, sizeof nm->text);
					continue;
				}
				nm->tag = 0;
				nm->w0 = w0;
				nm->w1 = w1;
			}
			if (f->fmt == LF_I) {
				/* Its text: the digits of its number, one at least. */
				if (!digval(s, f->len, room, &c)) {
					*why = "not a number";
					goto bad;
				}
				k = c != 0 ? ndigits(c) : 1;
				v->n = (unsigned char)k;
				fcpy(v->text, s + f->len - k, (size_t)k);
				v->num = (int64_t)c;
			} else if (money(f, s, room, v, why) < 0)
				goto bad;
			if (nm != NULL) {
				/* Filled only by a value decoded whole. */
				v->text[v->n] = '\0';
				nm->num = v->num;
				nm->n = v->n;
				memcpy(nm->text, v->text, sizeof nm->text);
				nm->tag = f->tag;
			}
			break;
		case LF_A:
			v->n = (unsigned char)unblanked(s, f->len, room);
			fcpy(v->text, s, v->n);
			break;
		case LF_NIR:
			if (!alldigits(s, 5) || !alldigits(s + 7, 6) ||
			    !(alldigits(s + 5, 2) || (s[5] == '2' && (s[6] == 'A' || s[6] == 'B')))) {
				*why = "not a NIR (13 digits, or 2A/2B)";
				goto bad;
			}
			v->n = 13;
			lay_cpy(v->text, s, 13);
			break;
		case LF_D6:
		case LF_Y6:
		case LF_D8:
		case LF_Y8:
			if (room < 8) {
				if (!digitsin(s, f->len, room)) {
					*why = "not a date";
					goto bad;
				}
				if (datefield(f, s, filedate, v, why) < 0)
					goto bad;
				break;
			}
			memcpy(&raw, s, 8);
			raw &= ~0ULL >> 8 * (8 - f->len);
			dm = &decmemo[(raw * 0x9e3779b97f4a7c15ULL) >> 58];
			if (dm->raw == raw && dm->fmt == f->fmt && dm->ref == filedate) {
				v->date = dm->date;
				v->n = dm->n;
				memcpy(v->text, dm->text, sizeof dm->text);
				break;
			}
			if (!digitsin(s, f->len, room)) {
				*why = "not a date";
				goto bad;
			}
			if (datefield(f, s, filedate, v, why) < 0)
				goto bad;
			if (v->n < sizeof dm->text) {
				dm->raw = raw;
				dm->fmt = f->fmt;
				dm->ref = filedate;
				dm->date = v->date;
				dm->n = v->n;
				memcpy(dm->text, v->text, sizeof dm->text);
			}
			break;
		default:
			*why = "bad format";
			goto bad;
		}
		if (f->special & LAY_SPMAP) {
			for (k = 0; k < l->nmap; k++)
				/* Codes are mostly of one character: no call for them. */
				if (l->map[k].col == f->col && l->map[k].codelen == v->n &&
				    (v->n == 1 ? l->map[k].code[0] == v->text[0] :
				    memcmp(l->map[k].code, v->text, v->n) == 0))
					break;
			if (k == l->nmap) {
				*why = "unknown code";
				goto bad;
			}
			v->n = (unsigned char)l->map[k].valuelen;
			lay_cpy(v->text, l->map[k].value, v->n);
		}
		v->text[v->n] = '\0';
	}
	if (unp != NULL) {
		f = unp;
		*why = "not printable ASCII";
		goto bad;
	}
	*errcol = -1;
	return 0;
bad:
	*errcol = f->col;
	return -1;
}

/*
 * Digits of v, right-aligned in n characters with leading zeros; -1 if
 * too long.  Two digits a division, on zeros laid at once, copied
 * whole: an amount's twelve characters were twelve divisions.
 */
static int
zpad(char *d, int n, uint64_t v)
{
	static const char two[] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char b[24];
	int k = (int)sizeof b, lo = n < k ? k - n : 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (v < 100000000 && n >= 8 && n <= 24) {
		/*
		 * Most amounts: eight digits at once, each half of four cut
		 * in two of two, then each of those in two digits, by
		 * multiplications in the lanes of a word (x / 100 is x *
		 * 5243 >> 19 below 43699, x / 10 is x * 103 >> 10 below
		 * 179), the first digit in the lowest byte.
		 */
		uint64_t x = v / 10000 | (v % 10000) << 32, q;

		q = (x * 5243 >> 19) & 0x0000007f0000007fULL;
		x = q | (x - q * 100) << 16;
		q = (x * 103 >> 10) & 0x000f000f000f000fULL;
		x = (q | (x - q * 10) << 8) | 0x3030303030303030ULL;
		fcpy(d, "0000000000000000", (size_t)n - 8);
		memcpy(d + n - 8, &x, 8);
		return 0;
	}
#endif
	memcpy(b, "000000000000000000000000", sizeof b);
	for (; k - 2 >= lo && v != 0; v /= 100) {
		k -= 2;
		memcpy(b + k, two + 2 * (v % 100), 2);
	}
	if (k > lo && v != 0) {
		b[--k] = (char)('0' + v % 10);
		v /= 10;
	}
	if (n > (int)sizeof b) {
		memset(d, '0', (size_t)n - sizeof b);
		d += n - (int)sizeof b;
		n = (int)sizeof b;
	}
	fcpy(d, b + sizeof b - n, (size_t)n);
	return v == 0 ? 0 : -1;
}

/*
 * The dates lay_encode found good (YYYY-MM-DD) and their years, by their
 * month and day: a file's dates are few, and date_ymd's checks cost more
 * than the rest of a field.
 */
static _Thread_local struct datememo {
	char t[10];
	int y, ok;
} datememo[8];

int
lay_encode(const struct layout *l, const struct lay_record *r,
    const struct lay_val *vals, char *rec, int *errcol, const char **why)
{
	struct datememo *dc;
	const struct lay_enc *e, *end = r->enc + r->nenc;
	const struct lay_val *v;
	const char *t;
	size_t n;
	int k, y, m, d;
	int64_t c;

	/* Blanks, the type and the constants, laid by lay_load. */
	memcpy(rec, r->tmpl, (size_t)r->len);
	for (e = r->enc; e < end; e++) {
		char *s = rec + e->off;

		if (e->op >= E_CONST) {
			if (e->op == E_CONST) {
				memcpy(s, e->konst, (size_t)e->len);
				continue;
			}
			*why = "a field of no name that is not a filler";
			goto bad;
		}
		v = (const struct lay_val *)(const void *)((const char *)vals + e->voff);
		t = v->text;
		n = v->n;
		if (!v->set || e->mapped) {
			if (!v->set) {
				if (e->opt)
					continue;
				*why = "missing";
				goto bad;
			}
			/* The first map line of its column with this value. */
			for (k = 0; k < e->nmk; k++)
				if (l->map[e->mk[k]].valuelen == n &&
				    memcmp(l->map[e->mk[k]].value, t, n) == 0)
					break;
			if (k == e->nmk) {
				*why = "no code for this value";
				goto bad;
			}
			t = l->map[e->mk[k]].code;
			n = l->map[e->mk[k]].codelen;
		}
		switch (e->op) {
		case E_N:
		case E_NZ:
		case E_I:
			if (n == 0 || n > (size_t)e->len ||
			    !digitsin(t, (int)n, t == v->text ? LAY_VALSZ : n)) {
				*why = n > (size_t)e->len ? "too long" : "not a number";
				goto bad;
			}
			/* N and NZ are read as written: exactly their length. */
			if (e->op != E_I && n != (size_t)e->len) {
				*why = "not as long as the field";
				goto bad;
			}
			if ((size_t)e->len - n <= 16)
				fcpy(s, "0000000000000000", (size_t)e->len - n);
			else
				memset(s, '0', (size_t)e->len - n);
			fcpy(s + e->len - n, t, n);
			if (e->op == E_NZ && strspn(t, "0") == n) {
				*why = "zero";
				goto bad;
			}
			break;
		case E_A:
			if (n > (size_t)e->len) {
				*why = "too long";
				goto bad;
			}
			if (!(t == v->text ? printableval(t, n) : printable(t, n))) {
				*why = "not printable ASCII";
				goto bad;
			}
			if (n > 0 && t[n - 1] == ' ') {
				*why = "ends with a blank";
				goto bad;
			}
			if (e->opt && n == 0) {
				*why = "empty: absent";
				goto bad;
			}
			fcpy(s, t, n);
			break;
		case E_NIR:
			if (n != 13) {
				*why = "not a NIR (13 digits, or 2A/2B)";
				goto bad;
			}
			memcpy(s, t, 13);
			break;
		case E_D6:
		case E_Y6:
		case E_D8:
		case E_Y8:
			if (n == 10 && (dc = &datememo[(t[6] ^ t[9] * 3) & 7])->ok &&
			    memcmp(dc->t, t, 10) == 0)
				y = dc->y;
			else {
				if (date_ymd(t, n, &y, &m, &d) < 0) {
					*why = "not a date";
					goto bad;
				}
				dc = &datememo[(t[6] ^ t[9] * 3) & 7];
				memcpy(dc->t, t, 10);
				dc->y = y;
				dc->ok = 1;
			}
			if (y < 1900 || y > 9999 || (e->len == 6 && y > 2099)) {
				*why = "a year out of the field's range";
				goto bad;
			}
			/*
			 * The digits of YYYY-MM-DD are those of the year (its
			 * last two in six characters), month and day, padded:
			 * copied, not counted in days and written back.
			 */
			switch (e->op) {
			case E_D8:
				memcpy(s, t + 8, 2);
				memcpy(s + 2, t + 5, 2);
				memcpy(s + 4, t, 4);
				break;
			case E_Y8:
				memcpy(s, t, 4);
				memcpy(s + 4, t + 5, 2);
				memcpy(s + 6, t + 8, 2);
				break;
			case E_D6:
				memcpy(s, t + 8, 2);
				memcpy(s + 2, t + 5, 2);
				memcpy(s + 4, t + 2, 2);
				break;
			default:
				memcpy(s, t + 2, 2);
				memcpy(s + 2, t + 5, 2);
				memcpy(s + 4, t + 8, 2);
				break;
			}
			break;
		case E_M:
		case E_S:
			if (v->bynum && !e->mapped)
				c = v->num;
			else if (money_parse(t, n, &c) != 0) {
				*why = "not an amount";
				goto bad;
			}
			k = 0;
			if (e->op == E_S) {
				s[0] = c < 0 ? '-' : '+';
				k = 1;
			} else if (c < 0) {
				*why = "negative";
				goto bad;
			}
			if (zpad(s + k, e->len - k, (uint64_t)(c < 0 ? -c : c)) < 0) {
				*why = "too long";
				goto bad;
			}
			break;
		default:
			*why = "bad format";
			goto bad;
		}
	}
	*errcol = -1;
	return 0;
bad:
	*errcol = e->col;
	return -1;
}
