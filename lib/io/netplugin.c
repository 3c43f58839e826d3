/*
 * netplugin.c -- a network file's {"type": "plugin"} layer (io/plugin.h):
 * its keys read and checked, its library found beside the file, its factory
 * called through gc_layer_load.
 */
#include "io/plugin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "LIB" relative to the directory of `file` (unless absolute or file is
 * NULL), in a new string. */
static char *beside(const char *file, const char *lib)
{
    const char *slash = file != NULL && lib[0] != '/' ? strrchr(file, '/') : NULL;
    size_t dir = slash != NULL ? (size_t)(slash - file) + 1 : 0;
    char *p = malloc(dir + strlen(lib) + 1);
    if (p != NULL) {
        memcpy(p, file != NULL ? file : "", dir);
        strcpy(p + dir, lib);
    }
    return p;
}

/* The string at key, or NULL with err set. */
static const char *get_string(const char *label, const char *path, const json_t *lj,
                              const char *key, gc_error *err)
{
    const json_t *v = json_object_get(lj, key);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        gc_error_set(err, GC_EPARSE, "%s: %s.%s: %s", label, path, key,
                     v == NULL ? "missing key" : "expected a non-empty string");
        return NULL;
    }
    return json_string_value(v);
}

/* in, out and the hyper-parameters from the object's keys. */
static int read_args(const char *label, const char *path, const json_t *lj, int width,
                     gc_layer_args *a, gc_error *err)
{
    const char *key;
    const json_t *v;
    a->in = a->out = width;
    json_object_foreach((json_t *)lj, key, v) {
        if (strcmp(key, "type") == 0 || strcmp(key, "lib") == 0 || strcmp(key, "factory") == 0)
            continue;
        double x = json_number_value(v);
        if (!json_is_number(v) || !isfinite(x))
            return gc_error_set(err, GC_EPARSE, "%s: %s.%s: expected a number", label, path, key);
        int is_io = strcmp(key, "in") == 0 || strcmp(key, "out") == 0;
        if (is_io && !(json_is_integer(v) && x >= 1 && x <= 1000000))
            return gc_error_set(err, GC_EPARSE, "%s: %s.%s: expected an integer in 1..1000000",
                                label, path, key);
        if (strcmp(key, "in") == 0 && (int)x != width)
            return gc_error_set(err, GC_ESHAPE, "%s: %s.in: expected %d (the width reaching it), "
                                "got %d", label, path, width, (int)x);
        if (strcmp(key, "out") == 0)
            a->out = (int)x;
        else if (!is_io && gc_layer_args_set(a, key, x) != GC_OK)
            return gc_error_set(err, GC_EPARSE, "%s: %s.%s: not a hyper-parameter name (1 to %d "
                                "chars of [A-Za-z0-9_], at most %d of them)", label, path, key,
                                GC_NAME_MAX - 1, GC_LAYER_MAX_ARGS);
    }
    return GC_OK;
}

int gc_io_plugin_layer(const char *label, const char *file, const char *path, const json_t *lj,
                       int *width, gc_pcg32 *rng, gc_layer **out, gc_error *err)
{
    *out = NULL;
    const char *lib = get_string(label, path, lj, "lib", err);
    const char *factory = lib != NULL ? get_string(label, path, lj, "factory", err) : NULL;
    if (factory == NULL)
        return GC_EPARSE;
    gc_layer_args a;
    gc_layer_args_init(&a, *width, *width, rng);
    int rc = read_args(label, path, lj, *width, &a, err);
    if (rc != GC_OK)
        return rc;
    char *where = beside(file, lib);
    if (where == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: %s: out of memory", label, path);
    gc_error lerr = {0, {0}};
    rc = gc_layer_load(where, factory, &a, out, &lerr);
    free(where);
    if (rc != GC_OK)
        return gc_error_set(err, rc, "%s: %s: %s", label, path, lerr.msg);
    *width = a.out;
    return GC_OK;
}

int gc_io_init_params(gc_net *net, gc_init init, gc_pcg32 *rng)
{
    size_t n = 0;
    for (int t = 0; net != NULL && t < net->ntensors; t++)
        if (net->layers[net->tensor_layer[t]]->dl != NULL)
            n += (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
    double *keep = n > 0 ? malloc(n * sizeof *keep) : NULL;
    if (n > 0 && keep == NULL)
        return GC_ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0;
        for (int t = 0; net != NULL && t < net->ntensors; t++) {
            if (net->layers[net->tensor_layer[t]]->dl == NULL)
                continue;
            size_t m = (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
            if (pass == 0)
                memcpy(keep + off, net->tensors[t]->value, m * sizeof *keep);
            else
                memcpy(net->tensors[t]->value, keep + off, m * sizeof *keep);
            off += m;
        }
        if (pass == 0) {
            int rc = gc_net_init_params(net, init, rng);
            if (rc != GC_OK) {
                free(keep);
                return rc;
            }
        }
    }
    free(keep);
    return GC_OK;
}
