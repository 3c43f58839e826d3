/*
 * check_planted.c -- a gradient wrong by 1e-3 relative in one element is
 * refuted (fail), never undecided, on every fixture network, by both
 * engines.
 *
 * The bug is planted in the analytic side only: the layer that owns the
 * tensor gets a backward that runs its own and then scales one element of
 * the tensor's gradient by 1 + 1e-3.  The element is the tensor's largest
 * |dL/dθ|, so that 1e-3 |a| is far above atol (tensors whose largest is
 * below 1e-4 are skipped; every fixture has at least one above).  The band at
 * that element is rtol |a| = 1e-5 |a| and the bound there is ~1e-10: a
 * refutation needs |a - n| = 1e-3 |a| > band + bound, two orders of margin.
 */
#include <check.h>
#include <gradcheck.h>
#include <gradcheck/netfile.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define PLANTED_REL 1e-3

static const char *const NETS[] = {
    "act_first_mse",         "classic",         "deep4_logits_b1",
    "deep4_softmax_ce_soft", "elu_default_softplus_mse", "gelu_softmax_ce_onehot",
    "leaky_elu_mse",         "relu_bce_logits", "softmax_bce",
    "tanh_bce_batch",
};
#define NNETS ((int)(sizeof NETS / sizeof NETS[0]))

/* What the planted backward needs: the layer's own ops and the element. */
typedef struct planted {
    const gc_layer_ops *own;
    void *own_priv;
    int param;
    size_t elem;
} planted;

static void planted_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                             const gc_mat *dY)
{
    planted *p = l->priv;
    l->priv = p->own_priv;
    p->own->backward(l, dX, X, Y, dY);
    l->priv = p;
    l->param[p->param].grad[p->elem] *= 1.0 + PLANTED_REL;
}

/* The largest |grad| of tensor t after a backward pass. */
static size_t largest(const gc_tensor *t)
{
    size_t best = 0, n = (size_t)t->rows * (size_t)t->cols;
    for (size_t i = 1; i < n; i++)
        if (fabs(t->grad[i]) > fabs(t->grad[best]))
            best = i;
    return best;
}

START_TEST(test_planted_1e3_is_refuted)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/nets/%s.json", tu_fixtures(), NETS[_i / 2]);
    gc_error err = {0};
    gc_net *net = gc_net_load(path, GC_INIT_UNIFORM, NULL, &err);
    ck_assert_msg(net != NULL, "%s: %s", path, err.msg);
    int planted_in = 0;
    for (int t = 0; t < net->ntensors; t++) {
        gc_net_forward(net);
        gc_net_backward(net);
        gc_tensor *ten = net->tensors[t];
        size_t e = largest(ten);
        if (!(fabs(ten->grad[e]) >= 1e-4))
            continue;
        gc_layer *l = net->layers[net->tensor_layer[t]];
        planted p = {l->ops, l->priv, (int)(ten - l->param), e};
        gc_layer_ops ops = *l->ops;
        ops.backward = planted_backward;
        l->ops = &ops;
        l->priv = &p;
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.engine = _i % 2 ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
        const char *names[] = {ten->name, NULL};
        o.params = names;
        gc_report *r = NULL;
        ck_assert_int_eq(gc_check_net(net, &o, &r, &err), GC_OK);
        l->ops = p.own;
        l->priv = p.own_priv;
        int row = (int)(e / (size_t)ten->cols), col = (int)(e % (size_t)ten->cols);
        for (size_t k = 0; k < r->nrows; k++) {
            const gc_row *w = &r->rows[k];
            int is_planted = w->row == row && w->col == col;
            ck_assert_msg(is_planted ? w->verdict == GC_FAIL : w->verdict == GC_PASS,
                          "%s %s (%s engine) %s[%d][%d]: analytic=%.17g numeric=%.17g bound "
                          "%.3g band %.3g: %s (%s)%s", NETS[_i / 2], ten->name,
                          gc_engine_name(o.engine), ten->name, w->row, w->col, w->analytic,
                          w->numeric, w->num_err, w->band, gc_verdict_name(w->verdict),
                          gc_reason_name(w->reason), is_planted ? ", the planted element" : "");
        }
        ck_assert_int_eq(gc_report_status(r), GC_STATUS_REFUTED);
        gc_report_free(r);
        planted_in++;
    }
    ck_assert_msg(planted_in >= 1, "%s: %d tensors with a gradient >= 1e-4", NETS[_i / 2],
                  planted_in);
    gc_net_free(net);
}
END_TEST

Suite *make_planted_suite(void)
{
    Suite *s = suite_create("planted");
    TCase *tc = tcase_create("planted");
    tcase_add_loop_test(tc, test_planted_1e3_is_refuted, 0, 2 * NNETS);
    suite_add_tcase(s, tc);
    return s;
}
