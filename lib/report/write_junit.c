/*
 * write_junit.c -- the report as JUnit XML for CI dashboards: one testcase
 * per tensor.  A tensor with a failing element (or a kink under strict
 * kinks) carries a <failure> whose message summarises it and whose text
 * lists its kink and fail elements, worst first (up to 10); an undecided
 * one (nothing refuted, something undecided) and a vacuous one carry
 * <skipped> with the reason, since neither verified its elements.  A
 * report whose parameters were not restored gets one more failing testcase,
 * "restored".  No timestamps or durations, so one report gives one output.
 */
#include "gradcheck/report.h"
#include "io/numfmt.h"
#include "report/junit.h"
#include "report/partial.h"
#include "report/rank.h"

#include <stdlib.h>
#include <string.h>

#define LIST_MAX 10

/* The shortest %.Ng (N = 1..17) that reads back as the same double:
 * "1e-06" rather than "9.9999999999999995e-07", and still exact. */
const char *gc_junit_shortest(char buf[32], double v)
{
    return gc_numfmt_shortest(buf, 32, v, 1);
}

/* v as "%.3e" with a '.' point: the summaries' short form. */
const char *gc_junit_e3(char buf[32], double v)
{
    snprintf(buf, 32, "%.3e", v);
    gc_numfmt_point(buf, NULL);
    return buf;
}

/* Text and attribute values: the five XML entities, and '?' for control
 * characters, which XML 1.0 cannot carry even as references. */
void gc_junit_esc(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default: fputc(c < 0x20 ? '?' : c, f); break;
        }
    }
}

static int tensor_failed(const gc_report *r, const gc_tensor_report *tr)
{
    return tr->nfail > 0 || (r->opts.strict_kinks && tr->nkink > 0);
}

/* A shard lists the tensors it checked elements of (and shard 1 the
 * screened ones), so that all shards' testcases cover each element once. */
static int listed_here(const gc_report *r, const gc_tensor_report *tr)
{
    return r->opts.nshards == 0 || gc_tensor_checked(tr) > 0 ||
           (tr->screened && r->opts.shard == 1);
}

/* ---- beyond one call: hygiene and mutation (<gradcheck/hygiene.h>) ----
 * One testcase per hygiene check (classname gradcheck.hygiene: a <failure>
 * when it failed, <skipped> when it did not run) and one per tensor of a
 * mutation run (classname gradcheck.mutation: surviving faults measure the
 * check, not the layer, so they are <system-out>, never a failure). */

static void beyond_counts(const gc_report *r, int *tests, int *failures, int *skipped)
{
    for (int i = 0; r->hygiene != NULL && i < GC_HYGIENE_COUNT; i++) {
        (*tests)++;
        *failures += r->hygiene->check[i].status == GC_HYGIENE_FAIL;
        *skipped += r->hygiene->check[i].status == GC_HYGIENE_SKIPPED;
    }
    if (r->mutation != NULL)
        *tests += r->mutation->ntensors;
}

static void hygiene_cases(const gc_report *r, FILE *f)
{
    for (int i = 0; r->hygiene != NULL && i < GC_HYGIENE_COUNT; i++) {
        const gc_hygiene_result *h = &r->hygiene->check[i];
        fprintf(f, "    <testcase classname=\"gradcheck.hygiene\" name=\"%s\"",
                gc_hygiene_name(i));
        if (h->status == GC_HYGIENE_PASS) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n      <%s%s message=\"", h->status == GC_HYGIENE_FAIL ? "failure" : "skipped",
                h->status == GC_HYGIENE_FAIL ? " type=\"hygiene\"" : "");
        gc_junit_esc(f, h->detail);
        fprintf(f, "\"/>\n    </testcase>\n");
    }
}

