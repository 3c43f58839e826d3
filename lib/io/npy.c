/*
 * npy.c -- one .npy array image: its header (a Python dict literal, e.g.
 * "{'descr': '<f8', 'fortran_order': False, 'shape': (128, 784), }") and its
 * data, validated.  The format is numpy's (numpy.lib.format): the magic
 * "\x93NUMPY", a major and minor version, the header length (2 bytes
 * little-endian in version 1, 4 in versions 2 and 3), the header, the data.
 */
#include "io/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int bad(char *why, const char *msg)
{
    snprintf(why, GC_NPY_WHY, "%s", msg);
    return -1;
}

/* The header's tokens: skip blanks, then expect text. */
static const char *skip(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static const char *expect(const char *p, const char *end, const char *text)
{
    p = skip(p, end);
    size_t n = strlen(text);
    return (size_t)(end - p) >= n && memcmp(p, text, n) == 0 ? p + n : NULL;
}

/* A quoted string ('...' or "...") into out (n bytes); NULL when none.  A
 * control byte (a NUL, a newline) inside is no string numpy writes, and
 * would cut a comparison short or split a message. */
static const char *quoted(const char *p, const char *end, char *out, size_t n)
{
    p = skip(p, end);
    if (p >= end || (*p != '\'' && *p != '"'))
        return NULL;
    char q = *p++;
    size_t k = 0;
    while (p < end && *p != q) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
        if (k + 1 < n)
            out[k++] = *p;
        p++;
    }
    out[k] = '\0';
    return p < end ? p + 1 : NULL;
}

/* A shape tuple: "()", "(3,)", "(2, 3)", into a. */
static const char *shape(const char *p, const char *end, gc_npy *a)
{
    if ((p = expect(p, end, "(")) == NULL)
        return NULL;
    a->ndim = 0;
    for (;;) {
        p = skip(p, end);
        if (p < end && *p == ')')
            return p + 1;
        if (a->ndim == GC_NPY_MAXDIM || p >= end || *p < '0' || *p > '9')
            return NULL;
        size_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > (SIZE_MAX - 9) / 10)
                return NULL;
            v = v * 10 + (size_t)(*p++ - '0');
        }
        a->shape[a->ndim++] = v;
        p = skip(p, end);
        if (p < end && *p == ',')
            p++;
        else if (p >= end || *p != ')')
            return NULL;
    }
}

/* Parse the dict: exactly the keys descr, fortran_order and shape. */
static int header(const char *p, const char *end, gc_npy *a, char *why)
{
    char descr[16] = "", key[32];
    int fortran = -1, have_shape = 0;
    if ((p = expect(p, end, "{")) == NULL)
        return bad(why, "header is no dict");
    for (;;) {
        const char *q = expect(p, end, "}");
        if (q != NULL)
            break;
        if ((p = quoted(p, end, key, sizeof key)) == NULL || (p = expect(p, end, ":")) == NULL)
            return bad(why, "header is no dict of 'descr', 'fortran_order' and 'shape'");
        if (strcmp(key, "descr") == 0) {
            p = quoted(p, end, descr, sizeof descr);
        } else if (strcmp(key, "fortran_order") == 0) {
            const char *t = expect(p, end, "True"), *f = expect(p, end, "False");
            fortran = t != NULL;
            p = t != NULL ? t : f;
        } else if (strcmp(key, "shape") == 0) {
            p = shape(p, end, a);
            have_shape = 1;
        } else {
            snprintf(why, GC_NPY_WHY, "header has an unknown key '%.20s'", key);
            return -1;
        }
        if (p == NULL)
            return bad(why, "header is no dict of 'descr', 'fortran_order' and 'shape'");
        const char *c = expect(p, end, ",");
        if (c != NULL)
            p = c;
    }
    if (descr[0] == '\0' || fortran < 0 || !have_shape)
        return bad(why, "header lacks 'descr', 'fortran_order' or 'shape'");
    if (fortran)
        return bad(why, "Fortran order: save it in C order (numpy.ascontiguousarray)");
    if (strcmp(descr, "<f8") == 0 || strcmp(descr, "<f4") == 0) {
        a->size = descr[2] - '0';
        return 0;
    }
    if (strcmp(descr, ">f8") == 0 || strcmp(descr, ">f4") == 0)
        snprintf(why, GC_NPY_WHY, "dtype '%s' is big-endian: expected '<f8' or '<f4'", descr);
    else
        snprintf(why, GC_NPY_WHY, "dtype '%s': expected float64 ('<f8') or float32 ('<f4')",
                 descr);
    return -1;
}

int gc_npy_parse(const unsigned char *buf, size_t len, gc_npy *a, char *why)
{
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return bad(why, "not a .npy file (no \\x93NUMPY magic)");
    int major = buf[6];
    size_t hlen, start;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return bad(why, "truncated header");
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
               (size_t)buf[11] << 24;
        start = 12;
    } else {
        snprintf(why, GC_NPY_WHY, "format version %d.%d: expected 1.0, 2.0 or 3.0", major,
                 buf[7]);
        return -1;
    }
    if (hlen > len - start)
        return bad(why, "truncated header");
    const char *h = (const char *)buf + start;
    if (header(h, h + hlen, a, why) != 0)
        return -1;
    a->count = 1;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] != 0 && a->count > SIZE_MAX / 8 / a->shape[d])
            return bad(why, "shape too large");
        a->count *= a->shape[d];
    }
    size_t have = len - start - hlen, want = a->count * (size_t)a->size;
    if (have != want) {
        snprintf(why, GC_NPY_WHY, "%zu data bytes, the shape and dtype say %zu", have, want);
        return -1;
    }
    a->data = buf + start + hlen;
    return 0;
}

double gc_npy_get(const gc_npy *a, size_t i)
{
    const unsigned char *p = a->data + i * (size_t)a->size;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the file's byte order is the machine's: the bytes are the value */
    if (a->size == 8) {
        double d;
        memcpy(&d, p, sizeof d);
        return d;
    }
#endif
    if (a->size == 4) {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        float f;
        memcpy(&f, &u, sizeof f);
        return (double)f;
    }
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--)
        u = u << 8 | p[k];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

void gc_npy_shape_str(const gc_npy *a, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int d = 0; d < a->ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d == 0 ? "%zu" : ", %zu", a->shape[d]);
    if (k < n)
        snprintf(buf + k, n - k, a->ndim == 1 ? ",)" : ")");
}
