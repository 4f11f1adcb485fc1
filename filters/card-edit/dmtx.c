/*
 * card-edit: the card's DataMatrix and its previews.  The payload is the
 * inter-insurer convention's (DESIGN 5):
 *	AMC#1#<AMC number>#<CSR>#<adherent>#<couples>/
 * each couple a convention type and the letters of its domains.  libdmtx
 * encodes it; its module matrix is drawn into the SVG of the card and
 * written as a PNG of the symbol, made here (zlib for the image data),
 * so that no image library beyond libdmtx is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmtx.h>
#include <zlib.h>

#include "card.h"

/* The convention's letter of each domain (DESIGN 5). */
static const struct {
	const char *dom;
	char letter;
} letters[] = {
	{ "PHAR", 'P' }, { "MEDG", 'G' }, { "MEDS", 'S' }, { "LABO", 'L' },
	{ "RADL", 'R' }, { "SAGE", 'F' }, { "LPPS", '1' }, { "AMI", 'I' },
	{ "AMM", 'K' }, { "AMY", 'Y' }, { "AMO", '2' }, { "AMP", '3' },
	{ "CSTD", '4' }, { "CSTE", 'C' }, { "OPTI", 'O' }, { "TRAN", 'T' },
	{ "HOSP", 'H' }, { "EXTE", 'E' }, { "AUDI", 'A' }, { "DENT", 'D' },
	{ "CURE", 'U' }
};

