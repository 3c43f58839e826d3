/*
 * check_netfile.c -- the network file loader and saver.
 *
 * - malformed inputs: a table of broken documents, each with the status code
 *   and the exact one-line message the CLI will print (tests of the CLI rely
 *   on these words: change them only on purpose);
 * - what a good file loads into (shapes, the x/y transposition, alpha);
 * - omitted W and b drawn from the seed, deterministically and the same as
 *   gc_net_init_params;
 * - save then load is bit-identical, on random bit patterns and on the
 *   awkward doubles (-0, subnormals, DBL_MAX);
 * - save is atomic, and refuses what the format cannot hold.
 */
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <float.h>
#include <gradcheck.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

/* Test documents are written with ' for " (readable C literals); q()
 * turns them into JSON in a static buffer. */
static const char *q(const char *s)
{
    static char buf[4096];
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < sizeof buf; i++)
        buf[i] = s[i] == '\'' ? '"' : s[i];
    buf[i] = '\0';
    return buf;
}

#define D1 "{'type': 'dense', 'in': 2, 'out': 2, 'W': [[0.1, 0.2], [0.3, 0.4]], 'b': [0.0, 0.1]}"
#define SG "{'type': 'sigmoid'}"
#define D2 "{'type': 'dense', 'in': 2, 'out': 1, 'W': [[0.5, -0.5]], 'b': [0.2]}"
#define XY "'x': [[0.5, 0.7], [0.1, 0.2]], 'y': [[1], [0]]"
#define NET(layers, rest) "{'layers': [" layers "], " rest "}"
#define GOOD NET(D1 ", " SG ", " D2 ", " SG, "'loss': 'bce', " XY)

typedef struct bad_case {
    const char *json;  /* with ' for " */
    int code;
    const char *msg;   /* exact message, or its prefix when prefix is set */
    int prefix;        /* jansson's own words follow: assert up to them only */
} bad_case;

