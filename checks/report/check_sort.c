/*
 * check_sort.c -- the report's worst-first order (lib/report/sort.c) and
 * what needs only part of it (lib/report/select.c): the radix sort, the
 * selection of a median, the first rows a writer lists and the summaries
 * rebuilt from rows, each against an independent oracle (qsort).
 */
#include <check.h>
#include <gradcheck.h>
#include <report/rank.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The order report.h states (NaN first, larger rel first, ties by smaller idx),
 * written out here on purpose although lib/report/sort.c's rank_cmp reads the same:
 * it is this test's independent oracle, so it must not be the code under
 * test. */
static int rank_cmp_ref(const void *pa, const void *pb)
{
    const gc_rank *a = pa, *b = pb;
    int an = isnan(a->rel), bn = isnan(b->rel);
    if (an != bn)
        return an ? -1 : 1;
    if (!an && a->rel != b->rel)
        return a->rel > b->rel ? -1 : 1;
    return a->idx < b->idx ? -1 : (a->idx > b->idx ? 1 : 0);
}

/* The radix sort gives qsort's order with the engine's comparator, on
 * values with NaN, Inf, -0, 0, ties and a wide range of magnitudes. */
START_TEST(test_rank_sort_matches_comparator)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 5, 5);
    static const size_t sizes[] = {0, 1, 2, 3, 4, 63, 64, 1000, 5000, 5001};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        gc_rank *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        for (size_t i = 0; i < n; i++) {
            double v;
            switch (gc_pcg32_bounded(&rng, 8)) {
            case 0: v = NAN; break;
            case 1: v = INFINITY; break;
            case 2: v = gc_pcg32_bounded(&rng, 2) ? 0.0 : -0.0; break;
            case 3: v = 1e-9 * (double)gc_pcg32_bounded(&rng, 4); break; /* ties */
            case 4: v = -gc_pcg32_uniform(&rng); break;
            default: v = ldexp(gc_pcg32_uniform(&rng), (int)gc_pcg32_bounded(&rng, 200) - 100);
            }
            a[i].rel = b[i].rel = v;
            a[i].idx = b[i].idx = 3 * i + 1;
        }
        /* the summary on a copy, against positions 0 and n/2 of the sort */
        gc_rank *c = malloc((n + 1) * sizeof *c);
        memcpy(c, a, n * sizeof *c);
        size_t worst = 0;
        double max_rel = 0, median = 0;
        gc_rank_summary(c, n, &worst, &max_rel, &median);
        free(c);
        gc_rank_sort(a, n);
        qsort(b, n, sizeof *b, rank_cmp_ref);
        if (n > 0) {
            double want = n % 2 ? b[n / 2].rel : 0.5 * (b[n / 2 - 1].rel + b[n / 2].rel);
            ck_assert_msg(worst == b[0].idx && memcmp(&max_rel, &b[0].rel, sizeof max_rel) == 0,
                          "n=%zu: worst idx %zu rel %g, sorted says idx %zu rel %g", n, worst,
                          max_rel, b[0].idx, b[0].rel);
            ck_assert_msg(memcmp(&median, &want, sizeof median) == 0 ||
                              (isnan(median) && isnan(want)),
                          "n=%zu: median %.17g, sorted says %.17g", n, median, want);
        }
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(a[i].idx == b[i].idx, "n=%zu: position %zu: idx %zu (rel %g), "
                          "comparator says idx %zu (rel %g)", n, i, a[i].idx, a[i].rel,
                          b[i].idx, b[i].rel);
        free(a);
        free(b);
    }
}
END_TEST

/* A value of rel_err or sensitivity's parts: NaN, Inf, ±0, ties, negatives
 * and a wide range of magnitudes. */
static double awkward(gc_pcg32 *rng, int with_nan)
{
    switch (gc_pcg32_bounded(rng, 8)) {
    case 0: return with_nan ? NAN : 0.5;
    case 1: return INFINITY;
    case 2: return gc_pcg32_bounded(rng, 2) ? 0.0 : -0.0;
    case 3: return 1e-9 * (double)gc_pcg32_bounded(rng, 4); /* ties */
    case 4: return -gc_pcg32_uniform(rng);
    default: return ldexp(gc_pcg32_uniform(rng), (int)gc_pcg32_bounded(rng, 200) - 100);
    }
}