int
domletter(const char *dom)
{
	size_t i;

	for (i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (strcmp(letters[i].dom, dom) == 0)
			return letters[i].letter;
	return -1;
}

/* The payload of c into c->payload: 0, or -1 and the field it cannot carry. */
int
payload(struct card *c, const char *amc, const char **why)
{
	const struct cardparam *p = c->cp;
	char doms[NCOLS + 1];
	size_t i, n = strlen(c->adherent);
	int l;

	if (n == 0 || n > 15) {
		*why = "adherent: not 1 to 15 characters, as the DataMatrix carries it";
		return -1;
	}
	for (i = 0; i < n; i++)
		if (c->adherent[i] <= ' ' || c->adherent[i] > '~' || c->adherent[i] == '#' ||
		    c->adherent[i] == '/') {
			*why = "adherent: a character the DataMatrix cannot carry";
			return -1;
		}
	for (i = 0; i < (size_t)p->ncol; i++) {
		if ((l = domletter(p->col[i].dom)) < 0) {
			*why = "domain: no letter in the convention";
			return -1;
		}
		doms[i] = (char)l;
	}
	doms[i] = '\0';
	snprintf(c->payload, sizeof c->payload, "AMC#1#%s#%s#%s#%s%s/", amc, p->csr,
	    c->adherent, p->conv, doms);
	return 0;
}

/* The symbol: rows × cols modules, 1 dark, row 0 at the top. */
struct sym {
	int rows, cols;
	unsigned char *m;
};

static void
encode(const char *text, struct sym *s)
{
	DmtxEncode *enc;
	int x, y, v;

	if ((enc = dmtxEncodeCreate()) == NULL)
		die(EX_SOFTWARE, "libdmtx: cannot create an encoder");
	dmtxEncodeSetProp(enc, DmtxPropPixelPacking, DmtxPack24bppRGB);
	dmtxEncodeSetProp(enc, DmtxPropSizeRequest, DmtxSymbolSquareAuto);
	dmtxEncodeSetProp(enc, DmtxPropModuleSize, 1);
	dmtxEncodeSetProp(enc, DmtxPropMarginSize, 0);
	if (dmtxEncodeDataMatrix(enc, (int)strlen(text), (unsigned char *)(uintptr_t)text) !=
	    DmtxPass)
		die(EX_SOFTWARE, "libdmtx: cannot encode a payload of %zu bytes", strlen(text));
	s->rows = enc->region.symbolRows;
	s->cols = enc->region.symbolCols;
	s->m = xmalloc((size_t)s->rows * (size_t)s->cols);
	/* libdmtx's image has its origin at the bottom left. */
	for (y = 0; y < s->rows; y++)
		for (x = 0; x < s->cols; x++) {
			if (dmtxImageGetPixelValue(enc->image, x, y, 0, &v) != DmtxPass)
				die(EX_SOFTWARE, "libdmtx: no module at %d,%d", x, y);
			s->m[(size_t)(s->rows - 1 - y) * (size_t)s->cols + (size_t)x] = v < 128;
		}
	dmtxEncodeDestroy(&enc);
}

/* Write all of buf to the file being published, or die. */
static void
wall(struct pub *p, const void *buf, size_t n)
{
	const char *b = buf;
	ssize_t k;

	while (n > 0) {
		if ((k = write(p->fd, b, n)) < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", p->final, strerror(errno));
		}
		b += k, n -= (size_t)k;
	}
}

static void
chunk(struct pub *p, const char *type, const unsigned char *data, size_t n)
{
	unsigned char h[8], t[4];
	uLong crc;

	h[0] = (unsigned char)(n >> 24), h[1] = (unsigned char)(n >> 16);
	h[2] = (unsigned char)(n >> 8), h[3] = (unsigned char)n;
	memcpy(h + 4, type, 4);
	crc = crc32(0, h + 4, 4);
	if (n > 0)
		crc = crc32(crc, data, (uInt)n);
	t[0] = (unsigned char)(crc >> 24), t[1] = (unsigned char)(crc >> 16);
	t[2] = (unsigned char)(crc >> 8), t[3] = (unsigned char)crc;
	wall(p, h, 8);
	if (n > 0)
		wall(p, data, n);
	wall(p, t, 4);
}

#define PX 4		/* pixels a module */
#define QUIET 2		/* modules of quiet zone around the symbol */

/* The symbol as a PNG: 8-bit grey, PX pixels a module, a quiet zone. */
static void
wpng(const struct sym *s, const char *path)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	struct pub p;
	unsigned char ihdr[13], *raw, *z;
	size_t w = (size_t)(s->cols + 2 * QUIET) * PX, h = (size_t)(s->rows + 2 * QUIET) * PX;
	size_t x, y, r;
	uLongf zn;

	raw = xmalloc(h * (w + 1));
	for (y = 0; y < h; y++) {
		r = y * (w + 1);
		raw[r] = 0;	/* filter: none */
		for (x = 0; x < w; x++) {
			long mx = (long)(x / PX) - QUIET, my = (long)(y / PX) - QUIET;
			int dark = mx >= 0 && my >= 0 && mx < s->cols && my < s->rows &&
			    s->m[(size_t)my * (size_t)s->cols + (size_t)mx];
			raw[r + 1 + x] = dark ? 0 : 255;
		}
	}
	zn = compressBound((uLong)(h * (w + 1)));
	z = xmalloc(zn);
	if (compress2(z, &zn, raw, (uLong)(h * (w + 1)), 9) != Z_OK)
		die(EX_SOFTWARE, "zlib: cannot compress the image");
	memset(ihdr, 0, sizeof ihdr);
	ihdr[0] = (unsigned char)(w >> 24), ihdr[1] = (unsigned char)(w >> 16);
	ihdr[2] = (unsigned char)(w >> 8), ihdr[3] = (unsigned char)w;
	ihdr[4] = (unsigned char)(h >> 24), ihdr[5] = (unsigned char)(h >> 16);
	ihdr[6] = (unsigned char)(h >> 8), ihdr[7] = (unsigned char)h;
	ihdr[8] = 8;		/* bit depth; colour type 0: grey */
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	wall(&p, sig, sizeof sig);
	chunk(&p, "IHDR", ihdr, sizeof ihdr);
	chunk(&p, "IDAT", z, zn);
	chunk(&p, "IEND", NULL, 0);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	free(raw);
	free(z);
}

/* Text for XML: the five characters it reserves escaped. */
static void
esc(FILE *fp, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&apos;", fp); break;
		default: putc(*s, fp);
		}
}

