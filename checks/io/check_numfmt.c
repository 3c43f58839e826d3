/*
 * check_numfmt.c -- machine-format numbers (lib/io/numfmt.c) use a '.' as
 * the decimal point in every locale.
 */
#include <check.h>
#include <gradcheck.h>
#include <io/numfmt.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_testutil.h"

/* Machine formats write '.' in every locale: printf's %g and %e write
 * LC_NUMERIC's decimal point, so a program that set LC_NUMERIC to de_DE
 * got "0,5" in JUnit XML.  The writers (JUnit, netfile) pass every number
 * through gc_numfmt_point: tested here with ',' as the point (no comma
 * locale needs to exist), and on the JUnit writer itself when the machine
 * has a comma locale (the test's machine may have only C and POSIX). */
START_TEST(test_numbers_use_a_point_in_every_locale)
{
    static const char *const in[] = {"0,5", "-1,25e-07", "1e+06", "nan", "-inf", "3"};
    static const char *const out[] = {"0.5", "-1.25e-07", "1e+06", "nan", "-inf", "3"};
    for (int i = 0; i < 6; i++) {
        char buf[32];
        strcpy(buf, in[i]);
        gc_numfmt_point(buf, ",");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with ',' as point: '%s', expected '%s'",
                      in[i], buf, out[i]);
        strcpy(buf, out[i]);
        gc_numfmt_point(buf, ".");
        ck_assert_msg(strcmp(buf, out[i]) == 0, "'%s' with '.' as point: '%s'", out[i], buf);
    }
    static const char *const comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL; /* the name we asked for (setlocale's own string is overwritten) */
    for (int i = 0; i < 4 && got == NULL; i++)
        if (setlocale(LC_NUMERIC, comma[i]) != NULL)
            got = comma[i];
    if (got == NULL || strcmp(localeconv()->decimal_point, ",") != 0) {
        setlocale(LC_NUMERIC, "C");
        return; /* no comma locale on this machine: the helper's test above */
    }
    gc_net *net = tu_small_net();
    gc_check_opts o;
    gc_check_opts_init(&o);
    o.eps = 0.5e-6;
    o.rtol = 0.25; /* mse's gradient is right: no failure, properties only */
    gc_report *r = NULL;
    ck_assert_int_eq(gc_check_net(net, &o, &r, NULL), GC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    int rc = gc_report_write_junit(r, f);
    fclose(f);
    setlocale(LC_NUMERIC, "C");
    ck_assert_int_eq(rc, GC_OK);
    ck_assert_msg(strstr(buf, "name=\"eps\" value=\"5e-07\"") != NULL, "eps in %s: %s", got, buf);
    ck_assert_msg(strstr(buf, "name=\"rtol\" value=\"0.25\"") != NULL, "rtol in %s: %s", got, buf);
    free(buf);
    gc_report_free(r);
    gc_net_free(net);
}
END_TEST

Suite *make_numfmt_suite(void)
{
    Suite *s = suite_create("numfmt");
    TCase *tc = tcase_create("point");
    tcase_add_test(tc, test_numbers_use_a_point_in_every_locale);
    suite_add_tcase(s, tc);
    return s;
}
