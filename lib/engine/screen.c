/*
 * screen.c -- the random-direction screen: one directional derivative per
 * tensor, element checks only where it fails.
 *
 * For a tensor θ with analytic gradient g, draw d with N(0, 1) elements from
 * PCG32(opts->seed, stream GC_SCREEN_STREAM + tensor index) and compare
 *     n_d = (L(θ + ε d) - L(θ - ε d)) / 2ε     (2 loss evaluations)
 * with a_d = g · d under the rows' own plain rule (gc_within_tolerance).
 *
 * Why a pass means something.  Let e = g - ∇L be the gradient's error.  Then
 * a_d - n_d = e · d + (the central difference's own error), and for a fixed
 * e != 0, e · d ~ N(0, ‖e‖²): it vanishes only on the hyperplane e ⊥ d, a set
 * of measure zero, so errors cannot cancel systematically -- whatever the
 * bug, as d does not depend on it.  They can cancel by chance to within the
 * tolerance: as a · d ~ N(0, ‖∇L‖²), the miss probability is about
 *     P(|e·d| <= rtol |a·d|) <= (2/π) arctan(rtol ‖∇L‖ / ‖e‖)
 *                             ≈ 0.64 rtol ‖∇L‖ / ‖e‖,
 * plus P(|e·d| <= atol) <= 0.8 atol / ‖e‖.  A bug that spoils a tensor (a
 * factor, a missing term, a wrong mask: ‖e‖ ~ ‖∇L‖) slips through with
 * probability ~1e-5; one element off by a relative r in a tensor of N
 * comparable elements has ‖e‖/‖∇L‖ ~ r/√N and is caught only when
 * r >> rtol √N.  So the screen is a pre-filter for whole-tensor bugs, not
 * an element-level proof: tensors it passes are reported as `screened`,
 * never as checked element by element.
 *
 * The central difference along d: d has norm ~√N, so the step moves each
 * element by ~ε; truncation grows as ε² ‖d‖³ |L'''| against |a_d| ~ ‖d‖, a
 * relative N ε² ~ 1e-7 for N = 1e5 at ε = 1e-6, below rtol.
 *
 * Drill down (element checks, exactly as without the screen) also when:
 *   - a kink hook fires between θ - εd and θ + εd: the element checks would
 *     report kinks, which the screen must not hide;
 *   - every |g_i| <= atol: the element checks decide "vacuous", which a
 *     directional check cannot (it compares zeros with zeros).
 */
#include "engine/screen.h"
#include "engine/verdict.h"

#include <math.h>

void gc_screen_direction(double *d, size_t n, uint64_t seed, int t)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, GC_SCREEN_STREAM + (uint64_t)(t + 1));
    for (size_t i = 0; i < n; i++)
        d[i] = gc_pcg32_normal(&rng);
}

int gc_screen_tensor(gc_eval *ev, const gc_target *t, const gc_check_opts *opts, double eps,
                     double *d, gc_screen *out)
{
    const double *g = t->grad;
    size_t n = gc_target_size(t);
    gc_screen_direction(d, n, opts->seed, t->net_index);
    double a = 0.0;
    int tiny = 1;
    for (size_t i = 0; i < n; i++) {
        a += g[i] * d[i];
        if (!(fabs(g[i]) <= opts->atol))
            tiny = 0;
    }
    double lm = gc_eval_loss_along(ev, t, d, -eps);
    gc_eval_mark_low(ev, t->layer);
    double lp = gc_eval_loss_along(ev, t, d, eps);
    double num = (lp - lm) / (2.0 * eps);
    out->analytic = a;
    out->numeric = num;
    out->abs_err = fabs(a - num);
    out->rel_err = gc_rel_error(a, num);
    out->kink = gc_eval_kink_hook(ev, t->layer);
    out->vacuous_suspect = tiny;
    out->pass = gc_within_tolerance(a, num, opts) && !out->kink && !tiny;
    return out->pass;
}
