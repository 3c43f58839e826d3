/*
 * gradcheck/mat.h -- dense row-major matrices of double.
 *
 * A batch is a matrix with one column per example (features x batch).
 * Element (r, c) of an R x C matrix is data[r * C + c].
 */
#ifndef GRADCHECK_MAT_H
#define GRADCHECK_MAT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gc_mat {
    int rows;     /* > 0 */
    int cols;     /* > 0 */
    double *data; /* rows * cols doubles, row-major; owned by the matrix */
} gc_mat;

/* Element (r, c) as an lvalue.  No bounds check. */
#define GC_AT(m, r, c) ((m)->data[(size_t)(r) * (size_t)(m)->cols + (size_t)(c)])

/* A new zero-filled rows x cols matrix, or NULL when rows or cols < 1 or
 * memory runs out.  Free with gc_mat_free. */
gc_mat *gc_mat_new(int rows, int cols);

/* A new copy of src, or NULL (src NULL or out of memory). */
gc_mat *gc_mat_dup(const gc_mat *src);

/* Free m; NULL is a no-op. */
void gc_mat_free(gc_mat *m);

/* Copy src into dst.  GC_ESHAPE when the shapes differ, GC_EINVAL when
 * either is NULL. */
int gc_mat_copy(gc_mat *dst, const gc_mat *src);

/* Set every element to v; NULL is a no-op. */
void gc_mat_fill(gc_mat *m, double v);

/* Number of elements (rows * cols); 0 for NULL. */
size_t gc_mat_size(const gc_mat *m);

/* The Frobenius norm sqrt(sum of squares), computed without overflow; 0 for
 * NULL, NaN when an element is NaN, Inf when one is infinite. */
double gc_mat_norm(const gc_mat *m);

#ifdef __cplusplus
}
#endif

#endif
