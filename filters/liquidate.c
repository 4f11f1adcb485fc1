/*
 * liquidate: for every act line, what the complementary insurer pays,
 * and to whom (general conditions 3.1.3, 3.1.4): from the beneficiary's
 * rights at the act date, the client's guarantee parameters, the care
 * agreements (PEC) and the ceilings already consumed.  Exactly one
 * decision per claim, nothing dropped; the filter checks that
 * FR = AMO + AMC + RAC to the cent over the whole run.
 *
 * Cost: the day's claims are loaded into memory (two threads, ts_scan),
 * their three identity keys into a hash table in hash order.  A master
 * with its index (benef-index(5)) is read only where the claims' keys
 * point, its whole CRC-32 checked by a thread of its own; without one it
 * is read through once by two threads, its keys tested against a Bloom
 * filter.  Only the beneficiaries a claim names are kept, parsed by two
 * threads.  Claims are then processed per family (amc,
 * contract) in a fixed order, merge-joined with the previous consumption
 * generation, which is sorted on the same key: memory for the
 * consumption is one family's events at a time.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "tiers.h"

extern const char guarantee_xsd[];	/* formats/xsd/guarantee.xsd, built in */

#define NOEND INT32_MAX
#define NOSTART INT32_MIN
#define RETAIN 36		/* months of consumption kept */

/* Reason codes, in the order of the checks; their destinations. */
enum {
	LQ00, LQ01, LQ02, LQ03, LQ04, LQ05, LQ06, LQ07, LQ08, LQ09, LQ10,
	LQ11, LQ12, LQ13, LQ14, LQ15, LQ16, LQ17, LQ18, LQ19, NCODE
};
enum { D_PS, D_PSREC, D_REJECT, D_RECPS, D_CLIENT };
static const char *const dests[] = { "ps", "ps-recover", "reject", "recover-ps", "client" };
static const int codedest[NCODE] = {
	D_PS, D_REJECT, D_REJECT, D_PSREC, D_REJECT, D_REJECT, D_REJECT,
	D_REJECT, D_REJECT, D_REJECT, D_CLIENT, D_REJECT, D_REJECT, D_REJECT,
	D_REJECT, D_REJECT, D_RECPS, D_REJECT, D_REJECT, D_RECPS
};
#define F_IDENTITY 1
#define F_CAPPED 2

/* Care domains, as on the card; their bit in a domain mask. */
static const char *const domnames[] = {
	"PHAR", "MEDG", "MEDS", "LABO", "RADL", "SAGE", "LPPS", "AMI", "AMM",
	"AMY", "AMO", "AMP", "CSTE", "OPTI", "TRAN", "HOSP", "EXTE", "AUDI",
	"DENT", "CURE"
};
#define NDOM ((int)(sizeof domnames / sizeof domnames[0]))

/*
 * The domain of each act code: the project's own table (the real one is
 * the nomenclatures', NGAP, CCAM, LPP).
 */
static const struct {
	const char *code, *dom;
} actdom[] = {
	{ "PH7", "PHAR" }, { "PH4", "PHAR" }, { "PH2", "PHAR" },
	{ "G", "MEDG" }, { "VG", "MEDG" }, { "CS", "MEDS" }, { "APC", "MEDS" },
	{ "SC", "DENT" }, { "SPR", "DENT" }, { "OPT", "OPTI" }, { "B", "LABO" },
	{ "GHS", "HOSP" }, { "FJ", "HOSP" }
};

/* Guarantees (tiers-liquidate(5)). */
enum { FO_BR, FO_BRSUP, FO_FR, FO_FIXE, FO_S100 };
struct plafond {
	char id[40];
	int family;
	int hasamt;
	int64_t amount;
	long count;		/* 0: no count limit */
	int months;		/* 0: calendar year */
	int nage;
	int agemax[8], agemonths[8];
};
struct rule {
	int dom;
	char acts[128];		/* " A B C ", or empty */
	int agemin, agemax;
	int formula;
	int64_t rate;		/* basis points */
	int64_t amount, limit;
	int haslimit, pec;
	int plaf;		/* index, -1 none */
};
struct product {
	char ref[40];
	struct rule *rules;
	int nrules;
};
struct guar {
	char amc[16];
	const char *file;
	struct plafond *plafs;
	int nplafs;
	struct product *prods;
	int nprods;
};
static struct guar *guars;
static int nguars;

/* Beneficiaries of the masters. */
struct period {
	int order;
	const char *ref;
	int32_t start, end;
};
struct benef {
	const char *amc, *contract, *member, *adherent;
	char nir[14], key[3], bnir[14];
	int32_t birth;
	int rang;
	int responsable, active;
	int32_t tpstart, tpend, susstart, susend, rend;
	uint32_t doms;		/* 0: every domain */
	uint32_t fam;		/* rank of (amc, contract) in byte order */
	struct period *prods;
	int nprods;
};
static struct benef *bens;
static size_t nbens, capbens;

/*
 * The identity keys of the day's claims, hashed: the masters are read
 * through once, and a beneficiary is kept only when one of its keys is a
 * claim's.  An entry stands for every claim with the same key; rep is
 * one of them, to compare the fields behind a hash.
 */
enum { K_EXACT = BK_EXACT, K_NIRRANG = BK_NIRRANG, K_BIRTH = BK_BIRTH, NKIND = BK_NKIND };
struct kent {
	uint64_t h;		/* the key's hash: its high bits are the slot */
	uint32_t rep;
	int32_t bi;		/* the beneficiary found, -1 none */
	int8_t kind1;		/* its kind + 1; 0: an empty slot */
	int8_t amb;		/* a second one found: ambiguous */
};
static struct kent *kt;
static size_t ktmask;
static int ktshift;
/*
 * A key's slot is the high bits of its hash, so that the table is in
 * hash order, as a master's index is: walking one walks the other.
 */
#define KSLOT(h) ((size_t)((h) >> ktshift))
/*
 * A blocked Bloom filter of the same keys, 21 bits a key or more, small
 * enough for the cache: most beneficiaries of a master are nobody's
 * claim, and the filter says so without a miss in the table.
 */
static uint64_t *bloom;
static size_t bloommask;

static void
bloomset(uint64_t h)
{
	uint64_t *b = &bloom[((h >> 40) & bloommask) * 8];

	b[(h >> 6) & 7] |= 1ULL << (h & 63);
	b[(h >> 15) & 7] |= 1ULL << ((h >> 9) & 63);
	b[(h >> 24) & 7] |= 1ULL << ((h >> 18) & 63);
}

static int
bloomhas(uint64_t h)
{
	const uint64_t *b = &bloom[((h >> 40) & bloommask) * 8];

	return (b[(h >> 6) & 7] >> (h & 63) & 1) && (b[(h >> 15) & 7] >> ((h >> 9) & 63) & 1) &&
	    (b[(h >> 24) & 7] >> ((h >> 18) & 63) & 1);
}

/* PEC agreements. */
struct pec {
	const char *amc, *number, *acts;
	char nir[14];
	int32_t birth;
	int rang;
	const char *pskind, *psnum;
	int dom;
	int32_t from, to;
	int64_t amount;
};
static struct pec *pecs;
static size_t npecs, cappecs;

/* Claims of the day, and their decisions. */
enum { C_DUPID, C_FILE, C_LINE, C_POS, C_AMC, C_PSKIND, C_PSNUM, C_INVOICE,
	C_LINENO, C_ACTDATE, C_ACTCODE, C_NATURE, C_DUP, C_NIR, C_NIRKEY,
	C_BNIR, C_BIRTH, C_RANG, C_ADHERENT, C_DUPREF, C_FR, C_BR, C_RATE, C_AMO,
	C_QTY, C_TP, C_FLOW, C_PAID, NCC };
static const char *const ccols[NCC] = {
	"dup_id", "file", "line", "pos", "amc", "ps_kind", "ps_number",
	"invoice", "line_no", "act_date", "act_code", "nature", "dup", "nir",
	"nir_key", "benef_nir", "birth_date", "rang", "adherent", "dup_ref",
	"fr_eur", "br_eur", "amo_rate_bp", "amo_eur", "qty", "tp", "flow",
	"dup_paid_eur"
};
enum { N_PAID, N_REGUL, N_CANCEL, N_REJECT };
/*
 * The fields kept of a claim, those up to C_FR (the others are parsed),
 * where they are: in the mapped claims file, else copied, line by line,
 * into an arena.  Not NUL-ended: CS and CN give each its bytes.
 */
#define NCK C_FR
struct claim {
	const char *ln;
	uint16_t fo[NCK], fl[NCK];	/* offset in ln and length */
	int32_t date;
	int64_t fr, br, amo, rate;
	long qty;
	int nature, dup, tp, noemie, haspaid, decided;
	int64_t paid;		/* an adjustment: the net paid on its line, by the ledger */
	long bi;		/* beneficiary, -1 unknown */
	long rk;		/* rang, -1 unreadable */
	int32_t birth;		/* NOSTART unreadable */
	uint64_t kh[NKIND];	/* its key hashes, 0 none */
	uint32_t ke[NKIND];	/* its key entries, UINT32_MAX none */
	int flags, code, dom, rank;
	const char *pref;
	int64_t amoth, amc, rac, rec;
};
static struct claim *cl;
static size_t ncl;
#define CS(c, i) ((c)->ln + (c)->fo[i])
#define CN(c, i) ((size_t)(c)->fl[i])

/* Byte strings compared as strcmp compares C strings. */
static int
bytecmp(const char *a, size_t m, const char *b, size_t n)
{
	int d = memcmp(a, b, m < n ? m : n);

	return d != 0 ? d : m < n ? -1 : m > n;
}

/* Is field i of c the string s? */
static int
cfeq(const struct claim *c, int i, const char *s)
{
	return strlen(s) == CN(c, i) && memcmp(s, CS(c, i), CN(c, i)) == 0;
}

/* Is field i of c the bytes f? */
static int
cfieq(const struct claim *c, int i, const struct field *f)
{
	return f->n == CN(c, i) && memcmp(f->p, CS(c, i), f->n) == 0;
}

/* Consumption events of one family. */
struct event {
	char member[40], counter[48], inv[64], claim[48], bdate[DATE_BUFSZ];
	int32_t date;
	long count;
	int64_t amount;
};
static struct event *ev;
static size_t nev, capev;

static int32_t today, cutoff;
static char today_s[DATE_BUFSZ];

/* Small helpers. */

struct arena {
	char *p;
	size_t left;
	void **chunk;		/* the last chunk; its first word, the one before */
};
static struct arena mainarena;

static char *
arena_in(struct arena *a, size_t n)
{
	char *r;
	void **c;

	/* Every block aligned for any struct held here. */
	n = (n + 7) & ~(size_t)7;
	if (n > a->left) {
		a->left = n > (1 << 20) ? n : (1 << 20);
		c = xmalloc(a->left + 16);
		c[0] = a->chunk;
		a->chunk = c;
		a->p = (char *)c + 16;
	}
	r = a->p;
	a->p += n;
	a->left -= n;
	return r;
}

static void
arena_free(struct arena *a)
{
	void **c, **prev;

	for (c = a->chunk; c != NULL; c = prev) {
		prev = c[0];
		free(c);
	}
	memset(a, 0, sizeof *a);
}

static char *
arena(size_t n)
{
	return arena_in(&mainarena, n);
}

static const char *
fdup_in(struct arena *a, const struct field *f)
{
	char *s = arena_in(a, f->n + 1);

	memcpy(s, f->p, f->n);
	s[f->n] = '\0';
	return s;
}

static const char *
fdup(const struct field *f)
{
	return fdup_in(&mainarena, f);
}

static int
domidx(const char *s, size_t n)
{
	int i;

	for (i = 0; i < NDOM; i++)
		if (strlen(domnames[i]) == n && memcmp(domnames[i], s, n) == 0)
			return i;
	return -1;
}

static int
actdomain(const char *code, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof actdom / sizeof actdom[0]; i++)
		if (strlen(actdom[i].code) == n && memcmp(actdom[i].code, code, n) == 0)
			return domidx(actdom[i].dom, strlen(actdom[i].dom));
	return -1;
}

/* Copy m bytes into a buffer of n, NUL-ended, cut if need be. */
static void
bytecpy(char *dst, size_t n, const char *src, size_t m)
{
	if (m >= n)
		m = n - 1;
	memcpy(dst, src, m);
	dst[m] = '\0';
}

/* Copy a string into a buffer of n bytes, cut if need be. */
static void
scopy(char *dst, size_t n, const char *src)
{
	bytecpy(dst, n, src, strlen(src));
}

/*
 * The act code of c between spaces, as act lists hold theirs; 0 if it is
 * too long for any list word.
 */
static int
actword(const struct claim *c, char *buf, size_t n)
{
	size_t m = CN(c, C_ACTCODE);

	if (m + 3 > n)
		return 0;
	buf[0] = ' ';
	memcpy(buf + 1, CS(c, C_ACTCODE), m);
	buf[m + 1] = ' ';
	buf[m + 2] = '\0';
	return 1;
}

static int32_t
addmonths(int32_t d, int n)
{
	int y, m, day;

	date_to_ymd(d, &y, &m, &day);
	m += n;
	while (m > 12)
		m -= 12, y++;
	while (m < 1)
		m += 12, y--;
	while (day > 28 && !date_valid(y, m, day))
		day--;
	return date_from_ymd(y, m, day);
}

