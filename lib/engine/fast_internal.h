/*
 * engine/fast_internal.h -- the sparse-change evaluator's state, shared by
 * fast.c (one perturbation at a time) and fast_batch.c (many at once).
 * Private to those two files.
 */
#ifndef GC_ENGINE_FAST_INTERNAL_H
#define GC_ENGINE_FAST_INTERNAL_H

#include "engine/fast.h"

/* What is known about activation k in a slot. */
enum {
    CH_NONE, /* equal to the cache net->act[k] */
    CH_ROW,  /* equal to the cache except row `row`, held in rowv[k] */
    CH_FULL  /* held whole in full[k] */
};

typedef struct fast_slot {
    int *kind;    /* nlayers + 1: CH_... of act[k] */
    int *row;     /* nlayers + 1: the changed row when kind is CH_ROW */
    gc_mat *rowv; /* nlayers + 1 row matrices 1 x B, data owned */
    gc_mat *full; /* nlayers + 1 matrices rows_k x B, data owned */
} fast_slot;

struct gc_fast {
    const gc_net *net;
    int n;                         /* net->nlayers */
    int B;                         /* net->batch */
    fast_slot slot[GC_FAST_SLOTS];
    gc_layer *layer_copy;          /* n shallow copies of the layers, whose
                                    * param values may point at private copies */
    double **priv;                 /* ntensors: private value copy for a tensor
                                    * of a layer without GC_CAP_AFFINE, else NULL */
    double *dirbuf;                /* max tensor size: θ + h d, or NULL (no screen) */
    double *dbuf;                  /* B: a row's change, for the rank-1 update */
    int *t_layer;                  /* ntensors: the layer of tensor t */
    int *t_param;                  /* ntensors: its index among the layer's params */
    unsigned char *t_affine;       /* ntensors: uses_affine_update(net, t) */
    int any_kink;                  /* some layer has a kink hook */
    unsigned long long nevals;
    struct fast_batch *batch;      /* fast_batch.c's buffers, or NULL */
};

/* gc_fast_line_calloc's memory (its size in *bytes) without the zeroing:
 * for buffers always written before they are read, whose pages are then
 * first touched only where they are used. */
void *gc_fast_line_alloc(size_t n, size_t size, size_t *bytes);

/* The batch path's buffers for f (complete but for f->batch), or NULL when
 * memory runs out; freed by gc_fast_batch_free (NULL: a no-op). */
struct fast_batch *gc_fast_batch_new(const gc_fast *f);
void gc_fast_batch_free(struct fast_batch *b);

/* Rows of activation k: the input's for k = 0, else layer k-1's output's. */
static inline int gc_fast_rows_of(const gc_net *net, int k)
{
    return k == 0 ? net->layers[0]->in : net->layers[k - 1]->out;
}

#endif
