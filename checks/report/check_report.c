/*
 * check_report.c -- the writers: a gradient wrong in one element by 1% is
 * named in the text, JSON and JUnit outputs; JSON is valid, round-trips
 * every double bit for bit and writes NaN/Inf as strings; JUnit XML is
 * well-formed and escaped (parsed back by xmllint, a real XML parser); the
 * streaming JSON writer writes jansson's dump of the same report byte for
 * byte; a
 * vacuous tensor is flagged in every format; the same report gives the same
 * bytes.
 */
#include <check.h>
#include <gradcheck.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_testutil.h"

typedef int (*writer)(const gc_report *, FILE *);

/* The writer's output as a NUL-terminated string (free it). */
static char *render(writer w, const gc_report *r)
{
    char *buf = tu_render(w, r, NULL);
    ck_assert_msg(buf != NULL, "the writer or its memory stream failed");
    return buf;
}

/* xmllint --xpath EXPR on the document: the result (free it), or NULL when
 * xmllint rejects the document.  Goes through a temporary file. */
static char *xpath(const char *xml, const char *expr)
{
    char path[] = "/tmp/gc_junit_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(xml, f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --xpath '%s' %s 2>/dev/null", expr, path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char *out = calloc(1, 65536);
    size_t n = fread(out, 1, 65535, p);
    out[n] = '\0';
    int status = pclose(p);
    unlink(path);
    if (status != 0) {
        free(out);
        return NULL;
    }
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    return out;
}

/* Assert that xmllint accepts xml and that expr evaluates to exactly want. */
static void xpath_eq(const char *xml, const char *expr, const char *want)
{
    char *v = xpath(xml, expr);
    ck_assert_msg(v != NULL, "xmllint rejects:\n%s", xml);
    ck_assert_msg(strcmp(v, want) == 0, "%s is \"%s\", want \"%s\"", expr, v, want);
    free(v);
}

/* One parametric layer, so its tensors are W1 and b1: wrong_dense 3->2
 * (dW[1][0] scaled by `factor`), softmax_ce, batch 2, X U[-1, 1). */
static gc_net *wrong_net(double factor)
{
    gc_net *net = gc_net_new(&gc_loss_softmax_ce);
    ck_assert_int_eq(gc_net_add(net, tu_wrong_dense_new(3, 2, factor), NULL), GC_OK);
    gc_mat *X = gc_mat_new(3, 2), *T = gc_mat_new(2, 2);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 11, 11);
    for (int i = 0; i < 6; i++)
        X->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    GC_AT(T, 0, 0) = 1.0;
    GC_AT(T, 1, 1) = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

static gc_report *check_net(gc_net *net)
{
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    return r;
}

