/*
 * The day's returns, from its outcomes (reject-code(1)):
 *
 * - to the PS (tiers-psreturn(5)): each invoice line it sent and what
 *   became of it (paid with the amount and the transfer's reference,
 *   rejected with the code and its label, on hold until a date, to be
 *   recovered), as a sealed stream and as a fixed-width file of a layout
 *   (formats/returns/ps-return.lay, the project's own), grouped by PS;
 * - to each client (tiers-clientreturn(5), general conditions 3.1.4 and
 *   annex 5): every line processed for it, the lines it must pay itself
 *   (no tiers payant) among them, as a sealed stream and as CSV.
 *
 * The outcomes come in the order of the claims; each return is sorted by
 * sort(1) (LC_ALL=C, its temporary files in our scratch directory) on its
 * group and the outcome's rank, so memory does not grow with the day.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>

#include "reject.h"

extern const char builtin_psreturn[];

/* The names a PS return layout may use. */
static const char *const laynames[] = {
	"file_date", "ps_kind", "ps_number", "invoice", "line_no", "act_date",
	"act_code", "fr_eur", "amc_eur", "recover_eur", "outcome", "code",
	"decide_by", "claim", "payment_ref", "count", "total_eur", "fr_total_eur"
};
enum {
	Y_DATE, Y_PSKIND, Y_PSNUM, Y_INVOICE, Y_LINENO, Y_ACTDATE, Y_ACT, Y_FR,
	Y_AMC, Y_RECOVER, Y_OUTCOME, Y_CODE, Y_BY, Y_CLAIM, Y_PAYREF, Y_COUNT,
	Y_TOTAL, Y_FRTOTAL, NY
};

const struct layout *
returns_layout(const char *file)
{
	const struct layout *l;
	char err[256], *text = NULL;
	const char *src = "ps-return (built in)";

	if (file != NULL) {
		FILE *fp = fopen(file, "r");
		size_t n = 0, cap = 0, k;

		if (fp == NULL)
			die(EX_NOINPUT, "%s: %s", file, strerror(errno));
		do {
			if (cap - n < 4096)
				text = xrealloc(text, cap = cap ? 2 * cap : 8192);
			k = fread(text + n, 1, cap - n - 1, fp);
			n += k;
		} while (k > 0 && n < (1 << 16));
		if (ferror(fp) || n >= (1 << 16) || memchr(text, '\0', n) != NULL)
			die_at(EX_DATAERR, file, 0, "layout", "unreadable, 64 KiB or more, or a NUL byte");
		fclose(fp);
		text[n] = '\0';
		src = file;
	}
	l = lay_load(src, text != NULL ? text : builtin_psreturn, laynames, NY, err, sizeof err);
	if (l == NULL)
		die(file != NULL ? EX_DATAERR : EX_SOFTWARE, "%s", err);
	free(text);
	if (lay_find(l, "000", 3) == NULL || lay_find(l, "100", 3) == NULL ||
	    lay_find(l, "200", 3) == NULL || lay_find(l, "900", 3) == NULL ||
	    lay_find(l, "999", 3) == NULL)
		die_at(file != NULL ? EX_DATAERR : EX_SOFTWARE, src, 0, "record",
		    "a PS return layout has records 000, 100, 200, 900 and 999");
	return l;
}

/* The outputs, published together at the end. */
static struct pub pubs[3];
static int npub;
static struct pub *dirpubs;
static size_t ndirpub;

void
returns_commit(void)
{
	int i;
	size_t j;

	for (i = 0; i < npub; i++)
		if (pub_commit(&pubs[i]) < 0)
			die(EX_IOERR, "a return: %s", strerror(errno));
	for (j = 0; j < ndirpub; j++)
		if (pub_commit(&dirpubs[j]) < 0)
			die(EX_IOERR, "a client return: %s", strerror(errno));
	free(dirpubs);
}

