/*
 * gradcheck/func.h -- check code as it is: a raw-array function check and a
 * scalar f/g check, for C code that is not written against gc_layer.
 *
 * THE FUNCTION CHECK.  Your code is a forward and a backward over plain
 * arrays, in your own layout (float arrays in (B, T, C), outputs first):
 *
 *     void layernorm_forward(float *out, float *mean, float *rstd,
 *                            const float *inp, const float *w, const float *b,
 *                            int B, int T, int C);
 *     void layernorm_backward(float *dinp, float *dw, float *db,
 *                             const float *dout, const float *inp,
 *                             const float *w, const float *mean,
 *                             const float *rstd, int B, int T, int C);
 *
 * Declare its tensors (name, role, element type, shape of up to 4 dims),
 * write two callbacks that call your functions with the arrays the checker
 * hands them, and call gc_check_func:
 *
 *     static void fwd(gc_func_call *c) {
 *         const int *s = c->ctx;  // {B, T, C}
 *         layernorm_forward(c->v[0], c->v[1], c->v[2], c->v[3], c->v[4], c->v[5],
 *                           s[0], s[1], s[2]);
 *     }
 *     static void bwd(gc_func_call *c) {
 *         const int *s = c->ctx;
 *         layernorm_backward(c->d[3], c->d[4], c->d[5], c->d[0], c->v[3], c->v[4],
 *                            c->v[1], c->v[2], s[0], s[1], s[2]);
 *     }
 *     int s[3] = {2, 3, 8};
 *     gc_func f;
 *     gc_func_init(&f, fwd, bwd, s);
 *     gc_func_add(&f, "out",  GC_ROLE_OUTPUT, GC_DTYPE_F32, 3, 2, 3, 8, 0);
 *     gc_func_add(&f, "mean", GC_ROLE_CACHE,  GC_DTYPE_F32, 2, 2, 3, 0, 0);
 *     gc_func_add(&f, "rstd", GC_ROLE_CACHE,  GC_DTYPE_F32, 2, 2, 3, 0, 0);
 *     gc_func_add(&f, "inp",  GC_ROLE_INPUT,  GC_DTYPE_F32, 3, 2, 3, 8, 0);
 *     gc_func_add(&f, "w",    GC_ROLE_PARAM,  GC_DTYPE_F32, 1, 8, 0, 0, 0);
 *     gc_func_add(&f, "b",    GC_ROLE_PARAM,  GC_DTYPE_F32, 1, 8, 0, 0, 0);
 *     gc_report *r;
 *     int rc = gc_check_func(&f, NULL, &r, &err);   // then gc_report_write_text
 *
 * What the checker does: it draws every input and parameter it was not
 * given values for, and an upstream gradient R for every output, from
 * PCG32(opts->seed); it takes L = sum over outputs of R .* output, so that
 * dL/d(output) = R, and compares your backward's dL/d(tensor) with central
 * differences of L, element by element, for every INPUT and PARAM tensor.
 * The report, verdicts and writers are those of <gradcheck/check.h>: tensor
 * names are yours; an element (row, col) of a tensor of dims d0..dk is row
 * = the flat index / dk, col = flat index % dk (gc_func_unravel gives the
 * multi-index back).
 *
 * Precision: when any input, parameter or output is GC_DTYPE_F32 the check
 * runs with opts->precision = GC_PRECISION_FLOAT32 (the engine's steps and
 * bands for float), whatever opts says, and with the float32 defaults
 * (gradcheck/check.h) for eps 0 and for rtol and atol left at
 * gc_check_opts_init's float64 values; a tolerance you set is kept.  A
 * float tensor is held by the checker
 * as doubles that are exactly floats, and every perturbed value is rounded
 * to float when it is handed to your forward, so the perturbation is the one
 * your code actually sees.
 *
 * State: your forward may keep anything in ctx or in CACHE tensors for the
 * backward of the same call.  The checker calls forward once per perturbed
 * evaluation and, before each backward, forward once more at the
 * unperturbed point, so a backward always follows the forward of its own
 * values.  Callbacks are called from the calling thread only, one at a time.
 *
 * THE SCALAR CHECK.  f(θ) -> L and g(θ) -> ∇L on a flat array θ, as scipy's
 * check_grad or Ceres' GradientChecker, with per-element verdicts on named
 * segments of θ (gc_check_scalar).
 */
