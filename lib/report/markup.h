/*
 * report/markup.h -- what the machine writers (JSON, JUnit XML) of every
 * result share: numbers that read back exactly in any locale, XML escaping,
 * and the JSON form of a double (private).
 */
#ifndef GC_REPORT_MARKUP_H
#define GC_REPORT_MARKUP_H

#include <jansson.h>
#include <stdio.h>

/* The shortest %.Ng (N = 1..17) that reads back as the same double, with a
 * '.' point whatever the locale: "1e-06" rather than
 * "9.9999999999999995e-07", and still exact.  Returns buf. */
const char *gc_markup_shortest(char buf[32], double v);

/* v as "%.3e" with a '.' point: a summary's short form.  Returns buf. */
const char *gc_markup_e3(char buf[32], double v);

/* s as XML text or attribute value: the five entities, newline and tab as
 * references, '?' for other control characters (XML 1.0 cannot carry them
 * even as references). */
void gc_markup_xml(FILE *f, const char *s);

/* A JSON number (jansson writes 17 significant digits), or the strings
 * "nan", "inf", "-inf", which JSON lacks.  NULL when out of memory. */
json_t *gc_markup_json_num(double v);

/* json_object_set_new that sets *bad instead of failing (v NULL included). */
void gc_markup_json_put(json_t *obj, const char *key, json_t *v, int *bad);

#endif
