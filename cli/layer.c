/*
 * layer.c -- --layer: the one layer the command checks alone, either a
 * built-in by name (dense, relu, sigmoid, ...) or a plugin: a shared object
 * whose factory gc_layer_load (<gradcheck/layer.h>) finds and calls once
 * with (--in, --out, rng) or, for a factory declared with GC_LAYER_FACTORY,
 * with those and --set's hyper-parameters.
 *
 * The generator handed to the factory (and used for a built-in dense's
 * parameters) is seeded from --seed as the network builders seed theirs, so
 * the same command line builds the same layer.  The layer check itself
 * draws X and R from check.seed (gc_check_layer).  A plugin layer carries
 * its shared object (l->dl): gc_layer_free unloads it last.  What a
 * factory returns is checked against what the layer declares before the
 * engine trusts it (gc_layer_load); faults beyond that (a tensor whose
 * storage is smaller than it claims) are contained by running the plugin
 * in a child (contain.c), where cli_layer_watch's wrappers say which call
 * was running.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* The built-in names, for the message of an unknown one. */
static void builtin_list(char *buf, size_t size)
{
    snprintf(buf, size, "dense");
    for (int a = 0; a < GC_ACT_COUNT; a++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, ", %s", gc_act_name((gc_act)a));
    }
}

static int builtin(cli_layer *cl, const cli_opts *o, char *msg, size_t size)
{
    gc_act act;
    if (strcmp(o->layer, "dense") == 0) {
        cl->layer = gc_dense_new(o->in, o->out);
        if (cl->layer == NULL) {
            snprintf(msg, size, "--layer: out of memory for a %d -> %d dense layer", o->in, o->out);
            return -1;
        }
        /* gc_net_init_params draws the parameters of every layer of a
         * network as --init says; a one-layer view of this layer (no data,
         * no loss: init reads nothing else) reuses it instead of repeating
         * the rule here. */
        gc_net view;
        gc_pcg32 rng;
        memset(&view, 0, sizeof view);
        view.nlayers = 1;
        view.layers = &cl->layer;
        gc_arch_seed_rng(&rng, o->seed);
        if (gc_net_init_params(&view, o->init, &rng) != GC_OK) {
            snprintf(msg, size, "--init: invalid value %d", (int)o->init);
            return -1;
        }
        return 0;
    }
    if (gc_act_from_name(o->layer, &act) != GC_OK) {
        char list[256];
        builtin_list(list, sizeof list);
        snprintf(msg, size, "--layer: unknown layer '%s' (expected %s, or LIB.so:FACTORY)",
                 o->layer, list);
        return -1;
    }
    if (o->out != o->in) {
        snprintf(msg, size, "--layer: %s maps n -> n: --out must equal --in (%d), got %d",
                 o->layer, o->in, o->out);
        return -1;
    }
    cl->layer = gc_activation_new(act, o->in, gc_act_default_alpha(act));
    if (cl->layer == NULL) {
        snprintf(msg, size, "--layer: out of memory for a %d -> %d %s layer", o->in, o->out,
                 o->layer);
        return -1;
    }
    return 0;
}

static void set_phase(cli_layer *cl, char phase)
{
    if (cl->phase != NULL)
        *cl->phase = phase;
}

/* LIB.so:FACTORY through gc_layer_load, with --in, --out, --set and a
 * generator seeded from --seed. */
static int plugin(cli_layer *cl, const cli_opts *o, const char *colon, char *msg, size_t size)
{
    size_t plen = (size_t)(colon - o->layer);
    const char *symbol = colon + 1;
    if (plen == 0 || symbol[0] == '\0') {
        snprintf(msg, size, "--layer: expected LIB.so:FACTORY, got '%s'", o->layer);
        return -1;
    }
    char *lib = strndup(o->layer, plen);
    if (lib == NULL) {
        snprintf(msg, size, "--layer: out of memory");
        return -1;
    }
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, o->seed);
    gc_layer_args a = o->args;
    a.in = o->in;
    a.out = o->out;
    a.rng = &rng;
    gc_error err = {0, {0}};
    set_phase(cl, CLI_PHASE_FACTORY); /* the object's constructors, then its factory */
    int rc = gc_layer_load(lib, symbol, &a, &cl->layer, &err);
    set_phase(cl, CLI_PHASE_CHECK);
    free(lib);
    if (rc != GC_OK) {
        snprintf(msg, size, "--layer: %s", err.msg);
        return -1;
    }
    return 0;
}

int cli_layer_is_plugin(const cli_opts *o)
{
    return o->layer != NULL && strrchr(o->layer, ':') != NULL;
}

int cli_layer_open(cli_layer *cl, const cli_opts *o, char *msg, size_t size)
{
    volatile char *phase = cl->phase;
    memset(cl, 0, sizeof *cl);
    cl->phase = phase;
    const char *colon = strrchr(o->layer, ':');
    if (colon != NULL)
        return plugin(cl, o, colon, msg, size);
    if (strchr(o->layer, '/') != NULL || strstr(o->layer, ".so") != NULL) {
        snprintf(msg, size, "--layer: %s: name the factory too, as LIB.so:FACTORY", o->layer);
        return -1;
    }
    return builtin(cl, o, msg, size);
}

/* ---- watching a plugin's calls ----------------------------------------- */

/* The plugin's own ops and the phase byte, for the wrappers below: one
 * watched layer per process (the child that contain.c forks). */
static const gc_layer_ops *watched_ops;
static volatile char *watched_phase;

static void watch_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    *watched_phase = CLI_PHASE_FORWARD;
    watched_ops->forward(l, Y, X);
    *watched_phase = CLI_PHASE_CHECK;
}

static void watch_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    *watched_phase = CLI_PHASE_BACKWARD;
    watched_ops->backward(l, dX, X, Y, dY);
    *watched_phase = CLI_PHASE_CHECK;
}

static int watch_kink(const gc_layer *l, const gc_mat *Xlo, const gc_mat *Xhi)
{
    *watched_phase = CLI_PHASE_KINK;
    int r = watched_ops->kink(l, Xlo, Xhi);
    *watched_phase = CLI_PHASE_CHECK;
    return r;
}

static void watch_destroy(gc_layer *l)
{
    *watched_phase = CLI_PHASE_DESTROY;
    watched_ops->destroy(l);
    *watched_phase = CLI_PHASE_CHECK;
}

void cli_layer_watch(cli_layer *cl, volatile char *phase)
{
    if (cl->layer == NULL || phase == NULL)
        return;
    watched_ops = cl->layer->ops;
    watched_phase = phase;
    cl->watched = *watched_ops;
    cl->watched.forward = watch_forward;
    cl->watched.backward = watch_backward;
    cl->watched.kink = watched_ops->kink != NULL ? watch_kink : NULL;
    cl->watched.destroy = watched_ops->destroy != NULL ? watch_destroy : NULL;
    cl->layer->ops = &cl->watched;
}

void cli_layer_close(cli_layer *cl)
{
    gc_layer_free(cl->layer);
    cl->layer = NULL;
}
