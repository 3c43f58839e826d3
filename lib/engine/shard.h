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

#include "gradcheck/check.h"
#include "gradcheck/layer.h"
#include "gradcheck/mat.h"

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

/* FNV-1a (64 bits) of n bytes at p, continuing from h (start from
 * GC_SHARD_HASH_INIT). */
#define GC_SHARD_HASH_INIT 0xcbf29ce484222325ull
uint64_t gc_shard_hash(uint64_t h, const void *p, size_t n);

#endif
