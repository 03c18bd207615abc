/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet and ClientHello parsing, shared by the BPF programs and the host
 * unit tests.  Nothing here takes a program context or calls a helper other
 * than through compat.h, so the same source builds for both.
 */
#ifndef TLSFP_PARSE_H
#define TLSFP_PARSE_H

#include "compat.h"
#include "tlsfp.h"

#define TLSFP_ETH_HLEN		14
#define TLSFP_ETH_P_IP		0x0800
#define TLSFP_ETH_P_IPV6	0x86DD
#define TLSFP_ETH_P_8021Q	0x8100
#define TLSFP_ETH_P_8021AD	0x88A8
#define TLSFP_VLAN_HLEN		4
#define TLSFP_MAX_VLANS		2

#define TLSFP_IPPROTO_HOPOPTS	0
#define TLSFP_IPPROTO_TCP	6
#define TLSFP_IPPROTO_ROUTING	43
#define TLSFP_IPPROTO_FRAGMENT	44
#define TLSFP_IPPROTO_AH	51
#define TLSFP_IPPROTO_DSTOPTS	60
/* IPv6 extension headers walked before giving up on a packet. */
#define TLSFP_MAX_IPV6_EXTS	6

/*
 * Largest offset of a header byte from the start of the frame.  It keeps
 * pointer arithmetic in a range the verifier can follow: six IPv6 extension
 * headers of the maximum 2 KiB each would not fit, real ones do.
 */
#define TLSFP_MAX_HDR_OFF	4096

/* Outcome of parsing one packet or one ClientHello. */
enum tlsfp_status {
	TLSFP_OK = 0,
	/* Not for us, not an error: ARP, UDP, a SYN, a data segment. */
	TLSFP_SKIP,
	TLSFP_ERR_L2,
	TLSFP_ERR_L3,
	TLSFP_ERR_L4,
	TLSFP_FRAGMENT,
	/* TLS record header invalid after the content type matched. */
	TLSFP_ERR_RECORD,
	/* Handshake is a ClientHello but its contents are malformed. */
	TLSFP_ERR_HELLO,
	/* A valid start of a ClientHello that continues past this data. */
	TLSFP_INCOMPLETE,
	/* A ClientHello larger than TLSFP_BUF_SIZE with its record headers. */
	TLSFP_TOO_LARGE,
};

/*
 * Cursor over packet headers.  The position is a 64-bit offset, capped
 * before it forms a pointer: a pointer advanced by lengths from the wire
 * collects a range the verifier cannot bound, and a 32-bit offset is
 * re-widened after the check and loses its bound.
 */
struct tlsfp_cur {
	const __u8 *data;
	const __u8 *end;
	__u64 off;
};

static __always_inline const __u8 *cur_take(struct tlsfp_cur *c, __u64 n)
{
	__u64 off = c->off;
	const __u8 *p;

	if (off > TLSFP_MAX_HDR_OFF || n > TLSFP_MAX_HDR_OFF)
		return (const __u8 *)0;
	p = c->data + off;
	if (p + n > c->end)
		return (const __u8 *)0;
	c->off = off + n;
	return p;
}

static __always_inline __u16 get_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Flow of a packet and the place of its TCP payload in the frame. */
struct tlsfp_pkt {
	struct tlsfp_flow_key key;
	__u32 payload_off;
	__u32 payload_len;
	__u32 seq;
	__u8 tcp_flags;
	__u8 pad[3];
};

#define TLSFP_TCP_FIN	0x01
#define TLSFP_TCP_SYN	0x02
#define TLSFP_TCP_RST	0x04
#define TLSFP_TCP_ACK	0x10

static __always_inline int parse_ipv4(struct tlsfp_cur *c,
				      struct tlsfp_pkt *pkt, __u64 *ip_end)
{
	const __u8 *ip = cur_take(c, 20);
	__u32 ihl, tot_len;
	__u16 frag;

	if (!ip)
		return TLSFP_ERR_L3;
	ihl = (ip[0] & 0x0f) * 4;
	tot_len = get_be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot_len < ihl)
		return TLSFP_ERR_L3;
	if (ip[9] != TLSFP_IPPROTO_TCP)
		return TLSFP_SKIP;
	/* More-fragments flag or a fragment offset: not a whole segment. */
	frag = get_be16(ip + 6);
	if (frag & 0x3fff)
		return TLSFP_FRAGMENT;
	pkt->key.family = TLSFP_AF_INET;
	__builtin_memcpy(pkt->key.saddr, ip + 12, 4);
	__builtin_memcpy(pkt->key.daddr, ip + 16, 4);
	*ip_end = c->off - 20 + tot_len;
	/* Skip IPv4 options. */
	if (!cur_take(c, ihl - 20))
		return TLSFP_ERR_L3;
	return TLSFP_OK;
}

