/*
 * write_text.c -- the human report: an aligned table of per-tensor summaries,
 * then the worst elements, the totals, the classic bands as a hint, and a
 * one-line verdict.  Reads a report; computes nothing it prints (the order
 * of the worst elements is report->order).  Floats get 3 to 10 significant
 * digits here; the machine formats (JSON, JUnit) carry all 17.
 */
#include "gradcheck/report.h"
#include "report/partial.h"
#include "report/rank.h"

#include <math.h>
#include <string.h>

/* Rows listed under "worst elements": the TOP largest rel_err, plus every
 * kink or fail up to CAP rows in all. */
#define TOP 10
#define CAP 50

/* A number with %.*e, NaN spelled "nan" whatever its sign bit. */
static const char *fmt_e(char buf[40], int width, int prec, double v)
{
    if (isnan(v))
        snprintf(buf, 40, "%*s", width, "nan");
    else
        snprintf(buf, 40, "%*.*e", width, prec, v);
    return buf;
}

/* What the row's verdict rests on, in words that never contradict it. */
static const char *hint(const gc_report *r, const gc_row *row)
{
    switch (row->verdict) {
    case GC_PASS:
        return row->rel_err <= r->opts.rtol ? "confirmed" : "weak: within atol only";
    case GC_KINK: return "kink: a is a one-sided slope";
    case GC_FAIL: return "wrong: refuted beyond band + bound";
    case GC_UNDECIDED: return gc_reason_text(row->reason);
    default: return "?";
    }
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
        char line[512], bx[40], bm[40], bq[40];
        snprintf(line, sizeof line,
                 "%-*s  %9s  %7zu  %7d  %5d  %5d  %s  %s  %s  %-11s  %s%s%s", nw,
                 tr->name, shape, gc_tensor_checked(tr), tr->npass, tr->nkink, tr->nfail,
                 fmt_e(bx, 11, 3, tr->max_rel), fmt_e(bm, 11, 3, tr->median_rel),
                 fmt_e(bq, 10, 3, tr->norm_ratio), worst,
                 tr->vacuous ? "VACUOUS (all |a|,|n| <= atol: not verified) " : "",
                 tr->sampled ? "sampled " : "", tr->screened ? "screened" : "");
        size_t n = strlen(line);
        while (n > 0 && line[n - 1] == ' ') /* no trailing blanks when the note is empty */
            line[--n] = '\0';
        fprintf(f, "%s\n", line);
    }
}

/* Per tensor, what its verdicts rest on: undecided (by reason), weak
 * passes, escalations, the gradient scale and the sensitivity. */
static void coverage(const gc_report *r, FILE *f, int nw)
{
    fprintf(f, "%-*s  %9s  %5s  %9s  %10s  %10s  %10s  %s\n", nw, "tensor", "undecided", "weak",
            "escalated", "grad scale", "sens med", "sens worst", "undecided by reason");
    for (int t = 0; t < r->ntensors; t++) {
        const gc_tensor_report *tr = &r->tensors[t];
        char bg[40], bm[40], bw[40];
        fprintf(f, "%-*s  %9d  %5d  %9d  %s  %s  %s", nw, tr->name, tr->nundecided, tr->nweak,
                tr->nescalated, fmt_e(bg, 10, 3, tr->grad_scale),
                fmt_e(bm, 10, 3, tr->sens_median), fmt_e(bw, 10, 3, tr->sens_worst));
        const char *sep = "  ";
        for (int w = 1; w < GC_NREASONS; w++)
            if (tr->nreason[w] > 0) {
                fprintf(f, "%s%s %d", sep, gc_reason_name((gc_reason)w), tr->nreason[w]);
                sep = ", ";
            }
        fputc('\n', f);
    }
    fprintf(f, "(sens: the smallest relative error in an element the check would have "
               "refuted, (band + bound + |a - n|) / |a|)\n");
}

static void element(const gc_report *r, const gc_row *row, FILE *f, int nw)
{
    char elem[32], ba[40], bn[40], bd[40], br[40], bb[40];
    snprintf(elem, sizeof elem, "(%d,%d)", row->row, row->col);
    fprintf(f, "%-*s  %-11s  %s  %s  %s  %s  %s  %-9s  %s", nw, r->tensors[row->tensor].name,
            elem, fmt_e(ba, 17, 10, row->analytic), fmt_e(bn, 17, 10, row->numeric),
            fmt_e(bd, 10, 3, row->abs_err), fmt_e(br, 10, 3, row->rel_err),
            fmt_e(bb, 9, 2, row->num_err), gc_verdict_name(row->verdict), hint(r, row));
    if (row->escalated)
        fprintf(f, "; escalated");
    if (row->verdict != GC_PASS && !isnan(row->slope_lo))
        fprintf(f, "; slopes [%.6e, %.6e]", row->slope_lo, row->slope_hi);
    if (row->hook)
        fprintf(f, "; kink hook fired");
    fputc('\n', f);
}

