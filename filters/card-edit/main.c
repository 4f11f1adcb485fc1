/*
 * card-edit: the tiers-payant cards of the day (general conditions 3.1.9,
 * annex 4).  From the day's card movements of one client, its master of
 * the day and its card parameters: the cards to edit, one per family or
 * per beneficiary as the parameters say, into a print file grouped by
 * mailing and a preview of each (SVG with its DataMatrix, and a PNG of
 * the symbol); and the next cards generation, every card ever issued and
 * its holders, which liquidate reads to know what card a PS was shown.
 *
 * A periodic edition (-E) reads no movements: every beneficiary due a
 * card for the new validity period gets one, once the operator has
 * approved the validation summary of the same inputs by its hash (-A);
 * until then, a run writes only the summary (summary.c).
 *
 * One pass, a family (contract) at a time: the master, the movements and
 * the previous generation are all sorted on amc, contract, member_ref,
 * and merge-joined on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "card.h"

static const char *const macols[NMA] = {
	"amc", "contract", "member_ref", "contract_state", "adherent",
	"benef_type", "birth_date", "rang", "responsable", "products",
	"activation", "rights_end", "card_number", "card_background",
	"card_annex", "domains", "address_1", "address_2", "address_3", "address_4",
	"address_5", "address_6", "address_7"
};
static const char *const kcols[NK] = {
	"amc", "contract", "member_ref", "card_number", "issued", "valid_from",
	"valid_to", "withdrawn", "per", "domains"
};
static const char *const rcols[] = {
	"amc", "contract", "member_ref", "card_movement", "code", "label"
};
/* The reasons a card asked for is not edited (tiers-card(5)). */
enum { CE01, CE02, CE03, CE04, CE05 };
static const char *const ce[][2] = {
	{ "CE01", "no mailing address" },
	{ "CE02", "no card parameters for its background, annex and product" },
	{ "CE03", "a field the DataMatrix cannot carry" },
	{ "CE04", "no rights at the date of issue" },
	{ "CE05", "more than ten domains" },
};

static struct params par;
int32_t today;
static char today_s[DATE_BUFSZ], ymd[9];
static const char *pvdir;
/*
 * A periodic edition (-E): every beneficiary due a card, not the day's
 * movements; outs: the edition's outputs are written (with -A, or a
 * day's run), else only the validation summary.
 */
static int periodic, outs;
static const char *approve = "";
static struct ts_reader mr, vr, kr;
static int mc[NMA], vc[5], kc[NK], khave, vhave;
static struct ts_writer kw, rw;
static struct mem *fam;
static size_t nfam, capfam;
static struct krow *rows;
static size_t nrows, caprows;
static unsigned long nedited, ncards, nholders, nwithdrawn, nnone, nrej, nmv, seq;
static unsigned long nben, nheld, nnorights;

static void
fcpy(char *dst, size_t n, const struct field *f)
{
	size_t m = f->n < n ? f->n : n - 1;

	memcpy(dst, f->p, m);
	dst[m] = '\0';
}

/* The key (amc, contract, member) of a record against a member's. */
static int
keycmp(const struct field *f, const int *c, const struct mem *m)
{
	int i, d;
	char b[128];

	for (i = 0; i < 3; i++) {
		fcpy(b, sizeof b, &f[c[i]]);
		if ((d = strcmp(b, m->f[MA_AMC + i])) != 0)
			return d;
	}
	return 0;
}

/* A string into a buffer of n bytes, cut if need be. */
static void
scpy(char *dst, size_t n, const char *src)
{
	size_t m = strlen(src);

	if (m >= n)
		m = n - 1;
	memcpy(dst, src, m);
	dst[m] = '\0';
}