static int
age(int32_t birth, int32_t at)
{
	int y1, m1, d1, y2, m2, d2, a;

	date_to_ymd(birth, &y1, &m1, &d1);
	date_to_ymd(at, &y2, &m2, &d2);
	a = y2 - y1;
	if (m2 < m1 || (m2 == m1 && d2 < d1))
		a--;
	return a;
}

/* A date field that may be empty (then def). 0, or -1 malformed. */
static int
optdate(const struct field *f, int32_t def, int32_t *d)
{
	if (f->n == 0) {
		*d = def;
		return 0;
	}
	return date_parse(f->p, f->n, d);
}

/* Guarantee files: XML validated against the built-in schema. */

static xmlSchemaPtr schema;
static char xerr[256];
static long xerrline;

static void
xmlerr(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (*xerr != '\0' || e == NULL || e->message == NULL)
		return;
	xmlmsg(xerr, sizeof xerr, e->message);
	xerrline = e->line;
}

static const char *
attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next)
		if (strcmp((const char *)a->name, name) == 0 && a->children != NULL)
			return (const char *)a->children->content;
	return NULL;
}

static int64_t
eurattr(const char *file, xmlNodePtr n, const char *name)
{
	const char *s = attr(n, name);
	int64_t c;

	if (s == NULL || money_parse(s, strlen(s), &c) != M_OK)
		die_at(EX_DATAERR, file, xmlGetLineNo(n), name, "not an amount in euros");
	return c;
}

static long
intattr(xmlNodePtr n, const char *name, long def)
{
	const char *s = attr(n, name);
	long v;

	if (s == NULL || int_parse(s, strlen(s), 0, 100000, &v) < 0)
		return def;
	return v;
}

