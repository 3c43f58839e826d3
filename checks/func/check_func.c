/*
 * check_func.c -- the function check and the scalar check (lib/func):
 * known answers, refuted wrong gradients, what the checker must never
 * touch (given values, constants, the caller's θ), declarations it must
 * refuse, and <gradcheck/ck.h>'s helpers for both.
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <string.h>

#include "../../fixtures/mutants/mutants.h"
#include "scale.h"
#include "swish.h"

extern const gc_mutant gc_mutant_sigmoid_half_scale;

/* ---- out = x ⊙ x (and variants), over a 2 x 3 input --------------------- */

typedef struct sq_ctx {
    double slope;     /* backward's factor: 2 is right */
    int n;            /* elements */
    int calls;        /* forward calls */
    double first;     /* inp[0] at the first forward */
    int mask_changed; /* a forward saw the constant differ from the first one */
    double mask0[6];
} sq_ctx;

static void sq_fwd(gc_func_call *c)
{
    sq_ctx *s = c->ctx;
    const double *x = c->v[1];
    double *y = c->v[0];
    if (s->calls++ == 0)
        s->first = x[0];
    for (int i = 0; i < s->n; i++)
        y[i] = x[i] * x[i];
}

/* d(x²)/dx = 2x, times the upstream gradient; slope 2 is right. */
static void sq_bwd(gc_func_call *c)
{
    sq_ctx *s = c->ctx;
    const double *x = c->v[1], *dy = c->d[0];
    double *dx = c->d[1];
    for (int i = 0; i < s->n; i++)
        dx[i] += s->slope * x[i] * dy[i];
}

static void sq_declare(gc_func *f, sq_ctx *s, double slope)
{
    memset(s, 0, sizeof *s);
    s->slope = slope;
    s->n = 6;
    gc_func_init(f, sq_fwd, sq_bwd, s);
    ck_assert_int_eq(gc_func_add(f, "out", GC_ROLE_OUTPUT, GC_DTYPE_F64, 2, 2, 3, 0, 0), 0);
    ck_assert_int_eq(gc_func_add(f, "inp", GC_ROLE_INPUT, GC_DTYPE_F64, 2, 2, 3, 0, 0), 1);
}

START_TEST(test_func_square_passes)
{
    gc_func f;
    sq_ctx s;
    sq_declare(&f, &s, 2.0);
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_OK);
    ck_assert_int_eq(r->ntensors, 1);
    ck_assert_str_eq(r->tensors[0].name, "inp");
    /* (2, 3): rows = 2, cols = the last dim */
    ck_assert_int_eq(r->tensors[0].rows, 2);
    ck_assert_int_eq(r->tensors[0].cols, 3);
    ck_assert_int_eq(r->npass, 6);
    ck_assert_int_eq(r->restored, 1);
    ck_assert_int_eq(r->opts.precision, GC_PRECISION_FLOAT64);
    ck_assert(!gc_report_failed(r));
    gc_report_free(r);
}
END_TEST

/* slope 2.01: every analytic value is 0.5% off, rel_err 0.005 >> rtol 1e-5;
 * abs_err = 0.01 |x R| is below atol 1e-8 only when |x R| < 1e-6, which the
 * draws of seed 1 (x, R in U[-1, 1)) do not give. */
/* Names are the user's: "x" (a layer's input elsewhere) and 15 characters
 * are tensors as any other, selectable with opts.params. */
