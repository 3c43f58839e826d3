/*
 * check_props.c -- randomized property tests of the whole pipeline, and of
 * the shrinker that makes their failures small.
 *
 * Each case is a random admissible network (checks/props_gen.c, and
 * props.h for what admissible means and why): depth 1-4, widths
 * 1-16, batch 1-8, any init, any loss, any activation (softmax only as the
 * last one, before mse or bce, with >= 2 outputs: see props_case_draw),
 * built by gc_net_from_arch from its own seed, so a failure prints the
 * `gradcheck --arch ... --seed ...` line that rebuilds it, then shrinks it
 * and prints the smallest failing case's line too.
 *
 * The run is steered by GC_SEED (base seed, default GC_CK_DEFAULT_SEED, read by gc_ck_base_seed) and
 * GC_CASES (cases per loop, default PROPS_DEFAULT_CASES), printed once on
 * stderr.  Case i of a loop is the same network whatever GC_CASES is.
 *
 * Properties (default check options unless said, input gradient included):
 *   central   smooth networks: every element passes, no kink, no fail;
 *   kinked    networks with relu / leaky_relu: pass or kink, never fail;
 *   richardson analytic networks (smooth, no elu): no wider a band
 *             needed than central's on the same network (measured: ~1000
 *             times narrower), and every element within RICH_RTOL = 1e-6,
 *             10 times tighter than the default band;
 *   central_reference  central and kinked again with the reference engine
 *             (the default engine is the fast one);
 *   kink_forced kinked networks with one relu / leaky_relu input moved
 *             within eps/2 of 0 on purpose: pass or kink, never fail (the
 *             exact network is saved to /tmp for `gradcheck --net` on
 *             failure);
 *   restored  every parameter and input bit-identical after the check;
 *   json      two checks of the same seed write byte-identical JSON;
 *   layer     gc_check_layer passes every built-in layer at random shapes,
 *             every hygiene check included.
 */
#include <check.h>
#include <gradcheck/netfile.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

/* Property evaluations a failure's shrinking may spend (each is one small
 * check; a 4-layer case needs ~30 to reach depth 1, width 1). */
#define SHRINK_TRIES 400

/* Richardson's band: 10 times tighter than the default (rtol 1e-5,
 * atol 1e-8).  Measured on the 10000 richardson cases of GC_SEED=1234567
 * GC_CASES=20000 (the band a case needs: the smallest t such that every
 * element has rel_err <= t or abs_err <= 1e-3 t, the default rtol/atol
 * ratio), printed per case by
 *   GC_VERBOSE=1 GC_SEED=1234567 GC_CASES=20000 CK_RUN_SUITE=props \
 *   CK_RUN_CASE=richardson ./build/check_gradcheck 2>&1 | grep props-bands
 *   central    median 1.9e-7, p99 8.8e-7, max 3.7e-6
 *   richardson median 2.2e-10, p99 1.1e-9, max 5.8e-9
 *   richardson / central per case: median 1.2e-3, never above 1
 * The per-case comparison is the "more tightly"; the fixed band is loose
 * enough for the tail: its wide default step (1e-2) meets the curvature of
 * steep networks (GC_SEED=21, case 697: a uniform-init tanh network whose
 * one-sided slopes at 1e-2 differ by 0.18 needed 1.5e-7, while central
 * needed more still; --eps 1e-3 gives 1e-9). */
#define RICH_RTOL 1e-6
#define RICH_ATOL 1e-9
/* Below this band both methods are at their roundoff floor (central's is
 * ~u L / eps ~ 1e-10), where which one is tighter is noise: measured, a
 * saturated network needed 4e-10 with Richardson against 1.6e-10 with
 * central. */
#define RICH_FLOOR 1e-8
#define RICH_FLAGS "--inputs --method richardson --rtol 1e-6 --atol 1e-9"

/* ---- helpers ---------------------------------------------------------------- */

/* One line for the worst row of r that is not acceptable: a fail, or a kink
 * when kinks are not allowed.  Returns 1 when there is one. */
static int worst_bad(const gc_report *r, int kinks_ok, char *why, size_t size)
{
    const gc_row *w = NULL;
    for (size_t i = 0; i < r->nrows; i++) {
        const gc_row *row = &r->rows[i];
        int bad = row->verdict == GC_FAIL || (row->verdict == GC_KINK && !kinks_ok);
        if (bad && (w == NULL || !(row->rel_err <= w->rel_err)))
            w = row;
    }
    if (w == NULL)
        return 0;
    snprintf(why, size, "%s[%d][%d] %s: analytic=%.17g numeric=%.17g abs=%.3g rel=%.3g (%d fail, %d kink)",
             r->tensors[w->tensor].name, w->row, w->col, gc_verdict_name(w->verdict), w->analytic,
             w->numeric, w->abs_err, w->rel_err, r->nfail, r->nkink);
    return 1;
}

