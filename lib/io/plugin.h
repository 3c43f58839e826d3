/*
 * io/plugin.h -- plugin layers inside network files (private).
 *
 *   {"type": "plugin", "lib": "./libswish.so", "factory": "swish_plugin",
 *    "in": 4, "out": 4, "T": 2, "NH": 2}
 *
 * "lib" is relative to the network file's directory (to the current one for
 * a file loaded from a string); "in" (optional) must be the width reaching
 * the layer; "out" defaults to it; every other key is a number handed to
 * the factory as a hyper-parameter (gc_layer_args).
 */
#ifndef GC_IO_PLUGIN_H
#define GC_IO_PLUGIN_H

#include <jansson.h>

#include "gradcheck/net.h"

/* Build layers[k] (the object lj, path "layers[k]") of the file `file`
 * (NULL: a string) whose input width is *width, into *out; advance *width.
 * Messages are "LABEL: layers[k].KEY: ..."; the codes those of
 * gc_layer_load, or GC_EPARSE for a malformed key. */
int gc_io_plugin_layer(const char *label, const char *file, const char *path, const json_t *lj,
                       int *width, gc_pcg32 *rng, gc_layer **out, gc_error *err);

/* gc_net_init_params, except that the parameters of plugin layers (l->dl
 * set) keep the values their factories gave them. */
int gc_io_init_params(gc_net *net, gc_init init, gc_pcg32 *rng);

#endif
