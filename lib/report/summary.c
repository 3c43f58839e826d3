/*
 * summary.c -- a finished report's summaries: per tensor its counts, worst
 * and median rel_err, norm ratio, vacuous and sampled flags; the totals; the
 * worst-first order the writers read.
 */
#include "report/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The smallest relative error of a that the check would have refuted at
 * this row: (band + B + |a - n|) / |a|; Inf where a is 0 or B is NaN. */
static double sensitivity(const gc_row *row)
{
    double s = (row->band + row->num_err + row->abs_err) / fabs(row->analytic);
    return isnan(s) ? INFINITY : s;
}

/* The k-th smallest of v[0..n) (Hoare's selection; v is reordered). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* Sensitivity's median and worst over the tensor's rows (none: NaN); the
 * worst alone when out of memory for the median's scratch. */
static void tensor_sensitivity(const gc_report *r, gc_tensor_report *tr)
{
    tr->sens_median = tr->sens_worst = NAN;
    if (tr->count == 0)
        return;
    double *v = malloc(tr->count * sizeof *v), worst = 0.0;
    for (size_t k = 0; k < tr->count; k++) {
        double s = sensitivity(&r->rows[tr->first + k]);
        worst = s > worst ? s : worst;
        if (v != NULL)
            v[k] = s;
    }
    tr->sens_worst = worst;
    if (v != NULL) {
        size_t c = tr->count;
        double m = select_kth(v, c, (c - 1) / 2);
        if (c % 2 == 0)
            m = 0.5 * (m + select_kth(v, c, c / 2));
        tr->sens_median = m;
    }
    free(v);
}

/* One row into its tensor's counts. */
static void count_row(const gc_report *r, gc_tensor_report *tr, const gc_row *row)
{
    switch (row->verdict) {
    case GC_PASS:
        tr->npass++;
        tr->nweak += !(row->rel_err <= r->opts.rtol);
        break;
    case GC_KINK: tr->nkink++; break;
    case GC_UNDECIDED:
        tr->nundecided++;
        tr->nreason[(int)row->reason >= 0 && row->reason < GC_NREASONS ? row->reason : 0]++;
        break;
    default: tr->nfail++; break;
    }
    tr->nescalated += row->escalated != 0;
    double m = fabs(row->analytic);
    if (!(m <= tr->grad_scale)) /* NaN sticks */
        tr->grad_scale = isnan(tr->grad_scale) ? tr->grad_scale : m;
}

/* One tensor's counts, norm ratio and flags; `ranked` 0: also its worst and
 * median, from ranks (room for its count) in sorted order. */
static void summarize_tensor(gc_report *r, gc_tensor_report *tr, int ranked, gc_rank *ranks)
{
    double d2 = 0.0, a2 = 0.0, n2 = 0.0;
    int vacuous = 1;
    tr->npass = tr->nkink = tr->nfail = tr->nundecided = tr->nweak = tr->nescalated = 0;
    memset(tr->nreason, 0, sizeof tr->nreason);
    tr->grad_scale = 0.0;
    for (size_t k = 0; k < tr->count; k++) {
        const gc_row *row = &r->rows[tr->first + k];
        count_row(r, tr, row);
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
    tensor_sensitivity(r, tr);
}

void gc_report_summarize(gc_report *r, gc_rank *ranks, int filled, gc_rank *scratch)
{
    int ranked = order_and_ranks(r, ranks, filled, scratch);
    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    r->nundecided = r->nweak = r->nescalated = 0;
    memset(r->nreason, 0, sizeof r->nreason);
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        summarize_tensor(r, tr, ranked, ranks);
        r->npass += tr->npass;
        r->nkink += tr->nkink;
        r->nfail += tr->nfail;
        r->nundecided += tr->nundecided;
        r->nweak += tr->nweak;
        r->nescalated += tr->nescalated;
        for (int w = 0; w < GC_NREASONS; w++)
            r->nreason[w] += tr->nreason[w];
        r->nvacuous += tr->vacuous;
    }
}
