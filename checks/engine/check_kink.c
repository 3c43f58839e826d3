/*
 * check_kink.c -- kinks: a relu or leaky_relu pre-activation placed within
 * ε of 0 gives a kink verdict (found by the layer's hook), under every
 * method; a wrong relu backward at the same element is still a fail; a
 * user layer abs(x) with no hook has its kink found by the one-sided
 * slopes alone; strict_kinks turns kinks into a failed report; two kinks
 * inside ±ε on opposite sides of θ are resolved by the refinement (correct
 * backward: kink; wrong backward: fail); kinks exactly at θ whose relu'(0)
 * = 0 convention is no subgradient stay a fail (the decision, and why, at
 * test_exact_kinks_autodiff_convention_is_undecided).
 *
 * The constructed network: X = (1, 0.5)ᵀ, dense 2->2, activation, dense
 * 2->1, mse against T = -1.  W1 row 0 = (0.5, 0) and b1[0] = -0.5 + 3e-7
 * put z1[0] = 3e-7: perturbing b1[0] (or W1[0][0], W1[0][1], x[0]) by ±1e-6
 * moves z1[0] across 0.  Row 1 of layer 1 sits at z1[1] = 0.5, far from any
 * kink.  With g = dL/dz1[0] on the positive side, backprop says g, the
 * one-sided slopes are s- ≈ 0.3 g (z spends 0.3 of [θ-ε, θ] above 0) and
 * s+ ≈ g, and the central difference ≈ 0.65 g: a plain fail, a valid
 * subgradient.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <string.h>

#include "engine_testutil.h"

/* dense in->2, `act` (taken), dense 2->1, mse against T = -1, batch 1:
 * X = x (in values), W1 = w1 (2 x in, row-major), b1, W2 = w2, b2 = 0.2.
 * The two constructed networks of this file (above, and two_kinks_net). */
static gc_net *kink_net(gc_layer *act, int in, const double *x, const double *w1,
                        const double b1v[2], const double w2[2])
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(in, 2), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, act, NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 1), NULL), GC_OK);
    gc_mat *X = gc_mat_new(in, 1), *T = gc_mat_new(1, 1);
    for (int i = 0; i < in; i++)
        X->data[i] = x[i];
    T->data[0] = -1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL), *b1 = gc_net_find_tensor(net, "b1", NULL);
    gc_tensor *W2 = gc_net_find_tensor(net, "W2", NULL), *b2 = gc_net_find_tensor(net, "b2", NULL);
    for (int i = 0; i < 2 * in; i++)
        W1->value[i] = w1[i];
    b1->value[0] = b1v[0];
    b1->value[1] = b1v[1];
    W2->value[0] = w2[0];
    W2->value[1] = w2[1];
    b2->value[0] = 0.2;
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

/* the network above, with `act` as layer 1 (taken) and z1[0] = off */
static gc_net *near_kink_net_at(gc_layer *act, double off)
{
    const double x[2] = {1.0, 0.5}, w1[4] = {0.5, 0.0, 0.3, 0.2}, b1[2] = {-0.5 + off, 0.1};
    const double w2[2] = {1.5, -0.7};
    return kink_net(act, 2, x, w1, b1, w2);
}

static gc_net *near_kink_net(gc_layer *act)
{
    return near_kink_net_at(act, 3e-7);
}

/* check() with the engine gc_check_opts_init chooses */
#define DEFAULT_ENGINE (-1)

/* gc_check_net with the default options but method m, inputs on,
 * strict_kinks = strict and, unless eng is DEFAULT_ENGINE, engine eng. */
static gc_report *check(gc_net *net, gc_method m, int strict, int eng)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = m;
    o.inputs = 1;
    o.strict_kinks = strict;
    if (eng != DEFAULT_ENGINE)
        o.engine = (gc_engine)eng;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    return r;
}

