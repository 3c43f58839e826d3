/*
 * opts.c -- the gradcheck command's flags: getopt_long, and a value check for
 * every flag so that a malformed value is one clear line, never a silent
 * default.  Numbers go through strtod/strtoll/strtoull with a full-string
 * check, a range check and no NaN or Inf: "--eps 1e-6x" is an error, not
 * 1e-6.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    OPT_NET = 256, OPT_ARCH, OPT_ACT, OPT_LOSS, OPT_BATCH, OPT_SEED, OPT_INIT,
    OPT_METHOD, OPT_EPS, OPT_RTOL, OPT_ATOL, OPT_PARAM, OPT_INPUTS, OPT_SAMPLE,
    OPT_STRICT_KINKS, OPT_ADAPTIVE, OPT_ENGINE, OPT_THREADS, OPT_SCREEN,
    OPT_FORMAT, OPT_LAYER, OPT_IN, OPT_OUT, OPT_WIDTH, OPT_EXPECT, OPT_SET, OPT_PRECISION,
    OPT_MAX_INPUT_BYTES, OPT_MAX_LAYERS, OPT_MAX_ELEMENTS, OPT_NO_FORK, OPT_PLUGIN_TIMEOUT,
    OPT_MUTATE, OPT_NO_HYGIENE, OPT_NONDET_TOL, OPT_ALLOW_VACUOUS,
    OPT_EXPLAIN, OPT_SWEEP, OPT_SWEEP_ELEMENT, OPT_SWEEP_RANGE, OPT_SWEEP_POINTS,
    OPT_SWEEP_ERROR, OPT_PLOT,
    OPT_SHARD
};

static const struct option long_opts[] = {
    {"net", required_argument, NULL, OPT_NET},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"act", required_argument, NULL, OPT_ACT},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"seed", required_argument, NULL, OPT_SEED},
    {"init", required_argument, NULL, OPT_INIT},
    {"method", required_argument, NULL, OPT_METHOD},
    {"eps", required_argument, NULL, OPT_EPS},
    {"rtol", required_argument, NULL, OPT_RTOL},
    {"atol", required_argument, NULL, OPT_ATOL},
    {"param", required_argument, NULL, OPT_PARAM},
    {"inputs", no_argument, NULL, OPT_INPUTS},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"strict-kinks", no_argument, NULL, OPT_STRICT_KINKS},
    {"allow-vacuous", no_argument, NULL, OPT_ALLOW_VACUOUS},
    {"adaptive", no_argument, NULL, OPT_ADAPTIVE},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"screen", no_argument, NULL, OPT_SCREEN},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"layer", required_argument, NULL, OPT_LAYER},
    {"in", required_argument, NULL, OPT_IN},
    {"out", required_argument, NULL, OPT_OUT},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"set", required_argument, NULL, OPT_SET},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"max-input-bytes", required_argument, NULL, OPT_MAX_INPUT_BYTES},
    {"max-layers", required_argument, NULL, OPT_MAX_LAYERS},
    {"max-elements", required_argument, NULL, OPT_MAX_ELEMENTS},
    {"no-fork", no_argument, NULL, OPT_NO_FORK},
    {"plugin-timeout", required_argument, NULL, OPT_PLUGIN_TIMEOUT},
    {"mutate", required_argument, NULL, OPT_MUTATE},
    {"no-hygiene", optional_argument, NULL, OPT_NO_HYGIENE},
    {"nondet-tol", required_argument, NULL, OPT_NONDET_TOL},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"sweep", no_argument, NULL, OPT_SWEEP},
    {"sweep-element", required_argument, NULL, OPT_SWEEP_ELEMENT},
    {"sweep-range", required_argument, NULL, OPT_SWEEP_RANGE},
    {"sweep-points", required_argument, NULL, OPT_SWEEP_POINTS},
    {"sweep-error", required_argument, NULL, OPT_SWEEP_ERROR},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}
};

/* Leading ':' so that a missing argument is reported as ':' (not '?'),
 * and getopt itself prints nothing. */
static const char short_opts[] = ":o:qhV";

static int fail(char *msg, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    cli_one_line(msg);
    return 2;
}

void cli_one_line(char *msg)
{
    for (; *msg != '\0'; msg++)
        if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
            *msg = '?';
}

/* A finite double, the whole string, > 0 (positive) or >= 0. */
static int parse_double(const char *flag, const char *s, int positive, double *out,
                        char *msg, size_t size)
{
    const char *what = positive ? "a positive number" : "a non-negative number";
    char *end = NULL;
    if (s[0] == '\0' || isspace((unsigned char)s[0]))
        return fail(msg, size, "%s: expected %s, got '%s'", flag, what, s);
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        return fail(msg, size, "%s: expected %s, got '%s'", flag, what, s);
    /* Overflow (1e999) and underflow (1e-400) both set ERANGE. */
    if (errno == ERANGE)
        return fail(msg, size, "%s: '%s' is out of the range of a double", flag, s);
    if (isnan(v) || isinf(v))
        return fail(msg, size, "%s: expected %s, got '%s'", flag, what, s);
    if (positive ? !(v > 0.0) : !(v >= 0.0))
        return fail(msg, size, "%s: expected %s, got '%s'", flag, what, s);
    *out = v;
    return 0;
}

