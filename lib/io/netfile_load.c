/*
 * netfile_load.c -- a network file in: the text read (within the size
 * limit), parsed by jansson, and the document turned into a network.
 *
 * The document is read in two passes: the first validates everything
 * (types, keys, shapes, finiteness, targets, limits) and builds the layers,
 * remembering where each given W and b is; the second, once the whole
 * network exists, draws the omitted parameters from the caller's generator
 * and copies the given ones over them.  Drawing for the whole network
 * (rather than for the omitted tensors alone) keeps the stream of random
 * numbers independent of which tensors a file happens to give.
 *
 * Limits (gc_net_limits) are checked before the memory they guard is
 * allocated: the text's size before it is read in full, the number of
 * layers before any is built, each layer's elements before it is built.
 *
 * The text is read by the fast path first (io/netfile_fast.h: jansson
 * parses a skeleton, the numbers come from a table), and by jansson alone
 * when the fast path has any doubt; both build the document's network by
 * the same code.
 */
#include "io/netfile_parse.h"
#include "io/plugin.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const TOP_KEYS[] = {"layers", "loss", "x", "y", "weights", NULL};

void gc_net_limits_init(gc_net_limits *lim)
{
    if (lim == NULL)
        return;
    lim->max_bytes = GC_NET_MAX_BYTES;
    lim->max_layers = GC_NET_MAX_LAYERS;
    lim->max_elements = GC_NET_MAX_ELEMENTS;
}

/* The top level: an object with only the keys TOP_KEYS, all but "weights"
 * present (x and y may be in the archive it names), and a known loss, into
 * *loss. */
static int check_top(const gc_nf_ctx *c, const json_t *root, const gc_loss **loss)
{
    char got[GC_NF_GOT_MAX];
    if (!json_is_object(root))
        return gc_nf_fail(c, GC_EPARSE, NULL, "expected an object at the top level, got %s",
                          gc_nf_describe(got, sizeof got, root));
    int rc = gc_nf_check_keys(c, "", root, TOP_KEYS, NULL, "");
    if (rc != GC_OK)
        return rc;
    int has_weights = json_object_get(root, "weights") != NULL;
    for (size_t i = 0; TOP_KEYS[i] != NULL; i++) {
        if (strcmp(TOP_KEYS[i], "weights") == 0 ||
            (has_weights && (strcmp(TOP_KEYS[i], "x") == 0 || strcmp(TOP_KEYS[i], "y") == 0)))
            continue;
        if (json_object_get(root, TOP_KEYS[i]) == NULL)
            return gc_nf_fail(c, GC_EPARSE, TOP_KEYS[i], "missing key");
    }
    const json_t *lossj = json_object_get(root, "loss");
    *loss = json_is_string(lossj) ? gc_loss_by_name(json_string_value(lossj)) : NULL;
    if (*loss == NULL)
        return gc_nf_fail(c, GC_EPARSE, "loss",
                          "expected one of bce, bce_logits, mse, softmax_ce, got %s",
                          gc_nf_describe(got, sizeof got, lossj));
    return GC_OK;
}

/* "layers": a non-empty array within the layer limit; its length in *nl. */
static int check_layer_list(const gc_nf_ctx *c, const json_t *layers, size_t *nl)
{
    char got[GC_NF_GOT_MAX];
    if (!json_is_array(layers))
        return gc_nf_fail(c, GC_EPARSE, "layers", "expected an array of layers, got %s",
                          gc_nf_describe(got, sizeof got, layers));
    *nl = json_array_size(layers);
    if (*nl == 0)
        return gc_nf_fail(c, GC_EPARSE, "layers", "expected at least one layer");
    if ((long long)*nl > c->lim.max_layers)
        return gc_nf_fail(c, GC_ELIMIT, "layers",
                          "%zu layers, more than the limit of %lld (max_layers)", *nl,
                          c->lim.max_layers);
    return GC_OK;
}

