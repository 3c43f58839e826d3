/*
 * check_layers.c -- the layer contract helpers, the dense layer and every
 * built-in activation: hand-derived values and derivatives at hand-picked
 * points (extremes included), the kink hook, and each derivative against a
 * central difference of the layer's own forward.
 */
#include <check.h>
#include <gradcheck.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "testutil.h"

/* ---- contract helpers ------------------------------------------------- */

static void dummy_fwd(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l;
    gc_mat_copy(Y, X);
}

static void dummy_bwd(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y, const gc_mat *dY)
{
    (void)l; (void)X; (void)Y;
    if (dX != NULL)
        gc_mat_copy(dX, dY);
}

static const gc_layer_ops dummy_ops = {.type = "dummy", .forward = dummy_fwd, .backward = dummy_bwd};

START_TEST(test_layer_new_and_params)
{
    ck_assert_ptr_null(gc_layer_new(NULL, 1, 1));
    static const gc_layer_ops no_backward = {.type = "half", .forward = dummy_fwd};
    ck_assert_ptr_null(gc_layer_new(&no_backward, 1, 1));
    ck_assert_ptr_null(gc_layer_new(&dummy_ops, 0, 1));
    ck_assert_ptr_null(gc_layer_new(&dummy_ops, 1, 0));
    gc_layer_free(NULL);
    gc_layer *l = gc_layer_new(&dummy_ops, 3, 3);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(l->nparams, 0);
    ck_assert_int_eq(gc_layer_add_param(l, "W", 2, 3), 0);
    ck_assert_int_eq(gc_layer_add_param(l, "b", 2, 1), 1);
    ck_assert_str_eq(l->param[0].name, "W");
    ck_assert_int_eq(l->param[0].rows, 2);
    ck_assert_int_eq(l->param[0].cols, 3);
    for (int i = 0; i < 6; i++)
        ck_assert(l->param[0].value[i] == 0.0 && l->param[0].grad[i] == 0.0);
    /* 15 characters fit in GC_NAME_MAX = 16 with the NUL; 16 do not. */
    ck_assert_int_lt(gc_layer_add_param(l, "abcdefghijklmnop", 1, 1), 0);
    ck_assert_int_eq(gc_layer_add_param(l, "abcdefghijklmno", 1, 1), 2);
    ck_assert_int_lt(gc_layer_add_param(l, "z", 0, 1), 0);
    ck_assert_int_lt(gc_layer_add_param(l, "", 1, 1), 0);
    ck_assert_int_eq(gc_layer_add_param(l, "s", 1, 1), 3);
    /* a transformer block's dozen tensors fit: at least 16 */
    ck_assert_int_ge(GC_LAYER_MAX_PARAMS, 16);
    for (int p = 4; p < GC_LAYER_MAX_PARAMS; p++)
        ck_assert_int_eq(gc_layer_add_param(l, "s", 1, 1), p);
    ck_assert_int_lt(gc_layer_add_param(l, "t", 1, 1), 0);
    ck_assert_int_eq(l->nparams, GC_LAYER_MAX_PARAMS);
    gc_layer_free(l);
}
END_TEST

/* ---- dense ------------------------------------------------------------ */

/* W = [[1 2 3] [4 5 6]], b = [0.5 -1], X = [[1 0] [0 1] [1 -1]] (3 x 2).
 * Y = W X + b: column 0 (x = 1,0,1): 1+3+0.5 = 4.5, 4+6-1 = 9;
 *              column 1 (x = 0,1,-1): 2-3+0.5 = -0.5, 5-6-1 = -2.
 * dY = [[1 0] [0 2]]:
 *   dW = dY X^T: row 0 = 1 * X[:,0] = (1 0 1); row 1 = 2 * X[:,1] = (0 2 -2)
 *   db = row sums of dY = (1 2)
 *   dX = W^T dY: column 0 = W row 0 = (1 2 3); column 1 = 2 W row 1 = (8 10 12). */