static __always_inline int parse_ipv6(struct tlsfp_cur *c,
				      struct tlsfp_pkt *pkt, __u64 *ip_end)
{
	const __u8 *ip = cur_take(c, 40);
	const __u8 *ext;
	__u8 next;
	int i;

	if (!ip)
		return TLSFP_ERR_L3;
	if ((ip[0] >> 4) != 6)
		return TLSFP_ERR_L3;
	pkt->key.family = TLSFP_AF_INET6;
	__builtin_memcpy(pkt->key.saddr, ip + 8, 16);
	__builtin_memcpy(pkt->key.daddr, ip + 24, 16);
	*ip_end = c->off + get_be16(ip + 4);
	next = ip[6];

#ifdef __BPF__
#pragma unroll
#endif
	for (i = 0; i < TLSFP_MAX_IPV6_EXTS; i++) {
		switch (next) {
		case TLSFP_IPPROTO_TCP:
			return TLSFP_OK;
		case TLSFP_IPPROTO_HOPOPTS:
		case TLSFP_IPPROTO_ROUTING:
		case TLSFP_IPPROTO_DSTOPTS:
			ext = cur_take(c, 8);
			if (!ext || !cur_take(c, ext[1] * 8))
				return TLSFP_ERR_L3;
			break;
		case TLSFP_IPPROTO_AH:
			/* RFC 4302: length in 4-byte units, minus 2. */
			ext = cur_take(c, 8);
			if (!ext || !cur_take(c, ext[1] * 4))
				return TLSFP_ERR_L3;
			break;
		case TLSFP_IPPROTO_FRAGMENT:
			return TLSFP_FRAGMENT;
		default:
			return TLSFP_SKIP;
		}
		next = ext[0];
	}
	if (next == TLSFP_IPPROTO_TCP)
		return TLSFP_OK;
	/* More extension headers than TLSFP_MAX_IPV6_EXTS. */
	return TLSFP_ERR_L3;
}

/*
 * Parse Ethernet (with up to two VLAN tags), IPv4 or IPv6 and TCP headers,
 * which must lie in [data, end).  frame_len is the length of the whole
 * frame, which can be longer: an skb or a multi-buffer XDP frame keeps its
 * payload outside the part that the program reads directly.  On TLSFP_OK,
 * pkt contains the flow and the payload's place in the frame.
 */
static __always_inline int tlsfp_parse_pkt(const __u8 *data, const __u8 *end,
					   __u64 frame_len,
					   struct tlsfp_pkt *pkt)
{
	struct tlsfp_cur c = { .data = data, .end = end, .off = 0 };
	__u64 ip_end = 0, l4_off, payload_off;
	const __u8 *eth, *tag, *tcp;
	__u32 doff;
	__u16 proto;
	int i, err;

	eth = cur_take(&c, TLSFP_ETH_HLEN);
	if (!eth)
		return TLSFP_ERR_L2;
	proto = get_be16(eth + 12);

#ifdef __BPF__
#pragma unroll
#endif
	for (i = 0; i < TLSFP_MAX_VLANS; i++) {
		if (proto != TLSFP_ETH_P_8021Q && proto != TLSFP_ETH_P_8021AD)
			break;
		tag = cur_take(&c, TLSFP_VLAN_HLEN);
		if (!tag)
			return TLSFP_ERR_L2;
		proto = get_be16(tag + 2);
	}

	if (proto == TLSFP_ETH_P_IP)
		err = parse_ipv4(&c, pkt, &ip_end);
	else if (proto == TLSFP_ETH_P_IPV6)
		err = parse_ipv6(&c, pkt, &ip_end);
	else
		return TLSFP_SKIP;
	if (err)
		return err;

	l4_off = c.off;
	tcp = cur_take(&c, 20);
	if (!tcp)
		return TLSFP_ERR_L4;
	doff = (tcp[12] >> 4) * 4;
	if (doff < 20)
		return TLSFP_ERR_L4;
	payload_off = l4_off + doff;
	/*
	 * The IP length, not the frame end, bounds the payload: Ethernet pads
	 * short frames.  A frame shorter than its IP length is malformed.
	 */
	if (payload_off > ip_end || ip_end > frame_len)
		return TLSFP_ERR_L4;
	pkt->key.sport = get_be16(tcp);
	pkt->key.dport = get_be16(tcp + 2);
	pkt->seq = (__u32)tcp[4] << 24 | (__u32)tcp[5] << 16 |
		   (__u32)tcp[6] << 8 | tcp[7];
	pkt->tcp_flags = tcp[13];
	pkt->payload_off = payload_off;
	pkt->payload_len = ip_end - payload_off;
	return TLSFP_OK;
}

