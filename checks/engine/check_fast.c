/*
 * check_fast.c -- the sparse-change evaluator computes the reference
 * engine's perturbed losses, up to a stated rounding bound.
 *
 * Property tests over random networks (every activation, every loss, batch
 * sizes 1..4, a user's layer that declares no capability): for every element
 * of every tensor and of the input, the evaluator's L(θ ± ε eᵢ) is compared
 * with the reference's (perturb in place, gc_net_forward_from), the kink
 * hooks with the reference's, the screen's directional losses likewise.
 *
 * GC_SEED (gc_ck_base_seed) and GC_CASES
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
#include "rounding_bound.h"
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
    double e = tu_loss_rounding_bound(net);
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
    double e = tu_loss_rounding_bound(net);
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

/* ---- many perturbations at once (gc_fast_losses) --------------------------- */

/* Nonzero when gc_fast_losses takes tensor t's losses along lines
 * (gc_loss.values_line, lib/engine/fast_batch.c): a loss with values_line
 * and values_near, and after t's layer elementwise or identity layers, one
 * affine layer, then identity layers only. */
static int takes_lines(const gc_net *net, int t)
{
    const gc_loss *loss = net->loss;
    if (loss->values_line == NULL || loss->values_near == NULL)
        return 0;
    int k = net->tensor_layer[t] + 1, affine = 0;
    for (; k < net->nlayers; k++) {
        const gc_layer_ops *ops = net->layers[k]->ops;
        if (ops == gc_act_ops(GC_ACT_IDENTITY))
            continue;
        if (affine || !(ops->caps & (GC_CAP_ELEMENTWISE | GC_CAP_AFFINE)))
            return 0;
        affine = (ops->caps & GC_CAP_ELEMENTWISE) == 0;
    }
    return affine;
}

/* What the losses along lines may differ from gc_fast_loss's beyond
 * GC_LOSS_VALUES_BOUND: values_line takes the output P~ = Z~ + w d exactly
 * (column c: Z~_ic = Z_kc + fl(Z_ic - Z_kc), k its max row), gc_fast_loss
 * rounds fl(Z_ic + fl(w_i d_c)).  Up to a shift of each column (which
 * changes no loss), P~ and P differ by at most
 * u (|Z_ic - Z_kc| + |P_ic| + |w_i d_c|) per element, and
 * |w_i d_c| <= |P_ic| + |Z_ic| to first order; for targets summing to 1 a
 * column's gradient entries sum to 0 and their magnitudes to at most 2,
 * and the loss is the columns' mean.  So 2 u max (|Z_ic - Z_kc| + 2 |P_ic| +
 * |Z_ic|), with 1% for the second order and the reference's P (taken here)
 * against the evaluator's. */
static double line_extra(gc_net *net, int t, size_t idx, double v)
{
    const gc_mat *A = net->act[net->nlayers];
    const int rows = A->rows, B = A->cols;
    gc_mat *Z = gc_mat_new(rows, B);
    double *x = &net->tensors[t]->value[idx];
    memcpy(Z->data, A->data, gc_mat_size(Z) * sizeof(double));
    const double keep = *x;
    *x = v;
    gc_net_forward_from(net, net->tensor_layer[t]);
    double m = 0.0;
    for (int c = 0; c < B; c++) {
        int k = 0;
        for (int i = 1; i < rows; i++)
            k = GC_AT(Z, i, c) > GC_AT(Z, k, c) ? i : k;
        for (int i = 0; i < rows; i++)
            m = fmax(m, fabs(GC_AT(Z, i, c) - GC_AT(Z, k, c)) + 2.0 * fabs(GC_AT(A, i, c)) +
                            fabs(GC_AT(Z, i, c)));
    }
    *x = keep;
    gc_net_forward_from(net, net->tensor_layer[t]);
    gc_mat_free(Z);
    return 1.01 * 2.0 * (DBL_EPSILON / 2) * m;
}

/* The batched losses of every element of every batchable tensor of net at
 * θ ± h for two steps, against gc_fast_loss one at a time: bit for bit
 * when the loss has no values op (every number before the loss is the same
 * arithmetic), within GC_LOSS_VALUES_BOUND(rows) u |L| when it has one
 * (lib/gradcheck/layer.h derives it), plus line_extra for the losses
 * along lines.  Returns the tensors batched. */