static int
fieldis(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

static void
reject(const struct mem *m, int code, const char *detail)
{
	char label[192];

	nrej++;
	if (!outs)
		return;
	ts_wcstr(&rw, m->f[MA_AMC]);
	ts_wcstr(&rw, m->f[MA_CONTRACT]);
	ts_wcstr(&rw, m->f[MA_MEMBER]);
	ts_wcstr(&rw, m->mv);
	ts_wcstr(&rw, ce[code][0]);
	snprintf(label, sizeof label, "%s%s%s", ce[code][1], detail ? ": " : "",
	    detail ? detail : "");
	ts_wcstr(&rw, label);
	ts_wend(&rw);
}

static struct krow *
newrow(void)
{
	if (nrows == caprows) {
		caprows = caprows ? 2 * caprows : 16;
		rows = xrealloc(rows, caprows * sizeof *rows);
	}
	memset(&rows[nrows], 0, sizeof rows[nrows]);
	return &rows[nrows++];
}

/* Edit the card of the members of fam marked in sel (a card's holders). */
static void
edit(const struct cardparam *p, const int *sel)
{
	struct card c;
	struct krow *k;
	const struct mem *m0 = NULL;
	const char *why = NULL;
	char doms[NCOLS * 5 + 1], set[NDOMS * 5 + 1], prod[40], label[192];
	size_t i;
	int a, j, bad = -1, nd;
	int32_t e;

	memset(&c, 0, sizeof c);
	c.cp = p;
	c.start = today;
	c.end = INT32_MIN;
	c.h = xmalloc(nfam * sizeof *c.h);
	for (i = 0; i < nfam; i++) {
		const struct mem *m = &fam[i];

		if (!sel[i])
			continue;
		if (m0 == NULL)
			m0 = m;
		scpy(c.h[c.nh].member, sizeof c.h[0].member, m->f[MA_MEMBER]);
		scpy(c.h[c.nh].type, sizeof c.h[0].type, m->f[MA_TYPE]);
		scpy(c.h[c.nh].birth, sizeof c.h[0].birth, m->f[MA_BIRTH]);
		c.h[c.nh].rang = atoi(m->f[MA_RANG]);
		c.nh++;
		if (strcmp(m->f[MA_RESP], "1") == 0)
			c.responsable = 1;
		if ((e = validto(m, p)) > c.end)
			c.end = e;
	}
	if (m0 == NULL)
		die(EX_SOFTWARE, "a card without holders");
	scpy(c.contract, sizeof c.contract, m0->f[MA_CONTRACT]);
	scpy(c.adherent, sizeof c.adherent, *m0->f[MA_ADH] ? m0->f[MA_ADH] : m0->f[MA_CONTRACT]);
	scpy(c.fond, sizeof c.fond, m0->f[MA_FOND]);
	scpy(c.annexe, sizeof c.annexe, m0->f[MA_ANNEX]);
	for (a = 0; a < 7; a++)
		if (*m0->f[MA_ADDR + a]) {
			scpy(c.addr[c.naddr], sizeof c.addr[0], m0->f[MA_ADDR + a]);
			c.naddr++;
		}
	nd = domset(p, fam, nfam, sel, set, sizeof set);
	if (product(m0, today, prod, sizeof prod, &e) < 0)
		*prod = '\0';
	if (c.naddr == 0)
		bad = CE01;
	else if (nd > NCOLS)
		bad = CE05;
	else if (payload(&c, par.amc, &why) < 0)
		bad = CE03;
	if (bad >= 0) {
		for (i = 0; i < nfam; i++)
			if (sel[i] && (periodic || mvkind(fam[i].mv) == 1))
				reject(&fam[i], bad, why);
		if (periodic) {
			snprintf(label, sizeof label, "%s%s%s", ce[bad][1], why ? ": " : "",
			    why ? why : "");
			sumrefuse(prod, set, c.contract, c.h[0].member, ce[bad][0], label);
		}
		free(c.h);
		return;
	}
	seq++;
	/* The client's number of the card, else one made of the day and its rank. */
	if (*m0->f[MA_NUMBER] && strlen(m0->f[MA_NUMBER]) < 32)
		scpy(c.number, sizeof c.number, m0->f[MA_NUMBER]);
	else
		snprintf(c.number, sizeof c.number, "%s-%s-%06lu", par.amc, ymd, seq);
	if (periodic)
		sumcard(&c, prod, set);
	/* The summary's own previews are those of its first cards. */
	if (pvdir != NULL && (outs || seq <= NPREVIEW))
		preview(&c, par.amc, pvdir, seq);
	if (!outs) {
		for (i = 0; i < nfam; i++)
			nholders += sel[i] != 0;
		ncards++;
		free(c.h);
		return;
	}
	printcard(&c, par.amc);
	*doms = '\0';
	for (j = 0; j < p->ncol; j++)
		snprintf(doms + strlen(doms), sizeof doms - strlen(doms), "%s%s", j ? ";" : "",
		    p->col[j].dom);
	for (i = 0; i < nfam; i++) {
		if (!sel[i])
			continue;
		k = newrow();
		scpy(k->f[K_AMC], sizeof k->f[0], fam[i].f[MA_AMC]);
		scpy(k->f[K_CONTRACT], sizeof k->f[0], fam[i].f[MA_CONTRACT]);
		scpy(k->f[K_MEMBER], sizeof k->f[0], fam[i].f[MA_MEMBER]);
		scpy(k->f[K_NUMBER], sizeof k->f[0], c.number);
		scpy(k->f[K_ISSUED], sizeof k->f[0], today_s);
		date_fmt(c.start, k->f[K_FROM]);
		date_fmt(c.end, k->f[K_TO]);
		scpy(k->f[K_PER], sizeof k->f[0], p->family ? "famille" : "beneficiaire");
		scpy(k->f[K_DOMAINS], sizeof k->f[0], doms);
		nholders++;
		if (mvkind(fam[i].mv) == 1)
			nedited++;
	}
	ncards++;
	free(c.h);
}

static int
rowcmp(const void *pa, const void *pb)
{
	const struct krow *a = pa, *b = pb;
	static const int order[] = { K_MEMBER, K_ISSUED, K_NUMBER };
	size_t i;
	int d;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if ((d = strcmp(a->f[order[i]], b->f[order[i]])) != 0)
			return d;
	return 0;
}

/* The previous generation's rows before (amc, contract) go on as they are. */
static void
copyprev(const char *amc, const char *contract)
{
	char b[128];
	int d;

	while (khave) {
		fcpy(b, sizeof b, &kr.f[kc[K_AMC]]);
		d = strcmp(b, amc);
		if (d == 0) {
			fcpy(b, sizeof b, &kr.f[kc[K_CONTRACT]]);
			d = strcmp(b, contract);
		}
		if (d >= 0)
			return;
		if (outs)
			ts_wcopy(&kw, &kr);
		if ((khave = ts_next(&kr)) < 0)
			ts_fatal(&kr);
	}
}

/*
 * A periodic edition of one family: a card for each beneficiary due one
 * (a family card for all its covered members when one of them is due).
 */
static void
renew(int *sel)
{
	size_t i, j;

	for (i = 0; i < nfam; i++)
		fam[i].due = eligible(&fam[i]) && fam[i].cp != NULL && due(&fam[i], rows, nrows);
	for (i = 0; i < nfam; i++)
		if (fam[i].due && fam[i].cp->family)
			for (j = 0; j < nfam; j++)
				if (fam[j].cp == fam[i].cp && eligible(&fam[j]))
					fam[j].due = 1;
	for (i = 0; i < nfam; i++) {
		if (fam[i].done)
			continue;
		if (!eligible(&fam[i])) {
			nnorights++;
			continue;
		}
		if (fam[i].cp == NULL) {
			reject(&fam[i], CE02, NULL);
			sumrefuse("", "", fam[i].f[MA_CONTRACT], fam[i].f[MA_MEMBER], ce[CE02][0],
			    ce[CE02][1]);
			continue;
		}
		if (!fam[i].due) {
			nheld++;
			continue;
		}
		for (j = 0; j < nfam; j++) {
			sel[j] = !fam[j].done && (j == i || (fam[i].cp->family &&
			    fam[j].cp == fam[i].cp && fam[j].due));
			if (sel[j])
				fam[j].done = 1;
		}
		edit(fam[i].cp, sel);
	}
}

/* One family: its card movements, its cards, its rows of the generation. */
static void
family(void)
{
	const char *amc = fam[0].f[MA_AMC], *contract = fam[0].f[MA_CONTRACT];
	struct krow *k;
	int *sel, kind;
	size_t i, j;
	char ref[64];
	int32_t end;

	copyprev(amc, contract);
	nrows = 0;
	while (khave) {
		if (!fieldis(&kr.f[kc[K_AMC]], amc) || !fieldis(&kr.f[kc[K_CONTRACT]], contract))
			break;
		k = newrow();
		for (i = 0; i < NK; i++)
			fcpy(k->f[i], sizeof k->f[i], &kr.f[kc[i]]);
		if ((khave = ts_next(&kr)) < 0)
			ts_fatal(&kr);
	}
	sel = xmalloc(nfam * sizeof *sel);
	/* Withdrawals first: a card returned is no longer held. */
	for (i = 0; i < nfam; i++) {
		if (mvkind(fam[i].mv) != 2)
			continue;
		for (j = 0; j < nrows; j++)
			if (strcmp(rows[j].f[K_MEMBER], fam[i].f[MA_MEMBER]) == 0 &&
			    *rows[j].f[K_WITHDRAWN] == '\0')
				scpy(rows[j].f[K_WITHDRAWN], sizeof rows[j].f[0], today_s);
		nwithdrawn++;
	}
	for (i = 0; i < nfam; i++) {
		fam[i].cp = NULL;
		if (product(&fam[i], today, ref, sizeof ref, &end) < 0)
			*ref = '\0';
		fam[i].cp = findparam(&par, fam[i].f[MA_FOND], fam[i].f[MA_ANNEX], ref);
		fam[i].done = 0;
	}
	for (i = 0; i < nfam && periodic; i++)
		nben++;
	if (periodic)
		renew(sel);
	for (i = 0; i < nfam && !periodic; i++) {
		kind = mvkind(fam[i].mv);
		if (*fam[i].mv && kind == 0)
			nnone++;
		if (kind != 1 || fam[i].done)
			continue;
		if (!eligible(&fam[i])) {
			reject(&fam[i], CE04, NULL);
			continue;
		}
		if (fam[i].cp == NULL) {
			reject(&fam[i], CE02, NULL);
			continue;
		}
		/* A family card holds every member under the same parameters and covered. */
		for (j = 0; j < nfam; j++) {
			sel[j] = j == i || (fam[i].cp->family && fam[j].cp == fam[i].cp &&
			    eligible(&fam[j]));
			if (sel[j] && mvkind(fam[j].mv) == 1)
				fam[j].done = 1;
		}
		edit(fam[i].cp, sel);
	}
	free(sel);
	if (nrows > 1)
		qsort(rows, nrows, sizeof *rows, rowcmp);
	for (j = 0; j < nrows && outs; j++) {
		for (i = 0; i < NK; i++)
			ts_wcstr(&kw, rows[j].f[i]);
		ts_wend(&kw);
	}
}

/* The master's next record into fam, its card movement of the day joined. */
static void
member(void)
{
	struct mem *m;
	char mv[8];
	int i, d;

	if (nfam == capfam) {
		capfam = capfam ? 2 * capfam : 8;
		fam = xrealloc(fam, capfam * sizeof *fam);
	}
	m = &fam[nfam++];
	memset(m, 0, sizeof *m);
	for (i = 0; i < NMA; i++) {
		if (mr.f[mc[i]].n >= sizeof m->f[i])
			ts_error(&mr, macols[i], "too long"), ts_fatal(&mr);
		fcpy(m->f[i], sizeof m->f[i], &mr.f[mc[i]]);
	}
	if (strcmp(m->f[MA_AMC], par.amc) != 0)
		ts_error(&mr, "amc", "not the client of the card parameters"), ts_fatal(&mr);
	while (vhave && (d = keycmp(vr.f, vc, m)) <= 0) {
		if (d < 0)
			ts_error(&vr, "member_ref", "a movement of a beneficiary not in the master"),
			    ts_fatal(&vr);
		if (fieldis(&vr.f[vc[3]], "card")) {
			fcpy(mv, sizeof mv, &vr.f[vc[4]]);
			snprintf(m->mv, sizeof m->mv, "%.3s", mv);
			nmv++;
		}
		if ((vhave = ts_next(&vr)) < 0)
			ts_fatal(&vr);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-c cards] [-V preview-dir] -d business-date -M movements\n"
	    "       -m master -o new-cards -P print-file -p card-params -R rejects\n"
	    "       %s -E [-A hash -o new-cards -P print-file -R rejects] [-c cards]\n"
	    "       [-V preview-dir] -d date -m master -p card-params -S summary\n"
	    "       %s -W [-a] [-w waiting] -d date -M movements -o new-waiting\n",
	    progname_(), progname_(), progname_());
	exit(EX_USAGE);
}