START_TEST(test_func_any_name)
{
    gc_func f;
    sq_ctx s;
    sq_declare(&f, &s, 2.0);
    memcpy(f.t[1].name, "x", 2);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->ntensors, 1);
    ck_assert_str_eq(r->tensors[0].name, "x");
    ck_assert_int_eq(r->npass, 6);
    gc_report_free(r);
    memcpy(f.t[1].name, "abcdefghijklmno", 16);
    gc_check_opts o;
    gc_check_opts_init(&o);
    const char *only[] = {"abcdefghijklmno", NULL};
    o.params = only;
    ck_assert_int_eq(gc_check_func(&f, &o, &r, NULL), GC_OK);
    ck_assert_str_eq(r->tensors[0].name, "abcdefghijklmno");
    gc_report_free(r);
    const char *unknown[] = {"W9", NULL};
    o.params = unknown;
    gc_error err = {0, {0}};
    ck_assert_int_eq(gc_check_func(&f, &o, &r, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "W9") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_func_wrong_backward_refuted)
{
    gc_func f;
    sq_ctx s;
    sq_declare(&f, &s, 2.01);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->nfail, 6);
    ck_assert(gc_report_failed(r));
    gc_report_free(r);
    char msg[1536];
    ck_assert_int_eq(gc_ck_func_gradients(&f, NULL, msg, sizeof msg, NULL), 0);
    ck_assert_msg(strstr(msg, "inp[") != NULL, "message names the tensor: %s", msg);
    sq_declare(&f, &s, 2.0);
    ck_assert_int_eq(gc_ck_func_gradients(&f, NULL, msg, sizeof msg, NULL), 1);
}
END_TEST

/* Given values are the point of the check and are never written. */
START_TEST(test_func_init_used_and_kept)
{
    static const double x[6] = {1.5, -2.0, 0.25, 3.0, -0.5, 0.75};
    double copy[6];
    memcpy(copy, x, sizeof x);
    gc_func f;
    sq_ctx s;
    sq_declare(&f, &s, 2.0);
    ck_assert_int_eq(gc_func_set_init(&f, 1, x), GC_OK);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert(s.first == 1.5);
    ck_assert(memcmp(copy, x, sizeof x) == 0);
    /* x[0] = 1.5 gives d out[0]/d x[0] = 3: analytic 3 R[0] */
    ck_assert(fabs(r->rows[0].analytic / r->rows[0].numeric - 1.0) < 1e-8);
    ck_assert_int_eq(r->npass, 6);
    gc_report_free(r);
}
END_TEST

/* ---- a constant: out = mask ⊙ x, the mask never perturbed or reported ----- */

static void mask_fwd(gc_func_call *c)
{
    sq_ctx *s = c->ctx;
    const double *m = c->v[1], *x = c->v[2];
    if (s->calls++ == 0)
        memcpy(s->mask0, m, sizeof s->mask0);
    else if (memcmp(s->mask0, m, sizeof s->mask0) != 0)
        s->mask_changed = 1;
    for (int i = 0; i < 6; i++)
        ((double *)c->v[0])[i] = m[i] * x[i];
}

static void mask_bwd(gc_func_call *c)
{
    const double *m = c->v[1], *dy = c->d[0];
    ck_assert_ptr_null(c->d[1]);
    for (int i = 0; i < 6; i++)
        ((double *)c->d[2])[i] += m[i] * dy[i];
}

START_TEST(test_func_const_not_perturbed)
{
    gc_func f;
    sq_ctx s;
    memset(&s, 0, sizeof s);
    gc_func_init(&f, mask_fwd, mask_bwd, &s);
    gc_func_add(&f, "out", GC_ROLE_OUTPUT, GC_DTYPE_F64, 1, 6, 0, 0, 0);
    gc_func_add(&f, "mask", GC_ROLE_CONST, GC_DTYPE_F64, 1, 6, 0, 0, 0);
    gc_func_add(&f, "inp", GC_ROLE_INPUT, GC_DTYPE_F64, 1, 6, 0, 0, 0);
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->ntensors, 1);
    ck_assert_str_eq(r->tensors[0].name, "inp");
    ck_assert_int_eq(r->npass, 6);
    ck_assert_int_gt(s.calls, 12); /* two per element at least */
    ck_assert_int_eq(s.mask_changed, 0);
    gc_report_free(r);
}
END_TEST

/* ---- 20 tensors: out = Σ_k (k + 1) x_k ⊙ x_k ------------------------------ */

#define MANY 20

static void many_fwd(gc_func_call *c)
{
    double *y = c->v[0];
    y[0] = y[1] = 0.0;
    for (int k = 0; k < MANY; k++)
        for (int i = 0; i < 2; i++)
            y[i] += (k + 1) * ((double *)c->v[k + 1])[i] * ((double *)c->v[k + 1])[i];
}