START_TEST(test_dense_forward_backward_by_hand)
{
    static const double W[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5, -1};
    static const double x[6] = {1, 0, 0, 1, 1, -1}, dy[4] = {1, 0, 0, 2};
    static const double y_want[4] = {4.5, -0.5, 9, -2};
    static const double dW_want[6] = {1, 0, 1, 0, 2, -2}, db_want[2] = {1, 2};
    static const double dX_want[6] = {1, 8, 2, 10, 3, 12};
    gc_layer *l = gc_dense_new(3, 2);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->ops->caps & GC_CAP_AFFINE, GC_CAP_AFFINE);
    ck_assert_str_eq(l->ops->type, "dense");
    ck_assert_str_eq(l->param[0].name, "W");
    ck_assert_str_eq(l->param[1].name, "b");
    memcpy(l->param[0].value, W, sizeof W);
    memcpy(l->param[1].value, b, sizeof b);
    gc_mat *X = gc_mat_new(3, 2), *Y = gc_mat_new(2, 2), *dY = gc_mat_new(2, 2), *dX = gc_mat_new(3, 2);
    memcpy(X->data, x, sizeof x);
    memcpy(dY->data, dy, sizeof dy);
    l->ops->forward(l, Y, X);
    /* Sums of small integers and halves: exact in double. */
    for (int i = 0; i < 4; i++)
        ck_assert_msg(Y->data[i] == y_want[i], "Y[%d][%d] = %g, want %g", i / 2, i % 2, Y->data[i], y_want[i]);
    l->ops->backward(l, dX, X, Y, dY);
    for (int i = 0; i < 6; i++) {
        ck_assert_msg(l->param[0].grad[i] == dW_want[i], "dW[%d][%d] = %g, want %g", i / 3, i % 3,
                      l->param[0].grad[i], dW_want[i]);
        ck_assert_msg(dX->data[i] == dX_want[i], "dX[%d][%d] = %g, want %g", i / 2, i % 2, dX->data[i],
                      dX_want[i]);
    }
    for (int i = 0; i < 2; i++)
        ck_assert_msg(l->param[1].grad[i] == db_want[i], "db[%d] = %g, want %g", i, l->param[1].grad[i],
                      db_want[i]);
    /* Backward accumulates into the parameter gradients (and dX may be NULL). */
    l->ops->backward(l, NULL, X, Y, dY);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(l->param[0].grad[i] == 2 * dW_want[i], "dW[%d][%d] after two backwards = %g, want %g",
                      i / 3, i % 3, l->param[0].grad[i], 2 * dW_want[i]);
    ck_assert(l->param[1].grad[1] == 2 * db_want[1]);
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(dY); gc_mat_free(dX);
    gc_layer_free(l);
}
END_TEST

/* The plain loops that define each output element of the dense layer (its
 * order of additions, lib/nn/dense.c): the layer's tiled kernels must give
 * these bits, whatever tile or vector width computes an element. */
static void dense_plain(const double *W, const double *b, const gc_mat *X, const gc_mat *dY,
                        int in, int out, double *Y, double *dW, double *db, double *dX)
{
    const int B = X->cols;
    for (int i = 0; i < out; i++)
        for (int c = 0; c < B; c++) {
            double s = b[i];
            for (int j = 0; j < in; j++)
                s += W[i * in + j] * GC_AT(X, j, c);
            Y[i * B + c] = s;
        }
    for (int i = 0; i < out; i++) {
        double sb = 0.0;
        for (int c = 0; c < B; c++)
            sb += GC_AT(dY, i, c);
        db[i] = sb;
        for (int j = 0; j < in; j++) {
            double s = 0.0;
            for (int c = 0; c < B; c++)
                s += GC_AT(dY, i, c) * GC_AT(X, j, c);
            dW[i * in + j] = s;
        }
    }
    for (int j = 0; j < in; j++)
        for (int c = 0; c < B; c++) {
            double s = 0.0;
            for (int i = 0; i < out; i++)
                s += W[i * in + j] * GC_AT(dY, i, c);
            dX[j * B + c] = s;
        }
}

/* Values over 20 binades of both signs, some exact zeros of either sign:
 * sums of them round differently in any other order. */
static double spread_value(gc_pcg32 *rng)
{
    uint32_t u = gc_pcg32_bounded(rng, 16);
    if (u == 0)
        return (gc_pcg32_next(rng) & 1) ? -0.0 : 0.0;
    return (2.0 * gc_pcg32_uniform(rng) - 1.0) * ldexp(1.0, (int)gc_pcg32_bounded(rng, 20) - 10);
}

/* Shapes around every tile edge of the kernels: columns side by side (8),
 * rows per tile (4), rows carried together (32), columns per transposed
 * block (64), and the plain loops' remainders. */
