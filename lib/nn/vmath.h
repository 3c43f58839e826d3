/*
 * nn/vmath.h -- exp and log1p over arrays, through the SLEEF vector math
 * library (private).
 *
 * SLEEF's u10 functions are within 1.0 ulp of the exact value (its stated
 * accuracy; measured mean 0.26 ulp, as libm's); libm's scalar exp and log1p
 * are within 1 ulp too.  Every element goes through the same vector
 * function whatever its place in the array (the tail is padded), so a value
 * never depends on how many neighbours it was computed with.  Special
 * values are libm's: NaN gives NaN, exp(-Inf) = 0, log1p(-1) = -Inf.
 */
#ifndef GC_NN_VMATH_H
#define GC_NN_VMATH_H

#include <stddef.h>

/* On a function whose fixed-length loops the compiler vectorises: a version
 * for each x86-64 vector width, the CPU's chosen when the program loads
 * (GCC's and Clang's target_clones); elsewhere the one version. */
#if defined(__x86_64__) && defined(__GNUC__)
#define GC_VCLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GC_VCLONES
#endif

/* The implementations, widest first; the ones this machine's CPU lacks are
 * never chosen by gc_vmath_best. */
typedef enum gc_vmath_level {
    GC_VMATH_SCALAR, /* libm, one element at a time */
    GC_VMATH_SSE2,   /* SLEEF, 2 lanes (every x86-64) */
    GC_VMATH_AVX2,   /* SLEEF, 4 lanes (AVX2 and FMA) */
    GC_VMATH_AVX512, /* SLEEF, 8 lanes (AVX-512F) */
    GC_VMATH_LEVELS
} gc_vmath_level;

/* The accuracy the bounds take for every level and for libm, in ulps of
 * the exact result: 4, above SLEEF's stated 1.0 and libm's measured < 1. */
#define GC_VMATH_ULPS 4.0

/* The widest level this build and this CPU support (checked at run time). */
gc_vmath_level gc_vmath_best(void);

/* Nonzero when level can run here. */
int gc_vmath_available(gc_vmath_level level);

/* y[i] = exp(x[i]) / log1p(x[i]) for i < n at gc_vmath_best(); y may be x. */
void gc_vexp(double *y, const double *x, size_t n);
void gc_vlog1p(double *y, const double *x, size_t n);

/* The same at a given level (an unavailable one runs the scalar level):
 * for the tests that compare the levels. */
void gc_vexp_at(gc_vmath_level level, double *y, const double *x, size_t n);
void gc_vlog1p_at(gc_vmath_level level, double *y, const double *x, size_t n);

#endif
