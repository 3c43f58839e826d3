/*
 * verdict.c -- the pass/fail rule: pass, kink or fail from an element's
 * numbers alone.  Every comparison is written so that NaN fails.
 */
#include "engine/verdict.h"

#include <math.h>

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}

double gc_rel_error(double a, double n)
{
    double d = fabs(a - n), m = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    if (m == 0.0 && d == 0.0)
        return 0.0;
    return d / m;
}

int gc_within_tolerance(double a, double n, const gc_check_opts *o)
{
    if (!isfinite(a) || !isfinite(n))
        return 0;
    return fabs(a - n) <= o->atol || gc_rel_error(a, n) <= o->rtol;
}

/*
 * Kinked: the slopes s- and s+ at step h differ by more than a smooth
 * function's h|L″| could explain (|L″| <= K max(1, |s-|, |s+|), K =
 * GC_KINK_CURVATURE, plus their roundoff), or a hook fired.  Fits: a lies in
 * [min(s-,s+), max(s-,s+)] widened by the tolerance and by half the smooth
 * bound (the slopes' own h L″/2 term): a is a subgradient at this scale.
 */
int gc_slopes_kinked(double a, double slo, double shi, double noise, double h, int hook,
                     const gc_check_opts *o, int *fits)
{
    *fits = 0;
    if (!isfinite(slo) || !isfinite(shi))
        return 0;
    const double lo = slo < shi ? slo : shi, hi = slo < shi ? shi : slo;
    const double scale = max3(1.0, fabs(slo), fabs(shi));
    const double smooth = h * GC_KINK_CURVATURE * scale + 2.0 * noise;
    const double tolmag = max3(fabs(a), fabs(lo), fabs(hi));
    const double widen = (o->rtol * tolmag > o->atol ? o->rtol * tolmag : o->atol) +
                         0.5 * smooth;
    *fits = a >= lo - widen && a <= hi + widen;
    return hook || (hi - lo) > smooth;
}

/*
 * 1. A NaN or Inf anywhere (a, n, or a loss) is fail.
 * 2. pass within tolerance (adaptive: abs_err within the band of check.h).
 * 3. kink when the loss is not differentiable in [θ-ε, θ+ε] and a is a valid
 *    subgradient there.
 * 4. fail otherwise: a wrong gradient next to a kink is still wrong (finer
 *    steps may still make it a kink: gc_refinable).
 */
gc_verdict gc_judge(double a, const gc_fd_point *p, const gc_check_opts *o)
{
    const double n = p->numeric;
    if (!p->finite || !isfinite(a) || !isfinite(n))
        return GC_FAIL;
    const double abs_err = fabs(a - n);
    const double mag = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    int pass = gc_within_tolerance(a, n, o);
    if (pass && o->adaptive && !isnan(p->num_err)) {
        double band = max3(GC_ADAPTIVE_C * p->num_err, GC_ADAPTIVE_RTOL_FLOOR * mag, o->atol);
        double cap = o->rtol * mag > o->atol ? o->rtol * mag : o->atol;
        if (band > cap)
            band = cap;
        pass = abs_err <= band;
    }
    if (pass)
        return GC_PASS;
    int fits;
    const int kinked = gc_slopes_kinked(a, p->slope_lo, p->slope_hi, p->noise, o->eps, p->hook,
                                        o, &fits);
    return kinked && fits ? GC_KINK : GC_FAIL;
}

int gc_refinable(double a, const gc_fd_point *p, const gc_check_opts *o)
{
    int fits;
    return p->finite && isfinite(a) && isfinite(p->numeric) &&
           gc_slopes_kinked(a, p->slope_lo, p->slope_hi, p->noise, o->eps, p->hook, o,
                            &fits) &&
           !fits;
}

/*
 * gc_judge passes iff |a - n| <= band, band = max(atol, rtol max(|a|, |n|))
 * (adaptive: never wider, at least min(max(C num_err, FLOOR mag, atol),
 * that)).  Over n' in [n - b, n + b] the distance ranges over [|a - n| - b,
 * |a - n| + b] and the band over [band_min, band_max]: a pass is stable when
 * |a - n| + b <= band_min, a non-pass when |a - n| - b > band_max.  Between
 * kink and fail the slopes decide monotonically (a lower lo and a higher hi
 * widen both the kink test and the subgradient range): the two extreme
 * corners suffice.
 */
int gc_verdict_stable(double a, const gc_fd_point *p, const gc_check_opts *o, double b)
{
    const double n = p->numeric;
    if (!p->finite || !isfinite(a) || !isfinite(n) || !isfinite(b))
        return 0;
    const double d = fabs(a - n);
    const double mag_lo = fmax(fabs(a), fabs(n) - b), mag_hi = fmax(fabs(a), fabs(n) + b);
    double band_min = fmax(o->atol, o->rtol * mag_lo);
    const double band_max = fmax(o->atol, o->rtol * mag_hi);
    if (o->adaptive && !isnan(p->num_err)) {
        double ne = fmax(0.0, p->num_err - b);
        double adaptive_min = max3(GC_ADAPTIVE_C * ne, GC_ADAPTIVE_RTOL_FLOOR * mag_lo, o->atol);
        band_min = fmin(adaptive_min, band_min);
    }
    const gc_verdict v = gc_judge(a, p, o);
    if (v == GC_PASS)
        return d + b <= band_min;
    if (!(d - b > band_max))
        return 0;
    for (int s = -1; s <= 1; s += 2) {
        gc_fd_point q = *p;
        if (!isnan(q.slope_lo)) {
            q.slope_lo += s * b;
            q.slope_hi -= s * b;
        }
        if (gc_judge(a, &q, o) != v)
            return 0;
    }
    return 1;
}