static int
iselem(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static void
loadplafond(const char *file, struct guar *g, xmlNodePtr n)
{
	struct plafond *p;
	xmlNodePtr a;
	int i;

	g->plafs = xrealloc(g->plafs, (size_t)(g->nplafs + 1) * sizeof *g->plafs);
	p = &g->plafs[g->nplafs];
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", attr(n, "id"));
	for (i = 0; i < g->nplafs; i++)
		if (strcmp(g->plafs[i].id, p->id) == 0)
			die_at(EX_DATAERR, file, xmlGetLineNo(n), "plafond.id", "defined twice");
	p->family = strcmp(attr(n, "portee"), "famille") == 0;
	if (attr(n, "montant") != NULL) {
		p->hasamt = 1;
		p->amount = eurattr(file, n, "montant");
	}
	p->count = intattr(n, "nombre", 0);
	if (!p->hasamt && p->count == 0)
		die_at(EX_DATAERR, file, xmlGetLineNo(n), "plafond", "neither montant nor nombre");
	if (strcmp(attr(n, "periode"), "mois") == 0) {
		p->months = (int)intattr(n, "mois", 0);
		if (p->months == 0)
			die_at(EX_DATAERR, file, xmlGetLineNo(n), "plafond.mois",
			    "required with periode mois");
	}
	for (a = n->children; a != NULL; a = a->next) {
		if (!iselem(a, "age"))
			continue;
		if (p->months == 0)
			die_at(EX_DATAERR, file, xmlGetLineNo(a), "age", "only with periode mois");
		if (p->nage == 8)
			die_at(EX_DATAERR, file, xmlGetLineNo(a), "age", "more than 8 age bands");
		p->agemax[p->nage] = (int)intattr(a, "max", 0);
		p->agemonths[p->nage++] = (int)intattr(a, "mois", 1);
	}
	g->nplafs++;
}

static void
loadrule(const char *file, struct guar *g, struct product *pr, xmlNodePtr n)
{
	struct rule *r;
	const char *s;
	long line = xmlGetLineNo(n);
	int i;

	pr->rules = xrealloc(pr->rules, (size_t)(pr->nrules + 1) * sizeof *pr->rules);
	r = &pr->rules[pr->nrules++];
	memset(r, 0, sizeof *r);
	s = attr(n, "domaine");
	r->dom = domidx(s, strlen(s));
	if ((s = attr(n, "actes")) != NULL) {
		if (strlen(s) + 3 > sizeof r->acts)
			die_at(EX_DATAERR, file, line, "regle.actes", "too long");
		snprintf(r->acts, sizeof r->acts, " %s ", s);
	}
	r->agemin = (int)intattr(n, "age-min", 0);
	r->agemax = (int)intattr(n, "age-max", 1000);
	s = attr(n, "formule");
	r->formula = strcmp(s, "br") == 0 ? FO_BR : strcmp(s, "br-sup") == 0 ? FO_BRSUP :
	    strcmp(s, "fr") == 0 ? FO_FR : strcmp(s, "fixe") == 0 ? FO_FIXE : FO_S100;
	if (r->formula <= FO_FR) {
		if (attr(n, "taux") == NULL)
			die_at(EX_DATAERR, file, line, "regle.taux", "required by formule %s", s);
		r->rate = intattr(n, "taux", 0) * 100;
	}
	if (r->formula == FO_FIXE) {
		if (attr(n, "montant") == NULL)
			die_at(EX_DATAERR, file, line, "regle.montant", "required by formule fixe");
		r->amount = eurattr(file, n, "montant");
	}
	if (attr(n, "prix-limite") != NULL) {
		r->haslimit = 1;
		r->limit = eurattr(file, n, "prix-limite");
	}
	s = attr(n, "pec");
	r->pec = s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
	r->plaf = -1;
	if ((s = attr(n, "plafond")) != NULL) {
		for (i = 0; i < g->nplafs; i++)
			if (strcmp(g->plafs[i].id, s) == 0)
				r->plaf = i;
		if (r->plaf < 0)
			die_at(EX_DATAERR, file, line, "regle.plafond", "no such plafond");
	}
}

static void
loadguar(const char *file)
{
	xmlDocPtr doc;
	xmlSchemaValidCtxtPtr vc;
	xmlNodePtr root, n, m;
	struct guar *g;
	struct product *pr;
	int i;

	*xerr = '\0';
	xerrline = 0;
	xmlSetStructuredErrorFunc(NULL, xmlerr);
	doc = xmlReadFile(file, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (doc == NULL) {
		if (access(file, R_OK) < 0)
			die(EX_NOINPUT, "%s: %s", file, strerror(errno));
		die_at(EX_DATAERR, file, xerrline, "xml", "%s", *xerr ? xerr : "not XML");
	}
	if ((vc = xmlSchemaNewValidCtxt(schema)) == NULL)
		die(EX_SOFTWARE, "cannot validate");
	xmlSchemaSetValidStructuredErrors(vc, xmlerr, NULL);
	if (xmlSchemaValidateDoc(vc, doc) != 0)
		die_at(EX_DATAERR, file, xerrline, "xsd", "%s", *xerr ? xerr : "not valid");
	xmlSchemaFreeValidCtxt(vc);
	root = xmlDocGetRootElement(doc);
	guars = xrealloc(guars, (size_t)(nguars + 1) * sizeof *guars);
	g = &guars[nguars];
	memset(g, 0, sizeof *g);
	g->file = file;
	snprintf(g->amc, sizeof g->amc, "%s", attr(root, "amc"));
	for (i = 0; i < nguars; i++)
		if (strcmp(guars[i].amc, g->amc) == 0)
			die_at(EX_DATAERR, file, xmlGetLineNo(root), "garanties.amc",
			    "a second guarantee file for this client (first: %s)", guars[i].file);
	for (n = root->children; n != NULL; n = n->next)
		if (iselem(n, "plafond"))
			loadplafond(file, g, n);
	for (n = root->children; n != NULL; n = n->next) {
		if (!iselem(n, "produit"))
			continue;
		g->prods = xrealloc(g->prods, (size_t)(g->nprods + 1) * sizeof *g->prods);
		pr = &g->prods[g->nprods];
		memset(pr, 0, sizeof *pr);
		snprintf(pr->ref, sizeof pr->ref, "%s", attr(n, "ref"));
		for (i = 0; i < g->nprods; i++)
			if (strcmp(g->prods[i].ref, pr->ref) == 0)
				die_at(EX_DATAERR, file, xmlGetLineNo(n), "produit.ref", "defined twice");
		g->nprods++;
		for (m = n->children; m != NULL; m = m->next)
			if (iselem(m, "regle"))
				loadrule(file, g, pr, m);
	}
	xmlFreeDoc(doc);
	nguars++;
}

static const struct guar *
findguar(const char *amc)
{
	int i;

	for (i = 0; i < nguars; i++)
		if (strcmp(guars[i].amc, amc) == 0)
			return &guars[i];
	return NULL;
}

/* Masters: every beneficiary into memory, then the index. */

static void
badfield(struct ts_reader *r, const char *col, const char *why)
{
	die_at(EX_DATAERR, r->in.name, r->in.lineno, col, "%s", why);
}

static int
products(struct ts_reader *r, struct arena *a, const struct field *f, struct benef *b)
{
	const char *p = f->p, *end = f->p + f->n, *q;
	struct field s[4];
	struct period *pd;
	int k, n = 1;
	long v;
	char *ref;

	for (q = p; q < end; q++)
		n += *q == ',';
	b->nprods = 0;
	if (f->n == 0)
		return 0;
	b->prods = (struct period *)(void *)arena_in(a, (size_t)n * sizeof *b->prods);
	while (p < end) {
		for (k = 0; k < 4; k++) {
			s[k].p = p;
			while (p < end && *p != ':' && *p != ',')
				p++;
			s[k].n = (size_t)(p - s[k].p);
			if (k < 3) {
				if (p >= end || *p != ':')
					return ts_error(r, "products", "expected order:ref:start:end");
				p++;
			}
		}
		if (p < end && *p++ != ',')
			return ts_error(r, "products", "expected order:ref:start:end");
		pd = &b->prods[b->nprods++];
		if (int_parse(s[0].p, s[0].n, 0, 99, &v) < 0)
			return ts_error(r, "products", "bad order");
		pd->order = (int)v;
		ref = arena_in(a, s[1].n + 1);
		memcpy(ref, s[1].p, s[1].n);
		ref[s[1].n] = '\0';
		pd->ref = ref;
		if (optdate(&s[2], NOSTART, &pd->start) < 0 ||
		    optdate(&s[3], NOEND, &pd->end) < 0)
			return ts_error(r, "products", "bad date");
	}
	return 0;
}

enum { B_AMC, B_CONTRACT, B_MEMBER, B_ADH, B_NIR, B_KEY, B_BNIR, B_BIRTH,
	B_RANG, B_RESP, B_PRODS, B_TPS, B_TPE, B_ACT, B_SUSS, B_SUSE, B_DOMS,
	B_RE, NBC };
static const char *const bcols[NBC] = {
	"amc", "contract", "member_ref", "adherent", "nir", "nir_key",
	"benef_nir", "birth_date", "rang", "responsable", "products",
	"tp_start", "tp_end", "activation", "suspension_start",
	"suspension_end", "domains", "rights_end"
};

/*
 * The beneficiary of master record r (its fields split), its strings in
 * arena a: 0, or -1 after ts_error.
 */
static int
parsebenef(struct ts_reader *r, struct arena *a, const int *c, struct benef *b)
{
	const struct field *f;
	long v;

	memset(b, 0, sizeof *b);
	f = r->f;
	b->amc = fdup_in(a, &f[c[B_AMC]]);
	b->contract = fdup_in(a, &f[c[B_CONTRACT]]);
	b->member = fdup_in(a, &f[c[B_MEMBER]]);
	b->adherent = fdup_in(a, &f[c[B_ADH]]);
	if (f[c[B_NIR]].n != 13 || f[c[B_KEY]].n != 2)
		return ts_error(r, "nir", "not 13 characters and a 2-digit key");
	memcpy(b->nir, f[c[B_NIR]].p, 13);
	memcpy(b->key, f[c[B_KEY]].p, 2);
	if (f[c[B_BNIR]].n != 0 && f[c[B_BNIR]].n != 13)
		return ts_error(r, "benef_nir", "not 13 characters");
	memcpy(b->bnir, f[c[B_BNIR]].p, f[c[B_BNIR]].n);
	if (date_parse(f[c[B_BIRTH]].p, f[c[B_BIRTH]].n, &b->birth) < 0)
		return ts_error(r, "birth_date", "not a date");
	if (int_parse(f[c[B_RANG]].p, f[c[B_RANG]].n, 0, 99, &v) < 0)
		return ts_error(r, "rang", "not a rank");
	b->rang = (int)v;
	b->responsable = f[c[B_RESP]].n == 1 && *f[c[B_RESP]].p == '1';
	b->active = f[c[B_ACT]].n == 2 && memcmp(f[c[B_ACT]].p, "AC", 2) == 0;
	if (optdate(&f[c[B_TPS]], NOSTART, &b->tpstart) < 0)
		return ts_error(r, "tp_start", "not a date");
	if (optdate(&f[c[B_TPE]], NOEND, &b->tpend) < 0)
		return ts_error(r, "tp_end", "not a date");
	if (optdate(&f[c[B_SUSS]], NOEND, &b->susstart) < 0)
		return ts_error(r, "suspension_start", "not a date");
	if (optdate(&f[c[B_SUSE]], NOEND, &b->susend) < 0)
		return ts_error(r, "suspension_end", "not a date");
	if (optdate(&f[c[B_RE]], NOEND, &b->rend) < 0)
		return ts_error(r, "rights_end", "not a date");
	/* "PHAR:100:PC;MEDG:100:BR": the domain before each colon. */
	{
		const char *p = f[c[B_DOMS]].p, *e = p + f[c[B_DOMS]].n, *s;
		int d;

		b->doms = 0;
		while (p < e) {
			s = p;
			while (p < e && *p != ':' && *p != ';')
				p++;
			if ((d = domidx(s, (size_t)(p - s))) >= 0)
				b->doms |= 1u << d;
			else
				b->doms |= 1u << 31;	/* a list, whatever it names */
			while (p < e && *p != ';')
				p++;
			if (p < e)
				p++;
		}
	}
	return products(r, a, &f[c[B_PRODS]], b);
}

/* Is k, a key of this kind, claim c's? */
static int
keyeq(int kind, const struct claim *c, const struct bk_key *k)
{
	if (!cfieq(c, C_AMC, &k->amc) || k->rang != c->rk)
		return 0;
	switch (kind) {
	case K_EXACT:
		return cfieq(c, C_NIR, &k->nir) && cfieq(c, C_NIRKEY, &k->key) &&
		    k->birth == c->birth;
	case K_NIRRANG:
		return cfieq(c, CN(c, C_BNIR) ? C_BNIR : C_NIR, k->bnir.n ? &k->bnir : &k->nir);
	default:
		return k->birth == c->birth && cfieq(c, C_ADHERENT, &k->adh);
	}
}

/* A claim's key fields. */
static void
ckey(const struct claim *c, struct bk_key *k)
{
	k->amc.p = CS(c, C_AMC);
	k->amc.n = CN(c, C_AMC);
	k->nir.p = CS(c, C_NIR);
	k->nir.n = CN(c, C_NIR);
	k->key.p = CS(c, C_NIRKEY);
	k->key.n = CN(c, C_NIRKEY);
	k->bnir.p = CS(c, C_BNIR);
	k->bnir.n = CN(c, C_BNIR);
	k->adh.p = CS(c, C_ADHERENT);
	k->adh.n = CN(c, C_ADHERENT);
	k->rang = c->rk;
	k->birth = c->birth;
}

/*
 * Tables probed at random, hundreds of MiB, zeroed: on huge pages where the
 * system has them, so that a probe costs a cache miss, not also a TLB
 * miss.  Never freed.
 */
static void *
bigalloc(size_t n)
{
	size_t align = (size_t)2 << 20, len = (n + align - 1) & ~(align - 1);
	char *p;
	uintptr_t a;

	/* Zero pages, aligned for huge pages: one more to align them. */
	p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die(EX_OSERR, "out of memory");
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
#ifdef MADV_HUGEPAGE
	(void)madvise((void *)a, len, MADV_HUGEPAGE);
#endif
	return (void *)a;
}

/* The key entries of the claims: each key once, whatever its claims. */
#define AHEAD 8		/* claims ahead whose slots are fetched */
static void
claimkeys(void)
{
	size_t n = 1024, k, i;
	int kind;
	struct claim *c;
	struct bk_key ck;
	uint64_t h;

	/* Three quarters full at most, when every key is another. */
	while (n / 4 * 3 < ncl * NKIND)
		n *= 2;
	kt = bigalloc(n * sizeof *kt);
	ktmask = n - 1;
	for (ktshift = 64; ((size_t)1 << (64 - ktshift)) < n; ktshift--)
		;
	/*
	 * The hashes were made as the claims were read; the table is filled
	 * with the slots of the keys a few claims ahead fetched while this
	 * one goes in: the misses overlap instead of following one another.
	 */
	for (k = 0; k < ncl; k++) {
		c = &cl[k];
		ckey(c, &ck);
		for (kind = 0; kind < NKIND; kind++) {
#ifdef __GNUC__
			if (k + AHEAD < ncl && (h = cl[k + AHEAD].kh[kind]) != 0)
				__builtin_prefetch(&kt[KSLOT(h)], 1);
#endif
			if ((h = c->kh[kind]) == 0)
				continue;
			for (i = KSLOT(h); kt[i].kind1 != 0; i = (i + 1) & ktmask)
				if (kt[i].h == h && kt[i].kind1 == kind + 1 &&
				    keyeq(kind, &cl[kt[i].rep], &ck))
					break;
			if (kt[i].kind1 == 0) {
				kt[i].h = h;
				kt[i].kind1 = (int8_t)(kind + 1);
				kt[i].rep = (uint32_t)k;
				kt[i].bi = -1;
				kt[i].amb = 0;
			}
			c->ke[kind] = (uint32_t)i;
		}
	}
}

/*
 * A master gives the beneficiaries the claims name in one of two ways.
 * Read through by two threads (ts_scan), a beneficiary whose keys are
 * none of the claims' is verified and passed over; for the others, the
 * key entries they match are noted, with the line.  With its index
 * (benef-index(5)), only the records that have a claim's key are read,
 * at their offsets, while another thread checks the CRC-32 of the whole
 * file against its trailer (checkmasters).  Either way, the records
 * noted are then kept in file order: the exact identity goes to the
 * first beneficiary that has it; a reconciliation key that two have is
 * ambiguous.
 */
#define MPARTS 2
struct mhit {
	const char *line;
	size_t len;
	long lineno;		/* in its part; -1: counted if need be */
	uint32_t ent[NKIND];	/* the entries matched, UINT32_MAX none */
};
struct mhits {
	struct mhit *h;
	size_t n, cap;
};

static struct mhit *
addhit(struct mhits *hs)
{
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 4096;
		hs->h = xrealloc(hs->h, hs->cap * sizeof *hs->h);
	}
	return &hs->h[hs->n++];
}

/* The entry of the claims' key of this kind that k makes, or UINT32_MAX. */
static uint32_t
findent(int kind, uint64_t h, const struct bk_key *k)
{
	size_t j;

	for (j = KSLOT(h); kt[j].kind1 != 0; j = (j + 1) & ktmask)
		if (kt[j].h == h && kt[j].kind1 == kind + 1 && keyeq(kind, &cl[kt[j].rep], k))
			return (uint32_t)j;
	return UINT32_MAX;
}

/*
 * A record's keys: hashed when it is read, tested against the filter
 * and the table when the next one is read, its cache lines fetched in
 * between.
 */
struct mrec {
	struct bk_rec k;
	uint64_t h[NKIND];
	const char *line;
	size_t len;
	long lineno;
};
struct mpart {
	const int *kc;
	struct mhits hits;
	struct mrec rec[2];
	int cur, pending;
	struct arena ar;	/* hits' lines read through a buffer */
};

/* Note the entries the pending record of mp matches. */
static void
mtest(struct mpart *mp, const struct mrec *m)
{
	uint32_t ent[NKIND];
	int kind, any = 0, keyed = 0;
	struct mhit *hit;
	struct bk_key k;

	if (!mp->pending)
		return;
	mp->pending = 0;
	for (kind = 0; kind < NKIND; kind++) {
		ent[kind] = UINT32_MAX;
		if (!bloomhas(m->h[kind]))
			continue;
		if (!keyed++)
			bk_keyof(&m->k, &k);
		ent[kind] = findent(kind, m->h[kind], &k);
		any |= ent[kind] != UINT32_MAX;
	}
	if (!any)
		return;
	hit = addhit(&mp->hits);
	hit->line = m->line;
	hit->len = m->len;
	hit->lineno = m->lineno;
	memcpy(hit->ent, ent, sizeof ent);
}

static int
masterrec(void *arg, struct ts_reader *r)
{
	struct mpart *mp = arg;
	struct mrec *m = &mp->rec[mp->cur];
	size_t n;
	char *p;
	int kind;

	if (bk_fields(r, mp->kc, &m->k) < 0)
		return -1;
	m->line = r->line;
	m->len = r->len;
	m->lineno = r->in.lineno;
	bk_hashes(&m->k, m->h);
#ifdef __GNUC__
	for (kind = 0; kind < NKIND; kind++)
		__builtin_prefetch(&bloom[((m->h[kind] >> 40) & bloommask) * 8]);
#endif
	if (r->map == NULL) {
		/*
		 * Read through a buffer (gzip, a pipe): the line does not
		 * stay there.  Tested now, copied if it is a hit.
		 */
		n = mp->hits.n;
		mp->pending = 1;
		mtest(mp, m);
		if (mp->hits.n > n) {
			p = arena_in(&mp->ar, r->len);
			memcpy(p, r->line, r->len);
			mp->hits.h[n].line = p;
		}
		return 0;
	}
	/* The previous record now, this one at the next call. */
	mtest(mp, &mp->rec[mp->cur ^ 1]);
	mp->pending = 1;
	mp->cur ^= 1;
	return 0;
}

/*
 * With the index: the claims' keys, in hash order as the key table is,
 * found in the index's buckets in the same order (the index is read
 * through once, its pages given back behind); the records they point to
 * in file order, each read once, checked and compared field by field
 * (a hash is not a key).
 */
struct cand {
	uint64_t off;		/* sort key; a candidate's: offset << 2 | kind */
	uint32_t ent;
	uint32_t rep;		/* a candidate's: its entry's rep; else 0 */
};
#define CDOFF(c) ((c).off >> 2)
#define CDKIND(c) ((int)((c).off & 3))

/*
 * The records noted are parsed into beneficiaries by two threads, each
 * a run of them in file order with its own reader and arena (with the
 * index, each also finds its records and checks them first); then they
 * are kept in file order.  A record that cannot be parsed is an error
 * only if it is kept: it is parsed again, for the message, by the pass
 * that keeps.
 */
#define HPARTS 2
struct hpart {
	struct ts_reader r;	/* a copy of the master's, its own fields */
	const int *c, *kc;
	const struct cand *cd;	/* with the index: the candidates a..b */
	size_t a, b;
	struct mhits hs;	/* the records noted */
	struct benef *bs;	/* and parsed */
	unsigned char *bad;	/* not parsed */
	size_t bcap;
	struct arena ar;
	int fatal;		/* candidate fataloff failed its check */
	uint64_t fataloff;
};

/* Split a line that was checked into r's fields. */
static void
resplit(struct ts_reader *r, const char *line, size_t len)
{
	const char *p, *q;
	int nf;

	for (p = line, nf = 0; nf < r->ncol; nf++, p = q + 1) {
		q = memchr(p, '\t', (size_t)(line + len - p));
		if (q == NULL)
			q = line + len;
		r->f[nf].p = p;
		r->f[nf].n = (size_t)(q - p);
	}
	r->line = line;
	r->len = len;
}

/* A candidate record: checked, its keys compared; 1 noted, 0 not, -1 bad. */
static int
candidate(struct ts_reader *r, const int *kc, const struct cand *cd, size_t k, size_t j,
    struct mhits *hs)
{
	struct mhit *hit;
	struct bk_rec m;
	struct bk_key mk;
	int any = 0, kind;

	if (CDOFF(cd[k]) >= r->maplen || ts_line(r, (const char *)r->map + CDOFF(cd[k])) < 0 ||
	    bk_fields(r, kc, &m) < 0)
		return -1;
	hit = addhit(hs);
	hit->line = r->line;
	hit->len = r->len;
	hit->lineno = -1;
	for (kind = 0; kind < NKIND; kind++)
		hit->ent[kind] = UINT32_MAX;
	bk_keyof(&m, &mk);
	for (; k < j; k++)
		if (keyeq(CDKIND(cd[k]), &cl[cd[k].rep], &mk)) {
			hit->ent[CDKIND(cd[k])] = cd[k].ent;
			any = 1;
		}
	if (!any)
		hs->n--;
	return any;
}

static void *
hwork(void *arg)
{
	struct hpart *p = arg;
	struct mhit *hit;
	size_t k, j, n;
	int rc;

	for (k = p->a, n = 0; ; k = j) {
		if (p->cd != NULL) {
			if (k >= p->b)
				break;
			for (j = k; j < p->b && CDOFF(p->cd[j]) == CDOFF(p->cd[k]); j++)
				;
#ifdef __GNUC__
			/*
			 * The claims whose keys the records ahead are compared
			 * with, then their fields; the records' lines.
			 */
			if (j + 16 < p->b)
				__builtin_prefetch(&cl[p->cd[j + 16].rep]);
			if (j + 8 < p->b) {
				const struct claim *c = &cl[p->cd[j + 8].rep];

				__builtin_prefetch(CS(c, C_NIR));
				__builtin_prefetch(CS(c, C_ADHERENT));
				if (CDOFF(p->cd[j + 8]) < p->r.maplen)
					__builtin_prefetch((const char *)p->r.map +
					    CDOFF(p->cd[j + 8]));
			}
#endif
			if ((rc = candidate(&p->r, p->kc, p->cd, k, j, &p->hs)) < 0) {
				p->fatal = 1;
				p->fataloff = CDOFF(p->cd[k]);
				break;
			}
			if (rc == 0)
				continue;
			hit = &p->hs.h[p->hs.n - 1];
		} else {
			if ((j = k + 1) > p->b)
				break;
			hit = &p->hs.h[k];
			resplit(&p->r, hit->line, hit->len);
		}
		ts_release(&p->r, hit->line);
		if (n == p->bcap) {
			p->bcap = p->bcap ? p->bcap * 2 : 4096;
			p->bs = xrealloc(p->bs, p->bcap * sizeof *p->bs);
			p->bad = xrealloc(p->bad, p->bcap);
		}
		p->r.in.lineno = 1;	/* the message is made again if need be */
		p->bad[n] = parsebenef(&p->r, &p->ar, p->c, &p->bs[n]) < 0;
		n++;
	}
	return NULL;
}

/*
 * Parse hits[0..n) (hits NULL: find them from the candidates cd[0..n)),
 * then keep them, in file order.
 */
static void
keephits(struct ts_reader *r, const int *c, const int *kc, struct mhit *hits,
    const struct cand *cd, size_t n, const struct bx *x)
{
	struct hpart pt[HPARTS];
	pthread_t th[HPARTS];
	const struct mhit *hit, *h0;
	struct benef tmp;
	struct bk_rec m;
	struct kent *e;
	const char *p;
	long kept;
	size_t k, cut, nh;
	int i, kind;

	memset(pt, 0, sizeof pt);
	for (i = 0, cut = 0; i < HPARTS; i++) {
		memcpy(&pt[i].r, r, sizeof *r);
		pt[i].r.f = xmalloc((size_t)r->ncol * sizeof *r->f);
		pt[i].r.cents = xmalloc((size_t)r->ncol * sizeof *r->cents);
		pt[i].c = c;
		pt[i].kc = kc;
		pt[i].cd = cd;
		pt[i].a = cut;
		cut = i == HPARTS - 1 ? n : n / HPARTS * (size_t)(i + 1);
		/* A record's candidates all in one part. */
		while (cd != NULL && cut > pt[i].a && cut < n &&
		    CDOFF(cd[cut]) == CDOFF(cd[cut - 1]))
			cut++;
		if (cut < pt[i].a)
			cut = pt[i].a;
		pt[i].b = cut;
		if (cd == NULL) {
			pt[i].hs.h = hits;
			pt[i].hs.n = n;
		}
		/* Each gives back the pages behind it, from its own start. */
		pt[i].r.released = pt[i].a >= n ? NULL : cd != NULL ?
		    (const char *)r->map + CDOFF(cd[pt[i].a]) : hits[pt[i].a].line;
	}
	for (i = 1; i < HPARTS; i++)
		if (pthread_create(&th[i], NULL, hwork, &pt[i]) != 0)
			die(EX_OSERR, "pthread_create: %s", strerror(errno));
	hwork(&pt[0]);
	for (i = 1; i < HPARTS; i++)
		pthread_join(th[i], NULL);

	for (i = 0; i < HPARTS; i++) {
		h0 = cd != NULL ? pt[i].hs.h : hits + pt[i].a;
		nh = cd != NULL ? pt[i].hs.n : pt[i].b - pt[i].a;
		for (k = 0; k < nh; k++) {
			hit = &h0[k];
			kept = -1;
			for (kind = 0; kind < NKIND; kind++) {
				if (hit->ent[kind] == UINT32_MAX)
					continue;
				e = &kt[hit->ent[kind]];
				if (e->bi >= 0 && kind == K_EXACT)
					continue;
				if (kept < 0) {
					if (pt[i].bad[k]) {
						/* Parsed again, for the message. */
						resplit(r, hit->line, hit->len);
						r->in.lineno = hit->lineno;
						(void)parsebenef(r, &mainarena, c, &tmp);
						ts_fatal(r);
					}
					if (nbens == capbens) {
						capbens = capbens ? capbens * 2 : 4096;
						bens = xrealloc(bens, capbens * sizeof *bens);
					}
					bens[nbens] = pt[i].bs[k];
					kept = (long)nbens++;
				}
				if (e->bi < 0)
					e->bi = (int32_t)kept;
				else if (e->bi != kept)
					e->amb = 1;
			}
		}
		if (pt[i].fatal) {
			/* Checked again, for the message. */
			p = (const char *)r->map + pt[i].fataloff;
			if (pt[i].fataloff < r->maplen && ts_line(r, p) == 0) {
				(void)bk_fields(r, kc, &m);
				ts_fatal(r);
			}
			if (pt[i].fataloff >= r->maplen || r->errline < 0)
				die(EX_DATAERR, "%s: offset %llu: not a record of %s: damaged index",
				    x->name, (unsigned long long)pt[i].fataloff, r->in.name);
			ts_fatal(r);
		}
	}
	for (i = 0; i < HPARTS; i++) {
		free(pt[i].r.f);
		free(pt[i].r.cents);
		if (cd != NULL)
			free(pt[i].hs.h);
		free(pt[i].bs);
		free(pt[i].bad);
	}
}

/*
 * Sort on off, least significant 11 bits first, stable, skipping the
 * passes where every off agrees: off <= maxoff.
 * Then, if tie is given, each run of equal offs sorted with it.
 */
static void
rsort(struct cand *a, size_t n, uint64_t maxoff, int (*tie)(const void *, const void *))
{
	struct cand *t = xmalloc((n ? n : 1) * sizeof *t), *src = a, *dst = t, *sw;
	size_t cnt[2048], i, j, s, v;
	int sh;

	for (sh = 0; sh < 64 && (maxoff >> sh) != 0; sh += 11) {
		memset(cnt, 0, sizeof cnt);
		for (i = 0; i < n; i++)
			cnt[(src[i].off >> sh) & 2047]++;
		if (n == 0 || cnt[(src[0].off >> sh) & 2047] == n)
			continue;	/* every key agrees on these bits */
		for (i = 0, s = 0; i < 2048; i++) {
			v = cnt[i];
			cnt[i] = s;
			s += v;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].off >> sh) & 2047]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	free(t);
	for (i = 0; tie != NULL && i < n; i = j) {
		for (j = i + 1; j < n && a[j].off == a[i].off; j++)
			;
		if (j - i > 8)
			qsort(a + i, j - i, sizeof *a, tie);
		else
			for (s = i + 1; s < j; s++)	/* a few: by insertion */
				for (v = s; v > i && tie(&a[v - 1], &a[v]) > 0; v--) {
					struct cand x = a[v];

					a[v] = a[v - 1];
					a[v - 1] = x;
				}
	}
}

