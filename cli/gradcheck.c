/*
 * gradcheck.c -- the gradcheck command: flags in, report out, no math here.
 *
 * Order of work, chosen so that every input error is found before anything
 * reaches stdout: parse and check every flag (opts.c), make sure gnuplot is
 * there for --plot (plot.c), create the --output temporary file (an
 * unwritable path fails now, not after the check), build the network (--net
 * file or --arch), check the --param and --sweep-element names against it,
 * run the check, then the sweep (sweep.c) and the picture, and only then
 * write the walkthrough (explain.c), the report or the sweep.  With --layer the one
 * layer (a built-in, or a plugin's factory: layer.c) takes the network's
 * place and gc_check_layer runs instead of gc_check_net.  Any error is one line
 * "gradcheck: ..." on stderr and exit status 2; otherwise the status is the
 * report's (gc_report_status): 0 confirmed, 1 refuted, 3 undecided.
 *
 * The one --seed seeds the generator that draws the network (parameters,
 * data) and is passed to the check as opts.seed (sampling, screens), and the
 * report's writers print it, so a run is repeated by its command line.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX (GC_ERROR_MAX + 128)

static int write_sweep(const gc_sweep *s, cli_format format, FILE *f)
{
    switch (format) {
    case CLI_JSON: return gc_sweep_write_json(s, f);
    case CLI_JUNIT: return gc_sweep_write_junit(s, f);
    case CLI_TEXT: break;
    }
    return gc_sweep_write_text(s, f);
}

/* The message of a report that could not be written, errno e's reason in
 * it ("--output: r.json: writing the report failed: No space left on
 * device"). */
static void write_failed(const cli_opts *o, const char *what, int e, char *msg, size_t size)
{
    const char *reason = strerror(e != 0 ? e : EIO);
    if (o->output != NULL && strcmp(o->output, "-") != 0)
        snprintf(msg, size, "--output: %s: writing the %s failed: %s", o->output, what, reason);
    else
        snprintf(msg, size, "stdout: writing the %s failed: %s", what, reason);
}

/* What goes to f (stdout or --output; NULL under --quiet: nothing), after
 * the walkthrough with --explain: the sweep with --sweep, the report and the
 * comparison with --expect, else the report.  *failed may be raised by the
 * comparison, which runs even when nothing is written.  0, or -1 with msg
 * set. */
static int emit(FILE *f, const cli_opts *o, gc_net *net, const gc_report *r, const gc_sweep *sw,
                const gc_expect *expect, int *failed, char *msg, size_t size)
{
    if (f != NULL && o->explain && cli_explain(f, net, r, msg, size) != 0)
        return -1;
    if (expect != NULL)
        return cli_expect_report(expect, r, o, f, failed, msg, size);
    if (f == NULL)
        return 0;
    int rc = sw != NULL ? write_sweep(sw, o->format, f) : cli_write_report(r, o->format, f);
    if (rc != GC_OK || fflush(f) != 0) {
        write_failed(o, sw != NULL ? "sweep" : "report", errno, msg, size);
        return -1;
    }
    return 0;
}

/* --sweep: the elements (named, or picked from the report) and their
 * curves.  0, or -1 with msg set. */
static int run_sweep(const cli_opts *o, gc_net *net, const gc_report *r, gc_sweep **sw,
                     char *msg, size_t size)
{
    gc_element *elems = NULL;
    int n = 0;
    gc_error err = {0};
    if (cli_sweep_elements(o, net, r, &elems, &n, msg, size) != 0)
        return -1;
    int rc = gc_sweep_net(net, elems, n, &o->sweep_opts, sw, &err);
    free(elems);
    if (rc != GC_OK) {
        snprintf(msg, size, "--sweep: %s", err.msg[0] != '\0' ? err.msg : gc_strerror(rc));
        return -1;
    }
    return 0;
}

static int plot(const cli_opts *o, const gc_report *r, const gc_sweep *sw, char *msg,
                size_t size)
{
    if (sw != NULL)
        return cli_plot_sweep(o->plot, sw, r->opts.eps, msg, size);
    return cli_plot_check(o->plot, r, msg, size);
}

/* The check itself, as a job for cli_contain: build the network or the
 * layer, check the --param names, run, and write the report to out (NULL:
 * nowhere, --quiet).  Returns the exit status: 0 pass, 1 a gradient
 * failed, 2 an error (msg set).  phase (may be NULL) follows a plugin. */
