/*
 * plan.c -- what a check covers: which targets (selection by name), which
 * of their elements (all, or a sample), where their rows go in the report,
 * the order the reference evaluates them in, and the snapshot that proves
 * every value is restored afterwards.
 */
#include "engine/plan.h"
#include "report/summary.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Selected when `names` is NULL (all) or lists it. */
static int selected(const char *const *names, const char *name)
{
    if (names == NULL)
        return 1;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

int gc_plan_names_known(const char *const *names, const gc_target *all, int nall,
                        gc_error *err)
{
    if (names == NULL)
        return GC_OK;
    for (size_t i = 0; names[i] != NULL; i++) {
        int found = 0;
        for (int t = 0; t < nall && !found; t++)
            found = strcmp(all[t].name, names[i]) == 0;
        if (!found)
            return gc_error_set(err, GC_EINVAL, "unknown tensor '%s'", names[i]);
    }
    return GC_OK;
}

int gc_plan_select(gc_target *all, int nall, const gc_check_opts *o, int want_x_default)
{
    int n = 0;
    for (int t = 0; t < nall; t++) {
        int is_x = strcmp(all[t].name, "x") == 0;
        int keep = is_x ? (want_x_default || (o->params != NULL && selected(o->params, "x")))
                        : selected(o->params, all[t].name);
        if (keep)
            all[n++] = all[t];
    }
    return n;
}

/* Rows wanted of a tensor of `size` elements: all, or opts->sample. */
static size_t wanted(size_t size, const gc_check_opts *o)
{
    return o->sample > 0 && (size_t)o->sample < size ? (size_t)o->sample : size;
}

size_t gc_plan_layout(gc_report *r, const gc_target *tg, int n, const gc_check_opts *o,
                      const int *screened)
{
    size_t total = 0;
    for (int t = 0; t < n; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        snprintf(tr->name, sizeof tr->name, "%s", tg[t].name);
        tr->rows = tg[t].rows;
        tr->cols = tg[t].cols;
        tr->first = total;
        tr->count = screened[t] ? 0 : wanted(gc_target_size(&tg[t]), o);
        total += tr->count;
    }
    return total;
}

/*
 * Knuth's selection sampling (TAOCP 2, Algorithm S): walk the indices in
 * order and take index i with probability (still needed)/(still left).  Every
 * subset of size k is equally likely, the result is sorted and has no
 * duplicates by construction.  The draw is an exact bounded integer, so no
 * rounding can bias it; beyond 32 bits it falls back to a 53-bit uniform.
 */
static void sample_indices(size_t *idx, size_t n, size_t k, gc_pcg32 *rng)
{
    size_t got = 0;
    for (size_t i = 0; i < n && got < k; i++) {
        size_t left = n - i, need = k - got;
        int take;
        if (left <= UINT32_MAX)
            take = gc_pcg32_bounded(rng, (uint32_t)left) < need;
        else
            take = gc_pcg32_uniform(rng) * (double)left < (double)need;
        if (take)
            idx[got++] = i;
    }
}

int gc_plan_elements(const gc_report *r, const gc_target *tg, const gc_check_opts *o,
                     const size_t *skip, size_t **elem)
{
    size_t maxsize = 1;
    int sampled = skip != NULL; /* a part starts a tensor anywhere */
    *elem = NULL;
    for (int t = 0; t < r->ntensors; t++) {
        size_t size = gc_target_size(&tg[t]);
        if (wanted(size, o) < size)
            sampled = 1;
        if (size > maxsize)
            maxsize = size;
    }
    if (!sampled)
        return GC_OK;
    size_t *idx = malloc(maxsize * sizeof *idx);
    size_t *el = malloc((r->nrows > 0 ? r->nrows : 1) * sizeof *el);
    if (idx == NULL || el == NULL) {
        free(idx);
        free(el);
        return GC_ENOMEM;
    }
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, o->seed, GC_STREAM_SAMPLE);
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        size_t size = gc_target_size(&tg[t]), want = wanted(size, o);
        if (want < size)
            sample_indices(idx, size, want, &rng);
        size_t from = skip != NULL ? skip[t] : 0;
        for (size_t k = 0; k < tr->count; k++)
            el[tr->first + k] = want < size ? idx[from + k] : from + k;
    }
    free(idx);
    *elem = el;
    return GC_OK;
}

/* Every byte zero, padding too (an object of static storage, C11 6.7.9). */
static const gc_row zero_row;

/* A located row: every byte zero (padding too: rows are compared and sent
 * as bytes) but its place and analytic value.  Copied from zero_row, which
 * compiles to a few vector moves, where a memset of the row becomes a
 * `rep stos` that costs tens of cycles a row to start. */
