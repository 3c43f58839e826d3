/*
 * swish.c -- swish(x) = x sigma(x), a complete user layer in a few lines.
 * Elementwise, so it reads X's own shape and declares GC_CAP_ELEMENTWISE.
 */
#include "swish.h"

#include <math.h>

/* sigma(x) without exp of a positive number (no overflow at -1e3). */
static double sig(double x)
{
    double e = exp(-fabs(x));
    return x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

static void swish_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l;
    for (size_t i = 0; i < gc_mat_size(X); i++)
        Y->data[i] = X->data[i] * sig(X->data[i]);
}

/* Product rule with sigma' = sigma (1 - sigma):
 * (x sigma(x))' = sigma + x sigma (1 - sigma) = sigma (1 + x (1 - sigma)). */
static void swish_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)l;
    (void)Y;
    if (dX == NULL)
        return;
    for (size_t i = 0; i < gc_mat_size(X); i++) {
        double s = sig(X->data[i]);
        dX->data[i] = dY->data[i] * s * (1.0 + X->data[i] * (1.0 - s));
    }
}

const gc_layer_ops swish_ops = {.type = "swish", .caps = GC_CAP_ELEMENTWISE,
                                .forward = swish_forward, .backward = swish_backward};

gc_layer *swish_new(int n)
{
    return gc_layer_new(&swish_ops, n, n);
}

/* The plugin factory (gc_layer_plugin, see <gradcheck/layer.h>):
 *   cc -std=c11 -fPIC -shared -Ilib examples/swish.c -o libswish.so
 *   gradcheck --layer ./libswish.so:swish_plugin --in 4
 * Swish has no parameters, so rng is not used; an elementwise layer has
 * out = in and cannot be built otherwise. */
gc_layer *swish_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)rng;
    return in == out ? swish_new(in) : NULL;
}
