/*
 * cli.h -- pieces of the gradcheck command shared between the cli sources: the parsed
 * options, the flag parser, and the atomic output file.  Not installed; the
 * library knows nothing of it.
 */
#ifndef GRADCHECK_CLI_H
#define GRADCHECK_CLI_H

#include <gradcheck.h>
#include <stdio.h>

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
    int help, version;      /* --help / --version: print and exit 0 */
} cli_opts;

/* Parse argv into *o (defaults first).  Returns 0, or 2 with a one-line
 * message (no "gradcheck: " prefix, no newline) in msg.  Either way the
 * caller frees o->params and o->sweep_elems. */
int cli_parse(int argc, char **argv, cli_opts *o, char *msg, size_t size);

/* The --help text, with the defaults. */
void cli_usage(FILE *f);

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
    gc_layer *layer; /* owned */
} cli_layer;

/* Build o->layer: a built-in name (dense or an activation), or
 * LIB.so:FACTORY loaded by gc_layer_load with (o->in, o->out, rng seeded
 * from o->seed, o->args).  0, or -1 with a one-line message in msg; either
 * way call cli_layer_close. */
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

/* ---- atomic output file ---------------------------------------------- */

/* A report being written to a temporary file beside its destination. */
typedef struct cli_out {
    const char *dest;   /* the --output path */
    char *tmp;          /* temporary path in the same directory (owned) */
    FILE *f;            /* open on tmp */
} cli_out;

/* Create the temporary file beside dest.  0, or -1 with msg set. */
int cli_out_open(cli_out *o, const char *dest, char *msg, size_t size);

/* Flush, close and rename the temporary file onto dest.  0, or -1 with msg
 * set (the temporary file is removed). */
int cli_out_commit(cli_out *o, char *msg, size_t size);

/* Close and remove the temporary file (after an error).  Safe to call on a
 * zeroed or committed cli_out. */
void cli_out_abort(cli_out *o);

#endif
