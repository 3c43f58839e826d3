/*
 * markup.c -- the machine writers' shared formatting (report/markup.h).
 */
#include "report/markup.h"
#include "io/numfmt.h"

#include <math.h>
#include <stdlib.h>

/* snprintf and strtod agree on the locale's decimal point, so the search
 * holds in any locale; the point is made '.' after it. */
const char *gc_markup_shortest(char buf[32], double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    } /* NaN never compares equal: "%.17g" gives "nan" */
    gc_numfmt_point(buf, NULL);
    return buf;
}

const char *gc_markup_e3(char buf[32], double v)
{
    snprintf(buf, 32, "%.3e", v);
    gc_numfmt_point(buf, NULL);
    return buf;
}

void gc_markup_xml(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default: fputc(c < 0x20 ? '?' : c, f); break;
        }
    }
}

json_t *gc_markup_json_num(double v)
{
    if (isnan(v))
        return json_string("nan");
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    return json_real(v);
}

void gc_markup_json_put(json_t *obj, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        *bad = 1;
}
