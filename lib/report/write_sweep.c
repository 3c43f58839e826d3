/*
 * write_sweep.c -- a step-size sweep as text, JSON or JUnit XML.  Reads a
 * gc_sweep (gradcheck/sweep.h); computes nothing it prints.  The text
 * marks each method's best step with '*'; the JUnit form carries the same
 * table in each element's <system-out>.
 */
#include "gradcheck/sweep.h"
#include "report/json.h"
#include "report/junit.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static const char *error_name(const gc_sweep *s)
{
    return s->opts.relative ? "rel" : "abs";
}

static void element_name(char *buf, size_t size, const gc_element *e)
{
    snprintf(buf, size, "%s[%d,%d]", e->tensor, e->row, e->col);
}

/* "1.234e-05*" when i is the method's best step, else "1.234e-05 ".  The
 * machine form (JUnit) has a '.' point in every locale; text keeps the
 * program's locale, as the check's text report does. */
static void cell(FILE *f, double v, int machine, int i, int best)
{
    char b[32];
    if (machine)
        fprintf(f, "  %10s%c", gc_junit_e3(b, v), i == best ? '*' : ' ');
    else
        fprintf(f, "  %10.3e%c", v, i == best ? '*' : ' ');
}

static double best_eps(const gc_sweep_curve *c, int best)
{
    return best >= 0 ? c->points[best].eps : NAN;
}

static void table(const gc_sweep *s, const gc_sweep_curve *c, int machine, FILE *f)
{
    fprintf(f, "  %10s   %10s   %10s   %10s\n", "eps", "forward", "central", "richardson");
    for (int i = 0; i < s->opts.points; i++) {
        const gc_sweep_point *p = &c->points[i];
        cell(f, p->eps, machine, -1, 0);
        cell(f, p->forward, machine, i, c->best_forward);
        cell(f, p->central, machine, i, c->best_central);
        cell(f, p->richardson, machine, i, c->best_richardson);
        fputc('\n', f);
    }
}

static void best_line(FILE *f, const char *method, const gc_sweep_curve *c, int best,
                      double (*pick)(const gc_sweep_point *))
{
    if (best < 0)
        fprintf(f, "  %-10s best eps: none (every error NaN)\n", method);
    else
        fprintf(f, "  %-10s best eps %.1e, error %.2e\n", method, c->points[best].eps,
                pick(&c->points[best]));
}

static double pick_f(const gc_sweep_point *p) { return p->forward; }
static double pick_c(const gc_sweep_point *p) { return p->central; }
static double pick_r(const gc_sweep_point *p) { return p->richardson; }

static void curve_text(const gc_sweep *s, const gc_sweep_curve *c, FILE *f)
{
    char name[64];
    element_name(name, sizeof name, &c->elem);
    const gc_sweep_theory *t = &c->theory;
    fprintf(f, "%s: theta %.10g, analytic %.10e, %s\n", name, c->theta, c->analytic,
            c->confirmed ? "confirmed (some step within the band)"
                         : "NOT CONFIRMED at any step of the range");
    table(s, c, 0, f);
    best_line(f, "forward", c, c->best_forward, pick_f);
    best_line(f, "central", c, c->best_central, pick_c);
    best_line(f, "richardson", c, c->best_richardson, pick_r);
    fprintf(f, "  theory: r = u|L| = %.2e, |L''| ~ %.2e (at h = %g), |L'''| ~ %.2e (at h = %g)\n",
            t->roundoff, t->d2, GC_SWEEP_D2_STEP, t->d3, GC_SWEEP_D3_STEP);
    fprintf(f, "    forward best eps 2 sqrt(r/|L''|) = %.1e, error 2 sqrt(r |L''|) = %.2e\n",
            t->forward_eps, t->forward_err);
    fprintf(f, "    central best eps (3r/|L'''|)^(1/3) = %.1e, error 1.5 r/eps = %.2e\n",
            t->central_eps, t->central_err);
    fputc('\n', f);
}

