/*
 * fast.c -- the sparse-change evaluator behind GC_ENGINE_FAST.
 *
 * The reference engine perturbs one element θi and recomputes every layer
 * from the perturbed one on.  Most of that work recomputes values that did
 * not change.  For a dense layer Z = W X + b (GC_CAP_AFFINE):
 *
 *   - changing W[j][k] by δ changes only row j of Z:  Z'[j][c] = Z[j][c] + δ X[k][c];
 *     changing b[j] by δ:                              Z'[j][c] = Z[j][c] + δ;
 *   - an elementwise layer (GC_CAP_ELEMENTWISE) keeps a one-row change one
 *     row: its forward runs on that 1 x B row alone;
 *   - the next dense layer receives a rank-1 change:
 *     Z'_{l+1} = Z_{l+1} + W_{l+1}[:, j] (A'_l[j, :] - A_l[j, :]),  O(out B);
 *   - from there on the change is dense and every layer is recomputed by
 *     its own forward, as the reference does; the loss is the loss's own
 *     value() on the changed output;
 *   - an input element X[k][c] (tensor "x") changes column c of the first
 *     dense layer's output by δ W[:, k]: O(out) instead of O(out in B).
 *
 * A dense layer's element then costs O(out B) instead of the whole
 * forward pass from its layer on.  A layer that declares no capability (softmax,
 * a user's layer) gets its whole input materialised (the cached matrix with
 * the changed row written in) and is recomputed by its forward: the fallback
 * is automatic and never looks at a type name.
 *
 * Rounding.  The values computed are L(θ + δ eᵢ) for the very δ = v - θi the
 * reference applies, in exact arithmetic identical to the reference's; in
 * floating point they differ by rounding only, because the changed entries
 * are updated (cached + delta) rather than re-summed.  The guaranteed bound
 * is first order: each engine's L is within
 *     e = γ_m ( Σ_layers Σ_{i,c} |dL/dY[i][c]| M[i][c] + |L| + 2 max|P| + max|T| ),
 *     M = |b_i| + Σ_j |W_ij A_jc| for a dense output, |Y| for any other,
 *     γ_m = m u / (1 - m u), u = 2^-53, m = max width + 4,
 * of the exact value (the standard dot-product bound at every output,
 * propagated to L by its sensitivity; the update adds two roundings per
 * entry, within the +4; the loss sums N terms), so the two engines'
 * numerical derivatives differ by at most (2e + 2e) / 2ε = 2e / ε (central;
 * forward 2e / ε; richardson times Σ|c_i| 2^i).  checks/check_fast.c
 * asserts this element by element over random networks.  The bound is
 * worst-case; the differences seen are a few ulps of L / ε
 * (docs/measurements.md), and lib/engine/parallel.c recomputes with the
 * reference every row whose verdict such a difference could decide, so the
 * verdicts are the reference's.  The update form shares the
 * cached Z between L(θ+ε) and L(θ-ε), so their difference carries less
 * rounding noise than two full recomputations.
 *
 * Batches (fast_batch.c, gc_fast_losses): many perturbations of one tensor
 * side by side as columns, each number before the loss the same operation
 * as here; a loss with a values op (its batch capability) computes its
 * exps and log1p's with SLEEF's vector functions, not libm's (or, with
 * values_near, from the cached output's exps and a short polynomial of
 * the change, or along the line Z + W[:, j] d of the changed unit j, from
 * a cubic in each column's d whose coefficients that unit's variants
 * share: line, values_line), and is within GC_LOSS_VALUES_BOUND(rows) u |L| of value()
 * (derived in lib/gradcheck/layer.h: (2 rows + 38) u |L| to first order,
 * 60 u |L| for 10 logits).  A batched L is then within e + that bound of
 * the exact value, and the two engines' central differences within
 * 2e / ε + GC_LOSS_VALUES_BOUND(rows) u |L| / ε; lib/engine/parallel.c's
 * box adds the same term (docs/DESIGN.md §4).
 *
 * Threads: an evaluator only reads the network (parameters, cache, targets);
 * everything it writes is its own, so each thread owns one.
 */
