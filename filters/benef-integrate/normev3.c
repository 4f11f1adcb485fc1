/*
 * The Almerys Norme V3 reader: a client's XML file, validated against a
 * schema while it streams, into an entry per SERVICE_TP_PEC's
 * beneficiary.  libxml2's SAX2 parser with the schema's validation
 * plugged into its events (xmlSchemaSAXPlug, as xmllint --sax --schema
 * runs): no node is built, one CONTRAT's fields are kept at a time.
 * Plain or gzip, through zlib.  The header (bi_xml_head) is read apart,
 * with the reader (xmlTextReader), which expands ENTETE alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parserInternals.h>
#include <libxml/schemasInternals.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "tiers.h"
#include "benef.h"

struct xfile {
	const char *path;
	const struct bi_sink *sink;
	xmlTextReaderPtr r;		/* bi_xml_head */
	xmlParserCtxtPtr ctxt;		/* bi_xml_file */
	struct zin *zin;
	char err[256];
	long errline;
};

/*
 * The parser's input.  A read error (a gzip file cut short, bytes after
 * its data) is the file's error, at the line the parser has reached.
 */
static void
zio_error(struct xfile *x, const char *why)
{
	if (x->err[0] != '\0')
		return;
	snprintf(x->err, sizeof x->err, "%s", why);
	x->errline = x->r != NULL ? xmlTextReaderGetParserLineNumber(x->r) :
	    x->ctxt != NULL && x->ctxt->input != NULL ? x->ctxt->input->line : 0;
}

static int
zio_read(void *ctx, char *buf, int len)
{
	struct xfile *x = ctx;
	const char *why;
	int n;

	/*
	 * The first error refuses the file: the input ends there, and the
	 * parser stops at the end of what it holds, as at a file cut short
	 * (its error is not the first, and is not told).  Stopping it from
	 * a handler (xmlStopParser) frees the input under libxml2's feet in
	 * 2.9.14 (found by t/fuzz/normev3.c: in the XML declaration, and
	 * under the schema's text handler).
	 */
	if (x->err[0] != '\0')
		return 0;
	if ((n = zin_read(x->zin, buf, len > 0 ? (size_t)len : 0, &why)) < 0)
		zio_error(x, why);
	return n;
}

static int
zio_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
xml_error(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
	struct xfile *x = arg;

	if (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR)
		return;
	if (x->err[0] != '\0')
		return;
	x->errline = loc ? xmlTextReaderLocatorLineNumber(loc) : 0;
	xmlmsg(x->err, sizeof x->err, msg);
}

static void
xml_serror(void *arg, xmlErrorPtr e)
{
	struct xfile *x = arg;

	if (x->err[0] != '\0' || e == NULL || e->level < XML_ERR_ERROR)
		return;
	x->errline = e->line;
	xmlmsg(x->err, sizeof x->err, e->message ? e->message : "error");
}

