/*
 * write_json.c -- the report as one JSON object (jansson).
 *
 * Numbers are written with 17 significant digits, so a double read back is
 * bit-identical.  JSON has no NaN or Infinity: such values are written as
 * the strings "nan", "inf" and "-inf".  Optional row fields: num_err when
 * the method estimates it (richardson); slope_lo and slope_hi on kink and
 * fail rows when computed; hook when a layer's kink hook fired.  The
 * schema is in README.md.
 */
#include "gradcheck/check.h"
#include "internal.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *num(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

/* json_object_set_new that remembers a failure instead of checking each. */
static void put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        *bad = 1;
}

static json_t *options(const gc_check_opts *o, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    put(j, "method", json_string(gc_method_name(o->method)), bad);
    put(j, "eps", num(o->eps), bad);
    put(j, "rtol", num(o->rtol), bad);
    put(j, "atol", num(o->atol), bad);
    put(j, "inputs", json_boolean(o->inputs), bad);
    put(j, "sample", json_integer(o->sample), bad);
    put(j, "seed", json_integer((json_int_t)o->seed), bad);
    put(j, "strict_kinks", json_boolean(o->strict_kinks), bad);
    put(j, "adaptive", json_boolean(o->adaptive), bad);
    put(j, "engine", json_string(gc_engine_name(o->engine)), bad);
    put(j, "screen", json_boolean(o->screen), bad);
    return j;
}

static json_t *tensor(const gc_report *r, const gc_tensor_report *tr, int *bad)
{
    json_t *j = json_object(), *w = json_object();
    if (j == NULL || w == NULL) {
        json_decref(j);
        json_decref(w);
        *bad = 1;
        return NULL;
    }
    put(j, "name", json_string(tr->name), bad);
    put(j, "rows", json_integer(tr->rows), bad);
    put(j, "cols", json_integer(tr->cols), bad);
    put(j, "checked", json_integer((json_int_t)tr->count), bad);
    put(j, "pass", json_integer(tr->npass), bad);
    put(j, "kink", json_integer(tr->nkink), bad);
    put(j, "fail", json_integer(tr->nfail), bad);
    put(j, "max_rel_err", num(tr->max_rel), bad);
    put(j, "median_rel_err", num(tr->median_rel), bad);
    if (tr->count > 0) {
        put(w, "row", json_integer(r->rows[tr->worst].row), bad);
        put(w, "col", json_integer(r->rows[tr->worst].col), bad);
        put(j, "worst", w, bad);
    } else {
        json_decref(w);
        put(j, "worst", json_null(), bad);
    }
    put(j, "norm_ratio", num(tr->norm_ratio), bad);
    put(j, "vacuous", json_boolean(tr->vacuous), bad);
    put(j, "sampled", json_boolean(tr->sampled), bad);
    put(j, "screened", json_boolean(tr->screened), bad);
    return j;
}

static json_t *row(const gc_report *r, const gc_row *w, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    put(j, "tensor", json_string(r->tensors[w->tensor].name), bad);
    put(j, "row", json_integer(w->row), bad);
    put(j, "col", json_integer(w->col), bad);
    put(j, "analytic", num(w->analytic), bad);
    put(j, "numeric", num(w->numeric), bad);
    put(j, "abs_err", num(w->abs_err), bad);
    put(j, "rel_err", num(w->rel_err), bad);
    if (!isnan(w->num_err))
        put(j, "num_err", num(w->num_err), bad);
    if (w->verdict != GC_PASS && !isnan(w->slope_lo)) {
        put(j, "slope_lo", num(w->slope_lo), bad);
        put(j, "slope_hi", num(w->slope_hi), bad);
    }
    if (w->hook)
        put(j, "hook", json_true(), bad);
    put(j, "verdict", json_string(gc_verdict_name(w->verdict)), bad);
    return j;
}

