/* swish.h -- a user-defined activation, swish(x) = x sigma(x), written from
 * the public header alone: the example of how to add your own layer. */
#ifndef GRADCHECK_EXAMPLE_SWISH_H
#define GRADCHECK_EXAMPLE_SWISH_H

#include <gradcheck.h>

/* The ops of swish (type "swish", elementwise). */
extern const gc_layer_ops swish_ops;

/* A new n -> n swish layer, or NULL. */
gc_layer *swish_new(int n);

/* The plugin factory for `gradcheck --layer LIB.so:swish_plugin`: a new
 * in -> in swish layer, or NULL when out != in (rng unused). */
gc_layer *swish_plugin(int in, int out, gc_pcg32 *rng);

#endif
