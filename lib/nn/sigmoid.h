/*
 * nn/sigmoid.h -- the numerically stable logistic function (private), shared
 * by the sigmoid activation, softplus' derivative and the logit losses.
 */
#ifndef GC_NN_SIGMOID_H
#define GC_NN_SIGMOID_H

#include <math.h>

/* σ(x) = 1 / (1 + e^-x), evaluated so that exp never overflows: for x < 0
 * the equal form e^x / (1 + e^x).  Finite for every finite x. */
static inline double gc_sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

#endif