/* Build c and run the hook; NULL when c cannot be built. */
static gc_net *build(const props_case *c, props_hook hook, const void *ctx)
{
    gc_error err = {0};
    gc_net *net = props_case_build(c, &err);
    if (net != NULL && hook != NULL)
        hook(net, ctx);
    return net;
}

static void default_opts(gc_check_opts *o, const props_case *c)
{
    gc_check_opts_init(o);
    o->inputs = 1;
    o->seed = c->seed; /* as the command's --seed sets it */
}

/* ---- properties ------------------------------------------------------------- */

/* Central check at the defaults (engine included: the fast one): every
 * element passes; a kink verdict is acceptable only when the network has a
 * relu or leaky_relu. */
static int central(const props_case *c, gc_engine engine, props_hook hook, const void *ctx,
                   char *why, size_t size)
{
    gc_net *net = build(c, hook, ctx);
    if (net == NULL)
        return -1;
    gc_check_opts o;
    default_opts(&o, c);
    o.engine = engine;
    gc_report *r = NULL;
    gc_error err = {0};
    int failed;
    if (gc_check_net(net, &o, &r, &err) != GC_OK) {
        snprintf(why, size, "gc_check_net: %s", err.msg);
        failed = 1;
    } else {
        failed = worst_bad(r, props_case_kinked(c), why, size);
        if (!failed && !r->restored) {
            snprintf(why, size, "the engine reports a parameter not restored");
            failed = 1;
        }
    }
    gc_report_free(r);
    gc_net_free(net);
    return failed;
}

static int prop_central(const props_case *c, props_hook hook, const void *ctx, char *why,
                        size_t size)
{
    gc_check_opts o;
    gc_check_opts_init(&o);
    return central(c, o.engine, hook, ctx, why, size);
}

/* The same with the reference engine, which --engine reference selects. */
static int prop_central_reference(const props_case *c, props_hook hook, const void *ctx,
                                  char *why, size_t size)
{
    return central(c, GC_ENGINE_REFERENCE, hook, ctx, why, size);
}

/* The band a report needs: the smallest t such that every element has
 * rel_err <= t or abs_err <= 1e-3 t (the default rtol/atol ratio).  NaN
 * makes it Inf. */
static double needed_band(const gc_report *r)
{
    double t = 0.0;
    for (size_t i = 0; i < r->nrows; i++) {
        const gc_row *w = &r->rows[i];
        double e = fmin(w->abs_err / 1e-3, w->rel_err);
        if (!(e <= t))
            t = isnan(e) ? INFINITY : e;
    }
    return t;
}

/* Richardson passes RICH_RTOL / RICH_ATOL, and needs no wider a band than
 * central on the same network, unless both are below RICH_FLOOR. */
static int prop_richardson(const props_case *c, props_hook hook, const void *ctx, char *why,
                           size_t size)
{
    gc_report *r[2] = {NULL, NULL};
    for (int m = 0; m < 2; m++) {
        gc_net *net = build(c, hook, ctx);
        if (net == NULL) {
            gc_report_free(r[0]);
            return -1;
        }
        gc_check_opts o;
        default_opts(&o, c);
        if (m == 1) {
            o.method = GC_METHOD_RICHARDSON;
            o.rtol = RICH_RTOL;
            o.atol = RICH_ATOL;
        }
        gc_error err = {0};
        int rc = gc_check_net(net, &o, &r[m], &err);
        gc_net_free(net);
        if (rc != GC_OK) {
            snprintf(why, size, "gc_check_net: %s", err.msg);
            gc_report_free(r[0]);
            return 1;
        }
    }
    int failed = worst_bad(r[1], 0, why, size);
    double tc = needed_band(r[0]), tr = needed_band(r[1]);
    if (getenv("GC_VERBOSE") != NULL) /* the measurement behind RICH_RTOL */
        fprintf(stderr, "props-bands central %.3g richardson %.3g\n", tc, tr);
    if (!failed && !(tr <= fmax(tc, RICH_FLOOR))) {
        snprintf(why, size, "richardson needs a band of %.3g, central only %.3g", tr, tc);
        failed = 1;
    }
    gc_report_free(r[0]);
    gc_report_free(r[1]);
    return failed;
}

/* ---- a kink on purpose --------------------------------------------------------- */

/* Random continuous data almost never puts a unit within eps of its kink
 * (~1e-6 per unit), so the kinked property alone rarely exercises the kink
 * verdict.  place_kink moves one relu / leaky_relu input (layer, unit,
 * example drawn from the case seed) to a delta with |delta| < eps/2 by
 * shifting the bias of the dense layer before it: every parameter upstream
 * of that unit now crosses the kink when perturbed.  Returns the layer
 * index, or -1 when the network has no such layer or is no longer
 * admissible (e.g. the shift put a second unit near its kink). */
