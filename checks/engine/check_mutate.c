/*
 * check_mutate.c -- mutation testing of a user's layer (gc_check_opts.mutate,
 * `gradcheck --mutate N`, gc_ck_assert_layer_mutation; contract in
 * <gradcheck/hygiene.h>).
 *
 * The central property is derived, not measured: a fault only changes
 * analytic values, and the finite differences of the faulty run are those
 * of the plain one, so on a smooth layer a fault is refuted exactly when
 * the plain pass rule (abs_err <= atol or rel_err <= rtol) rejects some
 * corrupted element against its unchanged numeric value.  The suite
 * recomputes that from the plain report's rows and compares, fault by
 * fault.  Then: counts add up, the element check's rows are the same with
 * and without mutation, a vacuous tensor's faults all survive and it is
 * named (library, Check helper, command), a failing check injects nothing,
 * and the command reports --mutate 50 on every built-in layer and example.
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../fixtures/mutants/mutants.h"
#include "cli_run.h"
#include "layer_zoo.h"
#include "testutil.h"

extern const gc_mutant gc_mutant_sigmoid_half_scale;

#define MUTATE_SEEDS 6
#define NFAULTS 50

static gc_report *check(gc_layer *l, int batch, int mutate, uint64_t seed)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.mutate = mutate;
    o.seed = seed;
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    ck_assert_msg(gc_check_layer(l, batch, &o, &r, &err) == GC_OK, "%s", err.msg);
    return r;
}

/* The plain rule's verdict on analytic a against numeric n. */
static int refutes(double a, double n, const gc_check_opts *o)
{
    double abs_err = fabs(a - n), scale = fmax(fabs(a), fabs(n));
    double rel = scale > 0 ? abs_err / scale : 0.0;
    return !(abs_err <= o->atol || rel <= o->rtol);
}

/* Whether the plain rule refutes fault f, from the rows of plain report r
 * (every element checked, in row-major order per tensor).  -1 when the
 * fault's values cannot be rebuilt from the rows (wrong_example of a
 * parameter: it comes from another backward call). */
static int predicted(const gc_report *r, const gc_fault *f)
{
    const gc_tensor_report *t = &r->tensors[f->tensor];
    if (f->kind == GC_FAULT_WRONG_EXAMPLE && strcmp(t->name, "x") != 0)
        return -1;
    size_t n = t->count;
    double *a = malloc(n * sizeof *a);
    for (size_t k = 0; k < n; k++)
        a[k] = r->rows[t->first + k].analytic;
    size_t e = (size_t)f->row * (size_t)t->cols + (size_t)f->col;
    switch (f->kind) {
    case GC_FAULT_SCALE: a[e] *= 1.0 + f->delta; break;
    case GC_FAULT_SIGN: a[e] = -a[e]; break;
    case GC_FAULT_ZERO: a[e] = 0.0; break;
    case GC_FAULT_SWAP: {
        size_t e2 = (size_t)f->row2 * (size_t)t->cols + (size_t)f->col2;
        double s = a[e];
        a[e] = a[e2];
        a[e2] = s;
        break;
    }
    default: /* x's columns rotated: column c holds column c + 1's values */
        for (size_t k = 0; k < n; k++) {
            size_t i = k / (size_t)t->cols, c = k % (size_t)t->cols;
            a[k] = r->rows[t->first + i * t->cols + (c + 1) % (size_t)t->cols].analytic;
        }
        break;
    }
    int any = 0;
    for (size_t k = 0; k < n && !any; k++)
        any = refutes(a[k], r->rows[t->first + k].numeric, &r->opts);
    free(a);
    return any;
}

