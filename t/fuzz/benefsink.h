/*
 * What benef-integrate's main relies on from its readers (the Norme V3
 * XML and the CSV, filters/benef-integrate/), checked by the harnesses
 * normev3.c and benefcsv.c: a sink that takes the entries and the
 * rejects, and the shape of a refusal's message.
 */
#include "../../filters/benef-integrate/benef.h"

static int32_t bizdate;		/* the business date bi_check is given */
static const char *fpath;	/* the file being read */
static long nent, nrej;

/*
 * A field of a stream: NUL-ended within FLD, no control character; not
 * blanks around, unless loose (a reject's detail: "contract_state " for
 * an empty code).
 */
static void
fieldck(const char *what, int i, const char *s, int loose)
{
	size_t n = strnlen(s, FLD), k;

	if (n >= FLD)
		fz_fail("%s %d: not NUL-ended within %d bytes", what, i, FLD);
	for (k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
			fz_fail("%s %d: control character 0x%02x", what, i, (unsigned char)s[k]);
	if (!loose && n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		fz_fail("%s %d: blanks around", what, i);
}

static void
fieldok(const char *what, int i, const char *s)
{
	fieldck(what, i, s, 0);
}

/* Where the entry comes from: the file's base name, a line. */
static void
origin(const struct entry *e)
{
	int i;

	for (i = 0; i < NM; i++)
		fieldok("column", i, e->f[i]);
	if (strcmp(e->file, bi_base(fpath)) != 0)
		fz_fail("entry of file %s, not %s", e->file, bi_base(fpath));
	if (e->line < 1)
		fz_fail("entry at line %ld", e->line);
	if (e->fileno < 0 || e->fileno > 999999999)
		fz_fail("file number %ld", e->fileno);
	if (e->nprod < 0 || e->nprod > MAXPROD)
		fz_fail("%d products", e->nprod);
}

static void
sink_reject(const struct entry *e, int code, const char *detail, void *arg)
{
	(void)arg;
	if (code < 0 || code >= NREJECT)
		fz_fail("reject code %d", code);
	if (detail != NULL)
		fieldck("reject detail", code, detail, 1);
	origin(e);
	nrej++;
}

static const struct bi_sink rejsink = { NULL, sink_reject, NULL };

/* A date column: empty, or a date date_parse reads back the same. */
static int32_t
dateok(const struct entry *e, int col, int32_t dflt)
{
	char buf[DATE_BUFSZ];
	int32_t d;

	if (e->f[col][0] == '\0')
		return dflt;
	if (date_parse(e->f[col], strlen(e->f[col]), &d) != 0)
		fz_fail("column %d: not a date", col);
	date_fmt(d, buf);
	if (strcmp(buf, e->f[col]) != 0)
		fz_fail("column %d: date not ISO", col);
	return d;
}

/*
 * An entry of the reader, through the rules as main.c puts it: one that
 * keeps them has what the merge and the master rely on.
 */
static void
sink_entry(struct entry *e, void *arg)
{
	char nir[16];
	int32_t b, s, t;
	int i, k;

	(void)arg;
	origin(e);
	for (i = 0; i < e->nprod; i++)
		if (strnlen(e->prod[i].ref, FLD) >= FLD || strpbrk(e->prod[i].ref, ",:") != NULL)
			fz_fail("product %d: reference with , or :", i);
	e->f[M_UPDATED][0] = '\0';
	k = (int)nrej;
	if (bi_check(e, bizdate, &rejsink) < 0) {
		if (nrej != k + 1)
			fz_fail("bi_check refused without one reject");
		return;
	}
	if (nrej != k)
		fz_fail("bi_check accepted after a reject");
	nent++;
	/* The key: three fields, none empty (sort and merge split on TAB). */
	for (i = 0; i < NKEY; i++)
		if (e->f[i][0] == '\0')
			fz_fail("key column %d empty", i);
	for (i = 0; i < NM; i++)
		fieldok("column", i, e->f[i]);
	if (e->f[M_ADHERENT][0] == '\0')
		fz_fail("no adherent");
	if (strlen(e->f[M_RANG]) != 1 || e->f[M_RANG][0] < '1' || e->f[M_RANG][0] > '9')
		fz_fail("rang not 1 to 9");
	b = dateok(e, M_BIRTH, INT32_MAX);
	if (b == INT32_MAX || b > bizdate)
		fz_fail("birth date absent or after the business date");
	for (i = 0; i < 2; i++) {
		const char *n = e->f[i ? M_BNIR : M_NIR], *key = e->f[i ? M_BNIRKEY : M_NIRKEY];

		if (n[0] == '\0')
			continue;
		if (strlen(n) != 13 || strlen(key) != 2)
			fz_fail("%s: not 13 and 2 characters", i ? "benef_nir" : "nir");
		memcpy(nir, n, 13);
		memcpy(nir + 13, key, 3);
		if (!nir_valid(nir, 15))
			fz_fail("%s: not a valid NIR and key", i ? "benef_nir" : "nir");
	}
	s = dateok(e, M_RSTART, INT32_MIN);
	t = dateok(e, M_REND, INT32_MAX);
	if (s > t)
		fz_fail("rights start after their end");
	if (dateok(e, M_TPSTART, INT32_MIN) > dateok(e, M_TPEND, INT32_MAX))
		fz_fail("tp_start after tp_end");
	if (e->f[M_KBIRTH][0] == '\0' || (e->f[M_NIR][0] != '\0') != (e->f[M_KNIR][0] != '\0'))
		fz_fail("reconciliation keys");
}

static const struct bi_sink sink = { sink_entry, sink_reject, NULL };

/*
 * A refusal's message: "path:line: field: reason (file refused)", the
 * line 1 or more; never a NIR of the file: 13 digits in a row that are
 * not the end of a name (an element ENTETE1111111111111 is markup).
 */
static void
refusal(const char *who, const char *msg)
{
	size_t n = strlen(fpath), k;
	long run;
	const char *p;
	char *end;

	if (strncmp(msg, fpath, n) != 0 || msg[n] != ':')
		fz_fail("%s: message without the file: %s", who, msg);
	if (strtol(msg + n + 1, &end, 10) < 1 || end == msg + n + 1 || strncmp(end, ": ", 2) != 0)
		fz_fail("%s: message without a line: %s", who, msg);
	if ((p = strstr(end + 2, ": ")) == NULL || p == end + 2)
		fz_fail("%s: message without a field: %s", who, msg);
	k = strlen(msg);
	if (k < 14 || strcmp(msg + k - 14, "(file refused)") != 0)
		fz_fail("%s: not a refusal: %s", who, msg);
	for (run = 0, p = msg + n; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (run == 0 && ((p[-1] >= 'A' && p[-1] <= 'Z') ||
			    (p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_'))
				run = -1000;	/* digits of a name */
			if (++run >= 13)
				fz_fail("%s: 13 digits in the message: %s", who, msg);
		} else if (!(run < 0 && ((*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-' || *p == '.')))
			run = 0;
	}
}