static int u64_cmp(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : (a > b ? 1 : 0);
}

/* Positions k and k+1 of the sorted keys, for every k of small arrays and
 * some of large ones; keys from few distinct values (long runs, straddled
 * buckets), from random bits and from values of one decade (keys sharing
 * their top bits); with the bits in which the keys differ given, and not. */
START_TEST(test_key_select_matches_sorted)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 7);
    static const size_t sizes[] = {1, 2, 3, 31, 32, 33, 100, 2049, 20000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int kind = 0; kind < 4; kind++) {
            size_t n = sizes[s];
            uint64_t *a = malloc(n * sizeof *a), *sorted = malloc(n * sizeof *a),
                     *work = malloc(n * sizeof *a);
            for (size_t i = 0; i < n; i++) {
                uint64_t hi = gc_pcg32_next(&rng), lo = gc_pcg32_next(&rng);
                a[i] = kind == 0   ? hi << 32 | lo
                       : kind == 1 ? (uint64_t)gc_pcg32_bounded(&rng, 3) << 40 /* 3 values */
                       : kind == 2 ? gc_rank_key(awkward(&rng, 1)) /* then one decade: */
                                   : gc_rank_key(1e-9 * (1 + 9 * gc_pcg32_uniform(&rng)));
            }
            memcpy(sorted, a, n * sizeof *a);
            qsort(sorted, n, sizeof *sorted, u64_cmp);
            uint64_t any = 0, all = UINT64_MAX; /* differ: the bits in which keys differ */
            for (size_t i = 0; i < n; i++) {
                any |= a[i];
                all &= a[i];
            }
            size_t step = n > 100 ? n / 37 : 1;
            for (size_t k = 0; k < 2 * n; k += step) {
                size_t at = k % n; /* each position with differ exact, then unknown */
                uint64_t differ = k < n ? any ^ all : UINT64_MAX;
                uint64_t lo = 0, hi = 0;
                memcpy(work, a, n * sizeof *a);
                gc_key_select(work, n, at, differ, &lo, at + 1 < n ? &hi : NULL);
                ck_assert_msg(lo == sorted[at], "n=%zu kind %d: position %zu: %016llx, sorted "
                              "says %016llx", n, kind, at, (unsigned long long)lo,
                              (unsigned long long)sorted[at]);
                if (at + 1 < n)
                    ck_assert_msg(hi == sorted[at + 1], "n=%zu kind %d: position %zu: %016llx, "
                                  "sorted says %016llx", n, kind, at + 1,
                                  (unsigned long long)hi, (unsigned long long)sorted[at + 1]);
            }
            free(a);
            free(sorted);
            free(work);
        }
    }
}
END_TEST

/* A report of n rows over 3 tensors (rows grouped by tensor), awkward
 * values, verdicts pass or not at random; summaries not yet computed. */
static gc_report *random_report(gc_pcg32 *rng, size_t n, int with_nan)
{
    gc_report *r = calloc(1, sizeof *r);
    gc_check_opts_init(&r->opts);
    r->ntensors = 3;
    r->tensors = calloc(3, sizeof *r->tensors);
    r->nrows = n;
    r->rows = calloc(n > 0 ? n : 1, sizeof *r->rows);
    for (int t = 0; t < 3; t++) {
        snprintf(r->tensors[t].name, sizeof r->tensors[t].name, "T%d", t);
        r->tensors[t].rows = (int)n;
        r->tensors[t].cols = 1;
    }
    for (size_t k = 0; k < n; k++) {
        gc_row *w = &r->rows[k];
        w->tensor = k < n / 2 ? 0 : (k < n / 2 + n / 3 ? 1 : 2);
        w->row = (int)k;
        w->rel_err = awkward(rng, with_nan);
        w->analytic = awkward(rng, with_nan);
        w->band = awkward(rng, with_nan);
        w->num_err = awkward(rng, with_nan);
        w->abs_err = awkward(rng, with_nan);
        w->verdict = gc_pcg32_bounded(rng, 4) == 0 ? GC_FAIL : GC_PASS;
    }
    return r;
}