static int place_kink(gc_net *net, uint64_t seed, double *delta)
{
    int kinked[PROPS_MAX_DEPTH], n = 0;
    for (int k = 1; k < net->nlayers; k++) {
        const char *type = net->layers[k]->ops->type;
        if ((strcmp(type, "relu") == 0 || strcmp(type, "leaky_relu") == 0) &&
            net->layers[k - 1]->nparams == 2 && n < PROPS_MAX_DEPTH)
            kinked[n++] = k;
    }
    if (n == 0)
        return -1;
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, seed, 0x6b696e6bu); /* "kink" */
    /* A few draws: a shift that moves another unit near a kink (e.g. the
     * placed unit is a width-1 layer's only one, and the next kinked layer
     * then sits on its kinks together) is undone and another unit tried. */
    for (int attempt = 0; attempt < 20; attempt++) {
        int k = kinked[gc_pcg32_bounded(&rng, (uint32_t)n)];
        int j = (int)gc_pcg32_bounded(&rng, (uint32_t)net->layers[k]->in);
        int col = (int)gc_pcg32_bounded(&rng, (uint32_t)net->batch);
        double target = (gc_pcg32_uniform(&rng) - 0.5) * GC_DEFAULT_EPS;
        gc_net_forward(net);
        double *b = &net->layers[k - 1]->param[1].value[j], b0 = *b;
        *b += target - GC_AT(net->act[k], j, col);
        /* The placed unit is the one input near a kink that admissibility
         * allows; anything else the shift broke rejects this placement. */
        if (props_net_admissible(net, NULL, 0)) {
            *delta = GC_AT(net->act[k], j, col);
            return k;
        }
        *b = b0;
    }
    return -1;
}

/* The placed network, saved for `gradcheck --net`: the kink cannot be said
 * with --arch.  path gets the file name (or "" when saving failed). */
static void save_placed(const props_case *c, const gc_net *net, char *path, size_t size)
{
    char arch[128], acts[256];
    props_case_arch(c, arch, sizeof arch, acts, sizeof acts);
    snprintf(path, size, "/tmp/gradcheck-props-kink-%" PRIu64 "-%s-b%d.json", c->seed, arch,
             c->batch);
    if (gc_net_save(net, path, NULL) != GC_OK)
        path[0] = '\0';
}

/* Central check with one kink placed: pass or kink, never fail. */
static int prop_kink_forced(const props_case *c, props_hook hook, const void *ctx, char *why,
                            size_t size)
{
    gc_net *net = build(c, hook, ctx);
    if (net == NULL)
        return -1;
    double delta = 0.0;
    int k = place_kink(net, c->seed, &delta);
    if (k < 0) {
        gc_net_free(net);
        return -1;
    }
    gc_check_opts o;
    default_opts(&o, c);
    gc_report *r = NULL;
    gc_error err = {0};
    int failed;
    char line[512] = "";
    if (gc_check_net(net, &o, &r, &err) != GC_OK) {
        snprintf(line, sizeof line, "gc_check_net: %.400s", err.msg);
        failed = 1;
    } else {
        failed = worst_bad(r, 1, line, sizeof line);
    }
    if (failed) {
        char path[256];
        save_placed(c, net, path, sizeof path);
        snprintf(why, size, "%s (a kink placed in layer %d at %.3g); exactly: gradcheck --net %s "
                 "--inputs", line, k, delta, path[0] ? path : "(could not save)");
    }
    gc_report_free(r);
    gc_net_free(net);
    return failed;
}

