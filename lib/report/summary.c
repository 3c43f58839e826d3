/*
 * summary.c -- a report's summaries are a function of its rows: per tensor
 * the verdict counts, max and median rel_err, worst element, norm ratio,
 * vacuous and sampled flags; the totals; the worst-first order.  One
 * implementation serves the engine (which ranks rows as its threads finish
 * them), a merge of a split check's parts and MPI's rank 0, so a report
 * rebuilt from the same rows is the same report.
 */
#include "report/summary.h"

#include <math.h>
#include <stdlib.h>

/* The tensor of row idx: the last whose rows start at or before it (rows
 * are laid out tensor by tensor; a tensor without rows shares its first
 * with the next). */
static int tensor_of(const gc_report *r, size_t idx)
{
    int lo = 0, hi = r->ntensors - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (r->tensors[mid].first <= idx)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* The worst-first order of every row, and from it each tensor's worst (its
 * first row in that order) and median (its middle one, or the mean of the
 * two middle ones): a tensor's rows appear in the global order in their own
 * worst-first order, so no second sort is needed.  0 when out of memory
 * for the per-tensor positions (the order is set either way). */
static int order_rows(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch)
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
        int t = tensor_of(r, idx);
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

/* Counts, norm ratio and flags of tensor tr from its rows; worst and
 * median too when `ordered` is 0 (order_rows ran out of memory), with
 * ranks as scratch. */
static void tensor_summary(const gc_report *r, gc_tensor_report *tr, int ordered, gc_rank *ranks)
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
        if (!ordered) {
            ranks[k].rel = row->rel_err;
            ranks[k].idx = tr->first + k;
        }
    }
    double na = sqrt(a2), nn = sqrt(n2);
    tr->norm_ratio = (na + nn == 0.0 && d2 == 0.0) ? 0.0 : sqrt(d2) / (na + nn);
    tr->vacuous = tr->count > 0 && vacuous;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    if (tr->count > 0 && !ordered) {
        /* in sorted order: the first is the worst, the median the middle
         * (or mean of the two middle) values; a NaN element makes max_rel
         * NaN but only moves the median when half the elements are NaN */
        gc_rank_summary(ranks, tr->count, &tr->worst, &tr->max_rel, &tr->median_rel);
    } else if (tr->count == 0) {
        tr->worst = tr->first;
        tr->max_rel = tr->median_rel = 0.0;
    }
}

void gc_report_summarize_ranked(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch)
{
    int ordered = order_rows(r, ranks, filled, scratch);
    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        tensor_summary(r, tr, ordered, ranks);
        r->npass += tr->npass;
        r->nkink += tr->nkink;
        r->nfail += tr->nfail;
        r->nvacuous += tr->vacuous;
    }
}

int gc_report_summarize(gc_report *r)
{
    if (r == NULL || (r->nrows > 0 && r->rows == NULL) || (r->ntensors > 0 && r->tensors == NULL))
        return GC_EINVAL;
    /* the layout from the rows: tensor by tensor, in tensor order */
    size_t k = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        tr->first = k;
        while (k < r->nrows && r->rows[k].tensor == t)
            k++;
        tr->count = k - tr->first;
        if (tr->screened && tr->count > 0)
            return GC_EINVAL;
    }
    if (k != r->nrows)
        return GC_EINVAL; /* a row out of order or naming no tensor */
    size_t n = r->nrows > 0 ? r->nrows : 1;
    size_t *order = realloc(r->order, n * sizeof *order);
    gc_rank *ranks = malloc(n * sizeof *ranks);
    if (order == NULL || ranks == NULL) {
        if (order != NULL)
            r->order = order;
        free(ranks);
        return GC_ENOMEM;
    }
    r->order = order;
    gc_report_summarize_ranked(r, ranks, 0, NULL);
    free(ranks);
    return GC_OK;
}
