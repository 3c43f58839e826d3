/*
 * plot.c -- --plot FILE: pictures drawn by gnuplot (Debian: gnuplot-nox).
 *
 * The gnuplot script is generated here, with the data inline (gnuplot 5's
 * $NAME << EOD blocks), written to a temporary file and run as
 * `gnuplot SCRIPT`; nothing is drawn by hand.  The terminal follows the
 * file's extension: pngcairo for .png, svg for .svg.  The picture goes to a
 * temporary file beside FILE that is renamed onto it only when gnuplot
 * succeeded (as --output does), so a failed plot leaves FILE as it was.
 * gnuplot's own messages are kept in a temporary file and the first one is
 * quoted when it fails.  The command checks that FILE's directory exists
 * and then that gnuplot is on PATH before the check runs, so either is one
 * line and exit status 2, found before any work (the directory first: what
 * the user typed is judged the same on every machine).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Curves drawn at most in one h-curve picture (a grid of panels). */
#define PANELS_MAX 6
/* rel_err values drawn in the check picture outside the log axis: exact
 * zeros at FLOOR_REL, NaN and Inf at TOP_REL. */
#define FLOOR_REL 1e-17
#define TOP_REL 10.0

int cli_plot_dir_exists(const char *path, char *msg, size_t size)
{
    char *dir = gc_path_dir(path);
    if (dir == NULL) {
        snprintf(msg, size, "--plot: %s: out of memory", path);
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (stat(dir, &st) != 0)
        snprintf(msg, size, "--plot: %s: directory %s: %s", path, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        snprintf(msg, size, "--plot: %s: %s is not a directory", path, dir);
    else
        rc = 0;
    free(dir);
    return rc;
}

int cli_plot_available(char *msg, size_t size)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path != NULL && *path != '\0') {
        size_t len = strcspn(path, ":");
        if (len > 0 && len + sizeof "/gnuplot" < sizeof buf) {
            memcpy(buf, path, len);
            memcpy(buf + len, "/gnuplot", sizeof "/gnuplot");
            if (access(buf, X_OK) == 0)
                return 0;
        }
        path += len + (path[len] == ':');
    }
    snprintf(msg, size, "--plot: gnuplot not found on PATH (on Debian: apt-get install "
             "gnuplot-nox, or make plots)");
    return -1;
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static void quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static int is_svg(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot != NULL && strcasecmp(dot, ".svg") == 0;
}

static void terminal(FILE *f, const char *path, const char *tmp, int w, int h)
{
    if (is_svg(path))
        fprintf(f, "set terminal svg size %d,%d dynamic enhanced font 'Sans,12'\n", w, h);
    else
        fprintf(f, "set terminal pngcairo size %d,%d enhanced font 'Sans,11'\n", w, h);
    fprintf(f, "set output ");
    quoted(f, tmp);
    fprintf(f, "\nset encoding utf8\n");
}

/* Run gnuplot on script; 0, or -1 with msg quoting its first message. */
static int run_gnuplot(const char *script, const char *log, char *msg, size_t size)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    char *argv[] = {"gnuplot", (char *)script, NULL};
    int status = 0;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_TRUNC, 0);
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        snprintf(msg, size, "--plot: cannot run gnuplot: %s", strerror(rc));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(msg, size, "--plot: waiting for gnuplot: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char line[256] = "";
    FILE *lf = fopen(log, "r");
    /* gnuplot's error is its last non-blank line ("line 12: ..."). */
    if (lf != NULL) {
        char buf[256];
        while (fgets(buf, sizeof buf, lf) != NULL)
            if (strspn(buf, " \t\n^") != strlen(buf))
                memcpy(line, buf, sizeof line);
        fclose(lf);
    }
    line[strcspn(line, "\n")] = '\0';
    snprintf(msg, size, "--plot: gnuplot failed%s%s", line[0] ? ": " : "", line);
    return -1;
}

