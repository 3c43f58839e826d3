/*
 * check_teaching.c -- the teaching flags driven as a student drives them
 * (the built binary, env GC_BIN): --explain prints the classic notes' z1,
 * a1, z2, a2, loss, dz2, dW2, db2, dz1, dW1, db1 with numbers that agree
 * with the JSON report of the same network, with the hand-written classic
 * network (examples/classic.c) and with the notes' formulas; --sweep shows
 * the V in every format; --plot writes a valid PNG or SVG, or says in one
 * line that gnuplot is missing; every layer mutant, built as a plugin,
 * fails from the command line.  Numbers are parsed out of the output and
 * compared; the prose is not.
 */
#include <check.h>
#include <gradcheck.h>
#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classic.h"
#include "cli_run.h"
#include "mutant_table.h"
#include "testutil.h"

/* The explain output prints 10 significant digits: each number within
 * 5e-10 relative of the double it shows, so two of them agree to 1e-9. */
#define PRINTED_TOL 1e-9

/* The numbers of the bracketed matrix after `marker` (its first '[' up to
 * the bracket that closes it), in order, into v; returns how many. */
static int values_after(const char *text, const char *marker, double *v, int max)
{
    const char *p = strstr(text, marker);
    ck_assert_msg(p != NULL, "no '%s' in:\n%s", marker, text);
    p = strchr(p + strlen(marker), '[');
    ck_assert_ptr_nonnull(p);
    int depth = 0, n = 0;
    do {
        if (*p == '[')
            depth++, p++;
        else if (*p == ']')
            depth--, p++;
        else if (*p == ',' || *p == ' ')
            p++;
        else {
            char *end;
            double x = strtod(p, &end);
            ck_assert_msg(end != p, "not a number at '%.20s' after '%s'", p, marker);
            ck_assert_int_lt(n, max);
            v[n++] = x;
            p = end;
        }
    } while (depth > 0);
    return n;
}

/* The number after "= " on the line after `marker`'s, or after `key` on a
 * line of its own ("numeric    = 0.0146..."). */
static double number_after(const char *text, const char *marker, const char *key)
{
    const char *p = strstr(text, marker);
    ck_assert_msg(p != NULL, "no '%s' in:\n%s", marker, text);
    p = strstr(p, key);
    ck_assert_ptr_nonnull(p);
    return strtod(p + strlen(key), NULL);
}

static void assert_close(const char *what, double got, double want, double tol)
{
    ck_assert_msg(tu_rel_err(got, want) <= tol || fabs(got - want) <= 1e-15,
                  "%s: printed %.17g, want %.17g (rel %.2e)", what, got, want,
                  tu_rel_err(got, want));
}

static const char *const classic_args[] = {"--arch", "2-2-1", "--act", "sigmoid", "--loss",
                                           "bce", "--seed", "1"};
#define NCLASSIC 8

/* classic_args + more, NULL-terminated, into args. */
static const char **with(const char **args, const char *const *more)
{
    int n = 0;
    for (; n < NCLASSIC; n++)
        args[n] = classic_args[n];
    for (int i = 0; more[i] != NULL; i++)
        args[n++] = more[i];
    args[n] = NULL;
    return args;
}

static json_t *load_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "not JSON (%s):\n%s", e.text, text);
    return j;
}

/* The JSON report's analytic value of tensor[row,col]. */
static double json_analytic(json_t *rep, const char *key, const char *tensor, int row, int col)
{
    json_t *rows = json_object_get(rep, "rows");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        if (strcmp(json_string_value(json_object_get(r, "tensor")), tensor) == 0 &&
            json_integer_value(json_object_get(r, "row")) == row &&
            json_integer_value(json_object_get(r, "col")) == col)
            return json_number_value(json_object_get(r, key));
    }
    ck_abort_msg("no row %s(%d,%d) in the JSON report", tensor, row, col);
    return NAN;
}

/* ---- --explain ------------------------------------------------------------ */

/*
 * The Done-when command: every gradient the walkthrough prints (dW1, db1,
 * dW2, db2) is the JSON report's analytic value of the same command line,
 * the loss is its loss, and the worked element's quotient is the reference
 * engine's numeric to the last bit (both print 17 digits).
 */
