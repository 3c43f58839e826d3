/*
 * g17.c -- printf's "%.17g" of a double, exactly, without printf.
 *
 * A report of 100,000 rows carries 400,000 numbers at 17 digits; glibc's
 * printf takes ~0.3 µs for each (a multiple-precision conversion), more
 * than the check itself.  Here the 17 digits are computed exactly in
 * integers: v = m·2^q (m < 2^53) times 10^s = 5^s·2^s is the integer
 * m·5^s shifted by q + s bits (5^s built from 5^13, the largest power of 5
 * in a 32-bit limb), so round-half-even of v·10^s needs one
 * big-integer product (32-bit limbs) and a look at the bits shifted out --
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
#define LIMBS 28

typedef struct big {
    uint32_t w[LIMBS]; /* little-endian 32-bit limbs */
    int n;             /* limbs in use; w[n-1] != 0 */
} big;

static void big_mul(big *x, uint32_t f)
{
    uint64_t carry = 0;
    for (int i = 0; i < x->n; i++) {
        uint64_t p = (uint64_t)x->w[i] * f + carry;
        x->w[i] = (uint32_t)p;
        carry = p >> 32;
    }
    if (carry != 0)
        x->w[x->n++] = (uint32_t)carry;
}

static int big_bit(const big *x, int b)
{
    return b / 32 < x->n && (x->w[b / 32] >> (b % 32) & 1u);
}

/* Any bit of x below bit b set. */
static int big_any_below(const big *x, int b)
{
    for (int i = 0; i < b / 32 && i < x->n; i++)
        if (x->w[i] != 0)
            return 1;
    return b / 32 < x->n && (x->w[b / 32] & ((1u << (b % 32)) - 1u)) != 0;
}

/* Any bit of x at or above bit b set. */
static int big_any_from(const big *x, int b)
{
    for (int i = x->n - 1; i > b / 32; i--)
        if (x->w[i] != 0)
            return 1;
    return b / 32 < x->n && (x->w[b / 32] >> (b % 32)) != 0;
}

static uint64_t limb(const big *x, int i)
{
    return i < x->n ? x->w[i] : 0;
}

/* floor(x / 2^sh) when it has at most 64 bits. */
static uint64_t big_shr64(const big *x, int sh)
{
    int i = sh / 32, off = sh % 32;
    uint64_t lo = limb(x, i) | limb(x, i + 1) << 32;
    return off == 0 ? lo : lo >> off | limb(x, i + 2) << (64 - off);
}

/* floor(v·10^s) for v = m·2^q, s >= 0, when it has at most 64 bits (else
 * UINT64_MAX); *up 1 when round-half-even takes it one higher (the part
 * below 1 is above one half, or exactly one half and the floor odd). */
static uint64_t scaled(uint64_t m, int q, int s, int *up)
{
    big x; /* only the limbs in use are ever read */
    x.w[0] = (uint32_t)m;
    x.w[1] = (uint32_t)(m >> 32);
    x.n = x.w[1] != 0 ? 2 : 1;
    static const uint32_t pow5[14] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625,
                                      1953125, 9765625, 48828125, 244140625, 1220703125};
    for (int k = s; k > 0; k -= 13)
        big_mul(&x, pow5[k < 13 ? k : 13]);
    int t = q + s;
    *up = 0;
    if (t >= 0) /* an integer: x·2^t */
        return t > 63 || big_any_from(&x, 64 - t) ? UINT64_MAX : big_shr64(&x, 0) << t;
    int sh = -t;
    if (big_any_from(&x, sh + 64))
        return UINT64_MAX;
    uint64_t r = big_shr64(&x, sh);
    *up = big_bit(&x, sh - 1) && (big_any_below(&x, sh - 1) || (r & 1u));
    return r;
}

/* The 8 decimal digits of v < 10^8, two at a time (two short chains of
 * divisions instead of one of eight). */
static void eight(char *d, uint32_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    uint32_t hi = v / 10000u, lo = v % 10000u;
    memcpy(d, pairs + 2 * (hi / 100u), 2);
    memcpy(d + 2, pairs + 2 * (hi % 100u), 2);
    memcpy(d + 4, pairs + 2 * (lo / 100u), 2);
    memcpy(d + 6, pairs + 2 * (lo % 100u), 2);
}

#define E16 10000000000000000ull
#define E17 100000000000000000ull

/* The 17 digits d[0..17) and decimal exponent of positive normal v < 1e17,
 * rounded half-even: v ≈ d[0].d[1]...d[16] · 10^*exp10.  0 when v is not
 * covered. */
static int digits17(double v, char d[17], int *exp10)
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
    int k = (int)floor((e - 1023 + f * (1 + 0.3466 * (1 - f))) * 0.30102999566398120);
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
    d[0] = (char)('0' + n / E16);
    n %= E16;
    eight(d + 1, (uint32_t)(n / 100000000u));
    eight(d + 9, (uint32_t)(n % 100000000u));
    *exp10 = k;
    return 1;
}

/* %g's layout of 17 digits at exponent x: fixed for -4 <= x < 17, else
 * d.ddde±XX; trailing zeros of the fraction, and a bare point, dropped. */
static int layout(char *out, const char d[17], int x)
{
    int nd = 17;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *p = out;
    if (x >= -4 && x < 17) {
        if (x < 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = 0; i < -x - 1; i++)
                *p++ = '0';
            memcpy(p, d, (size_t)nd);
            p += nd;
        } else {
            memcpy(p, d, (size_t)x + 1);
            p += x + 1;
            if (nd > x + 1) {
                *p++ = '.';
                memcpy(p, d + x + 1, (size_t)(nd - x - 1));
                p += nd - x - 1;
            }
        }
    } else {
        *p++ = d[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        int ax = x < 0 ? -x : x;
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        if (ax >= 100)
            *p++ = (char)('0' + ax / 100);
        *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    }
    *p = '\0';
    return (int)(p - out);
}

int gc_numfmt_g17(char buf[32], double v)
{
    char d[17];
    int x;
    char *p = buf;
    double a = v;
    if (signbit(v) && !isnan(v)) {
        *p++ = '-';
        a = -v;
    }
    if (!digits17(a, d, &x)) {
        int n = snprintf(buf, 32, "%.17g", v);
        gc_numfmt_point(buf, NULL);
        return n;
    }
    return (int)(p - buf) + layout(p, d, x);
}
