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
#include "gradcheck/report.h"

#include <jansson.h>
#include <math.h>

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

int gc_report_write_json(const gc_report *r, FILE *f)
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
             fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        rc = GC_EIO;
    json_decref(root);
    return rc;
}
