/*
 * gradcheck/base.h -- version, status codes and error detail.
 *
 * Every libgradcheck function that can fail returns an int status: GC_OK (0)
 * or a negative GC_E... code.  Functions that can say more take a
 * `gc_error *err` (may be NULL) and fill it with a one-line message that
 * names the file, the field (a JSON path such as "layers[2].W") and what was
 * expected.  The library never prints and never exits; the caller decides.
 */
#ifndef GRADCHECK_BASE_H
#define GRADCHECK_BASE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GC_VERSION "0.1.0"

enum {
    GC_OK = 0,
    GC_ENOMEM = -1,  /* allocation failed */
    GC_EINVAL = -2,  /* bad argument (NULL, zero size, unknown name) */
    GC_ESHAPE = -3,  /* matrix shapes do not chain */
    GC_EIO = -4,     /* file could not be read or written */
    GC_EPARSE = -5,  /* malformed network file */
    GC_ERANGE = -6,  /* NaN, Inf or out-of-range value */
    GC_ELIMIT = -7,  /* input beyond a configured limit (see gc_net_limits) */
    GC_EPARTIAL = -8 /* a report that keeps only the rows not passed (opts.drop_passes)
                      * given to what needs every row */
};

#define GC_ERROR_MAX 512

/* Error detail: `code` is the status returned, `msg` a one-line message
 * without a trailing newline (e.g. "net.json: layers[2].W: expected 2 rows,
 * got 3").  Zero-initialise before use; `msg` is "" when nothing was said. */
typedef struct gc_error {
    int code;
    char msg[GC_ERROR_MAX];
} gc_error;

/* A short static description of a status code ("out of memory", ...).
 * Never NULL; unknown codes give "unknown error". */
const char *gc_strerror(int code);

/* Set *err (when err is not NULL) to code and a printf-style message.
 * Returns code, so that `return gc_error_set(err, GC_EINVAL, ...)` reads. */
int gc_error_set(gc_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