static void
scanmaster(struct ts_reader *r, const int *c, const int *kc)
{
	struct mpart mp[MPARTS];
	void *args[MPARTS];
	long base[MPARTS];
	struct mhits all;
	int i;
	size_t k;

	if (bloom == NULL) {
		/* 16 bits a slot: a block of 512 bits for 32 slots. */
		bloom = bigalloc((ktmask + 1) / 32 * 8 * sizeof *bloom);
		bloommask = (ktmask + 1) / 32 - 1;
		for (k = 0; k <= ktmask; k++)
			if (kt[k].kind1 != 0)
				bloomset(kt[k].h);
	}
	for (i = 0; i < MPARTS; i++) {
		memset(&mp[i], 0, sizeof mp[i]);
		mp[i].kc = kc;
		args[i] = &mp[i];
	}
	if (ts_scan(r, MPARTS, masterrec, args, base) < 0)
		ts_fatal(r);
	/* The hits of the parts end to end, their lines counted from 1. */
	for (i = 0; i < MPARTS; i++) {
		mtest(&mp[i], &mp[i].rec[mp[i].cur ^ 1]);
		for (k = 0; k < mp[i].hits.n; k++)
			mp[i].hits.h[k].lineno += base[i];
		if (i == 0)
			all = mp[0].hits;
		else {
			for (k = 0; k < mp[i].hits.n; k++)
				*addhit(&all) = mp[i].hits.h[k];
			free(mp[i].hits.h);
		}
	}
	keephits(r, c, kc, all.h, NULL, all.n, NULL);
	free(all.h);
	for (i = 0; i < MPARTS; i++)
		arena_free(&mp[i].ar);
}

static void
indexmaster(struct ts_reader *r, const int *c, const int *kc, struct bx *x)
{
	struct cand *cd = NULL;
	size_t nc = 0, cap = 0, i;
	uint64_t h, lo, hi, eh, ref, q, rel = 0;
	const struct kent *e;

	for (i = 0; i <= ktmask; i++) {
		if ((e = &kt[i])->kind1 == 0)
			continue;
		h = e->h;
		bx_bucket(x, h, &lo, &hi);
		for (q = lo; q < hi; q++) {
			bx_entry(x, q, &eh, &ref);
			if (eh > h)
				break;
			if (eh < h || (int)(ref & 3) != e->kind1 - 1)
				continue;
			if (nc == cap) {
				cap = cap ? cap * 2 : 4096;
				cd = xrealloc(cd, cap * sizeof *cd);
			}
			cd[nc].off = ref;	/* offset << 2 | kind */
			cd[nc].ent = (uint32_t)i;
			cd[nc++].rep = e->rep;
		}
		/* The index behind, 32 MiB at a time, given back. */
		if (lo > rel && (lo - rel) * 16 >= (32 << 20)) {
			pages_release((const char *)x->ent + 16 * rel,
			    (const char *)x->ent + 16 * lo);
			rel = lo;
		}
	}
	rsort(cd, nc, (uint64_t)r->maplen << 2 | 3, NULL);
	keephits(r, c, kc, NULL, cd, nc, x);
	free(cd);
}

/*
 * The indexed masters checked whole while their records are read: each
 * index's CRC-32, each master's against its trailer, which must be the
 * one the index was made of.  In a thread of its own, on copies of the
 * readers; its verdict is waited for before anything is decided.
 */
struct mcheck {
	struct ts_reader r;	/* a copy of the master's reader */
	struct bx *x;
	int rc;			/* -1 index, -2 master */
};
static struct mcheck *mchecks;
static int nmchecks;
static pthread_t mcheckth;

static void *
checkmasters(void *arg)
{
	struct mcheck *m;
	int i;

	(void)arg;
	for (i = 0; i < nmchecks; i++) {
		m = &mchecks[i];
		if (bx_verify(m->x) < 0)
			m->rc = -1;
		else if (ts_mapcheck(&m->r, m->x->mrec, m->x->msum) < 0)
			m->rc = -2;
		else if (m->r.crc != m->x->mcrc) {
			snprintf(m->x->err, sizeof m->x->err,
			    "not the index of %s: run benef-index on it again", m->r.in.name);
			m->rc = -1;
		}
	}
	return NULL;
}

/* A master opened, with its index if it has one. */
struct master {
	struct ts_reader r;
	struct bx x;
	int c[NBC], kc[BK_NCOL];
	int indexed;
};

static void
openmaster(struct master *m, const char *path, const char *index)
{
	int i;

	if (ts_open(&m->r, path, "benef-master", 1) < 0)
		ts_fatal(&m->r);
	for (i = 0; i < NBC; i++)
		m->c[i] = ts_needcol(&m->r, bcols[i]);
	bk_cols(&m->r, m->kc);
	m->indexed = index != NULL;
	if (!m->indexed)
		return;
	if (ts_map(&m->r) < 0)
		ts_fatal(&m->r);
	if (bx_open(&m->x, index, &m->r) < 0)
		die(m->x.noinput ? EX_NOINPUT : EX_DATAERR, "%s: %s", index, m->x.err);
	memcpy(&mchecks[nmchecks].r, &m->r, sizeof m->r);
	mchecks[nmchecks].x = &m->x;
	mchecks[nmchecks++].rc = 0;
}

static void
checkedmasters(void)
{
	int i;

	if (nmchecks == 0)
		return;
	pthread_join(mcheckth, NULL);
	for (i = 0; i < nmchecks; i++) {
		if (mchecks[i].rc == -1)
			die(EX_DATAERR, "%s: %s", mchecks[i].x->name, mchecks[i].x->err);
		if (mchecks[i].rc == -2)
			ts_fatal(&mchecks[i].r);
	}
}

/*
 * The rank of each beneficiary's family, (amc, contract) in byte order:
 * the order in which claims consume.  Masters come sorted; given in amc
 * order the ranks are the load order, else the families are sorted.
 */
static int
repcmp(const void *a, const void *b)
{
	const struct benef *x = &bens[*(const size_t *)a], *y = &bens[*(const size_t *)b];
	int d;

	if ((d = strcmp(x->amc, y->amc)) != 0)
		return d;
	return strcmp(x->contract, y->contract);
}

static void
families(void)
{
	size_t i, nf = 0, *rep;
	uint32_t *rank, r;
	int d, sorted = 1;

	for (i = 0; i < nbens; i++) {
		d = i == 0 ? 1 : repcmp(&i, &(size_t){ i - 1 });
		if (d < 0)
			sorted = 0;
		if (d != 0)
			nf++;
		bens[i].fam = (uint32_t)(nf - 1);
	}
	if (sorted || nf == 0)
		return;
	rep = xmalloc(nf * sizeof *rep);
	rank = xmalloc(nf * sizeof *rank);
	for (i = 0; i < nbens; i++)
		rep[bens[i].fam] = i;
	qsort(rep, nf, sizeof *rep, repcmp);
	for (i = 0, r = 0; i < nf; i++) {
		if (i > 0 && repcmp(&rep[i], &rep[i - 1]) != 0)
			r++;
		rank[bens[rep[i]].fam] = r;
	}
	for (i = 0; i < nbens; i++)
		bens[i].fam = rank[bens[i].fam];
	free(rep);
	free(rank);
}

/*
 * The beneficiary of a claim: exact identity, else a reconciliation key
 * naming exactly one beneficiary (flag identity).  -1 when none.
 */
static long
lookup(struct claim *c)
{
	const struct kent *e;
	int kind;

	for (kind = 0; kind < NKIND; kind++) {
		if (c->ke[kind] == UINT32_MAX)
			continue;
		e = &kt[c->ke[kind]];
		if (e->bi >= 0 && !e->amb) {
			if (kind != K_EXACT)
				c->flags |= F_IDENTITY;
			return e->bi;
		}
	}
	return -1;
}

/* PEC streams: into memory, sorted for the lookup. */

enum { P_AMC, P_NUM, P_NIR, P_BIRTH, P_RANG, P_PSK, P_PSN, P_DOM, P_ACTS,
	P_FROM, P_TO, P_AMT, NPC };