static int check_job(void *ctx, volatile char *phase, FILE *out, char *msg, size_t size)
{
    cli_opts *o = ctx;
    gc_net *net = NULL;
    cli_layer cl = {0};
    gc_report *rep = NULL;
    gc_sweep *sw = NULL;
    gc_expect *expect = NULL;
    gc_error err = {0};
    cli_progress bar;
    int status = 2;
    cl.phase = phase;
    if (o->layer != NULL) {
        if (cli_layer_open(&cl, o, msg, size) != 0)
            goto done;
        if (cli_layer_is_plugin(o))
            cli_layer_watch(&cl, phase);
    } else {
        /* a network file's plugin layers run their factories as it loads */
        if (phase != NULL)
            *phase = CLI_PHASE_FACTORY;
        net = cli_build_net(o, msg, size);
        if (phase != NULL)
            *phase = CLI_PHASE_CHECK;
        if (net == NULL)
            goto done;
    }
    if (cli_check_params(net, cl.layer, o, msg, size) != 0)
        goto done;
    /* Named sweep elements are checked now, before the work. */
    if (o->nsweep_elems > 0) {
        gc_element *named = NULL;
        int nn = 0;
        if (cli_sweep_elements(o, net, NULL, &named, &nn, msg, size) != 0)
            goto done;
        free(named);
    }
    if (o->expect != NULL && cli_expect_prepare(net, o, &expect, msg, size) != 0)
        goto done;
    /* Nothing that reads every row (--expect, --sweep, --plot, a part of a
     * split check): with no report written (--quiet, no --output) the exit
     * status is all, and it comes from the counts, so the check keeps only
     * the rows not passed and computes no statistic; a text or JUnit
     * report lists only rows a partial report keeps (the same bytes:
     * report.h), so the passing rows beyond those are dropped as they are
     * read.  A JSON report and --explain's walkthrough read every row. */
    const int rows_read =
        expect != NULL || o->sweep || o->plot != NULL || o->check.nshards != 0;
    o->check.drop_passes = rows_read                               ? 0
                           : out == NULL                           ? GC_DROP_STATS
                           : o->format != CLI_JSON && !o->explain  ? GC_DROP_PASSES
                                                                   : 0;
    /* --quiet means nothing but errors on stderr: no bar either. */
    cli_progress_start(&bar, &o->check, !o->quiet);
    int rc = net != NULL ? gc_check_net(net, &o->check, &rep, &err)
                         : gc_check_layer(cl.layer, o->batch, &o->check, &rep, &err);
    cli_progress_end(&bar);
    if (rc != GC_OK) {
        snprintf(msg, size, "%s", err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
        goto done;
    }
    if (o->sweep && run_sweep(o, net, rep, &sw, msg, size) != 0)
        goto done;
    /* The picture before the report, so that a failed plot leaves no
     * report presented as if the run were whole. */
    if (o->plot != NULL && plot(o, rep, sw, msg, size) != 0)
        goto done;
    int failed = gc_report_failed(rep);
    if (emit(out, o, net, rep, sw, expect, &failed, msg, size) != 0)
        goto done;
    /* refuted (or, with --expect, a disagreement) 1; else the report's 0 or 3 */
    status = failed ? 1 : (int)gc_report_status(rep);
done:
    gc_sweep_free(sw);
    gc_report_free(rep);
    gc_expect_free(expect);
    gc_net_free(net);
    cli_layer_close(&cl);
    return status;
}

/* A plugin's check, contained (contain.c): its report comes back as bytes,
 * written here to dest (NULL: --quiet). */
static int contained_check(cli_opts *o, FILE *dest, char *msg, size_t size)
{
    char *bytes = NULL;
    size_t len = 0;
    const char *where = o->layer != NULL ? "--layer" : o->net_path;
    int status = cli_contain(check_job, o, where, o->no_fork, o->plugin_timeout, &bytes, &len,
                             msg, size);
    if (status != 2 && dest != NULL && len > 0 &&
        (fwrite(bytes, 1, len, dest) != len || fflush(dest) != 0)) {
        write_failed(o, "report", errno, msg, size);
        status = 2;
    }
    free(bytes);
    return status;
}

/* --help or --version on stdout; a text lost to a full disk or a closed
 * pipe is an error. */
static int help_or_version(const cli_opts *o, char *msg, size_t size)
{
    if (o->help)
        cli_usage(stdout);
    else
        printf("gradcheck %s\n", GC_VERSION);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        snprintf(msg, size, "stdout: writing the %s failed: %s", o->help ? "help" : "version",
                 strerror(errno != 0 ? errno : EIO));
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char msg[MSG_MAX] = "";
    cli_opts o;
    cli_out out = {0};
    int status = 2;
    void *below_huge = cli_heap_for_one_check();

    if (argc > 1 && strcmp(argv[1], "merge") == 0) {
        status = cli_merge(argc - 1, argv + 1);
        free(below_huge);
        return status;
    }
    if (cli_parse(argc, argv, &o, msg, sizeof msg) != 0)
        goto fail;
    if (o.help || o.version) {
        status = help_or_version(&o, msg, sizeof msg);
        if (status != 0)
            goto fail;
        goto done;
    }
    cli_signal_install();
    if (o.plot != NULL && (cli_plot_dir_exists(o.plot, msg, sizeof msg) != 0 ||
                           cli_plot_available(msg, sizeof msg) != 0))
        goto fail;
    if (o.output != NULL && cli_out_open(&out, o.output, msg, sizeof msg) != 0)
        goto fail;
    FILE *dest = o.output != NULL ? out.f : o.quiet ? NULL : stdout;
    /* a plugin is a user's code: contained; the rest is the library's */
    int contain = cli_layer_is_plugin(&o) ||
                  (o.net_path != NULL && cli_net_may_load_code(o.net_path, o.limits.max_bytes));
    status = contain ? contained_check(&o, dest, msg, sizeof msg)
                     : check_job(&o, NULL, dest, msg, sizeof msg);
    if (status == 2)
        goto fail;
    if (o.output == NULL && dest != NULL && fflush(dest) != 0) {
        write_failed(&o, "report", errno, msg, sizeof msg);
        goto fail;
    }
    if (o.output != NULL && cli_out_commit(&out, msg, sizeof msg) != 0)
        goto fail;
    goto done;

fail:
    cli_one_line(msg);
    fprintf(stderr, "gradcheck: %s\n", msg);
    status = 2;
done:
    cli_out_abort(&out);
    free(o.params);
    free(o.sweep_elems);
    free(below_huge);
    return status;
}
