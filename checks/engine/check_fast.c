/*
 * check_fast.c -- the sparse-change evaluator computes the reference
 * engine's perturbed losses, up to a stated rounding bound.
 *
 * Property tests over random networks (every activation, every loss, batch
 * sizes 1..4, a user's layer that declares no capability): for every element
 * of every tensor and of the input, the evaluator's L(θ ± ε eᵢ) is compared
 * with the reference's (perturb in place, gc_net_forward_from), the kink
 * hooks with the reference's, the screen's directional losses likewise; the
 * thread pool visits every index once at any thread count.
 *
 * GC_SEED (default that of the property suites, props.h) and GC_CASES
 * (default 100) steer the random networks; a failure names its case's seed
 * (GC_SEED=S GC_CASES=1 reproduces an evaluator case) or the gradcheck
 * command line of its network.
 */
#include <check.h>
#include <gradcheck.h>
#include <core/threads.h>
#include <engine/fast.h>
#include <engine/screen.h>
#include <report/rank.h>

#include "engine_testutil.h"
#include "mutant_table.h"
#include "props/props.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a user's layer that declares no capability -------------------------- */

/* Y[i][c] = s[i] X[i][c]: a parametric layer with caps 0, so the evaluator
 * must recompute it with a private copy of s. */
static void scale_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *s = l->param[0].value;
    for (int i = 0; i < X->rows; i++)
        for (int c = 0; c < X->cols; c++)
            GC_AT(Y, i, c) = s[i] * GC_AT(X, i, c);
}

/* dL/ds[i] = sum_c dY[i][c] X[i][c];  dL/dX[i][c] = s[i] dY[i][c]. */
static void scale_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)Y;
    const double *s = l->param[0].value;
    double *ds = l->param[0].grad;
    for (int i = 0; i < X->rows; i++)
        for (int c = 0; c < X->cols; c++) {
            ds[i] += GC_AT(dY, i, c) * GC_AT(X, i, c);
            if (dX != NULL)
                GC_AT(dX, i, c) = s[i] * GC_AT(dY, i, c);
        }
}

static const gc_layer_ops scale_ops = {.type = "scale", .caps = 0, .forward = scale_forward,
                                       .backward = scale_backward};

/* ---- random networks ----------------------------------------------------- */

static uint64_t base_seed(void)
{
    return gc_ck_base_seed();
}

static int ncases(int dflt)
{
    const char *s = getenv("GC_CASES");
    int n = s != NULL && *s != '\0' ? atoi(s) : dflt;
    return n > 0 ? n : dflt;
}

static gc_layer *random_act(gc_pcg32 *rng, int n, int allow_softmax)
{
    gc_act a;
    do
        a = (gc_act)gc_pcg32_bounded(rng, GC_ACT_COUNT);
    while (a == GC_ACT_SOFTMAX && !allow_softmax);
    /* alpha away from 1 so that elu has a kink too. */
    double alpha = a == GC_ACT_ELU ? 0.5 : gc_act_default_alpha(a);
    return gc_activation_new(a, n, alpha);
}

/* A random network with data: 1..3 dense layers of widths 1..6, each followed
 * by a random activation (a forced one when `act` is not GC_ACT_COUNT),
 * sometimes a "scale" layer, a random loss, batch 1..4, parameters N(0, 0.7²). */
