// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reference programs for bench_prog: empty XDP and TC programs, the floor
 * of a BPF_PROG_TEST_RUN, and the datapath's JA3 code (bpf/ja3_build.h,
 * bpf/md5.h) on its own.  The JA3 programs read their input from a map that
 * bench_prog fills before the runs, so that a run spends no time copying
 * it from the packet.
 */
#include "compat.h"
#include "ja3_build.h"
#include "md5.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* TC_ACT_UNSPEC (linux/pkt_cls.h), the verdict of tlsfp_tc. */
#define BENCH_TC_ACT_UNSPEC (-1)

struct bench_input {
	/* The JA3 string, then room for the MD5 padding. */
	__u8 buf[TLSFP_JA3_BUF_SIZE];
	struct tlsfp_hello hello;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_input);
} input SEC(".maps");

/* Length of the JA3 string in input.buf, for md5_xdp. */
__u32 ja3_len;
/* Results of the last run. */
__u8 digest[16];
int ja3_ret;

/* Same section as tlsfp_xdp, so that a test run sets up the same buffer. */
SEC("xdp.frags")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int empty_tc(struct __sk_buff *skb)
{
	return BENCH_TC_ACT_UNSPEC;
}

/* The MD5 of a JA3 string, as tlsfp_sub_ja3_md5() computes it. */
SEC("xdp")
int md5_xdp(struct xdp_md *ctx)
{
	struct bench_input *in;
	__u32 zero = 0;

	in = bpf_map_lookup_elem(&input, &zero);
	if (!in)
		return XDP_ABORTED;
	tlsfp_md5(in->buf, ja3_len, digest);
	return XDP_PASS;
}

/* The JA3 string of a parsed hello and its MD5: tlsfp_sub_ja3_md5(). */
SEC("xdp")
int ja3_md5_xdp(struct xdp_md *ctx)
{
	struct bench_input *in;
	__u32 zero = 0, len = 0;

	in = bpf_map_lookup_elem(&input, &zero);
	if (!in)
		return XDP_ABORTED;
	ja3_ret = tlsfp_ja3_build(&in->hello, in->buf, &len);
	if (ja3_ret)
		return XDP_PASS;
	tlsfp_md5(in->buf, len, digest);
	return XDP_PASS;
}
