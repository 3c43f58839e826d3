/*
 * check_engine.c -- the reference finite-difference engine: the classic
 * network passes, tensor selection and its errors, stratified sampling,
 * prefix reuse (an exact count of layer forward calls), bit-exact
 * restoration on random networks, NaN handling, the layer check on every
 * built-in layer and on examples/swish, and the accuracy of the methods
 * (forward < central < richardson, measured on random smooth networks).
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classic.h"
#include "engine_testutil.h"
#include "swish.h"

/* The classic network of the notes, drawn as examples/classic_main.c draws
 * it: PCG32 seed (s, 54), W1 b1 W2 b2 then x from U[0, 1), y in {0, 1}. */
static gc_net *classic_from_seed(uint64_t s)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, s, 54u);
    classic_params p;
    classic_params_rand(&p, &rng);
    double x[2] = {gc_pcg32_uniform(&rng), gc_pcg32_uniform(&rng)};
    double y = (double)gc_pcg32_bounded(&rng, 2);
    return classic_net(&p, x, y, NULL);
}

/* Every element of the classic network, eight weight draws: pass, and
 * rel_err < 1e-7 (the "good" band) wherever |a| >= 1e-3.  Why the
 * condition: central's absolute error is its roundoff u|L|/ε ~ 1e-10 for a
 * loss of order 1, so an element of 1e-3 has rel_err ~ 1e-7 at worst; a
 * smaller one (seed 2 has dW1[1][0] = -1.6e-5, x[0] being small) sits
 * higher and is judged by rtol 1e-5 as any other. */
START_TEST(test_classic_network_passes)
{
    for (uint64_t s = 1; s <= 8; s++) {
        gc_net *net = classic_from_seed(s);
        ck_assert_ptr_nonnull(net);
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
        ck_assert_int_eq(r->ntensors, 4);
        ck_assert_uint_eq(r->nrows, 4 + 2 + 2 + 1);
        for (size_t k = 0; k < r->nrows; k++) {
            const gc_row *w = &r->rows[k];
            ck_assert_msg(w->verdict == GC_PASS && (fabs(w->analytic) < 1e-3 || w->rel_err < 1e-7),
                          "seed %llu %s[%d][%d]: analytic=%.17g numeric=%.17g rel=%.3g %s",
                          (unsigned long long)s, r->tensors[w->tensor].name, w->row, w->col,
                          w->analytic, w->numeric, w->rel_err, gc_verdict_name(w->verdict));
        }
        ck_assert_int_eq(gc_report_failed(r), 0);
        ck_assert_int_eq(r->restored, 1);
        gc_report_free(r);
        gc_net_free(net);
    }
}
END_TEST

START_TEST(test_unknown_tensor_is_einval)
{
    gc_net *net = classic_from_seed(1);
    const char *const names[] = {"W1", "W9", NULL};
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.params = names;
    gc_report *r = (gc_report *)&o; /* must be reset to NULL */
    gc_error err = {0};
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.msg, "unknown tensor 'W9'");
    gc_net_free(net);
}
END_TEST

