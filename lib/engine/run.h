/*
 * engine/run.h -- one check from a prepared chain to a finished report
 * (private).
 */
#ifndef GC_ENGINE_RUN_H
#define GC_ENGINE_RUN_H

#include "engine/evaluator.h"
#include "report/summary.h"

/* The state of one run, shared by its steps. */
typedef struct gc_run {
    const gc_chain *ch;
    gc_check_opts o;         /* resolved */
    double L0;               /* the unperturbed loss */
    double scale;            /* its rounding sensitivity (gc_fd_ctx.scale) */
    const gc_target *tg;     /* n selected targets */
    int n;
    gc_eval *reference;      /* the reference evaluator over ch */
    gc_report *r;            /* being filled */
    int *screened;           /* n: the screen passed target t */
    size_t *elem;            /* r->nrows, or NULL (see gc_plan_elements) */
    size_t *skip;            /* n, a part of a split check only: its first row
                              * of each tensor (engine/shard.h), else NULL */
    gc_summary *summary;     /* the rows' summaries as gathered while they were
                              * made (gc_run_rows_parallel), else NULL */
    size_t *held;            /* a partial check's rows on threads (drop_passes):
                              * r->rows[i] is row held[i] of r's layout, and
                              * r->nrows counts those held; else NULL */
    size_t nall;             /* the rows of r's layout */
    unsigned long long nevals;
} gc_run;

/* Every row with the sparse-change evaluator on threads: rows whose verdict
 * a rounding difference could change are computed again by run->reference.
 * Fills the rows, and run->summary with what each chunk of them gives the
 * summaries (report/summary.h), read while the chunk was in cache; still to
 * be finished.  With opts.drop_passes (r->rows NULL on entry) only the rows
 * the summaries and a partial report need are kept: r->rows and run->held
 * (gc_summary_hold).  GC_OK or GC_ENOMEM. */
int gc_run_rows_parallel(gc_run *run);

/* Check the targets tg[0..nall) of ch (the selection of opts), from the
 * preparation to the restored values; `who` names the entry point in
 * errors. */
int gc_check_chain(const gc_chain *ch, gc_target *tg, int nall, int want_x_default,
                   const gc_check_opts *o, const char *who, gc_report **out, gc_error *err);

#endif
