// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the ClientHello parser (bpf/parse.h, built for the host)
 * and of the JA3 string built from its output.  Every parse runs on a heap
 * copy of exactly the bytes given, so AddressSanitizer reports any read
 * past the end.  Expected JA3 strings are written out from the JA3
 * definition, not taken from tlsfp's output.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse.h"
#include "ja3.h"
#include "check.h"
#include "hello_builder.h"

static struct bytes rec;
static struct hello_spec spec;
static struct tlsfp_hello hello;

static int parse_n(const uint8_t *data, size_t len, struct tlsfp_hello *h)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, data, len);
	memset(h, 0, sizeof(*h));
	ret = tlsfp_parse_hello(copy, len, h);
	free(copy);
	return ret;
}

static int parse_rec(void)
{
	return parse_n(rec.d, rec.len, &hello);
}

static const char *ja3_of(const struct tlsfp_hello *h)
{
	static char buf[TLSFP_JA3_STR_MAX];
	int n = tlsfp_ja3_string(h, buf, sizeof(buf));

	if (n < 0)
		snprintf(buf, sizeof(buf), "<error %d>", n);
	return buf;
}

static void reset_spec(void)
{
	memset(&spec, 0, sizeof(spec));
	spec.version = 0x0303;
}

static const uint16_t two_ciphers[] = { 0x1301, 0x1302 };

static const uint8_t sni_body[] = {
	0x00, 0x0f, 0x00, 0x00, 0x0c, 't', 'e', 's', 't', '.', 'e', 'x', 'a',
	'm', 'p', 'l', 'e',
};
static const uint8_t groups_body[] = { 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17 };
static const uint8_t pf_body[] = { 0x01, 0x00 };
static const uint8_t sigalgs_body[] = { 0x00, 0x04, 0x04, 0x03, 0x08, 0x04 };
static const uint8_t versions_body[] = { 0x04, 0x03, 0x04, 0x03, 0x03 };
static const uint8_t alpn_body[] = {
	0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.',
	'1',
};

/* A TLS 1.3 hello with every extension the parser reads. */
static void build_typical(void)
{
	reset_spec();
	spec.session_id_len = 32;
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 0, sni_body, sizeof(sni_body));
	add_ext(&spec, 10, groups_body, sizeof(groups_body));
	add_ext(&spec, 11, pf_body, sizeof(pf_body));
	add_ext(&spec, 13, sigalgs_body, sizeof(sigalgs_body));
	add_ext(&spec, 16, alpn_body, sizeof(alpn_body));
	add_ext(&spec, 43, versions_body, sizeof(versions_body));
	build_record(&rec, &spec);
}

static void hello_typical_fields(void)
{
	build_typical();
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.legacy_version, 0x0303);
	CHECK_EQ_INT(hello.record_version, 0x0301);
	CHECK_EQ_INT(hello.nr_ciphers, 2);
	CHECK_EQ_INT(hello.nr_exts, 6);
	CHECK_EQ_INT(hello.nr_groups, 2);
	CHECK_EQ_INT(hello.groups[0], 29);
	CHECK_EQ_INT(hello.nr_point_formats, 1);
	CHECK_EQ_INT(hello.nr_sigalgs, 2);
	CHECK_EQ_INT(hello.sigalgs[1], 0x0804);
	CHECK_EQ_INT(hello.nr_versions, 2);
	CHECK_EQ_INT(hello.versions[0], 0x0304);
	CHECK_EQ_INT(hello.sni_len, 12);
	CHECK(memcmp(hello.sni, "test.example", 12) == 0, "sni %.12s",
	      hello.sni);
	CHECK_EQ_INT(hello.alpn_len, 12);
	CHECK(hello.flags & TLSFP_HELLO_F_HAS_SNI, "no HAS_SNI");
	CHECK(hello.flags & TLSFP_HELLO_F_HAS_ALPN, "no HAS_ALPN");
	CHECK(!(hello.flags & TLSFP_HELLO_F_NO_JA3), "flags 0x%x",
	      hello.flags);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865-4866,0-10-11-13-16-43,29-23,0");
}

/* RFC 8701 lists exactly these sixteen values. */
static const uint16_t grease[16] = {
	0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a,
	0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa,
};

