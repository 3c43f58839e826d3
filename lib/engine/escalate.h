/*
 * engine/escalate.h -- measuring again an element the default step could
 * not decide (private).
 */
#ifndef GC_ENGINE_ESCALATE_H
#define GC_ENGINE_ESCALATE_H

#include "engine/numdiff.h"

/* Ridders' tableau: at most this many steps, halving from the first. */
#define GC_ESCALATE_STEPS 12
/* The first step, relative to max(1, |θ|). */
#define GC_ESCALATE_H0 0.1
/* The tableau's truncation estimate is an estimate, not a bound: this
 * factor of headroom before it may refute. */
#define GC_ESCALATE_SAFETY 4.0
/* A refutation is searched for again from a step this many times smaller
 * (by factors √2: steps interleaved with the first search's). */
#define GC_ESCALATE_REPEAT 1.19

/* Ridders' method for element i of t (the default step left it undecided
 * with reason *why): central differences at h0, h0/2, ... extrapolated
 * (one-sided ones away from a side whose loss was not finite), stopping as
 * soon as the best entry decides a, or when the extrapolation stops
 * improving; a refutation must rest on an entry whose column converges
 * at the expansion's rate (else the search goes on; undecided
 * GC_REASON_UNCONVERGED when nothing decides) and be reproduced by a
 * second search from a step GC_ESCALATE_REPEAT times smaller.  At most
 * 2 GC_ESCALATE_STEPS losses per search (central; one-sided: half).  On
 * return p holds the best entry's value and bound (escalated set) when one
 * was found; the verdict is gc_decide's on it, *why updated.  A loss not
 * finite at θ is not escalated. */
gc_verdict gc_escalate(const gc_fd_ctx *c, const gc_target *t, size_t i, double a,
                       gc_fd_point *p, gc_reason *why);

#endif
