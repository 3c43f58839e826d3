/*
 * io/atomic.h -- the one way gradcheck writes a file it replaces (private;
 * the command's --output and gc_net_save use it).
 *
 * What the path names decides how it is written:
 * - a regular file, or nothing yet: a temporary file in the same directory
 *   (rename stays on one file system, so it is atomic), then put in the
 *   path's place (a rename, or an exchange: see below).  A reader sees the old file or the whole new one, never part;
 *   a failed or interrupted run leaves the old file as it was.  Durable
 *   (GC_ATOMIC_DURABLE): the file is also flushed to disk (fsync) before
 *   the rename and the directory after it, so that the new file survives a
 *   crash of the system too.  A report is not durable: the check makes it
 *   again, and its fsync costs more than the check at 100,000 rows (it waits
 *   for the disk); a network file is, since it may hold the only copy of its
 *   weights.  Without fsync a crash of the system (not of the process) can
 *   leave an empty file at the path, an old report replaced included: a
 *   report takes an existing file's place by exchanging the two names
 *   (renameat2's RENAME_EXCHANGE; a rename where the file system has no
 *   exchange), which ext4 does not make wait for the disk as it does a
 *   rename over an existing file (it writes that file out first, so that
 *   a crash leaves the old or the new one).  An existing file keeps
 *   its mode and owner; a new one gets 0666 less the umask, as open(2)
 *   gives.  A file the process may not write (access(2)) is refused, not
 *   replaced; so is a file with more than one hard link, since renaming
 *   over one name would split it from the others silently and writing in
 *   place would not be atomic.
 * - a symbolic link: followed (every hop), and its final target is written
 *   as above; the link itself stays a link.
 * - a character device or a FIFO (/dev/null, /dev/stdout, a pipe made by
 *   mkfifo): opened and written directly, never renamed over.
 * - a directory, a block device or a socket: refused.
 * Every message is "PATH: reason", the reason strerror's where there is one.
 */
#ifndef GC_IO_ATOMIC_H
#define GC_IO_ATOMIC_H

#include <stdio.h>

#include "gradcheck/base.h"

enum { GC_ATOMIC_REPORT = 0, GC_ATOMIC_DURABLE = 1 };

typedef struct gc_atomic {
    char *path;  /* the path given (owned copy), for messages */
    char *dest;  /* the file written: path with its links followed (owned) */
    char *tmp;   /* the temporary file beside dest, or NULL when written in place (owned) */
    FILE *f;     /* open for writing: on tmp, or on dest itself */
    int durable; /* GC_ATOMIC_DURABLE: fsync before the rename (see above) */
} gc_atomic;

/* The directory part of path ("." when it has none, "/" for a file at the
 * root), in a new string (free); NULL when out of memory. */
char *gc_path_dir(const char *path);

/* Prepare to write `path` (see above), durable or not (GC_ATOMIC_DURABLE,
 * GC_ATOMIC_REPORT): on success a->f is open for writing.
 * GC_EIO (err: "PATH: reason") when path cannot be written or is refused;
 * GC_ENOMEM; a failure leaves nothing behind (a is cleared, and
 * gc_atomic_abort on it is a no-op). */
int gc_atomic_open(gc_atomic *a, const char *path, int durable, gc_error *err);

/* Flush everything written to a->f to the file (to the disk too when
 * durable) and, for a temporary file, rename it over dest.  GC_EIO with the reason (a full disk: "PATH: No
 * space left on device"); the temporary file is then removed and the old
 * file left as it was.  a is closed either way. */
int gc_atomic_commit(gc_atomic *a, gc_error *err);

/* Close and remove the temporary file, if any.  Safe on a zeroed,
 * committed or aborted gc_atomic. */
void gc_atomic_abort(gc_atomic *a);

#endif