static gc_net *random_net(uint64_t seed, gc_act act)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 0x5eedu);
    static const gc_loss *const losses[] = {&gc_loss_bce, &gc_loss_bce_logits, &gc_loss_mse,
                                            &gc_loss_softmax_ce};
    const gc_loss *loss = losses[gc_pcg32_bounded(&rng, 4)];
    gc_net *net = gc_net_new(loss);
    int nd = 1 + (int)gc_pcg32_bounded(&rng, 3);
    int in = 1 + (int)gc_pcg32_bounded(&rng, 6), w = in;
    /* Sometimes a layer before the first dense one, so that the input's
     * change reaches a layer other than an affine one first (an activation,
     * maybe with a kink hook, or the capability-less "scale"). */
    switch (gc_pcg32_bounded(&rng, 4)) {
    case 0:
        gc_net_add(net, random_act(&rng, w, 0), NULL);
        break;
    case 1: {
        gc_layer *s = gc_layer_new(&scale_ops, w, w);
        gc_layer_add_param(s, "s", w, 1);
        gc_net_add(net, s, NULL);
        break;
    }
    default:
        break;
    }
    for (int d = 0; d < nd; d++) {
        int out = 1 + (int)gc_pcg32_bounded(&rng, 6);
        gc_net_add(net, gc_dense_new(w, out), NULL);
        w = out;
        if (gc_pcg32_bounded(&rng, 4) == 0) {
            gc_layer *s = gc_layer_new(&scale_ops, w, w);
            gc_layer_add_param(s, "s", w, 1);
            gc_net_add(net, s, NULL);
        }
        int last = d == nd - 1;
        if (last && loss == &gc_loss_bce) {
            /* bce takes probabilities. */
            gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, w, 0.0), NULL);
        } else if (act != GC_ACT_COUNT) {
            gc_net_add(net, gc_activation_new(act, w, gc_act_default_alpha(act)), NULL);
        } else {
            gc_net_add(net, random_act(&rng, w, 1), NULL);
        }
    }
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *tn = net->tensors[t];
        for (int i = 0; i < tn->rows * tn->cols; i++)
            tn->value[i] = 0.7 * gc_pcg32_normal(&rng);
    }
    int B = 1 + (int)gc_pcg32_bounded(&rng, 4);
    gc_mat *X = gc_mat_new(in, B), *T = gc_mat_new(w, B);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(&rng);
    for (int c = 0; c < B; c++) {
        int hot = (int)gc_pcg32_bounded(&rng, (uint32_t)w);
        for (int r = 0; r < w; r++) {
            double *t = &GC_AT(T, r, c);
            if (loss == &gc_loss_softmax_ce)
                *t = r == hot;
            else if (loss == &gc_loss_mse)
                *t = gc_pcg32_normal(&rng);
            else if (loss == &gc_loss_bce)
                *t = gc_pcg32_uniform(&rng);
            else
                *t = (double)gc_pcg32_bounded(&rng, 2);
        }
    }
    gc_error err = {0};
    int rc = gc_net_set_data(net, X, T, &err);
    gc_mat_free(X);
    gc_mat_free(T);
    ck_assert_msg(rc == GC_OK, "seed %llu: set_data: %s", (unsigned long long)seed, err.msg);
    return net;
}

/* ---- the rounding bound --------------------------------------------------- */

/*
 * A first-order bound e on the rounding error of one loss evaluation (either
 * engine), from the cache and the gradients at θ (see lib/fast.c):
 *   every output Z[i][c] of a dense layer is a dot product of length in plus
 *   the bias: |fl(Z) - Z| <= γ_m (|b_i| + Σ_j |W_ij||A_jc|)  (Higham, 3.5);
 *   every other layer's output is within γ_m |Y| (libm's exp/log/erf/tanh
 *   are within a few ulps; softmax sums `rows` exps, m >= rows + 4);
 *   an error in an output moves L by |dL/dY| times it (first order);
 *   the loss itself sums N terms into a mean, each term within a few ulps of
 *   the magnitude of its inputs: γ_m (|L| + 2 max|P| + max|T|) (log-sum-exp
 *   cancels z - lse, whose error is relative to |z| + |lse|).
 * m = max fan-in + 4; the fast engine's update adds two roundings per
 * entry (cached value plus delta), which the +4 covers.
 */
static double loss_bound(gc_net *net)
{
    gc_net_forward(net);
    gc_net_backward(net);
    int m = 4;
    for (int k = 0; k < net->nlayers; k++) {
        int in = net->layers[k]->in + 4;
        int out = net->layers[k]->out + 4;
        m = in > m ? in : m;
        m = out > m ? out : m;
    }
    int nt = (int)gc_mat_size(net->T) + 4;
    m = nt > m ? nt : m;
    double u = DBL_EPSILON / 2, gamma = m * u / (1 - m * u);
    double S = 0.0;
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        const gc_mat *A = net->act[k], *Y = net->act[k + 1], *dY = net->dact[k + 1];
        for (int i = 0; i < Y->rows; i++)
            for (int c = 0; c < Y->cols; c++) {
                double M;
                if (l->ops->caps & GC_CAP_AFFINE) {
                    M = fabs(l->param[1].value[i]);
                    for (int j = 0; j < l->in; j++)
                        M += fabs(l->param[0].value[(size_t)i * l->in + j]) * fabs(GC_AT(A, j, c));
                } else {
                    M = fabs(GC_AT(Y, i, c));
                }
                S += fabs(GC_AT(dY, i, c)) * M;
            }
    }
    const gc_mat *P = net->act[net->nlayers];
    double pmax = 0.0, tmax = 0.0;
    for (size_t i = 0; i < gc_mat_size(P); i++) {
        pmax = fmax(pmax, fabs(P->data[i]));
        tmax = fmax(tmax, fabs(net->T->data[i]));
    }
    return gamma * (S + fabs(net->loss_value) + 2 * pmax + tmax);
}