int gc_report_write_json_tree(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    int bad = 0;
    json_t *root = json_object(), *tensors = json_array(), *rows = json_array(),
           *totals = json_object();
    if (root == NULL || tensors == NULL || rows == NULL || totals == NULL) {
        json_decref(root);
        json_decref(tensors);
        json_decref(rows);
        json_decref(totals);
        return GC_ENOMEM;
    }
    put(root, "gradcheck", json_string(GC_VERSION), &bad);
    put(root, "options", options(&r->opts, &bad), &bad);
    put(root, "loss", num(r->loss), &bad);
    for (int t = 0; t < r->ntensors; t++)
        if (json_array_append_new(tensors, tensor(r, &r->tensors[t], &bad)) != 0)
            bad = 1;
    put(root, "tensors", tensors, &bad);
    for (size_t k = 0; k < r->nrows; k++)
        if (json_array_append_new(rows, row(r, &r->rows[k], &bad)) != 0)
            bad = 1;
    put(root, "rows", rows, &bad);
    put(totals, "checked", json_integer((json_int_t)r->nrows), &bad);
    put(totals, "pass", json_integer(r->npass), &bad);
    put(totals, "kink", json_integer(r->nkink), &bad);
    put(totals, "fail", json_integer(r->nfail), &bad);
    put(totals, "vacuous", json_integer(r->nvacuous), &bad);
    put(totals, "restored", json_boolean(r->restored), &bad);
    put(totals, "evaluations", json_integer((json_int_t)r->nevals), &bad);
    put(root, "totals", totals, &bad);
    put(root, "verdict", json_string(gc_report_failed(r) ? "fail" : "pass"), &bad);
    int rc = GC_OK;
    if (bad)
        rc = GC_ENOMEM;
    else if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0 ||
             fputc('\n', f) == EOF || ferror(f))
        rc = GC_EIO;
    json_decref(root);
    return rc;
}

/* ---- the same bytes, written directly ------------------------------------ */

/*
 * Building a json_t per row and letting json_dumpf walk it was 3/4 of the
 * 4.4 G instructions of writing a 100,000-row report (480 ms).  The direct
 * writer below emits what json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(17)) emits for that tree: the same keys in the same
 * order, "key": value separators, ",\n" plus two spaces a level between
 * items, "[]" for an empty array; integers as %lld; reals as jansson's
 * jsonp_dtostr writes them ("%.17g", ".0" appended when there is neither
 * '.' nor 'e', the exponent's '+' and leading zeros dropped).  It takes a
 * report only when every string it would write is printable ASCII without
 * '"' or '\\' (nothing to escape) and the locale's decimal point is '.';
 * anything else goes through the tree (gc_report_write_json_tree), so that
 * jansson escapes (and refuses) strings as before.
 */
typedef struct jw {
    FILE *f;
    char buf[1 << 16];
    size_t n;
} jw;

static void jw_flush(jw *w)
{
    if (w->n > 0)
        fwrite(w->buf, 1, w->n, w->f);
    w->n = 0;
}

static void jw_put(jw *w, const char *s, size_t len)
{
    if (w->n + len > sizeof w->buf) {
        jw_flush(w);
        if (len > sizeof w->buf) {
            fwrite(s, 1, len, w->f);
            return;
        }
    }
    memcpy(w->buf + w->n, s, len);
    w->n += len;
}

