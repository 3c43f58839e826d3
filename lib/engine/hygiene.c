/*
 * hygiene.c -- the layer check's hygiene checks: the layer called the ways
 * a network calls it (into dirty buffers, twice, without zeroing, at
 * another point, at another batch size), each compared with one plain
 * call.  What each check catches and why is in <gradcheck/hygiene.h>.
 *
 * The plain call ("baseline") is forward into a fresh Y and backward into
 * a zeroed dX with zeroed parameter gradients, as the element check makes
 * it.  A stochastic layer's generator is reseeded before every forward, as
 * in the element check, so that its draws are the same in every call.
 */
#include "engine/hygiene.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[GC_HYGIENE_COUNT] = {
    "overwrite", "reentrant", "accumulate", "second-point", "batch",
};

const char *gc_hygiene_name(int index)
{
    return index >= 0 && index < GC_HYGIENE_COUNT ? names[index] : NULL;
}

int gc_hygiene_from_name(const char *name, unsigned *bit)
{
    for (int i = 0; name != NULL && i < GC_HYGIENE_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            if (bit != NULL)
                *bit = 1u << i;
            return GC_OK;
        }
    return GC_EINVAL;
}

const char *gc_hygiene_status_name(gc_hygiene_status s)
{
    switch (s) {
    case GC_HYGIENE_PASS: return "pass";
    case GC_HYGIENE_FAIL: return "fail";
    case GC_HYGIENE_SKIPPED: return "skipped";
    default: return "?";
    }
}

void gc_replay_reseed(const gc_layer *l, uint64_t seed)
{
    if (l->rng != NULL)
        gc_pcg32_seed(l->rng, seed, GC_STREAM_STOCHASTIC);
}

gc_check_opts gc_hygiene_plain_opts(const gc_check_opts *o)
{
    gc_check_opts p = *o;
    p.no_hygiene = GC_HYGIENE_ALL;
    p.mutate = 0;
    p.drop_passes = 0; /* the steps' messages count every row */
    p.progress = NULL;
    p.progress_ctx = NULL;
    return p;
}

/* ---- the layer's calls ------------------------------------------------------ */

static void zero_grads(gc_layer *l)
{
    for (int t = 0; t < l->nparams; t++)
        memset(l->param[t].grad, 0,
               (size_t)l->param[t].rows * (size_t)l->param[t].cols * sizeof(double));
}

/* Copy every parameter gradient into g (to_layer 0) or back (1). */
static void grads(gc_layer *l, double *g, int to_layer)
{
    size_t off = 0;
    for (int t = 0; t < l->nparams; t++) {
        size_t n = (size_t)l->param[t].rows * (size_t)l->param[t].cols;
        if (to_layer)
            memcpy(l->param[t].grad, g + off, n * sizeof *g);
        else
            memcpy(g + off, l->param[t].grad, n * sizeof *g);
        off += n;
    }
}

/* "W[1][0]" for element k of the concatenated gradients. */
static void grad_name(const gc_layer *l, size_t k, char *buf, size_t size)
{
    for (int t = 0; t < l->nparams; t++) {
        size_t n = (size_t)l->param[t].rows * (size_t)l->param[t].cols;
        if (k < n) {
            snprintf(buf, size, "%s[%zu][%zu]", l->param[t].name, k / (size_t)l->param[t].cols,
                     k % (size_t)l->param[t].cols);
            return;
        }
        k -= n;
    }
    snprintf(buf, size, "?");
}

void gc_probe_forward(const gc_probe *p, gc_mat *Y)
{
    gc_replay_reseed(p->l, p->seed);
    p->l->ops->forward(p->l, Y, p->X);
}

void gc_probe_close(gc_probe *p)
{
    gc_mat_free(p->Y0);
    gc_mat_free(p->dX0);
    gc_mat_free(p->Y);
    gc_mat_free(p->dX);
    free(p->g0);
    free(p->g);
}

