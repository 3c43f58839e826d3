/*
 * layer_zoo.h -- every correct layer the project ships (the built-in
 * activations, dense, and the examples' swish, scale and dropout), drawn at
 * random shapes, for the suites that assert a check never flags a correct
 * layer (check_hygiene.c, check_mutate.c).  Test code only.
 */
#ifndef GRADCHECK_CHECKS_LAYER_ZOO_H
#define GRADCHECK_CHECKS_LAYER_ZOO_H

#include <gradcheck.h>

/* Layers in the zoo. */
int zoo_count(void);

/* Layer k (0 .. zoo_count()-1) with a width in 1..5 drawn from rng (dense
 * in != out, softmax >= 2 units), parameters N(0, 1); its name into name.
 * Free with gc_layer_free. */
gc_layer *zoo_layer(int k, gc_pcg32 *rng, char *name, size_t size);

#endif
