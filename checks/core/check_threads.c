/*
 * check_threads.c -- the thread pool (lib/core/threads.c) visits every index
 * exactly once at any thread count; 0 threads means all cores.
 */
#include <check.h>
#include <gradcheck.h>
#include <core/threads.h>

#include <stdatomic.h>
#include <stdlib.h>

typedef struct visits {
    atomic_int *count;
} visits;

static void visit(void *ctx, int tid, size_t i)
{
    (void)tid;
    atomic_fetch_add(&((visits *)ctx)->count[i], 1);
}

START_TEST(test_threads_visit_every_index_once)
{
    static const int nthreads[] = {1, 2, 3, 8};
    static const size_t sizes[] = {0, 1, 7, 1000};
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++) {
            size_t n = sizes[b];
            visits v = {calloc(n + 1, sizeof(atomic_int))};
            ck_assert_int_eq(gc_threads_for(nthreads[a], n, 3, visit, &v), GC_OK);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(atomic_load(&v.count[i]) == 1,
                              "%d threads, n=%zu: index %zu visited %d times", nthreads[a], n, i,
                              atomic_load(&v.count[i]));
            free(v.count);
        }
    ck_assert_int_ge(gc_threads_resolve(0), 1);
    ck_assert_int_eq(gc_threads_resolve(3), 3);
}
END_TEST

Suite *make_threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, test_threads_visit_every_index_once);
    suite_add_tcase(s, tc);
    return s;
}
