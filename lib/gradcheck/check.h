/*
 * gradcheck/check.h -- the finite-difference check: its options and its two
 * entry points.
 *
 * For every parameter element θi (and, on request, every input element) the
 * engine computes a numerical derivative from the loss at θ ± ε, compares it
 * with the analytic one from backprop and gives a verdict: pass, kink or fail.
 * It fills a gc_report (<gradcheck/report.h>, included below) and prints
 * nothing.
 */
#ifndef GRADCHECK_CHECK_H
#define GRADCHECK_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "gradcheck/base.h"
#include "gradcheck/hygiene.h"
#include "gradcheck/layer.h"
#include "gradcheck/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gc_method {
    GC_METHOD_CENTRAL,    /* (L(θ+ε) - L(θ-ε)) / 2ε, the classic */
    GC_METHOD_FORWARD,    /* (L(θ+ε) - L(θ)) / ε */
    GC_METHOD_RICHARDSON  /* central at ε, ε/2, ε/4, ε/8 extrapolated, with an error estimate */
} gc_method;

typedef enum gc_engine {
    GC_ENGINE_REFERENCE, /* recompute from the perturbed layer onward */
    GC_ENGINE_FAST       /* propagate the perturbation's sparse change */
} gc_engine;

/* One element's verdict.  pass: the finite difference confirms a (within the
 * band, and its own error bound within the band too); kink: the loss is not
 * differentiable near θ and a is one of its one-sided slopes; fail: the
 * finite difference refutes a (|a - n| beyond band + bound, on a loss smooth
 * at the scale that decided); undecided: neither, after escalation (the row's
 * reason says why).  GC_UNDECIDED is last so that older code still compiles. */
typedef enum gc_verdict { GC_PASS, GC_KINK, GC_FAIL, GC_UNDECIDED } gc_verdict;

/* Why an element is undecided (GC_REASON_NONE for every other verdict). */
typedef enum gc_reason {
    GC_REASON_NONE,
    GC_REASON_LOSS_NONFINITE,      /* the loss is not finite at θ */
    GC_REASON_LOSS_NONFINITE_NEAR, /* not finite at θ ± h, on both sides, at every step tried */
    GC_REASON_NOISE,               /* the difference's error bound stays above the band */
    GC_REASON_FLAT,                /* the loss did not change beyond its rounding: flat or
                                    * saturated, the gradient at roundoff level */
    GC_REASON_KINK_AT_THETA,       /* kinked at every scale tried, a fits no one-sided slope:
                                    * a kink at θ itself (relu'(0) convention?) */
    GC_REASON_CONDITIONING,        /* refuted only by less than backprop's own rounding
                                    * could move a: an ill-conditioned loss or layer
                                    * (bce at p = 1 - 1e-14) */
    GC_REASON_UNCONVERGED,         /* only extrapolations not shown to converge at the
                                    * expansion's rate would refute a: the loss not smooth
                                    * enough at the escalation's steps (elu's second
                                    * derivative jumps at 0), or the steps that could
                                    * show it too coarse or too noisy */
    GC_NREASONS
} gc_reason;

/* What a whole report shows, as the command's exit status spells it. */
typedef enum gc_status {
    GC_STATUS_CONFIRMED = 0, /* every element confirmed (kinks allowed) */
    GC_STATUS_REFUTED = 1,   /* a fail, a kink under strict_kinks, or values not restored */
    GC_STATUS_UNDECIDED = 3  /* nothing refuted, but an element undecided or a tensor
                              * vacuous (unless allow_vacuous) */
} gc_status;

/* The report of a check (<gradcheck/report.h>). */
typedef struct gc_report gc_report;

/* The element type the code under test computes in: it sets the step, the
 * perturbation actually representable, the roundoff bound and the bands. */
typedef enum gc_precision {
    GC_PRECISION_FLOAT64, /* double (the default) */
    GC_PRECISION_FLOAT32  /* float: perturbations rounded to float */
} gc_precision;

