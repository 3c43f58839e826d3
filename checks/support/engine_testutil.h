/*
 * engine_testutil.h -- networks, deliberately wrong layers and report
 * rendering shared by the engine's suites (check_engine.c, check_kink.c,
 * check_report.c, check_fast.c) and the mutant networks (props_mutnet.c).  Built from the public API only; every
 * random draw comes from PCG32.
 */
#ifndef GRADCHECK_ENGINE_TESTUTIL_H
#define GRADCHECK_ENGINE_TESTUTIL_H

#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The randomized tests' base seed: gc_ck_base_seed (GC_SEED, else its default). */

/* Weights Xavier, then biases U[-0.5, 0.5) (Xavier leaves them at 0), all
 * from rng: GC_OK, or gc_net_init_params' error. */
static inline int tu_init_params(gc_net *net, gc_pcg32 *rng)
{
    int rc = gc_net_init_params(net, GC_INIT_XAVIER, rng);
    for (int t = 0; rc == GC_OK && t < net->ntensors; t++)
        if (net->tensors[t]->cols == 1)
            for (int i = 0; i < net->tensors[t]->rows; i++)
                net->tensors[t]->value[i] = gc_pcg32_uniform(rng) - 0.5;
    return rc;
}

/*
 * A random network from seed: 1 to 3 dense layers, widths 1 to 4, an
 * activation between them, batch 1 to 3, loss mse, bce_logits, softmax_ce
 * or bce (with a sigmoid output).  smooth: activations from sigmoid, tanh,
 * softplus, gelu, identity; else also relu, leaky_relu, elu (alpha 0.5).
 * Weights Xavier, biases U[-0.5, 0.5), X U[-1, 1).  NULL on failure.
 */
static inline gc_net *tu_random_net(uint64_t seed, int smooth)
{
    static const gc_act acts[] = {GC_ACT_SIGMOID, GC_ACT_TANH, GC_ACT_SOFTPLUS, GC_ACT_GELU,
                                  GC_ACT_IDENTITY, GC_ACT_RELU, GC_ACT_LEAKY_RELU, GC_ACT_ELU};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 77u);
    int k = (int)gc_pcg32_bounded(&rng, 4);
    const gc_loss *loss = k == 0 ? &gc_loss_mse
                        : k == 1 ? &gc_loss_bce_logits
                        : k == 2 ? &gc_loss_softmax_ce : &gc_loss_bce;
    gc_net *net = gc_net_new(loss);
    if (net == NULL)
        return NULL;
    int depth = 1 + (int)gc_pcg32_bounded(&rng, 3);
    int in = 1 + (int)gc_pcg32_bounded(&rng, 4), w = in;
    int rc = GC_OK;
    for (int d = 0; d < depth && rc == GC_OK; d++) {
        int out = d == depth - 1 ? 1 + (int)gc_pcg32_bounded(&rng, 3)
                                 : 1 + (int)gc_pcg32_bounded(&rng, 4);
        rc = gc_net_add(net, gc_dense_new(w, out), NULL);
        if (rc == GC_OK && d < depth - 1) {
            gc_act a = acts[gc_pcg32_bounded(&rng, smooth ? 5u : 8u)];
            double alpha = a == GC_ACT_ELU ? 0.5 : gc_act_default_alpha(a);
            rc = gc_net_add(net, gc_activation_new(a, out, alpha), NULL);
        } else if (rc == GC_OK && loss == &gc_loss_bce) {
            rc = gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, out, 0.0), NULL);
        }
        w = out;
    }
    int B = 1 + (int)gc_pcg32_bounded(&rng, 3);
    gc_mat *X = gc_mat_new(in, B), *T = gc_mat_new(w, B);
    if (rc != GC_OK || X == NULL || T == NULL)
        goto fail;
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    for (int c = 0; c < B; c++) {
        int hot = (int)gc_pcg32_bounded(&rng, (uint32_t)w);
        for (int r = 0; r < w; r++) {
            double u = gc_pcg32_uniform(&rng);
            GC_AT(T, r, c) = loss == &gc_loss_softmax_ce ? (r == hot ? 1.0 : 0.0)
                           : loss == &gc_loss_mse ? 2.0 * u - 1.0 : (u < 0.5 ? 0.0 : 1.0);
        }
    }
    if (gc_net_set_data(net, X, T, NULL) != GC_OK)
        goto fail;
    if (tu_init_params(net, &rng) != GC_OK)
        goto fail;
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
fail:
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
    return NULL;
}