/* A temporary file under TMPDIR (or /tmp) for the script or the log. */
static FILE *temp_file(char *path, size_t size, const char *what)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/gradcheck-%s-XXXXXX", dir != NULL && dir[0] ? dir : "/tmp", what);
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        remove(path);
        path[0] = '\0';
    }
    return f;
}

typedef void (*script_body)(FILE *f, const void *data);

/* Write the script (terminal, output, body), run it, commit the picture. */
static int draw(const char *path, int w, int h, script_body body, const void *data, char *msg,
                size_t size)
{
    cli_out pic = {0};
    char script[4096] = "", log[4096] = "";
    FILE *sf = NULL, *lf = NULL;
    int rc = -1;
    char why[512];
    if (cli_out_open(&pic, path, why, sizeof why) != 0) {
        /* cli_out's messages name the flag --output: this one is --plot */
        const char *rest = strncmp(why, "--output: ", 10) == 0 ? why + 10 : why;
        snprintf(msg, size, "--plot: %s", rest);
        return -1;
    }
    sf = temp_file(script, sizeof script, "plot");
    lf = sf != NULL ? temp_file(log, sizeof log, "gnuplot") : NULL;
    if (sf == NULL || lf == NULL) {
        snprintf(msg, size, "--plot: cannot make a temporary file: %s", strerror(errno));
        goto out;
    }
    fclose(lf);
    lf = NULL;
    /* gnuplot writes the temporary file (or, for a device or FIFO, the path) */
    terminal(sf, path, pic.a.tmp != NULL ? pic.a.tmp : path, w, h);
    body(sf, data);
    if (fflush(sf) != 0 || ferror(sf)) {
        snprintf(msg, size, "--plot: writing the gnuplot script failed");
        goto out;
    }
    fclose(sf);
    sf = NULL;
    if (run_gnuplot(script, log, msg, size) != 0)
        goto out;
    if (cli_out_commit(&pic, msg, size) == 0)
        rc = 0;
out:
    if (sf != NULL)
        fclose(sf);
    if (script[0] != '\0')
        remove(script);
    if (log[0] != '\0')
        remove(log);
    cli_out_abort(&pic);
    return rc;
}

/* ---- the h-curve ---------------------------------------------------------- */

typedef struct sweep_pic {
    const gc_sweep *s;
    double chosen;
    int n; /* panels */
} sweep_pic;

static void data_block(FILE *f, int k, const gc_sweep_curve *c, int points)
{
    fprintf(f, "$c%d << EOD\n", k);
    for (int i = 0; i < points; i++)
        fprintf(f, "%.17g %.17g %.17g %.17g\n", c->points[i].eps, c->points[i].forward,
                c->points[i].central, c->points[i].richardson);
    fprintf(f, "EOD\n$b%d << EOD\n", k);
    int best[3] = {c->best_forward, c->best_central, c->best_richardson};
    for (int m = 0; m < 3; m++) {
        if (best[m] < 0)
            continue;
        const gc_sweep_point *p = &c->points[best[m]];
        double v = m == 0 ? p->forward : m == 1 ? p->central : p->richardson;
        fprintf(f, "%.17g %.17g\n", p->eps, v);
    }
    fprintf(f, "EOD\n");
}

/* The guides are the theory's terms: truncation eps|L''|/2 (slope 1) and
 * eps^2|L'''|/6 (slope 2), roundoff r/eps (slope -1), in the sweep's error
 * measure; a coefficient that is not finite and positive is not drawn. */
