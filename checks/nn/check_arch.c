/*
 * check_arch.c -- the random-network builder: arch strings parsed or refused
 * with a message naming what and where, activations one-for-all or one per
 * layer, networks of the right shape with valid targets, reproducible bit
 * for bit from a seed, and the command line that names them.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <string.h>

/* ---- gc_arch_parse ------------------------------------------------------ */

static const struct {
    const char *arch;
    int n;              /* widths expected, or 0 for an error */
    int widths[4];
    const char *msg;    /* substring of the error message */
} arch_cases[] = {
    {"2-2-1", 3, {2, 2, 1}, NULL},
    {"784-100-10", 3, {784, 100, 10}, NULL},
    {"1-1", 2, {1, 1}, NULL},
    {"3-4-5-6", 4, {3, 4, 5, 6}, NULL},
    {"", 0, {0}, "expected widths like 2-2-1, got ''"},
    {"2", 0, {0}, "expected at least two widths"},
    {"2-0-1", 0, {0}, "width 2 of '2-0-1': expected a positive integer, got '0'"},
    {"2--3-1", 0, {0}, "width 2 of '2--3-1': expected a positive integer, got '-3'"},
    {"-2-1", 0, {0}, "width 1 of '-2-1': expected a positive integer, got '-2'"},
    {"2-x-1", 0, {0}, "width 2 of '2-x-1': expected a positive integer, got 'x'"},
    {"2-1-", 0, {0}, "width 3 of '2-1-': expected a positive integer, got ''"},
    {"2-1.5-1", 0, {0}, "got '1.5'"},
    {"2- 2-1", 0, {0}, "got ' 2'"},
    {"2-2-1x", 0, {0}, "width 3 of '2-2-1x'"},
    {"2-9999999-1", 0, {0}, "at most 1000000, got '9999999'"},
    {"2-99999999999999999999-1", 0, {0}, "at most 1000000"},
};

START_TEST(test_arch_parse_table)
{
    int widths[8] = {0};
    int n = -1;
    gc_error err = {0};
    int rc = gc_arch_parse(arch_cases[_i].arch, widths, 8, &n, &err);
    if (arch_cases[_i].n > 0) {
        ck_assert_msg(rc == GC_OK, "'%s': rc %d (%s)", arch_cases[_i].arch, rc, err.msg);
        ck_assert_int_eq(n, arch_cases[_i].n);
        for (int i = 0; i < n; i++)
            ck_assert_msg(widths[i] == arch_cases[_i].widths[i], "'%s': width %d is %d, want %d",
                          arch_cases[_i].arch, i + 1, widths[i], arch_cases[_i].widths[i]);
    } else {
        ck_assert_msg(rc == GC_EINVAL, "'%s': rc %d, want GC_EINVAL", arch_cases[_i].arch, rc);
        ck_assert_msg(strstr(err.msg, arch_cases[_i].msg) != NULL,
                      "'%s': message \"%s\" lacks \"%s\"", arch_cases[_i].arch, err.msg,
                      arch_cases[_i].msg);
    }
}
END_TEST

START_TEST(test_arch_parse_too_many_widths)
{
    int widths[3];
    int n = 0;
    gc_error err = {0};
    ck_assert_int_eq(gc_arch_parse("1-2-3-4", widths, 3, &n, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "more than 3 widths") != NULL, "message: %s", err.msg);
}
END_TEST

/* ---- gc_acts_parse ------------------------------------------------------ */

START_TEST(test_acts_one_for_all_and_per_layer)
{
    gc_act a[3];
    gc_error err = {0};
    ck_assert_int_eq(gc_acts_parse("tanh", 3, a, &err), GC_OK);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(a[k], GC_ACT_TANH);
    ck_assert_int_eq(gc_acts_parse("relu,leaky_relu,sigmoid", 3, a, &err), GC_OK);
    ck_assert_int_eq(a[0], GC_ACT_RELU);
    ck_assert_int_eq(a[1], GC_ACT_LEAKY_RELU);
    ck_assert_int_eq(a[2], GC_ACT_SIGMOID);
}
END_TEST

START_TEST(test_acts_errors_name_the_problem)
{
    gc_act a[3];
    gc_error err = {0};
    ck_assert_int_eq(gc_acts_parse("relu,sigmoid", 3, a, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "2 activations for 3 layers") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(gc_acts_parse("relu,swish,sigmoid", 3, a, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "unknown activation 'swish'") != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "softplus") != NULL, "message lists the names: %s", err.msg);
    ck_assert_int_eq(gc_acts_parse("", 1, a, &err), GC_EINVAL);
    ck_assert_msg(strstr(err.msg, "unknown activation ''") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(gc_acts_parse("relu,", 2, a, &err), GC_EINVAL);
}
END_TEST

/* ---- gc_net_from_arch --------------------------------------------------- */

static gc_net *build(const char *arch, const char *acts, const char *loss, int batch,
                     gc_init init, uint64_t seed)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_arch_seed_rng(&rng, seed);
    gc_net *net = gc_net_from_arch(arch, acts, loss, batch, init, &rng, &err);
    ck_assert_msg(net != NULL, "%s %s %s: %s", arch, acts, loss, err.msg);
    return net;
}

