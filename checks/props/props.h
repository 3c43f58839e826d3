/*
 * props.h -- shared helpers of the property and mutant suites (test code,
 * linked into build/check_gradcheck only).
 *
 * A property case is a random network named by a one-line description that
 * the gradcheck command understands: (arch, acts, loss, batch, init, seed),
 * built by gc_net_from_arch from a generator seeded by gc_arch_seed_rng.  So
 * every failure can print `gradcheck --arch ... --seed ...` and the command
 * rebuilds exactly the network that failed.  The shrinker edits only those
 * fields, so a shrunk case has its own command too.
 */
#ifndef GRADCHECK_CHECKS_PROPS_H
#define GRADCHECK_CHECKS_PROPS_H

#include <gradcheck.h>
#include <gradcheck/arch.h>
#include <gradcheck/ck.h>
#include <stdint.h>
#include <stdio.h>

#include "../../fixtures/mutants/mutants.h"

/* ---- the run's seed and size --------------------------------------------- */

#define PROPS_DEFAULT_CASES 400

/* GC_CASES from the environment (1 .. 1000000), else PROPS_DEFAULT_CASES. */
int props_ncases(void);

/* ---- random cases -------------------------------------------------------- */

#define PROPS_MAX_DEPTH 4
#define PROPS_MAX_WIDTH 16
#define PROPS_MAX_BATCH 8

typedef enum props_kind {
    PROPS_SMOOTH,   /* activations differentiable everywhere (no relu, leaky_relu) */
    PROPS_KINKED,   /* at least one relu or leaky_relu layer */
    PROPS_ANALYTIC  /* smooth without elu: every derivative continuous (Richardson) */
} props_kind;

/* One network, as the gradcheck command names it. */
typedef struct props_case {
    uint64_t seed;                   /* --seed */
    int depth;                       /* dense layers, 1 .. PROPS_MAX_DEPTH */
    int width[PROPS_MAX_DEPTH + 1];  /* width[0] inputs, width[k] outputs of layer k */
    gc_act act[PROPS_MAX_DEPTH];     /* activation after dense layer k */
    const char *loss;                /* static string: "mse", ... */
    int batch;                       /* 1 .. PROPS_MAX_BATCH */
    gc_init init;
} props_case;

/*
 * Admissible cases: the properties claim "a correct backprop is confirmed
 * (passes)", which finite differences in double can only deliver on a
 * well-conditioned network.  Outside these conditions a correct backprop
 * must still never be refuted, but may come out undecided: they are the
 * statement of where undecided is expected (test_inadmissible_never_fail
 * draws such networks on purpose).  The conditions, and why (u = 2^-53, eps 1e-6,
 * atol 1e-8; the numeric derivative's roundoff is ~u S / eps for a loss
 * computed from terms of size S):
 *   - |L| <= PROPS_MAX_LOSS (10): u 10 / 1e-6 ~ 1e-9, a factor 10 below
 *     atol.  Larger, and an element of 1e-3 fails on roundoff alone, not on
 *     a backprop bug;
 *   - every activation (hidden layers and output) |a| <= PROPS_MAX_ACT
 *     (10): a weight W[j][k] moves z_j by eps a_k, so a large a_k is a
 *     large effective step.  Central (eps 1e-6) does not mind, but
 *     Richardson's default step 1e-2 then spans the curvature of the next
 *     tanh, and a correct network fails Richardson;
 *   - bce on probabilities: mean over outputs of 1 / (1 - p) at most
 *     PROPS_BCE_MAX_INV (9).  1 - p keeps only an absolute accuracy of
 *     u/2, so log(1 - p) is off by u / (2 (1 - p)), L by (u/2) mean 1/(1-p),
 *     and the central difference by (u/2) mean(1/(1-p)) / eps = 1.1e-10 *
 *     mean: at 9, 1e-9 = atol / 10; at p = 1 the loss is Inf.  That is why
 *     bce_logits exists;
 *   - no relu / leaky_relu / elu input within PROPS_KINK_CLEARANCE (1e-12)
 *     of 0: exact zeros are structural (a dead unit, or a width-1 layer at
 *     0, times the zero biases of xavier / he init), so every unit of the
 *     next such layer sits on its kink at once.  For relu and leaky_relu,
 *     perturbing one parameter then crosses several kinks exactly at θ and
 *     backprop's relu'(0) convention can give a value outside the one-sided
 *     slopes at every scale: not a subgradient of L, and the engine says
 *     undecided, "kink at θ" (lib/engine/row.c, refine; checks/engine/
 *     check_kink.c, test_exact_kinks_autodiff_convention_is_undecided).  elu (alpha 1) is
 *     C1 but its second derivative jumps at 0: a central difference
 *     straddling 0 is only first-order accurate (error ~ eps |dL/dy| / 4);
 *   - at most one relu / leaky_relu input within PROPS_NEAR_KINK_RELU
 *     (1e-7 = eps/10) of 0, and at most one elu input within
 *     PROPS_NEAR_KINK (1e-4) of 0 (the two counted together).  Several
 *     relu kinks inside [θ-ε, θ+ε] on both sides of θ are resolved by the
 *     engine's refinement (one-sided slopes at ε/16, ε/256, ...), but only
 *     down to the step where roundoff reaches the tolerance (typically
 *     ε/16 to ε/256): kinks closer to θ than that, which happen when a
 *     width-1 layer's single value is ~1e-7 (a placed kink) and the next
 *     relu layer's zero biases put all its units within ~1e-8 of 0, cannot
 *     be told apart in double.  For elu
 *     the limit stays 1e-4: its error near 0 is the second derivative's
 *     jump, which no finer step can remove from a central difference.  A
 *     single kink met within eps stays allowed, and the kink_forced
 *     property puts one there on purpose.
 * The cases and seeds that chose these limits: docs/measurements.md.
 * props_case_draw redraws (from the same generator) until a case is
 * admissible, and the shrinker only moves to admissible cases.
 */
