/*
 * report/rank.h -- the report order: rows ranked by rel_err, and the
 * statistics that need only part of that order (private).
 */
#ifndef GC_REPORT_RANK_H
#define GC_REPORT_RANK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gradcheck/report.h"

/* A row's sort key: its rel_err and its index. */
typedef struct gc_rank {
    double rel;
    size_t idx;
} gc_rank;

/* A key whose ascending order is the report order of the values: NaN first
 * (every NaN the key 0), then larger first; -0 keyed as +0 (they compare
 * equal).  Ties between equal keys are broken by the row index. */
static inline uint64_t gc_rank_key(double x)
{
    if (isnan(x))
        return 0;
    if (x == 0.0)
        x = 0.0;
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    /* ascending in the value: flip every bit of a negative, the sign bit of
     * the rest; complemented for descending.  Never 0: asc is all ones only
     * for a NaN's bits. */
    uint64_t asc = (b >> 63) ? ~b : (b | 0x8000000000000000ull);
    return ~asc;
}

/* The value whose gc_rank_key is k, for every x but NaN and -0 (which map
 * to the keys of their class). */
static inline double gc_rank_rel(uint64_t k)
{
    uint64_t asc = ~k;
    uint64_t b = (asc >> 63) ? (asc & 0x7fffffffffffffffull) : ~asc;
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Row i of r before row j in the report order. */
static inline int gc_rank_before(const gc_report *r, size_t i, size_t j)
{
    uint64_t ki = gc_rank_key(r->rows[i].rel_err), kj = gc_rank_key(r->rows[j].rel_err);
    return ki < kj || (ki == kj && i < j);
}

/* Sort r[0 .. n): NaN first, then larger rel first, ties by smaller idx --
 * the engine's order -- in O(n) when idx ascends on entry (a stable radix
 * sort), else (or when memory runs out) by qsort. */
void gc_rank_sort(gc_rank *r, size_t n);

/* For n >= 1 ranks with distinct idx, in place and without allocating:
 * *worst and *max_rel of the first in that order, *median the middle value
 * of the sorted order (the mean of the two middle ones for even n, added in
 * sorted order) -- what sorting and reading positions 0 and n/2 gives.
 * Reorders r. */
void gc_rank_summary(gc_rank *r, size_t n, size_t *worst, double *max_rel, double *median);

/* The k-th smallest of a[0 .. n) (k < n) in *lo, and when hi is not NULL
 * the (k+1)-th (k + 1 < n) in *hi: what sorting a and reading a[k], a[k+1]
 * gives.  differ has every bit in which two keys differ set (the OR of the
 * keys xor their AND; any superset, UINT64_MAX when unknown): the digits
 * start at its highest bit, since keys of similar values share their top
 * bits.  Reorders a; O(n) (a radix selection: each pass keeps only the
 * bucket that holds position k). */
void gc_key_select(uint64_t *a, size_t n, size_t k, uint64_t differ, uint64_t *lo, uint64_t *hi);

/* The first rows of rows[lo .. hi) in the report order (gc_report_order),
 * only those whose verdict is not pass when bad_only: up to cap of their
 * indices into out[0 .. cap), in that order; returns how many.  *matched
 * (may be NULL) gets how many rows of the range qualified.  O((hi - lo)
 * log cap), no allocation: what the writers list needs no full order. */
size_t gc_rank_first(const gc_report *r, size_t lo, size_t hi, int bad_only, size_t *out,
                     size_t cap, size_t *matched);

/* The same over rows that are not (yet) a report's, indexed from rows. */
size_t gc_rank_first_rows(const gc_row *rows, size_t lo, size_t hi, int bad_only, size_t *out,
                          size_t cap, size_t *matched);

/* The first cap rows of rows[0 .. n) in the report order, their indices
 * into out ascending (by index, not in the order): the rows a partial
 * report keeps as the order's first; returns how many. */
static inline size_t gc_rank_first_by_index(const gc_row *rows, size_t n, size_t *out, size_t cap)
{
    const size_t m = gc_rank_first_rows(rows, 0, n, 0, out, cap, NULL);
    for (size_t i = 1; i < m; i++) /* insertion: a few entries */
        for (size_t k = i; k > 0 && out[k - 1] > out[k]; k--) {
            const size_t x = out[k];
            out[k] = out[k - 1];
            out[k - 1] = x;
        }
    return m;
}

/* Both lists of the text report in one pass over r's rows: the first *ntop
 * rows of the order into top, the first *nbad rows not passed into bad;
 * *ntop and *nbad get how many were found, *matched how many rows are not
 * passed. */
void gc_rank_listed(const gc_report *r, size_t *top, size_t *ntop, size_t *bad, size_t *nbad,
                    size_t *matched);

#endif
