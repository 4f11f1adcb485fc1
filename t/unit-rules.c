/*
 * unit-rules TABLE: liquidate's business rules (filters/liquidate/rules.c)
 * called directly, one case a row of TABLE: a claim, its beneficiary, one
 * guarantee rule with its ceiling or PEC, what is already consumed; the
 * decision expected: code, AMC, RAC.  Prints TAP.  The column "more"
 * holds what the other columns do not, as name=value;...: pf (PF and
 * franchises, euros), parcours (in, out), optam (0, 1, none: the PS in
 * a register with that status, or not in it), part (frame, lens: the
 * act's optics part), parts (the units of that part an earlier invoice
 * counted), renewal (sight: renewed early on a change of sight), start
 * (the product period's first day), useddate (the day of what was
 * consumed).  The columns are those
 * of t/t0850-rules.tsv, whose header says what each holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../filters/liquidate/liquidate.h"

enum { T_CASE, T_ACT, T_DATE, T_FR, T_BR, T_RATE, T_AMO, T_QTY, T_BIRTH,
	T_RESP, T_STATE, T_RULE, T_PLAF, T_PEC, T_USED, T_MORE, T_CODE, T_AMC, T_RAC, NT };

static int64_t
eur(const char *s, const char *what, long line)
{
	int64_t c;

	if (money_parse(s, strlen(s), &c) != M_OK)
		die_at(EX_DATAERR, "table", line, what, "not an amount");
	return c;
}

static int32_t
day(const char *s, long line)
{
	int32_t d;

	if (date_parse(s, strlen(s), &d) < 0)
		die_at(EX_DATAERR, "table", line, "date", "not a date");
	return d;
}

/* Amount i of the claim: those of the table fit the 32 bits claims.c keeps. */
static void
amt(struct claim *c, int i, int64_t v, long line)
{
	if (v <= INT32_MIN || v > INT32_MAX)
		die_at(EX_DATAERR, "table", line, "amount", "out of range");
	c->am[i] = (int32_t)v;
}

/* The claim's text fields, end to end, as claims.c finds them in a line. */
static void
fields(struct claim *c, char *buf, size_t n, const char *act, const char *date)
{
	const char *v[NCK] = { "2026-11-18#1", "t.580", "1", "1", "900000001", "RPPS",
	    "10000000001", "INV1", "1", date, act, "paid", "first", "1800575123001",
	    "11", "", "A", "" };
	size_t at = 0, m;
	int i;

	for (i = 0; i < NCK; i++) {
		m = strlen(v[i]);
		if (at + m + 1 >= n)
			die(EX_SOFTWARE, "claim too long");
		memcpy(buf + at, v[i], m);
		c->fo[i] = (uint16_t)at;
		c->fl[i] = (uint8_t)m;
		at += m;
		buf[at++] = '\t';
	}
	c->ln = buf;
}

