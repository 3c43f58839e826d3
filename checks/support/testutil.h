/*
 * testutil.h -- small numeric helpers shared by the suites that compare
 * doubles themselves (check_classic.c, check_layers.c, check_loss.c,
 * check_net.c, check_swish.c).  Test code only, written out independently
 * of the library's engine.
 */
#ifndef GRADCHECK_CHECKS_TESTUTIL_H
#define GRADCHECK_CHECKS_TESTUTIL_H

#include <math.h>

/* |a - b| / max(|a|, |b|), 0 when both are 0; NaN/Inf give Inf or NaN, which
 * every caller's `!(rel <= tol)` treats as failure. */
static inline double tu_rel_err(double a, double b)
{
    if (a == b)
        return 0.0;
    return fabs(a - b) / fmax(fabs(a), fabs(b));
}

#endif
