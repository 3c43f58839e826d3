/*
 * check_loss.c -- the built-in losses: hand-derived values and gradients
 * (extreme logits included), each gradient against a central difference of
 * its own value, target validation and its messages, lookup by name.
 */
#include <check.h>
#include <gradcheck.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "testutil.h"

#define MAXE 6

typedef struct loss_case {
    const gc_loss *loss;
    int rows, cols;
    double p[MAXE], t[MAXE]; /* row-major, rows x cols */
    double L;                /* expected value */
    double g[MAXE];          /* expected gradient */
    double tol;              /* relative */
} loss_case;

/* ln 2 = 0.6931471805599453. */
#define LN2 0.6931471805599453

static const loss_case loss_cases[] = {
    /* bce, p = 1/2, t = 1: L = -log(1/2) = ln 2; dL/dp = (p - t) / (p (1 - p)) = -0.5 / 0.25 = -2. */
    {&gc_loss_bce, 1, 1, {0.5}, {1}, LN2, {-2}, 1e-15},
    /* bce, 1 x 2, p = (0.8, 0.4), t = (1, 0): L = -(log 0.8 + log 0.6) / 2
     * = (0.2231435513142097 + 0.5108256237659907) / 2 = 0.3669845875401002;
     * dL/dp = -(1/N)(t/p - (1-t)/(1-p)) = (-1/(2*0.8), 1/(2*0.6)) = (-0.625, 0.8333...). */
    {&gc_loss_bce, 1, 2, {0.8, 0.4}, {1, 0}, 0.3669845875401002, {-0.625, 1.0 / 1.2}, 1e-15},
    /* bce with a soft target t = 0.25 at p = 0.25: the minimum, gradient 0;
     * L = -(0.25 log 0.25 + 0.75 log 0.75) = 0.5623351446188083. */
    {&gc_loss_bce, 1, 1, {0.25}, {0.25}, 0.5623351446188083, {0}, 1e-15},
    /* bce_logits, z = 0, t = 1: L = log(1 + e^0) = ln 2; grad sigma(0) - 1 = -0.5. */
    {&gc_loss_bce_logits, 1, 1, {0}, {1}, LN2, {-0.5}, 1e-15},
    /* bce_logits at +-1e3 (naive log(1 + e^1000) overflows):
     *   z = 1e3, t = 0: L = 1000, grad sigma(1000) - 0 = 1;
     *   z = -1e3, t = 1: L = 0 - (-1000) + 0 = 1000, grad 0 - 1 = -1;
     *   z = -1e3, t = 0: L = log1p(e^-1000) = 0, grad 0;
     *   z = 1e3, t = 1: L = 1000 - 1000 + 0 = 0, grad 0.
     * Mean over N = 4: L = 500, gradients divided by 4. */
    {&gc_loss_bce_logits, 2, 2, {1e3, -1e3, -1e3, 1e3}, {0, 1, 0, 1}, 500, {0.25, -0.25, 0, 0}, 0},
    /* mse, p = (1, 2), t = (0, 4): L = (1 + 4) / 2 = 2.5; grad 2 (p - t) / 2 = (1, -2). */
    {&gc_loss_mse, 2, 1, {1, 2}, {0, 4}, 2.5, {1, -2}, 0},
    /* softmax_ce, one column, logits (log 1, log 2, log 3), t = (0, 0, 1):
     * softmax = (1/6, 2/6, 3/6), L = -log(1/2) = ln 2, grad = softmax - t = (1/6, 1/3, -1/2). */
    {&gc_loss_softmax_ce, 3, 1, {0, 0.6931471805599453, 1.0986122886681098}, {0, 0, 1}, LN2,
     {1.0 / 6, 2.0 / 6, -0.5}, 1e-15},
    /* softmax_ce, 2 x 2 with logits +-1e3: column 0 z = (1e3, -1e3), t = (0, 1):
     * lse = 1e3, L0 = -(-1e3 - 1e3) = 2000, grad (1, 0) - (0, 1) = (1, -1);
     * column 1 z = (1e3, -1e3), t = (1, 0): L1 = 0, grad 0.  Mean over B = 2:
     * L = 1000, gradients halved.  Row-major: p = (z00, z01, z10, z11). */
    {&gc_loss_softmax_ce, 2, 2, {1e3, 1e3, -1e3, -1e3}, {0, 1, 1, 0}, 1000, {0.5, 0, -0.5, 0}, 0},
    /* softmax_ce with a soft target (1/2, 1/2) on logits (0, 0): L = ln 2, grad 0. */
    {&gc_loss_softmax_ce, 2, 1, {0, 0}, {0.5, 0.5}, LN2, {0, 0}, 1e-15},
};

