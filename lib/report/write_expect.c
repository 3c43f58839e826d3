/*
 * write_expect.c -- the expect comparison (gradcheck/expect.h) as text and
 * as JSON.  Reads the comparison and the check's report; computes nothing
 * it prints.  The text section follows gradcheck's own text report; the
 * JSON object is gradcheck's report with one more member, "expect"; the
 * JUnit document gradcheck's with one more testsuite, "gradcheck-expect".
 */
#include "gradcheck/expect.h"
#include "report/json.h"
#include "report/junit.h"

#include <math.h>
#include <string.h>

/* Disagreeing elements listed in the text. */
#define TEXT_ROWS 20

static const char *why(gc_expect_blame b)
{
    switch (b) {
    case GC_BLAME_EXPORT:
        return "the network file is not the tool's function (a transpose, a reduction, "
               "an activation?)";
    case GC_BLAME_TOOL:
        return "the finite difference refutes the tool's gradient and confirms gradcheck's "
               "backprop: the tool's backward is wrong";
    case GC_BLAME_GRADCHECK:
        return "the finite difference refutes gradcheck's backprop and confirms the tool's: "
               "gradcheck's backprop (or a layer) is wrong";
    case GC_BLAME_BOTH:
        return "the finite difference refutes both the tool's gradient and gradcheck's backprop";
    case GC_BLAME_NONE: break;
    }
    return "all three agree";
}

static int bad_row(const gc_expect_row *w)
{
    return !w->tool_ok || w->verdict == GC_FAIL;
}

static void text_tensors(const gc_expect_report *x, FILE *f)
{
    int nw = (int)strlen("tensor");
    for (int t = 0; t < x->ntensors; t++)
        if ((int)strlen(x->tensors[t].name) > nw)
            nw = (int)strlen(x->tensors[t].name);
    fprintf(f, "%-*s  %9s  %8s  %12s  %12s  %11s  %11s  %s\n", nw, "tensor", "shape",
            "compared", "tool vs fd", "ours vs fd", "max rel t-n", "max rel t-a", "blame");
    for (int t = 0; t < x->ntensors; t++) {
        const gc_expect_tensor_report *xt = &x->tensors[t];
        char shape[32], tn[32], an[32];
        snprintf(shape, sizeof shape, "%dx%d", xt->rows, xt->cols);
        if (xt->tool_fail > 0)
            snprintf(tn, sizeof tn, "%d DISAGREE", xt->tool_fail);
        else
            snprintf(tn, sizeof tn, "agree");
        if (xt->gc_fail > 0)
            snprintf(an, sizeof an, "%d FAIL", xt->gc_fail);
        else
            snprintf(an, sizeof an, "agree");
        fprintf(f, "%-*s  %9s  %8zu  %12s  %12s  %11.3e  %11.3e  %s\n", nw, xt->name, shape,
                xt->count, tn, an, xt->max_rel_tn, xt->max_rel_ta,
                gc_expect_blame_name(xt->blame));
    }
}

static void text_rows(const gc_expect_report *x, FILE *f)
{
    size_t nbad = 0, shown = 0;
    for (size_t k = 0; k < x->nrows; k++)
        nbad += bad_row(&x->rows[k]);
    if (nbad == 0)
        return;
    fprintf(f, "\ndisagreeing elements (%zu; the first %d in report order):\n", nbad, TEXT_ROWS);
    fprintf(f, "%-8s  %-13s  %18s  %18s  %18s  %10s  %10s  %s\n", "tensor", "element", "tool",
            "analytic", "numeric", "rel t-n", "rel t-a", "which");
    for (size_t k = 0; k < x->nrows && shown < TEXT_ROWS; k++) {
        const gc_expect_row *w = &x->rows[k];
        if (!bad_row(w))
            continue;
        char elem[32];
        snprintf(elem, sizeof elem, "(%d,%d)", w->row, w->col);
        const char *which = !w->tool_ok && w->verdict == GC_FAIL ? "both vs fd"
                          : !w->tool_ok ? "tool vs fd" : "ours vs fd";
        fprintf(f, "%-8s  %-13s  %18.10e  %18.10e  %18.10e  %10.3e  %10.3e  %s\n",
                x->tensors[w->tensor].name, elem, w->tool, w->analytic, w->numeric, w->rel_tn,
                w->rel_ta, which);
        shown++;
    }
}

