/*
 * gradcheck/layer.h -- the layer contract, the built-in layers and losses.
 *
 * A layer is a pure function of (parameters, input).  It owns its parameter
 * tensors (value and gradient) but no activations: the network owns every
 * activation (the "fprop cache") and hands the layer its input X, its output
 * Y and the upstream gradient dY.
 *
 * To write a layer of your own:
 *   1. write forward and backward (and, if the layer has a point where it is
 *      not differentiable, kink) with the signatures of gc_layer_ops;
 *   2. put them in a static const gc_layer_ops with a type name;
 *   3. construct it with gc_layer_new(&ops, in, out) and give it parameters
 *      with gc_layer_add_param(l, "W", rows, cols);
 *   4. add it to a network with gc_net_add, or check it alone with
 *      gc_check_layer.
 * Nothing in the engine is special-cased by type name.  examples/swish.c is a
 * complete example.
 *
 * Shapes: X is in x B, Y is out x B, one column per example.
 */
#ifndef GRADCHECK_LAYER_H
#define GRADCHECK_LAYER_H

#include "gradcheck/base.h"
#include "gradcheck/mat.h"
#include "gradcheck/pcg32.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- parameter tensors ------------------------------------------------ */

#define GC_NAME_MAX 16

/* A named parameter tensor.  value and grad are rows x cols, row-major, and
 * owned by the layer that holds the tensor.  `name` is the layer's base name
 * ("W") until gc_net_add numbers it ("W1"). */
typedef struct gc_tensor {
    char name[GC_NAME_MAX]; /* NUL-terminated */
    int rows, cols;         /* >= 1 */
    double *value;          /* rows * cols */
    double *grad;           /* rows * cols; backward adds dL/dvalue here */
} gc_tensor;

/* ---- the layer contract ----------------------------------------------- */

typedef struct gc_layer gc_layer;

/* Capabilities a layer may declare; faster engines rely on these, never on
 * the type name, and fall back to plain recomputation when none is set. */
enum {
    /* Y[i][c] = f(X[i][c]) for a fixed scalar f: forward and backward work on
     * any shape of X (they read X->rows, X->cols), in == out, no parameters. */
    GC_CAP_ELEMENTWISE = 1u << 0,
    /* Y = W X + b with param[0] = W (out x in) and param[1] = b (out x 1). */
    GC_CAP_AFFINE = 1u << 1,
    /* The layer computes in float: its parameters hold float values (as
     * doubles) and its forward rounds what it reads to float.  gc_check_layer
     * and gc_check_net (any layer of the network) then run at
     * GC_PRECISION_FLOAT32, with the float32 step and tolerances where the
     * options left float64's defaults (check.h); no engine shortcut
     * depends on it. */
    GC_CAP_FLOAT32 = 1u << 2
};

typedef struct gc_layer_ops {
    /* Type name, as written in a network file ("dense", "relu"). */
    const char *type;
    /* GC_CAP_... bits, or 0. */
    unsigned caps;
    /* Y (out x B) = layer(X (in x B)).  Must not allocate or keep X. */
    void (*forward)(const gc_layer *l, gc_mat *Y, const gc_mat *X);
    /* Given X, Y = forward(X) and dY = dL/dY (all out/in x B): write
     * dX = dL/dX (overwrite; dX may be NULL when nobody needs it) and ADD
     * dL/dθ into each param[i].grad (the network zeroes them first).
     * Must not allocate. */
    void (*backward)(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                     const gc_mat *dY);
    /* Optional (NULL when the layer is smooth everywhere): nonzero when, for
     * some element, a point where the layer is not differentiable (relu at 0)
     * lies in the closed interval between Xlo and Xhi while Xlo != Xhi. */
    int (*kink)(const gc_layer *l, const gc_mat *Xlo, const gc_mat *Xhi);
    /* Optional: release l->priv.  Parameters are freed by gc_layer_free. */
    void (*destroy)(gc_layer *l);
    /* Optional: the bytes of per-call workspace forward and backward use for
     * a batch of `batch` columns (float copies of X, mean/rstd or attention
     * weights that forward caches for the backward of the same X).  Whoever
     * runs the layer reserves it first (gc_layer_reserve: the network at
     * gc_net_set_data, the layer check, the fast engine for each of its
     * threads), so forward and backward need not allocate; forward may
     * write l->work, backward reads what the last forward of the same X
     * left there.  NULL: no workspace (l->work stays NULL). */
    size_t (*workspace)(const gc_layer *l, int batch);
} gc_layer_ops;

