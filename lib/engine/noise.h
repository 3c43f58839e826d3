/*
 * engine/noise.h -- the measured rounding noise of a float32 loss along one
 * element (private): Moré and Wild's ECnoise ("Estimating computational
 * noise", SIAM J. Sci. Comput. 33(3), 2011) on losses at equally spaced
 * floats around θ, and the δ the engine's roundoff bounds take from it.
 */
#ifndef GC_ENGINE_NOISE_H
#define GC_ENGINE_NOISE_H

#include "engine/numdiff.h"

/* Losses of one measurement: m + 1 points, m = 8 (the paper's tables use 7
 * to 9; the difference table then has orders 1..8, so three consecutive
 * estimates can agree up to order 6). */
#define GC_NOISE_POINTS 9

/* The points' spacing d: about 2^GC_NOISE_BITS / 3 = 85 float ulps of
 * max(1, |θ|) (1e-5 max(1, |θ|)), with digits chosen so that the points'
 * low bits vary as those of θ ± ε do (noise.c).  An output moving with θ_i
 * by more than 1/85 of its own size changes by at least an ulp per point,
 * so its roundings at two points are as unrelated as at θ ± ε; and the
 * smooth part of the k-th difference, d^k L^(k), is 1e-10 L'' at k = 2,
 * far below float rounding. */
#define GC_NOISE_BITS 8

/* When the rounding is too sparse at d (L constant over half the steps, or
 * one jump in a line: the paper's "h too small"), the measurement is taken
 * once more at GC_NOISE_WIDER d: the points then span 1e-3 max(1, |θ|), a
 * third of the float32 step, and the smooth part of Δ² f is 2.6e-8 L''. */
#define GC_NOISE_WIDER 16.0

/*
 * δ = GC_NOISE_KAPPA σ, σ the measured standard deviation of one loss's
 * noise.  A central difference's roundoff is (e₊ - e₋) / (x₊ - x₋), of
 * standard deviation √2 σ / (x₊ - x₋) for independent errors e₊, e₋; the
 * engine's bound 2δ / (x₊ - x₋) is then √2 κ = 11.3 standard deviations.
 * The margin is for the estimate itself: σ comes from a mean of at most 8
 * squared differences, so an estimate half the true σ still leaves 5.7
 * standard deviations (a Gaussian tail of 1e-8), a third 3.8 -- and a
 * float32 refutation must also be reproduced by the escalation's second,
 * interleaved search, at other steps with other errors.
 */
#ifndef GC_NOISE_KAPPA /* -DGC_NOISE_KAPPA=0 builds the mutant check_noise.c catches */
#define GC_NOISE_KAPPA 8.0
#endif

/* What ECnoise concluded (the paper's `inform`). */
typedef enum gc_noise_inform {
    GC_NOISE_FOUND = 1,     /* σ estimated */
    GC_NOISE_TOO_SMALL = 2, /* half the first differences are 0: d too small */
    GC_NOISE_TOO_LARGE = 3, /* no order agreed (or the values differ by > 10%) */
    GC_NOISE_EXACT = 4      /* not the paper's: every difference of some order
                             * k >= 2 is exactly 0 while L moves at every step --
                             * L is exactly a polynomial along the points (the
                             * arithmetic that depends on θ_i is exact) */
} gc_noise_inform;

/* ECnoise on f[0..nf) (4 <= nf <= GC_NOISE_POINTS, equally spaced; not
 * written): the k-th difference table Δ^k f, σ_k = sqrt(γ_k mean((Δ^k f)²)),
 * γ_k = (k!)² / (2k)!, and σ = σ_k for the first k whose σ_k, σ_k+1, σ_k+2
 * agree within a factor 4 and whose differences change sign.  Returns the
 * inform; *sigma is σ when found, the largest σ_k (k >= 2) when TOO_LARGE
 * (an upper figure), else 0.  A non-finite value: TOO_LARGE, σ 0. */
gc_noise_inform gc_noise_table(const double *f, int nf, double *sigma);

/* For a float32 check (c->o->precision), measure the noise of L along
 * element i of t: GC_NOISE_POINTS losses at θ - k d, k = 0, 1, ... (d =
 * noise.c's spacing, toward 0), counted in the evaluator's nevals, then
 * the element restored (once more at GC_NOISE_WIDER d when the first did
 * not find σ).  Returns 1 with *m = c and m->delta =
 * GC_NOISE_KAPPA σ (n_eps, the central difference at ε, must agree with an
 * exact line; a staircase: σ its sawtooth's; not found: the larger of
 * κ u S and GC_NOISE_KAPPA times the largest estimate seen, and so when
 * the points would not be floats); 0 (float64, a non-finite θ or S) with
 * *m = *c. */
int gc_noise_measure(const gc_fd_ctx *c, const gc_target *t, size_t i, double n_eps,
                     gc_fd_ctx *m);

#endif
