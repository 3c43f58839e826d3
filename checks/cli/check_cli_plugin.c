/*
 * check_cli_plugin.c -- plugins with hyper-parameters, as a user runs them:
 * `--layer LIB.so:FACTORY --set T=2,NH=2` (examples/attention_plugin.c, a
 * gc_layer_factory with a workspace), its planted bug refuted, every misuse
 * of --set one line and exit 2, and {"type": "plugin"} layers inside a
 * network file, their library found beside the file, their crashes
 * contained as a --layer plugin's.
 *
 * The attention plugin computes in float unless --set f64=1; its float
 * runs are checked with --precision float32 and nothing else: the correct
 * one passes (exit 0), the planted bug is refuted.
 */
#include <check.h>
#include <gradcheck.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

/* GC_BIN's directory + "/examples/" + name, into buf. */
static const char *example_so(char *buf, size_t size, const char *name)
{
    const char *bin = gc_bin();
    const char *slash = strrchr(bin, '/');
    int dirlen = slash != NULL ? (int)(slash - bin) : 1;
    snprintf(buf, size, "%.*s/examples/%s", dirlen, slash != NULL ? bin : ".", name);
    return buf;
}

static const char *attn(char *buf, size_t size, const char *symbol)
{
    char so[512];
    snprintf(buf, size, "%s:%s", example_so(so, sizeof so, "libattention_plugin.so"), symbol);
    return buf;
}

/* in 24 = T 2 x 3C with C 4, out 8 = T C; the double twin: every element
 * of x within tolerance, reported under the plugin's shape. */