/* Copy of every parameter and of the input X, in network order. */
static double *snapshot(const gc_net *net, size_t *n)
{
    size_t total = gc_mat_size(net->act[0]);
    for (int t = 0; t < net->ntensors; t++)
        total += (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
    double *s = malloc(total * sizeof *s);
    if (s == NULL)
        return NULL;
    size_t used = 0;
    for (int t = 0; t < net->ntensors; t++) {
        size_t k = (size_t)net->tensors[t]->rows * (size_t)net->tensors[t]->cols;
        memcpy(s + used, net->tensors[t]->value, k * sizeof *s);
        used += k;
    }
    memcpy(s + used, net->act[0]->data, gc_mat_size(net->act[0]) * sizeof *s);
    *n = total;
    return s;
}

/* After a check every parameter and input is bit-identical (memcmp, not
 * ==: -0.0 and 0.0, or two NaNs, must not pass for each other). */
static int prop_restored(const props_case *c, props_hook hook, const void *ctx, char *why,
                         size_t size)
{
    gc_net *net = build(c, hook, ctx);
    if (net == NULL)
        return -1;
    size_t n = 0, m = 0;
    double *before = snapshot(net, &n);
    gc_check_opts o;
    default_opts(&o, c);
    gc_report *r = NULL;
    gc_error err = {0};
    int failed = 0;
    if (before == NULL || gc_check_net(net, &o, &r, &err) != GC_OK) {
        snprintf(why, size, "gc_check_net: %s", before == NULL ? "out of memory" : err.msg);
        failed = 1;
    } else {
        double *after = snapshot(net, &m);
        if (after == NULL || m != n) {
            snprintf(why, size, "snapshot after the check: out of memory");
            failed = 1;
        } else {
            for (size_t i = 0; i < n && !failed; i++)
                if (memcmp(&before[i], &after[i], sizeof(double)) != 0) {
                    snprintf(why, size, "value %zu of the parameters+input changed: %.17g -> %.17g",
                             i, before[i], after[i]);
                    failed = 1;
                }
            if (!failed && !r->restored) {
                snprintf(why, size, "values identical but the report says restored = 0");
                failed = 1;
            }
        }
        free(after);
    }
    free(before);
    gc_report_free(r);
    gc_net_free(net);
    return failed;
}

/* Check a fresh build of c and write its JSON report into a memory buffer
 * (*buf, *len; free *buf).  GC_OK or a failure code. */
static int json_of(const props_case *c, props_hook hook, const void *ctx, char **buf,
                   size_t *len)
{
    *buf = NULL;
    *len = 0;
    gc_net *net = build(c, hook, ctx);
    if (net == NULL)
        return GC_EINVAL;
    gc_check_opts o;
    default_opts(&o, c);
    gc_report *r = NULL;
    int rc = gc_check_net(net, &o, &r, NULL);
    FILE *f = rc == GC_OK ? open_memstream(buf, len) : NULL;
    if (rc == GC_OK && f == NULL)
        rc = GC_EIO;
    if (f != NULL) {
        rc = gc_report_write_json(r, f);
        if (fclose(f) != 0 && rc == GC_OK)
            rc = GC_EIO;
    }
    gc_report_free(r);
    gc_net_free(net);
    return rc;
}

static int prop_json(const props_case *c, props_hook hook, const void *ctx, char *why,
                     size_t size)
{
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int ra = json_of(c, hook, ctx, &a, &na), rb = json_of(c, hook, ctx, &b, &nb);
    int failed = 0;
    if (ra == GC_EINVAL && a == NULL) {
        failed = -1;
    } else if (ra != GC_OK || rb != GC_OK) {
        snprintf(why, size, "writing the JSON report: %s / %s", gc_strerror(ra), gc_strerror(rb));
        failed = 1;
    } else if (na == 0 || na != nb || memcmp(a, b, na) != 0) {
        size_t i = 0;
        while (i < na && i < nb && a[i] == b[i])
            i++;
        size_t from = i > 30 ? i - 30 : 0;
        snprintf(why, size, "JSON reports differ (%zu vs %zu bytes) at byte %zu: '%.60s' vs '%.60s'",
                 na, nb, i, a != NULL ? a + from : "", b != NULL ? b + from : "");
        failed = 1;
    }
    free(a);
    free(b);
    return failed;
}

/* ---- running a property over cases ---------------------------------------- */

/* Evaluate prop on case `index`; on failure shrink it and abort the test
 * with the seed, both reproducing commands and both failures. */
static void run_case(const char *name, props_fn prop, props_kind kind, int index,
                     const char *flags)
{
    props_case c;
    uint64_t base = gc_ck_base_seed();
    char why[1024], swhy[1024] = "", cmd[512], scmd[512];
    int rc = -1;
    /* A case the property cannot use (-1: kink_forced finds no unit to
     * place) is replaced by case index + 1000000 k; other properties never
     * return -1 on a drawn case, and must not. */
    for (int k = 0; k < 10 && rc == -1; k++) {
        int idx = index + 1000000 * k;
        ck_assert_msg(props_case_draw(&c, base, idx, kind) > 0,
                      "%s case %d: no admissible draw (GC_SEED=%" PRIu64 ")", name, idx, base);
        rc = prop(&c, NULL, NULL, why, sizeof why);
        props_case_command(&c, flags, cmd, sizeof cmd);
        ck_assert_msg(rc != -1 || prop == prop_kink_forced,
                      "%s case %d: the drawn case does not build: %s", name, idx, cmd);
    }
    ck_assert_msg(rc != -1, "%s case %d: 10 draws unusable, the last %s", name, index, cmd);
    if (rc == 0)
        return;
    props_case s;
    int steps = props_shrink(&c, prop, NULL, NULL, SHRINK_TRIES, &s);
    prop(&s, NULL, NULL, swhy, sizeof swhy);
    props_case_command(&s, flags, scmd, sizeof scmd);
    ck_abort_msg("property %s fails on case %d (GC_SEED=%" PRIu64 ", case seed %" PRIu64 "):\n"
                 "  %s\n  reproduce: %s\n  shrunk in %d steps to: %s\n  which fails as: %s",
                 name, index, base, c.seed, why, cmd, steps, scmd, swhy);
}

/* Networks outside the admissibility conditions (props.h), drawn on
 * purpose: at the defaults a correct backprop is never refuted -- every
 * element pass, kink or undecided, what is undecided carries a reason --
 * and the fast engine gives the reference engine's verdict and reason on
 * every element (the rows a rounding difference could decide, and every
 * refined or escalated one, are the reference's). */
START_TEST(test_inadmissible_never_fail)
{
    props_case c;
    uint64_t base = gc_ck_base_seed();
    props_kind kind = _i % 2 ? PROPS_KINKED : PROPS_SMOOTH;
    ck_assert_msg(props_case_draw_inadmissible(&c, base, _i, kind) > 0,
                  "case %d: no inadmissible draw (GC_SEED=%" PRIu64 ")", _i, base);
    char cmd[512], why[1024], adm[256];
    props_case_command(&c, "--inputs", cmd, sizeof cmd);
    props_case_admissible(&c, adm, sizeof adm);
    gc_report *r[2] = {NULL, NULL};
    for (int e = 0; e < 2; e++) {
        gc_net *net = props_case_build(&c, NULL);
        ck_assert(net != NULL);
        gc_check_opts o;
        default_opts(&o, &c);
        o.engine = e ? GC_ENGINE_FAST : GC_ENGINE_REFERENCE;
        ck_assert_int_eq(gc_check_net(net, &o, &r[e], NULL), GC_OK);
        gc_net_free(net);
        int bad = worst_bad(r[e], 1, why, sizeof why);
        ck_assert_msg(!bad && r[e]->restored, "case %d (GC_SEED=%" PRIu64 "), inadmissible "
                      "(%s), %s engine: %s\n  reproduce: %s", _i, base, adm,
                      gc_engine_name(o.engine), why, cmd);
    }
    ck_assert_uint_eq(r[0]->nrows, r[1]->nrows);
    for (size_t k = 0; k < r[0]->nrows; k++) {
        const gc_row *a = &r[0]->rows[k], *b = &r[1]->rows[k];
        ck_assert_msg(a->verdict != GC_UNDECIDED || a->reason != GC_REASON_NONE,
                      "case %d: an undecided row without a reason: %s", _i, cmd);
        ck_assert_msg(a->verdict == b->verdict && a->reason == b->reason,
                      "case %d: %s[%d][%d]: reference %s (%s), fast %s (%s): %s", _i,
                      r[0]->tensors[a->tensor].name, a->row, a->col,
                      gc_verdict_name(a->verdict), gc_reason_name(a->reason),
                      gc_verdict_name(b->verdict), gc_reason_name(b->reason), cmd);
    }
    gc_report_free(r[0]);
    gc_report_free(r[1]);
}
END_TEST

START_TEST(test_central_smooth)
{
    run_case("central", prop_central, PROPS_SMOOTH, _i, "--inputs");
}
END_TEST

START_TEST(test_central_reference_engine)
{
    run_case("central_reference", prop_central_reference, _i % 2 ? PROPS_KINKED : PROPS_SMOOTH,
             _i, "--inputs --engine reference");
}
END_TEST

START_TEST(test_kinked_pass_or_kink)
{
    run_case("kinked", prop_central, PROPS_KINKED, _i, "--inputs");
}
END_TEST

START_TEST(test_richardson_tighter)
{
    run_case("richardson", prop_richardson, PROPS_ANALYTIC, _i, RICH_FLAGS);
}
END_TEST

START_TEST(test_kink_forced)
{
    run_case("kink_forced", prop_kink_forced, PROPS_KINKED, _i, "--inputs");
}
END_TEST

/* The placement works: the placed unit's own bias crosses the kink, so most
 * placed networks show kink verdicts (not all: a unit whose downstream
 * gradient is 0, e.g. behind a dead relu, shows nothing). */
START_TEST(test_kink_forced_is_seen)
{
    int placed = 0, seen = 0;
    for (int i = 0; i < 40; i++) {
        props_case c;
        props_case_draw(&c, gc_ck_base_seed(), i, PROPS_KINKED);
        gc_net *net = props_case_build(&c, NULL);
        ck_assert_ptr_nonnull(net);
        double delta;
        if (place_kink(net, c.seed, &delta) >= 0) {
            placed++;
            ck_assert_msg(fabs(delta) < GC_DEFAULT_EPS, "placed at %g", delta);
            gc_check_opts o;
            default_opts(&o, &c);
            gc_report *r = NULL;
            ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
            seen += r->nkink > 0;
            gc_report_free(r);
        }
        gc_net_free(net);
    }
    ck_assert_msg(placed >= 30 && 2 * seen >= placed, "%d placed, kinks seen in %d", placed,
                  seen);
}
END_TEST

START_TEST(test_restored_bit_identical)
{
    /* Odd indices: kinked networks too (a kink probe also perturbs). */
    run_case("restored", prop_restored, _i % 2 ? PROPS_KINKED : PROPS_SMOOTH, _i, "--inputs");
}
END_TEST

START_TEST(test_json_deterministic)
{
    run_case("json", prop_json, _i % 2 ? PROPS_KINKED : PROPS_SMOOTH, _i,
             "--inputs --format json");
}
END_TEST

/* ---- the layer check on every built-in layer ------------------------------- */

/* Layer kinds: 0 is dense, 1 + a the activation a. */
#define NLAYER_KINDS (1 + GC_ACT_COUNT)

START_TEST(test_layer_check_builtins)
{
    int kind = _i % NLAYER_KINDS;
    uint64_t base = gc_ck_base_seed();
    gc_pcg32 rng;
    /* A stream apart from the network cases' 2i and 2i + 1. */
    gc_pcg32_seed(&rng, base, UINT64_C(1) << 40 | (uint64_t)_i);
    int in = 1 + (int)gc_pcg32_bounded(&rng, PROPS_MAX_WIDTH);
    int out = 1 + (int)gc_pcg32_bounded(&rng, PROPS_MAX_WIDTH);
    int batch = 1 + (int)gc_pcg32_bounded(&rng, PROPS_MAX_BATCH);
    gc_act act = (gc_act)(kind - 1);
    gc_layer *l = kind == 0 ? gc_dense_new(in, out)
                            : gc_activation_new(act, in, gc_act_default_alpha(act));
    const char *lname = kind == 0 ? "dense" : gc_act_name(act);
    ck_assert_msg(l != NULL, "building %s", lname);
    /* Dense: W ~ N(0, 1/in), so Y stays O(1) whatever the width.  With
     * N(0, 1) a 16 x 16 layer at batch 8 makes L = sum(R .* Y) a sum of
     * 128 terms of size ~4, whose roundoff (~u 500 / eps ~ 1e-8) reaches
     * atol: measured, a correct dense failed at abs_err 1.5e-8
     * (GC_SEED=32, case 630).  b ~ N(0, 1). */
    for (int p = 0; p < l->nparams; p++) {
        double scale = l->param[p].cols > 1 ? 1.0 / sqrt((double)l->param[p].cols) : 1.0;
        for (size_t i = 0; i < (size_t)l->param[p].rows * (size_t)l->param[p].cols; i++)
            l->param[p].value[i] = scale * gc_pcg32_normal(&rng);
    }
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.seed = ((uint64_t)gc_pcg32_next(&rng) << 32 | gc_pcg32_next(&rng)) >> 1;
    gc_report *r = NULL;
    gc_error err = {0};
    int rc = gc_check_layer(l, batch, &o, &r, &err);
    ck_assert_msg(rc == GC_OK, "gc_check_layer(%s): %s", lname, err.msg);
    int kinks_ok = kind != 0 && (act == GC_ACT_RELU || act == GC_ACT_LEAKY_RELU);
    char why[1024];
    int bad = worst_bad(r, kinks_ok, why, sizeof why);
    int restored = r->restored;
    char hygiene[320] = "";
    for (int i = 0; r->hygiene != NULL && i < GC_HYGIENE_COUNT; i++)
        if (r->hygiene->check[i].status == GC_HYGIENE_FAIL)
            snprintf(hygiene, sizeof hygiene, "%s: %s", gc_hygiene_name(i),
                     r->hygiene->check[i].detail);
    ck_assert_msg(r->hygiene != NULL, "layer check of %s: no hygiene report", lname);
    gc_report_free(r);
    gc_layer_free(l);
    ck_assert_msg(hygiene[0] == '\0', "layer check of %s flagged by hygiene (GC_SEED=%" PRIu64
                  ", case %d): %s", lname, base, _i, hygiene);
    /* No command line checks a lone layer: name the C call and the seed. */
    ck_assert_msg(!bad,
                  "layer check of %s fails (GC_SEED=%" PRIu64 ", case %d): %s\n"
                  "  reproduce: %s layer in=%d out=%d, parameters N(0,1) from this case's "
                  "generator, gc_check_layer(l, %d, opts with seed %" PRIu64 ")",
                  lname, base, _i, why, lname, in, kind == 0 ? out : in, batch, o.seed);
    ck_assert_msg(restored, "layer check of %s: parameters not restored (GC_SEED=%" PRIu64
                  ", case %d)", lname, base, _i);
}
END_TEST

/* ---- the shrinker ------------------------------------------------------------ */

extern const gc_mutant gc_mutant_dense_drop_last_col;

/* Swap every dense layer of the network for the mutant ops in ctx (same
 * parameters, same forward, broken backward). */
static void swap_dense(gc_net *net, const void *ctx)
{
    const gc_layer_ops *mutant = ctx;
    for (int k = 0; k < net->nlayers; k++)
        if (net->layers[k]->ops == &gc_dense_ops)
            net->layers[k]->ops = mutant;
}

static int same_case(const props_case *a, const props_case *b)
{
    if (a->seed != b->seed || a->depth != b->depth || a->batch != b->batch ||
        a->init != b->init || strcmp(a->loss, b->loss) != 0)
        return 0;
    for (int k = 0; k <= a->depth; k++)
        if (a->width[k] != b->width[k] || (k < a->depth && a->act[k] != b->act[k]))
            return 0;
    return 1;
}

static void describe(const props_case *c, char *buf, size_t size)
{
    props_case_command(c, NULL, buf, size);
}

/* The mutant (dW and db skip the last example: with one example they are
 * 0) fails on every network with an mse loss, so the smallest failing case
 * is one dense layer 1 -> 1 with one example: the shrinker must find
 * exactly that from a 4-layer network. */
START_TEST(test_shrink_reaches_the_minimum)
{
    const void *mut = gc_mutant_dense_drop_last_col.ops;
    props_case c = {.seed = 7, .depth = 4, .width = {5, 7, 3, 6, 4},
                    .act = {GC_ACT_TANH, GC_ACT_SIGMOID, GC_ACT_GELU, GC_ACT_IDENTITY},
                    .loss = "mse", .batch = 6, .init = GC_INIT_XAVIER};
    char why[1024], cmd[512];
    describe(&c, cmd, sizeof cmd);
    ck_assert_msg(prop_central(&c, NULL, NULL, why, sizeof why) == 0,
                  "the correct network fails: %s: %s", cmd, why);
    ck_assert_msg(prop_central(&c, swap_dense, mut, why, sizeof why) == 1,
                  "the mutant survives on %s", cmd);
    props_case s, s2;
    int steps = props_shrink(&c, prop_central, swap_dense, mut, SHRINK_TRIES, &s);
    describe(&s, cmd, sizeof cmd);
    ck_assert_msg(s.depth == 1 && s.width[0] == 1 && s.width[1] == 1 && s.batch == 1,
                  "shrunk in %d steps to %s, expected --arch 1-1 --batch 1", steps, cmd);
    ck_assert_msg(prop_central(&s, swap_dense, mut, why, sizeof why) == 1,
                  "the shrunk case %s does not fail", cmd);
    ck_assert_msg(steps > 0 && steps <= 20, "%d steps", steps);
    /* Deterministic: the same input shrinks to the same case. */
    props_shrink(&c, prop_central, swap_dense, mut, SHRINK_TRIES, &s2);
    ck_assert_msg(same_case(&s, &s2), "two shrinks of the same case differ");
}
END_TEST

/* From random cases (any loss, kinked or not): the shrunk case still
 * fails, is a local minimum (no admissible one-step candidate fails) and is
 * no larger than the original.  (Not always 1-1 with one example: the
 * smallest network may be inadmissible, e.g. its loss above PROPS_MAX_LOSS,
 * or a distribution output needs two units for a nonzero gradient.)  A
 * drawn network on which the mutant cannot show at all (every gradient 0:
 * dead relus) is replaced by the next draw. */
START_TEST(test_shrink_random_local_minimum)
{
    const void *mut = gc_mutant_dense_drop_last_col.ops;
    props_case c, s, cand[64];
    char why[1024], cmd[512], scmd[512];
    int found = 0;
    for (int k = 0; k < 20 && !found; k++) {
        props_case_draw(&c, gc_ck_base_seed() ^ 0x5eed, 1000 * k + _i,
                        _i % 2 ? PROPS_KINKED : PROPS_SMOOTH);
        found = prop_central(&c, swap_dense, mut, why, sizeof why) == 1;
    }
    describe(&c, cmd, sizeof cmd);
    ck_assert_msg(found, "the mutant survives on 20 draws, the last %s", cmd);
    int steps = props_shrink(&c, prop_central, swap_dense, mut, SHRINK_TRIES, &s);
    describe(&s, scmd, sizeof scmd);
    ck_assert_msg(prop_central(&s, swap_dense, mut, why, sizeof why) == 1,
                  "%s shrunk in %d steps to %s, which passes", cmd, steps, scmd);
    int n = props_shrink_candidates(&s, cand, 64);
    for (int i = 0; i < n; i++) {
        char ccmd[512];
        describe(&cand[i], ccmd, sizeof ccmd);
        ck_assert_msg(!props_case_admissible(&cand[i], NULL, 0) ||
                          prop_central(&cand[i], swap_dense, mut, why, sizeof why) != 1,
                      "%s shrunk to %s, but the smaller %s still fails", cmd, scmd, ccmd);
    }
    int units = 0, units0 = 0;
    for (int k = 0; k <= s.depth; k++)
        units += s.width[k];
    for (int k = 0; k <= c.depth; k++)
        units0 += c.width[k];
    ck_assert_msg(s.depth <= c.depth && s.batch <= c.batch && units <= units0,
                  "%s grew to %s", cmd, scmd);
}
END_TEST

START_TEST(test_shrink_bounded)
{
    /* No evaluation allowed: the case comes back unchanged, 0 steps. */
    const void *mut = gc_mutant_dense_drop_last_col.ops;
    props_case c, s;
    props_case_draw(&c, 1, 0, PROPS_SMOOTH);
    ck_assert_int_eq(props_shrink(&c, prop_central, swap_dense, mut, 0, &s), 0);
    ck_assert_msg(same_case(&c, &s), "a shrink with no budget changed the case");
    /* A passing property: nothing smaller fails, the case is kept. */
    int steps = props_shrink(&c, prop_central, NULL, NULL, SHRINK_TRIES, &s);
    ck_assert_int_eq(steps, 0);
    ck_assert_msg(same_case(&c, &s), "shrinking a passing case changed it");
}
END_TEST

/* Every case the drawer makes is admissible and valid for the builder, and
 * each kind holds what it promises. */
START_TEST(test_cases_are_well_formed)
{
    for (int i = 0; i < 100; i++)
        for (int kind = PROPS_SMOOTH; kind <= PROPS_ANALYTIC; kind++) {
            props_case c;
            char cmd[512], why[256];
            ck_assert_msg(props_case_draw(&c, gc_ck_base_seed(), i, (props_kind)kind) > 0,
                          "case %d kind %d: no admissible draw", i, kind);
            describe(&c, cmd, sizeof cmd);
            ck_assert_msg(c.depth >= 1 && c.depth <= PROPS_MAX_DEPTH && c.batch >= 1 &&
                              c.batch <= PROPS_MAX_BATCH, "%s", cmd);
            ck_assert_msg(props_case_kinked(&c) == (kind == PROPS_KINKED), "kind %d: %s", kind,
                          cmd);
            for (int k = 0; k < c.depth; k++)
                ck_assert_msg(kind != PROPS_ANALYTIC || c.act[k] != GC_ACT_ELU, "elu in %s", cmd);
            ck_assert_msg(props_case_admissible(&c, why, sizeof why), "%s: %s", cmd, why);
        }
}
END_TEST

/* The admissibility conditions reject what they say they reject. */
START_TEST(test_admissible_rejects)
{
    char why[256];
    /* bce after two wide uniform layers (all weights positive): the
     * sigmoid saturates, p close to 1, for some seed. */
    props_case c;
    int found = 0;
    for (uint64_t seed = 1; seed < 200 && !found; seed++) {
        c = (props_case){.seed = seed, .depth = 2, .width = {16, 16, 1},
                         .act = {GC_ACT_IDENTITY, GC_ACT_SIGMOID}, .loss = "bce", .batch = 1,
                         .init = GC_INIT_UNIFORM};
        found = !props_case_admissible(&c, why, sizeof why) &&
                strstr(why, "bce probabilities") != NULL;
    }
    ck_assert_msg(found, "no saturated bce probability was rejected");
    /* softmax on one output. */
    c = (props_case){.seed = 1, .depth = 1, .width = {2, 1}, .act = {GC_ACT_SOFTMAX},
                     .loss = "mse", .batch = 1, .init = GC_INIT_XAVIER};
    ck_assert_msg(!props_case_admissible(&c, why, sizeof why), "softmax on 1 unit admitted");
    /* A dead relu (width 1) feeding a relu through zero biases (he): the
     * second relu's inputs are exactly 0 whenever the first is dead. */
    found = 0;
    for (uint64_t seed = 1; seed < 200 && !found; seed++) {
        c = (props_case){.seed = seed, .depth = 2, .width = {3, 1, 4},
                         .act = {GC_ACT_RELU, GC_ACT_RELU}, .loss = "mse", .batch = 1,
                         .init = GC_INIT_HE};
        found = !props_case_admissible(&c, why, sizeof why) && strstr(why, "kink") != NULL;
    }
    ck_assert_msg(found, "no relu input exactly on its kink was rejected");
}
END_TEST

Suite *make_props_suite(void)
{
    int n = props_ncases();
    fprintf(stderr, "props: GC_SEED=%" PRIu64 " GC_CASES=%d\n", gc_ck_base_seed(), n);
    Suite *s = suite_create("props");
    TCase *tc = tcase_create("network");
    /* Generous: the whole suite takes a few seconds at the defaults. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cases_are_well_formed);
    tcase_add_test(tc, test_admissible_rejects);
    tcase_add_loop_test(tc, test_central_smooth, 0, n);
    tcase_add_loop_test(tc, test_inadmissible_never_fail, 0, (n + 1) / 2);
    tcase_add_loop_test(tc, test_kinked_pass_or_kink, 0, (n + 1) / 2);
    tcase_add_loop_test(tc, test_central_reference_engine, 0, (n + 3) / 4);
    tcase_add_loop_test(tc, test_kink_forced, 0, (n + 1) / 2);
    tcase_add_test(tc, test_kink_forced_is_seen);
    tcase_add_loop_test(tc, test_restored_bit_identical, 0, (n + 3) / 4);
    tcase_add_loop_test(tc, test_json_deterministic, 0, (n + 3) / 4);
    suite_add_tcase(s, tc);

    tc = tcase_create("richardson");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_richardson_tighter, 0, (n + 1) / 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("layer");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_layer_check_builtins, 0, n > NLAYER_KINDS ? n : NLAYER_KINDS);
    suite_add_tcase(s, tc);

    tc = tcase_create("shrink");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_shrink_reaches_the_minimum);
    tcase_add_loop_test(tc, test_shrink_random_local_minimum, 0, 12);
    tcase_add_test(tc, test_shrink_bounded);
    suite_add_tcase(s, tc);
    return s;
}
