/*
 * gradcheck/ck.h -- Check (libcheck) helpers for authors of layers:
 * gradient checks as assertions inside your own Check tests.
 *
 * Header-only, and not included by <gradcheck.h>: libgradcheck itself never
 * links Check; only a test file that includes this header (which includes
 * <check.h>) does, linked with `pkg-config --libs check`.  Everything here
 * is `static inline` or a macro, so an unused helper costs nothing and
 * triggers no warning.
 *
 * Two ways to use it:
 *
 *   1. One assertion, on a layer you built:
 *
 *        START_TEST(test_my_layer)
 *        {
 *            gc_layer *l = my_layer_new(3);
 *            ...set its parameters...
 *            gc_ck_assert_layer_gradients(l, 4, NULL);  // batch 4, default options
 *            gc_layer_free(l);
 *        }
 *        END_TEST
 *
 *      It runs the layer check (gc_check_layer: L = sum(R .* layer(X)), so
 *      every parameter and input gradient is compared with central
 *      differences) and, on failure, prints the report's table (worst
 *      elements first) to stderr and fails the test at YOUR file and line
 *      with the worst element and the seed in the message.
 *
 *   2. A randomized loop test over a factory of your layer:
 *
 *        static gc_layer *my_factory(gc_pcg32 *rng)
 *        {
 *            gc_layer *l = my_layer_new(1 + (int)gc_pcg32_bounded(rng, 16));
 *            gc_ck_fill_normal(l, rng);               // parameters N(0, 1)
 *            return l;
 *        }
 *        GC_CK_LAYER_LOOP_TEST(test_my_layer_random, my_factory)
 *        ...
 *        gc_ck_add_layer_loop(tc, test_my_layer_random, 100);
 *
 *      Check hands a loop test only its index, so the factory cannot be a
 *      run-time argument without a global; GC_CK_LAYER_LOOP_TEST instead
 *      defines a test function with the factory compiled in (one per
 *      factory, no table, no global).  Case i seeds a PCG32 from GC_SEED
 *      (environment, default GC_CK_DEFAULT_SEED) and i, calls the factory,
 *      draws a batch in 2..8 and the check's seed, and asserts as above; a
 *      failure names GC_SEED and i: running the suite again with that
 *      GC_SEED (e.g. GC_SEED=7 CK_RUN_SUITE=mine ./build/check_gradcheck)
 *      repeats case i exactly.
 *
 *   3. gc_ck_assert_net_gradients(net, &opts): the same for a whole network
 *      with data (gc_check_net), e.g. your layer between built-ins.
 *
 *   4. gc_ck_assert_layer_mutation(l, batch, opts, 50, 0.8): mutation
 *      testing (<gradcheck/hygiene.h>): 50 synthetic faults injected into
 *      backward's results; every tensor must refute at least 80% of its own.
 *
 * Hygiene: the layer checks above include the hygiene checks of
 * <gradcheck/hygiene.h> (NaN-filled outputs, backward twice, accumulation,
 * a second parameter point, batch 3 when batch is 1); a failed one fails
 * the assertion and the message names it.  opts->no_hygiene turns them off.
 *
 * Kinks: a layer with a kink hook (relu-like) may get kink verdicts near
 * its kink; they do not fail the assertion unless opts->strict_kinks.
 * Undecided: an element the finite differences can neither confirm nor
 * refute (or a vacuous tensor, unless opts->allow_vacuous) fails the
 * assertion too, with a message that says "undecided" and the reason, never
 * "wrong gradient".
 */
#ifndef GRADCHECK_CK_H
#define GRADCHECK_CK_H

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <gradcheck.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Base seed of the randomized helpers when GC_SEED is not set. */
#define GC_CK_DEFAULT_SEED 20261127u

/* Largest batch a loop case draws. */
#define GC_CK_MAX_BATCH 8

/* A factory: a new layer with its shape and parameter values drawn from
 * rng (see gc_ck_fill_normal), or NULL.  The helper frees it. */
