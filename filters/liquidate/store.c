/*
 * liquidate: the consumption store (-c DIR, -E, -S; tiers-liquidate(5),
 * "The consumption store").  A directory of segments, each a
 * consumption stream sorted as a generation is, named by the business
 * day that wrote it (YYYY-MM-DD.tsv): a day writes one segment of its
 * own events, the earlier ones are hard-linked, never rewritten, but
 * when the day's segment takes in the newest ones by a size-tiered
 * policy (mergefrom).  A single generation (-c FILE) is read as a store
 * of one segment.
 *
 * Read: each segment mapped; a family's events are looked up only when
 * a rule asks for them (needev), by a gallop then a binary search from
 * where the last family's search stopped (the families come in order),
 * then sorted as the generation holds them.  Only the lines read are checked (fields,
 * order); a segment's CRC is checked where it is written or merged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liquidate.h"

/* At most this many segments: past it, the day's takes in more. */
#define MAXSEG 24

struct seg {
	char name[32];		/* YYYY-MM-DD.tsv; "" a single generation */
	char *path;
	struct ts_reader r;
	const char *rec, *end, *cur;	/* its records, the search's start */
	const char *next;	/* the next family's search's start, at most */
	const char *rel;	/* its pages before given back */
	uint64_t n;		/* records, as its trailer says */
	int32_t day;		/* of its name; NOSTART a single generation */
	int32_t last;		/* its latest act_date; NOEND unknown */
};
#define SEG_RELEASE (4 << 20)	/* pages given back behind a segment's search */
static struct seg *segs;
static int nsegs;
static int32_t rcut = NOSTART;	/* events before it are ignored on read */
static const char *storepath;
static char famkey[64];
static size_t famkeyn;
static int famcut;		/* famkey cut short: only whole loads */
/* The last counter summed (storesum) of the family: its member, counter, sum. */
static char summember[40], sumcounter[48];
static int64_t sumold;
static int havesum;

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
segname(const char *name, int32_t *d)
{
	return strlen(name) == 14 && strcmp(name + 10, ".tsv") == 0 &&
	    date_parse(name, 10, d) == 0;
}

int
seglist(const char *path, const char *kind, char ***names)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int cap = 0, n = 0;
	int32_t day;

	*names = NULL;
	if (d == NULL)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!segname(de->d_name, &day))
			die_at(EX_DATAERR, path, 0, de->d_name,
			    "not a segment of a %s (YYYY-MM-DD.tsv)", kind);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*names = xrealloc(*names, (size_t)cap * sizeof **names);
		}
		(*names)[n++] = xstrdup(de->d_name);
	}
	if (errno != 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	closedir(d);
	/* In the order of their days, whatever the directory's. */
	if (n > 0)
		qsort(*names, (size_t)n, sizeof **names, namecmp);
	return n;
}

/* The value of metadata line "#key<TAB>value" between p and e, or NULL. */
static const char *
metaval(const char *p, const char *e, const char *key, size_t *n)
{
	size_t k = strlen(key);
	const char *nl;

	for (; p < e && *p == '#'; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > k + 1 && memcmp(p + 1, key, k) == 0 && p[k + 1] == '\t') {
			*n = (size_t)(nl - p - k - 2);
			return p + k + 2;
		}
	}
	return NULL;
}

