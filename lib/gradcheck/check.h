/*
 * gradcheck/check.h -- the finite-difference engine and its report.
 *
 * For every parameter element θi (and, on request, every input element) the
 * engine computes a numerical derivative from the loss at θ ± ε, compares it
 * with the analytic one from backprop and gives a verdict: pass, kink or fail.
 * It fills a gc_report and prints nothing; the writers (text, JSON, JUnit)
 * read a report and compute nothing.
 */
#ifndef GRADCHECK_CHECK_H
#define GRADCHECK_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "gradcheck/base.h"
#include "gradcheck/layer.h"
#include "gradcheck/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gc_method {
    GC_METHOD_CENTRAL,    /* (L(θ+ε) - L(θ-ε)) / 2ε, the classic */
    GC_METHOD_FORWARD,    /* (L(θ+ε) - L(θ)) / ε */
    GC_METHOD_RICHARDSON  /* central at ε, ε/2, ε/4 ... extrapolated, with an error estimate */
} gc_method;

typedef enum gc_engine {
    GC_ENGINE_REFERENCE, /* recompute from the perturbed layer onward */
    GC_ENGINE_FAST       /* propagate the perturbation's sparse change */
} gc_engine;

typedef enum gc_verdict { GC_PASS, GC_KINK, GC_FAIL } gc_verdict;

/* Options of a check.  Start from gc_check_opts_init. */
typedef struct gc_check_opts {
    gc_method method;
    double eps;               /* step; 0 means the method's default */
    double rtol;              /* default 1e-5 */
    double atol;              /* default 1e-8 */
    int inputs;               /* nonzero: also check dL/dX, as tensor "x" */
    const char *const *params;/* NULL-terminated tensor names to check; NULL: all */
    int sample;               /* 0: every element; N: N elements of every tensor */
    uint64_t seed;            /* PCG32 seed (sampling, the layer check's R) */
    int strict_kinks;         /* count kinks as failures */
    int adaptive;             /* pass band from each element's own error estimate */
    gc_engine engine;
    int threads;              /* 0: all cores */
    int screen;               /* random-direction screen per tensor first */
} gc_check_opts;

/* Defaults: central, eps 0 (method default), rtol 1e-5, atol 1e-8, all
 * parameters, no inputs, no sampling, seed 1. */
void gc_check_opts_init(gc_check_opts *opts);

/* One checked element. */
typedef struct gc_row {
    int tensor;            /* index into gc_report.tensors */
    int row, col;          /* element (row, col) of that tensor */
    double analytic;       /* from backprop */
    double numeric;        /* from finite differences */
    double abs_err;        /* |a - n| */
    double rel_err;        /* |a - n| / max(|a|, |n|); 0 when both are 0 */
    double num_err;        /* estimate of the numeric derivative's own error, or NaN */
    double slope_lo;       /* (L(θ) - L(θ-ε)) / ε when computed, else NaN */
    double slope_hi;       /* (L(θ+ε) - L(θ)) / ε when computed, else NaN */
    gc_verdict verdict;
} gc_row;

/* Summary of one tensor. */
typedef struct gc_tensor_report {
    char name[GC_NAME_MAX]; /* "W1", "b1", ..., "x" for the input */
    int rows, cols;
    size_t first, count;    /* its rows are report->rows[first .. first+count) */
    int npass, nkink, nfail;
    double max_rel;         /* NaN when an element is NaN */
    double median_rel;
    size_t worst;           /* index in report->rows of the largest rel_err */
    double norm_ratio;      /* ||a - n|| / (||a|| + ||n||), 0 when both are 0 */
    int vacuous;            /* every |a| and |n| <= atol: compared zeros with zeros */
    int sampled;            /* count < rows * cols */
    int screened;           /* screen passed it without element checks */
} gc_tensor_report;

typedef struct gc_report {
    gc_check_opts opts;       /* as used (eps resolved); opts.params is NULL */
    double loss;              /* L at the unperturbed parameters */
    int ntensors;
    gc_tensor_report *tensors;
    size_t nrows;
    gc_row *rows;
    int npass, nkink, nfail;  /* over all rows */
    int nvacuous;             /* tensors flagged vacuous */
    int restored;             /* 1: every parameter bit-identical afterwards */
    unsigned long long nevals;/* loss evaluations used */
} gc_report;

/* Check every (selected) parameter of net, and its input when opts->inputs.
 * net must have data (gc_net_set_data).  *out gets a new report (free with
 * gc_report_free).  GC_EINVAL for an unknown tensor name (err names it). */
int gc_check_net(gc_net *net, const gc_check_opts *opts, gc_report **out, gc_error *err);

/* The layer check: L = sum(R .* layer(X)) with X (in x batch) and R
 * (out x batch) drawn from PCG32(opts->seed), so dL/dY = R; checks the
 * layer's parameter gradients and its input gradient "x".  The layer's
 * parameters keep their values.  No network needed. */
int gc_check_layer(gc_layer *layer, int batch, const gc_check_opts *opts,
                   gc_report **out, gc_error *err);

/* Nonzero when the report must make a CI job fail: any fail verdict, a kink
 * under strict_kinks, or a parameter not restored. */
int gc_report_failed(const gc_report *r);

/* Free a report.  NULL is a no-op. */
void gc_report_free(gc_report *r);

/* ---- writers: read a report, compute nothing --------------------------- */

/* Aligned table: summaries first, then the worst elements, the classic
 * bands as a hint.  GC_OK or GC_EIO. */
int gc_report_write_text(const gc_report *r, FILE *f);

/* One JSON object (schema in README.md). */
int gc_report_write_json(const gc_report *r, FILE *f);

/* JUnit XML: one testcase per tensor. */
int gc_report_write_junit(const gc_report *r, FILE *f);

const char *gc_verdict_name(gc_verdict v);  /* "pass", "kink", "fail" */
const char *gc_method_name(gc_method m);    /* "central", ... */
int gc_method_from_name(const char *name, gc_method *m);

#ifdef __cplusplus
}
#endif

#endif
