/* scale.h -- a user-defined parametric layer, the per-feature affine map
 * y = s ⊙ x + c (the learned scale and shift that follow a normalisation),
 * written from the public header alone, and tested in make check with the
 * Check helpers of <gradcheck/ck.h> (checks/check_example_layer.c). */
#ifndef GRADCHECK_EXAMPLE_SCALE_H
#define GRADCHECK_EXAMPLE_SCALE_H

#include <gradcheck.h>

/* The ops of scale (type "scale"; parameters "s" and "c", both n x 1). */
extern const gc_layer_ops scale_ops;

/* A new n -> n scale layer with s = 1 and c = 0 (the identity), or NULL.
 * In a network its parameters are named s1 c1, s2 c2, ... */
gc_layer *scale_new(int n);

/* The plugin factory for `gradcheck --layer LIB.so:scale_plugin`: a new
 * in -> in scale layer with s and c drawn U[-1, 1) from rng, or NULL when
 * out != in. */
gc_layer *scale_plugin(int in, int out, gc_pcg32 *rng);

#endif
