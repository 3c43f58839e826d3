/*
 * io/crc32.h -- the CRC-32 of zip and gzip (private): zlib's crc32, 8 to
 * 16 times faster on an x86-64 CPU with carry-less multiplication.
 */
#ifndef GC_IO_CRC32_H
#define GC_IO_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of p[0 .. n): what zlib's crc32(0, p, n) returns, bit for
 * bit.  Through PCLMULQDQ when the CPU has it (and SSE4.1), the part of
 * 64 bytes or more that is whole 16-byte blocks; zlib for the rest. */
uint32_t gc_crc32(const unsigned char *p, size_t n);

/* Nonzero when gc_crc32 multiplies here (the CPU has PCLMULQDQ and SSE4.1). */
int gc_crc32_clmul(void);

/* The same, through zlib alone: for the tests that compare the two. */
uint32_t gc_crc32_zlib(const unsigned char *p, size_t n);

#endif