/* The oracle: rows [lo, hi) of r as ranks sorted by the reference
 * comparator; returns how many. */
static size_t sorted_ranks(const gc_report *r, size_t lo, size_t hi, int bad_only, gc_rank *out)
{
    size_t n = 0;
    for (size_t k = lo; k < hi; k++)
        if (!bad_only || r->rows[k].verdict != GC_PASS)
            out[n++] = (gc_rank){r->rows[k].rel_err, k};
    qsort(out, n, sizeof *out, rank_cmp_ref);
    return n;
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : (a > b ? 1 : 0);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* The oracle of a tensor's sensitivity median: every row's (band + B +
 * |a - n|) / |a| (NaN as Inf) sorted in sens[] (room for its rows), and
 * the middle one (or the mean of the two). */
static double sens_median_sorted(const gc_report *r, const gc_tensor_report *tr, double *sens)
{
    size_t c = tr->count;
    for (size_t k = 0; k < c; k++) {
        const gc_row *w = &r->rows[tr->first + k];
        double v = (w->band + w->num_err + w->abs_err) / fabs(w->analytic);
        sens[k] = isnan(v) ? INFINITY : v;
    }
    qsort(sens, c, sizeof *sens, dbl_cmp);
    return c % 2 ? sens[c / 2] : 0.5 * (sens[c / 2 - 1] + sens[c / 2]);
}

/* gc_report_worst, gc_rank_first (a range, bad rows only), gc_rank_listed
 * and gc_report_order give the oracle's order; the rebuilt summaries its worst
 * row, max and median rel_err and the median sensitivity. */
START_TEST(test_selection_matches_sorted_rows)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 11, 3);
    static const size_t sizes[] = {1, 2, 7, 64, 301, 4000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int with_nan = 0; with_nan < 2; with_nan++) {
            size_t n = sizes[s];
            gc_report *r = random_report(&rng, n, with_nan);
            ck_assert_int_eq(gc_report_rebuild(r), GC_OK);
            gc_rank *want = malloc(n * sizeof *want);
            size_t got[60];
            /* the first 50 of every row, of a range, of its bad rows */
            size_t m = sorted_ranks(r, 0, n, 0, want), g = gc_report_worst(r, got, 50);
            ck_assert_uint_eq(g, m < 50 ? m : 50);
            for (size_t i = 0; i < g; i++)
                ck_assert_msg(got[i] == want[i].idx, "n=%zu: worst %zu: row %zu, sorted says %zu",
                              n, i, got[i], want[i].idx);
            size_t lo = n / 3, hi = n - n / 5, matched = 0;
            m = sorted_ranks(r, lo, hi, 1, want);
            g = gc_rank_first(r, lo, hi, 1, got, 10, &matched);
            ck_assert_uint_eq(matched, m);
            ck_assert_uint_eq(g, m < 10 ? m : 10);
            for (size_t i = 0; i < g; i++)
                ck_assert_msg(got[i] == want[i].idx, "n=%zu: bad %zu: row %zu, sorted says %zu",
                              n, i, got[i], want[i].idx);
            /* the text report's two lists, in one pass */
            size_t top[10], bad[50], nt = 10, nb = 50, nbad = 0;
            gc_rank_listed(r, top, &nt, bad, &nb, &nbad);
            m = sorted_ranks(r, 0, n, 0, want);
            ck_assert_uint_eq(nt, m < 10 ? m : 10);
            for (size_t i = 0; i < nt; i++)
                ck_assert_msg(top[i] == want[i].idx, "n=%zu: listed top %zu: row %zu, sorted "
                              "says %zu", n, i, top[i], want[i].idx);
            m = sorted_ranks(r, 0, n, 1, want);
            ck_assert_uint_eq(nbad, m);
            ck_assert_uint_eq(nb, m < 50 ? m : 50);
            for (size_t i = 0; i < nb; i++)
                ck_assert_msg(bad[i] == want[i].idx, "n=%zu: listed bad %zu: row %zu, sorted "
                              "says %zu", n, i, bad[i], want[i].idx);
            m = sorted_ranks(r, 0, n, 0, want);
            const size_t *order = gc_report_order(r);
            ck_assert_ptr_nonnull(order);
            ck_assert_ptr_eq(gc_report_order(r), order); /* cached */
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(order[i], want[i].idx);
            double *sens = malloc(n * sizeof *sens);
            for (int t = 0; t < 3; t++) {
                const gc_tensor_report *tr = &r->tensors[t];
                size_t c = sorted_ranks(r, tr->first, tr->first + tr->count, 0, want);
                if (c == 0)
                    continue;
                double med = c % 2 ? want[c / 2].rel : 0.5 * (want[c / 2 - 1].rel + want[c / 2].rel);
                ck_assert_msg(tr->worst == want[0].idx && same_double(tr->max_rel, want[0].rel),
                              "n=%zu %s: worst row %zu, sorted says %zu", n, tr->name, tr->worst,
                              want[0].idx);
                ck_assert_msg(same_double(tr->median_rel, med), "n=%zu %s: median %.17g, "
                              "sorted says %.17g", n, tr->name, tr->median_rel, med);
                /* -0 and +0 compare equal: the oracle says nothing of the sign */
                double sm = sens_median_sorted(r, tr, sens);
                ck_assert_msg(same_double(tr->sens_median, sm) || (sm == 0.0 && tr->sens_median == 0.0),
                              "n=%zu %s: sensitivity median %.17g, sorted says %.17g", n,
                              tr->name, tr->sens_median, sm);
            }
            free(sens);
            free(want);
            gc_report_free(r);
        }
    }
}
END_TEST

