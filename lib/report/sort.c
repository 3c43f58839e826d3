/*
 * sort.c -- the report's worst-first order: every row sorted by rel_err in
 * linear time, for gc_report_order (the writers and summaries need only
 * parts of it: select.c).
 *
 * The fast engine checks an element in microseconds, so a comparison sort
 * (qsort with a NaN-aware comparator) would take longer than the check
 * itself.  So the order is a stable LSD radix sort on the bits of the
 * double: for x >= 0 IEEE-754 bit patterns order like the values, a sign
 * flip handles x < 0, every NaN maps to the first key; 11-bit digits (the
 * counts fit in L1), digits equal in every key skipped.  A tensor's worst
 * element and median need no order: gc_rank_summary finds them by a scan
 * and a quickselect (deterministic pivots) in place.
 *
 * The order is exactly the engine's comparator's: NaN first, then larger
 * rel first, ties by smaller idx.
 */
#include "report/rank.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The engine's comparator (also the fallback's). */
static int rank_cmp(const void *pa, const void *pb)
{
    const gc_rank *a = pa, *b = pb;
    int an = isnan(a->rel), bn = isnan(b->rel);
    if (an != bn)
        return an ? -1 : 1;
    if (!an && a->rel != b->rel)
        return a->rel > b->rel ? -1 : 1;
    return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

/* A double's storage as 64 bits, and back (bits that are no number's value
 * only pass through memory, never an arithmetic instruction). */
static uint64_t get_bits(const double *p)
{
    uint64_t b;
    memcpy(&b, p, sizeof b);
    return b;
}

static void put_bits(double *p, uint64_t b)
{
    memcpy(p, &b, sizeof b);
}

#define DIGIT_BITS 11
#define NDIGITS 6 /* ceil(64 / 11) */
#define BUCKETS (1u << DIGIT_BITS)

void gc_rank_sort(gc_rank *r, size_t n)
{
    if (n < 2)
        return;
    /* The radix sort is stable, so ties keep the input order: that is the
     * comparator's "smaller idx first" only when idx already ascends. */
    int ascending = 1;
    for (size_t i = 1; i < n && ascending; i++)
        ascending = r[i - 1].idx < r[i].idx;
    gc_rank *tmp = NULL;
    size_t(*count)[BUCKETS] = NULL;
    if (ascending && n >= 64) {
        tmp = malloc(n * sizeof *tmp);
        count = calloc(NDIGITS, sizeof *count);
    }
    if (tmp == NULL || count == NULL) {
        free(tmp);
        free(count);
        qsort(r, n, sizeof *r, rank_cmp);
        return;
    }
    /* every digit's histogram in one pass.  Without NaN and -0 (rel_err
     * has neither unless a gradient is NaN), gc_rank_key is one-to-one and
     * undone by gc_rank_rel: each rel is replaced by its key's bits for the
     * passes, which then read it with one load instead of recomputing it. */
    int invertible = 1;
    for (size_t i = 0; i < n; i++) {
        double x = r[i].rel;
        uint64_t k = gc_rank_key(x);
        if (isnan(x) || (x == 0.0 && signbit(x)))
            invertible = 0;
        for (int d = 0; d < NDIGITS; d++)
            count[d][(k >> (d * DIGIT_BITS)) & (BUCKETS - 1)]++;
    }
    if (invertible)
        for (size_t i = 0; i < n; i++)
            put_bits(&r[i].rel, gc_rank_key(r[i].rel));
    gc_rank *src = r, *dst = tmp;
    uint64_t k0 = invertible ? get_bits(&r[0].rel) : gc_rank_key(r[0].rel);
    for (int d = 0; d < NDIGITS; d++) {
        int shift = d * DIGIT_BITS;
        size_t *c = count[d];
        if (c[(k0 >> shift) & (BUCKETS - 1)] == n)
            continue; /* the same digit everywhere: nothing moves */
        size_t sum = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            size_t cb = c[b];
            c[b] = sum;
            sum += cb;
        }
        if (invertible)
            for (size_t i = 0; i < n; i++)
                dst[c[(get_bits(&src[i].rel) >> shift) & (BUCKETS - 1)]++] = src[i];
        else
            for (size_t i = 0; i < n; i++)
                dst[c[(gc_rank_key(src[i].rel) >> shift) & (BUCKETS - 1)]++] = src[i];
        gc_rank *t = src;
        src = dst;
        dst = t;
    }
    if (invertible) /* back to rel, into r */
        for (size_t i = 0; i < n; i++) {
            r[i].idx = src[i].idx;
            r[i].rel = gc_rank_rel(get_bits(&src[i].rel));
        }
    else if (src != r)
        memcpy(r, src, n * sizeof *r);
    free(count);
    free(tmp);
}

