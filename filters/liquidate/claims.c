/*
 * liquidate: the day's claims (tiers-claim(5), as dedup wrote them),
 * every record into memory with what the decisions need, read by two
 * threads (ts_scan); each claim's identity keys hashed as it is read.
 */
#include <stdlib.h>
#include <string.h>

#include "liquidate.h"

/* A claim's key fields. */
void
ckey(const struct claim *c, struct bk_key *k)
{
	k->amc.p = CS(c, C_AMC);
	k->amc.n = CN(c, C_AMC);
	k->nir.p = CS(c, C_NIR);
	k->nir.n = CN(c, C_NIR);
	k->key.p = CS(c, C_NIRKEY);
	k->key.n = CN(c, C_NIRKEY);
	k->bnir.p = CS(c, C_BNIR);
	k->bnir.n = CN(c, C_BNIR);
	k->adh.p = CS(c, C_ADHERENT);
	k->adh.n = CN(c, C_ADHERENT);
	k->rang = c->rk;
	k->birth = c->birth;
}

struct claim *cl;
size_t ncl;

static int
cfield(const struct field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

static const char *const ccols[NCC] = {
	"dup_id", "file", "line", "pos", "amc", "ps_kind", "ps_number",
	"invoice", "line_no", "act_date", "act_code", "nature", "dup", "nir",
	"nir_key", "benef_nir", "adherent", "dup_ref", "birth_date", "rang",
	"fr_eur", "br_eur", "amo_rate_bp", "amo_eur", "qty", "tp", "flow",
	"dup_paid_eur", "pf_eur", "franchise_eur", "parcours", "renewal"
};
static int readcols[NCC];
/*
 * The columns a claim's keys are made of (amc, nir, nir_key, benef_nir,
 * adherent, birth_date, rang), from the first of them in the stream's
 * order to the last, the columns between included: the same bytes there
 * are the same keys.
 */
static int keylo, keyhi;

/*
 * A day's act codes repeat: actof's answers for the last ones read, in a
 * small cache a thread.
 */
#define ACACHE 32
#define ACODE 16
struct actent {
	char code[ACODE];
	size_t n;		/* 0: empty */
	int dom, part;
	int64_t plv;
};

static void
cactof(struct actent *a, const char *code, size_t n, int *dom, int *part, int64_t *plv)
{
	unsigned h = (unsigned)n;
	size_t k;

	if (n == 0 || n > ACODE) {
		actof(code, n, dom, part, plv);
		return;
	}
	for (k = 0; k < n; k++)
		h = h * 31 + (unsigned char)code[k];
	a += h % ACACHE;
	if (a->n != n || memcmp(a->code, code, n) != 0) {
		actof(code, n, &a->dom, &a->part, &a->plv);
		memcpy(a->code, code, n);
		a->n = n;
	}
	*dom = a->dom;
	*part = a->part;
	*plv = a->plv;
}

/*
 * The claims are read by ts_scan in two parts, each into its own array
 * and arena; the arrays are then put end to end, in file order.
 */
#define CPARTS 2
struct wide {
	uint32_t lno;
	int i;
	int64_t v;
};
struct cpart {
	struct claim *cl;
	size_t n, cap;
	struct wide *w;		/* the amounts not in 32 bits, in line order */
	size_t nw, capw;
	struct arena ar;
	struct router *ro;	/* -z: its own readers of the masters */
	struct actent acts[ACACHE];
	struct dcache dact, dbirth;
	size_t nall;		/* the records read, kept or not */
	/*
	 * The last claim read: its keys' columns, where its line stays
	 * (mapped, or copied), their rang, birth and hashes, and whether
	 * it was kept.  A beneficiary's claims come together (the lines of
	 * an invoice): a third of a day's have the last one's keys.
	 */
	const char *kspan;
	size_t kspann;		/* 0: none */
	int8_t krk;
	int32_t kbirth;
	uint64_t kkh[NKIND];
	int kkept;
};

size_t nallclaims;
static struct wide *wides;
static size_t nwide;

/* Amount i of c, not in 32 bits: kept aside, in line order. */
int64_t
amtwide(const struct claim *c, int i)
{
	size_t lo = 0, hi = nwide, m;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (wides[m].lno < c->lno || (wides[m].lno == c->lno && wides[m].i < i))
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == nwide || wides[lo].lno != c->lno || wides[lo].i != i)
		die(EX_SOFTWARE, "claim at line %lu: amount %d not kept", (unsigned long)c->lno, i);
	return wides[lo].v;
}

