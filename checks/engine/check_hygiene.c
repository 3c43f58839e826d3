/*
 * check_hygiene.c -- the hygiene checks of <gradcheck/hygiene.h> catch the
 * layer mutants of fixtures/mutants/layers/, each by exactly the one check
 * its registry entry names, through all three doors (gc_check_layer, the
 * Check assertion of <gradcheck/ck.h>, `gradcheck --layer`); the element
 * check alone misses each of them; and no correct built-in or example
 * layer is flagged.
 *
 * "Only that check" is asserted, not assumed: for every mutant and seed,
 * the element check with every hygiene check off passes, and each hygiene
 * check alone fails it exactly when it is the registry's.  Seeds come from
 * GC_SEED (props_base_seed), so another GC_SEED checks other layers.
 */
#include <check.h>
#include <dirent.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "layer_zoo.h"
#include "testutil.h"
#include "../../fixtures/mutants/layers/layer_mutants.h"

#define GC_LAYER_MUTANT(name) extern const gc_layer_mutant gc_layer_mutant_##name;
#include "layer_mutant_list.h"
#undef GC_LAYER_MUTANT

static const gc_layer_mutant *const lmutants[] = {
#define GC_LAYER_MUTANT(name) &gc_layer_mutant_##name,
#include "layer_mutant_list.h"
#undef GC_LAYER_MUTANT
};
#define NLMUTANTS ((int)(sizeof lmutants / sizeof lmutants[0]))

/* Random layers per mutant and per correct layer. */
#define HYGIENE_SEEDS 8

/* Index of a single-bit mask, or -1. */
static int bit_index(unsigned bit)
{
    for (int i = 0; i < GC_HYGIENE_COUNT; i++)
        if (bit == 1u << i)
            return i;
    return -1;
}

/* gc_check_layer of l at batch with no_hygiene = off; the report (owned). */
static gc_report *check(gc_layer *l, int batch, unsigned off, const char *what)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.no_hygiene = off;
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    int rc = gc_check_layer(l, batch, &o, &r, &err);
    ck_assert_msg(rc == GC_OK && r != NULL, "%s: gc_check_layer: %s", what, err.msg);
    return r;
}

static gc_layer *build(const gc_layer_mutant *m, int j)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, gc_ck_base_seed(), (uint64_t)j);
    gc_layer *l = m->factory(m->in, m->out, &rng);
    ck_assert_msg(l != NULL, "%s: factory returned NULL", m->name);
    return l;
}

START_TEST(test_layer_mutant_registry_is_complete)
{
    ck_assert_msg(NLMUTANTS >= 6, "only %d layer mutants", NLMUTANTS);
    unsigned covered = 0;
    for (int i = 0; i < NLMUTANTS; i++) {
        const gc_layer_mutant *m = lmutants[i];
        ck_assert_msg(m->name && m->bug && m->factory && m->batch >= 1 && m->in >= 1 &&
                          m->out >= 1, "layer mutant %d: incomplete entry", i);
        ck_assert_msg(m->caught_by == 0 || bit_index(m->caught_by) >= 0,
                      "%s: caught_by must be 0 or one GC_HYGIENE_ bit", m->name);
        covered |= m->caught_by;
    }
    /* every hygiene check has a mutant that only it catches */
    ck_assert_msg(covered == GC_HYGIENE_ALL, "hygiene checks without a mutant: mask %#x",
                  GC_HYGIENE_ALL & ~covered);
    const char *fixtures = tu_fixtures();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mutants/layers", fixtures);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        files++;
        int found = 0;
        for (int i = 0; i < NLMUTANTS && !found; i++)
            found = strlen(lmutants[i]->name) == n - 2 &&
                    strncmp(lmutants[i]->name, e->d_name, n - 2) == 0;
        ck_assert_msg(found, "%s/%s defines no registered layer mutant", dir, e->d_name);
    }
    closedir(d);
    ck_assert_int_eq(files, NLMUTANTS);
}
END_TEST

