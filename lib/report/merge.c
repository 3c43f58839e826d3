/*
 * merge.c -- the whole check from the reports of its parts.
 *
 * Part K of N holds one contiguous run of the whole check's rows, computed
 * exactly as the whole check computes them (lib/engine/shard.h).  So the
 * parts' rows, put end to end in part order, are the whole check's rows,
 * and its summaries are a function of them (gc_report_rebuild).  What
 * every part repeats -- the unperturbed and final passes, the screen and a
 * screened tensor's summary -- is taken once.  Parts that do not belong
 * together are refused rather than merged: a different network (hash, loss,
 * tensors), other options or seed, a part missing or given twice, or rows
 * that do not tile the whole.
 */
#include "gradcheck/report.h"
#include "report/evals.h"

#include <stdlib.h>
#include <string.h>

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* What a part shares with the first: GC_OK or GC_EINVAL with err set. */
static int same_check(const gc_report *p, const gc_report *q, gc_error *err)
{
    const char *opt = gc_check_opts_diff(&p->opts, &q->opts);
    if (opt != NULL)
        return gc_error_set(err, GC_EINVAL, "option %s differs from shard %d/%d's", opt,
                            q->opts.shard, q->opts.nshards);
    if (p->hash != q->hash || !same_bits(p->loss, q->loss) || p->ntensors != q->ntensors)
        return gc_error_set(err, GC_EINVAL,
                            "a different network than shard %d/%d's (hash %016llx, not %016llx)",
                            q->opts.shard, q->opts.nshards, (unsigned long long)p->hash,
                            (unsigned long long)q->hash);
    for (int t = 0; t < p->ntensors; t++) {
        const gc_tensor_report *a = &p->tensors[t], *b = &q->tensors[t];
        if (strcmp(a->name, b->name) != 0 || a->rows != b->rows || a->cols != b->cols ||
            a->screened != b->screened ||
            (a->screened && (!same_bits(a->max_rel, b->max_rel) ||
                             !same_bits(a->norm_ratio, b->norm_ratio))))
            return gc_error_set(err, GC_EINVAL, "tensor %s differs from shard %d/%d's", a->name,
                                q->opts.shard, q->opts.nshards);
    }
    if (p->shard_total != q->shard_total ||
        gc_evals_shared(gc_evals_of(p)) != gc_evals_shared(gc_evals_of(q)))
        return gc_error_set(err, GC_EINVAL, "a different check than shard %d/%d's (%zu rows)",
                            q->opts.shard, q->opts.nshards, q->shard_total);
    return GC_OK;
}

/* A check split `ways` ways, n parts given: name the first one missing
 * (or the first beyond `ways`). */
static int missing(const gc_report *const *parts, int n, int ways, int *bad, gc_error *err)
{
    for (int k = 1; k <= ways; k++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = parts[i] != NULL && parts[i]->opts.shard == k && parts[i]->opts.nshards == ways;
        if (!found) {
            *bad = -1;
            return gc_error_set(err, GC_EINVAL, "the check was split %d ways, %d part%s given: "
                                "shard %d/%d is missing", ways, n, n == 1 ? "" : "s", k, ways);
        }
    }
    return gc_error_set(err, GC_EINVAL, "shards of a check split %d ways and of one split %d ways",
                        ways, n);
}

/* parts sorted by shard into by[0 .. n): GC_OK, or GC_EINVAL with *bad. */
static int order_parts(const gc_report *const *parts, int n, const gc_report **by, int *bad,
                       gc_error *err)
{
    for (int i = 0; i < n; i++) {
        const gc_report *p = parts[i];
        *bad = i;
        if (p == NULL || p->opts.nshards < 1)
            return gc_error_set(err, GC_EINVAL, "not a shard of a split check");
        if (p->opts.nshards != n)
            return missing(parts, n, p->opts.nshards, bad, err);
        if (by[p->opts.shard - 1] != NULL)
            return gc_error_set(err, GC_EINVAL, "shard %d/%d given twice", p->opts.shard, n);
        by[p->opts.shard - 1] = p;
    }
    size_t next = 0;
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < n; i++)
            if (parts[i] == by[k])
                *bad = i;
        int rc = same_check(by[k], by[0], err);
        if (rc != GC_OK)
            return rc;
        if (by[k]->shard_first != next)
            return gc_error_set(err, GC_EINVAL,
                                "shard %d/%d starts at row %zu, the shards before it end at %zu",
                                k + 1, n, by[k]->shard_first, next);
        next += by[k]->nrows;
    }
    if (next != by[0]->shard_total) {
        *bad = -1;
        return gc_error_set(err, GC_EINVAL, "the shards hold %zu rows of %zu", next,
                            by[0]->shard_total);
    }
    *bad = -1;
    return GC_OK;
}

