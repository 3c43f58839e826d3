/*
 * activation.c -- the built-in activation layers.
 *
 * Every activation but softmax is elementwise, Y[i][c] = f(X[i][c]): it
 * declares GC_CAP_ELEMENTWISE and works on any shape of X (it reads
 * X->rows, X->cols, never l->in).  Each derivative is written from its own
 * formula (the derivation sits above it), never by finite differences, and
 * where it is cheaper and exact it is taken from the cached output Y.
 *
 * Conventions at the kink follow PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha.
 * Numerically stable forms: sigmoid never calls exp of a positive number,
 * softplus is max(x, 0) + log1p(exp(-|x|)), softmax subtracts the column max.
 *
 * sigmoid's and softplus' forwards take their exps (and softplus its log1p)
 * through nn/vmath.h's SLEEF vector functions: an element's value does not
 * depend on its place in the array or on the array's length, so the
 * sparse-change evaluator, which runs a forward on the changed rows only,
 * computes the very bits the reference computes on the whole matrix.
 */
#include "gradcheck/layer.h"
#include "nn/sigmoid.h"
#include "nn/vmath.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* 1 / sqrt(2) and 1 / sqrt(2 pi), to double precision. */
#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

/* ---- scalar functions and derivatives --------------------------------- */
/* f(x, alpha) gives y; d(x, y, alpha) gives dy/dx at x (y = f(x) cached). */

/* identity's f is a copy: identity_forward below. */
/* d/dx x = 1. */
static double identity_d(double x, double y, double a) { (void)x; (void)y; (void)a; return 1.0; }

/* sigmoid's f is gc_sigmoid_from_exp in sigmoid_forward below.
 * sigma' = e^-x / (1 + e^-x)^2 = sigma (1 - sigma): from the cached y. */
static double sigmoid_d(double x, double y, double a) { (void)x; (void)a; return y * (1.0 - y); }

static double tanh_f(double x, double a) { (void)a; return tanh(x); }
/* tanh' = 1 / cosh^2 = 1 - tanh^2: from the cached y. */
static double tanh_d(double x, double y, double a) { (void)x; (void)a; return 1.0 - y * y; }

static double relu_f(double x, double a) { (void)a; return x > 0.0 ? x : 0.0; }
/* relu' = 1 for x > 0, 0 for x < 0; at x = 0 we take 0 as PyTorch does. */
static double relu_d(double x, double y, double a) { (void)y; (void)a; return x > 0.0 ? 1.0 : 0.0; }

static double leaky_f(double x, double a) { return x > 0.0 ? x : a * x; }
/* (alpha x)' = alpha for x < 0, 1 for x > 0; at 0 alpha (PyTorch). */
static double leaky_d(double x, double y, double a) { (void)y; return x > 0.0 ? 1.0 : a; }

static double elu_f(double x, double a) { return x > 0.0 ? x : a * expm1(x); }
/* For x <= 0, y = alpha (e^x - 1), so y' = alpha e^x = y + alpha (cached y);
 * 1 for x > 0.  At 0 we take the left value alpha, as PyTorch does; the two
 * sides agree (smooth) only when alpha = 1. */
static double elu_d(double x, double y, double a) { return x > 0.0 ? 1.0 : y + a; }

/* softplus' f, log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), is in
 * softplus_forward below: the exp argument is <= 0, so it never overflows
 * (finite at +-800, where the naive form gives Inf).
 * d/dx log(1 + e^x) = e^x / (1 + e^x) = sigma(x). */
static double softplus_d(double x, double y, double a) { (void)y; (void)a; return gc_sigmoid(x); }

/* gelu(x) = x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2. */
static double gelu_f(double x, double a) { (void)a; return x * 0.5 * (1.0 + erf(x * INV_SQRT2)); }
/* Product rule: (x Phi(x))' = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi). */
static double gelu_d(double x, double y, double a)
{
    (void)y; (void)a;
    return 0.5 * (1.0 + erf(x * INV_SQRT2)) + x * INV_SQRT2PI * exp(-0.5 * x * x);
}

/* ---- elementwise layers ------------------------------------------------ */

/* dX = dY (.) f'(X), over all rows * cols elements. */
#define EW_BACKWARD(name)                                                        \
    static void name##_backward(gc_layer *l, gc_mat *dX, const gc_mat *X,        \
                                const gc_mat *Y, const gc_mat *dY)               \
    {                                                                            \
        if (dX == NULL)                                                          \
            return;                                                              \
        size_t n = gc_mat_size(X);                                               \
        for (size_t i = 0; i < n; i++)                                           \
            dX->data[i] = dY->data[i] * name##_d(X->data[i], Y->data[i], l->alpha); \
    }

