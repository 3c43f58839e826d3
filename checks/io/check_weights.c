/*
 * check_weights.c -- gc_weights_take's finiteness rule (lib/io/weights.c)
 * on arrays built here: a NaN, +Inf or -Inf at any place of a 3 x 67
 * float64 array (the scan takes 64 elements at a time, then one at a
 * time: every place in the first block, the second, and the tail) is
 * refused as "element [i, j] is ...", the first of two named; the largest
 * finite values, the smallest subnormal and -0 at any place are not.
 */
#include <check.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/weights.h"

enum { ROWS = 3, COLS = 67, N = ROWS * COLS };

/* gc_weights_take of v[0 .. N) as member "W1", shaped ROWS x COLS. */
static int take(const double *v, char *why)
{
    gc_npz_member m;
    memset(&m, 0, sizeof m);
    strcpy(m.name, "W1");
    m.a.ndim = 2;
    m.a.shape[0] = ROWS;
    m.a.shape[1] = COLS;
    m.a.count = N;
    m.a.size = 8;
    m.a.data = (const unsigned char *)v;
    gc_npz z = {.n = 1, .m = &m};
    const size_t want[2] = {ROWS, COLS};
    const gc_npz_member *out = NULL;
    return gc_weights_take(&z, "W1", 2, want, &out, why);
}

START_TEST(test_weights_nonfinite_anywhere_refused)
{
    const double special[] = {NAN, INFINITY, -INFINITY};
    const char *const shown[] = {"nan", "inf", "-inf"};
    double v[N];
    char why[GC_NPY_WHY], want[GC_NPY_WHY];
    for (int s = 0; s < 3; s++) {
        for (int at = 0; at < N; at++) {
            for (int i = 0; i < N; i++)
                v[i] = 0.5 + i;
            v[at] = special[s];
            if (at + 1 < N)
                v[N - 1] = special[(s + 1) % 3]; /* a later one: the first is named */
            ck_assert_int_eq(take(v, why), -2);
            snprintf(want, sizeof want, "element [%d, %d] is %s: expected finite numbers",
                     at / COLS, at % COLS, shown[s]);
            ck_assert_msg(strcmp(why, want) == 0, "at %d: '%s', not '%s'", at, why, want);
        }
    }
}
END_TEST

START_TEST(test_weights_extreme_finite_taken)
{
    const double finite[] = {DBL_MAX, -DBL_MAX, 0x1p-1074, -0.0, 0x1.fffffffffffffp+1022};
    double v[N];
    char why[GC_NPY_WHY];
    for (size_t s = 0; s < sizeof finite / sizeof finite[0]; s++)
        for (int at = 0; at < N; at++) {
            for (int i = 0; i < N; i++)
                v[i] = -1.0 - i;
            v[at] = finite[s];
            ck_assert_msg(take(v, why) == 0, "%a at %d refused: %s", finite[s], at, why);
        }
}
END_TEST

Suite *make_weights_suite(void)
{
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_weights_nonfinite_anywhere_refused);
    tcase_add_test(tc, test_weights_extreme_finite_taken);
    suite_add_tcase(s, tc);
    return s;
}
