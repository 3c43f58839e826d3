/*
 * write_json.c -- the report as one JSON object, written row by row.
 *
 * Numbers are written with 17 significant digits, so a double read back is
 * bit-identical.  JSON has no NaN or Infinity: such values are written as
 * the strings "nan", "inf" and "-inf".  Every row has num_err (the error
 * bound) and band; optional row fields: reason on undecided rows, escalated
 * when true; slope_lo and slope_hi on non-pass rows when computed; hook
 * when a layer's kink hook fired.  The
 * schema is in README.md.
 *
 * The layout is jansson's json_dumpf(JSON_INDENT(2) | JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(17)) of the whole object, byte for byte, but nothing
 * is built: a tree of 100,000 rows took 130 MB and ten times the check's
 * time.  jansson still escapes every string (each once, before the first
 * byte is written, so a string it refuses -- invalid UTF-8 -- fails the
 * call with nothing written); numbers go through gc_numfmt_json17, which
 * writes jansson's text of a real.
 */
#include "gradcheck/report.h"
#include "io/numfmt.h"
#include "report/blocks.h"
#include "report/json.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One object's text is built in a buffer, then written: the head's and a
 * tensor's in TENSOR_MAX (a tensor's 23 short fields, its reasons' object
 * and a name of GC_NAME_MAX bytes escaped as \u00XX at worst); a block of
 * rows in row_max(report) bytes a row (below). */
#define TENSOR_MAX 4096
_Static_assert(6 * GC_NAME_MAX + 2400 < TENSOR_MAX, "a tensor's object fits TENSOR_MAX");

/* Readable zero bytes after every quoted string: short ones are copied
 * with one fixed-size copy (short_text). */
#define PAD 16

/* s as jansson writes a JSON string (quoted and escaped), with PAD zero
 * bytes after its NUL: owned, NULL when jansson refuses it or memory runs
 * out. */
static char *quoted(const char *s)
{
    json_t *j = json_string(s);
    char *q = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    size_t n = q != NULL ? strlen(q) : 0;
    char *padded = q != NULL ? realloc(q, n + 1 + PAD) : NULL;
    if (padded == NULL) {
        free(q);
        return NULL;
    }
    memset(padded + n + 1, 0, PAD);
    return padded;
}

/* The n bytes of t (a quoted string: PAD readable bytes past its end) at
 * p: a short one by one fixed-size copy (the buffers have room past any
 * object's text).  Returns the end. */
static inline char *short_text(char *p, const char *t, size_t n)
{
    if (n <= PAD)
        memcpy(p, t, PAD); /* a constant size: inlined, no call */
    else
        memcpy(p, t, n);
    return p + n;
}

/* A number as jansson writes json_real at precision 17 (the non-finite
 * ones as strings, as the schema says): gc_numfmt_json17_fields with no
 * key.  Returns the end. */
static inline char *num(char *p, double v)
{
    static const char no_key[1][32] = {""};
    static const unsigned char no_key_len[1] = {0};
    return gc_numfmt_json17_fields(p, 1, &v, no_key, no_key_len);
}

/* An object being built: its text so far, the indentation of its members,
 * and whether a member was written (the next one needs a comma). */
typedef struct obj {
    char *p;
    int ind;
    int any;
} obj;

/* n <= 8 spaces: a fixed-size copy, the pointer moved by n (the buffers
 * have room past any object's text). */
static char *spaces(char *p, int n)
{
    memcpy(p, "        ", 8);
    return p + n;
}

/* Opens a member: ",\n", the indentation, "\"k\": " (k a literal: its
 * length known at compile time). */
#define key(o, k) key_(o, k, sizeof k - 1)

static inline char *key_(obj *o, const char *k, size_t n)
{
    char *p = o->p;
    if (o->any)
        *p++ = ',';
    o->any = 1;
    *p++ = '\n';
    memcpy(p, "        ", 8); /* ind <= 8: a fixed-size copy */
    p += o->ind;
    *p++ = '"';
    memcpy(p, k, n);
    p += n;
    memcpy(p, "\": ", 3);
    return p + 3;
}

/* A member whose value is the n bytes of text. */
static inline void m_text_(obj *o, const char *k, size_t kn, const char *text, size_t n)
{
    char *p = key_(o, k, kn);
    memcpy(p, text, n);
    o->p = p + n;
}

static void m_raw_(obj *o, const char *k, size_t kn, const char *text)
{
    m_text_(o, k, kn, text, strlen(text));
}

