/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Build ClientHello records byte by byte for the unit tests, with the
 * lengths either computed or set by hand to lie.
 */
#ifndef TLSFP_HELLO_BUILDER_H
#define TLSFP_HELLO_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct bytes {
	uint8_t d[65536 + 1024];
	size_t len;
};

static inline void put8(struct bytes *b, unsigned int v)
{
	b->d[b->len++] = v;
}

static inline void put16(struct bytes *b, unsigned int v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static inline void put24(struct bytes *b, unsigned int v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}

static inline void put_mem(struct bytes *b, const void *p, size_t n)
{
	if (!n)
		return;
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static inline void set16(struct bytes *b, size_t at, unsigned int v)
{
	b->d[at] = v >> 8;
	b->d[at + 1] = v & 0xff;
}

/* Description of a ClientHello; lists end at their n_* count. */
struct hello_spec {
	uint16_t version;
	uint8_t session_id_len;
	const uint16_t *ciphers;
	unsigned int n_ciphers;
	/* Extensions: type and raw body. */
	unsigned int n_exts;
	uint16_t ext_type[2048];
	const uint8_t *ext_body[2048];
	uint16_t ext_len[2048];
	/* Leave out the extensions length field altogether (pre-TLS 1.2). */
	int no_ext_block;
};

/* Append the handshake body (ClientHello, RFC 8446 4.1.2) to b. */
static inline void build_hello_body(struct bytes *b,
				    const struct hello_spec *s)
{
	size_t ext_len_at;
	unsigned int i;

	put16(b, s->version);
	for (i = 0; i < 32; i++)
		put8(b, i);
	put8(b, s->session_id_len);
	for (i = 0; i < s->session_id_len; i++)
		put8(b, 0xee);
	put16(b, s->n_ciphers * 2);
	for (i = 0; i < s->n_ciphers; i++)
		put16(b, s->ciphers[i]);
	put8(b, 1);
	put8(b, 0);
	if (s->no_ext_block)
		return;
	ext_len_at = b->len;
	put16(b, 0);
	for (i = 0; i < s->n_exts; i++) {
		put16(b, s->ext_type[i]);
		put16(b, s->ext_len[i]);
		put_mem(b, s->ext_body[i], s->ext_len[i]);
	}
	set16(b, ext_len_at, b->len - ext_len_at - 2);
}

/* A whole TLS record holding one ClientHello. */
static inline void build_record(struct bytes *b, const struct hello_spec *s)
{
	struct bytes *body = calloc(1, sizeof(*body));

	build_hello_body(body, s);
	b->len = 0;
	put8(b, 22);
	put16(b, 0x0301);
	put16(b, body->len + 4);
	put8(b, 1);
	put24(b, body->len);
	put_mem(b, body->d, body->len);
	free(body);
}

static inline void add_ext(struct hello_spec *s, uint16_t type,
			   const uint8_t *body, uint16_t len)
{
	s->ext_type[s->n_exts] = type;
	s->ext_body[s->n_exts] = body;
	s->ext_len[s->n_exts] = len;
	s->n_exts++;
}

#endif /* TLSFP_HELLO_BUILDER_H */
