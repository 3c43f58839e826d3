/*
 * check_shard.c -- `gradcheck --shard K/N` and `gradcheck merge`, driven as
 * a user drives them (env GC_BIN): for every case of split_cases.h and N =
 * 1, 2, 3, 7, the N shards' JSON merged (given in reverse order) print
 * exactly the bytes of the unsplit check in text, JSON and JUnit, with its
 * exit status; the shards' JUnit reports together list every tensor's
 * elements once; each shard says it is one in every format; and merge
 * refuses, exit 2 and one line, parts that do not make one check.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_run.h"
#include "split_cases.h"

static const char *const formats[] = {"text", "json", "junit"};

/* gradcheck <case c> extra..., asserting its exit status and a silent
 * stderr; the output in *r. */
static void run_case(const char *dir, int c, const char *const *extra, int status, result *r)
{
    const char *argv[CLI_RUN_MAX_ARGS + 1];
    split_args(c, extra, argv);
    run_gc(dir, argv, r);
    ck_assert_msg(r->status == status && r->err[0] == '\0', "%s %s...: exit %d (want %d): %s",
                  split_name(c), extra[0] != NULL ? extra[0] : "", r->status, status, r->err);
}

/* Shard k/n of case c as JSON into dir/s<k>.json. */
static void write_shard(const char *dir, int c, int k, int n, char *path, size_t size)
{
    char spec[32];
    result r;
    snprintf(spec, sizeof spec, "%d/%d", k, n);
    snprintf(path, size, "%s/s%d.json", dir, k);
    const char *extra[] = {"--shard", spec, "--format", "json", "-o", path, NULL};
    /* a shard's status is its own rows' (a failing or undecided row may sit
     * elsewhere): 0, 1 or 3 */
    const char *argv[CLI_RUN_MAX_ARGS + 1];
    split_args(c, extra, argv);
    run_gc(dir, argv, &r);
    ck_assert_msg((r.status == 0 || r.status == 1 || r.status == 3) && r.err[0] == '\0',
                  "%s --shard %s: exit %d: %s", split_name(c), spec, r.status, r.err);
    result_free(&r);
}

/* The heart of it: merged shards are the whole report, byte for byte. */
START_TEST(test_shard_merge_is_whole)
{
    static const int ways[] = {1, 2, 3, 7};
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    int c = _i;
    result whole[3];
    for (int f = 0; f < 3; f++) {
        const char *extra[] = {"--format", formats[f], NULL};
        run_case(dir, c, extra, split_status(c), &whole[f]);
    }
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        int n = ways[w];
        char paths[7][300];
        for (int k = 1; k <= n; k++)
            write_shard(dir, c, k, n, paths[k - 1], sizeof paths[k - 1]);
        for (int f = 0; f < 3; f++) {
            const char *argv[16] = {"merge", "--format", formats[f]};
            int a = 3;
            for (int k = n; k >= 1; k--) /* any order */
                argv[a++] = paths[k - 1];
            argv[a] = NULL;
            result m;
            run_gc(dir, argv, &m);
            ck_assert_msg(m.status == split_status(c) && m.err[0] == '\0',
                          "%s: merge of %d shards (%s): exit %d: %s", split_name(c), n,
                          formats[f], m.status, m.err);
            ck_assert_msg(m.out_len == whole[f].out_len &&
                              memcmp(m.out, whole[f].out, m.out_len) == 0,
                          "%s: %d shards merged (%s) differ from the whole check: %s",
                          split_name(c), n, formats[f],
                          split_diff(whole[f].out, whole[f].out_len, m.out, m.out_len));
            result_free(&m);
        }
    }
    for (int f = 0; f < 3; f++)
        result_free(&whole[f]);
    tmpdir_remove(dir);
}
END_TEST

/* The JUnit reports of all shards list each tensor in exactly the shards
 * that checked elements of it (a screened one in shard 1), and their
 * element counts add up to the whole check's: every element once. */
