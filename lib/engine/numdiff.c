/*
 * numdiff.c -- finite differences: central, forward and Richardson, the
 * one-sided slopes and their roundoff bound, from an evaluator's losses.
 * Nothing here knows which evaluator answers.
 */
#include "engine/numdiff.h"

#include <float.h>
#include <math.h>

double gc_fd_slope_noise(double lm, double L0, double lp, double h)
{
    return 4.0 * DBL_EPSILON * (fabs(lm) + 2.0 * fabs(L0) + fabs(lp)) / h;
}

/* Central difference on [θ-h, θ+h] with the steps actually taken: x0 ± h
 * is rounded, and dividing by the rounded step (xp - xm, exact here) rather
 * than 2h removes an error of ulp(x0)/h relative.  `query`: the two sides
 * are also those of a kink-hook query. */
static double central_at(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0, double h,
                         int query, double *lm_out, double *lp_out, int *finite)
{
    double xm = x0 - h, xp = x0 + h;
    double lm = gc_eval_loss(c->ev, t, i, xm);
    if (query)
        gc_eval_mark_low(c->ev, t->layer);
    double lp = gc_eval_loss(c->ev, t, i, xp);
    gc_eval_restore(c->ev, t, i, x0);
    if (!isfinite(lm) || !isfinite(lp))
        *finite = 0;
    *lm_out = lm;
    *lp_out = lp;
    return (lp - lm) / (xp - xm);
}

/* The two one-sided slopes and their roundoff bound from L(θ-ε), L(θ),
 * L(θ+ε).  On a smooth L, s+ - s- = ε L″ + O(ε³); across a kink, O(1). */
static void slopes(gc_fd_point *p, double x0, double eps, double L0, double lm, double lp)
{
    double xm = x0 - eps, xp = x0 + eps;
    p->slope_lo = (L0 - lm) / (x0 - xm);
    p->slope_hi = (lp - L0) / (xp - x0);
    p->noise = gc_fd_slope_noise(lm, L0, lp, eps);
}

/*
 * Richardson's table over the central differences D(h_i), h_i = ε/2^i:
 *   D(h) = f' + c1 h² + c2 h⁴ + ...,
 *   R[i][0] = D(h_i),  R[i][j] = R[i][j-1] + (R[i][j-1] - R[i-1][j-1]) / (4^j - 1),
 * each column cancelling the next even power.  The truncation estimate is
 * that of Numerical Recipes' dfridr: the larger of the last element's
 * distance to its left neighbour (same steps, one order less) and to the
 * previous diagonal (one step less).  At the default step the error is
 * roundoff, which these differences can miss, so the caller adds a
 * roundoff bound (richardson_roundoff).
 */
double gc_richardson(const double *D, int n, double *err)
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

/* The weight c_i of D_i in the tableau's value: the tableau is linear in D,
 * so c is the tableau run on unit vectors. */
static double richardson_coef(int i, int n)
{
    double unit[GC_RICHARDSON_LEVELS] = {0.0}, unused;
    unit[i] = 1.0;
    return gc_richardson(unit, n, &unused);
}

/* A rounding error δ in each loss moves D_i by up to 2δ / 2h_i = (δ/ε) 2^i. */
double gc_richardson_weight(int levels)
{
    if (levels < 1)
        return 1.0;
    if (levels > GC_RICHARDSON_LEVELS)
        levels = GC_RICHARDSON_LEVELS;
    double w = 0.0;
    for (int u = 0; u < levels; u++)
        w += fabs(richardson_coef(u, levels)) * ldexp(1.0, u);
    return w;
}

/* Roundoff bound of the extrapolated value Σ c_i D(h_i): each D(h_i) =
 * (L+ - L-)/(2h_i) carries the losses' rounding, taken as one DBL_EPSILON
 * (2 ulps) of each: DBL_EPSILON (|L+| + |L-|) / (2 h_i). */
static double richardson_roundoff(const double *Lm, const double *Lp, const double *step, int n)
{
    double bound = 0.0;
    for (int i = 0; i < n; i++)
        bound += fabs(richardson_coef(i, n)) * DBL_EPSILON * (fabs(Lp[i]) + fabs(Lm[i])) /
                 step[i];
    return bound;
}

static void forward_element(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0,
                            gc_fd_point *p)
{
    double xp = x0 + c->o->eps;
    double lp = gc_eval_loss(c->ev, t, i, xp);
    gc_eval_restore(c->ev, t, i, x0);
    if (!isfinite(lp))
        p->finite = 0;
    p->numeric = (lp - c->L0) / (xp - x0);
}

static void richardson_element(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0,
                               gc_fd_point *p)
{
    double D[GC_RICHARDSON_LEVELS], Lm[GC_RICHARDSON_LEVELS], Lp[GC_RICHARDSON_LEVELS];
    double step[GC_RICHARDSON_LEVELS];
    double h = c->o->eps;
    for (int lvl = 0; lvl < GC_RICHARDSON_LEVELS; lvl++, h *= 0.5) {
        D[lvl] = central_at(c, t, i, x0, h, lvl == 0, &Lm[lvl], &Lp[lvl], &p->finite);
        step[lvl] = (x0 + h) - (x0 - h);
        if (lvl == 0)
            p->hook = gc_eval_kink_hook(c->ev, t->layer);
    }
    double trunc;
    p->numeric = gc_richardson(D, GC_RICHARDSON_LEVELS, &trunc);
    double rnd = richardson_roundoff(Lm, Lp, step, GC_RICHARDSON_LEVELS);
    p->num_err = trunc > rnd ? trunc : rnd;
    if (isnan(trunc) || isnan(rnd))
        p->num_err = NAN;
    slopes(p, x0, c->o->eps, c->L0, Lm[0], Lp[0]);
}

void gc_fd_element(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p)
{
    const double x0 = t->value[i];
    double lm, lp;
    p->num_err = NAN;
    p->slope_lo = p->slope_hi = NAN;
    p->noise = 0.0;
    p->hook = 0;
    p->refined = 0;
    p->finite = isfinite(c->L0) ? 1 : 0;
    switch (c->o->method) {
    case GC_METHOD_FORWARD:
        forward_element(c, t, i, x0, p);
        break;
    case GC_METHOD_RICHARDSON:
        richardson_element(c, t, i, x0, p);
        break;
    case GC_METHOD_CENTRAL:
    default:
        p->numeric = central_at(c, t, i, x0, c->o->eps, 1, &lm, &lp, &p->finite);
        p->hook = gc_eval_kink_hook(c->ev, t->layer);
        slopes(p, x0, c->o->eps, c->L0, lm, lp);
        break;
    }
    gc_eval_restore(c->ev, t, i, x0);
}

void gc_fd_slopes(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p)
{
    const double x0 = t->value[i];
    double lm, lp;
    (void)central_at(c, t, i, x0, c->o->eps, 1, &lm, &lp, &p->finite);
    p->hook = gc_eval_kink_hook(c->ev, t->layer);
    slopes(p, x0, c->o->eps, c->L0, lm, lp);
}
