/*
 * func.c -- the raw-array function check (<gradcheck/func.h>).
 *
 * The INPUT and PARAM tensors become the parameters of one synthesized
 * layer, held as doubles (func/host.h).  Its forward converts them to the
 * user's element type -- for float this rounding is what makes a perturbed
 * value the one the user's code sees -- calls the user's forward and
 * gathers every OUTPUT into the layer's output, in declared order.  Its
 * backward runs the user's forward at the same point first (so the
 * backward reads caches of its own values), hands it R through the outputs'
 * gradient buffers and adds the user's gradients into the layer's.
 */
#include "gradcheck/func.h"
#include "func/host.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* PCG32 stream of the drawn values and R: a fixed function of opts->seed. */
#define STREAM_FUNC_DATA 0xf0ca1du

/* ---- declaring ---------------------------------------------------------- */

void gc_func_init(gc_func *f, gc_func_fn forward, gc_func_fn backward, void *ctx)
{
    if (f == NULL)
        return;
    memset(f, 0, sizeof *f);
    f->forward = forward;
    f->backward = backward;
    f->ctx = ctx;
}

void gc_func_destroy(gc_func *f)
{
    if (f == NULL)
        return;
    if (f->destroy != NULL)
        f->destroy(f->ctx);
    f->ctx = NULL;
    f->destroy = NULL;
}

static int differentiable(gc_role r)
{
    return r == GC_ROLE_INPUT || r == GC_ROLE_PARAM;
}

static int role_dtype_ok(gc_role r, gc_dtype d)
{
    if (d != GC_DTYPE_F32 && d != GC_DTYPE_F64 && d != GC_DTYPE_I32)
        return 0;
    if (r == GC_ROLE_CONST || r == GC_ROLE_CACHE)
        return 1;
    return (differentiable(r) || r == GC_ROLE_OUTPUT) && d != GC_DTYPE_I32;
}

size_t gc_func_numel(const gc_func_tensor *t)
{
    size_t n = 1;
    for (int k = 0; t != NULL && k < t->ndim && k < GC_FUNC_MAX_DIMS; k++)
        n *= t->dim[k] > 0 ? (size_t)t->dim[k] : 0;
    return n;
}

int gc_func_add(gc_func *f, const char *name, gc_role role, gc_dtype dtype, int ndim, int d0,
                int d1, int d2, int d3)
{
    if (f == NULL)
        return GC_EINVAL;
    if (f->nt >= GC_FUNC_MAX_TENSORS || !gc_host_name_ok(name)) {
        f->nt = GC_FUNC_MAX_TENSORS + 1; /* gc_check_func says what went wrong */
        return GC_EINVAL;
    }
    gc_func_tensor *t = &f->t[f->nt];
    memset(t, 0, sizeof *t);
    memcpy(t->name, name, strlen(name));
    t->role = role;
    t->dtype = dtype;
    t->ndim = ndim;
    int d[GC_FUNC_MAX_DIMS] = {d0, d1, d2, d3};
    for (int k = 0; k < ndim && k < GC_FUNC_MAX_DIMS; k++)
        t->dim[k] = d[k];
    t->scale = 1.0;
    int ok = role_dtype_ok(role, dtype) && ndim >= 1 && ndim <= GC_FUNC_MAX_DIMS;
    for (int k = 0; ok && k < ndim; k++)
        ok = t->dim[k] >= 1;
    for (int i = 0; ok && i < f->nt; i++)
        ok = strcmp(f->t[i].name, name) != 0;
    int i = f->nt++;
    return ok ? i : GC_EINVAL;
}

int gc_func_set_init(gc_func *f, int i, const void *values)
{
    if (f == NULL || i < 0 || i >= f->nt || i >= GC_FUNC_MAX_TENSORS)
        return GC_EINVAL;
    f->t[i].init = values;
    return GC_OK;
}

int gc_func_set_scale(gc_func *f, int i, double scale)
{
    if (f == NULL || i < 0 || i >= f->nt || i >= GC_FUNC_MAX_TENSORS || !(scale > 0.0) ||
        !isfinite(scale))
        return GC_EINVAL;
    f->t[i].scale = scale;
    return GC_OK;
}