/* params {"W2"} and inputs: W2 then x (listed last), nothing else. */
START_TEST(test_selection_and_inputs)
{
    gc_net *net = classic_from_seed(2);
    const char *const names[] = {"W2", NULL};
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.params = names;
    o.inputs = 1;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    ck_assert_int_eq(r->ntensors, 2);
    ck_assert_str_eq(r->tensors[0].name, "W2");
    ck_assert_str_eq(r->tensors[1].name, "x");
    ck_assert_uint_eq(r->tensors[1].count, 2); /* x is 2 x 1 */
    ck_assert_uint_eq(r->nrows, 2 + 2);
    ck_assert_int_eq(r->nfail, 0);
    /* x's analytic is backprop's dL/dX */
    ck_assert(r->rows[2].analytic == net->dact[0]->data[0]);
    ck_assert(r->rows[3].analytic == net->dact[0]->data[1]);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* sample 3 of every tensor: W1 (5x4 = 20) and W2 (2x5 = 10) give 3 sorted,
 * distinct elements; b1 (5) gives 3; b2 (2 < 3) gives both. */
START_TEST(test_sampling_is_stratified)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(4, 5), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_TANH, 5, 0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(5, 2), NULL), GC_OK);
    gc_mat *X = gc_mat_new(4, 1), *T = gc_mat_new(2, 1);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 3, 3);
    for (int i = 0; i < 4; i++)
        X->data[i] = gc_pcg32_uniform(&rng);
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.sample = 3;
    gc_report *r = NULL, *r2 = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    static const size_t want[4] = {3, 3, 3, 2};
    static const int want_sampled[4] = {1, 1, 1, 0};
    ck_assert_int_eq(r->ntensors, 4);
    for (int t = 0; t < 4; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        ck_assert_msg(tr->count == want[t], "%s: %zu rows", tr->name, tr->count);
        ck_assert_int_eq(tr->sampled, want_sampled[t]);
        for (size_t k = 1; k < tr->count; k++) {
            const gc_row *a = &r->rows[tr->first + k - 1], *b = &r->rows[tr->first + k];
            ck_assert_msg(a->row * tr->cols + a->col < b->row * tr->cols + b->col,
                          "%s: rows not sorted or duplicated at %zu", tr->name, k);
        }
    }
    /* same seed: same elements; another seed: another draw of W1 (3 of 20:
     * 1140 subsets, so a coincidence has probability < 1e-3 -- and PCG32 is
     * deterministic, so this either always passes or never does) */
    ck_assert_int_eq(gc_check_net(net, &o, &r2, NULL), GC_OK);
    for (size_t k = 0; k < r->nrows; k++)
        ck_assert(r->rows[k].row == r2->rows[k].row && r->rows[k].col == r2->rows[k].col);
    gc_report_free(r2);
    o.seed = 2;
    ck_assert_int_eq(gc_check_net(net, &o, &r2, NULL), GC_OK);
    int differ = 0;
    for (size_t k = 0; k < 3; k++)
        differ |= r->rows[k].row != r2->rows[k].row || r->rows[k].col != r2->rows[k].col;
    ck_assert_msg(differ, "seeds 1 and 2 drew the same elements of W1");
    gc_report_free(r);
    gc_report_free(r2);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
}
END_TEST

/*
 * Prefix reuse, counted.  Layers: 0 dense 3->4, 1 tanh, 2 dense 4->2,
 * 3 sigmoid; batch 2; inputs on.  A perturbation read first by layer k
 * recomputes layers k..3: 4 - k layer forwards.
 *   base forward                        4
 *   W1 (12) + b1 (4), k = 0: 16 x 2 x 4 = 128
 *   W2 (8) + b2 (2),  k = 2: 10 x 2 x 2 =  40
 *   x (3 x 2 = 6),    k = 0:  6 x 2 x 4 =  48
 *   final restoring forward             4
 * central, 2 evaluations per element: 224.  Recomputing everything for
 * every evaluation would be 4 + 4 x 2 x (16 + 10 + 6) + 4 = 264.
 * richardson (8 evaluations): 4 + 4 x (128 + 40 + 48) + 4 = 872.
 * Evaluations counted by the report: 1 + 2 x 32 + 1 = 66.
 */
START_TEST(test_prefix_reuse_counts_forwards)
{
    gc_net *net = gc_net_new(&gc_loss_bce);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 4), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_TANH, 4, 0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(4, 2), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 2, 0), NULL), GC_OK);
    gc_mat *X = gc_mat_new(3, 2), *T = gc_mat_new(2, 2);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 4, 4);
    for (int i = 0; i < 6; i++)
        X->data[i] = gc_pcg32_uniform(&rng);
    T->data[0] = T->data[3] = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.engine = GC_ENGINE_REFERENCE; /* the counts are the reference's prefix reuse */
    o.inputs = 1;
    gc_report *r = NULL;
    unsigned long long before = net->nforward;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    ck_assert_uint_eq(net->nforward - before, 224);
    ck_assert_uint_eq(r->nevals, 66);
    ck_assert_int_eq(r->nfail, 0);
    gc_report_free(r);
    o.method = GC_METHOD_RICHARDSON;
    before = net->nforward;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    ck_assert_uint_eq(net->nforward - before, 872);
    gc_report_free(r);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
}
END_TEST