#ifndef GRADCHECK_FUNC_H
#define GRADCHECK_FUNC_H

#include <stddef.h>

#include "gradcheck/base.h"
#include "gradcheck/check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most tensors one function may declare, all roles together.  The INPUT and
 * PARAM ones together are at most GC_LAYER_MAX_PARAMS (the same number). */
#define GC_FUNC_MAX_TENSORS 32
#define GC_FUNC_MAX_DIMS 4

typedef enum gc_dtype {
    GC_DTYPE_F32, /* float */
    GC_DTYPE_F64, /* double */
    GC_DTYPE_I32  /* int: token ids, class targets (CONST and CACHE only) */
} gc_dtype;

typedef enum gc_role {
    GC_ROLE_INPUT,  /* differentiable input: drawn or given, checked */
    GC_ROLE_PARAM,  /* differentiable parameter: drawn or given, checked */
    GC_ROLE_CONST,  /* side input (ids, targets, masks): drawn or given, never
                     * perturbed, no gradient */
    GC_ROLE_OUTPUT, /* forward writes it; L adds R .* it; backward reads dL/d it */
    GC_ROLE_CACHE   /* scratch the forward fills for the backward (mean, rstd,
                     * attention weights); zero before the first forward */
} gc_role;

/* One tensor of a function.  Fill with gc_func_add, or by hand. */
typedef struct gc_func_tensor {
    char name[GC_NAME_MAX];  /* 1..15 chars, unique in the function */
    gc_role role;
    gc_dtype dtype;          /* F32 or F64 except CONST and CACHE, which may be I32 */
    int ndim;                /* 1 .. GC_FUNC_MAX_DIMS */
    int dim[GC_FUNC_MAX_DIMS]; /* dim[0 .. ndim-1] >= 1, row-major (last fastest) */
    const void *init;        /* optional values (dtype, every element), copied by
                              * the check; NULL: drawn (below).  Not owned. */
    double scale;            /* F32/F64 drawn U[-scale, scale); 0 means 1 */
    int high;                /* I32 CONST drawn uniform in [0, high); >= 1 when
                              * init is NULL */
} gc_func_tensor;

/* What a callback gets: one pointer per declared tensor, in declared order,
 * each to an array of that tensor's dtype and size.
 *   v[i]: the values.  Inputs, parameters and constants hold the point of
 *         this evaluation (do not write them); forward writes the outputs
 *         and caches.
 *   d[i]: gradients.  For an OUTPUT, dL/d(output) = R (backward reads it);
 *         for an INPUT or PARAM, zeroed before each backward, which writes
 *         or adds (+=) dL/d(tensor) there; NULL for CONST and CACHE. */
typedef struct gc_func_call {
    void *v[GC_FUNC_MAX_TENSORS];
    void *d[GC_FUNC_MAX_TENSORS];
    void *ctx;                /* the function's ctx */
    const struct gc_func *f;  /* shapes: f->t[i].dim */
} gc_func_call;

typedef void (*gc_func_fn)(gc_func_call *c);

/* A function under test: its callbacks, its state and its tensors. */
typedef struct gc_func {
    gc_func_fn forward;   /* required */
    gc_func_fn backward;  /* required */
    void *ctx;            /* the caller's; handed to both; gc_check_func never frees it */
    /* Optional: frees ctx; called by gc_func_destroy (and so by the owners of
     * a function, such as <gradcheck/ck.h>'s loop tests), never by a check. */
    void (*destroy)(void *ctx);
    int nt;               /* declared tensors, 0 .. GC_FUNC_MAX_TENSORS */
    gc_func_tensor t[GC_FUNC_MAX_TENSORS];
} gc_func;

