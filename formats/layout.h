/*
 * Record layouts as data: tables that map each record (or entity) type of
 * a fixed-width file to its fields (offset, length, format, name), read
 * from a text file in the syntax of tiers-layout(5).  The engine knows
 * formats, not meanings: the program that loads a layout gives the names
 * it understands, and a field of any other name is refused at load time.
 */
#ifndef TIERS_LAYOUT_H
#define TIERS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

enum lay_framing { LAY_FIXED, LAY_NOEMIE };

enum lay_fmt {
	LF_N,		/* digits, kept as written (identifiers) */
	LF_NZ,		/* digits, not all zeros */
	LF_I,		/* integer: digits, written without leading zeros */
	LF_A,		/* printable ASCII, trailing blanks removed */
	LF_X,		/* filler: not read */
	LF_CONST,	/* the given text, exactly */
	LF_D6,		/* date DDMMYY */
	LF_Y6,		/* date YYMMDD */
	LF_D8,		/* date DDMMYYYY */
	LF_Y8,		/* date YYYYMMDD */
	LF_M,		/* money: digits, in cents */
	LF_S,		/* signed money: '+', '-' or blank, then digits, in cents */
	LF_F2,		/* decimal number with two implied decimals */
	LF_NIR		/* 13 characters: digits, 2A or 2B at the 6th and 7th */
};

struct lay_field {
	int off, len;		/* 0-based offset in the record */
	int fmt;
	int opt;		/* may be blank: then absent */
	int mapped;		/* its name has map lines */
	int col;		/* index in the caller's names, -1 for filler */
	char *konst;
	/*
	 * lay_decode's memo of numbers (layout.c nummemo), set at load:
	 * the field's format and length as a key, 0 if it is not kept;
	 * the bits of its first word that are its characters.
	 */
	uint32_t tag;
	uint64_t mask;
	/* LAY_SPCONST, LAY_SPOPT, LAY_SPMAP: what lay_decode does but for most fields. */
	int special;
};
enum { LAY_SPCONST = 1, LAY_SPOPT = 2, LAY_SPMAP = 4 };

struct lay_enc;

enum {
	LR_OPEN = 1, LR_GROUP = 2, LR_ATTR = 4, LR_LINE = 8, LR_CLOSE = 16,
	LR_END = 32
};

struct lay_record {
	char type[8];
	int len;
	int roles;
	int level;		/* of group, attr; of close, 0 = from a field */
	int nfield;
	struct lay_field *f;
	/*
	 * The fields lay_decode reads, in order: constants and named
	 * fields (copies of f's: fillers and unnamed fields give nothing).
	 */
	int ndec;
	struct lay_field *dec;
	/*
	 * lay_encode's, prepared at load: the record's bytes before any
	 * field's value (blanks, its type, the constants no other field
	 * shares a byte with), and its steps, a field each that writes or
	 * may be refused (layout.c).
	 */
	char *tmpl;
	int nenc;
	struct lay_enc *enc;
};

struct lay_map {
	int col;
	char *code, *value;
	size_t codelen, valuelen;
};

#define LAY_MAXREC 64
#define LAY_MAXCTL 8
struct layout {
	char *name;
	char *source;		/* where it was read from, for metadata */
	uint32_t crc;		/* CRC-32 of its text, for metadata */
	int framing;
	int toff, tlen;		/* where the record type is */
	int total;		/* column summed by close and end records */
	int nctl;		/* control totals of close and end records: */
	struct lay_ctl {
		int field;	/* the close or end record's field that holds */
		int col;	/* the sum of this column over the lines closed */
	} ctl[LAY_MAXCTL];
	int detoff;
	char *detect;		/* what the first record holds at detoff */
	int maxlevel;
	int nrec;
	struct lay_record rec[LAY_MAXREC];
	int nmap;
	struct lay_map *map;
	short index[1000];	/* 3-digit numeric types: record index + 1 */
	short index1[256];	/* one-character types: record index + 1 */
};

