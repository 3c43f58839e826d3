/*
 * net.c -- the network: ordered layers, one loss, a copy of the data, and the
 * forward-pass cache (act[k] is the input of layers[k], act[nlayers] the
 * output; dact[k] = dL/dact[k]).
 *
 * All allocation happens in gc_net_add and gc_net_set_data; forward and
 * backward only write into buffers sized there, so the engine can call them
 * millions of times.  Parameters are numbered as in the classic code: the
 * k-th layer of a type appends k to its parameter names (W1 b1 W2 b2 ...).
 */
#include "gradcheck/net.h"
#include "nn/dense_internal.h"
#include "nn/loss_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What gc_net_add keeps between calls: the capacities of the growing
 * arrays (doubled when full, so n appends cost O(n)) and how many layers of
 * each type the network has (for numbering, without rescanning them). */
typedef struct type_count {
    const char *type; /* a layer's ops->type: not owned */
    int count;
} type_count;

struct gc_net_index {
    int cap_layers, cap_tensors; /* allocated entries of layers, and of tensors/tensor_layer */
    int ntypes, cap_types;
    type_count *types;
};

gc_net *gc_net_new(const gc_loss *loss)
{
    if (loss == NULL)
        return NULL;
    gc_net *net = calloc(1, sizeof *net);
    if (net != NULL)
        net->loss = loss;
    return net;
}

/* Free T and the cache; batch back to 0. */
static void free_data(gc_net *net)
{
    if (net->act != NULL)
        for (int k = 0; k <= net->nlayers; k++)
            gc_mat_free(net->act[k]);
    if (net->dact != NULL)
        for (int k = 0; k <= net->nlayers; k++)
            gc_mat_free(net->dact[k]);
    free(net->act);
    free(net->dact);
    gc_mat_free(net->T);
    net->act = net->dact = NULL;
    net->T = NULL;
    net->batch = 0;
}

void gc_net_free(gc_net *net)
{
    if (net == NULL)
        return;
    free_data(net);
    for (int k = 0; k < net->nlayers; k++)
        gc_layer_free(net->layers[k]);
    free(net->layers);
    free(net->tensors);
    free(net->tensor_layer);
    if (net->index != NULL)
        free(net->index->types);
    free(net->index);
    free(net);
}

/* The entry of `type` in the index, added (count 0) when new; NULL when out
 * of memory. */
static type_count *type_entry(struct gc_net_index *ix, const char *type)
{
    for (int i = 0; i < ix->ntypes; i++)
        if (strcmp(ix->types[i].type, type) == 0)
            return &ix->types[i];
    if (ix->ntypes == ix->cap_types) {
        int cap = ix->cap_types > 0 ? 2 * ix->cap_types : 8;
        type_count *t = realloc(ix->types, (size_t)cap * sizeof *t);
        if (t == NULL)
            return NULL;
        ix->types = t;
        ix->cap_types = cap;
    }
    ix->types[ix->ntypes] = (type_count){type, 0};
    return &ix->types[ix->ntypes++];
}

/* net's index, made on first use: a network built by hand has its arrays
 * exactly full, and its layers are counted once. */
static struct gc_net_index *index_of(gc_net *net)
{
    if (net->index != NULL)
        return net->index;
    struct gc_net_index *ix = calloc(1, sizeof *ix);
    if (ix == NULL)
        return NULL;
    ix->cap_layers = net->nlayers;
    ix->cap_tensors = net->ntensors;
    for (int k = 0; k < net->nlayers; k++) {
        type_count *t = type_entry(ix, net->layers[k]->ops->type);
        if (t == NULL) {
            free(ix->types);
            free(ix);
            return NULL;
        }
        t->count++;
    }
    net->index = ix;
    return ix;
}

/* Room for one more layer and `more` more tensors: the arrays doubled when
 * full.  GC_OK or GC_ENOMEM (nothing changed that matters: the extra room
 * is kept). */
