/*
 * check_partial.c -- a partial report (opts.drop_passes) is the whole
 * report less its passing rows: the same summaries and totals bit for bit,
 * the rows not passed, each tensor's worst row and the report order's
 * first GC_PARTIAL_TOP rows exactly as the whole report has them, at 1 to
 * 3 threads and with both engines; the text and JUnit writers give it the
 * whole report's bytes; and everything that needs every row refuses it.
 * Keeping one first row fewer (-DGC_PARTIAL_TOP_MUTANT: 25 of the 51
 * checks fail), or holding one fewer of each chunk's on the threads
 * (-DGC_CHUNK_FIRST_MUTANT: 17 fail, all random networks) is caught: the
 * text report lists the row lost.
 *
 * The networks hold rows of every kind a partial check must get right: a
 * tolerance below the rounding (most rows undecided at ε, escalated and
 * revised by the reference), a tolerance on one row's own rel_err (that
 * row's chunk computed again), a gradient wrong by 1% in one element (a
 * fail, which asks for the conditioning estimate), a fail that estimate
 * makes undecided (check_conditioning.c's network) and one NaN in an analytic
 * gradient (a NaN rel_err, whose tensor's median is taken by the comparator,
 * not by the keys).  The rule gc_row_kept built with -DGC_PARTIAL_MUTANT
 * (undecided rows dropped) fails test_partial_is_whole_less_passes.
 *
 * A report without statistics (GC_DROP_STATS, what gradcheck --quiet asks
 * for) is the same less the worst rows kept and each tensor's statistics,
 * which are NaN (worst SIZE_MAX); its counts are the whole report's.  The
 * counts-only read built with -DGC_COUNTS_ONLY_MUTANT (every tensor
 * vacuous) fails test_partial_is_whole_less_passes,
 * test_partial_on_random_networks and test_partial_status_is_the_whole_status
 * (34 of the suite's 51 checks).
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/conditioning.h"
#include "engine_testutil.h"

/* 24-16-4, tanh then softmax cross-entropy, batch 3: 468 rows, so that the
 * fast engine's chunks of 256 rows cut W1 and hold b1, W2 and b2 together.
 * factor 0: a plain dense first layer; else one whose dW1[1][0] is
 * multiplied by factor. */
