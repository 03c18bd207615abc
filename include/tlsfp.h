/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Structures shared by the BPF programs and the loader.  Every field has a
 * fixed width and every struct is padded explicitly, so that both sides see
 * the same layout whatever the compiler.
 */
#ifndef TLSFP_H
#define TLSFP_H

#ifdef __BPF__
/* vmlinux.h already defines the __u8 ... __u64 types. */
#else
#include <linux/types.h>
#endif

/*
 * Bounds of the lists kept from one ClientHello.  They are larger than any
 * real client sends (browsers offer about 20 cipher suites and 20
 * extensions); a longer list sets a TLSFP_HELLO_F_*_OVER flag instead of
 * being cut silently.
 */
#define TLSFP_MAX_CIPHERS	256
#define TLSFP_MAX_EXTS		64
#define TLSFP_MAX_GROUPS	64
#define TLSFP_MAX_POINT_FORMATS	16
#define TLSFP_MAX_SIGALGS	64
#define TLSFP_MAX_VERSIONS	16
/* RFC 6066 limits a host_name to 2^16 - 1 bytes, DNS to 253. */
#define TLSFP_MAX_SNI		255
/* Raw ALPN protocol_name_list: length-prefixed names, as on the wire. */
#define TLSFP_MAX_ALPN		128

/*
 * Bytes of a client's TCP stream kept for one ClientHello, record headers
 * included: the largest hello tlsfp fingerprints, from the first byte of
 * its first record.  Real hellos are below 2 KiB, post-quantum key shares
 * included.  A power of two, because the parser masks every index with
 * TLSFP_BUF_SIZE - 1 to give the verifier a constant bound.
 */
#define TLSFP_BUF_SIZE		8192
/*
 * Largest piece copied from a packet in one helper call.  Buffers have this
 * much room after TLSFP_BUF_SIZE, so that the verifier can check a copy of
 * up to TLSFP_COPY_CHUNK bytes at any offset below TLSFP_BUF_SIZE.
 */
#define TLSFP_COPY_CHUNK	2048
/* Out-of-order byte ranges remembered per partial hello. */
#define TLSFP_REASM_RANGES	8
/* TLS records that one reassembled ClientHello may span. */
#define TLSFP_MAX_RECORDS	32

/* Flags in tlsfp_hello.flags. */
enum {
	/* A list that JA3 uses was longer than its bound: no JA3. */
	TLSFP_HELLO_F_CIPHERS_OVER	= 1 << 0,
	TLSFP_HELLO_F_EXTS_OVER		= 1 << 1,
	TLSFP_HELLO_F_GROUPS_OVER	= 1 << 2,
	TLSFP_HELLO_F_POINT_FORMATS_OVER = 1 << 3,
	/* A list that JA3 does not use was cut; JA3 is still exact. */
	TLSFP_HELLO_F_SIGALGS_OVER	= 1 << 4,
	TLSFP_HELLO_F_VERSIONS_OVER	= 1 << 5,
	TLSFP_HELLO_F_SNI_OVER		= 1 << 6,
	TLSFP_HELLO_F_ALPN_OVER		= 1 << 7,
	/*
	 * Extensions present, for lists that may legitimately be empty.  The
	 * parser reads the first of repeated extensions (an invalid hello,
	 * RFC 8446 4.2) and skips the others.
	 */
	TLSFP_HELLO_F_HAS_SNI		= 1 << 8,
	TLSFP_HELLO_F_HAS_ALPN		= 1 << 9,
	TLSFP_HELLO_F_HAS_VERSIONS	= 1 << 10,
	TLSFP_HELLO_F_HAS_GROUPS	= 1 << 11,
	TLSFP_HELLO_F_HAS_POINT_FORMATS	= 1 << 12,
	TLSFP_HELLO_F_HAS_SIGALGS	= 1 << 13,
};

#define TLSFP_HELLO_F_NO_JA3                                                 \
	(TLSFP_HELLO_F_CIPHERS_OVER | TLSFP_HELLO_F_EXTS_OVER |               \
	 TLSFP_HELLO_F_GROUPS_OVER | TLSFP_HELLO_F_POINT_FORMATS_OVER)

/*
 * Fields of one ClientHello.  Values are in host byte order.  nr_* counts
 * every entry on the wire, so it can exceed the array; the arrays hold the
 * first TLSFP_MAX_* entries in wire order, GREASE included.
 */