typedef gc_layer *(*gc_ck_layer_factory)(gc_pcg32 *rng);

/* GC_SEED (decimal or 0x hex) from the environment, else GC_CK_DEFAULT_SEED
 * (also for a value that is not a whole non-negative number in range): the
 * one reader of GC_SEED in the tests. */
static inline uint64_t gc_ck_base_seed(void)
{
    const char *s = getenv("GC_SEED");
    char *end = NULL;
    if (s == NULL || *s == '\0' || *s == '-')
        return GC_CK_DEFAULT_SEED;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    return errno == 0 && end != s && *end == '\0' ? (uint64_t)v : GC_CK_DEFAULT_SEED;
}

/* Set every parameter of l to N(0, 1) draws from rng, tensor by tensor,
 * row-major.  For a layer that sums over many inputs (dense-like), scale
 * its weights down (by 1/sqrt(in)) afterwards so that its outputs stay of
 * order 1: the check's atol (1e-8) assumes a loss of order 1, and the
 * layer check's loss sums out x batch outputs. */
static inline void gc_ck_fill_normal(gc_layer *l, gc_pcg32 *rng)
{
    for (int p = 0; l != NULL && p < l->nparams; p++)
        for (size_t i = 0; i < (size_t)l->param[p].rows * (size_t)l->param[p].cols; i++)
            l->param[p].value[i] = gc_pcg32_normal(rng);
}

/* The worst failing row of r as "W[1][0]: analytic=... numeric=... rel=...
 * (fail)" into msg; when nothing is refuted, the worst undecided row as
 * "... (undecided: <reason>)"; "" when none. */
static inline void gc_ck_worst_row(const gc_report *r, char *msg, size_t size)
{
    const gc_row *w = NULL;
    int undecided = gc_report_failed(r) == 0;
    msg[0] = '\0';
    for (size_t i = 0; i < r->nrows; i++) {
        const gc_row *row = &r->rows[i];
        int bad = undecided ? row->verdict == GC_UNDECIDED
                            : row->verdict == GC_FAIL ||
                                  (row->verdict == GC_KINK && r->opts.strict_kinks);
        if (bad && (w == NULL || !(row->rel_err <= w->rel_err)))
            w = row;
    }
    if (w != NULL)
        snprintf(msg, size, "%s[%d][%d]: analytic=%.17g numeric=%.17g rel=%.3g bound=%.3g (%s%s%s)",
                 r->tensors[w->tensor].name, w->row, w->col, w->analytic, w->numeric,
                 w->rel_err, w->num_err, gc_verdict_name(w->verdict), undecided ? ": " : "",
                 undecided ? gc_reason_text(w->reason) : "");
    else if (undecided && r->nvacuous > 0)
        snprintf(msg, size, "%d vacuous tensor%s (zeros compared with zeros; allow_vacuous "
                 "accepts them)", r->nvacuous, r->nvacuous == 1 ? "" : "s");
}

/* The one-line summary of a report that is not confirmed: "N of M elements
 * fail" (refuted: a wrong gradient) or "undecided: N of M elements" (the
 * finite differences could neither confirm nor refute). */
static inline void gc_ck_status_line(const gc_report *r, char *msg, size_t size)
{
    if (gc_report_status(r) == GC_STATUS_REFUTED)
        snprintf(msg, size, "%d of %zu elements fail%s", r->nfail, r->nrows,
                 r->restored ? "" : ", parameters NOT restored");
    else
        snprintf(msg, size, "undecided (not a wrong gradient: the check could not decide): "
                 "%d of %zu elements", r->nundecided, r->nrows);
}

/* The first failed hygiene check of r as "hygiene 'batch' fails: ..."
 * into msg; "" when none failed (or none ran). */