/* TLS record and handshake constants, RFC 8446 sections 5.1 and 4. */
#define TLSFP_REC_HANDSHAKE	22
#define TLSFP_REC_HLEN		5
#define TLSFP_HS_CLIENT_HELLO	1
#define TLSFP_HS_HLEN		4
/* RFC 8446 5.1: a record fragment is at most 2^14 bytes. */
#define TLSFP_REC_MAX		16384

#define TLSFP_EXT_SNI		0
#define TLSFP_EXT_GROUPS	10
#define TLSFP_EXT_POINT_FORMATS	11
#define TLSFP_EXT_SIGALGS	13
#define TLSFP_EXT_ALPN		16
#define TLSFP_EXT_VERSIONS	43

/*
 * Whether the first bytes of a TCP payload start a TLS handshake record
 * carrying a ClientHello: content type 22, record version 3.0 to 3.4 (TLS
 * 1.3 clients still write 3.1 or 3.3 here) and handshake type 1.  Needs
 * TLSFP_REC_HLEN + 1 bytes.
 */
static __always_inline int tlsfp_is_hello_start(const __u8 *p)
{
	return p[0] == TLSFP_REC_HANDSHAKE && p[1] == 3 && p[2] <= 4 &&
	       p[5] == TLSFP_HS_CLIENT_HELLO;
}

struct hello_ctx {
	const __u8 *buf;
	struct tlsfp_hello *h;
	__u32 off;
	__u32 end;
	int err;
	__u32 pad;
};

static __always_inline __u8 buf_u8(const __u8 *buf, __u32 off)
{
	return buf[TLSFP_IDX(off)];
}

static __always_inline __u16 buf_u16(const __u8 *buf, __u32 off)
{
	return (__u16)(buf[TLSFP_IDX(off)] << 8 | buf[TLSFP_IDX(off + 1)]);
}

/*
 * Read a list of 16-bit values preceded by a 16-bit (wide) or 8-bit byte
 * length, as supported_groups, signature_algorithms and supported_versions
 * carry.  Returns the number of values on the wire, or -1 if the list does
 * not fit its extension or has an odd length.
 */
static __always_inline int read_u16_list(const __u8 *buf, __u32 off,
					 __u32 ext_len, int wide, __u16 *out,
					 __u32 max)
{
	__u32 hdr = wide ? 2 : 1, list_len, n, i;

	if (ext_len < hdr)
		return -1;
	list_len = wide ? buf_u16(buf, off) : buf_u8(buf, off);
	if (list_len + hdr > ext_len || (list_len & 1))
		return -1;
	n = list_len / 2;
	for (i = 0; i < max; i++) {
		if (i >= n)
			break;
		out[i] = buf_u16(buf, off + hdr + i * 2);
	}
	return n;
}

/* Copy up to max bytes of the buffer into out. */
static __always_inline void copy_bytes(const __u8 *buf, __u32 off, __u32 len,
				       __u8 *out, __u32 max)
{
	__u32 i;

	for (i = 0; i < max; i++) {
		if (i >= len)
			break;
		out[i] = buf_u8(buf, off + i);
	}
}

/* Set a HAS_ flag; false if it was already set by a repeated extension. */
static __always_inline int first_seen(struct tlsfp_hello *h, __u32 flag)
{
	if (h->flags & flag)
		return 0;
	h->flags |= flag;
	return 1;
}

/* server_name (RFC 6066 3): a list of (type, length, name); keep the first. */
static __always_inline int read_sni(const __u8 *buf, __u32 off, __u32 len,
				    struct tlsfp_hello *h)
{
	__u32 name_len;

	/* An empty extension is valid (servers send one). */
	if (len < 5)
		return len == 0 ? TLSFP_OK : TLSFP_ERR_HELLO;
	name_len = buf_u16(buf, off + 3);
	if (name_len + 5 > len)
		return TLSFP_ERR_HELLO;
	if (name_len > TLSFP_MAX_SNI) {
		h->flags |= TLSFP_HELLO_F_SNI_OVER;
		name_len = TLSFP_MAX_SNI;
	}
	copy_bytes(buf, off + 5, name_len, h->sni, TLSFP_MAX_SNI);
	h->sni_len = name_len;
	return TLSFP_OK;
}

/* application_layer_protocol_negotiation (RFC 7301 3.1): the raw list. */
static __always_inline int read_alpn(const __u8 *buf, __u32 off, __u32 len,
				     struct tlsfp_hello *h)
{
	__u32 list_len;

	if (len < 2)
		return TLSFP_ERR_HELLO;
	list_len = buf_u16(buf, off);
	if (list_len + 2 > len)
		return TLSFP_ERR_HELLO;
	if (list_len > TLSFP_MAX_ALPN) {
		h->flags |= TLSFP_HELLO_F_ALPN_OVER;
		list_len = TLSFP_MAX_ALPN;
	}
	copy_bytes(buf, off + 2, list_len, h->alpn, TLSFP_MAX_ALPN);
	h->alpn_len = list_len;
	return TLSFP_OK;
}

