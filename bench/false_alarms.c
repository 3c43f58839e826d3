/*
 * false_alarms.c -- how often does gradcheck call a correct network wrong?
 *
 * Draws N random networks as `gradcheck --arch` builds them (depth 1-4
 * dense layers, widths 1-32, an activation after each dense layer from all
 * nine, every loss, every init, batch 1-8; the description itself drawn from
 * PCG32(seed)), checks each with the default options and tallies the
 * outcome: every backprop here is the library's own, which agrees with
 * PyTorch's (fixtures/), so every "fail" is a false alarm of the checker.
 *
 * usage: false_alarms [N [SEED [relu]]]    ("relu": relu and leaky_relu only)
 * Prints one line per outcome (pass, fail, undecided, each split by whether
 * the loss at θ is finite), the undecided ones by reason, and the `gradcheck`
 * command of the first networks of each non-pass outcome, and how close
 * the numerics' errors came to their bounds.  Exit 0 when no network
 * failed.
 */
#include <gradcheck.h>
#include <gradcheck/arch.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const acts_all[] = {"identity", "sigmoid", "tanh",     "relu",   "leaky_relu",
                                       "elu",      "softplus", "gelu", "softmax"};
static const char *const acts_relu[] = {"relu", "leaky_relu"};
static const char *const losses[] = {"bce", "bce_logits", "mse", "softmax_ce"};
static const gc_init inits[] = {GC_INIT_UNIFORM, GC_INIT_XAVIER, GC_INIT_HE, GC_INIT_AUTO};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SHOW 5

typedef struct config {
    char arch[128], acts[256];
    const char *loss;
    int batch;
    gc_init init;
    uint64_t seed;
} config;

static void draw(config *c, gc_pcg32 *rng, int relu_only)
{
    int depth = 1 + (int)gc_pcg32_bounded(rng, 4);
    size_t na = relu_only ? COUNT(acts_relu) : COUNT(acts_all);
    const char *const *acts = relu_only ? acts_relu : acts_all;
    int n = snprintf(c->arch, sizeof c->arch, "%d", 1 + (int)gc_pcg32_bounded(rng, 32));
    c->acts[0] = '\0';
    for (int k = 0; k < depth; k++) {
        n += snprintf(c->arch + n, sizeof c->arch - (size_t)n, "-%d",
                      1 + (int)gc_pcg32_bounded(rng, 32));
        size_t used = strlen(c->acts);
        snprintf(c->acts + used, sizeof c->acts - used, "%s%s", k ? "," : "",
                 acts[gc_pcg32_bounded(rng, (uint32_t)na)]);
    }
    c->loss = losses[gc_pcg32_bounded(rng, COUNT(losses))];
    c->batch = 1 + (int)gc_pcg32_bounded(rng, 8);
    c->init = inits[gc_pcg32_bounded(rng, COUNT(inits))];
    c->seed = gc_pcg32_next(rng);
}

enum { PASS, FAIL, NONFINITE_FAIL, UNDECIDED, NONFINITE_UNDECIDED, ERROR, NOUTCOMES };
static const char *const outcome_names[] = {"pass",
                                            "fail (loss finite)",
                                            "fail (loss not finite)",
                                            "undecided (loss finite)",
                                            "undecided (loss not finite)",
                                            "not built"};

/* The outcome of one checked network; an undecided one also counts every
 * reason its elements show, once per network. */
static int outcome_of(const gc_report *r, long *by_reason)
{
    gc_status st = gc_report_status(r);
    int finite = isfinite(r->loss);
    if (st == GC_STATUS_REFUTED)
        return finite ? FAIL : NONFINITE_FAIL;
    if (st == GC_STATUS_CONFIRMED)
        return PASS;
    for (int w = 1; w < GC_NREASONS; w++)
        by_reason[w] += r->nreason[w] > 0;
    if (r->nundecided == 0)
        by_reason[0]++; /* vacuous only */
    return finite ? UNDECIDED : NONFINITE_UNDECIDED;
}

/* How close the numeric's error comes to its bound B at the default step:
 * over the rows of a network with a finite loss that are smooth at ε (not
 * escalated, no kink, no hook, |s+ - s-| <= 1e-4 max(1, |s-|), B > 0) and
 * large enough for the relative band (below atol the analytic side's own
 * rounding, e.g. σ(z) - t rounded to 0, dominates |a - n|), the
 * largest |a - n| / B and how many exceed 1/4 and 1 (the bound's margin,
 * lib/engine/numdiff.h). */
typedef struct bound_tally {
    long rows, above_quarter, above_one;
    double worst;
    char worst_cmd[512];
} bound_tally;

