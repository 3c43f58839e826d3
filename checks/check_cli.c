/*
 * check_cli.c -- the gradcheck command, driven as a user drives it: the built
 * binary (env GC_BIN) run with fork/exec, stdout and stderr captured
 * separately in temporary files, exit status asserted.
 *
 * Bad input of every kind (malformed flag values, unknown names, conflicting
 * or missing flags, malformed network files written to a temporary
 * directory, unwritable outputs) must give exit status 2, exactly one line
 * "gradcheck: ..." on stderr naming what and where, and nothing on stdout.
 * Good runs must report every tensor, give byte-identical output for the same
 * seed, write --output atomically, and emit JSON and JUnit that python3's
 * json module and xmllint accept.
 */
#include <check.h>
#include <gradcheck.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 24

/* ---- running the binary -------------------------------------------------- */

typedef struct result {
    int status;   /* exit status, or 128 + signal */
    char *out;    /* stdout, NUL-terminated, owned */
    size_t out_len;
    char *err;    /* stderr, NUL-terminated, owned */
} result;

static char *slurp(const char *path, size_t *len)
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

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Run `prog` (a path, or a name looked up in PATH when it has no '/') with
 * args (NULL-terminated, args[0] is argv[0]), stdin from /dev/null, stdout
 * and stderr into files in dir. */
static void run_prog(const char *dir, const char *prog, const char *const *args, result *r)
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
            || dup2(err, 2) < 0)
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

static const char *gc_bin(void)
{
    const char *bin = getenv("GC_BIN");
    ck_assert_msg(bin != NULL && bin[0] != '\0', "GC_BIN is not set (run through make check)");
    return bin;
}

