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
#include "nn/loss_internal.h"
#include "nn/sigmoid.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

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

const gc_loss gc_loss_bce = {.name = "bce", .value = bce_value, .grad = bce_grad,
                             .check_target = require_unit_interval};

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

const gc_loss gc_loss_bce_logits = {.name = "bce_logits", .value = bce_logits_value,
                                    .grad = bce_logits_grad, .check_target = require_unit_interval};

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

const gc_loss gc_loss_mse = {.name = "mse", .value = mse_value, .grad = mse_grad,
                             .check_target = mse_check_target};

/* ---- softmax cross-entropy on logits ------------------------------------- */


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

const gc_loss gc_loss_softmax_ce = {.name = "softmax_ce",
                                    .value = softmax_ce_value,
                                    .grad = softmax_ce_grad,
                                    .check_target = softmax_ce_check_target,
                                    .values = gc_softmax_ce_values,
                                    .base_size = gc_softmax_ce_base_size,
                                    .base = gc_softmax_ce_base,
                                    .values_near = gc_softmax_ce_values_near,
                                    .line = gc_softmax_ce_line,
                                    .values_line = gc_softmax_ce_values_line};

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

/* ---- bce on a softmax's output, backward through both ------------------- */

/* dL/dz for L = bce(softmax(Z), T), column by column, without forming 1 - p
 * from p.  With e_i = e^(z_i - m) (m = z_k the column's max), r = sum_{i != k}
 * e_i and s = 1 + r: p_i = e_i / s and q_i = 1 - p_i = r / s for i = k,
 * (s - e_i) / s otherwise (e_i <= 1 <= s - e_i: no cancellation).  With
 * p_i g_i = p_i dL/dp_i N = (p_i - t_i) / q_i =: w_i, where p_i - t_i =
 * p_i (1 - t_i) - t_i q_i =: d_i (two terms >= 0), softmax's backward
 * p_j (g_j - sum_i p_i g_i) is w_j q_j - p_j sum_{i != j} w_i, i.e.
 *   dz_j = (d_j - p_j S_j) / N,  S_j = sum_{i != j} w_i,
 * S_k summed directly and S_j = (S_k - w_j) + w_k for j != k.  Every w_i
 * but w_k is in [-1, 1] (p_i <= 1/2 <= q_i).  The two-step form
 * (bce_grad, then softmax_backward) takes q_k = 1 - p_k from a p_k rounded
 * near 1, good only to u / q_k relative (3% at q_k = 3.4e-15), and then
 * cancels p_k g_k ~ 1 / q_k against sum_i p_i g_i, losing u / q_k absolute:
 * dz_k's error grows as 1 / q_k while dz_k stays of order 1.  Here every
 * term is of the size of the result's own terms.
 *
 * A column where some p_i (softmax's cached output) is not in (0, 1), or
 * whose q_k is 0, is left as it is: the caller's two-step values (bce_grad,
 * then softmax's backward), where the loss or the gradient is not finite
 * and stays so.  A column taken has its exps formed twice (once for q_k,
 * once kept in dZ's column, the scratch); no allocation. */
void gc_softmax_bce_backward(gc_mat *dZ, const gc_mat *Z, const gc_mat *P, const gc_mat *T)
{
    const double n = (double)gc_mat_size(P);
    for (int c = 0; c < Z->cols; c++) {
        int k;
        const double m = column_max(Z, c, &k);
        double r = 0.0;
        int open = 1; /* every p in (0, 1) */
        for (int i = 0; i < Z->rows; i++) {
            if (i != k)
                r += exp(GC_AT(Z, i, c) - m);
            const double p = GC_AT(P, i, c);
            open &= p > 0.0 && p < 1.0;
        }
        const double s = 1.0 + r, qk = r / s;
#ifdef GC_SOFTMAX_BCE_TWO_STEP_MUTANT /* the two-step arithmetic always: check_loss.c catches it */
        open = 0;
#endif
        if (!(open && qk > 0.0))
            continue;
        double sk = 0.0, wk = 0.0;
        for (int i = 0; i < Z->rows; i++) {
            const double e = i == k ? 1.0 : exp(GC_AT(Z, i, c) - m);
            const double t = GC_AT(T, i, c), p = e / s;
            const double q = i == k ? qk : (s - e) / s;
            const double w = (p * (1.0 - t) - t * q) / q;
            GC_AT(dZ, i, c) = e;
            if (i == k)
                wk = w;
            else
                sk += w;
        }
        for (int j = 0; j < Z->rows; j++) {
            const double e = GC_AT(dZ, j, c), t = GC_AT(T, j, c), p = e / s;
            const double q = j == k ? qk : (s - e) / s;
            const double d = p * (1.0 - t) - t * q;
            const double sj = j == k ? sk : (sk - d / q) + wk;
            GC_AT(dZ, j, c) = (d - p * sj) / n;
        }
    }
}
