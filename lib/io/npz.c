/*
 * npz.c -- a .npz archive: a zip of .npy members, read whole into memory.
 *
 * (A lone .npy file is read as an archive of one member, named "".)
 *
 * The zip is read from its central directory (the end record, then one
 * entry per member), which holds every member's true sizes: numpy writes
 * its local headers with zip64 placeholders.  Stored members (np.savez) are
 * viewed in place; deflated ones (np.savez_compressed) are inflated with
 * zlib.  Each member's CRC-32 is checked against the directory's.
 */
#include "io/npy.h"
#include "io/crc32.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static unsigned rd16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The whole file, at most max bytes of it (a device such as /dev/zero is
 * read no further than max + 1), or NULL with why set. */
static unsigned char *slurp(const char *path, size_t max, size_t *len, char *why)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, GC_NPY_WHY, "cannot open: %s", strerror(errno));
        return NULL;
    }
    /* A regular file's size is known: one buffer of it and one byte more
     * (to see a file that grew), no doubling and copying; a pipe or device
     * starts at 64 KiB and doubles. */
    struct stat st;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (unsigned long long)st.st_size < max)
        cap = (size_t)st.st_size + 1;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || ferror(f) || n > max)
            break;
        unsigned char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int e = errno, failed = ferror(f);
    fclose(f);
    if (buf != NULL && !failed && n > max) {
        free(buf);
        snprintf(why, GC_NPY_WHY, "larger than the limit of %zu bytes (max_elements)", max);
        return NULL;
    }
    if (buf == NULL || failed) {
        free(buf);
        snprintf(why, GC_NPY_WHY, failed ? "cannot read: %s" : "out of memory",
                 strerror(e != 0 ? e : EIO));
        return NULL;
    }
    *len = n;
    return buf;
}

/* The end of central directory record: the last "PK\5\6" with room for
 * its 22 bytes and its comment. */
static const unsigned char *end_record(const unsigned char *z, size_t len)
{
    if (len < 22)
        return NULL;
    for (size_t at = len - 22 + 1; at-- > 0 && len - at <= 22 + 65535;)
        if (rd32(z + at) == 0x06054b50u && at + 22 + rd16(z + at + 20) == len)
            return z + at;
    return NULL;
}

/* Sizes of the zip64 extra field (id 1) in place of the 0xFFFFFFFF ones. */
static void zip64_sizes(const unsigned char *x, size_t n, uint64_t *usize, uint64_t *csize,
                        uint64_t *off)
{
    while (n >= 4) {
        unsigned id = rd16(x), sz = rd16(x + 2);
        if (sz > n - 4)
            return;
        if (id == 1) {
            const unsigned char *p = x + 4, *e = x + 4 + sz;
            if (*usize == 0xffffffffu && e - p >= 8)
                *usize = rd64(p), p += 8;
            if (*csize == 0xffffffffu && e - p >= 8)
                *csize = rd64(p), p += 8;
            if (*off == 0xffffffffu && e - p >= 8)
                *off = rd64(p);
            return;
        }
        x += 4 + sz;
        n -= 4 + sz;
    }
}

/* Whether name[0 .. n) holds a control byte (a NUL, a newline): no
 * tensor has such a name, and every message that names a member must stay
 * one line. */
static int has_control(const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 1;
    return 0;
}

/* name[0 .. n) for a message, into out (41 bytes): at most 40 bytes, a
 * control byte shown as '?'. */
static const char *show(const char *name, size_t n, char out[41])
{
    size_t k = n < 40 ? n : 40;
    for (size_t i = 0; i < k; i++)
        out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    out[k] = '\0';
    return out;
}

/* Inflate the raw deflate stream src[0 .. n) into a new buffer of exactly
 * usize bytes; NULL when it does not give exactly that. */
static unsigned char *inflate_all(const unsigned char *src, size_t n, size_t usize)
{
    unsigned char *out = malloc(usize > 0 ? usize : 1);
    if (out == NULL || n > UINT_MAX || usize > UINT_MAX) {
        free(out);
        return NULL;
    }
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    s.next_in = (Bytef *)(uintptr_t)src;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)usize;
    int rc = inflate(&s, Z_FINISH);
    int ok = rc == Z_STREAM_END && s.total_out == usize;
    inflateEnd(&s);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* Member k of the directory at *cd: name, data (stored or inflated), its
 * array.  Advances *cd.  *budget is what inflating may still allocate: an
 * archive's sizes are its own say-so, and deflate expands up to 1032:1. */
