/*
 * A client's SEPA credit-transfer initiation file, ISO 20022
 * pain.001.001.03 (tiers-pain(5)): one payment information block out of
 * the client's paying account, one transfer per PS paid.  Written with
 * libxml2's writer into memory, then read back and checked before
 * anything is published: valid against the project's schema
 * (formats/xsd/pain001.xsd, built in), and its counts and control sums
 * those of the transfers, the amounts summed again from the document
 * itself, not from what was meant to be written.  Nothing of the clock:
 * the creation time is the business date at midnight, the execution
 * date the next business day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "pay.h"
#include "xmldoc.h"

extern const char pain001_xsd[];	/* formats/xsd/pain001.xsd, built in */

#define NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

xmlSchemaPtr
sepa_schema(void)
{
	return xd_schema(pain001_xsd, "formats/xsd/pain001.xsd");
}

static void
wr(int rc)
{
	if (rc < 0)
		die(EX_SOFTWARE, "xmlTextWriter: cannot write");
}

static void
elem(xmlTextWriterPtr w, const char *name, const char *text)
{
	wr(xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text));
}

static void
open_(xmlTextWriterPtr w, const char *name)
{
	wr(xmlTextWriterStartElement(w, BAD_CAST name));
}

static void
close_(xmlTextWriterPtr w, int n)
{
	while (n-- > 0)
		wr(xmlTextWriterEndElement(w));
}

/* A party: its name, in the SEPA set, 70 characters at most. */
static void
party(xmlTextWriterPtr w, const char *el, const char *name)
{
	char nm[71];

	sepa_text(nm, sizeof nm - 1, name, strlen(name));
	open_(w, el);
	elem(w, "Nm", nm);
	close_(w, 1);
}

static void
account(xmlTextWriterPtr w, const char *el, const char *iban)
{
	open_(w, el);
	open_(w, "Id");
	elem(w, "IBAN", iban);
	close_(w, 2);
}

static void
agent(xmlTextWriterPtr w, const char *el, const char *bic)
{
	open_(w, el);
	open_(w, "FinInstnId");
	elem(w, "BIC", bic);
	close_(w, 2);
}

/* The text of an XPath expression's nodes, one by one, to fn. */
static long
each(xmlXPathContextPtr xc, const char *expr, void (*fn)(const char *, void *), void *arg)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, xc);
	long n = 0;
	int i;

	if (o == NULL || o->nodesetval == NULL)
		die(EX_SOFTWARE, "xpath %s: no result", expr);
	for (i = 0; i < o->nodesetval->nodeNr; i++, n++) {
		xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[i]);

		fn(t != NULL ? (const char *)t : "", arg);
		xmlFree(t);
	}
	xmlXPathFreeObject(o);
	return n;
}

struct acc {
	const char *name, *what;
	int64_t sum;
	char text[32];
};

static void
addamt(const char *t, void *arg)
{
	struct acc *a = arg;
	int64_t c;

	if (money_parse(t, strlen(t), &c) != M_OK || money_add(&a->sum, a->sum, c) < 0)
		die(EX_SOFTWARE, "%s: %s: not an amount", a->name, a->what);
}

static void
keep(const char *t, void *arg)
{
	struct acc *a = arg;

	snprintf(a->text, sizeof a->text, "%s", t);
}

/* The document's own counts and sums: the transfers', twice over. */
static void
readback(struct sepa *s, xmlDocPtr doc, const char *name, uint64_t ntx, int64_t sum)
{
	static const char *const counts[] = { "//p:GrpHdr/p:NbOfTxs", "//p:PmtInf/p:NbOfTxs" };
	static const char *const sums[] = { "//p:GrpHdr/p:CtrlSum", "//p:PmtInf/p:CtrlSum" };
	xmlXPathContextPtr xc = xmlXPathNewContext(doc);
	struct acc a;
	char want[32];
	long n;
	int i;

	if (xc == NULL || xmlXPathRegisterNs(xc, BAD_CAST "p", BAD_CAST NS) != 0)
		die(EX_SOFTWARE, "xpath: cannot start");
	memset(&a, 0, sizeof a);
	a.name = name;
	a.what = "InstdAmt";
	n = each(xc, "//p:CdtTrfTxInf/p:Amt/p:InstdAmt", addamt, &a);
	s->ntx = (uint64_t)n;
	s->sum = a.sum;
	if (s->ntx != ntx || s->sum != sum)
		die(EX_SOFTWARE, "%s: %llu transfers of %lld cents in the document, %llu of %lld meant",
		    name, (unsigned long long)s->ntx, (long long)s->sum,
		    (unsigned long long)ntx, (long long)sum);
	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof want, "%ld", n);
		if (each(xc, counts[i], keep, &a) != 1 || strcmp(a.text, want) != 0)
			die(EX_SOFTWARE, "%s: %s is not the count of its transfers", name, counts[i]);
		a.sum = 0;
		a.what = sums[i];
		if (each(xc, sums[i], addamt, &a) != 1 || a.sum != s->sum)
			die(EX_SOFTWARE, "%s: %s is not the sum of its transfers", name, sums[i]);
	}
	xmlXPathFreeContext(xc);
}

