/*
 * check_expect.c -- `gradcheck --expect FILE` driven as a user drives it:
 * the committed PyTorch references pass, the spoiled ones of
 * fixtures/expect/ exit 1 naming the tensor and the comparison that
 * failed, and a file that does not fit the network exits 2 with one line
 * naming the tensor.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "testutil.h"

static void fixture(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", tu_fixtures(), rel);
}

START_TEST(test_cli_expect_reference_passes)
{
    char dir[512], net[1024], ref[1024];
    tmpdir_make(dir, sizeof dir);
    fixture(net, sizeof net, "nets/tanh_bce_batch.json");
    fixture(ref, sizeof ref, "ref/tanh_bce_batch.json");
    const char *args[] = {"--net", net, "--expect", ref, "--inputs", NULL};
    result r;
    run_ok(dir, args, 0, &r);
    ck_assert_msg(strstr(r.out, "\nexpect: PASS (the loss and 41 gradient elements") != NULL,
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "verdict: PASS") != NULL, "%s", r.out);
    ck_assert_msg(has_table_row(r.out, "x", "3x5"), "%s", r.out);
    result_free(&r);
    /* without --inputs the file's x is listed, not compared */
    const char *args2[] = {"--net", net, "--expect", ref, NULL};
    run_ok(dir, args2, 0, &r);
    ck_assert_msg(strstr(r.out, "not compared (not checked in this run): x\n") != NULL, "%s",
                  r.out);
    result_free(&r);
    /* --inputs with a file that lacks x: exit 2 before any check */
    char path[1024];
    snprintf(path, sizeof path, "%s/nox.json", dir);
    spit(path, "{\"tool\": \"t\", \"dtype\": \"float64\", \"loss\": 1, \"grad\": "
         "{\"W1\": [[1,2,3],[4,5,6],[7,8,9],[1,2,3]], \"b1\": [1,2,3,4], \"W2\": "
         "[[1,2,3,4],[5,6,7,8]], \"b2\": [1,2]}}\n");
    const char *args3[] = {"--net", net, "--expect", path, "--inputs", NULL};
    run_gc(dir, args3, &r);
    assert_rejected(&r, args3, "grad has no x, and the check includes the input", 0);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_cli_expect_tool_1pct_off_exits_1_naming_it)
{
    char dir[512], net[1024], ref[1024];
    tmpdir_make(dir, sizeof dir);
    fixture(net, sizeof net, "nets/classic.json");
    fixture(ref, sizeof ref, "expect/classic_W1_1pct.json");
    const char *args[] = {"--net", net, "--expect", ref, NULL};
    result r;
    run_ok(dir, args, 1, &r);
    ck_assert_msg(strstr(r.out, "expect: FAIL: W1: the finite difference refutes the tool's "
                         "gradient and confirms gradcheck's backprop: the tool's backward is "
                         "wrong\n") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\nW1        (0,0) ") != NULL, "element not listed: %s", r.out);
    ck_assert_msg(strstr(r.out, "expect: FAIL: b1") == NULL, "%s", r.out);
    /* gradcheck's own verdict is still a pass */
    ck_assert_msg(strstr(r.out, "verdict: PASS") != NULL, "%s", r.out);
    result_free(&r);

    char path[1024];
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *jargs[] = {"--net", net, "--expect", ref, "--format", "json", "-o", path, NULL};
    run_ok(dir, jargs, 1, &r);
    json_eq(dir, path, "d['verdict']", "fail");
    json_eq(dir, path, "d['totals']['fail']", "0");
    json_eq(dir, path, "[(t['name'], t['blame']) for t in d['expect']['tensors']]",
            "[('W1', 'tool'), ('b1', 'none'), ('W2', 'none'), ('b2', 'none')]");
    json_eq(dir, path, "[(w['tensor'], w['row'], w['col'], w['tool_agrees']) for w in "
            "d['expect']['rows']]", "[('W1', 0, 0, False)]");
    json_eq(dir, path, "d['expect']['loss']['agree']", "True");
    result_free(&r);

    const char *xargs[] = {"--net", net, "--expect", ref, "--format", "junit", NULL};
    run_ok(dir, xargs, 1, &r);
    ck_assert_msg(strstr(r.out, "<testsuite name=\"gradcheck-expect\" tests=\"5\" "
                         "failures=\"1\"") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "<testcase classname=\"gradcheck-expect\" name=\"W1\">\n"
                         "      <failure type=\"tool\" message=\"W1: 1 tool vs fd disagree")
                  != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "<testcase classname=\"gradcheck-expect\" name=\"loss\"/>")
                  != NULL, "%s", r.out);
    /* gradcheck's own suite is still there, passing */
    ck_assert_msg(strstr(r.out, "<testsuite name=\"gradcheck\" tests=\"4\" failures=\"0\"")
                  != NULL, "%s", r.out);
    snprintf(path, sizeof path, "%s/r.xml", dir);
    spit(path, r.out);
    result_free(&r);
    const char *lint[] = {"xmllint", "--noout", path, NULL};
    run_prog(dir, "xmllint", lint, &r);
    ck_assert_msg(r.status == 0, "xmllint --noout: exit %d: %s", r.status, r.err);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_cli_expect_transposed_export_exits_1_blaming_the_export)
{
    char dir[512], net[1024], ref[1024];
    tmpdir_make(dir, sizeof dir);
    fixture(net, sizeof net, "expect/elu_softplus_W2_transposed.json");
    fixture(ref, sizeof ref, "ref/elu_default_softplus_mse.json");
    const char *args[] = {"--net", net, "--expect", ref, NULL};
    result r;
    run_ok(dir, args, 1, &r);
    ck_assert_msg(strstr(r.out, "expect: FAIL: loss: tool 0.4429216208, gradcheck "
                         "0.4122098465") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "the network file is not the tool's function") != NULL, "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "loss: tool 0.442921620") != NULL, "%s", r.out);
    result_free(&r);
    const char *xargs[] = {"--net", net, "--expect", ref, "--format", "junit", NULL};
    run_ok(dir, xargs, 1, &r);
    ck_assert_msg(strstr(r.out, "name=\"loss\">\n      <failure type=\"export\"") != NULL, "%s",
                  r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Files that do not fit: exit 2, one line naming the tensor. */
static const struct { const char *grad; const char *want; } MISFIT[] = {
    {"\"W1\": [[1,2],[3,4]], \"b1\": [1,2], \"W2\": [[1,2]]",
     ": grad has no b2 (the file has W1 b1 W2)"},
    {"\"W1\": [[1,2,3],[4,5,6]], \"b1\": [1,2], \"W2\": [[1,2]], \"b2\": [1]",
     ": grad.W1: expected 2x2, got 2x3"},
    {"\"W1\": [[1,2],[3,4]], \"b1\": [1,2], \"W2\": [[1,2]], \"b2\": [1], \"W3\": [[1]]",
     ": grad.W3: no such tensor in the network"},
    {"\"W1\": [[1,\"a\"],[3,4]]", ": grad.W1[0][1]: expected a number"},
};

START_TEST(test_cli_expect_misfit_exits_2)
{
    char dir[512], net[1024], path[1024], text[512];
    tmpdir_make(dir, sizeof dir);
    fixture(net, sizeof net, "nets/classic.json");
    snprintf(path, sizeof path, "%s/e.json", dir);
    snprintf(text, sizeof text, "{\"tool\": \"t\", \"dtype\": \"float64\", \"loss\": 1, "
             "\"grad\": {%s}}\n", MISFIT[_i].grad);
    spit(path, text);
    const char *args[] = {"--net", net, "--expect", path, NULL};
    result r;
    run_gc(dir, args, &r);
    char want[1400];
    snprintf(want, sizeof want, "gradcheck: --expect: %s%s", path, MISFIT[_i].want);
    assert_rejected(&r, args, want, _i);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

START_TEST(test_cli_expect_flag_conflicts)
{
    char dir[512], ref[1024];
    tmpdir_make(dir, sizeof dir);
    fixture(ref, sizeof ref, "ref/classic.json");
    static const char *const want[] = {
        "gradcheck: --expect: applies to a network (--net or --arch), not to --layer",
        "gradcheck: --expect: compares every checked element, and --screen checks no element",
        "gradcheck: --expect: /nonexistent.json: cannot open: ",
        "gradcheck: --expect: expected a file name, got ''",
        "gradcheck: --expect: missing argument",
    };
    const char *rows[][8] = {
        {"--layer", "sigmoid", "--in", "2", "--expect", ref, NULL},
        {"--arch", "2-3-1", "--expect", ref, "--screen", NULL},
        {"--arch", "2-3-1", "--expect", "/nonexistent.json", NULL},
        {"--arch", "2-3-1", "--expect", "", NULL},
        {"--arch", "2-3-1", "--expect", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        result r;
        run_gc(dir, rows[i], &r);
        assert_rejected(&r, rows[i], want[i], (int)i);
        result_free(&r);
    }
    tmpdir_remove(dir);
}
END_TEST

Suite *make_cli_expect_suite(void)
{
    Suite *s = suite_create("cli_expect");
    TCase *tc = tcase_create("expect");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cli_expect_reference_passes);
    tcase_add_test(tc, test_cli_expect_tool_1pct_off_exits_1_naming_it);
    tcase_add_test(tc, test_cli_expect_transposed_export_exits_1_blaming_the_export);
    tcase_add_loop_test(tc, test_cli_expect_misfit_exits_2, 0,
                        (int)(sizeof MISFIT / sizeof MISFIT[0]));
    tcase_add_test(tc, test_cli_expect_flag_conflicts);
    suite_add_tcase(s, tc);
    return s;
}