static void many_bwd(gc_func_call *c)
{
    const double *dy = c->d[0];
    for (int k = 0; k < MANY; k++)
        for (int i = 0; i < 2; i++)
            ((double *)c->d[k + 1])[i] += 2.0 * (k + 1) * ((double *)c->v[k + 1])[i] * dy[i];
}

START_TEST(test_func_twenty_tensors)
{
    gc_func f;
    gc_func_init(&f, many_fwd, many_bwd, NULL);
    gc_func_add(&f, "out", GC_ROLE_OUTPUT, GC_DTYPE_F64, 1, 2, 0, 0, 0);
    for (int k = 0; k < MANY; k++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", k);
        ck_assert_int_eq(gc_func_add(&f, name, k % 2 ? GC_ROLE_PARAM : GC_ROLE_INPUT,
                                     GC_DTYPE_F64, 1, 2, 0, 0, 0), k + 1);
    }
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    ck_assert_msg(gc_check_func(&f, NULL, &r, &err) == GC_OK, "%s", err.msg);
    ck_assert_int_eq(r->ntensors, MANY);
    ck_assert_str_eq(r->tensors[MANY - 1].name, "x19");
    ck_assert_int_eq(r->npass, 2 * MANY);
    gc_report_free(r);
}
END_TEST

/* ---- declarations the check refuses, with a message naming the tensor ---- */

static void nop(gc_func_call *c)
{
    (void)c;
}

typedef struct bad_decl {
    const char *name;
    gc_role role;
    gc_dtype dtype;
    int ndim, d0;
    int later;          /* gc_func_add accepts it; only the check can refuse it */
    const char *expect; /* in err.msg */
} bad_decl;

static const bad_decl bad_decls[] = {
    {"inp", GC_ROLE_INPUT, GC_DTYPE_F64, 1, 2, 0, "declared twice"}, /* repeats "inp" */
    {"ids", GC_ROLE_INPUT, GC_DTYPE_I32, 1, 2, 0, "element type"},   /* ints have no gradient */
    {"w", GC_ROLE_PARAM, GC_DTYPE_F64, 0, 2, 0, "dimensions"},
    {"w", GC_ROLE_PARAM, GC_DTYPE_F64, 1, 0, 0, "dim[0] = 0"},
    {"ids", GC_ROLE_CONST, GC_DTYPE_I32, 1, 2, 1, "high"},           /* drawn ints need a bound */
    {"abcdefghijklmnop", GC_ROLE_INPUT, GC_DTYPE_F64, 1, 2, 0, "refused"},
};

START_TEST(test_func_bad_declaration_refused)
{
    const bad_decl *b = &bad_decls[_i];
    gc_func f;
    gc_func_init(&f, nop, nop, NULL);
    gc_func_add(&f, "out", GC_ROLE_OUTPUT, GC_DTYPE_F64, 1, 2, 0, 0, 0);
    gc_func_add(&f, "inp", GC_ROLE_INPUT, GC_DTYPE_F64, 1, 2, 0, 0, 0);
    ck_assert_int_eq(gc_func_add(&f, b->name, b->role, b->dtype, b->ndim, b->d0, 0, 0, 0),
                     b->later ? 2 : GC_EINVAL);
    gc_report *r = (gc_report *)&f; /* must be set to NULL */
    gc_error err = {0, {0}};
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err.msg, b->expect) != NULL, "'%s': message '%s' lacks '%s'", b->name,
                  err.msg, b->expect);
}
END_TEST

