/*
 * mpi_main.c -- gradcheck-mpi: the gradcheck command split across the ranks
 * of an MPI job (`make mpi`; `mpirun -np N build/gradcheck-mpi FLAGS`).
 *
 * Every rank parses the same flags and builds the same network; rank r
 * checks part r+1 of N (gc_check_opts.shard: one contiguous run of the rows
 * of about 1/N of the modelled cost, lib/engine/shard.c) with its own
 * threads; rank 0 gathers the rows, rebuilds the summaries from them
 * (gc_report_rebuild: the engine's own summaries) and writes the report:
 * the bytes gradcheck prints with the same flags, for any N and threads.
 *
 * Three collective steps, each ending in a decision rank 0 broadcasts, so
 * that every rank takes the same path and exits with the same status:
 *   1. setup: flags, network, --param names, rank 0's --output file.  Bad
 *      input is reported once, by rank 0 (its own message, or "rank K: ..."
 *      when only rank K failed, say a --net file missing on its node);
 *   2. check: each rank's status, options, row count, hash and loss go to
 *      rank 0, which refuses a failed rank, one with other options ("rank
 *      K: option eps differs ...") or one whose network differs from its
 *      own ("rank K: a different network ...": the hash covers every
 *      checked tensor's values and gradients and the loss);
 *   3. rows: gathered, summarised, written by rank 0 only, atomically with
 *      --output; nothing is written before every row has arrived.
 * Errors are one line "gradcheck-mpi: ..." from rank 0 and exit status 2
 * on every rank.  A rank killed outright (a signal, the OOM killer) is
 * mpirun's to report: it stops the job, so no report is written; rank 0
 * removes its --output temporary file when mpirun stops it.  The check
 * itself runs in a child of the rank (mpi_part.c), so a check that dies
 * is an error its rank reports: "rank K: the check died: ...".
 */
#include "mpi.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX MPI_MSG_MAX
#define ROOT 0
/* Rows per message: far below MPI's int counts whatever a row's size. */
#define CHUNK_ROWS (1 << 20)

/* ---- rank 0's --output temporary file, removed if mpirun stops the job -- */

static const char *volatile tmp_path;
static volatile long check_pid; /* the child running this rank's part, or 0 */

static void on_term(int sig)
{
    (void)sig;
    if (check_pid > 0)
        kill((pid_t)check_pid, SIGKILL);
    if (tmp_path != NULL)
        unlink(tmp_path);
    _exit(2);
}

/* ---- one collective step ------------------------------------------------ */

/* Wait for every rank to arrive, asleep: MPI's blocking calls spin while
 * they wait, and a rank done with its part would take a core from the
 * ranks (and threads) still checking theirs on the same node. */
static void wait_for_all(void)
{
    MPI_Request req;
    int done = 0;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    while (!done) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    }
}

/* Gather every rank's status at rank 0; rank 0 puts in *all (size entries,
 * owned by the caller) and picks the outcome: 0 go on, 2 fail (printed),
 * 3 stop with 0.  Every rank returns the broadcast outcome.  `check`, when
 * not NULL, is rank 0's further test of the gathered statuses (it may set
 * msg and return 2). */
static int step(const rank_status *mine, rank_status *all, int rank, int size,
                int (*check)(const rank_status *all, int size, char *msg, size_t n))
{
    wait_for_all();
    MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, ROOT,
               MPI_COMM_WORLD);
    int outcome = 0;
    if (rank == ROOT) {
        char msg[MSG_MAX + 32] = "";
        for (int k = 0; k < size && outcome == 0; k++) {
            if (all[k].status == 2) {
                outcome = 2;
                /* rank 0's own error reads as gradcheck's; another's names it */
                if (k == ROOT)
                    snprintf(msg, sizeof msg, "%s", all[k].msg);
                else
                    snprintf(msg, sizeof msg, "rank %d: %s", k, all[k].msg);
            }
        }
        if (outcome == 0 && all[ROOT].status == 3)
            outcome = 3;
        if (outcome == 0 && check != NULL)
            outcome = check(all, size, msg, sizeof msg);
        if (outcome == 2)
            fprintf(stderr, "gradcheck-mpi: %s\n", msg);
    }
    MPI_Bcast(&outcome, 1, MPI_INT, ROOT, MPI_COMM_WORLD);
    return outcome;
}

/* After the check: every part with the same options and network, and the
 * parts tile the rows (they do by construction; a mismatch is a different
 * build). */
