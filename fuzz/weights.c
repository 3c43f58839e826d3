/*
 * fuzz/weights.c -- libFuzzer harness of the binary-weights readers: the
 * .npy parser (lib/io/npy.c), the .npz archive (lib/io/npz.c) and a
 * network file that takes its numbers from them (lib/io/weights.c,
 * netfile_weights.c).  The readers take a path, so each input is written to
 * a file in a directory of the harness's own (mkdtemp under $TMPDIR or
 * /tmp, removed at exit).
 *
 * The first byte chooses what the rest is:
 *   0  an .npz file as it is (zip records, CRCs and all);
 *   1  a lone .npy file;
 *   2  members from which the harness writes a well-formed zip itself
 *      (correct CRCs, stored or deflated), so that mutations reach the .npy
 *      headers behind the CRC check: records of a flags byte (bit 0:
 *      deflate, bit 1: sizes in a zip64 extra field), a name length, the
 *      name, a 2-byte little-endian length and the member's bytes.
 * Oracles besides the sanitizers: a refusal is one non-empty line; an
 * accepted array's shape multiplies to its count and its data lie inside
 * the bytes read; a zip the harness wrote is accepted exactly when every
 * member is (gc_npy_parse), its name is NAME.npy and unique, with the same
 * arrays; a network loaded from the weights holds their values bit for bit
 * (float32 widened exactly).
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <gradcheck.h>

#include "io/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MEMBERS 16
#define READ_MAX ((size_t)1 << 20) /* what a reader may read or inflate */

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz/weights: %s\n", what);
        abort();
    }
}

/* ---- the harness's directory and its two files -------------------------- */

static char dir[256], npz_path[300], npy_path[300];

static void remove_dir(void)
{
    unlink(npz_path);
    unlink(npy_path);
    rmdir(dir);
}