static inline void m_num_(obj *o, const char *k, size_t kn, double v)
{
    o->p = num(key_(o, k, kn), v);
}

/* v in decimal, as "%lld" writes it (two per row: no printf): below 1000
 * (where rows and columns mostly are) digit by digit, else its digits
 * counted first, then written from the last. */
static inline char *integer(char *p, long long v)
{
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    *p = '-';
    p += v < 0;
    if (u < 1000) { /* x / 100 = x·41 >> 12 for x < 1000, r / 10 = r·103 >> 10 for r < 100 */
        unsigned x = (unsigned)u, h = x * 41 >> 12, r = x - 100 * h, t = r * 103 >> 10;
        uint32_t w = ('0' + h) | ('0' + t) << 8 | ('0' + r - 10 * t) << 16;
        int skip = x < 10 ? 2 : x < 100 ? 1 : 0; /* the leading zeros */
        w >>= 8 * skip;
        for (int i = 0; i < 4; i++) /* one store: the compiler merges the bytes */
            p[i] = (char)(w >> (8 * i));
        return p + 3 - skip;
    }
    int n = 1;
    for (unsigned long long t = 10; n < 20 && u >= t; t *= 10)
        n++;
    for (char *q = p + n; q > p; u /= 10)
        *--q = (char)('0' + u % 10);
    return p + n;
}

static inline void m_int_(obj *o, const char *k, size_t kn, long long v)
{
    o->p = integer(key_(o, k, kn), v);
}

static void m_bool_(obj *o, const char *k, size_t kn, int v)
{
    m_raw_(o, k, kn, v ? "true" : "false");
}

#define m_raw(o, k, v) m_raw_(o, k, sizeof k - 1, v)
#define m_num(o, k, v) m_num_(o, k, sizeof k - 1, v)
#define m_int(o, k, v) m_int_(o, k, sizeof k - 1, v)
#define m_bool(o, k, v) m_bool_(o, k, sizeof k - 1, v)

/* "{" at indentation ind - 2 (the caller wrote that); members at ind. */
static obj open_obj(char *p, int ind)
{
    *p++ = '{';
    return (obj){p, ind, 0};
}

/* "\n", the indentation of the object's own line, "}". */
static char *close_obj(obj *o)
{
    char *p = o->p;
    *p++ = '\n';
    p = spaces(p, o->ind - 2);
    *p++ = '}';
    return p;
}

/* The strings of the report, escaped once. */
typedef struct names {
    char *version, *method, *engine, *overall;
    char *verdict[5]; /* pass, kink, fail, undecided, and "?" for any other value */
    size_t verdict_len[5];
    char **tensor;    /* one per tensor */
    size_t *tensor_len;
    int ntensors;
} names;

/* The report's overall verdict as the schema spells it. */
static const char *status_name(gc_status st)
{
    return st == GC_STATUS_CONFIRMED ? "pass" : st == GC_STATUS_REFUTED ? "fail" : "undecided";
}

/* "\"noise\"" for a reason: its name is a plain identifier, quoted as is. */
static void m_reason(obj *o, const char *name, long long n)
{
    char *p = o->p;
    if (o->any)
        *p++ = ',';
    o->any = 1;
    *p++ = '\n';
    p = spaces(p, o->ind);
    p += sprintf(p, "\"%s\": ", name);
    o->p = integer(p, n);
}

/* {"noise": 3, ...}: the reasons with a nonzero count, at indentation ind. */
static char *reasons(char *p, const int *n, int ind)
{
    obj o = open_obj(p, ind);
    for (int w = 1; w < GC_NREASONS; w++)
        if (n[w] > 0)
            m_reason(&o, gc_reason_name((gc_reason)w), n[w]);
    if (!o.any) {
        *o.p++ = '}';
        return o.p;
    }
    return close_obj(&o);
}

/* A tensor's coverage: what its verdicts rest on. */
static void tensor_coverage(obj *o, const gc_tensor_report *tr)
{
    m_int(o, "undecided", tr->nundecided);
    o->p = reasons(key(o, "undecided_by_reason"), tr->nreason, o->ind + 2);
    m_int(o, "weak", tr->nweak);
    m_int(o, "escalated", tr->nescalated);
    m_num(o, "grad_scale", tr->grad_scale);
    m_num(o, "sensitivity_median", tr->sens_median);
    m_num(o, "sensitivity_worst", tr->sens_worst);
}

