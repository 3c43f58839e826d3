/*
 * check_block.c -- examples/block.c's transformer-block layers checked as
 * they are, through gc_check_func with default options: each layer over
 * random shapes (B, T, C, heads, vocabulary), and each layer's planted bugs
 * (examples/block_mutants.c, and a 1e-3 relative error in one element)
 * refuted.
 *
 * The double twins run at float64 precision.  The float32 code runs with
 * the options of gc_check_opts_init and nothing else: gc_check_func sees
 * the F32 tensors and checks at GC_PRECISION_FLOAT32 with the float32
 * step and tolerances (gradcheck/check.h).
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "block_mutants.h"

/* Cases per loop test: GC_CASES, default 20. */
static int block_cases(void)
{
    const char *s = getenv("GC_CASES");
    int n = s != NULL ? atoi(s) : 0;
    return n > 0 ? n : 20;
}

/* ---- shared glue ---------------------------------------------------------- */

/* Every layer's sizes; C = NH * hs so that attention can split it. */
typedef struct shape {
    int B, T, C, NH, OC, V, maxT;
} shape;

/* Draw a shape (B, T >= lo), start f with its callbacks and the shape as
 * ctx (freed by f->destroy).  NULL when out of memory. */
static shape *shape_new(gc_func *f, gc_pcg32 *rng, gc_func_fn fwd, gc_func_fn bwd, int lo)
{
    shape *s = malloc(sizeof *s);
    if (s == NULL)
        return NULL;
    s->B = lo + (int)gc_pcg32_bounded(rng, 4 - (uint32_t)lo);
    s->T = lo + (int)gc_pcg32_bounded(rng, 5 - (uint32_t)lo);
    s->NH = 1 + (int)gc_pcg32_bounded(rng, 3);
    s->C = s->NH * (1 + (int)gc_pcg32_bounded(rng, 3));
    if (s->C < 2)
        s->C = 2 * s->NH; /* a layernorm over one channel has no gradient to check */
    s->OC = 1 + (int)gc_pcg32_bounded(rng, 6);
    s->V = 2 + (int)gc_pcg32_bounded(rng, 6);
    s->maxT = s->T + (int)gc_pcg32_bounded(rng, 2);
    gc_func_init(f, fwd, bwd, s);
    f->destroy = free;
    return s;
}

/* Planted bug: the largest-magnitude element of gradient d[k] times
 * (1 + 1e-3), the earliest of those within a relative `tie` of each other:
 * gradients such as crossentropy's come in pairs of equal magnitude, and
 * the bug must sit on the same element whatever the rounding (the engine
 * runs the backward again under directed rounding to measure its roundoff,
 * engine/conditioning.h, which moves such a pair by an ulp or two). */
static void plant(gc_func_call *c, int k, gc_dtype dt)
{
    const double tie = dt == GC_DTYPE_F32 ? 1e-5 : 1e-9;
    size_t n = gc_func_numel(&c->f->t[k]), w = 0;
    for (size_t i = 1; i < n; i++) {
        double a = dt == GC_DTYPE_F32 ? ((float *)c->d[k])[i] : ((double *)c->d[k])[i];
        double b = dt == GC_DTYPE_F32 ? ((float *)c->d[k])[w] : ((double *)c->d[k])[w];
        if (fabs(a) > fabs(b) * (1.0 + tie))
            w = i;
    }
    if (dt == GC_DTYPE_F32)
        ((float *)c->d[k])[w] *= 1.0f + 1e-3f;
    else
        ((double *)c->d[k])[w] *= 1.0 + 1e-3;
}

typedef struct layer_case {
    const char *name;
    gc_ck_func_factory ok, mutant, planted;
    int k; /* the gradient d[k] the planted bug changes */
} layer_case;

#define DT GC_DTYPE_F32
#define FN(name) name
#include "block_glue.h"
#include "bug_glue.h"
#undef DT
#undef FN

#define DT GC_DTYPE_F64
#define FN(name) name##_f64
#include "block_glue.h"
#include "bug_glue.h"
#undef DT
#undef FN

#define NLAYERS ((int)(sizeof layer_cases / sizeof layer_cases[0]))

/* ---- the measurement (GC_VERBOSE) ------------------------------------------ */

/* With GC_VERBOSE set, one line per case on stderr: the status, the counts,
 * and the largest |a - n| / B over the elements decided at ε (not
 * escalated, no kink) and over the escalated ones -- how close the error
 * came to its bound (docs/measurements.md tallies these lines). */
