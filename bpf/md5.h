/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MD5 (RFC 1321) of a message in the JA3 scratch buffer, for the BPF
 * programs and the host unit tests.  The padding is written in place after
 * the message, and the 64-byte blocks go through tlsfp_loop(), so that the
 * verifier checks the unrolled compression function once.
 */
#ifndef TLSFP_BPF_MD5_H
#define TLSFP_BPF_MD5_H

#include "compat.h"
#include "ja3_build.h"

/* Maximum message length: the padding needs 9 bytes, 0x80 and the length. */
#define TLSFP_MD5_MAX_LEN	(TLSFP_JA3_BUF_SIZE - 9)

_Static_assert(TLSFP_JA3_MAX_LEN <= TLSFP_MD5_MAX_LEN,
	       "TLSFP_JA3_BUF_SIZE has no room for a JA3 string's MD5 padding");
_Static_assert(TLSFP_JA3_BUF_SIZE % 64 == 0,
	       "MD5 blocks must tile TLSFP_JA3_BUF_SIZE");

#ifdef __BPF__
/*
 * Offset of a width-byte access, width a power of two: the mask keeps the
 * access inside the buffer and aligned, for the verifier.  It changes no
 * value, because the padded message ends within the buffer and the code
 * only forms aligned offsets.
 */
#define TLSFP_MD5_IDX(off, width) ((off) & (TLSFP_JA3_BUF_SIZE - (width)))
#else
#define TLSFP_MD5_IDX(off, width) (off)
#endif

/* Running state of the hash, shared with the tlsfp_loop() callback. */
struct md5_state {
	const __u8 *buf;
	__u32 a, b, c, d;
};

/*
 * MD5 reads and writes little-endian words.  The buffer is 8-byte aligned
 * (a map value on BPF), and the callers pass aligned offsets, so each access
 * is one load or store on BPF.
 */
