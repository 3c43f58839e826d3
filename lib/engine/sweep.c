/*
 * sweep.c -- the step-size sweep (gradcheck/sweep.h): one element's finite
 * differences at one step with every intermediate kept, the same at a
 * falling sequence of steps for several elements, and the theory of the
 * best step from the element's own loss and derivatives.
 *
 * An element is perturbed in place and the loss recomputed from the first
 * layer that reads it (gc_net_forward_from: the activations before it
 * cannot change); its original value is put back by assignment, so its bits
 * are restored exactly, and one more pass from that layer leaves the cache
 * unperturbed.  Differences divide by the steps actually taken, (θ + ε) - θ
 * and (θ + ε) - (θ - ε) as rounded, as the engine does: at ε = 1e-12 and
 * θ ~ 1 the rounded step differs from ε by up to 1e-4 relative.
 */
#include "gradcheck/sweep.h"
#include "engine/numdiff.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An element resolved against a network: where its value and gradient are
 * and which layer reads it first. */
typedef struct site {
    gc_net *net;
    double *value;
    double analytic;
    int layer;
} site;

static int resolve(gc_net *net, const gc_element *e, site *s, gc_error *err)
{
    if (net == NULL || e == NULL)
        return gc_error_set(err, GC_EINVAL, "sweep: NULL network or element");
    if (net->batch == 0)
        return gc_error_set(err, GC_EINVAL, "sweep: the network has no data");
    int rows, cols;
    double *value;
    const double *grad;
    int layer = 0;
    if (strcmp(e->tensor, "x") == 0) {
        rows = net->act[0]->rows;
        cols = net->act[0]->cols;
        value = net->act[0]->data;
        grad = net->dact[0]->data;
    } else {
        gc_tensor *t = gc_net_find_tensor(net, e->tensor, &layer);
        if (t == NULL)
            return gc_error_set(err, GC_EINVAL, "unknown tensor '%s'", e->tensor);
        rows = t->rows;
        cols = t->cols;
        value = t->value;
        grad = t->grad;
    }
    if (e->row < 0 || e->row >= rows || e->col < 0 || e->col >= cols)
        return gc_error_set(err, GC_EINVAL, "%s[%d,%d]: outside %s, which is %dx%d", e->tensor,
                            e->row, e->col, e->tensor, rows, cols);
    size_t i = (size_t)e->row * (size_t)cols + (size_t)e->col;
    s->net = net;
    s->value = value + i;
    s->analytic = grad[i];
    s->layer = layer;
    return GC_OK;
}

/* L with the element set to v (the caller restores it). */
static double loss_at(const site *s, double v)
{
    *s->value = v;
    return gc_net_forward_from(s->net, s->layer);
}

/* Central difference at step h with the steps actually taken; restores. */
static double central_at(const site *s, double x0, double h, double *lm, double *lp)
{
    double xm = x0 - h, xp = x0 + h;
    *lm = loss_at(s, xm);
    *lp = loss_at(s, xp);
    *s->value = x0;
    return (*lp - *lm) / (xp - xm);
}

/* Every number of the element at step eps; L0 is the unperturbed loss.
 * Leaves the element's bits as found (the cache perturbed: see finish). */
static void fd_step(const site *s, double L0, double eps, gc_element_fd *o)
{
    const double x0 = *s->value;
    o->eps = eps;
    o->theta = x0;
    o->theta_plus = x0 + eps;
    o->theta_minus = x0 - eps;
    o->loss = L0;
    o->analytic = s->analytic;
    double D[GC_RICHARDSON_LEVELS], h = eps;
    for (int lvl = 0; lvl < GC_RICHARDSON_LEVELS; lvl++, h *= 0.5) {
        double lm, lp;
        D[lvl] = central_at(s, x0, h, &lm, &lp);
        if (lvl == 0) {
            o->loss_minus = lm;
            o->loss_plus = lp;
        }
    }
    o->dloss = o->loss_plus - o->loss_minus;
    o->step = o->theta_plus - o->theta_minus;
    o->central = D[0];
    o->forward = (o->loss_plus - L0) / (o->theta_plus - x0);
    double trunc;
    o->richardson = gc_richardson(D, GC_RICHARDSON_LEVELS, &trunc);
}