/* Loop index = zoo layer. */
START_TEST(test_refuted_exactly_when_the_rule_rejects)
{
    for (int j = 0; j < MUTATE_SEEDS; j++) {
        gc_pcg32 rng;
        char name[32];
        gc_pcg32_seed(&rng, gc_ck_base_seed(), 2000u + (uint64_t)(_i * 100 + j));
        gc_layer *l = zoo_layer(_i, &rng, name, sizeof name);
        int batch = 1 + j % 3;
        gc_report *plain = check(l, batch, 0, (uint64_t)j + 1);
        gc_report *r = check(l, batch, NFAULTS, (uint64_t)j + 1);
        const gc_mutation_report *m = r->mutation;
        ck_assert_ptr_nonnull(m);
        ck_assert_msg(!m->baseline_failed, "%s: the plain check fails", name);
        ck_assert_int_eq(m->nfaults, NFAULTS);
        int sum = 0, killed = 0, compared = 0;
        for (int t = 0; t < m->ntensors; t++) {
            sum += m->tensors[t].nfaults;
            killed += m->tensors[t].nkilled;
            ck_assert_int_le(m->tensors[t].nkilled, m->tensors[t].nfaults);
        }
        ck_assert_int_eq(sum, NFAULTS);
        ck_assert_int_eq(killed, m->nkilled);
        /* the element check itself is untouched by the mutation run */
        ck_assert_uint_eq(plain->nrows, r->nrows);
        for (size_t k = 0; k < r->nrows; k++)
            ck_assert(plain->rows[k].analytic == r->rows[k].analytic &&
                      plain->rows[k].verdict == r->rows[k].verdict);
        for (int k = 0; k < m->nfaults; k++) {
            const gc_fault *f = &m->faults[k];
            int want = f->noop ? 0 : predicted(plain, f);
            if (want < 0)
                continue;
            compared++;
            ck_assert_msg(f->killed == want,
                          "%s (batch %d, seed %d, GC_SEED=%llu): fault %d (%s in %s at (%d,%d), "
                          "delta %g) %s, the pass rule says %s",
                          name, batch, j + 1, (unsigned long long)gc_ck_base_seed(), k,
                          gc_fault_kind_name(f->kind), r->tensors[f->tensor].name, f->row,
                          f->col, f->delta, f->killed ? "refuted" : "survived",
                          want ? "refute" : "pass");
        }
        ck_assert_msg(compared >= NFAULTS / 2, "%s: only %d faults compared", name, compared);
        gc_report_free(plain);
        gc_report_free(r);
        gc_layer_free(l);
    }
}
END_TEST

/* In a network each fault goes into the backward of the layer holding its
 * tensor, which is the only one to write that tensor's gradient: the same
 * derivation holds, fault by fault (reference engine, so that the plain
 * report's numeric values are the faulty runs' to the bit).  Afterwards
 * the gradients are backprop's again. */
START_TEST(test_network_refuted_exactly_when_the_rule_rejects)
{
    static const struct { const char *arch, *act, *loss; int batch; } nets[] = {
        {"3-4-2", "tanh,identity", "mse", 3},
        {"2-3-1", "sigmoid,sigmoid", "bce", 2},
        {"4-3-3", "gelu,identity", "softmax_ce", 1},
    };
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        gc_pcg32 rng;
        gc_error err = {0, {0}};
        gc_pcg32_seed(&rng, gc_ck_base_seed(), 3000u + k);
        gc_net *net = gc_net_from_arch(nets[k].arch, nets[k].act, nets[k].loss, nets[k].batch,
                                       GC_INIT_XAVIER, &rng, &err);
        ck_assert_msg(net != NULL, "%s: %s", nets[k].arch, err.msg);
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.inputs = 1;
        o.engine = GC_ENGINE_REFERENCE;
        gc_report *plain = NULL, *r = NULL;
        ck_assert_int_eq(gc_check_net(net, &o, &plain, &err), GC_OK);
        o.mutate = NFAULTS;
        ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_OK);
        ck_assert_int_eq(r->mutation->nfaults, NFAULTS);
        for (int f = 0; f < r->mutation->nfaults; f++) {
            const gc_fault *ft = &r->mutation->faults[f];
            int want = ft->noop ? 0 : predicted(plain, ft);
            ck_assert_msg(want < 0 || ft->killed == want,
                          "--arch %s (GC_SEED=%llu): fault %d (%s in %s at (%d,%d), delta %g) "
                          "%s, the pass rule says %s", nets[k].arch,
                          (unsigned long long)gc_ck_base_seed(), f, gc_fault_kind_name(ft->kind),
                          r->tensors[ft->tensor].name, ft->row, ft->col, ft->delta,
                          ft->killed ? "refuted" : "survived", want ? "refute" : "pass");
        }
        for (size_t i = 0; i < plain->nrows; i++)
            ck_assert(plain->rows[i].analytic == r->rows[i].analytic);
        for (int t = 0; t < plain->ntensors - 1; t++) {
            const gc_tensor_report *tr = &plain->tensors[t];
            for (size_t i = 0; i < tr->count; i++)
                ck_assert(net->tensors[t]->grad[i] == plain->rows[tr->first + i].analytic);
        }
        gc_report_free(plain);
        gc_report_free(r);
        gc_net_free(net);
    }
}
END_TEST

