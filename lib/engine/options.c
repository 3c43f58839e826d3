/*
 * options.c -- a check's options: the defaults and their validation.
 */
#include "engine/plan.h"

#include <math.h>
#include <string.h>

double gc_method_default_eps(gc_method m)
{
    return m == GC_METHOD_RICHARDSON ? GC_DEFAULT_EPS_RICHARDSON : GC_DEFAULT_EPS;
}

void gc_check_opts_init(gc_check_opts *opts)
{
    if (opts == NULL)
        return;
    memset(opts, 0, sizeof *opts);
    opts->method = GC_METHOD_CENTRAL;
    opts->eps = 0.0;
    opts->rtol = GC_DEFAULT_RTOL;
    opts->atol = GC_DEFAULT_ATOL;
    opts->seed = 1;
    opts->engine = GC_ENGINE_FAST;
}

int gc_opts_resolve(gc_check_opts *o, const gc_check_opts *in, gc_error *err)
{
    if (in == NULL)
        gc_check_opts_init(o);
    else
        *o = *in;
    if (o->method != GC_METHOD_CENTRAL && o->method != GC_METHOD_FORWARD &&
        o->method != GC_METHOD_RICHARDSON)
        return gc_error_set(err, GC_EINVAL, "unknown method %d", (int)o->method);
    if (!(o->eps >= 0.0) || !isfinite(o->eps))
        return gc_error_set(err, GC_EINVAL, "eps must be a finite number >= 0, got %g", o->eps);
    if (o->eps == 0.0)
        o->eps = gc_method_default_eps(o->method);
    if (!(o->rtol >= 0.0) || !isfinite(o->rtol))
        return gc_error_set(err, GC_EINVAL, "rtol must be a finite number >= 0, got %g", o->rtol);
    if (!(o->atol >= 0.0) || !isfinite(o->atol))
        return gc_error_set(err, GC_EINVAL, "atol must be a finite number >= 0, got %g", o->atol);
    if (o->sample < 0)
        return gc_error_set(err, GC_EINVAL, "sample must be >= 0, got %d", o->sample);
    if (o->engine != GC_ENGINE_REFERENCE && o->engine != GC_ENGINE_FAST)
        return gc_error_set(err, GC_EINVAL, "unknown engine %d", (int)o->engine);
    if (o->threads < 0)
        return gc_error_set(err, GC_EINVAL, "threads must be >= 0 (0: all cores), got %d",
                            o->threads);
    return GC_OK;
}
