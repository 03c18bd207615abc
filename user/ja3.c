// SPDX-License-Identifier: BSD-2-Clause
/*
 * JA3 string and hash of a ClientHello, as defined by the JA3 authors
 * (github.com/salesforce/ja3): legacy_version, cipher suites, extension
 * types, supported groups and EC point formats, in wire order, decimal,
 * GREASE values (RFC 8701) left out of the first three lists.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "ja3.h"

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
bool tlsfp_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct strbuf {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

static void sb_printf(struct strbuf *sb, const char *fmt, unsigned int v)
{
	int n;

	if (sb->overflow)
		return;
	n = snprintf(sb->buf + sb->len, sb->size - sb->len, fmt, v);
	if (n < 0 || (size_t)n >= sb->size - sb->len) {
		sb->overflow = true;
		return;
	}
	sb->len += n;
}

static void put_u16_list(struct strbuf *sb, const uint16_t *v, unsigned int n,
			 bool skip_grease)
{
	bool first = true;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (skip_grease && tlsfp_is_grease(v[i]))
			continue;
		sb_printf(sb, first ? "%u" : "-%u", v[i]);
		first = false;
	}
}

/*
 * Write the JA3 string of h into buf.  Returns its length, -E2BIG if a list
 * that JA3 uses was longer than the datapath keeps (see tlsfp_ja3_reason),
 * or -ENOSPC if buf is too small.
 */
int tlsfp_ja3_string(const struct tlsfp_hello *h, char *buf, size_t size)
{
	struct strbuf sb = { .buf = buf, .size = size };
	unsigned int i;

	if (h->flags & TLSFP_HELLO_F_NO_JA3)
		return -E2BIG;
	if (!size)
		return -ENOSPC;
	buf[0] = '\0';

	sb_printf(&sb, "%u,", h->legacy_version);
	put_u16_list(&sb, h->ciphers, h->nr_ciphers, true);
	sb_printf(&sb, ",", 0);
	put_u16_list(&sb, h->exts, h->nr_exts, true);
	sb_printf(&sb, ",", 0);
	put_u16_list(&sb, h->groups, h->nr_groups, true);
	sb_printf(&sb, ",", 0);
	for (i = 0; i < h->nr_point_formats; i++)
		sb_printf(&sb, i ? "-%u" : "%u", h->point_formats[i]);
	if (sb.overflow)
		return -ENOSPC;
	return (int)sb.len;
}

/*
 * Write the JA3S string of a ServerHello: legacy_version, the chosen
 * cipher suite and the extension types in order, GREASE left out.
 * Returns its length, or -ENOSPC.
 */
int tlsfp_ja3s_string(const struct tlsfp_server_hello *sh, char *buf,
		      size_t size)
{
	struct strbuf sb = { .buf = buf, .size = size };
	unsigned int n = sh->nr_exts;

	if (!size)
		return -ENOSPC;
	buf[0] = '\0';
	if (n > TLSFP_MAX_SERVER_EXTS)
		n = TLSFP_MAX_SERVER_EXTS;
	sb_printf(&sb, "%u,", sh->legacy_version);
	sb_printf(&sb, "%u,", sh->cipher);
	put_u16_list(&sb, sh->exts, n, true);
	if (sb.overflow)
		return -ENOSPC;
	return (int)sb.len;
}

/* Describe why h has no JA3, for output.  Returns 0, or -1 if it has one. */
int tlsfp_ja3_reason(const struct tlsfp_hello *h, char *buf, size_t size)
{
	const char *what;
	unsigned int n, max;

	if (h->flags & TLSFP_HELLO_F_CIPHERS_OVER) {
		what = "cipher suites";
		n = h->nr_ciphers;
		max = TLSFP_MAX_CIPHERS;
	} else if (h->flags & TLSFP_HELLO_F_EXTS_OVER) {
		what = "extensions";
		n = h->nr_exts;
		max = TLSFP_MAX_EXTS;
	} else if (h->flags & TLSFP_HELLO_F_GROUPS_OVER) {
		what = "supported groups";
		n = h->nr_groups;
		max = TLSFP_MAX_GROUPS;
	} else if (h->flags & TLSFP_HELLO_F_POINT_FORMATS_OVER) {
		what = "EC point formats";
		n = h->nr_point_formats;
		max = TLSFP_MAX_POINT_FORMATS;
	} else {
		return -1;
	}
	snprintf(buf, size, "%u %s, more than the %u tlsfp keeps", n, what,
		 max);
	return 0;
}

/* Lowercase hex MD5 of data, through OpenSSL's EVP interface. */
int tlsfp_md5_hex(const char *data, size_t len,
		  char out[TLSFP_MD5_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	if (!EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) ||
	    md_len != 16)
		return -EINVAL;
	for (i = 0; i < md_len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}
