/*
 * card-edit: what its files share.  params.c reads the client's card
 * parameters, dmtx.c makes the DataMatrix and the previews, print.c
 * writes the print file, main.c joins the movements, the master and
 * the cards generation.  See card-edit(1) and tiers-card(5).
 */
#ifndef CARD_H
#define CARD_H

#include <stddef.h>
#include <stdint.h>

#include "tiers.h"

#define NCOLS 10		/* the columns a card prints, at most */
#define NDOMS 21		/* the domains there are */
#define NPREVIEW 5		/* the cards a validation summary previews */

/* The five mandatory labels of the standard block, in their order. */
enum { L_AMC, L_CONV, L_CSR, L_ADH, L_VALID, NLABEL };
extern const char *const labelnames[NLABEL];

struct column {
	char dom[8], label[48], value[48];
};
/* One <carte> of the parameters: which beneficiaries, what it prints. */
struct cardparam {
	char fond[40], annexe[40], produit[40];	/* "" matches any value */
	int family;		/* one card per contract, else per beneficiary */
	char label[NLABEL][48];
	char conv[3], csr[4];
	int prodend;		/* validity to the product's end, else 31 December */
	int renm, rend;		/* the annual edition: month, day */
	struct column col[NCOLS];
	int ncol;
	long line;
};
struct params {
	char amc[16];
	struct cardparam *c;
	int n;
};
/* wait.c: card-edit -W, the movements waiting for the client's parameters. */
void waitmerge(const char *date, const char *mvin, const char *waiting, const char *out,
    int all);

/* params.c: 0, or exits (EX_NOINPUT, EX_DATAERR) with file:line: field. */
void loadparams(struct params *p, const char *file);
void freeparams(struct params *p);
const struct cardparam *findparam(const struct params *p, const char *fond,
    const char *annexe, const char *produit);

/* A holder of a card, from the master. */
struct holder {
	char member[64], type[4], birth[DATE_BUFSZ];
	int rang;
};
/* A card to edit. */
struct card {
	const struct cardparam *cp;
	char number[64], contract[64], adherent[64], fond[40], annexe[40];
	int responsable;
	int32_t start, end;
	struct holder *h;
	int nh;
	char addr[7][128];
	int naddr;
	char payload[128];
};

/* A beneficiary of the family being read, from the master. */
enum { MA_AMC, MA_CONTRACT, MA_MEMBER, MA_STATE, MA_ADH, MA_TYPE, MA_BIRTH,
	MA_RANG, MA_RESP, MA_PRODS, MA_ACT, MA_REND, MA_NUMBER, MA_FOND, MA_ANNEX,
	MA_DOMS, MA_ADDR, NMA = MA_ADDR + 7 };
struct mem {
	char f[NMA][128];
	char mv[4];		/* its card movement of the day, "" none */
	const struct cardparam *cp;
	int done, due;
};
/* A row of the cards generation. */
enum { K_AMC, K_CONTRACT, K_MEMBER, K_NUMBER, K_ISSUED, K_FROM, K_TO, K_WITHDRAWN,
	K_PER, K_DOMAINS, NK };
struct krow {
	char f[NK][128];
};
/* The date of issue (main.c). */
extern int32_t today;

/* rules.c */
int mvkind(const char *mv);
int product(const struct mem *m, int32_t d, char *ref, size_t n, int32_t *end);
int eligible(const struct mem *m);
int32_t validto(const struct mem *m, const struct cardparam *p);
int domset(const struct cardparam *p, const struct mem *fam, size_t nfam, const int *sel,
    char *buf, size_t n);
int due(const struct mem *m, const struct krow *rows, size_t nrows);

/* dmtx.c: the payload of DESIGN 5, its symbol, the previews. */
int domletter(const char *dom);
/* 0, or -1 with *why: a field the convention cannot carry. */
int payload(struct card *c, const char *amc, const char **why);
void preview(const struct card *c, const char *amc, const char *dir, unsigned long seq);

/* print.c: the print file. */
void printopen(const char *path, const char *amc, const char *date);
void printcard(const struct card *c, const char *amc);
void printclose(void);

/* summary.c: the validation summary of a periodic edition. */
void sumopen(const char *path, const char *amc, const char *date);
void sumcard(const struct card *c, const char *prod, const char *doms);
void sumrefuse(const char *prod, const char *doms, const char *contract, const char *member,
    const char *code, const char *label);
void sumclose(char *hex);
void sumcommit(void);
void sumabort(void);

#endif
