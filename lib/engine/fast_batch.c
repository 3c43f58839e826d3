/*
 * fast_batch.c -- the sparse-change evaluator for many perturbations of one
 * tensor at once (gc_fast_losses).
 *
 * Perturbation s of an affine layer's W[j][k] or b[j] changes one row j_s
 * of that layer's output (fast.c).  Side by side, q perturbations' changed
 * rows are one 1 x qB row: an elementwise layer's forward runs on it once;
 * the next affine layer's rank-1 updates Z + W[:, j_s] (A'_s - A_s) fill an
 * out x qB matrix, column block s for perturbation s; from there every
 * layer's forward runs on the qB columns as one wide batch (an affine or
 * elementwise layer's columns are independent), and the loss takes the q
 * variants at once through its values op (its exps as vectors) or its
 * values_near op (from a state of the cached output, made again only when
 * the cached output or the targets changed), or one by one through
 * value().  Identity layers are skipped: their forward is a copy.  Each
 * arithmetic operation is the one gc_fast_loss performs, in the same
 * order, so everything but the loss's elementary functions is bit for bit
 * the same; except when the rank-1 layer is the last that computes: there
 * perturbation s's output is Z + W[:, j_s] d_s (d_s a row of B), a line
 * through Z for each changed unit, and a loss with line and values_line
 * takes the d_s of one unit at once from coefficients of that line, made
 * once while the unit's column of W and the base keep their bits (no
 * output matrix, no work per logit), the output taken exactly where
 * gc_fast_loss rounds each update (fast.h).
 */
#include "engine/fast_internal.h"
#include "nn/vmath.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Doubles of batch buffers per evaluator: two row buffers and two full
 * matrices of the widest layer, qB columns each, within a core's L2. */
#define BATCH_BUDGET (1u << 17)
/* Perturbations per pass at most (the rows a thread takes at a time, two
 * sides each, fit in a few passes). */
#define BATCH_MAX 512

typedef struct fast_batch {
    int cap;          /* perturbations per pass, >= 1 */
    int cols;         /* cap * B */
    double *row[2];   /* 1 x cols: the changed rows, before and after a layer */
    double *full[2];  /* maxrows x cols: a dense change, input and output of a layer */
    int *j;           /* cap: perturbation s's changed row */
    int *run;         /* cap + 1: the perturbations [run[r], run[r + 1]) share one j,
                       * r < nruns, run[nruns] = q (changed_rows) */
    int nruns;
    double *d;        /* max(B, cap): a row's change (B = 1: each perturbation's) */
    double *pv;       /* rows_n x B: one variant, for a loss without values */
    unsigned char *ok;/* ntensors: gc_fast_batchable */
    unsigned char *skip; /* nlayers: 1 for an identity layer (its forward a copy) */
    void *lbase;      /* the loss's base state (gc_loss.base), or NULL: no values_near */
    double *zkey;     /* rows_n x B: the output lbase was made from, bit for bit */
    double *tkey;     /* rows_n x B: and the targets */
    int keyed;        /* lbase holds the state of zkey and tkey */
    int *line;        /* ntensors: the layer whose output change is a line (line_layer), or -1 */
    double *wcol;     /* rows_n: a column of that layer's W */
    double *wkey;     /* rows_n: the column lwork's line was made from, bit for bit */
    int lined;        /* lwork holds the line of wkey through lbase's base (1), or
                       * that line cannot be taken (-1), or nothing (0) */
    double *dl;       /* cols: each perturbation's change of the unit, B each */
    void *lwork;      /* values_line's scratch (base_size bytes) */
    unsigned char *far; /* cap: values_line's far variants */
    double *lt;       /* cap: their losses */
} fast_batch;

/* Layers p+1 .. n-1 all elementwise or affine, with no kink hook to ask
 * and no workspace sized for B columns only. */
static int tail_batchable(const gc_fast *f, int p)
{
    for (int k = p + 1; k < f->n; k++) {
        const gc_layer_ops *ops = f->layer_copy[k].ops;
        if (!(ops->caps & (GC_CAP_ELEMENTWISE | GC_CAP_AFFINE)) || ops->kink != NULL ||
            ops->workspace != NULL)
            return 0;
    }
    return 1;
}

