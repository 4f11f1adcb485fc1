/*
 * benef-integrate's parts: an entry (one beneficiary as a file gives
 * it), the rules it keeps by itself (rules.c), and the two readers that
 * make entries of a client's file, Norme V3 XML (normev3.c) and the
 * project's CSV (csv.c).  main.c sorts the entries and merges them into
 * the master.  A reader never exits: it hands entries and rejects to a
 * sink, and a refused file comes back as a status and a message.
 */
#ifndef BENEF_H
#define BENEF_H

#include <stdint.h>

#include <libxml/xmlschemas.h>

/* The master's columns; the first three are its key. */
enum {
	M_AMC, M_CONTRACT, M_MEMBER, M_STATE, M_ADHERENT, M_TYPE, M_NIR,
	M_NIRKEY, M_BNIR, M_BNIRKEY, M_BIRTH, M_RANG, M_REGIME, M_CAISSE,
	M_CENTRE, M_RESP, M_PRODUCTS, M_TPSTART, M_TPEND, M_ACTIVATION,
	M_SUSPSTART, M_SUSPEND, M_SUSPREASON, M_CARD, M_DOMAINS, M_ADDR1,
	M_ADDR2, M_ADDR3, M_ADDR4, M_ADDR5, M_ADDR6, M_ADDR7, M_RSTART,
	M_REND, M_KNIR, M_KBIRTH, M_CARDNUM, M_CARDSTART, M_CARDEND,
	M_CARDBG, M_CARDANNEX, M_RIBHOLDER, M_IBAN, M_BIC, M_COMP, M_UPDATED, NM
};
/* The columns a master of before M_CARDNUM's may lack (read as empty). */
#define M_NEW(i) ((i) >= M_CARDNUM && (i) < M_UPDATED)
#define NKEY 3
#define FLD 128		/* a field's bytes, at most */
_Static_assert((FLD & (FLD - 1)) == 0, "FLD a power of two: main.c or-s the lengths");
#define MAXPROD 16

/* Reject codes (tiers-benef(5)); bi_rejects gives their code and label. */
enum { R_NIR, R_DATES, R_BIRTH, R_RANG, R_OVERLAP, R_CODE, R_UNKNOWN,
	R_DISAGREE, R_MISSING, R_DATE, R_NONIR, R_RIB, NREJECT };
extern const struct bi_reject {
	const char *code, *label;
} bi_rejects[NREJECT];

/* One beneficiary as a file gives it. */
struct entry {
	char f[NM][FLD];
	int nprod;
	struct prod {
		int order;
		char ref[FLD];
		int32_t start, end;	/* INT32_MIN / INT32_MAX: open */
	} prod[MAXPROD];
	char file[FLD];
	long line;
	long fileno;
	int shared;	/* nir is the subscriber's, not the beneficiary's */
};

/*
 * Where a reader's entries go: each beneficiary read whole, then each
 * one it rejects (with a code and a detail, or NULL).
 */
struct bi_sink {
	void (*entry)(struct entry *e, void *arg);
	void (*reject)(const struct entry *e, int code, const char *detail, void *arg);
	void *arg;
};

/*
 * The readers.  A file's header: its sender and file number, for the
 * order of the files (1: a CSV header alone, a day without changes).
 * A file: its entries to the sink.  Both return 0 (or 1), or EX_DATAERR
 * (the file is refused), EX_NOINPUT (it cannot be opened), EX_SOFTWARE,
 * with the message in msg: "file:line: field: reason", as it follows
 * "benef-integrate: " on stderr.
 */
int bi_xml_head(const char *path, char *sender, long *fileno, char *msg, size_t msgsz);
int bi_xml_file(const char *path, const char *amc, long fileno, xmlSchemaPtr schema,
    const struct bi_sink *sink, char *msg, size_t msgsz);
int bi_csv_head(const char *path, char *sender, long *fileno, char *msg, size_t msgsz);
int bi_csv_file(const char *path, const struct bi_sink *sink, char *msg, size_t msgsz);
/* libxml2's small blocks kept for reuse (xmlmem.c): before libxml2 is used; 0 or -1. */
int bi_xml_memory(void);
/* A schema from its text, or the file at path when text is NULL; NULL if unusable. */
xmlSchemaPtr bi_loadschema(const char *text, const char *path);
extern const char benef_xsd[];	/* formats/xsd/benef-normev3.xsd, built in */

/*
 * The rules an entry keeps by itself (rules.c); then its derived
 * columns.  0, or -1 once rejected to the sink.
 */
int bi_check(struct entry *e, int32_t bizdate, const struct bi_sink *sink);

/*
 * The master's index (index.c, -x): each record's key fields (struct
 * field, in the order of bk_fields' columns: amc, nir, nir_key,
 * benef_nir, birth_date, rang, adherent) at its offset in the master
 * (-1 if a key is not one: the field and why), then the index written.
 */
struct field;
struct ts_reader;
int bi_ix_add(const struct field *kf, uint64_t off, const char **field, const char **why);
void bi_ix_write(int fd, const char *name, uint64_t msize, uint64_t nrec, int64_t sum,
    uint32_t seal, uint32_t hcrc, uint64_t *nkey, uint64_t *nbucket);
/*
 * With the index of the master of the day before (-i): the lines of that
 * master copied as they were, in runs (their offsets [a, b) there, to in
 * the new one), whose entries bi_ix_write carries over instead of
 * bi_ix_add's; -1 and why if that index cannot be used.
 */
struct bi_run {
	uint64_t a, b, to;
};
int bi_ix_carry(const char *path, const struct ts_reader *m, uint64_t nrec, uint32_t seal,
    const struct bi_run *runs, size_t nruns, char *why, size_t whysz);

/* Helpers of the readers. */
const char *bi_base(const char *path);
void bi_setf(char *dst, const char *s, size_t n);
int bi_optdate(const char *s, int32_t *d, int32_t dflt);
void bi_msg(char *msg, size_t msgsz, const char *path, long line, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
