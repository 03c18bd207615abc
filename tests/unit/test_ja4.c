// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the JA4 fingerprint, on hellos filled in by hand and on
 * hellos read from captures (ja4_cases.h).  Expected values come from the
 * JA4 description (technical_details/JA4.md in github.com/FoxIO-LLC/ja4),
 * whose example this file reuses, or from Python's hashlib over the
 * SHA-256 input shown beside each one.  Recheck one with, for example:
 *   printf '%s' '009c,c02f,c030' | sha256sum | cut -c1-12
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ja4.h"
#include "ja4_cases.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Copy the listed values into h->FIELD and set h->nr_FIELD. */
#define SET_LIST(h, field, ...)                                               \
	do {                                                                  \
		static const uint16_t v_[] = { __VA_ARGS__ };                \
		memcpy((h)->field, v_, sizeof(v_));                           \
		(h)->nr_##field = ARRAY_SIZE(v_);                             \
	} while (0)

/* JA4.md's example: its ja4 and ja4_r, and c without the sigalgs. */
#define SPEC_JA4 "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define SPEC_CIPHERS_RAW                                                      \
	"002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"   \
	"cca8,cca9"
#define SPEC_EXTS_RAW                                                         \
	"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,"   \
	"ff01"
#define SPEC_SIGALGS_RAW "0403,0804,0401,0503,0805,0501,0806,0601"
#define SPEC_JA4_R                                                            \
	"t13d1516h2_" SPEC_CIPHERS_RAW "_" SPEC_EXTS_RAW "_" SPEC_SIGALGS_RAW
/* sha256(SPEC_EXTS_RAW), the value JA4.md gives for a hello without sigalgs */
#define SPEC_EXTS_HASH "6d807ffa2a79"

static struct tlsfp_hello hello;

static void set_alpn(struct tlsfp_hello *h, const void *list, size_t len)
{
	h->flags |= TLSFP_HELLO_F_HAS_ALPN;
	memcpy(h->alpn, list, len);
	h->alpn_len = len;
}

/*
 * The hello of JA4.md's example, with GREASE added to the cipher suites,
 * extensions, supported_versions and signature algorithms.
 */
static struct tlsfp_hello *spec_hello(void)
{
	static const char alpn[] = "\x02h2\x08http/1.1";
	struct tlsfp_hello *h = &hello;

	memset(h, 0, sizeof(*h));
	h->flags = TLSFP_HELLO_F_HAS_SNI | TLSFP_HELLO_F_HAS_VERSIONS |
		   TLSFP_HELLO_F_HAS_SIGALGS;
	h->legacy_version = 0x0303;
	SET_LIST(h, ciphers, 0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
		 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
		 0x009d, 0x002f, 0x0035);
	SET_LIST(h, exts, 0x1a1a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469,
		 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
		 0xff01, 0x000b, 0x000a, 0x0015, 0x2a2a);
	SET_LIST(h, versions, 0x3a3a, 0x0304, 0x0303);
	SET_LIST(h, sigalgs, 0x4a4a, 0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
		 0x0501, 0x0806, 0x0601);
	memcpy(h->sni, "example.com", 11);
	h->sni_len = 11;
	set_alpn(h, alpn, sizeof(alpn) - 1);
	return h;
}

/* A hello with nothing but legacy_version: no ciphers, no extensions. */
static struct tlsfp_hello *bare_hello(uint16_t legacy_version)
{
	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = legacy_version;
	return &hello;
}

static void remove_ext(struct tlsfp_hello *h, uint16_t type)
{
	unsigned int i, kept = 0;

	for (i = 0; i < h->nr_exts; i++) {
		if (h->exts[i] != type)
			h->exts[kept++] = h->exts[i];
	}
	h->nr_exts = kept;
}

static void format_error(char *buf, size_t size, int err)
{
	if (err == -E2BIG)
		snprintf(buf, size, "<E2BIG>");
	else
		snprintf(buf, size, "<error %d>", err);
}

