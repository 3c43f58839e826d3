/*
 * write_text.c -- the human report: an aligned table of per-tensor summaries,
 * then the worst elements, the totals, the classic bands as a hint, and a
 * one-line verdict.  Reads a report; computes nothing it prints (the order
 * of the worst elements is report->order).  Floats get 3 to 10 significant
 * digits here; the machine formats (JSON, JUnit) carry all 17.
 */
#include "gradcheck/report.h"

#include <math.h>
#include <string.h>

/* Rows listed under "worst elements": the TOP largest rel_err, plus every
 * kink or fail up to CAP rows in all. */
#define TOP 10
#define CAP 50

/* The classic notes' reading of a relative error. */
static const char *band(double rel)
{
    if (!(rel <= 1e-2))
        return "wrong";
    if (rel > 1e-4)
        return "suspicious";
    if (rel > 1e-7)
        return "plausible with kinks";
    return "good";
}

static int name_width(const gc_report *r)
{
    int w = (int)strlen("tensor");
    for (int t = 0; t < r->ntensors; t++) {
        int n = (int)strlen(r->tensors[t].name);
        if (n > w)
            w = n;
    }
    return w;
}

static void summaries(const gc_report *r, FILE *f, int nw)
{
    fprintf(f, "%-*s  %9s  %7s  %7s  %5s  %5s  %11s  %11s  %10s  %-11s  %s\n", nw, "tensor",
            "shape", "checked", "pass", "kink", "fail", "max rel", "median rel", "norm ratio",
            "worst", "note");
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        char shape[32], worst[32];
        snprintf(shape, sizeof shape, "%dx%d", tr->rows, tr->cols);
        if (tr->count > 0)
            snprintf(worst, sizeof worst, "(%d,%d)", r->rows[tr->worst].row,
                     r->rows[tr->worst].col);
        else
            snprintf(worst, sizeof worst, "-");
        char line[512];
        snprintf(line, sizeof line,
                 "%-*s  %9s  %7zu  %7d  %5d  %5d  %11.3e  %11.3e  %10.3e  %-11s  %s%s%s", nw,
                 tr->name, shape, tr->count, tr->npass, tr->nkink, tr->nfail, tr->max_rel,
                 tr->median_rel, tr->norm_ratio, worst,
                 tr->vacuous ? "VACUOUS (all |a|,|n| <= atol: not verified) " : "",
                 tr->sampled ? "sampled " : "", tr->screened ? "screened" : "");
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ' ') /* no trailing blanks when the note is empty */
            line[--n] = '\0';
        fprintf(f, "%s\n", line);
    }
}

static void element(const gc_report *r, const gc_row *row, FILE *f, int nw)
{
    char elem[32];
    snprintf(elem, sizeof elem, "(%d,%d)", row->row, row->col);
    fprintf(f, "%-*s  %-11s  %17.10e  %17.10e  %10.3e  %10.3e  %-7s  %s", nw,
            r->tensors[row->tensor].name, elem, row->analytic, row->numeric, row->abs_err,
            row->rel_err, gc_verdict_name(row->verdict), band(row->rel_err));
    if (!isnan(row->num_err))
        fprintf(f, "; num_err %.2e", row->num_err);
    if (row->verdict != GC_PASS && !isnan(row->slope_lo))
        fprintf(f, "; slopes [%.6e, %.6e]", row->slope_lo, row->slope_hi);
    if (row->hook)
        fprintf(f, "; kink hook fired");
    /* a fail with the hook fired was refined (lib/check.c) and fits no
     * one-sided slope at any step: either a bug, or a relu'(0)-style
     * convention at pre-activations exactly 0 (README, "kinks") */
    if (row->hook && row->verdict == GC_FAIL)
        fprintf(f, " (no step tried brackets it: a bug, or relu'(0) at an exact 0?)");
    fputc('\n', f);
}

