/*
 * check_blocks.c -- lib/report/blocks.c: blocks made on threads reach the
 * stream in order, whatever the stream is (a memory stream, a regular
 * file, one with bytes already in stdio's buffer, one opened to append, a
 * pipe) and at any thread count; a write that fails is GC_EIO with its
 * reason in errno, and nothing is written after it.
 */
#include <check.h>
#include <gradcheck.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/blocks.h"

enum { NBLOCKS = 37, BLOCK_MAX = 5000 };

/* Block b: "<b>:" and a run of one letter, of a length that varies from
 * block to block (so no offset can be guessed from b), and a newline. */
static size_t block_len(size_t b)
{
    return (b * 977u) % (BLOCK_MAX - 16) + 1;
}

static char *make(void *ctx, size_t b, char *p)
{
    (void)ctx;
    p += sprintf(p, "%zu:", b);
    size_t n = block_len(b);
    memset(p, 'a' + (int)(b % 26), n);
    p[n] = '\n';
    return p + n + 1;
}

/* What gc_blocks_write must have written after prefix (free it). */
static char *expected(const char *prefix, size_t *len)
{
    size_t cap = strlen(prefix) + NBLOCKS * (BLOCK_MAX + 16) + 1;
    char *s = malloc(cap), *p = s;
    ck_assert_ptr_nonnull(s);
    p += sprintf(p, "%s", prefix);
    for (size_t b = 0; b < NBLOCKS; b++)
        p = make(NULL, b, p);
    *p = '\0';
    *len = (size_t)(p - s);
    return s;
}

/* The file at path, whole (free it). */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

enum sink { MEMORY, REGULAR, REGULAR_PREFIXED, APPENDED, PIPE, NSINKS };
static const char *const sink_name[NSINKS] = {"memory stream", "regular file",
                                              "regular file after buffered bytes",
                                              "file opened to append", "pipe"};

/* The blocks written at `threads` to the sink; the bytes it got (free). */
static char *through(enum sink k, int threads, const char *path, size_t *len)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = NULL;
    if (k == MEMORY) {
        f = open_memstream(&mem, &memlen);
    } else if (k == APPENDED) {
        FILE *old = fopen(path, "w");
        ck_assert_ptr_nonnull(old);
        fputs("old:", old);
        fclose(old);
        f = fopen(path, "a");
    } else if (k == PIPE) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "cat > '%s'", path);
        f = popen(cmd, "w");
    } else {
        f = fopen(path, "w");
    }
    ck_assert_ptr_nonnull(f);
    if (k == REGULAR_PREFIXED || k == PIPE)
        fputs("old:", f); /* still in stdio's buffer */
    ck_assert_int_eq(gc_blocks_write(f, threads, NBLOCKS, BLOCK_MAX, make, NULL), GC_OK);
    fputs("end", f); /* the stream goes on where the blocks stopped */
    if (k == PIPE)
        ck_assert_int_eq(pclose(f), 0);
    else
        ck_assert_int_eq(fclose(f), 0);
    if (k == MEMORY) {
        *len = memlen;
        return mem;
    }
    return read_all(path, len);
}

START_TEST(test_blocks_in_order_in_every_stream)
{
    char path[] = "/tmp/gc_blocks_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    static const int threads[] = {1, 2, 3, 4, 8};
    for (int k = 0; k < NSINKS; k++) {
        size_t want_len;
        char *want = expected(k == MEMORY || k == REGULAR ? "" : "old:", &want_len);
        memcpy(want + want_len, "end", 4);
        want_len += 3;
        for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
            size_t len;
            char *got = through((enum sink)k, threads[t], path, &len);
            size_t at = 0;
            while (at < len && at < want_len && got[at] == want[at])
                at++;
            ck_assert_msg(len == want_len && at == len,
                          "%s, %d threads: %zu bytes, expected %zu; first difference at %zu",
                          sink_name[k], threads[t], len, want_len, at);
            free(got);
        }
        free(want);
    }
    unlink(path);
}
END_TEST

/* A regular file that may not grow past a limit (RLIMIT_FSIZE; SIGXFSZ
 * ignored, so the write fails with EFBIG instead of killing the process):
 * 64 KiB, where the blocks' writes fail part way, on whichever thread is
 * writing then; and 10 bytes short of the whole text, where only the last
 * write is short (its first part taken, the rest refused). */
START_TEST(test_blocks_failed_write_says_why)
{
    char path[] = "/tmp/gc_blocks_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    size_t whole;
    free(expected("", &whole));
    const rlim_t limits[2] = {64 * 1024, (rlim_t)whole - 10};
    struct rlimit old, small;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    for (int c = 0; c < 6; c++) {
        int threads = 1 + c % 3;
        small = old;
        small.rlim_cur = limits[c / 3];
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
        errno = 0;
        int rc = gc_blocks_write(f, threads, NBLOCKS, BLOCK_MAX, make, NULL);
        int e = errno;
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        fclose(f);
        ck_assert_msg(rc == GC_EIO, "limit %ju, %d threads: %d, expected GC_EIO",
                      (uintmax_t)limits[c / 3], threads, rc);
        ck_assert_msg(e == EFBIG, "limit %ju, %d threads: errno %d (%s), expected EFBIG",
                      (uintmax_t)limits[c / 3], threads, e, strerror(e));
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_size, (off_t)limits[c / 3]); /* all it could take */
    }
    signal(SIGXFSZ, was);
    FILE *full = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(full);
    errno = 0;
    ck_assert_int_eq(gc_blocks_write(full, 2, NBLOCKS, BLOCK_MAX, make, NULL), GC_EIO);
    ck_assert_int_eq(errno, ENOSPC);
    fclose(full);
    unlink(path);
}
END_TEST

Suite *make_blocks_suite(void)
{
    Suite *s = suite_create("blocks");
    TCase *tc = tcase_create("blocks");
    tcase_add_test(tc, test_blocks_in_order_in_every_stream);
    tcase_add_test(tc, test_blocks_failed_write_says_why);
    suite_add_tcase(s, tc);
    return s;
}
