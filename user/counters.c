// SPDX-License-Identifier: BSD-2-Clause
/* Datapath counters: summed over CPUs and printed at exit or on request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

/* Indexed by enum tlsfp_counter; keep both in the same order. */
static const struct {
	const char *name;
	const char *help;
} counter_info[TLSFP_CNT_MAX] = {
	[TLSFP_CNT_PACKETS] = { "packets", "packets seen" },
	[TLSFP_CNT_TCP_PAYLOAD] = { "tcp_payload",
				    "TCP segments with payload" },
	[TLSFP_CNT_HELLOS] = { "hellos", "ClientHellos parsed" },
	[TLSFP_CNT_HELLOS_NO_JA3] = { "hellos_no_ja3",
				      "ClientHellos with a list over its bound" },
	[TLSFP_CNT_REPEAT_HELLO] = { "repeat_hellos",
				     "later ClientHellos of a flow, ignored" },
	[TLSFP_CNT_ERR_L2] = { "err_l2", "truncated Ethernet or VLAN header" },
	[TLSFP_CNT_ERR_L3] = { "err_l3", "malformed IPv4 or IPv6 header" },
	[TLSFP_CNT_ERR_L4] = { "err_l4", "malformed TCP header" },
	[TLSFP_CNT_IP_FRAGMENT] = { "ip_fragments", "IP fragments, skipped" },
	[TLSFP_CNT_ERR_RECORD] = { "err_record", "invalid TLS record header" },
	[TLSFP_CNT_ERR_HELLO] = { "err_hello", "malformed ClientHello" },
	[TLSFP_CNT_INCOMPLETE] = { "incomplete",
				   "ClientHello not whole in one segment" },
	[TLSFP_CNT_LOAD_BYTES] = { "err_load_bytes",
				   "payload copy from the packet failed" },
	[TLSFP_CNT_RINGBUF_FULL] = { "ringbuf_full",
				     "events lost: ring buffer full" },
	[TLSFP_CNT_FLOW_INSERT] = { "err_flow_insert",
				    "flow map insert failed" },
	[TLSFP_CNT_SYN_TRACKED] = { "syn_tracked",
				    "client SYNs whose stream is followed" },
	[TLSFP_CNT_PREAMBLE] = { "proxy_preambles",
				 "streams starting with CONNECT or SOCKS" },
	[TLSFP_CNT_GIVEN_UP] = { "given_up",
				 "streams with no ClientHello in the look limit" },
	[TLSFP_CNT_PARTIAL_CREATED] = { "partial_created",
					"split ClientHellos started" },
	[TLSFP_CNT_SEGMENTS_BUFFERED] = { "segments_buffered",
					  "segments copied for reassembly" },
	[TLSFP_CNT_REASSEMBLED] = { "reassembled",
				    "ClientHellos completed by reassembly" },
	[TLSFP_CNT_OUT_OF_ORDER] = { "out_of_order",
				     "segments ahead of a gap" },
	[TLSFP_CNT_RETRANSMIT] = { "retransmits",
				   "segments with no new bytes" },
	[TLSFP_CNT_RANGES_FULL] = { "err_ranges_full",
				    "out-of-order ranges over the per-flow limit" },
	[TLSFP_CNT_TIMEOUT] = { "timeouts",
				"partial ClientHellos idle too long" },
	[TLSFP_CNT_FLOW_ENDED] = { "ended_partial",
				   "flows ended (FIN, RST) with a partial hello" },
	[TLSFP_CNT_TOO_LARGE] = { "too_large",
				  "ClientHellos over the per-flow byte limit" },
	[TLSFP_CNT_PARTIAL_DONE] = { "partial_done",
				     "partial hellos finished in the datapath" },
	[TLSFP_CNT_BLOCKED] = { "blocked", "ClientHellos on the blocklist, dropped" },
	[TLSFP_CNT_WOULD_BLOCK] = { "would_block",
				    "blocklist matches not dropped (--dry-run)" },
	[TLSFP_CNT_DROPPED] = { "dropped_later",
				"later packets of blocked flows, dropped" },
	[TLSFP_CNT_JA3_BUILD] = { "err_ja3_build",
				  "JA3 string not built in the datapath" },
	[TLSFP_CNT_SERVER_HELLOS] = { "server_hellos",
				      "first ServerHellos of reported flows" },
	[TLSFP_CNT_ERR_SERVER_HELLO] = { "err_server_hello",
					 "ServerHellos not parsed" },
	[TLSFP_CNT_LOADER_GONE] = { "passed_loader_gone",
				    "packets to drop passed: the loader stopped" },
};

const char *tlsfp_counter_name(unsigned int idx)
{
	return idx < TLSFP_CNT_MAX ? counter_info[idx].name : "unknown";
}

const char *tlsfp_counter_help(unsigned int idx)
{
	return idx < TLSFP_CNT_MAX && counter_info[idx].help ?
	       counter_info[idx].help : "";
}

/* Sum the per-CPU values of every counter, per direction and in all. */
int tlsfp_counters_read(int map_fd, struct tlsfp_counters *out)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned int dir, idx;
	uint64_t *vals;
	__u32 key;
	int cpu;

	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	for (key = 0; key < TLSFP_CNT_ENTRIES; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, vals)) {
			int err = -errno;

			free(vals);
			return err;
		}
		dir = key / TLSFP_CNT_MAX;
		idx = key % TLSFP_CNT_MAX;
		for (cpu = 0; cpu < ncpus; cpu++)
			out->dir[dir][idx] += vals[cpu];
		out->v[idx] += out->dir[dir][idx];
	}
	free(vals);
	return 0;
}

/* Print the counters, one per line; only the non-zero ones unless all. */
void tlsfp_counters_print(FILE *f, const struct tlsfp_counters *c, bool all)
{
	unsigned int i;

	for (i = 0; i < TLSFP_CNT_MAX; i++) {
		if (!all && !c->v[i])
			continue;
		fprintf(f, "  %-18s %12llu  %s\n",
			counter_info[i].name ?: "?",
			(unsigned long long)c->v[i],
			counter_info[i].help ?: "");
	}
}
