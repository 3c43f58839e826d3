/*
 * classic.h -- the classic 2-layer network, written out by hand.
 *
 * A faithful C rendering of the "Coding Backward Propagation" notes: one
 * example x (2 x 1), a label y in {0, 1}, a sigmoid hidden layer of 2 units,
 * a sigmoid output unit and binary cross-entropy.  fprop fills a cache;
 * bprop reads only that cache.  classic_net builds the same network from the
 * generic parts of libgradcheck, so the checker can verify both agree.
 */
#ifndef GRADCHECK_EXAMPLE_CLASSIC_H
#define GRADCHECK_EXAMPLE_CLASSIC_H

#include <gradcheck.h>

/* The parameters, shaped as in the notes: W1 2x2, b1 2x1, W2 1x2, b2 1x1. */
typedef struct classic_params {
    double W1[2][2];
    double b1[2];
    double W2[2]; /* the single row of W2 */
    double b2;
} classic_params;

/* What fprop hands to bprop: the input, every intermediate, the loss, and
 * a copy of the parameters (the notes' `ret` dictionary). */
typedef struct classic_cache {
    double x[2], y;
    double z1[2], a1[2]; /* hidden pre-activation and activation */
    double z2, a2;       /* output pre-activation and probability */
    double loss;
    classic_params p;
} classic_cache;

/* The gradients of the loss, named as the parameters. */
typedef struct classic_grads {
    double dW1[2][2];
    double db1[2];
    double dW2[2];
    double db2;
} classic_grads;

/* Draw W1, b1, W2, b2 (in that order, row-major) from U[0, 1) as
 * np.random.rand does in the notes; the same draws as gc_net_init_params
 * with GC_INIT_UNIFORM on classic_net's network. */
void classic_params_rand(classic_params *p, gc_pcg32 *rng);

/* Forward pass for one example: fill *c and return the loss. */
double classic_fprop(classic_cache *c, const double x[2], double y, const classic_params *p);

/* Backward pass from the cache alone: fill *g. */
void classic_bprop(classic_grads *g, const classic_cache *c);

/* The same network from generic parts: dense 2->2, sigmoid, dense 2->1,
 * sigmoid, bce, with parameters W1 b1 W2 b2 copied from *p and data (x, y)
 * set.  Returns an owned network (free with gc_net_free) or NULL with *err
 * (may be NULL) saying why. */
gc_net *classic_net(const classic_params *p, const double x[2], double y, gc_error *err);

#endif
