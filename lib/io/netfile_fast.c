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

/* The integer -w or w (negative) as jansson reads it: strtoll's long long
 * (DOUBT where strtoll overflows: jansson's "too big integer"), converted
 * to double, so that "-0" is +0.0 and 2^53 + 1 rounds to even.  many: the
 * token had more than 19 digits. */
static int read_integer(uint64_t w, int negative, int many, double *out)
{
    if (many || w > (uint64_t)LLONG_MAX + (uint64_t)negative)
        return DOUBT;
    long long x = !negative ? (long long)w : w > (uint64_t)LLONG_MAX ? LLONG_MIN : -(long long)w;
    *out = (double)x;
    return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The eight bytes v (little-endian) are all digits. */
static int eight_digits(uint64_t v)
{
    return ((v & 0xF0F0F0F0F0F0F0F0u) |
            (((v + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4)) == 0x3333333333333333u;
}

/* Their value: pairs, then fours, then the eight, combined in three
 * multiplications (the digit-parsing trick fast_float uses, written for
 * the scan so that the digits are read once). */
static uint64_t eight_value(uint64_t v)
{
    v -= 0x3030303030303030u;
    v = v * 10 + (v >> 8);
    return (((v & 0x000000FF000000FFu) * 0x000F424000000064u) +
            (((v >> 16) & 0x000000FF000000FFu) * 0x0000271000000001u)) >> 32;
}
#define SWAR 1
#else
#define SWAR 0
#endif

/* Digits from s: the first 19 significant ones (leading zeros aside) into
 * *w, their count in *nd; *many set when there are more (then w and q
 * mean nothing: the token is read whole).  In a fraction (frac) each
 * digit, a leading zero too, lowers the exponent *q by one.  Past the last
 * digit.  (The state is kept in locals: stores through the pointers could
 * alias the text and would reload it at every digit.) */
#if defined(__GNUC__)
__attribute__((always_inline)) /* twice per number: no call */
#endif
static inline const char *take_digits(const char *s, const char *end, int frac, uint64_t *wp,
                                      int *ndp, int64_t *qp, int *many)
{
    uint64_t w = *wp;
    int nd = *ndp;
    int64_t q = *qp;
    const char *from;
    if (nd == 0) { /* leading zeros: a fraction's only, the grammar allows no other */
        for (from = s; s < end && *s == '0'; s++)
            ;
        q -= frac * (s - from);
    }
    from = s;
    for (uint64_t v; SWAR && nd <= 11 && end - s >= 8; s += 8, nd += 8) {
        memcpy(&v, s, 8);
        if (!eight_digits(v))
            break;
        w = w * 100000000u + eight_value(v);
    }
    for (; s < end && is_digit(*s); s++) {
        if (nd < 19) {
            w = w * 10 + (unsigned)(*s - '0');
            nd++;
        } else {
            *many = 1;
        }
    }
    q -= frac * (s - from);
    *wp = w;
    *ndp = nd;
    *qp = q;
    return s;
}

/* gc_nf_read_number's work, inlined into the scan's loop. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline const char *read_number(const char *s, const char *end, const gc_numreader *rd,
                                      double *out)
{
    const char *p = s + (s < end && *s == '-');
    int negative = p > s, nd = 0, many = 0, real = 0;
    uint64_t w = 0;
    int64_t q = 0;
    if (p < end && *p == '0')
        p++; /* then no digit: JSON has no leading zeros */
    else if (p < end && *p >= '1' && *p <= '9')
        p = take_digits(p, end, 0, &w, &nd, &q, &many);
    else
        return NULL;
    if (p < end && *p == '.') {
        if (++p == end || !is_digit(*p))
            return NULL;
        p = take_digits(p, end, 1, &w, &nd, &q, &many);
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = ++p < end && *p == '-';
        p += p < end && (*p == '+' || *p == '-');
        if (p == end || !is_digit(*p))
            return NULL;
        int64_t e = 0;
        for (; p < end && is_digit(*p); p++) {
            if (e > 99999999)
                many = 1; /* left to the token reader, which saturates */
            else
                e = e * 10 + (*p - '0');
        }
        q += eneg ? -e : e;
        real = 1;
    }
    if (p < end && is_digit(*p))
        return NULL; /* "01" */
    if (!real)
        return read_integer(w, negative, many, out) == 0 ? p : NULL;
    double d;
    if (many || rd->decimal(w, q, negative, &d) != 0) {
        if (rd->token(s, p, &d) != 0)
            return NULL;
    }
    /* a real that overflows is jansson's "real number overflow" */
    if (!isfinite(d))
        return NULL;
    *out = d;
    return p;
}

const char *gc_nf_read_number(const char *s, const char *end, const gc_numreader *rd,
                              double *out)
{
    return read_number(s, end, rd, out);
}

/* The array at s ('[') when its elements are all numbers: read into a new
 * run of t, *next past its ']', and 1.  0 when its first element is no
 * number (an empty array, an array of arrays: copied as text); DOUBT when
 * it starts with a number but is no array of numbers jansson would take. */
static int numbers_array(const char *s, const char *end, const gc_numreader *rd, gc_nf_table *t,
                         const char **next)
{
    const char *p = skip_ws(s + 1, end);
    if (p == end || !(*p == '-' || is_digit(*p)))
        return 0;
    for (;;) {
        double d;
        const char *q = read_number(p, end, rd, &d);
        if (q == NULL)
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

int gc_nf_scan(const char *text, size_t len, const gc_numreader *rd, gc_nf_table *t)
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