/* --shard K/N: 1 <= K <= N <= 1000000. */
static int parse_shard(const char *s, gc_check_opts *c, char *msg, size_t size)
{
    int k, n, used = 0;
    if (sscanf(s, "%d/%d%n", &k, &n, &used) != 2 || s[used] != '\0' || !isdigit((unsigned char)s[0]) ||
        n < 1 || n > 1000000 || k < 1 || k > n)
        return fail(msg, size, "--shard: expected K/N with 1 <= K <= N (as 2/3), got '%s'", s);
    c->shard = k;
    c->nshards = n;
    return 0;
}

/* A decimal integer in [lo, hi], the whole string. */
static int parse_int(const char *flag, const char *s, long long lo, long long hi, long long *out,
                     char *msg, size_t size)
{
    char *end = NULL;
    if (s[0] == '\0' || isspace((unsigned char)s[0]))
        goto bad;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0')
        goto bad;
    if (errno == ERANGE || v < lo || v > hi)
        goto bad;
    *out = v;
    return 0;
bad:
    if (lo == 0)
        return fail(msg, size, "%s: expected an integer from 0 to %lld, got '%s'", flag, hi, s);
    return fail(msg, size, "%s: expected an integer from %lld to %lld, got '%s'", flag, lo, hi, s);
}

/* A seed: a decimal integer in [0, 2^63 - 1].  The JSON report holds it as
 * a JSON integer, which jansson (and many readers) keep in a signed 64-bit
 * int, so larger seeds would not print back as given.  strtoull would wrap
 * "-1", so a sign is rejected before it. */
static int parse_seed(const char *s, uint64_t *out, char *msg, size_t size)
{
    char *end = NULL;
    if (s[0] < '0' || s[0] > '9')
        goto bad;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > (unsigned long long)INT64_MAX)
        goto bad;
    *out = (uint64_t)v;
    return 0;
bad:
    return fail(msg, size, "--seed: expected an integer from 0 to %lld, got '%s'",
                (long long)INT64_MAX, s);
}

/* An entry of a list of names, name_at(0), name_at(1), ... up to the first
 * NULL; *out gets its index.  The message lists them. */