/* A segment read whole: every record, its trailer and its CRC (-V). */
static void
checkwhole(const char *path)
{
	struct ts_reader r;
	int st;

	if (ts_open(&r, path, "consumption", 1) < 0)
		ts_fatal(&r);
	while ((st = ts_next(&r)) == 1)
		;
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/*
 * A store's segment read back once written (the consumption store's
 * day's segment, the PEC store's, of kind kind): its header, the CRC-32
 * of its bytes against its trailer's, and its trailer's count and sum
 * against the n records summing to sum written.  Its lines are not
 * parsed again: each was checked as it was read from its source and
 * copied, or formatted; parsed again (ts_next) they cost 95 million
 * instructions on day 60 of a generated world, a third of the
 * consumption store's writing, 23 instructions a byte of a PEC segment.
 */
void
segcheckback(const char *path, const char *kind, uint64_t n, int64_t sum)
{
	struct ts_reader r;

	if (ts_open(&r, path, kind, 1) < 0 || ts_mapcheck(&r, n, sum) < 0)
		ts_fatal(&r);
	ts_close(&r);
}

/* Open and map segment s: header, columns in the order written, trailer. */
static void
segopen(struct seg *s)
{
	const char *v, *t;
	size_t n;
	long cnt;
	int i;

	if (ts_open(&s->r, s->path, "consumption", 1) < 0)
		ts_fatal(&s->r);
	for (i = 0; i < NEC; i++)
		if (s->r.ncol != NEC || strcmp(s->r.cols[i], ecols[i]) != 0)
			die_at(EX_DATAERR, s->path, 1, "header",
			    "columns not in the order liquidate writes them");
	ts_maprecs(&s->r, s->path, &s->rec, &s->end);
	s->cur = s->rel = s->rec;
	/* The count its trailer says: "#end2<TAB>count..." or "#end<TAB>count...". */
	t = s->end + (s->end[4] == '2' ? 6 : 5);
	n = strcspn(t, "\t\n");
	if (int_parse(t, n, 0, LONG_MAX, &cnt) < 0)
		die_at(EX_DATAERR, s->path, 0, "trailer", "not a record count");
	s->n = (uint64_t)cnt;
	s->last = NOEND;
	v = metaval((const char *)s->r.map + s->r.hdrlen, s->rec, "last_act_date", &n);
	if (v != NULL && date_parse(v, n, &s->last) < 0)
		die_at(EX_DATAERR, s->path, 0, "last_act_date", "not a date");
}

/*
 * The store at path, or a single generation; -V: every segment read
 * through, its CRC checked.  The events before the cutoff of the day
 * that wrote the newest segment are ignored: the generation that day
 * would have written held none of them.
 */
void
storeopen(const char *path, int verify)
{
	struct stat st;
	int i;

	storepath = path;
	if (stat(path, &st) < 0)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		char **names;

		nsegs = seglist(path, "consumption store", &names);
		segs = xmalloc((size_t)(nsegs ? nsegs : 1) * sizeof *segs);
		memset(segs, 0, (size_t)(nsegs ? nsegs : 1) * sizeof *segs);
		for (i = 0; i < nsegs; i++) {
			size_t n = strlen(path) + strlen(names[i]) + 2;

			scopy(segs[i].name, sizeof segs[i].name, names[i]);
			segname(names[i], &segs[i].day);
			segs[i].path = xmalloc(n);
			snprintf(segs[i].path, n, "%s/%s", path, names[i]);
			free(names[i]);
		}
		free(names);
		if (nsegs > 0)
			rcut = addmonths(segs[nsegs - 1].day, -RETAIN);
	} else {
		segs = xmalloc(sizeof *segs);
		memset(segs, 0, sizeof *segs);
		segs[0].path = xstrdup(path);
		segs[0].day = NOSTART;
		nsegs = 1;
	}
	for (i = 0; i < nsegs; i++) {
		segopen(&segs[i]);
		if (verify)
			checkwhole(segs[i].path);
	}
}

void
storeclose(void)
{
	int i;

	for (i = 0; i < nsegs; i++) {
		ts_close(&segs[i].r);
		free(segs[i].path);
	}
	free(segs);
	segs = NULL;
	nsegs = 0;
}

/* The n bytes at s put at famkey + at, as many as fit before its last byte; the end. */
static size_t
keyput(size_t at, const char *s, size_t n)
{
	if (n > sizeof famkey - 1 - at)
		n = sizeof famkey - 1 - at;
	memcpy(famkey + at, s, n);
	return at + n;
}