static void worst(const gc_report *r, FILE *f, int nw)
{
    size_t listed = 0, bad_unlisted = 0;
    fprintf(f, "worst elements (largest rel_err first; every kink, fail and undecided up to "
               "%d rows; bound: the numeric's error bound):\n", CAP);
    fprintf(f, "%-*s  %-11s  %17s  %17s  %10s  %10s  %9s  %-9s  %s\n", nw, "tensor", "element",
            "analytic", "numeric", "abs_err", "rel_err", "bound", "verdict", "hint");
    /* The rows listed are the first CAP, in the report order, of the TOP
     * first rows and every row not passed: of those, only the first TOP
     * and the first CAP not passed can be among them. */
    size_t top[TOP], bad[CAP], nt = TOP, nb = CAP, nbad = 0;
    gc_rank_listed(r, top, &nt, bad, &nb, &nbad);
    size_t i = 0, j = 0, bad_listed = 0;
    while (listed < CAP && (i < nt || j < nb)) {
        size_t k;
        if (j == nb || (i < nt && gc_rank_before(r, top[i], bad[j]))) {
            k = top[i++];
        } else {
            k = bad[j++];
            if (i < nt && top[i] == k)
                i++; /* in both lists */
        }
        const gc_row *row = &r->rows[k];
        bad_listed += row->verdict != GC_PASS;
        element(r, row, f, nw);
        listed++;
    }
    bad_unlisted = nbad - bad_listed;
    if (bad_unlisted > 0)
        fprintf(f, "(%zu more kink, fail or undecided elements not listed: see the JSON output)\n",
                bad_unlisted);
}

/* ---- beyond one call: hygiene and mutation (<gradcheck/hygiene.h>) ---- */

static void hygiene_text(const gc_hygiene_report *h, FILE *f)
{
    fprintf(f, "hygiene (the layer called as a network calls it):\n");
    for (int i = 0; i < GC_HYGIENE_COUNT; i++)
        fprintf(f, "  %-13s %-8s %s\n", gc_hygiene_name(i),
                h->check[i].status == GC_HYGIENE_FAIL ? "FAIL"
                                                      : gc_hygiene_status_name(h->check[i].status),
                h->check[i].detail);
    fputc('\n', f);
}

/* One fault as "x (0,1) scale 1-2e-05". */
static void fault_text(const gc_report *r, const gc_fault *ft, FILE *f)
{
    fprintf(f, "%s", r->tensors[ft->tensor].name);
    if (ft->row >= 0)
        fprintf(f, " (%d,%d)", ft->row, ft->col);
    if (ft->kind == GC_FAULT_SWAP)
        fprintf(f, "<->(%d,%d)", ft->row2, ft->col2);
    fprintf(f, " %s", gc_fault_kind_name(ft->kind));
    if (ft->kind == GC_FAULT_SCALE)
        fprintf(f, " 1%+g", ft->delta);
    if (ft->noop)
        fprintf(f, " (changes no bit: the gradient is zero)");
}

#define SURVIVORS_MAX 10

static void mutation_text(const gc_report *r, const gc_mutation_report *m, FILE *f, int nw)
{
    if (m->baseline_failed) {
        fprintf(f, "mutation: not run: the check fails without faults (every fault would "
                   "count as refuted)\n\n");
        return;
    }
    fprintf(f, "mutation: %d synthetic faults injected into backward's results (PCG32 seed "
               "%llu), %d refuted (%.0f%%) at these settings\n",
            m->nfaults, (unsigned long long)r->opts.seed, m->nkilled,
            m->nfaults > 0 ? 100.0 * m->nkilled / m->nfaults : 0.0);
    fprintf(f, "%-*s  %6s  %7s  %5s  %s\n", nw, "tensor", "faults", "refuted", "rate",
            "smallest scale fault refuted");
    for (int t = 0; t < m->ntensors; t++) {
        const gc_mutation_tensor *mt = &m->tensors[t];
        char rate[16] = "-", dmin[32] = "-";
        if (mt->nfaults > 0)
            snprintf(rate, sizeof rate, "%.0f%%", 100.0 * mt->nkilled / mt->nfaults);
        if (!isnan(mt->min_delta))
            snprintf(dmin, sizeof dmin, "|delta| %g", mt->min_delta);
        fprintf(f, "%-*s  %6d  %7d  %5s  %s\n", nw, r->tensors[t].name, mt->nfaults,
                mt->nkilled, rate, dmin);
    }
    int listed = 0, weak = 0;
    for (int k = 0; k < m->nfaults; k++) {
        if (m->faults[k].killed)
            continue;
        fputs(listed == 0 ? "survived: " : listed < SURVIVORS_MAX ? "; " : "", f);
        if (listed++ < SURVIVORS_MAX)
            fault_text(r, &m->faults[k], f);
    }
    if (listed > SURVIVORS_MAX)
        fprintf(f, "; and %d more", listed - SURVIVORS_MAX);
    if (listed > 0)
        fputc('\n', f);
    for (int t = 0; t < m->ntensors; t++) {
        if (m->tensors[t].nkilled == m->tensors[t].nfaults)
            continue;
        fprintf(f, "%s%s", weak++ == 0 ? "faults survive in: " : ", ", r->tensors[t].name);
    }
    if (weak > 0)
        fprintf(f, " (a pass there proves less: vacuous, saturated, or elements below what "
                   "the tolerance resolves)\n");
    fputc('\n', f);
}

