/*
 * g17.c -- printf's "%.17g" of a double, exactly, without printf.
 *
 * A report of 100,000 rows carries 600,000 numbers at 17 digits; glibc's
 * printf takes ~0.3 µs for each (a multiple-precision conversion), more
 * than the check itself.  Here the 17 digits are computed exactly in
 * integers: v = m·2^q (m < 2^53) times 10^s = 5^s·2^s is the integer
 * m·5^s shifted by q + s bits, so round-half-even of v·10^s needs one
 * product and a look at the bits shifted out -- the same correctly rounded
 * digits printf gives in the default rounding mode.  The decimal exponent
 * comes from the binary one (one of two candidates: from 1.46e-11 to
 * 2.25e15 a table of where each binade's power of ten starts tells them
 * apart, elsewhere the product itself); there the product is one 64 x
 * 64-bit multiply, from 1.2e-38 an exact 192-bit one, elsewhere a big
 * integer.  The 16 digits after the first are made in SSE2 lanes; JSON's
 * exponent text is one copy from a table from e-99 to e-5.  Values
 * no path covers (zero, subnormals, infinities, NaN, |v| >= 1e17) go to
 * snprintf.
 */
#include "io/numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The fast path is one straight sequence in each entry point, its json
 * flag a constant there: left to itself the compiler calls it. */
#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* 5^s for s <= 340 (the largest 16 - floor(log10 v) of a normal double)
 * has 790 bits; times m (53) and one spare limb. */
#define LIMBS 15

typedef struct big {
    uint64_t w[LIMBS]; /* little-endian 64-bit limbs */
    int n;             /* limbs in use */
} big;

/* a·b + c as lo, *hi: the one place that needs a 128-bit product. */
static uint64_t mul_add(uint64_t a, uint64_t b, uint64_t c, uint64_t *hi)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 p = (u128)a * b + c;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t lo = (mid << 32) | (p00 & 0xffffffffu);
    uint64_t h = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    lo += c;
    *hi = h + (lo < c);
    return lo;
#endif
}

/* 5^s for s <= 27, the largest power of 5 in 64 bits. */
static const uint64_t pow5[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull,
    1953125ull, 9765625ull, 48828125ull, 244140625ull, 1220703125ull, 6103515625ull,
    30517578125ull, 152587890625ull, 762939453125ull, 3814697265625ull,
    19073486328125ull, 95367431640625ull, 476837158203125ull, 2384185791015625ull,
    11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
    1490116119384765625ull, 7450580596923828125ull};

static void big_mul(big *x, uint64_t f)
{
    uint64_t carry = 0;
    for (int i = 0; i < x->n; i++)
        x->w[i] = mul_add(x->w[i], f, carry, &carry);
    if (carry != 0)
        x->w[x->n++] = carry;
}

static uint64_t limb(const big *x, int i)
{
    return i < x->n ? x->w[i] : 0;
}

static int big_bit(const big *x, int b)
{
    return (int)(limb(x, b / 64) >> (b % 64) & 1u);
}

/* Any bit of x below bit b set. */
static int big_any_below(const big *x, int b)
{
    for (int i = 0; i < b / 64 && i < x->n; i++)
        if (x->w[i] != 0)
            return 1;
    return b % 64 != 0 && (limb(x, b / 64) & ((1ull << (b % 64)) - 1u)) != 0;
}

/* Any bit of x at or above bit b set. */
static int big_any_from(const big *x, int b)
{
    for (int i = x->n - 1; i > b / 64; i--)
        if (x->w[i] != 0)
            return 1;
    return (limb(x, b / 64) >> (b % 64)) != 0;
}

/* floor(x / 2^sh) mod 2^64. */
static uint64_t big_shr64(const big *x, int sh)
{
    int i = sh / 64, off = sh % 64;
    return off == 0 ? limb(x, i) : limb(x, i) >> off | limb(x, i + 1) << (64 - off);
}

/* floor(v·10^s) for v = m·2^q, s >= 0, when it has at most 64 bits (else
 * UINT64_MAX); *up 1 when round-half-even takes it one higher (the part
 * below 1 is above one half, or exactly one half and the floor odd). */
static uint64_t scaled(uint64_t m, int q, int s, int *up)
{
    big x; /* only the limbs in use are ever read */
    x.w[0] = m;
    x.n = 1;
    for (int k = s; k > 0; k -= 27) /* 5^27, the largest power of 5 in 64 bits */
        big_mul(&x, pow5[k < 27 ? k : 27]);
    int t = q + s;
    *up = 0;
    if (t >= 0) /* an integer: x·2^t */
        return t > 63 || big_any_from(&x, 64 - t) ? UINT64_MAX : x.w[0] << t;
    int sh = -t;
    if (big_any_from(&x, sh + 64))
        return UINT64_MAX;
    uint64_t r = big_shr64(&x, sh);
    *up = big_bit(&x, sh - 1) && (big_any_below(&x, sh - 1) || (r & 1u));
    return r;
}

/* Every two-digit number 00 .. 99 in two bytes, for the exponent. */
static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