static const int dense_shapes[][3] = {
    {1, 1, 1},  {3, 2, 1},   {9, 5, 1},   {17, 33, 1},  {8, 4, 8},   {7, 3, 7},
    {9, 5, 9},  {16, 37, 16}, {35, 4, 33}, {8, 32, 64}, {24, 33, 65}, {13, 6, 130},
    {64, 10, 32}, {784 / 8, 128 / 8, 32},
};
#define NDENSE_SHAPES ((int)(sizeof dense_shapes / sizeof dense_shapes[0]))

static void assert_same_bits(const double *got, const double *want, int n, const char *what,
                             int cols)
{
    for (int k = 0; k < n; k++)
        ck_assert_msg(memcmp(&got[k], &want[k], sizeof got[k]) == 0,
                      "%s[%d][%d] = %a, the plain sum gives %a", what, k / cols, k % cols,
                      got[k], want[k]);
}

START_TEST(test_dense_kernels_match_plain_sums)
{
    const int in = dense_shapes[_i][0], out = dense_shapes[_i][1], B = dense_shapes[_i][2];
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 20261202u, (uint64_t)_i);
    gc_layer *l = gc_dense_new(in, out);
    gc_mat *X = gc_mat_new(in, B), *Y = gc_mat_new(out, B), *dY = gc_mat_new(out, B);
    gc_mat *dX = gc_mat_new(in, B);
    double *want = malloc(sizeof(double) * (size_t)(2 * out * B + out * in + out + in * B));
    ck_assert(l != NULL && X != NULL && Y != NULL && dY != NULL && dX != NULL && want != NULL);
    for (int k = 0; k < out * in; k++)
        l->param[0].value[k] = spread_value(&rng);
    for (int k = 0; k < out; k++)
        l->param[1].value[k] = spread_value(&rng);
    for (int k = 0; k < in * B; k++)
        X->data[k] = spread_value(&rng);
    for (int k = 0; k < out * B; k++)
        dY->data[k] = spread_value(&rng);
    double *wY = want, *wdW = wY + out * B, *wdb = wdW + out * in, *wdX = wdb + out;
    dense_plain(l->param[0].value, l->param[1].value, X, dY, in, out, wY, wdW, wdb, wdX);
    l->ops->forward(l, Y, X);
    l->ops->backward(l, dX, X, Y, dY); /* grads were zero: dW = the sums */
    assert_same_bits(Y->data, wY, out * B, "Y", B);
    assert_same_bits(l->param[0].grad, wdW, out * in, "dW", in);
    assert_same_bits(l->param[1].grad, wdb, out, "db", 1);
    assert_same_bits(dX->data, wdX, in * B, "dX", B);
    free(want);
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(dY); gc_mat_free(dX);
    gc_layer_free(l);
}
END_TEST

/* ---- elementwise activations: a table of hand-derived answers ---------- */

/* Standard normal: Phi(1) = 0.8413447460685429 (tables; (1 + erf(1/sqrt 2))/2),
 * phi(1) = e^(-1/2) / sqrt(2 pi) = 0.24197072451914337. */
#define PHI1 0.8413447460685429
#define DPHI1 0.24197072451914337

typedef struct act_case {
    gc_act act;
    double alpha;
    double x, y, dy; /* input, expected f(x), expected f'(x) */
    double tol;      /* relative; 1e-15 = a few ulps of libm */
} act_case;

/* Expected values are written from a formula independent of the code's
 * (naive forms where they are exact enough, e.g. sigma(-40) = 1 / (1 + e^40)). */
