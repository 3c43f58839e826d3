/*
 * softmax_line.c -- softmax_ce along a line through its base output
 * (gc_loss.values_line): the losses of P = Z + w d for one column w and
 * many changes d (a row of B numbers each), from coefficients of the line
 * shared by every d.
 *
 * Column q of P = Z~ + w d (Z~: Z_k plus the state's b = Z - Z_k, k column
 * q's max row): with c_i = w_i - w_k every x_i = c_i d_q, so e^x - 1's
 * cubic summed over the rows is a cubic in d_q whose coefficients
 * S_n = sum_i E_i c_i^n (and the terms' sum t_i (m' - P_i) = T0 + d_q T1,
 * T0 = sum t_i (-b_i), T1 = sum t_i (-c_i)) are shared by every d of the
 * line: a column costs that cubic, values_near's quartic for log1p(y) and
 * three multiply-adds, with no work per logit.  |x_i| <= tau for every row
 * is |d_q| max|c_i| <= tau.  The columns are combined as values_near
 * combines them (lanes_add, lanes_total).  The bound is derived in
 * lib/gradcheck/layer.h.
 */
#include "nn/loss_internal.h"
#include "nn/vmath.h"

#include <math.h>
#include <string.h>

/* Lanes line_group and line_cols take at a time: a fixed length, which the
 * compiler vectorises. */
#define LINE_GROUP 16

/* The coefficient arrays in the work area, each of line_width(B) columns:
 * y = d (A1 + d (A2 + d A3)) (the cubic scaled by g = 1 / (1 + r)), the
 * terms' sum T0 + d T1, sum t, log1p(r), max |c_i|. */
enum { LC_A1, LC_A2, LC_A3, LC_T0, LC_T1, LC_ST, LC_L0, LC_CMAX, LC_ARRAYS };

static size_t line_width(int B)
{
    return ((size_t)B + LINE_GROUP - 1) / LINE_GROUP * LINE_GROUP;
}

/* Column q's coefficients into lc (arrays of Wc); 0 when its line cannot be
 * taken (targets not summing to 1, a coefficient not finite: a non-finite
 * logit, weight or base). */
static int line_column(double *lc, size_t Wc, const near_head *h, const double *d,
                       const double *w, int q)
{
    const int rows = h->rows;
    const size_t W = (size_t)h->W;
    const double *lane = d + 3 * (size_t)rows * W;
    const int k = (int)lane[NEAR_K * W + (size_t)q];
    const double wk = w[k];
    double s1 = 0.0, s2 = 0.0, s3 = 0.0, t0 = 0.0, t1 = 0.0, cmax = 0.0;
    for (int i = 0; i < rows; i++) {
        const double b = d[(size_t)i * W + (size_t)q], E = d[(size_t)(rows + i) * W + (size_t)q];
        const double t = d[(size_t)(2 * rows + i) * W + (size_t)q], c = w[i] - wk;
        const double e1 = E * c, e2 = e1 * c;
        s1 += e1;
        s2 += e2;
        s3 += e2 * c;
        if (t != 0.0) { /* the scalar form's rows with a target */
            t0 += t * (0.0 - b);
            t1 += t * (0.0 - c);
        }
        cmax = fabs(c) > cmax ? fabs(c) : cmax;
    }
    const double g = lane[NEAR_G * W + (size_t)q], st = lane[NEAR_ST * W + (size_t)q];
    const double l0 = lane[NEAR_L0 * W + (size_t)q];
    const double v[LC_ARRAYS] = {g * s1, g * (0.5 * s2), g * (GC_LOSS_NEAR_C3 * s3), t0, t1,
                                 st, l0, cmax};
    double all = 0.0;
    for (int a = 0; a < LC_ARRAYS; a++) {
        lc[(size_t)a * Wc + (size_t)q] = v[a];
        all += v[a];
    }
    return all - all == 0.0 && fabs(st - 1.0) <= 0x1p-40;
}

/* Every column's coefficients, the columns past B zero; 0 when some
 * column's line cannot be taken. */
static int line_coefs(double *lc, const near_head *h, const double *d, const double *w)
{
    const size_t Wc = line_width(h->B);
    int ok = 1;
    for (int q = 0; q < h->B; q++)
        ok &= line_column(lc, Wc, h, d, w, q);
    for (size_t a = 0; a < LC_ARRAYS; a++)
        for (size_t q = (size_t)h->B; q < Wc; q++)
            lc[a * Wc + q] = 0.0;
    return ok;
}

/* B = 1: the losses at d[0 .. LINE_GROUP), one variant a lane, and far[v]
 * = 1 where some |x_i| may exceed tau (or d is not finite); returns how
 * many.  A column's value is its two terms' sum, as values_near's. */
