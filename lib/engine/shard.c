/*
 * shard.c -- the parts of a split check: their cost model and boundaries,
 * and the hash of what a check checked.
 *
 * Cost model, in multiply-adds, B = batch columns, for one row (one checked
 * element; the number of loss evaluations per row is the method's and the
 * same for every row, so it cancels):
 *
 *   full(j)  = B (P_j + out_j): layer j's forward, P_j its parameter
 *              elements (a dense layer: W and b, the matrix product; an
 *              activation: B out_j);
 *   loss     = B out_last;
 *   C0       = 32: the per-row bookkeeping (verdict, row, order), about one
 *              example's worth of a small layer's work.
 *
 *   reference: C0 + Σ_{j >= k} full(j) + loss -- every layer from the
 *              perturbed one on is recomputed;
 *   fast:      the change stays one row of B values while layers declare
 *              GC_CAP_ELEMENTWISE (B each), becomes dense at the next
 *              GC_CAP_AFFINE layer (a rank-1 update, B out_j) or at a layer
 *              without capabilities (full), and every later layer is full:
 *              C0 + B [+ B per elementwise layer] + B out_j + Σ later full
 *              + loss.  The perturbed layer itself costs B when affine (one
 *              row of its output), full otherwise; the input x counts as a
 *              parameter of layer 0.
 *
 * Only balance depends on the model: every part computes exactly the rows
 * the whole check would, so the report is the same bytes whatever it says.
 */
#include "engine/shard.h"

#define C0 32.0

static double full_cost(const gc_layer *l, double batch)
{
    double p = 0.0;
    for (int i = 0; i < l->nparams; i++)
        p += (double)l->param[i].rows * (double)l->param[i].cols;
    return batch * (p + (double)l->out);
}

double gc_shard_row_cost(gc_layer *const *layers, gc_mat *const *act, int nlayers, int k,
                         int fast)
{
    double batch = (double)act[0]->cols;
    double cost = C0 + batch * (double)act[nlayers]->rows; /* the loss */
    int dense = !fast; /* the change covers whole activations from here on */
    for (int j = k; j < nlayers; j++) {
        const gc_layer *l = layers[j];
        if (dense) {
            cost += full_cost(l, batch);
        } else if (j == k) {
            /* the perturbed layer: one row of its output when affine */
            if (l->ops->caps & GC_CAP_AFFINE) {
                cost += batch;
            } else {
                cost += full_cost(l, batch);
                dense = 1;
            }
        } else if (l->ops->caps & GC_CAP_ELEMENTWISE) {
            cost += batch;
        } else {
            cost += (l->ops->caps & GC_CAP_AFFINE) ? batch * (double)l->out : full_cost(l, batch);
            dense = 1;
        }
    }
    return cost;
}

/* The first row at which the cost of the rows before it reaches `target`. */
static size_t boundary(const double *cost, const size_t *count, int n, double target)
{
    double before = 0.0;
    size_t row = 0;
    for (int t = 0; t < n; t++) {
        double c = cost[t] > 0.0 ? cost[t] : 1.0;
        double whole = c * (double)count[t];
        if (before + whole >= target) {
            double k = (target - before) / c;
            size_t q = k <= 0.0 ? 0 : (size_t)k;
            if ((double)q < k) /* round up: reach target, not stop short */
                q++;
            return row + (q < count[t] ? q : count[t]);
        }
        before += whole;
        row += count[t];
    }
    return row;
}

void gc_shard_range(const double *cost, const size_t *count, int n, int shard, int nshards,
                    size_t *lo, size_t *hi)
{
    size_t total = 0;
    double sum = 0.0;
    for (int t = 0; t < n; t++) {
        total += count[t];
        sum += (cost[t] > 0.0 ? cost[t] : 1.0) * (double)count[t];
    }
    /* boundaries from the same expression for both neighbours, so part K's
     * end is part K+1's start exactly */
    *lo = shard <= 1 ? 0 : boundary(cost, count, n, sum * (double)(shard - 1) / nshards);
    *hi = shard >= nshards ? total : boundary(cost, count, n, sum * (double)shard / nshards);
}

uint64_t gc_shard_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
