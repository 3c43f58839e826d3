/*
 * fuzz/netfile.c -- libFuzzer harness of the network-file loader
 * (gc_net_load_buffer): any bytes in, and either a network or one error
 * line out, never a crash, a leak or a sanitizer report.  Three oracles
 * besides the sanitizers: a refused input has a one-line, non-empty
 * message and an error code; an accepted one saves (gc_net_write_json) and
 * reloads to the same bits (parameters, x, y), as netfile.h promises; and
 * the slow path alone (jansson on the whole text, io/netfile_fast.h) gives
 * the same answer -- the same code and message, or the same network and
 * generator state -- so that the fast path never takes what jansson would
 * refuse, nor reads a number differently.
 * Limits are lowered so that one input stays cheap: the limit checks are
 * what is exercised, not the memory behind them.
 */
#include <gradcheck.h>

#include "io/netfile_fast.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz/netfile: %s\n", what);
        abort();
    }
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* a and b hold the same layers, parameters and data, bit for bit. */
static int same_net(const gc_net *a, const gc_net *b)
{
    if (a->nlayers != b->nlayers || a->ntensors != b->ntensors)
        return 0;
    for (int t = 0; t < a->ntensors; t++) {
        const gc_tensor *x = a->tensors[t], *y = b->tensors[t];
        if (x->rows != y->rows || x->cols != y->cols ||
            !same_bits(x->value, y->value, (size_t)x->rows * (size_t)x->cols))
            return 0;
    }
    return gc_mat_size(a->act[0]) == gc_mat_size(b->act[0]) &&
           gc_mat_size(a->T) == gc_mat_size(b->T) &&
           same_bits(a->act[0]->data, b->act[0]->data, gc_mat_size(a->act[0])) &&
           same_bits(a->T->data, b->T->data, gc_mat_size(a->T));
}

/* The slow path alone answers as the loader did (net and err, the
 * generator left in state *after). */
static void same_as_slow(const uint8_t *data, size_t size, const gc_net_limits *lim,
                         const gc_net *net, const gc_error *err, const gc_pcg32 *after)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_error serr = {0};
    gc_net *slow = gc_nf_load_buffer_by(GC_NF_SLOW, NULL, (const char *)data, size, "fuzz.json",
                                        NULL, lim, GC_INIT_XAVIER, &rng, &serr);
    require((slow == NULL) == (net == NULL), "the fast and the slow path disagree on loading");
    require(memcmp(&rng, after, sizeof rng) == 0, "the generator differs from the slow path's");
    if (slow == NULL)
        require(serr.code == err->code && strcmp(serr.msg, err->msg) == 0,
                "the message differs from the slow path's");
    else
        require(same_net(slow, net), "the network differs from the slow path's");
    gc_net_free(slow);
}

/* Save net and load it back: the same layers, parameters and data. */
static void round_trip(const gc_net *net, const gc_net_limits *lim)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    require(f != NULL, "open_memstream");
    gc_error err = {0};
    int rc = gc_net_write_json(net, f, &err);
    require(fclose(f) == 0, "fclose");
    require(rc == GC_OK, "a loaded network does not save");
    gc_net_limits big = *lim;
    big.max_bytes = (long long)len; /* the saved text may be longer than the input */
    gc_net *back = gc_net_load_buffer(text, len, "saved", &big, GC_INIT_UNIFORM, NULL, &err);
    require(back != NULL, "a saved network does not load");
    require(back->nlayers == net->nlayers && back->ntensors == net->ntensors, "layers differ");
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *a = net->tensors[t], *b = back->tensors[t];
        require(a->rows == b->rows && a->cols == b->cols, "a tensor's shape differs");
        require(same_bits(a->value, b->value, (size_t)a->rows * (size_t)a->cols),
                "a parameter's bits differ after save and load");
    }
    require(same_bits(net->act[0]->data, back->act[0]->data, gc_mat_size(net->act[0])), "x differs");
    require(same_bits(net->T->data, back->T->data, gc_mat_size(net->T)), "y differs");
    gc_net_free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gc_net_limits lim = {.max_bytes = 1 << 20, .max_layers = 256, .max_elements = 200000};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_error err = {0};
    gc_net *net = gc_net_load_buffer((const char *)data, size, "fuzz.json", &lim,
                                     GC_INIT_XAVIER, &rng, &err);
    same_as_slow(data, size, &lim, net, &err, &rng);
    if (net == NULL) {
        require(err.code < 0, "refused without an error code");
        require(err.msg[0] != '\0', "refused without a message");
        require(strchr(err.msg, '\n') == NULL, "a message of more than one line");
        return 0;
    }
    round_trip(net, &lim);
    gc_net_free(net);
    return 0;
}
