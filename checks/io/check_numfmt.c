/*
 * check_numfmt.c -- machine-format numbers (lib/io/numfmt.c, g17.c):
 *
 * - a '.' as the decimal point in every locale;
 * - gc_numfmt_g17 writes what snprintf's "%.17g" writes, byte for byte: on
 *   random bit patterns (every exponent, subnormals, NaN, infinities), on
 *   random values of every magnitude the reports carry, on exact ties
 *   (doubles whose 18th significant digit is the last and a 5: printf
 *   rounds them half to even), on the neighbours of powers of ten (where
 *   the exponent estimate is off by one), on integers and on short
 *   decimals (1 to 17 digits: every count of trailing zeros);
 * - gc_numfmt_json17 writes what jansson writes for a real at precision 17,
 *   and nothing (length 0) for NaN and the infinities: on the same random
 *   values, and on the boundaries of its paths (powers of ten and their
 *   neighbours, every binade's ends, ties, integers as reals, -0, DBL_MAX);
 * - gc_numfmt_json17_fields writes each prefix and then that text, NaN and
 *   the infinities as the report's strings.
 */
#include <check.h>
#include <gradcheck.h>
#include <io/numfmt.h>
#include <jansson.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_testutil.h"

/* Machine formats write '.' in every locale: printf's %g and %e write
 * LC_NUMERIC's decimal point, so a program that set LC_NUMERIC to de_DE
 * got "0,5" in JUnit XML.  The writers (JUnit, netfile) pass every number
 * through gc_numfmt_point: tested here with ',' as the point (no comma
 * locale needs to exist), and on the JUnit writer itself when the machine
 * has a comma locale (the test's machine may have only C and POSIX). */
START_TEST(test_numbers_use_a_point_in_every_locale)
{
    static const char *const in[] = {"0,5", "-1,25e-07", "1e+06", "nan", "-inf", "3"};
    static const char *const out[] = {"0.5", "-1.25e-07", "1e+06", "nan", "-inf", "3"};
    for (int i = 0; i < 6; i++) {
        char buf[32];
        strcpy(buf, in[i]);
        gc_numfmt_point(buf, ",");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with ',' as point: '%s', expected '%s'",
                      in[i], buf, out[i]);
        strcpy(buf, out[i]);
        gc_numfmt_point(buf, ".");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with '.' as point: '%s'", out[i], buf);
    }
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL; /* the name we asked for (setlocale's own string is overwritten) */
    for (int i = 0; i < 4 && got == NULL; i++)
        if (setlocale(LC_NUMERIC, comma[i]) != NULL)
            got = comma[i];
    if (got == NULL || strcmp(localeconv()->decimal_point, ",") != 0) {
        setlocale(LC_NUMERIC, "C");
        return; /* no comma locale on this machine: the helper's test above */
    }
    gc_net *net = tu_small_net();
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.eps = 0.5e-6;
    o.rtol = 0.25; /* mse's gradient is right: no failure, properties only */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    int rc = gc_report_write_junit(r, f);
    fclose(f);
    setlocale(LC_NUMERIC, "C");
    ck_assert_int_eq(rc, GC_OK);
    ck_assert_msg(strstr(buf, "name=\"eps\" value=\"5e-07\"") != NULL, "eps in %s: %s", got, buf);
    ck_assert_msg(strstr(buf, "name=\"rtol\" value=\"0.25\"") != NULL, "rtol in %s: %s", got, buf);
    free(buf);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

static uint64_t next64(gc_pcg32 *g)
{
    return (uint64_t)gc_pcg32_next(g) << 32 | gc_pcg32_next(g);
}

/* o / 2^e with o odd, chosen so that o·5^e (the digits of o / 2^e) has 18
 * digits: the 18th is a 5, the value a tie at 17 digits. */
static double tie(gc_pcg32 *g)
{
    int e = 2 + (int)(gc_pcg32_next(g) % 23); /* 5^e < 10^17: some o fits */
    uint64_t p5 = 1;
    for (int j = 0; j < e; j++)
        p5 *= 5;
    uint64_t lo = 100000000000000000ull / p5 + 1, hi = 999999999999999999ull / p5;
    if (hi >= (1ull << 53))
        hi = (1ull << 53) - 1;
    uint64_t o = (lo + next64(g) % (hi - lo + 1)) | 1u;
    if (o > hi)
        o -= 2;
    return ldexp((double)o, -e);
}

