/*
 * mpi.h -- pieces of gradcheck-mpi shared by its sources (no MPI types:
 * only mpi_main.c talks to MPI).
 */
#ifndef GRADCHECK_CLI_MPI_H
#define GRADCHECK_CLI_MPI_H

#include "cli.h"
#include "report/evals.h"

#define MPI_MSG_MAX (GC_ERROR_MAX + 128)

/* What every rank tells rank 0 after a step. */
typedef struct rank_status {
    int status;              /* 0 ok, 2 error (msg), 3 done (--help, --version) */
    char msg[MPI_MSG_MAX];   /* one line, no "gradcheck-mpi: " prefix */
    /* after the check: the part's report in numbers */
    unsigned long long nrows, first, total, hash;
    gc_evals evals;          /* its loss evaluations (report/evals.h) */
    double loss;
    int restored;
    gc_check_opts opts;      /* as the report has them (pointers NULL) */
} rank_status;

/* Run this rank's part of the check (opts.shard and nshards set) in a child
 * process, so that a check that crashes (a plugin's segfault, the OOM
 * killer) leaves this rank alive to say so: *rep gets the part's report
 * and me its numbers, or me->status 2 with msg ("the check died:
 * Segmentation fault").  *child holds the child's pid while it runs (0
 * otherwise), for a signal handler to kill.  Falls back to running in
 * this process when fork fails. */
void cli_mpi_check_part(gc_net *net, gc_layer *layer, const cli_opts *o, gc_report **rep,
                        rank_status *me, volatile long *child);

#endif
