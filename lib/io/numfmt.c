/*
 * numfmt.c -- numbers in machine formats (JSON, JUnit XML) whatever the
 * program's locale.  printf's %g writes LC_NUMERIC's decimal point, so a
 * program that called setlocale(LC_NUMERIC, "de_DE.UTF-8") would get "0,5";
 * those formats' grammars want "0.5".  Only the point needs undoing: %g
 * never groups thousands (that takes the ' flag).
 */
#include "io/numfmt.h"

#include <locale.h>
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
