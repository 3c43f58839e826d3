/*
 * check_parallel.c -- the rows on threads with the sparse-change evaluator
 * (lib/engine/parallel.c) give the reference evaluator's check: the same
 * elements, numbers within the rounding bound, the same verdicts (a row a
 * rounding difference could decide is recomputed by the reference), and a
 * report that does not depend on the number of threads.
 *
 * GC_SEED (gc_ck_base_seed) and GC_CASES (default 100) steer the random
 * networks; a failure names the gradcheck command line of its network.
 */
#include <check.h>
#include <gradcheck.h>

#include "engine_testutil.h"
#include "props/props.h"
#include "rounding_bound.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ncases(int dflt)
{
    const char *s = getenv("GC_CASES");
    int n = s != NULL && *s != '\0' ? atoi(s) : dflt;
    return n > 0 ? n : dflt;
}

/* ---- the two engines give the same check ---------------------------------- */

/*
 * How far the two engines' numerical derivatives may be apart, given the
 * bound e on each loss evaluation's rounding (loss_bound): with both L(θ±h)
 * within e of the exact value in each engine, their differences are within
 * 2e each, and
 *   central    n = (L+ - L-) / (x+ - x-):  |Δn| <= 4e / (x+ - x-) ≈ 2e / ε;
 *   forward    n = (L+ - L0) / (x+ - x0):  L0 is the same cached pass, so
 *                                           |Δn| <= 2e / ε;
 *   richardson n = Σ c_i D_i over central differences at h_i = ε / 2^i, so
 *              |Δn| <= Σ |c_i| 2^i (2e / ε), with the c_i of the tableau
 *              (richardson_weight below computes Σ |c_i| 2^i).
 * A factor 1.01 covers x+ - x- differing from 2ε by rounding.
 */
static double richardson_weight(void)
{
    /* R[i][j] = R[i][j-1] + (R[i][j-1] - R[i-1][j-1]) / (4^j - 1) is linear
     * in the D's: run it on each unit vector to get c_i. */
    double w = 0.0;
    for (int u = 0; u < GC_RICHARDSON_LEVELS; u++) {
        double R[GC_RICHARDSON_LEVELS][GC_RICHARDSON_LEVELS];
        for (int i = 0; i < GC_RICHARDSON_LEVELS; i++) {
            R[i][0] = i == u;
            double p4 = 1.0;
            for (int j = 1; j <= i; j++) {
                p4 *= 4.0;
                R[i][j] = R[i][j - 1] + (R[i][j - 1] - R[i - 1][j - 1]) / (p4 - 1.0);
            }
        }
        w += fabs(R[GC_RICHARDSON_LEVELS - 1][GC_RICHARDSON_LEVELS - 1]) * (double)(1 << u);
    }
    return w;
}

/* Compare reference and fast on case c with method m; returns the number of
 * rows compared, adds those with bit-identical numbers to *nsame. */
