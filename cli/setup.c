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

/* The library names a limit by its gc_net_limits field; the user set it by
 * a flag: "(max_layers)" becomes "(raise it with --max-layers N)". */
static void limit_message(char *msg, size_t size, const char *lib_msg)
{
    static const char *const fields[][2] = {{"(max_bytes)", "--max-input-bytes"},
                                            {"(max_layers)", "--max-layers"},
                                            {"(max_elements)", "--max-elements"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *at = strstr(lib_msg, fields[i][0]);
        if (at != NULL) {
            snprintf(msg, size, "%.*s(raise it with %s N)%s", (int)(at - lib_msg), lib_msg,
                     fields[i][1], at + strlen(fields[i][0]));
            return;
        }
    }
    snprintf(msg, size, "%s", lib_msg);
}

/* The elements an --arch network holds (parameters, and every layer's
 * input and output per example, as gc_net_limits counts them), checked
 * against --max-elements before anything is allocated. */
static int arch_elements_ok(const cli_opts *o, char *msg, size_t size)
{
    int widths[GC_ARCH_MAX_LAYERS + 1], n = 0;
    gc_error err = {0};
    if (gc_arch_parse(o->arch, widths, GC_ARCH_MAX_LAYERS + 1, &n, &err) != GC_OK)
        return 1; /* gc_net_from_arch reports it, with its message */
    /* each dense layer and its activation: W, b, two outputs per example */
    long long total = (long long)widths[0] * o->batch;
    for (int k = 1; k < n; k++)
        total += (long long)widths[k - 1] * widths[k] + widths[k] + 2LL * widths[k] * o->batch;
    if (total <= o->limits.max_elements)
        return 1;
    snprintf(msg, size, "--arch: the network would hold %lld elements (parameters, "
             "activations, data), more than the limit of %lld (raise it with --max-elements N)",
             total, o->limits.max_elements);
    return 0;
}

gc_net *cli_build_net(const cli_opts *o, char *msg, size_t size)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_net *net;
    gc_arch_seed_rng(&rng, o->seed);
    if (o->net_path != NULL) {
        net = gc_net_load_limited(o->net_path, &o->limits, o->init, &rng, &err);
        if (net == NULL)
            limit_message(msg, size, err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
    } else {
        if (!arch_elements_ok(o, msg, size))
            return NULL;
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

