/*
 * chains.c -- the two entry points and the chains they hand to
 * gc_check_chain: a network (every parameter tensor, then the input "x"),
 * and one layer under L = sum(R .* layer(X)).
 */
#include "engine/hygiene.h"
#include "engine/run.h"
#include "engine/fast.h"

#include <stdlib.h>
#include <string.h>

/* ---- a network ---------------------------------------------------------- */

static double net_loss_from(void *ctx, int k)
{
    return gc_net_forward_from((gc_net *)ctx, k);
}

static double net_prepare(void *ctx)
{
    double L = gc_net_forward((gc_net *)ctx);
    gc_net_backward((gc_net *)ctx);
    return L;
}

static void net_leave_clean(void *ctx)
{
    gc_net_forward((gc_net *)ctx);
}

static void target_of_tensor(gc_target *t, const gc_tensor *ten, int layer, int net_index)
{
    snprintf(t->name, sizeof t->name, "%s", ten->name);
    t->rows = ten->rows;
    t->cols = ten->cols;
    t->value = ten->value;
    t->grad = ten->grad;
    t->layer = layer;
    t->net_index = net_index;
}

static void target_of_input(gc_target *t, gc_mat *X, const gc_mat *dX)
{
    snprintf(t->name, sizeof t->name, "x");
    t->rows = X->rows;
    t->cols = X->cols;
    t->value = X->data;
    t->grad = dX->data;
    t->layer = 0;
    t->net_index = GC_FAST_INPUT;
}

int gc_check_net(gc_net *net, const gc_check_opts *opts, gc_report **out, gc_error *err)
{
    if (out == NULL || net == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_net: NULL %s", net == NULL ? "net" : "out");
    *out = NULL;
    if (net->nlayers < 1 || net->batch < 1)
        return gc_error_set(err, GC_EINVAL, "gc_check_net: %s",
                            net->nlayers < 1 ? "empty network" : "no data (gc_net_set_data)");
    int code_float32 = 0; /* a float layer: the whole check is float's */
    for (int k = 0; k < net->nlayers; k++)
        code_float32 |= (net->layers[k]->ops->caps & GC_CAP_FLOAT32) != 0;
    gc_check_opts o;
    int rc = gc_opts_resolve(&o, opts, code_float32, err);
    if (rc != GC_OK)
        return rc;
    gc_target *tg = calloc((size_t)net->ntensors + 1, sizeof *tg);
    if (tg == NULL)
        return gc_error_set(err, GC_ENOMEM, "gc_check_net: out of memory");
    for (int t = 0; t < net->ntensors; t++)
        target_of_tensor(&tg[t], net->tensors[t], net->tensor_layer[t], t);
    target_of_input(&tg[net->ntensors], net->act[0], net->dact[0]);
    const gc_chain ch = {.nlayers = net->nlayers, .layers = net->layers, .act = net->act,
                         .loss_from = net_loss_from, .prepare = net_prepare,
                         .leave_clean = net_leave_clean, .ctx = net, .net = net,
                         .dact = net->dact};
    rc = gc_check_chain(&ch, tg, net->ntensors + 1, o.inputs, &o, "gc_check_net", out, err);
    free(tg);
    if (rc == GC_OK && o.mutate > 0 && (rc = gc_mutation_run_net(net, &o, *out)) != GC_OK) {
        gc_report_free(*out); /* mutation testing: engine/hygiene.h */
        *out = NULL;
        gc_error_set(err, rc, "gc_check_net: out of memory");
    }
    return rc;
}

/* ---- one layer ------------------------------------------------------------ */

typedef struct layer_ctx {
    gc_layer *layer;
    gc_mat *X, *Y, *R, *dX;
    uint64_t seed; /* a stochastic layer's draws replay from it */
} layer_ctx;

/* L = sum over elements of R .* layer(X): linear in Y, so dL/dY = R. */
static double layer_loss_from(void *ctx, int k)
{
    layer_ctx *c = ctx;
    (void)k; /* one layer: always recompute it */
    gc_replay_reseed(c->layer, c->seed);
    c->layer->ops->forward(c->layer, c->Y, c->X);
    double L = 0.0;
    size_t n = gc_mat_size(c->Y);
    for (size_t i = 0; i < n; i++)
        L += c->R->data[i] * c->Y->data[i];
    return L;
}

/* The analytic side: backward with dY = R, parameter gradients zeroed first. */
static double layer_prepare(void *ctx)
{
    layer_ctx *c = ctx;
    gc_layer *l = c->layer;
    double L = layer_loss_from(c, 0);
    for (int p = 0; p < l->nparams; p++)
        memset(l->param[p].grad, 0,
               (size_t)l->param[p].rows * (size_t)l->param[p].cols * sizeof(double));
    l->ops->backward(l, c->dX, c->X, c->Y, c->R);
    return L;
}

/* X and R in [-1, 1): both signs, so relu-like layers see both sides. */
static void layer_data(layer_ctx *c, uint64_t seed)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, GC_STREAM_LAYER_DATA);
    for (size_t i = 0; i < gc_mat_size(c->X); i++)
        c->X->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
    for (size_t i = 0; i < gc_mat_size(c->R); i++)
        c->R->data[i] = 2.0 * gc_pcg32_uniform(&rng) - 1.0;
}