/* The totals' coverage. */
static void totals_coverage(obj *o, const gc_report *r)
{
    m_int(o, "undecided", r->nundecided);
    o->p = reasons(key(o, "undecided_by_reason"), r->nreason, o->ind + 2);
    m_int(o, "weak", r->nweak);
    m_int(o, "escalated", r->nescalated);
}

static void names_free(names *s)
{
    free(s->version);
    free(s->method);
    free(s->engine);
    free(s->overall);
    for (int v = 0; v < 5; v++)
        free(s->verdict[v]);
    for (int t = 0; s->tensor != NULL && t < s->ntensors; t++)
        free(s->tensor[t]);
    free(s->tensor);
    free(s->tensor_len);
}

static int names_init(names *s, const gc_report *r)
{
    static const gc_verdict vs[5] = {GC_PASS, GC_KINK, GC_FAIL, GC_UNDECIDED, (gc_verdict)-1};
    memset(s, 0, sizeof *s);
    s->version = quoted(GC_VERSION);
    s->method = quoted(gc_method_name(r->opts.method));
    s->engine = quoted(gc_engine_name(r->opts.engine));
    s->overall = quoted(status_name(gc_report_status(r)));
    int ok = s->version && s->method && s->engine && s->overall;
    for (int v = 0; v < 5; v++) {
        ok = (s->verdict[v] = quoted(gc_verdict_name(vs[v]))) != NULL && ok;
        s->verdict_len[v] = s->verdict[v] != NULL ? strlen(s->verdict[v]) : 0;
    }
    size_t nt = r->ntensors > 0 ? (size_t)r->ntensors : 1;
    s->tensor = calloc(nt, sizeof *s->tensor);
    s->tensor_len = calloc(nt, sizeof *s->tensor_len);
    ok = ok && s->tensor != NULL && s->tensor_len != NULL;
    s->ntensors = s->tensor != NULL ? r->ntensors : 0;
    for (int t = 0; ok && t < r->ntensors; t++) {
        ok = (s->tensor[t] = quoted(r->tensors[t].name)) != NULL;
        s->tensor_len[t] = ok ? strlen(s->tensor[t]) : 0;
    }
    return ok ? GC_OK : GC_ENOMEM;
}

/* A verdict's index in names.verdict. */
static int verdict_at(gc_verdict v)
{
    switch (v) {
    case GC_PASS: return 0;
    case GC_KINK: return 1;
    case GC_FAIL: return 2;
    case GC_UNDECIDED: return 3;
    default: return 4;
    }
}

/* Writes the n bytes of buf[0 .. end) unless an earlier write failed. */
static void emit(FILE *f, const char *buf, const char *end, int *rc)
{
    size_t n = (size_t)(end - buf);
    if (*rc == GC_OK && fwrite(buf, 1, n, f) != n)
        *rc = GC_EIO;
}

/* The head of the top object up to "tensors": its opening "[". */
static char *head(char *p, const gc_report *r, const names *s)
{
    const gc_check_opts *c = &r->opts;
    obj top = open_obj(p, 2);
    m_raw(&top, "gradcheck", s->version);
    obj o = open_obj(key(&top, "options"), 4);
    m_raw(&o, "method", s->method);
    m_num(&o, "eps", c->eps);
    m_num(&o, "rtol", c->rtol);
    m_num(&o, "atol", c->atol);
    m_bool(&o, "inputs", c->inputs);
    m_int(&o, "sample", c->sample);
    m_int(&o, "seed", (long long)c->seed);
    m_bool(&o, "strict_kinks", c->strict_kinks);
    m_bool(&o, "adaptive", c->adaptive);
    m_raw(&o, "engine", s->engine);
    m_bool(&o, "screen", c->screen);
    m_bool(&o, "allow_vacuous", c->allow_vacuous);
    m_raw(&o, "precision", c->precision == GC_PRECISION_FLOAT32 ? "\"float32\"" : "\"float64\"");
    top.p = close_obj(&o);
    if (c->nshards > 0) { /* a part of a split check: which, and what merging needs */
        char hash[32];
        snprintf(hash, sizeof hash, "\"%016llx\"", (unsigned long long)r->hash);
        obj sh = open_obj(key(&top, "shard"), 4);
        m_int(&sh, "index", c->shard);
        m_int(&sh, "count", c->nshards);
        m_int(&sh, "first", (long long)r->shard_first);
        m_int(&sh, "rows", (long long)r->nrows);
        m_int(&sh, "total", (long long)r->shard_total);
        m_raw(&sh, "hash", hash);
        m_int(&sh, "evaluations_rows", (long long)r->nevals_rows);
        m_int(&sh, "evaluations_once", (long long)r->nevals_once);
        top.p = close_obj(&sh);
    }
    m_num(&top, "loss", r->loss);
    p = key(&top, "tensors");
    *p++ = '[';
    return p;
}