static void text_verdict(const gc_expect_report *x, const gc_report *r, FILE *f)
{
    if (!gc_expect_failed(x, r)) {
        fprintf(f, "expect: PASS (the loss and %zu gradient elements of %s agree with "
                "gradcheck's backprop and finite differences)\n", x->nrows, x->tool);
        return;
    }
    if (!x->loss_ok) {
        fprintf(f, "expect: FAIL: loss: tool %.10g, gradcheck %.10g (rel %.3e > %g): %s",
                x->loss_tool, x->loss_gc, x->loss_rel, x->loss_rtol, why(GC_BLAME_EXPORT));
        const char *sep = "; the tool's gradient disagrees with the finite difference in";
        for (int t = 0; t < x->ntensors; t++)
            if (x->tensors[t].blame == GC_BLAME_EXPORT) {
                fprintf(f, "%s %s", sep, x->tensors[t].name);
                sep = "";
            }
        fputc('\n', f);
    }
    for (int t = 0; t < x->ntensors; t++) {
        const gc_expect_tensor_report *xt = &x->tensors[t];
        if (xt->blame != GC_BLAME_NONE && xt->blame != GC_BLAME_EXPORT)
            fprintf(f, "expect: FAIL: %s: %s\n", xt->name, why(xt->blame));
    }
    if (x->loss_ok && x->tool_fail == 0 && x->gc_fail == 0)
        fprintf(f, "expect: FAIL: gradcheck's own check failed (see its verdict above)\n");
}

int gc_expect_write_text(const gc_expect_report *x, const gc_report *r, FILE *f)
{
    if (x == NULL || f == NULL)
        return GC_EINVAL;
    fprintf(f, "\nexpect: %s (float64) against gradcheck's backprop (a) and finite "
            "differences (n)\n", x->tool);
    for (int i = 0; i < x->nnotes; i++)
        fprintf(f, "note: %s\n", x->notes[i]);
    fprintf(f, "loss: tool %.12g, gradcheck %.12g, rel %.3e (agree within %g): %s\n",
            x->loss_tool, x->loss_gc, x->loss_rel, x->loss_rtol,
            x->loss_ok ? "agree" : "DISAGREE");
    fprintf(f, "band: tool vs fd as the check's (abs <= %g or rel <= %g; between the "
            "one-sided slopes at a kink)\n\n", x->atol, x->rtol);
    text_tensors(x, f);
    if (x->nunchecked > 0) {
        fprintf(f, "not compared (not checked in this run):");
        for (int i = 0; i < x->nunchecked; i++)
            fprintf(f, " %s", x->unchecked[i]);
        fputc('\n', f);
    }
    text_rows(x, f);
    fputc('\n', f);
    text_verdict(x, r, f);
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}

/* ---- JSON ----------------------------------------------------------------- */

static void append(json_t *arr, json_t *v, int *bad)
{
    if (v == NULL || json_array_append_new(arr, v) != 0)
        *bad = 1;
}

static json_t *json_loss(const gc_expect_report *x, int *bad)
{
    json_t *j = json_object();
    gc_report_json_put(j, "tool", gc_report_json_num(x->loss_tool), bad);
    gc_report_json_put(j, "gradcheck", gc_report_json_num(x->loss_gc), bad);
    gc_report_json_put(j, "rel_err", gc_report_json_num(x->loss_rel), bad);
    gc_report_json_put(j, "rtol", gc_report_json_num(x->loss_rtol), bad);
    gc_report_json_put(j, "agree", json_boolean(x->loss_ok), bad);
    return j;
}

