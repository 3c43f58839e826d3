/*
 * check_cli_layer.c -- `gradcheck --layer`, driven as a user drives it (the
 * built binary, env GC_BIN, through checks/cli_run.h): a layer plugin built
 * from examples/ is loaded with dlopen and checked from one command, a
 * plugin with a planted bug exits 1 naming the tensor and the element, the
 * built-in layers check by name, and every misuse (no such file, no such
 * symbol, a factory that returns NULL or the wrong shape, conflicting flags)
 * exits 2 with one line on stderr and nothing on stdout.  A plugin's check
 * runs in a child process: a crash, an abort or an endless loop in any of
 * its calls is exit 2 and one line naming the call, an --output file is
 * left as it was, and --no-fork runs it in the command's own process.
 *
 * The plugins are found beside the binary: GC_BIN's directory holds
 * examples/libswish.so, examples/libscale.so (make all) and
 * checks/plugins/libbroken.so (make check), in build/ as in build/san/.
 */
#include <check.h>
#include <gradcheck.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"

/* "DIR/examples/libNAME.so:SYMBOL" and the like. */
static const char *spec(char *buf, size_t size, const char *rel, const char *symbol)
{
    char path[512];
    snprintf(buf, size, "%s:%s", beside_bin(path, sizeof path, rel), symbol);
    return buf;
}

/* ---- plugins ---------------------------------------------------------------- */

/* swish has no parameters: the report is the input x alone, every element
 * within tolerance (swish is smooth, central's error ~1e-10 << rtol). */
