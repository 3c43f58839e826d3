/*
 * crash.c -- a layer plugin whose check dies, for check_mpi.c (built as
 * build/checks/plugins/libcrash.so; never linked into a binary).
 *
 * crash_last_plugin: y = x, the identity, in -> in, no parameters; its
 * forward aborts the process when the last element of X differs from the
 * X it saw first (the unperturbed pass).  The layer check perturbs that
 * element only in its last row, so a check split into parts dies in the
 * last part alone: the "rank that dies" of gradcheck-mpi's fault tests.
 */
#include <gradcheck.h>

#include <stdlib.h>
#include <string.h>

/* priv: the first X's last element and whether it was seen. */
typedef struct first_seen {
    int seen;
    double last;
} first_seen;

static void crash_forward(const gc_layer *l, gc_mat *Y, const gc_mat *X)
{
    first_seen *f = l->priv;
    size_t n = (size_t)X->rows * (size_t)X->cols;
    if (!f->seen) {
        f->seen = 1;
        f->last = X->data[n - 1];
    } else if (memcmp(&f->last, &X->data[n - 1], sizeof f->last) != 0) {
        abort();
    }
    memcpy(Y->data, X->data, n * sizeof *Y->data);
}

/* dX = dY: the identity's gradient. */
static void crash_backward(gc_layer *l, gc_mat *dX, const gc_mat *X, const gc_mat *Y,
                           const gc_mat *dY)
{
    (void)l;
    (void)X;
    (void)Y;
    if (dX != NULL)
        memcpy(dX->data, dY->data, (size_t)dY->rows * (size_t)dY->cols * sizeof *dX->data);
}

static void crash_destroy(gc_layer *l)
{
    free(l->priv);
}

static const gc_layer_ops crash_ops = {.type = "crash_last", .forward = crash_forward,
                                       .backward = crash_backward, .destroy = crash_destroy};

gc_layer *crash_last_plugin(int in, int out, gc_pcg32 *rng);

gc_layer *crash_last_plugin(int in, int out, gc_pcg32 *rng)
{
    (void)out;
    (void)rng;
    gc_layer *l = gc_layer_new(&crash_ops, in, in);
    if (l == NULL)
        return NULL;
    l->priv = calloc(1, sizeof(first_seen));
    if (l->priv == NULL) {
        gc_layer_free(l);
        return NULL;
    }
    return l;
}
