/*
 * blocks.c -- a long text made in blocks on threads and written in order
 * (the contract is in report/blocks.h).
 *
 * Block b is made into slot b % nslots, two slots a thread, and written
 * when the blocks before it are: whichever thread finds the next block
 * made becomes the writer and writes every made block in order until it
 * meets one still being made.  No thread waits for its turn to write (a
 * turn per block made each thread sleep while another wrote); a thread
 * waits only for a free slot, when writing is slower than making, which
 * is when the text goes into the page cache: the kernel takes the file's
 * lock for each write, so one writer at a time is all a file can take.
 * Short waits are spun (a sleep and its wake-up cost more than most of
 * them); a long one sleeps.
 */
#include "report/blocks.h"
#include "core/threads.h"
#include "gradcheck/base.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

enum { SLOTS_PER_THREAD = 2, SPINS = 1 << 8 };

typedef struct job {
    FILE *f;
    int fd;                   /* f's descriptor, or -1: written by fwrite */
    gc_block_fn fn;
    void *ctx;
    size_t nblocks, nslots, block_max;
    char *buf;                /* nslots slots of block_max bytes */
    size_t *len;              /* the text's length in each slot */
    atomic_size_t *made;      /* per slot: b + 1 once block b's text is in it, else older */
    atomic_size_t written;    /* blocks written (or dropped after a failure) */
    atomic_int writing;       /* 1 while a thread is the writer */
    atomic_int sleepers;      /* threads asleep on freed */
    pthread_mutex_t lock;
    pthread_cond_t freed;     /* written moved on */
    int err;                  /* the failed write's errno, 0 while none (the writer's) */
} job;

static void pause_a_moment(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_ia32_pause();
#endif
}

/* The n bytes at p, whole: 0, or the errno of the write that failed. */
static int put(const job *j, const char *p, size_t n)
{
    if (j->fd < 0)
        return fwrite(p, 1, n, j->f) == n ? 0 : errno != 0 ? errno : EIO;
    while (n > 0) {
        ssize_t k = write(j->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? errno : EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Until block b's slot is free: block b - nslots written. */
static void wait_for_slot(job *j, size_t b)
{
    for (int i = 0; i < SPINS; i++) {
        if (atomic_load(&j->written) + j->nslots > b)
            return;
        pause_a_moment();
    }
    pthread_mutex_lock(&j->lock);
    atomic_fetch_add(&j->sleepers, 1);
    while (atomic_load(&j->written) + j->nslots <= b)
        pthread_cond_wait(&j->freed, &j->lock);
    atomic_fetch_sub(&j->sleepers, 1);
    pthread_mutex_unlock(&j->lock);
}

/* As the writer: every made block from the next one on, in order.
 * Returns the next block, not yet made (or nblocks). */
static size_t write_made(job *j)
{
    size_t w = atomic_load(&j->written);
    while (w < j->nblocks && atomic_load(&j->made[w % j->nslots]) == w + 1) {
        size_t k = w % j->nslots;
        if (j->err == 0)
            j->err = put(j, j->buf + k * j->block_max, j->len[k]);
        atomic_store(&j->written, ++w);
        if (atomic_load(&j->sleepers) > 0) {
            pthread_mutex_lock(&j->lock);
            pthread_cond_broadcast(&j->freed);
            pthread_mutex_unlock(&j->lock);
        }
    }
    return w;
}

/* Become the writer unless a thread is: that one then finds the block this
 * thread made, since it looks again after it stops being the writer. */
static void drain(job *j)
{
    for (;;) {
        if (atomic_exchange(&j->writing, 1) != 0)
            return;
        size_t w = write_made(j);
        atomic_store(&j->writing, 0);
        if (w >= j->nblocks || atomic_load(&j->made[w % j->nslots]) != w + 1)
            return;
    }
}

static void make_block(void *ctx, int tid, size_t b)
{
    (void)tid;
    job *j = ctx;
    size_t k = b % j->nslots;
    wait_for_slot(j, b);
    char *start = j->buf + k * j->block_max;
    j->len[k] = (size_t)(j->fn(j->ctx, b, start) - start);
    if (j->len[k] > j->block_max) /* the caller's bound was wrong: memory is already */
        abort();                  /* overwritten, no byte of it is written out */
    atomic_store(&j->made[k], b + 1);
    drain(j);
}

int gc_blocks_write(FILE *f, int nthreads, size_t nblocks, size_t block_max, gc_block_fn fn,
                    void *ctx)
{
    if (nblocks == 0)
        return GC_OK;
    if (fflush(f) != 0)
        return GC_EIO;
    int nt = gc_threads_resolve(nthreads);
    if ((size_t)nt > nblocks)
        nt = (int)nblocks;
    job j = {.f = f, .fd = fileno(f), .fn = fn, .ctx = ctx, .nblocks = nblocks,
             .nslots = (size_t)nt * SLOTS_PER_THREAD, .block_max = block_max};
    j.buf = malloc(j.nslots * block_max);
    j.len = calloc(j.nslots, sizeof *j.len);
    j.made = calloc(j.nslots, sizeof *j.made);
    int rc = GC_ENOMEM;
    if (j.buf != NULL && j.len != NULL && j.made != NULL) {
        for (size_t k = 0; k < j.nslots; k++)
            atomic_init(&j.made[k], 0);
        atomic_init(&j.written, 0);
        atomic_init(&j.writing, 0);
        atomic_init(&j.sleepers, 0);
        pthread_mutex_init(&j.lock, NULL);
        pthread_cond_init(&j.freed, NULL);
        gc_threads_for(nt, nblocks, 1, make_block, &j); /* complete even if a thread failed */
        pthread_mutex_destroy(&j.lock);
        pthread_cond_destroy(&j.freed);
        rc = j.err == 0 ? GC_OK : GC_EIO;
    }
    free(j.buf);
    free(j.len);
    free(j.made);
    if (rc == GC_EIO)
        errno = j.err;
    return rc;
}
