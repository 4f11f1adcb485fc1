/*
 * NOEMIE's structure (and B2's), over the byte layouts of layout.h: the
 * names a layout may give its fields, how a file's levels nest and
 * close, and the counts and totals its close and end records carry
 * (tiers-layout(5)).  What the decoded lines become is the caller's: a
 * file is read record by record with nm_physline, which calls back for
 * its opening record and for each act line.
 */
#ifndef TIERS_NOEMIE_H
#define TIERS_NOEMIE_H

#include "layout.h"

/* What layouts may name: the claim's fields, then the control fields. */
enum {
	NM_SENDER, NM_FILENO, NM_FILEDATE, NM_REGIME, NM_CAISSE, NM_PSKIND,
	NM_PSNUM, NM_INVOICE, NM_INVDATE, NM_INVTOTAL, NM_NIR, NM_NIRKEY,
	NM_BNIR, NM_BNIRKEY, NM_BIRTH, NM_RANG, NM_AMC, NM_ADHERENT,
	NM_LINENO, NM_ACTDATE, NM_ACTCODE, NM_COEF, NM_QTY, NM_FR, NM_BR,
	NM_RATE, NM_AMO, NM_PF, NM_FRANCHISE, NM_DEPASS, NM_TP, NM_NATURE,
	NM_REFINV, NM_REFLINE, NM_PARCOURS, NM_RENEWAL,
	NM_LEVEL, NM_COUNT, NM_TOTAL, NM_FRTOT, NM_BRTOT, NM_AMOTOT,
	NM_DATETOT,
	NM_NSLOT
};
#define NM_LASTCLAIM NM_RENEWAL
extern const char *const nm_names[NM_NSLOT];

/* A layout loaded for decoding: which level sets each claim field. */
struct nm_lay {
	struct layout *l;
	signed char owner[NM_NSLOT];	/* the level of the records that set it */
	char ctldate[LAY_MAXCTL];	/* the control sums a date: its day numbers */
	/*
	 * The claim slots a group or line record clears, by record: those
	 * set at its level, and the file's sender, number and date at its
	 * level or deeper (noemie.c's clearmask says why).
	 */
	uint64_t clear[LAY_MAXREC];
	uint64_t need[LAY_MAXREC];	/* the required slots a line may miss */
};
/* Load and check a layout's text: 0, or -1 with "source: reason" in err. */
int nm_lay_load(struct nm_lay *L, const char *source, const char *text, char *err,
    size_t errsz);
/* The layout of n that recognises a file's first line p, or NULL. */
const struct nm_lay *nm_detect(const struct nm_lay *lays, int n, const char *p,
    size_t len);

/* A file being decoded. */
struct nm_file {
	const char *path, *base;
	size_t baselen, namelen;
	const struct nm_lay *lay;
	long line;
	int pos;			/* entity on its line, from 1 */
	int opened, ended;
	int depth;			/* deepest open level, 0 none */
	uint64_t count[10];		/* act lines under each open level */
	int64_t total[10];
	uint64_t fcount;
	int64_t ftotal;
	int64_t csum[10][LAY_MAXCTL];	/* the layout's controls, by level */
	int64_t fcsum[LAY_MAXCTL];
	struct lay_val v[NM_NSLOT];
	char err[256];
	size_t reason;		/* where the reason starts in err */
	/*
	 * Called with the opening record decoded, and with each act line
	 * (every required field in effect): 0, or -1 after nm_err.
	 */
	int (*onopen)(struct nm_file *f, const char *type, void *arg);
	int (*online)(struct nm_file *f, const char *type, void *arg);
	void *arg;
};
/* Start a file: path, and the callbacks. */
void nm_start(struct nm_file *f, const char *path);
/* One physical line (f->line its number): 0, or -1 with f->err. */
int nm_physline(struct nm_file *f, const char *p, size_t n);
/* At the end of the input: 0 if the file ended, or -1 with f->err. */
int nm_finish(struct nm_file *f);
/* Record the file's error: "file:line: entity.field: reason"; -1. */
int nm_err(struct nm_file *f, const char *type, int slot, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
