/*
 * summary.c -- a finished report's summaries: per tensor its counts, worst
 * and median rel_err, sensitivity, norm ratio, vacuous and sampled flags;
 * the totals.  Medians by selection (report/rank.h), never a sort.
 */
#include "report/summary.h"
#include "report/partial.h"
#include "core/threads.h"
#include "nn/vmath.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The smallest relative error of a that the check would have refuted at
 * this row: (band + B + |a - n|) / |a|; Inf where a is 0 or B is NaN. */
static double sensitivity(const gc_row *row)
{
    double s = (row->band + row->num_err + row->abs_err) / fabs(row->analytic);
    return isnan(s) ? INFINITY : s;
}

/* A rel_err, a sensitivity, whose key (gc_rank_key) gives it back bit for
 * bit: neither NaN (every NaN has one key) nor -0 (keyed as +0). */
static inline int rel_keyed(double x)
{
    return !isnan(x) && !(x == 0.0 && signbit(x));
}

static inline int sens_keyed(double s)
{
    return !(s == 0.0 && signbit(s)); /* never NaN */
}

/* Row k of those summarised: r's own (at NULL), or, when r holds only some
 * of them (gc_summary_hold: r->rows[i] is row at[i], ascending), the one
 * held; NULL when it is not. */
static const gc_row *row_of(const gc_report *r, const size_t *at, size_t k)
{
    if (at == NULL)
        return &r->rows[k];
    const size_t lo = gc_held_index(at, r->nrows, k);
    return lo < r->nrows && at[lo] == k ? &r->rows[lo] : NULL;
}

/* The k-th smallest of v[0..n) (Hoare's selection; v is reordered). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* The mean of a sorted order's middle values, or its middle one (count c
 * >= 1): from the keys of the c values, any order (reordered). */
static void middle_keys(uint64_t *keys, size_t c, uint64_t differ, uint64_t *lo, uint64_t *hi)
{
    gc_key_select(keys, c, (c - 1) / 2, differ, lo, c % 2 == 0 ? hi : NULL);
    if (c % 2 != 0)
        *hi = *lo;
}

/* Sensitivity's median from the ascending keys of the tensor's c >= 1
 * rows (reordered); when one is -0 (exact 0: a key does not tell -0 from
 * +0, the printed median would), by select_kth on the values (none when
 * out of memory). */
static void sens_median(const gc_report *r, const size_t *at, gc_tensor_report *tr,
                        uint64_t *keys, uint64_t differ, int exact)
{
    size_t c = tr->count;
    if (exact) {
        uint64_t lo, hi;
        middle_keys(keys, c, differ, &lo, &hi);
        double a = gc_rank_rel(~lo), b = gc_rank_rel(~hi);
        tr->sens_median = c % 2 == 0 ? 0.5 * (a + b) : a;
        return;
    }
    double *v = malloc(c * sizeof *v);
    if (v == NULL)
        return;
    for (size_t k = 0; k < c; k++) { /* a row not held is keyed exactly */
        const gc_row *row = row_of(r, at, tr->first + k);
        v[k] = row != NULL ? sensitivity(row) : gc_rank_rel(~keys[k]);
    }
    double m = select_kth(v, c, (c - 1) / 2);
    if (c % 2 == 0)
        m = 0.5 * (m + select_kth(v, c, c / 2));
    tr->sens_median = m;
    free(v);
}

/* A tensor's counts while its rows are read: locals, so that nothing the
 * loop reads (the rows, the options) is reloaded after each count. */
typedef struct counts {
    int npass, nkink, nfail, nundecided, nweak, nescalated;
    int nreason[GC_NREASONS];
    double grad_scale;
} counts;

/* One row into the counts. */
static inline void count_row(counts *c, const gc_row *row, double rtol)
{
    switch (row->verdict) {
    case GC_PASS:
        c->npass++;
        c->nweak += !(row->rel_err <= rtol);
        break;
    case GC_KINK: c->nkink++; break;
    case GC_UNDECIDED:
        c->nundecided++;
        c->nreason[(int)row->reason >= 0 && row->reason < GC_NREASONS ? row->reason : 0]++;
        break;
    default: c->nfail++; break;
    }
    c->nescalated += row->escalated != 0;
    double m = fabs(row->analytic);
    if (!(m <= c->grad_scale)) /* NaN sticks */
        c->grad_scale = isnan(c->grad_scale) ? c->grad_scale : m;
}

