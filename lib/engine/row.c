/*
 * row.c -- one row of the report: the element's numbers (numdiff.c), the
 * verdict (verdict.c), and what may revise an undecided one: the slopes
 * forward lacks, the refinement of a kinked element at finer one-sided
 * steps, and the escalation (escalate.c) of one that noise left undecided.
 */
#include "engine/row.h"
#include "engine/escalate.h"
#include "engine/noise.h"
#include "engine/plan.h"
#include "engine/verdict.h"
#include "nn/vmath.h"

#include <float.h>
#include <math.h>

#define REFINE_LEVELS 4
#define REFINE_FACTOR 16.0

/*
 * Refinement of a kinked element that a does not fit at step ε: the
 * one-sided slopes (and the kink hooks) again at h = ε/16, ε/256, ...
 * (REFINE_LEVELS).  Kink as soon as a fits them (widened as at ε).  When
 * no level is left: fail if the finest level tried is smooth (no hook, the
 * slopes agree) and its central difference refutes a beyond band + bound;
 * else undecided "kink at θ".  Why: several kinks inside [θ-ε, θ+ε] on both
 * sides of θ average the slopes at ε with the outer pieces' slopes, while
 * the derivative at θ is a property of arbitrarily small neighbourhoods --
 * and only the finest scale may refute, since a coarser one can look smooth
 * with kinks hidden inside it.  A kink exactly at θ keeps its slopes at
 * every scale, and there a is no one-sided derivative: the relu'(0)
 * convention, which finite differences can neither confirm nor refute.  A
 * level is tried only while the slopes' roundoff bound stays within 4 tol,
 * so a fit means |a - s| <= ~5 tol at worst.  Every loss is counted in
 * nevals.
 */
static gc_verdict refine(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                         gc_fd_point *p, gc_reason *why)
{
    const gc_check_opts *o = c->o;
    const double x0 = t->value[i], L0 = c->L0;
    const double tolmag = fmax(fmax(fabs(a), fabs(p->slope_lo)), fabs(p->slope_hi));
    const double tol = o->rtol * tolmag > o->atol ? o->rtol * tolmag : o->atol;
    double h = p->step, n = NAN, B = NAN;
    int smooth = 0;
    p->refined = 1;
    *why = GC_REASON_KINK_AT_THETA;
    for (int lvl = 1; lvl <= REFINE_LEVELS; lvl++) {
        h /= REFINE_FACTOR;
        const double xm = gc_fd_moved(o, x0, -h), xp = gc_fd_moved(o, x0, h);
        /* the roundoff at h, sized by the losses at ε (within O(ε) of these) */
        if (!(p->noise * p->step / h <= 4.0 * tol) || xm == x0 || xp == x0)
            break;
        const double lm = gc_eval_loss(c->ev, t, i, xm);
        gc_eval_mark_low(c->ev, t->layer);
        const double lp = gc_eval_loss(c->ev, t, i, xp);
        const int hook = gc_eval_kink_hook(c->ev, t->layer);
        gc_eval_restore(c->ev, t, i, x0);
        if (!isfinite(lm) || !isfinite(lp))
            break;
        const double slo = (L0 - lm) / (x0 - xm), shi = (lp - L0) / (xp - x0);
        const double delta = gc_fd_delta(c, lm, lp);
        int fits;
        smooth = !gc_slopes_kinked(a, slo, shi, 2.0 * delta / (xp - x0), h, hook, o, &fits);
        if (fits) {
            *why = GC_REASON_NONE;
            return GC_KINK;
        }
        n = (lp - lm) / (xp - xm);
        B = 2.0 * delta / (xp - xm) + 0.5 * (xp - xm) * fabs(shi - slo);
    }
    gc_reason r;
    if (smooth && gc_decide(a, n, B, gc_band(a, n, NAN, p->floor, o), &r) == GC_FAIL) {
        p->numeric = n;
        p->bound = B;
        *why = GC_REASON_NONE;
        return GC_FAIL;
    }
    return GC_UNDECIDED;
}