#define NLOSS_CASES ((int)(sizeof loss_cases / sizeof loss_cases[0]))

START_TEST(test_loss_table)
{
    const loss_case *c = &loss_cases[_i];
    gc_mat *P = gc_mat_new(c->rows, c->cols), *T = gc_mat_new(c->rows, c->cols), *G = gc_mat_new(c->rows, c->cols);
    int n = c->rows * c->cols;
    memcpy(P->data, c->p, (size_t)n * sizeof(double));
    memcpy(T->data, c->t, (size_t)n * sizeof(double));
    ck_assert_int_eq(c->loss->check_target(T, NULL), GC_OK);
    double L = c->loss->value(P, T);
    double r = tu_rel_err(L, c->L);
    ck_assert_msg(isfinite(L) && r <= c->tol, "row %d %s: L=%.17g want %.17g rel=%g", _i, c->loss->name, L, c->L, r);
    gc_mat_fill(G, NAN);
    c->loss->grad(G, P, T);
    for (int i = 0; i < n; i++) {
        double g = G->data[i], rg = tu_rel_err(g, c->g[i]);
        /* Expected zeros are met to 1e-16 absolute (rounding of sigma - t). */
        ck_assert_msg(isfinite(g) && (rg <= c->tol || (c->g[i] == 0.0 && fabs(g) <= 1e-16)),
                      "row %d %s: dP[%d][%d]=%.17g want %.17g rel=%g", _i, c->loss->name, i / c->cols,
                      i % c->cols, g, c->g[i], rg);
    }
    gc_mat_free(P); gc_mat_free(T); gc_mat_free(G);
}
END_TEST

/* Every loss's gradient against a central difference of its value on a 3 x 4
 * P drawn from PCG32 (probabilities in [0.1, 0.9] for bce; targets valid for
 * each loss).  h = 1e-6 on values of order 1: truncation ~h^2 = 1e-12,
 * rounding ~1e-16 / 1e-6 = 1e-10 absolute; 1e-6 relative or 1e-9 absolute. */
START_TEST(test_loss_grad_vs_central_difference)
{
    static const gc_loss *const losses[] = {&gc_loss_bce, &gc_loss_bce_logits, &gc_loss_mse, &gc_loss_softmax_ce};
    const gc_loss *loss = losses[_i];
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7u, (uint64_t)_i);
    gc_mat *P = gc_mat_new(3, 4), *T = gc_mat_new(3, 4), *G = gc_mat_new(3, 4);
    for (int i = 0; i < 12; i++) {
        P->data[i] = loss == &gc_loss_bce ? 0.1 + 0.8 * gc_pcg32_uniform(&rng) : 4 * gc_pcg32_uniform(&rng) - 2;
        T->data[i] = gc_pcg32_uniform(&rng);
    }
    if (loss == &gc_loss_softmax_ce) /* columns normalised to distributions */
        for (int c = 0; c < 4; c++) {
            double s = GC_AT(T, 0, c) + GC_AT(T, 1, c) + GC_AT(T, 2, c);
            for (int r = 0; r < 3; r++)
                GC_AT(T, r, c) /= s;
        }
    ck_assert_int_eq(loss->check_target(T, NULL), GC_OK);
    loss->grad(G, P, T);
    const double h = 1e-6;
    for (int i = 0; i < 12; i++) {
        double p0 = P->data[i];
        P->data[i] = p0 + h;
        double Lp = loss->value(P, T);
        P->data[i] = p0 - h;
        double Lm = loss->value(P, T);
        P->data[i] = p0;
        double num = (Lp - Lm) / (2 * h), r = tu_rel_err(G->data[i], num);
        ck_assert_msg(r <= 1e-6 || fabs(G->data[i] - num) <= 1e-9,
                      "%s: dP[%d][%d]: analytic=%.17g numeric=%.17g rel=%g", loss->name, i / 4, i % 4, G->data[i],
                      num, r);
    }
    gc_mat_free(P); gc_mat_free(T); gc_mat_free(G);
}
END_TEST

