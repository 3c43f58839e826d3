/*
 * netfile.c -- network files (JSON) in and out, with jansson.
 *
 * Loading is two passes over the parsed document: the first validates
 * everything (types, keys, shapes, finiteness, targets) and builds the layers,
 * remembering where each given W and b is; the second, once the whole network
 * exists, draws the omitted parameters from the caller's generator and copies
 * the given ones over them.  Drawing for the whole network (rather than for
 * the omitted tensors alone) keeps the stream of random numbers independent
 * of which tensors a file happens to give.
 *
 * Every error message is "LABEL: PATH: expected ..., got ..." on one line;
 * the checks assert them verbatim, so change them only on purpose.
 *
 * Writing is by hand rather than by json_dumpf, for two reasons: matrices
 * come out one row per line (readable diffs of fixtures), and each number is
 * printed with the fewest digits (15..17) that read back to the same bits,
 * with ".0" forced where needed so that -0.0 stays a real (jansson would read
 * "-0" as the integer 0 and lose the sign).
 */
#include "gradcheck/netfile.h"
#include "io/numfmt.h"
#include "io/plugin.h"
#include "io/weights.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Size limits: a file cannot make us allocate without bound.  1e6 units per
 * layer and 1e8 weights per matrix (800 MB) are far beyond what a finite-
 * difference check can afford anyway (each element costs a forward pass). */
#define MAX_WIDTH 1000000
#define MAX_WEIGHTS 100000000LL

#define PATH_MAX_LEN 160
#define GOT_MAX 64

/* ---- messages --------------------------------------------------------- */

typedef struct ctx {
    const char *label;  /* file name or caller's label, first in every message */
    gc_error *err;      /* may be NULL */
    const char *anchor; /* the file whose directory "weights" and plugin libraries
                         * are relative to (NULL: the current directory) */
    gc_pcg32 *rng;      /* plugin layers' factories draw from it; may be NULL */
} ctx;

/* Set err to "LABEL: PATH: <fmt...>" (or "LABEL: <fmt...>" when path is
 * NULL) and return code. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(const ctx *c, int code, const char *path, const char *fmt, ...)
{
    if (c->err == NULL)
        return code;
    char what[GC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (path != NULL)
        return gc_error_set(c->err, code, "%s: %s: %s", c->label, path, what);
    return gc_error_set(c->err, code, "%s: %s", c->label, what);
}

/* Shortest "%.{15,16,17}g" rendering of a finite v that strtod reads back to
 * the same bits.  Printing 17 significant digits always round-trips a
 * double; fewer often do and read better (0.1, not 0.10000000000000001). */
static void fmt_double(char *buf, size_t n, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    /* snprintf and strtod agree on the locale's decimal point (so the test
     * above holds in any locale), but JSON wants '.': a program that set
     * LC_NUMERIC to, say, de_DE would otherwise write "0,1". */
    gc_numfmt_point(buf, NULL);
}

/* The same as fmt_double, but always a JSON real: append ".0" when the text
 * has neither a point nor an exponent ("1" -> "1.0", "-0" -> "-0.0"). */
static void fmt_real(char *buf, size_t n, double v)
{
    fmt_double(buf, n, v);
    if (strpbrk(buf, ".eE") == NULL && strlen(buf) + 3 <= n)
        strcat(buf, ".0");
}

/* A short description of a JSON value for "got ...": numbers and literals as
 * written, strings quoted (cut at 40 characters), containers by kind. */
static const char *describe(char *buf, size_t n, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_INTEGER:
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        fmt_double(buf, n, json_real_value(v));
        return buf;
    case JSON_STRING: {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        if (s == NULL)
            return "a string";
        if (strlen(s) > 40 && n > 45)
            snprintf(buf, n, "%.36s...\"", s);
        else
            snprintf(buf, n, "%s", s);
        free(s);
        return buf;
    }
    }
    return "?";
}

/* path + "." + key, with the key's non-printable bytes shown as '?' and cut
 * at 40 bytes so that a message stays one readable line. */
