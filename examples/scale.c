/*
 * scale.c -- y = s ⊙ x + c per feature: a complete parametric user layer.
 *
 * X and Y are n x B (one column per example); s and c are n x 1 and apply
 * to every column, like a dense layer's bias.  So their gradients sum over
 * the batch -- the step a first version most often gets wrong, and the one
 * the loop test in checks/check_example_layer.c would catch (batch 1..8).
 */
#include "scale.h"

/* Y[i][b] = s[i] X[i][b] + c[i]. */
static void scale_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *s = l->param[0].value, *c = l->param[1].value;
    for (int i = 0; i < X->rows; i++)
        for (int b = 0; b < X->cols; b++)
            GC_AT(Y, i, b) = s[i] * GC_AT(X, i, b) + c[i];
}

/* ∂Y[i][b]/∂s[i] = X[i][b], ∂Y[i][b]/∂c[i] = 1, ∂Y[i][b]/∂X[i][b] = s[i]:
 *   ds[i] += Σ_b dY[i][b] X[i][b],  dc[i] += Σ_b dY[i][b],  dX = s ⊙ dY. */
static void scale_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)Y;
    const double *s = l->param[0].value;
    double *ds = l->param[0].grad, *dc = l->param[1].grad;
    for (int i = 0; i < X->rows; i++) {
        double gs = 0.0, gc = 0.0;
        for (int b = 0; b < X->cols; b++) {
            gs += GC_AT(dY, i, b) * GC_AT(X, i, b);
            gc += GC_AT(dY, i, b);
        }
        ds[i] += gs;
        dc[i] += gc;
        if (dX != NULL)
            for (int b = 0; b < X->cols; b++)
                GC_AT(dX, i, b) = s[i] * GC_AT(dY, i, b);
    }
}

/* Not GC_CAP_ELEMENTWISE: that capability promises no parameters. */
const gc_layer_ops scale_ops = {.type = "scale", .forward = scale_forward,
                                .backward = scale_backward};

gc_layer *scale_new(int n)
{
    gc_layer *l = gc_layer_new(&scale_ops, n, n);
    if (l == NULL)
        return NULL;
    if (gc_layer_add_param(l, "s", n, 1) < 0 || gc_layer_add_param(l, "c", n, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        l->param[0].value[i] = 1.0;
    return l;
}

/* The plugin factory (gc_layer_plugin, see <gradcheck/layer.h>):
 *   cc -std=c11 -fPIC -shared -Ilib examples/scale.c -o libscale.so
 *   gradcheck --layer ./libscale.so:scale_plugin --in 4 --batch 3
 * s and c are drawn from rng, U[-1, 1), rather than left at the identity
 * (s = 1, c = 0): a check at a generic point exercises every term of the
 * gradient, and --seed repeats it.  out must equal in. */
gc_layer *scale_plugin(int in, int out, gc_pcg32 *rng)
{
    if (in != out || rng == NULL)
        return NULL;
    gc_layer *l = scale_new(in);
    if (l == NULL)
        return NULL;
    for (int p = 0; p < l->nparams; p++)
        for (int i = 0; i < in; i++)
            l->param[p].value[i] = 2.0 * gc_pcg32_uniform(rng) - 1.0;
    return l;
}