START_TEST(test_shard_junit_covers_once)
{
    static const char script[] =
        "import json, sys, xml.etree.ElementTree as ET\n"
        "n = int(sys.argv[1]); whole = json.load(open(sys.argv[2]))\n"
        "got = {t['name']: 0 for t in whole['tensors']}\n"
        "for k in range(1, n + 1):\n"
        "    d = json.load(open(sys.argv[2 + k]))\n"
        "    cases = [t.get('name') for t in ET.parse(sys.argv[2 + n + k]).iter('testcase')]\n"
        "    want = [t['name'] for t in d['tensors'] if t['checked'] > 0 or (t['screened'] and k == 1)]\n"
        "    assert cases == want, (k, cases, want)\n"
        "    for t in d['tensors']: got[t['name']] += t['checked']\n"
        "    assert d['shard']['index'] == k and d['shard']['count'] == n\n"
        "for t in whole['tensors']: assert got[t['name']] == t['checked'], (t['name'], got)\n"
        "print('ok')\n";
    char dir[256], wpath[300], jpaths[3][300], xpaths[3][300], spec[16];
    tmpdir_make(dir, sizeof dir);
    for (int c = 0; c < SPLIT_NCASES; c++) {
        result r;
        snprintf(wpath, sizeof wpath, "%s/whole.json", dir);
        const char *extra[] = {"--format", "json", "-o", wpath, NULL};
        run_case(dir, c, extra, split_status(c), &r);
        result_free(&r);
        for (int k = 1; k <= 3; k++) {
            write_shard(dir, c, k, 3, jpaths[k - 1], sizeof jpaths[k - 1]);
            snprintf(spec, sizeof spec, "%d/3", k);
            snprintf(xpaths[k - 1], sizeof xpaths[k - 1], "%s/s%d.xml", dir, k);
            const char *argv[CLI_RUN_MAX_ARGS + 1];
            const char *x[] = {"--shard", spec, "--format", "junit", "-o", xpaths[k - 1], NULL};
            split_args(c, x, argv);
            run_gc(dir, argv, &r);
            ck_assert_msg(r.status != 2, "%s --shard %s: %s", split_name(c), spec, r.err);
            result_free(&r);
        }
        const char *py[] = {"python3", "-c", script, "3", wpath, jpaths[0], jpaths[1],
                            jpaths[2], xpaths[0], xpaths[1], xpaths[2], NULL};
        run_prog(dir, python3(), py, &r);
        ck_assert_msg(r.status == 0 && strcmp(r.out, "ok\n") == 0, "%s: JUnit coverage: %s%s",
                      split_name(c), r.out, r.err);
        result_free(&r);
    }
    tmpdir_remove(dir);
}
END_TEST

