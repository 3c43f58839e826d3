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
 * first with the next).  n >= 1.  Inline: the engine asks once per row. */
static inline int gc_tensor_of_row(const gc_tensor_report *tr, int n, size_t k)
{
    if (n <= 8) { /* a few tensors, most rows in the first: a scan from it */
        int t = 0;
        while (t + 1 < n && tr[t + 1].first <= k)
            t++;
        return t;
    }
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (tr[mid].first <= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Per-tensor statistics and totals from r's rows (a screened tensor keeps
 * the screen's); r->order, a cache of another set of rows, is dropped.
 * GC_OK or GC_ENOMEM. */
int gc_report_summarize(gc_report *r);

#endif
