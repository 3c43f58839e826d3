/*
 * gradcheck/sweep.h -- the step-size sweep (the "h-curve") and one element's
 * finite difference worked through.
 *
 * A finite difference has two errors that pull the step ε opposite ways:
 * truncation, which falls with ε (forward ε|L″|/2, central ε²|L‴|/6), and
 * roundoff, which grows as ε shrinks (the loss is known to about u|L|,
 * u = 2^-53, and the quotient divides that by ε).  Plotted log-log against ε
 * the error of a correct gradient is a V: its right arm the truncation
 * slope (1 forward, 2 central), its left arm roundoff's slope -1, its bottom
 * at the best step.  gc_sweep_net measures that curve for chosen elements of
 * a network, for forward, central and Richardson differences, and states
 * the theory beside it.  It fills a gc_sweep and prints nothing; the
 * writers (text, JSON, JUnit) read one and compute nothing.
 *
 * gc_element_step is the arithmetic of one element at one step with every
 * intermediate kept (θ ± ε as rounded, L(θ ± ε), the quotient), for a
 * reader who wants to follow a gradient check by hand.
 */
#ifndef GRADCHECK_SWEEP_H
#define GRADCHECK_SWEEP_H

#include <stdio.h>

#include "gradcheck/base.h"
#include "gradcheck/check.h"
#include "gradcheck/report.h"
#include "gradcheck/layer.h"
#include "gradcheck/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- one element at one step ----------------------------------------- */

/* An element of a network: a parameter tensor ("W1") or "x" (the input),
 * and its (row, col). */
typedef struct gc_element {
    char tensor[GC_NAME_MAX];
    int row, col;
} gc_element;

/* Every number of one element's finite differences at one step ε. */
typedef struct gc_element_fd {
    double eps;          /* the step asked for */
    double theta;        /* θ, the element's value */
    double theta_plus;   /* θ + ε as rounded to double */
    double theta_minus;  /* θ - ε as rounded to double */
    double loss;         /* L(θ) */
    double loss_plus;    /* L(θ + ε) */
    double loss_minus;   /* L(θ - ε) */
    double dloss;        /* L(θ + ε) - L(θ - ε) */
    double step;         /* (θ + ε) - (θ - ε), the step actually taken (exact) */
    double forward;      /* (L(θ + ε) - L(θ)) / ((θ + ε) - θ) */
    double central;      /* dloss / step */
    double richardson;   /* central at ε, ε/2, ε/4, ε/8, extrapolated as the
                          * engine's richardson method does */
    double analytic;     /* backprop's dL/dθ: the gradient buffer as found */
} gc_element_fd;

/* Fill *out for element e of net at step eps > 0.  The analytic value is
 * read from the tensor's gradient (dact[0] for "x"): run gc_net_forward and
 * gc_net_backward first (gc_check_net leaves them so).  The element is
 * perturbed in place and put back by assignment: afterwards it has its
 * original bits and the cache holds the unperturbed forward pass again.
 * GC_EINVAL (err says why) for NULL arguments, a network without data, an
 * unknown tensor, an element outside it, or eps not finite and > 0. */
int gc_element_step(gc_net *net, const gc_element *e, double eps, gc_element_fd *out,
                  gc_error *err);

/* ---- the sweep --------------------------------------------------------- */

/* Defaults: ε from 1e-1 down to 1e-12, 4 points per decade (45). */
#define GC_SWEEP_EPS_MAX 1e-1
#define GC_SWEEP_EPS_MIN 1e-12
#define GC_SWEEP_POINTS 45
/* The steps at which L″ and L‴ are estimated for the theory (below): large
 * enough that roundoff (4u|L|/h² ~ 1e-10 |L| for the second difference,
 * ~1e-8 |L| for the third derivative's estimate) is far below them, small
 * enough that the Taylor terms after them are small (relative O(h²)). */
#define GC_SWEEP_D2_STEP 1e-3
#define GC_SWEEP_D3_STEP 1e-2
#define GC_SWEEP_MAX_POINTS 1000

typedef struct gc_sweep_opts {
    double eps_max;   /* largest step, > eps_min [1e-1] */
    double eps_min;   /* smallest step, > 0 [1e-12] */
    int points;       /* 2 .. GC_SWEEP_MAX_POINTS, log-spaced from eps_max down [45] */
    int relative;     /* errors as |a - n| / max(|a|, |n|) (0 when both are 0)
                       * instead of |a - n| [1] */
    double rtol, atol;/* the band for `confirmed` [the check's defaults] */
} gc_sweep_opts;

/* Defaults as above. */
void gc_sweep_opts_init(gc_sweep_opts *o);

/* One step of a curve: the error of each method against the analytic value
 * (relative or absolute, as opts.relative says). */
typedef struct gc_sweep_point {
    double eps;
    double forward, central, richardson;
} gc_sweep_point;

