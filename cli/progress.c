/*
 * progress.c -- a progress bar on stderr for long checks, drawn from the
 * engine's progress callback (gc_check_opts.progress), so the library itself
 * stays silent.
 *
 * It appears only when stderr is a terminal (never in a pipe, a log or CI)
 * and only when the check will take more than about a second: nothing is
 * drawn during the first half second, and after that only while the time
 * left, extrapolated from the rate so far, is more than half a second.
 * Redraws are limited to ten a second.  The bar is erased when the check
 * ends, so a terminal shows the report alone.  The clock here only paces
 * the drawing; it never reaches a seed or a result.
 */
#include "cli.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define QUIET_START 0.5 /* s before anything is drawn */
#define REDRAW 0.1      /* s between redraws */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void draw(cli_progress *p, size_t done, size_t total, double left)
{
    char bar[BAR_WIDTH + 1];
    int full = total > 0 ? (int)((double)BAR_WIDTH * (double)done / (double)total) : BAR_WIDTH;
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < full ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    int n = fprintf(stderr, "\rgradcheck: [%s] %zu/%zu elements, %.0f s left ", bar, done, total,
                    left);
    if (n > p->width)
        p->width = n;
    fflush(stderr);
    p->shown = 1;
}

static void on_progress(void *ctx, size_t done, size_t total)
{
    cli_progress *p = ctx;
    double t = now();
    double elapsed = t - p->start;
    if (elapsed < QUIET_START || t - p->last < REDRAW || done == 0)
        return;
    double left = elapsed * (double)(total - done) / (double)done;
    if (!p->shown && left < QUIET_START)
        return;
    p->last = t;
    draw(p, done, total, left);
}

void cli_progress_start(cli_progress *p, gc_check_opts *opts, int enable)
{
    memset(p, 0, sizeof *p);
    if (!enable || !isatty(STDERR_FILENO))
        return;
    p->start = now();
    opts->progress = on_progress;
    opts->progress_ctx = p;
}

void cli_progress_end(cli_progress *p)
{
    if (!p->shown)
        return;
    /* Blank the line and return to its start. */
    fprintf(stderr, "\r%*s\r", p->width, "");
    fflush(stderr);
    p->shown = 0;
}
