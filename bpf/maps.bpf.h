/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps of the tlsfp datapath.  The loader resizes some before loading. */
#ifndef TLSFP_MAPS_BPF_H
#define TLSFP_MAPS_BPF_H

#include "compat.h"
#include "tlsfp.h"
#include "parse.h"

/*
 * Per-CPU working memory: too large for the 512-byte BPF stack.  part
 * doubles as the parse buffer and as the first value of a new partial
 * hello, which bpf_map_update_elem() copies into the partials map.
 */
struct tlsfp_scratch {
	struct tlsfp_partial part;
	struct tlsfp_records rec;
	struct tlsfp_event ev;
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

/* One tlsfp_event per ClientHello; size set by --ringbuf-size. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TLSFP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#endif /* TLSFP_MAPS_BPF_H */
