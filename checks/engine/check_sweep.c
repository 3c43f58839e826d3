/*
 * check_sweep.c -- the step-size sweep (gradcheck/sweep.h): one element's
 * finite differences agree with the engine's, the sweep shows the V on
 * smooth networks (the error at both ends of the range above its bottom,
 * the bottom far below rtol), central beats forward and Richardson beats
 * central, the theory's best steps sit where the measured ones are, a
 * wrong gradient is never confirmed, nothing is left perturbed, and the
 * writers carry the numbers.
 */
#include <check.h>
#include <gradcheck.h>
#include <jansson.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fixtures/mutants/mutants.h"
#include "testutil.h"

extern const gc_mutant gc_mutant_sigmoid_preact;

static gc_net *arch_net(const char *arch, const char *act, const char *loss, uint64_t seed)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_arch_seed_rng(&rng, seed);
    gc_net *net = gc_net_from_arch(arch, act, loss, 1, GC_INIT_UNIFORM, &rng, &err);
    ck_assert_msg(net != NULL, "gc_net_from_arch(%s): %s", arch, err.msg);
    return net;
}

static gc_element elem(const char *t, int r, int c)
{
    gc_element e;
    snprintf(e.tensor, sizeof e.tensor, "%s", t);
    e.row = r;
    e.col = c;
    return e;
}

/* Every parameter value, in order, to compare bits before and after. */
static double *snapshot(const gc_net *net, size_t *n)
{
    size_t total = 0;
    for (int t = 0; t < net->ntensors; t++)
        total += (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
    double *s = malloc((total + 1) * sizeof *s);
    ck_assert_ptr_nonnull(s);
    size_t k = 0;
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows * net->tensors[t]->cols; i++)
            s[k++] = net->tensors[t]->value[i];
    *n = total;
    return s;
}

static void assert_same_bits(const gc_net *net, const double *s)
{
    size_t k = 0;
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows * net->tensors[t]->cols; i++, k++)
            ck_assert_msg(memcmp(&s[k], &net->tensors[t]->value[i], sizeof(double)) == 0,
                          "%s[%d] changed: %.17g -> %.17g", net->tensors[t]->name, i, s[k],
                          net->tensors[t]->value[i]);
}

/* ---- gc_element_step ---------------------------------------------------------- */

/* The worked element's quotient is the reference engine's numeric, to the
 * bit: same losses, same rounded steps, same division. */
START_TEST(test_fd_element_is_the_engines_central)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.engine = GC_ENGINE_REFERENCE;
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    for (size_t k = 0; k < r->nrows; k++) {
        const gc_row *w = &r->rows[k];
        gc_element e = elem(r->tensors[w->tensor].name, w->row, w->col);
        gc_element_fd st;
        ck_assert_int_eq(gc_element_step(net, &e, r->opts.eps, &st, NULL), GC_OK);
        ck_assert_msg(st.central == w->numeric, "%s[%d,%d]: fd %.17g, engine %.17g",
                      e.tensor, e.row, e.col, st.central, w->numeric);
        ck_assert_msg(st.analytic == w->analytic, "%s[%d,%d]: analytic differs", e.tensor,
                      e.row, e.col);
        ck_assert(st.dloss == st.loss_plus - st.loss_minus);
        ck_assert(st.step == st.theta_plus - st.theta_minus);
        ck_assert(st.central == st.dloss / st.step);
        ck_assert(st.loss == r->loss);
    }
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

START_TEST(test_fd_element_restores)
{
    gc_net *net = arch_net("3-4-2", "tanh,sigmoid", "bce", 5);
    gc_net_forward(net);
    gc_net_backward(net);
    size_t n;
    double *s = snapshot(net, &n);
    gc_mat *a2 = gc_mat_dup(net->act[net->nlayers]);
    double L = net->loss_value;
    gc_element e = elem("W1", 2, 1);
    gc_element_fd st;
    ck_assert_int_eq(gc_element_step(net, &e, 1e-3, &st, NULL), GC_OK);
    assert_same_bits(net, s);
    ck_assert(net->loss_value == L);
    ck_assert(memcmp(a2->data, net->act[net->nlayers]->data,
                     gc_mat_size(a2) * sizeof(double)) == 0);
    gc_mat_free(a2);
    free(s);
    gc_net_free(net);
}
END_TEST

