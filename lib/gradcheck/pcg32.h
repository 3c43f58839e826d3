/*
 * gradcheck/pcg32.h -- the PCG32 random number generator (XSH RR 64/32).
 *
 * O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically Good
 * Algorithms for Random Number Generation" (2014), as in the reference
 * pcg32_random_r / pcg32_srandom_r.  All randomness in gradcheck flows from
 * a caller-owned gc_pcg32 passed first: there is no global state.
 */
#ifndef GRADCHECK_PCG32_H
#define GRADCHECK_PCG32_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Generator state.  `inc` is odd (it selects the stream). */
typedef struct gc_pcg32 {
    uint64_t state; /* LCG state */
    uint64_t inc;   /* stream increment, always odd */
} gc_pcg32;

/* Seed as the reference pcg32_srandom_r(rng, initstate, initseq). */
void gc_pcg32_seed(gc_pcg32 *rng, uint64_t initstate, uint64_t initseq);

/* Next uniformly distributed 32-bit value. */
uint32_t gc_pcg32_next(gc_pcg32 *rng);

/* Uniform integer in [0, bound) without modulo bias; bound must be > 0
 * (bound 0 returns 0). */
uint32_t gc_pcg32_bounded(gc_pcg32 *rng, uint32_t bound);

/* Uniform double in [0, 1) with 53 random bits (two outputs). */
double gc_pcg32_uniform(gc_pcg32 *rng);

/* Standard normal deviate N(0, 1) (Box-Muller; consumes four outputs). */
double gc_pcg32_normal(gc_pcg32 *rng);

#ifdef __cplusplus
}
#endif

#endif