static json_t *json_tensor(const gc_expect_report *x, const gc_expect_tensor_report *xt,
                           int *bad)
{
    json_t *j = json_object();
    gc_report_json_put(j, "name", json_string(xt->name), bad);
    gc_report_json_put(j, "rows", json_integer(xt->rows), bad);
    gc_report_json_put(j, "cols", json_integer(xt->cols), bad);
    gc_report_json_put(j, "compared", json_integer((json_int_t)xt->count), bad);
    gc_report_json_put(j, "tool_vs_numeric_disagree", json_integer(xt->tool_fail), bad);
    gc_report_json_put(j, "analytic_vs_numeric_fail", json_integer(xt->gc_fail), bad);
    gc_report_json_put(j, "max_rel_tool_numeric", gc_report_json_num(xt->max_rel_tn), bad);
    gc_report_json_put(j, "max_rel_tool_analytic", gc_report_json_num(xt->max_rel_ta), bad);
    if (xt->count > 0) {
        json_t *w = json_object();
        gc_report_json_put(w, "row", json_integer(x->rows[xt->worst_tn].row), bad);
        gc_report_json_put(w, "col", json_integer(x->rows[xt->worst_tn].col), bad);
        gc_report_json_put(j, "worst", w, bad);
    } else {
        gc_report_json_put(j, "worst", json_null(), bad);
    }
    gc_report_json_put(j, "blame", json_string(gc_expect_blame_name(xt->blame)), bad);
    return j;
}

static json_t *json_row(const gc_expect_report *x, const gc_expect_row *w, int *bad)
{
    json_t *j = json_object();
    gc_report_json_put(j, "tensor", json_string(x->tensors[w->tensor].name), bad);
    gc_report_json_put(j, "row", json_integer(w->row), bad);
    gc_report_json_put(j, "col", json_integer(w->col), bad);
    gc_report_json_put(j, "tool", gc_report_json_num(w->tool), bad);
    gc_report_json_put(j, "analytic", gc_report_json_num(w->analytic), bad);
    gc_report_json_put(j, "numeric", gc_report_json_num(w->numeric), bad);
    gc_report_json_put(j, "rel_tool_numeric", gc_report_json_num(w->rel_tn), bad);
    gc_report_json_put(j, "rel_tool_analytic", gc_report_json_num(w->rel_ta), bad);
    gc_report_json_put(j, "tool_agrees", json_boolean(w->tool_ok), bad);
    gc_report_json_put(j, "verdict", json_string(gc_verdict_name(w->verdict)), bad);
    return j;
}

static json_t *json_expect(const gc_expect_report *x, const gc_report *r, int *bad)
{
    json_t *j = json_object(), *tensors = json_array(), *rows = json_array(),
           *notes = json_array(), *unchecked = json_array();
    gc_report_json_put(j, "tool", json_string(x->tool), bad);
    gc_report_json_put(j, "dtype", json_string("float64"), bad);
    for (int i = 0; i < x->nnotes; i++)
        append(notes, json_string(x->notes[i]), bad);
    gc_report_json_put(j, "notes", notes, bad);
    gc_report_json_put(j, "loss", json_loss(x, bad), bad);
    gc_report_json_put(j, "rtol", gc_report_json_num(x->rtol), bad);
    gc_report_json_put(j, "atol", gc_report_json_num(x->atol), bad);
    for (int t = 0; t < x->ntensors; t++)
        append(tensors, json_tensor(x, &x->tensors[t], bad), bad);
    gc_report_json_put(j, "tensors", tensors, bad);
    for (size_t k = 0; k < x->nrows; k++)
        if (bad_row(&x->rows[k]))
            append(rows, json_row(x, &x->rows[k], bad), bad);
    gc_report_json_put(j, "rows", rows, bad);
    for (int i = 0; i < x->nunchecked; i++)
        append(unchecked, json_string(x->unchecked[i]), bad);
    gc_report_json_put(j, "unchecked", unchecked, bad);
    gc_report_json_put(j, "verdict", json_string(gc_expect_failed(x, r) ? "fail" : "pass"), bad);
    return j;
}