static int grow(gc_net *net, struct gc_net_index *ix, int more)
{
    if (net->nlayers == ix->cap_layers) {
        int cap = ix->cap_layers > 0 ? 2 * ix->cap_layers : 4;
        gc_layer **layers = realloc(net->layers, (size_t)cap * sizeof *layers);
        if (layers == NULL)
            return GC_ENOMEM;
        net->layers = layers;
        ix->cap_layers = cap;
    }
    if (net->ntensors + more > ix->cap_tensors || net->tensors == NULL) {
        int cap = ix->cap_tensors > 0 ? 2 * ix->cap_tensors : 8;
        while (cap < net->ntensors + more)
            cap *= 2;
        gc_tensor **tensors = realloc(net->tensors, (size_t)cap * sizeof *tensors);
        if (tensors == NULL)
            return GC_ENOMEM;
        net->tensors = tensors;
        int *tl = realloc(net->tensor_layer, (size_t)cap * sizeof *tl);
        if (tl == NULL)
            return GC_ENOMEM; /* tensors has the larger size: harmless */
        net->tensor_layer = tl;
        ix->cap_tensors = cap;
    }
    return GC_OK;
}

/* Refuse `layer` as layers[k] with code and message, freeing it. */
static int refuse(gc_layer *layer, int rc)
{
    gc_layer_free(layer);
    return rc;
}

int gc_net_add(gc_net *net, gc_layer *layer, gc_error *err)
{
    if (net == NULL || layer == NULL) {
        gc_layer_free(layer);
        return gc_error_set(err, GC_EINVAL, "gc_net_add: NULL network or layer");
    }
    int k = net->nlayers;
    /* names[] below has room for GC_LAYER_MAX_PARAMS */
    if (layer->nparams < 0 || layer->nparams > GC_LAYER_MAX_PARAMS) {
        int rc = gc_error_set(err, GC_EINVAL, "layers[%d]: %d parameters (0 to %d)", k,
                              layer->nparams, GC_LAYER_MAX_PARAMS);
        /* param[] has GC_LAYER_MAX_PARAMS slots, the only ones that can hold
         * storage: gc_layer_free frees those and walks no further */
        layer->nparams = layer->nparams < 0 ? 0 : GC_LAYER_MAX_PARAMS;
        return refuse(layer, rc);
    }
    if (k > 0 && layer->in != net->layers[k - 1]->out)
        return refuse(layer, gc_error_set(err, GC_ESHAPE, "layers[%d]: expected in = %d, got %d",
                                          k, net->layers[k - 1]->out, layer->in));
    struct gc_net_index *ix = index_of(net);
    type_count *type = ix != NULL ? type_entry(ix, layer->ops->type) : NULL;
    if (type == NULL || grow(net, ix, layer->nparams) != GC_OK)
        return refuse(layer, gc_error_set(err, GC_ENOMEM, "layers[%d]: out of memory", k));
    /* Number: this is the n-th layer of its type (counting from 1). */
    int n = type->count + 1;
    char names[GC_LAYER_MAX_PARAMS][GC_NAME_MAX];
    for (int p = 0; p < layer->nparams; p++) {
        int len = snprintf(names[p], GC_NAME_MAX, "%s%d", layer->param[p].name, n);
        if (len < 0 || len >= GC_NAME_MAX)
            return refuse(layer, gc_error_set(err, GC_EINVAL,
                                              "layers[%d]: parameter name \"%s%d\" is too long",
                                              k, layer->param[p].name, n));
    }
    /* The cache was sized for the old layer list: drop it (set data again). */
    free_data(net);
    type->count = n;
    for (int p = 0; p < layer->nparams; p++) {
        memcpy(layer->param[p].name, names[p], GC_NAME_MAX);
        net->tensors[net->ntensors] = &layer->param[p];
        net->tensor_layer[net->ntensors] = k;
        net->ntensors++;
    }
    net->layers[k] = layer;
    net->nlayers = k + 1;
    return GC_OK;
}

int gc_net_in(const gc_net *net)
{
    return net == NULL || net->nlayers == 0 ? 0 : net->layers[0]->in;
}

int gc_net_out(const gc_net *net)
{
    return net == NULL || net->nlayers == 0 ? 0 : net->layers[net->nlayers - 1]->out;
}

