/*
 * gradcheck/arch.h -- random networks from a one-line architecture.
 *
 * "2-2-1" with activations "sigmoid" (or "relu,sigmoid", one per layer) and a
 * loss "bce" describes a stack of dense layers, each followed by its
 * activation.  gc_net_from_arch builds it with parameters, inputs and VALID
 * targets all drawn from one PCG32, so a network is reproduced exactly by its
 * description and seed.  The gradcheck command (--arch), the property tests
 * and shrinking share this builder, and gc_arch_command renders the command
 * line that rebuilds a network, to print next to a failure.
 *
 * Order of the draws (part of the contract: changing it changes every
 * network a seed names): parameters as gc_net_init_params, then X
 * (in x batch, row-major, each element N(0, 1)), then the targets T
 * (out x batch) by loss:
 *   bce, bce_logits  t = 0 or 1, one gc_pcg32_bounded(rng, 2) per element,
 *                    row-major;
 *   softmax_ce       one-hot columns, one gc_pcg32_bounded(rng, out) per
 *                    example, in column order;
 *   mse              t ~ N(0, 1), row-major.
 */
#ifndef GRADCHECK_ARCH_H
#define GRADCHECK_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "gradcheck/base.h"
#include "gradcheck/layer.h"
#include "gradcheck/net.h"
#include "gradcheck/pcg32.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_ARCH_MAX_LAYERS 64     /* dense layers in one arch string */
#define GC_ARCH_MAX_WIDTH 1000000 /* units in one layer */
#define GC_ARCH_MAX_BATCH 1000000 /* examples in one batch */

/* The PCG32 stream (initseq) that goes with a seed: gc_arch_seed_rng seeds
 * with (seed, GC_ARCH_STREAM). */
#define GC_ARCH_STREAM 54u

/* Seed rng as the gradcheck command does for --seed S:
 * gc_pcg32_seed(rng, S, GC_ARCH_STREAM).  A network built by gc_net_from_arch
 * from a generator freshly seeded this way is the one gc_arch_command names. */
void gc_arch_seed_rng(gc_pcg32 *rng, uint64_t seed);

/* Parse "2-2-1" into widths[0 .. *n) (n >= 2, each in 1..GC_ARCH_MAX_WIDTH,
 * at most max of them).  GC_EINVAL with err saying what and where (e.g.
 * "width 2 of '2-0-1': expected a positive integer, got '0'"). */
int gc_arch_parse(const char *arch, int *widths, int max, int *n, gc_error *err);

/* Parse "sigmoid" or "relu,sigmoid" for nlayers dense layers into
 * acts[0 .. nlayers): one name applies to every layer, otherwise exactly
 * nlayers names.  GC_EINVAL for an unknown name or a count mismatch. */
int gc_acts_parse(const char *acts, int nlayers, gc_act *out, gc_error *err);

/* Build the network "arch" (gc_arch_parse) with dense layers each followed by
 * its activation (gc_acts_parse), the loss named `loss`, `batch` examples,
 * parameters per `init`, data as the header comment says, all drawn from
 * rng.  Returns a new network with data set (free with gc_net_free), or NULL
 * with err set: an arch, act, loss or batch problem (message starts with
 * "arch: ", "act: ", "loss: " or "batch: "), or no memory.  Loss "bce" takes
 * probabilities, so it requires the last activation to be sigmoid or
 * softmax. */
gc_net *gc_net_from_arch(const char *arch, const char *acts, const char *loss,
                         int batch, gc_init init, gc_pcg32 *rng, gc_error *err);

/* Write into buf (size bytes, always NUL-terminated when size > 0) the
 * command that rebuilds this network and checks it, e.g.
 * "gradcheck --arch 2-2-1 --act sigmoid --loss bce --batch 1 --seed 7 --init uniform".
 * Returns the length it needed, as snprintf; negative when an argument is
 * NULL.  Strings are written as given (they are not quoted for a shell). */
int gc_arch_command(char *buf, size_t size, const char *arch, const char *acts,
                    const char *loss, int batch, uint64_t seed, gc_init init);

/* Name of an init as the command spells it ("uniform", "xavier", "he",
 * "auto"); NULL
 * for an invalid value. */
const char *gc_init_name(gc_init init);

/* Parse an init name; GC_OK or GC_EINVAL. */
int gc_init_from_name(const char *name, gc_init *init);

#ifdef __cplusplus
}
#endif

#endif
