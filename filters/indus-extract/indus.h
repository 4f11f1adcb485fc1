/*
 * indus-extract's parts: rules.c holds the rules of the general
 * conditions (3.1.4, 3.1.7, annex 8) as pure functions over one item;
 * day.c reads the day's decisions into new items, and the rows they add
 * to the store of lines paid; retro.c reads the day's movements of the
 * beneficiaries and opens an item on each line paid that a retroactive
 * radiation puts outside the rights; paid.c keeps the store of lines
 * paid, by beneficiary, a segment a day looked up at offsets; main.c reads
 * the ledger of the day before and the day's offsets and recoveries,
 * merges them and checks conservation; notices.c writes what the PS and
 * the clients are told, and each client's stream of what is now its to
 * recover.
 */
#ifndef INDUS_H
#define INDUS_H

#include <string.h>

#include "tiers.h"

/* Who owes an item: the PS paid, or the beneficiary (through the client). */
enum { DB_BENEF, DB_PS, NDB };
extern const char *const dbnames[NDB];

enum { ST_OPEN, ST_POFFSET, ST_PRECOVER, ST_RECOVERED, ST_TRANSFERRED, ST_WITHDRAWN, NST };
extern const char *const stnames[NST];

/* The text columns of an item, in the ledger's order (tiers-indus(5)). */
enum {
	S_AMC, S_DEBTOR, S_DREF, S_ITEM, S_ORIGIN, S_REASON, S_LINE, S_PSKIND,
	S_PSNUM, S_CONTRACT, S_MEMBER, S_INVOICE, S_LINENO, S_ACTDATE, S_ACTCODE,
	S_COMP,
	NS
};
extern const char *const lcols[];
extern const int nlcols;

struct item {
	struct field s[NS];
	const char *key;	/* amc TAB debtor TAB debtor_ref TAB item */
	int debtor;
	int32_t opened, moved;	/* moved: NODATE when nothing moved */
	int64_t paid;		/* what was left paid on the line when it opened */
	int64_t amount, offset, recovered, transferred, withdrawn, left;
	/* the day's movements */
	int64_t toff, trec, ttr, twd;
	int isnew;
	int retro;		/* opened by a retroactive radiation (retro.c) */
};
#define NODATE INT32_MIN
/* The ageing buckets of the clients' report. */
#define NAGE 4

/* A client's parameters (tiers-indus(5), params); delays -1: never. */
struct params {
	int compensation;
	long delay[NDB];
};

/*
 * The clients: their parameters, and the sums of the conservation check,
 * the read side's as the inputs are read, the write side's per debtor as
 * the items are written.  Sorted on amc; few.
 */
struct client {
	char amc[16];
	struct params pa;
	int64_t rprev, rnew, rretro, roff, rrec;
	struct {
		int64_t prev, new, retro, off, rec, tr, wd, open, age[NAGE];
		uint64_t nnew, nretro, noff, nrec, ntr, nwd, nopen;
	} w[NDB];
	/* The client's stream (-T), as its rows are written. */
	struct {
		int64_t new, tr;
		uint64_t nnew, ntr;
	} t[NDB];
};
extern struct client *clients;
extern size_t nclients;

/* main.c */
extern int32_t today;
extern char today_s[DATE_BUFSZ];
struct client *client(const struct field *amc, const char *file, long line);
/* A field is the n bytes at s (inline: five a decision as they are read). */
static inline int
fsame(const struct field *a, const char *s, size_t n)
{
	return a->n == n && memcmp(a->p, s, n) == 0;
}
void add(int64_t *r, int64_t v, const char *file, long line, const char *field);

/*
 * day.c: the day's new items, and their sums on the read side; the rows
 * the day's decisions add to the store of lines paid (paid_add).
 */
/* master.c: the beneficiaries' compensation (-b). */
void masters_open(char *const *paths, int n);
void masters_close(void);
int master_comp(const struct field *amc, const struct field *contract,
    const struct field *member, struct field *out);

/*
 * claims.c: the day's claims read by a thread of their own (claims_start),
 * handed on one for one with the decisions (claims_step, ts_step's
 * contract); of each, what readday needs.
 */
struct claim {
	struct field id, ref, dup;	/* dup_id, dup_ref, dup */
	int haspaid;			/* dup_paid_eur not empty */
	int64_t paid;
	long line;
};
void claims_start(struct ts_reader *r, int kid, int kref, int kpaid, int kdup);
int claims_step(struct ts_reader *a, struct ts_reader *b, const struct claim **c);
void claims_stop(void);

void readday(const char *cpath, const char *dpath, struct client *tot, struct item **news,
    size_t *nnews);
void item_keep(struct item *it, const struct field *src);

/*
 * The store of lines paid, by beneficiary (tiers-indus(5), indus-paid):
 * its columns, the key the first four; the kinds of rows.
 */