static inline void gc_ck_hygiene_failure(const gc_report *r, char *msg, size_t size)
{
    msg[0] = '\0';
    for (int i = 0; r->hygiene != NULL && i < GC_HYGIENE_COUNT; i++)
        if (r->hygiene->check[i].status == GC_HYGIENE_FAIL) {
            snprintf(msg, size, "; hygiene '%s' fails: %s", gc_hygiene_name(i),
                     r->hygiene->check[i].detail);
            return;
        }
}

/* Run the layer check on l with `batch` examples and opts (NULL: defaults).
 * Returns 1 when every element is confirmed (gc_report_status is
 * GC_STATUS_CONFIRMED); else 0 -- refuted ("N of M elements fail") or
 * undecided ("undecided: ..." with the reason: not a wrong gradient) -- with a one-line
 * summary (layer type, shape, seed, worst element) in msg and, when log is
 * not NULL, the report's text table written to log.  No Check needed. */
static inline int gc_ck_layer_gradients(gc_layer *l, int batch, const gc_check_opts *opts,
                                        char *msg, size_t size, FILE *log)
{
    gc_check_opts o;
    if (opts != NULL)
        o = *opts;
    else
        gc_check_opts_init(&o);
    gc_report *r = NULL;
    gc_error err = {0, {0}}; /* both fields: C++ -Wextra warns on {0} */
    const char *type = l != NULL && l->ops != NULL ? l->ops->type : "(null)";
    int rc = gc_check_layer(l, batch, &o, &r, &err);
    if (rc != GC_OK) {
        snprintf(msg, size, "layer '%s': gc_check_layer: %s (%s)", type, gc_strerror(rc), err.msg);
        return 0;
    }
    int ok = gc_report_status(r) == GC_STATUS_CONFIRMED;
    if (!ok) {
        char worst[512], line[160], hygiene[320];
        gc_ck_worst_row(r, worst, sizeof worst);
        gc_ck_status_line(r, line, sizeof line);
        gc_ck_hygiene_failure(r, hygiene, sizeof hygiene);
        snprintf(msg, size,
                 "layer '%s' (in %d, out %d, batch %d, seed %" PRIu64 "): %s; worst %s%s%s",
                 type, l->in, l->out, batch, o.seed, line, worst[0] ? worst : "(none)", hygiene,
                 log != NULL ? " (table on stderr)" : "");
        if (log != NULL) {
            fprintf(log, "gradient check of layer '%s' %s:\n", type,
                    gc_report_failed(r) ? "failed" : "undecided");
            gc_report_write_text(r, log);
        }
    } else {
        msg[0] = '\0';
    }
    gc_report_free(r);
    return ok;
}

/* Case i of a randomized loop over `factory`: seeds a PCG32 with
 * (GC_SEED, i), builds the layer, draws batch (2..GC_CK_MAX_BATCH: a batch
 * of one hides every bug that mixes up examples) and the check's seed, and
 * runs gc_ck_layer_gradients with default options (hygiene included).
 * Returns 1 on pass; else 0 with msg naming GC_SEED and i. */
static inline int gc_ck_layer_case(gc_ck_layer_factory factory, int i, char *msg, size_t size,
                                   FILE *log)
{
    uint64_t base = gc_ck_base_seed();
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, base, (uint64_t)i);
    gc_layer *l = factory(&rng);
    if (l == NULL) {
        snprintf(msg, size, "GC_SEED=%" PRIu64 " case %d: the factory returned NULL", base, i);
        return 0;
    }
    int batch = 2 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH - 1);
    gc_check_opts o;
    gc_check_opts_init(&o);
    /* 63 bits, as the gradcheck command's --seed. */
    o.seed = ((uint64_t)gc_pcg32_next(&rng) << 32 | gc_pcg32_next(&rng)) >> 1;
    char inner[1024];
    int ok = gc_ck_layer_gradients(l, batch, &o, inner, sizeof inner, log);
    if (!ok)
        snprintf(msg, size, "GC_SEED=%" PRIu64 " case %d: %s", base, i, inner);
    else
        msg[0] = '\0';
    gc_layer_free(l);
    return ok;
}

