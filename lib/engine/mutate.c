/*
 * mutate.c -- mutation testing of the user's own layer: would this check,
 * at these shapes and tolerances, have caught a bug in this backward?
 *
 * The layer is wrapped in a layer of the same shape whose backward calls
 * the real one and then corrupts what it returned for one tensor (one
 * fault per run, <gradcheck/hygiene.h> lists the kinds).  Each run is the
 * plain element check of the wrapper; the fault is refuted when that check
 * fails.  The finite differences do not involve backward, so the runs
 * differ from the baseline check only in the corrupted analytic values.
 *
 * Faults are drawn from PCG32(seed, GC_STREAM_MUTATE): a tensor uniformly
 * among the checked ones, then a recipe uniformly, then its elements.
 * Element faults pick among the elements whose gradient is nonzero (scaling
 * or negating a zero changes nothing) and a swap pairs two different
 * values; a fault that would change no bit (wrong_example on a gradient
 * summed over the batch) is drawn again.  A tensor where no draw changes
 * anything (an all-zero gradient) gets a noop fault, which survives: a
 * check of an all-zero gradient sees no bug.
 */
#include "engine/hygiene.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scale faults' |δ|: 0.1, 0.01, ... while above 2 rtol, then 2 rtol, the
 * smallest fault the tolerance resolves with a margin for the numerical
 * derivative's own error ((1 + δ) a against a has rel_err δ / (1 + δ)). */
#define MAX_DELTAS 7
/* Draws of a fault for one tensor before it is recorded as a noop: every
 * recipe but wrong_example is a noop only on an all-zero (or, for a swap,
 * constant) gradient, so a few draws tell a zero tensor from bad luck. */
#define MAX_DRAWS 8

static int deltas(double rtol, double *d)
{
    int n = 0;
    for (double x = 0.1; x > 2.0 * rtol && n < MAX_DELTAS - 1; x /= 10.0)
        d[n++] = x;
    if (rtol > 0.0)
        d[n++] = 2.0 * rtol;
    return n;
}

const char *gc_fault_kind_name(gc_fault_kind k)
{
    static const char *const names[GC_FAULT_KINDS] = {"scale", "sign", "zero", "swap",
                                                      "wrong_example"};
    return (int)k >= 0 && k < GC_FAULT_KINDS ? names[k] : "?";
}

/* ---- the wrapper -------------------------------------------------------------- */

typedef struct wrap {
    gc_layer *inner;
    const gc_fault *f;
    int param;            /* the faulted parameter, or -1 for the input gradient x */
    int rows, cols;       /* its shape */
    const double *wrong;  /* wrong_example of a parameter: its gradient from rotated dY */
} wrap;

static void wrap_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const wrap *w = l->priv;
    w->inner->rng = l->rng;
    w->inner->ops->forward(w->inner, Y, X);
}

/* Column c of each row takes column c + 1's value (mod cols). */
static void rotate_columns(double *a, int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        double *row = a + (size_t)i * (size_t)cols, first = row[0];
        memmove(row, row + 1, (size_t)(cols - 1) * sizeof *row);
        row[cols - 1] = first;
    }
}

static void inject(const wrap *w, double *a)
{
    const gc_fault *f = w->f;
    size_t e = (size_t)f->row * (size_t)w->cols + (size_t)f->col;
    switch (f->kind) {
    case GC_FAULT_SCALE: a[e] *= 1.0 + f->delta; break;
    case GC_FAULT_SIGN: a[e] = -a[e]; break;
    case GC_FAULT_ZERO: a[e] = 0.0; break;
    case GC_FAULT_SWAP: {
        size_t e2 = (size_t)f->row2 * (size_t)w->cols + (size_t)f->col2;
        double t = a[e];
        a[e] = a[e2];
        a[e2] = t;
        break;
    }
    case GC_FAULT_WRONG_EXAMPLE:
        if (w->wrong != NULL)
            memcpy(a, w->wrong, (size_t)w->rows * (size_t)w->cols * sizeof *a);
        else
            rotate_columns(a, w->rows, w->cols);
        break;
    default: break;
    }
}

/* The element check zeroes the gradients before backward, so what a
 * gradient buffer holds afterwards is what this call returned. */
static void wrap_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                          const gc_mat *dY)
{
    const wrap *w = l->priv;
    w->inner->rng = l->rng;
    w->inner->ops->backward(w->inner, dX, X, Y, dY);
    double *a = w->param >= 0 ? w->inner->param[w->param].grad : dX != NULL ? dX->data : NULL;
    if (a != NULL)
        inject(w, a);
}

static int wrap_kink(const gc_layer *l, const gc_mat *Xlo, const gc_mat *Xhi)
{
    const wrap *w = l->priv;
    return w->inner->ops->kink(w->inner, Xlo, Xhi);
}

