/*
 * check_expect.c -- the expect comparison (gradcheck/expect.h): loading
 * expect files, matching them to a network, and the three-way verdict.
 *
 * Known answers come from the committed fixtures: fixtures/ref/NAME.json are
 * PyTorch's loss and gradients for fixtures/nets/NAME.json, so every pair must
 * agree; fixtures/expect/ holds the same data spoiled in one known way each
 * (fixtures/expect/README.md): a tool gradient 1% off in one element, a
 * network whose square W2 is transposed.  The blame table is driven by a
 * report built by hand, one row per case, so every branch is exercised
 * with values whose outcome follows from the band in the header.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"


static gc_net *load_net(const char *rel)
{
    char path[1024];
    gc_error err = {0};
    snprintf(path, sizeof path, "%s/%s", tu_fixtures(), rel);
    gc_net *net = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(net != NULL, "%s: %s", path, err.msg);
    return net;
}

static gc_expect *load_expect(const char *rel)
{
    char path[1024];
    gc_error err = {0};
    gc_expect *e = NULL;
    snprintf(path, sizeof path, "%s/%s", tu_fixtures(), rel);
    ck_assert_msg(gc_expect_load(path, &e, &err) == GC_OK, "%s: %s", path, err.msg);
    return e;
}

/* Check net (inputs too: the refs hold x) and compare it with e. */
static gc_expect_report *check_and_compare(gc_net *net, const gc_expect *e, gc_report **rep)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = 1;
    gc_error err = {0};
    ck_assert_msg(gc_expect_match_net(e, net, &err) == GC_OK, "%s", err.msg);
    ck_assert_msg(gc_check_net(net, &o, rep, &err) == GC_OK, "%s", err.msg);
    gc_expect_report *x = NULL;
    ck_assert_msg(gc_expect_compare(e, *rep, &x, &err) == GC_OK, "%s", err.msg);
    return x;
}

/* ---- every fixture agrees with its PyTorch reference ---------------------- */

static const char *const FIXTURES[] = {
    "act_first_mse", "classic", "deep4_logits_b1", "deep4_softmax_ce_soft",
    "elu_default_softplus_mse", "gelu_softmax_ce_onehot", "leaky_elu_mse",
    "relu_bce_logits", "softmax_bce", "tanh_bce_batch",
};

START_TEST(test_expect_fixtures_agree)
{
    char path[256];
    snprintf(path, sizeof path, "nets/%s.json", FIXTURES[_i]);
    gc_net *net = load_net(path);
    snprintf(path, sizeof path, "ref/%s.json", FIXTURES[_i]);
    gc_expect *e = load_expect(path);
    gc_report *rep = NULL;
    gc_expect_report *x = check_and_compare(net, e, &rep);
    ck_assert_msg(x->loss_ok, "%s: loss tool %.17g gc %.17g", FIXTURES[_i], x->loss_tool,
                  x->loss_gc);
    ck_assert_int_eq(x->nrows, rep->nrows);
    ck_assert_int_eq(x->nunchecked, 0);
    for (int t = 0; t < x->ntensors; t++) {
        const gc_expect_tensor_report *xt = &x->tensors[t];
        ck_assert_msg(xt->blame == GC_BLAME_NONE && xt->tool_fail == 0,
                      "%s: %s: %d tool rows disagree (max rel t-n %g), blame %s", FIXTURES[_i],
                      xt->name, xt->tool_fail, xt->max_rel_tn, gc_expect_blame_name(xt->blame));
        /* torch and gradcheck compute the same float64 derivative
         * (check_fixtures holds them to 1e-10): a comparison that matched
         * the wrong elements would be off by O(1). */
        ck_assert_msg(xt->max_rel_ta <= 1e-10, "%s: %s: max rel t-a %g", FIXTURES[_i],
                      xt->name, xt->max_rel_ta);
        ck_assert(xt->count > 0);
    }
    ck_assert(!gc_expect_failed(x, rep));
    gc_expect_report_free(x);
    gc_report_free(rep);
    gc_expect_free(e);
    gc_net_free(net);
}
END_TEST

/* ---- the two spoiled fixtures ------------------------------------------- */

