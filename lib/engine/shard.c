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

#include <stdlib.h>
#include <string.h>

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

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Parts of one check must agree on every option a report depends on. */
const char *gc_check_opts_diff(const gc_check_opts *a, const gc_check_opts *b)
{
    if (a->method != b->method)
        return "method";
    if (!same_bits(a->eps, b->eps))
        return "eps";
    if (!same_bits(a->rtol, b->rtol))
        return "rtol";
    if (!same_bits(a->atol, b->atol))
        return "atol";
    if (a->inputs != b->inputs)
        return "inputs";
    if (a->sample != b->sample)
        return "sample";
    if (a->seed != b->seed)
        return "seed";
    if (a->strict_kinks != b->strict_kinks)
        return "strict_kinks";
    if (a->adaptive != b->adaptive)
        return "adaptive";
    if (a->engine != b->engine)
        return "engine";
    if (a->screen != b->screen)
        return "screen";
    if (a->precision != b->precision)
        return "precision";
    if (a->allow_vacuous != b->allow_vacuous)
        return "allow_vacuous";
    return NULL;
}

/*
 * The hash: four lanes of xxHash64's round (acc = rotl(acc + w P2, 31) P1)
 * over 8-byte words, 32 bytes a step, so the multiplies of the four lanes
 * overlap (a byte-at-a-time hash such as FNV-1a is one dependent multiply
 * per byte, and a check hashes 16 bytes per element); the lanes folded
 * together and finished by xxHash64's avalanche.  It ties the parts of one check together (equal inputs give
 * equal hashes); it is no defence against a chosen collision.
 */
#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull

typedef struct hasher {
    uint64_t v[4];
    uint64_t len; /* bytes so far */
} hasher;

static uint64_t rotl(uint64_t x, int r)
{
    return x << r | x >> (64 - r);
}

static uint64_t round64(uint64_t acc, uint64_t w)
{
    return rotl(acc + w * P2, 31) * P1;
}

static uint64_t word(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* n bytes at p: whole 32-byte steps, then words, then the last bytes in
 * one word with their count (so "a" and "a\0" differ). */
static void hash_bytes(hasher *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    h->len += n;
    for (; n >= 32; b += 32, n -= 32)
        for (int l = 0; l < 4; l++)
            h->v[l] = round64(h->v[l], word(b + 8 * l));
    for (int l = 0; n >= 8; b += 8, n -= 8, l++)
        h->v[l] = round64(h->v[l], word(b));
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, b, n);
        h->v[0] = round64(h->v[0], w ^ (uint64_t)n << 59);
    }
}

static uint64_t hash_final(const hasher *h)
{
    uint64_t x = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) + rotl(h->v[3], 18);
    x ^= h->len * P3;
    x ^= x >> 33;
    x *= P2;
    x ^= x >> 29;
    x *= P3;
    x ^= x >> 32;
    return x;
}

uint64_t gc_shard_hash(const gc_target *tg, int n, double L0)
{
    hasher h = {{P1 + P2, P2, 0, 0 - P1}, 0};
    hash_bytes(&h, &L0, sizeof L0);
    for (int t = 0; t < n; t++) {
        size_t size = gc_target_size(&tg[t]);
        int shape[2] = {tg[t].rows, tg[t].cols};
        hash_bytes(&h, tg[t].name, strlen(tg[t].name) + 1);
        hash_bytes(&h, shape, sizeof shape);
        hash_bytes(&h, tg[t].value, size * sizeof *tg[t].value);
        hash_bytes(&h, tg[t].grad, size * sizeof *tg[t].grad);
    }
    return hash_final(&h);
}

int gc_shard_narrow(gc_report *r, const gc_target *tg, const gc_chain *ch, int sparse,
                    const gc_check_opts *o, size_t *skip)
{
    int n = r->ntensors;
    double *cost = calloc(n > 0 ? (size_t)n : 1, sizeof *cost);
    size_t *count = calloc(n > 0 ? (size_t)n : 1, sizeof *count);
    if (cost == NULL || count == NULL) {
        free(cost);
        free(count);
        return GC_ENOMEM;
    }
    for (int t = 0; t < n; t++) {
        cost[t] = gc_shard_row_cost(ch->layers, ch->act, ch->nlayers, tg[t].layer, sparse);
        count[t] = r->tensors[t].count;
    }
    size_t lo, hi;
    gc_shard_range(cost, count, n, o->shard, o->nshards, &lo, &hi);
    for (int t = 0; t < n; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        size_t a = tr->first, b = tr->first + tr->count;
        a = a < lo ? lo : (a > hi ? hi : a);
        b = b < lo ? lo : (b > hi ? hi : b);
        skip[t] = a - tr->first;
        tr->first = a - lo;
        tr->count = b - a;
    }
    r->shard_first = lo;
    r->nrows = hi - lo;
    free(cost);
    free(count);
    return GC_OK;
}
