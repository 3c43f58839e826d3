/*
 * layer.c -- --layer: the one layer the command checks alone, either a
 * built-in by name (dense, relu, sigmoid, ...) or a plugin: a shared object
 * loaded with dlopen whose factory (a gc_layer_plugin, <gradcheck/layer.h>)
 * is found with dlsym and called once with (--in, --out, rng).
 *
 * The generator handed to the factory (and used for a built-in dense's
 * parameters) is seeded from --seed as the network builders seed theirs, so
 * the same command line builds the same layer.  The layer check itself
 * draws X and R from check.seed (gc_check_layer).
 *
 * A plugin's code lives in the shared object (its ops, its destroy), so the
 * layer is freed before the object is unloaded (cli_layer_close).  What a
 * factory returns is checked against what the layer declares before the
 * engine trusts it; faults beyond that (a tensor whose storage is smaller
 * than it claims) are contained by running the plugin in a child
 * (contain.c), where cli_layer_watch's wrappers say which call was running.
 */
#include "cli.h"

#include <dlfcn.h>
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

/* What the capability bits promise about the shapes: an elementwise layer
 * maps n -> n with no parameters; an affine layer has exactly W (out x in)
 * and b (out x 1), which the engine indexes as such. */
static int caps_ok(const gc_layer *l, char *msg, size_t size)
{
    unsigned caps = l->ops->caps;
    if ((caps & GC_CAP_ELEMENTWISE) && (l->in != l->out || l->nparams != 0)) {
        snprintf(msg, size, "--layer: factory returned an elementwise layer (GC_CAP_ELEMENTWISE) "
                 "with in=%d out=%d and %d parameters (want in = out, no parameters)", l->in,
                 l->out, l->nparams);
        return 0;
    }
    if (caps & GC_CAP_AFFINE) {
        const gc_tensor *W = &l->param[0], *b = &l->param[1];
        if (l->nparams != 2 || W->rows != l->out || W->cols != l->in || b->rows != l->out ||
            b->cols != 1) {
            snprintf(msg, size, "--layer: factory returned an affine layer (GC_CAP_AFFINE) "
                     "whose parameters are not W (%d x %d) and b (%d x 1)", l->out, l->in,
                     l->out);
            return 0;
        }
    }
    return 1;
}

/* What a factory returned is checked before the engine trusts it: the
 * shape asked for, ops with forward and backward, parameters with storage,
 * shapes its capabilities promise. */
static int layer_ok(const gc_layer *l, const cli_opts *o, char *msg, size_t size)
{
    if (l->ops == NULL || l->ops->forward == NULL || l->ops->backward == NULL) {
        snprintf(msg, size, "--layer: factory returned a layer without forward and backward ops");
        return 0;
    }
    if (l->in != o->in || l->out != o->out) {
        snprintf(msg, size, "--layer: factory returned a %d -> %d layer for in=%d out=%d", l->in,
                 l->out, o->in, o->out);
        return 0;
    }
    if (l->nparams < 0 || l->nparams > GC_LAYER_MAX_PARAMS) {
        snprintf(msg, size, "--layer: factory returned a layer with %d parameters (0 to %d)",
                 l->nparams, GC_LAYER_MAX_PARAMS);
        return 0;
    }
    for (int p = 0; p < l->nparams; p++) {
        const gc_tensor *t = &l->param[p];
        if (t->rows < 1 || t->cols < 1 || t->value == NULL || t->grad == NULL
            || memchr(t->name, '\0', sizeof t->name) == NULL || t->name[0] == '\0') {
            snprintf(msg, size, "--layer: factory returned a malformed parameter %d "
                     "(use gc_layer_add_param)", p);
            return 0;
        }
    }
    return caps_ok(l, msg, size);
}

static void set_phase(cli_layer *cl, char phase)
{
    if (cl->phase != NULL)
        *cl->phase = phase;
}

static int plugin(cli_layer *cl, const cli_opts *o, const char *colon, char *msg, size_t size)
{
    size_t plen = (size_t)(colon - o->layer);
    const char *symbol = colon + 1;
    if (plen == 0 || symbol[0] == '\0') {
        snprintf(msg, size, "--layer: expected LIB.so:FACTORY, got '%s'", o->layer);
        return -1;
    }
    /* A path without '/' is a file in the current directory, as the shell
     * user means it, never a search of the library path (which could load
     * a system library of the same name). */
    int dot = memchr(o->layer, '/', plen) == NULL;
    char *path = malloc(plen + 3);
    if (path == NULL) {
        snprintf(msg, size, "--layer: out of memory");
        return -1;
    }
    snprintf(path, plen + 3, "%s%.*s", dot ? "./" : "", (int)plen, o->layer);
    set_phase(cl, CLI_PHASE_LOAD); /* its constructors run now */
    cl->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (cl->dl == NULL) {
        const char *why = dlerror();
        snprintf(msg, size, "--layer: %s", why != NULL ? why : path);
        free(path);
        return -1;
    }
    free(path);
    dlerror();
    void *sym = dlsym(cl->dl, symbol);
    if (sym == NULL) {
        snprintf(msg, size, "--layer: %.*s: no symbol '%s'", (int)plen, o->layer, symbol);
        return -1;
    }
    /* POSIX guarantees that dlsym's void * converts to a function pointer. */
    gc_layer_plugin factory = (gc_layer_plugin)sym;
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, o->seed);
    set_phase(cl, CLI_PHASE_FACTORY);
    gc_layer *l = factory(o->in, o->out, &rng);
    set_phase(cl, CLI_PHASE_CHECK);
    if (l == NULL) {
        snprintf(msg, size, "--layer: factory returned NULL for in=%d out=%d", o->in, o->out);
        return -1;
    }
    if (!layer_ok(l, o, msg, size)) {
        /* ops may be unusable: free the storage, not through ops->destroy */
        if (l->ops == NULL || l->ops->forward == NULL || l->ops->backward == NULL)
            l->ops = NULL;
        /* param[] has GC_LAYER_MAX_PARAMS slots, the only ones that can hold
         * storage: free those, never walk past them */
        if (l->nparams < 0)
            l->nparams = 0;
        if (l->nparams > GC_LAYER_MAX_PARAMS)
            l->nparams = GC_LAYER_MAX_PARAMS;
        gc_layer_free(l);
        return -1;
    }
    cl->layer = l;
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
    if (cl->dl != NULL)
        dlclose(cl->dl);
    cl->dl = NULL;
}