#include "engine/fast.h"
#include "engine/fast_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Index of tensor t among its layer's params. */
static int param_index(const gc_net *net, int t)
{
    const gc_layer *l = net->layers[net->tensor_layer[t]];
    return (int)(net->tensors[t] - l->param);
}

static int uses_affine_update(const gc_net *net, int t)
{
    const gc_layer *l = net->layers[net->tensor_layer[t]];
    return (l->ops->caps & GC_CAP_AFFINE) != 0 && param_index(net, t) <= 1;
}

void gc_fast_free(gc_fast *f)
{
    if (f == NULL)
        return;
    for (int s = 0; s < GC_FAST_SLOTS; s++) {
        fast_slot *S = &f->slot[s];
        if (S->rowv != NULL)
            for (int k = 0; k <= f->n; k++)
                free(S->rowv[k].data);
        if (S->full != NULL)
            for (int k = 0; k <= f->n; k++)
                free(S->full[k].data);
        free(S->kind);
        free(S->row);
        free(S->rowv);
        free(S->full);
    }
    if (f->priv != NULL)
        for (int t = 0; t < f->net->ntensors; t++)
            free(f->priv[t]);
    free(f->priv);
    if (f->layer_copy != NULL)
        for (int k = 0; k < f->n; k++)
            free(f->layer_copy[k].work);
    free(f->layer_copy);
    free(f->dirbuf);
    free(f->dbuf);
    free(f->t_layer);
    free(f->t_param);
    free(f->t_affine);
    gc_fast_batch_free(f->batch);
    free(f);
}

/*
 * Zeroed memory of whole cache lines (aligned, size rounded up), or NULL.
 * Every evaluator is one thread's: its small, hot buffers (the change
 * states, a 1 x B row at B = 1 is 8 bytes) must not share a cache line with
 * another thread's, or each write invalidates the other core's copy (false
 * sharing).
 */
#define LINE 64
void *gc_fast_line_alloc(size_t n, size_t size, size_t *bytes)
{
    if (n == 0)
        n = 1;
    if (size != 0 && n > (SIZE_MAX - LINE) / size)
        return NULL;
    *bytes = (n * size + LINE - 1) / LINE * LINE;
    return aligned_alloc(LINE, *bytes);
}

void *gc_fast_line_calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p = gc_fast_line_alloc(n, size, &bytes);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

/* data for a rows x cols matrix, or NULL. */
static int mat_init(gc_mat *m, int rows, int cols)
{
    m->rows = rows;
    m->cols = cols;
    m->data = gc_fast_line_calloc((size_t)rows * (size_t)cols, sizeof(double));
    return m->data != NULL;
}