/* ec_point_formats (RFC 8422 5.1.2): an 8-bit length, 8-bit formats. */
static __always_inline int read_point_formats(const __u8 *buf, __u32 off,
					      __u32 len, struct tlsfp_hello *h)
{
	__u32 n;

	if (len < 1)
		return TLSFP_ERR_HELLO;
	n = buf_u8(buf, off);
	if (n + 1 > len)
		return TLSFP_ERR_HELLO;
	copy_bytes(buf, off + 1, n, h->point_formats, TLSFP_MAX_POINT_FORMATS);
	h->nr_point_formats = n;
	if (n > TLSFP_MAX_POINT_FORMATS)
		h->flags |= TLSFP_HELLO_F_POINT_FORMATS_OVER;
	return TLSFP_OK;
}

/* Read the body of one extension that tlsfp keeps more than the type of. */
static __always_inline int read_ext(const __u8 *buf, __u32 type, __u32 off,
				    __u32 len, struct tlsfp_hello *h)
{
	int n;

	switch (type) {
	case TLSFP_EXT_SNI:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_SNI))
			return TLSFP_OK;
		return read_sni(buf, off, len, h);
	case TLSFP_EXT_ALPN:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_ALPN))
			return TLSFP_OK;
		return read_alpn(buf, off, len, h);
	case TLSFP_EXT_POINT_FORMATS:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_POINT_FORMATS))
			return TLSFP_OK;
		return read_point_formats(buf, off, len, h);
	case TLSFP_EXT_GROUPS:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_GROUPS))
			return TLSFP_OK;
		n = read_u16_list(buf, off, len, 1, h->groups,
				  TLSFP_MAX_GROUPS);
		if (n < 0)
			return TLSFP_ERR_HELLO;
		h->nr_groups = n;
		if (n > TLSFP_MAX_GROUPS)
			h->flags |= TLSFP_HELLO_F_GROUPS_OVER;
		return TLSFP_OK;
	case TLSFP_EXT_SIGALGS:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_SIGALGS))
			return TLSFP_OK;
		n = read_u16_list(buf, off, len, 1, h->sigalgs,
				  TLSFP_MAX_SIGALGS);
		if (n < 0)
			return TLSFP_ERR_HELLO;
		h->nr_sigalgs = n;
		if (n > TLSFP_MAX_SIGALGS)
			h->flags |= TLSFP_HELLO_F_SIGALGS_OVER;
		return TLSFP_OK;
	case TLSFP_EXT_VERSIONS:
		if (!first_seen(h, TLSFP_HELLO_F_HAS_VERSIONS))
			return TLSFP_OK;
		n = read_u16_list(buf, off, len, 0, h->versions,
				  TLSFP_MAX_VERSIONS);
		if (n < 0)
			return TLSFP_ERR_HELLO;
		h->nr_versions = n;
		if (n > TLSFP_MAX_VERSIONS)
			h->flags |= TLSFP_HELLO_F_VERSIONS_OVER;
		return TLSFP_OK;
	}
	return TLSFP_OK;
}

/*
 * One step of the walk over the extensions block: record the type and read
 * the extensions that tlsfp keeps.  Called through tlsfp_loop(), so the
 * verifier checks the body once however many extensions there are; all
 * per-extension state lives in the hello, none in the loop context, which
 * keeps the verifier's states after the loop few.
 */
static long walk_ext(__u32 i, void *arg)
{
	struct hello_ctx *x = arg;
	__u32 off = x->off, type, len, body;
	int err;

	if (off >= x->end)
		return 1;
	if (off + 4 > x->end) {
		x->err = TLSFP_ERR_HELLO;
		return 1;
	}
	type = buf_u16(x->buf, off);
	len = buf_u16(x->buf, off + 2);
	body = off + 4;
	if (body + len > x->end) {
		x->err = TLSFP_ERR_HELLO;
		return 1;
	}
	if (i < TLSFP_MAX_EXTS)
		x->h->exts[i & (TLSFP_MAX_EXTS - 1)] = type;
	x->h->nr_exts = i + 1;
	err = read_ext(x->buf, type, body, len, x->h);
	if (err) {
		x->err = err;
		return 1;
	}
	/*
	 * The mask changes nothing (body + len <= end <= TLSFP_BUF_SIZE) but
	 * gives the stored offset a fixed range, so that the verifier, which
	 * checks a callback until its state repeats (kernel 6.7 and later),
	 * sees the same state after a few rounds.
	 */
	x->off = (body + len) & 0xffff;
	return 0;
}

/*
 * Parse the body of a ClientHello handshake message (RFC 8446 4.1.2) that
 * occupies buf[off, end).  h must be zeroed by the caller.
 */
