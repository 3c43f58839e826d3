/*
 * io/netfile_parse.h -- the pieces of the network-file loader shared by its
 * files (private): messages (netfile_msg.c), value checks (netfile_values.c),
 * layers (netfile_layers.c); the document and the public loaders are in
 * netfile_load.c, writing in netfile_save.c.
 *
 * Every error message is "LABEL: PATH: expected ..., got ..." on one line;
 * the checks assert them verbatim, so change them only on purpose.
 */
#ifndef GC_IO_NETFILE_PARSE_H
#define GC_IO_NETFILE_PARSE_H

#include <jansson.h>
#include <stddef.h>

#include "gradcheck/netfile.h"
#include "io/netfile_fast.h"
#include "io/weights.h"

/* Size limits of one tensor, whatever gc_net_limits says: 1e6 units per
 * layer and 1e8 weights per matrix keep every index and product in range
 * (an int holds a width, a long long any count). */
#define GC_NF_MAX_WIDTH 1000000
#define GC_NF_MAX_WEIGHTS 100000000LL

#define GC_NF_PATH_MAX 160
#define GC_NF_GOT_MAX 64

/* One load: where messages go and what it may allocate. */
typedef struct gc_nf_ctx {
    const char *label;   /* file name or caller's label, first in every message */
    gc_error *err;       /* may be NULL */
    const char *anchor;  /* the file whose directory "weights", {"npy": ...} and plugin
                          * libraries are relative to (NULL: the current directory) */
    gc_pcg32 *rng;       /* plugin layers' factories draw from it; may be NULL */
    gc_net_limits lim;   /* the limits in force */
    int batch;           /* examples in x, once x is read; 0 before */
    long long elements;  /* elements the network will hold, counted so far */
    const gc_nf_table *tab; /* the fast path's numbers (io/netfile_fast.h); NULL on the
                             * slow path, where no string stands for an array */
} gc_nf_ctx;

/* ---- messages (netfile_msg.c) ------------------------------------------ */

/* Set err to "LABEL: PATH: <fmt...>" (or "LABEL: <fmt...>" when path is
 * NULL) and return code. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int gc_nf_fail(const gc_nf_ctx *c, int code, const char *path, const char *fmt, ...);

/* A short description of a JSON value for "got ...": numbers and literals as
 * written, strings quoted (cut at 40 characters), containers by kind. */
const char *gc_nf_describe(char *buf, size_t n, const json_t *v);

/* path + "." + key, the key's non-printable bytes shown as '?', cut at 40. */
void gc_nf_path_key(char *out, size_t n, const char *path, const char *key);

/* path + "[i]", cut with "..." when too long for out. */
void gc_nf_path_index(char *out, size_t n, const char *path, size_t i);

/* one when n == 1, else many. */
const char *gc_nf_plural(long long n, const char *one, const char *many);

/* ---- values (netfile_values.c) ----------------------------------------- */

/* An array as the loader reads it: jansson's array a, or (the fast path)
 * a run x of the scan's table, whose n numbers are all finite. */
typedef struct gc_nf_array {
    const json_t *a; /* NULL for a run */
    const double *x; /* NULL for jansson's array */
    size_t n;
} gc_nf_array;

/* v as an array of either kind into *out: 1, or 0 when v is none. */
int gc_nf_array_of(const gc_nf_ctx *c, const json_t *v, gc_nf_array *out);

/* *out = the finite number v, or an error at path. */
int gc_nf_get_number(const gc_nf_ctx *c, const char *path, const json_t *v, double *out);

/* *out = the integer v in [1, GC_NF_MAX_WIDTH], or an error at path. */
int gc_nf_get_size(const gc_nf_ctx *c, const char *path, const json_t *v, int *out);

/* v is an array of exactly n finite numbers; one/many name a unit of the
 * length in the message ("value"/"values"), why is appended to it. */
int gc_nf_check_numbers(const gc_nf_ctx *c, const char *path, const json_t *v, size_t n,
                        const char *one, const char *many, const char *why);

