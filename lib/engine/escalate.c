/*
 * escalate.c -- Ridders' method (Ridders 1982; Numerical Recipes' dfridr)
 * for an element the default step left undecided.
 *
 * D(h) = f' + c1 h² + c2 h⁴ + ... for central differences (f' + c1 h + ...
 * one-sided), so from steps h0, h0/q, h0/q², ... Neville's tableau
 *   A[r][j] = A[r][j-1] + (A[r][j-1] - A[r-1][j-1]) / (f^j - 1),
 *   f = q² (central) or q (one-sided), q = 2 (a second search: √2),
 * cancels one more power per column.  Each entry's truncation is estimated
 * as dfridr does (the larger distance to its two parents) and its roundoff
 * bounded exactly: the tableau is linear in the D's, each D carries 2δ over
 * its step, so R[r][j] = (f^j R[r][j-1] + R[r-1][j-1]) / (f^j - 1) bounds it.
 * The entry with the smallest SAFETY * estimate + roundoff is the answer.
 * The estimate presumes the expansion; where the loss is smooth only to a
 * low order near θ (elu's second derivative jumps at 0), the differences
 * are not in its range and two steps can agree on a wrong value with a
 * small estimate.  So an entry refutes a only when it is also an entry
 * whose parents' column converges at the expansion's rate (observed order,
 * Richardson's and Roache's test of the asymptotic range): converged().
 * Starting large (0.1 max(1, |θ|)) divides the roundoff that made the
 * default step undecided by 10^5; the tableau's estimate tells when a large
 * step is too coarse for the loss, and the search walks down to h0 / 2^11.
 * A step whose loss is not finite restarts the tableau below it.
 */
#include "engine/escalate.h"
#include "engine/verdict.h"

#include <math.h>

/* One difference at step h: central (dir 0) or one-sided towards dir = ±1;
 * 0 when a loss is not finite, the step vanished in θ's rounding, or
 * (central) a layer's kink hook fired between the two sides. */
static int diff_at(const gc_fd_ctx *c, const gc_target *t, size_t i, double x0, double h,
                   int dir, double *D, double *R)
{
    const gc_check_opts *o = c->o;
    double lo, hi, xlo, xhi;
    if (dir == 0) {
        xlo = gc_fd_moved(o, x0, -h);
        xhi = gc_fd_moved(o, x0, h);
        lo = gc_eval_loss(c->ev, t, i, xlo);
        gc_eval_mark_low(c->ev, t->layer);
        hi = gc_eval_loss(c->ev, t, i, xhi);
        if (gc_eval_kink_hook(c->ev, t->layer)) {
            /* a kink inside [θ-h, θ+h]: the expansion does not hold there */
            gc_eval_restore(c->ev, t, i, x0);
            return 0;
        }
    } else {
        double x1 = gc_fd_moved(o, x0, dir * h);
        double l1 = gc_eval_loss(c->ev, t, i, x1);
        xlo = dir > 0 ? x0 : x1;
        xhi = dir > 0 ? x1 : x0;
        lo = dir > 0 ? c->L0 : l1;
        hi = dir > 0 ? l1 : c->L0;
    }
    gc_eval_restore(c->ev, t, i, x0);
    if (!isfinite(lo) || !isfinite(hi) || !(xhi > xlo))
        return 0;
    *D = (hi - lo) / (xhi - xlo);
    *R = 2.0 * gc_fd_delta(c, lo, hi) / (xhi - xlo);
    return isfinite(*D) && isfinite(*R);
}

typedef struct ridders {
    double A[GC_ESCALATE_STEPS][GC_ESCALATE_STEPS];
    double R[GC_ESCALATE_STEPS][GC_ESCALATE_STEPS];
    double best_n, best_B;
    double conv_n, conv_B; /* the best entry converged() also admits (B INFINITY: none) */
    double n_eps, B_eps; /* the default step's value and bound (B NaN: no constraint) */
    double floor;        /* the band's floor (gc_band) */
} ridders;

/* An entry n ± B is a candidate only when it is consistent with the default
 * step's n_eps ± B_eps: both intervals claim the derivative, and B_eps is a
 * bound while B leans on an estimate; when they miss each other the
 * estimate is what failed (a step too coarse for the loss), and trusting it
 * could refute a correct a. */
