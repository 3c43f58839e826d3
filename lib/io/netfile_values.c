/*
 * netfile_values.c -- the network file's values checked one by one: finite
 * numbers, sizes, arrays of the right length, known keys, the examples x
 * and y, targets the loss can take, and the element budget.
 */
#include "io/netfile_parse.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>


/* *out = the finite number v, or an error at path. */
int gc_nf_get_number(const gc_nf_ctx *c, const char *path, const json_t *v, double *out)
{
    char got[GC_NF_GOT_MAX];
    if (!json_is_number(v))
        return gc_nf_fail(c, GC_EPARSE, path, "expected a finite number, got %s",
                    gc_nf_describe(got, sizeof got, v));
    double d = json_number_value(v);
    /* jansson refuses to parse 1e999 and cannot hold NaN, but a document
     * built by a program might: reject here too, with the same wording. */
    if (!isfinite(d))
        return gc_nf_fail(c, GC_ERANGE, path, "expected a finite number, got %s",
                    gc_nf_describe(got, sizeof got, v));
    *out = d;
    return GC_OK;
}

/* *out = the integer v in [1, GC_NF_MAX_WIDTH], or an error at path. */
int gc_nf_get_size(const gc_nf_ctx *c, const char *path, const json_t *v, int *out)
{
    char got[GC_NF_GOT_MAX];
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return gc_nf_fail(c, GC_EPARSE, path, "expected a positive integer, got %s",
                    gc_nf_describe(got, sizeof got, v));
    if (json_integer_value(v) > GC_NF_MAX_WIDTH)
        return gc_nf_fail(c, GC_ERANGE, path, "expected at most %d, got %s", GC_NF_MAX_WIDTH,
                    gc_nf_describe(got, sizeof got, v));
    *out = (int)json_integer_value(v);
    return GC_OK;
}

int gc_nf_array_of(const gc_nf_ctx *c, const json_t *v, gc_nf_array *out)
{
    if (json_is_array(v)) {
        *out = (gc_nf_array){.a = v, .x = NULL, .n = json_array_size(v)};
        return 1;
    }
    out->a = NULL;
    return gc_nf_table_run(c->tab, v, &out->x, &out->n);
}

/* Element j of a validated array of numbers. */
static double array_at(const gc_nf_array *a, size_t j)
{
    return a->x != NULL ? a->x[j] : json_number_value(json_array_get(a->a, j));
}

static void copy_array(double *dst, const gc_nf_array *a)
{
    if (a->x != NULL) {
        memcpy(dst, a->x, a->n * sizeof *dst);
        return;
    }
    for (size_t j = 0; j < a->n; j++)
        dst[j] = array_at(a, j);
}

/* Check that v is an array of exactly n finite numbers.  `what` names the
 * expected length in the message ("values", "columns"). */