/* Comparator order as "a before b". */
static int before(const gc_rank *a, const gc_rank *b)
{
    return rank_cmp(a, b) < 0;
}

static void swap(gc_rank *a, gc_rank *b)
{
    gc_rank t = *a;
    *a = *b;
    *b = t;
}

/* Put the element of comparator position k at r[k], smaller positions
 * before it and larger after (Hoare's selection; median-of-three pivots by
 * position, so the result is a function of the input alone). */
static void select_kth(gc_rank *r, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (before(&r[mid], &r[lo]))
            swap(&r[mid], &r[lo]);
        if (before(&r[hi], &r[lo]))
            swap(&r[hi], &r[lo]);
        if (before(&r[hi], &r[mid]))
            swap(&r[hi], &r[mid]);
        gc_rank pivot = r[mid];
        size_t i = lo, j = hi;
        for (;;) {
            while (before(&r[i], &pivot))
                i++;
            while (before(&pivot, &r[j]))
                j--;
            if (i >= j)
                break;
            swap(&r[i], &r[j]);
            i++;
            j--;
        }
        /* r[lo..j] precede-or-equal the pivot, r[j+1..hi] follow it */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

void gc_rank_summary(gc_rank *r, size_t n, size_t *worst, double *max_rel, double *median)
{
    if (n == 0)
        return;
    size_t w = 0;
    for (size_t i = 1; i < n; i++)
        if (before(&r[i], &r[w]))
            w = i;
    *worst = r[w].idx;
    *max_rel = r[w].rel;
    /* The median as the sorted array's middle (or the mean of the two
     * middle) values: position n/2, and for even n the last of the
     * positions before it, which selection leaves in r[0 .. n/2). */
    select_kth(r, n, n / 2);
    double m = r[n / 2].rel;
    if (n % 2 == 0) {
        size_t p = 0;
        for (size_t i = 1; i < n / 2; i++)
            if (before(&r[p], &r[i]))
                p = i;
        m = 0.5 * (r[p].rel + m);
    }
    *median = m;
}

const size_t *gc_report_order(gc_report *r)
{
    if (r == NULL || r->order != NULL)
        return r != NULL ? r->order : NULL;
    size_t n = r->nrows > 0 ? r->nrows : 1;
    size_t *order = malloc(n * sizeof *order);
    gc_rank *ranks = malloc(n * sizeof *ranks);
    if (order == NULL || ranks == NULL) {
        free(order);
        free(ranks);
        return NULL;
    }
    for (size_t k = 0; k < r->nrows; k++) {
        ranks[k].rel = r->rows[k].rel_err;
        ranks[k].idx = k;
    }
    gc_rank_sort(ranks, r->nrows);
    for (size_t k = 0; k < r->nrows; k++)
        order[k] = ranks[k].idx;
    free(ranks);
    r->order = order;
    return order;
}

size_t gc_report_worst(const gc_report *r, size_t *out, size_t n)
{
    if (r == NULL || out == NULL)
        return 0;
    return gc_rank_first(r, 0, r->nrows, 0, out, n, NULL);
}
