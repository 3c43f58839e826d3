/*
 * props_shrink.c -- shrinking a failing property case to a small one.
 *
 * Greedy and deterministic, as in QuickCheck / Hypothesis: list the
 * one-step simplifications of the case, smallest-first by kind (fewer
 * layers, then one example, then narrower layers, then identity
 * activations), evaluate the property on each in order, move to the first
 * that still fails, and start over from it.  Stops when no candidate fails
 * (a local minimum: every one-step simplification passes) or after
 * max_tries evaluations.  The seed never changes, so every case on the way
 * has its own gradcheck command.  Candidates that are not admissible
 * (props.h: softmax misplaced, ill-conditioned) are skipped: a failure
 * there would say nothing about backprop.
 */
#include <string.h>

#include "props.h"

/* c without width index w and activation index a (dropping one dense layer
 * and its activation). */
static props_case drop_layer(const props_case *c, int w, int a)
{
    props_case d = *c;
    d.depth = c->depth - 1;
    for (int i = w; i < c->depth; i++)
        d.width[i] = c->width[i + 1];
    for (int i = a; i + 1 < c->depth; i++)
        d.act[i] = c->act[i + 1];
    return d;
}

/* Append v to out when there is room. */
static void push(props_case *out, int *n, int max, const props_case *v)
{
    if (*n < max)
        out[(*n)++] = *v;
}

/* Smaller values to try for a size v >= 1, largest jump first: 1, v/2,
 * v - 1 (distinct, all < v). */
static int smaller(int v, int *out)
{
    int n = 0;
    if (v > 1)
        out[n++] = 1;
    if (v / 2 > 1)
        out[n++] = v / 2;
    if (v - 1 > 1 && v - 1 != v / 2)
        out[n++] = v - 1;
    return n;
}

int props_shrink_candidates(const props_case *c, props_case *out, int max)
{
    int n = 0, vals[3];
    props_case d;
    if (c->depth > 1) {
        /* Drop layer k: its output width and its activation go; the next
         * layer then reads layer k's input.  Dropping the first layer is
         * dropping the input width instead. */
        d = drop_layer(c, 0, 0);
        push(out, &n, max, &d);
        for (int k = 0; k < c->depth; k++) {
            d = drop_layer(c, k + 1, k);
            push(out, &n, max, &d);
        }
    }
    for (int i = 0, m = smaller(c->batch, vals); i < m; i++) {
        d = *c;
        d.batch = vals[i];
        push(out, &n, max, &d);
    }
    for (int k = 0; k <= c->depth; k++)
        for (int i = 0, m = smaller(c->width[k], vals); i < m; i++) {
            d = *c;
            d.width[k] = vals[i];
            push(out, &n, max, &d);
        }
    for (int k = 0; k < c->depth; k++)
        if (c->act[k] != GC_ACT_IDENTITY) {
            d = *c;
            d.act[k] = GC_ACT_IDENTITY;
            push(out, &n, max, &d);
        }
    return n;
}

/* Candidates of one case: at most 1 + 4 drops, 3 batches, 5 x 3 widths,
 * 4 activations. */
#define MAX_CANDIDATES 32

int props_shrink(const props_case *c, props_fn prop, props_hook hook, const void *ctx,
                 int max_tries, props_case *out)
{
    props_case cur = *c, cand[MAX_CANDIDATES];
    int steps = 0, tries = 0;
    char why[512];
    for (;;) {
        int n = props_shrink_candidates(&cur, cand, MAX_CANDIDATES), moved = 0;
        for (int i = 0; i < n && tries < max_tries; i++) {
            if (!props_case_admissible(&cand[i], NULL, 0))
                continue;
            tries++;
            if (prop(&cand[i], hook, ctx, why, sizeof why) == 1) {
                cur = cand[i];
                steps++;
                moved = 1;
                break;
            }
        }
        if (!moved)
            break;
    }
    *out = cur;
    return steps;
}
