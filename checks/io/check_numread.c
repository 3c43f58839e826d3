/*
 * check_numread.c -- the network file's number reader (io/numread.h) gives
 * exactly strtod's bits, both ways in: the whole token, and the fast
 * path's own reading of a number (gc_nf_read_number, io/netfile_fast.h),
 * which takes the digits apart and hands them to the reader's decimal way
 * (or its token way for more than 19 digits); integer tokens there read
 * as jansson reads them, strtoll's value converted to double.
 *
 * Spellings, all in JSON's grammar (the only text the reader is given),
 * drawn from PCG32: random digit strings of 1 to 40 digits with the point
 * anywhere, leading zeros after "0.", exponents that put the value near
 * both ends of the double range (subnormals, underflow to 0, overflow to
 * Inf) and in between; the exact decimal of the midpoint between two
 * neighbouring doubles (a tie, rounded to even), the same plus a trailing
 * 1 far down (just above the tie), and cut to 40 digits (just below it);
 * and a table of known hard cases.  The planted mutant (io/numread.h) must
 * be caught by the same spellings.
 */
#include "testutil.h"

#include "io/netfile_fast.h"
#include "io/numread.h"

#include <check.h>
#include <errno.h>
#include <float.h>
#include <gradcheck.h>
#include <gradcheck/ck.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPELL_MAX 1200

static uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* What jansson makes of the number s: an integer token strtoll's value
 * as a double (*ok 0 where strtoll overflows), a real strtod's (*ok 0 where
 * it overflows). */
static double jansson_value(const char *s, int *ok)
{
    errno = 0;
    if (strpbrk(s, ".eE") == NULL) {
        long long x = strtoll(s, NULL, 10);
        *ok = errno != ERANGE;
        return (double)x;
    }
    double d = strtod(s, NULL);
    *ok = isfinite(d);
    return d;
}

/* s read both ways against the C library, bit for bit (all NaN-free: the
 * grammar has no NaN): rd's token way against strtod (reals only: the
 * loader gives it nothing else), the fast path's reading against jansson's
 * value, or its refusal where jansson refuses.  1 when all agree. */
static int agrees(const gc_numreader *rd, const char *s, char *why, size_t size)
{
    const char *end = s + strlen(s);
    int ok, real = strpbrk(s, ".eE") != NULL;
    double want = jansson_value(s, &ok), got = 0.0, fast = 0.0;
    if (real && (rd->token(s, end, &got) != 0 || bits_of(got) != bits_of(strtod(s, NULL)))) {
        snprintf(why, size, "%s: token read %a, strtod %a", s, got, strtod(s, NULL));
        return 0;
    }
    const char *past = gc_nf_read_number(s, end, rd, &fast);
    if (!ok) {
        if (past == NULL)
            return 1;
        snprintf(why, size, "%s: read as %a where jansson refuses it", s, fast);
        return 0;
    }
    if (past != end || bits_of(fast) != bits_of(want)) {
        snprintf(why, size, "%s: read %s%a (%016llx), jansson %a (%016llx)", s,
                 past != end ? "short, " : "", fast, (unsigned long long)bits_of(fast), want,
                 (unsigned long long)bits_of(want));
        return 0;
    }
    return 1;
}

static char digit(gc_pcg32 *r, int nonzero)
{
    return (char)('0' + (nonzero ? 1 + gc_pcg32_bounded(r, 9) : gc_pcg32_bounded(r, 10)));
}

/* A random spelling into buf: sign, 1-40 significant digits, the point
 * anywhere (or "0.000..." before them), and an exponent that puts the
 * value near 1e-324..1e-300, 1e290..1e310 or 1e-20..1e20, or none. */
