/*
 * engine/plan.h -- what a check covers (private): the chain it perturbs, the
 * tensors it checks, which of their elements, and the options it runs with.
 */
#ifndef GC_ENGINE_PLAN_H
#define GC_ENGINE_PLAN_H

#include <stddef.h>
#include <string.h>

#include "gradcheck/check.h"
#include "gradcheck/pcg32.h"

/* PCG32 streams, so that sampling and the layer check's data never share
 * draws: both are fixed functions of opts->seed. */
#define GC_STREAM_SAMPLE 0x5a3b1eu
#define GC_STREAM_LAYER_DATA 0x1a7e5u

/* What the engine perturbs: layers[k] maps act[k] to act[k+1]; a network is
 * one chain, one layer under L = sum(R .* Y) another. */
typedef struct gc_chain {
    int nlayers;
    gc_layer **layers; /* nlayers */
    gc_mat **act;      /* nlayers + 1: the cache, act[0] the input */
    /* Recompute from layer k on (act[k] is current); return L. */
    double (*loss_from)(void *ctx, int k);
    /* The unperturbed pass and backprop's gradients (one evaluation); return L. */
    double (*prepare)(void *ctx);
    /* After the check: leave the caller an unperturbed cache (one
     * evaluation); NULL when there is no caller's cache to clean. */
    void (*leave_clean)(void *ctx);
    void *ctx;
    const gc_net *net; /* the network, else NULL (no sparse-change evaluator) */
    /* After prepare: dL/dy of every value y the loss is computed from, as
     * pairs act[k] (k >= 1) and dact[k]; NULL: only |L| (see
     * gc_chain_loss_scale). */
    gc_mat **dact;
} gc_chain;

/* The loss's rounding sensitivity S = |L0| + Σ_{k >= 1} Σ |act[k] dact[k]|
 * (engine/numdiff.h: what one rounding of every value moves L by); Inf
 * where a product is not finite (a saturated probability's 1/(1-p)). */
double gc_chain_loss_scale(const gc_chain *ch, double L0);

/* One tensor to check: `value` is perturbed in place by the reference
 * evaluator, `grad` holds the analytic gradient (same shape), layer `layer`
 * is the first to read `value`. */
typedef struct gc_target {
    char name[GC_NAME_MAX];
    int rows, cols;
    double *value;
    const double *grad;
    int layer;
    int net_index; /* its index in net->tensors, GC_FAST_INPUT for the input "x" */
    double grad_scale; /* float32: max |grad| (NaN first), set after the chain's
                        * prepare (gc_fd_floor's); 0 for float64, which reads none */
} gc_target;

/* Every target's grad_scale from its current grad when o->precision is
 * float32, else 0. */
void gc_targets_grad_scale(gc_target *tg, int n, const gc_check_opts *o);

static inline size_t gc_target_size(const gc_target *t)
{
    return (size_t)t->rows * (size_t)t->cols;
}

/* *o = *in (NULL: the defaults) with eps resolved; GC_EINVAL names the bad
 * field.  code_float32 nonzero (a GC_CAP_FLOAT32 layer, a float tensor):
 * the check runs at GC_PRECISION_FLOAT32, and eps 0, rtol and atol at
 * gc_check_opts_init's float64 defaults take the float32 defaults
 * (gradcheck/check.h) before eps is resolved. */
int gc_opts_resolve(gc_check_opts *o, const gc_check_opts *in, int code_float32,
                    gc_error *err);

/* GC_OK when every name in `names` (NULL: none) is a target's, else GC_EINVAL
 * "unknown tensor 'W9'". */
int gc_plan_names_known(const char *const *names, const gc_target *all, int nall,
                        gc_error *err);

/* Keep only the selected targets in place, in order; "x" is kept when
 * opts->params names it or (params NULL) when want_x_default.  Returns how many. */
int gc_plan_select(gc_target *all, int nall, const gc_check_opts *o, int want_x_default);

/* r->tensors[0..n) from the targets: name, shape, first and count (every
 * element, or opts->sample of them; none when screened[t]).  Returns the
 * number of rows. */
size_t gc_plan_layout(gc_report *r, const gc_target *tg, int n, const gc_check_opts *o,
                      const int *screened);

/* The elements of sampled tensors: *elem (r->nrows) gets row k's element in
 * its tensor, NULL when no tensor is sampled (row k is element k - first).
 * skip (NULL: none): a part of a split check (engine/shard.h), whose rows of
 * tensor t start at its row skip[t]; *elem is then always made.
 * One generator for all tensors in report order; a screened tensor still
 * draws, so the others get the same elements with or without the screen.
 * GC_OK or GC_ENOMEM. */
int gc_plan_elements(const gc_report *r, const gc_target *tg, const gc_check_opts *o,
                     const size_t *skip, size_t **elem);

/* Row k's tensor, element and analytic value (elem as gc_plan_elements);
 * every other byte of *row, padding too, zero: a report's rows are
 * allocated uninitialised, located first, and compared and sent as bytes. */
void gc_plan_locate(gc_row *row, size_t k, const gc_report *r, const gc_target *tg,
                    const size_t *elem);

/* gc_plan_locate of row q into out[q - k] for q from k to the first of end
 * and the end of row k's tensor (k < end <= r->nrows): one search for all
 * of them.  Returns the row after the last located. */
size_t gc_plan_locate_run(gc_row *out, size_t k, size_t end, const gc_report *r,
                          const gc_target *tg, const size_t *elem);

/* The run gc_plan_locate_run takes from row k, nothing located: *t gets
 * row k's tensor; returns the row after the run's last. */
size_t gc_plan_run_end(int *t, size_t k, size_t end, const gc_report *r);

/* Row k's element in its tensor, whose rows start at row `first` (elem as
 * gc_plan_elements). */
static inline size_t gc_plan_element(const size_t *elem, size_t first, size_t k)
{
    return elem != NULL ? elem[k] : k - first;
}

/* Every byte of row's place written: its tensor, row and column, the
 * padding after them (rows are compared and sent as bytes) and its analytic
 * value; the rest is the caller's to write. */
static inline void gc_plan_place_row(gc_row *row, int t, size_t rw, size_t cl, double analytic)
{
    enum { PAD = offsetof(gc_row, analytic) - offsetof(gc_row, col) - sizeof row->col };
    row->tensor = t;
    row->row = (int)rw;
    row->col = (int)cl;
#ifndef GC_PLAN_PAD_MUTANT
    memset((char *)row + offsetof(gc_row, col) + sizeof row->col, 0, PAD);
#endif /* else checks/engine/check_row.c's mutant: the padding left as it was */
    row->analytic = analytic;
}

/* The targets' indices, last-read layer first (ties in order): after
 * perturbing layer k the cache before k is clean, so an earlier tensor needs
 * no restoring pass.  order has n entries; GC_OK or GC_ENOMEM. */
int gc_plan_order_by_layer(int *order, const gc_target *tg, int n);

/* Every target's values copied into one new buffer, NULL when out of memory. */
double *gc_values_snapshot(const gc_target *tg, int n);

/* 1 when every target is bit-identical to the snapshot; else puts the
 * snapshot back and returns 0. */
int gc_values_restored(const gc_target *tg, int n, const double *snap);

#endif