static int consistent(const ridders *rd, double n, double B)
{
    return isnan(rd->B_eps) || fabs(n - rd->n_eps) <= B + rd->B_eps;
}

/* Entry A[r][j] extrapolates column j-1 from rows r-1 and r, whose
 * leading error term is c h^p, p = 2j central (f = q²), j one-sided (f = q):
 * their successive differences keep their sign and shrink by f^j per row.
 * Rows r-2, r-1, r of column j-1 deny that rate when the ratio of their two
 * differences, each known to within its entries' roundoff R, is positive
 * whatever the roundoff and outside [f^j / q, f^j q] (observed order off
 * by more than 1): a systematic error of another order.  A ratio that can
 * be negative or can fit is no evidence against the expansion (roundoff
 * alternates the differences' signs, and its bound R covers it).  Entries
 * of the first two rows of their column cannot be tested: never
 * converged. */
static int converged(const ridders *rd, int r, int j, double fj, double q)
{
#ifdef GC_ESC_ORDER_MUTANT /* checks/engine/check_escalate.c: no test of the order */
    (void)rd, (void)r, (void)j, (void)fj, (void)q;
    return 1;
#else
    if (r < j + 1)
        return 0;
    const double dp = rd->A[r - 2][j - 1] - rd->A[r - 1][j - 1];
    const double rp = rd->R[r - 2][j - 1] + rd->R[r - 1][j - 1];
    const double dn = rd->A[r - 1][j - 1] - rd->A[r][j - 1];
    const double rn = rd->R[r - 1][j - 1] + rd->R[r][j - 1];
    if (!(fabs(dp) > rp) || !(fabs(dn) > rn) || (dp > 0) != (dn > 0))
        return isfinite(dp) && isfinite(dn); /* either sign possible: no evidence */
    /* both differences of one sign: the ratio within [(|dp| - rp) / (|dn| + rn),
     * (|dp| + rp) / (|dn| - rn)] */
    const double lo = (fabs(dp) - rp) / (fabs(dn) + rn), hi = (fabs(dp) + rp) / (fabs(dn) - rn);
    return hi >= fj / q && lo <= fj * q;
#endif
}

/* Row r of the tableau from A[r][0], R[r][0] (steps by factors q, f = q²
 * central or q one-sided); the best entry kept, and the best converged. */
static void extrapolate(ridders *rd, int r, double f, double q)
{
    double fj = f;
    for (int j = 1; j <= r; j++, fj *= f) {
        rd->A[r][j] = rd->A[r][j - 1] + (rd->A[r][j - 1] - rd->A[r - 1][j - 1]) / (fj - 1.0);
        rd->R[r][j] = (fj * rd->R[r][j - 1] + rd->R[r - 1][j - 1]) / (fj - 1.0);
        double est = fmax(fabs(rd->A[r][j] - rd->A[r][j - 1]),
                          fabs(rd->A[r][j] - rd->A[r - 1][j - 1]));
        double B = GC_ESCALATE_SAFETY * est + rd->R[r][j];
        if (!(B < rd->best_B || B < rd->conv_B) || !consistent(rd, rd->A[r][j], B))
            continue; /* NaN never wins */
        if (B < rd->best_B) {
            rd->best_B = B;
            rd->best_n = rd->A[r][j];
        }
        if (B < rd->conv_B && converged(rd, r, j, fj, q)) {
            rd->conv_B = B;
            rd->conv_n = rd->A[r][j];
        }
    }
}

/* One Ridders search from step h down by factors con: the best consistent entry in
 * rd->best_n, rd->best_B (INFINITY: none) and gc_decide's verdict on it; a
 * fail only when the best converged entry refutes a too, else the search
 * goes on, and ends undecided "unconverged" if nothing decides. */
