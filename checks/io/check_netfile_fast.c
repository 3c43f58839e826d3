/*
 * check_netfile_fast.c -- the network file's fast path (io/netfile_fast.h)
 * against the slow one, jansson on the whole text, which the loader was
 * before the fast path and still is wherever the fast path doubts.
 *
 * For each text, loaded by either path (gc_net_load_buffer) and by the
 * slow path alone: both refuse it with the same code and message, or both
 * load the same network -- the same file when saved again, the same bits
 * in every parameter, x and y, the generator left in the same state.  The
 * texts: every fixture network file; random networks, saved and then
 * respelled number by number (exponents, 1 to 40 digits, integers, -0,
 * whitespace) and with bad spellings planted; one-byte corruptions of a
 * good document; a table of the cases the fast path must leave to the
 * slow one.  The good texts must be taken by the fast path itself
 * (GC_NF_FAST), so that the comparison is not the slow path with itself,
 * and the planted reader bug (io/numread.h) must make a difference.
 */
#include "testutil.h"
#include "cli_run.h"

#include "io/netfile_fast.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* net saved by gc_net_write_json, NUL-terminated (free it). */
static char *saved(const gc_net *net)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    gc_error err = {0};
    int rc = gc_net_write_json(net, f, &err);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_msg(rc == GC_OK, "save: %s", err.msg);
    return text;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* a and b hold the same network: saved to the same text (layers, alpha,
 * loss, every number to 17 digits), and the same bits everywhere. */
static int same_net(const gc_net *a, const gc_net *b)
{
    if (a->nlayers != b->nlayers || a->ntensors != b->ntensors || a->loss != b->loss)
        return 0;
    for (int t = 0; t < a->ntensors; t++) {
        const gc_tensor *x = a->tensors[t], *y = b->tensors[t];
        if (x->rows != y->rows || x->cols != y->cols ||
            !same_bits(x->value, y->value, (size_t)x->rows * (size_t)x->cols))
            return 0;
    }
    if (gc_mat_size(a->act[0]) != gc_mat_size(b->act[0]) ||
        gc_mat_size(a->T) != gc_mat_size(b->T) ||
        !same_bits(a->act[0]->data, b->act[0]->data, gc_mat_size(a->act[0])) ||
        !same_bits(a->T->data, b->T->data, gc_mat_size(a->T)))
        return 0;
    char *sa = saved(a), *sb = saved(b);
    int same = strcmp(sa, sb) == 0;
    free(sa);
    free(sb);
    return same;
}

/* One load by route, from a generator seeded (1, 1); *after its state. */
static gc_net *load_by(gc_nf_route route, const gc_numreader *rd, const char *text, size_t len,
                       const char *anchor, gc_pcg32 *after, gc_error *err)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 1);
    gc_net_limits lim;
    gc_net_limits_init(&lim);
    gc_net *net = gc_nf_load_buffer_by(route, rd, text, len, "t.json", anchor, &lim,
                                       GC_INIT_XAVIER, &rng, err);
    *after = rng;
    return net;
}

typedef struct tally {
    int loaded, refused, fast; /* texts; of the loaded, taken by the fast path */
} tally;

/* The text loads by either path exactly as by the slow one (see the top
 * of the file); when it loads and must_fast is set, the fast path alone
 * takes it to the same network.  what names the text in a failure. */
