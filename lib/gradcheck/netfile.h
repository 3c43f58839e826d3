/*
 * gradcheck/netfile.h -- network files (JSON): load and save a network with
 * its data.
 *
 * The format (docs/DESIGN.md §6):
 *
 *   { "layers": [ {"type": "dense", "in": 2, "out": 2,
 *                  "W": [[0.1, 0.2], [0.3, 0.4]], "b": [0.0, 0.1]},
 *                 {"type": "sigmoid"},
 *                 {"type": "dense", "in": 2, "out": 1},
 *                 {"type": "leaky_relu", "alpha": 0.1} ],
 *     "loss": "bce",
 *     "x": [[0.5, 0.7]],
 *     "y": [[1]] }
 *
 * - "x" and "y" hold one inner list per example, so in the file x is
 *   B x in and y is B x out; the network's X and T are the transposes
 *   (one column per example).
 * - A layer is {"type": "dense", "in": I, "out": O, "W": O rows of I numbers,
 *   "b": O numbers} or {"type": ACT} for every built-in activation name
 *   (identity sigmoid tanh relu leaky_relu elu softplus gelu softmax);
 *   leaky_relu and elu may carry "alpha" (default gc_act_default_alpha).
 *   An activation takes its width from the layer before it (from x's width
 *   when it comes first); a dense layer's "in" must equal that width.
 * - "W" and "b" may be omitted: they are then drawn from the caller's
 *   generator (see gc_net_load).
 * - "weights" (optional) names a numpy .npz archive, relative to the
 *   file's folder (gc_net_load_string: to the current directory) unless
 *   absolute, holding W1, b1, W2, b2, ... (the k-th dense layer's W shaped
 *   (out, in), b shaped (out,)) and, when the document has no "x" / "y",
 *   x (B, in) and y (B, out).  Members are float64 '<f8' or float32 '<f4'
 *   (widened exactly) in C order, stored or deflated.  A tensor both in
 *   the document and in the archive, an array no tensor takes, a wrong
 *   shape ("layers[0].W: W1 in model.npz: expected shape (4, 3), got
 *   (3, 4)", GC_ESHAPE), a non-finite value (GC_ERANGE), another dtype,
 *   byte order or Fortran order, a damaged or unreadable archive are
 *   errors, each reported at PATH "weights" or at the tensor's path.
 * - Any W, b, x or y may instead be {"npy": "FILE.npy"}: one numpy .npy
 *   file (np.save), relative as above, with the same shapes and rules
 *   ("layers[0].W: W1.npy: expected shape (4, 3), got (3, 4)").
 * - "loss" is one of bce, bce_logits, mse, softmax_ce.  Targets must suit the
 *   loss: bce and bce_logits want every value in [0, 1]; softmax_ce wants
 *   every example to be a distribution (values >= 0 summing to 1 within
 *   1e-9); mse takes any finite value.
 *
 * Numbers are read as jansson reads them: one with '.', 'e' or 'E' is the
 * double strtod gives (correctly rounded to nearest; an overflow is a
 * syntax error, "real number overflow"; an underflow is 0 or a
 * subnormal), one without an integer within long long converted to double
 * ("-0" is +0.0; beyond, "too big integer").  Arrays of numbers are read
 * by a fast path (fast_float) and the rest by jansson; a text the fast
 * path has any doubt about is read by jansson alone, so the networks and
 * the messages are jansson's reading's in both cases.
 *
 * Validation is strict: unknown keys, missing keys, wrong types, sizes < 1,
 * ragged rows, non-finite numbers, an empty layer list or data set, shapes
 * that do not chain, an unknown type or loss are all rejected.  Every error
 * sets err->msg to one line "LABEL: PATH: what was expected, got what", e.g.
 *   net.json: layers[2].W: expected 2 rows, got 3
 *   net.json: layers[0].W[1][0]: expected a finite number, got "a"
 *   net.json: line 3 column 5: JSON syntax error: ']' expected near ','
 * where LABEL is the path or label given and PATH a JSON path.  The messages
 * are a stable interface (the CLI prints them and tests assert them).  Only
 * the first problem is reported, looking in this order: JSON syntax, the
 * top-level keys (unknown, then missing), loss, the weights archive, x,
 * layers in order (type, keys, in/out, W, b, alpha), y, the archive's
 * unused arrays, then y against the loss.
 *
 * Status codes: GC_EIO the file (or its archive) cannot be opened or read; GC_EPARSE syntax,
 * types, keys, counts within the file; GC_ESHAPE widths that do not chain (a
 * dense "in" unlike the width before it, y unlike x or the output width);
 * GC_ERANGE a value the loss cannot take, a size beyond the format's
 * limits (1e6 units per layer, 1e8 weights per matrix); GC_ELIMIT a file
 * beyond the caller's gc_net_limits (its message names the field:
 * "(max_layers)"); GC_EINVAL a needed generator missing; GC_ENOMEM (out of
 * memory, also while parsing the JSON).  A NUL byte in the text is a syntax
 * error at its line and column.
 *
 * Limits: a file cannot make the library allocate without bound.  Its size,
 * its number of layers and the elements the network will hold (parameters,
 * every layer's output for each example, the input x) are each checked
 * against gc_net_limits before the memory they guard is allocated, so a
 * refused file fails at once and in little memory.  The defaults are far
 * beyond what a finite-difference check can afford (each element checked
 * costs a forward pass); raise them to load bigger files.
 */