gc_fast *gc_fast_new(const gc_net *net, int directions)
{
    if (net == NULL || net->batch < 1 || net->nlayers < 1 || net->act == NULL)
        return NULL;
    gc_fast *f = gc_fast_line_calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->net = net;
    f->n = net->nlayers;
    f->B = net->batch;
    int n = f->n, B = f->B;
    for (int s = 0; s < GC_FAST_SLOTS; s++) {
        fast_slot *S = &f->slot[s];
        S->kind = gc_fast_line_calloc((size_t)n + 1, sizeof *S->kind);
        S->row = gc_fast_line_calloc((size_t)n + 1, sizeof *S->row);
        S->rowv = gc_fast_line_calloc((size_t)n + 1, sizeof *S->rowv);
        S->full = gc_fast_line_calloc((size_t)n + 1, sizeof *S->full);
        if (S->kind == NULL || S->row == NULL || S->rowv == NULL || S->full == NULL)
            goto fail;
        for (int k = 0; k <= n; k++)
            if (!mat_init(&S->rowv[k], 1, B) || !mat_init(&S->full[k], gc_fast_rows_of(net, k), B))
                goto fail;
    }
    f->layer_copy = gc_fast_line_calloc((size_t)n, sizeof *f->layer_copy);
    f->priv = gc_fast_line_calloc((size_t)net->ntensors, sizeof *f->priv);
    f->dbuf = gc_fast_line_calloc((size_t)B, sizeof *f->dbuf);
    /* per tensor, what gc_fast_loss asks for every loss */
    f->t_layer = gc_fast_line_calloc((size_t)net->ntensors, sizeof *f->t_layer);
    f->t_param = gc_fast_line_calloc((size_t)net->ntensors, sizeof *f->t_param);
    f->t_affine = gc_fast_line_calloc((size_t)net->ntensors, sizeof *f->t_affine);
    if (f->layer_copy == NULL || f->priv == NULL || f->dbuf == NULL || f->t_layer == NULL ||
        f->t_param == NULL || f->t_affine == NULL)
        goto fail;
    for (int k = 0; k < n; k++) {
        f->layer_copy[k] = *net->layers[k];
        if (net->layers[k]->ops->kink != NULL)
            f->any_kink = 1;
        /* a workspace of its own (ops->workspace): forwards on other
         * threads write theirs meanwhile */
        f->layer_copy[k].work = NULL;
        f->layer_copy[k].work_size = 0;
        if (gc_layer_reserve(&f->layer_copy[k], B) != GC_OK)
            goto fail;
    }
    for (int t = 0; t < net->ntensors; t++) {
        f->t_layer[t] = net->tensor_layer[t];
        f->t_param[t] = param_index(net, t);
        f->t_affine[t] = (unsigned char)uses_affine_update(net, t);
    }
    size_t maxsize = gc_mat_size(net->act[0]);
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *tn = net->tensors[t];
        size_t size = (size_t)tn->rows * (size_t)tn->cols;
        if (size > maxsize)
            maxsize = size;
        if (uses_affine_update(net, t))
            continue;
        /* A layer without GC_CAP_AFFINE is recomputed with the element set in
         * a private copy of its tensor: the shared one is never written, so
         * other threads may read it meanwhile. */
        f->priv[t] = gc_fast_line_calloc(size, sizeof(double));
        if (f->priv[t] == NULL)
            goto fail;
        memcpy(f->priv[t], tn->value, size * sizeof(double));
        f->layer_copy[net->tensor_layer[t]].param[param_index(net, t)].value = f->priv[t];
    }
    f->batch = gc_fast_batch_new(f);
    if (f->batch == NULL)
        goto fail;
    if (!directions)
        return f;
    f->dirbuf = gc_fast_line_calloc(maxsize, sizeof *f->dirbuf);
    if (f->dirbuf == NULL)
        goto fail;
    return f;
fail:
    gc_fast_free(f);
    return NULL;
}

/* act[k] of slot S made whole in S->full[k] (from the cache and the changed
 * row); kind becomes CH_FULL. */
static void materialize(const gc_net *net, fast_slot *S, int k)
{
    gc_mat *F = &S->full[k];
    if (S->kind[k] == CH_FULL)
        return;
    memcpy(F->data, net->act[k]->data, gc_mat_size(F) * sizeof(double));
    if (S->kind[k] == CH_ROW)
        memcpy(&GC_AT(F, S->row[k], 0), S->rowv[k].data, (size_t)F->cols * sizeof(double));
    S->kind[k] = CH_FULL;
}

