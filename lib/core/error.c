/*
 * error.c -- status codes and the error detail the library hands back.
 */
#include "gradcheck/base.h"

#include <stdarg.h>
#include <stdio.h>

const char *gc_strerror(int code)
{
    switch (code) {
    case GC_OK: return "success";
    case GC_ENOMEM: return "out of memory";
    case GC_EINVAL: return "invalid argument";
    case GC_ESHAPE: return "shape mismatch";
    case GC_EIO: return "input/output error";
    case GC_EPARSE: return "malformed network file";
    case GC_ERANGE: return "value out of range";
    case GC_ELIMIT: return "beyond a configured limit";
    case GC_EPARTIAL: return "the report keeps only the rows that did not pass";
    default: return "unknown error";
    }
}

int gc_error_set(gc_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
