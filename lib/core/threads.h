/*
 * core/threads.h -- the small thread pool that spreads element checks over cores (private).
 */
#ifndef GC_CORE_THREADS_H
#define GC_CORE_THREADS_H

#include <stddef.h>

#include "gradcheck/base.h"

/* The thread count that `threads` asks for: itself when >= 1, else the
 * number of online cores (sysconf), at least 1. */
int gc_threads_resolve(int threads);

/* The thread count for `work` units of work of which each thread should
 * have at least `per_thread`: `threads` itself when >= 1 (asked for); for 0
 * (all cores) no more than work / per_thread, at least 1.  A thread's fixed
 * cost (its start, its own buffers, its wait for a core the machine may be
 * using) is paid once, whatever its share: below that share a second
 * thread costs more than the half of the work it takes. */
int gc_threads_for_work(int threads, double work, double per_thread);

/* Call fn(ctx, tid, i) for every i in [0, n), spread over nthreads threads
 * (the caller's thread is tid 0) that take chunks of `chunk` indices from a
 * shared counter.  Which thread runs which i varies; a caller that writes
 * only into slots of i gets the same result at any thread count.  GC_OK, or
 * GC_ENOMEM when a thread cannot be started (the work is then done by the
 * threads that did start, so the result is still complete). */
int gc_threads_for(int nthreads, size_t n, size_t chunk,
                   void (*fn)(void *ctx, int tid, size_t i), void *ctx);

#endif
