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

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The two ways in: a whole token, or its digits already taken apart. */
typedef struct gc_numreader {
    /* The decimal s[0 .. end) (digits, an optional '-', '.' and exponent;
     * the caller has checked its grammar) into *out, correctly rounded; an
     * overflow is ±Inf and an underflow 0 or a subnormal, as strtod gives.
     * 0 when the whole of it was read, -1 (*out unset) when not. */
    int (*token)(const char *s, const char *end, double *out);
    /* (negative ? -1 : 1) w 10^q into *out, correctly rounded, for the
     * digits w < 10^19 of a decimal that had no more (leading zeros
     * aside): its value as token gives it.  0, or -1 (*out unset) in the
     * rare case the fast algorithm cannot round, where the caller reads
     * the token. */
    int (*decimal)(uint64_t w, int64_t q, int negative, double *out);
} gc_numreader;

/* The reader. */
extern const gc_numreader gc_numread;

/* The same reader with a planted bug, for the tests that must catch one:
 * every result with an odd last significand bit is one ulp towards zero
 * (the last bit rounded away).  Built only into the test program
 * (io/numread.cc compiled with -DGC_NUM_MUTANT). */
extern const gc_numreader gc_numread_mutant;

#ifdef __cplusplus
}
#endif

#endif
