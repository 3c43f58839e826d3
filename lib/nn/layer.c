/*
 * layer.c -- the layer contract's helpers: construct a layer, give it named
 * parameter tensors, free it.
 *
 * A parameter's value and gradient are two zero-filled buffers owned by the
 * layer; the network and the engine reach them through the gc_tensor table,
 * so no code outside the layer needs to know what the parameters mean.
 */
#include "gradcheck/layer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

gc_layer *gc_layer_new(const gc_layer_ops *ops, int in, int out)
{
    /* The network compares type names and calls forward/backward unchecked. */
    if (ops == NULL || ops->type == NULL || ops->forward == NULL || ops->backward == NULL || in < 1 ||
        out < 1)
        return NULL;
    gc_layer *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->ops = ops;
    l->in = in;
    l->out = out;
    return l;
}

int gc_layer_add_param(gc_layer *l, const char *name, int rows, int cols)
{
    if (l == NULL || name == NULL || name[0] == '\0' || rows < 1 || cols < 1)
        return GC_EINVAL;
    if (l->nparams >= GC_LAYER_MAX_PARAMS || strlen(name) >= GC_NAME_MAX)
        return GC_EINVAL;
    if ((size_t)rows > SIZE_MAX / sizeof(double) / (size_t)cols)
        return GC_ENOMEM;
    size_t n = (size_t)rows * (size_t)cols;
    double *value = calloc(n, sizeof *value);
    double *grad = calloc(n, sizeof *grad);
    if (value == NULL || grad == NULL) {
        free(value);
        free(grad);
        return GC_ENOMEM;
    }
    gc_tensor *t = &l->param[l->nparams];
    memset(t->name, 0, sizeof t->name);
    memcpy(t->name, name, strlen(name));
    t->rows = rows;
    t->cols = cols;
    t->value = value;
    t->grad = grad;
    return l->nparams++;
}

void gc_layer_free(gc_layer *l)
{
    if (l == NULL)
        return;
    if (l->ops != NULL && l->ops->destroy != NULL)
        l->ops->destroy(l);
    for (int i = 0; i < l->nparams; i++) {
        free(l->param[i].value);
        free(l->param[i].grad);
    }
    free(l);
}
