/*
 * check_netfile_limits.c -- what a network file may make the loader do:
 * every limit of gc_net_limits refuses one past it and accepts it exactly
 * (the element count derived by hand below), a tiny file describing a huge
 * network and an endless device are refused before their memory is taken,
 * a NUL byte is placed where it is, running out of memory while parsing is
 * said as such, and 1e5 layers load in linear time.
 */
#include <check.h>
#include <gradcheck.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli_run.h"
#include "testutil.h"

/* x 2x1; dense 2->2; sigmoid; dense 2->1; sigmoid; loss bce.  Elements as
 * gc_net_limits counts them (parameters, then every layer's output per
 * example, x included): x 2; dense W 4 + b 2 + output 2 = 8; sigmoid 2;
 * dense W 2 + b 1 + output 1 = 4; sigmoid 1.  Total 17, reached at
 * layers[3]. */
static const char SMALL[] =
    "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 2}, {\"type\": \"sigmoid\"},"
    " {\"type\": \"dense\", \"in\": 2, \"out\": 1}, {\"type\": \"sigmoid\"}],"
    " \"loss\": \"bce\", \"x\": [[0.5, 0.7]], \"y\": [[1]]}";
#define SMALL_ELEMENTS 17
#define SMALL_LAYERS 4

static gc_net *load(const char *text, size_t len, const gc_net_limits *lim, gc_error *err)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    return gc_net_load_buffer(text, len, "t.json", lim, GC_INIT_XAVIER, &rng, err);
}

/* One past each limit is GC_ELIMIT with a message naming the field; the
 * limit itself loads. */
