/*
 * report/evals.h -- the loss evaluations of a check split in parts
 * (private): gc_report_merge and gradcheck-mpi count them alike.
 *
 * A part's nevals is what every part repeats (the unperturbed pass, the
 * screen, the final pass), its rows' share (nevals_rows) and the
 * conditioning estimate's (nevals_once, taken by a part where some row
 * fails).  The whole check repeats nothing, takes every part's rows and
 * the estimate once: its cost is the same in every part that takes it.
 */
#ifndef GC_REPORT_EVALS_H
#define GC_REPORT_EVALS_H

#include "gradcheck/report.h"

typedef struct gc_evals {
    unsigned long long total, rows, once; /* nevals, nevals_rows, nevals_once */
} gc_evals;

/* A part's three counts, from its report. */
static inline gc_evals gc_evals_of(const gc_report *r)
{
    return (gc_evals){r->nevals, r->nevals_rows, r->nevals_once};
}

/* What every part of one check repeats: the same in all of them. */
static inline unsigned long long gc_evals_shared(gc_evals e)
{
    return e.total - e.rows - e.once;
}

/* The whole check's counts so far, part p added (start from {0, 0, 0}:
 * then .total is set by gc_evals_whole). */
static inline void gc_evals_add(gc_evals *whole, gc_evals p)
{
    whole->rows += p.rows;
    if (p.once > whole->once)
        whole->once = p.once;
}

/* The whole check's nevals from its parts' sum (gc_evals_add) and any
 * one part's shared count. */
static inline unsigned long long gc_evals_whole(const gc_evals *whole, gc_evals any)
{
    return gc_evals_shared(any) + whole->rows + whole->once;
}

#endif