/* With a loss that declares values_line beside values_near: the first
 * affine layer after p (reached through elementwise or identity layers)
 * when only identity layers follow it, else -1.  Its output then changes
 * along one line for each changed unit j: Z + W[:, j] d, d a row of B. */
static int line_layer(const gc_fast *f, int p, const unsigned char *skip)
{
    if (f->net->loss->line == NULL || f->net->loss->values_line == NULL)
        return -1;
    int k = p + 1;
    while (k < f->n && (skip[k] || (f->layer_copy[k].ops->caps & GC_CAP_ELEMENTWISE)))
        k++;
    if (k == f->n)
        return -1;
    for (int i = k + 1; i < f->n; i++)
        if (!skip[i])
            return -1;
    return k;
}

/* The loss declares values_near (with values, base_size and base). */
static int has_near(const gc_loss *loss)
{
    return loss->values != NULL && loss->base_size != NULL && loss->base != NULL &&
           loss->values_near != NULL;
}

void gc_fast_batch_free(fast_batch *b)
{
    if (b == NULL)
        return;
    for (int i = 0; i < 2; i++) {
        free(b->row[i]);
        free(b->full[i]);
    }
    free(b->j);
    free(b->run);
    free(b->d);
    free(b->pv);
    free(b->ok);
    free(b->skip);
    free(b->lbase);
    free(b->zkey);
    free(b->tkey);
    free(b->line);
    free(b->wcol);
    free(b->wkey);
    free(b->dl);
    free(b->lwork);
    free(b->far);
    free(b->lt);
    free(b);
}

/* b's buffers for cap perturbations a pass but the full ones
 * (full_buffers); 0 when memory runs out.  Those a pass writes before it
 * reads them are not zeroed, so that only the pages a pass uses are
 * touched. */
static int batch_buffers(fast_batch *b, const gc_fast *f)
{
    const gc_net *net = f->net;
    const size_t out = gc_mat_size(net->act[f->n]);
    size_t unused;
    for (int i = 0; i < 2; i++)
        b->row[i] = gc_fast_line_alloc((size_t)b->cols, sizeof(double), &unused);
    b->j = gc_fast_line_calloc((size_t)b->cap, sizeof *b->j);
    b->run = gc_fast_line_calloc((size_t)b->cap + 1, sizeof *b->run);
    b->d = gc_fast_line_calloc((size_t)(f->B > b->cap ? f->B : b->cap), sizeof *b->d);
    b->pv = gc_fast_line_calloc(out, sizeof *b->pv);
    b->ok = gc_fast_line_calloc((size_t)net->ntensors, 1);
    b->skip = gc_fast_line_calloc((size_t)f->n, 1);
    b->line = gc_fast_line_calloc((size_t)net->ntensors, sizeof *b->line);
    b->wcol = gc_fast_line_alloc((size_t)net->act[f->n]->rows, sizeof *b->wcol, &unused);
    b->wkey = gc_fast_line_alloc((size_t)net->act[f->n]->rows, sizeof *b->wkey, &unused);
    b->far = gc_fast_line_alloc((size_t)b->cap, 1, &unused);
    b->lt = gc_fast_line_alloc((size_t)b->cap, sizeof *b->lt, &unused);
    int ok = b->row[0] != NULL && b->row[1] != NULL && b->j != NULL && b->run != NULL &&
             b->d != NULL && b->pv != NULL && b->ok != NULL && b->skip != NULL &&
             b->line != NULL && b->wcol != NULL && b->wkey != NULL && b->far != NULL &&
             b->lt != NULL;
    if (has_near(net->loss)) {
        /* the base state, and values_line's scratch of the same size */
        const size_t state = net->loss->base_size(net->act[f->n]->rows, net->act[f->n]->cols);
        b->lbase = gc_fast_line_alloc(1, state, &unused);
        b->lwork = gc_fast_line_alloc(1, state, &unused);
        b->dl = gc_fast_line_alloc((size_t)b->cols, sizeof *b->dl, &unused);
        b->zkey = gc_fast_line_alloc(out, sizeof *b->zkey, &unused);
        b->tkey = gc_fast_line_alloc(out, sizeof *b->tkey, &unused);
        ok = ok && b->lbase != NULL && b->lwork != NULL && b->dl != NULL && b->zkey != NULL &&
             b->tkey != NULL;
    }
    return ok;
}