/* Mutation testing of l (see <gradcheck/hygiene.h>): the layer check with
 * `nfaults` synthetic faults injected into backward's results, at batch
 * and opts (NULL: defaults).  Returns 1 when the check itself passes and
 * refutes at least min_rate (0..1) of the faults in EVERY tensor; else 0
 * with msg naming the weakest tensor and a surviving fault.  It tells a
 * layer's author that a pass at these settings would have caught a bug. */
static inline int gc_ck_layer_mutation(gc_layer *l, int batch, const gc_check_opts *opts,
                                       int nfaults, double min_rate, char *msg, size_t size)
{
    gc_check_opts o;
    if (opts != NULL)
        o = *opts;
    else
        gc_check_opts_init(&o);
    o.mutate = nfaults;
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    if (gc_check_layer(l, batch, &o, &r, &err) != GC_OK) {
        snprintf(msg, size, "gc_check_layer: %s", err.msg);
        return 0;
    }
    int ok = !gc_report_failed(r) && r->mutation != NULL && !r->mutation->baseline_failed;
    snprintf(msg, size, "%s", ok ? "" : "the check fails without faults");
    for (int t = 0; ok && t < r->ntensors; t++) {
        const gc_mutation_tensor *mt = &r->mutation->tensors[t];
        if (mt->nfaults == 0 || !((double)mt->nkilled < min_rate * mt->nfaults))
            continue;
        const gc_fault *f = r->mutation->faults;
        while (f->tensor != t || f->killed)
            f++;
        snprintf(msg, size, "layer '%s' (seed %" PRIu64 "): %s refutes %d of %d faults "
                 "(< %.0f%%), e.g. %s at (%d,%d) delta %g survives",
                 l->ops->type, o.seed, r->tensors[t].name, mt->nkilled, mt->nfaults,
                 100.0 * min_rate, gc_fault_kind_name(f->kind), f->row, f->col, f->delta);
        ok = 0;
    }
    gc_report_free(r);
    return ok;
}

/* Check assertion: gc_ck_layer_mutation(l, batch, opts, nfaults, min_rate). */
#define gc_ck_assert_layer_mutation(l, batch, opts, nfaults, min_rate)                    \
    do {                                                                                  \
        char gc_ck_msg_[1024];                                                            \
        int gc_ck_ok_ = gc_ck_layer_mutation((l), (batch), (opts), (nfaults), (min_rate), \
                                             gc_ck_msg_, sizeof gc_ck_msg_);              \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    } while (0)

/* Run gc_check_net on net (with data set) and opts (NULL: defaults).
 * Returns 1 when it passes; else 0 with a one-line summary in msg and the
 * text table written to log (when not NULL). */
static inline int gc_ck_net_gradients(gc_net *net, const gc_check_opts *opts, char *msg,
                                      size_t size, FILE *log)
{
    gc_report *r = NULL;
    gc_error err = {0, {0}}; /* both fields: C++ -Wextra warns on {0} */
    int rc = gc_check_net(net, opts, &r, &err);
    if (rc != GC_OK) {
        snprintf(msg, size, "gc_check_net: %s (%s)", gc_strerror(rc), err.msg);
        return 0;
    }
    int ok = gc_report_status(r) == GC_STATUS_CONFIRMED;
    if (!ok) {
        char worst[512], line[160];
        gc_ck_worst_row(r, worst, sizeof worst);
        gc_ck_status_line(r, line, sizeof line);
        snprintf(msg, size, "network check: %s; worst %s%s", line, worst,
                 log != NULL ? " (table on stderr)" : "");
        if (log != NULL) {
            fprintf(log, "gradient check of a network %s:\n",
                    gc_report_failed(r) ? "failed" : "undecided");
            gc_report_write_text(r, log);
        }
    } else {
        msg[0] = '\0';
    }
    gc_report_free(r);
    return ok;
}

