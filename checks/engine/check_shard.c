/*
 * check_shard.c -- the split of a check into parts (lib/engine/shard.c):
 * the parts tile the rows for any costs and counts, each within one row's
 * cost of an equal share; the cost model makes earlier layers dearer under
 * the reference engine; and a part's rows are the whole check's rows, bit
 * for bit, whatever the part (the report side: gc_report_merge and
 * gc_report_rebuild give back the whole report's numbers); the hash that
 * ties parts together sees every bit of what they share.
 */
#include <check.h>
#include <gradcheck.h>
#include <engine/shard.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 8

/* Random counts (0..40, some tensors empty) and costs (1..1000): for N =
 * 1..9 the parts are consecutive, cover [0, total), and no part's cost
 * exceeds total/N by a row's cost or more. */
START_TEST(test_shard_range_tiles_and_balances)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 20261201u + (uint64_t)_i, 7u);
    int n = 1 + (int)gc_pcg32_bounded(&rng, MAXT);
    double cost[MAXT], total_cost = 0.0, max_cost = 0.0;
    size_t count[MAXT], total = 0;
    for (int t = 0; t < n; t++) {
        count[t] = gc_pcg32_bounded(&rng, 5) == 0 ? 0 : gc_pcg32_bounded(&rng, 41);
        cost[t] = 1.0 + gc_pcg32_bounded(&rng, 1000);
        total += count[t];
        total_cost += cost[t] * (double)count[t];
        if (count[t] > 0 && cost[t] > max_cost)
            max_cost = cost[t];
    }
    for (int ways = 1; ways <= 9; ways++) {
        size_t next = 0;
        for (int k = 1; k <= ways; k++) {
            size_t lo, hi;
            gc_shard_range(cost, count, n, k, ways, &lo, &hi);
            ck_assert_msg(lo == next && hi >= lo, "case %d, %d/%d: [%zu, %zu) after %zu", _i, k,
                          ways, lo, hi, next);
            double part = 0.0;
            size_t row = 0;
            for (int t = 0; t < n; t++)
                for (size_t q = 0; q < count[t]; q++, row++)
                    if (row >= lo && row < hi)
                        part += cost[t];
            ck_assert_msg(part <= total_cost / ways + max_cost + 1e-9 * total_cost,
                          "case %d, %d/%d: cost %g of %g", _i, k, ways, part, total_cost);
            next = hi;
        }
        ck_assert_msg(next == total, "case %d, %d ways: parts end at %zu of %zu", _i, ways, next,
                      total);
    }
}
END_TEST

/* The reference engine recomputes from the perturbed layer on: a row of
 * layer 0 costs more than one of layer 2, which costs more than one of the
 * last layer.  The fast engine's first-layer rows cost more than its last
 * layer's in a deep network (the change turns dense two layers down). */
START_TEST(test_shard_cost_model_orders_layers)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 1);
    gc_error err = {0};
    gc_net *net = gc_net_from_arch("20-16-12-8-4", "tanh,tanh,tanh,identity", "softmax_ce", 3,
                                   GC_INIT_XAVIER, &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    int last = net->nlayers - 2; /* the last dense layer */
    for (int fast = 0; fast <= 1; fast++) {
        double c0 = gc_shard_row_cost(net->layers, net->act, net->nlayers, 0, fast);
        double c2 = gc_shard_row_cost(net->layers, net->act, net->nlayers, 2, fast);
        double cl = gc_shard_row_cost(net->layers, net->act, net->nlayers, last, fast);
        ck_assert_msg(c0 > c2 && c2 > cl, "fast %d: costs %g, %g, %g not decreasing", fast, c0,
                      c2, cl);
        if (fast) {
            double ref = gc_shard_row_cost(net->layers, net->act, net->nlayers, 0, 0);
            ck_assert_msg(c0 < ref, "fast W1 row %g not below the reference's %g", c0, ref);
        }
    }
    gc_net_free(net);
}
END_TEST

/* Every field of two rows bit for bit (not their padding, which no one
 * writes). */
static int same_row_bits(const gc_row *a, const gc_row *b)
{
    const double da[] = {a->analytic, a->numeric, a->abs_err, a->rel_err, a->num_err, a->band,
                         a->slope_lo, a->slope_hi};
    const double db[] = {b->analytic, b->numeric, b->abs_err, b->rel_err, b->num_err, b->band,
                         b->slope_lo, b->slope_hi};
    return a->tensor == b->tensor && a->row == b->row && a->col == b->col &&
           a->hook == b->hook && a->verdict == b->verdict && a->reason == b->reason &&
           a->escalated == b->escalated && memcmp(da, db, sizeof da) == 0;
}

/* Parts of a library check merge into the whole check's report: the same
 * rows bit for bit, the same summaries and evaluations; the hash of a
 * check in one part (a whole check has none). */