/* relu and leaky_relu, z1[0] = ±3e-7, central and richardson: b1[0],
 * W1[0][0] and x[0] are kinks with the hook fired; nothing fails; the
 * report passes.  forward steps to the right only, so it crosses 0 only
 * from z1[0] = -3e-7 (from +3e-7 it rightly passes): there its failure
 * is re-examined with L(θ-ε) (the probe) and found a kink as well.  At
 * -3e-7 backprop says relu'(z) = 0 (leaky: 0.1): the left slope. */
START_TEST(test_relu_near_zero_is_kink)
{
    static const gc_act acts[2] = {GC_ACT_RELU, GC_ACT_LEAKY_RELU};
    static const char *const names[3] = {"b1", "W1", "x"};
    static const gc_method methods[5] = {GC_METHOD_CENTRAL, GC_METHOD_RICHARDSON,
                                         GC_METHOD_CENTRAL, GC_METHOD_RICHARDSON,
                                         GC_METHOD_FORWARD};
    static const double offs[5] = {3e-7, 3e-7, -3e-7, -3e-7, -3e-7};
    for (int a = 0; a < 2; a++) {
        for (int c = 0; c < 5; c++) {
            gc_method m = methods[c];
            gc_net *net = near_kink_net_at(gc_activation_new(acts[a], 2, 0.1), offs[c]);
            gc_report *r = check(net, m, 0, DEFAULT_ENGINE);
            for (int k = 0; k < 3; k++) {
                const gc_row *w = tu_find_row(r, names[k], 0, 0);
                ck_assert_msg(w->verdict == GC_KINK && w->hook,
                              "%s %s %s[0][0]: analytic=%.17g numeric=%.17g slopes [%g, %g] "
                              "%s hook %d (z1 = %g)", gc_act_name(acts[a]), gc_method_name(m),
                              names[k], w->analytic, w->numeric, w->slope_lo, w->slope_hi,
                              gc_verdict_name(w->verdict), w->hook, offs[c]);
            }
            ck_assert_msg(r->nfail == 0, "%s %s: %d fail", gc_act_name(acts[a]),
                          gc_method_name(m), r->nfail);
            ck_assert_int_eq(gc_report_failed(r), 0);
            gc_report_free(r);
            gc_net_free(net);
        }
    }
}
END_TEST

/* The slopes of b1[0] under central, relu: s- = g (0.3e-6 / 1e-6) and
 * s+ = g up to O(ε) curvature and the 3e-7 offset's rounding (1e-3). */
START_TEST(test_kink_slopes_recorded)
{
    gc_net *net = near_kink_net(gc_activation_new(GC_ACT_RELU, 2, 0.0));
    gc_report *r = check(net, GC_METHOD_CENTRAL, 0, DEFAULT_ENGINE);
    const gc_row *w = tu_find_row(r, "b1", 0, 0);
    double g = w->analytic;
    ck_assert_msg(fabs(w->slope_lo - 0.3 * g) <= 1e-3 * fabs(g), "s- %.17g, g %.17g",
                  w->slope_lo, g);
    ck_assert_msg(fabs(w->slope_hi - g) <= 1e-3 * fabs(g), "s+ %.17g, g %.17g", w->slope_hi, g);
    ck_assert_msg(fabs(w->numeric - 0.65 * g) <= 1e-3 * fabs(g), "n %.17g, g %.17g", w->numeric, g);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* A relu whose backward doubles dY where x > 0: at b1[0] the hook fires,
 * but 2g lies outside [0.3g, g]: fail, not kink.  (Row 1, smooth, fails
 * too, as it should.) */
static void relu_twice_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                                const gc_mat *dY)
{
    (void)l;
    (void)Y;
    for (size_t i = 0; i < gc_mat_size(X); i++)
        dX->data[i] = X->data[i] > 0.0 ? 2.0 * dY->data[i] : 0.0;
}