static void mutation_cases(const gc_report *r, FILE *f)
{
    const gc_mutation_report *m = r->mutation;
    for (int t = 0; m != NULL && t < m->ntensors; t++) {
        fprintf(f, "    <testcase classname=\"gradcheck.mutation\" name=\"");
        gc_junit_esc(f, r->tensors[t].name);
        fprintf(f, "\">\n      <system-out>");
        if (m->baseline_failed)
            fprintf(f, "not run: the check fails without faults");
        else
            fprintf(f, "refuted %d of %d synthetic faults", m->tensors[t].nkilled,
                    m->tensors[t].nfaults);
        for (int k = 0; k < m->nfaults; k++) {
            const gc_fault *ft = &m->faults[k];
            char b[32];
            if (ft->tensor != t || ft->killed)
                continue;
            fprintf(f, "&#10;survived: %s", gc_fault_kind_name(ft->kind));
            if (ft->row >= 0)
                fprintf(f, " (%d,%d)", ft->row, ft->col);
            if (ft->kind == GC_FAULT_SCALE)
                fprintf(f, " delta %s", gc_junit_shortest(b, ft->delta));
            if (ft->noop)
                fprintf(f, " (gradient all zero)");
        }
        fprintf(f, "</system-out>\n    </testcase>\n");
    }
}

static void beyond_cases(const gc_report *r, FILE *f)
{
    hygiene_cases(r, f);
    mutation_cases(r, f);
}

/* An undecided tensor (nothing refuted, an element undecided) is a
 * <skipped> whose message names its reasons: not a failure (no element is
 * refuted), not a pass (some were not shown); the exit status 3 is what a
 * CI job gates on. */
static void skipped_undecided(FILE *f, const gc_tensor_report *tr)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "undecided: %d of %zu elements", tr->nundecided,
                     gc_tensor_checked(tr));
    const char *sep = ": ";
    for (int w = 1; w < GC_NREASONS && n > 0 && (size_t)n < sizeof msg; w++)
        if (tr->nreason[w] > 0) {
            n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%d %s", sep, tr->nreason[w],
                          gc_reason_text((gc_reason)w));
            sep = "; ";
        }
    fprintf(f, "\">\n      <skipped message=\"");
    gc_junit_esc(f, msg);
    fprintf(f, "\"/>\n    </testcase>\n");
}

void gc_junit_counts(const gc_report *r, int *tests, int *failures, int *skipped)
{
    *tests = r->restored ? 0 : 1;
    *failures = r->restored ? 0 : 1;
    *skipped = 0;
    for (int t = 0; t < r->ntensors; t++) {
        if (!listed_here(r, &r->tensors[t]))
            continue;
        (*tests)++;
        if (tensor_failed(r, &r->tensors[t]))
            (*failures)++;
        else if (r->tensors[t].vacuous || r->tensors[t].nundecided > 0)
            (*skipped)++;
    }
    beyond_counts(r, tests, failures, skipped);
}

/* The failing tensor's <failure>: a summary, then its kink and fail
 * elements, worst first. */
static void tensor_failure(const gc_report *r, int t, FILE *f)
{
    const gc_tensor_report *tr = &r->tensors[t];
    char msg[256], bm[32];
    snprintf(msg, sizeof msg, "%s: %d fail, %d kink of %zu elements; max rel_err %s at (%d,%d)",
             tr->name, tr->nfail, tr->nkink, gc_tensor_checked(tr), gc_junit_e3(bm, tr->max_rel),
             r->rows[tr->worst].row, r->rows[tr->worst].col);
    fprintf(f, "\">\n      <failure type=\"gradient\" message=\"");
    gc_junit_esc(f, msg);
    fprintf(f, "\">");
    size_t list[LIST_MAX];
    size_t n = gc_rank_first(r, tr->first, tr->first + tr->count, 1, list, LIST_MAX, NULL);
    for (size_t k = 0; k < n; k++) {
        const gc_row *w = &r->rows[list[k]];
        char line[384], ba[32], bn[32], be[32], br[32];
        snprintf(line, sizeof line, "%s(%d,%d): analytic=%s numeric=%s abs_err=%s rel_err=%s %s",
                 tr->name, w->row, w->col, gc_junit_shortest(ba, w->analytic),
                 gc_junit_shortest(bn, w->numeric), gc_junit_e3(be, w->abs_err),
                 gc_junit_e3(br, w->rel_err), gc_verdict_name(w->verdict));
        gc_junit_esc(f, line);
        fputc('\n', f); /* newlines are kept literally in element text */
    }
    fprintf(f, "</failure>\n    </testcase>\n");
}

