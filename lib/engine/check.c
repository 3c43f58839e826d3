/*
 * check.c -- the finite-difference engine: the reference evaluation
 * described here, the verdict, and the run that hands the losses to the
 * fast evaluator (lib/fast.c, the default engine, networks only) and its
 * rows to threads.
 *
 * The engine sees a "chain": layers[k] maps act[k] to act[k+1], and a
 * function that recomputes the loss from layer k on, reading the cached
 * act[k].  A network is a chain (gc_net_forward_from); so is one layer
 * under the layer check, with L = sum(R .* Y).  Every checked tensor is a
 * plain array of doubles plus the index of the first layer that reads it:
 * a parameter of layer k is read by layer k, the input x by layer 0.  The
 * engine perturbs an element in place, recomputes from that layer only (the
 * activations before it cannot change), and puts the original bits back by
 * assignment.  Nothing here knows a layer by name: kinks come from the
 * optional ops->kink hook and from one-sided slopes.
 *
 * Tensors are evaluated from the last layer to the first (rows are stored
 * in report order whatever the evaluation order): after perturbing layer k
 * the activations act[0..k] are still those of the unperturbed pass, so an
 * earlier tensor can be perturbed next without any restoring forward pass.
 * One final full forward pass leaves the caller's cache unperturbed.
 *
 * The pieces a faster engine reuses: fd_element (the numerical derivative
 * of one element, with its slopes, error estimate and hook) and judge (the
 * verdict from those numbers alone).
 */
#include "gradcheck/check.h"
#include "engine/fast.h"
#include "engine/hygiene.h"
#include "engine/screen.h"
#include "report/rank.h"
#include "core/threads.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* PCG32 streams, so that sampling and the layer check's data never share
 * draws: both are fixed functions of opts->seed. */
#define STREAM_SAMPLE 0x5a3b1eu
#define STREAM_LAYER_DATA 0x1a7e5u

/* ---- the chain the engine perturbs --------------------------------------- */

typedef struct chain {
    int nlayers;
    gc_layer **layers; /* nlayers; layers[k] maps act[k] to act[k+1] */
    gc_mat **act;      /* nlayers + 1 */
    /* Recompute from layer k on (act[k] is current); return L. */
    double (*loss_from)(void *ctx, int k);
    void *ctx;
} chain;

/* One tensor to check: `value` is perturbed in place, `grad` holds the
 * analytic gradient (same shape), layer k is the first to read `value`. */
typedef struct target {
    char name[GC_NAME_MAX];
    int rows, cols;
    double *value;
    const double *grad;
    int layer;
    int fast_t; /* the fast evaluator's name for it: net->tensors index or GC_FAST_INPUT */
} target;

typedef struct engine {
    chain ch;
    gc_check_opts o; /* resolved */
    double L0;       /* unperturbed loss */
    gc_mat **kink_lo; /* nlayers: copy of act[j] at θ-ε for layers with a hook, else NULL */
    unsigned long long nevals;
    const gc_net *net; /* the network (gc_check_net), else NULL: no fast engine */
    gc_fast *fast;     /* GC_ENGINE_FAST: this thread's evaluator (never writes values) */
    int slot;          /* the evaluator slot the next loss goes to */
} engine;

/* Everything the verdict needs about one element, from losses alone. */
typedef struct fd_point {
    double numeric;
    double num_err;  /* richardson's error estimate, else NaN */
    double slope_lo; /* (L(θ) - L(θ-ε)) / ε, NaN when not computed */
    double slope_hi; /* (L(θ+ε) - L(θ)) / ε, NaN when not computed */
    double noise;    /* roundoff bound of a one-sided slope: 4u (|L-| + 2|L0| + |L+|) / ε */
    int hook;        /* a kink hook fired between θ-ε and θ+ε */
    int finite;      /* every loss used was finite */
    int refined;     /* the verdict came from refine (finer one-sided steps) */
} fd_point;

/* ---- options ------------------------------------------------------------ */

double gc_method_default_eps(gc_method m)
{
    return m == GC_METHOD_RICHARDSON ? GC_DEFAULT_EPS_RICHARDSON : GC_DEFAULT_EPS;
}

void gc_check_opts_init(gc_check_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->method = GC_METHOD_CENTRAL;
    opts->eps = 0.0;
    opts->rtol = GC_DEFAULT_RTOL;
    opts->atol = GC_DEFAULT_ATOL;
    opts->seed = 1;
    opts->engine = GC_ENGINE_FAST;
}

static int resolve_opts(gc_check_opts *o, const gc_check_opts *in, gc_error *err)
{
    if (in == NULL)
        gc_check_opts_init(o);
    else
        *o = *in;
    if (o->method != GC_METHOD_CENTRAL && o->method != GC_METHOD_FORWARD &&
        o->method != GC_METHOD_RICHARDSON)
        return gc_error_set(err, GC_EINVAL, "unknown method %d", (int)o->method);
    if (!(o->eps >= 0.0) || !isfinite(o->eps))
        return gc_error_set(err, GC_EINVAL, "eps must be a finite number >= 0, got %g", o->eps);
    if (o->eps == 0.0)
        o->eps = gc_method_default_eps(o->method);
    if (!(o->rtol >= 0.0) || !isfinite(o->rtol))
        return gc_error_set(err, GC_EINVAL, "rtol must be a finite number >= 0, got %g", o->rtol);
    if (!(o->atol >= 0.0) || !isfinite(o->atol))
        return gc_error_set(err, GC_EINVAL, "atol must be a finite number >= 0, got %g", o->atol);
    if (o->sample < 0)
        return gc_error_set(err, GC_EINVAL, "sample must be >= 0, got %d", o->sample);
    if (o->engine != GC_ENGINE_REFERENCE && o->engine != GC_ENGINE_FAST)
        return gc_error_set(err, GC_EINVAL, "unknown engine %d", (int)o->engine);
    if (o->mutate < 0 || !(o->nondet_tol >= 0.0) || !isfinite(o->nondet_tol))
        return gc_error_set(err, GC_EINVAL, "mutate must be >= 0 and nondet_tol a finite "
                            "number >= 0, got %d and %g", o->mutate, o->nondet_tol);
    if (o->threads < 0)
        return gc_error_set(err, GC_EINVAL, "threads must be >= 0 (0: all cores), got %d",
                            o->threads);
    return GC_OK;
}

/* ---- losses at perturbed values ----------------------------------------- */

/* L with element i of t set to v (the caller restores it). */
static double loss_at(engine *e, const target *t, size_t i, double v)
{
    e->nevals++;
    if (e->fast != NULL)
        return gc_fast_loss(e->fast, e->slot, t->fast_t, i, v);
    t->value[i] = v;
    return e->ch.loss_from(e->ch.ctx, t->layer);
}

/* Put the original bits back (the fast engine never wrote them). */
static void restore(engine *e, const target *t, size_t i, double x0)
{
    if (e->fast == NULL)
        t->value[i] = x0;
}