/* Row's numbers from p (its analytic value set), judged v with band, why. */
static inline void row_set(gc_row *row, const gc_fd_point *p, double band, gc_verdict v,
                           gc_reason why)
{
    const double a = row->analytic;
    row->numeric = p->numeric;
    row->abs_err = fabs(a - p->numeric);
    row->rel_err = gc_rel_error(a, p->numeric);
    row->num_err = p->bound;
    row->band = band;
    row->slope_lo = p->slope_lo;
    row->slope_hi = p->slope_hi;
    row->hook = p->hook;
    row->verdict = v;
    row->reason = why;
    row->escalated = p->escalated;
}

/* The verdict at ε alone from the element's numbers in p: forward's slopes
 * when its plain comparison did not pass, and float32's refutation
 * deferred.  *judged: gc_judge's verdict of p as left, *band its band. */
static inline gc_verdict judge_at_eps(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                                      gc_fd_point *p, gc_reason *why,
                                      gc_verdict *judged, double *band)
{
    gc_verdict v = gc_judge(a, p, c->o, why, band);
    if (v != GC_PASS && c->o->method == GC_METHOD_FORWARD && p->finite) {
        gc_fd_slopes(c, t, i, p);
        v = gc_judge(a, p, c->o, why, band);
    }
    *judged = v;
    /* float32's step (u^(1/3) |θ|) is large enough that the truncation
     * estimate ε|s+ - s-| can miss a fast-changing curvature: a refutation
     * at ε is only a reason to measure again */
    if (v == GC_FAIL && c->o->precision == GC_PRECISION_FLOAT32 && isfinite(a)) {
        v = GC_UNDECIDED;
        *why = GC_REASON_NOISE;
    }
    return v;
}

/* The same with the element's numbers computed first. */
static gc_verdict at_eps(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                         gc_fd_point *p, gc_reason *why)
{
    gc_verdict judged;
    double band;
    gc_fd_element(c, t, i, p);
    return judge_at_eps(c, t, i, a, p, why, &judged, &band);
}

/* A refutation at ε by central or forward differences, measured
 * again at ε / GC_CONFIRM_FACTOR by the same method (p->conf_n,
 * p->conf_noise): a fail only when gc_fail_confirmed, else undecided for
 * the escalation.  Not inlined: only a fail takes it. */
__attribute__((noinline)) static gc_verdict confirm(const gc_fd_ctx *c, const gc_target *t,
                                                    size_t i, double a, gc_fd_point *p,
                                                    gc_reason *why)
{
    const gc_check_opts *o = c->o;
#ifdef GC_CONFIRM_MUTANT /* checks/engine/check_confirm.c: no confirming step */
    return GC_FAIL;
#endif
    /* a not finite: refuted by any finite loss; richardson: the tableau's
     * own estimate (float32 never comes here: judge_at_eps defers its
     * refutations of a finite a) */
    if (!isfinite(a) || o->method == GC_METHOD_RICHARDSON)
        return GC_FAIL;
    const double x0 = t->value[i], h = p->step / GC_CONFIRM_FACTOR;
    const double xp = gc_fd_moved(o, x0, h);
    double xm = x0, lm = c->L0;
    if (o->method == GC_METHOD_CENTRAL) {
        xm = gc_fd_moved(o, x0, -h);
        lm = gc_eval_loss(c->ev, t, i, xm);
    }
    const double lp = gc_eval_loss(c->ev, t, i, xp);
    gc_eval_restore(c->ev, t, i, x0);
    p->conf_n = (lp - lm) / (xp - xm);
    p->conf_noise = 2.0 * gc_fd_delta(c, lm, lp) / (xp - x0);
    if (gc_fail_confirmed(a, p, o, 0.0))
        return GC_FAIL;
    *why = GC_REASON_UNCONVERGED;
    return GC_UNDECIDED;
}

gc_verdict gc_row_decide(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                         gc_fd_point *out, int at_eps_only)
{
    const gc_target *t = &tg[row->tensor];
    gc_fd_point p;
    gc_fd_element(c, t, (size_t)row->row * (size_t)t->cols + (size_t)row->col, &p);
    gc_verdict judged = gc_row_decide_from(c, tg, row, &p, at_eps_only);
    if (out != NULL)
        *out = p;
    return judged;
}

/* An element undecided at ε measured again: float32 judged with the noise
 * measured along it in place of the modelled one (engine/noise.h), then
 * the refinement of a kink at θ or the escalation.  Not inlined: the rows
 * decided at ε, nearly all of them, then take no part of its cost. */