#if defined(__SSE2__)
/* The 8 + 8 decimal digits of hi, lo < 10^8 as 16 ASCII bytes at p (one
 * store), hi's first; returns how many of them are significant (the last
 * digit that is not '0', counted from 1; 0 when all are).  Both numbers go
 * through the same SSE2 lanes (the base of x86-64), halved three times:
 * v / 10^4 as v·0xd1b71759 >> 45 for v < 10^8, which leaves four 4-digit
 * numbers in 32-bit lanes, in order; x / 100 as x·5243 >> 19 for x <
 * 10^4, which leaves eight 2-digit numbers in 16-bit lanes; x / 10 as
 * x·6554 >> 16 for x < 100, the tens and ones then one byte each.  Each
 * remainder is the number less its quotient times the divisor. */
static ALWAYS_INLINE int sixteen(char *p, uint32_t hi, uint32_t lo)
{
    __m128i x = _mm_set_epi32(0, (int)lo, 0, (int)hi);
    __m128i q4 = _mm_srli_epi64(_mm_mul_epu32(x, _mm_set1_epi32((int)0xd1b71759u)), 45);
    __m128i r4 = _mm_sub_epi32(x, _mm_mul_epu32(q4, _mm_set1_epi32(10000)));
    __m128i v4 = _mm_or_si128(q4, _mm_slli_epi64(r4, 32));
    __m128i q2 = _mm_srli_epi16(_mm_mulhi_epu16(v4, _mm_set1_epi16(5243)), 3);
#if defined(GC_G17_SIXTEEN_MUTANT)
    __m128i r2 = _mm_sub_epi16(v4, _mm_mullo_epi16(q2, _mm_set1_epi16(99))); /* 100 - 1 */
#else
    __m128i r2 = _mm_sub_epi16(v4, _mm_mullo_epi16(q2, _mm_set1_epi16(100)));
#endif
    __m128i v2 = _mm_or_si128(q2, _mm_slli_epi32(r2, 16));
    __m128i q1 = _mm_mulhi_epu16(v2, _mm_set1_epi16(6554));
    __m128i r1 = _mm_sub_epi16(v2, _mm_mullo_epi16(q1, _mm_set1_epi16(10)));
    __m128i d = _mm_add_epi8(_mm_or_si128(q1, _mm_slli_epi16(r1, 8)), _mm_set1_epi8('0'));
    _mm_storeu_si128((__m128i *)(void *)p, d);
    unsigned sig = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_set1_epi8('0'))) & 0xffffu;
    return sig != 0 ? 32 - __builtin_clz(sig) : 0;
}
#else
/* The 8 decimal digits of v < 10^8 as 8 ASCII bytes, the first digit in
 * the lowest: the digits split in halves, quarters and single digits in
 * parallel lanes of one 64-bit word (x 10486 >> 20 is x / 100 for x <
 * 10^4, x 103 >> 10 is x / 10 for x < 100). */
static uint64_t eight(uint32_t v)
{
    uint64_t w = (uint64_t)(v / 10000u) | (uint64_t)(v % 10000u) << 32;
    uint64_t hundreds = (w * 10486u >> 20) & 0x0000007f0000007full;
    w = hundreds | (w - hundreds * 100u) << 16;
    uint64_t tens = (w * 103u >> 10) & 0x000f000f000f000full;
    w = tens | (w - tens * 10u) << 8;
    return w + 0x3030303030303030ull;
}

/* sixteen's contract without SSE2: eight's two words, byte by byte. */
static int sixteen(char *p, uint32_t hi, uint32_t lo)
{
    uint64_t w[2] = {eight(hi), eight(lo)};
    int sig = 0;
    for (int i = 0; i < 16; i++) {
        p[i] = (char)(w[i / 8] >> (8 * (i % 8)));
        sig = p[i] != '0' ? i + 1 : sig;
    }
    return sig;
}
#endif

#define E16 10000000000000000ull
#define E17 100000000000000000ull

/* floor(log10 2^b) for |b| <= 1100 as floor(b·78913 / 2^18) (78913 =
 * floor(2^18 log10 2), exact on that range: Ryu's log10Pow2), the product
 * offset by 400·2^18 so that the shifted number is never negative (C
 * leaves the right shift of a negative number implementation-defined). */
#if defined(__SIZEOF_INT128__)
static int floor_log10_pow2(int b)
{
    return (int)(((int64_t)b * 78913 + ((int64_t)400 << 18)) >> 18) - 400;
}
#endif

/* The biased exponents e of the doubles digits17_fast covers, v in
 * [2^-36, 2^51) = [1.46e-11, 2.25e15): with k0 = floor(log10 2^(e-1023)),
 * s = 16 - k0 is in 1 .. 27 (5^s and 5^(s-1) fit 64 bits) from e = 987
 * (k0 = -11) and down = 1059 - e + k0 (which never grows with e) is in
 * 1 .. 62 up to e = 1073 (down 61 at 987, 1 at 1073, 0 at 1074).  One
 * unsigned comparison of e then also turns away zeros, subnormals,
 * infinities and NaN. */
#define FAST_E_LO 987u
#define FAST_E_HI 1073u

#if defined(__SIZEOF_INT128__)
/* big_from[e - FAST_E_LO]: the least 53-bit mantissa m (2^52 <= m <
 * 2^53) with m·2^(e-1075) >= 10^(k0+1), k0 = floor(log10 2^(e-1023)),
 * 2^53 when there is none in the binade: ceil(10^(k0+1) / 2^(e-1075)),
 * computed exactly in rationals.  A binade holds one power of ten at
 * most, so v >= 10^(k0+1) is m >= big_from[e - FAST_E_LO]. */
