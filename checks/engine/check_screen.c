/*
 * check_screen.c -- the random-direction screen (lib/engine/screen.c) never
 * hides a bug: every mutant is still caught with the screen on, its blamed
 * tensors drilled into, and the correct twins pass.
 */
#include <check.h>
#include <gradcheck.h>

#include "engine_testutil.h"
#include "mutant_table.h"
#include "props/props.h"

#include <stdio.h>
#include <string.h>

/* Nonzero when `name` is a word of the space-separated list. */
static int blamed(const char *name, const char *list)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/* Loop index = mutant: on 10 standard networks, the fast engine (2 threads)
 * with the screen must still fail the report, drill down into every blamed
 * tensor (never mark it screened) and find failing elements there; the
 * correct twin must not fail, screened or not. */
START_TEST(test_mutants_caught_with_screen)
{
    const gc_mutant *m = mutants[_i];
    int screened_total = 0;
    for (int j = 0; j < 10; j++) {
        uint64_t seed = gc_ck_base_seed() * 1000u + 500u + (uint64_t)j;
        char desc[256];
        gc_error err = {0};
        for (int use = 1; use >= 0; use--) {
            gc_net *net = props_mutant_net(m, use, seed, desc, sizeof desc, &err);
            ck_assert_msg(net != NULL, "%s: seed %llu: %s", m->name, (unsigned long long)seed,
                          err.msg);
            gc_report *r = tu_check_with(net, GC_METHOD_CENTRAL, GC_ENGINE_FAST, 2, 1);
            ck_assert(r->opts.screen);
            for (int t = 0; t < r->ntensors; t++) {
                const gc_tensor_report *tr = &r->tensors[t];
                screened_total += tr->screened;
                if (use && blamed(tr->name, m->blame))
                    ck_assert_msg(!tr->screened && tr->nfail > 0,
                                  "mutant %s on %s (GC_SEED=%llu): %s %s with %d failures",
                                  m->name, desc, (unsigned long long)gc_ck_base_seed(), tr->name,
                                  tr->screened ? "was SCREENED (passed the screen)" : "drilled",
                                  tr->nfail);
                if (!use)
                    ck_assert_msg(tr->nfail == 0, "correct twin of %s on %s: %s fails", m->name,
                                  desc, tr->name);
            }
            if (use)
                ck_assert_msg(gc_report_failed(r), "mutant %s SURVIVED the screen on %s",
                              m->name, desc);
            gc_report_free(r);
            gc_net_free(net);
        }
    }
    /* The screen did skip work somewhere (else this test proves nothing
     * about it). */
    ck_assert_msg(screened_total > 0, "%s: the screen passed no tensor at all", m->name);
}
END_TEST

Suite *make_screen_suite(void)
{
    Suite *s = suite_create("screen");
    TCase *tc = tcase_create("mutants");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_mutants_caught_with_screen, 0, NMUTANTS);
    suite_add_tcase(s, tc);
    return s;
}
