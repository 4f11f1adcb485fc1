/*
 * reject-code's parts: main.c gives each decision its outcome and keeps
 * the lines on hold; returns.c writes, from the outcomes, the PS returns
 * and the clients' returns.
 */
#ifndef REJECT_H
#define REJECT_H

#include "tiers.h"
#include "layout.h"

/* The outcomes' columns, in order (tiers-outcome(5)). */
extern const char *const ocols[];
extern const int nocols;

/*
 * From the outcomes stream written at path (sealed, complete): the PS
 * return as a stream (psout) and as a fixed-width file of layout lay
 * (fixout), either may be NULL; the clients' returns into the directory
 * clientdir (NULL: none).  Outputs are published into place by pub_open
 * and committed with the others by returns_commit.  jobs 2 or more: the
 * clients' returns, with the PS return, by a thread of their own.
 */
void returns_write(const char *path, const char *date, const char *psout,
    const char *fixout, const struct layout *lay, const char *clientdir, int jobs);
void returns_commit(void);
/*
 * -K: the lines to present again on date, into outdir (claims.tsv and
 * hold.tsv): those of prevdir (may be NULL), then the rejected lines the
 * contestation files contest, found in the published days under days;
 * one row a contestation in the report.  The claim columns are today's.
 */
void contest_run(const char *date, const char *days, const char *prevdir, char *const *files,
    int nfiles, const char *outdir, const char *report, const char *const *clcols, int ncl,
    const char *const *hcols, int nhc);
/* The PS return layout, built in or from a file (-L). */
const struct layout *returns_layout(const char *file);

#endif
