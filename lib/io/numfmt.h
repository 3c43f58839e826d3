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

#endif