/* Allocate the buffers and make the baseline call. */
int gc_probe_open(gc_probe *p, gc_layer *l, const gc_mat *X, const gc_mat *R, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->l = l;
    p->X = X;
    p->R = R;
    p->seed = seed;
    for (int t = 0; t < l->nparams; t++)
        p->ng += (size_t)l->param[t].rows * (size_t)l->param[t].cols;
    p->Y0 = gc_mat_new(l->out, X->cols);
    p->Y = gc_mat_new(l->out, X->cols);
    p->dX0 = gc_mat_new(l->in, X->cols);
    p->dX = gc_mat_new(l->in, X->cols);
    p->g0 = calloc(p->ng + 1, sizeof *p->g0);
    p->g = calloc(p->ng + 1, sizeof *p->g);
    if (p->Y0 == NULL || p->Y == NULL || p->dX0 == NULL || p->dX == NULL || p->g0 == NULL ||
        p->g == NULL) {
        gc_probe_close(p);
        return GC_ENOMEM;
    }
    gc_probe_forward(p, p->Y0);
    zero_grads(l);
    l->ops->backward(l, p->dX0, X, p->Y0, R);
    grads(l, p->g0, 0);
    return GC_OK;
}

void gc_probe_backward(gc_probe *p, const gc_mat *dY, double fill, int keep_grads)
{
    gc_mat_fill(p->dX, fill);
    if (!keep_grads)
        zero_grads(p->l);
    p->l->ops->backward(p->l, p->dX, p->X, p->Y0, dY);
    grads(p->l, p->g, 0);
}

/* ---- the checks ------------------------------------------------------------ */

static void set(gc_hygiene_result *res, gc_hygiene_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void set(gc_hygiene_result *res, gc_hygiene_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->status = s;
    vsnprintf(res->detail, sizeof res->detail, fmt, ap);
    va_end(ap);
}

/* First element NaN in got but not in want, or -1. */
static long nan_left(const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(got[i]) && !isnan(want[i]))
            return (long)i;
    return -1;
}

static void check_overwrite(gc_probe *p, gc_hygiene_result *res)
{
    char at[64];
    gc_mat_fill(p->Y, NAN);
    gc_probe_forward(p, p->Y);
    long k = nan_left(p->Y->data, p->Y0->data, gc_mat_size(p->Y));
    if (k >= 0) {
        snprintf(at, sizeof at, "Y[%ld][%ld]", k / p->Y->cols, k % p->Y->cols);
        set(res, GC_HYGIENE_FAIL, "forward into a NaN-filled Y left %s NaN: it reads its "
            "output before writing it (Y += ?)", at);
        return;
    }
    gc_probe_backward(p, p->R, NAN, 0);
    k = nan_left(p->dX->data, p->dX0->data, gc_mat_size(p->dX));
    if (k >= 0) {
        snprintf(at, sizeof at, "dX[%ld][%ld]", k / p->dX->cols, k % p->dX->cols);
        set(res, GC_HYGIENE_FAIL, "backward into a NaN-filled dX left %s NaN (was %.6g into a "
            "zeroed dX): it reads dX before writing it (dX += ?)", at,
            p->dX0->data[k]);
        return;
    }
    k = nan_left(p->g, p->g0, p->ng);
    if (k >= 0) {
        grad_name(p->l, (size_t)k, at, sizeof at);
        set(res, GC_HYGIENE_FAIL, "backward into a NaN-filled dX made d%s NaN: the parameter "
            "gradient reads dX", at);
        return;
    }
    set(res, GC_HYGIENE_PASS, "forward into a NaN-filled Y, backward into a NaN-filled dX: "
        "every element written");
}

/* First element where a and b differ by more than tol (NaN-proof), or -1. */
static long differs(const double *a, const double *b, size_t n, double tol)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] == b[i] || (isnan(a[i]) && isnan(b[i])))
            continue;
        if (!(fabs(a[i] - b[i]) <= tol))
            return (long)i;
    }
    return -1;
}

/* Two calls in a row (not against the baseline: a state that alternates
 * between calls would then compare equal calls), a copy of the first in
 * a, b.  GC_OK or GC_ENOMEM. */
