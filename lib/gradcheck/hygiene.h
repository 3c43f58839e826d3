/*
 * gradcheck/hygiene.h -- what one finite-difference check at one point
 * cannot see, and how much a pass would have caught.
 *
 * A gradient check calls backward once, on a fresh zeroed dX, at one
 * parameter point and one batch size.  Whole classes of real bugs pass that:
 * a backward that does `dX +=` instead of `dX =`, a parameter gradient
 * assigned instead of accumulated, a layer that caches W^T on its first
 * call, a sum whose order changes from call to call, a gradient taken from
 * the last example only.  The hygiene checks (run by gc_check_layer unless
 * gc_check_opts.no_hygiene says otherwise) call the layer the ways a
 * network does and compare:
 *
 *   overwrite     forward into a NaN-filled Y and backward into a NaN-filled
 *                 dX: a NaN left in either means the layer read its output
 *                 before writing it (`+=` into an output).
 *   reentrant     backward twice on the same inputs: the same values (or
 *                 within gc_check_opts.nondet_tol, as PyTorch's nondet_tol).
 *   accumulate    backward a second time without zeroing: each parameter
 *                 gradient must become twice the first (within the check's
 *                 own rtol/atol band: a gradient off by less would pass the
 *                 gradient check too).
 *   second-point  the whole check again at θ' = θ ⊙ (1 + u/4), u ~ U[-1, 1)
 *                 per element (same signs, same zeros: a parameter that must
 *                 stay positive stays positive; rounded to float at float32
 *                 precision): a stale cache is refuted.
 *   batch         when the check ran at batch 1, the whole check again at
 *                 batch 3 (odd and >= 2: a bug that pairs or halves examples
 *                 shows); at batch >= 2 the check itself covered it.
 *
 * Mutation testing (gc_check_opts.mutate = N) asks the converse: would this
 * check, on this layer, at these shapes and tolerances, have caught a bug?
 * The checker wraps the layer's backward and injects N synthetic faults,
 * one per run, into what it returns, drawn from PCG32(seed): one element
 * scaled by 1 + δ (|δ| from 0.1 down to 2 rtol, random sign), a sign flip,
 * a zeroed element, two elements swapped, and (batch >= 2) a whole tensor
 * from the wrong example (dX's columns rotated by one; a parameter
 * gradient computed with dY's columns rotated by one).  Each run is the
 * plain gradient check at the options given; the report counts, per
 * tensor, the faults it refuted, and lists the ones that survived.  A
 * tensor whose faults survive is where a pass proves little: vacuous,
 * saturated, or with elements below what the tolerance resolves.
 *
 * gc_check_net takes opts.mutate too: each fault goes into the backward of
 * the network layer that holds its tensor (layer 0's dX for the input x),
 * and the faulty runs use the reference engine (the fast engine gives the
 * same verdicts; it knows tensors by their place in the network's layers,
 * which a wrapped layer is not).  A network's inner dY is not held, so its
 * parameters get no wrong_example fault.  The hygiene checks are the layer
 * check's only.
 *
 * Both results live in the report (gc_report.hygiene, gc_report.mutation;
 * NULL when not run); the writers print them.  A failed hygiene check makes
 * gc_report_failed true; surviving faults do not (they measure the check,
 * not the layer).
 */
#ifndef GRADCHECK_HYGIENE_H
#define GRADCHECK_HYGIENE_H

#include "gradcheck/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The hygiene checks, as bits of gc_check_opts.no_hygiene (the ones to
 * skip) and as indices (bit position) into gc_hygiene_report.check. */
enum {
    GC_HYGIENE_OVERWRITE = 1u << 0,
    GC_HYGIENE_REENTRANT = 1u << 1,
    GC_HYGIENE_ACCUMULATE = 1u << 2,
    GC_HYGIENE_SECOND_POINT = 1u << 3,
    GC_HYGIENE_BATCH = 1u << 4,
    GC_HYGIENE_ALL = (1u << 5) - 1
};
#define GC_HYGIENE_COUNT 5

typedef enum gc_hygiene_status {
    GC_HYGIENE_PASS,    /* ran and found nothing (or was covered by the check) */
    GC_HYGIENE_FAIL,    /* ran and found a defect: detail names it */
    GC_HYGIENE_SKIPPED  /* not run: turned off, or nothing to test (detail says) */
} gc_hygiene_status;

typedef struct gc_hygiene_result {
    gc_hygiene_status status;
    char detail[200]; /* NUL-terminated: what was compared, or the first
                       * offending element and its values */
} gc_hygiene_result;

typedef struct gc_hygiene_report {
    gc_hygiene_result check[GC_HYGIENE_COUNT]; /* index = bit position above */
    int nfail;                                 /* checks with GC_HYGIENE_FAIL */
} gc_hygiene_report;

/* "overwrite", "reentrant", "accumulate", "second-point", "batch" for
 * index 0 .. GC_HYGIENE_COUNT-1; NULL otherwise. */
const char *gc_hygiene_name(int index);

/* The bit of a check's name; GC_OK or GC_EINVAL. */
int gc_hygiene_from_name(const char *name, unsigned *bit);

const char *gc_hygiene_status_name(gc_hygiene_status s); /* "pass", "fail", "skipped" */

/* ---- mutation testing ---------------------------------------------------- */

typedef enum gc_fault_kind {
    GC_FAULT_SCALE,         /* element (row, col) times 1 + delta */
    GC_FAULT_SIGN,          /* element (row, col) negated */
    GC_FAULT_ZERO,          /* element (row, col) set to 0 */
    GC_FAULT_SWAP,          /* elements (row, col) and (row2, col2) exchanged */
    GC_FAULT_WRONG_EXAMPLE, /* the whole tensor from the wrong example */
    GC_FAULT_KINDS
} gc_fault_kind;

/* One injected fault and its fate. */
typedef struct gc_fault {
    int tensor;          /* index into gc_report.tensors */
    gc_fault_kind kind;
    int row, col;        /* the element (scale, sign, zero, swap); -1 for wrong_example */
    int row2, col2;      /* swap's second element, else -1 */
    double delta;        /* scale: the factor is 1 + delta; else 0 */
    int killed;          /* the check refuted it (gc_report_failed of the faulty run) */
    int noop;            /* no fault drawn for this tensor changed a bit (its
                          * gradient is exactly 0): counted as surviving */
} gc_fault;

/* Per tensor of the report (same index as gc_report.tensors). */
typedef struct gc_mutation_tensor {
    int nfaults;         /* faults injected into this tensor */
    int nkilled;         /* of which the check refuted */
    double min_delta;    /* smallest |delta| of a scale fault refuted; NaN if none */
} gc_mutation_tensor;

typedef struct gc_mutation_report {
    int requested;       /* gc_check_opts.mutate */
    int baseline_failed; /* the check fails without faults: none injected
                          * (every fault would count as refuted) */
    int nfaults, nkilled;
    gc_fault *faults;    /* nfaults, in draw order; owned by the report */
    int ntensors;
    gc_mutation_tensor *tensors; /* ntensors; owned by the report */
} gc_mutation_report;

const char *gc_fault_kind_name(gc_fault_kind k); /* "scale", "sign", "zero", "swap", "wrong_example" */

#ifdef __cplusplus
}
#endif

#endif
