/*
 * layer_zoo.c -- the correct layers of layer_zoo.h.
 */
#include "layer_zoo.h"

#include <gradcheck/ck.h>
#include <stdio.h>

#include "dropout.h"
#include "scale.h"
#include "swish.h"

enum { ZOO_DENSE = GC_ACT_COUNT, ZOO_SWISH, ZOO_SCALE, ZOO_DROPOUT, ZOO_COUNT };

int zoo_count(void)
{
    return ZOO_COUNT;
}

gc_layer *zoo_layer(int k, gc_pcg32 *rng, char *name, size_t size)
{
    int n = 1 + (int)gc_pcg32_bounded(rng, 5);
    gc_layer *l = NULL;
    if (k < GC_ACT_COUNT) {
        gc_act a = (gc_act)k;
        l = gc_activation_new(a, a == GC_ACT_SOFTMAX ? n + 1 : n, gc_act_default_alpha(a));
        snprintf(name, size, "%s", gc_act_name(a));
        return l;
    }
    switch (k) {
    case ZOO_DENSE: /* in != out, odd sizes among them */
        l = gc_dense_new(n, n + 1 + (int)gc_pcg32_bounded(rng, 3));
        gc_ck_fill_normal(l, rng);
        snprintf(name, size, "dense");
        break;
    case ZOO_SWISH:
        l = swish_new(n);
        snprintf(name, size, "swish");
        break;
    case ZOO_SCALE:
        l = scale_plugin(n, n, rng);
        snprintf(name, size, "scale");
        break;
    case ZOO_DROPOUT:
        l = dropout_new(n, 0.5);
        snprintf(name, size, "dropout");
        break;
    default: break;
    }
    return l;
}
