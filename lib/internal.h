/*
 * internal.h -- libgradcheck's private interfaces (not installed).
 *
 * The sparse-change evaluator behind GC_ENGINE_FAST, and the small thread
 * pool that spreads element checks over cores.  The reference engine's
 * per-element logic (steps, kinks, verdicts) is shared: it asks an evaluator
 * for L(θ with one element set to v), and the fast evaluator answers that
 * from the cached forward pass by propagating only what changed.
 */
#ifndef GRADCHECK_INTERNAL_H
#define GRADCHECK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gradcheck/check.h"
#include "gradcheck/net.h"

/* ---- the sparse-change evaluator (fast.c) ------------------------------- */

/* Tensor index that names the network's input X (tensor "x") in the calls
 * below; other indices are net->tensors[] indices. */
#define GC_FAST_INPUT (-1)

/* Slots: each holds one perturbed forward pass, so that a kink hook can
 * compare the inputs of every layer at two perturbations (θ-ε and θ+ε). */
#define GC_FAST_SLOTS 2

/* One thread's scratch: per slot a row buffer (1 x B) and a full matrix
 * (rows x B) for every activation, private copies of the tensors of layers
 * that declare no capability, one tensor-sized buffer for the screen.
 * Allocated once; no evaluation allocates. */
typedef struct gc_fast gc_fast;

/* A new evaluator over net's current cache (net->act, net->T, parameter
 * values), which must stay unchanged while it is used; it only reads net, so
 * any number of evaluators may run on one net in parallel threads.  NULL when
 * memory runs out or net has no data. */
gc_fast *gc_fast_new(const gc_net *net);

/* Free f; NULL is a no-op. */
void gc_fast_free(gc_fast *f);

/* The loss with element idx (row-major) of tensor t (a net->tensors index, or
 * GC_FAST_INPUT) set to v and every other value as cached, computed into
 * slot s (0 .. GC_FAST_SLOTS-1) from the changed rows on.  The parameters are
 * never written. */
double gc_fast_loss(gc_fast *f, int s, int t, size_t idx, double v);

/* The loss at θ_t + h d for a whole tensor t (d has its rows * cols
 * elements), into slot s: the random-direction screen's evaluation. */
double gc_fast_loss_dir(gc_fast *f, int s, int t, const double *d, double h);

/* After gc_fast_loss of the same (t, idx) into slots a and b: nonzero when a
 * layer's kink hook fires between the two perturbed passes, each layer asked
 * about its input in slot a (as Xlo) and in slot b (as Xhi) -- exactly the
 * elements that changed, as the reference engine would ask it. */
int gc_fast_kink(gc_fast *f, int a, int b);

/* Loss evaluations made through f so far. */
unsigned long long gc_fast_nevals(const gc_fast *f);

/* ---- threads (threads.c) ------------------------------------------------ */

/* The thread count that `threads` asks for: itself when >= 1, else the
 * number of online cores (sysconf), at least 1. */
int gc_threads_resolve(int threads);

/* Call fn(ctx, tid, i) for every i in [0, n), spread over nthreads threads
 * (the caller's thread is tid 0) that take chunks of `chunk` indices from a
 * shared counter.  Which thread runs which i varies; a caller that writes
 * only into slots of i gets the same result at any thread count.  GC_OK, or
 * GC_ENOMEM when a thread cannot be started (the work is then done by the
 * threads that did start, so the result is still complete). */
int gc_threads_for(int nthreads, size_t n, size_t chunk,
                   void (*fn)(void *ctx, int tid, size_t i), void *ctx);

#endif