int
main(int argc, char *argv[])
{
	char *line = NULL, *f[NT], *p, buf[512], rulebuf[64];
	size_t cap = 0;
	long ln = 0;
	int nt = 0, bad = 0, k;
	FILE *fp;

	setprogname_(argv[0]);
	if (argc != 2)
		die(EX_USAGE, "usage: unit-rules table");
	if ((fp = fopen(argv[1], "r")) == NULL)
		die(EX_NOINPUT, "%s: cannot open", argv[1]);
	loadacts(NULL);
	while (getline(&line, &cap, fp) > 0) {
		struct claim c;
		struct benef b;
		struct period pd;
		struct rule ru;
		struct product pr;
		struct plafond pl;
		struct guar g;
		struct pec pe;
		struct event ev[2];
		struct ctx cx;
		struct psreg reg;
		struct psrow row;
		long parts;
		int32_t useddate;
		char amc[MONEY_BUFSZ], rac[MONEY_BUFSZ], *s;
		int ok;

		ln++;
		line[strcspn(line, "\n")] = '\0';
		if (*line == '#' || *line == '\0' || strncmp(line, "case\t", 5) == 0)
			continue;
		for (k = 0, p = line; k < NT; k++) {
			f[k] = p;
			if ((p = strchr(p, '\t')) == NULL) {
				if (k != NT - 1)
					die_at(EX_DATAERR, argv[1], ln, NULL, "%d fields, not %d", k + 1, NT);
				break;
			}
			*p++ = '\0';
		}
		memset(&c, 0, sizeof c);
		fields(&c, buf, sizeof buf, f[T_ACT], f[T_DATE]);
		c.date = day(f[T_DATE], ln);
		amt(&c, A_FR, eur(f[T_FR], "fr", ln), ln);
		amt(&c, A_BR, eur(f[T_BR], "br", ln), ln);
		c.rate = atol(f[T_RATE]);
		amt(&c, A_AMO, eur(f[T_AMO], "amo", ln), ln);
		c.qty = atol(f[T_QTY]);
		c.nature = N_PAID;
		c.tp = 1;
		c.noemie = 1;
		c.dom = actdomain(f[T_ACT], strlen(f[T_ACT]));
		c.part = actpart(f[T_ACT], strlen(f[T_ACT]));
		c.hasplv = actplv(f[T_ACT], strlen(f[T_ACT])) > 0;
		c.bi = 0;

		/* The beneficiary: covered by product BASE, rights open. */
		memset(&b, 0, sizeof b);
		b.amc = "900000001";
		b.contract = "C1";
		b.member = "A";
		memcpy(b.nir, "1800575123001", 14);
		b.birth = day(f[T_BIRTH], ln);
		b.rang = 1;
		b.responsable = strcmp(f[T_RESP], "1") == 0;
		b.active = 1;
		b.tpstart = NOSTART;
		b.tpend = b.susstart = b.susend = b.rend = NOEND;
		pd.order = 1;
		pd.ref = "BASE";
		pd.start = NOSTART;
		pd.end = NOEND;
		b.prods = &pd;
		b.nprods = 1;
		/* The state: "-", or what sets the beneficiary or the claim apart. */
		s = f[T_STATE];
		if (strcmp(s, "nobenef") == 0)
			c.bi = -1;
		else if (strcmp(s, "inactive") == 0)
			b.active = 0;
		else if (strcmp(s, "suspended") == 0)
			b.susstart = c.date - 1, b.susend = c.date + 1;
		else if (strncmp(s, "card=", 5) == 0)
			b.doms = 1u << domidx(s + 5, strlen(s + 5));
		else if (strcmp(s, "radiated") == 0)
			pd.end = b.rend = c.date - 1;	/* the card still valid */
		else if (strcmp(s, "closed") == 0)
			pd.end = c.date - 1;		/* rights end unknown */
		else if (strcmp(s, "notp") == 0)
			c.tp = 0;
		else if (strcmp(s, "dup") == 0)
			c.dup = 1;
		else if (strcmp(s, "-") != 0)
			die_at(EX_DATAERR, argv[1], ln, "state", "unknown");

		/* More: name=value;... */
		memset(&reg, 0, sizeof reg);
		memset(&row, 0, sizeof row);
		parts = 0;
		useddate = c.date - 1;
		if (strcmp(f[T_MORE], "-") != 0) {
			char *kv, *save = NULL, *v;

			for (kv = strtok_r(f[T_MORE], ";", &save); kv != NULL;
			    kv = strtok_r(NULL, ";", &save)) {
				if ((v = strchr(kv, '=')) == NULL)
					die_at(EX_DATAERR, argv[1], ln, "more", "not name=value");
				*v++ = '\0';
				if (strcmp(kv, "pf") == 0)
					amt(&c, A_PF, eur(v, "pf", ln), ln);
				else if (strcmp(kv, "parcours") == 0)
					c.parcours = strcmp(v, "out") == 0 ? PC_OUT : PC_IN;
				else if (strcmp(kv, "optam") == 0) {
					row.kind = (char *)"RPPS";
					row.num = (char *)(strcmp(v, "none") == 0 ? "10000000009" : "10000000001");
					row.from = NOSTART;
					row.to = NOEND;
					row.optam = strcmp(v, "1") == 0;
					reg.r = &row;
					reg.n = 1;
				} else if (strcmp(kv, "part") == 0)
					c.part = strcmp(v, "frame") == 0 ? ACT_FRAME : ACT_LENS;
				else if (strcmp(kv, "renewal") == 0)
					c.sight = strcmp(v, "sight") == 0;
				else if (strcmp(kv, "parts") == 0)
					parts = atol(v);
				else if (strcmp(kv, "start") == 0)
					pd.start = day(v, ln);
				else if (strcmp(kv, "useddate") == 0)
					useddate = day(v, ln);
				else
					die_at(EX_DATAERR, argv[1], ln, kv, "unknown");
			}
		}

		/* The rule: formula[:value][,pec], for the act's domain. */
		memset(&ru, 0, sizeof ru);
		ru.dom = c.dom;
		ru.agemax = 1000;
		ru.plaf = -1;
		snprintf(rulebuf, sizeof rulebuf, "%s", f[T_RULE]);
		if ((s = strstr(rulebuf, ",pec")) != NULL)
			*s = '\0', ru.pec = 1;
		s = strchr(rulebuf, ':');
		if (s != NULL)
			*s++ = '\0';
		if (strcmp(rulebuf, "br") == 0 || strcmp(rulebuf, "br-sup") == 0 ||
		    strcmp(rulebuf, "fr") == 0) {
			ru.formula = rulebuf[0] == 'f' ? FO_FR : rulebuf[2] == '-' ? FO_BRSUP : FO_BR;
			ru.rate = atol(s) * 100;
		} else if (strcmp(rulebuf, "fixe") == 0) {
			ru.formula = FO_FIXE;
			ru.amount = eur(s, "rule", ln);
		} else if (strcmp(rulebuf, "sante100") == 0) {
			ru.formula = FO_S100;
			if (s != NULL)
				ru.haslimit = 1, ru.limit = eur(s, "rule", ln);
		} else
			die_at(EX_DATAERR, argv[1], ln, "rule", "unknown formula");
		memset(&pr, 0, sizeof pr);
		snprintf(pr.ref, sizeof pr.ref, "BASE");
		pr.rules = &ru;
		pr.nrules = 1;
		memset(&g, 0, sizeof g);
		snprintf(g.amc, sizeof g.amc, "900000001");
		g.prods = &pr;
		g.nprods = 1;

		/* The ceiling: amount/count/months (amount "-": none), per beneficiary. */
		memset(&pl, 0, sizeof pl);
		if (strcmp(f[T_PLAF], "-") != 0) {
			char *a = f[T_PLAF], *n = strchr(a, '/'), *m;

			if (n == NULL || (m = strchr(n + 1, '/')) == NULL)
				die_at(EX_DATAERR, argv[1], ln, "plafond", "not amount/count/months");
			*n++ = '\0';
			*m++ = '\0';
			snprintf(pl.id, sizeof pl.id, "P");
			if (strcmp(a, "-") != 0)
				pl.hasamt = 1, pl.amount = eur(a, "plafond", ln);
			pl.count = atol(n);
			pl.months = atoi(m);
			pl.anniv = *m == 'A';
			g.plafs = &pl;
			g.nplafs = 1;
			ru.plaf = 0;
		}

		/* The PEC: its amount, valid for this PS, act and date. */
		memset(&pe, 0, sizeof pe);
		if (strcmp(f[T_PEC], "-") != 0) {
			pe.amc = "900000001";
			pe.number = "PEC1";
			pe.acts = "";
			memcpy(pe.nir, b.nir, 14);
			pe.birth = b.birth;
			pe.rang = 1;
			pe.pskind = "RPPS";
			pe.psnum = "10000000001";
			pe.dom = c.dom;
			pe.from = c.date - 10;
			pe.to = c.date + 10;
			pe.amount = eur(f[T_PEC], "pec", ln);
		}

		/*
		 * Consumed: an earlier invoice's event on the ceiling, else
		 * on the PEC, the day before the act.
		 */
		memset(&cx, 0, sizeof cx);
		memset(ev, 0, sizeof ev);
		if (strcmp(f[T_USED], "-") != 0) {
			snprintf(ev[0].member, sizeof ev[0].member, "A");
			snprintf(ev[0].counter, sizeof ev[0].counter, "%s",
			    g.nplafs ? "P" : "pec:PEC1");
			snprintf(ev[0].inv, sizeof ev[0].inv, "RPPS:10000000001:INV0");
			snprintf(ev[0].claim, sizeof ev[0].claim, "2026-11-17#1");
			ev[0].date = useddate;
			ev[0].count = 1;
			ev[0].amount = eur(f[T_USED], "consumed", ln);
			cx.nev = 1;
		}
		/* The parts an earlier invoice counted: "P/frame", "P/lens". */
		if (parts > 0) {
			snprintf(ev[cx.nev].member, sizeof ev[0].member, "A");
			snprintf(ev[cx.nev].counter, sizeof ev[0].counter, "P/%s",
			    c.part == ACT_FRAME ? "frame" : "lens");
			snprintf(ev[cx.nev].inv, sizeof ev[0].inv, "RPPS:10000000001:INV0");
			snprintf(ev[cx.nev].claim, sizeof ev[0].claim, "2026-11-17#1");
			ev[cx.nev].date = useddate;
			ev[cx.nev].count = parts;
			cx.nev++;
		}
		cx.ev = xmalloc(sizeof ev);
		memcpy(cx.ev, ev, sizeof ev);
		cx.capev = 2;
		cx.guars = &g;
		cx.nguars = 1;
		cx.pecs = &pe;
		cx.npecs = pe.amc != NULL;
		cx.bens = &b;
		cx.cl = &c;
		cx.ncl = 1;
		cx.today = day("2026-11-18", ln);
		cx.reg = reg.n ? &reg : NULL;
		snprintf(cx.today_s, sizeof cx.today_s, "2026-11-18");

		decide(&cx, &c);
		money_fmt(c.amc, amc);
		money_fmt(crac(&c), rac);
		snprintf(buf, sizeof buf, "LQ%02d", c.code);
		ok = strcmp(buf, f[T_CODE]) == 0 && strcmp(amc, f[T_AMC]) == 0 &&
		    strcmp(rac, f[T_RAC]) == 0;
		printf("%sok %d - %s: %s %s %s\n", ok ? "" : "not ", ++nt, f[T_CASE], buf, amc, rac);
		if (!ok) {
			printf("# expected %s %s %s\n", f[T_CODE], f[T_AMC], f[T_RAC]);
			bad++;
		}
		free(cx.ev);
	}
	free(line);
	fclose(fp);
	printf("1..%d\n", nt);
	return bad != 0;
}
