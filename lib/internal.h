/*
 * internal.h -- libgradcheck's private interfaces (not installed).
 *
 * The sparse-change evaluator behind GC_ENGINE_FAST, and the small thread
 * pool that spreads element checks over cores.  The reference engine's
 * per-element logic (steps, kinks, verdicts) is shared: it asks an evaluator
 * for L(θ with one element set to v), and the fast evaluator answers that
 * from the cached forward pass by propagating only what changed.
 */
#ifndef GRADCHECK_INTERNAL_H
#define GRADCHECK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gradcheck/check.h"
#include "gradcheck/net.h"

/* ---- the sparse-change evaluator (fast.c) ------------------------------- */

/* Tensor index that names the network's input X (tensor "x") in the calls
 * below; other indices are net->tensors[] indices. */
#define GC_FAST_INPUT (-1)

/* Slots: each holds one perturbed forward pass, so that a kink hook can
 * compare the inputs of every layer at two perturbations (θ-ε and θ+ε). */
#define GC_FAST_SLOTS 2

/* One thread's scratch: per slot a row buffer (1 x B) and a full matrix
 * (rows x B) for every activation, private copies of the tensors of layers
 * that declare no capability, and (for the screen) one tensor-sized buffer.
 * Allocated once; no evaluation allocates. */
typedef struct gc_fast gc_fast;

/* A new evaluator over net's current cache (net->act, net->T, parameter
 * values), which must stay unchanged while it is used; it only reads net, so
 * any number of evaluators may run on one net in parallel threads.
 * `directions` nonzero: also room for gc_fast_loss_dir.  NULL when memory
 * runs out or net has no data. */
gc_fast *gc_fast_new(const gc_net *net, int directions);

/* Free f; NULL is a no-op. */
void gc_fast_free(gc_fast *f);

/* The loss with element idx (row-major) of tensor t (a net->tensors index, or
 * GC_FAST_INPUT) set to v and every other value as cached, computed into
 * slot s (0 .. GC_FAST_SLOTS-1) from the changed rows on.  The parameters are
 * never written. */
double gc_fast_loss(gc_fast *f, int s, int t, size_t idx, double v);

/* The loss at θ_t + h d for a whole tensor t (d has its rows * cols
 * elements), into slot s: the random-direction screen's evaluation (f made
 * with `directions`). */
double gc_fast_loss_dir(gc_fast *f, int s, int t, const double *d, double h);

/* After gc_fast_loss of the same (t, idx) into slots a and b: nonzero when a
 * layer's kink hook fires between the two perturbed passes, each layer asked
 * about its input in slot a (as Xlo) and in slot b (as Xhi) -- exactly the
 * elements that changed, as the reference engine would ask it. */
int gc_fast_kink(gc_fast *f, int a, int b);

/* How far apart the two engines' losses are taken to be when deciding
 * which rows the fast engine recomputes as the reference does: this many
 * ulps of max(1, |L|), the derivative's share of it at most atol / 4.  The
 * largest difference seen over 3000 random networks (1.4 million elements,
 * every activation, loss and method) was 23 such ulps; typical is 1.  The
 * cap keeps the band off the whole population of small gradients, whose
 * pass band is atol itself: with eps 1e-6, atol 1e-8 and |L| ~ 2, atol is
 * only ~40 ulps of L / eps, so a wider band would send most rows back to
 * the reference.  A verdict such a difference could change is taken from
 * the reference's own computation (lib/check.c). */
#define GC_FAST_TIE_ULPS 32.0

/* Σ |c_i| 2^i for Richardson's tableau over `levels` central differences
 * at ε / 2^i (R = Σ c_i D_i): a rounding error δ in every loss moves the
 * extrapolated derivative by at most this times δ / ε. */
double gc_fast_richardson_weight(int levels);

/* Loss evaluations made through f so far. */
unsigned long long gc_fast_nevals(const gc_fast *f);

