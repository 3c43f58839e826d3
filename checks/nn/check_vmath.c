/*
 * check_vmath.c -- the vector exp and log1p (lib/nn/vmath.c) against libm
 * at every level this CPU runs, and softmax_ce's values op (the loss's
 * batch capability) against its value, element by element, special values
 * included.
 *
 * Bounds: every level and libm are within GC_VMATH_ULPS = 4 ulp of the
 * exact value (above SLEEF's stated 1.0 ulp and libm's measured < 1), so two of
 * them are within 8 ulp, at most 16 u relative (u = 2^-53); the values op
 * within GC_LOSS_VALUES_BOUND(rows) u |L| of value (lib/gradcheck/layer.h
 * derives it).
 */
#include <check.h>
#include <gradcheck.h>
#include <nn/vmath.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define U (DBL_EPSILON / 2)
#define N 4099 /* not a multiple of any vector width: a padded tail */

static const char *const level_name[] = {"scalar", "sse2", "avx2", "avx512"};

/* a and b the same NaN-ness, infinity and sign, or within 16 u |b|. */
static int close_ulps(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b) || b == 0.0)
        return a == b;
    return fabs(a - b) <= 2.0 * GC_VMATH_ULPS * 2.0 * U * fabs(b);
}

/* Arguments from lo to hi, and the special ones. */
static void args(double *x, double lo, double hi)
{
    static const double special[] = {0.0, -0.0, -1e-300, 1e-300, -INFINITY, NAN, -745.2, -708.5};
    const size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < N; i++)
        x[i] = i < ns ? special[i] : lo + (hi - lo) * (double)i / (double)(N - 1);
}

typedef void (*vfun)(gc_vmath_level, double *, const double *, size_t);

static void check_level(gc_vmath_level lvl, vfun vf, double (*f)(double), const char *name,
                        double lo, double hi)
{
    static double x[N], y[N], one[1];
    args(x, lo, hi);
    vf(lvl, y, x, N);
    for (size_t i = 0; i < N; i++) {
        ck_assert_msg(close_ulps(y[i], f(x[i])), "%s at level %s: x=%.17g: vector %.17g libm %.17g",
                      name, level_name[lvl], x[i], y[i], f(x[i]));
        /* alone, the same bits as among its neighbours */
        vf(lvl, one, &x[i], 1);
        ck_assert_msg(memcmp(one, &y[i], sizeof one) == 0 || (isnan(one[0]) && isnan(y[i])),
                      "%s at level %s: x=%.17g gives %.17g alone, %.17g in an array", name,
                      level_name[lvl], x[i], one[0], y[i]);
    }
}

START_TEST(test_vmath_levels_agree_with_libm)
{
    int ran = 0;
    for (int l = 0; l < GC_VMATH_LEVELS; l++) {
        if (!gc_vmath_available((gc_vmath_level)l))
            continue;
        ran++;
        check_level((gc_vmath_level)l, gc_vexp_at, exp, "exp", -745.0, 0.0);
        check_level((gc_vmath_level)l, gc_vexp_at, exp, "exp", -1.0, 1.0);
        check_level((gc_vmath_level)l, gc_vlog1p_at, log1p, "log1p", 0.0, 1e3);
        check_level((gc_vmath_level)l, gc_vlog1p_at, log1p, "log1p", -0.999, 0.0);
    }
    ck_assert_int_ge(ran, 1);
    ck_assert_msg(gc_vmath_available(gc_vmath_best()), "the best level is not available");
}
END_TEST

/* values over n variants of P (rows x B each) against value of each. */
static void values_match_value(const gc_loss *loss, int rows, int B, int n, const double *p,
                               const double *t, const char *what)
{
    gc_mat *P = gc_mat_new(rows, n * B), *V = gc_mat_new(rows, B), *T = gc_mat_new(rows, B);
    memcpy(T->data, t, gc_mat_size(T) * sizeof(double));
    memcpy(P->data, p, gc_mat_size(P) * sizeof(double));
    double L[1024];
    ck_assert_int_le(n, 1024);
    loss->values(L, P, T);
    for (int v = 0; v < n; v++) {
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < B; c++)
                GC_AT(V, i, c) = GC_AT(P, i, v * B + c);
        double l1 = loss->value(V, T), bound = GC_LOSS_VALUES_BOUND(rows) * U * fabs(l1);
        int ok = isfinite(l1) ? fabs(L[v] - l1) <= bound
                              : (isnan(l1) && isnan(L[v])) || memcmp(&l1, &L[v], sizeof l1) == 0;
        ck_assert_msg(ok, "%s: variant %d: values %.17g value %.17g, |diff| %.3g > %.3g", what, v,
                      L[v], l1, fabs(L[v] - l1), bound);
    }
    gc_mat_free(P);
    gc_mat_free(V);
    gc_mat_free(T);
}

/* Random logits of every size, more variants than a block, B = 1, 3, 32;
 * one-hot and soft targets. */
START_TEST(test_softmax_ce_values_match_value)
{
    static const int Bs[] = {1, 3, 32};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 14, 1);
    static double p[12 * 256 * 32 / 8], t[12 * 32];
    for (size_t k = 0; k < sizeof Bs / sizeof Bs[0]; k++)
        for (int rows = 1; rows <= 12; rows += 3) {
            int B = Bs[k], n = 24 * 32 / B; /* 768 columns: 12 blocks */
            for (int i = 0; i < rows * n * B; i++)
                p[i] = (i % 7 == 0 ? 30.0 : 3.0) * gc_pcg32_normal(&rng);
            for (int c = 0; c < B; c++) {
                int hot = (int)gc_pcg32_bounded(&rng, (uint32_t)rows);
                double soft = c % 2 ? 0.25 : 0.0;
                for (int i = 0; i < rows; i++)
                    t[i * B + c] = rows == 1 ? 1.0 : i == hot ? 1.0 - soft : soft / (rows - 1);
            }
            char what[64];
            snprintf(what, sizeof what, "softmax_ce rows %d B %d", rows, B);
            values_match_value(&gc_loss_softmax_ce, rows, B, n, p, t, what);
        }
}
END_TEST

/* Logits of +-1e3, +-Inf and NaN: the same non-finite losses, the same
 * finite ones within the bound. */
START_TEST(test_softmax_ce_values_special)
{
    const double p[] = {1e3, -1e3, 0.0,       INFINITY, 0.0,  NAN,  -INFINITY, 1.0,
                        -1e3, 1e3, INFINITY, INFINITY, 1e-300, 0.0, -INFINITY, -INFINITY};
    const double t1[] = {1.0, 0.0}, t2[] = {0.0, 1.0};
    /* 2 rows x 8 variants, B = 1 */
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t1, "special, t = (1, 0)");
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t2, "special, t = (0, 1)");
}
END_TEST

Suite *make_vmath_suite(void)
{
    Suite *s = suite_create("vmath");
    TCase *tc = tcase_create("vmath");
    tcase_add_test(tc, test_vmath_levels_agree_with_libm);
    tcase_add_test(tc, test_softmax_ce_values_match_value);
    tcase_add_test(tc, test_softmax_ce_values_special);
    suite_add_tcase(s, tc);
    return s;
}