/* After the last perturbation of an element: the cache of the unperturbed
 * parameters again. */
static void finish(const site *s)
{
    (void)gc_net_forward_from(s->net, s->layer);
}

int gc_element_step(gc_net *net, const gc_element *e, double eps, gc_element_fd *out,
                  gc_error *err)
{
    site s;
    int rc = resolve(net, e, &s, err);
    if (rc != GC_OK)
        return rc;
    if (out == NULL)
        return gc_error_set(err, GC_EINVAL, "sweep: NULL output");
    if (!(eps > 0.0) || !isfinite(eps))
        return gc_error_set(err, GC_EINVAL, "eps must be a finite number > 0, got %g", eps);
    fd_step(&s, net->loss_value, eps, out);
    finish(&s);
    return GC_OK;
}

/* ---- the sweep --------------------------------------------------------- */

void gc_sweep_opts_init(gc_sweep_opts *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    o->eps_max = GC_SWEEP_EPS_MAX;
    o->eps_min = GC_SWEEP_EPS_MIN;
    o->points = GC_SWEEP_POINTS;
    o->relative = 1;
    o->rtol = GC_DEFAULT_RTOL;
    o->atol = GC_DEFAULT_ATOL;
}

static int check_opts(const gc_sweep_opts *o, gc_error *err)
{
    if (!(o->eps_min > 0.0) || !isfinite(o->eps_max) || !(o->eps_max > o->eps_min))
        return gc_error_set(err, GC_EINVAL, "sweep: expected 0 < eps_min < eps_max, got %g, %g",
                            o->eps_min, o->eps_max);
    if (o->points < 2 || o->points > GC_SWEEP_MAX_POINTS)
        return gc_error_set(err, GC_EINVAL, "sweep: expected 2 to %d points, got %d",
                            GC_SWEEP_MAX_POINTS, o->points);
    if (!(o->rtol >= 0.0) || !(o->atol >= 0.0) || !isfinite(o->rtol) || !isfinite(o->atol))
        return gc_error_set(err, GC_EINVAL, "sweep: rtol and atol must be finite and >= 0");
    return GC_OK;
}

/* |a - n|, or relative to max(|a|, |n|): 0 when both are 0, NaN when
 * either is NaN (the comparisons below are written so that NaN fails). */
static double abs_err(double a, double n) { return fabs(a - n); }

static double rel_err(double a, double n)
{
    if (isnan(a) || isnan(n))
        return NAN;
    double m = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    return m == 0.0 ? 0.0 : fabs(a - n) / m;
}

static int within(double a, double n, const gc_sweep_opts *o)
{
    return abs_err(a, n) <= o->atol || rel_err(a, n) <= o->rtol;
}

/* Index of the smallest of v[0], v[stride], ... (n of them), NaN never
 * counting, the first on a tie; -1 when all are NaN. */
static int argmin(const double *v, int n, size_t stride)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        double x = v[(size_t)i * stride];
        if (x == x && (best < 0 || x < v[(size_t)best * stride]))
            best = i;
    }
    return best;
}

/* The theory (gradcheck/sweep.h, gc_sweep_theory) from the derivatives
 * estimated at GC_SWEEP_D2_STEP and GC_SWEEP_D3_STEP.  Each estimate has a
 * roundoff floor: the second difference 4r/h², the third-derivative
 * estimate 6 (1 + G) r/h³ (central's r/h plus Richardson's G r/h, G =
 * gc_richardson_weight, over h²/6); an estimate within twice its floor is
 * noise, and its best step NaN. */
