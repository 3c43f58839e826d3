/*
 * gradcheck/report.h -- the report of a check and its writers.
 *
 * The engine fills a gc_report and prints nothing; the writers (text, JSON,
 * JUnit) read a finished report and compute nothing.
 */
#ifndef GRADCHECK_REPORT_H
#define GRADCHECK_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "gradcheck/check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One checked element. */
typedef struct gc_row {
    int tensor;            /* index into gc_report.tensors */
    int row, col;          /* element (row, col) of that tensor */
    double analytic;       /* from backprop */
    double numeric;        /* from finite differences */
    double abs_err;        /* |a - n| */
    double rel_err;        /* |a - n| / max(|a|, |n|); 0 when both are 0 */
    double num_err;        /* the numeric derivative's error bound B: roundoff
                            * (the losses' rounding over the step) plus
                            * truncation (central, forward: from the slopes;
                            * richardson: the tableau's estimate); NaN when a
                            * loss used is not finite */
    double band;           /* the pass band max(atol, rtol max(|a|, |n|)) it
                            * was judged with (adaptive: tightened) */
    double slope_lo;       /* (L(θ) - L(θ-ε)) / ε when computed, else NaN
                            * (at ε even when a finer step decided a kink) */
    double slope_hi;       /* (L(θ+ε) - L(θ)) / ε when computed, else NaN */
    int hook;              /* a layer's kink hook fired between θ-ε and θ+ε */
    gc_verdict verdict;
    gc_reason reason;      /* why undecided, else GC_REASON_NONE */
    int escalated;         /* not decided at ε: measured again (Ridders' steps) */
} gc_row;

/* The rows of the report order a partial report (opts.drop_passes
 * GC_DROP_PASSES) keeps besides those not passed and each tensor's worst:
 * the text writer's list of the largest rel_err. */
#define GC_PARTIAL_TOP 10

/* Summary of one tensor. */
typedef struct gc_tensor_report {
    char name[GC_NAME_MAX]; /* "W1", "b1", ..., "x" for the input */
    int rows, cols;
    size_t first, count;    /* its rows are report->rows[first .. first+count)
                             * (a partial report: those it kept) */
    int npass, nkink, nfail;
    int nundecided;         /* by reason: nreason[] */
    int nreason[GC_NREASONS];
    int nweak;              /* passed only through atol: rel_err > rtol */
    int nescalated;         /* rows measured again beyond ε */
    double grad_scale;      /* max |analytic| over its rows (NaN first): a flat or
                             * saturated tensor shows as a tiny scale */
    /* Sensitivity as run: per element (band + B + |a - n|) / |a|, the smallest
     * relative error of a that the check would have refuted there (Inf where
     * a is 0 or B unknown); its median and its worst (largest) over the rows. */
    double sens_median, sens_worst;
    double max_rel;         /* NaN when an element is NaN */
    double median_rel;      /* NaN sorts above everything */
    size_t worst;           /* index in report->rows of the largest rel_err (NaN first) */
    double norm_ratio;      /* ||a - n|| / (||a|| + ||n||), 0 when both are 0 */
    int vacuous;            /* every |a| and |n| <= atol: compared zeros with zeros */
    int sampled;            /* count < rows * cols */
    int screened;           /* screen passed it without element checks */
} gc_tensor_report;

