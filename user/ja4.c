// SPDX-License-Identifier: BSD-2-Clause
/*
 * JA4 TLS client fingerprint of a ClientHello, following FoxIO's
 * description in technical_details/JA4.md of github.com/FoxIO-LLC/ja4
 * (commit d8f731ce0f19).  FoxIO licenses JA4 under BSD 3-Clause.  The other
 * JA4+ methods (JA4S, JA4H, ...) have another licence, and tlsfp does not
 * implement them.
 *
 *   a  "t" (TLS over TCP), the version, "d" if the SNI extension is
 *      present else "i", the cipher and extension counts (99 at most) and
 *      two characters of the first ALPN protocol name
 *   b  first 12 hex digits of SHA-256 of the sorted cipher list
 *   c  the same of the sorted extension list without SNI and ALPN, then
 *      "_" and the signature algorithms in wire order
 *
 * GREASE values (RFC 8701) are left out of every list and count.  ja4_r is
 * a_b_c with the lists of b and c written out instead of hashed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "ja3.h"
#include "ja4.h"

#define EXT_SNI		0
#define EXT_ALPN	16
/* Counts in part a have two decimal digits. */
#define COUNT_MAX	99
#define HASH_HEX_LEN	12
/* Part a: "t", version (2), "d"/"i", two counts (2 + 2), ALPN pair (2). */
#define PART_A_LEN	10

/* The lists of a hello as JA4 uses them: GREASE removed, b and c sorted. */
struct ja4_lists {
	char a[PART_A_LEN + 1];
	unsigned int nr_ciphers;
	unsigned int nr_exts;
	unsigned int nr_sigalgs;
	uint16_t ciphers[TLSFP_MAX_CIPHERS];
	uint16_t exts[TLSFP_MAX_EXTS];
	uint16_t sigalgs[TLSFP_MAX_SIGALGS];
};

/* The ja4_r string, with the offset and length of its b and c lists. */
struct ja4_raw {
	char str[TLSFP_JA4_RAW_MAX + 1];
	size_t len;
	size_t b_off, b_len;
	size_t c_off, c_len;
};

/* A list of the hello that lost entries to its TLSFP_MAX_* bound. */
struct cut_list {
	const char *name;
	unsigned int nr;
	unsigned int max;
};

static bool is_cut(const struct tlsfp_hello *h, uint32_t flag, unsigned int nr,
		   unsigned int max)
{
	/* nr > max without the flag comes from a hello not built by parse.h. */
	return (h->flags & flag) || nr > max;
}

/*
 * Find a list that JA4 needs whole but the datapath kept only in part.
 * Groups, point formats and the SNI do not count because JA4 ignores them.
 */
static bool find_cut(const struct tlsfp_hello *h, struct cut_list *c)
{
	if (is_cut(h, TLSFP_HELLO_F_CIPHERS_OVER, h->nr_ciphers,
		   TLSFP_MAX_CIPHERS)) {
		*c = (struct cut_list){ "cipher suites", h->nr_ciphers,
					TLSFP_MAX_CIPHERS };
		return true;
	}
	if (is_cut(h, TLSFP_HELLO_F_EXTS_OVER, h->nr_exts, TLSFP_MAX_EXTS)) {
		*c = (struct cut_list){ "extensions", h->nr_exts,
					TLSFP_MAX_EXTS };
		return true;
	}
	if (is_cut(h, TLSFP_HELLO_F_SIGALGS_OVER, h->nr_sigalgs,
		   TLSFP_MAX_SIGALGS)) {
		*c = (struct cut_list){ "signature algorithms", h->nr_sigalgs,
					TLSFP_MAX_SIGALGS };
		return true;
	}
	/* The highest version may be among the entries not kept. */
	if (is_cut(h, TLSFP_HELLO_F_VERSIONS_OVER, h->nr_versions,
		   TLSFP_MAX_VERSIONS)) {
		*c = (struct cut_list){ "supported versions", h->nr_versions,
					TLSFP_MAX_VERSIONS };
		return true;
	}
	/* A cut ALPN list still gives the pair if its first name is whole. */
	if ((h->flags & TLSFP_HELLO_F_ALPN_OVER) && h->alpn_len &&
	    1u + h->alpn[0] > h->alpn_len) {
		*c = (struct cut_list){ "bytes in the first ALPN protocol name",
					h->alpn[0], TLSFP_MAX_ALPN - 1 };
		return true;
	}
	return false;
}

