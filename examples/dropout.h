/*
 * dropout.h -- inverted dropout, a stochastic layer checked by seed replay.
 */
#ifndef GRADCHECK_EXAMPLES_DROPOUT_H
#define GRADCHECK_EXAMPLES_DROPOUT_H
/* dropout(x) = m ⊙ x / (1 - p), m ~ Bernoulli(1 - p) per element, drawn
 * from the generator the caller owns (l->rng, <gradcheck/layer.h>). */

#include <gradcheck.h>

/* The dropout layer's state (l->priv): its rate and what its last forward
 * drew, so that backward uses the same mask. */
typedef struct dropout_state {
    double p;          /* probability of dropping a unit, in [0, 1) */
    gc_pcg32 start;    /* l->rng as the last forward found it: its mask replays from here */
    int drew;          /* the last forward drew a mask (l->rng was set) */
} dropout_state;

extern const gc_layer_ops dropout_ops;

/* An n -> n dropout layer dropping each unit with probability p (0 <= p < 1),
 * or NULL.  Free with gc_layer_free. */
gc_layer *dropout_new(int n, double p);

/* The next mask element drawn from g: nonzero to keep the unit.  Forward
 * draws the elements row-major from l->rng, backward replays the same
 * draws from a copy of state->start: the one rule both share. */
int dropout_keep(const dropout_state *st, gc_pcg32 *g);

/* The plugin factory (gc_layer_plugin): p = 0.5, in must equal out. */
gc_layer *dropout_plugin(int in, int out, gc_pcg32 *rng);

#endif
