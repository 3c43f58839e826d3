/*
 * softmax_batch.c -- softmax_ce's batch forms: the losses of many variants
 * of the output at once (gc_loss.values), their exps and log1p's as vectors
 * (nn/vmath.h), and the same near a base output (gc_loss.base,
 * values_near): from the base's exps and a short polynomial of each
 * variant's change.  Each gives what softmax_ce_value (loss.c) gives,
 * within GC_LOSS_VALUES_BOUND(rows) u |L| (lib/gradcheck/layer.h derives
 * both).
 */
#include "nn/loss_internal.h"
#include "nn/vmath.h"

#include <math.h>
#include <string.h>

/* One step of ksum_add where `take` (else none), both sides computed and
 * then selected, so that the compiler can vectorise it: what ksum_add(k,
 * x) does, bit for bit, in the lanes where take is set. */
static inline void ksum_lane(double *s, double *c, double x, int take)
{
    const double s0 = *s, c0 = *c, t = s0 + x;
    const double big = (s0 - t) + x, small = (x - t) + s0;
    const double cn = c0 + (fabs(s0) >= fabs(x) ? big : small);
    *c = take ? cn : c0;
    *s = take ? t : s0;
}

/* Row i of P from column c0 on: P itself for a whole block, else its w
 * columns copied into z[0 .. VBLOCK) and padded with 0. */
static inline const double *block_row(double *z, const gc_mat *P, int i, int c0, int w)
{
    if (w == VBLOCK)
        return &GC_AT(P, i, c0);
    memcpy(z, &GC_AT(P, i, c0), (size_t)w * sizeof *z);
    for (int q = w; q < VBLOCK; q++)
        z[q] = 0.0;
    return z;
}

/* e = z - m over a block (z may be P itself, which e is not). */
static inline void block_sub(double *restrict e, const double *restrict z,
                             const double *restrict m)
{
    for (int q = 0; q < VBLOCK; q++)
        e[q] = z[q] - m[q];
}

/* t[q] = T[i][(c0 + q) mod B] for q < VBLOCK: the targets of row i for
 * the block's columns, in runs of T's row. */
static inline void block_targets(double *t, const gc_mat *T, int i, int c0)
{
    const int B = T->cols;
    const double *Ti = &GC_AT(T, i, 0);
    if (B == 1) {
        for (int q = 0; q < VBLOCK; q++)
            t[q] = Ti[0];
        return;
    }
    for (int q = 0, c = c0 % B; q < VBLOCK; c = 0) {
        const int len = B - c < VBLOCK - q ? B - c : VBLOCK - q;
        memcpy(t + q, Ti + c, (size_t)len * sizeof *t);
        q += len;
    }
}

/*
 * Columns c0 .. c0 + w - 1 of softmax_ce_value, each column's own sum:
 * (ps[q], pc[q]) = the ksum (sum, compensation) of column c0 + q's terms
 * t_i (m - z_i) (rows with t_i != 0, in row order) and (sum t) log1p(r),
 * as softmax_ce_value adds them; the max m, its row k, r = sum_{i != k} e^(z_i - m) likewise.  The
 * exps of a row of the block and the block's log1p's go through SLEEF
 * (nn/vmath.h), and r's sum is compensated (TwoSum), which makes these
 * losses no less accurate than the scalar ones although SLEEF's exp is
 * not correctly rounded.
 */
