/*
 * check_escalate.c -- Ridders' escalation refutes only with an
 * extrapolation whose steps converge at the expansion's rate
 * (lib/engine/escalate.c, converged()).
 *
 * The network (drawn by the property suite's test_inadmissible_never_fail,
 * GC_SEED=64209 case 74): gradcheck --arch 7-11-16-6-12 --act
 * elu,tanh,softplus,gelu --loss mse --batch 3 --seed 752919304940693659
 * --init uniform --inputs.  Example 1's pre-activation z = -8.46e-5 of
 * unit 10 of the first layer reaches 0 when x[4][1] moves by +9.5e-5:
 * elu (alpha 1) is continuous with its first derivative there, but its
 * second derivative jumps from e^z to 0.  The loss is not C² within the
 * escalation's steps (from h0 = 6.2e-3), so the central differences' error
 * is not c h² + ...: at h0 and h0/2 it is -4.97e-7 and -4.78e-7, nearly
 * equal, and the first extrapolation 0.00486998 gets the estimate 1.03e-7
 * (the second search, by √2 from h0/1.19, alike); h0/4 gives -2.9e-7, a
 * ratio of differences of 0.1 where the expansion says 4.  Evaluated in
 * 60-digit decimal arithmetic from the network's exact binary values
 * (`bench/driver ... --save net.json`, then `scripts/exact-derivative
 * net.json x 4 1`; mpmath at 60 digits, h = 1e-25, agrees),
 * dL/dx[4][1] = 0.0048704543424978155; backprop says 0.00487045434249,
 * right to 11 digits.  A build with the order test off
 * (-DGC_ESC_ORDER_MUTANT) refutes x[4][1], and fails this test.
 */
#include <check.h>
#include <gradcheck.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_testutil.h"

#define EXACT_DX41 0.0048704543424978155

static gc_net *elu_c1_net(void)
{
    return tu_arch_net("7-11-16-6-12", "elu,tanh,softplus,gelu", "mse", 3,
                       UINT64_C(752919304940693659));
}

/* Both engines: nothing refuted; x[4][1], whose a is the exact derivative
 * within the band, is undecided "unconverged"; the report is undecided
 * (exit status 3). */
START_TEST(test_escalate_unconverged_not_refuted)
{
    gc_net *net = elu_c1_net();
    gc_report *r = tu_check_with_inputs(net, _i);
    tu_assert_no_fail(r);
    const gc_row *w = tu_find_row(r, "x", 4, 1);
    ck_assert(fabs(w->analytic - EXACT_DX41) <= w->band);
    ck_assert_msg(w->verdict == GC_UNDECIDED && w->reason == GC_REASON_UNCONVERGED,
                  "x[4][1]: %s (%s)", gc_verdict_name(w->verdict), gc_reason_name(w->reason));
    ck_assert(w->escalated);
    ck_assert_int_eq(gc_report_status(r), GC_STATUS_UNDECIDED);
    ck_assert(r->restored);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

Suite *make_escalate_suite(void)
{
    Suite *s = suite_create("escalate");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_escalate_unconverged_not_refuted, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