/* Build every layer into net, in order, from an input of *width units;
 * *width becomes the output width.  gv[k] locates layer k's given W and b
 * (in the document, or in the archive z); *omitted names the first W or b
 * given nowhere ("" when none). */
static int build_layers(gc_nf_ctx *c, gc_npz *z, const json_t *root, size_t nl, int *width,
                        gc_net *net, gc_nf_given *gv, char *omitted, size_t size)
{
    char src[GC_NF_PATH_MAX] = "the width of x";
    const json_t *layers = json_object_get(root, "layers");
    int ndense = 0;
    omitted[0] = '\0';
    for (size_t k = 0; k < nl; k++) {
        gc_layer *l;
        int rc = gc_nf_parse_layer(c, k, json_array_get(layers, k), width, src, &l, &gv[k]);
        if (rc != GC_OK)
            return rc;
        gc_error aerr = {0};
        rc = gc_net_add(net, l, &aerr);
        if (rc != GC_OK) /* cannot happen after gc_nf_parse_layer's checks */
            return gc_nf_fail(c, rc, NULL, "%s", aerr.msg);
        snprintf(src, sizeof src, "the output width of layers[%zu]", k);
        if (l->ops != &gc_dense_ops)
            continue;
        if ((rc = gc_nf_take_dense(c, z, root, k, ++ndense, l, &gv[k])) != GC_OK)
            return rc;
        int noW = gv[k].W == NULL && gv[k].Wa == NULL, nob = gv[k].b == NULL && gv[k].ba == NULL;
        if (omitted[0] == '\0' && (noW || nob))
            snprintf(omitted, size, "layers[%zu].%s", k, noW ? "W" : "b");
    }
    return GC_OK;
}

/* Draw every parameter when any is omitted, then copy the given ones. */
static int set_params(const gc_nf_ctx *c, gc_net *net, const gc_nf_given *gv,
                      const char *omitted, gc_init init, gc_pcg32 *rng)
{
    if (omitted[0] != '\0') {
        if (rng == NULL)
            return gc_nf_fail(c, GC_EINVAL, omitted,
                              "missing key, and no generator to draw it from");
        if (gc_io_init_params(net, init, rng) != GC_OK)
            return gc_nf_fail(c, GC_EINVAL, omitted,
                              "missing key, and init %d is no gc_init to draw it by", (int)init);
    }
    for (int k = 0; k < net->nlayers; k++) {
        gc_layer *l = net->layers[k];
        const gc_nf_given *g = &gv[k];
        if (g->W != NULL && g->Wn == NULL)
            gc_nf_copy_rows(c, l->param[0].value, g->W, (size_t)l->out, (size_t)l->in);
        if (g->b != NULL && g->bn == NULL)
            gc_nf_copy_numbers(c, l->param[1].value, g->b, (size_t)l->out);
        const gc_npz_member *W = g->Wn != NULL ? g->Wn : g->Wa, *b = g->bn != NULL ? g->bn : g->ba;
        if (W != NULL)
            gc_weights_copy(W, l->param[0].value, 0);
        if (b != NULL)
            gc_weights_copy(b, l->param[1].value, 0);
    }
    return GC_OK;
}

/* y, shaped by x and the network's output, and nothing of the archive z
 * left unused; then the targets the loss can take. */
static int read_targets(gc_nf_ctx *c, gc_npz *z, const json_t *root, size_t nl, int width,
                        const gc_mat *X, const gc_loss *loss, gc_mat **T)
{
    char p[GC_NF_PATH_MAX];
    snprintf(p, sizeof p, " (the output width of layers[%zu])", nl - 1);
    int rc = gc_nf_examples(c, z, root, "y", width, (size_t)X->cols, p, T);
    if (rc != GC_OK)
        return rc;
    const char *unused = gc_weights_unused(z);
    if (unused != NULL)
        return gc_nf_fail(c, GC_EPARSE, "weights", "%s: array '%s' names no tensor of this "
                          "network (W1, b1, ... by dense layer, x, y)",
                          json_string_value(json_object_get(root, "weights")), unused);
    return gc_nf_check_targets(c, loss, *T);
}

