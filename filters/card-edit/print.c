/*
 * card-edit: the print file for the card printer (tiers-card(5)), written
 * with libxml2's xmlTextWriter into a file published whole: the day's
 * cards grouped by mailing, one mailing the cards of one contract sent to
 * one address, and a trailer that counts both.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "card.h"

#define NS "urn:tiers:impression-cartes:1"

static struct pub pub;
static xmlTextWriterPtr w;
static unsigned long nmail, ncard;
static char lastcontract[64], lastaddr[7][128];
static int lastnaddr, open_;

static int
wio(void *ctx, const char *buf, int len)
{
	ssize_t k;
	int done = 0;

	(void)ctx;
	while (done < len) {
		if ((k = write(pub.fd, buf + done, (size_t)(len - done))) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (int)k;
	}
	return len;
}

static void
check(int rc)
{
	if (rc < 0)
		die(EX_IOERR, "%s: write error", pub.final);
}

#define E(name) check(xmlTextWriterStartElement(w, BAD_CAST (name)))
#define A(name, v) check(xmlTextWriterWriteAttribute(w, BAD_CAST (name), BAD_CAST (v)))
#define END() check(xmlTextWriterEndElement(w))

void
printopen(const char *path, const char *amc, const char *date)
{
	xmlOutputBufferPtr out;

	if (pub_open(&pub, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	if ((out = xmlOutputBufferCreateIO(wio, NULL, NULL, NULL)) == NULL ||
	    (w = xmlNewTextWriter(out)) == NULL)
		die(EX_SOFTWARE, "%s: cannot write XML", path);
	check(xmlTextWriterSetIndent(w, 1));
	check(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	check(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "impression-cartes", BAD_CAST NS));
	A("amc", amc);
	A("date", date);
}

static int
sameaddr(const struct card *c)
{
	int i;

	if (!open_ || strcmp(c->contract, lastcontract) != 0 || c->naddr != lastnaddr)
		return 0;
	for (i = 0; i < c->naddr; i++)
		if (strcmp(c->addr[i], lastaddr[i]) != 0)
			return 0;
	return 1;
}

void
printcard(const struct card *c, const char *amc)
{
	const struct cardparam *p = c->cp;
	char buf[64], from[DATE_BUFSZ], to[DATE_BUFSZ];
	const char *val[NLABEL];
	int i;

	if (!sameaddr(c)) {
		if (open_)
			END();
		E("envoi");
		snprintf(buf, sizeof buf, "%lu", ++nmail);
		A("numero", buf);
		E("adresse");
		for (i = 0; i < c->naddr; i++)
			check(xmlTextWriterWriteElement(w, BAD_CAST "ligne", BAD_CAST c->addr[i]));
		END();
		open_ = 1;
		snprintf(lastcontract, sizeof lastcontract, "%s", c->contract);
		memcpy(lastaddr, c->addr, sizeof lastaddr);
		lastnaddr = c->naddr;
	}
	ncard++;
	date_fmt(c->start, from);
	date_fmt(c->end, to);
	E("carte");
	A("numero", c->number);
	A("contrat", c->contract);
	A("fond", c->fond);
	A("annexe", c->annexe);
	A("debut", from);
	A("fin", to);
	A("responsable", c->responsable ? "true" : "false");
	snprintf(buf, sizeof buf, "%s - %s", from, to);
	val[L_AMC] = amc, val[L_CONV] = p->conv, val[L_CSR] = p->csr;
	val[L_ADH] = c->adherent, val[L_VALID] = buf;
	for (i = 0; i < NLABEL; i++) {
		E("libelle");
		A("nom", labelnames[i]);
		A("texte", p->label[i]);
		check(xmlTextWriterWriteString(w, BAD_CAST val[i]));
		END();
	}
	for (i = 0; i < c->nh; i++) {
		E("titulaire");
		A("reference", c->h[i].member);
		A("type", c->h[i].type);
		A("naissance", c->h[i].birth);
		snprintf(from, sizeof from, "%d", c->h[i].rang);
		A("rang", from);
		END();
	}
	for (i = 0; i < p->ncol; i++) {
		E("colonne");
		A("domaine", p->col[i].dom);
		A("libelle", p->col[i].label);
		A("valeur", p->col[i].value);
		END();
	}
	check(xmlTextWriterWriteElement(w, BAD_CAST "datamatrix", BAD_CAST c->payload));
	END();
}

void
printclose(void)
{
	char buf[32];

	if (open_)
		END();
	E("fin");
	snprintf(buf, sizeof buf, "%lu", nmail);
	A("envois", buf);
	snprintf(buf, sizeof buf, "%lu", ncard);
	A("cartes", buf);
	END();
	END();
	check(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w);
	if (pub_commit(&pub) < 0)
		die(EX_IOERR, "%s: %s", pub.final ? pub.final : "print file", strerror(errno));
}
