/*
 * io/numfmt.h -- numbers in machine formats (private).
 */
#ifndef GC_IO_NUMFMT_H
#define GC_IO_NUMFMT_H

#include <stddef.h>

/* Replace the decimal point dp (NULL: the current locale's, localeconv) in
 * buf, a number printed by %g / %e, by '.': machine formats (JSON, JUnit)
 * need the same text in every locale. */
void gc_numfmt_point(char *buf, const char *dp);

/* v as the shortest "%.Pg", P from min_prec up to 17, that strtod reads
 * back to the same bits (17 always does), with a '.' point in any locale.
 * A larger min_prec keeps plain notation longer: 15 writes 100 as "100"
 * where 1 writes "1e+02".  NaN and Inf print as %g does.  Returns buf. */
const char *gc_numfmt_shortest(char *buf, size_t size, double v, int min_prec);

/* Write v into buf as snprintf(buf, 32, "%.17g", v) does in the C locale
 * (a '.' point, in any locale), byte for byte, faster; returns the length. */
int gc_numfmt_g17(char buf[32], double v);

/* v as jansson writes a finite json_real at JSON_REAL_PRECISION(17): the
 * "%.17g" text with ".0" after an integral value and the exponent without
 * '+' or leading zeros ("1e-5", "1e17", "3.0").  Returns the length; 0
 * for NaN and ±Inf, which JSON has no number for (buf then holds nothing
 * to read). */
int gc_numfmt_json17(char buf[32], double v);

/* The longest text gc_numfmt_json17 writes: %.17g's "-d.dddddddddddddddde-XXX"
 * (a sign, 17 digits, the point, "e-" and three exponent digits); every
 * other layout is shorter (checks/io/check_numfmt.c asserts it at every
 * binade's ends and every power of ten's neighbours). */
#define GC_NUMFMT_JSON17_MAX 24

/* For i < n: the len[i] <= 32 bytes of pre[i] (all 32 are read), then
 * v[i] as gc_numfmt_json17 writes it, NaN and ±Inf as the JSON strings
 * "nan", "inf" and "-inf" (quoted).  p needs room for 64 bytes a field.
 * Returns the end (no NUL after it).  A JSON object's numeric members in
 * one call: the keys as pre, the values as v. */
char *gc_numfmt_json17_fields(char *p, int n, const double *v, const char (*pre)[32],
                              const unsigned char *len);

#endif
