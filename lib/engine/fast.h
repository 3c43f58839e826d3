/*
 * engine/fast.h -- the sparse-change evaluator behind GC_ENGINE_FAST (private).
 *
 * It answers "the loss with one element set to v" from the cached forward
 * pass by propagating only what changed; eval_sparse.c puts it behind the
 * evaluator interface (engine/evaluator.h), above which the per-element
 * logic (steps, kinks, verdicts) is shared with the reference.
 */
#ifndef GC_ENGINE_FAST_H
#define GC_ENGINE_FAST_H

#include <stddef.h>

#include "gradcheck/check.h"
#include "gradcheck/net.h"

/* Tensor index that names the network's input X (tensor "x") in the calls
 * below; other indices are net->tensors[] indices. */
#define GC_FAST_INPUT (-1)

/* Slots: each holds one perturbed forward pass, so that a kink hook can
 * compare the inputs of every layer at two perturbations (θ-ε and θ+ε). */
#define GC_FAST_SLOTS 2

/* One thread's scratch: per slot a row buffer (1 x B) and a full matrix
 * (rows x B) for every activation, private copies of the tensors of layers
 * that declare no capability, and (for the screen) one tensor-sized buffer.
 * Allocated once; no evaluation allocates. */
typedef struct gc_fast gc_fast;

/* A new evaluator over net's current cache (net->act, net->T, parameter
 * values), which must stay unchanged while it is used; it only reads net, so
 * any number of evaluators may run on one net in parallel threads.
 * `directions` nonzero: also room for gc_fast_loss_dir.  NULL when memory
 * runs out or net has no data. */
gc_fast *gc_fast_new(const gc_net *net, int directions);

/* Free f; NULL is a no-op. */
void gc_fast_free(gc_fast *f);

/* The loss with element idx (row-major) of tensor t (a net->tensors index, or
 * GC_FAST_INPUT) set to v and every other value as cached, computed into
 * slot s (0 .. GC_FAST_SLOTS-1) from the changed rows on.  The parameters are
 * never written. */
double gc_fast_loss(gc_fast *f, int s, int t, size_t idx, double v);

/* The loss at θ_t + h d for a whole tensor t (d has its rows * cols
 * elements), into slot s: the random-direction screen's evaluation (f made
 * with `directions`). */
double gc_fast_loss_dir(gc_fast *f, int s, int t, const double *d, double h);

/* Nonzero when gc_fast_losses takes tensor t: a parameter (W or b) of a
 * GC_CAP_AFFINE layer, followed only by GC_CAP_ELEMENTWISE and
 * GC_CAP_AFFINE layers without kink hooks or workspace (the layers whose
 * forward may run on many perturbations side by side as one wide batch). */
int gc_fast_batchable(const gc_fast *f, int t);

/* out[s] = the loss with element idx[s] of tensor t set to v[s], for s < n:
 * what gc_fast_loss returns, computed for many perturbations at once, the
 * variants side by side as columns.  Every number before the loss is
 * gc_fast_loss's bit for bit; the loss is too when it has no values op,
 * and within GC_LOSS_VALUES_BOUND(rows) u |L| of it when it has one (its
 * vector exps; through values_near, from a base state of the cached
 * output, when the loss declares it).  For a tensor whose changed unit j
 * reaches the output through one affine layer and identity layers
 * (Z + W[:, j] d, d a row of B), a loss with line and values_line gives
 * the loss of that output taken exactly (of the base as its state holds
 * it) within the same bound: no rounding of the output's update, which
 * differs from gc_fast_loss's rounded output by a few u max|Z|
 * (checks/engine/check_fast.c, line_extra).  Identity layers are skipped (their
 * forward is a copy).  Leaves the slots alone.  GC_OK, or GC_EINVAL when t is
 * not gc_fast_batchable. */
int gc_fast_losses(gc_fast *f, int t, const size_t *idx, const double *v, size_t n, double *out);

/* After gc_fast_loss of the same (t, idx) into slots a and b: nonzero when a
 * layer's kink hook fires between the two perturbed passes, each layer asked
 * about its input in slot a (as Xlo) and in slot b (as Xhi) -- exactly the
 * elements that changed, as the reference engine would ask it. */
int gc_fast_kink(gc_fast *f, int a, int b);

/* How far apart the two evaluators' losses are taken to be when deciding
 * which rows are recomputed by the reference (lib/engine/parallel.c): this
 * many ulps of max(1, |L|), above the largest difference seen
 * (docs/measurements.md), plus GC_LOSS_VALUES_BOUND(rows) for losses from
 * gc_fast_losses through a values op; the derivative's share of it at most
 * atol / 4, so that small gradients, whose pass band is atol itself, stay
 * fast. */
#define GC_FAST_TIE_ULPS 32.0

/* Loss evaluations made through f so far. */
unsigned long long gc_fast_nevals(const gc_fast *f);

/* Zeroed memory of whole cache lines (aligned, size rounded up), or NULL;
 * free() releases it.  An evaluator's hot state takes lines of its own, so
 * that threads do not share them (false sharing). */
void *gc_fast_line_calloc(size_t n, size_t size);

#endif
