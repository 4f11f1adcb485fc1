/*
 * fuzz-guarantee: liquidate's guarantee reader (loadguar,
 * filters/liquidate/guarantee.c; tiers-liquidate(5)) on any bytes, as a
 * guarantee file: libxml2's parser, the built-in schema, then the
 * products, rules and ceilings read from the tree.  A file refused is
 * an error returned (status, line, field, reason: never a value of the
 * file); a file accepted must hold rules that the decisions can use:
 * a rule's ceiling one of the file's, its domain one of the card's, at
 * most 8 age bands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "fuzz.h"
#include "../../filters/liquidate/liquidate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guars gs = { NULL, 0 };
	struct lqerr e;
	const struct guar *g;
	const struct rule *r;
	const char *path;
	int i, j, k;

	path = fz_file(0, data, size, NULL);
	if (loadguar(&gs, path, &e) < 0) {
		if (e.status != EX_DATAERR && e.status != EX_NOINPUT)
			fz_fail("refused with status %d", e.status);
		if (memchr(e.msg, '\0', sizeof e.msg) == NULL)
			fz_fail("message not ended");
		if (gs.n != 0)
			fz_fail("a refused file left %d guarantees", gs.n);
		freeguars(&gs);
		return 0;
	}
	if (gs.n != 1)
		fz_fail("%d guarantees from one file", gs.n);
	g = &gs.g[0];
	for (i = 0; i < g->nplafs; i++) {
		if (g->plafs[i].nage < 0 || g->plafs[i].nage > 8)
			fz_fail("ceiling %d: %d age bands", i, g->plafs[i].nage);
		if (!g->plafs[i].hasamt && g->plafs[i].count == 0)
			fz_fail("ceiling %d: neither amount nor count", i);
	}
	for (j = 0; j < g->nprods; j++)
		for (k = 0; k < g->prods[j].nrules; k++) {
			r = &g->prods[j].rules[k];
			if (r->plaf < -1 || r->plaf >= g->nplafs)
				fz_fail("rule %d.%d: ceiling %d of %d", j, k, r->plaf, g->nplafs);
			if (r->dom < -1 || r->dom >= NDOM)
				fz_fail("rule %d.%d: domain %d", j, k, r->dom);
			if (r->formula < FO_BR || r->formula > FO_S100)
				fz_fail("rule %d.%d: formula %d", j, k, r->formula);
			if (r->acts[0] != '\0' && (r->acts[0] != ' ' ||
			    r->acts[strlen(r->acts) - 1] != ' '))
				fz_fail("rule %d.%d: act list not between spaces", j, k);
		}
	freeguars(&gs);
	return 0;
}
