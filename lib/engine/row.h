/*
 * engine/row.h -- one row of the report (private): an element's numbers,
 * its verdict, and the kink probing that may revise it.
 */
#ifndef GC_ENGINE_ROW_H
#define GC_ENGINE_ROW_H

#include "engine/numdiff.h"

/* Fill row's numbers and verdict (row->tensor, row, col and analytic set);
 * *out (may be NULL) gets the numbers the verdict came from. */
void gc_row_decide(const gc_fd_ctx *c, const gc_target *tg, gc_row *row, gc_fd_point *out);

#endif
