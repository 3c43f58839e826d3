/*
 * engine/numdiff.h -- finite differences (private): one element's numerical
 * derivative, its one-sided slopes and error estimate, from an evaluator's
 * losses; Richardson's tableau, written once.
 */
#ifndef GC_ENGINE_NUMDIFF_H
#define GC_ENGINE_NUMDIFF_H

#include "engine/evaluator.h"

/* What one element's numbers are computed with. */
typedef struct gc_fd_ctx {
    gc_eval *ev;            /* where the losses come from */
    const gc_check_opts *o; /* resolved options */
    double L0;              /* the unperturbed loss */
} gc_fd_ctx;

/* Everything the verdict needs about one element, from losses alone. */
typedef struct gc_fd_point {
    double numeric;
    double num_err;  /* richardson's error estimate, else NaN */
    double slope_lo; /* (L(θ) - L(θ-ε)) / ε, NaN when not computed */
    double slope_hi; /* (L(θ+ε) - L(θ)) / ε, NaN when not computed */
    double noise;    /* roundoff bound of a one-sided slope: 4u (|L-| + 2|L0| + |L+|) / ε */
    int hook;        /* a kink hook fired between θ-ε and θ+ε */
    int finite;      /* every loss used was finite */
    int refined;     /* the verdict came from finer one-sided steps */
} gc_fd_point;

/* The numerical derivative of element i of t by c->o->method, with the
 * slopes and hook where the method computes them (forward: not; see
 * gc_fd_slopes).  Restores the element's bits. */
void gc_fd_element(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p);

/* The slopes, their noise and the hook at ε, from L(θ-ε) and L(θ+ε) again:
 * what forward lacks when its plain comparison did not pass. */
void gc_fd_slopes(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p);

/* Roundoff bound of a one-sided slope at step h from its three losses. */
double gc_fd_slope_noise(double lm, double L0, double lp, double h);

/* Richardson's tableau over D[0..n) (central differences at h / 2^i,
 * n <= GC_RICHARDSON_LEVELS): the extrapolated value, and in *err its
 * truncation estimate (NaN for n = 1). */
double gc_richardson(const double *D, int n, double *err);

/* Σ |c_i| 2^i where the tableau's value is Σ c_i D_i: a rounding error δ in
 * every loss moves the extrapolated derivative by at most this times δ / ε. */
double gc_richardson_weight(int levels);

#endif