/* Walk layers k0 .. n-1 with act[k0] changed as slot S says, then the loss. */
static double propagate(gc_fast *f, fast_slot *S, int k0)
{
    const gc_net *net = f->net;
    int B = f->B;
    for (int k = k0; k < f->n; k++) {
        const gc_layer *l = &f->layer_copy[k];
        unsigned caps = l->ops->caps;
        if (S->kind[k] == CH_ROW) {
            int j = S->row[k];
            if (caps & GC_CAP_ELEMENTWISE) {
                /* Y[j][c] = f(X[j][c]): only row j changes. */
                l->ops->forward(l, &S->rowv[k + 1], &S->rowv[k]);
                S->kind[k + 1] = CH_ROW;
                S->row[k + 1] = j;
                continue;
            }
            if (caps & GC_CAP_AFFINE) {
                /* Z' = W X' + b = Z + W[:, j] (X'[j, :] - X[j, :]): rank 1. */
                const double *W = l->param[0].value;
                const double *xr = S->rowv[k].data;
                const double *xc = &GC_AT(net->act[k], j, 0);
                for (int c = 0; c < B; c++)
                    f->dbuf[c] = xr[c] - xc[c];
                gc_mat *Zn = &S->full[k + 1];
                if (B == 1) {
                    /* the same sums, without the loop over one column */
                    const double d = f->dbuf[0];
                    const double *Wj = W + j, *z = net->act[k + 1]->data;
                    double *zn = Zn->data;
                    const size_t in = (size_t)l->in;
                    for (int i = 0; i < l->out; i++)
                        zn[i] = z[i] + Wj[(size_t)i * in] * d;
                    S->kind[k + 1] = CH_FULL;
                    continue;
                }
                for (int i = 0; i < l->out; i++) {
                    double w = W[(size_t)i * (size_t)l->in + (size_t)j];
                    const double *z = &GC_AT(net->act[k + 1], i, 0);
                    double *zn = &GC_AT(Zn, i, 0);
                    for (int c = 0; c < B; c++)
                        zn[c] = z[c] + w * f->dbuf[c];
                }
                S->kind[k + 1] = CH_FULL;
                continue;
            }
            /* No capability: the layer gets its whole input. */
            materialize(net, S, k);
        }
        l->ops->forward(l, &S->full[k + 1], &S->full[k]);
        S->kind[k + 1] = CH_FULL;
    }
    if (S->kind[f->n] != CH_FULL)
        materialize(net, S, f->n);
    f->nevals++;
    return net->loss->value(&S->full[f->n], net->T);
}

/* Mark act[0 .. k] unchanged. */
static void clear_until(fast_slot *S, int k)
{
    for (int i = 0; i <= k; i++)
        S->kind[i] = CH_NONE;
}

double gc_fast_loss(gc_fast *f, int s, int t, size_t idx, double v)
{
    const gc_net *net = f->net;
    fast_slot *S = &f->slot[s];
    if (t == GC_FAST_INPUT) {
        const gc_layer *l0 = net->layers[0];
        if ((l0->ops->caps & GC_CAP_AFFINE) && l0->ops->kink == NULL) {
            /* X[k][c] += δ changes column c of Z = W X + b by δ W[:, k]; the
             * layer has no hook to ask about X, so X itself is not needed. */
            int B = f->B, k = (int)(idx / (size_t)B), c = (int)(idx % (size_t)B);
            double delta = v - net->act[0]->data[idx];
            const double *W = l0->param[0].value;
            gc_mat *Z = &S->full[1];
            memcpy(Z->data, net->act[1]->data, gc_mat_size(Z) * sizeof(double));
            for (int i = 0; i < l0->out; i++)
                GC_AT(Z, i, c) += delta * W[(size_t)i * (size_t)l0->in + (size_t)k];
            S->kind[0] = CH_NONE; /* no hook reads it (checked above) */
            S->kind[1] = CH_FULL;
            return propagate(f, S, 1);
        }
        /* X[r][c] = v: materialise the input and recompute from layer 0. */
        S->kind[0] = CH_NONE;
        materialize(net, S, 0);
        S->full[0].data[idx] = v;
        return propagate(f, S, 0);
    }
    int p = f->t_layer[t];
    int pi = f->t_param[t];
    const gc_tensor *tn = net->tensors[t];
    clear_until(S, p);
    if (f->t_affine[t]) {
        const gc_layer *l = net->layers[p];
        /* δ = v - θ is the perturbation the reference applies (θ ± ε rounded
         * to a double); exact by Sterbenz's lemma whenever |θ| >= ε. */
        double delta = v - tn->value[idx];
        int j = pi == 0 ? (int)(idx / (size_t)l->in) : (int)idx;
        const double *z = &GC_AT(net->act[p + 1], j, 0);
        double *r = S->rowv[p + 1].data;
        if (pi == 0) {
            /* W[j][k] += δ:  Z[j][c] += δ X[k][c]. */
            const double *x = &GC_AT(net->act[p], (int)(idx % (size_t)l->in), 0);
            for (int c = 0; c < f->B; c++)
                r[c] = z[c] + delta * x[c];
        } else {
            /* b[j] += δ:  Z[j][c] += δ for every column. */
            for (int c = 0; c < f->B; c++)
                r[c] = z[c] + delta;
        }
        S->kind[p + 1] = CH_ROW;
        S->row[p + 1] = j;
    } else {
        /* Recompute the layer with the element set in the private copy. */
        const gc_layer *l = &f->layer_copy[p];
        double *pv = f->priv[t];
        double keep = pv[idx];
        pv[idx] = v;
        l->ops->forward(l, &S->full[p + 1], net->act[p]);
        pv[idx] = keep;
        S->kind[p + 1] = CH_FULL;
    }
    return propagate(f, S, p + 1);
}

