/*
 * parallel.c -- the rows on threads, each thread with its own sparse-change
 * evaluator; a row whose verdict a rounding difference between the two
 * evaluators could change is computed again by the reference evaluator, so
 * every verdict is the reference's.
 */
#define _DEFAULT_SOURCE /* madvise, mincore */
#include "engine/run.h"
#include "engine/fast.h"
#include "engine/numdiff.h"
#include "engine/row.h"
#include "engine/verdict.h"
#include "core/threads.h"
#include "report/partial.h"
#include "report/rank.h"
#include "report/summary.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Rows a thread takes at a time: enough to make the shared counter cheap,
 * few enough to balance rows of different cost. */
#define CHUNK 256

/* One thread's room for a chunk: a partial check's rows, made, judged and
 * summarised here before it keeps what it holds of them (a whole check's
 * are made in the report itself), and for a run
 * of rows of one tensor its perturbations and losses at ε: perturbation s
 * is element idx[s] set to v[s], its loss L[s]; row q of the run has
 * L(θ-ε), L(θ+ε) in L[2q], L[2q + 1].  A partial check's: the chunk's
 * best rows (gc_summary_block_best) and which of its rows it holds. */
typedef struct chunk_space {
    gc_row rows[CHUNK];
    size_t idx[2 * CHUNK];
    double v[2 * CHUNK];
    double L[2 * CHUNK];
    size_t best[CHUNK];
    unsigned short hold[CHUNK]; /* positions in the chunk */
} chunk_space;
_Static_assert(CHUNK <= 65536, "a chunk's positions fit an unsigned short");

/* The rows of one chunk a partial check holds until its summaries are
 * finished: those gc_row_kept may keep (not passed, or a best row) and,
 * when the summaries may read them again (a row to be computed again, a
 * key that does not give its numbers back), every row of the chunk. */
typedef struct held_chunk {
    gc_row *rows; /* n, then at in the same block (free rows); NULL with
                   * n > 0: out of memory */
    size_t *at;   /* n: their indices among all rows, ascending */
    size_t n;
} held_chunk;
_Static_assert(sizeof(gc_row) % sizeof(size_t) == 0, "at aligned after the rows");

typedef struct parallel_job {
    gc_run *run;
    gc_eval **ev;           /* nthreads: each thread's evaluator and room, made */
    chunk_space **space;    /* on that thread at its first chunk (own_tools) */
    unsigned char *lacking; /* nthreads: 1 where they could not be made */
    int batched;            /* batched(o): losses at ε from batches */
    unsigned char *recheck; /* nrows: 1 where a rounding difference could decide */
    gc_summary *sum;        /* the summaries, each chunk read as it is finished */
    double bound;           /* that difference in the numbers behind a verdict */
    size_t page;            /* > 0: ask for each chunk's pages of rows first (fresh_rows) */
    held_chunk *held;       /* a partial check: one per chunk, the rows it holds
                             * until the report's are gathered; else NULL */
    int alone;              /* one thread: a chunk's rows are computed again as it
                             * is finished, before it is read (recheck_chunk) */
    size_t done;            /* rows finished, under `lock` */
    pthread_mutex_t lock;   /* serialises the progress callback */
} parallel_job;

/* Rows take their losses at ε from batches for central differences in
 * float64 (what gc_fd_central_given computes); float32's points and the
 * other methods' steps keep one loss at a time. */
static int batched(const gc_check_opts *o)
{
    return o->method == GC_METHOD_CENTRAL && o->precision == GC_PRECISION_FLOAT64;
}

/*
 * The rows of a new process are fresh memory: the kernel maps and zeroes
 * each page at its first write, one fault apiece.  Asking for a chunk's
 * pages in one call (MADV_POPULATE_WRITE, Linux 5.14) before writing them
 * costs less than their faults one by one (bench/README.md), and keeps the
 * work on the thread that writes the chunk.  Memory a process used before
 * (its second check) is mapped already and costs only a walk of its page
 * table to ask about, so two of its pages are probed first (mincore).
 * Returns the page size to ask with, or 0: do not ask.
 */
