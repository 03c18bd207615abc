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
		      (const __u8 *)(long)ctx->data_end);
	return c.action == TLSFP_DROP ? XDP_DROP : XDP_PASS;
}
