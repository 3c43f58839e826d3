/*
 * numfmt.c -- numbers in machine formats (JSON, JUnit XML) whatever the
 * program's locale.  printf's %g writes LC_NUMERIC's decimal point, so a
 * program that called setlocale(LC_NUMERIC, "de_DE.UTF-8") would get "0,5";
 * those formats' grammars want "0.5".  Only the point needs undoing: %g
 * never groups thousands (that takes the ' flag).
 */
#include "io/numfmt.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gc_numfmt_point(char *buf, const char *dp)
{
    if (dp == NULL)
        dp = localeconv()->decimal_point;
    /* a one-byte point other than '.' (glibc's locales have no longer one
     * for LC_NUMERIC); %g writes at most one */
    if (dp != NULL && dp[0] != '.' && dp[0] != '\0' && dp[1] == '\0') {
        char *p = strchr(buf, dp[0]);
        if (p != NULL)
            *p = '.';
    }
}

/* Printing 17 significant digits always round-trips a double; fewer often
 * do and read better (0.1, not 0.10000000000000001).  The bits are
 * compared, not the values, so -0.0 is never written as "0".  snprintf and
 * strtod agree on the locale's decimal point, so the search holds in any
 * locale; the point is made '.' after it. */
const char *gc_numfmt_shortest(char *buf, size_t size, double v, int min_prec)
{
    for (int prec = min_prec < 1 ? 1 : min_prec; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    gc_numfmt_point(buf, NULL);
    return buf;
}