static const gc_layer_ops wrap_ops = {
    .type = "mutated", .forward = wrap_forward, .backward = wrap_backward};
static const gc_layer_ops wrap_kink_ops = {
    .type = "mutated", .forward = wrap_forward, .backward = wrap_backward, .kink = wrap_kink};

/* ---- drawing faults ------------------------------------------------------------ */

/* The tensor a fault goes into, with its baseline gradient. */
typedef struct site {
    int param;        /* parameter index, or -1 for x */
    int rows, cols;
    const double *a;  /* its gradient at the baseline call (rows x cols) */
    double *wrong;    /* scratch: a parameter's gradient from rotated dY */
} site;

/* Index of the k-th (from 0) element of a (n of them) with a[i] != v, or -1
 * when fewer; with k < 0 the count of such elements. */
static long nth_other(const double *a, size_t n, double v, long k)
{
    long seen = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != v && !(isnan(a[i]) && isnan(v))) {
            if (seen == k)
                return (long)i;
            seen++;
        }
    return k < 0 ? seen : -1;
}

static void draw_elements(gc_fault *f, const site *s, gc_pcg32 *rng)
{
    size_t n = (size_t)s->rows * (size_t)s->cols;
    long e;
    if (f->kind == GC_FAULT_SWAP) {
        size_t e1 = gc_pcg32_bounded(rng, (uint32_t)n);
        long m = nth_other(s->a, n, s->a[e1], -1);
        if (m == 0) {
            f->noop = 1;
            return;
        }
        e = nth_other(s->a, n, s->a[e1], (long)gc_pcg32_bounded(rng, (uint32_t)m));
        f->row = (int)(e1 / (size_t)s->cols);
        f->col = (int)(e1 % (size_t)s->cols);
        f->row2 = (int)((size_t)e / (size_t)s->cols);
        f->col2 = (int)((size_t)e % (size_t)s->cols);
        return;
    }
    long m = nth_other(s->a, n, 0.0, -1);
    if (m == 0) {
        f->noop = 1;
        return;
    }
    e = nth_other(s->a, n, 0.0, (long)gc_pcg32_bounded(rng, (uint32_t)m));
    f->row = (int)((size_t)e / (size_t)s->cols);
    f->col = (int)((size_t)e % (size_t)s->cols);
}

/* wrong_example: x's columns rotated, or the parameter's gradient from dY
 * with rotated columns (into s->wrong); noop when that changes nothing. */
static void draw_wrong_example(gc_fault *f, const site *s, gc_probe *p, gc_mat *Rrot)
{
    size_t n = (size_t)s->rows * (size_t)s->cols;
    if (s->param < 0) {
        int same = 1;
        for (int i = 0; i < s->rows && same; i++)
            for (int c = 0; c < s->cols && same; c++)
                same = s->a[(size_t)i * s->cols + c] ==
                       s->a[(size_t)i * s->cols + (size_t)(c + 1) % (size_t)s->cols];
        f->noop = same;
        return;
    }
    gc_probe_backward(p, Rrot, 0.0, 0);
    memcpy(s->wrong, p->l->param[s->param].grad, n * sizeof *s->wrong);
    f->noop = memcmp(s->wrong, s->a, n * sizeof *s->a) == 0;
}

static void draw(gc_fault *f, const site *s, const double *d, int nd, int batch, gc_probe *p,
                 gc_mat *Rrot, gc_pcg32 *rng)
{
    int nrecipes = nd + 3 + (batch >= 2);
    int k = (int)gc_pcg32_bounded(rng, (uint32_t)nrecipes);
    f->row = f->col = f->row2 = f->col2 = -1;
    f->delta = 0.0;
    f->kind = k < nd ? GC_FAULT_SCALE : (gc_fault_kind)(GC_FAULT_SIGN + (k - nd));
    if (f->kind == GC_FAULT_SCALE)
        f->delta = (gc_pcg32_next(rng) & 1u) ? d[k] : -d[k];
    if (f->kind == GC_FAULT_WRONG_EXAMPLE)
        draw_wrong_example(f, s, p, Rrot);
    else
        draw_elements(f, s, rng);
}

/* ---- the run -------------------------------------------------------------------- */

/* Site of report tensor t: "x" is the input gradient, else a parameter. */
static void find_site(site *s, const gc_report *r, int t, const gc_probe *p)
{
    const gc_layer *l = p->l;
    s->param = -1;
    s->rows = r->tensors[t].rows;
    s->cols = r->tensors[t].cols;
    s->a = p->dX0->data;
    size_t off = 0;
    for (int q = 0; q < l->nparams; q++) {
        if (strcmp(l->param[q].name, r->tensors[t].name) == 0) {
            s->param = q;
            s->a = p->g0 + off;
            return;
        }
        off += (size_t)l->param[q].rows * (size_t)l->param[q].cols;
    }
}

