/*
 * netfile_layers.c -- one entry of a network file's "layers": its type,
 * keys and sizes checked, its elements counted against the limit, and the
 * layer built (a dense layer's given W and b are only located here; they
 * are copied once the whole network exists, see netfile_load.c).
 */
#include "io/netfile_parse.h"
#include "io/plugin.h"

#include <stdio.h>
#include <string.h>

static const char *const DENSE_KEYS[] = {"type", "in", "out", "W", "b", NULL};
static const char *const ALPHA_KEYS[] = {"type", "alpha", NULL};
static const char *const ACT_KEYS[] = {"type", NULL};

/* The "in" and "out" of the dense layer at path, each a size. */
static int dense_sizes(const gc_nf_ctx *c, const char *path, const json_t *lj, int *in,
                       int *out)
{
    char p[GC_NF_PATH_MAX];
    const char *names[2] = {"in", "out"};
    int *vals[2] = {in, out};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(lj, names[i]);
        gc_nf_path_key(p, sizeof p, path, names[i]);
        if (v == NULL)
            return gc_nf_fail(c, GC_EPARSE, p, "missing key");
        int rc = gc_nf_get_size(c, p, v, vals[i]);
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

static int parse_dense(gc_nf_ctx *c, const char *path, const json_t *lj, int *width,
                       const char *src, gc_layer **out, gc_nf_given *g)
{
    char p[GC_NF_PATH_MAX];
    int rc = gc_nf_check_keys(c, path, lj, DENSE_KEYS, NULL, "");
    int in = 0, outw = 0;
    if (rc == GC_OK)
        rc = dense_sizes(c, path, lj, &in, &outw);
    if (rc != GC_OK)
        return rc;
    if ((long long)in * outw > GC_NF_MAX_WEIGHTS)
        return gc_nf_fail(c, GC_ERANGE, path, "W would have %lld weights, more than %lld",
                          (long long)in * outw, GC_NF_MAX_WEIGHTS);
    gc_nf_path_key(p, sizeof p, path, "in");
    if (in != *width)
        return gc_nf_fail(c, GC_ESHAPE, p, "expected %d (%s), got %d", *width, src, in);
    g->W = json_object_get(lj, "W");
    g->b = json_object_get(lj, "b");
    gc_nf_path_key(p, sizeof p, path, "W");
    if (gc_nf_is_npy(g->W))
        rc = gc_nf_npy_tensor(c, p, g->W, 2, (size_t)outw, (size_t)in, &g->Wf, &g->Wn);
    else if (g->W != NULL)
        rc = gc_nf_check_rows(c, p, g->W, (size_t)outw, (size_t)in);
    if (rc != GC_OK)
        return rc;
    gc_nf_path_key(p, sizeof p, path, "b");
    if (gc_nf_is_npy(g->b))
        rc = gc_nf_npy_tensor(c, p, g->b, 1, (size_t)outw, 0, &g->bf, &g->bn);
    else if (g->b != NULL)
        rc = gc_nf_check_numbers(c, p, g->b, (size_t)outw, "value", "values", "");
    if (rc != GC_OK)
        return rc;
    /* W and b, and the layer's output for every example */
    rc = gc_nf_spend(c, path, (long long)in * outw + outw + (long long)outw * c->batch);
    if (rc != GC_OK)
        return rc;
    *out = gc_dense_new(in, outw);
    if (*out == NULL)
        return gc_nf_fail(c, GC_ENOMEM, path, "out of memory");
    *width = outw;
    return GC_OK;
}

/* An activation of type `type` (the string at path.type, as tj) and the
 * width before it. */
static int parse_activation(gc_nf_ctx *c, const char *path, const json_t *lj,
                            const json_t *tj, int width, gc_layer **out)
{
    char got[GC_NF_GOT_MAX], p[GC_NF_PATH_MAX];
    gc_act act;
    gc_nf_path_key(p, sizeof p, path, "type");
    if (gc_act_from_name(json_string_value(tj), &act) != GC_OK) {
        char list[256] = "";
        for (int a = 0; a < GC_ACT_COUNT; a++) {
            if (a > 0)
                strcat(list, ", ");
            strcat(list, gc_act_name((gc_act)a));
        }
        return gc_nf_fail(c, GC_EPARSE, p,
                          "expected \"dense\", \"plugin\" or an activation (%s), got %s", list,
                          gc_nf_describe(got, sizeof got, tj));
    }
    int has_alpha = act == GC_ACT_LEAKY_RELU || act == GC_ACT_ELU;
    int rc = gc_nf_check_keys(c, path, lj, has_alpha ? ALPHA_KEYS : ACT_KEYS, "alpha",
                              " (only leaky_relu and elu take alpha)");
    if (rc != GC_OK)
        return rc;
    double alpha = gc_act_default_alpha(act);
    const json_t *aj = json_object_get(lj, "alpha");
    gc_nf_path_key(p, sizeof p, path, "alpha");
    if (aj != NULL && (rc = gc_nf_get_number(c, p, aj, &alpha)) != GC_OK)
        return rc;
    rc = gc_nf_spend(c, path, (long long)width * c->batch); /* its output */
    if (rc != GC_OK)
        return rc;
    *out = gc_activation_new(act, width, alpha);
    if (*out == NULL)
        return gc_nf_fail(c, GC_ENOMEM, path, "out of memory");
    return GC_OK;
}

/* A plugin layer (io/plugin.h).  Its factory allocates it, so its elements
 * are counted once it exists: they still bound everything after it. */
static int parse_plugin(gc_nf_ctx *c, const char *path, const json_t *lj, int *width,
                        gc_layer **out)
{
    /* the fast path declines: a factory must run once, on its object as
     * written (io/netfile_fast.h) */
    if (c->tab != NULL)
        return gc_nf_fail(c, GC_EPARSE, path, "a plugin layer: left to the slow path");
    int rc = gc_io_plugin_layer(c->label, c->anchor, path, lj, width, c->rng, out, c->err);
    if (rc != GC_OK)
        return rc;
    long long n = (long long)(*out)->out * c->batch;
    for (int p = 0; p < (*out)->nparams; p++)
        n += (long long)(*out)->param[p].rows * (*out)->param[p].cols;
    rc = gc_nf_spend(c, path, n);
    if (rc != GC_OK) {
        gc_layer_free(*out);
        *out = NULL;
    }
    return rc;
}

int gc_nf_parse_layer(gc_nf_ctx *c, size_t k, const json_t *lj, int *width, const char *src,
                      gc_layer **out, gc_nf_given *g)
{
    char got[GC_NF_GOT_MAX], path[GC_NF_PATH_MAX], p[GC_NF_PATH_MAX];
    *out = NULL;
    g->W = g->b = NULL;
    snprintf(path, sizeof path, "layers[%zu]", k);
    if (!json_is_object(lj))
        return gc_nf_fail(c, GC_EPARSE, path, "expected an object, got %s",
                          gc_nf_describe(got, sizeof got, lj));
    const json_t *tj = json_object_get(lj, "type");
    gc_nf_path_key(p, sizeof p, path, "type");
    if (tj == NULL)
        return gc_nf_fail(c, GC_EPARSE, p, "missing key");
    if (!json_is_string(tj))
        return gc_nf_fail(c, GC_EPARSE, p, "expected a string, got %s",
                          gc_nf_describe(got, sizeof got, tj));
    if (strcmp(json_string_value(tj), "dense") == 0)
        return parse_dense(c, path, lj, width, src, out, g);
    if (strcmp(json_string_value(tj), "plugin") == 0)
        return parse_plugin(c, path, lj, width, out);
    return parse_activation(c, path, lj, tj, *width, out);
}
