/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Environment of parse.h, for the BPF target and for host
 * builds (unit tests, fuzzing).
 */
#ifndef TLSFP_COMPAT_H
#define TLSFP_COMPAT_H

#ifdef __BPF__

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define tlsfp_ntohs(x) bpf_ntohs(x)
#define tlsfp_loop(nr, fn, ctx) bpf_loop(nr, fn, ctx, 0)

/*
 * The parser indexes a per-CPU scratch buffer of TLSFP_BUF_SIZE bytes.  The
 * mask gives the verifier a constant bound on every index; the parser's own
 * length checks keep the index below the data length, so the mask never
 * changes a value that is read.
 */
#define TLSFP_IDX(off) ((off) & (TLSFP_BUF_SIZE - 1))

#else /* host */

#include <arpa/inet.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define tlsfp_ntohs(x) ntohs(x)

/*
 * No mask on the host: tests hand the parser a buffer of exactly the data
 * length, so AddressSanitizer reports any read past the end.
 */
#define TLSFP_IDX(off) (off)

static inline long tlsfp_loop(__u32 nr, long (*fn)(__u32, void *), void *ctx)
{
	__u32 i;

	for (i = 0; i < nr; i++) {
		if (fn(i, ctx))
			return i + 1;
	}
	return nr;
}

#endif /* __BPF__ */

#endif /* TLSFP_COMPAT_H */