START_TEST(test_func_needs_output_and_checked_tensor)
{
    gc_func f;
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    gc_func_init(&f, nop, nop, NULL);
    gc_func_add(&f, "inp", GC_ROLE_INPUT, GC_DTYPE_F64, 1, 2, 0, 0, 0);
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "no OUTPUT") != NULL);
    gc_func_init(&f, nop, nop, NULL);
    gc_func_add(&f, "out", GC_ROLE_OUTPUT, GC_DTYPE_F64, 1, 2, 0, 0, 0);
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "INPUT and PARAM") != NULL);
    gc_func_init(&f, NULL, nop, NULL);
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_EINVAL);
    ck_assert_int_eq(gc_check_func(NULL, NULL, &r, &err), GC_EINVAL);
    ck_assert_int_eq(gc_check_func(&f, NULL, NULL, &err), GC_EINVAL);
    /* one more than GC_FUNC_MAX_TENSORS */
    gc_func_init(&f, nop, nop, NULL);
    for (int k = 0; k <= GC_FUNC_MAX_TENSORS; k++) {
        char name[8];
        snprintf(name, sizeof name, "t%d", k);
        int rc = gc_func_add(&f, name, GC_ROLE_INPUT, GC_DTYPE_F64, 1, 1, 0, 0, 0);
        ck_assert_int_eq(rc, k < GC_FUNC_MAX_TENSORS ? k : GC_EINVAL);
    }
    ck_assert_int_eq(gc_check_func(&f, NULL, &r, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "refused") != NULL);
}
END_TEST

/* (2, 3, 4): element (row 4, col 2) is flat 4 * 4 + 2 = 18 = 1*12 + 1*4 + 2. */
START_TEST(test_func_unravel)
{
    gc_func f;
    gc_func_init(&f, nop, nop, NULL);
    gc_func_add(&f, "t", GC_ROLE_INPUT, GC_DTYPE_F64, 3, 2, 3, 4, 0);
    int idx[GC_FUNC_MAX_DIMS];
    gc_func_unravel(&f.t[0], 4, 2, idx);
    ck_assert_int_eq(idx[0], 1);
    ck_assert_int_eq(idx[1], 1);
    ck_assert_int_eq(idx[2], 2);
    ck_assert_int_eq(idx[3], 0);
    ck_assert_uint_eq(gc_func_numel(&f.t[0]), 24);
}
END_TEST

/* ---- the scalar check: Rosenbrock ------------------------------------------ */

/* f(θ) = Σ_i 100 (θ_{i+1} - θ_i²)² + (1 - θ_i)², i = 0 .. n-2;
 * ∂f/∂θ_i = -400 θ_i (θ_{i+1} - θ_i²) - 2 (1 - θ_i) + 200 (θ_i - θ_{i-1}²). */
typedef struct rosen {
    int n;
    int bad; /* >= 0: the gradient of that element is 1% off */
} rosen;

static double rosen_f(void *ctx, const void *theta)
{
    const rosen *p = ctx;
    const double *t = theta;
    double s = 0.0;
    for (int i = 0; i + 1 < p->n; i++)
        s += 100.0 * (t[i + 1] - t[i] * t[i]) * (t[i + 1] - t[i] * t[i]) + (1 - t[i]) * (1 - t[i]);
    return s;
}

static void rosen_g(void *ctx, void *grad, const void *theta)
{
    const rosen *p = ctx;
    const double *t = theta;
    double *g = grad;
    for (int i = 0; i < p->n; i++) {
        g[i] = 0.0;
        if (i + 1 < p->n)
            g[i] += -400.0 * t[i] * (t[i + 1] - t[i] * t[i]) - 2.0 * (1 - t[i]);
        if (i > 0)
            g[i] += 200.0 * (t[i] - t[i - 1] * t[i - 1]);
    }
    if (p->bad >= 0)
        g[p->bad] *= 1.01;
}

static const double rosen_theta[6] = {-1.2, 1.0, 0.5, -0.3, 0.8, 1.1};

START_TEST(test_scalar_rosenbrock)
{
    rosen p = {6, -1};
    gc_segment seg[2] = {{"a", 0, 1, 2}, {"b", 2, 2, 2}};
    gc_scalar s = {GC_DTYPE_F64, 6, rosen_f, rosen_g, &p, seg, 2};
    double copy[6];
    memcpy(copy, rosen_theta, sizeof copy);
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    ck_assert_msg(gc_check_scalar(&s, rosen_theta, NULL, &r, &err) == GC_OK, "%s", err.msg);
    ck_assert_int_eq(r->ntensors, 2);
    ck_assert_str_eq(r->tensors[1].name, "b");
    ck_assert_int_eq(r->npass, 6);
    ck_assert(memcmp(copy, rosen_theta, sizeof copy) == 0);
    /* L is f itself: f(θ) at the given point */
    ck_assert(r->loss == rosen_f(&p, rosen_theta));
    gc_report_free(r);
    gc_ck_assert_scalar_gradients(&s, rosen_theta, NULL);
}
END_TEST

