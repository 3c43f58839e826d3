/*
 * func/host.h -- the engine's view of code that is not a gc_layer (private).
 *
 * The function and scalar checks present the user's tensors to the
 * engine as the parameters of one synthesized layer (in = 1, out = the
 * number of output elements), checked as a one-layer chain whose loss is
 * L = sum(R .* Y) with R the upstream gradient, so that dL/dY = R exactly.
 * The layer's ops convert between its double parameters and the user's
 * arrays; everything the engine reports (verdicts, restored bits, kink
 * slopes) is then the engine's own.
 */
#ifndef GC_FUNC_HOST_H
#define GC_FUNC_HOST_H

#include "gradcheck/check.h"
#include "gradcheck/func.h"

/* One checked tensor of the synthesized layer. */
typedef struct host_tensor {
    const char *name;   /* the report's name (1..15 chars) */
    int rows, cols;     /* >= 1 */
    const double *init; /* rows * cols starting values */
} host_tensor;

/* Build the layer (ops, priv, parameters nt tensors with their values),
 * check it with R (out values) as upstream gradient on the calling thread
 * with opts (NULL: defaults; the reference evaluator) and precision at
 * least `prec`, and free everything but the report.  The ops' forward and
 * backward find the tensors' current values in l->param[i].value. */
int gc_host_check(const gc_layer_ops *ops, void *priv, const host_tensor *t, int nt,
                  const double *R, int out, gc_precision prec, const gc_check_opts *opts,
                  gc_report **rep, gc_error *err);

/* Bytes of one element of type d. */
size_t gc_host_size(gc_dtype d);

/* dst (n elements of type d) = src, rounded to float for GC_DTYPE_F32. */
void gc_host_put(void *dst, gc_dtype d, const double *src, size_t n);

/* dst[i] (+)= src[i] (n elements of type d) as doubles: add nonzero, else
 * overwrite. */
void gc_host_get(double *dst, const void *src, gc_dtype d, size_t n, int add);

/* A name a checked tensor may have: 1..15 chars. */
int gc_host_name_ok(const char *name);

#endif
