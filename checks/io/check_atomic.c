/*
 * check_atomic.c -- the durability of lib/io/atomic.c's replacement.
 *
 * - a report (GC_ATOMIC_REPORT) replaces its file with no fsync at all;
 * - a durable file (GC_ATOMIC_DURABLE, gc_net_save's) is flushed twice:
 *   the file before the rename, its directory after it;
 * - either way the new bytes are in place and no temporary file is left;
 * - what the path names when the replacement is committed decides, not
 *   what it named when it was opened: a file removed meanwhile is created,
 *   a directory put there meanwhile is refused and left as it is.
 * fsync is counted by this file's own definition, which the linker takes
 * for the library's calls in this test program instead of libc's (it only
 * counts: the tests need no data on the disk).
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/netfile.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"

static int fsyncs;

int fsync(int fd)
{
    (void)fd;
    fsyncs++;
    return 0;
}

/* A fresh directory under /tmp, in dir[size]. */
static void make_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/gc_atomic_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Entries of dir other than "." and "..". */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* dir/out made an old file holding "old report", then opened through
 * gc_atomic (durable or not) with text written: path is dir/out. */
static void open_over_old(const char *dir, int durable, const char *text, char *path, size_t n,
                          gc_atomic *a)
{
    snprintf(path, n, "%s/out", dir);
    FILE *old = fopen(path, "w");
    ck_assert_ptr_nonnull(old);
    fputs("old report", old);
    fclose(old);
    gc_error err = {0};
    ck_assert_int_eq(gc_atomic_open(a, path, durable, &err), GC_OK);
    fputs(text, a->f);
}

/* Replace dir/out with text through gc_atomic (durable or not) over an
 * old file; returns the fsyncs it made, after checking the bytes. */
static int replace(const char *dir, int durable, const char *text)
{
    char path[256];
    gc_atomic a;
    gc_error err = {0};
    open_over_old(dir, durable, text, path, sizeof path, &a);
    fsyncs = 0;
    ck_assert_int_eq(gc_atomic_commit(&a, &err), GC_OK);
    int made = fsyncs;
    char got[64] = {0};
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_gt(fread(got, 1, sizeof got - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(got, text);
    ck_assert_int_eq(entries(dir), 1); /* no temporary file left */
    unlink(path);
    return made;
}

START_TEST(test_atomic_report_not_synced_durable_synced)
{
    char dir[64];
    make_dir(dir, sizeof dir);
    ck_assert_int_eq(replace(dir, GC_ATOMIC_REPORT, "a report"), 0);
    ck_assert_int_eq(replace(dir, GC_ATOMIC_DURABLE, "a network"), 2);
    rmdir(dir);
}
END_TEST

/* gc_net_save is durable: its file and directory are flushed. */
START_TEST(test_atomic_net_save_is_durable)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/net.json", dir);
    gc_error err = {0};
    gc_net *net = gc_net_load_string(
        "{\"layers\": [{\"type\": \"dense\", \"in\": 1, \"out\": 1, \"W\": [[0.5]], "
        "\"b\": [0.25]}, {\"type\": \"sigmoid\"}], \"loss\": \"bce\", \"x\": [[1.0]], "
        "\"y\": [[1.0]]}",
        "t.json", GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    fsyncs = 0;
    ck_assert_int_eq(gc_net_save(net, path, &err), GC_OK);
    ck_assert_int_eq(fsyncs, 2);
    gc_net_free(net);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A report opened over an old file: the old file is removed (dropped,
 * with the committing exchange then finding nothing to exchange with)
 * or replaced by a directory (the exchange would bring a directory back)
 * before the commit.  Returns the commit's code; *dir_kept says whether
 * dest is then a directory. */
static int commit_after(const char *dir, int make_dir_there, const char *text, int *dir_kept)
{
    char path[256];
    gc_atomic a;
    gc_error err = {0};
    open_over_old(dir, GC_ATOMIC_REPORT, text, path, sizeof path, &a);
    ck_assert_int_eq(unlink(path), 0);
    if (make_dir_there)
        ck_assert_int_eq(mkdir(path, 0700), 0);
    int rc = gc_atomic_commit(&a, &err);
    struct stat st;
    *dir_kept = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    return rc;
}

START_TEST(test_atomic_report_old_file_removed_meanwhile)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    int is_dir;
    ck_assert_int_eq(commit_after(dir, 0, "a report", &is_dir), GC_OK);
    ck_assert_int_eq(entries(dir), 1);
    snprintf(path, sizeof path, "%s/out", dir);
    char got[64] = {0};
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_gt(fread(got, 1, sizeof got - 1, f), 0);
    fclose(f);
    ck_assert_str_eq(got, "a report");
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_atomic_report_directory_put_there_meanwhile_refused)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    int is_dir;
    ck_assert_int_eq(commit_after(dir, 1, "a report", &is_dir), GC_EIO);
    ck_assert_msg(is_dir, "the directory put at the path is gone");
    ck_assert_int_eq(entries(dir), 1); /* the directory; no temporary file */
    snprintf(path, sizeof path, "%s/out", dir);
    rmdir(path);
    rmdir(dir);
}
END_TEST

Suite *make_atomic_suite(void)
{
    Suite *s = suite_create("atomic");
    TCase *tc = tcase_create("durability");
    tcase_add_test(tc, test_atomic_report_not_synced_durable_synced);
    tcase_add_test(tc, test_atomic_net_save_is_durable);
    tcase_add_test(tc, test_atomic_report_old_file_removed_meanwhile);
    tcase_add_test(tc, test_atomic_report_directory_put_there_meanwhile_refused);
    suite_add_tcase(s, tc);
    return s;
}
