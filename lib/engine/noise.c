/*
 * noise.c -- the rounding noise of a float32 loss along one element,
 * measured (Moré and Wild's ECnoise) rather than modelled: how float code
 * rounds follows the sizes of its intermediates (a layernorm's x - mean
 * amplified by rstd), which no bound from the outputs alone captures.
 *
 * Why the measurement along e_i is the noise that matters: L(θ ± h e_i)
 * differ only through the values that depend on θ_i; every other value is
 * bit-identical in both evaluations and constant along e_i too, so the
 * difference table sees exactly the rounding that does not cancel.
 */
#include "engine/noise.h"

#include <math.h>

gc_noise_inform gc_noise_table(const double *f, int nf, double *sigma)
{
    double t[GC_NOISE_POINTS], level[GC_NOISE_POINTS];
    int sign[GC_NOISE_POINTS];
    *sigma = 0.0;
    if (nf < 4 || nf > GC_NOISE_POINTS)
        return GC_NOISE_TOO_LARGE;
    double lo = f[0], hi = f[0];
    for (int i = 0; i < nf; i++) {
        if (!isfinite(f[i]))
            return GC_NOISE_TOO_LARGE;
        lo = f[i] < lo ? f[i] : lo;
        hi = f[i] > hi ? f[i] : hi;
        t[i] = f[i];
    }
    /* values that differ in their first digit: the smooth part dominates */
    if (hi - lo > 0.1 * fmax(fabs(lo), fabs(hi)))
        return GC_NOISE_TOO_LARGE;
    double gamma = 1.0; /* γ_k = (k!)² / (2k)!, by γ_k = γ_k-1 k / (2 (2k - 1)) */
    int exact = 0;
    for (int k = 1; k < nf; k++) {
        int zeros = 0;
        double sq = 0.0, emin = INFINITY, emax = -INFINITY;
        for (int i = 0; i < nf - k; i++) {
            t[i] = t[i + 1] - t[i];
            zeros += t[i] == 0.0;
            sq += t[i] * t[i];
            emin = fmin(emin, t[i]);
            emax = fmax(emax, t[i]);
        }
        /* L constant (over half the steps or all of them): the steps are too
         * small for its rounding, which may hide a slope below one quantum */
        if (k == 1 && 2 * zeros >= nf)
            return GC_NOISE_TOO_SMALL;
        exact |= zeros == nf - k;
        gamma *= 0.5 * k / (2.0 * k - 1.0);
        level[k] = sqrt(gamma * sq / (nf - k));
        sign[k] = emin * emax < 0.0;
    }
    /* the first order whose three estimates agree, its differences
     * changing sign (a smooth part would give them one sign) */
    for (int k = 1; k + 2 < nf; k++) {
        double a = fmin(fmin(level[k], level[k + 1]), level[k + 2]);
        double b = fmax(fmax(level[k], level[k + 1]), level[k + 2]);
        if (sign[k] && b <= 4.0 * a) {
            *sigma = level[k];
            return GC_NOISE_FOUND;
        }
    }
    if (exact)
        return GC_NOISE_EXACT;
    /* not found: the largest estimate of order 2 or more, an upper figure
     * (a smooth part only adds to it) for the caller that must not ignore
     * what it saw */
    for (int k = 2; k < nf; k++)
        *sigma = fmax(*sigma, level[k]);
    return GC_NOISE_TOO_LARGE;
}

/* The float32 ulp of x (x != 0): 2^(e - 23) for |x| in [2^e, 2^(e+1)). */
static double ulp_f(double x)
{
    return ldexp(1.0, ilogb(x) - 23);
}

/* The spacing: n g, g θ's own ulp (at least 2^-24 of the unit, so that the
 * points stay exact in double), n = (2^(s + GC_NOISE_BITS) / 3) | 1 with
 * 2^s = unit / g: about 2^GC_NOISE_BITS / 3 ulps of max(1, |θ|), its binary
 * digits alternating (...01011), so that the step modulo every power of two
 * 2^j g below it is between 1/4 and 3/4 of 2^j g: whatever an output's ulp,
 * the bits of the points below it change at every point, as θ ± ε's differ
 * from θ's (a step of 1/8 of an ulp would round alike for 8 points). */
static double spacing(double x0)
{
    const double unit = ulp_f(fmax(1.0, fabs(x0)));
    const double g = x0 == 0.0 ? ldexp(unit, -24) : fmax(ulp_f(x0), ldexp(unit, -24));
    const double n = floor(ldexp(unit / g, GC_NOISE_BITS) / 3.0);
    return (x0 < 0.0 ? -1.0 : 1.0) * (fmod(n, 2.0) == 0.0 ? n + 1.0 : n) * g;
}