static void tally(const char *layer, const char *what, int k, const gc_report *r)
{
    if (getenv("GC_VERBOSE") == NULL || r == NULL)
        return;
    static const char *const status[] = {"confirmed", "refuted", "?", "undecided"};
    double at_eps = 0.0, esc = 0.0;
    int nesc = 0;
    for (size_t q = 0; q < r->nrows; q++) {
        const gc_row *w = &r->rows[q];
        if (w->verdict == GC_KINK || !(w->num_err > 0.0))
            continue;
        double ratio = w->abs_err / w->num_err;
        nesc += w->escalated;
        if (w->escalated)
            esc = ratio > esc ? ratio : esc;
        else
            at_eps = ratio > at_eps ? ratio : at_eps;
    }
    fprintf(stderr, "block-tally %s %s %s seed %llu case %d: %s rows %zu fail %d undecided %d "
                    "kink %d escalated %d ratio-eps %.3g ratio-esc %.3g\n",
            r->opts.precision == GC_PRECISION_FLOAT32 ? "f32" : "f64", layer, what,
            (unsigned long long)gc_ck_base_seed(), k, status[gc_report_status(r)], r->nrows,
            r->nfail, r->nundecided, r->nkink, nesc, at_eps, esc);
}

/* Case k of factory `ok` checked (NULL on failure). */
static gc_report *correct_report(gc_ck_func_factory ok, int k)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, gc_ck_base_seed(), (uint64_t)k);
    gc_func f;
    gc_func_init(&f, NULL, NULL, NULL);
    gc_report *r = NULL;
    if (ok(&f, &rng) == GC_OK) {
        gc_check_opts o = gc_ck_case_opts(NULL, &rng);
        if (gc_check_func(&f, &o, &r, NULL) != GC_OK)
            r = NULL;
    }
    gc_func_destroy(&f);
    return r;
}

/* The float code's numeric against the double twin's analytic value at the
 * same case (the same shape and draws, the float tensors rounded): the
 * largest |n - a64| / B over the rows decided at ε and over the escalated
 * ones -- how close the numeric's own error came to its bound. */
static void tally_true(const char *layer, int k, const gc_report *r, const gc_report *r64)
{
    if (r64 == NULL || r64->nrows != r->nrows)
        return;
    double at_eps = 0.0, esc = 0.0;
    for (size_t q = 0; q < r->nrows; q++) {
        const gc_row *w = &r->rows[q];
        if (w->verdict == GC_KINK || !(w->num_err > 0.0))
            continue;
        /* the twin's point and constants are the float code's rounded: its
         * derivative may differ by a few u of the tensor's scale */
        double twin = 64.0 * 0x1p-24 * r->tensors[w->tensor].grad_scale;
        double ratio = fmax(0.0, fabs(w->numeric - r64->rows[q].analytic) - twin) / w->num_err;
        if (w->escalated)
            esc = ratio > esc ? ratio : esc;
        else
            at_eps = ratio > at_eps ? ratio : at_eps;
    }
    fprintf(stderr, "block-true %s seed %llu case %d: true-eps %.3g true-esc %.3g\n", layer,
            (unsigned long long)gc_ck_base_seed(), k, at_eps, esc);
}

/* Case k of a layer's correct factory again, for the tally (float32: and
 * its double twin's, for the true error). */
static void tally_correct(const layer_case *table, int l, int k)
{
    if (getenv("GC_VERBOSE") == NULL)
        return;
    gc_report *r = correct_report(table[l].ok, k);
    if (r != NULL) {
        tally(table[l].name, "ok", k, r);
        if (table == layer_cases) {
            gc_report *r64 = correct_report(layer_cases_f64[l].ok, k);
            tally_true(table[l].name, k, r, r64);
            gc_report_free(r64);
        }
    }
    gc_report_free(r);
}

/* ---- correct layers pass --------------------------------------------------- */

/* Loop index i = layer * cases + case, so one loop test covers every layer
 * and a failure names both. */
static void check_correct(const layer_case *table, int i)
{
    int n = block_cases();
    char msg[1536];
    int ok = gc_ck_func_case(table[i / n].ok, NULL, i % n, msg, sizeof msg, stderr);
    tally_correct(table, i / n, i % n);
    ck_assert_msg(ok, "%s: %s", table[i / n].name, msg);
}

START_TEST(test_block_f64_layers_pass)
{
    check_correct(layer_cases_f64, _i);
}
END_TEST

START_TEST(test_block_f32_layers_pass)
{
    check_correct(layer_cases, _i);
}
END_TEST

/* ---- planted bugs are refuted ---------------------------------------------- */

/* The row of the planted element: the largest |a| of tensor `name` (plant()
 * made it so), NULL when the tensor's rows are missing. */
static const gc_row *planted_row(const gc_report *r, const char *name)
{
    const gc_row *p = NULL;
    for (size_t q = 0; q < r->nrows; q++) {
        const gc_row *w = &r->rows[q];
        if (strcmp(r->tensors[w->tensor].name, name) == 0 &&
            (p == NULL || fabs(w->analytic) > fabs(p->analytic)))
            p = w;
    }
    return p;
}

/* Case i of layer `l`'s bug `which` (0 the mutant, 1 the 1e-3 element):
 * the check runs and refutes at least one element of the mutant.  The
 * planted element is never confirmed: it is refuted, or undecided with the
 * true gradient a0 = a / (1 + 1e-3) inside n ± B.  Then the planted error
 * P = a - a0 is no more than |a - n| + B, and an undecided row has |a - n|
 * <= band + B (+ A, backprop's own rounding, for "conditioning"): P <=
 * band + 2B + A, an error this measurement cannot separate from the band
 * (float32, GC_SEED=13571 case 14, crossentropy: P = 7.73e-4, band
 * 2.32e-4, B = 5.41e-4; |a - n| beat band + B by 2.9e-8, A = 1.2e-7, two
 * float ulps of a: undecided "conditioning"). */
