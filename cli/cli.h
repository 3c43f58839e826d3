/*
 * cli.h -- pieces of the gradcheck command shared between the cli sources: the parsed
 * options, the flag parser, and the atomic output file.  Not installed; the
 * library knows nothing of it.
 */
#ifndef GRADCHECK_CLI_H
#define GRADCHECK_CLI_H

#include <gradcheck.h>
#include <stdio.h>
#include <sys/types.h>

#include "io/atomic.h"

/* --plugin-timeout's default, in seconds: far beyond any layer check
 * that finishes (a plugin that loops forever is stopped after it). */
#define CLI_PLUGIN_TIMEOUT 600

typedef enum cli_format { CLI_TEXT, CLI_JSON, CLI_JUNIT } cli_format;

/* Everything the command line said.  Strings point into argv. */
typedef struct cli_opts {
    const char *net_path;   /* --net, or NULL */
    const char *arch;       /* --arch, or NULL */
    const char *layer;      /* --layer NAME or LIB.so:FACTORY, or NULL */
    int in, out;            /* --in, --out (--width sets both); out = in by default */
    gc_layer_args args;     /* --set NAME=V,...: a plugin factory's hyper-parameters
                             * (in, out and rng are filled by cli_layer_open) */
    const char *act;        /* --act; "sigmoid" by default */
    const char *loss;       /* --loss; "bce" by default */
    int batch;              /* --batch; 1 by default, 2 with --layer */
    int act_set, loss_set, batch_set; /* given explicitly (they need --arch) */
    int in_set, out_set, width_set, init_set, engine_set, threads_set;
    const char *layer_only_set; /* the last of --no-hygiene, --nondet-tol given */
    uint64_t seed;          /* --seed; also check.seed */
    gc_init init;           /* --init */
    gc_check_opts check;    /* method, eps, tolerances, ...; params below */
    const char **params;    /* --param names, NULL-terminated; owned (free) */
    int nparams;
    cli_format format;      /* --format */
    const char *output;     /* --output FILE, or NULL for stdout */
    const char *expect;     /* --expect FILE, or NULL */
    int quiet;              /* --quiet */
    int explain;            /* --explain: the walkthrough before the table */
    int sweep;              /* --sweep (or --sweep-element): the h-curve */
    gc_element *sweep_elems;/* --sweep-element, nsweep_elems of them; owned (free) */
    int nsweep_elems;
    gc_sweep_opts sweep_opts; /* --sweep-range, --sweep-points, --sweep-error */
    const char *plot;       /* --plot FILE (.png or .svg), or NULL */
    gc_net_limits limits;   /* --max-input-bytes, --max-layers, --max-elements */
    const char *net_limit_set; /* the first --max-input-bytes/--max-layers given, or NULL */
    int elements_set;       /* --max-elements given */
    int no_fork;            /* --no-fork: a plugin runs in this process */
    int plugin_timeout;     /* --plugin-timeout seconds, 0 = none */
    const char *plugin_flag_set; /* --no-fork or --plugin-timeout if given, or NULL */
    int help, version;      /* --help / --version: print and exit 0 */
} cli_opts;

/* Parse argv into *o (defaults first).  Returns 0, or 2 with a one-line
 * message (no "gradcheck: " prefix, no newline) in msg.  Either way the
 * caller frees o->params and o->sweep_elems. */
int cli_parse(int argc, char **argv, cli_opts *o, char *msg, size_t size);

/* Make msg one line: every control byte (a newline in an argument or a
 * file name echoed into it) becomes '?'. */
void cli_one_line(char *msg);

/* The --help text, with the defaults. */
void cli_usage(FILE *f);

/* ---- heap.c: the process's memory ------------------------------------- */

/* The heap's next CLI_HEAP_SMALL bytes on small pages, then the whole huge
 * pages of the rest of its next CLI_HEAP_HUGE bytes. */
#define CLI_HEAP_SMALL (256 << 10)
#define CLI_HEAP_HUGE (30 << 20)

/* Set malloc for a process that runs one check: large blocks from the heap
 * and kept there when freed; the heap's next CLI_HEAP_SMALL bytes on small
 * pages, then memory advised for transparent huge pages (where the kernel
 * has them: the whole 2 MiB pages of the rest of CLI_HEAP_HUGE bytes).
 * Call first, once; returns a block to free at the end (may be NULL). */
void *cli_heap_for_one_check(void);

/* ---- setup.c: steps every command shares ------------------------------ */

/* The network of --net or --arch, drawn from o->seed; NULL with a one-line
 * message in msg ("--arch: ..." for a flag's value). */
gc_net *cli_build_net(const cli_opts *o, char *msg, size_t size);

/* Every --param must name a tensor of net (or of layer, when net is NULL)
 * or "x"; duplicates are dropped from o->params.  0, or -1 with msg set. */
int cli_check_params(const gc_net *net, const gc_layer *layer, cli_opts *o, char *msg,
                     size_t size);