static void make_dir(void)
{
    if (dir[0] != '\0')
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/gc-fuzz-weights-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    require(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(npz_path, sizeof npz_path, "%s/w.npz", dir);
    snprintf(npy_path, sizeof npy_path, "%s/w.npy", dir);
    atexit(remove_dir);
}

static void spit(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    require(f != NULL, "cannot create the input file");
    require(fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write the input file");
}

/* ---- a zip written here, the reference the reader must agree with ------- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        require(b->p != NULL, "realloc");
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put16(buf *b, unsigned v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(b, c, 2);
}

static void put32(buf *b, uint32_t v)
{
    put16(b, v & 0xffffu);
    put16(b, v >> 16);
}

typedef struct member {
    int deflate, zip64;
    const unsigned char *name, *bytes;
    size_t nlen, len;
} member;

/* The records of mode 2, at most MAX_MEMBERS; the last may be cut short. */
static int split_members(const uint8_t *p, size_t n, member *m)
{
    int k = 0;
    while (n >= 2 && k < MAX_MEMBERS) {
        member *e = &m[k++];
        e->deflate = p[0] & 1;
        e->zip64 = (p[0] & 2) != 0;
        e->nlen = p[1] < n - 2 ? p[1] : n - 2;
        e->name = p + 2;
        p += 2 + e->nlen, n -= 2 + e->nlen;
        size_t len = n >= 2 ? (size_t)p[0] | (size_t)p[1] << 8 : 0;
        p += n >= 2 ? 2 : n, n -= n >= 2 ? 2 : n;
        e->len = len < n ? len : n;
        e->bytes = p;
        p += e->len, n -= e->len;
    }
    return k;
}

/* Raw deflate of src into a new buffer (*out_n bytes). */
static unsigned char *deflate_raw(const unsigned char *src, size_t n, size_t *out_n)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    require(deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
            "deflateInit2");
    size_t cap = deflateBound(&s, (uLong)n);
    unsigned char *out = malloc(cap > 0 ? cap : 1);
    require(out != NULL, "malloc");
    s.next_in = (Bytef *)(uintptr_t)src;
    s.avail_in = (uInt)n;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    require(deflate(&s, Z_FINISH) == Z_STREAM_END, "deflate");
    *out_n = s.total_out;
    deflateEnd(&s);
    return out;
}

/* A zip of the members, as numpy's writer would lay it out (without its
 * zip64 placeholders). */
static void write_zip(const member *m, int n, buf *z)
{
    buf cd = {0};
    for (int k = 0; k < n; k++) {
        size_t clen = m[k].len;
        unsigned char *packed = m[k].deflate ? deflate_raw(m[k].bytes, m[k].len, &clen) : NULL;
        uint32_t crc = (uint32_t)crc32(0L, m[k].bytes, (uInt)m[k].len);
        uint32_t off = (uint32_t)z->n;
        unsigned method = m[k].deflate ? 8 : 0;
        put32(z, 0x04034b50u);
        put16(z, 20), put16(z, 0), put16(z, method), put16(z, 0), put16(z, 0x21);
        put32(z, crc), put32(z, (uint32_t)clen), put32(z, (uint32_t)m[k].len);
        put16(z, (unsigned)m[k].nlen), put16(z, 0);
        put(z, m[k].name, m[k].nlen);
        put(z, packed != NULL ? packed : m[k].bytes, clen);
        /* zip64: the directory's sizes and offset as 0xFFFFFFFF, the true
         * ones in an extra field (id 1: size, compressed size, offset) */
        uint32_t big = 0xffffffffu;
        put32(&cd, 0x02014b50u);
        put16(&cd, 20), put16(&cd, 20), put16(&cd, 0), put16(&cd, method), put16(&cd, 0);
        put16(&cd, 0x21), put32(&cd, crc), put32(&cd, m[k].zip64 ? big : (uint32_t)clen);
        put32(&cd, m[k].zip64 ? big : (uint32_t)m[k].len), put16(&cd, (unsigned)m[k].nlen);
        put16(&cd, m[k].zip64 ? 28 : 0), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0);
        put32(&cd, 0), put32(&cd, m[k].zip64 ? big : off);
        put(&cd, m[k].name, m[k].nlen);
        if (m[k].zip64) {
            put16(&cd, 1), put16(&cd, 24);
            put32(&cd, (uint32_t)m[k].len), put32(&cd, 0);
            put32(&cd, (uint32_t)clen), put32(&cd, 0);
            put32(&cd, off), put32(&cd, 0);
        }
        free(packed);
    }
    uint32_t cdoff = (uint32_t)z->n;
    if (cd.n > 0)
        put(z, cd.p, cd.n);
    put32(z, 0x06054b50u);
    put16(z, 0), put16(z, 0), put16(z, (unsigned)n), put16(z, (unsigned)n);
    put32(z, (uint32_t)cd.n), put32(z, cdoff), put16(z, 0);
    free(cd.p);
}

/* The member's name as the archive reports it (NAME of NAME.npy), or -1
 * when it is no NAME.npy with NAME of 1 to 63 bytes and no control byte. */
static int member_name(const member *e, char *out)
{
    if (e->nlen < 5 || e->nlen - 4 >= 64 || memcmp(e->name + e->nlen - 4, ".npy", 4) != 0)
        return -1;
    for (size_t i = 0; i < e->nlen; i++)
        if (e->name[i] < 0x20 || e->name[i] == 0x7f)
            return -1;
    memcpy(out, e->name, e->nlen - 4);
    out[e->nlen - 4] = '\0';
    return 0;
}

/* Whether the reader must accept the zip of these members, and if so the
 * members' arrays into a. */
static int zip_acceptable(const member *m, int n, gc_npy *a, char names[][64])
{
    size_t inflated = 0;
    for (int k = 0; k < n; k++) {
        char why[GC_NPY_WHY];
        if (member_name(&m[k], names[k]) != 0 ||
            gc_npy_parse(m[k].bytes, m[k].len, &a[k], why) != 0)
            return 0;
        for (int j = 0; j < k; j++)
            if (strcmp(names[j], names[k]) == 0)
                return 0;
        inflated += m[k].deflate ? m[k].len : 0;
    }
    return inflated <= READ_MAX;
}

/* ---- oracles -------------------------------------------------------------- */

