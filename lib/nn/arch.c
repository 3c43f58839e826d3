/*
 * arch.c -- random networks from "2-2-1" + activations + loss, and the
 * command line that rebuilds them.
 *
 * Everything random comes from the caller's PCG32 in a fixed order (see
 * gradcheck/arch.h), so (arch, acts, loss, batch, init, seed) names one
 * network exactly: the property tests print gc_arch_command's line next to
 * a failure and the gradcheck command rebuilds the same network from it.
 */
#include "gradcheck/arch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void gc_arch_seed_rng(gc_pcg32 *rng, uint64_t seed)
{
    gc_pcg32_seed(rng, seed, GC_ARCH_STREAM);
}

/* ---- parsing ------------------------------------------------------------ */

int gc_arch_parse(const char *arch, int *widths, int max, int *n, gc_error *err)
{
    if (arch == NULL || widths == NULL || n == NULL || max < 2)
        return gc_error_set(err, GC_EINVAL, "no architecture given");
    if (arch[0] == '\0')
        return gc_error_set(err, GC_EINVAL, "expected widths like 2-2-1, got ''");
    int count = 0;
    const char *p = arch;
    for (;;) {
        /* One token: the characters up to the next '-' or the end. */
        const char *end = strchr(p, '-');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        int digits = len > 0 && strspn(p, "0123456789") >= len;
        long v = 0;
        for (size_t i = 0; digits && len <= 7 && i < len; i++)  /* 7 digits hold the max */
            v = v * 10 + (p[i] - '0');
        if (!digits || len > 7 || v < 1 || v > GC_ARCH_MAX_WIDTH) {
            /* "2--3-1": an empty token before digits is a negative width;
             * show it as the user meant it. */
            const char *shown = p;
            size_t shown_len = len;
            if (len == 0 && end != NULL) {
                shown = end;
                shown_len = 1 + strcspn(end + 1, "-");
            }
            int too_big = digits && (len > 7 || v > GC_ARCH_MAX_WIDTH);
            return gc_error_set(err, GC_EINVAL,
                                "width %d of '%s': expected a positive integer%s, got '%.*s'",
                                count + 1, arch, too_big ? " at most 1000000" : "",
                                (int)(shown_len > 40 ? 40 : shown_len), shown);
        }
        if (count == max)
            return gc_error_set(err, GC_EINVAL, "'%s': more than %d widths", arch, max);
        widths[count++] = (int)v;
        if (end == NULL)
            break;
        p = end + 1;
    }
    if (count < 2)
        return gc_error_set(err, GC_EINVAL,
                            "expected at least two widths (input and output) like 2-2-1, got '%s'",
                            arch);
    *n = count;
    return GC_OK;
}