/* Copy of every parameter, the input, every activation and the gradients. */
typedef struct state {
    size_t n;
    double *v;
} state;

static state capture(const gc_net *net)
{
    size_t n = 1;
    for (int t = 0; t < net->ntensors; t++)
        n += 2 * (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
    for (int k = 0; k <= net->nlayers; k++)
        n += gc_mat_size(net->act[k]) + gc_mat_size(net->dact[k]);
    state s = {n, malloc(n * sizeof(double))};
    size_t off = 0;
    s.v[off++] = net->loss_value;
    for (int t = 0; t < net->ntensors; t++) {
        size_t m = (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
        memcpy(s.v + off, net->tensors[t]->value, m * sizeof(double));
        off += m;
        memcpy(s.v + off, net->tensors[t]->grad, m * sizeof(double));
        off += m;
    }
    for (int k = 0; k <= net->nlayers; k++) {
        memcpy(s.v + off, net->act[k]->data, gc_mat_size(net->act[k]) * sizeof(double));
        off += gc_mat_size(net->act[k]);
        memcpy(s.v + off, net->dact[k]->data, gc_mat_size(net->dact[k]) * sizeof(double));
        off += gc_mat_size(net->dact[k]);
    }
    return s;
}

/* 30 random networks (relu and friends included), every method, inputs on:
 * parameters, input, cache, loss and gradients are bit-identical to those
 * of a plain forward + backward before the check. */
START_TEST(test_restores_every_bit)
{
    uint64_t base = gc_ck_base_seed();
    for (uint64_t s = base; s < base + 30; s++) {
        gc_net *net = tu_random_net(s, 0);
        ck_assert_msg(net != NULL, "seed %llu: no network", (unsigned long long)s);
        gc_net_forward(net);
        gc_net_backward(net);
        state before = capture(net);
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.inputs = 1;
        o.method = (gc_method)(s % 3);
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
        ck_assert_int_eq(r->restored, 1);
        state after = capture(net);
        ck_assert_msg(memcmp(before.v, after.v, before.n * sizeof(double)) == 0,
                      "seed %llu (GC_SEED=%llu): network state changed by the check",
                      (unsigned long long)s, (unsigned long long)base);
        free(before.v);
        free(after.v);
        gc_report_free(r);
        gc_net_free(net);
    }
}
END_TEST

/* A user layer "nanny": Y = w X with a 1 x 1 parameter w; forward gives NaN
 * when w < 0 (a loss that is not defined there), backward writes dw = NaN
 * when l->alpha is 1 (a broken analytic gradient). */
static void nanny_fwd(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    double w = l->param[0].value[0];
    for (size_t i = 0; i < gc_mat_size(X); i++)
        Y->data[i] = w < 0.0 ? NAN : w * X->data[i];
}

/* dL/dw = sum dY X, dX = w dY. */
static void nanny_bwd(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y, const gc_mat *dY)
{
    (void)Y;
    for (size_t i = 0; i < gc_mat_size(X); i++) {
        l->param[0].grad[0] += l->alpha == 1.0 ? NAN : dY->data[i] * X->data[i];
        if (dX != NULL)
            dX->data[i] = l->param[0].value[0] * dY->data[i];
    }
}

static const gc_layer_ops nanny_ops = {.type = "nanny", .forward = nanny_fwd, .backward = nanny_bwd};

static gc_net *nanny_net(double w, double alpha)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_layer *l = gc_layer_new(&nanny_ops, 1, 1);
    ck_assert_int_ge(gc_layer_add_param(l, "w", 1, 1), 0);
    l->alpha = alpha;
    ck_assert_int_eq(gc_net_add(net, l, NULL), GC_OK);
    gc_mat *X = gc_mat_new(1, 1), *T = gc_mat_new(1, 1);
    X->data[0] = 0.5;
    T->data[0] = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    net->tensors[0]->value[0] = w;
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

/* NaN in L(θ-ε) (w = 0: L(-ε) is NaN) is no verdict at ε: the escalation
 * measures one-sided away from it (θ, θ + h) and confirms the correct
 * gradient; NaN in the analytic value with a finite loss is a fail, never
 * a pass; the report still restores w. */
START_TEST(test_nan_is_fail)
{
    gc_report *r = NULL;
    gc_net *net = nanny_net(0.0, 0.0);
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->rows[0].verdict, GC_PASS);
    ck_assert(r->rows[0].escalated);
    ck_assert(isfinite(r->rows[0].numeric));
    ck_assert_int_eq(r->nfail, 0);
    ck_assert(net->tensors[0]->value[0] == 0.0 && r->restored);
    gc_report_free(r);
    gc_net_free(net);

    net = nanny_net(-1.0, 0.0); /* L(θ) itself is NaN: nothing can be measured */
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->rows[0].verdict, GC_UNDECIDED);
    ck_assert_int_eq(r->rows[0].reason, GC_REASON_LOSS_NONFINITE);
    ck_assert_int_eq(gc_report_status(r), GC_STATUS_UNDECIDED);
    ck_assert_int_eq(r->nreason[GC_REASON_LOSS_NONFINITE], 1);
    gc_report_free(r);
    /* the Check helper fails on it, saying undecided and why, not "fail" */
    char msg[1536];
    ck_assert_int_eq(gc_ck_net_gradients(net, NULL, msg, sizeof msg, NULL), 0);
    ck_assert_msg(strstr(msg, "undecided") != NULL && strstr(msg, "loss not finite at θ") != NULL &&
                      strstr(msg, "elements fail") == NULL,
                  "%s", msg);
    gc_net_free(net);

    net = nanny_net(0.7, 1.0); /* finite loss, NaN analytic */
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    ck_assert(isnan(r->rows[0].analytic));
    ck_assert_int_eq(r->rows[0].verdict, GC_FAIL);
    ck_assert(isnan(r->tensors[0].max_rel));
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* Layer check on every built-in layer and on swish: no fail, every row
 * counted (params + x), parameters untouched.  X is U[-1, 1): a relu input
 * within 1e-6 of 0 would be a kink, reported apart, not a fail. */
START_TEST(test_layer_check_builtins_and_swish)
{
    for (int a = -2; a < GC_ACT_COUNT; a++) {
        gc_layer *l;
        int n = 3;
        if (a == -2) {
            l = gc_dense_new(3, 4);
            gc_pcg32 rng;
            gc_pcg32_seed(&rng, 9, 9);
            for (int p = 0; p < l->nparams; p++)
                for (int i = 0; i < l->param[p].rows * l->param[p].cols; i++)
                    l->param[p].value[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
        } else if (a == -1) {
            l = swish_new(n);
        } else {
            l = gc_activation_new((gc_act)a, n, gc_act_default_alpha((gc_act)a));
        }
        ck_assert_ptr_nonnull(l);
        size_t want = (size_t)l->in * 4;
        for (int p = 0; p < l->nparams; p++)
            want += (size_t)l->param[p].rows * (size_t)l->param[p].cols;
        double w00 = l->nparams > 0 ? l->param[0].value[0] : 0.0;
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_layer(l, 4, NULL, &r, NULL), GC_OK);
        ck_assert_msg(r->nrows == want, "%s: %zu rows, want %zu", l->ops->type, r->nrows, want);
        ck_assert_str_eq(r->tensors[r->ntensors - 1].name, "x");
        for (size_t k = 0; k < r->nrows; k++) {
            const gc_row *w = &r->rows[k];
            ck_assert_msg(w->verdict != GC_FAIL,
                          "%s %s[%d][%d]: analytic=%.17g numeric=%.17g rel=%.3g", l->ops->type,
                          r->tensors[w->tensor].name, w->row, w->col, w->analytic, w->numeric,
                          w->rel_err);
        }
        ck_assert(r->restored);
        if (l->nparams > 0)
            ck_assert(l->param[0].value[0] == w00);
        gc_report_free(r);
        gc_layer_free(l);
    }
}
END_TEST

/* The layer check finds the 1% bug in dW[1][0] of a wrong dense, and only
 * that element. */
START_TEST(test_layer_check_catches_wrong_dense)
{
    gc_layer *l = tu_wrong_dense_new(3, 2, 1.01);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 5, 5);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < l->param[p].rows * l->param[p].cols; i++)
            l->param[p].value[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 3, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->nfail, 1);
    const gc_row *w = &r->rows[gc_report_order(r)[0]];
    ck_assert_str_eq(r->tensors[w->tensor].name, "W");
    ck_assert_int_eq(w->row, 1);
    ck_assert_int_eq(w->col, 0);
    ck_assert_int_eq(w->verdict, GC_FAIL);
    /* analytic = 1.01 n, so rel_err = 0.01/1.01 up to central's ~1e-9 */
    ck_assert_msg(fabs(w->rel_err - 0.01 / 1.01) < 1e-6, "W[1][0]: rel=%.17g", w->rel_err);
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

