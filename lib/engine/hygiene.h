/*
 * engine/hygiene.h -- the layer check's steps beyond one call (private):
 * the hygiene checks (hygiene.c), the mutation run (mutate.c) and the
 * replay of a stochastic layer's generator.  Contracts of what they report
 * are in <gradcheck/hygiene.h>.
 */
#ifndef GRADCHECK_ENGINE_HYGIENE_H
#define GRADCHECK_ENGINE_HYGIENE_H

#include "gradcheck/check.h"

/* PCG32 streams of the steps below, apart from sampling's and the layer
 * data's so that turning a step on or off changes no other draw. */
#define GC_STREAM_STOCHASTIC 0x570c4u /* a stochastic layer's draws (replayed) */
#define GC_STREAM_HYGIENE 0x4791eu    /* the second parameter point */
#define GC_STREAM_MUTATE 0x3a7a7eu    /* the faults */

/* Reseed l->rng, when the layer has one, for one forward call: every call
 * after the same reseed draws the same numbers. */
void gc_replay_reseed(const gc_layer *l, uint64_t seed);

/* The options of a plain check inside a step (no hygiene, no mutation, no
 * progress, every row kept): the same method, step, tolerances and
 * selection as o. */
gc_check_opts gc_hygiene_plain_opts(const gc_check_opts *o);

/* ---- the layer's calls, shared by the steps -------------------------------- */

/* The layer, the check's data, and the buffers of its calls.  Parameter
 * gradients are handled concatenated, tensor after tensor, row-major. */
typedef struct gc_probe {
    gc_layer *l;
    const gc_mat *X, *R; /* the check's input and dL/dY (not owned) */
    uint64_t seed;       /* replay seed of a stochastic layer */
    gc_mat *Y0, *dX0;    /* the baseline call's output and input gradient */
    gc_mat *Y, *dX;      /* a later call's */
    double *g0, *g;      /* parameter gradients after the baseline call, after a later one */
    size_t ng;           /* elements of every parameter together */
} gc_probe;

/* Allocate the buffers and make the baseline call: forward into Y0, backward
 * with dY = R into a zeroed dX0 with zeroed gradients (copied to g0).
 * GC_OK or GC_ENOMEM (nothing to close). */
int gc_probe_open(gc_probe *p, gc_layer *l, const gc_mat *X, const gc_mat *R, uint64_t seed);

/* Forward of X into Y, the generator reseeded first. */
void gc_probe_forward(const gc_probe *p, gc_mat *Y);

/* Backward at (X, Y0) with dY into p->dX filled with `fill` first, the
 * gradients zeroed first unless keep_grads; they are copied to p->g. */
void gc_probe_backward(gc_probe *p, const gc_mat *dY, double fill, int keep_grads);

void gc_probe_close(gc_probe *p);

/* The layer check's steps after its element check filled *out: the
 * hygiene checks (unless o->no_hygiene has them all off), then the mutation
 * run (o->mutate > 0).  GC_OK; or GC_ENOMEM with err set and *out freed and
 * NULL.  The one hook gc_check_layer calls. */
int gc_beyond_layer(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                    const gc_mat *R, gc_report **out, gc_error *err);

/* Run the hygiene checks o->no_hygiene leaves on, on layer l with the layer
 * check's data X (in x batch) and R = dL/dY (out x batch); fill
 * r->hygiene.  The parameters keep their bits; their gradients end as one
 * backward call at the check's point leaves them.  GC_OK or GC_ENOMEM. */
int gc_hygiene_run(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                   const gc_mat *R, gc_report *r);

/* The same for a network checked by gc_check_net: each fault goes into the
 * backward of the layer holding its tensor; the network's cache and
 * gradients are left as gc_check_net leaves them.  GC_OK or GC_ENOMEM. */
int gc_mutation_run_net(gc_net *net, const gc_check_opts *o, gc_report *r);

/* Inject o->mutate faults into l's backward, one plain check per fault,
 * and fill r->mutation (per tensor of r).  Same data and guarantees as
 * gc_hygiene_run.  GC_OK or GC_ENOMEM. */
int gc_mutation_run(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                    const gc_mat *R, gc_report *r);

#endif
