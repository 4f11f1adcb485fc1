/*
 * card-edit: the validation summary of a periodic edition (annex 4: the
 * client and the operator validate the launch), a card-summary stream
 * (tiers-card(5)): the cards counted per product and domain set, the
 * cards that cannot be edited and why, the first few cards as previews;
 * and its SHA-256, by which the operator approves it.
 *
 * The hash is OpenSSL's (libcrypto's EVP interface): a well-kept,
 * validated implementation is worth the dependency more than a
 * hand-written SHA-256 is worth its absence.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "card.h"

static const char *const scols[] = {
	"section", "amc", "product", "domains", "cards", "holders", "contract",
	"member_ref", "code", "label", "valid_from", "valid_to", "payload"
};
enum { NSCOL = sizeof scols / sizeof scols[0] };

struct group {
	char prod[40], doms[NDOMS * 5 + 1];
	unsigned long cards, holders;
};
struct line {
	char f[NSCOL][128];
};

static struct pub pub;
static struct ts_writer w;
static char amc[16];
static struct group *grp;
static size_t ngrp;
static struct line *ref, *pv;
static size_t nref, npv;

void
sumopen(const char *path, const char *a, const char *date)
{
	char meta[64];

	snprintf(amc, sizeof amc, "%s", a);
	if (pub_open(&pub, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, pub.fd, path, "card-summary", 1, scols, NSCOL);
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	ts_wmeta(&w, meta);
}

static struct line *
addline(struct line **v, size_t *n, const char *section, const char *prod, const char *doms)
{
	struct line *l;

	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	l = &(*v)[(*n)++];
	memset(l, 0, sizeof *l);
	snprintf(l->f[0], sizeof l->f[0], "%s", section);
	snprintf(l->f[1], sizeof l->f[1], "%s", amc);
	snprintf(l->f[2], sizeof l->f[2], "%s", prod);
	snprintf(l->f[3], sizeof l->f[3], "%s", doms);
	return l;
}

/* A card that will be edited: counted, and previewed if among the first. */
void
sumcard(const struct card *c, const char *prod, const char *doms)
{
	struct line *l;
	size_t i;

	for (i = 0; i < ngrp; i++)
		if (strcmp(grp[i].prod, prod) == 0 && strcmp(grp[i].doms, doms) == 0)
			break;
	if (i == ngrp) {
		grp = xrealloc(grp, (ngrp + 1) * sizeof *grp);
		memset(&grp[ngrp], 0, sizeof *grp);
		snprintf(grp[ngrp].prod, sizeof grp[0].prod, "%s", prod);
		snprintf(grp[ngrp].doms, sizeof grp[0].doms, "%s", doms);
		ngrp++;
	}
	grp[i].cards++;
	grp[i].holders += (unsigned long)c->nh;
	if (npv >= NPREVIEW)
		return;
	l = addline(&pv, &npv, "preview", prod, doms);
	snprintf(l->f[4], sizeof l->f[4], "1");
	snprintf(l->f[5], sizeof l->f[5], "%d", c->nh);
	snprintf(l->f[6], sizeof l->f[6], "%s", c->contract);
	snprintf(l->f[7], sizeof l->f[7], "%s", c->h[0].member);
	snprintf(l->f[8], sizeof l->f[8], "%s", c->number);
	date_fmt(c->start, l->f[10]);
	date_fmt(c->end, l->f[11]);
	snprintf(l->f[12], sizeof l->f[12], "%s", c->payload);
}

/* A card that cannot be edited: its first holder, the code and the reason. */
void
sumrefuse(const char *prod, const char *doms, const char *contract, const char *member,
    const char *code, const char *label)
{
	struct line *l = addline(&ref, &nref, "refused", prod, doms);

	snprintf(l->f[6], sizeof l->f[6], "%s", contract);
	snprintf(l->f[7], sizeof l->f[7], "%s", member);
	snprintf(l->f[8], sizeof l->f[8], "%s", code);
	snprintf(l->f[9], sizeof l->f[9], "%s", label);
}

static int
grpcmp(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;
	int d = strcmp(a->prod, b->prod);

	return d ? d : strcmp(a->doms, b->doms);
}

static void
putlines(const struct line *v, size_t n)
{
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < NSCOL; j++)
			ts_wcstr(&w, v[i].f[j]);
		ts_wend(&w);
	}
}

/*
 * Write the summary (counts, refused, previews) and its SHA-256 in hex
 * (65 bytes): the bytes written, read back.  It is not published yet:
 * sumcommit publishes it, sumabort forgets it.
 */
void
sumclose(char *hex)
{
	struct line l;
	size_t g;
	int fd;

	if (ngrp > 1)
		qsort(grp, ngrp, sizeof *grp, grpcmp);
	for (g = 0; g < ngrp; g++) {
		memset(&l, 0, sizeof l);
		snprintf(l.f[0], sizeof l.f[0], "count");
		snprintf(l.f[1], sizeof l.f[1], "%s", amc);
		snprintf(l.f[2], sizeof l.f[2], "%s", grp[g].prod);
		snprintf(l.f[3], sizeof l.f[3], "%s", grp[g].doms);
		snprintf(l.f[4], sizeof l.f[4], "%lu", grp[g].cards);
		snprintf(l.f[5], sizeof l.f[5], "%lu", grp[g].holders);
		putlines(&l, 1);
	}
	putlines(ref, nref);
	putlines(pv, npv);
	ts_wclose(&w);
	if ((fd = open(pub.tmp, O_RDONLY | O_CLOEXEC)) < 0 || sha256_fd(fd, hex) < 0)
		die(EX_IOERR, "%s: %s", pub.final, strerror(errno));
	close(fd);
	free(grp);
	free(ref);
	free(pv);
	grp = NULL, ref = pv = NULL;
	ngrp = nref = npv = 0;
}

void
sumabort(void)
{
	pub_abort(&pub);
}

void
sumcommit(void)
{
	if (pub_commit(&pub) < 0)
		die(EX_IOERR, "%s: %s", pub.final, strerror(errno));
}
