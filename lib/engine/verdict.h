/*
 * engine/verdict.h -- the three-valued rule (private): from an element's
 * numbers alone, pass (confirmed), kink, fail (refuted) or undecided with a
 * reason, and whether a rounding difference could change it.  The screen
 * and the rows use the same band.
 */
#ifndef GC_ENGINE_VERDICT_H
#define GC_ENGINE_VERDICT_H

#include "engine/numdiff.h"

/* |a - n| / max(|a|, |n|), 0 when both are 0; NaN for NaN or Inf. */
static inline double gc_rel_error(double a, double n)
{
    double d = fabs(a - n), m = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    if (m == 0.0 && d == 0.0)
        return 0.0;
    return d / m;
}

/* The plain rule: a and n finite and |a - n| <= atol or rel_err <= rtol. */
int gc_within_tolerance(double a, double n, const gc_check_opts *o);

/* The pass band max(atol, floor, rtol max(|a|, |n|)) (floor: gc_fd_floor);
 * adaptive (richardson's tableau estimate est, not NaN): tightened as
 * check.h says.  Each max is "x > y ? x : y" (y when either is NaN).
 * Inline: every row's verdict takes one. */
static inline double gc_band(double a, double n, double est, double floor,
                             const gc_check_opts *o)
{
    const double fa = fabs(a), fn = fabs(n);
    const double mag = fa > fn ? fa : fn;
    const double abs_floor = o->atol > floor ? o->atol : floor;
    double band = abs_floor > o->rtol * mag ? abs_floor : o->rtol * mag;
    if (o->adaptive && !isnan(est)) {
        const double c_est = GC_ADAPTIVE_C * est, r_min = GC_ADAPTIVE_RTOL_FLOOR * mag;
        double tight = c_est > r_min ? c_est : r_min;
        tight = tight > o->atol ? tight : o->atol;
        band = band < tight ? band : tight;
    }
    return band;
}

/* The pass test of gc_judge (its step 3, on finite numbers): |a - n| <=
 * band and the bound B <= band. */
static inline int gc_passes(double a, double n, double bound, double band)
{
    return fabs(a - n) <= band && bound <= band;
}

/* The slope test at step h: returns "kinked" (the slopes differ by more than
 * a smooth loss explains, or hook); *fits: a lies between them, widened by
 * the tolerance and the smooth bound.  NaN slopes: neither. */
int gc_slopes_kinked(double a, double slo, double shi, double noise, double h, int hook,
                     const gc_check_opts *o, int *fits);

/* The decision of a against a smooth-loss estimate n with error bound B and
 * band: pass when |a - n| <= band and B <= band, fail when |a - n| > band +
 * B, else undecided with *why GC_REASON_FLAT (|n| <= B: the difference is
 * rounding) or GC_REASON_NOISE.  NaN anywhere: undecided (noise). */
gc_verdict gc_decide(double a, double n, double B, double band, gc_reason *why);

/* A fail of gc_judge at ε, p->conf_n measured (GC_CONFIRM_FACTOR): 1 when
 * |a - n| exceeds the band, the bound and the truncation the two steps
 * show, at every number within b of p's (n, conf_n within b and
 * GC_CONFIRM_FACTOR b, the bound as gc_verdict_stable moves it); b = 0: the
 * test itself.  NaN anywhere: 0. */
int gc_fail_confirmed(double a, const gc_fd_point *p, const gc_check_opts *o, double b);

/* The verdict of one element from a (analytic) and p at step ε, *why its
 * reason when undecided, *band the band it was judged with
 * (gc_band(a, p->numeric, p->trunc_est, p->floor, o), whatever the
 * verdict).  An undecided verdict is the one before the kink refinement
 * (GC_REASON_KINK_AT_THETA) and the escalation (the others). */
gc_verdict gc_judge(double a, const gc_fd_point *p, const gc_check_opts *o, gc_reason *why,
                    double *band);

/* 1 when every number within b of p's (and its bound within a relative
 * 1e-9) gives v, gc_judge's verdict of (a, p), and that verdict is final at
 * ε (pass, kink, or a fail on smooth slopes). */
int gc_verdict_stable(double a, const gc_fd_point *p, gc_verdict v, const gc_check_opts *o,
                      double b);

/* gc_verdict_stable of a pass, p finite, a and b finite: the worst corner
 * of the box in closed form, the farthest n, the narrowest band, the
 * largest bound (a pass is decided before the kink test). */
static inline int gc_verdict_pass_stable(double a, const gc_fd_point *p,
                                         const gc_check_opts *o, double b)
{
    const double n = p->numeric, d = fabs(a - n);
    const double n_in = fabs(n) > b ? (n > 0 ? n - b : n + b) : 0.0;
    const double band_min = gc_band(a, n_in, p->trunc_est, p->floor, o);
    const double B_max = p->bound * (1.0 + 1e-9) + 2.0 * b * p->step;
    return d + b <= band_min && B_max <= band_min;
}

/* gc_judge(a, p, o, .., band) == GC_PASS && gc_verdict_stable(a, p,
 * GC_PASS, o, b), the verdict of nearly every row, in one inline test of
 * the same rule: gc_judge's steps 1 to 3 (a loss not finite, a not finite,
 * the pass), then the closed form above.  *band: gc_judge's band. */
static inline int gc_verdict_pass_final(double a, const gc_fd_point *p, const gc_check_opts *o,
                                        double b, double *band)
{
    const double n = p->numeric;
    *band = gc_band(a, n, p->trunc_est, p->floor, o);
    if (!p->finite || !isfinite(n) || !isfinite(a) || !isfinite(b))
        return 0;
    return gc_passes(a, n, p->bound, *band) && gc_verdict_pass_stable(a, p, o, b);
}

#endif