static const uint64_t big_from[FAST_E_HI - FAST_E_LO + 1] = {
    9007199254740992ull, 9007199254740992ull, 7737125245533627ull,
    9007199254740992ull, 9007199254740992ull, 9007199254740992ull,
    4835703278458517ull, 9007199254740992ull, 9007199254740992ull,
    6044629098073146ull, 9007199254740992ull, 9007199254740992ull,
    7555786372591433ull, 9007199254740992ull, 9007199254740992ull,
    9007199254740992ull, 4722366482869646ull, 9007199254740992ull,
    9007199254740992ull, 5902958103587057ull, 9007199254740992ull,
    9007199254740992ull, 7378697629483821ull, 9007199254740992ull,
    9007199254740992ull, 9007199254740992ull, 4611686018427388ull,
    9007199254740992ull, 9007199254740992ull, 5764607523034235ull,
    9007199254740992ull, 9007199254740992ull, 7205759403792794ull,
    9007199254740992ull, 9007199254740992ull, 9007199254740992ull,
    9007199254740992ull, 9007199254740992ull, 9007199254740992ull,
    5629499534213120ull, 9007199254740992ull, 9007199254740992ull,
    7036874417766400ull, 9007199254740992ull, 9007199254740992ull,
    8796093022208000ull, 9007199254740992ull, 9007199254740992ull,
    9007199254740992ull, 5497558138880000ull, 9007199254740992ull,
    9007199254740992ull, 6871947673600000ull, 9007199254740992ull,
    9007199254740992ull, 8589934592000000ull, 9007199254740992ull,
    9007199254740992ull, 9007199254740992ull, 5368709120000000ull,
    9007199254740992ull, 9007199254740992ull, 6710886400000000ull,
    9007199254740992ull, 9007199254740992ull, 8388608000000000ull,
    9007199254740992ull, 9007199254740992ull, 9007199254740992ull,
    5242880000000000ull, 9007199254740992ull, 9007199254740992ull,
    6553600000000000ull, 9007199254740992ull, 9007199254740992ull,
    8192000000000000ull, 9007199254740992ull, 9007199254740992ull,
    9007199254740992ull, 5120000000000000ull, 9007199254740992ull,
    9007199254740992ull, 6400000000000000ull, 9007199254740992ull,
    9007199254740992ull, 8000000000000000ull, 9007199254740992ull,
};

/* scale[e - FAST_E_LO][big] = 5^(s-big)·2^(120-d) as {high, low} 64-bit
 * words, d = down + big, for s = 16 - k0 and down = 1059 - e + k0 (as in
 * digits17_fast): m times it is X·2^(120-d) for X = m·5^(s-big), whose
 * bits from 120 up are floor(X / 2^d), and below them its fraction, with
 * nothing lost (a 128-bit number: 5^(s-big) < 2^(d+8); its low 57 bits
 * zero as 120 - d >= 57).  Computed exactly in integers. */