static int check_parts(const rank_status *all, int size, char *msg, size_t n)
{
    unsigned long long next = 0;
    for (int k = 0; k < size; k++) {
        const rank_status *s = &all[k];
        const char *opt = gc_check_opts_diff(&s->opts, &all[ROOT].opts);
        if (opt != NULL) {
            snprintf(msg, n, "rank %d: option %s differs from rank 0's", k, opt);
            return 2;
        }
        if (s->hash != all[ROOT].hash || memcmp(&s->loss, &all[ROOT].loss, sizeof s->loss) != 0) {
            snprintf(msg, n, "rank %d: a different network than rank 0's (hash %016llx, not "
                     "%016llx): every rank must read the same network file", k, s->hash,
                     all[ROOT].hash);
            return 2;
        }
        if (s->first != next || s->total != all[ROOT].total ||
            gc_evals_shared(s->evals) != gc_evals_shared(all[ROOT].evals)) {
            snprintf(msg, n, "rank %d: its rows [%llu, %llu) do not follow rank %d's (a different "
                     "build or flags?)", k, s->first, s->first + s->nrows, k - 1);
            return 2;
        }
        next += s->nrows;
    }
    return 0;
}

/* ---- the rows ------------------------------------------------------------ */

/* Rank 0: every rank's rows into the whole report's row array (all[k]
 * says where they go); the others: send theirs.  0, or -1 out of memory
 * (rank 0; the others' sends are still received and dropped). */
