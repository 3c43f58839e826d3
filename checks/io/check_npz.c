/*
 * check_npz.c -- binary weights: a network file whose "weights" names a
 * .npz (fixtures/npz, written by numpy through scripts/make-npz-fixtures).
 *
 * - stored, deflated, and with x and y left in the JSON: the network loads
 *   bit-identical to fixtures/nets/tanh_bce_batch.json, the JSON-only file
 *   the archives were made from;
 * - float32 arrays load as their exact widening to double;
 * - one .npy per tensor, named in place of its numbers ({"npy": FILE}),
 *   loads the same network;
 * - broken archives (big-endian, Fortran order, an integer dtype, a
 *   transposed W, a column-vector b, an unknown array, a NaN, y with too
 *   few examples, x missing, a flipped byte, not a zip, a tensor given
 *   twice) are refused with code and one exact line each;
 * - the .npy header parser on images built here: version 2 headers, a
 *   scalar, and the malformed ones numpy never writes;
 * - damaged archives: every truncation of a deflated one is refused, and
 *   after any one flipped byte it is either refused or reads back the same
 *   arrays, perhaps renamed (the CRC-32 catches a flip in the data);
 * - a control byte (newline, NUL, DEL) in a header string or a member's
 *   name is refused with a one-line reason (found by fuzz/weights.c).
 */
#include <check.h>
#include <stdint.h>
#include <gradcheck.h>
#include <gradcheck/netfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/npy.h"
#include "engine_testutil.h"
#include "testutil.h"

static gc_net *load(const char *name, gc_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tu_fixtures(), name);
    return gc_net_load(path, GC_INIT_UNIFORM, NULL, err);
}

/* Every parameter, X and T of a equal to b's, mapped through f: bit for
 * bit when f is NULL. */
static void same_net(const gc_net *a, const gc_net *b, double (*f)(double), const char *what)
{
    ck_assert_int_eq(a->ntensors, b->ntensors);
    for (int t = 0; t < a->ntensors; t++) {
        const gc_tensor *x = a->tensors[t], *y = b->tensors[t];
        ck_assert_int_eq(x->rows * x->cols, y->rows * y->cols);
        for (int i = 0; i < x->rows * x->cols; i++) {
            double want = f != NULL ? f(y->value[i]) : y->value[i];
            ck_assert_msg(memcmp(&x->value[i], &want, sizeof want) == 0,
                          "%s: %s[%d] = %.17g, want %.17g", what, x->name, i, x->value[i], want);
        }
    }
    const gc_mat *ma[2] = {a->act[0], a->T}, *mb[2] = {b->act[0], b->T};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(ma[k]->rows, mb[k]->rows);
        ck_assert_int_eq(ma[k]->cols, mb[k]->cols);
        for (size_t i = 0; i < (size_t)ma[k]->rows * (size_t)ma[k]->cols; i++) {
            double want = f != NULL ? f(mb[k]->data[i]) : mb[k]->data[i];
            ck_assert_msg(memcmp(&ma[k]->data[i], &want, sizeof want) == 0, "%s: %s[%zu]",
                          what, k == 0 ? "X" : "T", i);
        }
    }
}

static double to_float(double v)
{
    return (double)(float)v;
}

START_TEST(test_npz_loads_as_the_json_file)
{
    gc_error err = {0};
    gc_net *ref = load("nets/tanh_bce_batch.json", &err);
    ck_assert_msg(ref != NULL, "%s", err.msg);
    ck_assert_int_gt(ref->batch, 1); /* x's transposition is seen */
    static const char *const files[] = {"npz/f64.json", "npz/f64z.json", "npz/keep.json"};
    for (size_t k = 0; k < 3; k++) {
        gc_net *net = load(files[k], &err);
        ck_assert_msg(net != NULL, "%s: %s", files[k], err.msg);
        same_net(net, ref, NULL, files[k]);
        gc_net_free(net);
    }
    gc_net *f32 = load("npz/f32.json", &err);
    ck_assert_msg(f32 != NULL, "%s", err.msg);
    same_net(f32, ref, to_float, "npz/f32.json");
    gc_net_free(f32);
    /* one .npy per tensor, b2 in float32 */
    gc_net *npy = load("npz/npy.json", &err);
    ck_assert_msg(npy != NULL, "%s", err.msg);
    ck_assert_str_eq(ref->tensors[3]->name, "b2");
    for (int i = 0; i < ref->tensors[3]->rows * ref->tensors[3]->cols; i++)
        ref->tensors[3]->value[i] = to_float(ref->tensors[3]->value[i]);
    same_net(npy, ref, NULL, "npz/npy.json");
    gc_net_free(npy);
    gc_net_free(ref);
}
END_TEST