START_TEST(test_plugin_set_passes)
{
    char dir[256], sp[600];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--layer", attn(sp, sizeof sp, "attention_plugin"), "--in", "24",
                          "--out", "8", "--batch", "2", "--set", "T=2,NH=2", "--set", "f64=1",
                          NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(has_table_row(r.out, "x", "24x2"), "no x 24x2 row in:\n%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* The same layer with its largest dX element 1e-3 too large: refuted. */
START_TEST(test_plugin_planted_refuted)
{
    char dir[256], sp[600];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--layer", attn(sp, sizeof sp, "attention_plugin_planted"), "--in",
                          "24", "--out", "8", "--batch", "2", "--set", "T=2,NH=2,f64=1", NULL};
    run_ok(dir, args, 1, &r);
    ck_assert_msg(strstr(r.out, "fail") != NULL, "no fail in:\n%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

typedef struct set_misuse {
    const char *layer; /* "attn" for the attention plugin, else as given */
    const char *set;
    const char *expect;
} set_misuse;

static const set_misuse set_misuses[] = {
    {"attn", "T=2,NHX=2", "NHX: no such hyper-parameter"},
    {"attn", "T=2.5", "T: expected an integer, got 2.5"},
    {"attn", "NH=two", "--set: 'NH=two': expected NAME=NUMBER"},
    {"attn", "=3", "--set: '=3': expected NAME=NUMBER"},
    {"swish", "T=2", "swish_plugin takes no hyper-parameters"},
    {"dense", "T=2", "--set: applies to plugin layers"},
};

START_TEST(test_plugin_set_misuse)
{
    const set_misuse *m = &set_misuses[_i];
    char dir[256], sp[600], so[512];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *layer = strcmp(m->layer, "attn") == 0 ? attn(sp, sizeof sp, "attention_plugin")
                        : strcmp(m->layer, "swish") == 0
                            ? (snprintf(sp, sizeof sp, "%s:swish_plugin",
                                        example_so(so, sizeof so, "libswish.so")),
                               sp)
                            : m->layer;
    const char *args[] = {"--layer", layer, "--in", "24", "--out", "8", "--set", m->set, NULL};
    const char *dense_args[] = {"--layer", layer, "--in", "3", "--set", m->set, NULL};
    const char *swish_args[] = {"--layer", layer, "--in", "3", "--set", m->set, NULL};
    run_gc(dir, strcmp(m->layer, "attn") == 0 ? args
                : strcmp(m->layer, "dense") == 0 ? dense_args : swish_args, &r);
    ck_assert_msg(r.status == 2, "--set %s: exit %d, stderr %s", m->set, r.status, r.err);
    ck_assert_msg(one_error_line(r.err), "not one line: %s", r.err);
    ck_assert_msg(strstr(r.err, m->expect) != NULL, "stderr '%s' lacks '%s'", r.err, m->expect);
    ck_assert_msg(r.out_len == 0, "stdout: %s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A fresh directory in dir with a link name in it to the shared object
 * so, and the path of a network file beside it in net. */
static void net_dir(char *dir, size_t dsize, const char *so, const char *name, char *net,
                    size_t nsize)
{
    char link[300];
    tmpdir_make(dir, dsize);
    snprintf(link, sizeof link, "%s/%s", dir, name);
    ck_assert_int_eq(symlink(so, link), 0);
    snprintf(net, nsize, "%s/net.json", dir);
}

/* A network file with a plugin layer between dense layers: "lib" names a
 * file beside the network file (a link in the test's directory, while the
 * command runs from elsewhere), hyper-parameters are the other keys. */
START_TEST(test_plugin_in_net_file)
{
    char dir[256], so[512], net[300];
    result r;
    net_dir(dir, sizeof dir, example_so(so, sizeof so, "libattention_plugin.so"), "libattn.so",
            net, sizeof net);
    spit(net, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 12},\n"
              "  {\"type\": \"plugin\", \"lib\": \"libattn.so\", \"factory\": \"attention_plugin\",\n"
              "   \"out\": 4, \"T\": 2, \"NH\": 2, \"f64\": 1},\n"
              "  {\"type\": \"dense\", \"in\": 4, \"out\": 1}, {\"type\": \"sigmoid\"}],\n"
              " \"loss\": \"bce\", \"x\": [[0.5, -0.3], [0.1, 0.9]], \"y\": [[1], [0]]}\n");
    const char *args[] = {"--net", net, "--engine", "reference", NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(has_table_row(r.out, "W1", "12x2"), "no W1 12x2 row in:\n%s", r.out);
    ck_assert_msg(has_table_row(r.out, "W2", "1x4"), "no W2 1x4 row in:\n%s", r.out);
    result_free(&r);
    /* the fast engine, whose threads each reserve their own workspace */
    const char *fast[] = {"--net", net, "--engine", "fast", "--threads", "2", NULL};
    run_ok(dir, fast, 0, &r);
    result_free(&r);
    /* a key that is no number, and a library that is not there */
    spit(net, "{\"layers\": [{\"type\": \"plugin\", \"lib\": \"libattn.so\", \"factory\": "
              "\"attention_plugin\", \"T\": \"two\"}], \"loss\": \"mse\", \"x\": [[1, 2, 3, 4, 5, "
              "6]], \"y\": [[1, 2]]}");
    const char *bad[] = {"--net", net, NULL};
    run_gc(dir, bad, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "layers[0].T: expected a number") != NULL, "%s", r.err);
    result_free(&r);
    spit(net, "{\"layers\": [{\"type\": \"plugin\", \"lib\": \"nothere.so\", \"factory\": \"f\"}],"
              " \"loss\": \"mse\", \"x\": [[1]], \"y\": [[1]]}");
    run_gc(dir, bad, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "layers[0]: ") != NULL && one_error_line(r.err), "%s", r.err);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A network file whose plugin layer crashes: its load and check run
 * contained, as a --layer plugin's, so the fault is one line naming the
 * file and the call, exit 2, the -o file as it was and no temporary file
 * left.  The last row spells "plugin" (type and factory) with JSON's \u
 * escapes only, which the command's decision to contain must not miss. */
static const struct {
    const char *type, *factory, *want;
} net_faults[] = {
    {"plugin", "broken_segv_backward_plugin", "/net.json: plugin crashed in the check: SIGSEGV"},
    {"plugin", "broken_abort_forward_plugin", "/net.json: plugin crashed in the check: SIGABRT"},
    {"plugin", "broken_segv_factory_plugin", "/net.json: plugin crashed in the factory: SIGSEGV"},
    {"plu\\u0067in", "broken_segv_backward_pl\\u0075gin",
     "/net.json: plugin crashed in the check: SIGSEGV"},
};

START_TEST(test_plugin_in_net_file_contained)
{
    char dir[256], so[512], net[300], path[300], text[600];
    result r;
    net_dir(dir, sizeof dir, beside_bin(so, sizeof so, "checks/plugins/libbroken.so"), "libb.so",
            net, sizeof net);
    snprintf(text, sizeof text,
             "{\"layers\": [{\"type\": \"dense\", \"in\": 3, \"out\": 3},\n"
             "  {\"type\": \"%s\", \"lib\": \"libb.so\", \"factory\": \"%s\"}],\n"
             " \"loss\": \"mse\", \"x\": [[0.5, -0.3, 0.2]], \"y\": [[1, 0, 0.5]]}\n",
             net_faults[_i].type, net_faults[_i].factory);
    spit(net, text);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    spit(path, "old report\n");
    const char *args[] = {"--net", net, "-o", path, NULL};
    run_gc_crashing(dir, args, &r);
    assert_rejected(&r, args, net_faults[_i].want, _i);
    assert_output_kept(dir, path, "old report\n", _i);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* The command reads a network file in windows of 65,541 bytes, then of
 * 65,536 more with the last 5 kept (cli/contain.c), to find "plugin":
 * here the type's ends the first window and the factory's the second, the
 * only two, and the crash is still contained. */
START_TEST(test_plugin_at_window_ends_contained)
{
    enum { END1 = 65541, END2 = 65541 + 65536 };
    static char text[END2 + 256];
    char dir[256], so[512], net[300];
    net_dir(dir, sizeof dir, beside_bin(so, sizeof so, "checks/plugins/libbroken.so"), "libb.so",
            net, sizeof net);
    const char *head = "{\"layers\": [{\"type\": \"dense\", \"in\": 3, \"out\": 3}, {";
    const char *factory = "\"factory\": \"broken_segv_backward_plugin";
    size_t n = strlen(head);
    memcpy(text, head, n);
    /* "type": "plugin" ending at END1, "factory": "...plugin" at END2 */
    memset(text + n, ' ', END1 - strlen("\"type\": \"plugin") - n);
    n = END1 - strlen("\"type\": \"plugin");
    n += (size_t)sprintf(text + n, "\"type\": \"plugin\", ");
    memset(text + n, ' ', END2 - strlen(factory) - n);
    n = END2 - strlen(factory);
    sprintf(text + n, "%s\", \"lib\": \"libb.so\"}],\n \"loss\": \"mse\", "
                      "\"x\": [[0.5, -0.3, 0.2]], \"y\": [[1, 0, 0.5]]}\n", factory);
    ck_assert(memcmp(text + END1 - 6, "plugin", 6) == 0 && memcmp(text + END2 - 6, "plugin", 6) == 0);
    spit(net, text);
    const char *args[] = {"--net", net, "-q", NULL};
    result r;
    run_gc_crashing(dir, args, &r);
    assert_rejected(&r, args, "/net.json: plugin crashed in the check: SIGSEGV", 0);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* --no-fork applies to a network file with a plugin layer: the same
 * report, byte for byte, as the contained run. */
START_TEST(test_plugin_in_net_file_no_fork)
{
    char dir[256], so[512], net[300];
    result a, b;
    net_dir(dir, sizeof dir, example_so(so, sizeof so, "libattention_plugin.so"), "libattn.so",
            net, sizeof net);
    spit(net, "{\"layers\": [{\"type\": \"plugin\", \"lib\": \"libattn.so\", \"factory\": "
              "\"attention_plugin\", \"out\": 4, \"T\": 2, \"NH\": 2, \"f64\": 1}],\n"
              " \"loss\": \"mse\", \"x\": [[0.5, -0.3, 0.1, 0.9, 0.2, -0.7, 0.4, 0.3, -0.1, "
              "0.6, 0.8, -0.5]], \"y\": [[1, 0, 0.5, -0.5]]}\n");
    const char *forked[] = {"--net", net, "--format", "json", NULL};
    const char *here[] = {"--net", net, "--format", "json", "--no-fork", NULL};
    run_ok(dir, forked, 0, &a);
    run_ok(dir, here, 0, &b);
    ck_assert_msg(a.out_len > 0 && a.out_len == b.out_len && memcmp(a.out, b.out, a.out_len) == 0,
                  "--no-fork changed the report:\n%s\n---\n%s", a.out, b.out);
    result_free(&a);
    result_free(&b);
    tmpdir_remove(dir);
}
END_TEST

/* The float plugin (it declares GC_CAP_FLOAT32) with no flags and with
 * --precision float32 and nothing else, over seeds 1..8: the planted 1e-3
 * bug is refuted (exit 1) and the correct plugin never is (exit 0, or 3
 * when the float roundoff bound leaves an element undecided). */
START_TEST(test_plugin_float32_never_refuted)
{
    char dir[256], sp[600], seed[16];
    result r;
    tmpdir_make(dir, sizeof dir);
    for (int s = 1; s <= 8; s++) {
        snprintf(seed, sizeof seed, "%d", s);
        for (int bug = 0; bug <= 1; bug++) {
            const char *sym = bug ? "attention_plugin_planted" : "attention_plugin";
            const char *plain[] = {"--layer", attn(sp, sizeof sp, sym), "--in", "24", "--out",
                                   "8", "--batch", "2", "--set", "T=2,NH=2", "--seed", seed,
                                   "-q", NULL};
            const char *f32[] = {"--layer", attn(sp, sizeof sp, sym), "--in", "24", "--out",
                                 "8", "--batch", "2", "--set", "T=2,NH=2", "--seed", seed,
                                 "-q", "--precision", "float32", NULL};
            for (int flag = 0; flag <= 1; flag++) {
                run_gc(dir, flag ? f32 : plain, &r);
                if (bug)
                    ck_assert_msg(r.status == 1, "%s seed %d%s: exit %d, want 1", sym, s,
                                  flag ? " --precision float32" : "", r.status);
                else
                    ck_assert_msg(r.status == 0 || r.status == 3, "%s seed %d%s: exit %d",
                                  sym, s, flag ? " --precision float32" : "", r.status);
                result_free(&r);
            }
        }
    }
    tmpdir_remove(dir);
}
END_TEST

/* The float plugin (it declares GC_CAP_FLOAT32) with no flags, and with
 * --precision float32 and nothing else: correct passes (exit 0), the
 * planted 1e-3 bug is refuted. */
START_TEST(test_plugin_float32_verdicts)
{
    char dir[256], sp[600];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *ok[] = {"--layer", attn(sp, sizeof sp, "attention_plugin"), "--in", "24", "--out",
                        "8", "--batch", "2", "--set", "T=2,NH=2", NULL};
    run_ok(dir, ok, 0, &r);
    result_free(&r);
    const char *ok32[] = {"--layer", attn(sp, sizeof sp, "attention_plugin"), "--in", "24",
                          "--out", "8", "--batch", "2", "--set", "T=2,NH=2", "--precision",
                          "float32", NULL};
    run_ok(dir, ok32, 0, &r);
    result_free(&r);
    const char *bad[] = {"--layer", attn(sp, sizeof sp, "attention_plugin_planted"), "--in",
                         "24", "--out", "8", "--batch", "2", "--set", "T=2,NH=2", NULL};
    run_ok(dir, bad, 1, &r);
    result_free(&r);
    const char *bad32[] = {"--layer", attn(sp, sizeof sp, "attention_plugin_planted"), "--in",
                           "24", "--out", "8", "--batch", "2", "--set", "T=2,NH=2",
                           "--precision", "float32", NULL};
    run_ok(dir, bad32, 1, &r);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_cli_plugin_suite(void)
{
    Suite *s = suite_create("cli_plugin");
    TCase *tc = tcase_create("cli_plugin");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_plugin_set_passes);
    tcase_add_test(tc, test_plugin_planted_refuted);
    tcase_add_loop_test(tc, test_plugin_set_misuse, 0,
                        (int)(sizeof set_misuses / sizeof set_misuses[0]));
    tcase_add_test(tc, test_plugin_in_net_file);
    tcase_add_loop_test(tc, test_plugin_in_net_file_contained, 0,
                        (int)(sizeof net_faults / sizeof net_faults[0]));
    tcase_add_test(tc, test_plugin_at_window_ends_contained);
    tcase_add_test(tc, test_plugin_in_net_file_no_fork);
    tcase_add_test(tc, test_plugin_float32_never_refuted);
    tcase_add_test(tc, test_plugin_float32_verdicts);
    suite_add_tcase(s, tc);
    return s;
}