/* The same seed draws the same faults; another seed others. */
START_TEST(test_faults_reproducible)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 9u, 9u);
    gc_layer *l = gc_dense_new(3, 4);
    gc_ck_fill_normal(l, &rng);
    gc_report *a = check(l, 2, 20, 7), *b = check(l, 2, 20, 7), *c = check(l, 2, 20, 8);
    ck_assert(memcmp(a->mutation->faults, b->mutation->faults, 20 * sizeof(gc_fault)) == 0);
    ck_assert(memcmp(a->mutation->faults, c->mutation->faults, 20 * sizeof(gc_fault)) != 0);
    gc_report_free(a);
    gc_report_free(b);
    gc_report_free(c);
    gc_layer_free(l);
}
END_TEST

/* A dense layer with weights ~1e-10: dX = Wᵀ R is below atol (x is
 * vacuous) while dW = R Xᵀ and db = Σ R are of order 1.  Every fault in x
 * survives, and the helper names x; faults in W and b are refuted. */
START_TEST(test_vacuous_tensor_named)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 4u, 4u);
    gc_layer *l = gc_dense_new(3, 2);
    gc_ck_fill_normal(l, &rng);
    for (int i = 0; i < 6; i++)
        l->param[0].value[i] *= 1e-10;
    gc_report *r = check(l, 2, NFAULTS, 1);
    const gc_mutation_report *m = r->mutation;
    ck_assert_str_eq(r->tensors[2].name, "x");
    ck_assert_msg(m->tensors[2].nfaults > 0 && m->tensors[2].nkilled == 0,
                  "x: %d of %d refuted", m->tensors[2].nkilled, m->tensors[2].nfaults);
    ck_assert_int_eq(m->tensors[0].nkilled, m->tensors[0].nfaults);
    ck_assert_int_eq(m->tensors[1].nkilled, m->tensors[1].nfaults);
    gc_report_free(r);
    char msg[1024];
    ck_assert(!gc_ck_layer_mutation(l, 2, NULL, NFAULTS, 0.9, msg, sizeof msg));
    ck_assert_msg(strstr(msg, ": x refutes 0 of") != NULL, "%s", msg);
    for (int i = 0; i < 6; i++)
        l->param[0].value[i] *= 1e10;
    gc_ck_assert_layer_mutation(l, 2, NULL, NFAULTS, 0.9);
    gc_layer_free(l);
}
END_TEST

/* A check that fails without faults injects none (each would "count"):
 * a sigmoid whose backward is twice the true gradient is refuted as it is. */
START_TEST(test_failing_check_injects_nothing)
{
    gc_layer *l = gc_layer_new(gc_mutant_sigmoid_half_scale.ops, 3, 3);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.mutate = 10;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_layer(l, 2, &o, &r, NULL), GC_OK);
    ck_assert(r->nfail > 0);
    ck_assert(r->mutation->baseline_failed && r->mutation->nfaults == 0);
    gc_report_free(r);
    o.mutate = -1;
    ck_assert_int_eq(gc_check_layer(l, 2, &o, &r, NULL), GC_EINVAL);
    gc_layer_free(l);
}
END_TEST

/* ---- the command -------------------------------------------------------------- */

/* --mutate 50 on every built-in layer and example plugin at default
 * settings: a per-tensor table whose faults add up to 50, in JSON too. */
