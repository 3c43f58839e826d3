/*
 * write_json_hygiene.c -- gc_report_write_json, and the members it adds to
 * the streamed document (report/json.h) after "verdict": a layer check's
 * hygiene and mutation results (<gradcheck/hygiene.h>), built as small
 * jansson trees, and the number and member helpers the JSON writers share.
 */
#include "gradcheck/hygiene.h"
#include "gradcheck/report.h"
#include "report/json.h"

#include <jansson.h>
#include <math.h>

/* ---- beyond one call: hygiene and mutation (<gradcheck/hygiene.h>) ---- */

static json_t *hygiene(const gc_report *r, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    for (int i = 0; i < GC_HYGIENE_COUNT; i++) {
        json_t *c = json_object();
        if (c == NULL) {
            *bad = 1;
            continue;
        }
        gc_report_json_put(c, "status", json_string(gc_hygiene_status_name(r->hygiene->check[i].status)), bad);
        gc_report_json_put(c, "detail", json_string(r->hygiene->check[i].detail), bad);
        gc_report_json_put(j, gc_hygiene_name(i), c, bad);
    }
    gc_report_json_put(j, "nondet_tol", gc_report_json_num(r->opts.nondet_tol), bad);
    gc_report_json_put(j, "failed", json_integer(r->hygiene->nfail), bad);
    return j;
}

static json_t *fault(const gc_report *r, const gc_fault *ft, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    gc_report_json_put(j, "tensor", json_string(r->tensors[ft->tensor].name), bad);
    gc_report_json_put(j, "kind", json_string(gc_fault_kind_name(ft->kind)), bad);
    if (ft->row >= 0) {
        gc_report_json_put(j, "row", json_integer(ft->row), bad);
        gc_report_json_put(j, "col", json_integer(ft->col), bad);
    }
    if (ft->kind == GC_FAULT_SWAP) {
        gc_report_json_put(j, "row2", json_integer(ft->row2), bad);
        gc_report_json_put(j, "col2", json_integer(ft->col2), bad);
    }
    if (ft->kind == GC_FAULT_SCALE)
        gc_report_json_put(j, "delta", gc_report_json_num(ft->delta), bad);
    gc_report_json_put(j, "noop", json_boolean(ft->noop), bad);
    gc_report_json_put(j, "refuted", json_boolean(ft->killed), bad);
    return j;
}

static json_t *mutation(const gc_report *r, int *bad)
{
    const gc_mutation_report *m = r->mutation;
    json_t *j = json_object(), *tensors = json_array(), *faults = json_array(),
           *survive = json_array();
    if (j == NULL || tensors == NULL || faults == NULL || survive == NULL) {
        json_decref(j);
        json_decref(tensors);
        json_decref(faults);
        json_decref(survive);
        *bad = 1;
        return NULL;
    }
    gc_report_json_put(j, "requested", json_integer(m->requested), bad);
    gc_report_json_put(j, "baseline_failed", json_boolean(m->baseline_failed), bad);
    gc_report_json_put(j, "faults", json_integer(m->nfaults), bad);
    gc_report_json_put(j, "refuted", json_integer(m->nkilled), bad);
    for (int t = 0; t < m->ntensors; t++) {
        json_t *o = json_object();
        if (o == NULL) {
            *bad = 1;
            continue;
        }
        gc_report_json_put(o, "name", json_string(r->tensors[t].name), bad);
        gc_report_json_put(o, "faults", json_integer(m->tensors[t].nfaults), bad);
        gc_report_json_put(o, "refuted", json_integer(m->tensors[t].nkilled), bad);
        gc_report_json_put(o, "min_delta_refuted",
            isnan(m->tensors[t].min_delta) ? json_null() : gc_report_json_num(m->tensors[t].min_delta), bad);
        if (json_array_append_new(tensors, o) != 0)
            *bad = 1;
        if (m->tensors[t].nkilled < m->tensors[t].nfaults &&
            json_array_append_new(survive, json_string(r->tensors[t].name)) != 0)
            *bad = 1;
    }
    gc_report_json_put(j, "tensors", tensors, bad);
    gc_report_json_put(j, "survive_in", survive, bad);
    for (int k = 0; k < m->nfaults; k++)
        if (json_array_append_new(faults, fault(r, &m->faults[k], bad)) != 0)
            *bad = 1;
    gc_report_json_put(j, "fault_list", faults, bad);
    return j;
}

/* The layer check's hygiene and mutation results as members after
 * "verdict" (<gradcheck/hygiene.h>); none for a report without them. */
int gc_report_write_json(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    if (r->hygiene == NULL && r->mutation == NULL)
        return gc_report_json_write(r, f, NULL, NULL);
    int bad = 0;
    json_t *extra = json_object();
    if (extra == NULL)
        return GC_ENOMEM;
    if (r->hygiene != NULL)
        gc_report_json_put(extra, "hygiene", hygiene(r, &bad), &bad);
    if (r->mutation != NULL)
        gc_report_json_put(extra, "mutation", mutation(r, &bad), &bad);
    int rc = bad ? GC_ENOMEM : gc_report_json_write(r, f, NULL, extra);
    json_decref(extra);
    return rc;
}

json_t *gc_report_json_num(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

void gc_report_json_put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        *bad = 1;
}
