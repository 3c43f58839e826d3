/*
 * dense.c -- the dense (fully connected) layer, Y = W X + b.
 *
 * Shapes: X in x B, W out x in, b out x 1 (broadcast over the B columns),
 * Y out x B.  It declares GC_CAP_AFFINE (param[0] = W, param[1] = b) so that
 * faster engines may propagate a perturbation of W, b or X linearly.
 */
#include "gradcheck/layer.h"

#include <stddef.h>

/* Y[i][c] = b[i] + sum_j W[i][j] X[j][c]. */
static void dense_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const double *W = l->param[0].value;
    const double *b = l->param[1].value;
    int in = l->in, out = l->out, B = X->cols;
    for (int i = 0; i < out; i++) {
        for (int c = 0; c < B; c++) {
            double s = b[i];
            for (int j = 0; j < in; j++)
                s += W[(size_t)i * in + j] * GC_AT(X, j, c);
            GC_AT(Y, i, c) = s;
        }
    }
}

/* With Y = W X + b and dY = dL/dY (out x B):
 *   dL/dW[i][j] = sum_c dY[i][c] X[j][c]   i.e. dW += dY X^T
 *   dL/db[i]    = sum_c dY[i][c]           (b is added to every column)
 *   dL/dX[j][c] = sum_i W[i][j] dY[i][c]   i.e. dX = W^T dY */
static void dense_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)Y;
    const double *W = l->param[0].value;
    double *dW = l->param[0].grad;
    double *db = l->param[1].grad;
    int in = l->in, out = l->out, B = X->cols;
    for (int i = 0; i < out; i++) {
        double sb = 0.0;
        for (int c = 0; c < B; c++)
            sb += GC_AT(dY, i, c);
        db[i] += sb;
        for (int j = 0; j < in; j++) {
            double s = 0.0;
            for (int c = 0; c < B; c++)
                s += GC_AT(dY, i, c) * GC_AT(X, j, c);
            dW[(size_t)i * in + j] += s;
        }
    }
    if (dX == NULL)
        return;
    for (int j = 0; j < in; j++) {
        for (int c = 0; c < B; c++) {
            double s = 0.0;
            for (int i = 0; i < out; i++)
                s += W[(size_t)i * in + j] * GC_AT(dY, i, c);
            GC_AT(dX, j, c) = s;
        }
    }
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