/* median of rel_err over every row of the reports */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

/* Median rel_err of `method` at step eps (0: its default) over nets seeds
 * base..base+n-1 (inputs on); *fails gets the number of fail verdicts. */
static double median_rel_opts(gc_method method, double eps, int adaptive, uint64_t base, int n,
                              int *fails)
{
    size_t cap = 4096, len = 0;
    double *all = malloc(cap * sizeof *all);
    *fails = 0;
    for (uint64_t s = base; s < base + (uint64_t)n; s++) {
        gc_net *net = tu_random_net(s, 1);
        ck_assert_ptr_nonnull(net);
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.method = method;
        o.eps = eps;
        o.inputs = 1;
        o.adaptive = adaptive;
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
        for (size_t k = 0; k < r->nrows; k++) {
            if (len == cap)
                all = realloc(all, (cap *= 2) * sizeof *all);
            all[len++] = r->rows[k].rel_err;
        }
        *fails += r->nfail;
        gc_report_free(r);
        gc_net_free(net);
    }
    qsort(all, len, sizeof *all, cmp_double);
    double m = all[len / 2];
    free(all);
    return m;
}

static double median_rel(gc_method method, int adaptive, uint64_t base, int n, int *fails)
{
    return median_rel_opts(method, 0.0, adaptive, base, n, fails);
}

