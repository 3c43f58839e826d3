/*
 * host.c -- one synthesized layer as the engine's chain, so that the engine
 * checks tensors that belong to no gc_layer (func/host.h).
 *
 * The chain is the layer alone, with a 1 x 1 dummy input, and the loss
 * L = sum(R .* Y) with the caller's R: linear in the layer's output, so
 * dL/dY = R exactly, computed in double whatever the user's element type.
 * The checked targets are the layer's parameters only, named as the user
 * named them (the dummy input is not one of them), and the reference
 * evaluator runs on the calling thread: user callbacks may keep state in
 * their context and need not be reentrant.
 */
#include "func/host.h"
#include "engine/run.h"

#include <stdlib.h>
#include <string.h>

size_t gc_host_size(gc_dtype d)
{
    return d == GC_DTYPE_F32 ? sizeof(float) : d == GC_DTYPE_I32 ? sizeof(int) : sizeof(double);
}

void gc_host_put(void *dst, gc_dtype d, const double *src, size_t n)
{
    if (d == GC_DTYPE_F64) {
        memcpy(dst, src, n * sizeof *src);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (d == GC_DTYPE_F32)
            ((float *)dst)[i] = (float)src[i];
        else
            ((int *)dst)[i] = (int)src[i];
    }
}

void gc_host_get(double *dst, const void *src, gc_dtype d, size_t n, int add)
{
    for (size_t i = 0; i < n; i++) {
        double v = d == GC_DTYPE_F32   ? (double)((const float *)src)[i]
                   : d == GC_DTYPE_I32 ? (double)((const int *)src)[i]
                                       : ((const double *)src)[i];
        dst[i] = add ? dst[i] + v : v;
    }
}

int gc_host_name_ok(const char *name)
{
    return name != NULL && name[0] != '\0' && strlen(name) < GC_NAME_MAX;
}

typedef struct host {
    gc_layer *layer;
    gc_mat *X, *Y, *dX;
    const double *R; /* Y's size */
} host;

static double host_loss_from(void *ctx, int k)
{
    host *h = ctx;
    (void)k; /* one layer: always recompute it */
    h->layer->ops->forward(h->layer, h->Y, h->X);
    double L = 0.0;
    for (size_t i = 0; i < gc_mat_size(h->Y); i++)
        L += h->R[i] * h->Y->data[i];
    return L;
}

/* The analytic side: backward with dY = R, gradients zeroed first. */
static double host_prepare(void *ctx)
{
    host *h = ctx;
    gc_layer *l = h->layer;
    double L = host_loss_from(h, 0);
    for (int p = 0; p < l->nparams; p++)
        memset(l->param[p].grad, 0,
               (size_t)l->param[p].rows * (size_t)l->param[p].cols * sizeof(double));
    gc_mat dY = {h->Y->rows, h->Y->cols, (double *)h->R};
    l->ops->backward(l, h->dX, h->X, h->Y, &dY);
    return L;
}

/* The layer with its parameters (placeholder names: the targets carry the
 * user's) and their starting values. */
static gc_layer *build_layer(const gc_layer_ops *ops, void *priv, const host_tensor *t, int nt,
                             int out)
{
    gc_layer *l = gc_layer_new(ops, 1, out);
    if (l == NULL)
        return NULL;
    for (int i = 0; i < nt; i++) {
        if (gc_layer_add_param(l, "p", t[i].rows, t[i].cols) < 0) {
            gc_layer_free(l);
            return NULL;
        }
        memcpy(l->param[i].value, t[i].init,
               (size_t)t[i].rows * (size_t)t[i].cols * sizeof(double));
    }
    l->priv = priv;
    return l;
}

static int run_chain(host *h, const host_tensor *t, int nt, const gc_check_opts *o,
                     gc_report **rep, gc_error *err)
{
    gc_target tg[GC_LAYER_MAX_PARAMS];
    for (int i = 0; i < nt; i++) {
        memset(tg[i].name, 0, GC_NAME_MAX);
        memcpy(tg[i].name, t[i].name, strlen(t[i].name));
        tg[i].rows = t[i].rows;
        tg[i].cols = t[i].cols;
        tg[i].value = h->layer->param[i].value;
        tg[i].grad = h->layer->param[i].grad;
        tg[i].layer = 0;
        tg[i].net_index = 0;
    }
    gc_mat *act[2] = {h->X, h->Y};
    /* float32: the rounding sensitivity is |L| + Σ |R Y| (one rounding of
     * every float output), as the layer check's, not |L| alone, which a sum
     * whose terms cancel leaves far below float's noise */
    gc_mat dY = {h->Y->rows, h->Y->cols, (double *)h->R};
    gc_mat *dact[2] = {NULL, &dY};
    const gc_chain ch = {.nlayers = 1, .layers = &h->layer, .act = act,
                         .loss_from = host_loss_from, .prepare = host_prepare, .ctx = h,
                         .dact = o->precision == GC_PRECISION_FLOAT32 ? dact : NULL};
    /* every target is the user's: a tensor named "x" is selected as any other */
    const char *who = strcmp(h->layer->ops->type, "scalar") == 0 ? "gc_check_scalar"
                                                                : "gc_check_func";
    return gc_check_chain(&ch, tg, nt, o->params == NULL, o, who, rep, err);
}

int gc_host_check(const gc_layer_ops *ops, void *priv, const host_tensor *t, int nt,
                  const double *R, int out, gc_precision prec, const gc_check_opts *opts,
                  gc_report **rep, gc_error *err)
{
    gc_check_opts o;
    int rc = gc_opts_resolve(&o, opts, prec == GC_PRECISION_FLOAT32, err);
    if (rc != GC_OK)
        return rc;
    o.inputs = 0;
    o.engine = GC_ENGINE_REFERENCE;
    o.screen = 0;
    host h = {build_layer(ops, priv, t, nt, out), gc_mat_new(1, 1), gc_mat_new(out, 1),
              gc_mat_new(1, 1), R};
    if (h.layer == NULL || h.X == NULL || h.Y == NULL || h.dX == NULL)
        rc = gc_error_set(err, GC_ENOMEM, "out of memory");
    else
        rc = run_chain(&h, t, nt, &o, rep, err);
    gc_layer_free(h.layer);
    gc_mat_free(h.X);
    gc_mat_free(h.Y);
    gc_mat_free(h.dX);
    return rc;
}