static const uint64_t scale[FAST_E_HI - FAST_E_LO + 1][2][2] = {
    {{0x033b2e3c9fd0803cull, 0xe800000000000000ull},
     {0x0052b7d2dcc80cd2ull, 0xe400000000000000ull}},
    {{0x06765c793fa10079ull, 0xd000000000000000ull},
     {0x00a56fa5b99019a5ull, 0xc800000000000000ull}},
    {{0x0cecb8f27f4200f3ull, 0xa000000000000000ull},
     {0x014adf4b7320334bull, 0x9000000000000000ull}},
    {{0x0295be96e6406697ull, 0x2000000000000000ull},
     {0x00422ca8b0a00a42ull, 0x5000000000000000ull}},
    {{0x052b7d2dcc80cd2eull, 0x4000000000000000ull},
     {0x0084595161401484ull, 0xa000000000000000ull}},
    {{0x0a56fa5b99019a5cull, 0x8000000000000000ull},
     {0x0108b2a2c2802909ull, 0x4000000000000000ull}},
    {{0x14adf4b7320334b9ull, 0x0000000000000000ull},
     {0x0211654585005212ull, 0x8000000000000000ull}},
    {{0x0422ca8b0a00a425ull, 0x0000000000000000ull},
     {0x0069e10de76676d0ull, 0x8000000000000000ull}},
    {{0x084595161401484aull, 0x0000000000000000ull},
     {0x00d3c21bcecceda1ull, 0x0000000000000000ull}},
    {{0x108b2a2c28029094ull, 0x0000000000000000ull},
     {0x01a784379d99db42ull, 0x0000000000000000ull}},
    {{0x034f086f3b33b684ull, 0x0000000000000000ull},
     {0x0054b40b1f852bdaull, 0x0000000000000000ull}},
    {{0x069e10de76676d08ull, 0x0000000000000000ull},
     {0x00a968163f0a57b4ull, 0x0000000000000000ull}},
    {{0x0d3c21bcecceda10ull, 0x0000000000000000ull},
     {0x0152d02c7e14af68ull, 0x0000000000000000ull}},
    {{0x02a5a058fc295ed0ull, 0x0000000000000000ull},
     {0x0043c33c19375648ull, 0x0000000000000000ull}},
    {{0x054b40b1f852bda0ull, 0x0000000000000000ull},
     {0x00878678326eac90ull, 0x0000000000000000ull}},
    {{0x0a968163f0a57b40ull, 0x0000000000000000ull},
     {0x010f0cf064dd5920ull, 0x0000000000000000ull}},
    {{0x152d02c7e14af680ull, 0x0000000000000000ull},
     {0x021e19e0c9bab240ull, 0x0000000000000000ull}},
    {{0x043c33c193756480ull, 0x0000000000000000ull},
     {0x006c6b935b8bbd40ull, 0x0000000000000000ull}},
    {{0x0878678326eac900ull, 0x0000000000000000ull},
     {0x00d8d726b7177a80ull, 0x0000000000000000ull}},
    {{0x10f0cf064dd59200ull, 0x0000000000000000ull},
     {0x01b1ae4d6e2ef500ull, 0x0000000000000000ull}},
    {{0x03635c9adc5dea00ull, 0x0000000000000000ull},
     {0x0056bc75e2d63100ull, 0x0000000000000000ull}},
    {{0x06c6b935b8bbd400ull, 0x0000000000000000ull},
     {0x00ad78ebc5ac6200ull, 0x0000000000000000ull}},
    {{0x0d8d726b7177a800ull, 0x0000000000000000ull},
     {0x015af1d78b58c400ull, 0x0000000000000000ull}},
    {{0x02b5e3af16b18800ull, 0x0000000000000000ull},
     {0x004563918244f400ull, 0x0000000000000000ull}},
    {{0x056bc75e2d631000ull, 0x0000000000000000ull},
     {0x008ac7230489e800ull, 0x0000000000000000ull}},
    {{0x0ad78ebc5ac62000ull, 0x0000000000000000ull},
     {0x01158e460913d000ull, 0x0000000000000000ull}},
    {{0x15af1d78b58c4000ull, 0x0000000000000000ull},
     {0x022b1c8c1227a000ull, 0x0000000000000000ull}},
    {{0x04563918244f4000ull, 0x0000000000000000ull},
     {0x006f05b59d3b2000ull, 0x0000000000000000ull}},
    {{0x08ac7230489e8000ull, 0x0000000000000000ull},
     {0x00de0b6b3a764000ull, 0x0000000000000000ull}},
    {{0x1158e460913d0000ull, 0x0000000000000000ull},
     {0x01bc16d674ec8000ull, 0x0000000000000000ull}},
    {{0x03782dace9d90000ull, 0x0000000000000000ull},
     {0x0058d15e17628000ull, 0x0000000000000000ull}},
    {{0x06f05b59d3b20000ull, 0x0000000000000000ull},
     {0x00b1a2bc2ec50000ull, 0x0000000000000000ull}},
    {{0x0de0b6b3a7640000ull, 0x0000000000000000ull},
     {0x016345785d8a0000ull, 0x0000000000000000ull}},
    {{0x02c68af0bb140000ull, 0x0000000000000000ull},
     {0x00470de4df820000ull, 0x0000000000000000ull}},
    {{0x058d15e176280000ull, 0x0000000000000000ull},
     {0x008e1bc9bf040000ull, 0x0000000000000000ull}},
    {{0x0b1a2bc2ec500000ull, 0x0000000000000000ull},
     {0x011c37937e080000ull, 0x0000000000000000ull}},
    {{0x02386f26fc100000ull, 0x0000000000000000ull},
     {0x0038d7ea4c680000ull, 0x0000000000000000ull}},
    {{0x0470de4df8200000ull, 0x0000000000000000ull},
     {0x0071afd498d00000ull, 0x0000000000000000ull}},
    {{0x08e1bc9bf0400000ull, 0x0000000000000000ull},
     {0x00e35fa931a00000ull, 0x0000000000000000ull}},
    {{0x11c37937e0800000ull, 0x0000000000000000ull},
     {0x01c6bf5263400000ull, 0x0000000000000000ull}},
    {{0x038d7ea4c6800000ull, 0x0000000000000000ull},
     {0x005af3107a400000ull, 0x0000000000000000ull}},
    {{0x071afd498d000000ull, 0x0000000000000000ull},
     {0x00b5e620f4800000ull, 0x0000000000000000ull}},
    {{0x0e35fa931a000000ull, 0x0000000000000000ull},
     {0x016bcc41e9000000ull, 0x0000000000000000ull}},
    {{0x02d79883d2000000ull, 0x0000000000000000ull},
     {0x0048c27395000000ull, 0x0000000000000000ull}},
    {{0x05af3107a4000000ull, 0x0000000000000000ull},
     {0x009184e72a000000ull, 0x0000000000000000ull}},
    {{0x0b5e620f48000000ull, 0x0000000000000000ull},
     {0x012309ce54000000ull, 0x0000000000000000ull}},
    {{0x0246139ca8000000ull, 0x0000000000000000ull},
     {0x003a352944000000ull, 0x0000000000000000ull}},
    {{0x048c273950000000ull, 0x0000000000000000ull},
     {0x00746a5288000000ull, 0x0000000000000000ull}},
    {{0x09184e72a0000000ull, 0x0000000000000000ull},
     {0x00e8d4a510000000ull, 0x0000000000000000ull}},
    {{0x12309ce540000000ull, 0x0000000000000000ull},
     {0x01d1a94a20000000ull, 0x0000000000000000ull}},
    {{0x03a3529440000000ull, 0x0000000000000000ull},
     {0x005d21dba0000000ull, 0x0000000000000000ull}},
    {{0x0746a52880000000ull, 0x0000000000000000ull},
     {0x00ba43b740000000ull, 0x0000000000000000ull}},
    {{0x0e8d4a5100000000ull, 0x0000000000000000ull},
     {0x0174876e80000000ull, 0x0000000000000000ull}},
    {{0x02e90edd00000000ull, 0x0000000000000000ull},
     {0x004a817c80000000ull, 0x0000000000000000ull}},
    {{0x05d21dba00000000ull, 0x0000000000000000ull},
     {0x009502f900000000ull, 0x0000000000000000ull}},
    {{0x0ba43b7400000000ull, 0x0000000000000000ull},
     {0x012a05f200000000ull, 0x0000000000000000ull}},
    {{0x02540be400000000ull, 0x0000000000000000ull},
     {0x003b9aca00000000ull, 0x0000000000000000ull}},
    {{0x04a817c800000000ull, 0x0000000000000000ull},
     {0x0077359400000000ull, 0x0000000000000000ull}},
    {{0x09502f9000000000ull, 0x0000000000000000ull},
     {0x00ee6b2800000000ull, 0x0000000000000000ull}},
    {{0x12a05f2000000000ull, 0x0000000000000000ull},
     {0x01dcd65000000000ull, 0x0000000000000000ull}},
    {{0x03b9aca000000000ull, 0x0000000000000000ull},
     {0x005f5e1000000000ull, 0x0000000000000000ull}},
    {{0x0773594000000000ull, 0x0000000000000000ull},
     {0x00bebc2000000000ull, 0x0000000000000000ull}},
    {{0x0ee6b28000000000ull, 0x0000000000000000ull},
     {0x017d784000000000ull, 0x0000000000000000ull}},
    {{0x02faf08000000000ull, 0x0000000000000000ull},
     {0x004c4b4000000000ull, 0x0000000000000000ull}},
    {{0x05f5e10000000000ull, 0x0000000000000000ull},
     {0x0098968000000000ull, 0x0000000000000000ull}},
    {{0x0bebc20000000000ull, 0x0000000000000000ull},
     {0x01312d0000000000ull, 0x0000000000000000ull}},
    {{0x02625a0000000000ull, 0x0000000000000000ull},
     {0x003d090000000000ull, 0x0000000000000000ull}},
    {{0x04c4b40000000000ull, 0x0000000000000000ull},
     {0x007a120000000000ull, 0x0000000000000000ull}},
    {{0x0989680000000000ull, 0x0000000000000000ull},
     {0x00f4240000000000ull, 0x0000000000000000ull}},
    {{0x1312d00000000000ull, 0x0000000000000000ull},
     {0x01e8480000000000ull, 0x0000000000000000ull}},
    {{0x03d0900000000000ull, 0x0000000000000000ull},
     {0x0061a80000000000ull, 0x0000000000000000ull}},
    {{0x07a1200000000000ull, 0x0000000000000000ull},
     {0x00c3500000000000ull, 0x0000000000000000ull}},
    {{0x0f42400000000000ull, 0x0000000000000000ull},
     {0x0186a00000000000ull, 0x0000000000000000ull}},
    {{0x030d400000000000ull, 0x0000000000000000ull},
     {0x004e200000000000ull, 0x0000000000000000ull}},
    {{0x061a800000000000ull, 0x0000000000000000ull},
     {0x009c400000000000ull, 0x0000000000000000ull}},
    {{0x0c35000000000000ull, 0x0000000000000000ull},
     {0x0138800000000000ull, 0x0000000000000000ull}},
    {{0x0271000000000000ull, 0x0000000000000000ull},
     {0x003e800000000000ull, 0x0000000000000000ull}},
    {{0x04e2000000000000ull, 0x0000000000000000ull},
     {0x007d000000000000ull, 0x0000000000000000ull}},
    {{0x09c4000000000000ull, 0x0000000000000000ull},
     {0x00fa000000000000ull, 0x0000000000000000ull}},
    {{0x1388000000000000ull, 0x0000000000000000ull},
     {0x01f4000000000000ull, 0x0000000000000000ull}},
    {{0x03e8000000000000ull, 0x0000000000000000ull},
     {0x0064000000000000ull, 0x0000000000000000ull}},
    {{0x07d0000000000000ull, 0x0000000000000000ull},
     {0x00c8000000000000ull, 0x0000000000000000ull}},
    {{0x0fa0000000000000ull, 0x0000000000000000ull},
     {0x0190000000000000ull, 0x0000000000000000ull}},
    {{0x0320000000000000ull, 0x0000000000000000ull},
     {0x0050000000000000ull, 0x0000000000000000ull}},
    {{0x0640000000000000ull, 0x0000000000000000ull},
     {0x00a0000000000000ull, 0x0000000000000000ull}},
    {{0x0c80000000000000ull, 0x0000000000000000ull},
     {0x0140000000000000ull, 0x0000000000000000ull}},
    {{0x0280000000000000ull, 0x0000000000000000ull},
     {0x0040000000000000ull, 0x0000000000000000ull}},
};
#endif

