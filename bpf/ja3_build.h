/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * JA3 string of a parsed ClientHello, written into a scratch buffer by the
 * BPF programs and by the host unit tests.  The bytes are those of
 * tlsfp_ja3_string() in user/ja3.c: legacy_version, cipher suites,
 * extension types, supported groups and EC point formats, in wire order and
 * decimal, values joined by '-' and fields by ','.  GREASE values (RFC 8701)
 * are left out of the first three lists, and an absent list is an empty
 * field.
 */
#ifndef TLSFP_BPF_JA3_H
#define TLSFP_BPF_JA3_H

#include "compat.h"
#include "tlsfp.h"

/*
 * Maximum JA3 length, 2373 bytes, reached with every list at its bound and
 * the widest values.  The version and each 16-bit value take 6 bytes with
 * the separator after them ("65535," or "65535-"), each point format 4
 * ("255-"), and the last point format has no separator.
 */
#define TLSFP_JA3_MAX_LEN                                                     \
	(6 * (1 + TLSFP_MAX_CIPHERS + TLSFP_MAX_EXTS + TLSFP_MAX_GROUPS) +     \
	 4 * TLSFP_MAX_POINT_FORMATS - 1)

/*
 * Size of the scratch buffer for the JA3 string and its MD5 padding
 * (md5.h checks that both fit).  A power of two, because BPF builds mask
 * every index with TLSFP_JA3_BUF_SIZE - 1 to give the verifier a constant
 * bound.
 */
#define TLSFP_JA3_BUF_SIZE	4096

/* Bytes after the string that tlsfp_ja3_build() may overwrite. */
#define TLSFP_JA3_TAIL		4

_Static_assert((TLSFP_JA3_BUF_SIZE & (TLSFP_JA3_BUF_SIZE - 1)) == 0,
	       "TLSFP_JA3_BUF_SIZE must be a power of two");
_Static_assert(TLSFP_JA3_MAX_LEN + TLSFP_JA3_TAIL <= TLSFP_JA3_BUF_SIZE,
	       "TLSFP_JA3_BUF_SIZE has no room for the longest JA3 string");
/* List indexes are masked with TLSFP_MAX_* - 1 on BPF. */
_Static_assert((TLSFP_MAX_CIPHERS & (TLSFP_MAX_CIPHERS - 1)) == 0 &&
	       (TLSFP_MAX_EXTS & (TLSFP_MAX_EXTS - 1)) == 0 &&
	       (TLSFP_MAX_GROUPS & (TLSFP_MAX_GROUPS - 1)) == 0 &&
	       (TLSFP_MAX_POINT_FORMATS & (TLSFP_MAX_POINT_FORMATS - 1)) == 0,
	       "TLSFP_MAX_* list bounds must be powers of two");
/* TLSFP_JA3_OFF shifts by the entry index >> 16. */
_Static_assert(TLSFP_MAX_CIPHERS < 65536 && TLSFP_MAX_EXTS < 65536 &&
	       TLSFP_MAX_GROUPS < 65536 && TLSFP_MAX_POINT_FORMATS < 65536,
	       "TLSFP_MAX_* list bounds must stay below 2^16");

#ifdef __BPF__
/*
 * The masks change no value, because tlsfp_ja3_build() rejects counts above
 * the list bounds and the string with its tail ends inside the buffer.
 * They give the verifier a constant bound on each index.
 */
#define TLSFP_JA3_IDX(off) ((off) & (TLSFP_JA3_BUF_SIZE - 1))
#define TLSFP_JA3_LIST_IDX(i, max) ((i) & ((max) - 1))
/*
 * Offset stored back into the loop context by entry i.  The verifier
 * (kernel 6.7 and later) checks a callback until its state repeats, so the
 * stored offset must have one range in every round.  A mask alone keeps
 * the bound of the previous offset plus 1 to 6, which grows each round:
 * on kernel 6.18 the walk hit the 1M instruction limit.  A shift by a
 * register, not a constant, makes the verifier drop the bound, and the
 * mask then sets it to the buffer.  The shift is by zero at runtime,
 * because lists have fewer than 2^16 entries.
 */
#define TLSFP_JA3_OFF(off, i)                                                 \
	(((off) >> ((i) >> 16)) & (TLSFP_JA3_BUF_SIZE - 1))
#else
/* Unmasked on the host, so that the sanitizers report a bad index. */
#define TLSFP_JA3_IDX(off) (off)
#define TLSFP_JA3_LIST_IDX(i, max) (i)
#define TLSFP_JA3_OFF(off, i) (off)
#endif

enum ja3_list {
	JA3_CIPHERS,
	JA3_EXTS,
	JA3_GROUPS,
	JA3_POINT_FORMATS,
};

/* State of the JA3 writer, shared with the tlsfp_loop() callback. */
struct ja3_ctx {
	const struct tlsfp_hello *h;
	__u8 *out;
	__u32 list;	/* enum ja3_list being written */
	__u32 start;	/* offset of the list's first value in out */
	__u32 off;	/* offset of the next byte to write */
	__u32 pad;
};

/* RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ... 0xfafa. */
static __always_inline int is_grease(__u32 v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Compute v / 10 for v < 81920 by multiplication, faster than BPF's div. */
static __always_inline __u32 div10(__u32 v)
{
	return (v * 52429) >> 19;
}

/*
 * Write v (at most 65535) in decimal at out[off].  Returns the offset after
 * the last digit.  Always writes 5 bytes: the digits, then zero bytes up to
 * TLSFP_JA3_TAIL, which the next write or the MD5 padding replaces.
 *
 * No branch depends on v, so the CPU has none to mispredict as the digit
 * count changes from value to value, and the verifier walks one path.
 */
static __always_inline __u32 put_ja3_dec(__u8 *out, __u32 off, __u32 v)
{
	__u32 q1 = div10(v), q2 = div10(q1), q3 = div10(q2), q4 = div10(q3);
	__u32 nr_digits, i;
	__u64 digits;

	/* 1 plus one for each of v >= 10, 100, 1000, 10000 (v < 2^16). */
	nr_digits = 1 + ((v + 65536 - 10) >> 16) + ((v + 65536 - 100) >> 16) +
		    ((v + 65536 - 1000) >> 16) + ((v + 65536 - 10000) >> 16);

	/* Five ASCII digits, most significant in the lowest byte. */
	digits = (__u64)q4 | (__u64)(q3 - q4 * 10) << 8 |
		 (__u64)(q2 - q3 * 10) << 16 | (__u64)(q1 - q2 * 10) << 24 |
		 (__u64)(v - q1 * 10) << 32;
	digits += 0x3030303030ULL;
	/* Drop the leading zeros, which shifts zero bytes in at the end. */
	digits >>= (5 - nr_digits) * 8;

#ifdef __BPF__
#pragma unroll
#endif
	for (i = 0; i < 5; i++)
		out[TLSFP_JA3_IDX(off + i)] = digits >> (i * 8);
	return off + nr_digits;
}

/*
 * Write entry i of the current list, preceded by '-' unless it is the
 * first written.  Called through tlsfp_loop(), so the verifier checks the
 * body once per list rather than once per entry.
 */
static long put_ja3_value(__u32 i, void *arg)
{
	struct ja3_ctx *x = arg;
	const struct tlsfp_hello *h = x->h;
	__u32 off = x->off, v;

	switch (x->list) {
	case JA3_CIPHERS:
		v = h->ciphers[TLSFP_JA3_LIST_IDX(i, TLSFP_MAX_CIPHERS)];
		break;
	case JA3_EXTS:
		v = h->exts[TLSFP_JA3_LIST_IDX(i, TLSFP_MAX_EXTS)];
		break;
	case JA3_GROUPS:
		v = h->groups[TLSFP_JA3_LIST_IDX(i, TLSFP_MAX_GROUPS)];
		break;
	default:
		v = h->point_formats[TLSFP_JA3_LIST_IDX(
			i, TLSFP_MAX_POINT_FORMATS)];
		break;
	}
	/* Point formats are 8-bit and cannot be GREASE. */
	if (x->list != JA3_POINT_FORMATS && is_grease(v))
		return 0;

	if (off != x->start) {
		x->out[TLSFP_JA3_IDX(off)] = '-';
		off++;
	}
	off = put_ja3_dec(x->out, off, v);
	x->off = TLSFP_JA3_OFF(off, i);
	return 0;
}

/* Write ',' and then the nr entries of one list. */
static __always_inline void put_ja3_list(struct ja3_ctx *x, __u32 list,
					 __u32 nr)
{
	x->out[TLSFP_JA3_IDX(x->off)] = ',';
	x->off++;
	x->list = list;
	x->start = x->off;
	tlsfp_loop(nr, put_ja3_value, x);
}

/*
 * Write the JA3 string of h into out, a buffer of TLSFP_JA3_BUF_SIZE bytes
 * (per-CPU scratch on BPF), and its length into *len.  The string is not
 * NUL-terminated, and up to TLSFP_JA3_TAIL bytes after it are overwritten
 * with zeros.  Returns 0, or -1 if h has no JA3: a list that JA3 uses
 * was longer than its TLSFP_MAX_* bound (TLSFP_HELLO_F_NO_JA3 set, or a
 * count above the bound from a hello built elsewhere).
 */
static __always_inline int tlsfp_ja3_build(const struct tlsfp_hello *h,
					   __u8 *out, __u32 *len)
{
	struct ja3_ctx x = { .h = h, .out = out };

	if (h->flags & TLSFP_HELLO_F_NO_JA3)
		return -1;
	if (h->nr_ciphers > TLSFP_MAX_CIPHERS || h->nr_exts > TLSFP_MAX_EXTS ||
	    h->nr_groups > TLSFP_MAX_GROUPS ||
	    h->nr_point_formats > TLSFP_MAX_POINT_FORMATS)
		return -1;

	x.off = put_ja3_dec(out, 0, h->legacy_version);
	put_ja3_list(&x, JA3_CIPHERS, h->nr_ciphers);
	put_ja3_list(&x, JA3_EXTS, h->nr_exts);
	put_ja3_list(&x, JA3_GROUPS, h->nr_groups);
	put_ja3_list(&x, JA3_POINT_FORMATS, h->nr_point_formats);
	*len = x.off;
	return 0;
}

#endif /* TLSFP_BPF_JA3_H */