static void store_counts(gc_tensor_report *tr, const counts *c)
{
    tr->npass = c->npass;
    tr->nkink = c->nkink;
    tr->nfail = c->nfail;
    tr->nundecided = c->nundecided;
    tr->nweak = c->nweak;
    tr->nescalated = c->nescalated;
    memcpy(tr->nreason, c->nreason, sizeof tr->nreason);
    tr->grad_scale = c->grad_scale;
}

/* Median rel_err from the report-order keys of the tensor's c >= 1 rows
 * (reordered).  With a NaN or -0 among them (exact 0) the keys do not say
 * which of several equal-keyed values sits at a position (the printed
 * median would differ in sign or payload); then gc_rank_summary, by the
 * comparator, which also finds the worst row again. */
static int rel_median(gc_report *r, const size_t *at, gc_tensor_report *tr, uint64_t *keys,
                      uint64_t differ, int exact)
{
    size_t c = tr->count;
    if (exact) {
        uint64_t lo, hi;
        middle_keys(keys, c, differ, &lo, &hi);
        double a = gc_rank_rel(lo), b = gc_rank_rel(hi);
        tr->median_rel = c % 2 == 0 ? 0.5 * (a + b) : a;
        return GC_OK;
    }
    gc_rank *ranks = malloc(c * sizeof *ranks);
    if (ranks == NULL)
        return GC_ENOMEM;
    for (size_t k = 0; k < c; k++) { /* a row not held is keyed exactly */
        const gc_row *row = row_of(r, at, tr->first + k);
        ranks[k].rel = row != NULL ? row->rel_err : gc_rank_rel(keys[k]);
        ranks[k].idx = tr->first + k;
    }
    gc_rank_summary(ranks, c, &tr->worst, &tr->max_rel, &tr->median_rel);
    free(ranks);
    return GC_OK;
}

/* The three sums behind the norm ratio, in row order: the only statistics
 * whose value depends on the order the rows are read in. */
typedef struct sums {
    double d2, a2, n2; /* sum of (a - n)^2, a^2, n^2 */
    size_t next;       /* ordered gathering: the tensor's rows summed so far;
                        * SIZE_MAX once a run came out of order */
} sums;

/* One row's terms added to the three sums behind the norm ratio. */
static inline void sums_add(double *d2, double *a2, double *n2, double a, double n)
{
    const double d = a - n;
    *d2 += d * d;
    *a2 += a * a;
    *n2 += n * n;
}

/* What one pass over a run of a tensor's rows gathers besides the keys and
 * the sums: nothing in it depends on how the tensor's rows are split into
 * runs (the runs are merged in order by merge_runs, which keeps each
 * first-found rule). */
typedef struct run_stats {
    counts c;
    int vacuous, rel_exact, sens_exact;
    size_t w;                       /* the first row (in the tensor) of the smallest key */
    uint64_t best, rel_or, rel_and; /* or ^ and: the bits in which keys differ */
    uint64_t sens_or, sens_and;
    double sworst;
} run_stats;

/* The vector part of read_run: rows[0 .. n) (n a multiple of 4, at most
 * GC_LANES_MAX) four at a time, in GNU C's vector types (none where they
 * or __builtin_shufflevector are missing, or on a big-endian machine).
 * Each lane computes what the scalar loop computes of its row, by the same
 * IEEE operations; the maxima, the smallest key and the bit masks do not
 * depend on the order they are taken in, and the sums are added lane by
 * lane in row order -- but for a NaN's bits, which depend on which operand
 * the compiler put first, so read_run sums again when an a or n is not
 * finite.  What needs a rare row's place (the first NaN |a| of
 * grad_scale, the undecided's reasons, the first row of the smallest key)
 * read_run finds from these. */
#if defined(__GNUC__) && (defined(__clang__) || __GNUC__ >= 12) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GC_SUMMARY_LANES 1
#define GC_LANES_MAX 65536 /* rows of one call of read_lanes */

typedef double gc_v4d __attribute__((vector_size(32)));
typedef int64_t gc_v4i __attribute__((vector_size(32)));
typedef uint64_t gc_v4u __attribute__((vector_size(32)));

/* The flags of read_lanes, one bit each: a rel_err -0, a sensitivity -0,
 * an a or n NaN. */
enum { FLAG_RELNEG0 = 1, FLAG_SENSNEG0 = 2, FLAG_NAN = 4 };

/* What the vector part gathers (its lanes reduced). */
typedef struct lanes_out {
    double d2, a2, n2, sworst, gscale; /* gscale: NaN ignored */
    uint64_t best, rel_or, rel_and, sens_or, sens_and;
    int npass, nkink, nundecided, nweak, nescalated;
    int novac, relnan, relneg0, sensneg0, nonfinite;
} lanes_out;