START_TEST(test_one_wrong_element_named_in_every_format)
{
    gc_net *net = wrong_net(1.01);
    gc_report *r = check_net(net);
    ck_assert_int_eq(r->nfail, 1);
    ck_assert(gc_report_failed(r));

    /* text: a worst-element line "W1  (1,0) ... fail", and the verdict */
    char *text = render(gc_report_write_text, r);
    const char *line = strstr(text, "\nW1      (1,0)");
    ck_assert_msg(line != NULL, "no W1 (1,0) line in:\n%s", text);
    const char *eol = strchr(line + 1, '\n');
    ck_assert_msg(strstr(line, "fail") != NULL && strstr(line, "fail") < eol,
                  "W1 (1,0) line lacks 'fail':\n%s", text);
    ck_assert_msg(strstr(text, "verdict: FAIL (1 element refuted)") != NULL, "%s", text);
    free(text);

    /* JSON: exactly one failing row, W1 (1, 0); totals and verdict agree */
    char *js = render(gc_report_write_json, r);
    json_error_t jerr;
    json_t *root = json_loads(js, 0, &jerr);
    ck_assert_msg(root != NULL, "JSON does not parse: %s (line %d)", jerr.text, jerr.line);
    json_t *rows = json_object_get(root, "rows");
    size_t i, nfail = 0;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "verdict")), "fail") == 0) {
            nfail++;
            ck_assert_str_eq(json_string_value(json_object_get(row, "tensor")), "W1");
            ck_assert_int_eq(json_integer_value(json_object_get(row, "row")), 1);
            ck_assert_int_eq(json_integer_value(json_object_get(row, "col")), 0);
        }
    }
    ck_assert_uint_eq(nfail, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "totals"), "fail")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(root, "verdict")), "fail");
    json_t *t0 = json_array_get(json_object_get(root, "tensors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t0, "name")), "W1");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t0, "worst"), "row")), 1);
    json_decref(root);
    free(js);

    /* JUnit: one failure, on testcase W1, naming W1(1,0) */
    char *xml = render(gc_report_write_junit, r);
    xpath_eq(xml, "count(//testcase/failure)", "1");
    xpath_eq(xml, "string(//testcase[failure]/@name)", "W1");
    xpath_eq(xml, "string(//testsuite/@failures)", "1");
    char *v = xpath(xml, "string(//testcase/failure)");
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(strstr(v, "W1(1,0)") != NULL && strstr(v, "fail") != NULL, "failure text: %s", v);
    free(v);
    free(xml);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* Every double of every row, parsed back from the JSON, is the same double
 * (17 significant digits round-trip). */
START_TEST(test_json_numbers_round_trip)
{
    gc_net *net = tu_random_net(gc_ck_base_seed() + 7, 1);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = GC_METHOD_RICHARDSON;
    o.inputs = 1;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    char *js = render(gc_report_write_json, r);
    json_t *root = json_loads(js, 0, NULL);
    ck_assert_ptr_nonnull(root);
    json_t *rows = json_object_get(root, "rows");
    ck_assert_uint_eq(json_array_size(rows), r->nrows);
    for (size_t k = 0; k < r->nrows; k++) {
        json_t *row = json_array_get(rows, k);
        static const char *const keys[4] = {"analytic", "numeric", "rel_err", "num_err"};
        const double want[4] = {r->rows[k].analytic, r->rows[k].numeric, r->rows[k].rel_err,
                                r->rows[k].num_err};
        for (int q = 0; q < 4; q++) {
            json_t *jv = json_object_get(row, keys[q]);
            if (q == 3 && isnan(want[q])) {
                ck_assert_ptr_null(jv); /* num_err is omitted when NaN */
                continue;
            }
            ck_assert_msg(json_is_number(jv), "row %zu %s not a number", k, keys[q]);
            ck_assert_msg(json_number_value(jv) == want[q], "row %zu %s: %.17g != %.17g", k,
                          keys[q], json_number_value(jv), want[q]);
        }
    }
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "options"), "seed")), 1);
    ck_assert(json_real_value(json_object_get(json_object_get(root, "options"), "eps")) == 1e-2);
    json_decref(root);
    free(js);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* A hand-made report with NaN and ±Inf values, and a tensor name full of
 * XML metacharacters. */
static void nonfinite_report(gc_report *r, gc_tensor_report *t, gc_row rows[3], size_t order[3])
{
    memset(r, 0, sizeof *r);
    memset(t, 0, sizeof *t);
    memset(rows, 0, 3 * sizeof *rows);
    gc_check_opts_init(&r->opts);
    r->opts.eps = 1e-6;
    r->loss = INFINITY;
    snprintf(t->name, sizeof t->name, "a<&\"'>b");
    t->rows = 1;
    t->cols = 3;
    t->count = 3;
    t->nfail = 3;
    t->max_rel = NAN;
    t->median_rel = NAN;
    t->norm_ratio = NAN;
    const double an[3] = {NAN, 1.0, -INFINITY}, nu[3] = {1.0, INFINITY, 2.0};
    for (int k = 0; k < 3; k++) {
        rows[k].col = k;
        rows[k].analytic = an[k];
        rows[k].numeric = nu[k];
        rows[k].abs_err = fabs(an[k] - nu[k]);
        rows[k].rel_err = NAN;
        rows[k].num_err = NAN;
        rows[k].slope_lo = rows[k].slope_hi = NAN;
        rows[k].verdict = GC_FAIL;
        order[k] = (size_t)k;
    }
    r->ntensors = 1;
    r->tensors = t;
    r->nrows = 3;
    r->rows = rows;
    r->order = order;
    r->nfail = 3;
    r->restored = 1;
}