#define PROPS_MAX_LOSS 10.0
#define PROPS_MAX_ACT 10.0
#define PROPS_BCE_MAX_INV 9.0
#define PROPS_KINK_CLEARANCE 1e-12
#define PROPS_NEAR_KINK 1e-4
#define PROPS_NEAR_KINK_RELU 1e-7 /* relu, leaky_relu; PROPS_NEAR_KINK for elu */
#define PROPS_MAX_REDRAWS 1000

/* Draw case `index` of the run with base seed `base`: depth 1..4, widths
 * 1..16, batch 1..8, any init, any loss, activations of `kind`; softmax only
 * as the last activation with >= 2 outputs before mse or bce; bce always
 * ends in sigmoid or softmax; redrawn until admissible.  Returns the number
 * of draws it took, 0 when none of PROPS_MAX_REDRAWS was admissible.
 * Deterministic in (base, index, kind). */
int props_case_draw(props_case *c, uint64_t base, int index, props_kind kind);

/* Draw as props_case_draw, from streams of its own, until a case builds
 * and is NOT admissible: the networks where a double finite difference
 * cannot confirm a correct gradient, which must come out pass, kink or
 * undecided -- never fail.  Returns the draws it took, 0 when none. */
int props_case_draw_inadmissible(props_case *c, uint64_t base, int index, props_kind kind);

/* Nonzero when c is admissible (above); otherwise why (may be NULL) says
 * which condition fails. */
int props_case_admissible(const props_case *c, char *why, size_t size);

/* The conditions on the values (all but the softmax placement) for a built
 * network with data; runs a forward pass. */
int props_net_admissible(gc_net *net, char *why, size_t size);

/* Nonzero when some activation of c is relu or leaky_relu. */
int props_case_kinked(const props_case *c);

/* "2-3-1" and "tanh,sigmoid" of c into the buffers. */
void props_case_arch(const props_case *c, char *arch, size_t asize, char *acts, size_t bsize);

/* The one-line command rebuilding c (gc_arch_command), with `extra`
 * appended when not NULL (e.g. "--method richardson"). */
void props_case_command(const props_case *c, const char *extra, char *buf, size_t size);

/* Build c (gc_net_from_arch with a freshly seeded generator).  NULL with
 * err set when the description is invalid (e.g. bce without sigmoid). */
gc_net *props_case_build(const props_case *c, gc_error *err);

/* ---- properties and shrinking ------------------------------------------- */

/* A hook run on every network a property builds, after gc_net_from_arch
 * (the shrinker's own test swaps a mutant into the network with it). */
typedef void (*props_hook)(gc_net *net, const void *ctx);

/* A property of a case: 0 when it holds, 1 when it fails (why gets one line
 * naming the element and its numbers), -1 when the case cannot be built
 * (it is then not a counter-example). */
typedef int (*props_fn)(const props_case *c, props_hook hook, const void *ctx,
                        char *why, size_t size);

/* Shrink a failing case: greedily try smaller ones (drop a layer, batch 1,
 * narrower widths, identity activations), keep the first that still fails,
 * and repeat until none does or `max_tries` property evaluations are spent.
 * *out gets the smallest failing case found (c itself when none is smaller);
 * returns the number of accepted steps.  Deterministic. */
int props_shrink(const props_case *c, props_fn prop, props_hook hook, const void *ctx,
                 int max_tries, props_case *out);

/* Every single-step shrink candidate of c, in the order props_shrink tries
 * them, into out[0 .. return) (at most max). */
int props_shrink_candidates(const props_case *c, props_case *out, int max);

/* ---- the standard mutant networks (fixtures/mutants/mutants.h) ---------- */

/* A uniform integer in [lo, hi] (lo <= hi) from rng: the draws of
 * props_gen.c and props_mutnet.c. */
int props_draw_int(gc_pcg32 *rng, int lo, int hi);

/* Build the standard network of mutant m from `seed`: with the mutant in
 * place when use_mutant, else with the correct built-in, identical shapes
 * and values either way.  desc gets "x 3x4 -> dense 3->5 -> sigmoid ...".
 * NULL with err set on failure. */
gc_net *props_mutant_net(const gc_mutant *m, int use_mutant, uint64_t seed, char *desc,
                         size_t size, gc_error *err);

#endif
