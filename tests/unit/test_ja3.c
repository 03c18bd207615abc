// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the JA3 hash and the output helpers.  MD5 values come from
 * RFC 1321's test suite and from JA3 values published with real captures
 * (the vector set in tests/vectors, cross-checked with tshark 4.0).
 */
#include <errno.h>
#include <stdio.h>

#include "check.h"
#include "ja3.h"
#include "output.h"

static const char *md5_of(const char *s)
{
	static char hex[TLSFP_MD5_HEX_LEN + 1];

	if (tlsfp_md5_hex(s, strlen(s), hex))
		return "<error>";
	return hex;
}

static void md5_rfc1321_suite(void)
{
	CHECK_EQ_STR(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
	CHECK_EQ_STR(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
	CHECK_EQ_STR(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
	CHECK_EQ_STR(md5_of("message digest"),
		     "f96b697d7cb7938d525a2f31aaf161d0");
	CHECK_EQ_STR(md5_of("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
		     "57edf4a22be3c955ac49da2e2107b67a");
}

/* JA3 strings and hashes of captured clients (tshark 4.0.17 agrees). */
static void md5_of_captured_ja3(void)
{
	CHECK_EQ_STR(md5_of("771,4866-4867-4865-255,0-11-10-16-22-23-49-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2"),
		     "89dfc51e72bdcb94e4ba4622588002b1");
	CHECK_EQ_STR(md5_of("771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53-10,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0"),
		     "66918128f1b9b03303d77c6f2eefd128");
}

static void ja3_string_small_buffer(void)
{
	static struct tlsfp_hello h;
	char buf[8];

	h.legacy_version = 0x0303;
	h.nr_ciphers = 3;
	h.ciphers[0] = 4865;
	h.ciphers[1] = 4866;
	h.ciphers[2] = 4867;
	CHECK_EQ_INT(tlsfp_ja3_string(&h, buf, sizeof(buf)), -ENOSPC);
	CHECK_EQ_INT(tlsfp_ja3_string(&h, buf, 0), -ENOSPC);
}

static void version_prefers_supported_versions(void)
{
	static struct tlsfp_hello h;
	char buf[16];

	h.legacy_version = 0x0303;
	CHECK_EQ_STR(tlsfp_version_name(tlsfp_hello_version(&h), buf,
					sizeof(buf)), "TLS 1.2");
	h.nr_versions = 3;
	h.versions[0] = 0x3a3a;
	h.versions[1] = 0x0304;
	h.versions[2] = 0x0303;
	CHECK_EQ_STR(tlsfp_version_name(tlsfp_hello_version(&h), buf,
					sizeof(buf)), "TLS 1.3");
	CHECK_EQ_STR(tlsfp_version_name(0x7f17, buf, sizeof(buf)), "0x7f17");
}

static void escape_hostile_bytes(void)
{
	static const uint8_t sni[] = { 'a', 0x1b, '[', '2', 'J', '\\', 0xff,
				       '"' };
	char buf[64];

	tlsfp_escape_bytes(sni, sizeof(sni), buf, sizeof(buf));
	CHECK_EQ_STR(buf, "a\\x1b[2J\\x5c\\xff\"");
	/* A buffer too small is cut, never overrun. */
	tlsfp_escape_bytes(sni, sizeof(sni), buf, 6);
	CHECK(strlen(buf) < 6, "len %zu", strlen(buf));
}

int main(void)
{
	RUN_TEST(md5_rfc1321_suite);
	RUN_TEST(md5_of_captured_ja3);
	RUN_TEST(ja3_string_small_buffer);
	RUN_TEST(version_prefers_supported_versions);
	RUN_TEST(escape_hostile_bytes);
	return check_summary();
}
