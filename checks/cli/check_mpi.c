/*
 * check_mpi.c -- gradcheck-mpi (make mpi) against the single process: for
 * every case of split_cases.h, `mpirun -np 1/2/3 gradcheck-mpi FLAGS`
 * prints exactly the bytes `gradcheck FLAGS` prints; and the faults: a
 * rank whose check dies, a rank with another network, bad input on every
 * rank or on one, each one line from rank 0 naming the rank and exit 2,
 * with no report; a rank killed outright ends the job (mpirun's status)
 * with no report either.
 *
 * Needs Open MPI's mpirun on PATH and the binary (env GC_MPI_BIN, else
 * this tree's build/gradcheck-mpi; make check builds it when mpicc is
 * there).  Without them the suite's one
 * test says it skipped, on stderr.  mpirun runs with --allow-run-as-root
 * --oversubscribe (more ranks than cores here) and, in the fault tests, -q,
 * which keeps mpirun's own banner for a nonzero exit off stderr; the
 * OMPI_MCA_ settings in run_mpi keep it to one node's transports.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "split_cases.h"

/* mpirun on PATH, or NULL. */
static const char *mpirun(void)
{
    static char found[1024];
    const char *path = getenv("PATH");
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        int len = colon != NULL ? (int)(colon - path) : (int)strlen(path);
        snprintf(found, sizeof found, "%.*s/mpirun", len, path);
        if (len > 0 && access(found, X_OK) == 0)
            return found;
        path = colon != NULL ? colon + 1 : NULL;
    }
    return NULL;
}

/* The gradcheck-mpi under test, or NULL when it or mpirun is missing. */
static const char *mpi_bin(void)
{
    const char *bin = getenv("GC_MPI_BIN");
    if (bin == NULL || bin[0] == '\0')
        bin = GC_DEFAULT_MPI_BIN;
    if (access(bin, X_OK) != 0 || mpirun() == NULL)
        return NULL;
    return bin;
}

/* mpirun [-q] -np N gradcheck-mpi ARGS; a second app context (":" ...)
 * when ctx2 is not NULL (NULL-terminated: -np M PROG ARGS). */
static void run_mpi(const char *dir, int quiet, int np, const char *const *args,
                    const char *const *ctx2, result *r)
{
    const char *argv[3 * CLI_RUN_MAX_ARGS];
    char nps[16];
    int n = 0;
    snprintf(nps, sizeof nps, "%d", np);
    argv[n++] = "mpirun";
    argv[n++] = "--allow-run-as-root";
    argv[n++] = "--oversubscribe";
    if (quiet)
        argv[n++] = "-q";
    argv[n++] = "-np";
    argv[n++] = nps;
    argv[n++] = mpi_bin();
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = args[i];
    if (ctx2 != NULL) {
        argv[n++] = ":";
        for (int i = 0; ctx2[i] != NULL; i++)
            argv[n++] = ctx2[i];
    }
    argv[n] = NULL;
    /* a sanitizer build's leak check would count Open MPI's own
     * allocations, which it keeps until exit */
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    /* one node: shared memory only, no probing of network fabrics (UCX,
     * OFI), which takes most of mpirun's second of start-up; a setting the
     * caller made wins */
    setenv("OMPI_MCA_btl", "self,vader", 0);
    setenv("OMPI_MCA_pml", "ob1", 0);
    setenv("OMPI_MCA_mtl", "^ofi", 0);
    setenv("OMPI_MCA_osc", "^ucx", 0);
    run_prog(dir, mpirun(), argv, r);
}

START_TEST(test_mpi_absent)
{
    const char *bin = getenv("GC_MPI_BIN");
    fprintf(stderr, "mpi: Open MPI's mpirun or %s is missing: the MPI suite is skipped "
            "(make mpi builds it)\n", bin != NULL && bin[0] != '\0' ? bin : GC_DEFAULT_MPI_BIN);
}
END_TEST

/* Case _i in JSON on 1, 2 and 3 ranks: gradcheck's bytes and status. */
START_TEST(test_mpi_same_bytes)
{
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    int c = _i;
    const char *fmt = c == 0 ? "text" : (c == 4 ? "junit" : "json");
    const char *extra[] = {"--format", c == 0 ? "json" : fmt, NULL};
    for (int pass = 0; pass < (c == 0 || c == 4 ? 2 : 1); pass++) {
        if (pass == 1) /* case 0: also text; case 4: junit after json */
            extra[1] = c == 0 ? "text" : "json";
        const char *argv[CLI_RUN_MAX_ARGS + 1];
        split_args(c, extra, argv);
        result whole;
        run_gc(dir, argv, &whole);
        ck_assert_msg(whole.status == split_status(c), "%s: gradcheck exit %d: %s",
                      split_name(c), whole.status, whole.err);
        for (int np = 1; np <= 3; np++) {
            split_args(c, extra, argv);
            result m;
            run_mpi(dir, 0, np, argv, NULL, &m);
            ck_assert_msg(m.status == whole.status, "%s, %d ranks: exit %d, want %d: %s",
                          split_name(c), np, m.status, whole.status, m.err);
            ck_assert_msg(m.out_len == whole.out_len && memcmp(m.out, whole.out, m.out_len) == 0,
                          "%s --format %s on %d ranks differs from gradcheck: %s",
                          split_name(c), extra[1], np,
                          split_diff(whole.out, whole.out_len, m.out, m.out_len));
            result_free(&m);
        }
        result_free(&whole);
    }
    tmpdir_remove(dir);
}
END_TEST