struct tlsfp_hello {
	__u32 flags;
	/* Length of the handshake message body (ClientHello). */
	__u32 hello_len;
	__u16 record_version;
	__u16 legacy_version;
	__u16 nr_ciphers;
	__u16 nr_exts;
	__u16 nr_groups;
	__u16 nr_point_formats;
	__u16 nr_sigalgs;
	__u16 nr_versions;
	__u16 sni_len;
	__u16 alpn_len;
	__u16 ciphers[TLSFP_MAX_CIPHERS];
	__u16 exts[TLSFP_MAX_EXTS];
	__u16 groups[TLSFP_MAX_GROUPS];
	__u16 sigalgs[TLSFP_MAX_SIGALGS];
	__u16 versions[TLSFP_MAX_VERSIONS];
	__u8 point_formats[TLSFP_MAX_POINT_FORMATS];
	__u8 sni[TLSFP_MAX_SNI + 1];
	__u8 alpn[TLSFP_MAX_ALPN];
};

/* Values of tlsfp_flow_key.family: Linux's AF_INET and AF_INET6. */
#define TLSFP_AF_INET		2
#define TLSFP_AF_INET6		10

/*
 * A TCP flow as the client sends it.  IPv4 addresses take the first four
 * bytes of addr arrays and leave the rest zero.  Ports in host byte order.
 */
struct tlsfp_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 family;	/* TLSFP_AF_INET or TLSFP_AF_INET6 */
	__u8 pad[3];
};

/* Byte range [start, end) of a client stream, as offsets from its base. */
struct tlsfp_range {
	__u32 start;
	__u32 end;
};

/*
 * A ClientHello being reassembled from several TCP segments: the client's
 * stream from base_seq on, with the bytes in [0, have) all present and
 * further ranges that arrived out of order.
 */
struct tlsfp_partial {
	__u64 first_ns;
	__u64 last_ns;
	__u32 base_seq;
	__u32 have;
	__u32 ifindex;
	__u16 nr_segments;
	__u8 direction;
	__u8 out_of_order;
	/* Working flag of the range merge in the datapath. */
	__u32 merged;
	__u32 pad;
	struct tlsfp_range ranges[TLSFP_REASM_RANGES];
	__u8 buf[TLSFP_BUF_SIZE + TLSFP_COPY_CHUNK];
};

/* Client stream seen from its SYN on, before any ClientHello. */
struct tlsfp_conn {
	__u64 last_ns;
	/* Initial sequence number: stream offset 0 is isn + 1. */
	__u32 isn;
	__u32 state;
};

enum tlsfp_conn_state {
	/* SYN seen, no payload yet. */
	TLSFP_CONN_SYN = 1,
	/* The stream started with an HTTP CONNECT or SOCKS request. */
	TLSFP_CONN_PREAMBLE = 2,
};

enum tlsfp_direction {
	TLSFP_DIR_INGRESS = 0,
	TLSFP_DIR_EGRESS = 1,
};

/* Extension types kept from a ServerHello. */
#define TLSFP_MAX_SERVER_EXTS	32

/* Fields of a flow's first ServerHello, for JA3S. */
struct tlsfp_server_hello {
	__u16 legacy_version;
	__u16 cipher;
	/* supported_versions (RFC 8446 4.2.1), 0 if absent. */
	__u16 selected_version;
	__u16 nr_exts;
	__u16 exts[TLSFP_MAX_SERVER_EXTS];
	/* A HelloRetryRequest: a ServerHello with the RFC 8446 4.1.3 random. */
	__u8 hrr;
	__u8 pad[7];
};

#define TLSFP_COMM_LEN 16

/* Process that opened a local client's socket, recorded at connect(). */
struct tlsfp_owner {
	__u64 cgroup_id;
	/* Process (thread group) id and real user id. */
	__u32 pid;
	__u32 uid;
	char comm[TLSFP_COMM_LEN];
};

/* Ring buffer record, one per ClientHello. */
struct tlsfp_event {
	/* CLOCK_MONOTONIC, or the capture's time when replaying a file. */
	__u64 ts_ns;
	struct tlsfp_flow_key key;
	__u32 ifindex;
	__u8 direction;
	__u8 pad;
	/* TCP segments that carried the hello. */
	__u16 nr_segments;
	__u32 ev_flags;
	/* enum tlsfp_verdict, and the matching block map value's id. */
	__u32 verdict;
	__u32 block_id;
	__u32 pad2;
	/* JA3 MD5 computed by the datapath, with TLSFP_EV_KERNEL_MD5. */
	__u8 ja3_md5[16];
	/* With TLSFP_EV_OWNER: the local process that sent the hello. */
	struct tlsfp_owner owner;
	/* With TLSFP_EV_SERVER_HELLO: the server's reply; hello is zero. */
	struct tlsfp_server_hello server;
	struct tlsfp_hello hello;
};