START_TEST(test_nonfinite_as_strings_and_xml_escaped)
{
    gc_report r;
    gc_tensor_report t;
    gc_row rows[3];
    size_t order[3];
    nonfinite_report(&r, &t, rows, order);

    char *js = render(gc_report_write_json, &r);
    json_t *root = json_loads(js, 0, NULL);
    ck_assert_msg(root != NULL, "not JSON:\n%s", js);
    json_t *jr = json_object_get(root, "rows");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(jr, 0), "analytic")), "nan");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(jr, 1), "numeric")), "inf");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(jr, 2), "analytic")), "-inf");
    ck_assert_str_eq(json_string_value(json_object_get(root, "loss")), "inf");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(jr, 0), "tensor")), "a<&\"'>b");
    json_decref(root);
    free(js);

    char *xml = render(gc_report_write_junit, &r);
    xpath_eq(xml, "string(//testcase/@name)", "a<&\"'>b");
    free(xml);

    char *text = render(gc_report_write_text, &r);
    ck_assert_msg(strstr(text, "nan") != NULL && strstr(text, "verdict: FAIL") != NULL, "%s", text);
    free(text);
}
END_TEST

/* The layout the JSON writer promises: jansson's dump of the whole report
 * built as a tree (the writer's own code before it streamed), as a string
 * to compare with. */
static json_t *jnum(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

/* {"noise": 3, ...}: the reasons with a nonzero count, as the schema says. */
static json_t *jreasons(const int *n)
{
    json_t *j = json_object();
    for (int w = 1; w < GC_NREASONS; w++)
        if (n[w] > 0)
            json_object_set_new(j, gc_reason_name((gc_reason)w), json_integer(n[w]));
    return j;
}

static char *jansson_dump(const gc_report *r)
{
    const gc_check_opts *o = &r->opts;
    json_t *root = json_object(), *tensors = json_array(), *rows = json_array();
    json_object_set_new(root, "gradcheck", json_string(GC_VERSION));
    json_object_set_new(root, "options", json_pack("{s:s, s:o, s:o, s:o, s:b, s:i, s:I, s:b, s:b, s:s, s:b, s:b, s:s}",
        "method", gc_method_name(o->method), "eps", jnum(o->eps), "rtol", jnum(o->rtol),
        "atol", jnum(o->atol), "inputs", o->inputs, "sample", o->sample,
        "seed", (json_int_t)o->seed, "strict_kinks", o->strict_kinks, "adaptive", o->adaptive,
        "engine", gc_engine_name(o->engine), "screen", o->screen,
        "allow_vacuous", o->allow_vacuous,
        "precision", o->precision == GC_PRECISION_FLOAT32 ? "float32" : "float64"));
    json_object_set_new(root, "loss", jnum(r->loss));
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        json_t *worst = tr->count > 0 ? json_pack("{s:i, s:i}", "row", r->rows[tr->worst].row,
                                                  "col", r->rows[tr->worst].col) : json_null();
        json_array_append_new(tensors, json_pack(
            "{s:s, s:i, s:i, s:I, s:i, s:i, s:i, s:i, s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:o, "
            "s:o, s:o, s:b, s:b, s:b}", "name",
            tr->name, "rows", tr->rows, "cols", tr->cols, "checked", (json_int_t)tr->count,
            "pass", tr->npass, "kink", tr->nkink, "fail", tr->nfail,
            "undecided", tr->nundecided, "undecided_by_reason", jreasons(tr->nreason),
            "weak", tr->nweak, "escalated", tr->nescalated, "grad_scale", jnum(tr->grad_scale),
            "sensitivity_median", jnum(tr->sens_median),
            "sensitivity_worst", jnum(tr->sens_worst), "max_rel_err",
            jnum(tr->max_rel), "median_rel_err", jnum(tr->median_rel), "worst", worst,
            "norm_ratio", jnum(tr->norm_ratio), "vacuous", tr->vacuous, "sampled", tr->sampled,
            "screened", tr->screened));
    }
    json_object_set_new(root, "tensors", tensors);
    for (size_t k = 0; k < r->nrows; k++) {
        const gc_row *w = &r->rows[k];
        json_t *j = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o}", "tensor",
                              r->tensors[w->tensor].name, "row", w->row, "col", w->col,
                              "analytic", jnum(w->analytic), "numeric", jnum(w->numeric),
                              "abs_err", jnum(w->abs_err), "rel_err", jnum(w->rel_err));
        json_object_set_new(j, "num_err", jnum(w->num_err));
        json_object_set_new(j, "band", jnum(w->band));
        if (w->verdict == GC_UNDECIDED)
            json_object_set_new(j, "reason", json_string(gc_reason_name(w->reason)));
        if (w->escalated)
            json_object_set_new(j, "escalated", json_true());
        if (w->verdict != GC_PASS && !isnan(w->slope_lo)) {
            json_object_set_new(j, "slope_lo", jnum(w->slope_lo));
            json_object_set_new(j, "slope_hi", jnum(w->slope_hi));
        }
        if (w->hook)
            json_object_set_new(j, "hook", json_true());
        json_object_set_new(j, "verdict", json_string(gc_verdict_name(w->verdict)));
        json_array_append_new(rows, j);
    }
    json_object_set_new(root, "rows", rows);
    json_object_set_new(root, "totals", json_pack("{s:I, s:i, s:i, s:i, s:i, s:o, s:i, s:i, s:i, s:b, s:I}",
        "checked", (json_int_t)r->nrows, "pass", r->npass, "kink", r->nkink, "fail", r->nfail,
        "undecided", r->nundecided, "undecided_by_reason", jreasons(r->nreason),
        "weak", r->nweak, "escalated", r->nescalated,
        "vacuous", r->nvacuous, "restored", r->restored, "evaluations", (json_int_t)r->nevals));
    gc_status st = gc_report_status(r);
    json_object_set_new(root, "verdict", json_string(st == GC_STATUS_CONFIRMED ? "pass"
                                                     : st == GC_STATUS_REFUTED ? "fail"
                                                                               : "undecided"));
    json_object_set_new(root, "status", json_integer((json_int_t)st));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    ck_assert_ptr_nonnull(s);
    json_decref(root);
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    ck_assert_ptr_nonnull(t);
    memcpy(t + n, "\n", 2);
    return t;
}