/* The elements read, by name; any other is T_OTHER. */
enum tok {
	T_OTHER, T_CONTRAT, T_NUM_CONTRAT, T_ETAT_CONTRAT, T_MEMBRE_CONTRAT,
	T_SOUSCRIPTEUR, T_INDIVIDU, T_REF_INTERNE_OS, T_DATE_NAISSANCE,
	T_RANG_NAISSANCE, T_ADRESSE_MEMBRE, T_ADRESSE_AGREGEE, T_LIGNE1,
	T_LIGNE2, T_LIGNE3, T_LIGNE4, T_LIGNE5, T_LIGNE6, T_LIGNE7,
	T_NUM_ADHESION, T_NNI, T_SERVICE, T_SERVICE_TP_PEC, T_BENEFICIAIRE,
	T_TYPE_BENEF, T_RO, T_CODE_GRAND_REGIME, T_CODE_CAISSE_RO, T_CENTRE_SS,
	T_CONTRAT_RESPONSABLE, T_PRODUIT, T_ORDRE, T_REFERENCE_PRODUIT,
	T_DATE_ENTREE_PRODUIT, T_DATE_SORTIE_PRODUIT, T_CODE_MOUVEMENT_CARTE,
	T_NUMERO_CARTE, T_DETAIL_CARTE, T_FOND_CARTE, T_CODE_ANNEXE,
	T_SERVICE_TP, T_RIB, T_PRESTATION, T_TITULAIRE, T_IBAN_PAYS,
	T_IBAN_CONTROLE, T_IBAN_BBAN, T_BIC_BANQUE, T_BIC_PAYS,
	T_BIC_EMPLACEMENT, T_BIC_BRANCHE, T_CODE_BANQUE, T_AGENCE_BANQUE,
	T_NUM_COMPTE, T_CLE_RIB, T_DATE_EFFET, T_COMPENSATION_AUTORISEE,
	T_DATE_DEBUT_VALIDITE, T_DATE_FIN_VALIDITE, T_ACTIVATION_DESACTIVATION,
	T_DATE_DEBUT_SUSPENSION, T_DATE_FIN_SUSPENSION, T_MOTIF_SUSPENSION,
	T_CARTE_A_PUCE, T_CARTE, T_REF_INTERNE_OS_PORTEUR,
	T_REF_INTERNE_OS_PORTE, NTOK
};
static const char *const tokname[NTOK] = {
	"", "CONTRAT", "NUM_CONTRAT", "ETAT_CONTRAT", "MEMBRE_CONTRAT",
	"SOUSCRIPTEUR", "INDIVIDU", "REF_INTERNE_OS", "DATE_NAISSANCE",
	"RANG_NAISSANCE", "ADRESSE_MEMBRE", "ADRESSE_AGREGEE", "LIGNE1",
	"LIGNE2", "LIGNE3", "LIGNE4", "LIGNE5", "LIGNE6", "LIGNE7",
	"NUM_ADHESION", "NNI", "SERVICE", "SERVICE_TP_PEC", "BENEFICIAIRE",
	"TYPE_BENEF", "RO", "CODE_GRAND_REGIME", "CODE_CAISSE_RO", "CENTRE_SS",
	"CONTRAT_RESPONSABLE", "PRODUIT", "ORDRE", "REFERENCE_PRODUIT",
	"DATE_ENTREE_PRODUIT", "DATE_SORTIE_PRODUIT", "CODE_MOUVEMENT_CARTE",
	"NUMERO_CARTE", "DETAIL_CARTE", "FOND_CARTE", "CODE_ANNEXE",
	"SERVICE_TP", "RIB", "PRESTATION", "TITULAIRE", "IBAN_PAYS",
	"IBAN_CONTROLE", "IBAN_BBAN", "BIC_BANQUE", "BIC_PAYS",
	"BIC_EMPLACEMENT", "BIC_BRANCHE", "CODE_BANQUE", "AGENCE_BANQUE",
	"NUM_COMPTE", "CLE_RIB", "DATE_EFFET", "COMPENSATION_AUTORISEE",
	"DATE_DEBUT_VALIDITE", "DATE_FIN_VALIDITE", "ACTIVATION_DESACTIVATION",
	"DATE_DEBUT_SUSPENSION", "DATE_FIN_SUSPENSION", "MOTIF_SUSPENSION",
	"CARTE_A_PUCE", "CARTE", "REF_INTERNE_OS_PORTEUR",
	"REF_INTERNE_OS_PORTE"
};

/*
 * One CONTRAT as it streams: its members, its SERVICE_TP_PEC entries and
 * its cards, joined when it ends.  The arrays grow to the largest
 * contract and are reused: no allocation a beneficiary.
 */
struct member {
	char ref[FLD], birth[FLD], rang[FLD], adh[FLD], nni[FLD], sub[FLD];
	char addr[7][FLD];
	int naddr;		/* ADRESSE_AGREGEE read: the first only */
};
struct rib {
	char f[T_DATE_EFFET - T_TITULAIRE + 1][FLD];
};
struct pec {
	struct entry e;
	char ref[FLD], ronni[FLD];
	int nro;
	struct { char order[FLD], ref[FLD], start[FLD], end[FLD]; } p;
	int bad, badcode;	/* rejected as read: code, detail */
	const char *baddetail;
	struct rib rib, best;	/* PRESTATION being read, the one kept */
	int nrib;
};
struct card {
	char porteur[FLD], start[FLD], end[FLD];
	char porte[8][FLD];
	int nporte;
};

#define MAXDEPTH 64

struct xfile_c {
	struct xfile *x;
	const char *amc;
	long fileno;
	int depth;			/* the element's at the parser */
	const xmlChar *name[NTOK];	/* the names, in the parser's dictionary */
	unsigned char hash[256];	/* their tokens, on the pointer (token()) */
	int tok[MAXDEPTH];		/* the open elements */
	int dc;				/* CONTRAT's depth, or -1 */
	char num[FLD], state[FLD];
	struct member *m;
	struct pec *pe;
	struct card *cd;
	size_t nm, npe, ncd, am, ape, acd;
	char *dst;			/* the field being read, or NULL */
	int fdepth, append;
	char text[FLD];
	size_t ntext;
};

static void *
grow(void *p, size_t *alloc, size_t n, size_t size)
{
	if (n < *alloc)
		return p;
	*alloc = *alloc ? *alloc * 2 : 8;
	return xrealloc(p, *alloc * size);
}

