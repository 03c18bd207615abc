// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test programs for bpf/md5.h and bpf/ja3_build.h, run by test_md5_kernel
 * through BPF_PROG_TEST_RUN.  The packet is a 14-byte dummy Ethernet header
 * (XDP test runs need one) followed by the input, which mode selects.
 */
#include "compat.h"
#include "ja3_build.h"
#include "md5.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TEST_HDR_LEN	14

enum md5_test_mode {
	/* The input is the message: hash it. */
	MD5_TEST_MESSAGE = 0,
	/* The input is a struct tlsfp_hello: build its JA3 string, hash it. */
	MD5_TEST_HELLO = 1,
};

/* Per-CPU working memory, as the datapath keeps it. */
struct md5_test_scratch {
	__u8 buf[TLSFP_JA3_BUF_SIZE];
	struct tlsfp_hello hello;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct md5_test_scratch);
} scratch SEC(".maps");

/* Set by the runner before each run: an enum md5_test_mode. */
__u32 mode;

/* Results of the last run. */
__u8 md5_digest[16];
int ja3_ret;
__u32 ja3_len;

/*
 * xdp.frags: inputs up to TLSFP_MD5_MAX_LEN bytes exceed the linear area
 * that BPF_PROG_TEST_RUN gives an XDP program, and bpf_xdp_load_bytes()
 * reads across fragments.
 */
SEC("xdp.frags")
int md5_xdp(struct xdp_md *ctx)
{
	struct md5_test_scratch *s;
	__u32 zero = 0, len, last;
	__u64 pkt_len;

	pkt_len = bpf_xdp_get_buff_len(ctx);
	if (pkt_len < TEST_HDR_LEN)
		return XDP_ABORTED;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return XDP_ABORTED;

	if (mode == MD5_TEST_HELLO) {
		if (bpf_xdp_load_bytes(ctx, TEST_HDR_LEN, &s->hello,
				       sizeof(s->hello)))
			return XDP_ABORTED;
		ja3_ret = tlsfp_ja3_build(&s->hello, s->buf, &len);
		if (ja3_ret)
			return XDP_PASS;
		ja3_len = len;
	} else {
		if (pkt_len - TEST_HDR_LEN > TLSFP_MD5_MAX_LEN)
			return XDP_ABORTED;
		len = pkt_len - TEST_HDR_LEN;
		if (len) {
			/* Rebuilt from len - 1, as load_bytes() in
			 * datapath.bpf.h does, for the verifier of Linux 6.1. */
			last = len - 1;
			asm volatile("" : "+r"(last));
			if (last >= TLSFP_MD5_MAX_LEN)
				return XDP_ABORTED;
			if (bpf_xdp_load_bytes(ctx, TEST_HDR_LEN, s->buf,
					       last + 1))
				return XDP_ABORTED;
		}
	}
	tlsfp_md5(s->buf, len, md5_digest);
	return XDP_PASS;
}

/* The cost of a test run itself, to subtract from md5_xdp's. */
SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