static size_t engines_agree(const props_case *c, gc_method m, size_t *nsame)
{
    char cmd[512];
    props_case_command(c, m == GC_METHOD_CENTRAL      ? "--inputs"
                          : m == GC_METHOD_FORWARD    ? "--inputs --method forward"
                                                      : "--inputs --method richardson",
                       cmd, sizeof cmd);
    gc_error err = {0};
    gc_net *net = props_case_build(c, &err);
    if (net == NULL)
        return 0; /* not a valid description: not a counter-example */
    gc_report *ref = tu_check_with(net, m, GC_ENGINE_REFERENCE, 1, 0);
    gc_report *fast = tu_check_with(net, m, GC_ENGINE_FAST, 2, 0);
    double e = tu_loss_rounding_bound(net);
    double eps = ref->opts.eps;
    double w = m == GC_METHOD_CENTRAL ? 1.0 : m == GC_METHOD_FORWARD ? 1.0 : richardson_weight();
    double bound = 1.01 * w * 2.0 * e / eps;
    /* central rows take batched losses: a values op's vector exps add up
     * to GC_LOSS_VALUES_BOUND(rows) u |L| to each loss (lib/gradcheck/layer.h),
     * so (2 of them over the step 2ε) VB u |L| / ε to n, with |L(θ ± ε)| <=
     * |L0| + ε max|a| to first order (doubled: room for the second) */
    if (m == GC_METHOD_CENTRAL && net->loss->values != NULL) {
        double amax = 0.0;
        for (size_t k = 0; k < ref->nrows; k++)
            if (isfinite(ref->rows[k].analytic))
                amax = fmax(amax, fabs(ref->rows[k].analytic));
        bound += 1.01 * GC_LOSS_VALUES_BOUND(net->act[net->nlayers]->rows) * (DBL_EPSILON / 2) *
                 (fabs(ref->loss) + 2.0 * eps * amax) / eps;
    }
    ck_assert_str_eq(gc_engine_name(ref->opts.engine), "reference");
    ck_assert_str_eq(gc_engine_name(fast->opts.engine), "fast");
    ck_assert_msg(ref->nrows == fast->nrows, "%s: %zu rows vs %zu", cmd, ref->nrows, fast->nrows);
    size_t same = 0;
    for (size_t k = 0; k < ref->nrows; k++) {
        const gc_row *a = &ref->rows[k], *b = &fast->rows[k];
        const char *name = ref->tensors[a->tensor].name;
        ck_assert_msg(a->tensor == b->tensor && a->row == b->row && a->col == b->col &&
                          memcmp(&a->analytic, &b->analytic, sizeof a->analytic) == 0,
                      "%s: row %zu is a different element", cmd, k);
        ck_assert_msg(fabs(a->numeric - b->numeric) <= bound || (isnan(a->numeric) && isnan(b->numeric)),
                      "%s: %s[%d][%d]: numeric reference %.17g fast %.17g differ by %.3g > "
                      "rounding bound %.3g",
                      cmd, name, a->row, a->col, a->numeric, b->numeric,
                      fabs(a->numeric - b->numeric), bound);
        /* The same verdict, always: where the rounding difference could
         * decide it, the fast engine recomputes the row as the reference
         * does (lib/engine/verdict.c, gc_verdict_stable). */
        ck_assert_msg(a->verdict == b->verdict,
                      "%s: %s[%d][%d]: verdict reference %s fast %s (analytic %.17g, numeric "
                      "%.17g vs %.17g, rel %.3g vs %.3g, hook %d vs %d)",
                      cmd, name, a->row, a->col, gc_verdict_name(a->verdict),
                      gc_verdict_name(b->verdict), a->analytic, a->numeric, b->numeric,
                      a->rel_err, b->rel_err, a->hook, b->hook);
        /* where the fast engine asked the reference, the numbers are its */
        if (memcmp(&a->numeric, &b->numeric, sizeof a->numeric) == 0)
            same++;
        ck_assert_msg(a->hook == b->hook, "%s: %s[%d][%d]: kink hook reference %d fast %d", cmd,
                      name, a->row, a->col, a->hook, b->hook);
    }
    ck_assert_int_eq(ref->npass, fast->npass);
    ck_assert_int_eq(ref->nkink, fast->nkink);
    ck_assert_int_eq(ref->nfail, fast->nfail);
    ck_assert_int_eq(ref->nvacuous, fast->nvacuous);
    /* the same evaluations per row, plus those of rows asked again */
    ck_assert_msg(fast->nevals >= ref->nevals, "%s: %llu evaluations vs %llu", cmd,
                  fast->nevals, ref->nevals);
    *nsame += same;
    size_t n = ref->nrows;
    gc_report_free(ref);
    gc_report_free(fast);
    gc_net_free(net);
    return n;
}

/* Loop index = case; smooth and kinked networks alternate, central for all,
 * forward and richardson for every fourth. */
START_TEST(test_engines_agree)
{
    props_case c;
    props_case_draw(&c, gc_ck_base_seed() ^ 0xfa57u, _i / 2, _i % 2 ? PROPS_KINKED : PROPS_SMOOTH);
    size_t same = 0;
    size_t rows = engines_agree(&c, GC_METHOD_CENTRAL, &same);
    if (_i % 4 < 2) {
        rows += engines_agree(&c, GC_METHOD_FORWARD, &same);
        rows += engines_agree(&c, GC_METHOD_RICHARDSON, &same);
    }
    (void)rows;
}
END_TEST