static const bad_case bad_cases[] = {
    /* JSON syntax: jansson's line and column (of the last character of the
     * offending token: the second comma here), then its own text. */
    {"{'layers': [\n  {'type': 'dense',\n    'in': 2,,", GC_EPARSE,
     "t.json: line 3 column 13: JSON syntax error: ", 1},
    {"{'layers': [", GC_EPARSE, "t.json: line 1 column 12: JSON syntax error: ", 1},
    /* 1e999 overflows a double: jansson refuses it, so no Inf gets in. */
    {NET(SG, "'loss': 'mse', 'x': [[1e999]], 'y': [[0]]"), GC_EPARSE,
     "t.json: line 1 column 61: JSON syntax error: real number overflow", 1},
    {"{'layers': [], 'layers': []}", GC_EPARSE,
     "t.json: line 1 column 23: JSON syntax error: duplicate object key", 1},
    /* The top level. */
    {"[1, 2]", GC_EPARSE, "t.json: expected an object at the top level, got an array", 0},
    {NET(D1, "'loss': 'mse', 'lossx': 1, " XY), GC_EPARSE, "t.json: lossx: unknown key", 0},
    {"{'layers': [" SG "], 'loss': 'mse', 'x': [[1]]}", GC_EPARSE, "t.json: y: missing key", 0},
    {"{'loss': 'mse', 'x': [[1]], 'y': [[1]]}", GC_EPARSE, "t.json: layers: missing key", 0},
    {NET(D1, "'loss': 'hinge', " XY), GC_EPARSE,
     "t.json: loss: expected one of bce, bce_logits, mse, softmax_ce, got \"hinge\"", 0},
    {NET(D1, "'loss': 3, " XY), GC_EPARSE,
     "t.json: loss: expected one of bce, bce_logits, mse, softmax_ce, got 3", 0},
    /* x */
    {NET(SG, "'loss': 'mse', 'x': [], 'y': []"), GC_EPARSE,
     "t.json: x: expected at least one example", 0},
    {NET(SG, "'loss': 'mse', 'x': {'a': 1}, 'y': []"), GC_EPARSE,
     "t.json: x: expected an array of examples, got an object", 0},
    {NET(SG, "'loss': 'mse', 'x': [[]], 'y': [[]]"), GC_EPARSE,
     "t.json: x[0]: expected at least one value", 0},
    {NET(D1, "'loss': 'mse', 'x': [[1, 2], [3, 4, 5]], 'y': [[0, 0], [0, 0]]"), GC_EPARSE,
     "t.json: x[1]: expected 2 values (as x[0]), got 3", 0},
    {NET(D1, "'loss': 'mse', 'x': [[1, 'a']], 'y': [[0, 0]]"), GC_EPARSE,
     "t.json: x[0][1]: expected a finite number, got \"a\"", 0},
    {NET(D1, "'loss': 'mse', 'x': [[1, 2], 3], 'y': [[0, 0], [0, 0]]"), GC_EPARSE,
     "t.json: x[1]: expected an array of numbers, got 3", 0},
    /* layers */
    {NET("", "'loss': 'mse', " XY), GC_EPARSE, "t.json: layers: expected at least one layer", 0},
    {"{'layers': {'type': 'relu'}, 'loss': 'mse', " XY "}", GC_EPARSE,
     "t.json: layers: expected an array of layers, got an object", 0},
    {NET(D1 ", 'sigmoid'", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1]: expected an object, got \"sigmoid\"", 0},
    {NET(D1 ", {'type': 'sigmoidd'}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].type: expected \"dense\", \"plugin\" or an activation (identity, sigmoid, tanh, relu, "
     "leaky_relu, elu, softplus, gelu, softmax), got \"sigmoidd\"", 0},
    {NET(D1 ", {'alpha': 0.1}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].type: missing key", 0},
    {NET(D1 ", {'type': 7}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].type: expected a string, got 7", 0},
    {NET(D1 ", {'type': 'leaky_relu', 'alpah': 0.1}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].alpah: unknown key", 0},
    {NET(D1 ", {'type': 'sigmoid', 'alpha': 0.1}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].alpha: unknown key (only leaky_relu and elu take alpha)", 0},
    {NET(D1 ", {'type': 'elu', 'alpha': '1'}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].alpha: expected a finite number, got \"1\"", 0},
    {NET("{'type': 'relu', 'in': 2}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].in: unknown key", 0},
    /* dense sizes */
    {NET("{'type': 'dense', 'out': 2}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].in: missing key", 0},
    {NET("{'type': 'dense', 'in': 0, 'out': 2}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].in: expected a positive integer, got 0", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': -2}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].out: expected a positive integer, got -2", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2.5}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].out: expected a positive integer, got 2.5", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': '2'}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].out: expected a positive integer, got \"2\"", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2000000}", "'loss': 'mse', " XY), GC_ERANGE,
     "t.json: layers[0].out: expected at most 1000000, got 2000000", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 1000000}, {'type': 'dense', 'in': 1000000, "
         "'out': 1000}", "'loss': 'mse', " XY), GC_ERANGE,
     "t.json: layers[1]: W would have 1000000000 weights, more than 100000000", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'bias': [0, 0]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].bias: unknown key", 0},
    /* widths that do not chain */
    {NET("{'type': 'dense', 'in': 3, 'out': 1}", "'loss': 'mse', " XY), GC_ESHAPE,
     "t.json: layers[0].in: expected 2 (the width of x), got 3", 0},
    {NET(D1 ", " SG ", {'type': 'dense', 'in': 3, 'out': 1}", "'loss': 'bce', " XY), GC_ESHAPE,
     "t.json: layers[2].in: expected 2 (the output width of layers[1]), got 3", 0},
    /* W and b */
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'W': [[1, 2], [3, 4], [5, 6]]}",
         "'loss': 'mse', " XY), GC_EPARSE, "t.json: layers[0].W: expected 2 rows, got 3", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'W': [[1, 2], [3]]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].W[1]: expected 2 columns, got 1", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'W': [[1, 2], ['a', 4]]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].W[1][0]: expected a finite number, got \"a\"", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'W': 5}", "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[0].W: expected an array of 2 rows, got 5", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'W': [[1, 2], [3, true]]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].W[1][1]: expected a finite number, got true", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'b': [1, 2, 3]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].b: expected 2 values, got 3", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 2, 'b': [1, null]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].b[1]: expected a finite number, got null", 0},
    {NET("{'type': 'dense', 'in': 2, 'out': 1, 'b': [[1]]}", "'loss': 'mse', " XY),
     GC_EPARSE, "t.json: layers[0].b[0]: expected a finite number, got an array", 0},
    /* y */
    {NET(D1 ", " SG ", " D2, "'loss': 'mse', 'x': [[0.5, 0.7], [0.1, 0.2]], 'y': [[1]]"),
     GC_ESHAPE, "t.json: y: expected 2 examples (as in x), got 1", 0},
    {NET(D1 ", " SG ", " D2 ", " SG, "'loss': 'bce', 'x': [[0.5, 0.7], [0.1, 0.2]], "
         "'y': [[1, 0], [0]]"), GC_ESHAPE,
     "t.json: y[0]: expected 1 value (the output width of layers[3]), got 2", 0},
    {NET(D1 ", " SG ", " D2 ", " SG, "'loss': 'bce', 'x': [[0.5, 0.7], [0.1, 0.2]], "
         "'y': [[1], [2]]"), GC_ERANGE,
     "t.json: y[1][0]: expected a value in [0, 1] for loss bce, got 2", 0},
    {NET(D1, "'loss': 'bce_logits', 'x': [[0.5, 0.7]], 'y': [[0.5, -0.25]]"), GC_ERANGE,
     "t.json: y[0][1]: expected a value in [0, 1] for loss bce_logits, got -0.25", 0},
    {NET(D1, "'loss': 'softmax_ce', 'x': [[0.5, 0.7], [1, 1]], 'y': [[0.5, 0.5], [0.5, 0.25]]"),
     GC_ERANGE, "t.json: y[1]: expected values summing to 1 for loss softmax_ce, got a sum of 0.75",
     0},
    {NET(D1, "'loss': 'softmax_ce', 'x': [[0.5, 0.7]], 'y': [[1.5, -0.5]]"), GC_ERANGE,
     "t.json: y[0][1]: expected a value >= 0 for loss softmax_ce, got -0.5", 0},
    {NET(D1, "'loss': 'mse', 'x': [[0.5, 0.7]], 'y': [[0, 'b']]"), GC_EPARSE,
     "t.json: y[0][1]: expected a finite number, got \"b\"", 0},
    /* Long strings are cut so that the message stays one short line. */
    {NET(D1 ", {'type': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}",
         "'loss': 'mse', " XY), GC_EPARSE,
     "t.json: layers[1].type: expected \"dense\", \"plugin\" or an activation (identity, sigmoid, tanh, relu, "
     "leaky_relu, elu, softplus, gelu, softmax), got \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"", 0},
};
#define NBAD ((int)(sizeof bad_cases / sizeof bad_cases[0]))