/* Rows enough for every tensor but one to be read in several runs by the
 * summaries' threads (lib/report/summary.c reads 8192 rows at a time),
 * over five tensors: T0 and T1 several runs, T2 none (a part of a split
 * check), T3 one run, T4 screened (its summary is the screen's).  Every
 * verdict and reason, escalations, awkward values; planted across runs: the
 * same largest rel_err (Inf) in rows 100 and 20000 of T0 (the first is the
 * worst), one |a| above atol in T0's third run (T0 is not vacuous, its
 * other runs are), and two NaNs of different payload in |a| of T1 (the
 * first is its scale). */
static gc_report *summary_report(gc_pcg32 *rng, int with_nan)
{
    /* runs of every length mod 4 (summary.c reads four rows at a time) */
    static const size_t count[5] = {30000, 12501, 0, 7499, 0};
    size_t n = count[0] + count[1] + count[3];
    gc_report *r = calloc(1, sizeof *r);
    gc_check_opts_init(&r->opts);
    r->opts.engine = GC_ENGINE_FAST; /* the summaries run on threads only for it */
    r->opts.atol = 1e-30;
    r->ntensors = 5;
    r->tensors = calloc(5, sizeof *r->tensors);
    r->nrows = n;
    r->rows = calloc(n, sizeof *r->rows);
    size_t k = 0;
    for (int t = 0; t < 5; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        snprintf(tr->name, sizeof tr->name, "T%d", t);
        tr->rows = 40000;
        tr->cols = t == 3 ? 1 : 2; /* T3 sampled: 7499 of 40000 */
        tr->screened = t == 4;
        tr->max_rel = tr->median_rel = 0.25;
        for (size_t q = 0; q < count[t]; q++, k++) {
            gc_row *w = &r->rows[k];
            w->tensor = t;
            w->row = (int)q;
            w->analytic = awkward(rng, with_nan);
            w->numeric = awkward(rng, with_nan);
            w->rel_err = awkward(rng, with_nan);
            w->band = awkward(rng, with_nan);
            w->num_err = awkward(rng, with_nan);
            w->abs_err = awkward(rng, with_nan);
            w->verdict = (gc_verdict)gc_pcg32_bounded(rng, 4);
            w->reason = w->verdict == GC_UNDECIDED ? (gc_reason)gc_pcg32_bounded(rng, GC_NREASONS)
                                                   : GC_REASON_NONE;
            w->escalated = gc_pcg32_bounded(rng, 5) == 0;
        }
    }
    /* T0's rel_errs neither NaN nor -0, whose medians take another path
     * (gc_rank_summary, which finds the worst again), nor above the planted */
    for (size_t q = 0; q < count[0]; q++) {
        double x = r->rows[q].rel_err;
        if (!(x < INFINITY) || (x == 0.0 && signbit(x)))
            r->rows[q].rel_err = 0.5;
    }
    r->rows[100].rel_err = r->rows[20000].rel_err = INFINITY;
    /* T0's |a| and |n| below atol but in row 20000: its runs but one vacuous */
    for (size_t q = 0; q < count[0]; q++) {
        r->rows[q].analytic = ldexp(gc_pcg32_uniform(rng), -110);
        r->rows[q].numeric = -ldexp(gc_pcg32_uniform(rng), -110);
    }
    r->rows[20000].analytic = 1.0;
    uint64_t nan1 = 0x7ff8000000000001ull, nan2 = 0xfff8000000000002ull;
    memcpy(&r->rows[30000 + 10].analytic, &nan1, sizeof nan1);
    memcpy(&r->rows[30000 + 9000].analytic, &nan2, sizeof nan2);
    return r;
}