/* The JA4 of h, or "<E2BIG>" and the like. */
static const char *ja4_of(const struct tlsfp_hello *h)
{
	static char out[64];
	int err;

	err = tlsfp_ja4(h, out);
	if (err)
		format_error(out, sizeof(out), err);
	return out;
}

/* The ja4_r of h, or "<E2BIG>" and the like. */
static const char *ja4_raw_of(const struct tlsfp_hello *h)
{
	static char out[TLSFP_JA4_RAW_MAX + 1];
	int n;

	n = tlsfp_ja4_raw(h, out, sizeof(out));
	if (n < 0)
		format_error(out, sizeof(out), n);
	else if ((size_t)n != strlen(out))
		snprintf(out, sizeof(out), "<length %d, strlen %zu>", n,
			 strlen(out));
	return out;
}

/* The reason h has no JA4, or "<none>" if it has one. */
static const char *reason_of(const struct tlsfp_hello *h)
{
	static char out[128];

	if (tlsfp_ja4_reason(h, out, sizeof(out)))
		snprintf(out, sizeof(out), "<none>");
	return out;
}

static void ja4_spec_example(void)
{
	struct tlsfp_hello *h = spec_hello();

	CHECK_EQ_STR(ja4_of(h), SPEC_JA4);
	CHECK_EQ_STR(ja4_raw_of(h), SPEC_JA4_R);
	CHECK_EQ_STR(reason_of(h), "<none>");
}

static void ja4_sigalgs_grease_only(void)
{
	struct tlsfp_hello *h = spec_hello();

	/* No signature algorithms are left, so c has no "_" part. */
	SET_LIST(h, sigalgs, 0x5a5a);
	CHECK_EQ_STR(ja4_of(h), "t13d1516h2_8daaf6152771_" SPEC_EXTS_HASH);
	CHECK_EQ_STR(ja4_raw_of(h),
		     "t13d1516h2_" SPEC_CIPHERS_RAW "_" SPEC_EXTS_RAW);
}

static void ja4_sigalgs_empty_list(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->nr_sigalgs = 0;
	CHECK_EQ_STR(ja4_of(h), "t13d1516h2_8daaf6152771_" SPEC_EXTS_HASH);
}

static void ja4_sigalgs_absent(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->flags &= ~TLSFP_HELLO_F_HAS_SIGALGS;
	h->nr_sigalgs = 0;
	remove_ext(h, 0x000d);
	/*
	 * sha256("0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,
	 * 4469,ff01") = bebfbbe173b2...
	 */
	CHECK_EQ_STR(ja4_of(h), "t13d1515h2_8daaf6152771_bebfbbe173b2");
}

static void ja4_tls12_no_supported_versions(void)
{
	struct tlsfp_hello *h = bare_hello(0x0303);

	h->flags = TLSFP_HELLO_F_HAS_SNI | TLSFP_HELLO_F_HAS_SIGALGS;
	SET_LIST(h, ciphers, 0xc02f, 0xc030, 0x1a1a, 0x009c);
	SET_LIST(h, exts, 0x000b, 0x0000, 0x000d);
	SET_LIST(h, sigalgs, 0x0401, 0x0804);
	/*
	 * sha256("009c,c02f,c030") = 13bac7b83268...
	 * sha256("000b,000d_0401,0804") = 943205e1906a...
	 */
	CHECK_EQ_STR(ja4_of(h), "t12d030300_13bac7b83268_943205e1906a");
	CHECK_EQ_STR(ja4_raw_of(h),
		     "t12d030300_009c,c02f,c030_000b,000d_0401,0804");
}

static void ja4_versions_grease_only(void)
{
	struct tlsfp_hello *h = spec_hello();

	/* Nothing left in supported_versions: legacy_version decides. */
	SET_LIST(h, versions, 0x3a3a);
	CHECK_EQ_STR(ja4_of(h), "t12d1516h2_8daaf6152771_e5627efa2ab1");
}