static void check_refuted(const layer_case *table, int i)
{
    int n = block_cases(), l = i / (2 * n), which = i / n % 2, k = i % n;
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, gc_ck_base_seed(), (uint64_t)k);
    gc_func f;
    gc_func_init(&f, NULL, NULL, NULL);
    ck_assert_int_eq((which ? table[l].planted : table[l].mutant)(&f, &rng), GC_OK);
    gc_check_opts o = gc_ck_case_opts(NULL, &rng);
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    int rc = gc_check_func(&f, &o, &r, &err);
    char planted[GC_NAME_MAX];
    snprintf(planted, sizeof planted, "%s", f.t[table[l].k].name);
    gc_func_destroy(&f);
    ck_assert_msg(rc == GC_OK, "%s: %s", table[l].name, err.msg);
    tally(table[l].name, which ? "1e-3" : "mutant", k, r);
    if (!which) {
        ck_assert_msg(r->nfail > 0, "GC_SEED=%llu case %d: %s's mutant survived (%zu elements, "
                      "seed %llu)", (unsigned long long)gc_ck_base_seed(), k, table[l].name,
                      r->nrows, (unsigned long long)o.seed);
        gc_report_free(r);
        return;
    }
    const gc_row *p = planted_row(r, planted);
    ck_assert_msg(p != NULL, "%s: no rows of %s", table[l].name, planted);
    const double a0 = p->analytic / (1.0 + 1e-3);
    ck_assert_msg(p->verdict == GC_FAIL ||
                      (p->verdict == GC_UNDECIDED && fabs(p->numeric - a0) <= p->num_err),
                  "GC_SEED=%llu case %d: %s's 1e-3 element %s[%d][%d] survived: %s (%s), a %.9g, "
                  "n %.9g, B %.3g, band %.3g (%zu elements, seed %llu)",
                  (unsigned long long)gc_ck_base_seed(), k, table[l].name, planted, p->row,
                  p->col, gc_verdict_name(p->verdict), gc_reason_name(p->reason), p->analytic,
                  p->numeric, p->num_err, p->band, r->nrows, (unsigned long long)o.seed);
    gc_report_free(r);
}

START_TEST(test_block_f64_bugs_refuted)
{
    check_refuted(layer_cases_f64, _i);
}
END_TEST

START_TEST(test_block_f32_bugs_refuted)
{
    check_refuted(layer_cases, _i);
}
END_TEST

/* ---- the float code is checked at float precision ------------------------- */

START_TEST(test_block_f32_runs_at_float32)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 2);
    gc_func f;
    ck_assert_int_eq(re_ok(&f, &rng), GC_OK);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->opts.precision, GC_PRECISION_FLOAT32);
    /* float32's step and tolerances, not float64's left by the defaults */
    ck_assert(r->opts.eps == GC_DEFAULT_EPS_FLOAT32);
    ck_assert(r->opts.rtol == GC_DEFAULT_RTOL_FLOAT32);
    ck_assert(r->opts.atol == GC_DEFAULT_ATOL_FLOAT32);
    gc_report_free(r);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.rtol = 1e-4; /* a tolerance the caller chose is kept */
    ck_assert_int_eq(gc_check_func(&f, &o, &r, NULL), GC_OK);
    ck_assert(r->opts.rtol == 1e-4);
    ck_assert(r->opts.atol == GC_DEFAULT_ATOL_FLOAT32);
    ck_assert(r->opts.eps == GC_DEFAULT_EPS_FLOAT32);
    gc_report_free(r);
    gc_func_destroy(&f);
    ck_assert_int_eq(re_ok_f64(&f, &rng), GC_OK);
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->opts.precision, GC_PRECISION_FLOAT64);
    ck_assert(r->opts.eps == GC_DEFAULT_EPS && r->opts.rtol == GC_DEFAULT_RTOL);
    gc_report_free(r);
    gc_func_destroy(&f);
}
END_TEST

Suite *make_block_suite(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("f64");
    int n = block_cases();
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_block_f64_layers_pass, 0, NLAYERS * n);
    tcase_add_loop_test(tc, test_block_f64_bugs_refuted, 0, 2 * NLAYERS * n);
    tcase_add_test(tc, test_block_f32_runs_at_float32);
    suite_add_tcase(s, tc);
    TCase *t32 = tcase_create("f32");
    tcase_set_timeout(t32, 120);
    tcase_add_loop_test(t32, test_block_f32_layers_pass, 0, NLAYERS * n);
    tcase_add_loop_test(t32, test_block_f32_bugs_refuted, 0, 2 * NLAYERS * n);
    suite_add_tcase(s, t32);
    return s;
}
