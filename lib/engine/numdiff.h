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
    double conf_n;    /* a fail at ε measured again at ε / GC_CONFIRM_FACTOR: the method's
                       * difference there (NaN: not measured) */
    double conf_noise;/* its roundoff bound as a one-sided slope's: 2δ / (ε / factor) */
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
 * one loss near θ; c->delta (when > 0) in place of κ u S.  Inline: every
 * row's central difference takes one. */
static inline double gc_fd_delta(const gc_fd_ctx *c, double l1, double l2)
{
    /* fmax without the call: the larger, the other one when one is NaN */
    const double f1 = fabs(l1), f2 = fabs(l2);
    const double far = (f1 > f2 || isnan(f2) ? f1 : f2) - fabs(c->L0);
    if (c->delta > 0.0)
        return c->delta + GC_ROUNDOFF_KAPPA * gc_fd_unit(c->o) * (far > 0.0 ? far : 0.0);
    return GC_ROUNDOFF_KAPPA * gc_fd_unit(c->o) * (c->scale + (far > 0.0 ? far : 0.0));
}

/* The numerical derivative of element i of t by c->o->method and its bound,
 * with the slopes and hook where the method computes them (forward: not;
 * see gc_fd_slopes).  Restores the element's bits. */
void gc_fd_element(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p);

/* ---- the central difference from its two losses, inline: each batched
 * row takes one, and its caller's test of the result then reads no memory */

/* Every field of *p as before the first loss at x0 of t. */
static inline void gc_fd_point_start(const gc_fd_ctx *c, const gc_target *t, double x0,
                                     gc_fd_point *p)
{
    p->bound = p->trunc_est = NAN;
    p->slope_lo = p->slope_hi = NAN;
    p->noise = 0.0;
    p->hook = 0;
    p->refined = p->escalated = 0;
    p->bad_side = 0;
    p->conf_n = NAN;
    p->conf_noise = 0.0;
    p->step = gc_fd_step(c->o, x0);
    p->floor = gc_fd_floor(c->o, t->grad_scale);
}

/* p->finite, and the bound NaN where a loss is not finite. */
static inline void gc_fd_point_finish(const gc_fd_ctx *c, gc_fd_point *p)
{
    p->finite = isfinite(c->L0) && p->bad_side == 0;
    if (!p->finite)
        p->bound = NAN;
}

/* The two one-sided slopes and their roundoff bound from L(θ-ε) = lm,
 * L(θ), L(θ+ε) = lp at the points xm, x0, xp, δ = gc_fd_delta(c, lm, lp).
 * On a smooth L, s+ - s- = ε L″ + O(ε³); across a kink, O(1). */
static inline void gc_fd_slopes_at(const gc_fd_ctx *c, gc_fd_point *p, double x0, double xm,
                                   double xp, double lm, double lp, double delta)
{
    p->slope_lo = (c->L0 - lm) / (x0 - xm);
    p->slope_hi = (lp - c->L0) / (xp - x0);
    p->noise = 2.0 * delta / (xp - x0);
}

/* Central from L(θ-ε) = lm and L(θ+ε) = lp: the roundoff 2δ over the
 * step, and the truncation ε²|L‴|/6 estimated as ε |s+ - s-| = ε² |L″|:
 * it takes |L‴| <= 6 |L″| near θ, a curvature that changes on a scale of
 * one unit of θ; at ε = 1e-6 either is ~1e-12 |L″| and the roundoff
 * decides.  The step is the one taken (xp - xm, exact here), not 2ε. */
static inline void gc_fd_central_from(const gc_fd_ctx *c, gc_fd_point *p, double x0, double lm,
                                      double lp)
{
    const double xm = gc_fd_moved(c->o, x0, -p->step), xp = gc_fd_moved(c->o, x0, p->step);
    p->bad_side = (isfinite(lm) ? 0 : 1) | (isfinite(lp) ? 0 : 2);
    p->numeric = (lp - lm) / (xp - xm);
    const double delta = gc_fd_delta(c, lm, lp);
    gc_fd_slopes_at(c, p, x0, xm, xp, lm, lp, delta);
    const double step = xp - xm;
    p->bound = 2.0 * delta / step + 0.5 * step * fabs(p->slope_hi - p->slope_lo);
}

/* What gc_fd_element gives for the central method, from losses computed
 * elsewhere: lm = L(θ-ε) and lp = L(θ+ε) at the points gc_fd_moved gives
 * (for the step gc_fd_step), hook the kink hooks' answer between them.
 * Asks c->ev nothing. */
static inline void gc_fd_central_given(const gc_fd_ctx *c, const gc_target *t, size_t i,
                                       double lm, double lp, int hook, gc_fd_point *p)
{
    const double x0 = t->value[i];
    gc_fd_point_start(c, t, x0, p);
    p->hook = hook;
    gc_fd_central_from(c, p, x0, lm, lp);
    gc_fd_point_finish(c, p);
}

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
