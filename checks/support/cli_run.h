/*
 * cli_run.h -- helpers of the suites that drive the gradcheck binary (env
 * GC_BIN) as a user does: run it, capture its output, make and remove a
 * temporary directory per test.  Test code only (build/check_gradcheck);
 * each helper fails the running Check test on an error of its own.
 */
#ifndef GRADCHECK_CHECKS_CLI_RUN_H
#define GRADCHECK_CHECKS_CLI_RUN_H

#include <stddef.h>

/* Arguments run_gc passes at most (argv[0] aside). */
#define CLI_RUN_MAX_ARGS 24

/* What a run left behind. */
typedef struct result {
    int status;   /* exit status, or 128 + signal */
    char *out;    /* stdout, NUL-terminated, owned */
    size_t out_len;
    char *err;    /* stderr, NUL-terminated, owned */
} result;

/* The whole file at path, NUL-terminated (free it); its length in *len. */
char *slurp(const char *path, size_t *len);

/* Write text to path (created or truncated). */
void spit(const char *path, const char *text);

/* Run `prog` (a path, or a name looked up in PATH when it has no '/') with
 * args (NULL-terminated, args[0] is argv[0]), stdin from /dev/null, stdout
 * and stderr through files in dir. */
void run_prog(const char *dir, const char *prog, const char *const *args, result *r);

/* The gradcheck binary under test: env GC_BIN, else the one this test binary
 * was built beside (GC_DEFAULT_BIN, an absolute path from the Makefile). */
const char *gc_bin(void);

/* GC_BIN's directory + "/" + rel into buf (the plugins and mutants built
 * beside the binary, in build/ as in build/san/); returns buf. */
const char *beside_bin(char *buf, size_t size, const char *rel);

/* gradcheck with args (NULL-terminated, without argv[0]). */
void run_gc(const char *dir, const char *const *args, result *r);

/* As run_gc, for a run whose plugin crashes on purpose: AddressSanitizer
 * (make sanitize) is told to leave SIGSEGV to the process, to abort where
 * it would exit, and to log to a file in dir, so that stderr holds only the
 * command's own line; ASAN_OPTIONS is restored after.  Without sanitizers
 * the variable is unused. */
void run_gc_crashing(const char *dir, const char *const *args, result *r);

/* Free r's captured output. */
void result_free(result *r);

/* A fresh temporary directory (under TMPDIR or /tmp) into dir. */
void tmpdir_make(char *dir, size_t size);

/* Entries of dir, "." and ".." aside. */
int tmpdir_count(const char *dir);

/* Entries of dir whose name contains part (".tmp-": temporary files). */
int tmpdir_count_named(const char *dir, const char *part);

/* Remove every file in dir, then dir (the tests make no subdirectories). */
void tmpdir_remove(const char *dir);

/* Nonzero when err is exactly one line, "gradcheck: ..." and a newline. */
int one_error_line(const char *err);

/* python3 from Debian when there, else the first on PATH. */
const char *python3(void);

/* Evaluate the Python expression `expr` over d = json.load(path), with
 * NaN/Infinity refused (they are not JSON); print(expr) goes to r->out. */
void py_json(const char *dir, const char *path, const char *expr, result *r);

/* Assert that py_json(dir, path, expr) succeeds and prints exactly want
 * (its trailing newline aside). */
void json_eq(const char *dir, const char *path, const char *expr, const char *want);

/* Assert what every rejected command gives: exit status 2, nothing on
 * stdout, exactly one "gradcheck: ..." line on stderr and it contains want.
 * args are the ones run (for the messages), row the table row. */
void assert_rejected(const result *r, const char *const *args, const char *want, int row);

/* After a refused run: the file at path still holds old, and dir no
 * temporary file of the atomic write (".tmp-"). */
void assert_output_kept(const char *dir, const char *path, const char *old, int row);

/* Run gradcheck with args and assert the exit status and an empty stderr. */
void run_ok(const char *dir, const char *const *args, int want_status, result *r);

/* Nonzero when a line of the text table starts with the tensor name and has
 * its shape ("2x3") before the line ends. */
int has_table_row(const char *text, const char *name, const char *shape);

#endif