static const char *const pcols[NPC] = {
	"amc", "pec_number", "nir", "birth_date", "rang", "ps_kind",
	"ps_number", "domain", "act_codes", "valid_from", "valid_to", "amount_eur"
};

static void
loadpec(const char *path)
{
	struct ts_reader r;
	int c[NPC], i, st;
	long v;
	struct pec *p;
	const struct field *f;
	char *acts;

	if (ts_open(&r, path, "pec", 1) < 0)
		ts_fatal(&r);
	for (i = 0; i < NPC; i++)
		c[i] = ts_needcol(&r, pcols[i]);
	while ((st = ts_next(&r)) == 1) {
		if (npecs == cappecs) {
			cappecs = cappecs ? cappecs * 2 : 256;
			pecs = xrealloc(pecs, cappecs * sizeof *pecs);
		}
		p = &pecs[npecs];
		memset(p, 0, sizeof *p);
		f = r.f;
		p->amc = fdup(&f[c[P_AMC]]);
		p->number = fdup(&f[c[P_NUM]]);
		if (f[c[P_NUM]].n == 0)
			badfield(&r, "pec_number", "empty");
		if (f[c[P_NIR]].n != 13)
			badfield(&r, "nir", "not 13 characters");
		memcpy(p->nir, f[c[P_NIR]].p, 13);
		if (date_parse(f[c[P_BIRTH]].p, f[c[P_BIRTH]].n, &p->birth) < 0)
			badfield(&r, "birth_date", "not a date");
		if (int_parse(f[c[P_RANG]].p, f[c[P_RANG]].n, 0, 99, &v) < 0)
			badfield(&r, "rang", "not a rank");
		p->rang = (int)v;
		p->pskind = fdup(&f[c[P_PSK]]);
		p->psnum = fdup(&f[c[P_PSN]]);
		if ((p->dom = domidx(f[c[P_DOM]].p, f[c[P_DOM]].n)) < 0)
			badfield(&r, "domain", "not a domain");
		acts = arena(f[c[P_ACTS]].n + 3);
		snprintf(acts, f[c[P_ACTS]].n + 3, " %.*s ", (int)f[c[P_ACTS]].n,
		    f[c[P_ACTS]].p);
		p->acts = f[c[P_ACTS]].n ? acts : "";
		if (date_parse(f[c[P_FROM]].p, f[c[P_FROM]].n, &p->from) < 0)
			badfield(&r, "valid_from", "not a date");
		if (date_parse(f[c[P_TO]].p, f[c[P_TO]].n, &p->to) < 0)
			badfield(&r, "valid_to", "not a date");
		if (f[c[P_AMT]].n == 0 || r.cents[c[P_AMT]] < 0)
			badfield(&r, "amount_eur", "missing or negative");
		p->amount = r.cents[c[P_AMT]];
		npecs++;
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

static int
peccmp(const void *a, const void *b)
{
	const struct pec *x = a, *y = b;
	int d;

	if ((d = strcmp(x->amc, y->amc)) != 0 || (d = strcmp(x->nir, y->nir)) != 0)
		return d;
	if (x->birth != y->birth)
		return x->birth < y->birth ? -1 : 1;
	if (x->rang != y->rang)
		return x->rang < y->rang ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return strcmp(x->number, y->number);
}

/*
 * The PEC of a claim: LQ00 and *pp, LQ08 none for this beneficiary and
 * domain, LQ09 some, but none valid for this date, PS and act.
 */
static int
findpec(const struct claim *c, const struct benef *b, const struct pec **pp)
{
	size_t lo = 0, hi = npecs, m;
	struct pec key;
	int any = 0, haveact;
	char act[64];

	memset(&key, 0, sizeof key);
	key.amc = b->amc;
	memcpy(key.nir, b->nir, 14);
	key.birth = b->birth;
	key.rang = b->rang;
	key.from = NOSTART;
	key.number = "";
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (peccmp(&pecs[m], &key) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	haveact = actword(c, act, sizeof act);
	for (; lo < npecs; lo++) {
		const struct pec *p = &pecs[lo];

		if (strcmp(p->amc, b->amc) != 0 || strcmp(p->nir, b->nir) != 0 ||
		    p->birth != b->birth || p->rang != b->rang)
			break;
		if (p->dom != c->dom)
			continue;
		any = 1;
		if (cfeq(c, C_PSKIND, p->pskind) && cfeq(c, C_PSNUM, p->psnum) &&
		    (*p->acts == '\0' || (haveact && strstr(p->acts, act) != NULL)) &&
		    p->from <= c->date && c->date <= p->to) {
			*pp = p;
			return LQ00;
		}
	}
	return any ? LQ09 : LQ08;
}

/* Claims: every record into memory, with what the decisions need. */

static int readcols[NCC];

/*
 * The claims are read by ts_scan in two parts, each into its own array
 * and arena; the arrays are then put end to end, in file order.
 */
#define CPARTS 2
struct cpart {
	struct claim *cl;
	size_t n, cap;
	struct arena ar;
};

static int
claimrec(void *arg, struct ts_reader *r)
{
	struct cpart *cp = arg;
	struct claim *c;
	struct bk_key ck;
	int i, kind;
	char *p;
	long v;

	if (cp->n == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 4096;
		cp->cl = xrealloc(cp->cl, cp->cap * sizeof *cp->cl);
	}
	c = &cp->cl[cp->n];
	memset(c, 0, sizeof *c);
	/* Mapped, the line stays where it is; read through a buffer, copied. */
	if (r->map != NULL)
		c->ln = r->line;
	else {
		p = arena_in(&cp->ar, r->len + 1);
		memcpy(p, r->line, r->len);
		c->ln = p;
	}
	for (i = 0; i < NCK; i++) {
		const struct field *f;

		if (readcols[i] < 0)
			continue;	/* absent: empty */
		f = &r->f[readcols[i]];
		c->fo[i] = (uint16_t)(f->p - r->line);
		c->fl[i] = (uint16_t)f->n;
	}
	if (readcols[C_PAID] >= 0 && r->f[readcols[C_PAID]].n > 0) {
		c->paid = r->cents[readcols[C_PAID]];
		c->haspaid = 1;
	}
#define RF(i) (r->f[readcols[i]])
	if (CN(c, C_DUPID) == 0)
		return ts_error(r, "dup_id", "empty: not a stream dedup wrote");
	if (date_parse(CS(c, C_ACTDATE), CN(c, C_ACTDATE), &c->date) < 0)
		return ts_error(r, "act_date", "not a date");
	if (RF(C_FR).n == 0 || RF(C_BR).n == 0 || RF(C_AMO).n == 0)
		return ts_error(r, RF(C_FR).n == 0 ? "fr_eur" : RF(C_BR).n == 0 ?
		    "br_eur" : "amo_eur", "missing");
	c->fr = r->cents[readcols[C_FR]];
	c->br = r->cents[readcols[C_BR]];
	c->amo = r->cents[readcols[C_AMO]];
	c->rate = 0;
	if (RF(C_RATE).n != 0) {
		if (int_parse(RF(C_RATE).p, RF(C_RATE).n, -100000, 100000, &v) < 0)
			return ts_error(r, "amo_rate_bp", "not an integer");
		c->rate = v;
	}
	if (int_parse(RF(C_QTY).p, RF(C_QTY).n, -100000, 100000, &c->qty) < 0)
		return ts_error(r, "qty", "not an integer");
	if (cfeq(c, C_NATURE, "paid"))
		c->nature = N_PAID;
	else if (cfeq(c, C_NATURE, "regul"))
		c->nature = N_REGUL;
	else if (cfeq(c, C_NATURE, "cancel"))
		c->nature = N_CANCEL;
	else if (cfeq(c, C_NATURE, "reject"))
		c->nature = N_REJECT;
	else
		return ts_error(r, "nature", "not paid, regul, cancel or reject");
	if (cfeq(c, C_DUP, "first") || cfeq(c, C_DUP, "adjust"))
		c->dup = 0;
	else if (cfeq(c, C_DUP, "intra") || cfeq(c, C_DUP, "inter"))
		c->dup = 1;
	else
		return ts_error(r, "dup", "not first, intra, inter or adjust");
	c->tp = RF(C_TP).n == 1 && RF(C_TP).p[0] == '1';
	c->noemie = RF(C_FLOW).n >= 6 && memcmp(RF(C_FLOW).p, "noemie", 6) == 0;
	c->dom = actdomain(CS(c, C_ACTCODE), CN(c, C_ACTCODE));
	if (int_parse(CS(c, C_RANG), CN(c, C_RANG), 0, 99, &c->rk) < 0)
		c->rk = -1;
	if (date_parse(CS(c, C_BIRTH), CN(c, C_BIRTH), &c->birth) < 0)
		c->birth = NOSTART;
#undef RF
	ckey(c, &ck);
	for (kind = 0; kind < NKIND; kind++) {
		c->ke[kind] = UINT32_MAX;
		c->kh[kind] = c->rk < 0 || (c->birth == NOSTART && kind != K_NIRRANG) ? 0 :
		    bk_hash(kind, &ck);
	}
	cp->n++;
	return 0;
}

static void
loadclaims(struct ts_reader *r)
{
	struct cpart cp[CPARTS];
	void *args[CPARTS];
	long base[CPARTS];
	int i;

	for (i = 0; i < NCC; i++)
		readcols[i] = i == C_DUPREF || i == C_PAID ? ts_col(r, ccols[i]) :
		    ts_needcol(r, ccols[i]);
	r->keepmap = 1;		/* the claims' fields are read there till the end */
	memset(cp, 0, sizeof cp);
	for (i = 0; i < CPARTS; i++)
		args[i] = &cp[i];
	if (ts_scan(r, CPARTS, claimrec, args, base) < 0)
		ts_fatal(r);
	for (i = 0; i < CPARTS; i++)
		ncl += cp[i].n;
	cl = cp[0].cl;
	if (ncl > cp[0].n) {
		cl = xrealloc(cl, ncl * sizeof *cl);
		for (i = 1, ncl = cp[0].n; i < CPARTS; i++) {
			if (cp[i].n > 0)
				memcpy(&cl[ncl], cp[i].cl, cp[i].n * sizeof *cl);
			ncl += cp[i].n;
			free(cp[i].cl);
		}
	}
}

/* The rule of a claim: the first of the products in effect at d. */
static const struct rule *
findrule(struct claim *c, const struct benef *b, int32_t d)
{
	const struct guar *g = findguar(b->amc);
	const struct product *pr;
	const struct rule *r;
	int done[64], i, j, k, best, a, haveact = -1;
	char act[32];

	if (g == NULL || c->dom < 0)
		return NULL;
	a = age(b->birth, c->date);
	memset(done, 0, sizeof done);
	for (;;) {
		/* The next period covering d, in product order, then file order. */
		best = -1;
		for (i = 0; i < b->nprods && i < 64; i++)
			if (!done[i] && b->prods[i].start <= d && d <= b->prods[i].end &&
			    (best < 0 || b->prods[i].order < b->prods[best].order))
				best = i;
		if (best < 0)
			return NULL;
		done[best] = 1;
		for (j = 0; j < g->nprods; j++) {
			pr = &g->prods[j];
			if (strcmp(pr->ref, b->prods[best].ref) != 0)
				continue;
			for (k = 0; k < pr->nrules; k++) {
				r = &pr->rules[k];
				if (r->dom == c->dom && (*r->acts == '\0' ||
				    ((haveact < 0 ? (haveact = actword(c, act, sizeof act)) :
				    haveact) && strstr(r->acts, act) != NULL)) &&
				    a >= r->agemin && a <= r->agemax) {
					c->pref = pr->ref;
					c->rank = k + 1;
					return r;
				}
			}
		}
	}
}

static int
covered(const struct benef *b, int32_t d)
{
	int i;

	for (i = 0; i < b->nprods; i++)
		if (b->prods[i].start <= d && d <= b->prods[i].end)
			return 1;
	return 0;
}

static void
invkey(const struct claim *c, char *buf, size_t n)
{
	static const int part[3] = { C_PSKIND, C_PSNUM, C_INVOICE };
	size_t at = 0, m;
	int i;

	/* "kind:number:invoice", cut to n - 1 bytes. */
	for (i = 0; i < 3; i++) {
		if (i > 0 && at + 1 < n)
			buf[at++] = ':';
		m = CN(c, part[i]);
		if (m > n - 1 - at)
			m = n - 1 - at;
		memcpy(buf + at, CS(c, part[i]), m);
		at += m;
	}
	buf[at] = '\0';
}

static void
addevent(const struct claim *c, const struct benef *b, const char *counter,
    long count, int64_t amount)
{
	struct event *e;

	if (nev == capev) {
		capev = capev ? capev * 2 : 64;
		ev = xrealloc(ev, capev * sizeof *ev);
	}
	e = &ev[nev++];
	memset(e, 0, sizeof *e);
	scopy(e->member, sizeof e->member, b->member);
	scopy(e->counter, sizeof e->counter, counter);
	invkey(c, e->inv, sizeof e->inv);
	/* What a regularisation adds is the line's: given back with it. */
	if (c->nature != N_PAID && CN(c, C_DUPREF) > 0)
		bytecpy(e->claim, sizeof e->claim, CS(c, C_DUPREF), CN(c, C_DUPREF));
	else
		bytecpy(e->claim, sizeof e->claim, CS(c, C_DUPID), CN(c, C_DUPID));
	memcpy(e->bdate, today_s, sizeof e->bdate);
	e->date = c->date;
	e->count = count;
	e->amount = amount;
}

/*
 * What a plafond has counted for a claim: the sum of the amounts, and the
 * number of other invoices, of the events in its window.
 */
static int
counted(const struct plafond *p, const struct claim *c, const struct benef *b,
    int64_t *sum, long *ninv)
{
	int months = p->months, i, y, m, d, ey;
	int32_t lo = 0, hi = 0;
	size_t k, j;
	char inv[64];
	long tot;

	if (months) {
		for (i = 0; i < p->nage; i++)
			if (age(b->birth, c->date) <= p->agemax[i]) {
				months = p->agemonths[i];
				break;
			}
		lo = addmonths(c->date, -months);
		hi = addmonths(c->date, months);
	}
	date_to_ymd(c->date, &y, &m, &d);
	invkey(c, inv, sizeof inv);
	*sum = 0;
	*ninv = 0;
	for (k = 0; k < nev; k++) {
		const struct event *e = &ev[k];

		if (strcmp(e->counter, p->id) != 0 ||
		    (!p->family && strcmp(e->member, b->member) != 0))
			continue;
		if (months && !(e->date > lo && e->date < hi))
			continue;
		if (!months) {
			date_to_ymd(e->date, &ey, &m, &d);
			if (ey != y)
				continue;
		}
		if (money_add(sum, *sum, e->amount) < 0)
			return -1;
		if (strcmp(e->inv, inv) == 0)
			continue;
		/* An invoice counts once, when its counts add up above zero. */
		for (j = 0; j < k; j++)
			if (strcmp(ev[j].inv, e->inv) == 0 && strcmp(ev[j].counter, p->id) == 0 &&
			    (p->family || strcmp(ev[j].member, b->member) == 0))
				break;
		if (j < k)
			continue;
		tot = 0;
		for (j = k; j < nev; j++)
			if (strcmp(ev[j].inv, e->inv) == 0 && strcmp(ev[j].counter, p->id) == 0 &&
			    (p->family || strcmp(ev[j].member, b->member) == 0))
				tot += ev[j].count;
		if (tot > 0)
			(*ninv)++;
	}
	return 0;
}

static int64_t
pecused(const struct pec *p, const struct benef *b)
{
	char counter[48];
	int64_t s = 0;
	size_t k;

	snprintf(counter, sizeof counter, "pec:%s", p->number);
	for (k = 0; k < nev; k++)
		if (strcmp(ev[k].counter, counter) == 0 && strcmp(ev[k].member, b->member) == 0)
			s += ev[k].amount;
	return s;
}

/* The formula of a rule, before any bound; -1 on overflow. */
static int
formula(const struct rule *r, const struct claim *c, int64_t fr, int64_t br,
    int64_t amoth, int64_t *x)
{
	int64_t t, q = c->qty < 0 ? -c->qty : c->qty;

	switch (r->formula) {
	case FO_BR:
		return money_rate(&t, br, r->rate) < 0 ? -1 : money_sub(x, t, amoth);
	case FO_BRSUP:
		return money_rate(x, br, r->rate);
	case FO_FR:
		return money_rate(x, fr, r->rate);
	case FO_FIXE:
		return __builtin_mul_overflow(r->amount, q, x) ? -1 : 0;
	default:
		t = fr;
		if (r->haslimit) {
			if (__builtin_mul_overflow(r->limit, q, &t))
				return -1;
			if (t > fr)
				t = fr;
		}
		return money_sub(x, t, amoth);
	}
}

/*
 * The lines the day's adjustments refer to (dup_ref), with what is left
 * paid on each: by the ledger (dedup's dup_paid_eur) for a line of an
 * earlier day, by the day's own decision for a line of the day; then
 * less what the day recovers, plus what it pays again.  Open addressing
 * on the bytes of the reference.
 */
struct lref {
	const char *p;
	size_t n;
	int64_t net;
};
static struct lref *lrefs;
static size_t lrefcap;

static struct lref *
refget(const struct claim *c)
{
	const char *p = CS(c, C_DUPREF);
	size_t n = CN(c, C_DUPREF), i, m = lrefcap - 1;
	uint64_t h = 0xcbf29ce484222325ULL;
	struct lref *e;
	int32_t d;
	long k;

	if (n == 0 || lrefcap == 0)
		return NULL;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	for (i = (size_t)(h ^ h >> 32) & m; lrefs[i].p != NULL; i = (i + 1) & m)
		if (bytecmp(lrefs[i].p, lrefs[i].n, p, n) == 0)
			return &lrefs[i];
	e = &lrefs[i];
	e->p = p;
	e->n = n;
	e->net = 0;
	if (n > 11 && p[10] == '#' && date_parse(p, 10, &d) == 0 && d == today) {
		/* A line of the day: its record number is its place. */
		if (int_parse(p + 11, n - 11, 1, LONG_MAX, &k) == 0 && (size_t)k <= ncl &&
		    bytecmp(CS(&cl[k - 1], C_DUPID), CN(&cl[k - 1], C_DUPID), p, n) == 0 &&
		    cl[k - 1].decided && (codedest[cl[k - 1].code] == D_PS ||
		    codedest[cl[k - 1].code] == D_PSREC))
			e->net = cl[k - 1].amc;
	} else if (c->haspaid)
		e->net = c->paid;
	return e;
}

/*
 * Give back what the line ref consumed of each plafond and PEC: the sum
 * of its events under each counter, negated (all of it: a cancellation,
 * with its count), or at most x of each (a partial regularisation: the
 * equipment stays, count 0).  Its events are the family's, in ev.
 */
static void
giveback(const struct claim *c, int all, int64_t x)
{
	size_t k, j, n0 = nev;
	char ref[48];
	struct event e;
	long cnt;
	int64_t amt;

	bytecpy(ref, sizeof ref, CS(c, C_DUPREF), CN(c, C_DUPREF));
	for (k = 0; k < n0; k++) {
		if (strcmp(ev[k].claim, ref) != 0)
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(ev[j].claim, ref) == 0 && strcmp(ev[j].counter, ev[k].counter) == 0 &&
			    strcmp(ev[j].member, ev[k].member) == 0)
				break;
		if (j < k)
			continue;	/* this counter done */
		cnt = 0;
		amt = 0;
		for (j = k; j < n0; j++)
			if (strcmp(ev[j].claim, ref) == 0 && strcmp(ev[j].counter, ev[k].counter) == 0 &&
			    strcmp(ev[j].member, ev[k].member) == 0) {
				cnt += ev[j].count;
				if (money_add(&amt, amt, ev[j].amount) < 0)
					die(EX_DATAERR, "%s: consumption of %s out of range", ev[j].counter, ref);
			}
		if (!all) {
			cnt = 0;
			if (amt > x)
				amt = x;
		}
		if (amt <= 0 && cnt <= 0)
			continue;
		e = ev[k];
		if (nev == capev) {
			capev = capev ? capev * 2 : 64;
			ev = xrealloc(ev, capev * sizeof *ev);
		}
		e.count = -cnt;
		e.amount = -amt;
		memcpy(e.bdate, today_s, sizeof e.bdate);
		ev[nev++] = e;
	}
	(void)c;
}

/* One claim's decision; consumption in ev. */
static void
decide(struct claim *c)
{
	const struct benef *b = NULL;
	const struct rule *ru = NULL;
	const struct pec *pe = NULL;
	const struct plafond *pl = NULL;
	int code, cancel, psrec = 0, open;
	struct lref *lr = NULL;
	int64_t fr, br, amo, amoth, x, bound, s = 0, left;
	long n = 0;
	int32_t at;
	char counter[48];

	cancel = c->nature == N_CANCEL || (c->nature == N_REGUL && c->fr < 0);
	if (money_rate(&c->amoth, c->br, c->rate) < 0)
		c->amoth = 0;
	/*
	 * An AMO rejection of a line paid: recovered from the PS, and what
	 * it consumed given back.  A cancellation of a line paid: what is
	 * left paid on it, the same way; of a line never paid, or already
	 * recovered, nothing (LQ18).
	 */
	if (c->nature != N_PAID)
		lr = refget(c);
	if (c->nature == N_REJECT || c->nature == N_CANCEL) {
		if (lr == NULL || lr->net <= 0) {
			code = c->nature == N_REJECT ? LQ13 : LQ18;
			goto done;
		}
		x = lr->net;
		giveback(c, 1, x);
		lr->net = 0;
		c->amc = -x;
		code = c->nature == N_REJECT ? LQ19 : LQ16;
		goto done;
	}
	if (cancel && (lr == NULL || lr->net <= 0)) {
		code = LQ18;
		goto done;
	}
	if (c->bi < 0) {
		code = LQ01;
		goto done;
	}
	b = &bens[c->bi];
	at = c->date;
	open = covered(b, c->date);
	if (!open && c->date > b->rend && b->rend != NOEND)
		at = b->rend;
	if (!cancel) {
		if (!open) {
			if (c->date > b->rend && b->active && b->tpstart <= c->date &&
			    c->date <= b->tpend)
				psrec = 1;
			else {
				code = LQ02;
				goto done;
			}
		}
		if (!b->active || c->date < b->tpstart || c->date > b->tpend) {
			code = LQ04;
			goto done;
		}
		if (b->susstart <= c->date && c->date <= b->susend) {
			code = LQ05;
			goto done;
		}
		if (c->dom >= 0 && b->doms != 0 && !(b->doms & (1u << c->dom))) {
			code = LQ06;
			goto done;
		}
	}
	if ((ru = findrule(c, b, at)) == NULL) {
		code = LQ07;
		goto done;
	}
	if (ru->plaf >= 0)
		pl = &findguar(b->amc)->plafs[ru->plaf];
	if (!cancel) {
		if (ru->pec && (code = findpec(c, b, &pe)) != LQ00)
			goto done;
		if (c->noemie && !c->tp) {
			code = LQ10;
			goto done;
		}
		if (c->dup) {
			code = LQ11;
			goto done;
		}
	}
	/* Amounts: those of the act a cancellation undoes. */
	fr = c->fr, br = c->br, amo = c->amo;
	if (cancel) {
		if (fr == INT64_MIN || br == INT64_MIN || amo == INT64_MIN) {
			code = LQ12;
			goto done;
		}
		fr = -fr, br = -br, amo = -amo;
	}
	if (br < 0 || fr < 0 || amo < 0 || c->rate < 0 || c->rate > 10000 ||
	    money_rate(&amoth, br, c->rate) < 0 || amo > amoth || fr < amo ||
	    formula(ru, c, fr, br, amoth, &x) < 0) {
		code = LQ12;
		goto done;
	}
	/* A contrat responsable leaves PF and franchises to the insured. */
	bound = b->responsable ? fr - amoth : fr - amo;
	if (x > bound)
		x = bound;
	if (x < 0)
		x = 0;
	if (cancel) {
		/* A negative regularisation: the part it cancels, at most what is left. */
		if (x > lr->net)
			x = lr->net;
		if (x == 0) {
			code = LQ17;
			goto done;
		}
		giveback(c, 0, x);
		lr->net -= x;
		c->amc = -x;
		code = LQ16;
		goto done;
	}
	if (pl != NULL) {
		if (counted(pl, c, b, &s, &n) < 0) {
			code = LQ12;
			goto done;
		}
		if (pl->count > 0 && n >= pl->count) {
			code = LQ15;
			goto done;
		}
	}
	if (pe != NULL) {
		left = pe->amount - pecused(pe, b);
		if (left <= 0) {
			code = LQ14;
			goto done;
		}
		if (x > left)
			x = left, c->flags |= F_CAPPED;
	}
	if (pl != NULL && pl->hasamt) {
		left = pl->amount - s;
		if (left <= 0) {
			code = LQ14;
			goto done;
		}
		if (x > left)
			x = left, c->flags |= F_CAPPED;
	}
	if (x == 0) {
		code = LQ17;
		goto done;
	}
	c->amc = x;
	if (pl != NULL)
		addevent(c, b, pl->id, 1, x);
	if (pe != NULL) {
		snprintf(counter, sizeof counter, "pec:%s", pe->number);
		addevent(c, b, counter, 1, x);
	}
	code = psrec ? LQ03 : LQ00;
	if (lr != NULL && money_add(&lr->net, lr->net, x) < 0)
		die(EX_DATAERR, "claim %.*s: amounts out of range", (int)CN(c, C_DUPID),
		    CS(c, C_DUPID));
done:
	c->code = code;
	c->decided = 1;
	if (money_sub(&s, c->fr, c->amo) < 0 || money_sub(&c->rac, s, c->amc) < 0)
		die(EX_DATAERR, "%.*s: claim %.*s: amounts out of range", (int)CN(c, C_FILE),
		    CS(c, C_FILE), (int)CN(c, C_DUPID), CS(c, C_DUPID));
	c->rec = codedest[code] == D_PSREC ? c->amc : codedest[code] == D_RECPS ? -c->amc : 0;
}

/*
 * In the consumption order, claims and their beneficiaries are anywhere
 * in memory: those a few places ahead fetched while one is decided, the
 * claim first, then what it points to.
 */
static void
ahead(const size_t *ord, size_t j, size_t n)
{
#ifdef __GNUC__
	const struct claim *c;
	const char *p;
	size_t i;

	if (j + 16 < n)
		for (p = (const char *)&cl[ord[j + 16]], i = 0; i < sizeof *c; i += 64)
			__builtin_prefetch(p + i);
	if (j + 8 < n) {
		c = &cl[ord[j + 8]];
		__builtin_prefetch(&bens[c->bi]);
		__builtin_prefetch(CS(c, C_PSKIND));
		__builtin_prefetch(CS(c, C_ACTCODE));
		__builtin_prefetch(CS(c, C_DUPID));
	}
#else
	(void)ord, (void)j, (void)n;
#endif
}

/* Digit strings compare as numbers, when they are. */
static int
numcmp(const char *a, size_t m, const char *b, size_t n)
{
	size_t i;

	if (m != n) {
		for (i = 0; i < m && a[i] >= '0' && a[i] <= '9'; i++)
			;
		if (i == m) {
			for (i = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++)
				;
			if (i == n)
				return m < n ? -1 : 1;
		}
	}
	return bytecmp(a, m, b, n);
}

/* The consumption order: family, act date, PS, invoice, line, input. */
static int
ordcmp(const void *pa, const void *pb)
{
	const struct claim *x = &cl[*(const size_t *)pa], *y = &cl[*(const size_t *)pb];
	const struct benef *bx = &bens[x->bi], *by = &bens[y->bi];
	int d;

	if (bx->fam != by->fam)
		return bx->fam < by->fam ? -1 : 1;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
#define FCMP(i) bytecmp(CS(x, i), CN(x, i), CS(y, i), CN(y, i))
	if ((d = FCMP(C_PSKIND)) != 0 || (d = FCMP(C_PSNUM)) != 0 ||
	    (d = FCMP(C_INVOICE)) != 0 ||
	    (d = numcmp(CS(x, C_LINENO), CN(x, C_LINENO), CS(y, C_LINENO),
	    CN(y, C_LINENO))) != 0)
		return d;
#undef FCMP
	return x < y ? -1 : x > y;
}

static int
okcmp(const void *pa, const void *pb)
{
	const struct cand *x = pa, *y = pb;
	size_t i = x->ent, j = y->ent;

	return ordcmp(&i, &j);
}

static int
evcmp(const void *pa, const void *pb)
{
	const struct event *x = pa, *y = pb;
	int d;

	if ((d = strcmp(x->member, y->member)) != 0 || (d = strcmp(x->counter, y->counter)) != 0)
		return d;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if ((d = strcmp(x->claim, y->claim)) != 0 || (d = strcmp(x->bdate, y->bdate)) != 0)
		return d;
	return strcmp(x->inv, y->inv);
}

/* The previous consumption generation, read along the families. */
enum { E_AMC, E_CONTRACT, E_MEMBER, E_COUNTER, E_DATE, E_INV, E_COUNT,
	E_AMT, E_CLAIM, E_BDATE, NEC };
static const char *const ecols[NEC] = {
	"amc", "contract", "member_ref", "counter", "act_date", "invoice",
	"count", "amount_eur", "claim", "business_date"
};
static struct ts_reader cons;
static int ec[NEC], conshave;
static char lastkey[512];
static struct event cur;
static char curamc[16], curcontract[40];

static void
cfield(char *dst, size_t n, int col, const char *name)
{
	const struct field *f = &cons.f[ec[col]];

	if (f->n >= n || memchr(f->p, '\0', f->n) != NULL)
		badfield(&cons, name, "too long");
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
}

static void
consnext(void)
{
	int st;
	char key[512];

	if (!conshave)
		return;
	if ((st = ts_next(&cons)) < 0)
		ts_fatal(&cons);
	if (st == 0) {
		conshave = 0;
		return;
	}
	memset(&cur, 0, sizeof cur);
	cfield(curamc, sizeof curamc, E_AMC, "amc");
	cfield(curcontract, sizeof curcontract, E_CONTRACT, "contract");
	cfield(cur.member, sizeof cur.member, E_MEMBER, "member_ref");
	cfield(cur.counter, sizeof cur.counter, E_COUNTER, "counter");
	cfield(cur.inv, sizeof cur.inv, E_INV, "invoice");
	cfield(cur.claim, sizeof cur.claim, E_CLAIM, "claim");
	cfield(cur.bdate, sizeof cur.bdate, E_BDATE, "business_date");
	if (date_parse(cons.f[ec[E_DATE]].p, cons.f[ec[E_DATE]].n, &cur.date) < 0)
		badfield(&cons, "act_date", "not a date");
	if (int_parse(cons.f[ec[E_COUNT]].p, cons.f[ec[E_COUNT]].n, -1, 1, &cur.count) < 0)
		badfield(&cons, "count", "not 1 or -1");
	cur.amount = cons.cents[ec[E_AMT]];
	/* The generation must be sorted as it was written: it is merge-joined. */
	snprintf(key, sizeof key, "%s\t%s\t%s\t%s\t%010ld\t%s", curamc, curcontract,
	    cur.member, cur.counter, (long)cur.date + 1000000000L, cur.claim);
	if (strcmp(key, lastkey) < 0)
		badfield(&cons, NULL, "not sorted on amc, contract, member_ref, counter, "
		    "act_date, claim");
	memcpy(lastkey, key, sizeof key);
}

static int
famcmp(const char *amc, const char *contract)
{
	int d;

	if ((d = strcmp(curamc, amc)) != 0)
		return d;
	return strcmp(curcontract, contract);
}

static struct ts_writer cw;
static uint64_t nevout;

static void
wevent(const char *amc, const char *contract, const struct event *e)
{
	if (e->date < cutoff)
		return;
	ts_wcstr(&cw, amc);
	ts_wcstr(&cw, contract);
	ts_wcstr(&cw, e->member);
	ts_wcstr(&cw, e->counter);
	ts_wdate(&cw, e->date);
	ts_wcstr(&cw, e->inv);
	ts_wint(&cw, e->count);
	ts_wmoney(&cw, e->amount);
	ts_wcstr(&cw, e->claim);
	ts_wcstr(&cw, e->bdate);
	ts_wend(&cw);
	nevout++;
}

/* Copy the events of the families before amc, contract (all: NULL). */
static void
consupto(const char *amc, const char *contract)
{
	while (conshave && (amc == NULL || famcmp(amc, contract) < 0)) {
		wevent(curamc, curcontract, &cur);
		consnext();
	}
}

/* The decision stream. */
static const char *const dcols[] = {
	"claim", "file", "line", "pos", "amc", "contract", "member_ref",
	"ps_kind", "ps_number", "invoice", "line_no", "act_date", "act_code",
	"domain", "nature", "dup", "product", "rule", "fr_eur", "br_eur",
	"amo_th_eur", "amo_eur", "amc_eur", "rac_eur", "recover_eur", "dest",
	"code", "flag"
};
#define NDC ((int)(sizeof dcols / sizeof dcols[0]))

static void
wdecision(struct ts_writer *w, const struct claim *c)
{
	const struct benef *b = c->bi >= 0 ? &bens[c->bi] : NULL;
	char code[8];

	ts_wstr(w, CS(c, C_DUPID), CN(c, C_DUPID));
	ts_wstr(w, CS(c, C_FILE), CN(c, C_FILE));
	ts_wstr(w, CS(c, C_LINE), CN(c, C_LINE));
	ts_wstr(w, CS(c, C_POS), CN(c, C_POS));
	ts_wstr(w, CS(c, C_AMC), CN(c, C_AMC));
	ts_wcstr(w, b ? b->contract : "");
	ts_wcstr(w, b ? b->member : "");
	ts_wstr(w, CS(c, C_PSKIND), CN(c, C_PSKIND));
	ts_wstr(w, CS(c, C_PSNUM), CN(c, C_PSNUM));
	ts_wstr(w, CS(c, C_INVOICE), CN(c, C_INVOICE));
	ts_wstr(w, CS(c, C_LINENO), CN(c, C_LINENO));
	ts_wstr(w, CS(c, C_ACTDATE), CN(c, C_ACTDATE));
	ts_wstr(w, CS(c, C_ACTCODE), CN(c, C_ACTCODE));
	ts_wcstr(w, c->dom >= 0 ? domnames[c->dom] : "");
	ts_wstr(w, CS(c, C_NATURE), CN(c, C_NATURE));
	ts_wstr(w, CS(c, C_DUP), CN(c, C_DUP));
	ts_wcstr(w, c->pref ? c->pref : "");
	if (c->rank)
		ts_wint(w, c->rank);
	else
		ts_wcstr(w, "");
	ts_wmoney(w, c->fr);
	ts_wmoney(w, c->br);
	ts_wmoney(w, c->amoth);
	ts_wmoney(w, c->amo);
	ts_wmoney(w, c->amc);
	ts_wmoney(w, c->rac);
	ts_wmoney(w, c->rec);
	ts_wcstr(w, dests[codedest[c->code]]);
	code[0] = 'L';
	code[1] = 'Q';
	code[2] = (char)('0' + c->code / 10 % 10);
	code[3] = (char)('0' + c->code % 10);
	ts_wstr(w, code, 4);
	ts_wcstr(w, (c->flags & (F_IDENTITY | F_CAPPED)) == (F_IDENTITY | F_CAPPED) ?
	    "identity,capped" : c->flags & F_IDENTITY ? "identity" :
	    c->flags & F_CAPPED ? "capped" : "");
	ts_wend(w);
}

/*
 * The decisions in the claims' order: the second half formatted into
 * memory by another thread while the first is written, then appended.
 */
struct wpart {
	struct ts_writer *w;
	size_t a, b;
};

static void *
wwork(void *arg)
{
	struct wpart *p = arg;
	size_t k;

	for (k = p->a; k < p->b; k++) {
#ifdef __GNUC__
		/* The beneficiaries ahead, then their strings. */
		if (k + 8 < p->b && cl[k + 8].bi >= 0)
			__builtin_prefetch(&bens[cl[k + 8].bi]);
		if (k + 4 < p->b && cl[k + 4].bi >= 0)
			__builtin_prefetch(bens[cl[k + 4].bi].contract);
#endif
		wdecision(p->w, &cl[k]);
	}
	return NULL;
}

static void
wdecisions(struct ts_writer *w)
{
	struct ts_writer part;
	struct wpart first = { w, 0, ncl / 2 }, second = { &part, ncl / 2, ncl };
	pthread_t th;
	int threaded;

	ts_wpart(&part, w);
	threaded = ncl >= 4096 && pthread_create(&th, NULL, wwork, &second) == 0;
	if (!threaded)
		first.b = ncl;
	wwork(&first);
	if (threaded)
		pthread_join(th, NULL);
	ts_wappend(w, &part);
}

/*
 * The stage summary (-s, tiers-summary(5)): per item AMC/DOMAIN, the
 * decisions paid (ps, ps-recover: their AMC), to recover (ps-recover,
 * recover-ps: the amount to recover) and rejected (their RAC), counted
 * and summed in cents with the run's control sums, from the decisions in
 * memory: the stream written is not read again.  The groups are an
 * open-addressing table on (amc, domain), the last one of each domain
 * kept at hand: a day's claims come in runs of one client.
 */
enum { S_CLIENT, S_PAID, S_RECOVER, S_REJECTED, NSK };	/* in byte order */
static const char *const sknames[NSK] = { "client", "paid", "recover", "rejected" };
struct sgroup {
	const char *amc;	/* in the claims' text */
	size_t amcn;
	int dom, used;
	uint64_t n[NSK];
	int64_t a[NSK];
	char *item;
	size_t itemn;
};
static struct sgroup *sg;
static size_t sgcap, nsg, sglast[NDOM + 1];	/* by domain + 1: group + 1, or 0 */
static uint64_t nsummed;

static size_t
sgfind(const char *amc, size_t n, int dom)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i, m = sgcap - 1;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)amc[i]) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)(dom + 1)) * 0x100000001b3ULL;
	for (i = (size_t)(h ^ h >> 32) & m; sg[i].used; i = (i + 1) & m)
		if (sg[i].dom == dom && bytecmp(sg[i].amc, sg[i].amcn, amc, n) == 0)
			break;
	return i;
}