/* Start a function with no tensors. */
void gc_func_init(gc_func *f, gc_func_fn forward, gc_func_fn backward, void *ctx);

/* Declare the next tensor: ndim dims d0..d3 (the unused ones are ignored),
 * drawn values (init NULL, scale 1; an I32 CONST needs gc_func_set_high).
 * Returns its index (the i of c->v[i]) or GC_EINVAL (NULL f or name, a name
 * too long or repeated, a bad role/dtype pair, a dim < 1, too many
 * tensors).  A bad declaration also makes gc_check_func refuse the
 * function, so a chain of calls may be checked once at the end. */
int gc_func_add(gc_func *f, const char *name, gc_role role, gc_dtype dtype, int ndim,
                int d0, int d1, int d2, int d3);

/* Give tensor i its values (copied at check time; not owned), the range of
 * its drawn values, or the bound of its drawn integers.  GC_OK or GC_EINVAL
 * (no such tensor, a scale that is not finite and > 0, high < 1). */
int gc_func_set_init(gc_func *f, int i, const void *values);
int gc_func_set_scale(gc_func *f, int i, double scale);
int gc_func_set_high(gc_func *f, int i, int high);

/* Call f->destroy(f->ctx) when set, then forget ctx.  NULL is a no-op. */
void gc_func_destroy(gc_func *f);

/* Elements of tensor t (the product of its dims). */
size_t gc_func_numel(const gc_func_tensor *t);

/* The multi-index idx[0 .. ndim-1] of report element (row, col) of t. */
void gc_func_unravel(const gc_func_tensor *t, int row, int col, int idx[GC_FUNC_MAX_DIMS]);

/* Check f: every INPUT and PARAM tensor (opts->params NULL), or those named
 * in opts->params, element by element (opts NULL: defaults; precision as
 * said above; opts->inputs, engine and threads are ignored: the checked
 * tensors are f's own, evaluated on the calling thread).  *out gets a new
 * report (gc_report_free).  GC_EINVAL with err naming the tensor for a bad
 * declaration (err: "tensor 'w': ..."), GC_ENOMEM.  The values given through
 * init are never written; nothing is kept after the call. */
int gc_check_func(const gc_func *f, const gc_check_opts *opts, gc_report **out, gc_error *err);

/* ---- the scalar check ------------------------------------------------- */

/* A named part of θ: elements offset .. offset + rows*cols - 1, reported as
 * a rows x cols tensor. */
typedef struct gc_segment {
    const char *name; /* 1..15 chars, unique */
    size_t offset;
    int rows, cols;   /* >= 1 */
} gc_segment;

typedef struct gc_scalar {
    gc_dtype dtype; /* GC_DTYPE_F64 (double θ, double gradient) or GC_DTYPE_F32 */
    size_t n;       /* length of θ, >= 1 */
    /* L at θ (n elements of dtype).  Must not write θ. */
    double (*f)(void *ctx, const void *theta);
    /* ∇L at θ into grad (n elements of dtype; overwrite every element). */
    void (*g)(void *ctx, void *grad, const void *theta);
    void *ctx;
    /* nseg segments (disjoint, inside θ), at most GC_LAYER_MAX_PARAMS; NULL
     * (nseg 0): one segment "theta", 1 x n.  Elements of θ outside every
     * segment keep their values and are not checked. */
    const gc_segment *seg;
    int nseg;
} gc_scalar;

/* Check g against central differences of f at theta (n elements of
 * s->dtype; read, never written), segment by segment.  F32 runs at
 * GC_PRECISION_FLOAT32.  opts and the report as gc_check_func. */
int gc_check_scalar(const gc_scalar *s, const void *theta, const gc_check_opts *opts,
                    gc_report **out, gc_error *err);

#ifdef __cplusplus
}
#endif

#endif