/* A dense layer written out by hand, Y = W X + b, whose backward is right
 * except for dW[1][0], which it multiplies by l->alpha (1.01: wrong by 1%):
 * the bug a checker must name. */
static inline void tu_wrong_dense_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *W = l->param[0].value, *b = l->param[1].value;
    for (int o = 0; o < l->out; o++)
        for (int c = 0; c < X->cols; c++) {
            double z = b[o];
            for (int i = 0; i < l->in; i++)
                z += W[o * l->in + i] * GC_AT(X, i, c);
            GC_AT(Y, o, c) = z;
        }
}

/* dW[o][i] += sum_c dY[o][c] X[i][c]; db[o] += sum_c dY[o][c];
 * dX[i][c] = sum_o W[o][i] dY[o][c]. */
static inline void tu_wrong_dense_backward(gc_layer *l, gc_mat *dX, const gc_mat *X,
                                           const gc_mat *Y, const gc_mat *dY)
{
    (void)Y;
    const double *W = l->param[0].value;
    double *dW = l->param[0].grad, *db = l->param[1].grad;
    for (int o = 0; o < l->out; o++)
        for (int c = 0; c < X->cols; c++) {
            db[o] += GC_AT(dY, o, c);
            for (int i = 0; i < l->in; i++) {
                double g = GC_AT(dY, o, c) * GC_AT(X, i, c);
                dW[o * l->in + i] += (o == 1 && i == 0) ? l->alpha * g : g;
            }
        }
    if (dX != NULL)
        for (int i = 0; i < l->in; i++)
            for (int c = 0; c < X->cols; c++) {
                double s = 0.0;
                for (int o = 0; o < l->out; o++)
                    s += W[o * l->in + i] * GC_AT(dY, o, c);
                GC_AT(dX, i, c) = s;
            }
}

static inline const gc_layer_ops *tu_wrong_dense_ops(void)
{
    static const gc_layer_ops ops = {.type = "wrong_dense",
                                     .forward = tu_wrong_dense_forward,
                                     .backward = tu_wrong_dense_backward};
    return &ops;
}

/* A layer with `ops` and dense's parameters as gc_dense_new gives them, W
 * (out x in) then b (out x 1): a hand-written or deliberately wrong dense.
 * NULL on failure. */
static inline gc_layer *tu_dense_shaped_new(const gc_layer_ops *ops, int in, int out)
{
    gc_layer *l = gc_layer_new(ops, in, out);
    if (l == NULL)
        return NULL;
    if (gc_layer_add_param(l, "W", out, in) < 0 || gc_layer_add_param(l, "b", out, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    return l;
}

/* A dense in -> out (in >= 1, out >= 2) with that wrong backward. */
static inline gc_layer *tu_wrong_dense_new(int in, int out, double factor)
{
    gc_layer *l = tu_dense_shaped_new(tu_wrong_dense_ops(), in, out);
    if (l != NULL)
        l->alpha = factor;
    return l;
}

/* The report as `write` (a gc_report_write_* function) prints it,
 * NUL-terminated (free it), its length in *len when len is not NULL; NULL
 * when the writer or the memory stream fails. */
static inline char *tu_render(int (*write)(const gc_report *, FILE *), const gc_report *r,
                              size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (f == NULL)
        return NULL;
    int rc = write(r, f);
    if (fclose(f) != 0 || rc != GC_OK) {
        free(buf);
        return NULL;
    }
    if (len != NULL)
        *len = n;
    return buf;
}

/* gc_check_net with inputs, method m, engine eng, threads and screen; the
 * report, asserted to exist. */
static inline gc_report *tu_check_with(gc_net *net, gc_method m, gc_engine eng, int threads, int screen)
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

/* A 2-3-1 dense/sigmoid network with mse, batch 2, parameters from seed 7. */
static inline gc_net *tu_small_net(void)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 3), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 3, 0.0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 1), NULL), GC_OK);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 1);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    gc_mat *X = gc_mat_new(2, 2), *T = gc_mat_new(1, 2);
    ck_assert_ptr_nonnull(X);
    ck_assert_ptr_nonnull(T);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(&rng);
    for (size_t i = 0; i < gc_mat_size(T); i++)
        T->data[i] = gc_pcg32_normal(&rng);
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