static void
sumkind(struct sgroup *g, int k, int64_t cents, const char *path)
{
	g->n[k]++;
	if (money_add(&g->a[k], g->a[k], cents) < 0)
		die(EX_DATAERR, "%s: %s: amount_eur out of range", path, sknames[k]);
}

static void
sumadd(const struct claim *c, const char *path)
{
	struct sgroup *g;
	int d = codedest[c->code];
	size_t i;

	g = sglast[c->dom + 1] ? &sg[sglast[c->dom + 1] - 1] : NULL;
	if (g == NULL || bytecmp(g->amc, g->amcn, CS(c, C_AMC), CN(c, C_AMC)) != 0) {
		if (4 * (nsg + 1) > 3 * sgcap) {
			struct sgroup *old = sg;
			size_t oc = sgcap;

			sgcap = sgcap ? sgcap * 2 : 64;
			sg = xmalloc(sgcap * sizeof *sg);
			memset(sg, 0, sgcap * sizeof *sg);
			for (i = 0; i < oc; i++)
				if (old[i].used)
					sg[sgfind(old[i].amc, old[i].amcn, old[i].dom)] = old[i];
			free(old);
			memset(sglast, 0, sizeof sglast);
		}
		i = sgfind(CS(c, C_AMC), CN(c, C_AMC), c->dom);
		sglast[c->dom + 1] = i + 1;
		g = &sg[i];
		if (!g->used) {
			g->used = 1;
			g->amc = CS(c, C_AMC);
			g->amcn = CN(c, C_AMC);
			g->dom = c->dom;
			nsg++;
		}
	}
	if (d == D_PS || d == D_PSREC)
		sumkind(g, S_PAID, c->amc, path);
	if (d == D_PSREC || d == D_RECPS)
		sumkind(g, S_RECOVER, c->rec, path);
	if (d == D_REJECT)
		sumkind(g, S_REJECTED, c->rac, path);
	if (d == D_CLIENT)
		sumkind(g, S_CLIENT, c->rac, path);
	nsummed++;
}