/* The common case of digits17, for FAST_E_LO <= e <= FAST_E_HI: v = m·2^q
 * (q = e - 1075), k0 = floor(log10 2^(q+52)), so 10^k0 <= v < 2·10^(k0+1).
 * big (v >= 10^(k0+1), from big_from) picks the scale: v·10^(s-big) =
 * X / 2^(down+big) for X = m·5^(s-big), 10^16 <= it < 10^17.  The 192-bit
 * product Z = m·scale (two 64 x 64-bit multiplies) holds it as floor
 * Z / 2^120 and the fraction's 64 bits r below that (Z's low 57 bits are
 * zero): round half to even adds 1 when r is above 2^63, or is 2^63 and
 * the floor odd (r | 1 stays below 2^63 when r is).  Without 128-bit
 * integers digits17 does all. */
#if defined(__SIZEOF_INT128__)
static ALWAYS_INLINE void digits17_fast(uint64_t m, unsigned e, uint64_t *digits, int *exp10)
{
    __extension__ typedef unsigned __int128 u128;
    int k0 = floor_log10_pow2((int)e - 1023);
#if defined(GC_G17_BIG_MUTANT)
    int big = m > big_from[e - FAST_E_LO]; /* the binade's power of ten itself taken as small */
#else
    int big = m >= big_from[e - FAST_E_LO];
#endif
    const uint64_t *p = scale[e - FAST_E_LO][big];
    u128 lo = (u128)m * p[1], hi = (u128)m * p[0] + (uint64_t)(lo >> 64); /* Z = hi·2^64 + lo */
    uint64_t n = (uint64_t)(hi >> 56), r = (uint64_t)hi << 8 | (uint64_t)lo >> 56;
#if defined(GC_G17_ROUND_MUTANT)
    n += r > 1ull << 63; /* ties rounded down */
#else
    n += (r | (n & 1)) > 1ull << 63;
#endif
    int k = k0 + big;
    if (n == E17) { /* rounded up to the next power of ten (only when !big) */
        n = E16;
        k++;
    }
    *digits = n;
    *exp10 = k;
}
#endif

