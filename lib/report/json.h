/*
 * report/json.h -- the JSON report for another writer (private): the
 * expect comparison's writer adds its object to the same document.
 */
#ifndef GC_REPORT_JSON_H
#define GC_REPORT_JSON_H

#include <jansson.h>
#include <stdio.h>

#include "gradcheck/report.h"

/* Write the JSON report of r to f as gc_report_write_json does, row by
 * row, but with the top-level "verdict" (NULL: the report's own) and, after
 * it, every member of the object extra (NULL: none) in its order, each
 * dumped by jansson at the document's indentation.  GC_OK, GC_ENOMEM,
 * GC_EIO. */
int gc_report_json_write(const gc_report *r, FILE *f, const char *verdict, const json_t *extra);

/* A number as the JSON report writes it: NaN and ±Inf as "nan", "inf",
 * "-inf".  NULL when memory ran out. */
json_t *gc_report_json_num(double v);

/* json_object_set_new(obj, key, v) that sets *bad instead of failing (v
 * NULL, from an allocation that failed, included): a writer builds its
 * whole tree and checks once. */
void gc_report_json_put(json_t *obj, const char *key, json_t *v, int *bad);

#endif