START_TEST(test_explain_agrees_with_json)
{
    char dir[256];
    const char *args[24];
    result ex, js;
    tmpdir_make(dir, sizeof dir);
    run_ok(dir, with(args, (const char *const[]){"--explain", NULL}), 0, &ex);
    run_ok(dir, with(args, (const char *const[]){"--format", "json", "--engine", "reference",
                                                 NULL}), 0, &js);
    json_t *rep = load_json(js.out);
    assert_close("loss", number_after(ex.out, "L = −(y log a2", "\n      = "),
                 json_number_value(json_object_get(rep, "loss")), PRINTED_TOL);
    static const struct {
        const char *marker, *tensor;
        int rows, cols;
    } grads[] = {{"dW2 = dz2 a1ᵀ", "W2", 1, 2}, {"db2 = dz2", "b2", 1, 1},
                 {"dW1 = dz1 xᵀ", "W1", 2, 2}, {"db1 = dz1", "b1", 2, 1}};
    for (int g = 0; g < 4; g++) {
        double v[8];
        int n = values_after(ex.out, grads[g].marker, v, 8);
        ck_assert_int_eq(n, grads[g].rows * grads[g].cols);
        for (int i = 0; i < n; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s element %d", grads[g].marker, i);
            assert_close(what, v[i], json_analytic(rep, "analytic", grads[g].tensor,
                                                   i / grads[g].cols, i % grads[g].cols),
                         PRINTED_TOL);
        }
    }
    /* the worked element: "W1[0,0], the table's worst" */
    const char *w = strstr(ex.out, "One element worked through: ");
    ck_assert_ptr_nonnull(w);
    char tensor[16];
    int row, col;
    ck_assert_int_eq(sscanf(w, "One element worked through: %15[^[][%d,%d]", tensor, &row, &col),
                     3);
    /* numeric = (L(θ + ε) − L(θ − ε)) / (...)  then "= dloss / step", "= quotient" */
    const char *q = strstr(w, "numeric = (L(θ + ε)");
    ck_assert_ptr_nonnull(q);
    for (int k = 0; k < 2; k++) {
        q = strstr(q + 1, "\n          = ");
        ck_assert_ptr_nonnull(q);
    }
    double quotient = strtod(q + strlen("\n          = "), NULL);
    ck_assert_msg(quotient == json_analytic(rep, "numeric", tensor, row, col),
                  "%s[%d,%d]: worked %.17g, JSON numeric %.17g", tensor, row, col, quotient,
                  json_analytic(rep, "numeric", tensor, row, col));
    ck_assert(number_after(w, "analytic (backprop)", "= ") ==
              json_analytic(rep, "analytic", tensor, row, col));
    json_decref(rep);
    result_free(&ex);
    result_free(&js);
    tmpdir_remove(dir);
}
END_TEST

/*
 * The walkthrough's numbers are the classic notes' computation: the
 * parameters and data it prints, pushed through the hand-written classic
 * fprop and bprop (examples/classic.c), give its z1, a1, z2, a2, loss and
 * gradients; and its dz2 and dz1 satisfy the notes' formulas a2 − y and
 * W2ᵀ dz2 ⊙ a1(1 − a1), evaluated here from the printed numbers.
 */
