/*
 * gradcheck/expect.h -- another tool's loss and gradients, compared with
 * gradcheck's backprop and its finite differences.
 *
 * gradcheck's own check verifies its backprop at the weights it was given;
 * it cannot see a network file that is not the user's model (a weight
 * matrix not transposed, a loss reduced differently, a missing activation).
 * An expect file holds what the user's tool (PyTorch, scikit-learn, numpy
 * code) computes at those weights, in the format of fixtures/ref/:
 *
 *   { "tool": "torch 1.13.1", "dtype": "float64", "loss": 0.0123,
 *     "grad": { "W1": [[...], ...], "b1": [...], ..., "x": [[...], ...] },
 *     "notes": ["optional lines the tool's exporter wants shown"] }
 *
 * - "Wk" is out x in and "bk" has out values (a 1-D list is a column),
 *   named and shaped as gradcheck's tensors; "x" (optional) is dL/dx in the
 *   network file's layout, one inner list per example (B x in), compared
 *   with gradcheck's dL/dX (in x B) transposed.
 * - "dtype" must be "float64": a float32 tool's rounding (~1e-7 relative
 *   per operation) would need a band that hides real errors of the same
 *   size; gradcheck-export computes a float32 model's values in float64.
 *
 * Three values meet at every checked element: t (the tool's gradient), a
 * (gradcheck's backprop) and n (gradcheck's finite difference), and two
 * losses.  The comparison says per tensor which of them disagree:
 *   - the loss: the tool's and gradcheck's differ, so the network file is
 *     not the tool's function (the export is wrong);
 *   - t against n: the tool's gradient is refuted by the finite difference
 *     (the tool's backward is wrong, when the loss agrees);
 *   - a against n: gradcheck's own verdict (its backprop, or a layer).
 * t against a is measured and shown; it decides nothing that n does not.
 */
#ifndef GRADCHECK_EXPECT_H
#define GRADCHECK_EXPECT_H

#include <stdio.h>