/* After L(θ-ε): keep the inputs of every hooked layer from k on. */
static void kink_snapshot(engine *e, int k)
{
    if (e->fast != NULL) { /* θ-ε stays in slot 0; θ+ε goes to slot 1 */
        e->slot = 1;
        return;
    }
    for (int j = k; j < e->ch.nlayers; j++)
        if (e->kink_lo[j] != NULL)
            memcpy(e->kink_lo[j]->data, e->ch.act[j]->data,
                   gc_mat_size(e->ch.act[j]) * sizeof(double));
}

/* After L(θ+ε): did any hooked layer's input cross its kink? */
static int kink_test(engine *e, int k)
{
    if (e->fast != NULL) {
        e->slot = 0;
        return gc_fast_kink(e->fast, 0, 1);
    }
    for (int j = k; j < e->ch.nlayers; j++) {
        const gc_layer *l = e->ch.layers[j];
        if (e->kink_lo[j] != NULL && l->ops->kink(l, e->kink_lo[j], e->ch.act[j]))
            return 1;
    }
    return 0;
}

/* Central difference on [θ-h, θ+h] with the steps actually taken: x0 ± h
 * is rounded, and dividing by the rounded step (xp - xm, exact here) rather
 * than 2h removes an error of ulp(x0)/h relative. */
static double central_at(engine *e, const target *t, size_t i, double x0, double h,
                         int level0, double *lm_out, double *lp_out, int *finite)
{
    double xm = x0 - h, xp = x0 + h;
    double lm = loss_at(e, t, i, xm);
    if (level0)
        kink_snapshot(e, t->layer);
    double lp = loss_at(e, t, i, xp);
    restore(e, t, i, x0);
    if (!isfinite(lm) || !isfinite(lp))
        *finite = 0;
    *lm_out = lm;
    *lp_out = lp;
    return (lp - lm) / (xp - xm);
}

/* The two one-sided slopes and their roundoff bound from L(θ-ε), L(θ),
 * L(θ+ε).  On a smooth L, s+ - s- = ε L″ + O(ε³); across a kink, O(1). */
static void slopes(fd_point *p, double x0, double eps, double L0, double lm, double lp)
{
    double xm = x0 - eps, xp = x0 + eps;
    p->slope_lo = (L0 - lm) / (x0 - xm);
    p->slope_hi = (lp - L0) / (xp - x0);
    p->noise = 4.0 * DBL_EPSILON * (fabs(lm) + 2.0 * fabs(L0) + fabs(lp)) / eps;
}

/*
 * Richardson's table over the central differences D(h_i), h_i = ε/2^i:
 *   D(h) = f' + c1 h² + c2 h⁴ + ...,
 *   R[i][0] = D(h_i),  R[i][j] = R[i][j-1] + (R[i][j-1] - R[i-1][j-1]) / (4^j - 1),
 * each column cancelling the next even power.  The truncation estimate is
 * that of Numerical Recipes' dfridr: the larger of the last element's
 * distance to its left neighbour (same steps, one order less) and to the
 * previous diagonal (one step less).  Both shrink with the error while the
 * extrapolation converges -- but at the default step the error is roundoff,
 * which these differences can miss by chance (measured: 2% of elements
 * 10x under), so the caller adds a roundoff bound (richardson_roundoff).
 */
static double richardson(const double *D, int n, double *err)
{
    double R[GC_RICHARDSON_LEVELS][GC_RICHARDSON_LEVELS];
    for (int i = 0; i < n; i++) {
        R[i][0] = D[i];
        double p4 = 1.0;
        for (int j = 1; j <= i; j++) {
            p4 *= 4.0;
            R[i][j] = R[i][j - 1] + (R[i][j - 1] - R[i - 1][j - 1]) / (p4 - 1.0);
        }
    }
    int m = n - 1;
    if (m == 0) {
        *err = NAN;
        return R[0][0];
    }
    double e1 = fabs(R[m][m] - R[m][m - 1]);
    double e2 = fabs(R[m][m] - R[m - 1][m - 1]);
    *err = e1 > e2 ? e1 : e2;
    if (isnan(e1) || isnan(e2))
        *err = NAN;
    return R[m][m];
}

/*
 * Roundoff bound of the extrapolated value: R[m][m] = sum_i w_i D(h_i) (the
 * table is linear in D, so w is the table run on unit vectors), and each
 * D(h_i) = (L+ - L-)/(2h_i) carries the losses' rounding, taken as one
 * DBL_EPSILON (2 ulps) of each: DBL_EPSILON (|L+| + |L-|) / (2 h_i).
 */
static double richardson_roundoff(const double *Lm, const double *Lp, const double *step, int n)
{
    double bound = 0.0;
    for (int i = 0; i < n; i++) {
        double unit[GC_RICHARDSON_LEVELS] = {0.0}, dummy;
        unit[i] = 1.0;
        double w = richardson(unit, n, &dummy);
        bound += fabs(w) * DBL_EPSILON * (fabs(Lp[i]) + fabs(Lm[i])) / step[i];
    }
    return bound;
}

/*
 * The numerical derivative of element i of t and what the kink test needs.
 * Restores the element's bits before returning.  forward evaluates only
 * L(θ+ε) (its slopes and hook come later from kink_probe, on failure).
 */
static void fd_element(engine *e, const target *t, size_t i, fd_point *p)
{
    const double x0 = t->value[i];
    const double eps = e->o.eps;
    double lm = NAN, lp = NAN;
    p->num_err = NAN;
    p->slope_lo = p->slope_hi = NAN;
    p->noise = 0.0;
    p->hook = 0;
    p->refined = 0;
    p->finite = isfinite(e->L0) ? 1 : 0;
    switch (e->o.method) {
    case GC_METHOD_FORWARD: {
        double xp = x0 + eps;
        lp = loss_at(e, t, i, xp);
        restore(e, t, i, x0);
        if (!isfinite(lp))
            p->finite = 0;
        p->numeric = (lp - e->L0) / (xp - x0);
        break;
    }
    case GC_METHOD_RICHARDSON: {
        double D[GC_RICHARDSON_LEVELS], Lm[GC_RICHARDSON_LEVELS], Lp[GC_RICHARDSON_LEVELS];
        double step[GC_RICHARDSON_LEVELS];
        double h = eps;
        for (int lvl = 0; lvl < GC_RICHARDSON_LEVELS; lvl++, h *= 0.5) {
            D[lvl] = central_at(e, t, i, x0, h, lvl == 0, &Lm[lvl], &Lp[lvl], &p->finite);
            step[lvl] = (x0 + h) - (x0 - h);
            if (lvl == 0)
                p->hook = kink_test(e, t->layer);
        }
        double trunc;
        p->numeric = richardson(D, GC_RICHARDSON_LEVELS, &trunc);
        double rnd = richardson_roundoff(Lm, Lp, step, GC_RICHARDSON_LEVELS);
        p->num_err = trunc > rnd ? trunc : rnd;
        if (isnan(trunc) || isnan(rnd))
            p->num_err = NAN;
        lm = Lm[0];
        lp = Lp[0];
        slopes(p, x0, eps, e->L0, lm, lp);
        break;
    }
    case GC_METHOD_CENTRAL:
    default:
        p->numeric = central_at(e, t, i, x0, eps, 1, &lm, &lp, &p->finite);
        /* the cache now holds L(θ+ε)'s pass: compare with θ-ε's inputs */
        p->hook = kink_test(e, t->layer);
        slopes(p, x0, eps, e->L0, lm, lp);
        break;
    }
    restore(e, t, i, x0);
}

