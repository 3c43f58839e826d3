/*
 * check_fixtures.c -- our backprop against PyTorch's, on the committed
 * reference networks of fixtures/ (see fixtures/README.md and
 * scripts/make-fixtures).
 *
 * Each fixture is loaded with the network file loader, run forward and
 * backward once, and its loss and every gradient element (every W, b, and
 * dL/dx) compared with torch's float64 autograd result.
 *
 * Tolerance: relative 1e-10, or absolute 1e-13 for elements near zero.  Both
 * sides compute in double, but in different operation orders and with
 * different exp/log/erf kernels, so each element differs by a few ulps per
 * operation, amplified through at most four layers and their Jacobians (a
 * condition number of order 10..100 here): at most ~1e-13 relative in
 * practice.  1e-10 leaves room for that and is still many orders of
 * magnitude below a real backprop bug (a wrong derivative is off by O(1); a
 * dropped 1/B by a factor of B).  The absolute floor covers elements that are
 * themselves a cancellation of O(1) terms, whose relative error is
 * meaningless: 1e-13 is a few hundred ulps of the O(1) gradient scale.
 */
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <gradcheck.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_TOL 1e-10
#define ABS_TOL 1e-13

/* Every fixture in fixtures/nets, sorted; test_fixture_list_is_complete
 * fails when the directory holds one not listed here. */
static const char *const FIXTURES[] = {
    "act_first_mse",         "classic",         "deep4_logits_b1",
    "deep4_softmax_ce_soft", "elu_default_softplus_mse", "gelu_softmax_ce_onehot",
    "leaky_elu_mse",         "relu_bce_logits", "softmax_bce",
    "tanh_bce_batch",
};
#define NFIXTURES ((int)(sizeof FIXTURES / sizeof FIXTURES[0]))

/* Agreement of ours with the reference, written so that NaN or Inf on
 * either side fails.  *rel gets the relative error (for the message). */
static int agree(double ours, double ref, double *rel)
{
    double diff = fabs(ours - ref);
    double scale = fmax(fabs(ours), fabs(ref));
    *rel = scale > 0.0 ? diff / scale : 0.0;
    if (!isfinite(ours) || !isfinite(ref))
        return 0;
    return diff <= ABS_TOL || diff <= REL_TOL * scale;
}

/* Collected disagreements: a count and the first few, one per line. */
typedef struct report {
    int nfail, nchecked;
    char text[2048];
} report;

static void compare(report *r, const char *elem, double ours, double ref)
{
    double rel;
    r->nchecked++;
    if (agree(ours, ref, &rel))
        return;
    r->nfail++;
    size_t len = strlen(r->text);
    if (r->nfail <= 8 && len + 200 < sizeof r->text)
        snprintf(r->text + len, sizeof r->text - len, "\n  %s: ours=%.17g torch=%.17g rel=%.3g",
                 elem, ours, ref, rel);
}

/* The reference value at grad[name][i][j] (a 1-D array when `vector`), or
 * NAN when missing: a missing element is then a disagreement. */
