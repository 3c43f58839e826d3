/*
 * numread.cc -- io/numread.h's reader: fast_float's from_chars, and its
 * Eisel-Lemire step (compute_float) for digits the caller took apart,
 * behind C functions.  The one C++ file of the library: compiled with
 * -fno-exceptions -fno-rtti (fast_float is noexcept and allocates
 * nothing), it leaves no reference to the C++ runtime (`nm -u` on its
 * object lists only C symbols), so the library still links as C.
 */
#include "io/numread.h"

#include <cstdint>
#include <cstring>

#include <fast_float/fast_float.h>

#ifdef GC_NUM_MUTANT
#define TOKEN token_mutant
#define DECIMAL decimal_mutant
#define READER gc_numread_mutant
#else
#define TOKEN token
#define DECIMAL decimal
#define READER gc_numread
#endif

/* v as read, or (the mutant) one ulp towards zero when its last bit is 1. */
static double planted(double v)
{
#ifdef GC_NUM_MUTANT
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    if ((bits & 1u) != 0)
        bits -= 1;
    std::memcpy(&v, &bits, sizeof v);
#endif
    return v;
}

static int TOKEN(const char *s, const char *end, double *out)
{
    double v = 0.0;
    fast_float::from_chars_result r = fast_float::from_chars(s, end, v);
    if (r.ec != std::errc() || r.ptr != end)
        return -1;
    *out = planted(v);
    return 0;
}

/* from_chars itself, for at most 19 digits (no digit dropped): its
 * compute_float, then an exact fallback where that cannot round (power2
 * negative), which is left to the caller's token. */
static int DECIMAL(std::uint64_t w, std::int64_t q, int negative, double *out)
{
    fast_float::adjusted_mantissa am =
        fast_float::compute_float<fast_float::binary_format<double>>(q, w);
    if (am.power2 < 0)
        return -1;
    double v;
    fast_float::to_float(negative != 0, am, v);
    *out = planted(v);
    return 0;
}

/* exported: the library builds this file with -fvisibility=hidden, which
 * keeps fast_float's templates to it */
extern "C" __attribute__((visibility("default"))) const gc_numreader READER = {TOKEN, DECIMAL};
