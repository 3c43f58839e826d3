/*
 * check_sleef_names.c -- the command's SLEEF functions are the library's:
 * lib/nn/vmath.c built with GC_SLEEF_GNUABI (the command, Makefile) calls
 * libsleefgnuabi's vector-ABI names, the library libsleef's own; at every
 * width this CPU runs, both give the same bits for the same arguments
 * (wide ranges, the tails of exp and log1p, special values), and the
 * vector-ABI names come from SLEEF's library, not glibc's libmvec (which
 * defines the same names with other functions); the command loads
 * libsleefgnuabi and neither libmvec nor libsleef.
 */
#define _GNU_SOURCE /* dladdr */
#include <check.h>
#include <gradcheck.h>

#include "cli_run.h"

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SSE2_ATTR __attribute__((target("sse2")))
#define AVX2_ATTR __attribute__((target("avx2,fma")))
#define AVX512_ATTR __attribute__((target("avx512f")))
SSE2_ATTR __m128d Sleef_expd2_u10sse2(__m128d x);
AVX2_ATTR __m256d Sleef_expd4_u10avx2(__m256d x);
AVX512_ATTR __m512d Sleef_expd8_u10avx512f(__m512d x);
SSE2_ATTR __m128d Sleef_log1pd2_u10sse2(__m128d x);
AVX2_ATTR __m256d Sleef_log1pd4_u10avx2(__m256d x);
AVX512_ATTR __m512d Sleef_log1pd8_u10avx512f(__m512d x);
SSE2_ATTR __m128d _ZGVbN2v_exp(__m128d x);
AVX2_ATTR __m256d _ZGVdN4v_exp(__m256d x);
AVX512_ATTR __m512d _ZGVeN8v_exp(__m512d x);
SSE2_ATTR __m128d _ZGVbN2v_log1p(__m128d x);
AVX2_ATTR __m256d _ZGVdN4v_log1p(__m256d x);
AVX512_ATTR __m512d _ZGVeN8v_log1p(__m512d x);

/* y = f(x) and z = g(x), W lanes at a time, n a multiple of 8. */
#define PAIR(name, attr, vtype, W, load, store)                                               \
    attr static void name(vtype (*f)(vtype), vtype (*g)(vtype), const double *x, double *y, \
                          double *z, size_t n)                                              \
    {                                                                                        \
        for (size_t i = 0; i < n; i += W) {                                                  \
            store(y + i, f(load(x + i)));                                                    \
            store(z + i, g(load(x + i)));                                                    \
        }                                                                                    \
    }
PAIR(pair2, SSE2_ATTR, __m128d, 2, _mm_loadu_pd, _mm_storeu_pd)
PAIR(pair4, AVX2_ATTR, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd)
PAIR(pair8, AVX512_ATTR, __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd)

#define N 8192

/* Arguments over [lo, hi], then the special ones, one of each per lane
 * position. */
static void args(double *x, double lo, double hi)
{
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -1.0, 709.8, -745.2,
                                     1e-300, -1e-300, 5e-324, 0x1p-1022, -0.999999, 1e308,
                                     708.5, -708.5};
    const size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < N; i++)
        x[i] = i < N - ns ? lo + (hi - lo) * (double)i / (double)(N - ns - 1) : special[i - (N - ns)];
}

static void same_bits(const double *x, const double *y, const double *z, const char *what)
{
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(memcmp(&y[i], &z[i], sizeof y[i]) == 0,
                      "%s: x=%.17g: libsleef %.17g (%a), libsleefgnuabi %.17g (%a)", what, x[i],
                      y[i], y[i], z[i], z[i]);
}

/* The library that defines the function at p holds "sleef" in its name. */
static void from_sleef(const void *p, const char *name)
{
    Dl_info info;
    ck_assert_msg(dladdr(p, &info) != 0 && info.dli_fname != NULL, "%s: no library", name);
    ck_assert_msg(strstr(info.dli_fname, "libsleefgnuabi") != NULL, "%s comes from %s", name,
                  info.dli_fname);
}

/* x[0..N) through libsleef's fn and libsleefgnuabi's at every width this
 * CPU runs, the results compared bit for bit (x, y, z: the test's arrays). */
#define SAME_AT_EVERY_WIDTH(fn)                                                  \
    do {                                                                         \
        pair2(Sleef_##fn##d2_u10sse2, _ZGVbN2v_##fn, x, y, z, N);                \
        same_bits(x, y, z, #fn ", 2 lanes");                                     \
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {   \
            pair4(Sleef_##fn##d4_u10avx2, _ZGVdN4v_##fn, x, y, z, N);            \
            same_bits(x, y, z, #fn ", 4 lanes");                                 \
        }                                                                        \
        if (__builtin_cpu_supports("avx512f")) {                                 \
            pair8(Sleef_##fn##d8_u10avx512f, _ZGVeN8v_##fn, x, y, z, N);         \
            same_bits(x, y, z, #fn ", 8 lanes");                                 \
        }                                                                        \
    } while (0)

START_TEST(test_sleef_names_same_bits)
{
    static double x[N], y[N], z[N];
    static const double range[][2] = {{-745.5, 710.0}, {-1.0, 1.0}, {-1e-8, 1e-8}};
    static const double lrange[][2] = {{-1.0, 1e6}, {-0.5, 0.5}, {-1e-8, 1e-8}};
    from_sleef((const void *)(uintptr_t)_ZGVbN2v_exp, "_ZGVbN2v_exp");
    from_sleef((const void *)(uintptr_t)_ZGVbN2v_log1p, "_ZGVbN2v_log1p");
    for (size_t r = 0; r < 3; r++) {
        args(x, range[r][0], range[r][1]);
        SAME_AT_EVERY_WIDTH(exp);
        args(x, lrange[r][0], lrange[r][1]);
        SAME_AT_EVERY_WIDTH(log1p);
    }
}
END_TEST

/* What the dynamic linker maps for the command (ldd, glibc's). */
START_TEST(test_command_loads_sleefgnuabi)
{
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"ldd", gc_bin(), NULL};
    result r;
    run_prog(dir, "ldd", args, &r);
    ck_assert_msg(r.status == 0, "ldd %s: status %d: %s", gc_bin(), r.status, r.err);
    ck_assert_msg(strstr(r.out, "libsleefgnuabi.so") != NULL, "no libsleefgnuabi:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "libmvec") == NULL, "libmvec loaded:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "libsleef.so") == NULL, "libsleef loaded too:\n%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST
#endif

Suite *make_sleef_names_suite(void)
{
    Suite *s = suite_create("sleef_names");
    TCase *tc = tcase_create("names");
#if defined(__x86_64__) && defined(__GNUC__)
    tcase_add_test(tc, test_sleef_names_same_bits);
    tcase_add_test(tc, test_command_loads_sleefgnuabi);
#endif
    suite_add_tcase(s, tc);
    return s;
}