/* Exactly one line, "gradcheck-mpi: " and want in it. */
static void assert_one_line(const result *r, const char *want, const char *what)
{
    size_t n = strlen(r->err);
    const char *nl = strchr(r->err, '\n');
    ck_assert_msg(strncmp(r->err, "gradcheck-mpi: ", 15) == 0 && nl == r->err + n - 1,
                  "%s: stderr is not one 'gradcheck-mpi: ' line: [%s]", what, r->err);
    ck_assert_msg(strstr(r->err, want) != NULL, "%s: stderr [%s] lacks [%s]", what, r->err, want);
    ck_assert_msg(r->status == 2, "%s: exit %d, want 2", what, r->status);
    ck_assert_msg(r->out_len == 0, "%s: a report on stdout: %s", what, r->out);
}

/* No file in dir whose name starts with "r.json" (the report or its
 * temporary file). */
static void assert_no_report(const char *dir, const char *what)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q '^r\\.json'", dir);
    ck_assert_msg(system(cmd) != 0, "%s: a report or its temporary file is in %s", what, dir);
}

/* The last rank's check aborts (checks/plugins/libcrash.so: its layer dies
 * when the last element of x is perturbed, a row of the last part only). */
START_TEST(test_mpi_rank_check_dies)
{
    char dir[256], out[300], plugin[700];
    tmpdir_make(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/r.json", dir);
    const char *bin = gc_bin(), *slash = strrchr(bin, '/');
    snprintf(plugin, sizeof plugin, "%.*s/checks/plugins/libcrash.so:crash_last_plugin",
             (int)(slash - bin), bin);
    const char *args[] = {"--layer", plugin, "--in", "4", "--batch", "2", "--no-hygiene", "-o", out,
                          NULL};
    result r;
    run_mpi(dir, 1, 3, args, NULL, &r);
    assert_one_line(&r, "rank 2: the check died: ", "a rank's check dies");
    assert_no_report(dir, "a rank's check dies");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Rank 2 reads another network file (one weight differs), or takes
 * another option. */
START_TEST(test_mpi_rank_other_network)
{
    char dir[256], a[300], b[300];
    tmpdir_make(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    spit(a, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1, \"W\": [[0.5, -0.25]],"
            " \"b\": [0.1]}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1, 2]],"
            " \"y\": [[1]]}");
    spit(b, "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1, \"W\": [[0.5, -0.26]],"
            " \"b\": [0.1]}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1, 2]],"
            " \"y\": [[1]]}");
    const char *args[] = {"--net", a, NULL};
    const char *other[] = {"-np", "1", mpi_bin(), "--net", b, NULL};
    result r;
    run_mpi(dir, 1, 2, args, other, &r);
    assert_one_line(&r, "rank 2: a different network than rank 0's", "another network");
    result_free(&r);
    /* the same network, another step on rank 2 */
    const char *eps[] = {"-np", "1", mpi_bin(), "--net", a, "--eps", "1e-5", NULL};
    run_mpi(dir, 1, 2, args, eps, &r);
    assert_one_line(&r, "rank 2: option eps differs from rank 0's", "another option");
    result_free(&r);
    /* a file missing on one rank's node: that rank named, once */
    const char *missing[] = {"-np", "1", mpi_bin(), "--net", "/nonexistent/net.json", NULL};
    run_mpi(dir, 1, 2, args, missing, &r);
    assert_one_line(&r, "rank 2: /nonexistent/net.json: cannot open", "a missing file");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Bad input on every rank: one line, rank 0's, as gradcheck words it. */
START_TEST(test_mpi_bad_input_once)
{
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--arch", "2-0-1", NULL};
    result r, single;
    run_mpi(dir, 1, 3, args, NULL, &r);
    run_gc(dir, args, &single);
    assert_one_line(&r, "--arch: width 2 of '2-0-1'", "bad input");
    ck_assert_str_eq(r.err + strlen("gradcheck-mpi: "), single.err + strlen("gradcheck: "));
    result_free(&r);
    result_free(&single);
    const char *shard[] = {"--arch", "2-2-1", "--shard", "1/2", NULL};
    run_mpi(dir, 1, 2, shard, NULL, &r);
    assert_one_line(&r, "--shard: gradcheck-mpi splits", "--shard");
    result_free(&r);
    const char *expect[] = {"--arch", "2-2-1", "--expect", "tool.json", NULL};
    run_mpi(dir, 1, 2, expect, NULL, &r);
    assert_one_line(&r, "--expect: gradcheck's alone", "--expect");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A rank killed outright (here a rank that is a shell killing itself):
 * mpirun stops the job with its own status; no report is written. */
START_TEST(test_mpi_rank_killed)
{
    char dir[256], out[300];
    tmpdir_make(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/r.json", dir);
    const char *args[] = {"--arch", "30-30-30-10", "--batch", "8", "-o", out, NULL};
    const char *killer[] = {"-np", "1", "sh", "-c", "kill -9 $$", NULL};
    result r;
    run_mpi(dir, 0, 2, args, killer, &r);
    ck_assert_msg(r.status != 0, "a killed rank, yet exit 0");
    ck_assert_msg(r.out_len == 0, "a killed rank, yet a report: %s", r.out);
    assert_no_report(dir, "a killed rank");
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_mpi_suite(void)
{
    Suite *s = suite_create("mpi");
    TCase *tc = tcase_create("mpi");
    if (mpi_bin() == NULL) {
        tcase_add_test(tc, test_mpi_absent);
    } else {
        tcase_add_loop_test(tc, test_mpi_same_bytes, 0, SPLIT_NCASES);
        tcase_add_test(tc, test_mpi_rank_check_dies);
        tcase_add_test(tc, test_mpi_rank_other_network);
        tcase_add_test(tc, test_mpi_bad_input_once);
        tcase_add_test(tc, test_mpi_rank_killed);
    }
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
