/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps of the tlsfp datapath.  The loader resizes some before loading. */
#ifndef TLSFP_MAPS_BPF_H
#define TLSFP_MAPS_BPF_H

#include "compat.h"
#include "tlsfp.h"
#include "parse.h"
#include "ja3_build.h"

/*
 * Per-CPU working memory: too large for the 512-byte BPF stack.  part
 * doubles as the parse buffer and as the first value of a new partial
 * hello, which bpf_map_update_elem() copies into the partials map.
 */
struct tlsfp_ja3_buf {
	__u8 b[TLSFP_JA3_BUF_SIZE];
} __attribute__((aligned(8)));

struct tlsfp_scratch {
	struct tlsfp_partial part;
	struct tlsfp_records rec;
	struct tlsfp_event ev;
	struct tlsfp_ja3_buf ja3;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tlsfp_scratch);
} scratch SEC(".maps");

/* First ClientHello of each flow; max_entries set by --max-flows. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tlsfp_flow_key);
	__type(value, struct tlsfp_event);
} flows SEC(".maps");

/* ClientHellos being reassembled; max_entries set by --max-partial. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct tlsfp_flow_key);
	__type(value, struct tlsfp_partial);
} partials SEC(".maps");

/* Client streams seen from their SYN, until their first payload. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tlsfp_flow_key);
	__type(value, struct tlsfp_conn);
} conns SEC(".maps");

/*
 * Blocked JA3 hashes, in two sets: the loader fills the one not in use and
 * then switches block_active, so that a reload takes effect all at once.
 * max_entries set by --block-max.
 */
struct tlsfp_block_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tlsfp_block_key);
	__type(value, struct tlsfp_block_val);
};

struct tlsfp_block_map block_a SEC(".maps");
struct tlsfp_block_map block_b SEC(".maps");

/* Flows whose ClientHello matched: every later packet is dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tlsfp_flow_key);
	__type(value, __u64);
} blocked_flows SEC(".maps");

/*
 * Owner of each local TCP socket that connected while tlsfp ran, by socket
 * cookie; max_entries set by --max-flows.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct tlsfp_owner);
} owners SEC(".maps");

/* One tlsfp_event per ClientHello; size set by --ringbuf-size. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TLSFP_CNT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#endif /* TLSFP_MAPS_BPF_H */
