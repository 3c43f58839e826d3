/*
 * check_cli_output.c -- `gradcheck -o PATH` never damages what PATH points
 * at, and a signal never leaves a temporary file: driven as a user drives
 * the command (GC_BIN, checks/support/cli_run.h).
 *
 * A regular file is replaced atomically with its mode kept; a character
 * device (a symbolic link to /dev/null, or a device node of its own when
 * the suite runs as root), a FIFO and "-" are written in place; a symbolic
 * link is followed and its target replaced; a hard-linked file and, for an
 * unprivileged user, a read-only one are refused with exit 2 and one line;
 * a full device, and a file that may grow no further, say why (the old
 * report intact); a JSON report has the same bytes in a file and on
 * stdout at any thread count.  SIGINT, SIGTERM and SIGHUP during a check end
 * it with status 128 + the signal, the old report intact and no temporary
 * file left.
 */
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <check.h>
#include <gradcheck.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_run.h"

/* What `gradcheck ARGS` prints on stdout, for comparing with a file. */
static char *report_of(const char *dir, const char *const *args, size_t *len)
{
    result r;
    run_ok(dir, args, 0, &r);
    char *out = r.out;
    *len = r.out_len;
    r.out = NULL;
    result_free(&r);
    return out;
}

static void assert_file_is(const char *path, const char *want, size_t want_len)
{
    size_t len = 0;
    char *got = slurp(path, &len);
    ck_assert_msg(len == want_len && memcmp(got, want, len) == 0, "%s holds:\n%s\nwant:\n%s",
                  path, got, want);
    free(got);
}

/* ---- what the path is ------------------------------------------------------ */

/* A symbolic link to /dev/null: the device is written (the report vanishes),
 * the link stays a link to it, no regular file appears. */