START_TEST(test_wrong_relu_near_zero_is_fail)
{
    gc_layer_ops wrong = *gc_act_ops(GC_ACT_RELU); /* outlives the network */
    wrong.type = "relu_twice";
    wrong.backward = relu_twice_backward;
    for (int m = 0; m < 3; m++) {
        gc_net *net = near_kink_net(gc_layer_new(&wrong, 2, 2));
        gc_report *r = check(net, (gc_method)m, 0, DEFAULT_ENGINE);
        const gc_row *w = tu_find_row(r, "b1", 0, 0);
        ck_assert_msg(w->verdict == GC_FAIL && w->hook,
                      "%s b1[0][0]: analytic=%.17g numeric=%.17g slopes [%g, %g] %s hook %d",
                      gc_method_name((gc_method)m), w->analytic, w->numeric, w->slope_lo,
                      w->slope_hi, gc_verdict_name(w->verdict), w->hook);
        ck_assert_int_eq(tu_find_row(r, "b1", 1, 0)->verdict, GC_FAIL);
        ck_assert(gc_report_failed(r));
        gc_report_free(r);
        gc_net_free(net);
    }
}
END_TEST

/* A user layer abs(x) with no kink hook: y = |x|, dy/dx = sign(x) (0 at 0). */
static void abs_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l;
    for (size_t i = 0; i < gc_mat_size(X); i++)
        Y->data[i] = fabs(X->data[i]);
}

static void abs_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                         const gc_mat *dY)
{
    (void)l;
    (void)Y;
    for (size_t i = 0; i < gc_mat_size(X); i++) {
        double x = X->data[i];
        dX->data[i] = (x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0)) * dY->data[i];
    }
}

static const gc_layer_ops abs_ops = {.type = "abs", .caps = GC_CAP_ELEMENTWISE,
                                     .forward = abs_forward, .backward = abs_backward};

/*
 * dense 2->1, abs, mse against -1: L = (|z| + 1)², z = 3e-7 at b = -0.5 + 3e-7.
 * dL/dz = 2(|z| + 1) sign(z): +2 on the right, -2 on the left, so
 * s- = ((1+3e-7)² - (1+7e-7)²)/1e-6 ≈ -0.8 and s+ ≈ 2: a jump of 2.8 against
 * a smooth bound of 100 ε max(1, |s|) = 2e-4.  Backprop's 2(1 + 3e-7) lies in
 * [s-, s+]: kink, found without any hook.
 */
START_TEST(test_kink_without_hook_found_by_slopes)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 1), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_layer_new(&abs_ops, 1, 1), NULL), GC_OK);
    gc_mat *X = gc_mat_new(2, 1), *T = gc_mat_new(1, 1);
    X->data[0] = 1.0;
    X->data[1] = 0.5;
    T->data[0] = -1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    net->tensors[0]->value[0] = 0.5;
    net->tensors[0]->value[1] = 0.0;
    net->tensors[1]->value[0] = -0.5 + 3e-7;
    gc_report *r = check(net, GC_METHOD_CENTRAL, 0, DEFAULT_ENGINE);
    const gc_row *w = tu_find_row(r, "b1", 0, 0);
    ck_assert_msg(w->verdict == GC_KINK && !w->hook,
                  "b1[0][0]: analytic=%.17g numeric=%.17g slopes [%g, %g] %s hook %d",
                  w->analytic, w->numeric, w->slope_lo, w->slope_hi, gc_verdict_name(w->verdict),
                  w->hook);
    ck_assert_msg(fabs(w->slope_lo + 0.8) < 1e-3 && fabs(w->slope_hi - 2.0) < 1e-3,
                  "slopes [%.17g, %.17g]", w->slope_lo, w->slope_hi);
    ck_assert_int_eq(r->nfail, 0);
    gc_report_free(r);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
}
END_TEST

