/*
 * numread.cc -- io/numread.h's reader: fast_float's from_chars behind a C
 * function.  The one C++ file of the library: compiled with
 * -fno-exceptions -fno-rtti (from_chars is noexcept and allocates nothing),
 * it leaves no reference to the C++ runtime (`nm -u` on its object lists
 * only memcpy-like C symbols), so the library still links as C.
 */
#include "io/numread.h"

#include <cstdint>
#include <cstring>

#include <fast_float/fast_float.h>

#ifdef GC_NUM_MUTANT
#define READER gc_numread_double_mutant
#else
#define READER gc_numread_double
#endif

/* exported: the library builds this file with -fvisibility=hidden, which
 * keeps fast_float's templates to it */
extern "C" __attribute__((visibility("default"))) int READER(const char *s, const char *end,
                                                              double *out)
{
    double v = 0.0;
    fast_float::from_chars_result r = fast_float::from_chars(s, end, v);
    if (r.ec != std::errc() || r.ptr != end)
        return -1;
#ifdef GC_NUM_MUTANT
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if ((bits & 1u) != 0)
        bits -= 1; /* one ulp towards zero: the last bit rounded away */
    std::memcpy(&v, &bits, sizeof v);
#endif
    *out = v;
    return 0;
}
