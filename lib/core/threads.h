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

/* Call fn(ctx, tid, i) for every i in [0, n), spread over nthreads threads
 * (the caller's thread is tid 0) that take chunks of `chunk` indices from a
 * shared counter.  Which thread runs which i varies; a caller that writes
 * only into slots of i gets the same result at any thread count.  GC_OK, or
 * GC_ENOMEM when a thread cannot be started (the work is then done by the
 * threads that did start, so the result is still complete). */
int gc_threads_for(int nthreads, size_t n, size_t chunk,
                   void (*fn)(void *ctx, int tid, size_t i), void *ctx);

#endif