static const act_case act_cases[] = {
    {GC_ACT_IDENTITY, 0, -2.5, -2.5, 1.0, 0},
    /* sigma(0) = 1/2, sigma' = 1/4. */
    {GC_ACT_SIGMOID, 0, 0.0, 0.5, 0.25, 0},
    /* sigma(1) = e / (1 + e); sigma'(1) = e / (1 + e)^2. */
    {GC_ACT_SIGMOID, 0, 1.0, 2.718281828459045 / 3.718281828459045,
     2.718281828459045 / (3.718281828459045 * 3.718281828459045), 1e-15},
    /* sigma(-40) = 1 / (1 + e^40) ~ 4.25e-18, sigma' ~ the same (1 - sigma = 1). */
    {GC_ACT_SIGMOID, 0, -40.0, 4.248354255291589e-18, 4.248354255291589e-18, 1e-14},
    /* sigma(40) rounds to 1; sigma'(40) = sigma(1 - sigma) = 0 in double
     * (true 4.2e-18): finite, within 1e-17 absolute (checked below). */
    {GC_ACT_SIGMOID, 0, 40.0, 1.0, 0.0, 0},
    /* Far out: no overflow, 0 and 1 exactly, derivative 0. */
    {GC_ACT_SIGMOID, 0, -800.0, 0.0, 0.0, 0},
    {GC_ACT_SIGMOID, 0, 800.0, 1.0, 0.0, 0},
    /* tanh(0.5) = (e - 1) / (e + 1); tanh' = 1 - tanh^2 = 4e / (e + 1)^2. */
    {GC_ACT_TANH, 0, 0.5, 1.718281828459045 / 3.718281828459045,
     4 * 2.718281828459045 / (3.718281828459045 * 3.718281828459045), 1e-15},
    {GC_ACT_TANH, 0, -30.0, -1.0, 0.0, 0},
    {GC_ACT_RELU, 0, -1.0, 0.0, 0.0, 0},
    {GC_ACT_RELU, 0, 0.0, 0.0, 0.0, 0}, /* relu'(0) = 0, as PyTorch */
    {GC_ACT_RELU, 0, 2.0, 2.0, 1.0, 0},
    {GC_ACT_LEAKY_RELU, 0.01, -2.0, -0.02, 0.01, 0},
    {GC_ACT_LEAKY_RELU, 0.01, 0.0, 0.0, 0.01, 0}, /* leaky'(0) = alpha, as PyTorch */
    {GC_ACT_LEAKY_RELU, 0.01, 3.0, 3.0, 1.0, 0},
    {GC_ACT_LEAKY_RELU, 0.2, -1.5, -0.3, 0.2, 1e-15},
    /* elu(-1) = e^-1 - 1, elu'(-1) = e^-1 (alpha 1); alpha 0.5 halves both. */
    {GC_ACT_ELU, 1.0, -1.0, 0.36787944117144233 - 1.0, 0.36787944117144233, 1e-15},
    {GC_ACT_ELU, 0.5, -1.0, 0.5 * (0.36787944117144233 - 1.0), 0.5 * 0.36787944117144233, 1e-15},
    {GC_ACT_ELU, 1.0, 0.0, 0.0, 1.0, 0},
    {GC_ACT_ELU, 1.0, 2.0, 2.0, 1.0, 0},
    /* softplus(0) = log 2, softplus' = sigma(0) = 1/2. */
    {GC_ACT_SOFTPLUS, 0, 0.0, 0.6931471805599453, 0.5, 1e-15},
    /* softplus(1) = log(1 + e) = 1.3132616875182228; sigma(1) = e/(1+e). */
    {GC_ACT_SOFTPLUS, 0, 1.0, 1.3132616875182228, 2.718281828459045 / 3.718281828459045, 1e-15},
    /* softplus(800) = 800 + log1p(e^-800) = 800 (e^-800 underflows); naive log(1+e^800) = Inf. */
    {GC_ACT_SOFTPLUS, 0, 800.0, 800.0, 1.0, 0},
    /* softplus(-800) = log1p(e^-800) = 0 in double; derivative sigma(-800) = 0. */
    {GC_ACT_SOFTPLUS, 0, -800.0, 0.0, 0.0, 0},
    /* gelu(0) = 0, gelu'(0) = Phi(0) = 1/2. */
    {GC_ACT_GELU, 0, 0.0, 0.0, 0.5, 0},
    /* gelu(1) = Phi(1); gelu'(1) = Phi(1) + phi(1). */
    {GC_ACT_GELU, 0, 1.0, PHI1, PHI1 + DPHI1, 1e-15},
    /* gelu(-1) = -Phi(-1) = -(1 - Phi(1)); gelu'(-1) = Phi(-1) - phi(1). */
    {GC_ACT_GELU, 0, -1.0, -(1.0 - PHI1), (1.0 - PHI1) - DPHI1, 1e-14},
};

#define NACT_CASES ((int)(sizeof act_cases / sizeof act_cases[0]))

/* Each row on a 2 x 3 X (the layer built for n = 1: elementwise layers must
 * read X's own shape), all six elements the same x. */