START_TEST(test_explain_is_the_classic_computation)
{
    char dir[256];
    const char *args[24];
    result ex;
    tmpdir_make(dir, sizeof dir);
    run_ok(dir, with(args, (const char *const[]){"--explain", NULL}), 0, &ex);
    const char *t = ex.out;
    double W1[4], b1[2], W2[2], b2[1], x[2], y[1];
    ck_assert_int_eq(values_after(t, "  W1\n", W1, 4), 4);
    ck_assert_int_eq(values_after(t, "  b1\n", b1, 2), 2);
    ck_assert_int_eq(values_after(t, "  W2\n", W2, 2), 2);
    ck_assert_int_eq(values_after(t, "  b2\n", b2, 1), 1);
    ck_assert_int_eq(values_after(t, "  x  (input", x, 2), 2);
    ck_assert_int_eq(values_after(t, "  y  (targets)", y, 1), 1);
    classic_params p = {{{W1[0], W1[1]}, {W1[2], W1[3]}}, {b1[0], b1[1]}, {W2[0], W2[1]}, b2[0]};
    classic_cache c;
    classic_grads g;
    classic_fprop(&c, x, y[0], &p);
    classic_bprop(&g, &c);
    /* the parameters were printed to 10 digits: the values computed from
     * them carry that rounding, amplified by the network's slopes (< 10) */
    const double tol = 1e-8;
    double v[4];
    values_after(t, "z1 = W1 x + b1", v, 2);
    assert_close("z1[0]", v[0], c.z1[0], tol);
    assert_close("z1[1]", v[1], c.z1[1], tol);
    values_after(t, "a1 = σ(z1)", v, 2);
    assert_close("a1[0]", v[0], c.a1[0], tol);
    assert_close("a1[1]", v[1], c.a1[1], tol);
    double a1[2] = {v[0], v[1]};
    values_after(t, "z2 = W2 a1 + b2", v, 1);
    assert_close("z2", v[0], c.z2, tol);
    values_after(t, "a2 = σ(z2)", v, 1);
    assert_close("a2", v[0], c.a2, tol);
    double a2 = v[0];
    assert_close("loss", number_after(t, "L = −(y log a2", "\n      = "), c.loss, tol);
    values_after(t, "dz2 = a2 − y", v, 1);
    double dz2 = v[0];
    assert_close("dz2 = a2 - y", dz2, a2 - y[0], tol);
    assert_close("db2", (values_after(t, "db2 = dz2", v, 1), v[0]), g.db2, tol);
    values_after(t, "dW2 = dz2 a1ᵀ", v, 2);
    assert_close("dW2[0]", v[0], g.dW2[0], tol);
    assert_close("dW2 = dz2 a1^T", v[1], dz2 * a1[1], tol);
    values_after(t, "dz1 = da1", v, 2);
    for (int i = 0; i < 2; i++) {
        assert_close("dz1 = W2^T dz2 . a1(1 - a1)", v[i], W2[i] * dz2 * a1[i] * (1.0 - a1[i]),
                     tol);
        assert_close("db1", v[i], g.db1[i], tol);
    }
    values_after(t, "dW1 = dz1 xᵀ", v, 4);
    for (int i = 0; i < 4; i++)
        assert_close("dW1", v[i], g.dW1[i / 2][i % 2], tol);
    result_free(&ex);
    tmpdir_remove(dir);
}
END_TEST

/* A network too big to list is summarised: every matrix of more than 16
 * elements becomes one line with its shape and norm. */