START_TEST(test_expect_tool_off_by_1pct_blames_the_tool)
{
    gc_net *net = load_net("nets/classic.json");
    gc_expect *e = load_expect("expect/classic_W1_1pct.json");
    gc_report *rep = NULL;
    gc_expect_report *x = check_and_compare(net, e, &rep);
    ck_assert(x->loss_ok);
    ck_assert_int_eq(x->tool_fail, 1);
    ck_assert_int_eq(x->gc_fail, 0);
    for (int t = 0; t < x->ntensors; t++) {
        const gc_expect_tensor_report *xt = &x->tensors[t];
        int w1 = strcmp(xt->name, "W1") == 0;
        ck_assert_msg(xt->blame == (w1 ? GC_BLAME_TOOL : GC_BLAME_NONE), "%s: blame %s",
                      xt->name, gc_expect_blame_name(xt->blame));
        if (w1) {
            const gc_expect_row *w = &x->rows[xt->worst_tn];
            ck_assert_int_eq(w->row, 0);
            ck_assert_int_eq(w->col, 0);
            ck_assert(!w->tool_ok);
            /* 1% off: rel t-n = 0.01/1.01 up to the difference's own error */
            ck_assert_msg(fabs(w->rel_tn - 0.01 / 1.01) < 1e-6, "rel t-n %g", w->rel_tn);
        }
    }
    ck_assert(gc_expect_failed(x, rep));
    ck_assert(!gc_report_failed(rep)); /* gradcheck's own check passes */
    gc_expect_report_free(x);
    gc_report_free(rep);
    gc_expect_free(e);
    gc_net_free(net);
}
END_TEST

START_TEST(test_expect_transposed_export_blames_the_export)
{
    gc_net *net = load_net("expect/elu_softplus_W2_transposed.json");
    gc_expect *e = load_expect("ref/elu_default_softplus_mse.json");
    gc_report *rep = NULL;
    gc_expect_report *x = check_and_compare(net, e, &rep);
    ck_assert(!x->loss_ok);
    ck_assert_msg(x->loss_rel > 1e-2, "loss rel %g", x->loss_rel);
    ck_assert_int_eq(x->gc_fail, 0); /* gradcheck is right about the network it has */
    int nexport = 0;
    for (int t = 0; t < x->ntensors; t++) {
        ck_assert(x->tensors[t].blame == GC_BLAME_EXPORT || x->tensors[t].blame == GC_BLAME_NONE);
        nexport += x->tensors[t].blame == GC_BLAME_EXPORT;
    }
    ck_assert_int_gt(nexport, 0);
    ck_assert(gc_expect_failed(x, rep));
    ck_assert(!gc_report_failed(rep));
    gc_expect_report_free(x);
    gc_report_free(rep);
    gc_expect_free(e);
    gc_net_free(net);
}
END_TEST

/* ---- the blame table, from a report built by hand ------------------------ */

/* One 1x1 tensor "W1" with one row (a, n, verdict, slopes) and a loss. */
typedef struct one {
    gc_report r;
    gc_tensor_report t;
    gc_row w;
} one;

static void make_one(one *o, double a, double n, gc_verdict v, double lo, double hi)
{
    memset(o, 0, sizeof *o);
    gc_check_opts_init(&o->r.opts);
    o->r.loss = 0.5;
    o->r.ntensors = 1;
    o->r.tensors = &o->t;
    o->r.nrows = 1;
    o->r.rows = &o->w;
    o->r.restored = 1;
    snprintf(o->t.name, sizeof o->t.name, "W1");
    o->t.rows = o->t.cols = 1;
    o->t.count = 1;
    o->w.analytic = a;
    o->w.numeric = n;
    o->w.verdict = v;
    o->w.slope_lo = lo;
    o->w.slope_hi = hi;
    o->w.num_err = NAN;
    o->r.nfail = v == GC_FAIL;
}

static gc_expect *expect_one(double loss, double t)
{
    char text[256];
    gc_error err = {0};
    gc_expect *e = NULL;
    snprintf(text, sizeof text,
             "{\"tool\": \"hand\", \"dtype\": \"float64\", \"loss\": %.17g, "
             "\"grad\": {\"W1\": [[%.17g]]}}", loss, t);
    ck_assert_msg(gc_expect_load_string(text, "hand", &e, &err) == GC_OK, "%s", err.msg);
    return e;
}

/* The band is the check's: rtol 1e-5, atol 1e-8 by default.  n = 1, so t
 * agrees within |t - 1| <= 1e-5; 1 + 0.5e-5 is inside, 1 + 2e-5 outside. */