/* The family whose events needev will look up: none read yet. */
void
storefamily(struct ctx *x, const char *amc, const char *contract)
{
	size_t an = strlen(amc), cn = strlen(contract);
	int i;

	/* "amc<TAB>contract<TAB>", cut as snprintf would (it cost a thousand instructions). */
	famkeyn = keyput(0, amc, an);
	famkeyn = keyput(famkeyn, "\t", 1);
	famkeyn = keyput(famkeyn, contract, cn);
	famkeyn = keyput(famkeyn, "\t", 1);
	famkey[famkeyn] = '\0';
	famcut = an + cn + 2 >= sizeof famkey;
	havesum = 0;
	for (i = 0; i < nsegs; i++) {
		if (segs[i].next > segs[i].cur)
			segs[i].cur = segs[i].next;
		/*
		 * The families come in the segments' order: the pages behind
		 * the search's start are not read again (given back, a read
		 * would map them again), so that the store's resident pages
		 * are not its size, which grows with the days it keeps.
		 */
		if ((size_t)(segs[i].cur - segs[i].rel) >= SEG_RELEASE)
			segs[i].rel = pages_release(segs[i].rel, segs[i].cur);
	}
	x->nev = 0;
	x->nold = 0;
	x->evready = segs == NULL;
}

static void
segbad(struct seg *s, const char *p, const char *field, const char *why)
{
	die_at(EX_DATAERR, s->path, ts_lineof(&s->r, p), field, "%s", why);
}

static void
sfield(struct seg *s, const char *p, char *dst, size_t n, int col, const char *name)
{
	const struct field *f = &s->r.f[col];

	if (f->n >= n)
		segbad(s, p, name, "too long");
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
}

/*
 * The first line from lo (a line start) on whose start is key or after:
 * a gallop, steps of 512 bytes doubling, each taken on to the next line
 * start, then a binary search in the last step.  The families come in
 * order: a lookup reads the pages near the one before's, not log2(size)
 * pages across the whole segment; in a day's small segment, the family
 * searched is most often within a few lines of the last.
 */
static const char *
gallop(const char *lo, const char *hi, const char *key, size_t klen)
{
	const char *a = lo, *b = hi, *nl;
	size_t step = 512;

	while ((size_t)(hi - a) > step) {
		nl = memchr(a + step - 1, '\n', (size_t)(hi - (a + step - 1)));
		if (nl == NULL || nl + 1 >= hi) {
			b = hi;
			break;
		}
		b = nl + 1;
		if (!ts_before(b, hi, key, klen))
			break;
		a = b;
		b = hi;
		step *= 2;
	}
	return ts_seek(a, b, key, klen);
}

/*
 * The events of segment s whose lines start with key (klen bytes: the
 * family's, or one counter's of a member of it) appended to *ev.  The
 * next search starts after them if adv is set; else the next family's
 * starts where they are, at least.
 */
static void
segfamily(struct seg *s, const char *fkey, size_t klen, int adv, struct event **ev, size_t *n,
    size_t *cap)
{
	const char *p;
	char key[2][256];
	size_t keyn[2] = { 0, 0 }, j;
	int cur = 0, i;
	static const int kc[] = { E_MEMBER, E_COUNTER, E_DATE, E_CLAIM };
	struct event *e;
	long cnt;
	int32_t d;

	p = gallop(s->cur, s->end, fkey, klen);
	for (; p < s->end && (size_t)(s->end - p) > klen &&
	    memcmp(p, fkey, klen) == 0; p += s->r.len + 1) {
		if (ts_line(&s->r, p) < 0) {
			s->r.errline = ts_lineof(&s->r, p);
			ts_fatal(&s->r);
		}
		/* Sorted, as far as its lines are read: they are searched. */
		for (j = 0, i = 0; i < 4; i++) {
			const struct field *f = &s->r.f[kc[i]];

			if (j + f->n + 1 > sizeof key[cur])
				segbad(s, p, ecols[kc[i]], "too long");
			memcpy(key[cur] + j, f->p, f->n);
			j += f->n;
			key[cur][j++] = '\t';
		}
		keyn[cur] = j;
		if (keyn[!cur] > 0 && bytecmp(key[cur], j, key[!cur], keyn[!cur]) < 0)
			segbad(s, p, NULL, "not sorted on amc, contract, member_ref, counter, "
			    "act_date, claim");
		cur = !cur;
		if (date_parse(s->r.f[E_DATE].p, s->r.f[E_DATE].n, &d) < 0)
			segbad(s, p, "act_date", "not a date");
		if (int_parse(s->r.f[E_COUNT].p, s->r.f[E_COUNT].n, -100000, 100000, &cnt) < 0)
			segbad(s, p, "count", "not an integer from -100000 to 100000");
		if (d < rcut)
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*ev = xrealloc(*ev, *cap * sizeof **ev);
		}
		e = &(*ev)[(*n)++];
		memset(e, 0, sizeof *e);
		sfield(s, p, e->member, sizeof e->member, E_MEMBER, "member_ref");
		sfield(s, p, e->counter, sizeof e->counter, E_COUNTER, "counter");
		sfield(s, p, e->inv, sizeof e->inv, E_INV, "invoice");
		sfield(s, p, e->claim, sizeof e->claim, E_CLAIM, "claim");
		sfield(s, p, e->bdate, sizeof e->bdate, E_BDATE, "business_date");
		e->date = d;
		e->count = cnt;
		e->amount = s->r.cents[E_AMT];
	}
	if (adv)
		s->cur = p;
	else if (p > s->next)
		s->next = p;
}