static int member(gc_npz *z, const unsigned char **cd, gc_npz_member *m, size_t *budget,
                  char *why)
{
    const unsigned char *c = *cd, *end = z->file + z->len;
    if (end - c < 46 || rd32(c) != 0x02014b50u)
        return snprintf(why, GC_NPY_WHY, "corrupt zip: bad central directory"), -1;
    unsigned method = rd16(c + 10), nlen = rd16(c + 28), xlen = rd16(c + 30),
             clen = rd16(c + 32);
    uint32_t crc = rd32(c + 16);
    uint64_t csize = rd32(c + 20), usize = rd32(c + 24), off = rd32(c + 42);
    if ((size_t)(end - c) < 46u + nlen + xlen + clen)
        return snprintf(why, GC_NPY_WHY, "corrupt zip: bad central directory"), -1;
    zip64_sizes(c + 46 + nlen, xlen, &usize, &csize, &off);
    *cd = c + 46 + nlen + xlen + clen;
    const char *name = (const char *)c + 46;
    if (nlen < 5 || nlen - 4 >= sizeof m->name || memcmp(name + nlen - 4, ".npy", 4) != 0 ||
        has_control(name, nlen)) {
        char shown[41];
        return snprintf(why, GC_NPY_WHY, "member '%s' is no NAME.npy", show(name, nlen, shown)),
               -1;
    }
    memcpy(m->name, name, nlen - 4);
    m->name[nlen - 4] = '\0';
    if (off > z->len || z->len - off < 30 || rd32(z->file + off) != 0x04034b50u)
        return snprintf(why, GC_NPY_WHY, "%s.npy: corrupt zip: bad local header", m->name), -1;
    uint64_t data = off + 30 + rd16(z->file + off + 26) + rd16(z->file + off + 28);
    if (data > z->len || z->len - data < csize)
        return snprintf(why, GC_NPY_WHY, "%s.npy: corrupt zip: truncated", m->name), -1;
    const unsigned char *bytes = z->file + data;
    if (method == 8 && usize > *budget)
        return snprintf(why, GC_NPY_WHY, "%s.npy: inflates past the limit of %zu bytes "
                        "(max_elements)", m->name, *budget), -1;
    if (method == 8) {
        *budget -= (size_t)usize;
        m->inflated = inflate_all(bytes, (size_t)csize, (size_t)usize);
        if (m->inflated == NULL)
            return snprintf(why, GC_NPY_WHY, "%s.npy: cannot inflate", m->name), -1;
        bytes = m->inflated;
    } else if (method != 0 || csize != usize) {
        return snprintf(why, GC_NPY_WHY, "%s.npy: zip method %u: expected stored (0) or "
                        "deflated (8)", m->name, method), -1;
    }
    if (gc_crc32(bytes, (size_t)usize) != crc)
        return snprintf(why, GC_NPY_WHY, "%s.npy: CRC-32 mismatch (a damaged file)", m->name), -1;
    char what[GC_NPY_WHY];
    if (gc_npy_parse(bytes, (size_t)usize, &m->a, what) != 0)
        return snprintf(why, GC_NPY_WHY, "%s.npy: %.*s", m->name, GC_NPY_WHY - 80, what), -1;
    return 0;
}

gc_npz *gc_npz_read(const char *path, size_t max, char *why)
{
    gc_npz *z = calloc(1, sizeof *z);
    size_t budget = max;
    if (z == NULL || (z->file = slurp(path, max, &z->len, why)) == NULL) {
        if (z == NULL)
            snprintf(why, GC_NPY_WHY, "out of memory");
        free(z);
        return NULL;
    }
    const unsigned char *eocd = end_record(z->file, z->len);
    if (eocd == NULL) {
        snprintf(why, GC_NPY_WHY, "not a .npz file (no zip end record)");
        gc_npz_free(z);
        return NULL;
    }
    unsigned n = rd16(eocd + 10);
    uint32_t cdsize = rd32(eocd + 12), cdoff = rd32(eocd + 16);
    /* the record's two counts (this disk's, the archive's) and the
     * directory's size must agree with what the directory holds */
    if (rd16(eocd + 8) != n || cdoff >= z->len || cdsize > z->len - cdoff) {
        snprintf(why, GC_NPY_WHY, "corrupt zip: bad end record");
        gc_npz_free(z);
        return NULL;
    }
    z->m = calloc(n > 0 ? n : 1, sizeof *z->m);
    if (z->m == NULL) {
        snprintf(why, GC_NPY_WHY, "out of memory");
        gc_npz_free(z);
        return NULL;
    }
    const unsigned char *cd = z->file + cdoff;
    for (unsigned k = 0; k < n; k++) {
        z->n = (int)k + 1;
        if (member(z, &cd, &z->m[k], &budget, why) != 0) {
            gc_npz_free(z);
            return NULL;
        }
        if (cd > z->file + cdoff + cdsize) {
            snprintf(why, GC_NPY_WHY, "corrupt zip: central directory longer than recorded");
            gc_npz_free(z);
            return NULL;
        }
        for (unsigned j = 0; j < k; j++)
            if (strcmp(z->m[j].name, z->m[k].name) == 0) {
                snprintf(why, GC_NPY_WHY, "%s.npy: twice in the archive", z->m[k].name);
                gc_npz_free(z);
                return NULL;
            }
    }
    if (cd != z->file + cdoff + cdsize) {
        snprintf(why, GC_NPY_WHY, "corrupt zip: central directory shorter than recorded");
        gc_npz_free(z);
        return NULL;
    }
    return z;
}

gc_npz *gc_npz_read_npy(const char *path, size_t max, char *why)
{
    gc_npz *z = calloc(1, sizeof *z);
    if (z != NULL)
        z->m = calloc(1, sizeof *z->m);
    if (z == NULL || z->m == NULL) {
        snprintf(why, GC_NPY_WHY, "out of memory");
        gc_npz_free(z);
        return NULL;
    }
    if ((z->file = slurp(path, max, &z->len, why)) == NULL) {
        gc_npz_free(z);
        return NULL;
    }
    z->n = 1;
    if (gc_npy_parse(z->file, z->len, &z->m[0].a, why) != 0) {
        gc_npz_free(z);
        return NULL;
    }
    return z;
}

gc_npz_member *gc_npz_find(gc_npz *z, const char *name)
{
    for (int k = 0; z != NULL && k < z->n; k++)
        if (strcmp(z->m[k].name, name) == 0)
            return &z->m[k];
    return NULL;
}

void gc_npz_free(gc_npz *z)
{
    if (z == NULL)
        return;
    for (int k = 0; z->m != NULL && k < z->n; k++)
        free(z->m[k].inflated);
    free(z->m);
    free(z->file);
    free(z);
}
