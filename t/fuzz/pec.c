/*
 * fuzz-pec: liquidate's PEC reader (loadpec, filters/liquidate/pec.c;
 * tiers-liquidate(5)) on any bytes, as a PEC stream; then the lookup
 * (findpec, rules.c) on what it read.  A stream refused is the reader's
 * error, returned; a stream accepted gives agreements that findpec
 * finds: for each one valid for some day, a claim of its beneficiary,
 * PS, domain and first act on its first day has an agreement (LQ00).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"
#include "../../filters/liquidate/liquidate.h"

/* A claim with these PS, act and date: its fields end to end in buf. */
static int
claimof(struct claim *c, char *buf, size_t n, const struct pec *p)
{
	const char *v[3] = { p->pskind, p->psnum, NULL };
	static const int col[3] = { C_PSKIND, C_PSNUM, C_ACTCODE };
	size_t at = 0, m;
	const char *a;
	int i;

	/* The first word of the act list, " A B ", or the empty act. */
	a = *p->acts ? p->acts + 1 : "";
	memset(c, 0, sizeof c[0]);
	for (i = 0; i < 3; i++) {
		m = v[i] != NULL ? strlen(v[i]) : strcspn(a, " ");
		if (at + m >= n || at > UINT16_MAX || m > UINT16_MAX)
			return -1;
		memcpy(buf + at, v[i] != NULL ? v[i] : a, m);
		c->fo[col[i]] = (uint16_t)at;
		c->fl[col[i]] = (uint16_t)m;
		at += m;
	}
	c->ln = buf;
	c->date = p->from;
	c->dom = p->dom;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pecset ps;
	struct ts_reader r;
	struct ctx cx;
	struct claim c;
	struct benef b;
	const struct pec *found;
	const char *path;
	static char buf[1 << 17];
	size_t i;
	int code;

	memset(&ps, 0, sizeof ps);
	path = fz_file(0, data, size, NULL);
	if (loadpec(&ps, &r, path) < 0) {
		if (r.errmsg[0] == '\0')
			fz_fail("refused without a message");
		ts_close(&r);
		freepecs(&ps);
		return 0;
	}
	sortpecs(&ps);
	memset(&cx, 0, sizeof cx);
	/* No consumption: the family's events loaded, none (no store to read). */
	cx.evready = 1;
	cx.pecs = ps.p;
	cx.npecs = ps.n;
	for (i = 0; i < ps.n; i++) {
		const struct pec *p = &ps.p[i];

		if (p->amount < 0)
			fz_fail("agreement %zu: amount below 0", i);
		if (p->dom < 0 || p->dom >= NDOM)
			fz_fail("agreement %zu: domain %d", i, p->dom);
		if (p->from > p->to || claimof(&c, buf, sizeof buf, p) < 0)
			continue;
		memset(&b, 0, sizeof b);
		b.amc = p->amc;
		b.member = "";
		memcpy(b.nir, p->nir, sizeof b.nir);
		b.birth = p->birth;
		b.rang = p->rang;
		found = NULL;
		code = findpec(&cx, &c, &b, &found);
		if (code != LQ00 || found == NULL)
			fz_fail("agreement %zu: not found (LQ%02d)", i, code);
	}
	freepecs(&ps);
	return 0;
}