static int parse_choice(const char *flag, const char *s, const char *(*name_at)(int),
                        int *out, char *msg, size_t size)
{
    char list[128] = "";
    for (int i = 0; name_at(i) != NULL; i++) {
        if (strcmp(s, name_at(i)) == 0) {
            *out = i;
            return 0;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", name_at(i));
    }
    return fail(msg, size, "%s: expected one of %s, got '%s'", flag, list, s);
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The library's names (its tables, in enum order); the formats are the command's. */
static const char *const format_names[] = {"text", "json", "junit"};

static const char *format_at(int i)
{
    return i >= 0 && i < COUNT(format_names) ? format_names[i] : NULL;
}

static const char *method_at(int i)
{
    const char *s = gc_method_name((gc_method)i);
    return strcmp(s, "?") != 0 ? s : NULL;
}

static const char *engine_at(int i)
{
    const char *s = gc_engine_name((gc_engine)i);
    return strcmp(s, "?") != 0 ? s : NULL;
}

static const char *init_at(int i)
{
    return gc_init_name((gc_init)i);
}

/* In gc_precision's order. */
static const char *precision_at(int i)
{
    static const char *const names[] = {"float64", "float32"};
    return i >= 0 && i < COUNT(names) ? names[i] : NULL;
}

/* --sweep-error: index 1 is relative (gc_sweep_opts.relative). */
static const char *const error_names[] = {"abs", "rel"};

static const char *error_at(int i)
{
    return i >= 0 && i < COUNT(error_names) ? error_names[i] : NULL;
}

/* --no-hygiene (every check) or --no-hygiene=NAME[,NAME...]. */
static int parse_no_hygiene(const char *s, unsigned *off, char *msg, size_t size)
{
    if (s == NULL) {
        *off = GC_HYGIENE_ALL;
        return 0;
    }
    char name[32];
    for (const char *p = s;; p++) {
        size_t n = strcspn(p, ",");
        unsigned bit = 0;
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        if (n >= sizeof name || gc_hygiene_from_name(name, &bit) != GC_OK) {
            char list[128] = "";
            for (int i = 0; i < GC_HYGIENE_COUNT; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         gc_hygiene_name(i));
            return fail(msg, size, "--no-hygiene: unknown check '%.*s' (expected %s)", (int)n,
                        p, list);
        }
        *off |= bit;
        p += n;
        if (*p == '\0')
            return 0;
    }
}

/* The largest limit a flag may set: 2^53, beyond any file or memory. */
#define LIMIT_MAX (1LL << 53)

/* The flags that apply to one kind of check only, given elsewhere: a
 * silently ignored flag would be a lie, so each is an error. */
static int scope_flags(const cli_opts *o, char *msg, size_t size)
{
    if (o->net_limit_set != NULL && o->net_path == NULL)
        return fail(msg, size, "%s: applies to --net only (a limit on network files)",
                    o->net_limit_set);
    if (o->elements_set && o->net_path == NULL && o->arch == NULL)
        return fail(msg, size, "--max-elements: applies to --net and --arch only");
    if (o->plugin_flag_set != NULL && o->net_path == NULL &&
        (o->layer == NULL || strchr(o->layer, ':') == NULL))
        return fail(msg, size, "%s: applies to --layer LIB.so:FACTORY and --net only (plugins)",
                    o->plugin_flag_set);
    return 0;
}

/* The flags of a --layer check, once every flag is read.  A layer check has
 * no loss and no activations of its own (L = sum(R .* layer(X))), and
 * gc_check_layer always runs the reference engine: those flags would be
 * silently ignored, so they are errors. */
static int layer_flags(cli_opts *o, char *msg, size_t size)
{
    if (o->act_set)
        return fail(msg, size, "--act: applies to --arch only (to check an activation alone: "
                    "--layer NAME)");
    if (o->loss_set)
        return fail(msg, size, "--loss: applies to --arch and --net only (a layer check's loss "
                    "is sum(R .* layer(X)))");
    if (o->engine_set && o->check.engine != GC_ENGINE_REFERENCE)
        return fail(msg, size, "--engine: a layer check always runs the reference engine");
    if (o->threads_set || o->check.screen)
        return fail(msg, size, "%s: applies to the fast engine, and a layer check always runs "
                    "the reference", o->threads_set ? "--threads" : "--screen");
    if (o->width_set && (o->in_set || o->out_set))
        return fail(msg, size, "--width: sets both --in and --out: give it or them, not both");
    if (!o->in_set && !o->width_set)
        return fail(msg, size, "--layer: give the layer's input width, --in N (or --width N)");
    if (!o->out_set && !o->width_set)
        o->out = o->in;
    /* Batch 2 unless said: one example hides every bug that mixes examples. */
    if (!o->batch_set)
        o->batch = 2;
    /* A plugin's factory draws its own parameters; only a built-in dense
     * is drawn per --init. */
    if (o->args.n > 0 && strchr(o->layer, ':') == NULL)
        return fail(msg, size, "--set: applies to plugin layers (LIB.so:FACTORY) only");
    if (o->init_set && strchr(o->layer, ':') != NULL)
        return fail(msg, size, "--init: applies to built-in layers only (a plugin's factory "
                    "draws its own parameters)");
    /* So that the report's options say what ran: the reference engine, and
     * the input x checked unless --param leaves it out. */
    o->check.engine = GC_ENGINE_REFERENCE;
    int has_x = 0;
    for (int i = 0; i < o->nparams; i++)
        has_x |= strcmp(o->params[i], "x") == 0;
    /* --inputs with --param W: W and x, as with a network.  params has a
     * slot per argument and --inputs took one without using it. */
    if (o->check.inputs && o->nparams > 0 && !has_x) {
        o->params[o->nparams++] = "x";
        has_x = 1;
    }
    o->check.inputs = o->nparams == 0 || has_x;
    o->check.seed = o->seed;
    o->check.params = o->nparams > 0 ? o->params : NULL;
    return 0;
}

/* --sweep-range MAX:MIN, both positive, MAX > MIN. */
static int parse_range(const char *s, gc_sweep_opts *so, char *msg, size_t size)
{
    const char *colon = strchr(s, ':');
    char hi[64];
    if (colon == NULL || (size_t)(colon - s) >= sizeof hi)
        return fail(msg, size, "--sweep-range: expected MAX:MIN such as 1e-1:1e-12, got '%s'", s);
    memcpy(hi, s, (size_t)(colon - s));
    hi[colon - s] = '\0';
    double a, b;
    if (parse_double("--sweep-range", hi, 1, &a, msg, size) != 0 ||
        parse_double("--sweep-range", colon + 1, 1, &b, msg, size) != 0)
        return 2;
    if (!(a > b))
        return fail(msg, size, "--sweep-range: MAX must exceed MIN, got '%s'", s);
    so->eps_max = a;
    so->eps_min = b;
    return 0;
}

/* --plot FILE: a .png or .svg name (case aside), the picture's format. */
static int parse_plot(const char *s, char *msg, size_t size)
{
    const char *dot = strrchr(s, '.');
    if (dot == NULL || (strcasecmp(dot, ".png") != 0 && strcasecmp(dot, ".svg") != 0))
        return fail(msg, size, "--plot: expected a file name ending in .png or .svg, got '%s'",
                    s);
    return 0;
}

/* What --explain, --sweep and --plot need of the rest of the command line. */
static int teaching_flags(const cli_opts *o, const char *sweep_flag, char *msg, size_t size)
{
    if (sweep_flag != NULL && !o->sweep)
        return fail(msg, size, "%s: applies to --sweep only", sweep_flag);
    const char *flag = o->explain ? "--explain" : o->sweep ? "--sweep" : NULL;
    if (flag != NULL && o->layer != NULL)
        return fail(msg, size, "%s: applies to a network (--net or --arch), not --layer", flag);
    if (o->explain && o->sweep)
        return fail(msg, size, "--explain and --sweep: give one (the walkthrough or the h-curve)");
    if (o->expect != NULL && o->sweep)
        return fail(msg, size, "--expect and --sweep: give one (the comparison or the h-curve)");
    if (o->explain && o->format != CLI_TEXT)
        return fail(msg, size, "--explain: prints a text walkthrough: it takes --format text");
    return 0;
}

int cli_parse(int argc, char **argv, cli_opts *o, char *msg, size_t size)
{
    memset(o, 0, sizeof *o);
    gc_check_opts_init(&o->check);
    o->act = "sigmoid";
    o->loss = "bce";
    o->batch = 1;
    o->seed = o->check.seed;
    o->init = GC_INIT_AUTO;
    o->format = CLI_TEXT;
    gc_net_limits_init(&o->limits);
    o->plugin_timeout = CLI_PLUGIN_TIMEOUT;
    gc_sweep_opts_init(&o->sweep_opts);
    /* At most one --param (and one --sweep-element) per argument, plus the
     * terminating NULL. */
    o->params = calloc((size_t)argc + 1, sizeof *o->params);
    o->sweep_elems = calloc((size_t)argc + 1, sizeof *o->sweep_elems);
    if (o->params == NULL || o->sweep_elems == NULL)
        return fail(msg, size, "out of memory");

    /* 0, not 1: glibc then also resets its position inside a cluster of
     * short options ("-qh"), so a second parse starts clean */
    optind = 0;
    opterr = 0;
    int c, rc = 0, v = 0, tol_set = 0;
    long long n = 0;
    const char *sweep_flag = NULL; /* the last --sweep-range/-points/-error given */
    while (rc == 0 && (c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_NET: o->net_path = optarg; break;
        case OPT_ARCH: o->arch = optarg; break;
        case OPT_LAYER:
            if (optarg[0] == '\0')
                rc = fail(msg, size, "--layer: expected a layer name or LIB.so:FACTORY, got ''");
            o->layer = optarg;
            break;
        case OPT_IN:
            rc = parse_int("--in", optarg, 1, GC_ARCH_MAX_WIDTH, &n, msg, size);
            o->in = (int)n;
            o->in_set = 1;
            break;
        case OPT_OUT:
            rc = parse_int("--out", optarg, 1, GC_ARCH_MAX_WIDTH, &n, msg, size);
            o->out = (int)n;
            o->out_set = 1;
            break;
        case OPT_WIDTH:
            rc = parse_int("--width", optarg, 1, GC_ARCH_MAX_WIDTH, &n, msg, size);
            o->in = o->out = (int)n;
            o->width_set = 1;
            break;
        case OPT_ACT: o->act = optarg; o->act_set = 1; break;
        case OPT_LOSS: o->loss = optarg; o->loss_set = 1; break;
        case OPT_BATCH:
            rc = parse_int("--batch", optarg, 1, GC_ARCH_MAX_BATCH, &n, msg, size);
            o->batch = (int)n;
            o->batch_set = 1;
            break;
        case OPT_SEED: rc = parse_seed(optarg, &o->seed, msg, size); break;
        case OPT_INIT:
            rc = parse_choice("--init", optarg, init_at, &v, msg, size);
            if (rc == 0)
                o->init = (gc_init)v;
            o->init_set = 1;
            break;
        case OPT_METHOD:
            rc = parse_choice("--method", optarg, method_at, &v, msg, size);
            if (rc == 0)
                o->check.method = (gc_method)v;
            break;
        case OPT_EPS: rc = parse_double("--eps", optarg, 1, &o->check.eps, msg, size); break;
        case OPT_RTOL:
            rc = parse_double("--rtol", optarg, 0, &o->check.rtol, msg, size);
            tol_set |= 1;
            break;
        case OPT_ATOL:
            rc = parse_double("--atol", optarg, 0, &o->check.atol, msg, size);
            tol_set |= 2;
            break;
        case OPT_PARAM:
            if (optarg[0] == '\0' || strlen(optarg) >= GC_NAME_MAX)
                rc = fail(msg, size, "--param: expected a tensor name such as W1, got '%s'",
                          optarg);
            else
                o->params[o->nparams++] = optarg;
            break;
        case OPT_INPUTS: o->check.inputs = 1; break;
        case OPT_SAMPLE:
            rc = parse_int("--sample", optarg, 1, 1000000000LL, &n, msg, size);
            o->check.sample = (int)n;
            break;
        case OPT_STRICT_KINKS: o->check.strict_kinks = 1; break;
        case OPT_ALLOW_VACUOUS: o->check.allow_vacuous = 1; break;
        case OPT_ADAPTIVE: o->check.adaptive = 1; break;
        case OPT_ENGINE:
            rc = parse_choice("--engine", optarg, engine_at, &v, msg, size);
            if (rc == 0)
                o->check.engine = (gc_engine)v;
            o->engine_set = 1;
            break;
        case OPT_THREADS:
            rc = parse_int("--threads", optarg, 0, 4096, &n, msg, size);
            o->check.threads = (int)n;
            o->threads_set = 1;
            break;
        case OPT_SCREEN: o->check.screen = 1; break;
        case OPT_SET: {
            gc_error e = {0, {0}};
            if (gc_layer_args_parse(&o->args, optarg, &e) != GC_OK)
                rc = fail(msg, size, "--set: %s", e.msg);
            break;
        }
        case OPT_PRECISION:
            rc = parse_choice("--precision", optarg, precision_at, &v, msg, size);
            if (rc == 0)
                o->check.precision = (gc_precision)v;
            break;
        case OPT_SHARD: rc = parse_shard(optarg, &o->check, msg, size); break;
        case OPT_FORMAT:
            rc = parse_choice("--format", optarg, format_at, &v, msg, size);
            if (rc == 0)
                o->format = (cli_format)v;
            break;
        case OPT_MAX_INPUT_BYTES:
            rc = parse_int("--max-input-bytes", optarg, 0, LIMIT_MAX, &o->limits.max_bytes, msg,
                           size);
            o->net_limit_set = o->net_limit_set ? o->net_limit_set : "--max-input-bytes";
            break;
        case OPT_MAX_LAYERS:
            rc = parse_int("--max-layers", optarg, 1, LIMIT_MAX, &o->limits.max_layers, msg, size);
            o->net_limit_set = o->net_limit_set ? o->net_limit_set : "--max-layers";
            break;
        case OPT_MAX_ELEMENTS:
            rc = parse_int("--max-elements", optarg, 1, LIMIT_MAX, &o->limits.max_elements, msg,
                           size);
            o->elements_set = 1;
            break;
        case OPT_NO_FORK: o->no_fork = 1; o->plugin_flag_set = "--no-fork"; break;
        case OPT_PLUGIN_TIMEOUT:
            rc = parse_int("--plugin-timeout", optarg, 0, 86400, &n, msg, size);
            o->plugin_timeout = (int)n;
            o->plugin_flag_set = "--plugin-timeout";
            break;
        case OPT_MUTATE:
            rc = parse_int("--mutate", optarg, 1, 100000, &n, msg, size);
            o->check.mutate = (int)n;
            break;
        case OPT_NO_HYGIENE:
            rc = parse_no_hygiene(optarg, &o->check.no_hygiene, msg, size);
            o->layer_only_set = "--no-hygiene";
            break;
        case OPT_NONDET_TOL:
            rc = parse_double("--nondet-tol", optarg, 0, &o->check.nondet_tol, msg, size);
            o->layer_only_set = "--nondet-tol";
            break;
        case OPT_EXPLAIN: o->explain = 1; break;
        case OPT_SWEEP: o->sweep = 1; break;
        case OPT_SWEEP_ELEMENT:
            if (gc_element_parse(optarg, &o->sweep_elems[o->nsweep_elems]) != GC_OK)
                rc = fail(msg, size, "--sweep-element: expected TENSOR[ROW,COL] such as "
                          "W1[0,1], got '%s'", optarg);
            o->nsweep_elems++;
            o->sweep = 1;
            break;
        case OPT_SWEEP_RANGE:
            rc = parse_range(optarg, &o->sweep_opts, msg, size);
            sweep_flag = "--sweep-range";
            break;
        case OPT_SWEEP_POINTS:
            sweep_flag = "--sweep-points";
            rc = parse_int("--sweep-points", optarg, 2, GC_SWEEP_MAX_POINTS, &n, msg, size);
            o->sweep_opts.points = (int)n;
            break;
        case OPT_SWEEP_ERROR:
            sweep_flag = "--sweep-error";
            rc = parse_choice("--sweep-error", optarg, error_at, &v, msg, size);
            o->sweep_opts.relative = v;
            break;
        case OPT_PLOT:
            rc = parse_plot(optarg, msg, size);
            o->plot = optarg;
            break;
        case 'o':
            if (optarg[0] == '\0')
                rc = fail(msg, size, "--output: expected a file name, got ''");
            o->output = optarg;
            break;
        case OPT_EXPECT:
            if (optarg[0] == '\0')
                rc = fail(msg, size, "--expect: expected a file name, got ''");
            o->expect = optarg;
            break;
        case 'q': o->quiet = 1; break;
        case 'h': o->help = 1; break;
        case 'V': o->version = 1; break;
        case ':':
            /* optind has moved past the option that lacks its argument. */
            rc = fail(msg, size, "%s: missing argument", argv[optind - 1]);
            break;
        default: /* '?' */
            if (optopt != 0 && optopt < 256)
                rc = fail(msg, size, "unknown option '-%c' (see gradcheck --help)", optopt);
            else
                rc = fail(msg, size, "unknown option '%s' (see gradcheck --help)",
                          argv[optind - 1]);
            break;
        }
    }
    if (rc != 0)
        return rc;
    /* float32's own tolerances unless given (its step comes with eps 0) */
    if (o->check.precision == GC_PRECISION_FLOAT32) {
        if (!(tol_set & 1))
            o->check.rtol = GC_DEFAULT_RTOL_FLOAT32;
        if (!(tol_set & 2))
            o->check.atol = GC_DEFAULT_ATOL_FLOAT32;
    }
    if (o->help || o->version)
        return 0;
    if (optind < argc)
        return fail(msg, size, "unexpected argument '%s' (see gradcheck --help)", argv[optind]);
    if (o->net_path != NULL && o->arch != NULL)
        return fail(msg, size, "--net and --arch: give one network, not both");
    if (o->layer != NULL && (o->net_path != NULL || o->arch != NULL))
        return fail(msg, size, "--layer and %s: check one layer or one network, not both",
                    o->net_path != NULL ? "--net" : "--arch");
    if ((rc = teaching_flags(o, sweep_flag, msg, size)) != 0)
        return rc;
    if (o->expect != NULL && o->layer != NULL)
        return fail(msg, size, "--expect: applies to a network (--net or --arch), not to "
                    "--layer");
    if (o->check.nshards > 0 && (o->explain || o->sweep || o->plot != NULL))
        return fail(msg, size, "--shard: not with %s (it reads the whole check)",
                    o->explain ? "--explain" : o->sweep ? "--sweep" : "--plot");
    if (o->check.nshards > 0 && o->check.mutate > 0)
        return fail(msg, size, "--shard: not with --mutate (a mutation run is not split)");
    if (o->check.nshards > 0 && o->layer != NULL && o->check.no_hygiene != GC_HYGIENE_ALL)
        return fail(msg, size, "--shard: with --layer give --no-hygiene (the hygiene checks "
                    "are one run, not split)");
    if (o->expect != NULL && o->check.nshards > 0)
        return fail(msg, size, "--expect: compares the whole check, and --shard checks one "
                    "part of it");
    if (o->expect != NULL && o->check.screen)
        return fail(msg, size, "--expect: compares every checked element, and --screen checks "
                    "no element of a tensor its screen passes");
    if ((rc = scope_flags(o, msg, size)) != 0)
        return rc;
    if (o->layer != NULL)
        return layer_flags(o, msg, size);
    if (o->net_path == NULL && o->arch == NULL)
        return fail(msg, size, "no network: give --net FILE or --arch WIDTHS (or --layer to "
                    "check one layer; see gradcheck --help)");
    {
        const char *flag = o->in_set ? "--in" : o->out_set ? "--out"
                         : o->width_set ? "--width" : o->args.n > 0 ? "--set" : NULL;
        if (flag != NULL || (flag = o->layer_only_set) != NULL)
            return fail(msg, size, "%s: applies to --layer only", flag);
    }
    if (o->net_path != NULL) {
        const char *flag = o->act_set ? "--act" : o->loss_set ? "--loss"
                         : o->batch_set ? "--batch" : NULL;
        if (flag != NULL)
            return fail(msg, size, "%s: applies to --arch only (a --net file says it itself)", flag);
    }
    /* The walkthrough explains the plain method: the reference engine's
     * numbers are the ones a reader can redo by hand. */
    if (o->explain && !o->engine_set && !o->check.screen)
        o->check.engine = GC_ENGINE_REFERENCE;
    o->sweep_opts.rtol = o->check.rtol;
    o->sweep_opts.atol = o->check.atol;
    o->check.seed = o->seed;
    o->check.params = o->nparams > 0 ? o->params : NULL;
    return 0;
}

/* %g without the exponent's leading zero: 1e-05 -> 1e-5. */
static const char *short_g(char *buf, size_t size, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%g", v);
    char *e = strstr(tmp, "e-0");
    if (e != NULL)
        memmove(e + 2, e + 3, strlen(e + 3) + 1);
    snprintf(buf, size, "%s", tmp);
    return buf;
}

void cli_usage(FILE *f)
{
    gc_check_opts d;
    char eps[32], eps_r[32], rtol[32], atol[32];
    gc_net_limits lim;
    gc_check_opts_init(&d);
    gc_net_limits_init(&lim);
    short_g(eps, sizeof eps, gc_method_default_eps(GC_METHOD_CENTRAL));
    short_g(eps_r, sizeof eps_r, gc_method_default_eps(GC_METHOD_RICHARDSON));
    short_g(rtol, sizeof rtol, d.rtol);
    short_g(atol, sizeof atol, d.atol);
    char smax[32], smin[32];
    short_g(smax, sizeof smax, GC_SWEEP_EPS_MAX);
    short_g(smin, sizeof smin, GC_SWEEP_EPS_MIN);
    fprintf(f,
"Usage: gradcheck --net FILE.json [options]\n"
"       gradcheck --arch 2-2-1 [--act sigmoid[,tanh,...]] [--loss bce] [--batch B] [options]\n"
"       gradcheck --layer LIB.so:FACTORY|NAME --in N [--out M] [--batch B] [options]\n"
"       gradcheck merge [--format F] [-o FILE] [-q] SHARD.json ...\n"
"\n"
"Check a network's backprop gradients against finite differences, element by\n"
"element, and report per-parameter relative errors.\n"
"\n"
"Network (exactly one of --net, --arch and --layer):\n"
"  --net FILE          network file (JSON); W and b it omits are drawn per --init\n"
"  --arch WIDTHS       dense layers of these widths, input first: 2-2-1\n"
"  --act ACTS          activation after each dense layer, one for all or one per\n"
"                      layer, comma-separated: identity, sigmoid, tanh, relu,\n"
"                      leaky_relu, elu, softplus, gelu, softmax [sigmoid]\n"
"  --loss LOSS         bce, bce_logits, mse or softmax_ce [bce]\n"
"  --batch B           examples in the random batch, 1 or more [1; 2 with --layer]\n"
"  --seed S            PCG32 seed of parameters, data and sampling [%llu]\n"
"  --init INIT         uniform, xavier, he or auto, for parameters drawn: auto\n"
"                      is he before relu-like activations, else xavier, with\n"
"                      small nonzero biases; uniform is the classic U[0, 1)\n"
"                      [auto]\n"
"  With --arch, the inputs x are N(0, 1) and the targets valid for the loss\n"
"  (0/1 for bce and bce_logits, one-hot for softmax_ce, N(0, 1) for mse), all\n"
"  drawn from the seed: the same command line gives the same report.\n"
"\n"
"One layer alone (instead of a network):\n"
"  --layer LIB.so:FACTORY\n"
"                      load a shared object and call its factory,\n"
"                      gc_layer *FACTORY(int in, int out, gc_pcg32 *rng),\n"
"                      with rng seeded from --seed (see <gradcheck/layer.h>);\n"
"                      LIB.so without '/' is in the current directory\n"
"  --layer NAME        a built-in: dense (W and b drawn per --init) or an\n"
"                      activation (sigmoid, relu, ..., as --act)\n"
"  --set NAME=V,...    hyper-parameters for a factory declared with\n"
"                      GC_LAYER_FACTORY (gc_layer *FACTORY(gc_layer_args *));\n"
"                      repeat or comma-separate; every one must be read\n"
"  --in N              the layer's input width (required)\n"
"  --out M             its output width [N]\n"
"  --width N           --in N --out N\n"
"  The check is L = sum(R .* layer(X)), X (N x B) and R (M x B) drawn\n"
"  U[-1, 1) from the seed: every parameter tensor and the input x are\n"
"  checked (--param selects), always with the reference engine.\n"
"  A plugin runs in a child process: a crash or a hang in it is exit 2 and\n"
"  one line naming the call (\"plugin crashed in backward: SIGSEGV\"); so\n"
"  does the load and check of a --net file that names a plugin layer.\n"
"  --plugin-timeout S  stop a plugin's check after S seconds, 0 = never [%d]\n"
"  --no-fork           run the plugin in this process (for gdb, valgrind)\n"
"\n"
"Limits (a file cannot make gradcheck allocate without bound):\n"
"  --max-input-bytes N largest --net file read, in bytes [%lld]\n"
"  --max-layers N      most layers in a --net file [%lld]\n"
"  --max-elements N    most elements a --net or --arch network holds:\n"
"                      parameters, and every layer's input and output for\n"
"                      each example (about 16 bytes each) [%lld]\n"
"  Then the hygiene checks: backward into NaN-filled outputs (overwrite),\n"
"  twice with equal results (reentrant), a second call adding the same\n"
"  gradient again (accumulate), the check again at other parameters\n"
"  (second-point) and, after --batch 1, at batch 3 (batch).\n"
"  --no-hygiene[=LIST]\n"
"                      skip them all, or the ones named (comma-separated)\n"
"                      [all run]\n"
"  --nondet-tol T      reentrant: allow |difference| <= T, >= 0 [0: equal]\n"
"\n"
"Check:\n"
"  --method M          central, forward or richardson [%s]\n"
"  --eps E             finite-difference step, > 0 [%s; %s for richardson]\n"
"  --rtol R            relative tolerance, >= 0 [%s]\n"
"  --atol A            absolute tolerance, >= 0 [%s]\n"
"  --param NAME        check only this tensor (W1, b1, ..., or x for the input);\n"
"                      repeat for more [every tensor]\n"
"  --inputs            also check dL/dX, as tensor x [off]\n"
"  --sample N          check N elements of every tensor (all of a smaller one)\n"
"                      [every element]\n"
"  --strict-kinks      count kinks (non-differentiable points) as failures [off]\n"
"  --allow-vacuous     a vacuous tensor (zeros compared with zeros) does not\n"
"                      make the exit status 3 [off]\n"
"  --adaptive          pass band from each element's own error estimate [off]\n"
"  --engine E          reference or fast [%s]\n"
"  --threads N         threads for the fast engine, 0 = all cores (fewer for a\n"
"                      small check) [%d]\n"
"  --screen            random-direction screen of each tensor first [off]\n"
"  --precision P       float64 or float32: the element type the code under test\n"
"                      computes in (a layer may declare float32); float32\n"
"                      perturbs by floats, steps 2^-8 max(1, |θ|), rtol 3e-4,\n"
"                      atol 1e-6 and a band floor of 6.1e-5 max|a| per tensor\n"
"                      unless given [float64]\n"
"  --mutate N          inject N synthetic faults into backward's results (of\n"
"                      the layer, or of the network layer holding the tensor),\n"
"                      one check each, and report per tensor how many the\n"
"                      check refutes and which survive [off]\n"
"  --shard K/N         check only the K-th of N parts of about equal cost (for\n"
"                      CI matrices and job arrays); gradcheck merge of all N\n"
"                      parts' JSON gives the whole report [the whole check]\n"
"\n"
"Teaching (--explain and --sweep need a network):\n"
"  --explain           before the table, the classic notes' walkthrough: the\n"
"                      forward pass (z1 = W1 x + b1, a1 = sigmoid(z1), ...), the\n"
"                      cache, the backward pass (dz2, dW2, db2, dz1, ...) and\n"
"                      the worst element's finite difference by hand; runs\n"
"                      the reference engine unless --engine or --screen\n"
"                      says otherwise [off]\n"
"  --sweep             the h-curve instead of the report: the error of\n"
"                      forward, central and richardson differences at each\n"
"                      step, the best step of each beside the theory's, for\n"
"                      the 3 worst elements and the worst of each tensor;\n"
"                      the exit status stays the check's\n"
"  --sweep-element T[R,C]\n"
"                      sweep this element instead (W1[0,1], x[0,0]); repeat\n"
"                      for more; implies --sweep\n"
"  --sweep-range MAX:MIN  steps from MAX down to MIN [%s:%s]\n"
"  --sweep-points N    log-spaced steps in the range, 2 to %d [%d]\n"
"  --sweep-error E     rel (|a-n|/max(|a|,|n|)) or abs (|a-n|) [rel]\n"
"  --plot FILE         a picture, PNG or SVG by FILE's extension, drawn by\n"
"                      gnuplot: with --sweep the h-curve, else each tensor's\n"
"                      rel_err with the tolerance line\n"
"\n"
"Output:\n"
"  --format F          text, json or junit [text]\n"
"  -o, --output FILE   write the report to FILE instead of stdout: a regular\n"
"                      file is replaced atomically (mode and owner kept; a\n"
"                      symbolic link's target, not the link), a device or\n"
"                      FIFO written directly, '-' is stdout; a file you may\n"
"                      not write or with several hard links is refused\n"
"  --expect FILE       another tool's loss and gradients at these weights\n"
"                      (JSON: {\"tool\", \"dtype\", \"loss\", \"grad\": {\"W1\": ...}}),\n"
"                      compared element by element with gradcheck's backprop\n"
"                      and finite differences; the report says per tensor\n"
"                      which disagree (gradcheck-export writes such files)\n"
"  -q, --quiet         no report on stdout; the exit status says it all\n"
"                      (a progress bar shows on stderr only when it is a\n"
"                      terminal, the check takes over a second and not --quiet);\n"
"                      without --output, --expect, --sweep and --plot the\n"
"                      check keeps no passing row (the status and summaries\n"
"                      are the same)\n"
"  -h, --help          this help, then exit\n"
"  -V, --version       the version, then exit\n"
"\n"
"gradcheck merge [--format F] [-o FILE] [-q] A.json B.json ...\n"
"                      the whole report from the JSON reports of every --shard\n"
"                      K/N of one check (any order): the bytes the unsplit check\n"
"                      prints; refuses parts of other networks, options or\n"
"                      seeds, and missing or repeated parts (exit 2)\n"
"\n"
"Exit status: 0 every element confirmed (kinks allowed); 1 a gradient refuted\n"
"(a fail, a kink under --strict-kinks, or parameters not restored), a hygiene\n"
"check failed, or with --expect the tool's loss or a gradient disagrees; 3\n"
"nothing refuted but an element undecided (the finite difference can neither\n"
"confirm nor refute it: its reason is in the report) or a tensor vacuous\n"
"(unless --allow-vacuous); 2 usage or input error (one line on stderr);\n"
"128 + N ended by signal N (SIGINT, SIGTERM, SIGHUP: an --output file is left\n"
"as it was).\n",
            (unsigned long long)d.seed, CLI_PLUGIN_TIMEOUT, lim.max_bytes, lim.max_layers,
            lim.max_elements, gc_method_name(d.method), eps, eps_r, rtol, atol,
            gc_engine_name(d.engine), d.threads, smax, smin, GC_SWEEP_MAX_POINTS,
            GC_SWEEP_POINTS);
}
