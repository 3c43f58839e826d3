/*
 * select.c -- the statistics that need only part of the report order: a
 * median (two positions of a sorted order) and the first few rows (what a
 * writer lists), each without sorting every row.
 *
 * Nothing needs the whole order unless a caller asks for it
 * (gc_report_order), and a sort of every row costs as much as the rest of
 * the per-element bookkeeping together.  A median is a radix selection over
 * 64-bit keys: a
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

void gc_key_select(uint64_t *a, size_t n, size_t k, uint64_t differ, uint64_t *lo, uint64_t *hi)
{
    size_t count[BUCKETS];
    if (differ == 0) { /* every key the same */
        *lo = a[0];
        if (hi != NULL)
            *hi = a[0];
        return;
    }
    int top = 63; /* the highest bit in which keys differ: the digits start there */
    while ((differ >> top & 1u) == 0)
        top--;
    /* digits from there down: bits top-10..top, then the 11 below, ...,
     * then 0..10 (its top bits already equal in every key left) */
    for (int shift = top - (DIGIT_BITS - 1); n > SMALL; shift -= DIGIT_BITS) {
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

/* A bounded max-heap of row indices (the row latest in the order on top):
 * the first cap rows offered, in the order, are what it keeps. */
typedef struct heap {
    size_t *h, n, cap;
    uint64_t top; /* the key of h[0] once n > 0 */
} heap;

/* Rows must be offered in ascending index: a later row with the top's key
 * comes after it in the order and is not kept. */
static void offer_slow(const gc_report *r, heap *hp, size_t i, uint64_t k)
{
    size_t *h = hp->h;
    if (hp->n < hp->cap) {
        size_t c = hp->n++;
        while (c > 0 && before(key_at(r, h[(c - 1) / 2]), h[(c - 1) / 2], k, i)) {
            h[c] = h[(c - 1) / 2];
            c = (c - 1) / 2;
        }
        h[c] = i;
        hp->top = key_at(r, h[0]);
    } else if (hp->cap > 0 && k < hp->top) {
        h[0] = i;
        sift_down(r, h, hp->n, 0);
        hp->top = key_at(r, h[0]);
    }
}

/* Most rows come after the heap's top once it is full: one comparison. */
static inline void offer(const gc_report *r, heap *hp, size_t i, uint64_t k)
{
    if (hp->n < hp->cap || k < hp->top)
        offer_slow(r, hp, i, k);
}

/* The heap's rows in the order (heap sort: the latest to the end, one at a
 * time); returns how many. */
static size_t sorted(const gc_report *r, heap *hp)
{
    for (size_t m = hp->n; m > 1; m--) {
        size_t t = hp->h[0];
        hp->h[0] = hp->h[m - 1];
        hp->h[m - 1] = t;
        sift_down(r, hp->h, m - 1, 0);
    }
    return hp->n;
}

size_t gc_rank_first(const gc_report *r, size_t lo, size_t hi, int bad_only, size_t *out,
                     size_t cap, size_t *matched)
{
    heap hp = {out, 0, cap, 0};
    size_t seen = 0;
    for (size_t i = lo; i < hi; i++) {
        if (bad_only && r->rows[i].verdict == GC_PASS)
            continue;
        seen++;
        offer(r, &hp, i, key_at(r, i));
    }
    if (matched != NULL)
        *matched = seen;
    return sorted(r, &hp);
}

void gc_rank_listed(const gc_report *r, size_t *top, size_t *ntop, size_t *bad, size_t *nbad,
                    size_t *matched)
{
    heap ht = {top, 0, *ntop, 0}, hb = {bad, 0, *nbad, 0};
    size_t seen = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        uint64_t k = key_at(r, i);
        offer(r, &ht, i, k);
        if (r->rows[i].verdict != GC_PASS) {
            seen++;
            offer(r, &hb, i, k);
        }
    }
    *ntop = sorted(r, &ht);
    *nbad = sorted(r, &hb);
    *matched = seen;
}
