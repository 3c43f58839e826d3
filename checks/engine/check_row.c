/*
 * check_row.c -- the batched rows' shortcut (lib/engine/row.c,
 * gc_rows_decide_given) is the full rule: gc_verdict_pass_final is
 * gc_judge's pass together with gc_verdict_stable's, over a grid of edge
 * cases (NaN, Inf, signed zeros, numbers exactly on the band's edges and
 * one ulp either side, losses not finite), and the rows it fills are byte
 * for byte those gc_row_decide_from fills one at a time, with the same
 * rows marked for the reference.  The block's rows go 8 at a time through
 * row.c's vector lanes, the last ones through its scalar loop: a build
 * whose lanes round the bound once more (-DGC_ROWS_LANES_MUTANT) fails
 * test_rows_given_match_one_at_a_time, and so does one that leaves a
 * row's padding as it was (-DGC_PLAN_PAD_MUTANT): the block locates its
 * rows, in element order or not, and every byte is its own.  The losses
 * come from a model of each element (model_of), which also answers the
 * confirming step of the rows refuted at ε (lib/engine/row.c, confirm).
 */
#include <check.h>
#include <gradcheck.h>
#include <engine/row.h>
#include <engine/verdict.h>

#include "engine_testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NA 12
#define NOPTS 5

/* Option sets: the defaults, edges in powers of two (exact bands), atol
 * alone, adaptive with an estimate, a float32-style floor. */
static void opts_of(int k, gc_check_opts *o, double *est, double *floor)
{
    gc_check_opts_init(o);
    o->eps = 1e-6;
    *est = NAN;
    *floor = 0.0;
    switch (k) {
    case 1:
        o->rtol = 0x1p-16;
        o->atol = 0.0;
        break;
    case 2:
        o->rtol = 0.0;
        o->atol = 0x1p-20;
        break;
    case 3:
        o->adaptive = 1;
        *est = 0x1p-24;
        break;
    case 4:
        *floor = 0x1p-12;
        break;
    default:
        break;
    }
}

static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

/* Every (a, n, bound, b, finite, step) of the grid: n near a and on the
 * band's edge, the bound and b on the band's edges, each one ulp either
 * side; the shortcut's answer and band against the rule's. */
START_TEST(test_pass_final_is_judge_and_stable)
{
    const double as[NA] = {0.0, -0.0, 1.0, -1.0, 1e-3, 3.5, 1e300, 5e-324,
                           -0x1p-8, NAN, INFINITY, -INFINITY};
    size_t ncases = 0, npass = 0, nedge = 0;
    for (int k = 0; k < NOPTS; k++) {
        gc_check_opts o;
        double est, floor;
        opts_of(k, &o, &est, &floor);
        for (int ia = 0; ia < NA; ia++) {
            const double a = as[ia];
            const double w = gc_band(a, a, est, floor, &o);
            const double ns[] = {a, a + w, a - w, nextafter(a + w, INFINITY),
                                 nextafter(a - w, -INFINITY), nextafter(a + w, 0.0),
                                 a * (1.0 + 0x1p-20), 0.0, -a, NAN, INFINITY, a + 0.5 * w};
            for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
                const double n = ns[in], d = fabs(a - n);
                const double band = gc_band(a, n, est, floor, &o);
                const double Bs[] = {0.0, band, nextafter(band, 0.0), nextafter(band, INFINITY),
                                     0.5 * band, band - d, NAN, INFINITY};
                const double bs[] = {0.0, 0x1p-40, 0x1p-30, band - d, nextafter(band - d, 0.0),
                                     0.25 * (band - d), NAN, INFINITY};
                for (size_t iB = 0; iB < sizeof Bs / sizeof Bs[0]; iB++)
                    for (size_t ib = 0; ib < sizeof bs / sizeof bs[0]; ib++)
                        for (int fin = 0; fin <= 1; fin++)
                            for (int st = 0; st <= 1; st++) {
                                gc_fd_point p = {.numeric = n, .bound = Bs[iB],
                                                 .trunc_est = est, .slope_lo = NAN,
                                                 .slope_hi = NAN, .step = st ? 1e-6 : 0x1p-20,
                                                 .floor = floor, .finite = fin,
                                                 .bad_side = fin ? 0 : 2};
                                gc_reason why;
                                double want_band, got_band = -1.0;
                                const double b = bs[ib];
                                const int want =
                                    gc_judge(a, &p, &o, &why, &want_band) == GC_PASS &&
                                    gc_verdict_stable(a, &p, GC_PASS, &o, b);
                                const int got = gc_verdict_pass_final(a, &p, &o, b, &got_band);
                                if (got != want || !same_bits(got_band, want_band))
                                    ck_abort_msg("opts %d, a %.17g, n %.17g, bound %.17g, "
                                                 "b %.17g, finite %d, step %g: shortcut %d "
                                                 "band %.17g, rule %d band %.17g",
                                                 k, a, n, Bs[iB], b, fin, p.step, got,
                                                 got_band, want, want_band);
                                ncases++;
                                npass += want;
                                nedge += want && (d == band || Bs[iB] == band ||
                                                  d + b == band);
                            }
            }
        }
    }
    /* the grid reaches both answers, and passes exactly on an edge */
    ck_assert_msg(npass >= 1000 && ncases - npass >= 1000, "%zu sure passes of %zu", npass,
                  ncases);
    ck_assert_msg(nedge > 100, "only %zu sure passes on a band's edge", nedge);
}
END_TEST