/* Check assertion: the layer check of l passes (see gc_ck_layer_gradients);
 * fails the calling test at the caller's line, the table on stderr. */
#define gc_ck_assert_layer_gradients(l, batch, opts)                                      \
    do {                                                                                  \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = gc_ck_layer_gradients((l), (batch), (opts), gc_ck_msg_,           \
                                              sizeof gc_ck_msg_, stderr);                 \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    } while (0)

/* Check assertion: gc_check_net of net passes (see gc_ck_net_gradients). */
#define gc_ck_assert_net_gradients(net, opts)                                             \
    do {                                                                                  \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = gc_ck_net_gradients((net), (opts), gc_ck_msg_, sizeof gc_ck_msg_, \
                                            stderr);                                      \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    } while (0)

/* Define a Check loop test `name` over the layer factory `factory` (a
 * function gc_layer *factory(gc_pcg32 *rng)); register it with
 * gc_ck_add_layer_loop. */
#define GC_CK_LAYER_LOOP_TEST(name, factory)                                              \
    START_TEST(name)                                                                      \
    {                                                                                     \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = gc_ck_layer_case((factory), _i, gc_ck_msg_, sizeof gc_ck_msg_,    \
                                         stderr);                                         \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    }                                                                                     \
    END_TEST

/* Add the loop test `name` (from GC_CK_LAYER_LOOP_TEST) to tc for cases
 * 0 .. ncases-1. */
#define gc_ck_add_layer_loop(tc, name, ncases) tcase_add_loop_test((tc), (name), 0, (ncases))

/* ==== code as it is: function and scalar checks, plugin-shaped loops ====
 *
 *   gc_ck_assert_func_gradients(&f, opts)          one gc_check_func
 *   gc_ck_assert_scalar_gradients(&s, theta, opts) one gc_check_scalar
 *   GC_CK_FUNC_LOOP_TEST(name, factory, opts)      cases over a function factory
 *   GC_CK_PLUGIN_LOOP_TEST(name, factory, opts)    cases over a gc_layer_plugin
 *   GC_CK_ARGS_LOOP_TEST(name, factory, opts)      cases over a gc_layer_factory
 *
 * opts is a const gc_check_opts * (NULL: defaults); a loop case copies it
 * and draws its own seed.  A float32 function (any F32 tensor) or layer
 * (GC_CAP_FLOAT32) runs at GC_PRECISION_FLOAT32, with the float32 step and
 * tolerances where opts left float64's defaults (gradcheck/check.h). */

/* A function factory: fill f (gc_func_init, gc_func_add) with shapes and
 * state drawn from rng; f->destroy frees the state.  GC_OK or an error. */
typedef int (*gc_ck_func_factory)(gc_func *f, gc_pcg32 *rng);

/* 1 when r passes (gc_report_failed is 0); else 0 with "<what>: N of M
 * elements fail; worst ..." in msg and r's table on log (when not NULL). */
static inline int gc_ck_report_ok(const gc_report *r, const char *what, char *msg, size_t size,
                                  FILE *log)
{
    if (!gc_report_failed(r)) {
        msg[0] = '\0';
        return 1;
    }
    char worst[512];
    gc_ck_worst_row(r, worst, sizeof worst);
    snprintf(msg, size, "%s (seed %" PRIu64 "): %d of %zu elements fail%s; worst %s%s", what,
             r->opts.seed, r->nfail, r->nrows, r->restored ? "" : ", values NOT restored", worst,
             log != NULL ? " (table on stderr)" : "");
    if (log != NULL) {
        fprintf(log, "gradient check of %s failed:\n", what);
        gc_report_write_text(r, log);
    }
    return 0;
}