static void theory(const site *s, double L0, int relative, gc_sweep_theory *t)
{
    gc_element_fd p2, p3;
    fd_step(s, L0, GC_SWEEP_D2_STEP, &p2);
    fd_step(s, L0, GC_SWEEP_D3_STEP, &p3);
    double hp = p2.theta_plus - p2.theta, hm = p2.theta - p2.theta_minus, h2 = p2.step / 2.0;
    double h3 = p3.step / 2.0;
    double G = gc_richardson_weight(GC_RICHARDSON_LEVELS);
    t->roundoff = (DBL_EPSILON / 2.0) * fabs(L0);
    t->d2 = fabs((p2.loss_plus - L0) / hp - (L0 - p2.loss_minus) / hm) / h2;
    t->d3 = 6.0 * fabs(p3.central - p3.richardson) / (h3 * h3);
    t->d2_floor = 4.0 * t->roundoff / (h2 * h2);
    t->d3_floor = 6.0 * (1.0 + G) * t->roundoff / (h3 * h3 * h3);
    double m = fabs(s->analytic) > fabs(p2.richardson) ? fabs(s->analytic) : fabs(p2.richardson);
    t->scale = relative ? (m > 0.0 ? 1.0 / m : NAN) : 1.0;
    t->forward_eps = t->d2 > 2.0 * t->d2_floor ? 2.0 * sqrt(t->roundoff / t->d2) : NAN;
    t->forward_err = 2.0 * sqrt(t->roundoff * t->d2) * t->scale;
    t->central_eps = t->d3 > 2.0 * t->d3_floor ? cbrt(3.0 * t->roundoff / t->d3) : NAN;
    t->central_err = 1.5 * t->roundoff / t->central_eps * t->scale;
}

static void sweep_one(const site *s, double L0, const gc_sweep_opts *o, gc_sweep_curve *c)
{
    const double lmax = log10(o->eps_max), lmin = log10(o->eps_min);
    c->theta = *s->value;
    c->analytic = s->analytic;
    c->confirmed = 0;
    for (int i = 0; i < o->points; i++) {
        double eps = i == 0 ? o->eps_max
                   : i == o->points - 1 ? o->eps_min
                   : pow(10.0, lmax + (lmin - lmax) * i / (o->points - 1));
        gc_element_fd p;
        fd_step(s, L0, eps, &p);
        double a = s->analytic;
        double (*err)(double, double) = o->relative ? rel_err : abs_err;
        gc_sweep_point *q = &c->points[i];
        q->eps = eps;
        q->forward = err(a, p.forward);
        q->central = err(a, p.central);
        q->richardson = err(a, p.richardson);
        if (within(a, p.forward, o) || within(a, p.central, o) || within(a, p.richardson, o))
            c->confirmed = 1;
    }
    size_t stride = sizeof(gc_sweep_point) / sizeof(double);
    c->best_forward = argmin(&c->points[0].forward, o->points, stride);
    c->best_central = argmin(&c->points[0].central, o->points, stride);
    c->best_richardson = argmin(&c->points[0].richardson, o->points, stride);
    theory(s, L0, o->relative, &c->theory);
    finish(s);
}

void gc_sweep_free(gc_sweep *s)
{
    if (s == NULL)
        return;
    if (s->curves != NULL)
        free(s->curves[0].points);
    free(s->curves);
    free(s);
}

