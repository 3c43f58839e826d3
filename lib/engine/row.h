/*
 * engine/row.h -- one row of the report (private): an element's numbers,
 * its verdict, the kink refinement and the escalation that may revise it.
 */
#ifndef GC_ENGINE_ROW_H
#define GC_ENGINE_ROW_H

#include "engine/numdiff.h"

/* Fill row's numbers and verdict (row->tensor, row, col and analytic set);
 * *out (may be NULL) gets the numbers the verdict came from.  `at_eps_only`:
 * stop after step ε (a row left undecided there is refined or escalated by
 * the caller's own gc_row_decide later).  Returns gc_judge's verdict of the
 * numbers at ε (before float32 defers a refutation), undecided where a
 * refutation at ε is not confirmed at a finer step (row.c, confirm): with
 * at_eps_only, those left in *out. */
gc_verdict gc_row_decide(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                         gc_fd_point *out, int at_eps_only);

/* gc_row_decide from the numbers at ε already in *p (gc_fd_element or
 * gc_fd_central_given of the row's element), which get the numbers the
 * verdict came from. */
gc_verdict gc_row_decide_from(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                              gc_fd_point *p, int at_eps_only);

/* The rows[0..m) of tensor tg[t], central in float64, from the losses of
 * one batch: L[2q] = L(θ-ε) and L[2q + 1] = L(θ+ε) of element idx[2q]
 * (= idx[2q + 1]), row q's, no kink hook; each row located here (every
 * byte written, the place gc_plan_locate gives it) and filled as
 * gc_row_decide_from(c, tg, rows + q, .., 1) fills it from
 * gc_fd_central_given's numbers, and recheck[q] = 1 where
 * gc_verdict_stable(.., b) says a rounding of b could change its verdict
 * (recheck[q] is left alone elsewhere).  The rows that pass for sure
 * (gc_verdict_pass_final) take no other step; with c->o->drop_passes
 * GC_DROP_STATS, whose counts alone read them before they are dropped,
 * they get only the fields the counts read (row.c, decide_block). */
void gc_rows_decide_given(const gc_fd_ctx *c, const gc_target *tg, int t, gc_row *rows,
                          size_t m, const size_t *idx, const double *L, double b,
                          unsigned char *recheck);

#endif