START_TEST(test_fd_element_rejects)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_element_fd st;
    gc_error err = {0};
    gc_element bad[] = {elem("W9", 0, 0), elem("W1", 2, 0), elem("W1", 0, -1), elem("x", 0, 1)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(gc_element_step(net, &bad[i], 1e-6, &st, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "outside x") != NULL, "%s", err.msg);
    gc_element ok = elem("W1", 0, 0);
    ck_assert_int_eq(gc_element_step(net, &ok, 0.0, &st, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_element_step(net, &ok, NAN, &st, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_element_step(NULL, &ok, 1e-6, &st, NULL), GC_EINVAL);
    gc_net_free(net);
}
END_TEST

/* Each point of a curve is the error of gc_element_step's three quotients at
 * that step, relative or absolute as asked. */
START_TEST(test_sweep_points_are_fd_errors)
{
    gc_net *net = arch_net("3-4-2", "tanh,sigmoid", "bce", 3);
    gc_element e = elem("W2", 1, 3);
    gc_sweep_opts o;
    gc_sweep_opts_init(&o);
    o.eps_max = 1e-3;
    o.eps_min = 1e-6;
    o.points = 4;
    o.relative = _i;
    gc_sweep *s = NULL;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, &o, &s, NULL), GC_OK);
    for (int i = 0; i < 4; i++) {
        const gc_sweep_point *p = &s->curves[0].points[i];
        ck_assert(tu_rel_err(p->eps, pow(10.0, -3 - i)) < 1e-15);
        gc_element_fd st;
        ck_assert_int_eq(gc_element_step(net, &e, p->eps, &st, NULL), GC_OK);
        double a = st.analytic;
        double want[3] = {fabs(a - st.forward), fabs(a - st.central), fabs(a - st.richardson)};
        if (_i)
            for (int m = 0; m < 3; m++)
                want[m] = tu_rel_err(a, m == 0 ? st.forward : m == 1 ? st.central
                                                                    : st.richardson);
        double got[3] = {p->forward, p->central, p->richardson};
        for (int m = 0; m < 3; m++)
            ck_assert_msg(tu_rel_err(got[m], want[m]) < 1e-15, "eps %g method %d: %.17g, want "
                          "%.17g", p->eps, m, got[m], want[m]);
    }
    gc_sweep_free(s);
    gc_net_free(net);
}
END_TEST

/* ---- the V ------------------------------------------------------------------- */

static gc_sweep *sweep_all(gc_net *net)
{
    gc_element e[64];
    int n = 0;
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows && n < 64; i++)
            for (int j = 0; j < net->tensors[t]->cols && n < 64; j++)
                e[n++] = elem(net->tensors[t]->name, i, j);
    gc_sweep *s = NULL;
    gc_error err = {0};
    ck_assert_msg(gc_sweep_net(net, e, n, NULL, &s, &err) == GC_OK, "%s", err.msg);
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/*
 * On a smooth network every element's central error has the V: at ε = 1e-1
 * truncation (ε²|L‴|/6 ~ 1e-4 relative) and at 1e-12 roundoff (u|L|/ε ~
 * 1e-4 relative) are both far above the bottom, which is below 1e-7 (the
 * classic "good" band; the two terms balance near 1e-5 at ~1e-10).
 */
