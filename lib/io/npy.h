/*
 * io/npy.h -- numpy's .npy arrays and .npz archives, read (private).
 *
 * Only what a network's weights need: little-endian float64 ('<f8') or
 * float32 ('<f4') in C order, of any shape; format versions 1, 2 and 3.
 * Anything else (big-endian, Fortran order, another dtype, a header that is
 * no plain dict, data shorter or longer than the shape says) is refused
 * with a one-line reason.  An .npz is a zip of .npy files, stored
 * (np.savez) or deflated (np.savez_compressed, inflated with zlib); every
 * member's CRC-32 is verified.
 */
#ifndef GC_IO_NPY_H
#define GC_IO_NPY_H

#include <stddef.h>

#define GC_NPY_MAXDIM 8
#define GC_NPY_WHY 160 /* room for a reason */

/* One array: a view into bytes owned by someone else. */
typedef struct gc_npy {
    int ndim;                     /* 0 (a scalar) .. GC_NPY_MAXDIM */
    size_t shape[GC_NPY_MAXDIM];  /* shape[0 .. ndim) */
    size_t count;                 /* product of the shape */
    int size;                     /* 8: float64, 4: float32 */
    const unsigned char *data;    /* count * size bytes, little-endian, C order */
} gc_npy;

/* Parse the .npy file image buf[0 .. len) into *a (a view into buf).
 * 0, or -1 with the reason in why (GC_NPY_WHY bytes). */
int gc_npy_parse(const unsigned char *buf, size_t len, gc_npy *a, char *why);

/* Element i (row-major) of a, as a double (a float32 widened exactly). */
double gc_npy_get(const gc_npy *a, size_t i);

/* "(128, 784)": a's shape as Python prints it, into buf (n bytes). */
void gc_npy_shape_str(const gc_npy *a, char *buf, size_t n);

/* A .npz archive read into memory: its members by name (without ".npy"). */
typedef struct gc_npz_member {
    char name[64];
    gc_npy a;
    unsigned char *inflated; /* owned: the member's bytes when deflated, else NULL */
    int used;                /* for the caller: set once the array is taken */
} gc_npz_member;

typedef struct gc_npz {
    unsigned char *file; /* the whole archive, owned */
    size_t len;
    int n;
    gc_npz_member *m;    /* n members, owned */
} gc_npz;

/* Read the archive at path.  A new archive (free with gc_npz_free), or NULL
 * with the reason in why (GC_NPY_WHY bytes): cannot open or read, not a zip,
 * a member that is no .npy or no valid one ("W1.npy: big-endian ..."), a
 * CRC mismatch, out of memory, a file over max bytes or members inflating
 * to more than max in all (why then starts "larger than the limit" or says
 * "inflates past the limit", and names max_elements, the limit max comes
 * from). */
gc_npz *gc_npz_read(const char *path, size_t max, char *why);

/* The .npy file at path as an archive of one member named "" (no zip).
 * NULL with the reason in why, as gc_npz_read. */
gc_npz *gc_npz_read_npy(const char *path, size_t max, char *why);

/* The member called name, or NULL. */
gc_npz_member *gc_npz_find(gc_npz *z, const char *name);

/* Free an archive.  NULL is a no-op. */
void gc_npz_free(gc_npz *z);

#endif