START_TEST(test_activation_table)
{
    const act_case *t = &act_cases[_i];
    const char *name = gc_act_name(t->act);
    gc_layer *l = gc_activation_new(t->act, 1, t->alpha);
    ck_assert_ptr_nonnull(l);
    ck_assert_msg(l->ops->caps & GC_CAP_ELEMENTWISE, "%s: not declared elementwise", name);
    gc_mat *X = gc_mat_new(2, 3), *Y = gc_mat_new(2, 3), *dY = gc_mat_new(2, 3), *dX = gc_mat_new(2, 3);
    gc_mat_fill(X, t->x);
    gc_mat_fill(dY, 1.0);
    gc_mat_fill(Y, NAN);
    gc_mat_fill(dX, NAN);
    l->ops->forward(l, Y, X);
    l->ops->backward(l, dX, X, Y, dY);
    for (int i = 0; i < 6; i++) {
        double y = Y->data[i], d = dX->data[i];
        double ey = tu_rel_err(y, t->y), ed = tu_rel_err(d, t->dy);
        ck_assert_msg(isfinite(y) && isfinite(d), "row %d %s(%g): element %d: y=%g dy=%g not finite", _i, name,
                      t->x, i, y, d);
        ck_assert_msg(ey <= t->tol, "row %d %s(%g) element [%d][%d]: y=%.17g want %.17g rel=%g", _i, name, t->x,
                      i / 3, i % 3, y, t->y, ey);
        if (t->act == GC_ACT_SIGMOID && t->x == 40.0)
            ck_assert_msg(fabs(d - 4.248354255291589e-18) <= 1e-17, "sigmoid'(40) = %g", d);
        else
            ck_assert_msg(ed <= t->tol, "row %d %s'(%g) element [%d][%d]: dy=%.17g want %.17g rel=%g", _i, name,
                          t->x, i / 3, i % 3, d, t->dy, ed);
    }
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(dY); gc_mat_free(dX);
    gc_layer_free(l);
}
END_TEST

/* Every elementwise activation's derivative against a central difference of
 * its own forward, at points away from any kink.  h = 1e-5: the truncation
 * error is h^2 |f'''| / 6 ~ 1e-11 and the rounding error eps |f| / h ~ 1e-11
 * for |f| <= 3, so 1e-8 relative (or 1e-10 absolute) has room and still
 * catches any wrong formula (those are off by O(1)). */
START_TEST(test_activation_derivative_vs_central_difference)
{
    static const double xs[] = {-2.7, -0.9, -0.3, 0.2, 0.8, 1.9};
    gc_act act = (gc_act)_i;
    if (act == GC_ACT_SOFTMAX)
        return; /* per column: tested on its own below */
    double alpha = act == GC_ACT_ELU ? 0.7 : gc_act_default_alpha(act);
    gc_layer *l = gc_activation_new(act, 6, alpha);
    ck_assert_ptr_nonnull(l);
    const double h = 1e-5;
    gc_mat *X = gc_mat_new(6, 1), *Y = gc_mat_new(6, 1), *Yp = gc_mat_new(6, 1), *Ym = gc_mat_new(6, 1);
    gc_mat *dY = gc_mat_new(6, 1), *dX = gc_mat_new(6, 1), *Xs = gc_mat_new(6, 1);
    for (int i = 0; i < 6; i++)
        X->data[i] = xs[i];
    gc_mat_fill(dY, 1.0);
    l->ops->forward(l, Y, X);
    l->ops->backward(l, dX, X, Y, dY);
    for (int i = 0; i < 6; i++)
        Xs->data[i] = xs[i] + h;
    l->ops->forward(l, Yp, Xs);
    for (int i = 0; i < 6; i++)
        Xs->data[i] = xs[i] - h;
    l->ops->forward(l, Ym, Xs);
    for (int i = 0; i < 6; i++) {
        double n = (Yp->data[i] - Ym->data[i]) / (2 * h), a = dX->data[i];
        double r = tu_rel_err(a, n);
        ck_assert_msg(r <= 1e-8 || fabs(a - n) <= 1e-10, "%s'(%g): analytic=%.17g numeric=%.17g rel=%g",
                      gc_act_name(act), xs[i], a, n, r);
    }
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(Yp); gc_mat_free(Ym);
    gc_mat_free(dY); gc_mat_free(dX); gc_mat_free(Xs);
    gc_layer_free(l);
}
END_TEST

