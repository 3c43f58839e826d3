/*
 * eval_sparse.c -- the sparse-change evaluator (fast.c) behind the evaluator
 * interface.  The low side of a kink query stays in slot 0 and the high side
 * goes to slot 1, so the hook query compares the two passes' changed inputs.
 */
#include "engine/evaluator.h"
#include "engine/fast.h"

#include <stdlib.h>

typedef struct sparse_eval {
    gc_eval base;
    gc_fast *fast;
    int slot; /* the slot the next loss goes to */
} sparse_eval;

static double loss_at(gc_eval *ev, const gc_target *t, size_t i, double v)
{
    sparse_eval *se = (sparse_eval *)ev;
    return gc_fast_loss(se->fast, se->slot, t->net_index, i, v);
}

/* Nothing to put back: the parameters are never written. */
static void restore(gc_eval *ev, const gc_target *t, size_t i, double x0)
{
    (void)ev, (void)t, (void)i, (void)x0;
}

static void mark_low(gc_eval *ev, int layer)
{
    (void)layer;
    ((sparse_eval *)ev)->slot = 1;
}

/* The slots hold only what changed, so every hooked layer is asked. */
static int kink_hook(gc_eval *ev, int layer)
{
    sparse_eval *se = (sparse_eval *)ev;
    (void)layer;
    se->slot = 0;
    return gc_fast_kink(se->fast, 0, 1);
}

static double loss_along(gc_eval *ev, const gc_target *t, const double *d, double h)
{
    sparse_eval *se = (sparse_eval *)ev;
    return gc_fast_loss_dir(se->fast, se->slot, t->net_index, d, h);
}

static int batchable(gc_eval *ev, const gc_target *t)
{
    return gc_fast_batchable(((sparse_eval *)ev)->fast, t->net_index);
}

/* gc_fast_losses: within GC_LOSS_VALUES_BOUND(rows) u |L| of loss_at's
 * values (bit for bit for a loss without a values op). */
static void losses(gc_eval *ev, const gc_target *t, const size_t *idx, const double *v, size_t n,
                   double *out)
{
    (void)gc_fast_losses(((sparse_eval *)ev)->fast, t->net_index, idx, v, n, out);
}

static void sparse_free(gc_eval *ev)
{
    sparse_eval *se = (sparse_eval *)ev;
    gc_fast_free(se->fast);
    free(se);
}

static const gc_eval_ops sparse_ops = {
    .loss_at = loss_at,
    .restore = restore,
    .mark_low = mark_low,
    .kink_hook = kink_hook,
    .loss_along = loss_along,
    .free = sparse_free,
    .batchable = batchable,
    .losses = losses,
};

gc_eval *gc_eval_sparse_new(const gc_net *net, int directions)
{
    /* a cache line of its own: each thread writes its slot and count per loss */
    sparse_eval *se = gc_fast_line_calloc(1, sizeof *se);
    if (se == NULL)
        return NULL;
    se->base.ops = &sparse_ops;
    se->fast = gc_fast_new(net, directions);
    if (se->fast == NULL) {
        free(se);
        return NULL;
    }
    return &se->base;
}