int gc_nf_check_numbers(const gc_nf_ctx *c, const char *path, const json_t *v, size_t n,
                         const char *one, const char *many, const char *why)
{
    char got[GC_NF_GOT_MAX], p[GC_NF_PATH_MAX];
    gc_nf_array a;
    if (!gc_nf_array_of(c, v, &a))
        return gc_nf_fail(c, GC_EPARSE, path, "expected an array of %zu numbers, got %s", n,
                    gc_nf_describe(got, sizeof got, v));
    if (a.n != n)
        return gc_nf_fail(c, GC_EPARSE, path, "expected %zu %s%s, got %zu", n,
                    gc_nf_plural((long long)n, one, many), why, a.n);
    for (size_t j = 0; a.a != NULL && j < n; j++) {
        const json_t *e = json_array_get(v, j);
        /* the path is built for an offender only: formatting it for each of
         * 100,000 weights took longer than parsing them */
        if (json_is_number(e) && isfinite(json_number_value(e)))
            continue;
        double d;
        gc_nf_path_index(p, sizeof p, path, j);
        int rc = gc_nf_get_number(c, p, e, &d);
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

/* Check that v is an array of `rows` arrays of `cols` finite numbers. */
int gc_nf_check_rows(const gc_nf_ctx *c, const char *path, const json_t *v, size_t rows,
                      size_t cols)
{
    char got[GC_NF_GOT_MAX], p[GC_NF_PATH_MAX];
    if (!json_is_array(v))
        return gc_nf_fail(c, GC_EPARSE, path, "expected an array of %zu %s, got %s", rows,
                    gc_nf_plural((long long)rows, "row", "rows"), gc_nf_describe(got, sizeof got, v));
    if (json_array_size(v) != rows)
        return gc_nf_fail(c, GC_EPARSE, path, "expected %zu %s, got %zu", rows,
                    gc_nf_plural((long long)rows, "row", "rows"), json_array_size(v));
    for (size_t i = 0; i < rows; i++) {
        gc_nf_path_index(p, sizeof p, path, i);
        int rc = gc_nf_check_numbers(c, p, json_array_get(v, i), cols, "column", "columns", "");
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

/* Copy a validated array of arrays (rows x cols) into row-major dst. */
void gc_nf_copy_rows(const gc_nf_ctx *c, double *dst, const json_t *v, size_t rows,
                     size_t cols)
{
    for (size_t i = 0; i < rows; i++) {
        gc_nf_array a;
        if (gc_nf_array_of(c, json_array_get(v, i), &a))
            copy_array(dst + i * cols, &a);
    }
}

/* Copy a validated array of n numbers into dst. */
void gc_nf_copy_numbers(const gc_nf_ctx *c, double *dst, const json_t *v, size_t n)
{
    gc_nf_array a;
    if (gc_nf_array_of(c, v, &a) && a.n == n)
        copy_array(dst, &a);
}

/* Report the first key of object o not in the NULL-terminated list `allowed`
 * as "PATH.KEY: unknown key<note>".  `note` explains a near miss (may be ""). */
int gc_nf_check_keys(const gc_nf_ctx *c, const char *path, const json_t *o,
                      const char *const *allowed, const char *special, const char *note)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val) {
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            char p[GC_NF_PATH_MAX];
            gc_nf_path_key(p, sizeof p, path, key);
            int is_special = special != NULL && strcmp(key, special) == 0;
            return gc_nf_fail(c, GC_EPARSE, p, "unknown key%s", is_special ? note : "");
        }
    }
    return GC_OK;
}

/* ---- the data: x and y ------------------------------------------------ */

/* Parse an examples array (B inner arrays of `width` numbers; width 0: take
 * it from the first example) into a new width x B matrix (transposed: one
 * column per example).  nexamples > 0 demands that many examples. */
int gc_nf_parse_examples(gc_nf_ctx *c, const char *name, const json_t *v, int width,
                          size_t nexamples, const char *width_why, gc_mat **out)
{
    char got[GC_NF_GOT_MAX], p[GC_NF_PATH_MAX];
    *out = NULL;
    if (!json_is_array(v))
        return gc_nf_fail(c, GC_EPARSE, name, "expected an array of examples, got %s",
                    gc_nf_describe(got, sizeof got, v));
    size_t B = json_array_size(v);
    if (B == 0)
        return gc_nf_fail(c, GC_EPARSE, name, "expected at least one example");
    if (nexamples > 0 && B != nexamples)
        return gc_nf_fail(c, GC_ESHAPE, name, "expected %zu %s (as in x), got %zu", nexamples,
                    gc_nf_plural((long long)nexamples, "example", "examples"), B);
    if (B > (size_t)GC_NF_MAX_WEIGHTS)
        return gc_nf_fail(c, GC_ERANGE, name, "expected at most %lld examples, got %zu",
                    GC_NF_MAX_WEIGHTS, B);
    for (size_t e = 0; e < B; e++) {
        const json_t *row = json_array_get(v, e);
        gc_nf_array a;
        gc_nf_path_index(p, sizeof p, name, e);
        if (!gc_nf_array_of(c, row, &a))
            return gc_nf_fail(c, GC_EPARSE, p, "expected an array of numbers, got %s",
                        gc_nf_describe(got, sizeof got, row));
        if (width == 0) {
            size_t w = a.n;
            if (w == 0)
                return gc_nf_fail(c, GC_EPARSE, p, "expected at least one value");
            if (w > GC_NF_MAX_WIDTH)
                return gc_nf_fail(c, GC_ERANGE, p, "expected at most %d values, got %zu",
                            GC_NF_MAX_WIDTH, w);
            width = (int)w;
            width_why = " (as x[0])";
        }
        int rc = a.n == (size_t)width
                     ? gc_nf_check_numbers(c, p, row, (size_t)width, "value", "values", "")
                     : gc_nf_fail(c, nexamples > 0 ? GC_ESHAPE : GC_EPARSE, p,
                            "expected %d %s%s, got %zu", width,
                            gc_nf_plural(width, "value", "values"), width_why, a.n);
        if (rc != GC_OK)
            return rc;
    }
    if ((long long)B * width > GC_NF_MAX_WEIGHTS)
        return gc_nf_fail(c, GC_ERANGE, name, "%zu examples of %d values are more than %lld",
                    B, width, GC_NF_MAX_WEIGHTS);
    gc_mat *m = gc_mat_new(width, (int)B);
    if (m == NULL)
        return gc_nf_fail(c, GC_ENOMEM, name, "out of memory");
    for (size_t e = 0; e < B; e++) {
        gc_nf_array a;
        gc_nf_array_of(c, json_array_get(v, e), &a);
        for (int i = 0; i < width; i++)
            GC_AT(m, i, e) = array_at(&a, (size_t)i);
    }
    *out = m;
    return GC_OK;
}

/* Targets the loss can take (see netfile.h); the element is named as in the
 * file, y[example][unit]. */
int gc_nf_check_targets(const gc_nf_ctx *c, const gc_loss *loss, const gc_mat *T)
{
    char p[GC_NF_PATH_MAX], val[GC_NF_GOT_MAX];
    const char *name = loss->name;
    int unit_interval = strcmp(name, "bce") == 0 || strcmp(name, "bce_logits") == 0;
    int distribution = strcmp(name, "softmax_ce") == 0;
    for (int e = 0; e < T->cols; e++) {
        double sum = 0.0;
        for (int i = 0; i < T->rows; i++) {
            double t = GC_AT(T, i, e);
            snprintf(p, sizeof p, "y[%d][%d]", e, i);
            gc_numfmt_shortest(val, sizeof val, t, 15);
            if (unit_interval && !(t >= 0.0 && t <= 1.0))
                return gc_nf_fail(c, GC_ERANGE, p, "expected a value in [0, 1] for loss %s, got %s",
                            name, val);
            if (distribution && !(t >= 0.0))
                return gc_nf_fail(c, GC_ERANGE, p,
                            "expected a value >= 0 for loss softmax_ce, got %s", val);
            sum += t;
        }
        /* Summing B positive doubles errs by at most B ulps: 1e-9 admits any
         * distribution written with 10 or more significant digits. */
        if (distribution && !(fabs(sum - 1.0) <= 1e-9)) {
            snprintf(p, sizeof p, "y[%d]", e);
            gc_numfmt_shortest(val, sizeof val, sum, 15);
            return gc_nf_fail(c, GC_ERANGE, p,
                        "expected values summing to 1 for loss softmax_ce, got a sum of %s", val);
        }
    }
    return GC_OK;
}

int gc_nf_spend(gc_nf_ctx *c, const char *path, long long n)
{
    /* n and the running total stay far below LLONG_MAX: widths are at most
     * 1e6 and counts of one tensor at most 1e8 */
    if (c->elements + n > c->lim.max_elements)
        return gc_nf_fail(c, GC_ELIMIT, path,
                          "the network would hold %lld elements (parameters, activations, "
                          "data), more than the limit of %lld (max_elements)",
                          c->elements + n, c->lim.max_elements);
    c->elements += n;
    return GC_OK;
}