/* ---- elementwise forwards over arrays ---------------------------------- */

/* Length of the array below: over several of activation.c's 256-element
 * exp blocks, and no multiple of any vector width (a padded tail). */
#define NARR 777

/* Arguments: the special ones first (signed zeros, infinities, NaN, the
 * underflow edges of exp, subnormals), then a sweep over [-50, 50]. */
static void arr_args(double *x)
{
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 800.0, -800.0, 745.5,
                                     -745.5, 708.5, -708.5, 40.0, -40.0, 1e-300, -1e-300, 5e-324};
    const int ns = (int)(sizeof special / sizeof special[0]);
    for (int i = 0; i < NARR; i++)
        x[i] = i < ns ? special[i] : -50.0 + 100.0 * (double)i / (double)(NARR - 1);
}

/* Every elementwise activation gives each element the same bits in an
 * array of NARR as alone in a 1 x 1 matrix: the sparse-change evaluator
 * runs a forward on changed rows only and must compute what the reference
 * computes on the whole matrix (sigmoid and softplus take their exps in
 * vector blocks; a block-dependent path, e.g. libm on the tail, fails here). */
START_TEST(test_elementwise_forward_independent_of_position)
{
    gc_act act = (gc_act)_i;
    if (act == GC_ACT_SOFTMAX)
        return; /* per column, not elementwise */
    gc_layer *l = gc_activation_new(act, 1, gc_act_default_alpha(act));
    ck_assert_ptr_nonnull(l);
    gc_mat *X = gc_mat_new(NARR, 1), *Y = gc_mat_new(1, NARR), *x1 = gc_mat_new(1, 1), *y1 = gc_mat_new(1, 1);
    arr_args(X->data);
    l->ops->forward(l, Y, X);
    for (int i = 0; i < NARR; i++) {
        x1->data[0] = X->data[i];
        l->ops->forward(l, y1, x1);
        ck_assert_msg(memcmp(y1->data, &Y->data[i], sizeof(double)) == 0, "%s(%.17g): %.17g alone, %.17g at %d",
                      gc_act_name(act), X->data[i], y1->data[0], Y->data[i], i);
    }
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(x1); gc_mat_free(y1);
    gc_layer_free(l);
}
END_TEST