/* A 1% error in element 3 (segment b, row 0, col 1) and nowhere else: the
 * gradients there are of order 10 to 100, far above atol. */
START_TEST(test_scalar_wrong_element_refuted)
{
    rosen p = {6, 3};
    gc_segment seg[2] = {{"a", 0, 1, 2}, {"b", 2, 2, 2}};
    gc_scalar s = {GC_DTYPE_F64, 6, rosen_f, rosen_g, &p, seg, 2};
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_scalar(&s, rosen_theta, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->nfail, 1);
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].verdict == GC_FAIL) {
            ck_assert_int_eq(r->rows[i].tensor, 1);
            ck_assert_int_eq(r->rows[i].row, 0);
            ck_assert_int_eq(r->rows[i].col, 1);
        }
    gc_report_free(r);
    char msg[1536];
    ck_assert_int_eq(gc_ck_scalar_gradients(&s, rosen_theta, NULL, msg, sizeof msg, NULL), 0);
}
END_TEST

START_TEST(test_scalar_segments)
{
    rosen p = {6, -1};
    gc_scalar s = {GC_DTYPE_F64, 6, rosen_f, rosen_g, &p, NULL, 0};
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    /* no segments: one "theta", 1 x 6 */
    ck_assert_int_eq(gc_check_scalar(&s, rosen_theta, NULL, &r, NULL), GC_OK);
    ck_assert_str_eq(r->tensors[0].name, "theta");
    ck_assert_int_eq(r->tensors[0].cols, 6);
    gc_report_free(r);
    /* parts of θ: only they are checked */
    gc_segment part[2] = {{"head", 0, 1, 1}, {"tail", 4, 2, 1}};
    s.seg = part;
    s.nseg = 2;
    ck_assert_int_eq(gc_check_scalar(&s, rosen_theta, NULL, &r, NULL), GC_OK);
    ck_assert_uint_eq(r->nrows, 3);
    gc_report_free(r);
    gc_segment overlap[2] = {{"a", 0, 1, 3}, {"b", 2, 1, 2}};
    s.seg = overlap;
    ck_assert_int_eq(gc_check_scalar(&s, rosen_theta, NULL, &r, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "overlaps") != NULL);
    gc_segment outside[1] = {{"a", 5, 1, 2}};
    s.seg = outside;
    s.nseg = 1;
    ck_assert_int_eq(gc_check_scalar(&s, rosen_theta, NULL, &r, &err), GC_EINVAL);
    ck_assert(strstr(err.msg, "does not fit") != NULL);
    ck_assert_ptr_null(r);
}
END_TEST

/* float θ: checked at float32 precision. */
static double sumsq_f(void *ctx, const void *theta)
{
    (void)ctx;
    const float *t = theta;
    return (double)t[0] * t[0] + (double)t[1] * t[1];
}

static void sumsq_g(void *ctx, void *grad, const void *theta)
{
    (void)ctx;
    const float *t = theta;
    ((float *)grad)[0] = 2 * t[0];
    ((float *)grad)[1] = 2 * t[1];
}

START_TEST(test_scalar_float_precision)
{
    static const float theta[2] = {0.5f, -1.25f};
    gc_scalar s = {GC_DTYPE_F32, 2, sumsq_f, sumsq_g, NULL, NULL, 0};
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_scalar(&s, theta, NULL, &r, NULL), GC_OK);
    ck_assert_int_eq(r->opts.precision, GC_PRECISION_FLOAT32);
    gc_report_free(r);
}
END_TEST

/* ---- loop helpers with the plugins' factory shape ------------------------- */

GC_CK_PLUGIN_LOOP_TEST(test_plugin_loop_scale, scale_plugin, NULL)
GC_CK_PLUGIN_LOOP_TEST(test_plugin_loop_swish, swish_plugin, NULL)

/* A gc_layer_factory: scale with s and c drawn, then s times the
 * hyper-parameter "gain" (default 1). */