/* One tensor's object, its "{" at indentation 4. */
static char *tensor(char *p, const gc_report *r, int t, const names *s)
{
    const gc_tensor_report *tr = &r->tensors[t];
    obj o = open_obj(p, 6);
    m_raw(&o, "name", s->tensor[t]);
    m_int(&o, "rows", tr->rows);
    m_int(&o, "cols", tr->cols);
    m_int(&o, "checked", (long long)tr->count);
    m_int(&o, "pass", tr->npass);
    m_int(&o, "kink", tr->nkink);
    m_int(&o, "fail", tr->nfail);
    tensor_coverage(&o, tr);
    m_num(&o, "max_rel_err", tr->max_rel);
    m_num(&o, "median_rel_err", tr->median_rel);
    if (tr->count > 0) {
        obj w = open_obj(key(&o, "worst"), 8);
        m_int(&w, "row", r->rows[tr->worst].row);
        m_int(&w, "col", r->rows[tr->worst].col);
        o.p = close_obj(&w);
    } else {
        m_raw(&o, "worst", "null");
    }
    m_num(&o, "norm_ratio", tr->norm_ratio);
    m_bool(&o, "vacuous", tr->vacuous);
    m_bool(&o, "sampled", tr->sampled);
    m_bool(&o, "screened", tr->screened);
    return close_obj(&o);
}

/* The literal l at p (its length known at compile time); the end. */
#define LIT(p, l) (memcpy(p, l, sizeof l - 1), (p) + sizeof l - 1)

/* A row's member key at indentation 6 with the comma and line break
 * before it. */
#define ROW_KEY(k) ",\n      \"" k "\": "

/* The keys of a row's six numbers, in order, for gc_numfmt_json17_fields. */
static const char row_num_key[6][32] = {ROW_KEY("analytic"), ROW_KEY("numeric"),
                                        ROW_KEY("abs_err"),  ROW_KEY("rel_err"),
                                        ROW_KEY("num_err"),  ROW_KEY("band")};
static const unsigned char row_num_key_len[6] = {
    sizeof ROW_KEY("analytic") - 1, sizeof ROW_KEY("numeric") - 1, sizeof ROW_KEY("abs_err") - 1,
    sizeof ROW_KEY("rel_err") - 1,  sizeof ROW_KEY("num_err") - 1, sizeof ROW_KEY("band") - 1};

/* A row's literals, shared by row() and row_max(). */
#define ROW_OPEN "{\n      \"tensor\": "
#define ROW_REASON ",\n      \"reason\": \"%s\""
#define ROW_ESCALATED ",\n      \"escalated\": true"
#define ROW_SLOPE_LO ",\n      \"slope_lo\": "
#define ROW_SLOPE_HI ",\n      \"slope_hi\": "
#define ROW_HOOK ",\n      \"hook\": true"
#define ROW_VERDICT ",\n      \"verdict\": "
#define ROW_CLOSE "\n    }"
#define ROW_ELEMENT ",\n    " /* element()'s, before the row */

/* One row's object, its "{" at indentation 4: every member at indentation
 * 6, each key with the comma and line break before it one literal (the
 * layout of open_obj and key with the members known in advance); the six
 * numbers in one call. */
static char *row(char *p, const gc_row *w, const names *s)
{
    p = LIT(p, ROW_OPEN);
    p = short_text(p, s->tensor[w->tensor], s->tensor_len[w->tensor]);
    p = integer(LIT(p, ROW_KEY("row")), w->row);
    p = integer(LIT(p, ROW_KEY("col")), w->col);
    const double nums[6] = {w->analytic, w->numeric, w->abs_err, w->rel_err, w->num_err, w->band};
    p = gc_numfmt_json17_fields(p, 6, nums, row_num_key, row_num_key_len);
    if (w->verdict == GC_UNDECIDED)
        p += sprintf(p, ROW_REASON, gc_reason_name(w->reason));
    if (w->escalated)
        p = LIT(p, ROW_ESCALATED);
    if (w->verdict != GC_PASS && !isnan(w->slope_lo)) {
        p = num(LIT(p, ROW_SLOPE_LO), w->slope_lo);
        p = num(LIT(p, ROW_SLOPE_HI), w->slope_hi);
    }
    if (w->hook)
        p = LIT(p, ROW_HOOK);
    int v = verdict_at(w->verdict);
    p = short_text(LIT(p, ROW_VERDICT), s->verdict[v], s->verdict_len[v]);
    return LIT(p, ROW_CLOSE);
}

