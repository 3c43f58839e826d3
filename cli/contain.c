/*
 * contain.c -- a plugin's check in a forked child, so that no fault in a
 * user's layer can take the command down with it (as Check's fork mode runs
 * each test).  The plugin is a --layer LIB.so:FACTORY or a network file's
 * {"type": "plugin"} layer: that file's whole load and check run contained.
 * The child runs the job (factory or network load, check, report rendered
 * to memory) and sends back one record over a pipe (child.c):
 *   status (1 byte), message length (4 bytes) and message, output length
 *   (8 bytes) and output.
 * The parent reads it within the timeout and writes the output itself, so a
 * child that dies leaves nothing half-written.  What the child was doing is
 * a phase byte on a page shared with the parent: the job and the wrapped
 * layer ops (layer.c) set it, so a crash is reported as "--layer: plugin
 * crashed in backward: SIGSEGV" (a network's plugin layers are not
 * wrapped: "net.json: plugin crashed in the check: SIGSEGV").  --no-fork
 * runs the job in this process (for gdb and valgrind), where a fault is the
 * command's.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, memmem */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *phase_name(char phase)
{
    switch (phase) {
    case CLI_PHASE_FACTORY: return "the factory"; /* or the object's constructors */
    case CLI_PHASE_FORWARD: return "forward";
    case CLI_PHASE_BACKWARD: return "backward";
    case CLI_PHASE_KINK: return "kink";
    case CLI_PHASE_DESTROY: return "destroy";
    default: return "the check";
    }
}

static const char *signal_name(int sig, char *buf, size_t size)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGABRT, "SIGABRT"}, {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGTRAP, "SIGTRAP"},
        {SIGSYS, "SIGSYS"}, {SIGPIPE, "SIGPIPE"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig)
            return names[i].name;
    snprintf(buf, size, "signal %d", sig);
    return buf;
}

/* Run the job here, its output into a new buffer. */
static int run_job(cli_job job, void *ctx, const char *where, volatile char *phase, char **out,
                   size_t *len, char *msg, size_t size)
{
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(out, len);
    if (f == NULL) {
        snprintf(msg, size, "%s: %s", where, strerror(errno));
        return 2;
    }
    int status = job(ctx, phase, f, msg, size);
    if (fclose(f) != 0 && status != 2) {
        snprintf(msg, size, "%s: writing the report to memory failed: %s", where,
                 strerror(errno));
        status = 2;
    }
    return status;
}

/* The child: run the job, send the record, exit. */
static void child(int fd, cli_job job, void *ctx, const char *where, volatile char *phase)
{
    cli_signal_reset();
    char msg[GC_ERROR_MAX + 128] = "";
    char *out = NULL;
    size_t len = 0;
    unsigned char status =
        (unsigned char)run_job(job, ctx, where, phase, &out, &len, msg, sizeof msg);
    uint32_t mlen = (uint32_t)strlen(msg);
    uint64_t olen = len;
    int bad = cli_write_all(fd, &status, 1) || cli_write_all(fd, &mlen, sizeof mlen) ||
              cli_write_all(fd, msg, mlen) || cli_write_all(fd, &olen, sizeof olen) ||
              cli_write_all(fd, out, len);
    free(out);
    close(fd);
    exit(bad ? 3 : 0);
}

/* Decode a complete record into status, msg and *out; -1 when incomplete. */
static int decode(const char *rec, size_t n, char **out, size_t *len, char *msg, size_t size)
{
    uint32_t mlen;
    uint64_t olen;
    if (n < 1 + sizeof mlen)
        return -1;
    memcpy(&mlen, rec + 1, sizeof mlen);
    size_t at = 1 + sizeof mlen;
    if (n - at < mlen || n - at - mlen < sizeof olen)
        return -1;
    snprintf(msg, size, "%.*s", (int)mlen, rec + at);
    at += mlen;
    memcpy(&olen, rec + at, sizeof olen);
    at += sizeof olen;
    if (n - at != olen)
        return -1;
    *out = malloc(olen > 0 ? (size_t)olen : 1);
    if (*out == NULL)
        return -1;
    memcpy(*out, rec + at, (size_t)olen);
    *len = (size_t)olen;
    return (unsigned char)rec[0];
}