double gc_fast_loss_dir(gc_fast *f, int s, int t, const double *d, double h)
{
    const gc_net *net = f->net;
    fast_slot *S = &f->slot[s];
    if (t == GC_FAST_INPUT) {
        S->kind[0] = CH_FULL;
        gc_mat *X = &S->full[0];
        size_t size = gc_mat_size(X);
        for (size_t i = 0; i < size; i++)
            X->data[i] = net->act[0]->data[i] + h * d[i];
        return propagate(f, S, 0);
    }
    if (f->dirbuf == NULL) /* made without `directions` */
        return NAN;
    int p = net->tensor_layer[t];
    int pi = param_index(net, t);
    const gc_tensor *tn = net->tensors[t];
    size_t size = (size_t)tn->rows * (size_t)tn->cols;
    clear_until(S, p);
    for (size_t i = 0; i < size; i++)
        f->dirbuf[i] = tn->value[i] + h * d[i];
    gc_layer *l = &f->layer_copy[p];
    double *keep = l->param[pi].value;
    l->param[pi].value = f->dirbuf;
    l->ops->forward(l, &S->full[p + 1], net->act[p]);
    l->param[pi].value = keep;
    S->kind[p + 1] = CH_FULL;
    return propagate(f, S, p + 1);
}

int gc_fast_kink(gc_fast *f, int a, int b)
{
    fast_slot *A = &f->slot[a], *Bs = &f->slot[b];
    if (!f->any_kink) /* no hook to ask */
        return 0;
    for (int k = 0; k < f->n; k++) {
        const gc_layer *l = &f->layer_copy[k];
        if (l->ops->kink == NULL || A->kind[k] == CH_NONE)
            continue;
        int fired;
        if (A->kind[k] == CH_ROW && Bs->kind[k] == CH_ROW && A->row[k] == Bs->row[k] &&
            (l->ops->caps & GC_CAP_ELEMENTWISE)) {
            /* Every other element is equal in both passes, where a hook
             * never fires: asking about the changed row is the same question. */
            fired = l->ops->kink(l, &A->rowv[k], &Bs->rowv[k]);
        } else {
            materialize(f->net, A, k);
            materialize(f->net, Bs, k);
            fired = l->ops->kink(l, &A->full[k], &Bs->full[k]);
        }
        if (fired)
            return 1;
    }
    return 0;
}

unsigned long long gc_fast_nevals(const gc_fast *f)
{
    return f == NULL ? 0 : f->nevals;
}