static double candidate(gc_pcg32 *g, int kind)
{
    uint64_t bits = next64(g);
    double v;
    switch (kind) {
    case 0: /* any bit pattern */
        memcpy(&v, &bits, sizeof v);
        return v;
    case 1: /* 1e-40 .. 1e20, both signs */
        v = gc_pcg32_uniform(g) * pow(10, (int)(gc_pcg32_next(g) % 60) - 40);
        return bits & 1 ? -v : v;
    case 2:
        return tie(g);
    case 3: { /* 10^k and its neighbours */
        v = pow(10, (int)(gc_pcg32_next(g) % 80) - 40);
        int step = (int)(gc_pcg32_next(g) % 5) - 2;
        for (; step < 0; step++)
            v = nextafter(v, 0);
        for (; step > 0; step--)
            v = nextafter(v, INFINITY);
        return v;
    }
    case 4: /* integers up to 2^53 */
        return (double)(bits >> (11 + gc_pcg32_next(g) % 53));
    default: { /* 1 to 17 random digits at 10^-30 .. 10^30: every count of trailing zeros */
        char text[48];
        int nd = 1 + (int)(gc_pcg32_next(g) % 17);
        snprintf(text, sizeof text, "%llue%d", (unsigned long long)(bits % 100000000000000000ull) /
                 (unsigned long long)pow(10, 17 - nd), (int)(gc_pcg32_next(g) % 61) - 30);
        return strtod(text, NULL);
    }
    }
}

START_TEST(test_g17_matches_printf)
{
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 17, 5);
    long ties = 0;
    for (long i = 0; i < 300000; i++) {
        double v = candidate(&g, (int)(i % 6));
        char got[32], want[32];
        int n = gc_numfmt_g17(got, v), m = snprintf(want, sizeof want, "%.17g", v);
        ck_assert_msg(n == m && strcmp(got, want) == 0, "%a: got %s, printf %s", v, got, want);
        if (i % 6 == 2) {
            char all[40]; /* the tie's 18 digits are exact: %.17e shows them */
            snprintf(all, sizeof all, "%.17e", v);
            ties += all[18] == '5';
        }
    }
    ck_assert_int_eq(ties, 50000); /* every tie() is one */
    /* each binade's ends: the decimal exponent is one per binade or changes
     * inside it once, and g17 estimates it from the binary exponent alone */
    for (int b = -1074; b <= 1023; b++) {
        double ends[2] = {ldexp(1.0, b), b < 1023 ? nextafter(ldexp(1.0, b + 1), 0) : DBL_MAX};
        for (int i = 0; i < 2; i++) {
            char got[32], want[32];
            gc_numfmt_g17(got, ends[i]);
            snprintf(want, sizeof want, "%.17g", ends[i]);
            ck_assert_msg(strcmp(got, want) == 0, "%a: got %s, printf %s", ends[i], got, want);
        }
    }
    const double fixed[] = {0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e17, 1e-5, 1e-4,
                            99999999999999984.0, 0.1, 1.0, -1.0, 1e16, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        char got[32], want[32];
        gc_numfmt_g17(got, fixed[i]);
        snprintf(want, sizeof want, "%.17g", fixed[i]);
        ck_assert_msg(strcmp(got, want) == 0, "%a: got %s, printf %s", fixed[i], got, want);
    }
}
END_TEST

START_TEST(test_json17_matches_jansson)
{
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 18, 5);
    for (long i = 0; i < 60000; i++) {
        double v = candidate(&g, (int)(i % 6));
        char got[32];
        if (!isfinite(v)) { /* jansson has no real for them; the writer spells them */
            ck_assert_msg(gc_numfmt_json17(got, v) == 0, "%a: a length for a non-number", v);
            continue;
        }
        gc_numfmt_json17(got, v);
        json_t *j = json_real(v);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        ck_assert_msg(strcmp(got, want) == 0, "%a: got %s, jansson %s", v, got, want);
        free(want);
        json_decref(j);
    }
    const double none[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        char got[32];
        ck_assert_msg(gc_numfmt_json17(got, none[i]) == 0, "%a: a length for a non-number", none[i]);
    }
}
END_TEST

/* jansson's text of a finite v at precision 17 against gc_numfmt_json17's. */
static void json17_is_jansson(double v)
{
    char got[32];
    int n = gc_numfmt_json17(got, v);
    json_t *j = json_real(v);
    char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    ck_assert_msg(n == (int)strlen(want) && strcmp(got, want) == 0, "%a: got %s (%d), jansson %s",
                  v, got, n, want);
    ck_assert_msg(n <= GC_NUMFMT_JSON17_MAX, "%a: %d characters, more than the most", v, n);
    free(want);
    json_decref(j);
}