static const struct {
    double loss, t, a, n;
    gc_verdict v;
    double lo, hi;
    int tool_ok;
    gc_expect_blame blame;
} BLAME[] = {
    {0.5, 1.0, 1.0, 1.0, GC_PASS, NAN, NAN, 1, GC_BLAME_NONE},
    {0.5, 1.0 + 0.5e-5, 1.0, 1.0, GC_PASS, NAN, NAN, 1, GC_BLAME_NONE},
    {0.5, 1.0 + 2e-5, 1.0, 1.0, GC_PASS, NAN, NAN, 0, GC_BLAME_TOOL},
    {0.5, 1.01, 1.0, 1.0, GC_PASS, NAN, NAN, 0, GC_BLAME_TOOL},
    {0.5, 1.0, 2.0, 1.0, GC_FAIL, 0.9, 1.1, 1, GC_BLAME_GRADCHECK},
    {0.5, 3.0, 2.0, 1.0, GC_FAIL, 0.9, 1.1, 0, GC_BLAME_BOTH},
    {0.6, 1.01, 1.0, 1.0, GC_PASS, NAN, NAN, 0, GC_BLAME_EXPORT},
    {0.6, 1.0, 1.0, 1.0, GC_PASS, NAN, NAN, 1, GC_BLAME_NONE}, /* loss alone fails */
    /* tiny values: within atol */
    {0.5, 5e-9, 0.0, 0.0, GC_PASS, NAN, NAN, 1, GC_BLAME_NONE},
    {0.5, 2e-8, 0.0, 0.0, GC_PASS, NAN, NAN, 0, GC_BLAME_TOOL},
    /* at a kink: t between the one-sided slopes agrees, outside does not */
    {0.5, 0.2, 0.0, 0.5, GC_KINK, 0.0, 1.0, 1, GC_BLAME_NONE},
    {0.5, 1.5, 0.0, 0.5, GC_KINK, 0.0, 1.0, 0, GC_BLAME_TOOL},
    /* NaN from the tool or the difference never agrees */
    {0.5, NAN, 1.0, 1.0, GC_PASS, NAN, NAN, 0, GC_BLAME_TOOL},
    {0.5, 1.0, 1.0, NAN, GC_FAIL, NAN, NAN, 0, GC_BLAME_BOTH},
};

START_TEST(test_expect_blame_table)
{
    one o;
    make_one(&o, BLAME[_i].a, BLAME[_i].n, BLAME[_i].v, BLAME[_i].lo, BLAME[_i].hi);
    gc_expect *e;
    if (isnan(BLAME[_i].t)) {
        /* JSON cannot say NaN: set it after loading */
        e = expect_one(BLAME[_i].loss, 0.0);
        e->tensors[0].grad[0] = NAN;
    } else {
        e = expect_one(BLAME[_i].loss, BLAME[_i].t);
    }
    gc_expect_report *x = NULL;
    gc_error err = {0};
    ck_assert_msg(gc_expect_compare(e, &o.r, &x, &err) == GC_OK, "%s", err.msg);
    ck_assert_msg(x->rows[0].tool_ok == BLAME[_i].tool_ok, "row %d: tool_ok %d", _i,
                  x->rows[0].tool_ok);
    ck_assert_msg(x->tensors[0].blame == BLAME[_i].blame, "row %d: blame %s, want %s", _i,
                  gc_expect_blame_name(x->tensors[0].blame),
                  gc_expect_blame_name(BLAME[_i].blame));
    int want_fail = !BLAME[_i].tool_ok || BLAME[_i].v == GC_FAIL || BLAME[_i].loss != 0.5;
    ck_assert_int_eq(gc_expect_failed(x, &o.r) != 0, want_fail);
    gc_expect_report_free(x);
    gc_expect_free(e);
}
END_TEST