void gc_junit_suite(const gc_report *r, FILE *f)
{
    int tests, failures, skipped;
    gc_junit_counts(r, &tests, &failures, &skipped);
    char suite[64] = "gradcheck";
    if (r->opts.nshards > 0)
        snprintf(suite, sizeof suite, "gradcheck shard %d/%d", r->opts.shard, r->opts.nshards);
    fprintf(f, "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
               "skipped=\"%d\">\n", suite, tests, failures, skipped);
    fprintf(f, "    <properties>\n");
    fprintf(f, "      <property name=\"method\" value=\"%s\"/>\n", gc_method_name(r->opts.method));
    char b[32];
    fprintf(f, "      <property name=\"eps\" value=\"%s\"/>\n", gc_junit_shortest(b, r->opts.eps));
    fprintf(f, "      <property name=\"rtol\" value=\"%s\"/>\n", gc_junit_shortest(b, r->opts.rtol));
    fprintf(f, "      <property name=\"atol\" value=\"%s\"/>\n", gc_junit_shortest(b, r->opts.atol));
    fprintf(f, "      <property name=\"seed\" value=\"%llu\"/>\n",
            (unsigned long long)r->opts.seed);
    fprintf(f, "      <property name=\"loss\" value=\"%s\"/>\n", gc_junit_shortest(b, r->loss));
    fprintf(f, "      <property name=\"engine\" value=\"%s\"/>\n", gc_engine_name(r->opts.engine));
    fprintf(f, "      <property name=\"screen\" value=\"%s\"/>\n", r->opts.screen ? "true" : "false");
    if (r->opts.nshards > 0)
        fprintf(f, "      <property name=\"shard\" value=\"%d/%d rows [%zu, %zu) of %zu\"/>\n",
                r->opts.shard, r->opts.nshards, r->shard_first,
                r->shard_first + gc_report_checked(r), r->shard_total);
    fprintf(f, "    </properties>\n");
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        if (!listed_here(r, tr))
            continue;
        fprintf(f, "    <testcase classname=\"gradcheck\" name=\"");
        gc_junit_esc(f, tr->name);
        if (tensor_failed(r, tr))
            tensor_failure(r, t, f);
        else if (tr->nundecided > 0)
            skipped_undecided(f, tr);
        else if (tr->vacuous)
            fprintf(f, "\">\n      <skipped message=\"vacuous: every |analytic| and |numeric| "
                       "&lt;= atol; nothing was verified\"/>\n    </testcase>\n");
        else
            fprintf(f, "\"/>\n");
    }
    if (!r->restored)
        fprintf(f, "    <testcase classname=\"gradcheck\" name=\"restored\">\n      <failure "
                   "type=\"restore\" message=\"parameters not bit-identical after the check\"/>\n"
                   "    </testcase>\n");
    beyond_cases(r, f);
    fprintf(f, "  </testsuite>\n");
}

int gc_report_write_junit(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    if (r->partial == 2) /* partial 1 holds every row listed (report.h) */
        return GC_EPARTIAL;
    int tests, failures, skipped;
    gc_junit_counts(r, &tests, &failures, &skipped);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\">\n", tests,
            failures, skipped);
    gc_junit_suite(r, f);
    fprintf(f, "</testsuites>\n");
    /* flushed so that a failed write shows now, whatever f's buffering */
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}