static void path_key(char *out, size_t n, const char *path, const char *key)
{
    char k[48];
    size_t i = 0;
    for (; key[i] != '\0' && i < 40; i++) {
        unsigned char ch = (unsigned char)key[i];
        k[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
    }
    k[i] = '\0';
    if (key[i] != '\0' && i + 3 < sizeof k)
        strcat(k, "...");
    if (path == NULL || path[0] == '\0')
        snprintf(out, n, "%s", k);
    else
        snprintf(out, n, "%s.%s", path, k);
}

static const char *plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* path + "[i]".  A path too long for the buffer is cut: it only feeds a
 * message (and paths here are short: layers[k].W[i][j]). */
static void path_index(char *out, size_t n, const char *path, size_t i)
{
    if (snprintf(out, n, "%s[%zu]", path, i) >= (int)n && n > 4)
        strcpy(out + n - 4, "...");
}

/* ---- validation helpers ----------------------------------------------- */

/* *out = the finite number v, or an error at path. */
static int get_number(const ctx *c, const char *path, const json_t *v, double *out)
{
    char got[GOT_MAX];
    if (!json_is_number(v))
        return fail(c, GC_EPARSE, path, "expected a finite number, got %s",
                    describe(got, sizeof got, v));
    double d = json_number_value(v);
    /* jansson refuses to parse 1e999 and cannot hold NaN, but a document
     * built by a program might: reject here too, with the same wording. */
    if (!isfinite(d))
        return fail(c, GC_ERANGE, path, "expected a finite number, got %s",
                    describe(got, sizeof got, v));
    *out = d;
    return GC_OK;
}

/* *out = the integer v in [1, MAX_WIDTH], or an error at path. */
static int get_size(const ctx *c, const char *path, const json_t *v, int *out)
{
    char got[GOT_MAX];
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return fail(c, GC_EPARSE, path, "expected a positive integer, got %s",
                    describe(got, sizeof got, v));
    if (json_integer_value(v) > MAX_WIDTH)
        return fail(c, GC_ERANGE, path, "expected at most %d, got %s", MAX_WIDTH,
                    describe(got, sizeof got, v));
    *out = (int)json_integer_value(v);
    return GC_OK;
}

/* Check that v is an array of exactly n finite numbers.  `what` names the
 * expected length in the message ("values", "columns"). */
static int check_numbers(const ctx *c, const char *path, const json_t *v, size_t n,
                         const char *one, const char *many, const char *why)
{
    char got[GOT_MAX], p[PATH_MAX_LEN];
    if (!json_is_array(v))
        return fail(c, GC_EPARSE, path, "expected an array of %zu numbers, got %s", n,
                    describe(got, sizeof got, v));
    if (json_array_size(v) != n)
        return fail(c, GC_EPARSE, path, "expected %zu %s%s, got %zu", n,
                    plural((long long)n, one, many), why, json_array_size(v));
    for (size_t j = 0; j < n; j++) {
        const json_t *e = json_array_get(v, j);
        /* the path is built for an offender only: formatting it for each of
         * 100,000 weights took longer than parsing them */
        if (json_is_number(e) && isfinite(json_number_value(e)))
            continue;
        double d;
        path_index(p, sizeof p, path, j);
        int rc = get_number(c, p, e, &d);
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

/* Check that v is an array of `rows` arrays of `cols` finite numbers. */
static int check_rows(const ctx *c, const char *path, const json_t *v, size_t rows,
                      size_t cols)
{
    char got[GOT_MAX], p[PATH_MAX_LEN];
    if (!json_is_array(v))
        return fail(c, GC_EPARSE, path, "expected an array of %zu %s, got %s", rows,
                    plural((long long)rows, "row", "rows"), describe(got, sizeof got, v));
    if (json_array_size(v) != rows)
        return fail(c, GC_EPARSE, path, "expected %zu %s, got %zu", rows,
                    plural((long long)rows, "row", "rows"), json_array_size(v));
    for (size_t i = 0; i < rows; i++) {
        path_index(p, sizeof p, path, i);
        int rc = check_numbers(c, p, json_array_get(v, i), cols, "column", "columns", "");
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

/* Copy a validated array of arrays (rows x cols) into row-major dst. */
static void copy_rows(double *dst, const json_t *v, size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        const json_t *r = json_array_get(v, i);
        for (size_t j = 0; j < cols; j++)
            dst[i * cols + j] = json_number_value(json_array_get(r, j));
    }
}

/* Copy a validated array of n numbers into dst. */
static void copy_numbers(double *dst, const json_t *v, size_t n)
{
    for (size_t j = 0; j < n; j++)
        dst[j] = json_number_value(json_array_get(v, j));
}

/* Report the first key of object o not in the NULL-terminated list `allowed`
 * as "PATH.KEY: unknown key<note>".  `note` explains a near miss (may be ""). */
static int check_keys(const ctx *c, const char *path, const json_t *o,
                      const char *const *allowed, const char *special, const char *note)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char p[PATH_MAX_LEN];
            path_key(p, sizeof p, path, key);
            int is_special = special != NULL && strcmp(key, special) == 0;
            return fail(c, GC_EPARSE, p, "unknown key%s", is_special ? note : "");
        }
    }
    return GC_OK;
}

/* ---- the data: x and y ------------------------------------------------ */

/* Parse an examples array (B inner arrays of `width` numbers; width 0: take
 * it from the first example) into a new width x B matrix (transposed: one
 * column per example).  nexamples > 0 demands that many examples. */
static int parse_examples(const ctx *c, const char *name, const json_t *v, int width,
                          size_t nexamples, const char *width_why, gc_mat **out)
{
    char got[GOT_MAX], p[PATH_MAX_LEN];
    *out = NULL;
    if (!json_is_array(v))
        return fail(c, GC_EPARSE, name, "expected an array of examples, got %s",
                    describe(got, sizeof got, v));
    size_t B = json_array_size(v);
    if (B == 0)
        return fail(c, GC_EPARSE, name, "expected at least one example");
    if (nexamples > 0 && B != nexamples)
        return fail(c, GC_ESHAPE, name, "expected %zu %s (as in x), got %zu", nexamples,
                    plural((long long)nexamples, "example", "examples"), B);
    if (B > (size_t)MAX_WEIGHTS)
        return fail(c, GC_ERANGE, name, "expected at most %lld examples, got %zu",
                    MAX_WEIGHTS, B);
    for (size_t e = 0; e < B; e++) {
        const json_t *row = json_array_get(v, e);
        path_index(p, sizeof p, name, e);
        if (!json_is_array(row))
            return fail(c, GC_EPARSE, p, "expected an array of numbers, got %s",
                        describe(got, sizeof got, row));
        if (width == 0) {
            size_t w = json_array_size(row);
            if (w == 0)
                return fail(c, GC_EPARSE, p, "expected at least one value");
            if (w > MAX_WIDTH)
                return fail(c, GC_ERANGE, p, "expected at most %d values, got %zu",
                            MAX_WIDTH, w);
            width = (int)w;
            width_why = " (as x[0])";
        }
        int rc = json_array_size(row) == (size_t)width
                     ? check_numbers(c, p, row, (size_t)width, "value", "values", "")
                     : fail(c, nexamples > 0 ? GC_ESHAPE : GC_EPARSE, p,
                            "expected %d %s%s, got %zu", width,
                            plural(width, "value", "values"), width_why,
                            json_array_size(row));
        if (rc != GC_OK)
            return rc;
    }
    if ((long long)B * width > MAX_WEIGHTS)
        return fail(c, GC_ERANGE, name, "%zu examples of %d values are more than %lld",
                    B, width, MAX_WEIGHTS);
    gc_mat *m = gc_mat_new(width, (int)B);
    if (m == NULL)
        return fail(c, GC_ENOMEM, name, "out of memory");
    for (size_t e = 0; e < B; e++) {
        const json_t *row = json_array_get(v, e);
        for (int i = 0; i < width; i++)
            GC_AT(m, i, e) = json_number_value(json_array_get(row, (size_t)i));
    }
    *out = m;
    return GC_OK;
}

/* Targets the loss can take (see netfile.h); the element is named as in the
 * file, y[example][unit]. */
static int check_targets(const ctx *c, const gc_loss *loss, const gc_mat *T)
{
    char p[PATH_MAX_LEN], val[GOT_MAX];
    const char *name = loss->name;
    int unit_interval = strcmp(name, "bce") == 0 || strcmp(name, "bce_logits") == 0;
    int distribution = strcmp(name, "softmax_ce") == 0;
    for (int e = 0; e < T->cols; e++) {
        double sum = 0.0;
        for (int i = 0; i < T->rows; i++) {
            double t = GC_AT(T, i, e);
            snprintf(p, sizeof p, "y[%d][%d]", e, i);
            fmt_double(val, sizeof val, t);
            if (unit_interval && !(t >= 0.0 && t <= 1.0))
                return fail(c, GC_ERANGE, p, "expected a value in [0, 1] for loss %s, got %s",
                            name, val);
            if (distribution && !(t >= 0.0))
                return fail(c, GC_ERANGE, p,
                            "expected a value >= 0 for loss softmax_ce, got %s", val);
            sum += t;
        }
        /* Summing B positive doubles errs by at most B ulps: 1e-9 admits any
         * distribution written with 10 or more significant digits. */
        if (distribution && !(fabs(sum - 1.0) <= 1e-9)) {
            snprintf(p, sizeof p, "y[%d]", e);
            fmt_double(val, sizeof val, sum);
            return fail(c, GC_ERANGE, p,
                        "expected values summing to 1 for loss softmax_ce, got a sum of %s", val);
        }
    }
    return GC_OK;
}

/* ---- layers ----------------------------------------------------------- */

static const char *const DENSE_KEYS[] = {"type", "in", "out", "W", "b", NULL};
static const char *const ALPHA_KEYS[] = {"type", "alpha", NULL};
static const char *const ACT_KEYS[] = {"type", NULL};

/* Where a layer's given parameters are: in the document (numbers, or a
 * {"npy": FILE} whose array is Wn / bn in the owned file Wf / bf), or in the
 * "weights" archive (NULL: omitted). */
typedef struct given {
    const json_t *W, *b;
    const gc_npz_member *Wa, *ba, *Wn, *bn;
    gc_npz *Wf, *bf;
} given;

/* v is a {"npy": ...} object (any other value is numbers, or wrong as such). */
static int is_npy(const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "npy") != NULL;
}

