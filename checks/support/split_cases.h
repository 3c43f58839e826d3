/*
 * split_cases.h -- the command lines whose split checks (gradcheck --shard
 * K/N merged, gradcheck-mpi on N ranks) must print the whole check's bytes:
 * every method, engine, --sample, --screen, --inputs, --layer, a network
 * file, failing and kinked rows.  Shared by checks/cli/check_shard.c and
 * checks/cli/check_mpi.c.  Test code only.
 */
#ifndef GRADCHECK_CHECKS_SPLIT_CASES_H
#define GRADCHECK_CHECKS_SPLIT_CASES_H

#include "cli_run.h"

#define SPLIT_NCASES 9

/* argv (without the program) of case c followed by extra (NULL-terminated),
 * into argv (CLI_RUN_MAX_ARGS + 1 entries, NULL-terminated).  "@FIX/" in a
 * case is GC_FIXTURES, "@BIN/" GC_BIN's directory; the strings live until
 * the next call. */
void split_args(int c, const char *const *extra, const char **argv);

/* Case c as one line, for messages. */
const char *split_name(int c);

/* The exit status the whole check of case c gives (0 pass, 1 fail). */
int split_status(int c);

/* Where a (na bytes) and b (nb) first differ, with a line of each around
 * it, for a message of a few hundred bytes (Check's are bounded); "" when
 * they are equal.  The text lives until the next call. */
const char *split_diff(const char *a, size_t na, const char *b, size_t nb);

#endif
