/*
 * output.c -- --output FILE, written atomically: the report goes to a
 * temporary file in the same directory (so that rename stays within one
 * file system and is atomic), which is renamed onto FILE only once it is
 * complete.  A reader never sees half a report, and a failed run leaves FILE
 * as it was.  The temporary file is created before the check runs, so an
 * unwritable path is an input error found at once.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_out_open(cli_out *o, const char *dest, char *msg, size_t size)
{
    struct stat st;
    memset(o, 0, sizeof *o);
    o->dest = dest;
    if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(msg, size, "--output: %s: is a directory", dest);
        return -1;
    }
    size_t len = strlen(dest);
    o->tmp = malloc(len + sizeof ".tmpXXXXXX");
    if (o->tmp == NULL) {
        snprintf(msg, size, "--output: %s: out of memory", dest);
        return -1;
    }
    memcpy(o->tmp, dest, len);
    memcpy(o->tmp + len, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        snprintf(msg, size, "--output: %s: %s", dest, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    /* mkstemp makes the file 0600; a report is an ordinary file, so give it
     * the mode a plain fopen would: 0666 less the umask. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || (o->f = fdopen(fd, "w")) == NULL) {
        snprintf(msg, size, "--output: %s: %s", dest, strerror(errno));
        close(fd);
        cli_out_abort(o);
        return -1;
    }
    return 0;
}

int cli_out_commit(cli_out *o, char *msg, size_t size)
{
    FILE *f = o->f;
    o->f = NULL;
    int bad = ferror(f) || fflush(f) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(o->tmp, o->dest) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        snprintf(msg, size, "--output: %s: %s", o->dest, strerror(saved != 0 ? saved : EIO));
        cli_out_abort(o);
        return -1;
    }
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

void cli_out_abort(cli_out *o)
{
    if (o->f != NULL) {
        fclose(o->f);
        o->f = NULL;
    }
    if (o->tmp != NULL) {
        remove(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
}