static void
setwide(struct cpart *cp, struct claim *c, int i, int64_t v)
{
	c->am[i] = AWIDE;
	if (cp->nw == cp->capw) {
		cp->capw = cp->capw ? cp->capw * 2 : 64;
		cp->w = xrealloc(cp->w, cp->capw * sizeof *cp->w);
	}
	cp->w[cp->nw].lno = c->lno;
	cp->w[cp->nw].i = i;
	cp->w[cp->nw++].v = v;
}

static inline void
setamt(struct cpart *cp, struct claim *c, int i, int64_t v)
{
	if (v > INT32_MIN && v <= INT32_MAX)
		c->am[i] = (int32_t)v;
	else
		setwide(cp, c, i, v);
}

static int
claimrec(void *arg, struct ts_reader *r)
{
	struct cpart *cp = arg;
	struct claim *c;
	struct bk_key ck;
	int i, kind, dom, part;
	int64_t plv;		/* looked up again where a rule needs it */
	int64_t pf = 0;
	char *p;
	const char *ks;
	size_t ksn;
	long v;

	if (cp->n == cp->cap) {
		cp->cap = cp->cap ? cp->cap * 2 : 4096;
		cp->cl = xrealloc(cp->cl, cp->cap * sizeof *cp->cl);
	}
	c = &cp->cl[cp->n];
	memset(c, 0, sizeof *c);
	if (r->in.lineno < 0 || r->in.lineno > (long)(UINT32_MAX / 2))
		return ts_error(r, NULL, "more than %lu lines", (unsigned long)(UINT32_MAX / 2));
	c->lno = (uint32_t)r->in.lineno;
	/*
	 * Mapped, the line stays where it is, a newline after it; read
	 * through a buffer, copied, with one.
	 */
	if (r->map != NULL)
		c->ln = r->line;
	else {
		p = arena_in(&cp->ar, r->len + 1);
		memcpy(p, r->line, r->len);
		p[r->len] = '\n';
		c->ln = p;
	}
	for (i = 0; i < NCK; i++) {
		const struct field *f;

		if (readcols[i] < 0)
			continue;	/* absent: empty */
		f = &r->f[readcols[i]];
		c->fo[i] = (uint16_t)(f->p - r->line);
		c->fl[i] = f->n < FLONG ? (uint8_t)f->n : FLONG;
	}
#define RF(i) (r->f[readcols[i]])
	if (CN(c, C_DUPID) == 0)
		return ts_error(r, "dup_id", "empty: not a stream dedup wrote");
	if (cdate(&cp->dact, CS(c, C_ACTDATE), CN(c, C_ACTDATE), &c->date) < 0)
		return ts_error(r, "act_date", "not a date");
	if (RF(C_FR).n == 0 || RF(C_BR).n == 0 || RF(C_AMO).n == 0)
		return ts_error(r, RF(C_FR).n == 0 ? "fr_eur" : RF(C_BR).n == 0 ?
		    "br_eur" : "amo_eur", "missing");
	setamt(cp, c, A_FR, r->cents[readcols[C_FR]]);
	setamt(cp, c, A_BR, r->cents[readcols[C_BR]]);
	setamt(cp, c, A_AMO, r->cents[readcols[C_AMO]]);
	/* After FR, BR and AMO: amtwide finds a line's wide amounts in A_* order. */
	if (readcols[C_PAID] >= 0 && RF(C_PAID).n > 0) {
		setamt(cp, c, A_PAID, r->cents[readcols[C_PAID]]);
		c->haspaid = 1;
	}
	c->rate = 0;
	if (RF(C_RATE).n != 0) {
		if (int_parse(RF(C_RATE).p, RF(C_RATE).n, -100000, 100000, &v) < 0)
			return ts_error(r, "amo_rate_bp", "not an integer");
		c->rate = (int32_t)v;
	}
	if (int_parse(RF(C_QTY).p, RF(C_QTY).n, -100000, 100000, &v) < 0)
		return ts_error(r, "qty", "not an integer");
	c->qty = (int32_t)v;
	if (cfeq(c, C_NATURE, "paid"))
		c->nature = N_PAID;
	else if (cfeq(c, C_NATURE, "regul"))
		c->nature = N_REGUL;
	else if (cfeq(c, C_NATURE, "cancel"))
		c->nature = N_CANCEL;
	else if (cfeq(c, C_NATURE, "reject"))
		c->nature = N_REJECT;
	else
		return ts_error(r, "nature", "not paid, regul, cancel or reject");
	if (cfeq(c, C_DUP, "first") || cfeq(c, C_DUP, "adjust"))
		c->dup = 0;
	else if (cfeq(c, C_DUP, "intra") || cfeq(c, C_DUP, "inter"))
		c->dup = 1;
	else
		return ts_error(r, "dup", "not first, intra, inter or adjust");
	/* What the AMO deducted, the claim's own: PF and franchise. */
	for (i = C_PF; i <= C_FRANCH; i++)
		if (readcols[i] >= 0 && RF(i).n > 0) {
			if (r->cents[readcols[i]] < 0 && c->nature == N_PAID)
				return ts_error(r, ccols[i], "negative");
			if (money_add(&pf, pf, r->cents[readcols[i]]) < 0)
				return ts_error(r, ccols[i], "out of range");
		}
	setamt(cp, c, A_PF, pf);
	c->parcours = PC_UNKNOWN;
	if (readcols[C_PARC] >= 0 && RF(C_PARC).n > 0) {
		if (cfield(&RF(C_PARC), "in"))
			c->parcours = PC_IN;
		else if (cfield(&RF(C_PARC), "out"))
			c->parcours = PC_OUT;
		else
			return ts_error(r, "parcours", "not in, out or empty");
	}
	c->sight = 0;
	if (readcols[C_RENEW] >= 0 && RF(C_RENEW).n > 0) {
		if (!cfield(&RF(C_RENEW), "sight"))
			return ts_error(r, "renewal", "not sight or empty");
		c->sight = 1;
	}
	c->tp = RF(C_TP).n == 1 && RF(C_TP).p[0] == '1';
	c->noemie = RF(C_FLOW).n >= 6 && memcmp(RF(C_FLOW).p, "noemie", 6) == 0;
	cactof(cp->acts, CS(c, C_ACTCODE), CN(c, C_ACTCODE), &dom, &part, &plv);
	c->dom = (int8_t)dom;
	c->hasplv = plv > 0;
	c->part = (int8_t)part;
	/* The keys' columns, where they lie in c->ln: the last claim's bytes, its keys. */
	ks = c->ln + (r->f[keylo].p - r->line);
	ksn = (size_t)(r->f[keyhi].p + r->f[keyhi].n - r->f[keylo].p);
	if (ksn == cp->kspann && memcmp(ks, cp->kspan, ksn) == 0) {
		c->rk = cp->krk;
		c->birth = cp->kbirth;
		memcpy(c->kh, cp->kkh, sizeof c->kh);
		/* The previous claim of the array has them: claimkeys takes its entries. */
		c->samekey = cp->kkept;
	} else {
		c->rk = int_parse(RF(C_RANG).p, RF(C_RANG).n, 0, 99, &v) < 0 ? -1 : (int8_t)v;
		if (cdate(&cp->dbirth, RF(C_BIRTH).p, RF(C_BIRTH).n, &c->birth) < 0)
			c->birth = NOSTART;
		ckey(c, &ck);
		for (kind = 0; kind < NKIND; kind++) {
			c->kh[kind] = c->rk < 0 || (c->birth == NOSTART && kind != K_NIRRANG) ?
			    0 : bk_hash(kind, &ck);
		}
		cp->kspan = ks;
		cp->kspann = ksn;
		cp->krk = c->rk;
		cp->kbirth = c->birth;
		memcpy(cp->kkh, c->kh, sizeof cp->kkh);
	}
#undef RF
	cp->nall++;
	/* Sharded, the claims of the other shards' families are not kept. */
	if (cp->ro != NULL && route(cp->ro, c) != myshard) {
		cp->kkept = 0;
		return 0;
	}
	cp->kkept = 1;
	cp->n++;
	return 0;
}

