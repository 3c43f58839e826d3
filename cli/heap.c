/*
 * heap.c -- the memory policy of a process that runs one check.
 *
 * glibc's malloc maps each block over 128 KiB (more once one is freed) on
 * its own pages and unmaps it when freed, so every large array (a weights
 * archive, a tensor's scratch) is fresh memory the kernel faults in and
 * zeroes page by page.  One process runs one check: blocks up to 32 MiB
 * come from the heap, and freed memory stays there for the next block.
 *
 * The heap's next CLI_HEAP_HUGE bytes, past its next CLI_HEAP_SMALL, are
 * then advised for transparent huge pages (their whole 2 MiB pages): the kernel faults in and zeroes
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

enum { HUGE_PAGE = 2 << 20, CHUNK_HEADERS = 64 };

/* One block of CLI_HEAP_HUGE bytes (below malloc's mmap threshold, so the
 * heap's), advised and freed at once: its memory is the heap's top, where
 * the next blocks come from.  Its first CLI_HEAP_SMALL bytes and more, up
 * to a whole huge page, stay small pages: a process that allocates little
 * (--help, a small network) touches a few of them, not one 2 MiB page to
 * zero.  The bytes below those are taken by one block that is never
 * written (so it costs no memory), which puts the next block
 * CLI_HEAP_SMALL bytes below the first huge page: that block is returned.
 * AddressSanitizer's allocator has no heap top. */
static void *heap_on_huge_pages(void)
{
#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE) && \
    !defined(__SANITIZE_ADDRESS__)
    char *p = malloc(CLI_HEAP_HUGE);
    if (p == NULL)
        return NULL;
    uintptr_t huge = (uintptr_t)HUGE_PAGE - 1;
    uintptr_t from = ((uintptr_t)p + CLI_HEAP_SMALL + huge) & ~huge;
    uintptr_t to = ((uintptr_t)p + CLI_HEAP_HUGE) & ~huge;
    int advised = to > from && madvise((void *)from, to - from, MADV_HUGEPAGE) == 0;
    free(p);
    size_t below = from - CLI_HEAP_SMALL - (uintptr_t)p;
    if (advised && below > CHUNK_HEADERS)
        return malloc(below - CHUNK_HEADERS);
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
