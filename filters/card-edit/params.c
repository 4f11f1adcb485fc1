/*
 * card-edit: a client's card parameters (tiers-card(5)), XML validated
 * against the built-in schema (at most ten columns a card), then read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "card.h"
#include "xmldoc.h"

extern const char cardparams_xsd[];	/* formats/xsd/card-params.xsd, built in */

const char *const labelnames[NLABEL] = {
	"amc", "convention", "csr", "adherent", "validite"
};

static void
copyattr(char *dst, size_t n, xmlNodePtr e, const char *name)
{
	const char *s = xd_attr(e, name);

	snprintf(dst, n, "%s", s != NULL ? s : "");
}

/* One <carte>: the schema has checked its elements and their order. */
static void
loadcard(struct cardparam *c, xmlNodePtr n)
{
	xmlNodePtr e;
	const char *s;
	int i;

	memset(c, 0, sizeof *c);
	c->line = xmlGetLineNo(n);
	copyattr(c->fond, sizeof c->fond, n, "fond");
	copyattr(c->annexe, sizeof c->annexe, n, "annexe");
	copyattr(c->produit, sizeof c->produit, n, "produit");
	c->family = strcmp(xd_attr(n, "par"), "famille") == 0;
	for (e = n->children; e != NULL; e = e->next) {
		if (xd_is(e, "libelles")) {
			for (i = 0; i < NLABEL; i++)
				copyattr(c->label[i], sizeof c->label[i], e, labelnames[i]);
		} else if (xd_is(e, "convention")) {
			copyattr(c->conv, sizeof c->conv, e, "type");
			copyattr(c->csr, sizeof c->csr, e, "csr");
		} else if (xd_is(e, "validite")) {
			c->prodend = strcmp(xd_attr(e, "regle"), "fin-produit") == 0;
		} else if (xd_is(e, "calendrier")) {
			s = xd_attr(e, "renouvellement");
			c->renm = atoi(s), c->rend = atoi(s + 3);
		} else if (xd_is(e, "colonne") && c->ncol < NCOLS) {
			copyattr(c->col[c->ncol].dom, sizeof c->col[0].dom, e, "domaine");
			copyattr(c->col[c->ncol].label, sizeof c->col[0].label, e, "libelle");
			copyattr(c->col[c->ncol].value, sizeof c->col[0].value, e, "valeur");
			c->ncol++;
		}
	}
}

void
loadparams(struct params *p, const char *file)
{
	xmlSchemaPtr s;
	xmlDocPtr doc;
	xmlNodePtr root, n;
	char err[256];
	const char *field;
	long line;
	int rc, i, j;

	s = xd_schema(cardparams_xsd, "card-params.xsd");
	rc = xd_read(s, file, &doc, err, sizeof err, &line, &field);
	xmlSchemaFree(s);
	if (rc == EX_NOINPUT)
		die(rc, "%s: %s", file, err);
	if (rc != 0)
		die_at(rc, file, line, field, "%s", err);
	memset(p, 0, sizeof *p);
	root = xmlDocGetRootElement(doc);
	snprintf(p->amc, sizeof p->amc, "%s", xd_attr(root, "amc"));
	for (n = root->children; n != NULL; n = n->next) {
		if (!xd_is(n, "carte"))
			continue;
		p->c = xrealloc(p->c, (size_t)(p->n + 1) * sizeof *p->c);
		loadcard(&p->c[p->n], n);
		/* A card twice, or two that name the same beneficiaries: the first would win silently. */
		for (i = 0; i < p->n; i++)
			if (strcmp(p->c[i].fond, p->c[p->n].fond) == 0 &&
			    strcmp(p->c[i].annexe, p->c[p->n].annexe) == 0 &&
			    strcmp(p->c[i].produit, p->c[p->n].produit) == 0)
				die_at(EX_DATAERR, file, p->c[p->n].line, "carte",
				    "fond, annexe and produit as the card of line %ld", p->c[i].line);
		for (i = 0; i < p->c[p->n].ncol; i++)
			for (j = 0; j < i; j++)
				if (strcmp(p->c[p->n].col[i].dom, p->c[p->n].col[j].dom) == 0)
					die_at(EX_DATAERR, file, p->c[p->n].line, "colonne.domaine",
					    "a domain in two columns");
		p->n++;
	}
	xmlFreeDoc(doc);
}

void
freeparams(struct params *p)
{
	free(p->c);
	p->c = NULL;
	p->n = 0;
}

/* The first card whose attributes given all equal the beneficiary's. */
const struct cardparam *
findparam(const struct params *p, const char *fond, const char *annexe, const char *produit)
{
	const struct cardparam *c;
	int i;

	for (i = 0; i < p->n; i++) {
		c = &p->c[i];
		if ((*c->fond == '\0' || strcmp(c->fond, fond) == 0) &&
		    (*c->annexe == '\0' || strcmp(c->annexe, annexe) == 0) &&
		    (*c->produit == '\0' || strcmp(c->produit, produit) == 0))
			return c;
	}
	return NULL;
}
