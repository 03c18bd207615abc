// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tlsfp entry points: find TLS ClientHellos in TCP traffic and report them.
 * A packet is dropped only when its flow's ClientHello matched the
 * blocklist; everything else, malformed packets included, passes.
 */
#include "compat.h"
#include "datapath.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * "xdp.frags": the program accepts multi-buffer frames, so attaching it
 * does not force a jumbo-MTU driver or veth to drop large frames.
 */
SEC("xdp.frags")
int tlsfp_xdp(struct xdp_md *ctx)
{
	struct tlsfp_ctx c = {
		.ctx = ctx,
		.ifindex = ctx->ingress_ifindex,
		.direction = TLSFP_DIR_INGRESS,
	};

	handle_packet(&c, true, (const __u8 *)(long)ctx->data,
		      (const __u8 *)(long)ctx->data_end,
		      bpf_xdp_get_buff_len(ctx));
	return packet_action(&c) == TLSFP_DROP ? XDP_DROP : XDP_PASS;
}

/* TC verdicts (linux/pkt_cls.h); the same values mean next, pass and drop
 * to tcx. */
#define TLSFP_TC_ACT_UNSPEC	(-1)
#define TLSFP_TC_ACT_SHOT	2

/* Bytes of headers read in place: Ethernet, two VLAN tags, IPv6 with
 * extension headers, TCP with options. */
#define TLSFP_LINEAR_HDR	256

/*
 * Read a 32-bit field of the __sk_buff context at its fixed offset.  clang
 * folds skb->data and skb->data_end into one pointer plus two offsets, and
 * the verifier rejects a context access through a modified pointer, so an
 * asm load does each access.  The result is 64-bit: a BPF load zero-extends,
 * where a cast in C would shift the packet pointer, which is forbidden.
 */
#define SKB_FIELD(skb, field)                                                 \
	({                                                                    \
		long __v;                                                     \
		asm volatile("%0 = *(u32 *)(%1 + %2)"                         \
			     : "=r"(__v)                                      \
			     : "r"(skb),                                      \
			       "i"(__builtin_offsetof(struct __sk_buff, field))); \
		__v;                                                          \
	})

/*
 * Egress: a host's own clients.  TC_ACT_UNSPEC lets the packet go on to
 * any later program, as if tlsfp were not there.
 */
SEC("tc")
int tlsfp_tc(struct __sk_buff *skb)
{
	struct tlsfp_ctx c = {
		.ctx = skb,
		.ifindex = skb->ifindex,
		.direction = TLSFP_DIR_EGRESS,
		/* 0 for a forwarded packet, which has no local socket. */
		.cookie = bpf_get_socket_cookie(skb),
	};
	__u32 want = skb->len < TLSFP_LINEAR_HDR ? skb->len : TLSFP_LINEAR_HDR;

	/* Headers are read in place, so they must be in the linear part. */
	if (SKB_FIELD(skb, data_end) - SKB_FIELD(skb, data) < want)
		bpf_skb_pull_data(skb, want);
	handle_packet(&c, false, (const __u8 *)(long)SKB_FIELD(skb, data),
		      (const __u8 *)(long)SKB_FIELD(skb, data_end), skb->len);
	return packet_action(&c) == TLSFP_DROP ? TLSFP_TC_ACT_SHOT :
						 TLSFP_TC_ACT_UNSPEC;
}

#define TLSFP_SOCK_STREAM 1

/*
 * Record who opens each TCP connection, for the egress program to name the
 * process behind a ClientHello.  connect() runs in the process's context;
 * the egress packet later runs in softirq or another task.
 */
static __always_inline void record_owner(struct bpf_sock_addr *ctx)
{
	struct tlsfp_owner o = {};
	struct task_struct *task;
	__u64 cookie;

	if (ctx->type != TLSFP_SOCK_STREAM)
		return;
	cookie = bpf_get_socket_cookie(ctx);
	o.pid = bpf_get_current_pid_tgid() >> 32;
	o.uid = (__u32)bpf_get_current_uid_gid();
	o.cgroup_id = bpf_get_current_cgroup_id();
	/*
	 * The process's name is its main thread's: the thread that calls
	 * connect() may have a name of its own ("Socket Thread").
	 */
	task = bpf_get_current_task_btf();
	if (bpf_probe_read_kernel_str(o.comm, sizeof(o.comm),
				      task->group_leader->comm) < 0)
		bpf_get_current_comm(o.comm, sizeof(o.comm));
	bpf_map_update_elem(&owners, &cookie, &o, BPF_ANY);
}

/* Returning 1 lets connect() go ahead unchanged. */
SEC("cgroup/connect4")
int tlsfp_connect4(struct bpf_sock_addr *ctx)
{
	record_owner(ctx);
	return 1;
}

SEC("cgroup/connect6")
int tlsfp_connect6(struct bpf_sock_addr *ctx)
{
	record_owner(ctx);
	return 1;
}