static void tally_bound(bound_tally *b, const gc_report *r, const config *c)
{
    if (!isfinite(r->loss))
        return;
    for (size_t k = 0; k < r->nrows; k++) {
        const gc_row *w = &r->rows[k];
        if (w->escalated || w->verdict == GC_KINK || w->hook || !(w->num_err > 0.0) ||
            !isfinite(w->num_err) || !(w->band > r->opts.atol))
            continue;
        if (!isnan(w->slope_lo) &&
            !(fabs(w->slope_hi - w->slope_lo) <= 1e-4 * fmax(1.0, fabs(w->slope_lo))))
            continue;
        double q = w->abs_err / w->num_err;
        b->rows++;
        b->above_quarter += q > 0.25;
        b->above_one += q > 1.0;
        if (q > b->worst) {
            b->worst = q;
            gc_arch_command(b->worst_cmd, sizeof b->worst_cmd, c->arch, c->acts, c->loss,
                            c->batch, c->seed, c->init);
        }
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    int relu_only = argc > 3 && strcmp(argv[3], "relu") == 0;
    long count[NOUTCOMES] = {0}, by_reason[GC_NREASONS] = {0}, nrows = 0, nesc = 0;
    bound_tally bound = {0, 0, 0, 0.0, ""};
    int shown[NOUTCOMES] = {0};
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 0x5ca1ab1eu);
    for (long i = 0; i < n; i++) {
        config c;
        draw(&c, &rng, relu_only);
        gc_pcg32 net_rng;
        gc_error err = {0};
        gc_arch_seed_rng(&net_rng, c.seed);
        gc_net *net = gc_net_from_arch(c.arch, c.acts, c.loss, c.batch, c.init, &net_rng, &err);
        gc_report *r = NULL;
        gc_check_opts o;
        gc_check_opts_init(&o);
        o.seed = c.seed;
        o.threads = 1;
        int outcome = ERROR;
        if (net != NULL && gc_check_net(net, &o, &r, &err) == GC_OK) {
            outcome = outcome_of(r, by_reason);
            nrows += (long)r->nrows;
            nesc += r->nescalated;
            tally_bound(&bound, r, &c);
        }
        if (outcome == ERROR && strstr(err.msg, "bce takes probabilities") != NULL) {
            /* bce after a non-probability output: the network file is refused,
             * so it is no network to count */
            gc_net_free(net);
            i--;
            continue;
        }
        count[outcome]++;
        if (outcome != PASS && shown[outcome]++ < SHOW) {
            char cmd[512];
            gc_arch_command(cmd, sizeof cmd, c.arch, c.acts, c.loss, c.batch, c.seed, c.init);
            printf("  %s: %s%s%s\n", outcome_names[outcome], cmd, outcome == ERROR ? ": " : "",
                   outcome == ERROR ? err.msg : "");
        }
        gc_report_free(r);
        gc_net_free(net);
    }
    printf("false_alarms: %ld %s networks, seed %" PRIu64 "\n", n, relu_only ? "relu" : "random",
           seed);
    for (int k = 0; k < NOUTCOMES; k++)
        printf("  %-28s %7ld  %6.2f%%\n", outcome_names[k], count[k],
               100.0 * (double)count[k] / (double)n);
    long nfinite = n - count[NONFINITE_FAIL] - count[NONFINITE_UNDECIDED];
    printf("  undecided among networks with a finite loss: %ld of %ld (%.2f%%)\n",
           count[UNDECIDED], nfinite, nfinite > 0 ? 100.0 * (double)count[UNDECIDED] / (double)nfinite : 0.0);
    printf("  undecided networks by reason (a network counts once per reason it shows):\n");
    for (int w = 0; w < GC_NREASONS; w++)
        if (by_reason[w] > 0)
            printf("    %-22s %7ld\n", w == 0 ? "vacuous tensor only" : gc_reason_name((gc_reason)w),
                   by_reason[w]);
    printf("  elements: %ld checked, %ld escalated (%.3f%%)\n", nrows, nesc,
           nrows > 0 ? 100.0 * (double)nesc / (double)nrows : 0.0);
    printf("  bound at ε: %ld smooth elements, |a - n| / B at most %.3g; %ld above 1/4, %ld "
           "above 1%s%s\n", bound.rows, bound.worst, bound.above_quarter, bound.above_one,
           bound.worst > 0.0 ? "; worst: " : "", bound.worst_cmd);
    return count[FAIL] + count[NONFINITE_FAIL] == 0 ? 0 : 1;
}