static void spell_random(gc_pcg32 *r, char *buf)
{
    size_t n = 0;
    if (gc_pcg32_bounded(r, 4) == 0)
        buf[n++] = '-';
    int ndig = 1 + (int)gc_pcg32_bounded(r, 40);
    int lead = gc_pcg32_bounded(r, 4) == 0; /* "0.000ddd" */
    int before = lead ? 0 : 1 + (int)gc_pcg32_bounded(r, (uint32_t)ndig);
    if (lead) {
        int zeros = (int)gc_pcg32_bounded(r, 6);
        n += (size_t)sprintf(buf + n, "0.");
        for (int z = 0; z < zeros; z++)
            buf[n++] = '0';
    }
    for (int i = 0; i < ndig; i++) {
        if (!lead && i == before)
            buf[n++] = '.';
        buf[n++] = digit(r, i == 0 && !lead);
    }
    int has_point = lead || before < ndig;
    static const int centre[3] = {-312, 300, 0};
    int region = (int)gc_pcg32_bounded(r, 4);
    if (region < 3 || !has_point) {
        int c = centre[region < 3 ? region : 2] + (int)gc_pcg32_bounded(r, 25) - 12;
        int e = c - (lead ? 0 : before); /* the value is about 10^c */
        const char *mark = gc_pcg32_bounded(r, 2) ? "e" : "E";
        const char *plus = e >= 0 && gc_pcg32_bounded(r, 2) ? "+" : "";
        n += (size_t)sprintf(buf + n, "%s%s%d", mark, plus, e);
    }
    buf[n] = '\0';
}

/* A random integer token: 1-21 digits (long long ends at 19), a sign. */
static void spell_integer(gc_pcg32 *r, char *buf)
{
    size_t n = 0;
    if (gc_pcg32_bounded(r, 2) == 0)
        buf[n++] = '-';
    int ndig = 1 + (int)gc_pcg32_bounded(r, 21);
    for (int i = 0; i < ndig; i++)
        buf[n++] = ndig == 1 ? digit(r, 0) : digit(r, i == 0);
    buf[n] = '\0';
}

/* ---- exact decimals of ties: base 1e9 limbs, least significant first --- */

typedef struct big {
    uint32_t limb[140];
    int n;
} big;

static void big_mul(big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t v = (uint64_t)b->limb[i] * m + carry;
        b->limb[i] = (uint32_t)(v % 1000000000u);
        carry = v / 1000000000u;
    }
    while (carry > 0) {
        b->limb[b->n++] = (uint32_t)(carry % 1000000000u);
        carry /= 1000000000u;
    }
}

/* b's decimal digits, most significant first, into out; their count. */
static int big_digits(const big *b, char *out)
{
    int n = sprintf(out, "%u", b->limb[b->n - 1]);
    for (int i = b->n - 2; i >= 0; i--)
        n += sprintf(out + n, "%09u", b->limb[i]);
    return n;
}

/* The exact decimal of the midpoint between the positive finite d and the
 * next double up, as "D.DDDDe<exp>" with every digit.  d = M 2^E, so the
 * midpoint is (2M + 1) 2^(E-1): times 2^(E-1) when E >= 1, else times
 * 5^(1-E) over 10^(1-E). */
static void spell_tie(double d, char *buf)
{
    int e2;
    double f = frexp(d, &e2); /* d = f 2^e2, f in [0.5, 1) */
    uint64_t M = (uint64_t)ldexp(f, 53);
    int E = e2 - 53;
    if (E < -1074) { /* subnormal: M 2^-1074 */
        M >>= (unsigned)(-1074 - E);
        E = -1074;
    }
    uint64_t odd = 2 * M + 1;
    big b = {.limb = {(uint32_t)(odd % 1000000000u), (uint32_t)(odd / 1000000000u % 1000000000u),
                      (uint32_t)(odd / 1000000000000000000u)},
             .n = 3};
    while (b.n > 1 && b.limb[b.n - 1] == 0)
        b.n--;
    int k = E - 1, scale = 0; /* value = digits * 10^scale */
    for (; k >= 29; k -= 29)
        big_mul(&b, 1u << 29);
    if (k > 0)
        big_mul(&b, 1u << k);
    for (int j = -k; j > 0; j -= 13) {
        uint32_t p = 1;
        for (int i = 0; i < (j < 13 ? j : 13); i++)
            p *= 5;
        big_mul(&b, p);
    }
    if (k < 0)
        scale = k;
    char dig[1000]; /* at most 770 digits: 5^1075 times 2^54 */
    int nd = big_digits(&b, dig);
    snprintf(buf, SPELL_MAX, "%c.%se%d", dig[0], dig + 1, nd - 1 + scale);
    if (nd == 1) /* "5.e-1" is no JSON: write "5.0e-1" */
        snprintf(buf, SPELL_MAX, "%c.0e%d", dig[0], nd - 1 + scale);
}