static int batch_matches_scalar(gc_net *net, const char *what)
{
    gc_net_forward(net);
    gc_fast *f = gc_fast_new(net, 0);
    ck_assert_ptr_nonnull(f);
    const int rows = net->act[net->nlayers]->rows;
    const double u = DBL_EPSILON / 2;
    int batched = 0;
    static const double steps[] = {1e-6, -1e-6, 1e-3, -1e-3};
    const size_t ns = sizeof steps / sizeof steps[0];
    for (int t = 0; t < net->ntensors; t++) {
        size_t n = tensor_size(net, t), m = n * ns;
        size_t *idx = malloc(m * sizeof *idx);
        double *v = malloc(m * sizeof *v), *out = malloc(m * sizeof *out);
        for (size_t e = 0; e < n; e++)
            for (size_t h = 0; h < ns; h++) {
                idx[e * ns + h] = e;
                v[e * ns + h] = value_of(net, t, e) + steps[h];
            }
        int rc = gc_fast_losses(f, t, idx, v, m, out);
        ck_assert_int_eq(rc, gc_fast_batchable(f, t) ? GC_OK : GC_EINVAL);
        for (size_t s = 0; rc == GC_OK && s < m; s++) {
            double ls = gc_fast_loss(f, (int)(s % 2), t, idx[s], v[s]);
            double bound = GC_LOSS_VALUES_BOUND(rows) * u * fabs(ls);
            if (takes_lines(net, t))
                bound += line_extra(net, t, idx[s], v[s]);
            int ok = net->loss->values == NULL ? memcmp(&ls, &out[s], sizeof ls) == 0
                                               : fabs(out[s] - ls) <= bound ||
                                                     (isnan(ls) && isnan(out[s]));
            ck_assert_msg(ok,
                          "%s: %s[%zu] at θ%+g: batched L=%.17g one at a time L=%.17g, |diff| "
                          "%.3g > %s %.3g",
                          what, tensor_name(net, t), idx[s], steps[s % ns], out[s], ls,
                          fabs(out[s] - ls),
                          net->loss->values == NULL ? "0, bit for bit:" : "bound",
                          net->loss->values == NULL ? 0.0 : bound);
        }
        batched += rc == GC_OK;
        free(idx);
        free(v);
        free(out);
    }
    gc_fast_free(f);
    return batched;
}

START_TEST(test_fast_losses_match_one_at_a_time)
{
    uint64_t seed = base_seed() + (uint64_t)_i;
    gc_net *net = random_net(seed, GC_ACT_COUNT);
    char what[96];
    snprintf(what, sizeof what, "seed %llu (GC_SEED=%llu GC_CASES=1)", (unsigned long long)seed,
             (unsigned long long)seed);
    (void)batch_matches_scalar(net, what);
    gc_net_free(net);
}
END_TEST

/* Wider networks: more columns than a block of the loss's vectors, more
 * perturbations than one pass holds, two and three dense layers, each
 * loss; every tensor is batchable there. */
START_TEST(test_fast_losses_wide)
{
    static const struct {
        const char *arch, *acts, *loss;
        int batch;
    } nets[] = {
        {"30-20-12", "sigmoid,identity", "softmax_ce", 1},
        {"30-20-12", "tanh,identity", "softmax_ce", 3},
        {"12-9-7-5", "sigmoid,gelu,identity", "softmax_ce", 2},
        {"12-9-7", "softplus,identity", "mse", 2},
        {"12-9-1", "tanh,sigmoid", "bce", 3},
        {"12-1", "identity", "softmax_ce", 2},
    };
    for (size_t q = 0; q < sizeof nets / sizeof nets[0]; q++) {
        gc_pcg32 rng;
        gc_arch_seed_rng(&rng, base_seed() + q);
        gc_error err = {0};
        gc_net *net = gc_net_from_arch(nets[q].arch, nets[q].acts, nets[q].loss, nets[q].batch,
                                       GC_INIT_XAVIER, &rng, &err);
        ck_assert_msg(net != NULL, "%s: %s", nets[q].arch, err.msg);
        char what[128];
        snprintf(what, sizeof what, "--arch %s --act %s --loss %s --batch %d", nets[q].arch,
                 nets[q].acts, nets[q].loss, nets[q].batch);
        int batched = batch_matches_scalar(net, what);
        ck_assert_msg(batched == net->ntensors, "%s: %d of %d tensors batched", what, batched,
                      net->ntensors);
        gc_net_free(net);
    }
}
END_TEST

/* The losses of elements lo .. hi - 1 of tensor t at θ + h from f, and
 * from a fresh evaluator of the same network: bit for bit the same. */
static void range_as_fresh(gc_fast *f, gc_net *net, int t, size_t lo, size_t hi, double h,
                           const char *what)
{
    const size_t n = hi - lo;
    size_t *idx = malloc(n * sizeof *idx);
    double *v = malloc(n * sizeof *v), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    for (size_t e = 0; e < n; e++) {
        idx[e] = lo + e;
        v[e] = value_of(net, t, lo + e) + h;
    }
    gc_fast *g = gc_fast_new(net, 0);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gc_fast_losses(f, t, idx, v, n, a), GC_OK);
    ck_assert_int_eq(gc_fast_losses(g, t, idx, v, n, b), GC_OK);
    for (size_t e = 0; e < n; e++)
        ck_assert_msg(memcmp(&a[e], &b[e], sizeof a[e]) == 0,
                      "%s: %s[%zu]: %.17g from the evaluator, %.17g from a fresh one", what,
                      tensor_name(net, t), idx[e], a[e], b[e]);
    gc_fast_free(g);
    free(idx);
    free(v);
    free(a);
    free(b);
}

