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
#include "nn/vmath.h"

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

/* count[d]: how many keys of a[0 .. n) have the digit d at shift.  Many
 * keys, four partial counts side by side: keys of one digit in a row
 * would otherwise each wait for the store of the one before. */
static void histogram(const uint64_t *a, size_t n, int shift, size_t *count)
{
    memset(count, 0, BUCKETS * sizeof *count);
    if (n < 4 * BUCKETS || n > UINT32_MAX) {
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & (BUCKETS - 1)]++;
        return;
    }
    uint32_t part[4][BUCKETS];
    memset(part, 0, sizeof part);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        part[0][(a[i] >> shift) & (BUCKETS - 1)]++;
        part[1][(a[i + 1] >> shift) & (BUCKETS - 1)]++;
        part[2][(a[i + 2] >> shift) & (BUCKETS - 1)]++;
        part[3][(a[i + 3] >> shift) & (BUCKETS - 1)]++;
    }
    for (; i < n; i++)
        part[0][(a[i] >> shift) & (BUCKETS - 1)]++;
    for (size_t d = 0; d < BUCKETS; d++)
#ifndef GC_SELECT_HIST_MUTANT
        count[d] = (size_t)part[0][d] + part[1][d] + part[2][d] + part[3][d];
#else /* checks/report/check_sort.c's mutant: one partial count left out */
        count[d] = (size_t)part[0][d] + part[1][d] + part[2][d];
#endif
}

/* The keys of a[0 .. n) whose digit at shift is b, kept in order at the
 * front (the write index never passes the read); returns how many.  Few
 * are kept: GNU C's vector types test eight keys at a time, and only a
 * group with one of them is copied key by key. */
#if defined(__GNUC__)
typedef uint64_t sel_v4u __attribute__((vector_size(32)));
typedef int64_t sel_v4i __attribute__((vector_size(32)));

GC_VFUNC(size_t, keep_bucket, (uint64_t *a, size_t n, int shift, uint64_t b), (a, n, shift, b))
{
    size_t m = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        sel_v4u x0, x1;
        memcpy(&x0, a + i, sizeof x0);
        memcpy(&x1, a + i + 4, sizeof x1);
#ifndef GC_SELECT_GROUP_MUTANT
        const sel_v4i in = (sel_v4i)((x0 >> shift & (BUCKETS - 1)) == b) |
                           (sel_v4i)((x1 >> shift & (BUCKETS - 1)) == b);
#else /* checks/report/check_sort.c's mutant: the group's last four keys not tested */
        const sel_v4i in = (sel_v4i)((x0 >> shift & (BUCKETS - 1)) == b);
        (void)x1;
#endif
        if ((in[0] | in[1] | in[2] | in[3]) == 0)
            continue;
        for (size_t j = i; j < i + 8; j++)
            if ((a[j] >> shift & (BUCKETS - 1)) == b)
                a[m++] = a[j];
    }
    for (; i < n; i++)
        if ((a[i] >> shift & (BUCKETS - 1)) == b)
            a[m++] = a[i];
    return m;
}
#else
static size_t keep_bucket(uint64_t *a, size_t n, int shift, uint64_t b)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if ((a[i] >> shift & (BUCKETS - 1)) == b)
            a[m++] = a[i];
    return m;
}
#endif

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
        histogram(a, n, shift, count);
        size_t b = 0, below = 0;
        while (below + count[b] <= k)
            below += count[b++];
        if (hi != NULL && k + 1 == below + count[b]) {
            straddle(a, n, shift, b, lo, hi);
            return;
        }
        n = keep_bucket(a, n, shift, b);
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

static uint64_t key_at(const gc_row *rows, size_t i)
{
    return gc_rank_key(rows[i].rel_err);
}

/* Restore the max-heap (the row latest in the order on top) below h[p]. */
static void sift_down(const gc_row *rows, size_t *h, size_t n, size_t p)
{
    for (;;) {
        size_t c = 2 * p + 1;
        if (c >= n)
            return;
        if (c + 1 < n && before(key_at(rows, h[c]), h[c], key_at(rows, h[c + 1]), h[c + 1]))
            c++;
        if (!before(key_at(rows, h[p]), h[p], key_at(rows, h[c]), h[c]))
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
static void offer_slow(const gc_row *rows, heap *hp, size_t i, uint64_t k)
{
    size_t *h = hp->h;
    if (hp->n < hp->cap) {
        size_t c = hp->n++;
        while (c > 0 && before(key_at(rows, h[(c - 1) / 2]), h[(c - 1) / 2], k, i)) {
            h[c] = h[(c - 1) / 2];
            c = (c - 1) / 2;
        }
        h[c] = i;
        hp->top = key_at(rows, h[0]);
    } else if (hp->cap > 0 && k < hp->top) {
        h[0] = i;
        sift_down(rows, h, hp->n, 0);
        hp->top = key_at(rows, h[0]);
    }
}

/* Most rows come after the heap's top once it is full: one comparison. */
static inline void offer(const gc_row *rows, heap *hp, size_t i, uint64_t k)
{
    if (hp->n < hp->cap || k < hp->top)
        offer_slow(rows, hp, i, k);
}

/* The heap's rows in the order (heap sort: the latest to the end, one at a
 * time); returns how many. */
static size_t sorted(const gc_row *rows, heap *hp)
{
    for (size_t m = hp->n; m > 1; m--) {
        size_t t = hp->h[0];
        hp->h[0] = hp->h[m - 1];
        hp->h[m - 1] = t;
        sift_down(rows, hp->h, m - 1, 0);
    }
    return hp->n;
}

size_t gc_rank_first_rows(const gc_row *rows, size_t lo, size_t hi, int bad_only, size_t *out,
                          size_t cap, size_t *matched)
{
    heap hp = {out, 0, cap, 0};
    size_t seen = 0;
    for (size_t i = lo; i < hi; i++) {
        if (bad_only && rows[i].verdict == GC_PASS)
            continue;
        seen++;
        offer(rows, &hp, i, key_at(rows, i));
    }
    if (matched != NULL)
        *matched = seen;
    return sorted(rows, &hp);
}

size_t gc_rank_first(const gc_report *r, size_t lo, size_t hi, int bad_only, size_t *out,
                     size_t cap, size_t *matched)
{
    return gc_rank_first_rows(r->rows, lo, hi, bad_only, out, cap, matched);
}

void gc_rank_listed(const gc_report *r, size_t *top, size_t *ntop, size_t *bad, size_t *nbad,
                    size_t *matched)
{
    heap ht = {top, 0, *ntop, 0}, hb = {bad, 0, *nbad, 0};
    size_t seen = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        uint64_t k = key_at(r->rows, i);
        offer(r->rows, &ht, i, k);
        if (r->rows[i].verdict != GC_PASS) {
            seen++;
            offer(r->rows, &hb, i, k);
        }
    }
    *ntop = sorted(r->rows, &ht);
    *nbad = sorted(r->rows, &hb);
    *matched = seen;
}