static double ref_at(const json_t *g, int vector, int i, int j)
{
    const json_t *v = vector ? json_array_get(g, (size_t)i)
                             : json_array_get(json_array_get(g, (size_t)i), (size_t)j);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Compare the network's (already computed) loss and gradients with the
 * reference document; failures go to r.  Returns a message when the two do
 * not even have the same tensors (then r is not meaningful), else NULL. */
static const char *compare_net(const gc_net *net, const json_t *ref, report *r,
                               char *why, size_t nwhy)
{
    char elem[64];
    memset(r, 0, sizeof *r);
    compare(r, "loss", net->loss_value, json_number_value(json_object_get(ref, "loss")));
    const json_t *grad = json_object_get(ref, "grad");
    if (!json_is_object(grad))
        return "reference has no \"grad\" object";
    /* Same set of tensors on both sides: ours plus x. */
    if (json_object_size(grad) != (size_t)net->ntensors + 1) {
        snprintf(why, nwhy, "reference has %zu gradients, the network %d tensors + x",
                 json_object_size(grad), net->ntensors);
        return why;
    }
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *ten = net->tensors[t];
        const json_t *g = json_object_get(grad, ten->name);
        if (g == NULL) {
            snprintf(why, nwhy, "reference has no gradient %s", ten->name);
            return why;
        }
        int vector = ten->cols == 1 && json_is_number(json_array_get(g, 0));
        if (json_array_size(g) != (size_t)ten->rows) {
            snprintf(why, nwhy, "%s: reference has %zu rows, ours %d", ten->name,
                     json_array_size(g), ten->rows);
            return why;
        }
        for (int i = 0; i < ten->rows; i++)
            for (int j = 0; j < ten->cols; j++) {
                if (vector)
                    snprintf(elem, sizeof elem, "%s[%d]", ten->name, i);
                else
                    snprintf(elem, sizeof elem, "%s[%d][%d]", ten->name, i, j);
                compare(r, elem, ten->grad[(size_t)i * (size_t)ten->cols + (size_t)j],
                        ref_at(g, vector, i, j));
            }
    }
    /* dL/dX is in x B; the reference's x is B x in (as in the file). */
    const json_t *gx = json_object_get(grad, "x");
    const gc_mat *dX = net->dact[0];
    if (json_array_size(gx) != (size_t)dX->cols) {
        snprintf(why, nwhy, "x: reference has %zu examples, ours %d", json_array_size(gx),
                 dX->cols);
        return why;
    }
    for (int e = 0; e < dX->cols; e++)
        for (int i = 0; i < dX->rows; i++) {
            snprintf(elem, sizeof elem, "x[%d][%d]", e, i);
            compare(r, elem, GC_AT(dX, i, e), ref_at(gx, 0, e, i));
        }
    return NULL;
}

/* Load fixture `name`: the network (forward + backward done) and its
 * reference document.  Fails the test on any problem. */
static void load_fixture(const char *name, gc_net **net, json_t **ref)
{
    char path[1024];
    gc_error err = {0};
    snprintf(path, sizeof path, "%s/nets/%s.json", tu_fixtures(), name);
    *net = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(*net != NULL, "%s: load failed: %s", name, err.msg);
    snprintf(path, sizeof path, "%s/ref/%s.json", tu_fixtures(), name);
    json_error_t je;
    *ref = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    ck_assert_msg(*ref != NULL, "%s: %s", path, je.text);
    gc_net_forward(*net);
    gc_net_backward(*net);
}

START_TEST(test_fixture_matches_torch)
{
    const char *name = FIXTURES[_i];
    gc_net *net;
    json_t *ref;
    load_fixture(name, &net, &ref);
    report r;
    char why[256];
    const char *bad = compare_net(net, ref, &r, why, sizeof why);
    ck_assert_msg(bad == NULL, "%s: %s", name, bad);
    ck_assert_msg(r.nfail == 0, "%s: %d of %d elements disagree with torch (rel %g, abs %g):%s",
                  name, r.nfail, r.nchecked, REL_TOL, ABS_TOL, r.text);
    /* A fixture with nothing to compare would pass vacuously. */
    ck_assert_msg(r.nchecked > 2 * net->ntensors, "%s: only %d elements compared", name,
                  r.nchecked);
    json_decref(ref);
    gc_net_free(net);
}
END_TEST

/* The engine on the same fixtures: every element of every parameter and of
 * the input passes the default central check, with the default tolerances,
 * under both engines.  The relu/leaky fixtures keep pre-activations at
 * |z| > 1e-3 (scripts/make-fixtures), far outside eps = 1e-6, so no element
 * may hide as a kink either. */