/* A shard says so in every format: which one, its rows, the network hash. */
START_TEST(test_shard_says_so)
{
    char dir[256], path[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *t[] = {"--shard", "2/3", NULL};
    run_case(dir, 0, t, 0, &r);
    ck_assert_msg(strstr(r.out, "\nshard 2/3: rows [") != NULL, "text: no shard line:\n%s", r.out);
    result_free(&r);
    const char *x[] = {"--shard", "2/3", "--format", "junit", NULL};
    run_case(dir, 0, x, 0, &r);
    ck_assert_msg(strstr(r.out, "<testsuite name=\"gradcheck shard 2/3\"") != NULL &&
                      strstr(r.out, "<property name=\"shard\" value=\"2/3 rows [") != NULL,
                  "junit: no shard:\n%s", r.out);
    result_free(&r);
    snprintf(path, sizeof path, "%s/s.json", dir);
    const char *j[] = {"--shard", "2/3", "--format", "json", "-o", path, NULL};
    run_case(dir, 0, j, 0, &r);
    json_eq(dir, path, "(d['shard']['index'], d['shard']['count'], d['shard']['rows'] == "
            "len(d['rows']), len(d['shard']['hash']))", "(2, 3, True, 16)");
    /* the three parts' rows are one run each, tiling the whole */
    json_eq(dir, path, "d['shard']['first'] > 0 and d['shard']['first'] + d['shard']['rows'] < "
            "d['shard']['total']", "True");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- refusals ---------------------------------------------------------------- */

/* A merge that must be refused: exit 2, nothing on stdout, one line
 * containing want, and -o's file not created. */
static void assert_merge_refused(const char *dir, const char *const *files, const char *want)
{
    char out[300];
    snprintf(out, sizeof out, "%s/merged.json", dir);
    const char *argv[16] = {"merge", "-o", out};
    int a = 3;
    for (int i = 0; files[i] != NULL; i++)
        argv[a++] = files[i];
    argv[a] = NULL;
    result r;
    run_gc(dir, argv, &r);
    assert_rejected(&r, argv, want, a);
    FILE *f = fopen(out, "r");
    ck_assert_msg(f == NULL, "a refused merge wrote %s", out);
    result_free(&r);
}

/* s1..s3 of case 0 and variants that do not belong with them. */
START_TEST(test_merge_refuses)
{
    char dir[256], s[3][300], other[300], whole[300], garbage[300], edited[300], two[300];
    char netA[300], netB[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    for (int k = 1; k <= 3; k++)
        write_shard(dir, 0, k, 3, s[k - 1], sizeof s[k - 1]);

    const char *missing[] = {s[0], s[2], NULL};
    assert_merge_refused(dir, missing, "shard 2/3 is missing");
    const char *twice[] = {s[0], s[1], s[1], NULL};
    assert_merge_refused(dir, twice, "shard 2/3 given twice");

    /* another seed, another step: options */
    snprintf(other, sizeof other, "%s/seed.json", dir);
    const char *seed[] = {"--seed", "6", "--shard", "2/3", "--format", "json", "-o", other, NULL};
    run_case(dir, 0, seed, 0, &r);
    result_free(&r);
    const char *by_seed[] = {s[0], other, s[2], NULL};
    assert_merge_refused(dir, by_seed, "option seed differs");
    const char *eps[] = {"--eps", "1e-5", "--shard", "2/3", "--format", "json", "-o", other, NULL};
    run_case(dir, 0, eps, 0, &r);
    result_free(&r);
    assert_merge_refused(dir, by_seed, "option eps differs");

    /* one weight changed: same shapes and options, another network */
    snprintf(netA, sizeof netA, "%s/a.json", dir);
    snprintf(netB, sizeof netB, "%s/b.json", dir);
    spit(netA, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1, \"W\": [[0.5, -0.25]],"
               " \"b\": [0.1]}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1, 2]],"
               " \"y\": [[1]]}");
    spit(netB, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1, \"W\": [[0.5, -0.26]],"
               " \"b\": [0.1]}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1, 2]],"
               " \"y\": [[1]]}");
    char na[300], nb[300];
    snprintf(na, sizeof na, "%s/na.json", dir);
    snprintf(nb, sizeof nb, "%s/nb.json", dir);
    const char *a1[] = {"--net", netA, "--shard", "1/2", "--format", "json", "-o", na, NULL};
    const char *b2[] = {"--net", netB, "--shard", "2/2", "--format", "json", "-o", nb, NULL};
    run_ok(dir, a1, 0, &r);
    result_free(&r);
    run_ok(dir, b2, 0, &r);
    result_free(&r);
    const char *by_net[] = {na, nb, NULL};
    assert_merge_refused(dir, by_net, "a different network");

    /* a shard of a two-way split among three-way ones */
    snprintf(two, sizeof two, "%s/two.json", dir);
    const char *w2[] = {"--shard", "2/2", "--format", "json", "-o", two, NULL};
    run_case(dir, 0, w2, 0, &r);
    result_free(&r);
    const char *by_ways[] = {s[0], two, s[2], NULL};
    assert_merge_refused(dir, by_ways, "split");

    /* not a shard; not JSON; no file */
    snprintf(whole, sizeof whole, "%s/whole.json", dir);
    const char *wj[] = {"--format", "json", "-o", whole, NULL};
    run_case(dir, 0, wj, 0, &r);
    result_free(&r);
    const char *not_shard[] = {whole, NULL};
    assert_merge_refused(dir, not_shard, "not a shard");
    snprintf(garbage, sizeof garbage, "%s/garbage.json", dir);
    spit(garbage, "{\"gradcheck\": ");
    const char *not_json[] = {garbage, NULL};
    assert_merge_refused(dir, not_json, "JSON syntax error");
    const char *nofile[] = {"/nonexistent/s1.json", NULL};
    assert_merge_refused(dir, nofile, "/nonexistent/s1.json: cannot open: No such file");

    /* overlapping rows: shard 2 edited to start one row early */
    size_t len;
    char *text = slurp(s[1], &len);
    char *first = strstr(text, "\"first\": ");
    ck_assert_ptr_nonnull(first);
    long row = strtol(first + 9, NULL, 10);
    char head[64];
    snprintf(head, sizeof head, "\"first\": %ld", row);
    char *rest = first + strlen(head);
    snprintf(edited, sizeof edited, "%s/edited.json", dir);
    FILE *f = fopen(edited, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%.*s\"first\": %ld%s", (int)(first - text), text, row - 1, rest);
    fclose(f);
    free(text);
    const char *overlap[] = {s[0], edited, s[2], NULL};
    assert_merge_refused(dir, overlap, "starts at row");
    tmpdir_remove(dir);
}
END_TEST

/* --shard takes K/N with 1 <= K <= N, nothing else. */
START_TEST(test_shard_flag_refuses)
{
    static const char *const bad[] = {"0/3", "4/3", "3", "1/0", "a/b", "1/3x", "-1/3", "/3"};
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"--arch", "2-2-1", "--shard", bad[i], NULL};
        result r;
        run_gc(dir, argv, &r);
        assert_rejected(&r, argv, "--shard: expected K/N", (int)i);
        result_free(&r);
    }
    /* --expect compares a whole check: no part of one */
    const char *expect[] = {"--arch", "2-2-1", "--shard", "1/2", "--expect", "tool.json", NULL};
    result r;
    run_gc(dir, expect, &r);
    assert_rejected(&r, expect, "--expect: compares the whole check", 0);
    result_free(&r);
    /* the layer check's hygiene checks and a mutation run are one run each */
    const char *hygiene[] = {"--layer", "dense", "--in", "3", "--shard", "1/2", NULL};
    run_gc(dir, hygiene, &r);
    assert_rejected(&r, hygiene, "--shard: with --layer give --no-hygiene", 1);
    result_free(&r);
    const char *mutate[] = {"--layer", "dense", "--in", "3", "--no-hygiene", "--mutate", "4",
                            "--shard", "1/2", NULL};
    run_gc(dir, mutate, &r);
    assert_rejected(&r, mutate, "--shard: not with --mutate", 2);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("merge");
    tcase_add_loop_test(tc, test_shard_merge_is_whole, 0, SPLIT_NCASES);
    tcase_add_test(tc, test_shard_junit_covers_once);
    tcase_add_test(tc, test_shard_says_so);
    tcase_add_test(tc, test_merge_refuses);
    tcase_add_test(tc, test_shard_flag_refuses);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
