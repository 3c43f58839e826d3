/*
 * verdict.c -- the three-valued rule: pass, kink, fail or undecided from an
 * element's numbers alone.  Every comparison is written so that NaN does not
 * pass: a NaN a is refuted, a NaN loss leaves the element undecided.
 */
#include "engine/verdict.h"

#include <math.h>

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
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

gc_verdict gc_decide(double a, double n, double B, double band, gc_reason *why)
{
    const double d = fabs(a - n);
    *why = GC_REASON_NONE;
    if (d <= band && B <= band)
        return GC_PASS;
    if (d > band + B)
        return GC_FAIL;
    *why = fabs(n) <= B ? GC_REASON_FLAT : GC_REASON_NOISE;
    return GC_UNDECIDED;
}

/*
 * n(h) = f' + k h + ... at worst (a jump of L'' at θ; smooth: k = 0), so
 * n(ε) - n(ε/f) = k ε (1 - 1/f) and the truncation at ε, k ε, is at most
 * f/(f-1) (|n(ε) - n(ε/f)| + r(ε) + r(ε/f)), r each difference's roundoff
 * (at most a one-sided slope's, p->noise and p->conf_noise).  Every term
 * grows with b, so its worst corner is the test at b.
 */
int gc_fail_confirmed(double a, const gc_fd_point *p, const gc_check_opts *o, double b)
{
    const double f = GC_CONFIRM_FACTOR, n = p->numeric;
    const double d = fabs(a - n) - b;
    const double band = gc_band(a, fabs(n) + b, p->trunc_est, p->floor, o);
    const double B = p->bound * (1.0 + 1e-9) + 2.0 * b * p->step;
    const double T = f / (f - 1.0) *
                     (fabs(n - p->conf_n) + (1.0 + f) * b + (p->noise + p->conf_noise) * (1.0 + 1e-9));
    return d > band + B + T;
}

/*
 * 1. A loss not finite: undecided (at θ: nothing can be measured; at θ±ε:
 *    the escalation tries one-sided steps away from it).
 * 2. a NaN or Inf with finite losses: fail.
 * 3. pass when |a - n| <= band and the bound B <= band.
 * 4. kink when the loss is not differentiable in [θ-ε, θ+ε] and a is a
 *    valid subgradient there; kinked and a fits no slope: undecided "kink
 *    at θ" until the refinement at finer steps says more.
 * 5. fail when |a - n| > band + B: the difference refutes a.
 * 6. undecided otherwise (the escalation measures again).
 */
gc_verdict gc_judge(double a, const gc_fd_point *p, const gc_check_opts *o, gc_reason *why,
                    double *band_out)
{
    const double n = p->numeric;
    const double band = gc_band(a, n, p->trunc_est, p->floor, o);
    *band_out = band;
    *why = GC_REASON_NONE;
    if (!p->finite || !isfinite(n)) {
        *why = p->bad_side == 0 && !isfinite(n) ? GC_REASON_NOISE
               : p->bad_side == 0               ? GC_REASON_LOSS_NONFINITE
                                                : GC_REASON_LOSS_NONFINITE_NEAR;
        return GC_UNDECIDED;
    }
    if (!isfinite(a))
        return GC_FAIL;
    if (gc_passes(a, n, p->bound, band))
        return GC_PASS;
    int fits;
    if (gc_slopes_kinked(a, p->slope_lo, p->slope_hi, p->noise, p->step, p->hook, o, &fits)) {
        if (fits)
            return GC_KINK;
        *why = GC_REASON_KINK_AT_THETA;
        return GC_UNDECIDED;
    }
    return gc_decide(a, n, p->bound, band, why);
}

/*
 * The verdict depends on n, the bound B and the slopes, each monotonically
 * (a larger distance |a - n| or bound only moves pass -> undecided -> fail;
 * a lower lo and a higher hi widen both the kink test and the subgradient
 * range): the corners of the box suffice.  Only final verdicts at ε can be
 * stable; an undecided one goes on to refinement or escalation, which
 * always run with the reference (lib/engine/parallel.c).
 */
/* A fail or a kink: gc_judge at each of the box's 8 corners gives v.  Not
 * inlined: a pass, every row's case, then needs no stack frame (its worst
 * corner in closed form: gc_verdict_pass_stable, verdict.h). */
__attribute__((noinline)) static int corners_stable(double a, const gc_fd_point *p, gc_verdict v,
                                                    const gc_check_opts *o, double b)
{
    gc_reason why;
    double band;
    for (int sn = -1; sn <= 1; sn += 2)
        for (int ss = -1; ss <= 1; ss += 2)
            for (int sb = -1; sb <= 1; sb += 2) {
                gc_fd_point q = *p;
                q.numeric += sn * b;
                /* B's losses differ by ulps (1e-9 relative covers them);
                 * its truncation share moves with the slopes by 2bε */
                q.bound = fmax(0.0, q.bound * (1.0 + sb * 1e-9) + sb * 2.0 * b * p->step);
                if (!isnan(q.slope_lo)) {
                    q.slope_lo += ss * b;
                    q.slope_hi -= ss * b;
                }
                if (gc_judge(a, &q, o, &why, &band) != v)
                    return 0;
            }
    return 1;
}

int gc_verdict_stable(double a, const gc_fd_point *p, gc_verdict v, const gc_check_opts *o,
                      double b)
{
    if (v == GC_UNDECIDED || !p->finite || !isfinite(a) || !isfinite(b))
        return 0;
    if (v == GC_FAIL && !isnan(p->conf_n) && !gc_fail_confirmed(a, p, o, b))
        return 0;
    if (v != GC_PASS)
        return corners_stable(a, p, v, o, b);
    return gc_verdict_pass_stable(a, p, o, b);
}