/* The most rows a pass of tensor t leaves in the full buffers, walking the
 * layers as batch_pass does (and line_losses, whose variants far from the
 * line take full[0] through layer k): layer k's output there once the
 * change is no longer one row, or, still one row at the end, the output
 * widen_rows makes.  A layer's output is gc_fast_rows_of(net, k + 1). */
static int full_rows(const gc_fast *f, const fast_batch *b, int t)
{
    int rows = 0, rows_changed = 1;
    for (int k = f->t_layer[t] + 1; k < f->n; k++) {
        if (b->skip[k] || (rows_changed && (f->layer_copy[k].ops->caps & GC_CAP_ELEMENTWISE)))
            continue; /* skipped, or the changed rows still in row[] */
        const int out = gc_fast_rows_of(f->net, k + 1);
        rows = out > rows ? out : rows;
        if (rows_changed && b->line[t] == k) /* the rest is the loss along lines */
            return rows;
        rows_changed = 0;
    }
    return rows_changed ? gc_fast_rows_of(f->net, f->n) : rows;
}

/* full[0], full[1]: cols columns of as many rows as a pass of any tensor
 * b takes leaves in them (full_rows), not the widest layer's: on a line
 * only the output's rows go there (784-128-10's 10 logits, not its 128
 * hidden units).  The batch's cap still counts the widest layer, so the
 * passes, and their numbers, are the same. */
static int full_buffers(fast_batch *b, const gc_fast *f)
{
    int rows = 1;
    for (int t = 0; t < f->net->ntensors; t++) {
        const int r = b->ok[t] ? full_rows(f, b, t) : 0;
        rows = r > rows ? r : rows;
    }
    size_t unused;
    for (int i = 0; i < 2; i++)
        b->full[i] = gc_fast_line_alloc((size_t)rows * (size_t)b->cols, sizeof(double), &unused);
    return b->full[0] != NULL && b->full[1] != NULL;
}

fast_batch *gc_fast_batch_new(const gc_fast *f)
{
    const gc_net *net = f->net;
    fast_batch *b = gc_fast_line_calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    int maxrows = 1;
    for (int k = 1; k <= f->n; k++)
        if (gc_fast_rows_of(net, k) > maxrows)
            maxrows = gc_fast_rows_of(net, k);
    size_t per = 2 * ((size_t)maxrows + 1) * (size_t)f->B;
    size_t cap = BATCH_BUDGET / per;
    b->cap = cap < 1 ? 1 : cap > BATCH_MAX ? BATCH_MAX : (int)cap;
    b->cols = b->cap * f->B;
    if (!batch_buffers(b, f)) {
        gc_fast_batch_free(b);
        return NULL;
    }
    /* identity's forward copies its input: skipping it is bit for bit the
     * same (known by its ops, never by a type name) */
    for (int k = 0; k < f->n; k++)
        b->skip[k] = f->layer_copy[k].ops == gc_act_ops(GC_ACT_IDENTITY);
    for (int t = 0; t < net->ntensors; t++) {
        b->ok[t] = f->t_affine[t] && tail_batchable(f, f->t_layer[t]);
        b->line[t] = b->lbase != NULL ? line_layer(f, f->t_layer[t], b->skip) : -1;
    }
    if (!full_buffers(b, f)) {
        gc_fast_batch_free(b);
        return NULL;
    }
    return b;
}

int gc_fast_batchable(const gc_fast *f, int t)
{
    return t >= 0 && t < f->net->ntensors && f->batch->ok[t];
}

/* y[c] = z[c] + a x[c] for c < n, in runs of 8 that the compiler turns
 * into vector operations (each element the same multiply and add). */
static inline void axpy(double *restrict y, const double *restrict z, double a,
                        const double *restrict x, int n)
{
    int c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++)
            y[c + l] = z[c + l] + a * x[c + l];
    for (; c < n; c++)
        y[c] = z[c] + a * x[c];
}

/* y[c] = x[c] - z[c] for c < n, likewise. */
static inline void sub(double *restrict y, const double *restrict x, const double *restrict z,
                       size_t n)
{
    size_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (size_t l = 0; l < 8; l++)
            y[c + l] = x[c + l] - z[c + l];
    for (; c < n; c++)
        y[c] = x[c] - z[c];
}

