/*
 * write_json.c -- the report as one JSON object (jansson).
 *
 * Numbers are written with 17 significant digits, so a double read back is
 * bit-identical.  JSON has no NaN or Infinity: such values are written as
 * the strings "nan", "inf" and "-inf".  Every row has num_err (the error
 * bound) and band; optional row fields: reason on undecided rows, escalated
 * when true; slope_lo and slope_hi on non-pass rows when computed; hook
 * when a layer's kink hook fired.  The
 * schema is in README.md.
 */
#include "gradcheck/report.h"
#include "report/json.h"

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

/* {"noise": 3, ...}: the reasons with a nonzero count. */
static json_t *reasons(const int *n, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    for (int w = 1; w < GC_NREASONS; w++)
        if (n[w] > 0)
            put(j, gc_reason_name((gc_reason)w), json_integer(n[w]), bad);
    return j;
}

/* The tensor's coverage: what its verdicts rest on. */
static void tensor_coverage(json_t *j, const gc_tensor_report *tr, int *bad)
{
    put(j, "undecided", json_integer(tr->nundecided), bad);
    put(j, "undecided_by_reason", reasons(tr->nreason, bad), bad);
    put(j, "weak", json_integer(tr->nweak), bad);
    put(j, "escalated", json_integer(tr->nescalated), bad);
    put(j, "grad_scale", num(tr->grad_scale), bad);
    put(j, "sensitivity_median", num(tr->sens_median), bad);
    put(j, "sensitivity_worst", num(tr->sens_worst), bad);
}

/* The row's bound, band and, when set, reason and escalation. */
static void row_bound(json_t *j, const gc_row *w, int *bad)
{
    put(j, "num_err", num(w->num_err), bad);
    put(j, "band", num(w->band), bad);
    if (w->verdict == GC_UNDECIDED)
        put(j, "reason", json_string(gc_reason_name(w->reason)), bad);
    if (w->escalated)
        put(j, "escalated", json_true(), bad);
}

static const char *status_name(gc_status st)
{
    return st == GC_STATUS_CONFIRMED ? "pass" : st == GC_STATUS_REFUTED ? "fail" : "undecided";
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
    put(j, "allow_vacuous", json_boolean(o->allow_vacuous), bad);
    put(j, "precision",
        json_string(o->precision == GC_PRECISION_FLOAT32 ? "float32" : "float64"), bad);
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
    tensor_coverage(j, tr, bad);
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
    row_bound(j, w, bad);
    if (w->verdict != GC_PASS && !isnan(w->slope_lo)) {
        put(j, "slope_lo", num(w->slope_lo), bad);
        put(j, "slope_hi", num(w->slope_hi), bad);
    }
    if (w->hook)
        put(j, "hook", json_true(), bad);
    put(j, "verdict", json_string(gc_verdict_name(w->verdict)), bad);
    return j;
}

json_t *gc_report_json(const gc_report *r)
{
    int bad = 0;
    json_t *root = json_object(), *tensors = json_array(), *rows = json_array(),
           *totals = json_object();
    if (root == NULL || tensors == NULL || rows == NULL || totals == NULL) {
        json_decref(root);
        json_decref(tensors);
        json_decref(rows);
        json_decref(totals);
        return NULL;
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
    put(totals, "undecided", json_integer(r->nundecided), &bad);
    put(totals, "undecided_by_reason", reasons(r->nreason, &bad), &bad);
    put(totals, "weak", json_integer(r->nweak), &bad);
    put(totals, "escalated", json_integer(r->nescalated), &bad);
    put(totals, "vacuous", json_integer(r->nvacuous), &bad);
    put(totals, "restored", json_boolean(r->restored), &bad);
    put(totals, "evaluations", json_integer((json_int_t)r->nevals), &bad);
    put(root, "totals", totals, &bad);
    put(root, "verdict", json_string(status_name(gc_report_status(r))), &bad);
    put(root, "status", json_integer((json_int_t)gc_report_status(r)), &bad);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *gc_report_json_num(double v)
{
    return num(v);
}

int gc_report_json_dump(json_t *root, FILE *f)
{
    if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) != 0 ||
        fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        return GC_EIO;
    return GC_OK;
}

int gc_report_write_json(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    json_t *root = gc_report_json(r);
    if (root == NULL)
        return GC_ENOMEM;
    int rc = gc_report_json_dump(root, f);
    json_decref(root);
    return rc;
}