__attribute__((noinline)) static gc_verdict revise(const gc_fd_ctx *c, const gc_target *t,
                                                   size_t i, double a, gc_fd_point *p,
                                                   gc_reason *why)
{
    gc_fd_ctx measured;
    gc_verdict v = GC_UNDECIDED;
    if (gc_noise_measure(c, t, i, p->numeric, &measured)) {
        c = &measured;
        v = at_eps(c, t, i, a, p, why);
    }
    if (v == GC_UNDECIDED) {
        if (*why == GC_REASON_KINK_AT_THETA)
            v = refine(c, t, i, a, p, why);
        else
            v = gc_escalate(c, t, i, a, p, why);
    }
    return v;
}

gc_verdict gc_row_decide_from(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                              gc_fd_point *p, int at_eps_only)
{
    const gc_target *t = &tg[row->tensor];
    const double a = row->analytic;
    size_t i = (size_t)row->row * (size_t)t->cols + (size_t)row->col;
    gc_reason why;
    gc_verdict judged;
    double band;
    gc_verdict v = judge_at_eps(c, t, i, a, p, &why, &judged, &band);
    if (v == GC_FAIL)
        judged = v = confirm(c, t, i, a, p, &why);
    /* the band judged with is the row's unless *p is measured again */
    if (v == GC_UNDECIDED && !at_eps_only) {
        v = revise(c, t, i, a, p, &why);
        band = gc_band(a, p->numeric, p->escalated ? NAN : p->trunc_est, p->floor, c->o);
    } else if (p->escalated) {
        band = gc_band(a, p->numeric, NAN, p->floor, c->o);
    }
    row_set(row, p, band, v, v == GC_UNDECIDED ? why : GC_REASON_NONE);
    return judged;
}

/* A row of gc_rows_decide_given that is not a sure pass: its numbers
 * again, for the whole rule.  Not inlined: the sure passes' loop then
 * keeps its point in registers. */
__attribute__((noinline)) static void decide_given(const gc_fd_ctx *c, const gc_target *tg,
                                                   gc_row *row, size_t i, double lm, double lp,
                                                   double b, unsigned char *recheck)
{
    gc_fd_point p;
    gc_fd_central_given(c, &tg[row->tensor], i, lm, lp, 0, &p);
    const gc_verdict v = gc_row_decide_from(c, tg, row, &p, 1);
    if (!gc_verdict_stable(row->analytic, &p, v, c->o, b))
        *recheck = 1;
}

/* Rows judged together: LANES in one vector of the widest width, up to
 * BLOCK rows a call of pass_lanes_run. */
enum { LANES = 8, BLOCK = 32 * LANES };

/* The constants of one call of pass_lanes_run, the numbers of its rows
 * gathered by element (their analytic value, the element's value), and
 * what it writes: every field row_set gives a pass, and pass[q] != 0 where
 * row q passes for sure.  The numbers are gathered for all the rows before
 * the vector loop reads them: a vector load of four or eight values just
 * stored one by one would wait for the stores. */
typedef struct pass_block {
    double h, L0, abs_L0, ku, scale, abs_floor, rtol, b, two_b_h;
    double a[BLOCK], x0[BLOCK];
    double n[BLOCK], d[BLOCK], rel[BLOCK], bound[BLOCK], band[BLOCK], slo[BLOCK], shi[BLOCK];
    long long pass[BLOCK];
} pass_block;

/*
 * gc_verdict_pass_final of gc_fd_central_given's point, float64 without a
 * measured δ, for rows [0, ng LANES) of z, row q's losses L[2q] = L(θ-ε)
 * and L[2q + 1] = L(θ+ε) (read in place: stored long before, and as one
 * block of pairs): the same IEEE operations in the
 * same order as gc_fd_central_from, gc_fd_delta, gc_band (no tableau
 * estimate, floor 0), gc_passes, gc_verdict_pass_stable and gc_rel_error,
 * so every number is theirs bit for bit.  A row whose numbers are not all
 * finite is never a pass here (the whole rule takes it), so what its
 * selects pick for NaN does not matter; the selects compute both sides
 * (the Makefile's -fno-trapping-math).
 */
