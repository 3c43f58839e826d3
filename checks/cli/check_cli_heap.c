/*
 * check_cli_heap.c -- the command's memory policy (cli/heap.c): after
 * cli_heap_for_one_check, a large block comes from the heap (not a mapping
 * of its own), CLI_HEAP_SMALL bytes below the start of memory advised for
 * transparent huge pages, which it reaches into, and the advised memory is
 * CLI_HEAP_HUGE less the small pages and two partial huge pages or more.
 *
 * Twice: wherever the heap's top happens to be, and with it put just below
 * a huge page's start.  Where malloc is not glibc's on the brk heap
 * (valgrind, AddressSanitizer) or the kernel has no transparent huge
 * pages, a test says it skipped.  Each runs in its own process (Check's
 * fork), where changing malloc's settings touches no other test.
 */
#include <check.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* A mapping of this process, from /proc/self/smaps. */
typedef struct vma {
    uintptr_t start, end;
    int heap;         /* labelled [heap]: the brk heap */
    int huge_advised; /* VmFlags has "hg": madvise(MADV_HUGEPAGE) */
} vma;

/* The mapping that holds address a; 0 when none does. */
static int vma_of(uintptr_t a, vma *out)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    ck_assert_msg(f != NULL, "cannot open /proc/self/smaps");
    char line[512];
    vma cur = {0};
    int found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx ", &s, &e) == 2) { /* a mapping's first line */
            if (found)
                break;
            cur = (vma){.start = s, .end = e, .heap = strstr(line, "[heap]") != NULL};
            found = a >= s && a < e;
        } else if (found && strncmp(line, "VmFlags:", 8) == 0) {
            cur.huge_advised = strstr(line, " hg") != NULL;
        }
    }
    fclose(f);
    *out = cur;
    return found;
}

/* Whether this process's malloc is glibc's on the brk heap and the kernel
 * has transparent huge pages; says why not on stderr, for test `name`. */
static int policy_applies(const char *name)
{
    vma m;
    void *probe = malloc(64);
    int brk_heap = probe != NULL && vma_of((uintptr_t)probe, &m) && m.heap;
    free(probe);
    if (brk_heap && access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
        return 1;
    fprintf(stderr, "%s: skipped: %s\n", name,
            !brk_heap ? "malloc is not glibc's on the brk heap here"
                      : "the kernel has no transparent huge pages");
    return 0;
}

/* cli_heap_for_one_check, then a 1 MiB block (above malloc's default mmap
 * threshold, 128 KiB): on the heap, CLI_HEAP_SMALL bytes below the start
 * of the advised memory (give or take a chunk header's bytes), and the
 * advised memory CLI_HEAP_HUGE less the small pages and at most one
 * partial huge page on each side. */
static void check_policy(void)
{
    vma m;
    void *below = cli_heap_for_one_check();
    char *block = malloc(1 << 20);
    ck_assert_ptr_nonnull(block);
    ck_assert_msg(vma_of((uintptr_t)block + (1 << 20) - 1, &m), "block's end not mapped");
    ck_assert_msg(m.heap, "a 1 MiB block is not on the heap (%#lx-%#lx)", (unsigned long)m.start,
                  (unsigned long)m.end);
    ck_assert_msg(m.huge_advised, "the heap at the 1 MiB block is not advised for huge pages");
    size_t least = CLI_HEAP_HUGE - CLI_HEAP_SMALL - 2 * (2u << 20);
    ck_assert_msg(m.end - m.start >= least, "only %lu bytes advised, %zu expected",
                  (unsigned long)(m.end - m.start), least);
    uintptr_t at = m.start - CLI_HEAP_SMALL;
    ck_assert_msg((uintptr_t)block + 64 >= at && (uintptr_t)block < at + 64,
                  "the block at %p, %lu bytes below the advised memory, not %d", (void *)block,
                  (unsigned long)(m.start - (uintptr_t)block), CLI_HEAP_SMALL);
    free(block);
    free(below);
}

/* Wherever the heap's top happens to be. */
START_TEST(test_heap_blocks_on_huge_pages)
{
    if (policy_applies("test_heap_blocks_on_huge_pages"))
        check_policy();
}
END_TEST

/* The heap's top 128 KiB below a huge page's start (a filler block held
 * meanwhile): the small pages must reach past that page, to the next. */
START_TEST(test_heap_small_pages_past_a_near_huge_page)
{
    if (!policy_applies("test_heap_small_pages_past_a_near_huge_page"))
        return;
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* the fillers from the heap's top */
    size_t huge = 2u << 20, want = 128u << 10;
    char *first = malloc(256u << 10);
    ck_assert_ptr_nonnull(first);
    uintptr_t top = (uintptr_t)first + (256u << 10);
    size_t gap = (size_t)(((top + huge - 1) & ~(uintptr_t)(huge - 1)) - top);
    char *filler = malloc(gap > want + 4096 ? gap - want : gap + huge - want);
    ck_assert_ptr_nonnull(filler);
    check_policy();
    free(filler);
    free(first);
}
END_TEST

Suite *make_cli_heap_suite(void)
{
    Suite *s = suite_create("cli_heap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_heap_blocks_on_huge_pages);
    tcase_add_test(tc, test_heap_small_pages_past_a_near_huge_page);
    suite_add_tcase(s, tc);
    return s;
}