/* A tensor given as {"npy": FILE} at path, shaped d0 (x d1; 0: any size):
 * *f the file opened (owned, also on failure), *m its array, checked. */
static int npy_tensor(const ctx *c, const char *path, const json_t *v, int ndim, size_t d0,
                      size_t d1, gc_npz **f, const gc_npz_member **m)
{
    char why[GC_NPY_WHY], got[GOT_MAX];
    const json_t *nj = json_object_get(v, "npy");
    *f = NULL;
    *m = NULL;
    size_t n = json_is_string(nj) ? json_string_length(nj) : 0;
    if (json_object_size(v) != 1 || n < 5 || strcmp(json_string_value(nj) + n - 4, ".npy") != 0)
        return fail(c, GC_EPARSE, path, "expected {\"npy\": \"FILE.npy\"}, got %s",
                    describe(got, sizeof got, json_object_size(v) != 1 ? v : nj));
    const char *name = json_string_value(nj);
    if ((*f = gc_weights_open(c->anchor, name, why)) == NULL)
        return fail(c, strncmp(why, "cannot ", 7) == 0 ? GC_EIO : GC_EPARSE, path, "%s: %s", name,
                    why);
    const size_t want[2] = {d0, d1};
    int rc = gc_weights_take(*f, "", ndim, want, m, why);
    if (rc != 0)
        return fail(c, rc == -1 ? GC_ESHAPE : GC_ERANGE, path, "%s: %s", name, why);
    return GC_OK;
}