/* A number's text at most (GC_NUMFMT_JSON17_MAX; the strings "nan",
 * "inf", "-inf" quoted are shorter), an int's ("-2147483648"); and how far
 * past the text's end a write may reach: the fixed-size copies (a number
 * field's 64 bytes from its start, gc_numfmt_json17_fields; a short string
 * as PAD; spaces' 8). */
enum { NUM_MAX = GC_NUMFMT_JSON17_MAX, INT_CHARS = 11, ROW_SLACK = 64 };

/* The most bytes element() and row() write for one row of a report with
 * names s: every member a row can have, its two integers and eight numbers
 * at their longest, the longest reason with sprintf's NUL, the longest
 * quoted tensor name and verdict.  A block's buffer holds its rows at this
 * much each and ROW_SLACK more: no row's text is longer, and no write
 * reaches further than ROW_SLACK past the text so far, so a block fits
 * whatever its rows hold, and touches only as many of the buffer's pages
 * as its text fills (~330 bytes a row of a network's report, where 2,048 a
 * row were reserved before). */
static size_t row_max(const names *s)
{
    size_t tensor = 0, verdict = 0, reason = 0, keys = 0;
    for (int t = 0; t < s->ntensors; t++)
        tensor = s->tensor_len[t] > tensor ? s->tensor_len[t] : tensor;
    for (int v = 0; v < 5; v++)
        verdict = s->verdict_len[v] > verdict ? s->verdict_len[v] : verdict;
    for (int w = 0; w < GC_NREASONS; w++) {
        size_t n = strlen(gc_reason_name((gc_reason)w));
        reason = n > reason ? n : reason;
    }
    for (int i = 0; i < 6; i++)
        keys += row_num_key_len[i];
#define L(lit) (sizeof lit - 1)
    size_t n = L(ROW_ELEMENT) + L(ROW_OPEN) + tensor + L(ROW_KEY("row")) + L(ROW_KEY("col")) +
               2 * INT_CHARS + keys + 6 * NUM_MAX + L(ROW_REASON) + reason + 1 +
               L(ROW_ESCALATED) + L(ROW_SLOPE_LO) + L(ROW_SLOPE_HI) + 2 * NUM_MAX + L(ROW_HOOK) +
               L(ROW_VERDICT) + verdict + L(ROW_CLOSE);
#ifdef GC_JSON_ROW_MAX_MUTANT /* checks/report/check_report.c's mutant: no room for a reason */
    n -= L(ROW_REASON) + reason + 1;
#endif
#undef L
    return n;
}

/* The tail of the top object from "totals" to "verdict" (not closed). */
static char *tail(char *p, const gc_report *r, const names *s)
{
    obj top = {p, 2, 1};
    obj o = open_obj(key(&top, "totals"), 4);
    m_int(&o, "checked", (long long)r->nrows);
    m_int(&o, "pass", r->npass);
    m_int(&o, "kink", r->nkink);
    m_int(&o, "fail", r->nfail);
    totals_coverage(&o, r);
    m_int(&o, "vacuous", r->nvacuous);
    m_bool(&o, "restored", r->restored);
    m_int(&o, "evaluations", (long long)r->nevals);
    top.p = close_obj(&o);
    m_raw(&top, "verdict", s->overall);
    m_int(&top, "status", (long long)gc_report_status(r));
    return top.p;
}

/* extra's members at the top level: ",\n  \"key\": " and jansson's dump of
 * the value with every line break followed by the 2 spaces of depth 1 (a
 * dump has no raw line break inside a string: jansson escapes them). */