/* The libm forms the vector forwards replace. */
static double sigmoid_libm(double x) { return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }
static double softplus_libm(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

/* sigmoid and softplus against libm's forms over the arrays above.  Bound:
 * each exp and log1p (SLEEF or libm) is within GC_VMATH_ULPS = 4 ulp; in
 * sigma = n / (1 + e) the error of e passes to 1 + e damped by e / (1 + e),
 * then the sum, the division and the numerator e: at most 4 + 1 + 1 + 4 =
 * 10 u relative; softplus: log1p(e) >= e / (1 + e) so e's 4 u stays <= 4 u,
 * log1p 4 u more, the sum of two non-negatives 1 u: 9 u.  Two
 * implementations: within 20 u of each other, plus 4 subnormal ulps where
 * e is subnormal.  Special values exactly libm's: sigma(+-Inf) = 1, 0;
 * softplus(+-Inf) = +Inf, 0; NaN gives NaN. */
START_TEST(test_vector_forwards_agree_with_libm)
{
    static const struct { gc_act act; double (*f)(double); } cases[] = {
        {GC_ACT_SIGMOID, sigmoid_libm}, {GC_ACT_SOFTPLUS, softplus_libm}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gc_layer *l = gc_activation_new(cases[c].act, 1, 0.0);
        gc_mat *X = gc_mat_new(1, NARR), *Y = gc_mat_new(1, NARR);
        arr_args(X->data);
        l->ops->forward(l, Y, X);
        for (int i = 0; i < NARR; i++) {
            double x = X->data[i], y = Y->data[i], w = cases[c].f(x);
            const char *name = gc_act_name(cases[c].act);
            if (isnan(x) || isinf(x) || isnan(w)) {
                ck_assert_msg(isnan(w) ? isnan(y) : y == w, "%s(%g) = %.17g, libm %.17g", name, x, y, w);
                continue;
            }
            ck_assert_msg(fabs(y - w) <= 20.0 * (DBL_EPSILON / 2) * fabs(w) + 4.0 * 5e-324,
                          "%s(%.17g) = %.17g, libm %.17g", name, x, y, w);
        }
        ck_assert(Y->data[2] == (cases[c].act == GC_ACT_SIGMOID ? 1.0 : INFINITY));
        ck_assert(Y->data[3] == 0.0 && isnan(Y->data[4]));
        gc_mat_free(X); gc_mat_free(Y);
        gc_layer_free(l);
    }
}
END_TEST

/* ---- softmax ------------------------------------------------------------ */

/* Column 0: logits (log 1, log 2, log 3) give (1/6, 2/6, 3/6).  With dY
 * column (1, 0, 0): sum(dY Y) = 1/6, dX = Y (dY - 1/6) = (5/36, -2/36, -3/36).
 * Column 1: the same logits + 1000 (softmax is shift invariant; the max
 * subtraction keeps it finite) with dY = (0, 0, 2): sum = 1,
 * dX = Y (dY - 1) = (-1/6, -2/6, 3/6). */
START_TEST(test_softmax_by_hand)
{
    gc_layer *l = gc_activation_new(GC_ACT_SOFTMAX, 3, 0);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->ops->caps & GC_CAP_ELEMENTWISE, 0);
    gc_mat *X = gc_mat_new(3, 2), *Y = gc_mat_new(3, 2), *dY = gc_mat_new(3, 2), *dX = gc_mat_new(3, 2);
    for (int i = 0; i < 3; i++) {
        GC_AT(X, i, 0) = log(i + 1.0);
        GC_AT(X, i, 1) = 1000.0 + log(i + 1.0);
    }
    GC_AT(dY, 0, 0) = 1.0;
    GC_AT(dY, 2, 1) = 2.0;
    static const double y_want[3] = {1.0 / 6, 2.0 / 6, 3.0 / 6};
    static const double dx_want[3][2] = {{5.0 / 36, -1.0 / 6}, {-2.0 / 36, -2.0 / 6}, {-3.0 / 36, 3.0 / 6}};
    l->ops->forward(l, Y, X);
    l->ops->backward(l, dX, X, Y, dY);
    /* 1e-12: log(i+1) and 1000 + log(i+1) are rounded, an error of ~1e-13
     * relative after exp in column 1. */
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 2; c++) {
            double ry = tu_rel_err(GC_AT(Y, i, c), y_want[i]), rd = tu_rel_err(GC_AT(dX, i, c), dx_want[i][c]);
            ck_assert_msg(ry <= 1e-12, "Y[%d][%d] = %.17g want %.17g rel=%g", i, c, GC_AT(Y, i, c), y_want[i], ry);
            ck_assert_msg(rd <= 1e-12, "dX[%d][%d] = %.17g want %.17g rel=%g", i, c, GC_AT(dX, i, c),
                          dx_want[i][c], rd);
        }
    /* Logits +-1e3 in one column: (1, 0) exactly, finite. */
    gc_mat *X2 = gc_mat_new(2, 1), *Y2 = gc_mat_new(2, 1);
    X2->data[0] = 1e3;
    X2->data[1] = -1e3;
    gc_layer *l2 = gc_activation_new(GC_ACT_SOFTMAX, 2, 0);
    l2->ops->forward(l2, Y2, X2);
    ck_assert_msg(Y2->data[0] == 1.0 && Y2->data[1] == 0.0, "softmax(1e3, -1e3) = (%g, %g)", Y2->data[0],
                  Y2->data[1]);
    gc_mat_free(X2); gc_mat_free(Y2);
    gc_layer_free(l2);
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(dY); gc_mat_free(dX);
    gc_layer_free(l);
}
END_TEST

/* ---- the kink hook ------------------------------------------------------- */

typedef struct kink_case {
    gc_act act;
    double alpha;
    double lo0, hi0, lo1, hi1; /* two elements */
    int want;
} kink_case;

static const kink_case kink_cases[] = {
    {GC_ACT_RELU, 0, -1e-6, 1e-6, 0.5, 0.5, 1},     /* element 0 crosses 0 */
    {GC_ACT_RELU, 0, 0.5, 0.7, -0.7, -0.5, 0},      /* neither does */
    {GC_ACT_RELU, 0, 0.0, 1e-6, 1.0, 1.0, 1},       /* closed interval: 0 at an end */
    {GC_ACT_RELU, 0, 1.0, 1.0, 0.0, 0.0, 0},        /* lo == hi: nothing moves */
    {GC_ACT_RELU, 0, 2.0, 2.0, 1e-7, -1e-7, 1},     /* element 1, hi < lo */
    {GC_ACT_LEAKY_RELU, 0.01, -1e-6, 1e-6, 1, 1, 1},
    {GC_ACT_LEAKY_RELU, 0.01, 1e-6, 3e-6, 1, 1, 0},
    {GC_ACT_ELU, 0.5, -1e-6, 1e-6, 1, 1, 1},        /* slopes 0.5 and 1 at 0 */
    {GC_ACT_ELU, 1.0, -1e-6, 1e-6, 1, 1, 0},        /* alpha 1: smooth at 0 */
};

