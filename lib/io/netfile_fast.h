/*
 * io/netfile_fast.h -- the network file's fast path (private).
 *
 * jansson builds a value of every number it parses (an allocation, its
 * lexer's byte-by-byte copy and glibc's strtod for each): most of a big
 * file's load (bench/README.md).  The fast path reads the text once: every array made only of numbers is read
 * into a table of doubles (io/numread.h's reader) and replaced by a
 * placeholder string, "\u0001K" for the table's run K, in a skeleton text a
 * few kilobytes long, which jansson parses with the flags it parses any
 * network file with.  The loader then validates the skeleton's document as
 * it validates any other, reading a placeholder's numbers from the table
 * (gc_nf_table_run).
 *
 * The fast path only ever decides "this file is good": on any doubt -- a
 * text it cannot take, a skeleton jansson refuses, any error of the
 * document, a plugin layer -- the load starts again on the whole text with
 * jansson (netfile_load.c), which gives the one-line message.  That is
 * sound because (docs/DESIGN.md §6):
 *  - the skeleton is the text with each replaced array's bytes swapped for
 *    a string; the rest is copied byte for byte, so jansson reads the same
 *    keys, strings, scalars and structure from it;
 *  - a replaced array is one jansson accepts (RFC 8259 number grammar,
 *    integers within long long, reals that do not overflow), with the
 *    values jansson gives: an integer token as strtoll then a conversion to
 *    double (so "-0" is +0.0), a token with '.', 'e' or 'E' as strtod;
 *  - no string of the text can pass for a placeholder: a raw control byte
 *    is refused by jansson, and a text that escapes one as \u0001 is left
 *    to the slow path; nesting deeper than GC_NF_FAST_DEPTH too.
 */
#ifndef GC_IO_NETFILE_FAST_H
#define GC_IO_NETFILE_FAST_H

#include <jansson.h>
#include <stddef.h>

#include "gradcheck/netfile.h"
#include "io/numread.h"

/* Containers nested deeper than this send a text to the slow path (a
 * network file nests five deep: jansson's own limit is 2048). */
#define GC_NF_FAST_DEPTH 64

/* What one scan made.  Owned; gc_nf_table_free releases it. */
typedef struct gc_nf_table {
    char *skel;       /* the skeleton text, nskel bytes (not NUL-terminated) */
    size_t nskel, capskel;
    double *val;      /* every replaced array's numbers, in the text's order */
    size_t nval, capval;
    size_t *run;      /* run K is val[run[K] .. run[K + 1]); nrun + 1 entries */
    size_t nrun, caprun;
} gc_nf_table;

/* Scan len bytes of text into *t (zeroed first) with the reader rd: GC_OK
 * when a skeleton is made, else nonzero (the text is left to the slow
 * path, nothing to say).  Free *t in both cases. */
int gc_nf_scan(const char *text, size_t len, const gc_numreader *rd, gc_nf_table *t);

/* The number token at s (before end) as jansson reads it, into *out (by
 * rd: its decimal way for up to 19 digits, else its token way): past it,
 * or NULL when jansson would not take it -- no number by RFC 8259's
 * grammar ("01", "1.", ".5", "+1"), an integer beyond long long, a real
 * that overflows.  What follows the token is not looked at. */
const char *gc_nf_read_number(const char *s, const char *end, const gc_numreader *rd,
                              double *out);

/* Free what *t holds (not t); a zeroed table is a no-op. */
void gc_nf_table_free(gc_nf_table *t);

/* When v is one of t's placeholders: *x its numbers (at least one, every
 * one finite; do not free), *n how many, and 1.  Otherwise 0.  t NULL (the
 * slow path, where no string is a placeholder): 0. */
int gc_nf_table_run(const gc_nf_table *t, const json_t *v, const double **x, size_t *n);

/* ---- for the tests: one path forced ------------------------------------ */

typedef enum gc_nf_route {
    GC_NF_EITHER, /* as gc_net_load_buffer: the fast path, else the slow one */
    GC_NF_SLOW,   /* jansson on the whole text only (the loader before the fast path) */
    GC_NF_FAST    /* the fast path only: on its doubt NULL, GC_EPARSE, "LABEL: fast path declined" */
} gc_nf_route;

/* gc_net_load_buffer by `route`, the fast path reading numbers with rd
 * (NULL: gc_numread); file names in the text are relative to the
 * folder of the file `anchor` (NULL: the current directory), as
 * gc_net_load's are to its file's. */
gc_net *gc_nf_load_buffer_by(gc_nf_route route, const gc_numreader *rd, const char *text, size_t len,
                             const char *label, const char *anchor, const gc_net_limits *lim,
                             gc_init init, gc_pcg32 *rng, gc_error *err);

#endif