static struct pub *
newpub(const char *path)
{
	struct pub *p;

	if (npub < 3)
		p = &pubs[npub++];
	else {
		dirpubs = xrealloc(dirpubs, (ndirpub + 1) * sizeof *dirpubs);
		p = &dirpubs[ndirpub++];
	}
	if (pub_open(p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	return p;
}

/* Column of the outcomes by name. */
static int
ocol(const char *name)
{
	int i;

	for (i = 0; i < nocols; i++)
		if (strcmp(ocols[i], name) == 0)
			return i;
	die(EX_SOFTWARE, "outcome column %s", name);
}

/* The client a line is returned to: its AMC number, else unattributed. */
static struct field
clientof(const struct field *a)
{
	static const struct field unattributed = { "unattributed", 12 };

	if (a->n == 0 || a->n > 15 || strspn(a->p, "0123456789") < a->n)
		return unattributed;
	return *a;
}

/*
 * The outcomes of path (a plain file: reject-code wrote it), mapped in
 * *r and checked whole (every record, the trailer's count, sum and CRC),
 * and their sort keys in a scratch file, sorted: the fields k1, k2 of
 * each record whose outcome is not skip (NULL: all), and its offset in
 * the mapping (the outcomes' order within a key).  The sort moves keys,
 * not lines; the lines are read back at their offsets (keyed).  *kept
 * says how many, *amc the sum of their amc_eur as the reader parsed it,
 * for the writer to check its own count and sum against.
 */
static char *
sorted(struct ts_reader *r, const char *path, int k1, int k2, const char *skip,
    uint64_t *kept, int64_t *amc)
{
	char *in, *out;
	const char *p, *rec, *end, *nl;
	FILE *fp;
	int fd, st, ko = ocol("outcome"), ka = ocol("amc_eur");
	pid_t pid;
	uint64_t n = 0;
	int64_t sum = 0;

	if ((fd = tmp_open("returns", &in)) < 0)
		die(EX_CANTCREAT, "%s/returns: %s", tmp_dir(), strerror(errno));
	if ((fp = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
	if (ts_open(r, path, "outcome", 1) < 0)
		ts_fatal(r);
	ts_maprecs(r, path, &rec, &end);
	*kept = 0;
	*amc = 0;
	for (p = rec; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (*p == '#')
			continue;
		if (ts_line(r, p) < 0)
			ts_fatal(r);
		n++;
		if (money_add(&sum, sum, r->recsum) < 0)
			die_at(EX_DATAERR, path, ts_lineof(r, p), "amc_eur", "sum out of range");
		if (skip != NULL && r->f[ko].n == strlen(skip) && memcmp(r->f[ko].p, skip, r->f[ko].n) == 0)
			continue;
		++*kept;
		if (money_add(amc, *amc, r->cents[ka]) < 0)
			die_at(EX_DATAERR, path, ts_lineof(r, p), "amc_eur", "sum out of range");
		fprintf(fp, "%.*s\t%.*s\t%012llu\n", (int)r->f[k1].n, r->f[k1].p,
		    (int)r->f[k2].n, r->f[k2].p, (unsigned long long)(p - (const char *)r->map));
	}
	if (ts_mapcheck(r, n, sum) < 0)
		ts_fatal(r);
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die(EX_IOERR, "%s: %s", in, strerror(errno));
	if ((fd = tmp_open("returns.sorted", &out)) < 0)
		die(EX_CANTCREAT, "%s/returns.sorted: %s", tmp_dir(), strerror(errno));
	close(fd);
	if ((pid = tmp_fork()) < 0)
		die(EX_OSERR, "fork: %s", strerror(errno));
	if (pid == 0) {
		setenv("LC_ALL", "C", 1);
		execlp("sort", "sort", "-t", "\t", "-k1,1", "-k2,2", "-k3,3", "-S", "256M",
		    "-T", tmp_dir(), "-o", out, in, (char *)NULL);
		_exit(127);
	}
	if (tmp_wait(pid, &st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(EX_SOFTWARE, "sort failed");
	unlink(in);
	tmp_untrack(in);
	free(in);
	return out;
}

/* A sorted key line (k1, k2, offset): the outcome at its offset, read into r. */
static void
keyed(struct ts_reader *r, const char *line, size_t len, const char *srt, long lineno)
{
	const char *t = line + len - 12;
	unsigned long long off = 0;

	if (len < 15 || t[-1] != '\t')
		die_at(EX_SOFTWARE, srt, lineno, "", "not a sorted key");
	for (; t < line + len; t++) {
		if (*t < '0' || *t > '9')
			die_at(EX_SOFTWARE, srt, lineno, "", "not a sorted key");
		off = off * 10 + (unsigned long long)(*t - '0');
	}
	if (off >= r->maplen || ts_line(r, (const char *)r->map + off) < 0)
		die_at(EX_SOFTWARE, srt, lineno, "", "not the offset of an outcome");
}

static void
setval(struct lay_val *v, const struct field *f)
{
	size_t n = f->n < LAY_VALSZ - 1 ? f->n : LAY_VALSZ - 1;

	memcpy(v->text, f->p, n);
	v->text[n] = '\0';
	v->n = (unsigned char)n;
	v->set = f->n > 0;
}

static void
setcents(struct lay_val *v, int64_t c)
{
	v->n = (unsigned char)money_fmt(c, v->text);
	v->set = 1;
}

static void
setcount(struct lay_val *v, uint64_t n)
{
	v->n = (unsigned char)snprintf(v->text, sizeof v->text, "%llu", (unsigned long long)n);
	v->set = 1;
}

static void
fixrec(FILE *fp, const struct layout *l, const char *type, const struct lay_val *vals,
    const char *path)
{
	const struct lay_record *r = lay_find(l, type, strlen(type));
	char rec[1024];
	const char *why;
	int col;

	if (r->len >= (int)sizeof rec)
		die(EX_DATAERR, "%s: record %s longer than %zu", l->source, type, sizeof rec - 1);
	if (lay_encode(l, r, vals, rec, &col, &why) < 0)
		die(EX_DATAERR, "%s: record %s: field %s: %s", path, type,
		    col >= 0 ? laynames[col] : "-", why);
	rec[r->len] = '\n';
	if (fwrite(rec, 1, (size_t)r->len + 1, fp) != (size_t)r->len + 1)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

static FILE *
pubfile(struct pub *p)
{
	int fd = dup(p->fd);
	FILE *fp;

	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen: %s", strerror(errno));
	return fp;
}

/*
 * A CSV field, quoted by libcsv's csv_write into memory and written at
 * once: csv_fwrite puts it a byte at a time (a tenth of the stage).
 */
static void
csvput(FILE *fp, const char *s, size_t n)
{
	char buf[512], *b = buf;
	size_t need = 2 * n + 2, m;

	if (need > sizeof buf)
		b = xmalloc(need);
	m = csv_write(b, need, s, n);
	if (m > need)
		die(EX_SOFTWARE, "csv_write: %zu bytes for a field of %zu", m, n);
	fwrite(b, 1, m, fp);
	if (b != buf)
		free(b);
}

static void
fileclose(FILE *fp, const char *path)
{
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
}

/* The PS return. */
static void
psreturn(const char *path, const char *date, const char *psout, const char *fixout,
    const struct layout *lay)
{
	static const char *const pcols[] = {
		"ps_kind", "ps_number", "invoice", "line_no", "act_date", "act_code",
		"claim", "fr_eur", "amc_eur", "recover_eur", "outcome", "code",
		"decide_by", "payment_ref", "ps_label"
	};
	enum { NPC = sizeof pcols / sizeof pcols[0] };
	struct ts_writer w;
	struct lines in;
	struct lay_val v[NY];
	struct ts_reader r;
	const struct field *f;
	char *srt, *line, meta[64], prevkind[32] = "", prevnum[64] = "";
	const char *why;
	size_t len;
	FILE *fp = NULL;
	int pc[NPC], i, k, open = 0;
	uint64_t n = 0, pn = 0, kept;
	int64_t amc = 0, fr = 0, pamc = 0, pfr = 0, x, inamc;

	for (i = 0; i < (int)NPC; i++)
		pc[i] = ocol(pcols[i]);
	srt = sorted(&r, path, ocol("ps_kind"), ocol("ps_number"), "client", &kept, &inamc);
	if (psout != NULL) {
		struct pub *p = newpub(psout);

		ts_wopen(&w, p->fd, psout, "ps-return", 1, pcols, NPC);
		snprintf(meta, sizeof meta, "business_date\t%s", date);
		ts_wmeta(&w, meta);
	}
	memset(v, 0, sizeof v);
	if (fixout != NULL) {
		fp = pubfile(newpub(fixout));
		setval(&v[Y_DATE], &(struct field){ date, strlen(date) });
		fixrec(fp, lay, "000", v, fixout);
	}
	if (lines_open(&in, srt) < 0)
		die(EX_NOINPUT, "%s: %s", srt, strerror(errno));
	while ((k = lines_next(&in, &line, &len, &why)) > 0) {
		const struct field *fk, *fn;

		keyed(&r, line, len, srt, in.lineno);
		f = r.f;
		fk = &f[pc[0]];
		fn = &f[pc[1]];
		if (psout != NULL) {
			for (i = 0; i < (int)NPC; i++)
				ts_wstr(&w, f[pc[i]].p, f[pc[i]].n);
			ts_wend(&w);
		}
		n++;
		if (money_parse(f[pc[8]].p, f[pc[8]].n, &x) != 0 || money_add(&amc, amc, x) < 0)
			die_at(EX_SOFTWARE, srt, in.lineno, "amc_eur", "not an amount");
		if (fixout == NULL)
			continue;
		if (!open || fk->n != strlen(prevkind) || memcmp(fk->p, prevkind, fk->n) != 0 ||
		    fn->n != strlen(prevnum) || memcmp(fn->p, prevnum, fn->n) != 0) {
			if (open) {
				setcount(&v[Y_COUNT], pn);
				setcents(&v[Y_TOTAL], pamc);
				setcents(&v[Y_FRTOTAL], pfr);
				fixrec(fp, lay, "900", v, fixout);
			}
			snprintf(prevkind, sizeof prevkind, "%.*s", (int)fk->n, fk->p);
			snprintf(prevnum, sizeof prevnum, "%.*s", (int)fn->n, fn->p);
			setval(&v[Y_PSKIND], fk);
			setval(&v[Y_PSNUM], fn);
			fixrec(fp, lay, "100", v, fixout);
			open = 1;
			pn = 0;
			pamc = pfr = 0;
		}
		setval(&v[Y_INVOICE], &f[pc[2]]);
		setval(&v[Y_LINENO], &f[pc[3]]);
		setval(&v[Y_ACTDATE], &f[pc[4]]);
		setval(&v[Y_ACT], &f[pc[5]]);
		setval(&v[Y_CLAIM], &f[pc[6]]);
		setval(&v[Y_FR], &f[pc[7]]);
		setval(&v[Y_AMC], &f[pc[8]]);
		setval(&v[Y_RECOVER], &f[pc[9]]);
		setval(&v[Y_OUTCOME], &f[pc[10]]);
		setval(&v[Y_CODE], &f[pc[11]]);
		setval(&v[Y_BY], &f[pc[12]]);
		setval(&v[Y_PAYREF], &f[pc[13]]);
		fixrec(fp, lay, "200", v, fixout);
		pn++;
		if (money_parse(f[pc[8]].p, f[pc[8]].n, &x) != 0 || money_add(&pamc, pamc, x) < 0 ||
		    money_parse(f[pc[7]].p, f[pc[7]].n, &x) != 0 || money_add(&pfr, pfr, x) < 0 ||
		    money_add(&fr, fr, x) < 0)
			die_at(EX_DATAERR, path, 0, "amc_eur", "an amount out of range");
	}
	if (k < 0)
		die(EX_IOERR, "%s: %s", srt, why);
	lines_close(&in);
	ts_close(&r);
	/* Conservation: the lines and the AMC of the outcomes, all of them. */
	if (n != kept || amc != inamc)
		die(EX_SOFTWARE, "PS return: conservation: %llu outcomes, %llu lines; %lld cents, %lld",
		    (unsigned long long)kept, (unsigned long long)n, (long long)inamc, (long long)amc);
	if (fixout != NULL) {
		if (open) {
			setcount(&v[Y_COUNT], pn);
			setcents(&v[Y_TOTAL], pamc);
			setcents(&v[Y_FRTOTAL], pfr);
			fixrec(fp, lay, "900", v, fixout);
		}
		setcount(&v[Y_COUNT], n);
		setcents(&v[Y_TOTAL], amc);
		setcents(&v[Y_FRTOTAL], fr);
		fixrec(fp, lay, "999", v, fixout);
		fileclose(fp, fixout);
	}
	if (psout != NULL)
		ts_wclose(&w);
	unlink(srt);
	tmp_untrack(srt);
	free(srt);
}

/* A client's return, open: its stream and its CSV twin. */
struct cret {
	char name[32], tpath[4096], cpath[4096];
	struct ts_writer w;
	FILE *csv;
};

/*
 * The clients' returns: each outcome, in the order of the outcomes, to
 * its client's two files, opened when the client's first line comes
 * (three descriptors a client).  No sort: a client's lines are the
 * outcomes' in their order.
 */
static void
clientreturns(const char *path, const char *date, const char *dir)
{
	static const char *const ccols[] = {
		"contract", "member_ref", "ps_kind", "ps_number", "invoice", "line_no",
		"act_date", "act_code", "fr_eur", "br_eur", "amo_eur", "amc_eur",
		"rac_eur", "recover_eur", "dest", "code", "outcome", "identity_update",
		"payment_ref", "claim", "client_label"
	};
	enum { NCC = sizeof ccols / sizeof ccols[0] };
	struct ts_reader r;
	struct cret **cl = NULL, *c;
	char meta[64];
	size_t ncl = 0, lo, hi, mid, j;
	int cc[NCC], i, k, d, kamc = ocol("amc"), kout = ocol("outcome");
	int ka = ocol("amc_eur");
	struct field a;
	uint64_t n = 0, nin = 0;
	int64_t inamc = 0, amc = 0, x;

	for (i = 0; i < (int)NCC; i++)
		cc[i] = strcmp(ccols[i], "identity_update") == 0 ? -1 : ocol(ccols[i]);
	snprintf(meta, sizeof meta, "business_date\t%s", date);
	if (ts_open(&r, path, "outcome", 1) < 0)
		ts_fatal(&r);
	while ((k = ts_next(&r)) > 0) {
		nin++;
		if (money_add(&inamc, inamc, r.cents[ka]) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "amc_eur", "sum out of range");
		/*
		 * A line whose claim names no client by a number (rejected,
		 * liquidate could not tell whose it was) is nobody's to send:
		 * it goes to the return named unattributed, for the operator.
		 */
		a = clientof(&r.f[kamc]);
		for (lo = 0, hi = ncl, d = 1; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			d = strncmp(cl[mid]->name, a.p, a.n);
			if (d == 0 && cl[mid]->name[a.n] != '\0')
				d = 1;
			if (d == 0)
				break;
			if (d < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (d == 0)
			c = cl[mid];
		else {
			c = xmalloc(sizeof *c);
			snprintf(c->name, sizeof c->name, "%.*s", (int)a.n, a.p);
			snprintf(c->tpath, sizeof c->tpath, "%s/%s.tsv", dir, c->name);
			ts_wopen(&c->w, newpub(c->tpath)->fd, c->tpath, "client-return", 1, ccols, NCC);
			ts_wmeta(&c->w, meta);
			snprintf(c->cpath, sizeof c->cpath, "%s/%s.csv", dir, c->name);
			c->csv = pubfile(newpub(c->cpath));
			for (i = 0; i < (int)NCC; i++) {
				if (i > 0)
					putc(',', c->csv);
				csvput(c->csv, ccols[i], strlen(ccols[i]));
			}
			fputs("\r\n", c->csv);
			cl = xrealloc(cl, (ncl + 1) * sizeof *cl);
			memmove(&cl[lo + 1], &cl[lo], (ncl - lo) * sizeof *cl);
			cl[lo] = c;
			ncl++;
		}
		for (i = 0; i < (int)NCC; i++) {
			struct field v;

			if (cc[i] < 0) {
				int id = r.f[kout].n == 11 && memcmp(r.f[kout].p, "paid-report", 11) == 0;

				v.p = id ? "1" : "0";
				v.n = 1;
			} else
				v = r.f[cc[i]];
			ts_wstr(&c->w, v.p, v.n);
			if (i > 0)
				putc(',', c->csv);
			csvput(c->csv, v.p, v.n);
			/* What the returns carry, summed from their own text. */
			if (cc[i] == ka && (money_parse(v.p, v.n, &x) != 0 ||
			    money_add(&amc, amc, x) < 0))
				die_at(EX_SOFTWARE, path, r.in.lineno, "amc_eur", "not an amount");
		}
		ts_wend(&c->w);
		fputs("\r\n", c->csv);
		n++;
	}
	if (k < 0)
		ts_fatal(&r);
	ts_close(&r);
	if (n != nin || amc != inamc)
		die(EX_SOFTWARE, "client returns: conservation: %llu outcomes, %llu lines; %lld cents, %lld",
		    (unsigned long long)nin, (unsigned long long)n, (long long)inamc, (long long)amc);
	for (j = 0; j < ncl; j++) {
		ts_wclose(&cl[j]->w);
		fileclose(cl[j]->csv, cl[j]->cpath);
		free(cl[j]);
	}
	free(cl);
}

void
returns_write(const char *path, const char *date, const char *psout, const char *fixout,
    const struct layout *lay, const char *clientdir)
{
	if (psout != NULL || fixout != NULL)
		psreturn(path, date, psout, fixout, lay);
	if (clientdir != NULL)
		clientreturns(path, date, clientdir);
}