/* The biased exponents of the small doubles digits17_small covers, v in
 * [2^-126, 2^-36) = [1.2e-38, 1.46e-11): s = 16 - k0 in 28 .. 54, so 5^s
 * = 5^27·5^(s-27) is two 64-bit factors, and down = 1059 - e + k0 in 61
 * .. 124. */
#define SMALL_E_LO 897u
#define SMALL_E_HI 986u

#if defined(__SIZEOF_INT128__)
/* floor(X / 2^d + 1/2) for the 192-bit X = x2:x1:x0 and 1 <= d <= 127,
 * when it fits 64 bits. */
static uint64_t round_shr192(uint64_t x2, uint64_t x1, uint64_t x0, int d)
{
    __extension__ typedef unsigned __int128 u128;
    u128 h = (u128)x2 << 64 | x1;
    if (d > 64)
        return (uint64_t)((h + ((u128)1 << (d - 65))) >> (d - 64));
    uint64_t lo = x0 + (1ull << (d - 1));
    h += lo < x0;
    return d == 64 ? (uint64_t)h : (uint64_t)(h << (64 - d)) | lo >> d;
}

/* digits17_fast's scaling for SMALL_E_LO <= e <= SMALL_E_HI: X = m·5^s
 * exactly in 192 bits (m·5^27, then times 5^(s-27)), v·10^s = X / 2^down,
 * at or above 10^17 v·10^(s-1) = m·5^27·5^(s-28) / 2^(down+1) instead.
 * No tie to break: v·10^s is a half-integer only when q + s + 1 >= 0, and
 * here q <= -89 while s <= 54; so rounding is adding one half. */
static void digits17_small(uint64_t m, int q, uint64_t *digits, int *exp10)
{
    __extension__ typedef unsigned __int128 u128;
    int k0 = floor_log10_pow2(q + 52), s = 16 - k0, down = -(q + s);
    u128 a = (u128)m * pow5[27];
    int big = 0;
    uint64_t n = 0;
    for (int t = 0; t < 2; t++) { /* t = 1 only when v >= 10^(k0+1) */
        u128 p0 = (u128)(uint64_t)a * pow5[s - 27 - t];
        u128 p1 = (u128)(uint64_t)(a >> 64) * pow5[s - 27 - t] + (uint64_t)(p0 >> 64);
        n = round_shr192((uint64_t)(p1 >> 64), (uint64_t)p1, (uint64_t)p0, down + t);
        big = t;
        if (t == 0 && n < E17)
            break;
    }
    int k = k0 + big;
    if (n == E17) { /* rounded up to the next power of ten (only when !big) */
        n = E16;
        k++;
    }
    *digits = n;
    *exp10 = k;
}
#endif

/* The 17 significant digits of positive normal v < 1e17 as the integer
 * *digits in [10^16, 10^17), rounded half-even, and its decimal exponent:
 * v ≈ *digits · 10^(*exp10 - 16), for what digits17_fast leaves (a big
 * integer when 5^s has more than 64 bits).  0 when v is not covered. */
static int digits17(double v, uint64_t *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e = (int)(bits >> 52 & 0x7ff);
    if (e == 0 || e == 0x7ff || !(v < 1e17))
        return 0;
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int q = e - 1075;
    /* floor(log10 v) from log2 v = e2 + log2(1 + f), the latter within
     * 0.002 by f(1 + 0.3466(1 - f)): off by one only within 0.2% of a
     * power of ten, where the loop below corrects it */
    double f = (double)(m - (1ull << 52)) / (double)(1ull << 52);
    double l10 = (e - 1023 + f * (1 + 0.3466 * (1 - f))) * 0.30102999566398120;
    int k = (int)l10;
    k -= l10 < k; /* floor: (int) truncates towards 0 */
    if (k > 16)
        k = 16; /* v < 1e17 */
    uint64_t n = 0;
    int up = 0;
    for (int tries = 0; tries < 3; tries++) {
        n = scaled(m, q, 16 - k, &up);
        if (n >= E17)
            k++; /* v >= 10^(k+1): the estimate was one too small */
        else if (n < E16)
            k--;
        else
            break;
    }
    if (n < E16 || n >= E17)
        return 0;
    n += (uint64_t)up;
    if (n == E17) { /* rounded up to the next power of ten: 1.000...e(k+1) */
        n = E16;
        k++;
    }
    *digits = n;
    *exp10 = k;
    return 1;
}