static void ja4_version_highest_not_first(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->legacy_version = 0x0301;
	SET_LIST(h, versions, 0x0302, 0x0304, 0x0a0a, 0x0303);
	CHECK_EQ_STR(ja4_of(h), SPEC_JA4);
}

static void ja4_version_codes(void)
{
	static const struct {
		uint16_t version;
		const char *code;
	} cases[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" },
		{ 0x0301, "10" }, { 0x0300, "s3" }, { 0x0002, "s2" },
		{ 0xfeff, "d1" }, { 0xfefd, "d2" }, { 0xfefc, "d3" },
		{ 0x0305, "00" }, { 0x7f17, "00" }, { 0x0000, "00" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tlsfp_hello *h = bare_hello(cases[i].version);
		char code[3] = { 0 };

		/* Both as legacy_version and as the only supported version. */
		memcpy(code, ja4_of(h) + 1, 2);
		CHECK(strcmp(code, cases[i].code) == 0,
		      "legacy_version 0x%04x: got \"%s\", want \"%s\"",
		      cases[i].version, code, cases[i].code);
		h->legacy_version = 0x0303;
		h->versions[0] = cases[i].version;
		h->nr_versions = 1;
		memcpy(code, ja4_of(h) + 1, 2);
		CHECK(strcmp(code, cases[i].code) == 0,
		      "supported_versions 0x%04x: got \"%s\", want \"%s\"",
		      cases[i].version, code, cases[i].code);
	}
}

static void ja4_alpn_pairs(void)
{
	static const struct {
		const char *list;
		size_t len;
		const char *pair;
	} cases[] = {
		{ "\x02h2\x08http/1.1", 12, "h2" },
		{ "\x08http/1.1\x02h2", 12, "h1" },
		{ "\x02H2", 3, "H2" },
		/* One character is both the first and the last. */
		{ "\x01h", 2, "hh" },
		/* Not ASCII letters or digits: first and last hex digit. */
		{ "\x01\xab", 2, "ab" },
		{ "\x02\xab\xcd", 3, "ad" },
		{ "\x02\x30\xab", 3, "3b" },
		{ "\x04\x30\x31\xab\xcd", 5, "3d" },
		{ "\x04\x30\xab\xcd\x31", 5, "01" },
		{ "\x02\xba\xad\x08http/1.1", 12, "bd" },
		/* "h2/" is 68 32 2f in hex. */
		{ "\x03h2/", 4, "6f" },
		/* "/2h" is 2f 32 68. */
		{ "\x03/2h", 4, "28" },
		/* An empty first name gives "00" even if others follow. */
		{ "\x00\x02h2", 4, "00" },
		/* An empty list. */
		{ "", 0, "00" },
		/* A name longer than the list: the bytes that are there. */
		{ "\x05h2", 3, "h2" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tlsfp_hello *h = spec_hello();
		char pair[3] = { 0 };

		set_alpn(h, cases[i].list, cases[i].len);
		memcpy(pair, ja4_of(h) + 8, 2);
		CHECK(strcmp(pair, cases[i].pair) == 0,
		      "case %u: got \"%s\", want \"%s\"", i, pair,
		      cases[i].pair);
	}
}

static void ja4_alpn_non_alphanumeric(void)
{
	static const char alpn[] = "\x02\xba\xad\x08http/1.1";
	struct tlsfp_hello *h = spec_hello();

	set_alpn(h, alpn, sizeof(alpn) - 1);
	CHECK_EQ_STR(ja4_of(h), "t13d1516bd_8daaf6152771_e5627efa2ab1");
}

static void ja4_alpn_absent(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->flags &= ~TLSFP_HELLO_F_HAS_ALPN;
	h->alpn_len = 0;
	remove_ext(h, 0x0010);
	CHECK_EQ_STR(ja4_of(h), "t13d151500_8daaf6152771_e5627efa2ab1");
}

static void ja4_alpn_empty_list(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->alpn_len = 0;
	CHECK_EQ_STR(ja4_of(h), "t13d151600_8daaf6152771_e5627efa2ab1");
}

static void ja4_alpn_cut_first_name_whole(void)
{
	struct tlsfp_hello *h = spec_hello();

	/* A 300-byte list, cut to TLSFP_MAX_ALPN, starting with "h2". */
	memset(h->alpn, 'x', TLSFP_MAX_ALPN);
	memcpy(h->alpn, "\x02h2\x7d", 4);
	h->alpn_len = TLSFP_MAX_ALPN;
	h->flags |= TLSFP_HELLO_F_ALPN_OVER;
	CHECK_EQ_STR(ja4_of(h), SPEC_JA4);
	CHECK_EQ_STR(reason_of(h), "<none>");

	/* A first name of the maximum length that fits: 127 bytes. */
	h->alpn[0] = TLSFP_MAX_ALPN - 1;
	h->alpn[1] = 'a';
	h->alpn[TLSFP_MAX_ALPN - 1] = 'z';
	CHECK_EQ_STR(ja4_of(h), "t13d1516az_8daaf6152771_e5627efa2ab1");
}

static void ja4_alpn_cut_first_name_cut(void)
{
	struct tlsfp_hello *h = spec_hello();

	memset(h->alpn, 'x', TLSFP_MAX_ALPN);
	h->alpn[0] = TLSFP_MAX_ALPN;
	h->alpn_len = TLSFP_MAX_ALPN;
	h->flags |= TLSFP_HELLO_F_ALPN_OVER;
	CHECK_EQ_STR(ja4_of(h), "<E2BIG>");
	CHECK_EQ_STR(ja4_raw_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "128 bytes in the first ALPN protocol name, more than the 127 tlsfp keeps");
}

static void ja4_sni_empty(void)
{
	struct tlsfp_hello *h = spec_hello();

	/* An SNI extension with no name still means "d". */
	h->sni_len = 0;
	CHECK_EQ_STR(ja4_of(h), SPEC_JA4);
}

static void ja4_sni_absent(void)
{
	struct tlsfp_hello *h = spec_hello();

	h->flags &= ~TLSFP_HELLO_F_HAS_SNI;
	h->sni_len = 0;
	remove_ext(h, 0x0000);
	CHECK_EQ_STR(ja4_of(h), "t13i1515h2_8daaf6152771_e5627efa2ab1");
}

static void ja4_no_ciphers_after_grease(void)
{
	struct tlsfp_hello *h = spec_hello();

	SET_LIST(h, ciphers, 0x0a0a, 0xfafa);
	CHECK_EQ_STR(ja4_of(h), "t13d0016h2_000000000000_e5627efa2ab1");
	CHECK_EQ_STR(ja4_raw_of(h), "t13d0016h2__" SPEC_EXTS_RAW
				    "_" SPEC_SIGALGS_RAW);
}

static void ja4_only_sni_and_alpn(void)
{
	struct tlsfp_hello *h = bare_hello(0x0303);

	h->flags = TLSFP_HELLO_F_HAS_SNI;
	SET_LIST(h, ciphers, 0x0035, 0x002f);
	SET_LIST(h, exts, 0x0000, 0x2a2a, 0x0010);
	set_alpn(h, "\x02h2", 3);
	/* sha256("002f,0035") = f54dd463d39b...; no extensions left for c. */
	CHECK_EQ_STR(ja4_of(h), "t12d0202h2_f54dd463d39b_000000000000");
	CHECK_EQ_STR(ja4_raw_of(h), "t12d0202h2_002f,0035_");
}

static void ja4_no_extensions(void)
{
	struct tlsfp_hello *h = bare_hello(0x0301);

	SET_LIST(h, ciphers, 0x002f, 0x0035);
	CHECK_EQ_STR(ja4_of(h), "t10i020000_f54dd463d39b_000000000000");
	CHECK_EQ_STR(ja4_raw_of(h), "t10i020000_002f,0035_");
}

static void ja4_scsv_and_unknown_counted(void)
{
	struct tlsfp_hello *h = bare_hello(0x0303);

	SET_LIST(h, ciphers, 0x1301, 0x00ff, 0x5600, 0xfe00);
	SET_LIST(h, exts, 0xffff, 0xfe0d, 0x4469, 0x0017);
	/*
	 * sha256("00ff,1301,5600,fe00") = 130ea533afe5...
	 * sha256("0017,4469,fe0d,ffff") = 96d20308c772...
	 */
	CHECK_EQ_STR(ja4_of(h), "t12i040400_130ea533afe5_96d20308c772");
}

static void ja4_cipher_count_max_99(void)
{
	struct tlsfp_hello *h = bare_hello(0x0303);
	const char *raw;
	unsigned int i;

	/* 0x0078 down to 0x0001, with GREASE first and in the middle. */
	h->ciphers[h->nr_ciphers++] = 0x0a0a;
	for (i = 120; i >= 1; i--) {
		h->ciphers[h->nr_ciphers++] = i;
		if (i == 60)
			h->ciphers[h->nr_ciphers++] = 0x1a1a;
	}
	/*
	 * The count stops at 99, the hash covers all 120:
	 *   seq 1 120 | xargs printf '%04x\n' | paste -sd, | tr -d '\n' |
	 *   sha256sum   gives 0f8860b09f90...
	 */
	CHECK_EQ_STR(ja4_of(h), "t12i990000_0f8860b09f90_000000000000");
	raw = ja4_raw_of(h);
	CHECK_EQ_INT(strlen(raw), 11 + 120 * 5);
	CHECK(strncmp(raw, "t12i990000_0001,0002,", 21) == 0, "got %.30s",
	      raw);
	CHECK(strstr(raw, ",0077,0078_") != NULL, "got %s", raw);
}

static void ja4_extensions_over_bound(void)
{
	struct tlsfp_hello *h = spec_hello();
	unsigned int i;

	/*
	 * 100 extensions on the wire: the parser keeps 64 and sets
	 * EXTS_OVER, so the count and the hash cannot be exact.
	 */
	for (i = 0; i < TLSFP_MAX_EXTS; i++)
		h->exts[i] = 0x1000 + i;
	h->nr_exts = 100;
	h->flags |= TLSFP_HELLO_F_EXTS_OVER;
	CHECK_EQ_INT(tlsfp_ja4(h, (char[TLSFP_JA4_LEN + 1]){ 0 }), -E2BIG);
	CHECK_EQ_STR(ja4_raw_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "100 extensions, more than the 64 tlsfp keeps");

	/* Without the flag the count is still rejected, never read past. */
	h->flags &= ~TLSFP_HELLO_F_EXTS_OVER;
	CHECK_EQ_STR(ja4_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "100 extensions, more than the 64 tlsfp keeps");
}

static void ja4_lists_over_bound(void)
{
	struct tlsfp_hello *h;

	h = spec_hello();
	h->nr_ciphers = TLSFP_MAX_CIPHERS + 1;
	h->flags |= TLSFP_HELLO_F_CIPHERS_OVER;
	CHECK_EQ_STR(ja4_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "257 cipher suites, more than the 256 tlsfp keeps");

	h = spec_hello();
	h->nr_sigalgs = TLSFP_MAX_SIGALGS + 1;
	h->flags |= TLSFP_HELLO_F_SIGALGS_OVER;
	CHECK_EQ_STR(ja4_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "65 signature algorithms, more than the 64 tlsfp keeps");

	/* The highest version may be among the entries not kept. */
	h = spec_hello();
	h->nr_versions = TLSFP_MAX_VERSIONS + 1;
	h->flags |= TLSFP_HELLO_F_VERSIONS_OVER;
	CHECK_EQ_STR(ja4_of(h), "<E2BIG>");
	CHECK_EQ_STR(reason_of(h),
		     "17 supported versions, more than the 16 tlsfp keeps");
}

static void ja4_ignores_other_cut_lists(void)
{
	struct tlsfp_hello *h = spec_hello();

	/* JA4 reads neither groups, point formats nor the server name. */
	h->flags |= TLSFP_HELLO_F_GROUPS_OVER |
		    TLSFP_HELLO_F_POINT_FORMATS_OVER | TLSFP_HELLO_F_SNI_OVER;
	h->nr_groups = TLSFP_MAX_GROUPS + 1;
	h->nr_point_formats = TLSFP_MAX_POINT_FORMATS + 1;
	CHECK_EQ_STR(ja4_of(h), SPEC_JA4);
	CHECK_EQ_STR(reason_of(h), "<none>");
}

static void ja4_raw_buffer_size(void)
{
	struct tlsfp_hello *h = spec_hello();
	size_t len = strlen(SPEC_JA4_R);
	char buf[sizeof(SPEC_JA4_R)];

	CHECK_EQ_INT(tlsfp_ja4_raw(h, buf, len), -ENOSPC);
	CHECK_EQ_INT(tlsfp_ja4_raw(h, buf, 0), -ENOSPC);
	CHECK_EQ_INT(tlsfp_ja4_raw(h, buf, len + 1), len);
	CHECK_EQ_STR(buf, SPEC_JA4_R);
}

static void ja4_captured_hellos(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ja4_cases); i++) {
		const struct ja4_case *c = &ja4_cases[i];
		const char *got;

		got = ja4_of(&c->hello);
		CHECK(strcmp(got, c->ja4) == 0, "%s frame %u: got %s, want %s",
		      c->capture, c->frame, got, c->ja4);
		got = ja4_raw_of(&c->hello);
		CHECK(strcmp(got, c->ja4_r) == 0,
		      "%s frame %u: ja4_r got %s, want %s", c->capture,
		      c->frame, got, c->ja4_r);
	}
	CHECK(ARRAY_SIZE(ja4_cases) >= 5, "only %zu captured hellos",
	      ARRAY_SIZE(ja4_cases));
}

