/*
 * loss.c -- the built-in losses L(P, T), P the network output and T the
 * targets, both out x B (one column per example).
 *
 * Reductions follow PyTorch's reduction='mean' so that a network exported
 * from there gives the same number: bce, bce_logits and mse average over all
 * N = out * B elements; softmax_ce sums over the units of a column and
 * averages over the B columns.  Each gradient is derived beside its loss.
 *
 * Every value is written so that its rounding error scales with the loss
 * itself, not with the size of the numbers it is made of: the sums over
 * elements are compensated (a mean over 10^6 examples is as exact as over
 * one), and no term is a difference of two large numbers that cancel.  A
 * finite difference of the loss divides that error by ε: a loss known to
 * u|L| is what makes a central difference good to u|L|/ε.
 */
#include "gradcheck/layer.h"
#include "nn/sigmoid.h"
#include "nn/vmath.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* A compensated sum (Neumaier's variant of Kahan's): the error of the total
 * is about 2u |total| plus n u^2 sum |x|, instead of n u sum |x|. */
typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static double ksum_total(const ksum *k)
{
    return k->s + k->c;
}

/* Every t in [0, 1] (NaN fails the test as written). */
static int require_unit_interval(const gc_mat *T, gc_error *err)
{
    for (int r = 0; r < T->rows; r++)
        for (int c = 0; c < T->cols; c++) {
            double t = GC_AT(T, r, c);
            if (!(t >= 0.0 && t <= 1.0))
                return gc_error_set(err, GC_ERANGE, "y[%d][%d]: expected a value in [0, 1], got %g",
                                    c, r, t);
        }
    return GC_OK;
}

/* ---- bce on probabilities (the classic) -------------------------------- */

/* L = -(1/N) sum (t log p + (1 - t) log(1 - p)).  No clamping: p exactly 0
 * or 1 gives Inf or NaN, which the engine reports as a failure (a saturated
 * sigmoid output cannot be checked on probabilities; use bce_logits). */
static double bce_value(const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    ksum s = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        double p = P->data[i], t = T->data[i];
        ksum_add(&s, t * log(p) + (1.0 - t) * log1p(-p));
    }
    return -ksum_total(&s) / (double)n;
}

/* dL/dp = -(1/N) (t / p - (1 - t) / (1 - p)) = (p - t) / (p (1 - p)) / N. */
static void bce_grad(gc_mat *dP, const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    for (size_t i = 0; i < n; i++) {
        double p = P->data[i], t = T->data[i];
        dP->data[i] = (p - t) / (p * (1.0 - p)) / (double)n;
    }
}

const gc_loss gc_loss_bce = {"bce", bce_value, bce_grad, require_unit_interval, NULL};

/* ---- bce on logits ------------------------------------------------------ */

/* With p = sigma(z): -(t log p + (1 - t) log(1 - p)) = log(1 + e^z) - t z
 * = max(z, 0) - z t + log1p(e^-|z|), and max(z, 0) - z t is z (1 - t) for
 * z > 0, -z t otherwise: no exp of a positive number (finite for logits of
 * any finite size) and no cancellation of z against z t. */
static double bce_logits_value(const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    ksum s = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        double z = P->data[i], t = T->data[i];
        ksum_add(&s, (z > 0.0 ? z * (1.0 - t) : -z * t) + log1p(exp(-fabs(z))));
    }
    return ksum_total(&s) / (double)n;
}

/* d/dz (log(1 + e^z) - t z) = sigma(z) - t; divided by N. */
static void bce_logits_grad(gc_mat *dP, const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    for (size_t i = 0; i < n; i++)
        dP->data[i] = (gc_sigmoid(P->data[i]) - T->data[i]) / (double)n;
}

const gc_loss gc_loss_bce_logits = {"bce_logits", bce_logits_value, bce_logits_grad,
                                    require_unit_interval, NULL};

/* ---- mean squared error -------------------------------------------------- */

