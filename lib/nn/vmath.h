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

/*
 * A function whose fixed-length loops the compiler vectorises, defined as
 *
 *     GC_VFUNC(int, name, (double *y, int n), (y, n)) { ...body... }
 *     GC_VVOID(name, (double *y, int n), (y, n)) { ...body... }
 *
 * (return type, name, parameters, the same as arguments): on x86-64 a
 * version of the body for each vector width (AVX-512F, AVX2, the
 * baseline), the CPU's chosen when the program loads.  With glibc's
 * <sys/platform/x86.h> the choice reads what the dynamic loader already
 * found (CPU_FEATURE_ACTIVE, an IFUNC resolver of our own): GCC's
 * target_clones asks libgcc, which runs cpuid again in every process,
 * each a trap to the hypervisor on a VM.  Without that header (or GCC's
 * noplt, which the resolver needs: Clang), and under AddressSanitizer
 * (whose checks in the resolver would run before its run time is set
 * up), target_clones; elsewhere the one version.  Every version computes the same IEEE operations, so the
 * choice changes no value.
 */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_include) && \
    defined(__has_attribute)
#if __has_include(<sys/platform/x86.h>) && __has_attribute(noplt) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define GC_VDISPATCH 1
#include <sys/platform/x86.h>
/* Called through the GOT, not the PLT: a resolver runs while the program
 * is relocated, before its PLT entries are. */
extern const struct cpuid_feature *__x86_get_cpuid_feature_leaf(unsigned int)
    __attribute__((noplt));
#endif
#endif

#ifdef GC_VDISPATCH
#define GC_VVERSIONS_(ret, name, params, args, ret_kw)                                         \
    static inline __attribute__((always_inline)) ret name##_body params;                      \
    __attribute__((target("avx512f"))) static ret name##_avx512 params                         \
    {                                                                                          \
        ret_kw name##_body args;                                                               \
    }                                                                                          \
    __attribute__((target("avx2"))) static ret name##_avx2 params                              \
    {                                                                                          \
        ret_kw name##_body args;                                                               \
    }                                                                                          \
    static ret name##_base params                                                              \
    {                                                                                          \
        ret_kw name##_body args;                                                               \
    }                                                                                          \
    static ret (*name##_resolve(void)) params                                                  \
    {                                                                                          \
        return CPU_FEATURE_ACTIVE(AVX512F) ? name##_avx512                                     \
               : CPU_FEATURE_ACTIVE(AVX2)  ? name##_avx2                                       \
                                           : name##_base;                                      \
    }                                                                                          \
    static ret name params __attribute__((ifunc(#name "_resolve")));                           \
    static inline __attribute__((always_inline)) ret name##_body params
#define GC_VFUNC(ret, name, params, args) GC_VVERSIONS_(ret, name, params, args, return)
#define GC_VVOID(name, params, args) GC_VVERSIONS_(void, name, params, args, )
#elif defined(__x86_64__) && defined(__GNUC__)
#define GC_VCLONES_ __attribute__((target_clones("avx512f", "avx2", "default")))
#define GC_VFUNC(ret, name, params, args) GC_VCLONES_ static ret name params
#define GC_VVOID(name, params, args) GC_VCLONES_ static void name params
#else
#define GC_VFUNC(ret, name, params, args) static ret name params
#define GC_VVOID(name, params, args) static void name params
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