/*
 * The file of a client's transfers (pys: its payees paid, net above
 * 0), into s->xml; dies (EX_SOFTWARE) if it is not valid or its sums
 * are not the transfers'.
 */
void
sepa_build(struct sepa *s, xmlSchemaPtr schema, const char *date,
    const struct debtor *deb, struct payee *const *pys, size_t npy, const char *name)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w;
	xmlDocPtr doc;
	const char *efield;
	long eline;
	char id[40], t[32], ctl[MONEY_BUFSZ], txt[141], raw[200], amt[MONEY_BUFSZ], err[256];
	int32_t day;
	int64_t sum = 0;
	size_t i;

	if (buf == NULL || (w = xmlNewTextWriterMemory(buf, 0)) == NULL)
		die(EX_OSERR, "xmlTextWriter: out of memory");
	for (i = 0; i < npy; i++)
		if (money_add(&sum, sum, pys[i]->net) < 0)
			die(EX_DATAERR, "%s: the transfers' sum is out of range", name);
	money_fmt(sum, ctl);
	wr(xmlTextWriterSetIndent(w, 1));
	wr(xmlTextWriterSetIndentString(w, BAD_CAST "  "));
	wr(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	open_(w, "Document");
	wr(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST NS));
	open_(w, "CstmrCdtTrfInitn");
	open_(w, "GrpHdr");
	snprintf(id, sizeof id, "TP%.4s%.2s%.2s-%s", date, date + 5, date + 8, deb->amc);
	elem(w, "MsgId", id);
	snprintf(t, sizeof t, "%sT00:00:00", date);
	elem(w, "CreDtTm", t);
	snprintf(t, sizeof t, "%zu", npy);
	elem(w, "NbOfTxs", t);
	elem(w, "CtrlSum", ctl);
	party(w, "InitgPty", deb->name);
	close_(w, 1);
	open_(w, "PmtInf");
	strcat(id, "-PMT");
	elem(w, "PmtInfId", id);
	elem(w, "PmtMtd", "TRF");
	elem(w, "NbOfTxs", t);
	elem(w, "CtrlSum", ctl);
	open_(w, "PmtTpInf");
	open_(w, "SvcLvl");
	elem(w, "Cd", "SEPA");
	close_(w, 2);
	if (date_parse(date, strlen(date), &day) < 0)
		die(EX_SOFTWARE, "%s: not a date", date);
	date_fmt(date_next_business(day), t);
	elem(w, "ReqdExctnDt", t);
	party(w, "Dbtr", deb->name);
	account(w, "DbtrAcct", deb->iban);
	agent(w, "DbtrAgt", deb->bic);
	elem(w, "ChrgBr", "SLEV");
	for (i = 0; i < npy; i++) {
		const struct payee *py = pys[i];

		open_(w, "CdtTrfTxInf");
		open_(w, "PmtId");
		elem(w, "EndToEndId", py->ref);
		close_(w, 1);
		open_(w, "Amt");
		money_fmt(py->net, amt);
		wr(xmlTextWriterStartElement(w, BAD_CAST "InstdAmt"));
		wr(xmlTextWriterWriteAttribute(w, BAD_CAST "Ccy", BAD_CAST "EUR"));
		wr(xmlTextWriterWriteString(w, BAD_CAST amt));
		close_(w, 2);
		if (*py->reg->bic != '\0')
			agent(w, "CdtrAgt", py->reg->bic);
		party(w, "Cdtr", py->reg->name);
		account(w, "CdtrAcct", py->reg->iban);
		open_(w, "RmtInf");
		if (py->offset > 0) {
			money_fmt(py->offset, ctl);
			snprintf(raw, sizeof raw, "Tiers payant %s du %s, %zu lignes, indus deduits %s, releve %s",
			    py->amc, date, py->nlines, ctl, py->ref);
		} else
			snprintf(raw, sizeof raw, "Tiers payant %s du %s, %zu lignes, releve %s",
			    py->amc, date, py->nlines, py->ref);
		sepa_text(txt, sizeof txt - 1, raw, strlen(raw));
		elem(w, "Ustrd", txt);
		close_(w, 2);
	}
	wr(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);

	/* Read back, valid, and its sums the transfers'. */
	if (xd_readmem(schema, (const char *)xmlBufferContent(buf), xmlBufferLength(buf), name,
	    &doc, err, sizeof err, &eline, &efield) != 0)
		die(EX_SOFTWARE, "%s:%ld: %s: not valid against formats/xsd/pain001.xsd: %s", name,
		    eline, efield, err);
	readback(s, doc, name, npy, sum);
	xmlFreeDoc(doc);
	s->len = (size_t)xmlBufferLength(buf);
	s->xml = xmalloc(s->len);
	memcpy(s->xml, xmlBufferContent(buf), s->len);
	xmlBufferFree(buf);
}
