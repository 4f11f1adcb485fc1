/*
 * Small XML parameter files (guarantees, card parameters): parsed whole
 * with libxml2, validated against a built-in schema, then read as a
 * tree.
 * Messages are libxml2's without the values they quote (xmlmsg).
 */
#ifndef XMLDOC_H
#define XMLDOC_H

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* A built-in schema (its text, its name for messages), parsed or die. */
xmlSchemaPtr xd_schema(const char *xsd, const char *name);
/*
 * The document of file, valid against s: 0 and *doc; else the status
 * (EX_NOINPUT, or EX_DATAERR with the line and "xml" or "xsd" as the
 * field), the reason in err.
 */
int xd_read(xmlSchemaPtr s, const char *file, xmlDocPtr *doc, char *err, size_t n,
    long *line, const char **field);
/* The value of attribute name of n, or NULL. */
const char *xd_attr(xmlNodePtr n, const char *name);
/* Is n the element name? */
int xd_is(xmlNodePtr n, const char *name);

#endif