typedef double gc_v2d __attribute__((vector_size(16)));

/* The 16 bytes at field f of rows q .. q + 3 (two doubles, or four ints
 * read as two 8-byte lanes) as two vectors, lo and hi: four 16-byte loads,
 * those of rows q + 2, q + 3 in the upper halves, interleaved. */
#define PAIR4(f, lo, hi)                                                                       \
    do {                                                                                       \
        const char *r_ = (const char *)&rows[q] + offsetof(gc_row, f);                         \
        gc_v2d p0_, p1_, p2_, p3_;                                                             \
        memcpy(&p0_, r_, 16);                                                                  \
        memcpy(&p1_, r_ + sizeof *rows, 16);                                                   \
        memcpy(&p2_, r_ + 2 * sizeof *rows, 16);                                               \
        memcpy(&p3_, r_ + 3 * sizeof *rows, 16);                                               \
        const gc_v4d e_ = __builtin_shufflevector(p0_, p2_, 0, 1, 2, 3);                       \
        const gc_v4d o_ = __builtin_shufflevector(p1_, p3_, 0, 1, 2, 3);                       \
        lo = __builtin_shufflevector(e_, o_, 0, 4, 2, 6);                                      \
        hi = __builtin_shufflevector(e_, o_, 1, 5, 3, 7);                                      \
    } while (0)

_Static_assert(offsetof(gc_row, numeric) == offsetof(gc_row, analytic) + 8 &&
                   offsetof(gc_row, rel_err) == offsetof(gc_row, abs_err) + 8 &&
                   offsetof(gc_row, band) == offsetof(gc_row, num_err) + 8 &&
                   offsetof(gc_row, verdict) == offsetof(gc_row, hook) + 4 &&
                   offsetof(gc_row, reason) == offsetof(gc_row, hook) + 8 &&
                   offsetof(gc_row, escalated) == offsetof(gc_row, hook) + 12 &&
                   sizeof(gc_verdict) == 4 && sizeof(gc_reason) == 4,
               "read_lanes loads these fields in pairs");

/* m ? x : y lane by lane, m all ones or zero (a comparison) */
#define SEL4(m, x, y) ((gc_v4d)(((gc_v4i)(x) & (m)) | ((gc_v4i)(y) & ~(m))))
/* gc_rank_key of x + 0.0 (-0 keyed as +0), a NaN keyed 0 */
#define KEY4(x, x0)                                                                            \
    (((gc_v4i)(x0) ^ (gc_v4i)((gc_v4u) ~((gc_v4i)(x0) >> 63) >> 1)) & (gc_v4i)((x) == (x)))