/* ---- reference values ----------------------------------------------------- */

/* The reference's L with element idx of tensor t (GC_FAST_INPUT: the input)
 * set to v: perturb in place, recompute from its layer, restore, and
 * recompute the cache so that it is clean for the evaluator again. */
static double ref_loss(gc_net *net, int t, size_t idx, double v)
{
    double *x = t == GC_FAST_INPUT ? &net->act[0]->data[idx] : &net->tensors[t]->value[idx];
    int k = t == GC_FAST_INPUT ? 0 : net->tensor_layer[t];
    double keep = *x;
    *x = v;
    double L = gc_net_forward_from(net, k);
    *x = keep;
    gc_net_forward_from(net, k);
    return L;
}

static size_t tensor_size(const gc_net *net, int t)
{
    return t == GC_FAST_INPUT ? gc_mat_size(net->act[0])
                              : (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
}

static const char *tensor_name(const gc_net *net, int t)
{
    return t == GC_FAST_INPUT ? "x" : net->tensors[t]->name;
}

static double value_of(const gc_net *net, int t, size_t idx)
{
    return t == GC_FAST_INPUT ? net->act[0]->data[idx] : net->tensors[t]->value[idx];
}

/* Every element of every tensor and of the input, at θ ± ε for two steps. */
START_TEST(test_fast_loss_matches_reference)
{
    uint64_t seed = base_seed() + (uint64_t)_i;
    gc_net *net = random_net(seed, GC_ACT_COUNT);
    double e = loss_bound(net);
    gc_fast *f = gc_fast_new(net, 1);
    ck_assert_ptr_nonnull(f);
    static const double steps[] = {1e-6, -1e-6, 1e-3, -1e-3};
    for (int t = GC_FAST_INPUT; t < net->ntensors; t++) {
        for (size_t idx = 0; idx < tensor_size(net, t); idx++) {
            for (size_t h = 0; h < sizeof steps / sizeof steps[0]; h++) {
                double v = value_of(net, t, idx) + steps[h];
                double lf = gc_fast_loss(f, (int)(h % 2), t, idx, v);
                double lr = ref_loss(net, t, idx, v);
                /* Both within e of the exact L(v): within 2e of each other. */
                ck_assert_msg(fabs(lf - lr) <= 2 * e,
                              "seed %llu (GC_SEED=%llu GC_CASES=1): %s[%zu] at θ%+g: fast L=%.17g "
                              "reference L=%.17g, |diff| %.3g > bound 2e = %.3g",
                              (unsigned long long)seed, (unsigned long long)seed,
                              tensor_name(net, t), idx, steps[h], lf, lr, fabs(lf - lr), 2 * e);
            }
        }
    }
    gc_fast_free(f);
    gc_net_free(net);
}
END_TEST

/* The same comparison holds bit for bit where the evaluator recomputes just
 * as the reference does: the last layer's parameters when that layer has no
 * capability (here a "scale" layer after the output). */
START_TEST(test_fast_fallback_is_bit_identical)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_net_add(net, gc_dense_new(3, 2), NULL);
    gc_layer *s = gc_layer_new(&scale_ops, 2, 2);
    gc_layer_add_param(s, "s", 2, 1);
    gc_net_add(net, s, NULL);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 7);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_UNIFORM, &rng), GC_OK);
    gc_mat *X = gc_mat_new(3, 2), *T = gc_mat_new(2, 2);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(&rng);
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_net_forward(net);
    gc_fast *f = gc_fast_new(net, 1);
    int t = 2; /* s1 */
    ck_assert_str_eq(net->tensors[t]->name, "s1");
    for (size_t idx = 0; idx < 2; idx++) {
        double v = net->tensors[t]->value[idx] + 1e-6;
        double lf = gc_fast_loss(f, 0, t, idx, v), lr = ref_loss(net, t, idx, v);
        ck_assert_msg(memcmp(&lf, &lr, sizeof lf) == 0, "s1[%zu]: fast %.17g reference %.17g", idx,
                      lf, lr);
    }
    gc_fast_free(f);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
}
END_TEST

/* Kink hooks: the evaluator asks each layer about exactly the elements that
 * changed; the reference asks about the whole input at θ-h and θ+h.  A step
 * h = 0.05 makes relu/leaky/elu pre-activations cross 0 often. */