static __always_inline __u32 md5_load_le32(const __u8 *p)
{
	__u32 v;

	__builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static __always_inline __u64 md5_load_le64(const __u8 *p)
{
	__u64 v;

	__builtin_memcpy(&v, __builtin_assume_aligned(p, 8), 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static __always_inline void md5_store_le64(__u8 *p, __u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	__builtin_memcpy(__builtin_assume_aligned(p, 8), &v, 8);
}

/* Auxiliary functions of RFC 1321 3.4, in forms with fewer operations. */
static __always_inline __u32 md5_f(__u32 x, __u32 y, __u32 z)
{
	return z ^ (x & (y ^ z));
}

static __always_inline __u32 md5_g(__u32 x, __u32 y, __u32 z)
{
	return y ^ (z & (x ^ y));
}

static __always_inline __u32 md5_h(__u32 x, __u32 y, __u32 z)
{
	return x ^ y ^ z;
}

static __always_inline __u32 md5_i(__u32 x, __u32 y, __u32 z)
{
	return y ^ (x | ~z);
}

/* One step: a = b + ((a + f + m + k) <<< s). */
static __always_inline __u32 md5_step(__u32 f, __u32 a, __u32 b, __u32 m,
				      __u32 k, int s)
{
	a += f + m + k;
	return b + (a << s | a >> (32 - s));
}

/*
 * Compress block i of the padded message into the state.  The 64 steps are
 * unrolled: the round constants become immediates and the message words
 * stay in registers or on the stack, and the verifier checks the body once
 * because the block loop is a tlsfp_loop() callback.
 */
static long md5_block(__u32 i, void *arg)
{
	struct md5_state *x = arg;
	const __u8 *p = x->buf + TLSFP_MD5_IDX(i * 64, 64);
	__u32 a = x->a, b = x->b, c = x->c, d = x->d;
	__u32 m[16];
	int j;

#ifdef __BPF__
#pragma unroll
#endif
	for (j = 0; j < 16; j++)
		m[j] = md5_load_le32(p + j * 4);

	/* Round 1 */
	a = md5_step(md5_f(b, c, d), a, b, m[0], 0xd76aa478, 7);
	d = md5_step(md5_f(a, b, c), d, a, m[1], 0xe8c7b756, 12);
	c = md5_step(md5_f(d, a, b), c, d, m[2], 0x242070db, 17);
	b = md5_step(md5_f(c, d, a), b, c, m[3], 0xc1bdceee, 22);
	a = md5_step(md5_f(b, c, d), a, b, m[4], 0xf57c0faf, 7);
	d = md5_step(md5_f(a, b, c), d, a, m[5], 0x4787c62a, 12);
	c = md5_step(md5_f(d, a, b), c, d, m[6], 0xa8304613, 17);
	b = md5_step(md5_f(c, d, a), b, c, m[7], 0xfd469501, 22);
	a = md5_step(md5_f(b, c, d), a, b, m[8], 0x698098d8, 7);
	d = md5_step(md5_f(a, b, c), d, a, m[9], 0x8b44f7af, 12);
	c = md5_step(md5_f(d, a, b), c, d, m[10], 0xffff5bb1, 17);
	b = md5_step(md5_f(c, d, a), b, c, m[11], 0x895cd7be, 22);
	a = md5_step(md5_f(b, c, d), a, b, m[12], 0x6b901122, 7);
	d = md5_step(md5_f(a, b, c), d, a, m[13], 0xfd987193, 12);
	c = md5_step(md5_f(d, a, b), c, d, m[14], 0xa679438e, 17);
	b = md5_step(md5_f(c, d, a), b, c, m[15], 0x49b40821, 22);

	/* Round 2 */
	a = md5_step(md5_g(b, c, d), a, b, m[1], 0xf61e2562, 5);
	d = md5_step(md5_g(a, b, c), d, a, m[6], 0xc040b340, 9);
	c = md5_step(md5_g(d, a, b), c, d, m[11], 0x265e5a51, 14);
	b = md5_step(md5_g(c, d, a), b, c, m[0], 0xe9b6c7aa, 20);
	a = md5_step(md5_g(b, c, d), a, b, m[5], 0xd62f105d, 5);
	d = md5_step(md5_g(a, b, c), d, a, m[10], 0x02441453, 9);
	c = md5_step(md5_g(d, a, b), c, d, m[15], 0xd8a1e681, 14);
	b = md5_step(md5_g(c, d, a), b, c, m[4], 0xe7d3fbc8, 20);
	a = md5_step(md5_g(b, c, d), a, b, m[9], 0x21e1cde6, 5);
	d = md5_step(md5_g(a, b, c), d, a, m[14], 0xc33707d6, 9);
	c = md5_step(md5_g(d, a, b), c, d, m[3], 0xf4d50d87, 14);
	b = md5_step(md5_g(c, d, a), b, c, m[8], 0x455a14ed, 20);
	a = md5_step(md5_g(b, c, d), a, b, m[13], 0xa9e3e905, 5);
	d = md5_step(md5_g(a, b, c), d, a, m[2], 0xfcefa3f8, 9);
	c = md5_step(md5_g(d, a, b), c, d, m[7], 0x676f02d9, 14);
	b = md5_step(md5_g(c, d, a), b, c, m[12], 0x8d2a4c8a, 20);

	/* Round 3 */
	a = md5_step(md5_h(b, c, d), a, b, m[5], 0xfffa3942, 4);
	d = md5_step(md5_h(a, b, c), d, a, m[8], 0x8771f681, 11);
	c = md5_step(md5_h(d, a, b), c, d, m[11], 0x6d9d6122, 16);
	b = md5_step(md5_h(c, d, a), b, c, m[14], 0xfde5380c, 23);
	a = md5_step(md5_h(b, c, d), a, b, m[1], 0xa4beea44, 4);
	d = md5_step(md5_h(a, b, c), d, a, m[4], 0x4bdecfa9, 11);
	c = md5_step(md5_h(d, a, b), c, d, m[7], 0xf6bb4b60, 16);
	b = md5_step(md5_h(c, d, a), b, c, m[10], 0xbebfbc70, 23);
	a = md5_step(md5_h(b, c, d), a, b, m[13], 0x289b7ec6, 4);
	d = md5_step(md5_h(a, b, c), d, a, m[0], 0xeaa127fa, 11);
	c = md5_step(md5_h(d, a, b), c, d, m[3], 0xd4ef3085, 16);
	b = md5_step(md5_h(c, d, a), b, c, m[6], 0x04881d05, 23);
	a = md5_step(md5_h(b, c, d), a, b, m[9], 0xd9d4d039, 4);
	d = md5_step(md5_h(a, b, c), d, a, m[12], 0xe6db99e5, 11);
	c = md5_step(md5_h(d, a, b), c, d, m[15], 0x1fa27cf8, 16);
	b = md5_step(md5_h(c, d, a), b, c, m[2], 0xc4ac5665, 23);

	/* Round 4 */
	a = md5_step(md5_i(b, c, d), a, b, m[0], 0xf4292244, 6);
	d = md5_step(md5_i(a, b, c), d, a, m[7], 0x432aff97, 10);
	c = md5_step(md5_i(d, a, b), c, d, m[14], 0xab9423a7, 15);
	b = md5_step(md5_i(c, d, a), b, c, m[5], 0xfc93a039, 21);
	a = md5_step(md5_i(b, c, d), a, b, m[12], 0x655b59c3, 6);
	d = md5_step(md5_i(a, b, c), d, a, m[3], 0x8f0ccc92, 10);
	c = md5_step(md5_i(d, a, b), c, d, m[10], 0xffeff47d, 15);
	b = md5_step(md5_i(c, d, a), b, c, m[1], 0x85845dd1, 21);
	a = md5_step(md5_i(b, c, d), a, b, m[8], 0x6fa87e4f, 6);
	d = md5_step(md5_i(a, b, c), d, a, m[15], 0xfe2ce6e0, 10);
	c = md5_step(md5_i(d, a, b), c, d, m[6], 0xa3014314, 15);
	b = md5_step(md5_i(c, d, a), b, c, m[13], 0x4e0811a1, 21);
	a = md5_step(md5_i(b, c, d), a, b, m[4], 0xf7537e82, 6);
	d = md5_step(md5_i(a, b, c), d, a, m[11], 0xbd3af235, 10);
	c = md5_step(md5_i(d, a, b), c, d, m[2], 0x2ad7d2bb, 15);
	b = md5_step(md5_i(c, d, a), b, c, m[9], 0xeb86d391, 21);

	x->a += a;
	x->b += b;
	x->c += c;
	x->d += d;
	return 0;
}

/*
 * Append the padding of RFC 1321 3.1 and 3.2 after the len-byte message:
 * 0x80, zeros up to 8 bytes short of a multiple of 64, and the message
 * length in bits as a little-endian 64-bit number.  Returns the padded
 * length.  The writes are whole aligned words, and none is in a loop:
 * clang 14 turns a zeroing loop into a memset call, which BPF does not
 * have.
 */
static __always_inline __u32 md5_pad(__u8 *buf, __u32 len)
{
	__u32 total = ((len + 8) / 64 + 1) * 64;
	__u32 word = len & ~7U, shift = (len & 7) * 8, nr_zero;
	__u64 v;

	/* The word with the end of the message: keep its bytes, add 0x80. */
	v = md5_load_le64(buf + TLSFP_MD5_IDX(word, 8));
	v &= ((__u64)1 << shift) - 1;
	v |= (__u64)0x80 << shift;
	md5_store_le64(buf + TLSFP_MD5_IDX(word, 8), v);

	/* 0 to 7 zero words up to the length, as the padding is 9 to 72 bytes. */
	nr_zero = (total - 16 - word) / 8;
	if (nr_zero >= 1)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 8, 8), 0);
	if (nr_zero >= 2)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 16, 8), 0);
	if (nr_zero >= 3)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 24, 8), 0);
	if (nr_zero >= 4)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 32, 8), 0);
	if (nr_zero >= 5)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 40, 8), 0);
	if (nr_zero >= 6)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 48, 8), 0);
	if (nr_zero >= 7)
		md5_store_le64(buf + TLSFP_MD5_IDX(word + 56, 8), 0);

	md5_store_le64(buf + TLSFP_MD5_IDX(total - 8, 8), (__u64)len * 8);
	return total;
}

