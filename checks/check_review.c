/*
 * check_review.c -- regression tests for the findings of a code review:
 * each test pins one contract the code once broke (or could break) and
 * fails against the code before its fix.
 */
#include <check.h>
#include <gradcheck.h>
#include <core/threads.h>
#include <engine/fast.h>
#include <engine/screen.h>
#include <io/numfmt.h>
#include <report/rank.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_run.h"

/* A 2-3-1 dense/sigmoid network with mse, batch 2, parameters from seed 7. */
static gc_net *small_net(void)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 3), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 3, 0.0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 1), NULL), GC_OK);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 1);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    gc_mat *X = gc_mat_new(2, 2), *T = gc_mat_new(1, 2);
    ck_assert_ptr_nonnull(X);
    ck_assert_ptr_nonnull(T);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(&rng);
    for (size_t i = 0; i < gc_mat_size(T); i++)
        T->data[i] = gc_pcg32_normal(&rng);
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

/* The layer check always runs the reference engine (check.h), so its
 * report must say "reference" even when the options ask for the fast one
 * (the default): a report names what ran, in the struct and in every
 * writer. */
START_TEST(test_layer_check_reports_the_engine_that_ran)
{
    gc_layer *l = gc_dense_new(3, 2);
    ck_assert_ptr_nonnull(l);
    gc_check_opts o;
    gc_check_opts_init(&o);
    ck_assert_int_eq(o.engine, GC_ENGINE_FAST); /* the default asks for fast */
    o.screen = 1;                               /* a fast-engine option */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 2, &o, &r, NULL), GC_OK);
    ck_assert_msg(r->opts.engine == GC_ENGINE_REFERENCE,
                  "layer check report says engine '%s', the reference ran",
                  gc_engine_name(r->opts.engine));
    ck_assert_msg(!r->opts.screen, "layer check report says screen, none ran");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gc_report_write_json(r, f), GC_OK);
    fclose(f);
    ck_assert_msg(strstr(buf, "\"engine\": \"reference\"") != NULL, "JSON: %s", buf);
    free(buf);
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

/* gc_net_set_data copies X and T: handing it the network's own input and
 * targets (to re-set the same data, or to resize after gc_net_add) must
 * read them before the old cache is freed.  Before the fix it freed
 * act[0] and T first and then copied from the freed memory (ASan:
 * heap-use-after-free; plain: the first doubles read back as allocator
 * pointers). */
START_TEST(test_set_data_from_the_networks_own_buffers)
{
    gc_net *net = small_net();
    double x0[4], t0[2];
    memcpy(x0, net->act[0]->data, sizeof x0);
    memcpy(t0, net->T->data, sizeof t0);
    double L0 = gc_net_forward(net);
    gc_error err = {0};
    ck_assert_int_eq(gc_net_set_data(net, net->act[0], net->T, &err), GC_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(memcmp(&net->act[0]->data[i], &x0[i], sizeof x0[i]) == 0,
                      "x element %d: %.17g, was %.17g", i, net->act[0]->data[i], x0[i]);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(memcmp(&net->T->data[i], &t0[i], sizeof t0[i]) == 0,
                      "y element %d: %.17g, was %.17g", i, net->T->data[i], t0[i]);
    /* same data, same parameters: the same loss to the bit */
    double L1 = gc_net_forward(net);
    ck_assert_msg(memcmp(&L0, &L1, sizeof L0) == 0, "loss %.17g, was %.17g", L1, L0);
    gc_net_free(net);
}
END_TEST

/* A writer's GC_EIO must not depend on the stream's buffering: a report
 * smaller than stdio's buffer stays in it until a flush, and a writer that
 * only asked ferror returned GC_OK for a write that then failed.  /dev/full
 * fails every write with ENOSPC. */
START_TEST(test_writers_report_a_failed_write)
{
    static const char *const names[] = {"text", "json", "junit"};
    gc_net *net = small_net();
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    for (int w = 0; w < 3; w++) {
        FILE *f = fopen("/dev/full", "w");
        ck_assert_ptr_nonnull(f);
        int rc = w == 0 ? gc_report_write_text(r, f)
                        : w == 1 ? gc_report_write_json(r, f) : gc_report_write_junit(r, f);
        fclose(f);
        ck_assert_msg(rc == GC_EIO, "%s writer on /dev/full: %d, expected GC_EIO", names[w], rc);
    }
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* Exit status of `gradcheck ARG` with stdout on /dev/full (every write
 * fails with ENOSPC) and stderr discarded. */
static int gc_status_on_full_stdout(const char *arg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open("/dev/full", O_WRONLY), err = open("/dev/null", O_WRONLY);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        execl(gc_bin(), "gradcheck", arg, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* --help and --version print and exit 0 -- unless the printing failed:
 * then, like a report that could not be written, exit 2 (coreutils'
 * close_stdout rule: a help text lost to a full disk is an error). */
START_TEST(test_cli_help_and_version_fail_on_a_failed_write)
{
    ck_assert_int_eq(gc_status_on_full_stdout("--help"), 2);
    ck_assert_int_eq(gc_status_on_full_stdout("--version"), 2);
}
END_TEST

/* mat.h states what NULL does for every function: gc_mat_size(NULL) is 0
 * and gc_mat_fill(NULL, v) a no-op (both dereferenced NULL before). */
START_TEST(test_mat_null_contracts)
{
    ck_assert_uint_eq(gc_mat_size(NULL), 0);
    gc_mat_fill(NULL, 1.0);
    gc_mat_free(NULL);
    ck_assert_ptr_null(gc_mat_dup(NULL));
    gc_mat *m = gc_mat_new(2, 3);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(gc_mat_copy(m, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_mat_copy(NULL, m), GC_EINVAL);
    ck_assert_uint_eq(gc_mat_size(m), 6);
    gc_mat_free(m);
}
END_TEST

/* gc_check_layer keeps its targets in arrays of GC_LAYER_MAX_PARAMS + 1:
 * a hand-built layer claiming more parameters must be refused, not written
 * past the arrays (it was: a stack overflow). */
START_TEST(test_layer_check_refuses_too_many_params)
{
    gc_layer *l = gc_dense_new(2, 2);
    ck_assert_ptr_nonnull(l);
    int keep = l->nparams;
    l->nparams = GC_LAYER_MAX_PARAMS + 1;
    gc_report *r = NULL;
    gc_error err = {0};
    int rc = gc_check_layer(l, 1, NULL, &r, &err);
    l->nparams = keep;
    ck_assert_int_eq(rc, GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "parameters") != NULL, "err: %s", err.msg);
    gc_layer_free(l);
}
END_TEST

/* gc_net_add numbers a layer's parameters in an array of
 * GC_LAYER_MAX_PARAMS names: a hand-built layer claiming more is refused
 * (GC_EINVAL, and freed: the network takes it even on failure), not written
 * past the array. */
START_TEST(test_net_add_refuses_too_many_params)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    gc_layer *l = gc_dense_new(2, 2);
    ck_assert_ptr_nonnull(l);
    /* gc_net_add frees the storage of the GC_LAYER_MAX_PARAMS slots
     * param[] has (here the two real tensors): nothing leaks, nothing is
     * freed twice (make sanitize and make valgrind check both) */
    l->nparams = GC_LAYER_MAX_PARAMS + 1;
    gc_error err = {0};
    ck_assert_int_eq(gc_net_add(net, l, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "parameters") != NULL, "err: %s", err.msg);
    ck_assert_int_eq(net->nlayers, 0);
    gc_net_free(net);
}
END_TEST

/* Options are validated as a whole: an unknown engine was run as the
 * reference (and reported so) and a negative thread count as "all cores",
 * where an unknown method or a negative sample is GC_EINVAL. */
START_TEST(test_check_refuses_unknown_engine_and_negative_threads)
{
    gc_net *net = small_net();
    gc_report *r = NULL;
    gc_error err = {0};
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.engine = (gc_engine)7;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "engine") != NULL, "err: %s", err.msg);
    gc_check_opts_init(&o);
    o.threads = -1;
    ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, "threads") != NULL, "err: %s", err.msg);
    gc_net_free(net);
}
END_TEST

