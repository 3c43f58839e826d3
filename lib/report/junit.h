/*
 * report/junit.h -- pieces of the JUnit writer (private), so that another
 * writer (the expect comparison's) adds a testsuite to the same document.
 */
#ifndef GC_REPORT_JUNIT_H
#define GC_REPORT_JUNIT_H

#include <stdio.h>

#include "gradcheck/report.h"

/* Testcases, failing ones and skipped (vacuous) ones of r's testsuite. */
void gc_junit_counts(const gc_report *r, int *tests, int *failures, int *skipped);

/* r's <testsuite name="gradcheck"> ... </testsuite>, indented two spaces. */
void gc_junit_suite(const gc_report *r, FILE *f);

/* s escaped for XML text and attributes (control characters as '?'). */
void gc_junit_esc(FILE *f, const char *s);

/* The shortest %g that reads back as v; "%.3e": both with a '.' point. */
const char *gc_junit_shortest(char buf[32], double v);
const char *gc_junit_e3(char buf[32], double v);

#endif
