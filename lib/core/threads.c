/*
 * threads.c -- a parallel for loop over element checks, with pthreads.
 *
 * Element checks are independent: each reads the shared, unchanging network
 * and writes only its own report row, so they can run in any order on any
 * thread.  Threads take chunks of indices from one atomic counter (dynamic
 * scheduling: cheap elements of a late layer and dear ones of an early layer
 * balance themselves).  Nothing here decides a result, so the report does not
 * depend on the thread count; checks/check_fast.c asserts it byte for byte.
 */
#include "core/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

int gc_threads_resolve(int threads)
{
    if (threads >= 1)
        return threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (n > 1024 ? 1024 : (int)n) : 1;
}

int gc_threads_for_work(int threads, double work, double per_thread)
{
    int n = gc_threads_resolve(threads);
    if (threads >= 1 || !(per_thread > 0.0) || !(work >= 0.0))
        return n;
    double most = work / per_thread;
    return most >= (double)n ? n : most >= 2.0 ? (int)most : 1;
}

typedef struct pool {
    atomic_size_t next; /* first index not yet handed out */
    size_t n, chunk;
    void (*fn)(void *ctx, int tid, size_t i);
    void *ctx;
} pool;

typedef struct worker {
    pool *p;
    int tid;
} worker;

static void run(pool *p, int tid)
{
    for (;;) {
        size_t lo = atomic_fetch_add(&p->next, p->chunk);
        if (lo >= p->n)
            return;
        size_t hi = p->n - lo < p->chunk ? p->n : lo + p->chunk;
        for (size_t i = lo; i < hi; i++)
            p->fn(p->ctx, tid, i);
    }
}

static void *thread_main(void *arg)
{
    worker *w = arg;
    run(w->p, w->tid);
    return NULL;
}

int gc_threads_for(int nthreads, size_t n, size_t chunk,
                   void (*fn)(void *ctx, int tid, size_t i), void *ctx)
{
    if (chunk < 1)
        chunk = 1;
    pool p = {.n = n, .chunk = chunk, .fn = fn, .ctx = ctx};
    atomic_init(&p.next, 0);
    /* No more threads than chunks: a thread with nothing to do only costs. */
    size_t nchunks = n / chunk + (n % chunk != 0);
    if (nthreads < 1)
        nthreads = 1;
    if ((size_t)nthreads > nchunks)
        nthreads = nchunks > 0 ? (int)nchunks : 1;
    int rc = GC_OK;
    pthread_t *th = NULL;
    worker *w = NULL;
    int started = 0;
    if (nthreads > 1) {
        th = malloc((size_t)(nthreads - 1) * sizeof *th);
        w = malloc((size_t)(nthreads - 1) * sizeof *w);
        if (th == NULL || w == NULL)
            rc = GC_ENOMEM;
        for (int t = 1; rc == GC_OK && t < nthreads; t++) {
            w[t - 1] = (worker){.p = &p, .tid = t};
            if (pthread_create(&th[t - 1], NULL, thread_main, &w[t - 1]) != 0)
                rc = GC_ENOMEM;
            else
                started++;
        }
    }
    run(&p, 0);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    free(th);
    free(w);
    return rc;
}