START_TEST(test_cli_mutate_every_layer)
{
    static const char *const layers[] = {
        "dense", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu",
        "softmax", "examples/libswish.so:swish_plugin", "examples/libscale.so:scale_plugin",
        "examples/libdropout.so:dropout_plugin",
    };
    char dir[256], path[300], spec[600];
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    for (size_t k = 0; k < sizeof layers / sizeof layers[0]; k++) {
        const char *name = layers[k];
        char lib[512];
        if (strchr(name, ':') != NULL) {
            snprintf(spec, sizeof spec, "%s", beside_bin(lib, sizeof lib, name));
            name = spec;
        }
        const char *out = strcmp(layers[k], "dense") == 0 ? "2" : "3";
        const char *text[] = {"--layer", name, "--in", "3", "--out", out, "--mutate", "50", NULL};
        result r;
        run_ok(dir, text, 0, &r);
        ck_assert_msg(strstr(r.out, "mutation: 50 synthetic faults injected") != NULL &&
                          strstr(r.out, "smallest scale fault refuted") != NULL,
                      "%s:\n%s", layers[k], r.out);
        result_free(&r);
        const char *json[] = {"--layer", name, "--in", "3", "--out", out, "--mutate", "50",
                              "--format", "json", "-o", path, NULL};
        run_ok(dir, json, 0, &r);
        result_free(&r);
        json_eq(dir, path, "(d['mutation']['faults'], sum(t['faults'] for t in "
                "d['mutation']['tensors']), len(d['mutation']['fault_list']))", "(50, 50, 50)");
    }
    tmpdir_remove(dir);
}
END_TEST

/* Networks too: --arch and --net take --mutate (the hygiene flags stay
 * --layer's). */
START_TEST(test_cli_mutate_network)
{
    char dir[256], net[512];
    tmpdir_make(dir, sizeof dir);
    snprintf(net, sizeof net, "%s/nets/classic.json", tu_fixtures());
    const char *arch[] = {"--arch", "2-3-1", "--batch", "2", "--inputs", "--mutate", "20", NULL};
    const char *file[] = {"--net", net, "--mutate", "20", NULL};
    result r;
    run_ok(dir, arch, 0, &r);
    ck_assert_msg(strstr(r.out, "mutation: 20 synthetic faults injected") != NULL &&
                      has_table_row(r.out, "W1", "3x2"), "%s", r.out);
    result_free(&r);
    run_ok(dir, file, 0, &r);
    ck_assert_msg(strstr(r.out, "mutation: 20 synthetic faults injected") != NULL, "%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

/* The vacuous plugin: the command names s and x, in text, JSON and JUnit. */
START_TEST(test_cli_names_vacuous_tensors)
{
    char dir[256], path[300], spec[600], lib[512];
    tmpdir_make(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.json", dir);
    snprintf(spec, sizeof spec, "%s",
             beside_bin(lib, sizeof lib, "checks/plugins/libvacuous.so:vacuous_plugin"));
    const char *text[] = {"--layer", spec, "--in", "3", "--mutate", "50", NULL};
    result r;
    /* exit 3: the vacuous tensors proved nothing (--allow-vacuous would give 0) */
    run_ok(dir, text, 3, &r);
    ck_assert_msg(strstr(r.out, "faults survive in: s, x (") != NULL, "%s", r.out);
    result_free(&r);
    const char *json[] = {"--layer", spec, "--in", "3", "--mutate", "50", "--format", "json",
                          "-o", path, NULL};
    run_ok(dir, json, 3, &r);
    result_free(&r);
    json_eq(dir, path, "(d['mutation']['survive_in'], [(t['name'], t['refuted'] == t['faults']) "
            "for t in d['mutation']['tensors']])",
            "(['s', 'x'], [('s', False), ('c', True), ('x', False)])");
    const char *junit[] = {"--layer", spec, "--in", "3", "--mutate", "50", "--format", "junit",
                           NULL};
    run_ok(dir, junit, 3, &r);
    ck_assert_msg(strstr(r.out, "classname=\"gradcheck.mutation\" name=\"x\">\n      "
                                "<system-out>refuted 0 of") != NULL, "%s", r.out);
    result_free(&r);
    tmpdir_remove(dir);
}
END_TEST

Suite *make_mutate_suite(void)
{
    Suite *s = suite_create("mutate");
    TCase *tc = tcase_create("library");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_refuted_exactly_when_the_rule_rejects, 0, zoo_count());
    tcase_add_test(tc, test_network_refuted_exactly_when_the_rule_rejects);
    tcase_add_test(tc, test_faults_reproducible);
    tcase_add_test(tc, test_vacuous_tensor_named);
    tcase_add_test(tc, test_failing_check_injects_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cli_mutate_every_layer);
    tcase_add_test(tc, test_cli_names_vacuous_tensors);
    tcase_add_test(tc, test_cli_mutate_network);
    suite_add_tcase(s, tc);
    return s;
}
