/*
 * Small XML parameter files, validated then read as a tree; large
 * documents checked as they are parsed (xmldoc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "tiers.h"
#include "xmldoc.h"

/* A thread's own: payment-edit checks its files on a thread of their own. */
static _Thread_local char xerr[256], verr[256];
static _Thread_local long xerrline, verrline;
static _Thread_local long xdtd;		/* the line of a document type declaration */
static _Thread_local xmlParserCtxtPtr xdpc;	/* xd_checkmem's parser (ctx is the validator's) */

/* The first error of a parse or a validation, without its values. */
static void
xmlerr(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (*xerr != '\0' || e == NULL || e->message == NULL)
		return;
	xmlmsg(xerr, sizeof xerr, e->message);
	xerrline = e->line;
}

xmlSchemaPtr
xd_schema(const char *xsd, const char *name)
{
	xmlSchemaParserCtxtPtr sp;
	xmlSchemaPtr s = NULL;

	LIBXML_TEST_VERSION
	xmlSubstituteEntitiesDefault(0);
	sp = xmlSchemaNewMemParserCtxt(xsd, (int)strlen(xsd));
	if (sp == NULL || (s = xmlSchemaParse(sp)) == NULL)
		die(EX_SOFTWARE, "%s (built in): not a usable schema", name);
	xmlSchemaFreeParserCtxt(sp);
	return s;
}

/* The document parsed (NULL: not XML), valid against s or freed. */
static int
valid(xmlSchemaPtr s, xmlDocPtr *doc, char *err, size_t n, long *line, const char **field)
{
	xmlSchemaValidCtxtPtr vc;
	int rc;

	if (*doc == NULL) {
		*line = xerrline, *field = "xml";
		snprintf(err, n, "%s", *xerr ? xerr : "not XML");
		return EX_DATAERR;
	}
	if ((vc = xmlSchemaNewValidCtxt(s)) == NULL)
		die(EX_SOFTWARE, "cannot validate");
	xmlSchemaSetValidStructuredErrors(vc, xmlerr, NULL);
	rc = xmlSchemaValidateDoc(vc, *doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		*line = xerrline, *field = "xsd";
		snprintf(err, n, "%s", *xerr ? xerr : "not valid");
		return EX_DATAERR;
	}
	return 0;
}

int
xd_read(xmlSchemaPtr s, const char *file, xmlDocPtr *doc, char *err, size_t n,
    long *line, const char **field)
{
	*xerr = '\0';
	xerrline = 0;
	*line = -1;
	*field = NULL;
	xmlSetStructuredErrorFunc(NULL, xmlerr);
	*doc = xmlReadFile(file, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (*doc == NULL && access(file, R_OK) < 0) {
		snprintf(err, n, "%s", strerror(errno));
		return EX_NOINPUT;
	}
	return valid(s, doc, err, n, line, field);
}

/* A checked document's first error of validation, apart from its parser's. */
static void
xsderr(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (*verr != '\0' || e == NULL || e->message == NULL)
		return;
	xmlmsg(verr, sizeof verr, e->message);
	verrline = e->line;
}

/* The line of a validation's error: the parser's (no node to take it from). */
static int
xdline(void *ctx, const char **file, unsigned long *line)
{
	*file = NULL;
	*line = (unsigned long)xmlSAX2GetLineNumber(ctx);
	return 0;
}

/* A document type declaration: refused (xd_checkmem), the parse stopped. */
static void
xdnodtd(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void)ctx, (void)name, (void)eid, (void)sid;
	xdtd = xmlSAX2GetLineNumber(xdpc);
	xmlStopParser(xdpc);
}

int
xd_checkmem(xmlSchemaPtr s, const char *buf, int len, xmlSAXHandlerPtr sax, void *user,
    char *err, size_t n, long *line, const char **field)
{
	xmlSchemaValidCtxtPtr vc;
	xmlSchemaSAXPlugPtr plug;
	xmlParserCtxtPtr pc;
	xmlSAXHandlerPtr psax = sax;
	void *puser = user;
	int wf, ok;

	*xerr = *verr = '\0';
	xerrline = verrline = 0;
	xdtd = 0;
	*line = -1;
	*field = NULL;
	xmlSetStructuredErrorFunc(NULL, xmlerr);
	/* libxml2 makes no parser of nothing: not XML, as a parse would say. */
	if (len <= 0) {
		*field = "xml";
		snprintf(err, n, "not XML");
		return EX_DATAERR;
	}
	if ((vc = xmlSchemaNewValidCtxt(s)) == NULL)
		die(EX_OSERR, "cannot validate: out of memory");
	xmlSchemaSetValidStructuredErrors(vc, xsderr, NULL);
	if ((pc = xmlCreateMemoryParserCtxt(buf, len)) == NULL)
		die(EX_OSERR, "cannot parse: out of memory");
	xmlCtxtUseOptions(pc, XML_PARSE_NONET);
	/* The validator between the parser and sax. */
	if ((plug = xmlSchemaSAXPlug(vc, &psax, &puser)) == NULL)
		die(EX_SOFTWARE, "cannot validate");
	memcpy(pc->sax, psax, sizeof *pc->sax);
	pc->sax->internalSubset = xdnodtd;
	pc->userData = puser;
	xmlSchemaValidateSetLocator(vc, xdline, pc);
	xdpc = pc;
	xmlParseDocument(pc);
	xdpc = NULL;
	wf = pc->wellFormed && !xdtd;
	ok = xmlSchemaIsValid(vc) == 1;
	xmlSchemaSAXUnplug(plug);
	xmlFreeParserCtxt(pc);
	xmlSchemaFreeValidCtxt(vc);
	if (!wf) {
		*line = xdtd ? xdtd : xerrline, *field = "xml";
		snprintf(err, n, "%s", xdtd ? "a document type declaration" : *xerr ? xerr : "not XML");
		return EX_DATAERR;
	}
	if (!ok) {
		*line = verrline, *field = "xsd";
		snprintf(err, n, "%s", *verr ? verr : "not valid");
		return EX_DATAERR;
	}
	return 0;
}

const char *
xd_attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next)
		if (strcmp((const char *)a->name, name) == 0 && a->children != NULL)
			return (const char *)a->children->content;
	return NULL;
}

int
xd_is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}
