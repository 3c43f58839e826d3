/*
 * check_net.c -- the network: chaining errors, parameter numbering, data
 * validation, a forward/backward pass computed by hand, forward_from and the
 * forward-call count, deterministic initialisation, and backward against a
 * central difference computed here (independent of the engine).
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_testutil.h"
#include "testutil.h"

/* A user layer "scale": Y = s X with a 1 x 1 parameter s. */
static void scale_fwd(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    for (size_t i = 0; i < gc_mat_size(X); i++)
        Y->data[i] = l->param[0].value[0] * X->data[i];
}

/* dL/ds = sum dY X; dX = s dY. */
static void scale_bwd(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y, const gc_mat *dY)
{
    (void)Y;
    for (size_t i = 0; i < gc_mat_size(X); i++) {
        l->param[0].grad[0] += dY->data[i] * X->data[i];
        if (dX != NULL)
            dX->data[i] = l->param[0].value[0] * dY->data[i];
    }
}

static const gc_layer_ops scale_ops = {.type = "scale", .forward = scale_fwd, .backward = scale_bwd};

static gc_layer *scale_new(int n)
{
    gc_layer *l = gc_layer_new(&scale_ops, n, n);
    if (l != NULL && gc_layer_add_param(l, "s", 1, 1) < 0) {
        gc_layer_free(l);
        return NULL;
    }
    return l;
}

START_TEST(test_net_add_checks_chaining)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_error err = {0};
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 3), &err), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_TANH, 3, 0), &err), GC_OK);
    /* layers[2] takes 4 inputs but layers[1] gives 3; the layer is freed (valgrind). */
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(4, 1), &err), GC_ESHAPE);
    ck_assert_str_eq(err.msg, "layers[2]: expected in = 3, got 4");
    ck_assert_int_eq(net->nlayers, 2);
    ck_assert_int_eq(gc_net_in(net), 2);
    ck_assert_int_eq(gc_net_out(net), 3);
    ck_assert_int_eq(gc_net_add(net, NULL, &err), GC_EINVAL);
    ck_assert_ptr_null(gc_net_new(NULL));
    gc_net_free(net);
    gc_net_free(NULL);
}
END_TEST

START_TEST(test_net_numbers_params)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 3), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, scale_new(3), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 3, 0), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 1), NULL), GC_OK);
    ck_assert_int_eq(gc_net_add(net, scale_new(1), NULL), GC_OK);
    static const char *const want[] = {"W1", "b1", "s1", "W2", "b2", "s2"};
    static const int want_layer[] = {0, 0, 1, 3, 3, 4};
    ck_assert_int_eq(net->ntensors, 6);
    for (int t = 0; t < 6; t++) {
        ck_assert_msg(strcmp(net->tensors[t]->name, want[t]) == 0, "tensors[%d] = %s, want %s", t,
                      net->tensors[t]->name, want[t]);
        ck_assert_int_eq(net->tensor_layer[t], want_layer[t]);
        int layer = -1;
        ck_assert_ptr_eq(gc_net_find_tensor(net, want[t], &layer), net->tensors[t]);
        ck_assert_int_eq(layer, want_layer[t]);
    }
    ck_assert_ptr_null(gc_net_find_tensor(net, "W3", NULL));
    ck_assert_ptr_null(gc_net_find_tensor(net, "W", NULL));
    gc_net_free(net);
}
END_TEST

/* Dense 2 -> 1, W = (1, -1), b = 0.5, identity, mse; X = [[1 2] [3 1]]
 * (columns x = (1,3) and (2,1)), T = (0, 1).
 *   z = (1 - 3 + 0.5, 2 - 1 + 0.5) = (-1.5, 1.5); errors (-1.5, 0.5)
 *   L = (2.25 + 0.25) / 2 = 1.25
 *   dz = 2 (z - t) / N = (-1.5, 0.5)
 *   dW = dz X^T = (-1.5*1 + 0.5*2, -1.5*3 + 0.5*1) = (-0.5, -4); db = -1
 *   dX = W^T dz: column 0 = (-1.5, 1.5), column 1 = (0.5, -0.5). */
static gc_net *hand_net(void)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_net_add(net, gc_dense_new(2, 1), NULL);
    gc_net_add(net, gc_activation_new(GC_ACT_IDENTITY, 1, 0), NULL);
    gc_tensor *W = gc_net_find_tensor(net, "W1", NULL), *b = gc_net_find_tensor(net, "b1", NULL);
    W->value[0] = 1;
    W->value[1] = -1;
    b->value[0] = 0.5;
    gc_mat *X = gc_mat_new(2, 2), *T = gc_mat_new(1, 2);
    static const double x[4] = {1, 2, 3, 1};
    memcpy(X->data, x, sizeof x);
    T->data[1] = 1;
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