/* y[c] = x[c] - z for c < n, likewise (B = 1: a run's changes of its unit). */
static inline void sub1(double *restrict y, const double *restrict x, double z, size_t n)
{
    size_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (size_t l = 0; l < 8; l++)
            y[c + l] = x[c + l] - z;
#ifndef GC_BATCH_SUB1_MUTANT /* checks/engine/check_fast.c: the tail's changes lost */
    for (; c < n; c++)
        y[c] = x[c] - z;
#endif
}

/* y[c] = z + a x[c] for c < n, likewise. */
static inline void axpy1(double *restrict y, double z, double a, const double *restrict x, int n)
{
    int c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++)
            y[c + l] = z + a * x[c + l];
    for (; c < n; c++)
        y[c] = z + a * x[c];
}

/* The changed rows of layer p's output: perturbation s sets element idx[s]
 * of W (pi 0) or b to v[s], as gc_fast_loss computes its row; b->j and the
 * runs of one j (line_losses takes each run's unit at once). */
GC_VVOID(changed_rows,
         (const gc_fast *f, fast_batch *b, int t, const size_t *idx, const double *v, int q),
         (f, b, t, idx, v, q))
{
    const gc_net *net = f->net;
    const int p = f->t_layer[t], pi = f->t_param[t], B = f->B;
    const size_t in = (size_t)net->layers[p]->in;
    const double *theta = net->tensors[t]->value;
    if (B == 1 && pi == 0) { /* one number a perturbation: no loop over columns */
        const double *z = net->act[p + 1]->data, *x = net->act[p]->data;
        double *restrict row = b->row[0];
        int *restrict js = b->j, *restrict run = b->run, nruns = 0;
        size_t last = SIZE_MAX, j = 0, k = 0;
        for (int s = 0; s < q; s++) {
            if (idx[s] != last) { /* the two sides of a row share idx */
                const size_t j0 = j;
                last = idx[s];
                j = last / in;
                k = last - j * in;
                if (s == 0 || j != j0)
                    run[nruns++] = s;
            }
            js[s] = (int)j;
            row[s] = z[j] + (v[s] - theta[last]) * x[k];
        }
        run[nruns] = q;
#ifdef GC_BATCH_RUNS_MUTANT /* checks/engine/check_fast.c's mutant: the last run lost */
        nruns -= nruns > 1;
#endif
        b->nruns = nruns;
        return;
    }
    b->nruns = 0;
    for (int s = 0; s < q; s++) {
        /* δ = v - θ, exactly the perturbation the reference applies */
        const double delta = v[s] - theta[idx[s]];
        const int j = pi == 0 ? (int)(idx[s] / in) : (int)idx[s];
        const double *z = &GC_AT(net->act[p + 1], j, 0);
        double *r = b->row[0] + (size_t)s * (size_t)B;
        if (s == 0 || j != b->j[s - 1])
            b->run[b->nruns++] = s;
        b->j[s] = j;
        if (pi == 0) {
            axpy(r, z, delta, &GC_AT(net->act[p], (int)(idx[s] % in), 0), B);
        } else {
            for (int c = 0; c < B; c++)
                r[c] = z[c] + delta;
        }
    }
    b->run[b->nruns] = q;
}

/* B = 1: every perturbation's change is one number d_s, and
 * Z'_s[i] = Z[i] + W[i][j_s] d_s, row by row over the perturbations (the
 * same multiply and add as gc_fast_loss's). */
GC_VVOID(rank1_column,
         (const gc_fast *f, fast_batch *b, int k, const double *xr, double *Zn, int q),
         (f, b, k, xr, Zn, q))
{
    const gc_layer *l = &f->layer_copy[k];
    const double *restrict W = l->param[0].value, *restrict xc = f->net->act[k]->data;
    const double *restrict z = f->net->act[k + 1]->data;
    const int *restrict js = b->j;
    double *restrict d = b->d;
    int same = 1;
    for (int s = 0; s < q; s++) {
        d[s] = xr[s] - xc[js[s]];
        same &= js[s] == js[0];
    }
    for (int i = 0; i < l->out; i++) {
        const double *restrict Wi = W + (size_t)i * (size_t)l->in;
        double *restrict zn = Zn + (size_t)i * (size_t)q;
        if (same) { /* one row's elements (W[j][.]): one column of W */
            axpy1(zn, z[i], Wi[js[0]], d, q);
            continue;
        }
        for (int s = 0; s < q; s++)
            zn[s] = z[i] + Wi[js[s]] * d[s];
    }
}