GC_VVOID(softmax_ce_block,
         (double *ps, double *pc, const gc_mat *P, const gc_mat *T, int c0, int w),
         (ps, pc, P, T, c0, w))
{
    const int rows = P->rows;
    double zb[VBLOCK], m[VBLOCK], kd[VBLOCK], r[VBLOCK], e[VBLOCK], t[VBLOCK];
    double st[VBLOCK], s[VBLOCK], c[VBLOCK], rc[VBLOCK];
    memcpy(m, block_row(zb, P, 0, c0, w), sizeof m);
    for (int q = 0; q < VBLOCK; q++) {
        kd[q] = 0.0; /* the row of the max, as a double: every lane a double */
        r[q] = rc[q] = st[q] = s[q] = c[q] = 0.0;
    }
    for (int i = 1; i < rows; i++) {
        const double *z = block_row(zb, P, i, c0, w), di = (double)i;
        for (int q = 0; q < VBLOCK; q++) {
            const double zq = z[q], mq = m[q], kq = kd[q];
            const int gt = zq > mq;
            m[q] = gt ? zq : mq;
            kd[q] = gt ? di : kq;
        }
    }
    for (int i = 0; i < rows; i++) {
        const double *z = block_row(zb, P, i, c0, w), di = (double)i;
        /* B = 1: every lane has the same target; a row whose is 0 adds none */
        const int any = T->cols != 1 || GC_AT(T, i, 0) != 0.0;
        block_targets(t, T, i, c0);
        block_sub(e, z, m);
        gc_vexp(e, e, VBLOCK);
        for (int q = 0; q < VBLOCK; q++) {
            /* r + e and its rounding error (Knuth's TwoSum), row k's not added */
            const double rq = r[q], eq = e[q], rn = rq + eq, bp = rn - rq;
            const double err = (rq - (rn - bp)) + (eq - bp), skip = kd[q] == di;
            r[q] = skip ? rq : rn;
            rc[q] += skip ? 0.0 : err;
            st[q] += t[q];
        }
        if (any)
            for (int q = 0; q < VBLOCK; q++)
                ksum_lane(&s[q], &c[q], t[q] * (m[q] - z[q]), t[q] != 0.0);
    }
    for (int q = 0; q < VBLOCK; q++)
        r[q] += rc[q];
    gc_vlog1p(r, r, VBLOCK);
    for (int q = 0; q < VBLOCK; q++) {
        ksum_lane(&s[q], &c[q], st[q] * r[q], 1);
        ps[q] = s[q];
        pc[q] = c[q];
    }
}

/* Columns per block and the block's first lane in its variant, for a
 * batch of B columns a variant: whole variants (B <= VBLOCK) or VBLOCK
 * columns of one (B > VBLOCK), so that a block's lanes line up with its
 * variants. */
static int block_width(int B, int c0, int N, int *off)
{
    *off = B <= VBLOCK ? 0 : c0 % B;
    int w = B <= VBLOCK ? VBLOCK / B * B : VBLOCK;
    if (B > VBLOCK && B - *off < w)
        w = B - *off;
    return N - c0 < w ? N - c0 : w;
}

/* Add a block's columns' sums (ps, pc) to the losses L of its variants,
 * from variant v on (the block at lane off of it).  B = 1: each column is
 * a variant and its value is softmax_ce_value's sums in its order; B > 1:
 * var_sum over the B columns, divided by B (the scalar form runs one ksum
 * through all the terms: the same terms, each total within 2u of its
 * exact sum). */
GC_VVOID(add_columns,
         (double *L, var_sum *a, const double *ps, const double *pc, int w, int B, int off, int v),
         (L, a, ps, pc, w, B, off, v))
{
    if (B == 1) {
        for (int q = 0; q < w; q++)
            L[v + q] = (ps[q] + pc[q]) / 1.0;
        return;
    }
    for (int q = 0; q < w; v++) {
        const int n = B - off < w - q ? B - off : w - q;
        double s[SUM_LANES] = {0.0}, c[SUM_LANES] = {0.0};
        if (off > 0) { /* B > VBLOCK: the variant's earlier blocks */
            memcpy(s, a->s, sizeof s);
            memcpy(c, a->c, sizeof c);
        }
        lanes_add(s, c, ps + q, pc + q, n);
        if (off + n == B) {
            L[v] = lanes_total(s, c) / (double)B;
        } else {
            memcpy(a->s, s, sizeof s);
            memcpy(a->c, c, sizeof c);
        }
        q += n;
        off = 0;
    }
}

/* softmax_ce_value of every variant (gc_loss.values), a block at a time. */
void gc_softmax_ce_values(double *L, const gc_mat *P, const gc_mat *T)
{
    const int B = T->cols, N = P->cols;
    double ps[VBLOCK], pc[VBLOCK];
    var_sum a;
    for (int c0 = 0, off, w; c0 < N; c0 += w) {
        w = block_width(B, c0, N, &off);
        softmax_ce_block(ps, pc, P, T, c0, w);
        add_columns(L, &a, ps, pc, w, B, off, c0 / B);
    }
}

/* ---- softmax_ce near a base output (gc_loss.base, values_near) ---------- */