/* L = (1/N) sum (p - t)^2. */
static double mse_value(const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    ksum s = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) {
        double d = P->data[i] - T->data[i];
        ksum_add(&s, d * d);
    }
    return ksum_total(&s) / (double)n;
}

/* dL/dp = 2 (p - t) / N. */
static void mse_grad(gc_mat *dP, const gc_mat *P, const gc_mat *T)
{
    size_t n = gc_mat_size(P);
    for (size_t i = 0; i < n; i++)
        dP->data[i] = 2.0 * (P->data[i] - T->data[i]) / (double)n;
}

/* Any finite target. */
static int mse_check_target(const gc_mat *T, gc_error *err)
{
    for (int r = 0; r < T->rows; r++)
        for (int c = 0; c < T->cols; c++)
            if (!isfinite(GC_AT(T, r, c)))
                return gc_error_set(err, GC_ERANGE, "y[%d][%d]: expected a finite value, got %g",
                                    c, r, GC_AT(T, r, c));
    return GC_OK;
}

const gc_loss gc_loss_mse = {"mse", mse_value, mse_grad, mse_check_target, NULL};

/* ---- softmax cross-entropy on logits ------------------------------------- */

/* Column c's log-sum-exp as m + log1p(r): m the column's max (at row k)
 * and r = sum_{i != k} e^(z_i - m), every exp argument <= 0.  Keeping the
 * 1 of row k out of r lets log1p resolve a tiny r that 1 + r would lose. */
static double column_max(const gc_mat *Z, int c, int *k)
{
    *k = 0;
    for (int i = 1; i < Z->rows; i++)
        if (GC_AT(Z, i, c) > GC_AT(Z, *k, c))
            *k = i;
    return GC_AT(Z, *k, c);
}

static double column_rest(const gc_mat *Z, int c, int k, double m)
{
    double r = 0.0;
    for (int i = 0; i < Z->rows; i++)
        if (i != k)
            r += exp(GC_AT(Z, i, c) - m);
    return r;
}

/* L = (1/B) sum_c -sum_i t_ic (z_ic - lse_c)
 *   = (1/B) sum_c [ sum_i t_ic (m_c - z_ic) + (sum_i t_ic) log1p(r_c) ]:
 * every m - z >= 0, so nothing of the size of the logits cancels and the
 * error scales with the loss (logits of +-1e3 included). */
static double softmax_ce_value(const gc_mat *P, const gc_mat *T)
{
    ksum s = {0.0, 0.0};
    for (int c = 0; c < P->cols; c++) {
        int k;
        double m = column_max(P, c, &k);
        double st = 0.0;
        for (int i = 0; i < P->rows; i++) {
            double t = GC_AT(T, i, c);
            st += t;
            if (t != 0.0)
                ksum_add(&s, t * (m - GC_AT(P, i, c)));
        }
        ksum_add(&s, st * log1p(column_rest(P, c, k, m)));
    }
    return ksum_total(&s) / (double)P->cols;
}

/* Columns per block of softmax_ce_values: its per-column state on the stack. */
#define VBLOCK 64

/* One step of ksum_add where `take` (else none), both sides computed and
 * then selected, so that the compiler can vectorise it: what ksum_add(k,
 * x) does, bit for bit, in the lanes where take is set. */
static inline void ksum_lane(double *s, double *c, double x, int take)
{
    const double s0 = *s, c0 = *c, t = s0 + x;
    const double big = (s0 - t) + x, small = (x - t) + s0;
    const double cn = c0 + (fabs(s0) >= fabs(x) ? big : small);
    *c = take ? cn : c0;
    *s = take ? t : s0;
}

/* Row i of P from column c0 on: P itself for a whole block, else its w
 * columns copied into z[0 .. VBLOCK) and padded with 0. */
static inline const double *block_row(double *z, const gc_mat *P, int i, int c0, int w)
{
    if (w == VBLOCK)
        return &GC_AT(P, i, c0);
    memcpy(z, &GC_AT(P, i, c0), (size_t)w * sizeof *z);
    for (int q = w; q < VBLOCK; q++)
        z[q] = 0.0;
    return z;
}

