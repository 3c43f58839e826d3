/*
 * io/numfmt.h -- numbers in machine formats (private).
 */
#ifndef GC_IO_NUMFMT_H
#define GC_IO_NUMFMT_H

/* Replace the decimal point dp (NULL: the current locale's, localeconv) in
 * buf, a number printed by %g / %e, by '.': machine formats (JSON, JUnit)
 * need the same text in every locale. */
void gc_numfmt_point(char *buf, const char *dp);

/* Write v into buf as snprintf(buf, 32, "%.17g", v) does in the C locale
 * (a '.' point, in any locale), byte for byte, faster; returns the length. */
int gc_numfmt_g17(char buf[32], double v);

/* v as jansson writes a finite json_real at JSON_REAL_PRECISION(17): the
 * "%.17g" text with ".0" after an integral value and the exponent without
 * '+' or leading zeros ("1e-5", "1e17", "3.0").  Returns the length. */
int gc_numfmt_json17(char buf[32], double v);

#endif