START_TEST(test_netfile_rejects_malformed)
{
    const bad_case *c = &bad_cases[_i];
    gc_error err = {0};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_net *net = gc_net_load_string(q(c->json), "t.json", GC_INIT_XAVIER, &rng, &err);
    ck_assert_msg(net == NULL, "case %d loaded: %s", _i, q(c->json));
    ck_assert_msg(err.code == c->code, "case %d: code %d (%s), want %d; msg: %s", _i, err.code,
                  gc_strerror(err.code), c->code, err.msg);
    int same = c->prefix ? strncmp(err.msg, c->msg, strlen(c->msg)) == 0
                         : strcmp(err.msg, c->msg) == 0;
    ck_assert_msg(same, "case %d:\n got: %s\nwant: %s%s", _i, err.msg, c->msg,
                  c->prefix ? "..." : "");
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "case %d: message is not one line", _i);
}
END_TEST

/* Every truncation of a good document is a syntax error at line 1, and
 * every one-byte corruption either loads or fails with one line naming the
 * label (under `make sanitize` this is also a memory-safety sweep). */
START_TEST(test_netfile_truncations_and_corruptions)
{
    char good[4096], doc[4096];
    strcpy(good, q(GOOD));
    size_t n = strlen(good);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 7, 7);
    for (size_t len = 0; len < n; len++) {
        memcpy(doc, good, len);
        doc[len] = '\0';
        gc_error err = {0};
        gc_net *net = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, &rng, &err);
        ck_assert_msg(net == NULL, "prefix of %zu bytes loaded", len);
        ck_assert_msg(err.code == GC_EPARSE && strncmp(err.msg, "t.json: line 1 column ", 22) == 0,
                      "prefix of %zu bytes: %d %s", len, err.code, err.msg);
    }
    static const char subst[] = {'x', '9', '-', '"', ']', '}', ',', ' ', '0', '.'};
    int loaded = 0, refused = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t s = 0; s < sizeof subst; s++) {
            strcpy(doc, good);
            doc[i] = subst[s];
            gc_error err = {0};
            gc_net *net = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, &rng, &err);
            if (net != NULL) {
                loaded++;
                gc_net_free(net);
                continue;
            }
            refused++;
            ck_assert_msg(err.code < 0 && strncmp(err.msg, "t.json: ", 8) == 0 &&
                              strchr(err.msg, '\n') == NULL && strlen(err.msg) > 10,
                          "byte %zu -> '%c': code %d, msg \"%s\"", i, subst[s], err.code, err.msg);
        }
    /* Both outcomes happen (a digit changed is still a good file). */
    ck_assert(loaded > 0 && refused > 0);
}
END_TEST