/* A decoded field: text as output, and its value as a number or date. */
#define LAY_VALSZ 48
struct lay_val {
	char text[LAY_VALSZ];
	unsigned char n;
	unsigned char set;	/* present */
	unsigned char bynum;	/* lay_encode: an amount's cents are num */
	int64_t num;		/* integer, cents */
	int32_t date;
};

/*
 * Load a layout from text (NUL-terminated); names[0..nnames) are the field
 * names the caller understands.  NULL on error, with a message naming the
 * line of the layout in err.
 */
struct layout *lay_load(const char *source, const char *text,
    const char *const *names, int nnames, char *err, size_t errsz);
void lay_free(struct layout *l);
/* The record definition of a record, by its type; NULL if unknown. */
const struct lay_record *lay_find(const struct layout *l, const char *rec, size_t n);
/*
 * Decode record rec (n bytes, already found to be of type r, and not
 * shorter than r's length) into vals[col] of each field.  filedate
 * (days, or INT32_MIN if unknown) resolves the century of 6-character
 * dates: the latest date not after it; file dates themselves are in
 * 2000-2099.  0 ok; -1 with the field's column (or -1 for the record)
 * and a reason.  The bytes of a value's text past its n and NUL are
 * unspecified.
 */
int lay_decode(const struct layout *l, const struct lay_record *r,
    const char *rec, size_t n, int32_t filedate, struct lay_val *vals,
    int *errcol, const char **why);
/*
 * The reverse of lay_decode: record r of n = r->len bytes into rec (not
 * terminated), from vals[col] as lay_decode gives them (text: dates
 * YYYY-MM-DD, amounts as money_fmt writes them; set 0 for an absent
 * optional field; bynum set: an amount is num, which its text says, not
 * parsed again).  Integers (I) and amounts are padded with zeros on the
 * left, text with blanks on the right; N and NZ, read as written, are
 * given whole; a mapped field is written as the code of its value.
 * What lay_decode would not read back as given is refused: 0 ok; -1 with
 * the field's column (or -1) and a reason.
 */
int lay_encode(const struct layout *l, const struct lay_record *r,
    const struct lay_val *vals, char *rec, int *errcol, const char **why);
/* Does this first record belong to the layout? */
int lay_detect(const struct layout *l, const char *rec, size_t n);

/*
 * Short copies: gcc expands memcpy of an unknown small size into rep movs,
 * slow to start; fields are a few bytes.  Words of eight, the last one
 * overlapping those before it, or for less than a word two halves that
 * overlap (few_cpy's way): no loop byte by byte.
 */
static inline void
lay_cpy(char *d, const char *s, size_t n)
{
	uint32_t a, b;
	uint16_t h, k;

	if (n >= 8) {
		size_t i;

		for (i = 0; i + 8 <= n; i += 8) {
			__builtin_memcpy(d + i, s + i, 8);
			/* Keep gcc from seeing a memcpy here and emitting rep movs. */
			__asm__ volatile ("" : : : "memory");
		}
		if (i < n)
			__builtin_memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		__builtin_memcpy(&a, s, 4);
		__builtin_memcpy(&b, s + n - 4, 4);
		__builtin_memcpy(d, &a, 4);
		__builtin_memcpy(d + n - 4, &b, 4);
	} else if (n >= 2) {
		__builtin_memcpy(&h, s, 2);
		__builtin_memcpy(&k, s + n - 2, 2);
		__builtin_memcpy(d, &h, 2);
		__builtin_memcpy(d + n - 2, &k, 2);
	} else if (n == 1)
		*d = *s;
}

/* The built-in layouts, embedded at build time from formats/layouts/. */
struct lay_builtin {
	const char *name;
	const char *text;
};
extern const struct lay_builtin lay_builtins[];
extern const int lay_nbuiltins;

#endif
