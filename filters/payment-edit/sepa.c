/*
 * A client's SEPA credit-transfer initiation file, ISO 20022
 * pain.001.001.03 (tiers-pain(5)): one payment information block out of
 * the client's paying account, one transfer per PS paid.  Built as a
 * libxml2 tree in the pain namespace, serialized into memory, then the
 * tree checked (by a thread of the check, while the rest is written)
 * before anything is published: valid against the project's schema
 * (formats/xsd/pain001.xsd, built in), and its counts and control sums
 * those of the transfers, the amounts summed again from the document
 * itself, not from what was meant to be written.  The tree, not its text
 * parsed again: the text is the tree's, its names the schema's, and
 * every value the schema lets through is printable ASCII without
 * < > & or ", which the serializer writes as it is (on 2026-01-19 of the
 * generated world the check took 1.32 G instructions parsing the text,
 * 1.06 G on the tree, its freeing included).  Nothing of the clock: the
 * creation time is the business date at midnight, the execution date
 * the next business day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "pay.h"
#include "xmldoc.h"

extern const char pain001_xsd[];	/* formats/xsd/pain001.xsd, built in */

#define NS "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"

xmlSchemaPtr
sepa_schema(void)
{
	return xd_schema(pain001_xsd, "formats/xsd/pain001.xsd");
}

/*
 * The document as a tree, built in the order of its text (cur: the
 * element open), serialized whole at the end (xmlSaveDoc, indented two
 * spaces a level as libxml2's writer indented it, byte for byte, with
 * fewer writes: the writer was 0.81 G instructions of 2026-01-19 of the
 * generated world, the tree 0.63 G, 0.48 G since its texts are not
 * escaped nor copied from UTF-8 to UTF-8).
 */
/*
 * The names of the elements, interned in the document's dictionary once
 * a document (nm), the nodes made with them (xmlNewDocNodeEatName), not
 * each name looked up again as xmlNewChild and xmlNewTextChild did (25 M
 * instructions of 2026-01-19 of the generated world); the texts made
 * with their lengths, not measured a byte at a time (xmlStrdup).
 */
enum {
	E_INITN, E_GRPHDR, E_MSGID, E_CREDTTM, E_NBOFTXS, E_CTRLSUM, E_INITGPTY, E_NM,
	E_PMTINF, E_PMTINFID, E_PMTMTD, E_PMTTPINF, E_SVCLVL, E_CD, E_REQDEXCTNDT, E_DBTR,
	E_DBTRACCT, E_ID, E_IBAN, E_DBTRAGT, E_FININSTNID, E_BIC, E_CHRGBR, E_TX, E_PMTID,
	E_ENDTOENDID, E_AMT, E_INSTDAMT, E_CDTRAGT, E_CDTR, E_CDTRACCT, E_RMTINF, E_USTRD, NE
};
static const char *const names[NE] = {
	"CstmrCdtTrfInitn", "GrpHdr", "MsgId", "CreDtTm", "NbOfTxs", "CtrlSum", "InitgPty", "Nm",
	"PmtInf", "PmtInfId", "PmtMtd", "PmtTpInf", "SvcLvl", "Cd", "ReqdExctnDt", "Dbtr",
	"DbtrAcct", "Id", "IBAN", "DbtrAgt", "FinInstnId", "BIC", "ChrgBr", "CdtTrfTxInf", "PmtId",
	"EndToEndId", "Amt", "InstdAmt", "CdtrAgt", "Cdtr", "CdtrAcct", "RmtInf", "Ustrd"
};

struct tw {
	xmlDocPtr doc;
	xmlNodePtr cur;
	const xmlChar *nm[NE];	/* names[], in doc's dictionary */
};

static xmlNodePtr
ok(xmlNodePtr n)
{
	if (n == NULL)
		die(EX_OSERR, "libxml2: out of memory");
	return n;
}

/* A new last child of cur, element e, in cur's namespace. */
static xmlNodePtr
child(struct tw *w, int e)
{
	xmlNodePtr n = ok(xmlNewDocNodeEatName(w->doc, w->cur->ns, (xmlChar *)(uintptr_t)w->nm[e],
	    NULL));

	return ok(xmlAddChild(w->cur, n));
}