GC_VVOID(pass_lanes_run, (pass_block *restrict z, const double *restrict L, int ng), (z, L, ng))
{
    for (int g = 0; g < ng; g++)
        for (int s = 0; s < LANES; s++) {
            const int q = g * LANES + s;
            const double a = z->a[q], x0 = z->x0[q], lm = L[2 * q], lp = L[2 * q + 1];
            const double xm = x0 + -z->h, xp = x0 + z->h;
            const double n = (lp - lm) / (xp - xm);
            const double f1 = fabs(lm), f2 = fabs(lp);
            const double far = (f1 > f2 ? f1 : f2) - z->abs_L0;
            const double delta = z->ku * (z->scale + (far > 0.0 ? far : 0.0));
            const double slo = (z->L0 - lm) / (x0 - xm), shi = (lp - z->L0) / (xp - x0);
            const double step = xp - xm;
#ifndef GC_ROWS_LANES_MUTANT
            const double bound = 2.0 * delta / step + 0.5 * step * fabs(shi - slo);
#else /* checks/engine/check_row.c's mutant: one rounding more */
            const double bound =
                (2.0 * delta / step + 0.5 * step * fabs(shi - slo)) * (1 + 0x1p-52);
#endif
            const double fa = fabs(a), fn = fabs(n), d = fabs(a - n);
            const double mag = fa > fn ? fa : fn;
            const double band = z->abs_floor > z->rtol * mag ? z->abs_floor : z->rtol * mag;
            const double n_in = fn > z->b ? (n > 0 ? n - z->b : n + z->b) : 0.0;
            const double fi = fabs(n_in), mag_in = fa > fi ? fa : fi;
            const double band_min =
                z->abs_floor > z->rtol * mag_in ? z->abs_floor : z->rtol * mag_in;
            const double B_max = bound * (1.0 + 1e-9) + z->two_b_h;
            const int finite =
                f1 <= DBL_MAX && f2 <= DBL_MAX && fa <= DBL_MAX && fn <= DBL_MAX;
            z->pass[q] = finite & (d <= band) & (bound <= band) & (d + z->b <= band_min) &
                         (B_max <= band_min);
            z->n[q] = n;
            z->d[q] = d;
            z->rel[q] = mag == 0.0 && d == 0.0 ? 0.0 : d / mag;
            z->bound[q] = bound;
            z->band[q] = band;
            z->slo[q] = slo;
            z->shi[q] = shi;
        }
}

/* Where the last row was placed: element el of a tensor of cols columns
 * is (r, c); at the start, the place before element 0.  A block's elements
 * mostly follow one another, so the next one's place is one step on, not
 * a division (a 64-bit div takes 25 to 90 cycles: it was a quarter of
 * this file's time). */
typedef struct place_at {
    size_t cols, el, r, c;
} place_at;

static inline place_at place_start(size_t cols)
{
    return (place_at){cols, (size_t)-1, 0, (size_t)-1};
}

/* Row's place, element el with analytic value a: every byte but its
 * numbers written. */
static inline void place(gc_row *row, int t, place_at *at, size_t el, double a)
{
    if (el == at->el + 1) {
        if (++at->c == at->cols) {
            at->c = 0;
            at->r++;
        }
    } else {
        at->r = el / at->cols;
        at->c = el % at->cols;
    }
    at->el = el;
    gc_plan_place_row(row, t, at->r, at->c, a);
}

/* Rows [0, m) of rows, m a multiple of LANES up to BLOCK, placed and
 * through pass_lanes_run: the sure passes set from z, the others by the
 * whole rule.  counts: a check without statistics (opts.drop_passes
 * GC_DROP_STATS), which drops every passing row once the counts have read
 * it: a sure pass gets only what they read (report/summary.c,
 * read_counts: the verdict, reason, escalated, analytic, numeric and
 * rel_err), and no place. */
