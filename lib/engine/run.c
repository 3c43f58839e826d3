/*
 * run.c -- one check, as a short sequence of named steps: prepare the chain
 * (the unperturbed pass and backprop's gradients), select the targets,
 * screen them, lay out their rows, draw the elements, compute the rows,
 * summarise, and verify that every value is back to its bits.
 *
 * The rows come from the sparse-change evaluator on threads when the
 * engine is fast and the chain is a network; otherwise from the reference
 * evaluator, tensors from the last layer to the first (rows are stored in
 * report order whatever the evaluation order): after perturbing layer k the
 * activations act[0..k] are still those of the unperturbed pass, so an
 * earlier tensor can be perturbed next without any restoring pass.
 */
#include "engine/conditioning.h"
#include "engine/run.h"
#include "engine/row.h"
#include "engine/screen.h"
#include "engine/shard.h"
#include "core/threads.h"
#include "report/partial.h"
#include "report/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A new report for n tensors: opts as run (engine and screen what will run;
 * no caller pointers), the loss, no rows yet. */
static gc_report *report_new(const gc_run *run, int sparse)
{
    gc_report *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->opts = run->o;
    r->opts.params = NULL;
    r->opts.progress = NULL;
    r->opts.progress_ctx = NULL;
    r->opts.engine = sparse ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
    r->opts.screen = sparse && run->o.screen;
    r->loss = run->L0;
    r->restored = 1;
    r->ntensors = run->n;
    r->tensors = calloc(run->n > 0 ? (size_t)run->n : 1, sizeof *r->tensors);
    if (r->tensors == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

/*
 * The screen of every target: screened[t] = 1 for those that pass, whose
 * summary it fills (max_rel = median_rel = the direction's rel_err,
 * norm_ratio its |a - n| / (|a| + |n|)).  The step is the method's eps,
 * except richardson's large one, which suits extrapolation and not a plain
 * central difference along a direction of norm ~sqrt(N).
 */
static int screen_step(gc_run *run)
{
    size_t maxsize = 1;
    for (int t = 0; t < run->n; t++)
        if (gc_target_size(&run->tg[t]) > maxsize)
            maxsize = gc_target_size(&run->tg[t]);
    double *d = malloc(maxsize * sizeof *d);
    gc_eval *ev = gc_eval_sparse_new(run->ch->net, 1);
    if (d == NULL || ev == NULL) {
        free(d);
        gc_eval_free(ev);
        return GC_ENOMEM;
    }
    double eps = run->o.method == GC_METHOD_RICHARDSON ? GC_DEFAULT_EPS : run->o.eps;
    for (int t = 0; t < run->n; t++) {
        gc_screen sc;
        run->screened[t] = gc_screen_tensor(ev, &run->tg[t], &run->o, eps, d, &sc);
        if (run->screened[t]) {
            gc_tensor_report *tr = &run->r->tensors[t];
            tr->screened = 1;
            tr->max_rel = tr->median_rel = sc.rel_err;
            double den = fabs(sc.analytic) + fabs(sc.numeric);
            tr->norm_ratio = den == 0.0 ? 0.0 : sc.abs_err / den;
        }
    }
    run->nevals += ev->nevals;
    free(d);
    gc_eval_free(ev);
    return GC_OK;
}

/* Rows for every tensor (a split check's part: its share of them) and the
 * arrays sized by them. */
static int layout_step(gc_run *run, int sparse)
{
    gc_report *r = run->r;
    r->nrows = r->shard_total = gc_plan_layout(r, run->tg, run->n, &run->o, run->screened);
    if (run->o.nshards > 0) {
        run->skip = calloc(run->n > 0 ? (size_t)run->n : 1, sizeof *run->skip);
        if (run->skip == NULL ||
            gc_shard_narrow(r, run->tg, run->ch, sparse, &run->o, run->skip) != GC_OK)
            return GC_ENOMEM;
    }
    run->nall = r->nrows;
    /* not zeroed here: gc_plan_locate writes every byte of a row, in the
     * pass that computes it, not in a pass of its own over all of them;
     * not at all for a partial check on threads, which holds only some */
    if (!(sparse && run->o.drop_passes)) {
        r->rows = malloc((r->nrows > 0 ? r->nrows : 1) * sizeof *r->rows);
        if (r->rows == NULL)
            return GC_ENOMEM;
    }
    return gc_plan_elements(r, run->tg, &run->o, run->skip, &run->elem);
}

/* Every row with the reference evaluator, last-read layer first. */
static int rows_in_layer_order(gc_run *run)
{
    gc_report *r = run->r;
    int *order = malloc((run->n > 0 ? (size_t)run->n : 1) * sizeof *order);
    if (order == NULL || gc_plan_order_by_layer(order, run->tg, run->n) != GC_OK) {
        free(order);
        return GC_ENOMEM;
    }
    for (size_t k = 0; k < r->nrows; k++)
        gc_plan_locate(&r->rows[k], k, r, run->tg, run->elem);
    const gc_fd_ctx c = {run->reference, &run->o, run->L0, run->scale, 0.0};
    size_t done = 0;
    for (int q = 0; q < run->n; q++) {
        const gc_tensor_report *tr = &r->tensors[order[q]];
        for (size_t k = 0; k < tr->count; k++) {
            gc_row_decide(&c, run->tg, &r->rows[tr->first + k], NULL, 0);
            if (run->o.progress != NULL)
                run->o.progress(run->o.progress_ctx, ++done, r->nrows);
        }
    }
    free(order);
    return GC_OK;
}

/* The report of targets tg[0..n) of run->ch; the chain is prepared. */
static int run_steps(gc_run *run)
{
    const int sparse = run->o.engine == GC_ENGINE_FAST && run->ch->net != NULL;
    run->r = report_new(run, sparse);
    run->screened = calloc(run->n > 0 ? (size_t)run->n : 1, sizeof *run->screened);
    if (run->r == NULL || run->screened == NULL)
        return GC_ENOMEM;
    int rc = run->r->opts.screen ? screen_step(run) : GC_OK;
    if (rc == GC_OK)
        rc = layout_step(run, sparse);
    /* what the parts of a split check share (a whole check has no parts
     * to compare, and spends no pass over every value and gradient) */
    if (run->o.nshards > 0)
        run->r->hash = gc_shard_hash(run->tg, run->n, run->L0);
    unsigned long long before = run->nevals + run->reference->nevals;
    if (rc == GC_OK)
        rc = sparse ? gc_run_rows_parallel(run) : rows_in_layer_order(run);
    /* the fast rows' summaries count the fails: none, nothing to revise */
    const int fails = run->summary == NULL || gc_summary_nfail(run->summary) > 0;
    run->r->nevals_rows = run->nevals + run->reference->nevals - before;
    if (rc == GC_OK && fails) {
        before = run->nevals;
        rc = gc_run_conditioning(run);
        run->r->nevals_once = run->nevals - before;
    }
    /* the summaries gathered with the rows, unless a row may be revised since
     * (a partial check's revisions are counted as they are made) */
    if (rc == GC_OK && (!fails || run->held != NULL))
        rc = gc_summary_finish(run->summary, run->r,
                               gc_threads_for_work(run->o.threads, (double)run->nall,
                                                   GC_SUMMARY_ROWS_PER_THREAD));
    else if (rc == GC_OK)
        rc = gc_report_summarize(run->r);
    const int stats = run->o.drop_passes != GC_DROP_STATS;
    if (rc == GC_OK && run->held != NULL)
        gc_report_drop_passes_held(run->r, run->held, stats);
    else if (rc == GC_OK && run->o.drop_passes)
        gc_report_drop_passes(run->r, stats);
    return rc;
}

static void run_free(gc_run *run)
{
    if (run->reference != NULL)
        run->nevals += run->reference->nevals;
    gc_eval_free(run->reference);
    gc_summary_free(run->summary);
    free(run->screened);
    free(run->elem);
    free(run->skip);
    free(run->held);
}

int gc_check_chain(const gc_chain *ch, gc_target *tg, int nall, int want_x_default,
                   const gc_check_opts *o, const char *who, gc_report **out, gc_error *err)
{
    int rc = gc_plan_names_known(o->params, tg, nall, err);
    if (rc != GC_OK)
        return rc;
    /* the snapshot covers every target, checked or not; selection reorders
     * tg in place, so the check keeps a copy of all of them */
    double *snap = gc_values_snapshot(tg, nall);
    gc_target *all = malloc((size_t)(nall > 0 ? nall : 1) * sizeof *all);
    if (snap == NULL || all == NULL) {
        free(snap);
        free(all);
        return gc_error_set(err, GC_ENOMEM, "%s: out of memory", who);
    }
    memcpy(all, tg, (size_t)nall * sizeof *all);
    gc_run run = {.ch = ch, .o = *o, .tg = tg, .nevals = 1};
    run.L0 = ch->prepare(ch->ctx);
    run.scale = gc_chain_loss_scale(ch, run.L0);
    gc_targets_grad_scale(tg, nall, o);
    run.n = gc_plan_select(tg, nall, o, want_x_default);
    run.reference = gc_eval_reference_new(ch);
    rc = run.reference == NULL ? GC_ENOMEM : run_steps(&run);
    run_free(&run);
    int restored = gc_values_restored(all, nall, snap);
    if (ch->leave_clean != NULL) {
        ch->leave_clean(ch->ctx);
        run.nevals++;
    }
    free(all);
    free(snap);
    if (rc != GC_OK) {
        gc_report_free(run.r);
        return gc_error_set(err, rc, "%s: out of memory", who);
    }
    run.r->restored = restored;
    run.r->nevals = run.nevals;
    *out = run.r;
    return GC_OK;
}
