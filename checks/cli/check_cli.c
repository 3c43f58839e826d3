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

#include "cli_run.h"

#define MAX_ARGS CLI_RUN_MAX_ARGS

/* ---- bad input: a table ---------------------------------------------------- */

/* Network files for the table (docs/DESIGN.md §6 layout).  A good one first,
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
    {NULL, {"--arch", "2-1", "--seed", "-1"}, "--seed: expected an integer from 0 to 9223372036854775807, got '-1'"},
    {NULL, {"--arch", "2-1", "--seed", "12abc"}, "--seed: expected an integer from 0 to 9223372036854775807, got '12abc'"},
    {NULL, {"--arch", "2-1", "--seed", "9223372036854775808"}, "--seed: expected an integer from 0 to 9223372036854775807, got '9223372036854775808'"},
    {NULL, {"--arch", "2-1", "--seed", "18446744073709551616"}, "--seed: expected an integer from 0 to"},
    /* unknown names */
    {NULL, {"--arch", "2-1", "--act", "swish"}, "--act: unknown activation 'swish' (expected one of identity, sigmoid"},
    {NULL, {"--arch", "2-1", "--loss", "hinge"}, "--loss: unknown loss 'hinge'"},
    {NULL, {"--arch", "2-1", "--method", "backward"}, "--method: expected one of central, forward, richardson, got 'backward'"},
    {NULL, {"--arch", "2-1", "--format", "xml"}, "--format: expected one of text, json, junit, got 'xml'"},
    {NULL, {"--arch", "2-1", "--init", "glorot"}, "--init: expected one of uniform, xavier, he, auto, got 'glorot'"},
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
    {NULL, {"--net", "@DIR"}, ": cannot read: Is a directory"},
    {NULL, {"--arch", "2-1", "--output", "@DIR/no/such/dir/r.txt"}, "gradcheck: --output: "},
    {NULL, {"--arch", "2-1", "--output", "@DIR"}, ": is a directory"},
    {NULL, {"--arch", "2-1", "--output", ""}, "--output: expected a file name, got ''"},
    /* the temporary output file is made before the network: removed again */
    {NULL, {"--arch", "2-0-1", "--output", "@DIR/r.txt"}, "--arch: width 2 of '2-0-1'"},
    {"[1, 2]", {"--net", "@NET", "--output", "@DIR/r.txt", "--format", "json"}, "net.json: "},
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
     {"--net", "@NET"}, "net.json: layers[0].type: expected \"dense\", \"plugin\" or an activation"},
    /* limits: one line naming the limit and the flag that raises it */
    {NULL, {"--net", "/dev/zero"},
     "gradcheck: /dev/zero: more than the limit of 67108864 bytes (raise it with --max-input-bytes N)"},
    {NET_OK, {"--net", "@NET", "--max-input-bytes", "100"},
     "net.json: more than the limit of 100 bytes (raise it with --max-input-bytes N)"},
    {NET_OK, {"--net", "@NET", "--max-layers", "3"},
     "net.json: layers: 4 layers, more than the limit of 3 (raise it with --max-layers N)"},
    {NET_OK, {"--net", "@NET", "--max-elements", "9"},
     "net.json: layers[0]: the network would hold 10 elements (parameters, activations, data), "
     "more than the limit of 9 (raise it with --max-elements N)"},
    {NULL, {"--arch", "1000-1000000-1000"},
     "gradcheck: --arch: the network would hold 2003004000 elements (parameters, activations, "
     "data), more than the limit of 50000000 (raise it with --max-elements N)"},
    {NULL, {"--arch", "2-1", "--max-layers", "5"}, "gradcheck: --max-layers: applies to --net only"},
    {NULL, {"--layer", "relu", "--in", "2", "--max-elements", "5"},
     "gradcheck: --max-elements: applies to --net and --arch only"},
    {NULL, {"--net", "x.json", "--max-layers", "0"},
     "gradcheck: --max-layers: expected an integer from 1 to 9007199254740992, got '0'"},
    /* an argument holding a newline is echoed as '?': one line (a fuzz finding) */
    {NULL, {"--arch", "2-1", "a\nb"}, "gradcheck: unexpected argument 'a?b'"},
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
    assert_rejected(&r, args, bad[_i].want, _i);
    /* Nothing left behind: no report, no temporary output file. */
    int left = tmpdir_count(out_dir) - (bad[_i].file != NULL);
    ck_assert_msg(left == 0, "row %d: %d stray files left in %s", _i, left, out_dir);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- good runs ------------------------------------------------------------ */