static size_t fresh_rows(const gc_row *rows, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    const long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || n * sizeof *rows < 16 * (size_t)page)
        return 0;
    const uintptr_t mid = (uintptr_t)(rows + n / 2), last = (uintptr_t)(rows + n - 1);
    unsigned char in_mid = 1, in_last = 1;
    if (mincore((void *)(mid - mid % (uintptr_t)page), 1, &in_mid) != 0 ||
        mincore((void *)(last - last % (uintptr_t)page), 1, &in_last) != 0)
        return 0;
    return (in_mid & 1) && (in_last & 1) ? 0 : (size_t)page;
#else
    (void)rows;
    (void)n;
    return 0;
#endif
}

/* The pages that hold rows [lo, hi) mapped writable; their bytes are not
 * touched (a page shared with a neighbouring chunk may be written by
 * another thread meanwhile).  An error (an older kernel) leaves the faults
 * to the writes. */
static void ask_for_pages(const gc_row *lo, const gc_row *hi, size_t page)
{
#ifdef MADV_POPULATE_WRITE
    const uintptr_t from = (uintptr_t)lo - (uintptr_t)lo % page;
    (void)madvise((void *)from, (uintptr_t)hi - from, MADV_POPULATE_WRITE);
#else
    (void)lo;
    (void)hi;
    (void)page;
#endif
}

/* Row k (located) alone: its numbers at ε one loss at a time, its verdict. */
static void one_row(parallel_job *j, const gc_fd_ctx *c, gc_row *row, size_t k)
{
    gc_run *run = j->run;
    gc_fd_point p;
    const gc_verdict v = gc_row_decide(c, run->tg, row, &p, 1);
    /* a row undecided at ε is refined or escalated at steps the box of
     * gc_verdict_stable does not cover: always by the reference */
    if (!gc_verdict_stable(row->analytic, &p, v, c->o, j->bound))
        j->recheck[k] = 1;
}

/* Rows [k, end) of tensor t into rows[0 .. end - k), located and computed:
 * from one batch of the evaluator's losses when it takes the tensor (a
 * batchable tensor's layers have no kink hook to ask; the rows are located
 * as they are judged), else one row at a time.  A batch holds only losses,
 * which do not depend on the batch they came in: the rows are the same at
 * any thread count. */
static void tensor_run(parallel_job *j, int tid, const gc_fd_ctx *c, int t, gc_row *rows,
                       size_t k, size_t end)
{
    gc_run *run = j->run;
    const gc_target *tt = &run->tg[t];
    const size_t m = end - k;
    if (!j->batched || !gc_eval_batchable(c->ev, tt)) {
        gc_plan_locate_run(rows, k, end, run->r, run->tg, run->elem);
        for (size_t q = 0; q < m; q++)
            one_row(j, c, &rows[q], k + q);
        return;
    }
    chunk_space *b = j->space[tid];
    /* float64 (batched): every element's step is ε (gc_fd_step), taken once */
    const double h = gc_fd_step(&run->o, 0.0);
    const size_t *elem = run->elem, first = run->r->tensors[t].first;
    const double *value = tt->value;
    for (size_t q = 0; q < m; q++) {
        const size_t i = gc_plan_element(elem, first, k + q);
        const double x0 = value[i];
        b->idx[2 * q] = b->idx[2 * q + 1] = i;
        b->v[2 * q] = gc_fd_moved(&run->o, x0, -h);
        b->v[2 * q + 1] = gc_fd_moved(&run->o, x0, h);
    }
    gc_eval_losses(c->ev, tt, b->idx, b->v, 2 * m, b->L);
    gc_rows_decide_given(c, run->tg, t, rows, m, b->idx, b->L, j->bound, j->recheck + k);
}

/* A row computed again by the reference, in place from the element's
 * layer on, then the cache made clean for the next. */
static void recheck_row(gc_run *run, gc_row *row)
{
    const gc_fd_ctx c = {run->reference, &run->o, run->L0, run->scale, 0.0};
    gc_row_decide(&c, run->tg, row, NULL, 0);
    run->ch->loss_from(run->ch->ctx, run->tg[row->tensor].layer);
}

/* One thread: the rows of chunk lo .. hi marked computed again now, the
 * marks cleared.  Nothing else uses the network meanwhile, and every check
 * leaves the values and the cache with their bits; the chunk is then read
 * into the summaries once, in order, as every other. */