enum {
	P_AMC, P_CONTRACT, P_MEMBER, P_LINE, P_DAY, P_KIND, P_ACTDATE, P_PSKIND,
	P_PSNUM, P_INVOICE, P_LINENO, P_ACTCODE, P_AMOUNT, NP
};
#define NPKEY 4
enum { PK_PS, PK_PSREC, PK_REGUL, PK_RECOVER, PK_RETRO, PK_RESTORE, NPK };
extern const char *const paidcols[NP];
extern const char *const pkinds[NPK];
/* A row of a segment of the store, its columns where they are, checked. */
struct prow {
	struct field f[NP];
	int kind;
	int32_t day, act;
	int64_t amount;
	int file;		/* where: paid_where */
	const char *at;
};

/*
 * paid.c.  paid_on: the day's rows are kept (-p).  paid_add: a row of
 * the day, its text columns (P_DAY ignored; P_AMOUNT, if its p is not
 * NULL, amount's text as read, canonical, else amount formatted); a
 * column whose p is NULL (its n 0) is in the one before, whose p and n
 * are the run of both in their line, the TAB between included.  paid_open: the
 * store of the day before, its segments (a day's, or a month's of the
 * first form) from month first (YYYY * 12 + MM - 1) on, each mapped
 * when a lookup first reaches it, the older ones left out; paid_find: each of its rows of one beneficiary in
 * the segments of day from and after, merged on line then day, to fn;
 * paid_where: a row's file and line, for a message.  paid_create: the
 * new generation's directory, dir.tmp, made (paid_newdir); paid_write:
 * in it, the segments kept linked, the day's rows a segment of their
 * own, under their names, not synced; paid_commit: renamed dir, not
 * synced (main.c syncs every output once).
 */
extern int paid_on;
void paid_add(const struct field *src, int64_t amount);
void paid_open(const char *dir, int first);
int paid_want(const char *amc, const char *contract, const char *member, int32_t from);
void paid_sift(void);
void paid_find(int which, const char *amc, const char *contract, const char *member,
    int32_t from, void (*fn)(const struct prow *, void *), void *arg);
const char *paid_where(const struct prow *pr, long *line);
void paid_create(const char *dir);
const char *paid_newdir(void);
void paid_write(void);
void paid_commit(const char *dir);
void paid_log(void);
void paid_free(void);
int month_of(int32_t day);

/*
 * retro.c: the day's movements of the beneficiaries (-m), then, from
 * the store of the day before, the items of the lines paid that the
 * retroactive radiations put outside the rights, and their rows that
 * mark them taken.  retro_restored: 1 when the day's movements give
 * the rights back over a retro item's act; retro_giveback: the row that
 * gives the line back to the store when it is withdrawn.
 */
void readmoves(const char *path);
void retro(const char *before, struct client *tot, struct item **items, size_t *nitems);
int retro_restored(const struct item *it, const char *file, long line);
void retro_giveback(const struct item *it, int64_t w);
void retro_log(void);
void retro_free(void);

/* rules.c */
struct move {
	int retro;
	int radiate;		/* movement radiate: the rights taken, not given back */
	int32_t oldend, newend;	/* OPENEND: open */
};
#define OPENEND INT32_MAX
int retro_window(const struct move *mv, size_t n, int32_t day, int32_t *lo, int32_t *hi);
int retro_restore(const struct move *mv, size_t n, int32_t *end);
int retro_covered(int32_t act, int32_t end);
enum { RT_ITEM, RT_BEFORE, RT_AFTER, RT_CARD, RT_NONE, RT_UNPAID, NRT };
int retro_owed(int kind, int32_t act, int64_t net, int32_t lo, int32_t hi);
int item_debtor(const struct field *dest, int64_t recover);
int item_status(const struct item *it);
int item_offsetable(const struct item *it, const struct params *pa);
int item_transfer(struct item *it, const struct params *pa, int32_t day);
int age_bucket(int32_t age);
extern const char *const agecols[NAGE];

/*
 * notices.c: the PS recovery requests, a stream and a letter; the
 * clients' report and the day summary's rows, from the write side's sums.
 */
void requests_write(struct item **req, size_t n, const char *date,
    const char *spath, int sfd, const char *lpath, int lfd);
void report(int fd, const char *path, const char *meta);

/*
 * The clients' streams (-T dir): clients_create makes dir.tmp;
 * client_rows writes an item's rows, if any, as the ledger is written,
 * in its order (file and line: where the item was read, for a message);
 * clients_close closes the last client's and checks each client's rows
 * against the report's sums; clients_ready closes the files and names
 * them in dir.tmp, which it returns (NULL without -T), not synced;
 * clients_commit renames dir.tmp dir, not synced (main.c syncs every
 * output once).
 */
void clients_create(const char *dir);
void client_rows(const struct item *it, int32_t age, const char *file, long line);
void clients_close(void);
const char *clients_ready(void);
void clients_commit(const char *dir);
void summary(int fd, const char *path, const char *meta);

#endif
