/*
 * mat.c -- dense row-major matrices of double.
 *
 * The smallest thing that can hold a batch: rows x cols doubles in one
 * allocation, owned by the matrix.  Zero-sized matrices are refused so that
 * every caller may assume rows, cols >= 1.
 */
#include "gradcheck/mat.h"
#include "gradcheck/base.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

gc_mat *gc_mat_new(int rows, int cols)
{
    if (rows < 1 || cols < 1)
        return NULL;
    /* rows * cols * sizeof(double) must fit in size_t. */
    if ((size_t)rows > SIZE_MAX / sizeof(double) / (size_t)cols)
        return NULL;
    gc_mat *m = malloc(sizeof *m);
    if (m == NULL)
        return NULL;
    m->data = calloc((size_t)rows * (size_t)cols, sizeof(double));
    if (m->data == NULL) {
        free(m);
        return NULL;
    }
    m->rows = rows;
    m->cols = cols;
    return m;
}

gc_mat *gc_mat_dup(const gc_mat *src)
{
    if (src == NULL)
        return NULL;
    gc_mat *m = gc_mat_new(src->rows, src->cols);
    if (m != NULL)
        memcpy(m->data, src->data, gc_mat_size(src) * sizeof(double));
    return m;
}

void gc_mat_free(gc_mat *m)
{
    if (m == NULL)
        return;
    free(m->data);
    free(m);
}

int gc_mat_copy(gc_mat *dst, const gc_mat *src)
{
    if (dst == NULL || src == NULL)
        return GC_EINVAL;
    if (dst->rows != src->rows || dst->cols != src->cols)
        return GC_ESHAPE;
    memcpy(dst->data, src->data, gc_mat_size(src) * sizeof(double));
    return GC_OK;
}

void gc_mat_fill(gc_mat *m, double v)
{
    size_t n = gc_mat_size(m); /* 0 for NULL */
    for (size_t i = 0; i < n; i++)
        m->data[i] = v;
}

size_t gc_mat_size(const gc_mat *m)
{
    if (m == NULL)
        return 0;
    return (size_t)m->rows * (size_t)m->cols;
}

/* Scaled so that no square overflows or underflows: ||m|| = s sqrt(sum (x/s)^2)
 * with s the largest |x|. */
double gc_mat_norm(const gc_mat *m)
{
    size_t n = gc_mat_size(m);
    double s = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(m->data[i]);
        if (isnan(a))
            return NAN;
        if (a > s)
            s = a;
    }
    if (s == 0.0 || isinf(s))
        return s;
    for (size_t i = 0; i < n; i++)
        sum += (m->data[i] / s) * (m->data[i] / s);
    return s * sqrt(sum);
}
