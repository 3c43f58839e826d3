/*
 * engine/shard.h -- a check split into parts (private): the cost model that
 * balances them, the part's rows, and the hash that ties parts to one
 * network.
 *
 * The rows of a check are laid out tensor by tensor in report order (every
 * element, or the sampled ones).  Part K of N is one contiguous run of those
 * rows, chosen so that every part has about the same modelled cost: the
 * same split for `--shard K/N` and for rank K-1 of N under MPI, so any
 * number of parts gathered in order is the whole check's row list.
 */
#ifndef GC_ENGINE_SHARD_H
#define GC_ENGINE_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/plan.h"
#include "gradcheck/layer.h"
#include "gradcheck/mat.h"
#include "gradcheck/report.h"

/* Modelled cost of one row whose tensor is first read by layer k of the
 * chain layers[0 .. nlayers) (act[j] its input, act[nlayers] the output,
 * batch columns), under the fast engine when `fast`, else the reference:
 * see shard.c for the model. */
double gc_shard_row_cost(gc_layer *const *layers, gc_mat *const *act, int nlayers, int k,
                         int fast);

/* Rows [*lo, *hi) of part `shard` (1 .. nshards) of the rows of n tensors,
 * tensor t holding count[t] rows of cost[t] each: the parts' boundaries are
 * where the cumulated cost crosses shard/nshards of the total (rows of
 * equal cost: by count).  Consecutive parts tile [0, Σ count). */
void gc_shard_range(const double *cost, const size_t *count, int n, int shard, int nshards,
                    size_t *lo, size_t *hi);

/* Narrow r's layout of the whole check (gc_plan_layout: every tensor's
 * first and count) to part o->shard of o->nshards: r->shard_first,
 * r->nrows, each tensor's first and count within the part, and skip[t]
 * (n entries), tensor t's rows before the part.  Costs per row from ch's
 * layers (the fast engine's model when `sparse`).  GC_OK or GC_ENOMEM. */
int gc_shard_narrow(gc_report *r, const gc_target *tg, const gc_chain *ch, int sparse,
                    const gc_check_opts *o, size_t *skip);

/* A 64-bit hash (xxHash64's round over four lanes of words, shard.c) of
 * the unperturbed loss L0 and every target's name, shape, values and
 * analytic gradient: what parts of one check share. */
uint64_t gc_shard_hash(const gc_target *tg, int n, double L0);

#endif