/* The network the document describes, with its data; or NULL, err set. */
static gc_net *load_doc(gc_nf_ctx *c, const json_t *root, gc_init init, gc_pcg32 *rng)
{
    char omitted[GC_NF_PATH_MAX];
    const gc_loss *loss = NULL;
    gc_net *net = NULL;
    gc_mat *X = NULL, *T = NULL;
    gc_nf_given *gv = NULL;
    gc_npz *z = NULL;
    size_t nl = 0;
    if (check_top(c, root, &loss) != GC_OK || gc_nf_open_weights(c, root, &z) != GC_OK)
        return NULL;
    /* x fixes the input width and the batch; its copy in the cache counts */
    if (gc_nf_examples(c, z, root, "x", 0, 0, "", &X) != GC_OK)
        goto fail;
    c->batch = X->cols;
    if (gc_nf_spend(c, "x", (long long)gc_mat_size(X)) != GC_OK ||
        check_layer_list(c, json_object_get(root, "layers"), &nl) != GC_OK)
        goto fail;
    net = gc_net_new(loss);
    gv = calloc(nl, sizeof *gv);
    if (net == NULL || gv == NULL) {
        gc_nf_fail(c, GC_ENOMEM, NULL, "out of memory");
        goto fail;
    }
    int width = X->rows;
    if (build_layers(c, z, root, nl, &width, net, gv, omitted, sizeof omitted) != GC_OK ||
        read_targets(c, z, root, nl, width, X, loss, &T) != GC_OK ||
        set_params(c, net, gv, omitted, init, rng) != GC_OK)
        goto fail;
    gc_error derr = {0};
    int rc = gc_net_set_data(net, X, T, &derr);
    if (rc != GC_OK) { /* a rule of the core stricter than gc_nf_check_targets */
        gc_nf_fail(c, rc, NULL, "%s", derr.msg);
        goto fail;
    }
    gc_mat_free(X);
    gc_mat_free(T);
    gc_nf_given_free(gv, nl);
    gc_npz_free(z);
    return net;
fail:
    gc_mat_free(X);
    gc_mat_free(T);
    gc_nf_given_free(gv, nl);
    gc_npz_free(z);
    gc_net_free(net);
    return NULL;
}

/* Turn a jansson parse error into our one-line message.  Running out of
 * memory is said as such: jansson codes it, or (an allocation before the
 * lexer runs) leaves the text empty, which no syntax error does. */
static void syntax_error(const gc_nf_ctx *c, const json_error_t *je, size_t len)
{
    if (json_error_code(je) == json_error_out_of_memory || je->text[0] == '\0')
        gc_nf_fail(c, GC_ENOMEM, NULL, "out of memory parsing %zu bytes of JSON", len);
    else if (je->line > 0)
        gc_nf_fail(c, GC_EPARSE, NULL, "line %d column %d: JSON syntax error: %s", je->line,
                   je->column, je->text);
    else
        gc_nf_fail(c, GC_EPARSE, NULL, "JSON syntax error: %s", je->text);
}

/* A NUL byte in the text: jansson's lexer takes it for the end of input and
 * says "near end of file" wherever it is, so it is found and placed first. */
