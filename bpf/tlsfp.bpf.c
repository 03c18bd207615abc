// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tlsfp datapath: find TLS ClientHellos in TCP traffic and report them. */
#include "compat.h"
#include "parse.h"
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Capture time of the packet being replayed by tlsfp -r, written by the
 * loader before each BPF_PROG_TEST_RUN; 0 when running live.
 */
__u64 replay_now_ns = 0;

#define HELLO_WORDS (sizeof(struct tlsfp_hello) / sizeof(__u64))

static long zero_word(__u32 i, void *arg)
{
	__u64 *words = *(__u64 **)arg;

	if (i >= HELLO_WORDS)
		return 1;
	words[i] = 0;
	return 0;
}

/*
 * Zero a hello in place.  clang 14 cannot expand a memset this large for
 * BPF, and a plain loop is turned back into one, so bpf_loop does it.
 */
static __always_inline void zero_hello(struct tlsfp_hello *h)
{
	__u64 *words = (__u64 *)h;

	bpf_loop(HELLO_WORDS, zero_word, &words, 0);
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline void count_status(int status)
{
	switch (status) {
	case TLSFP_ERR_L2:
		count(TLSFP_CNT_ERR_L2);
		break;
	case TLSFP_ERR_L3:
		count(TLSFP_CNT_ERR_L3);
		break;
	case TLSFP_ERR_L4:
		count(TLSFP_CNT_ERR_L4);
		break;
	case TLSFP_FRAGMENT:
		count(TLSFP_CNT_IP_FRAGMENT);
		break;
	case TLSFP_ERR_RECORD:
		count(TLSFP_CNT_ERR_RECORD);
		break;
	case TLSFP_ERR_HELLO:
		count(TLSFP_CNT_ERR_HELLO);
		break;
	case TLSFP_INCOMPLETE:
		count(TLSFP_CNT_INCOMPLETE);
		break;
	}
}

/*
 * Copy len bytes of the packet at off into buf.  The XDP and TC helpers
 * both handle data outside the linear area (XDP fragments, skb pages).
 */
static __always_inline long load_bytes(void *ctx, bool xdp, __u32 off,
				       void *buf, __u32 len)
{
	if (xdp)
		return bpf_xdp_load_bytes(ctx, off, buf, len);
	return bpf_skb_load_bytes(ctx, off, buf, len);
}

/*
 * Look for a ClientHello in one packet and, for the first one of a flow,
 * record it in the flows map and send it to the ring buffer.  Never decides
 * a verdict: the callers pass every packet.
 */
static __always_inline void handle_packet(void *ctx, bool xdp,
					  const __u8 *data, const __u8 *end,
					  __u32 ifindex, __u8 direction)
{
	struct tlsfp_pkt pkt = {};
	struct tlsfp_scratch *s;
	struct tlsfp_event *ev;
	__u8 head[TLSFP_REC_HLEN + 1];
	__u32 zero = 0, len;
	int err;

	count(TLSFP_CNT_PACKETS);
	err = tlsfp_parse_pkt(data, end, &pkt);
	if (err) {
		count_status(err);
		return;
	}
	if (!pkt.payload_len)
		return;
	count(TLSFP_CNT_TCP_PAYLOAD);

	/* Most payloads are not ClientHellos: decide on six bytes. */
	if (pkt.payload_len < sizeof(head))
		return;
	if (load_bytes(ctx, xdp, pkt.payload_off, head, sizeof(head))) {
		count(TLSFP_CNT_LOAD_BYTES);
		return;
	}
	if (!tlsfp_is_hello_start(head))
		return;

	/* Only the first ClientHello of a flow counts. */
	if (bpf_map_lookup_elem(&flows, &pkt.key)) {
		count(TLSFP_CNT_REPEAT_HELLO);
		return;
	}

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	len = pkt.payload_len;
	if (len > TLSFP_BUF_SIZE)
		len = TLSFP_BUF_SIZE;
	/*
	 * len >= sizeof(head) here, but clang drops a check it can prove, and
	 * the verifier wants to see len > 0 at the helper call.
	 */
	asm volatile("" : "+r"(len));
	if (len < 1)
		return;
	if (load_bytes(ctx, xdp, pkt.payload_off, s->buf, len)) {
		count(TLSFP_CNT_LOAD_BYTES);
		return;
	}

	ev = &s->ev;
	zero_hello(&ev->hello);
	err = tlsfp_parse_hello(s->buf, len, &ev->hello);
	if (err) {
		count_status(err);
		return;
	}

	ev->ts_ns = replay_now_ns ? replay_now_ns : bpf_ktime_get_ns();
	ev->key = pkt.key;
	ev->ifindex = ifindex;
	ev->direction = direction;
	count(TLSFP_CNT_HELLOS);
	if (ev->hello.flags & TLSFP_HELLO_F_NO_JA3)
		count(TLSFP_CNT_HELLOS_NO_JA3);
	if (bpf_map_update_elem(&flows, &pkt.key, ev, BPF_NOEXIST))
		count(TLSFP_CNT_FLOW_INSERT);
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), 0))
		count(TLSFP_CNT_RINGBUF_FULL);
}

/*
 * "xdp.frags": the program accepts multi-buffer frames, so attaching it
 * does not force a jumbo-MTU driver or veth to drop large frames.
 */
SEC("xdp.frags")
int tlsfp_xdp(struct xdp_md *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;

	handle_packet(ctx, true, data, end, ctx->ingress_ifindex,
		      TLSFP_DIR_INGRESS);
	return XDP_PASS;
}