static __always_inline int parse_hello_body(const __u8 *buf, __u32 off,
					    __u32 end, struct tlsfp_hello *h)
{
	struct hello_ctx x = {};
	__u32 len, n, i;

	/* legacy_version (2), random (32), legacy_session_id<0..32> */
	if (off + 35 > end)
		return TLSFP_ERR_HELLO;
	h->legacy_version = buf_u16(buf, off);
	len = buf_u8(buf, off + 34);
	if (len > 32)
		return TLSFP_ERR_HELLO;
	off += 35 + len;

	/* cipher_suites<2..2^16-2> */
	if (off + 2 > end)
		return TLSFP_ERR_HELLO;
	len = buf_u16(buf, off);
	off += 2;
	if (off + len > end || (len & 1))
		return TLSFP_ERR_HELLO;
	n = len / 2;
	for (i = 0; i < TLSFP_MAX_CIPHERS; i++) {
		if (i >= n)
			break;
		h->ciphers[i] = buf_u16(buf, off + i * 2);
	}
	h->nr_ciphers = n;
	if (n > TLSFP_MAX_CIPHERS)
		h->flags |= TLSFP_HELLO_F_CIPHERS_OVER;
	off += len;

	/* legacy_compression_methods<1..2^8-1> */
	if (off + 1 > end)
		return TLSFP_ERR_HELLO;
	len = buf_u8(buf, off);
	off += 1 + len;
	if (off > end)
		return TLSFP_ERR_HELLO;

	/* Hellos before TLS 1.2 may end here, without extensions. */
	if (off == end)
		return TLSFP_OK;
	if (off + 2 > end)
		return TLSFP_ERR_HELLO;
	len = buf_u16(buf, off);
	off += 2;
	if (off + len != end)
		return TLSFP_ERR_HELLO;

	x.buf = buf;
	x.h = h;
	x.off = off;
	x.end = end;
	/* At most one extension per 4 bytes; the walk stops at the end. */
	tlsfp_loop(TLSFP_BUF_SIZE / 4, walk_ext, &x);
	if (x.err)
		return x.err;
	if (h->nr_exts > TLSFP_MAX_EXTS)
		h->flags |= TLSFP_HELLO_F_EXTS_OVER;
	return TLSFP_OK;
}

/*
 * Parse a ClientHello from the first len bytes of a TCP payload.  buf must
 * hold TLSFP_BUF_SIZE bytes on BPF; on the host it may hold just len.  The
 * hello must start the payload and lie in one record (TLSFP_INCOMPLETE
 * otherwise).  h must be zeroed by the caller.
 */
static __always_inline int tlsfp_parse_hello(const __u8 *buf, __u32 len,
					     struct tlsfp_hello *h)
{
	__u32 rec_len, hs_len;

	if (len > TLSFP_BUF_SIZE)
		len = TLSFP_BUF_SIZE;
	if (len < TLSFP_REC_HLEN + TLSFP_HS_HLEN)
		return len < TLSFP_REC_HLEN + 1 ? TLSFP_SKIP : TLSFP_INCOMPLETE;
	if (buf_u8(buf, 0) != TLSFP_REC_HANDSHAKE || buf_u8(buf, 1) != 3 ||
	    buf_u8(buf, 2) > 4 || buf_u8(buf, 5) != TLSFP_HS_CLIENT_HELLO)
		return TLSFP_SKIP;
	h->record_version = buf_u16(buf, 1);
	rec_len = buf_u16(buf, 3);
	if (rec_len == 0 || rec_len > TLSFP_REC_MAX)
		return TLSFP_ERR_RECORD;
	/* The handshake header itself continues in the next record. */
	if (rec_len < TLSFP_HS_HLEN)
		return TLSFP_INCOMPLETE;
	hs_len = (__u32)buf_u8(buf, 6) << 16 | buf_u16(buf, 7);
	h->hello_len = hs_len;
	/* A ClientHello cannot exceed 2^16 - 1 bytes of extensions and more. */
	if (hs_len > 0x20000)
		return TLSFP_ERR_HELLO;
	if (hs_len + TLSFP_HS_HLEN > rec_len)
		return TLSFP_INCOMPLETE;	/* continues in another record */
	if (TLSFP_REC_HLEN + TLSFP_HS_HLEN + hs_len > len)
		return TLSFP_INCOMPLETE;	/* continues in another segment */
	return parse_hello_body(buf, TLSFP_REC_HLEN + TLSFP_HS_HLEN,
				TLSFP_REC_HLEN + TLSFP_HS_HLEN + hs_len, h);
}

/*
 * Whether the first len bytes of a client stream (1 <= len <= 6) can be
 * the start of a TLS handshake record: a hello whose first segment is
 * shorter than its record header, or whose first record is shorter than a
 * handshake header, starts like this without tlsfp_is_hello_start().
 */
