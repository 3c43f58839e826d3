/*
 * check_noise.c -- the measured float32 noise (lib/engine/noise.c): ECnoise
 * recovers a known noise level from a smooth function plus noise, and says
 * which sequences it cannot measure.  That the measured δ is what keeps
 * correct float code from being refuted is checked by the block suite
 * (checks/examples/check_block.c), which a build with -DGC_NOISE_KAPPA=0
 * (δ the double sum's rounding alone) fails.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/noise.h"

#define DRAWS 2000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* f_k = a smooth cubic at spacing 1e-3 plus Gaussian noise of σ = 1e-7:
 * the estimate's median is within 20% of σ (the γ_k weights make σ_k² an
 * unbiased estimate of σ² for independent noise), it is found in at least
 * 95% of draws, below σ / 2 in at most 12% and below σ / 4 in at most
 * 1.5%: the lower tail GC_NOISE_KAPPA's margin is sized for
 * (docs/measurements.md, "The measured float32 noise"). */
START_TEST(test_noise_table_recovers_sigma)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 0x2011u, 54u);
    static double ratio[DRAWS];
    int found = 0, low = 0, quarter = 0;
    const double sigma = 1e-7;
    for (int r = 0; r < DRAWS; r++) {
        double f[GC_NOISE_POINTS], x0 = gc_pcg32_uniform(&rng), s;
        for (int k = 0; k < GC_NOISE_POINTS; k++) {
            double x = x0 + 1e-3 * k;
            f[k] = 1.0 + x + 0.5 * x * x - x * x * x / 6.0 + sigma * gc_pcg32_normal(&rng);
        }
        if (gc_noise_table(f, GC_NOISE_POINTS, &s) != GC_NOISE_FOUND) {
            ratio[r] = 0.0;
            continue;
        }
        found++;
        ratio[r] = s / sigma;
        low += ratio[r] < 0.5;
        quarter += ratio[r] < 0.25;
    }
    qsort(ratio, DRAWS, sizeof ratio[0], cmp_double);
    double median = ratio[DRAWS / 2];
    fprintf(stderr, "noise: found %d of %d, median sigma/true %.3f, below half %d, below a quarter %d\n",
            found, DRAWS, median, low, quarter);
    ck_assert_msg(found >= DRAWS * 95 / 100, "noise found in %d of %d draws", found, DRAWS);
    ck_assert_msg(fabs(median - 1.0) <= 0.2, "median estimate %.3f of the true sigma", median);
    ck_assert_msg(low <= DRAWS * 12 / 100 && quarter <= DRAWS * 15 / 1000,
                  "below half the true sigma in %d of %d, below a quarter in %d", low, DRAWS,
                  quarter);
}
END_TEST

/* What cannot be measured says so: a constant (too small a spacing), an
 * exact line (no rounding that varies), a function whose values differ by
 * more than 10% (too large), a NaN. */
START_TEST(test_noise_table_informs)
{
    double f[GC_NOISE_POINTS], s;
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        f[k] = 2.5;
    ck_assert_int_eq(gc_noise_table(f, GC_NOISE_POINTS, &s), GC_NOISE_TOO_SMALL);
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        f[k] = 2.5 + 0.125 * k;
    ck_assert_int_eq(gc_noise_table(f, GC_NOISE_POINTS, &s), GC_NOISE_TOO_LARGE);
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        f[k] = 100.0 + 0.125 * k;
    ck_assert_int_eq(gc_noise_table(f, GC_NOISE_POINTS, &s), GC_NOISE_EXACT);
    ck_assert(s == 0.0);
    for (int k = 0; k < GC_NOISE_POINTS; k++)
        f[k] = 1000.0 + 0.5 * k * k; /* exact in double: Δ³ f = 0 */
    ck_assert_int_eq(gc_noise_table(f, GC_NOISE_POINTS, &s), GC_NOISE_EXACT);
    f[3] = NAN;
    ck_assert_int_eq(gc_noise_table(f, GC_NOISE_POINTS, &s), GC_NOISE_TOO_LARGE);
    ck_assert(s == 0.0);
}
END_TEST

/* ---- a float function whose rounding its loss does not show ---------------- */

#define NOISY_N 8
#define NOISY_POINTS 100

/* L = (A + Σ θ²) - A in float, A = *ctx: every += rounds at ulp(A), so L (of
 * order 1) carries noise ~ulp(A), far above the modelled κ u S ~ 4 u |L|:
 * 2^-19 for A = 30 ... 2^-12 for A = 3000. */
static double noisy_f(void *ctx, const void *theta)
{
    const float A = *(const float *)ctx, *x = theta;
    float s = A;
    for (int j = 0; j < NOISY_N; j++)
        s += x[j] * x[j];
    return (double)(s - A);
}

static void noisy_g(void *ctx, void *grad, const void *theta)
{
    (void)ctx;
    const float *x = theta;
    float *g = grad;
    for (int j = 0; j < NOISY_N; j++)
        g[j] = 2.0f * x[j];
}

/* Offsets 30, 300, 3000, NOISY_POINTS points each (θ uniform in [-1, 1),
 * half of them with |θ| in [0.5, 1), where the float steps of L line up
 * most often): never refuted, the measured noise bounding the difference.
 * With the noise taken as the double sum's rounding (a build with
 * -DGC_NOISE_KAPPA=0) the float noise refutes the correct gradient. */
START_TEST(test_noisy_float32_never_refuted)
{
    const float offsets[] = {30.0f, 300.0f, 3000.0f};
    for (int o = 0; o < 3; o++) {
        gc_pcg32 rng;
        gc_pcg32_seed(&rng, 0x3000u, (uint64_t)o);
        int confirmed = 0, undecided = 0;
        for (int r = 0; r < NOISY_POINTS; r++) {
            float theta[NOISY_N];
            for (int j = 0; j < NOISY_N; j++) {
                double u = gc_pcg32_uniform(&rng);
                theta[j] = (float)(r % 2 ? 2.0 * u - 1.0 : (0.5 + 0.5 * u) * (u < 0.5 ? -1 : 1));
            }
            gc_scalar s = {.dtype = GC_DTYPE_F32, .n = NOISY_N, .f = noisy_f, .g = noisy_g,
                           .ctx = (void *)&offsets[o]};
            gc_report *rep = NULL;
            ck_assert_int_eq(gc_check_scalar(&s, theta, NULL, &rep, NULL), GC_OK);
            if (gc_report_status(rep) == GC_STATUS_REFUTED)
                gc_report_write_text(rep, stderr);
            ck_assert_msg(gc_report_status(rep) != GC_STATUS_REFUTED,
                          "offset %g point %d: a correct noisy float function refuted (%d fail)",
                          offsets[o], r, rep->nfail);
            confirmed += gc_report_status(rep) == GC_STATUS_CONFIRMED;
            undecided += gc_report_status(rep) == GC_STATUS_UNDECIDED;
            gc_report_free(rep);
        }
        fprintf(stderr, "noise: (%g + sum x^2) - %g in float: %d confirmed, %d undecided of %d\n",
                offsets[o], offsets[o], confirmed, undecided, NOISY_POINTS);
    }
}
END_TEST

Suite *make_noise_suite(void)
{
    Suite *s = suite_create("noise");
    TCase *tc = tcase_create("noise");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_noise_table_recovers_sigma);
    tcase_add_test(tc, test_noise_table_informs);
    tcase_add_test(tc, test_noisy_float32_never_refuted);
    suite_add_tcase(s, tc);
    return s;
}
