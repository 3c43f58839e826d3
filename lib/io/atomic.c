/*
 * atomic.c -- replacing a file without damaging what the path points at
 * (the policy is in io/atomic.h).
 *
 * The temporary file is named DEST.tmp-PID-N and created with O_EXCL at
 * mode 0666, so the kernel applies the umask (no umask(2) round trip, which
 * would race with other threads) and an existing name, a planted symbolic
 * link included, is never opened: N is tried upwards instead.
 */
#define _GNU_SOURCE /* renameat2's RENAME_EXCHANGE */
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Symbolic links followed before giving up, as the kernel's own limit. */
#define MAX_HOPS 40

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

char *gc_path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return dup_str(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* Follow path's symbolic links to the name that is no link (which need not
 * exist: a dangling link's target is created).  A new string, or NULL with
 * errno set. */
static char *follow_links(const char *path)
{
    char *cur = dup_str(path);
    for (int hop = 0; cur != NULL; hop++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur; /* not there, or not a link: this is the name */
        if (hop == MAX_HOPS) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            errno = e;
            return NULL;
        }
        target[n] = '\0';
        char *next;
        if (target[0] == '/' || strchr(cur, '/') == NULL) {
            next = dup_str(target);
        } else { /* relative to the link's own directory */
            char *dir = gc_path_dir(cur);
            next = dir == NULL ? NULL : malloc(strlen(dir) + strlen(target) + 2);
            if (next != NULL)
                sprintf(next, "%s/%s", dir, target);
            free(dir);
        }
        free(cur);
        cur = next;
    }
    errno = ENOMEM;
    return NULL;
}

/* Why an existing dest cannot be replaced, or NULL when it can.  st is
 * dest's stat. */
static const char *refusal(const char *dest, const struct stat *st, char *buf, size_t size)
{
    if (S_ISDIR(st->st_mode))
        return "is a directory";
    if (S_ISBLK(st->st_mode) || S_ISSOCK(st->st_mode))
        return "a block device or socket, not a report file: refusing to write it";
    if (access(dest, W_OK) != 0)
        return strerror(errno);
    if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
        snprintf(buf, size, "has %ju hard links: replacing it would split them from this "
                 "name (write to another path, or remove the other links)",
                 (uintmax_t)st->st_nlink);
        return buf;
    }
    return NULL;
}

/* Create dest's temporary file: dest + ".tmp-PID-N", O_EXCL, 0666 & ~umask,
 * then the mode (and owner, when permitted) of the file it replaces.  On
 * failure err is set and a still holds what there is to clear. */
static int open_temp(gc_atomic *a, const struct stat *old, gc_error *err)
{
    size_t n = strlen(a->dest);
    a->tmp = malloc(n + 48);
    if (a->tmp == NULL)
        return gc_error_set(err, GC_ENOMEM, "%s: out of memory", a->path);
    int fd = -1;
    for (unsigned i = 0; fd < 0 && i < 1000; i++) {
        snprintf(a->tmp, n + 48, "%s.tmp-%ld-%u", a->dest, (long)getpid(), i);
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(a->tmp);
        a->tmp = NULL; /* nothing to unlink: the name was never created */
        return gc_error_set(err, GC_EIO, "%s: cannot create a temporary file: %s",
                            a->path, strerror(e));
    }
    if (old != NULL) {
        /* the owner first: chown may clear set-id bits that fchmod restores */
        if (old->st_uid != geteuid() || old->st_gid != getegid()) {
            if (fchown(fd, old->st_uid, old->st_gid) != 0) {
                int e = errno;
                close(fd);
                return gc_error_set(err, GC_EIO, "%s: owned by another user or group, and the "
                                    "replacement cannot keep its owner: %s", a->path,
                                    strerror(e));
            }
        }
        (void)fchmod(fd, old->st_mode & 07777);
    }
    a->f = fdopen(fd, "w");
    if (a->f == NULL) {
        int e = errno;
        close(fd);
        return gc_error_set(err, GC_EIO, "%s: %s", a->path, strerror(e));
    }
    return GC_OK;
}

/* open_temp, and on failure (its message set) nothing left behind. */
static int open_temp_or_clear(gc_atomic *a, const struct stat *old, gc_error *err)
{
    int rc = open_temp(a, old, err);
    if (rc != GC_OK)
        gc_atomic_abort(a);
    return rc;
}

