/*
 * check_classic.c -- the hand-written classic network (examples/classic.c)
 * against the generic network built from the same weights: same loss, same
 * gradients within 1e-12 relative, over several PCG32-drawn weight sets; and
 * the classic bprop against the notes' own central-difference check.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>

#include "classic.h"
#include "testutil.h"

/* The two compute the same expressions in a slightly different order (the
 * fused dz2 = a2 - y against (p - t) / (p (1 - p)) times p (1 - p)), so they
 * agree to a few ulps, not bit for bit: 1e-12 relative leaves room for that
 * and for the cancellation in a2 - y, and nothing more. */
#define CLASSIC_TOL 1e-12

static void draw(classic_params *p, double x[2], double *y, uint64_t seed)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 72u);
    classic_params_rand(p, &rng);
    x[0] = gc_pcg32_uniform(&rng);
    x[1] = gc_pcg32_uniform(&rng);
    *y = (double)gc_pcg32_bounded(&rng, 2); /* 0 or 1, as np.random.randint(0, 2) */
}

static void expect_close(double a, double b, const char *name)
{
    double r = tu_rel_err(a, b);
    ck_assert_msg(r <= CLASSIC_TOL, "%s: classic=%.17g generic=%.17g rel=%g", name, a, b, r);
}

START_TEST(test_classic_matches_generic_net)
{
    classic_params p;
    double x[2], y;
    draw(&p, x, &y, 1000u + (uint64_t)_i);
    classic_cache c;
    classic_grads g;
    double L = classic_fprop(&c, x, y, &p);
    classic_bprop(&g, &c);
    ck_assert(L == c.loss);

    gc_error err = {0};
    gc_net *net = classic_net(&p, x, y, &err);
    ck_assert_msg(net != NULL, "classic_net: %s", err.msg);
    double Lg = gc_net_forward(net);
    gc_net_backward(net);
    expect_close(L, Lg, "loss");
    gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL), *b1 = gc_net_find_tensor(net, "b1", NULL);
    gc_tensor *W2 = gc_net_find_tensor(net, "W2", NULL), *b2 = gc_net_find_tensor(net, "b2", NULL);
    static const char *const w1n[4] = {"W1[0][0]", "W1[0][1]", "W1[1][0]", "W1[1][1]"};
    static const char *const b1n[2] = {"b1[0][0]", "b1[1][0]"}, *const w2n[2] = {"W2[0][0]", "W2[0][1]"};
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            expect_close(g.dW1[i][j], W1->grad[i * 2 + j], w1n[i * 2 + j]);
        expect_close(g.db1[i], b1->grad[i], b1n[i]);
        expect_close(g.dW2[i], W2->grad[i], w2n[i]);
    }
    expect_close(g.db2, b2->grad[0], "b2[0][0]");
    gc_net_free(net);
}
END_TEST

/* classic_params_rand draws as gc_net_init_params(UNIFORM) does on the
 * classic network: W1, b1, W2, b2, row-major, from the same generator. */
START_TEST(test_classic_draws_match_init_uniform)
{
    gc_pcg32 a, b;
    gc_pcg32_seed(&a, 3u, 4u);
    gc_pcg32_seed(&b, 3u, 4u);
    classic_params p;
    classic_params_rand(&p, &a);
    double x[2] = {0.5, 0.7};
    gc_net *net = classic_net(&p, x, 1.0, NULL);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_UNIFORM, &b), GC_OK);
    ck_assert(gc_net_find_tensor(net, "W1", NULL)->value[1] == p.W1[0][1]);
    ck_assert(gc_net_find_tensor(net, "b1", NULL)->value[1] == p.b1[1]);
    ck_assert(gc_net_find_tensor(net, "W2", NULL)->value[0] == p.W2[0]);
    ck_assert(gc_net_find_tensor(net, "b2", NULL)->value[0] == p.b2);
    gc_net_free(net);
}
END_TEST

/* The notes' own check, on W1[1][0] and b2: (loss(θ+eps) - loss(θ-eps)) / 2eps
 * with eps = 1e-6.  For a loss of order 1 the rounding error is ~1e-16/1e-6
 * = 1e-10 absolute and truncation ~eps^2 = 1e-12, so 1e-6 relative or 1e-9
 * absolute. */
START_TEST(test_classic_bprop_vs_central_difference)
{
    classic_params p;
    double x[2], y;
    draw(&p, x, &y, 77u);
    classic_cache c;
    classic_grads g;
    classic_fprop(&c, x, y, &p);
    classic_bprop(&g, &c);
    const double eps = 1e-6;
    double *targets[2] = {&p.W1[1][0], &p.b2};
    double analytic[2] = {g.dW1[1][0], g.db2};
    static const char *const names[2] = {"W1[1][0]", "b2[0][0]"};
    for (int k = 0; k < 2; k++) {
        double v = *targets[k];
        *targets[k] = v + eps;
        double Lp = classic_fprop(&c, x, y, &p);
        *targets[k] = v - eps;
        double Lm = classic_fprop(&c, x, y, &p);
        *targets[k] = v;
        double n = (Lp - Lm) / (2 * eps), r = tu_rel_err(analytic[k], n);
        ck_assert_msg(r <= 1e-6 || fabs(analytic[k] - n) <= 1e-9, "%s: analytic=%.17g numeric=%.17g rel=%g",
                      names[k], analytic[k], n, r);
    }
}
END_TEST

Suite *make_classic_suite(void)
{
    Suite *s = suite_create("classic");
    TCase *tc = tcase_create("classic");
    tcase_add_loop_test(tc, test_classic_matches_generic_net, 0, 8);
    tcase_add_test(tc, test_classic_draws_match_init_uniform);
    tcase_add_test(tc, test_classic_bprop_vs_central_difference);
    suite_add_tcase(s, tc);
    return s;
}
