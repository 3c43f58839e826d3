/*
 * engine/numdiff.h -- finite differences (private): one element's numerical
 * derivative, its one-sided slopes and its error bound, from an evaluator's
 * losses; Richardson's tableau, written once.
 */
#ifndef GC_ENGINE_NUMDIFF_H
#define GC_ENGINE_NUMDIFF_H

#include "engine/evaluator.h"

#include <math.h>

/*
 * The rounding of one loss: δ = GC_ROUNDOFF_KAPPA u S, u the unit roundoff
 * of the code's precision (2^-53 for float64, 2^-24 for float32) and S the
 * loss's rounding sensitivity at θ (gc_fd_ctx.scale): |L| plus, over every
 * cached value y with backprop's dL/dy, Σ |y dL/dy| -- the first-order
 * change of L when every value it is computed from is off by one relative
 * u.  A loss whose terms cancel (the layer check's Σ R.*Y) or that divides
 * by a saturated probability (bce at p = 1 - 1e-16) has S far above |L|.
 * KAPPA covers the dot products' accumulation beyond one rounding per value
 * (docs/measurements.md: how often |a - n| exceeds the bound).  float32: an
 * element this δ leaves undecided takes the noise measured along it
 * instead (gc_fd_ctx.delta, engine/noise.h).
 */
#define GC_ROUNDOFF_KAPPA 4.0

/* What one element's numbers are computed with. */
typedef struct gc_fd_ctx {
    gc_eval *ev;            /* where the losses come from */
    const gc_check_opts *o; /* resolved options */
    double L0;              /* the unperturbed loss */
    double scale;           /* S: the loss's rounding sensitivity at θ (above) */
    double delta;           /* float32: δ measured along this element (engine/noise.h)
                             * in place of κ u S; 0: none */
} gc_fd_ctx;

/* Everything the verdict needs about one element, from losses alone. */
typedef struct gc_fd_point {
    double numeric;
    double bound;    /* B: roundoff + truncation of numeric; NaN when a loss is not finite */
    double trunc_est;/* richardson: the tableau's truncation estimate, else NaN (adaptive) */
    double slope_lo; /* (L(θ) - L(θ-ε)) / ε, NaN when not computed */
    double slope_hi; /* (L(θ+ε) - L(θ)) / ε, NaN when not computed */
    double noise;    /* roundoff bound of a one-sided slope: 2δ / ε */
    double step;     /* ε as taken for this element (gc_fd_step) */
    double floor;    /* the band's absolute floor beyond atol (gc_band) */
    int hook;        /* a kink hook fired between θ-ε and θ+ε */
    int finite;      /* every loss used was finite */
    int bad_side;    /* bit 1: L(θ-ε) not finite, bit 2: L(θ+ε) not finite */
    int refined;     /* the verdict came from finer one-sided steps */
    int escalated;   /* the numbers came from the escalation's steps */
} gc_fd_point;

/* The unit roundoff of opts->precision. */
static inline double gc_fd_unit(const gc_check_opts *o)
{
    return o->precision == GC_PRECISION_FLOAT32 ? 0x1p-24 : 0x1p-53;
}

/* The step at θ = x0: opts->eps (float64), eps max(1, |x0|) (float32, whose
 * roundoff is relative to |θ|). */
static inline double gc_fd_step(const gc_check_opts *o, double x0)
{
    return o->precision == GC_PRECISION_FLOAT32 ? o->eps * fmax(1.0, fabs(x0)) : o->eps;
}

/* The band's absolute floor for a tensor whose largest |analytic| is
 * grad_scale: 0 for float64; for float32 GC_FLOAT32_FLOOR_C u grad_scale,
 * what a float backward's reductions resolve (check.h). */
static inline double gc_fd_floor(const gc_check_opts *o, double grad_scale)
{
    if (o->precision != GC_PRECISION_FLOAT32 || !isfinite(grad_scale))
        return 0.0;
    return GC_FLOAT32_FLOOR_C * 0x1p-24 * grad_scale;
}

/* θ + h as the code under test sees it: float32 code holds θ in a float,
 * so the point is the float nearest θ + h; a step is always the difference
 * of two such points, never the nominal h. */
static inline double gc_fd_moved(const gc_check_opts *o, double x0, double h)
{
    double x = x0 + h;
    return o->precision == GC_PRECISION_FLOAT32 ? (double)(float)x : x;
}

/* δ for losses l1, l2 (the larger beyond |L0| widens S): the rounding of
 * one loss near θ; c->delta (when > 0) in place of κ u S. */
double gc_fd_delta(const gc_fd_ctx *c, double l1, double l2);

/* The numerical derivative of element i of t by c->o->method and its bound,
 * with the slopes and hook where the method computes them (forward: not;
 * see gc_fd_slopes).  Restores the element's bits. */
void gc_fd_element(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p);

/* What gc_fd_element gives for the central method, from losses computed
 * elsewhere: lm = L(θ-ε) and lp = L(θ+ε) at the points gc_fd_moved gives
 * (for the step gc_fd_step), hook the kink hooks' answer between them.
 * Asks c->ev nothing. */
void gc_fd_central_given(const gc_fd_ctx *c, const gc_target *t, size_t i, double lm, double lp,
                         int hook, gc_fd_point *p);

/* The slopes, their noise and the hook at ε, from L(θ-ε) and L(θ+ε) again:
 * what forward lacks when its plain comparison did not pass; forward's
 * bound gains its truncation |s+ - s-| / 2. */
void gc_fd_slopes(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p);

/* Richardson's tableau over D[0..n) (central differences at h / 2^i,
 * n <= GC_RICHARDSON_LEVELS): the extrapolated value, and in *err its
 * truncation estimate (NaN for n = 1). */
double gc_richardson(const double *D, int n, double *err);

/* Σ |c_i| 2^i where the tableau's value is Σ c_i D_i: a rounding error δ in
 * every loss moves the extrapolated derivative by at most this times δ / ε. */
double gc_richardson_weight(int levels);

#endif
