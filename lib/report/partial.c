/*
 * partial.c -- a whole report made partial (report/partial.h).
 */
#include "report/partial.h"
#include "report/rank.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

void gc_report_drop_passes_held(gc_report *r, const size_t *at, int stats)
{
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        const size_t a = gc_held_index(at, r->nrows, tr->first);
        const size_t b = gc_held_index(at, r->nrows, tr->first + tr->count);
        if (stats)
            tr->worst = b > a ? gc_held_index(at, r->nrows, tr->worst) : a;
        tr->first = a;
        tr->count = b - a;
    }
    gc_report_drop_passes(r, stats);
}

/* A tensor's statistics, not computed (report.h: partial 2). */
static void no_stats(gc_tensor_report *tr)
{
    tr->sens_median = tr->sens_worst = NAN;
    tr->max_rel = tr->median_rel = tr->norm_ratio = NAN;
    tr->worst = SIZE_MAX;
}

/* The first GC_PARTIAL_TOP rows of r's order (fewer when it has fewer),
 * ascending, into top; returns how many. */
static size_t first_rows(const gc_report *r, size_t top[GC_PARTIAL_TOP])
{
#ifndef GC_PARTIAL_TOP_MUTANT
    return gc_rank_first_by_index(r->rows, r->nrows, top, GC_PARTIAL_TOP);
#else /* the mutant of checks/report/check_partial.c: the last of them lost */
    return gc_rank_first_by_index(r->rows, r->nrows, top, GC_PARTIAL_TOP - 1);
#endif
}

void gc_report_drop_passes(gc_report *r, int stats)
{
    size_t top[GC_PARTIAL_TOP], ntop = stats ? first_rows(r, top) : 0, i = 0;
    size_t n = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        const size_t first = n;
        size_t worst = first;
        for (size_t k = tr->first; k < tr->first + tr->count; k++) {
            const int is_worst = stats && k == tr->worst;
            while (i < ntop && top[i] < k)
                i++;
            const int is_top = i < ntop && top[i] == k;
            if (!gc_row_kept(&r->rows[k], is_worst || is_top))
                continue;
            if (is_worst)
                worst = n;
            r->rows[n++] = r->rows[k];
        }
        tr->first = first;
        tr->count = n - first;
        tr->worst = worst;
        if (!stats)
            no_stats(tr);
    }
    r->nrows = n;
    /* a smaller block, or (when the allocator cannot) the same one */
    gc_row *less = realloc(r->rows, (n > 0 ? n : 1) * sizeof *less);
    if (less != NULL)
        r->rows = less;
    free(r->order);
    r->order = NULL;
    r->partial = stats ? 1 : 2;
}