START_TEST(test_net_forward_backward_by_hand)
{
    gc_net *net = hand_net();
    ck_assert_int_eq(net->batch, 2);
    double L = gc_net_forward(net);
    /* Exact in double: halves and quarters. */
    ck_assert_msg(L == 1.25 && net->loss_value == 1.25, "L = %.17g, want 1.25", L);
    gc_net_backward(net);
    gc_tensor *W = gc_net_find_tensor(net, "W1", NULL), *b = gc_net_find_tensor(net, "b1", NULL);
    ck_assert_msg(W->grad[0] == -0.5 && W->grad[1] == -4.0, "dW1 = (%g, %g), want (-0.5, -4)", W->grad[0],
                  W->grad[1]);
    ck_assert_msg(b->grad[0] == -1.0, "db1 = %g, want -1", b->grad[0]);
    static const double dx[4] = {-1.5, 0.5, 1.5, -0.5};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(net->dact[0]->data[i] == dx[i], "dX[%d][%d] = %g, want %g", i / 2, i % 2,
                      net->dact[0]->data[i], dx[i]);
    /* Backward zeroes first: a second call gives the same, not double. */
    gc_net_backward(net);
    ck_assert_msg(W->grad[1] == -4.0, "dW1[0][1] after a second backward = %g, want -4", W->grad[1]);
    gc_net_free(net);
}
END_TEST

START_TEST(test_net_set_data_errors)
{
    gc_net *net = gc_net_new(&gc_loss_bce);
    gc_error err = {0};
    gc_mat *X = gc_mat_new(2, 3), *T = gc_mat_new(1, 3), *Xbad = gc_mat_new(3, 3), *Tbad = gc_mat_new(1, 2);
    ck_assert_int_eq(gc_net_set_data(net, X, T, &err), GC_EINVAL); /* empty network */
    gc_net_add(net, gc_dense_new(2, 1), NULL);
    gc_net_add(net, gc_activation_new(GC_ACT_SIGMOID, 1, 0), NULL);
    ck_assert_int_eq(gc_net_set_data(net, Xbad, T, &err), GC_ESHAPE);
    ck_assert_str_eq(err.msg, "x: expected 2 features per example, got 3");
    ck_assert_int_eq(gc_net_set_data(net, X, Tbad, &err), GC_ESHAPE);
    ck_assert_int_eq(gc_net_set_data(net, X, Xbad, &err), GC_ESHAPE);
    GC_AT(X, 1, 2) = NAN;
    ck_assert_int_eq(gc_net_set_data(net, X, T, &err), GC_ERANGE);
    ck_assert_str_eq(err.msg, "x[2][1]: expected a finite value, got nan");
    GC_AT(X, 1, 2) = 0.0;
    GC_AT(T, 0, 1) = 2.0; /* bce rejects it: check_target is consulted */
    ck_assert_int_eq(gc_net_set_data(net, X, T, &err), GC_ERANGE);
    ck_assert_str_eq(err.msg, "y[1][0]: expected a value in [0, 1], got 2");
    ck_assert_int_eq(net->batch, 0);
    ck_assert(isnan(gc_net_forward(net))); /* no data: NaN, not a crash */
    GC_AT(T, 0, 1) = 1.0;
    ck_assert_int_eq(gc_net_set_data(net, X, T, &err), GC_OK);
    ck_assert_int_eq(net->batch, 3);
    ck_assert_int_eq(net->act[2]->rows, 1);
    ck_assert_int_eq(net->act[1]->cols, 3);
    /* The network keeps a copy. */
    GC_AT(X, 0, 0) = 42.0;
    ck_assert(GC_AT(net->act[0], 0, 0) == 0.0);
    gc_mat_free(X); gc_mat_free(T); gc_mat_free(Xbad); gc_mat_free(Tbad);
    gc_net_free(net);
}
END_TEST

