/*
 * report.c -- the report's lifetime, its overall verdict, and the names
 * the writers and the CLI share.
 */
#include "gradcheck/check.h"

#include <stdlib.h>
#include <string.h>

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

const char *gc_verdict_name(gc_verdict v)
{
    switch (v) {
    case GC_PASS: return "pass";
    case GC_KINK: return "kink";
    case GC_FAIL: return "fail";
    default: return "?";
    }
}

static const char *const method_names[] = {"central", "forward", "richardson"};

const char *gc_method_name(gc_method m)
{
    if ((int)m < 0 || (size_t)m >= sizeof method_names / sizeof method_names[0])
        return "?";
    return method_names[m];
}

int gc_method_from_name(const char *name, gc_method *m)
{
    if (name == NULL)
        return GC_EINVAL;
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (strcmp(name, method_names[i]) == 0) {
            if (m != NULL)
                *m = (gc_method)i;
            return GC_OK;
        }
    }
    return GC_EINVAL;
}

const char *gc_engine_name(gc_engine e)
{
    switch (e) {
    case GC_ENGINE_REFERENCE: return "reference";
    case GC_ENGINE_FAST: return "fast";
    default: return "?";
    }
}
