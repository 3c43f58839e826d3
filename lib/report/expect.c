/*
 * expect.c -- another tool's gradients against gradcheck's backprop and
 * finite differences, element by element (the rules and tolerances are in
 * gradcheck/expect.h).  Returns data; the writers print it.
 */
#include "gradcheck/expect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* |p - q| / max(|p|, |q|), 0 when both are 0, NaN when either is. */
static double rel(double p, double q)
{
    double d = fabs(p - q), s = fmax(fabs(p), fabs(q));
    if (isnan(p) || isnan(q))
        return NAN;
    return s > 0.0 ? d / s : 0.0;
}

/* The check's band for t against n; at a kink, t between the one-sided
 * slopes.  Written so that NaN or Inf never agrees. */
static int tool_agrees(const gc_row *w, double t, double rtol, double atol)
{
    double d = fabs(t - w->numeric);
    if (!isfinite(t) || !isfinite(w->numeric))
        return 0;
    if (d <= atol || d <= rtol * fmax(fabs(t), fabs(w->numeric)))
        return 1;
    if (w->verdict == GC_KINK && !isnan(w->slope_lo) && !isnan(w->slope_hi))
        return t >= fmin(w->slope_lo, w->slope_hi) && t <= fmax(w->slope_lo, w->slope_hi);
    return 0;
}

/* The tool's value at (row, col) of a tensor of the report; the file's x is
 * B x in, the report's in x B. */
static double tool_at(const gc_expect_tensor *et, int transpose, int row, int col)
{
    if (transpose)
        return et->grad[(size_t)col * (size_t)et->cols + (size_t)row];
    return et->grad[(size_t)row * (size_t)et->cols + (size_t)col];
}

/* e's tensor `name`, which must have gradcheck's shape rows x cols (x: the
 * file holds it transposed, one row per example). */
static const gc_expect_tensor *find_shaped(const gc_expect *e, const char *name, int rows,
                                           int cols, gc_error *err)
{
    const gc_expect_tensor *et = gc_expect_find(e, name);
    if (et == NULL) {
        char have[256] = "";
        for (int i = 0; i < e->ntensors; i++) {
            size_t used = strlen(have);
            snprintf(have + used, sizeof have - used, "%s%s", i > 0 ? " " : "",
                     e->tensors[i].name);
        }
        gc_error_set(err, GC_EINVAL, "grad has no %s (the file has %s)", name, have);
        return NULL;
    }
    int x = strcmp(name, "x") == 0;
    int want_rows = x ? cols : rows, want_cols = x ? rows : cols;
    if (et->rows != want_rows || et->cols != want_cols) {
        gc_error_set(err, GC_ESHAPE, "grad.%s: expected %dx%d%s, got %dx%d", name, want_rows,
                     want_cols, x ? " (one row per example, as the network file's x)" : "",
                     et->rows, et->cols);
        return NULL;
    }
    return et;
}

int gc_expect_match_net(const gc_expect *e, const gc_net *net, gc_error *err)
{
    if (e == NULL || net == NULL)
        return gc_error_set(err, GC_EINVAL, "NULL argument");
    for (int i = 0; i < e->ntensors; i++) {
        const char *name = e->tensors[i].name;
        if (strcmp(name, "x") != 0 && gc_net_find_tensor(net, name, NULL) == NULL) {
            char list[256] = "";
            for (int t = 0; t < net->ntensors; t++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s ", net->tensors[t]->name);
            }
            return gc_error_set(err, GC_EINVAL, "grad.%s: no such tensor in the network (it "
                                "has %sx)", name, list);
        }
    }
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *ten = net->tensors[t];
        if (find_shaped(e, ten->name, ten->rows, ten->cols, err) == NULL)
            return err != NULL ? err->code : GC_EINVAL;
    }
    if (gc_expect_find(e, "x") != NULL && net->batch > 0 &&
        find_shaped(e, "x", gc_net_in(net), net->batch, err) == NULL)
        return err != NULL ? err->code : GC_ESHAPE;
    return GC_OK;
}

/* Every report tensor must be in e with its shape.  *map gets e's tensor
 * for each report tensor. */
static int match_tensors(const gc_expect *e, const gc_report *r,
                         const gc_expect_tensor **map, gc_error *err)
{
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        map[t] = find_shaped(e, tr->name, tr->rows, tr->cols, err);
        if (map[t] == NULL)
            return err != NULL ? err->code : GC_EINVAL;
    }
    return GC_OK;
}

/* The file's tensors that the report did not check. */
static void list_unchecked(const gc_expect *e, const gc_report *r, gc_expect_report *x)
{
    for (int i = 0; i < e->ntensors; i++) {
        int found = 0;
        for (int t = 0; t < r->ntensors && !found; t++)
            found = strcmp(r->tensors[t].name, e->tensors[i].name) == 0;
        if (!found)
            x->unchecked[x->nunchecked++] = e->tensors[i].name;
    }
}

/* NaN is the largest: a NaN row is the worst. */
static int worse(double p, double q)
{
    return isnan(p) ? !isnan(q) : (!isnan(q) && p > q);
}

static gc_expect_blame blame(int loss_ok, int tool_fail, int gc_fail)
{
    if (tool_fail == 0 && gc_fail == 0)
        return GC_BLAME_NONE;
    if (!loss_ok && tool_fail > 0)
        return GC_BLAME_EXPORT;
    if (gc_fail == 0)
        return GC_BLAME_TOOL;
    return tool_fail == 0 ? GC_BLAME_GRADCHECK : GC_BLAME_BOTH;
}