#define GC_LAYER_MAX_PARAMS 32

struct gc_layer {
    const gc_layer_ops *ops; /* not owned (usually static) */
    int in, out;             /* rows of X and of Y, >= 1 */
    int nparams;             /* 0 .. GC_LAYER_MAX_PARAMS (16 and more: a transformer
                              * block's dozen tensors fit in one layer) */
    gc_tensor param[GC_LAYER_MAX_PARAMS];
    double alpha;            /* hyper-parameter (leaky_relu, elu); else 0 */
    void *priv;              /* the layer's own state; freed by ops->destroy */
    void *dl;                /* a plugin's shared object (gc_layer_load), closed by
                              * gc_layer_free after everything else; else NULL */
    void *work;              /* ops->workspace's bytes (gc_layer_reserve), zeroed
                              * when reserved, owned; NULL when none */
    size_t work_size;        /* bytes at work */
    /* ---- stochastic layers: randomness the caller replays -------------
     * A layer that draws random numbers in forward (dropout) draws them
     * from rng and from nothing else.  Whoever runs the layer owns the
     * generator and may reseed it identically before each forward call:
     * gc_check_layer does, so that every perturbed forward draws the same
     * mask as the unperturbed one (seed replay).  backward must not draw:
     * it reuses what forward kept in priv (the mask, or the generator state
     * forward started from), since it belongs to the last forward call.
     * NULL (the default from gc_layer_new, and in a network) means no
     * randomness: a dropout layer is then the identity, as at inference.
     * forward may write through priv although the layer is const: priv's
     * memory is the layer's workspace, not its parameters. */
    gc_pcg32 *rng;           /* not owned; NULL: deterministic */
};

/* A new layer with no parameters, or NULL (bad sizes, NULL ops or a NULL
 * type, forward or backward in it, no memory).
 * Free with gc_layer_free (or hand it to gc_net_add, which takes it). */
gc_layer *gc_layer_new(const gc_layer_ops *ops, int in, int out);

/* Add a zero-filled rows x cols parameter named `name` (base name, e.g. "W";
 * the network appends its number).  Returns its index or a negative
 * GC_E... code (too many parameters, bad size, name too long, no memory). */
int gc_layer_add_param(gc_layer *l, const char *name, int rows, int cols);

/* Make l->work hold ops->workspace(l, batch) bytes (kept when already as
 * large; zero-filled when grown).  GC_OK (also for a layer without a
 * workspace), GC_EINVAL (NULL, batch < 1), GC_ENOMEM. */
int gc_layer_reserve(gc_layer *l, int batch);

/* Free the layer, its parameters, and call ops->destroy.  NULL is a no-op. */
void gc_layer_free(gc_layer *l);

/* ---- layer plugins: a layer the gradcheck command can load ------------ */

/* The contract of `gradcheck --layer LIB.so:SYMBOL --in N [--out M]`: the
 * shared object exports SYMBOL with this type, and the command calls it once
 *   gc_layer *SYMBOL(int in, int out, gc_pcg32 *rng);
 * with in, out >= 1 (out = in unless --out is given) and rng seeded from
 * --seed.  It returns a new in -> out layer (the command frees it with
 * gc_layer_free before unloading the library), or NULL when it cannot build
 * that shape (an elementwise layer when in != out).  It should draw its
 * parameters from rng, never from time or rand(), so that --seed repeats a
 * run: parameters left at zero make the check vacuous (the report flags it).
 * in and out are separate so that one contract serves dense-like layers
 * (in != out) and elementwise ones.  The plugin may call any gc_ function:
 * the command exports the whole library.  examples/swish.c (swish_plugin)
 * and examples/scale.c (scale_plugin) are complete plugins.  (Unlike
 * <gradcheck/ck.h>'s gc_ck_layer_factory, the caller picks the shape.)  A
 * factory that needs named hyper-parameters has the second signature,
 * gc_layer_factory, below. */