static unsigned int drop_grease(const uint16_t *in, unsigned int n,
				uint16_t *out)
{
	unsigned int i, kept = 0;

	for (i = 0; i < n; i++) {
		if (!tlsfp_is_grease(in[i]))
			out[kept++] = in[i];
	}
	return kept;
}

static int cmp_u16(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

/*
 * The highest non-GREASE entry of supported_versions, else legacy_version.
 * NOTE: JA4.md does not cover a supported_versions of GREASE only.  tlsfp
 * treats it as absent, while FoxIO's Rust tool gives no JA4 for it.
 */
static uint16_t ja4_version(const struct tlsfp_hello *h)
{
	uint16_t best = 0;
	bool found = false;
	unsigned int i;

	for (i = 0; i < h->nr_versions; i++) {
		if (tlsfp_is_grease(h->versions[i]))
			continue;
		if (!found || h->versions[i] > best)
			best = h->versions[i];
		found = true;
	}
	return found ? best : h->legacy_version;
}

static const char *version_code(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	}
	return "00";
}

static bool is_ascii_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/*
 * The first and last character of the first ALPN protocol name, or, if
 * either byte is not an ASCII letter or digit, the first and last digit of
 * the name in hex ({0x30, 0xab} gives "3b").  "00" without ALPN or with an
 * empty first name.  NOTE: this follows JA4.md, not FoxIO's Rust tool
 * (rust/ja4/src/tls.rs at commit 0e4cc8be3040), which prints '9' for a
 * non-ASCII character and "x0" for a one-character name "x".
 */
static void alpn_pair(const struct tlsfp_hello *h, char out[2])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int list_len = h->alpn_len, name_len;
	uint8_t first, last;

	out[0] = out[1] = '0';
	if (!(h->flags & TLSFP_HELLO_F_HAS_ALPN))
		return;
	if (list_len > TLSFP_MAX_ALPN)
		list_len = TLSFP_MAX_ALPN;
	if (list_len < 2)
		return;
	/* A name longer than the list is malformed, so take the bytes there. */
	name_len = h->alpn[0];
	if (name_len > list_len - 1)
		name_len = list_len - 1;
	if (!name_len)
		return;

	first = h->alpn[1];
	last = h->alpn[name_len];
	if (is_ascii_alnum(first) && is_ascii_alnum(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		out[0] = hex[first >> 4];
		out[1] = hex[last & 0xf];
	}
}

static bool has_sni(const struct tlsfp_hello *h)
{
	unsigned int i;

	for (i = 0; i < h->nr_exts; i++) {
		if (h->exts[i] == EXT_SNI)
			return true;
	}
	return false;
}

static unsigned int cap_count(unsigned int n)
{
	return n > COUNT_MAX ? COUNT_MAX : n;
}

/* Fill l from h.  Returns 0, or -E2BIG if a list JA4 needs was cut. */
static int collect_lists(const struct tlsfp_hello *h, struct ja4_lists *l)
{
	unsigned int i, nr_exts = 0;
	struct cut_list cut;
	char alpn[2];

	if (find_cut(h, &cut))
		return -E2BIG;

	l->nr_ciphers = drop_grease(h->ciphers, h->nr_ciphers, l->ciphers);
	l->nr_sigalgs = drop_grease(h->sigalgs, h->nr_sigalgs, l->sigalgs);
	l->nr_exts = 0;
	for (i = 0; i < h->nr_exts; i++) {
		uint16_t type = h->exts[i];

		if (tlsfp_is_grease(type))
			continue;
		/* Counted, but SNI and ALPN stay out of the hash. */
		nr_exts++;
		if (type != EXT_SNI && type != EXT_ALPN)
			l->exts[l->nr_exts++] = type;
	}
	qsort(l->ciphers, l->nr_ciphers, sizeof(l->ciphers[0]), cmp_u16);
	qsort(l->exts, l->nr_exts, sizeof(l->exts[0]), cmp_u16);

	alpn_pair(h, alpn);
	snprintf(l->a, sizeof(l->a), "t%s%c%02u%02u%c%c",
		 version_code(ja4_version(h)), has_sni(h) ? 'd' : 'i',
		 cap_count(l->nr_ciphers), cap_count(nr_exts), alpn[0],
		 alpn[1]);
	return 0;
}