int gc_atomic_open(gc_atomic *a, const char *path, int durable, gc_error *err)
{
    memset(a, 0, sizeof *a);
    a->durable = durable == GC_ATOMIC_DURABLE;
    if (path == NULL || path[0] == '\0')
        return gc_error_set(err, GC_EINVAL, "no file name given");
    a->path = dup_str(path);
    a->dest = follow_links(path);
    if (a->path == NULL || (a->dest == NULL && errno == ENOMEM)) {
        gc_atomic_abort(a);
        return gc_error_set(err, GC_ENOMEM, "%s: out of memory", path);
    }
    if (a->dest == NULL) {
        int e = errno;
        gc_atomic_abort(a);
        return gc_error_set(err, GC_EIO, "%s: %s", path, strerror(e));
    }
    struct stat st;
    if (stat(a->dest, &st) != 0)
        return open_temp_or_clear(a, NULL, err); /* a new file (a missing directory fails there) */
    char buf[160];
    const char *why = refusal(a->dest, &st, buf, sizeof buf);
    if (why != NULL) {
        gc_atomic_abort(a);
        return gc_error_set(err, GC_EIO, "%s: %s", path, why);
    }
    if (S_ISREG(st.st_mode))
        return open_temp_or_clear(a, &st, err);
    /* a character device or FIFO: written where it is */
    a->f = fopen(a->dest, "w");
    if (a->f == NULL) {
        int e = errno;
        gc_atomic_abort(a);
        return gc_error_set(err, GC_EIO, "%s: %s", path, strerror(e));
    }
    return GC_OK;
}

/* fsync the directory holding dest, so that the rename itself is on disk.
 * Best effort: some file systems refuse fsync on a directory. */
static void sync_dir(const char *dest)
{
    char *dir = gc_path_dir(dest);
    if (dir == NULL)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Put tmp in dest's place.  A report over an existing regular file: the
 * two names exchanged, then the old file's bytes (now under tmp) removed.
 * ext4 flushes a file renamed over another before the rename returns
 * (auto_da_alloc), which makes the caller wait for the disk; a report need
 * not survive a crash of the system (see io/atomic.h), and an exchange
 * replaces just as atomically without that wait.  Otherwise, or where the
 * file system cannot exchange, or when what the exchange brought back is
 * no regular file (swapped back: rename then refuses it as it would), a
 * rename.  0, or -1 with errno set. */
static int replace(const gc_atomic *a)
{
#if defined(RENAME_EXCHANGE)
    if (!a->durable && renameat2(AT_FDCWD, a->tmp, AT_FDCWD, a->dest, RENAME_EXCHANGE) == 0) {
        struct stat st;
        if (lstat(a->tmp, &st) == 0 && S_ISREG(st.st_mode)) {
            (void)unlink(a->tmp);
            return 0;
        }
        if (renameat2(AT_FDCWD, a->tmp, AT_FDCWD, a->dest, RENAME_EXCHANGE) != 0)
            return -1;
    }
#endif
    return rename(a->tmp, a->dest);
}

int gc_atomic_commit(gc_atomic *a, gc_error *err)
{
    FILE *f = a->f;
    a->f = NULL;
    if (f == NULL) {
        gc_atomic_abort(a);
        return gc_error_set(err, GC_EINVAL, "gc_atomic_commit: nothing open");
    }
    /* stdio's buffer first: fsync only reaches what was handed to the
     * kernel.  A device or FIFO is not synced (fsync fails on most), nor a
     * file that need not be durable. */
    int e = 0;
    if (ferror(f)) /* a write already failed: errno is still its reason */
        e = errno != 0 ? errno : EIO;
    else if (fflush(f) != 0)
        e = errno;
    int sync = a->durable && a->tmp != NULL;
    if (e == 0 && sync && fsync(fileno(f)) != 0)
        e = errno;
    if (fclose(f) != 0 && e == 0)
        e = errno;
    if (e == 0 && a->tmp != NULL) {
        if (replace(a) != 0)
            e = errno;
        else if (sync)
            sync_dir(a->dest);
    }
    if (e != 0) {
        gc_error_set(err, GC_EIO, "%s: %s", a->path, strerror(e));
        gc_atomic_abort(a);
        return GC_EIO;
    }
    free(a->tmp); /* renamed: nothing to remove */
    a->tmp = NULL;
    gc_atomic_abort(a);
    return GC_OK;
}

void gc_atomic_abort(gc_atomic *a)
{
    if (a->f != NULL)
        fclose(a->f);
    if (a->tmp != NULL)
        unlink(a->tmp);
    free(a->tmp);
    free(a->dest);
    free(a->path);
    memset(a, 0, sizeof *a);
}
