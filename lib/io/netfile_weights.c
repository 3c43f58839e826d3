/*
 * netfile_weights.c -- a network file's binary weights: a tensor given as
 * {"npy": "FILE.npy"} in place of its numbers, and the .npz archive the
 * top-level "weights" names (W1, b1, ... by dense layer, x, y), each array
 * checked against the shape and the rules its JSON numbers would meet.
 */
#include "io/netfile_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes a weights file may hold or inflate to: every element the
 * element limit allows as a float64, and 1 MiB for headers and the zip's
 * own records. */
static size_t weights_max(const gc_nf_ctx *c)
{
    long long e = c->lim.max_elements;
    if (e < 0 || (unsigned long long)e > (SIZE_MAX - (1u << 20)) / 8)
        return SIZE_MAX;
    return (size_t)e * 8 + (1u << 20);
}

/* The status of a gc_weights_open failure, by its reason. */
static int open_code(const char *why)
{
    if (strncmp(why, "cannot ", 7) == 0)
        return GC_EIO;
    return strstr(why, "(max_elements)") != NULL ? GC_ELIMIT : GC_EPARSE;
}

int gc_nf_is_npy(const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "npy") != NULL;
}

int gc_nf_npy_tensor(const gc_nf_ctx *c, const char *path, const json_t *v, int ndim, size_t d0,
                     size_t d1, gc_npz **f, const gc_npz_member **m)
{
    char why[GC_NPY_WHY], got[GC_NF_GOT_MAX];
    const json_t *nj = json_object_get(v, "npy");
    *f = NULL;
    *m = NULL;
    size_t n = json_is_string(nj) ? json_string_length(nj) : 0;
    if (json_object_size(v) != 1 || n < 5 || strcmp(json_string_value(nj) + n - 4, ".npy") != 0)
        return gc_nf_fail(c, GC_EPARSE, path, "expected {\"npy\": \"FILE.npy\"}, got %s",
                          gc_nf_describe(got, sizeof got, json_object_size(v) != 1 ? v : nj));
    const char *name = json_string_value(nj);
    if ((*f = gc_weights_open(c->anchor, name, weights_max(c), why)) == NULL)
        return gc_nf_fail(c, open_code(why), path, "%s: %s", name, why);
    const size_t want[2] = {d0, d1};
    int rc = gc_weights_take(*f, "", ndim, want, m, why);
    if (rc != 0)
        return gc_nf_fail(c, rc == -1 ? GC_ESHAPE : GC_ERANGE, path, "%s: %s", name, why);
    return GC_OK;
}

int gc_nf_open_weights(const gc_nf_ctx *c, const json_t *root, gc_npz **z)
{
    char got[GC_NF_GOT_MAX], why[GC_NPY_WHY];
    const json_t *wj = json_object_get(root, "weights");
    *z = NULL;
    if (wj == NULL)
        return GC_OK;
    const double *x;
    size_t nx;
    /* a placeholder (the fast path's array of numbers) names no file */
    size_t n = json_is_string(wj) && !gc_nf_table_run(c->tab, wj, &x, &nx)
                   ? json_string_length(wj) : 0;
    if (n == 0 || (n >= 4 && strcmp(json_string_value(wj) + n - 4, ".npy") == 0))
        return gc_nf_fail(c, GC_EPARSE, "weights", "expected the name of a .npz file (a .npy "
                          "goes in place of one tensor: {\"npy\": FILE}), got %s",
                          gc_nf_describe(got, sizeof got, wj));
    *z = gc_weights_open(c->anchor, json_string_value(wj), weights_max(c), why);
    if (*z == NULL)
        return gc_nf_fail(c, open_code(why), "weights", "%s: %s", json_string_value(wj), why);
    return GC_OK;
}

/* Take array `name` from the archive for the tensor at path, unless the
 * document gives it (in_doc): both is an error. */
static int take(const gc_nf_ctx *c, gc_npz *z, const json_t *root, const char *path,
                const char *name, int in_doc, int ndim, size_t d0, size_t d1,
                const gc_npz_member **out)
{
    char why[GC_NPY_WHY];
    const size_t want[2] = {d0, d1};
    const char *file = json_string_value(json_object_get(root, "weights"));
    *out = NULL;
    int rc = gc_weights_take(z, name, ndim, want, out, why);
    if (rc != 0) /* a wrong shape, or a value that is not finite (as in the JSON) */
        return gc_nf_fail(c, rc == -1 ? GC_ESHAPE : GC_ERANGE, path, "%s in %s: %s", name, file,
                          why);
    if (*out != NULL && in_doc)
        return gc_nf_fail(c, GC_EPARSE, path, "given both here and as %s in %s", name, file);
    return GC_OK;
}

int gc_nf_examples(gc_nf_ctx *c, gc_npz *z, const json_t *root, const char *name, int width,
                   size_t nexamples, const char *width_why, gc_mat **out)
{
    const json_t *v = json_object_get(root, name);
    const gc_npz_member *m;
    gc_npz *f = NULL;
    *out = NULL;
    int rc = take(c, z, root, name, name, v != NULL, 2, nexamples, (size_t)width, &m);
    if (rc == GC_OK && gc_nf_is_npy(v))
        rc = gc_nf_npy_tensor(c, name, v, 2, nexamples, (size_t)width, &f, &m);
    else if (rc == GC_OK && v != NULL)
        return gc_nf_parse_examples(c, name, v, width, nexamples, width_why, out);
    if (rc == GC_OK && m == NULL)
        rc = gc_nf_fail(c, GC_EPARSE, name, "missing key, and no array '%s' in %s", name,
                        json_string_value(json_object_get(root, "weights")));
    else if (rc == GC_OK &&
             (m->a.shape[0] > (size_t)GC_NF_MAX_WEIGHTS || m->a.shape[1] > GC_NF_MAX_WIDTH))
        rc = gc_nf_fail(c, GC_ERANGE, name, "more than %lld examples or %d values",
                        GC_NF_MAX_WEIGHTS, GC_NF_MAX_WIDTH);
    else if (rc == GC_OK && (*out = gc_mat_new((int)m->a.shape[1], (int)m->a.shape[0])) == NULL)
        rc = gc_nf_fail(c, GC_ENOMEM, name, "out of memory");
    if (rc == GC_OK) /* B x width in the file: one column per example */
        gc_weights_copy(m, (*out)->data, 1);
    gc_npz_free(f);
    return rc;
}

int gc_nf_take_dense(const gc_nf_ctx *c, gc_npz *z, const json_t *root, size_t k, int n,
                     const gc_layer *l, gc_nf_given *g)
{
    char path[GC_NF_PATH_MAX], name[GC_NAME_MAX];
    snprintf(path, sizeof path, "layers[%zu].W", k);
    snprintf(name, sizeof name, "W%d", n);
    int rc = take(c, z, root, path, name, g->W != NULL, 2, (size_t)l->out, (size_t)l->in,
                  &g->Wa);
    if (rc != GC_OK)
        return rc;
    snprintf(path, sizeof path, "layers[%zu].b", k);
    snprintf(name, sizeof name, "b%d", n);
    return take(c, z, root, path, name, g->b != NULL, 1, (size_t)l->out, 0, &g->ba);
}

void gc_nf_given_free(gc_nf_given *gv, size_t n)
{
    for (size_t k = 0; gv != NULL && k < n; k++) {
        gc_npz_free(gv[k].Wf);
        gc_npz_free(gv[k].bf);
    }
    free(gv);
}