START_TEST(test_sweep_shows_the_v)
{
    const char *archs[][3] = {{"2-2-1", "sigmoid", "bce"}, {"3-4-2", "tanh,sigmoid", "bce"},
                              {"2-3-2", "softplus,tanh", "mse"}};
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        gc_net *net = arch_net(archs[a][0], archs[a][1], archs[a][2], 1 + (uint64_t)_i);
        gc_sweep *s = sweep_all(net);
        int last = s->opts.points - 1;
        ck_assert(s->curves[0].points[0].eps == 1e-1 && s->curves[0].points[last].eps == 1e-12);
        for (int k = 0; k < s->ncurves; k++) {
            const gc_sweep_curve *c = &s->curves[k];
            ck_assert_int_ge(c->best_central, 0);
            double best = c->points[c->best_central].central;
            ck_assert_msg(best < 1e-7 && c->points[0].central > best &&
                              c->points[last].central > best && c->confirmed,
                          "%s seed %d %s[%d,%d]: central at 1e-1 %.2e, best %.2e at %.1e, at "
                          "1e-12 %.2e", archs[a][0], 1 + _i, c->elem.tensor, c->elem.row,
                          c->elem.col, c->points[0].central, best, c->points[c->best_central].eps,
                          c->points[last].central);
        }
        gc_sweep_free(s);
        gc_net_free(net);
    }
}
END_TEST

/*
 * The notes' claims and the theory, over every element of four classic
 * networks (the best step of one element is the argmin of a noisy curve, so
 * the claims are about medians): central's best error is at least 10 times
 * below forward's (truncation ε|L″|/2 against ε²|L‴|/6 balance roundoff at
 * errors ~sqrt(u) and ~u^(2/3) times the loss's scale), Richardson's below
 * central's; the best steps sit within a factor 3 of the theory's
 * 2 sqrt(r/|L″|) and (3r/|L‴|)^(1/3), the optimum of the same error model
 * (an element whose theory gives no step, NaN, is left out).  The measured
 * medians are in docs/measurements.md.
 */
START_TEST(test_sweep_theory_and_claims)
{
    double fc[64], rc[64], tf[64], tc[64];
    int n = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        gc_net *net = arch_net("2-2-1", "sigmoid", "bce", seed);
        gc_sweep *s = sweep_all(net);
        for (int k = 0; k < s->ncurves && n < 64; k++, n++) {
            const gc_sweep_curve *c = &s->curves[k];
            double bf = c->points[c->best_forward].forward;
            double bc = c->points[c->best_central].central;
            double br = c->points[c->best_richardson].richardson;
            fc[n] = bf / bc;
            rc[n] = bc / br;
            tf[n] = c->points[c->best_forward].eps / c->theory.forward_eps;
            tc[n] = c->points[c->best_central].eps / c->theory.central_eps;
            if (!isfinite(fc[n] + rc[n] + tf[n] + tc[n]))
                n--; /* the loop's n++ keeps only complete rows */
        }
        gc_sweep_free(s);
        gc_net_free(net);
    }
    ck_assert_int_ge(n, 30);
    double mfc = median(fc, n), mrc = median(rc, n), mtf = median(tf, n), mtc = median(tc, n);
    ck_assert_msg(mfc >= 10.0, "median forward/central best error %.3g", mfc);
    ck_assert_msg(mrc > 1.0, "median central/richardson best error %.3g", mrc);
    ck_assert_msg(mtf >= 1.0 / 3.0 && mtf <= 3.0, "median measured/theory forward step %.3g",
                  mtf);
    ck_assert_msg(mtc >= 1.0 / 3.0 && mtc <= 3.0, "median measured/theory central step %.3g",
                  mtc);
}
END_TEST

/* A loss quadratic in θ (the last weights of a linear output under mse)
 * has no L‴: central differences are exact at every step, roundoff aside,
 * so the largest step is best and the theory gives no best step. */
START_TEST(test_sweep_quadratic_has_no_v)
{
    gc_net *net = arch_net("2-3-2", "softplus,identity", "mse", 1);
    gc_element e = elem("W2", 1, 2);
    gc_sweep *s = NULL;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, NULL, &s, NULL), GC_OK);
    const gc_sweep_curve *c = &s->curves[0];
    ck_assert_msg(c->points[0].central < 1e-13, "central at 1e-1: %.3e", c->points[0].central);
    ck_assert_msg(isnan(c->theory.central_eps) && c->theory.d3 <= 2.0 * c->theory.d3_floor,
                  "|L'''| %.3e (floor %.3e), best step %.3e", c->theory.d3, c->theory.d3_floor,
                  c->theory.central_eps);
    ck_assert(isfinite(c->theory.forward_eps));
    gc_sweep_free(s);
    gc_net_free(net);
}
END_TEST