/* e = z - m over a block (z may be P itself, which e is not). */
static inline void block_sub(double *restrict e, const double *restrict z,
                             const double *restrict m)
{
    for (int q = 0; q < VBLOCK; q++)
        e[q] = z[q] - m[q];
}

/* t[q] = T[i][(c0 + q) mod B] for q < VBLOCK: the targets of row i for
 * the block's columns, in runs of T's row. */
static inline void block_targets(double *t, const gc_mat *T, int i, int c0)
{
    const int B = T->cols;
    const double *Ti = &GC_AT(T, i, 0);
    if (B == 1) {
        for (int q = 0; q < VBLOCK; q++)
            t[q] = Ti[0];
        return;
    }
    for (int q = 0, c = c0 % B; q < VBLOCK; c = 0) {
        const int len = B - c < VBLOCK - q ? B - c : VBLOCK - q;
        memcpy(t + q, Ti + c, (size_t)len * sizeof *t);
        q += len;
    }
}

/*
 * Columns c0 .. c0 + w - 1 of softmax_ce_value, each column's own sum:
 * (ps[q], pc[q]) = the ksum (sum, compensation) of column c0 + q's terms
 * t_i (m - z_i) (rows with t_i != 0, in row order) and (sum t) log1p(r),
 * as softmax_ce_value adds them; the max m, its row k, r = sum_{i != k} e^(z_i - m) likewise.  The
 * exps of a row of the block and the block's log1p's go through SLEEF
 * (nn/vmath.h), and r's sum is compensated (TwoSum), which makes these
 * losses no less accurate than the scalar ones although SLEEF's exp is
 * not correctly rounded.
 */
GC_VCLONES static void softmax_ce_block(double *ps, double *pc, const gc_mat *P, const gc_mat *T,
                                        int c0, int w)
{
    const int rows = P->rows;
    double zb[VBLOCK], m[VBLOCK], kd[VBLOCK], r[VBLOCK], e[VBLOCK], t[VBLOCK];
    double st[VBLOCK], s[VBLOCK], c[VBLOCK], rc[VBLOCK];
    memcpy(m, block_row(zb, P, 0, c0, w), sizeof m);
    for (int q = 0; q < VBLOCK; q++) {
        kd[q] = 0.0; /* the row of the max, as a double: every lane a double */
        r[q] = rc[q] = st[q] = s[q] = c[q] = 0.0;
    }
    for (int i = 1; i < rows; i++) {
        const double *z = block_row(zb, P, i, c0, w), di = (double)i;
        for (int q = 0; q < VBLOCK; q++) {
            const double zq = z[q], mq = m[q], kq = kd[q];
            const int gt = zq > mq;
            m[q] = gt ? zq : mq;
            kd[q] = gt ? di : kq;
        }
    }
    for (int i = 0; i < rows; i++) {
        const double *z = block_row(zb, P, i, c0, w), di = (double)i;
        /* B = 1: every lane has the same target; a row whose is 0 adds none */
        const int any = T->cols != 1 || GC_AT(T, i, 0) != 0.0;
        block_targets(t, T, i, c0);
        block_sub(e, z, m);
        gc_vexp(e, e, VBLOCK);
        for (int q = 0; q < VBLOCK; q++) {
            /* r + e and its rounding error (Knuth's TwoSum), row k's not added */
            const double rq = r[q], eq = e[q], rn = rq + eq, bp = rn - rq;
            const double err = (rq - (rn - bp)) + (eq - bp), skip = kd[q] == di;
            r[q] = skip ? rq : rn;
            rc[q] += skip ? 0.0 : err;
            st[q] += t[q];
        }
        if (any)
            for (int q = 0; q < VBLOCK; q++)
                ksum_lane(&s[q], &c[q], t[q] * (m[q] - z[q]), t[q] != 0.0);
    }
    for (int q = 0; q < VBLOCK; q++)
        r[q] += rc[q];
    gc_vlog1p(r, r, VBLOCK);
    for (int q = 0; q < VBLOCK; q++) {
        ksum_lane(&s[q], &c[q], st[q] * r[q], 1);
        ps[q] = s[q];
        pc[q] = c[q];
    }
}