int gc_func_set_high(gc_func *f, int i, int high)
{
    if (f == NULL || i < 0 || i >= f->nt || i >= GC_FUNC_MAX_TENSORS || high < 1)
        return GC_EINVAL;
    f->t[i].high = high;
    return GC_OK;
}

void gc_func_unravel(const gc_func_tensor *t, int row, int col, int idx[GC_FUNC_MAX_DIMS])
{
    for (int k = 0; k < GC_FUNC_MAX_DIMS; k++)
        idx[k] = 0;
    if (t == NULL || t->ndim < 1 || t->ndim > GC_FUNC_MAX_DIMS)
        return;
    size_t flat = (size_t)row * (size_t)t->dim[t->ndim - 1] + (size_t)col;
    for (int k = t->ndim - 1; k >= 0; k--) {
        idx[k] = (int)(flat % (size_t)t->dim[k]);
        flat /= (size_t)t->dim[k];
    }
}

/* ---- validation: one message naming the tensor -------------------------- */

static int tensor_ok(const gc_func *f, int i, gc_error *err)
{
    const gc_func_tensor *t = &f->t[i];
    if (memchr(t->name, '\0', GC_NAME_MAX) == NULL || !gc_host_name_ok(t->name))
        return gc_error_set(err, GC_EINVAL, "tensor %d: a name of 1 to %d characters",
                            i, GC_NAME_MAX - 1);
    for (int j = 0; j < i; j++)
        if (strcmp(f->t[j].name, t->name) == 0)
            return gc_error_set(err, GC_EINVAL, "tensor '%s': declared twice", t->name);
    if (!role_dtype_ok(t->role, t->dtype))
        return gc_error_set(err, GC_EINVAL, "tensor '%s': role %d cannot have element type %d",
                            t->name, (int)t->role, (int)t->dtype);
    if (t->ndim < 1 || t->ndim > GC_FUNC_MAX_DIMS)
        return gc_error_set(err, GC_EINVAL, "tensor '%s': %d dimensions (1 to %d)", t->name,
                            t->ndim, GC_FUNC_MAX_DIMS);
    size_t n = 1;
    for (int k = 0; k < t->ndim; k++) {
        if (t->dim[k] < 1)
            return gc_error_set(err, GC_EINVAL, "tensor '%s': dim[%d] = %d, expected >= 1",
                                t->name, k, t->dim[k]);
        if (n > (size_t)INT_MAX / (size_t)t->dim[k])
            return gc_error_set(err, GC_EINVAL, "tensor '%s': more than %d elements", t->name,
                                INT_MAX);
        n *= (size_t)t->dim[k];
    }
    if (t->init == NULL && t->dtype == GC_DTYPE_I32 && t->role == GC_ROLE_CONST && t->high < 1)
        return gc_error_set(err, GC_EINVAL,
                            "tensor '%s': integer values drawn need high >= 1 (gc_func_set_high)",
                            t->name);
    if (t->init == NULL && t->dtype != GC_DTYPE_I32 && !(t->scale > 0.0 && isfinite(t->scale)))
        return gc_error_set(err, GC_EINVAL, "tensor '%s': scale must be finite and > 0",
                            t->name);
    return GC_OK;
}

/* Every tensor; at least one output and one checked tensor; *out_n the
 * output elements (the layer's out) and *nd the checked tensors. */
static int func_ok(const gc_func *f, int *out_n, int *nd, gc_error *err)
{
    if (f == NULL || f->forward == NULL || f->backward == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_func: NULL %s",
                            f == NULL ? "function" : "forward or backward");
    if (f->nt < 0 || f->nt > GC_FUNC_MAX_TENSORS)
        return gc_error_set(err, GC_EINVAL,
                            "gc_check_func: a declaration was refused (a bad or repeated name, "
                            "or more than %d tensors)", GC_FUNC_MAX_TENSORS);
    size_t outs = 0;
    *nd = 0;
    for (int i = 0; i < f->nt; i++) {
        int rc = tensor_ok(f, i, err);
        if (rc != GC_OK)
            return rc;
        *nd += differentiable(f->t[i].role);
        if (f->t[i].role == GC_ROLE_OUTPUT)
            outs += gc_func_numel(&f->t[i]);
    }
    if (outs == 0 || outs > (size_t)INT_MAX)
        return gc_error_set(err, GC_EINVAL, "gc_check_func: %s", outs == 0
                            ? "no OUTPUT tensor" : "too many output elements");
    if (*nd == 0 || *nd > GC_LAYER_MAX_PARAMS)
        return gc_error_set(err, GC_EINVAL, "gc_check_func: %d INPUT and PARAM tensors (1 to %d)",
                            *nd, GC_LAYER_MAX_PARAMS);
    *out_n = (int)outs;
    return GC_OK;
}

