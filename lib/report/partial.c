/*
 * partial.c -- a whole report made partial (report/partial.h).
 */
#include "report/partial.h"

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

void gc_report_drop_passes(gc_report *r, int stats)
{
    size_t n = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        const size_t first = n;
        size_t worst = first;
        for (size_t k = tr->first; k < tr->first + tr->count; k++) {
            const int is_worst = stats && k == tr->worst;
            if (!gc_row_kept(&r->rows[k], is_worst))
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
