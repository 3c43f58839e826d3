/*
 * props_gen.c -- random property cases: the run's seed and size from the
 * environment, drawing a case, naming it as a gradcheck command line, and
 * building it with the shared gc_net_from_arch.
 *
 * Only the description (arch, acts, loss, batch, init, seed) is drawn here;
 * every value of the network comes from gc_net_from_arch, so the command
 * printed next to a failure rebuilds the very same bits.
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

static int env_u64(const char *name, uint64_t *out)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0')
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return 0;
    *out = (uint64_t)v;
    return 1;
}

int props_ncases(void)
{
    uint64_t v;
    if (env_u64("GC_CASES", &v) && v >= 1 && v <= 1000000)
        return (int)v;
    return PROPS_DEFAULT_CASES;
}

/* ---- drawing -------------------------------------------------------------- */

/* Activations differentiable everywhere.  elu (last, so that the analytic
 * kind can leave it out) is here with its default alpha = 1, where both
 * one-sided slopes at 0 are 1: C1, and the layer's kink hook agrees; but
 * its second derivative jumps at 0 (0 on the right, 1 on the left), which
 * a wide step extrapolated by Richardson does not survive. */
static const gc_act smooth_acts[] = {GC_ACT_IDENTITY, GC_ACT_SIGMOID, GC_ACT_TANH,
                                     GC_ACT_SOFTPLUS, GC_ACT_GELU,    GC_ACT_ELU};
#define NSMOOTH ((uint32_t)(sizeof smooth_acts / sizeof smooth_acts[0]))

static const char *const losses[] = {"mse", "bce", "bce_logits", "softmax_ce"};

/* A uniform integer in [lo, hi] (declared in props.h). */
int props_draw_int(gc_pcg32 *rng, int lo, int hi)
{
    return lo + (int)gc_pcg32_bounded(rng, (uint32_t)(hi - lo + 1));
}

/* One draw of a description, unchecked. */
static void draw_once(props_case *c, gc_pcg32 *rng, props_kind kind)
{
    memset(c, 0, sizeof *c);
    c->depth = props_draw_int(rng, 1, PROPS_MAX_DEPTH);
    for (int k = 0; k <= c->depth; k++)
        c->width[k] = props_draw_int(rng, 1, PROPS_MAX_WIDTH);
    c->batch = props_draw_int(rng, 1, PROPS_MAX_BATCH);
    c->init = (gc_init)gc_pcg32_bounded(rng, 3);
    c->loss = losses[gc_pcg32_bounded(rng, 4)];
    for (int k = 0; k < c->depth; k++)
        c->act[k] = smooth_acts[gc_pcg32_bounded(rng, kind == PROPS_ANALYTIC ? NSMOOTH - 1 : NSMOOTH)];

    int last = c->depth - 1, out = c->width[c->depth];
    int is_bce = strcmp(c->loss, "bce") == 0;
    /* Softmax makes sense as the last activation only, turning the outputs
     * into a distribution that mse or bce then compares; one unit would be
     * the constant 1 (zero gradients, and log(1 - 1) in bce).  Before
     * softmax_ce or bce_logits (which take logits) it would be a second
     * squashing that no one writes. */
    if (is_bce)
        c->act[last] = out >= 2 && gc_pcg32_bounded(rng, 2) ? GC_ACT_SOFTMAX : GC_ACT_SIGMOID;
    else if (strcmp(c->loss, "mse") == 0 && out >= 2 && gc_pcg32_bounded(rng, 4) == 0)
        c->act[last] = GC_ACT_SOFTMAX;

    if (kind == PROPS_KINKED) {
        /* At least one relu or leaky_relu, anywhere but bce's last layer. */
        if (is_bce && c->depth == 1) {
            c->loss = "bce_logits";
            is_bce = 0;
        }
        int k = props_draw_int(rng, 0, c->depth - 1 - is_bce);
        c->act[k] = gc_pcg32_bounded(rng, 2) ? GC_ACT_RELU : GC_ACT_LEAKY_RELU;
        /* The other layers may be kinked too. */
        for (int j = 0; j < c->depth - is_bce; j++)
            if (j != k && gc_pcg32_bounded(rng, 3) == 0)
                c->act[j] = gc_pcg32_bounded(rng, 2) ? GC_ACT_RELU : GC_ACT_LEAKY_RELU;
    }
    /* 63 bits: the command's --seed (and the JSON report) hold an int64. */
    c->seed = (uint64_t)gc_pcg32_next(rng) << 31;
    c->seed ^= gc_pcg32_next(rng);
}

int props_case_draw(props_case *c, uint64_t base, int index, props_kind kind)
{
    gc_pcg32 rng;
    /* One stream per (index, kind): cases are independent of each other and
     * of how many there are. */
    gc_pcg32_seed(&rng, base, 3u * (uint64_t)index + (uint64_t)kind);
    for (int tries = 1; tries <= PROPS_MAX_REDRAWS; tries++) {
        draw_once(c, &rng, kind);
        if (props_case_admissible(c, NULL, 0))
            return tries;
    }
    return 0;
}

int props_case_draw_inadmissible(props_case *c, uint64_t base, int index, props_kind kind)
{
    gc_pcg32 rng;
    /* streams apart from props_case_draw's 3 index + kind */
    gc_pcg32_seed(&rng, base, 0x1aad0000ull + 3u * (uint64_t)index + (uint64_t)kind);
    for (int tries = 1; tries <= PROPS_MAX_REDRAWS; tries++) {
        draw_once(c, &rng, kind);
        gc_error err = {0};
        gc_net *net = props_case_build(c, &err);
        int ok = net != NULL && !props_case_admissible(c, NULL, 0);
        gc_net_free(net);
        if (ok)
            return tries;
    }
    return 0;
}

