/*
 * fuzz-noemie: NOEMIE's structure (formats/noemie.c), as noemie-decode
 * reads a file: the first line picks a built-in layout (nm_detect), each
 * line goes to nm_physline, the end to nm_finish.  Checked: each act
 * line handed out has every field the claim needs, decoded values that
 * read back (check.h), and sits at the layout's deepest level; a file
 * accepted has opened and ended with every level closed, and its count
 * and total are those of the act lines handed out; a refused file gives
 * "file:line: entity.field: reason".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"
#include "noemie.h"
#include "fuzz.h"
#include "check.h"

static struct nm_lay lays[8];
static int nlays;
static uint64_t nline;
static int64_t sum;

static int
online(struct nm_file *f, const char *type, void *arg)
{
	const struct layout *l = f->lay->l;
	const struct lay_record *r = NULL;
	int i;

	(void)arg;
	for (i = 0; i < l->nrec; i++)
		if (strcmp(l->rec[i].type, type) == 0)
			r = &l->rec[i];
	if (r == NULL || !(r->roles & LR_LINE))
		fz_fail("act line of record %s, not a line record", type);
	if (f->depth != l->maxlevel)
		fz_fail("act line at level %d, not %d", f->depth, l->maxlevel);
	for (i = NM_SENDER; i <= NM_FILEDATE; i++)
		if (!f->v[i].set)
			fz_fail("act line without %s", nm_names[i]);
	checkval(l, r, f->v);
	nline++;
	if (f->v[l->total].set && money_add(&sum, sum, f->v[l->total].num) < 0)
		sum = 0;	/* nm_physline refuses it next */
	return 0;
}

static void
refused(const struct nm_file *f, const char *path)
{
	size_t n = strlen(path);
	char *end;

	if (strncmp(f->err, path, n) != 0 || f->err[n] != ':' ||
	    strtol(f->err + n + 1, &end, 10) < 0 || strncmp(end, ": ", 2) != 0)
		fz_fail("message without file:line: %s", f->err);
	if (f->reason != (size_t)(end + 2 - f->err) || f->err[f->reason] == '\0' ||
	    strstr(f->err + f->reason, ": ") == NULL)
		fz_fail("message without its field and reason: %s", f->err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nm_file f;
	const char *p = (const char *)data, *end = p + size, *nl, *path;
	char err[256];
	int i, rc = 0;

	if (nlays == 0)
		for (i = 0; i < lay_nbuiltins && i < 8; i++)
			if (nm_lay_load(&lays[nlays++], lay_builtins[i].name,
			    lay_builtins[i].text, err, sizeof err) < 0)
				fz_fail("%s", err);
	path = "fuzz.580";
	memset(&f, 0, sizeof f);
	nm_start(&f, path);
	f.online = online;
	nline = 0;
	sum = 0;
	for (; p < end && rc == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		f.line++;
		if (f.lay == NULL && (f.lay = nm_detect(lays, nlays, p,
		    (size_t)(nl - p))) == NULL)
			rc = nm_err(&f, NULL, -1, "no layout recognises the first line");
		else {
			f.namelen = strlen(f.lay->l->name);
			rc = nm_physline(&f, p, (size_t)(nl - p));
		}
		if (nl == end)
			break;
	}
	if (rc == 0)
		rc = nm_finish(&f);
	if (rc < 0) {
		refused(&f, path);
		return 0;
	}
	if (!f.opened || !f.ended || f.depth != 0)
		fz_fail("accepted: opened %d, ended %d, depth %d", f.opened, f.ended, f.depth);
	if (f.fcount != nline || f.ftotal != sum)
		fz_fail("accepted: %llu lines for %llu handed out, total %lld for %lld",
		    (unsigned long long)f.fcount, (unsigned long long)nline,
		    (long long)f.ftotal, (long long)sum);
	if (!f.v[NM_COUNT].set || (uint64_t)f.v[NM_COUNT].num != nline)
		fz_fail("accepted: the end record's count is not the lines'");
	return 0;
}