int gc_sweep_net(gc_net *net, const gc_element *elems, int n, const gc_sweep_opts *opts,
                 gc_sweep **out, gc_error *err)
{
    gc_sweep_opts o;
    if (opts == NULL)
        gc_sweep_opts_init(&o);
    else
        o = *opts;
    if (out == NULL || elems == NULL || n < 1)
        return gc_error_set(err, GC_EINVAL, "sweep: NULL output or no element");
    *out = NULL;
    int rc = check_opts(&o, err);
    if (rc != GC_OK)
        return rc;
    if (net == NULL || net->batch == 0)
        return gc_error_set(err, GC_EINVAL, "sweep: NULL network or no data");
    double L0 = gc_net_forward(net);
    gc_net_backward(net);
    site *sites = calloc((size_t)n, sizeof *sites);
    if (sites == NULL)
        return gc_error_set(err, GC_ENOMEM, "sweep: out of memory");
    for (int k = 0; k < n; k++) {
        if ((rc = resolve(net, &elems[k], &sites[k], err)) != GC_OK) {
            free(sites);
            return rc;
        }
    }
    gc_sweep *s = calloc(1, sizeof *s);
    gc_sweep_curve *curves = calloc((size_t)n, sizeof *curves);
    gc_sweep_point *pts = calloc((size_t)n * (size_t)o.points, sizeof *pts);
    if (s == NULL || curves == NULL || pts == NULL) {
        free(s);
        free(curves);
        free(pts);
        free(sites);
        return gc_error_set(err, GC_ENOMEM, "sweep: out of memory");
    }
    s->opts = o;
    s->loss = L0;
    s->unit_roundoff = DBL_EPSILON / 2.0;
    s->rule_forward = sqrt(s->unit_roundoff);
    s->rule_central = cbrt(s->unit_roundoff);
    s->ncurves = n;
    s->curves = curves;
    for (int k = 0; k < n; k++) {
        curves[k].elem = elems[k];
        curves[k].points = pts + (size_t)k * (size_t)o.points;
        sweep_one(&sites[k], L0, &o, &curves[k]);
    }
    free(sites);
    *out = s;
    return GC_OK;
}

/* ---- choosing and naming elements -------------------------------------- */

static int picked(const gc_element *out, int n, const gc_element *e)
{
    for (int i = 0; i < n; i++)
        if (strcmp(out[i].tensor, e->tensor) == 0 && out[i].row == e->row &&
            out[i].col == e->col)
            return 1;
    return 0;
}

static void element_of(const gc_report *r, size_t k, gc_element *e)
{
    const gc_row *w = &r->rows[k];
    snprintf(e->tensor, sizeof e->tensor, "%s", r->tensors[w->tensor].name);
    e->row = w->row;
    e->col = w->col;
}

int gc_sweep_pick(const gc_report *r, int worst, gc_element *out, int max)
{
    if (r == NULL || out == NULL || r->partial)
        return 0;
    int n = 0;
    size_t want = worst < max ? (size_t)(worst > 0 ? worst : 0) : (size_t)(max > 0 ? max : 0);
    size_t *first = malloc((want > 0 ? want : 1) * sizeof *first);
    if (first == NULL)
        return 0;
    size_t got = gc_report_worst(r, first, want);
    for (size_t k = 0; k < got; k++)
        element_of(r, first[k], &out[n++]);
    free(first);
    for (int t = 0; t < r->ntensors && n < max; t++) {
        if (r->tensors[t].count == 0)
            continue;
        gc_element e;
        element_of(r, r->tensors[t].worst, &e);
        if (!picked(out, n, &e))
            out[n++] = e;
    }
    return n;
}

/* A non-negative decimal index at *p; advances *p past it. */
static int parse_index(const char **p, int *v)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    long x = 0;
    while (*s >= '0' && *s <= '9') {
        x = x * 10 + (*s++ - '0');
        if (x > 1000000000L)
            return -1;
    }
    while (*s == ' ')
        s++;
    *v = (int)x;
    *p = s;
    return 0;
}

int gc_element_parse(const char *s, gc_element *e)
{
    if (s == NULL || e == NULL)
        return GC_EINVAL;
    size_t len = strcspn(s, "[(");
    if (len == 0 || len >= GC_NAME_MAX || s[len] == '\0')
        return GC_EINVAL;
    char close = s[len] == '[' ? ']' : ')';
    const char *p = s + len + 1;
    int row, col;
    if (parse_index(&p, &row) != 0 || *p++ != ',' || parse_index(&p, &col) != 0 ||
        *p++ != close || *p != '\0')
        return GC_EINVAL;
    memcpy(e->tensor, s, len);
    e->tensor[len] = '\0';
    e->row = row;
    e->col = col;
    return GC_OK;
}
