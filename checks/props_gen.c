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

uint64_t props_base_seed(void)
{
    uint64_t v;
    return env_u64("GC_SEED", &v) ? v : PROPS_DEFAULT_SEED;
}

int props_ncases(void)
{
    uint64_t v;
    if (env_u64("GC_CASES", &v) && v >= 1 && v <= 1000000)
        return (int)v;
    return PROPS_DEFAULT_CASES;
}

/* ---- drawing -------------------------------------------------------------- */

/* Activations differentiable everywhere.  elu is here with its default
 * alpha = 1, where both one-sided slopes at 0 are 1 (C1; the layer's kink
 * hook agrees). */
static const gc_act smooth_acts[] = {GC_ACT_IDENTITY, GC_ACT_SIGMOID, GC_ACT_TANH,
                                     GC_ACT_ELU,      GC_ACT_SOFTPLUS, GC_ACT_GELU};
#define NSMOOTH ((uint32_t)(sizeof smooth_acts / sizeof smooth_acts[0]))

static const char *const losses[] = {"mse", "bce", "bce_logits", "softmax_ce"};

static int draw_int(gc_pcg32 *rng, int lo, int hi)
{
    return lo + (int)gc_pcg32_bounded(rng, (uint32_t)(hi - lo + 1));
}

void props_case_draw(props_case *c, uint64_t base, int index, props_kind kind)
{
    gc_pcg32 rng;
    /* One stream per (index, kind): cases are independent of each other and
     * of how many there are. */
    gc_pcg32_seed(&rng, base, 2u * (uint64_t)index + (kind == PROPS_KINKED));
    memset(c, 0, sizeof *c);
    c->depth = draw_int(&rng, 1, PROPS_MAX_DEPTH);
    for (int k = 0; k <= c->depth; k++)
        c->width[k] = draw_int(&rng, 1, PROPS_MAX_WIDTH);
    c->batch = draw_int(&rng, 1, PROPS_MAX_BATCH);
    c->init = (gc_init)gc_pcg32_bounded(&rng, 3);
    c->loss = losses[gc_pcg32_bounded(&rng, 4)];
    for (int k = 0; k < c->depth; k++)
        c->act[k] = smooth_acts[gc_pcg32_bounded(&rng, NSMOOTH)];

    int last = c->depth - 1, out = c->width[c->depth];
    int is_bce = strcmp(c->loss, "bce") == 0;
    /* Softmax makes sense as the last activation only, turning the outputs
     * into a distribution that mse or bce then compares; one unit would be
     * the constant 1 (zero gradients, and log(1 - 1) in bce).  Before
     * softmax_ce or bce_logits (which take logits) it would be a second
     * squashing that no one writes. */
    if (is_bce)
        c->act[last] = out >= 2 && gc_pcg32_bounded(&rng, 2) ? GC_ACT_SOFTMAX : GC_ACT_SIGMOID;
    else if (strcmp(c->loss, "mse") == 0 && out >= 2 && gc_pcg32_bounded(&rng, 4) == 0)
        c->act[last] = GC_ACT_SOFTMAX;

    if (kind == PROPS_KINKED) {
        /* At least one relu or leaky_relu, anywhere but bce's last layer. */
        if (is_bce && c->depth == 1) {
            c->loss = "bce_logits";
            is_bce = 0;
        }
        int k = draw_int(&rng, 0, c->depth - 1 - is_bce);
        c->act[k] = gc_pcg32_bounded(&rng, 2) ? GC_ACT_RELU : GC_ACT_LEAKY_RELU;
        /* The other layers may be kinked too. */
        for (int j = 0; j < c->depth - is_bce; j++)
            if (j != k && gc_pcg32_bounded(&rng, 3) == 0)
                c->act[j] = gc_pcg32_bounded(&rng, 2) ? GC_ACT_RELU : GC_ACT_LEAKY_RELU;
    }
    c->seed = (uint64_t)gc_pcg32_next(&rng) << 32 | gc_pcg32_next(&rng);
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
