/*
 * check_dropout.c -- examples/dropout.c, a stochastic layer checked by seed
 * replay: it passes the layer check (every hygiene check included) at any
 * batch and seed, through the library, the Check assertion and the command;
 * its mask really drops units (the check is not of the identity); with no
 * generator it is the identity; and the mutant that draws a new mask in
 * backward (fixtures/mutants/layers/dropout_redraw.c) fails, in the library
 * (check_hygiene.c) and in the command (here).
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <string.h>

#include "cli_run.h"
#include "dropout.h"

START_TEST(test_dropout_passes_by_replay)
{
    for (int batch = 1; batch <= 4; batch++) {
        gc_layer *l = dropout_new(2 + batch, 0.5);
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.seed = (uint64_t)(10 + batch);
        gc_ck_assert_layer_gradients(l, batch, &o);
        gc_layer_free(l);
    }
}
END_TEST

/* With a generator about half the units are dropped (zero) and the others
 * scaled by 1 / (1 - p); the same seed gives the same mask; without one the
 * layer is the identity. */
START_TEST(test_dropout_mask)
{
    gc_layer *l = dropout_new(10, 0.5);
    gc_mat *X = gc_mat_new(10, 4), *Y = gc_mat_new(10, 4), *Y2 = gc_mat_new(10, 4);
    gc_mat_fill(X, 1.0);
    gc_pcg32 g;
    l->rng = &g;
    gc_pcg32_seed(&g, 5u, 6u);
    l->ops->forward(l, Y, X);
    int zeros = 0, twos = 0;
    for (size_t k = 0; k < gc_mat_size(Y); k++) {
        zeros += Y->data[k] == 0.0;
        twos += Y->data[k] == 2.0;
    }
    ck_assert_int_eq(zeros + twos, 40);
    ck_assert_msg(zeros >= 8 && twos >= 8, "%d dropped, %d kept of 40", zeros, twos);
    gc_pcg32_seed(&g, 5u, 6u);
    l->ops->forward(l, Y2, X);
    ck_assert(memcmp(Y->data, Y2->data, 40 * sizeof(double)) == 0);
    l->rng = NULL;
    l->ops->forward(l, Y, X);
    for (size_t k = 0; k < gc_mat_size(Y); k++)
        ck_assert(Y->data[k] == 1.0);
    ck_assert_ptr_null(dropout_new(3, 1.0));
    gc_mat_free(X);
    gc_mat_free(Y);
    gc_mat_free(Y2);
    gc_layer_free(l);
}
END_TEST

START_TEST(test_dropout_cli)
{
    char dir[256], good[600], bad[600];
    tmpdir_make(dir, sizeof dir);
    beside_bin(good, sizeof good, "examples/libdropout.so:dropout_plugin");
    beside_bin(bad, sizeof bad, "fixtures/liblayermutants.so:dropout_redraw_plugin");
    const char *pass[] = {"--layer", good, "--in", "5", "--batch", "3", NULL};
    const char *fail[] = {"--layer", bad, "--in", "5", "--batch", "3", "--no-hygiene", NULL};
    result r;
    run_ok(dir, pass, 0, &r);
    ck_assert_msg(strstr(r.out, "verdict: PASS") != NULL, "%s", r.out);
    result_free(&r);
    run_ok(dir, fail, 1, &r);
    ck_assert_msg(strstr(r.out, "element") != NULL && strstr(r.out, " fail ") != NULL, "%s",
                  r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_dropout_suite(void)
{
    Suite *s = suite_create("dropout");
    TCase *tc = tcase_create("replay");
    tcase_add_test(tc, test_dropout_passes_by_replay);
    tcase_add_test(tc, test_dropout_mask);
    tcase_add_test(tc, test_dropout_cli);
    suite_add_tcase(s, tc);
    return s;
}