static gc_net *net_24_16_4(double factor)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 23, 54);
    gc_net *net = gc_net_new(&gc_loss_softmax_ce);
    ck_assert_ptr_nonnull(net);
    gc_layer *first = factor != 0.0 ? tu_wrong_dense_new(24, 16, factor) : gc_dense_new(24, 16);
    ck_assert_int_eq(gc_net_add(net, first, NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_TANH, 16, 0.0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(16, 4), NULL), GC_OK);
    gc_mat *X = gc_mat_new(24, 3), *T = gc_mat_new(4, 3);
    ck_assert(X != NULL && T != NULL);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    for (int c = 0; c < 3; c++)
        GC_AT(T, c % 4, c) = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    ck_assert_int_eq(tu_init_params(net, &rng), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

static gc_report *check(gc_net *net, const gc_check_opts *o)
{
    gc_report *r = NULL;
    gc_error err = {0};
    ck_assert_msg(gc_check_net(net, o, &r, &err) == GC_OK, "gc_check_net: %s", err.msg);
    return r;
}

#define SAME(a, b) (memcmp(&(a), &(b), sizeof(a)) == 0)

/* Row k of whole is among its first GC_PARTIAL_TOP rows of the report
 * order (first[0 .. n), gc_report_worst's). */
static int among(const size_t *first, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (first[i] == k)
            return 1;
    return 0;
}

/* part against whole: every total and summary the same bits, its rows
 * those of whole not passed, each tensor's worst and the whole's first
 * GC_PARTIAL_TOP rows of the report order, in order, each tensor's first,
 * count and worst on them.  stats 0 (GC_DROP_STATS): no worst or first row
 * kept, and each tensor's statistics NaN, its worst SIZE_MAX.  Returns how
 * many rows were dropped. */
static size_t assert_whole_less_passes(const gc_report *whole, const gc_report *part,
                                       const char *what, int stats)
{
    size_t first[GC_PARTIAL_TOP];
    const size_t nfirst = stats ? gc_report_worst(whole, first, GC_PARTIAL_TOP) : 0;
    ck_assert_msg(part->partial == (stats ? 1 : 2) && whole->partial == 0,
                  "%s: partial %d, whole %d", what, part->partial, whole->partial);
    ck_assert_msg(SAME(whole->loss, part->loss) && whole->ntensors == part->ntensors &&
                      whole->npass == part->npass && whole->nkink == part->nkink &&
                      whole->nfail == part->nfail && whole->nundecided == part->nundecided &&
                      SAME(whole->nreason, part->nreason) && whole->nweak == part->nweak &&
                      whole->nescalated == part->nescalated &&
                      whole->nvacuous == part->nvacuous && whole->restored == part->restored &&
                      whole->nevals == part->nevals && whole->nevals_rows == part->nevals_rows,
                  "%s: the totals differ (pass %d/%d fail %d/%d undecided %d/%d evals %llu/%llu)",
                  what, whole->npass, part->npass, whole->nfail, part->nfail, whole->nundecided,
                  part->nundecided, whole->nevals, part->nevals);
    size_t n = 0;
    for (int t = 0; t < whole->ntensors; t++) {
        gc_tensor_report a = whole->tensors[t], b = part->tensors[t];
        ck_assert_msg(b.first == n, "%s, %s: first %zu, expected %zu", what, a.name, b.first, n);
        size_t worst = b.first;
        for (size_t k = a.first; k < a.first + a.count; k++) {
            const gc_row *w = &whole->rows[k];
            if (!(w->verdict != GC_PASS || (stats && k == a.worst) || among(first, nfirst, k)))
                continue;
            ck_assert_msg(n < part->nrows && memcmp(w, &part->rows[n], sizeof *w) == 0,
                          "%s, %s(%d,%d) (%s): kept row %zu is not the whole report's", what,
                          a.name, w->row, w->col, gc_verdict_name(w->verdict), n);
            if (k == a.worst)
                worst = n;
            n++;
        }
        if (!stats) { /* the statistics, not computed */
            worst = SIZE_MAX;
            a.sens_median = a.sens_worst = a.max_rel = a.median_rel = a.norm_ratio = NAN;
        }
        ck_assert_msg(b.count == n - b.first && b.worst == worst, "%s, %s: count %zu worst %zu, "
                      "expected %zu and %zu", what, a.name, b.count, b.worst, n - b.first, worst);
        /* the rest of the summary, bit for bit */
        a.first = b.first;
        a.count = b.count;
        a.worst = b.worst;
        ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%s, %s: summary differs (median %a/%a, "
                      "norm ratio %a/%a, sensitivity %a/%a, max %a/%a)", what, a.name,
                      a.median_rel, b.median_rel, a.norm_ratio, b.norm_ratio, a.sens_median,
                      b.sens_median, a.max_rel, b.max_rel);
    }
    ck_assert_msg(part->nrows == n, "%s: %zu rows kept, expected %zu", what, part->nrows, n);
    return whole->nrows - n;
}

/* The text and JUnit writers give a partial report (with statistics) the
 * whole one's bytes: it holds every row they list. */
static void assert_same_listing(const gc_report *whole, const gc_report *part, const char *what)
{
    int (*writers[2])(const gc_report *, FILE *) = {gc_report_write_text,
                                                    gc_report_write_junit};
    for (int w = 0; w < 2; w++) {
        char *a = tu_render(writers[w], whole, NULL), *b = tu_render(writers[w], part, NULL);
        ck_assert_msg(a != NULL && b != NULL, "%s: writer %d failed", what, w);
        size_t at = 0;
        while (a[at] != '\0' && a[at] == b[at])
            at++;
        ck_assert_msg(a[at] == b[at], "%s: the %s report of the partial report differs at "
                      "byte %zu:\n%.200s\nnot\n%.200s", what, w == 0 ? "text" : "JUnit", at,
                      b + (at > 80 ? at - 80 : 0), a + (at > 80 ? at - 80 : 0));
        free(a);
        free(b);
    }
}

/* Loop index: the case.  Each at 1, 2, 3 threads with the fast engine and
 * with the reference. */
START_TEST(test_partial_is_whole_less_passes)
{
    static const struct {
        const char *name;
        double factor, rtol, atol; /* rtol < 0: row 300's own rel_err */
        int want_fail, want_undecided; /* case 5: see below */
    } cases[] = {
        {"defaults", 0.0, 1e-5, 1e-8, 0, 0},
        {"rtol 1e-9, atol 0", 0.0, 1e-9, 0.0, 0, 1},
        {"rtol on row 300", 0.0, -1.0, 0.0, 0, 0},
        {"dW1[1][0] wrong by 1%", 1.01, 1e-5, 1e-8, 1, 0},
        {"dW1[1][0] NaN", NAN, 1e-5, 1e-8, 1, 0},
        {"saturated bce, inputs", 0.0, 1e-5, 1e-8, 0, 0},
    };
    const int c = _i;
    const int saturated = c == 5;
    gc_net *net = saturated ? tu_saturated_bce_net() : net_24_16_4(cases[c].factor);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = saturated;
    o.rtol = cases[c].rtol;
    o.atol = cases[c].atol;
    if (o.rtol < 0.0) { /* the reference's rel_err of row 300 at the defaults */
        gc_check_opts d;
        gc_check_opts_init(&d);
        d.engine = GC_ENGINE_REFERENCE;
        gc_report *ref = check(net, &d);
        o.rtol = ref->rows[300].rel_err;
        gc_report_free(ref);
    }
    for (int e = 0; e < 2; e++) {
        for (int th = 1; th <= (e == 0 ? 3 : 1); th++) {
            char what[128];
            snprintf(what, sizeof what, "%s, %s engine, %d threads", cases[c].name,
                     e == 0 ? "fast" : "reference", th);
            o.engine = e == 0 ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
            o.threads = th;
            o.drop_passes = 0;
            gc_report *whole = check(net, &o);
            o.drop_passes = 1;
            gc_report *part = check(net, &o);
            o.drop_passes = GC_DROP_STATS;
            gc_report *counts = check(net, &o);
            ck_assert_msg(!cases[c].want_fail || whole->nfail > 0, "%s: no fail", what);
            ck_assert_msg(!cases[c].want_undecided || whole->nundecided > 0, "%s: no undecided",
                          what);
            /* where the rounding mode does not reach the arithmetic
             * (valgrind) the estimate is not made: the fail stays */
            ck_assert_msg(!saturated || (gc_cond_rounding_works()
                                             ? whole->nreason[GC_REASON_CONDITIONING] > 0
                                             : whole->nfail > 0),
                          "%s: nothing made undecided by the conditioning estimate", what);
            assert_same_listing(whole, part, what);
            size_t dropped = assert_whole_less_passes(whole, part, what, 1);
            ck_assert_msg(whole->npass <= GC_PARTIAL_TOP || dropped > 0,
                          "%s: no passing row dropped", what);
            assert_whole_less_passes(whole, counts, what, 0);
            gc_report_free(whole);
            gc_report_free(part);
            gc_report_free(counts);
        }
    }
    gc_net_free(net);
}
END_TEST

static int ncases(int dflt)
{
    const char *s = getenv("GC_CASES");
    int n = s != NULL && *s != '\0' ? atoi(s) : dflt;
    return n > 0 ? n : dflt;
}

/* Loop index = case: a random network (tu_random_net: smooth and kinked
 * alternate) with its input, fast engine at 1 to 3 threads and reference,
 * at the default tolerances and (every other pair of cases) at rtol 1e-9,
 * atol 0; every third case with the screen, every fifth sampling 3
 * elements a tensor. */
START_TEST(test_partial_on_random_networks)
{
    const uint64_t seed = gc_ck_base_seed() ^ 0x9a27u ^ (uint64_t)_i;
    gc_net *net = tu_random_net(seed, _i % 2);
    ck_assert_ptr_nonnull(net);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = 1;
    if (_i % 4 >= 2) {
        o.rtol = 1e-9;
        o.atol = 0.0;
    }
    o.screen = _i % 3 == 0;
    o.sample = _i % 5 == 0 ? 3 : 0;
    for (int e = 0; e < 2; e++) {
        char what[160];
        o.engine = e == 0 ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
        o.threads = e == 0 ? 1 + _i % 3 : 1;
        snprintf(what, sizeof what, "tu_random_net(%llu, %d), %s engine, %d threads, rtol %g, "
                 "screen %d, sample %d", (unsigned long long)seed, _i % 2,
                 gc_engine_name(o.engine), o.threads, o.rtol, o.screen, o.sample);
        o.drop_passes = 0;
        gc_report *whole = check(net, &o);
        o.drop_passes = 1;
        gc_report *part = check(net, &o);
        assert_same_listing(whole, part, what);
        assert_whole_less_passes(whole, part, what, 1);
        gc_report_free(part);
        o.drop_passes = GC_DROP_STATS;
        part = check(net, &o);
        assert_whole_less_passes(whole, part, what, 0);
        gc_report_free(whole);
        gc_report_free(part);
    }
    gc_net_free(net);
}
END_TEST

/* The writer's status and the bytes it wrote. */
static int written(int (*write)(const gc_report *, FILE *), const gc_report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_ptr_nonnull(f);
    int rc = write(r, f);
    fclose(f);
    free(buf);
    return rc;
}

/* The JSON writer, the rebuild, the merge and the sweep's pick refuse a
 * partial report (GC_EPARTIAL, nothing written), with or without its
 * statistics (loop index: drop_passes), and take the whole one; the text
 * and JUnit writers refuse one without statistics. */
START_TEST(test_what_needs_every_row_refuses_a_partial_report)
{
    gc_net *net = net_24_16_4(1.01);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.drop_passes = _i;
    gc_report *r = check(net, &o);
    const int want = _i ? GC_EPARTIAL : GC_OK;
    int (*writers[3])(const gc_report *, FILE *) = {gc_report_write_text, gc_report_write_json,
                                                    gc_report_write_junit};
    for (int w = 0; w < 3; w++) {
        size_t len = 0;
        int rc = written(writers[w], r, &len);
        const int want_w = w == 1 || _i == GC_DROP_STATS ? want : GC_OK;
        ck_assert_msg(rc == want_w && (want_w == GC_OK) == (len > 0),
                      "writer %d, partial %d: status %d (%s), %zu bytes", w, r->partial, rc,
                      gc_strerror(rc), len);
    }
    ck_assert_str_eq(gc_strerror(GC_EPARTIAL), "the report keeps only the rows that did not pass");
    gc_element picked[4];
    ck_assert_int_eq(gc_sweep_pick(r, 2, picked, 4) > 0, !_i);
    if (_i) {
        const gc_report *parts[1] = {r};
        gc_report *merged = NULL;
        gc_error err = {0};
        int bad = -1;
        ck_assert_int_eq(gc_report_merge(parts, 1, &merged, &bad, &err), GC_EPARTIAL);
        ck_assert_msg(bad == 0 && merged == NULL && strstr(err.msg, "part 1") != NULL,
                      "merge: bad %d, %s", bad, err.msg);
    }
    ck_assert_int_eq(gc_report_rebuild(r), want);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* A partial check's status is the whole check's, and its rows are only
 * those not passed, the worst and the first (none of them passes but a
 * tensor's worst or one of the report order's first GC_PARTIAL_TOP). */
START_TEST(test_partial_status_is_the_whole_status)
{
    static const double factors[3] = {0.0, 1.01, NAN};
    for (int c = 0; c < 3; c++) {
        gc_net *net = net_24_16_4(factors[c]);
        gc_check_opts o;
        gc_check_opts_init(&o);
        gc_report *whole = check(net, &o);
        for (int drop = GC_DROP_PASSES; drop <= GC_DROP_STATS; drop++) {
            o.drop_passes = drop;
            gc_report *part = check(net, &o);
            ck_assert_int_eq(gc_report_status(part), gc_report_status(whole));
            ck_assert_int_eq(gc_report_failed(part), gc_report_failed(whole));
            size_t passes = 0;
            for (size_t k = 0; k < part->nrows; k++)
                passes += part->rows[k].verdict == GC_PASS;
            /* without statistics no worst or first row is kept: none passes */
            const size_t most =
                drop == GC_DROP_STATS ? 0 : (size_t)part->ntensors + GC_PARTIAL_TOP;
            ck_assert_msg(passes <= most && part->nrows < whole->nrows,
                          "factor %g, drop_passes %d: %zu of %zu kept rows pass", factors[c],
                          drop, passes, part->nrows);
            gc_report_free(part);
        }
        gc_report_free(whole);
        gc_net_free(net);
    }
}
END_TEST

/* A layer check's hygiene (whose second point and batch steps are checks of
 * their own) says the same with a partial report, with or without its
 * statistics, as with a whole one: its messages count every row. */
START_TEST(test_partial_layer_check_hygiene_is_the_whole_ones)
{
    gc_report *r[3];
    for (int drop = 0; drop <= GC_DROP_STATS; drop++) {
        gc_layer *l = gc_dense_new(4, 3);
        ck_assert_ptr_nonnull(l);
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.drop_passes = drop;
        gc_error err = {0};
        ck_assert_msg(gc_check_layer(l, 2, &o, &r[drop], &err) == GC_OK, "%s", err.msg);
        ck_assert_ptr_nonnull(r[drop]->hygiene);
        gc_layer_free(l);
    }
    for (int drop = GC_DROP_PASSES; drop <= GC_DROP_STATS; drop++) {
        ck_assert_int_eq(r[drop]->partial, drop);
        for (int h = 0; h < GC_HYGIENE_COUNT; h++) {
            const gc_hygiene_result *a = &r[0]->hygiene->check[h];
            const gc_hygiene_result *b = &r[drop]->hygiene->check[h];
            ck_assert_msg(a->status == b->status && strcmp(a->detail, b->detail) == 0,
                          "%s, drop_passes %d: whole \"%s\", partial \"%s\"",
                          gc_hygiene_name(h), drop, a->detail, b->detail);
        }
    }
    for (int drop = 0; drop <= GC_DROP_STATS; drop++)
        gc_report_free(r[drop]);
}
END_TEST

Suite *make_partial_suite(void)
{
    Suite *s = suite_create("partial");
    TCase *tc = tcase_create("partial");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_partial_is_whole_less_passes, 0, 6);
    tcase_add_loop_test(tc, test_partial_on_random_networks, 0, ncases(40));
    tcase_add_loop_test(tc, test_what_needs_every_row_refuses_a_partial_report, 0, 3);
    tcase_add_test(tc, test_partial_status_is_the_whole_status);
    tcase_add_test(tc, test_partial_layer_check_hygiene_is_the_whole_ones);
    suite_add_tcase(s, tc);
    return s;
}