/* ---- the random-direction screen (screen.c) ---------------------------- */

/* PCG32 stream of the screen's directions: tensor t (GC_FAST_INPUT = -1 for
 * the input) draws from stream GC_SCREEN_STREAM + t + 1 of opts->seed. */
#define GC_SCREEN_STREAM 0x5c5eull

/* One tensor's directional check. */
typedef struct gc_screen {
    double analytic;     /* a_d = g . d */
    double numeric;      /* (L(θ + εd) - L(θ - εd)) / 2ε */
    double abs_err;      /* |a_d - n_d| */
    double rel_err;      /* abs_err / max(|a_d|, |n_d|); NaN for NaN or Inf */
    int kink;            /* a kink hook fired between θ - εd and θ + εd */
    int vacuous_suspect; /* every |g_i| <= atol: only element checks can say */
    int pass;            /* the tensor needs no element checks */
} gc_screen;

/* The screen's direction for tensor t: n N(0, 1) draws from
 * PCG32(seed, GC_SCREEN_STREAM + t + 1). */
void gc_screen_direction(double *d, size_t n, uint64_t seed, int t);

/* Screen tensor t of net (GC_FAST_INPUT: the input, gradient net->dact[0])
 * with f's slots 0 and 1, step eps, opts' rtol and atol; d is scratch of the
 * tensor's size.  Needs the gradients of gc_net_backward.  Fills *out and
 * returns out->pass. */
int gc_screen_tensor(gc_fast *f, const gc_net *net, int t, const gc_check_opts *opts,
                     double eps, double *d, gc_screen *out);

/* ---- sorting (sort.c) ------------------------------------------------------ */

/* A row's sort key: its rel_err and its index. */
typedef struct gc_rank {
    double rel;
    size_t idx;
} gc_rank;

/* Sort r[0 .. n): NaN first, then larger rel first, ties by smaller idx --
 * the engine's order -- in O(n) when idx ascends on entry (a stable radix
 * sort), else (or when memory runs out) by qsort. */
void gc_rank_sort(gc_rank *r, size_t n);

/* The same, with buf (n entries, or NULL: allocated) as its scratch.  A
 * caller that wrote buf already (in parallel) spares the sort its page
 * faults: 2 µs each on a VM, 0.8 ms for 100,000 ranks. */
void gc_rank_sort_buf(gc_rank *r, size_t n, gc_rank *buf);

/* For n >= 1 ranks with distinct idx, in place and without allocating:
 * *worst and *max_rel of the first in that order, *median the middle value
 * of the sorted order (the mean of the two middle ones for even n, added in
 * sorted order) -- what sorting and reading positions 0 and n/2 gives.
 * Reorders r. */
void gc_rank_summary(gc_rank *r, size_t n, size_t *worst, double *max_rel, double *median);

/* ---- numbers (numfmt.c) ------------------------------------------------ */

/* Replace the decimal point dp (NULL: the current locale's, localeconv) in
 * buf, a number printed by %g / %e, by '.': machine formats (JSON, JUnit)
 * need the same text in every locale. */
void gc_numfmt_point(char *buf, const char *dp);

/* ---- threads (threads.c) ------------------------------------------------ */

/* The thread count that `threads` asks for: itself when >= 1, else the
 * number of online cores (sysconf), at least 1. */
int gc_threads_resolve(int threads);

/* Call fn(ctx, tid, i) for every i in [0, n), spread over nthreads threads
 * (the caller's thread is tid 0) that take chunks of `chunk` indices from a
 * shared counter.  Which thread runs which i varies; a caller that writes
 * only into slots of i gets the same result at any thread count.  GC_OK, or
 * GC_ENOMEM when a thread cannot be started (the work is then done by the
 * threads that did start, so the result is still complete). */
int gc_threads_for(int nthreads, size_t n, size_t chunk,
                   void (*fn)(void *ctx, int tid, size_t i), void *ctx);

#endif