static void
text(FILE *fp, int x, int y, int size, const char *a, const char *b)
{
	fprintf(fp, "<text x=\"%d\" y=\"%d\" font-size=\"%d\">", x, y, size);
	esc(fp, a);
	if (b != NULL) {
		fputs(" ", fp);
		esc(fp, b);
	}
	fputs("</text>\n", fp);
}

/*
 * The card as SVG, in tenths of a millimetre (ISO/IEC 7810 ID-1, 85.6 ×
 * 54 mm): the standard block of the five labels, the holders, "R" for a
 * contrat responsable, the domain columns and the DataMatrix.
 */
static void
wsvg(const struct card *c, const struct sym *s, const char *amc, const char *path)
{
	const struct cardparam *p = c->cp;
	char from[DATE_BUFSZ], to[DATE_BUFSZ], valid[32], who[96];
	const char *val[NLABEL];
	struct pub pb;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0;
	int i, x, y, mod = 160 / (s->cols > s->rows ? s->cols : s->rows);

	if ((fp = open_memstream(&buf, &len)) == NULL)
		die(EX_SOFTWARE, "%s: %s", path, strerror(errno));
	date_fmt(c->start, from);
	date_fmt(c->end, to);
	snprintf(valid, sizeof valid, "%s - %s", from, to);
	val[L_AMC] = amc, val[L_CONV] = p->conv, val[L_CSR] = p->csr;
	val[L_ADH] = c->adherent, val[L_VALID] = valid;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"85.6mm\" height=\"54mm\" "
	    "viewBox=\"0 0 856 540\" font-family=\"sans-serif\">\n"
	    "<rect x=\"0\" y=\"0\" width=\"856\" height=\"540\" rx=\"32\" fill=\"#fff\" "
	    "stroke=\"#000\"/>\n", fp);
	text(fp, 30, 50, 28, "Tiers payant", c->fond);
	if (c->responsable)
		text(fp, 800, 50, 36, "R", NULL);
	for (i = 0; i < NLABEL; i++)
		text(fp, 30, 95 + 30 * i, 22, p->label[i], val[i]);
	for (i = 0; i < c->nh && i < 6; i++) {
		snprintf(who, sizeof who, "%s %s %s/%d", c->h[i].member, c->h[i].type,
		    c->h[i].birth, c->h[i].rang);
		text(fp, 30, 265 + 26 * i, 20, who, NULL);
	}
	for (i = 0; i < p->ncol; i++) {
		x = 30 + 80 * i, y = 430;
		fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"76\" height=\"80\" fill=\"none\" "
		    "stroke=\"#000\"/>\n", x, y);
		text(fp, x + 4, y + 30, 12, p->col[i].label, NULL);
		text(fp, x + 4, y + 62, 14, p->col[i].value, NULL);
	}
	fprintf(fp, "<g transform=\"translate(%d,%d)\" fill=\"#000\">\n", 856 - 30 - mod * s->cols,
	    70);
	for (y = 0; y < s->rows; y++)
		for (x = 0; x < s->cols; x++)
			if (s->m[(size_t)y * (size_t)s->cols + (size_t)x])
				fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
				    x * mod, y * mod, mod, mod);
	fputs("</g>\n</svg>\n", fp);
	if (ferror(fp) || fclose(fp) == EOF)
		die(EX_SOFTWARE, "%s: out of memory", path);
	if (pub_open(&pb, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	wall(&pb, buf, len);
	if (pub_commit(&pb) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	free(buf);
}

/* The previews of the day's card seq: dir/card-NNNNNN.svg and .png. */
void
preview(const struct card *c, const char *amc, const char *dir, unsigned long seq)
{
	struct sym s;
	size_t n = strlen(dir) + 32;
	char *path = xmalloc(n);

	encode(c->payload, &s);
	snprintf(path, n, "%s/card-%06lu.svg", dir, seq);
	wsvg(c, &s, amc, path);
	snprintf(path, n, "%s/card-%06lu.png", dir, seq);
	wpng(&s, path);
	free(path);
	free(s.m);
}