/* What one plain pass over a tensor's rows in order, and qsort, give: the
 * oracle for every field gc_report_summarize computes. */
static void summary_oracle(const gc_report *r, const gc_tensor_report *tr, gc_tensor_report *o)
{
    *o = *tr;
    memset(o->nreason, 0, sizeof o->nreason);
    o->npass = o->nkink = o->nfail = o->nundecided = o->nweak = o->nescalated = 0;
    double d2 = 0.0, a2 = 0.0, n2 = 0.0, gs = 0.0;
    int vacuous = 1;
    o->sens_worst = 0.0;
    for (size_t k = tr->first; k < tr->first + tr->count; k++) {
        const gc_row *w = &r->rows[k];
        o->npass += w->verdict == GC_PASS;
        o->nkink += w->verdict == GC_KINK;
        o->nfail += w->verdict == GC_FAIL;
        o->nundecided += w->verdict == GC_UNDECIDED;
        o->nreason[w->reason] += w->verdict == GC_UNDECIDED;
        o->nweak += w->verdict == GC_PASS && !(w->rel_err <= r->opts.rtol);
        o->nescalated += w->escalated != 0;
        if (!isnan(gs) && (isnan(w->analytic) || fabs(w->analytic) > gs))
            gs = fabs(w->analytic);
        double d = w->analytic - w->numeric;
        d2 += d * d;
        a2 += w->analytic * w->analytic;
        n2 += w->numeric * w->numeric;
        vacuous &= fabs(w->analytic) <= r->opts.atol && fabs(w->numeric) <= r->opts.atol;
        double v = (w->band + w->num_err + w->abs_err) / fabs(w->analytic);
        v = isnan(v) ? INFINITY : v;
        o->sens_worst = v > o->sens_worst ? v : o->sens_worst;
    }
    o->grad_scale = gs;
    double na = sqrt(a2), nn = sqrt(n2);
    o->norm_ratio = (na + nn == 0.0 && d2 == 0.0) ? 0.0 : sqrt(d2) / (na + nn);
    o->vacuous = tr->count > 0 && vacuous;
    o->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
}

static void assert_same_field(double got, double want, const char *what, int threads, int t)
{
    uint64_t g, w;
    memcpy(&g, &got, sizeof g);
    memcpy(&w, &want, sizeof w);
    ck_assert_msg(g == w, "threads %d, T%d: %s = %a (bits %016llx), one pass in order gives %a "
                  "(%016llx)", threads, t, what, got, (unsigned long long)g, want,
                  (unsigned long long)w);
}

