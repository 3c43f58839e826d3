/*
 * report/summary.h -- a report's summaries from its rows (private): the
 * engine's entry, which hands over the ranks its threads already wrote.
 * Public callers use gc_report_summarize (<gradcheck/check.h>).
 */
#ifndef GC_REPORT_SUMMARY_H
#define GC_REPORT_SUMMARY_H

#include "gradcheck/check.h"
#include "report/rank.h"

/* Per-tensor statistics (tensors' first and count already set), totals and
 * the worst-first order r->order (allocated, nrows entries).  ranks has
 * room for nrows entries; `filled`: they already hold {rows[k].rel_err, k};
 * scratch: nrows entries for the sort, or NULL.  A screened tensor keeps
 * the summary its screen gave it. */
void gc_report_summarize_ranked(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch);

#endif