/* ---- the synthesized layer ---------------------------------------------- */

typedef struct fstate {
    const gc_func *f;
    gc_func_call c;
    void *keep[GC_FUNC_MAX_TENSORS];  /* CONST: its values, copied in before each forward */
    double *init[GC_FUNC_MAX_TENSORS]; /* INPUT, PARAM: starting values as doubles */
    int param[GC_FUNC_MAX_TENSORS];    /* the layer's parameter index of tensor i, or -1 */
} fstate;

/* The user's arrays at the layer's current values, then the user's forward.
 * A constant is copied in every time: a forward that wrote one would
 * otherwise change the function between evaluations. */
static void run_forward(fstate *s, const gc_layer *l)
{
    const gc_func *f = s->f;
    for (int i = 0; i < f->nt; i++) {
        size_t n = gc_func_numel(&f->t[i]);
        if (s->param[i] >= 0)
            gc_host_put(s->c.v[i], f->t[i].dtype, l->param[s->param[i]].value, n);
        else if (f->t[i].role == GC_ROLE_CONST)
            memcpy(s->c.v[i], s->keep[i], n * gc_host_size(f->t[i].dtype));
    }
    f->forward(&s->c);
}

/* Y = every output, in declared order (X is the host's dummy input). */
static void fn_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)X;
    fstate *s = l->priv;
    run_forward(s, l);
    size_t off = 0;
    for (int i = 0; i < s->f->nt; i++) {
        const gc_func_tensor *t = &s->f->t[i];
        if (t->role != GC_ROLE_OUTPUT)
            continue;
        gc_host_get(Y->data + off, s->c.v[i], t->dtype, gc_func_numel(t), 0);
        off += gc_func_numel(t);
    }
}

/* Forward at this point, dY into the outputs' gradients, the checked
 * tensors' gradients zeroed, the user's backward, its gradients added into
 * the layer's. */
static void fn_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                        const gc_mat *dY)
{
    (void)X;
    (void)Y;
    fstate *s = l->priv;
    const gc_func *f = s->f;
    run_forward(s, l);
    size_t off = 0;
    for (int i = 0; i < f->nt; i++) {
        size_t n = gc_func_numel(&f->t[i]);
        if (f->t[i].role == GC_ROLE_OUTPUT) {
            gc_host_put(s->c.d[i], f->t[i].dtype, dY->data + off, n);
            off += n;
        } else if (s->param[i] >= 0) {
            memset(s->c.d[i], 0, n * gc_host_size(f->t[i].dtype));
        }
    }
    f->backward(&s->c);
    for (int i = 0; i < f->nt; i++)
        if (s->param[i] >= 0)
            gc_host_get(l->param[s->param[i]].grad, s->c.d[i], f->t[i].dtype,
                        gc_func_numel(&f->t[i]), 1);
    if (dX != NULL)
        gc_mat_fill(dX, 0.0);
}

static const gc_layer_ops fn_ops = {.type = "function", .forward = fn_forward,
                                    .backward = fn_backward};

/* ---- state: buffers and drawn values ----------------------------------- */

static void free_state(fstate *s)
{
    for (int i = 0; i < GC_FUNC_MAX_TENSORS; i++) {
        free(s->c.v[i]);
        free(s->c.d[i]);
        free(s->keep[i]);
        free(s->init[i]);
    }
}

static int alloc_state(fstate *s)
{
    const gc_func *f = s->f;
    for (int i = 0, p = 0; i < f->nt; i++) {
        const gc_func_tensor *t = &f->t[i];
        size_t n = gc_func_numel(t), z = gc_host_size(t->dtype);
        s->param[i] = differentiable(t->role) ? p++ : -1;
        s->c.v[i] = calloc(n, z);
        if (s->c.v[i] == NULL)
            return GC_ENOMEM;
        if (t->role == GC_ROLE_OUTPUT || s->param[i] >= 0) {
            if ((s->c.d[i] = calloc(n, z)) == NULL)
                return GC_ENOMEM;
        }
        if (s->param[i] >= 0 && (s->init[i] = malloc(n * sizeof(double))) == NULL)
            return GC_ENOMEM;
        if (t->role == GC_ROLE_CONST && (s->keep[i] = malloc(n * z)) == NULL)
            return GC_ENOMEM;
    }
    return GC_OK;
}

