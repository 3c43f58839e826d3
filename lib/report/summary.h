/*
 * report/summary.h -- a report's summaries per tensor, its totals and its
 * worst-first order (private).
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

/* Per-tensor statistics, totals and r->order.  ranks has room for r->nrows
 * entries; `filled`: they already hold {rows[k].rel_err, k}; scratch
 * (r->nrows, or NULL) is the sort's. */
void gc_report_summarize(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch);

#endif