int props_case_admissible(const props_case *c, char *why, size_t size)
{
    char dummy[8];
    if (why == NULL) {
        why = dummy;
        size = sizeof dummy;
    }
    why[0] = '\0';
    if (c->depth < 1 || c->depth > PROPS_MAX_DEPTH || c->batch < 1) {
        snprintf(why, size, "depth or batch out of range");
        return 0;
    }
    int is_bce = strcmp(c->loss, "bce") == 0, is_mse = strcmp(c->loss, "mse") == 0;
    for (int k = 0; k < c->depth; k++)
        if (c->act[k] == GC_ACT_SOFTMAX &&
            (k != c->depth - 1 || c->width[c->depth] < 2 || !(is_bce || is_mse))) {
            snprintf(why, size, "softmax only last, with >= 2 outputs, before mse or bce");
            return 0;
        }
    gc_error err = {0};
    gc_net *net = props_case_build(c, &err);
    if (net == NULL) {
        snprintf(why, size, "%s", err.msg);
        return 0;
    }
    int ok = props_net_admissible(net, why, size);
    gc_net_free(net);
    return ok;
}

int props_net_admissible(gc_net *net, char *why, size_t size)
{
    char dummy[8];
    if (why == NULL) {
        why = dummy;
        size = sizeof dummy;
    }
    why[0] = '\0';
    int is_bce = strcmp(net->loss->name, "bce") == 0;
    double L = gc_net_forward(net);
    const gc_mat *P = net->act[net->nlayers];
    int ok = 1;
    if (!(fabs(L) <= PROPS_MAX_LOSS)) {
        snprintf(why, size, "loss %.3g beyond %g", L, PROPS_MAX_LOSS);
        ok = 0;
    }
    for (int k = 1; ok && k <= net->nlayers; k++)
        for (size_t i = 0; ok && i < gc_mat_size(net->act[k]); i++)
            if (!(fabs(net->act[k]->data[i]) <= PROPS_MAX_ACT)) {
                snprintf(why, size, "activation %zu of layer %d is %.3g, beyond %g", i, k - 1,
                         net->act[k]->data[i], PROPS_MAX_ACT);
                ok = 0;
            }
    double inv = 0.0; /* sum of 1 / (1 - p) for bce */
    for (size_t i = 0; ok && i < gc_mat_size(P); i++)
        inv += 1.0 / (1.0 - P->data[i]);
    if (ok && is_bce && !(inv / (double)gc_mat_size(P) <= PROPS_BCE_MAX_INV)) {
        snprintf(why, size, "bce probabilities too close to 1: mean 1/(1-p) = %.3g > %g",
                 inv / (double)gc_mat_size(P), PROPS_BCE_MAX_INV);
        ok = 0;
    }
    /* Kinked inputs: none on its kink, at most one near one (props.h). */
    int near = 0;
    for (int k = 0; ok && k < net->nlayers; k++) {
        const char *type = net->layers[k]->ops->type;
        if (strcmp(type, "relu") != 0 && strcmp(type, "leaky_relu") != 0 &&
            strcmp(type, "elu") != 0)
            continue;
        const gc_mat *Z = net->act[k];
        for (size_t i = 0; ok && i < gc_mat_size(Z); i++) {
            double z = fabs(Z->data[i]);
            if (!(z > PROPS_KINK_CLEARANCE)) {
                snprintf(why, size, "input %zu of layer %d (%s) sits on its kink: %.3g", i, k,
                         type, Z->data[i]);
                ok = 0;
            } else if (z < (strcmp(type, "elu") == 0 ? PROPS_NEAR_KINK : PROPS_NEAR_KINK_RELU) &&
                       ++near > 1) {
                snprintf(why, size, "two kinked inputs near 0 (within %g for relu, leaky_relu; "
                         "%g for elu): coincident kinks", PROPS_NEAR_KINK_RELU, PROPS_NEAR_KINK);
                ok = 0;
            }
        }
    }
    return ok;
}

int props_case_kinked(const props_case *c)
{
    for (int k = 0; k < c->depth; k++)
        if (c->act[k] == GC_ACT_RELU || c->act[k] == GC_ACT_LEAKY_RELU)
            return 1;
    return 0;
}

/* ---- naming and building -------------------------------------------------- */

void props_case_arch(const props_case *c, char *arch, size_t asize, char *acts, size_t bsize)
{
    size_t used = 0;
    arch[0] = '\0';
    for (int k = 0; k <= c->depth && used < asize; k++)
        used += (size_t)snprintf(arch + used, asize - used, "%s%d", k ? "-" : "", c->width[k]);
    used = 0;
    acts[0] = '\0';
    for (int k = 0; k < c->depth && used < bsize; k++)
        used += (size_t)snprintf(acts + used, bsize - used, "%s%s", k ? "," : "",
                                 gc_act_name(c->act[k]));
}

void props_case_command(const props_case *c, const char *extra, char *buf, size_t size)
{
    char arch[128], acts[256];
    props_case_arch(c, arch, sizeof arch, acts, sizeof acts);
    int n = gc_arch_command(buf, size, arch, acts, c->loss, c->batch, c->seed, c->init);
    if (n >= 0 && (size_t)n < size && extra != NULL)
        snprintf(buf + n, size - (size_t)n, " %s", extra);
}

gc_net *props_case_build(const props_case *c, gc_error *err)
{
    char arch[128], acts[256];
    gc_pcg32 rng;
    props_case_arch(c, arch, sizeof arch, acts, sizeof acts);
    gc_arch_seed_rng(&rng, c->seed);
    return gc_net_from_arch(arch, acts, c->loss, c->batch, c->init, &rng, err);
}