START_TEST(test_layer_swish_plugin)
{
    char dir[256], sp[600];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--layer", spec(sp, sizeof sp, "examples/libswish.so", "swish_plugin"),
                          "--in", "4", "--batch", "3", NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(has_table_row(r.out, "x", "4x3"), "no x 4x3 row in:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "verdict: PASS") != NULL, "no PASS in:\n%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* scale's parameters keep the names the plugin gave them (s, c: base
 * names, no network to number them), then x; all pass; the JSON report
 * written with -o parses; --width is --in and --out. */
START_TEST(test_layer_scale_plugin)
{
    char dir[256], sp[600], path[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *args[] = {"--layer", spec(sp, sizeof sp, "examples/libscale.so", "scale_plugin"),
                          "--width", "3", "--batch", "2", "--seed", "5", "--format", "json",
                          "-o", path, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(r.out_len == 0, "-o but stdout has: %s", r.out);
    json_eq(dir, path, "[(t['name'], t['rows'], t['cols'], t['fail']) for t in d['tensors']]",
            "[('s', 3, 1, 0), ('c', 3, 1, 0), ('x', 3, 2, 0)]");
    json_eq(dir, path, "(d['verdict'], d['options']['engine'], d['options']['seed'])",
            "('pass', 'reference', 5)");
    /* s and c drawn from the seed, not the identity: no tensor vacuous. */
    json_eq(dir, path, "d['totals']['vacuous']", "0");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* The planted off-by-one (checks/plugins/broken.c) leaves ds of the last
 * unit at 0 while dL/ds[3] = Σ_b R[3][b] X[3][b] is not: exactly one fail,
 * at s (3,0), with rel_err 1 (|0 - n| / |n|); c, x and s[0..2] pass. */
START_TEST(test_layer_broken_plugin_fails)
{
    char dir[256], sp[600], path[300];
    result r, t;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    spec(sp, sizeof sp, "checks/plugins/libbroken.so", "broken_offbyone_plugin");
    const char *json[] = {"--layer", sp, "--in", "4", "--batch", "3", "--format", "json", "-o",
                          path, NULL};
    const char *text[] = {"--layer", sp, "--in", "4", "--batch", "3", NULL};
    run_ok(dir, json, 1, &r);
    json_eq(dir, path, "[(x['tensor'], x['row'], x['col'], x['rel_err']) for x in d['rows'] "
                       "if x['verdict'] != 'pass']",
            "[('s', 3, 0, 1.0)]");
    json_eq(dir, path, "[(t['name'], t['pass'], t['fail']) for t in d['tensors']]",
            "[('s', 3, 1), ('c', 4, 0), ('x', 12, 0)]");
    /* the text report names the tensor and the element on a fail row */
    run_ok(dir, text, 1, &t);
    const char *row = strstr(t.out, "\ns       (3,0)");
    ck_assert_msg(row != NULL, "no row for s (3,0) in:\n%s", t.out);
    const char *eol = strchr(row + 1, '\n');
    const char *fail = strstr(row, " fail ");
    ck_assert_msg(fail != NULL && (eol == NULL || fail < eol), "s (3,0) is not a fail in:\n%s",
                  t.out);
    ck_assert_msg(strstr(t.out, "verdict: FAIL") != NULL, "no FAIL verdict in:\n%s", t.out);
    result_free(&r);
    result_free(&t);
    tmpdir_remove(dir);
}
END_TEST

/* The same command line twice gives the same bytes (parameters from the
 * factory's rng, X and R from the check's seed); another seed, another
 * report. */
START_TEST(test_layer_seed_repeats)
{
    char dir[256], sp[600];
    result a, b, c;
    tmpdir_make(dir, sizeof dir);
    spec(sp, sizeof sp, "examples/libscale.so", "scale_plugin");
    const char *s7[] = {"--layer", sp, "--in", "5", "--batch", "2", "--seed", "7", NULL};
    const char *s8[] = {"--layer", sp, "--in", "5", "--batch", "2", "--seed", "8", NULL};
    run_ok(dir, s7, 0, &a);
    run_ok(dir, s7, 0, &b);
    run_ok(dir, s8, 0, &c);
    ck_assert_msg(a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0,
                  "seed 7 twice differs:\n%s\n---\n%s", a.out, b.out);
    ck_assert_msg(strcmp(a.out, c.out) != 0, "seeds 7 and 8 gave the same report");
    result_free(&a);
    result_free(&b);
    result_free(&c);
    tmpdir_remove(dir);
}
END_TEST

/* ---- built-in layers ------------------------------------------------------- */

/* Every activation by its name: x alone, each element pass or kink (relu,
 * leaky_relu and elu have kinks at 0; a kink is not a failure), exit 0. */
START_TEST(test_layer_builtin_activation)
{
    char dir[256], path[300];
    result r;
    const char *name = gc_act_name((gc_act)_i);
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *args[] = {"--layer", name, "--in", "3", "--batch", "2", "--format", "json",
                          "-o", path, NULL};
    run_ok(dir, args, 0, &r);
    json_eq(dir, path, "[(t['name'], t['rows'], t['cols'], t['fail']) for t in d['tensors']]",
            "[('x', 3, 2, 0)]");
    json_eq(dir, path, "all(x['verdict'] in ('pass', 'kink') for x in d['rows'])", "True");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* dense 3 -> 2: W (2x3), b (2x1) drawn per --init, then x; all pass (dense
 * is linear in each of them: central differences are exact up to
 * roundoff).  --param selects among the base names. */
START_TEST(test_layer_builtin_dense)
{
    char dir[256], path[300];
    result r, q;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *args[] = {"--layer", "dense", "--in", "3", "--out", "2", "--batch", "2",
                          "--init", "xavier", "--format", "json", "-o", path, NULL};
    run_ok(dir, args, 0, &r);
    json_eq(dir, path, "[(t['name'], t['rows'], t['cols'], t['fail']) for t in d['tensors']]",
            "[('W', 2, 3, 0), ('b', 2, 1, 0), ('x', 3, 2, 0)]");
    json_eq(dir, path, "d['verdict']", "pass");
    const char *sel[] = {"--layer", "dense", "--in", "3", "--out", "2", "--param", "W",
                         "--format", "json", "-o", path, NULL};
    run_ok(dir, sel, 0, &q);
    json_eq(dir, path, "[t['name'] for t in d['tensors']]", "['W']");
    result_free(&r);
    result_free(&q);
    tmpdir_remove(dir);
}
END_TEST

/* ---- misuse: exit 2, one line, nothing on stdout ---------------------------- */

/* "@EX/": GC_BIN's directory; "@DIR/": the test's temporary directory. */
static const struct {
    const char *args[CLI_RUN_MAX_ARGS];
    const char *want; /* substring of the stderr line */
} bad[] = {
    {{"--layer", "@DIR/nope.so:f", "--in", "4"}, "nope.so: cannot open shared object file"},
    {{"--layer", "@DIR/notelf.so:f", "--in", "4"}, "gradcheck: --layer: "},
    /* no '/': the current directory, never the library search path */
    {{"--layer", "libswish.so:swish_plugin", "--in", "4"},
     "gradcheck: --layer: ./libswish.so: cannot open shared object file"},
    {{"--layer", "@EX/examples/libswish.so:swish_neww", "--in", "4"},
     "examples/libswish.so: no symbol 'swish_neww'"},
    {{"--layer", "@EX/examples/libswish.so:swish_plugin", "--in", "4", "--out", "3"},
     "gradcheck: --layer: factory returned NULL for in=4 out=3"},
    {{"--layer", "@EX/checks/plugins/libbroken.so:broken_shape_plugin", "--in", "4", "--out", "2"},
     "gradcheck: --layer: factory returned a 4 -> 4 layer for in=4 out=2"},
    {{"--layer", "@EX/examples/libswish.so", "--in", "4"},
     "libswish.so: name the factory too, as LIB.so:FACTORY"},
    {{"--layer", "@EX/examples/libswish.so:", "--in", "4"}, "--layer: expected LIB.so:FACTORY, got '"},
    {{"--layer", ":swish_plugin", "--in", "4"}, "--layer: expected LIB.so:FACTORY, got ':swish_plugin'"},
    {{"--layer", "", "--in", "4"}, "--layer: expected a layer name or LIB.so:FACTORY, got ''"},
    {{"--layer", "swish", "--in", "4"}, "--layer: unknown layer 'swish' (expected dense, identity, sigmoid"},
    {{"--layer", "relu", "--in", "4", "--out", "3"}, "--layer: relu maps n -> n: --out must equal --in (4), got 3"},
    {{"--layer", "relu"}, "--layer: give the layer's input width, --in N"},
    {{"--layer", "relu", "--out", "3"}, "--layer: give the layer's input width, --in N"},
    {{"--layer", "relu", "--in", "0"}, "--in: expected an integer from 1 to 1000000, got '0'"},
    {{"--layer", "dense", "--in", "2", "--out", "x"}, "--out: expected an integer from 1 to 1000000, got 'x'"},
    {{"--layer", "relu", "--width", "2", "--in", "2"}, "--width: sets both --in and --out"},
    {{"--layer", "relu", "--in", "2", "--arch", "2-1"}, "gradcheck: --layer and --arch: check one layer or one network, not both"},
    {{"--layer", "relu", "--in", "2", "--net", "@DIR/net.json"}, "gradcheck: --layer and --net: "},
    {{"--arch", "2-1", "--in", "2"}, "gradcheck: --in: applies to --layer only"},
    {{"--arch", "2-1", "--width", "2"}, "gradcheck: --width: applies to --layer only"},
    {{"--layer", "relu", "--in", "2", "--act", "tanh"}, "gradcheck: --act: applies to --arch only"},
    {{"--layer", "relu", "--in", "2", "--loss", "mse"}, "gradcheck: --loss: applies to --arch and --net only"},
    {{"--layer", "relu", "--in", "2", "--engine", "fast"}, "gradcheck: --engine: a layer check always runs the reference engine"},
    {{"--layer", "relu", "--in", "2", "--threads", "2"}, "gradcheck: --threads: applies to the fast engine"},
    {{"--layer", "relu", "--in", "2", "--screen"}, "gradcheck: --screen: applies to the fast engine"},
    {{"--layer", "@EX/examples/libscale.so:scale_plugin", "--in", "2", "--init", "he"},
     "gradcheck: --init: applies to built-in layers only"},
    {{"--layer", "dense", "--in", "2", "--param", "W1"}, "--param: no tensor 'W1' in this layer (it has W b x)"},
    {{"--arch", "2-1", "--no-fork"},
     "gradcheck: --no-fork: applies to --layer LIB.so:FACTORY and --net only (plugins)"},
    {{"--layer", "relu", "--in", "2", "--plugin-timeout", "3"},
     "gradcheck: --plugin-timeout: applies to --layer LIB.so:FACTORY and --net only (plugins)"},
    {{"--layer", "@EX/examples/libscale.so:scale_plugin", "--in", "2", "--plugin-timeout", "-1"},
     "gradcheck: --plugin-timeout: expected an integer from 0 to 86400, got '-1'"},
    /* the temporary output file, made before the layer, is removed again */
    {{"--layer", "@DIR/nope.so:f", "--in", "4", "--output", "@DIR/r.txt"}, "nope.so: cannot open"},
};

#define NBAD ((int)(sizeof bad / sizeof bad[0]))

START_TEST(test_layer_bad_input)
{
    char dir[256], subst[CLI_RUN_MAX_ARGS][700], path[300];
    const char *args[CLI_RUN_MAX_ARGS + 1];
    result r;
    tmpdir_make(dir, sizeof dir);
    /* not a shared object, but a file: dlopen's own message */
    snprintf(path, sizeof path, "%s/notelf.so", dir);
    spit(path, "not an ELF file\n");
    int n = 0;
    for (; bad[_i].args[n] != NULL; n++) {
        const char *a = bad[_i].args[n];
        if (strncmp(a, "@EX/", 4) == 0)
            args[n] = beside_bin(subst[n], sizeof subst[n], a + 4);
        else if (strncmp(a, "@DIR/", 5) == 0) {
            snprintf(subst[n], sizeof subst[n], "%s/%s", dir, a + 5);
            args[n] = subst[n];
        } else
            args[n] = a;
    }
    args[n] = NULL;
    run_gc(dir, args, &r);
    assert_rejected(&r, args, bad[_i].want, _i);
    /* nothing left behind but the planted file */
    ck_assert_msg(tmpdir_count(dir) == 1, "row %d: %d stray files in %s", _i,
                  tmpdir_count(dir) - 1, dir);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* --help documents the layer flags. */
START_TEST(test_layer_help)
{
    static const char *const flags[] = {"--layer", "--in", "--out", "--width"};
    char dir[256];
    result h;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--help", NULL};
    run_ok(dir, args, 0, &h);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char want[40];
        snprintf(want, sizeof want, "  %s ", flags[i]);
        ck_assert_msg(strstr(h.out, want) != NULL, "--help does not list %s", flags[i]);
    }
    ck_assert_msg(strstr(h.out, "gc_layer *FACTORY(int in, int out, gc_pcg32 *rng)") != NULL,
                  "--help does not state the factory's signature");
    result_free(&h);
    tmpdir_remove(dir);
}
END_TEST

/* ---- faults contained ---------------------------------------------------- */

/* Plugins of checks/plugins/broken.c that crash, hang or break what they
 * declare; each run must end with exit 2, nothing on stdout and one line.
 * want is a format of the two numbers the limit on parameters gives (one
 * past it, and it).  Where the line may name any call and signal (a tensor
 * claiming more rows than it has is read past its end by whoever comes
 * first, and under AddressSanitizer the read is caught as an abort). */
static const struct {
    const char *symbol;
    const char *extra[4];
    const char *want;
} contained[] = {
    {"broken_overclaim_plugin", {NULL}, "gradcheck: --layer: plugin crashed in "},
    {"broken_segv_backward_plugin", {NULL}, "gradcheck: --layer: plugin crashed in backward: SIGSEGV"},
    {"broken_abort_forward_plugin", {NULL}, "gradcheck: --layer: plugin crashed in forward: SIGABRT"},
    {"broken_segv_factory_plugin", {NULL}, "gradcheck: --layer: plugin crashed in the factory: SIGSEGV"},
    {"broken_loop_backward_plugin", {"--plugin-timeout", "1"},
     "gradcheck: --layer: plugin timed out in backward after 1 s (--plugin-timeout)"},
    {"broken_toomany_plugin", {NULL}, "--layer: factory returned a layer with %d parameters (0 to %d)"},
    /* in the command's process: under make sanitize a leak of the four
     * parameters it did add fails the run */
    {"broken_toomany_plugin", {"--no-fork"},
     "--layer: factory returned a layer with %d parameters (0 to %d)"},
    {"broken_affine_plugin", {"--out", "2"},
     "--layer: factory returned an affine layer (GC_CAP_AFFINE) whose parameters are not "
     "W (2 x 3) and b (2 x 1)"},
    {"broken_elementwise_plugin", {NULL},
     "--layer: factory returned an elementwise layer (GC_CAP_ELEMENTWISE) with in=3 out=3 and "
     "2 parameters"},
};

#define NCONTAINED ((int)(sizeof contained / sizeof contained[0]))

START_TEST(test_layer_faults_contained)
{
    char dir[256], sp[600], path[300];
    const char *args[16];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    spit(path, "old report\n");
    int n = 0;
    args[n++] = "--layer";
    args[n++] = spec(sp, sizeof sp, "checks/plugins/libbroken.so", contained[_i].symbol);
    args[n++] = "--in";
    args[n++] = "3";
    for (int k = 0; k < 4 && contained[_i].extra[k] != NULL; k++)
        args[n++] = contained[_i].extra[k];
    args[n++] = "-o";
    args[n++] = path;
    args[n] = NULL;
    run_gc_crashing(dir, args, &r);
    char want[512]; /* "%d": the parameter limit, one past it */
    snprintf(want, sizeof want, contained[_i].want, GC_LAYER_MAX_PARAMS + 1, GC_LAYER_MAX_PARAMS);
    assert_rejected(&r, args, want, _i);
    assert_output_kept(dir, path, "old report\n", _i);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* --no-fork runs the plugin in the command's own process: the same report,
 * byte for byte, from a good plugin, and a crash in it is the command's
 * (killed by SIGSEGV, status 128 + 11), which is what gdb wants to see. */
START_TEST(test_layer_no_fork)
{
    char dir[256], sp[600], bad[600];
    result a, b, c;
    tmpdir_make(dir, sizeof dir);
    spec(sp, sizeof sp, "examples/libscale.so", "scale_plugin");
    const char *forked[] = {"--layer", sp, "--in", "3", "--format", "json", NULL};
    const char *here[] = {"--layer", sp, "--in", "3", "--format", "json", "--no-fork", NULL};
    run_ok(dir, forked, 0, &a);
    run_ok(dir, here, 0, &b);
    ck_assert_msg(a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0,
                  "--no-fork changed the report:\n%s\n---\n%s", a.out, b.out);
    spec(bad, sizeof bad, "checks/plugins/libbroken.so", "broken_segv_backward_plugin");
    const char *crash[] = {"--layer", bad, "--in", "3", "--no-fork", NULL};
    run_gc_crashing(dir, crash, &c);
    ck_assert_msg(c.status == 128 + 11, "--no-fork crash: exit %d, want 139; stderr: %s",
                  c.status, c.err);
    result_free(&a);
    result_free(&b);
    result_free(&c);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_cli_layer_suite(void)
{
    Suite *s = suite_create("cli_layer");
    TCase *tc = tcase_create("layer");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layer_swish_plugin);
    tcase_add_test(tc, test_layer_scale_plugin);
    tcase_add_test(tc, test_layer_broken_plugin_fails);
    tcase_add_test(tc, test_layer_seed_repeats);
    tcase_add_loop_test(tc, test_layer_builtin_activation, 0, GC_ACT_COUNT);
    tcase_add_test(tc, test_layer_builtin_dense);
    tcase_add_loop_test(tc, test_layer_bad_input, 0, NBAD);
    tcase_add_test(tc, test_layer_help);
    tcase_add_loop_test(tc, test_layer_faults_contained, 0, NCONTAINED);
    tcase_add_test(tc, test_layer_no_fork);
    suite_add_tcase(s, tc);
    return s;
}