static double median_rel_eps(gc_method method, double eps, uint64_t base, int n, int *fails)
{
    return median_rel_opts(method, eps, 0, base, n, fails);
}

/*
 * The accuracy ladder over 24 random smooth networks (inputs included),
 * each method at its default step.  Expected orders of magnitude, from
 * the error terms: forward ε|L″|/2 ~ 1e-7 relative; central roundoff
 * u|L|/ε ~ 1e-10; richardson roundoff u|L|/(ε/8) at ε = 1e-2 ~ 1e-13.
 * Measured (GC_SEED=1): forward 1.8e-7, central 3.3e-10, richardson
 * 3.7e-13.  Asserted with a factor 5-10 of margin: forward >= 100 x
 * central, central >= 100 x richardson; none fails; adaptive richardson
 * (tighter bands) fails nothing either.
 */
START_TEST(test_methods_accuracy_ladder)
{
    uint64_t base = gc_ck_base_seed() + 1000;
    int ff, fc, fr, fa;
    double mf = median_rel(GC_METHOD_FORWARD, 0, base, 24, &ff);
    double mc = median_rel(GC_METHOD_CENTRAL, 0, base, 24, &fc);
    double mr = median_rel(GC_METHOD_RICHARDSON, 0, base, 24, &fr);
    double ma = median_rel(GC_METHOD_RICHARDSON, 1, base, 24, &fa);
    if (getenv("GC_VERBOSE") != NULL) {
        fprintf(stderr, "median rel_err over 24 smooth nets (seeds %llu..): forward %.3e "
                        "central %.3e richardson %.3e (ratio central/richardson %.0f)\n",
                (unsigned long long)base, mf, mc, mr, mc / mr);
        /* the measurement behind GC_DEFAULT_EPS_RICHARDSON (check.h) */
        static const double steps[] = {1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            int fk;
            double m = median_rel_eps(GC_METHOD_RICHARDSON, steps[k], base, 24, &fk);
            fprintf(stderr, "  richardson eps %-6g median rel_err %.3e (%d fail)\n", steps[k], m,
                    fk);
        }
    }
    ck_assert_msg(mc >= 100.0 * mr, "central median %.3e, richardson %.3e (GC_SEED base %llu)",
                  mc, mr, (unsigned long long)base);
    ck_assert_msg(mf >= 100.0 * mc, "forward median %.3e, central %.3e", mf, mc);
    ck_assert_int_eq(fc, 0);
    ck_assert_int_eq(fr, 0);
    ck_assert_int_eq(fa, 0);
    ck_assert(ma == mr); /* adaptive changes verdicts, never numbers */
    (void)ff;            /* forward's 1e-6 truncation may fail a few: its point */
}
END_TEST