GC_VVOID(read_lanes, (const gc_row *rows, size_t n, double rtol, double atol, uint64_t *rel,
                      uint64_t *sens, const double *acc, lanes_out *o),
         (rows, n, rtol, atol, rel, sens, acc, o))
{
    const gc_v4i zero = {0, 0, 0, 0}, ones = ~zero, sign = zero + INT64_MIN;
    const gc_v4i sign_off = (gc_v4i)((gc_v4u)ones >> 1);
    const gc_v4d inf = {INFINITY, INFINITY, INFINITY, INFINITY};
    gc_v4i ror = zero, rand = ones, sor = zero, sand = ones, flags = zero; /* FLAG_* bits */
    gc_v4i kmin = sign_off; /* the smallest key, its top bit flipped: signed order */
    gc_v4d sw = (gc_v4d)zero, ga = (gc_v4d)zero, gn = (gc_v4d)zero; /* +0: the scalar starts */
    /* n <= GC_LANES_MAX: a lane's count fits in 16 bits; passed, kinks,
     * undecided, weak; then the rows not escalated */
    gc_v4i cnt = zero, nlow = zero;
    double d2 = acc[0], a2 = acc[1], n2 = acc[2];
    for (size_t q = 0; q + 4 <= n; q += 4) {
        gc_v4d a, nu, ab, x, ne, band, hv, re;
        PAIR4(analytic, a, nu);
        PAIR4(abs_err, ab, x);
        PAIR4(num_err, ne, band);
        PAIR4(hook, hv, re); /* hook | verdict << 32, reason | escalated << 32 */
        const gc_v4d fa = (gc_v4d)((gc_v4i)a & sign_off), fn = (gc_v4d)((gc_v4i)nu & sign_off);
        gc_v4d s = (band + ne + ab) / fa;
        s = SEL4((gc_v4i)(s == s), s, inf);
        const gc_v4d x0 = x + 0.0, s0 = s + 0.0, t = fa + fn; /* t NaN: a or n is */
        const gc_v4i key = KEY4(x, x0), skey = ~KEY4(s, s0), ks = key ^ sign;
        memcpy(rel + q, &key, sizeof key);
        memcpy(sens + q, &skey, sizeof skey);
        ror |= key;
        rand &= key;
        sor |= skey;
        sand &= skey;
        kmin = (gc_v4i)SEL4(ks < kmin, ks, kmin);
        sw = SEL4((gc_v4i)(s > sw), s, sw);
        ga = SEL4((gc_v4i)(fa > ga), fa, ga);
        gn = SEL4((gc_v4i)(fn > gn), fn, gn);
        flags |= (((gc_v4i)x == sign) & FLAG_RELNEG0) | (((gc_v4i)s == sign) & FLAG_SENSNEG0) |
                 ((gc_v4i)(t != t) & FLAG_NAN);
        const gc_v4u v = (gc_v4u)hv >> 32;
        const gc_v4i pass = (gc_v4i)(v == GC_PASS);
        cnt += (pass & 1) | ((gc_v4i)(v == GC_KINK) & (INT64_C(1) << 16)) |
               ((gc_v4i)(v == GC_UNDECIDED) & (INT64_C(1) << 32)) |
#ifndef GC_SUMMARY_COUNTS_MUTANT
               (pass & ~(gc_v4i)(x <= rtol) & (INT64_C(1) << 48));
#else /* checks/report/check_sort.c's mutant: weak rows counted as undecided */
               (pass & ~(gc_v4i)(x <= rtol) & (INT64_C(1) << 32));
#endif
        nlow -= (gc_v4i)((gc_v4u)re >> 32 == 0);
        const gc_v4d d = a - nu, dd = d * d, aa = a * a, nn = nu * nu;
        for (int l = 0; l < 4; l++) { /* in row order */
            d2 += dd[l];
            a2 += aa[l];
            n2 += nn[l];
        }
    }
    o->d2 = d2;
    o->a2 = a2;
    o->n2 = n2;
    o->sworst = o->gscale = 0.0;
    o->rel_or = o->sens_or = 0;
    o->rel_and = o->sens_and = o->best = UINT64_MAX;
    o->npass = o->nkink = o->nundecided = o->nweak = 0;
    o->nescalated = (int)n;
    int64_t fl = 0;
    double gmax = 0.0;
    for (int l = 0; l < 4; l++) { /* none NaN: any order gives the same */
        const uint64_t k = (uint64_t)(kmin[l] ^ INT64_MIN);
        o->best = k < o->best ? k : o->best;
        o->sworst = sw[l] > o->sworst ? sw[l] : o->sworst;
        o->gscale = ga[l] > o->gscale ? ga[l] : o->gscale;
        gmax = ga[l] > gmax ? ga[l] : gmax;
        gmax = gn[l] > gmax ? gn[l] : gmax;
        o->rel_or |= (uint64_t)ror[l];
        o->rel_and &= (uint64_t)rand[l];
        o->sens_or |= (uint64_t)sor[l];
        o->sens_and &= (uint64_t)sand[l];
        o->npass += (int)(cnt[l] & 0xffff);
        o->nkink += (int)(cnt[l] >> 16 & 0xffff);
        o->nundecided += (int)(cnt[l] >> 32 & 0xffff);
        o->nweak += (int)(cnt[l] >> 48 & 0xffff);
        o->nescalated -= (int)nlow[l];
        fl |= flags[l];
    }
    o->relnan = o->best == 0; /* a NaN's key, and only its */
    o->relneg0 = (fl & FLAG_RELNEG0) != 0;
    o->sensneg0 = (fl & FLAG_SENSNEG0) != 0;
    o->nonfinite = (fl & FLAG_NAN) != 0 || gmax == INFINITY;
    o->novac = (fl & FLAG_NAN) != 0 || !(gmax <= atol);
}
#endif

/* rows[0..n), rows k0 .. k0 + n of a tensor: their keys into rel[q] and
 * sens[q], the rest into *p; *acc (NULL: none) gets the sums continued over
 * them in row order, an (NULL: none) each row's analytic and numeric. */