static void totals(const gc_report *r, FILE *f)
{
    fprintf(f, "totals: %zu checked: %d pass (%d weak), %d kink, %d fail, %d undecided; "
               "%d escalated; %d vacuous tensor%s; parameters %s\n",
            gc_report_checked(r), r->npass, r->nweak, r->nkink, r->nfail, r->nundecided,
            r->nescalated,
            r->nvacuous, r->nvacuous == 1 ? "" : "s",
            r->restored ? "restored bit-identically" : "NOT RESTORED (engine or layer bug)");
    for (int w = 1; w < GC_NREASONS; w++)
        if (r->nreason[w] > 0)
            fprintf(f, "undecided: %d element%s: %s\n", r->nreason[w],
                    r->nreason[w] == 1 ? "" : "s", gc_reason_text((gc_reason)w));
    fprintf(f, "hint: pass = confirmed (|a - n| and the bound within the band); fail = "
               "refuted (|a - n| > band + bound); undecided = neither, with its reason\n");
}

static void verdict_line(const gc_report *r, FILE *f)
{
    const gc_check_opts *o = &r->opts;
    gc_status st = gc_report_status(r);
    if (st == GC_STATUS_CONFIRMED) {
        int screened = 0;
        for (int t = 0; t < r->ntensors; t++)
            screened += r->tensors[t].screened;
        fprintf(f, "verdict: PASS (%d element%s confirmed%s", r->npass, r->npass == 1 ? "" : "s",
                r->nkink > 0 ? "; kinks reported apart" : "");
        if (screened > 0)
            fprintf(f, "; %d tensor%s passed the random-direction screen only", screened,
                    screened == 1 ? "" : "s");
        fprintf(f, ")\n");
    } else if (st == GC_STATUS_UNDECIDED) {
        fprintf(f, "verdict: UNDECIDED (nothing refuted; ");
        if (r->nundecided > 0)
            fprintf(f, "%d element%s undecided%s", r->nundecided, r->nundecided == 1 ? "" : "s",
                    r->nvacuous > 0 && !o->allow_vacuous ? "; " : "");
        if (r->nvacuous > 0 && !o->allow_vacuous)
            fprintf(f, "%d vacuous tensor%s (--allow-vacuous accepts them)", r->nvacuous,
                    r->nvacuous == 1 ? "" : "s");
        fprintf(f, ")\n");
    } else {
        fprintf(f, "verdict: FAIL (");
        const char *sep = "";
        if (r->nfail > 0) {
            fprintf(f, "%d element%s refuted", r->nfail, r->nfail == 1 ? "" : "s");
            sep = "; ";
        }
        if (o->strict_kinks && r->nkink > 0) {
            fprintf(f, "%s%d kink%s under strict kinks", sep, r->nkink, r->nkink == 1 ? "" : "s");
            sep = "; ";
        }
        if (!r->restored) {
            fprintf(f, "%sparameters not restored", sep);
            sep = "; ";
        }
        for (int i = 0; r->hygiene != NULL && i < GC_HYGIENE_COUNT; i++)
            if (r->hygiene->check[i].status == GC_HYGIENE_FAIL) {
                fprintf(f, "%shygiene check %s failed", sep, gc_hygiene_name(i));
                sep = "; ";
            }
        fprintf(f, ")\n");
    }
}

int gc_report_write_text(const gc_report *r, FILE *f)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    if (r->partial == 2) /* partial 1 holds every row listed (report.h) */
        return GC_EPARTIAL;
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
    if (o->nshards > 0)
        fprintf(f, "shard %d/%d: rows [%zu, %zu) of %zu, network hash %016llx (the whole "
                   "report: gradcheck merge of every shard's JSON)\n", o->shard, o->nshards,
                r->shard_first, r->shard_first + gc_report_checked(r), r->shard_total,
                (unsigned long long)r->hash);
    fputc('\n', f);
    summaries(r, f, nw);
    fputc('\n', f);
    coverage(r, f, nw);
    fputc('\n', f);
    if (r->nrows > 0) {
        worst(r, f, nw);
        fputc('\n', f);
    }
    totals(r, f);
    if (r->hygiene != NULL || r->mutation != NULL)
        fputc('\n', f);
    if (r->hygiene != NULL)
        hygiene_text(r->hygiene, f);
    if (r->mutation != NULL)
        mutation_text(r, r->mutation, f, nw);
    verdict_line(r, f);
    /* flushed so that a failed write shows now, whatever f's buffering */
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}