static const struct {
    const char *file;
    int code;
    const char *msg; /* after "DIR/npz/FILE: " */
} bad[] = {
    {"bad_bigendian", GC_EPARSE,
     "weights: bad_bigendian.npz: W1.npy: dtype '>f8' is big-endian: expected '<f8' or '<f4'"},
    {"bad_fortran", GC_EPARSE, "weights: bad_fortran.npz: W1.npy: Fortran order: save it in C "
                               "order (numpy.ascontiguousarray)"},
    {"bad_int", GC_EPARSE,
     "weights: bad_int.npz: b1.npy: dtype '<i8': expected float64 ('<f8') or float32 ('<f4')"},
    {"bad_shape", GC_ESHAPE, "layers[0].W: W1 in bad_shape.npz: expected shape (4, 3), got (3, 4)"},
    {"bad_vector", GC_ESHAPE, "layers[0].b: b1 in bad_vector.npz: expected shape (4,), got (4, 1)"},
    {"bad_unknown", GC_EPARSE, "weights: bad_unknown.npz: array 'W9' names no tensor of this "
                               "network (W1, b1, ... by dense layer, x, y)"},
    {"bad_nan", GC_ERANGE,
     "layers[2].W: W2 in bad_nan.npz: element [0, 1] is nan: expected finite numbers"},
    {"bad_y_rows", GC_ESHAPE, "y: y in bad_y_rows.npz: expected shape (5, 2), got (2, 2)"},
    {"bad_missing_x", GC_EPARSE, "x: missing key, and no array 'x' in bad_missing_x.npz"},
    {"bad_crc", GC_EPARSE, "weights: bad_crc.npz: W1.npy: CRC-32 mismatch (a damaged file)"},
    {"bad_notzip", GC_EPARSE, "weights: bad_notzip.npz: not a .npz file (no zip end record)"},
    {"bad_both", GC_EPARSE, "layers[0].b: given both here and as b1 in f64.npz"},
    {"bad_npy_shape", GC_ESHAPE, "layers[0].W: t_W1_T.npy: expected shape (4, 3), got (3, 4)"},
    {"bad_npy_key", GC_EPARSE, "layers[0].W: expected {\"npy\": \"FILE.npy\"}, got an object"},
    {"bad_npy_missing", GC_EIO, "x: t_nope.npy: cannot open: No such file or directory"},
    {"bad_npy_both", GC_EPARSE, "x: given both here and as x in f64.npz"},
    {"bad_weights_npy", GC_EPARSE, "weights: expected the name of a .npz file (a .npy goes in "
                                   "place of one tensor: {\"npy\": FILE}), got \"t_W1.npy\""},
};

START_TEST(test_npz_bad_files)
{
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[64], want[512];
        snprintf(name, sizeof name, "npz/%s.json", bad[k].file);
        gc_error err = {0};
        gc_net *net = load(name, &err);
        ck_assert_msg(net == NULL, "%s loaded", name);
        snprintf(want, sizeof want, "%s/%s: %s", tu_fixtures(), name, bad[k].msg);
        ck_assert_msg(strcmp(err.msg, want) == 0, "%s:\n got  %s\n want %s", name, err.msg, want);
        ck_assert_msg(err.code == bad[k].code, "%s: code %d, want %d", name, err.code, bad[k].code);
    }
}
END_TEST

