/*
 * block_mutants.c -- the planted bugs of block_mutants_impl.h, for float and
 * double (name_f64), as block.c compiles block_impl.h.
 */
#include "block_mutants.h"

#include <stddef.h>
#include <tgmath.h>

#define REAL float
#define FN(name) name
#include "block_mutants_impl.h"
#undef REAL
#undef FN

#define REAL double
#define FN(name) name##_f64
#include "block_mutants_impl.h"
#undef REAL
#undef FN
