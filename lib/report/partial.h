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
 * its tensor's worst row (worst nonzero). */
static inline int gc_row_kept(const gc_row *w, int worst)
{
#ifndef GC_PARTIAL_MUTANT
    return w->verdict != GC_PASS || worst;
#else /* the mutant of checks/report/check_partial.c: undecided rows lost */
    return w->verdict == GC_FAIL || w->verdict == GC_KINK || worst;
#endif
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
 * to those gc_row_kept keeps, each tensor's first, count and worst moved
 * to them (a tensor without rows: worst = first), the cached order
 * dropped, r->partial set to 1.  Every summary and total keeps its bits.
 * stats 0 (opts.drop_passes GC_DROP_STATS): no row kept for being the
 * worst, and each tensor's statistics set as report.h says of partial 2
 * (whatever they held: gc_summary_new's counts alone leave them unset). */
void gc_report_drop_passes(gc_report *r, int stats);

/* The same for a report whose rows were never all kept: r->rows[0 ..
 * r->nrows) are some of them, rows at[0 .. r->nrows) (ascending) of the
 * layout its tensors still give, among them every row gc_row_kept keeps
 * (with stats, the worst too); r's summaries are finished.  The layout is
 * moved onto them, then as gc_report_drop_passes. */
void gc_report_drop_passes_held(gc_report *r, const size_t *at, int stats);

#endif
