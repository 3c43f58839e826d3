/*
 * pcg32.c -- PCG32 (XSH RR 64/32), after O'Neill's reference pcg_basic.c.
 *
 * The 64-bit LCG state advances by a multiplier and an odd increment (the
 * stream); the output permutes the old state: xorshift the high bits down,
 * then rotate by the top five bits.  Seeding follows pcg32_srandom_r exactly,
 * so (initstate 42, initseq 54) reproduces the reference demo's outputs.
 */
#include "gradcheck/pcg32.h"

#include <math.h>

#define PCG32_MULT 6364136223846793005ULL

void gc_pcg32_seed(gc_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
    rng->state = 0u;
    rng->inc = (initseq << 1u) | 1u;
    (void)gc_pcg32_next(rng);
    rng->state += initstate;
    (void)gc_pcg32_next(rng);
}

uint32_t gc_pcg32_next(gc_pcg32 *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG32_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/*
 * Why not `next % bound`: 2^32 is rarely a multiple of bound, so the low
 * residues would come up once more often than the high ones.  Rejecting the
 * first (2^32 mod bound) values leaves a range that is an exact multiple of
 * bound.  (-bound) % bound computes 2^32 mod bound in 32-bit arithmetic.  At
 * most half the range is rejected, so the loop ends quickly.
 */
uint32_t gc_pcg32_bounded(gc_pcg32 *rng, uint32_t bound)
{
    if (bound == 0)
        return 0;
    uint32_t threshold = (0u - bound) % bound;
    for (;;) {
        uint32_t r = gc_pcg32_next(rng);
        if (r >= threshold)
            return r % bound;
    }
}

/* 27 high bits of one output and 26 of the next give a 53-bit integer k;
 * k / 2^53 is uniform on the doubles spaced 2^-53 apart in [0, 1). */
double gc_pcg32_uniform(gc_pcg32 *rng)
{
    uint32_t a = gc_pcg32_next(rng) >> 5; /* 27 bits */
    uint32_t b = gc_pcg32_next(rng) >> 6; /* 26 bits */
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Box-Muller: sqrt(-2 ln u1) cos(2 pi u2) is N(0, 1) for independent
 * uniforms; u1 is taken from (0, 1] so the logarithm is finite.  The sine
 * twin is discarded rather than cached, to keep the state in gc_pcg32. */
double gc_pcg32_normal(gc_pcg32 *rng)
{
    double u1 = 1.0 - gc_pcg32_uniform(rng);
    double u2 = gc_pcg32_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925286766559 * u2);
}