static void grease_all_16_removed(void)
{
	static uint16_t ciphers[17];
	static uint8_t groups[2 + 2 * 17];
	unsigned int i;

	reset_spec();
	for (i = 0; i < 16; i++)
		ciphers[i] = grease[i];
	ciphers[16] = 0x1301;
	spec.ciphers = ciphers;
	spec.n_ciphers = 17;
	groups[0] = 0;
	groups[1] = 2 * 17;
	for (i = 0; i < 16; i++) {
		groups[2 + 2 * i] = grease[i] >> 8;
		groups[3 + 2 * i] = grease[i] & 0xff;
		add_ext(&spec, grease[i], NULL, 0);
	}
	groups[2 + 32] = 0;
	groups[3 + 32] = 29;
	add_ext(&spec, 10, groups, sizeof(groups));
	build_record(&rec, &spec);

	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.nr_ciphers, 17);
	CHECK_EQ_INT(hello.nr_exts, 17);
	CHECK_EQ_INT(hello.nr_groups, 17);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865,10,29,");
	for (i = 0; i < 16; i++)
		CHECK(tlsfp_is_grease(grease[i]), "0x%04x", grease[i]);
}

static void grease_near_misses_kept(void)
{
	static const uint16_t ciphers[] = { 0x0a1a, 0x1a0a, 0x0b0b, 0x0a0b,
					    0xa0a0 };

	reset_spec();
	spec.ciphers = ciphers;
	spec.n_ciphers = 5;
	add_ext(&spec, 0x0a1a, NULL, 0);
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_STR(ja3_of(&hello), "771,2586-6666-2827-2571-41120,2586,,");
}

/* The example of an absent list in the JA3 definition. */
static void empty_lists_give_empty_fields(void)
{
	static const uint8_t ems[1];

	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 0, sni_body, sizeof(sni_body));
	add_ext(&spec, 23, ems, 0);
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865-4866,0-23,,");
}

static void empty_group_list(void)
{
	static const uint8_t no_groups[] = { 0x00, 0x00 };

	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 10, no_groups, sizeof(no_groups));
	add_ext(&spec, 11, pf_body, sizeof(pf_body));
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865-4866,10-11,,0");
}

static void padding_extension_kept(void)
{
	static const uint8_t pad[200];

	build_typical();
	add_ext(&spec, 21, pad, sizeof(pad));
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_STR(ja3_of(&hello),
		     "771,4865-4866,0-10-11-13-16-43-21,29-23,0");
}

static void zero_length_last_extension(void)
{
	build_typical();
	add_ext(&spec, 23, NULL, 0);
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.nr_exts, 7);
	CHECK_EQ_INT(hello.exts[6], 23);
	CHECK_EQ_STR(ja3_of(&hello),
		     "771,4865-4866,0-10-11-13-16-43-23,29-23,0");
}

static void no_extension_block(void)
{
	static const uint16_t ciphers[] = { 47, 53, 255 };

	reset_spec();
	spec.version = 0x0301;
	spec.ciphers = ciphers;
	spec.n_ciphers = 3;
	spec.no_ext_block = 1;
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_STR(ja3_of(&hello), "769,47-53-255,,,");
}

/* Build a hello whose cipher list has n entries, 1, 2, ..., n. */
static void build_n_ciphers(unsigned int n)
{
	static uint16_t ciphers[1024];
	unsigned int i;

	reset_spec();
	for (i = 0; i < n; i++)
		ciphers[i] = i + 1;
	spec.ciphers = ciphers;
	spec.n_ciphers = n;
	build_record(&rec, &spec);
}

static void ciphers_at_and_over_bound(void)
{
	char want[TLSFP_JA3_STR_MAX];
	char buf[TLSFP_JA3_STR_MAX];
	size_t len = 0;
	unsigned int i;

	build_n_ciphers(TLSFP_MAX_CIPHERS);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.flags & TLSFP_HELLO_F_NO_JA3, 0);
	len = snprintf(want, sizeof(want), "771,");
	for (i = 1; i <= TLSFP_MAX_CIPHERS; i++)
		len += snprintf(want + len, sizeof(want) - len,
				i > 1 ? "-%u" : "%u", i);
	snprintf(want + len, sizeof(want) - len, ",,,");
	CHECK_EQ_STR(ja3_of(&hello), want);

	build_n_ciphers(TLSFP_MAX_CIPHERS + 1);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK(hello.flags & TLSFP_HELLO_F_CIPHERS_OVER, "flags 0x%x",
	      hello.flags);
	CHECK_EQ_INT(hello.nr_ciphers, TLSFP_MAX_CIPHERS + 1);
	CHECK_EQ_INT(tlsfp_ja3_string(&hello, buf, sizeof(buf)), -E2BIG);
	CHECK_EQ_INT(tlsfp_ja3_reason(&hello, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "257 cipher suites, more than the 256 tlsfp keeps");
}

