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