/* A finite positive double of random bits, below DBL_MAX. */
static double random_double(gc_pcg32 *r)
{
    for (;;) {
        uint64_t b = ((uint64_t)gc_pcg32_next(r) << 32 | gc_pcg32_next(r)) & ~(1ULL << 63);
        double d;
        memcpy(&d, &b, sizeof d);
        if (isfinite(d) && d < DBL_MAX)
            return d;
    }
}

/* The tie's three spellings: exact, a hair above, cut to 40 digits. */
static void spell_tie_variant(gc_pcg32 *r, int which, char *buf)
{
    char tie[SPELL_MAX];
    spell_tie(random_double(r), tie);
    char *e = strchr(tie, 'e');
    if (which == 0) {
        snprintf(buf, SPELL_MAX, "%s", tie);
    } else if (which == 1) { /* digits, then 0000001, then the exponent */
        snprintf(buf, SPELL_MAX, "%.*s0000001%s", (int)(e - tie), tie, e);
    } else {
        int keep = (int)(e - tie) < 41 ? (int)(e - tie) : 41; /* "D." + 39 digits */
        snprintf(buf, SPELL_MAX, "%.*s%s", keep, tie, e);
    }
}

/* Hard cases by name: zeros, ties at 2^53, the ends of the range. */
static const char *const known[] = {
    "0.0", "-0.0", "0e0", "-0e-5", "0.000e400", "1.0", "0.1", "-0.1", "1e0", "1E+0",
    "9007199254740993.0", "9007199254740993e0", "9007199254740995.0", "9007199254740993.000000000000000000001",
    "18014398509481987e0", "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "1.797693134862315807937289714053e308", "1e309", "-1e309",
    "1e99999", "2.2250738585072011e-308", "2.2250738585072014e-308", "2.2250738585072012e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
    "2.47032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996189898282347722858865463328355177969898199387398005390939063150356595155702263922908583924491051844359318028499365361525003193704576782492193656236698636584807570157712e-324",
    "1e-400", "-1e-400", "3.0e-324", "7.4109846876186982e-324", "123456789012345678901234567890e-10",
    "0.30000000000000004", "5e-324", "1.0000000000000002", "0.9999999999999999444888487687421729788184165954589843750",
    "1e1000000000000", "1e-1000000000000", "0.00000000000000000000000000000000000000001e41",
    "10000000000000000000000000000000000000000e-40", "1234567890123456789", "12345678901234567890e-1",
    /* integers: -0 is +0.0, 2^53 + 1 is a tie, long long's ends */
    "0", "-0", "9007199254740993", "-9007199254740993", "9223372036854775807",
    "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
};

#define NRANDOM 100000
#define NINTEGERS 20000
#define NTIES 5000

/* Over the table, NRANDOM random spellings, NINTEGERS integers and NTIES
 * ties (three spellings each) from seed: how many rd reads differently from strtod;
 * the first such in why. */
static int disagreements(const gc_numreader *rd, uint64_t seed, char *why, size_t size)
{
    char buf[SPELL_MAX], w[SPELL_MAX + 200];
    int bad = 0;
    why[0] = '\0';
    gc_pcg32 r;
    gc_pcg32_seed(&r, seed, 0x5eed);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!agrees(rd, known[i], w, sizeof w) && bad++ == 0)
            snprintf(why, size, "%s", w);
    for (int i = 0; i < NRANDOM; i++) {
        spell_random(&r, buf);
        if (!agrees(rd, buf, w, sizeof w) && bad++ == 0)
            snprintf(why, size, "%s", w);
    }
    for (int i = 0; i < NINTEGERS; i++) {
        spell_integer(&r, buf);
        if (!agrees(rd, buf, w, sizeof w) && bad++ == 0)
            snprintf(why, size, "%s", w);
    }
    for (int i = 0; i < 3 * NTIES; i++) {
        spell_tie_variant(&r, i % 3, buf);
        if (!agrees(rd, buf, w, sizeof w) && bad++ == 0)
            snprintf(why, size, "%s", w);
    }
    return bad;
}