/* Affine layer k after changed rows xr (perturbation s's row j_s of its
 * input): Z'_s = Z + W[:, j_s] (X'_s[j_s, :] - X[j_s, :]) into Zn, out x qB. */
GC_VVOID(rank1, (const gc_fast *f, fast_batch *b, int k, const double *xr, double *Zn, int q),
         (f, b, k, xr, Zn, q))
{
    const gc_net *net = f->net;
    const gc_layer *l = &f->layer_copy[k];
    const double *W = l->param[0].value;
    const size_t in = (size_t)l->in, qB = (size_t)q * (size_t)f->B;
    const int B = f->B;
    for (int s = 0; s < q; s++) {
        const int j = b->j[s];
        sub(b->d, xr + (size_t)s * (size_t)B, &GC_AT(net->act[k], j, 0), (size_t)B);
        for (int i = 0; i < l->out; i++)
            axpy(Zn + (size_t)i * qB + (size_t)s * (size_t)B, &GC_AT(net->act[k + 1], i, 0),
                 W[(size_t)i * in + (size_t)j], b->d, B);
    }
}

/* Affine layer k's rank-1 change into Zn: rank1_column's form at B = 1,
 * rank1's otherwise (the same arithmetic a perturbation). */
static void rank1_any(const gc_fast *f, fast_batch *b, int k, const double *xr, double *Zn,
                      int q)
{
    if (f->B == 1)
        rank1_column(f, b, k, xr, Zn, q);
    else
        rank1(f, b, k, xr, Zn, q);
}

/* The output when the change is still one row per perturbation: the cache
 * with row j_s replaced, side by side, into P (rows x qB). */
static void widen_rows(const gc_fast *f, fast_batch *b, const double *xr, double *P, int q)
{
    const gc_mat *A = f->net->act[f->n];
    const size_t B = (size_t)f->B, qB = (size_t)q * B;
    for (int i = 0; i < A->rows; i++)
        for (int s = 0; s < q; s++)
            memcpy(P + (size_t)i * qB + (size_t)s * B, &GC_AT(A, i, 0), B * sizeof *P);
    for (int s = 0; s < q; s++)
        memcpy(P + (size_t)b->j[s] * qB + (size_t)s * B, xr + (size_t)s * B, B * sizeof *P);
}

/* The q losses of the output P (rows x qB). */
static void batch_loss(const gc_fast *f, fast_batch *b, double *P, int q, double *out)
{
    const gc_net *net = f->net;
    const int rows = net->act[f->n]->rows, B = f->B;
    gc_mat Pm = {rows, q * B, P};
    if (b->lbase != NULL) {
        net->loss->values_near(out, &Pm, net->T, b->lbase);
        return;
    }
    if (net->loss->values != NULL) {
        net->loss->values(out, &Pm, net->T);
        return;
    }
    gc_mat V = {rows, B, b->pv};
    for (int s = 0; s < q; s++) {
        for (int i = 0; i < rows; i++)
            memcpy(&GC_AT(&V, i, 0), &GC_AT(&Pm, i, s * B), (size_t)B * sizeof *P);
        out[s] = net->loss->value(&V, net->T);
    }
}

/* lwork made (gc_loss.line) from column j of layer l's W and the base:
 * made again only when the column's bits or the base changed since.
 * Returns 0 when that line cannot be taken. */
static int line_current(const gc_fast *f, fast_batch *b, const gc_layer *l, int j)
{
    const double *W = l->param[0].value;
    for (int i = 0; i < l->out; i++)
        b->wcol[i] = W[(size_t)i * (size_t)l->in + (size_t)j];
    const size_t bytes = (size_t)l->out * sizeof *b->wcol;
    if (b->lined == 0 || memcmp(b->wcol, b->wkey, bytes) != 0) {
        b->lined = f->net->loss->line(b->lwork, b->lbase, b->wcol) ? 1 : -1;
        memcpy(b->wkey, b->wcol, bytes);
    }
    return b->lined == 1;
}

/* Layer k the last one that computes (line_layer): each changed unit's
 * losses along its line, Z + W[:, j] d_s with rank1's change
 * d_s = X'_s[j, :] - X[j, :], for each run of one j (gc_loss.values_line);
 * the variants it calls far through rank1 and batch_loss. */