static __always_inline int tlsfp_may_start_handshake(const __u8 *p, __u32 len)
{
	if (p[0] != TLSFP_REC_HANDSHAKE)
		return 0;
	if (len >= 2 && p[1] != 3)
		return 0;
	if (len >= 3 && p[2] > 4)
		return 0;
	return 1;
}

/*
 * Whether a client stream starts like a request to an explicit proxy, after
 * which the ClientHello follows: HTTP CONNECT (RFC 9110 9.3.6), SOCKS 4
 * CONNECT or BIND, or a SOCKS 5 method greeting (RFC 1928 3).  p contains the
 * first len bytes of the stream, len >= 1.
 */
static __always_inline int tlsfp_is_proxy_preamble(const __u8 *p, __u32 len)
{
	if (len >= 6 && p[0] == 'C' && p[1] == 'O' && p[2] == 'N' &&
	    p[3] == 'N' && p[4] == 'E' && p[5] == 'C')
		return 1;
	if (len >= 2 && p[0] == 4 && (p[1] == 1 || p[1] == 2))
		return 1;
	/* Version 5, then 1 to 255 methods. */
	if (len >= 3 && p[0] == 5 && p[1] >= 1)
		return 1;
	return 0;
}

/*
 * Layout of a ClientHello in a client stream: for each TLS record that
 * carries part of it, the offset and length of that part.  hs_total is the
 * handshake message length with its 4-byte header.
 */
struct tlsfp_records {
	__u32 nr;
	__u32 hs_total;
	__u16 off[TLSFP_MAX_RECORDS];
	__u16 len[TLSFP_MAX_RECORDS];
	/*
	 * Cursor of tlsfp_defrag_hello().  It lives here, in memory the
	 * verifier does not track, and not in the loop context on the stack:
	 * there the verifier follows it as an exact value that changes every
	 * round, and checking the loop never converges.
	 */
	__u32 cur_rec;
	__u32 cur_pos;
};

struct record_ctx {
	const __u8 *buf;
	struct tlsfp_records *r;
	__u32 have;
	/* Bytes of the stream kept, at most TLSFP_BUF_SIZE. */
	__u32 limit;
	__u32 off;
	__u32 got;
	int status;
	__u8 hdr[4];
};

/* One record of the walk in tlsfp_find_hello(). */
static long walk_record(__u32 i, void *arg)
{
	struct record_ctx *x = arg;
	__u32 off = x->off, got = x->got, rlen, avail, use, need, k;
	const __u8 *buf = x->buf;

	if (i >= TLSFP_MAX_RECORDS) {
		x->status = TLSFP_TOO_LARGE;
		return 1;
	}
	if (off + TLSFP_REC_HLEN > x->have) {
		x->status = TLSFP_INCOMPLETE;
		return 1;
	}
	/* A hello continues in handshake records only (RFC 8446 5.1). */
	if (buf_u8(buf, off) != TLSFP_REC_HANDSHAKE || buf_u8(buf, off + 1) != 3 ||
	    buf_u8(buf, off + 2) > 4) {
		x->status = TLSFP_ERR_RECORD;
		return 1;
	}
	rlen = buf_u16(buf, off + 3);
	if (rlen == 0 || rlen > TLSFP_REC_MAX) {
		x->status = TLSFP_ERR_RECORD;
		return 1;
	}
	avail = x->have - off - TLSFP_REC_HLEN;
	if (avail > rlen)
		avail = rlen;

	/* The 4-byte handshake header may itself be split across records. */
	for (k = 0; k < TLSFP_HS_HLEN; k++) {
		if (got + k < TLSFP_HS_HLEN && k < avail)
			x->hdr[(got + k) & 3] =
				buf_u8(buf, off + TLSFP_REC_HLEN + k);
	}
	if (!x->r->hs_total && got + avail >= TLSFP_HS_HLEN) {
		if (x->hdr[0] != TLSFP_HS_CLIENT_HELLO) {
			x->status = TLSFP_ERR_RECORD;
			return 1;
		}
		x->r->hs_total = TLSFP_HS_HLEN +
				 ((__u32)x->hdr[1] << 16 | x->hdr[2] << 8 |
				  x->hdr[3]);
		/* As tlsfp_parse_hello() rejects a hello in one piece. */
		if (x->r->hs_total > TLSFP_HS_HLEN + 0x20000) {
			x->status = TLSFP_ERR_HELLO;
			return 1;
		}
		/* The hello must fit with one record header in the buffer. */
		if (x->r->hs_total + TLSFP_REC_HLEN > x->limit) {
			x->status = TLSFP_TOO_LARGE;
			return 1;
		}
	}
	/*
	 * The part of the hello this record carries must end in the buffer;
	 * with more record headers than one, a hello under the limit can
	 * still end past it, and its last bytes are never kept.
	 */
	need = rlen;
	if (x->r->hs_total && x->r->hs_total - got < need)
		need = x->r->hs_total - got;
	if (off + TLSFP_REC_HLEN + need > x->limit) {
		x->status = TLSFP_TOO_LARGE;
		return 1;
	}
	use = avail;
	if (x->r->hs_total && got + use > x->r->hs_total)
		use = x->r->hs_total - got;
	x->r->off[i & (TLSFP_MAX_RECORDS - 1)] = off + TLSFP_REC_HLEN;
	x->r->len[i & (TLSFP_MAX_RECORDS - 1)] = use;
	x->r->nr = i + 1;
	got += use;
	if (x->r->hs_total && got >= x->r->hs_total) {
		x->status = TLSFP_OK;
		return 1;
	}
	if (avail < rlen) {
		x->status = TLSFP_INCOMPLETE;
		return 1;
	}
	off += TLSFP_REC_HLEN + rlen;
	if (off >= x->limit) {
		x->status = TLSFP_TOO_LARGE;
		return 1;
	}
	/* Masks keep the stored state in a fixed range for the verifier. */
	x->off = off & 0xffff;
	x->got = got & 0xffff;
	return 0;
}

