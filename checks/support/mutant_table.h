/*
 * mutant_table.h -- every mutant of fixtures/mutants/ as one array, for the
 * suites that iterate over them (check_mutants.c, check_fast.c).  The names
 * come from the generated list build/gen/mutant_list.h, so a new mutant file
 * needs no edit here.  Test code only.
 *
 * It defines static data: include it once, from a check_*.c whose object the
 * Makefile makes depend on the generated list (those two do).
 */
#ifndef GRADCHECK_CHECKS_MUTANT_TABLE_H
#define GRADCHECK_CHECKS_MUTANT_TABLE_H

#include "../../fixtures/mutants/mutants.h"

#define GC_MUTANT(name) extern const gc_mutant gc_mutant_##name;
#include "mutant_list.h"
#undef GC_MUTANT

static const gc_mutant *const mutants[] = {
#define GC_MUTANT(name) &gc_mutant_##name,
#include "mutant_list.h"
#undef GC_MUTANT
};
#define NMUTANTS ((int)(sizeof mutants / sizeof mutants[0]))

#endif
