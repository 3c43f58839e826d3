/*
 * summary.c -- a finished report's summaries: per tensor its counts, worst
 * and median rel_err, sensitivity, norm ratio, vacuous and sampled flags;
 * the totals.  Medians by selection (report/rank.h), never a sort.
 */
#include "report/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* The mean of a sorted order's middle values, or its middle one (count c
 * >= 1): from the keys of the c values, any order (reordered). */
static void middle_keys(uint64_t *keys, size_t c, uint64_t differ, uint64_t *lo, uint64_t *hi)
{
    gc_key_select(keys, c, (c - 1) / 2, differ, lo, c % 2 == 0 ? hi : NULL);
    if (c % 2 != 0)
        *hi = *lo;
}

/* Sensitivity's median from the ascending keys of the tensor's c >= 1
 * rows (reordered); when one is -0 (exact 0: a key does not tell -0 from
 * +0, the printed median would), by select_kth on the values (none when
 * out of memory). */
static void sens_median(const gc_report *r, gc_tensor_report *tr, uint64_t *keys,
                        uint64_t differ, int exact)
{
    size_t c = tr->count;
    if (exact) {
        uint64_t lo, hi;
        middle_keys(keys, c, differ, &lo, &hi);
        double a = gc_rank_rel(~lo), b = gc_rank_rel(~hi);
        tr->sens_median = c % 2 == 0 ? 0.5 * (a + b) : a;
        return;
    }
    double *v = malloc(c * sizeof *v);
    if (v == NULL)
        return;
    for (size_t k = 0; k < c; k++)
        v[k] = sensitivity(&r->rows[tr->first + k]);
    double m = select_kth(v, c, (c - 1) / 2);
    if (c % 2 == 0)
        m = 0.5 * (m + select_kth(v, c, c / 2));
    tr->sens_median = m;
    free(v);
}

/* A tensor's counts while its rows are read: locals, so that nothing the
 * loop reads (the rows, the options) is reloaded after each count. */
typedef struct counts {
    int npass, nkink, nfail, nundecided, nweak, nescalated;
    int nreason[GC_NREASONS];
    double grad_scale;
} counts;

/* One row into the counts. */
static inline void count_row(counts *c, const gc_row *row, double rtol)
{
    switch (row->verdict) {
    case GC_PASS:
        c->npass++;
        c->nweak += !(row->rel_err <= rtol);
        break;
    case GC_KINK: c->nkink++; break;
    case GC_UNDECIDED:
        c->nundecided++;
        c->nreason[(int)row->reason >= 0 && row->reason < GC_NREASONS ? row->reason : 0]++;
        break;
    default: c->nfail++; break;
    }
    c->nescalated += row->escalated != 0;
    double m = fabs(row->analytic);
    if (!(m <= c->grad_scale)) /* NaN sticks */
        c->grad_scale = isnan(c->grad_scale) ? c->grad_scale : m;
}

static void store_counts(gc_tensor_report *tr, const counts *c)
{
    tr->npass = c->npass;
    tr->nkink = c->nkink;
    tr->nfail = c->nfail;
    tr->nundecided = c->nundecided;
    tr->nweak = c->nweak;
    tr->nescalated = c->nescalated;
    memcpy(tr->nreason, c->nreason, sizeof tr->nreason);
    tr->grad_scale = c->grad_scale;
}

/* Median rel_err from the report-order keys of the tensor's c >= 1 rows
 * (reordered).  With a NaN or -0 among them (exact 0) the keys do not say
 * which of several equal-keyed values sits at a position (the printed
 * median would differ in sign or payload); then gc_rank_summary, by the
 * comparator, which also finds the worst row again. */
static int rel_median(gc_report *r, gc_tensor_report *tr, uint64_t *keys, uint64_t differ,
                      int exact)
{
    size_t c = tr->count;
    if (exact) {
        uint64_t lo, hi;
        middle_keys(keys, c, differ, &lo, &hi);
        double a = gc_rank_rel(lo), b = gc_rank_rel(hi);
        tr->median_rel = c % 2 == 0 ? 0.5 * (a + b) : a;
        return GC_OK;
    }
    gc_rank *ranks = malloc(c * sizeof *ranks);
    if (ranks == NULL)
        return GC_ENOMEM;
    for (size_t k = 0; k < c; k++) {
        ranks[k].rel = r->rows[tr->first + k].rel_err;
        ranks[k].idx = tr->first + k;
    }
    gc_rank_summary(ranks, c, &tr->worst, &tr->max_rel, &tr->median_rel);
    free(ranks);
    return GC_OK;
}