static void jw_str(jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

/* A new item at depth d: "\n" and 2d spaces, after a "," unless first. */
static void jw_item(jw *w, int d, int first)
{
    static const char spaces[] = "                                ";
    if (!first)
        jw_put(w, ",", 1);
    jw_put(w, "\n", 1);
    jw_put(w, spaces, (size_t)(2 * d));
}

/* "key": at depth d. */
static void jw_key(jw *w, int d, int first, const char *key)
{
    jw_item(w, d, first);
    jw_put(w, "\"", 1);
    jw_str(w, key);
    jw_put(w, "\": ", 3);
}

static void jw_close(jw *w, int d, const char *bracket)
{
    jw_item(w, d, 1);
    jw_str(w, bracket);
}

static void jw_string(jw *w, const char *s)
{
    jw_put(w, "\"", 1);
    jw_str(w, s);
    jw_put(w, "\"", 1);
}

static void jw_int(jw *w, long long v)
{
    char b[32];
    int len = snprintf(b, sizeof b, "%lld", v);
    jw_put(w, b, (size_t)len);
}

static void jw_bool(jw *w, int v)
{
    jw_str(w, v ? "true" : "false");
}

/* num(v) as json_dumpf writes it. */
static void jw_num(jw *w, double v)
{
    if (isnan(v)) {
        jw_string(w, "nan");
        return;
    }
    if (isinf(v)) {
        jw_string(w, v > 0 ? "inf" : "-inf");
        return;
    }
    char b[40];
    int len = snprintf(b, sizeof b - 3, "%.17g", v);
    if (len < 0 || (size_t)len >= sizeof b - 3)
        return; /* cannot happen for a finite double */
    if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
        memcpy(b + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(b, 'e');
    if (e != NULL) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(b + len - end) + 1);
            len -= (int)(end - start);
        }
    }
    jw_put(w, b, (size_t)len);
}

