/*
 * engine/verdict.h -- the pass/fail rule (private): pass, kink or fail from
 * an element's numbers alone, and whether a rounding difference could
 * change it.  The screen and the rows use the same rule.
 */
#ifndef GC_ENGINE_VERDICT_H
#define GC_ENGINE_VERDICT_H

#include "engine/numdiff.h"

/* |a - n| / max(|a|, |n|), 0 when both are 0; NaN for NaN or Inf. */
double gc_rel_error(double a, double n);

/* The plain rule: a and n finite and |a - n| <= atol or rel_err <= rtol. */
int gc_within_tolerance(double a, double n, const gc_check_opts *o);

/* The slope test at step h: returns "kinked" (the slopes differ by more than
 * a smooth loss explains, or hook); *fits: a lies between them, widened by
 * the tolerance and the smooth bound.  NaN slopes: neither. */
int gc_slopes_kinked(double a, double slo, double shi, double noise, double h, int hook,
                     const gc_check_opts *o, int *fits);

/* The verdict of one element from a (analytic) and p at step ε. */
gc_verdict gc_judge(double a, const gc_fd_point *p, const gc_check_opts *o);

/* A fail that finer steps may still turn into a kink: finite, kinked at ε,
 * a outside the slopes. */
int gc_refinable(double a, const gc_fd_point *p, const gc_check_opts *o);

/* 1 when every number within b of p's gives gc_judge's verdict. */
int gc_verdict_stable(double a, const gc_fd_point *p, const gc_check_opts *o, double b);

#endif