/* The report in that format; the writer's status. */
int cli_write_report(const gc_report *r, cli_format format, FILE *f);

/* ---- merge.c: gradcheck merge ------------------------------------------ */

/* `gradcheck merge [--format F] [-o FILE] [-q] A.json ...` with argv[0]
 * "merge": the exit status (0, 1, 3 as gradcheck's; 2 with one line on stderr). */
int cli_merge(int argc, char **argv);

/* ---- --layer: one layer, built in or loaded --------------------------- */

/* The layer to check (a plugin's carries its shared object, l->dl). */
typedef struct cli_layer {
    gc_layer *layer;       /* owned; a plugin's carries its shared object (l->dl) */
    volatile char *phase;  /* set to the CLI_PHASE_... being run, or NULL */
    gc_layer_ops watched;  /* the plugin's ops, wrapped (cli_layer_watch) */
} cli_layer;

/* Nonzero when o->layer names a plugin (LIB.so:FACTORY), not a built-in. */
int cli_layer_is_plugin(const cli_opts *o);

/* Build o->layer: a built-in name (dense or an activation), or
 * LIB.so:FACTORY loaded by gc_layer_load with (o->in, o->out, rng seeded
 * from o->seed, o->args), which checks it against what it declares (shape,
 * parameters, an affine layer's W and b).  When cl->phase is set (before
 * the call), it says FACTORY while the object loads and its factory runs.
 * 0, or -1 with a one-line message in msg; either way call
 * cli_layer_close. */
int cli_layer_open(cli_layer *cl, const cli_opts *o, char *msg, size_t size);

/* Free the layer (and so unload a plugin's object).  Safe on a zeroed one. */
void cli_layer_close(cli_layer *cl);

/* ---- --expect: another tool's loss and gradients ------------------------ */

/* Load o->expect into *e and match it to the network: every tensor it
 * names must be the network's (or x), with its shape, and x must be in it
 * when the check includes the input (--inputs, --param x; a file's x is
 * otherwise listed as not compared).  0, or -1 with a one-line message. */
int cli_expect_prepare(const gc_net *net, cli_opts *o, gc_expect **e, char *msg, size_t size);

/* Compare e with the check's report and write the report (text or JSON)
 * with the comparison to f (NULL: nothing written).  Sets *failed.  0, or
 * -1 with a one-line message (a tensor missing from e, a shape, I/O). */
int cli_expect_report(const gc_expect *e, const gc_report *rep, const cli_opts *o, FILE *f,
                      int *failed, char *msg, size_t size);

/* ---- --explain: the classic notes' walkthrough ------------------------- */

/* Write the walkthrough of a checked network to f: parameters and data, the
 * forward pass layer by layer (z1 = W1 x + b1, a1 = sigmoid(z1), ...), the
 * cache, the backward pass (dz2, dW2, db2, dz1, dW1, db1, ...), and the
 * report's worst element worked through by hand.  net holds the check's
 * unperturbed cache and backprop's gradients (gc_check_net leaves them so);
 * r is that check's report.  Matrices of more than a few elements are
 * summarised by shape and norm.  0, or -1 with msg set. */
int cli_explain(FILE *f, gc_net *net, const gc_report *r, char *msg, size_t size);

/* ---- --sweep and --plot ------------------------------------------------ */

/* The elements to sweep: o->sweep_elems when given (each checked against
 * net: -1 with msg naming the flag), else the report's worst few and the
 * worst of each tensor.  *out is owned by the caller (free). */
int cli_sweep_elements(const cli_opts *o, const gc_net *net, const gc_report *r,
                       gc_element **out, int *n, char *msg, size_t size);

/* 0 when the directory that would hold the picture at path exists, else -1
 * with msg naming --plot, path and why. */
int cli_plot_dir_exists(const char *path, char *msg, size_t size);

/* 0 when gnuplot is on PATH, else -1 with msg saying how to get it. */
int cli_plot_available(char *msg, size_t size);

/* The h-curve of a sweep (log-log, the three methods, slope guides, the
 * best steps and the check's step `chosen` marked) as a PNG or SVG at
 * path, by its extension, written atomically.  0, or -1 with msg set. */
int cli_plot_sweep(const char *path, const gc_sweep *s, double chosen, char *msg, size_t size);

/* Per tensor, each checked element's rel_err on a log axis with the
 * tolerance line, coloured by verdict.  0, or -1 with msg set. */
int cli_plot_check(const char *path, const gc_report *r, char *msg, size_t size);

/* ---- progress bar on stderr --------------------------------------------- */

typedef struct cli_progress {
    double start;  /* monotonic seconds when the check began */
    double last;   /* when the bar was last drawn */
    int shown;     /* a bar is on the terminal now */
    int width;     /* widest line drawn, to erase it */
} cli_progress;

/* When enable and stderr is a terminal, hook a bar into opts (progress and
 * progress_ctx; p must outlive the check); otherwise leave opts alone. */