/* forward only: the losses at θ-ε (inputs kept) and θ+ε again, for the
 * slopes and the hook of an element that failed the plain comparison. */
static void kink_probe(engine *e, const target *t, size_t i, fd_point *p)
{
    const double x0 = t->value[i];
    double lm, lp;
    (void)central_at(e, t, i, x0, e->o.eps, 1, &lm, &lp, &p->finite);
    p->hook = kink_test(e, t->layer);
    slopes(p, x0, e->o.eps, e->L0, lm, lp);
}

/* ---- the verdict --------------------------------------------------------- */

static double max3(double a, double b, double c)
{
    double m = a > b ? a : b;
    return m > c ? m : c;
}

/* rel_err = |a - n| / max(|a|, |n|), 0 when both are 0 (NaN propagates). */
static double rel_error(double a, double n)
{
    double d = fabs(a - n), m = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    if (m == 0.0 && d == 0.0)
        return 0.0;
    return d / m;
}

/*
 * The kink test at step h, from the one-sided slopes slo = (L(θ)-L(θ-h))/h
 * and shi = (L(θ+h)-L(θ))/h and their roundoff bound `noise`:
 *   kinked     they differ by more than a smooth function's h|L″| could
 *              explain (|L″| <= K max(1, |s-|, |s+|), K = GC_KINK_CURVATURE,
 *              plus their roundoff), or a hook fired;
 *   *fits      a lies in [min(s-,s+), max(s-,s+)] widened by the tolerance
 *              and by half the smooth bound (the slopes' own h L″/2
 *              curvature term): a is a subgradient at this scale.
 * Returns kinked; NaN slopes give not kinked and not fits.
 */