/*
 * Variant P near the base Z, column by column: k is Z's max row, m' = P_k,
 * a_i = P_i - m' (the scalar form's exp arguments while k is still a max
 * of P), b_i = Z_i - Z_k, E_i = e^(b_i), r = sum_{i != k} E_i, and
 * x_i = a_i - b_i (0 for row k).  Exactly
 *   r' = sum_{i != k} e^(a_i) = r + sum_i E_i (e^(x_i) - 1),
 *   log1p(r') = log1p(r) + log1p(y),  y = sum_i E_i (e^(x_i) - 1) / (1 + r),
 * so with E, log1p(r) and 1 / (1 + r) computed once from Z (libm), a
 * variant costs a few multiply-adds per logit instead of an exp:
 *   - |x| <= tau (GC_LOSS_NEAR_TAU = 2^-13): e^x - 1 = x (1 + x (1/2 +
 *     x/6)) to within x^4/24 e^|x|; summed, y's error from it is at most
 *     tau^4/24 e^tau r / (1 + r) < 2^-56.5 log1p(r) (r / (1 + r) <=
 *     log1p(r)), u/12 of the log-sum-exp;
 *   - |y| <= (e^tau - 1) r / (1 + r) < 1.001 tau log1p(r), and log1p(y) is
 *     y (1 - y/2 + y^2/3 - y^3/4) to within |y|^5 / 4 < 2^-67 log1p(r).
 * A column with some |x| > tau (or NaN: a non-finite logit), or some a > 0
 * (P's max moved to another row), takes softmax_ce_block's arithmetic.  A
 * tie (a = 0 at a row other than k) changes nothing: the scalar form
 * leaves out a different row whose exp is the same 1.  The terms
 * t_i (m' - P_i) are the scalar form's, summed in row order (for a one-hot
 * target the same bits as its compensated sum).  The bound this keeps is
 * derived in lib/gradcheck/layer.h.
 */
size_t gc_softmax_ce_base_size(int rows, int B)
{
    const size_t W = (size_t)near_lanes(B < 1 ? 1 : B), R = rows < 1 ? 1 : (size_t)rows;
    return NEAR_HEAD + sizeof(double) * ((3 * R + NEAR_LANE_ARRAYS) * W + R);
}

void gc_softmax_ce_base(void *state, const gc_mat *Z, const gc_mat *T)
{
    near_head *h = state;
    const int rows = Z->rows, B = Z->cols, W = near_lanes(B);
    h->rows = rows;
    h->B = B;
    h->W = W;
    double *d = (double *)((char *)state + NEAR_HEAD), *lane = d + 3 * (size_t)rows * W;
    double *tany = lane + NEAR_LANE_ARRAYS * (size_t)W;
    for (int i = 0; i < rows; i++)
        tany[i] = 0.0;
    for (int q = 0; q < B; q++) {
        int k;
        const double m = column_max(Z, q, &k);
        ksum r = {0.0, 0.0};
        double st = 0.0;
        for (int i = 0; i < rows; i++) {
            const double b = GC_AT(Z, i, q) - m, e = exp(b), t = GC_AT(T, i, q);
            d[(size_t)i * W + q] = b;
            d[(size_t)(rows + i) * W + q] = e;
            d[(size_t)(2 * rows + i) * W + q] = t;
            if (i != k)
                ksum_add(&r, e);
            st += t;
            if (t != 0.0)
                tany[i] = 1.0;
        }
        const double rs = ksum_total(&r);
        lane[NEAR_L0 * W + q] = log1p(rs);
        lane[NEAR_G * W + q] = 1.0 / (1.0 + rs);
        lane[NEAR_ST * W + q] = st;
        lane[NEAR_K * W + q] = (double)k;
    }
    /* lanes B .. W - 1: copies of lane q mod B (lane q - B is one) */
    for (size_t a = 0; a < 3 * (size_t)rows + NEAR_LANE_ARRAYS; a++) {
        double *da = d + a * W;
        if (B == 1)
            for (int q = 1; q < W; q++)
                da[q] = da[0];
        else
            for (int q = B; q < W; q++)
                da[q] = da[q - B];
    }
}

/* What values_near's blocks read. */
typedef struct near_in {
    const gc_mat *P, *T;
    const double *d; /* the state's arrays */
    int rows, W;
} near_in;

/* Lanes near_block takes at a time, all rows: their sums stay in
 * registers. */
#define NEAR_GROUP 16

/* Row z of a group: its terms into the lanes' sums acc (of E (e^x - 1))
 * and, when `targets`, sg (of t (m - z)), and into om, the lanes' largest
 * max(|x| - tau, a) (> 0: the lane must take softmax_ce_block's
 * arithmetic); b the row's state (E and t RW doubles on). */