#include "gradcheck/base.h"
#include "gradcheck/report.h"
#include "gradcheck/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Tolerances, and why.
 *
 * Tool against finite difference: the check's own band (abs_err <= atol or
 * rel_err <= rtol, from the report's options), because t and a are both the
 * exact derivative up to float64 rounding (the fixtures' PyTorch gradients
 * agree with gradcheck's to 1.2e-13 relative), four orders of magnitude
 * below rtol's 1e-5: the band was derived for n's error, and n's error is
 * the same whichever analytic value it meets.  At a kink element (the check
 * found the loss not differentiable within ±eps) t agrees when it lies
 * between the one-sided slopes, as a is judged there.
 *
 * Loss: GC_EXPECT_LOSS_RTOL relative.  Both sides evaluate the same float64
 * function in different operation orders; a sum of N nonnegative terms
 * (every loss here is one) differs by at most ~N u relative (u = 1.1e-16),
 * 1e-12 for 10^4 terms, times the forward pass's conditioning.  1e-8 leaves
 * four orders for that, while every export mistake the exporter guards
 * against moves the loss by far more (a factor 2 for a reduction, 0.5 or
 * more for a transposed square matrix or a dropped activation).
 */
#define GC_EXPECT_LOSS_RTOL 1e-8

/* One tensor of the tool's gradient, as the file gives it. */
typedef struct gc_expect_tensor {
    char name[GC_NAME_MAX]; /* "W1", "b1", ..., "x" */
    int rows, cols;         /* a 1-D list of n values is n x 1 */
    double *grad;           /* rows x cols, row-major, owned */
} gc_expect_tensor;

/* An expect file, loaded. */
typedef struct gc_expect {
    char tool[128];              /* "tool", cut to fit */
    double loss;                 /* "loss", finite */
    int ntensors;
    gc_expect_tensor *tensors;   /* ntensors, in file order, owned */
    int nnotes;
    char **notes;                /* nnotes strings, owned */
} gc_expect;

/* Load an expect file.  *out gets a new gc_expect (free with
 * gc_expect_free), or NULL with err set to one line "PATH: FIELD: what was
 * expected, got what" (GC_EIO unreadable, GC_EPARSE malformed: unknown or
 * missing keys, ragged rows, a non-number, a duplicate tensor; GC_ERANGE a
 * NaN or Inf; GC_EINVAL a dtype other than float64, NULL arguments). */
int gc_expect_load(const char *path, gc_expect **out, gc_error *err);

/* As gc_expect_load, from NUL-terminated text; label names it in messages
 * (NULL: "<string>"). */
int gc_expect_load_string(const char *text, const char *label, gc_expect **out,
                          gc_error *err);

/* The tensor named name, or NULL.  Do not free. */
const gc_expect_tensor *gc_expect_find(const gc_expect *e, const char *name);

/* Free it.  NULL is a no-op. */
void gc_expect_free(gc_expect *e);

/* One checked element, three ways. */
typedef struct gc_expect_row {
    int tensor;            /* index into gc_expect_report.tensors (and the report's) */
    int row, col;          /* as in the report */
    double tool;           /* t, the tool's value */
    double analytic;       /* a, gradcheck's backprop */
    double numeric;        /* n, gradcheck's finite difference */
    double rel_tn;         /* |t - n| / max(|t|, |n|), 0 when both are 0 */
    double rel_ta;         /* |t - a| / max(|t|, |a|), 0 when both are 0 */
    int tool_ok;           /* t agrees with n (the band above) */
    gc_verdict verdict;    /* gradcheck's own verdict for a against n */
} gc_expect_row;

/* Which comparison failed, per tensor, in order of precedence. */
typedef enum gc_expect_blame {
    GC_BLAME_NONE,     /* all three agree */
    GC_BLAME_EXPORT,   /* the losses differ: the file is not the tool's function */
    GC_BLAME_TOOL,     /* t refuted by n while a is confirmed: the tool's backward */
    GC_BLAME_GRADCHECK,/* a refuted by n while t is confirmed: gradcheck's backprop */
    GC_BLAME_BOTH      /* t and a both refuted by n */
} gc_expect_blame;

typedef struct gc_expect_tensor_report {
    char name[GC_NAME_MAX];
    int rows, cols;          /* gradcheck's shape (x: in x B) */
    size_t first, count;     /* its rows are rows[first .. first+count) */
    int tool_fail;           /* rows where t disagrees with n */
    int gc_fail;             /* rows gradcheck's check failed (a against n) */
    size_t worst_tn;         /* index in rows of the largest rel_tn (NaN first) */
    double max_rel_tn, max_rel_ta; /* NaN when a value is NaN */
    gc_expect_blame blame;
} gc_expect_tensor_report;

typedef struct gc_expect_report {
    char tool[128];             /* the expect file's tool */
    double loss_tool, loss_gc;  /* the two losses */
    double loss_rel;            /* |tool - gc| / max(|tool|, |gc|), 0 when both are 0 */
    double loss_rtol;           /* GC_EXPECT_LOSS_RTOL */
    int loss_ok;
    double rtol, atol;          /* the tool-against-n band (the check's) */
    int ntensors;
    gc_expect_tensor_report *tensors; /* one per report tensor, same order */
    size_t nrows;
    gc_expect_row *rows;        /* one per report row, same order */
    int tool_fail, gc_fail;     /* over all rows */
    int nunchecked;             /* tensors of the file not in the report */
    const char **unchecked;     /* their names (the array owned, the names e's) */
    int nnotes;
    const char *const *notes;   /* e's notes: valid while e lives */
} gc_expect_report;

/* Compare e with the check report r (made with the network e was exported
 * for).  Every tensor of r must be in e with r's shape (x transposed):
 * otherwise GC_ESHAPE, err naming the tensor and both shapes, or GC_EINVAL
 * "grad has no W2 (the file has W1 b1)"; a tensor of e that r did not check
 * is listed in unchecked, not compared.  *out gets a new report (free with
 * gc_expect_report_free); it points into e's names and notes, so e must
 * outlive it.  GC_EPARTIAL when r is partial (opts.drop_passes). */
int gc_expect_compare(const gc_expect *e, const gc_report *r, gc_expect_report **out,
                      gc_error *err);

/* Before a check: every tensor of e must be net's (or x), and every tensor
 * of net must be in e with its shape (x, when e has it, B x in).  GC_OK,
 * or GC_EINVAL / GC_ESHAPE with err naming the tensor ("grad has no W2 (the
 * file has W1 b1)", "grad.W1: expected 3x2, got 2x3"). */
int gc_expect_match_net(const gc_expect *e, const gc_net *net, gc_error *err);

/* Nonzero when any comparison disagrees (the loss, a tool row, a gradcheck
 * row) or gradcheck's report failed for another reason (r given: a kink
 * under strict_kinks, parameters not restored).  NULL x gives 1. */
int gc_expect_failed(const gc_expect_report *x, const gc_report *r);

void gc_expect_report_free(gc_expect_report *x);

/* "none", "export", "tool", "gradcheck", "tool and gradcheck". */
const char *gc_expect_blame_name(gc_expect_blame b);

/* ---- writers: read the reports, compute nothing ------------------------ */

/* The three-way section, after gradcheck's text report: the losses, a
 * table per tensor (compared, tool-vs-fd and backprop-vs-fd disagreements,
 * max rel t-n and t-a, blame), the disagreeing elements with t, a and n (up
 * to 20), and a verdict line.  GC_OK, GC_EIO, GC_EINVAL for NULL. */
int gc_expect_write_text(const gc_expect_report *x, const gc_report *r, FILE *f);

/* gradcheck's JSON report (gc_report_write_json's object) with one more
 * member "expect" (schema in README.md), and "verdict" the run's: "fail"
 * when either fails.  GC_OK, GC_ENOMEM, GC_EIO, GC_EINVAL for NULL. */
int gc_expect_write_json(const gc_expect_report *x, const gc_report *r, FILE *f);

/* gradcheck's JUnit document with one more testsuite, "gradcheck-expect":
 * a testcase "loss" and one per tensor, failing (type export, tool,
 * gradcheck or "tool and gradcheck") with the disagreeing elements listed
 * (up to 20).  GC_OK, GC_EIO, GC_EINVAL for NULL. */
int gc_expect_write_junit(const gc_expect_report *x, const gc_report *r, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
