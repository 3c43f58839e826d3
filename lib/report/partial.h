/*
 * report/partial.h -- a partial report: the rows it keeps (private).
 *
 * A check that nobody lists every row of (opts.drop_passes) keeps only the
 * rows that say something beyond the summaries: those not passed, which
 * the verdict, conditioning and a failure's message read, and each
 * tensor's worst row, which its summary names.
 */
#ifndef GC_REPORT_PARTIAL_H
#define GC_REPORT_PARTIAL_H

#include "gradcheck/report.h"

/* Row w is kept by a partial report: its verdict is not pass, or it is
 * its tensor's worst row or among the report order's first (keep
 * nonzero). */
static inline int gc_row_kept(const gc_row *w, int keep)
{
#ifndef GC_PARTIAL_MUTANT
    return w->verdict != GC_PASS || keep;
#else /* the mutant of checks/report/check_partial.c: undecided rows lost */
    return w->verdict == GC_FAIL || w->verdict == GC_KINK || keep;
#endif
}

/* The rows checked in tensor tr, and in the whole report r: its rows in
 * a whole report (count, nrows), whose verdicts a partial report still
 * counts. */
static inline size_t gc_tensor_checked(const gc_tensor_report *tr)
{
    return (size_t)tr->npass + (size_t)tr->nkink + (size_t)tr->nfail + (size_t)tr->nundecided;
}

static inline size_t gc_report_checked(const gc_report *r)
{
    return (size_t)r->npass + (size_t)r->nkink + (size_t)r->nfail + (size_t)r->nundecided;
}

/* The first of at[0 .. n) (ascending) not below k, or n: where a partial
 * report holds row k, if it holds it. */
static inline size_t gc_held_index(const size_t *at, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Make the whole, summarised report r partial: its rows compacted in place
 * to those gc_row_kept keeps (each tensor's worst and the first
 * GC_PARTIAL_TOP of the report order kept), each tensor's first, count and
 * worst moved to them (a tensor without rows: worst = first), the cached
 * order dropped, r->partial set to 1.  Every summary and total keeps its
 * bits.  stats 0 (opts.drop_passes GC_DROP_STATS): no row kept for being
 * the worst or among the first, and each tensor's statistics set as
 * report.h says of partial 2 (whatever they held: gc_summary_new's counts
 * alone leave them unset). */
void gc_report_drop_passes(gc_report *r, int stats);

/* The same for a report whose rows were never all kept: r->rows[0 ..
 * r->nrows) are some of them, rows at[0 .. r->nrows) (ascending) of the
 * layout its tensors still give, among them every row gc_report_drop_passes
 * keeps (with stats, each tensor's worst and the report order's first
 * GC_PARTIAL_TOP too); r's summaries are finished.  The layout is moved
 * onto them, then as gc_report_drop_passes. */
void gc_report_drop_passes_held(gc_report *r, const size_t *at, int stats);

#endif
