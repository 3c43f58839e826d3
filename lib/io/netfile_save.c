/*
 * netfile_save.c -- a network file out: gc_net_write_json and gc_net_save.
 *
 * Writing is by hand rather than by json_dumpf, for two reasons: matrices
 * come out one row per line (readable diffs of fixtures), and each number is
 * printed with the fewest digits (15..17) that read back to the same bits,
 * with ".0" forced where needed so that -0.0 stays a real (jansson would read
 * "-0" as the integer 0 and lose the sign).  gc_net_save replaces the file
 * through io/atomic.h, the one atomic write of the project.
 */
#include "gradcheck/netfile.h"
#include "io/atomic.h"
#include "io/numfmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The fewest digits (15 to 17) that read back to v's bits, always a JSON
 * real: ".0" appended when the text has neither a point nor an exponent
 * ("1" -> "1.0", "-0" -> "-0.0"). */
static void fmt_real(char *buf, size_t n, double v)
{
    gc_numfmt_shortest(buf, n, v, 15);
    if (strpbrk(buf, ".eE") == NULL && strlen(buf) + 3 <= n)
        strcat(buf, ".0");
}

/* The built-in activation whose ops these are, or -1. */
static int builtin_act(const gc_layer *l)
{
    for (int a = 0; a < GC_ACT_COUNT; a++)
        if (l->ops == gc_act_ops((gc_act)a))
            return a;
    return -1;
}

/* Every value finite?  Names the first offender in err. */
static int check_finite(const double *v, size_t n, const char *what, gc_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return gc_error_set(err, GC_ERANGE,
                                "%s: element %zu is not finite: a network file cannot hold it",
                                what, i);
    return GC_OK;
}

/* rows x cols row-major (or its transpose when `transpose`) as JSON rows,
 * one per line, each line after the first indented by `indent`. */
static void write_rows(FILE *f, const double *v, int rows, int cols, int transpose,
                       int indent)
{
    char buf[40];
    int R = transpose ? cols : rows, C = transpose ? rows : cols;
    fputc('[', f);
    for (int i = 0; i < R; i++) {
        if (i > 0)
            fprintf(f, ",\n%*s", indent + 1, "");
        fputc('[', f);
        for (int j = 0; j < C; j++) {
            double d = transpose ? v[(size_t)j * (size_t)cols + (size_t)i]
                                 : v[(size_t)i * (size_t)cols + (size_t)j];
            fmt_real(buf, sizeof buf, d);
            fprintf(f, "%s%s", j > 0 ? ", " : "", buf);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

/* Everything gc_net_write_json writes can be written: checked before a
 * byte is, so a refused network leaves f untouched. */
static int check_writable(const gc_net *net, gc_error *err)
{
    int rc = GC_OK;
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        char what[64];
        if (l->ops == &gc_dense_ops) {
            for (int t = 0; t < 2; t++) {
                snprintf(what, sizeof what, "layers[%d].%s", k, t == 0 ? "W" : "b");
                rc = check_finite(l->param[t].value,
                                  (size_t)l->param[t].rows * (size_t)l->param[t].cols, what,
                                  err);
                if (rc != GC_OK)
                    return rc;
            }
        } else if (builtin_act(l) < 0) {
            return gc_error_set(err, GC_EINVAL,
                                "layers[%d]: type \"%s\" is not a built-in layer and cannot be "
                                "written to a network file",
                                k, l->ops->type != NULL ? l->ops->type : "?");
        } else if (!isfinite(l->alpha)) {
            return gc_error_set(err, GC_ERANGE, "layers[%d].alpha: not finite", k);
        }
    }
    rc = check_finite(net->act[0]->data, gc_mat_size(net->act[0]), "x", err);
    if (rc == GC_OK)
        rc = check_finite(net->T->data, gc_mat_size(net->T), "y", err);
    return rc;
}

int gc_net_write_json(const gc_net *net, FILE *f, gc_error *err)
{
    if (net == NULL || f == NULL)
        return gc_error_set(err, GC_EINVAL, "no network or no file to write");
    if (net->nlayers < 1 || net->batch < 1 || net->act == NULL || net->T == NULL)
        return gc_error_set(err, GC_EINVAL,
                            "the network has no layers or no data: a network file needs both");
    if (net->loss == NULL || gc_loss_by_name(net->loss->name) != net->loss)
        return gc_error_set(err, GC_EINVAL, "loss: only a built-in loss can be written");
    int rc = check_writable(net, err);
    if (rc != GC_OK)
        return rc;

    char buf[40];
    fputs("{\n  \"layers\": [\n", f);
    for (int k = 0; k < net->nlayers; k++) {
        const gc_layer *l = net->layers[k];
        fputs("    {", f);
        if (l->ops == &gc_dense_ops) {
            fprintf(f, "\"type\": \"dense\", \"in\": %d, \"out\": %d,\n     \"W\": ", l->in,
                    l->out);
            write_rows(f, l->param[0].value, l->out, l->in, 0, 10);
            fputs(",\n     \"b\": [", f);
            for (int i = 0; i < l->out; i++) {
                fmt_real(buf, sizeof buf, l->param[1].value[i]);
                fprintf(f, "%s%s", i > 0 ? ", " : "", buf);
            }
            fputs("]}", f);
        } else {
            gc_act a = (gc_act)builtin_act(l);
            fprintf(f, "\"type\": \"%s\"", gc_act_name(a));
            if (a == GC_ACT_LEAKY_RELU || a == GC_ACT_ELU) {
                fmt_real(buf, sizeof buf, l->alpha);
                fprintf(f, ", \"alpha\": %s", buf);
            }
            fputc('}', f);
        }
        fputs(k + 1 < net->nlayers ? ",\n" : "\n", f);
    }
    fprintf(f, "  ],\n  \"loss\": \"%s\",\n  \"x\": ", net->loss->name);
    write_rows(f, net->act[0]->data, net->act[0]->rows, net->act[0]->cols, 1, 7);
    fputs(",\n  \"y\": ", f);
    write_rows(f, net->T->data, net->T->rows, net->T->cols, 1, 7);
    fputs("\n}\n", f);
    if (fflush(f) != 0 || ferror(f))
        return gc_error_set(err, GC_EIO, "write failed: %s", strerror(errno));
    return GC_OK;
}

int gc_net_save(const gc_net *net, const char *path, gc_error *err)
{
    if (path == NULL)
        return gc_error_set(err, GC_EINVAL, "no file name given");
    gc_atomic a;
    int rc = gc_atomic_open(&a, path, GC_ATOMIC_DURABLE, err);
    if (rc != GC_OK)
        return rc;
    gc_error werr = {0};
    rc = gc_net_write_json(net, a.f, &werr);
    if (rc != GC_OK) {
        gc_atomic_abort(&a);
        return gc_error_set(err, rc, "%s: %s", path, werr.msg);
    }
    return gc_atomic_commit(&a, err);
}