/* gc_check_func(f, opts) passes: 1, else 0 with msg (see gc_ck_report_ok). */
static inline int gc_ck_func_gradients(const gc_func *f, const gc_check_opts *opts, char *msg,
                                       size_t size, FILE *log)
{
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    int rc = gc_check_func(f, opts, &r, &err);
    if (rc != GC_OK) {
        snprintf(msg, size, "gc_check_func: %s (%s)", gc_strerror(rc), err.msg);
        return 0;
    }
    int ok = gc_ck_report_ok(r, "function", msg, size, log);
    gc_report_free(r);
    return ok;
}

/* gc_check_scalar(s, theta, opts) passes: 1, else 0 with msg. */
static inline int gc_ck_scalar_gradients(const gc_scalar *s, const void *theta,
                                         const gc_check_opts *opts, char *msg, size_t size,
                                         FILE *log)
{
    gc_report *r = NULL;
    gc_error err = {0, {0}};
    int rc = gc_check_scalar(s, theta, opts, &r, &err);
    if (rc != GC_OK) {
        snprintf(msg, size, "gc_check_scalar: %s (%s)", gc_strerror(rc), err.msg);
        return 0;
    }
    int ok = gc_ck_report_ok(r, "scalar function", msg, size, log);
    gc_report_free(r);
    return ok;
}

/* The options of loop case i: opts (NULL: defaults) with a 63-bit seed
 * drawn from rng, as the gradcheck command's --seed. */
static inline gc_check_opts gc_ck_case_opts(const gc_check_opts *opts, gc_pcg32 *rng)
{
    gc_check_opts o;
    if (opts != NULL)
        o = *opts;
    else
        gc_check_opts_init(&o);
    o.seed = ((uint64_t)gc_pcg32_next(rng) << 32 | gc_pcg32_next(rng)) >> 1;
    return o;
}

/* Case i over a function factory: PCG32(GC_SEED, i), the factory, the
 * check; f->destroy afterwards.  1 on pass, else 0 with msg naming GC_SEED
 * and i. */
static inline int gc_ck_func_case(gc_ck_func_factory factory, const gc_check_opts *opts, int i,
                                  char *msg, size_t size, FILE *log)
{
    uint64_t base = gc_ck_base_seed();
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, base, (uint64_t)i);
    gc_func f;
    gc_func_init(&f, NULL, NULL, NULL);
    int rc = factory(&f, &rng);
    char inner[1024];
    int ok = 0;
    if (rc != GC_OK) {
        snprintf(inner, sizeof inner, "the factory returned %s", gc_strerror(rc));
    } else {
        gc_check_opts o = gc_ck_case_opts(opts, &rng);
        ok = gc_ck_func_gradients(&f, &o, inner, sizeof inner, log);
    }
    gc_func_destroy(&f);
    if (!ok)
        snprintf(msg, size, "GC_SEED=%" PRIu64 " case %d: %s", base, i, inner);
    else
        msg[0] = '\0';
    return ok;
}

/* The layer check of l (owned: freed here) at batch, with opts (float32
 * when l declares GC_CAP_FLOAT32, as gc_check_layer does). */
static inline int gc_ck_built_layer(gc_layer *l, int batch, gc_check_opts o, char *msg,
                                    size_t size, FILE *log)
{
    int ok = gc_ck_layer_gradients(l, batch, &o, msg, size, log);
    gc_layer_free(l);
    return ok;
}

/* Case i over a plugin factory (gc_layer_plugin, <gradcheck/layer.h>): in
 * and out drawn in 1..GC_CK_MAX_BATCH, and out = in when the factory cannot
 * build in != out (an elementwise layer); batch drawn in 2..GC_CK_MAX_BATCH
 * (one example hides every bug that mixes examples); 1 on pass. */