START_TEST(test_from_arch_shapes_and_names)
{
    gc_net *net = build("2-3-1", "tanh,sigmoid", "bce", 4, GC_INIT_XAVIER, 7);
    /* dense, tanh, dense, sigmoid */
    ck_assert_int_eq(net->nlayers, 4);
    ck_assert_str_eq(net->layers[0]->ops->type, "dense");
    ck_assert_str_eq(net->layers[1]->ops->type, "tanh");
    ck_assert_str_eq(net->layers[2]->ops->type, "dense");
    ck_assert_str_eq(net->layers[3]->ops->type, "sigmoid");
    ck_assert_int_eq(net->ntensors, 4);
    static const struct { const char *name; int rows, cols; } want[4] = {
        {"W1", 3, 2}, {"b1", 3, 1}, {"W2", 1, 3}, {"b2", 1, 1}};
    for (int t = 0; t < 4; t++) {
        ck_assert_str_eq(net->tensors[t]->name, want[t].name);
        ck_assert_int_eq(net->tensors[t]->rows, want[t].rows);
        ck_assert_int_eq(net->tensors[t]->cols, want[t].cols);
    }
    ck_assert_int_eq(net->batch, 4);
    ck_assert_int_eq(net->act[0]->rows, 2);
    ck_assert_int_eq(net->act[0]->cols, 4);
    ck_assert_int_eq(net->T->rows, 1);
    ck_assert_int_eq(net->T->cols, 4);
    double L = gc_net_forward(net);
    ck_assert_msg(isfinite(L) && L > 0.0, "bce of a random net is finite and positive: %g", L);
    gc_net_free(net);
}
END_TEST

/* The documented draw order, for init uniform: every parameter U[0, 1) in
 * order W1 b1 W2 b2 row-major, then X row-major N(0, 1), then bce's 0/1
 * targets from gc_pcg32_bounded(rng, 2).  Replaying the same generator by
 * hand must give the same bits. */
START_TEST(test_from_arch_draw_order)
{
    gc_net *net = build("2-2-1", "sigmoid", "bce", 3, GC_INIT_UNIFORM, 11);
    gc_pcg32 rng;
    gc_arch_seed_rng(&rng, 11);
    for (int t = 0; t < net->ntensors; t++) {
        const gc_tensor *p = net->tensors[t];
        for (int i = 0; i < p->rows * p->cols; i++) {
            double want = gc_pcg32_uniform(&rng);
            ck_assert_msg(p->value[i] == want, "%s[%d]: %.17g, want %.17g", p->name, i,
                          p->value[i], want);
        }
    }
    for (size_t i = 0; i < gc_mat_size(net->act[0]); i++) {
        double want = gc_pcg32_normal(&rng);
        ck_assert_msg(net->act[0]->data[i] == want, "x[%zu]: %.17g, want %.17g", i,
                      net->act[0]->data[i], want);
    }
    for (size_t i = 0; i < gc_mat_size(net->T); i++) {
        double want = (double)gc_pcg32_bounded(&rng, 2);
        ck_assert_msg(net->T->data[i] == want, "y[%zu]: %g, want %g", i, net->T->data[i], want);
    }
    gc_net_free(net);
}
END_TEST

static int same_net(const gc_net *a, const gc_net *b)
{
    if (a->ntensors != b->ntensors)
        return 0;
    for (int t = 0; t < a->ntensors; t++)
        if (memcmp(a->tensors[t]->value, b->tensors[t]->value,
                   sizeof(double) * (size_t)(a->tensors[t]->rows * a->tensors[t]->cols)) != 0)
            return 0;
    return memcmp(a->act[0]->data, b->act[0]->data, sizeof(double) * gc_mat_size(a->act[0])) == 0
        && memcmp(a->T->data, b->T->data, sizeof(double) * gc_mat_size(a->T)) == 0;
}

START_TEST(test_from_arch_same_seed_same_bits)
{
    gc_net *a = build("3-5-4-2", "relu,tanh,identity", "mse", 5, GC_INIT_HE, 123);
    gc_net *b = build("3-5-4-2", "relu,tanh,identity", "mse", 5, GC_INIT_HE, 123);
    gc_net *c = build("3-5-4-2", "relu,tanh,identity", "mse", 5, GC_INIT_HE, 124);
    ck_assert_msg(same_net(a, b), "seed 123 twice gave different networks");
    ck_assert_msg(!same_net(a, c), "seeds 123 and 124 gave the same network");
    gc_net_free(a);
    gc_net_free(b);
    gc_net_free(c);
}
END_TEST

