/*
 * conditioning.c -- the estimate of backprop's own rounding, asked only for
 * the rows that fail (engine/conditioning.h).
 */
#include "engine/conditioning.h"

#include <fenv.h>
#include <math.h>
#include <stdlib.h>

/* A refuted row on finite numbers: the only kind the estimate can excuse
 * (a NaN or Inf is a failure whatever the rounding). */
static int candidate(const gc_row *w)
{
    return w->verdict == GC_FAIL && isfinite(w->analytic) && isfinite(w->numeric) &&
           isfinite(w->num_err) && isfinite(w->band);
}

/* The largest |change of a| when the chain is prepared again under each
 * directed rounding mode, for each candidate row (NaN when such an a is
 * not finite); then prepared once more as the rows' a were (the prepare is
 * deterministic), so that the chain is left with their bits. */
static void measure(gc_run *run, const size_t *which, size_t nc, double *A)
{
#ifndef GC_COND_NEAREST_ONLY
    static const int modes[] = {FE_UPWARD, FE_DOWNWARD};
#else /* the mutant of checks/engine/check_conditioning.c: no estimate at all */
    static const int modes[] = {FE_TONEAREST};
#endif
    const gc_chain *ch = run->ch;
    const int mode0 = fegetround();
    for (size_t j = 0; j < sizeof modes / sizeof modes[0]; j++) {
        fesetround(modes[j]);
        ch->prepare(ch->ctx);
        fesetround(mode0);
        for (size_t q = 0; q < nc; q++) {
            const gc_row *w = &run->r->rows[which[q]];
            const gc_target *t = &run->tg[w->tensor];
            double d = fabs(t->grad[(size_t)w->row * (size_t)t->cols + (size_t)w->col] - w->analytic);
            if (!(d <= A[q])) /* NaN sticks */
                A[q] = isnan(A[q]) ? A[q] : (isfinite(d) ? d : NAN);
        }
    }
    ch->prepare(ch->ctx);
    run->nevals += 1 + sizeof modes / sizeof modes[0];
}

int gc_cond_rounding_works(void)
{
    volatile double one = 1.0, tiny = 0x1p-60;
    const int mode0 = fegetround();
    if (fesetround(FE_UPWARD) != 0)
        return 0;
    volatile double up = one + tiny; /* stored before the mode is restored */
    fesetround(mode0);
    return up > 1.0;
}

int gc_run_conditioning(gc_run *run)
{
    gc_report *r = run->r;
    if (!gc_cond_rounding_works())
        return GC_OK;
    size_t nc = 0;
    for (size_t k = 0; k < r->nrows; k++)
        nc += (size_t)candidate(&r->rows[k]);
    if (nc == 0)
        return GC_OK;
    size_t *which = malloc(nc * sizeof *which);
    double *A = calloc(nc, sizeof *A);
    int rc = which != NULL && A != NULL ? GC_OK : GC_ENOMEM;
    if (rc == GC_OK) {
        nc = 0;
        for (size_t k = 0; k < r->nrows; k++)
            if (candidate(&r->rows[k]))
                which[nc++] = k;
        measure(run, which, nc, A);
        for (size_t q = 0; q < nc; q++) {
            gc_row *w = &r->rows[which[q]];
            if (isnan(A[q]) || w->abs_err <= w->band + w->num_err + A[q]) {
                const gc_row was = *w;
                w->verdict = GC_UNDECIDED;
                w->reason = GC_REASON_CONDITIONING;
                /* rows held, their summaries read: counted again here */
                if (run->held != NULL)
                    gc_summary_revise(run->summary, r, run->held[which[q]], &was, w);
            }
        }
    }
    free(which);
    free(A);
    return rc;
}