static void refused_well(const char *why)
{
    size_t n = strnlen(why, GC_NPY_WHY);
    if (n == 0 || n == GC_NPY_WHY || strchr(why, '\n') != NULL)
        fprintf(stderr, "fuzz/weights: the reason: \"%.*s\"\n", (int)n, why);
    require(n > 0, "refused without a reason");
    require(n < GC_NPY_WHY, "a reason without its terminating NUL");
    require(strchr(why, '\n') == NULL, "a reason of more than one line");
}

/* An accepted array: its count is its shape's product, its data inside
 * [base, base + len), every element readable. */
static void array_sound(const gc_npy *a, const unsigned char *base, size_t len)
{
    size_t count = 1;
    require(a->ndim >= 0 && a->ndim <= GC_NPY_MAXDIM, "ndim out of range");
    for (int d = 0; d < a->ndim; d++)
        count *= a->shape[d];
    require(count == a->count, "count is not the shape's product");
    require(a->size == 4 || a->size == 8, "an element size other than 4 or 8");
    require(a->data >= base && (size_t)(a->data - base) <= len &&
                a->count * (size_t)a->size <= len - (size_t)(a->data - base),
            "the data reach past the bytes read");
    volatile double sink = 0;
    for (size_t i = 0; i < a->count; i++)
        sink += gc_npy_get(a, i);
    (void)sink;
}

/* Every member sound, a stored one inside the file (an inflated one is
 * bounded by its own buffer, which the sanitizer watches), no name twice. */