static void same_as_jansson(const gc_report *r, const char *what)
{
    char *got = render(gc_report_write_json, r), *want = jansson_dump(r);
    size_t at = 0;
    while (got[at] != '\0' && got[at] == want[at])
        at++;
    ck_assert_msg(got[at] == want[at], "%s: differs from jansson's dump at byte %zu:\n%.80s\n"
                  "---\n%.80s", what, at, got + (at > 40 ? at - 40 : 0),
                  want + (at > 40 ? at - 40 : 0));
    free(got);
    free(want);
}

/* The streaming JSON writer writes what jansson writes for the same
 * report: a real check (richardson, inputs: num_err present), non-finite
 * values and an escaped name, awkward doubles (integral, huge, tiny,
 * subnormal, -0) with slopes and the hook, and an empty report. */
START_TEST(test_json_layout_is_janssons)
{
    gc_net *net = tu_random_net(gc_ck_base_seed() + 11, 1);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = GC_METHOD_RICHARDSON;
    o.inputs = 1;
    gc_report *rep = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &rep, NULL), GC_OK);
    same_as_jansson(rep, "a richardson check");
    gc_report_free(rep);
    gc_net_free(net);
    /* undecided rows (a zero band), reasons, escalations, status 3.  A
     * zero band cannot pass, so each row is refuted or undecided; some
     * networks refute every row, so the first of a few that leaves one
     * undecided is written */
    o.method = GC_METHOD_CENTRAL;
    o.rtol = o.atol = 0.0;
    rep = NULL;
    for (int k = 0; k < 16 && rep == NULL; k++) {
        net = tu_random_net(gc_ck_base_seed() + 11 + (uint64_t)k, 1);
        ck_assert_int_eq(gc_check_net(net, &o, &rep, NULL), GC_OK);
        gc_net_free(net);
        if (rep->nundecided == 0) {
            gc_report_free(rep);
            rep = NULL;
        }
    }
    ck_assert_msg(rep != NULL, "no network of 16 left a row undecided at a zero band");
    same_as_jansson(rep, "an undecided check");
    gc_report_free(rep);

    gc_report r;
    gc_tensor_report t;
    gc_row rows[3];
    size_t order[3];
    nonfinite_report(&r, &t, rows, order);
    same_as_jansson(&r, "non-finite values");

    static const double odd[] = {1.0, -0.0, 1e17, 1e22, 123456789.0, 1e-5, 5e-324, 0.1, -2.5e300,
                                 1e16, 4.9e-7, 100.0};
    snprintf(t.name, sizeof t.name, "W\xc3\xa9\\\t1");
    r.loss = 3.0;
    r.opts.seed = 18446744073709551615ull;
    for (int k = 0; k < 3; k++) {
        rows[k].analytic = odd[4 * k];
        rows[k].numeric = odd[4 * k + 1];
        rows[k].abs_err = odd[4 * k + 2];
        rows[k].rel_err = odd[4 * k + 3];
        rows[k].slope_lo = k == 1 ? 0.5 : NAN;
        rows[k].slope_hi = k == 1 ? -7.0 : NAN;
        rows[k].num_err = k == 2 ? 1e-300 : NAN;
        rows[k].hook = k == 2;
        rows[k].verdict = k == 0 ? GC_PASS : k == 1 ? GC_KINK : GC_FAIL;
    }
    same_as_jansson(&r, "awkward doubles");

    r.nrows = 0;
    t.count = 0;
    same_as_jansson(&r, "no rows");
    r.ntensors = 0;
    same_as_jansson(&r, "no tensors");
}
END_TEST

