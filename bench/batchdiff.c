/*
 * batchdiff.c -- how far the fast engine's batched losses (gc_fast_losses,
 * softmax_ce's values op with SLEEF) are from the same losses one at a
 * time (gc_fast_loss, libm) and from the reference's (perturb in place,
 * recompute), over every batchable element at θ ± 1e-6 of N random
 * softmax_ce networks (1 or 2 hidden layers of 1..30 units, sigmoid, tanh,
 * gelu or softplus, 2..13 logits, batch 1..8).  Prints the largest of each
 * in units of u = 2^-53 (of |L|, and of max(1, |L|) as GC_FAST_TIE_ULPS
 * counts).  The numbers behind GC_LOSS_VALUES_BOUND and GC_FAST_TIE_ULPS in
 * bench/README.md:
 *
 *   cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Ilib bench/batchdiff.c build/libgradcheck.a \
 *      $(pkg-config --libs jansson zlib sleef) -lm -pthread -o build/batchdiff && build/batchdiff 1000
 */
#include <gradcheck.h>
#include <engine/fast.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct worst {
    double batch_scalar; /* |batched - one at a time| / (u |L|) */
    double batch_ref;    /* |batched - reference| / (u max(1, |L|)) */
    double scalar_ref;   /* |one at a time - reference| / (u max(1, |L|)) */
    long n;
} worst;

static gc_net *random_net(int q)
{
    static const char *const acts[] = {"sigmoid,identity", "tanh,identity", "gelu,identity",
                                       "softplus,identity", "sigmoid,tanh,identity"};
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 1000 + (uint64_t)q);
    int a = q % 5, in = 2 + (int)gc_pcg32_bounded(&rng, 40);
    int h = 1 + (int)gc_pcg32_bounded(&rng, 30);
    int h2 = 1 + (int)gc_pcg32_bounded(&rng, 20), out = 2 + (int)gc_pcg32_bounded(&rng, 12);
    int B = 1 + (int)gc_pcg32_bounded(&rng, 8);
    char arch[64];
    if (a == 4)
        snprintf(arch, sizeof arch, "%d-%d-%d-%d", in, h, h2, out);
    else
        snprintf(arch, sizeof arch, "%d-%d-%d", in, h, out);
    gc_error err = {0};
    gc_net *net = gc_net_from_arch(arch, acts[a], "softmax_ce", B,
                                   q % 2 ? GC_INIT_XAVIER : GC_INIT_HE, &rng, &err);
    if (net == NULL)
        fprintf(stderr, "batchdiff: %s: %s\n", arch, err.msg);
    return net;
}

/* Every element of batchable tensor t at θ ± 1e-6. */
static void tensor_diffs(gc_net *net, gc_fast *f, int t, worst *w)
{
    const double u = DBL_EPSILON / 2;
    gc_tensor *tn = net->tensors[t];
    size_t sz = (size_t)tn->rows * (size_t)tn->cols;
    size_t *idx = malloc(2 * sz * sizeof *idx);
    double *v = malloc(2 * sz * sizeof *v), *L = malloc(2 * sz * sizeof *L);
    if (idx == NULL || v == NULL || L == NULL)
        exit(1);
    for (size_t e = 0; e < sz; e++) {
        idx[2 * e] = idx[2 * e + 1] = e;
        v[2 * e] = tn->value[e] - 1e-6;
        v[2 * e + 1] = tn->value[e] + 1e-6;
    }
    gc_fast_losses(f, t, idx, v, 2 * sz, L);
    for (size_t s = 0; s < 2 * sz; s++) {
        double ls = gc_fast_loss(f, 0, t, idx[s], v[s]);
        double keep = tn->value[idx[s]];
        tn->value[idx[s]] = v[s];
        double lr = gc_net_forward_from(net, net->tensor_layer[t]);
        tn->value[idx[s]] = keep;
        gc_net_forward_from(net, net->tensor_layer[t]);
        double scale = u * fmax(1.0, fabs(ls));
        w->batch_scalar = fmax(w->batch_scalar, fabs(L[s] - ls) / (u * fabs(ls)));
        w->batch_ref = fmax(w->batch_ref, fabs(L[s] - lr) / scale);
        w->scalar_ref = fmax(w->scalar_ref, fabs(ls - lr) / scale);
        w->n++;
    }
    free(idx);
    free(v);
    free(L);
}

int main(int argc, char **argv)
{
    int nnets = argc > 1 ? atoi(argv[1]) : 200;
    worst w = {0.0, 0.0, 0.0, 0};
    for (int q = 0; q < nnets; q++) {
        gc_net *net = random_net(q);
        if (net == NULL)
            return 1;
        gc_net_forward(net);
        gc_fast *f = gc_fast_new(net, 0);
        if (f == NULL)
            return 1;
        for (int t = 0; t < net->ntensors; t++)
            if (gc_fast_batchable(f, t))
                tensor_diffs(net, f, t, &w);
        gc_fast_free(f);
        gc_net_free(net);
    }
    printf("%ld losses, %d networks: batched vs one at a time %.2f u|L|; batched vs reference "
           "%.2f u max(1,|L|); one at a time vs reference %.2f u max(1,|L|)\n",
           w.n, nnets, w.batch_scalar, w.batch_ref, w.scalar_ref);
    return 0;
}
