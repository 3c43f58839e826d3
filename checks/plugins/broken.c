/*
 * broken.c -- layer plugins with planted defects, for check_cli_layer.c
 * (built as build/checks/plugins/libbroken.so; never linked into a binary).
 *
 * broken_offbyone_plugin: the scale layer y = s ⊙ x + c of examples/scale.c
 *   with the classic off-by-one in backward: the loop that accumulates ds
 *   stops one unit early (i < n - 1), so ds of the last unit stays 0 while
 *   dL/ds[n-1] = Σ_b R[n-1][b] X[n-1][b] is not.  The check must fail
 *   exactly at s (n-1, 0) and pass c, x and the other elements of s.
 * broken_shape_plugin: returns an in -> in layer whatever out is asked for.
 *
 * Faults the command must contain (its plugin runs in a child process):
 * broken_overclaim_plugin: the scale layer whose s claims 2^26 rows while
 *   its storage holds in (a tensor bigger than its buffer: reading it runs
 *   off the heap).
 * broken_segv_backward_plugin, broken_abort_forward_plugin,
 * broken_loop_backward_plugin, broken_segv_factory_plugin: a null write in
 *   backward, abort() in forward, an endless loop in backward, a null write
 *   in the factory.
 * Layers that break what they declare:
 * broken_toomany_plugin: four parameters, then nparams = 5 (more than
 *   GC_LAYER_MAX_PARAMS; the four must still be freed).
 * broken_affine_plugin: GC_CAP_AFFINE with W stored in x out (transposed).
 * broken_elementwise_plugin: GC_CAP_ELEMENTWISE with a parameter.
 */
#include <gradcheck.h>

#include <stdint.h>
#include <stdlib.h>

/* Y[i][b] = s[i] X[i][b] + c[i]. */
static void bscale_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *s = l->param[0].value, *c = l->param[1].value;
    for (int i = 0; i < X->rows; i++)
        for (int b = 0; b < X->cols; b++)
            GC_AT(Y, i, b) = s[i] * GC_AT(X, i, b) + c[i];
}

/* As examples/scale.c, ds[i] += Σ_b dY[i][b] X[i][b], dc[i] += Σ_b dY[i][b],
 * dX = s ⊙ dY -- except ds for the last unit: the planted bug. */
static void bscale_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                            const gc_mat *dY)
{
    (void)Y;
    const double *s = l->param[0].value;
    double *ds = l->param[0].grad, *dc = l->param[1].grad;
    for (int i = 0; i < X->rows - 1; i++)
        for (int b = 0; b < X->cols; b++)
            ds[i] += GC_AT(dY, i, b) * GC_AT(X, i, b);
    for (int i = 0; i < X->rows; i++) {
        for (int b = 0; b < X->cols; b++) {
            dc[i] += GC_AT(dY, i, b);
            if (dX != NULL)
                GC_AT(dX, i, b) = s[i] * GC_AT(dY, i, b);
        }
    }
}

static const gc_layer_ops bscale_ops = {.type = "broken_scale", .forward = bscale_forward,
                                        .backward = bscale_backward};

gc_layer *broken_offbyone_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_shape_plugin(int in, int out, gc_pcg32 *rng);

gc_layer *broken_offbyone_plugin(int in, int out, gc_pcg32 *rng)
{
    if (in != out)
        return NULL;
    gc_layer *l = gc_layer_new(&bscale_ops, in, in);
    if (l == NULL)
        return NULL;
    if (gc_layer_add_param(l, "s", in, 1) < 0 || gc_layer_add_param(l, "c", in, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    /* s, c U[-1, 1): nonzero almost surely, so no element is vacuous. */
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < in; i++)
            l->param[p].value[i] = 2.0 * gc_pcg32_uniform(rng) - 1.0;
    return l;
}

gc_layer *broken_shape_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)out;
    (void)rng;
    return gc_activation_new(GC_ACT_TANH, in, 0.0);
}

/* ---- faults ------------------------------------------------------------- */