static void same_either_way(const char *text, size_t len, const char *anchor, int must_fast,
                            const char *what, tally *t)
{
    gc_error es = {0}, ee = {0}, ef = {0};
    gc_pcg32 rs, re, rf;
    gc_net *slow = load_by(GC_NF_SLOW, NULL, text, len, anchor, &rs, &es);
    gc_net *either = load_by(GC_NF_EITHER, NULL, text, len, anchor, &re, &ee);
    ck_assert_msg((slow == NULL) == (either == NULL), "%s: slow %s, either %s (%s%s)", what,
                  slow ? "loads" : "refuses", either ? "loads" : "refuses", es.msg, ee.msg);
    ck_assert_msg(memcmp(&rs, &re, sizeof rs) == 0, "%s: the generator differs", what);
    if (slow == NULL) {
        ck_assert_msg(es.code == ee.code && strcmp(es.msg, ee.msg) == 0,
                      "%s:\n  slow:   %d %s\n  either: %d %s", what, es.code, es.msg, ee.code,
                      ee.msg);
        t->refused++;
        return;
    }
    t->loaded++;
    ck_assert_msg(same_net(slow, either), "%s: the networks differ", what);
    gc_net *fast = load_by(GC_NF_FAST, NULL, text, len, anchor, &rf, &ef);
    ck_assert_msg(fast != NULL || !must_fast, "%s: the fast path declined a good file", what);
    if (fast != NULL) {
        t->fast++;
        ck_assert_msg(same_net(slow, fast), "%s: the fast path's network differs", what);
        ck_assert_msg(memcmp(&rs, &rf, sizeof rs) == 0, "%s: the generator differs", what);
    }
    gc_net_free(fast);
    gc_net_free(slow);
    gc_net_free(either);
}

/* ---- fixtures ----------------------------------------------------------- */

/* Every fixture network file (the folders that hold them), read as the
 * command reads it: beside its .npz and .npy files.  One without a plugin
 * layer that loads must load by the fast path. */
START_TEST(test_fast_fixtures)
{
    static const char *const dirs[] = {"nets", "npz", "bad", "expect"};
    tally t = {0};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", tu_fixtures(), dirs[d]);
        DIR *dp = opendir(dir);
        ck_assert_msg(dp != NULL, "%s", dir);
        struct dirent *e;
        while ((e = readdir(dp)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
                continue;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            size_t len;
            char *text = slurp(path, &len);
            same_either_way(text, len, path, strstr(text, "\"plugin\"") == NULL, path, &t);
            free(text);
        }
        closedir(dp);
    }
    /* the folders hold both kinds (fixtures/README.md) */
    ck_assert_msg(t.loaded >= 10 && t.refused >= 10, "%d loaded, %d refused", t.loaded,
                  t.refused);
}
END_TEST

/* ---- random networks, respelled ---------------------------------------- */

static double awkward(gc_pcg32 *r)
{
    static const double fixed[] = {0.0, -0.0, 1.0, -1.0, 0.5, DBL_MAX, -DBL_MAX, DBL_MIN,
                                   4.9406564584124654e-324, 9007199254740993.0, 1e300, -1e-300};
    uint32_t k = gc_pcg32_bounded(r, 8);
    if (k == 0)
        return fixed[gc_pcg32_bounded(r, sizeof fixed / sizeof fixed[0])];
    if (k == 1) { /* any finite bit pattern */
        for (;;) {
            uint64_t b = (uint64_t)gc_pcg32_next(r) << 32 | gc_pcg32_next(r);
            double d;
            memcpy(&d, &b, sizeof d);
            if (isfinite(d))
                return d;
        }
    }
    if (k == 2) /* an integer, beyond 2^53 at times */
        return (double)((int64_t)((uint64_t)gc_pcg32_next(r) << 31 | gc_pcg32_next(r)) >>
                        gc_pcg32_bounded(r, 60));
    return gc_pcg32_normal(r);
}

/* A random network: 1-3 dense layers with activations, its parameters and
 * x overwritten with awkward values (y kept: the loss constrains it). */