/* The loss band: 1e-8 relative (GC_EXPECT_LOSS_RTOL). */
START_TEST(test_expect_loss_band)
{
    static const struct { double tool; int ok; } L[] = {
        {0.5, 1}, {0.5 * (1 + 0.5e-8), 1}, {0.5 * (1 + 2e-8), 0}, {1.0, 0}, {-0.5, 0},
    };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++) {
        one o;
        make_one(&o, 1.0, 1.0, GC_PASS, NAN, NAN);
        gc_expect *e = expect_one(L[i].tool, 1.0);
        gc_expect_report *x = NULL;
        ck_assert_int_eq(gc_expect_compare(e, &o.r, &x, NULL), GC_OK);
        ck_assert_msg(x->loss_ok == L[i].ok, "tool loss %.17g: ok %d", L[i].tool, x->loss_ok);
        gc_expect_report_free(x);
        gc_expect_free(e);
    }
    /* a NaN loss of gradcheck's never agrees */
    one o;
    make_one(&o, 1.0, 1.0, GC_PASS, NAN, NAN);
    o.r.loss = NAN;
    gc_expect *e = expect_one(0.5, 1.0);
    gc_expect_report *x = NULL;
    ck_assert_int_eq(gc_expect_compare(e, &o.r, &x, NULL), GC_OK);
    ck_assert(!x->loss_ok);
    gc_expect_report_free(x);
    gc_expect_free(e);
}
END_TEST

/* ---- missing tensors and shapes ----------------------------------------- */

START_TEST(test_expect_missing_and_misshapen_tensors)
{
    static const struct { const char *grad; int code; const char *want; } M[] = {
        {"\"W1\": [[1,2],[3,4]], \"b1\": [1,2], \"W2\": [[1,2]]", GC_EINVAL,
         "grad has no b2 (the file has W1 b1 W2)"},
        {"\"W1\": [[1,2,3],[4,5,6]], \"b1\": [1,2], \"W2\": [[1,2]], \"b2\": [1]",
         GC_ESHAPE, "grad.W1: expected 2x2, got 2x3"},
        {"\"W1\": [[1,2],[3,4]], \"b1\": [1,2], \"W2\": [[1,2]], \"b2\": [1], "
         "\"W3\": [[1]]", GC_EINVAL, "grad.W3: no such tensor in the network (it has W1 b1 W2 "
         "b2 x)"},
        {"\"W1\": [[1,2],[3,4]], \"b1\": [1,2], \"W2\": [[1,2]], \"b2\": [1], "
         "\"x\": [[1],[2]]", GC_ESHAPE, "grad.x: expected 1x2 (one row per example"},
    };
    gc_net *net = load_net("nets/classic.json");
    for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "{\"tool\": \"t\", \"dtype\": \"float64\", \"loss\": 1, "
                 "\"grad\": {%s}}", M[i].grad);
        gc_expect *e = NULL;
        gc_error err = {0};
        ck_assert_msg(gc_expect_load_string(text, "m", &e, &err) == GC_OK, "%s", err.msg);
        ck_assert_int_eq(gc_expect_match_net(e, net, &err), M[i].code);
        ck_assert_msg(strstr(err.msg, M[i].want) != NULL, "row %zu: [%s] lacks [%s]", i,
                      err.msg, M[i].want);
        gc_expect_free(e);
    }
    /* gc_expect_compare refuses the same against a report */
    gc_check_opts o;
    gc_check_opts_init(&o);
    gc_report *rep = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &rep, NULL), GC_OK);
    gc_expect *e = NULL;
    gc_error err = {0};
    ck_assert_int_eq(gc_expect_load_string("{\"tool\": \"t\", \"dtype\": \"float64\", "
                     "\"loss\": 1, \"grad\": {\"W1\": [[1,2],[3,4]]}}", NULL, &e, &err),
                     GC_OK);
    gc_expect_report *x = NULL;
    ck_assert_int_eq(gc_expect_compare(e, rep, &x, &err), GC_EINVAL);
    ck_assert_ptr_null(x);
    ck_assert_msg(strstr(err.msg, "grad has no b1 (the file has W1)") != NULL, "%s", err.msg);
    gc_expect_free(e);
    gc_report_free(rep);
    gc_net_free(net);
}
END_TEST

/* ---- malformed files: one clear line each -------------------------------- */

#define HEAD "\"tool\": \"t\", \"dtype\": \"float64\", \"loss\": 1"

