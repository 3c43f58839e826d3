/*
 * engine/evaluator.h -- where the losses come from (private).
 *
 * An evaluator answers "the loss at θ with element i of tensor t set to v".
 * The numerics, the verdict, the refinement and the screen are written once
 * on top of it; two implementations answer it:
 *   reference (eval_reference.c)  perturbs the element in place and
 *                                 recomputes the chain from its layer on;
 *   sparse    (eval_sparse.c)     propagates only what changed (fast.c),
 *                                 never writing the parameters.
 * Besides single losses it answers the kink-hook query between the two
 * sides of a step (θ-h, then θ+h), for the screen, the loss along a
 * direction, and (the sparse one, for the tensors it can) the losses of
 * many perturbations of one tensor at once.  An evaluator belongs to one thread.
 */
#ifndef GC_ENGINE_EVALUATOR_H
#define GC_ENGINE_EVALUATOR_H

#include <stddef.h>

#include "engine/plan.h"

typedef struct gc_eval gc_eval;

typedef struct gc_eval_ops {
    /* L with element i of t set to v; the element may hold v until restore. */
    double (*loss_at)(gc_eval *ev, const gc_target *t, size_t i, double v);
    /* Put element i's original bits x0 back. */
    void (*restore)(gc_eval *ev, const gc_target *t, size_t i, double x0);
    /* The last loss was the low side (θ-h) of a kink query. */
    void (*mark_low)(gc_eval *ev, int layer);
    /* After the high side (θ+h): did a layer's kink hook fire between the
     * two, each hooked layer from `layer` on asked about its inputs? */
    int (*kink_hook)(gc_eval *ev, int layer);
    /* L at θ_t + h d for the whole tensor t; NULL: this evaluator cannot screen. */
    double (*loss_along)(gc_eval *ev, const gc_target *t, const double *d, double h);
    void (*free)(gc_eval *ev);
    /* Optional (NULL: one loss at a time only): nonzero when `losses` takes
     * tensor t. */
    int (*batchable)(gc_eval *ev, const gc_target *t);
    /* out[s] = loss_at(t, idx[s], v[s]) for s < n, computed together, each
     * within the rounding its implementation states (eval_sparse.c); the
     * elements keep their values.  Only for a tensor `batchable` takes. */
    void (*losses)(gc_eval *ev, const gc_target *t, const size_t *idx, const double *v, size_t n,
                   double *out);
} gc_eval_ops;

/* The common head of every evaluator. */
struct gc_eval {
    const gc_eval_ops *ops;
    unsigned long long nevals; /* losses computed through it */
};

/* The reference evaluator over ch, whose cache holds the unperturbed pass;
 * NULL when out of memory. */
gc_eval *gc_eval_reference_new(const gc_chain *ch);

/* The sparse-change evaluator over net's current cache (it only reads net);
 * `directions` nonzero: it can also screen.  NULL when out of memory. */
gc_eval *gc_eval_sparse_new(const gc_net *net, int directions);

static inline void gc_eval_free(gc_eval *ev)
{
    if (ev != NULL)
        ev->ops->free(ev);
}

static inline double gc_eval_loss(gc_eval *ev, const gc_target *t, size_t i, double v)
{
    ev->nevals++;
    return ev->ops->loss_at(ev, t, i, v);
}

static inline double gc_eval_loss_along(gc_eval *ev, const gc_target *t, const double *d,
                                        double h)
{
    ev->nevals++;
    return ev->ops->loss_along(ev, t, d, h);
}

static inline int gc_eval_batchable(gc_eval *ev, const gc_target *t)
{
    return ev->ops->batchable != NULL && ev->ops->batchable(ev, t);
}

/* The losses of n perturbations of t at once (gc_eval_batchable(ev, t)). */
static inline void gc_eval_losses(gc_eval *ev, const gc_target *t, const size_t *idx,
                                  const double *v, size_t n, double *out)
{
    ev->nevals += n;
    ev->ops->losses(ev, t, idx, v, n, out);
}

static inline void gc_eval_restore(gc_eval *ev, const gc_target *t, size_t i, double x0)
{
    ev->ops->restore(ev, t, i, x0);
}

static inline void gc_eval_mark_low(gc_eval *ev, int layer)
{
    ev->ops->mark_low(ev, layer);
}

static inline int gc_eval_kink_hook(gc_eval *ev, int layer)
{
    return ev->ops->kink_hook(ev, layer);
}

#endif
