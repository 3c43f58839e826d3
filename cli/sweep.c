/*
 * sweep.c -- which elements --sweep looks at: the ones --sweep-element
 * names, each checked against the network so that a typo is one line naming
 * the flag, or by default the report's worst few and the worst of every
 * tensor (gc_sweep_pick), so that each tensor is seen once.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* How many of the report's worst rows the default sweep looks at. */
#define SWEEP_WORST 3

static int element_ok(const gc_net *net, const gc_element *e, char *msg, size_t size)
{
    int rows, cols;
    if (strcmp(e->tensor, "x") == 0) {
        rows = net->act[0]->rows;
        cols = net->act[0]->cols;
    } else {
        const gc_tensor *t = gc_net_find_tensor(net, e->tensor, NULL);
        if (t == NULL) {
            snprintf(msg, size, "--sweep-element: no tensor '%s' in this network", e->tensor);
            return -1;
        }
        rows = t->rows;
        cols = t->cols;
    }
    if (e->row >= rows || e->col >= cols) {
        snprintf(msg, size, "--sweep-element: %s[%d,%d] is outside %s, which is %dx%d",
                 e->tensor, e->row, e->col, e->tensor, rows, cols);
        return -1;
    }
    return 0;
}

int cli_sweep_elements(const cli_opts *o, const gc_net *net, const gc_report *r,
                       gc_element **out, int *n, char *msg, size_t size)
{
    int max = o->nsweep_elems > 0 ? o->nsweep_elems : SWEEP_WORST + net->ntensors + 1;
    gc_element *e = calloc((size_t)max, sizeof *e);
    if (e == NULL) {
        snprintf(msg, size, "--sweep: out of memory");
        return -1;
    }
    if (o->nsweep_elems > 0) {
        for (int i = 0; i < o->nsweep_elems; i++) {
            if (element_ok(net, &o->sweep_elems[i], msg, size) != 0) {
                free(e);
                return -1;
            }
            e[i] = o->sweep_elems[i];
        }
        *n = o->nsweep_elems;
    } else {
        *n = gc_sweep_pick(r, SWEEP_WORST, e, max);
    }
    if (*n == 0) {
        snprintf(msg, size, "--sweep: the check compared no element to sweep");
        free(e);
        return -1;
    }
    *out = e;
    return 0;
}
