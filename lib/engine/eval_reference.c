/*
 * eval_reference.c -- the reference evaluator: perturb the element in place
 * and recompute the chain from the first layer that reads it (the
 * activations before it cannot change); the caller puts the original bits
 * back by assignment.  Kinks: after the low side, the inputs of every layer
 * with a kink hook are copied; after the high side each hook compares its
 * copy with the current input.
 */
#include "engine/evaluator.h"

#include <stdlib.h>
#include <string.h>

typedef struct reference_eval {
    gc_eval base;
    const gc_chain *ch;
    gc_mat **low; /* ch->nlayers: act[j] at the low side for a hooked layer, else NULL */
} reference_eval;

static double loss_at(gc_eval *ev, const gc_target *t, size_t i, double v)
{
    reference_eval *re = (reference_eval *)ev;
    t->value[i] = v;
    return re->ch->loss_from(re->ch->ctx, t->layer);
}

static void restore(gc_eval *ev, const gc_target *t, size_t i, double x0)
{
    (void)ev;
    t->value[i] = x0;
}

static void mark_low(gc_eval *ev, int layer)
{
    reference_eval *re = (reference_eval *)ev;
    for (int j = layer; j < re->ch->nlayers; j++)
        if (re->low[j] != NULL)
            memcpy(re->low[j]->data, re->ch->act[j]->data,
                   gc_mat_size(re->ch->act[j]) * sizeof(double));
}

static int kink_hook(gc_eval *ev, int layer)
{
    reference_eval *re = (reference_eval *)ev;
    for (int j = layer; j < re->ch->nlayers; j++) {
        const gc_layer *l = re->ch->layers[j];
        if (re->low[j] != NULL && l->ops->kink(l, re->low[j], re->ch->act[j]))
            return 1;
    }
    return 0;
}

static void reference_free(gc_eval *ev)
{
    reference_eval *re = (reference_eval *)ev;
    if (re->low != NULL)
        for (int j = 0; j < re->ch->nlayers; j++)
            gc_mat_free(re->low[j]);
    free(re->low);
    free(re);
}

static const gc_eval_ops reference_ops = {
    .loss_at = loss_at,
    .restore = restore,
    .mark_low = mark_low,
    .kink_hook = kink_hook,
    .loss_along = NULL,
    .free = reference_free,
};

gc_eval *gc_eval_reference_new(const gc_chain *ch)
{
    reference_eval *re = calloc(1, sizeof *re);
    if (re == NULL)
        return NULL;
    re->base.ops = &reference_ops;
    re->ch = ch;
    re->low = calloc((size_t)ch->nlayers, sizeof *re->low);
    if (re->low == NULL) {
        free(re);
        return NULL;
    }
    for (int j = 0; j < ch->nlayers; j++) {
        if (ch->layers[j]->ops->kink == NULL)
            continue;
        re->low[j] = gc_mat_new(ch->act[j]->rows, ch->act[j]->cols);
        if (re->low[j] == NULL) {
            reference_free(&re->base);
            return NULL;
        }
    }
    return &re->base;
}