/* The rules of thumb are u's powers, u = 2^-53. */
START_TEST(test_sweep_rules_of_thumb)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_element e = elem("b2", 0, 0);
    gc_sweep *s = NULL;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, NULL, &s, NULL), GC_OK);
    ck_assert(s->unit_roundoff == ldexp(1.0, -53));
    ck_assert(tu_rel_err(s->rule_forward, 1.0536712127723509e-08) < 1e-15);
    ck_assert(tu_rel_err(s->rule_central, 4.806217383937355e-06) < 1e-15);
    gc_sweep_free(s);
    gc_net_free(net);
}
END_TEST

/* A wrong backward (σ′ from the pre-activation) is confirmed at no step:
 * its error is O(1), which no ε removes.  The same network with the
 * correct sigmoid is confirmed, so the test can tell them apart. */
START_TEST(test_sweep_wrong_gradient_never_confirmed)
{
    for (int mutant = 0; mutant < 2; mutant++) {
        gc_pcg32 rng;
        gc_pcg32_seed(&rng, 3, 54);
        gc_net *net = gc_net_new(&gc_loss_mse);
        ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 3), NULL), GC_OK);
        gc_layer *act = mutant ? gc_layer_new(gc_mutant_sigmoid_preact.ops, 3, 3)
                               : gc_activation_new(GC_ACT_SIGMOID, 3, 0.0);
        ck_assert_int_eq(gc_net_add(net, act, NULL), GC_OK);
        ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 1), NULL), GC_OK);
        ck_assert_int_eq(gc_net_init_params(net, GC_INIT_UNIFORM, &rng), GC_OK);
        gc_mat *X = gc_mat_new(2, 1), *T = gc_mat_new(1, 1);
        X->data[0] = 1.5;
        X->data[1] = -0.7;
        T->data[0] = 0.3;
        ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
        gc_element e[] = {elem("W1", 0, 0), elem("b1", 1, 0)};
        gc_sweep *s = NULL;
        ck_assert_int_eq(gc_sweep_net(net, e, 2, NULL, &s, NULL), GC_OK);
        for (int k = 0; k < 2; k++)
            ck_assert_msg(s->curves[k].confirmed == !mutant, "%s %s: confirmed %d",
                          mutant ? "mutant" : "correct", e[k].tensor, s->curves[k].confirmed);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_int_eq(gc_sweep_write_junit(s, f), GC_OK);
        fclose(f);
        ck_assert_msg((strstr(buf, "<failure") != NULL) == mutant, "%s", buf);
        free(buf);
        gc_sweep_free(s);
        gc_mat_free(X);
        gc_mat_free(T);
        gc_net_free(net);
    }
}
END_TEST

START_TEST(test_sweep_restores_and_keeps_gradients)
{
    gc_net *net = arch_net("3-4-2", "tanh,sigmoid", "bce", 2);
    gc_net_forward(net);
    gc_net_backward(net);
    size_t n;
    double *s = snapshot(net, &n);
    double g = net->tensors[0]->grad[3];
    gc_sweep *sw = sweep_all(net);
    assert_same_bits(net, s);
    ck_assert(net->tensors[0]->grad[3] == g);
    ck_assert(sw->curves[3].analytic == g);
    gc_sweep_free(sw);
    free(s);
    gc_net_free(net);
}
END_TEST

START_TEST(test_sweep_rejects_options)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_element e = elem("W1", 0, 0);
    gc_sweep_opts o;
    gc_sweep *s = (gc_sweep *)&o; /* must be set to NULL on error */
    gc_sweep_opts_init(&o);
    o.points = 1;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, &o, &s, NULL), GC_EINVAL);
    ck_assert_ptr_null(s);
    gc_sweep_opts_init(&o);
    o.eps_min = o.eps_max;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, &o, &s, NULL), GC_EINVAL);
    gc_sweep_opts_init(&o);
    o.eps_max = NAN;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, &o, &s, NULL), GC_EINVAL);
    ck_assert_int_eq(gc_sweep_net(net, &e, 0, NULL, &s, NULL), GC_EINVAL);
    gc_element bad = elem("b1", 2, 0);
    ck_assert_int_eq(gc_sweep_net(net, &bad, 1, NULL, &s, NULL), GC_EINVAL);
    gc_net_free(net);
}
END_TEST