/* Adaptive richardson catches a bug plain rtol cannot: dW[1][0] wrong by
 * 1e-6 relative (below rtol 1e-5, so plain passes), while richardson's
 * own error is ~1e-12 and the band's floor 1e-9.  Precondition: that
 * element is larger than atol / 1e-6 = 1e-2, so atol cannot absorb it. */
START_TEST(test_adaptive_catches_tiny_bug)
{
    gc_layer *l = tu_wrong_dense_new(3, 2, 1.0 + 1e-6);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 6, 6);
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < l->param[p].rows * l->param[p].cols; i++)
            l->param[p].value[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = GC_METHOD_RICHARDSON;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 3, &o, &r, NULL), GC_OK);
    const gc_row *w = &r->rows[1 * 3 + 0]; /* W is listed first, row-major */
    ck_assert(w->row == 1 && w->col == 0);
    ck_assert_msg(fabs(w->analytic) > 1e-2, "W[1][0] = %g too small for the test", w->analytic);
    ck_assert_int_eq(r->nfail, 0);
    gc_report_free(r);
    o.adaptive = 1;
    ck_assert_int_eq(gc_check_layer(l, 3, &o, &r, NULL), GC_OK);
    ck_assert_int_eq(r->nfail, 1);
    w = &r->rows[gc_report_order(r)[0]];
    ck_assert_msg(w->row == 1 && w->col == 0 && w->verdict == GC_FAIL,
                  "worst is W[%d][%d] %s", w->row, w->col, gc_verdict_name(w->verdict));
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

START_TEST(test_bad_options_are_einval)
{
    gc_net *net = classic_from_seed(1);
    gc_check_opts o;
    gc_report *r = NULL;
    gc_error err = {0};
    gc_check_opts_init(&o);
    o.eps = NAN;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    gc_check_opts_init(&o);
    o.rtol = -1.0;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    gc_check_opts_init(&o);
    o.sample = -3;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(gc_check_net(NULL, NULL, &r, &err), GC_EINVAL);
    ck_assert_int_eq(gc_check_layer(NULL, 1, NULL, &r, &err), GC_EINVAL);
    gc_method m;
    ck_assert_int_eq(gc_method_from_name("richardson", &m), GC_OK);
    ck_assert_int_eq(m, GC_METHOD_RICHARDSON);
    ck_assert_int_eq(gc_method_from_name("backward", &m), GC_EINVAL);
    ck_assert_double_eq(gc_method_default_eps(GC_METHOD_CENTRAL), 1e-6);
    gc_net_free(net);
}
END_TEST