#ifndef GRADCHECK_NETFILE_H
#define GRADCHECK_NETFILE_H

#include <stdio.h>

#include "gradcheck/base.h"
#include "gradcheck/net.h"
#include "gradcheck/pcg32.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default limits: 64 MiB of text (jansson needs about 30 bytes of memory
 * per byte of JSON), 10,000 layers, 5e7 elements (about 800 MB as values and
 * gradients or activations and their gradients). */
#define GC_NET_MAX_BYTES (64LL << 20)
#define GC_NET_MAX_LAYERS 10000LL
#define GC_NET_MAX_ELEMENTS 50000000LL

typedef struct gc_net_limits {
    long long max_bytes;    /* bytes of text, >= 0 */
    long long max_layers;   /* entries of "layers", >= 1 */
    long long max_elements; /* parameters + layer outputs x examples + inputs x examples */
} gc_net_limits;

/* Fill *lim with the defaults above.  NULL is a no-op. */
void gc_net_limits_init(gc_net_limits *lim);

/* Load the network file at `path` into a new network with its data set
 * (gc_net_set_data).  When any W or b is omitted, every parameter of the
 * network is first drawn from rng by gc_net_init_params(net, init, rng) and
 * the values given in the file then overwrite their tensors, so a given seed
 * always yields the same network (rng may be NULL only when the file gives
 * every W and b; it is not touched then; an init that is no gc_init is then
 * GC_EINVAL).  Returns an owned network (free with gc_net_free), or NULL
 * with err set (codes as above). */
gc_net *gc_net_load(const char *path, gc_init init, gc_pcg32 *rng, gc_error *err);

/* As gc_net_load within the limits *lim (NULL: the defaults, as
 * gc_net_load).  A file over max_bytes is refused after reading at most
 * max_bytes + 1 bytes of it (a device or pipe such as /dev/zero included). */
gc_net *gc_net_load_limited(const char *path, const gc_net_limits *lim, gc_init init,
                            gc_pcg32 *rng, gc_error *err);

/* As gc_net_load_limited, from len bytes of text (NUL bytes in it are
 * errors); `label` stands in for the file name (NULL: "<string>"). */
gc_net *gc_net_load_buffer(const char *text, size_t len, const char *label,
                           const gc_net_limits *lim, gc_init init, gc_pcg32 *rng,
                           gc_error *err);

/* As gc_net_load, from the NUL-terminated text `json`; `label` stands in for
 * the file name in messages (NULL: "<string>"). */
gc_net *gc_net_load_string(const char *json, const char *label, gc_init init,
                           gc_pcg32 *rng, gc_error *err);

/* Write net (with its data, every W and b, alpha for leaky_relu and elu) to f
 * in the network file format.  Every number is written with the fewest
 * significant digits (15 to 17) that read back to the same bits, so loading
 * the output gives a bit-identical network.  GC_EINVAL when the network has
 * no data or a layer or loss the format cannot express (a user's layer);
 * GC_ERANGE for a NaN or Inf; GC_EIO when writing fails. */
int gc_net_write_json(const gc_net *net, FILE *f, gc_error *err);

/* Save net to `path` atomically: write a temporary file in the same
 * directory, flush it to disk, then rename it over `path`, so `path` holds
 * either the old or the complete new file; an existing file keeps its mode
 * and owner, a symbolic link is followed and its target replaced, a
 * character device or FIFO is written in place; a directory, a file the
 * process may not write or one with several hard links is refused
 * (GC_EIO, "PATH: reason").  Errors otherwise as gc_net_write_json. */
int gc_net_save(const gc_net *net, const char *path, gc_error *err);

#ifdef __cplusplus
}
#endif

#endif