int gc_expect_write_json(const gc_expect_report *x, const gc_report *r, FILE *f)
{
    if (x == NULL || r == NULL || f == NULL)
        return GC_EINVAL;
    json_t *extra = json_object();
    if (extra == NULL)
        return GC_ENOMEM;
    int bad = 0;
    gc_report_json_put(extra, "expect", json_expect(x, r, &bad), &bad);
    int rc = bad ? GC_ENOMEM
                 : gc_report_json_write(r, f, gc_expect_failed(x, r) ? "fail" : "pass", extra);
    json_decref(extra);
    return rc;
}

/* ---- JUnit ---------------------------------------------------------------- */

static void junit_loss(const gc_expect_report *x, FILE *f)
{
    fprintf(f, "    <testcase classname=\"gradcheck-expect\" name=\"loss\"");
    if (x->loss_ok) {
        fprintf(f, "/>\n");
        return;
    }
    char msg[GC_ERROR_MAX], bt[32], bg[32], br[32];
    snprintf(msg, sizeof msg, "loss: tool %s, gradcheck %s (rel %s): %s",
             gc_junit_shortest(bt, x->loss_tool), gc_junit_shortest(bg, x->loss_gc),
             gc_junit_e3(br, x->loss_rel), why(GC_BLAME_EXPORT));
    fprintf(f, ">\n      <failure type=\"export\" message=\"");
    gc_junit_esc(f, msg);
    fprintf(f, "\"/>\n    </testcase>\n");
}

static void junit_tensor(const gc_expect_report *x, int t, FILE *f)
{
    const gc_expect_tensor_report *xt = &x->tensors[t];
    fprintf(f, "    <testcase classname=\"gradcheck-expect\" name=\"");
    gc_junit_esc(f, xt->name);
    if (xt->blame == GC_BLAME_NONE) {
        fprintf(f, "\"/>\n");
        return;
    }
    char msg[GC_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s: %d tool vs fd disagree, %d ours vs fd fail of %zu: %s",
             xt->name, xt->tool_fail, xt->gc_fail, xt->count, why(xt->blame));
    fprintf(f, "\">\n      <failure type=\"%s\" message=\"", gc_expect_blame_name(xt->blame));
    gc_junit_esc(f, msg);
    fprintf(f, "\">");
    int listed = 0;
    for (size_t k = xt->first; k < xt->first + xt->count && listed < TEXT_ROWS; k++) {
        const gc_expect_row *w = &x->rows[k];
        if (!bad_row(w))
            continue;
        char line[384], bt[32], ba[32], bn[32];
        snprintf(line, sizeof line, "%s(%d,%d): tool=%s analytic=%s numeric=%s%s%s", xt->name,
                 w->row, w->col, gc_junit_shortest(bt, w->tool),
                 gc_junit_shortest(ba, w->analytic), gc_junit_shortest(bn, w->numeric),
                 w->tool_ok ? "" : " tool-vs-fd", w->verdict == GC_FAIL ? " ours-vs-fd" : "");
        gc_junit_esc(f, line);
        fputc('\n', f);
        listed++;
    }
    fprintf(f, "</failure>\n    </testcase>\n");
}

int gc_expect_write_junit(const gc_expect_report *x, const gc_report *r, FILE *f)
{
    if (x == NULL || r == NULL || f == NULL)
        return GC_EINVAL;
    int tests, failures, skipped, xfail = !x->loss_ok;
    gc_junit_counts(r, &tests, &failures, &skipped);
    for (int t = 0; t < x->ntensors; t++)
        xfail += x->tensors[t].blame != GC_BLAME_NONE;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\">\n",
            tests + 1 + x->ntensors, failures + xfail, skipped);
    gc_junit_suite(r, f);
    fprintf(f, "  <testsuite name=\"gradcheck-expect\" tests=\"%d\" failures=\"%d\" "
               "errors=\"0\" skipped=\"0\">\n", 1 + x->ntensors, xfail);
    fprintf(f, "    <properties>\n      <property name=\"tool\" value=\"");
    gc_junit_esc(f, x->tool);
    fprintf(f, "\"/>\n    </properties>\n");
    junit_loss(x, f);
    for (int t = 0; t < x->ntensors; t++)
        junit_tensor(x, t, f);
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}
