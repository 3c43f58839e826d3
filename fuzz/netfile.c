/*
 * fuzz/netfile.c -- libFuzzer harness of the network-file loader
 * (gc_net_load_buffer): any bytes in, and either a network or one error
 * line out, never a crash, a leak or a sanitizer report.  Two oracles
 * besides the sanitizers: a refused input has a one-line, non-empty
 * message and an error code; an accepted one saves (gc_net_write_json) and
 * reloads to the same bits (parameters, x, y), as netfile.h promises.
 * Limits are lowered so that one input stays cheap: the limit checks are
 * what is exercised, not the memory behind them.
 */
#include <gradcheck.h>

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