/*
 * Element e and its text, of n bytes.  The text is written as it is,
 * not escaped (xmlStringTextNoenc, libxml2's name for such a text,
 * XSLT's disable-output-escaping): every value the schema lets through
 * is printable ASCII without < > & (see the head of this file), and a
 * tree with any other is refused by the check before anything is
 * published.  The escaping looked at every byte of every text: 41 M
 * instructions of 2026-01-19 of the generated world, for nothing to
 * escape.
 */
static xmlNodePtr
elemn(struct tw *w, int e, const char *text, size_t n)
{
	xmlNodePtr el = child(w, e), t = ok(xmlNewDocTextLen(w->doc, BAD_CAST text, (int)n));

	t->name = xmlStringTextNoenc;
	ok(xmlAddChild(el, t));
	return el;
}

static xmlNodePtr
elem(struct tw *w, int e, const char *text)
{
	return elemn(w, e, text, strlen(text));
}

static void
open_(struct tw *w, int e)
{
	w->cur = child(w, e);
}

static void
close_(struct tw *w, int n)
{
	while (n-- > 0)
		w->cur = w->cur->parent;
}

/* The text serialized, in memory (xmlSaveToIO's writer). */
struct obuf {
	unsigned char *p;
	size_t n, cap;
};

static int
obwrite(void *ctx, const char *b, int len)
{
	struct obuf *o = ctx;

	if (len <= 0)
		return 0;
	if (o->n + (size_t)len > o->cap) {
		o->cap = 2 * (o->n + (size_t)len);
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, b, (size_t)len);
	o->n += (size_t)len;
	return len;
}

/* n in decimal at p, as %zu: its length. */
static size_t
count(char *p, size_t n)
{
	char d[24];
	size_t k = 0, i;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	for (i = 0; i < k; i++)
		p[i] = d[k - 1 - i];
	p[k] = '\0';
	return k;
}

/* A party: its name, in the SEPA set, 70 characters at most. */
static void
party(struct tw *w, int el, const char *name)
{
	char nm[71];

	open_(w, el);
	elemn(w, E_NM, nm, sepa_text(nm, sizeof nm - 1, name, strlen(name)));
	close_(w, 1);
}

static void
account(struct tw *w, int el, const char *iban)
{
	open_(w, el);
	open_(w, E_ID);
	elem(w, E_IBAN, iban);
	close_(w, 2);
}

static void
agent(struct tw *w, int el, const char *bic)
{
	open_(w, el);
	open_(w, E_FININSTNID);
	elem(w, E_BIC, bic);
	close_(w, 2);
}

/*
 * A transfer's remittance text, "Tiers payant AMC du DATE, N lignes[,
 * indus deduits X], releve REF", in the SEPA set, at txt (141 bytes):
 * its length.  Put by pieces (snprintf was 25 M instructions of
 * 2026-01-19): 160 bytes at most, the pieces bounded.
 */
static size_t
ustrd(char *txt, const char *date, const struct payee *py)
{
	char raw[200], m[MONEY_BUFSZ], *p;

	p = stpcpy(stpcpy(stpcpy(stpcpy(raw, "Tiers payant "), py->amc), " du "), date);
	p = stpcpy(p, ", ");
	p += count(p, py->nlines);
	p = stpcpy(p, " lignes, ");
	if (py->offset > 0) {
		money_fmt(py->offset, m);
		p = stpcpy(stpcpy(stpcpy(p, "indus deduits "), m), ", ");
	}
	p = stpcpy(stpcpy(p, "releve "), py->ref);
	return sepa_text(txt, 140, raw, (size_t)(p - raw));
}

/* Text node t's text made text, of n bytes (still not escaped). */
static void
retext(xmlNodePtr t, const char *text, size_t n)
{
	xmlNodeSetContentLen(t, BAD_CAST text, (int)n);
	if (t->content == NULL)
		die(EX_OSERR, "libxml2: out of memory");
}

/*
 * The tree of a client's file of transfers (pys: its payees to be paid,
 * before the offsets), built while the offsets are awaited: the offsets
 * only take some transfers off it, or lower their amounts; sepa_write
 * makes it the file of the transfers then paid.  The counts and sums
 * are left empty until then.
 */