/* The parent's side: read the record, reap the child, judge. */
static int parent(pid_t pid, int fd, const char *where, int timeout, volatile char *phase,
                  char **out, size_t *len, char *msg, size_t size)
{
    size_t n = 0;
    int timed_out = 0;
    char *rec = cli_read_to_end(fd, timeout, &n, &timed_out);
    close(fd);
    cli_child_end end = cli_child_reap(pid, timed_out || rec == NULL);
    cli_signal_child(0);
    int status = -1;
    char sig[32];
    if (rec == NULL)
        snprintf(msg, size, "%s: out of memory reading the plugin's report", where);
    else if (timed_out)
        snprintf(msg, size, "%s: plugin timed out in %s after %d s (--plugin-timeout)", where,
                 phase_name(*phase), timeout);
    else if (end.signal != 0)
        snprintf(msg, size, "%s: plugin crashed in %s: %s", where, phase_name(*phase),
                 signal_name(end.signal, sig, sizeof sig));
    else if ((status = decode(rec, n, out, len, msg, size)) < 0)
        snprintf(msg, size, "%s: plugin exited (status %d) in %s before the check ended", where,
                 end.code, phase_name(*phase));
    free(rec);
    return status < 0 ? 2 : status;
}

int cli_contain(cli_job job, void *ctx, const char *where, int no_fork, int timeout, char **out,
                size_t *len, char *msg, size_t size)
{
    *out = NULL;
    *len = 0;
    if (no_fork) {
        char phase = CLI_PHASE_CHECK;
        return run_job(job, ctx, where, &phase, out, len, msg, size);
    }
    volatile char *phase = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
    if (phase == MAP_FAILED) {
        snprintf(msg, size, "%s: cannot contain the plugin: %s (--no-fork runs it here)", where,
                 strerror(errno));
        return 2;
    }
    *phase = CLI_PHASE_CHECK;
    int fd;
    const char *failed = "";
    pid_t pid = cli_child_fork(&fd, &failed);
    if (pid == 0)
        child(fd, job, ctx, where, phase);
    int status;
    if (pid < 0) {
        snprintf(msg, size, "%s: cannot contain the plugin: %s: %s (--no-fork runs it here)",
                 where, failed, strerror(errno));
        status = 2;
    } else {
        cli_signal_child(pid);
        status = parent(pid, fd, where, timeout, phase, out, len, msg, size);
    }
    munmap((void *)phase, 1);
    return status;
}

/* Whether p[0, n) holds the word w (of length m >= 1) whole: memchr's
 * vector scan for its first letter, which a file of numbers rarely has,
 * then a compare at each. */
static int holds(const char *p, size_t n, const char *w, size_t m)
{
    for (const char *end = p + n; (size_t)(end - p) >= m; p++) {
        p = memchr(p, w[0], (size_t)(end - p) - (m - 1));
        if (p == NULL)
            return 0;
        if (memcmp(p, w, m) == 0)
            return 1;
    }
    return 0;
}

/* Whether a window of text holds "plugin" or the start of a \u escape
 * (through which JSON can spell any letter of it). */
static int may_name_plugin(const char *p, size_t n)
{
    return holds(p, n, "plugin", 6) || holds(p, n, "\\u", 2);
}

int cli_net_may_load_code(const char *path, long long max_bytes)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL)
        return 0; /* the loader says why, before any plugin */
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f); /* a pipe is read once: by the loader, contained */
        return 1;
    }
    if (max_bytes >= 0 && st.st_size > max_bytes) {
        fclose(f); /* refused for its size before a layer is read */
        return 0;
    }
    enum { KEEP = 5 }; /* "plugin" less one: a word split between reads */
    char buf[(1 << 16) + KEEP];
    size_t keep = 0;
    int found = 0;
    for (;;) {
        size_t n = fread(buf + keep, 1, sizeof buf - keep, f);
        if (n == 0)
            break;
        size_t have = keep + n;
        if (may_name_plugin(buf, have)) {
            found = 1;
            break;
        }
        keep = have < KEEP ? have : KEEP;
        memmove(buf, buf + have - keep, keep);
    }
    found |= ferror(f) != 0; /* unread text may name one */
    fclose(f);
    return found;
}
