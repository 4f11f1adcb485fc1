/*
 * What the harnesses share: the entry point libFuzzer calls, and the
 * input as a file, since the readers of formats/ open paths and map
 * them.  The file is a memfd, rewritten for each input: nothing touches
 * the disk, nothing is left behind.
 */
#ifndef TIERS_FUZZ_H
#define TIERS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The bytes as a file: its path (/proc/self/fd/N, opened anew by each
 * reader) and its descriptor.  Slot 0 and 1 are two files.
 */
const char *fz_file(int slot, const void *data, size_t size, int *fd);
/* abort() with a message: a property of the input that does not hold. */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