/*
 * The theory of one element, from its own loss and derivatives.  With r the
 * rounding error of a computed loss, taken as u|L| (u = 2^-53):
 *   forward  E(h) = h|L″|/2 + 2r/h,  best h = 2 sqrt(r/|L″|),   E = 2 sqrt(r|L″|)
 *   central  E(h) = h²|L‴|/6 + r/h,  best h = (3r/|L‴|)^(1/3),  E = 1.5 r/h
 * (absolute errors; divided by max(|a|, |n|) when the sweep is relative).
 * |L″| is estimated at h = GC_SWEEP_D2_STEP by the second difference
 * (L(θ+h) - 2L(θ) + L(θ-h))/h², |L‴| at h = GC_SWEEP_D3_STEP from
 * central(h) - L′ = h²L‴/6 with Richardson's value as L′.  Each estimate is only as good as
 * the losses' rounding allows: floors 4r/h² for L″ and 6(1 + G)r/h³ for L‴
 * (G: how much Richardson's extrapolation amplifies roundoff).  An estimate
 * within twice its floor (L linear or quadratic in θ: no truncation to
 * balance) gives a NaN best step: the largest step is then best.  The rules
 * of thumb drop the loss's scale: forward ~ sqrt(u), central ~ u^(1/3)
 * (gc_sweep.rule_*).
 */
typedef struct gc_sweep_theory {
    double d2, d3;            /* |L″|, |L‴| estimated at θ */
    double d2_floor, d3_floor;/* their roundoff floors */
    double roundoff;          /* r = u |L| */
    double scale;             /* 1, or 1 / max(|a|, |n|) for relative errors */
    double forward_eps, forward_err; /* NaN when d2 <= 2 d2_floor */
    double central_eps, central_err; /* NaN when d3 <= 2 d3_floor */
} gc_sweep_theory;

typedef struct gc_sweep_curve {
    gc_element elem;
    double theta;             /* the element's value */
    double analytic;          /* backprop's dL/dθ */
    gc_sweep_point *points;   /* opts.points, eps falling; owned by the sweep */
    /* Index in points of each method's smallest error (NaN never counts;
     * the largest step on a tie), -1 when every error is NaN. */
    int best_forward, best_central, best_richardson;
    gc_sweep_theory theory;
    int confirmed;            /* some method at some step is within the band:
                               * |a - n| <= atol or its relative error <= rtol */
} gc_sweep_curve;

typedef struct gc_sweep {
    gc_sweep_opts opts;       /* as used */
    double loss;              /* L at the unperturbed parameters */
    double unit_roundoff;     /* u = 2^-53 */
    double rule_forward;      /* sqrt(u) */
    double rule_central;      /* u^(1/3) */
    int ncurves;
    gc_sweep_curve *curves;   /* ncurves, in the order asked */
} gc_sweep;

/* Sweep elements elems[0 .. n) of net (n >= 1; opts NULL: defaults): runs
 * gc_net_forward and gc_net_backward for the analytic values, then for each
 * element and each step the losses gc_element_step uses.  *out gets a new
 * sweep (free with gc_sweep_free).  Afterwards every element has its
 * original bits, the cache holds the unperturbed pass and the gradients are
 * backprop's.  GC_EINVAL (err says which) for a bad element or option. */
int gc_sweep_net(gc_net *net, const gc_element *elems, int n, const gc_sweep_opts *opts,
                 gc_sweep **out, gc_error *err);

/* Free a sweep.  NULL is a no-op. */
void gc_sweep_free(gc_sweep *s);

/* The elements a sweep should look at after a check: the `worst` rows of
 * the report with the largest rel_err, then the worst element of each
 * tensor not already among them, in tensor order.  Writes at most max into
 * out and returns how many (0 for a NULL, empty or partial report). */
int gc_sweep_pick(const gc_report *r, int worst, gc_element *out, int max);

/* Parse "W1[0,1]" (also "W1(0,1)", "x[2,0]") into *e.  GC_OK, or GC_EINVAL
 * for anything else (a name of GC_NAME_MAX or more characters, a negative
 * or missing index, trailing text).  The element is not checked against a
 * network here: gc_element_step and gc_sweep_net do that. */
int gc_element_parse(const char *s, gc_element *e);

/* ---- writers: read a sweep, compute nothing --------------------------- */

/* Per element a table: ε and the error of each method, the best step of
 * each marked '*', then the best steps beside the theory's. */
int gc_sweep_write_text(const gc_sweep *s, FILE *f);

/* One JSON object: {"gradcheck", "sweep": {eps_max, eps_min, points,
 * error: "rel"|"abs", unit_roundoff, rule_forward, rule_central}, "loss",
 * "elements": [{tensor, row, col, theta, analytic, confirmed,
 * best: {forward, central, richardson} (eps or null), theory: {...},
 * points: [{eps, forward, central, richardson}]}]}.  Numbers with 17
 * significant digits; NaN and ±Inf as the strings "nan", "inf", "-inf". */
int gc_sweep_write_json(const gc_sweep *s, FILE *f);

/* JUnit XML: one testcase per element, named as "W1[0,1]"; it fails when no
 * method at any step of the range confirms the analytic value (confirmed
 * 0), and carries its table in <system-out>. */
int gc_sweep_write_junit(const gc_sweep *s, FILE *f);

#ifdef __cplusplus
}
#endif

#endif
