/*
 * report/rank.h -- the report order: rows ranked by rel_err (private).
 */
#ifndef GC_REPORT_RANK_H
#define GC_REPORT_RANK_H

#include <stddef.h>

/* A row's sort key: its rel_err and its index. */
typedef struct gc_rank {
    double rel;
    size_t idx;
} gc_rank;

/* Sort r[0 .. n): NaN first, then larger rel first, ties by smaller idx --
 * the engine's order -- in O(n) when idx ascends on entry (a stable radix
 * sort), else (or when memory runs out) by qsort. */
void gc_rank_sort(gc_rank *r, size_t n);

/* The same, with buf (n entries, or NULL: allocated) as its scratch.  A
 * caller that wrote buf already (in parallel) spares the sort its page
 * faults. */
void gc_rank_sort_buf(gc_rank *r, size_t n, gc_rank *buf);

/* For n >= 1 ranks with distinct idx, in place and without allocating:
 * *worst and *max_rel of the first in that order, *median the middle value
 * of the sorted order (the mean of the two middle ones for even n, added in
 * sorted order) -- what sorting and reading positions 0 and n/2 gives.
 * Reorders r. */
void gc_rank_summary(gc_rank *r, size_t n, size_t *worst, double *max_rel, double *median);

#endif