/* Validate layers[k] (object lj) whose input width is *width (its source
 * described by `src`), build it into *out and advance *width. */
static int parse_layer(const ctx *c, size_t k, const json_t *lj, int *width,
                       const char *src, gc_layer **out, given *g)
{
    char got[GOT_MAX], path[PATH_MAX_LEN], p[PATH_MAX_LEN];
    *out = NULL;
    g->W = g->b = NULL;
    snprintf(path, sizeof path, "layers[%zu]", k);
    if (!json_is_object(lj))
        return fail(c, GC_EPARSE, path, "expected an object, got %s",
                    describe(got, sizeof got, lj));
    const json_t *tj = json_object_get(lj, "type");
    path_key(p, sizeof p, path, "type");
    if (tj == NULL)
        return fail(c, GC_EPARSE, p, "missing key");
    if (!json_is_string(tj))
        return fail(c, GC_EPARSE, p, "expected a string, got %s", describe(got, sizeof got, tj));
    const char *type = json_string_value(tj);

    if (strcmp(type, "dense") == 0) {
        int rc = check_keys(c, path, lj, DENSE_KEYS, NULL, "");
        if (rc != GC_OK)
            return rc;
        int in = 0, outw = 0;
        const char *names[2] = {"in", "out"};
        int *vals[2] = {&in, &outw};
        for (int i = 0; i < 2; i++) {
            const json_t *v = json_object_get(lj, names[i]);
            path_key(p, sizeof p, path, names[i]);
            if (v == NULL)
                return fail(c, GC_EPARSE, p, "missing key");
            rc = get_size(c, p, v, vals[i]);
            if (rc != GC_OK)
                return rc;
        }
        if ((long long)in * outw > MAX_WEIGHTS)
            return fail(c, GC_ERANGE, path, "W would have %lld weights, more than %lld",
                        (long long)in * outw, MAX_WEIGHTS);
        path_key(p, sizeof p, path, "in");
        if (in != *width)
            return fail(c, GC_ESHAPE, p, "expected %d (%s), got %d", *width, src, in);
        g->W = json_object_get(lj, "W");
        g->b = json_object_get(lj, "b");
        path_key(p, sizeof p, path, "W");
        if (is_npy(g->W))
            rc = npy_tensor(c, p, g->W, 2, (size_t)outw, (size_t)in, &g->Wf, &g->Wn);
        else if (g->W != NULL)
            rc = check_rows(c, p, g->W, (size_t)outw, (size_t)in);
        if (rc != GC_OK)
            return rc;
        path_key(p, sizeof p, path, "b");
        if (is_npy(g->b))
            rc = npy_tensor(c, p, g->b, 1, (size_t)outw, 0, &g->bf, &g->bn);
        else if (g->b != NULL)
            rc = check_numbers(c, p, g->b, (size_t)outw, "value", "values", "");
        if (rc != GC_OK)
            return rc;
        *out = gc_dense_new(in, outw);
        if (*out == NULL)
            return fail(c, GC_ENOMEM, path, "out of memory");
        *width = outw;
        return GC_OK;
    }

    if (strcmp(type, "plugin") == 0)
        return gc_io_plugin_layer(c->label, c->anchor, path, lj, width, c->rng, out, c->err);
    gc_act act;
    if (gc_act_from_name(type, &act) != GC_OK) {
        char list[256] = "";
        for (int a = 0; a < GC_ACT_COUNT; a++) {
            if (a > 0)
                strcat(list, ", ");
            strcat(list, gc_act_name((gc_act)a));
        }
        return fail(c, GC_EPARSE, p, "expected \"dense\", \"plugin\" or an activation (%s), got %s", list,
                    describe(got, sizeof got, tj));
    }
    int has_alpha = act == GC_ACT_LEAKY_RELU || act == GC_ACT_ELU;
    int rc = check_keys(c, path, lj, has_alpha ? ALPHA_KEYS : ACT_KEYS, "alpha",
                        " (only leaky_relu and elu take alpha)");
    if (rc != GC_OK)
        return rc;
    double alpha = gc_act_default_alpha(act);
    const json_t *aj = json_object_get(lj, "alpha");
    path_key(p, sizeof p, path, "alpha");
    if (aj != NULL && (rc = get_number(c, p, aj, &alpha)) != GC_OK)
        return rc;
    *out = gc_activation_new(act, *width, alpha);
    if (*out == NULL)
        return fail(c, GC_ENOMEM, path, "out of memory");
    return GC_OK;
}

/* ---- the document ----------------------------------------------------- */

static const char *const TOP_KEYS[] = {"layers", "loss", "x", "y", "weights", NULL};

/* ---- binary weights: the "weights" archive ----------------------------- */

