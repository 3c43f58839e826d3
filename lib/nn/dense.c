/*
 * dense.c -- the dense (fully connected) layer, Y = W X + b.
 *
 * Shapes: X in x B, W out x in, b out x 1 (broadcast over the B columns),
 * Y out x B.  It declares GC_CAP_AFFINE (param[0] = W, param[1] = b) so that
 * faster engines may propagate a perturbation of W, b or X linearly.
 *
 * Every output element is one sum in a fixed order (forward: b, then over
 * a row of W from its first weight; dX: over the rows of W from the first;
 * dW and db: over the batch's columns from the first), and that order is
 * the element's definition: the kernels below compute LANES
 * elements side by side, each lane exactly the plain loop's sequence of
 * multiplies and adds (-std=c11 does not contract them into fused
 * multiply-adds), so an element's bits do not depend on which kernel, tile
 * or vector width computed it.  Their lane loops have a fixed length over
 * local arrays, which -O2 vectorises at the width GC_VVOID chose.
 */
#include "gradcheck/layer.h"
#include "nn/dense_internal.h"
#include "nn/vmath.h"

#include <stddef.h>

#define LANES 8 /* elements computed side by side: adjacent columns or weights */
#define TILE 4  /* rows of W (forward, dX) or of dY (dW) sharing each load */
#define CB 64   /* columns of X transposed at a time for dW */

/* ---- forward and dX: sums over the rows of a matrix, lanes over columns -- */

/* out[r ldo + l] = init[r] + sum_k a_r[k] V[k ldv + l], k ascending from 0
 * to n - 1, for r < nr (TILE or 1) and l < LANES, where a_r[k] = A[r ra +
 * k lda]: a row of W (forward) or a column of W (dX). */
static inline void lanes_sum(double *out, size_t ldo, const double *init, const double *A,
                             size_t lda, size_t ra, const double *V, size_t ldv, int n, int nr)
{
    double acc[TILE][LANES];
    for (int r = 0; r < nr; r++)
        for (int l = 0; l < LANES; l++)
            acc[r][l] = init[r];
    for (int k = 0; k < n; k++) {
        const double *v = V + (size_t)k * ldv;
#pragma GCC unroll 4
        for (int r = 0; r < nr; r++) {
            const double a = A[(size_t)r * ra + (size_t)k * lda];
            for (int l = 0; l < LANES; l++)
                acc[r][l] += a * v[l];
        }
    }
    for (int r = 0; r < nr; r++)
        for (int l = 0; l < LANES; l++)
            out[(size_t)r * ldo + l] = acc[r][l];
}

/* B = 1: y[r] = b[r] + sum_j W[r][j] x[j], j ascending, for r < nr (ROWS
 * or 1): the plain loop's sums, ROWS of them side by side so that their
 * adds do not wait on one another. */
enum { ROWS = 8 };
static inline void rows_dot(double *y, const double *b, const double *W, const double *x,
                            int in, int nr)
{
    double s[ROWS];
    for (int r = 0; r < nr; r++)
        s[r] = b[r];
    for (int j = 0; j < in; j++) {
        const double v = x[j];
#pragma GCC unroll 8
        for (int r = 0; r < nr; r++)
            s[r] += W[(size_t)r * (size_t)in + (size_t)j] * v;
    }
    for (int r = 0; r < nr; r++)
        y[r] = s[r];
}

/* Y[i][c] = b[i] + sum_j W[i][j] X[j][c], j ascending. */
GC_VVOID(dense_forward, (const gc_layer *l, gc_mat *Y, const gc_mat *X), (l, Y, X))
{
    const double *W = l->param[0].value;
    const double *b = l->param[1].value;
    const int in = l->in, out = l->out, B = X->cols;
    if (B == 1) {
        int i = 0;
        for (; i + ROWS <= out; i += ROWS)
            rows_dot(Y->data + i, b + i, W + (size_t)i * (size_t)in, X->data, in, ROWS);
#ifndef GC_DENSE_DOT_MUTANT /* checks/nn/check_layers.c: the rows past the last ROWS lost */
        for (; i < out; i++)
            rows_dot(Y->data + i, b + i, W + (size_t)i * (size_t)in, X->data, in, 1);
#endif
        return;
    }
    int c0 = 0;
    for (; c0 + LANES <= B; c0 += LANES) {
        int i = 0;
        for (; i + TILE <= out; i += TILE)
            lanes_sum(&GC_AT(Y, i, c0), (size_t)B, b + i, W + (size_t)i * in, 1, (size_t)in,
                      X->data + c0, (size_t)B, in, TILE);
        for (; i < out; i++)
            lanes_sum(&GC_AT(Y, i, c0), (size_t)B, b + i, W + (size_t)i * in, 1, (size_t)in,
                      X->data + c0, (size_t)B, in, 1);
    }
    for (int c = c0; c < B; c++) {
        for (int i = 0; i < out; i++) {
            double s = b[i];
            for (int j = 0; j < in; j++)
                s += W[(size_t)i * in + j] * GC_AT(X, j, c);
            GC_AT(Y, i, c) = s;
        }
    }
}

