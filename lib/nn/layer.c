/*
 * layer.c -- the layer contract's helpers: construct a layer, give it named
 * parameter tensors, free it.
 *
 * A parameter's value and gradient are two zero-filled buffers owned by the
 * layer; the network and the engine reach them through the gc_tensor table,
 * so no code outside the layer needs to know what the parameters mean.
 */
#include "gradcheck/layer.h"

#include <ctype.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
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

int gc_layer_reserve(gc_layer *l, int batch)
{
    if (l == NULL || batch < 1)
        return GC_EINVAL;
    if (l->ops == NULL || l->ops->workspace == NULL)
        return GC_OK;
    size_t n = l->ops->workspace(l, batch);
    if (n <= l->work_size)
        return GC_OK;
    void *w = calloc(1, n);
    if (w == NULL)
        return GC_ENOMEM;
    free(l->work);
    l->work = w;
    l->work_size = n;
    return GC_OK;
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
    free(l->work);
    void *dl = l->dl;
    free(l);
    /* last: ops, destroy and the type name live in the shared object */
    if (dl != NULL)
        dlclose(dl);
}

/* ---- hyper-parameters ---------------------------------------------------- */

void gc_layer_args_init(gc_layer_args *a, int in, int out, gc_pcg32 *rng)
{
    if (a == NULL)
        return;
    memset(a, 0, sizeof *a);
    a->in = in;
    a->out = out;
    a->rng = rng;
}

static int arg_name_ok(const char *name, size_t len)
{
    if (len == 0 || len >= GC_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return 0;
    return 1;
}

static int find_arg(const gc_layer_args *a, const char *name, size_t len)
{
    for (int k = 0; k < a->n; k++)
        if (strlen(a->arg[k].name) == len && memcmp(a->arg[k].name, name, len) == 0)
            return k;
    return -1;
}

/* name is len bytes (not necessarily NUL-terminated: the parser's view). */
static int set_arg(gc_layer_args *a, const char *name, size_t len, double value)
{
    if (a == NULL || name == NULL || !arg_name_ok(name, len) || !isfinite(value))
        return GC_EINVAL;
    int k = find_arg(a, name, len);
    if (k < 0) {
        if (a->n >= GC_LAYER_MAX_ARGS)
            return GC_EINVAL;
        k = a->n++;
        memset(a->arg[k].name, 0, GC_NAME_MAX);
        memcpy(a->arg[k].name, name, len);
    }
    a->arg[k].value = value;
    return GC_OK;
}

int gc_layer_args_set(gc_layer_args *a, const char *name, double value)
{
    return name == NULL ? GC_EINVAL : set_arg(a, name, strlen(name), value);
}

int gc_layer_args_parse(gc_layer_args *a, const char *list, gc_error *err)
{
    if (a == NULL || list == NULL)
        return gc_error_set(err, GC_EINVAL, "NULL hyper-parameter list");
    const char *p = list;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        char num[64];
        char *end = NULL;
        double v = NAN;
        if (eq != NULL && (size_t)(p + n - eq - 1) < sizeof num) {
            memcpy(num, eq + 1, (size_t)(p + n - eq - 1));
            num[p + n - eq - 1] = '\0';
            v = strtod(num, &end);
        }
        if (eq == NULL || end == num || end == NULL || *end != '\0' ||
            set_arg(a, p, (size_t)(eq - p), v) != GC_OK)
            return gc_error_set(err, GC_EINVAL,
                                "'%.*s': expected NAME=NUMBER (NAME of [A-Za-z0-9_], up to %d "
                                "chars; a finite number; at most %d of them)",
                                (int)n, p, GC_NAME_MAX - 1, GC_LAYER_MAX_ARGS);
        p += n;
        if (*p == ',')
            p++;
    }
    return GC_OK;
}

double gc_layer_args_get(gc_layer_args *a, const char *name, double dflt)
{
    int k = a != NULL && name != NULL ? find_arg(a, name, strlen(name)) : -1;
    if (k < 0)
        return dflt;
    a->read |= 1u << k;
    return a->arg[k].value;
}

int gc_layer_args_int(gc_layer_args *a, const char *name, int dflt)
{
    int k = a != NULL && name != NULL ? find_arg(a, name, strlen(name)) : -1;
    if (k < 0)
        return dflt;
    double v = a->arg[k].value;
    a->read |= 1u << k;
    if (!(v == floor(v) && v >= INT_MIN && v <= INT_MAX)) {
        a->notint |= 1u << k;
        return dflt;
    }
    return (int)v;
}

int gc_layer_args_check(const gc_layer_args *a, gc_error *err)
{
    for (int k = 0; a != NULL && k < a->n; k++) {
        if (!(a->read >> k & 1u))
            return gc_error_set(err, GC_EINVAL, "%s: no such hyper-parameter (the factory did "
                                "not read it)", a->arg[k].name);
        if (a->notint >> k & 1u)
            return gc_error_set(err, GC_EINVAL, "%s: expected an integer, got %.17g",
                                a->arg[k].name, a->arg[k].value);
    }
    return GC_OK;
}
