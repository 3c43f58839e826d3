/*
 * report/blocks.h -- a long text made in blocks on threads and written in
 * order (private): the JSON report's rows.
 */
#ifndef GC_REPORT_BLOCKS_H
#define GC_REPORT_BLOCKS_H

#include <stddef.h>
#include <stdio.h>

/* Writes block b's text at buf (room for the block_max bytes given to
 * gc_blocks_write) and returns its end.  Called on any of the threads, for
 * each b once; it must only read what it shares.  A text longer than
 * block_max (the caller's bound wrong, memory past it overwritten) aborts
 * the process. */
typedef char *(*gc_block_fn)(void *ctx, size_t b, char *buf);

/* The texts of blocks 0 .. nblocks-1, made by fn on up to nthreads
 * threads (gc_threads_resolve's count), written to f in order, so the
 * bytes are those of one thread.  f is flushed first and the blocks go to
 * its descriptor with write(2) (stdio would copy them once more), or
 * through fwrite when f has none (a memory stream).  GC_OK; GC_ENOMEM;
 * GC_EIO when a write failed, with errno its reason (nothing is written
 * after it).  Every block is made either way. */
int gc_blocks_write(FILE *f, int nthreads, size_t nblocks, size_t block_max, gc_block_fn fn,
                    void *ctx);

#endif
