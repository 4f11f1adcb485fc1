/*
 * A main() for a harness built without libFuzzer (make check, make san):
 * each file named, or each file of each directory named, in name order,
 * given once to LLVMFuzzerTestOneInput.  A crash is the test's failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tiers.h"
#include "fuzz.h"

static long nrun;

static void
runfile(const char *path)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0, cap = 0, k;

	if ((fp = fopen(path, "rb")) == NULL)
		die(EX_NOINPUT, "%s: %s", path, strerror(errno));
	for (;;) {
		if (n == cap)
			buf = xrealloc(buf, cap = cap ? cap * 2 : 65536);
		if ((k = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += k;
	}
	if (ferror(fp))
		die(EX_IOERR, "%s: read error", path);
	fclose(fp);
	/* An exact copy, so that ASan sees a read past its end. */
	{
		char *exact = xmalloc(n ? n : 1);

		memcpy(exact, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput((const uint8_t *)exact, n);
		free(exact);
	}
	nrun++;
}

int
main(int argc, char *argv[])
{
	struct stat st;
	struct dirent **ent;
	char path[4096];
	int i, j, n;

	setprogname_(argv[0]);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0)
			die(EX_NOINPUT, "%s: %s", argv[i], strerror(errno));
		if (!S_ISDIR(st.st_mode)) {
			runfile(argv[i]);
			continue;
		}
		if ((n = scandir(argv[i], &ent, NULL, alphasort)) < 0)
			die(EX_NOINPUT, "%s: %s", argv[i], strerror(errno));
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof path, "%s/%s", argv[i], ent[j]->d_name);
			if (ent[j]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode))
				runfile(path);
			free(ent[j]);
		}
		free(ent);
	}
	printf("%s: %ld inputs\n", progname_(), nrun);
	fshut_stdout();
	return 0;
}