/* The whole report from parts already known to fit together. */
static gc_report *put_together(const gc_report **by, int n)
{
    const gc_report *p0 = by[0];
    gc_report *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->opts = p0->opts;
    r->opts.shard = r->opts.nshards = 0;
    r->loss = p0->loss;
    r->hash = p0->hash;
    r->ntensors = p0->ntensors;
    r->nrows = r->shard_total = p0->shard_total;
    r->tensors = calloc(r->ntensors > 0 ? (size_t)r->ntensors : 1, sizeof *r->tensors);
    r->rows = malloc((r->nrows > 0 ? r->nrows : 1) * sizeof *r->rows);
    if (r->tensors == NULL || r->rows == NULL) {
        gc_report_free(r);
        return NULL;
    }
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *a = &p0->tensors[t];
        gc_tensor_report *tr = &r->tensors[t];
        memcpy(tr->name, a->name, sizeof tr->name);
        tr->rows = a->rows;
        tr->cols = a->cols;
        tr->screened = a->screened;
        if (a->screened) { /* the screen's summary, the same in every part */
            tr->max_rel = a->max_rel;
            tr->median_rel = a->median_rel;
            tr->norm_ratio = a->norm_ratio;
        }
    }
    r->restored = 1;
    gc_evals whole = {0, 0, 0};
    for (int k = 0; k < n; k++) {
        if (by[k]->nrows > 0)
            memcpy(r->rows + by[k]->shard_first, by[k]->rows, by[k]->nrows * sizeof *r->rows);
        r->restored &= by[k]->restored != 0;
        gc_evals_add(&whole, gc_evals_of(by[k]));
    }
    r->nevals = gc_evals_whole(&whole, gc_evals_of(p0));
    r->nevals_rows = whole.rows;
    r->nevals_once = whole.once;
    return r;
}

int gc_report_merge(const gc_report *const *parts, int n, gc_report **out, int *bad,
                    gc_error *err)
{
    int bad_local;
    if (bad == NULL)
        bad = &bad_local;
    *bad = -1;
    if (out == NULL || parts == NULL || n < 1)
        return gc_error_set(err, GC_EINVAL, "gc_report_merge: %s",
                            n < 1 ? "no parts" : "NULL argument");
    *out = NULL;
    for (int k = 0; k < n; k++)
        if (parts[k] != NULL && parts[k]->partial) {
            *bad = k;
            return gc_error_set(err, GC_EPARTIAL, "gc_report_merge: part %d keeps only the "
                                "rows that did not pass", k + 1);
        }
    const gc_report **by = calloc((size_t)n, sizeof *by);
    if (by == NULL)
        return gc_error_set(err, GC_ENOMEM, "gc_report_merge: out of memory");
    int rc = order_parts(parts, n, by, bad, err);
    gc_report *r = NULL;
    if (rc == GC_OK) {
        r = put_together(by, n);
        rc = r == NULL ? GC_ENOMEM : gc_report_rebuild(r);
        if (rc == GC_EINVAL)
            gc_error_set(err, rc, "the shards' rows are not grouped by tensor");
        else if (rc != GC_OK)
            gc_error_set(err, rc, "gc_report_merge: out of memory");
    }
    free(by);
    if (rc != GC_OK) {
        gc_report_free(r);
        return rc;
    }
    *out = r;
    return GC_OK;
}
