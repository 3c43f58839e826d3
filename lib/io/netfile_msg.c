/*
 * netfile_msg.c -- the network-file loader's messages: "LABEL: PATH: what
 * was expected, got what", with the JSON path and a short rendering of the
 * offending value.
 */
#include "io/netfile_parse.h"
#include "io/numfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gc_nf_fail(const gc_nf_ctx *c, int code, const char *path, const char *fmt, ...)
{
    if (c->err == NULL)
        return code;
    char what[GC_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (path != NULL)
        gc_error_set(c->err, code, "%s: %s: %s", c->label, path, what);
    else
        gc_error_set(c->err, code, "%s: %s", c->label, what);
    /* one line, whatever the label or jansson's excerpt of the text holds
     * (a raw newline in a string is echoed in its "near '...'") */
    for (char *s = c->err->msg; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
    return code;
}

/* A short description of a JSON value for "got ...": numbers and literals as
 * written, strings quoted (cut at 40 characters), containers by kind. */
const char *gc_nf_describe(char *buf, size_t n, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    case JSON_INTEGER:
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        gc_numfmt_shortest(buf, n, json_real_value(v), 15);
        return buf;
    case JSON_STRING: {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        if (s == NULL)
            return "a string";
        if (strlen(s) > 40 && n > 45)
            snprintf(buf, n, "%.36s...\"", s);
        else
            snprintf(buf, n, "%s", s);
        free(s);
        return buf;
    }
    }
    return "?";
}

/* path + "." + key, with the key's non-printable bytes shown as '?' and cut
 * at 40 bytes so that a message stays one readable line. */
void gc_nf_path_key(char *out, size_t n, const char *path, const char *key)
{
    char k[48];
    size_t i = 0;
    for (; key[i] != '\0' && i < 40; i++) {
        unsigned char ch = (unsigned char)key[i];
        k[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
    }
    k[i] = '\0';
    if (key[i] != '\0' && i + 3 < sizeof k)
        strcat(k, "...");
    if (path == NULL || path[0] == '\0')
        snprintf(out, n, "%s", k);
    else
        snprintf(out, n, "%s.%s", path, k);
}

const char *gc_nf_plural(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* path + "[i]".  A path too long for the buffer is cut: it only feeds a
 * message (and paths here are short: layers[k].W[i][j]). */
void gc_nf_path_index(char *out, size_t n, const char *path, size_t i)
{
    if (snprintf(out, n, "%s[%zu]", path, i) >= (int)n && n > 4)
        strcpy(out + n - 4, "...");
}