/*
 * Defaults, and why (the measurements behind them: docs/measurements.md).
 *
 * eps 1e-6 (central, forward): a central difference has truncation error
 *   ε²|L‴|/6 and roundoff error about u|L|/ε (u = 2^-53; the loss is known
 *   to a few ulps).  At 1e-6 truncation is ~1e-13 and roundoff ~1e-10
 *   relative: both far below rtol.  Forward differences have truncation
 *   ε|L″|/2 ~ 1e-6: the teaching contrast.
 * eps 1e-2 (richardson): extrapolation cancels the ε², ε⁴, ε⁶ terms, so
 *   truncation no longer limits the step and a larger step divides the
 *   roundoff u|L|/ε.  The price of the wide step: a relu within 1e-2 of its
 *   kink gives a kink verdict, so use central on relu networks.
 * rtol 1e-5: five orders above central's typical error (~1e-10), three
 *   below a real bug (a wrong term is usually >= 1e-2 relative).
 * atol 1e-8: an element smaller than this is within a hundred times
 *   central's roundoff (u|L|/ε ~ 1e-10 for a loss of order 1): a relative
 *   error means nothing there.
 */
#define GC_DEFAULT_EPS 1e-6
#define GC_DEFAULT_EPS_RICHARDSON 1e-2
#define GC_DEFAULT_RTOL 1e-5
#define GC_DEFAULT_ATOL 1e-8
/* Richardson: central differences at ε, ε/2, ... ε/2^(LEVELS-1). */
#define GC_RICHARDSON_LEVELS 4
/* The adaptive band's factor and relative floor (see gc_check_opts.adaptive). */
#define GC_ADAPTIVE_C 10.0
#define GC_ADAPTIVE_RTOL_FLOOR 1e-9
/* Kink test by one-sided slopes: a smooth loss is assumed to have
 * |L″| <= GC_KINK_CURVATURE max(1, |s-|, |s+|), so |s+ - s-| = ε|L″| beyond
 * that (plus roundoff) means a kink lies in [θ-ε, θ+ε].  A kinked element
 * whose analytic value lies outside [s-, s+] is tried again with one-sided
 * steps ε/16, ε/256, ε/4096, ε/65536 (while their roundoff stays within the
 * tolerance): several kinks inside ±ε around a smooth θ average the slopes
 * at ε, the finer ones see θ's own.  It is a kink when some step brackets
 * the analytic value, else a fail (lib/engine/row.c, refine). */
#define GC_KINK_CURVATURE 100.0
/* A refutation at step ε (central or forward, float64) is measured again at
 * ε / GC_CONFIRM_FACTOR before it stands.  The bound of the difference at ε
 * presumes a loss smooth to third order; where its second derivative jumps
 * inside [θ-ε, θ+ε] (elu at 0, a Huber loss at its threshold) the
 * difference is off by O(ε) while the one-sided slopes still look smooth,
 * and a correct a would be refuted.  An error that converges at least
 * linearly in the step is at most f/(f-1) |n(ε) - n(ε/f)| (plus both
 * differences' roundoff) at ε: the refutation stands when |a - n(ε)| exceeds
 * the band, the bound and that; else the element is undecided and goes on
 * to the escalation (lib/engine/verdict.c, gc_fail_confirmed). */
#define GC_CONFIRM_FACTOR 4.0

/*
 * float32 defaults (opts.precision GC_PRECISION_FLOAT32; gc_check_opts_float32
 * sets them, the command's --precision float32 too), u = 2^-24:
 * eps 2^-8, relative: the step at θ is eps max(1, |θ|), since float's
 *   rounding of θ is relative to |θ|.  A central difference errs by about
 *   κ u S / h (roundoff, S the loss's rounding sensitivity, κ = 4) plus
 *   h² |L‴| / 6 (truncation); the sum is smallest near h = (3 κ u S /
 *   |L‴|)^(1/3) ≈ u^(1/3) = 3.9e-3 for S and L‴ of order one; 2^-8 is that,
 *   and exact in float.  The perturbed value is the float nearest θ ± h and
 *   the difference divides by the two floats' distance, never by 2h.
 * The roundoff of one loss, δ: first the model κ u S (S = |L| + Σ |R Y|
 *   for the layer and function checks, one rounding of every output); an
 *   element that leaves undecided is judged again with the noise of L
 *   measured along it, δ = 8σ, σ from Moré and Wild's ECnoise over 9 floats
 *   near θ (lib/engine/noise.h): float code rounds as its intermediates'
 *   sizes dictate (a layernorm's x - mean, amplified by rstd), which no
 *   model from the outputs captures.  The difference of two losses then
 *   has standard deviation √2 σ, and 2δ is 11 of them.
 * rtol 3e-4: a third of the smallest bug to refute (1e-3 relative): such a
 *   bug is refuted where its 1e-3 |a| exceeds 3e-4 |a| plus the bound, the
 *   roundoff 2δ / 2h = 2^8 δ at the default step (less after escalation).
 * atol 1e-6 (16 u); and the band's absolute floor per tensor:
 *   GC_FLOAT32_FLOOR_C u max|a| = 6.1e-5 max|a| over the tensor's rows: a
 *   float backward computes each element as a sum of m float products,
 *   off by up to γ_m Σ|terms| ≈ m u Σ|terms|, and for an element that
 *   cancels Σ|terms| is of the size of the tensor's largest elements; C =
 *   1024 covers reductions of up to 1024 terms.  So a cancelled element is
 *   judged against what the float backward can resolve, not against its
 *   own size (the numeric side's float rounding is in its bound already).
 *   A 1e-3 bug is refuted in every element with |a| >~ 0.07 max|a| (and
 *   its bound below 7e-4 |a|).
 */