int gc_sweep_write_text(const gc_sweep *s, FILE *f)
{
    if (s == NULL || f == NULL)
        return GC_EINVAL;
    fprintf(f, "gradcheck %s sweep: eps %.0e down to %.0e, %d points, %s errors, loss %.10g\n",
            GC_VERSION, s->opts.eps_max, s->opts.eps_min, s->opts.points,
            s->opts.relative ? "relative |a-n|/max(|a|,|n|)" : "absolute |a-n|", s->loss);
    fprintf(f, "u = 2^-53 = %.3e; rules of thumb: forward sqrt(u) = %.2e, central u^(1/3) = "
               "%.2e\n", s->unit_roundoff, s->rule_forward, s->rule_central);
    fprintf(f, "error ~ truncation (forward eps |L''|/2, central eps^2 |L'''|/6) + roundoff "
               "(forward 2r/eps, central r/eps); * marks each method's best step\n\n");
    for (int k = 0; k < s->ncurves; k++)
        curve_text(s, &s->curves[k], f);
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *opts_json(const gc_sweep *s, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    gc_report_json_put(j, "eps_max", gc_report_json_num(s->opts.eps_max), bad);
    gc_report_json_put(j, "eps_min", gc_report_json_num(s->opts.eps_min), bad);
    gc_report_json_put(j, "points", json_integer(s->opts.points), bad);
    gc_report_json_put(j, "error", json_string(error_name(s)), bad);
    gc_report_json_put(j, "rtol", gc_report_json_num(s->opts.rtol), bad);
    gc_report_json_put(j, "atol", gc_report_json_num(s->opts.atol), bad);
    gc_report_json_put(j, "unit_roundoff", gc_report_json_num(s->unit_roundoff), bad);
    gc_report_json_put(j, "rule_forward", gc_report_json_num(s->rule_forward), bad);
    gc_report_json_put(j, "rule_central", gc_report_json_num(s->rule_central), bad);
    return j;
}

static json_t *eps_or_null(const gc_sweep_curve *c, int best)
{
    return best >= 0 ? gc_report_json_num(best_eps(c, best)) : json_null();
}

static json_t *theory_json(const gc_sweep_theory *t, int *bad)
{
    json_t *j = json_object();
    if (j == NULL) {
        *bad = 1;
        return NULL;
    }
    gc_report_json_put(j, "d2", gc_report_json_num(t->d2), bad);
    gc_report_json_put(j, "d3", gc_report_json_num(t->d3), bad);
    gc_report_json_put(j, "roundoff", gc_report_json_num(t->roundoff), bad);
    gc_report_json_put(j, "forward_eps", gc_report_json_num(t->forward_eps), bad);
    gc_report_json_put(j, "forward_err", gc_report_json_num(t->forward_err), bad);
    gc_report_json_put(j, "central_eps", gc_report_json_num(t->central_eps), bad);
    gc_report_json_put(j, "central_err", gc_report_json_num(t->central_err), bad);
    return j;
}

static json_t *curve_json(const gc_sweep *s, const gc_sweep_curve *c, int *bad)
{
    json_t *j = json_object(), *best = json_object(), *pts = json_array();
    if (j == NULL || best == NULL || pts == NULL) {
        json_decref(j);
        json_decref(best);
        json_decref(pts);
        *bad = 1;
        return NULL;
    }
    gc_report_json_put(j, "tensor", json_string(c->elem.tensor), bad);
    gc_report_json_put(j, "row", json_integer(c->elem.row), bad);
    gc_report_json_put(j, "col", json_integer(c->elem.col), bad);
    gc_report_json_put(j, "theta", gc_report_json_num(c->theta), bad);
    gc_report_json_put(j, "analytic", gc_report_json_num(c->analytic), bad);
    gc_report_json_put(j, "confirmed", json_boolean(c->confirmed), bad);
    gc_report_json_put(best, "forward", eps_or_null(c, c->best_forward), bad);
    gc_report_json_put(best, "central", eps_or_null(c, c->best_central), bad);
    gc_report_json_put(best, "richardson", eps_or_null(c, c->best_richardson), bad);
    gc_report_json_put(j, "best", best, bad);
    gc_report_json_put(j, "theory", theory_json(&c->theory, bad), bad);
    for (int i = 0; i < s->opts.points; i++) {
        const gc_sweep_point *p = &c->points[i];
        json_t *q = json_object();
        if (q == NULL) {
            *bad = 1;
            break;
        }
        gc_report_json_put(q, "eps", gc_report_json_num(p->eps), bad);
        gc_report_json_put(q, "forward", gc_report_json_num(p->forward), bad);
        gc_report_json_put(q, "central", gc_report_json_num(p->central), bad);
        gc_report_json_put(q, "richardson", gc_report_json_num(p->richardson), bad);
        if (json_array_append_new(pts, q) != 0)
            *bad = 1;
    }
    gc_report_json_put(j, "points", pts, bad);
    return j;
}

int gc_sweep_write_json(const gc_sweep *s, FILE *f)
{
    if (s == NULL || f == NULL)
        return GC_EINVAL;
    int bad = 0;
    json_t *root = json_object(), *elems = json_array();
    if (root == NULL || elems == NULL) {
        json_decref(root);
        json_decref(elems);
        return GC_ENOMEM;
    }
    gc_report_json_put(root, "gradcheck", json_string(GC_VERSION), &bad);
    gc_report_json_put(root, "sweep", opts_json(s, &bad), &bad);
    gc_report_json_put(root, "loss", gc_report_json_num(s->loss), &bad);
    for (int k = 0; k < s->ncurves && !bad; k++)
        if (json_array_append_new(elems, curve_json(s, &s->curves[k], &bad)) != 0)
            bad = 1;
    gc_report_json_put(root, "elements", elems, &bad);
    int rc = GC_OK;
    if (bad)
        rc = GC_ENOMEM;
    else if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                     JSON_REAL_PRECISION(17)) != 0 ||
             fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        rc = GC_EIO;
    json_decref(root);
    return rc;
}