void
sepa_build(struct sepa *s, const char *date, const struct debtor *deb,
    struct payee *const *pys, size_t npy)
{
	struct tw tw, *w = &tw;
	xmlNodePtr root;
	xmlNsPtr ns;
	char id[40], t[32], txt[141], amt[MONEY_BUFSZ];
	int32_t day;
	size_t i;

	memset(s, 0, sizeof *s);
	/* The elements' names interned in a dictionary, not copied each. */
	if ((w->doc = xmlNewDoc(BAD_CAST "1.0")) == NULL || (w->doc->dict = xmlDictCreate()) == NULL)
		die(EX_OSERR, "libxml2: out of memory");
	root = ok(xmlNewDocNode(w->doc, NULL, BAD_CAST "Document", NULL));
	xmlDocSetRootElement(w->doc, root);
	/*
	 * The namespace the root's, and so every element's (a child made
	 * with none takes its parent's): the tree is then the document the
	 * schema describes, validated as it is; the text is the same, the
	 * default namespace declared on the root and no prefix.
	 */
	if ((ns = xmlNewNs(root, BAD_CAST NS, NULL)) == NULL)
		die(EX_OSERR, "libxml2: out of memory");
	xmlSetNs(root, ns);
	for (i = 0; i < NE; i++)
		if ((w->nm[i] = xmlDictLookup(w->doc->dict, BAD_CAST names[i], -1)) == NULL)
			die(EX_OSERR, "libxml2: out of memory");
	w->cur = root;
	open_(w, E_INITN);
	open_(w, E_GRPHDR);
	snprintf(id, sizeof id, "TP%.4s%.2s%.2s-%s", date, date + 5, date + 8, deb->amc);
	elem(w, E_MSGID, id);
	snprintf(t, sizeof t, "%sT00:00:00", date);
	elem(w, E_CREDTTM, t);
	s->nb[0] = elemn(w, E_NBOFTXS, "", 0)->children;
	s->ctl[0] = elemn(w, E_CTRLSUM, "", 0)->children;
	party(w, E_INITGPTY, deb->name);
	close_(w, 1);
	open_(w, E_PMTINF);
	strcat(id, "-PMT");
	elem(w, E_PMTINFID, id);
	elem(w, E_PMTMTD, "TRF");
	s->nb[1] = elemn(w, E_NBOFTXS, "", 0)->children;
	s->ctl[1] = elemn(w, E_CTRLSUM, "", 0)->children;
	open_(w, E_PMTTPINF);
	open_(w, E_SVCLVL);
	elem(w, E_CD, "SEPA");
	close_(w, 2);
	if (date_parse(date, strlen(date), &day) < 0)
		die(EX_SOFTWARE, "%s: not a date", date);
	date_fmt(date_next_business(day), t);
	elem(w, E_REQDEXCTNDT, t);
	party(w, E_DBTR, deb->name);
	account(w, E_DBTRACCT, deb->iban);
	agent(w, E_DBTRAGT, deb->bic);
	elem(w, E_CHRGBR, "SLEV");
	s->txs = xmalloc((npy + 1) * sizeof *s->txs);
	s->npy = npy;
	for (i = 0; i < npy; i++) {
		const struct payee *py = pys[i];
		struct sepatx *x = &s->txs[i];
		xmlNodePtr a;

		x->py = py;
		open_(w, E_TX);
		x->tx = w->cur;
		open_(w, E_PMTID);
		elem(w, E_ENDTOENDID, py->ref);
		close_(w, 1);
		open_(w, E_AMT);
		money_fmt(py->net, amt);
		a = elem(w, E_INSTDAMT, amt);
		if (xmlNewProp(a, BAD_CAST "Ccy", BAD_CAST "EUR") == NULL)
			die(EX_OSERR, "libxml2: out of memory");
		x->amt = a->children;
		close_(w, 1);
		if (*py->reg->bic != '\0')
			agent(w, E_CDTRAGT, py->reg->bic);
		party(w, E_CDTR, py->reg->name);
		account(w, E_CDTRACCT, py->reg->iban);
		open_(w, E_RMTINF);
		x->ustrd = elemn(w, E_USTRD, txt, ustrd(txt, date, py))->children;
		close_(w, 2);
	}
	s->doc = w->doc;
}

