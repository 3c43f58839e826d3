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
 * derives it), values_near and values_line likewise.
 */
#include <check.h>
#include <gradcheck.h>
#include <nn/vmath.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* L[v] against value(P_v) within GC_LOSS_VALUES_BOUND(rows) u |value|, or
 * the same non-finite value. */
static void check_variants(const char *op, const double *L, const gc_loss *loss, const gc_mat *P,
                           const gc_mat *T, int n, const char *what)
{
    const int rows = P->rows, B = T->cols;
    gc_mat *V = gc_mat_new(rows, B);
    for (int v = 0; v < n; v++) {
        for (int i = 0; i < rows; i++)
            for (int c = 0; c < B; c++)
                GC_AT(V, i, c) = GC_AT(P, i, v * B + c);
        double l1 = loss->value(V, T), bound = GC_LOSS_VALUES_BOUND(rows) * U * fabs(l1);
        int ok = isfinite(l1) ? fabs(L[v] - l1) <= bound
                              : (isnan(l1) && isnan(L[v])) || memcmp(&l1, &L[v], sizeof l1) == 0;
        ck_assert_msg(ok, "%s: %s: variant %d: %.17g, value %.17g, |diff| %.3g > %.3g", what, op, v,
                      L[v], l1, fabs(L[v] - l1), bound);
    }
    gc_mat_free(V);
}

/* values over n variants of P (rows x B each) against value of each, and
 * values_near too when z (rows x B) is given, with z as its base. */
static void values_match_value(const gc_loss *loss, int rows, int B, int n, const double *p,
                               const double *t, const double *z, const char *what)
{
    gc_mat *P = gc_mat_new(rows, n * B), *T = gc_mat_new(rows, B), *Z = gc_mat_new(rows, B);
    memcpy(T->data, t, gc_mat_size(T) * sizeof(double));
    memcpy(P->data, p, gc_mat_size(P) * sizeof(double));
    static double L[4096];
    ck_assert_int_le(n, 4096);
    loss->values(L, P, T);
    check_variants("values", L, loss, P, T, n, what);
    if (z != NULL) {
        memcpy(Z->data, z, gc_mat_size(Z) * sizeof(double));
        void *state = malloc(loss->base_size(rows, B));
        ck_assert_ptr_nonnull(state);
        loss->base(state, Z, T);
        loss->values_near(L, P, T, state);
        check_variants("values_near", L, loss, P, T, n, what);
        free(state);
    }
    gc_mat_free(P);
    gc_mat_free(T);
    gc_mat_free(Z);
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
            values_match_value(&gc_loss_softmax_ce, rows, B, n, p, t, NULL, what);
        }
}
END_TEST

/* The threshold of values_near's polynomial (lib/nn/softmax_batch.c). */
#define TAU 0x1p-13

/* Rows of base column c of z (rows x B) with its largest logit (k, the
 * first of equals) and the next (j, -1 for one row). */
static void top_two(const double *z, int rows, int B, int c, int *k, int *j)
{
    *k = 0;
    *j = -1;
    for (int i = 1; i < rows; i++)
        if (z[i * B + c] > z[*k * B + c])
            *k = i;
    for (int i = 0; i < rows; i++)
        if (i != *k && (*j < 0 || z[i * B + c] > z[*j * B + c]))
            *j = i;
}

/* Variant v of base column c of z (rows x B) into p (rows x n B), by kind
 * v % 6: moved by 1e-7 (the polynomial), by up to TAU / 2 (|x| up to TAU:
 * where a wrong coefficient shows), by up to 16 TAU (mostly the full
 * exps), with the runner-up row raised 1e-9 above the max (the max moved:
 * within the polynomial's range where the base nearly ties), with it at
 * exactly the max (a tie), with a NaN or an infinity. */
static void near_variant(double *p, const double *z, int rows, int B, int n, int v, int c,
                         gc_pcg32 *rng)
{
    static const double scale[] = {1e-7, 0.5 * TAU, 16.0 * TAU, 1e-7, 1e-7, 1e-7};
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    const int kind = v % 6, cols = n * B, col = v * B + c;
    int k, j;
    top_two(z, rows, B, c, &k, &j);
    for (int i = 0; i < rows; i++)
        p[i * cols + col] = z[i * B + c] + scale[kind] * (2.0 * gc_pcg32_uniform(rng) - 1.0);
    if (kind >= 3 && j >= 0)
        p[j * cols + col] = p[k * cols + col] + (kind == 3 ? 1e-9 : 0.0);
    if (kind == 5 && c == 0)
        p[(int)gc_pcg32_bounded(rng, (uint32_t)rows) * cols + col] = bad[v / 6 % 3];
}

