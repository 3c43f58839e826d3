/*
 * props_mutnet.c -- the standard networks the mutants are checked in (see
 * fixtures/mutants/mutants.h for their shapes and what each blames).
 *
 * The same seed builds the same shapes and values with the mutant or with
 * the correct built-in in its place, so "the mutant fails and the correct
 * layer passes" is a statement about one network.  The draws respect each
 * mutant's observability needs (batch >= 2, a real matrix, inputs of both
 * signs or away from 0, width >= 2), redrawing values from the same generator until they
 * hold.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_testutil.h"
#include "props.h"

/* Stream (initseq) of the mutant networks' generator: any fixed constant
 * will do; fixed so that a seed names one network. */
#define MUTNET_STREAM 0x6d7574u

/* Shapes: n0 inputs, n1 hidden (the mutant activation's width, dense2's
 * in), n2 outputs, B examples. */
typedef struct shape {
    int n0, n1, n2, B;
} shape;

static shape draw_shape(const gc_mutant *m, gc_pcg32 *rng)
{
    shape s;
    s.n0 = props_draw_int(rng, 1, 6);
    s.n1 = props_draw_int(rng, 1, 8);
    s.n2 = props_draw_int(rng, 1, 6);
    s.B = props_draw_int(rng, 1, 6);
    if (m->needs & GC_MUTANT_NEED_BATCH2)
        s.B = props_draw_int(rng, 2, 6);
    if (m->needs & GC_MUTANT_NEED_WIDTH2) {
        s.n1 = props_draw_int(rng, 2, 8);
        s.n2 = props_draw_int(rng, 2, 6);
    }
    if (m->needs & GC_MUTANT_NEED_MATRIX) {
        s.n1 = props_draw_int(rng, 2, 8);
        do
            s.n2 = props_draw_int(rng, 2, 6);
        while (s.n2 == s.n1);
    }
    /* Two signs need two elements. */
    if ((m->needs & GC_MUTANT_NEED_BOTH_SIGNS) && s.n1 * s.B < 2)
        s.B = 2;
    return s;
}

/* The correct built-in the mutant replaces, and the loss of the network. */
static const gc_loss *net_loss(const gc_mutant *m, int use_mutant)
{
    if (m->site != GC_MUTANT_LOSS)
        return &gc_loss_mse;
    return use_mutant ? m->loss : gc_loss_by_name(m->loss->name);
}

static gc_layer *dense2(const gc_mutant *m, int use_mutant, int in, int out)
{
    if (m->site != GC_MUTANT_DENSE || !use_mutant)
        return gc_dense_new(in, out);
    return tu_dense_shaped_new(m->ops, in, out);
}

static gc_layer *act1(const gc_mutant *m, int use_mutant, int n)
{
    if (m->site != GC_MUTANT_ACT)
        return gc_activation_new(GC_ACT_TANH, n, 0.0);
    double alpha = gc_act_default_alpha(m->act);
    if (!use_mutant)
        return gc_activation_new(m->act, n, alpha);
    gc_layer *l = gc_layer_new(m->ops, n, n);
    if (l != NULL)
        l->alpha = alpha;
    return l;
}

/* Targets valid for the loss and informative for its bugs: mse N(0, 1);
 * bce and bce_logits strictly inside (0, 1) (with t in {0, 1} one term of
 * bce vanishes and a bug in it could hide); softmax_ce a random distribution
 * per column (softmax of normals). */
static void draw_targets(gc_mat *T, const char *loss, gc_pcg32 *rng)
{
    size_t n = gc_mat_size(T);
    if (strcmp(loss, "mse") == 0) {
        for (size_t i = 0; i < n; i++)
            T->data[i] = gc_pcg32_normal(rng);
    } else if (strcmp(loss, "softmax_ce") == 0) {
        for (int c = 0; c < T->cols; c++) {
            double sum = 0.0;
            for (int r = 0; r < T->rows; r++) {
                GC_AT(T, r, c) = exp(gc_pcg32_normal(rng));
                sum += GC_AT(T, r, c);
            }
            for (int r = 0; r < T->rows; r++)
                GC_AT(T, r, c) /= sum;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            T->data[i] = 0.05 + 0.9 * gc_pcg32_uniform(rng);
    }
}

/* Parameters Xavier (so activations stay in a sane range whatever the
 * widths), biases N(0, 0.25) (Xavier leaves them 0, which would make a
 * bias bug's every input symmetric), X N(0, 1).  gc_net_init_params's
 * status. */
static int draw_values(gc_net *net, gc_mat *X, gc_pcg32 *rng)
{
    int rc = gc_net_init_params(net, GC_INIT_XAVIER, rng);
    if (rc != GC_OK)
        return rc;
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *ten = net->tensors[t];
        if (ten->cols == 1)
            for (int r = 0; r < ten->rows; r++)
                ten->value[r] = 0.5 * gc_pcg32_normal(rng);
    }
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(rng);
    return GC_OK;
}