/* A report of many rows (several of the writer's blocks, of more than
 * its least 512 rows, and a partial last one: 49 blocks of 1000 rows, as
 * write_json.c sizes them) is written in order at any thread count: the
 * rows' blocks are formatted on the threads and written in order, and the
 * bytes are jansson's at every count.  A failed write is still GC_EIO
 * when another thread holds the next block. */
START_TEST(test_json_rows_in_order_at_any_thread_count)
{
    enum { N = 48 * 1000 + 17 };
    gc_report r;
    gc_tensor_report t;
    gc_row three[3];
    size_t order[3];
    nonfinite_report(&r, &t, three, order);
    gc_row *rows = calloc(N, sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 41, 1);
    for (int k = 0; k < N; k++) {
        gc_row *w = &rows[k];
        w->row = k / 7;
        w->col = k % 7;
        w->analytic = (gc_pcg32_uniform(&g) - 0.5) * pow(10, -(k % 9));
        w->numeric = w->analytic * (1 + 1e-7 * gc_pcg32_uniform(&g));
        w->abs_err = fabs(w->analytic - w->numeric);
        w->rel_err = w->abs_err / fabs(w->analytic);
        w->num_err = 1e-9 * gc_pcg32_uniform(&g);
        w->band = 1e-7 * fabs(w->analytic);
        w->slope_lo = w->slope_hi = NAN;
        w->verdict = k % 101 == 0 ? GC_UNDECIDED : GC_PASS;
        w->reason = w->verdict == GC_UNDECIDED ? GC_REASON_NOISE : GC_REASON_NONE;
    }
    t.rows = N / 7 + 1;
    t.cols = 7;
    t.count = N;
    r.rows = rows;
    r.nrows = N;
    r.order = NULL;
    char *first = NULL;
    for (int threads = 1; threads <= 4; threads++) {
        r.opts.threads = threads;
        char *got = render(gc_report_write_json, &r);
        if (first == NULL) {
            first = got;
            same_as_jansson(&r, "many rows, 1 thread");
            continue;
        }
        ck_assert_msg(strcmp(got, first) == 0, "%d threads: %zu bytes, 1 thread %zu", threads,
                      strlen(got), strlen(first));
        free(got);
    }
    free(first);
    r.opts.threads = 3;
    FILE *f = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gc_report_write_json(&r, f), GC_EIO);
    fclose(f);
    free(rows);
}
END_TEST

/* The JSON writer formats its blocks of rows in buffers sized by the
 * longest text a row of the report can take (write_json.c, row_max): rows
 * that each take the most (a name of GC_NAME_MAX - 1 control characters,
 * each escaped in 6 bytes, the row and column INT_MIN, every number of the
 * most digits, every member a row can have, the longest reason) fill four
 * blocks, at 1 to 3 threads, with jansson's bytes.  Built with
 * -DGC_JSON_ROW_MAX_MUTANT (no room counted for a reason), the text
 * outgrows its buffer and the writer aborts (blocks.c). */