static void recheck_chunk(parallel_job *j, gc_row *rows, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++) {
        unsigned char *m = memchr(j->recheck + k, 1, hi - k);
        if (m == NULL)
            break;
        k = (size_t)(m - j->recheck);
        recheck_row(j->run, &rows[k - lo]);
        *m = 0;
    }
}

/* A partial check's chunk ch, rows[0 .. hi - lo) (rows lo .. hi), read
 * into the summaries: what of it to hold, into j->held[ch]: the rows
 * gc_row_kept keeps, its best rows (a tensor's worst is among them) and,
 * with statistics, its first rows of the report order. */
static void hold_chunk(parallel_job *j, int tid, size_t ch, const gc_row *rows, size_t lo,
                       size_t hi)
{
    chunk_space *sp = j->space[tid];
    int keyed;
    const size_t nbest = gc_summary_block_best(j->sum, j->run->r, ch, sp->best, &keyed);
    const int all = !keyed || memchr(j->recheck + lo, 1, hi - lo) != NULL;
    /* the report's first rows of the order are among its chunks' first */
#ifndef GC_CHUNK_FIRST_MUTANT
    enum { FIRST = GC_PARTIAL_TOP };
#else /* checks/report/check_partial.c's mutant: one row fewer held */
    enum { FIRST = GC_PARTIAL_TOP - 1 };
#endif
    size_t top[FIRST];
    const size_t ntop = !all && j->run->o.drop_passes != GC_DROP_STATS
                            ? gc_rank_first_by_index(rows, hi - lo, top, FIRST)
                            : 0;
    size_t n = 0; /* hold[0 .. n): the rows held, in order */
    for (size_t q = 0, b = 0, i = 0; q < hi - lo; q++) {
        const int best = b < nbest && sp->best[b] == lo + q;
        const int first = i < ntop && top[i] == q;
        b += best;
        i += first;
        sp->hold[n] = (unsigned short)q;
        n += all || gc_row_kept(&rows[q], best || first);
    }
    held_chunk *h = &j->held[ch];
    h->n = n;
    h->rows = malloc(n * (sizeof *h->rows + sizeof *h->at));
    if (h->rows == NULL)
        return;
    h->at = (size_t *)(void *)(h->rows + n);
    for (size_t i = 0; i < n; i++) {
        h->rows[i] = rows[sp->hold[i]];
        h->at[i] = lo + sp->hold[i];
    }
}

/* Thread tid's evaluator and room, made on the thread itself at its first
 * chunk: the other threads' are made meanwhile, not one after another
 * before any row, and each comes from memory its own thread takes (the
 * main thread's after the summaries' arrays, not between them).  0 when
 * they could not be made (the check is then out of memory). */
static int own_tools(parallel_job *j, int tid)
{
    if (j->ev[tid] != NULL && j->space[tid] != NULL)
        return 1;
    if (j->lacking[tid])
        return 0;
    /* the room first: the evaluator's largest buffers, last, are touched
     * only as far as its passes reach */
    if (j->space[tid] == NULL) /* cache lines of its own */
        j->space[tid] = aligned_alloc(64, (sizeof **j->space + 63) / 64 * 64);
    if (j->ev[tid] == NULL)
        j->ev[tid] = gc_eval_sparse_new(j->run->ch->net, 0);
    j->lacking[tid] = j->ev[tid] == NULL || j->space[tid] == NULL;
    return !j->lacking[tid];
}

/* Chunk `ch` of CHUNK rows on thread tid, made in the report (a partial
 * check: in the thread's room): a tensor's run at a time (one search),
 * located and computed (on one thread, the rows marked computed again
 * too), then read into the summaries while in this core's cache, and (a
 * partial check) what it holds of them kept.  The chunks' pages of the
 * report are asked for on the threads that write them, in parallel. */