START_TEST(test_numread_gives_strtods_bits)
{
    char why[SPELL_MAX + 200];
    int bad = disagreements(&gc_numread, gc_ck_base_seed(), why, sizeof why);
    ck_assert_msg(bad == 0, "%d spellings read differently from strtod; first: %s", bad, why);
}
END_TEST

/* The planted bug (one ulp off on every odd last bit) is found by the
 * same spellings: the test above can fail. */
START_TEST(test_numread_catches_its_mutant)
{
    char why[SPELL_MAX + 200];
    int bad = disagreements(&gc_numread_mutant, gc_ck_base_seed(), why, sizeof why);
    ck_assert_msg(bad > 0, "the mutant reader agreed with strtod everywhere");
    /* and each way in alone: the token way on a long spelling, the decimal
     * way on a short one (0.3 is 0x3fd3333333333333: its last bit is 1) */
    const char *lng = "0.299999999999999988897769753748434595763683319091796875", *shrt = "0.3";
    double d;
    ck_assert(gc_nf_read_number(lng, lng + strlen(lng), &gc_numread_mutant, &d) != NULL &&
              d != 0.3);
    ck_assert(gc_nf_read_number(shrt, shrt + 3, &gc_numread_mutant, &d) != NULL && d != 0.3);
}
END_TEST

/* The ties are what their name says: strtod reads each exact tie to the
 * neighbour with an even last bit, and the spelling a hair above it to
 * the neighbour above -- so the generator does make the hard cases. */
START_TEST(test_numread_ties_are_ties)
{
    gc_pcg32 r;
    gc_pcg32_seed(&r, gc_ck_base_seed(), 0x71e5);
    char buf[SPELL_MAX];
    for (int i = 0; i < 500; i++) {
        double d = random_double(&r), up = nextafter(d, INFINITY);
        spell_tie(d, buf);
        double t = strtod(buf, NULL);
        double even = (bits_of(d) & 1) == 0 ? d : up;
        ck_assert_msg(bits_of(t) == bits_of(even), "%a: tie %s read as %a, want %a", d, buf, t,
                      even);
    }
}
END_TEST

/* A spelling the token way does not take whole is refused, not cut
 * short; the fast path refuses what is no JSON number. */
START_TEST(test_numread_refuses_what_it_cannot_read_whole)
{
    static const char *const bad[] = {"1.5x", "", "-", "1e5.5", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double d = 42.0;
        ck_assert_msg(gc_numread.token(bad[i], bad[i] + strlen(bad[i]), &d) == -1 && d == 42.0,
                      "\"%s\" read as %g", bad[i], d);
    }
    static const char *const nojson[] = {"01", "-01", "1.", ".5", "+1", "1e", "1e+", "-",
                                         "1.e5", "00", "inf", "-nan", ""};
    for (size_t i = 0; i < sizeof nojson / sizeof nojson[0]; i++) {
        double d = 42.0;
        const char *s = nojson[i];
        ck_assert_msg(gc_nf_read_number(s, s + strlen(s), &gc_numread, &d) == NULL && d == 42.0,
                      "\"%s\" read as %g", s, d);
    }
}
END_TEST

Suite *make_numread_suite(void)
{
    Suite *s = suite_create("numread");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_numread_gives_strtods_bits);
    tcase_add_test(tc, test_numread_catches_its_mutant);
    tcase_add_test(tc, test_numread_ties_are_ties);
    tcase_add_test(tc, test_numread_refuses_what_it_cannot_read_whole);
    suite_add_tcase(s, tc);
    return s;
}