/* strict_kinks: same rows, same kink verdicts, but the report fails. */
START_TEST(test_strict_kinks_fail_the_report)
{
    gc_net *net = near_kink_net(gc_activation_new(GC_ACT_RELU, 2, 0.0));
    gc_report *lax = check(net, GC_METHOD_CENTRAL, 0, DEFAULT_ENGINE);
    gc_report *strict = check(net, GC_METHOD_CENTRAL, 1, DEFAULT_ENGINE);
    ck_assert_int_gt(strict->nkink, 0);
    ck_assert_int_eq(strict->nkink, lax->nkink);
    ck_assert_int_eq(strict->nfail, 0);
    ck_assert_int_eq(gc_report_failed(lax), 0);
    ck_assert_int_eq(gc_report_failed(strict), 1);
    ck_assert_int_eq(tu_find_row(strict, "b1", 0, 0)->verdict, GC_KINK);
    gc_report_free(lax);
    gc_report_free(strict);
    gc_net_free(net);
}
END_TEST

/* ---- several kinks inside [θ-ε, θ+ε], and kinks exactly at θ ---------- */

/*
 * One input x = 1 (batch 1), dense 1->2 with W1 = (1, 1)ᵀ and
 * b1 = (-1 + 4e-7, -1 - 3e-7), an activation, dense 2->1 with W2 = (v, -v),
 * v = 1.5, b2 = 0.2, mse against T = -1.  Perturbing x by δ gives
 * z1 = (δ + 4e-7, δ - 3e-7): unit 0 is active at θ and switches off at
 * δ = -4e-7, unit 1 is off and switches on at δ = +3e-7 -- two kinks inside
 * [θ-ε, θ+ε], one on each side.  For relu, with g = dL/dy = 2(y + 1) =
 * 2(0.2 + 1.5 * 4e-7 + 1) ≈ 2.4, backprop's dL/dx = g v (unit 0 only) = 3.6
 * is the middle piece's slope, while the slopes at ε are averages:
 * s- ≈ 0.4 g v (unit 0 on over 0.4 of [θ-ε, θ]) and s+ ≈ g v - 0.7 g v =
 * 0.3 g v (unit 1 on over 0.7 of [θ, θ+ε], with weight -v): a = g v is
 * outside [0.3, 0.4] g v although it is the exact derivative.  At ε/16 =
 * 6.25e-8 no kink is inside the step and both slopes are g v: kink.  For
 * leaky_relu (α = 0.1) the middle piece's slope is a = g (v - α v) =
 * 0.9 g v, and both outer pieces have slope 0 (both units at α: g(αv - αv);
 * both at 1: g(v - v)), so again s- ≈ 0.4 a, s+ ≈ 0.3 a: outside, exact.
 * Richardson's ε = 1e-2 puts both kinks inside every step down to its
 * fourth refinement, ε/16^4 ≈ 1.5e-7, which resolves them.
 */
static gc_net *two_kinks_net(gc_layer *act, double off0, double off1, double v)
{
    const double x[1] = {1.0}, w1[2] = {1.0, 1.0}, b1[2] = {-1.0 + off0, -1.0 + off1};
    const double w2[2] = {v, -v};
    return kink_net(act, 1, x, w1, b1, w2);
}

/* Correct relu / leaky_relu, every method, both engines: x is a kink (not
 * a fail: its slopes at ε do not bracket a, the finer ones do), the report
 * passes, and the refinement's evaluations are counted.  At ε the row's
 * slopes are recorded as computed there, outside a by construction. */