/* Open the archive root's "weights" names (none: *z NULL). */
static int open_weights(const ctx *c, const json_t *root, gc_npz **z)
{
    char got[GOT_MAX], why[GC_NPY_WHY];
    const json_t *wj = json_object_get(root, "weights");
    *z = NULL;
    if (wj == NULL)
        return GC_OK;
    size_t n = json_is_string(wj) ? json_string_length(wj) : 0;
    if (n == 0 || (n >= 4 && strcmp(json_string_value(wj) + n - 4, ".npy") == 0))
        return fail(c, GC_EPARSE, "weights", "expected the name of a .npz file (a .npy goes "
                    "in place of one tensor: {\"npy\": FILE}), got %s",
                    describe(got, sizeof got, wj));
    *z = gc_weights_open(c->anchor, json_string_value(wj), why);
    if (*z == NULL)
        return fail(c, strncmp(why, "cannot ", 7) == 0 ? GC_EIO : GC_EPARSE, "weights",
                    "%s: %s", json_string_value(wj), why);
    return GC_OK;
}

/* Take array `name` from the archive for the tensor at path, unless the
 * document gives it (in_doc): both is an error. */
static int take(const ctx *c, gc_npz *z, const json_t *root, const char *path, const char *name,
                int in_doc, int ndim, size_t d0, size_t d1, const gc_npz_member **out)
{
    char why[GC_NPY_WHY];
    const size_t want[2] = {d0, d1};
    const char *file = json_string_value(json_object_get(root, "weights"));
    *out = NULL;
    int rc = gc_weights_take(z, name, ndim, want, out, why);
    if (rc != 0) /* a wrong shape, or a value that is not finite (as in the JSON) */
        return fail(c, rc == -1 ? GC_ESHAPE : GC_ERANGE, path, "%s in %s: %s", name, file, why);
    if (*out != NULL && in_doc)
        return fail(c, GC_EPARSE, path, "given both here and as %s in %s", name, file);
    return GC_OK;
}

/* x or y: from the document, else from the archive, else missing. */
static int examples(const ctx *c, gc_npz *z, const json_t *root, const char *name, int width,
                    size_t nexamples, const char *width_why, gc_mat **out)
{
    const json_t *v = json_object_get(root, name);
    const gc_npz_member *m;
    gc_npz *f = NULL;
    *out = NULL;
    int rc = take(c, z, root, name, name, v != NULL, 2, nexamples, (size_t)width, &m);
    if (rc == GC_OK && is_npy(v))
        rc = npy_tensor(c, name, v, 2, nexamples, (size_t)width, &f, &m);
    else if (rc == GC_OK && v != NULL)
        return parse_examples(c, name, v, width, nexamples, width_why, out);
    if (rc == GC_OK && m == NULL)
        rc = fail(c, GC_EPARSE, name, "missing key, and no array '%s' in %s", name,
                  json_string_value(json_object_get(root, "weights")));
    else if (rc == GC_OK && (m->a.shape[0] > (size_t)MAX_WEIGHTS || m->a.shape[1] > MAX_WIDTH))
        rc = fail(c, GC_ERANGE, name, "more than %lld examples or %d values", MAX_WEIGHTS,
                  MAX_WIDTH);
    else if (rc == GC_OK && (*out = gc_mat_new((int)m->a.shape[1], (int)m->a.shape[0])) == NULL)
        rc = fail(c, GC_ENOMEM, name, "out of memory");
    if (rc == GC_OK) /* B x width in the file: one column per example */
        gc_weights_copy(m, (*out)->data, 1);
    gc_npz_free(f);
    return rc;
}

/* A dense layer's W and b from the archive, as W<n> and b<n> (n counts the
 * dense layers from 1, as the report names them). */
static int take_dense(const ctx *c, gc_npz *z, const json_t *root, size_t k, int n,
                      const gc_layer *l, given *g)
{
    char path[PATH_MAX_LEN], name[GC_NAME_MAX];
    snprintf(path, sizeof path, "layers[%zu].W", k);
    snprintf(name, sizeof name, "W%d", n);
    int rc = take(c, z, root, path, name, g->W != NULL, 2, (size_t)l->out, (size_t)l->in, &g->Wa);
    if (rc != GC_OK)
        return rc;
    snprintf(path, sizeof path, "layers[%zu].b", k);
    snprintf(name, sizeof name, "b%d", n);
    return take(c, z, root, path, name, g->b != NULL, 1, (size_t)l->out, 0, &g->ba);
}

static void given_free(given *gv, size_t n)
{
    for (size_t k = 0; gv != NULL && k < n; k++) {
        gc_npz_free(gv[k].Wf);
        gc_npz_free(gv[k].bf);
    }
    free(gv);
}