#define GC_DEFAULT_EPS_FLOAT32 0x1p-8
#define GC_DEFAULT_RTOL_FLOAT32 3e-4
#define GC_DEFAULT_ATOL_FLOAT32 1e-6
#define GC_FLOAT32_FLOOR_C 1024.0

/* Options of a check.  Start from gc_check_opts_init. */
typedef struct gc_check_opts {
    gc_method method;
    double eps;               /* step; 0 means the method's default (above) */
    double rtol;              /* default 1e-5 */
    double atol;              /* default 1e-8 */
    int inputs;               /* nonzero: also check dL/dX, as tensor "x" (listed last) */
    const char *const *params;/* NULL-terminated tensor names to check ("x" names
                               * the input); NULL: all parameters */
    int sample;               /* 0: every element; N: N elements of every tensor,
                               * drawn by PCG32(seed), sorted, no duplicates */
    uint64_t seed;            /* PCG32 seed (sampling; the layer check's X and R) */
    int strict_kinks;         /* count kinks as failures (rows keep the kink verdict) */
    /* Pass band from each element's own error estimate num_err, which only
     * richardson computes (with central or forward num_err is NaN and the
     * plain rule applies).  An element passes when abs_err <= band,
     *   band = min(max(C num_err, FLOOR max(|a|,|n|), atol),
     *              max(rtol max(|a|,|n|), atol)),
     * C = GC_ADAPTIVE_C: num_err is an estimate, not a bound, so a factor 10
     * of headroom; FLOOR = GC_ADAPTIVE_RTOL_FLOOR: the estimate can collapse
     * (a loss quadratic in θ gives num_err 0) and must not make the check
     * flaky.  The cap at the plain rule means adaptive only ever tightens the
     * check: a kink, which inflates num_err, can never widen the band. */
    int adaptive;
    gc_engine engine;         /* default GC_ENGINE_FAST (same verdicts, see README);
                               * gc_check_layer always runs the reference */
    int threads;              /* fast engine: 0 = all cores, < 0 GC_EINVAL; the
                               * rows, then the summaries of a tensor of many
                               * rows; the report does not depend on it (the
                               * reference runs on one).  0 takes fewer for a
                               * small check: one thread per 50,000 rows times
                               * the batch, one per 50,000 rows summarised */
    int screen;               /* fast engine: one random-direction check per tensor
                               * first; element checks only where it fails */
    gc_precision precision;   /* default GC_PRECISION_FLOAT64 */
    int allow_vacuous;        /* nonzero: a vacuous tensor (zeros compared with zeros)
                               * does not make the status undecided */
    /* A part of a split check: check only part `shard` (1 .. nshards) of
     * nshards, one contiguous run of the rows (in report order) of about
     * 1/nshards of the modelled cost (lib/engine/shard.c).  0 and 0: every
     * row.  The parts' rows, in part order, are the whole check's rows,
     * bit for bit; gc_report_merge puts them together. */
    int shard, nshards;
    /* Nonzero: the report keeps only the rows that did not pass (fail, kink,
     * undecided) and each tensor's worst row (report->partial), for a caller
     * that reads the verdict and the summaries but no list of every row:
     * the rows of a large check are most of its memory and of the memory it
     * touches.  The summaries and totals are still over every row checked,
     * the same bits as a whole report's; the writers, gc_report_rebuild,
     * gc_report_merge, gc_expect_compare and gc_sweep_pick refuse such a
     * report (GC_EPARTIAL, or 0 picked).  0 (the default): every row.
     * GC_DROP_STATS (2): the same for a caller that reads the status and the
     * counts alone (gradcheck --quiet): no worst row is kept, and the
     * statistics of each tensor are not computed (report.h: partial). */
    int drop_passes;
    /* Optional, for a caller that draws progress (the library never prints):
     * when not NULL the engine calls progress(progress_ctx, done, total)
     * after each checked element, done = 1 .. total.  It must return quickly
     * and leave the network alone.  The fast engine calls it from its worker
     * threads, one call at a time (under a lock), done still 1 .. total.
     * The report's copy of opts has it NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* ---- beyond one call (<gradcheck/hygiene.h>): hygiene in gc_check_layer,
     * mutation in gc_check_layer and gc_check_net ---- */
    unsigned no_hygiene;      /* GC_HYGIENE_... bits of the checks to skip; 0 (the
                               * default): every hygiene check runs */
    double nondet_tol;        /* reentrant: largest |a - b| allowed between two
                               * backward calls, >= 0; 0: equal values */
    int mutate;               /* N > 0: inject N synthetic faults into backward's
                               * results and count those the check refutes; 0 off */
} gc_check_opts;

