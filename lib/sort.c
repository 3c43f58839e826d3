/*
 * sort.c -- the report's worst-first order in linear time.
 *
 * Summarising a report sorts every row by rel_err (per tensor for the median
 * and the worst element, and all rows for the writers' order).  With the
 * fast engine checking 100,000 elements in a few milliseconds, a comparison
 * sort (qsort with a NaN-aware comparator) took longer than the check, so
 * this is a stable LSD radix sort on the bits of the double: for x >= 0 the
 * IEEE-754 bit patterns order like the values, a sign flip handles x < 0,
 * and every NaN maps to the largest key.  The order is exactly the engine's
 * comparator's: NaN first, then larger rel first, ties by smaller idx.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The engine's comparator, for the fallback. */
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

/* A key whose ascending order is the wanted order (NaN, then descending). */
static uint64_t key_of(double x)
{
    if (isnan(x))
        return 0;
    if (x == 0.0)
        x = 0.0; /* -0 sorts as +0 (they compare equal) */
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    /* ascending order of the value: flip all bits of negatives, the sign bit
     * of the rest; then complement for descending, and keep 0 for NaN */
    uint64_t asc = (b >> 63) ? ~b : (b | 0x8000000000000000ull);
    return ~asc; /* >= 1: asc is all ones only for a NaN's bits */
}

void gc_rank_sort(gc_rank *r, size_t n)
{
    if (n < 2)
        return;
    /* The radix sort is stable, so ties keep the input order: that is the
     * comparator's "smaller idx first" only when idx already ascends. */
    int ascending = 1;
    for (size_t i = 1; i < n && ascending; i++)
        ascending = r[i - 1].idx < r[i].idx;
    gc_rank *tmp = ascending && n >= 64 ? malloc(n * sizeof *tmp) : NULL;
    uint64_t *keys = tmp != NULL ? malloc(2 * n * sizeof *keys) : NULL;
    if (keys == NULL) {
        free(tmp);
        qsort(r, n, sizeof *r, rank_cmp);
        return;
    }
    uint64_t *ktmp = keys + n;
    for (size_t i = 0; i < n; i++)
        keys[i] = key_of(r[i].rel);
    gc_rank *src = r, *dst = tmp;
    uint64_t *ksrc = keys, *kdst = ktmp;
    /* 16-bit digits, 4 passes; a pass whose digit is equal everywhere is
     * skipped (common: the top digits of small positive rel_err agree). */
    size_t *count = malloc(65536 * sizeof *count);
    if (count == NULL) {
        free(tmp);
        free(keys);
        qsort(r, n, sizeof *r, rank_cmp);
        return;
    }
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(ksrc[i] >> shift) & 0xffff]++;
        if (count[(ksrc[0] >> shift) & 0xffff] == n)
            continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(ksrc[i] >> shift) & 0xffff]++;
            dst[at] = src[i];
            kdst[at] = ksrc[i];
        }
        gc_rank *t = src;
        src = dst;
        dst = t;
        uint64_t *kt = ksrc;
        ksrc = kdst;
        kdst = kt;
    }
    if (src != r)
        memcpy(r, src, n * sizeof *r);
    free(count);
    free(tmp);
    free(keys);
}
