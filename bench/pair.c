/*
 * pair.c -- two commands timed in turn as whole processes, and their ratio
 * pair by pair: the figure to quote when the machine's speed drifts.
 *
 *   pair [-n PAIRS] [-w WARMUP] [-j COPIES] A ARG... -- B ARG...
 *
 * Runs A and B alternately, PAIRS times after WARMUP unrecorded pairs,
 * swapping which goes first in every other pair (so neither always runs
 * on the caches and clock the other left), output to /dev/null.  A
 * command's time is its wall time from fork to reaped exit.  -j starts
 * COPIES processes of B at once (default 1), its time from the first fork
 * to the last exit: with A the same one-thread command, 2 A / B is what
 * the machine gives two independent jobs, the ceiling of 2 threads.  Prints
 *
 *   a_s=MEDIAN b_s=MEDIAN ratio=MEDIAN ratio_min=MIN ratio_max=MAX pairs=N
 *
 * where ratio is the median over the pairs of a_i / b_i.  Two series
 * timed one after the other (hyperfine's way) put any drift between them
 * into their ratio; a ratio taken within each pair does not.  Exit 0, or
 * 1 when a command could not be started or did not exit 0 (named on
 * stderr), 2 for bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

enum { COPIES_MAX = 64 };

/* The wall time of `copies` processes of argv started at once, from the
 * first fork to the last exit, or -1 when one failed or exited non-zero. */
static double run(char **argv, int copies)
{
    double t0 = seconds();
    int ok = 1, started = 0;
    for (; started < copies; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            ok = 0;
            break;
        }
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
            }
            execvp(argv[0], argv);
            _exit(127);
        }
    }
    for (int k = 0; k < started; k++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            ok = 0;
    }
    double t = seconds() - t0;
    return ok ? t : -1.0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int usage(void)
{
    fprintf(stderr, "usage: pair [-n PAIRS] [-w WARMUP] [-j COPIES] A ARG... -- B ARG...\n");
    return 2;
}

int main(int argc, char **argv)
{
    int pairs = 21, warmup = 2, copies = 1, i = 1;
    for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] != '-'; i += 2) {
        int v = atoi(argv[i + 1]);
        if (strcmp(argv[i], "-n") == 0 && v >= 1 && v <= 10000)
            pairs = v;
        else if (strcmp(argv[i], "-w") == 0 && v >= 0 && v <= 100)
            warmup = v;
        else if (strcmp(argv[i], "-j") == 0 && v >= 1 && v <= COPIES_MAX)
            copies = v;
        else
            return usage();
    }
    char **a = &argv[i], **b = NULL;
    for (; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            argv[i] = NULL;
            b = &argv[i + 1];
            break;
        }
    if (b == NULL || a[0] == NULL || b[0] == NULL)
        return usage();
    double *ta = malloc((size_t)pairs * sizeof *ta), *tb = malloc((size_t)pairs * sizeof *tb);
    double *r = malloc((size_t)pairs * sizeof *r);
    if (ta == NULL || tb == NULL || r == NULL) {
        fprintf(stderr, "pair: out of memory\n");
        return 1;
    }
    for (int k = -warmup; k < pairs; k++) {
        double x, y;
        if (k % 2 == 0) {
            x = run(a, 1);
            y = run(b, copies);
        } else {
            y = run(b, copies);
            x = run(a, 1);
        }
        if (x < 0.0 || y < 0.0) {
            fprintf(stderr, "pair: %s failed or exited non-zero\n", x < 0.0 ? a[0] : b[0]);
            return 1;
        }
        if (k >= 0) {
            ta[k] = x;
            tb[k] = y;
            r[k] = x / y;
        }
    }
    double ma = median(ta, pairs), mb = median(tb, pairs), mr = median(r, pairs);
    printf("a_s=%.6f b_s=%.6f ratio=%.3f ratio_min=%.3f ratio_max=%.3f pairs=%d\n", ma, mb, mr,
           r[0], r[pairs - 1], pairs);
    free(ta);
    free(tb);
    free(r);
    return 0;
}