static gc_layer *scale_args(gc_layer_args *a)
{
    double gain = gc_layer_args_get(a, "gain", 1.0);
    gc_layer *l = scale_plugin(a->in, a->out, a->rng);
    for (int i = 0; l != NULL && i < l->in; i++)
        l->param[0].value[i] *= gain;
    return l;
}
GC_CK_ARGS_LOOP_TEST(test_args_loop_scale, scale_args, NULL)

/* The same loop with options: richardson at its default step. */
static const gc_check_opts *richardson_opts(void)
{
    static gc_check_opts o;
    gc_check_opts_init(&o);
    o.method = GC_METHOD_RICHARDSON;
    return &o;
}
GC_CK_PLUGIN_LOOP_TEST(test_plugin_loop_scale_richardson, scale_plugin, richardson_opts())

/* The plugin loop refutes a wrong layer: sigmoid whose backward drops a
 * factor 1/2 (fixtures/mutants/sigmoid_half_scale.c), built by a plugin
 * factory; and a factory that builds no shape fails the case, naming it. */
static gc_layer *half_sigmoid(int in, int out, gc_pcg32 *rng)
{
    (void)rng;
    return in == out ? gc_layer_new(gc_mutant_sigmoid_half_scale.ops, in, in) : NULL;
}

static gc_layer *never(int in, int out, gc_pcg32 *rng)
{
    (void)in;
    (void)out;
    (void)rng;
    return NULL;
}

START_TEST(test_plugin_case_refutes)
{
    char msg[1536];
    ck_assert_int_eq(gc_ck_plugin_case(half_sigmoid, NULL, 3, msg, sizeof msg, NULL), 0);
    ck_assert_msg(strstr(msg, "case 3") != NULL && strstr(msg, "x[") != NULL, "%s", msg);
    ck_assert_int_eq(gc_ck_plugin_case(never, NULL, 3, msg, sizeof msg, NULL), 0);
    ck_assert_msg(strstr(msg, "case 3") != NULL && strstr(msg, "returned NULL") != NULL, "%s",
                  msg);
}
END_TEST

/* ---- a layer declares its precision ---------------------------------------- */

gc_layer *attention_plugin(gc_layer_args *args); /* examples/attention_plugin.c */

/* The float attention layer (GC_CAP_FLOAT32) runs at float32 precision
 * alone and in a network; its double twin (f64=1) at float64.  Its
 * workspace is reserved by the check itself (T 2, C 2: in 12, out 4). */
START_TEST(test_layer_declares_float32)
{
    for (int f64 = 0; f64 < 2; f64++) {
        gc_layer_args a;
        gc_layer_args_init(&a, 12, 4, NULL);
        gc_layer_args_set(&a, "f64", f64);
        gc_layer *l = attention_plugin(&a);
        ck_assert_ptr_nonnull(l);
        ck_assert_ptr_null(l->work);
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_layer(l, 3, NULL, &r, NULL), GC_OK);
        ck_assert_uint_ge(l->work_size, 1);
        ck_assert_int_eq(r->opts.precision, f64 ? GC_PRECISION_FLOAT64 : GC_PRECISION_FLOAT32);
        if (f64)
            ck_assert(!gc_report_failed(r));
        gc_report_free(r);
        gc_net *n = gc_net_new(&gc_loss_mse);
        ck_assert_int_eq(gc_net_add(n, l, NULL), GC_OK);
        gc_mat *X = gc_mat_new(12, 2), *T = gc_mat_new(4, 2);
        for (size_t i = 0; i < 24; i++)
            X->data[i] = 0.1 * (double)i - 1.0;
        ck_assert_int_eq(gc_net_set_data(n, X, T, NULL), GC_OK);
        ck_assert_int_eq(gc_check_net(n, NULL, &r, NULL), GC_OK);
        ck_assert_int_eq(r->opts.precision, f64 ? GC_PRECISION_FLOAT64 : GC_PRECISION_FLOAT32);
        gc_report_free(r);
        gc_mat_free(X);
        gc_mat_free(T);
        gc_net_free(n);
    }
}
END_TEST

