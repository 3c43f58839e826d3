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
    free(r);
}

int gc_report_failed(const gc_report *r)
{
    if (r == NULL)
        return 1;
    return r->nfail > 0 || (r->opts.strict_kinks && r->nkink > 0) || !r->restored;
}

const char *gc_verdict_name(gc_verdict v)
{
    switch (v) {
    case GC_PASS: return "pass";
    case GC_KINK: return "kink";
    case GC_FAIL: return "fail";
    default: return "?";
    }
}