/* The boundaries of json17's paths: the decimal exponent's change inside a
 * binade (every power of ten from 1e-99 to 1e99 as strtod reads it, and
 * its four neighbours each side: the table of where the next power of ten
 * starts, and jansson's exponent text from a table from e-99 to e-5), each
 * binade's ends (every exponent of the double range, subnormals
 * included), both signs; halfway cases at 17 digits; integers written as
 * reals ("3.0"); zero, -0, the least subnormal, DBL_MAX. */
START_TEST(test_json17_boundaries)
{
    for (int k = -99; k <= 99; k++) {
        char text[16];
        snprintf(text, sizeof text, "1e%d", k);
        double p = strtod(text, NULL), lo = p, hi = p;
        for (int step = 0; step <= 4; step++) {
            for (int sign = 1; sign >= -1; sign -= 2) {
                json17_is_jansson(sign * lo);
                json17_is_jansson(sign * hi);
            }
            lo = nextafter(lo, 0);
            hi = nextafter(hi, INFINITY);
        }
    }
    for (int b = -1074; b <= 1023; b++) {
        double ends[2] = {ldexp(1.0, b), b < 1023 ? nextafter(ldexp(1.0, b + 1), 0) : DBL_MAX};
        for (int i = 0; i < 2; i++) {
            json17_is_jansson(ends[i]);
            json17_is_jansson(-ends[i]);
        }
    }
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 19, 5);
    for (int i = 0; i < 20000; i++) /* exact ties at the 17th digit */
        json17_is_jansson(tie(&g));
    const double fixed[] = {0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, DBL_MAX,
                            -DBL_MAX, 1.0, 3.0, -3.0, 123456.0, 4503599627370496.0,
                            9007199254740992.0, 1e15, 1e16, 1e17, 99999999999999984.0,
                            0.5, 1e-5, 1e-4, 9.9999999999999991e-6};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        json17_is_jansson(fixed[i]);
}
END_TEST

/* gc_numfmt_json17_fields: each field's prefix then its number as
 * gc_numfmt_json17 writes it (NaN and the infinities as the strings the
 * report's schema spells them), fields of every path in a row. */
START_TEST(test_json17_fields)
{
    static const char pre[4][32] = {",\n      \"a\": ", "", "x", ",\n      \"a_long_key_at_27\": "};
    const unsigned char len[4] = {(unsigned char)strlen(pre[0]), 0, 1, (unsigned char)strlen(pre[3])};
    gc_pcg32 g;
    gc_pcg32_seed(&g, gc_ck_base_seed() + 20, 5);
    for (int i = 0; i < 20000; i++) {
        double v[4];
        for (int f = 0; f < 4; f++)
            v[f] = candidate(&g, (i + f) % 6);
        if (i % 7 == 0)
            v[i % 4] = (i / 7) % 3 == 0 ? NAN : (i / 7) % 3 == 1 ? INFINITY : -INFINITY;
        char got[4 * 64 + 1], want[4 * 64 + 1];
        char *end = gc_numfmt_json17_fields(got, 4, v, pre, len), *w = want;
        for (int f = 0; f < 4; f++) {
            memcpy(w, pre[f], len[f]);
            w += len[f];
            int n = gc_numfmt_json17(w, v[f]);
            if (n == 0)
                n = sprintf(w, "%s", isnan(v[f]) ? "\"nan\"" : v[f] > 0 ? "\"inf\"" : "\"-inf\"");
            w += n;
        }
        *w = '\0';
        ck_assert_int_eq((int)(end - got), (int)(w - want));
        *end = '\0';
        ck_assert_msg(strcmp(got, want) == 0, "%a %a %a %a: got %s, want %s", v[0], v[1], v[2],
                      v[3], got, want);
    }
}
END_TEST

Suite *make_numfmt_suite(void)
{
    Suite *s = suite_create("numfmt");
    TCase *tc = tcase_create("point");
    tcase_add_test(tc, test_numbers_use_a_point_in_every_locale);
    suite_add_tcase(s, tc);
    TCase *g = tcase_create("g17");
    /* 300,000 numbers against printf take seconds under ASan on a loaded
     * machine: more than Check's default 4 s */
    tcase_set_timeout(g, 30);
    tcase_add_test(g, test_g17_matches_printf);
    tcase_add_test(g, test_json17_matches_jansson);
    tcase_add_test(g, test_json17_boundaries);
    tcase_add_test(g, test_json17_fields);
    suite_add_tcase(s, g);
    return s;
}