/* gradcheck with args (NULL-terminated, without argv[0]). */
static void run_gc(const char *dir, const char *const *args, result *r)
{
    const char *argv[MAX_ARGS + 2];
    int n = 0;
    argv[n++] = gc_bin();
    for (int i = 0; args[i] != NULL; i++) {
        ck_assert_int_lt(n, MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    run_prog(dir, gc_bin(), argv, r);
}

static void result_free(result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* A fresh temporary directory per test, and its removal (every file in it;
 * the tests make no subdirectories). */
static void tmpdir_make(char *dir, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/gc_cli_XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
}

static int tmpdir_count(const char *dir)
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

static void tmpdir_remove(const char *dir)
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
static int one_error_line(const char *err)
{
    size_t n = strlen(err);
    const char *nl = strchr(err, '\n');
    return strncmp(err, "gradcheck: ", 11) == 0 && n > 11 && nl == err + n - 1;
}

/* ---- bad input: a table ---------------------------------------------------- */

/* Network files for the table (DESIGN section 6 layout).  A good one first,
 * then one malformation each. */
#define NET_OK \
    "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 2}, {\"type\": \"sigmoid\"}," \
    " {\"type\": \"dense\", \"in\": 2, \"out\": 1}, {\"type\": \"sigmoid\"}]," \
    " \"loss\": \"bce\", \"x\": [[0.5, 0.7]], \"y\": [[1]]}\n"
#define ONE_DENSE(W, LOSS, X, Y) \
    "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1" W "}, {\"type\": \"sigmoid\"}]" \
    LOSS ", \"x\": " X ", \"y\": " Y "}\n"

static const struct {
    const char *file;        /* written to DIR/net.json when not NULL */
    const char *args[MAX_ARGS]; /* "@NET": that file; "@DIR": the temp directory */
    const char *want;        /* substring of the stderr line */
} bad[] = {
    /* malformed numbers */
    {NULL, {"--arch", "2-1", "--eps", "abc"}, "gradcheck: --eps: expected a positive number, got 'abc'"},
    {NULL, {"--arch", "2-1", "--eps", "1e-6x"}, "--eps: expected a positive number, got '1e-6x'"},
    {NULL, {"--arch", "2-1", "--eps", "0"}, "--eps: expected a positive number, got '0'"},
    {NULL, {"--arch", "2-1", "--eps", "-1e-6"}, "--eps: expected a positive number, got '-1e-6'"},
    {NULL, {"--arch", "2-1", "--eps", "nan"}, "--eps: expected a positive number, got 'nan'"},
    {NULL, {"--arch", "2-1", "--eps", "inf"}, "--eps: expected a positive number, got 'inf'"},
    {NULL, {"--arch", "2-1", "--eps", "1e999"}, "--eps: '1e999' is out of the range of a double"},
    {NULL, {"--arch", "2-1", "--eps", ""}, "--eps: expected a positive number, got ''"},
    {NULL, {"--arch", "2-1", "--eps", " 1e-6"}, "--eps: expected a positive number, got ' 1e-6'"},
    {NULL, {"--arch", "2-1", "--rtol", "-1"}, "--rtol: expected a non-negative number, got '-1'"},
    {NULL, {"--arch", "2-1", "--atol", "x"}, "--atol: expected a non-negative number, got 'x'"},
    {NULL, {"--arch", "2-1", "--batch", "0"}, "--batch: expected an integer from 1 to 1000000, got '0'"},
    {NULL, {"--arch", "2-1", "--batch", "-2"}, "--batch: expected an integer from 1 to 1000000, got '-2'"},
    {NULL, {"--arch", "2-1", "--batch", "2.5"}, "--batch: expected an integer from 1 to 1000000, got '2.5'"},
    {NULL, {"--arch", "2-1", "--sample", "0"}, "--sample: expected an integer from 1 to 1000000000, got '0'"},
    {NULL, {"--arch", "2-1", "--sample", "-5"}, "--sample: expected an integer from 1 to 1000000000, got '-5'"},
    {NULL, {"--arch", "2-1", "--threads", "-1"}, "--threads: expected an integer from 0 to 4096, got '-1'"},
    {NULL, {"--arch", "2-1", "--threads", "two"}, "--threads: expected an integer from 0 to 4096, got 'two'"},
    {NULL, {"--arch", "2-1", "--seed", "-1"}, "--seed: expected an integer from 0 to 18446744073709551615, got '-1'"},
    {NULL, {"--arch", "2-1", "--seed", "12abc"}, "--seed: expected an integer from 0 to 18446744073709551615, got '12abc'"},
    {NULL, {"--arch", "2-1", "--seed", "18446744073709551616"}, "--seed: expected an integer from 0 to"},
    /* unknown names */
    {NULL, {"--arch", "2-1", "--act", "swish"}, "--act: unknown activation 'swish' (expected one of identity, sigmoid"},
    {NULL, {"--arch", "2-1", "--loss", "hinge"}, "--loss: unknown loss 'hinge'"},
    {NULL, {"--arch", "2-1", "--method", "backward"}, "--method: expected one of central, forward, richardson, got 'backward'"},
    {NULL, {"--arch", "2-1", "--format", "xml"}, "--format: expected one of text, json, junit, got 'xml'"},
    {NULL, {"--arch", "2-1", "--init", "glorot"}, "--init: expected one of uniform, xavier, he, got 'glorot'"},
    {NULL, {"--arch", "2-1", "--engine", "turbo"}, "--engine: expected one of reference, fast, got 'turbo'"},
    {NULL, {"--arch", "2-2-1", "--param", "W9"}, "--param: no tensor 'W9' in this network (it has W1 b1 W2 b2 x)"},
    {NULL, {"--arch", "2-2-1", "--param", "W1", "--param", "X"}, "--param: no tensor 'X' in this network"},
    {NULL, {"--arch", "2-2-1", "--param", ""}, "--param: expected a tensor name such as W1, got ''"},
    /* architectures */
    {NULL, {"--arch", "2-0-1"}, "--arch: width 2 of '2-0-1': expected a positive integer, got '0'"},
    {NULL, {"--arch", "2--3-1"}, "--arch: width 2 of '2--3-1': expected a positive integer, got '-3'"},
    {NULL, {"--arch", "2-x-1"}, "--arch: width 2 of '2-x-1': expected a positive integer, got 'x'"},
    {NULL, {"--arch", "2"}, "--arch: expected at least two widths (input and output) like 2-2-1, got '2'"},
    {NULL, {"--arch", "2-2-1", "--act", "relu,sigmoid,tanh"}, "--act: 3 activations for 2 layers in 'relu,sigmoid,tanh'"},
    {NULL, {"--arch", "2-2-1", "--act", "relu"}, "--loss: bce takes probabilities: the last activation must be sigmoid or softmax, got relu"},
    /* the command line itself */
    {NULL, {"--arch", "2-1", "--bogus"}, "gradcheck: unknown option '--bogus'"},
    {NULL, {"--arch", "2-1", "-x"}, "gradcheck: unknown option '-x'"},
    {NULL, {"--arch", "2-1", "--eps"}, "gradcheck: --eps: missing argument"},
    {NULL, {"--arch", "2-1", "stray"}, "gradcheck: unexpected argument 'stray'"},
    {NULL, {"--seed", "3"}, "gradcheck: no network: give --net FILE or --arch WIDTHS"},
    {NET_OK, {"--net", "@NET", "--arch", "2-1"}, "gradcheck: --net and --arch: give one network, not both"},
    {NET_OK, {"--net", "@NET", "--batch", "2"}, "gradcheck: --batch: applies to --arch only"},
    {NET_OK, {"--net", "@NET", "--act", "tanh"}, "gradcheck: --act: applies to --arch only"},
    {NULL, {"--net", "@DIR/missing.json"}, "missing.json: cannot open: No such file or directory"},
    {NULL, {"--arch", "2-1", "--output", "@DIR/no/such/dir/r.txt"}, "gradcheck: --output: "},
    {NULL, {"--arch", "2-1", "--output", "@DIR"}, ": is a directory"},
    {NULL, {"--arch", "2-1", "--output", ""}, "--output: expected a file name, got ''"},
    /* malformed network files: the loader's messages, file and JSON path */
    {"hello\n", {"--net", "@NET"}, "net.json: line 1 column 5: JSON syntax error"},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": 2", {"--net", "@NET"}, "net.json: line 1 column "},
    {"", {"--net", "@NET"}, "net.json: line "},
    {ONE_DENSE(", \"W\": [[1, 2], [3]], \"b\": [0]", ", \"loss\": \"bce\"", "[[1, 2]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: layers[0].W: expected 1 row, got 2"},
    {ONE_DENSE(", \"W\": [[1]], \"b\": [0]", ", \"loss\": \"bce\"", "[[1, 2]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: layers[0].W[0]: expected 2 columns, got 1"},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 3}, {\"type\": \"dense\", \"in\": 2, \"out\": 1},"
     " {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1, 2]], \"y\": [[1]]}",
     {"--net", "@NET"}, "net.json: layers[1].in: expected 3"},
    {ONE_DENSE(", \"W\": [[NaN, 1]], \"b\": [0]", ", \"loss\": \"bce\"", "[[1, 2]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: line 1 column "},
    {ONE_DENSE(", \"W\": [[1e999, 1]], \"b\": [0]", ", \"loss\": \"bce\"", "[[1, 2]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: line 1 column "},
    {ONE_DENSE(", \"W\": [[\"a\", 1]], \"b\": [0]", ", \"loss\": \"bce\"", "[[1, 2]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: layers[0].W[0][0]: expected a finite number, got \"a\""},
    {ONE_DENSE("", ", \"loss\": \"bce\"", "[[1, 2]]", "[[2]]"),
     {"--net", "@NET"}, "net.json: y[0][0]: expected a value in [0, 1] for loss bce, got 2"},
    {ONE_DENSE("", ", \"loss\": \"bce\"", "[]", "[]"),
     {"--net", "@NET"}, "net.json: x: expected at least one example"},
    {ONE_DENSE("", ", \"loss\": \"bce\"", "[[1, 2], [3, 4]]", "[[1]]"),
     {"--net", "@NET"}, "net.json: y: expected 2 examples (as in x), got 1"},
    {ONE_DENSE("", "", "[[1, 2]]", "[[1]]"), {"--net", "@NET"}, "net.json: loss: missing key"},
    {"{\"layers\": [{\"type\": \"conv\", \"in\": 2, \"out\": 1}], \"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[1]]}",
     {"--net", "@NET"}, "net.json: layers[0].type: expected \"dense\" or an activation"},
};

#define NBAD ((int)(sizeof bad / sizeof bad[0]))

START_TEST(test_cli_bad_input_table)
{
    char dir[256], net[300], out_dir[300];
    const char *args[MAX_ARGS + 1];
    char subst[MAX_ARGS][400];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(net, sizeof net, "%s/net.json", dir);
    if (bad[_i].file != NULL)
        spit(net, bad[_i].file);
    int n = 0;
    for (; bad[_i].args[n] != NULL; n++) {
        const char *a = bad[_i].args[n];
        if (strncmp(a, "@NET", 4) == 0) {
            snprintf(subst[n], sizeof subst[n], "%s%s", net, a + 4);
            args[n] = subst[n];
        } else if (strncmp(a, "@DIR", 4) == 0) {
            snprintf(subst[n], sizeof subst[n], "%s%s", dir, a + 4);
            args[n] = subst[n];
        } else {
            args[n] = a;
        }
    }
    args[n] = NULL;
    snprintf(out_dir, sizeof out_dir, "%s", dir);
    run_gc(dir, args, &r);
    ck_assert_msg(r.status == 2, "row %d (%s ...): exit %d, want 2; stderr: %s", _i, args[0],
                  r.status, r.err);
    ck_assert_msg(r.out_len == 0, "row %d: stdout not empty: %s", _i, r.out);
    ck_assert_msg(one_error_line(r.err), "row %d: stderr is not one 'gradcheck: ' line: [%s]", _i,
                  r.err);
    ck_assert_msg(strstr(r.err, bad[_i].want) != NULL, "row %d: stderr [%s] lacks [%s]", _i,
                  r.err, bad[_i].want);
    /* Nothing left behind: no report, no temporary output file. */
    int left = tmpdir_count(out_dir) - (bad[_i].file != NULL);
    ck_assert_msg(left == 0, "row %d: %d stray files left in %s", _i, left, out_dir);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("bad_input");
    tcase_add_loop_test(tc, test_cli_bad_input_table, 0, NBAD);
    suite_add_tcase(s, tc);
    return s;
}
