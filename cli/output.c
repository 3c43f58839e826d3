/*
 * output.c -- --output FILE: the report through the project's one atomic
 * write (lib/io/atomic.h: a regular file replaced atomically with its mode
 * and owner kept, a symbolic link followed, a device or FIFO written in
 * place, an unwritable or hard-linked file refused; a report is not
 * flushed to disk, see there), or stdout for "-".
 * The file is prepared before the check runs, so an unwritable path is an
 * input error found at once.  While a temporary file exists its name is
 * published to the signal handler (gradcheck.c), which removes it.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* Block the signals the handler catches, so that a temporary file is never
 * created or renamed without the handler knowing its name. */
static void block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
}

int cli_out_open(cli_out *o, const char *dest, char *msg, size_t size)
{
    memset(o, 0, sizeof *o);
    if (strcmp(dest, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    gc_error err = {0};
    sigset_t old;
    block(&old);
    int rc = gc_atomic_open(&o->a, dest, GC_ATOMIC_REPORT, &err);
    if (rc == GC_OK)
        cli_signal_tmp(o->a.tmp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != GC_OK) {
        snprintf(msg, size, "--output: %s", err.msg[0] != '\0' ? err.msg : gc_strerror(rc));
        return -1;
    }
    o->f = o->a.f;
    return 0;
}

int cli_out_commit(cli_out *o, char *msg, size_t size)
{
    if (o->f == stdout) {
        o->f = NULL;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            snprintf(msg, size, "--output: -: %s", strerror(errno != 0 ? errno : EIO));
            return -1;
        }
        return 0;
    }
    gc_error err = {0};
    sigset_t old;
    block(&old);
    int rc = gc_atomic_commit(&o->a, &err);
    cli_signal_tmp(NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    o->f = NULL;
    if (rc != GC_OK) {
        snprintf(msg, size, "--output: %s", err.msg);
        return -1;
    }
    return 0;
}

void cli_out_abort(cli_out *o)
{
    if (o->f == stdout) {
        o->f = NULL;
        return;
    }
    sigset_t old;
    block(&old);
    gc_atomic_abort(&o->a);
    cli_signal_tmp(NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    o->f = NULL;
}