/* A tree built that no file takes: every transfer offset whole. */
void
sepa_drop(struct sepa *s)
{
	xmlFreeDoc(s->doc);
	free(s->txs);
	memset(s, 0, sizeof *s);
}

/*
 * The file of a client's transfers, from its tree (sepa_build) now that
 * the offsets are known: the transfers offset whole taken off, those
 * offset in part given their net amount and the offset in their text,
 * the counts and sums put; into s->xml, with the count and sum it is
 * meant to hold.  The same tree as one built after the offsets, of the
 * payees paid then (the same order, names, namespace and texts).
 */
void
sepa_write(struct sepa *s, const char *date, const char *name)
{
	struct obuf ob;
	xmlSaveCtxtPtr sc;
	char t[32], ctl[MONEY_BUFSZ], txt[141], amt[MONEY_BUFSZ];
	int64_t sum = 0;
	size_t i, npy = 0;

	for (i = 0; i < s->npy; i++) {
		const struct sepatx *x = &s->txs[i];
		const struct payee *py = x->py;

		if (py->status != S_PAID) {
			xmlUnlinkNode(x->tx);
			xmlFreeNode(x->tx);
			continue;
		}
		npy++;
		if (money_add(&sum, sum, py->net) < 0)
			die(EX_DATAERR, "%s: the transfers' sum is out of range", name);
		if (py->offset > 0) {
			retext(x->amt, amt, money_fmt(py->net, amt));
			retext(x->ustrd, txt, ustrd(txt, date, py));
		}
	}
	free(s->txs);
	s->txs = NULL;
	snprintf(t, sizeof t, "%zu", npy);
	money_fmt(sum, ctl);
	for (i = 0; i < 2; i++) {
		retext(s->nb[i], t, strlen(t));
		retext(s->ctl[i], ctl, strlen(ctl));
	}
	/*
	 * Indented two spaces a level, as xmlTextWriterSetIndent did; the
	 * declaration names the document's encoding, UTF-8, and the output
	 * has no encoder (xmlDocDumpFormatMemoryEnc's, told "UTF-8", copied
	 * every byte from UTF-8 to UTF-8: 23 M instructions of 2026-01-19).
	 * Into ob by libxml2's pieces of 4 000 bytes, not one buffer grown
	 * by libxml2 then copied whole.
	 */
	if ((s->doc->encoding = xmlStrdup(BAD_CAST "UTF-8")) == NULL)
		die(EX_OSERR, "libxml2: out of memory");
	ob.cap = 4096 + 640 * npy;
	ob.p = xmalloc(ob.cap);
	ob.n = 0;
	if ((sc = xmlSaveToIO(obwrite, NULL, &ob, NULL, XML_SAVE_FORMAT)) == NULL ||
	    xmlSaveDoc(sc, s->doc) < 0 || xmlSaveClose(sc) < 0)
		die(EX_OSERR, "libxml2: cannot serialize the document");
	s->xml = ob.p;
	s->len = ob.n;
	s->wantn = npy;
	s->wantsum = sum;
	s->ntx = 0;
	s->sum = 0;
}

/*
 * What the read-back counts: the text of every InstdAmt in an Amt in a
 * CdtTrfTxInf, and of the NbOfTxs and CtrlSum of GrpHdr and of PmtInf,
 * wherever they are (as //a/b would find them), all in the namespace.
 * Taken as a parser gives them (a walk of the tree calls what its SAX2
 * callbacks would): the names of the elements open, NULL out of the
 * namespace; the text of the one counted, open, until its end.  Nothing
 * grown (nothing here may die): a valid file is 6 elements deep, its
 * amounts and counts 12 and 15 characters long at most; an amount of 63
 * characters or more is none (money_parse would refuse it too).
 */
enum { K_AMT, K_GRPN, K_PMTN, K_GRPSUM, K_PMTSUM, NK };

struct acc {
	long n[NK];
	int64_t sum[NK];
	char text[2][64];	/* the counts' text */
	int bad;		/* 1 + the kind of an amount that is not one */
	const char *open[32];	/* the elements open, the first 32 */
	size_t nopen;
	int k;			/* the kind of the element taken, or -1 */
	size_t kdepth;		/* its depth (nopen once open) */
	char t[64];		/* its text, too long for an amount if full */
	size_t tn;
	const xmlChar *ns;	/* the namespace's URI as the parser gave it, once met */
};

