/*
 * report.c -- the report's lifetime, its overall verdict and the verdicts'
 * names.
 */
#include "gradcheck/report.h"

#include <stdlib.h>

void gc_report_free(gc_report *r)
{
    if (r == NULL)
        return;
    free(r->tensors);
    free(r->rows);
    free(r->order);
    free(r->hygiene);
    if (r->mutation != NULL) {
        free(r->mutation->faults);
        free(r->mutation->tensors);
        free(r->mutation);
    }
    free(r);
}

int gc_report_failed(const gc_report *r)
{
    if (r == NULL)
        return 1;
    return r->nfail > 0 || (r->opts.strict_kinks && r->nkink > 0) || !r->restored ||
           (r->hygiene != NULL && r->hygiene->nfail > 0);
}

gc_status gc_report_status(const gc_report *r)
{
    if (gc_report_failed(r))
        return GC_STATUS_REFUTED;
    if (r->nundecided > 0 || (r->nvacuous > 0 && !r->opts.allow_vacuous))
        return GC_STATUS_UNDECIDED;
    return GC_STATUS_CONFIRMED;
}

const char *gc_verdict_name(gc_verdict v)
{
    switch (v) {
    case GC_PASS: return "pass";
    case GC_KINK: return "kink";
    case GC_FAIL: return "fail";
    case GC_UNDECIDED: return "undecided";
    default: return "?";
    }
}

/* One table per spelling, in enum order. */
static const char *const reason_texts[GC_NREASONS] = {
    "",
    "loss not finite at θ",
    "loss not finite at θ±h",
    "finite-difference noise above the band",
    "loss flat: the difference is at roundoff level (saturated?)",
    "kink at θ: a is no one-sided derivative (relu'(0) convention?)",
    "ill-conditioned: backprop's own rounding could explain the difference",
    "unconverged: no extrapolation that refutes a is shown to converge at its order (loss not smooth there?)",
};
static const char *const reason_names[GC_NREASONS] = {
    "none", "loss_nonfinite", "loss_nonfinite_near", "noise", "flat", "kink_at_theta",
    "conditioning", "unconverged",
};

const char *gc_reason_text(gc_reason why)
{
    return (int)why >= 0 && why < GC_NREASONS ? reason_texts[why] : "?";
}

const char *gc_reason_name(gc_reason why)
{
    return (int)why >= 0 && why < GC_NREASONS ? reason_names[why] : "?";
}