static void guides(FILE *f, const gc_sweep_theory *t, char *plot, size_t size)
{
    double tf = t->d2 / 2.0 * t->scale, tc = t->d3 / 6.0 * t->scale;
    double ro = t->roundoff * t->scale;
    size_t used = strlen(plot);
    if (isfinite(tf) && tf > 0.0) {
        fprintf(f, "tf(x) = %.17g * x\n", tf);
        used += (size_t)snprintf(plot + used, size - used, ", tf(x) dt 3 lw 1.5 lc rgb '#d62728'"
                                 " title \"truncation {/Symbol e}|L''|/2 (slope 1)\"");
    }
    if (isfinite(tc) && tc > 0.0) {
        fprintf(f, "tc(x) = %.17g * x**2\n", tc);
        used += (size_t)snprintf(plot + used, size - used, ", tc(x) dt 3 lw 1.5 lc rgb '#1f77b4'"
                                 " title \"truncation {/Symbol e}^2|L'''|/6 (slope 2)\"");
    }
    if (isfinite(ro) && ro > 0.0) {
        fprintf(f, "ro(x) = %.17g / x\n", ro);
        snprintf(plot + used, size - used, ", ro(x) dt 4 lw 1.5 lc rgb '#555555'"
                 " title \"roundoff u|L|/{/Symbol e} (slope -1)\"");
    }
}

static void sweep_body(FILE *f, const void *data)
{
    const sweep_pic *sp = data;
    const gc_sweep *s = sp->s;
    int cols = sp->n > 1 ? 2 : 1, rows = (sp->n + cols - 1) / cols;
    fprintf(f, "set format x '10^{%%L}'\nset format y '10^{%%L}'\nset grid\n"
               "set key bottom left opaque box font ',9' samplen 2 spacing 0.9\n");
    fprintf(f, "set xlabel 'step {/Symbol e}'\nset ylabel '%s'\n",
            s->opts.relative ? "|a - n| / max(|a|, |n|)" : "|a - n|");
    fprintf(f, "set multiplot layout %d,%d title 'gradcheck --sweep: error of the numerical "
               "derivative against backprop%s'\n", rows, cols,
            s->ncurves > sp->n ? " (first panels)" : "");
    for (int k = 0; k < sp->n; k++) {
        const gc_sweep_curve *c = &s->curves[k];
        data_block(f, k, c, s->opts.points);
        /* the y range is the data's (a decade of margin), not the guides' */
        /* stats honours fixed ranges: free them while it reads the data */
        fprintf(f, "set autoscale xy\nunset logscale\n"
                   "stats $c%d using ($2 > 0 ? log10($2) : NaN) nooutput name 'F'\n"
                   "stats $c%d using ($3 > 0 ? log10($3) : NaN) nooutput name 'C'\n"
                   "stats $c%d using ($4 > 0 ? log10($4) : NaN) nooutput name 'R'\n"
                   "set yrange [10**(floor(F_min < C_min ? (F_min < R_min ? F_min : R_min) : "
                   "(C_min < R_min ? C_min : R_min)) - 1):10**(ceil(F_max > C_max ? "
                   "(F_max > R_max ? F_max : R_max) : (C_max > R_max ? C_max : R_max)) + 1)]\n"
                   "set logscale xy\nset xrange [%.17g:%.17g]\n",
                k, k, k, s->opts.eps_min / 2.0, s->opts.eps_max * 2.0);
        fprintf(f, "unset arrow\nunset label\n");
        fprintf(f, "set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dt 2 lc rgb "
                   "'#2ca02c'\n", sp->chosen, sp->chosen);
        fprintf(f, "set label 'the check''s {/Symbol e} = %g' at %.17g, graph 0.06 offset "
                   "0.5,0 tc rgb '#2ca02c' font ',9'\n", sp->chosen, sp->chosen);
        fprintf(f, "set title '%s[%d,%d]: analytic %.6g'\n", c->elem.tensor, c->elem.row,
                c->elem.col, c->analytic);
        char plot[2048];
        snprintf(plot, sizeof plot,
                 "plot $c%d using 1:2 with linespoints pt 6 ps 0.7 lc rgb '#d62728' title "
                 "'forward', $c%d using 1:3 with linespoints pt 7 ps 0.7 lc rgb '#1f77b4' "
                 "title 'central', $c%d using 1:4 with linespoints pt 5 ps 0.6 lc rgb "
                 "'#9467bd' title 'richardson', $b%d using 1:2 with points pt 3 ps 2.5 lw 2 "
                 "lc rgb 'black' title 'best step'", k, k, k, k);
        guides(f, &c->theory, plot, sizeof plot);
        fprintf(f, "%s\n", plot);
    }
    fprintf(f, "unset multiplot\n");
}