/* opts.drop_passes: the passing rows dropped; the statistics as well. */
enum { GC_DROP_PASSES = 1, GC_DROP_STATS = 2 };

/* Defaults: central, eps 0 (method default), rtol 1e-5, atol 1e-8, all
 * parameters, no inputs, no sampling, seed 1, fast engine, all cores, no
 * screen. */
void gc_check_opts_init(gc_check_opts *opts);

/* The name of the first option ("eps", "seed", ...) in which a and b
 * differ as far as a report depends on them, or NULL when none does:
 * threads, params, progress, drop_passes and the shard are not compared
 * (the parts that are put together are whole reports).  Parts of a
 * split check must agree (gc_report_merge, gradcheck-mpi). */
const char *gc_check_opts_diff(const gc_check_opts *a, const gc_check_opts *b);

/* Set opts for float32 code: precision GC_PRECISION_FLOAT32, eps 0 (the
 * float32 default), rtol and atol the float32 defaults; the rest kept. */
void gc_check_opts_float32(gc_check_opts *opts);

/* The step method m uses when opts->eps is 0 (float64). */
double gc_method_default_eps(gc_method m);

/* Check every (selected) parameter of net, and its input when opts->inputs
 * (opts NULL: defaults).  net must have data (gc_net_set_data).  *out gets a
 * new report (free with gc_report_free).  GC_EINVAL for an unknown tensor
 * name (err says "unknown tensor 'W9'").  Afterwards every parameter and
 * input is bit-identical (report->restored says it was verified), the cache
 * holds the unperturbed forward pass and the gradients backprop's.
 * With opts->mutate > 0, also the mutation run of <gradcheck/hygiene.h>
 * (report->mutation); afterwards cache and gradients are as said. */
int gc_check_net(gc_net *net, const gc_check_opts *opts, gc_report **out, gc_error *err);

/* The layer check: L = sum(R .* layer(X)) with X (in x batch, U[-1, 1)) and
 * R (out x batch, U[-1, 1)) drawn from PCG32(opts->seed), so dL/dY = R;
 * checks the layer's parameter gradients (base names "W", "b") and its input
 * gradient "x" (opts->params NULL: all of them).  The layer's parameters keep
 * their values; its gradients are overwritten.  No network needed.
 * Then, unless opts->no_hygiene turns them off, the hygiene checks of
 * <gradcheck/hygiene.h> (report->hygiene) and, when opts->mutate > 0, the
 * mutation run (report->mutation).  A stochastic layer (layer->rng, see
 * <gradcheck/layer.h>) gets a generator reseeded identically before every
 * forward call, so that every perturbation sees the same draws. */
int gc_check_layer(gc_layer *layer, int batch, const gc_check_opts *opts,
                   gc_report **out, gc_error *err);

/* ---- names, as the command and the reports spell them ------------------ */

const char *gc_method_name(gc_method m);    /* "central", "forward", "richardson"; else "?" */
const char *gc_engine_name(gc_engine e);    /* "reference", "fast"; else "?" */
/* Parse a method name; GC_OK or GC_EINVAL. */
int gc_method_from_name(const char *name, gc_method *m);
/* Parse an engine name; GC_OK or GC_EINVAL. */
int gc_engine_from_name(const char *name, gc_engine *e);

#ifdef __cplusplus
}
#endif

/* <gradcheck/check.h> has always given the report too. */
#include "gradcheck/report.h"

#endif
