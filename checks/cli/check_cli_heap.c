/*
 * check_cli_heap.c -- the command's memory policy (cli/heap.c): after
 * cli_heap_for_one_check, a large block comes from the heap (not a mapping
 * of its own), and it lies in memory advised for transparent huge pages,
 * at the start of it, with at least 28 MiB advised (the 30 MiB block less
 * at most one partial 2 MiB page below its first whole one).
 *
 * Where malloc is not glibc's on the brk heap (valgrind, AddressSanitizer)
 * or the kernel has no transparent huge pages, the test says it skipped.
 * It runs in its own process (Check's fork), where changing malloc's
 * settings touches no other test.
 */
#include <check.h>

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

START_TEST(test_heap_blocks_on_huge_pages)
{
    vma m;
    void *probe = malloc(64);
    int brk_heap = probe != NULL && vma_of((uintptr_t)probe, &m) && m.heap;
    free(probe);
    if (!brk_heap || access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) {
        fprintf(stderr, "test_heap_blocks_on_huge_pages: skipped: %s\n",
                !brk_heap ? "malloc is not glibc's on the brk heap here"
                          : "the kernel has no transparent huge pages");
        return;
    }
    void *below = cli_heap_for_one_check();
    /* 1 MiB: above malloc's default mmap threshold (128 KiB) */
    char *block = malloc(1 << 20);
    ck_assert_ptr_nonnull(block);
    ck_assert_msg(vma_of((uintptr_t)block + (1 << 20) - 1, &m), "block's end not mapped");
    ck_assert_msg(m.heap, "a 1 MiB block is not on the heap (%#lx-%#lx)", (unsigned long)m.start,
                  (unsigned long)m.end);
    ck_assert_msg(m.huge_advised, "the heap at the 1 MiB block is not advised for huge pages");
    ck_assert_msg(m.end - m.start >= (28u << 20), "only %lu bytes advised",
                  (unsigned long)(m.end - m.start));
    /* the block starts at the advised memory's start (its chunk header
     * may lie in the small page below) */
    ck_assert_msg((uintptr_t)block + 64 >= m.start && (uintptr_t)block < m.start + 64,
                  "the block at %p, the advised memory from %#lx", (void *)block,
                  (unsigned long)m.start);
    free(block);
    free(below);
}
END_TEST

Suite *make_cli_heap_suite(void)
{
    Suite *s = suite_create("cli_heap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_heap_blocks_on_huge_pages);
    suite_add_tcase(s, tc);
    return s;
}