static int kink_test_at(double a, double slo, double shi, double noise, double h, int hook,
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
 * The verdict of one element from a (analytic) and the numbers of fd_point
 * at step ε.  Every comparison is written so that NaN fails.
 *
 *  1. A NaN or Inf anywhere (a, n, or a loss) is fail.
 *  2. pass when abs_err <= atol or rel_err <= rtol (adaptive: abs_err <= band,
 *     see check.h).
 *  3. Otherwise kink when the loss is not differentiable in [θ-ε, θ+ε] and
 *     a is a valid subgradient there (kink_test_at at h = ε).
 *  4. fail otherwise: a wrong gradient next to a kink is still wrong.  A
 *     kinked element that a does not fit is looked at again at finer steps
 *     by refine (check_row), which may make it a kink.
 */
static gc_verdict judge(double a, const fd_point *p, const gc_check_opts *o)
{
    const double n = p->numeric;
    if (!p->finite || !isfinite(a) || !isfinite(n))
        return GC_FAIL;
    const double abs_err = fabs(a - n);
    const double rel_err = rel_error(a, n);
    const double mag = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    int pass = abs_err <= o->atol || rel_err <= o->rtol;
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
    const int kinked = kink_test_at(a, p->slope_lo, p->slope_hi, p->noise, o->eps, p->hook, o,
                                    &fits);
    return kinked && fits ? GC_KINK : GC_FAIL;
}

/* A fail of judge that refine may still turn into a kink: finite, kinked
 * at ε, a outside the slopes. */
static int refinable(double a, const fd_point *p, const gc_check_opts *o)
{
    int fits;
    return p->finite && isfinite(a) && isfinite(p->numeric) &&
           kink_test_at(a, p->slope_lo, p->slope_hi, p->noise, o->eps, p->hook, o, &fits) &&
           !fits;
}

/*
 * Refinement of a kinked element that a does not fit at step ε.
 *
 * Why: with several kinks inside [θ-ε, θ+ε] on both sides of θ (a width-1
 * layer or a dead unit makes the units of the next relu layer sit near 0
 * together), L is piecewise smooth with θ inside a middle piece; backprop's
 * a is that piece's slope, but the one-sided slopes at ε average it with
 * the outer pieces' slopes, and a need not lie between the averages.  The
 * derivative at θ is a property of arbitrarily small neighbourhoods, so the
 * slopes are taken again at h = ε/16, ε/256, ... (KINK_REFINE_LEVELS):
 *   - a fits [s-(h), s+(h)] (widened as at ε): kink -- the answer is
 *     confirmed at a finer scale (when the kinks were all off θ, both
 *     slopes converge to a and it fits trivially);
 *   - otherwise the next level (even when the slopes at h agree: the
 *     pieces outside a middle one may share a slope, so agreement at a
 *     coarse scale says nothing about θ), as long as the bound on a
 *     one-sided slope's roundoff, 4 DBL_EPSILON (|L-| + 2|L0| + |L+|)/h (fd_point.noise
 *     at h), stays within 4 tol, tol = max(rtol max(|a|, |s-|, |s+|),
 *     atol).  The fit is widened by that bound, so a fit then means
 *     |a - s| <= ~5 tol at worst (a real bug is ~1e-2 relative, 1000 tol).
 *     The bound is pessimistic: measured, slopes at ε/256 within 4e-8 of a
 *     where it says 6.3e-7 (GC_SEED=1 kink_forced case 1178), at ε/16
 *     within 5e-9 where it says 1.2e-7 (GC_SEED=11 case 1060, which a gate
 *     at 1 tol stops before any level).  When no level is left: fail.
 * The losses come through loss_at, so the fast engine computes them from
 * its evaluator; a refined row is always computed again by the reference
 * (fast_row), so both engines give it the reference's verdict.  At most
 * 2 KINK_REFINE_LEVELS evaluations, counted in nevals.  Accepting a at some
 * scale h <= ε is no looser than the rule at ε: the averaged slopes at h
 * lie in the hull of the pieces' slopes within h of θ.  A kink exactly at
 * θ (pre-activations exactly 0: a dead unit or a width-1 layer before zero
 * biases) keeps the same slopes at every scale and stays a fail when a is
 * outside them -- e.g. relu'(0) = 0 applied to two units that cross 0 in
 * opposite directions: backprop's "conservative gradient" (Bolte & Pauwels
 * 2020), which is no subgradient of L.  Why fail and not kink:
 * checks/check_kink.c, test_exact_kinks_autodiff_convention_is_fail.
 */
#define KINK_REFINE_LEVELS 4
#define KINK_REFINE_FACTOR 16.0

static gc_verdict refine(engine *e, const target *t, size_t i, double a, fd_point *p)
{
    const gc_check_opts *o = &e->o;
    const double x0 = t->value[i], L0 = e->L0;
    const double tolmag = max3(fabs(a), fabs(p->slope_lo), fabs(p->slope_hi));
    const double tol = o->rtol * tolmag > o->atol ? o->rtol * tolmag : o->atol;
    double h = o->eps;
    p->refined = 1;
    for (int lvl = 1; lvl <= KINK_REFINE_LEVELS; lvl++) {
        h /= KINK_REFINE_FACTOR;
        const double xm = x0 - h, xp = x0 + h;
        /* the loss's roundoff over the step, with the losses at ε as its
         * size (the finer ones are within O(ε) of them) */
        if (!(p->noise * o->eps / h <= 4.0 * tol) || xm == x0 || xp == x0)
            break;
        const double lm = loss_at(e, t, i, xm);
        const double lp = loss_at(e, t, i, xp);
        restore(e, t, i, x0);
        if (!isfinite(lm) || !isfinite(lp))
            break;
        const double slo = (L0 - lm) / (x0 - xm), shi = (lp - L0) / (xp - x0);
        const double noise = 4.0 * DBL_EPSILON * (fabs(lm) + 2.0 * fabs(L0) + fabs(lp)) / h;
        int fits;
        (void)kink_test_at(a, slo, shi, noise, h, 0, o, &fits);
        if (fits)
            return GC_KINK;
    }
    return GC_FAIL;
}

/* ---- sampling ------------------------------------------------------------ */

/*
 * Knuth's selection sampling (TAOCP 2, Algorithm S): walk the indices in
 * order and take index i with probability (still needed)/(still left).  Every
 * subset of size k is equally likely, the result is sorted and has no
 * duplicates by construction.  The draw is an exact bounded integer, so no
 * rounding can bias it.
 */
static void sample_indices(size_t *idx, size_t n, size_t k, gc_pcg32 *rng)
{
    size_t got = 0;
    for (size_t i = 0; i < n && got < k; i++) {
        size_t left = n - i, need = k - got;
        /* n fits in 32 bits for any tensor this library can allocate in a
         * test; larger tensors fall back to a 53-bit uniform comparison. */
        int take;
        if (left <= UINT32_MAX)
            take = gc_pcg32_bounded(rng, (uint32_t)left) < need;
        else
            take = gc_pcg32_uniform(rng) * (double)left < (double)need;
        if (take)
            idx[got++] = i;
    }
}

/* ---- summaries ------------------------------------------------------------ */

/* Sort key: larger rel_err first, NaN above everything, ties by index
 * (gc_rank_sort in lib/sort.c: linear time, the same order as a comparison
 * sort with that rule). */
typedef gc_rank rank;

/* Per-tensor statistics, totals and the worst-first order.  ranks has room
 * for nrows entries; `filled`: they already hold {rows[k].rel_err, k} (the
 * fast engine's threads write them as they finish rows). */
static void summarize(gc_report *r, rank *ranks, int filled, rank *scratch)
{
    /* The worst-first order of every row first.  A tensor's rows appear in
     * it in their own worst-first order (the same total order), so a pass
     * over it finds each tensor's worst (its first) and median (its middle
     * one, or the mean of the two middle ones) without sorting again. */
    for (size_t k = 0; k < r->nrows && !filled; k++) {
        ranks[k].rel = r->rows[k].rel_err;
        ranks[k].idx = k;
    }
    if (r->nrows > 0)
        gc_rank_sort_buf(ranks, r->nrows, scratch);
    for (size_t k = 0; k < r->nrows; k++)
        r->order[k] = ranks[k].idx;
    size_t *seen = calloc(r->ntensors > 0 ? (size_t)r->ntensors : 1, sizeof *seen);
    if (seen != NULL) {
        for (size_t k = 0; k < r->nrows; k++) {
            /* the tensor of row idx: the last whose rows start at or before
             * it (rows are laid out tensor by tensor; a tensor without rows
             * shares its first with the next) -- found without touching the
             * rows, which the sorted order visits at random */
            size_t idx = ranks[k].idx;
            int lo = 0, hi = r->ntensors - 1;
            while (lo < hi) {
                int mid = lo + (hi - lo + 1) / 2;
                if (r->tensors[mid].first <= idx)
                    lo = mid;
                else
                    hi = mid - 1;
            }
            gc_tensor_report *tr = &r->tensors[lo];
            size_t pos = seen[lo]++, c = tr->count;
            if (pos == 0) {
                tr->worst = idx;
                tr->max_rel = ranks[k].rel;
            }
            if (pos == (c - 1) / 2)
                tr->median_rel = ranks[k].rel; /* the middle, or the first of two */
            else if (c % 2 == 0 && pos == c / 2)
                tr->median_rel = 0.5 * (tr->median_rel + ranks[k].rel);
        }
    }

    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        double d2 = 0.0, a2 = 0.0, n2 = 0.0;
        int vacuous = 1;
        tr->npass = tr->nkink = tr->nfail = 0;
        for (size_t k = 0; k < tr->count; k++) {
            const gc_row *row = &r->rows[tr->first + k];
            switch (row->verdict) {
            case GC_PASS: tr->npass++; break;
            case GC_KINK: tr->nkink++; break;
            default: tr->nfail++; break;
            }
            double d = row->analytic - row->numeric;
            d2 += d * d;
            a2 += row->analytic * row->analytic;
            n2 += row->numeric * row->numeric;
            if (!(fabs(row->analytic) <= r->opts.atol) || !(fabs(row->numeric) <= r->opts.atol))
                vacuous = 0;
            if (seen == NULL) {
                ranks[k].rel = row->rel_err;
                ranks[k].idx = tr->first + k;
            }
        }
        double na = sqrt(a2), nn = sqrt(n2);
        tr->norm_ratio = (na + nn == 0.0 && d2 == 0.0) ? 0.0 : sqrt(d2) / (na + nn);
        tr->vacuous = tr->count > 0 && vacuous;
        tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
        if (tr->count > 0 && seen == NULL) {
            /* (out of memory for the pass above) in sorted order: the first
             * is the worst, the median the middle (or mean of the two
             * middle) values; a NaN element makes max_rel NaN but only moves
             * the median when half the elements are NaN */
            gc_rank_summary(ranks, tr->count, &tr->worst, &tr->max_rel, &tr->median_rel);
        } else if (tr->count == 0) {
            tr->worst = tr->first;
            tr->max_rel = tr->median_rel = 0.0;
        }
        r->npass += tr->npass;
        r->nkink += tr->nkink;
        r->nfail += tr->nfail;
        r->nvacuous += tr->vacuous;
    }
    free(seen);
}

/* ---- the run ---------------------------------------------------------------- */