static int check_reentrant(gc_probe *p, double tol, gc_hygiene_result *res)
{
    size_t nx = gc_mat_size(p->dX);
    double *a = malloc((nx + p->ng + 1) * sizeof *a);
    if (a == NULL)
        return GC_ENOMEM;
    gc_probe_backward(p, p->R, 0.0, 0);
    memcpy(a, p->dX->data, nx * sizeof *a);
    memcpy(a + nx, p->g, p->ng * sizeof *a);
    gc_probe_backward(p, p->R, 0.0, 0);
    char at[64];
    double first = 0, second = 0;
    long k = differs(p->dX->data, a, nx, tol);
    if (k >= 0) {
        snprintf(at, sizeof at, "dX[%ld][%ld]", k / p->dX->cols, k % p->dX->cols);
        first = a[k];
        second = p->dX->data[k];
    } else if ((k = differs(p->g, a + nx, p->ng, tol)) >= 0) {
        at[0] = 'd';
        grad_name(p->l, (size_t)k, at + 1, sizeof at - 1);
        first = a[nx + (size_t)k];
        second = p->g[k];
    }
    free(a);
    if (k >= 0)
        set(res, GC_HYGIENE_FAIL, "two backward calls on the same inputs differ: %s %.17g "
            "then %.17g (nondet_tol %g)", at, first, second, tol);
    else
        set(res, GC_HYGIENE_PASS, "two backward calls on the same inputs: %s",
            tol > 0 ? "within nondet_tol" : "equal values");
    return GC_OK;
}

static void check_accumulate(gc_probe *p, const gc_check_opts *o, gc_hygiene_result *res)
{
    if (p->ng == 0) {
        set(res, GC_HYGIENE_SKIPPED, "no parameters");
        return;
    }
    gc_probe_backward(p, p->R, 0.0, 0);
    gc_probe_backward(p, p->R, 0.0, 1);
    for (size_t i = 0; i < p->ng; i++) {
        double want = 2.0 * p->g0[i];
        double band = fmax(o->atol, o->rtol * fabs(want));
        if (!(fabs(p->g[i] - want) <= band)) {
            char at[64];
            grad_name(p->l, i, at, sizeof at);
            set(res, GC_HYGIENE_FAIL, "a second backward call without zeroing left d%s = "
                "%.6g, expected %.6g (twice the first call's): parameter gradients must be "
                "added (+=), not assigned", at, p->g[i], want);
            return;
        }
    }
    set(res, GC_HYGIENE_PASS, "a second backward call without zeroing doubled every "
        "parameter gradient");
}

/* The worst failing row of r as "W[0][1] analytic=... numeric=... rel=...". */
static void worst_fail(const gc_report *r, char *buf, size_t size)
{
    const gc_row *w = NULL;
    for (size_t i = 0; i < r->nrows; i++) {
        const gc_row *row = &r->rows[i];
        if ((row->verdict == GC_FAIL || (row->verdict == GC_KINK && r->opts.strict_kinks)) &&
            (w == NULL || !(row->rel_err <= w->rel_err)))
            w = row;
    }
    if (w == NULL)
        snprintf(buf, size, "parameters not restored");
    else
        snprintf(buf, size, "%s[%d][%d] analytic=%.6g numeric=%.6g rel=%.2g",
                 r->tensors[w->tensor].name, w->row, w->col, w->analytic, w->numeric,
                 w->rel_err);
}

/* The plain check of l at `batch` into res: what names the situation. */
static int recheck(gc_layer *l, int batch, const gc_check_opts *o, const char *what,
                   gc_hygiene_result *res)
{
    gc_check_opts plain = gc_hygiene_plain_opts(o);
    gc_report *r = NULL;
    int rc = gc_check_layer(l, batch, &plain, &r, NULL);
    if (rc != GC_OK)
        return rc;
    if (gc_report_failed(r)) {
        char worst[160];
        worst_fail(r, worst, sizeof worst);
        set(res, GC_HYGIENE_FAIL, "%s: %d of %zu elements fail; worst %s", what, r->nfail,
            r->nrows, worst);
    } else {
        set(res, GC_HYGIENE_PASS, "%s: %zu elements pass", what, r->nrows);
    }
    gc_report_free(r);
    return GC_OK;
}

/* The check again at θ' = θ (1 + u/4), u ~ U[-1, 1): same signs, same
 * zeros; a cache computed at θ is now stale.  θ's bits are put back. */
