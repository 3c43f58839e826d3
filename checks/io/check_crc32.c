/*
 * check_crc32.c -- gc_crc32 (lib/io/crc32.c) gives zlib's crc32 bit for
 * bit: on the standard check string, and on random bytes (PCG32, seed 1)
 * of every length 0 .. 1200 at offsets 0 .. 15 (each path: zlib alone
 * below 64 bytes, the folding of 4 x 16 bytes at a time, the single 16-byte
 * folds, zlib's tail of 1 .. 15 bytes) and of a few lengths near 1 MiB.
 * Where the CPU has no carry-less multiplication both sides are zlib's,
 * and the test says so.
 */
#include <check.h>
#include <gradcheck.h>

#include <stdio.h>
#include <stdlib.h>

#include "io/crc32.h"

START_TEST(test_crc32_check_value)
{
    /* the CRC-32 check value of every CRC catalogue */
    ck_assert_uint_eq(gc_crc32((const unsigned char *)"123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(gc_crc32(NULL, 0), 0);
}
END_TEST

START_TEST(test_crc32_is_zlibs)
{
    enum { BIG = (1 << 20) + 64 };
    unsigned char *buf = malloc(BIG);
    ck_assert_ptr_nonnull(buf);
    gc_pcg32 rng;
    gc_pcg32_seed(&rng, 1, 0);
    for (size_t i = 0; i < BIG; i++)
        buf[i] = (unsigned char)gc_pcg32_next(&rng);
    if (!gc_crc32_clmul())
        fprintf(stderr, "test_crc32_is_zlibs: no PCLMULQDQ here: zlib against zlib\n");
    for (size_t off = 0; off < 16; off++)
        for (size_t n = 0; n <= 1200; n++)
            ck_assert_msg(gc_crc32(buf + off, n) == gc_crc32_zlib(buf + off, n),
                          "offset %zu, %zu bytes: %08x, zlib %08x", off, n,
                          gc_crc32(buf + off, n), gc_crc32_zlib(buf + off, n));
    for (size_t n = (1 << 20) - 17; n <= (1 << 20) + 17; n++)
        ck_assert_msg(gc_crc32(buf + 3, n) == gc_crc32_zlib(buf + 3, n), "%zu bytes", n);
    free(buf);
}
END_TEST

Suite *make_crc32_suite(void)
{
    Suite *s = suite_create("crc32");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_crc32_check_value);
    tcase_add_test(tc, test_crc32_is_zlibs);
    suite_add_tcase(s, tc);
    return s;
}
