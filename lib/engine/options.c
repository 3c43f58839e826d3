/*
 * options.c -- a check's options: the defaults, their validation, and the
 * names of the methods and engines (one table each, in enum order, which
 * the command and the writers use too).
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

void gc_check_opts_float32(gc_check_opts *opts)
{
    if (opts == NULL)
        return;
    opts->precision = GC_PRECISION_FLOAT32;
    opts->eps = 0.0;
    opts->rtol = GC_DEFAULT_RTOL_FLOAT32;
    opts->atol = GC_DEFAULT_ATOL_FLOAT32;
}

/* The code under test computes in float: precision float32, and what
 * gc_check_opts_init left at float64's defaults (eps 0, rtol, atol) takes
 * float32's, as the command's --precision float32 does; a tolerance the
 * caller chose is kept. */
static void promote_float32(gc_check_opts *o)
{
    if (o->precision == GC_PRECISION_FLOAT32)
        return;
    o->precision = GC_PRECISION_FLOAT32;
    if (o->rtol == GC_DEFAULT_RTOL)
        o->rtol = GC_DEFAULT_RTOL_FLOAT32;
    if (o->atol == GC_DEFAULT_ATOL)
        o->atol = GC_DEFAULT_ATOL_FLOAT32;
}

int gc_opts_resolve(gc_check_opts *o, const gc_check_opts *in, int code_float32,
                    gc_error *err)
{
    if (in == NULL)
        gc_check_opts_init(o);
    else
        *o = *in;
    if (code_float32 && o->precision == GC_PRECISION_FLOAT64)
        promote_float32(o);
    if (o->method != GC_METHOD_CENTRAL && o->method != GC_METHOD_FORWARD &&
        o->method != GC_METHOD_RICHARDSON)
        return gc_error_set(err, GC_EINVAL, "unknown method %d", (int)o->method);
    if (!(o->eps >= 0.0) || !isfinite(o->eps))
        return gc_error_set(err, GC_EINVAL, "eps must be a finite number >= 0, got %g", o->eps);
    if (o->precision != GC_PRECISION_FLOAT64 && o->precision != GC_PRECISION_FLOAT32)
        return gc_error_set(err, GC_EINVAL, "unknown precision %d", (int)o->precision);
    if (o->eps == 0.0)
        o->eps = o->precision == GC_PRECISION_FLOAT32 ? GC_DEFAULT_EPS_FLOAT32
                                                       : gc_method_default_eps(o->method);
    if (!(o->rtol >= 0.0) || !isfinite(o->rtol))
        return gc_error_set(err, GC_EINVAL, "rtol must be a finite number >= 0, got %g", o->rtol);
    if (!(o->atol >= 0.0) || !isfinite(o->atol))
        return gc_error_set(err, GC_EINVAL, "atol must be a finite number >= 0, got %g", o->atol);
    if (o->sample < 0)
        return gc_error_set(err, GC_EINVAL, "sample must be >= 0, got %d", o->sample);
    if (o->engine != GC_ENGINE_REFERENCE && o->engine != GC_ENGINE_FAST)
        return gc_error_set(err, GC_EINVAL, "unknown engine %d", (int)o->engine);
    if (o->mutate < 0 || !(o->nondet_tol >= 0.0) || !isfinite(o->nondet_tol))
        return gc_error_set(err, GC_EINVAL, "mutate must be >= 0 and nondet_tol a finite "
                            "number >= 0, got %d and %g", o->mutate, o->nondet_tol);
    if (o->threads < 0)
        return gc_error_set(err, GC_EINVAL, "threads must be >= 0 (0: all cores), got %d",
                            o->threads);
    if (o->nshards < 0 || (o->nshards == 0 && o->shard != 0) ||
        (o->nshards > 0 && (o->shard < 1 || o->shard > o->nshards)))
        return gc_error_set(err, GC_EINVAL, "shard must be 1 to nshards (or both 0), got %d/%d",
                            o->shard, o->nshards);
    return GC_OK;
}

static const char *const method_names[] = {"central", "forward", "richardson"};
static const char *const engine_names[] = {"reference", "fast"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Index of name in names[0..n), or -1. */
static int name_index(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *gc_method_name(gc_method m)
{
    return (int)m >= 0 && (size_t)m < COUNT(method_names) ? method_names[m] : "?";
}

const char *gc_engine_name(gc_engine e)
{
    return (int)e >= 0 && (size_t)e < COUNT(engine_names) ? engine_names[e] : "?";
}

int gc_method_from_name(const char *name, gc_method *m)
{
    int i = name_index(name, method_names, COUNT(method_names));
    if (i < 0)
        return GC_EINVAL;
    if (m != NULL)
        *m = (gc_method)i;
    return GC_OK;
}

int gc_engine_from_name(const char *name, gc_engine *e)
{
    int i = name_index(name, engine_names, COUNT(engine_names));
    if (i < 0)
        return GC_EINVAL;
    if (e != NULL)
        *e = (gc_engine)i;
    return GC_OK;
}