/* B = 1: dx[j] = sum_i W[i][j] dy[i], i ascending from 0.0, each row of W
 * added to all of dx in runs of LANES adjacent columns (vectorised). */
static inline void input_grad_one(double *restrict dx, const double *restrict W,
                                  const double *restrict dy, int in, int out)
{
    for (int j = 0; j < in; j++)
        dx[j] = 0.0;
    for (int i = 0; i < out; i++) {
        const double *restrict w = W + (size_t)i * (size_t)in;
        const double d = dy[i];
        int j = 0;
        for (; j + LANES <= in; j += LANES)
            for (int l = 0; l < LANES; l++)
                dx[j + l] += w[j + l] * d;
#ifndef GC_DENSE_DX_MUTANT /* checks/nn/check_layers.c: the tail's columns lost */
        for (; j < in; j++)
            dx[j] += w[j] * d;
#endif
    }
}

/* dX[j][c] = sum_i W[i][j] dY[i][c], i ascending from 0. */
GC_VVOID(input_grad, (gc_mat *dX, const double *W, const gc_mat *dY, int in, int out),
         (dX, W, dY, in, out))
{
    static const double zero[TILE] = {0.0};
    const int B = dY->cols;
    if (B == 1) {
        input_grad_one(dX->data, W, dY->data, in, out);
        return;
    }
    int c0 = 0;
    for (; c0 + LANES <= B; c0 += LANES) {
        int j = 0;
        for (; j + TILE <= in; j += TILE)
            lanes_sum(&GC_AT(dX, j, c0), (size_t)B, zero, W + j, (size_t)in, 1, dY->data + c0,
                      (size_t)B, out, TILE);
        for (; j < in; j++)
            lanes_sum(&GC_AT(dX, j, c0), (size_t)B, zero, W + j, (size_t)in, 1, dY->data + c0,
                      (size_t)B, out, 1);
    }
    for (int c = c0; c < B; c++) {
        for (int j = 0; j < in; j++) {
            double s = 0.0;
            for (int i = 0; i < out; i++)
                s += W[(size_t)i * in + j] * GC_AT(dY, i, c);
            GC_AT(dX, j, c) = s;
        }
    }
}

/* ---- dW: sums over the columns, lanes over adjacent weights of a row ---- */

/* acc[q][l] += sum_c dy[q ld + c] xt[c][l] over c < nc, ascending, for q <
 * nq (TILE or 1): nq rows of dY side by side, each its own sums, carried
 * in locals (registers) through the block. */
static inline void rows_times_block(double (*acc)[LANES], const double *dy, size_t ld,
                                    const double (*xt)[LANES], int nc, int nq)
{
    double a[TILE][LANES];
    for (int q = 0; q < nq; q++)
        for (int l = 0; l < LANES; l++)
            a[q][l] = acc[q][l];
    for (int c = 0; c < nc; c++)
#pragma GCC unroll 4
        for (int q = 0; q < nq; q++) {
            const double d = dy[(size_t)q * ld + (size_t)c];
            for (int l = 0; l < LANES; l++)
                a[q][l] += d * xt[c][l];
        }
    for (int q = 0; q < nq; q++)
        for (int l = 0; l < LANES; l++)
            acc[q][l] = a[q][l];
}

/* dW[i][j0 + l] += sum_c dY[i][c] X[j0 + l][c] (c ascending from 0) for
 * every row i: X's rows j0 .. j0 + LANES - 1 transposed CB columns at a
 * time, the sums of GROUP rows of dY carried across those blocks. */
GC_VVOID(weight_grad_lanes,
         (double *dW, const gc_mat *dY, const gc_mat *X, int in, int out, int j0, int set),
         (dW, dY, X, in, out, j0, set))
{
    enum { GROUP = 32 };
    const int B = X->cols;
    double xt[CB][LANES], acc[GROUP][LANES];
    for (int g = 0; g < out; g += GROUP) {
        const int ng = out - g < GROUP ? out - g : GROUP;
        for (int r = 0; r < ng; r++)
            for (int l = 0; l < LANES; l++)
                acc[r][l] = 0.0;
        for (int c0 = 0; c0 < B; c0 += CB) {
            const int nc = B - c0 < CB ? B - c0 : CB;
            for (int c = 0; c < nc; c++)
                for (int l = 0; l < LANES; l++)
                    xt[c][l] = GC_AT(X, j0 + l, c0 + c);
            int r = 0;
            for (; r + TILE <= ng; r += TILE)
                rows_times_block(acc + r, &GC_AT(dY, g + r, c0), (size_t)B,
                                 (const double (*)[LANES])xt, nc, TILE);
            for (; r < ng; r++)
                rows_times_block(acc + r, &GC_AT(dY, g + r, c0), (size_t)B,
                                 (const double (*)[LANES])xt, nc, 1);
        }
        for (int r = 0; r < ng; r++)
            for (int l = 0; l < LANES; l++) {
                double *w = &dW[(size_t)(g + r) * in + j0 + l];
                *w = (set ? 0.0 : *w) + acc[r][l];
            }
    }
}