/* jansson's exponent text, "e" included, for -99 <= x <= -5 (the
 * exponents layout writes below 1e17): json_exp[x + 99] is its bytes,
 * zeros after them, the count of them in the last byte (one 8-byte copy
 * writes it). */
static const char json_exp[95][8] = {
    "e-99\0\0\0\4", "e-98\0\0\0\4", "e-97\0\0\0\4", "e-96\0\0\0\4", "e-95\0\0\0\4", "e-94\0\0\0\4",
    "e-93\0\0\0\4", "e-92\0\0\0\4", "e-91\0\0\0\4", "e-90\0\0\0\4", "e-89\0\0\0\4", "e-88\0\0\0\4",
    "e-87\0\0\0\4", "e-86\0\0\0\4", "e-85\0\0\0\4", "e-84\0\0\0\4", "e-83\0\0\0\4", "e-82\0\0\0\4",
    "e-81\0\0\0\4", "e-80\0\0\0\4", "e-79\0\0\0\4", "e-78\0\0\0\4", "e-77\0\0\0\4", "e-76\0\0\0\4",
    "e-75\0\0\0\4", "e-74\0\0\0\4", "e-73\0\0\0\4", "e-72\0\0\0\4", "e-71\0\0\0\4", "e-70\0\0\0\4",
    "e-69\0\0\0\4", "e-68\0\0\0\4", "e-67\0\0\0\4", "e-66\0\0\0\4", "e-65\0\0\0\4", "e-64\0\0\0\4",
    "e-63\0\0\0\4", "e-62\0\0\0\4", "e-61\0\0\0\4", "e-60\0\0\0\4", "e-59\0\0\0\4", "e-58\0\0\0\4",
    "e-57\0\0\0\4", "e-56\0\0\0\4", "e-55\0\0\0\4", "e-54\0\0\0\4", "e-53\0\0\0\4", "e-52\0\0\0\4",
    "e-51\0\0\0\4", "e-50\0\0\0\4", "e-49\0\0\0\4", "e-48\0\0\0\4", "e-47\0\0\0\4", "e-46\0\0\0\4",
    "e-45\0\0\0\4", "e-44\0\0\0\4", "e-43\0\0\0\4", "e-42\0\0\0\4", "e-41\0\0\0\4", "e-40\0\0\0\4",
    "e-39\0\0\0\4", "e-38\0\0\0\4", "e-37\0\0\0\4", "e-36\0\0\0\4", "e-35\0\0\0\4", "e-34\0\0\0\4",
    "e-33\0\0\0\4", "e-32\0\0\0\4", "e-31\0\0\0\4", "e-30\0\0\0\4", "e-29\0\0\0\4", "e-28\0\0\0\4",
    "e-27\0\0\0\4", "e-26\0\0\0\4", "e-25\0\0\0\4", "e-24\0\0\0\4", "e-23\0\0\0\4", "e-22\0\0\0\4",
    "e-21\0\0\0\4", "e-20\0\0\0\4", "e-19\0\0\0\4", "e-18\0\0\0\4", "e-17\0\0\0\4", "e-16\0\0\0\4",
    "e-15\0\0\0\4", "e-14\0\0\0\4", "e-13\0\0\0\4", "e-12\0\0\0\4", "e-11\0\0\0\4", "e-10\0\0\0\4",
    "e-9\0\0\0\0\3", "e-8\0\0\0\0\3", "e-7\0\0\0\0\3", "e-6\0\0\0\0\3", "e-5\0\0\0\0\3",
};

/* The exponent's sign and digits after "e": at least two digits for %g,
 * one for jansson (whose exponent has no '+' and no leading zero); |x| <=
 * 324.  Returns the end. */
static ALWAYS_INLINE char *exponent(char *p, int x, int json)
{
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    *p = x < 0 ? '-' : '+';
    p += x < 0 || !json;
    if (ax >= 100) {
        unsigned h = ax / 100;
        *p++ = (char)('0' + h);
        ax -= 100 * h;
        memcpy(p, pairs + 2 * ax, 2);
        return p + 2;
    }
    int skip = json && ax < 10; /* jansson's "e-5", %g's "e-05" */
    memcpy(p, pairs + 2 * ax + skip, 2);
    return p + 2 - skip;
}

/* %g's layout of the 17 digits n at exponent x into out (room for 32
 * bytes: the 16 digits after the first are stored at once, then the
 * pointer moved by what counts): fixed for -4 <= x < 17, else d.ddde±XX;
 * trailing zeros of the fraction, and a bare point, dropped.  json:
 * jansson's edits of it instead -- ".0" after an integral fixed value,
 * the exponent without '+' and without leading zeros. */
