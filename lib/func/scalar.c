/*
 * scalar.c -- the scalar check: f(θ) -> L and g(θ) -> ∇L on named segments
 * of a flat array (<gradcheck/func.h>).
 *
 * The segments become the parameters of one synthesized 1 -> 1 layer whose
 * output is f (func/host.h, with R = 1, so the engine's L is f itself).
 * θ is a private copy of the caller's array: the layer writes its segments
 * (rounded to float for GC_DTYPE_F32) before every call of f or g.
 */
#include "gradcheck/func.h"
#include "func/host.h"

#include <stdlib.h>
#include <string.h>

typedef struct sstate {
    const gc_scalar *s;
    const gc_segment *seg; /* nseg */
    int nseg;
    void *theta;           /* n elements of s->dtype: the point of the call */
    void *grad;            /* n elements of s->dtype */
} sstate;

/* θ's segments at the layer's current values. */
static void load(sstate *st, const gc_layer *l)
{
    size_t z = gc_host_size(st->s->dtype);
    for (int k = 0; k < st->nseg; k++)
        gc_host_put((char *)st->theta + st->seg[k].offset * z, st->s->dtype, l->param[k].value,
                    (size_t)st->seg[k].rows * (size_t)st->seg[k].cols);
}

static void sc_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)X;
    sstate *st = l->priv;
    load(st, l);
    Y->data[0] = st->s->f(st->s->ctx, st->theta);
}

static void sc_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                        const gc_mat *dY)
{
    (void)X;
    (void)Y;
    sstate *st = l->priv;
    size_t z = gc_host_size(st->s->dtype);
    load(st, l);
    memset(st->grad, 0, st->s->n * z);
    st->s->g(st->s->ctx, st->grad, st->theta);
    for (int k = 0; k < st->nseg; k++) {
        size_t n = (size_t)st->seg[k].rows * (size_t)st->seg[k].cols;
        double *g = l->param[k].grad;
        gc_host_get(g, (char *)st->grad + st->seg[k].offset * z, st->s->dtype, n, 1);
        for (size_t i = 0; i < n; i++)
            g[i] *= dY->data[0];
    }
    if (dX != NULL)
        gc_mat_fill(dX, 0.0);
}

static const gc_layer_ops sc_ops = {.type = "scalar", .forward = sc_forward,
                                    .backward = sc_backward};

/* Segments inside θ, disjoint, with names the report can carry. */
static int segments_ok(const gc_scalar *s, const gc_segment *seg, int nseg, gc_error *err)
{
    if (nseg < 1 || nseg > GC_LAYER_MAX_PARAMS)
        return gc_error_set(err, GC_EINVAL, "gc_check_scalar: %d segments (1 to %d)", nseg,
                            GC_LAYER_MAX_PARAMS);
    for (int k = 0; k < nseg; k++) {
        const gc_segment *a = &seg[k];
        if (!gc_host_name_ok(a->name))
            return gc_error_set(err, GC_EINVAL, "segment %d: a name of 1 to %d characters",
                                k, GC_NAME_MAX - 1);
        if (a->rows < 1 || a->cols < 1 || a->offset >= s->n ||
            (size_t)a->rows > (s->n - a->offset) / (size_t)a->cols)
            return gc_error_set(err, GC_EINVAL, "segment '%s': %d x %d at %zu does not fit in %zu",
                                a->name, a->rows, a->cols, a->offset, s->n);
        for (int j = 0; j < k; j++) {
            const gc_segment *b = &seg[j];
            size_t ae = a->offset + (size_t)a->rows * (size_t)a->cols;
            size_t be = b->offset + (size_t)b->rows * (size_t)b->cols;
            if (strcmp(a->name, b->name) == 0 || (a->offset < be && b->offset < ae))
                return gc_error_set(err, GC_EINVAL, "segment '%s': %s segment '%s'", a->name,
                                    strcmp(a->name, b->name) == 0 ? "same name as" : "overlaps",
                                    b->name);
        }
    }
    return GC_OK;
}

int gc_check_scalar(const gc_scalar *s, const void *theta, const gc_check_opts *opts,
                    gc_report **out, gc_error *err)
{
    if (out == NULL || s == NULL || theta == NULL || s->f == NULL || s->g == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_check_scalar: NULL %s",
                            out == NULL ? "out" : s == NULL ? "function" : theta == NULL ? "theta"
                                                                                 : "f or g");
    *out = NULL;
    if ((s->dtype != GC_DTYPE_F32 && s->dtype != GC_DTYPE_F64) || s->n < 1 || s->n > (1u << 30))
        return gc_error_set(err, GC_EINVAL, "gc_check_scalar: dtype F32 or F64 and n in 1..2^30");
    gc_segment whole = {"theta", 0, 1, (int)s->n};
    sstate st = {s, s->seg != NULL ? s->seg : &whole, s->seg != NULL ? s->nseg : 1, NULL, NULL};
    int rc = segments_ok(s, st.seg, st.nseg, err);
    if (rc != GC_OK)
        return rc;
    size_t z = gc_host_size(s->dtype);
    host_tensor ht[GC_LAYER_MAX_PARAMS];
    double *init = NULL;
    size_t total = 0;
    for (int k = 0; k < st.nseg; k++)
        total += (size_t)st.seg[k].rows * (size_t)st.seg[k].cols;
    st.theta = malloc(s->n * z);
    st.grad = malloc(s->n * z);
    init = malloc(total * sizeof *init);
    rc = GC_ENOMEM;
    if (st.theta != NULL && st.grad != NULL && init != NULL) {
        memcpy(st.theta, theta, s->n * z);
        for (int k = 0, off = 0; k < st.nseg; k++) {
            const gc_segment *a = &st.seg[k];
            gc_host_get(init + off, (const char *)theta + a->offset * z, s->dtype,
                        (size_t)a->rows * (size_t)a->cols, 0);
            ht[k] = (host_tensor){a->name, a->rows, a->cols, init + off};
            off += a->rows * a->cols;
        }
        double one = 1.0;
        gc_precision prec = s->dtype == GC_DTYPE_F32 ? GC_PRECISION_FLOAT32 : GC_PRECISION_FLOAT64;
        rc = gc_host_check(&sc_ops, &st, ht, st.nseg, &one, 1, prec, opts, out, err);
    } else {
        gc_error_set(err, rc, "gc_check_scalar: out of memory");
    }
    free(st.theta);
    free(st.grad);
    free(init);
    return rc;
}