/* Loop index = mutant: blind element check, exactly one hygiene check,
 * caught at default options by gc_check_layer and by the Check helper. */
START_TEST(test_layer_mutant_caught_by_its_check_only)
{
    const gc_layer_mutant *m = lmutants[_i];
    int want = bit_index(m->caught_by);
    for (int j = 0; j < HYGIENE_SEEDS; j++) {
        gc_layer *l = build(m, j);
        gc_report *r = check(l, m->batch, GC_HYGIENE_ALL, m->name);
        ck_assert_msg(gc_report_failed(r) == (m->caught_by == 0),
                      "%s (GC_SEED=%llu, layer %d): the element check alone %s it at batch %d",
                      m->name, (unsigned long long)gc_ck_base_seed(), j,
                      m->caught_by ? "catches" : "misses", m->batch);
        gc_report_free(r);
        for (int i = 0; m->caught_by != 0 && i < GC_HYGIENE_COUNT; i++) {
            r = check(l, m->batch, GC_HYGIENE_ALL & ~(1u << i), m->name);
            ck_assert_msg(gc_report_failed(r) == (i == want),
                          "%s (GC_SEED=%llu, layer %d): hygiene check %s alone %s: %s", m->name,
                          (unsigned long long)gc_ck_base_seed(), j, gc_hygiene_name(i),
                          i == want ? "misses it" : "catches it too",
                          r->hygiene->check[i].detail);
            gc_report_free(r);
        }
        r = check(l, m->batch, 0, m->name);
        ck_assert_msg(gc_report_failed(r), "%s survives the default options", m->name);
        if (want >= 0)
            ck_assert_msg(r->hygiene->check[want].status == GC_HYGIENE_FAIL,
                          "%s: %s does not say fail", m->name, gc_hygiene_name(want));
        gc_report_free(r);

        char msg[1536], name[64];
        ck_assert_msg(!gc_ck_layer_gradients(l, m->batch, NULL, msg, sizeof msg, NULL),
                      "%s passes gc_ck_layer_gradients", m->name);
        snprintf(name, sizeof name, "hygiene '%s' fails", want >= 0 ? gc_hygiene_name(want) : "");
        ck_assert_msg(want < 0 || strstr(msg, name) != NULL, "%s: message lacks \"%s\": %s",
                      m->name, name, msg);
        gc_layer_free(l);
    }
}
END_TEST

/* The reentrant check's tolerance: the nondeterministic sum differs by
 * rounding only, so nondet_tol 1e-12 (far above 8 terms' rounding, ~1e-15
 * here) accepts it while 0 does not. */
START_TEST(test_nondet_tol_admits_rounding)
{
    const gc_layer_mutant *m = &gc_layer_mutant_nondet_sum;
    gc_layer *l = build(m, 0);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.nondet_tol = 1e-12;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 1, &o, &r, NULL), GC_OK);
    ck_assert_msg(!gc_report_failed(r), "nondet_tol 1e-12: %s", r->hygiene->check[1].detail);
    gc_report_free(r);
    o.nondet_tol = -1.0;
    ck_assert_int_eq(gc_check_layer(l, 1, &o, &r, NULL), GC_EINVAL);
    gc_layer_free(l);
}
END_TEST

/* ---- correct layers are never flagged ------------------------------------- */

START_TEST(test_correct_layers_pass_every_hygiene_check)
{
    for (int j = 0; j < HYGIENE_SEEDS; j++) {
        gc_pcg32 rng;
        char name[32];
        gc_pcg32_seed(&rng, gc_ck_base_seed(), 1000u + (uint64_t)(_i * 100 + j));
        gc_layer *l = zoo_layer(_i, &rng, name, sizeof name);
        ck_assert_ptr_nonnull(l);
        for (int batch = 1; batch <= 3; batch++) {
            gc_report *r = check(l, batch, 0, name);
            for (int i = 0; i < GC_HYGIENE_COUNT; i++)
                ck_assert_msg(r->hygiene->check[i].status != GC_HYGIENE_FAIL,
                              "FALSE ALARM: %s (in %d, out %d, batch %d, GC_SEED=%llu): %s: %s",
                              name, l->in, l->out, batch, (unsigned long long)gc_ck_base_seed(),
                              gc_hygiene_name(i), r->hygiene->check[i].detail);
            ck_assert_msg(!gc_report_failed(r), "%s batch %d fails", name, batch);
            gc_report_free(r);
        }
        gc_layer_free(l);
    }
}
END_TEST

