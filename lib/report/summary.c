/*
 * summary.c -- a finished report's summaries: per tensor its counts, worst
 * and median rel_err, sensitivity, norm ratio, vacuous and sampled flags;
 * the totals.  Medians by selection (report/rank.h), never a sort.
 */
#include "report/summary.h"
#include "core/threads.h"

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

/* What one pass over a run of a tensor's rows gathers besides the keys:
 * nothing in it depends on how the tensor's rows are split into runs (the
 * runs are merged in order by merge_runs, which keeps each first-found
 * rule), except the three sums, which are only taken over a whole tensor. */
typedef struct run_stats {
    counts c;
    int vacuous, rel_exact, sens_exact;
    size_t w;                       /* the first row (in the tensor) of the smallest key */
    uint64_t best, rel_or, rel_and; /* or ^ and: the bits in which keys differ */
    uint64_t sens_or, sens_and;
    double sworst;
    double d2, a2, n2;              /* sum of (a - n)^2, a^2, n^2 in row order */
} run_stats;

/* Rows [lo, hi) of a tensor whose rows start at `rows`: their keys into
 * rel[k] and sens[k] (k within the tensor), the rest into *p. */
static void read_run(const gc_row *rows, size_t lo, size_t hi, double rtol, double atol,
                     uint64_t *rel, uint64_t *sens, run_stats *p)
{
    double d2 = 0.0, a2 = 0.0, n2 = 0.0, sworst = 0.0;
    int vacuous = 1, rel_exact = 1, sens_exact = 1;
    uint64_t best = UINT64_MAX, rel_or = 0, rel_and = UINT64_MAX;
    uint64_t sens_or = 0, sens_and = UINT64_MAX;
    size_t w = lo;
    counts c = {0};
    c.grad_scale = 0.0;
    for (size_t k = lo; k < hi; k++) {
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
        if (key < best || k == lo) { /* equal keys: the earlier row stays */
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
    *p = (run_stats){c, vacuous, rel_exact, sens_exact, w, best, rel_or, rel_and,
                     sens_or, sens_and, sworst, d2, a2, n2};
}

/* *into followed by the later run *p: the earlier row keeps the smallest
 * key and the largest sensitivity among equals, a NaN scale its place. */
static void merge_runs(run_stats *into, const run_stats *p)
{
    counts *c = &into->c;
    c->npass += p->c.npass;
    c->nkink += p->c.nkink;
    c->nfail += p->c.nfail;
    c->nundecided += p->c.nundecided;
    c->nweak += p->c.nweak;
    c->nescalated += p->c.nescalated;
    for (int w = 0; w < GC_NREASONS; w++)
        c->nreason[w] += p->c.nreason[w];
    if (!(p->c.grad_scale <= c->grad_scale)) /* NaN sticks */
        c->grad_scale = isnan(c->grad_scale) ? c->grad_scale : p->c.grad_scale;
    into->vacuous &= p->vacuous;
    into->rel_exact &= p->rel_exact;
    into->sens_exact &= p->sens_exact;
    if (p->best < into->best) {
        into->best = p->best;
        into->w = p->w;
    }
    into->rel_or |= p->rel_or;
    into->rel_and &= p->rel_and;
    into->sens_or |= p->sens_or;
    into->sens_and &= p->sens_and;
    into->sworst = p->sworst > into->sworst ? p->sworst : into->sworst;
}

/* The tensor's fields from its rows' statistics *p (count >= 1 rows). */
static void store_stats(const gc_report *r, gc_tensor_report *tr, const run_stats *p)
{
    store_counts(tr, &p->c);
    double na = sqrt(p->a2), nn = sqrt(p->n2);
    tr->norm_ratio = (na + nn == 0.0 && p->d2 == 0.0) ? 0.0 : sqrt(p->d2) / (na + nn);
    tr->vacuous = p->vacuous;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    tr->worst = tr->first + p->w;
    tr->max_rel = r->rows[tr->worst].rel_err;
    tr->sens_worst = p->sworst;
}

/* A tensor without rows (a split check's part may hold none of them). */
static void store_empty(gc_tensor_report *tr)
{
    counts c = {0};
    c.grad_scale = 0.0;
    store_counts(tr, &c);
    tr->norm_ratio = 0.0;
    tr->vacuous = 0;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    tr->sens_median = tr->sens_worst = NAN;
    tr->worst = tr->first;
    tr->max_rel = tr->median_rel = 0.0;
}

/* Rows of a tensor one thread reads at a time; a tensor of fewer than two
 * runs is summarised by the calling thread alone. */
#define RUN_ROWS 8192

/* Each thread of the default count (threads 0) reads at least this many
 * rows of the report: fewer and a second thread costs more than the half it
 * reads (docs/measurements.md). */
#define SUMMARY_ROWS_PER_THREAD 50000.0

/* One tensor summarised on threads: task 0 its sums (they need its rows in
 * order), task 1 + q its q-th run of RUN_ROWS rows; then its two medians. */
typedef struct tensor_job {
    gc_report *r;
    gc_tensor_report *tr;
    uint64_t *rel, *sens; /* tr->count keys each */
    run_stats *runs;      /* one per run; runs[0] also gets the sums */
    double d2, a2, n2;
    int rc;               /* the rel_err median's status */
} tensor_job;

static void read_task(void *ctx, int tid, size_t i)
{
    (void)tid;
    tensor_job *j = ctx;
    const gc_row *rows = j->r->rows + j->tr->first;
    const size_t n = j->tr->count;
    if (i == 0) {
        double d2 = 0.0, a2 = 0.0, n2 = 0.0;
        for (size_t k = 0; k < n; k++) {
            double d = rows[k].analytic - rows[k].numeric;
            d2 += d * d;
            a2 += rows[k].analytic * rows[k].analytic;
            n2 += rows[k].numeric * rows[k].numeric;
        }
        j->d2 = d2;
        j->a2 = a2;
        j->n2 = n2;
        return;
    }
    const size_t lo = (i - 1) * RUN_ROWS, hi = n - lo < RUN_ROWS ? n : lo + RUN_ROWS;
    read_run(rows, lo, hi, j->r->opts.rtol, j->r->opts.atol, j->rel, j->sens, &j->runs[i - 1]);
}

static void median_task(void *ctx, int tid, size_t i)
{
    (void)tid;
    tensor_job *j = ctx;
    const run_stats *p = &j->runs[0];
    if (i == 0)
        j->rc = rel_median(j->r, j->tr, j->rel, p->rel_or ^ p->rel_and, p->rel_exact);
    else
        sens_median(j->r, j->tr, j->sens, p->sens_or ^ p->sens_and, p->sens_exact);
}

/* One tensor's counts, norm ratio, flags, rel_err statistics and
 * sensitivity (count >= 1): its rows read once by one thread, or in runs
 * on nthreads with the sums in one more pass; rel and sens have room for
 * its count of keys. */
static int summarize_tensor(gc_report *r, gc_tensor_report *tr, uint64_t *rel, uint64_t *sens,
                            int nthreads)
{
    const size_t n = tr->count, nruns = (n + RUN_ROWS - 1) / RUN_ROWS;
    run_stats one, *runs = nthreads > 1 && nruns >= 2 ? malloc(nruns * sizeof *runs) : NULL;
    tensor_job j = {.r = r, .tr = tr, .rel = rel, .sens = sens, .runs = runs, .rc = GC_OK};
    if (runs == NULL) { /* one thread, or out of memory: the same statistics */
        read_run(r->rows + tr->first, 0, n, r->opts.rtol, r->opts.atol, rel, sens, &one);
        j.runs = &one;
    } else {
        gc_threads_for(nthreads, 1 + nruns, 1, read_task, &j);
        for (size_t q = 1; q < nruns; q++)
            merge_runs(&runs[0], &runs[q]);
        runs[0].d2 = j.d2;
        runs[0].a2 = j.a2;
        runs[0].n2 = j.n2;
    }
    store_stats(r, tr, j.runs);
    tr->sens_median = NAN;
    if (runs == NULL) {
        median_task(&j, 0, 1);
        median_task(&j, 0, 0);
    } else {
        gc_threads_for(nthreads, 2, 1, median_task, &j);
    }
    free(runs);
    return j.rc;
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
    /* the threads the check ran its rows on (a reference check runs on
     * one), the default count no more than one per SUMMARY_ROWS_PER_THREAD
     * rows */
    const int nthreads =
        r->opts.engine == GC_ENGINE_FAST
            ? gc_threads_for_work(r->opts.threads, (double)r->nrows, SUMMARY_ROWS_PER_THREAD)
            : 1;
    for (int t = 0; t < r->ntensors && rc == GC_OK; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        if (tr->count == 0)
            store_empty(tr);
        else
            rc = summarize_tensor(r, tr, keys, keys + room, nthreads);
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