/* A 4-layer net for counting: dense 3->4, tanh, dense 4->2, softplus, mse. */
static gc_net *small_net(const gc_loss *loss, gc_act a1, gc_act a2, int B, uint64_t seed)
{
    gc_net *net = gc_net_new(loss);
    gc_net_add(net, gc_dense_new(3, 4), NULL);
    gc_net_add(net, gc_activation_new(a1, 4, a1 == GC_ACT_ELU ? 0.7 : gc_act_default_alpha(a1)), NULL);
    gc_net_add(net, gc_dense_new(4, 2), NULL);
    gc_net_add(net, gc_activation_new(a2, 2, gc_act_default_alpha(a2)), NULL);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 3u);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &rng), GC_OK);
    /* Xavier leaves biases at 0; give them values so db is exercised. */
    for (int t = 0; t < net->ntensors; t++)
        if (net->tensors[t]->cols == 1)
            for (int i = 0; i < net->tensors[t]->rows; i++)
                net->tensors[t]->value[i] = gc_pcg32_uniform(&rng) - 0.5;
    gc_mat *X = gc_mat_new(3, B), *T = gc_mat_new(2, B);
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = 2 * gc_pcg32_uniform(&rng) - 1;
    for (int c = 0; c < B; c++) {
        double u = gc_pcg32_uniform(&rng);
        GC_AT(T, 0, c) = u; /* in [0, 1], and columns (u, 1 - u) sum to 1 */
        GC_AT(T, 1, c) = 1 - u;
    }
    ck_assert_int_eq(gc_net_set_data(net, X, T, NULL), GC_OK);
    gc_mat_free(X);
    gc_mat_free(T);
    return net;
}

START_TEST(test_net_forward_from_and_count)
{
    gc_net *net = small_net(&gc_loss_mse, GC_ACT_TANH, GC_ACT_SOFTPLUS, 3, 11u);
    ck_assert_uint_eq(net->nforward, 0);
    double L = gc_net_forward(net);
    ck_assert(isfinite(L));
    ck_assert_uint_eq(net->nforward, 4);
    for (int k = 0; k <= 4; k++) {
        unsigned long long before = net->nforward;
        double Lk = gc_net_forward_from(net, k);
        /* Same operations on the same cached inputs: bit-identical. */
        ck_assert_msg(Lk == L, "forward_from(%d) = %.17g, full forward = %.17g", k, Lk, L);
        ck_assert_msg(net->nforward - before == (unsigned long long)(4 - k), "forward_from(%d) ran %llu layers", k,
                      net->nforward - before);
    }
    ck_assert(isnan(gc_net_forward_from(net, 5)));
    ck_assert(isnan(gc_net_forward_from(net, -1)));
    /* A change to W2 is seen by forward_from(2), the layer that holds it. */
    gc_net_find_tensor(net, "W2", NULL)->value[0] += 0.1;
    double L2 = gc_net_forward_from(net, 2);
    ck_assert(L2 != L);
    ck_assert(gc_net_forward(net) == L2);
    gc_net_free(net);
}
END_TEST

START_TEST(test_net_init_params)
{
    /* UNIFORM: the raw draws in order W1 (row-major), b1, W2, b2. */
    gc_net *net = gc_net_new(&gc_loss_mse);
    gc_net_add(net, gc_dense_new(2, 2), NULL);
    gc_net_add(net, gc_dense_new(2, 1), NULL);
    gc_pcg32 a, b;
    gc_pcg32_seed(&a, 5u, 9u);
    gc_pcg32_seed(&b, 5u, 9u);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_UNIFORM, &a), GC_OK);
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows * net->tensors[t]->cols; i++) {
            double want = gc_pcg32_uniform(&b);
            ck_assert_msg(net->tensors[t]->value[i] == want, "%s[%d] = %g, want draw %g", net->tensors[t]->name,
                          i, net->tensors[t]->value[i], want);
        }
    gc_net_free(net);

    /* XAVIER: weights within +-sqrt(6 / (in + out)), biases 0, and a dense
     * 1 -> 3 layer's 3 x 1 W is drawn (it is a weight, not a bias). */
    net = gc_net_new(&gc_loss_mse);
    gc_net_add(net, gc_dense_new(1, 3), NULL);
    gc_net_add(net, gc_dense_new(3, 5), NULL);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, &a), GC_OK);
    gc_tensor *W1 = gc_net_find_tensor(net, "W1", NULL), *W2 = gc_net_find_tensor(net, "W2", NULL);
    int nonzero = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert(fabs(W1->value[i]) <= sqrt(6.0 / 4));
        nonzero += W1->value[i] != 0.0;
        ck_assert(gc_net_find_tensor(net, "b1", NULL)->value[i] == 0.0);
    }
    ck_assert_int_ge(nonzero, 1);
    for (int i = 0; i < 15; i++)
        ck_assert(fabs(W2->value[i]) <= sqrt(6.0 / 8));
    gc_net_free(net);
}
END_TEST

