/*
 * summarize.c -- bench/mpi's measure of rank 0's summaries: a report of N
 * synthetic rows (4 tensors, rel_err drawn by PCG32, a few kinks and
 * fails) summarised by gc_report_rebuild, the function rank 0 runs over
 * the gathered rows; prints the median of 5 runs in ns of CPU time per
 * row (CPU time, so that waiting for a busy machine's cores is not
 * counted).
 *
 *   bench/summarize N
 */
#define _POSIX_C_SOURCE 200809L
#include <gradcheck.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    gc_report *r = calloc(1, sizeof *r);
    if (r == NULL || n < 4)
        return 1;
    gc_check_opts_init(&r->opts);
    r->ntensors = 4;
    r->nrows = n;
    r->restored = 1;
    r->tensors = calloc(4, sizeof *r->tensors);
    r->rows = calloc(n, sizeof *r->rows);
    if (r->tensors == NULL || r->rows == NULL)
        return 1;
    for (int t = 0; t < 4; t++) {
        snprintf(r->tensors[t].name, sizeof r->tensors[t].name, "T%d", t);
        r->tensors[t].rows = (int)(n / 4 + 1);
        r->tensors[t].cols = 1;
    }
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 2);
    for (size_t k = 0; k < n; k++) {
        gc_row *w = &r->rows[k];
        w->tensor = (int)(k * 4 / n);
        w->row = (int)(k % (n / 4 + 1));
        w->analytic = gc_pcg32_uniform(&rng) - 0.5;
        w->rel_err = 1e-10 * gc_pcg32_uniform(&rng);
        w->numeric = w->analytic * (1.0 + w->rel_err);
        w->abs_err = w->analytic * w->rel_err;
        w->verdict = gc_pcg32_bounded(&rng, 100000) == 0 ? GC_FAIL : GC_PASS;
    }
    double t[5];
    for (int i = 0; i < 5; i++) {
        double t0 = now();
        if (gc_report_rebuild(r) != GC_OK)
            return 1;
        t[i] = now() - t0;
    }
    qsort(t, 5, sizeof t[0], by_value);
    printf("%.1f\n", t[2] / (double)n * 1e9);
    gc_report_free(r);
    return 0;
}