static gc_net *load_doc(const ctx *c, const json_t *root, gc_init init, gc_pcg32 *rng)
{
    char got[GOT_MAX], p[PATH_MAX_LEN];
    gc_net *net = NULL;
    gc_mat *X = NULL, *T = NULL;
    given *gv = NULL;
    gc_npz *z = NULL;
    int ndense = 0;
    size_t nl = 0;

    if (!json_is_object(root)) {
        fail(c, GC_EPARSE, NULL, "expected an object at the top level, got %s",
             describe(got, sizeof got, root));
        return NULL;
    }
    if (check_keys(c, "", root, TOP_KEYS, NULL, "") != GC_OK)
        return NULL;
    int has_weights = json_object_get(root, "weights") != NULL;
    for (size_t i = 0; TOP_KEYS[i] != NULL; i++) {
        /* "weights" is optional, and may hold x and y */
        if (strcmp(TOP_KEYS[i], "weights") == 0 ||
            (has_weights && (strcmp(TOP_KEYS[i], "x") == 0 || strcmp(TOP_KEYS[i], "y") == 0)))
            continue;
        if (json_object_get(root, TOP_KEYS[i]) == NULL) {
            fail(c, GC_EPARSE, TOP_KEYS[i], "missing key");
            return NULL;
        }
    }

    /* loss */
    const json_t *lossj = json_object_get(root, "loss");
    const gc_loss *loss = json_is_string(lossj) ? gc_loss_by_name(json_string_value(lossj))
                                                : NULL;
    if (loss == NULL) {
        fail(c, GC_EPARSE, "loss", "expected one of bce, bce_logits, mse, softmax_ce, got %s",
             describe(got, sizeof got, lossj));
        return NULL;
    }

    if (open_weights(c, root, &z) != GC_OK)
        return NULL;

    /* x, which fixes the input width */
    if (examples(c, z, root, "x", 0, 0, "", &X) != GC_OK)
        goto fail;

    /* layers */
    const json_t *layers = json_object_get(root, "layers");
    if (!json_is_array(layers)) {
        fail(c, GC_EPARSE, "layers", "expected an array of layers, got %s",
             describe(got, sizeof got, layers));
        goto fail;
    }
    nl = json_array_size(layers);
    if (nl == 0) {
        fail(c, GC_EPARSE, "layers", "expected at least one layer");
        goto fail;
    }
    net = gc_net_new(loss);
    gv = calloc(nl, sizeof *gv);
    if (net == NULL || gv == NULL) {
        fail(c, GC_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    int width = X->rows;
    int omitted = 0;
    const char *first_omitted = NULL;
    char omitted_path[PATH_MAX_LEN];
    char src[PATH_MAX_LEN] = "the width of x";
    for (size_t k = 0; k < nl; k++) {
        gc_layer *l;
        if (parse_layer(c, k, json_array_get(layers, k), &width, src, &l, &gv[k]) != GC_OK)
            goto fail;
        gc_error aerr = {0};
        int rc = gc_net_add(net, l, &aerr);
        if (rc != GC_OK) { /* cannot happen after parse_layer's checks */
            fail(c, rc, NULL, "%s", aerr.msg);
            goto fail;
        }
        snprintf(src, sizeof src, "the output width of layers[%zu]", k);
        if (l->ops == &gc_dense_ops) {
            if (take_dense(c, z, root, k, ++ndense, l, &gv[k]) != GC_OK)
                goto fail;
            if (!omitted && ((gv[k].W == NULL && gv[k].Wa == NULL) ||
                             (gv[k].b == NULL && gv[k].ba == NULL))) {
                snprintf(omitted_path, sizeof omitted_path, "layers[%zu].%s", k,
                         gv[k].W == NULL && gv[k].Wa == NULL ? "W" : "b");
                first_omitted = omitted_path;
                omitted = 1;
            }
        }
    }

    /* y, shaped by x and the network's output */
    snprintf(p, sizeof p, " (the output width of layers[%zu])", nl - 1);
    if (examples(c, z, root, "y", width, (size_t)X->cols, p, &T) != GC_OK)
        goto fail;
    const char *unused = gc_weights_unused(z);
    if (unused != NULL) {
        fail(c, GC_EPARSE, "weights", "%s: array '%s' names no tensor of this network "
             "(W1, b1, ... by dense layer, x, y)", json_string_value(json_object_get(root, "weights")),
             unused);
        goto fail;
    }
    if (check_targets(c, loss, T) != GC_OK)
        goto fail;

    /* parameters: draw all (when any is omitted), then copy the given ones */
    if (omitted) {
        if (rng == NULL) {
            fail(c, GC_EINVAL, first_omitted, "missing key, and no generator to draw it from");
            goto fail;
        }
        if (gc_io_init_params(net, init, rng) != GC_OK) {
            fail(c, GC_EINVAL, first_omitted, "missing key, and init %d is no gc_init to draw it by",
                 (int)init);
            goto fail;
        }
    }
    for (size_t k = 0; k < nl; k++) {
        gc_layer *l = net->layers[k];
        if (gv[k].W != NULL && gv[k].Wn == NULL)
            copy_rows(l->param[0].value, gv[k].W, (size_t)l->out, (size_t)l->in);
        if (gv[k].b != NULL && gv[k].bn == NULL)
            copy_numbers(l->param[1].value, gv[k].b, (size_t)l->out);
        if (gv[k].Wn != NULL)
            gc_weights_copy(gv[k].Wn, l->param[0].value, 0);
        if (gv[k].bn != NULL)
            gc_weights_copy(gv[k].bn, l->param[1].value, 0);
        if (gv[k].Wa != NULL)
            gc_weights_copy(gv[k].Wa, l->param[0].value, 0);
        if (gv[k].ba != NULL)
            gc_weights_copy(gv[k].ba, l->param[1].value, 0);
    }

    gc_error derr = {0};
    int rc = gc_net_set_data(net, X, T, &derr);
    if (rc != GC_OK) { /* a rule of the core stricter than check_targets */
        fail(c, rc, NULL, "%s", derr.msg);
        goto fail;
    }
    gc_mat_free(X);
    gc_mat_free(T);
    given_free(gv, nl);
    gc_npz_free(z);
    return net;

fail:
    gc_mat_free(X);
    gc_mat_free(T);
    given_free(gv, nl);
    gc_npz_free(z);
    gc_net_free(net);
    return NULL;
}

/* Turn a jansson parse error into our one-line message. */
static void syntax_error(const ctx *c, const json_error_t *je)
{
    if (je->line > 0)
        fail(c, GC_EPARSE, NULL, "line %d column %d: JSON syntax error: %s", je->line,
             je->column, je->text);
    else
        fail(c, GC_EPARSE, NULL, "JSON syntax error: %s", je->text);
}

/* Duplicate keys are an error (jansson keeps the last one silently
 * otherwise, so a typo'd second "W" would hide the first). */
#define PARSE_FLAGS JSON_REJECT_DUPLICATES

/* Parse len bytes of JSON text and build the network it describes. */
static gc_net *load_text(const ctx *c, const char *text, size_t len, gc_init init,
                         gc_pcg32 *rng)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, PARSE_FLAGS, &je);
    if (root == NULL) {
        syntax_error(c, &je);
        return NULL;
    }
    gc_net *net = load_doc(c, root, init, rng);
    json_decref(root);
    return net;
}

