/*
 * engine/screen.h -- the random-direction screen (private).
 */
#ifndef GC_ENGINE_SCREEN_H
#define GC_ENGINE_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/evaluator.h"

/* PCG32 stream of the screen's directions: the tensor of net index t (-1 for
 * the input) draws from stream GC_SCREEN_STREAM + t + 1 of opts->seed. */
#define GC_SCREEN_STREAM 0x5c5eull

/* One tensor's directional check. */
typedef struct gc_screen {
    double analytic;     /* a_d = g . d */
    double numeric;      /* (L(θ + εd) - L(θ - εd)) / 2ε */
    double abs_err;      /* |a_d - n_d| */
    double rel_err;      /* abs_err / max(|a_d|, |n_d|); NaN for NaN or Inf */
    int kink;            /* a kink hook fired between θ - εd and θ + εd */
    int vacuous_suspect; /* every |g_i| <= atol: only element checks can say */
    int pass;            /* the tensor needs no element checks */
} gc_screen;

/* The screen's direction for tensor t: n N(0, 1) draws from
 * PCG32(seed, GC_SCREEN_STREAM + t + 1). */
void gc_screen_direction(double *d, size_t n, uint64_t seed, int t);

/* Screen target t (its grad the analytic gradient) with an evaluator that
 * has loss_along, step eps, the pass rule of opts; d is scratch of the
 * tensor's size.  Fills *out and returns out->pass. */
int gc_screen_tensor(gc_eval *ev, const gc_target *t, const gc_check_opts *opts, double eps,
                     double *d, gc_screen *out);

#endif