static int find_nul(const gc_nf_ctx *c, const char *text, size_t len)
{
    const char *z = memchr(text, '\0', len);
    if (z == NULL)
        return GC_OK;
    int line = 1, col = 1;
    for (const char *s = text; s < z; s++) {
        if (*s == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return gc_nf_fail(c, GC_EPARSE, NULL,
                      "line %d column %d: JSON syntax error: a NUL byte (byte %zu): a network "
                      "file is text", line, col, (size_t)(z - text));
}

/* Duplicate keys are an error (jansson keeps the last one silently
 * otherwise, so a typo'd second "W" would hide the first). */
#define PARSE_FLAGS JSON_REJECT_DUPLICATES

/* The fast path (io/netfile_fast.h): the network, or NULL on any doubt,
 * nothing said (c->err is NULL). */
static gc_net *load_fast(gc_nf_ctx *c, const char *text, size_t len, const gc_numreader *rd,
                         gc_init init, gc_pcg32 *rng)
{
    gc_nf_table t;
    gc_net *net = NULL;
    if (gc_nf_scan(text, len, rd, &t) == GC_OK) {
        json_error_t je;
        json_t *root = json_loadb(t.skel, t.nskel, PARSE_FLAGS, &je);
        if (root != NULL) {
            c->tab = &t;
            net = load_doc(c, root, init, rng);
            json_decref(root);
        }
    }
    gc_nf_table_free(&t);
    return net;
}

/* The slow path: jansson parses the whole text, and any error is said. */
static gc_net *load_slow(gc_nf_ctx *c, const char *text, size_t len, gc_init init,
                         gc_pcg32 *rng)
{
    /* cleared: when jansson's first allocation fails it returns before it
     * writes je, and an empty text is what says "out of memory" then */
    json_error_t je;
    memset(&je, 0, sizeof je);
    json_t *root = json_loadb(text, len, PARSE_FLAGS, &je);
    if (root == NULL) {
        syntax_error(c, &je, len);
        return NULL;
    }
    gc_net *net = load_doc(c, root, init, rng);
    json_decref(root);
    return net;
}

/* Parse len bytes of JSON text and build the network it describes: by the
 * fast path when it is sure, else again by the slow path from the state
 * the first attempt found (the generator as it was; limits counted anew,
 * in a context of its own). */
static gc_net *load_text(gc_nf_ctx *c, gc_nf_route route, const gc_numreader *rd, const char *text,
                         size_t len, gc_init init, gc_pcg32 *rng)
{
    if ((unsigned long long)len > (unsigned long long)c->lim.max_bytes) {
        gc_nf_fail(c, GC_ELIMIT, NULL, "more than the limit of %lld bytes (max_bytes)",
                   c->lim.max_bytes);
        return NULL;
    }
    if (find_nul(c, text, len) != GC_OK)
        return NULL;
    if (route != GC_NF_SLOW) {
        gc_pcg32 before = rng != NULL ? *rng : (gc_pcg32){0};
        gc_nf_ctx fc = *c;
        fc.err = NULL;
        gc_net *net = load_fast(&fc, text, len, rd != NULL ? rd : &gc_numread, init, rng);
        if (net != NULL)
            return net;
        if (route == GC_NF_FAST) {
            gc_nf_fail(c, GC_EPARSE, NULL, "fast path declined");
            return NULL;
        }
        if (rng != NULL)
            *rng = before;
    }
    return load_slow(c, text, len, init, rng);
}

/* The context of one load: label, the file relative names are anchored
 * at (NULL: the current directory), the plugins' generator, err, and lim
 * or the defaults. */
static gc_nf_ctx make_ctx(const char *label, const char *anchor, gc_pcg32 *rng,
                          const gc_net_limits *lim, gc_error *err)
{
    gc_nf_ctx c = {.label = label, .anchor = anchor, .rng = rng, .err = err};
    if (lim != NULL)
        c.lim = *lim;
    else
        gc_net_limits_init(&c.lim);
    return c;
}

gc_net *gc_nf_load_buffer_by(gc_nf_route route, const gc_numreader *rd, const char *text, size_t len,
                             const char *label, const char *anchor, const gc_net_limits *lim,
                             gc_init init, gc_pcg32 *rng, gc_error *err)
{
    gc_nf_ctx c = make_ctx(label != NULL ? label : "<string>", anchor, rng, lim, err);
    if (text == NULL) {
        gc_nf_fail(&c, GC_EINVAL, NULL, "no text given");
        return NULL;
    }
    return load_text(&c, route, rd, text, len, init, rng);
}

gc_net *gc_net_load_buffer(const char *text, size_t len, const char *label,
                           const gc_net_limits *lim, gc_init init, gc_pcg32 *rng,
                           gc_error *err)
{
    return gc_nf_load_buffer_by(GC_NF_EITHER, NULL, text, len, label, NULL, lim, init, rng,
                                err);
}

gc_net *gc_net_load_string(const char *json, const char *label, gc_init init,
                           gc_pcg32 *rng, gc_error *err)
{
    return gc_net_load_buffer(json, json != NULL ? strlen(json) : 0, label, NULL, init, rng,
                              err);
}

/* The whole of f, at most max bytes, into a new buffer *out (*len bytes).
 * GC_OK; GC_ELIMIT when f holds more than max (reading stops at max + 1);
 * GC_EIO on a read error (errno is read(2)'s reason); GC_ENOMEM.
 * json_loadb on the buffer gives what json_loadf gives (the same lexer, the
 * same line and column in a message) several times faster: json_loadf
 * reads with one fgetc, a locked call, per byte. */
static int read_all(FILE *f, long long max, char **out, size_t *len)
{
    size_t limit = max >= 0 && (unsigned long long)max < SIZE_MAX / 2 ? (size_t)max + 1
                                                                      : SIZE_MAX / 2;
    size_t cap = 1 << 16, n = 0;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((unsigned long long)st.st_size >= limit)
            return GC_ELIMIT; /* nothing read, nothing allocated */
        cap = (size_t)st.st_size + 1; /* one read, and the EOF seen */
    }
    if (cap > limit)
        cap = limit;
    char *buf = malloc(cap);
    if (buf == NULL)
        return GC_ENOMEM;
    for (;;) {
        if (n == cap) {
            char *nb = cap == limit ? NULL : realloc(buf, cap < limit / 2 ? cap * 2 : limit);
            if (nb == NULL) {
                free(buf);
                return cap == limit ? GC_ELIMIT : GC_ENOMEM;
            }
            buf = nb;
            cap = cap < limit / 2 ? cap * 2 : limit;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0 && ferror(f)) {
            int e = errno; /* fread's reason, for the caller's message */
            free(buf);
            errno = e;
            return GC_EIO;
        }
        if (got == 0)
            break; /* end of file */
    }
    if (n >= limit) {
        free(buf);
        return GC_ELIMIT;
    }
    *out = buf;
    *len = n;
    return GC_OK;
}

gc_net *gc_net_load_limited(const char *path, const gc_net_limits *lim, gc_init init,
                            gc_pcg32 *rng, gc_error *err)
{
    gc_nf_ctx c = make_ctx(path != NULL ? path : "<null>", path, rng, lim, err);
    if (path == NULL) {
        gc_nf_fail(&c, GC_EINVAL, NULL, "no file name given");
        return NULL;
    }
    /* Open it ourselves so that "cannot read" (GC_EIO) is told apart from
     * "malformed" (GC_EPARSE). */
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        gc_nf_fail(&c, GC_EIO, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = read_all(f, c.lim.max_bytes, &text, &len);
    int read_errno = errno; /* before fclose: read_all's reason on a read error */
    fclose(f);
    if (rc == GC_ELIMIT)
        gc_nf_fail(&c, rc, NULL, "more than the limit of %lld bytes (max_bytes)",
                   c.lim.max_bytes);
    else if (rc == GC_EIO) /* "cannot read: Is a directory", as "cannot open: ..." */
        gc_nf_fail(&c, rc, NULL, "cannot read: %s", strerror(read_errno != 0 ? read_errno : EIO));
    else if (rc != GC_OK)
        gc_nf_fail(&c, GC_ENOMEM, NULL, "out of memory");
    if (rc != GC_OK)
        return NULL;
    gc_net *net = load_text(&c, GC_NF_EITHER, NULL, text, len, init, rng);
    free(text);
    return net;
}

gc_net *gc_net_load(const char *path, gc_init init, gc_pcg32 *rng, gc_error *err)
{
    return gc_net_load_limited(path, NULL, init, rng, err);
}
