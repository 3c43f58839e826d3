/*
 * block.c -- a float32 transformer-block layer set, as C training code
 * writes it: layernorm, matmul with bias, causal multi-head attention,
 * GELU (tanh form), residual, token + position embedding, softmax +
 * cross-entropy.  The code is block_impl.h, compiled here twice: for float
 * (the code under test) and for double (its twin, the same source).
 * checks/examples/check_block.c checks every layer with gc_check_func.
 */
#include "block.h"

#include <stddef.h>
#include <tgmath.h>

#define REAL float
#define FN(name) name
#include "block_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "block_impl.h"
#undef REAL
#undef FN