static int check_second_point(gc_layer *l, int batch, const gc_check_opts *o,
                              double *save /* one double per parameter element */,
                              gc_hygiene_result *res)
{
    if (l->nparams == 0) {
        set(res, GC_HYGIENE_SKIPPED, "no parameters");
        return GC_OK;
    }
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, o->seed, GC_STREAM_HYGIENE);
    size_t off = 0;
    for (int t = 0; t < l->nparams; t++) {
        size_t n = (size_t)l->param[t].rows * (size_t)l->param[t].cols;
        double *v = l->param[t].value;
        memcpy(save + off, v, n * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            v[i] *= 1.0 + (2.0 * gc_pcg32_uniform(&rng) - 1.0) / 4.0;
            if (o->precision == GC_PRECISION_FLOAT32) /* a value float code can hold */
                v[i] = (double)(float)v[i];
        }
        off += n;
    }
    int rc = recheck(l, batch, o, "at a second parameter point θ(1 + U[-1/4, 1/4))", res);
    off = 0;
    for (int t = 0; t < l->nparams; t++) {
        size_t n = (size_t)l->param[t].rows * (size_t)l->param[t].cols;
        memcpy(l->param[t].value, save + off, n * sizeof(double));
        off += n;
    }
    return rc;
}

/* Batch 3 when the check ran at 1: odd and >= 2, so a bug that keeps one
 * example, pairs examples or halves the batch shows. */
static int check_batch(gc_layer *l, int batch, const gc_check_opts *o, gc_hygiene_result *res)
{
    if (batch >= 2) {
        set(res, GC_HYGIENE_PASS, "covered: the check itself ran at batch %d", batch);
        return GC_OK;
    }
    return recheck(l, 3, o, "at batch 3", res);
}

int gc_hygiene_run(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                   const gc_mat *R, gc_report *r)
{
    gc_hygiene_report *h = calloc(1, sizeof *h);
    if (h == NULL)
        return GC_ENOMEM;
    gc_probe p;
    if (gc_probe_open(&p, l, X, R, o->seed) != GC_OK) {
        free(h);
        return GC_ENOMEM;
    }
    for (int i = 0; i < GC_HYGIENE_COUNT; i++)
        set(&h->check[i], GC_HYGIENE_SKIPPED, "off (no_hygiene)");
    unsigned on = ~o->no_hygiene;
    if (on & GC_HYGIENE_OVERWRITE)
        check_overwrite(&p, &h->check[0]);
    int rc = GC_OK;
    if (on & GC_HYGIENE_REENTRANT)
        rc = check_reentrant(&p, o->nondet_tol, &h->check[1]);
    if (on & GC_HYGIENE_ACCUMULATE)
        check_accumulate(&p, o, &h->check[2]);
    if (rc == GC_OK && (on & GC_HYGIENE_SECOND_POINT))
        rc = check_second_point(l, batch, o, p.g, &h->check[3]);
    if (rc == GC_OK && (on & GC_HYGIENE_BATCH))
        rc = check_batch(l, batch, o, &h->check[4]);
    grads(l, p.g0, 1);
    gc_probe_close(&p);
    if (rc != GC_OK) {
        free(h);
        return rc;
    }
    for (int i = 0; i < GC_HYGIENE_COUNT; i++)
        h->nfail += h->check[i].status == GC_HYGIENE_FAIL;
    r->hygiene = h;
    return GC_OK;
}

int gc_beyond_layer(gc_layer *l, int batch, const gc_check_opts *o, const gc_mat *X,
                    const gc_mat *R, gc_report **out, gc_error *err)
{
    int rc = GC_OK;
    if ((o->no_hygiene & GC_HYGIENE_ALL) != GC_HYGIENE_ALL)
        rc = gc_hygiene_run(l, batch, o, X, R, *out);
    if (rc == GC_OK && o->mutate > 0)
        rc = gc_mutation_run(l, batch, o, X, R, *out);
    if (rc != GC_OK) {
        gc_report_free(*out);
        *out = NULL;
        gc_error_set(err, rc, "gc_check_layer: out of memory");
    }
    return rc;
}
