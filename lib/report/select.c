/*
 * select.c -- the statistics that need only part of the report order: a
 * median (two positions of a sorted order) and the first few rows (what a
 * writer lists), each without sorting every row.
 *
 * A check of 100,000 elements takes a few milliseconds once its losses are
 * evaluated as vectors; a sort of every row costs about as much again, and
 * nothing needs the whole order unless a caller asks for it
 * (gc_report_order).  A median is a radix selection over 64-bit keys: a
 * histogram of the top digit, keep only the bucket holding the position,
 * repeat on the next digit -- two passes over the data, then passes over
 * small buckets.  The first rows are a bounded max-heap.
 */
#include "report/rank.h"

#include <stdint.h>
#include <string.h>

#define DIGIT_BITS 11
#define BUCKETS (1u << DIGIT_BITS)
#define SMALL 32 /* below this many, insertion sort */

static void insertion_sort(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Positions k and k+1 fall in different buckets: the largest key of bucket
 * b and the smallest of the next nonempty bucket, in one pass. */
static void straddle(const uint64_t *a, size_t n, int shift, size_t b, uint64_t *lo,
                     uint64_t *hi)
{
    const size_t none = BUCKETS;
    size_t next = none;
    uint64_t mx = 0, mn = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = (size_t)(a[i] >> shift) & (BUCKETS - 1);
        if (d == b && a[i] >= mx)
            mx = a[i];
        else if (d > b && (d < next || (d == next && a[i] < mn))) {
            next = d;
            mn = a[i];
        }
    }
    *lo = mx;
    *hi = mn;
}

void gc_key_select(uint64_t *a, size_t n, size_t k, uint64_t *lo, uint64_t *hi)
{
    size_t count[BUCKETS];
    /* digits from the top: bits 53..63, 42..52, ..., then 0..10 (its top
     * bits already equal in every key left) */
    for (int shift = 64 - DIGIT_BITS; n > SMALL; shift -= DIGIT_BITS) {
        if (shift < 0)
            shift = 0;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & (BUCKETS - 1)]++;
        size_t b = 0, below = 0;
        while (below + count[b] <= k)
            below += count[b++];
        if (hi != NULL && k + 1 == below + count[b]) {
            straddle(a, n, shift, b, lo, hi);
            return;
        }
        /* keep bucket b, in place (the write index never passes the read) */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (((a[i] >> shift) & (BUCKETS - 1)) == b)
                a[m++] = a[i];
        n = m;
        k -= below;
        if (shift == 0)
            break; /* every key left is the same */
    }
    if (n <= SMALL) {
        insertion_sort(a, n);
    } else { /* n equal keys */
        *lo = a[0];
        if (hi != NULL)
            *hi = a[0];
        return;
    }
    *lo = a[k];
    if (hi != NULL)
        *hi = a[k + 1];
}

/* Row i before row j in the report order, given their keys. */
static int before(uint64_t ki, size_t i, uint64_t kj, size_t j)
{
    return ki < kj || (ki == kj && i < j);
}

static uint64_t key_at(const gc_report *r, size_t i)
{
    return gc_rank_key(r->rows[i].rel_err);
}

/* Restore the max-heap (the row latest in the order on top) below h[p]. */
static void sift_down(const gc_report *r, size_t *h, size_t n, size_t p)
{
    for (;;) {
        size_t c = 2 * p + 1;
        if (c >= n)
            return;
        if (c + 1 < n && gc_rank_before(r, h[c], h[c + 1]))
            c++;
        if (!gc_rank_before(r, h[p], h[c]))
            return;
        size_t t = h[p];
        h[p] = h[c];
        h[c] = t;
        p = c;
    }
}

size_t gc_rank_first(const gc_report *r, size_t lo, size_t hi, int bad_only, size_t *out,
                     size_t cap, size_t *matched)
{
    size_t n = 0, seen = 0;
    uint64_t top = 0; /* the key of out[0], the heap's latest row, once full */
    for (size_t i = lo; i < hi; i++) {
        if (bad_only && r->rows[i].verdict == GC_PASS)
            continue;
        seen++;
        uint64_t k = key_at(r, i);
        if (n < cap) {
            /* sift up */
            size_t c = n++;
            out[c] = i;
            while (c > 0 && before(key_at(r, out[(c - 1) / 2]), out[(c - 1) / 2], k, i)) {
                out[c] = out[(c - 1) / 2];
                c = (c - 1) / 2;
            }
            out[c] = i;
            top = key_at(r, out[0]);
        } else if (cap > 0 && k < top) { /* equal keys: the earlier row stays */
            out[0] = i;
            sift_down(r, out, n, 0);
            top = key_at(r, out[0]);
        }
    }
    /* heap sort: the latest to the end, one at a time */
    for (size_t m = n; m > 1; m--) {
        size_t t = out[0];
        out[0] = out[m - 1];
        out[m - 1] = t;
        sift_down(r, out, m - 1, 0);
    }
    if (matched != NULL)
        *matched = seen;
    return n;
}