/* Backward against a central difference of the network's own loss, for
 * every parameter element and every input element, over nets mixing the
 * smooth activations and each loss.  h = 1e-5: with L and its derivatives of
 * order 1, truncation h^2 L''' / 6 ~ 1e-11 and rounding 1e-16 / h ~ 1e-11,
 * so 1e-6 relative (or 1e-9 absolute for near-zero entries) holds with a wide
 * margin while any wrong backward formula is off by far more. */
typedef struct fd_case {
    const gc_loss *loss;
    gc_act a1, a2;
} fd_case;

static const fd_case fd_cases[] = {
    {&gc_loss_mse, GC_ACT_TANH, GC_ACT_IDENTITY},
    {&gc_loss_bce, GC_ACT_GELU, GC_ACT_SIGMOID},
    {&gc_loss_bce_logits, GC_ACT_SOFTPLUS, GC_ACT_IDENTITY},
    {&gc_loss_softmax_ce, GC_ACT_ELU, GC_ACT_TANH},
    {&gc_loss_mse, GC_ACT_SIGMOID, GC_ACT_SOFTMAX},
    /* Piecewise-linear: these seeds put no pre-activation within h of 0
     * (a kink there would show as a failure naming the element). */
    {&gc_loss_mse, GC_ACT_RELU, GC_ACT_IDENTITY},
    {&gc_loss_bce_logits, GC_ACT_LEAKY_RELU, GC_ACT_IDENTITY},
};

static void check_fd(gc_net *net, double *v, double a, const char *name, int i)
{
    const double h = 1e-5;
    double v0 = *v;
    *v = v0 + h;
    double Lp = gc_net_forward(net);
    *v = v0 - h;
    double Lm = gc_net_forward(net);
    *v = v0;
    double n = (Lp - Lm) / (2 * h), r = tu_rel_err(a, n);
    ck_assert_msg(r <= 1e-6 || fabs(a - n) <= 1e-9, "%s[%d]: analytic=%.17g numeric=%.17g rel=%g", name, i, a, n, r);
}

START_TEST(test_net_backward_vs_central_difference)
{
    const fd_case *c = &fd_cases[_i];
    gc_net *net = small_net(c->loss, c->a1, c->a2, 3, 100u + (uint64_t)_i);
    gc_net_forward(net);
    gc_net_backward(net);
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *tn = net->tensors[t];
        int n = tn->rows * tn->cols;
        double grad[16];
        memcpy(grad, tn->grad, (size_t)n * sizeof(double));
        for (int i = 0; i < n; i++)
            check_fd(net, &tn->value[i], grad[i], tn->name, i);
    }
    double dx[9];
    memcpy(dx, net->dact[0]->data, sizeof dx);
    for (int i = 0; i < 9; i++)
        check_fd(net, &net->act[0]->data[i], dx[i], "x", i);
    gc_net_free(net);
}
END_TEST

/* gc_net_backward sets a dense layer's gradients (it does not zero and
 * add): the bits must be those of zeroing them and calling each layer's
 * own backward (which adds), whatever the gradients held before, at B = 1
 * (the dense layer's one-column kernels) and at B = 3. */
START_TEST(test_net_backward_sets_what_zero_and_add_give)
{
    const int B = _i == 0 ? 1 : 3;
    gc_net *net = small_net(&gc_loss_mse, GC_ACT_SIGMOID, GC_ACT_IDENTITY, B, 40u + (uint64_t)_i);
    gc_net_forward(net);
    double want[64], got[64];
    int m = 0;
    for (int t = 0; t < net->ntensors; t++) { /* stale gradients, and -0.0 */
        gc_tensor *tn = net->tensors[t];
        for (int i = 0; i < tn->rows * tn->cols; i++)
            tn->grad[i] = i % 2 ? -0.0 : 7.0;
    }
    gc_net_backward(net);
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *tn = net->tensors[t];
        memcpy(got + m, tn->grad, (size_t)(tn->rows * tn->cols) * sizeof(double));
        memset(tn->grad, 0, (size_t)(tn->rows * tn->cols) * sizeof(double));
        m += tn->rows * tn->cols;
    }
    ck_assert_int_le(m, 64);
    for (int k = net->nlayers - 1; k >= 0; k--) { /* dact[nlayers]: the loss's, as left */
        gc_layer *l = net->layers[k];
        l->ops->backward(l, net->dact[k], net->act[k], net->act[k + 1], net->dact[k + 1]);
    }
    m = 0;
    for (int t = 0; t < net->ntensors; t++) {
        gc_tensor *tn = net->tensors[t];
        memcpy(want + m, tn->grad, (size_t)(tn->rows * tn->cols) * sizeof(double));
        m += tn->rows * tn->cols;
    }
    for (int i = 0; i < m; i++)
        ck_assert_msg(memcmp(&got[i], &want[i], sizeof got[i]) == 0,
                      "B %d: gradient %d = %a after stale values, zero and add give %a", B, i,
                      got[i], want[i]);
    gc_net_free(net);
}
END_TEST

