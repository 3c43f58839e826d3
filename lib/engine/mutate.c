/*
 * mutate.c -- mutation testing of the user's own layer: would this check,
 * at these shapes and tolerances, have caught a bug in this backward?
 *
 * The layer is wrapped in a layer of the same shape whose backward calls
 * the real one and then corrupts what it returned for one tensor (one
 * fault per run, <gradcheck/hygiene.h> lists the kinds).  Each run is the
 * plain element check of the wrapper; the fault is refuted when that check
 * fails.  In a network the layer holding the faulted tensor (layer 0 for
 * the input gradient x) is swapped for its wrapper for the run.  The finite differences do not involve backward, so the runs
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

/* A network's fast engine runs forward from several threads: the generator
 * is written only when it changes (never, in a network: NULL). */
static void wrap_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    const wrap *w = l->priv;
    if (w->inner->rng != l->rng)
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
    if (w->inner->rng != l->rng)
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
    int layer;        /* the layer whose backward returns it (a network's index; 0) */
    int param;        /* parameter index in that layer, or -1 for x */
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
 * with rotated columns (into s->wrong, a layer check's only: p NULL for a
 * network, whose inner dY the check does not hold); noop when that
 * changes nothing or cannot be made. */
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
    if (p == NULL) {
        f->noop = 1;
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

/* What is mutated: one layer under the layer check (p its baseline call),
 * or a network under gc_check_net (net; its gradients after the check are
 * the baseline). */
typedef struct subject {
    gc_layer *l;   /* the layer check's layer, else NULL */
    int batch;
    gc_probe *p;
    gc_mat *Rrot;  /* the layer check's dY with its columns rotated by one */
    double *wrong; /* scratch for wrong_example, one double per parameter element */
    gc_net *net;   /* the network, else NULL */
    double *base;  /* a network's gradients after its check, tensor after tensor,
                    * then dL/dX: the faulty runs overwrite the network's own */
} subject;

/* Site of report tensor t in a layer: "x" is the input gradient. */
static void layer_site(site *s, const char *name, const gc_probe *p)
{
    const gc_layer *l = p->l;
    s->layer = 0;
    s->param = -1;
    s->a = p->dX0->data;
    size_t off = 0;
    for (int q = 0; q < l->nparams; q++) {
        if (strcmp(l->param[q].name, name) == 0) {
            s->param = q;
            s->a = p->g0 + off;
            return;
        }
        off += (size_t)l->param[q].rows * (size_t)l->param[q].cols;
    }
}

/* Site of report tensor t in a network: "x" is dL/dX of layer 0. */
static void net_site(site *s, const char *name, const gc_net *net, const double *base)
{
    s->layer = 0;
    s->param = -1;
    size_t off = 0;
    for (int i = 0; i < net->ntensors; i++) {
        if (strcmp(net->tensors[i]->name, name) == 0) {
            const gc_layer *l = net->layers[net->tensor_layer[i]];
            s->layer = net->tensor_layer[i];
            for (int q = 0; q < l->nparams; q++)
                if (&l->param[q] == net->tensors[i])
                    s->param = q;
            s->a = base + off;
            return;
        }
        off += (size_t)net->tensors[i]->rows * (size_t)net->tensors[i]->cols;
    }
    s->a = base + off;
}

/* The snapshot of subject.base, or NULL (no memory). */
static double *net_base(const gc_net *net)
{
    size_t n = gc_mat_size(net->dact[0]), off = 0;
    for (int i = 0; i < net->ntensors; i++)
        n += (size_t)net->tensors[i]->rows * (size_t)net->tensors[i]->cols;
    double *b = malloc(n * sizeof *b);
    for (int i = 0; b != NULL && i < net->ntensors; i++) {
        size_t k = (size_t)net->tensors[i]->rows * (size_t)net->tensors[i]->cols;
        memcpy(b + off, net->tensors[i]->grad, k * sizeof *b);
        off += k;
    }
    if (b != NULL)
        memcpy(b + off, net->dact[0]->data, gc_mat_size(net->dact[0]) * sizeof *b);
    return b;
}

static void find_site(site *s, const gc_report *r, int t, const subject *sub)
{
    s->rows = r->tensors[t].rows;
    s->cols = r->tensors[t].cols;
    s->wrong = sub->wrong;
    if (sub->net != NULL)
        net_site(s, r->tensors[t].name, sub->net, sub->base);
    else
        layer_site(s, r->tensors[t].name, sub->p);
}

/* One run of the plain check with fault f injected into the backward of
 * the site's layer, wrapped: killed or not. */
static int run_fault(const subject *sub, const gc_check_opts *plain, gc_fault *f, const site *s)
{
    gc_layer *l = sub->net != NULL ? sub->net->layers[s->layer] : sub->l;
    wrap w = {l, f, s->param, s->rows, s->cols, s->param >= 0 ? s->wrong : NULL};
    gc_layer wl = *l; /* same shape, same parameter tensors (shared buffers) */
    wl.ops = l->ops->kink != NULL ? &wrap_kink_ops : &wrap_ops;
    wl.priv = &w;
    /* the workspace and the shared object stay l's: l's forward and backward
     * use l->work, which its owner reserved; a copy of the pointer would let
     * a reserve of the wrapper free it */
    wl.work = NULL;
    wl.work_size = 0;
    wl.dl = NULL;
    gc_report *r = NULL;
    gc_pcg32 *rng = l->rng; /* the wrapper hands l the inner check's generator */
    int rc;
    if (sub->net != NULL) {
        sub->net->layers[s->layer] = &wl;
        rc = gc_check_net(sub->net, plain, &r, NULL);
        sub->net->layers[s->layer] = l;
    } else {
        rc = gc_check_layer(&wl, sub->batch, plain, &r, NULL);
    }
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

static int inject_all(gc_mutation_report *m, const subject *sub, const gc_check_opts *o,
                      const gc_report *r)
{
    double d[MAX_DELTAS];
    int nd = deltas(o->rtol, d);
    gc_check_opts plain = gc_hygiene_plain_opts(o);
    int batch = sub->net != NULL ? sub->net->batch : sub->batch;
    /* The fast engine knows a network's tensors by their place in its
     * layers, which the wrapper is not; the reference gives the same
     * verdicts (the engines' contract, asserted by the parallel suite). */
    plain.engine = GC_ENGINE_REFERENCE;
    plain.screen = 0;
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, o->seed, GC_STREAM_MUTATE);
    for (int k = 0; k < o->mutate; k++) {
        gc_fault *f = &m->faults[k];
        f->tensor = (int)gc_pcg32_bounded(&rng, (uint32_t)r->ntensors);
        site s;
        find_site(&s, r, f->tensor, sub);
        /* a fault that changes no bit is no fault: draw another recipe */
        for (int tries = 0; tries < MAX_DRAWS; tries++) {
            f->noop = 0;
            draw(f, &s, d, nd, batch, sub->p, sub->Rrot, &rng);
            if (!f->noop)
                break;
        }
        m->nfaults++;
        int rc = f->noop ? GC_OK : run_fault(sub, &plain, f, &s);
        if (rc != GC_OK)
            return rc;
    }
    return GC_OK;
}

/* r->mutation, allocated, with the baseline's verdict; GC_OK or GC_ENOMEM. */
static int open_report(gc_report *r, const gc_check_opts *o)
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
    return GC_OK;
}