/*
 * Find the ClientHello that starts a client stream of which the bytes
 * buf[0, have) are present and of which at most limit bytes are kept (a
 * longer hello is TLSFP_TOO_LARGE).  Returns TLSFP_OK with r filled when
 * the whole hello is present, TLSFP_INCOMPLETE when more is needed, or an
 * error.  r must be zeroed by the caller.
 */
static __always_inline int tlsfp_find_hello(const __u8 *buf, __u32 have,
					    __u32 limit,
					    struct tlsfp_records *r)
{
	struct record_ctx x = {
		.buf = buf,
		.r = r,
		.have = have,
		.limit = limit,
		.status = TLSFP_INCOMPLETE,
	};

	if (x.limit > TLSFP_BUF_SIZE)
		x.limit = TLSFP_BUF_SIZE;
	if (have > x.limit)
		x.have = x.limit;
	tlsfp_loop(TLSFP_MAX_RECORDS + 1, walk_record, &x);
	return x.status;
}

struct defrag_ctx {
	const __u8 *src;
	__u8 *dst;
	struct tlsfp_records *r;
};

static long defrag_byte(__u32 i, void *arg)
{
	struct defrag_ctx *x = arg;
	struct tlsfp_records *r = x->r;
	__u32 rec = r->cur_rec, pos = r->cur_pos, idx;

	if (rec >= r->nr || rec >= TLSFP_MAX_RECORDS)
		return 1;
	idx = rec & (TLSFP_MAX_RECORDS - 1);
	x->dst[TLSFP_IDX(TLSFP_REC_HLEN + i)] = buf_u8(x->src, r->off[idx] + pos);
	pos++;
	if (pos >= r->len[idx]) {
		rec++;
		pos = 0;
	}
	r->cur_rec = rec;
	r->cur_pos = pos;
	return 0;
}

/*
 * Copy the hello found by tlsfp_find_hello() out of its records into dst
 * as one record, which tlsfp_parse_hello() reads.  Returns the length of
 * that record with its header.
 */
static __always_inline __u32 tlsfp_defrag_hello(const __u8 *src,
						struct tlsfp_records *r,
						__u8 *dst)
{
	struct defrag_ctx x = { .src = src, .dst = dst, .r = r };
	__u32 total = r->hs_total;

	r->cur_rec = 0;
	r->cur_pos = 0;
	dst[0] = TLSFP_REC_HANDSHAKE;
	dst[1] = buf_u8(src, 1);
	dst[2] = buf_u8(src, 2);
	dst[3] = total >> 8;
	dst[4] = total & 0xff;
	tlsfp_loop(total, defrag_byte, &x);
	return TLSFP_REC_HLEN + total;
}

#define TLSFP_HS_SERVER_HELLO	2

/* Whether a payload starts a handshake record carrying a ServerHello. */
static __always_inline int tlsfp_is_server_hello_start(const __u8 *p)
{
	return p[0] == TLSFP_REC_HANDSHAKE && p[1] == 3 && p[2] <= 4 &&
	       p[5] == TLSFP_HS_SERVER_HELLO;
}

/*
 * SHA-256 of "HelloRetryRequest", the random of an HRR (RFC 8446 4.1.3),
 * as four big-endian words.  Constants, not a static array: clang 14
 * writes wrong BTF for a static array in .rodata beside const volatile
 * variables, and the kernel rejects the object.
 */
