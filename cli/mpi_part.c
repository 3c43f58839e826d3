/*
 * mpi_part.c -- one rank's part of the check, run in a child process
 * (forked, piped and reaped by child.c).
 *
 * mpirun stops the whole job, with its own message and exit status, as soon
 * as one rank's process dies.  So the check itself -- where a user's layer
 * may crash and a big check may be OOM-killed -- runs in a child; the rank
 * waits for it and reports a death like any other error, and rank 0 names
 * the rank in one line, exit 2.  The child computes the report exactly as
 * gradcheck would, then sends it through a pipe as raw bytes (the same
 * binary on both ends): its numbers, the report struct, its tensors and
 * rows.  It never calls MPI, dies of a fatal signal without MPI's
 * backtrace handlers, and leaves with _exit.  It dies with its parent
 * (PR_SET_PDEATHSIG), so a job mpirun stops leaves no child computing.
 */
#include "mpi.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The check in this process: 0 with *rep and me's numbers, or 2 with msg. */
static int check_here(gc_net *net, gc_layer *layer, const cli_opts *o, gc_report **rep,
                      rank_status *me)
{
    gc_error err = {0};
    int rc = net != NULL ? gc_check_net(net, &o->check, rep, &err)
                         : gc_check_layer(layer, o->batch, &o->check, rep, &err);
    if (rc != GC_OK) {
        snprintf(me->msg, sizeof me->msg, "%s", err.msg[0] != '\0' ? err.msg : gc_strerror(rc));
        return 2;
    }
    const gc_report *r = *rep;
    me->nrows = r->nrows;
    me->first = r->shard_first;
    me->total = r->shard_total;
    me->evals = gc_evals_of(r);
    me->hash = r->hash;
    me->loss = r->loss;
    me->restored = r->restored;
    me->opts = r->opts;
    return 0;
}

static void child_main(gc_net *net, gc_layer *layer, const cli_opts *o, int fd)
{
    /* MPI's handlers print a backtrace for these; the rank says it once */
    static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);
    rank_status me;
    memset(&me, 0, sizeof me);
    gc_report *rep = NULL;
    me.status = check_here(net, layer, o, &rep, &me);
    int bad = cli_write_all(fd, &me, sizeof me) != 0;
    if (!bad && me.status == 0)
        bad = cli_write_all(fd, rep, sizeof *rep) != 0 ||
              cli_write_all(fd, rep->tensors, (size_t)rep->ntensors * sizeof *rep->tensors) != 0 ||
              cli_write_all(fd, rep->rows, rep->nrows * sizeof *rep->rows) != 0;
    _exit(bad ? 2 : 0);
}

/* The child's report from the pipe: 0, or -1 when it ended early. */
static int receive(int fd, gc_report **rep, rank_status *me)
{
    if (cli_read_all(fd, me, sizeof *me) != 0)
        return -1;
    if (me->status != 0)
        return 0;
    gc_report *r = malloc(sizeof *r);
    if (r == NULL || cli_read_all(fd, r, sizeof *r) != 0) {
        free(r);
        return -1;
    }
    size_t nt = (size_t)r->ntensors;
    r->tensors = malloc((nt > 0 ? nt : 1) * sizeof *r->tensors);
    r->rows = malloc((r->nrows > 0 ? r->nrows : 1) * sizeof *r->rows);
    r->order = NULL;
    r->hygiene = NULL; /* the child's pointers: split checks run none */
    r->mutation = NULL;
    if (r->tensors == NULL || r->rows == NULL ||
        cli_read_all(fd, r->tensors, nt * sizeof *r->tensors) != 0 ||
        cli_read_all(fd, r->rows, r->nrows * sizeof *r->rows) != 0) {
        gc_report_free(r);
        return -1;
    }
    *rep = r;
    return 0;
}

void cli_mpi_check_part(gc_net *net, gc_layer *layer, const cli_opts *o, gc_report **rep,
                        rank_status *me, volatile long *child)
{
    int fd;
    const char *failed;
    pid_t pid = cli_child_fork(&fd, &failed);
    if (pid < 0) {
        me->status = check_here(net, layer, o, rep, me);
        return;
    }
    if (pid == 0)
        child_main(net, layer, o, fd);
    *child = pid;
    int got = receive(fd, rep, me);
    close(fd);
    cli_child_end end = cli_child_reap(pid, 0);
    *child = 0;
    if (got == 0 && end.code == 0)
        return;
    gc_report_free(*rep);
    *rep = NULL;
    me->status = 2;
    if (end.signal != 0)
        snprintf(me->msg, sizeof me->msg, "the check died: %s (signal %d); no report",
                 strsignal(end.signal), end.signal);
    else if (got != 0)
        snprintf(me->msg, sizeof me->msg, "the check ended before sending its rows (exit %d)",
                 end.code);
}