/* ---- hyper-parameters ------------------------------------------------------ */

START_TEST(test_layer_args_parse_and_read)
{
    gc_layer_args a;
    gc_error err = {0, {0}};
    gc_layer_args_init(&a, 3, 4, NULL);
    ck_assert_int_eq(gc_layer_args_parse(&a, "T=4,C=8,NH=2", &err), GC_OK);
    ck_assert_int_eq(gc_layer_args_parse(&a, "alpha=0.25,T=5", &err), GC_OK); /* T replaced */
    ck_assert_int_eq(a.n, 4);
    ck_assert_int_eq(gc_layer_args_int(&a, "T", 0), 5);
    ck_assert_int_eq(gc_layer_args_int(&a, "NH", 0), 2);
    ck_assert(gc_layer_args_get(&a, "alpha", 0.0) == 0.25);
    ck_assert_int_eq(gc_layer_args_int(&a, "missing", 7), 7);
    /* C not read yet: a typo the caller refuses */
    ck_assert_int_eq(gc_layer_args_check(&a, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "C: no such hyper-parameter") != NULL, "%s", err.msg);
    ck_assert_int_eq(gc_layer_args_int(&a, "C", 0), 8);
    ck_assert_int_eq(gc_layer_args_check(&a, &err), GC_OK);
    /* alpha read as an int: not an integer */
    ck_assert_int_eq(gc_layer_args_int(&a, "alpha", 9), 9);
    ck_assert_int_eq(gc_layer_args_check(&a, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "alpha: expected an integer, got 0.25") != NULL, "%s", err.msg);
    static const char *const bad[] = {"T", "T=", "=4", "T=4x", "T=nan", "a-b=1", "T=1,,", NULL};
    for (int i = 0; bad[i] != NULL; i++)
        ck_assert_msg(gc_layer_args_parse(&a, bad[i], &err) == GC_EINVAL, "'%s' accepted",
                      bad[i]);
    /* at most GC_LAYER_MAX_ARGS names */
    gc_layer_args_init(&a, 1, 1, NULL);
    for (int k = 0; k < GC_LAYER_MAX_ARGS; k++) {
        char name[8];
        snprintf(name, sizeof name, "h%d", k);
        ck_assert_int_eq(gc_layer_args_set(&a, name, k), GC_OK);
    }
    ck_assert_int_eq(gc_layer_args_set(&a, "one_more", 1), GC_EINVAL);
}
END_TEST

Suite *make_func_suite(void)
{
    Suite *s = suite_create("func");
    TCase *tc = tcase_create("func");
    tcase_add_test(tc, test_func_square_passes);
    tcase_add_test(tc, test_func_wrong_backward_refuted);
    tcase_add_test(tc, test_func_any_name);
    tcase_add_test(tc, test_func_init_used_and_kept);
    tcase_add_test(tc, test_func_const_not_perturbed);
    tcase_add_test(tc, test_func_twenty_tensors);
    tcase_add_loop_test(tc, test_func_bad_declaration_refused, 0,
                        (int)(sizeof bad_decls / sizeof bad_decls[0]));
    tcase_add_test(tc, test_func_needs_output_and_checked_tensor);
    tcase_add_test(tc, test_func_unravel);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("scalar");
    tcase_add_test(ts, test_scalar_rosenbrock);
    tcase_add_test(ts, test_scalar_wrong_element_refuted);
    tcase_add_test(ts, test_scalar_segments);
    tcase_add_test(ts, test_scalar_float_precision);
    suite_add_tcase(s, ts);
    TCase *tl = tcase_create("loops");
    gc_ck_add_layer_loop(tl, test_plugin_loop_scale, 20);
    gc_ck_add_layer_loop(tl, test_plugin_loop_swish, 20);
    gc_ck_add_layer_loop(tl, test_args_loop_scale, 20);
    gc_ck_add_layer_loop(tl, test_plugin_loop_scale_richardson, 10);
    tcase_add_test(tl, test_plugin_case_refutes);
    tcase_add_test(tl, test_layer_args_parse_and_read);
    tcase_add_test(tl, test_layer_declares_float32);
    suite_add_tcase(s, tl);
    return s;
}