/* A good document loads; the table's mutations are therefore what breaks
 * them (and this one is the docs/DESIGN.md §6 example with two examples). */
START_TEST(test_netfile_good_document)
{
    gc_error err = {0};
    gc_net *net = gc_net_load_string(q(GOOD), "t.json", GC_INIT_XAVIER, NULL, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    ck_assert_int_eq(net->nlayers, 4);
    ck_assert_str_eq(net->loss->name, "bce");
    ck_assert_ptr_eq(net->layers[0]->ops, &gc_dense_ops);
    ck_assert_ptr_eq(net->layers[1]->ops, gc_act_ops(GC_ACT_SIGMOID));
    ck_assert_int_eq(gc_net_in(net), 2);
    ck_assert_int_eq(gc_net_out(net), 1);
    ck_assert_int_eq(net->batch, 2);
    /* W row-major as written: W1[1][0] = 0.3; b1[1] = 0.1. */
    gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL);
    ck_assert_ptr_nonnull(W1);
    ck_assert(W1->value[2] == 0.3 && W1->value[1] == 0.2);
    ck_assert(gc_net_find_tensor(net, "b1", NULL)->value[1] == 0.1);
    ck_assert(gc_net_find_tensor(net, "W2", NULL)->value[1] == -0.5);
    /* x is B x in in the file, X is in x B: x[1][0] = 0.1 is X(0, 1). */
    const gc_mat *X = net->act[0];
    ck_assert_int_eq(X->rows, 2);
    ck_assert_int_eq(X->cols, 2);
    ck_assert(GC_AT(X, 0, 0) == 0.5 && GC_AT(X, 1, 0) == 0.7);
    ck_assert(GC_AT(X, 0, 1) == 0.1 && GC_AT(X, 1, 1) == 0.2);
    ck_assert(GC_AT(net->T, 0, 0) == 1.0 && GC_AT(net->T, 0, 1) == 0.0);
    gc_net_free(net);

    /* alpha: given, and the default when omitted; an activation first takes
     * x's width. */
    net = gc_net_load_string(q(NET("{'type': 'leaky_relu', 'alpha': 0.25}, {'type': 'elu'}, "
                                   "{'type': 'leaky_relu'}",
                                   "'loss': 'mse', 'x': [[1, 2, 3]], 'y': [[0, 0, 0]]")),
                             "t.json", GC_INIT_XAVIER, NULL, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    ck_assert_int_eq(gc_net_in(net), 3);
    ck_assert_int_eq(gc_net_out(net), 3);
    ck_assert(net->layers[0]->alpha == 0.25);
    ck_assert(net->layers[1]->alpha == gc_act_default_alpha(GC_ACT_ELU));
    ck_assert(net->layers[2]->alpha == gc_act_default_alpha(GC_ACT_LEAKY_RELU));
    gc_net_free(net);
}
END_TEST

/* Omitted parameters come from the seed: the same seed gives the same
 * bits, equal to gc_net_init_params on the same architecture; another seed
 * differs; a given W does not shift the stream for the tensors after it. */
START_TEST(test_netfile_omitted_params_from_seed)
{
    const char *arch = NET("{'type': 'dense', 'in': 2, 'out': 3}, {'type': 'tanh'}, "
                           "{'type': 'dense', 'in': 3, 'out': 2}",
                           "'loss': 'mse', 'x': [[1, 2]], 'y': [[0, 0]]");
    char doc[4096];
    strcpy(doc, q(arch));
    gc_error err = {0};
    gc_pcg32 r1, r2, r3;
    gc_pcg32_seed(&r1, 42, 54);
    gc_pcg32_seed(&r2, 42, 54);
    gc_pcg32_seed(&r3, 43, 54);
    gc_net *a = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, &r1, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    gc_net *b = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, &r2, &err);
    gc_net *c = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, &r3, &err);
    ck_assert(b != NULL && c != NULL);

    /* The same architecture by hand, drawn by gc_net_init_params. */
    gc_net *h = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(h, gc_dense_new(2, 3), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(h, gc_activation_new(GC_ACT_TANH, 3, 0.0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(h, gc_dense_new(3, 2), NULL), GC_OK);
    gc_pcg32 r4;
    gc_pcg32_seed(&r4, 42, 54);
    ck_assert_int_eq(gc_net_init_params(h, GC_INIT_XAVIER, &r4), GC_OK);

    int differ = 0;
    for (int t = 0; t < a->ntensors; t++) {
        size_t n = (size_t)a->tensors[t]->rows * (size_t)a->tensors[t]->cols;
        size_t bytes = n * sizeof(double);
        ck_assert_msg(memcmp(a->tensors[t]->value, b->tensors[t]->value, bytes) == 0,
                      "%s: same seed, different values", a->tensors[t]->name);
        ck_assert_msg(memcmp(a->tensors[t]->value, h->tensors[t]->value, bytes) == 0,
                      "%s: differs from gc_net_init_params", a->tensors[t]->name);
        differ |= memcmp(a->tensors[t]->value, c->tensors[t]->value, bytes) != 0;
    }
    ck_assert_msg(differ, "seeds 42 and 43 gave the same network");
    /* Xavier draws W (nonzero) and zeroes b: something was really drawn. */
    ck_assert(gc_net_find_tensor(a, "W1", NULL)->value[0] != 0.0);

    /* W1 given: W2 and b2 are still the values of the full draw. */
    gc_pcg32_seed(&r1, 42, 54);
    gc_net *d = gc_net_load_string(
        q(NET("{'type': 'dense', 'in': 2, 'out': 3, 'W': [[1, 2], [3, 4], [5, 6]]}, "
              "{'type': 'tanh'}, {'type': 'dense', 'in': 3, 'out': 2}",
              "'loss': 'mse', 'x': [[1, 2]], 'y': [[0, 0]]")),
        "t.json", GC_INIT_XAVIER, &r1, &err);
    ck_assert_msg(d != NULL, "%s", err.msg);
    ck_assert(gc_net_find_tensor(d, "W1", NULL)->value[5] == 6.0);
    ck_assert(memcmp(gc_net_find_tensor(d, "W2", NULL)->value,
                     gc_net_find_tensor(a, "W2", NULL)->value, 6 * sizeof(double)) == 0);

    /* Omitted but no generator: refused, naming the first omitted tensor. */
    gc_net *e = gc_net_load_string(doc, "t.json", GC_INIT_XAVIER, NULL, &err);
    ck_assert_ptr_null(e);
    ck_assert_int_eq(err.code, GC_EINVAL);
    ck_assert_str_eq(err.msg, "t.json: layers[0].W: missing key, and no generator to draw it from");

    gc_net_free(a);
    gc_net_free(b);
    gc_net_free(c);
    gc_net_free(d);
    gc_net_free(h);
}
END_TEST

/* ---- round trip ------------------------------------------------------- */

/* A finite double from 64 random bits (the exponent field all-ones, Inf or
 * NaN, is redrawn): every sign, every exponent, subnormals included. */
static double random_double(gc_pcg32 *rng)
{
    for (;;) {
        uint64_t bits = (uint64_t)gc_pcg32_next(rng) << 32 | gc_pcg32_next(rng);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            return d;
    }
}

/* The awkward values, placed first in every tensor. */
static const double SPECIAL[] = {-0.0, 0.0, 4.9406564584124654e-324, -2.2250738585072009e-308,
                                 2.2250738585072014e-308, DBL_MAX, -DBL_MAX, 0.1,
                                 1e-310, 1.0 / 3.0, 9007199254740993.0, 1e22, 5e-324};
#define NSPECIAL ((int)(sizeof SPECIAL / sizeof SPECIAL[0]))

static void fill(double *v, size_t n, gc_pcg32 *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = i < (size_t)NSPECIAL ? SPECIAL[i] : random_double(rng);
}

/* dense 3->5, leaky_relu(0.3), dense 5->4, elu(1/3), softplus, mse, B = 4;
 * every value random bits or a special one. */
static gc_net *random_net(gc_pcg32 *rng)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_net_add(net, gc_dense_new(3, 5), NULL);
    gc_net_add(net, gc_activation_new(GC_ACT_LEAKY_RELU, 5, 0.3), NULL);
    gc_net_add(net, gc_dense_new(5, 4), NULL);
    gc_net_add(net, gc_activation_new(GC_ACT_ELU, 4, 1.0 / 3.0), NULL);
    gc_net_add(net, gc_activation_new(GC_ACT_SOFTPLUS, 4, 0.0), NULL);
    for (int t = 0; t < net->ntensors; t++)
        fill(net->tensors[t]->value,
             (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols, rng);
    gc_mat *X = gc_mat_new(3, 6), *T = gc_mat_new(4, 6);
    fill(X->data, gc_mat_size(X), rng);
    fill(T->data, gc_mat_size(T), rng);
    gc_error err = {0};
    int rc = gc_net_set_data(net, X, T, &err);
    ck_assert_msg(rc == GC_OK, "%s", err.msg);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

static void assert_same_bits(const gc_net *a, const gc_net *b)
{
    ck_assert_int_eq(a->nlayers, b->nlayers);
    ck_assert_ptr_eq(a->loss, b->loss);
    for (int k = 0; k < a->nlayers; k++) {
        ck_assert_ptr_eq(a->layers[k]->ops, b->layers[k]->ops);
        ck_assert_int_eq(a->layers[k]->in, b->layers[k]->in);
        ck_assert_int_eq(a->layers[k]->out, b->layers[k]->out);
        ck_assert_msg(memcmp(&a->layers[k]->alpha, &b->layers[k]->alpha, sizeof(double)) == 0,
                      "layers[%d].alpha differs", k);
    }
    ck_assert_int_eq(a->ntensors, b->ntensors);
    for (int t = 0; t < a->ntensors; t++) {
        const gc_tensor *x = a->tensors[t], *y = b->tensors[t];
        ck_assert_str_eq(x->name, y->name);
        for (int i = 0; i < x->rows * x->cols; i++)
            ck_assert_msg(memcmp(&x->value[i], &y->value[i], sizeof(double)) == 0,
                          "%s element %d: %.17g became %.17g", x->name, i, x->value[i],
                          y->value[i]);
    }
    const gc_mat *m[2][2] = {{a->act[0], b->act[0]}, {a->T, b->T}};
    for (int s = 0; s < 2; s++) {
        ck_assert_int_eq(m[s][0]->rows, m[s][1]->rows);
        ck_assert_int_eq(m[s][0]->cols, m[s][1]->cols);
        for (size_t i = 0; i < gc_mat_size(m[s][0]); i++)
            ck_assert_msg(memcmp(&m[s][0]->data[i], &m[s][1]->data[i], sizeof(double)) == 0,
                          "%s element %zu: %.17g became %.17g", s == 0 ? "x" : "y", i,
                          m[s][0]->data[i], m[s][1]->data[i]);
    }
}

/* A scratch directory, removed (with its files) by rm_dir. */
static void make_dir(char *dir, size_t n)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, n, "%s/gc-netfile-XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* Files in dir (to see that no temporary file is left behind). */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1200];
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

START_TEST(test_netfile_round_trip_bit_exact)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 2026, (uint64_t)_i);
    gc_net *net = random_net(&rng);
    char dir[1024], path[1100];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/net.json", dir);
    gc_error err = {0};
    ck_assert_msg(gc_net_save(net, path, &err) == GC_OK, "%s", err.msg);
    gc_net *back = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(back != NULL, "%s", err.msg);
    assert_same_bits(net, back);

    /* Writing the loaded network gives the same text again. */
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f1 = open_memstream(&t1, &n1), *f2 = open_memstream(&t2, &n2);
    ck_assert_int_eq(gc_net_write_json(net, f1, &err), GC_OK);
    ck_assert_int_eq(gc_net_write_json(back, f2, &err), GC_OK);
    fclose(f1);
    fclose(f2);
    ck_assert_str_eq(t1, t2);
    free(t1);
    free(t2);
    ck_assert_int_eq(count_files(dir), 1);
    rm_dir(dir);
    gc_net_free(back);
    gc_net_free(net);
}
END_TEST

