/*
 * heap.c -- the memory policy of a process that runs one check.
 *
 * glibc's malloc maps each block over 128 KiB (more once one is freed) on
 * its own pages and unmaps it when freed, so every large array (a weights
 * archive, a tensor's scratch) is fresh memory the kernel faults in and
 * zeroes page by page.  One process runs one check: blocks up to 32 MiB
 * come from the heap, and freed memory stays there for the next block.
 *
 * The heap's next HEAP_HUGE bytes, the whole 2 MiB pages of them, are then
 * advised for transparent huge pages: the kernel faults in and zeroes
 * 2 MiB at a time where a check's arrays are first written, not 4 KiB (one
 * fault for 512), and frees as few pages at exit.  A hint: where huge
 * pages are off or short, the kernel gives small ones.  (The page faults
 * and times: bench/README.md.)
 */
#define _DEFAULT_SOURCE /* madvise's MADV_HUGEPAGE */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#ifdef __linux__
#include <sys/mman.h>
#endif

/* Below malloc's mmap threshold (32 MiB here), so the block is the heap's;
 * the bytes a chunk header or two take, and more. */
enum { HEAP_HUGE = 30 << 20, HUGE_PAGE = 2 << 20, CHUNK_HEADERS = 64 };

/* One block of HEAP_HUGE bytes, advised and freed at once: its memory is
 * the heap's top, where the next blocks come from.  The bytes below its
 * first whole huge page are then taken by one block that is never written
 * (so it costs no memory), which puts the next block at that page's start:
 * that block is returned.  AddressSanitizer's allocator has no heap top. */
static void *heap_on_huge_pages(void)
{
#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE) && \
    !defined(__SANITIZE_ADDRESS__)
    char *p = malloc(HEAP_HUGE);
    if (p == NULL)
        return NULL;
    uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t to = ((uintptr_t)p + HEAP_HUGE) & ~(uintptr_t)(HUGE_PAGE - 1);
    int advised = to > from && madvise((void *)from, to - from, MADV_HUGEPAGE) == 0;
    free(p);
    if (advised && from - (uintptr_t)p > CHUNK_HEADERS)
        return malloc(from - (uintptr_t)p - CHUNK_HEADERS);
#endif
    return NULL;
}

void *cli_heap_for_one_check(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    return heap_on_huge_pages();
}