/* An init that is none of gc_init's values, or a NULL net or generator, is
 * GC_EINVAL and changes nothing: neither a parameter nor the generator
 * (gc_net_init_params returned void and left the values as they were for an
 * unknown init, so a caller could not tell it had drawn nothing). */
START_TEST(test_net_init_params_refuses_unknown_init)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(2, 2), NULL), GC_OK);
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows * net->tensors[t]->cols; i++)
            net->tensors[t]->value[i] = 42.0;
    gc_pcg32 rng, keep;
    gc_pcg32_seed(&rng, 5u, 9u);
    keep = rng;
    ck_assert_int_eq(gc_net_init_params(net, (gc_init)7, &rng), GC_EINVAL);
    ck_assert_int_eq(gc_net_init_params(net, (gc_init)-1, &rng), GC_EINVAL);
    ck_assert_int_eq(gc_net_init_params(NULL, GC_INIT_XAVIER, &rng), GC_EINVAL);
    ck_assert_int_eq(gc_net_init_params(net, GC_INIT_XAVIER, NULL), GC_EINVAL);
    ck_assert_msg(memcmp(&rng, &keep, sizeof rng) == 0, "the generator moved");
    for (int t = 0; t < net->ntensors; t++)
        for (int i = 0; i < net->tensors[t]->rows * net->tensors[t]->cols; i++)
            ck_assert_msg(net->tensors[t]->value[i] == 42.0, "%s[%d] = %g, was 42",
                          net->tensors[t]->name, i, net->tensors[t]->value[i]);
    gc_net_free(net);
}
END_TEST

/* 1e5 layers, dense and relu alternating, are added in linear time (the
 * type count was a scan of every earlier layer: quadratic, about a minute
 * here; the "linear" test case's timeout guards it), numbered per type, with every
 * tensor in order. */
START_TEST(test_net_add_many_layers)
{
    enum { N = 100000 };
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    gc_error err = {0};
    for (int k = 0; k < N; k++) {
        gc_layer *l = k % 2 == 0 ? gc_dense_new(1, 1) : gc_activation_new(GC_ACT_RELU, 1, 0.0);
        ck_assert_int_eq(gc_net_add(net, l, &err), GC_OK);
    }
    ck_assert_int_eq(net->nlayers, N);
    ck_assert_int_eq(net->ntensors, N); /* W and b of N / 2 dense layers */
    ck_assert_str_eq(net->tensors[0]->name, "W1");
    ck_assert_str_eq(net->tensors[N - 1]->name, "b50000");
    ck_assert_int_eq(net->tensor_layer[N - 1], N - 2);
    ck_assert_ptr_eq(net->tensors[N - 2], &net->layers[N - 2]->param[0]);
    gc_net_free(net);
}
END_TEST

/* A network built by hand (arrays exactly full, no index) takes more
 * layers through gc_net_add and numbers them after the ones it has. */
START_TEST(test_net_add_to_hand_built)
{
    gc_net *net = calloc(1, sizeof *net);
    ck_assert_ptr_nonnull(net);
    net->loss = &gc_loss_mse;
    net->layers = malloc(sizeof *net->layers);
    net->tensors = malloc(2 * sizeof *net->tensors);
    net->tensor_layer = malloc(2 * sizeof *net->tensor_layer);
    ck_assert(net->layers != NULL && net->tensors != NULL && net->tensor_layer != NULL);
    net->layers[0] = gc_dense_new(2, 3);
    ck_assert_ptr_nonnull(net->layers[0]);
    strcpy(net->layers[0]->param[0].name, "W1");
    strcpy(net->layers[0]->param[1].name, "b1");
    for (int p = 0; p < 2; p++) {
        net->tensors[p] = &net->layers[0]->param[p];
        net->tensor_layer[p] = 0;
    }
    net->nlayers = 1;
    net->ntensors = 2;
    gc_error err = {0};
    ck_assert_int_eq(gc_net_add(net, gc_dense_new(3, 1), &err), GC_OK);
    ck_assert_int_eq(net->ntensors, 4);
    ck_assert_str_eq(net->tensors[2]->name, "W2");
    ck_assert_str_eq(net->tensors[3]->name, "b2");
    ck_assert_int_eq(net->tensor_layer[3], 1);
    gc_net_free(net);
}
END_TEST