/* Both signs among the mutant activation's inputs (act[1], dense1's
 * output), each at least 1e-3 away from 0 so no element sits within the
 * check's eps of the kink. */
static int both_signs(const gc_net *net)
{
    const gc_mat *A = net->act[1];
    int neg = 0, pos = 0;
    for (size_t i = 0; i < gc_mat_size(A); i++) {
        double a = A->data[i];
        if (!(a < -1e-3 || a > 1e-3))
            return 0;
        neg |= a < 0.0;
        pos |= a > 0.0;
    }
    return neg && pos;
}

/* Some input of the mutant activation (act[1]) with |x| >= 0.5. */
static int away_from_0(const gc_net *net)
{
    const gc_mat *A = net->act[1];
    for (size_t i = 0; i < gc_mat_size(A); i++)
        if (fabs(A->data[i]) >= 0.5)
            return 1;
    return 0;
}

gc_net *props_mutant_net(const gc_mutant *m, int use_mutant, uint64_t seed, char *desc,
                         size_t size, gc_error *err)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, MUTNET_STREAM);
    shape s = draw_shape(m, &rng);
    const gc_loss *loss = net_loss(m, use_mutant);
    int probs = strcmp(loss->name, "bce") == 0; /* bce wants a sigmoid output */
    gc_mat *X = gc_mat_new(s.n0, s.B), *T = gc_mat_new(s.n2, s.B);
    gc_net *net = gc_net_new(loss);
    if (X == NULL || T == NULL || net == NULL) {
        gc_error_set(err, GC_ENOMEM, "out of memory");
        goto fail;
    }
    if (gc_net_add(net, gc_dense_new(s.n0, s.n1), err) != GC_OK ||
        gc_net_add(net, act1(m, use_mutant, s.n1), err) != GC_OK ||
        gc_net_add(net, dense2(m, use_mutant, s.n1, s.n2), err) != GC_OK ||
        (probs && gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, s.n2, 0.0), err) != GC_OK))
        goto fail;
    draw_targets(T, loss->name, &rng);
    /* Redraw the values (not the shapes) until the bug can show; the
     * generator moves on, so the sequence is still fixed by the seed. */
    for (int attempt = 0;; attempt++) {
        if (draw_values(net, X, &rng) != GC_OK) {
            gc_error_set(err, GC_EINVAL, "gc_net_init_params refused the network");
            goto fail;
        }
        if (gc_net_set_data(net, X, T, err) != GC_OK)
            goto fail;
        if (!(m->needs & (GC_MUTANT_NEED_BOTH_SIGNS | GC_MUTANT_NEED_AWAY_FROM_0)))
            break;
        gc_net_forward(net);
        if ((!(m->needs & GC_MUTANT_NEED_BOTH_SIGNS) || both_signs(net)) &&
            (!(m->needs & GC_MUTANT_NEED_AWAY_FROM_0) || away_from_0(net)))
            break;
        if (attempt == 1000) {
            gc_error_set(err, GC_ERANGE, "no draw meets the mutant's needs in 1000 tries");
            goto fail;
        }
    }
    if (desc != NULL)
        snprintf(desc, size, "x %dx%d -> dense %d->%d -> %s -> dense %d->%d%s -> %s (seed %llu)",
                 s.n0, s.B, s.n0, s.n1,
                 m->site == GC_MUTANT_ACT ? gc_act_name(m->act) : "tanh", s.n1, s.n2,
                 probs ? " -> sigmoid" : "", loss->name, (unsigned long long)seed);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
fail:
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
    return NULL;
}