START_TEST(test_output_symlink_to_device)
{
    char dir[256], link[300];
    struct stat st;
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(link, sizeof link, "%s/null", dir);
    ck_assert_int_eq(symlink("/dev/null", link), 0);
    const char *args[] = {"--arch", "2-2-1", "-o", link, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert_msg(S_ISLNK(st.st_mode), "the link to /dev/null was replaced");
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert_msg(S_ISCHR(st.st_mode), "/dev/null is no longer a character device");
    ck_assert_int_eq(tmpdir_count(dir), 1);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A device node of its own (a copy of /dev/null: major 1, minor 3) stays a
 * device.  mknod needs root: as another user the test says so and passes
 * on what it can check (the link test above covers the same path). */
START_TEST(test_output_device_node)
{
    char dir[256], node[300];
    struct stat st;
    result r;
    if (geteuid() != 0) {
        fprintf(stderr, "test_output_device_node: skipped: mknod needs root\n");
        return;
    }
    tmpdir_make(dir, sizeof dir);
    snprintf(node, sizeof node, "%s/n", dir);
    ck_assert_int_eq(mknod(node, S_IFCHR | 0666, makedev(1, 3)), 0);
    const char *args[] = {"--arch", "2-2-1", "-o", node, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_int_eq(lstat(node, &st), 0);
    ck_assert_msg(S_ISCHR(st.st_mode), "the device node became a %s",
                  S_ISREG(st.st_mode) ? "regular file" : "non-device");
    ck_assert_int_eq(tmpdir_count(dir), 1);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* /dev/full takes no byte: exit 2, one line with strerror's reason. */
START_TEST(test_output_full_device_says_why)
{
    char dir[256];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *args[] = {"--arch", "2-2-1", "-o", "/dev/full", NULL};
    run_gc(dir, args, &r);
    assert_rejected(&r, args, "--output: /dev/full: writing the report failed: No space left on "
                    "device", 0);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A FIFO is written into, not replaced: a reader (a child here) gets the
 * whole report and the FIFO is still a FIFO. */
START_TEST(test_output_fifo)
{
    char dir[256], fifo[300], got[300];
    struct stat st;
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    snprintf(got, sizeof got, "%s/got", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t reader = fork();
    ck_assert_int_ge(reader, 0);
    if (reader == 0) { /* copy the FIFO into got */
        int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[4096];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                _exit(1);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    const char *to_fifo[] = {"--arch", "2-2-1", "--seed", "3", "-o", fifo, NULL};
    run_ok(dir, to_fifo, 0, &r);
    int ws = 0;
    ck_assert_int_eq(waitpid(reader, &ws, 0), reader);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the FIFO's reader failed");
    ck_assert_int_eq(lstat(fifo, &st), 0);
    ck_assert_msg(S_ISFIFO(st.st_mode), "the FIFO was replaced");
    const char *to_stdout[] = {"--arch", "2-2-1", "--seed", "3", NULL};
    size_t len = 0;
    char *want = report_of(dir, to_stdout, &len);
    assert_file_is(got, want, len);
    free(want);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* "-" is stdout. */
START_TEST(test_output_dash_is_stdout)
{
    char dir[256];
    result r;
    tmpdir_make(dir, sizeof dir);
    const char *dash[] = {"--arch", "2-2-1", "-o", "-", NULL};
    const char *plain[] = {"--arch", "2-2-1", NULL};
    size_t len = 0;
    char *want = report_of(dir, plain, &len);
    run_ok(dir, dash, 0, &r);
    ck_assert_msg(r.out_len == len && memcmp(r.out, want, len) == 0, "-o - printed:\n%s", r.out);
    ck_assert_int_eq(tmpdir_count(dir), 0);
    free(want);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A symbolic link (relative, as ln -s makes it) is followed: its target
 * gets the report, the link stays a link; a dangling link's target is
 * created. */
START_TEST(test_output_symlink_followed)
{
    char dir[256], link[300], target[300], dangling[300], created[300];
    struct stat st;
    result r, d;
    tmpdir_make(dir, sizeof dir);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    snprintf(target, sizeof target, "%s/target.txt", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling.txt", dir);
    snprintf(created, sizeof created, "%s/new.txt", dir);
    spit(target, "old\n");
    ck_assert_int_eq(symlink("target.txt", link), 0);
    ck_assert_int_eq(symlink("new.txt", dangling), 0);
    const char *args[] = {"--arch", "2-2-1", "-o", link, NULL};
    const char *args2[] = {"--arch", "2-2-1", "-o", dangling, NULL};
    const char *plain[] = {"--arch", "2-2-1", NULL};
    run_ok(dir, args, 0, &r);
    run_ok(dir, args2, 0, &d);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert_msg(S_ISLNK(st.st_mode), "the symbolic link was replaced by a file");
    ck_assert_int_eq(lstat(dangling, &st), 0);
    ck_assert_msg(S_ISLNK(st.st_mode), "the dangling link was replaced by a file");
    size_t len = 0;
    char *want = report_of(dir, plain, &len);
    assert_file_is(target, want, len);
    assert_file_is(created, want, len);
    ck_assert_int_eq(tmpdir_count(dir), 4);
    free(want);
    result_free(&r);
    result_free(&d);
    tmpdir_remove(dir);
}
END_TEST

/* A file with a second hard link is refused (renaming over one name would
 * silently split it from the other); both names keep their contents. */
START_TEST(test_output_hard_link_refused)
{
    char dir[256], a[300], b[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    spit(a, "shared\n");
    ck_assert_int_eq(link(a, b), 0);
    const char *args[] = {"--arch", "2-2-1", "-o", a, NULL};
    run_gc(dir, args, &r);
    assert_rejected(&r, args, "a.txt: has 2 hard links: replacing it would split them", 0);
    assert_file_is(a, "shared\n", 7);
    assert_file_is(b, "shared\n", 7);
    struct stat st;
    ck_assert_int_eq(stat(a, &st), 0);
    ck_assert_int_eq((int)st.st_nlink, 2);
    ck_assert_int_eq(tmpdir_count(dir), 2);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* A replaced report keeps its mode (0640 here, not 0666 less the umask). */
START_TEST(test_output_mode_kept)
{
    char dir[256], path[300];
    struct stat st;
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.txt", dir);
    spit(path, "old\n");
    ck_assert_int_eq(chmod(path, 0640), 0);
    const char *args[] = {"--arch", "2-2-1", "-o", path, NULL};
    run_ok(dir, args, 0, &r);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0640, "mode %o, want 640", st.st_mode & 07777);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* As an unprivileged user (nobody, through setpriv, when the suite runs as
 * root; as the user itself otherwise), a read-only report in a writable
 * directory is refused with exit 2 and "Permission denied", and keeps its
 * contents, mode and owner. */
START_TEST(test_output_read_only_refused)
{
    char dir[256], path[300];
    struct stat before, after;
    result r;
    const char *args[16];
    int n = 0;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    spit(path, "old\n");
    ck_assert_int_eq(chmod(path, 0444), 0);
    if (geteuid() == 0) {
        if (access("/usr/bin/setpriv", X_OK) != 0) {
            fprintf(stderr, "test_output_read_only_refused: skipped: root without setpriv\n");
            tmpdir_remove(dir);
            return;
        }
        /* nobody (65534) owns the file and may write the directory */
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(chmod(dir, 0777), 0);
        static const char *const pre[] = {"setpriv", "--reuid=65534", "--regid=65534",
                                          "--clear-groups"};
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            args[n++] = pre[i];
        args[n++] = gc_bin();
    } else {
        args[n++] = "gradcheck";
    }
    int first = n;
    args[n++] = "--arch";
    args[n++] = "2-2-1";
    args[n++] = "-o";
    args[n++] = path;
    args[n] = NULL;
    ck_assert_int_eq(stat(path, &before), 0);
    if (geteuid() == 0)
        run_prog(dir, "/usr/bin/setpriv", args, &r);
    else
        run_gc(dir, args + first, &r);
    assert_rejected(&r, args + first, "--output: ", 0);
    ck_assert_msg(strstr(r.err, "r.json: Permission denied") != NULL, "stderr: %s", r.err);
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert_msg(after.st_ino == before.st_ino && after.st_mode == before.st_mode &&
                  after.st_uid == before.st_uid, "the read-only file was replaced");
    char *file = slurp(path, NULL);
    ck_assert_str_eq(file, "old\n");
    free(file);
    ck_assert_int_eq(tmpdir_count(dir), 1);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* ---- signals ----------------------------------------------------------------- */

static const int signals[] = {SIGINT, SIGTERM, SIGHUP};

/* A check that runs for minutes (the reference engine over 101,770
 * parameters at batch 32) is sent the signal once its temporary file
 * exists: status 128 + the signal, the old report intact, nothing else
 * left in the directory. */
START_TEST(test_output_signal_removes_temporary)
{
    char dir[256], path[300], devnull[] = "/dev/null";
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    spit(path, "old report\n");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(devnull, O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(gc_bin(), "gradcheck", "--arch", "784-128-10", "--act", "sigmoid,identity",
              "--loss", "softmax_ce", "--batch", "32", "--engine", "reference", "-q", "-o", path,
              (char *)NULL);
        _exit(127);
    }
    /* wait (at most 20 s) for the temporary file beside r.json */
    struct timespec tick = {0, 10 * 1000 * 1000};
    int waited = 0;
    while (tmpdir_count(dir) < 2 && waited++ < 2000)
        nanosleep(&tick, NULL);
    ck_assert_msg(tmpdir_count(dir) == 2, "no temporary file appeared");
    kill(pid, signals[_i]);
    int ws = 0;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 128 + signals[_i],
                  "signal %d: %s %d, want exit %d", signals[_i],
                  WIFEXITED(ws) ? "exit" : "killed by signal",
                  WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws), 128 + signals[_i]);
    ck_assert_msg(tmpdir_count(dir) == 1, "signal %d left %d files", signals[_i],
                  tmpdir_count(dir));
    char *file = slurp(path, NULL);
    ck_assert_str_eq(file, "old report\n");
    free(file);
    tmpdir_remove(dir);
}
END_TEST

/* A JSON report of several of the writer's blocks (2,410 rows) has the
 * same bytes on stdout and in an -o file at any thread count. */
START_TEST(test_output_json_same_bytes_at_any_thread_count)
{
    char dir[256], path[300], threads[4];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    const char *one[] = {"--arch", "64-32-10", "--format", "json", "--threads", "1", NULL};
    size_t len = 0;
    char *want = report_of(dir, one, &len);
    for (int t = 1; t <= 4; t++) {
        snprintf(threads, sizeof threads, "%d", t);
        const char *to_file[] = {"--arch", "64-32-10", "--format", "json", "--threads", threads,
                                 "-o", path, NULL};
        run_ok(dir, to_file, 0, &r);
        result_free(&r);
        assert_file_is(path, want, len);
        const char *to_stdout[] = {"--arch", "64-32-10", "--format", "json", "--threads",
                                   threads, NULL};
        run_ok(dir, to_stdout, 0, &r);
        ck_assert_msg(r.out_len == len && memcmp(r.out, want, len) == 0,
                      "%d threads: stdout differs from 1 thread's", t);
        result_free(&r);
    }
    free(want);
    tmpdir_remove(dir);
}
END_TEST

/* A file that may not grow past 64 KiB (RLIMIT_FSIZE, inherited by the
 * command; SIGXFSZ ignored, so a write fails with EFBIG): the JSON
 * report's rows fail part way on one of the writer's threads; exit 2, one
 * line with the reason, the old report intact, no temporary file. */
START_TEST(test_output_write_failure_keeps_old_report)
{
    char dir[256], path[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    spit(path, "old report\n");
    struct rlimit old, small;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    static const char *const threads[] = {"1", "2"};
    for (int t = 0; t < 2; t++) {
        const char *args[] = {"--arch", "64-32-10", "--format", "json", "--threads", threads[t],
                              "-o", path, NULL};
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
        run_gc(dir, args, &r);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        char want[400];
        snprintf(want, sizeof want, "--output: %s: writing the report failed: %s", path,
                 strerror(EFBIG));
        assert_rejected(&r, args, want, t);
        assert_output_kept(dir, path, "old report\n", t);
        result_free(&r);
    }
    signal(SIGXFSZ, was);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_cli_output_suite(void)
{
    Suite *s = suite_create("cli_output");
    TCase *tc = tcase_create("output");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_output_symlink_to_device);
    tcase_add_test(tc, test_output_device_node);
    tcase_add_test(tc, test_output_full_device_says_why);
    tcase_add_test(tc, test_output_json_same_bytes_at_any_thread_count);
    tcase_add_test(tc, test_output_write_failure_keeps_old_report);
    tcase_add_test(tc, test_output_fifo);
    tcase_add_test(tc, test_output_dash_is_stdout);
    tcase_add_test(tc, test_output_symlink_followed);
    tcase_add_test(tc, test_output_hard_link_refused);
    tcase_add_test(tc, test_output_mode_kept);
    tcase_add_test(tc, test_output_read_only_refused);
    tcase_add_loop_test(tc, test_output_signal_removes_temporary, 0,
                        (int)(sizeof signals / sizeof signals[0]));
    suite_add_tcase(s, tc);
    return s;
}