START_TEST(test_shard_parts_merge_to_whole)
{
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 4);
    gc_error err = {0};
    gc_net *net = gc_net_from_arch("7-5-3", "sigmoid,identity", "softmax_ce", 2, GC_INIT_XAVIER,
                                   &rng, &err);
    ck_assert_msg(net != NULL, "%s", err.msg);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = 1;
    gc_report *whole = NULL, *parts[4] = {NULL}, *merged = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &whole, &err), GC_OK);
    o.nshards = 4;
    for (int k = 0; k < 4; k++) {
        o.shard = k + 1;
        ck_assert_int_eq(gc_check_net(net, &o, &parts[3 - k], &err), GC_OK);
    }
    int bad = 0;
    ck_assert_msg(gc_report_merge((const gc_report *const *)parts, 4, &merged, &bad, &err) == GC_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(merged->nrows, whole->nrows);
    for (size_t k = 0; k < whole->nrows; k++)
        ck_assert_msg(same_row_bits(&merged->rows[k], &whole->rows[k]), "merged row %zu differs",
                      k);
    ck_assert_msg(memcmp(gc_report_order(merged), gc_report_order(whole),
                         whole->nrows * sizeof *whole->order) == 0,
                  "merged order differs");
    ck_assert_msg(memcmp(merged->tensors, whole->tensors,
                         (size_t)whole->ntensors * sizeof *whole->tensors) == 0,
                  "merged summaries differ");
    ck_assert_uint_eq(merged->nevals, whole->nevals);
    /* the parts' hash is the one of a check in one part; a whole check
     * computes none */
    gc_report *one = NULL;
    o.shard = o.nshards = 1;
    ck_assert_int_eq(gc_check_net(net, &o, &one, &err), GC_OK);
    ck_assert_uint_ne(one->hash, 0);
    ck_assert_uint_eq(merged->hash, one->hash);
    ck_assert_uint_eq(whole->hash, 0);
    gc_report_free(one);
    ck_assert_int_eq(merged->npass, whole->npass);
    /* a part missing */
    gc_report_free(merged);
    merged = NULL;
    ck_assert_int_eq(gc_report_merge((const gc_report *const *)parts, 3, &merged, &bad, &err),
                     GC_EINVAL);
    ck_assert_ptr_null(merged);
    for (int k = 0; k < 4; k++)
        gc_report_free(parts[k]);
    gc_report_free(whole);
    gc_net_free(net);
}
END_TEST

/* The hash of what parts share: equal inputs give equal hashes; one bit
 * flipped in any value, gradient or the loss, a name one byte longer or
 * with another byte, a shape transposed or the tensors swapped give another (every length from
 * 0 to 40 elements, so each of the hash's steps -- 32-byte blocks, words,
 * the last bytes -- is exercised). */
START_TEST(test_shard_hash_sees_every_bit)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 3, 9);
    for (int len = 0; len <= 40; len++) {
        double v[2][40], g[2][40];
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < len; i++) {
                v[t][i] = gc_pcg32_uniform(&rng) - 0.5;
                g[t][i] = gc_pcg32_uniform(&rng);
            }
        gc_target tg[2];
        memset(tg, 0, sizeof tg);
        for (int t = 0; t < 2; t++) {
            snprintf(tg[t].name, sizeof tg[t].name, t ? "b1" : "W1");
            tg[t].rows = len;
            tg[t].cols = 1;
            tg[t].value = v[t];
            tg[t].grad = g[t];
        }
        uint64_t h = gc_shard_hash(tg, 2, 1.5);
        ck_assert_uint_eq(gc_shard_hash(tg, 2, 1.5), h);
        ck_assert_uint_ne(gc_shard_hash(tg, 2, nextafter(1.5, 2.0)), h);
        for (int i = 0; i < len; i++)
            for (int bit = 0; bit < 64; bit += 7) {
                uint64_t b;
                double *ps[2] = {&v[i % 2][i], &g[1 - i % 2][i]};
                for (int w = 0; w < 2; w++) {
                    memcpy(&b, ps[w], sizeof b);
                    b ^= 1ull << bit;
                    memcpy(ps[w], &b, sizeof b);
                    ck_assert_msg(gc_shard_hash(tg, 2, 1.5) != h, "len %d: bit %d of element %d "
                                  "(%s) not seen", len, bit, i, w ? "gradient" : "value");
                    b ^= 1ull << bit;
                    memcpy(ps[w], &b, sizeof b);
                }
            }
        ck_assert_uint_eq(gc_shard_hash(tg, 2, 1.5), h);
        snprintf(tg[1].name, sizeof tg[1].name, "b12");
        ck_assert_uint_ne(gc_shard_hash(tg, 2, 1.5), h);
        snprintf(tg[1].name, sizeof tg[1].name, "b2");
        ck_assert_uint_ne(gc_shard_hash(tg, 2, 1.5), h);
        snprintf(tg[1].name, sizeof tg[1].name, "b1");
        tg[0].rows = 1;
        tg[0].cols = len;
        ck_assert(len == 1 || gc_shard_hash(tg, 2, 1.5) != h);
        tg[0].rows = len;
        tg[0].cols = 1;
        gc_target swapped[2] = {tg[1], tg[0]};
        ck_assert_uint_ne(gc_shard_hash(swapped, 2, 1.5), h);
    }
}
END_TEST

Suite *make_shard_range_suite(void)
{
    Suite *s = suite_create("shard_range");
    TCase *tc = tcase_create("range");
    tcase_add_loop_test(tc, test_shard_range_tiles_and_balances, 0, 200);
    tcase_add_test(tc, test_shard_cost_model_orders_layers);
    tcase_add_test(tc, test_shard_hash_sees_every_bit);
    tcase_add_test(tc, test_shard_parts_merge_to_whole);
    suite_add_tcase(s, tc);
    return s;
}
