/*
 * attention_plugin.c -- examples/block.c's causal multi-head attention as a
 * gradcheck --layer plugin with named hyper-parameters and a workspace:
 *
 *   gradcheck --layer build/examples/libattention_plugin.so:attention_plugin \
 *             --in 24 --out 8 --batch 2 --set T=2,NH=2
 *
 * One column of X is one sequence: T positions of q, k, v side by side
 * (in = T * 3C), one column of Y its T outputs (out = T * C).  The layer
 * computes in float and says so (GC_CAP_FLOAT32: checked at float32
 * precision); --set f64=1 builds the double twin instead.  Its workspace
 * holds the float copies of X and dY and the attention weights that forward
 * caches for backward, sized for the batch by whoever runs it.  The code is
 * block_impl.h's, compiled here under its own names (ap_...) so that this
 * file is a plugin on its own.  attention_plugin_planted is the same layer
 * with a planted bug: its largest input-gradient element 1e-3 too large.
 */
#include <gradcheck.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#define REAL float
#define FN(name) ap_##name
#include "block_impl.h"
#undef REAL
#undef FN
#define REAL double
#define FN(name) ap_##name##_f64
#include "block_impl.h"
#undef REAL
#undef FN

/* The layer's sizes, in priv. */
typedef struct attn {
    int T, C, NH;
    int planted; /* scale the largest |dX| by 1 + 1e-3 */
} attn;

/* Workspace: inp, dinp (B,T,3C); out, dout (B,T,C); pre, att, dpre, datt
 * (B,NH,T,T), in elements of z bytes, one after the other. */
static size_t ws_elems(const attn *a, int B)
{
    return (size_t)B * ((size_t)a->T * 3 * a->C * 2 + (size_t)a->T * a->C * 2 +
                        (size_t)a->NH * a->T * a->T * 4);
}

static size_t ws32(const gc_layer *l, int B)
{
    return ws_elems(l->priv, B) * sizeof(float);
}

static size_t ws64(const gc_layer *l, int B)
{
    return ws_elems(l->priv, B) * sizeof(double);
}

/* Pointers into the workspace, for element size z. */
typedef struct views {
    void *inp, *dinp, *out, *dout, *pre, *att, *dpre, *datt;
} views;

static views split(const gc_layer *l, int B, size_t z)
{
    const attn *a = l->priv;
    size_t ni = (size_t)B * a->T * 3 * a->C, no = (size_t)B * a->T * a->C;
    size_t na = (size_t)B * a->NH * a->T * a->T;
    char *p = l->work;
    views v;
    v.inp = p, p += ni * z;
    v.dinp = p, p += ni * z;
    v.out = p, p += no * z;
    v.dout = p, p += no * z;
    v.pre = p, p += na * z;
    v.att = p, p += na * z;
    v.dpre = p, p += na * z;
    v.datt = p;
    return v;
}

/* (features x B) matrix <-> (B, features) array of float or double. */
static void to_array(void *dst, size_t z, const gc_mat *M)
{
    for (int i = 0; i < M->rows; i++)
        for (int b = 0; b < M->cols; b++) {
            size_t k = (size_t)b * M->rows + i;
            if (z == sizeof(float))
                ((float *)dst)[k] = (float)GC_AT(M, i, b);
            else
                ((double *)dst)[k] = GC_AT(M, i, b);
        }
}

static void from_array(gc_mat *M, const void *src, size_t z)
{
    for (int i = 0; i < M->rows; i++)
        for (int b = 0; b < M->cols; b++) {
            size_t k = (size_t)b * M->rows + i;
            GC_AT(M, i, b) = z == sizeof(float) ? ((const float *)src)[k] : ((const double *)src)[k];
        }
}

static void fwd(const gc_layer *l, gc_mat *Y, const gc_mat *X, size_t z)
{
    const attn *a = l->priv;
    views v = split(l, X->cols, z);
    to_array(v.inp, z, X);
    if (z == sizeof(float))
        ap_attention_forward(v.out, v.pre, v.att, v.inp, X->cols, a->T, a->C, a->NH);
    else
        ap_attention_forward_f64(v.out, v.pre, v.att, v.inp, X->cols, a->T, a->C, a->NH);
    from_array(Y, v.out, z);
}

/* Reads inp and att as the forward of this X left them. */
static void bwd(gc_layer *l, gc_mat *dX, const gc_mat *dY, size_t z)
{
    const attn *a = l->priv;
    int B = dY->cols;
    views v = split(l, B, z);
    to_array(v.dout, z, dY);
    memset(v.dinp, 0, (size_t)B * a->T * 3 * a->C * z);
    if (z == sizeof(float))
        ap_attention_backward(v.dinp, v.dpre, v.datt, v.dout, v.inp, v.att, B, a->T, a->C, a->NH);
    else
        ap_attention_backward_f64(v.dinp, v.dpre, v.datt, v.dout, v.inp, v.att, B, a->T, a->C,
                                  a->NH);
    if (dX == NULL)
        return;
    from_array(dX, v.dinp, z);
    if (a->planted) {
        size_t w = 0, n = gc_mat_size(dX);
        for (size_t i = 1; i < n; i++)
            if (fabs(dX->data[i]) > fabs(dX->data[w]))
                w = i;
        dX->data[w] *= 1.0 + 1e-3;
    }
}

static void fwd32(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    fwd(l, Y, X, sizeof(float));
}

static void fwd64(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    fwd(l, Y, X, sizeof(double));
}

static void bwd32(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y, const gc_mat *dY)
{
    (void)X;
    (void)Y;
    bwd(l, dX, dY, sizeof(float));
}

static void bwd64(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y, const gc_mat *dY)
{
    (void)X;
    (void)Y;
    bwd(l, dX, dY, sizeof(double));
}

static void destroy(gc_layer *l)
{
    free(l->priv);
}

static const gc_layer_ops attn32_ops = {.type = "attention", .caps = GC_CAP_FLOAT32,
                                        .forward = fwd32, .backward = bwd32,
                                        .destroy = destroy, .workspace = ws32};
static const gc_layer_ops attn64_ops = {.type = "attention", .forward = fwd64, .backward = bwd64,
                                        .destroy = destroy, .workspace = ws64};

/* T (default 2) positions and NH (default 1) heads; C = in / (3T) must be
 * a whole multiple of NH, and out = T C.  NULL for any other shape. */
static gc_layer *build(gc_layer_args *args, int planted)
{
    int T = gc_layer_args_int(args, "T", 2), NH = gc_layer_args_int(args, "NH", 1);
    int f64 = gc_layer_args_int(args, "f64", 0);
    if (T < 1 || NH < 1 || args->in % (3 * T) != 0)
        return NULL;
    int C = args->in / (3 * T);
    if (C < 1 || C % NH != 0 || args->out != T * C)
        return NULL;
    attn *a = malloc(sizeof *a);
    gc_layer *l = a != NULL ? gc_layer_new(f64 ? &attn64_ops : &attn32_ops, args->in, args->out)
                            : NULL;
    if (l == NULL) {
        free(a);
        return NULL;
    }
    *a = (attn){T, C, NH, planted};
    l->priv = a;
    return l;
}

gc_layer *attention_plugin(gc_layer_args *args)
{
    return build(args, 0);
}
GC_LAYER_FACTORY(attention_plugin);

gc_layer *attention_plugin_planted(gc_layer_args *args)
{
    return build(args, 1);
}
GC_LAYER_FACTORY(attention_plugin_planted);