/* Column i's (C_*) place in the claims stream, -1 absent (after loadclaims). */
int
claimcol(int i)
{
	return readcols[i];
}

void
loadclaims(struct ts_reader *r)
{
	struct cpart cp[CPARTS];
	void *args[CPARTS];
	long base[CPARTS];
	int i;

	for (i = 0; i < NCC; i++)
		readcols[i] = i == C_DUPREF || i >= C_PAID ? ts_col(r, ccols[i]) :
		    ts_needcol(r, ccols[i]);
	{
		static const int kc[] = { C_AMC, C_NIR, C_NIRKEY, C_BNIR, C_ADHERENT, C_BIRTH,
			C_RANG };

		keylo = keyhi = readcols[kc[0]];
		for (i = 1; i < (int)(sizeof kc / sizeof kc[0]); i++) {
			if (readcols[kc[i]] < keylo)
				keylo = readcols[kc[i]];
			if (readcols[kc[i]] > keyhi)
				keyhi = readcols[kc[i]];
		}
	}
	r->keepmap = 1;		/* the claims' fields are read there till the end */
	memset(cp, 0, sizeof cp);
	for (i = 0; i < CPARTS; i++) {
		args[i] = &cp[i];
		if (nshards > 0)
			cp[i].ro = routernew();
	}
	if (ts_scan(r, CPARTS, claimrec, args, base) < 0)
		ts_fatal(r);
	for (i = 0; i < CPARTS; i++) {
		size_t k;

		if (base[i] < 0 || base[i] > (long)(UINT32_MAX / 2))
			die(EX_DATAERR, "%s: more than %lu lines", r->in.name,
			    (unsigned long)(UINT32_MAX / 2));
		for (k = 0; k < cp[i].n; k++)
			cp[i].cl[k].lno += (uint32_t)base[i];
		for (k = 0; k < cp[i].nw; k++)
			cp[i].w[k].lno += (uint32_t)base[i];
		routerfree(cp[i].ro);
		ncl += cp[i].n;
		nallclaims += cp[i].nall;
	}
	/* The parts' wide amounts end to end: in line order. */
	for (i = 0; i < CPARTS; i++) {
		if (cp[i].nw == 0)
			continue;
		wides = xrealloc(wides, (nwide + cp[i].nw) * sizeof *wides);
		memcpy(&wides[nwide], cp[i].w, cp[i].nw * sizeof *wides);
		nwide += cp[i].nw;
		free(cp[i].w);
	}
	/*
	 * The parts' arrays moved end to end into one on huge pages, if
	 * they fill one: the claims are read at random from here on, by
	 * their keys' entries, then in the consumption order.  Else the
	 * first part's array grown in place (a large one is remapped, not
	 * copied), the others moved behind it.  Their pages given back as
	 * they are copied either way: never the claims twice in memory.
	 */
	cl = cp[0].cl;
	if (ncl * sizeof *cl >= BIGALIGN) {
		cl = bigalloc(ncl * sizeof *cl);
		for (i = 0, ncl = 0; i < CPARTS; i++) {
			movein(&cl[ncl], cp[i].cl, cp[i].n * sizeof *cl);
			ncl += cp[i].n;
			free(cp[i].cl);
		}
	} else if (ncl > cp[0].n) {
		cl = xrealloc(cl, ncl * sizeof *cl);
		for (i = 1, ncl = cp[0].n; i < CPARTS; i++) {
			movein(&cl[ncl], cp[i].cl, cp[i].n * sizeof *cl);
			ncl += cp[i].n;
			free(cp[i].cl);
		}
	}
}
