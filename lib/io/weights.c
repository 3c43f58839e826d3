/*
 * weights.c -- the arrays a network file takes from its .npz: found by
 * name, checked for shape and finiteness as the JSON path checks its
 * numbers, copied into the network's tensors.
 */
#include "io/weights.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A .npy (a one-member archive) or a .npz, by the name's ending. */
static gc_npz *read_any(const char *path, size_t max, char *why)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".npy") == 0 ? gc_npz_read_npy(path, max, why)
                                                       : gc_npz_read(path, max, why);
}

gc_npz *gc_weights_open(const char *anchor, const char *name, size_t max, char *why)
{
    const char *slash = anchor != NULL ? strrchr(anchor, '/') : NULL;
    if (name[0] == '/' || slash == NULL)
        return read_any(name, max, why);
    size_t dn = (size_t)(slash - anchor) + 1, nn = strlen(name);
    char *path = malloc(dn + nn + 1);
    if (path == NULL) {
        snprintf(why, GC_NPY_WHY, "out of memory");
        return NULL;
    }
    memcpy(path, anchor, dn);
    memcpy(path + dn, name, nn + 1);
    gc_npz *z = read_any(path, max, why);
    free(path);
    return z;
}

static void shape_want(char *buf, size_t n, int ndim, const size_t want[2])
{
    char d[2][24];
    for (int k = 0; k < ndim; k++)
        if (want[k] > 0)
            snprintf(d[k], sizeof d[k], "%zu", want[k]);
        else
            snprintf(d[k], sizeof d[k], "any");
    if (ndim == 1)
        snprintf(buf, n, "(%s,)", d[0]);
    else
        snprintf(buf, n, "(%s, %s)", d[0], d[1]);
}

/* Where the elements of a may first be non-finite: 0, or past the leading
 * blocks of 64 float64 elements that are all finite (the caller looks at
 * the rest one at a time).  A double is finite unless its 11 exponent bits
 * are all ones, and then adding 1 to the exponent field carries into the
 * sign bit: 64 at a time, the carries or'ed together with no branch (the
 * bytes read as they lie in the file: the machine's byte order is the
 * file's). */
static size_t first_nonfinite(const gc_npy *a)
{
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t exponent = 0x7ff0000000000000u, one = 0x0010000000000000u;
    if (a->size == 8) {
        for (; a->count - i >= 64; i += 64) {
            const unsigned char *p = a->data + 8 * i;
            uint64_t carry[8] = {0}, any = 0; /* 8 lanes: -O2 vectorises them */
#pragma GCC unroll 8
            for (int k = 0; k < 64; k += 8)
#pragma GCC unroll 8
                for (int l = 0; l < 8; l++) {
                    uint64_t u;
                    memcpy(&u, p + 8 * (k + l), sizeof u);
                    carry[l] |= (u & exponent) + one;
                }
#ifdef GC_WEIGHTS_LANES_MUTANT /* checks/io/check_weights.c: the last lane not looked at */
            carry[7] = 0;
#endif
            for (int l = 0; l < 8; l++)
                any |= carry[l];
            if (any >> 63)
                break;
        }
    }
#endif
    return i;
}

int gc_weights_take(gc_npz *z, const char *name, int ndim, const size_t want[2],
                    const gc_npz_member **out, char *why)
{
    gc_npz_member *m = gc_npz_find(z, name);
    *out = NULL;
    if (m == NULL)
        return 0;
    m->used = 1;
    const gc_npy *a = &m->a;
    int ok = a->ndim == ndim;
    for (int k = 0; ok && k < ndim; k++)
        ok = a->shape[k] > 0 && (want[k] == 0 || a->shape[k] == want[k]);
    if (!ok) {
        char w[56], g[96];
        shape_want(w, sizeof w, ndim, want);
        gc_npy_shape_str(a, g, sizeof g);
        snprintf(why, GC_NPY_WHY, "expected shape %s, got %.80s", w, g);
        return -1;
    }
    for (size_t i = first_nonfinite(a); i < a->count; i++) {
        double v = gc_npy_get(a, i);
        if (!isfinite(v)) {
            if (ndim == 1)
                snprintf(why, GC_NPY_WHY, "element [%zu] is %g: expected finite numbers", i, v);
            else
                snprintf(why, GC_NPY_WHY, "element [%zu, %zu] is %g: expected finite numbers",
                         i / a->shape[1], i % a->shape[1], v);
            return -2;
        }
    }
    *out = m;
    return 0;
}

void gc_weights_copy(const gc_npz_member *m, double *dst, int transpose)
{
    const gc_npy *a = &m->a;
    size_t rows = a->shape[0], cols = a->ndim == 2 ? a->shape[1] : 1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* float64 in the machine's byte order and layout: the bytes are the values */
    if (a->size == 8 && (!transpose || cols == 1 || rows == 1)) {
        memcpy(dst, a->data, rows * cols * sizeof *dst);
        return;
    }
#endif
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            dst[transpose ? j * rows + i : i * cols + j] = gc_npy_get(a, i * cols + j);
}

const char *gc_weights_unused(const gc_npz *z)
{
    for (int k = 0; z != NULL && k < z->n; k++)
        if (!z->m[k].used)
            return z->m[k].name;
    return NULL;
}