START_TEST(test_explain_summarises_big_networks)
{
    char dir[256];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--explain", "--arch", "40-30-3", "--act", "tanh,sigmoid", "--init",
                          "xavier", "--sample", "2", NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_msg(strstr(r.out, "(30x40, too many to list: ||.|| = ") != NULL, "%s", r.out);
    int lines = 0, longest = 0, cur = 0;
    for (const char *p = r.out; *p; p++, cur++)
        if (*p == '\n') {
            lines++;
            longest = cur > longest ? cur : longest;
            cur = -1;
        }
    ck_assert_msg(longest < 400, "a line of %d characters", longest);
    ck_assert_msg(lines < 200, "%d lines", lines);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Every fixture network (each activation and loss) walks through. */
static const char *const fixture_nets[] = {
    "act_first_mse", "classic", "deep4_logits_b1", "deep4_softmax_ce_soft",
    "elu_default_softplus_mse", "gelu_softmax_ce_onehot", "leaky_elu_mse", "relu_bce_logits",
    "softmax_bce", "tanh_bce_batch"};
#define NFIXTURES ((int)(sizeof fixture_nets / sizeof fixture_nets[0]))

START_TEST(test_explain_every_fixture)
{
    char dir[256], path[512];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/nets/%s.json", tu_fixtures(), fixture_nets[_i]);
    const char *args[] = {"--explain", "--net", path, NULL};
    run_gc(dir, args, &r);
    ck_assert_msg(r.status == 0 || r.status == 1 || r.status == 3, "%s: exit %d: %s", path,
                  r.status, r.err);
    ck_assert_msg(strstr(r.out, "Forward pass") && strstr(r.out, "Backward pass") &&
                      strstr(r.out, "One element worked through") &&
                      strstr(r.out, "\ntotals: "), "%s:\n%s", path, r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- --sweep -------------------------------------------------------------- */

static json_t *points_of(json_t *e) { return json_object_get(e, "points"); }

static double pt(json_t *pts, size_t i, const char *key)
{
    return json_number_value(json_object_get(json_array_get(pts, i), key));
}

/* The Done-when V, read from the JSON: for every swept element of the
 * smooth classic network the central error at 1e-1 and at 1e-12 is above
 * its smallest, which is below 1e-7. */
START_TEST(test_sweep_json_shows_the_v)
{
    char dir[256];
    const char *args[24];
    result r;
    tmpdir_make(dir, sizeof dir);
    run_ok(dir, with(args, (const char *const[]){"--sweep", "--format", "json", NULL}), 0, &r);
    json_t *j = load_json(r.out);
    json_t *elems = json_object_get(j, "elements");
    /* the 3 worst and one per tensor: 3 to 3 + 4 elements */
    ck_assert_int_ge((int)json_array_size(elems), 4);
    ck_assert_int_le((int)json_array_size(elems), 7);
    for (size_t k = 0; k < json_array_size(elems); k++) {
        json_t *pts = points_of(json_array_get(elems, k));
        size_t n = json_array_size(pts);
        ck_assert_int_eq((int)n, GC_SWEEP_POINTS);
        ck_assert(pt(pts, 0, "eps") == 1e-1 && pt(pts, n - 1, "eps") == 1e-12);
        double best = INFINITY;
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_eq((int)json_object_size(json_array_get(pts, i)), 4);
            double c = pt(pts, i, "central");
            best = c < best ? c : best;
        }
        ck_assert_msg(best < 1e-7 && pt(pts, 0, "central") > best &&
                          pt(pts, n - 1, "central") > best,
                      "element %zu: central %.2e at 1e-1, best %.2e, %.2e at 1e-12", k,
                      pt(pts, 0, "central"), best, pt(pts, n - 1, "central"));
    }
    json_decref(j);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Named elements, range, points and error measure are as asked, in every
 * format; the JUnit is valid XML with a testcase per element. */
START_TEST(test_sweep_options_and_formats)
{
    char dir[256], path[300];
    const char *args[32];
    result r, x;
    tmpdir_make(dir, sizeof dir);
    const char *more[] = {"--sweep-element", "W1[0,1]", "--sweep-element", "x(1,0)",
                          "--sweep-range", "1e-2:1e-8", "--sweep-points", "13",
                          "--sweep-error", "abs", "--format", "json", NULL};
    run_ok(dir, with(args, more), 0, &r);
    json_t *j = load_json(r.out);
    json_t *elems = json_object_get(j, "elements");
    ck_assert_int_eq((int)json_array_size(elems), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(elems, 1), "tensor")), "x");
    json_t *pts = points_of(json_array_get(elems, 0));
    ck_assert_int_eq((int)json_array_size(pts), 13);
    ck_assert(pt(pts, 0, "eps") == 1e-2 && pt(pts, 12, "eps") == 1e-8);
    ck_assert(tu_rel_err(pt(pts, 6, "eps"), 1e-5) < 1e-15);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "sweep"), "error")),
                     "abs");
    json_decref(j);
    result_free(&r);

    more[11] = "text";
    run_ok(dir, with(args, more), 0, &r);
    ck_assert_msg(strstr(r.out, "W1[0,1]: theta ") && strstr(r.out, "x[1,0]: theta ") &&
                      strstr(r.out, "absolute |a-n| errors"), "%s", r.out);
    result_free(&r);

    snprintf(path, sizeof path, "%s/sweep.xml", dir);
    more[11] = "junit";
    const char *out[] = {"-o", path, NULL};
    const char *all[40];
    int n = 0;
    for (const char **a = with(args, more); *a; a++)
        all[n++] = *a;
    all[n++] = out[0];
    all[n++] = out[1];
    all[n] = NULL;
    run_ok(dir, all, 0, &r);
    const char *lint[] = {"xmllint", "--noout", path, NULL};
    run_prog(dir, "xmllint", lint, &x);
    ck_assert_msg(x.status == 0, "xmllint: %s", x.err);
    char *xml = slurp(path, NULL);
    ck_assert(strstr(xml, "name=\"W1[0,1]\"") && strstr(xml, "name=\"x[1,0]\"") &&
              strstr(xml, "tests=\"2\" failures=\"0\""));
    free(xml);
    result_free(&r);
    result_free(&x);
    tmpdir_remove(dir);
}
END_TEST

