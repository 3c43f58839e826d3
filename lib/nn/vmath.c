/*
 * vmath.c -- exp and log1p over arrays (nn/vmath.h): SLEEF's vector
 * functions of 1.0-ulp accuracy (Debian's libsleef-dev; the u10 variants,
 * whose mean error is libm's, half of glibc's libmvec's) at the widest
 * width the CPU has, chosen at run time, so one build runs on any x86-64
 * and uses AVX-512 where it is; elsewhere (another architecture) libm's
 * scalar functions.
 */
#include "nn/vmath.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_VEC 1
#include <immintrin.h>

/*
 * SLEEF's entry points for each instruction set (sleef.h declares them
 * without the target, which a vector argument's ABI needs).  The library
 * calls libsleef's names, which only SLEEF defines.  The command is built
 * with GC_SLEEF_GNUABI (Makefile): the same u10 functions, the same
 * machine code, under the x86-64 vector ABI's names from libsleefgnuabi,
 * a library of a few relocations where libsleef's hundreds are resolved at
 * every start.  glibc's libmvec defines those names too, with other
 * functions, and would take them in a program that loaded it first: the
 * command loads no libmvec (checks/nn/check_vmath.c compares the two
 * names' results bit for bit).
 */
#define SSE2_ATTR __attribute__((target("sse2")))
#define AVX2_ATTR __attribute__((target("avx2,fma")))
#define AVX512_ATTR __attribute__((target("avx512f")))
#ifdef GC_SLEEF_GNUABI
#define EXP2 _ZGVbN2v_exp
#define EXP4 _ZGVdN4v_exp
#define EXP8 _ZGVeN8v_exp
#define LOG1P2 _ZGVbN2v_log1p
#define LOG1P4 _ZGVdN4v_log1p
#define LOG1P8 _ZGVeN8v_log1p
#else
#define EXP2 Sleef_expd2_u10sse2
#define EXP4 Sleef_expd4_u10avx2
#define EXP8 Sleef_expd8_u10avx512f
#define LOG1P2 Sleef_log1pd2_u10sse2
#define LOG1P4 Sleef_log1pd4_u10avx2
#define LOG1P8 Sleef_log1pd8_u10avx512f
#endif
SSE2_ATTR __m128d EXP2(__m128d x);
AVX2_ATTR __m256d EXP4(__m256d x);
AVX512_ATTR __m512d EXP8(__m512d x);
SSE2_ATTR __m128d LOG1P2(__m128d x);
AVX2_ATTR __m256d LOG1P4(__m256d x);
AVX512_ATTR __m512d LOG1P8(__m512d x);

/* One function over n elements, W lanes at a time; the last partial vector
 * is padded with zeros in a local copy, so every element goes through the
 * vector function. */
#define VLOOP(name, attr, W, vtype, load, store, fn)                                    \
    attr static void name(double *y, const double *x, size_t n)                         \
    {                                                                                    \
        size_t i = 0;                                                                    \
        for (; i + W <= n; i += W)                                                       \
            store(y + i, fn(load(x + i)));                                               \
        if (i < n) {                                                                     \
            double t[W] = {0.0};                                                         \
            memcpy(t, x + i, (n - i) * sizeof *t);                                       \
            store(t, fn(load(t)));                                                       \
            memcpy(y + i, t, (n - i) * sizeof *t);                                       \
        }                                                                                \
    }

VLOOP(exp_sse2, SSE2_ATTR, 2, __m128d, _mm_loadu_pd, _mm_storeu_pd, EXP2)
VLOOP(exp_avx2, AVX2_ATTR, 4, __m256d, _mm256_loadu_pd, _mm256_storeu_pd, EXP4)
VLOOP(exp_avx512, AVX512_ATTR, 8, __m512d, _mm512_loadu_pd, _mm512_storeu_pd, EXP8)
VLOOP(log1p_sse2, SSE2_ATTR, 2, __m128d, _mm_loadu_pd, _mm_storeu_pd, LOG1P2)
VLOOP(log1p_avx2, AVX2_ATTR, 4, __m256d, _mm256_loadu_pd, _mm256_storeu_pd, LOG1P4)
VLOOP(log1p_avx512, AVX512_ATTR, 8, __m512d, _mm512_loadu_pd, _mm512_storeu_pd, LOG1P8)
#endif

int gc_vmath_available(gc_vmath_level level)
{
    switch (level) {
    case GC_VMATH_SCALAR:
        return 1;
#ifdef HAVE_VEC
    case GC_VMATH_SSE2:
        return 1;
#ifdef GC_VDISPATCH /* what the loader found: no cpuid of libgcc's (nn/vmath.h) */
    case GC_VMATH_AVX2:
        return CPU_FEATURE_ACTIVE(AVX2) && CPU_FEATURE_ACTIVE(FMA);
    case GC_VMATH_AVX512:
        return CPU_FEATURE_ACTIVE(AVX512F);
#else
    case GC_VMATH_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GC_VMATH_AVX512:
        return __builtin_cpu_supports("avx512f");
#endif
#endif
    default:
        return 0;
    }
}

gc_vmath_level gc_vmath_best(void)
{
    for (int l = GC_VMATH_LEVELS - 1; l > GC_VMATH_SCALAR; l--)
        if (gc_vmath_available((gc_vmath_level)l))
            return (gc_vmath_level)l;
    return GC_VMATH_SCALAR;
}

void gc_vexp_at(gc_vmath_level level, double *y, const double *x, size_t n)
{
    if (!gc_vmath_available(level))
        level = GC_VMATH_SCALAR;
    switch (level) {
#ifdef HAVE_VEC
    case GC_VMATH_AVX512:
        exp_avx512(y, x, n);
        return;
    case GC_VMATH_AVX2:
        exp_avx2(y, x, n);
        return;
    case GC_VMATH_SSE2:
        exp_sse2(y, x, n);
        return;
#endif
    default:
        for (size_t i = 0; i < n; i++)
            y[i] = exp(x[i]);
    }
}

void gc_vlog1p_at(gc_vmath_level level, double *y, const double *x, size_t n)
{
    if (!gc_vmath_available(level))
        level = GC_VMATH_SCALAR;
    switch (level) {
#ifdef HAVE_VEC
    case GC_VMATH_AVX512:
        log1p_avx512(y, x, n);
        return;
    case GC_VMATH_AVX2:
        log1p_avx2(y, x, n);
        return;
    case GC_VMATH_SSE2:
        log1p_sse2(y, x, n);
        return;
#endif
    default:
        for (size_t i = 0; i < n; i++)
            y[i] = log1p(x[i]);
    }
}

void gc_vexp(double *y, const double *x, size_t n)
{
    gc_vexp_at(gc_vmath_best(), y, x, n);
}

void gc_vlog1p(double *y, const double *x, size_t n)
{
    gc_vlog1p_at(gc_vmath_best(), y, x, n);
}
