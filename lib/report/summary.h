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
 * GC_OK or GC_ENOMEM.  The same as gc_summary_new, gc_summary_read of every
 * block, gc_summary_finish. */
int gc_report_summarize(gc_report *r);

/* Each thread of the default count (threads 0) summarises at least this
 * many rows: fewer and a second thread costs more than the half it reads
 * (docs/measurements.md); gc_threads_for_work's share. */
#define GC_SUMMARY_ROWS_PER_THREAD 50000.0

/* ---- the summaries gathered while the rows are computed: each block of
 * rows read once, while it is still in cache, instead of a pass over every
 * row afterwards.  What the blocks gather does not depend on how the rows
 * are split into blocks or on the order the blocks are read in (each
 * first-found rule is kept by merging them in row order), but for the sums
 * behind the norm ratio, which are taken in row order: along the way when
 * the blocks are read in order, else afterwards from each row's analytic
 * and numeric values kept or from the rows again. */
typedef struct gc_summary gc_summary;

/* The summaries of r's rows (laid out: every tensor's first and count
 * set) in blocks of `block` rows: block b is rows [b block, (b + 1) block).
 * ordered: the blocks will be read one at a time in ascending order (a
 * block read again, or out of order, costs its tensor's sums a pass over
 * its rows in gc_summary_finish); else any order, on any threads, each
 * block at most once at a time.  keep: each row's analytic and numeric
 * values kept as its block is read (16 bytes a row), from which
 * gc_summary_finish takes the sums an unordered reading could not; else
 * from the rows.  stats 0: the counts alone (each tensor's counts,
 * grad_scale and vacuous flag, and the totals: opts.drop_passes
 * GC_DROP_STATS), no key kept, no block has a best row, and
 * gc_summary_finish leaves the statistics (and worst) as they were.  NULL
 * when out of memory. */
gc_summary *gc_summary_new(const gc_report *r, size_t block, int ordered, int keep, int stats);

/* Read block b's rows (every one computed) from rows[0 ..), row b block
 * first: r's own rows or a copy of them on their way there; reading a
 * block again replaces what it gathered (rows revised since). */
void gc_summary_read(gc_summary *s, const gc_report *r, const gc_row *rows, size_t b);

/* The rows of block b (read) that hold each of its runs' smallest key (one
 * run per tensor the block meets), the earlier among equals: their indices
 * into out[0 ..), ascending (room for one per row of the block); returns
 * how many.  A tensor's worst row is among those of its blocks.  *keyed
 * gets 1 when the keys of each of the block's rows give its rel_err and
 * sensitivity back bit for bit (neither is NaN or -0), else 0: only then
 * does gc_summary_finish need no row of the block but those. */
size_t gc_summary_block_best(const gc_summary *s, const gc_report *r, size_t b, size_t *out,
                             int *keyed);

/* Row k, read, changed from *was to *now in its verdict and reason only
 * (the conditioning estimate): the counts follow, as if read again. */
void gc_summary_revise(gc_summary *s, const gc_report *r, size_t k, const gc_row *was,
                       const gc_row *now);

/* For gc_summary_finish: r holds only some of the rows read, r->rows[i]
 * being row at[i] (at ascending, r->nrows of them; r's tensors still lay
 * out every row): among them every block's best rows and every row of a
 * block not keyed (gc_summary_block_best); and s made with keep unless it
 * was made ordered and read each block once, in order (else the norm
 * ratio's sums need every row's a and n).  at is not copied. */
void gc_summary_hold(gc_summary *s, const size_t *at);

/* How many of the rows read are fails (what gc_summary_finish will count). */
long long gc_summary_nfail(const gc_summary *s);

/* r's summaries and totals from every block read once or more, as
 * gc_report_summarize gives them from the same rows (the medians' selection
 * and the sums on up to nthreads threads); the keys in s are reordered.
 * GC_OK or GC_ENOMEM. */
int gc_summary_finish(gc_summary *s, gc_report *r, int nthreads);

/* NULL is a no-op. */
void gc_summary_free(gc_summary *s);

#endif