/* The layer check always runs the reference engine (check.h), so its
 * report must say "reference" even when the options ask for the fast one
 * (the default): a report names what ran, in the struct and in every
 * writer. */
START_TEST(test_layer_check_reports_the_engine_that_ran)
{
    gc_layer *l = gc_dense_new(3, 2);
    ck_assert_ptr_nonnull(l);
    gc_check_opts o;
    gc_check_opts_init(&o);
    ck_assert_int_eq(o.engine, GC_ENGINE_FAST); /* the default asks for fast */
    o.screen = 1;                               /* a fast-engine option */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 2, &o, &r, NULL), GC_OK);
    ck_assert_msg(r->opts.engine == GC_ENGINE_REFERENCE,
                  "layer check report says engine '%s', the reference ran",
                  gc_engine_name(r->opts.engine));
    ck_assert_msg(!r->opts.screen, "layer check report says screen, none ran");
    char *buf = tu_render(gc_report_write_json, r, NULL);
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(strstr(buf, "\"engine\": \"reference\"") != NULL, "JSON: %s", buf);
    free(buf);
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

/* gc_check_layer keeps its targets in arrays of GC_LAYER_MAX_PARAMS + 1:
 * a hand-built layer claiming more parameters must be refused, not written
 * past the arrays (it was: a stack overflow). */
START_TEST(test_layer_check_refuses_too_many_params)
{
    gc_layer *l = gc_dense_new(2, 2);
    ck_assert_ptr_nonnull(l);
    int keep = l->nparams;
    l->nparams = GC_LAYER_MAX_PARAMS + 1;
    gc_report *r = NULL;
    gc_error err = {0};
    int rc = gc_check_layer(l, 1, NULL, &r, &err);
    l->nparams = keep;
    ck_assert_int_eq(rc, GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "parameters") != NULL, "err: %s", err.msg);
    gc_layer_free(l);
}
END_TEST

/* Options are validated as a whole: an unknown engine was run as the
 * reference (and reported so) and a negative thread count as "all cores",
 * where an unknown method or a negative sample is GC_EINVAL. */
START_TEST(test_check_refuses_unknown_engine_and_negative_threads)
{
    gc_net *net = tu_small_net();
    gc_report *r = NULL;
    gc_error err = {0};
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.engine = (gc_engine)7;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "engine") != NULL, "err: %s", err.msg);
    gc_check_opts_init(&o);
    o.threads = -1;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "threads") != NULL, "err: %s", err.msg);
    gc_net_free(net);
}
END_TEST

Suite *make_engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_classic_network_passes);
    tcase_add_test(tc, test_unknown_tensor_is_einval);
    tcase_add_test(tc, test_selection_and_inputs);
    tcase_add_test(tc, test_sampling_is_stratified);
    tcase_add_test(tc, test_prefix_reuse_counts_forwards);
    tcase_add_test(tc, test_restores_every_bit);
    tcase_add_test(tc, test_nan_is_fail);
    tcase_add_test(tc, test_layer_check_builtins_and_swish);
    tcase_add_test(tc, test_layer_check_catches_wrong_dense);
    tcase_add_test(tc, test_methods_accuracy_ladder);
    tcase_add_test(tc, test_adaptive_catches_tiny_bug);
    tcase_add_test(tc, test_bad_options_are_einval);
    tcase_add_test(tc, test_layer_check_reports_the_engine_that_ran);
    tcase_add_test(tc, test_layer_check_refuses_too_many_params);
    tcase_add_test(tc, test_check_refuses_unknown_engine_and_negative_threads);
    suite_add_tcase(s, tc);
    return s;
}