/* softmax_ce_value of every variant (gc_loss.values).  B = 1: each column
 * is a variant and its value is softmax_ce_value's sums in its order; B >
 * 1: each column's compensated sum, then one over the B columns' sums and
 * compensations (the scalar form runs one ksum through all the terms: the
 * same terms, each total within 2u of its exact sum). */
static void softmax_ce_values(double *L, const gc_mat *P, const gc_mat *T)
{
    const int B = T->cols, N = P->cols;
    double ps[VBLOCK], pc[VBLOCK];
    ksum v = {0.0, 0.0};
    int cb = 0, var = 0; /* column c0 + q is column cb of variant var */
    for (int c0 = 0; c0 < N; c0 += VBLOCK) {
        const int w = N - c0 < VBLOCK ? N - c0 : VBLOCK;
        softmax_ce_block(ps, pc, P, T, c0, w);
        if (B == 1) {
            for (int q = 0; q < w; q++)
                L[c0 + q] = (ps[q] + pc[q]) / 1.0;
            continue;
        }
        for (int q = 0; q < w; q++) {
            if (cb == 0)
                v = (ksum){0.0, 0.0};
            ksum_add(&v, ps[q]); /* the column's sum and its compensation */
            ksum_add(&v, pc[q]);
            if (++cb == B) {
                L[var++] = ksum_total(&v) / (double)B;
                cb = 0;
            }
        }
    }
}

/* d lse / dz_j = softmax(z)_j = e^(z_j - m) / (1 + r), so for one column
 *   dL/dz_j = -t_j + softmax(z)_j sum_i t_i,
 * divided by B.  (sum_i t_i = 1 for a valid target; kept general so the
 * gradient matches the value for any T.) */
static void softmax_ce_grad(gc_mat *dP, const gc_mat *P, const gc_mat *T)
{
    double B = (double)P->cols;
    for (int c = 0; c < P->cols; c++) {
        int k;
        double m = column_max(P, c, &k);
        double s = 1.0 + column_rest(P, c, k, m);
        double st = 0.0;
        for (int i = 0; i < P->rows; i++)
            st += GC_AT(T, i, c);
        for (int i = 0; i < P->rows; i++)
            GC_AT(dP, i, c) = (exp(GC_AT(P, i, c) - m) / s * st - GC_AT(T, i, c)) / B;
    }
}

/* Every column a distribution: entries >= 0 (finite), summing to 1 within
 * 1e-9 (room for rounding in targets written with ~16 digits). */
static int softmax_ce_check_target(const gc_mat *T, gc_error *err)
{
    for (int c = 0; c < T->cols; c++) {
        double s = 0.0;
        for (int r = 0; r < T->rows; r++) {
            double t = GC_AT(T, r, c);
            if (!(t >= 0.0 && t <= 1.0))
                return gc_error_set(err, GC_ERANGE, "y[%d][%d]: expected a value in [0, 1], got %g",
                                    c, r, t);
            s += t;
        }
        if (!(fabs(s - 1.0) <= 1e-9))
            return gc_error_set(err, GC_ERANGE,
                                "y[%d]: expected the example's targets to sum to 1, got %.17g", c, s);
    }
    return GC_OK;
}

const gc_loss gc_loss_softmax_ce = {"softmax_ce", softmax_ce_value, softmax_ce_grad,
                                    softmax_ce_check_target, softmax_ce_values};

const gc_loss *gc_loss_by_name(const char *name)
{
    static const gc_loss *const all[] = {&gc_loss_bce, &gc_loss_bce_logits, &gc_loss_mse,
                                         &gc_loss_softmax_ce};
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, all[i]->name) == 0)
            return all[i];
    return NULL;
}
