/*
 * crc32.c -- the CRC-32 (reflected polynomial 0xEDB88320, zlib's and
 * zip's) by folding with carry-less multiplication, after Gopal et al.,
 * "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
 * Instruction" (Intel, 2009), the method of the Linux kernel's and
 * Chromium's zlib's versions.
 *
 * The data is read as a polynomial over GF(2), 128 bits at a time.  Four
 * 128-bit accumulators move 512 bits ahead at each step: a 128-bit value
 * v = h * x^64 + l becomes h * (x^(512+64) mod P) + l * (x^512 mod P), two
 * 64 x 64 -> 128-bit carry-less products, xored into the next 64 bytes;
 * the four are then folded into one (by 128 bits: the constants for
 * x^(128+64) and x^128), the remaining 16-byte blocks likewise, then the
 * 128 bits to 64 and a Barrett reduction by P to the 32-bit remainder.
 * The constants are those of the paper for P (bit-reflected, and shifted
 * one place as reflected products need): k1, k2 for 512 bits, k3, k4 for
 * 128, k5 for 64, and mu and P for the reduction.  Whatever is left (fewer
 * than 16 bytes, or a buffer shorter than 64) goes through zlib, which
 * continues from the CRC so far.
 */
#include "io/crc32.h"

#include <zlib.h>

#if defined(__x86_64__) && defined(__GNUC__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define HAVE_CLMUL 1
#include <immintrin.h>
#include <sys/platform/x86.h>
#endif

uint32_t gc_crc32_zlib(const unsigned char *p, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) { /* crc32 takes an uInt count */
        uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;
        crc = crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)crc;
}

#ifdef HAVE_CLMUL
#define CLMUL_ATTR __attribute__((target("pclmul,sse4.1")))

/* v folded across a distance by the constant pair k (x^(d+64), x^d mod P,
 * in k's high and low halves), xored into the next data. */
CLMUL_ATTR static __m128i fold(__m128i v, __m128i k, __m128i next)
{
    __m128i lo = _mm_clmulepi64_si128(v, k, 0x00);
    __m128i hi = _mm_clmulepi64_si128(v, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

/* The CRC register crc (inverted, as the algorithm keeps it) continued
 * over p[0 .. n), n >= 64 and a multiple of 16; the register after. */
CLMUL_ATTR static uint32_t clmul_blocks(uint32_t crc, const unsigned char *p, size_t n)
{
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
    const __m128i mu_p = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
    __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)crc));
    __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(p + 48));
    for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
        a = fold(a, k1k2, _mm_loadu_si128((const __m128i *)p));
        b = fold(b, k1k2, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = fold(c, k1k2, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = fold(d, k1k2, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    a = fold(fold(fold(a, k3k4, b), k3k4, c), k3k4, d);
    for (; n >= 16; p += 16, n -= 16)
        a = fold(a, k3k4, _mm_loadu_si128((const __m128i *)p));
    /* 128 bits to 64: the low half by x^128's k4 into the high half; then
     * its low 32 bits by k5 (x^64) into the rest */
    a = _mm_xor_si128(_mm_srli_si128(a, 8), _mm_clmulepi64_si128(a, k3k4, 0x10));
    a = _mm_xor_si128(_mm_srli_si128(a, 4),
                      _mm_clmulepi64_si128(_mm_and_si128(a, low32), k5, 0x00));
    /* Barrett: q = (a mod x^32) * mu, then a - (q mod x^32) * P */
    __m128i q = _mm_clmulepi64_si128(_mm_and_si128(a, low32), mu_p, 0x10);
    q = _mm_clmulepi64_si128(_mm_and_si128(q, low32), mu_p, 0x00);
    return (uint32_t)_mm_extract_epi32(_mm_xor_si128(a, q), 1);
}

#endif

int gc_crc32_clmul(void)
{
#ifdef HAVE_CLMUL
    return CPU_FEATURE_ACTIVE(PCLMULQDQ) && CPU_FEATURE_ACTIVE(SSE4_1);
#else
    return 0;
#endif
}

uint32_t gc_crc32(const unsigned char *p, size_t n)
{
#ifdef HAVE_CLMUL
    if (n >= 64 && gc_crc32_clmul()) {
        size_t whole = n & ~(size_t)15;
        uint32_t crc = ~clmul_blocks(~(uint32_t)0, p, whole);
        return whole == n ? crc : (uint32_t)crc32_z(crc, p + whole, n - whole);
    }
#endif
    return gc_crc32_zlib(p, n);
}
