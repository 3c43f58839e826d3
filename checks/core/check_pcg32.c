/*
 * check_pcg32.c -- PCG32 against the reference's published outputs, and the
 * statistical sanity of the draws derived from it.
 *
 * The statistical tests run on fixed seeds, so they are deterministic: each
 * bound is stated with the significance it would have on a fresh seed, and a
 * correct generator passes them by a wide margin.
 */
#include "testutil.h"

#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first six outputs of the reference demo seeded (42, 54) (docs/DESIGN.md §7). */
START_TEST(test_pcg32_reference_outputs)
{
    static const uint32_t want[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                     0x83d2f293, 0xbfa4784b, 0xcbed606e};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        uint32_t got = gc_pcg32_next(&rng);
        ck_assert_msg(got == want[i], "output %d: got 0x%08x, want 0x%08x", i, got, want[i]);
    }
}
END_TEST

/* Replay the reference demo (raw outputs, coins, dice, a card shuffle) and
 * diff its text against fixtures/pcg32/check-pcg32.out (see the README
 * there): 775 draws, most of them through the bounded generator. */
static void demo_transcript(FILE *f)
{
    static const char number[] = "A23456789TJQK";
    static const char suit[] = "hcds";
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 42u, 54u);
    for (int round = 1; round <= 5; round++) {
        fprintf(f, "Round %d:\n  32bit:", round);
        for (int i = 0; i < 6; i++)
            fprintf(f, " 0x%08x", gc_pcg32_next(&rng));
        fprintf(f, "\n  Coins: ");
        for (int i = 0; i < 65; i++)
            fputc(gc_pcg32_bounded(&rng, 2) ? 'H' : 'T', f);
        fprintf(f, "\n  Rolls:");
        for (int i = 0; i < 33; i++)
            fprintf(f, " %d", (int)gc_pcg32_bounded(&rng, 6) + 1);
        int cards[52];
        for (int i = 0; i < 52; i++)
            cards[i] = i;
        for (int i = 52; i > 1; i--) {
            int chosen = (int)gc_pcg32_bounded(&rng, (uint32_t)i);
            int card = cards[chosen];
            cards[chosen] = cards[i - 1];
            cards[i - 1] = card;
        }
        fprintf(f, "\n  Cards:");
        for (int i = 0; i < 52; i++) {
            fprintf(f, " %c%c", number[cards[i] / 4], suit[cards[i] % 4]);
            if ((i + 1) % 22 == 0)
                fprintf(f, "\n\t");
        }
        fprintf(f, "\n\n");
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 > cap) {
            cap = 2 * cap + 4096;
            char *p = realloc(buf, cap);
            if (p == NULL)
                break;
            buf = p;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    return buf;
}

START_TEST(test_pcg32_reference_demo_transcript)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pcg32/check-pcg32.out", tu_fixtures());
    size_t want_len = 0;
    char *want = slurp(path, &want_len);
    ck_assert_msg(want != NULL, "cannot read %s", path);

    char *got = NULL;
    size_t got_len = 0;
    FILE *f = open_memstream(&got, &got_len);
    ck_assert_ptr_nonnull(f);
    demo_transcript(f);
    fclose(f);

    size_t i = 0;
    while (i < got_len && i < want_len && got[i] == want[i])
        i++;
    ck_assert_msg(i == got_len && i == want_len,
                  "transcript differs from %s at byte %zu: got \"%.40s\", want \"%.40s\"",
                  path, i, got + (i < got_len ? i : got_len), want + (i < want_len ? i : want_len));
    free(got);
    free(want);
}
END_TEST

/* The same seed gives the same sequence; a different stream (initseq) or a
 * different initial state gives a different one. */
START_TEST(test_pcg32_streams_and_seeds)
{
    gc_pcg32 a, b, c, d;
    gc_pcg32_seed(&a, 7u, 1u);
    gc_pcg32_seed(&b, 7u, 1u);
    gc_pcg32_seed(&c, 7u, 2u);
    gc_pcg32_seed(&d, 8u, 1u);
    int same_c = 0, same_d = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = gc_pcg32_next(&a);
        ck_assert_uint_eq(x, gc_pcg32_next(&b));
        same_c += x == gc_pcg32_next(&c);
        same_d += x == gc_pcg32_next(&d);
    }
    /* Two independent 32-bit streams agree at a position with probability
     * 2^-32: over 1000 positions, any agreement at all is a red flag. */
    ck_assert_int_eq(same_c, 0);
    ck_assert_int_eq(same_d, 0);
}
END_TEST

