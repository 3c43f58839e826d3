/*
 * setup.c -- the steps every gradcheck command shares between its flags and
 * its report: the network from --net or --arch, the --param names checked
 * against it, and the report written in the chosen format.
 */
#include "cli.h"

#include <string.h>

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

gc_net *cli_build_net(const cli_opts *o, char *msg, size_t size)
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
int cli_check_params(const gc_net *net, const gc_layer *layer, cli_opts *o, char *msg,
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

int cli_write_report(const gc_report *r, cli_format format, FILE *f)
{
    switch (format) {
    case CLI_JSON: return gc_report_write_json(r, f);
    case CLI_JUNIT: return gc_report_write_junit(r, f);
    case CLI_TEXT: break;
    }
    return gc_report_write_text(r, f);
}