/* Why double: the same network and element with its attention layer in
 * float32 (the plugin's default) and in its double twin (f64=1).  Float's
 * roundoff, u = 2^-24 of the loss, divided by ε, keeps every central
 * difference's relative error above rtol at every step; double's reaches
 * below 1e-7. */
START_TEST(test_sweep_float32_against_double)
{
    char dir[256], lib[600], path[300], net[1400];
    result r;
    tmpdir_make(dir, sizeof dir);
    beside_bin(lib, sizeof lib, "examples/libattention_plugin.so");
    snprintf(path, sizeof path, "%s/attn.json", dir);
    snprintf(net, sizeof net,
             "{\"layers\": [{\"type\": \"dense\", \"in\": 24, \"out\": 24}, {\"type\": \"tanh\"}, "
             "{\"type\": \"plugin\", \"lib\": \"%s\", \"factory\": \"attention_plugin\", "
             "\"in\": 24, \"out\": 8, \"T\": 2, \"NH\": 2, \"f64\": %d}, "
             "{\"type\": \"dense\", \"in\": 8, \"out\": 1}], \"loss\": \"mse\", \"x\": [[0.3, "
             "-0.7, 0.5, 0.1, -0.2, 0.9, -0.4, 0.6, 0.8, -0.1, 0.2, -0.9, 0.4, -0.6, 0.7, 0.05, "
             "-0.3, 0.35, -0.85, 0.15, 0.55, -0.45, 0.25, -0.65]], \"y\": [[0.5]]}", lib, _i);
    spit(path, net);
    const char *args[] = {"--net", path, "--init", "xavier", "--sweep-element", "W1[16,18]",
                          "--format", "json", NULL};
    run_gc(dir, args, &r);
    ck_assert_msg(r.status == 0 || r.status == 1 || r.status == 3, "exit %d: %s", r.status,
                  r.err);
    json_t *j = load_json(r.out);
    json_t *e = json_array_get(json_object_get(j, "elements"), 0);
    json_t *pts = points_of(e);
    double best = INFINITY;
    for (size_t i = 0; i < json_array_size(pts); i++) {
        double c = pt(pts, i, "central");
        best = c < best ? c : best;
    }
    int confirmed = json_is_true(json_object_get(e, "confirmed"));
    if (_i)
        ck_assert_msg(best < 1e-7 && confirmed, "double: best central %.3e", best);
    else
        ck_assert_msg(best > 1e-5, "float32: best central %.3e", best);
    json_decref(j);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- bad input --------------------------------------------------------------- */

static const struct {
    const char *args[10];
    const char *want;
} bad[] = {
    {{"--explain", "--format", "json"}, "--explain: prints a text walkthrough"},
    {{"--explain", "--sweep"}, "--explain and --sweep"},
    {{"--expect", "tool.json", "--sweep"}, "--expect and --sweep"},
    {{"--sweep-element", "W9[0,0]"}, "--sweep-element: no tensor 'W9'"},
    {{"--sweep-element", "W1[2,0]"}, "W1[2,0] is outside W1, which is 2x2"},
    {{"--sweep-element", "W1[0"}, "--sweep-element: expected TENSOR[ROW,COL]"},
    {{"--sweep", "--sweep-range", "1e-12:1e-1"}, "--sweep-range: MAX must exceed MIN"},
    {{"--sweep", "--sweep-range", "1e-1"}, "--sweep-range: expected MAX:MIN"},
    {{"--sweep", "--sweep-range", "x:1e-3"}, "--sweep-range: expected a positive number"},
    {{"--sweep", "--sweep-points", "1"}, "--sweep-points: expected an integer from 2"},
    {{"--sweep", "--sweep-error", "log"}, "--sweep-error"},
    {{"--sweep-points", "9"}, "--sweep-points: applies to --sweep only"},
    {{"--plot", "h.jpg"}, "--plot: expected a file name ending in .png or .svg"},
    {{"--plot", "/nonexistent-dir/h.png"}, "--plot: /nonexistent-dir/h.png"},
};
#define NBAD ((int)(sizeof bad / sizeof bad[0]))

START_TEST(test_teaching_bad_input)
{
    char dir[256];
    const char *args[24];
    result r;
    tmpdir_make(dir, sizeof dir);
    run_gc(dir, with(args, bad[_i].args), &r);
    assert_rejected(&r, args + NCLASSIC, bad[_i].want, _i);
    ck_assert_int_eq(tmpdir_count(dir), 0);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_teaching_layer_rejected)
{
    char dir[256];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--layer", "sigmoid", "--in", "2", _i ? "--sweep" : "--explain", NULL};
    run_gc(dir, args, &r);
    assert_rejected(&r, args, "applies to a network (--net or --arch), not --layer", _i);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- --plot ------------------------------------------------------------------ */

static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path != NULL && *path) {
        size_t len = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, path);
        FILE *f = fopen(buf, "rb");
        if (f != NULL) {
            fclose(f);
            return 1;
        }
        path += len + (path[len] == ':');
    }
    return 0;
}