/* "true"/"1" → 1, "false"/"0" → 0, "" stays. */
static void
boolnorm(char *s)
{
	if (strcmp(s, "true") == 0)
		strcpy(s, "1");
	else if (strcmp(s, "false") == 0)
		strcpy(s, "0");
}

static void
setf(char *dst, const char *s)
{
	size_t n = strlen(s);

	if (n >= FLD)
		n = FLD - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * A SERVICE_TP_PEC begins: every field empty.  Only the first byte of
 * each: the structure is ~13 KB, cleared once a beneficiary, and its
 * fields are only ever read as strings.
 */
static void
pec_clear(struct pec *p)
{
	int i;

	for (i = 0; i < NM; i++)
		p->e.f[i][0] = '\0';
	p->e.nprod = 0;
	p->e.file[0] = '\0';
	p->e.line = p->e.fileno = 0;
	p->e.shared = 0;
	p->ref[0] = p->ronni[0] = '\0';
	p->nro = 0;
	p->p.order[0] = p->p.ref[0] = p->p.start[0] = p->p.end[0] = '\0';
	p->bad = p->badcode = 0;
	p->baddetail = NULL;
	for (i = 0; i <= T_DATE_EFFET - T_TITULAIRE; i++)
		p->rib.f[i][0] = p->best.f[i][0] = '\0';
	p->nrib = 0;
}

/*
 * An element opens at depth d, its ancestors in c->tok: where its text
 * goes, or NULL.  A member, an entry, a product, a PRESTATION or a card
 * begins here too.
 */
static char *
opens(struct xfile_c *c, int d, int t, long line, int *append)
{
	int rd = d - c->dc, up = c->tok[d - 1], up2 = d >= 2 ? c->tok[d - 2] : T_OTHER;
	struct member *m = c->nm ? &c->m[c->nm - 1] : NULL;
	struct pec *p = c->npe ? &c->pe[c->npe - 1] : NULL;
	struct card *k = c->ncd ? &c->cd[c->ncd - 1] : NULL;

	*append = 0;
	switch (rd) {
	case 1:
		if (t == T_NUM_CONTRAT)
			return c->num;
		if (t == T_ETAT_CONTRAT)
			return c->state;
		if (t == T_MEMBRE_CONTRAT) {
			c->m = grow(c->m, &c->am, c->nm, sizeof *c->m);
			memset(&c->m[c->nm++], 0, sizeof *c->m);
		}
		return NULL;
	case 2:
		if (up == T_MEMBRE_CONTRAT && m != NULL) {
			if (t == T_SOUSCRIPTEUR)
				return m->sub;
			if (t == T_NUM_ADHESION)
				return m->adh;
			if (t == T_NNI)
				return m->nni;
		} else if (up == T_SERVICE && t == T_SERVICE_TP_PEC) {
			c->pe = grow(c->pe, &c->ape, c->npe, sizeof *c->pe);
			p = &c->pe[c->npe++];
			pec_clear(p);
			p->e.line = line;
		}
		return NULL;
	case 3:
		if (up == T_INDIVIDU && up2 == T_MEMBRE_CONTRAT && m != NULL) {
			if (t == T_REF_INTERNE_OS)
				return m->ref;
			if (t == T_DATE_NAISSANCE)
				return m->birth;
			if (t == T_RANG_NAISSANCE)
				return m->rang;
		} else if (up == T_ADRESSE_MEMBRE && t == T_ADRESSE_AGREGEE && m != NULL)
			m->naddr++;
		else if (up == T_CARTE_A_PUCE && up2 == T_SERVICE && t == T_CARTE) {
			c->cd = grow(c->cd, &c->acd, c->ncd, sizeof *c->cd);
			memset(&c->cd[c->ncd++], 0, sizeof *c->cd);
		}
		return NULL;
	case 4:
		if (up == T_ADRESSE_AGREGEE && up2 == T_ADRESSE_MEMBRE && m != NULL &&
		    m->naddr == 1 && t >= T_LIGNE1 && t <= T_LIGNE7)
			return m->addr[t - T_LIGNE1];
		if (up2 != T_SERVICE_TP_PEC && up2 != T_CARTE_A_PUCE)
			return NULL;
		if (up == T_BENEFICIAIRE && p != NULL) {
			switch (t) {
			case T_REF_INTERNE_OS: return p->ref;
			case T_TYPE_BENEF: return p->e.f[M_TYPE];
			case T_CONTRAT_RESPONSABLE: return p->e.f[M_RESP];
			case T_CODE_MOUVEMENT_CARTE: return p->e.f[M_CARD];
			case T_NUMERO_CARTE: return p->e.f[M_CARDNUM];
			case T_RO: p->nro++; return NULL;
			case T_PRODUIT:
				memset(&p->p, 0, sizeof p->p);
				return NULL;
			}
		} else if (up == T_SERVICE_TP && p != NULL) {
			switch (t) {
			case T_DATE_DEBUT_VALIDITE: return p->e.f[M_TPSTART];
			case T_DATE_FIN_VALIDITE: return p->e.f[M_TPEND];
			case T_ACTIVATION_DESACTIVATION: return p->e.f[M_ACTIVATION];
			case T_DATE_DEBUT_SUSPENSION: return p->e.f[M_SUSPSTART];
			case T_DATE_FIN_SUSPENSION: return p->e.f[M_SUSPEND];
			case T_MOTIF_SUSPENSION: return p->e.f[M_SUSPREASON];
			case T_COMPENSATION_AUTORISEE: return p->e.f[M_COMP];
			}
		} else if (up == T_CARTE && k != NULL) {
			switch (t) {
			case T_REF_INTERNE_OS_PORTEUR: return k->porteur;
			case T_DATE_DEBUT_VALIDITE: return k->start;
			case T_DATE_FIN_VALIDITE: return k->end;
			case T_REF_INTERNE_OS_PORTE:
				return k->nporte < 8 ? k->porte[k->nporte++] : NULL;
			}
		}
		return NULL;
	case 5:
		if (up2 != T_BENEFICIAIRE && up2 != T_SERVICE_TP)
			return NULL;
		if (up == T_RO && p != NULL && p->nro == 1) {
			switch (t) {
			case T_CODE_GRAND_REGIME: return p->e.f[M_REGIME];
			case T_CODE_CAISSE_RO: return p->e.f[M_CAISSE];
			case T_CENTRE_SS: return p->e.f[M_CENTRE];
			case T_NNI: return p->ronni;
			}
		} else if (up == T_PRODUIT && p != NULL) {
			switch (t) {
			case T_ORDRE: return p->p.order;
			case T_REFERENCE_PRODUIT: return p->p.ref;
			case T_DATE_ENTREE_PRODUIT: return p->p.start;
			case T_DATE_SORTIE_PRODUIT: return p->p.end;
			}
		} else if (up == T_DETAIL_CARTE && p != NULL) {
			if (t == T_FOND_CARTE)
				return p->e.f[M_CARDBG];
			if (t == T_CODE_ANNEXE) {
				*append = 1;
				return p->e.f[M_CARDANNEX];
			}
		} else if (up == T_RIB && t == T_PRESTATION && p != NULL)
			memset(&p->rib, 0, sizeof p->rib);
		return NULL;
	case 6:
		if (up == T_PRESTATION && up2 == T_RIB && p != NULL &&
		    t >= T_TITULAIRE && t <= T_DATE_EFFET)
			return p->rib.f[t - T_TITULAIRE];
		return NULL;
	}
	return NULL;
}

/* A product, a PRESTATION, done. */
static void
closes(struct xfile_c *c, int d, int t)
{
	struct pec *p = c->npe ? &c->pe[c->npe - 1] : NULL;
	int rd = d - c->dc, i;

	if (p == NULL || p->bad)
		return;
	if (rd == 4 && t == T_PRODUIT && c->tok[d - 1] == T_BENEFICIAIRE &&
	    c->tok[d - 2] == T_SERVICE_TP_PEC) {
		struct prod *pr;

		if (p->e.nprod == MAXPROD) {
			p->bad = 1, p->badcode = R_MISSING, p->baddetail = "more than 16 products";
			return;
		}
		pr = &p->e.prod[p->e.nprod++];
		pr->order = *p->p.order ? atoi(p->p.order) : 0;
		memcpy(pr->ref, p->p.ref, FLD);
		for (i = 0; pr->ref[i]; i++)
			if (pr->ref[i] == ',' || pr->ref[i] == ':')
				pr->ref[i] = '_';
		if (!bi_optdate(p->p.start, &pr->start, INT32_MIN) ||
		    !bi_optdate(p->p.end, &pr->end, INT32_MAX))
			p->bad = 1, p->badcode = R_DATE, p->baddetail = "product dates";
	} else if (rd == 5 && t == T_PRESTATION && c->tok[d - 1] == T_RIB) {
		/* The PRESTATION account in effect last; the last listed of a date. */
		if (p->nrib++ == 0 || strcmp(p->rib.f[T_DATE_EFFET - T_TITULAIRE],
		    p->best.f[T_DATE_EFFET - T_TITULAIRE]) >= 0)
			memcpy(&p->best, &p->rib, sizeof p->rib);
	}
}

static struct member *
findmember(struct xfile_c *c, const char *ref)
{
	size_t i;

	for (i = 0; i < c->nm; i++)
		if (strcmp(c->m[i].ref, ref) == 0)
			return &c->m[i];
	return NULL;
}

static int
istrue(const char *s)
{
	return strcmp(s, "1") == 0 || strcmp(s, "true") == 0;
}

/*
 * The subscriber's NIR, for a beneficiary with none: its RO's, else its
 * member's own.  "" if the contract names no subscriber with one.
 */
static const char *
subscriber_nir(struct xfile_c *c, const struct member *self)
{
	size_t i, j;

	for (i = 0; i < c->nm; i++) {
		if (&c->m[i] == self || !istrue(c->m[i].sub))
			continue;
		for (j = 0; j < c->npe; j++)
			if (strcmp(c->pe[j].ref, c->m[i].ref) == 0 && *c->pe[j].ronni)
				return c->pe[j].ronni;
		if (*c->m[i].nni)
			return c->m[i].nni;
	}
	return "";
}

/* The IBAN of a PRESTATION: its IBAN fields, or its French RIB's. */
static void
iban(const struct rib *r, char *dst)
{
#define RF(t) r->f[(t) - T_TITULAIRE]
	char bban[4 * FLD], s[4 * FLD + 8];
	const char *q;
	unsigned m = 0;

	dst[0] = '\0';
	if (*RF(T_IBAN_PAYS) || *RF(T_IBAN_CONTROLE) || *RF(T_IBAN_BBAN)) {
		snprintf(dst, FLD, "%.2s%.2s%.34s", RF(T_IBAN_PAYS), RF(T_IBAN_CONTROLE),
		    RF(T_IBAN_BBAN));
		return;
	}
	if (!*RF(T_CODE_BANQUE) && !*RF(T_AGENCE_BANQUE) && !*RF(T_NUM_COMPTE) && !*RF(T_CLE_RIB))
		return;
	snprintf(bban, sizeof bban, "%s%s%s%s", RF(T_CODE_BANQUE), RF(T_AGENCE_BANQUE),
	    RF(T_NUM_COMPTE), RF(T_CLE_RIB));
	/* ISO 13616 check digits: the BBAN, then FR00, letters as 10..35, mod 97. */
	snprintf(s, sizeof s, "%sFR00", bban);
	for (q = s; *q; q++) {
		int v = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'A' && *q <= 'Z' ? *q - 'A' + 10 : -1;

		if (v < 0) {
			snprintf(dst, FLD, "FR??%.60s", bban);	/* refused by the rules */
			return;
		}
		m = v >= 10 ? (m * 100 + (unsigned)v) % 97 : (m * 10 + (unsigned)v) % 97;
	}
	snprintf(dst, FLD, "FR%02u%.60s", 98 - m, bban);
#undef RF
}

/* The CONTRAT ends: an entry per SERVICE_TP_PEC's beneficiary. */
static void
contract_end(struct xfile *x, struct xfile_c *c, const char *amc, long fileno)
{
	size_t i, j;
	int k;

	for (i = 0; i < c->npe; i++) {
		struct pec *p = &c->pe[i];
		struct entry *e = &p->e;
		const struct member *m;
		const struct card *cd = NULL;

		setf(e->file, bi_base(x->path));
		e->fileno = fileno;
		setf(e->f[M_AMC], amc);
		memcpy(e->f[M_CONTRACT], c->num, FLD);
		memcpy(e->f[M_STATE], c->state, FLD);
		memcpy(e->f[M_MEMBER], p->ref, FLD);
		if (p->bad) {
			x->sink->reject(e, p->badcode, p->baddetail, x->sink->arg);
			continue;
		}
		boolnorm(e->f[M_RESP]);
		boolnorm(e->f[M_COMP]);
		memcpy(e->f[M_NIR], p->ronni, FLD);
		if ((m = findmember(c, p->ref)) == NULL) {
			x->sink->reject(e, R_MISSING, "no MEMBRE_CONTRAT of this REF_INTERNE_OS",
			    x->sink->arg);
			continue;
		}
		memcpy(e->f[M_BIRTH], m->birth, FLD);
		memcpy(e->f[M_RANG], m->rang, FLD);
		memcpy(e->f[M_ADHERENT], m->adh, FLD);
		for (k = 0; k < 7; k++)
			memcpy(e->f[M_ADDR1 + k], m->addr[k], FLD);
		/*
		 * The NIRs: the RO's is the insured's; the member's own NNI
		 * is the beneficiary's.  Without either, the beneficiary is
		 * covered on the subscriber's rights, under its NIR.
		 */
		if (*m->nni && *e->f[M_NIR] && strcmp(m->nni, e->f[M_NIR]) != 0)
			memcpy(e->f[M_BNIR], m->nni, FLD);
		else if (*m->nni && !*e->f[M_NIR])
			memcpy(e->f[M_NIR], m->nni, FLD);
		else if (!*e->f[M_NIR]) {
			setf(e->f[M_NIR], subscriber_nir(c, m));
			e->shared = *e->f[M_NIR] != '\0';
		}
		/* The card it is on: as holder, or carried (a child under 16). */
		for (j = 0; j < c->ncd && cd == NULL; j++) {
			if (strcmp(c->cd[j].porteur, p->ref) == 0)
				cd = &c->cd[j];
			for (k = 0; k < c->cd[j].nporte && cd == NULL; k++)
				if (strcmp(c->cd[j].porte[k], p->ref) == 0)
					cd = &c->cd[j];
		}
		if (cd != NULL) {
			memcpy(e->f[M_CARDSTART], cd->start, FLD);
			memcpy(e->f[M_CARDEND], cd->end, FLD);
		}
		if (p->nrib > 0) {
			const struct rib *r = &p->best;

			memcpy(e->f[M_RIBHOLDER], r->f[0], FLD);
			iban(r, e->f[M_IBAN]);
			snprintf(e->f[M_BIC], FLD, "%.11s%.11s%.11s%.11s",
			    r->f[T_BIC_BANQUE - T_TITULAIRE], r->f[T_BIC_PAYS - T_TITULAIRE],
			    r->f[T_BIC_EMPLACEMENT - T_TITULAIRE],
			    r->f[T_BIC_BRANCHE - T_TITULAIRE]);
		}
		x->sink->entry(e, x->sink->arg);
	}
	c->nm = c->npe = c->ncd = 0;
}

/*
 * The element at the reader: its token.  Names are the reader's
 * dictionary's, one pointer a name: a small table on the pointer.
 */
#define NHASH 256
static unsigned
phash(const xmlChar *p)
{
	/*
	 * The whole pointer, multiplied (Fibonacci hashing): the names lie
	 * packed in the dictionaries' pools, a few to 16 bytes, and the
	 * bits above the fourth alone made runs of them collide.
	 */
	uint64_t v = (uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15);

	return (unsigned)(v >> 56) & (NHASH - 1);
}

static int
token(struct xfile_c *c, const xmlChar *name)
{
	unsigned h;

	for (h = phash(name); c->hash[h] != 0; h = (h + 1) & (NHASH - 1))
		if (c->name[c->hash[h]] == name)
			return c->hash[h];
	return T_OTHER;
}

/* The text read for a field, into it. */
static void
field_end(struct xfile_c *c)
{
	char v[FLD];

	c->text[c->ntext] = '\0';
	bi_setf(v, c->text, c->ntext);
	if (c->append) {
		size_t n = strlen(c->dst);

		/* CODE_ANNEXE, twice at most: "A;B". */
		if (*v && n + 1 + strlen(v) < FLD) {
			if (n > 0)
				c->dst[n++] = ';';
			memcpy(c->dst + n, v, strlen(v) + 1);
		}
	} else if (*c->dst == '\0')
		memcpy(c->dst, v, strlen(v) + 1);
	c->dst = NULL;
}

static void
text_add(struct xfile_c *c, const xmlChar *s, size_t n)
{
	if (n > FLD - 1 - c->ntext)
		n = FLD - 1 - c->ntext;
	memcpy(c->text + c->ntext, s, n);
	c->ntext += n;
}

xmlSchemaPtr
bi_loadschema(const char *text, const char *path)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	pc = text ? xmlSchemaNewMemParserCtxt(text, (int)strlen(text)) :
	    xmlSchemaNewParserCtxt(path);
	if (pc == NULL)
		return NULL;
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

/*
 * The parser's events.  An element's depth is counted as the reader
 * counts it (the root at 0); a field's text is gathered from its
 * characters, in as many pieces as the parser gives.  Nothing is taken
 * after the file's first error.
 */
static int
halted(const struct xfile_c *c)
{
	return c->x->err[0] != '\0';
}

static void
sax_start(void *arg, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
    int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attr)
{
	struct xfile_c *c = arg;
	int d = c->depth++, t;

	(void)prefix, (void)uri, (void)nns, (void)ns, (void)nattr, (void)ndef, (void)attr;
	if (halted(c) || c->dst != NULL || d >= MAXDEPTH)
		return;
	t = token(c, name);
	c->tok[d] = t;
	if (c->dc < 0) {
		if (t == T_CONTRAT) {
			c->dc = d;
			c->num[0] = c->state[0] = '\0';
			c->nm = c->npe = c->ncd = 0;
		}
	} else if (d > c->dc &&
	    (c->dst = opens(c, d, t, c->x->ctxt->input->line, &c->append)) != NULL) {
		c->fdepth = d;
		c->ntext = 0;
	}
}

static void
sax_end(void *arg, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct xfile_c *c = arg;
	int d = --c->depth;

	(void)name, (void)prefix, (void)uri;
	if (halted(c))
		return;
	if (c->dst != NULL) {
		if (d == c->fdepth)
			field_end(c);
	} else if (c->dc >= 0 && d == c->dc)
		contract_end(c->x, c, c->amc, c->fileno), c->dc = -1;
	else if (c->dc >= 0 && d > c->dc && d < MAXDEPTH)
		closes(c, d, c->tok[d]);
}

static void
sax_text(void *arg, const xmlChar *s, int len)
{
	struct xfile_c *c = arg;

	if (!halted(c) && c->dst != NULL && len > 0)
		text_add(c, s, (size_t)len);
}

/* Where the validation is, for its messages: the parser's line. */
static int
locator(void *arg, const char **file, unsigned long *line)
{
	struct xfile *x = arg;

	if (file != NULL)
		*file = NULL;
	if (line != NULL)
		*line = x->ctxt != NULL && x->ctxt->input != NULL ?
		    (unsigned long)x->ctxt->input->line : 0;
	return 0;
}

/* Pass 1 over a Norme V3 file, validated against sch. */
int
bi_xml_file(const char *path, const char *amc, long fileno, xmlSchemaPtr sch,
    const struct bi_sink *sink, char *msg, size_t msgsz)
{
	struct xfile x;
	struct xfile_c *c;
	xmlSAXHandler sax;
	xmlSchemaValidCtxtPtr v;
	xmlSchemaSAXPlugPtr plug;
	xmlDictPtr dict;
	int fd, i, ok;

	memset(&x, 0, sizeof x);
	x.path = path;
	x.sink = sink;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		bi_msg(msg, msgsz, path, 0, NULL, "%s", strerror(errno));
		return EX_NOINPUT;
	}
	c = xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->x = &x;
	c->amc = amc;
	c->fileno = fileno;
	c->dc = -1;
	/*
	 * Only the element and text events: no tree, no entity, DTD or
	 * external subset handler (nothing is fetched, nothing declared is
	 * expanded).  Parser errors go to the structured handler set
	 * around the parse, the schema's to the validation context's.
	 */
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_text;
	x.zin = zin_open(fd);
	x.ctxt = xmlCreateIOParserCtxt(&sax, c, zio_read, zio_close, &x, XML_CHAR_ENCODING_NONE);
	if (x.ctxt == NULL) {
		zin_close(x.zin);
		free(c);
		bi_msg(msg, msgsz, path, 0, NULL, "cannot read");
		return EX_DATAERR;
	}
	/*
	 * The parser's names from a dictionary of its own that inherits the
	 * schema's (xmlDictCreateSub: looked up there first, then in the
	 * schema's, added to its own).  A declared element's name and the
	 * namespace are then the schema's very strings, and the validation
	 * finds its declarations by the pointer, not by comparing the
	 * namespace's bytes at each element (xmlSchemaGetElem, xmlHashLookup3):
	 * 3.5 % of the file's instructions.  The parser's strings made again
	 * from it, and its limit set, as libxml2 does for a parser's own.
	 */
	if ((dict = xmlDictCreateSub(sch->dict)) != NULL) {
		xmlDictFree(x.ctxt->dict);
		x.ctxt->dict = dict;
		xmlDictSetLimit(dict, XML_MAX_DICTIONARY_LIMIT);
		x.ctxt->str_xml = xmlDictLookup(dict, BAD_CAST "xml", 3);
		x.ctxt->str_xmlns = xmlDictLookup(dict, BAD_CAST "xmlns", 5);
		x.ctxt->str_xml_ns = xmlDictLookup(dict, XML_XML_NAMESPACE, 36);
	}
	xmlCtxtUseOptions(x.ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES |
	    XML_PARSE_NOBLANKS);
	if ((v = xmlSchemaNewValidCtxt(sch)) == NULL ||
	    (plug = xmlSchemaSAXPlug(v, &x.ctxt->sax, &x.ctxt->userData)) == NULL) {
		xmlSchemaFreeValidCtxt(v);
		xmlFreeParserCtxt(x.ctxt);
		zin_close(x.zin);
		free(c);
		bi_msg(msg, msgsz, path, 0, NULL, "cannot attach the schema");
		return EX_SOFTWARE;
	}
	xmlSchemaSetValidStructuredErrors(v, xml_serror, &x);
	xmlSchemaValidateSetLocator(v, locator, &x);
	xmlSetStructuredErrorFunc(&x, xml_serror);
	for (i = 1; i < NTOK; i++) {
		unsigned h;

		c->name[i] = xmlDictLookup(x.ctxt->dict, (const xmlChar *)tokname[i], -1);
		for (h = phash(c->name[i]); c->hash[h] != 0; h = (h + 1) & (NHASH - 1))
			;
		c->hash[h] = (unsigned char)i;
	}
	xmlParseDocument(x.ctxt);
	ok = x.ctxt->wellFormed && xmlSchemaIsValid(v) == 1;
	if (x.err[0] == '\0' && !ok) {
		snprintf(x.err, sizeof x.err, "%s", !x.ctxt->wellFormed ? "not well-formed" :
		    "not valid against the schema");
		x.errline = x.ctxt->input != NULL ? x.ctxt->input->line : 0;
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSchemaSAXUnplug(plug);
	xmlSchemaFreeValidCtxt(v);
	/* What the parser left unread must be nothing, read whole. */
	if (x.err[0] == '\0') {
		char rest[4096];

		while (zio_read(&x, rest, sizeof rest) > 0)
			;
	}
	xmlFreeParserCtxt(x.ctxt);
	x.ctxt = NULL;
	zin_close(x.zin);
	free(c->m);
	free(c->pe);
	free(c->cd);
	free(c);
	if (x.err[0] != '\0') {
		/* An error before the first line is read whole is at line 1. */
		bi_msg(msg, msgsz, path, x.errline > 0 ? x.errline : 1, "xml",
		    "%s (file refused)", x.err);
		return EX_DATAERR;
	}
	return 0;
}

/* The text of the first child element of this name into dst ("" if none). */
static void
ctext(xmlNodePtr n, const char *name, char *dst)
{
	xmlChar *s;

	dst[0] = '\0';
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			break;
	if (n != NULL && (s = xmlNodeGetContent(n)) != NULL) {
		bi_setf(dst, (const char *)s, strlen((const char *)s));
		xmlFree(s);
	}
}

/* Read the header only: sender and file number, for the order. */
int
bi_xml_head(const char *path, char *sender, long *fileno, char *msg, size_t msgsz)
{
	xmlTextReaderPtr r;
	xmlNodePtr n;
	char num[FLD], err[256];
	int fd, st, ok = -1;
	long errline;
	struct xfile x;

	memset(&x, 0, sizeof x);
	x.path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		bi_msg(msg, msgsz, path, 0, "ENTETE", "%s (file refused)", strerror(errno));
		return EX_NOINPUT;
	}
	x.zin = zin_open(fd);
	r = x.r = xmlReaderForIO(zio_read, zio_close, &x, path, NULL, XML_PARSE_NONET);
	if (r == NULL) {
		zin_close(x.zin);
		bi_msg(msg, msgsz, path, 0, "ENTETE", "cannot read (file refused)");
		return EX_DATAERR;
	}
	xmlTextReaderSetErrorHandler(r, xml_error, &x);
	xmlTextReaderSetStructuredErrorHandler(r, xml_serror, &x);
	snprintf(err, sizeof err, "no ENTETE");
	while ((st = xmlTextReaderRead(r)) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT ||
		    strcmp((const char *)xmlTextReaderConstLocalName(r), "ENTETE") != 0)
			continue;
		if ((n = xmlTextReaderExpand(r)) == NULL)
			break;
		ctext(n, "NUM_OS_EMETTEUR", sender);
		ctext(n, "NUM_FICHIER", num);
		if (*sender && *num && strspn(num, "0123456789") == strlen(num) &&
		    strlen(num) <= 9) {
			*fileno = atol(num);
			ok = 0;
		} else
			snprintf(err, sizeof err, "ENTETE: NUM_FICHIER or NUM_OS_EMETTEUR");
		break;
	}
	errline = xmlTextReaderGetParserLineNumber(r);
	if (ok < 0 && x.err[0]) {
		snprintf(err, sizeof err, "%.200s", x.err);
		errline = x.errline;
	}
	xmlFreeTextReader(r);
	zin_close(x.zin);
	if (ok < 0) {
		bi_msg(msg, msgsz, path, errline > 0 ? errline : 1, "ENTETE",
		    "%s (file refused)", err);
		return EX_DATAERR;
	}
	return 0;
}
