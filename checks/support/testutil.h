/*
 * testutil.h -- small numeric helpers shared by the suites that compare
 * doubles themselves, and where the fixtures are.  Test code only, written
 * out independently of the library's engine.
 */
#ifndef GRADCHECK_CHECKS_TESTUTIL_H
#define GRADCHECK_CHECKS_TESTUTIL_H

#include <math.h>
#include <stdlib.h>

/* |a - b| / max(|a|, |b|), 0 when both are 0; NaN/Inf give Inf or NaN, which
 * every caller's `!(rel <= tol)` treats as failure. */
static inline double tu_rel_err(double a, double b)
{
    if (a == b)
        return 0.0;
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* The fixtures folder: env GC_FIXTURES, else this source tree's
 * (GC_DEFAULT_FIXTURES, an absolute path from the Makefile), so a suite runs
 * the same from any directory. */
static inline const char *tu_fixtures(void)
{
    const char *d = getenv("GC_FIXTURES");
    return d != NULL && d[0] != '\0' ? d : GC_DEFAULT_FIXTURES;
}

#endif