static int
itemcmp(const void *pa, const void *pb)
{
	const struct sgroup *x = *(struct sgroup *const *)pa, *y = *(struct sgroup *const *)pb;

	return bytecmp(x->item, x->itemn, y->item, y->itemn);
}

/* The rows, in byte order of (item, kind); one decision summed for each written. */
static void
wsummary(int fd, const char *path, uint64_t written)
{
	static const char *const scols[] = { "item", "kind", "records", "amount_eur" };
	struct sgroup **o = xmalloc((nsg ? nsg : 1) * sizeof *o);
	struct ts_writer w;
	const char *dn;
	char meta[64];
	size_t i, j = 0, n;
	int k;

	if (nsummed != written)
		die(EX_SOFTWARE, "%s: conservation: %llu decisions summed, %llu written", path,
		    (unsigned long long)nsummed, (unsigned long long)written);
	for (i = 0; i < sgcap; i++) {
		if (!sg[i].used)
			continue;
		dn = sg[i].dom >= 0 ? domnames[sg[i].dom] : "-";
		n = strlen(dn);
		sg[i].item = xmalloc(sg[i].amcn + 1 + n);
		memcpy(sg[i].item, sg[i].amc, sg[i].amcn);
		sg[i].item[sg[i].amcn] = '/';
		memcpy(sg[i].item + sg[i].amcn + 1, dn, n);
		sg[i].itemn = sg[i].amcn + 1 + n;
		o[j++] = &sg[i];
	}
	qsort(o, j, sizeof *o, itemcmp);
	ts_wopen(&w, fd, path, "stage-summary", 1, scols, 4);
	ts_wmeta(&w, "stage\tliquidate");
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	for (i = 0; i < j; i++) {
		for (k = 0; k < NSK; k++) {
			if (o[i]->n[k] == 0)
				continue;
			ts_wstr(&w, o[i]->item, o[i]->itemn);
			ts_wcstr(&w, sknames[k]);
			ts_wint(&w, (long long)o[i]->n[k]);
			ts_wmoney(&w, o[i]->a[k]);
			ts_wend(&w);
		}
		free(o[i]->item);
	}
	ts_wclose(&w);
	free(o);
	free(sg);
}