/* A row exactly on the pass threshold (rtol set to the reference's own
 * rel_err for it, atol 0): the fast engine must notice that rounding could
 * decide it and take the reference's computation, bit for bit. */
START_TEST(test_borderline_rows_take_the_reference_verdict)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 5);
    gc_net *net = gc_net_from_arch("5-4-3", "tanh,identity", "softmax_ce", 2, GC_INIT_XAVIER,
                                   &rng, NULL);
    ck_assert_ptr_nonnull(net);
    gc_report *base = tu_check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_REFERENCE, 1, 0);
    for (size_t k = 0; k < base->nrows; k += 7) {
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.rtol = base->rows[k].rel_err;
        o.atol = 0.0;
        o.inputs = 1;
        gc_report *ref = NULL, *fast = NULL;
        o.engine = GC_ENGINE_REFERENCE;
        ck_assert_int_eq(gc_check_net(net, &o, &ref, NULL), GC_OK);
        o.engine = GC_ENGINE_FAST;
        o.threads = 2;
        ck_assert_int_eq(gc_check_net(net, &o, &fast, NULL), GC_OK);
        const gc_row *a = &ref->rows[k], *b = &fast->rows[k];
        ck_assert_msg(a->verdict == GC_PASS, "row %zu: on the threshold, the reference passes", k);
        ck_assert_msg(memcmp(&a->numeric, &b->numeric, sizeof a->numeric) == 0,
                      "row %zu (%s[%d][%d]): numeric reference %.17g fast %.17g: not recomputed "
                      "as the reference does", k, ref->tensors[a->tensor].name, a->row, a->col,
                      a->numeric, b->numeric);
        for (size_t q = 0; q < ref->nrows; q++)
            ck_assert_msg(ref->rows[q].verdict == fast->rows[q].verdict, "row %zu: %s vs %s", q,
                          gc_verdict_name(ref->rows[q].verdict),
                          gc_verdict_name(fast->rows[q].verdict));
        ck_assert_msg(fast->nevals > ref->nevals, "no row was asked again (%llu vs %llu)",
                      fast->nevals, ref->nevals);
        gc_report_free(ref);
        gc_report_free(fast);
    }
    gc_report_free(base);
    gc_net_free(net);
}
END_TEST

/* ---- threads: the report does not depend on them ---------------------------- */

static char *json_of(const gc_report *r, size_t *len)
{
    char *buf = tu_render(gc_report_write_json, r, len);
    ck_assert_msg(buf != NULL, "the JSON writer or its memory stream failed");
    return buf;
}

/* 1, 2 and 3 threads give byte-identical JSON, with kinks (relu), inputs,
 * and with and without the screen. */
START_TEST(test_report_identical_across_threads)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 11);
    gc_error err = {0};
    gc_net *net = gc_net_from_arch("9-12-7-3", "relu,tanh,identity", "softmax_ce", 5,
                                   GC_INIT_HE, &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    for (int screen = 0; screen <= 1; screen++) {
        size_t len1 = 0;
        gc_report *r1 = tu_check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, 1, screen);
        char *j1 = json_of(r1, &len1);
        for (int th = 2; th <= 3; th++) {
            size_t len = 0;
            gc_report *r = tu_check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, th, screen);
            char *j = json_of(r, &len);
            ck_assert_msg(len == len1 && memcmp(j, j1, len) == 0,
                          "screen %d: JSON at %d threads (%zu bytes) differs from 1 thread "
                          "(%zu bytes)", screen, th, len, len1);
            free(j);
            gc_report_free(r);
        }
        ck_assert_msg(strstr(j1, "\"engine\": \"fast\"") != NULL, "JSON does not name the engine");
        free(j1);
        gc_report_free(r1);
    }
    gc_net_free(net);
}
END_TEST

/* ---- the summaries gathered chunk by chunk are those of the rows -------- */

/* The engine's summaries and totals of r against what gc_report_rebuild
 * makes from the same rows afterwards (one plain pass, check_sort.c's
 * oracle), bit for bit; `what` names the case. */
