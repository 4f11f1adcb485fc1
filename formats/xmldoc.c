/*
 * Small XML parameter files, validated then read as a tree (xmldoc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "tiers.h"
#include "xmldoc.h"

/* A thread's own: payment-edit checks its files on threads of their own. */
static _Thread_local char xerr[256];
static _Thread_local long xerrline;

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