/* values_near against value: random bases (in every fourth column the
 * runner-up 1e-9 below the max: a near tie), their variants by every kind
 * of near_variant, B = 1, 3, 32 and 70 (more than a block of columns),
 * one-hot and soft targets. */
START_TEST(test_softmax_ce_values_near_match_value)
{
    static const int Bs[] = {1, 3, 32, 70};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 14, 2);
    static double p[12 * 4096], z[12 * 70], t[12 * 70];
    for (size_t q = 0; q < sizeof Bs / sizeof Bs[0]; q++)
        for (int rows = 1; rows <= 12; rows += rows < 3 ? 1 : 3) {
            const int B = Bs[q], n = 3000 / B < 4000 / rows ? 3000 / B : 4000 / rows;
            for (int c = 0; c < B; c++) {
                for (int i = 0; i < rows; i++)
                    z[i * B + c] = 3.0 * gc_pcg32_normal(&rng);
                int k, j;
                top_two(z, rows, B, c, &k, &j);
                if (c % 4 == 1 && j >= 0)
                    z[j * B + c] = z[k * B + c] - 1e-9;
                int hot = (int)gc_pcg32_bounded(&rng, (uint32_t)rows);
                double soft = c % 2 ? 0.25 : 0.0;
                for (int i = 0; i < rows; i++)
                    t[i * B + c] = rows == 1 ? 1.0 : i == hot ? 1.0 - soft : soft / (rows - 1);
            }
            for (int v = 0; v < n; v++)
                for (int c = 0; c < B; c++)
                    near_variant(p, z, rows, B, n, v, c, &rng);
            char what[64];
            snprintf(what, sizeof what, "softmax_ce near, rows %d B %d", rows, B);
            values_match_value(&gc_loss_softmax_ce, rows, B, n, p, t, z, what);
        }
}
END_TEST

/* A base z of rows x B logits whose differences are exact (multiples of
 * 2^-6 within +-4), a column w of multiples of 2^-10 within +-1, and
 * changes d (n x B) of multiples of 2^-40: every z_ic + w_i d_vc is exact
 * (its bits span 2^2 to 2^-50), so value(z + w d_v) is the L~ values_line
 * answers for.  Each d_vc is f tau / cmax_c (cmax_c = max_i |w_i - w_k|,
 * k column c's max row) with f by kind v % 5: random in (-1e-3, 1e-3)
 * (deep inside), in (-0.99, 0.99) (|x| up to tau: where a wrong
 * coefficient shows), in 0.99 .. 0.999 of either sign (the edge); kinds 3
 * and 4 as kind 1 but for column v mod B: beyond 1.01 (far), or NaN / Inf
 * (far).  cmax gets the B cmax_c. */
static void line_case(double *z, double *w, double *d, double *cmax, int rows, int B, int n,
                      gc_pcg32 *rng)
{
    for (int i = 0; i < rows; i++)
        w[i] = (double)((int)gc_pcg32_bounded(rng, 2049) - 1024) / 1024.0;
    for (int c = 0; c < B; c++) {
        int k = 0;
        for (int i = 0; i < rows; i++) {
            z[i * B + c] = (double)((int)gc_pcg32_bounded(rng, 513) - 256) / 64.0;
            k = z[i * B + c] > z[k * B + c] ? i : k;
        }
        cmax[c] = 0.0;
        for (int i = 0; i < rows; i++)
            cmax[c] = fmax(cmax[c], fabs(w[i] - w[k]));
    }
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    for (int v = 0; v < n; v++)
        for (int c = 0; c < B; c++) {
            const double r = 2.0 * gc_pcg32_uniform(rng) - 1.0, sg = r < 0 ? -1.0 : 1.0;
            const int kind = v % 5 >= 3 && c != v % B ? 1 : v % 5;
            const double f[] = {1e-3 * r, 0.99 * r, sg * (0.99 + 0.009 * fabs(r)),
                                sg * (1.01 + 16.0 * fabs(r)), 0.0};
            const double x = f[kind] * TAU / (cmax[c] > 0.0 ? cmax[c] : 1.0);
            d[v * B + c] = kind == 4 ? bad[v / 5 % 3] : nearbyint(x * 0x1p40) * 0x1p-40;
        }
}