/* Machine formats write '.' in every locale: printf's %g and %e write
 * LC_NUMERIC's decimal point, so a program that set LC_NUMERIC to de_DE
 * got "0,5" in JUnit XML.  The writers (JUnit, netfile) pass every number
 * through gc_numfmt_point: tested here with ',' as the point (no comma
 * locale needs to exist), and on the JUnit writer itself when the machine
 * has a comma locale (the test's machine may have only C and POSIX). */
START_TEST(test_numbers_use_a_point_in_every_locale)
{
    static const char *const in[] = {"0,5", "-1,25e-07", "1e+06", "nan", "-inf", "3"};
    static const char *const out[] = {"0.5", "-1.25e-07", "1e+06", "nan", "-inf", "3"};
    for (int i = 0; i < 6; i++) {
        char buf[32];
        strcpy(buf, in[i]);
        gc_numfmt_point(buf, ",");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with ',' as point: '%s', expected '%s'",
                      in[i], buf, out[i]);
        strcpy(buf, out[i]);
        gc_numfmt_point(buf, ".");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with '.' as point: '%s'", out[i], buf);
    }
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL; /* the name we asked for (setlocale's own string is overwritten) */
    for (int i = 0; i < 4 && got == NULL; i++)
        if (setlocale(LC_NUMERIC, comma[i]) != NULL)
            got = comma[i];
    if (got == NULL || strcmp(localeconv()->decimal_point, ",") != 0) {
        setlocale(LC_NUMERIC, "C");
        return; /* no comma locale on this machine: the helper's test above */
    }
    gc_net *net = small_net();
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.eps = 0.5e-6;
    o.rtol = 0.25; /* mse's gradient is right: no failure, properties only */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    int rc = gc_report_write_junit(r, f);
    fclose(f);
    setlocale(LC_NUMERIC, "C");
    ck_assert_int_eq(rc, GC_OK);
    ck_assert_msg(strstr(buf, "name=\"eps\" value=\"5e-07\"") != NULL, "eps in %s: %s", got, buf);
    ck_assert_msg(strstr(buf, "name=\"rtol\" value=\"0.25\"") != NULL, "rtol in %s: %s", got, buf);
    free(buf);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

Suite *make_review_suite(void)
{
    Suite *s = suite_create("review");
    TCase *tc = tcase_create("review");
    tcase_add_test(tc, test_layer_check_reports_the_engine_that_ran);
    tcase_add_test(tc, test_set_data_from_the_networks_own_buffers);
    tcase_add_test(tc, test_writers_report_a_failed_write);
    tcase_add_test(tc, test_cli_help_and_version_fail_on_a_failed_write);
    tcase_add_test(tc, test_mat_null_contracts);
    tcase_add_test(tc, test_layer_check_refuses_too_many_params);
    tcase_add_test(tc, test_net_add_refuses_too_many_params);
    tcase_add_test(tc, test_check_refuses_unknown_engine_and_negative_threads);
    tcase_add_test(tc, test_numbers_use_a_point_in_every_locale);
    suite_add_tcase(s, tc);
    return s;
}
