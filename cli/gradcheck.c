/*
 * gradcheck.c -- the gradcheck command: flags in, report out, no math here.
 *
 * Order of work, chosen so that every input error is found before anything
 * reaches stdout: parse and check every flag (opts.c), create the --output
 * temporary file (an unwritable path fails now, not after the check), build
 * the network (--net file or --arch), check the --param names against it,
 * run the check, and only then write the report.  With --layer the one
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

#include <stdlib.h>
#include <string.h>

#define MSG_MAX (GC_ERROR_MAX + 128)

int main(int argc, char **argv)
{
    char msg[MSG_MAX] = "";
    cli_opts o;
    cli_out out = {0};
    cli_progress bar;
    gc_net *net = NULL;
    cli_layer cl = {0};
    gc_report *rep = NULL;
    gc_expect *expect = NULL;
    gc_error err = {0};
    int status = 2;

    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return cli_merge(argc - 1, argv + 1);
    if (cli_parse(argc, argv, &o, msg, sizeof msg) != 0)
        goto fail;
    if (o.help || o.version) {
        if (o.help)
            cli_usage(stdout);
        else
            printf("gradcheck %s\n", GC_VERSION);
        /* a help text lost to a full disk or a closed pipe is an error */
        if (fflush(stdout) != 0 || ferror(stdout)) {
            snprintf(msg, sizeof msg, "stdout: writing the %s failed",
                     o.help ? "help" : "version");
            goto fail;
        }
        status = 0;
        goto done;
    }
    if (o.output != NULL && cli_out_open(&out, o.output, msg, sizeof msg) != 0)
        goto fail;
    if (o.layer != NULL) {
        if (cli_layer_open(&cl, &o, msg, sizeof msg) != 0)
            goto fail;
    } else {
        net = cli_build_net(&o, msg, sizeof msg);
        if (net == NULL)
            goto fail;
    }
    if (cli_check_params(net, cl.layer, &o, msg, sizeof msg) != 0)
        goto fail;
    if (o.expect != NULL && cli_expect_prepare(net, &o, &expect, msg, sizeof msg) != 0)
        goto fail;
    /* --quiet means nothing but errors on stderr: no bar either. */
    cli_progress_start(&bar, &o.check, !o.quiet);
    int rc = net != NULL ? gc_check_net(net, &o.check, &rep, &err)
                         : gc_check_layer(cl.layer, o.batch, &o.check, &rep, &err);
    cli_progress_end(&bar);
    if (rc != GC_OK) {
        snprintf(msg, sizeof msg, "%s", err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
        goto fail;
    }

    int failed = gc_report_failed(rep);
    FILE *f = o.output != NULL ? out.f : o.quiet ? NULL : stdout;
    if (expect != NULL) {
        if (cli_expect_report(expect, rep, &o, f, &failed, msg, sizeof msg) != 0)
            goto fail;
    } else if (f != NULL && cli_write_report(rep, o.format, f) != GC_OK) {
        if (o.output != NULL)
            snprintf(msg, sizeof msg, "--output: %s: writing the report failed", o.output);
        else
            snprintf(msg, sizeof msg, "stdout: writing the report failed");
        goto fail;
    }
    if (o.output != NULL) {
        if (cli_out_commit(&out, msg, sizeof msg) != 0)
            goto fail;
    } else if (f != NULL && fflush(stdout) != 0) {
        snprintf(msg, sizeof msg, "stdout: writing the report failed");
        goto fail;
    }
    /* refuted (or, with --expect, a disagreement) 1; else the report's 0 or 3 */
    status = failed ? 1 : (int)gc_report_status(rep);
    goto done;

fail:
    fprintf(stderr, "gradcheck: %s\n", msg);
    status = 2;
done:
    cli_out_abort(&out);
    gc_report_free(rep);
    gc_expect_free(expect);
    gc_net_free(net);
    cli_layer_close(&cl);
    free(o.params);
    return status;
}
