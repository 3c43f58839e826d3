/*
 * classic.c -- the classic 2-layer network, by hand (see classic.h).
 *
 * Read this first.  Shapes follow the notes: x is a column vector (2 x 1),
 * W1 is 2 x 2, b1 2 x 1, W2 1 x 2, b2 1 x 1, y is a scalar label.
 *
 *   z1 = W1 x + b1     a1 = sigma(z1)
 *   z2 = W2 a1 + b2    a2 = sigma(z2)
 *   loss = -(y log a2 + (1 - y) log(1 - a2))
 */
#include "classic.h"

#include <math.h>

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

void classic_params_rand(classic_params *p, gc_pcg32 *rng)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            p->W1[i][j] = gc_pcg32_uniform(rng);
    for (int i = 0; i < 2; i++)
        p->b1[i] = gc_pcg32_uniform(rng);
    for (int j = 0; j < 2; j++)
        p->W2[j] = gc_pcg32_uniform(rng);
    p->b2 = gc_pcg32_uniform(rng);
}

double classic_fprop(classic_cache *c, const double x[2], double y, const classic_params *p)
{
    c->x[0] = x[0];
    c->x[1] = x[1];
    c->y = y;
    c->p = *p;
    /* Hidden layer: z1 = W1 x + b1, a1 = sigma(z1). */
    for (int i = 0; i < 2; i++) {
        c->z1[i] = p->W1[i][0] * x[0] + p->W1[i][1] * x[1] + p->b1[i];
        c->a1[i] = sigmoid(c->z1[i]);
    }
    /* Output unit: z2 = W2 a1 + b2, a2 = sigma(z2). */
    c->z2 = p->W2[0] * c->a1[0] + p->W2[1] * c->a1[1] + p->b2;
    c->a2 = sigmoid(c->z2);
    c->loss = -(y * log(c->a2) + (1.0 - y) * log(1.0 - c->a2));
    return c->loss;
}

void classic_bprop(classic_grads *g, const classic_cache *c)
{
    /* The fused output gradient: with a2 = sigma(z2),
     *   dloss/da2 = -(y / a2 - (1 - y) / (1 - a2)) = (a2 - y) / (a2 (1 - a2))
     * and da2/dz2 = a2 (1 - a2), so dz2 = a2 - y. */
    double dz2 = c->a2 - c->y;
    /* z2 = W2 a1 + b2: dW2 = dz2 a1^T, db2 = dz2. */
    for (int j = 0; j < 2; j++)
        g->dW2[j] = dz2 * c->a1[j];
    g->db2 = dz2;
    /* Back through W2: da1 = W2^T dz2; through the sigmoid:
     * dz1 = da1 * sigma(z1) (1 - sigma(z1)), as in the notes. */
    double dz1[2];
    for (int i = 0; i < 2; i++) {
        double s = sigmoid(c->z1[i]);
        dz1[i] = c->p.W2[i] * dz2 * s * (1.0 - s);
    }
    /* z1 = W1 x + b1: dW1 = dz1 x^T, db1 = dz1. */
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            g->dW1[i][j] = dz1[i] * c->x[j];
        g->db1[i] = dz1[i];
    }
}

gc_net *classic_net(const classic_params *p, const double x[2], double y, gc_error *err)
{
    gc_net *net = gc_net_new(&gc_loss_bce);
    gc_mat *X = gc_mat_new(2, 1), *T = gc_mat_new(1, 1);
    if (net == NULL || X == NULL || T == NULL) {
        gc_error_set(err, GC_ENOMEM, "out of memory");
        goto fail;
    }
    /* dense 2->2, sigmoid, dense 2->1, sigmoid: parameters W1 b1 W2 b2. */
    if (gc_net_add(net, gc_dense_new(2, 2), err) != GC_OK ||
        gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 2, 0.0), err) != GC_OK ||
        gc_net_add(net, gc_dense_new(2, 1), err) != GC_OK ||
        gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 1, 0.0), err) != GC_OK)
        goto fail;
    gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL), *b1 = gc_net_find_tensor(net, "b1", NULL);
    gc_tensor *W2 = gc_net_find_tensor(net, "W2", NULL), *b2 = gc_net_find_tensor(net, "b2", NULL);
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            W1->value[i * 2 + j] = p->W1[i][j];
        b1->value[i] = p->b1[i];
        W2->value[i] = p->W2[i];
    }
    b2->value[0] = p->b2;
    X->data[0] = x[0];
    X->data[1] = x[1];
    T->data[0] = y;
    if (gc_net_set_data(net, X, T, err) != GC_OK)
        goto fail;
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
fail:
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
    return NULL;
}
