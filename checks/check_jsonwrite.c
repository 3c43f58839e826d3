/*
 * check_jsonwrite.c -- the JSON report writer's direct path against the
 * jansson tree it replaced (gc_report_write_json_tree): byte for byte, on
 * hand-made reports whose numbers cover what "%.17g" and jansson's real
 * formatting can meet (NaN, ±Inf, ±0, integers, subnormals, huge and tiny
 * exponents), every verdict, optional fields present and absent, empty
 * tensor and row lists, a seed above LLONG_MAX, and names that need
 * escaping (those take the tree path: both must still agree).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck/pcg32.h"
#include "internal.h"

static char *render(int (*w)(const gc_report *, FILE *), const gc_report *r, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *rc = w(r, f);
    fclose(f);
    return buf;
}

/* A double from a menu of edge cases, or random of any magnitude. */
static double value(gc_pcg32 *g)
{
    static const double menu[] = {0.0, -0.0, 1.0, -3.0, 100.0, 1e21, 1e22, 1e-5, 1e-320,
                                  4.9406564584124654e-324, 1.7976931348623157e308, 0.1,
                                  123456789012345678.0, 1e100};
    switch (gc_pcg32_bounded(g, 6)) {
    case 0: return NAN;
    case 1: return gc_pcg32_bounded(g, 2) ? INFINITY : -INFINITY;
    case 2: return menu[gc_pcg32_bounded(g, sizeof menu / sizeof menu[0])];
    default: {
        double x = ldexp(gc_pcg32_uniform(g) + 0.5, (int)gc_pcg32_bounded(g, 200) - 100);
        return gc_pcg32_bounded(g, 2) ? -x : x;
    }
    }
}

static void random_report(gc_report *r, gc_tensor_report *t, gc_row *rows, size_t nrows,
                          int ntensors, const char *const *names, gc_pcg32 *g)
{
    memset(r, 0, sizeof *r);
    gc_check_opts_init(&r->opts);
    r->opts.method = (gc_method)gc_pcg32_bounded(g, 3);
    r->opts.eps = value(g);
    r->opts.rtol = 1e-5;
    r->opts.atol = value(g);
    r->opts.inputs = (int)gc_pcg32_bounded(g, 2);
    r->opts.sample = (int)gc_pcg32_bounded(g, 1000);
    r->opts.seed = gc_pcg32_bounded(g, 2) ? 0x8000000000000005ull : gc_pcg32_bounded(g, 99);
    r->opts.engine = gc_pcg32_bounded(g, 2) ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
    r->opts.screen = (int)gc_pcg32_bounded(g, 2);
    r->loss = value(g);
    size_t first = 0;
    for (int k = 0; k < ntensors; k++) {
        memset(&t[k], 0, sizeof t[k]);
        snprintf(t[k].name, sizeof t[k].name, "%s", names[k]);
        t[k].rows = 1 + (int)gc_pcg32_bounded(g, 50);
        t[k].cols = 1 + (int)gc_pcg32_bounded(g, 50);
        t[k].first = first;
        t[k].count = k == ntensors - 1 ? nrows - first : gc_pcg32_bounded(g, (uint32_t)(nrows - first + 1));
        first += t[k].count;
        t[k].worst = t[k].first;
        t[k].npass = (int)gc_pcg32_bounded(g, 9);
        t[k].max_rel = value(g);
        t[k].median_rel = value(g);
        t[k].norm_ratio = value(g);
        t[k].vacuous = (int)gc_pcg32_bounded(g, 2);
        t[k].sampled = (int)gc_pcg32_bounded(g, 2);
        t[k].screened = (int)gc_pcg32_bounded(g, 2);
        for (size_t q = 0; q < t[k].count; q++) {
            gc_row *x = &rows[t[k].first + q];
            x->tensor = k;
            x->row = (int)gc_pcg32_bounded(g, 1000);
            x->col = (int)gc_pcg32_bounded(g, 1000);
            x->analytic = value(g);
            x->numeric = value(g);
            x->abs_err = value(g);
            x->rel_err = value(g);
            x->num_err = gc_pcg32_bounded(g, 2) ? NAN : value(g);
            x->slope_lo = gc_pcg32_bounded(g, 2) ? NAN : value(g);
            x->slope_hi = value(g);
            x->hook = (int)gc_pcg32_bounded(g, 2);
            x->verdict = (gc_verdict)gc_pcg32_bounded(g, 3);
        }
    }
    r->ntensors = ntensors;
    r->tensors = t;
    r->nrows = ntensors > 0 ? nrows : 0;
    r->rows = rows;
    r->npass = (int)gc_pcg32_bounded(g, 100);
    r->nkink = (int)gc_pcg32_bounded(g, 3);
    r->nfail = (int)gc_pcg32_bounded(g, 3);
    r->restored = (int)gc_pcg32_bounded(g, 2);
    r->nevals = gc_pcg32_bounded(g, 100000);
}

START_TEST(test_jsonwrite_direct_equals_tree)
{
    static const char *const plain[] = {"W1", "b1", "x"};
    static const char *const odd[] = {"a<&\"'>b", "tab\there", "W\\1"};
    gc_pcg32 g;
    gc_pcg32_seed(&g, 20261127, 5);
    gc_row rows[40];
    gc_tensor_report t[3];
    gc_report r;
    for (int i = 0; i < 400; i++) {
        int nt = (int)gc_pcg32_bounded(&g, 4);
        size_t nr = gc_pcg32_bounded(&g, 41);
        random_report(&r, t, rows, nr, nt, i % 10 == 9 ? odd : plain, &g);
        int rc1, rc2;
        char *a = render(gc_report_write_json, &r, &rc1);
        char *b = render(gc_report_write_json_tree, &r, &rc2);
        ck_assert_int_eq(rc1, rc2);
        ck_assert_msg(strcmp(a, b) == 0, "report %d: direct and tree differ:\n%s\n----\n%s", i, a,
                      b);
        free(a);
        free(b);
    }
}
END_TEST

Suite *make_jsonwrite_suite(void)
{
    Suite *s = suite_create("jsonwrite");
    TCase *tc = tcase_create("jsonwrite");
    tcase_add_test(tc, test_jsonwrite_direct_equals_tree);
    suite_add_tcase(s, tc);
    return s;
}