/* gc_pcg32_uniform is k / 2^53 with k = (out1 >> 5) * 2^26 + (out2 >> 6):
 * for (42, 54) the first two outputs are 0xa15c02b7 and 0x7b47f409, so
 * k = 0x050ae015 * 2^26 + 0x01ed1fd0 and the value follows exactly. */
START_TEST(test_pcg32_uniform_known_value)
{
    const double k = (double)(0xa15c02b7u >> 5) * 67108864.0 + (double)(0x7b47f409u >> 6);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 42u, 54u);
    double u = gc_pcg32_uniform(&rng);
    ck_assert_msg(u == k / 9007199254740992.0, "got %.17g, want %.17g", u, k / 9007199254740992.0);
    /* The third output starts the next double. */
    ck_assert_uint_eq(gc_pcg32_next(&rng), 0xba1d3330u);
}
END_TEST

/* Bounded draws stay in range and are uniform: Pearson's chi-square over
 * 10^5 draws into 10 cells has 9 degrees of freedom; its 0.1% critical
 * value is 27.877, so a uniform generator exceeds it once in 1000 seeds.
 * Bound 10 is not a power of two, so modulo bias (which the rejection step
 * removes) would otherwise be present. */
START_TEST(test_pcg32_bounded_chi_square)
{
    enum { N = 100000, K = 10 };
    long count[K] = {0};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 2024u, 11u);
    for (int i = 0; i < N; i++) {
        uint32_t r = gc_pcg32_bounded(&rng, K);
        ck_assert_uint_lt(r, K);
        count[r]++;
    }
    double expect = (double)N / K, chi2 = 0;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - expect) * (count[k] - expect) / expect;
    ck_assert_msg(chi2 <= 27.877, "chi-square %.3f > 27.877 (9 dof, p = 0.001)", chi2);

    /* A bound just above 2^31 rejects almost half of the raw outputs: the
     * draws must still be in range. */
    const uint32_t big = 0x80000001u;
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(gc_pcg32_bounded(&rng, big), big);
    ck_assert_uint_eq(gc_pcg32_bounded(&rng, 1), 0);
}
END_TEST

/* Uniform doubles lie in [0, 1); over n = 10^5 draws the mean of U[0,1) has
 * standard deviation sqrt(1/12/n) = 9.1e-4 and the sample variance about
 * sqrt((1/80 - 1/144)/n) = 2.4e-4: both must be within 5 sigma of 1/2 and
 * 1/12.  N(0,1) deviates: mean within 5 sqrt(1/n) = 0.016 of 0, variance
 * within 5 sqrt(2/n) = 0.022 of 1. */
START_TEST(test_pcg32_uniform_and_normal_moments)
{
    enum { N = 100000 };
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 99u, 3u);
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        double u = gc_pcg32_uniform(&rng);
        ck_assert_msg(u >= 0.0 && u < 1.0, "draw %d: %.17g not in [0, 1)", i, u);
        s += u;
        s2 += u * u;
    }
    double mean = s / N, var = s2 / N - mean * mean;
    ck_assert_msg(fabs(mean - 0.5) <= 5 * 9.13e-4, "uniform mean %.6f", mean);
    ck_assert_msg(fabs(var - 1.0 / 12) <= 5 * 2.36e-4, "uniform variance %.6f", var);

    s = s2 = 0;
    for (int i = 0; i < N; i++) {
        double z = gc_pcg32_normal(&rng);
        ck_assert_msg(isfinite(z), "normal draw %d not finite", i);
        s += z;
        s2 += z * z;
    }
    mean = s / N;
    var = s2 / N - mean * mean;
    ck_assert_msg(fabs(mean) <= 5 * sqrt(1.0 / N), "normal mean %.6f", mean);
    ck_assert_msg(fabs(var - 1.0) <= 5 * sqrt(2.0 / N), "normal variance %.6f", var);
}
END_TEST

Suite *make_pcg32_suite(void)
{
    Suite *s = suite_create("pcg32");
    TCase *tc = tcase_create("known_answers");
    tcase_add_test(tc, test_pcg32_reference_outputs);
    tcase_add_test(tc, test_pcg32_reference_demo_transcript);
    tcase_add_test(tc, test_pcg32_uniform_known_value);
    tcase_add_test(tc, test_pcg32_streams_and_seeds);
    suite_add_tcase(s, tc);
    tc = tcase_create("statistics");
    tcase_add_test(tc, test_pcg32_bounded_chi_square);
    tcase_add_test(tc, test_pcg32_uniform_and_normal_moments);
    suite_add_tcase(s, tc);
    return s;
}
