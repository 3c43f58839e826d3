/*
 * check_confirm.c -- a refutation at step ε stands only when the difference
 * at ε / GC_CONFIRM_FACTOR shows that its truncation cannot explain it
 * (lib/engine/row.c, confirm; lib/engine/verdict.c, gc_fail_confirmed).
 *
 * The network (drawn by the property suite's test_inadmissible_never_fail,
 * GC_SEED=20261206 case 79): gradcheck --arch 15-2-8-9 --act
 * relu,leaky_relu,elu --loss softmax_ce --batch 8 --seed
 * 3972916580032665213 --init xavier --inputs.  Xavier's biases are 0 and
 * both relu units of the first layer are 0 for examples 5 and 7, so every
 * pre-activation of those examples in the later layers is exactly 0: the
 * last layer's elu (alpha 1) sits on its C¹ point, where its second
 * derivative jumps from 1 to 0.  Moving b3[8] moves both examples' z3[8]
 * across it, so the central difference at ε is off by O(ε), not O(ε²):
 * n(ε) - a = 2.42e-8 against a band of 1e-8 and a bound of 1.4e-9 (which
 * presumes third-order smoothness), while the one-sided slopes differ by
 * only 1.0e-8, far inside the kink test's smooth range.  Evaluated in
 * 60-digit decimal arithmetic from the network's exact binary values
 * (`bench/driver ... --save net.json`, then `scripts/exact-derivative
 * net.json b3 8 0`), dL/db3[8] = 0.000202790206724267452809742; backprop
 * says 0.00020279020672428483, right to 13 digits.  Before the confirming
 * step the check refuted it; at ε/4 the difference is off by about a
 * quarter as much, so the truncation shown by the two steps covers the
 * discrepancy and the element goes on to the escalation, which cannot
 * decide it within the band (undecided, "noise").  A build without the
 * confirming step (-DGC_CONFIRM_MUTANT) refutes b3[8][0] and fails
 * test_confirm_c1_point_not_refuted.
 */
#include <check.h>
#include <gradcheck.h>
#include <engine/verdict.h>

#include "engine_testutil.h"

#include <math.h>
#include <stdint.h>

#define EXACT_DB3_8 0.000202790206724267452809742

static gc_net *c1_point_net(void)
{
    return tu_arch_net_init("15-2-8-9", "relu,leaky_relu,elu", "softmax_ce", 8, GC_INIT_XAVIER,
                            UINT64_C(3972916580032665213));
}

/* Both engines: nothing refuted, b3[8][0] (a within the band of the exact
 * derivative) undecided after the escalation, the report undecided. */
START_TEST(test_confirm_c1_point_not_refuted)
{
    gc_net *net = c1_point_net();
    gc_report *r = tu_check_with_inputs(net, _i);
    tu_assert_no_fail(r);
    const gc_row *w = tu_find_row(r, "b3", 8, 0);
    ck_assert(fabs(w->analytic - EXACT_DB3_8) <= 1e-3 * w->band);
    ck_assert_msg(w->verdict == GC_UNDECIDED && w->reason == GC_REASON_NOISE && w->escalated,
                  "b3[8][0]: %s (%s)", gc_verdict_name(w->verdict), gc_reason_name(w->reason));
    ck_assert_int_eq(gc_report_status(r), GC_STATUS_UNDECIDED);
    ck_assert(r->restored);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

/* The rule on constructed points, central at ε = 1e-6, a = 1, band 1e-5
 * (rtol), bound 1e-9, slopes' roundoff 1e-10 at ε and 4e-10 at ε/4:
 *   n(ε) = 1 + 4e-5 and n(ε/4) = 1 + 1e-5 (an error linear in the step):
 *     the truncation shown is 4/3 (3e-5 + 5e-10) = 4.00007e-5, more than
 *     |a - n| = 4e-5 minus the band: not confirmed;
 *   n(ε/4) = 1 + 4e-5 too (the same error at both steps, a wrong a): the
 *     truncation shown is 6.7e-10, |a - n| = 4e-5 > 1.00004e-5 + 1e-9 +
 *     6.7e-10: confirmed, and at b = 1e-6 still (the worst corner: |a - n|
 *     - b = 3.9e-5 against 1.00041e-5 + 1e-9 + 2e-12 + 4/3 (5e-6 + 5e-10));
 *   n(ε/4) NaN: never confirmed. */
START_TEST(test_confirm_rule)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    gc_fd_point p = {.numeric = 1.0 + 4e-5, .bound = 1e-9, .trunc_est = NAN, .noise = 1e-10,
                     .conf_noise = 4e-10, .step = 1e-6, .floor = 0.0, .finite = 1};
    p.conf_n = 1.0 + 1e-5;
    ck_assert(!gc_fail_confirmed(1.0, &p, &o, 0.0));
    p.conf_n = 1.0 + 4e-5;
    ck_assert(gc_fail_confirmed(1.0, &p, &o, 0.0));
    ck_assert(gc_fail_confirmed(1.0, &p, &o, 1e-6));
    ck_assert(!gc_fail_confirmed(1.0, &p, &o, 1e-5));
    p.conf_n = NAN;
    ck_assert(!gc_fail_confirmed(1.0, &p, &o, 0.0));
}
END_TEST

Suite *make_confirm_suite(void)
{
    Suite *s = suite_create("confirm");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_confirm_c1_point_not_refuted, 0, 2);
    tcase_add_test(tc, test_confirm_rule);
    suite_add_tcase(s, tc);
    return s;
}