/*
 * The family's events, from every segment, before those the day added
 * already: sorted as one generation holds them.  The rules read them as
 * sums, whatever their order; only what is written depends on it.
 */
void
storeload(struct ctx *x)
{
	static struct event *ev;
	static size_t cap;
	size_t n = 0;
	int i;

	x->evready = 1;
	for (i = 0; i < nsegs; i++)
		segfamily(&segs[i], famkey, famkeyn, 1, &ev, &n, &cap);
	if (n == 0)
		return;
	qsort(ev, n, sizeof *ev, evcmp);
	if (x->nev + n > x->capev) {
		x->capev = x->nev + n > 2 * x->capev ? x->nev + n : 2 * x->capev;
		x->ev = xrealloc(x->ev, x->capev * sizeof *x->ev);
	}
	memmove(x->ev + n, x->ev, x->nev * sizeof *x->ev);
	memcpy(x->ev, ev, n * sizeof *ev);
	x->nev += n;
	x->nold = n;
}

/*
 * The sum of the amounts of the events the store holds for the family's
 * member and counter, into *sum, without loading the family's others: a
 * PEC's counter (pecused) is all a claim needs of them, most days.  Its
 * lines are contiguous in each segment, read and checked as storeload
 * reads them.  0: the key does not fit, the family to load whole.
 */
int
storesum(const char *member, const char *counter, int64_t *sum)
{
	static struct event *ev;
	static size_t cap;
	char key[sizeof famkey + sizeof summember + sizeof sumcounter];
	size_t n = 0, k, ml = strlen(member), cn = strlen(counter);
	int i;

	if (havesum && strcmp(member, summember) == 0 && strcmp(counter, sumcounter) == 0) {
		*sum = sumold;
		return 1;
	}
	if (famcut || ml >= sizeof summember || cn >= sizeof sumcounter)
		return 0;
	memcpy(key, famkey, famkeyn);
	memcpy(key + famkeyn, member, ml);
	key[famkeyn + ml] = '\t';
	memcpy(key + famkeyn + ml + 1, counter, cn);
	key[famkeyn + ml + 1 + cn] = '\t';
	for (i = 0; i < nsegs; i++)
		segfamily(&segs[i], key, famkeyn + ml + cn + 2, 0, &ev, &n, &cap);
	*sum = 0;
	for (k = 0; k < n; k++)
		*sum += ev[k].amount;
	memcpy(summember, member, ml + 1);
	memcpy(sumcounter, counter, cn + 1);
	sumold = *sum;
	havesum = 1;
	return 1;
}

/* The day's events: the family's, those the day added, in the generation's order. */
void
wdayevents(struct ctx *x, const char *amc, const char *contract)
{
	size_t k;

	if (x->nev > x->nold)
		qsort(x->ev + x->nold, x->nev - x->nold, sizeof *x->ev, evcmp);
	for (k = x->nold; k < x->nev; k++)
		wevent(amc, contract, &x->ev[k]);
}

