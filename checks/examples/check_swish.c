/*
 * check_swish.c -- the user-defined swish example: declared capabilities,
 * value and derivative at hand-picked points, any X shape.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>

#include "swish.h"
#include "testutil.h"

/* sigma(1) = e / (1 + e) = 0.7310585786300049, sigma(-1) = 1 - sigma(1). */
#define S1 0.7310585786300049

typedef struct swish_case {
    double x, y, dy, tol;
} swish_case;

/* swish(x) = x sigma(x); swish'(x) = sigma(x) (1 + x (1 - sigma(x))). */
static const swish_case swish_cases[] = {
    /* x = 0: y = 0, y' = sigma(0) = 1/2. */
    {0.0, 0.0, 0.5, 0},
    /* x = 1: y = sigma(1); y' = sigma(1) (2 - sigma(1)) = 0.9276705118714869. */
    {1.0, S1, S1 * (2 - S1), 1e-15},
    /* x = -1: y = -sigma(-1) = -(1 - S1); y' = sigma(-1) (1 - (1 - sigma(-1)))
     * = sigma(-1)^2. */
    {-1.0, -(1 - S1), (1 - S1) * (1 - S1), 1e-14},
    /* x = 1000: sigma = 1, y = 1000, y' = 1 (1 + 1000 * 0) = 1. */
    {1000.0, 1000.0, 1.0, 0},
    /* x = -1000: sigma(-1000) underflows to 0 (no overflow of e^1000): y = 0,
     * y' = 0; both finite. */
    {-1000.0, 0.0, 0.0, 0},
};

START_TEST(test_swish_table)
{
    const swish_case *t = &swish_cases[_i];
    gc_layer *l = swish_new(1);
    ck_assert_ptr_nonnull(l);
    /* Elementwise: a layer built for n = 1 works on a 3 x 2 X. */
    gc_mat *X = gc_mat_new(3, 2), *Y = gc_mat_new(3, 2), *dY = gc_mat_new(3, 2), *dX = gc_mat_new(3, 2);
    gc_mat_fill(X, t->x);
    gc_mat_fill(dY, 2.0); /* dX = 2 swish'(x): the chain rule factor passes through */
    l->ops->forward(l, Y, X);
    l->ops->backward(l, dX, X, Y, dY);
    for (int i = 0; i < 6; i++) {
        double ry = tu_rel_err(Y->data[i], t->y), rd = tu_rel_err(dX->data[i], 2 * t->dy);
        ck_assert_msg(isfinite(Y->data[i]) && ry <= t->tol, "swish(%g) element [%d][%d] = %.17g want %.17g rel=%g",
                      t->x, i / 2, i % 2, Y->data[i], t->y, ry);
        ck_assert_msg(isfinite(dX->data[i]) && rd <= t->tol,
                      "2 swish'(%g) element [%d][%d] = %.17g want %.17g rel=%g", t->x, i / 2, i % 2, dX->data[i],
                      2 * t->dy, rd);
    }
    gc_mat_free(X); gc_mat_free(Y); gc_mat_free(dY); gc_mat_free(dX);
    gc_layer_free(l);
}
END_TEST

START_TEST(test_swish_declares_elementwise)
{
    ck_assert_str_eq(swish_ops.type, "swish");
    ck_assert_uint_eq(swish_ops.caps, GC_CAP_ELEMENTWISE);
    ck_assert_ptr_null(swish_ops.kink);
    gc_layer *l = swish_new(4);
    ck_assert_int_eq(l->in, 4);
    ck_assert_int_eq(l->out, 4);
    ck_assert_int_eq(l->nparams, 0);
    gc_layer_free(l);
    ck_assert_ptr_null(swish_new(0));
}
END_TEST

Suite *make_swish_suite(void)
{
    Suite *s = suite_create("swish");
    TCase *tc = tcase_create("swish");
    tcase_add_loop_test(tc, test_swish_table, 0, (int)(sizeof swish_cases / sizeof swish_cases[0]));
    tcase_add_test(tc, test_swish_declares_elementwise);
    suite_add_tcase(s, tc);
    return s;
}