static void kink_case(uint64_t seed, gc_act act, int *fired, int *quiet)
{
    gc_net *net = random_net(seed, act);
    gc_net_forward(net);
    gc_fast *f = gc_fast_new(net, 1);
    int n = net->nlayers;
    gc_mat **lo = calloc((size_t)n + 1, sizeof *lo);
    for (int k = 0; k <= n; k++)
        lo[k] = gc_mat_dup(net->act[k]);
    const double h = 0.05;
    for (int t = GC_FAST_INPUT; t < net->ntensors; t++) {
        int k0 = t == GC_FAST_INPUT ? 0 : net->tensor_layer[t];
        for (size_t idx = 0; idx < tensor_size(net, t); idx++) {
            double th = value_of(net, t, idx);
            gc_fast_loss(f, 0, t, idx, th - h);
            gc_fast_loss(f, 1, t, idx, th + h);
            int fast = gc_fast_kink(f, 0, 1);
            /* Reference: both passes whole, every hook on the whole input. */
            double *x = t == GC_FAST_INPUT ? &net->act[0]->data[idx] : &net->tensors[t]->value[idx];
            *x = th - h;
            gc_net_forward_from(net, k0);
            for (int k = 0; k <= n; k++)
                gc_mat_copy(lo[k], net->act[k]);
            *x = th + h;
            gc_net_forward_from(net, k0);
            int ref = 0;
            for (int k = 0; k < n; k++) {
                const gc_layer *l = net->layers[k];
                if (l->ops->kink != NULL && l->ops->kink(l, lo[k], net->act[k]))
                    ref = 1;
            }
            *x = th;
            gc_net_forward_from(net, k0);
            ck_assert_msg(fast == ref, "seed %llu: %s[%zu]: fast kink %d, reference kink %d",
                          (unsigned long long)seed, tensor_name(net, t), idx, fast, ref);
            *(ref ? fired : quiet) += 1;
        }
    }
    for (int k = 0; k <= n; k++)
        gc_mat_free(lo[k]);
    free(lo);
    gc_fast_free(f);
    gc_net_free(net);
}

START_TEST(test_fast_kink_matches_reference)
{
    static const gc_act acts[] = {GC_ACT_RELU, GC_ACT_LEAKY_RELU, GC_ACT_ELU};
    int fired = 0, quiet = 0;
    for (int i = 0; i < ncases(100); i++)
        kink_case(base_seed() + (uint64_t)i, acts[i % 3], &fired, &quiet);
    /* Not vacuous: both answers occurred. */
    ck_assert_msg(fired > 0 && quiet > 0, "kinks fired %d, quiet %d: the test saw one answer only",
                  fired, quiet);
}
END_TEST

/* The screen's L(θ_t + h d) against setting the whole tensor in place. */
START_TEST(test_fast_direction_matches_reference)
{
    uint64_t seed = base_seed() + (uint64_t)_i;
    gc_net *net = random_net(seed, GC_ACT_COUNT);
    double e = loss_bound(net);
    gc_fast *f = gc_fast_new(net, 1);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 3);
    for (int t = GC_FAST_INPUT; t < net->ntensors; t++) {
        size_t n = tensor_size(net, t);
        double *d = malloc(n * sizeof *d), *keep = malloc(n * sizeof *keep);
        double *x = t == GC_FAST_INPUT ? net->act[0]->data : net->tensors[t]->value;
        int k0 = t == GC_FAST_INPUT ? 0 : net->tensor_layer[t];
        for (size_t i = 0; i < n; i++)
            d[i] = gc_pcg32_normal(&rng);
        memcpy(keep, x, n * sizeof *x);
        for (int s = -1; s <= 1; s += 2) {
            double h = s * 1e-6;
            double lf = gc_fast_loss_dir(f, s > 0, t, d, h);
            for (size_t i = 0; i < n; i++)
                x[i] = keep[i] + h * d[i];
            double lr = gc_net_forward_from(net, k0);
            memcpy(x, keep, n * sizeof *x);
            gc_net_forward_from(net, k0);
            ck_assert_msg(fabs(lf - lr) <= 2 * e,
                          "seed %llu: %s along d, h=%g: fast %.17g reference %.17g bound %.3g",
                          (unsigned long long)seed, tensor_name(net, t), h, lf, lr, 2 * e);
        }
        free(d);
        free(keep);
    }
    gc_fast_free(f);
    gc_net_free(net);
}
END_TEST

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