/* gc_net_set_data copies X and T: handing it the network's own input and
 * targets (to re-set the same data, or to resize after gc_net_add) must
 * read them before the old cache is freed.  Before the fix it freed
 * act[0] and T first and then copied from the freed memory (ASan:
 * heap-use-after-free; plain: the first doubles read back as allocator
 * pointers). */
START_TEST(test_set_data_from_the_networks_own_buffers)
{
    gc_net *net = tu_small_net();
    double x0[4], t0[2];
    memcpy(x0, net->act[0]->data, sizeof x0);
    memcpy(t0, net->T->data, sizeof t0);
    double L0 = gc_net_forward(net);
    gc_error err = {0};
    ck_assert_int_eq(gc_net_set_data(net, net->act[0], net->T, &err), GC_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(memcmp(&net->act[0]->data[i], &x0[i], sizeof x0[i]) == 0,
                      "x element %d: %.17g, was %.17g", i, net->act[0]->data[i], x0[i]);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(memcmp(&net->T->data[i], &t0[i], sizeof t0[i]) == 0,
                      "y element %d: %.17g, was %.17g", i, net->T->data[i], t0[i]);
    /* same data, same parameters: the same loss to the bit */
    double L1 = gc_net_forward(net);
    ck_assert_msg(memcmp(&L0, &L1, sizeof L0) == 0, "loss %.17g, was %.17g", L1, L0);
    gc_net_free(net);
}
END_TEST

/* gc_net_add numbers a layer's parameters in an array of
 * GC_LAYER_MAX_PARAMS names: a hand-built layer claiming more is refused
 * (GC_EINVAL, and freed: the network takes it even on failure), not written
 * past the array. */
START_TEST(test_net_add_refuses_too_many_params)
{
    gc_net *net = gc_net_new(&gc_loss_mse);
    ck_assert_ptr_nonnull(net);
    gc_layer *l = gc_dense_new(2, 2);
    ck_assert_ptr_nonnull(l);
    /* gc_net_add frees the storage of the GC_LAYER_MAX_PARAMS slots
     * param[] has (here the two real tensors): nothing leaks, nothing is
     * freed twice (make sanitize and make valgrind check both) */
    l->nparams = GC_LAYER_MAX_PARAMS + 1;
    gc_error err = {0};
    ck_assert_int_eq(gc_net_add(net, l, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "parameters") != NULL, "err: %s", err.msg);
    ck_assert_int_eq(net->nlayers, 0);
    gc_net_free(net);
}
END_TEST

Suite *make_net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, test_net_add_checks_chaining);
    tcase_add_test(tc, test_net_numbers_params);
    tcase_add_test(tc, test_net_forward_backward_by_hand);
    tcase_add_test(tc, test_net_set_data_errors);
    tcase_add_test(tc, test_net_forward_from_and_count);
    tcase_add_test(tc, test_net_init_params);
    tcase_add_loop_test(tc, test_net_backward_vs_central_difference, 0, (int)(sizeof fd_cases / sizeof fd_cases[0]));
    tcase_add_loop_test(tc, test_net_backward_sets_what_zero_and_add_give, 0, 2);
    tcase_add_test(tc, test_net_init_params_refuses_unknown_init);
    tcase_add_test(tc, test_net_add_to_hand_built);
    tcase_add_test(tc, test_set_data_from_the_networks_own_buffers);
    tcase_add_test(tc, test_net_add_refuses_too_many_params);
    suite_add_tcase(s, tc);
    /* 1e5 layers: about 0.05 s of CPU here, 40 s when construction was
     * quadratic; 30 s of wall clock leaves room for a loaded machine and
     * the sanitizers and still fails the quadratic one */
    tc = tcase_create("linear");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_net_add_many_layers);
    suite_add_tcase(s, tc);
    return s;
}