static void
take(struct acc *a, int k, const char *s)
{
	int64_t c;

	a->n[k]++;
	if (k == K_GRPN || k == K_PMTN)
		snprintf(a->text[k - K_GRPN], sizeof a->text[0], "%s", s);
	else if ((money_parse(s, strlen(s), &c) != M_OK || money_add(&a->sum[k], a->sum[k], c) < 0) &&
	    a->bad == 0)
		a->bad = 1 + k;
}

/* The name of the element open d deep (1 the outermost), or NULL. */
static const char *
up(const struct acc *a, size_t d)
{
	return d >= 1 && d <= a->nopen && d <= sizeof a->open / sizeof a->open[0] ? a->open[d - 1] : NULL;
}

static int
is(const char *name, const char *want)
{
	return name != NULL && strcmp(name, want) == 0;
}

static void
elstart(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
    const xmlChar **nss, int nattr, int ndef, const xmlChar **attrs)
{
	struct acc *a = ctx;
	const char *name = NULL;
	size_t d;
	int k = -1;

	(void)prefix, (void)nns, (void)nss, (void)nattr, (void)ndef, (void)attrs;
	/*
	 * Every element has the same URI (the root's namespace's):
	 * compared once, then by address (a strcmp an element was 19 M
	 * instructions of 2026-01-19 of the generated world).
	 */
	if (uri != NULL && (uri == a->ns || strcmp((const char *)uri, NS) == 0)) {
		a->ns = uri;
		name = (const char *)local;
	}
	d = ++a->nopen;
	if (d > sizeof a->open / sizeof a->open[0])
		return;
	a->open[d - 1] = name;
	if (a->k >= 0 || name == NULL)
		return;
	/* Their first letters first: most elements are none of them. */
	if (name[0] == 'I' && is(name, "InstdAmt") && is(up(a, d - 1), "Amt") &&
	    is(up(a, d - 2), "CdtTrfTxInf"))
		k = K_AMT;
	else if ((name[0] == 'N' && is(name, "NbOfTxs")) || (name[0] == 'C' && is(name, "CtrlSum"))) {
		int sum = name[0] == 'C';

		if (is(up(a, d - 1), "GrpHdr"))
			k = sum ? K_GRPSUM : K_GRPN;
		else if (is(up(a, d - 1), "PmtInf"))
			k = sum ? K_PMTSUM : K_PMTN;
	}
	if (k >= 0) {
		a->k = k;
		a->kdepth = d;
		a->tn = 0;
	}
}

static void
elend(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct acc *a = ctx;

	(void)local, (void)prefix, (void)uri;
	if (a->nopen == 0)
		return;
	if (a->k >= 0 && a->kdepth == a->nopen) {
		if (a->tn == sizeof a->t - 1 && a->k != K_GRPN && a->k != K_PMTN) {
			a->n[a->k]++;
			if (a->bad == 0)
				a->bad = 1 + a->k;
		} else {
			a->t[a->tn] = '\0';
			take(a, a->k, a->t);
		}
		a->k = -1;
	}
	a->nopen--;
}

static void
eltext(void *ctx, const xmlChar *ch, int len)
{
	struct acc *a = ctx;
	size_t n;

	if (a->k < 0 || len <= 0)
		return;
	n = sizeof a->t - 1 - a->tn;
	if ((size_t)len < n)
		n = (size_t)len;
	memcpy(a->t + a->tn, ch, n);
	a->tn += n;
}