static void build_n_exts(unsigned int n)
{
	unsigned int i;

	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	/* Types 100, 101, ...: no extension the parser reads further. */
	for (i = 0; i < n; i++)
		add_ext(&spec, 100 + i, NULL, 0);
	build_record(&rec, &spec);
}

static void exts_at_and_over_bound(void)
{
	char buf[TLSFP_JA3_STR_MAX];

	build_n_exts(TLSFP_MAX_EXTS);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.nr_exts, TLSFP_MAX_EXTS);
	CHECK_EQ_INT(hello.flags & TLSFP_HELLO_F_NO_JA3, 0);
	CHECK_EQ_INT(hello.exts[TLSFP_MAX_EXTS - 1], 100 + TLSFP_MAX_EXTS - 1);

	build_n_exts(TLSFP_MAX_EXTS + 1);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.nr_exts, TLSFP_MAX_EXTS + 1);
	CHECK(hello.flags & TLSFP_HELLO_F_EXTS_OVER, "flags 0x%x",
	      hello.flags);
	CHECK_EQ_INT(tlsfp_ja3_string(&hello, buf, sizeof(buf)), -E2BIG);
}

/*
 * One extension holding a 16-bit list (wide length) or 8-bit values of n
 * entries, each value 1, 2, ....
 */
static void build_list_ext(uint16_t type, unsigned int n, int hdr_bytes,
			   int value_bytes)
{
	static uint8_t body[4096];
	unsigned int i, len = n * value_bytes, off = 0;

	if (hdr_bytes == 2)
		body[off++] = len >> 8;
	body[off++] = len & 0xff;
	for (i = 0; i < n; i++) {
		if (value_bytes == 2)
			body[off++] = (i + 1) >> 8;
		body[off++] = (i + 1) & 0xff;
	}
	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, type, body, off);
	build_record(&rec, &spec);
}

struct list_case {
	const char *name;
	uint16_t type;
	unsigned int max;
	int hdr_bytes, value_bytes;
	uint32_t over_flag;
	/* Whether going over the bound takes the JA3 away. */
	int blocks_ja3;
};

static void lists_at_and_over_bound(void)
{
	static const struct list_case cases[] = {
		{ "groups", 10, TLSFP_MAX_GROUPS, 2, 2,
		  TLSFP_HELLO_F_GROUPS_OVER, 1 },
		{ "point formats", 11, TLSFP_MAX_POINT_FORMATS, 1, 1,
		  TLSFP_HELLO_F_POINT_FORMATS_OVER, 1 },
		{ "sigalgs", 13, TLSFP_MAX_SIGALGS, 2, 2,
		  TLSFP_HELLO_F_SIGALGS_OVER, 0 },
		{ "versions", 43, TLSFP_MAX_VERSIONS, 1, 2,
		  TLSFP_HELLO_F_VERSIONS_OVER, 0 },
	};
	char buf[TLSFP_JA3_STR_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct list_case *c = &cases[i];
		int ret;

		build_list_ext(c->type, c->max, c->hdr_bytes, c->value_bytes);
		CHECK(parse_rec() == TLSFP_OK, "%s at bound", c->name);
		CHECK(!(hello.flags & c->over_flag), "%s at bound: flag set",
		      c->name);
		CHECK(tlsfp_ja3_string(&hello, buf, sizeof(buf)) > 0,
		      "%s at bound: no JA3", c->name);

		build_list_ext(c->type, c->max + 1, c->hdr_bytes,
			       c->value_bytes);
		CHECK(parse_rec() == TLSFP_OK, "%s over bound", c->name);
		CHECK(hello.flags & c->over_flag, "%s over bound: no flag",
		      c->name);
		ret = tlsfp_ja3_string(&hello, buf, sizeof(buf));
		if (c->blocks_ja3)
			CHECK(ret == -E2BIG, "%s over bound: JA3 given",
			      c->name);
		else
			CHECK(ret > 0, "%s over bound: JA3 lost", c->name);
	}
}

