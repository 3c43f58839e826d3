/*
 * classic_main.c -- `make demo`: gradient checking of the classic 2-layer
 * network, the way the classic notes do it.
 *
 * The notes draw W1, b1, W2, b2 and x with np.random.rand, y with
 * np.random.randint(0, 2), run fprop and bprop, then perturb every element
 * of every parameter by ±eps and print the backprop gradient beside the
 * numerical one.  Here the draws come from PCG32 (initstate 1, stream 54),
 * fprop/bprop are the hand-written classic ones (examples/classic.c), and
 * the numerical side is libgradcheck's engine run on the same network
 * built from generic parts.  Exit status 0 when every element passes, 1
 * otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gradcheck.h>

#include "classic.h"

/* The backprop value of element (r, c) of the named parameter. */
static double bprop_value(const classic_grads *g, const char *name, int r, int c)
{
    switch (name[0] == 'W' ? (name[1] == '1' ? 0 : 2) : (name[1] == '1' ? 1 : 3)) {
    case 0: return g->dW1[r][c];
    case 1: return g->db1[r];
    case 2: return g->dW2[c];
    default: return g->db2;
    }
}

int main(void)
{
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1u, 54u);
    classic_params p;
    classic_params_rand(&p, &rng);               /* W1, b1, W2, b2 ~ U[0, 1) */
    double x[2] = {gc_pcg32_uniform(&rng), gc_pcg32_uniform(&rng)};
    double y = (double)gc_pcg32_bounded(&rng, 2); /* 0 or 1 */

    classic_cache cache;
    classic_grads g;
    double loss = classic_fprop(&cache, x, y, &p);
    classic_bprop(&g, &cache);

    gc_error err = {0};
    gc_net *net = classic_net(&p, x, y, &err);
    if (net == NULL) {
        fprintf(stderr, "classic: %s\n", err.msg);
        return 1;
    }
    gc_report *r = NULL;
    if (gc_check_net(net, NULL, &r, &err) != GC_OK) {
        fprintf(stderr, "classic: %s\n", err.msg);
        gc_net_free(net);
        return 1;
    }

    printf("Gradient checking the classic network: x (2x1) -> dense W1 b1 -> sigmoid\n"
           "-> dense W2 b2 -> sigmoid -> binary cross-entropy.\n\n"
           "x = [%.6f, %.6f]^T, y = %g, loss = %.10f\n\n", x[0], x[1], y, loss);
    printf("Every element theta of every parameter is nudged by eps = %g both ways:\n"
           "  numeric = (L(theta + eps) - L(theta - eps)) / (2 eps).\n"
           "Why both ways: by Taylor, the even-power terms cancel, so the central\n"
           "difference is off by eps^2 L'''/6 (~1e-13 here), while the one-sided\n"
           "(L(theta+eps) - L(theta))/eps is off by eps L''/2 (~1e-7): a million times\n"
           "worse.  The ~1e-9 you see below is roundoff: L is known to ~1e-16 |L|,\n"
           "and dividing by 2 eps magnifies that to ~1e-10 |L|.\n"
           "Why a relative error: |a - n| / max(|a|, |n|) does not care whether a\n"
           "gradient is 1e3 or 1e-3, so one threshold fits every element.\n\n", r->opts.eps);

    double max_bprop_diff = 0.0;
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        printf("%s (%dx%d)\n  %-34s  %-34s  %s\n", tr->name, tr->rows, tr->cols,
               "backprop (classic bprop)", "numeric (central difference)", "rel_err");
        for (int i = 0; i < tr->rows; i++) {
            char a[160] = "", n[160] = "", e[160] = "";
            size_t la = 0, ln = 0, le = 0;
            for (int j = 0; j < tr->cols; j++) {
                const gc_row *w = &r->rows[tr->first + (size_t)i * (size_t)tr->cols + (size_t)j];
                double b = bprop_value(&g, tr->name, i, j);
                double d = fabs(b - w->analytic);
                if (!(d <= max_bprop_diff))
                    max_bprop_diff = d;
                la += (size_t)snprintf(a + la, sizeof a - la, "%s% .10f", j ? " " : "[", b);
                ln += (size_t)snprintf(n + ln, sizeof n - ln, "%s% .10f", j ? " " : "[",
                                       w->numeric);
                le += (size_t)snprintf(e + le, sizeof e - le, "%s%.1e", j ? " " : "[",
                                       w->rel_err);
            }
            printf("  %-34s  %-34s  %s]\n", strcat(a, "]"), strcat(n, "]"), e);
        }
        printf("\n");
    }
    printf("The classic bprop and libgradcheck's generic backprop agree to %.1e.\n",
           max_bprop_diff);
    printf("Reading rel_err: > 1e-2 wrong; 1e-2..1e-4 suspicious; 1e-4..1e-7 plausible\n"
           "with kinks; < 1e-7 good.\n\n");

    /* Generic and classic backprop compute the same sums in the same
     * order up to the loss's fused dz2 = a2 - y: they agree to a few ulps. */
    int failed = gc_report_failed(r) || !(max_bprop_diff <= 1e-12);
    printf("verdict: %s (%d of %zu elements pass, %d fail)\n", failed ? "FAIL" : "PASS",
           r->npass, r->nrows, r->nfail);
    gc_report_free(r);
    gc_net_free(net);
    return failed ? 1 : 0;
}
