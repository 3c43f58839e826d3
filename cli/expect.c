/*
 * expect.c -- the command's --expect FILE: another tool's loss and
 * gradients (gradcheck/expect.h) compared with gradcheck's backprop and
 * finite differences.  The comparison is the library's; this file fits
 * the check to the file and picks the writer.
 */
#include "cli.h"

#include <string.h>

int cli_expect_prepare(const gc_net *net, cli_opts *o, gc_expect **e, char *msg, size_t size)
{
    gc_error err = {0};
    if (gc_expect_load(o->expect, e, &err) != GC_OK) {
        snprintf(msg, size, "--expect: %s", err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
        return -1;
    }
    if (gc_expect_match_net(*e, net, &err) != GC_OK) {
        snprintf(msg, size, "--expect: %s: %s", o->expect,
                 err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
        return -1;
    }
    int has_x = gc_expect_find(*e, "x") != NULL, wants_x = o->check.inputs;
    for (int i = 0; i < o->nparams; i++)
        wants_x |= strcmp(o->params[i], "x") == 0;
    if (wants_x && !has_x) {
        snprintf(msg, size, "--expect: %s: grad has no x, and the check includes the input "
                 "(--inputs or --param x)", o->expect);
        return -1;
    }
    return 0;
}

int cli_expect_report(const gc_expect *e, const gc_report *rep, const cli_opts *o, FILE *f,
                      int *failed, char *msg, size_t size)
{
    gc_error err = {0};
    gc_expect_report *x = NULL;
    if (gc_expect_compare(e, rep, &x, &err) != GC_OK) {
        snprintf(msg, size, "--expect: %s: %s", o->expect,
                 err.msg[0] != '\0' ? err.msg : gc_strerror(err.code));
        return -1;
    }
    *failed = gc_expect_failed(x, rep);
    int rc = GC_OK;
    if (f != NULL && o->format == CLI_JSON) {
        rc = gc_expect_write_json(x, rep, f);
    } else if (f != NULL && o->format == CLI_JUNIT) {
        rc = gc_expect_write_junit(x, rep, f);
    } else if (f != NULL) {
        rc = gc_report_write_text(rep, f);
        if (rc == GC_OK)
            rc = gc_expect_write_text(x, rep, f);
    }
    gc_expect_report_free(x);
    if (rc != GC_OK) {
        if (o->output != NULL)
            snprintf(msg, size, "--output: %s: writing the report failed", o->output);
        else
            snprintf(msg, size, "stdout: writing the report failed");
        return -1;
    }
    return 0;
}