static void line_losses(const gc_fast *f, fast_batch *b, int k, const double *xr, int q,
                        double *out)
{
    const gc_layer *l = &f->layer_copy[k];
    const size_t B = (size_t)f->B;
    size_t nfar = 0;
    const gc_mat *X = f->net->act[k];
    for (int r = 0; r < b->nruns; r++) {
        const int s0 = b->run[r], s1 = b->run[r + 1], j = b->j[s0];
        const size_t n = (size_t)(s1 - s0);
        const double *xc = &GC_AT(X, j, 0);
        if (B == 1) { /* one number a perturbation */
            sub1(b->dl + s0, xr + s0, xc[0], n);
        } else {
            for (int s = s0; s < s1; s++)
                sub(b->dl + (size_t)s * B, xr + (size_t)s * B, xc, B);
        }
        if (!line_current(f, b, l, j)) {
            memset(b->far + s0, 1, n);
            nfar += n;
            continue;
        }
        nfar += f->net->loss->values_line(out + s0, b->far + s0, b->dl + (size_t)s0 * B, n,
                                          b->lbase, b->lwork);
    }
    if (nfar == 0)
        return;
    rank1_any(f, b, k, xr, b->full[0], q);
    batch_loss(f, b, b->full[0], q, b->lt);
    for (int s = 0; s < q; s++)
        if (b->far[s])
            out[s] = b->lt[s];
}

/* lbase made from the output and targets now in the cache, bit for bit:
 * made again only when one of them changed since. */
static void base_current(const gc_fast *f, fast_batch *b)
{
    const gc_net *net = f->net;
    const gc_mat *Z = net->act[f->n];
    const size_t bytes = gc_mat_size(Z) * sizeof(double);
    if (b->keyed && memcmp(b->zkey, Z->data, bytes) == 0 &&
        memcmp(b->tkey, net->T->data, bytes) == 0)
        return;
    net->loss->base(b->lbase, Z, net->T);
    b->lined = 0; /* a line's coefficients come from the base */
    memcpy(b->zkey, Z->data, bytes);
    memcpy(b->tkey, net->T->data, bytes);
    b->keyed = 1;
}

/* One pass of q <= cap perturbations, layer by layer as propagate() walks. */
static void batch_pass(gc_fast *f, fast_batch *b, int t, const size_t *idx, const double *v,
                       int q, double *out)
{
    const int qB = q * f->B;
    int ri = 0, fi = 0, rows_changed = 1;
    changed_rows(f, b, t, idx, v, q);
    for (int k = f->t_layer[t] + 1; k < f->n; k++) {
        const gc_layer *l = &f->layer_copy[k];
        if (b->skip[k])
            continue;
        if (rows_changed && (l->ops->caps & GC_CAP_ELEMENTWISE)) {
            /* only the changed rows change */
            gc_mat X = {1, qB, b->row[ri]}, Y = {1, qB, b->row[1 - ri]};
            l->ops->forward(l, &Y, &X);
            ri = 1 - ri;
        } else if (rows_changed) {
            if (b->line[t] == k) { /* the rest is the loss along lines */
                line_losses(f, b, k, b->row[ri], q, out);
                return;
            }
            rank1_any(f, b, k, b->row[ri], b->full[fi], q);
            rows_changed = 0;
        } else {
            gc_mat X = {l->in, qB, b->full[fi]}, Y = {l->out, qB, b->full[1 - fi]};
            l->ops->forward(l, &Y, &X);
            fi = 1 - fi;
        }
    }
    if (rows_changed)
        widen_rows(f, b, b->row[ri], b->full[fi], q);
    batch_loss(f, b, b->full[fi], q, out);
}

int gc_fast_losses(gc_fast *f, int t, const size_t *idx, const double *v, size_t n, double *out)
{
    if (!gc_fast_batchable(f, t))
        return GC_EINVAL;
    fast_batch *b = f->batch;
    if (b->lbase != NULL && n > 0) /* the variants lie near the cached output */
        base_current(f, b);
    for (size_t s0 = 0; s0 < n; s0 += (size_t)b->cap) {
        int q = n - s0 < (size_t)b->cap ? (int)(n - s0) : b->cap;
        batch_pass(f, b, t, idx + s0, v + s0, q, out + s0);
    }
    f->nevals += n;
    return GC_OK;
}