/* One run of the plain check with fault f injected: killed or not. */
static int run_fault(gc_layer *l, int batch, const gc_check_opts *plain, gc_fault *f,
                     const site *s)
{
    wrap w = {l, f, s->param, s->rows, s->cols, s->param >= 0 ? s->wrong : NULL};
    gc_layer wl = *l; /* same shape, same parameter tensors (shared buffers) */
    wl.ops = l->ops->kink != NULL ? &wrap_kink_ops : &wrap_ops;
    wl.priv = &w;
    gc_report *r = NULL;
    gc_pcg32 *rng = l->rng; /* the wrapper hands l the inner check's generator */
    int rc = gc_check_layer(&wl, batch, plain, &r, NULL);
    l->rng = rng;
    if (rc == GC_OK)
        f->killed = gc_report_failed(r);
    gc_report_free(r);
    return rc;
}

static void summarize(gc_mutation_report *m)
{
    for (int t = 0; t < m->ntensors; t++)
        m->tensors[t].min_delta = NAN;
    for (int k = 0; k < m->nfaults; k++) {
        const gc_fault *f = &m->faults[k];
        gc_mutation_tensor *mt = &m->tensors[f->tensor];
        mt->nfaults++;
        mt->nkilled += f->killed;
        m->nkilled += f->killed;
        if (f->killed && f->kind == GC_FAULT_SCALE && !(fabs(f->delta) >= mt->min_delta))
            mt->min_delta = fabs(f->delta);
    }
}

/* The baseline verdict of the element check alone (hygiene aside). */
static int baseline_failed(gc_report *r)
{
    gc_hygiene_report *h = r->hygiene;
    r->hygiene = NULL;
    int failed = gc_report_failed(r);
    r->hygiene = h;
    return failed;
}

static int inject_all(gc_mutation_report *m, gc_layer *l, int batch, const gc_check_opts *o,
                      const gc_report *r, gc_probe *p, double *wrong, gc_mat *Rrot)
{
    double d[MAX_DELTAS];
    int nd = deltas(o->rtol, d);
    gc_check_opts plain = gc_hygiene_plain_opts(o);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, o->seed, GC_STREAM_MUTATE);
    for (int k = 0; k < o->mutate; k++) {
        gc_fault *f = &m->faults[k];
        f->tensor = (int)gc_pcg32_bounded(&rng, (uint32_t)r->ntensors);
        site s;
        find_site(&s, r, f->tensor, p);
        s.wrong = wrong;
        /* a fault that changes no bit is no fault: draw another recipe */
        for (int tries = 0; tries < MAX_DRAWS; tries++) {
            f->noop = 0;
            draw(f, &s, d, nd, batch, p, Rrot, &rng);
            if (!f->noop)
                break;
        }
        m->nfaults++;
        int rc = f->noop ? GC_OK : run_fault(l, batch, &plain, f, &s);
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

int gc_mutation_run(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                    const gc_mat *R, gc_report *r)
{
    gc_mutation_report *m = calloc(1, sizeof *m);
    if (m == NULL)
        return GC_ENOMEM;
    m->requested = o->mutate;
    m->ntensors = r->ntensors;
    m->tensors = calloc((size_t)r->ntensors + 1, sizeof *m->tensors);
    m->faults = calloc((size_t)o->mutate + 1, sizeof *m->faults);
    if (m->tensors == NULL || m->faults == NULL) {
        free(m->tensors);
        free(m->faults);
        free(m);
        return GC_ENOMEM;
    }
    r->mutation = m;
    m->baseline_failed = baseline_failed(r);
    if (m->baseline_failed || r->ntensors == 0) {
        summarize(m);
        return GC_OK;
    }
    gc_probe p;
    gc_mat *Rrot = gc_mat_dup(R);
    double *wrong = NULL;
    int rc = GC_ENOMEM;
    if (Rrot != NULL && gc_probe_open(&p, l, X, R, o->seed) == GC_OK) {
        wrong = malloc((p.ng + 1) * sizeof *wrong);
        rotate_columns(Rrot->data, Rrot->rows, Rrot->cols);
        if (wrong != NULL)
            rc = inject_all(m, l, batch, o, r, &p, wrong, Rrot);
        /* leave the gradients as one backward call at the check's point */
        gc_probe_backward(&p, R, 0.0, 0);
        gc_probe_close(&p);
    }
    free(wrong);
    gc_mat_free(Rrot);
    summarize(m);
    return rc;
}