static void read_run(const gc_row *rows, size_t n, size_t k0, double rtol, double atol,
                     uint64_t *rel, uint64_t *sens, sums *acc, double *an, run_stats *p)
{
    double d2 = 0.0, a2 = 0.0, n2 = 0.0, sworst = 0.0;
    if (acc != NULL) {
        d2 = acc->d2;
        a2 = acc->a2;
        n2 = acc->n2;
    }
    int vacuous = 1, rel_exact = 1, sens_exact = 1;
    uint64_t best = UINT64_MAX, rel_or = 0, rel_and = UINT64_MAX;
    uint64_t sens_or = 0, sens_and = UINT64_MAX;
    size_t w = 0;
    counts c = {0};
    c.grad_scale = 0.0;
    size_t q = 0;
#ifdef GC_SUMMARY_LANES
    /* the first rows, up to GC_LANES_MAX, in lanes (blocks have fewer) */
    const size_t nv = (n < GC_LANES_MAX ? n : GC_LANES_MAX) / 4 * 4;
    if (nv > 0) {
        const double in[3] = {d2, a2, n2};
        lanes_out o;
        read_lanes(rows, nv, rtol, atol, rel, sens, in, &o);
#ifndef GC_SUMMARY_LANES_MUTANT
        if (!o.nonfinite) {
#else /* checks/report/check_sort.c's mutant: the lanes' sums, NaN or not */
        if (1) {
#endif
            d2 = o.d2;
            a2 = o.a2;
            n2 = o.n2;
        } else { /* a NaN's bits: those of the scalar operations */
            for (size_t k = 0; k < nv; k++) {
                const gc_row *row = &rows[k];
                sums_add(&d2, &a2, &n2, row->analytic, row->numeric);
            }
        }
        sworst = o.sworst;
        vacuous = !o.novac;
        rel_exact = !o.relnan && !o.relneg0;
        sens_exact = !o.sensneg0;
        rel_or = o.rel_or;
        rel_and = o.rel_and;
        sens_or = o.sens_or;
        sens_and = o.sens_and;
        c.npass = o.npass;
        c.nkink = o.nkink;
        c.nundecided = o.nundecided;
        c.nweak = o.nweak;
        c.nescalated = o.nescalated;
        c.nfail = (int)nv - o.npass - o.nkink - o.nundecided;
        c.grad_scale = o.gscale;
        for (size_t k = 0; o.nonfinite && k < nv; k++) /* the first NaN sticks */
            if (isnan(rows[k].analytic)) {
                c.grad_scale = fabs(rows[k].analytic);
                break;
            }
        for (size_t k = 0; c.nundecided > 0 && k < nv; k++)
            if (rows[k].verdict == GC_UNDECIDED) {
                const gc_reason why = rows[k].reason;
                c.nreason[(int)why >= 0 && why < GC_NREASONS ? why : 0]++;
            }
        best = o.best;
        while (rel[w] != best)
            w++;
        if (an != NULL)
            for (size_t k = 0; k < nv; k++) {
                an[2 * k] = rows[k].analytic;
                an[2 * k + 1] = rows[k].numeric;
            }
        q = nv;
    }
#endif
    for (; q < n; q++) {
        const gc_row *row = &rows[q];
        count_row(&c, row, rtol);
        sums_add(&d2, &a2, &n2, row->analytic, row->numeric);
        if (an != NULL) {
            an[2 * q] = row->analytic;
            an[2 * q + 1] = row->numeric;
        }
        if (!(fabs(row->analytic) <= atol) || !(fabs(row->numeric) <= atol))
            vacuous = 0;
        double x = row->rel_err, s = sensitivity(row);
        uint64_t key = gc_rank_key(x);
        rel_exact &= rel_keyed(x);
        if (key < best || q == 0) { /* equal keys: the earlier row stays */
            best = key;
            w = q;
        }
        rel[q] = key;
        rel_or |= key;
        rel_and &= key;
        sworst = s > sworst ? s : sworst;
        sens_exact &= sens_keyed(s);
        uint64_t skey = ~gc_rank_key(s); /* ascending in s */
        sens[q] = skey;
        sens_or |= skey;
        sens_and &= skey;
    }
    if (acc != NULL)
        *acc = (sums){d2, a2, n2, acc->next + n};
    *p = (run_stats){c, vacuous, rel_exact, sens_exact, k0 + w, best, rel_or, rel_and,
                     sens_or, sens_and, sworst};
}

/* sign times every count of *p (not grad_scale) into *c. */
static void add_counts(counts *c, const counts *p, int sign)
{
    c->npass += sign * p->npass;
    c->nkink += sign * p->nkink;
    c->nfail += sign * p->nfail;
    c->nundecided += sign * p->nundecided;
    c->nweak += sign * p->nweak;
    c->nescalated += sign * p->nescalated;
    for (int w = 0; w < GC_NREASONS; w++)
        c->nreason[w] += sign * p->nreason[w];
}

/* *into followed by the later run *p: the earlier row keeps the smallest
 * key and the largest sensitivity among equals, a NaN scale its place. */
static void merge_runs(run_stats *into, const run_stats *p)
{
    counts *c = &into->c;
    add_counts(c, &p->c, 1);
    if (!(p->c.grad_scale <= c->grad_scale)) /* NaN sticks */
        c->grad_scale = isnan(c->grad_scale) ? c->grad_scale : p->c.grad_scale;
    into->vacuous &= p->vacuous;
    into->rel_exact &= p->rel_exact;
    into->sens_exact &= p->sens_exact;
    if (p->best < into->best) {
        into->best = p->best;
        into->w = p->w;
    }
    into->rel_or |= p->rel_or;
    into->rel_and &= p->rel_and;
    into->sens_or |= p->sens_or;
    into->sens_and &= p->sens_and;
    into->sworst = p->sworst > into->sworst ? p->sworst : into->sworst;
}

/* The tensor's fields from its rows' statistics *p (count >= 1 rows), all
 * but the norm ratio and the medians. */
static void store_stats(const gc_report *r, const size_t *at, gc_tensor_report *tr,
                        const run_stats *p)
{
    store_counts(tr, &p->c);
    tr->vacuous = p->vacuous;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    tr->worst = tr->first + p->w;
    tr->max_rel = row_of(r, at, tr->worst)->rel_err; /* held: gc_summary_block_best */
    tr->sens_worst = p->sworst;
}

/* A tensor without rows (a split check's part may hold none of them). */
static void store_empty(gc_tensor_report *tr)
{
    counts c = {0};
    c.grad_scale = 0.0;
    store_counts(tr, &c);
    tr->norm_ratio = 0.0;
    tr->vacuous = 0;
    tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
    tr->sens_median = tr->sens_worst = NAN;
    tr->worst = tr->first;
    tr->max_rel = tr->median_rel = 0.0;
}

struct gc_summary {
    size_t block, nrows, nruns;
    int ordered, stats;
    uint64_t *rel, *sens; /* nrows each: row k's keys */
    double *an;           /* kept: 2 nrows, row k's analytic and numeric, else NULL */
    size_t *base;         /* ntensors: tensor t's runs start at runs[base[t]] */
    run_stats *runs;      /* one per block a tensor's rows meet, in row order */
    sums *sum;            /* ntensors: ordered, the sums so far */
    const size_t *at;     /* NULL, or the rows r holds (gc_summary_hold) */
};

void gc_summary_free(gc_summary *s)
{
    if (s == NULL)
        return;
    free(s->rel);
    free(s->an);
    free(s->base);
    free(s->runs);
    free(s->sum);
    free(s);
}

gc_summary *gc_summary_new(const gc_report *r, size_t block, int ordered, int keep, int stats)
{
    gc_summary *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    const size_t n = r->nrows > 0 ? r->nrows : 1, nt = r->ntensors > 0 ? (size_t)r->ntensors : 1;
    *s = (gc_summary){
        .block = block > 0 ? block : 1, .nrows = r->nrows, .ordered = ordered, .stats = stats};
    keep &= stats;
    s->rel = malloc((stats ? 2 * n : 1) * sizeof *s->rel);
    s->an = keep ? malloc(2 * n * sizeof *s->an) : NULL;
    s->base = malloc(nt * sizeof *s->base);
    s->sum = calloc(nt, sizeof *s->sum);
    size_t nruns = 0;
    for (int t = 0; s->base != NULL && t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        s->base[t] = nruns;
        if (tr->count > 0)
            nruns += (tr->first + tr->count - 1) / s->block - tr->first / s->block + 1;
    }
    s->nruns = nruns;
    s->runs = malloc((nruns > 0 ? nruns : 1) * sizeof *s->runs);
    if (s->rel == NULL || (keep && s->an == NULL) || s->base == NULL || s->sum == NULL ||
        s->runs == NULL) {
        gc_summary_free(s);
        return NULL;
    }
    s->sens = stats ? s->rel + n : s->rel;
    return s;
}

/* gc_summary_read without the statistics: rows[0..n)'s counts and vacuous
 * flag alone, as read_run gathers them. */
static void read_counts(const gc_row *rows, size_t n, double rtol, double atol, run_stats *p)
{
    counts c = {0};
    c.grad_scale = 0.0;
    int vacuous = 1;
    for (size_t q = 0; q < n; q++) {
        count_row(&c, &rows[q], rtol);
#ifndef GC_COUNTS_ONLY_MUTANT
        vacuous &= fabs(rows[q].analytic) <= atol && fabs(rows[q].numeric) <= atol;
#else /* checks/report/check_partial.c's mutant: every tensor vacuous */
        (void)atol;
#endif
    }
    *p = (run_stats){.c = c, .vacuous = vacuous};
}

void gc_summary_read(gc_summary *s, const gc_report *r, const gc_row *rows, size_t b)
{
    const size_t lo = b * s->block, hi = s->nrows - lo < s->block ? s->nrows : lo + s->block;
    for (size_t k = lo, end; k < hi; k = end) {
        const int t = gc_tensor_of_row(r->tensors, r->ntensors, k);
        const gc_tensor_report *tr = &r->tensors[t];
        end = tr->first + tr->count < hi ? tr->first + tr->count : hi;
        run_stats *p = &s->runs[s->base[t] + b - tr->first / s->block];
        if (!s->stats) {
            read_counts(&rows[k - lo], end - k, r->opts.rtol, r->opts.atol, p);
            continue;
        }
        sums *acc = NULL;
        if (s->ordered && s->sum[t].next == k - tr->first)
            acc = &s->sum[t];
        else if (s->ordered)
            s->sum[t].next = SIZE_MAX; /* summed again from the rows */
        read_run(&rows[k - lo], end - k, k - tr->first, r->opts.rtol, r->opts.atol, s->rel + k,
                 s->sens + k, acc, s->an != NULL ? s->an + 2 * k : NULL, p);
    }
}

size_t gc_summary_block_best(const gc_summary *s, const gc_report *r, size_t b, size_t *out,
                             int *keyed)
{
    const size_t lo = b * s->block, hi = s->nrows - lo < s->block ? s->nrows : lo + s->block;
    size_t n = 0;
    *keyed = 1;
    for (size_t k = lo, end; s->stats && k < hi; k = end) {
        const int t = gc_tensor_of_row(r->tensors, r->ntensors, k);
        const gc_tensor_report *tr = &r->tensors[t];
        end = tr->first + tr->count < hi ? tr->first + tr->count : hi;
        const run_stats *p = &s->runs[s->base[t] + b - tr->first / s->block];
        out[n++] = tr->first + p->w;
        *keyed &= p->rel_exact & p->sens_exact;
    }
    return n;
}

void gc_summary_revise(gc_summary *s, const gc_report *r, size_t k, const gc_row *was,
                       const gc_row *now)
{
    const int t = gc_tensor_of_row(r->tensors, r->ntensors, k);
    const gc_tensor_report *tr = &r->tensors[t];
    counts *c = &s->runs[s->base[t] + k / s->block - tr->first / s->block].c;
    counts a = {0}, b = {0};
    count_row(&a, was, r->opts.rtol);
    count_row(&b, now, r->opts.rtol);
    add_counts(c, &a, -1);
    add_counts(c, &b, 1);
}

void gc_summary_hold(gc_summary *s, const size_t *at)
{
    s->at = at;
}

long long gc_summary_nfail(const gc_summary *s)
{
    long long n = 0;
    for (size_t q = 0; q < s->nruns; q++)
        n += s->runs[q].c.nfail;
    return n;
}

/* The norm ratio of a tensor (count >= 1) from its sums in row order: those
 * gathered in order, else from each row's a and n kept, else from its rows. */
static void norm_ratio(const gc_summary *s, const gc_report *r, int t)
{
    gc_tensor_report *tr = &r->tensors[t];
    sums m = s->sum[t];
    if (!s->ordered || m.next != tr->count) {
        m.d2 = m.a2 = m.n2 = 0.0;
        for (size_t k = tr->first; k < tr->first + tr->count; k++) {
            const double a = s->an != NULL ? s->an[2 * k] : row_of(r, s->at, k)->analytic;
            const double n = s->an != NULL ? s->an[2 * k + 1] : row_of(r, s->at, k)->numeric;
            sums_add(&m.d2, &m.a2, &m.n2, a, n);
        }
    }
    double na = sqrt(m.a2), nn = sqrt(m.n2);
    tr->norm_ratio = (na + nn == 0.0 && m.d2 == 0.0) ? 0.0 : sqrt(m.d2) / (na + nn);
}

/* What is left of the summaries once the runs are merged, three tasks per
 * tensor (count >= 1; none for the others): the sums, each median. */
typedef struct finish_job {
    gc_summary *s;
    gc_report *r;
    const int *todo; /* the tensors to finish */
    int *rc;         /* each one's rel_err median's status */
} finish_job;

static void finish_task(void *ctx, int tid, size_t i)
{
    (void)tid;
    finish_job *j = ctx;
    const int t = j->todo[i / 3];
    gc_tensor_report *tr = &j->r->tensors[t];
    const run_stats *p = &j->s->runs[j->s->base[t]];
    uint64_t *rel = j->s->rel + tr->first, *sens = j->s->sens + tr->first;
    if (i % 3 == 0)
        norm_ratio(j->s, j->r, t);
    else if (i % 3 == 1)
        sens_median(j->r, j->s->at, tr, sens, p->sens_or ^ p->sens_and, p->sens_exact);
    else
        j->rc[i / 3] = rel_median(j->r, j->s->at, tr, rel, p->rel_or ^ p->rel_and, p->rel_exact);
}

/* The report's totals from its tensors'. */
static void totals(gc_report *r)
{
    r->npass = r->nkink = r->nfail = r->nvacuous = 0;
    r->nundecided = r->nweak = r->nescalated = 0;
    memset(r->nreason, 0, sizeof r->nreason);
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        r->npass += tr->npass;
        r->nkink += tr->nkink;
        r->nfail += tr->nfail;
        r->nundecided += tr->nundecided;
        r->nweak += tr->nweak;
        r->nescalated += tr->nescalated;
        for (int w = 0; w < GC_NREASONS; w++)
            r->nreason[w] += tr->nreason[w];
        r->nvacuous += tr->vacuous;
    }
}