/* ---- choosing and naming elements ---------------------------------------- */

START_TEST(test_sweep_pick)
{
    gc_net *net = arch_net("3-4-2", "tanh,sigmoid", "bce", 1);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, NULL, &r, NULL), GC_OK);
    gc_element e[16];
    int n = gc_sweep_pick(r, 3, e, 16);
    /* the three worst, then each tensor's worst unless already there */
    for (int k = 0; k < 3; k++) {
        const gc_row *w = &r->rows[gc_report_order(r)[k]];
        ck_assert_str_eq(e[k].tensor, r->tensors[w->tensor].name);
        ck_assert(e[k].row == w->row && e[k].col == w->col);
    }
    for (int t = 0; t < r->ntensors; t++) {
        int found = 0;
        for (int k = 0; k < n; k++)
            found += strcmp(e[k].tensor, r->tensors[t].name) == 0;
        ck_assert_msg(found >= 1, "no element of %s", r->tensors[t].name);
    }
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            ck_assert(strcmp(e[a].tensor, e[b].tensor) != 0 || e[a].row != e[b].row ||
                      e[a].col != e[b].col);
    ck_assert_int_le(n, 3 + r->ntensors);
    ck_assert_int_eq(gc_sweep_pick(r, 3, e, 2), 2);
    ck_assert_int_eq(gc_sweep_pick(NULL, 3, e, 16), 0);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

static const struct {
    const char *s;
    int ok;
    const char *tensor;
    int row, col;
} parse_cases[] = {
    {"W1[0,1]", 1, "W1", 0, 1},    {"W1(0,1)", 1, "W1", 0, 1},  {"x[2, 0]", 1, "x", 2, 0},
    {"b12[10,0]", 1, "b12", 10, 0}, {"W1[0,1", 0, NULL, 0, 0},  {"W1[0;1]", 0, NULL, 0, 0},
    {"W1[-1,0]", 0, NULL, 0, 0},   {"[0,0]", 0, NULL, 0, 0},    {"W1", 0, NULL, 0, 0},
    {"W1[0,1]x", 0, NULL, 0, 0},   {"W1[0,1)", 0, NULL, 0, 0},  {"W1[,1]", 0, NULL, 0, 0},
    {"abcdefghijklmnop[0,0]", 0, NULL, 0, 0},
};
#define NPARSE ((int)(sizeof parse_cases / sizeof parse_cases[0]))

START_TEST(test_element_parse)
{
    gc_element e;
    int rc = gc_element_parse(parse_cases[_i].s, &e);
    ck_assert_msg((rc == GC_OK) == parse_cases[_i].ok, "'%s': rc %d", parse_cases[_i].s, rc);
    if (parse_cases[_i].ok) {
        ck_assert_str_eq(e.tensor, parse_cases[_i].tensor);
        ck_assert_int_eq(e.row, parse_cases[_i].row);
        ck_assert_int_eq(e.col, parse_cases[_i].col);
    }
}
END_TEST

/* ---- writers --------------------------------------------------------------- */

static double jnum(json_t *v)
{
    ck_assert_msg(json_is_number(v), "not a number");
    return json_number_value(v);
}