typedef gc_layer *(*gc_layer_plugin)(int in, int out, gc_pcg32 *rng);

/* ---- hyper-parameters: the second plugin factory ---------------------- */

/* Most named hyper-parameters one layer is given. */
#define GC_LAYER_MAX_ARGS 16

/* A named hyper-parameter (T, C, NH, alpha...): a number, which a factory
 * reads as an int or a double. */
typedef struct gc_layer_arg {
    char name[GC_NAME_MAX]; /* NUL-terminated, 1..15 chars */
    double value;           /* finite */
} gc_layer_arg;

/* What a gc_layer_factory is given.  The readers below mark what they read,
 * so the caller can refuse a hyper-parameter no factory read (a typo). */
typedef struct gc_layer_args {
    int in, out;          /* as gc_layer_plugin's (out = in unless --out) */
    gc_pcg32 *rng;        /* seeded from --seed; draw parameters from it */
    int n;                /* 0 .. GC_LAYER_MAX_ARGS */
    gc_layer_arg arg[GC_LAYER_MAX_ARGS];
    unsigned read;        /* bit k: arg[k] was read */
    unsigned notint;      /* bit k: read as an int but not an integer in int's range */
} gc_layer_args;

/* The second factory signature: `gc_layer *SYMBOL(gc_layer_args *args)`.
 * A shared object declares that SYMBOL has it with GC_LAYER_FACTORY(SYMBOL)
 * beside the definition (it exports SYMBOL_gc_args); the gradcheck command
 * then passes --set's hyper-parameters (`--set T=4,C=8,NH=2`), and a
 * network file's plugin layer its other number keys, through args.  A
 * factory without the declaration is called as a gc_layer_plugin. */
typedef gc_layer *(*gc_layer_factory)(gc_layer_args *args);
#define GC_LAYER_FACTORY(symbol)                                                           \
    extern const int symbol##_gc_args; /* external linkage in C++ too */                 \
    const int symbol##_gc_args = 1

/* Empty args for in, out and rng. */
void gc_layer_args_init(gc_layer_args *a, int in, int out, gc_pcg32 *rng);

/* Set (or replace) a hyper-parameter.  GC_OK, or GC_EINVAL (NULL, a name
 * not 1..15 chars of [A-Za-z0-9_], a value not finite, GC_LAYER_MAX_ARGS
 * already set). */
int gc_layer_args_set(gc_layer_args *a, const char *name, double value);

/* Parse "NAME=NUMBER[,NAME=NUMBER...]" into a (as gc_layer_args_set).
 * GC_OK, or GC_EINVAL with err naming the item ("'NH=two': expected
 * NAME=NUMBER"). */
int gc_layer_args_parse(gc_layer_args *a, const char *list, gc_error *err);

/* The hyper-parameter `name` (marked read), or dflt when it was not given.
 * gc_layer_args_int marks a value that is no integer in int's range (the
 * caller reports it) and returns dflt for it. */
double gc_layer_args_get(gc_layer_args *a, const char *name, double dflt);
int gc_layer_args_int(gc_layer_args *a, const char *name, int dflt);

/* GC_OK when every hyper-parameter was read, as an integer where read as
 * one; else GC_EINVAL with err naming the first that was not ("NHX: no
 * such hyper-parameter" / "NH: expected an integer, got 2.5"). */
int gc_layer_args_check(const gc_layer_args *a, gc_error *err);