/* Rows of a tensor one thread reads at a time in gc_report_summarize; a
 * report without a tensor of more rows is finished on one thread. */
#define RUN_ROWS 8192

int gc_summary_finish(gc_summary *s, gc_report *r, int nthreads)
{
    const size_t nt = r->ntensors > 0 ? (size_t)r->ntensors : 1;
    int *todo = malloc(2 * nt * sizeof *todo);
    if (todo == NULL)
        return GC_ENOMEM;
    free(r->order); /* the order, when asked for, is that of these rows */
    r->order = NULL;
    int ntodo = 0, big = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        if (tr->screened) /* no rows; the screen filled its summary */
            continue;
        if (tr->count == 0) {
            store_empty(tr);
            continue;
        }
        run_stats *p = &s->runs[s->base[t]];
        const size_t nruns = (tr->first + tr->count - 1) / s->block - tr->first / s->block + 1;
        for (size_t q = 1; q < nruns; q++)
            merge_runs(p, &p[q]);
        if (!s->stats) { /* the counts alone */
            store_counts(tr, &p->c);
            tr->vacuous = p->vacuous;
            tr->sampled = tr->count < (size_t)tr->rows * (size_t)tr->cols;
            continue;
        }
        store_stats(r, s->at, tr, p);
        tr->sens_median = NAN;
        big |= tr->count > RUN_ROWS;
        todo[ntodo++] = t;
    }
    finish_job j = {s, r, todo, todo + nt};
    gc_threads_for(big ? nthreads : 1, 3 * (size_t)ntodo, 1, finish_task, &j);
    int rc = GC_OK;
    for (int q = 0; q < ntodo; q++)
        rc = j.rc[q] != GC_OK ? j.rc[q] : rc;
    free(todo);
    totals(r);
    return rc;
}