/* Fill the rows of tensor t and its summary. */
static void compare_tensor(const gc_report *r, int t, const gc_expect_tensor *et,
                           gc_expect_report *x)
{
    const gc_tensor_report *tr = &r->tensors[t];
    gc_expect_tensor_report *xt = &x->tensors[t];
    int transpose = strcmp(tr->name, "x") == 0;
    snprintf(xt->name, sizeof xt->name, "%s", tr->name);
    xt->rows = tr->rows;
    xt->cols = tr->cols;
    xt->first = tr->first;
    xt->count = tr->count;
    xt->worst_tn = tr->first;
    xt->max_rel_tn = xt->max_rel_ta = 0.0;
    for (size_t k = tr->first; k < tr->first + tr->count; k++) {
        const gc_row *w = &r->rows[k];
        gc_expect_row *xr = &x->rows[k];
        xr->tensor = t;
        xr->row = w->row;
        xr->col = w->col;
        xr->tool = tool_at(et, transpose, w->row, w->col);
        xr->analytic = w->analytic;
        xr->numeric = w->numeric;
        xr->rel_tn = rel(xr->tool, w->numeric);
        xr->rel_ta = rel(xr->tool, w->analytic);
        xr->tool_ok = tool_agrees(w, xr->tool, x->rtol, x->atol);
        xr->verdict = w->verdict;
        xt->tool_fail += !xr->tool_ok;
        xt->gc_fail += w->verdict == GC_FAIL;
        if (k == tr->first || worse(xr->rel_tn, x->rows[xt->worst_tn].rel_tn))
            xt->worst_tn = k;
        if (k == tr->first || worse(xr->rel_ta, xt->max_rel_ta))
            xt->max_rel_ta = xr->rel_ta;
    }
    if (tr->count > 0)
        xt->max_rel_tn = x->rows[xt->worst_tn].rel_tn;
    x->tool_fail += xt->tool_fail;
    x->gc_fail += xt->gc_fail;
}

int gc_expect_compare(const gc_expect *e, const gc_report *r, gc_expect_report **out,
                      gc_error *err)
{
    if (e == NULL || r == NULL || out == NULL)
        return gc_error_set(err, GC_EINVAL, "NULL argument");
    *out = NULL;
    if (r->partial)
        return gc_error_set(err, GC_EPARTIAL, "the report keeps only the rows that did not "
                            "pass (opts.drop_passes): every row is compared");
    const gc_expect_tensor **map = calloc((size_t)r->ntensors + 1, sizeof *map);
    gc_expect_report *x = calloc(1, sizeof *x);
    if (x != NULL) {
        x->tensors = calloc((size_t)r->ntensors + 1, sizeof *x->tensors);
        x->rows = calloc(r->nrows + 1, sizeof *x->rows);
        x->unchecked = calloc((size_t)e->ntensors + 1, sizeof *x->unchecked);
    }
    if (map == NULL || x == NULL || x->tensors == NULL || x->rows == NULL ||
        x->unchecked == NULL) {
        free(map);
        gc_expect_report_free(x);
        return gc_error_set(err, GC_ENOMEM, "out of memory");
    }
    int rc = match_tensors(e, r, map, err);
    if (rc != GC_OK) {
        free(map);
        gc_expect_report_free(x);
        return rc;
    }
    snprintf(x->tool, sizeof x->tool, "%s", e->tool);
    x->loss_tool = e->loss;
    x->loss_gc = r->loss;
    x->loss_rel = rel(e->loss, r->loss);
    x->loss_rtol = GC_EXPECT_LOSS_RTOL;
    x->loss_ok = isfinite(r->loss) && x->loss_rel <= x->loss_rtol;
    x->rtol = r->opts.rtol;
    x->atol = r->opts.atol;
    x->ntensors = r->ntensors;
    x->nrows = r->nrows;
    for (int t = 0; t < r->ntensors; t++)
        compare_tensor(r, t, map[t], x);
    for (int t = 0; t < r->ntensors; t++)
        x->tensors[t].blame = blame(x->loss_ok, x->tensors[t].tool_fail, x->tensors[t].gc_fail);
    list_unchecked(e, r, x);
    x->nnotes = e->nnotes;
    x->notes = (const char *const *)e->notes;
    free(map);
    *out = x;
    return GC_OK;
}

int gc_expect_failed(const gc_expect_report *x, const gc_report *r)
{
    if (x == NULL)
        return 1;
    return !x->loss_ok || x->tool_fail > 0 || x->gc_fail > 0 ||
           (r != NULL && gc_report_failed(r));
}

void gc_expect_report_free(gc_expect_report *x)
{
    if (x == NULL)
        return;
    free(x->tensors);
    free(x->rows);
    free(x->unchecked);
    free(x);
}

const char *gc_expect_blame_name(gc_expect_blame b)
{
    switch (b) {
    case GC_BLAME_NONE: return "none";
    case GC_BLAME_EXPORT: return "export";
    case GC_BLAME_TOOL: return "tool";
    case GC_BLAME_GRADCHECK: return "gradcheck";
    case GC_BLAME_BOTH: return "tool and gradcheck";
    }
    return "?";
}
