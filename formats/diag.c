/*
 * Diagnostics and small helpers shared by every program.  Messages say
 * where (file, line, field) and why; they never quote a field's content,
 * which may be a NIR, a name or an address.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiers.h"

static const char *prog = "tiers";

void
setprogname_(const char *argv0)
{
	const char *p;

	if (argv0 == NULL)
		return;
	prog = (p = strrchr(argv0, '/')) != NULL ? p + 1 : argv0;
}

const char *
progname_(void)
{
	return prog;
}

static void
vmsg(const char *file, long line, const char *field, const char *fmt, va_list ap)
{
	/* One fprintf per message keeps lines whole when programs share stderr. */
	char buf[1024];
	size_t n;

	n = (size_t)snprintf(buf, sizeof buf, "%s: ", prog);
	if (file != NULL && n < sizeof buf) {
		if (line > 0)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s:%ld: ", file, line);
		else
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s: ", file);
	}
	if (field != NULL && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s: ", field);
	if (n < sizeof buf)
		vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	fprintf(stderr, "%s\n", buf);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, 0, NULL, fmt, ap);
	va_end(ap);
	exit(status);
}

void
warnx_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
die_at(int status, const char *file, long line, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(file, line, field, fmt, ap);
	va_end(ap);
	exit(status);
}

void
warn_at(const char *file, long line, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(file, line, field, fmt, ap);
	va_end(ap);
}

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n ? n : 1)) == NULL)
		die(EX_SOFTWARE, "out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		die(EX_SOFTWARE, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *
xconcat(const char *a, const char *b)
{
	size_t m = strlen(a), n = strlen(b) + 1;
	char *p = xmalloc(m + n);

	memcpy(p, a, m);
	memcpy(p + m, b, n);
	return p;
}

char *
xfdup(const struct field *f)
{
	char *s = xmalloc(f->n + 1);

	memcpy(s, f->p, f->n);
	s[f->n] = '\0';
	return s;
}

long long
numarg(const char *s, long long min, long long max, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		die(EX_USAGE, "%s: must be a number from %lld to %lld", what, min, max);
	return v;
}

void
fshut_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF)
		die(EX_IOERR, "stdout: %s", strerror(errno ? errno : EIO));
}

/*
 * A libxml2 message without the document's values it quotes.  A schema
 * error names the element and the reason, and quotes the value ("The
 * value '1161...' is not accepted by the pattern ..."), which may be a
 * NIR or a name.  Quoted text stays only where libxml2 quotes the
 * schema's names and lengths: after Element, attribute, facet, type,
 * pattern, constraint or "of" (a length of '17'), and inside a set {...}.  Any other quoted text goes (after
 * "value" or "content" without a trace, elsewhere "the value" says what
 * was there); so do the bytes of bad UTF-8 ("Bytes: 0x..") and line ends.
 * A value ends at a quote that is not followed by a letter or a digit:
 * "O'Brien" is one value.
 */
static int
safeword(const char *w, size_t n)
{
	static const char *const safe[] = {
		"Element", "element", "attribute", "facet", "type", "pattern",
		"constraint", "of", NULL
	};
	size_t k;
	int i;

	for (i = 0; safe[i] != NULL; i++) {
		k = strlen(safe[i]);
		if (n >= k && memcmp(w + n - k, safe[i], k) == 0 &&
		    (n == k || w[n - k - 1] == '-'))
			return 1;
	}
	return 0;
}

static int
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

/*
 * Runs of 10 digits or more, whatever they stand in (a NIR glued to an
 * element's name by a lost '>' is quoted unquoted in a tag mismatch),
 * become "[digits]": the message only shrinks.
 */
static void
masknumbers(char *s)
{
	char *r = s, *w = s;
	size_t k;

	while (*r != '\0') {
		for (k = 0; r[k] >= '0' && r[k] <= '9'; k++)
			;
		if (k >= 10) {
			memcpy(w, "[digits]", 8);
			w += 8;
			r += k;
		} else if (k > 0) {
			memmove(w, r, k);
			w += k;
			r += k;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

void
xmlmsg(char *dst, size_t n, const char *msg)
{
	const char *p, *w, *end;
	size_t o = 0, wn;
	int depth = 0;

	if (n == 0)
		return;
	/* The input's bytes a message shows, in hex: out, whatever they are. */
	if ((end = strstr(msg, "Bytes:")) == NULL && (end = strstr(msg, ", bytes 0x")) == NULL)
		end = msg + strlen(msg);
	for (p = msg; p < end && o + 1 < n; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth > 0)
			depth--;
		/* An apostrophe of the text ("Couldn't") is no quote. */
		if (*p != '\'' || (p > msg && p[-1] == 'n' && p[1] == 't' && !alnum(p[2]))) {
			dst[o++] = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;
			continue;
		}
		/* The word before the quote, as written out. */
		for (wn = 0, w = dst + o; w > dst && w[-1] == ' '; w--)
			;
		while (w > dst && (alnum(w[-1]) || w[-1] == '-' || w[-1] == '_'))
			w--, wn++;
		if (depth > 0 || safeword(w, wn)) {
			/* A name of the schema: up to its closing quote. */
			dst[o++] = *p++;
			while (p < end && *p != '\'' && o + 1 < n)
				dst[o++] = *p == '\n' ? ' ' : *p, p++;
			if (p < end && o + 1 < n)
				dst[o++] = *p;
			else if (p >= end)
				p--;
			continue;
		}
		/*
		 * A value: past its closing quote, and out.  That is the last
		 * quote followed by " is " or " has ", libxml2's words after a
		 * value (a quote of the value, "D' ARTAGNAN", is no end of it:
		 * what follows would be said); else the first followed by no
		 * letter or digit.
		 */
		{
			const char *q, *last = NULL;

			for (q = p + 1; q < end; q++)
				if (*q == '\'' && (strncmp(q + 1, " is ", 4) == 0 ||
				    strncmp(q + 1, " has ", 5) == 0))
					last = q;
			if (last != NULL)
				p = last;
			else
				for (p++; p < end && !(*p == '\'' && !alnum(p[1])); p++)
					;
		}
		if (p >= end)
			p--;
		if ((wn == 5 && memcmp(w, "value", 5) == 0) ||
		    (wn == 7 && memcmp(w, "content", 7) == 0)) {
			while (o > 0 && dst[o - 1] == ' ')
				o--;
		} else {
			const char *v = "the value";

			while (*v != '\0' && o + 1 < n)
				dst[o++] = *v++;
		}
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	masknumbers(dst);
}
