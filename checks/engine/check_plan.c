/*
 * check_plan.c -- locating rows (lib/engine/plan.c): gc_plan_locate_run
 * gives every row of its run the bytes gc_plan_locate gives it alone, for
 * every element or a sample, across empty (screened) tensors, from any row
 * to any end, and stops at the end of the first row's tensor; every byte
 * of a located row is written, padding included (rows are allocated
 * uninitialised and compared and sent as bytes).
 */
#include <check.h>
#include <gradcheck.h>
#include <engine/plan.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 5
#define MAXDIM 7

/* A random layout of up to MAXT tensors (rows, cols 1..MAXDIM, some with no
 * rows as a screened tensor has), every element or a sample of each; row
 * by row and run by run into two arrays first filled with different bytes,
 * which must then be equal everywhere. */
START_TEST(test_plan_locate_run_matches_locate)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 20261201u + (uint64_t)_i, 11u);
    const int n = 1 + (int)gc_pcg32_bounded(&rng, MAXT);
    gc_target tg[MAXT];
    gc_tensor_report tr[MAXT];
    double grad[MAXT][MAXDIM * MAXDIM];
    int screened[MAXT];
    memset(tg, 0, sizeof tg);
    memset(tr, 0, sizeof tr);
    for (int t = 0; t < n; t++) {
        tg[t].rows = 1 + (int)gc_pcg32_bounded(&rng, MAXDIM);
        tg[t].cols = 1 + (int)gc_pcg32_bounded(&rng, MAXDIM);
        for (int e = 0; e < MAXDIM * MAXDIM; e++)
            grad[t][e] = 100.0 * t + e + 0.5;
        tg[t].grad = grad[t];
        screened[t] = gc_pcg32_bounded(&rng, 4) == 0;
    }
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.sample = _i % 2 == 0 ? 0 : 1 + (int)gc_pcg32_bounded(&rng, MAXDIM * MAXDIM);
    o.seed = (uint64_t)_i;
    gc_report r = {.ntensors = n, .tensors = tr};
    r.nrows = gc_plan_layout(&r, tg, n, &o, screened);
    size_t *elem = NULL;
    ck_assert_int_eq(gc_plan_elements(&r, tg, &o, NULL, &elem), GC_OK);
    const size_t rows = r.nrows > 0 ? r.nrows : 1;
    gc_row *one = malloc(rows * sizeof *one), *run = malloc(rows * sizeof *run);
    ck_assert(one != NULL && run != NULL);
    memset(one, 0xab, rows * sizeof *one);
    memset(run, 0xcd, rows * sizeof *run);
    for (size_t k = 0; k < r.nrows; k++)
        gc_plan_locate(&one[k], k, &r, tg, elem);
    for (size_t k = 0; k < r.nrows;) {
        const size_t end = k + 1 + gc_pcg32_bounded(&rng, (uint32_t)(r.nrows - k));
        const size_t got = gc_plan_locate_run(run + k, k, end, &r, tg, elem);
        const gc_tensor_report *own = &tr[one[k].tensor];
        const size_t want = end < own->first + own->count ? end : own->first + own->count;
        ck_assert_msg(got == want, "run from row %zu to %zu: ended at %zu, expected %zu", k, end,
                      got, want);
        k = got;
    }
    for (size_t k = 0; k < r.nrows; k++)
        ck_assert_msg(memcmp(&one[k], &run[k], sizeof *one) == 0,
                      "row %zu: tensor %d (%d, %d) alone, tensor %d (%d, %d) in a run", k,
                      one[k].tensor, one[k].row, one[k].col, run[k].tensor, run[k].row,
                      run[k].col);
    for (size_t k = 0; k < r.nrows; k++) {
        gc_row zero;
        memset(&zero, 0, sizeof zero);
        zero.tensor = one[k].tensor;
        zero.row = one[k].row;
        zero.col = one[k].col;
        zero.analytic = one[k].analytic;
        ck_assert_msg(memcmp(&one[k], &zero, sizeof zero) == 0, "row %zu: a byte not zeroed", k);
    }
    free(one);
    free(run);
    free(elem);
}
END_TEST

Suite *make_plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("locate");
    tcase_add_loop_test(tc, test_plan_locate_run_matches_locate, 0, 300);
    suite_add_tcase(s, tc);
    return s;
}