/* The hygiene checks leave the parameters with their bits (the second
 * point is put back) and the gradients as one backward call leaves them. */
START_TEST(test_hygiene_keeps_parameters)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 3u, 3u);
    gc_layer *l = gc_dense_new(3, 2);
    gc_ck_fill_normal(l, &rng);
    double W[6], b[2];
    memcpy(W, l->param[0].value, sizeof W);
    memcpy(b, l->param[1].value, sizeof b);
    gc_report *r = check(l, 2, 0, "dense");
    ck_assert_msg(r->hygiene->check[3].status == GC_HYGIENE_PASS, "%s",
                  r->hygiene->check[3].detail);
    ck_assert(memcmp(W, l->param[0].value, sizeof W) == 0);
    ck_assert(memcmp(b, l->param[1].value, sizeof b) == 0);
    /* the gradient is backprop's at the check's point: the report's analytic */
    for (size_t k = 0; k < r->tensors[0].count; k++) {
        const gc_row *row = &r->rows[r->tensors[0].first + k];
        ck_assert(l->param[0].grad[row->row * 3 + row->col] == row->analytic);
    }
    gc_report_free(r);
    /* off: no hygiene report at all */
    r = check(l, 2, GC_HYGIENE_ALL, "dense");
    ck_assert_ptr_null(r->hygiene);
    gc_report_free(r);
    gc_layer_free(l);
}
END_TEST

/* ---- the command -------------------------------------------------------------- */

static const char *mutant_spec(char *buf, size_t size, const char *name)
{
    const char *bin = gc_bin();
    const char *slash = strrchr(bin, '/');
    int dirlen = slash != NULL ? (int)(slash - bin) : 1;
    snprintf(buf, size, "%.*s/fixtures/liblayermutants.so:%s_plugin", dirlen,
             slash != NULL ? bin : ".", name);
    return buf;
}

/* Loop index = mutant: --layer catches it at the default batch (2) and at
 * the mutant's blind batch; --no-hygiene (all, or its own check) lets it
 * pass; --no-hygiene naming every other check does not. */
START_TEST(test_cli_catches_layer_mutant)
{
    const gc_layer_mutant *m = lmutants[_i];
    if (m->caught_by == 0)
        return; /* the element check's: test_dropout_redraw_cli */
    int want = bit_index(m->caught_by);
    char dir[256], sp[700], in[16], out[16], batch[16], others[128] = "--no-hygiene=", line[96];
    snprintf(in, sizeof in, "%d", m->in);
    snprintf(out, sizeof out, "%d", m->out);
    snprintf(batch, sizeof batch, "%d", m->batch);
    for (int i = 0, first = 1; i < GC_HYGIENE_COUNT; i++)
        if (i != want) {
            snprintf(others + strlen(others), sizeof others - strlen(others), "%s%s",
                     first ? "" : ",", gc_hygiene_name(i));
            first = 0;
        }
    snprintf(line, sizeof line, "verdict: FAIL (hygiene check %s failed)", gc_hygiene_name(want));
    char own[64];
    snprintf(own, sizeof own, "--no-hygiene=%s", gc_hygiene_name(want));
    mutant_spec(sp, sizeof sp, m->name);
    tmpdir_make(dir, sizeof dir);
    struct { const char *flag; const char *batch; int status; } rows[] = {
        {NULL, NULL, 1}, {NULL, batch, 1}, {others, batch, 1},
        {"--no-hygiene", batch, 0}, {own, batch, 0},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        const char *args[12] = {"--layer", sp, "--in", in, "--out", out};
        int n = 6;
        if (rows[k].batch != NULL) {
            args[n++] = "--batch";
            args[n++] = rows[k].batch;
        }
        if (rows[k].flag != NULL)
            args[n++] = rows[k].flag;
        result r;
        run_ok(dir, args, rows[k].status, &r);
        if (rows[k].status == 1 && (rows[k].batch != NULL || want != bit_index(GC_HYGIENE_BATCH)))
            ck_assert_msg(strstr(r.out, line) != NULL, "%s row %zu: no \"%s\" in:\n%s", m->name,
                          k, line, r.out);
        result_free(&r);
    }
    tmpdir_remove(dir);
}
END_TEST