/* Load a plugin layer: dlopen `lib` (a path without '/' is a file in the
 * current directory, never a search of the library path), find `symbol`
 * and call it -- as a gc_layer_factory with args when the object declares
 * GC_LAYER_FACTORY(symbol) (afterwards every hyper-parameter must have been
 * read: gc_layer_args_check), else as a gc_layer_plugin with args->in,
 * args->out and args->rng (args->n must then be 0).  The layer returned is
 * checked (the shape asked for, forward and backward, at most
 * GC_LAYER_MAX_PARAMS parameters with storage) and carries the object in
 * l->dl, so gc_layer_free unloads it last.  GC_OK with *out set; GC_EIO (it
 * would not load), GC_EINVAL (no symbol, NULL or a malformed layer,
 * hyper-parameters refused) with a one-line err ("libx.so: no symbol
 * 'f'", "factory returned NULL for in=3 out=3"). */
int gc_layer_load(const char *lib, const char *symbol, gc_layer_args *args, gc_layer **out,
                  gc_error *err);

/* ---- built-in layers -------------------------------------------------- */

/* Dense: Y = W X + b, W out x in, b out x 1 broadcast over columns.
 * Parameters "W" then "b", zero-filled (see gc_net_init_params). */
gc_layer *gc_dense_new(int in, int out);
extern const gc_layer_ops gc_dense_ops;

typedef enum gc_act {
    GC_ACT_IDENTITY,
    GC_ACT_SIGMOID,
    GC_ACT_TANH,
    GC_ACT_RELU,
    GC_ACT_LEAKY_RELU, /* x > 0 ? x : alpha x, alpha default 0.01 */
    GC_ACT_ELU,        /* x > 0 ? x : alpha (e^x - 1), alpha default 1.0 */
    GC_ACT_SOFTPLUS,   /* log(1 + e^x) */
    GC_ACT_GELU,       /* x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 */
    GC_ACT_SOFTMAX,    /* per column */
    GC_ACT_COUNT
} gc_act;

/* An n -> n activation layer.  alpha is used by leaky_relu and elu only. */
gc_layer *gc_activation_new(gc_act act, int n, double alpha);

/* The ops of a built-in activation (so that a variant can reuse forward). */
const gc_layer_ops *gc_act_ops(gc_act act);

/* Name as in a network file ("leaky_relu"); NULL for an invalid act. */
const char *gc_act_name(gc_act act);

/* Parse a name; GC_OK or GC_EINVAL. */
int gc_act_from_name(const char *name, gc_act *act);

/* The default alpha of act (0.01 for leaky_relu, 1.0 for elu, else 0). */
double gc_act_default_alpha(gc_act act);

/* ---- losses ----------------------------------------------------------- */

/* A loss L(P, T) of the network output P and targets T (both out x B).
 * Reductions follow PyTorch's reduction='mean': bce, bce_logits and mse
 * average over every element; softmax_ce sums over units and averages over
 * examples. */