static void
usage(void)
{
	fprintf(stderr, "usage: liquidate -C new-consumption -d date [-c consumption] "
	    "[-g guarantees]...\n"
	    "                 [-m master [-x index]]... [-o decisions] [-p pec]...\n"
	    "                 [-s summary] [claims]\n");
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *date = NULL, *prevcons = NULL, *newcons = NULL, *out = NULL;
	const char *sumpath = NULL;
	const char *input;
	char **gfiles, **mfiles, **xfiles, **pfiles, meta[64];
	int ngf = 0, nmf = 0, npf = 0, ch, i;
	struct ts_reader r;
	struct ts_writer w;
	struct pub pd, pc, psum;
	struct master *ms;
	size_t *ord, k, j, nord = 0;
	int64_t sfr = 0, samo = 0, samc = 0, srac = 0, t;
	uint64_t ncode[NCODE];

	setprogname_(argv[0]);
	gfiles = xmalloc((size_t)argc * sizeof *gfiles);
	mfiles = xmalloc((size_t)argc * sizeof *mfiles);
	xfiles = xmalloc((size_t)argc * sizeof *xfiles);
	pfiles = xmalloc((size_t)argc * sizeof *pfiles);
	while ((ch = getopt(argc, argv, "C:c:d:g:m:o:p:s:x:")) != -1)
		switch (ch) {
		case 'C': newcons = optarg; break;
		case 'c': prevcons = optarg; break;
		case 'd': date = optarg; break;
		case 'g': gfiles[ngf++] = optarg; break;
		case 'm':
			xfiles[nmf] = NULL;
			mfiles[nmf++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'p': pfiles[npf++] = optarg; break;
		case 's': sumpath = optarg; break;
		case 'x':
			/* The index of the master named just before. */
			if (nmf == 0 || xfiles[nmf - 1] != NULL)
				usage();
			xfiles[nmf - 1] = optarg;
			break;
		default: usage();
		}
	argc -= optind;
	argv += optind;
	if (date == NULL || newcons == NULL || argc > 1)
		usage();
	if (date_parse(date, strlen(date), &today) < 0)
		die(EX_USAGE, "%s: not an ISO 8601 date (YYYY-MM-DD)", date);
	date_fmt(today, today_s);
	cutoff = addmonths(today, -RETAIN);
	input = argc == 1 ? argv[0] : "-";

	/* Parameters, rights and agreements first: all of them in memory. */
	LIBXML_TEST_VERSION
	xmlSubstituteEntitiesDefault(0);
	{
		xmlSchemaParserCtxtPtr sp;

		sp = xmlSchemaNewMemParserCtxt(guarantee_xsd, (int)strlen(guarantee_xsd));
		if (sp == NULL || (schema = xmlSchemaParse(sp)) == NULL)
			die(EX_SOFTWARE, "guarantee.xsd (built in): not a usable schema");
		xmlSchemaFreeParserCtxt(sp);
	}
	for (i = 0; i < ngf; i++)
		loadguar(gfiles[i]);
	for (i = 0; i < npf; i++)
		loadpec(pfiles[i]);
	if (npecs > 0)
		qsort(pecs, npecs, sizeof *pecs, peccmp);

	/*
	 * The masters opened, the indexed ones checked whole meanwhile; the
	 * claims, then the beneficiaries they name, and their families.
	 */
	ms = xmalloc((size_t)(nmf ? nmf : 1) * sizeof *ms);
	mchecks = xmalloc((size_t)(nmf ? nmf : 1) * sizeof *mchecks);
	for (i = 0; i < nmf; i++)
		openmaster(&ms[i], mfiles[i], xfiles[i]);
	if (nmchecks > 0 && pthread_create(&mcheckth, NULL, checkmasters, NULL) != 0)
		die(EX_OSERR, "pthread_create: %s", strerror(errno));
	if (ts_open(&r, input, "claim", 1) < 0)
		ts_fatal(&r);
	loadclaims(&r);
	for (k = 0, j = 0; k < ncl; k++)
		j += cl[k].nature != N_PAID;
	for (lrefcap = 16; lrefcap < 2 * j; lrefcap *= 2)
		;
	lrefs = xmalloc(lrefcap * sizeof *lrefs);
	memset(lrefs, 0, lrefcap * sizeof *lrefs);
	claimkeys();
	for (i = 0; i < nmf; i++) {
		if (ms[i].indexed)
			indexmaster(&ms[i].r, ms[i].c, ms[i].kc, &ms[i].x);
		else
			scanmaster(&ms[i].r, ms[i].c, ms[i].kc);
	}
	checkedmasters();
	for (i = 0; i < nmf; i++) {
		if (ms[i].indexed)
			bx_close(&ms[i].x);
		ts_close(&ms[i].r);
	}
	free(ms);
	free(mchecks);
	families();
	ord = xmalloc((ncl ? ncl : 1) * sizeof *ord);
	{
		/*
		 * Sorted on (family, act date) packed in one integer, the
		 * claims' own fields read only for ties.
		 */
		struct cand *ok = xmalloc((ncl ? ncl : 1) * sizeof *ok);
		uint64_t max = 0;

		for (k = 0; k < ncl; k++)
			if ((cl[k].bi = lookup(&cl[k])) >= 0) {
				ok[nord].off = (uint64_t)bens[cl[k].bi].fam << 32 |
				    ((uint32_t)cl[k].date ^ 0x80000000u);
				max |= ok[nord].off;
				ok[nord].rep = 0;
				ok[nord++].ent = (uint32_t)k;
			}
		rsort(ok, nord, max, okcmp);
		for (k = 0; k < nord; k++)
			ord[k] = ok[k].ent;
		free(ok);
	}

	if (prevcons != NULL) {
		if (ts_open(&cons, prevcons, "consumption", 1) < 0)
			ts_fatal(&cons);
		for (i = 0; i < NEC; i++)
			ec[i] = ts_needcol(&cons, ecols[i]);
		conshave = 1;
		consnext();
	}
	if (pub_open(&pc, newcons) < 0)
		die(EX_CANTCREAT, "%s: %s", newcons, strerror(errno));
	if (sumpath != NULL && pub_open(&psum, sumpath) < 0)
		die(EX_CANTCREAT, "%s: %s", sumpath, strerror(errno));
	ts_wopen(&cw, pc.fd, newcons, "consumption", 1, ecols, NEC);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&cw, meta);

	/* Family by family, in the consumption order. */
	for (k = 0; k < nord; k = j) {
		const struct benef *b = &bens[cl[ord[k]].bi];

		consupto(b->amc, b->contract);
		nev = 0;
		while (conshave && famcmp(b->amc, b->contract) == 0) {
			if (nev == capev) {
				capev = capev ? capev * 2 : 64;
				ev = xrealloc(ev, capev * sizeof *ev);
			}
			ev[nev++] = cur;
			consnext();
		}
		/* The family's payments, then its adjustments, which may undo them. */
		for (j = k; j < nord && bens[cl[ord[j]].bi].fam == b->fam; j++) {
			ahead(ord, j, nord);
			if (cl[ord[j]].nature == N_PAID)
				decide(&cl[ord[j]]);
		}
		for (i = 0; i < (int)(j - k); i++)
			if (cl[ord[k + (size_t)i]].nature != N_PAID)
				decide(&cl[ord[k + (size_t)i]]);
		if (nev > 0)
			qsort(ev, nev, sizeof *ev, evcmp);
		for (i = 0; i < (int)nev; i++)
			wevent(b->amc, b->contract, &ev[i]);
	}
	consupto(NULL, NULL);
	nev = 0;
	for (k = 0; k < ncl; k++)
		if (cl[k].bi < 0)
			decide(&cl[k]);
	if (prevcons != NULL)
		ts_close(&cons);

	/* Decisions in the claims' order, and the conservation check. */
	if (out != NULL) {
		if (pub_open(&pd, out) < 0)
			die(EX_CANTCREAT, "%s: %s", out, strerror(errno));
		ts_wopen(&w, pd.fd, out, "decision", 1, dcols, NDC);
	} else
		ts_wopen(&w, STDOUT_FILENO, "stdout", "decision", 1, dcols, NDC);
	ts_wmeta(&w, meta);
	memset(ncode, 0, sizeof ncode);
	for (k = 0; k < ncl; k++) {
		const struct claim *c = &cl[k];

		if (money_add(&sfr, sfr, c->fr) < 0 || money_add(&samo, samo, c->amo) < 0 ||
		    money_add(&samc, samc, c->amc) < 0 || money_add(&srac, srac, c->rac) < 0)
			die(EX_DATAERR, "%s: control sums out of range", input);
		ncode[c->code]++;
		if (sumpath != NULL) {
#ifdef __GNUC__
			/* The amc of a claim ahead, in the claims' text. */
			if (k + 16 < ncl)
				__builtin_prefetch(CS(&cl[k + 16], C_AMC));
#endif
			sumadd(c, sumpath);
		}
	}
	wdecisions(&w);
	if (w.nrec != ncl || money_add(&t, samo, samc) < 0 || money_add(&t, t, srac) < 0 ||
	    t != sfr)
		die(EX_SOFTWARE, "conservation check failed: %llu claims, %llu decisions",
		    (unsigned long long)ncl, (unsigned long long)w.nrec);
	/* Never more recovered on a line than it was paid. */
	for (k = 0; k < lrefcap; k++)
		if (lrefs[k].p != NULL && lrefs[k].net < 0)
			die(EX_SOFTWARE, "conservation check failed: line %.*s recovered beyond what "
			    "it was paid", (int)lrefs[k].n, lrefs[k].p);
	if (sumpath != NULL)
		wsummary(psum.fd, sumpath, w.nrec);
	ts_wclose(&w);
	ts_wclose(&cw);
	ts_close(&r);		/* the claims' fields were read from it */
	if (out != NULL && pub_commit(&pd) < 0)
		die(EX_IOERR, "%s: %s", out, strerror(errno));
	if (pub_commit(&pc) < 0)
		die(EX_IOERR, "%s: %s", newcons, strerror(errno));
	/* Last: a summary is there only with what it sums. */
	if (sumpath != NULL && pub_commit(&psum) < 0)
		die(EX_IOERR, "%s: %s", sumpath, strerror(errno));
	if (out == NULL)
		fshut_stdout();
	free(ord);
	free(gfiles);
	free(mfiles);
	free(xfiles);
	free(pfiles);
	{
		char a[MONEY_BUFSZ];

		money_fmt(samc, a);
		fprintf(stderr, "%s: %s: %llu claims: %llu paid, %llu rejected, %llu to recover; "
		    "AMC %s; consumption %llu events\n", progname_(), today_s,
		    (unsigned long long)ncl,
		    (unsigned long long)(ncode[LQ00] + ncode[LQ03]),
		    (unsigned long long)(ncl - ncode[LQ00] - ncode[LQ03] - ncode[LQ16] -
		    ncode[LQ19] - ncode[LQ10]),
		    (unsigned long long)(ncode[LQ03] + ncode[LQ16] + ncode[LQ19]), a,
		    (unsigned long long)nevout);
	}
	return 0;
}