static void worst(const gc_report *r, FILE *f, int nw)
{
    size_t listed = 0, bad_unlisted = 0;
    fprintf(f, "worst elements (largest rel_err first; every kink and fail up to %d rows):\n",
            CAP);
    fprintf(f, "%-*s  %-11s  %17s  %17s  %10s  %10s  %-7s  %s\n", nw, "tensor", "element",
            "analytic", "numeric", "abs_err", "rel_err", "verdict", "hint");
    /* Past the TOP rows only kinks and fails count: once all of them (the
     * totals) are seen, the rest passes.  Stopping there spares a walk over
     * every row in rel_err order -- random access to 8 MB for 100,000. */
    size_t nbad = (size_t)r->nkink + (size_t)r->nfail, seen_bad = 0;
    for (size_t k = 0; k < r->nrows; k++) {
        if (k >= TOP && seen_bad >= nbad)
            break;
        const gc_row *row = &r->rows[r->order[k]];
        int bad = row->verdict != GC_PASS;
        seen_bad += (size_t)bad;
        if (k < TOP || bad) {
            if (listed < CAP) {
                element(r, row, f, nw);
                listed++;
            } else if (bad) {
                bad_unlisted++;
            }
        }
    }
    if (bad_unlisted > 0)
        fprintf(f, "(%zu more kink or fail elements not listed: see the JSON output)\n",
                bad_unlisted);
}

int gc_report_write_text(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    const gc_check_opts *o = &r->opts;
    int nw = name_width(r);
    fprintf(f, "gradcheck %s: %s differences, eps %g, rtol %g, atol %g%s%s, seed %llu, "
               "loss %.10g\n",
            GC_VERSION, gc_method_name(o->method), o->eps, o->rtol, o->atol,
            o->adaptive ? ", adaptive" : "", o->strict_kinks ? ", strict kinks" : "",
            (unsigned long long)o->seed, r->loss);
    fprintf(f, "engine: %s%s\n", gc_engine_name(o->engine),
            o->screen ? ", random-direction screen first (screened tensors: one directional "
                        "check, max/median rel = its rel_err)" : "");
    if (o->sample > 0)
        fprintf(f, "sampled: at most %d elements of every tensor (PCG32 seed %llu)\n",
                o->sample, (unsigned long long)o->seed);
    fputc('\n', f);
    summaries(r, f, nw);
    fputc('\n', f);
    if (r->nrows > 0) {
        worst(r, f, nw);
        fputc('\n', f);
    }
    fprintf(f, "totals: %zu checked: %d pass, %d kink, %d fail; %d vacuous tensor%s; "
               "parameters %s\n",
            r->nrows, r->npass, r->nkink, r->nfail, r->nvacuous, r->nvacuous == 1 ? "" : "s",
            r->restored ? "restored bit-identically" : "NOT RESTORED (engine or layer bug)");
    fprintf(f, "hint: rel_err > 1e-2 wrong; 1e-2..1e-4 suspicious; 1e-4..1e-7 plausible "
               "with kinks; < 1e-7 good\n");
    if (!gc_report_failed(r)) {
        int screened = 0;
        for (int t = 0; t < r->ntensors; t++)
            screened += r->tensors[t].screened;
        fprintf(f, "verdict: PASS (%d element%s within tolerance%s", r->npass,
                r->npass == 1 ? "" : "s",
                r->nkink > 0 ? "; kinks reported apart" : "");
        if (screened > 0)
            fprintf(f, "; %d tensor%s passed the random-direction screen only", screened,
                    screened == 1 ? "" : "s");
        fprintf(f, ")\n");
    } else {
        fprintf(f, "verdict: FAIL (");
        const char *sep = "";
        if (r->nfail > 0) {
            fprintf(f, "%d element%s failed", r->nfail, r->nfail == 1 ? "" : "s");
            sep = "; ";
        }
        if (o->strict_kinks && r->nkink > 0) {
            fprintf(f, "%s%d kink%s under strict kinks", sep, r->nkink, r->nkink == 1 ? "" : "s");
            sep = "; ";
        }
        if (!r->restored)
            fprintf(f, "%sparameters not restored", sep);
        fprintf(f, ")\n");
    }
    /* flushed so that a failed write shows now, whatever f's buffering */
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}