static void build_sni(unsigned int name_len)
{
	static uint8_t body[600];
	unsigned int i;

	body[0] = (name_len + 3) >> 8;
	body[1] = (name_len + 3) & 0xff;
	body[2] = 0;
	body[3] = name_len >> 8;
	body[4] = name_len & 0xff;
	for (i = 0; i < name_len; i++)
		body[5 + i] = 'a' + i % 26;
	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 0, body, name_len + 5);
	build_record(&rec, &spec);
}

static void sni_at_and_over_bound(void)
{
	build_sni(TLSFP_MAX_SNI);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.sni_len, TLSFP_MAX_SNI);
	CHECK_EQ_INT(hello.flags & TLSFP_HELLO_F_SNI_OVER, 0);
	CHECK_EQ_INT(hello.sni[TLSFP_MAX_SNI - 1],
		     'a' + (TLSFP_MAX_SNI - 1) % 26);

	build_sni(TLSFP_MAX_SNI + 1);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.sni_len, TLSFP_MAX_SNI);
	CHECK(hello.flags & TLSFP_HELLO_F_SNI_OVER, "flags 0x%x",
	      hello.flags);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865-4866,0,,");
}

static void build_alpn(unsigned int list_len)
{
	static uint8_t body[600];
	unsigned int i;

	body[0] = list_len >> 8;
	body[1] = list_len & 0xff;
	for (i = 0; i < list_len; i++)
		body[2 + i] = i == 0 ? list_len - 1 : 'x';
	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 16, body, list_len + 2);
	build_record(&rec, &spec);
}

static void alpn_at_and_over_bound(void)
{
	build_alpn(TLSFP_MAX_ALPN);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.alpn_len, TLSFP_MAX_ALPN);
	CHECK_EQ_INT(hello.flags & TLSFP_HELLO_F_ALPN_OVER, 0);

	build_alpn(TLSFP_MAX_ALPN + 1);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.alpn_len, TLSFP_MAX_ALPN);
	CHECK(hello.flags & TLSFP_HELLO_F_ALPN_OVER, "flags 0x%x",
	      hello.flags);
}

/* A record cut anywhere before its end is never a whole hello. */
static void truncated_record_every_offset(void)
{
	size_t n;
	int ret;

	build_typical();
	for (n = 0; n < rec.len; n++) {
		ret = parse_n(rec.d, n, &hello);
		CHECK(ret == TLSFP_INCOMPLETE || ret == TLSFP_SKIP,
		      "cut at %zu: status %d", n, ret);
	}
}

/*
 * The hello body cut at every offset, with the record and handshake
 * lengths rewritten to match, so that only the inner lengths lie.  The one
 * valid cut is right before the extensions block (a hello without
 * extensions).
 */
static void lying_lengths_every_offset(void)
{
	static struct bytes cut;
	size_t n, body_len, no_ext_len;
	int ret;

	build_typical();
	body_len = rec.len - 9;
	/* version, random, session id, ciphers, compression methods */
	no_ext_len = 2 + 32 + 1 + 32 + 2 + 4 + 2;
	for (n = 0; n < body_len; n++) {
		memcpy(cut.d, rec.d, 9 + n);
		cut.len = 9 + n;
		set16(&cut, 3, n + 4);
		cut.d[6] = 0;
		set16(&cut, 7, n);
		ret = parse_n(cut.d, cut.len, &hello);
		if (n == no_ext_len)
			CHECK(ret == TLSFP_OK, "cut at %zu: status %d", n, ret);
		else
			CHECK(ret == TLSFP_ERR_HELLO, "cut at %zu: status %d",
			      n, ret);
	}
}