int cli_plot_sweep(const char *path, const gc_sweep *s, double chosen, char *msg, size_t size)
{
    sweep_pic sp = {s, chosen, s->ncurves < PANELS_MAX ? s->ncurves : PANELS_MAX};
    int cols = sp.n > 1 ? 2 : 1, rows = (sp.n + cols - 1) / cols;
    return draw(path, 760 * cols, 520 * rows + 40, sweep_body, &sp, msg, size);
}

/* ---- rel_err per tensor ------------------------------------------------------ */

/* A deterministic spread of a tensor's points across its column, so that
 * equal values do not hide each other (no randomness: same report, same
 * picture). */
static double spread(size_t k, size_t count)
{
    size_t m = count < 29 ? count : 29;
    if (m < 2)
        return 0.0;
    return ((double)(k % m) - (double)(m - 1) / 2.0) / (double)(m - 1) * 0.6;
}

static void check_block(FILE *f, const gc_report *r, gc_verdict v, const char *name)
{
    fprintf(f, "$%s << EOD\n", name);
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        for (size_t k = 0; k < tr->count; k++) {
            const gc_row *w = &r->rows[tr->first + k];
            if (w->verdict != v)
                continue;
            double y = w->rel_err;
            if (!isfinite(y))
                y = TOP_REL;
            else if (y < FLOOR_REL)
                y = FLOOR_REL;
            fprintf(f, "%.17g %.17g\n", t + spread(k, tr->count), y);
        }
    }
    fprintf(f, "EOD\n");
}

static void check_body(FILE *f, const void *data)
{
    const gc_report *r = data;
    check_block(f, r, GC_PASS, "pass");
    check_block(f, r, GC_KINK, "kink");
    check_block(f, r, GC_FAIL, "fail");
    check_block(f, r, GC_UNDECIDED, "undecided");
    fprintf(f, "set logscale y\nset format y '10^{%%L}'\nset yrange [%g:%g]\nset grid ytics\n",
            FLOOR_REL / 3.0, TOP_REL * 3.0);
    fprintf(f, "set xrange [-0.6:%g]\nset xtics (", r->ntensors - 0.4);
    for (int t = 0; t < r->ntensors; t++) {
        fputs(t ? ", " : "", f);
        quoted(f, r->tensors[t].name);
        fprintf(f, " %d", t);
    }
    fprintf(f, ")\nset xlabel 'tensor'\nset ylabel 'rel\\_err = |a - n| / max(|a|, |n|)'\n");
    fprintf(f, "set title \"gradcheck: each checked element's relative error, by tensor\\n"
               "{/*0.8 %s differences, {/Symbol e} = %g; an exact 0 is drawn at %g, NaN or Inf "
               "at %g}\"\n", gc_method_name(r->opts.method), r->opts.eps, FLOOR_REL, TOP_REL);
    fprintf(f, "set key outside right top\n");
    fprintf(f, "plot $pass using 1:2 with points pt 7 ps 0.6 lc rgb '#1f77b4' title 'pass', "
               "$kink using 1:2 with points pt 9 ps 1.0 lc rgb '#ff7f0e' title 'kink', "
               "$fail using 1:2 with points pt 5 ps 0.9 lc rgb '#d62728' title 'fail', "
               "$undecided using 1:2 with points pt 13 ps 0.8 lc rgb '#7f7f7f' title 'undecided', "
               "%.17g with lines dt 2 lw 2 lc rgb 'black' title 'rtol = %g', "
               "1e-7 with lines dt 3 lc rgb '#2ca02c' title '1e-7: good below'\n",
            r->opts.rtol, r->opts.rtol);
}

int cli_plot_check(const char *path, const gc_report *r, char *msg, size_t size)
{
    int w = 260 + 120 * r->ntensors;
    return draw(path, w < 900 ? 900 : w, 560, check_body, r, msg, size);
}