/* bce on probabilities does not clamp: p exactly 1 with t = 0 gives Inf (the
 * engine reports it as failure rather than checking a clamped function). */
START_TEST(test_bce_saturated_is_not_finite)
{
    gc_mat *P = gc_mat_new(1, 1), *T = gc_mat_new(1, 1), *G = gc_mat_new(1, 1);
    P->data[0] = 1.0;
    T->data[0] = 0.0;
    ck_assert(!isfinite(gc_loss_bce.value(P, T)));
    gc_loss_bce.grad(G, P, T);
    ck_assert(!isfinite(G->data[0]));
    gc_mat_free(P); gc_mat_free(T); gc_mat_free(G);
}
END_TEST

/* A network of one softmax layer (3 units) and bce on columns Z, targets T
 * (3 x cols each, row-major): dact[0] after a forward and backward is
 * dL/dZ through both. */
static gc_net *softmax_bce_net(int cols, const double *z, const double *t)
{
    gc_net *net = gc_net_new(&gc_loss_bce);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_SOFTMAX, 3, 0.0), NULL), GC_OK);
    gc_mat *Z = gc_mat_new(3, cols), *T = gc_mat_new(3, cols);
    memcpy(Z->data, z, 3 * (size_t)cols * sizeof *z);
    memcpy(T->data, t, 3 * (size_t)cols * sizeof *t);
    ck_assert_int_eq(gc_net_set_data(net, Z, T, NULL), GC_OK);
    gc_mat_free(Z);
    gc_mat_free(T);
    gc_net_forward(net);
    gc_net_backward(net);
    return net;
}

/* bce after softmax, a column whose largest p is 1 - 1.55e-14 (z = 0, -32,
 * -33.5; t = 0 there): 1 - p taken from that p rounded is good to only u /
 * 1.55e-14 = 0.7%, and the two-step backward (bce's dL/dp, then softmax's)
 * cancels dL/dp_k ~ 1 / (N (1 - p)) against sum_i p_i dL/dp_i, whose
 * difference is of order 1 / N: dL/dz off by 0.4% (the loss's own
 * conditioning is fine, every dL/dz is of order 1 / N).  The one-step
 * backward (loss.c) is within a few ulps of the exact values, and on a
 * second, well-conditioned column (p 0.41 at most) as well.  The exact
 * values: 50-digit decimal arithmetic on the binary values of z and t.  A
 * build with -DGC_SOFTMAX_BCE_TWO_STEP_MUTANT (the two-step arithmetic
 * always) fails here: its dL/dz_0 of column 0 is 0.33203. */
START_TEST(test_softmax_bce_backward_near_one)
{
    /* row-major 3 x 2: column 0 (0, -32, -33.5), column 1 (0.25, -0.5, 1) */
    static const double z[6] = {0.0, 0.25, -32.0, -0.5, -33.5, 1.0};
    static const double t[6] = {0.0, 1.0, 1.0, 0.0, 0.0, 0.5};
    static const double exact[6] = {3.33333333333327708203e-01, -1.37434763803914061775e-01,
                                    -3.02929079365603037832e-01, 3.90657151714065911663e-02,
                                    -3.04042539677246426155e-02, 9.83690486325074775475e-02};
    gc_net *net = softmax_bce_net(2, z, t);
    for (int i = 0; i < 6; i++) {
        double a = net->dact[0]->data[i], rel = fabs(a - exact[i]) / fabs(exact[i]);
        ck_assert_msg(rel <= 16 * DBL_EPSILON, "dL/dz[%d][%d] = %.17g, exact %.17g (rel %.2g)",
                      i / 2, i % 2, a, exact[i], rel);
    }
    /* dact[1] is still bce's own dL/dP */
    gc_mat *G = gc_mat_new(3, 2);
    gc_loss_bce.grad(G, net->act[1], net->T);
    ck_assert(memcmp(G->data, net->dact[1]->data, 6 * sizeof *G->data) == 0);
    gc_mat_free(G);
    gc_net_free(net);
}
END_TEST

