/*
 * io/weights.h -- a network file's binary weights: the .npz archive its
 * "weights" key names, and the arrays the loader takes from it (private).
 */
#ifndef GC_IO_WEIGHTS_H
#define GC_IO_WEIGHTS_H

#include <stddef.h>

#include "io/npy.h"

/* The archive `name` (a name ending in ".npy": that one array, as a member
 * named ""), relative to the directory of `anchor` (a file path; NULL or
 * one without '/': the current directory) unless absolute, of at most max
 * bytes read or inflated (gc_npz_read).  NULL with the reason in why
 * (GC_NPY_WHY bytes). */
gc_npz *gc_weights_open(const char *anchor, const char *name, size_t max, char *why);

/* Member `name` for a tensor of ndim (1 or 2) dimensions shaped want[0]
 * (x want[1]); a 0 in want takes any size there.  *out = the member, or NULL
 * when the archive has none of that name (z NULL: none).  0; -1 with why
 * "expected shape (128, 784), got (784, 128)"; -2 with why "element [3, 5]
 * is nan: expected finite numbers".  The member is marked used. */
int gc_weights_take(gc_npz *z, const char *name, int ndim, const size_t want[2],
                    const gc_npz_member **out, char *why);

/* Copy member m (rows x cols, row-major) into dst: as it is, or transposed
 * (dst cols x rows) when transpose. */
void gc_weights_copy(const gc_npz_member *m, double *dst, int transpose);

/* The first member no gc_weights_take asked for, or NULL. */
const char *gc_weights_unused(const gc_npz *z);

#endif
