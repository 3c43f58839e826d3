/*
 * rebuild.c -- a report from its rows alone: the layout (each tensor's
 * first row and count) read off the rows, then the engine's own summaries
 * (report/summary.h).  A merge of a split check's parts and gradcheck-mpi's
 * rank 0 rebuild the whole report this way, so the same rows give the same
 * report, byte for byte in every writer.
 */
#include "report/summary.h"

#include <stdlib.h>

int gc_report_rebuild(gc_report *r)
{
    if (r == NULL || (r->nrows > 0 && r->rows == NULL) || (r->ntensors > 0 && r->tensors == NULL))
        return GC_EINVAL;
    if (r->partial)
        return GC_EPARTIAL;
    /* tensor by tensor, in tensor order, as the engine lays them out */
    size_t k = 0;
    for (int t = 0; t < r->ntensors; t++) {
        gc_tensor_report *tr = &r->tensors[t];
        tr->first = k;
        while (k < r->nrows && r->rows[k].tensor == t)
            k++;
        tr->count = k - tr->first;
        if (tr->screened && tr->count > 0)
            return GC_EINVAL;
    }
    if (k != r->nrows)
        return GC_EINVAL; /* a row out of order or naming no tensor */
    return gc_report_summarize(r);
}
