/*
 * nn/loss_internal.h -- what loss.c and softmax_batch.c share (private):
 * the compensated sum, softmax_ce's column max, and softmax_ce's batch
 * forms (gc_loss.values, base_size, base, values_near, values_line;
 * softmax_batch.c).
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

/* softmax_ce's batch ops, as gc_loss documents them. */
void gc_softmax_ce_values(double *L, const gc_mat *P, const gc_mat *T);
size_t gc_softmax_ce_base_size(int rows, int B);
void gc_softmax_ce_base(void *state, const gc_mat *Z, const gc_mat *T);
void gc_softmax_ce_values_near(double *L, const gc_mat *P, const gc_mat *T, const void *state);
size_t gc_softmax_ce_values_line(double *L, unsigned char *far, const double *w,
                                 const double *d, size_t n, const void *state);

#endif