/* Where softmax rounds p to exactly 1 (and the others to 0) the one-step
 * backward keeps the two-step arithmetic: bce's loss is not finite there,
 * and neither is any dL/dz. */
START_TEST(test_softmax_bce_backward_saturated)
{
    static const double z[3] = {0.0, -800.0, -800.0}, t[3] = {0.0, 1.0, 0.0};
    gc_net *net = softmax_bce_net(1, z, t);
    ck_assert(!isfinite(net->loss_value));
    for (int i = 0; i < 3; i++)
        ck_assert_msg(!isfinite(net->dact[0]->data[i]), "dL/dz[%d] = %g", i, net->dact[0]->data[i]);
    gc_net_free(net);
}
END_TEST

typedef struct target_case {
    const gc_loss *loss;
    int rows, cols;
    double t[8];
    int want;
    const char *msg; /* expected err.msg, "" when valid */
} target_case;

static const target_case target_cases[] = {
    /* 1 x 4: element (row 0, col 3) is 2: named y[example 3][unit 0]. */
    {&gc_loss_bce, 1, 4, {0, 1, 0.5, 2}, GC_ERANGE, "y[3][0]: expected a value in [0, 1], got 2"},
    {&gc_loss_bce, 1, 2, {0, 1}, GC_OK, ""},
    {&gc_loss_bce_logits, 2, 1, {0.5, -0.25}, GC_ERANGE, "y[0][1]: expected a value in [0, 1], got -0.25"},
    {&gc_loss_bce_logits, 1, 1, {NAN}, GC_ERANGE, "y[0][0]: expected a value in [0, 1], got nan"},
    {&gc_loss_mse, 1, 2, {-7, 1e300}, GC_OK, ""},
    {&gc_loss_mse, 1, 2, {0, INFINITY}, GC_ERANGE, "y[1][0]: expected a finite value, got inf"},
    {&gc_loss_softmax_ce, 2, 2, {1, 0.25, 0, 0.75}, GC_OK, ""},
    /* column 1 sums to 0.9 */
    {&gc_loss_softmax_ce, 2, 2, {1, 0.25, 0, 0.65}, GC_ERANGE,
     "y[1]: expected the example's targets to sum to 1, got 0.90000000000000002"},
    {&gc_loss_softmax_ce, 2, 1, {1.5, -0.5}, GC_ERANGE, "y[0][0]: expected a value in [0, 1], got 1.5"},
    /* within 1e-9 of 1 is accepted */
    {&gc_loss_softmax_ce, 2, 1, {0.3, 0.7 + 5e-10}, GC_OK, ""},
};

START_TEST(test_check_target)
{
    const target_case *c = &target_cases[_i];
    gc_mat *T = gc_mat_new(c->rows, c->cols);
    memcpy(T->data, c->t, (size_t)(c->rows * c->cols) * sizeof(double));
    gc_error err = {0};
    int rc = c->loss->check_target(T, &err);
    ck_assert_msg(rc == c->want, "row %d %s: rc=%d want %d (%s)", _i, c->loss->name, rc, c->want, err.msg);
    ck_assert_msg(strcmp(err.msg, c->msg) == 0, "row %d %s: msg \"%s\", want \"%s\"", _i, c->loss->name, err.msg,
                  c->msg);
    gc_mat_free(T);
}
END_TEST