/* One tensor's counts, norm ratio, flags, rel_err statistics and
 * sensitivity, in one pass over its rows (they are read from memory once:
 * a tensor's rows are larger than the caches); rel and sens have room for
 * its count of keys. */
static int summarize_tensor(gc_report *r, gc_tensor_report *tr, uint64_t *rel, uint64_t *sens)
{
    double d2 = 0.0, a2 = 0.0, n2 = 0.0, sworst = 0.0;
    int vacuous = 1, rel_exact = 1, sens_exact = 1;
    uint64_t best = UINT64_MAX, rel_or = 0, rel_and = UINT64_MAX;
    uint64_t sens_or = 0, sens_and = UINT64_MAX; /* or ^ and: the bits in which keys differ */
    size_t w = 0;
    counts c = {0};
    c.grad_scale = 0.0;
    const gc_row *rows = r->rows + tr->first;
    const size_t n = tr->count;
    const double rtol = r->opts.rtol, atol = r->opts.atol;
    for (size_t k = 0; k < n; k++) {
        const gc_row *row = &rows[k];
        count_row(&c, row, rtol);
        double d = row->analytic - row->numeric;
        d2 += d * d;
        a2 += row->analytic * row->analytic;
        n2 += row->numeric * row->numeric;
        if (!(fabs(row->analytic) <= atol) || !(fabs(row->numeric) <= atol))
            vacuous = 0;
        double x = row->rel_err, s = sensitivity(row);
        uint64_t key = gc_rank_key(x);
        rel_exact &= !isnan(x) && !(x == 0.0 && signbit(x));
        if (key < best || k == 0) { /* equal keys: the earlier row stays */
            best = key;
            w = k;
        }
        rel[k] = key;
        rel_or |= key;
        rel_and &= key;
        sworst = s > sworst ? s : sworst;
        sens_exact &= !(s == 0.0 && signbit(s));
        uint64_t skey = ~gc_rank_key(s); /* ascending in s */
        sens[k] = skey;
        sens_or |= skey;
        sens_and &= skey;
    }
    store_counts(tr, &c);
    double na = sqrt(a2), nn = sqrt(n2);
    tr->norm_ratio = (na + nn == 0.0 && d2 == 0.0) ? 0.0 : sqrt(d2) / (na + nn);
    tr->vacuous = tr->count > 0 && vacuous;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    tr->sens_median = tr->sens_worst = NAN;
    if (tr->count == 0) {
        tr->worst = tr->first;
        tr->max_rel = tr->median_rel = 0.0;
        return GC_OK;
    }
    tr->worst = tr->first + w;
    tr->max_rel = r->rows[tr->worst].rel_err;
    tr->sens_worst = sworst;
    sens_median(r, tr, sens, sens_or ^ sens_and, sens_exact);
    return rel_median(r, tr, rel, rel_or ^ rel_and, rel_exact);
}

int gc_report_summarize(gc_report *r)
{
    size_t room = 1;
    for (int t = 0; t < r->ntensors; t++)
        if (!r->tensors[t].screened && r->tensors[t].count > room)
            room = r->tensors[t].count;
    uint64_t *keys = malloc(2 * room * sizeof *keys);
    if (keys == NULL)
        return GC_ENOMEM;
    free(r->order); /* the order, when asked for, is that of these rows */
    r->order = NULL;
    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    r->nundecided = r->nweak = r->nescalated = 0;
    memset(r->nreason, 0, sizeof r->nreason);
    int rc = GC_OK;
    for (int t = 0; t < r->ntensors && rc == GC_OK; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        rc = summarize_tensor(r, tr, keys, keys + room);
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
    free(keys);
    return rc;
}
