/*
 * gradcheck/net.h -- a network: an ordered list of layers, one loss, data,
 * and the forward-pass cache.
 *
 * The network owns its layers, a copy of the data, and every activation:
 * act[0] is the input X, act[k + 1] is the output of layers[k].  gc_net_forward
 * fills the cache and the loss; gc_net_backward reads it, zeroes and fills
 * every parameter gradient and dact[0] = dL/dX.
 *
 * Parameters are named as in the classic code: the k-th layer of a type
 * (counting from 1) appends k to its parameters' base names, so dense layers
 * give W1 b1 W2 b2 ...
 */
#ifndef GRADCHECK_NET_H
#define GRADCHECK_NET_H

#include "gradcheck/base.h"
#include "gradcheck/layer.h"
#include "gradcheck/mat.h"
#include "gradcheck/pcg32.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gc_init {
    GC_INIT_UNIFORM, /* every value U[0, 1), as np.random.rand in the classic */
    GC_INIT_XAVIER,  /* weights U(-a, a), a = sqrt(6 / (in + out)); biases 0 */
    GC_INIT_HE,      /* weights N(0, 2 / in); biases 0 */
    /* Per dense layer, for the activation that follows it: HE weights before
     * relu, leaky_relu and elu, XAVIER weights before anything else (so wide
     * layers do not saturate a sigmoid); biases U(-1/sqrt(in), 1/sqrt(in)) as
     * PyTorch's nn.Linear draws them (nonzero, so that relu pre-activations
     * do not sit exactly on their kink).  The command's default. */
    GC_INIT_AUTO
} gc_init;
/* For XAVIER and HE, in an affine layer (GC_CAP_AFFINE) param[0] is the
 * weight with the layer's in and out and param[1] the bias; in any other
 * layer a tensor with cols == 1 is a bias and the others are weights with
 * in = cols, out = rows.  (So a dense 1 -> n layer's n x 1 W is drawn.) */

typedef struct gc_net {
    int nlayers;
    gc_layer **layers;      /* nlayers, owned; layers[k] maps act[k] to act[k+1] */
    const gc_loss *loss;    /* not owned */
    int batch;              /* B: columns of the cache; 0 before gc_net_set_data */
    gc_mat *T;              /* targets, out x B, owned */
    gc_mat **act;           /* nlayers + 1, owned; act[0] = X (in x B) */
    gc_mat **dact;          /* nlayers + 1, owned; dact[k] = dL/dact[k] */
    double loss_value;      /* L after the last forward */
    unsigned long long nforward; /* layer forward calls so far (a count for tests) */
    int ntensors;           /* parameter tensors of all layers, in order */
    gc_tensor **tensors;    /* ntensors views into the layers: do not free */
    int *tensor_layer;      /* ntensors: index of the layer holding each */
    struct gc_net_index *index; /* private to gc_net_add (capacities, the count of
                                 * each layer type); NULL in a network built by
                                 * hand; freed by gc_net_free */
} gc_net;

/* A new empty network with that loss, or NULL (no memory, NULL loss). */
gc_net *gc_net_new(const gc_loss *loss);

/* Free the network and everything it owns.  NULL is a no-op. */
void gc_net_free(gc_net *net);

/* Append a layer; the network takes ownership of it even on failure.
 * Amortised O(1) in the number of layers (O(T) in the number T of distinct
 * layer types), so a network of 1e5 layers is built in linear time.
 * GC_ESHAPE when layer->in differs from the previous layer's out (err says
 * "layers[k]: expected in = ..., got ..."), GC_EINVAL for NULL or a layer
 * with more than GC_LAYER_MAX_PARAMS parameters; numbers its parameters.  Drops
 * the data and cache: call gc_net_set_data after the last gc_net_add. */
int gc_net_add(gc_net *net, gc_layer *layer, gc_error *err);

/* Rows of the input and of the output (0 for an empty network). */
int gc_net_in(const gc_net *net);
int gc_net_out(const gc_net *net);

/* Copy X (in x B) and T (out x B) into the network and size the cache for
 * B = X->cols.  GC_ESHAPE on a shape mismatch, GC_ERANGE for NaN/Inf or a
 * target the loss rejects (check_target), GC_EINVAL for an empty network.
 * X and T may be the network's own act[0] and T; on failure the previous
 * data and cache are kept. */
int gc_net_set_data(gc_net *net, const gc_mat *X, const gc_mat *T, gc_error *err);

/* Draw every parameter of every layer from rng as `init` says, layer by
 * layer, tensor by tensor, element by element in row-major order.  GC_OK, or
 * GC_EINVAL (nothing drawn, nothing changed) for NULL net or rng or an init
 * that is none of gc_init's values. */
int gc_net_init_params(gc_net *net, gc_init init, gc_pcg32 *rng);

/* Forward pass over all layers; fills act[1..] and loss_value; returns it.
 * NaN when net is NULL or has no data (gc_net_set_data). */
double gc_net_forward(gc_net *net);

/* Forward pass over layers k .. nlayers-1 only, from the cached act[k]
 * (0 <= k <= nlayers; k == nlayers only recomputes the loss).  The caller
 * guarantees act[k] is current.  Returns the loss; NaN when net is NULL,
 * has no data or k is out of range. */
double gc_net_forward_from(gc_net *net, int k);

/* Backward pass: zero every gradient, then fill dact[nlayers..0] and every
 * parameter gradient from the cache of the last forward.  A no-op when net
 * is NULL or has no data. */
void gc_net_backward(gc_net *net);

/* The tensor named `name` ("W1"), or NULL; *layer (may be NULL) gets its
 * layer index. */
gc_tensor *gc_net_find_tensor(const gc_net *net, const char *name, int *layer);

#ifdef __cplusplus
}
#endif

#endif
