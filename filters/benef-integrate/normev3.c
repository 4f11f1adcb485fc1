/*
 * The Almerys Norme V3 reader: a client's XML file, validated against a
 * schema while it streams (libxml2's xmlTextReader, one CONTRAT
 * expanded at a time), into an entry per SERVICE_TP_PEC's beneficiary.
 * Plain or gzip, through zlib.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "tiers.h"
#include "benef.h"

struct xfile {
	const char *path;
	const struct bi_sink *sink;
	xmlTextReaderPtr r;
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
	x->errline = x->r != NULL ? xmlTextReaderGetParserLineNumber(x->r) : 0;
}

static int
zio_read(void *ctx, char *buf, int len)
{
	struct xfile *x = ctx;
	const char *why;
	int n;

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

static const char *
lname(xmlNodePtr n)
{
	return (const char *)n->name;
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp(lname(n), name) == 0)
			return n;
	return NULL;
}

/* The text of a child element into dst ("" if absent). */
static void
ctext(xmlNodePtr n, const char *name, char *dst)
{
	xmlNodePtr c = child(n, name);
	xmlChar *s;

	dst[0] = '\0';
	if (c == NULL)
		return;
	s = xmlNodeGetContent(c);
	if (s != NULL) {
		bi_setf(dst, (const char *)s, strlen((const char *)s));
		xmlFree(s);
	}
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

/* One CONTRAT: an entry per SERVICE_TP_PEC's beneficiary. */
static int
contract(struct xfile *x, xmlNodePtr c, const char *amc, long fileno)
{
	static struct entry e;
	char num[FLD], state[FLD], ref[FLD];
	xmlNodePtr svc, pec, m, ben, ro, tp, p, addr, ag;
	int i;

	ctext(c, "NUM_CONTRAT", num);
	ctext(c, "ETAT_CONTRAT", state);
	svc = child(c, "SERVICE");
	for (pec = svc ? svc->children : NULL; pec != NULL; pec = pec->next) {
		if (pec->type != XML_ELEMENT_NODE || strcmp(lname(pec), "SERVICE_TP_PEC") != 0)
			continue;
		memset(&e, 0, sizeof e);
		snprintf(e.file, sizeof e.file, "%s", bi_base(x->path));
		e.line = xmlGetLineNo(pec);
		e.fileno = fileno;
		snprintf(e.f[M_AMC], FLD, "%s", amc);
		snprintf(e.f[M_CONTRACT], FLD, "%s", num);
		snprintf(e.f[M_STATE], FLD, "%s", state);
		ben = child(pec, "BENEFICIAIRE");
		ctext(ben, "REF_INTERNE_OS", ref);
		snprintf(e.f[M_MEMBER], FLD, "%s", ref);
		ctext(ben, "TYPE_BENEF", e.f[M_TYPE]);
		ctext(ben, "CONTRAT_RESPONSABLE", e.f[M_RESP]);
		boolnorm(e.f[M_RESP]);
		ctext(ben, "CODE_MOUVEMENT_CARTE", e.f[M_CARD]);
		if ((ro = child(ben, "RO")) != NULL) {
			ctext(ro, "CODE_GRAND_REGIME", e.f[M_REGIME]);
			ctext(ro, "CODE_CAISSE_RO", e.f[M_CAISSE]);
			ctext(ro, "CENTRE_SS", e.f[M_CENTRE]);
			ctext(ro, "NNI", e.f[M_NIR]);
		}
		for (p = ben ? ben->children : NULL; p != NULL; p = p->next) {
			char o[FLD], s[FLD], t[FLD];
			struct prod *pr;

			if (p->type != XML_ELEMENT_NODE || strcmp(lname(p), "PRODUIT") != 0)
				continue;
			if (e.nprod == MAXPROD) {
				x->sink->reject(&e, R_MISSING, "more than 16 products", x->sink->arg);
				goto next;
			}
			pr = &e.prod[e.nprod++];
			ctext(p, "ORDRE", o);
			ctext(p, "REFERENCE_PRODUIT", pr->ref);
			ctext(p, "DATE_ENTREE_PRODUIT", s);
			ctext(p, "DATE_SORTIE_PRODUIT", t);
			pr->order = *o ? atoi(o) : 0;
			for (i = 0; pr->ref[i]; i++)
				if (pr->ref[i] == ',' || pr->ref[i] == ':')
					pr->ref[i] = '_';
			if (!bi_optdate(s, &pr->start, INT32_MIN) || !bi_optdate(t, &pr->end, INT32_MAX)) {
				x->sink->reject(&e, R_DATE, "product dates", x->sink->arg);
				goto next;
			}
		}
		if ((tp = child(pec, "SERVICE_TP")) != NULL) {
			ctext(tp, "DATE_DEBUT_VALIDITE", e.f[M_TPSTART]);
			ctext(tp, "DATE_FIN_VALIDITE", e.f[M_TPEND]);
			ctext(tp, "ACTIVATION_DESACTIVATION", e.f[M_ACTIVATION]);
			ctext(tp, "DATE_DEBUT_SUSPENSION", e.f[M_SUSPSTART]);
			ctext(tp, "DATE_FIN_SUSPENSION", e.f[M_SUSPEND]);
			ctext(tp, "MOTIF_SUSPENSION", e.f[M_SUSPREASON]);
		}
		/* The member of the same reference: identity and address. */
		for (m = c->children; m != NULL; m = m->next) {
			xmlNodePtr ind;
			char mref[FLD];

			if (m->type != XML_ELEMENT_NODE || strcmp(lname(m), "MEMBRE_CONTRAT") != 0)
				continue;
			ind = child(m, "INDIVIDU");
			ctext(ind, "REF_INTERNE_OS", mref);
			if (strcmp(mref, ref) != 0)
				continue;
			ctext(ind, "DATE_NAISSANCE", e.f[M_BIRTH]);
			ctext(ind, "RANG_NAISSANCE", e.f[M_RANG]);
			ctext(m, "NUM_ADHESION", e.f[M_ADHERENT]);
			{
				char own[FLD];

				ctext(m, "NNI", own);
				if (*own && *e.f[M_NIR] && strcmp(own, e.f[M_NIR]) != 0)
					snprintf(e.f[M_BNIR], FLD, "%s", own);
				else if (*own && !*e.f[M_NIR])
					snprintf(e.f[M_NIR], FLD, "%s", own);
			}
			if ((addr = child(m, "ADRESSE_MEMBRE")) != NULL &&
			    (ag = child(addr, "ADRESSE_AGREGEE")) != NULL)
				for (i = 0; i < 7; i++) {
					char tag[8];

					snprintf(tag, sizeof tag, "LIGNE%d", i + 1);
					ctext(ag, tag, e.f[M_ADDR1 + i]);
				}
			break;
		}
		if (m == NULL) {
			x->sink->reject(&e, R_MISSING, "no MEMBRE_CONTRAT of this REF_INTERNE_OS", x->sink->arg);
			continue;
		}
		x->sink->entry(&e, x->sink->arg);
next:		;
	}
	return 0;
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

/* Pass 1 over a Norme V3 file, validated against sch. */
int
bi_xml_file(const char *path, const char *amc, long fileno, xmlSchemaPtr sch,
    const struct bi_sink *sink, char *msg, size_t msgsz)
{
	struct xfile x;
	xmlNodePtr n;
	int fd, r;

	memset(&x, 0, sizeof x);
	x.path = path;
	x.sink = sink;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		bi_msg(msg, msgsz, path, 0, NULL, "%s", strerror(errno));
		return EX_NOINPUT;
	}
	x.zin = zin_open(fd);
	x.r = xmlReaderForIO(zio_read, zio_close, &x, path, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA);
	if (x.r == NULL) {
		zin_close(x.zin);
		bi_msg(msg, msgsz, path, 0, NULL, "cannot read");
		return EX_DATAERR;
	}
	xmlTextReaderSetErrorHandler(x.r, xml_error, &x);
	xmlTextReaderSetStructuredErrorHandler(x.r, xml_serror, &x);
	if (xmlTextReaderSetSchema(x.r, sch) != 0) {
		xmlFreeTextReader(x.r);
		zin_close(x.zin);
		bi_msg(msg, msgsz, path, 0, NULL, "cannot attach the schema");
		return EX_SOFTWARE;
	}
	while ((r = xmlTextReaderRead(x.r)) == 1 && x.err[0] == '\0') {
		if (xmlTextReaderNodeType(x.r) != XML_READER_TYPE_ELEMENT)
			continue;
		if (strcmp((const char *)xmlTextReaderConstLocalName(x.r), "CONTRAT") != 0)
			continue;
		if ((n = xmlTextReaderExpand(x.r)) == NULL || x.err[0] != '\0') {
			r = -1;
			break;
		}
		contract(&x, n, amc, fileno);
		/* Move past the subtree; the reader frees it. */
		while ((r = xmlTextReaderNext(x.r)) == 1 &&
		    xmlTextReaderNodeType(x.r) == XML_READER_TYPE_ELEMENT &&
		    strcmp((const char *)xmlTextReaderConstLocalName(x.r), "CONTRAT") == 0 &&
		    x.err[0] == '\0') {
			if ((n = xmlTextReaderExpand(x.r)) == NULL || x.err[0] != '\0') {
				r = -1;
				break;
			}
			contract(&x, n, amc, fileno);
		}
		if (r != 1)
			break;
	}
	if (x.err[0] == '\0' && (r < 0 || xmlTextReaderIsValid(x.r) != 1)) {
		snprintf(x.err, sizeof x.err, "%s", r < 0 ? "not well-formed" :
		    "not valid against the schema");
		x.errline = xmlTextReaderGetParserLineNumber(x.r);
	}
	/* What the parser left unread must be nothing, read whole. */
	if (x.err[0] == '\0') {
		char rest[4096];

		while (zio_read(&x, rest, sizeof rest) > 0)
			;
	}
	xmlFreeTextReader(x.r);
	zin_close(x.zin);
	if (x.err[0] != '\0') {
		/* An error before the first line is read whole is at line 1. */
		bi_msg(msg, msgsz, path, x.errline > 0 ? x.errline : 1, "xml",
		    "%s (file refused)", x.err);
		return EX_DATAERR;
	}
	return 0;
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