static int plain(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

int gc_report_write_json(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    const char *dp = localeconv()->decimal_point;
    int direct = dp != NULL && strcmp(dp, ".") == 0 && plain(gc_method_name(r->opts.method)) &&
                 plain(gc_engine_name(r->opts.engine));
    for (int t = 0; t < r->ntensors && direct; t++)
        direct = plain(r->tensors[t].name);
    for (size_t k = 0; k < r->nrows && direct; k++)
        direct = plain(gc_verdict_name(r->rows[k].verdict)) && r->rows[k].tensor >= 0 &&
                 r->rows[k].tensor < r->ntensors;
    if (!direct)
        return gc_report_write_json_tree(r, f);
    jw *w = malloc(sizeof *w);
    if (w == NULL)
        return gc_report_write_json_tree(r, f);
    w->f = f;
    w->n = 0;
    const gc_check_opts *o = &r->opts;
    jw_put(w, "{", 1);
    jw_key(w, 1, 1, "gradcheck");
    jw_string(w, GC_VERSION);
    jw_key(w, 1, 0, "options");
    jw_put(w, "{", 1);
    jw_key(w, 2, 1, "method");
    jw_string(w, gc_method_name(o->method));
    jw_key(w, 2, 0, "eps");
    jw_num(w, o->eps);
    jw_key(w, 2, 0, "rtol");
    jw_num(w, o->rtol);
    jw_key(w, 2, 0, "atol");
    jw_num(w, o->atol);
    jw_key(w, 2, 0, "inputs");
    jw_bool(w, o->inputs);
    jw_key(w, 2, 0, "sample");
    jw_int(w, o->sample);
    jw_key(w, 2, 0, "seed");
    jw_int(w, (json_int_t)o->seed);
    jw_key(w, 2, 0, "strict_kinks");
    jw_bool(w, o->strict_kinks);
    jw_key(w, 2, 0, "adaptive");
    jw_bool(w, o->adaptive);
    jw_key(w, 2, 0, "engine");
    jw_string(w, gc_engine_name(o->engine));
    jw_key(w, 2, 0, "screen");
    jw_bool(w, o->screen);
    jw_close(w, 1, "}");
    jw_key(w, 1, 0, "loss");
    jw_num(w, r->loss);
    jw_key(w, 1, 0, "tensors");
    jw_put(w, "[", 1);
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        jw_item(w, 2, t == 0);
        jw_put(w, "{", 1);
        jw_key(w, 3, 1, "name");
        jw_string(w, tr->name);
        jw_key(w, 3, 0, "rows");
        jw_int(w, tr->rows);
        jw_key(w, 3, 0, "cols");
        jw_int(w, tr->cols);
        jw_key(w, 3, 0, "checked");
        jw_int(w, (json_int_t)tr->count);
        jw_key(w, 3, 0, "pass");
        jw_int(w, tr->npass);
        jw_key(w, 3, 0, "kink");
        jw_int(w, tr->nkink);
        jw_key(w, 3, 0, "fail");
        jw_int(w, tr->nfail);
        jw_key(w, 3, 0, "max_rel_err");
        jw_num(w, tr->max_rel);
        jw_key(w, 3, 0, "median_rel_err");
        jw_num(w, tr->median_rel);
        jw_key(w, 3, 0, "worst");
        if (tr->count > 0) {
            jw_put(w, "{", 1);
            jw_key(w, 4, 1, "row");
            jw_int(w, r->rows[tr->worst].row);
            jw_key(w, 4, 0, "col");
            jw_int(w, r->rows[tr->worst].col);
            jw_close(w, 3, "}");
        } else {
            jw_str(w, "null");
        }
        jw_key(w, 3, 0, "norm_ratio");
        jw_num(w, tr->norm_ratio);
        jw_key(w, 3, 0, "vacuous");
        jw_bool(w, tr->vacuous);
        jw_key(w, 3, 0, "sampled");
        jw_bool(w, tr->sampled);
        jw_key(w, 3, 0, "screened");
        jw_bool(w, tr->screened);
        jw_close(w, 2, "}");
    }
    if (r->ntensors > 0)
        jw_close(w, 1, "]");
    else
        jw_put(w, "]", 1);
    jw_key(w, 1, 0, "rows");
    jw_put(w, "[", 1);
    for (size_t k = 0; k < r->nrows; k++) {
        const gc_row *x = &r->rows[k];
        jw_item(w, 2, k == 0);
        jw_put(w, "{", 1);
        jw_key(w, 3, 1, "tensor");
        jw_string(w, r->tensors[x->tensor].name);
        jw_key(w, 3, 0, "row");
        jw_int(w, x->row);
        jw_key(w, 3, 0, "col");
        jw_int(w, x->col);
        jw_key(w, 3, 0, "analytic");
        jw_num(w, x->analytic);
        jw_key(w, 3, 0, "numeric");
        jw_num(w, x->numeric);
        jw_key(w, 3, 0, "abs_err");
        jw_num(w, x->abs_err);
        jw_key(w, 3, 0, "rel_err");
        jw_num(w, x->rel_err);
        if (!isnan(x->num_err)) {
            jw_key(w, 3, 0, "num_err");
            jw_num(w, x->num_err);
        }
        if (x->verdict != GC_PASS && !isnan(x->slope_lo)) {
            jw_key(w, 3, 0, "slope_lo");
            jw_num(w, x->slope_lo);
            jw_key(w, 3, 0, "slope_hi");
            jw_num(w, x->slope_hi);
        }
        if (x->hook) {
            jw_key(w, 3, 0, "hook");
            jw_str(w, "true");
        }
        jw_key(w, 3, 0, "verdict");
        jw_string(w, gc_verdict_name(x->verdict));
        jw_close(w, 2, "}");
    }
    if (r->nrows > 0)
        jw_close(w, 1, "]");
    else
        jw_put(w, "]", 1);
    jw_key(w, 1, 0, "totals");
    jw_put(w, "{", 1);
    jw_key(w, 2, 1, "checked");
    jw_int(w, (json_int_t)r->nrows);
    jw_key(w, 2, 0, "pass");
    jw_int(w, r->npass);
    jw_key(w, 2, 0, "kink");
    jw_int(w, r->nkink);
    jw_key(w, 2, 0, "fail");
    jw_int(w, r->nfail);
    jw_key(w, 2, 0, "vacuous");
    jw_int(w, r->nvacuous);
    jw_key(w, 2, 0, "restored");
    jw_bool(w, r->restored);
    jw_key(w, 2, 0, "evaluations");
    jw_int(w, (json_int_t)r->nevals);
    jw_close(w, 1, "}");
    jw_key(w, 1, 0, "verdict");
    jw_string(w, gc_report_failed(r) ? "fail" : "pass");
    jw_close(w, 0, "}");
    jw_put(w, "\n", 1);
    jw_flush(w);
    free(w);
    return ferror(f) ? GC_EIO : GC_OK;
}