/* The document's own counts and sums (a), the transfers', twice over. */
static int
readback(struct sepa *s, const struct acc *a, const char *name, char *err, size_t errsz)
{
	static const char *const counts[] = { "//p:GrpHdr/p:NbOfTxs", "//p:PmtInf/p:NbOfTxs" };
	static const char *const sums[] = { "//p:GrpHdr/p:CtrlSum", "//p:PmtInf/p:CtrlSum" };
	char want[32];
	int i;

	if (a->bad) {
		snprintf(err, errsz, "%s: %s: not an amount", name,
		    a->bad - 1 == K_AMT ? "InstdAmt" : sums[a->bad - 1 - K_GRPSUM]);
		return EX_SOFTWARE;
	}
	s->ntx = (uint64_t)a->n[K_AMT];
	s->sum = a->sum[K_AMT];
	if (s->ntx != s->wantn || s->sum != s->wantsum) {
		snprintf(err, errsz, "%s: %llu transfers of %lld cents in the document, %llu of %lld meant",
		    name, (unsigned long long)s->ntx, (long long)s->sum,
		    (unsigned long long)s->wantn, (long long)s->wantsum);
		return EX_SOFTWARE;
	}
	snprintf(want, sizeof want, "%ld", a->n[K_AMT]);
	for (i = 0; i < 2; i++) {
		if (a->n[K_GRPN + i] != 1 || strcmp(a->text[i], want) != 0) {
			snprintf(err, errsz, "%s: %s is not the count of its transfers", name, counts[i]);
			return EX_SOFTWARE;
		}
		if (a->n[K_GRPSUM + i] != 1 || a->sum[K_GRPSUM + i] != s->sum) {
			snprintf(err, errsz, "%s: %s is not the sum of its transfers", name, sums[i]);
			return EX_SOFTWARE;
		}
	}
	return 0;
}

/* The document's counts and amounts, taken as a parse would give them. */
static void
walk(struct acc *a, xmlNodePtr n)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE) {
			elstart(a, n->name, NULL, n->ns != NULL ? n->ns->href : NULL, 0, NULL, 0, 0,
			    NULL);
			walk(a, n->children);
			elend(a, n->name, NULL, NULL);
		} else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			eltext(a, n->content, xmlStrlen(n->content));
}

/* The first error of the validation, without the values it quotes. */
struct verr {
	char msg[256];
	xmlNodePtr node;
};

static void
verror(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;

	if (*v->msg != '\0' || e == NULL || e->message == NULL)
		return;
	xmlmsg(v->msg, sizeof v->msg, e->message);
	v->node = e->node;
}

/*
 * The line element want starts on in the text serialized (line: that of
 * the first of n): indented, an element takes a line, and the end of
 * one with elements in it another.
 */
static int
lineof(xmlNodePtr n, xmlNodePtr want, long *line)
{
	xmlNodePtr c;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n == want)
			return 1;
		for (c = n->children; c != NULL && c->type != XML_ELEMENT_NODE; c = c->next)
			;
		++*line;
		if (c != NULL) {
			if (lineof(c, want, line))
				return 1;
			++*line;
		}
	}
	return 0;
}

/*
 * The file written, checked: its tree valid against the schema, and
 * its sums, read from it, the transfers'.  Nothing here dies: another
 * thread may check while the run writes the rest, so the reason goes to
 * err and the caller dies of it.  The tree is kept (s->doc), not freed:
 * the run ends soon after the last check, which waited for the freeing
 * (xmlFreeDoc, 69 M instructions of 2026-01-19 of the generated world,
 * a free a node); the end of the process gives its memory back, and it
 * stays reachable for LeakSanitizer, as the lines do.
 */
int
sepa_check(struct sepa *s, xmlSchemaPtr schema, const char *name, char *err, size_t errsz)
{
	xmlSchemaValidCtxtPtr vc;
	struct verr v;
	struct acc a;
	xmlNodePtr n;
	long line = 2;
	int rc;

	memset(&v, 0, sizeof v);
	if ((vc = xmlSchemaNewValidCtxt(schema)) == NULL) {
		snprintf(err, errsz, "%s: cannot validate: out of memory", name);
		return EX_OSERR;
	}
	xmlSchemaSetValidStructuredErrors(vc, verror, &v);
	rc = xmlSchemaValidateDoc(vc, s->doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		if ((n = v.node) != NULL && n->type == XML_ATTRIBUTE_NODE)
			n = n->parent;
		if (n == NULL || !lineof(xmlDocGetRootElement(s->doc), n, &line))
			line = 0;
		snprintf(err, errsz, "%s:%ld: xsd: not valid against formats/xsd/pain001.xsd: %s", name,
		    line, *v.msg ? v.msg : "not valid");
	} else {
		memset(&a, 0, sizeof a);
		a.k = -1;
		walk(&a, xmlDocGetRootElement(s->doc));
	}
	return rc != 0 ? EX_SOFTWARE : readback(s, &a, name, err, errsz);
}