typedef struct read_job {
    gc_summary *s;
    const gc_report *r;
} read_job;

static void read_task(void *ctx, int tid, size_t b)
{
    (void)tid;
    read_job *j = ctx;
    gc_summary_read(j->s, j->r, j->r->rows + b * RUN_ROWS, b);
}

int gc_report_summarize(gc_report *r)
{
    /* the threads the check ran its rows on (a reference check runs on
     * one), the default count no more than one per
     * GC_SUMMARY_ROWS_PER_THREAD rows */
    const int nthreads = r->opts.engine == GC_ENGINE_FAST
                             ? gc_threads_for_work(r->opts.threads, (double)r->nrows,
                                                   GC_SUMMARY_ROWS_PER_THREAD)
                             : 1;
    const size_t nblocks = (r->nrows + RUN_ROWS - 1) / RUN_ROWS;
    /* one run, or one thread: read in order, the sums with the rest; else
     * the sums from the rows again (no 16 bytes a row more: a merged
     * report's rows may be most of the memory) */
    const int ordered = nthreads == 1 || nblocks <= 1;
    gc_summary *s = gc_summary_new(r, RUN_ROWS, ordered, 0, 1);
    if (s == NULL)
        return GC_ENOMEM;
    read_job j = {s, r};
    gc_threads_for(ordered ? 1 : nthreads, nblocks, 1, read_task, &j);
    int rc = gc_summary_finish(s, r, nthreads);
    gc_summary_free(s);
    return rc;
}