static void assert_summaries_of_rows(gc_report *r, const char *what, int threads)
{
    const size_t nt = (size_t)r->ntensors;
    gc_tensor_report *had = malloc(nt * sizeof *had);
    ck_assert_ptr_nonnull(had);
    memcpy(had, r->tensors, nt * sizeof *had);
    const int npass = r->npass, nfail = r->nfail, nund = r->nundecided, nesc = r->nescalated;
    const int nweak = r->nweak, nkink = r->nkink, nvac = r->nvacuous;
    ck_assert_int_eq(gc_report_rebuild(r), GC_OK);
    for (size_t t = 0; t < nt; t++) {
        const gc_tensor_report *g = &had[t], *w = &r->tensors[t];
        ck_assert_msg(memcmp(g, w, sizeof *g) == 0,
                      "%s, %d threads, %s: the check's summary (pass %d undecided %d escalated "
                      "%d, median %a, norm ratio %a, sensitivity %a) is not its rows' (%d %d %d, "
                      "%a, %a, %a)", what, threads, g->name, g->npass, g->nundecided,
                      g->nescalated, g->median_rel, g->norm_ratio, g->sens_median, w->npass,
                      w->nundecided, w->nescalated, w->median_rel, w->norm_ratio,
                      w->sens_median);
    }
    ck_assert_msg(npass == r->npass && nfail == r->nfail && nund == r->nundecided &&
                      nesc == r->nescalated && nweak == r->nweak && nkink == r->nkink &&
                      nvac == r->nvacuous, "%s, %d threads: the totals are not the rows'",
                  what, threads);
    free(had);
}

/* The fast check's summaries, gathered from each chunk of rows as it is
 * finished (and from a chunk again when the reference revised one of its
 * rows), are what its finished rows give, at 1 to 3 threads: with the
 * defaults; with a tolerance below the rows' rounding (rtol 1e-9, atol 0:
 * most rows undecided at ε, revised and escalated afterwards); and with
 * rtol on one row's own rel_err (that row revised by the reference). */
START_TEST(test_summaries_are_those_of_the_finished_rows)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 23);
    gc_error err = {0};
    /* 468 rows: chunks of 256 rows cut W1 and hold b1, W2, b2 together */
    gc_net *net = gc_net_from_arch("24-16-4", "tanh,identity", "softmax_ce", 3, GC_INIT_XAVIER,
                                   &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_report *ref = tu_check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_REFERENCE, 1, 0);
    const double rtols[3] = {0.0, 1e-9, ref->rows[300].rel_err};
    const char *names[3] = {"defaults", "rtol 1e-9", "rtol on row 300"};
    for (int c = 0; c < 3; c++) {
        for (int th = 1; th <= 3; th++) {
            gc_check_opts o;
            gc_check_opts_init(&o);
            if (c > 0) {
                o.rtol = rtols[c];
                o.atol = 0.0;
            }
            o.engine = GC_ENGINE_FAST;
            o.threads = th;
            gc_report *r = NULL;
            ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_OK);
            size_t escalated = 0;
            for (size_t k = 0; k < r->nrows; k++)
                escalated += r->rows[k].escalated != 0;
            ck_assert_msg(c != 1 || escalated > 100, "rtol 1e-9: %zu rows escalated", escalated);
            assert_summaries_of_rows(r, names[c], th);
            gc_report_free(r);
        }
    }
    gc_report_free(ref);
    gc_net_free(net);
}
END_TEST

Suite *make_parallel_suite(void)
{
    Suite *s = suite_create("parallel");
    TCase *te = tcase_create("engines");
    tcase_set_timeout(te, 120);
    tcase_add_loop_test(te, test_engines_agree, 0, ncases(100));
    tcase_add_test(te, test_borderline_rows_take_the_reference_verdict);
    suite_add_tcase(s, te);
    TCase *tt = tcase_create("threads");
    tcase_set_timeout(tt, 60);
    tcase_add_test(tt, test_report_identical_across_threads);
    tcase_add_test(tt, test_summaries_are_those_of_the_finished_rows);
    suite_add_tcase(s, tt);
    return s;
}