int gc_mutation_run(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                    const gc_mat *R, gc_report *r)
{
    int rc = open_report(r, o);
    gc_mutation_report *m = r->mutation;
    if (rc != GC_OK || m->baseline_failed || r->ntensors == 0) {
        if (m != NULL)
            summarize(m);
        return rc;
    }
    gc_probe p;
    subject sub = {l, batch, &p, gc_mat_dup(R), NULL, NULL, NULL};
    rc = GC_ENOMEM;
    if (sub.Rrot != NULL && gc_probe_open(&p, l, X, R, o->seed) == GC_OK) {
        sub.wrong = malloc((p.ng + 1) * sizeof *sub.wrong);
        rotate_columns(sub.Rrot->data, sub.Rrot->rows, sub.Rrot->cols);
        if (sub.wrong != NULL)
            rc = inject_all(m, &sub, o, r);
        /* leave the gradients as one backward call at the check's point */
        gc_probe_backward(&p, R, 0.0, 0);
        gc_probe_close(&p);
    }
    free(sub.wrong);
    gc_mat_free(sub.Rrot);
    summarize(m);
    return rc;
}

int gc_mutation_run_net(gc_net *net, const gc_check_opts *o, gc_report *r)
{
    int rc = open_report(r, o);
    gc_mutation_report *m = r->mutation;
    if (rc == GC_OK && !m->baseline_failed && r->ntensors > 0) {
        subject sub = {NULL, net->batch, NULL, NULL, NULL, net, net_base(net)};
        rc = sub.base != NULL ? inject_all(m, &sub, o, r) : GC_ENOMEM;
        free(sub.base);
        /* leave the cache and gradients as gc_check_net promises: backprop's */
        gc_net_forward(net);
        gc_net_backward(net);
    }
    if (m != NULL)
        summarize(m);
    return rc;
}