/* "identity, sigmoid, ..." into buf, for the unknown-name message. */
static void act_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < GC_ACT_COUNT && used < size; a++) {
        int w = snprintf(buf + used, size - used, "%s%s", a > 0 ? ", " : "",
                         gc_act_name((gc_act)a));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

int gc_acts_parse(const char *acts, int nlayers, gc_act *out, gc_error *err)
{
    if (acts == NULL || out == NULL || nlayers < 1)
        return gc_error_set(err, GC_EINVAL, "no activations given");
    int count = 0;
    const char *p = acts;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        char name[64];
        gc_act a;
        if (len >= sizeof name) {
            return gc_error_set(err, GC_EINVAL, "unknown activation '%.*s...'", 20, p);
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (gc_act_from_name(name, &a) != GC_OK) {
            char list[256];
            act_list(list, sizeof list);
            return gc_error_set(err, GC_EINVAL, "unknown activation '%s' (expected one of %s)",
                                name, list);
        }
        if (count < nlayers)
            out[count] = a;
        count++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    if (count == 1) {
        for (int k = 1; k < nlayers; k++)
            out[k] = out[0];
        return GC_OK;
    }
    if (count != nlayers)
        return gc_error_set(err, GC_EINVAL,
                            "%d activations for %d layers in '%s': give one for all layers "
                            "or one per layer",
                            count, nlayers, acts);
    return GC_OK;
}

/* ---- building ----------------------------------------------------------- */

/* Fill T (out x B) with valid targets for `loss`, as the header says. */
static void draw_targets(gc_mat *T, const gc_loss *loss, gc_pcg32 *rng)
{
    if (loss == &gc_loss_softmax_ce) {
        /* Zeros everywhere, then one 1 per example (column). */
        gc_mat_fill(T, 0.0);
        for (int c = 0; c < T->cols; c++)
            GC_AT(T, (int)gc_pcg32_bounded(rng, (uint32_t)T->rows), c) = 1.0;
    } else if (loss == &gc_loss_mse) {
        for (size_t i = 0; i < gc_mat_size(T); i++)
            T->data[i] = gc_pcg32_normal(rng);
    } else {
        /* bce, bce_logits and any loss on probabilities: a 0/1 label. */
        for (size_t i = 0; i < gc_mat_size(T); i++)
            T->data[i] = (double)gc_pcg32_bounded(rng, 2);
    }
}

gc_net *gc_net_from_arch(const char *arch, const char *acts, const char *loss,
                         int batch, gc_init init, gc_pcg32 *rng, gc_error *err)
{
    int widths[GC_ARCH_MAX_LAYERS + 1];
    gc_act act[GC_ARCH_MAX_LAYERS];
    int n = 0;
    gc_error e = {0};
    gc_net *net = NULL;
    gc_mat *X = NULL, *T = NULL;

    if (rng == NULL) {
        gc_error_set(err, GC_EINVAL, "no random generator given");
        return NULL;
    }
    if (gc_arch_parse(arch, widths, GC_ARCH_MAX_LAYERS + 1, &n, &e) != GC_OK) {
        gc_error_set(err, e.code, "arch: %s", e.msg);
        return NULL;
    }
    if (gc_acts_parse(acts, n - 1, act, &e) != GC_OK) {
        gc_error_set(err, e.code, "act: %s", e.msg);
        return NULL;
    }
    const gc_loss *L = loss != NULL ? gc_loss_by_name(loss) : NULL;
    if (L == NULL) {
        gc_error_set(err, GC_EINVAL,
                     "loss: unknown loss '%s' (expected one of bce, bce_logits, mse, softmax_ce)",
                     loss != NULL ? loss : "");
        return NULL;
    }
    /* bce takes log(p) and log(1 - p): anything but a probability in (0, 1)
     * gives NaN, which would be reported as a failed gradient. */
    if (L == &gc_loss_bce && act[n - 2] != GC_ACT_SIGMOID && act[n - 2] != GC_ACT_SOFTMAX) {
        gc_error_set(err, GC_EINVAL,
                     "loss: bce takes probabilities: the last activation must be sigmoid "
                     "or softmax, got %s (use bce_logits on logits)",
                     gc_act_name(act[n - 2]));
        return NULL;
    }
    if (batch < 1 || batch > GC_ARCH_MAX_BATCH) {
        gc_error_set(err, GC_EINVAL, "batch: expected an integer in 1..%d, got %d",
                     GC_ARCH_MAX_BATCH, batch);
        return NULL;
    }
    if (gc_init_name(init) == NULL) {
        gc_error_set(err, GC_EINVAL, "init: invalid value %d", (int)init);
        return NULL;
    }

    net = gc_net_new(L);
    if (net == NULL)
        goto nomem;
    for (int k = 0; k + 1 < n; k++) {
        gc_layer *dense = gc_dense_new(widths[k], widths[k + 1]);
        if (dense == NULL)
            goto nomem;
        if (gc_net_add(net, dense, &e) != GC_OK)
            goto fail;
        gc_layer *a = gc_activation_new(act[k], widths[k + 1], gc_act_default_alpha(act[k]));
        if (a == NULL)
            goto nomem;
        if (gc_net_add(net, a, &e) != GC_OK)
            goto fail;
    }
    if (gc_net_init_params(net, init, rng) != GC_OK) { /* init and rng were checked above */
        e.code = GC_EINVAL;
        snprintf(e.msg, sizeof e.msg, "init: invalid value %d", (int)init);
        goto fail;
    }

    X = gc_mat_new(widths[0], batch);
    T = gc_mat_new(widths[n - 1], batch);
    if (X == NULL || T == NULL)
        goto nomem;
    for (size_t i = 0; i < gc_mat_size(X); i++)
        X->data[i] = gc_pcg32_normal(rng);
    draw_targets(T, L, rng);
    if (gc_net_set_data(net, X, T, &e) != GC_OK)
        goto fail;
    gc_mat_free(X);
    gc_mat_free(T);
    return net;

nomem:
    e.code = GC_ENOMEM;
    snprintf(e.msg, sizeof e.msg, "out of memory building '%s' with batch %d", arch, batch);
fail:
    gc_error_set(err, e.code != 0 ? e.code : GC_ENOMEM, "%s", e.msg);
    gc_mat_free(X);
    gc_mat_free(T);
    gc_net_free(net);
    return NULL;
}

/* ---- naming ------------------------------------------------------------- */

int gc_arch_command(char *buf, size_t size, const char *arch, const char *acts,
                    const char *loss, int batch, uint64_t seed, gc_init init)
{
    const char *iname = gc_init_name(init);
    if (arch == NULL || acts == NULL || loss == NULL || iname == NULL || (buf == NULL && size > 0))
        return -1;
    return snprintf(buf, size,
                    "gradcheck --arch %s --act %s --loss %s --batch %d --seed %" PRIu64
                    " --init %s",
                    arch, acts, loss, batch, seed, iname);
}

static const char *const init_names[] = {"uniform", "xavier", "he", "auto"};

const char *gc_init_name(gc_init init)
{
    if ((int)init < 0 || (size_t)init >= sizeof init_names / sizeof init_names[0])
        return NULL;
    return init_names[init];
}

int gc_init_from_name(const char *name, gc_init *init)
{
    if (name == NULL)
        return GC_EINVAL;
    for (size_t i = 0; i < sizeof init_names / sizeof init_names[0]; i++) {
        if (strcmp(name, init_names[i]) == 0) {
            if (init != NULL)
                *init = (gc_init)i;
            return GC_OK;
        }
    }
    return GC_EINVAL;
}
