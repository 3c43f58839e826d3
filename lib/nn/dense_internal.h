/*
 * dense_internal.h -- the dense layer's backward for gc_net_backward.
 */
#ifndef GC_NN_DENSE_INTERNAL_H
#define GC_NN_DENSE_INTERNAL_H

#include "gradcheck/layer.h"

/* The dense layer's backward (gc_dense_ops.backward) with its gradients
 * taken as zero, not read: each element of dW and db is set to the bits
 * that zeroing it and then backward's += give.  gc_net_backward calls it
 * for a dense layer in place of zeroing dW and db first. */
void gc_dense_backward_set(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *dY);

#endif