/* The loss along one element of the synthetic tensor: L0 + s (v - x0) +
 * curv (v - x0)^2, s = lo below x0 and hi above, not finite below x0 when
 * bad_low is (its value). */
typedef struct row_model {
    double x0, lo, hi, curv, bad_low;
} row_model;

static double model_loss(const row_model *m, double L0, double v)
{
    const double d = v - m->x0;
    if (d < 0.0 && m->bad_low != 0.0)
        return m->bad_low;
    return L0 + (d < 0.0 ? m->lo : m->hi) * d + m->curv * d * d;
}

/* The model of a row of element value x0, analytic a, under pattern k:
 * exact, a refuting error, an error on the band's edge, a kink, a flat
 * one, losses not finite below. */
static row_model model_of(gc_pcg32 *rng, int k, double x0, double a, const gc_check_opts *o)
{
    row_model m = {x0, a, a, 0.5 * (gc_pcg32_uniform(rng) - 0.5), 0.0};
    double n = a;
    switch (k) {
    case 1: /* refuted */
        n = a * (1.0 + 1e-3) + 1e-6;
        break;
    case 2: /* on the band's edge, either side */
        n = a + (gc_pcg32_bounded(rng, 2) ? 1.0 : -1.0) * o->rtol * fabs(a) *
                    (1.0 + (gc_pcg32_uniform(rng) - 0.5) * 1e-6);
        break;
    case 3: /* a kink: the slopes differ by O(1) */
        m.lo = a - 0.5;
        m.hi = a + 0.5;
        m.curv = 0.0;
        return m;
    case 4:
        m.lo = m.hi = m.curv = 0.0;
        return m;
    case 5:
        m.bad_low = gc_pcg32_bounded(rng, 2) ? NAN : INFINITY;
        m.curv = 0.0;
        return m;
    default:
        break;
    }
    m.lo = m.hi = n;
    return m;
}

/* An evaluator of the models: what a refutation's confirming step asks. */
typedef struct model_eval {
    gc_eval head;
    const row_model *m;
    double L0;
} model_eval;

static double model_loss_at(gc_eval *ev, const gc_target *t, size_t i, double v)
{
    (void)t;
    const model_eval *me = (const model_eval *)ev;
    return model_loss(&me->m[i], me->L0, v);
}

static void model_restore(gc_eval *ev, const gc_target *t, size_t i, double x0)
{
    (void)ev, (void)t, (void)i, (void)x0;
}

static void model_mark_low(gc_eval *ev, int layer)
{
    (void)ev, (void)layer;
}

static int model_kink_hook(gc_eval *ev, int layer)
{
    (void)ev, (void)layer;
    return 0;
}

static const gc_eval_ops model_ops = {model_loss_at, model_restore, model_mark_low,
                                      model_kink_hook, NULL, NULL, NULL, NULL};

#define ROWS 7
#define COLS 9
#define M (ROWS * COLS)

/* A tensor's rows from synthetic losses, the shortcut's block against
 * gc_row_decide_from one row at a time (the batched rows' path before),
 * over loop index = seed: every byte of every row, and the rows marked. */
