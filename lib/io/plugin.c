/*
 * plugin.c -- layers from shared objects: gc_layer_load (<gradcheck/layer.h>),
 * used by the gradcheck command's --layer and by a network file's
 * {"type": "plugin"} layers (io/plugin.h).
 *
 * A factory is called as a gc_layer_factory when the object exports
 * SYMBOL_gc_args (GC_LAYER_FACTORY), else as the first contract's
 * gc_layer_plugin.  What it returns is checked before anything trusts it.
 * The layer keeps its object's handle (l->dl): its ops and destroy live
 * there, so gc_layer_free unloads the object last.
 */
#include "io/plugin.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* What the capability bits promise about the shapes: an elementwise layer
 * maps n -> n with no parameters; an affine layer has exactly W (out x in)
 * and b (out x 1), which the engine indexes as such. */
static int caps_ok(const gc_layer *l, gc_error *err)
{
    unsigned caps = l->ops->caps;
    if ((caps & GC_CAP_ELEMENTWISE) && (l->in != l->out || l->nparams != 0))
        return gc_error_set(err, GC_EINVAL, "factory returned an elementwise layer "
                            "(GC_CAP_ELEMENTWISE) with in=%d out=%d and %d parameters (want "
                            "in = out, no parameters)", l->in, l->out, l->nparams);
    const gc_tensor *W = &l->param[0], *b = &l->param[1];
    if ((caps & GC_CAP_AFFINE) && (l->nparams != 2 || W->rows != l->out || W->cols != l->in ||
                                   b->rows != l->out || b->cols != 1))
        return gc_error_set(err, GC_EINVAL, "factory returned an affine layer (GC_CAP_AFFINE) "
                            "whose parameters are not W (%d x %d) and b (%d x 1)", l->out, l->in,
                            l->out);
    return GC_OK;
}

/* What a factory returned is usable: the shape asked for, ops with forward
 * and backward, parameters with storage, the shapes its capabilities
 * promise.  Else err says what is wrong. */
static int layer_ok(const gc_layer *l, int in, int out, gc_error *err)
{
    if (l->ops == NULL || l->ops->forward == NULL || l->ops->backward == NULL)
        return gc_error_set(err, GC_EINVAL,
                            "factory returned a layer without forward and backward ops");
    if (l->in != in || l->out != out)
        return gc_error_set(err, GC_EINVAL, "factory returned a %d -> %d layer for in=%d out=%d",
                            l->in, l->out, in, out);
    if (l->nparams < 0 || l->nparams > GC_LAYER_MAX_PARAMS)
        return gc_error_set(err, GC_EINVAL, "factory returned a layer with %d parameters (0 to %d)",
                            l->nparams, GC_LAYER_MAX_PARAMS);
    for (int p = 0; p < l->nparams; p++) {
        const gc_tensor *t = &l->param[p];
        if (t->rows < 1 || t->cols < 1 || t->value == NULL || t->grad == NULL ||
            memchr(t->name, '\0', sizeof t->name) == NULL || t->name[0] == '\0')
            return gc_error_set(err, GC_EINVAL, "factory returned a malformed parameter %d "
                                "(use gc_layer_add_param)", p);
    }
    return caps_ok(l, err);
}

/* Free a layer that failed layer_ok: its ops may be unusable, so not
 * through ops->destroy, and not past param[]: its GC_LAYER_MAX_PARAMS
 * slots are the only ones that can hold storage, and are freed. */
static void discard(gc_layer *l)
{
    if (l->ops == NULL || l->ops->forward == NULL || l->ops->backward == NULL)
        l->ops = NULL;
    if (l->nparams < 0)
        l->nparams = 0;
    if (l->nparams > GC_LAYER_MAX_PARAMS)
        l->nparams = GC_LAYER_MAX_PARAMS;
    l->dl = NULL;
    gc_layer_free(l);
}

/* Call the factory the object exports as `symbol`, with the contract it
 * declares. */
static int call_factory(void *dl, void *sym, const char *symbol, gc_layer_args *a,
                        gc_layer **out, gc_error *err)
{
    char marker[GC_ERROR_MAX];
    snprintf(marker, sizeof marker, "%s_gc_args", symbol);
    /* POSIX guarantees that dlsym's void * converts to a function pointer. */
    if (dlsym(dl, marker) != NULL) {
        *out = ((gc_layer_factory)sym)(a);
        if (*out != NULL && gc_layer_args_check(a, err) != GC_OK) {
            gc_layer_free(*out);
            *out = NULL;
            return GC_EINVAL;
        }
    } else {
        if (a->n > 0)
            return gc_error_set(err, GC_EINVAL, "%s takes no hyper-parameters (a gc_layer_plugin; "
                                "declare GC_LAYER_FACTORY(%s) for a gc_layer_factory)", symbol,
                                symbol);
        *out = ((gc_layer_plugin)sym)(a->in, a->out, a->rng);
    }
    if (*out == NULL)
        return gc_error_set(err, GC_EINVAL, "factory returned NULL for in=%d out=%d", a->in,
                            a->out);
    return GC_OK;
}

int gc_layer_load(const char *lib, const char *symbol, gc_layer_args *args, gc_layer **out,
                  gc_error *err)
{
    if (out != NULL)
        *out = NULL;
    if (lib == NULL || lib[0] == '\0' || symbol == NULL || symbol[0] == '\0' || args == NULL ||
        out == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_layer_load: NULL or empty argument");
    /* A path without '/' is a file in the current directory, as the shell
     * user means it, never a search of the library path (which could load
     * a system library of the same name). */
    size_t n = strlen(lib) + 3;
    char *path = malloc(n);
    if (path == NULL)
        return gc_error_set(err, GC_ENOMEM, "out of memory");
    snprintf(path, n, "%s%s", strchr(lib, '/') == NULL ? "./" : "", lib);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    free(path);
    if (dl == NULL) {
        const char *why = dlerror();
        return gc_error_set(err, GC_EIO, "%s", why != NULL ? why : lib);
    }
    dlerror();
    void *sym = dlsym(dl, symbol);
    if (sym == NULL) {
        dlclose(dl);
        return gc_error_set(err, GC_EINVAL, "%s: no symbol '%s'", lib, symbol);
    }
    gc_layer *l = NULL;
    int rc = call_factory(dl, sym, symbol, args, &l, err);
    if (rc == GC_OK && (rc = layer_ok(l, args->in, args->out, err)) != GC_OK)
        discard(l);
    if (rc != GC_OK) {
        dlclose(dl);
        return rc;
    }
    l->dl = dl;
    *out = l;
    return GC_OK;
}