static int gather_rows(gc_report *rep, const rank_status *all, int rank, int size,
                       gc_row **whole)
{
    MPI_Datatype row_t;
    MPI_Type_contiguous((int)sizeof(gc_row), MPI_BYTE, &row_t);
    MPI_Type_commit(&row_t);
    int rc = 0;
    if (rank != ROOT) {
        for (size_t k = 0; k < rep->nrows; k += CHUNK_ROWS) {
            size_t c = rep->nrows - k < CHUNK_ROWS ? rep->nrows - k : CHUNK_ROWS;
            MPI_Send(rep->rows + k, (int)c, row_t, ROOT, 1, MPI_COMM_WORLD);
        }
    } else {
        size_t total = (size_t)all[ROOT].total;
        gc_row *rows = malloc((total > 0 ? total : 1) * sizeof *rows);
        gc_row *sink = rows == NULL ? malloc(CHUNK_ROWS * sizeof *sink) : NULL;
        if (rows == NULL && sink == NULL) {
            fprintf(stderr, "gradcheck-mpi: rank 0: out of memory for the rows\n");
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        if (rows == NULL)
            rc = -1;
        else if (rep->nrows > 0)
            memcpy(rows, rep->rows, rep->nrows * sizeof *rows);
        for (int r = 1; r < size; r++) {
            for (size_t k = 0; k < all[r].nrows; k += CHUNK_ROWS) {
                size_t c = all[r].nrows - k < CHUNK_ROWS ? all[r].nrows - k : CHUNK_ROWS;
                gc_row *dst = rows != NULL ? rows + all[r].first + k : sink;
                MPI_Recv(dst, (int)c, row_t, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            }
        }
        free(sink);
        *whole = rows;
    }
    MPI_Type_free(&row_t);
    return rc;
}

/* Rank 0's report becomes the whole check's: every rank's rows, restored
 * only if every rank restored, what every part repeats counted once, the
 * summaries recomputed from the rows. */
static int whole_report(gc_report *rep, gc_row *rows, const rank_status *all, int size)
{
    free(rep->rows);
    rep->rows = rows;
    rep->nrows = (size_t)all[ROOT].total;
    rep->shard_first = 0;
    rep->opts.shard = rep->opts.nshards = 0;
    gc_evals whole = {0, 0, 0};
    for (int k = 0; k < size; k++) {
        rep->restored &= all[k].restored != 0;
        gc_evals_add(&whole, all[k].evals);
    }
    rep->nevals = gc_evals_whole(&whole, all[ROOT].evals);
    rep->nevals_rows = whole.rows;
    rep->nevals_once = whole.once;
    return gc_report_rebuild(rep);
}

/* ---- the command ------------------------------------------------------------ */

typedef struct job {
    cli_opts o;
    cli_out out;
    gc_net *net;
    cli_layer cl;
    gc_report *rep;
} job;

/* Step 1's local part: flags, network, --param names, rank 0's output. */
static int setup(job *j, int argc, char **argv, int rank, rank_status *me)
{
    if (cli_parse(argc, argv, &j->o, me->msg, sizeof me->msg) != 0)
        return 2;
    if (j->o.help || j->o.version)
        return 3;
    if (j->o.check.nshards > 0) {
        snprintf(me->msg, sizeof me->msg, "--shard: gradcheck-mpi splits the check across its "
                 "ranks itself (--shard is gradcheck's)");
        return 2;
    }
    if (j->o.check.mutate > 0 || (j->o.layer != NULL && j->o.check.no_hygiene != GC_HYGIENE_ALL)) {
        snprintf(me->msg, sizeof me->msg, "%s", j->o.check.mutate > 0
                 ? "--mutate: gradcheck's alone (a mutation run is not split)"
                 : "--layer: give --no-hygiene (the hygiene checks are one run, not split)");
        return 2;
    }
    if (j->o.explain || j->o.sweep || j->o.plot != NULL) {
        snprintf(me->msg, sizeof me->msg, "%s: gradcheck's alone (it reads the whole check)",
                 j->o.explain ? "--explain" : j->o.sweep ? "--sweep" : "--plot");
        return 2;
    }
    if (j->o.expect != NULL) {
        snprintf(me->msg, sizeof me->msg, "--expect: gradcheck's alone (gradcheck-mpi writes "
                 "the check's report)");
        return 2;
    }
    if (rank == ROOT && j->o.output != NULL) {
        if (cli_out_open(&j->out, j->o.output, me->msg, sizeof me->msg) != 0)
            return 2;
        tmp_path = j->out.a.tmp;
    }
    if (j->o.layer != NULL) {
        if (cli_layer_open(&j->cl, &j->o, me->msg, sizeof me->msg) != 0)
            return 2;
    } else if ((j->net = cli_build_net(&j->o, me->msg, sizeof me->msg)) == NULL) {
        return 2;
    }
    return cli_check_params(j->net, j->cl.layer, &j->o, me->msg, sizeof me->msg) != 0 ? 2 : 0;
}

/* Rank 0: the report, to --output (atomically) or stdout.  0, or 2 with msg. */
static int write_out(job *j, char *msg, size_t n)
{
    if (j->o.output != NULL) {
        if (cli_write_report(j->rep, j->o.format, j->out.f) != GC_OK) {
            snprintf(msg, n, "--output: %s: writing the report failed", j->o.output);
            return 2;
        }
        return cli_out_commit(&j->out, msg, n) != 0 ? 2 : 0;
    }
    if (!j->o.quiet && (cli_write_report(j->rep, j->o.format, stdout) != GC_OK ||
                        fflush(stdout) != 0)) {
        snprintf(msg, n, "stdout: writing the report failed");
        return 2;
    }
    return 0;
}

/* Steps 3 and the write; the exit status every rank returns. */
static int finish(job *j, const rank_status *all, int rank, int size)
{
    gc_row *rows = NULL;
    int status = 0;
    char msg[MSG_MAX] = "";
    if (gather_rows(j->rep, all, rank, size, &rows) != 0 ||
        (rank == ROOT && whole_report(j->rep, rows, all, size) != GC_OK)) {
        snprintf(msg, sizeof msg, "rank 0: out of memory for the %llu rows", all[ROOT].total);
        status = 2;
    }
    if (rank == ROOT && status == 0) {
        status = write_out(j, msg, sizeof msg);
        if (status == 0)
            status = (int)gc_report_status(j->rep);
    }
    if (rank == ROOT && status == 2)
        fprintf(stderr, "gradcheck-mpi: %s\n", msg);
    MPI_Bcast(&status, 1, MPI_INT, ROOT, MPI_COMM_WORLD);
    return status;
}

static int run(int argc, char **argv, int rank, int size)
{
    job j;
    memset(&j, 0, sizeof j);
    rank_status *me = calloc(1, sizeof *me);
    rank_status *all = rank == ROOT ? calloc((size_t)size, sizeof *all) : NULL;
    if (me == NULL || (rank == ROOT && all == NULL)) {
        fprintf(stderr, "gradcheck-mpi: rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    me->status = setup(&j, argc, argv, rank, me);
    int status = step(me, all, rank, size, NULL);
    if (status == 3) { /* --help or --version: rank 0 prints it */
        status = 0;
        if (rank == ROOT) {
            if (j.o.help)
                cli_usage(stdout);
            else
                printf("gradcheck %s\n", GC_VERSION);
            status = fflush(stdout) != 0 || ferror(stdout) ? 2 : 0;
        }
    } else if (status == 0) {
        memset(me, 0, sizeof *me);
        j.o.check.shard = rank + 1;
        j.o.check.nshards = size;
        cli_mpi_check_part(j.net, j.cl.layer, &j.o, &j.rep, me, &check_pid);
        status = step(me, all, rank, size, check_parts);
        if (status == 0)
            status = finish(&j, all, rank, size);
    }
    tmp_path = NULL;
    cli_out_abort(&j.out);
    gc_report_free(j.rep);
    gc_net_free(j.net);
    cli_layer_close(&j.cl);
    free(j.o.params);
    free(me);
    free(all);
    return status;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    signal(SIGTERM, on_term);
    int status = run(argc, argv, rank, size);
    MPI_Finalize();
    return status;
}