/* The network `gradcheck --arch ARCH --act ACT --loss LOSS --batch B --seed
 * SEED --init INIT` checks: how a case found by a sweep or a property test
 * is pinned.  Aborts the test when it cannot be built. */
static inline gc_net *tu_arch_net_init(const char *arch, const char *act, const char *loss,
                                       int batch, gc_init init, uint64_t seed)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, seed);
    gc_net *net = gc_net_from_arch(arch, act, loss, batch, init, &rng, NULL);
    if (net == NULL)
        abort();
    return net;
}

/* The same with --init uniform. */
static inline gc_net *tu_arch_net(const char *arch, const char *act, const char *loss, int batch,
                                  uint64_t seed)
{
    return tu_arch_net_init(arch, act, loss, batch, GC_INIT_UNIFORM, seed);
}

/* check_conditioning.c's network (its header derives the case): a fail at
 * x[0][1] that backprop's own rounding explains, which the conditioning
 * estimate makes undecided.  An identity layer after the softmax keeps
 * bce's one-step backward through the softmax (lib/nn/loss.c) out: the
 * backward takes bce's dL/dp and then softmax's, as a network whose softmax
 * is not the built-in one would. */
static inline gc_net *tu_saturated_bce_net(void)
{
    gc_net *net = tu_arch_net("7-12-12-2-16", "softplus,elu,relu,softmax", "bce", 6,
                              UINT64_C(4155247419598792060));
    gc_mat *X = gc_mat_new(net->act[0]->rows, net->act[0]->cols);
    gc_mat *T = gc_mat_new(net->T->rows, net->T->cols);
    if (X == NULL || T == NULL)
        abort();
    memcpy(X->data, net->act[0]->data, gc_mat_size(X) * sizeof *X->data);
    memcpy(T->data, net->T->data, gc_mat_size(T) * sizeof *T->data);
    if (gc_net_add(net, gc_activation_new(GC_ACT_IDENTITY, 16, 0.0), NULL) != GC_OK ||
        gc_net_set_data(net, X, T, NULL) != GC_OK)
        abort();
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

/* net checked with its inputs by the reference engine (fast 0) or the fast
 * one (fast 1), default options otherwise: the report (GC_OK asserted). */
static inline gc_report *tu_check_with_inputs(gc_net *net, int fast)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = 1;
    o.engine = fast ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    return r;
}

/* No row of r is a fail (the first one named). */
static inline void tu_assert_no_fail(const gc_report *r)
{
    for (size_t k = 0; k < r->nrows; k++)
        ck_assert_msg(r->rows[k].verdict != GC_FAIL, "%s[%d][%d] fails",
                      r->tensors[r->rows[k].tensor].name, r->rows[k].row, r->rows[k].col);
}

/* The row of r for element (row, col) of the tensor named name; the test
 * aborts when r has none. */
static inline const gc_row *tu_find_row(const gc_report *r, const char *name, int row, int col)
{
    for (size_t k = 0; k < r->nrows; k++) {
        const gc_row *w = &r->rows[k];
        if (strcmp(r->tensors[w->tensor].name, name) == 0 && w->row == row && w->col == col)
            return w;
    }
    ck_abort_msg("no row %s[%d][%d]", name, row, col);
    return NULL;
}

#endif