static inline void fill_row(gc_row *row, int t, size_t rw, size_t cl, double analytic)
{
    memcpy(row, &zero_row, sizeof *row);
    row->tensor = t;
    row->row = (int)rw;
    row->col = (int)cl;
    row->analytic = analytic;
}

void gc_plan_locate(gc_row *row, size_t k, const gc_report *r, const gc_target *tg,
                    const size_t *elem)
{
    int t = gc_tensor_of_row(r->tensors, r->ntensors, k);
    size_t el = gc_plan_element(elem, r->tensors[t].first, k);
    fill_row(row, t, el / (size_t)tg[t].cols, el % (size_t)tg[t].cols, tg[t].grad[el]);
}

size_t gc_plan_run_end(int *t, size_t k, size_t end, const gc_report *r)
{
    *t = gc_tensor_of_row(r->tensors, r->ntensors, k);
    const gc_tensor_report *tr = &r->tensors[*t];
    return end < tr->first + tr->count ? end : tr->first + tr->count;
}

size_t gc_plan_locate_run(gc_row *out, size_t k, size_t end, const gc_report *r,
                          const gc_target *tg, const size_t *elem)
{
    int t;
    end = gc_plan_run_end(&t, k, end, r);
    const size_t cols = (size_t)tg[t].cols;
    const double *grad = tg[t].grad;
    /* every element: row and column advance by one column at a time */
    size_t el = k - r->tensors[t].first, rw = el / cols, cl = el % cols;
    for (size_t q = k; q < end; q++) {
        if (elem != NULL) {
            el = elem[q];
            rw = el / cols;
            cl = el % cols;
        }
        fill_row(&out[q - k], t, rw, cl, grad[el]);
        if (elem == NULL) {
            el++;
            if (++cl == cols) {
                cl = 0;
                rw++;
            }
        }
    }
    return end;
}

static int by_layer_desc(const void *pa, const void *pb)
{
    const int *a = pa, *b = pb; /* pairs (layer, target index) */
    if (a[0] != b[0])
        return a[0] > b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : (a[1] > b[1] ? 1 : 0);
}

int gc_plan_order_by_layer(int *order, const gc_target *tg, int n)
{
    int *pairs = malloc((n > 0 ? (size_t)n : 1) * 2 * sizeof *pairs);
    if (pairs == NULL)
        return GC_ENOMEM;
    for (int t = 0; t < n; t++) {
        pairs[2 * t] = tg[t].layer;
        pairs[2 * t + 1] = t;
    }
    qsort(pairs, (size_t)n, 2 * sizeof *pairs, by_layer_desc);
    for (int k = 0; k < n; k++)
        order[k] = pairs[2 * k + 1];
    free(pairs);
    return GC_OK;
}

double *gc_values_snapshot(const gc_target *tg, int n)
{
    size_t total = 0;
    for (int t = 0; t < n; t++)
        total += gc_target_size(&tg[t]);
    double *s = malloc((total > 0 ? total : 1) * sizeof *s);
    if (s == NULL)
        return NULL;
    size_t off = 0;
    for (int t = 0; t < n; t++) {
        memcpy(s + off, tg[t].value, gc_target_size(&tg[t]) * sizeof *s);
        off += gc_target_size(&tg[t]);
    }
    return s;
}

int gc_values_restored(const gc_target *tg, int n, const double *snap)
{
    int ok = 1;
    size_t off = 0;
    for (int t = 0; t < n; t++) {
        size_t bytes = gc_target_size(&tg[t]) * sizeof *snap;
        if (memcmp(snap + off, tg[t].value, bytes) != 0) {
            ok = 0;
            memcpy(tg[t].value, snap + off, bytes);
        }
        off += gc_target_size(&tg[t]);
    }
    return ok;
}

double gc_chain_loss_scale(const gc_chain *ch, double L0)
{
    double S = fabs(L0);
    for (int k = 1; ch->dact != NULL && k <= ch->nlayers; k++) {
        const gc_mat *y = ch->act[k], *dy = ch->dact[k];
        size_t n = gc_mat_size(y);
        for (size_t e = 0; e < n; e++) {
            double term = fabs(y->data[e] * dy->data[e]);
            S += isnan(term) ? INFINITY : term;
        }
    }
    return isnan(S) ? INFINITY : S;
}

void gc_targets_grad_scale(gc_target *tg, int n, const gc_check_opts *o)
{
    for (int t = 0; t < n; t++) {
        double m = 0.0;
        tg[t].grad_scale = 0.0;
        if (o->precision != GC_PRECISION_FLOAT32)
            continue; /* only float32's band floor reads it: no pass over the gradient */
        for (size_t i = 0; i < gc_target_size(&tg[t]); i++) {
            double g = fabs(tg[t].grad[i]);
            if (!(g <= m))
                m = isnan(m) ? m : g;
        }
        tg[t].grad_scale = m;
    }
}