static inline int gc_ck_plugin_case(gc_layer_plugin factory, const gc_check_opts *opts, int i,
                                    char *msg, size_t size, FILE *log)
{
    uint64_t base = gc_ck_base_seed();
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, base, (uint64_t)i);
    int in = 1 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH);
    int out = 1 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH);
    int batch = 2 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH - 1);
    gc_check_opts o = gc_ck_case_opts(opts, &rng);
    gc_layer *l = factory(in, out, &rng);
    if (l == NULL && out != in)
        l = factory(in, out = in, &rng);
    char inner[1024];
    int ok = 0;
    if (l == NULL)
        snprintf(inner, sizeof inner, "the factory returned NULL for in=%d out=%d", in, out);
    else
        ok = gc_ck_built_layer(l, batch, o, inner, sizeof inner, log);
    if (!ok)
        snprintf(msg, size, "GC_SEED=%" PRIu64 " case %d: %s", base, i, inner);
    else
        msg[0] = '\0';
    return ok;
}

/* Case i over a gc_layer_factory: as gc_ck_plugin_case, with args holding
 * in, out and rng and no hyper-parameters (the factory's defaults). */
static inline int gc_ck_args_case(gc_layer_factory factory, const gc_check_opts *opts, int i,
                                  char *msg, size_t size, FILE *log)
{
    uint64_t base = gc_ck_base_seed();
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, base, (uint64_t)i);
    gc_layer_args a;
    gc_layer_args_init(&a, 1 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH),
                       1 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH), &rng);
    int batch = 2 + (int)gc_pcg32_bounded(&rng, GC_CK_MAX_BATCH - 1);
    gc_check_opts o = gc_ck_case_opts(opts, &rng);
    gc_layer *l = factory(&a);
    if (l == NULL && a.out != a.in) {
        a.out = a.in;
        l = factory(&a);
    }
    char inner[1024];
    int ok = 0;
    if (l == NULL)
        snprintf(inner, sizeof inner, "the factory returned NULL for in=%d out=%d", a.in, a.out);
    else
        ok = gc_ck_built_layer(l, batch, o, inner, sizeof inner, log);
    if (!ok)
        snprintf(msg, size, "GC_SEED=%" PRIu64 " case %d: %s", base, i, inner);
    else
        msg[0] = '\0';
    return ok;
}

/* Check assertion: gc_check_func of f passes (f a gc_func *). */
#define gc_ck_assert_func_gradients(f, opts)                                              \
    do {                                                                                  \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = gc_ck_func_gradients((f), (opts), gc_ck_msg_, sizeof gc_ck_msg_,  \
                                             stderr);                                     \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    } while (0)

/* Check assertion: gc_check_scalar of s at theta passes. */
#define gc_ck_assert_scalar_gradients(s, theta, opts)                                     \
    do {                                                                                  \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = gc_ck_scalar_gradients((s), (theta), (opts), gc_ck_msg_,          \
                                               sizeof gc_ck_msg_, stderr);                \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    } while (0)

/* Define a Check loop test `name` whose case _i runs CASE(factory, opts,
 * _i, ...); register any of them with gc_ck_add_layer_loop. */
#define GC_CK_CASE_LOOP_TEST_(name, casefn, factory, opts)                                \
    START_TEST(name)                                                                      \
    {                                                                                     \
        char gc_ck_msg_[1536];                                                            \
        int gc_ck_ok_ = casefn((factory), (opts), _i, gc_ck_msg_, sizeof gc_ck_msg_,      \
                               stderr);                                                   \
        ck_assert_msg(gc_ck_ok_, "%s", gc_ck_msg_);                                       \
    }                                                                                     \
    END_TEST
#define GC_CK_FUNC_LOOP_TEST(name, factory, opts)                                         \
    GC_CK_CASE_LOOP_TEST_(name, gc_ck_func_case, factory, opts)
#define GC_CK_PLUGIN_LOOP_TEST(name, factory, opts)                                       \
    GC_CK_CASE_LOOP_TEST_(name, gc_ck_plugin_case, factory, opts)
#define GC_CK_ARGS_LOOP_TEST(name, factory, opts)                                         \
    GC_CK_CASE_LOOP_TEST_(name, gc_ck_args_case, factory, opts)

/* ==== end of the function and scalar checks ==== */

#ifdef __cplusplus
}
#endif

#endif