/* The JSON reads back every point bit-identically, in the documented shape. */
START_TEST(test_sweep_json_round_trips)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_element e[] = {elem("W1", 0, 1), elem("x", 1, 0)};
    gc_sweep *s = NULL;
    ck_assert_int_eq(gc_sweep_net(net, e, 2, NULL, &s, NULL), GC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(gc_sweep_write_json(s, f), GC_OK);
    fclose(f);
    json_error_t jerr;
    json_t *root = json_loads(buf, 0, &jerr);
    ck_assert_msg(root != NULL, "JSON: %s", jerr.text);
    json_t *elems = json_object_get(root, "elements");
    ck_assert_int_eq((int)json_array_size(elems), 2);
    for (int k = 0; k < 2; k++) {
        json_t *je = json_array_get(elems, (size_t)k);
        ck_assert_str_eq(json_string_value(json_object_get(je, "tensor")), e[k].tensor);
        json_t *pts = json_object_get(je, "points");
        ck_assert_int_eq((int)json_array_size(pts), s->opts.points);
        for (int i = 0; i < s->opts.points; i++) {
            json_t *p = json_array_get(pts, (size_t)i);
            ck_assert_int_eq((int)json_object_size(p), 4);
            const gc_sweep_point *q = &s->curves[k].points[i];
            ck_assert(jnum(json_object_get(p, "eps")) == q->eps);
            ck_assert(jnum(json_object_get(p, "forward")) == q->forward);
            ck_assert(jnum(json_object_get(p, "central")) == q->central);
            ck_assert(jnum(json_object_get(p, "richardson")) == q->richardson);
        }
        json_t *best = json_object_get(je, "best");
        ck_assert(jnum(json_object_get(best, "central")) ==
                  s->curves[k].points[s->curves[k].best_central].eps);
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(root, "sweep"), "error")),
                     "rel");
    json_decref(root);
    free(buf);
    gc_sweep_free(s);
    gc_net_free(net);
}
END_TEST

/* Text: one row per step and one '*' per method in each table. */
START_TEST(test_sweep_text_marks_best)
{
    gc_net *net = arch_net("2-2-1", "sigmoid", "bce", 1);
    gc_element e = elem("W2", 0, 1);
    gc_sweep_opts o;
    gc_sweep_opts_init(&o);
    o.points = 12;
    o.relative = 0;
    gc_sweep *s = NULL;
    ck_assert_int_eq(gc_sweep_net(net, &e, 1, &o, &s, NULL), GC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(gc_sweep_write_text(s, f), GC_OK);
    fclose(f);
    int stars = 0;
    for (const char *p = buf; *p; p++)
        stars += *p == '*';
    ck_assert_msg(stars == 3 + 1, "%d '*' in:\n%s", stars, buf); /* + the legend's */
    ck_assert(strstr(buf, "W2[0,1]") != NULL && strstr(buf, "absolute") != NULL);
    free(buf);
    gc_sweep_free(s);
    gc_net_free(net);
}
END_TEST

START_TEST(test_mat_norm)
{
    gc_mat *m = gc_mat_new(1, 3);
    m->data[0] = 3e200;
    m->data[1] = -4e200;
    ck_assert(tu_rel_err(gc_mat_norm(m), 5e200) < 1e-15);
    m->data[2] = NAN;
    ck_assert(isnan(gc_mat_norm(m)));
    m->data[2] = INFINITY;
    ck_assert(isinf(gc_mat_norm(m)));
    gc_mat_fill(m, 0.0);
    ck_assert(gc_mat_norm(m) == 0.0);
    ck_assert(gc_mat_norm(NULL) == 0.0);
    gc_mat_free(m);
}
END_TEST

Suite *make_sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fd_element_is_the_engines_central);
    tcase_add_test(tc, test_fd_element_restores);
    tcase_add_test(tc, test_fd_element_rejects);
    tcase_add_loop_test(tc, test_sweep_points_are_fd_errors, 0, 2);
    tcase_add_loop_test(tc, test_sweep_shows_the_v, 0, 3);
    tcase_add_test(tc, test_sweep_theory_and_claims);
    tcase_add_test(tc, test_sweep_quadratic_has_no_v);
    tcase_add_test(tc, test_sweep_rules_of_thumb);
    tcase_add_test(tc, test_sweep_wrong_gradient_never_confirmed);
    tcase_add_test(tc, test_sweep_restores_and_keeps_gradients);
    tcase_add_test(tc, test_sweep_rejects_options);
    tcase_add_test(tc, test_sweep_pick);
    tcase_add_loop_test(tc, test_element_parse, 0, NPARSE);
    tcase_add_test(tc, test_sweep_json_round_trips);
    tcase_add_test(tc, test_sweep_text_marks_best);
    tcase_add_test(tc, test_mat_norm);
    suite_add_tcase(s, tc);
    return s;
}