/* The writer's layout is part of the interface (fixtures are diffed): the
 * docs/DESIGN.md §6 example, written back. */
START_TEST(test_netfile_write_layout)
{
    gc_error err = {0};
    gc_net *net = gc_net_load_string(
        q(NET(D1 ", {'type': 'leaky_relu'}, " D2 ", " SG, "'loss': 'bce', " XY)), "t.json",
        GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    ck_assert_int_eq(gc_net_write_json(net, f, &err), GC_OK);
    fclose(f);
    ck_assert_str_eq(text, "{\n"
                           "  \"layers\": [\n"
                           "    {\"type\": \"dense\", \"in\": 2, \"out\": 2,\n"
                           "     \"W\": [[0.1, 0.2],\n"
                           "           [0.3, 0.4]],\n"
                           "     \"b\": [0.0, 0.1]},\n"
                           "    {\"type\": \"leaky_relu\", \"alpha\": 0.01},\n"
                           "    {\"type\": \"dense\", \"in\": 2, \"out\": 1,\n"
                           "     \"W\": [[0.5, -0.5]],\n"
                           "     \"b\": [0.2]},\n"
                           "    {\"type\": \"sigmoid\"}\n"
                           "  ],\n"
                           "  \"loss\": \"bce\",\n"
                           "  \"x\": [[0.5, 0.7],\n"
                           "        [0.1, 0.2]],\n"
                           "  \"y\": [[1.0],\n"
                           "        [0.0]]\n"
                           "}\n");
    free(text);
    gc_net_free(net);
}
END_TEST

/* Save is atomic: a failed save (a NaN weight) leaves the old file whole
 * and no temporary file; an unwritable place is GC_EIO. */
START_TEST(test_netfile_save_atomic_and_refusals)
{
    gc_error err = {0};
    gc_net *net = gc_net_load_string(q(GOOD), "t.json", GC_INIT_UNIFORM, NULL, &err);
    ck_assert_ptr_nonnull(net);
    char dir[1024], path[1100];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/net.json", dir);
    ck_assert_int_eq(gc_net_save(net, path, &err), GC_OK);

    gc_tensor *W2 = gc_net_find_tensor(net, "W2", NULL);
    W2->value[1] = NAN;
    ck_assert_int_eq(gc_net_save(net, path, &err), GC_ERANGE);
    char want[1400];
    snprintf(want, sizeof want,
             "%s: layers[2].W: element 1 is not finite: a network file cannot hold it", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(count_files(dir), 1);
    gc_net *old = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(old != NULL, "%s", err.msg);
    ck_assert(gc_net_find_tensor(old, "W2", NULL)->value[1] == -0.5);
    gc_net_free(old);
    rm_dir(dir);

    snprintf(path, sizeof path, "%s/no/such/dir/net.json", dir);
    ck_assert_int_eq(gc_net_save(net, path, &err), GC_EIO);
    snprintf(want, sizeof want, "%s: cannot create a temporary file: No such file or directory",
             path);
    ck_assert_str_eq(err.msg, want);
    gc_net_free(net);

    /* No data: nothing a file could hold. */
    gc_net *bare = gc_net_new(&gc_loss_mse);
    gc_net_add(bare, gc_dense_new(1, 1), NULL);
    ck_assert_int_eq(gc_net_write_json(bare, stdout, &err), GC_EINVAL);
    ck_assert_str_eq(err.msg, "the network has no layers or no data: a network file needs both");
    gc_net_free(bare);

    /* A user's layer (its own ops, even if it borrows identity's functions)
     * cannot be written. */
    gc_layer_ops mine = *gc_act_ops(GC_ACT_IDENTITY);
    mine.type = "mine";
    gc_net *u = gc_net_new(&gc_loss_mse);
    gc_net_add(u, gc_layer_new(&mine, 1, 1), NULL);
    gc_mat *X = gc_mat_new(1, 1), *T = gc_mat_new(1, 1);
    ck_assert_int_eq(gc_net_set_data(u, X, T, &err), GC_OK);
    ck_assert_int_eq(gc_net_write_json(u, stdout, &err), GC_EINVAL);
    ck_assert_str_eq(err.msg, "layers[0]: type \"mine\" is not a built-in layer and cannot be "
                              "written to a network file");
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(u);
}
END_TEST

/* Files: unreadable is GC_EIO; the label is the path as given; syntax
 * errors in a file carry its line and column. */
START_TEST(test_netfile_files)
{
    gc_error err = {0};
    char path[1024];
    const char *fx = tu_fixtures();

    ck_assert_ptr_null(gc_net_load("/nonexistent/net.json", GC_INIT_UNIFORM, NULL, &err));
    ck_assert_int_eq(err.code, GC_EIO);
    ck_assert_str_eq(err.msg, "/nonexistent/net.json: cannot open: No such file or directory");

    /* A directory opens but cannot be read. */
    ck_assert_ptr_null(gc_net_load(fx, GC_INIT_UNIFORM, NULL, &err));
    ck_assert_int_eq(err.code, GC_EIO);
    char want[1200];
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", fx); /* EISDIR from read(2) */
    ck_assert_str_eq(err.msg, want);

    /* fixtures/bad/truncated.json ends inside W, after column 20 of line 4. */
    snprintf(path, sizeof path, "%s/bad/truncated.json", fx);
    ck_assert_ptr_null(gc_net_load(path, GC_INIT_UNIFORM, NULL, &err));
    ck_assert_int_eq(err.code, GC_EPARSE);
    snprintf(want, sizeof want, "%s: line 4 column 20: JSON syntax error: ", path);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got: %s", err.msg);

    /* fixtures/bad/ragged_w.json: W1's second row is short. */
    snprintf(path, sizeof path, "%s/bad/ragged_w.json", fx);
    ck_assert_ptr_null(gc_net_load(path, GC_INIT_UNIFORM, NULL, &err));
    ck_assert_int_eq(err.code, GC_EPARSE);
    snprintf(want, sizeof want, "%s: layers[0].W[1]: expected 2 columns, got 1", path);
    ck_assert_str_eq(err.msg, want);

    /* Every reference network is a valid network file. */
    snprintf(path, sizeof path, "%s/nets/classic.json", fx);
    gc_net *net = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_net_free(net);
}
END_TEST

/* A document that omits a parameter is drawn by `init`: an init that is no
 * gc_init is refused (GC_EINVAL, naming the omitted key), not a network
 * whose omitted tensors kept gc_dense_new's zeros. */
START_TEST(test_netfile_refuses_unknown_init)
{
    gc_error err = {0};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_net *net = gc_net_load_string(
        q(NET("{'type': 'dense', 'in': 2, 'out': 1}", "'loss': 'mse', " "'x': [[0.5, 0.7]], 'y': [[1]]")), "t.json",
        (gc_init)7, &rng, &err);
    ck_assert_ptr_null(net);
    ck_assert_msg(err.code == GC_EINVAL, "code %d: %s", err.code, err.msg);
    ck_assert_str_eq(err.msg, "t.json: layers[0].W: missing key, and init 7 is no gc_init to draw it by");
}
END_TEST

Suite *make_netfile_suite(void)
{
    Suite *s = suite_create("netfile");
    TCase *tc = tcase_create("load");
    tcase_add_loop_test(tc, test_netfile_rejects_malformed, 0, NBAD);
    tcase_add_test(tc, test_netfile_good_document);
    tcase_add_test(tc, test_netfile_truncations_and_corruptions);
    tcase_add_test(tc, test_netfile_omitted_params_from_seed);
    tcase_add_test(tc, test_netfile_files);
    suite_add_tcase(s, tc);
    tc = tcase_create("save");
    tcase_add_loop_test(tc, test_netfile_round_trip_bit_exact, 0, 8);
    tcase_add_test(tc, test_netfile_write_layout);
    tcase_add_test(tc, test_netfile_save_atomic_and_refusals);
    tcase_add_test(tc, test_netfile_refuses_unknown_init);
    suite_add_tcase(s, tc);
    return s;
}