/* Write v as 4-digit lowercase hex joined by ','.  Adds no NUL at the end. */
static size_t put_hex_list(char *p, const uint16_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		snprintf(p, 5, "%04x", v[i]);
		p += 4;
	}
	return n ? 5 * n - 1 : 0;
}

static void format_raw(const struct ja4_lists *l, struct ja4_raw *r)
{
	char *p = r->str;

	memcpy(p, l->a, PART_A_LEN);
	p += PART_A_LEN;
	*p++ = '_';
	r->b_off = p - r->str;
	r->b_len = put_hex_list(p, l->ciphers, l->nr_ciphers);
	p += r->b_len;
	*p++ = '_';
	r->c_off = p - r->str;
	p += put_hex_list(p, l->exts, l->nr_exts);
	/* JA4.md: without signature algorithms, c has no second underscore. */
	if (l->nr_sigalgs) {
		*p++ = '_';
		p += put_hex_list(p, l->sigalgs, l->nr_sigalgs);
	}
	*p = '\0';
	r->c_len = p - r->str - r->c_off;
	r->len = p - r->str;
}

/* The first 12 hex digits of SHA-256 of data, lowercase, NUL-terminated. */
static int sha256_hex12(const char *data, size_t len,
			char out[HASH_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) ||
	    md_len != 32)
		return -EINVAL;
	for (i = 0; i < HASH_HEX_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/*
 * Write the JA4 of h into out.  Returns 0, -E2BIG if a list that JA4 needs
 * was longer than the datapath keeps (see tlsfp_ja4_reason), or -EINVAL if
 * OpenSSL fails to hash.
 */
int tlsfp_ja4(const struct tlsfp_hello *h, char out[TLSFP_JA4_LEN + 1])
{
	static const char no_hash[] = "000000000000";
	struct ja4_lists l;
	struct ja4_raw r;
	char *b = out + PART_A_LEN + 1, *c = b + HASH_HEX_LEN + 1;
	int err;

	err = collect_lists(h, &l);
	if (err)
		return err;
	format_raw(&l, &r);

	memcpy(out, l.a, PART_A_LEN);
	out[PART_A_LEN] = '_';
	/* JA4.md: an empty list gives zeros, not the hash of "". */
	if (!l.nr_ciphers)
		memcpy(b, no_hash, sizeof(no_hash));
	else if (sha256_hex12(r.str + r.b_off, r.b_len, b))
		return -EINVAL;
	b[HASH_HEX_LEN] = '_';
	if (!l.nr_exts)
		memcpy(c, no_hash, sizeof(no_hash));
	else if (sha256_hex12(r.str + r.c_off, r.c_len, c))
		return -EINVAL;
	return 0;
}

/*
 * Write ja4_r, the JA4 of h before hashing, into buf.  Returns its length,
 * -E2BIG as tlsfp_ja4 does, or -ENOSPC if buf is too small
 * (TLSFP_JA4_RAW_MAX + 1 always fits).
 */
int tlsfp_ja4_raw(const struct tlsfp_hello *h, char *buf, size_t size)
{
	struct ja4_lists l;
	struct ja4_raw r;
	int err;

	err = collect_lists(h, &l);
	if (err)
		return err;
	format_raw(&l, &r);
	if (r.len >= size)
		return -ENOSPC;
	memcpy(buf, r.str, r.len + 1);
	return (int)r.len;
}

/* Describe why h has no JA4, for output.  Returns 0, or -1 if it has one. */
int tlsfp_ja4_reason(const struct tlsfp_hello *h, char *buf, size_t size)
{
	struct cut_list cut;

	if (!find_cut(h, &cut))
		return -1;
	snprintf(buf, size, "%u %s, more than the %u tlsfp keeps", cut.nr,
		 cut.name, cut.max);
	return 0;
}
