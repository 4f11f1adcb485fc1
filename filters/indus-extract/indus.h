/*
 * indus-extract's parts: rules.c holds the rules of the general
 * conditions (3.1.4, 3.1.7, annex 8) as pure functions over one item;
 * day.c reads the day's decisions into new items; main.c reads the ledger
 * of the day before and the day's offsets and recoveries, merges them and
 * checks conservation; notices.c writes what the PS and the clients are
 * told.
 */
#ifndef INDUS_H
#define INDUS_H

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
	int64_t rprev, rnew, roff, rrec;
	struct {
		int64_t prev, new, off, rec, tr, wd, open, age[NAGE];
		uint64_t nnew, noff, nrec, ntr, nwd, nopen;
	} w[NDB];
};
extern struct client *clients;
extern size_t nclients;

/* main.c */
extern int32_t today;
extern char today_s[DATE_BUFSZ];
struct client *client(const struct field *amc, const char *file, long line);
int fsame(const struct field *a, const char *s, size_t n);
void add(int64_t *r, int64_t v, const char *file, long line, const char *field);

/* day.c: the day's new items, and their sums on the read side. */
void readday(const char *cpath, const char *dpath, struct client *tot, struct item **news,
    size_t *nnews);

/* rules.c */
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
void summary(int fd, const char *path, const char *meta);

#endif