/* B = 1: dW[i][j] += 0.0 + dY[i] X[j] for every i, j, the one column's
 * sum exactly as the loops below form it (it starts from 0.0, so a -0.0
 * product adds +0.0), in runs of LANES adjacent weights that -O2
 * vectorises (restrict: a row of dW is not X).  The general path pays a
 * transpose and a call per row of dY and run of X for one product each. */
static inline void weight_grad_one(double *restrict dW, const double *restrict dy,
                                   const double *restrict x, int in, int out, int set)
{
    for (int i = 0; i < out; i++) {
        double *restrict w = dW + (size_t)i * (size_t)in;
        const double d = dy[i];
        int j = 0;
        if (set) { /* dW was zero: 0.0 + (0.0 + d x), which is 0.0 + d x */
            for (; j + LANES <= in; j += LANES)
                for (int l = 0; l < LANES; l++)
                    w[j + l] = 0.0 + d * x[j + l];
        } else {
            for (; j + LANES <= in; j += LANES)
                for (int l = 0; l < LANES; l++)
                    w[j + l] += 0.0 + d * x[j + l];
        }
#ifndef GC_DENSE_ONE_MUTANT /* checks/nn/check_layers.c: the tail's weights lost */
        for (; j < in; j++)
            w[j] = (set ? 0.0 : w[j]) + (0.0 + d * x[j]);
#endif
    }
}

/* dW += dY X^T and db += the rows' sums of dY, each sum over c ascending;
 * with set, dW and db are taken as zero (not read): each element is then
 * 0.0 + its sum, the bits a zeroed gradient's += gives. */
static inline void param_grads(double *dW, double *db, const gc_mat *dY, const gc_mat *X,
                               int in, int out, int set)
{
#ifdef GC_DENSE_SET_MUTANT /* checks/nn/check_net.c: set adds to the stale gradient */
    set = 0;
#endif
    const int B = X->cols;
    if (B == 1) {
        for (int i = 0; i < out; i++)
            db[i] = (set ? 0.0 : db[i]) + (0.0 + dY->data[i]);
        weight_grad_one(dW, dY->data, X->data, in, out, set);
        return;
    }
    for (int i = 0; i < out; i++) {
        double sb = 0.0;
        for (int c = 0; c < B; c++)
            sb += GC_AT(dY, i, c);
        db[i] = (set ? 0.0 : db[i]) + sb;
    }
    int j0 = 0;
    for (; j0 + LANES <= in; j0 += LANES)
        weight_grad_lanes(dW, dY, X, in, out, j0, set);
    for (int i = 0; i < out; i++) {
        for (int j = j0; j < in; j++) {
            double s = 0.0;
            for (int c = 0; c < B; c++)
                s += GC_AT(dY, i, c) * GC_AT(X, j, c);
            dW[(size_t)i * in + j] = (set ? 0.0 : dW[(size_t)i * in + j]) + s;
        }
    }
}

/* With Y = W X + b and dY = dL/dY (out x B):
 *   dL/dW[i][j] = sum_c dY[i][c] X[j][c]   i.e. dW += dY X^T
 *   dL/db[i]    = sum_c dY[i][c]           (b is added to every column)
 *   dL/dX[j][c] = sum_i W[i][j] dY[i][c]   i.e. dX = W^T dY */
GC_VVOID(dense_backward_as,
         (gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *dY, int set),
         (l, dX, X, dY, set))
{
    param_grads(l->param[0].grad, l->param[1].grad, dY, X, l->in, l->out, set);
    if (dX != NULL)
        input_grad(dX, l->param[0].value, dY, l->in, l->out);
}

static void dense_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)Y;
    dense_backward_as(l, dX, X, dY, 0);
}

void gc_dense_backward_set(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *dY)
{
    dense_backward_as(l, dX, X, dY, 1);
}

const gc_layer_ops gc_dense_ops = {
    .type = "dense",
    .caps = GC_CAP_AFFINE,
    .forward = dense_forward,
    .backward = dense_backward,
    .kink = NULL,
    .destroy = NULL,
};

gc_layer *gc_dense_new(int in, int out)
{
    gc_layer *l = gc_layer_new(&gc_dense_ops, in, out);
    if (l == NULL)
        return NULL;
    if (gc_layer_add_param(l, "W", out, in) < 0 || gc_layer_add_param(l, "b", out, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    return l;
}
