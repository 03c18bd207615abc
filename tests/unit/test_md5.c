// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the datapath's MD5 (bpf/md5.h) and JA3 writer
 * (bpf/ja3_build.h), built for the host: the MD5 against OpenSSL's EVP_md5,
 * the JA3 string against tlsfp_ja3_string() in user/ja3.c.  Buffers are allocated at the
 * exact size that the code may touch, so AddressSanitizer reports any access
 * past it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "check.h"
#include "ja3.h"
#include "ja3_build.h"
#include "md5.h"

/* Stop a looping test after this many failed checks. */
#define MAX_REPORTED 5

static uint32_t rng_state = 2463534242u;

/* xorshift32: the same pseudo-random sequence on every run. */
static uint32_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static uint32_t padded_len(uint32_t len)
{
	return ((len + 8) / 64 + 1) * 64;
}

static void openssl_md5(const void *msg, size_t len, uint8_t digest[16])
{
	unsigned int n = 0;

	if (!EVP_Digest(msg, len, digest, &n, EVP_md5(), NULL) || n != 16)
		memset(digest, 0, 16);
}

static void to_hex(const uint8_t digest[16], char hex[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/*
 * Hash msg with tlsfp_md5() in a heap buffer that ends where the padding
 * ends, and check that the message bytes are left as they were.
 */
static int md5_exact_buffer(const uint8_t *msg, uint32_t len,
			    uint8_t digest[16])
{
	uint8_t *buf = malloc(padded_len(len));
	int same;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, msg, len);
	tlsfp_md5(buf, len, digest);
	same = memcmp(buf, msg, len) == 0;
	free(buf);
	return same ? 0 : -EINVAL;
}

static const char *md5_hex(const char *s)
{
	static char hex[33];
	uint8_t digest[16];

	if (md5_exact_buffer((const uint8_t *)s, strlen(s), digest))
		return "<error>";
	to_hex(digest, hex);
	return hex;
}

static void md5_rfc1321_suite(void)
{
	CHECK_EQ_STR(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
	CHECK_EQ_STR(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
	CHECK_EQ_STR(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
	CHECK_EQ_STR(md5_hex("message digest"),
		     "f96b697d7cb7938d525a2f31aaf161d0");
	CHECK_EQ_STR(md5_hex("abcdefghijklmnopqrstuvwxyz"),
		     "c3fcd3d76192e4007dfb496cca67e13b");
	CHECK_EQ_STR(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
		     "d174ab98d277d9f5a5611c2c9f419d9f");
	CHECK_EQ_STR(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
		     "57edf4a22be3c955ac49da2e2107b67a");
}

/* Compare with OpenSSL for one length.  Returns 0 if they agree. */
static int check_md5_len(uint32_t len)
{
	uint8_t *msg = malloc(len ? len : 1);
	uint8_t got[16], want[16];
	char got_hex[33], want_hex[33];
	uint32_t i;
	int err;

	if (!msg) {
		CHECK(0, "out of memory at length %u", len);
		return -1;
	}
	for (i = 0; i < len; i++)
		msg[i] = next_random() >> 24;
	openssl_md5(msg, len, want);
	err = md5_exact_buffer(msg, len, got);
	free(msg);
	to_hex(got, got_hex);
	to_hex(want, want_hex);
	CHECK(err == 0, "length %u: message bytes changed", len);
	CHECK(memcmp(got, want, 16) == 0, "length %u: got %s, want %s", len,
	      got_hex, want_hex);
	return err || memcmp(got, want, 16) ? -1 : 0;
}

/* Lengths next to the 56-byte padding boundary and the 64-byte block. */
static void md5_block_boundaries(void)
{
	static const uint32_t lens[] = { 0,   1,   55,  56,  57,  63,  64,
					 65,  119, 120, 127, 128, 183, 184,
					 191, 192 };
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_md5_len(lens[i]);
}

/* Every length a JA3 string can have, and on up to the buffer's limit. */
static void md5_every_length(void)
{
	uint32_t len;

	for (len = 0; len <= TLSFP_MD5_MAX_LEN; len++) {
		check_md5_len(len);
		if (check_failed_in_test >= MAX_REPORTED)
			break;
	}
}

/* The padding fills the buffer exactly at the max length. */
static void md5_max_len_fills_buffer(void)
{
	CHECK_EQ_INT(padded_len(TLSFP_MD5_MAX_LEN), TLSFP_JA3_BUF_SIZE);
	CHECK(padded_len(TLSFP_MD5_MAX_LEN + 1) > TLSFP_JA3_BUF_SIZE,
	      "length %u would still fit", TLSFP_MD5_MAX_LEN + 1);
	CHECK(padded_len(TLSFP_JA3_MAX_LEN) <= TLSFP_JA3_BUF_SIZE,
	      "JA3 max %u pads to %u", TLSFP_JA3_MAX_LEN,
	      padded_len(TLSFP_JA3_MAX_LEN));
}

/* The padding overwrites stale bytes left in the buffer. */
static void md5_dirty_buffer(void)
{
	static const char msg[] = "771,4865-4866-4867,0-23-65281,29-23-24,0";
	uint8_t buf[TLSFP_JA3_BUF_SIZE] __attribute__((aligned(8)));
	uint8_t got[16], want[16];
	uint32_t len = sizeof(msg) - 1;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, msg, len);
	tlsfp_md5(buf, len, got);
	openssl_md5(msg, len, want);
	CHECK(memcmp(got, want, 16) == 0, "digest differs from OpenSSL");
}

/*
 * Build the JA3 string of h both ways and compare the strings and their
 * MD5.  The output buffer is exactly as long as the expected string and
 * the TLSFP_JA3_TAIL bytes that the builder may overwrite.
 */
static int check_ja3(const char *name, const struct tlsfp_hello *h)
{
	static char want[TLSFP_JA3_STR_MAX + 1];
	static uint8_t buf[TLSFP_JA3_BUF_SIZE] __attribute__((aligned(8)));
	char want_md5[TLSFP_MD5_HEX_LEN + 1], got_md5[33];
	uint8_t *out, digest[16];
	int want_len, ret, failed = check_failed_in_test;
	uint32_t len = 0;

	want_len = tlsfp_ja3_string(h, want, sizeof(want));
	CHECK(want_len >= 0, "%s: tlsfp_ja3_string returned %d", name,
	      want_len);
	if (want_len < 0)
		return -1;
	out = malloc(want_len + TLSFP_JA3_TAIL);
	if (!out) {
		CHECK(0, "%s: out of memory", name);
		return -1;
	}
	ret = tlsfp_ja3_build(h, out, &len);
	CHECK_EQ_INT(ret, 0);
	CHECK(len == (uint32_t)want_len, "%s: length %u, want %d", name, len,
	      want_len);
	if (len == (uint32_t)want_len)
		CHECK(!memcmp(out, want, len), "%s: got \"%.*s\", want \"%s\"",
		      name, (int)len, out, want);
	free(out);

	/* The datapath hashes the string in the same buffer. */
	ret = tlsfp_ja3_build(h, buf, &len);
	CHECK_EQ_INT(ret, 0);
	tlsfp_md5(buf, len, digest);
	to_hex(digest, got_md5);
	CHECK_EQ_INT(tlsfp_md5_hex(want, want_len, want_md5), 0);
	CHECK(!strcmp(got_md5, want_md5), "%s: MD5 %s, want %s", name,
	      got_md5, want_md5);
	return check_failed_in_test > failed ? -1 : 0;
}

static struct tlsfp_hello hello;

static void ja3_empty_lists(void)
{
	memset(&hello, 0, sizeof(hello));
	check_ja3("version 0, no lists", &hello);
	hello.legacy_version = 0x0303;
	check_ja3("version 771, no lists", &hello);
}

static void ja3_typical_with_grease(void)
{
	static const uint16_t ciphers[] = { 0x2a2a, 4865, 4866, 4867, 49195,
					    49199, 49196, 49200, 52393, 52392,
					    49171, 49172, 156, 157, 47, 53 };
	static const uint16_t exts[] = { 0xfafa, 0, 23, 65281, 10, 11, 35,
					 16, 5, 13, 18, 51, 45, 43, 27, 21,
					 0x1a1a };
	static const uint16_t groups[] = { 0x8a8a, 29, 23, 24 };

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = 0x0303;
	hello.nr_ciphers = sizeof(ciphers) / sizeof(ciphers[0]);
	memcpy(hello.ciphers, ciphers, sizeof(ciphers));
	hello.nr_exts = sizeof(exts) / sizeof(exts[0]);
	memcpy(hello.exts, exts, sizeof(exts));
	hello.nr_groups = sizeof(groups) / sizeof(groups[0]);
	memcpy(hello.groups, groups, sizeof(groups));
	hello.nr_point_formats = 1;
	check_ja3("browser-like hello", &hello);
}

/* A list of GREASE values only is an empty field, as is an absent one. */
static void ja3_only_grease(void)
{
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = 0x0301;
	hello.nr_ciphers = 16;
	hello.nr_exts = 16;
	hello.nr_groups = 16;
	for (i = 0; i < 16; i++) {
		hello.ciphers[i] = 0x0a0a + i * 0x1010;
		hello.exts[i] = 0xfafa - i * 0x1010;
		hello.groups[i] = 0x0a0a + i * 0x1010;
	}
	check_ja3("GREASE only", &hello);
}

/* GREASE look-alikes are ordinary values. */
static void ja3_grease_near_misses(void)
{
	static const uint16_t values[] = { 0x0a1a, 0x1a0a, 0x0a0b, 0x0b0b,
					   0xfafb, 0xaaaa, 0x0a00, 0x000a };

	memset(&hello, 0, sizeof(hello));
	hello.nr_ciphers = sizeof(values) / sizeof(values[0]);
	memcpy(hello.ciphers, values, sizeof(values));
	hello.nr_exts = hello.nr_ciphers;
	memcpy(hello.exts, values, sizeof(values));
	hello.nr_groups = hello.nr_ciphers;
	memcpy(hello.groups, values, sizeof(values));
	check_ja3("GREASE near misses", &hello);
}

static void fill_hello_at_bounds(uint16_t value, uint8_t point_format)
{
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = value;
	hello.nr_ciphers = TLSFP_MAX_CIPHERS;
	hello.nr_exts = TLSFP_MAX_EXTS;
	hello.nr_groups = TLSFP_MAX_GROUPS;
	hello.nr_point_formats = TLSFP_MAX_POINT_FORMATS;
	for (i = 0; i < TLSFP_MAX_CIPHERS; i++)
		hello.ciphers[i] = value;
	for (i = 0; i < TLSFP_MAX_EXTS; i++)
		hello.exts[i] = value;
	for (i = 0; i < TLSFP_MAX_GROUPS; i++)
		hello.groups[i] = value;
	for (i = 0; i < TLSFP_MAX_POINT_FORMATS; i++)
		hello.point_formats[i] = point_format;
}

/* The widest values at every bound give the longest string. */
static void ja3_max_bounds_65535(void)
{
	static char want[TLSFP_JA3_STR_MAX + 1];

	fill_hello_at_bounds(65535, 255);
	CHECK_EQ_INT(tlsfp_ja3_string(&hello, want, sizeof(want)),
		     TLSFP_JA3_MAX_LEN);
	check_ja3("all 65535 at the bounds", &hello);
}

static void ja3_max_bounds_zero(void)
{
	fill_hello_at_bounds(0, 0);
	check_ja3("all 0 at the bounds", &hello);
}

/* Every digit count, with GREASE between values. */
static void ja3_digit_widths(void)
{
	static const uint16_t values[] = { 0, 9, 10, 99, 100, 999, 1000,
					   9999, 10000, 0x2a2a, 65534, 65535 };
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = 9;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		hello.ciphers[i] = values[i];
		hello.exts[i] = values[i];
		hello.groups[i] = values[i];
		hello.point_formats[i] = values[i] & 0xff;
	}
	hello.nr_ciphers = i;
	hello.nr_exts = i;
	hello.nr_groups = i;
	hello.nr_point_formats = i;
	check_ja3("digit widths", &hello);
}

/* Random counts and values, a quarter of them GREASE. */
static void ja3_random_hellos(void)
{
	char name[32];
	unsigned int n, i;

	for (n = 0; n < 2000; n++) {
		memset(&hello, 0, sizeof(hello));
		hello.legacy_version = next_random();
		hello.nr_ciphers = next_random() % (TLSFP_MAX_CIPHERS + 1);
		hello.nr_exts = next_random() % (TLSFP_MAX_EXTS + 1);
		hello.nr_groups = next_random() % (TLSFP_MAX_GROUPS + 1);
		hello.nr_point_formats =
			next_random() % (TLSFP_MAX_POINT_FORMATS + 1);
		for (i = 0; i < TLSFP_MAX_CIPHERS; i++)
			hello.ciphers[i] = next_random() % 4 ?
						   next_random() :
						   0x0a0a + next_random() % 16 * 0x1010;
		for (i = 0; i < TLSFP_MAX_EXTS; i++)
			hello.exts[i] = next_random() % 4 ?
						next_random() % 70 :
						0x0a0a + next_random() % 16 * 0x1010;
		for (i = 0; i < TLSFP_MAX_GROUPS; i++)
			hello.groups[i] = next_random() % 4 ?
						  next_random() :
						  0x0a0a + next_random() % 16 * 0x1010;
		for (i = 0; i < TLSFP_MAX_POINT_FORMATS; i++)
			hello.point_formats[i] = next_random();
		snprintf(name, sizeof(name), "random hello %u", n);
		check_ja3(name, &hello);
		if (check_failed_in_test >= MAX_REPORTED)
			break;
	}
}

/* A hello without JA3 is rejected before anything is written. */
static void ja3_rejects_over_bound(void)
{
	static const uint32_t flags[] = { TLSFP_HELLO_F_CIPHERS_OVER,
					  TLSFP_HELLO_F_EXTS_OVER,
					  TLSFP_HELLO_F_GROUPS_OVER,
					  TLSFP_HELLO_F_POINT_FORMATS_OVER };
	static uint8_t out[TLSFP_JA3_BUF_SIZE], untouched[TLSFP_JA3_BUF_SIZE];
	uint32_t len = 7;
	unsigned int i;

	memset(out, 0xa5, sizeof(out));
	memset(untouched, 0xa5, sizeof(untouched));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		memset(&hello, 0, sizeof(hello));
		hello.flags = flags[i];
		CHECK(tlsfp_ja3_build(&hello, out, &len) == -1, "flag 0x%x",
		      flags[i]);
	}

	/* Counts above a bound without the flag: no JA3 either. */
	memset(&hello, 0, sizeof(hello));
	hello.nr_ciphers = TLSFP_MAX_CIPHERS + 1;
	CHECK_EQ_INT(tlsfp_ja3_build(&hello, out, &len), -1);
	memset(&hello, 0, sizeof(hello));
	hello.nr_exts = TLSFP_MAX_EXTS + 1;
	CHECK_EQ_INT(tlsfp_ja3_build(&hello, out, &len), -1);
	memset(&hello, 0, sizeof(hello));
	hello.nr_groups = TLSFP_MAX_GROUPS + 1;
	CHECK_EQ_INT(tlsfp_ja3_build(&hello, out, &len), -1);
	memset(&hello, 0, sizeof(hello));
	hello.nr_point_formats = TLSFP_MAX_POINT_FORMATS + 1;
	CHECK_EQ_INT(tlsfp_ja3_build(&hello, out, &len), -1);
	CHECK_EQ_INT(len, 7);
	CHECK(!memcmp(out, untouched, sizeof(out)), "output buffer written");

	/* Flags for lists that JA3 does not use do not matter. */
	memset(&hello, 0, sizeof(hello));
	hello.flags = TLSFP_HELLO_F_SIGALGS_OVER | TLSFP_HELLO_F_SNI_OVER |
		      TLSFP_HELLO_F_VERSIONS_OVER | TLSFP_HELLO_F_ALPN_OVER;
	check_ja3("flags outside JA3", &hello);
}

int main(void)
{
	RUN_TEST(md5_rfc1321_suite);
	RUN_TEST(md5_block_boundaries);
	RUN_TEST(md5_every_length);
	RUN_TEST(md5_max_len_fills_buffer);
	RUN_TEST(md5_dirty_buffer);
	RUN_TEST(ja3_empty_lists);
	RUN_TEST(ja3_typical_with_grease);
	RUN_TEST(ja3_only_grease);
	RUN_TEST(ja3_grease_near_misses);
	RUN_TEST(ja3_max_bounds_65535);
	RUN_TEST(ja3_max_bounds_zero);
	RUN_TEST(ja3_digit_widths);
	RUN_TEST(ja3_random_hellos);
	RUN_TEST(ja3_rejects_over_bound);
	return check_summary();
}