static int layer_args_bad(const gc_layer *layer, int batch, gc_report **out, gc_error *err)
{
    if (out == NULL || layer == NULL || layer->ops == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: NULL %s",
                            out == NULL ? "out" : "layer");
    *out = NULL;
    if (batch < 1)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: batch must be >= 1, got %d", batch);
    /* the targets live in an array of GC_LAYER_MAX_PARAMS + 1 */
    if (layer->nparams < 0 || layer->nparams > GC_LAYER_MAX_PARAMS)
        return gc_error_set(err, GC_EINVAL, "gc_check_layer: %d parameters (0 to %d)",
                            layer->nparams, GC_LAYER_MAX_PARAMS);
    return GC_OK;
}

int gc_check_layer(gc_layer *layer, int batch, const gc_check_opts *opts,
                   gc_report **out, gc_error *err)
{
    int rc = layer_args_bad(layer, batch, out, err);
    if (rc != GC_OK)
        return rc;
    gc_check_opts o;
    rc = gc_opts_resolve(&o, opts, (layer->ops->caps & GC_CAP_FLOAT32) != 0, err);
    if (rc != GC_OK)
        return rc;
    layer_ctx c = {layer, gc_mat_new(layer->in, batch), gc_mat_new(layer->out, batch),
                   gc_mat_new(layer->out, batch), gc_mat_new(layer->in, batch), o.seed};
    gc_pcg32 replay, *user_rng = layer->rng;
    layer->rng = &replay;
    gc_mat *act[2] = {c.X, c.Y}, *dact[2] = {c.dX, c.R};
    gc_target tg[GC_LAYER_MAX_PARAMS + 1];
    if (c.X == NULL || c.Y == NULL || c.R == NULL || c.dX == NULL ||
        gc_layer_reserve(layer, batch) != GC_OK) { /* ops->workspace for this batch */
        rc = gc_error_set(err, GC_ENOMEM, "gc_check_layer: out of memory");
    } else {
        layer_data(&c, o.seed);
        for (int p = 0; p < layer->nparams; p++)
            target_of_tensor(&tg[p], &layer->param[p], 0, 0);
        target_of_input(&tg[layer->nparams], c.X, c.dX);
        const gc_chain ch = {.nlayers = 1, .layers = &c.layer, .act = act,
                             .loss_from = layer_loss_from, .prepare = layer_prepare,
                             .ctx = &c, .dact = dact};
        rc = gc_check_chain(&ch, tg, layer->nparams + 1, o.params == NULL, &o,
                            "gc_check_layer", out, err);
        if (rc == GC_OK)
            rc = gc_beyond_layer(layer, batch, &o, c.X, c.R, out, err);
    }
    layer->rng = user_rng;
    gc_mat_free(c.X);
    gc_mat_free(c.Y);
    gc_mat_free(c.R);
    gc_mat_free(c.dX);
    return rc;
}