static const struct { const char *text; int code; const char *want; } BAD[] = {
    {"[1]", GC_EPARSE, "f: expected a JSON object"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1]]}, \"extra\": 1}", GC_EPARSE,
     "f: extra: unknown key"},
    {"{\"tool\": \"t\", \"dtype\": \"float64\", \"grad\": {\"W1\": [[1]]}}", GC_EPARSE,
     "f: missing key \"loss\""},
    {"{\"tool\": \"t\", \"dtype\": \"float32\", \"loss\": 1, \"grad\": {\"W1\": [[1]]}}",
     GC_EINVAL, "f: dtype: expected \"float64\", got \"float32\""},
    {"{" HEAD ", \"grad\": {}}", GC_EPARSE, "f: grad: expected an object of tensors"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1, 2], [3]]}}", GC_EPARSE,
     "f: grad.W1[1]: expected an array of 2 numbers (as row 0)"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1, \"a\"]]}}", GC_EPARSE,
     "f: grad.W1[0][1]: expected a number"},
    {"{" HEAD ", \"grad\": {\"b1\": [1, null]}}", GC_EPARSE, "f: grad.b1[1]: expected a number"},
    {"{" HEAD ", \"grad\": {\"W1\": []}}", GC_EPARSE, "f: grad.W1: expected a non-empty array"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1]], \"W1\": [[2]]}}", GC_EPARSE, "duplicate"},
    {"{\"tool\": \"t\", \"dtype\": \"float64\", \"loss\": \"x\", \"grad\": {\"W1\": [[1]]}}",
     GC_EPARSE, "f: loss: expected a number"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1]]}, \"notes\": [1]}", GC_EPARSE,
     "f: notes[0]: expected a string"},
    {"{" HEAD ", \"grad\": {\"W1\": [[1]]", GC_EPARSE, "f: line 1 column"},
};

START_TEST(test_expect_rejects_malformed)
{
    gc_expect *e = (gc_expect *)&e; /* must come back NULL */
    gc_error err = {0};
    int rc = gc_expect_load_string(BAD[_i].text, "f", &e, &err);
    ck_assert_msg(rc == BAD[_i].code, "row %d: code %d, want %d (%s)", _i, rc, BAD[_i].code,
                  err.msg);
    ck_assert_ptr_null(e);
    ck_assert_msg(strstr(err.msg, BAD[_i].want) != NULL, "row %d: [%s] lacks [%s]", _i,
                  err.msg, BAD[_i].want);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

START_TEST(test_expect_loads_notes_and_vectors)
{
    gc_expect *e = NULL;
    gc_error err = {0};
    ck_assert_int_eq(gc_expect_load_string("{" HEAD ", \"grad\": {\"b1\": [1.5, -2], \"W1\": "
                     "[[1, 2, 3]]}, \"notes\": [\"one\", \"two\"]}", NULL, &e, &err), GC_OK);
    ck_assert_str_eq(e->tool, "t");
    ck_assert_int_eq(e->ntensors, 2);
    const gc_expect_tensor *b = gc_expect_find(e, "b1"), *W = gc_expect_find(e, "W1");
    ck_assert(b != NULL && b->rows == 2 && b->cols == 1 && b->grad[1] == -2.0);
    ck_assert(W != NULL && W->rows == 1 && W->cols == 3 && W->grad[2] == 3.0);
    ck_assert_ptr_null(gc_expect_find(e, "W2"));
    ck_assert_int_eq(e->nnotes, 2);
    ck_assert_str_eq(e->notes[1], "two");
    gc_expect_free(e);
    gc_expect_free(NULL);
    gc_expect_report_free(NULL);
    ck_assert_int_eq(gc_expect_load("/nonexistent/e.json", &e, &err), GC_EIO);
    ck_assert_msg(strstr(err.msg, "/nonexistent/e.json: cannot open: ") != NULL, "%s", err.msg);
    ck_assert(gc_expect_failed(NULL, NULL));
}
END_TEST

Suite *make_expect_suite(void)
{
    Suite *s = suite_create("expect");
    TCase *tc = tcase_create("expect");
    tcase_add_loop_test(tc, test_expect_fixtures_agree, 0,
                        (int)(sizeof FIXTURES / sizeof FIXTURES[0]));
    tcase_add_test(tc, test_expect_tool_off_by_1pct_blames_the_tool);
    tcase_add_test(tc, test_expect_transposed_export_blames_the_export);
    tcase_add_loop_test(tc, test_expect_blame_table, 0, (int)(sizeof BLAME / sizeof BLAME[0]));
    tcase_add_test(tc, test_expect_loss_band);
    tcase_add_test(tc, test_expect_missing_and_misshapen_tensors);
    tcase_add_loop_test(tc, test_expect_rejects_malformed, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, test_expect_loads_notes_and_vectors);
    suite_add_tcase(s, tc);
    return s;
}