static gc_report *check_with(gc_net *net, gc_method m, gc_engine eng, int threads, int screen)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = m;
    o.engine = eng;
    o.threads = threads;
    o.screen = screen;
    o.inputs = 1;
    gc_report *r = NULL;
    gc_error err = {0};
    ck_assert_msg(gc_check_net(net, &o, &r, &err) == GC_OK, "gc_check_net: %s", err.msg);
    return r;
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
    gc_report *ref = check_with(net, m, GC_ENGINE_REFERENCE, 1, 0);
    gc_report *fast = check_with(net, m, GC_ENGINE_FAST, 2, 0);
    double e = loss_bound(net);
    double eps = ref->opts.eps;
    double w = m == GC_METHOD_CENTRAL ? 1.0 : m == GC_METHOD_FORWARD ? 1.0 : richardson_weight();
    double bound = 1.01 * w * 2.0 * e / eps;
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
         * does (lib/check.c, verdict_stable). */
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
    gc_report *base = check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_REFERENCE, 1, 0);
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

/* ---- mutants: caught by the fast engine, with and without the screen -------- */

/* Nonzero when `name` is a word of the space-separated list. */
static int blamed(const char *name, const char *list)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/* Loop index = mutant: on 10 standard networks, the fast engine (2 threads)
 * with the screen must still fail the report, drill down into every blamed
 * tensor (never mark it screened) and find failing elements there; the
 * correct twin must not fail, screened or not. */
START_TEST(test_mutants_caught_with_screen)
{
    const gc_mutant *m = mutants[_i];
    int screened_total = 0;
    for (int j = 0; j < 10; j++) {
        uint64_t seed = gc_ck_base_seed() * 1000u + 500u + (uint64_t)j;
        char desc[256];
        gc_error err = {0};
        for (int use = 1; use >= 0; use--) {
            gc_net *net = props_mutant_net(m, use, seed, desc, sizeof desc, &err);
            ck_assert_msg(net != NULL, "%s: seed %llu: %s", m->name, (unsigned long long)seed,
                          err.msg);
            gc_report *r = check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, 2, 1);
            ck_assert(r->opts.screen);
            for (int t = 0; t < r->ntensors; t++) {
                const gc_tensor_report *tr = &r->tensors[t];
                screened_total += tr->screened;
                if (use && blamed(tr->name, m->blame))
                    ck_assert_msg(!tr->screened && tr->nfail > 0,
                                  "mutant %s on %s (GC_SEED=%llu): %s %s with %d failures",
                                  m->name, desc, (unsigned long long)gc_ck_base_seed(), tr->name,
                                  tr->screened ? "was SCREENED (passed the screen)" : "drilled",
                                  tr->nfail);
                if (!use)
                    ck_assert_msg(tr->nfail == 0, "correct twin of %s on %s: %s fails", m->name,
                                  desc, tr->name);
            }
            if (use)
                ck_assert_msg(gc_report_failed(r), "mutant %s SURVIVED the screen on %s",
                              m->name, desc);
            gc_report_free(r);
            gc_net_free(net);
        }
    }
    /* The screen did skip work somewhere (else this test proves nothing
     * about it). */
    ck_assert_msg(screened_total > 0, "%s: the screen passed no tensor at all", m->name);
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
        gc_report *r1 = check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, 1, screen);
        char *j1 = json_of(r1, &len1);
        for (int th = 2; th <= 3; th++) {
            size_t len = 0;
            gc_report *r = check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, th, screen);
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
        gc_report *r = check_with(net, GC_METHOD_CENTRAL,
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

/* ---- the worst-first order ---------------------------------------------------- */

/* The order check.h states (NaN first, larger rel first, ties by smaller idx),
 * written out here on purpose although lib/sort.c's rank_cmp reads the same:
 * it is this test's independent oracle, so it must not be the code under
 * test. */
static int rank_cmp_ref(const void *pa, const void *pb)
{
    const gc_rank *a = pa, *b = pb;
    int an = isnan(a->rel), bn = isnan(b->rel);
    if (an != bn)
        return an ? -1 : 1;
    if (!an && a->rel != b->rel)
        return a->rel > b->rel ? -1 : 1;
    return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

/* The radix sort gives qsort's order with the engine's comparator, on
 * values with NaN, Inf, -0, 0, ties and a wide range of magnitudes. */
START_TEST(test_rank_sort_matches_comparator)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 5, 5);
    static const size_t sizes[] = {0, 1, 2, 3, 4, 63, 64, 1000, 5000, 5001};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        gc_rank *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        for (size_t i = 0; i < n; i++) {
            double v;
            switch (gc_pcg32_bounded(&rng, 8)) {
            case 0: v = NAN; break;
            case 1: v = INFINITY; break;
            case 2: v = gc_pcg32_bounded(&rng, 2) ? 0.0 : -0.0; break;
            case 3: v = 1e-9 * (double)gc_pcg32_bounded(&rng, 4); break; /* ties */
            case 4: v = -gc_pcg32_uniform(&rng); break;
            default: v = ldexp(gc_pcg32_uniform(&rng), (int)gc_pcg32_bounded(&rng, 200) - 100);
            }
            a[i].rel = b[i].rel = v;
            a[i].idx = b[i].idx = 3 * i + 1;
        }
        /* the summary on a copy, against positions 0 and n/2 of the sort */
        gc_rank *c = malloc((n + 1) * sizeof *c);
        memcpy(c, a, n * sizeof *c);
        size_t worst = 0;
        double max_rel = 0, median = 0;
        gc_rank_summary(c, n, &worst, &max_rel, &median);
        free(c);
        gc_rank_sort(a, n);
        qsort(b, n, sizeof *b, rank_cmp_ref);
        if (n > 0) {
            double want = n % 2 ? b[n / 2].rel : 0.5 * (b[n / 2 - 1].rel + b[n / 2].rel);
            ck_assert_msg(worst == b[0].idx && memcmp(&max_rel, &b[0].rel, sizeof max_rel) == 0,
                          "n=%zu: worst idx %zu rel %g, sorted says idx %zu rel %g", n, worst,
                          max_rel, b[0].idx, b[0].rel);
            ck_assert_msg(memcmp(&median, &want, sizeof median) == 0 ||
                              (isnan(median) && isnan(want)),
                          "n=%zu: median %.17g, sorted says %.17g", n, median, want);
        }
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(a[i].idx == b[i].idx, "n=%zu: position %zu: idx %zu (rel %g), "
                          "comparator says idx %zu (rel %g)", n, i, a[i].idx, a[i].rel,
                          b[i].idx, b[i].rel);
        free(a);
        free(b);
    }
}
END_TEST