/* Selected when `names` is NULL (all) or lists it. */
static int selected(const char *const *names, const char *name)
{
    if (names == NULL)
        return 1;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* Every name in `names` must be one of the targets' names. */
static int check_names(const char *const *names, const target *all, int nall, gc_error *err)
{
    if (names == NULL)
        return GC_OK;
    for (size_t i = 0; names[i] != NULL; i++) {
        int found = 0;
        for (int t = 0; t < nall && !found; t++)
            found = strcmp(all[t].name, names[i]) == 0;
        if (!found)
            return gc_error_set(err, GC_EINVAL, "unknown tensor '%s'", names[i]);
    }
    return GC_OK;
}

static int by_layer_desc(const void *pa, const void *pb)
{
    const int *a = pa, *b = pb; /* pairs (layer, target index) */
    if (a[0] != b[0])
        return a[0] > b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : (a[1] > b[1] ? 1 : 0);
}

/* One row: its numerical derivative and verdict (row->tensor, row, col and
 * analytic already set). */
static void check_row(engine *e, const target *tg, gc_row *row, fd_point *out)
{
    const target *t = &tg[row->tensor];
    size_t i = (size_t)row->row * (size_t)t->cols + (size_t)row->col;
    fd_point p;
    fd_element(e, t, i, &p);
    gc_verdict v = judge(row->analytic, &p, &e->o);
    if (v != GC_PASS && e->o.method == GC_METHOD_FORWARD) {
        kink_probe(e, t, i, &p);
        v = judge(row->analytic, &p, &e->o);
    }
    if (v == GC_FAIL && refinable(row->analytic, &p, &e->o))
        v = refine(e, t, i, row->analytic, &p);
    row->numeric = p.numeric;
    row->abs_err = fabs(row->analytic - p.numeric);
    row->rel_err = rel_error(row->analytic, p.numeric);
    row->num_err = p.num_err;
    row->slope_lo = p.slope_lo;
    row->slope_hi = p.slope_hi;
    row->hook = p.hook;
    row->verdict = v;
    if (out != NULL)
        *out = p;
}

/* ---- the fast engine: the same rows, losses from lib/fast.c, threads ------ */

/*
 * Could a rounding difference change this verdict?  The fast engine's
 * losses differ from the reference's by rounding only, so its numerical
 * derivative, one-sided slopes and richardson error estimate are within
 * about b of the reference's (b from GC_FAST_TIE_ULPS, internal.h).  When
 * every point of that box gives the same verdict, both engines give it;
 * otherwise the row is computed again exactly as the reference engine
 * computes it, so the verdict is the reference's.
 *
 * judge passes iff |a - n| <= band, band = max(atol, rtol max(|a|, |n|))
 * (adaptive: never wider, at least min(max(C num_err, FLOOR mag, atol),
 * that)).  Over n' in [n - b, n + b] the distance |a - n'| ranges over
 * [|a - n| - b, |a - n| + b] and the band over [band_min, band_max]: a pass
 * is stable when |a - n| + b <= band_min, a non-pass when |a - n| - b >
 * band_max (the box holds no pass).  Between kink and fail the slopes
 * decide, monotonically (lower lo and higher hi widen both the kink test
 * and the subgradient range): the two extreme corners suffice.
 */
static int verdict_stable(double a, const fd_point *p, const gc_check_opts *o, double b)
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
    const gc_verdict v = judge(a, p, o);
    if (v == GC_PASS)
        return d + b <= band_min;
    if (!(d - b > band_max))
        return 0;
    for (int s = -1; s <= 1; s += 2) {
        fd_point q = *p;
        if (!isnan(q.slope_lo)) {
            q.slope_lo += s * b;
            q.slope_hi -= s * b;
        }
        if (judge(a, &q, o) != v)
            return 0;
    }
    return 1;
}

/* Rows a thread takes at a time: enough to make the shared counter cheap,
 * few enough to balance rows of different cost. */
#define FAST_CHUNK 256

/* Per-thread engines: copies of the run's engine, each with its evaluator. */
typedef struct fast_job {
    engine *w;         /* nthreads */
    const target *tg;
    const gc_tensor_report *tensors; /* ntensors: which rows are whose */
    int ntensors;
    const size_t *elem; /* nrows: row k's element in its tensor; NULL: k - first */
    rank *ranks;       /* nrows: {rel_err, k} of each row, for summarize */
    rank *scratch;     /* nrows: the sort's scratch, written here first */
    size_t *order;     /* nrows: the report's order, written here first */
    gc_row *rows;
    double bound;      /* rounding difference of the numbers behind a verdict */
    unsigned char *recheck; /* nrows: 1 where that difference could change it */
    size_t total;      /* rows, for the progress callback */
    size_t done;       /* rows finished, under `lock` */
    pthread_mutex_t lock; /* serialises the progress callback */
} fast_job;

/* The tensor of row k: the last whose rows start at or before it (rows are
 * laid out tensor by tensor; a tensor without rows shares its first with
 * the next). */