gc_layer *broken_overclaim_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_segv_backward_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_abort_forward_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_loop_backward_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_segv_factory_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_toomany_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_affine_plugin(int in, int out, gc_pcg32 *rng);
gc_layer *broken_elementwise_plugin(int in, int out, gc_pcg32 *rng);

/* A store to the unmapped first page, through an address the compiler
 * cannot see (a plain NULL store is removed as undefined behaviour). */
static void null_write(void)
{
    volatile uintptr_t addr = 16;
    *(volatile int *)addr = 1;
}

gc_layer *broken_overclaim_plugin(int in, int out, gc_pcg32 *rng)
{
    gc_layer *l = broken_offbyone_plugin(in, out, rng);
    if (l != NULL)
        l->param[0].rows = 1 << 26;
    return l;
}

static void segv_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                          const gc_mat *dY)
{
    (void)l, (void)dX, (void)X, (void)Y, (void)dY;
    null_write();
}

static void abort_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l, (void)Y, (void)X;
    abort();
}

static void loop_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                          const gc_mat *dY)
{
    (void)l, (void)dX, (void)X, (void)Y, (void)dY;
    for (volatile unsigned long i = 0;; i++)
        continue;
}

static const gc_layer_ops segv_backward_ops = {.type = "segv_backward",
                                               .forward = bscale_forward,
                                               .backward = segv_backward};
static const gc_layer_ops abort_forward_ops = {.type = "abort_forward",
                                               .forward = abort_forward,
                                               .backward = bscale_backward};
static const gc_layer_ops loop_backward_ops = {.type = "loop_backward",
                                               .forward = bscale_forward,
                                               .backward = loop_backward};

/* The scale layer with other ops. */
static gc_layer *scale_with(const gc_layer_ops *ops, int in, int out, gc_pcg32 *rng)
{
    gc_layer *l = broken_offbyone_plugin(in, out, rng);
    if (l != NULL)
        l->ops = ops;
    return l;
}

gc_layer *broken_segv_backward_plugin(int in, int out, gc_pcg32 *rng)
{
    return scale_with(&segv_backward_ops, in, out, rng);
}

gc_layer *broken_abort_forward_plugin(int in, int out, gc_pcg32 *rng)
{
    return scale_with(&abort_forward_ops, in, out, rng);
}

gc_layer *broken_loop_backward_plugin(int in, int out, gc_pcg32 *rng)
{
    return scale_with(&loop_backward_ops, in, out, rng);
}

gc_layer *broken_segv_factory_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)in, (void)out, (void)rng;
    null_write();
    return NULL;
}

/* ---- broken declarations ------------------------------------------------ */

gc_layer *broken_toomany_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)rng;
    gc_layer *l = gc_layer_new(&bscale_ops, in, out);
    if (l == NULL)
        return NULL;
    for (int p = 0; p < GC_LAYER_MAX_PARAMS; p++) {
        if (gc_layer_add_param(l, "p", in, 1) < 0) {
            gc_layer_free(l);
            return NULL;
        }
    }
    l->nparams = GC_LAYER_MAX_PARAMS + 1;
    return l;
}

static const gc_layer_ops affine_ops = {.type = "broken_affine", .caps = GC_CAP_AFFINE,
                                        .forward = bscale_forward,
                                        .backward = bscale_backward};
static const gc_layer_ops elementwise_ops = {.type = "broken_elementwise",
                                             .caps = GC_CAP_ELEMENTWISE,
                                             .forward = bscale_forward,
                                             .backward = bscale_backward};

gc_layer *broken_affine_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)rng;
    gc_layer *l = gc_layer_new(&affine_ops, in, out);
    if (l == NULL)
        return NULL;
    if (gc_layer_add_param(l, "W", in, out) < 0 || gc_layer_add_param(l, "b", out, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    return l;
}

gc_layer *broken_elementwise_plugin(int in, int out, gc_pcg32 *rng)
{
    gc_layer *l = broken_offbyone_plugin(in, out, rng);
    if (l != NULL)
        l->ops = &elementwise_ops;
    return l;
}