/*
 * One pass over the inputs: the edition (outs), or the summary alone.
 * The files were opened and checked by main, and are opened again here
 * so that a periodic edition may read them twice.
 */
static void
run(const char *master, const char *mvin, const char *prev, const char *out,
    const char *rejout, const char *print, const char *sum, char *hex)
{
	struct pub pk, pr;
	char meta[64];
	int i;

	nfam = nrows = 0;
	nedited = ncards = nholders = nwithdrawn = nnone = nrej = nmv = seq = 0;
	nben = nheld = nnorights = 0;
	if (ts_open(&mr, master, "benef-master", 1) < 0)
		ts_fatal(&mr);
	for (i = 0; i < NMA; i++)
		mc[i] = ts_needcol(&mr, macols[i]);
	vhave = 0;
	if (mvin != NULL) {
		if (ts_open(&vr, mvin, "benef-movement", 1) < 0)
			ts_fatal(&vr);
		vc[0] = ts_needcol(&vr, "amc");
		vc[1] = ts_needcol(&vr, "contract");
		vc[2] = ts_needcol(&vr, "member_ref");
		vc[3] = ts_needcol(&vr, "movement");
		vc[4] = ts_needcol(&vr, "card_movement");
		if ((vhave = ts_next(&vr)) < 0)
			ts_fatal(&vr);
	}
	khave = 0;
	if (prev != NULL) {
		if (ts_open(&kr, prev, "cards", 1) < 0)
			ts_fatal(&kr);
		for (i = 0; i < NK; i++)
			kc[i] = ts_needcol(&kr, kcols[i]);
		if ((khave = ts_next(&kr)) < 0)
			ts_fatal(&kr);
	}
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	if (outs) {
		if (pub_open(&pk, out) < 0)
			die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
		if (pub_open(&pr, rejout) < 0)
			die(EX_CANTCREAT, "%s: %s", rejout, strerror(errno));
		ts_wopen(&kw, pk.fd, out, "cards", 1, kcols, NK);
		ts_wopen(&rw, pr.fd, rejout, "card-reject", 1, rcols, 6);
		ts_wmeta(&kw, meta);
		ts_wmeta(&rw, meta);
		printopen(print, par.amc, today_s);
	}
	if (sum != NULL)
		sumopen(sum, par.amc, today_s);

	/* The families, one at a time. */
	while ((i = ts_next(&mr)) == 1) {
		if (nfam > 0 && (!fieldis(&mr.f[mc[MA_AMC]], fam[0].f[MA_AMC]) ||
		    !fieldis(&mr.f[mc[MA_CONTRACT]], fam[0].f[MA_CONTRACT]))) {
			family();
			nfam = 0;
		}
		member();
	}
	if (i < 0)
		ts_fatal(&mr);
	if (nfam > 0)
		family();
	if (vhave)
		ts_error(&vr, "member_ref", "a movement of a beneficiary not in the master"),
		    ts_fatal(&vr);
	while (khave) {
		if (outs)
			ts_wcopy(&kw, &kr);
		if ((khave = ts_next(&kr)) < 0)
			ts_fatal(&kr);
	}
	/* Every card movement read is a card edited, a withdrawal, none asked, or a reject. */
	if (!periodic && nedited + nwithdrawn + nnone + nrej != nmv)
		die(EX_SOFTWARE, "conservation: %lu movements != %lu edited + %lu withdrawn + "
		    "%lu without card + %lu rejected", nmv, nedited, nwithdrawn, nnone, nrej);
	/* Every beneficiary read holds a card edited or refused, a card still valid, or no rights. */
	if (periodic && nholders + nrej + nheld + nnorights != nben)
		die(EX_SOFTWARE, "conservation: %lu beneficiaries != %lu holders + %lu refused + "
		    "%lu holding a valid card + %lu without rights", nben, nholders, nrej, nheld,
		    nnorights);
	if (sum != NULL)
		sumclose(hex);
	ts_close(&mr);
	if (mvin != NULL)
		ts_close(&vr);
	if (prev != NULL)
		ts_close(&kr);
	if (!outs)
		return;
	/* Nothing of an edition is published but for the summary approved. */
	if (hex != NULL && *approve && strcmp(hex, approve) != 0)
		die(EX_DATAERR, "the summary approved is not this run's: %s has SHA-256 %s",
		    sum, hex);
	printclose();
	ts_wclose(&kw);
	ts_wclose(&rw);
	if (pub_commit(&pk) < 0 || pub_commit(&pr) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
}

int
main(int argc, char *argv[])
{
	const char *date = NULL, *mvin = NULL, *master = NULL, *prev = NULL, *out = NULL;
	const char *print = NULL, *pfile = NULL, *rejout = NULL, *sum = NULL, *pv;
	const char *waiting = NULL;
	struct stat st;
	char hex[65];
	size_t i;
	int ch, wait = 0, all = 0;

	setprogname_(argv[0]);
	while ((ch = getopt(argc, argv, "A:EM:P:R:S:V:Wac:d:m:o:p:w:")) != -1)
		switch (ch) {
		case 'A': approve = optarg; break;
		case 'E': periodic = 1; break;
		case 'W': wait = 1; break;
		case 'a': all = 1; break;
		case 'w': waiting = optarg; break;
		case 'M': mvin = optarg; break;
		case 'P': print = optarg; break;
		case 'R': rejout = optarg; break;
		case 'S': sum = optarg; break;
		case 'V': pvdir = optarg; break;
		case 'c': prev = optarg; break;
		case 'd': date = optarg; break;
		case 'm': master = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pfile = optarg; break;
		default: usage();
		}
	if (wait || all || waiting != NULL) {
		/* The movements waiting for parameters (wait.c): no card edited. */
		if (!wait || optind != argc || date == NULL || mvin == NULL || out == NULL ||
		    periodic || *approve || print != NULL || rejout != NULL || sum != NULL ||
		    pvdir != NULL || prev != NULL || master != NULL || pfile != NULL)
			usage();
		if (date_parse(date, strlen(date), &today) < 0)
			die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
		date_fmt(today, today_s);
		waitmerge(today_s, mvin, waiting, out, all);
		return EX_OK;
	}
	outs = !periodic || *approve;
	if (optind != argc || date == NULL || master == NULL || pfile == NULL)
		usage();
	if (!periodic && (mvin == NULL || sum != NULL || *approve))
		usage();
	if (periodic && (mvin != NULL || sum == NULL))
		usage();
	if (outs != (out != NULL) || outs != (print != NULL) || outs != (rejout != NULL))
		usage();
	for (i = 0; approve[i]; i++)
		if (!strchr("0123456789abcdef", approve[i]))
			break;
	if (*approve && (i != 64 || approve[i]))
		die(EX_USAGE, "-A: not a SHA-256 (64 lowercase hexadecimal digits)");
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(today, today_s);
	snprintf(ymd, sizeof ymd, "%.4s%.2s%.2s", today_s, today_s + 5, today_s + 8);
	if (pvdir != NULL && (stat(pvdir, &st) < 0 || !S_ISDIR(st.st_mode)))
		die(EX_CANTCREAT, "%s: not a directory", pvdir);
	loadparams(&par, pfile);

	if (periodic && *approve) {
		/*
		 * The summary first, with nothing edited: the edition runs only
		 * when it is the one approved, and checks it again on its way.
		 */
		outs = 0;
		pv = pvdir, pvdir = NULL;
		run(master, NULL, prev, NULL, NULL, NULL, sum, hex);
		sumabort();
		if (strcmp(hex, approve) != 0)
			die(EX_DATAERR, "the summary approved is not this run's: %s has SHA-256 %s",
			    sum, hex);
		outs = 1;
		pvdir = pv;
	}
	run(master, mvin, prev, out, rejout, print, sum, periodic ? hex : NULL);
	if (periodic) {
		/* The hash told, or nothing published. */
		printf("%s  %s\n", hex, sum);
		if (fflush(stdout) == EOF || ferror(stdout))
			die(EX_IOERR, "stdout: %s", strerror(errno));
		sumcommit();
		fprintf(stderr, "%s: %s: periodic edition: %lu beneficiaries: %lu cards %s "
		    "(%lu holders), %lu refused, %lu holding a valid card, %lu without rights\n",
		    progname_(), today_s, nben, ncards, outs ? "edited" : "to edit", nholders,
		    nrej, nheld, nnorights);
	} else
		fprintf(stderr, "%s: %s: %lu card movements: %lu cards edited (%lu holders), "
		    "%lu withdrawn, %lu without card, %lu rejected\n", progname_(), today_s, nmv,
		    ncards, nholders, nwithdrawn, nnone, nrej);
	freeparams(&par);
	free(fam);
	free(rows);
	xmlCleanupParser();
	return EX_OK;
}