/* line, then values_line when line takes it: every variant far when it
 * does not. */
static size_t line_far(const gc_loss *loss, double *L, unsigned char *far, const double *w,
                       const double *d, size_t n, const void *state, void *work)
{
    if (!loss->line(work, state, w)) {
        memset(far, 1, n);
        return n;
    }
    return loss->values_line(L, far, d, n, state, work);
}

/* values_line against value at the exact z + w d_v: within the bound where
 * it answers, far exactly where some |d_vc| cmax_c > tau or d_vc is not
 * finite (fewer than 3 rows: every variant far); rows 1 .. 12, B = 1, 3,
 * 20 (a padded group of columns) and 70, one-hot and soft targets. */
START_TEST(test_softmax_ce_values_line_match_value)
{
    const gc_loss *loss = &gc_loss_softmax_ce;
    static const int Bs[] = {1, 3, 20, 70};
    enum { NV = 300, MAXB = 70 };
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 14, 3);
    static double z[12 * MAXB], w[12], t[12 * MAXB], d[NV * MAXB], L[NV], cmax[MAXB];
    static unsigned char far[NV];
    for (int trial = 0; trial < 48; trial++) {
        const int rows = 1 + trial % 12, B = Bs[trial / 12];
        line_case(z, w, d, cmax, rows, B, NV, &rng);
        for (int c = 0; c < B; c++) {
            const int hot = (int)gc_pcg32_bounded(&rng, (uint32_t)rows);
            const double soft = (trial + c) % 2 ? 0.25 : 0.0;
            for (int i = 0; i < rows; i++)
                t[i * B + c] = rows == 1 ? 1.0 : i == hot ? 1.0 - soft : soft / (rows - 1);
        }
        gc_mat Z = {rows, B, z}, T = {rows, B, t};
        void *state = malloc(loss->base_size(rows, B)), *work = malloc(loss->base_size(rows, B));
        ck_assert(state != NULL && work != NULL);
        loss->base(state, &Z, &T);
        size_t nfar = line_far(loss, L, far, w, d, NV, state, work), count = 0;
        gc_mat *P = gc_mat_new(rows, B);
        for (int v = 0; v < NV; v++) {
            int want_far = rows < 3;
            for (int c = 0; c < B; c++)
                want_far |= !(fabs(d[v * B + c]) * cmax[c] <= TAU);
            count += far[v];
            ck_assert_msg(far[v] == want_far, "rows %d B %d: variant %d (kind %d): far %d", rows,
                          B, v, v % 5, far[v]);
            if (far[v])
                continue;
            for (int i = 0; i < rows; i++)
                for (int c = 0; c < B; c++)
                    GC_AT(P, i, c) = z[i * B + c] + w[i] * d[v * B + c];
            const double l1 = loss->value(P, &T), bound = GC_LOSS_VALUES_BOUND(rows) * U * fabs(l1);
            ck_assert_msg(fabs(L[v] - l1) <= bound,
                          "rows %d B %d: variant %d (kind %d): line %.17g, value %.17g, |diff| "
                          "%.3g > %.3g",
                          rows, B, v, v % 5, L[v], l1, fabs(L[v] - l1), bound);
        }
        ck_assert_uint_eq(nfar, count);
        gc_mat_free(P);
        free(state);
        free(work);
    }
}
END_TEST

/* values_line calls every variant far where the line cannot be taken: a
 * base with a NaN or a +Inf logit, or -Inf on the target's row, targets
 * not summing to 1 (in one column of two), a non-finite weight. */