/* ---- JUnit XML ----------------------------------------------------------- */

int gc_sweep_write_junit(const gc_sweep *s, FILE *f)
{
    if (s == NULL || f == NULL)
        return GC_EINVAL;
    int failures = 0;
    for (int k = 0; k < s->ncurves; k++)
        failures += !s->curves[k].confirmed;
    char b[32];
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\">\n",
            s->ncurves, failures);
    fprintf(f, "  <testsuite name=\"gradcheck-sweep\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
               "skipped=\"0\">\n    <properties>\n", s->ncurves, failures);
    fprintf(f, "      <property name=\"eps_max\" value=\"%s\"/>\n",
            gc_junit_shortest(b, s->opts.eps_max));
    fprintf(f, "      <property name=\"eps_min\" value=\"%s\"/>\n",
            gc_junit_shortest(b, s->opts.eps_min));
    fprintf(f, "      <property name=\"points\" value=\"%d\"/>\n", s->opts.points);
    fprintf(f, "      <property name=\"error\" value=\"%s\"/>\n", error_name(s));
    fprintf(f, "      <property name=\"loss\" value=\"%s\"/>\n", gc_junit_shortest(b, s->loss));
    fprintf(f, "    </properties>\n");
    for (int k = 0; k < s->ncurves; k++) {
        const gc_sweep_curve *c = &s->curves[k];
        char name[64];
        element_name(name, sizeof name, &c->elem);
        fprintf(f, "    <testcase classname=\"gradcheck.sweep\" name=\"");
        gc_junit_esc(f, name);
        fprintf(f, "\">\n");
        if (!c->confirmed) {
            fprintf(f, "      <failure type=\"gradient\" message=\"");
            gc_junit_esc(f, name);
            fprintf(f, ": no method at any step from %s", gc_junit_shortest(b, s->opts.eps_max));
            fprintf(f, " to %s is within rtol or atol of the analytic value\"/>\n",
                    gc_junit_shortest(b, s->opts.eps_min));
        }
        /* the table holds digits, letters, '.', '+', '-', '*' and spaces */
        fprintf(f, "      <system-out>\n");
        table(s, c, 1, f);
        fprintf(f, "      </system-out>\n    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fflush(f) != 0 || ferror(f) ? GC_EIO : GC_OK;
}