/* Y = f(X) and its backward, over all rows * cols elements. */
#define ELEMENTWISE(name)                                                        \
    static void name##_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)    \
    {                                                                            \
        size_t n = gc_mat_size(X);                                               \
        for (size_t i = 0; i < n; i++)                                           \
            Y->data[i] = name##_f(X->data[i], l->alpha);                         \
    }                                                                            \
    EW_BACKWARD(name)

/* Elements per block of the vector exps below: a few KB on the stack.  A
 * block of the input is copied first, so Y may be X. */
#define EXP_BLOCK 256

/* The forwards below run a span helper on each block, inlined: called with
 * the constant EXP_BLOCK its loops have a fixed length over local arrays,
 * which the compiler vectorises (GC_VVOID: at the CPU's width); the last,
 * shorter block runs the same operations one at a time.  Each element's
 * arithmetic is the same either way (IEEE operations, one SLEEF exp), so
 * its value does not depend on its place in the array. */
#define BLOCKWISE(span, Y, X)                                                    \
    do {                                                                         \
        double xb_[EXP_BLOCK];                                                   \
        size_t n_ = gc_mat_size(X);                                              \
        for (size_t i0_ = 0; i0_ < n_; i0_ += EXP_BLOCK) {                       \
            size_t m_ = n_ - i0_ < EXP_BLOCK ? n_ - i0_ : EXP_BLOCK;             \
            memcpy(xb_, (X)->data + i0_, m_ * sizeof *xb_);                      \
            if (m_ == EXP_BLOCK)                                                 \
                span((Y)->data + i0_, xb_, EXP_BLOCK);                           \
            else                                                                 \
                span((Y)->data + i0_, xb_, m_);                                  \
        }                                                                        \
    } while (0)

/* y = sigma(x) over m <= EXP_BLOCK elements: e = exp(-|x|) through gc_vexp,
 * then gc_sigmoid_from_exp.  sigma(+-Inf) = 1, 0 and sigma(NaN) = NaN, as
 * with libm's exp (SLEEF's special values are libm's). */
static inline void sigmoid_span(double *y, const double *x, size_t m)
{
    double e[EXP_BLOCK];
    for (size_t i = 0; i < m; i++)
        e[i] = -fabs(x[i]);
    gc_vexp(e, e, m);
    for (size_t i = 0; i < m; i++)
        e[i] = gc_sigmoid_from_exp(x[i], e[i]);
    memcpy(y, e, m * sizeof *y);
}

GC_VVOID(sigmoid_forward, (const gc_layer *l, gc_mat *Y, const gc_mat *X), (l, Y, X))
{
    (void)l;
    BLOCKWISE(sigmoid_span, Y, X);
}

/* y = max(x, 0) + log1p(exp(-|x|)) over m <= EXP_BLOCK elements, both
 * functions through nn/vmath.h: softplus(+Inf) = +Inf, softplus(-Inf) = 0,
 * NaN gives NaN (max(NaN, 0) is 0 here, but log1p(exp(NaN)) is NaN). */
static inline void softplus_span(double *y, const double *x, size_t m)
{
    double e[EXP_BLOCK];
    for (size_t i = 0; i < m; i++)
        e[i] = -fabs(x[i]);
    gc_vexp(e, e, m);
    gc_vlog1p(e, e, m);
    for (size_t i = 0; i < m; i++)
        e[i] = (x[i] > 0.0 ? x[i] : 0.0) + e[i]; /* fmax(x, 0), which does not vectorise */
    memcpy(y, e, m * sizeof *y);
}

GC_VVOID(softplus_forward, (const gc_layer *l, gc_mat *Y, const gc_mat *X), (l, Y, X))
{
    (void)l;
    BLOCKWISE(softplus_span, Y, X);
}

/* Y = X, as one memmove: the sparse-change evaluator runs this forward on
 * every batch of perturbed outputs, where an element-by-element loop that
 * the compiler cannot vectorise (Y may alias X) cost more than the copy. */
static void identity_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l;
    if (Y->data != X->data)
        memmove(Y->data, X->data, gc_mat_size(X) * sizeof *Y->data);
}
EW_BACKWARD(identity)
EW_BACKWARD(sigmoid)
ELEMENTWISE(tanh)
ELEMENTWISE(relu)
ELEMENTWISE(leaky)
ELEMENTWISE(elu)
EW_BACKWARD(softplus)
ELEMENTWISE(gelu)

/* relu and leaky_relu are not differentiable at 0: report when, for some
 * element, 0 lies in the closed interval between Xlo and Xhi (Xlo != Xhi). */
static int kink_at_zero(const gc_layer *l, const gc_mat *Xlo, const gc_mat *Xhi)
{
    (void)l;
    size_t n = gc_mat_size(Xlo);
    for (size_t i = 0; i < n; i++) {
        double lo = Xlo->data[i], hi = Xhi->data[i];
        if (lo == hi)
            continue;
        if (fmin(lo, hi) <= 0.0 && fmax(lo, hi) >= 0.0)
            return 1;
    }
    return 0;
}