struct gc_report {
    gc_check_opts opts;       /* as used: eps resolved, engine and screen what ran
                               * (the layer check: reference, no screen);
                               * params, progress and progress_ctx NULL */
    double loss;              /* L at the unperturbed parameters */
    int ntensors;
    gc_tensor_report *tensors;
    size_t nrows;
    gc_row *rows;             /* nrows, tensor by tensor; a partial report's
                               * are only those kept (below) */
    /* 1: a partial report (opts.drop_passes): rows holds only the rows whose
     * verdict is not pass, each tensor's worst row and the first
     * GC_PARTIAL_TOP rows of the report order (gc_report_worst: what the
     * text writer lists), in the order a whole report holds them; a
     * tensor's first, count and worst index these, its checked rows number
     * npass + nkink + nfail + nundecided; every other field is the whole
     * report's.  2 (opts.drop_passes GC_DROP_STATS): the same but no row is
     * kept for being the worst or among the first, and each tensor's
     * statistics, never computed, are NaN (sens_median, sens_worst,
     * max_rel, median_rel, norm_ratio) and its worst SIZE_MAX; its counts,
     * grad_scale, vacuous, sampled and screened flags and every total are
     * the whole report's.  0: every row checked. */
    int partial;
    int npass, nkink, nfail;  /* over all rows */
    int nundecided;           /* over all rows, by reason in nreason[] */
    int nreason[GC_NREASONS];
    int nweak, nescalated;    /* over all rows, as per tensor */
    int nvacuous;             /* tensors flagged vacuous */
    int restored;             /* 1: every parameter bit-identical afterwards */
    unsigned long long nevals;/* loss evaluations used */
    size_t *order;            /* NULL, or the cache gc_report_order filled:
                               * read the order through gc_report_order */
    /* ---- beyond one call (<gradcheck/hygiene.h>); owned by the report ---- */
    gc_hygiene_report *hygiene;   /* NULL when no hygiene check ran (networks) */
    gc_mutation_report *mutation; /* NULL unless opts.mutate > 0 */
    /* A part of a split check (opts.nshards > 0; else first 0, total nrows):
     * its rows are rows [shard_first, shard_first + nrows) of shard_total. */
    size_t shard_first, shard_total;
    unsigned long long nevals_rows; /* of nevals, those the rows took; the
                               * rest but nevals_once (unperturbed pass,
                               * screen, final pass) every part of a split
                               * check repeats */
    unsigned long long nevals_once; /* of nevals, the conditioning estimate's,
                               * which a check takes once when some row fails
                               * (engine/conditioning.h), whichever part holds it */
    uint64_t hash;            /* a part of a split check (opts.nshards >
                               * 0): a 64-bit hash of the unperturbed loss
                               * and every checked tensor's name, shape,
                               * values and analytic gradient: parts of one
                               * check agree (its value is this build's:
                               * merge parts made by one version); 0 in a
                               * whole check */
};

/* Nonzero when the report refutes the gradient or must fail a CI job: any
 * fail verdict, a kink under strict_kinks, a parameter not restored, or a
 * failed hygiene check.  NULL gives 1.  An undecided element does not count
 * here: see gc_report_status. */
int gc_report_failed(const gc_report *r);

/* GC_STATUS_REFUTED when gc_report_failed; else GC_STATUS_UNDECIDED when an
 * element is undecided or (unless opts.allow_vacuous) a tensor is vacuous;
 * else GC_STATUS_CONFIRMED.  NULL gives GC_STATUS_REFUTED.  The values are
 * the command's exit statuses (0, 1, 3). */
gc_status gc_report_status(const gc_report *r);

/* The reason's sentence, e.g. "loss not finite at θ"; "" for GC_REASON_NONE,
 * "?" for a value out of range. */
const char *gc_reason_text(gc_reason why);

/* Its short name for the machine formats: "none", "loss_nonfinite",
 * "loss_nonfinite_near", "noise", "flat", "kink_at_theta", "conditioning",
 * "unconverged";
 * else "?". */
const char *gc_reason_name(gc_reason why);

/* Free a report.  NULL is a no-op. */
void gc_report_free(gc_report *r);

/* The report order: r->nrows indices into r->rows, largest rel_err first
 * (NaN first), ties by smaller index.  Sorted on the first call (every
 * row, linear time, two arrays of nrows entries) and kept in r->order,
 * owned by the report: do not free; later calls return it at once.  A
 * check leaves r->order NULL: only a caller that wants the whole order
 * pays for it.  Not safe to call on one report from two threads at once
 * before it is cached.  NULL when r is NULL or memory runs out.  A
 * partial report's is the order of the rows it holds. */
