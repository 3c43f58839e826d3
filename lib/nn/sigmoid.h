/*
 * nn/sigmoid.h -- the numerically stable logistic function (private), shared
 * by the sigmoid activation, softplus' derivative and the logit losses.
 */
#ifndef GC_NN_SIGMOID_H
#define GC_NN_SIGMOID_H

#include <math.h>

/* σ(x) from e = exp(-|x|): 1 / (1 + e) for x >= 0, the equal form
 * e / (1 + e) for x < 0, so that exp never overflows.  One division whose
 * numerator is chosen, the same bits as either form; NaN for x NaN. */
static inline double gc_sigmoid_from_exp(double x, double e)
{
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}

/* σ(x) = 1 / (1 + e^-x), with libm's exp.  Finite for every finite x;
 * σ(+Inf) = 1, σ(-Inf) = 0. */
static inline double gc_sigmoid(double x)
{
    return gc_sigmoid_from_exp(x, exp(-fabs(x)));
}

#endif