/*
 * Writing a store.  A source of records merged into the day's segment:
 * a segment taken in, or the day's events (one file, or a shard's each).
 */
struct src {
	struct ts_reader r;
	const char *path;
	int have;
	char key[512];
	size_t keyn;
	int32_t last;		/* its last_act_date; NOEND unknown */
};

static void
srcnext(struct src *s)
{
	int st, i;
	size_t n = 0;

	while ((st = ts_next(&s->r)) == 2) {
		const char *v = s->r.line;

		if (s->r.len > 14 && memcmp(v, "last_act_date\t", 14) == 0 &&
		    date_parse(v + 14, s->r.len - 14, &s->last) < 0)
			die_at(EX_DATAERR, s->path, s->r.in.lineno, "last_act_date", "not a date");
	}
	if (st < 0)
		ts_fatal(&s->r);
	s->have = st == 1;
	if (!s->have)
		return;
	/* The order of the generation: amc, contract, then evcmp's. */
	{
		static const int ord[] = { E_AMC, E_CONTRACT, E_MEMBER, E_COUNTER, E_DATE,
			E_CLAIM, E_BDATE, E_INV };

		for (i = 0; i < 8; i++) {
			const struct field *f = &s->r.f[ord[i]];

			if (n + f->n + 1 > sizeof s->key)
				die_at(EX_DATAERR, s->path, s->r.in.lineno, ecols[ord[i]], "too long");
			memcpy(s->key + n, f->p, f->n);
			n += f->n;
			s->key[n++] = '\t';
		}
	}
	s->keyn = n;
}

/* The latest act date of a stream read through, its CRC checked. */
static int32_t
lastact(const char *path)
{
	struct ts_reader r;
	int32_t last = NOSTART, d;
	int st;

	if (ts_open(&r, path, "consumption", 1) < 0)
		ts_fatal(&r);
	while ((st = ts_next(&r)) == 1) {
		if (date_parse(r.f[E_DATE].p, r.f[E_DATE].n, &d) < 0)
			die_at(EX_DATAERR, path, r.in.lineno, "act_date", "not a date");
		if (d > last)
			last = d;
	}
	if (st < 0)
		ts_fatal(&r);
	ts_close(&r);
	return last;
}

/*
 * The file from hard-linked as to; on another file system, or where
 * links are refused, copied (mode 0600): the same bytes.
 */
void
linkorcopy(const char *from, const char *to)
{
	char buf[1 << 16];
	ssize_t k, m, o;
	int fd, in;

	if (link(from, to) == 0)
		return;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		die(EX_CANTCREAT, "%s: %s", to, strerror(errno));
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		die(EX_NOINPUT, "%s: %s", from, strerror(errno));
	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "%s: %s", to, strerror(errno));
	while ((k = read(in, buf, sizeof buf)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die(EX_IOERR, "%s: %s", from, strerror(errno));
		}
		for (o = 0; o < k; o += m)
			if ((m = write(fd, buf + o, (size_t)(k - o))) < 0) {
				if (errno == EINTR) {
					m = 0;
					continue;
				}
				die(EX_IOERR, "%s: %s", to, strerror(errno));
			}
	}
	close(in);
	if (fsync(fd) < 0 || close(fd) < 0)
		die(EX_IOERR, "%s: %s", to, strerror(errno));
}

/*
 * The merge policy, size-tiered, as dedup's (tiers-ledger(5)), the
 * PEC store's too (pecstore.c), from the live segments' counts n (whole:
 * a single generation) and the day's nday: the
 * day's events make the newest segment; while the live segment before
 * it (or before the run of newest segments it took in) holds at most
 * one and a half times as many records as that run, the run takes it
 * in; and as many more as keep the segments at MAXSEG.  Segments of
 * days of the same size make a binary counter: O(log days) segments,
 * an event rewritten O(log days) times.  A single generation is taken
 * in whole, once.  Decided from the counts alone: the same store and
 * day give the same bytes.
 */