const size_t *gc_report_order(gc_report *r);

/* The first n entries of that order (fewer when the report has fewer
 * rows) into out[0 .. n), without sorting every row and without
 * allocating: O(nrows log n).  Returns how many.  0 when r or out is
 * NULL.  A partial report's: of the rows it holds. */
size_t gc_report_worst(const gc_report *r, size_t *out, size_t n);

/* ---- a report from rows: split checks put back together ----------------- */

/* Rebuild r's layout and summaries from its rows: each tensor's first and
 * count (rows must be grouped by tensor, in tensor order), verdict counts,
 * max and median rel_err, worst element, norm ratio, vacuous and sampled
 * flags and the totals; a cached order (r->order) is dropped.  A screened
 * tensor keeps its summary and must have no rows.  The engine's own
 * summaries, so the same rows give the same report (on r->opts.threads
 * threads when r->opts.engine is fast, with the same result at any count).
 * GC_OK, GC_ENOMEM, GC_EINVAL (NULL, rows out of tensor order), or
 * GC_EPARTIAL (r->partial: the rows dropped are not there to read). */
int gc_report_rebuild(gc_report *r);

/* A report read back from the JSON gc_report_write_json wrote at path:
 * options, loss, tensors, rows (every number bit-identical), totals, and a
 * part's "shard" object; the summaries rebuilt from the rows (a screened
 * tensor's read).  *out gets a new report.  GC_EIO (unreadable), GC_EPARSE
 * (err: "FILE: rows[3]: expected verdict pass, kink or fail"), GC_ENOMEM. */
int gc_report_read_json(const char *path, gc_report **out, gc_error *err);

/* The whole check from its parts: parts[0 .. n) are the n reports of a check
 * split n ways (opts.nshards == n), any order, each part once.  *out gets a
 * new report (free with gc_report_free) equal to the one a single check
 * would give: the rows put together in part order, summaries rebuilt,
 * restored only when every part restored, evaluations counted once for what
 * every part repeats.  GC_EINVAL (err says which, *bad the part's index, or
 * -1) when the parts differ in network (hash, loss, tensors), options or
 * seed, a part is missing, given twice, or its rows do not tile the whole;
 * GC_EPARTIAL when a part is partial; GC_ENOMEM. */
int gc_report_merge(const gc_report *const *parts, int n, gc_report **out, int *bad,
                    gc_error *err);

/* ---- writers: read a report, compute nothing --------------------------- */

/* Aligned table: summaries per tensor first, then the worst elements (the
 * 10 largest rel_err and every fail or kink, up to 50 rows), totals, the
 * classic bands as a hint and a one-line verdict.  GC_OK, GC_EIO,
 * GC_EINVAL when r or f is NULL, or GC_EPARTIAL (nothing written) when r
 * is partial 2 (no statistics).  A partial report (1) holds every row this
 * writer and the JUnit one list, and gives the same bytes as the whole. */
int gc_report_write_text(const gc_report *r, FILE *f);

/* One JSON object (schema in README.md); NaN and ±Inf, which JSON lacks,
 * are written as the strings "nan", "inf", "-inf".  The seed is a JSON (jansson)
 * int64: one above 2^63 - 1 would print negative (the CLI refuses those).
 * GC_OK, GC_ENOMEM, GC_EIO, GC_EINVAL when r or f is NULL, or GC_EPARTIAL. */
int gc_report_write_json(const gc_report *r, FILE *f);

/* JUnit XML: one testcase per tensor; a failing tensor carries a <failure>
 * listing its worst elements, a vacuous one a <skipped>.  GC_OK, GC_EIO,
 * GC_EINVAL when r or f is NULL, or GC_EPARTIAL when r is partial 2 (as
 * the text writer: a partial report 1 gives the whole one's bytes). */
int gc_report_write_junit(const gc_report *r, FILE *f);

const char *gc_verdict_name(gc_verdict v);  /* "pass", "kink", "fail", "undecided"; else "?" */

#ifdef __cplusplus
}
#endif

#endif