static ALWAYS_INLINE int layout(char *out, uint64_t n, int x, int json)
{
    uint64_t top9 = n / 100000000u; /* the first digit and the next 8 */
    uint32_t first = (uint32_t)(top9 / 100000000u);
    uint32_t hi = (uint32_t)(top9 - first * 100000000ull);
    uint32_t lo = (uint32_t)(n - top9 * 100000000u);
    char *p = out;
    if (x < -4 || x >= 17) {
        p[0] = (char)('0' + first);
        p[1] = '.';
        int nd = sixteen(p + 2, hi, lo);
        p += nd > 0 ? nd + 2 : 1;
        if (json && (unsigned)(x + 99) <= 94u) { /* the zeros after the text end it */
#if defined(GC_G17_EXP_MUTANT)
            const char *t = json_exp[x + 99 + (x == -10)]; /* e-10 written e-9 */
#else
            const char *t = json_exp[x + 99];
#endif
            memcpy(p, t, 8);
            return (int)(p - out) + t[7];
        }
        *p++ = 'e';
        p = exponent(p, x, json);
    } else if (x < 0) {
        memcpy(p, "0.000000", 8);
        p += 1 - x;
        *p = (char)('0' + first);
        p += 1 + sixteen(p + 1, hi, lo);
    } else {
        char d[17];
        d[0] = (char)('0' + first);
        int nd = 1 + sixteen(d + 1, hi, lo);
        memcpy(p, d, (size_t)x + 1);
        p += x + 1;
        if (nd > x + 1) {
            *p++ = '.';
            memcpy(p, d + x + 1, (size_t)(nd - x - 1));
            p += nd - x - 1;
        } else if (json) {
            *p++ = '.';
            *p++ = '0';
        }
    }
    *p = '\0';
    return (int)(p - out);
}

/* The sign, then the layout, for the doubles digits17_fast covers; 0 for
 * the others (format_slow's, out of line: this path makes no call). */
static ALWAYS_INLINE int format_fast(char *buf, double v, int json)
{
#if defined(__SIZEOF_INT128__)
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    unsigned e = (unsigned)(bits >> 52 & 0x7ff);
    if (e - FAST_E_LO > FAST_E_HI - FAST_E_LO)
        return 0;
    int neg = (int)(bits >> 63), x;
    uint64_t n;
    digits17_fast((bits & ((1ull << 52) - 1)) | (1ull << 52), e, &n, &x);
    *buf = '-';
    return neg + layout(buf + neg, n, x, json);
#else
    (void)buf;
    (void)v;
    (void)json;
    return 0;
#endif
}

/* format_fast's text for the rest of the normal doubles below 1e17: the
 * small ones by digits17_small, the others by digits17's big integers; 0
 * for zero, subnormals, infinities, NaN and |v| >= 1e17. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int format_slow(char *buf, double v, int json)
{
    uint64_t n, bits;
    int x, neg = signbit(v) != 0;
    memcpy(&bits, &v, sizeof bits);
#if defined(__SIZEOF_INT128__)
    unsigned e = (unsigned)(bits >> 52 & 0x7ff);
    if (e - SMALL_E_LO <= SMALL_E_HI - SMALL_E_LO)
        digits17_small((bits & ((1ull << 52) - 1)) | (1ull << 52), (int)e - 1075, &n, &x);
    else
#endif
    if (!digits17(fabs(v), &n, &x))
        return 0;
    *buf = '-';
    return neg + layout(buf + neg, n, x, json);
}

int gc_numfmt_g17(char buf[32], double v)
{
    int n = format_fast(buf, v, 0);
    if (n > 0)
        return n;
    if ((n = format_slow(buf, v, 0)) > 0)
        return n;
    n = snprintf(buf, 32, "%.17g", v);
    gc_numfmt_point(buf, NULL);
    return n;
}

/* gc_numfmt_json17 for what format_fast leaves (out of line: the callers'
 * fast path makes no call). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int json17_slow(char buf[32], double v)
{
    int n = format_slow(buf, v, 1);
    if (n > 0)
        return n;
    if (!isfinite(v))
        return 0; /* JSON has no such number */
    n = gc_numfmt_g17(buf, v);
    char *e = memchr(buf, 'e', (size_t)n);
    if (e == NULL) {
        if (memchr(buf, '.', (size_t)n) == NULL && n + 2 < 32) {
            memcpy(buf + n, ".0", 3);
            n += 2;
        }
        return n;
    }
    char *from = e + 1, *to = e + 1; /* "e+05" -> "e5", "e-05" -> "e-5" */
    if (*from == '+')
        from++;
    else if (*from == '-')
        from++, to++;
    while (*from == '0' && from[1] != '\0')
        from++;
    size_t rest = (size_t)(buf + n - from) + 1;
    memmove(to, from, rest);
    return (int)(to - buf) + (int)rest - 1;
}

int gc_numfmt_json17(char buf[32], double v)
{
    int n = format_fast(buf, v, 1);
    return n > 0 ? n : json17_slow(buf, v);
}

char *gc_numfmt_json17_fields(char *p, int n, const double *v, const char (*pre)[32],
                              const unsigned char *len)
{
    for (int i = 0; i < n; i++) {
        memcpy(p, pre[i], 32); /* a constant size: two 16-byte moves */
        p += len[i];
        int k = format_fast(p, v[i], 1);
        if (k == 0 && (k = json17_slow(p, v[i])) == 0) {
            const char *s = isnan(v[i]) ? "\"nan\"" : v[i] > 0 ? "\"inf\"" : "\"-inf\"";
            k = (int)strlen(s);
            memcpy(p, s, (size_t)k);
        }
        p += k;
    }
    return p;
}