void cli_progress_start(cli_progress *p, gc_check_opts *opts, int enable);

/* Erase the bar, if one was drawn. */
void cli_progress_end(cli_progress *p);

/* ---- --output FILE --------------------------------------------------- */

/* The report's destination: FILE through gc_atomic, or stdout for "-". */
typedef struct cli_out {
    gc_atomic a;        /* unused for "-" */
    FILE *f;            /* where to write the report: a.f or stdout */
} cli_out;

/* Prepare dest ("-": stdout).  0, or -1 with msg set ("--output: ..."). */
int cli_out_open(cli_out *o, const char *dest, char *msg, size_t size);

/* Flush the report into place (rename a temporary file over dest).  0, or
 * -1 with msg set, the reason included (the temporary file is removed). */
int cli_out_commit(cli_out *o, char *msg, size_t size);

/* Close and remove the temporary file (after an error).  Safe to call on a
 * zeroed or committed cli_out. */
void cli_out_abort(cli_out *o);

/* ---- signals (signals.c) --------------------------------------------- */

/* Catch SIGINT, SIGTERM and SIGHUP: remove the temporary file published by
 * cli_signal_tmp, kill the child published by cli_signal_child, and exit
 * with 128 + the signal's number, as a shell reports a process it killed. */
void cli_signal_install(void);

/* Publish the temporary file to remove (NULL: none).  Call with the
 * signals blocked (output.c does). */
void cli_signal_tmp(const char *path);

/* Publish the child to kill (0: none). */
void cli_signal_child(pid_t pid);

/* Restore the default dispositions (in a child). */
void cli_signal_reset(void);

/* ---- a child process over a pipe (child.c) ----------------------------- */

/* How a reaped child ended. */
typedef struct cli_child_end {
    int signal; /* the signal that killed it, 0 when it exited */
    int code;   /* its exit status, -1 when a signal ended it */
} cli_child_end;

/* Flush stdio, then fork a child with a pipe from it to this process.  In
 * the child: returns 0, *fd the write end, the child set to die with its
 * parent (PR_SET_PDEATHSIG).  In the parent: the child's pid, *fd the read
 * end.  -1 when the pipe or the fork failed (errno set, *failed "pipe" or
 * "fork", nothing left open). */
pid_t cli_child_fork(int *fd, const char **failed);

/* Wait for the child (after SIGKILL when kill_first), through EINTR. */
cli_child_end cli_child_reap(pid_t pid, int kill_first);

/* Write or read all n bytes, through EINTR: 0, or -1 at an error or an
 * early end of the pipe (the other side died). */
int cli_write_all(int fd, const void *p, size_t n);
int cli_read_all(int fd, void *p, size_t n);

/* Everything read from fd until its end or until timeout seconds pass
 * (0: no limit; *timed_out then 1), *n bytes, in a new buffer (free it).
 * NULL only when memory runs out. */
char *cli_read_to_end(int fd, int timeout, size_t *n, int *timed_out);

/* ---- a plugin's check in a child (contain.c) ---------------------------- */

/* What the contained code is doing, as the phase byte it sets. */
enum { CLI_PHASE_FACTORY = 'F', CLI_PHASE_FORWARD = 'f',
       CLI_PHASE_BACKWARD = 'b', CLI_PHASE_KINK = 'k', CLI_PHASE_DESTROY = 'd',
       CLI_PHASE_CHECK = 'c' };

/* A job: sets *phase as it goes, writes its output to out, puts a one-line
 * message in msg on an error, and returns the exit status (0, 1 or 2). */
typedef int (*cli_job)(void *ctx, volatile char *phase, FILE *out, char *msg, size_t size);

/* Run job in a forked child (unless no_fork) and return its status, its
 * output in a new buffer *out (*len bytes; free it) and its message.  A
 * child killed by a signal, one that ends without a result or that runs past
 * timeout seconds (0: no limit) is status 2 with msg "WHERE: plugin crashed
 * in PHASE: SIGSEGV" (or "... timed out ..."), where is "--layer" or the
 * network file.  When what the job does cannot be contained (fork, pipe
 * fail) it is status 2 with the reason. */
int cli_contain(cli_job job, void *ctx, const char *where, int no_fork, int timeout, char **out,
                size_t *len, char *msg, size_t size);

/* Whether the network file at path may name a plugin layer, so that its
 * load and check must be contained: 0 only when it certainly names none (a
 * regular file of at most max_bytes in which neither "plugin" nor a \u
 * escape occurs), or when the loader will refuse it before reading a layer
 * (it cannot be opened, or is larger than max_bytes). */
int cli_net_may_load_code(const char *path, long long max_bytes);

/* Wrap cl's layer ops so that every call sets *phase (forward, backward,
 * kink, destroy) before calling the plugin's own.  For contain.c's child. */
void cli_layer_watch(cli_layer *cl, volatile char *phase);

#endif