/*
 * Compute the MD5 digest of the first len bytes of buf, writing the padding
 * into buf after them.  buf is TLSFP_JA3_BUF_SIZE bytes, 8-byte aligned (a
 * per-CPU map value on BPF).  len must not exceed TLSFP_MD5_MAX_LEN.
 */
static __always_inline void tlsfp_md5(__u8 *buf, __u32 len, __u8 digest[16])
{
	struct md5_state x = {
		.buf = buf,
		.a = 0x67452301,
		.b = 0xefcdab89,
		.c = 0x98badcfe,
		.d = 0x10325476,
	};
	__u32 total, words[4], i;

	/*
	 * NOTE: a longer len has no room for its padding.  Cutting it bounds
	 * the work, but the digest is then that of a prefix.
	 */
	if (len > TLSFP_MD5_MAX_LEN)
		len = TLSFP_MD5_MAX_LEN;
	total = md5_pad(buf, len);
	tlsfp_loop(total / 64, md5_block, &x);

	words[0] = x.a;
	words[1] = x.b;
	words[2] = x.c;
	words[3] = x.d;
#ifdef __BPF__
#pragma unroll
#endif
	for (i = 0; i < 16; i++)
		digest[i] = words[i / 4] >> (i % 4 * 8);
}

#endif /* TLSFP_BPF_MD5_H */