static void malformed_hellos_rejected(void)
{
	static const uint8_t odd_groups[] = { 0x00, 0x03, 0x00, 0x1d, 0x00 };
	static const uint8_t short_pf[] = { 0x05, 0x00 };
	int ret;

	/* Cipher list of odd length. */
	build_typical();
	rec.d[9 + 2 + 32 + 1 + 32 + 1] ^= 1;
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_HELLO);

	/* Session id longer than 32 bytes. */
	build_typical();
	rec.d[9 + 2 + 32] = 33;
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_HELLO);

	/* Extension length that overruns the extensions block. */
	build_typical();
	set16(&rec, rec.len - sizeof(versions_body) - 2,
	      sizeof(versions_body) + 1);
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_HELLO);

	/* supported_groups with an odd list length. */
	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 10, odd_groups, sizeof(odd_groups));
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_HELLO);

	/* ec_point_formats whose count overruns the extension. */
	reset_spec();
	spec.ciphers = two_ciphers;
	spec.n_ciphers = 2;
	add_ext(&spec, 11, short_pf, sizeof(short_pf));
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_HELLO);

	/* Empty record: RFC 8446 5.1 forbids empty handshake fragments. */
	build_typical();
	set16(&rec, 3, 0);
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_RECORD);

	/* Record over the 2^14-byte maximum of RFC 8446 5.1. */
	build_typical();
	set16(&rec, 3, 16385);
	CHECK_EQ_INT(parse_rec(), TLSFP_ERR_RECORD);

	/*
	 * Record shorter than a handshake header: valid, the header goes on
	 * in the next record, so the hello is incomplete here.
	 */
	build_typical();
	set16(&rec, 3, 3);
	CHECK_EQ_INT(parse_rec(), TLSFP_INCOMPLETE);

	/* Not a ClientHello: handshake type 2, content type 23, version 3.5 */
	build_typical();
	rec.d[5] = 2;
	CHECK_EQ_INT(parse_rec(), TLSFP_SKIP);
	build_typical();
	rec.d[0] = 23;
	CHECK_EQ_INT(parse_rec(), TLSFP_SKIP);
	build_typical();
	rec.d[2] = 5;
	CHECK_EQ_INT(parse_rec(), TLSFP_SKIP);

	/* SSLv2-compatible hello (RFC 5246 E.2): not a TLS record. */
	{
		static const uint8_t v2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01,
					      0x00, 0x15, 0x00, 0x00 };

		ret = parse_n(v2, sizeof(v2), &hello);
		CHECK_EQ_INT(ret, TLSFP_SKIP);
	}
}

static void hello_in_two_records_incomplete(void)
{
	build_typical();
	/* The record carries the first 40 bytes of the handshake only. */
	set16(&rec, 3, 40);
	CHECK_EQ_INT(parse_rec(), TLSFP_INCOMPLETE);
}

/* Repeated extension: the first one's list is kept. */
static void repeated_extension_first_kept(void)
{
	static const uint8_t other_groups[] = { 0x00, 0x02, 0x00, 0x18 };

	build_typical();
	add_ext(&spec, 10, other_groups, sizeof(other_groups));
	build_record(&rec, &spec);
	CHECK_EQ_INT(parse_rec(), TLSFP_OK);
	CHECK_EQ_INT(hello.nr_groups, 2);
	CHECK_EQ_INT(hello.groups[0], 29);
	CHECK_EQ_STR(ja3_of(&hello), "771,4865-4866,0-10-11-13-16-43-10,29-23,0");
}

/* Random byte changes: the parser must stay inside the buffer. */
static void mutated_hellos_stay_in_bounds(void)
{
	static struct bytes m;
	unsigned int seed = 12345, i, j, ok = 0;

	build_typical();
	for (i = 0; i < 20000; i++) {
		memcpy(m.d, rec.d, rec.len);
		m.len = rec.len;
		for (j = 0; j < 1 + i % 4; j++)
			m.d[rand_r(&seed) % m.len] = rand_r(&seed);
		if (parse_n(m.d, m.len, &hello) == TLSFP_OK)
			ok++;
		CHECK(hello.nr_exts <= rec.len / 4, "nr_exts %u",
		      hello.nr_exts);
	}
	/* Most single-byte changes hit random or ids and leave it valid. */
	CHECK(ok > 0, "no mutated hello parsed");
}

int main(void)
{
	RUN_TEST(hello_typical_fields);
	RUN_TEST(grease_all_16_removed);
	RUN_TEST(grease_near_misses_kept);
	RUN_TEST(empty_lists_give_empty_fields);
	RUN_TEST(empty_group_list);
	RUN_TEST(padding_extension_kept);
	RUN_TEST(zero_length_last_extension);
	RUN_TEST(no_extension_block);
	RUN_TEST(ciphers_at_and_over_bound);
	RUN_TEST(exts_at_and_over_bound);
	RUN_TEST(lists_at_and_over_bound);
	RUN_TEST(sni_at_and_over_bound);
	RUN_TEST(alpn_at_and_over_bound);
	RUN_TEST(truncated_record_every_offset);
	RUN_TEST(lying_lengths_every_offset);
	RUN_TEST(malformed_hellos_rejected);
	RUN_TEST(hello_in_two_records_incomplete);
	RUN_TEST(repeated_extension_first_kept);
	RUN_TEST(mutated_hellos_stay_in_bounds);
	return check_summary();
}