static inline void near_row(double *restrict acc, double *restrict om, double *restrict sg,
                            const double *restrict z, const double *restrict m,
                            const double *restrict b, size_t RW, int targets)
{
    const double *E = b + RW, *t = E + RW;
    for (int l = 0; l < NEAR_GROUP; l++) {
        const double a = z[l] - m[l], x = a - b[l], v = fabs(x) - GC_LOSS_NEAR_TAU;
        acc[l] += E[l] * (x * (1.0 + x * (0.5 + x * GC_LOSS_NEAR_C3)));
        const double va = a > v ? a : v;
        om[l] = va > om[l] ? va : om[l];
    }
    if (targets)
        for (int l = 0; l < NEAR_GROUP; l++)
            sg[l] += t[l] * (m[l] - z[l]);
}

/* Lanes g0 .. g0 + NEAR_GROUP - 1 of a block (those from w on padded):
 * (ps, pc) as softmax_ce_block's, and bad[q] = 1 where the lane must take
 * softmax_ce_block's arithmetic.  NaN in x (a non-finite logit, here or in
 * Z) makes the lane's sum acc NaN, which marks it too. */
GC_VVOID(near_group,
         (double *restrict ps, double *restrict pc, double *restrict bad, const near_in *in, int c0,
          int w, int off, int g0),
         (ps, pc, bad, in, c0, w, off, g0))
{
    const int rows = in->rows;
    const size_t W = (size_t)in->W, RW = (size_t)rows * W, N = (size_t)in->P->cols;
    const double *d = in->d + off + g0, *lane = d + 3 * RW, *z = in->P->data + c0 + g0;
    const double *tany = in->d + 3 * RW + NEAR_LANE_ARRAYS * W;
    double m[NEAR_GROUP], acc[NEAR_GROUP], om[NEAR_GROUP], sg[NEAR_GROUP], zp[NEAR_GROUP];
    const int n = w - g0 < NEAR_GROUP ? w - g0 : NEAR_GROUP;
    for (int l = 0; l < NEAR_GROUP; l++) {
        m[l] = l < n ? z[(size_t)lane[NEAR_K * W + l] * N + (size_t)l] : 0.0;
        acc[l] = om[l] = sg[l] = 0.0;
    }
    if (n == NEAR_GROUP) {
        for (int i = 0; i < rows; i++)
            near_row(acc, om, sg, z + (size_t)i * N, m, d + (size_t)i * W, RW, tany[i] != 0.0);
    } else { /* the block's last lanes: padded */
        for (int i = 0; i < rows; i++) {
            for (int l = 0; l < NEAR_GROUP; l++)
                zp[l] = l < n ? z[(size_t)i * N + (size_t)l] : 0.0;
            near_row(acc, om, sg, zp, m, d + (size_t)i * W, RW, tany[i] != 0.0);
        }
    }
    for (int l = 0; l < NEAR_GROUP; l++) {
        const double y = acc[l] * lane[NEAR_G * W + l];
        const double ly = near_log1p(y);
        double c = 0.0;
        ksum_lane(&sg[l], &c, lane[NEAR_ST * W + l] * (lane[NEAR_L0 * W + l] + ly), 1);
        ps[g0 + l] = sg[l];
        pc[g0 + l] = c;
        bad[g0 + l] = om[l] <= 0.0 && acc[l] - acc[l] == 0.0 ? 0.0 : 1.0;
    }
}

/* One block of values_near: what softmax_ce_block gives, from the state
 * (its lanes from off on). */
static void near_block(double *ps, double *pc, const near_in *in, int c0, int w, int off)
{
    double bad[VBLOCK];
    for (int g0 = 0; g0 < w; g0 += NEAR_GROUP)
        near_group(ps, pc, bad, in, c0, w, off, g0);
    int nbad = 0;
    for (int q = 0; q < w; q++)
        nbad += bad[q] != 0.0;
    if (nbad == 0)
        return;
    double fs[VBLOCK], fc[VBLOCK];
    softmax_ce_block(fs, fc, in->P, in->T, c0, w);
    for (int q = 0; q < w; q++)
        if (bad[q] != 0.0) {
            ps[q] = fs[q];
            pc[q] = fc[q];
        }
}

/* gc_loss.values_near: softmax_ce_values' blocks, each from the state. */
void gc_softmax_ce_values_near(double *L, const gc_mat *P, const gc_mat *T, const void *state)
{
    const near_head *h = state;
    const int B = T->cols, N = P->cols;
    const near_in in = {P, T, (const double *)((const char *)state + NEAR_HEAD), h->rows, h->W};
    double ps[VBLOCK], pc[VBLOCK];
    var_sum a;
    for (int c0 = 0, off, w; c0 < N; c0 += w) {
        w = block_width(B, c0, N, &off);
        near_block(ps, pc, &in, c0, w, off);
        add_columns(L, &a, ps, pc, w, B, off, c0 / B);
    }
}