/* elu has a kink at 0 unless alpha = 1 (then both one-sided slopes are 1). */
static int elu_kink(const gc_layer *l, const gc_mat *Xlo, const gc_mat *Xhi)
{
    return l->alpha == 1.0 ? 0 : kink_at_zero(l, Xlo, Xhi);
}

/* ---- softmax, per column ----------------------------------------------- */

/* Y[i][c] = e^(X[i][c] - m_c) / sum_k e^(X[k][c] - m_c), m_c the column max:
 * the shift cancels and keeps every exp argument <= 0. */
static void softmax_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    (void)l;
    for (int c = 0; c < X->cols; c++) {
        double m = GC_AT(X, 0, c);
        for (int i = 1; i < X->rows; i++)
            m = fmax(m, GC_AT(X, i, c));
        double s = 0.0;
        for (int i = 0; i < X->rows; i++) {
            double e = exp(GC_AT(X, i, c) - m);
            GC_AT(Y, i, c) = e;
            s += e;
        }
        for (int i = 0; i < X->rows; i++)
            GC_AT(Y, i, c) /= s;
    }
}

/* The Jacobian of a column is dy_i/dx_j = y_i (delta_ij - y_j), so
 *   dx_j = sum_i dy_i y_i (delta_ij - y_j) = y_j (dy_j - sum_i dy_i y_i),
 * i.e. dX = Y (.) (dY - sum_rows(dY (.) Y)) column by column. */
static void softmax_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                             const gc_mat *dY)
{
    (void)l;
    if (dX == NULL)
        return;
    for (int c = 0; c < X->cols; c++) {
        double s = 0.0;
        for (int i = 0; i < X->rows; i++)
            s += GC_AT(dY, i, c) * GC_AT(Y, i, c);
        for (int i = 0; i < X->rows; i++)
            GC_AT(dX, i, c) = GC_AT(Y, i, c) * (GC_AT(dY, i, c) - s);
    }
}

/* ---- the table ---------------------------------------------------------- */

#define EW_OPS(nm, fn, kinkfn) \
    {.type = nm, .caps = GC_CAP_ELEMENTWISE, .forward = fn##_forward, \
     .backward = fn##_backward, .kink = kinkfn, .destroy = NULL}

static const gc_layer_ops act_ops[GC_ACT_COUNT] = {
    [GC_ACT_IDENTITY] = EW_OPS("identity", identity, NULL),
    [GC_ACT_SIGMOID] = EW_OPS("sigmoid", sigmoid, NULL),
    [GC_ACT_TANH] = EW_OPS("tanh", tanh, NULL),
    [GC_ACT_RELU] = EW_OPS("relu", relu, kink_at_zero),
    [GC_ACT_LEAKY_RELU] = EW_OPS("leaky_relu", leaky, kink_at_zero),
    [GC_ACT_ELU] = EW_OPS("elu", elu, elu_kink),
    [GC_ACT_SOFTPLUS] = EW_OPS("softplus", softplus, NULL),
    [GC_ACT_GELU] = EW_OPS("gelu", gelu, NULL),
    [GC_ACT_SOFTMAX] = {.type = "softmax", .caps = 0, .forward = softmax_forward,
                        .backward = softmax_backward, .kink = NULL, .destroy = NULL},
};

const gc_layer_ops *gc_act_ops(gc_act act)
{
    if ((int)act < 0 || act >= GC_ACT_COUNT)
        return NULL;
    return &act_ops[act];
}

const char *gc_act_name(gc_act act)
{
    const gc_layer_ops *ops = gc_act_ops(act);
    return ops != NULL ? ops->type : NULL;
}

int gc_act_from_name(const char *name, gc_act *act)
{
    if (name == NULL)
        return GC_EINVAL;
    for (int a = 0; a < GC_ACT_COUNT; a++) {
        if (strcmp(name, act_ops[a].type) == 0) {
            if (act != NULL)
                *act = (gc_act)a;
            return GC_OK;
        }
    }
    return GC_EINVAL;
}

double gc_act_default_alpha(gc_act act)
{
    switch (act) {
    case GC_ACT_LEAKY_RELU: return 0.01;
    case GC_ACT_ELU: return 1.0;
    default: return 0.0;
    }
}

gc_layer *gc_activation_new(gc_act act, int n, double alpha)
{
    const gc_layer_ops *ops = gc_act_ops(act);
    if (ops == NULL)
        return NULL;
    int uses_alpha = act == GC_ACT_LEAKY_RELU || act == GC_ACT_ELU;
    if (uses_alpha && !isfinite(alpha))
        return NULL;
    gc_layer *l = gc_layer_new(ops, n, n);
    if (l != NULL)
        l->alpha = uses_alpha ? alpha : 0.0;
    return l;
}