enum tlsfp_verdict {
	TLSFP_ALLOWED = 0,
	TLSFP_BLOCKED = 1,
	/* A match with --dry-run: reported, not dropped. */
	TLSFP_WOULD_BLOCK = 2,
};

/* Key of the block maps: a JA3 MD5 digest. */
struct tlsfp_block_key {
	__u8 md5[16];
};

struct tlsfp_block_val {
	/* Index of the entry in the loader's list, for its reason. */
	__u32 id;
	__u32 pad;
	/* ClientHellos that matched, added to atomically. */
	__u64 hits;
};

/* Flags in tlsfp_event.ev_flags. */
enum {
	/* The hello spanned several TCP segments or TLS records. */
	TLSFP_EV_REASSEMBLED	= 1 << 0,
	/* Segments arrived out of order. */
	TLSFP_EV_OUT_OF_ORDER	= 1 << 1,
	/*
	 * No fingerprint: the flow ended or idled out before its hello was
	 * whole, or the hello is larger than TLSFP_BUF_SIZE.  The hello
	 * fields are zero.
	 */
	TLSFP_EV_TRUNCATED	= 1 << 2,
	TLSFP_EV_TOO_LARGE	= 1 << 3,
	/* ja3_md5 contains the datapath's MD5 of the JA3 string. */
	TLSFP_EV_KERNEL_MD5	= 1 << 4,
	/* Seen on egress from a socket whose connect() tlsfp recorded. */
	TLSFP_EV_OWNER		= 1 << 5,
	/*
	 * The event is the flow's first ServerHello, keyed by the client's
	 * flow; in the flows map, the flag marks a flow whose ServerHello
	 * was reported.
	 */
	TLSFP_EV_SERVER_HELLO	= 1 << 6,
};

/*
 * Per-CPU counters, indexed by this enum.  Keep tlsfp_counter_names in
 * user/counters.c in the same order.
 */
enum tlsfp_counter {
	TLSFP_CNT_PACKETS,
	TLSFP_CNT_TCP_PAYLOAD,
	TLSFP_CNT_HELLOS,
	TLSFP_CNT_HELLOS_NO_JA3,
	TLSFP_CNT_REPEAT_HELLO,
	TLSFP_CNT_ERR_L2,
	TLSFP_CNT_ERR_L3,
	TLSFP_CNT_ERR_L4,
	TLSFP_CNT_IP_FRAGMENT,
	TLSFP_CNT_ERR_RECORD,
	TLSFP_CNT_ERR_HELLO,
	TLSFP_CNT_INCOMPLETE,
	TLSFP_CNT_LOAD_BYTES,
	TLSFP_CNT_RINGBUF_FULL,
	TLSFP_CNT_FLOW_INSERT,
	TLSFP_CNT_SYN_TRACKED,
	TLSFP_CNT_PREAMBLE,
	TLSFP_CNT_GIVEN_UP,
	TLSFP_CNT_PARTIAL_CREATED,
	TLSFP_CNT_SEGMENTS_BUFFERED,
	TLSFP_CNT_REASSEMBLED,
	TLSFP_CNT_OUT_OF_ORDER,
	TLSFP_CNT_RETRANSMIT,
	TLSFP_CNT_RANGES_FULL,
	TLSFP_CNT_TIMEOUT,
	TLSFP_CNT_FLOW_ENDED,
	TLSFP_CNT_TOO_LARGE,
	/* Partial hellos removed by the datapath, for any reason. */
	TLSFP_CNT_PARTIAL_DONE,
	TLSFP_CNT_BLOCKED,
	TLSFP_CNT_WOULD_BLOCK,
	TLSFP_CNT_DROPPED,
	TLSFP_CNT_JA3_BUILD,
	TLSFP_CNT_SERVER_HELLOS,
	TLSFP_CNT_ERR_SERVER_HELLO,
	/* Drops turned into passes: the loader stopped (packet_action()). */
	TLSFP_CNT_LOADER_GONE,
	TLSFP_CNT_MAX,
};

/*
 * Entries of the counters map: TLSFP_CNT_MAX for the XDP program, then
 * TLSFP_CNT_MAX for the egress program, so that each counter is known per
 * direction (tlsfp_direction * TLSFP_CNT_MAX + counter).
 */
#define TLSFP_CNT_ENTRIES	(2 * TLSFP_CNT_MAX)

#endif /* TLSFP_H */
