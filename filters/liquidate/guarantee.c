/*
 * liquidate: the guarantee files (tiers-liquidate(5)), XML validated
 * against the built-in schema, read into the client's products, rules
 * and ceilings.  A file refused is an error returned, with its line and
 * field: the caller prints it (main exits; a fuzz harness goes on).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "liquidate.h"
#include "xmldoc.h"

extern const char guarantee_xsd[];	/* formats/xsd/guarantee.xsd, built in */

static xmlSchemaPtr schema;

/* Set e; returns -1. */
static int
gerr(struct lqerr *e, int status, long line, const char *field, const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->line = line;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int
eurattr(struct lqerr *e, xmlNodePtr n, const char *name, int64_t *c)
{
	const char *s = xd_attr(n, name);

	if (s == NULL || money_parse(s, strlen(s), c) != M_OK)
		return gerr(e, EX_DATAERR, xmlGetLineNo(n), name, "not an amount in euros");
	return 0;
}

/*
 * A whole-number attribute into *v, def when absent.  It must be written
 * as the schema's canonical form: digits, no sign, blank or leading zero.
 * The schema accepts "+100" or " 100" (it collapses blanks); read any
 * other way they would become 0 or switch a limit off: refused, with the
 * field (ELEMENT.ATTRIBUTE) and the line.
 */
static int
intattr(struct lqerr *e, xmlNodePtr n, const char *field, long def, long *v)
{
	const char *name = strchr(field, '.') + 1, *s = xd_attr(n, name);
	size_t len;

	if (s == NULL) {
		*v = def;
		return 0;
	}
	len = strlen(s);
	if (len == 0 || strspn(s, "0123456789") != len || (len > 1 && s[0] == '0') ||
	    int_parse(s, len, 0, 100000, v) < 0)
		return gerr(e, EX_DATAERR, xmlGetLineNo(n), field,
		    "not a whole number as written: digits, no sign, blank or leading zero");
	return 0;
}

static int
loadplafond(struct lqerr *e, struct guar *g, xmlNodePtr n)
{
	struct plafond *p;
	xmlNodePtr a;
	long v;
	int i;

	g->plafs = xrealloc(g->plafs, (size_t)(g->nplafs + 1) * sizeof *g->plafs);
	p = &g->plafs[g->nplafs];
	memset(p, 0, sizeof *p);
	snprintf(p->id, sizeof p->id, "%s", xd_attr(n, "id"));
	for (i = 0; i < g->nplafs; i++)
		if (strcmp(g->plafs[i].id, p->id) == 0)
			return gerr(e, EX_DATAERR, xmlGetLineNo(n), "plafond.id", "defined twice");
	p->family = strcmp(xd_attr(n, "portee"), "famille") == 0;
	if (xd_attr(n, "montant") != NULL) {
		p->hasamt = 1;
		if (eurattr(e, n, "montant", &p->amount) < 0)
			return -1;
	}
	if (intattr(e, n, "plafond.nombre", 0, &v) < 0)
		return -1;
	p->count = v;
	if (!p->hasamt && p->count == 0)
		return gerr(e, EX_DATAERR, xmlGetLineNo(n), "plafond", "neither montant nor nombre");
	p->anniv = strcmp(xd_attr(n, "periode"), "anniversaire") == 0;
	if (strcmp(xd_attr(n, "periode"), "mois") == 0) {
		if (intattr(e, n, "plafond.mois", 0, &v) < 0)
			return -1;
		p->months = (int)v;
		if (p->months == 0)
			return gerr(e, EX_DATAERR, xmlGetLineNo(n), "plafond.mois",
			    "required with periode mois");
	}
	for (a = n->children; a != NULL; a = a->next) {
		if (!xd_is(a, "age"))
			continue;
		if (p->months == 0)
			return gerr(e, EX_DATAERR, xmlGetLineNo(a), "age", "only with periode mois");
		if (p->nage == 8)
			return gerr(e, EX_DATAERR, xmlGetLineNo(a), "age", "more than 8 age bands");
		if (intattr(e, a, "age.max", 0, &v) < 0)
			return -1;
		p->agemax[p->nage] = (int)v;
		if (intattr(e, a, "age.mois", 1, &v) < 0)
			return -1;
		p->agemonths[p->nage++] = (int)v;
	}
	g->nplafs++;
	return 0;
}

static int
loadrule(struct lqerr *e, struct guar *g, struct product *pr, xmlNodePtr n)
{
	struct rule *r;
	const char *s;
	long line = xmlGetLineNo(n), v;
	int i;

	pr->rules = xrealloc(pr->rules, (size_t)(pr->nrules + 1) * sizeof *pr->rules);
	r = &pr->rules[pr->nrules++];
	memset(r, 0, sizeof *r);
	s = xd_attr(n, "domaine");
	r->dom = domidx(s, strlen(s));
	if ((s = xd_attr(n, "actes")) != NULL) {
		if (strlen(s) + 3 > sizeof r->acts)
			return gerr(e, EX_DATAERR, line, "regle.actes", "too long");
		snprintf(r->acts, sizeof r->acts, " %s ", s);
	}
	if (intattr(e, n, "regle.age-min", 0, &v) < 0)
		return -1;
	r->agemin = (int)v;
	if (intattr(e, n, "regle.age-max", 1000, &v) < 0)
		return -1;
	r->agemax = (int)v;
	s = xd_attr(n, "formule");
	r->formula = strcmp(s, "br") == 0 ? FO_BR : strcmp(s, "br-sup") == 0 ? FO_BRSUP :
	    strcmp(s, "fr") == 0 ? FO_FR : strcmp(s, "fixe") == 0 ? FO_FIXE : FO_S100;
	if (r->formula <= FO_FR) {
		if (xd_attr(n, "taux") == NULL)
			return gerr(e, EX_DATAERR, line, "regle.taux", "required by formule %s", s);
		if (intattr(e, n, "regle.taux", 0, &v) < 0)
			return -1;
		r->rate = v * 100;
	}
	if (r->formula == FO_FIXE) {
		if (xd_attr(n, "montant") == NULL)
			return gerr(e, EX_DATAERR, line, "regle.montant", "required by formule fixe");
		if (eurattr(e, n, "montant", &r->amount) < 0)
			return -1;
	}
	if (xd_attr(n, "prix-limite") != NULL) {
		r->haslimit = 1;
		if (eurattr(e, n, "prix-limite", &r->limit) < 0)
			return -1;
	}
	s = xd_attr(n, "pec");
	if (s != NULL && strcmp(s, "1") != 0 && strcmp(s, "true") != 0 &&
	    strcmp(s, "0") != 0 && strcmp(s, "false") != 0)
		return gerr(e, EX_DATAERR, line, "regle.pec",
		    "not 0, 1, false or true as written (no blank)");
	r->pec = s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
	r->plaf = -1;
	if ((s = xd_attr(n, "plafond")) != NULL) {
		for (i = 0; i < g->nplafs; i++)
			if (strcmp(g->plafs[i].id, s) == 0)
				r->plaf = i;
		if (r->plaf < 0)
			return gerr(e, EX_DATAERR, line, "regle.plafond", "no such plafond");
	}
	return 0;
}

/* The built-in schema, parsed once. */
void
guarinit(void)
{
	if (schema == NULL)
		schema = xd_schema(guarantee_xsd, "guarantee.xsd");
}

static void
freeguar(struct guar *g)
{
	int i;

	for (i = 0; i < g->nprods; i++)
		free(g->prods[i].rules);
	free(g->prods);
	free(g->plafs);
}

/* The products of the file, into g: 0, or -1 and e. */
static int
products(struct lqerr *e, struct guar *g, xmlNodePtr root)
{
	struct product *pr;
	xmlNodePtr n, m;
	int i;

	for (n = root->children; n != NULL; n = n->next)
		if (xd_is(n, "plafond") && loadplafond(e, g, n) < 0)
			return -1;
	for (n = root->children; n != NULL; n = n->next) {
		if (!xd_is(n, "produit"))
			continue;
		g->prods = xrealloc(g->prods, (size_t)(g->nprods + 1) * sizeof *g->prods);
		pr = &g->prods[g->nprods];
		memset(pr, 0, sizeof *pr);
		snprintf(pr->ref, sizeof pr->ref, "%s", xd_attr(n, "ref"));
		for (i = 0; i < g->nprods; i++)
			if (strcmp(g->prods[i].ref, pr->ref) == 0)
				return gerr(e, EX_DATAERR, xmlGetLineNo(n), "produit.ref",
				    "defined twice");
		g->nprods++;
		for (m = n->children; m != NULL; m = m->next)
			if (xd_is(m, "regle") && loadrule(e, g, pr, m) < 0)
				return -1;
	}
	return 0;
}

/*
 * One guarantee file, added to gs: 0, or -1 and e (gs as it was).
 */
int
loadguar(struct guars *gs, const char *file, struct lqerr *e)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	struct guar *g;
	int i, rc;

	guarinit();
	rc = xd_read(schema, file, &doc, e->msg, sizeof e->msg, &e->line, &e->field);
	if (rc != 0) {
		e->status = rc;
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	gs->g = xrealloc(gs->g, (size_t)(gs->n + 1) * sizeof *gs->g);
	g = &gs->g[gs->n];
	memset(g, 0, sizeof *g);
	g->file = file;
	snprintf(g->amc, sizeof g->amc, "%s", xd_attr(root, "amc"));
	g->nonoemie = xd_attr(root, "paiement-noemie") != NULL &&
	    strcmp(xd_attr(root, "paiement-noemie"), "non") == 0;
	rc = 0;
	for (i = 0; i < gs->n && rc == 0; i++)
		if (strcmp(gs->g[i].amc, g->amc) == 0)
			rc = gerr(e, EX_DATAERR, xmlGetLineNo(root), "garanties.amc",
			    "a second guarantee file for this client (first: %s)", gs->g[i].file);
	if (rc == 0)
		rc = products(e, g, root);
	xmlFreeDoc(doc);
	if (rc < 0) {
		freeguar(g);
		return -1;
	}
	gs->n++;
	return 0;
}

void
freeguars(struct guars *gs)
{
	int i;

	for (i = 0; i < gs->n; i++)
		freeguar(&gs->g[i]);
	free(gs->g);
	gs->g = NULL;
	gs->n = 0;
}
