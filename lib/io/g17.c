/*
 * g17.c -- printf's "%.17g" of a double, exactly, without printf.
 *
 * A report of 100,000 rows carries 400,000 numbers at 17 digits; glibc's
 * printf takes ~0.3 µs for each (a multiple-precision conversion), more
 * than the check itself.  Here the 17 digits are computed exactly in
 * integers: v = m·2^q (m < 2^53) times 10^s = 5^s·2^s is the integer
 * m·5^s shifted by q + s bits, so round-half-even of v·10^s needs one
 * big-integer product (64-bit limbs) and a look at the bits shifted out --
 * the same correctly rounded digits printf gives in the default rounding
 * mode.  Values this path does not cover (zero, subnormals, infinities,
 * NaN, |v| >= 1e17) go to snprintf.
 */
#include "io/numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    static const uint64_t pow5[28] = {
        1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull,
        1953125ull, 9765625ull, 48828125ull, 244140625ull, 1220703125ull, 6103515625ull,
        30517578125ull, 152587890625ull, 762939453125ull, 3814697265625ull,
        19073486328125ull, 95367431640625ull, 476837158203125ull, 2384185791015625ull,
        11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
        1490116119384765625ull, 7450580596923828125ull};
    /* 5^s in 64 bits (v >= 1e-11, most of what a report prints) and v·10^s
     * = m 5^s / 2^down with 0 < down < 64: one 128-bit product hi:lo, the
     * bits shifted out all in lo */
    int down = -(q + s);
    if (s < 28 && down > 0 && down < 64) {
        uint64_t hi, lo = mul_add(m, pow5[s], 0, &hi);
        if (hi >> down != 0)
            return UINT64_MAX;
        uint64_t n = hi << (64 - down) | lo >> down;
        uint64_t rest = lo & ((1ull << down) - 1), half = 1ull << (down - 1);
        *up = rest > half || (rest == half && (n & 1u));
        return n;
    }
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

/* The 8 decimal digits of v < 10^8 as 8 ASCII bytes, the first digit in
 * the lowest: the digits split in halves, quarters and single digits in
 * parallel lanes of one 64-bit word (x 10486 >> 20 is x / 100 for x <
 * 10^4, x 103 >> 10 is x / 10 for x < 100), without a table or a store
 * per pair to read back. */
static inline uint64_t eight(uint32_t v)
{
    uint64_t w = (uint64_t)(v / 10000u) | (uint64_t)(v % 10000u) << 32;
    uint64_t hundreds = (w * 10486u >> 20) & 0x0000007f0000007full;
    w = hundreds | (w - hundreds * 100u) << 16;
    uint64_t tens = (w * 103u >> 10) & 0x000f000f000f000full;
    w = tens | (w - tens * 10u) << 8;
    return w + 0x3030303030303030ull;
}

/* The 8 bytes of w at p, the lowest first (one store where bytes are
 * little-endian). */
static void put8(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &w, sizeof w);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (char)(w >> (8 * i));
#endif
}

/* How many of w's 8 digits, from its last (highest byte), are '0'. */
static int zeros8(uint64_t w)
{
    int z = 0;
    while (z < 8 && (w >> (56 - 8 * z) & 0xffu) == '0')
        z++;
    return z;
}

#define E16 10000000000000000ull
#define E17 100000000000000000ull

/* The 17 significant digits of positive normal v < 1e17 as the integer
 * *digits in [10^16, 10^17), rounded half-even, and its decimal exponent:
 * v ≈ *digits · 10^(*exp10 - 16).  0 when v is not covered. */
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

/* %g's layout of the 17 digits n at exponent x into out (room for 28
 * bytes: the digits are stored 8 at a time, then the pointer moved by
 * what counts): fixed for -4 <= x < 17, else d.ddde±XX; trailing zeros of
 * the fraction, and a bare point, dropped.  json: jansson's edits of it
 * instead -- ".0" after an integral fixed value, the exponent without '+'
 * and without leading zeros. */
static int layout(char *out, uint64_t n, int x, int json)
{
    char first = (char)('0' + n / E16);
    uint64_t rest = n % E16;
    uint64_t hi = eight((uint32_t)(rest / 100000000u)), lo = eight((uint32_t)(rest % 100000000u));
    int zeros = zeros8(lo);
    if (zeros == 8)
        zeros += zeros8(hi);
    int nd = 17 - zeros; /* significant digits, 1 .. 17 */
    char *p = out;
    if (x >= -4 && x < 17) {
        char d[17];
        if (x < 0) {
            memcpy(p, "0.000", 5);
            p += 1 - x;
            *p = first;
            put8(p + 1, hi);
            put8(p + 9, lo);
            p += nd;
        } else {
            d[0] = first;
            put8(d + 1, hi);
            put8(d + 9, lo);
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
    } else {
        p[0] = first;
        p[1] = '.';
        put8(p + 2, hi);
        put8(p + 10, lo);
        p += nd > 1 ? nd + 1 : 1;
        int ax = x < 0 ? -x : x;
        *p++ = 'e';
        if (x < 0 || !json)
            *p++ = x < 0 ? '-' : '+';
        if (ax >= 100)
            *p++ = (char)('0' + ax / 100);
        if (ax >= 10 || !json)
            *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    }
    *p = '\0';
    return (int)(p - out);
}

/* The sign, then the layout; 0 when digits17 does not cover v. */
static int format(char *buf, double v, int json)
{
    uint64_t n;
    int x;
    char *p = buf;
    double a = v;
    if (signbit(v) && !isnan(v)) {
        *p++ = '-';
        a = -v;
    }
    if (!digits17(a, &n, &x))
        return 0;
    return (int)(p - buf) + layout(p, n, x, json);
}

int gc_numfmt_g17(char buf[32], double v)
{
    int n = format(buf, v, 0);
    if (n > 0)
        return n;
    n = snprintf(buf, 32, "%.17g", v);
    gc_numfmt_point(buf, NULL);
    return n;
}

int gc_numfmt_json17(char buf[32], double v)
{
    int n = format(buf, v, 1);
    if (n > 0)
        return n;
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