gc_net *gc_net_load_string(const char *json, const char *label, gc_init init,
                           gc_pcg32 *rng, gc_error *err)
{
    ctx c = {label != NULL ? label : "<string>", err, NULL, rng};
    if (json == NULL) {
        fail(&c, GC_EINVAL, NULL, "no text given");
        return NULL;
    }
    return load_text(&c, json, strlen(json), init, rng);
}

/* The whole of f in a new buffer (*len bytes), or NULL: out of memory, or a
 * read error (ferror(f) tells; errno is then read(2)'s reason).  json_loadb
 * on it gives what json_loadf gives (the same lexer, the same line and
 * column in a message) several times faster: json_loadf reads with one
 * fgetc, a locked call, per byte. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size < (unsigned long long)SIZE_MAX / 2)
        cap = (size_t)st.st_size + 1; /* one read, and the EOF seen */
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno; /* fread's reason, for the caller's message */
                free(buf);
                errno = e;
                return NULL;
            }
            if (feof(f))
                break;
        }
    }
    *len = n;
    return buf;
}

gc_net *gc_net_load(const char *path, gc_init init, gc_pcg32 *rng, gc_error *err)
{
    ctx c = {path != NULL ? path : "<null>", err, path, rng};
    if (path == NULL) {
        fail(&c, GC_EINVAL, NULL, "no file name given");
        return NULL;
    }
    /* Open it ourselves so that "cannot read" (GC_EIO) is told apart from
     * "malformed" (GC_EPARSE). */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail(&c, GC_EIO, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t len = 0;
    char *text = read_all(f, &len);
    int read_errno = errno; /* before fclose: read_all's reason on a read error */
    int read_failed = ferror(f);
    fclose(f);
    if (text == NULL && !read_failed) {
        fail(&c, GC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    if (read_failed) {
        free(text);
        /* "cannot read: Is a directory", as "cannot open: ..." above */
        fail(&c, GC_EIO, NULL, "cannot read: %s", strerror(read_errno != 0 ? read_errno : EIO));
        return NULL;
    }
    gc_net *net = load_text(&c, text, len, init, rng);
    free(text);
    return net;
}

/* ---- writing ---------------------------------------------------------- */

/* The built-in activation whose ops these are, or -1. */
static int builtin_act(const gc_layer *l)
{
    for (int a = 0; a < GC_ACT_COUNT; a++)
        if (l->ops == gc_act_ops((gc_act)a))
            return a;
    return -1;
}

/* Every value finite?  Names the first offender in err. */
static int check_finite(const double *v, size_t n, const char *what, gc_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return gc_error_set(err, GC_ERANGE,
                                "%s: element %zu is not finite: a network file cannot hold it",
                                what, i);
    return GC_OK;
}

/* rows x cols row-major (or its transpose when `transpose`) as JSON rows,
 * one per line, each line after the first indented by `indent`. */
static void write_rows(FILE *f, const double *v, int rows, int cols, int transpose,
                       int indent)
{
    char buf[40];
    int R = transpose ? cols : rows, C = transpose ? rows : cols;
    fputc('[', f);
    for (int i = 0; i < R; i++) {
        if (i > 0)
            fprintf(f, ",\n%*s", indent + 1, "");
        fputc('[', f);
        for (int j = 0; j < C; j++) {
            double d = transpose ? v[(size_t)j * (size_t)cols + (size_t)i]
                                 : v[(size_t)i * (size_t)cols + (size_t)j];
            fmt_real(buf, sizeof buf, d);
            fprintf(f, "%s%s", j > 0 ? ", " : "", buf);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

int gc_net_write_json(const gc_net *net, FILE *f, gc_error *err)
{
    if (net == NULL || f == NULL)
        return gc_error_set(err, GC_EINVAL, "no network or no file to write");
    if (net->nlayers < 1 || net->batch < 1 || net->act == NULL || net->T == NULL)
        return gc_error_set(err, GC_EINVAL,
                            "the network has no layers or no data: a network file needs both");
    if (net->loss == NULL || gc_loss_by_name(net->loss->name) != net->loss)
        return gc_error_set(err, GC_EINVAL, "loss: only a built-in loss can be written");
    /* Validate everything before writing a byte. */
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        char what[PATH_MAX_LEN];
        if (l->ops == &gc_dense_ops) {
            for (int t = 0; t < 2; t++) {
                snprintf(what, sizeof what, "layers[%d].%s", k, t == 0 ? "W" : "b");
                int rc = check_finite(l->param[t].value,
                                      (size_t)l->param[t].rows * (size_t)l->param[t].cols,
                                      what, err);
                if (rc != GC_OK)
                    return rc;
            }
        } else if (builtin_act(l) < 0) {
            return gc_error_set(err, GC_EINVAL,
                                "layers[%d]: type \"%s\" is not a built-in layer and cannot be "
                                "written to a network file",
                                k, l->ops->type != NULL ? l->ops->type : "?");
        } else if (!isfinite(l->alpha)) {
            return gc_error_set(err, GC_ERANGE, "layers[%d].alpha: not finite", k);
        }
    }
    int rc = check_finite(net->act[0]->data, gc_mat_size(net->act[0]), "x", err);
    if (rc == GC_OK)
        rc = check_finite(net->T->data, gc_mat_size(net->T), "y", err);
    if (rc != GC_OK)
        return rc;

    char buf[40];
    fputs("{\n  \"layers\": [\n", f);
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        fputs("    {", f);
        if (l->ops == &gc_dense_ops) {
            fprintf(f, "\"type\": \"dense\", \"in\": %d, \"out\": %d,\n     \"W\": ", l->in,
                    l->out);
            write_rows(f, l->param[0].value, l->out, l->in, 0, 10);
            fputs(",\n     \"b\": [", f);
            for (int i = 0; i < l->out; i++) {
                fmt_real(buf, sizeof buf, l->param[1].value[i]);
                fprintf(f, "%s%s", i > 0 ? ", " : "", buf);
            }
            fputs("]}", f);
        } else {
            gc_act a = (gc_act)builtin_act(l);
            fprintf(f, "\"type\": \"%s\"", gc_act_name(a));
            if (a == GC_ACT_LEAKY_RELU || a == GC_ACT_ELU) {
                fmt_real(buf, sizeof buf, l->alpha);
                fprintf(f, ", \"alpha\": %s", buf);
            }
            fputc('}', f);
        }
        fputs(k + 1 < net->nlayers ? ",\n" : "\n", f);
    }
    fprintf(f, "  ],\n  \"loss\": \"%s\",\n  \"x\": ", net->loss->name);
    write_rows(f, net->act[0]->data, net->act[0]->rows, net->act[0]->cols, 1, 7);
    fputs(",\n  \"y\": ", f);
    write_rows(f, net->T->data, net->T->rows, net->T->cols, 1, 7);
    fputs("\n}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return gc_error_set(err, GC_EIO, "write failed: %s", strerror(errno));
    return GC_OK;
}

int gc_net_save(const gc_net *net, const char *path, gc_error *err)
{
    if (path == NULL)
        return gc_error_set(err, GC_EINVAL, "no file name given");
    /* The temporary file lives beside the target so that rename() stays
     * within one file system and is atomic. */
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (tmp == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: out of memory", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return gc_error_set(err, GC_EIO, "%s: cannot create a temporary file: %s", path,
                            strerror(e));
    }
    /* mkstemp makes the file 0600; a network file is an ordinary file. */
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return gc_error_set(err, GC_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    gc_error werr = {0};
    int rc = gc_net_write_json(net, f, &werr);
    /* stdio's buffer first: fsync only reaches what was handed to the
     * kernel, and the tail of the file is still in f's buffer here */
    if (rc == GC_OK && fflush(f) != 0)
        rc = gc_error_set(&werr, GC_EIO, "write failed: %s", strerror(errno));
    if (rc == GC_OK && fsync(fileno(f)) != 0)
        rc = gc_error_set(&werr, GC_EIO, "fsync failed: %s", strerror(errno));
    if (fclose(f) != 0 && rc == GC_OK)
        rc = gc_error_set(&werr, GC_EIO, "close failed: %s", strerror(errno));
    if (rc == GC_OK && rename(tmp, path) != 0)
        rc = gc_error_set(&werr, GC_EIO, "cannot rename the temporary file: %s",
                          strerror(errno));
    if (rc != GC_OK) {
        unlink(tmp);
        gc_error_set(err, rc, "%s: %s", path, werr.msg);
    }
    free(tmp);
    return rc;
}
