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

/* "arch: ..." from gc_net_from_arch names the field; the user typed a flag,
 * so say "--arch: ...". */
static void flag_message(char *msg, size_t size, const char *lib_msg)
{
    static const char *const fields[] = {"arch: ", "act: ", "loss: ", "batch: ", "init: "};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strncmp(lib_msg, fields[i], strlen(fields[i])) == 0) {
            snprintf(msg, size, "--%s", lib_msg);
            return;
        }
    }
    snprintf(msg, size, "%s", lib_msg);
}

static gc_net *build_net(const cli_opts *o, char *msg, size_t size)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_net *net;
    gc_arch_seed_rng(&rng, o->seed);
    if (o->net_path != NULL) {
        net = gc_net_load(o->net_path, o->init, &rng, &err);
        if (net == NULL)
            snprintf(msg, size, "%s", err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
    } else {
        net = gc_net_from_arch(o->arch, o->act, o->loss, o->batch, o->init, &rng, &err);
        if (net == NULL)
            flag_message(msg, size, err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
    }
    return net;
}

/* The tensors --param may name: a network's (W1, b1, ...) or, with --layer,
 * the layer's (base names: W, b). */
static int ntensors(const gc_net *net, const gc_layer *layer)
{
    return net != NULL ? net->ntensors : layer->nparams;
}

static const char *tensor_name(const gc_net *net, const gc_layer *layer, int t)
{
    return net != NULL ? net->tensors[t]->name : layer->param[t].name;
}

static int has_tensor(const gc_net *net, const gc_layer *layer, const char *name)
{
    for (int t = 0; t < ntensors(net, layer); t++)
        if (strcmp(tensor_name(net, layer, t), name) == 0)
            return 1;
    return 0;
}

/* Every --param must name a tensor of this network (or layer) or "x" (the
 * input); a name given twice is checked once. */
static int check_params(const gc_net *net, const gc_layer *layer, cli_opts *o, char *msg,
                        size_t size)
{
    int kept = 0;
    for (int i = 0; i < o->nparams; i++) {
        const char *name = o->params[i];
        int dup = 0;
        for (int j = 0; j < kept; j++)
            dup |= strcmp(o->params[j], name) == 0;
        if (dup)
            continue;
        /* "x" is the input: the engine checks it when named, as --inputs. */
        if (strcmp(name, "x") != 0 && !has_tensor(net, layer, name)) {
            char list[256] = "";
            for (int t = 0; t < ntensors(net, layer); t++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof list - used, "%s ", tensor_name(net, layer, t));
            }
            snprintf(msg, size, "--param: no tensor '%s' in this %s (it has %sx)", name,
                     net != NULL ? "network" : "layer", list);
            return -1;
        }
        o->params[kept++] = name;
    }
    o->params[kept] = NULL;
    o->nparams = kept;
    return 0;
}

static int write_report(const gc_report *r, cli_format format, FILE *f)
{
    switch (format) {
    case CLI_JSON: return gc_report_write_json(r, f);
    case CLI_JUNIT: return gc_report_write_junit(r, f);
    case CLI_TEXT: break;
    }
    return gc_report_write_text(r, f);
}

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
        net = build_net(&o, msg, sizeof msg);
        if (net == NULL)
            goto fail;
    }
    if (check_params(net, cl.layer, &o, msg, sizeof msg) != 0)
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
    } else if (f != NULL && write_report(rep, o.format, f) != GC_OK) {
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