START_TEST(test_fixture_engine_passes_every_element)
{
    const char *name = FIXTURES[_i / 2];
    gc_net *net;
    json_t *ref;
    load_fixture(name, &net, &ref);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.inputs = 1;
    o.engine = _i % 2 ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
    gc_report *r = NULL;
    gc_error err = {0};
    ck_assert_msg(gc_check_net(net, &o, &r, &err) == GC_OK, "%s: %s", name, err.msg);
    size_t total = 0;
    for (int t = 0; t < net->ntensors; t++)
        total += (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
    total += (size_t)gc_net_in(net) * (size_t)net->batch;
    ck_assert_msg(r->nrows == total, "%s: %zu rows checked, want %zu", name, r->nrows, total);
    for (size_t i = 0; i < r->nrows; i++) {
        const gc_row *w = &r->rows[i];
        ck_assert_msg(w->verdict == GC_PASS,
                      "%s (%s engine): %s[%d][%d]: analytic=%.17g numeric=%.17g rel=%.3g verdict %s",
                      name, gc_engine_name(o.engine), r->tensors[w->tensor].name, w->row, w->col,
                      w->analytic, w->numeric, w->rel_err, gc_verdict_name(w->verdict));
    }
    ck_assert(r->restored);
    ck_assert(!gc_report_failed(r));
    gc_report_free(r);
    json_decref(ref);
    gc_net_free(net);
}
END_TEST

/* The comparison can fail: an analytic gradient off by one part in 1e8 (a
 * bug far smaller than any real one) is caught, and named. */
START_TEST(test_fixture_compare_catches_small_error)
{
    gc_net *net;
    json_t *ref;
    load_fixture("leaky_elu_mse", &net, &ref);
    gc_tensor *W2 = gc_net_find_tensor(net, "W2", NULL);
    ck_assert_ptr_nonnull(W2);
    W2->grad[1] *= 1.0 + 1e-8; /* element (0, 1) */
    report r;
    char why[256];
    ck_assert_ptr_null(compare_net(net, ref, &r, why, sizeof why));
    ck_assert_msg(r.nfail == 1, "expected exactly one disagreement, got %d:%s", r.nfail, r.text);
    ck_assert_msg(strstr(r.text, "W2[0][1]: ours=") != NULL, "element not named: %s", r.text);
    /* And a wrong loss, and a NaN anywhere, fail too. */
    net->loss_value *= 1.0 + 1e-9;
    net->dact[0]->data[0] = NAN;
    compare_net(net, ref, &r, why, sizeof why);
    ck_assert_msg(r.nfail == 3, "expected loss, W2 and x to disagree, got %d:%s", r.nfail, r.text);
    ck_assert_msg(strstr(r.text, "loss: ours=") != NULL, "%s", r.text);
    json_decref(ref);
    gc_net_free(net);
}
END_TEST

/* agree() at its boundaries: 1e-11 relative passes, 1e-9 fails; tiny
 * absolute differences near 0 pass; NaN and Inf never do. */
START_TEST(test_fixture_tolerance)
{
    double rel;
    ck_assert(agree(1.0, 1.0 + 1e-11, &rel));
    ck_assert(!agree(1.0, 1.0 + 1e-9, &rel));
    ck_assert(agree(1e-14, -1e-14, &rel)); /* diff 2e-14 <= 1e-13 */
    ck_assert(!agree(1e-12, 0.0, &rel));
    ck_assert(!agree(NAN, NAN, &rel));
    ck_assert(!agree(INFINITY, INFINITY, &rel));
    ck_assert(!agree(0.0, NAN, &rel));
}
END_TEST

static int listed(const char *file)
{
    for (int i = 0; i < NFIXTURES; i++) {
        size_t n = strlen(FIXTURES[i]);
        if (strncmp(file, FIXTURES[i], n) == 0 && strcmp(file + n, ".json") == 0)
            return 1;
    }
    return 0;
}

/* No fixture is silently skipped: every .json in nets/ is in FIXTURES, every
 * listed one exists (load_fixture checks the ref beside it). */
START_TEST(test_fixture_list_is_complete)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/nets", tu_fixtures());
    DIR *d = opendir(path);
    ck_assert_msg(d != NULL, "cannot open %s", path);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        n++;
        ck_assert_msg(listed(de->d_name), "%s/%s is not in FIXTURES of check_fixtures.c", path,
                      de->d_name);
    }
    closedir(d);
    ck_assert_msg(n == NFIXTURES, "%s holds %d networks, FIXTURES lists %d", path, n, NFIXTURES);
}
END_TEST

Suite *make_fixtures_suite(void)
{
    Suite *s = suite_create("fixtures");
    TCase *tc = tcase_create("torch");
    tcase_add_loop_test(tc, test_fixture_matches_torch, 0, NFIXTURES);
    tcase_add_loop_test(tc, test_fixture_engine_passes_every_element, 0, 2 * NFIXTURES);
    tcase_add_test(tc, test_fixture_compare_catches_small_error);
    tcase_add_test(tc, test_fixture_tolerance);
    tcase_add_test(tc, test_fixture_list_is_complete);
    suite_add_tcase(s, tc);
    return s;
}