START_TEST(test_rows_given_match_one_at_a_time)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, gc_ck_base_seed() ^ 0x5a0e5u, (uint64_t)_i);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.eps = _i % 3 == 0 ? 1e-6 : 0x1p-20;
    o.atol = _i % 4 == 1 ? 0.0 : o.atol;
    o.rtol = _i % 5 == 2 ? 0x1p-16 : o.rtol;
    double value[M], grad[M], L[2 * M];
    size_t idx[2 * M];
    gc_target tg[2];
    memset(tg, 0, sizeof tg);
    tg[1].rows = ROWS;
    tg[1].cols = COLS;
    tg[1].value = value;
    tg[1].grad = grad;
    const double L0 = 2.0 * gc_pcg32_uniform(&rng) + 0.1;
    size_t nkind[6] = {0};
    row_model model[M];
    for (int e = 0; e < M; e++) {
        value[e] = 4.0 * gc_pcg32_uniform(&rng) - 2.0;
        grad[e] = e % 11 == 0 ? 0.0 : 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    }
    for (int e = 0; e < M; e++) { /* row e: element el, in order or 4 on (mod M) */
        const int el = _i / 2 % 2 ? e : e * 4 % M;
        const int kind = gc_pcg32_bounded(&rng, 4) == 0 ? 1 + (int)gc_pcg32_bounded(&rng, 5) : 0;
        nkind[kind]++;
        model[el] = model_of(&rng, kind, value[el], grad[el], &o);
        L[2 * e] = model_loss(&model[el], L0, value[el] - o.eps);
        L[2 * e + 1] = model_loss(&model[el], L0, value[el] + o.eps);
        idx[2 * e] = idx[2 * e + 1] = (size_t)el;
    }
    tg[1].grad_scale = 1.0;
    model_eval me = {{&model_ops, 0}, model, L0};
    const gc_fd_ctx c = {&me.head, &o, L0, fabs(L0) * 3.0, 0.0};
    const double b = _i % 2 ? 1e-9 : 0.0;
    gc_row block[M], one[M];
    unsigned char rb[M], ro[M];
    memset(rb, 0, sizeof rb);
    memset(ro, 0, sizeof ro);
    for (int e = 0; e < M; e++) {
        const int el = (int)idx[2 * e];
        memset(&one[e], 0, sizeof one[e]);
        one[e].tensor = 1;
        one[e].row = el / COLS;
        one[e].col = el % COLS;
        one[e].analytic = grad[el];
    }
    memset(block, 0xcd, sizeof block); /* every byte is the block's to write */
    gc_rows_decide_given(&c, tg, 1, block, M, idx, L, b, rb);
    size_t nsure = 0;
    for (int e = 0; e < M; e++) {
        const int el = (int)idx[2 * e];
        gc_fd_point p;
        double band;
        gc_fd_central_given(&c, &tg[1], (size_t)el, L[2 * e], L[2 * e + 1], 0, &p);
        nsure += gc_verdict_pass_final(grad[el], &p, &o, b, &band);
        const gc_verdict v = gc_row_decide_from(&c, tg, &one[e], &p, 1);
        ro[e] = !gc_verdict_stable(grad[el], &p, v, &o, b);
        if (memcmp(&block[e], &one[e], sizeof one[e]) != 0 || rb[e] != ro[e])
            ck_abort_msg("row %d, element %d (%d, %d): block (%d, %d) %s numeric %.17g band "
                         "%.17g recheck %d, one at a time %s numeric %.17g band %.17g recheck %d",
                         e, el, el / COLS, el % COLS, block[e].row, block[e].col,
                         gc_verdict_name(block[e].verdict),
                         block[e].numeric, block[e].band, rb[e],
                         gc_verdict_name(one[e].verdict), one[e].numeric, one[e].band, ro[e]);
    }
    ck_assert_msg(nsure > 0 && nsure < M, "%zu sure passes of %d rows", nsure, M);
}
END_TEST

Suite *make_row_suite(void)
{
    Suite *s = suite_create("row");
    TCase *tc = tcase_create("shortcut");
    tcase_add_test(tc, test_pass_final_is_judge_and_stable);
    tcase_add_loop_test(tc, test_rows_given_match_one_at_a_time, 0, 200);
    suite_add_tcase(s, tc);
    return s;
}
