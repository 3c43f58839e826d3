/*
 * cli_run.c -- running the gradcheck binary from a test, shared by the
 * command's suites (check_cli.c, check_cli_layer.c): fork/exec with stdout
 * and stderr captured in temporary files, a temporary directory per test,
 * and python3 as the JSON reader.  Test code, linked into
 * build/check_gradcheck only; every failure is a Check assertion.
 */
#include "cli_run.h"

#include <check.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Run `prog` (a path, or a name looked up in PATH when it has no '/') with
 * args (NULL-terminated, args[0] is argv[0]) in dir as its current
 * directory (so nothing the user left in theirs changes a result), stdin
 * from /dev/null, stdout and stderr into files in dir. */
void run_prog(const char *dir, const char *prog, const char *const *args, result *r)
{
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/.stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", dir);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
            || dup2(err, 2) < 0 || chdir(dir) != 0)
            _exit(125);
        execvp(prog, (char *const *)args);
        _exit(127);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->out = slurp(out_path, &r->out_len);
    r->err = slurp(err_path, NULL);
    unlink(out_path);
    unlink(err_path);
}

const char *gc_bin(void)
{
    const char *bin = getenv("GC_BIN");
    return bin != NULL && bin[0] != '\0' ? bin : GC_DEFAULT_BIN;
}

/* gradcheck with args (NULL-terminated, without argv[0]). */
const char *beside_bin(char *buf, size_t size, const char *rel)
{
    const char *bin = gc_bin();
    const char *slash = strrchr(bin, '/');
    int dirlen = slash != NULL ? (int)(slash - bin) : 1;
    snprintf(buf, size, "%.*s/%s", dirlen, slash != NULL ? bin : ".", rel);
    return buf;
}

void run_gc(const char *dir, const char *const *args, result *r)
{
    const char *argv[CLI_RUN_MAX_ARGS + 2];
    int n = 0;
    argv[n++] = gc_bin();
    for (int i = 0; args[i] != NULL; i++) {
        ck_assert_int_lt(n, CLI_RUN_MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    run_prog(dir, gc_bin(), argv, r);
}

void run_gc_crashing(const char *dir, const char *const *args, result *r)
{
    char opts[400];
    char *saved = getenv("ASAN_OPTIONS") != NULL ? strdup(getenv("ASAN_OPTIONS")) : NULL;
    snprintf(opts, sizeof opts, "handle_segv=0:abort_on_error=1:log_path=%s/asan", dir);
    setenv("ASAN_OPTIONS", opts, 1);
    run_gc(dir, args, r);
    if (saved != NULL)
        setenv("ASAN_OPTIONS", saved, 1);
    else
        unsetenv("ASAN_OPTIONS");
    free(saved);
}

void result_free(result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* A fresh temporary directory per test, and its removal (every file in it;
 * the tests make no subdirectories). */
void tmpdir_make(char *dir, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/gc_cli_XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
}

int tmpdir_count(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

int tmpdir_count_named(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

void tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Exactly one line, "gradcheck: ..." and a newline. */
int one_error_line(const char *err)
{
    size_t n = strlen(err);
    const char *nl = strchr(err, '\n');
    return strncmp(err, "gradcheck: ", 11) == 0 && n > 11 && nl == err + n - 1;
}

/* python3 from Debian when there, else the first on PATH (the Makefile's
 * install-deps puts Debian's python3 in /usr/bin). */
const char *python3(void)
{
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* Evaluate the Python expression `expr` over d = json.load(path), with
 * NaN/Infinity refused (they are not JSON); print(expr) goes to r->out. */
void py_json(const char *dir, const char *path, const char *expr, result *r)
{
    static const char script[] =
        "import json, sys\n"
        "def bad(c): raise ValueError('not JSON: ' + c)\n"
        "d = json.load(open(sys.argv[1]), parse_constant=bad)\n"
        "print(eval(sys.argv[2]))\n";
    const char *argv[] = {"python3", "-c", script, path, expr, NULL};
    run_prog(dir, python3(), argv, r);
}

/* py_json, then assert that python3 succeeded and printed exactly want
 * (its trailing newline aside). */
void json_eq(const char *dir, const char *path, const char *expr, const char *want)
{
    result p;
    py_json(dir, path, expr, &p);
    ck_assert_msg(p.status == 0, "python3 over %s: %s", path, p.err);
    size_t len = strlen(p.out);
    if (len > 0 && p.out[len - 1] == '\n')
        p.out[len - 1] = '\0';
    ck_assert_msg(strcmp(p.out, want) == 0, "%s is %s, want %s", expr, p.out, want);
    result_free(&p);
}

/* What every rejected command gives: exit 2, empty stdout, one
 * "gradcheck: ..." line on stderr containing want; row names the table row. */
void assert_rejected(const result *r, const char *const *args, const char *want, int row)
{
    ck_assert_msg(r->status == 2, "row %d (%s %s ...): exit %d, want 2; stderr: %s", row, args[0],
                  args[1] != NULL ? args[1] : "", r->status, r->err);
    ck_assert_msg(r->out_len == 0, "row %d: stdout not empty: %s", row, r->out);
    ck_assert_msg(one_error_line(r->err), "row %d: stderr is not one 'gradcheck: ' line: [%s]",
                  row, r->err);
    ck_assert_msg(strstr(r->err, want) != NULL, "row %d: stderr [%s] lacks [%s]", row, r->err,
                  want);
}

void assert_output_kept(const char *dir, const char *path, const char *old, int row)
{
    char *file = slurp(path, NULL);
    ck_assert_msg(strcmp(file, old) == 0, "row %d: %s changed: %s", row, path, file);
    free(file);
    /* (an AddressSanitizer log in dir is no temporary file) */
    ck_assert_msg(tmpdir_count_named(dir, ".tmp-") == 0, "row %d: a temporary file is left in %s",
                  row, dir);
}

/* Run gradcheck with args and assert the exit status and an empty stderr. */
void run_ok(const char *dir, const char *const *args, int want_status, result *r)
{
    run_gc(dir, args, r);
    ck_assert_msg(r->status == want_status, "%s %s ...: exit %d, want %d; stderr: %s", args[0],
                  args[1] != NULL ? args[1] : "", r->status, want_status, r->err);
    ck_assert_msg(r->err[0] == '\0', "stderr not empty: %s", r->err);
}

/* A line of the text table starts with the tensor name and its shape. */
int has_table_row(const char *text, const char *name, const char *shape)
{
    char want[64];
    snprintf(want, sizeof want, "\n%s ", name);
    for (const char *p = strstr(text, want); p != NULL; p = strstr(p + 1, want)) {
        const char *eol = strchr(p + 1, '\n');
        const char *s = strstr(p, shape);
        if (s != NULL && (eol == NULL || s < eol))
            return 1;
    }
    return 0;
}
