/*
 * report/summary.h -- a report's summaries per tensor and its totals
 * (private).
 */
#ifndef GC_REPORT_SUMMARY_H
#define GC_REPORT_SUMMARY_H

#include <stddef.h>

#include "gradcheck/report.h"
#include "report/rank.h"

/* The tensor that owns row k: the last whose rows start at or before it
 * (rows are laid out tensor by tensor; a tensor without rows shares its
 * first with the next).  n >= 1. */
int gc_tensor_of_row(const gc_tensor_report *tr, int n, size_t k);

/* Per-tensor statistics and totals from r's rows (a screened tensor keeps
 * the screen's); r->order, a cache of another set of rows, is dropped.
 * GC_OK or GC_ENOMEM. */
int gc_report_summarize(gc_report *r);

#endif
