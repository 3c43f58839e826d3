/*
 * netfile_fast.c -- the fast path's scan (io/netfile_fast.h): one pass over
 * a network file's text that reads each array of numbers into a table and
 * writes the rest, with a placeholder for each such array, as a skeleton.
 * Whatever it cannot take as jansson would take it is a doubt: the scan
 * stops and the slow path reads the text.
 */
#include "io/netfile_fast.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOUBT (-1)

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* JSON's four whitespace bytes, the ones jansson's lexer skips. */
static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
        s++;
    return s;
}

/* Room in *p (cap elements of size elem) for need elements: doubled until
 * it fits.  0, or DOUBT when memory runs out (the slow path then says so). */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap > 0 ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            return DOUBT;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return DOUBT;
    *p = q;
    *cap = c;
    return 0;
}

static int put(gc_nf_table *t, const char *s, size_t n)
{
    if (n == 0) /* also before the first byte: skel may still be NULL */
        return 0;
    if (grow((void **)&t->skel, &t->capskel, t->nskel + n, 1) != 0)
        return DOUBT;
    memcpy(t->skel + t->nskel, s, n);
    t->nskel += n;
    return 0;
}

/* The end of the number token at s, RFC 8259's grammar (as jansson's
 * lexer reads it), and whether it has a fraction or an exponent (*real);
 * NULL when s starts no number. */
static const char *number_end(const char *s, const char *end, int *real)
{
    const char *p = s + (s < end && *s == '-');
    *real = 0;
    if (p < end && *p == '0')
        p++;
    else if (p < end && *p >= '1' && *p <= '9')
        while (p < end && is_digit(*p))
            p++;
    else
        return NULL;
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        *real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        p += p < end && (*p == '+' || *p == '-');
        if (p == end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        *real = 1;
    }
    return p;
}

/* The integer token s[0 .. end) as jansson reads it: strtoll's long long
 * (DOUBT where strtoll overflows: jansson's "too big integer"), converted
 * to double, so that "-0" is +0.0 and 2^53 + 1 rounds to even. */
static int read_integer(const char *s, const char *end, double *out)
{
    int neg = *s == '-';
    uint64_t lim = neg ? (uint64_t)LLONG_MAX + 1 : (uint64_t)LLONG_MAX, v = 0;
    for (s += neg; s < end; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10)
            return DOUBT;
        v = v * 10 + d;
    }
    long long x = !neg ? (long long)v : v > (uint64_t)LLONG_MAX ? LLONG_MIN : -(long long)v;
    *out = (double)x;
    return 0;
}

/* The array at s ('[') when its elements are all numbers: read into a new
 * run of t, *next past its ']', and 1.  0 when its first element is no
 * number (an empty array, an array of arrays: copied as text); DOUBT when
 * it starts with a number but is no array of numbers jansson would take. */
static int numbers_array(const char *s, const char *end, gc_numread_fn rd, gc_nf_table *t,
                         const char **next)
{
    const char *p = skip_ws(s + 1, end);
    if (p == end || !(*p == '-' || is_digit(*p)))
        return 0;
    for (;;) {
        int real;
        double d;
        const char *q = number_end(p, end, &real);
        if (q == NULL)
            return DOUBT;
        /* a real that overflows is jansson's "real number overflow" */
        if (real ? rd(p, q, &d) != 0 || !isfinite(d) : read_integer(p, q, &d) != 0)
            return DOUBT;
        if (t->nval == t->capval && grow((void **)&t->val, &t->capval, t->nval + 1, sizeof d) != 0)
            return DOUBT;
        t->val[t->nval++] = d;
        p = skip_ws(q, end);
        if (p < end && *p == ']')
            break;
        if (p == end || *p != ',')
            return DOUBT;
        p = skip_ws(p + 1, end);
    }
    if (grow((void **)&t->run, &t->caprun, t->nrun + 2, sizeof *t->run) != 0)
        return DOUBT;
    t->run[++t->nrun] = t->nval;
    *next = p + 1;
    return 1;
}

/* Past the string at s ('"'), or NULL when it does not end or escapes
 * \u0001, the byte that starts a placeholder. */
static const char *string_end(const char *s, const char *end)
{
    for (const char *p = s + 1; p < end; p++) {
        if (*p == '"')
            return p + 1;
        if (*p != '\\')
            continue;
        if (end - p >= 6 && memcmp(p, "\\u0001", 6) == 0)
            return NULL;
        if (++p == end)
            return NULL;
    }
    return NULL;
}

/* The placeholder of run k: "\u0001" and k in decimal, quoted. */
static int put_placeholder(gc_nf_table *t, size_t k)
{
    char ph[40];
    int n = snprintf(ph, sizeof ph, "\"\\u0001%zu\"", k);
    return put(t, ph, (size_t)n);
}

/* The bytes up to the next quote or bracket, as they are. */
static const char *plain_end(const char *s, const char *end)
{
    while (s < end && *s != '"' && *s != '[' && *s != ']' && *s != '{' && *s != '}')
        s++;
    return s;
}

int gc_nf_scan(const char *text, size_t len, gc_numread_fn rd, gc_nf_table *t)
{
    const char *s = text, *end = text + len;
    int depth = 0;
    memset(t, 0, sizeof *t);
    if (grow((void **)&t->run, &t->caprun, 1, sizeof *t->run) != 0 ||
        grow((void **)&t->val, &t->capval, len / 16 + 1, sizeof *t->val) != 0)
        return DOUBT;
    t->run[0] = 0;
    while (s < end) {
        const char *q = plain_end(s, end), *next = NULL;
        if (put(t, s, (size_t)(q - s)) != 0)
            return DOUBT;
        if ((s = q) == end)
            break;
        int r = 0;
        switch (*s) {
        case '"':
            if ((q = string_end(s, end)) == NULL || put(t, s, (size_t)(q - s)) != 0)
                return DOUBT;
            s = q;
            break;
        case '[':
            if ((r = numbers_array(s, end, rd, t, &next)) < 0)
                return DOUBT;
            if (r > 0) {
                if (put_placeholder(t, t->nrun - 1) != 0)
                    return DOUBT;
                s = next;
                break;
            }
            /* an array of something else: copied as text, as an object is */
            /* fall through */
        case '{':
            if (++depth > GC_NF_FAST_DEPTH || put(t, s++, 1) != 0)
                return DOUBT;
            break;
        default: /* ']' or '}' */
            depth--;
            if (put(t, s++, 1) != 0)
                return DOUBT;
        }
    }
    return GC_OK;
}

void gc_nf_table_free(gc_nf_table *t)
{
    free(t->skel);
    free(t->val);
    free(t->run);
    memset(t, 0, sizeof *t);
}

int gc_nf_table_run(const gc_nf_table *t, const json_t *v, const double **x, size_t *n)
{
    if (t == NULL || !json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    if (s[0] != '\x01' || !is_digit(s[1]))
        return 0;
    size_t k = 0;
    for (s++; is_digit(*s); s++)
        if ((k = k * 10 + (size_t)(*s - '0')) >= t->nrun)
            return 0;
    if (*s != '\0')
        return 0;
    *x = t->val + t->run[k];
    *n = t->run[k + 1] - t->run[k];
    return 1;
}