/* An .npy image: magic, version, header (padded as numpy pads it), data. */
static size_t image(unsigned char *buf, int major, const char *dict, size_t ndata)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict) + 1;
    hl += (64 - (pre + hl) % 64) % 64;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        buf[8 + i] = (unsigned char)(hl >> (8 * i));
    memset(buf + pre, ' ', hl);
    memcpy(buf + pre, dict, strlen(dict));
    buf[pre + hl - 1] = '\n';
    for (size_t i = 0; i < ndata; i++)
        buf[pre + hl + i] = (unsigned char)i;
    return pre + hl + ndata;
}

START_TEST(test_npy_headers)
{
    unsigned char buf[512];
    char why[GC_NPY_WHY];
    gc_npy a;
    size_t n = image(buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24);
    ck_assert_msg(gc_npy_parse(buf, n, &a, why) == 0, "%s", why);
    ck_assert_int_eq(a.ndim, 2);
    ck_assert_uint_eq(a.shape[1], 3);
    ck_assert_int_eq(a.size, 4);
    n = image(buf, 1, "{'shape': (), 'descr': '<f8', 'fortran_order': False}", 8);
    ck_assert_msg(gc_npy_parse(buf, n, &a, why) == 0, "%s", why);
    ck_assert_int_eq(a.ndim, 0);
    ck_assert_uint_eq(a.count, 1);
    static const struct {
        int major;
        const char *dict;
        size_t ndata;
        const char *why;
    } no[] = {
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 8,
         "8 data bytes, the shape and dtype say 16"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", 16,
         "header has an unknown key 'x'"},
        {1, "{'descr': '<f8', 'shape': (2,), }", 16, "header lacks 'descr', 'fortran_order' or 'shape'"},
        {1, "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", 32,
         "dtype '<c16': expected float64 ('<f8') or float32 ('<f4')"},
        {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", 16,
         "header is no dict of 'descr', 'fortran_order' and 'shape'"},
        {4, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16,
         "format version 4.0: expected 1.0, 2.0 or 3.0"},
    };
    for (size_t k = 0; k < sizeof no / sizeof no[0]; k++) {
        n = image(buf, no[k].major, no[k].dict, no[k].ndata);
        ck_assert_msg(gc_npy_parse(buf, n, &a, why) != 0, "%s parsed", no[k].dict);
        ck_assert_str_eq(why, no[k].why);
    }
    ck_assert(gc_npy_parse((const unsigned char *)"PK\3\4 not npy", 13, &a, why) != 0);
}
END_TEST

/* A control byte inside a header string: a newline in a key would make
 * the message naming it two lines; a NUL would end the key early ('descr'
 * followed by NUL and more read as 'descr').  Both are refused as no dict. */
START_TEST(test_npy_header_control_bytes)
{
    unsigned char buf[512];
    char why[GC_NPY_WHY];
    gc_npy a;
    size_t n = image(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), "
                             "'a\nb': 1}", 16);
    ck_assert_msg(gc_npy_parse(buf, n, &a, why) != 0, "a key with a newline parsed");
    ck_assert_str_eq(why, "header is no dict of 'descr', 'fortran_order' and 'shape'");
    n = image(buf, 1, "{'descr#x': '<f8', 'descr': '<f8', 'fortran_order': False, "
                      "'shape': (2,), }", 16);
    unsigned char *hash = memchr(buf, '#', n);
    ck_assert_ptr_nonnull(hash);
    *hash = '\0';
    ck_assert_msg(gc_npy_parse(buf, n, &a, why) != 0, "a key with a NUL read as 'descr'");
    ck_assert_str_eq(why, "header is no dict of 'descr', 'fortran_order' and 'shape'");
}
END_TEST

