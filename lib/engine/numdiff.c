/*
 * numdiff.c -- finite differences: central, forward and Richardson, the
 * one-sided slopes and their roundoff bound, from an evaluator's losses.
 * Nothing here knows which evaluator answers.
 */
#include "engine/numdiff.h"

#include <float.h>
#include <math.h>

/* Central difference on [θ-h, θ+h] with the steps actually taken: x0 ± h
 * is rounded, and dividing by the rounded step (xp - xm, exact here) rather
 * than 2h removes an error of ulp(x0)/h relative.  `query`: the two sides
 * are also those of a kink-hook query.  *bad gets bit 1 (low) or 2 (high)
 * for a side whose loss is not finite. */
static double central_at(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0, double h,
                         int query, double *lm_out, double *lp_out, int *bad)
{
    double xm = gc_fd_moved(c->o, x0, -h), xp = gc_fd_moved(c->o, x0, h);
    double lm = gc_eval_loss(c->ev, t, i, xm);
    if (query)
        gc_eval_mark_low(c->ev, t->layer);
    double lp = gc_eval_loss(c->ev, t, i, xp);
    gc_eval_restore(c->ev, t, i, x0);
    *bad = (isfinite(lm) ? 0 : 1) | (isfinite(lp) ? 0 : 2);
    *lm_out = lm;
    *lp_out = lp;
    return (lp - lm) / (xp - xm);
}

/* The same at θ ± eps. */
static void slopes(const gc_fd_ctx *c, gc_fd_point *p, double x0, double eps, double lm,
                   double lp)
{
    gc_fd_slopes_at(c, p, x0, gc_fd_moved(c->o, x0, -eps), gc_fd_moved(c->o, x0, eps), lm, lp,
                    gc_fd_delta(c, lm, lp));
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
 * (L+ - L-)/(xp - xm) carries 2δ of rounding over its step. */
static double richardson_roundoff(const gc_fd_ctx *c, const double *Lm, const double *Lp,
                                  const double *step, int n)
{
    double bound = 0.0;
    for (int i = 0; i < n; i++)
        bound += fabs(richardson_coef(i, n)) * 2.0 * gc_fd_delta(c, Lm[i], Lp[i]) / step[i];
    return bound;
}

/* Forward: (L(θ+ε) - L0) / ε, its bound the roundoff 2δ/ε alone until
 * gc_fd_slopes adds the truncation it cannot see from two losses. */
static void forward_element(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0,
                            gc_fd_point *p)
{
    double xp = gc_fd_moved(c->o, x0, p->step);
    double lp = gc_eval_loss(c->ev, t, i, xp);
    gc_eval_restore(c->ev, t, i, x0);
    p->bad_side = isfinite(lp) ? 0 : 2;
    p->numeric = (lp - c->L0) / (xp - x0);
    p->bound = 2.0 * gc_fd_delta(c, lp, c->L0) / (xp - x0);
}

static void richardson_element(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0,
                               gc_fd_point *p)
{
    double D[GC_RICHARDSON_LEVELS], Lm[GC_RICHARDSON_LEVELS], Lp[GC_RICHARDSON_LEVELS];
    double step[GC_RICHARDSON_LEVELS];
    double h = p->step;
    for (int lvl = 0; lvl < GC_RICHARDSON_LEVELS; lvl++, h *= 0.5) {
        int bad;
        D[lvl] = central_at(c, t, i, x0, h, lvl == 0, &Lm[lvl], &Lp[lvl], &bad);
        p->bad_side |= bad;
        step[lvl] = gc_fd_moved(c->o, x0, h) - gc_fd_moved(c->o, x0, -h);
        if (lvl == 0)
            p->hook = gc_eval_kink_hook(c->ev, t->layer);
    }
    double trunc;
    p->numeric = gc_richardson(D, GC_RICHARDSON_LEVELS, &trunc);
    p->trunc_est = trunc;
    p->bound = trunc + richardson_roundoff(c, Lm, Lp, step, GC_RICHARDSON_LEVELS);
    slopes(c, p, x0, p->step, Lm[0], Lp[0]);
}

static void central_element(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0,
                            gc_fd_point *p)
{
    double lm, lp;
    int bad;
    (void)central_at(c, t, i, x0, p->step, 1, &lm, &lp, &bad);
    p->hook = gc_eval_kink_hook(c->ev, t->layer);
    gc_fd_central_from(c, p, x0, lm, lp);
}

void gc_fd_element(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p)
{
    const double x0 = t->value[i];
    gc_fd_point_start(c, t, x0, p);
    switch (c->o->method) {
    case GC_METHOD_FORWARD:
        forward_element(c, t, i, x0, p);
        break;
    case GC_METHOD_RICHARDSON:
        richardson_element(c, t, i, x0, p);
        break;
    case GC_METHOD_CENTRAL:
    default:
        central_element(c, t, i, x0, p);
        break;
    }
    gc_fd_point_finish(c, p);
    gc_eval_restore(c->ev, t, i, x0);
}

void gc_fd_slopes(const gc_fd_ctx *c, const gc_target *t, size_t i, gc_fd_point *p)
{
    const double x0 = t->value[i];
    double lm, lp;
    int bad;
    (void)central_at(c, t, i, x0, p->step, 1, &lm, &lp, &bad);
    p->bad_side |= bad;
    p->hook = gc_eval_kink_hook(c->ev, t->layer);
    slopes(c, p, x0, p->step, lm, lp);
    p->bound += 0.5 * fabs(p->slope_hi - p->slope_lo);
    p->finite = isfinite(c->L0) && p->bad_side == 0;
    if (!p->finite)
        p->bound = NAN;
}