START_TEST(test_json_longest_rows_fit_their_blocks)
{
    enum { N = 3 * 512 + 5 };
    gc_report r;
    gc_tensor_report t;
    gc_row three[3];
    size_t order[3];
    nonfinite_report(&r, &t, three, order);
    memset(t.name, '\x01', sizeof t.name - 1);
    t.name[sizeof t.name - 1] = '\0';
    gc_reason longest = GC_REASON_NONE;
    for (int w = 1; w < GC_NREASONS; w++)
        if (strlen(gc_reason_name((gc_reason)w)) > strlen(gc_reason_name(longest)))
            longest = (gc_reason)w;
    gc_row *rows = calloc(N, sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    for (int k = 0; k < N; k++) {
        gc_row *w = &rows[k];
        w->row = w->col = INT_MIN;
        w->analytic = w->numeric = w->abs_err = w->rel_err = -1.2345678901234567e-300;
        w->num_err = w->band = w->slope_lo = w->slope_hi = -1.2345678901234567e-300;
        w->hook = w->escalated = 1;
        w->verdict = GC_UNDECIDED;
        w->reason = longest;
    }
    t.count = N;
    r.rows = rows;
    r.nrows = N;
    r.order = NULL;
    for (int threads = 1; threads <= 3; threads++) {
        r.opts.threads = threads;
        same_as_jansson(&r, "the longest rows");
    }
    char want[64], *js = render(gc_report_write_json, &r);
    snprintf(want, sizeof want, "\"numeric\": %.17g,", rows[0].numeric);
    ck_assert_msg(strlen(want) == strlen("\"numeric\": ,") + 24 && strstr(js, want) != NULL &&
                      strstr(js, "\"row\": -2147483648") != NULL,
                  "the rows are not the longest (%s): %.400s", want, js);
    free(js);
    free(rows);
}
END_TEST

/* Two checks of the same network give byte-identical outputs in all three
 * formats: no timestamps, no addresses, deterministic sampling. */
START_TEST(test_same_report_same_bytes)
{
    gc_net *net = tu_random_net(gc_ck_base_seed() + 3, 0);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.sample = 2;
    o.inputs = 1;
    gc_report *a = NULL, *b = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &a, NULL), GC_OK);
    ck_assert_int_eq(gc_check_net(net, &o, &b, NULL), GC_OK);
    writer ws[3] = {gc_report_write_text, gc_report_write_json, gc_report_write_junit};
    for (int k = 0; k < 3; k++) {
        char *x = render(ws[k], a), *y = render(ws[k], b);
        ck_assert_msg(strcmp(x, y) == 0, "writer %d differs:\n%s\n---\n%s", k, x, y);
        free(x);
        free(y);
    }
    gc_report_free(a);
    gc_report_free(b);
    gc_net_free(net);
}
END_TEST

/*
 * A dead relu: dense 2->2 with b1 = -10 (inputs in [0, 1], |W| <= 1, so
 * z1 <= -8), relu, dense 2->1, mse.  Every dL/dW1 and dL/db1, analytic and
 * numeric, is exactly 0: W1 and b1 are vacuous; W2 sees relu outputs of 0
 * too (dL/dW2 = dL/dy a1 = 0), only b2 is really checked.
 */
START_TEST(test_vacuous_flagged_everywhere)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 2), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_RELU, 2, 0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 1), NULL), GC_OK);
    gc_mat *X = gc_mat_new(2, 1), *T = gc_mat_new(1, 1);
    X->data[0] = 0.25;
    X->data[1] = 0.75;
    T->data[0] = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_UNIFORM, &rng), GC_OK);
    gc_net_find_tensor(net, "b1", NULL)->value[0] = -10.0;
    gc_net_find_tensor(net, "b1", NULL)->value[1] = -10.0;
    gc_report *r = check_net(net);
    ck_assert_int_eq(r->nvacuous, 3);
    ck_assert(r->tensors[0].vacuous && r->tensors[1].vacuous && r->tensors[2].vacuous);
    ck_assert(!r->tensors[3].vacuous);
    ck_assert_int_eq(gc_report_failed(r), 0);
    /* a vacuous tensor proved nothing: undecided, unless allowed */
    ck_assert_int_eq(gc_report_status(r), GC_STATUS_UNDECIDED);
    r->opts.allow_vacuous = 1;
    ck_assert_int_eq(gc_report_status(r), GC_STATUS_CONFIRMED);
    r->opts.allow_vacuous = 0;

    char *text = render(gc_report_write_text, r);
    ck_assert_msg(strstr(text, "VACUOUS") != NULL && strstr(text, "3 vacuous tensors") != NULL,
                  "%s", text);
    ck_assert_msg(strstr(text, "verdict: UNDECIDED (nothing refuted; 3 vacuous tensors") != NULL,
                  "%s", text);
    free(text);
    char *js = render(gc_report_write_json, r);
    json_t *root = json_loads(js, 0, NULL);
    json_t *t0 = json_array_get(json_object_get(root, "tensors"), 0);
    ck_assert(json_is_true(json_object_get(t0, "vacuous")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(root, "totals"), "vacuous")), 3);
    json_decref(root);
    free(js);
    char *xml = render(gc_report_write_junit, r);
    xpath_eq(xml, "count(//testcase/skipped)", "3");
    free(xml);
    gc_report_free(r);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
}
END_TEST