/* Write n bytes to a new temporary file; its path in path (free nothing). */
static void spill(char path[64], const unsigned char *b, size_t n)
{
    snprintf(path, 64, "/tmp/gc_npz_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert(write(fd, b, n) == (ssize_t)n);
    close(fd);
}

/* The same members' shapes and data (not names: zip's CRC-32 covers a
 * member's data only; a renamed member is the loader's "names no tensor"). */
static int same_arrays(const gc_npz *a, const gc_npz *b)
{
    if (a->n != b->n)
        return 0;
    for (int k = 0; k < a->n; k++) {
        const gc_npy *x = &a->m[k].a, *y = &b->m[k].a;
        if (x->ndim != y->ndim || memcmp(x->shape, y->shape, sizeof x->shape) != 0 ||
            x->count != y->count ||
            x->size != y->size || memcmp(x->data, y->data, x->count * (size_t)x->size) != 0)
            return 0;
    }
    return 1;
}

/* A member whose name (in the central directory, the one the reader
 * takes) holds a control byte: refused, the name shown with '?' in a
 * one-line reason.  A NUL would otherwise cut the name short ("W" for
 * "W<NUL>.npy"), a newline split the message naming it. */
START_TEST(test_npz_member_name_control_bytes)
{
    char src[1024], path[64], why[GC_NPY_WHY];
    snprintf(src, sizeof src, "%s/npz/f64.npz", tu_fixtures());
    gc_npz *good = gc_npz_read(src, SIZE_MAX, why);
    ck_assert_msg(good != NULL, "%s", why);
    static const unsigned char bytes[] = {'\n', '\0', 0x7f};
    for (size_t k = 0; k < sizeof bytes; k++) {
        unsigned char *img = malloc(good->len);
        ck_assert_ptr_nonnull(img);
        memcpy(img, good->file, good->len);
        unsigned char *cd = NULL;
        for (size_t at = 0; at + 52 <= good->len && cd == NULL; at++)
            if (memcmp(img + at, "PK\1\2", 4) == 0 && memcmp(img + at + 46, "W1.npy", 6) == 0)
                cd = img + at;
        ck_assert_msg(cd != NULL, "no central directory entry for W1.npy in %s", src);
        cd[46 + 1] = bytes[k]; /* "W1.npy" becomes "W?.npy" */
        spill(path, img, good->len);
        gc_npz *z = gc_npz_read(path, SIZE_MAX, why);
        unlink(path);
        ck_assert_msg(z == NULL, "a member named W\\x%02x.npy read", bytes[k]);
        ck_assert_str_eq(why, "member 'W?.npy' is no NAME.npy");
        free(img);
    }
    gc_npz_free(good);
}
END_TEST

START_TEST(test_npz_damaged)
{
    char src[1024], path[64], why[GC_NPY_WHY];
    snprintf(src, sizeof src, "%s/npz/f64z.npz", tu_fixtures());
    gc_npz *good = gc_npz_read(src, SIZE_MAX, why);
    ck_assert_msg(good != NULL, "%s", why);
    const unsigned char *img = good->file;
    size_t len = good->len;
    for (size_t n = 0; n < len; n++) {
        spill(path, img, n);
        gc_npz *z = gc_npz_read(path, SIZE_MAX, why);
        unlink(path);
        ck_assert_msg(z == NULL, "truncated to %zu of %zu bytes: read", n, len);
    }
    unsigned char *bad = malloc(len);
    ck_assert_ptr_nonnull(bad);
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 29, 3);
    int refused = 0;
    for (int k = 0; k < 400; k++) {
        memcpy(bad, img, len);
        size_t at = gc_pcg32_next(&g) % len;
        bad[at] ^= (unsigned char)(1u << (gc_pcg32_next(&g) % 8));
        spill(path, bad, len);
        gc_npz *z = gc_npz_read(path, SIZE_MAX, why);
        unlink(path);
        if (z == NULL)
            refused++;
        else
            ck_assert_msg(same_arrays(z, good), "flip %d at byte %zu: read, with other arrays "
                          "(%s)", k, at, z->m[0].name);
        gc_npz_free(z);
    }
    ck_assert_int_gt(refused, 200); /* most bytes are data or structure */
    free(bad);
    gc_npz_free(good);
}
END_TEST

Suite *make_npz_suite(void)
{
    Suite *s = suite_create("npz");
    TCase *tc = tcase_create("npz");
    tcase_add_test(tc, test_npz_loads_as_the_json_file);
    tcase_add_test(tc, test_npz_bad_files);
    tcase_add_test(tc, test_npy_headers);
    tcase_add_test(tc, test_npz_damaged);
    tcase_add_test(tc, test_npy_header_control_bytes);
    tcase_add_test(tc, test_npz_member_name_control_bytes);
    suite_add_tcase(s, tc);
    return s;
}