/* One measurement: ECnoise's inform, σ (TOO_SMALL: the staircase's, below;
 * TOO_LARGE: the upper figure) and the slope of the first step. */
typedef struct stencil {
    gc_noise_inform inf;
    double sigma, slope;
} stencil;

/* GC_NOISE_POINTS losses at x0 - k d (k = 0, 1, ...), then element i
 * restored to θ's bits. */
static stencil measure_at(const gc_fd_ctx *c, const gc_target *t, size_t i, double theta,
                          double x0, double d)
{
    stencil s = {GC_NOISE_TOO_LARGE, 0.0, NAN};
    double f[GC_NOISE_POINTS];
    /* equally spaced floats (checked: a θ below 2^-23 may have bits the
     * spacing does not keep) */
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        if ((double)(float)(x0 - k * d) != x0 - k * d)
            return s;
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        f[k] = gc_eval_loss(c->ev, t, i, x0 - k * d);
    gc_eval_restore(c->ev, t, i, theta);
    s.inf = gc_noise_table(f, GC_NOISE_POINTS, &s.sigma);
    s.slope = (f[0] - f[1]) / d;
    if (s.inf == GC_NOISE_TOO_SMALL) {
        /* L a staircase at this spacing: its rounding is a sawtooth whose
         * jumps are the largest step seen (one quantum plus the smooth part's
         * d L'), of standard deviation step / √12; 0 when L is constant */
        double q = 0.0;
        for (int k = 1; k < GC_NOISE_POINTS; k++)
            q = fmax(q, fabs(f[k] - f[k - 1]));
        s.sigma = q / sqrt(12.0);
    }
    return s;
}

/*
 * σ from the measurement at d, else from a second one at GC_NOISE_WIDER d:
 * - found at d: its σ;
 * - exact at both spacings with one slope, which the central difference at
 *   ε (n_eps) also gives: exact arithmetic, σ = 0 (the double sum's
 *   rounding is the floor); exact lines of different slopes are a quantised
 *   L whose steps happened to be equal (each an integer number of quanta),
 *   or whose rounding at θ ± ε the points did not share: σ the largest gap
 *   over one wide step;
 * - found at the wider spacing: the larger of the two σ;
 * - else not measured (*measured 0), σ the larger figure seen.
 */
static double sigma_of(const stencil *a, const stencil *b, double wide, double S, double n_eps,
                       int *measured)
{
    *measured = 1;
    if (a->inf == GC_NOISE_EXACT && b->inf == GC_NOISE_EXACT) {
        double gap = fmax(fabs(a->slope - b->slope), fabs(n_eps - b->slope));
        double tol = 1e-6 * fmax(fabs(a->slope), fabs(b->slope)) + 64.0 * 0x1p-53 * S / wide;
        return gap <= tol ? 0.0 : gap * wide;
    }
    if (b->inf == GC_NOISE_FOUND)
        return fmax(a->sigma, b->sigma);
    *measured = 0;
    return fmax(a->sigma, b->sigma);
}

int gc_noise_measure(const gc_fd_ctx *c, const gc_target *t, size_t i, double n_eps,
                     gc_fd_ctx *m)
{
    *m = *c;
    const double x0 = t->value[i];
    if (c->o->precision != GC_PRECISION_FLOAT32 || !isfinite(x0) || !isfinite(c->scale))
        return 0;
    /* from the float the code sees at θ (a layer check's drawn input is a
     * double the layer rounds), toward 0 */
    const double base = (double)(float)x0, d = spacing(base);
    /* no less than the rounding of the double sum L itself */
    const double floor = GC_ROUNDOFF_KAPPA * 0x1p-53 * c->scale;
    stencil a = measure_at(c, t, i, x0, base, d);
    if (a.inf == GC_NOISE_FOUND) {
        m->delta = fmax(GC_NOISE_KAPPA * a.sigma, floor);
        return 1;
    }
    stencil b = measure_at(c, t, i, x0, base, GC_NOISE_WIDER * d);
    int measured;
    double sigma = sigma_of(&a, &b, fabs(GC_NOISE_WIDER * d), c->scale, n_eps, &measured);
    /* not measured: κ u S, unless the differences showed more */
    m->delta = fmax(GC_NOISE_KAPPA * sigma, measured ? floor : gc_fd_delta(c, c->L0, c->L0));
    return 1;
}