/* AUTO: he weights before a relu (W1 is drawn first, so its bits are HE's
 * with the same seed), xavier before a sigmoid (|W2| <= sqrt(6 / (50 + 3))),
 * and biases U(-1/sqrt(in), 1/sqrt(in)), drawn, not zero. */
START_TEST(test_from_arch_auto_init)
{
    gc_net *a = build("4-50-3", "relu,sigmoid", "mse", 2, GC_INIT_AUTO, 9);
    gc_net *h = build("4-50-3", "relu,sigmoid", "mse", 2, GC_INIT_HE, 9);
    /* tensors: W1 b1 W2 b2 */
    const gc_tensor *W1 = a->tensors[0], *b1 = a->tensors[1];
    const gc_tensor *W2 = a->tensors[2], *b2 = a->tensors[3];
    ck_assert_int_eq(a->ntensors, 4);
    ck_assert_mem_eq(W1->value, h->tensors[0]->value, 200 * sizeof(double));
    double a2 = sqrt(6.0 / 53.0);
    for (int i = 0; i < 150; i++)
        ck_assert_msg(fabs(W2->value[i]) <= a2, "W2[%d] = %g beyond xavier's %g", i, W2->value[i], a2);
    int nonzero = 0;
    for (int i = 0; i < 50; i++) {
        ck_assert_msg(fabs(b1->value[i]) <= 0.5, "b1[%d] = %g beyond 1/sqrt(4)", i, b1->value[i]);
        nonzero += b1->value[i] != 0.0;
    }
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(b2->value[i]) <= 1.0 / sqrt(50.0), "b2[%d] = %g", i, b2->value[i]);
    ck_assert_int_eq(nonzero, 50);
    gc_net_free(a);
    gc_net_free(h);
}
END_TEST

/* Targets are valid for their loss: one-hot columns for softmax_ce, 0/1 for
 * bce_logits (both kinds seen over 64 draws: P(all equal) = 2^-63), finite
 * for mse; and the loss takes them (gc_net_set_data ran check_target). */
START_TEST(test_from_arch_targets_valid)
{
    gc_net *net = build("3-4", "identity", "softmax_ce", 16, GC_INIT_XAVIER, 5);
    for (int c = 0; c < 16; c++) {
        double sum = 0.0;
        int ones = 0;
        for (int r = 0; r < 4; r++) {
            double t = GC_AT(net->T, r, c);
            ck_assert_msg(t == 0.0 || t == 1.0, "y[%d][%d] = %g is not 0 or 1", c, r, t);
            ones += t == 1.0;
            sum += t;
        }
        ck_assert_msg(ones == 1 && sum == 1.0, "column %d is not one-hot", c);
    }
    gc_net_free(net);

    net = build("2-2-1-1", "gelu,softplus,identity", "bce_logits", 64, GC_INIT_HE, 5);
    int n0 = 0, n1 = 0;
    for (size_t i = 0; i < gc_mat_size(net->T); i++) {
        double t = net->T->data[i];
        ck_assert_msg(t == 0.0 || t == 1.0, "y[%zu] = %g is not 0 or 1", i, t);
        n0 += t == 0.0;
        n1 += t == 1.0;
    }
    ck_assert_msg(n0 > 0 && n1 > 0, "64 labels all alike: %d zeros, %d ones", n0, n1);
    ck_assert(isfinite(gc_net_forward(net)));
    gc_net_free(net);

    net = build("2-3", "elu", "mse", 2, GC_INIT_UNIFORM, 5);
    for (size_t i = 0; i < gc_mat_size(net->T); i++)
        ck_assert(isfinite(net->T->data[i]));
    ck_assert(isfinite(gc_net_forward(net)));
    gc_net_free(net);
}
END_TEST

static const struct {
    const char *arch, *acts, *loss;
    int batch;
    const char *msg; /* prefix names the field */
} bad_builds[] = {
    {"2-0-1", "sigmoid", "bce", 1, "arch: width 2 of '2-0-1'"},
    {"2", "sigmoid", "bce", 1, "arch: expected at least two widths"},
    {"2-2-1", "sigmoid,relu,tanh", "bce", 1, "act: 3 activations for 2 layers"},
    {"2-2-1", "swish", "bce", 1, "act: unknown activation 'swish'"},
    {"2-2-1", "sigmoid", "hinge", 1, "loss: unknown loss 'hinge'"},
    {"2-2-1", "relu", "bce", 1, "loss: bce takes probabilities"},
    {"2-2-1", "sigmoid", "bce", 0, "batch: expected an integer in 1..1000000, got 0"},
    {"2-2-1", "sigmoid", "bce", -3, "batch: expected an integer in 1..1000000, got -3"},
};