/* The text table: header line with the options, one summary line per
 * tensor, the hint bands, and PASS on a correct network. */
START_TEST(test_text_layout)
{
    gc_net *net = wrong_net(1.0);
    gc_report *r = check_net(net);
    char *text = render(gc_report_write_text, r);
    ck_assert_msg(strncmp(text, "gradcheck " GC_VERSION ": central differences, eps 1e-06, "
                                "rtol 1e-05, atol 1e-08", 62) == 0, "%s", text);
    ck_assert_msg(strstr(text, "\nW1            2x3        6        6      0      0") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\nb1            2x1        2        2      0      0") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "hint: pass = confirmed") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "verdict: PASS (8 elements confirmed)") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "\nW1              0      0          0") != NULL, "%s", text);
    free(text);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* Every format names the engine that ran; the layer check (one layer,
 * nothing to skip) always runs the reference and says so. */
START_TEST(test_formats_name_the_engine)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 3);
    gc_net *net = gc_net_from_arch("3-4-2", "tanh,identity", "softmax_ce", 2, GC_INIT_XAVIER,
                                   &rng, NULL);
    ck_assert_ptr_nonnull(net);
    static const char *const want[2][3] = {
        {"engine: reference", "\"engine\": \"reference\"", "name=\"engine\" value=\"reference\""},
        {"engine: fast", "\"engine\": \"fast\"", "name=\"engine\" value=\"fast\""}};
    for (int fast = 0; fast <= 1; fast++) {
        gc_report *r = tu_check_with(net, GC_METHOD_CENTRAL,
                                  fast ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE, 1, 0);
        for (int fmt = 0; fmt < 3; fmt++) {
            char *buf = tu_render(fmt == 0 ? gc_report_write_text
                                  : fmt == 1 ? gc_report_write_json : gc_report_write_junit,
                                  r, NULL);
            ck_assert_msg(buf != NULL, "format %d: the writer failed", fmt);
            ck_assert_msg(strstr(buf, want[fast][fmt]) != NULL, "format %d lacks '%s'", fmt,
                          want[fast][fmt]);
            free(buf);
        }
        gc_report_free(r);
    }
    gc_net_free(net);

    gc_layer *l = gc_dense_new(3, 2);
    gc_check_opts o;
    gc_check_opts_init(&o);
    ck_assert_int_eq(o.engine, GC_ENGINE_FAST); /* the default */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 2, &o, &r, NULL), GC_OK);
    ck_assert_str_eq(gc_engine_name(r->opts.engine), "reference");
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

/* A writer's GC_EIO must not depend on the stream's buffering: a report
 * smaller than stdio's buffer stays in it until a flush, and a writer that
 * only asked ferror returned GC_OK for a write that then failed.  /dev/full
 * fails every write with ENOSPC. */
START_TEST(test_writers_report_a_failed_write)
{
    static const char *const names[] = {"text", "json", "junit"};
    gc_net *net = tu_small_net();
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    for (int w = 0; w < 3; w++) {
        FILE *f = fopen("/dev/full", "w");
        ck_assert_ptr_nonnull(f);
        int rc = w == 0 ? gc_report_write_text(r, f)
                        : w == 1 ? gc_report_write_json(r, f) : gc_report_write_junit(r, f);
        fclose(f);
        ck_assert_msg(rc == GC_EIO, "%s writer on /dev/full: %d, expected GC_EIO", names[w], rc);
    }
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

Suite *make_report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_one_wrong_element_named_in_every_format);
    tcase_add_test(tc, test_json_numbers_round_trip);
    tcase_add_test(tc, test_nonfinite_as_strings_and_xml_escaped);
    tcase_add_test(tc, test_json_layout_is_janssons);
    tcase_add_test(tc, test_same_report_same_bytes);
    tcase_add_test(tc, test_json_rows_in_order_at_any_thread_count);
    tcase_add_test(tc, test_json_longest_rows_fit_their_blocks);
    tcase_add_test(tc, test_vacuous_flagged_everywhere);
    tcase_add_test(tc, test_text_layout);
    tcase_add_test(tc, test_formats_name_the_engine);
    tcase_add_test(tc, test_writers_report_a_failed_write);
    suite_add_tcase(s, tc);
    return s;
}