START_TEST(test_loss_by_name)
{
    ck_assert_ptr_eq(gc_loss_by_name("bce"), &gc_loss_bce);
    ck_assert_ptr_eq(gc_loss_by_name("bce_logits"), &gc_loss_bce_logits);
    ck_assert_ptr_eq(gc_loss_by_name("mse"), &gc_loss_mse);
    ck_assert_ptr_eq(gc_loss_by_name("softmax_ce"), &gc_loss_softmax_ce);
    ck_assert_ptr_null(gc_loss_by_name("hinge"));
    ck_assert_ptr_null(gc_loss_by_name(NULL));
}
END_TEST

/* The error of a loss scales with the loss, not with its logits: two
 * logits 1000 and 990, target the first, L = log1p(e^-10) exactly; written
 * as z - lse (lse ~ 1000, whose ulp is 1.1e-13) it would be off by ~2e-9
 * relative.  bce_logits at z = 30, t = 1 is log1p(e^-30) ~ 9.4e-14. */
START_TEST(test_losses_accurate_at_large_logits)
{
    gc_mat *P = gc_mat_new(2, 1), *T = gc_mat_new(2, 1);
    P->data[0] = 1000.0;
    P->data[1] = 990.0;
    T->data[0] = 1.0;
    T->data[1] = 0.0;
    double L = gc_loss_softmax_ce.value(P, T), want = log1p(exp(-10.0));
    ck_assert_msg(tu_rel_err(L, want) <= 4 * DBL_EPSILON, "softmax_ce %.17g, want %.17g", L, want);
    gc_mat *z = gc_mat_new(1, 1), *t = gc_mat_new(1, 1);
    z->data[0] = 30.0;
    t->data[0] = 1.0;
    L = gc_loss_bce_logits.value(z, t);
    want = log1p(exp(-30.0));
    ck_assert_msg(tu_rel_err(L, want) <= 4 * DBL_EPSILON, "bce_logits %.17g, want %.17g", L, want);
    gc_mat_free(P);
    gc_mat_free(T);
    gc_mat_free(z);
    gc_mat_free(t);
}
END_TEST

/* A mean over 10^6 elements is as exact as over one: mse against a
 * double-double sum (Knuth's TwoSum per term: the total is exact to ~u^2,
 * on any FPU and under valgrind, which has no 80-bit long double) within 4
 * ulps.  A plain double sum of these 10^6 terms is off by ~1e-13 relative. */
START_TEST(test_mse_mean_compensated)
{
    enum { N = 1000000 };
    gc_mat *P = gc_mat_new(1, N), *T = gc_mat_new(1, N);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 11u, 3u);
    double hi = 0.0, lo = 0.0;
    for (int i = 0; i < N; i++) {
        P->data[i] = gc_pcg32_normal(&rng);
        T->data[i] = 0.0;
        double x = P->data[i] * P->data[i], t = hi + x, z = t - hi;
        lo += (hi - (t - z)) + (x - z);
        hi = t;
    }
    double want = (hi + lo) / N, L = gc_loss_mse.value(P, T);
    ck_assert_msg(tu_rel_err(L, want) <= 4 * DBL_EPSILON, "mse %.17g, want %.17g", L, want);
    gc_mat_free(P);
    gc_mat_free(T);
}
END_TEST

Suite *make_loss_suite(void)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("loss");
    tcase_add_loop_test(tc, test_loss_table, 0, NLOSS_CASES);
    tcase_add_loop_test(tc, test_loss_grad_vs_central_difference, 0, 4);
    tcase_add_test(tc, test_bce_saturated_is_not_finite);
    tcase_add_test(tc, test_softmax_bce_backward_near_one);
    tcase_add_test(tc, test_softmax_bce_backward_saturated);
    tcase_add_loop_test(tc, test_check_target, 0, (int)(sizeof target_cases / sizeof target_cases[0]));
    tcase_add_test(tc, test_loss_by_name);
    tcase_add_test(tc, test_losses_accurate_at_large_logits);
    tcase_add_test(tc, test_mse_mean_compensated);
    suite_add_tcase(s, tc);
    return s;
}
