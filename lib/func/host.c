/*
 * host.c -- one synthesized layer in a one-layer network, so that the
 * engine checks tensors that belong to no gc_layer (func/host.h).
 *
 * The loss is L = sum(T .* P) with the targets T holding the upstream
 * gradient R: linear in the layer's output, so dL/dP = T exactly, and its
 * value is computed in double whatever the user's element type.  The
 * network numbers parameter names (gc_net_add); the user's names are put
 * back afterwards, since the engine reads names from the tensor table at
 * check time.  The reference engine runs on the calling thread: user
 * callbacks may keep state in their context and need not be reentrant.
 */
#include "func/host.h"

#include <string.h>

static double wsum_value(const gc_mat *P, const gc_mat *T)
{
    double L = 0.0;
    for (size_t i = 0; i < gc_mat_size(P); i++)
        L += T->data[i] * P->data[i];
    return L;
}

static void wsum_grad(gc_mat *dP, const gc_mat *P, const gc_mat *T)
{
    (void)P;
    memcpy(dP->data, T->data, gc_mat_size(T) * sizeof *T->data);
}

static const gc_loss wsum_loss = {.name = "weighted_sum", .value = wsum_value,
                                  .grad = wsum_grad};

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
    return name != NULL && name[0] != '\0' && strlen(name) < GC_NAME_MAX &&
           strcmp(name, "x") != 0;
}

/* The layer with its parameters named "p" (the network numbers them; the
 * real names go back after gc_net_add) and their starting values. */
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

/* The network around l (which it takes, even on failure), R as targets. */
static int build_net(gc_layer *l, const host_tensor *t, int nt, const double *R, int out,
                     gc_net **netp, gc_error *err)
{
    gc_net *net = gc_net_new(&wsum_loss);
    gc_mat *X = gc_mat_new(1, 1), *T = gc_mat_new(out, 1);
    int rc = GC_ENOMEM;
    if (net == NULL || X == NULL || T == NULL) {
        gc_layer_free(l);
        goto fail;
    }
    rc = gc_net_add(net, l, err);
    if (rc != GC_OK)
        goto fail;
    for (int i = 0; i < nt; i++) {
        memset(l->param[i].name, 0, GC_NAME_MAX);
        memcpy(l->param[i].name, t[i].name, strlen(t[i].name));
    }
    memcpy(T->data, R, (size_t)out * sizeof *R);
    rc = gc_net_set_data(net, X, T, err);
    if (rc != GC_OK)
        goto fail;
    gc_mat_free(X);
    gc_mat_free(T);
    *netp = net;
    return GC_OK;
fail:
    if (rc == GC_ENOMEM)
        gc_error_set(err, rc, "out of memory");
    gc_net_free(net);
    gc_mat_free(X);
    gc_mat_free(T);
    return rc;
}

int gc_host_check(const gc_layer_ops *ops, void *priv, const host_tensor *t, int nt,
                  const double *R, int out, gc_precision prec, const gc_check_opts *opts,
                  gc_report **rep, gc_error *err)
{
    gc_check_opts o;
    if (opts != NULL)
        o = *opts;
    else
        gc_check_opts_init(&o);
    o.inputs = 0; /* the layer's input is a dummy */
    o.engine = GC_ENGINE_REFERENCE;
    o.threads = 1;
    o.screen = 0;
    if (prec == GC_PRECISION_FLOAT32)
        o.precision = GC_PRECISION_FLOAT32;
    gc_layer *l = build_layer(ops, priv, t, nt, out);
    if (l == NULL)
        return gc_error_set(err, GC_ENOMEM, "out of memory");
    gc_net *net = NULL;
    int rc = build_net(l, t, nt, R, out, &net, err);
    if (rc != GC_OK)
        return rc;
    rc = gc_check_net(net, &o, rep, err);
    gc_net_free(net);
    return rc;
}