int
tierfrom(const uint64_t *n, const int *whole, int nlive, uint64_t nday)
{
	uint64_t run = nday;
	int r = nlive;

	while (r > 0 && (whole[r - 1] || 2 * n[r - 1] <= 3 * run || r + 1 > MAXSEG)) {
		run += n[r - 1];
		r--;
	}
	return r;
}

/* The policy (tierfrom) on the consumption store's live segments. */
static int
mergefrom(const int *live, int nlive, uint64_t nday)
{
	uint64_t *n = xmalloc((size_t)(nlive ? nlive : 1) * sizeof *n);
	int *whole = xmalloc((size_t)(nlive ? nlive : 1) * sizeof *whole), i, r;

	for (i = 0; i < nlive; i++) {
		n[i] = segs[live[i]].n;
		whole[i] = segs[live[i]].day == NOSTART;
	}
	r = tierfrom(n, whole, nlive, nday);
	free(n);
	free(whole);
	return r;
}

/*
 * The new store newdir: the live segments of the one opened before the
 * run mergefrom chooses, hard-linked (copied where a link fails), and
 * the day's segment: the run's events and those of the day's files
 * (ndays of them, nday events in all), merged, the events before the
 * cutoff dropped; all in newdir.tmp, which storepublish renames to
 * newdir once the other outputs are published.  Its metadata says its
 * latest act date (a bound: the latest of its sources'), for the day it
 * is wholly past the cutoff; a single generation, which does not say
 * it, is read through for it.  The day's segment is read back, its CRC
 * checked.  *nev: the store's events.
 */