START_TEST(test_two_kinks_around_theta_is_kink)
{
    static const gc_act acts[2] = {GC_ACT_RELU, GC_ACT_LEAKY_RELU};
    for (int ai = 0; ai < 2; ai++)
        for (int m = 0; m < 3; m++)
            for (int eng = 0; eng < 2; eng++) {
                gc_net *net = two_kinks_net(gc_activation_new(acts[ai], 2, 0.1), 4e-7, -3e-7, 1.5);
                gc_report *r = check(net, (gc_method)m, 0, eng);
                const gc_row *w = tu_find_row(r, "x", 0, 0);
                ck_assert_msg(w->verdict == GC_KINK,
                              "%s %s %s x[0][0]: analytic=%.17g numeric=%.17g slopes [%.17g, "
                              "%.17g] %s", gc_act_name(acts[ai]), gc_method_name((gc_method)m),
                              gc_engine_name((gc_engine)eng), w->analytic, w->numeric,
                              w->slope_lo, w->slope_hi, gc_verdict_name(w->verdict));
                ck_assert_int_eq(r->nfail, 0);
                ck_assert_int_eq(gc_report_failed(r), 0);
                gc_report_free(r);
                gc_net_free(net);
            }
    /* central, relu: the slopes at ε really miss a (the case the refinement
     * exists for): s- ≈ 0.4 a and s+ ≈ 0.3 a, to 1e-3 (curvature and the
     * offsets' rounding) */
    gc_net *net = two_kinks_net(gc_activation_new(GC_ACT_RELU, 2, 0.0), 4e-7, -3e-7, 1.5);
    gc_report *r = check(net, GC_METHOD_CENTRAL, 0, GC_ENGINE_REFERENCE);
    const gc_row *w = tu_find_row(r, "x", 0, 0);
    double a = w->analytic;
    ck_assert_msg(fabs(w->slope_lo - 0.4 * a) <= 1e-3 * fabs(a) &&
                      fabs(w->slope_hi - 0.3 * a) <= 1e-3 * fabs(a),
                  "x[0][0]: analytic=%.17g slopes [%.17g, %.17g], expected [0.4, 0.3] a", a,
                  w->slope_lo, w->slope_hi);
    /* the refinement is counted: L0, two losses for each of the 8 rows (W1,
     * b1, W2 2 each, b2, x), the final clean pass, and 2 for x's one level
     * (ε/16 = 6.25e-8 is already inside both kinks' distances 4e-7, 3e-7);
     * every other row passes or is a single kink that fits at ε */
    ck_assert_int_eq(r->nrows, 8);
    ck_assert_msg(r->nevals == 1 + 2 * 8 + 1 + 2, "nevals %llu, expected 20", r->nevals);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* The same two kinks with relu_twice's backward (2 dY where x > 0): a = 2 g v,
 * while the slopes at every scale are at most g v: fail, every method, both
 * engines -- the refinement hides no wrong gradient. */
START_TEST(test_two_kinks_wrong_backward_is_fail)
{
    gc_layer_ops wrong = *gc_act_ops(GC_ACT_RELU);
    wrong.type = "relu_twice";
    wrong.backward = relu_twice_backward;
    for (int m = 0; m < 3; m++)
        for (int eng = 0; eng < 2; eng++) {
            gc_net *net = two_kinks_net(gc_layer_new(&wrong, 2, 2), 4e-7, -3e-7, 1.5);
            gc_report *r = check(net, (gc_method)m, 0, eng);
            const gc_row *w = tu_find_row(r, "x", 0, 0);
            ck_assert_msg(w->verdict == GC_FAIL,
                          "%s %s x[0][0]: analytic=%.17g numeric=%.17g slopes [%.17g, %.17g] %s",
                          gc_method_name((gc_method)m), gc_engine_name((gc_engine)eng),
                          w->analytic, w->numeric, w->slope_lo, w->slope_hi,
                          gc_verdict_name(w->verdict));
            ck_assert(gc_report_failed(r));
            gc_report_free(r);
            gc_net_free(net);
        }
}
END_TEST

/*
 * Kinks exactly at θ (what He or xavier init gives when a layer's input is
 * exactly 0 -- a dead unit, a width-1 layer -- and the biases are 0): the
 * two-kink network with W1 = (1, -1)ᵀ, b1 = (-1, 1), so z1 = (δ, -δ) for
 * x = 1 + δ, both exactly 0 at θ.  With W2 = (v, -v), v = 1.5, b2 = 0.2,
 * T = -1 and g = dL/dy = 2(0.2 + 1) = 2.4:
 *   δ > 0: unit 0 on, y = 0.2 + v δ:               s+ = g v = 3.6;
 *   δ < 0: unit 1 on, y = 0.2 - v(-δ) = 0.2 + v δ:  s- = g v = 3.6
 * (+ O(ε) curvature of the square).  L is even differentiable at θ, with
 * dL/dx = 3.6, yet backprop with relu'(0) = 0 says 0: the chain rule
 * through kinks it meets exactly, which frameworks follow too (Kakade &
 * Lee 2018; Bolte & Pauwels 2020: a "conservative gradient", not a
 * derivative).
 *
 * The decision: undecided, reason "kink at θ".  0 is neither the
 * derivative nor a subgradient of L at θ, so it cannot be confirmed; but
 * the slopes stay kinked (the hook fires) at every finer step, so no scale
 * shows a smooth loss whose derivative refutes it either: the value is the
 * convention's, which depends on how the kinks combine, not on L.  A kink
 * verdict would accept values no finite difference can vouch for (and a
 * wrong backward masked the same way); a fail would call the framework
 * convention a bug.  The report says what happened (the reason, the hook,
 * the slopes) and the exit status is 3; the remedy is the user's: check at
 * a point off the kinks (nonzero biases, another seed or input) -- which is
 * also the only point where the check can verify the layers behind the
 * dead units.
 * Each unit alone (b1[0], b1[1]) is an honest kink: its slopes are 0 and
 * ±3.6 and backprop's 0 is the left one.
 */
START_TEST(test_exact_kinks_autodiff_convention_is_undecided)
{
    for (int eng = 0; eng < 2; eng++) {
        gc_net *net = two_kinks_net(gc_activation_new(GC_ACT_RELU, 2, 0.0), 0.0, 0.0, 1.5);
        gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL), *b1 = gc_net_find_tensor(net, "b1", NULL);
        W1->value[1] = -1.0;
        b1->value[0] = -1.0;
        b1->value[1] = 1.0;
        gc_report *r = check(net, GC_METHOD_CENTRAL, 0, eng);
        const gc_row *w = tu_find_row(r, "x", 0, 0);
        ck_assert_int_eq(gc_report_failed(r), 0);
        ck_assert_int_eq(gc_report_status(r), GC_STATUS_UNDECIDED);
        ck_assert_int_eq(w->reason, GC_REASON_KINK_AT_THETA);
        ck_assert_msg(w->verdict == GC_UNDECIDED && w->hook && w->analytic == 0.0,
                      "%s x[0][0]: analytic=%.17g numeric=%.17g %s hook %d",
                      gc_engine_name((gc_engine)eng), w->analytic, w->numeric,
                      gc_verdict_name(w->verdict), w->hook);
        ck_assert_msg(fabs(w->slope_lo - 3.6) <= 1e-5 && fabs(w->slope_hi - 3.6) <= 1e-5,
                      "x[0][0]: slopes [%.17g, %.17g], expected 3.6", w->slope_lo, w->slope_hi);
        for (int u = 0; u < 2; u++) {
            const gc_row *b = tu_find_row(r, "b1", u, 0);
            ck_assert_msg(b->verdict == GC_KINK && b->analytic == 0.0,
                          "b1[%d][0]: analytic=%.17g slopes [%.17g, %.17g] %s", u, b->analytic,
                          b->slope_lo, b->slope_hi, gc_verdict_name(b->verdict));
        }
        gc_report_free(r);
        gc_net_free(net);
    }
}
END_TEST

Suite *make_kink_suite(void)
{
    Suite *s = suite_create("kink");
    TCase *tc = tcase_create("kink");
    tcase_add_test(tc, test_relu_near_zero_is_kink);
    tcase_add_test(tc, test_kink_slopes_recorded);
    tcase_add_test(tc, test_wrong_relu_near_zero_is_fail);
    tcase_add_test(tc, test_kink_without_hook_found_by_slopes);
    tcase_add_test(tc, test_strict_kinks_fail_the_report);
    tcase_add_test(tc, test_two_kinks_around_theta_is_kink);
    tcase_add_test(tc, test_two_kinks_wrong_backward_is_fail);
    tcase_add_test(tc, test_exact_kinks_autodiff_convention_is_undecided);
    suite_add_tcase(s, tc);
    return s;
}