typedef struct gc_loss {
    const char *name; /* as in a network file: "bce" */
    double (*value)(const gc_mat *P, const gc_mat *T);
    /* dP = dL/dP (overwrite). */
    void (*grad)(gc_mat *dP, const gc_mat *P, const gc_mat *T);
    /* Optional: GC_OK when T is a valid target for this loss (bce: every
     * t in [0, 1]; softmax_ce: columns >= 0 summing to 1), else GC_ERANGE
     * with err naming the element as "y[col][row]" (example, unit). */
    int (*check_target)(const gc_mat *T, gc_error *err);
    /* Optional, the loss's batch capability (NULL: the engines ask value()
     * one output at a time): the losses of n variants of the output at once.
     * P is rows x (n B) with variant v in columns v B .. v B + B - 1, T is
     * rows x B (B = T->cols), L has n entries.  Each L[v] is within
     * GC_LOSS_VALUES_BOUND(rows) u |value(P_v, T)| of value (u = 2^-53): the
     * same terms, the elementary functions computed by a vector library.
     * Must not allocate. */
    void (*values)(double *L, const gc_mat *P, const gc_mat *T);
    /* Optional, all three or none, and only beside values (NULL: the
     * engines use values): the same losses when the variants are known to
     * lie near one base output Z (rows x B), such as the unperturbed output
     * of a network whose parameters the variants perturb.
     * base_size(rows, B): the bytes of the state that base fills.
     * base(state, Z, T): from Z and T, what every variant near Z shares
     * (softmax_ce: Z's exps and log-sum-exp); state holds base_size(Z->rows,
     * Z->cols) bytes, aligned as malloc's.  values_near(L, P, T, state):
     * what values(L, P, T) computes, for any P (a variant far from Z, or
     * with a non-finite element, takes values' arithmetic), within the same
     * GC_LOSS_VALUES_BOUND(rows) u |value(P_v, T)| of value; T must be the
     * targets base was given.  Neither allocates; the state is only read by
     * values_near, so threads may share it. */
    size_t (*base_size)(int rows, int B);
    void (*base)(void *state, const gc_mat *Z, const gc_mat *T);
    void (*values_near)(double *L, const gc_mat *P, const gc_mat *T, const void *state);
    /* Optional, both or neither, only beside base (NULL: the engines use
     * values_near): the losses of variants along one line through the
     * base, P_v = Z + w d_v for a column w (rows numbers) and a row d_v (B
     * numbers), as when one hidden unit changes and reaches the output
     * through one affine layer.  line(work, state, w): from the state
     * (filled by base(state, Z, T)) and w, what every variant of the line
     * shares, into work (base_size(rows, B) bytes, aligned as malloc's);
     * 0 when the line cannot be taken (every variant far).  values_line(L,
     * far, d, n, state, work), after line gave 1 for that state and work:
     * d holds n rows of B (d_v at v B); for each v < n either far[v] = 0
     * and L[v] within GC_LOSS_VALUES_BOUND(rows) u |L~| of
     * L~ = value(Z~ + w d_v, T), the output taken exactly and Z~ the base as
     * the state holds it (softmax_ce: Z_k plus Z_i - Z_k rounded, k a
     * column's max row), or far[v] = 1 and L[v] unspecified (the caller
     * computes P_v and asks values_near); returns the number of far
     * variants, and may write work past line's part of it.  Neither
     * allocates; both only read the state. */
    int (*line)(void *work, const void *state, const double *w);
    size_t (*values_line)(double *L, unsigned char *far, const double *d, size_t n,
                          const void *state, void *work);
} gc_loss;