void
writestore(const char *newdir, char *const *days, int ndays, uint64_t nday, uint64_t *nev)
{
	char tmpdir[PATH_MAX - 64], path[PATH_MAX], meta[64], name[32];
	struct ts_writer w;
	struct pub p;
	struct src *src;
	int *live, nlive = 0, r, i, ns, b;
	uint64_t nin = 0, ndrop = 0, nw;
	int64_t sumin = 0, sumdrop = 0, sumw;
	int32_t last = NOSTART, d, today;

	if ((size_t)snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newdir) >= sizeof tmpdir - 32)
		die(EX_USAGE, "%s: path too long", newdir);
	date_parse(today_s, strlen(today_s), &today);
	for (i = 0; i < nsegs; i++)
		if (segs[i].day != NOSTART && segs[i].day >= today)
			die_at(EX_DATAERR, segs[i].path, 0, NULL,
			    "a segment of this business day or a later one");
	if (mkdir(tmpdir, 0700) < 0)
		die(EX_CANTCREAT, "%s: %s", tmpdir, strerror(errno));
	tmp_track(tmpdir, 1);
	live = xmalloc((size_t)(nsegs ? nsegs : 1) * sizeof *live);
	for (i = 0; i < nsegs; i++)
		if (segs[i].last == NOEND || segs[i].last >= cutoff)
			live[nlive++] = i;	/* else wholly past the cutoff: dropped */
	r = mergefrom(live, nlive, nday);
	*nev = 0;
	for (i = 0; i < r; i++) {
		const struct seg *s = &segs[live[i]];

		snprintf(path, sizeof path, "%s/%s", tmpdir, s->name);
		linkorcopy(s->path, path);
		tmp_track(path, 0);
		*nev += s->n;
	}

	/* The run taken in and the day's files, one merge. */
	ns = nlive - r + ndays;
	src = xmalloc((size_t)(ns ? ns : 1) * sizeof *src);
	memset(src, 0, (size_t)(ns ? ns : 1) * sizeof *src);
	for (i = 0; i < ns; i++) {
		src[i].path = i < nlive - r ? segs[live[r + i]].path : days[i - (nlive - r)];
		if (ts_open(&src[i].r, src[i].path, "consumption", 1) < 0)
			ts_fatal(&src[i].r);
		src[i].r.keepmeta = 1;
		src[i].last = NOEND;
		for (b = 0; b < NEC; b++)
			if (src[i].r.ncol != NEC || strcmp(src[i].r.cols[b], ecols[b]) != 0)
				die_at(EX_DATAERR, src[i].path, 1, "header",
				    "columns not in the order liquidate writes them");
		srcnext(&src[i]);
		if (!src[i].have)
			src[i].last = NOSTART;
		else if (src[i].last == NOEND)
			src[i].last = lastact(src[i].path);
		if (src[i].last > last)
			last = src[i].last;
	}
	snprintf(name, sizeof name, "%s.tsv", today_s);
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	if (pub_open(&p, path) < 0)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));
	ts_wopen(&w, p.fd, path, "consumption", 1, ecols, NEC);
	snprintf(meta, sizeof meta, "business_date\t%s", today_s);
	ts_wmeta(&w, meta);
	if (last != NOSTART) {
		char ld[DATE_BUFSZ];

		date_fmt(last, ld);
		snprintf(meta, sizeof meta, "last_act_date\t%s", ld);
		ts_wmeta(&w, meta);
	}
	{
		for (;;) {
			char prevkey[512];
			size_t prevn;

			for (b = -1, i = 0; i < ns; i++)
				if (src[i].have && (b < 0 || bytecmp(src[i].key, src[i].keyn,
				    src[b].key, src[b].keyn) < 0))
					b = i;
			if (b < 0)
				break;
			nin++;
			if (money_add(&sumin, sumin, src[b].r.cents[E_AMT]) < 0)
				die(EX_DATAERR, "%s: control sum out of range", src[b].path);
			if (date_parse(src[b].r.f[E_DATE].p, src[b].r.f[E_DATE].n, &d) < 0)
				die_at(EX_DATAERR, src[b].path, src[b].r.in.lineno, "act_date",
				    "not a date");
			if (d < cutoff) {
				ndrop++;
				if (money_add(&sumdrop, sumdrop, src[b].r.cents[E_AMT]) < 0)
					die(EX_DATAERR, "%s: control sum out of range", src[b].path);
			} else
				ts_wcopy(&w, &src[b].r);
			memcpy(prevkey, src[b].key, src[b].keyn);
			prevn = src[b].keyn;
			srcnext(&src[b]);
			if (src[b].have && bytecmp(src[b].key, src[b].keyn, prevkey, prevn) < 0)
				die_at(EX_DATAERR, src[b].path, src[b].r.in.lineno, NULL,
				    "not sorted on amc, contract, member_ref, counter, act_date, "
				    "claim");
		}
	}
	/* Records in = records out: those written and those past the cutoff. */
	if (w.nrec + ndrop != nin || money_add(&sumdrop, sumdrop, w.sum) < 0 || sumdrop != sumin)
		die(EX_SOFTWARE, "conservation check failed: %llu events merged, %llu written, "
		    "%llu past the cutoff", (unsigned long long)nin,
		    (unsigned long long)w.nrec, (unsigned long long)ndrop);
	*nev += w.nrec;
	nw = w.nrec;
	sumw = w.sum;
	ts_wclose(&w);
	if (pub_commit(&p) < 0)
		die(EX_IOERR, "%s: %s", path, strerror(errno));
	tmp_track(path, 0);
	for (i = 0; i < ns; i++)
		ts_close(&src[i].r);
	free(src);
	free(live);
	/* Verified once, as it is written: readers then check what they read. */
	segcheckback(path, "consumption", nw, sumw);
}

/* The store writestore made, renamed into place: after the decisions. */
void
storepublish(const char *newdir)
{
	char tmpdir[PATH_MAX];

	snprintf(tmpdir, sizeof tmpdir, "%s.tmp", newdir);
	if (rename(tmpdir, newdir) < 0)
		die(EX_CANTCREAT, "%s: %s", newdir, strerror(errno));
	tmp_untrack(tmpdir);
	/* The new name on disk, as pub_commit does for a file. */
	if (pub_syncdir(newdir) < 0)
		die(EX_IOERR, "%s: %s", newdir, strerror(errno));
}
