/*
 * summary.c -- a finished report's summaries: per tensor its counts, worst
 * and median rel_err, norm ratio, vacuous and sampled flags; the totals; the
 * worst-first order the writers read.
 */
#include "report/summary.h"

#include <math.h>
#include <stdlib.h>

int gc_tensor_of_row(const gc_tensor_report *tr, int n, size_t k)
{
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

/* The worst-first order of every row.  A tensor's rows appear in it in
 * their own worst-first order, so one pass finds each tensor's worst (its
 * first) and median (its middle one, or the mean of the two middle ones)
 * without sorting again.  0 when out of memory (nothing found). */
static int order_and_ranks(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch)
{
    for (size_t k = 0; k < r->nrows && !filled; k++) {
        ranks[k].rel = r->rows[k].rel_err;
        ranks[k].idx = k;
    }
    if (r->nrows > 0)
        gc_rank_sort_buf(ranks, r->nrows, scratch);
    for (size_t k = 0; k < r->nrows; k++)
        r->order[k] = ranks[k].idx;
    size_t *seen = calloc(r->ntensors > 0 ? (size_t)r->ntensors : 1, sizeof *seen);
    if (seen == NULL)
        return 0;
    for (size_t k = 0; k < r->nrows; k++) {
        size_t idx = ranks[k].idx;
        int t = gc_tensor_of_row(r->tensors, r->ntensors, idx);
        gc_tensor_report *tr = &r->tensors[t];
        size_t pos = seen[t]++, c = tr->count;
        if (pos == 0) {
            tr->worst = idx;
            tr->max_rel = ranks[k].rel;
        }
        if (pos == (c - 1) / 2)
            tr->median_rel = ranks[k].rel; /* the middle, or the first of two */
        else if (c % 2 == 0 && pos == c / 2)
            tr->median_rel = 0.5 * (tr->median_rel + ranks[k].rel);
    }
    free(seen);
    return 1;
}

/* One tensor's counts, norm ratio and flags; `ranked` 0: also its worst and
 * median, from ranks (room for its count) in sorted order. */
static void summarize_tensor(gc_report *r, gc_tensor_report *tr, int ranked, gc_rank *ranks)
{
    double d2 = 0.0, a2 = 0.0, n2 = 0.0;
    int vacuous = 1;
    tr->npass = tr->nkink = tr->nfail = 0;
    for (size_t k = 0; k < tr->count; k++) {
        const gc_row *row = &r->rows[tr->first + k];
        switch (row->verdict) {
        case GC_PASS: tr->npass++; break;
        case GC_KINK: tr->nkink++; break;
        default: tr->nfail++; break;
        }
        double d = row->analytic - row->numeric;
        d2 += d * d;
        a2 += row->analytic * row->analytic;
        n2 += row->numeric * row->numeric;
        if (!(fabs(row->analytic) <= r->opts.atol) || !(fabs(row->numeric) <= r->opts.atol))
            vacuous = 0;
        if (!ranked) {
            ranks[k].rel = row->rel_err;
            ranks[k].idx = tr->first + k;
        }
    }
    double na = sqrt(a2), nn = sqrt(n2);
    tr->norm_ratio = (na + nn == 0.0 && d2 == 0.0) ? 0.0 : sqrt(d2) / (na + nn);
    tr->vacuous = tr->count > 0 && vacuous;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    if (tr->count > 0 && !ranked) {
        /* a NaN element makes max_rel NaN but moves the median only when
         * half the elements are NaN */
        gc_rank_summary(ranks, tr->count, &tr->worst, &tr->max_rel, &tr->median_rel);
    } else if (tr->count == 0) {
        tr->worst = tr->first;
        tr->max_rel = tr->median_rel = 0.0;
    }
}

void gc_report_summarize(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch)
{
    int ranked = order_and_ranks(r, ranks, filled, scratch);
    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        summarize_tensor(r, tr, ranked, ranks);
        r->npass += tr->npass;
        r->nkink += tr->nkink;
        r->nfail += tr->nfail;
        r->nvacuous += tr->vacuous;
    }
}
