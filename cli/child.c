/*
 * child.c -- work done in a forked child that sends its result to the
 * parent over a pipe: the fork with its pipe, whole writes and reads, the
 * wait and what ended the child.  contain.c (a plugin's check) and
 * mpi_part.c (a rank's part of the check) run their children through it,
 * so both read the same way what a crash, a kill or an early exit left.
 */
#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t cli_child_fork(int *fd, const char **failed)
{
    int fds[2];
    *fd = -1;
    if (pipe(fds) != 0) {
        *failed = "pipe";
        return -1;
    }
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        *failed = "fork";
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        /* a child whose parent is gone (killed by SIGKILL) must not run on */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        *fd = fds[1];
        return 0;
    }
    close(fds[1]);
    *fd = fds[0];
    return pid;
}

cli_child_end cli_child_reap(pid_t pid, int kill_first)
{
    int ws = 0;
    if (kill_first)
        kill(pid, SIGKILL);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        continue;
    cli_child_end end = {0, -1};
    if (WIFSIGNALED(ws))
        end.signal = WTERMSIG(ws);
    else if (WIFEXITED(ws))
        end.code = WEXITSTATUS(ws);
    return end;
}

int cli_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int cli_read_all(int fd, void *p, size_t n)
{
    char *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

char *cli_read_to_end(int fd, int timeout, size_t *n, int *timed_out)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    double end = now() + timeout;
    *n = 0;
    *timed_out = 0;
    while (buf != NULL) {
        int wait_ms = -1;
        if (timeout > 0) {
            double left = end - now();
            if (left <= 0) {
                *timed_out = 1;
                break;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, wait_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue; /* the deadline is checked above */
        if (*n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + *n, cap - *n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        *n += (size_t)got;
    }
    return buf;
}
