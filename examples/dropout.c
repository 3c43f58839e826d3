/*
 * dropout.c -- inverted dropout, y = m ⊙ x / (1 - p): a stochastic layer,
 * checked like any other because the checker replays its randomness.
 *
 * The mask m is drawn in forward from l->rng, the generator the caller owns
 * (<gradcheck/layer.h>, "stochastic layers").  gc_check_layer reseeds it
 * identically before every forward call, so L(x + ε) and L(x - ε) see the
 * same mask as L(x): for a fixed mask the layer is linear and its gradient
 * is m / (1 - p), which finite differences confirm.
 *
 * backward must use the mask of the forward call it follows, never a new
 * one.  Storing the mask itself needs out x B values, and B is known only
 * at the call (forward must not allocate); so forward keeps the generator
 * state it started from (16 bytes) and backward replays the same draws from
 * a copy of it.  With no generator (l->rng NULL: a network, inference) the
 * layer is the identity.
 */
#include "dropout.h"

#include <stdlib.h>

int dropout_keep(const dropout_state *st, gc_pcg32 *g)
{
    return gc_pcg32_uniform(g) >= st->p;
}

/* Y[i][c] = keep(i, c) ? X[i][c] / (1 - p) : 0, the mask drawn row-major. */
static void dropout_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    dropout_state *st = l->priv;
    st->drew = l->rng != NULL;
    if (!st->drew) {
        gc_mat_copy(Y, X);
        return;
    }
    st->start = *l->rng;
    double scale = 1.0 / (1.0 - st->p);
    for (int i = 0; i < X->rows; i++)
        for (int c = 0; c < X->cols; c++)
            GC_AT(Y, i, c) = dropout_keep(st, l->rng) ? scale * GC_AT(X, i, c) : 0.0;
}

/* ∂Y[i][c]/∂X[i][c] = keep(i, c) / (1 - p), the mask replayed from the
 * state forward started at. */
static void dropout_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                             const gc_mat *dY)
{
    (void)X;
    (void)Y;
    const dropout_state *st = l->priv;
    if (dX == NULL)
        return;
    if (!st->drew) {
        gc_mat_copy(dX, dY);
        return;
    }
    gc_pcg32 g = st->start;
    double scale = 1.0 / (1.0 - st->p);
    for (int i = 0; i < dY->rows; i++)
        for (int c = 0; c < dY->cols; c++)
            GC_AT(dX, i, c) = dropout_keep(st, &g) ? scale * GC_AT(dY, i, c) : 0.0;
}

static void dropout_destroy(gc_layer *l)
{
    free(l->priv);
}

const gc_layer_ops dropout_ops = {.type = "dropout", .forward = dropout_forward,
                                  .backward = dropout_backward, .destroy = dropout_destroy};

gc_layer *dropout_new(int n, double p)
{
    if (!(p >= 0.0 && p < 1.0))
        return NULL;
    gc_layer *l = gc_layer_new(&dropout_ops, n, n);
    dropout_state *st = calloc(1, sizeof *st);
    if (l == NULL || st == NULL) {
        free(st);
        gc_layer_free(l);
        return NULL;
    }
    st->p = p;
    l->priv = st;
    return l;
}

/* The plugin factory (gc_layer_plugin, see <gradcheck/layer.h>):
 *   gradcheck --layer build/examples/libdropout.so:dropout_plugin --in 4
 * Half the units dropped; out must equal in (rng unused: no parameters). */
gc_layer *dropout_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)rng;
    return in == out ? dropout_new(in, 0.5) : NULL;
}
