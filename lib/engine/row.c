/*
 * row.c -- one row of the report: the element's numbers (numdiff.c), the
 * verdict (verdict.c), and the kink probing that may revise a fail: the
 * slopes forward lacks, and refinement at finer one-sided steps.
 */
#include "engine/row.h"
#include "engine/verdict.h"

#include <math.h>

#define REFINE_LEVELS 4
#define REFINE_FACTOR 16.0

/*
 * Refinement of a kinked element that a does not fit at step ε: the
 * one-sided slopes again at h = ε/16, ε/256, ... (REFINE_LEVELS); kink as
 * soon as a fits them (widened as at ε), fail when no level is left.
 * Why: several kinks inside [θ-ε, θ+ε] on both sides of θ average the
 * slopes at ε with the outer pieces' slopes, while the derivative at θ is a
 * property of arbitrarily small neighbourhoods.  A level is tried only while
 * the slopes' roundoff bound stays within 4 tol, so a fit means |a - s| <=
 * ~5 tol at worst; a kink exactly at θ keeps its slopes at every scale and
 * stays a fail (checks/engine/check_kink.c, test_exact_kinks_autodiff_
 * convention_is_fail).  Every loss is counted in nevals.
 */
static gc_verdict refine(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                         gc_fd_point *p)
{
    const gc_check_opts *o = c->o;
    const double x0 = t->value[i], L0 = c->L0;
    const double tolmag = fmax(fmax(fabs(a), fabs(p->slope_lo)), fabs(p->slope_hi));
    const double tol = o->rtol * tolmag > o->atol ? o->rtol * tolmag : o->atol;
    double h = o->eps;
    p->refined = 1;
    for (int lvl = 1; lvl <= REFINE_LEVELS; lvl++) {
        h /= REFINE_FACTOR;
        const double xm = x0 - h, xp = x0 + h;
        /* the roundoff at h, sized by the losses at ε (within O(ε) of these) */
        if (!(p->noise * o->eps / h <= 4.0 * tol) || xm == x0 || xp == x0)
            break;
        const double lm = gc_eval_loss(c->ev, t, i, xm);
        const double lp = gc_eval_loss(c->ev, t, i, xp);
        gc_eval_restore(c->ev, t, i, x0);
        if (!isfinite(lm) || !isfinite(lp))
            break;
        const double slo = (L0 - lm) / (x0 - xm), shi = (lp - L0) / (xp - x0);
        int fits;
        (void)gc_slopes_kinked(a, slo, shi, gc_fd_slope_noise(lm, L0, lp, h), h, 0, o, &fits);
        if (fits)
            return GC_KINK;
    }
    return GC_FAIL;
}

void gc_row_decide(const gc_fd_ctx *c, const gc_target *tg, gc_row *row, gc_fd_point *out)
{
    const gc_target *t = &tg[row->tensor];
    size_t i = (size_t)row->row * (size_t)t->cols + (size_t)row->col;
    gc_fd_point p;
    gc_fd_element(c, t, i, &p);
    gc_verdict v = gc_judge(row->analytic, &p, c->o);
    if (v != GC_PASS && c->o->method == GC_METHOD_FORWARD) {
        gc_fd_slopes(c, t, i, &p);
        v = gc_judge(row->analytic, &p, c->o);
    }
    if (v == GC_FAIL && gc_refinable(row->analytic, &p, c->o))
        v = refine(c, t, i, row->analytic, &p);
    row->numeric = p.numeric;
    row->abs_err = fabs(row->analytic - p.numeric);
    row->rel_err = gc_rel_error(row->analytic, p.numeric);
    row->num_err = p.num_err;
    row->slope_lo = p.slope_lo;
    row->slope_hi = p.slope_hi;
    row->hook = p.hook;
    row->verdict = v;
    if (out != NULL)
        *out = p;
}
