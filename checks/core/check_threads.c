/*
 * check_threads.c -- the thread pool (lib/core/threads.c) visits every index
 * exactly once at any thread count; 0 threads means all cores, or fewer when
 * the work is small.
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

/* The default count follows the work: one thread below two shares, no more
 * threads than shares, never more than the cores; an asked-for count is
 * kept whatever the work. */
START_TEST(test_threads_for_work)
{
    const int cores = gc_threads_resolve(0);
    ck_assert_int_eq(gc_threads_for_work(0, 0.0, 100.0), 1);
    ck_assert_int_eq(gc_threads_for_work(0, 199.0, 100.0), 1);
    ck_assert_int_eq(gc_threads_for_work(0, 250.0, 100.0), cores >= 2 ? 2 : 1);
    ck_assert_int_eq(gc_threads_for_work(0, 1e12, 100.0), cores);
    ck_assert_int_eq(gc_threads_for_work(0, 100.0 * cores, 100.0), cores);
    ck_assert_int_eq(gc_threads_for_work(3, 1.0, 100.0), 3);
    ck_assert_int_eq(gc_threads_for_work(1, 1e12, 100.0), 1);
    /* a NaN or negative work or share cannot ask for fewer than one thread */
    ck_assert_int_ge(gc_threads_for_work(0, -1.0, 100.0), 1);
    ck_assert_int_ge(gc_threads_for_work(0, 1.0, 0.0), 1);
}
END_TEST

Suite *make_threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, test_threads_visit_every_index_once);
    tcase_add_test(tc, test_threads_for_work);
    suite_add_tcase(s, tc);
    return s;
}
