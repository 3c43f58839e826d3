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
 * adaptive (richardson's
 * tableau estimate est, not NaN): tightened as check.h says. */
double gc_band(double a, double n, double est, double floor, const gc_check_opts *o);

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

#endif