/* A PNG: the 8-byte signature, then the IHDR chunk with a nonzero width
 * and height (big-endian, bytes 16..23). */
static void assert_png(const char *path)
{
    size_t len;
    unsigned char *b = (unsigned char *)slurp(path, &len);
    ck_assert_msg(len > 1000, "%s: %zu bytes", path, len);
    ck_assert_msg(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0, "%s: no PNG signature", path);
    ck_assert(memcmp(b + 12, "IHDR", 4) == 0);
    unsigned w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    unsigned h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    ck_assert_msg(w >= 400 && h >= 300, "%s: %ux%u", path, w, h);
    free(b);
}

static void assert_svg(const char *dir, const char *path)
{
    result x;
    const char *lint[] = {"xmllint", "--noout", path, NULL};
    run_prog(dir, "xmllint", lint, &x);
    ck_assert_msg(x.status == 0, "xmllint %s: %s", path, x.err);
    char *s = slurp(path, NULL);
    ck_assert_msg(strstr(s, "<svg") != NULL && strstr(s, "central") != NULL, "%s", path);
    free(s);
    result_free(&x);
}

/* The four pictures: the h-curve and the rel_err picture, PNG and SVG; a
 * plot from --layer too.  Without gnuplot each asks for it in one line. */
START_TEST(test_plot_writes_pictures)
{
    char dir[256], png[300], svg[300], rel[300], lay[300];
    const char *args[24];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(png, sizeof png, "%s/h.png", dir);
    snprintf(svg, sizeof svg, "%s/h.svg", dir);
    snprintf(rel, sizeof rel, "%s/rel.PNG", dir);
    snprintf(lay, sizeof lay, "%s/layer.png", dir);
    if (!have_gnuplot()) {
        fprintf(stderr, "check_teaching: gnuplot is not on PATH: only its absence is checked "
                        "(make plots installs gnuplot-nox)\n");
        run_gc(dir, with(args, (const char *const[]){"--plot", png, NULL}), &r);
        assert_rejected(&r, args, "gnuplot not found on PATH", 0);
        result_free(&r);
        tmpdir_remove(dir);
        return;
    }
    run_ok(dir, with(args, (const char *const[]){"--sweep", "--plot", png, "-q", NULL}), 0, &r);
    ck_assert_int_eq((int)r.out_len, 0);
    result_free(&r);
    assert_png(png);
    run_ok(dir, with(args, (const char *const[]){"--sweep-element", "b1[1,0]", "--plot", svg,
                                                 NULL}), 0, &r);
    ck_assert_msg(strstr(r.out, "b1[1,0]: theta") != NULL, "the sweep text is missing");
    result_free(&r);
    assert_svg(dir, svg);
    run_ok(dir, with(args, (const char *const[]){"--plot", rel, NULL}), 0, &r);
    ck_assert(strstr(r.out, "verdict: PASS") != NULL);
    result_free(&r);
    assert_png(rel);
    const char *largs[] = {"--layer", "tanh", "--in", "3", "--plot", lay, "-q", NULL};
    run_ok(dir, largs, 0, &r);
    result_free(&r);
    assert_png(lay);
    /* nothing but the four pictures: no temporary file left behind */
    ck_assert_int_eq(tmpdir_count(dir), 4);
    tmpdir_remove(dir);
}
END_TEST