#define TLSFP_HRR_RANDOM_0 0xcf21ad74e59a6111ULL
#define TLSFP_HRR_RANDOM_1 0xbe1d8c021e65b891ULL
#define TLSFP_HRR_RANDOM_2 0xc2a211167abb8c5eULL
#define TLSFP_HRR_RANDOM_3 0x079e09e2c8a8339cULL

static __always_inline __u64 buf_be64(const __u8 *buf, __u32 off)
{
	return (__u64)buf_u16(buf, off) << 48 |
	       (__u64)buf_u16(buf, off + 2) << 32 |
	       (__u64)buf_u16(buf, off + 4) << 16 | buf_u16(buf, off + 6);
}

struct server_ext_ctx {
	const __u8 *buf;
	struct tlsfp_server_hello *sh;
	__u32 off;
	__u32 end;
	int err;
};

/* One extension of a ServerHello; see walk_ext() for the loop's shape. */
static long walk_server_ext(__u32 i, void *arg)
{
	struct server_ext_ctx *x = arg;
	__u32 off = x->off, type, ext_len, ext_end;

	if (off >= x->end)
		return 1;
	if (off + 4 > x->end) {
		x->err = TLSFP_ERR_HELLO;
		return 1;
	}
	type = buf_u16(x->buf, off);
	ext_len = buf_u16(x->buf, off + 2);
	ext_end = off + 4 + ext_len;
	if (ext_end > x->end) {
		x->err = TLSFP_ERR_HELLO;
		return 1;
	}
	if (i < TLSFP_MAX_SERVER_EXTS)
		x->sh->exts[i & (TLSFP_MAX_SERVER_EXTS - 1)] = type;
	x->sh->nr_exts = i + 1;
	if (type == TLSFP_EXT_VERSIONS && ext_len == 2)
		x->sh->selected_version = buf_u16(x->buf, off + 4);
	x->off = ext_end & 0xffff;
	return 0;
}

/*
 * Parse a ServerHello (RFC 8446 4.1.3) at the start of buf[0, len).  Only
 * the ServerHello message must be whole: records of TLS 1.2 servers carry
 * the certificate after it, often past this segment.  sh must be zeroed by
 * the caller.
 */
static __always_inline int tlsfp_parse_server_hello(const __u8 *buf,
						    __u32 len,
						    struct tlsfp_server_hello *sh)
{
	struct server_ext_ctx x = {};
	__u32 off, end, hs_len, n;

	if (len > TLSFP_BUF_SIZE)
		len = TLSFP_BUF_SIZE;
	if (len < TLSFP_REC_HLEN + TLSFP_HS_HLEN ||
	    buf_u8(buf, 0) != TLSFP_REC_HANDSHAKE ||
	    buf_u8(buf, 5) != TLSFP_HS_SERVER_HELLO)
		return TLSFP_SKIP;
	hs_len = (__u32)buf_u8(buf, 6) << 16 | buf_u16(buf, 7);
	if (hs_len + TLSFP_HS_HLEN > buf_u16(buf, 3))
		return TLSFP_INCOMPLETE;
	off = TLSFP_REC_HLEN + TLSFP_HS_HLEN;
	end = off + hs_len;
	if (end > len)
		return TLSFP_INCOMPLETE;

	/* legacy_version, random, legacy_session_id_echo */
	if (off + 35 > end)
		return TLSFP_ERR_HELLO;
	sh->legacy_version = buf_u16(buf, off);
	sh->hrr = buf_be64(buf, off + 2) == TLSFP_HRR_RANDOM_0 &&
		  buf_be64(buf, off + 10) == TLSFP_HRR_RANDOM_1 &&
		  buf_be64(buf, off + 18) == TLSFP_HRR_RANDOM_2 &&
		  buf_be64(buf, off + 26) == TLSFP_HRR_RANDOM_3;
	n = buf_u8(buf, off + 34);
	if (n > 32)
		return TLSFP_ERR_HELLO;
	off += 35 + n;
	/* cipher_suite, legacy_compression_method */
	if (off + 3 > end)
		return TLSFP_ERR_HELLO;
	sh->cipher = buf_u16(buf, off);
	off += 3;
	if (off == end)
		return TLSFP_OK;
	if (off + 2 > end || off + 2 + buf_u16(buf, off) != end)
		return TLSFP_ERR_HELLO;
	off += 2;

	x.buf = buf;
	x.sh = sh;
	x.off = off;
	x.end = end;
	tlsfp_loop(TLSFP_BUF_SIZE / 4, walk_server_ext, &x);
	if (x.err)
		return x.err;
	/* More extensions than kept: JA3S would be wrong, so none. */
	if (sh->nr_exts > TLSFP_MAX_SERVER_EXTS)
		return TLSFP_ERR_HELLO;
	return TLSFP_OK;
}

#endif /* TLSFP_PARSE_H */
