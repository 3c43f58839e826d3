/*
 * nn/loss_internal.h -- what loss.c and softmax_batch.c share (private):
 * the compensated sum, softmax_ce's column max, and softmax_ce's batch
 * forms (gc_loss.values, base_size, base, values_near: softmax_batch.c;
 * line, values_line: softmax_line.c) and the base state's layout they share;
 * and bce's backward through a softmax (loss.c), which net.c calls.
 */
#ifndef GC_NN_LOSS_INTERNAL_H
#define GC_NN_LOSS_INTERNAL_H

#include "gradcheck/layer.h"

#include <math.h>
#include <stddef.h>

/* A compensated sum (Neumaier's variant of Kahan's): the error of the total
 * is about 2u |total| plus n u^2 sum |x|, instead of n u sum |x|. */
typedef struct ksum {
    double s, c;
} ksum;

static inline void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double ksum_total(const ksum *k)
{
    return k->s + k->c;
}

/* Column c's log-sum-exp as m + log1p(r): m the column's max (at row k)
 * and r = sum_{i != k} e^(z_i - m), every exp argument <= 0.  Keeping the
 * 1 of row k out of r lets log1p resolve a tiny r that 1 + r would lose. */
static inline double column_max(const gc_mat *Z, int c, int *k)
{
    *k = 0;
    for (int i = 1; i < Z->rows; i++)
        if (GC_AT(Z, i, c) > GC_AT(Z, *k, c))
            *k = i;
    return GC_AT(Z, *k, c);
}

/* ---- what softmax_batch.c and softmax_line.c share ---------------------- */

/* Columns per block of softmax_ce_values: its per-column state on the stack. */
#define VBLOCK 64

/* Lanes of the compensated sum over a variant's columns. */
#define SUM_LANES 8

/* A variant's sum over its B columns, column j in lane j mod SUM_LANES:
 * each lane s + c, s a running sum by Knuth's TwoSum (exact: every
 * rounding error goes into c) and c the errors and the columns'
 * compensations; the lanes combined by TwoSum too (lanes_total).  A
 * variant wider than a block carries its lanes here.  Its only
 * roundings are those of c (terms of size u |column|) and of the final
 * s + c: within 1.1 u of the exact sum of the columns' (sum +
 * compensation), for columns >= 0, independent lanes where one ksum
 * would be a chain of B dependent steps. */
typedef struct var_sum {
    double s[SUM_LANES], c[SUM_LANES];
} var_sum;

static inline void two_sum(double *s, double *c, double x)
{
    const double t = *s + x, bp = t - *s;
    *c += (*s - (t - bp)) + (x - bp);
    *s = t;
}

/* Columns j0 .. j0 + n - 1 of a variant (j0 a multiple of SUM_LANES) into
 * the lanes (s, c). */
static inline void lanes_add(double *restrict s, double *restrict c, const double *restrict ps,
                             const double *restrict pc, int n)
{
    int j = 0;
    for (; j + SUM_LANES <= n; j += SUM_LANES)
        for (int l = 0; l < SUM_LANES; l++) {
            two_sum(&s[l], &c[l], ps[j + l]);
            c[l] += pc[j + l];
        }
    for (int l = 0; j + l < n; l++) {
        two_sum(&s[l], &c[l], ps[j + l]);
        c[l] += pc[j + l];
    }
}

/* The lanes' total: halves added by TwoSum, their c's plainly. */
static inline double lanes_total(double *restrict s, double *restrict c)
{
    for (int h = SUM_LANES / 2; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) {
            two_sum(&s[l], &c[l], s[l + h]);
            c[l] += c[l + h];
        }
    return s[0] + c[0];
}

#ifndef GC_LOSS_NEAR_TAU /* -DGC_LOSS_NEAR_TAU=0x1p-8 builds a mutant check_vmath.c catches */
#define GC_LOSS_NEAR_TAU 0x1p-13
#endif
#ifndef GC_LOSS_NEAR_C3 /* -DGC_LOSS_NEAR_C3=0.2 builds another */
#define GC_LOSS_NEAR_C3 (1.0 / 6.0)
#endif

/* log1p(y) for |y| small (values_near's and values_line's y: within the
 * reach that GC_LOSS_NEAR_TAU gives), as the quartic y - y^2/2 + y^3/3 -
 * y^4/4 in Horner's form; its truncation is in the bound of
 * lib/gradcheck/layer.h. */
static inline double near_log1p(double y)
{
    return y * (1.0 + y * (-0.5 + y * (1.0 / 3.0 - 0.25 * y)));
}

/* The state's header; its arrays of doubles start NEAR_HEAD bytes in. */
typedef struct near_head {
    int rows, B, W;
} near_head;
#define NEAR_HEAD 64

/* Lanes of each of the state's rows: a block's lane q is base column
 * q mod B (B <= VBLOCK: blocks of whole variants), or column off + q of
 * the block's variant (B > VBLOCK: blocks of VBLOCK columns of one). */
static inline int near_lanes(int B)
{
    return B <= VBLOCK ? VBLOCK : (B + VBLOCK - 1) / VBLOCK * VBLOCK;
}

/* The arrays, each row W lanes: b, E and t (rows x W each), then l0 =
 * log1p(r), g = 1 / (1 + r), st = sum t, k (as a double), then tany (rows:
 * 1 where some target of the row is not 0). */
enum { NEAR_L0 = 0, NEAR_G, NEAR_ST, NEAR_K, NEAR_LANE_ARRAYS };

/* The state's arrays (NEAR_HEAD bytes in). */
static inline double *near_arrays(void *state)
{
    return (double *)((char *)state + NEAR_HEAD);
}

static inline const double *near_arrays_c(const void *state)
{
    return (const double *)((const char *)state + NEAR_HEAD);
}

/* softmax_ce's batch ops, as gc_loss documents them. */
void gc_softmax_ce_values(double *L, const gc_mat *P, const gc_mat *T);
size_t gc_softmax_ce_base_size(int rows, int B);
void gc_softmax_ce_base(void *state, const gc_mat *Z, const gc_mat *T);
void gc_softmax_ce_values_near(double *L, const gc_mat *P, const gc_mat *T, const void *state);
int gc_softmax_ce_line(void *work, const void *state, const double *w);
size_t gc_softmax_ce_values_line(double *L, unsigned char *far, const double *d, size_t n,
                                 const void *state, void *work);

/* dZ = dL/dZ of bce on softmax(Z) in one step (loss.c derives it), over
 * the two-step values dZ holds (bce's grad, then softmax's backward): each
 * column it can take is replaced, the others left.  P = softmax(Z) as
 * softmax's forward cached it, T the targets; every matrix out x B.
 * gc_net_backward takes it for a network ending in the built-in softmax
 * with the loss bce. */
void gc_softmax_bce_backward(gc_mat *dZ, const gc_mat *Z, const gc_mat *P, const gc_mat *T);

#endif