START_TEST(test_limits_each_at_and_past)
{
    size_t len = strlen(SMALL);
    static const struct {
        int which; /* 0 bytes, 1 layers, 2 elements */
        const char *want;
    } rows[] = {
        {0, "t.json: more than the limit of %lld bytes (max_bytes)"},
        {1, "t.json: layers: 4 layers, more than the limit of %lld (max_layers)"},
        {2, "t.json: layers[3]: the network would hold 17 elements (parameters, activations, "
            "data), more than the limit of %lld (max_elements)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        gc_net_limits lim;
        gc_net_limits_init(&lim);
        long long *field = rows[i].which == 0 ? &lim.max_bytes
                         : rows[i].which == 1 ? &lim.max_layers : &lim.max_elements;
        long long at = rows[i].which == 0 ? (long long)len
                     : rows[i].which == 1 ? SMALL_LAYERS : SMALL_ELEMENTS;
        gc_error err = {0};
        *field = at - 1;
        gc_net *net = load(SMALL, len, &lim, &err);
        char want[256];
        snprintf(want, sizeof want, rows[i].want, at - 1);
        ck_assert_msg(net == NULL && err.code == GC_ELIMIT, "row %zu: code %d", i, err.code);
        ck_assert_str_eq(err.msg, want);
        *field = at;
        net = load(SMALL, len, &lim, &err);
        ck_assert_msg(net != NULL, "row %zu: refused at the limit: %s", i, err.msg);
        gc_net_free(net);
    }
}
END_TEST

/* The defaults are the documented ones. */
START_TEST(test_limits_defaults)
{
    gc_net_limits lim;
    gc_net_limits_init(&lim);
    ck_assert(lim.max_bytes == 64LL << 20);
    ck_assert(lim.max_layers == 10000);
    ck_assert(lim.max_elements == 50000000LL);
    gc_net_limits_init(NULL); /* a no-op */
}
END_TEST

/* Peak resident memory of this process, in MB. */
static long peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* 200 bytes describing 1 -> 1e6 -> 100 -> 1e6 -> 1 with every W omitted
 * (about 2e8 weights: 3.2 GB as values and gradients) is refused by the
 * default element limit at the layer that passes it, before that layer is
 * allocated: the process stays small.  (The RSS bound is checked only when
 * Check runs the test in its own process.) */
START_TEST(test_limits_tiny_file_huge_network)
{
    static const char doc[] =
        "{\"layers\":[{\"type\":\"dense\",\"in\":1,\"out\":1000000},"
        "{\"type\":\"dense\",\"in\":1000000,\"out\":100},"
        "{\"type\":\"dense\",\"in\":100,\"out\":1000000},"
        "{\"type\":\"dense\",\"in\":1000000,\"out\":1}],"
        "\"loss\":\"mse\",\"x\":[[1]],\"y\":[[1]]}";
    gc_error err = {0};
    gc_net *net = load(doc, strlen(doc), NULL, &err);
    ck_assert_msg(net == NULL && err.code == GC_ELIMIT, "code %d: %s", err.code, err.msg);
    ck_assert_str_eq(err.msg, "t.json: layers[1]: the network would hold 103000201 elements "
                     "(parameters, activations, data), more than the limit of 50000000 "
                     "(max_elements)");
    const char *fork = getenv("CK_FORK");
    if (fork == NULL || strcmp(fork, "no") != 0)
        ck_assert_msg(peak_mb() < 200, "peak RSS %ld MB", peak_mb());
}
END_TEST

/* An endless device is read up to the limit and one byte more, then
 * refused; a regular file over the limit is refused by its size. */
START_TEST(test_limits_endless_and_large_inputs)
{
    gc_net_limits lim;
    gc_net_limits_init(&lim);
    lim.max_bytes = 1 << 20;
    gc_error err = {0};
    gc_net *net = gc_net_load_limited("/dev/zero", &lim, GC_INIT_XAVIER, NULL, &err);
    ck_assert_msg(net == NULL && err.code == GC_ELIMIT, "code %d: %s", err.code, err.msg);
    ck_assert_str_eq(err.msg, "/dev/zero: more than the limit of 1048576 bytes (max_bytes)");
    char dir[256], path[300];
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/big.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(SMALL, f);
    fclose(f);
    lim.max_bytes = (long long)strlen(SMALL) - 1;
    net = gc_net_load_limited(path, &lim, GC_INIT_XAVIER, NULL, &err);
    ck_assert_msg(net == NULL && err.code == GC_ELIMIT, "code %d: %s", err.code, err.msg);
    lim.max_bytes = (long long)strlen(SMALL);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    net = gc_net_load_limited(path, &lim, GC_INIT_XAVIER, &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_net_free(net);
    tmpdir_remove(dir);
}
END_TEST

/* A NUL byte is reported at its line and column (jansson alone stops there
 * and says "near end of file"), from text and from a file alike. */
START_TEST(test_limits_nul_byte_placed)
{
    static const char one[] = "{\"\0layers\": []}";
    static const char two[] = "{\n  \"layers\": [\0]}";
    gc_error err = {0};
    ck_assert_ptr_null(load(one, sizeof one - 1, NULL, &err));
    ck_assert_int_eq(err.code, GC_EPARSE);
    ck_assert_str_eq(err.msg, "t.json: line 1 column 3: JSON syntax error: a NUL byte (byte 2): "
                     "a network file is text");
    ck_assert_ptr_null(load(two, sizeof two - 1, NULL, &err));
    ck_assert_str_eq(err.msg, "t.json: line 2 column 14: JSON syntax error: a NUL byte (byte "
                     "15): a network file is text");
    char dir[256], path[300];
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/nul.json", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(one, 1, sizeof one - 1, f);
    fclose(f);
    ck_assert_ptr_null(gc_net_load(path, GC_INIT_XAVIER, NULL, &err));
    ck_assert_msg(strstr(err.msg, ": line 1 column 3: JSON syntax error: a NUL byte (byte 2)")
                  != NULL, "%s", err.msg);
    tmpdir_remove(dir);
}
END_TEST

/* jansson's allocations fail after `left` of them. */
static int left;
static void *failing_malloc(size_t n)
{
    return left-- > 0 ? malloc(n) : NULL;
}

/* Out of memory while jansson parses is GC_ENOMEM and says so; it was a
 * "JSON syntax error: " with an empty reason.  jansson reports a failure
 * inside its lexer as a syntax error near the token it was reading (its
 * own wording, a reason at least), so what is asserted over every
 * allocation that can fail: never an empty reason, and out of memory
 * whenever jansson gave none (the first allocation, always). */
START_TEST(test_limits_out_of_memory_while_parsing)
{
    int enomem = 0;
    for (int k = 0; k < 64; k++) {
        left = k;
        json_set_alloc_funcs(failing_malloc, free);
        gc_error err = {0};
        gc_net *net = load(SMALL, strlen(SMALL), NULL, &err);
        json_set_alloc_funcs(malloc, free);
        if (net != NULL) { /* enough allocations: parsed */
            gc_net_free(net);
            continue;
        }
        size_t n = strlen(err.msg);
        ck_assert_msg(n >= 2 && strcmp(err.msg + n - 2, ": ") != 0,
                      "%d allocations: a message with an empty reason: [%s]", k, err.msg);
        if (err.code == GC_ENOMEM) {
            enomem++;
            ck_assert_msg(strcmp(err.msg, "t.json: out of memory parsing 176 bytes of JSON") == 0,
                          "%d allocations: %s", k, err.msg);
        }
        ck_assert_msg(k > 0 || err.code == GC_ENOMEM, "no allocation: code %d, %s", err.code,
                      err.msg);
    }
    ck_assert_int_gt(enomem, 0);
}
END_TEST

/* 1e5 one-unit dense layers (a 5 MB file) load, in order and numbered,
 * with the layer limit raised: construction is linear (it was quadratic,
 * minutes for this file; the "linear" test case's timeout guards it). */
START_TEST(test_limits_many_layers_linear)
{
    enum { N = 100000 };
    static const char layer[] = "{\"type\":\"dense\",\"in\":1,\"out\":1,\"W\":[[0.5]],\"b\":[0]},";
    size_t cap = sizeof layer * N + 256, len = 0;
    char *doc = malloc(cap);
    ck_assert_ptr_nonnull(doc);
    len += (size_t)snprintf(doc, cap, "{\"layers\":[");
    for (int k = 0; k < N; k++) {
        memcpy(doc + len, layer, sizeof layer - 1);
        len += sizeof layer - 1;
    }
    len--; /* the last comma */
    len += (size_t)snprintf(doc + len, cap - len, "],\"loss\":\"mse\",\"x\":[[1]],\"y\":[[0]]}");
    gc_net_limits lim;
    gc_net_limits_init(&lim);
    lim.max_layers = N;
    lim.max_bytes = (long long)len;
    gc_error err = {0};
    gc_net *net = load(doc, len, &lim, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    ck_assert_int_eq(net->nlayers, N);
    ck_assert_int_eq(net->ntensors, 2 * N);
    ck_assert_str_eq(net->tensors[0]->name, "W1");
    ck_assert_str_eq(net->tensors[2 * N - 1]->name, "b100000");
    gc_net_free(net);
    lim.max_layers = N - 1; /* the default (1e4) refuses it too */
    ck_assert_ptr_null(load(doc, len, &lim, &err));
    ck_assert_int_eq(err.code, GC_ELIMIT);
    free(doc);
}
END_TEST

/* A weights file is bounded too (every element the element limit allows,
 * as float64, and 1 MiB for headers): /dev/zero is read no further than
 * that, and a small archive that would inflate past it is refused before
 * inflating. */
START_TEST(test_limits_weights_files)
{
    char doc[512], want[512];
    gc_net_limits lim;
    gc_net_limits_init(&lim);
    lim.max_elements = 1000; /* 8,000 + 1,048,576 bytes of weights */
    snprintf(doc, sizeof doc, "{\"layers\": [{\"type\": \"dense\", \"in\": 1, \"out\": 1}], "
             "\"loss\": \"mse\", \"weights\": \"%s\"}", "/dev/zero");
    gc_error err = {0};
    ck_assert_ptr_null(load(doc, strlen(doc), &lim, &err));
    ck_assert_int_eq(err.code, GC_ELIMIT);
    ck_assert_str_eq(err.msg, "t.json: weights: /dev/zero: larger than the limit of 1056576 "
                     "bytes (max_elements)");
    snprintf(doc, sizeof doc, "{\"layers\": [{\"type\": \"dense\", \"in\": 1, \"out\": 1}], "
             "\"loss\": \"mse\", \"weights\": \"%s/bad/inflates_50mb.npz\"}", tu_fixtures());
    ck_assert_ptr_null(load(doc, strlen(doc), &lim, &err));
    ck_assert_int_eq(err.code, GC_ELIMIT);
    snprintf(want, sizeof want, "t.json: weights: %s/bad/inflates_50mb.npz: W1.npy: inflates "
             "past the limit of 1056576 bytes (max_elements)", tu_fixtures());
    ck_assert_str_eq(err.msg, want);
}
END_TEST

/* Every message is one line: jansson's excerpt of a string holding a raw
 * newline (an input the fuzzer found) and a label with one are shown with
 * '?' for each control byte. */
START_TEST(test_messages_are_one_line)
{
    static const char doc[] = "{\"laye\\\\\\\\\\\\\\\n\\\\\\rs\":[{\"type\":1000}],\"y\":[[1]]}";
    gc_error err = {0};
    ck_assert_ptr_null(load(doc, sizeof doc - 1, NULL, &err));
    ck_assert_msg(strpbrk(err.msg, "\n\r") == NULL, "[%s]", err.msg);
    ck_assert_msg(strstr(err.msg, "JSON syntax error: ") != NULL, "[%s]", err.msg);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    ck_assert_ptr_null(gc_net_load_buffer("[", 1, "a\nb.json", NULL, GC_INIT_XAVIER, &rng, &err));
    ck_assert_msg(strncmp(err.msg, "a?b.json: ", 10) == 0, "[%s]", err.msg);
}
END_TEST

Suite *make_netfile_limits_suite(void)
{
    Suite *s = suite_create("netfile_limits");
    TCase *tc = tcase_create("limits");
    tcase_add_test(tc, test_limits_each_at_and_past);
    tcase_add_test(tc, test_limits_defaults);
    tcase_add_test(tc, test_limits_tiny_file_huge_network);
    tcase_add_test(tc, test_limits_endless_and_large_inputs);
    tcase_add_test(tc, test_limits_nul_byte_placed);
    tcase_add_test(tc, test_limits_out_of_memory_while_parsing);
    tcase_add_test(tc, test_limits_weights_files);
    tcase_add_test(tc, test_messages_are_one_line);
    suite_add_tcase(s, tc);
    /* 1e5 layers: under a second of CPU, over 40 s when construction was
     * quadratic; 30 s of wall clock leaves room for a loaded machine and
     * the sanitizers and still fails the quadratic one */
    tc = tcase_create("linear");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_limits_many_layers_linear);
    suite_add_tcase(s, tc);
    return s;
}