START_TEST(test_cli_text_names_every_tensor)
{
    char dir[256];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--arch", "2-2-1", "--act", "sigmoid", "--loss", "bce", "--seed", "1",
                          NULL};
    run_ok(dir, args, 0, &r);
    /* 2-2-1: W1 2x2, b1 2x1, W2 1x2, b2 1x1 */
    ck_assert_msg(has_table_row(r.out, "W1", "2x2"), "no W1 2x2 row in:\n%s", r.out);
    ck_assert_msg(has_table_row(r.out, "b1", "2x1"), "no b1 2x1 row in:\n%s", r.out);
    ck_assert_msg(has_table_row(r.out, "W2", "1x2"), "no W2 1x2 row in:\n%s", r.out);
    ck_assert_msg(has_table_row(r.out, "b2", "1x1"), "no b2 1x1 row in:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "seed 1") != NULL, "the text report does not print the seed:\n%s",
                  r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Every number of the JSON report reads back (python3's json, then repr,
 * then strtod here) to the very bits the library computes for the same
 * network and options in this process: the writer prints enough digits and
 * the CLI passes the same seed to the builder and to the check. */
START_TEST(test_cli_json_round_trips_every_number)
{
    char dir[256], path[300];
    result r, p;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/report.json", dir);
    const char *args[] = {"--arch", "3-4-2", "--act", "tanh,sigmoid", "--loss", "bce",
                          "--batch", "3", "--seed", "7", "--init", "xavier", "--inputs",
                          "--format", "json", "--output", path, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(r.out_len == 0, "--output but stdout has: %s", r.out);
    py_json(dir, path,
            "'\\n'.join(['loss %r' % d['loss'], 'seed %d' % d['options']['seed'], "
            "'eps %r' % d['options']['eps']] + ['%s %d %d %r %r %r %r %s' % (w['tensor'], "
            "w['row'], w['col'], w['analytic'], w['numeric'], w['abs_err'], w['rel_err'], "
            "w['verdict']) for w in d['rows']])",
            &p);
    ck_assert_msg(p.status == 0, "python3 json failed (%d): %s", p.status, p.err);

    /* The same run in-process. */
    gc_pcg32 rng;
    gc_error err = {0};
    gc_arch_seed_rng(&rng, 7);
    gc_net *net = gc_net_from_arch("3-4-2", "tanh,sigmoid", "bce", 3, GC_INIT_XAVIER, &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.seed = 7;
    o.inputs = 1;
    gc_report *rep = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &rep, &err), GC_OK);

    char *save = NULL;
    size_t row = 0;
    int seen_loss = 0, seen_seed = 0, seen_eps = 0;
    for (char *line = strtok_r(p.out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[32], verdict[16], a[40], n[40], ae[40], re[40];
        int rr, cc;
        unsigned long long seed;
        if (sscanf(line, "loss %39s", a) == 1) {
            ck_assert_msg(strtod(a, NULL) == rep->loss, "loss %s != %.17g", a, rep->loss);
            seen_loss = 1;
        } else if (sscanf(line, "seed %llu", &seed) == 1) {
            ck_assert_msg(seed == 7, "options.seed %llu, want 7", seed);
            seen_seed = 1;
        } else if (sscanf(line, "eps %39s", a) == 1) {
            ck_assert_msg(strtod(a, NULL) == rep->opts.eps, "eps %s != %.17g", a, rep->opts.eps);
            seen_eps = 1;
        } else {
            ck_assert_msg(sscanf(line, "%31s %d %d %39s %39s %39s %39s %15s", name, &rr, &cc, a, n,
                                 ae, re, verdict) == 8, "unexpected line: %s", line);
            ck_assert_msg(row < rep->nrows, "more JSON rows than the report's %zu", rep->nrows);
            const gc_row *w = &rep->rows[row];
            const char *tname = rep->tensors[w->tensor].name;
            ck_assert_msg(strcmp(name, tname) == 0 && rr == w->row && cc == w->col,
                          "row %zu: JSON %s(%d,%d), report %s(%d,%d)", row, name, rr, cc, tname,
                          w->row, w->col);
            ck_assert_msg(strtod(a, NULL) == w->analytic, "%s[%d][%d] analytic: JSON %s, %.17g",
                          name, rr, cc, a, w->analytic);
            ck_assert_msg(strtod(n, NULL) == w->numeric, "%s[%d][%d] numeric: JSON %s, %.17g",
                          name, rr, cc, n, w->numeric);
            ck_assert_msg(strtod(ae, NULL) == w->abs_err, "%s[%d][%d] abs_err: JSON %s, %.17g",
                          name, rr, cc, ae, w->abs_err);
            ck_assert_msg(strtod(re, NULL) == w->rel_err, "%s[%d][%d] rel_err: JSON %s, %.17g",
                          name, rr, cc, re, w->rel_err);
            ck_assert_str_eq(verdict, gc_verdict_name(w->verdict));
            row++;
        }
    }
    ck_assert_msg(seen_loss && seen_seed && seen_eps, "loss/seed/eps missing from the JSON");
    /* 3-4-2 with --inputs: W1 12 + b1 4 + W2 8 + b2 2 + x 3*3 = 35 elements. */
    ck_assert_msg(row == rep->nrows && row == 35, "JSON has %zu rows, report %zu, want 35", row,
                  rep->nrows);
    gc_report_free(rep);
    gc_net_free(net);
    result_free(&r);
    result_free(&p);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_cli_junit_is_valid_xml)
{
    char dir[256], path[300];
    result r, x;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/report.xml", dir);
    const char *args[] = {"--arch", "2-3-1", "--seed", "4", "--format", "junit", "-o", path, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(r.out_len == 0, "-o but stdout has: %s", r.out);
    const char *argv[] = {"xmllint", "--noout", path, NULL};
    run_prog(dir, "xmllint", argv, &x);
    ck_assert_msg(x.status == 0, "xmllint --noout: exit %d: %s", x.status, x.err);
    char *xml = slurp(path, NULL);
    ck_assert_msg(strstr(xml, "<testcase") != NULL && strstr(xml, "name=\"b2\"") != NULL,
                  "no testcase for b2:\n%s", xml);
    ck_assert_msg(strstr(xml, "name=\"seed\" value=\"4\"") != NULL,
                  "the JUnit properties do not hold the seed:\n%s", xml);
    free(xml);
    result_free(&r);
    result_free(&x);
    tmpdir_remove(dir);
}
END_TEST

/* --output writes exactly what stdout would have shown, replaces an existing
 * file, and leaves no temporary file behind. */
START_TEST(test_cli_output_file_matches_stdout)
{
    char dir[256], path[300];
    result a, b;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/report.txt", dir);
    spit(path, "old contents\n");
    const char *to_stdout[] = {"--arch", "2-2-1", "--seed", "9", "--format", "text", NULL};
    const char *to_file[] = {"--arch", "2-2-1", "--seed", "9", "--output", path, NULL};
    run_ok(dir, to_stdout, 0, &a);
    run_ok(dir, to_file, 0, &b);
    ck_assert_msg(b.out_len == 0, "--output but stdout has: %s", b.out);
    size_t len = 0;
    char *file = slurp(path, &len);
    ck_assert_msg(len == a.out_len && memcmp(file, a.out, len) == 0,
                  "--output file differs from stdout:\n%s\n---\n%s", file, a.out);
    ck_assert_int_eq(tmpdir_count(dir), 1);
    free(file);
    result_free(&a);
    result_free(&b);
    tmpdir_remove(dir);
}
END_TEST

/* A failed run leaves an existing --output file exactly as it was. */
START_TEST(test_cli_failed_run_keeps_output_file)
{
    char dir[256], path[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/report.txt", dir);
    spit(path, "previous report\n");
    const char *args[] = {"--arch", "2-2-1", "--param", "W3", "--output", path, NULL};
    run_gc(dir, args, &r);
    ck_assert_msg(r.status == 2 && one_error_line(r.err), "exit %d, stderr %s", r.status, r.err);
    char *file = slurp(path, NULL);
    ck_assert_str_eq(file, "previous report\n");
    ck_assert_int_eq(tmpdir_count(dir), 1);
    free(file);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_cli_same_seed_same_bytes)
{
    char dir[256];
    result a, b, c;
    tmpdir_make(dir, sizeof dir);
    const char *s5[] = {"--arch", "3-3-2", "--act", "gelu,softmax", "--loss", "softmax_ce",
                        "--batch", "2", "--seed", "5", "--format", "json", NULL};
    const char *s6[] = {"--arch", "3-3-2", "--act", "gelu,softmax", "--loss", "softmax_ce",
                        "--batch", "2", "--seed", "6", "--format", "json", NULL};
    run_ok(dir, s5, 0, &a);
    run_ok(dir, s5, 0, &b);
    run_ok(dir, s6, 0, &c);
    ck_assert_msg(a.out_len > 0 && a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0,
                  "seed 5 twice gave different output");
    ck_assert_msg(a.out_len != c.out_len || memcmp(a.out, c.out, a.out_len) != 0,
                  "seeds 5 and 6 gave the same output");
    result_free(&a);
    result_free(&b);
    result_free(&c);
    tmpdir_remove(dir);
}
END_TEST

/* A band of 0 (rtol 0, atol 0) is narrower than any finite difference's
 * error bound: no element can be confirmed, and a correct gradient is never
 * refuted: exit 3, every element undecided.  (Exit 1 for a refuted
 * gradient: the broken plugin, check_cli_layer.c.) */
START_TEST(test_cli_undecided_exits_3)
{
    char dir[256];
    result a, q;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--arch", "2-2-1", "--rtol", "0", "--atol", "0", NULL};
    const char *quiet[] = {"--arch", "2-2-1", "--rtol", "0", "--atol", "0", "--quiet", NULL};
    run_ok(dir, args, 3, &a);
    ck_assert_msg(strstr(a.out, "undecided") != NULL, "exit 3 but no undecided in:\n%s", a.out);
    ck_assert_msg(strstr(a.out, " 0 fail") != NULL, "a fail in:\n%s", a.out);
    run_ok(dir, quiet, 3, &q);
    ck_assert_msg(q.out_len == 0, "--quiet but stdout has: %s", q.out);
    result_free(&a);
    result_free(&q);
    tmpdir_remove(dir);
}
END_TEST

static const char *const all_flags[] = {
    "--net", "--arch", "--act", "--loss", "--batch", "--seed", "--init", "--method", "--eps",
    "--rtol", "--atol", "--param", "--inputs", "--sample", "--strict-kinks", "--allow-vacuous",
    "--adaptive",
    "--engine", "--threads", "--screen", "--format", "--output", "--quiet", "--help",
    "--version"};

START_TEST(test_cli_help_and_version)
{
    char dir[256];
    result h, v, s;
    tmpdir_make(dir, sizeof dir);
    const char *help[] = {"--help", NULL};
    const char *version[] = {"--version", NULL};
    const char *shorts[] = {"-V", NULL};
    const char *short_help[] = {"-h", NULL};
    run_ok(dir, help, 0, &h);
    for (size_t i = 0; i < sizeof all_flags / sizeof all_flags[0]; i++) {
        char want[40];
        snprintf(want, sizeof want, "  %s ", all_flags[i]);
        if (strstr(h.out, want) == NULL)
            snprintf(want, sizeof want, ", %s ", all_flags[i]);
        ck_assert_msg(strstr(h.out, want) != NULL, "--help does not list %s", all_flags[i]);
    }
    /* the defaults, as gc_check_opts_init and the method's default eps say */
    ck_assert_msg(strstr(h.out, "[1e-5]") && strstr(h.out, "[1e-8]") && strstr(h.out, "[1e-6;"),
                  "--help lacks the default tolerances:\n%s", h.out);
    ck_assert_msg(strstr(h.out, "Exit status: 0") != NULL, "--help lacks the exit status");
    run_ok(dir, version, 0, &v);
    ck_assert_str_eq(v.out, "gradcheck " GC_VERSION "\n");
    run_ok(dir, shorts, 0, &s);
    ck_assert_str_eq(s.out, v.out);
    result_free(&s);
    run_ok(dir, short_help, 0, &s);
    ck_assert_str_eq(s.out, h.out);
    result_free(&h);
    result_free(&v);
    result_free(&s);
    tmpdir_remove(dir);
}
END_TEST

/* Every flag accepted with a good value, and its effect visible in the JSON
 * report (python3 evaluates `expr` over it; NULL: only the exit status). */
static const struct {
    const char *args[MAX_ARGS];
    int status;
    const char *expr, *want;
} accepted[] = {
    {{"--method", "forward"}, 0, "d['options']['method']", "forward"},
    {{"--method", "richardson"}, 0, "d['options']['method']", "richardson"},
    {{"--method", "central", "--eps", "1e-5"}, 0, "repr(d['options']['eps'])", "1e-05"},
    {{"--rtol", "1e-4", "--atol", "0"}, 0, "(d['options']['rtol'], d['options']['atol'])", "(0.0001, 0.0)"},
    {{"--init", "he"}, 0, "d['verdict']", "pass"},
    {{"--init", "uniform"}, 0, "d['verdict']", "pass"},
    {{"--seed", "9223372036854775807"}, 0, "d['options']['seed']", "9223372036854775807"},
    {{"--param", "W1", "--param", "b2", "--param", "W1"}, 0, "[t['name'] for t in d['tensors']]", "['W1', 'b2']"},
    {{"--inputs"}, 0, "[t['name'] for t in d['tensors']][-1]", "x"},
    {{"--param", "x"}, 0, "[t['name'] for t in d['tensors']]", "['x']"},
    {{"--sample", "1"}, 0, "[t['checked'] for t in d['tensors']]", "[1, 1, 1, 1]"},
    {{"--strict-kinks"}, 0, "d['options']['strict_kinks']", "True"},
    {{"--adaptive"}, 0, "d['options']['adaptive']", "True"},
    {{"--engine", "reference"}, 0, "d['options']['engine']", "reference"},
    {{"--engine", "fast", "--threads", "2", "--screen"}, 0, "d['verdict']", "pass"},
    {{"--batch", "4", "--inputs", "--param", "x"}, 0, "d['tensors'][0]['cols']", "4"},
    {{"--act", "relu,softmax", "--loss", "softmax_ce"}, 0, "d['verdict']", "pass"},
    {{"--act", "tanh,identity", "--loss", "mse"}, 0, "d['verdict']", "pass"},
    {{"--act", "softplus,identity", "--loss", "bce_logits"}, 0, "d['verdict']", "pass"},
};

START_TEST(test_cli_flags_accepted)
{
    char dir[256], path[300];
    const char *args[MAX_ARGS + 8];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    int n = 0;
    args[n++] = "--arch";
    args[n++] = "2-2-2";
    args[n++] = "--format";
    args[n++] = "json";
    args[n++] = "-o";
    args[n++] = path;
    for (int i = 0; accepted[_i].args[i] != NULL; i++)
        args[n++] = accepted[_i].args[i];
    args[n] = NULL;
    run_ok(dir, args, accepted[_i].status, &r);
    /* a failure names the row by Check's loop index and the expression */
    json_eq(dir, path, accepted[_i].expr, accepted[_i].want);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* -q, which keeps no passing row, exits with the status of the same check
 * written out in full (--format json -o FILE keeps every row), and prints
 * nothing: confirmed, undecided (a tolerance below the rounding), refuted
 * (kinks under --strict-kinks at a wide step), on one and two threads, and
 * a plugin layer with a planted bug. */
START_TEST(test_cli_quiet_status_is_the_whole_checks)
{
    char dir[256], out[300], plugin[512];
    tmpdir_make(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/r.json", dir);
    beside_bin(plugin, sizeof plugin, "fixtures/liblayermutants.so:grad_assign_plugin");
    static const struct {
        int want;
        const char *args[16];
    } cases[] = {
        {0, {"--arch", "5-4-3", "--act", "tanh,identity", "--loss", "softmax_ce", "--batch", "2",
             "--seed", "5"}},
        {3, {"--arch", "5-4-3", "--act", "tanh,identity", "--loss", "softmax_ce", "--batch", "2",
             "--seed", "5", "--rtol", "1e-13", "--atol", "0"}},
        {3, {"--arch", "5-4-3", "--act", "tanh,identity", "--loss", "softmax_ce", "--threads",
             "2", "--inputs", "--rtol", "1e-13", "--atol", "0"}},
        {1, {"--arch", "6-5-2", "--act", "relu,identity", "--loss", "mse", "--batch", "3",
             "--seed", "2", "--strict-kinks", "--eps", "0.3"}},
        {1, {"--layer", "@plugin", "--in", "3", "--out", "2"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *args[CLI_RUN_MAX_ARGS];
        int n = 0;
        for (; cases[c].args[n] != NULL; n++)
            args[n] = strcmp(cases[c].args[n], "@plugin") == 0 ? plugin : cases[c].args[n];
        args[n] = "-q";
        args[n + 1] = NULL;
        result q, w;
        run_ok(dir, args, cases[c].want, &q);
        ck_assert_msg(q.out_len == 0, "case %zu: -q but stdout has: %s", c, q.out);
        args[n] = "--format";
        args[n + 1] = "json";
        args[n + 2] = "-o";
        args[n + 3] = out;
        args[n + 4] = NULL;
        run_ok(dir, args, cases[c].want, &w);
        result_free(&q);
        result_free(&w);
        unlink(out);
    }
    tmpdir_remove(dir);
}
END_TEST

/* A network file: the docs/DESIGN.md §6 example, with the second layer's W
 * and b drawn from the seed. */
START_TEST(test_cli_net_file)
{
    char dir[256], net[300];
    result a, b;
    tmpdir_make(dir, sizeof dir);
    snprintf(net, sizeof net, "%s/net.json", dir);
    spit(net, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 2, \"W\": [[0.1, 0.2], "
              "[0.3, 0.4]], \"b\": [0.0, 0.1]}, {\"type\": \"sigmoid\"}, {\"type\": \"dense\", "
              "\"in\": 2, \"out\": 1}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", "
              "\"x\": [[0.5, 0.7]], \"y\": [[1]]}\n");
    const char *args[] = {"--net", net, "--seed", "3", "--init", "xavier", "-q", NULL};
    const char *text[] = {"--net", net, "--seed", "3", NULL};
    run_ok(dir, args, 0, &a);
    ck_assert_msg(a.out_len == 0, "-q but stdout has: %s", a.out);
    run_ok(dir, text, 0, &b);
    ck_assert_msg(has_table_row(b.out, "W2", "1x2"), "no W2 row in:\n%s", b.out);
    result_free(&a);
    result_free(&b);
    tmpdir_remove(dir);
}
END_TEST

/* ---- the progress callback the command's bar is drawn from ---------------- */

typedef struct progress_log {
    size_t calls, last_done, total;
    int ordered; /* every call had done == previous + 1 and the same total */
} progress_log;

static void log_progress(void *ctx, size_t done, size_t total)
{
    progress_log *p = ctx;
    if (done != p->last_done + 1 || (p->calls > 0 && total != p->total))
        p->ordered = 0;
    p->calls++;
    p->last_done = done;
    p->total = total;
}

START_TEST(test_cli_progress_callback_counts_every_element)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_arch_seed_rng(&rng, 2);
    gc_net *net = gc_net_from_arch("3-4-2", "tanh,sigmoid", "bce", 2, GC_INIT_XAVIER, &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_check_opts o;
    gc_check_opts_init(&o);
    ck_assert_msg(o.progress == NULL, "gc_check_opts_init leaves a progress callback set");
    progress_log log = {0, 0, 0, 1};
    o.progress = log_progress;
    o.progress_ctx = &log;
    o.inputs = 1;
    gc_report *rep = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &rep, &err), GC_OK);
    /* W1 12 + b1 4 + W2 8 + b2 2 + x 3*2 = 32 elements, one call each. */
    ck_assert_msg(log.calls == 32 && log.total == 32 && log.last_done == 32 && log.ordered,
                  "%zu calls, last %zu/%zu, ordered %d; want 32 calls 1..32 of 32", log.calls,
                  log.last_done, log.total, log.ordered);
    ck_assert_uint_eq(rep->nrows, 32);
    ck_assert_msg(rep->opts.progress == NULL && rep->opts.progress_ctx == NULL,
                  "the report keeps the caller's callback");
    gc_report_free(rep);
    gc_net_free(net);
}
END_TEST

/* Exit status of `gradcheck ARG` with stdout on /dev/full (every write
 * fails with ENOSPC) and stderr discarded. */
static int gc_status_on_full_stdout(const char *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open("/dev/full", O_WRONLY), err = open("/dev/null", O_WRONLY);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        execl(gc_bin(), "gradcheck", arg, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* --help and --version print and exit 0 -- unless the printing failed:
 * then, like a report that could not be written, exit 2 (coreutils'
 * close_stdout rule: a help text lost to a full disk is an error). */
START_TEST(test_cli_help_and_version_fail_on_a_failed_write)
{
    ck_assert_int_eq(gc_status_on_full_stdout("--help"), 2);
    ck_assert_int_eq(gc_status_on_full_stdout("--version"), 2);
}
END_TEST

Suite *make_cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("bad_input");
    tcase_add_loop_test(tc, test_cli_bad_input_table, 0, NBAD);
    suite_add_tcase(s, tc);

    tc = tcase_create("good_runs");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cli_text_names_every_tensor);
    tcase_add_test(tc, test_cli_json_round_trips_every_number);
    tcase_add_test(tc, test_cli_junit_is_valid_xml);
    tcase_add_test(tc, test_cli_output_file_matches_stdout);
    tcase_add_test(tc, test_cli_failed_run_keeps_output_file);
    tcase_add_test(tc, test_cli_same_seed_same_bytes);
    tcase_add_test(tc, test_cli_undecided_exits_3);
    tcase_add_test(tc, test_cli_help_and_version);
    tcase_add_loop_test(tc, test_cli_flags_accepted, 0,
                        (int)(sizeof accepted / sizeof accepted[0]));
    tcase_add_test(tc, test_cli_net_file);
    tcase_add_test(tc, test_cli_quiet_status_is_the_whole_checks);
    tcase_add_test(tc, test_cli_progress_callback_counts_every_element);
    tcase_add_test(tc, test_cli_help_and_version_fail_on_a_failed_write);
    suite_add_tcase(s, tc);
    return s;
}
