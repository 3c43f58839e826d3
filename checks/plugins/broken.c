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
 */
#include <gradcheck.h>

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
