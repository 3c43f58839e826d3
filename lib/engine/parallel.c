/*
 * parallel.c -- the rows on threads, each thread with its own sparse-change
 * evaluator; a row whose verdict a rounding difference between the two
 * evaluators could change is computed again by the reference evaluator, so
 * every verdict is the reference's.
 */
#include "engine/run.h"
#include "engine/fast.h"
#include "engine/row.h"
#include "engine/verdict.h"
#include "core/threads.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* Rows a thread takes at a time: enough to make the shared counter cheap,
 * few enough to balance rows of different cost. */
#define CHUNK 256

typedef struct parallel_job {
    gc_run *run;
    gc_eval **ev;           /* nthreads: each thread's evaluator */
    unsigned char *recheck; /* nrows: 1 where a rounding difference could decide */
    double bound;           /* that difference in the numbers behind a verdict */
    size_t done;            /* rows finished, under `lock` */
    pthread_mutex_t lock;   /* serialises the progress callback */
} parallel_job;

static void parallel_row(void *ctx, int tid, size_t k)
{
    parallel_job *j = ctx;
    gc_run *run = j->run;
    const gc_check_opts *o = &run->o;
    const gc_fd_ctx c = {j->ev[tid], o, run->L0, run->scale, 0.0};
    gc_row *row = &run->r->rows[k];
    gc_fd_point p;
    /* located here, not before: the first write to each page of the rows is
     * a page fault, and these run in parallel */
    gc_plan_locate(row, k, run->r, run->tg, run->elem);
    gc_row_decide(&c, run->tg, row, &p, 1);
    /* a row undecided at ε is refined or escalated at steps the box of
     * gc_verdict_stable does not cover: always by the reference */
    if (!gc_verdict_stable(row->analytic, &p, o, j->bound))
        j->recheck[k] = 1;
    /* done = 1, 2, ... total, one call at a time: the caller needs no lock */
    if (o->progress != NULL) {
        pthread_mutex_lock(&j->lock);
        o->progress(o->progress_ctx, ++j->done, run->r->nrows);
        pthread_mutex_unlock(&j->lock);
    }
}

/* How far the two evaluators' numbers may differ: GC_FAST_TIE_ULPS ulps of
 * max(1, |L|) over the step (times richardson's weight of its smaller
 * steps), 1% for steps not exactly ±ε; at most atol / 4 when atol > 0. */
static double rounding_bound(const gc_check_opts *o, double L0)
{
    double weight = o->method == GC_METHOD_RICHARDSON ? gc_richardson_weight(GC_RICHARDSON_LEVELS)
                                                      : 1.0;
    double bound = 1.01 * weight * GC_FAST_TIE_ULPS * 0x1p-53 * fmax(1.0, fabs(L0)) / o->eps;
    if (o->atol > 0.0 && bound > 0.25 * o->atol)
        bound = 0.25 * o->atol;
    return bound;
}

/* No more threads (each with its evaluator) than chunks of rows. */
static int thread_count(const gc_check_opts *o, size_t rows)
{
    int nthreads = gc_threads_resolve(o->threads);
    size_t nchunks = (rows + CHUNK - 1) / CHUNK;
    if ((size_t)nthreads > nchunks)
        nthreads = nchunks > 0 ? (int)nchunks : 1;
    return nthreads;
}

static void free_evaluators(gc_eval **ev, int n, unsigned long long *nevals)
{
    if (ev == NULL)
        return;
    for (int t = 0; t < n; t++) {
        if (ev[t] != NULL)
            *nevals += ev[t]->nevals;
        gc_eval_free(ev[t]);
    }
    free(ev);
}

static gc_eval **new_evaluators(const gc_net *net, int n)
{
    gc_eval **ev = calloc((size_t)n, sizeof *ev);
    for (int t = 0; ev != NULL && t < n; t++) {
        ev[t] = gc_eval_sparse_new(net, 0);
        if (ev[t] == NULL) {
            unsigned long long unused = 0;
            free_evaluators(ev, n, &unused);
            return NULL;
        }
    }
    return ev;
}

/* The rows marked: computed again by the reference, in place from the
 * element's layer on, then the cache made clean for the next. */
static void recheck_rows(gc_run *run, const unsigned char *recheck)
{
    const gc_fd_ctx c = {run->reference, &run->o, run->L0, run->scale, 0.0};
    for (size_t k = 0; k < run->r->nrows; k++) {
        if (!recheck[k])
            continue;
        gc_row_decide(&c, run->tg, &run->r->rows[k], NULL, 0);
        run->ch->loss_from(run->ch->ctx, run->tg[run->r->rows[k].tensor].layer);
    }
}

int gc_run_rows_parallel(gc_run *run)
{
    size_t total = run->r->nrows;
    int nthreads = thread_count(&run->o, total);
    parallel_job job = {.run = run, .bound = rounding_bound(&run->o, run->L0), .done = 0};
    job.ev = new_evaluators(run->ch->net, nthreads);
    job.recheck = calloc(total > 0 ? total : 1, 1);
    if (job.ev == NULL || job.recheck == NULL ||
        pthread_mutex_init(&job.lock, NULL) != 0) {
        free_evaluators(job.ev, nthreads, &run->nevals);
        free(job.recheck);
        return GC_ENOMEM;
    }
    gc_threads_for(nthreads, total, CHUNK, parallel_row, &job);
    pthread_mutex_destroy(&job.lock);
    free_evaluators(job.ev, nthreads, &run->nevals);
    recheck_rows(run, job.recheck);
    free(job.recheck);
    return GC_OK;
}