/* ---- threads -------------------------------------------------------------- */

typedef struct visits {
    atomic_int *count;
} visits;

static void visit(void *ctx, int tid, size_t i)
{
    (void)tid;
    atomic_fetch_add(&((visits *)ctx)->count[i], 1);
}

START_TEST(test_threads_visit_every_index_once)
{
    static const int nthreads[] = {1, 2, 3, 8};
    static const size_t sizes[] = {0, 1, 7, 1000};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) {
            size_t n = sizes[b];
            visits v = {calloc(n + 1, sizeof(atomic_int))};
            ck_assert_int_eq(gc_threads_for(nthreads[a], n, 3, visit, &v), GC_OK);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(atomic_load(&v.count[i]) == 1,
                              "%d threads, n=%zu: index %zu visited %d times", nthreads[a], n, i,
                              atomic_load(&v.count[i]));
            free(v.count);
        }
    ck_assert_int_ge(gc_threads_resolve(0), 1);
    ck_assert_int_eq(gc_threads_resolve(3), 3);
}
END_TEST

Suite *make_fast_suite(void)
{
    Suite *s = suite_create("fast");
    TCase *tc = tcase_create("evaluator");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_fast_loss_matches_reference, 0, ncases(100));
    tcase_add_test(tc, test_fast_fallback_is_bit_identical);
    tcase_add_test(tc, test_fast_kink_matches_reference);
    tcase_add_loop_test(tc, test_fast_direction_matches_reference, 0, ncases(100));
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("engines");
    tcase_set_timeout(te, 120);
    tcase_add_loop_test(te, test_engines_agree, 0, ncases(100));
    tcase_add_loop_test(te, test_mutants_caught_with_screen, 0, NMUTANTS);
    tcase_add_test(te, test_rank_sort_matches_comparator);
    tcase_add_test(te, test_formats_name_the_engine);
    tcase_add_test(te, test_borderline_rows_take_the_reference_verdict);
    suite_add_tcase(s, te);
    TCase *tt = tcase_create("threads");
    tcase_set_timeout(tt, 60);
    tcase_add_test(tt, test_threads_visit_every_index_once);
    tcase_add_test(tt, test_report_identical_across_threads);
    suite_add_tcase(s, tt);
    return s;
}