static void parallel_chunk(void *ctx, int tid, size_t ch)
{
    parallel_job *j = ctx;
    if (!own_tools(j, tid))
        return; /* out of memory: gc_run_rows_parallel says so */
    gc_run *run = j->run;
    const gc_check_opts *o = &run->o;
    const gc_fd_ctx c = {j->ev[tid], o, run->L0, run->scale, 0.0};
    const size_t lo = ch * CHUNK, hi = run->r->nrows - lo < CHUNK ? run->r->nrows : lo + CHUNK;
    /* rows[q] is row lo + q: made where the report keeps it, whose pages
     * are asked for first; a partial check's in the room until it has
     * read them */
    gc_row *rows = j->space[tid]->rows;
    if (j->held == NULL) {
        rows = &run->r->rows[lo];
        if (j->page > 0)
            ask_for_pages(rows, &run->r->rows[hi], j->page);
    }
    for (size_t k = lo, end; k < hi; k = end) {
        int t;
        end = gc_plan_run_end(&t, k, hi, run->r);
        tensor_run(j, tid, &c, t, rows + (k - lo), k, end);
    }
    if (j->alone)
        recheck_chunk(j, rows, lo, hi);
    gc_summary_read(j->sum, run->r, rows, ch);
    if (j->held != NULL)
        hold_chunk(j, tid, ch, rows, lo, hi);
    /* done = 1, 2, ... total, one call at a time: the caller needs no lock */
    if (o->progress != NULL) {
        pthread_mutex_lock(&j->lock);
        for (size_t k = lo; k < hi; k++)
            o->progress(o->progress_ctx, ++j->done, run->r->nrows);
        pthread_mutex_unlock(&j->lock);
    }
}

/* How far the two evaluators' numbers may differ: GC_FAST_TIE_ULPS ulps of
 * max(1, |L|) over the step (times richardson's weight of its smaller
 * steps), plus, where the losses at ε come from one batch (central,
 * float64) through the loss's values op, GC_LOSS_VALUES_BOUND(rows) more
 * (its vector exps, lib/gradcheck/layer.h); 1% for steps not exactly ±ε;
 * at most atol / 4 when atol > 0. */
static double rounding_bound(const gc_check_opts *o, const gc_net *net, double L0)
{
    double weight = o->method == GC_METHOD_RICHARDSON ? gc_richardson_weight(GC_RICHARDSON_LEVELS)
                                                      : 1.0;
    double ulps = GC_FAST_TIE_ULPS;
    if (batched(o) && net->loss->values != NULL)
        ulps += GC_LOSS_VALUES_BOUND(net->act[net->nlayers]->rows);
    double bound = 1.01 * weight * ulps * 0x1p-53 * fmax(1.0, fabs(L0)) / o->eps;
    if (o->atol > 0.0 && bound > 0.25 * o->atol)
        bound = 0.25 * o->atol;
    return bound;
}

/* Each thread of the default count (threads 0) takes at least this many
 * row-examples (rows times B: each row is two losses of B examples); fewer
 * and a second thread costs more than it saves (docs/measurements.md). */
#define ROW_EXAMPLES_PER_THREAD 50000.0

