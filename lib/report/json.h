/*
 * report/json.h -- the JSON report as a jansson tree (private), so that
 * another writer (the expect comparison's) can add to the same object.
 */
#ifndef GC_REPORT_JSON_H
#define GC_REPORT_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "gradcheck/report.h"

/* The object gc_report_write_json writes, new (json_decref it), or NULL
 * when memory ran out. */
json_t *gc_report_json(const gc_report *r);

/* A number as the JSON report writes it: NaN and ±Inf as "nan", "inf",
 * "-inf".  NULL when memory ran out. */
json_t *gc_report_json_num(double v);

/* json_object_set_new(obj, key, v) that sets *bad instead of failing (v
 * NULL, from an allocation that failed, included): a writer builds its
 * whole tree and checks once. */
void gc_report_json_put(json_t *obj, const char *key, json_t *v, int *bad);

/* Write root to f as the JSON report is written (indent 2, key order kept,
 * 17 significant digits, a final newline).  GC_OK or GC_EIO. */
int gc_report_json_dump(json_t *root, FILE *f);

#endif
