/*
 * check_sort.c -- the report's worst-first order (lib/report/sort.c): the
 * radix sort and the per-tensor summary against an independent comparator.
 */
#include <check.h>
#include <gradcheck.h>
#include <report/rank.h>

#include <math.h>
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

Suite *make_sort_suite(void)
{
    Suite *s = suite_create("sort");
    TCase *tc = tcase_create("order");
    tcase_add_test(tc, test_rank_sort_matches_comparator);
    suite_add_tcase(s, tc);
    return s;
}