static void decide_block(const gc_fd_ctx *c, const gc_target *tg, int t, gc_row *rows,
                         size_t m, const size_t *idx, const double *L, double b,
                         unsigned char *recheck, pass_block *z, int counts)
{
    const double *value = tg[t].value, *grad = tg[t].grad;
    place_at at = place_start((size_t)tg[t].cols);
    for (size_t q = 0; q < m; q++) {
        z->a[q] = grad[idx[2 * q]];
        z->x0[q] = value[idx[2 * q]];
    }
    pass_lanes_run(z, L, (int)(m / LANES));
    for (size_t q = 0; q < m; q++) {
        gc_row *row = &rows[q];
        if (counts && z->pass[q]) {
            row->analytic = z->a[q];
            row->numeric = z->n[q];
            row->rel_err = z->rel[q];
            row->verdict = GC_PASS;
            row->reason = GC_REASON_NONE;
            row->escalated = 0;
            continue;
        }
        place(row, t, &at, idx[2 * q], z->a[q]);
        if (!z->pass[q]) {
            decide_given(c, tg, row, idx[2 * q], L[2 * q], L[2 * q + 1], b, &recheck[q]);
            continue;
        }
        row->numeric = z->n[q];
        row->abs_err = z->d[q];
        row->rel_err = z->rel[q];
        row->num_err = z->bound[q];
        row->band = z->band[q];
        row->slope_lo = z->slo[q];
        row->slope_hi = z->shi[q];
        row->hook = 0;
        row->verdict = GC_PASS;
        row->reason = GC_REASON_NONE;
        row->escalated = 0;
    }
}

/* The constants of pass_lanes_run for one call, or 0 when its shortcut
 * does not apply (the loop below then takes every row). */
static int pass_block_init(const gc_fd_ctx *c, double b, pass_block *z)
{
    const gc_check_opts *o = c->o;
    if (o->precision != GC_PRECISION_FLOAT64 || c->delta > 0.0 || !isfinite(c->L0) ||
        !isfinite(b) || !isfinite(c->scale))
        return 0;
    z->h = gc_fd_step(o, 0.0);
    z->L0 = c->L0;
    z->abs_L0 = fabs(c->L0);
    z->ku = GC_ROUNDOFF_KAPPA * gc_fd_unit(o);
    z->scale = c->scale;
    z->abs_floor = o->atol > 0.0 ? o->atol : 0.0;
    z->rtol = o->rtol;
    z->b = b;
    z->two_b_h = 2.0 * b * z->h;
    return 1;
}

/* A row's fields after its place are all written by row_set or by
 * decide_block: no padding after the last. */
_Static_assert(sizeof(gc_row) == offsetof(gc_row, escalated) + sizeof(int),
               "a row's last field ends it");

void gc_rows_decide_given(const gc_fd_ctx *c, const gc_target *tg, int t, gc_row *rows,
                          size_t m, const size_t *idx, const double *L, double b,
                          unsigned char *recheck)
{
    const gc_target *tt = &tg[t];
    place_at at = place_start((size_t)tt->cols);
    /* local copies, which no store to a row can change: the loop reads the
     * options once, not after every row */
    const gc_check_opts o = *c->o;
    const gc_fd_ctx lc = {c->ev, &o, c->L0, c->scale, c->delta};
    if (o.precision != GC_PRECISION_FLOAT64) { /* not this loop's case: the whole rule */
        for (size_t q = 0; q < m; q++) {
            place(&rows[q], t, &at, idx[2 * q], tt->grad[idx[2 * q]]);
            decide_given(c, tg, &rows[q], idx[2 * q], L[2 * q], L[2 * q + 1], b, &recheck[q]);
        }
        return;
    }
    size_t q = 0;
    pass_block z;
    const int counts = o.drop_passes == GC_DROP_STATS;
    if (pass_block_init(&lc, b, &z))
        for (size_t k; (k = m - q < BLOCK ? (m - q) / LANES * LANES : BLOCK) > 0; q += k)
            decide_block(c, tg, t, rows + q, k, idx + 2 * q, L + 2 * q, b, recheck + q, &z,
                         counts);
    /* below, the steps and the band's floor are float64's, known to the compiler */
    for (; q < m; q++) {
        gc_fd_point p;
        double band;
        place(&rows[q], t, &at, idx[2 * q], tt->grad[idx[2 * q]]);
        gc_fd_central_given(&lc, tt, idx[2 * q], L[2 * q], L[2 * q + 1], 0, &p);
        if (gc_verdict_pass_final(rows[q].analytic, &p, &o, b, &band))
            row_set(&rows[q], &p, band, GC_PASS, GC_REASON_NONE);
        else
            decide_given(c, tg, &rows[q], idx[2 * q], L[2 * q], L[2 * q + 1], b, &recheck[q]);
    }
}