int main(void)
{
	RUN_TEST(ja4_spec_example);
	RUN_TEST(ja4_sigalgs_grease_only);
	RUN_TEST(ja4_sigalgs_empty_list);
	RUN_TEST(ja4_sigalgs_absent);
	RUN_TEST(ja4_tls12_no_supported_versions);
	RUN_TEST(ja4_versions_grease_only);
	RUN_TEST(ja4_version_highest_not_first);
	RUN_TEST(ja4_version_codes);
	RUN_TEST(ja4_alpn_pairs);
	RUN_TEST(ja4_alpn_non_alphanumeric);
	RUN_TEST(ja4_alpn_absent);
	RUN_TEST(ja4_alpn_empty_list);
	RUN_TEST(ja4_alpn_cut_first_name_whole);
	RUN_TEST(ja4_alpn_cut_first_name_cut);
	RUN_TEST(ja4_sni_empty);
	RUN_TEST(ja4_sni_absent);
	RUN_TEST(ja4_no_ciphers_after_grease);
	RUN_TEST(ja4_only_sni_and_alpn);
	RUN_TEST(ja4_no_extensions);
	RUN_TEST(ja4_scsv_and_unknown_counted);
	RUN_TEST(ja4_cipher_count_max_99);
	RUN_TEST(ja4_extensions_over_bound);
	RUN_TEST(ja4_lists_over_bound);
	RUN_TEST(ja4_ignores_other_cut_lists);
	RUN_TEST(ja4_raw_buffer_size);
	RUN_TEST(ja4_captured_hellos);
	return check_summary();
}