static gc_verdict search(const gc_fd_ctx *c, const gc_target *t, size_t i, double a, int dir,
                         double h, double con, ridders *rd, gc_reason *why)
{
    const double x0 = t->value[i], f = dir == 0 ? con * con : con;
    rd->best_n = rd->conv_n = NAN;
    rd->best_B = rd->conv_B = INFINITY;
    int base = 0, denied = 0;
    gc_verdict v = GC_UNDECIDED;
    for (int k = 0; k < GC_ESCALATE_STEPS; k++, h /= con) {
        int r = k - base;
        if (!diff_at(c, t, i, x0, h, dir, &rd->A[r][0], &rd->R[r][0])) {
            base = k + 1; /* restart below a step that did not work */
            continue;
        }
        double before = rd->best_B;
        extrapolate(rd, r, f, con);
        if (r == 0 || !(rd->best_B < INFINITY))
            continue;
        v = gc_decide(a, rd->best_n, rd->best_B, gc_band(a, rd->best_n, NAN, rd->floor, c->o),
                      why);
        if (v == GC_FAIL) {
            gc_reason w;
            if (!(rd->conv_B < INFINITY) ||
                gc_decide(a, rd->conv_n, rd->conv_B,
                          gc_band(a, rd->conv_n, NAN, rd->floor, c->o), &w) != GC_FAIL) {
                v = GC_UNDECIDED; /* the expansion not confirmed: no refutation yet */
                denied = 1;
            }
        }
        if (v != GC_UNDECIDED)
            break;
        /* dfridr's stop: the highest order got worse than the best by 2 */
        if (r >= 2 && rd->best_B == before &&
            fabs(rd->A[r][r] - rd->A[r - 1][r - 1]) >= 2.0 * rd->best_B)
            break;
    }
    if (v == GC_UNDECIDED && denied)
        *why = GC_REASON_UNCONVERGED;
    return v;
}

gc_verdict gc_escalate(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                       gc_fd_point *p, gc_reason *why)
{
    if (!isfinite(c->L0)) {
        *why = GC_REASON_LOSS_NONFINITE;
        return GC_UNDECIDED;
    }
    p->escalated = 1;
    if (!isfinite(gc_fd_delta(c, c->L0, c->L0)))
        return GC_UNDECIDED; /* the loss's rounding is unbounded: no step can decide */
    const double x0 = t->value[i];
    const int dir = p->bad_side == 1 ? 1 : p->bad_side == 2 ? -1 : 0;
    /* from where the roundoff δ/h is 1/256 of the band (a few columns of
     * the tableau amplify it), at most H0 max(1, |θ|): the smaller the
     * steps the fewer kinks they cross */
    const double band0 = gc_band(a, p->numeric, NAN, p->floor, c->o);
    const double h0 = fmin(GC_ESCALATE_H0 * fmax(1.0, fabs(x0)),
                           fmax(16.0 * p->step, 256.0 * gc_fd_delta(c, c->L0, c->L0) / band0));
    ridders rd, again;
    rd.n_eps = again.n_eps = p->numeric;
    rd.B_eps = again.B_eps = p->finite ? p->bound : NAN;
    rd.floor = again.floor = p->floor;
    gc_reason first = *why;
    gc_verdict v = search(c, t, i, a, dir, h0, 2.0, &rd, why);
    if (v == GC_FAIL) {
        /* a refutation must be reproduced, consistently, by a second search
         * over other steps (from h0 / GC_ESCALATE_REPEAT by factors √2):
         * two tableaus fooled alike by steps too coarse for the loss are far
         * less likely than one, and the roundoff stays that of the first;
         * consistently: the two best entries, or the two best converged
         * ones (each search's fail rests on both), overlap */
        gc_reason w2;
        gc_verdict v2 = search(c, t, i, a, dir, h0 / GC_ESCALATE_REPEAT, sqrt(2.0), &again, &w2);
        if (v2 != GC_FAIL || !(fabs(rd.best_n - again.best_n) <= rd.best_B + again.best_B ||
                               fabs(rd.conv_n - again.conv_n) <= rd.conv_B + again.conv_B)) {
            v = GC_UNDECIDED;
            *why = v2 == GC_UNDECIDED && w2 == GC_REASON_UNCONVERGED ? GC_REASON_UNCONVERGED
                                                                    : GC_REASON_NOISE;
            if (again.best_B < rd.best_B)
                rd = again;
        }
    }
    if (!(rd.best_B < INFINITY)) {
        *why = first == GC_REASON_NONE ? GC_REASON_NOISE : first;
        return GC_UNDECIDED;
    }
    p->numeric = rd.best_n;
    p->bound = rd.best_B;
    return v;
}