START_TEST(test_from_arch_errors)
{
    gc_pcg32 rng;
    gc_error err = {0};
    gc_arch_seed_rng(&rng, 1);
    gc_net *net = gc_net_from_arch(bad_builds[_i].arch, bad_builds[_i].acts, bad_builds[_i].loss,
                                   bad_builds[_i].batch, GC_INIT_UNIFORM, &rng, &err);
    ck_assert_msg(net == NULL, "row %d built a network", _i);
    ck_assert_int_eq(err.code, GC_EINVAL);
    ck_assert_msg(strncmp(err.msg, bad_builds[_i].msg, strlen(bad_builds[_i].msg)) == 0,
                  "row %d: message \"%s\" does not start with \"%s\"", _i, err.msg,
                  bad_builds[_i].msg);
    gc_net_free(net);
}
END_TEST

START_TEST(test_from_arch_null_rng)
{
    gc_error err = {0};
    ck_assert_ptr_null(gc_net_from_arch("2-1", "sigmoid", "bce", 1, GC_INIT_UNIFORM, NULL, &err));
    ck_assert_int_eq(err.code, GC_EINVAL);
}
END_TEST

/* ---- gc_arch_command, init names ---------------------------------------- */

START_TEST(test_arch_command_text)
{
    static const char want[] =
        "gradcheck --arch 2-2-1 --act sigmoid --loss bce --batch 1 --seed 7 --init uniform";
    char buf[128];
    int n = gc_arch_command(buf, sizeof buf, "2-2-1", "sigmoid", "bce", 1, 7, GC_INIT_UNIFORM);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
    /* Too small a buffer: truncated, terminated, and the length it needed. */
    char small[10];
    n = gc_arch_command(small, sizeof small, "2-2-1", "sigmoid", "bce", 1, 7, GC_INIT_UNIFORM);
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert_str_eq(small, "gradcheck");
    /* The largest seed prints in full (it is a uint64_t). */
    gc_arch_command(buf, sizeof buf, "3-1", "relu,sigmoid", "mse", 8, UINT64_MAX, GC_INIT_HE);
    ck_assert_str_eq(buf, "gradcheck --arch 3-1 --act relu,sigmoid --loss mse --batch 8 "
                          "--seed 18446744073709551615 --init he");
    ck_assert_int_lt(gc_arch_command(buf, sizeof buf, NULL, "relu", "mse", 1, 1, GC_INIT_HE), 0);
}
END_TEST

START_TEST(test_init_names_round_trip)
{
    static const gc_init all[] = {GC_INIT_UNIFORM, GC_INIT_XAVIER, GC_INIT_HE, GC_INIT_AUTO};
    for (int i = 0; i < 4; i++) {
        gc_init back = (gc_init)-1;
        const char *name = gc_init_name(all[i]);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(gc_init_from_name(name, &back), GC_OK);
        ck_assert_int_eq(back, all[i]);
    }
    ck_assert_str_eq(gc_init_name(GC_INIT_XAVIER), "xavier");
    ck_assert_str_eq(gc_init_name(GC_INIT_AUTO), "auto");
    ck_assert_ptr_null(gc_init_name((gc_init)42));
    ck_assert_int_eq(gc_init_from_name("glorot", NULL), GC_EINVAL);
}
END_TEST

Suite *make_arch_suite(void)
{
    Suite *s = suite_create("arch");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_arch_parse_table, 0,
                        (int)(sizeof arch_cases / sizeof arch_cases[0]));
    tcase_add_test(tc, test_arch_parse_too_many_widths);
    tcase_add_test(tc, test_acts_one_for_all_and_per_layer);
    tcase_add_test(tc, test_acts_errors_name_the_problem);
    suite_add_tcase(s, tc);

    tc = tcase_create("build");
    tcase_add_test(tc, test_from_arch_shapes_and_names);
    tcase_add_test(tc, test_from_arch_draw_order);
    tcase_add_test(tc, test_from_arch_same_seed_same_bits);
    tcase_add_test(tc, test_from_arch_auto_init);
    tcase_add_test(tc, test_from_arch_targets_valid);
    tcase_add_loop_test(tc, test_from_arch_errors, 0,
                        (int)(sizeof bad_builds / sizeof bad_builds[0]));
    tcase_add_test(tc, test_from_arch_null_rng);
    suite_add_tcase(s, tc);

    tc = tcase_create("command");
    tcase_add_test(tc, test_arch_command_text);
    tcase_add_test(tc, test_init_names_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