GC_VFUNC(int, line_group,
         (double *restrict L, unsigned char *restrict far, const double *restrict lc,
          const double *restrict d),
         (L, far, lc, d))
{
    const double a1 = lc[LC_A1 * LINE_GROUP], a2 = lc[LC_A2 * LINE_GROUP];
    const double a3 = lc[LC_A3 * LINE_GROUP], t0 = lc[LC_T0 * LINE_GROUP];
    const double t1 = lc[LC_T1 * LINE_GROUP], st = lc[LC_ST * LINE_GROUP];
    const double l0 = lc[LC_L0 * LINE_GROUP], cmax = lc[LC_CMAX * LINE_GROUP];
    double fd[LINE_GROUP];
    for (int v = 0; v < LINE_GROUP; v++) {
        const double dv = d[v], y = dv * (a1 + dv * (a2 + dv * a3));
        const double ly = near_log1p(y);
        L[v] = (t0 + dv * t1) + st * (l0 + ly);
        fd[v] = fabs(dv) * cmax <= GC_LOSS_NEAR_TAU ? 0.0 : 1.0;
    }
    int nfar = 0;
    for (int v = 0; v < LINE_GROUP; v++) {
        far[v] = fd[v] != 0.0;
        nfar += fd[v] != 0.0;
    }
    return nfar;
}

/* B = 1: line_group over d[0 .. n), the tail padded. */
static size_t line_one(double *L, unsigned char *far, const double *lc, const double *d,
                       size_t n)
{
    size_t v = 0, nfar = 0;
    for (; v + LINE_GROUP <= n; v += LINE_GROUP)
        nfar += (size_t)line_group(L + v, far + v, lc, d + v);
    if (v < n) {
        double dp[LINE_GROUP] = {0.0}, lp[LINE_GROUP];
        unsigned char fp[LINE_GROUP];
        memcpy(dp, d + v, (n - v) * sizeof *dp);
        line_group(lp, fp, lc, dp);
        memcpy(L + v, lp, (n - v) * sizeof *lp);
        memcpy(far + v, fp, n - v);
        for (size_t q = v; q < n; q++)
            nfar += far[q];
    }
    return nfar;
}

/* B > 1: columns c0 .. c0 + LINE_GROUP - 1 of one variant (lc and d from
 * column c0 on): (ps, pc) as values_near's (the column's two terms by
 * TwoSum); nonzero when some column is far. */
GC_VFUNC(int, line_cols,
         (double *restrict ps, double *restrict pc, const double *restrict lc, size_t Wc,
          const double *restrict d),
         (ps, pc, lc, Wc, d))
{
    const double *a1 = lc + LC_A1 * Wc, *a2 = lc + LC_A2 * Wc, *a3 = lc + LC_A3 * Wc;
    const double *t0 = lc + LC_T0 * Wc, *t1 = lc + LC_T1 * Wc, *st = lc + LC_ST * Wc;
    const double *l0 = lc + LC_L0 * Wc, *cmax = lc + LC_CMAX * Wc;
    double fd = 0.0;
    for (int q = 0; q < LINE_GROUP; q++) {
        const double dv = d[q], y = dv * (a1[q] + dv * (a2[q] + dv * a3[q]));
        const double ly = near_log1p(y);
        const double tt = t0[q] + dv * t1[q], x = st[q] * (l0[q] + ly);
        const double s = tt + x, bp = s - tt;
        ps[q] = s;
        pc[q] = (tt - (s - bp)) + (x - bp);
        fd += fabs(dv) * cmax[q] <= GC_LOSS_NEAR_TAU ? 0.0 : 1.0;
    }
    return fd != 0.0;
}

/* B > 1: variant v's columns, combined as values_near combines them. */
GC_VFUNC(size_t, line_many,
         (double *L, unsigned char *far, const double *lc, const double *d, size_t n, int B,
          double *ps),
         (L, far, lc, d, n, B, ps))
{
    const size_t Wc = line_width(B);
    double *pc = ps + Wc, *dp = pc + Wc;
    size_t nfar = 0;
    for (size_t v = 0; v < n; v++) {
        const double *dv = d + v * (size_t)B;
        int any = 0;
        for (size_t c0 = 0; c0 < (size_t)B; c0 += LINE_GROUP) {
            const double *dc = dv + c0;
            if (c0 + LINE_GROUP > (size_t)B) { /* the last columns: padded */
                memset(dp, 0, LINE_GROUP * sizeof *dp);
                memcpy(dp, dc, ((size_t)B - c0) * sizeof *dp);
                dc = dp;
            }
            any |= line_cols(ps + c0, pc + c0, lc + c0, Wc, dc);
        }
        double s[SUM_LANES] = {0.0}, c[SUM_LANES] = {0.0};
        lanes_add(s, c, ps, pc, B);
        L[v] = lanes_total(s, c) / (double)B;
        far[v] = (unsigned char)any;
        nfar += (size_t)any;
    }
    return nfar;
}

int gc_softmax_ce_line(void *work, const void *state, const double *w)
{
    const near_head *h = state;
    return h->rows >= 3 && line_coefs(work, h, near_arrays_c(state), w);
}

size_t gc_softmax_ce_values_line(double *L, unsigned char *far, const double *d, size_t n,
                                 const void *state, void *work)
{
    const near_head *h = state;
    double *lc = work;
    if (h->B == 1)
        return line_one(L, far, lc, d, n);
    return line_many(L, far, lc, d, n, h->B, lc + LC_ARRAYS * line_width(h->B));
}