static void losses_as_fresh(gc_fast *f, gc_net *net, int t, double h, const char *what)
{
    range_as_fresh(f, net, t, 0, tensor_size(net, t), h, what);
}

/* The loss's base state is kept between calls while the cached output and
 * targets keep their bits: after a parameter changes (and the cache with
 * it), or the targets do, or both come back, the losses are a fresh
 * evaluator's. */
START_TEST(test_fast_losses_follow_the_cache)
{
    static const int Bs[] = {1, 3};
    for (size_t q = 0; q < sizeof Bs / sizeof Bs[0]; q++) {
        gc_pcg32 rng;
        gc_arch_seed_rng(&rng, base_seed() + q);
        gc_error err = {0};
        gc_net *net = gc_net_from_arch("12-9-5", "sigmoid,identity", "softmax_ce", Bs[q],
                                       GC_INIT_XAVIER, &rng, &err);
        ck_assert_msg(net != NULL, "%s", err.msg);
        gc_net_forward(net);
        gc_fast *f = gc_fast_new(net, 0);
        ck_assert_ptr_nonnull(f);
        char what[64];
        snprintf(what, sizeof what, "12-9-5 B %d", Bs[q]);
        double *w2 = &net->tensors[2]->value[3];
        const double keep = *w2;
        losses_as_fresh(f, net, 0, 1e-6, what);
        *w2 = keep + 0.25; /* the cached output moves */
        gc_net_forward(net);
        losses_as_fresh(f, net, 0, 1e-6, what);
        losses_as_fresh(f, net, 1, -1e-6, what);
        double *T = net->T->data; /* the targets of example 0 move one unit down */
        const int rows = net->T->rows, B = net->T->cols;
        int hot = 0;
        for (int i = 0; i < rows; i++)
            hot = T[i * B] > T[hot * B] ? i : hot;
        T[hot * B] = 0.0;
        T[(hot + 1) % rows * B] = 1.0;
        losses_as_fresh(f, net, 0, 1e-6, what);
        *w2 = keep;
        gc_net_forward(net);
        losses_as_fresh(f, net, 0, 1e-6, what);
        gc_fast_free(f);
        gc_net_free(net);
    }
}
END_TEST

/* A line's coefficients are kept between calls while its column of W and
 * the base keep their bits: a hidden unit whose output is exactly 0 (tanh
 * of a zero row) leaves the cached output's bits alone when its column of
 * W2 changes, and its elements' losses then follow the new column. */
START_TEST(test_fast_losses_follow_the_column)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, base_seed());
    gc_error err = {0};
    gc_net *net = gc_net_from_arch("12-9-5", "tanh,identity", "softmax_ce", 1, GC_INIT_XAVIER,
                                   &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_tensor *W1 = net->tensors[0], *b1 = net->tensors[1], *W2 = net->tensors[2];
    const int j = 8, in = W1->cols;
    for (int k = 0; k < in; k++)
        W1->value[j * in + k] = 0.0;
    b1->value[j] = 0.0;
    gc_net_forward(net);
    gc_fast *f = gc_fast_new(net, 0);
    ck_assert_ptr_nonnull(f);
    const size_t out = gc_mat_size(net->act[net->nlayers]);
    double *z = malloc(out * sizeof *z);
    memcpy(z, net->act[net->nlayers]->data, out * sizeof *z);
    range_as_fresh(f, net, 0, (size_t)j * (size_t)in, (size_t)(j + 1) * (size_t)in, 1e-6,
                   "unit 8");
    for (int i = 0; i < W2->rows; i++) /* not by one amount: softmax ignores a shift */
        W2->value[i * W2->cols + j] += 0.25 * (i + 1);
    gc_net_forward(net);
    ck_assert(memcmp(z, net->act[net->nlayers]->data, out * sizeof *z) == 0);
    range_as_fresh(f, net, 0, (size_t)j * (size_t)in, (size_t)(j + 1) * (size_t)in, 1e-6,
                   "unit 8, its column of W2 moved");
    free(z);
    gc_fast_free(f);
    gc_net_free(net);
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
    TCase *tb = tcase_create("batch");
    tcase_set_timeout(tb, 60);
    tcase_add_loop_test(tb, test_fast_losses_match_one_at_a_time, 0, ncases(100));
    tcase_add_test(tb, test_fast_losses_wide);
    tcase_add_test(tb, test_fast_losses_follow_the_cache);
    tcase_add_test(tb, test_fast_losses_follow_the_column);
    suite_add_tcase(s, tb);
    return s;
}