/* v is an array of `rows` arrays of `cols` finite numbers. */
int gc_nf_check_rows(const gc_nf_ctx *c, const char *path, const json_t *v, size_t rows,
                     size_t cols);

/* Copy a validated array of arrays (rows x cols) into row-major dst. */
void gc_nf_copy_rows(const gc_nf_ctx *c, double *dst, const json_t *v, size_t rows,
                     size_t cols);

/* Copy a validated array of n numbers into dst. */
void gc_nf_copy_numbers(const gc_nf_ctx *c, double *dst, const json_t *v, size_t n);

/* The first key of object o not in the NULL-terminated `allowed` is
 * "PATH.KEY: unknown key", with `note` appended when the key is `special`. */
int gc_nf_check_keys(const gc_nf_ctx *c, const char *path, const json_t *o,
                     const char *const *allowed, const char *special, const char *note);

/* Parse an examples array (B inner arrays of `width` numbers; width 0: take
 * it from the first example) into a new width x B matrix, one column per
 * example.  nexamples > 0 demands that many examples. */
int gc_nf_parse_examples(gc_nf_ctx *c, const char *name, const json_t *v, int width,
                         size_t nexamples, const char *width_why, gc_mat **out);

/* The targets T suit the loss (see netfile.h). */
int gc_nf_check_targets(const gc_nf_ctx *c, const gc_loss *loss, const gc_mat *T);

/* Count n more elements at path against lim.max_elements, before they are
 * allocated: GC_ELIMIT naming the limit when the total would pass it. */
int gc_nf_spend(gc_nf_ctx *c, const char *path, long long n);

/* ---- layers (netfile_layers.c) ----------------------------------------- */

/* Where a layer's given parameters are: in the document (numbers, or a
 * {"npy": FILE} whose array is Wn / bn in the owned file Wf / bf), or in the
 * "weights" archive, Wa / ba (NULL: omitted). */
typedef struct gc_nf_given {
    const json_t *W, *b;
    const gc_npz_member *Wa, *ba, *Wn, *bn;
    gc_npz *Wf, *bf;
} gc_nf_given;

/* Validate layers[k] (object lj) whose input width is *width (its source
 * described by `src`), count its elements, build it into *out and advance
 * *width. */
int gc_nf_parse_layer(gc_nf_ctx *c, size_t k, const json_t *lj, int *width, const char *src,
                      gc_layer **out, gc_nf_given *g);

/* ---- binary weights (netfile_weights.c) -------------------------------- */

/* v is a {"npy": ...} object (any other value is numbers, or wrong as such). */
int gc_nf_is_npy(const json_t *v);

/* A tensor given as {"npy": FILE} at path, shaped d0 (x d1; 0: any size):
 * *f the file opened (owned, also on failure), *m its array, checked. */
int gc_nf_npy_tensor(const gc_nf_ctx *c, const char *path, const json_t *v, int ndim, size_t d0,
                     size_t d1, gc_npz **f, const gc_npz_member **m);

/* Open the archive the root's "weights" names (none: *z NULL). */
int gc_nf_open_weights(const gc_nf_ctx *c, const json_t *root, gc_npz **z);

/* x or y: from the document, else from the archive z, else missing. */
int gc_nf_examples(gc_nf_ctx *c, gc_npz *z, const json_t *root, const char *name, int width,
                   size_t nexamples, const char *width_why, gc_mat **out);

/* A dense layer's W and b from the archive, as W<n> and b<n> (n counts the
 * dense layers from 1, as the report names them). */
int gc_nf_take_dense(const gc_nf_ctx *c, gc_npz *z, const json_t *root, size_t k, int n,
                     const gc_layer *l, gc_nf_given *g);

/* Free gv[0 .. n) and their files, then gv.  NULL is a no-op. */
void gc_nf_given_free(gc_nf_given *gv, size_t n);

#endif