/* U[-scale, scale), as the element type holds it. */
static double draw_real(gc_pcg32 *rng, double scale, gc_dtype d)
{
    double v = scale * (2.0 * gc_pcg32_uniform(rng) - 1.0);
    return d == GC_DTYPE_F32 ? (double)(float)v : v;
}

/* Values of tensor t into `dst` (doubles, n) and, for a constant, `keep`
 * (its own type): the given ones, or drawn. */
static void fill_tensor(const gc_func_tensor *t, double *dst, void *keep, gc_pcg32 *rng)
{
    size_t n = gc_func_numel(t), z = gc_host_size(t->dtype);
    if (t->init != NULL) {
        if (keep != NULL)
            memcpy(keep, t->init, n * z);
        else
            gc_host_get(dst, t->init, t->dtype, n, 0);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (keep != NULL && t->dtype == GC_DTYPE_I32)
            ((int *)keep)[k] = (int)gc_pcg32_bounded(rng, (uint32_t)t->high);
        else if (keep != NULL)
            gc_host_put((char *)keep + k * z, t->dtype,
                        &(double){draw_real(rng, t->scale, t->dtype)}, 1);
        else
            dst[k] = draw_real(rng, t->scale, t->dtype);
    }
}

/* Tensors in declared order, then R for the outputs in declared order. */
static void draw_all(fstate *s, double *R, uint64_t seed)
{
    const gc_func *f = s->f;
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, STREAM_FUNC_DATA);
    for (int i = 0; i < f->nt; i++)
        if (s->param[i] >= 0 || f->t[i].role == GC_ROLE_CONST)
            fill_tensor(&f->t[i], s->init[i], s->keep[i], &rng);
    size_t off = 0;
    for (int i = 0; i < f->nt; i++) {
        if (f->t[i].role != GC_ROLE_OUTPUT)
            continue;
        for (size_t k = 0; k < gc_func_numel(&f->t[i]); k++)
            R[off++] = draw_real(&rng, 1.0, f->t[i].dtype);
    }
}

/* ---- the check ---------------------------------------------------------- */

int gc_check_func(const gc_func *f, const gc_check_opts *opts, gc_report **out, gc_error *err)
{
    if (out == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_func: NULL out");
    *out = NULL;
    int nout = 0, nd = 0;
    int rc = func_ok(f, &nout, &nd, err);
    if (rc != GC_OK)
        return rc;
    fstate s;
    memset(&s, 0, sizeof s);
    s.f = f;
    s.c.ctx = f->ctx;
    s.c.f = f;
    double *R = malloc((size_t)nout * sizeof *R);
    rc = R == NULL ? GC_ENOMEM : alloc_state(&s);
    if (rc == GC_OK) {
        gc_check_opts o;
        gc_check_opts_init(&o);
        draw_all(&s, R, opts != NULL ? opts->seed : o.seed);
        host_tensor ht[GC_LAYER_MAX_PARAMS];
        gc_precision prec = GC_PRECISION_FLOAT64;
        for (int i = 0; i < f->nt; i++) {
            const gc_func_tensor *t = &f->t[i];
            if (t->dtype == GC_DTYPE_F32 && (s.param[i] >= 0 || t->role == GC_ROLE_OUTPUT))
                prec = GC_PRECISION_FLOAT32;
            if (s.param[i] < 0)
                continue;
            int cols = t->dim[t->ndim - 1];
            ht[s.param[i]] = (host_tensor){t->name, (int)(gc_func_numel(t) / (size_t)cols), cols,
                                           s.init[i]};
        }
        rc = gc_host_check(&fn_ops, &s, ht, nd, R, nout, prec, opts, out, err);
    } else {
        gc_error_set(err, rc, "gc_check_func: out of memory");
    }
    free(R);
    free_state(&s);
    return rc;
}