/*
 * The bound of a values op against value, in units of u |L|, for outputs
 * of `rows` units.  softmax_ce's: every exp and log1p of either side is
 * taken within 4 ulp (<= 8u relative) of the exact value (SLEEF states 1.0
 * ulp for its u10 functions, libm's measure below 1), so the two sides'
 * differ by 16u relative; r, the sum of rows - 1 exps, each side within
 * gamma_(rows-1) of its exact sum (the batched one compensated): (2 rows +
 * 14) u r apart; log1p(r) moves by at most that times r / (1 + r) <=
 * log1p(r), plus its own 16u: (2 rows + 30) u; the product with sum t, 2u
 * more; the compensated sums over columns of non-negative terms add 4u of
 * the total and the mean's division 2u: (2 rows + 38) u L, rounded up to
 * cover the second-order terms.
 *
 * softmax_ce's values_near keeps the same bound.  A column whose every
 * |x_i| <= tau = 2^-13 (x_i = a_i - b_i, a_i = P_i - P_k its exponents,
 * b_i = Z_i - Z_k the base's, k the base's max row, still a max of P) is
 * log1p(R) with R = sum_{i != k} e^(a_i), exactly log1p(R') + log1p(Y),
 * R' = sum_{i != k} e^(b_i), Y = sum_i e^(b_i) (e^(x_i) - 1) / (1 + R');
 * write L' = log1p(R').  The base's exps (libm, 8u), their compensated sum
 * (2u) and log1p (8u): log1p(R') within 18u L'; 1 / (1 + R') within 12u.
 * Each term E_i x_i (1 + x_i/2 + x_i^2/6) is within 14u relative plus the
 * truncation x^4/24 e^|x| of e^(b_i) (e^(x_i) - 1), |x| <= tau; summed
 * plainly ((rows - 1) u of sum |terms| <= tau' R', tau' = e^tau - 1) and
 * scaled, y is within ((rows + 26) tau' u + tau^4/24 e^tau) L' of Y
 * (R' / (1 + R') <= L'), and tau^4/24 = u/12; the quartic for log1p(y)
 * adds 4u |y| <= 4u tau' L' (its truncation |y|^5 / 5 < 2^-67 L'), the
 * final sum u.  With L' <= (1 + 2 tau') log1p(R): the new log-sum-exp is
 * within (19.2 + rows / 8000) u of log1p(R), the scalar one within
 * (rows + 14) u (rows - 1 exps summed plainly, 8u each, and log1p's 8u).
 * The terms t_i (m - z_i) are the scalar form's; summed in row order,
 * plainly ((rows - 2) u: row k's is 0), then the compensated sums as
 * above: in all (rows (1 + 1/8000) + 41.2) u L <= (2 rows + 40) u L for
 * rows >= 2 (one row: both 0).  Any other column takes values'
 * arithmetic.
 *
 * softmax_ce's values_line keeps it too, for rows >= 3 and targets that sum
 * to 1 (any other line is far), against L~ at P~ = Z~ + w d, column by
 * column (d one column's change; the columns combined as values_near
 * combines them): there P~_i - P~_k = b_i + x_i exactly, x_i = (w_i - w_k) d.  With c_i = w_i - w_k
 * rounded (u |x_i| each) and |c_i d| <= tau for every row (tested as
 * |d| max|c_i| <= tau: rounding is monotone), y is computed as
 * d (A1 + d (A2 + d A3)), A_n = g S_n / n! and S_n = sum E_i c_i^n summed
 * plainly once: c_i^n and E_i c_i^n (n + 1) u plus c_i's n u and E_i's 8u,
 * the sum (rows - 2) u of sum E_i |c_i|^n, g's 12u and the scaling 2u,
 * Horner's 6u, each relative to sum_n sum E_i |x_i|^n / n! <= tau' R': y
 * within ((rows + 34) tau' u + tau^4/24 e^tau) L' of Y, (rows + 34) for
 * values_near's (rows + 26), so the log-sum-exp is within
 * (19.2 + rows / 5000) u of log1p(R).  The terms: T0 = sum t_i (-b_i) plainly
 * ((rows - 2) u T0, every term >= 0), T1 = sum t_i (-c_i) and T0 + d T1
 * (rows u of sum t_i |x_i|, and u of the result).  Every row i != k has
 * P~_k - P~_i >= -tau, so -log p_i >= log(1 + e^-tau) > 0.69 and
 * sum_{i != k} t_i <= 1.45 L; then sum t_i |x_i| <= 1.45 tau L and
 * T0 <= L + 1.45 tau L (the terms are L - log1p(R) <= L).  In all
 * (rows (1 + 1/2000) + 42.3) u L <= (2 rows + 40) u L for rows >= 3.
 */
#define GC_LOSS_VALUES_BOUND(rows) (2.0 * (double)(rows) + 40.0)

/* bce is on probabilities, as the classic, and unclamped: an output of
 * exactly 0 or 1 gives an Inf or NaN loss, which the engine calls a failure
 * (a saturated sigmoid cannot be checked on probabilities: use bce_logits). */
extern const gc_loss gc_loss_bce;
extern const gc_loss gc_loss_bce_logits; /* stable form on logits */
extern const gc_loss gc_loss_mse;
extern const gc_loss gc_loss_softmax_ce; /* on logits, log-sum-exp */

/* The built-in loss of that name, or NULL. */
const gc_loss *gc_loss_by_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