/* No more threads (each with its evaluator) than chunks of rows. */
static int thread_count(const gc_check_opts *o, size_t rows, int batch)
{
    int nthreads = gc_threads_for_work(o->threads, (double)rows * batch, ROW_EXAMPLES_PER_THREAD);
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

/* Row k, in the report or (a partial check) held with the whole of its
 * chunk. */
static gc_row *row_at(const parallel_job *j, size_t k)
{
    return j->held != NULL ? &j->held[k / CHUNK].rows[k % CHUNK] : &j->run->r->rows[k];
}

/* The rows still marked (more than one thread): computed again by the
 * reference, each chunk with such a row read again into the summaries. */
static void recheck_rows(const parallel_job *j, size_t total)
{
    gc_run *run = j->run;
    size_t reread = SIZE_MAX; /* the chunk to read again, none yet */
    for (size_t k = 0; k < total; k++) {
        const unsigned char *m = memchr(j->recheck + k, 1, total - k);
        if (m == NULL)
            break;
        k = (size_t)(m - j->recheck);
        if (reread != SIZE_MAX && k / CHUNK != reread)
            gc_summary_read(j->sum, run->r, row_at(j, reread * CHUNK), reread);
        recheck_row(run, row_at(j, k));
        reread = k / CHUNK;
    }
    if (reread != SIZE_MAX)
        gc_summary_read(j->sum, run->r, row_at(j, reread * CHUNK), reread);
}

/* GC_OK when every chunk's held rows were allocated, else GC_ENOMEM. */
static int held_complete(const held_chunk *held, size_t nchunks)
{
    for (size_t ch = 0; ch < nchunks; ch++)
        if (held[ch].n > 0 && held[ch].rows == NULL)
            return GC_ENOMEM;
    return GC_OK;
}

/* A partial check's held rows, chunk after chunk, into r->rows and
 * run->held (r->nrows of them); the chunks' own freed.  GC_OK or
 * GC_ENOMEM. */
static int gather_held(gc_run *run, held_chunk *held, size_t nchunks)
{
    size_t n = 0;
    int rc = held_complete(held, nchunks);
    for (size_t ch = 0; ch < nchunks; ch++)
        n += held[ch].n;
    gc_report *r = run->r;
    r->rows = rc == GC_OK ? malloc((n > 0 ? n : 1) * sizeof *r->rows) : NULL;
    run->held = rc == GC_OK ? malloc((n > 0 ? n : 1) * sizeof *run->held) : NULL;
    if (r->rows == NULL || run->held == NULL)
        rc = GC_ENOMEM;
    size_t i = 0;
    for (size_t ch = 0; ch < nchunks; ch++) {
        if (rc == GC_OK && held[ch].n > 0) {
            memcpy(r->rows + i, held[ch].rows, held[ch].n * sizeof *r->rows);
            memcpy(run->held + i, held[ch].at, held[ch].n * sizeof *run->held);
            i += held[ch].n;
        }
        free(held[ch].rows);
    }
    free(held);
    r->nrows = i;
    return rc;
}

static void free_spaces(chunk_space **b, int n)
{
    if (b == NULL)
        return;
    for (int t = 0; t < n; t++)
        free(b[t]);
    free(b);
}

int gc_run_rows_parallel(gc_run *run)
{
    const size_t total = run->r->nrows, nchunks = (total + CHUNK - 1) / CHUNK;
    const int partial = run->o.drop_passes;
    int nthreads = thread_count(&run->o, total, run->ch->net->batch);
    parallel_job job = {.run = run, .bound = rounding_bound(&run->o, run->ch->net, run->L0),
                        .done = 0};
    job.ev = calloc((size_t)nthreads, sizeof *job.ev);
    job.space = calloc((size_t)nthreads, sizeof *job.space);
    job.lacking = calloc((size_t)nthreads, 1);
    job.recheck = calloc(total > 0 ? total : 1, 1);
    /* one thread takes the chunks in order and reads each once; more keep
     * each row's a and n for the sums in row order, a pass over 16 bytes a
     * row, not 96 (and a partial check has not every row to pass over) */
    job.alone = nthreads == 1;
    const int stats = run->o.drop_passes != GC_DROP_STATS;
    job.sum = gc_summary_new(run->r, CHUNK, nthreads == 1, nthreads > 1, stats);
    job.batched = batched(&run->o);
    job.held = partial ? calloc(nchunks > 0 ? nchunks : 1, sizeof *job.held) : NULL;
    if (job.ev == NULL || job.space == NULL || job.lacking == NULL || job.recheck == NULL ||
        job.sum == NULL || (partial && job.held == NULL) ||
        pthread_mutex_init(&job.lock, NULL) != 0) {
        free_evaluators(job.ev, nthreads, &run->nevals);
        free_spaces(job.space, nthreads);
        free(job.lacking);
        free(job.recheck);
        free(job.held);
        gc_summary_free(job.sum);
        return GC_ENOMEM;
    }
    job.page = partial ? 0 : fresh_rows(run->r->rows, total);
    gc_threads_for(nthreads, nchunks, 1, parallel_chunk, &job);
    pthread_mutex_destroy(&job.lock);
    free_evaluators(job.ev, nthreads, &run->nevals);
    free_spaces(job.space, nthreads);
    int rc = memchr(job.lacking, 1, (size_t)nthreads) != NULL ? GC_ENOMEM
             : partial                                        ? held_complete(job.held, nchunks)
                                                              : GC_OK;
    free(job.lacking);
    if (rc == GC_OK)
        recheck_rows(&job, total);
    free(job.recheck);
    run->summary = job.sum;
    if (partial) {
        rc = gather_held(run, job.held, nchunks) != GC_OK ? GC_ENOMEM : rc;
        gc_summary_hold(job.sum, run->held);
    }
    return rc;
}