/* gnuplot absent: one line, exit 2, no picture and no report. */
START_TEST(test_plot_without_gnuplot)
{
    char dir[256], png[300];
    const char *args[24];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(png, sizeof png, "%s/h.png", dir);
    char *saved = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent", 1);
    run_gc(dir, with(args, (const char *const[]){"--sweep", "--plot", png, NULL}), &r);
    if (saved != NULL) {
        setenv("PATH", saved, 1);
        free(saved);
    }
    assert_rejected(&r, args, "--plot: gnuplot not found on PATH", 0);
    ck_assert_int_eq(tmpdir_count(dir), 0);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- a real bug from the command line -------------------------------------- */

/*
 * Every layer mutant of fixtures/mutants/, built as build/mutants/libNAME.so,
 * fails the layer check from the command line (exit 1, a fail verdict).
 * The shape meets every mutant's needs at once: in 3 -> out 4 for dense (a
 * matrix, in != out), 3 -> 3 for activations; batch 3; X and R from U[-1, 1)
 * give both signs and |x| >= 0.5.
 */
START_TEST(test_mutant_plugins_fail)
{
    const gc_mutant *m = mutants[_i];
    if (m->site == GC_MUTANT_LOSS)
        return; /* a loss is no layer: not built as a plugin */
    char dir[256], rel[256], lib[600], spec[700];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(rel, sizeof rel, "mutants/lib%s.so", m->name);
    snprintf(spec, sizeof spec, "%s:mutant_plugin", beside_bin(lib, sizeof lib, rel));
    const char *args[] = {"--layer", spec, "--in", "3", "--out",
                          m->site == GC_MUTANT_DENSE ? "4" : "3", "--batch", "3", NULL};
    run_gc(dir, args, &r);
    ck_assert_msg(r.status == 1 && strstr(r.out, "verdict: FAIL") != NULL,
                  "mutant %s (%s): exit %d\n%s%s", m->name, m->bug, r.status, r.out, r.err);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_teaching_suite(void)
{
    Suite *s = suite_create("teaching");
    TCase *tc = tcase_create("teaching");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_explain_agrees_with_json);
    tcase_add_test(tc, test_explain_is_the_classic_computation);
    tcase_add_test(tc, test_explain_summarises_big_networks);
    tcase_add_loop_test(tc, test_explain_every_fixture, 0, NFIXTURES);
    tcase_add_test(tc, test_sweep_json_shows_the_v);
    tcase_add_test(tc, test_sweep_options_and_formats);
    tcase_add_loop_test(tc, test_sweep_float32_against_double, 0, 2);
    tcase_add_loop_test(tc, test_teaching_bad_input, 0, NBAD);
    tcase_add_loop_test(tc, test_teaching_layer_rejected, 0, 2);
    tcase_add_test(tc, test_plot_writes_pictures);
    tcase_add_test(tc, test_plot_without_gnuplot);
    tcase_add_loop_test(tc, test_mutant_plugins_fail, 0, NMUTANTS);
    suite_add_tcase(s, tc);
    return s;
}