/* JSON and JUnit carry the hygiene results too. */
START_TEST(test_cli_hygiene_formats)
{
    char dir[256], sp[700], path[300];
    result r;
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    mutant_spec(sp, sizeof sp, "grad_assign");
    const char *json[] = {"--layer", sp, "--in", "3", "--out", "2", "--format", "json", "-o",
                          path, NULL};
    run_ok(dir, json, 1, &r);
    result_free(&r);
    json_eq(dir, path, "(d['verdict'], d['hygiene']['accumulate']['status'], "
            "d['hygiene']['overwrite']['status'], d['hygiene']['failed'])",
            "('fail', 'fail', 'pass', 1)");
    const char *junit[] = {"--layer", sp, "--in", "3", "--out", "2", "--format", "junit", NULL};
    run_ok(dir, junit, 1, &r);
    ck_assert_msg(strstr(r.out, "<testcase classname=\"gradcheck.hygiene\" name=\"accumulate\">"
                                "\n      <failure type=\"hygiene\"") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "<testcase classname=\"gradcheck.hygiene\" name=\"reentrant\"/>")
                  != NULL, "%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* Misused flags: one line, exit 2. */
START_TEST(test_cli_hygiene_flags_rejected)
{
    char dir[256];
    tmpdir_make(dir, sizeof dir);
    struct { const char *args[8]; const char *want; } rows[] = {
        {{"--layer", "relu", "--in", "2", "--no-hygiene=batch,bogus", NULL},
         "--no-hygiene: unknown check 'bogus'"},
        {{"--arch", "2-1", "--nondet-tol", "0.1", NULL}, "--nondet-tol: applies to --layer only"},
        {{"--arch", "2-1", "--no-hygiene", NULL}, "--no-hygiene: applies to --layer only"},
        {{"--layer", "relu", "--in", "2", "--mutate", "0", NULL}, "--mutate: expected an integer"},
        {{"--layer", "relu", "--in", "2", "--nondet-tol", "-1", NULL}, "--nondet-tol: expected"},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        result r;
        run_gc(dir, rows[k].args, &r);
        assert_rejected(&r, rows[k].args, rows[k].want, (int)k);
        result_free(&r);
    }
    tmpdir_remove(dir);
}
END_TEST

Suite *make_hygiene_suite(void)
{
    Suite *s = suite_create("hygiene");
    TCase *tc = tcase_create("mutants");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_layer_mutant_registry_is_complete);
    tcase_add_loop_test(tc, test_layer_mutant_caught_by_its_check_only, 0, NLMUTANTS);
    tcase_add_test(tc, test_nondet_tol_admits_rounding);
    suite_add_tcase(s, tc);
    tc = tcase_create("correct");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_correct_layers_pass_every_hygiene_check, 0, zoo_count());
    tcase_add_test(tc, test_hygiene_keeps_parameters);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_cli_catches_layer_mutant, 0, NLMUTANTS);
    tcase_add_test(tc, test_cli_hygiene_formats);
    tcase_add_test(tc, test_cli_hygiene_flags_rejected);
    suite_add_tcase(s, tc);
    return s;
}
