/*
 * vacuous.c -- a correct layer whose check proves little, for the mutation
 * tests of check_mutate.c (built as build/checks/plugins/libvacuous.so).
 *
 * vacuous_plugin: y = k s ⊙ x + c per unit with k = 1e-9, s and c drawn
 *   U[-1, 1).  Its gradients ds = k Σ_b dY X and dx = k s ⊙ dY are below
 *   atol (1e-8): every fault injected there survives the check, and the
 *   report must name s and x; dc = Σ_b dY is of order 1, and its faults are
 *   refuted.
 */
#include <gradcheck.h>

#define K 1e-9

static void vforward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *s = l->param[0].value, *c = l->param[1].value;
    for (int i = 0; i < X->rows; i++)
        for (int b = 0; b < X->cols; b++)
            GC_AT(Y, i, b) = K * s[i] * GC_AT(X, i, b) + c[i];
}

/* ds[i] += k Σ_b dY[i][b] X[i][b], dc[i] += Σ_b dY[i][b], dX = k s ⊙ dY. */
static void vbackward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
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
        ds[i] += K * gs;
        dc[i] += gc;
        if (dX != NULL)
            for (int b = 0; b < X->cols; b++)
                GC_AT(dX, i, b) = K * s[i] * GC_AT(dY, i, b);
    }
}

static const gc_layer_ops vacuous_ops = {.type = "vacuous", .forward = vforward,
                                         .backward = vbackward};

gc_layer *vacuous_plugin(int in, int out, gc_pcg32 *rng)
{
    if (in != out || rng == NULL)
        return NULL;
    gc_layer *l = gc_layer_new(&vacuous_ops, in, in);
    if (l == NULL || gc_layer_add_param(l, "s", in, 1) < 0 ||
        gc_layer_add_param(l, "c", in, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < in; i++)
            l->param[p].value[i] = 2.0 * gc_pcg32_uniform(rng) - 1.0;
    return l;
}