static int tensor_of(const gc_tensor_report *tr, int n, size_t k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (tr[mid].first <= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void fast_row(void *ctx, int tid, size_t k)
{
    fast_job *j = ctx;
    fd_point p;
    /* The row's element, set here rather than before the threads start:
     * the first write to each page of the 8 MB of rows (100,000 elements)
     * is a page fault, and these run in parallel. */
    gc_row *row = &j->rows[k];
    int t = tensor_of(j->tensors, j->ntensors, k);
    size_t e = j->elem != NULL ? j->elem[k] : k - j->tensors[t].first;
    row->tensor = t;
    row->row = (int)(e / (size_t)j->tg[t].cols);
    row->col = (int)(e % (size_t)j->tg[t].cols);
    row->analytic = j->tg[t].grad[e];
    check_row(&j->w[tid], j->tg, row, &p);
    /* a refined verdict rests on slopes at steps down to ε/16^4, whose
     * rounding differences the box of verdict_stable does not cover: such
     * rows (rare: kinked and not fitting at ε) always take the reference's */
    if (p.refined || !verdict_stable(row->analytic, &p, &j->w[tid].o, j->bound))
        j->recheck[k] = 1;
    j->ranks[k].rel = row->rel_err;
    j->ranks[k].idx = k;
    /* first writes (page faults) in parallel: summarize overwrites both */
    j->scratch[k] = j->ranks[k];
    j->order[k] = k;
    /* the callback sees done = 1, 2, ... total, one call at a time, from
     * whichever thread finished a row: the caller needs no locking */
    const gc_check_opts *o = &j->w[tid].o;
    if (o->progress != NULL) {
        pthread_mutex_lock(&j->lock);
        o->progress(o->progress_ctx, ++j->done, j->total);
        pthread_mutex_unlock(&j->lock);
    }
}

static void free_workers(engine *w, int nthreads)
{
    if (w == NULL)
        return;
    for (int t = 0; t < nthreads; t++)
        gc_fast_free(w[t].fast);
    free(w);
}

/* nthreads engines like e, each with an evaluator of e->net; NULL when out
 * of memory. */
static engine *new_workers(const engine *e, int nthreads)
{
    engine *w = calloc((size_t)nthreads, sizeof *w);
    if (w == NULL)
        return NULL;
    for (int t = 0; t < nthreads; t++) {
        w[t] = *e;
        w[t].nevals = 0;
        w[t].slot = 0;
        w[t].kink_lo = NULL;
        w[t].fast = gc_fast_new(e->net, 0);
        if (w[t].fast == NULL) {
            free_workers(w, nthreads);
            return NULL;
        }
    }
    return w;
}

/*
 * The screen (lib/screen.c) of every target: screened[t] = 1 for those that
 * pass, whose summary it fills (max_rel = median_rel = the direction's
 * rel_err, norm_ratio its |a - n| / (|a| + |n|)).  The step is the method's
 * eps, except richardson's large one (1e-2 suits extrapolation, not a
 * plain central difference along a direction of norm ~sqrt(N)).
 */
static int screen_targets(engine *e, const target *tg, int n, gc_report *r, int *screened)
{
    size_t maxsize = 1;
    for (int t = 0; t < n; t++)
        if ((size_t)tg[t].rows * (size_t)tg[t].cols > maxsize)
            maxsize = (size_t)tg[t].rows * (size_t)tg[t].cols;
    double *d = malloc(maxsize * sizeof *d);
    gc_fast *f = gc_fast_new(e->net, 1);
    if (d == NULL || f == NULL) {
        free(d);
        gc_fast_free(f);
        return GC_ENOMEM;
    }
    double eps = e->o.method == GC_METHOD_RICHARDSON ? GC_DEFAULT_EPS : e->o.eps;
    for (int t = 0; t < n; t++) {
        gc_screen sc;
        screened[t] = gc_screen_tensor(f, e->net, tg[t].fast_t, &e->o, eps, d, &sc);
        e->nevals += 2;
        if (screened[t]) {
            gc_tensor_report *tr = &r->tensors[t];
            tr->screened = 1;
            tr->max_rel = tr->median_rel = sc.rel_err;
            double den = fabs(sc.analytic) + fabs(sc.numeric);
            tr->norm_ratio = den == 0.0 ? 0.0 : sc.abs_err / den;
        }
    }
    free(d);
    gc_fast_free(f);
    return GC_OK;
}

/*
 * Check targets[0..n) on chain e->ch, whose cache holds the unperturbed
 * pass (e->L0) and whose targets' grad arrays hold the analytic gradient.
 * Fills *out.  The caller snapshots and verifies restoration.
 */
static int run(engine *e, const target *tg, int n, gc_report **out)
{
    int rc = GC_ENOMEM;
    gc_report *r = calloc(1, sizeof *r);
    size_t *idx = NULL, *want = NULL, *elem = NULL;
    int *order = NULL, *screened = NULL;
    unsigned char *recheck = NULL;
    rank *ranks = NULL, *scratch = NULL;
    if (r == NULL)
        goto fail;
    r->opts = e->o;
    r->opts.params = NULL;
    r->opts.progress = NULL;
    r->opts.progress_ctx = NULL;
    r->loss = e->L0;
    r->restored = 1;
    r->ntensors = n;
    r->tensors = calloc(n > 0 ? (size_t)n : 1, sizeof *r->tensors);
    e->kink_lo = calloc((size_t)e->ch.nlayers, sizeof *e->kink_lo);
    order = malloc((n > 0 ? (size_t)n : 1) * 2 * sizeof *order);
    want = malloc((n > 0 ? (size_t)n : 1) * sizeof *want);
    if (r->tensors == NULL || e->kink_lo == NULL || order == NULL || want == NULL)
        goto fail;
    for (int j = 0; j < e->ch.nlayers; j++) {
        if (e->ch.layers[j]->ops->kink != NULL) {
            e->kink_lo[j] = gc_mat_new(e->ch.act[j]->rows, e->ch.act[j]->cols);
            if (e->kink_lo[j] == NULL)
                goto fail;
        }
    }

    /* the fast engine runs on networks; the layer check always uses the
     * reference (one layer: nothing to skip), and the report says so */
    int fast = e->o.engine == GC_ENGINE_FAST && e->net != NULL;
    r->opts.engine = fast ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
    r->opts.screen = fast && e->o.screen;
    screened = calloc(n > 0 ? (size_t)n : 1, sizeof *screened);
    if (screened == NULL || (r->opts.screen && screen_targets(e, tg, n, r, screened) != GC_OK))
        goto fail;

    /* rows per tensor: all, or `sample` of them; none when screened */
    size_t total = 0, maxsize = 1;
    for (int t = 0; t < n; t++) {
        size_t size = (size_t)tg[t].rows * (size_t)tg[t].cols;
        size_t count = size;
        if (e->o.sample > 0 && (size_t)e->o.sample < size)
            count = (size_t)e->o.sample;
        want[t] = count;
        if (screened[t])
            count = 0;
        gc_tensor_report *tr = &r->tensors[t];
        snprintf(tr->name, sizeof tr->name, "%s", tg[t].name);
        tr->rows = tg[t].rows;
        tr->cols = tg[t].cols;
        tr->first = total;
        tr->count = count;
        total += count;
        if (size > maxsize)
            maxsize = size;
    }
    r->nrows = total;
    r->rows = calloc(total > 0 ? total : 1, sizeof *r->rows);
    r->order = calloc(total > 0 ? total : 1, sizeof *r->order);
    ranks = malloc((total > 0 ? total : 1) * sizeof *ranks);
    if (r->rows == NULL || r->order == NULL || ranks == NULL)
        goto fail;
    /* The fast engine's threads fill the rows themselves (fast_row); they
     * need the elements only of sampled tensors.  Indices are drawn into
     * idx for a sampled tensor only (the reference's rows of a whole
     * tensor are k - first). */
    int sampled = 0;
    for (int t = 0; t < n; t++)
        if (want[t] < (size_t)tg[t].rows * (size_t)tg[t].cols)
            sampled = 1;
    if (sampled) {
        idx = malloc(maxsize * sizeof *idx);
        elem = fast ? malloc((total > 0 ? total : 1) * sizeof *elem) : NULL;
        if (idx == NULL || (fast && elem == NULL))
            goto fail;
    }

    /* which elements: one generator for all tensors, in report order */
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, e->o.seed, STREAM_SAMPLE);
    for (int t = 0; t < n; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        size_t size = (size_t)tg[t].rows * (size_t)tg[t].cols;
        int whole = want[t] >= size;
        if (!whole) {
            /* drawn even when screened: the other tensors get the same
             * elements as without the screen */
            sample_indices(idx, size, want[t], &rng);
        }
        for (size_t k = 0; k < tr->count; k++) {
            size_t el = whole ? k : idx[k];
            if (fast) {
                if (elem != NULL)
                    elem[tr->first + k] = el;
                continue;
            }
            gc_row *row = &r->rows[tr->first + k];
            row->tensor = t;
            row->row = (int)(el / (size_t)tg[t].cols);
            row->col = (int)(el % (size_t)tg[t].cols);
            row->analytic = tg[t].grad[el];
        }
    }

    if (fast) {
        /* any order, any thread: each row depends on its element alone */
        /* no more threads (each with its evaluator) than chunks of rows */
        int nthreads = gc_threads_resolve(e->o.threads);
        size_t nchunks = (total + FAST_CHUNK - 1) / FAST_CHUNK;
        if ((size_t)nthreads > nchunks)
            nthreads = nchunks > 0 ? (int)nchunks : 1;
        engine *w = new_workers(e, nthreads);
        recheck = calloc(total > 0 ? total : 1, 1);
        scratch = malloc((total > 0 ? total : 1) * sizeof *scratch);
        if (w == NULL || recheck == NULL || scratch == NULL) {
            free_workers(w, nthreads);
            goto fail;
        }
        /* the numbers' difference from the reference's: a loss difference of
         * GC_FAST_TIE_ULPS ulps of max(1, |L|) divided by the step (times
         * richardson's weight, its smaller steps), 1% for steps that are not
         * exactly ±ε; at most atol / 4 when atol > 0 (see GC_FAST_TIE_ULPS) */
        double weight = e->o.method == GC_METHOD_RICHARDSON
                            ? gc_fast_richardson_weight(GC_RICHARDSON_LEVELS) : 1.0;
        double bound = 1.01 * weight * GC_FAST_TIE_ULPS * 0x1p-53 * fmax(1.0, fabs(e->L0)) /
                       e->o.eps;
        if (e->o.atol > 0.0 && bound > 0.25 * e->o.atol)
            bound = 0.25 * e->o.atol;
        fast_job job = {.w = w, .tg = tg, .tensors = r->tensors, .ntensors = n, .elem = elem,
                        .ranks = ranks, .scratch = scratch, .order = r->order,
                        .rows = r->rows, .total = total, .done = 0,
                        .bound = bound, .recheck = recheck};
        if (pthread_mutex_init(&job.lock, NULL) != 0) {
            free_workers(w, nthreads);
            goto fail;
        }
        gc_threads_for(nthreads, r->nrows, FAST_CHUNK, fast_row, &job);
        pthread_mutex_destroy(&job.lock);
        for (int t = 0; t < nthreads; t++)
            e->nevals += w[t].nevals;
        free_workers(w, nthreads);
        /* rows a rounding difference could decide: computed again exactly as
         * the reference engine does (in place, from the element's layer on;
         * e has no evaluator), then the cache made clean for the next */
        for (size_t k = 0; k < total; k++) {
            if (!recheck[k])
                continue;
            check_row(e, tg, &r->rows[k], NULL);
            e->ch.loss_from(e->ch.ctx, tg[r->rows[k].tensor].layer);
            ranks[k].rel = r->rows[k].rel_err;
        }
    } else {
        /* evaluate, last layer first (see the top of the file) */
        for (int t = 0; t < n; t++) {
            order[2 * t] = tg[t].layer;
            order[2 * t + 1] = t;
        }
        qsort(order, (size_t)n, 2 * sizeof *order, by_layer_desc);
        size_t done = 0;
        for (int k = 0; k < n; k++) {
            int t = order[2 * k + 1];
            const gc_tensor_report *tr = &r->tensors[t];
            for (size_t q = 0; q < tr->count; q++) {
                check_row(e, tg, &r->rows[tr->first + q], NULL);
                if (e->o.progress != NULL)
                    e->o.progress(e->o.progress_ctx, ++done, total);
            }
        }
    }
    summarize(r, ranks, fast, scratch);
    *out = r;
    r = NULL;
    rc = GC_OK;
fail:
    if (e->kink_lo != NULL) {
        for (int j = 0; j < e->ch.nlayers; j++)
            gc_mat_free(e->kink_lo[j]);
        free(e->kink_lo);
        e->kink_lo = NULL;
    }
    free(idx);
    free(elem);
    free(want);
    free(order);
    free(screened);
    free(recheck);
    free(ranks);
    free(scratch);
    gc_report_free(r);
    return rc;
}

/* Copy every target's values into one buffer (NULL when out of memory). */
static double *snapshot(const target *tg, int n)
{
    size_t total = 0;
    for (int t = 0; t < n; t++)
        total += (size_t)tg[t].rows * (size_t)tg[t].cols;
    double *s = malloc((total > 0 ? total : 1) * sizeof *s);
    if (s == NULL)
        return NULL;
    size_t off = 0;
    for (int t = 0; t < n; t++) {
        size_t size = (size_t)tg[t].rows * (size_t)tg[t].cols;
        memcpy(s + off, tg[t].value, size * sizeof *s);
        off += size;
    }
    return s;
}

/* 1 when every target is bit-identical to the snapshot; else puts the
 * snapshot back and returns 0. */
static int verify_restored(const target *tg, int n, const double *s)
{
    int ok = 1;
    size_t off = 0;
    for (int t = 0; t < n; t++) {
        size_t bytes = (size_t)tg[t].rows * (size_t)tg[t].cols * sizeof *s;
        if (memcmp(s + off, tg[t].value, bytes) != 0) {
            ok = 0;
            memcpy(tg[t].value, s + off, bytes);
        }
        off += (size_t)tg[t].rows * (size_t)tg[t].cols;
    }
    return ok;
}

/* Keep only the selected targets (and "x" last), preserving order. */
static int select_targets(target *all, int nall, const gc_check_opts *o, int want_x_default)
{
    int n = 0;
    for (int t = 0; t < nall; t++) {
        int is_x = strcmp(all[t].name, "x") == 0;
        int keep = is_x ? (want_x_default || (o->params != NULL && selected(o->params, "x")))
                        : selected(o->params, all[t].name);
        if (keep)
            all[n++] = all[t];
    }
    return n;
}

/* ---- networks --------------------------------------------------------------- */

static double net_loss_from(void *ctx, int k)
{
    return gc_net_forward_from((gc_net *)ctx, k);
}

int gc_check_net(gc_net *net, const gc_check_opts *opts, gc_report **out, gc_error *err)
{
    if (out == NULL || net == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_net: NULL %s", net == NULL ? "net" : "out");
    *out = NULL;
    if (net->nlayers < 1 || net->batch < 1)
        return gc_error_set(err, GC_EINVAL, "gc_check_net: %s",
                            net->nlayers < 1 ? "empty network" : "no data (gc_net_set_data)");
    engine e;
    memset(&e, 0, sizeof e);
    int rc = resolve_opts(&e.o, opts, err);
    if (rc != GC_OK)
        return rc;

    /* every parameter tensor, then the input "x" */
    target *tg = calloc((size_t)net->ntensors + 1, sizeof *tg);
    if (tg == NULL)
        return gc_error_set(err, GC_ENOMEM, "gc_check_net: out of memory");
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *ten = net->tensors[t];
        snprintf(tg[t].name, sizeof tg[t].name, "%s", ten->name);
        tg[t].rows = ten->rows;
        tg[t].cols = ten->cols;
        tg[t].value = ten->value;
        tg[t].grad = ten->grad;
        tg[t].layer = net->tensor_layer[t];
        tg[t].fast_t = t;
    }
    target *x = &tg[net->ntensors];
    snprintf(x->name, sizeof x->name, "x");
    x->rows = net->act[0]->rows;
    x->cols = net->act[0]->cols;
    x->value = net->act[0]->data;
    x->grad = net->dact[0]->data;
    x->layer = 0;
    x->fast_t = GC_FAST_INPUT;
    int nall = net->ntensors + 1;
    rc = check_names(e.o.params, tg, nall, err);
    if (rc != GC_OK) {
        free(tg);
        return rc;
    }

    /* the snapshot covers every parameter and the input, checked or not */
    double *snap = snapshot(tg, nall);
    if (snap == NULL) {
        free(tg);
        return gc_error_set(err, GC_ENOMEM, "gc_check_net: out of memory");
    }
    e.L0 = gc_net_forward(net);
    gc_net_backward(net);
    e.nevals = 1;
    e.ch.nlayers = net->nlayers;
    e.ch.layers = net->layers;
    e.ch.act = net->act;
    e.ch.loss_from = net_loss_from;
    e.ch.ctx = net;
    e.net = net;

    /* select after the snapshot copy of all (select reorders in place) */
    target *all = malloc((size_t)nall * sizeof *all);
    if (all == NULL) {
        free(snap);
        free(tg);
        return gc_error_set(err, GC_ENOMEM, "gc_check_net: out of memory");
    }
    memcpy(all, tg, (size_t)nall * sizeof *all);
    int n = select_targets(tg, nall, &e.o, e.o.inputs);

    gc_report *r = NULL;
    rc = run(&e, tg, n, &r);
    int restored = verify_restored(all, nall, snap);
    gc_net_forward(net); /* leave the caller an unperturbed cache */
    e.nevals++;
    free(all);
    free(snap);
    free(tg);
    if (rc != GC_OK)
        return gc_error_set(err, rc, "gc_check_net: out of memory");
    r->restored = restored;
    r->nevals = e.nevals;
    *out = r;
    return GC_OK;
}

/* ---- the layer check ------------------------------------------------------------ */

typedef struct layer_ctx {
    gc_layer *layer;
    gc_mat *X, *Y, *R;
    uint64_t seed; /* a stochastic layer's draws replay from it */
} layer_ctx;

/* L = sum over elements of R .* layer(X): linear in Y, so dL/dY = R. */
static double layer_loss_from(void *ctx, int k)
{
    layer_ctx *c = ctx;
    (void)k; /* one layer: always recompute it */
    gc_replay_reseed(c->layer, c->seed);
    c->layer->ops->forward(c->layer, c->Y, c->X);
    double L = 0.0;
    size_t n = gc_mat_size(c->Y);
    for (size_t i = 0; i < n; i++)
        L += c->R->data[i] * c->Y->data[i];
    return L;
}

int gc_check_layer(gc_layer *layer, int batch, const gc_check_opts *opts,
                   gc_report **out, gc_error *err)
{
    if (out == NULL || layer == NULL || layer->ops == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: NULL %s",
                            out == NULL ? "out" : "layer");
    *out = NULL;
    if (batch < 1)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: batch must be >= 1, got %d", batch);
    /* the targets below live in arrays of GC_LAYER_MAX_PARAMS + 1 */
    if (layer->nparams < 0 || layer->nparams > GC_LAYER_MAX_PARAMS)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: %d parameters (0 to %d)",
                            layer->nparams, GC_LAYER_MAX_PARAMS);
    engine e;
    memset(&e, 0, sizeof e);
    int rc = resolve_opts(&e.o, opts, err);
    if (rc != GC_OK)
        return rc;

    layer_ctx c = {layer, gc_mat_new(layer->in, batch), gc_mat_new(layer->out, batch),
                   gc_mat_new(layer->out, batch), e.o.seed};
    gc_pcg32 replay, *user_rng = layer->rng;
    layer->rng = &replay;
    gc_mat *dX = gc_mat_new(layer->in, batch);
    gc_mat *act[2] = {c.X, c.Y};
    target tg[GC_LAYER_MAX_PARAMS + 1], all[GC_LAYER_MAX_PARAMS + 1];
    double *snap = NULL;
    gc_report *r = NULL;
    rc = GC_ENOMEM;
    if (c.X == NULL || c.Y == NULL || c.R == NULL || dX == NULL)
        goto done;

    /* X and R in [-1, 1): both signs, so relu-like layers see both sides */
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, e.o.seed, STREAM_LAYER_DATA);
    for (size_t i = 0; i < gc_mat_size(c.X); i++)
        c.X->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    for (size_t i = 0; i < gc_mat_size(c.R); i++)
        c.R->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;

    int nall = 0;
    for (int p = 0; p < layer->nparams; p++, nall++) {
        gc_tensor *ten = &layer->param[p];
        snprintf(tg[nall].name, sizeof tg[nall].name, "%s", ten->name);
        tg[nall].rows = ten->rows;
        tg[nall].cols = ten->cols;
        tg[nall].value = ten->value;
        tg[nall].grad = ten->grad;
        tg[nall].layer = 0;
    }
    snprintf(tg[nall].name, sizeof tg[nall].name, "x");
    tg[nall].rows = c.X->rows;
    tg[nall].cols = c.X->cols;
    tg[nall].value = c.X->data;
    tg[nall].grad = dX->data;
    tg[nall].layer = 0;
    nall++;
    rc = check_names(e.o.params, tg, nall, err);
    if (rc != GC_OK)
        goto done;
    rc = GC_ENOMEM;
    snap = snapshot(tg, nall);
    if (snap == NULL)
        goto done;

    /* analytic: backward with dY = R, parameter gradients zeroed first */
    e.L0 = layer_loss_from(&c, 0);
    for (int p = 0; p < layer->nparams; p++)
        memset(layer->param[p].grad, 0,
               (size_t)layer->param[p].rows * (size_t)layer->param[p].cols * sizeof(double));
    layer->ops->backward(layer, dX, c.X, c.Y, c.R);
    e.nevals = 1;
    e.ch.nlayers = 1;
    e.ch.layers = &c.layer;
    e.ch.act = act;
    e.ch.loss_from = layer_loss_from;
    e.ch.ctx = &c;

    memcpy(all, tg, sizeof tg);
    int n = select_targets(tg, nall, &e.o, e.o.params == NULL);
    rc = run(&e, tg, n, &r);
    int restored = verify_restored(all, nall, snap);
    if (rc == GC_OK) {
        r->restored = restored;
        r->nevals = e.nevals;
        /* beyond one call: engine/hygiene.h */
        if ((e.o.no_hygiene & GC_HYGIENE_ALL) != GC_HYGIENE_ALL)
            rc = gc_hygiene_run(layer, batch, &e.o, c.X, c.R, r);
        if (rc == GC_OK && e.o.mutate > 0)
            rc = gc_mutation_run(layer, batch, &e.o, c.X, c.R, r);
        if (rc == GC_OK)
            *out = r;
        else
            gc_report_free(r);
    }
done:
    layer->rng = user_rng;
    if (rc == GC_ENOMEM)
        gc_error_set(err, rc, "gc_check_layer: out of memory");
    free(snap);
    gc_mat_free(c.X);
    gc_mat_free(c.Y);
    gc_mat_free(c.R);
    gc_mat_free(dX);
    return rc;
}
