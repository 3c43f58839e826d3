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
 * numbers at ε (before float32 defers a refutation): with at_eps_only,
 * those left in *out. */
gc_verdict gc_row_decide(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                         gc_fd_point *out, int at_eps_only);

/* gc_row_decide from the numbers at ε already in *p (gc_fd_element or
 * gc_fd_central_given of the row's element), which get the numbers the
 * verdict came from. */
gc_verdict gc_row_decide_from(const gc_fd_ctx *c, const gc_target *tg, gc_row *row,
                              gc_fd_point *p, int at_eps_only);

#endif