static void archive_sound(const gc_npz *z)
{
    for (int k = 0; k < z->n; k++) {
        const gc_npz_member *m = &z->m[k];
        if (m->inflated != NULL)
            array_sound(&m->a, m->inflated, (size_t)(m->a.data - m->inflated) +
                                                 m->a.count * (size_t)m->a.size);
        else
            array_sound(&m->a, z->file, z->len);
        for (int j = 0; j < k; j++)
            require(strcmp(z->m[j].name, m->name) != 0, "a name twice in an accepted archive");
    }
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* A loaded tensor against the array it was taken from (m; NULL: none):
 * the same values, bit for bit. */
static void tensor_matches(const gc_tensor *g, const gc_npz_member *m)
{
    if (m == NULL)
        return;
    size_t n = (size_t)g->rows * (size_t)g->cols;
    require(m->a.count == n, "a loaded tensor's size is not its array's");
    for (size_t i = 0; i < n; i++)
        require(same_bits(g->value[i], gc_npy_get(&m->a, i)), "a loaded value differs");
}

/* x (B, in) and y (B, out) in the archive are one column per example in
 * the network. */
static void examples_match(const gc_mat *mat, const gc_npz_member *m)
{
    if (m == NULL)
        return;
    require(m->a.ndim == 2 && m->a.shape[0] == (size_t)mat->cols &&
                m->a.shape[1] == (size_t)mat->rows, "loaded examples of another shape");
    for (int r = 0; r < mat->rows; r++)
        for (int c = 0; c < mat->cols; c++)
            require(same_bits(mat->data[(size_t)r * mat->cols + c],
                              gc_npy_get(&m->a, (size_t)c * mat->rows + r)),
                    "a loaded example differs");
}

/* The fixtures' network (fixtures/npz/f64.json): its numbers from the
 * archive, or (npy) its W1 from the lone .npy. */
static void load_net(int npy)
{
    char doc[1200];
    if (npy)
        snprintf(doc, sizeof doc, "{\"layers\": [{\"type\": \"dense\", \"in\": 3, \"out\": 4, "
                 "\"W\": {\"npy\": \"%s\"}}, {\"type\": \"tanh\"}, {\"type\": \"dense\", "
                 "\"in\": 4, \"out\": 2}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", "
                 "\"x\": [[0.5, -0.25, 1]], \"y\": [[1, 0]]}", npy_path);
    else
        snprintf(doc, sizeof doc, "{\"layers\": [{\"type\": \"dense\", \"in\": 3, \"out\": 4}, "
                 "{\"type\": \"tanh\"}, {\"type\": \"dense\", \"in\": 4, \"out\": 2}, "
                 "{\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"weights\": \"%s\"}", npz_path);
    gc_net_limits lim = {.max_bytes = 1 << 16, .max_layers = 16, .max_elements = 100000};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_error err = {0};
    gc_net *net = gc_net_load_buffer(doc, strlen(doc), "fuzz.json", &lim, GC_INIT_XAVIER, &rng,
                                     &err);
    if (net == NULL) {
        require(err.code < 0, "refused without an error code");
        require(err.msg[0] != '\0', "refused without a message");
        require(strchr(err.msg, '\n') == NULL, "a message of more than one line");
        return;
    }
    char why[GC_NPY_WHY];
    gc_npz *z = npy ? gc_npz_read_npy(npy_path, READ_MAX, why)
                    : gc_npz_read(npz_path, READ_MAX, why);
    require(z != NULL, "a network loaded from weights that do not read again");
    if (npy) {
        tensor_matches(net->tensors[0], &z->m[0]);
    } else {
        for (int t = 0; t < net->ntensors; t++)
            tensor_matches(net->tensors[t], gc_npz_find(z, net->tensors[t]->name));
        examples_match(net->act[0], gc_npz_find(z, "x"));
        examples_match(net->T, gc_npz_find(z, "y"));
    }
    gc_npz_free(z);
    gc_net_free(net);
}

/* ---- the three modes ------------------------------------------------------ */

static void raw_npz(const uint8_t *p, size_t n)
{
    char why[GC_NPY_WHY] = "";
    spit(npz_path, p, n);
    gc_npz *z = gc_npz_read(npz_path, READ_MAX, why);
    if (z == NULL) {
        refused_well(why);
        return;
    }
    archive_sound(z);
    gc_npz_free(z);
    load_net(0);
}

static void raw_npy(const uint8_t *p, size_t n)
{
    char why[GC_NPY_WHY] = "";
    gc_npy a;
    int rc = gc_npy_parse(p, n, &a, why);
    if (rc != 0)
        refused_well(why);
    else
        array_sound(&a, p, n);
    spit(npy_path, p, n);
    gc_npz *z = gc_npz_read_npy(npy_path, READ_MAX, why);
    require((z != NULL) == (rc == 0), "the file and the buffer parse differently");
    if (z != NULL) {
        archive_sound(z);
        gc_npz_free(z);
        load_net(1);
    }
}

static void built_npz(const uint8_t *p, size_t n)
{
    member m[MAX_MEMBERS];
    gc_npy want[MAX_MEMBERS];
    char names[MAX_MEMBERS][64];
    int k = split_members(p, n, m);
    buf zip = {0};
    write_zip(m, k, &zip);
    spit(npz_path, zip.p, zip.n);
    free(zip.p);
    char why[GC_NPY_WHY] = "";
    gc_npz *z = gc_npz_read(npz_path, READ_MAX, why);
    int ok = zip_acceptable(m, k, want, names);
    require((z != NULL) == ok, ok ? "a well-formed zip of valid members refused"
                                  : "a zip with an invalid member accepted");
    if (z == NULL) {
        refused_well(why);
        return;
    }
    require(z->n == k, "another number of members");
    for (int i = 0; i < k; i++) {
        const gc_npy *a = &z->m[i].a;
        require(strcmp(z->m[i].name, names[i]) == 0, "a member's name differs");
        require(a->ndim == want[i].ndim && a->size == want[i].size && a->count == want[i].count &&
                    memcmp(a->shape, want[i].shape, sizeof a->shape) == 0,
                "a member's shape or type differs");
        require(memcmp(a->data, want[i].data, a->count * (size_t)a->size) == 0,
                "a member's data differ");
    }
    archive_sound(z);
    gc_npz_free(z);
    load_net(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    make_dir();
    switch (data[0] % 3) {
    case 0: raw_npz(data + 1, size - 1); break;
    case 1: raw_npy(data + 1, size - 1); break;
    default: built_npz(data + 1, size - 1); break;
    }
    return 0;
}
