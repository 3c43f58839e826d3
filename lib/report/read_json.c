/*
 * read_json.c -- a report back from the JSON its writer printed (jansson).
 *
 * The JSON carries every field a report's summaries are computed from: each
 * row's tensor, element, analytic, numeric, errors, num_err (when the
 * method estimates it), slopes (on kink and fail rows, where the writers
 * print them), hook and verdict, all numbers with 17 significant digits,
 * which read back bit-identical.  So the rows are read and the summaries
 * recomputed (gc_report_rebuild), except a screened tensor's, which has
 * no rows and whose summary is read.  What the writers never print (the
 * slopes of a pass row) reads back as NaN and changes no output.  A part
 * of a split check also carries its "shard" object.
 */
#include "gradcheck/report.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a bad value sits, for the one-line message. */
typedef struct src {
    const char *file;
    gc_error *err;
} src;

static int bad(const src *s, const char *path, const char *want)
{
    return gc_error_set(s->err, GC_EPARSE, "%s: %s: expected %s", s->file, path, want);
}

static json_t *member(const json_t *obj, const char *key)
{
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

/* A number, or the strings "nan", "inf", "-inf" the writer uses. */
static int get_num(const src *s, const json_t *obj, const char *key, const char *path,
                   double *out)
{
    json_t *v = member(obj, key);
    const char *str = json_string_value(v);
    if (json_is_number(v))
        *out = json_number_value(v);
    else if (str != NULL && strcmp(str, "nan") == 0)
        *out = NAN;
    else if (str != NULL && strcmp(str, "inf") == 0)
        *out = INFINITY;
    else if (str != NULL && strcmp(str, "-inf") == 0)
        *out = -INFINITY;
    else
        return bad(s, path, "a number");
    return GC_OK;
}

/* An optional number: NaN when absent. */
static int get_opt_num(const src *s, const json_t *obj, const char *key, const char *path,
                       double *out)
{
    *out = NAN;
    return member(obj, key) == NULL ? GC_OK : get_num(s, obj, key, path, out);
}

static int get_int(const src *s, const json_t *obj, const char *key, const char *path,
                   long long lo, long long hi, long long *out)
{
    json_t *v = member(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(s, path, "an integer in range");
    *out = json_integer_value(v);
    return GC_OK;
}

static int get_bool(const src *s, const json_t *obj, const char *key, const char *path, int *out)
{
    json_t *v = member(obj, key);
    if (!json_is_boolean(v))
        return bad(s, path, "true or false");
    *out = json_is_true(v);
    return GC_OK;
}

static int read_options(const src *s, const json_t *o, gc_check_opts *opts)
{
    long long sample, seed;
    const char *method = json_string_value(member(o, "method"));
    const char *engine = json_string_value(member(o, "engine"));
    gc_check_opts_init(opts);
    if (method == NULL || gc_method_from_name(method, &opts->method) != GC_OK)
        return bad(s, "options.method", "central, forward or richardson");
    if (engine == NULL || gc_engine_from_name(engine, &opts->engine) != GC_OK)
        return bad(s, "options.engine", "fast or reference");
    int rc;
    if ((rc = get_num(s, o, "eps", "options.eps", &opts->eps)) != GC_OK ||
        (rc = get_num(s, o, "rtol", "options.rtol", &opts->rtol)) != GC_OK ||
        (rc = get_num(s, o, "atol", "options.atol", &opts->atol)) != GC_OK ||
        (rc = get_bool(s, o, "inputs", "options.inputs", &opts->inputs)) != GC_OK ||
        (rc = get_int(s, o, "sample", "options.sample", 0, INT32_MAX, &sample)) != GC_OK ||
        (rc = get_int(s, o, "seed", "options.seed", INT64_MIN, INT64_MAX, &seed)) != GC_OK ||
        (rc = get_bool(s, o, "strict_kinks", "options.strict_kinks", &opts->strict_kinks)) != GC_OK ||
        (rc = get_bool(s, o, "adaptive", "options.adaptive", &opts->adaptive)) != GC_OK ||
        (rc = get_bool(s, o, "screen", "options.screen", &opts->screen)) != GC_OK ||
        (rc = get_bool(s, o, "allow_vacuous", "options.allow_vacuous", &opts->allow_vacuous)) != GC_OK)
        return rc;
    const char *precision = json_string_value(member(o, "precision"));
    if (precision == NULL || (strcmp(precision, "float64") != 0 && strcmp(precision, "float32") != 0))
        return bad(s, "options.precision", "float64 or float32");
    opts->precision = strcmp(precision, "float32") == 0 ? GC_PRECISION_FLOAT32 : GC_PRECISION_FLOAT64;
    opts->sample = (int)sample;
    opts->seed = (uint64_t)seed; /* the writer's int64 view of the seed */
    return GC_OK;
}

static int read_shard(const src *s, const json_t *sh, gc_report *r)
{
    long long index, count, first, rows, total, evals, once;
    const char *hash = json_string_value(member(sh, "hash"));
    int rc;
    if ((rc = get_int(s, sh, "index", "shard.index", 1, INT32_MAX, &index)) != GC_OK ||
        (rc = get_int(s, sh, "count", "shard.count", index, INT32_MAX, &count)) != GC_OK ||
        (rc = get_int(s, sh, "first", "shard.first", 0, INT64_MAX, &first)) != GC_OK ||
        (rc = get_int(s, sh, "rows", "shard.rows", 0, INT64_MAX, &rows)) != GC_OK ||
        (rc = get_int(s, sh, "total", "shard.total", first + rows, INT64_MAX, &total)) != GC_OK ||
        (rc = get_int(s, sh, "evaluations_rows", "shard.evaluations_rows", 0, INT64_MAX,
                      &evals)) != GC_OK ||
        (rc = get_int(s, sh, "evaluations_once", "shard.evaluations_once", 0, INT64_MAX,
                      &once)) != GC_OK)
        return rc;
    char *end = NULL;
    errno = 0;
    unsigned long long h = hash != NULL ? strtoull(hash, &end, 16) : 0;
    if (hash == NULL || strlen(hash) != 16 || *end != '\0' || errno != 0)
        return bad(s, "shard.hash", "16 hexadecimal digits");
    if ((size_t)rows != r->nrows)
        return bad(s, "shard.rows", "the number of rows");
    r->opts.shard = (int)index;
    r->opts.nshards = (int)count;
    r->shard_first = (size_t)first;
    r->shard_total = (size_t)total;
    r->nevals_rows = (unsigned long long)evals;
    r->nevals_once = (unsigned long long)once;
    r->hash = h;
    return GC_OK;
}

static int read_tensor(const src *s, const json_t *j, int t, gc_tensor_report *tr)
{
    char path[64];
    long long rows, cols;
    const char *name = json_string_value(member(j, "name"));
    snprintf(path, sizeof path, "tensors[%d].name", t);
    if (name == NULL || strlen(name) >= sizeof tr->name || name[0] == '\0')
        return bad(s, path, "a tensor name");
    snprintf(tr->name, sizeof tr->name, "%s", name);
    int rc;
    snprintf(path, sizeof path, "tensors[%d]", t);
    if ((rc = get_int(s, j, "rows", path, 1, INT32_MAX, &rows)) != GC_OK ||
        (rc = get_int(s, j, "cols", path, 1, INT32_MAX, &cols)) != GC_OK ||
        (rc = get_bool(s, j, "screened", path, &tr->screened)) != GC_OK ||
        (rc = get_num(s, j, "max_rel_err", path, &tr->max_rel)) != GC_OK ||
        (rc = get_num(s, j, "median_rel_err", path, &tr->median_rel)) != GC_OK ||
        (rc = get_num(s, j, "norm_ratio", path, &tr->norm_ratio)) != GC_OK)
        return rc;
    tr->rows = (int)rows;
    tr->cols = (int)cols;
    return GC_OK;
}

static int read_row(const src *s, const json_t *j, size_t k, const gc_report *r, gc_row *w)
{
    char path[64];
    snprintf(path, sizeof path, "rows[%zu]", k);
    const char *tensor = json_string_value(member(j, "tensor"));
    const char *verdict = json_string_value(member(j, "verdict"));
    w->tensor = -1;
    for (int t = 0; tensor != NULL && t < r->ntensors && w->tensor < 0; t++)
        if (strcmp(r->tensors[t].name, tensor) == 0)
            w->tensor = t;
    if (w->tensor < 0)
        return bad(s, path, "a tensor listed in tensors");
    if (verdict == NULL)
        return bad(s, path, "a verdict");
    if (strcmp(verdict, "pass") == 0)
        w->verdict = GC_PASS;
    else if (strcmp(verdict, "kink") == 0)
        w->verdict = GC_KINK;
    else if (strcmp(verdict, "fail") == 0)
        w->verdict = GC_FAIL;
    else if (strcmp(verdict, "undecided") == 0)
        w->verdict = GC_UNDECIDED;
    else
        return bad(s, path, "verdict pass, kink, fail or undecided");
    const char *reason = json_string_value(member(j, "reason"));
    w->reason = GC_REASON_NONE;
    for (int k = 1; reason != NULL && k < GC_NREASONS && w->reason == GC_REASON_NONE; k++)
        if (strcmp(reason, gc_reason_name((gc_reason)k)) == 0)
            w->reason = (gc_reason)k;
    if (reason != NULL && w->reason == GC_REASON_NONE)
        return bad(s, path, "a known reason");
    const gc_tensor_report *tr = &r->tensors[w->tensor];
    long long row, col;
    int rc;
    if ((rc = get_int(s, j, "row", path, 0, tr->rows - 1, &row)) != GC_OK ||
        (rc = get_int(s, j, "col", path, 0, tr->cols - 1, &col)) != GC_OK ||
        (rc = get_num(s, j, "analytic", path, &w->analytic)) != GC_OK ||
        (rc = get_num(s, j, "numeric", path, &w->numeric)) != GC_OK ||
        (rc = get_num(s, j, "abs_err", path, &w->abs_err)) != GC_OK ||
        (rc = get_num(s, j, "rel_err", path, &w->rel_err)) != GC_OK ||
        (rc = get_opt_num(s, j, "num_err", path, &w->num_err)) != GC_OK ||
        (rc = get_opt_num(s, j, "band", path, &w->band)) != GC_OK ||
        (rc = get_opt_num(s, j, "slope_lo", path, &w->slope_lo)) != GC_OK ||
        (rc = get_opt_num(s, j, "slope_hi", path, &w->slope_hi)) != GC_OK)
        return rc;
    w->row = (int)row;
    w->col = (int)col;
    w->hook = json_is_true(member(j, "hook"));
    w->escalated = json_is_true(member(j, "escalated"));
    return GC_OK;
}

/* The report in root (everything but the file's name checked here). */
static int read_report(const src *s, const json_t *root, gc_report *r)
{
    const char *version = json_string_value(member(root, "gradcheck"));
    const json_t *tensors = member(root, "tensors"), *rows = member(root, "rows"),
                 *totals = member(root, "totals"), *shard = member(root, "shard");
    int rc;
    if (version == NULL || strcmp(version, GC_VERSION) != 0)
        return bad(s, "gradcheck", "a report of gradcheck " GC_VERSION);
    if ((rc = read_options(s, member(root, "options"), &r->opts)) != GC_OK ||
        (rc = get_num(s, root, "loss", "loss", &r->loss)) != GC_OK)
        return rc;
    if (!json_is_array(tensors) || json_array_size(tensors) > INT32_MAX)
        return bad(s, "tensors", "an array");
    if (!json_is_array(rows))
        return bad(s, "rows", "an array");
    r->ntensors = (int)json_array_size(tensors);
    r->nrows = json_array_size(rows);
    r->tensors = calloc(r->ntensors > 0 ? (size_t)r->ntensors : 1, sizeof *r->tensors);
    r->rows = calloc(r->nrows > 0 ? r->nrows : 1, sizeof *r->rows);
    if (r->tensors == NULL || r->rows == NULL)
        return gc_error_set(s->err, GC_ENOMEM, "%s: out of memory", s->file);
    for (int t = 0; t < r->ntensors; t++)
        if ((rc = read_tensor(s, json_array_get(tensors, (size_t)t), t, &r->tensors[t])) != GC_OK)
            return rc;
    for (size_t k = 0; k < r->nrows; k++)
        if ((rc = read_row(s, json_array_get(rows, k), k, r, &r->rows[k])) != GC_OK)
            return rc;
    long long evals;
    if ((rc = get_bool(s, totals, "restored", "totals.restored", &r->restored)) != GC_OK ||
        (rc = get_int(s, totals, "evaluations", "totals.evaluations", 0, INT64_MAX, &evals)) != GC_OK)
        return rc;
    r->nevals = (unsigned long long)evals;
    r->shard_total = r->nrows;
    if (shard != NULL && (rc = read_shard(s, shard, r)) != GC_OK)
        return rc;
    rc = gc_report_rebuild(r);
    if (rc == GC_EINVAL)
        return bad(s, "rows", "rows grouped by tensor in tensor order, none of a screened tensor");
    if (rc != GC_OK)
        return gc_error_set(s->err, rc, "%s: out of memory", s->file);
    return GC_OK;
}

int gc_report_read_json(const char *path, gc_report **out, gc_error *err)
{
    if (path == NULL || out == NULL)
        return gc_error_set(err, GC_EINVAL, "gc_report_read_json: NULL %s",
                            path == NULL ? "path" : "out");
    *out = NULL;
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gc_error_set(err, GC_EIO, "%s: cannot open: %s", path, strerror(errno));
    json_error_t je;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    int read_errno = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
    fclose(f);
    if (root == NULL) {
        if (read_errno != 0)
            return gc_error_set(err, GC_EIO, "%s: cannot read: %s", path, strerror(read_errno));
        if (je.line < 1)
            return gc_error_set(err, GC_EIO, "%s: cannot read: %s", path, je.text);
        return gc_error_set(err, GC_EPARSE, "%s: line %d column %d: JSON syntax error: %s", path,
                            je.line, je.column, je.text);
    }
    src s = {path, err};
    gc_report *r = calloc(1, sizeof *r);
    int rc = r == NULL ? gc_error_set(err, GC_ENOMEM, "%s: out of memory", path)
                       : read_report(&s, root, r);
    json_decref(root);
    if (rc != GC_OK) {
        gc_report_free(r);
        return rc;
    }
    *out = r;
    return GC_OK;
}