/* First non-finite element of M as GC_ERANGE naming it "what[col][row]". */
static int check_finite(const gc_mat *M, const char *what, gc_error *err)
{
    for (int r = 0; r < M->rows; r++)
        for (int c = 0; c < M->cols; c++)
            if (!isfinite(GC_AT(M, r, c)))
                return gc_error_set(err, GC_ERANGE, "%s[%d][%d]: expected a finite value, got %g",
                                    what, c, r, GC_AT(M, r, c));
    return GC_OK;
}

int gc_net_set_data(gc_net *net, const gc_mat *X, const gc_mat *T, gc_error *err)
{
    if (net == NULL || X == NULL || T == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_net_set_data: NULL argument");
    if (net->nlayers == 0)
        return gc_error_set(err, GC_EINVAL, "the network has no layers");
    int in = gc_net_in(net), out = gc_net_out(net);
    if (X->rows != in)
        return gc_error_set(err, GC_ESHAPE, "x: expected %d features per example, got %d", in,
                            X->rows);
    if (T->rows != out)
        return gc_error_set(err, GC_ESHAPE, "y: expected %d targets per example, got %d", out,
                            T->rows);
    if (T->cols != X->cols)
        return gc_error_set(err, GC_ESHAPE, "y: expected %d examples (as x), got %d", X->cols,
                            T->cols);
    int rc = check_finite(X, "x", err);
    if (rc == GC_OK)
        rc = check_finite(T, "y", err);
    if (rc == GC_OK && net->loss->check_target != NULL)
        rc = net->loss->check_target(T, err);
    if (rc != GC_OK)
        return rc;

    /* The new cache is built before the old one is freed: X or T may be the
     * network's own act[0] or T (re-setting the same data), and a failure
     * leaves the previous data and cache as they were. */
    int n = net->nlayers, B = X->cols;
    gc_net tmp = {.nlayers = n};
    tmp.act = calloc((size_t)n + 1, sizeof *tmp.act);
    tmp.dact = calloc((size_t)n + 1, sizeof *tmp.dact);
    tmp.T = gc_mat_dup(T);
    if (tmp.act == NULL || tmp.dact == NULL || tmp.T == NULL)
        goto fail;
    for (int k = 0; k <= n; k++) {
        int rows = k == 0 ? in : net->layers[k - 1]->out;
        tmp.act[k] = gc_mat_new(rows, B);
        tmp.dact[k] = gc_mat_new(rows, B);
        if (tmp.act[k] == NULL || tmp.dact[k] == NULL)
            goto fail;
    }
    for (int k = 0; k < n; k++) /* ops->workspace: sized for B before any forward */
        if (gc_layer_reserve(net->layers[k], B) != GC_OK)
            goto fail;
    gc_mat_copy(tmp.act[0], X);
    free_data(net);
    net->act = tmp.act;
    net->dact = tmp.dact;
    net->T = tmp.T;
    net->batch = B;
    net->loss_value = NAN;
    return GC_OK;
fail:
    free_data(&tmp);
    return gc_error_set(err, GC_ENOMEM, "out of memory sizing the cache for %d examples", B);
}

/* AUTO's choice for the weights of layer k: HE when the next layer is a
 * relu-like activation (its kink at 0 halves the variance), else XAVIER. */
static gc_init auto_init(const gc_net *net, int k)
{
    static const char *const relu_like[] = {"relu", "leaky_relu", "elu"};
    if (k + 1 < net->nlayers)
        for (size_t i = 0; i < sizeof relu_like / sizeof relu_like[0]; i++)
            if (strcmp(net->layers[k + 1]->ops->type, relu_like[i]) == 0)
                return GC_INIT_HE;
    return GC_INIT_XAVIER;
}

/* One value of a tensor with these fans, drawn as `init` says. */
static double draw_value(gc_init init, int is_bias, double fan_in, double fan_out,
                         gc_pcg32 *rng)
{
    switch (init) {
    case GC_INIT_UNIFORM:
        return gc_pcg32_uniform(rng);
    case GC_INIT_XAVIER:
        return is_bias ? 0.0 : sqrt(6.0 / (fan_in + fan_out)) * (2.0 * gc_pcg32_uniform(rng) - 1.0);
    case GC_INIT_HE:
        return is_bias ? 0.0 : sqrt(2.0 / fan_in) * gc_pcg32_normal(rng);
    case GC_INIT_AUTO:
        break;
    }
    return (2.0 * gc_pcg32_uniform(rng) - 1.0) / sqrt(fan_in); /* AUTO's bias */
}

int gc_net_init_params(gc_net *net, gc_init init, gc_pcg32 *rng)
{
    /* checked before any draw: an unknown init would leave every value
     * unchanged, silently */
    if (net == NULL || rng == NULL || (int)init < GC_INIT_UNIFORM || init > GC_INIT_AUTO)
        return GC_EINVAL;
    for (int k = 0; k < net->nlayers; k++) {
        gc_layer *l = net->layers[k];
        gc_init weights = init == GC_INIT_AUTO ? auto_init(net, k) : init;
        for (int p = 0; p < l->nparams; p++) {
            gc_tensor *t = &l->param[p];
            size_t n = (size_t)t->rows * (size_t)t->cols;
            /* A tensor is a weight matrix, drawn, unless it is a bias: the b of
             * an affine layer, or a column (cols == 1) of any other layer. */
            int is_bias = (l->ops->caps & GC_CAP_AFFINE) ? p == 1 : t->cols == 1;
            /* Fans: an affine W maps in -> out; another tensor rows x cols. */
            double fan_in = (l->ops->caps & GC_CAP_AFFINE) ? l->in : t->cols;
            double fan_out = (l->ops->caps & GC_CAP_AFFINE) ? l->out : t->rows;
            gc_init how = is_bias && init == GC_INIT_AUTO ? GC_INIT_AUTO : weights;
            for (size_t i = 0; i < n; i++)
                t->value[i] = draw_value(how, is_bias, fan_in, fan_out, rng);
        }
    }
    return GC_OK;
}

double gc_net_forward_from(gc_net *net, int k)
{
    if (net == NULL || net->batch == 0 || k < 0 || k > net->nlayers)
        return NAN;
    for (int i = k; i < net->nlayers; i++) {
        gc_layer *l = net->layers[i];
        l->ops->forward(l, net->act[i + 1], net->act[i]);
        net->nforward++;
    }
    net->loss_value = net->loss->value(net->act[net->nlayers], net->T);
    return net->loss_value;
}

double gc_net_forward(gc_net *net)
{
    return gc_net_forward_from(net, 0);
}

void gc_net_backward(gc_net *net)
{
    if (net == NULL || net->batch == 0)
        return;
    /* A dense layer's W and b gradients are set by gc_dense_backward_set,
     * the bits zeroing them and adding would give; every other gradient is
     * zeroed here and added to by its layer's backward. */
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *tn = net->tensors[t];
        const gc_layer *l = net->layers[net->tensor_layer[t]];
        if (l->ops != &gc_dense_ops || (tn != &l->param[0] && tn != &l->param[1]))
            memset(tn->grad, 0, (size_t)tn->rows * (size_t)tn->cols * sizeof(double));
    }
    int n = net->nlayers;
    net->loss->grad(net->dact[n], net->act[n], net->T);
    /* bce after the built-in softmax: the columns it can take redone in one
     * step, which never forms 1 - p from a p rounded near 1 (loss.c); dact[n]
     * is still dL/dP as the loss gives it. */
    const int one_step = n >= 1 && net->loss == &gc_loss_bce &&
                         net->layers[n - 1]->ops == gc_act_ops(GC_ACT_SOFTMAX);
    for (int k = n - 1; k >= 0; k--) {
        gc_layer *l = net->layers[k];
        if (l->ops == &gc_dense_ops)
            gc_dense_backward_set(l, net->dact[k], net->act[k], net->dact[k + 1]);
        else
            l->ops->backward(l, net->dact[k], net->act[k], net->act[k + 1], net->dact[k + 1]);
        if (one_step && k == n - 1)
            gc_softmax_bce_backward(net->dact[k], net->act[k], net->act[n], net->T);
    }
}

gc_tensor *gc_net_find_tensor(const gc_net *net, const char *name, int *layer)
{
    if (net == NULL || name == NULL)
        return NULL;
    for (int t = 0; t < net->ntensors; t++) {
        if (strcmp(net->tensors[t]->name, name) == 0) {
            if (layer != NULL)
                *layer = net->tensor_layer[t];
            return net->tensors[t];
        }
    }
    return NULL;
}