/* gc_report_summarize at 1 to 4 threads: every field of every tensor and
 * the totals the bits of one plain pass over the rows in order (the
 * medians: qsort's), whichever rows each thread read. */
START_TEST(test_summaries_match_one_pass_at_any_thread_count)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 20261202u, (uint64_t)_i);
    gc_report *r = summary_report(&rng, _i);
    ck_assert_int_eq(gc_report_rebuild(r), GC_OK); /* the layout; summaries at the default */
    gc_tensor_report want[5];
    for (int t = 0; t < 5; t++)
        summary_oracle(r, &r->tensors[t], &want[t]);
    gc_rank *ranks = malloc(r->nrows * sizeof *ranks);
    double *sens = malloc(r->nrows * sizeof *sens);
    for (int threads = 1; threads <= 4; threads++) {
        r->opts.threads = threads;
        ck_assert_int_eq(gc_report_rebuild(r), GC_OK);
        int npass = 0;
        for (int t = 0; t < 5; t++) {
            const gc_tensor_report *g = &r->tensors[t], *o = &want[t];
            if (g->screened) { /* no rows: the screen's summary, untouched */
                assert_same_field(g->max_rel, 0.25, "a screened max_rel", threads, t);
                continue;
            }
            ck_assert_msg(g->npass == o->npass && g->nkink == o->nkink && g->nfail == o->nfail &&
                              g->nundecided == o->nundecided && g->nweak == o->nweak &&
                              g->nescalated == o->nescalated &&
                              memcmp(g->nreason, o->nreason, sizeof g->nreason) == 0,
                          "threads %d, T%d: counts differ from one pass", threads, t);
            ck_assert_msg(g->vacuous == o->vacuous && g->sampled == o->sampled,
                          "threads %d, T%d: flags", threads, t);
            npass += g->npass;
            assert_same_field(g->grad_scale, o->grad_scale, "grad_scale", threads, t);
            assert_same_field(g->norm_ratio, o->norm_ratio, "norm_ratio", threads, t);
            if (g->count == 0)
                continue;
            assert_same_field(g->sens_worst, o->sens_worst, "sens_worst", threads, t);
            size_t c = sorted_ranks(r, g->first, g->first + g->count, 0, ranks);
            double med = c % 2 ? ranks[c / 2].rel : 0.5 * (ranks[c / 2 - 1].rel + ranks[c / 2].rel);
            ck_assert_msg(g->worst == ranks[0].idx,
                          "threads %d, T%d: worst row %zu, sorted says %zu", threads, t,
                          g->worst, ranks[0].idx);
            ck_assert_msg(same_double(g->max_rel, ranks[0].rel) && same_double(g->median_rel, med),
                          "threads %d, T%d: max %a median %a, sorted says %a %a", threads, t,
                          g->max_rel, g->median_rel, ranks[0].rel, med);
            double sm = sens_median_sorted(r, g, sens);
            ck_assert_msg(same_double(g->sens_median, sm) || (sm == 0.0 && g->sens_median == 0.0),
                          "threads %d, T%d: sensitivity median %a, sorted says %a", threads, t,
                          g->sens_median, sm);
        }
        ck_assert_int_eq(r->npass, npass);
    }
    ck_assert_uint_eq(r->tensors[0].worst, 100);
    ck_assert_int_eq(r->tensors[0].vacuous, 0);
    free(ranks);
    free(sens);
    gc_report_free(r);
}
END_TEST

Suite *make_sort_suite(void)
{
    Suite *s = suite_create("sort");
    TCase *tc = tcase_create("order");
    tcase_add_test(tc, test_rank_sort_matches_comparator);
    tcase_add_test(tc, test_key_select_matches_sorted);
    tcase_add_test(tc, test_selection_matches_sorted_rows);
    tcase_add_loop_test(tc, test_summaries_match_one_pass_at_any_thread_count, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