static gc_net *random_net(gc_pcg32 *r)
{
    static const char *const acts[] = {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity"};
    char arch[64];
    int depth = 1 + (int)gc_pcg32_bounded(r, 3), n = 0;
    n += snprintf(arch + n, sizeof arch - (size_t)n, "%u", 1 + gc_pcg32_bounded(r, 6));
    for (int k = 0; k < depth; k++)
        n += snprintf(arch + n, sizeof arch - (size_t)n, "-%u", 1 + gc_pcg32_bounded(r, 6));
    const char *act = acts[gc_pcg32_bounded(r, sizeof acts / sizeof acts[0])];
    gc_error err = {0};
    gc_net *net = gc_net_from_arch(arch, act, "mse", 1 + (int)gc_pcg32_bounded(r, 3),
                                   GC_INIT_XAVIER, r, &err);
    ck_assert_msg(net != NULL, "%s: %s", arch, err.msg);
    for (int t = 0; t < net->ntensors; t++)
        for (size_t i = 0; i < (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols; i++)
            net->tensors[t]->value[i] = awkward(r);
    for (size_t i = 0; i < gc_mat_size(net->act[0]); i++)
        net->act[0]->data[i] = awkward(r);
    return net;
}

/* Room for a respelled text: the longest spelling below is under 64 bytes
 * a number, a saved number at least one. */
#define RESPELL_RATIO 64

/* Bad spellings: each makes the document one jansson refuses, or one the
 * loader refuses. */
static const char *const bad_spellings[] = {
    "01", "1.", ".5", "+1", "1e", "1e+", "0x1", "1e999", "-1e999", "99999999999999999999",
    "-9223372036854775809", "9223372036854775808", "-", "Infinity", "NaN", "1.5.2", "--1",
    "\"1\"", "true", "[1]", "1 2", "\"\\u00010\"",
};

/* The number v respelled at random into out (spellings that read to v,
 * or near it: both paths read the same text). */
static int respell_any(gc_pcg32 *r, double v, const char *orig, size_t olen, char *out)
{
    static const char *const pad[] = {"", " ", "\n", "\t", "\r\n  "};
    const char *pre = pad[gc_pcg32_bounded(r, 5)], *post = pad[gc_pcg32_bounded(r, 5)];
    switch (gc_pcg32_bounded(r, 7)) {
    case 0:
        return sprintf(out, "%s%.*s%s", pre, (int)olen, orig, post);
    case 1:
        return sprintf(out, "%s%.*g%s", pre, 1 + (int)gc_pcg32_bounded(r, 40), v, post);
    case 2: {
        int n = sprintf(out, "%s%.*e%s", pre, (int)gc_pcg32_bounded(r, 25), v, post);
        if (gc_pcg32_bounded(r, 2)) { /* E for e */
            char *e = strchr(out, 'e');
            if (e != NULL)
                *e = 'E';
        }
        return n;
    }
    case 3: /* an integer token where v is one (as long long) */
        if (v == trunc(v) && fabs(v) < 9e18)
            return sprintf(out, "%s%lld%s", pre, (long long)v, post);
        return sprintf(out, "%.17g", v);
    case 4: /* zero's spellings, integer and real */
        if (v == 0.0) {
            static const char *const z[] = {"0", "-0", "0.0", "-0.0", "0e5", "-0E-5", "0.000"};
            return sprintf(out, "%s", z[gc_pcg32_bounded(r, 7)]);
        }
        return sprintf(out, "%.17g", v);
    case 5: /* leading zeros after the point */
        if (fabs(v) < 1.0 && fabs(v) > 1e-30)
            return sprintf(out, "%.30f", v);
        return sprintf(out, "%.*s", (int)olen, orig);
    default:
        return sprintf(out, "%.40e", v);
    }
}

/* As respell_any, but never to a spelling jansson refuses, so that the
 * text stays a good one: a real that overflows (few digits of a number
 * near DBL_MAX can round past it), an integer beyond long long (%.40g
 * writes 1e19 with all its digits).  %.17g is neither. */
static int respell(gc_pcg32 *r, double v, const char *orig, size_t olen, char *out)
{
    int n = respell_any(r, v, orig, olen, out);
    errno = 0;
    int integer = strpbrk(out, ".eE") == NULL;
    if (integer)
        (void)strtoll(out, NULL, 10);
    int good = integer ? errno != ERANGE : isfinite(strtod(out, NULL));
    return good ? n : sprintf(out, "%.17g", v);
}

/* text with every array element's number respelled into out, the one
 * numbered plant (from 0; SIZE_MAX: none) replaced by a bad spelling; the
 * count of numbers respelled in *count. */
static size_t respell_text(gc_pcg32 *r, const char *text, char *out, size_t plant,
                           size_t *count)
{
    size_t n = 0, k = 0;
    int in_str = 0;
    char prev = 0; /* the last byte outside strings and whitespace */
    for (const char *s = text; *s != '\0';) {
        if (in_str) {
            if (*s == '\\')
                out[n++] = *s++;
            else if (*s == '"')
                in_str = 0;
            out[n++] = *s++;
            continue;
        }
        int starts = (*s == '-' || (*s >= '0' && *s <= '9')) && (prev == '[' || prev == ',');
        if (!starts) {
            if (*s == '"')
                in_str = 1;
            if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
                prev = *s;
            out[n++] = *s++;
            continue;
        }
        size_t len = strspn(s, "-+.eE0123456789");
        if (k++ == plant)
            n += (size_t)sprintf(out + n, "%s",
                                 bad_spellings[gc_pcg32_bounded(
                                     r, sizeof bad_spellings / sizeof bad_spellings[0])]);
        else
            n += (size_t)respell(r, strtod(s, NULL), s, len, out + n);
        s += len;
        prev = '0';
    }
    out[n] = '\0';
    *count = k;
    return n;
}

#define NNETS 120

/* Random networks saved, respelled, and with bad spellings planted: the
 * same either way; the good ones taken by the fast path. */
START_TEST(test_fast_random_networks_respelled)
{
    gc_pcg32 r;
    gc_pcg32_seed(&r, gc_ck_base_seed(), 0xfa57);
    tally t = {0}, planted = {0};
    for (int i = 0; i < NNETS; i++) {
        gc_net *net = random_net(&r);
        char *text = saved(net), what[64];
        size_t len = strlen(text);
        char *re = malloc(len * RESPELL_RATIO + 64);
        ck_assert_ptr_nonnull(re);
        snprintf(what, sizeof what, "net %d as saved", i);
        same_either_way(text, len, NULL, 1, what, &t);
        for (int k = 0; k < 3; k++) {
            size_t count;
            snprintf(what, sizeof what, "net %d respelled (%d)", i, k);
            size_t n = respell_text(&r, text, re, SIZE_MAX, &count);
            same_either_way(re, n, NULL, 1, what, &t);
            snprintf(what, sizeof what, "net %d with a bad spelling (%d)", i, k);
            n = respell_text(&r, text, re, gc_pcg32_bounded(&r, (uint32_t)count), &count);
            same_either_way(re, n, NULL, 0, what, &planted);
        }
        free(re);
        free(text);
        gc_net_free(net);
    }
    ck_assert_msg(t.loaded == 4 * NNETS && t.fast == t.loaded, "%d loaded, %d by the fast path",
                  t.loaded, t.fast);
    /* every bad spelling breaks the file, wherever it is */
    ck_assert_msg(planted.refused == 3 * NNETS, "only %d of %d planted texts refused",
                  planted.refused, 3 * NNETS);
}
END_TEST

/* The planted reader bug changes a network the fast path loads: the
 * comparisons above can fail. */
START_TEST(test_fast_catches_the_reader_mutant)
{
    gc_pcg32 r;
    gc_pcg32_seed(&r, gc_ck_base_seed(), 0xfa57);
    int differ = 0;
    for (int i = 0; i < 20; i++) {
        gc_net *net = random_net(&r);
        char *text = saved(net);
        gc_error e1 = {0}, e2 = {0};
        gc_pcg32 r1, r2;
        gc_net *slow = load_by(GC_NF_SLOW, NULL, text, strlen(text), NULL, &r1, &e1);
        gc_net *mut = load_by(GC_NF_FAST, &gc_numread_mutant, text, strlen(text), NULL,
                              &r2, &e2);
        ck_assert_msg(slow != NULL && mut != NULL, "%s%s", e1.msg, e2.msg);
        differ += !same_net(slow, mut);
        gc_net_free(slow);
        gc_net_free(mut);
        gc_net_free(net);
        free(text);
    }
    ck_assert_msg(differ > 0, "the mutant reader loaded every network the same");
}
END_TEST

/* ---- one-byte corruptions ---------------------------------------------- */

#define SMALL "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 2, \"W\": [[0.1, -2e-3], " \
              "[3, 4.5E+1]], \"b\": [0, -0.0]}, {\"type\": \"leaky_relu\", \"alpha\": 0.2}], " \
              "\"loss\": \"mse\", \"x\": [[0.5, 7], [1e-310, -1]], \"y\": [[1, 0], [0, 1]]}"

/* Every byte of a good document replaced by each of the bytes that matter
 * to the scan: the same either way (a sweep under make sanitize too). */
START_TEST(test_fast_corruptions)
{
    static const char subst[] = "[]{}\",:.eE-+09 x\\\x01\n";
    char doc[sizeof SMALL];
    tally t = {0};
    for (size_t i = 0; i + 1 < sizeof SMALL; i++)
        for (size_t s = 0; s + 1 < sizeof subst; s++) {
            memcpy(doc, SMALL, sizeof SMALL);
            doc[i] = subst[s];
            char what[64];
            snprintf(what, sizeof what, "byte %zu -> 0x%02x", i, (unsigned char)subst[s]);
            same_either_way(doc, sizeof SMALL - 1, NULL, 0, what, &t);
        }
    ck_assert(t.loaded > 0 && t.refused > 0);
}
END_TEST

/* ---- what the fast path leaves to the slow one, or takes --------------- */

#define DOC(x, rest) "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1}], " \
                     "\"loss\": \"mse\", \"x\": [" x "], \"y\": [[0]]" rest "}"

typedef struct edge {
    const char *json;
    int fast; /* 1: the fast path takes it; 0: it declines (the slow path decides) */
} edge;

static const edge edges[] = {
    /* integers as jansson reads them: strtoll, then a double */
    {DOC("[-0, 0]", ""), 1},
    {DOC("[9007199254740993, -9007199254740993]", ""), 1},
    {DOC("[9223372036854775807, -9223372036854775808]", ""), 1},
    {DOC("[9223372036854775808, 1]", ""), 0},   /* too big integer */
    {DOC("[-9223372036854775809, 1]", ""), 0},  /* too big negative integer */
    {DOC("[1e308, 1e-320]", ""), 1},            /* a subnormal: underflow is accepted */
    {DOC("[1e-400, 2.5e-324]", ""), 1},         /* to 0, and to the least subnormal */
    {DOC("[1e309, 1]", ""), 0},                 /* real number overflow */
    {DOC("[1.7976931348623158e308, 1]", ""), 1}, /* rounds to DBL_MAX */
    /* numbers jansson refuses, and arrays that are no arrays of numbers */
    {DOC("[01, 1]", ""), 0},
    {DOC("[1., 1]", ""), 0},
    {DOC("[1, 2,]", ""), 0},
    {DOC("[1,, 2]", ""), 0},
    {DOC("[1 2]", ""), 0},
    {DOC("[1, \"2\"]", ""), 0},
    {DOC("[1, [2]]", ""), 0},
    {DOC("[1, 2", ""), 0},
    /* strings that could spell a placeholder, and a placeholder's spelling */
    {DOC("[1, 2]", ", \"\\u0001\": 1"), 0},
    {DOC("[1, 2]", ", \"weights\": \"\\u00010\""), 0},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1}], \"loss\": \"\\u00010\", "
     "\"x\": [[1, 2]], \"y\": [[0]]}", 0},
    /* arrays where a string is wanted, and the reverse */
    {DOC("[1, 2]", ", \"weights\": [1]"), 0},
    {"{\"layers\": [{\"type\": [1]}], \"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[0]]}", 0},
    {"{\"layers\": [[1, 2]], \"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[0]]}", 0},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1}], \"loss\": [1], "
     "\"x\": [[1, 2]], \"y\": [[0]]}", 0},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1, \"W\": [1, 2]}], "
     "\"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[0]]}", 0},
    {"{\"layers\": [{\"type\": \"elu\", \"alpha\": [1]}], \"loss\": \"mse\", \"x\": [[1]], "
     "\"y\": [[0]]}", 0},
    {"{\"layers\": [{\"type\": \"dense\", \"in\": [2], \"out\": 1}], \"loss\": \"mse\", "
     "\"x\": [[1, 2]], \"y\": [[0]]}", 0},
    {"{\"layers\": [{\"type\": \"sigmoid\"}], \"loss\": \"mse\", \"x\": [1, 2], \"y\": [[0]]}", 0},
    {"[1, 2]", 0},
    /* whitespace of every kind, empty arrays, nesting */
    {DOC(" [ 1 ,\t2\r\n] ", ""), 1},
    {"{\"layers\": [{\"type\": \"sigmoid\"}], \"loss\": \"mse\", \"x\": [[]], \"y\": [[]]}", 0},
    {DOC("[1, 2]", ", \"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                   "[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
     0},
    /* a plugin layer: its factory runs once, by the slow path */
    {"{\"layers\": [{\"type\": \"plugin\", \"lib\": \"/nonexistent.so\", \"factory\": \"f\"}], "
     "\"loss\": \"mse\", \"x\": [[1, 2]], \"y\": [[0]]}", 0},
};

START_TEST(test_fast_edges)
{
    const edge *e = &edges[_i];
    char what[32];
    snprintf(what, sizeof what, "edge %d", _i);
    tally t = {0};
    same_either_way(e->json, strlen(e->json), NULL, e->fast, what, &t);
    gc_error err = {0};
    gc_pcg32 after;
    gc_net *fast = load_by(GC_NF_FAST, NULL, e->json, strlen(e->json), NULL, &after, &err);
    ck_assert_msg((fast != NULL) == e->fast, "edge %d: the fast path %s: %s", _i,
                  fast != NULL ? "took it" : "declined", e->json);
    if (fast == NULL)
        ck_assert_str_eq(err.msg, "t.json: fast path declined");
    gc_net_free(fast);
}
END_TEST

/* The integers' values: strtoll's, converted (-0 is +0.0; 2^53 + 1 rounds
 * to even, 2^53), and a subnormal and an underflow as strtod reads them. */
START_TEST(test_fast_integer_and_tiny_values)
{
    const char *text = "{\"layers\": [{\"type\": \"dense\", \"in\": 2, \"out\": 1}], "
                       "\"loss\": \"mse\", \"x\": [[-0, 9007199254740993], [1e-320, 1e-400]], "
                       "\"y\": [[0], [0]]}";
    gc_error err = {0};
    gc_pcg32 after;
    gc_net *net = load_by(GC_NF_FAST, NULL, text, strlen(text), NULL, &after, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    const gc_mat *X = net->act[0]; /* 2 x 2, one column per example */
    double want[4] = {0.0, 1e-320, 9007199254740992.0, 0.0};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(memcmp(&X->data[i], &want[i], sizeof want[i]) == 0, "x[%d]: %a, want %a",
                      i, X->data[i], want[i]);
    gc_net_free(net);
}
END_TEST

/* The scan itself: arrays of numbers out, placeholders in, the rest as it
 * was; an escaped backslash before "u0001" is no escape of \u0001. */
START_TEST(test_fast_scan_skeleton)
{
    const char *text = "{\"a\\\\u0001\": [[1, -2.5e0], []], \"b\": [0], \"c\": \"[1]\"}";
    gc_nf_table t;
    ck_assert_int_eq(gc_nf_scan(text, strlen(text), &gc_numread, &t), GC_OK);
    const char *want = "{\"a\\\\u0001\": [\"\\u00010\", []], \"b\": \"\\u00011\", \"c\": \"[1]\"}";
    ck_assert_msg(t.nskel == strlen(want) && memcmp(t.skel, want, t.nskel) == 0,
                  "skeleton %.*s, want %s", (int)t.nskel, t.skel, want);
    ck_assert(t.nrun == 2 && t.nval == 3 && t.run[1] == 2 && t.run[2] == 3);
    ck_assert(t.val[0] == 1.0 && t.val[1] == -2.5 && t.val[2] == 0.0);
    gc_nf_table_free(&t);
    const char *escaped = "{\"\\u0001\": 1}";
    ck_assert_int_ne(gc_nf_scan(escaped, strlen(escaped), &gc_numread, &t), GC_OK);
    gc_nf_table_free(&t);
}
END_TEST

Suite *make_netfile_fast_suite(void)
{
    Suite *s = suite_create("netfile_fast");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fast_fixtures);
    tcase_add_test(tc, test_fast_random_networks_respelled);
    tcase_add_test(tc, test_fast_catches_the_reader_mutant);
    tcase_add_test(tc, test_fast_corruptions);
    tcase_add_loop_test(tc, test_fast_edges, 0, (int)(sizeof edges / sizeof edges[0]));
    tcase_add_test(tc, test_fast_integer_and_tiny_values);
    tcase_add_test(tc, test_fast_scan_skeleton);
    suite_add_tcase(s, tc);
    return s;
}
