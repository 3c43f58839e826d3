/*
 * io/numread.h -- decimal numbers read to the double strtod gives, fast
 * (private).
 *
 * The reader is fast_float (Debian's libfast-float-dev, header-only C++,
 * compiled in io/numread.cc without exceptions or RTTI, so neither the
 * library nor the command needs the C++ runtime): the Eisel-Lemire
 * algorithm with an exact fallback, correctly rounded to nearest, ties to
 * even, as glibc's strtod rounds in the default rounding mode -- the same
 * bits, several times faster.  checks/io/check_numread.c compares the two
 * over random spellings.
 */
#ifndef GC_IO_NUMREAD_H
#define GC_IO_NUMREAD_H

#ifdef __cplusplus
extern "C" {
#endif

/* The decimal s[0 .. end) (digits, an optional '-', '.' and exponent; the
 * caller has checked its grammar) into *out, correctly rounded; an
 * overflow is ±Inf and an underflow 0 or a subnormal, as strtod gives.
 * 0 when the whole of it was read, -1 (*out unset) when not. */
int gc_numread_double(const char *s, const char *end, double *out);

/* The same reader with a planted bug, for the tests that must catch one:
 * every result with an odd last significand bit is one ulp towards zero
 * (it rounds the last bit away).  Built only into the test program
 * (io/numread.cc compiled with -DGC_NUM_MUTANT). */
int gc_numread_double_mutant(const char *s, const char *end, double *out);

/* A reader of the shape above, for code that may be handed the mutant. */
typedef int (*gc_numread_fn)(const char *s, const char *end, double *out);

#ifdef __cplusplus
}
#endif

#endif