START_TEST(test_softmax_ce_values_line_far)
{
    const gc_loss *loss = &gc_loss_softmax_ce;
    const double d[3] = {0.0, 1e-9, -1e-9};
    double L[3], z[4] = {0.5, -0.25, 1.0, 0.0}, t[4] = {0.0, 1.0, 0.0, 0.0};
    double w[4] = {0.5, 0.25, -0.5, 1.0};
    unsigned char far[3];
    void *state = malloc(loss->base_size(4, 2)), *work = malloc(loss->base_size(4, 2));
    ck_assert(state != NULL && work != NULL);
    gc_mat Z = {4, 1, z}, T = {4, 1, t};
    loss->base(state, &Z, &T);
    ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 0);
    static const double zbad[] = {NAN, INFINITY};
    for (int q = 0; q < 2; q++) {
        z[3] = zbad[q];
        loss->base(state, &Z, &T);
        ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 3);
    }
    /* a logit of -Inf without a target adds e^-Inf = 0: the line is taken,
     * and is the line of the other three */
    z[3] = -INFINITY;
    loss->base(state, &Z, &T);
    ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 0);
    gc_mat Z3 = {3, 1, z}, T3 = {3, 1, t};
    double L3[3];
    void *s3 = malloc(loss->base_size(3, 1));
    ck_assert_ptr_nonnull(s3);
    loss->base(s3, &Z3, &T3);
    ck_assert_uint_eq(line_far(loss, L3, far, w, d, 3, s3, work), 0);
    ck_assert(memcmp(L, L3, sizeof L) == 0);
    free(s3);
    /* with the target on it, the loss is Inf: far */
    t[1] = 0.0;
    t[3] = 1.0;
    loss->base(state, &Z, &T);
    ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 3);
    t[1] = 1.0;
    t[3] = 0.0;
    z[3] = 0.0;
    t[1] = 0.5; /* targets summing to 0.5 */
    loss->base(state, &Z, &T);
    ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 3);
    t[1] = 1.0;
    w[2] = NAN;
    loss->base(state, &Z, &T);
    ck_assert_uint_eq(line_far(loss, L, far, w, d, 3, state, work), 3);
    w[2] = -0.5;
    /* B = 2: both columns' lines taken, then one column's targets summing
     * to 0.5 makes every variant far */
    double z2[8] = {0.5, 0.5, -0.25, -0.25, 1.0, 1.0, 0.0, 0.0}, t2[8] = {0, 0, 1, 1, 0, 0, 0, 0};
    const double d2[6] = {0.0, 1e-9, -1e-9, 0.0, 1e-9, 1e-9};
    gc_mat Z2 = {4, 2, z2}, T2 = {4, 2, t2};
    loss->base(state, &Z2, &T2);
    ck_assert_uint_eq(line_far(loss, L, far, w, d2, 3, state, work), 0);
    t2[3] = 0.5;
    loss->base(state, &Z2, &T2);
    ck_assert_uint_eq(line_far(loss, L, far, w, d2, 3, state, work), 3);
    free(state);
    free(work);
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
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t1, NULL, "special, t = (1, 0)");
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t2, NULL, "special, t = (0, 1)");
    /* values_near: every variant near no base, and near the first */
    const double z[] = {0.5, -0.25};
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t1, z, "special near (0.5, -0.25)");
    values_match_value(&gc_loss_softmax_ce, 2, 1, 8, p, t2, p, "special near the first");
    /* a base with -Inf, +Inf and NaN logits, variants at and near it */
    const double zs[] = {-INFINITY, 1.0, INFINITY, 0.0, NAN, 0.0};
    double ps[6 * 4];
    for (int v = 0; v < 4; v++)
        for (int i = 0; i < 6; i++)
            ps[i * 4 + v] = zs[i] + (v == 0 ? 0.0 : 1e-9 * v);
    const double t6[] = {0.0, 1.0, 0.0, 0.0, 0.0, 0.0};
    values_match_value(&gc_loss_softmax_ce, 6, 1, 4, ps, t6, zs, "special base (-Inf, 1, Inf, 0, NaN, 0)");
}
END_TEST

Suite *make_vmath_suite(void)
{
    Suite *s = suite_create("vmath");
    TCase *tc = tcase_create("vmath");
    tcase_add_test(tc, test_vmath_levels_agree_with_libm);
    tcase_add_test(tc, test_softmax_ce_values_match_value);
    tcase_add_test(tc, test_softmax_ce_values_near_match_value);
    tcase_add_test(tc, test_softmax_ce_values_special);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("line");
    tcase_add_test(tl, test_softmax_ce_values_line_match_value);
    tcase_add_test(tl, test_softmax_ce_values_line_far);
    suite_add_tcase(s, tl);
    return s;
}