static int members(FILE *f, const json_t *extra, int *rc)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)extra, k, v) {
        char *key = quoted(k);
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                       JSON_REAL_PRECISION(17));
        if (key == NULL || text == NULL) {
            free(key);
            free(text);
            return GC_ENOMEM;
        }
        if (*rc == GC_OK && fprintf(f, ",\n  %s: ", key) < 0)
            *rc = GC_EIO;
        for (const char *t = text; *t != '\0' && *rc == GC_OK; t++)
            if ((*t == '\n' ? fputs("\n  ", f) : fputc(*t, f)) == EOF)
                *rc = GC_EIO;
        free(key);
        free(text);
    }
    return GC_OK;
}

/* An element of an array at indentation 4: ",\n    " before all but the
 * first, "\n    " before that. */
static char *element(char *p, size_t k)
{
    if (k > 0)
        *p++ = ',';
    *p++ = '\n';
    return spaces(p, 4);
}
_Static_assert(sizeof ROW_ELEMENT - 1 == 6, "element() writes ROW_ELEMENT");

/* The end of an array of n elements at indentation 2. */
static char *close_array(char *p, size_t n)
{
    if (n > 0) {
        *p++ = '\n';
        p = spaces(p, 2);
    }
    *p++ = ']';
    return p;
}

/* Rows are formatted in blocks on the report's threads and written in
 * order (report/blocks.h): the text of 600,000 numbers costs more than the
 * check that produced them; memory stays at two buffers per thread
 * whatever the number of rows, and the bytes are those of one thread.  A
 * block is nrows / BLOCKS_MIN rows, at least BLOCK_MIN and at most
 * BLOCK_MAX (a row of a network's report takes ~330 bytes, so a block's
 * text is 170-680 KB): as few writes and hand-overs between the threads as
 * that allows (2048 rows a block wrote 784-128-10's 33.6 MB report 6%
 * faster than 512 here, bench/README.md), and enough blocks that the last
 * one, made alone, is a small part of the text.  A buffer holds a block's
 * rows at row_max each; only what a block's text takes of it is touched. */
enum { BLOCK_MIN = 512, BLOCK_MAX = 2048, BLOCKS_MIN = 48 };

typedef struct rows_job {
    const gc_report *r;
    const names *s;
    size_t block; /* rows a block */
} rows_job;

static char *format_block(void *ctx, size_t b, char *p)
{
    const rows_job *j = ctx;
    size_t lo = b * j->block, hi = lo + j->block < j->r->nrows ? lo + j->block : j->r->nrows;
    for (size_t k = lo; k < hi; k++)
        p = row(element(p, k), &j->r->rows[k], j->s);
    return p;
}

static int write_rows(const gc_report *r, const names *s, FILE *f)
{
    size_t block = r->nrows / BLOCKS_MIN;
    block = block < BLOCK_MIN ? BLOCK_MIN : block > BLOCK_MAX ? BLOCK_MAX : block;
    rows_job j = {r, s, block};
    return gc_blocks_write(f, r->opts.threads, (r->nrows + block - 1) / block,
                           block * row_max(s) + ROW_SLACK, format_block, &j);
}

int gc_report_json_write(const gc_report *r, FILE *f, const char *verdict, const json_t *extra)
{
    if (r == NULL || f == NULL)
        return GC_EINVAL;
    if (r->partial)
        return GC_EPARTIAL;
    names s;
    int rc = names_init(&s, r);
    if (rc == GC_OK && verdict != NULL) {
        free(s.overall);
        rc = (s.overall = quoted(verdict)) != NULL ? GC_OK : GC_ENOMEM;
    }
    if (rc != GC_OK) {
        names_free(&s);
        return rc;
    }
    char buf[TENSOR_MAX];
    emit(f, buf, head(buf, r, &s), &rc);
    for (int t = 0; t < r->ntensors; t++) {
        char *p = element(buf, (size_t)t);
        emit(f, buf, tensor(p, r, t, &s), &rc);
    }
    char *p = close_array(buf, (size_t)r->ntensors);
    obj top = {p, 2, 1};
    p = key(&top, "rows");
    *p++ = '[';
    emit(f, buf, p, &rc);
    if (rc == GC_OK)
        rc = write_rows(r, &s, f);
    p = close_array(buf, r->nrows);
    emit(f, buf, tail(p, r, &s), &rc);
    names_free(&s);
    if (rc == GC_OK && extra != NULL && members(f, extra, &rc) != GC_OK)
        rc = GC_ENOMEM;
    if (rc == GC_OK && (fputs("\n}\n", f) == EOF || fflush(f) != 0 || ferror(f)))
        rc = GC_EIO;
    return rc;
}