START_TEST(test_kink_hook)
{
    const kink_case *t = &kink_cases[_i];
    gc_layer *l = gc_activation_new(t->act, 2, t->alpha);
    ck_assert_ptr_nonnull(l->ops->kink);
    gc_mat *lo = gc_mat_new(2, 1), *hi = gc_mat_new(2, 1);
    lo->data[0] = t->lo0; hi->data[0] = t->hi0;
    lo->data[1] = t->lo1; hi->data[1] = t->hi1;
    int got = l->ops->kink(l, lo, hi) != 0;
    ck_assert_msg(got == t->want, "row %d %s: kink([%g,%g], [%g,%g]) = %d, want %d", _i, gc_act_name(t->act),
                  t->lo0, t->hi0, t->lo1, t->hi1, got, t->want);
    gc_mat_free(lo); gc_mat_free(hi);
    gc_layer_free(l);
}
END_TEST

START_TEST(test_smooth_activations_have_no_kink_hook)
{
    static const gc_act smooth[] = {GC_ACT_IDENTITY, GC_ACT_SIGMOID, GC_ACT_TANH, GC_ACT_SOFTPLUS, GC_ACT_GELU,
                                    GC_ACT_SOFTMAX};
    for (size_t i = 0; i < sizeof smooth / sizeof smooth[0]; i++)
        ck_assert_msg(gc_act_ops(smooth[i])->kink == NULL, "%s has a kink hook", gc_act_name(smooth[i]));
}
END_TEST

START_TEST(test_activation_names)
{
    for (int a = 0; a < GC_ACT_COUNT; a++) {
        gc_act back;
        const char *name = gc_act_name((gc_act)a);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(gc_act_from_name(name, &back), GC_OK);
        ck_assert_int_eq(back, a);
    }
    ck_assert_ptr_null(gc_act_name(GC_ACT_COUNT));
    ck_assert_int_eq(gc_act_from_name("swish", NULL), GC_EINVAL);
    ck_assert_str_eq(gc_act_name(GC_ACT_LEAKY_RELU), "leaky_relu");
    ck_assert(gc_act_default_alpha(GC_ACT_LEAKY_RELU) == 0.01);
    ck_assert(gc_act_default_alpha(GC_ACT_ELU) == 1.0);
    ck_assert(gc_act_default_alpha(GC_ACT_RELU) == 0.0);
    ck_assert_ptr_null(gc_activation_new(GC_ACT_COUNT, 2, 0));
    ck_assert_ptr_null(gc_activation_new(GC_ACT_RELU, 0, 0));
    ck_assert_ptr_null(gc_activation_new(GC_ACT_ELU, 2, NAN));
}
END_TEST

Suite *make_layers_suite(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("layers");
    tcase_add_test(tc, test_layer_new_and_params);
    tcase_add_test(tc, test_dense_forward_backward_by_hand);
    tcase_add_loop_test(tc, test_dense_kernels_match_plain_sums, 0, NDENSE_SHAPES);
    tcase_add_loop_test(tc, test_activation_table, 0, NACT_CASES);
    tcase_add_loop_test(tc, test_activation_derivative_vs_central_difference, 0, GC_ACT_COUNT);
    tcase_add_loop_test(tc, test_elementwise_forward_independent_of_position, 0, GC_ACT_COUNT);
    tcase_add_test(tc, test_vector_forwards_agree_with_libm);
    tcase_add_test(tc, test_softmax_by_hand);
    tcase_add_loop_test(tc, test_kink_hook, 0, (int)(sizeof kink_cases / sizeof kink_cases[0]));
    tcase_add_test(tc, test_smooth_activations_have_no_kink_hook);
    tcase_add_test(tc, test_activation_names);
    suite_add_tcase(s, tc);
    return s;
}
