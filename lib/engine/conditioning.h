/*
 * engine/conditioning.h -- a refuted row that backprop's own rounding could
 * explain becomes undecided (private).
 */
#ifndef GC_ENGINE_CONDITIONING_H
#define GC_ENGINE_CONDITIONING_H

#include "engine/run.h"

/*
 * After the rows, before the summaries.  "fail" says that the finite
 * difference n, good to B, refutes a beyond the band; but a itself is
 * computed in double, and where the loss or a layer is ill-conditioned
 * (bce at p = 1 - 1e-14: 1 - p keeps only its absolute accuracy, so
 * backprop's (p - t) / (p (1 - p)) is off by u / (1 - p), about 1%) the
 * computed a can be that far from the exact derivative while the code is
 * correct.  The estimate of a's rounding (Kahan's test of a result's
 * sensitivity to roundoff): the chain prepared again, forward and backprop,
 * under upward and then downward rounding; A = the larger change of a.
 * Directed rounding pushes every operation's error the same way, so A is
 * pessimistic: about 2.6 times the actual error on the bce case of
 * checks/engine/check_conditioning.c.  A refuted row with finite a, n and B
 * and |a - n| <= band + B + A, or whose a under a directed rounding
 * is not finite, becomes undecided (GC_REASON_CONDITIONING).  On a
 * well-conditioned network A is a few u |a|, far below any band, so it
 * changes nothing there.  Runs only when a row fails, at the cost of three
 * evaluations of the chain's prepare (one per mode, and one more in the
 * caller's mode, which leaves the cache and every gradient with the bits
 * the rows were judged with: the prepare is deterministic).  The rounding
 * mode is the caller's again on return (the prepare's code runs on the
 * calling thread).  Where the rounding mode does not reach the arithmetic
 * (under valgrind, which rounds to nearest whatever the mode), nothing is
 * measured and every failure stands.
 * GC_OK or GC_ENOMEM.
 */
int gc_run_conditioning(gc_run *run);

/* Whether fesetround's directed modes reach the arithmetic here (valgrind
 * keeps rounding to nearest whatever the mode). */
int gc_cond_rounding_works(void);

#endif
