/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-packet work shared by the XDP and TC programs: find the first
 * ClientHello of each client stream, reassembling it when it spans several
 * TCP segments or TLS records, and report it.  The only verdict taken
 * here is a drop, for a flow whose ClientHello matched the blocklist.
 */
#ifndef TLSFP_DATAPATH_BPF_H
#define TLSFP_DATAPATH_BPF_H

#include "compat.h"
#include "parse.h"
#include "maps.bpf.h"
#include "md5.h"

/* Load-time settings, written by the loader through the skeleton. */
/* A partial hello idle this long is given up and reported truncated. */
const volatile __u64 reasm_timeout_ns = 10ULL * 1000000000;
/*
 * Bytes of a client stream kept for one ClientHello, record headers
 * included (--hello-max); a longer hello is reported too large.  At most
 * TLSFP_BUF_SIZE, the size of the buffers, which is set at build time.
 */
const volatile __u32 hello_max = TLSFP_BUF_SIZE;
/* Stream bytes after a SYN in which a ClientHello may start. */
const volatile __u32 look_limit = 16384;

/* --dry-run: report blocklist matches, drop nothing. */
const volatile bool dry_run = false;

/*
 * tlsfp -r: replay is set, and replay_now_ns is the capture time of the
 * packet, written by the loader before each BPF_PROG_TEST_RUN.  A capture
 * time may be 0, so it cannot mark live mode itself.
 */
__u32 replay = 0;
__u64 replay_now_ns = 0;

/* Block set in use: 0 for block_a, 1 for block_b; set by the loader. */
__u32 block_active = 0;
/* Entries in the active block set; no MD5 lookup when 0. */
__u32 block_entries = 0;
/* Flows blocked so far: the per-packet lookup is skipped while 0. */
__u64 nr_blocked_flows = 0;

/*
 * Liveness of the loader: it writes the time (bpf_ktime_get_ns) into
 * loader_heartbeat_ns on every pass of its event loop, and the datapath
 * drops nothing once that time is older than heartbeat_timeout_ns (0: no
 * check, as under -r).  A BPF link detaches with its loader, but a clsact
 * filter, the egress fallback before Linux 6.6, outlives a killed loader:
 * this is what makes such a filter pass all traffic.
 */
__u64 loader_heartbeat_ns = 0;
const volatile __u64 heartbeat_timeout_ns = 0;

enum tlsfp_action {
	TLSFP_PASS = 0,
	TLSFP_DROP = 1,
};

/* State of one packet, passed from an entry point to the shared code. */
struct tlsfp_ctx {
	void *ctx;
	__u32 ifindex;
	__u8 direction;
	/* enum tlsfp_action for this packet, read by the entry point. */
	int action;
	/* Time of the packet, read on first use by now_ns(). */
	/* Socket cookie of an egress packet, 0 if it has no local socket. */
	__u64 cookie;
	__u64 now;
	struct tlsfp_pkt pkt;
	struct tlsfp_scratch *s;
};

/* The packet's time, read once and only when something needs it. */
static __always_inline __u64 now_ns(struct tlsfp_ctx *c)
{
	if (!c->now)
		c->now = replay ? replay_now_ns : bpf_ktime_get_ns();
	return c->now;
}

/* Count one event of the hook running: see TLSFP_CNT_ENTRIES. */
static __always_inline void count(const struct tlsfp_ctx *c, __u32 idx)
{
	__u32 key = c->direction == TLSFP_DIR_EGRESS ? idx + TLSFP_CNT_MAX :
						       idx;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (v)
		*v += 1;
}

static __always_inline void count_status(struct tlsfp_ctx *c, int status)
{
	switch (status) {
	case TLSFP_ERR_L2:
		count(c, TLSFP_CNT_ERR_L2);
		break;
	case TLSFP_ERR_L3:
		count(c, TLSFP_CNT_ERR_L3);
		break;
	case TLSFP_ERR_L4:
		count(c, TLSFP_CNT_ERR_L4);
		break;
	case TLSFP_FRAGMENT:
		count(c, TLSFP_CNT_IP_FRAGMENT);
		break;
	case TLSFP_ERR_RECORD:
		count(c, TLSFP_CNT_ERR_RECORD);
		break;
	case TLSFP_ERR_HELLO:
		count(c, TLSFP_CNT_ERR_HELLO);
		break;
	case TLSFP_INCOMPLETE:
		count(c, TLSFP_CNT_INCOMPLETE);
		break;
	case TLSFP_TOO_LARGE:
		count(c, TLSFP_CNT_TOO_LARGE);
		break;
	}
}

/*
 * Reset a hello before parsing into it: its counts, lengths and flags.
 * Array entries past the counts keep bytes of an earlier hello parsed on
 * this CPU; every reader stops at the counts.  Zeroing the whole 1.4 KiB
 * took about 18% of a hello's cost.
 */
static __always_inline void reset_hello(struct tlsfp_hello *h)
{
	__builtin_memset(h, 0, __builtin_offsetof(struct tlsfp_hello, ciphers));
}

/*
 * The parser, the record walk and the defragmentation run as global BPF
 * functions: the verifier checks a global function once, on its own, where
 * an inlined or static one is checked again at every call site and with
 * every caller state, which took the program past the verifier's 1M
 * instruction limit.  Pointer arguments are sized by their struct type, so
 * buffers are passed as struct tlsfp_bytes.
 */
struct tlsfp_bytes {
	__u8 b[TLSFP_BUF_SIZE + TLSFP_COPY_CHUNK];
};

__noinline int tlsfp_sub_parse(struct tlsfp_bytes *buf, __u32 len,
			       struct tlsfp_hello *h)
{
	if (!buf || !h)
		return TLSFP_ERR_HELLO;
	reset_hello(h);
	return tlsfp_parse_hello(buf->b, len, h);
}

__noinline int tlsfp_sub_find(struct tlsfp_bytes *buf, __u32 have,
			      struct tlsfp_records *r)
{
	if (!buf || !r)
		return TLSFP_ERR_RECORD;
	__builtin_memset(r, 0, sizeof(*r));
	return tlsfp_find_hello(buf->b, have, hello_max, r);
}

__noinline int tlsfp_sub_defrag(struct tlsfp_bytes *src,
				struct tlsfp_records *r,
				struct tlsfp_bytes *dst)
{
	if (!src || !r || !dst)
		return 0;
	return tlsfp_defrag_hello(src->b, r, dst->b);
}

struct tlsfp_digest {
	__u8 b[16];
};

/* JA3 string of h and its MD5; non-zero if the hello has no JA3. */
__noinline int tlsfp_sub_ja3_md5(struct tlsfp_hello *h,
				 struct tlsfp_ja3_buf *buf,
				 struct tlsfp_digest *out)
{
	__u32 len = 0;

	if (!h || !buf || !out)
		return -1;
	if (tlsfp_ja3_build(h, buf->b, &len))
		return -1;
	tlsfp_md5(buf->b, len, out->b);
	return 0;
}

__noinline int tlsfp_sub_server(struct tlsfp_bytes *buf, __u32 len,
				struct tlsfp_server_hello *sh)
{
	if (!buf || !sh)
		return TLSFP_ERR_HELLO;
	__builtin_memset(sh, 0, sizeof(*sh));
	return tlsfp_parse_server_hello(buf->b, len, sh);
}

/*
 * Wake the loader only once this much is waiting in the ring buffer: a
 * wakeup per event cost about 5.5 us here.  The loader also polls every
 * 100 ms, which bounds the delay of a lone event.
 */
#define TLSFP_WAKEUP_BYTES (64 * 1024)

static __always_inline __u64 ringbuf_flags(void)
{
	__u64 avail;

	/* A replay reads the ring after every packet itself. */
	if (replay)
		return BPF_RB_NO_WAKEUP;
	/*
	 * Wake once, as the backlog crosses the threshold: a wakeup for every
	 * event past it cost more than the wakeups it replaced.
	 */
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail >= TLSFP_WAKEUP_BYTES &&
	    avail < TLSFP_WAKEUP_BYTES + sizeof(struct tlsfp_event))
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/*
 * Copy len bytes of the packet at off into buf, which has room for max
 * bytes.  Returns -1 unless 1 <= len <= max.  The XDP and TC helpers both
 * handle data outside the linear area (XDP fragments, skb pages).
 *
 * The bound is checked on len - 1, and len is then rebuilt from it.
 * clang turns "len < 1" into a "len != 0" test, after which the verifier
 * of Linux 6.1 keeps a minimum of 0, so it rejects the helper call as a
 * possible zero-size access.  The barrier keeps clang from
 * replacing the rebuilt len with the original register.
 *
 * xdp is a constant at every call, passed down from the entry point as an
 * argument rather than in struct tlsfp_ctx: that struct's address reaches
 * helper calls, so clang would reload the flag and keep both helper calls,
 * and the verifier rejects the one the program type does not allow.
 */
static __always_inline long load_bytes(struct tlsfp_ctx *c, const bool xdp,
				       __u32 off, void *buf, __u32 len,
				       const __u32 max)
{
	__u32 last = len - 1;

	asm volatile("" : "+r"(last));
	if (last >= max)
		return -1;
	len = last + 1;
	if (xdp)
		return bpf_xdp_load_bytes(c->ctx, off, buf, len);
	return bpf_skb_load_bytes(c->ctx, off, buf, len);
}

/* The process that opened the socket, if its connect() was recorded. */
static __always_inline void set_owner(struct tlsfp_ctx *c,
				      struct tlsfp_event *ev)
{
	struct tlsfp_owner *o;

	if (!c->cookie)
		return;
	o = bpf_map_lookup_elem(&owners, &c->cookie);
	if (!o)
		return;
	ev->owner = *o;
	ev->ev_flags |= TLSFP_EV_OWNER;
}

/*
 * Compute the JA3 MD5 of the hello in ev and look it up in the active
 * block set.  On a match the packet that completed the hello is dropped,
 * and the flow is remembered so that its later packets are dropped too.
 */
static __always_inline void judge(struct tlsfp_ctx *c, struct tlsfp_event *ev)
{
	struct tlsfp_block_val *val;
	__u64 now = now_ns(c);

	if (ev->hello.flags & TLSFP_HELLO_F_NO_JA3)
		return;
	if (tlsfp_sub_ja3_md5(&ev->hello, &c->s->ja3,
			      (struct tlsfp_digest *)ev->ja3_md5)) {
		count(c, TLSFP_CNT_JA3_BUILD);
		return;
	}
	ev->ev_flags |= TLSFP_EV_KERNEL_MD5;
	if (!block_entries)
		return;
	if (block_active)
		val = bpf_map_lookup_elem(&block_b, ev->ja3_md5);
	else
		val = bpf_map_lookup_elem(&block_a, ev->ja3_md5);
	if (!val)
		return;
	__sync_fetch_and_add(&val->hits, 1);
	ev->block_id = val->id;
	if (dry_run) {
		ev->verdict = TLSFP_WOULD_BLOCK;
		count(c, TLSFP_CNT_WOULD_BLOCK);
		return;
	}
	ev->verdict = TLSFP_BLOCKED;
	c->action = TLSFP_DROP;
	count(c, TLSFP_CNT_BLOCKED);
	bpf_map_update_elem(&blocked_flows, &c->pkt.key, &now, BPF_ANY);
	__sync_fetch_and_add(&nr_blocked_flows, 1);
}

/*
 * Send the event in scratch for this flow: record it in the flows map, so
 * that later hellos of the flow are ignored, and in the ring buffer.
 */
static __always_inline void emit(struct tlsfp_ctx *c, __u32 ev_flags,
				 __u16 nr_segments)
{
	struct tlsfp_event *ev = &c->s->ev;

	ev->ts_ns = now_ns(c);
	ev->key = c->pkt.key;
	ev->ifindex = c->ifindex;
	ev->direction = c->direction;
	ev->nr_segments = nr_segments;
	ev->ev_flags = ev_flags;
	ev->verdict = TLSFP_ALLOWED;
	ev->block_id = 0;
	set_owner(c, ev);
	if (!(ev_flags & (TLSFP_EV_TRUNCATED | TLSFP_EV_TOO_LARGE))) {
		judge(c, ev);
		count(c, TLSFP_CNT_HELLOS);
		if (ev->hello.flags & TLSFP_HELLO_F_NO_JA3)
			count(c, TLSFP_CNT_HELLOS_NO_JA3);
		if (bpf_map_update_elem(&flows, &c->pkt.key, ev, BPF_NOEXIST))
			count(c, TLSFP_CNT_FLOW_INSERT);
	}
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), ringbuf_flags()))
		count(c, TLSFP_CNT_RINGBUF_FULL);
}

/* Report a hello that will never be whole; the event has no fields. */
static __always_inline void emit_truncated(struct tlsfp_ctx *c, __u32 why,
					   __u16 nr_segments)
{
	reset_hello(&c->s->ev.hello);
	emit(c, why, nr_segments);
}

/*
 * Copy the payload bytes [from, to) of the packet, stream offsets relative
 * to the payload's first byte at stream offset seg_off, into p->buf.
 */
static __always_inline int copy_segment(struct tlsfp_ctx *c, const bool xdp,
					struct tlsfp_partial *p, __u32 seg_off,
					__u32 from, __u32 to)
{
	__u32 done, chunk, i;

	/* TLSFP_BUF_SIZE / TLSFP_COPY_CHUNK copies at most. */
	for (i = 0; i < TLSFP_BUF_SIZE / TLSFP_COPY_CHUNK; i++) {
		done = from + i * TLSFP_COPY_CHUNK;
		if (done >= to)
			break;
		chunk = to - done;
		if (chunk > TLSFP_COPY_CHUNK)
			chunk = TLSFP_COPY_CHUNK;
		if (load_bytes(c, xdp, c->pkt.payload_off + (done - seg_off),
			       &p->buf[done & (TLSFP_BUF_SIZE - 1)], chunk,
			       TLSFP_COPY_CHUNK))
			return -1;
	}
	return 0;
}

/*
 * Reads and writes of partial-hello state go through memory: a value kept
 * in a register across the unrolled loops below is tracked exactly by the
 * verifier, which then cannot merge the states of different iterations.
 */
#define READ_MEM(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_MEM(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Merge the ranges that now touch [0, have) into have. */
static __always_inline void merge_ranges(struct tlsfp_partial *p)
{
	int pass, i;

	/* A pass absorbs at least one range or changes nothing. */
	for (pass = 0; pass < TLSFP_REASM_RANGES; pass++) {
		for (i = 0; i < TLSFP_REASM_RANGES; i++) {
			struct tlsfp_range *r = &p->ranges[i];
			__u32 end = READ_MEM(r->end);

			if (!end || READ_MEM(r->start) > READ_MEM(p->have))
				continue;
			if (end > READ_MEM(p->have))
				WRITE_MEM(p->have, end);
			WRITE_MEM(r->start, 0);
			WRITE_MEM(r->end, 0);
			WRITE_MEM(p->merged, 1);
		}
		if (!READ_MEM(p->merged))
			break;
		WRITE_MEM(p->merged, 0);
	}
}

/*
 * Remember the out-of-order range [start, end), joined with the ranges it
 * touches; false if it needs a slot and none is free.
 */
static __always_inline bool add_range(struct tlsfp_partial *p, __u32 start,
				      __u32 end)
{
	bool placed = false;
	int i;

	/* Widen one touching range; clear the others it now covers. */
	for (i = 0; i < TLSFP_REASM_RANGES; i++) {
		struct tlsfp_range *r = &p->ranges[i];
		__u32 rs = READ_MEM(r->start), re = READ_MEM(r->end);

		if (!re || re < start || rs > end)
			continue;
		if (rs < start)
			start = rs;
		if (re > end)
			end = re;
		if (placed) {
			WRITE_MEM(r->start, 0);
			WRITE_MEM(r->end, 0);
		} else {
			WRITE_MEM(r->start, start);
			WRITE_MEM(r->end, end);
			placed = true;
		}
	}
	if (placed) {
		/* The first range widened after others were compared: store the
		 * final bounds there. */
		for (i = 0; i < TLSFP_REASM_RANGES; i++) {
			struct tlsfp_range *r = &p->ranges[i];
			__u32 re = READ_MEM(r->end);

			if (re && READ_MEM(r->start) >= start && re <= end) {
				WRITE_MEM(r->start, start);
				WRITE_MEM(r->end, end);
				break;
			}
		}
		return true;
	}
	for (i = 0; i < TLSFP_REASM_RANGES; i++) {
		struct tlsfp_range *r = &p->ranges[i];

		if (!READ_MEM(r->end)) {
			WRITE_MEM(r->start, start);
			WRITE_MEM(r->end, end);
			return true;
		}
	}
	return false;
}

/*
 * Narrow [*from, *to) so that bytes already held in a range are not copied
 * again: as Linux's TCP does, the first copy of a byte is the one kept, so
 * that a later, different copy cannot show tlsfp other bytes than the
 * server reads.  Returns false if the whole interval is held.
 */
static __always_inline bool skip_held(struct tlsfp_partial *p, __u32 *from,
				      __u32 *to)
{
	int i;

	for (i = 0; i < TLSFP_REASM_RANGES; i++) {
		struct tlsfp_range *r = &p->ranges[i];
		__u32 rs = READ_MEM(r->start), re = READ_MEM(r->end);

		if (!re || re <= *from || rs >= *to)
			continue;
		if (rs <= *from && re >= *to)
			return false;
		if (rs <= *from)
			*from = re;
		else if (re >= *to)
			*to = rs;
		/*
		 * NOTE: a segment that covers a held range with bytes on both
		 * sides overwrites that range with its own copy.
		 */
	}
	return *from < *to;
}

/*
 * Add the packet's payload, which starts at stream offset seg_off, to the
 * partial hello p.  Returns true if the bytes present from offset 0 grew.
 */
static __always_inline int add_segment(struct tlsfp_ctx *c, const bool xdp,
				       struct tlsfp_partial *p, __u32 seg_off)
{
	__u32 from = seg_off, to = seg_off + c->pkt.payload_len, old = p->have;
	__u32 limit = hello_max < TLSFP_BUF_SIZE ? hello_max : TLSFP_BUF_SIZE;

	if (to > limit)
		to = limit;
	if (from >= to)
		return 0;	/* beyond the buffer: the walk reports it */
	p->nr_segments++;
	p->last_ns = now_ns(c);
	/* Bytes before have are held already; the first copy stays. */
	if (from < p->have)
		from = p->have;
	if (from >= to || !skip_held(p, &from, &to)) {
		count(c, TLSFP_CNT_RETRANSMIT);
		return 0;
	}
	if (copy_segment(c, xdp, p, seg_off, from, to)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return 0;
	}
	count(c, TLSFP_CNT_SEGMENTS_BUFFERED);
	if (from > p->have) {
		p->out_of_order = 1;
		count(c, TLSFP_CNT_OUT_OF_ORDER);
		if (!add_range(p, from, to))
			count(c, TLSFP_CNT_RANGES_FULL);
		return 0;
	}
	p->have = to;
	merge_ranges(p);
	return p->have > old;
}

/*
 * Try to complete the partial hello p; report it and return true when it
 * is finished with, fingerprinted or not.
 */
static __always_inline bool complete(struct tlsfp_ctx *c,
				     struct tlsfp_partial *p)
{
	struct tlsfp_scratch *s = c->s;
	struct tlsfp_records *r = &s->rec;
	__u32 flags = TLSFP_EV_REASSEMBLED, len;
	int err;

	err = tlsfp_sub_find((struct tlsfp_bytes *)p->buf, p->have, r);
	if (err == TLSFP_INCOMPLETE)
		return false;
	if (p->out_of_order)
		flags |= TLSFP_EV_OUT_OF_ORDER;
	if (err == TLSFP_TOO_LARGE) {
		count(c, TLSFP_CNT_TOO_LARGE);
		emit_truncated(c, flags | TLSFP_EV_TOO_LARGE, p->nr_segments);
		return true;
	}
	if (err) {
		count_status(c, err);
		return true;
	}

	if (r->nr == 1) {
		err = tlsfp_sub_parse((struct tlsfp_bytes *)p->buf, p->have,
				      &s->ev.hello);
	} else {
		len = tlsfp_sub_defrag((struct tlsfp_bytes *)p->buf, r,
				       (struct tlsfp_bytes *)s->part.buf);
		err = tlsfp_sub_parse((struct tlsfp_bytes *)s->part.buf, len,
				      &s->ev.hello);
	}
	if (err) {
		count_status(c, err);
		return true;
	}
	count(c, TLSFP_CNT_REASSEMBLED);
	emit(c, flags, p->nr_segments);
	return true;
}

/* Forget the partial hello of this flow. */
static __always_inline void drop_partial(struct tlsfp_ctx *c)
{
	if (!bpf_map_delete_elem(&partials, &c->pkt.key))
		count(c, TLSFP_CNT_PARTIAL_DONE);
}

/* A segment of a flow whose hello is being reassembled. */
static __always_inline void continue_partial(struct tlsfp_ctx *c,
					     const bool xdp,
					     struct tlsfp_partial *p)
{
	__u32 seg_off = c->pkt.seq - p->base_seq, skip;

	if (now_ns(c) - p->last_ns > reasm_timeout_ns) {
		count(c, TLSFP_CNT_TIMEOUT);
		emit_truncated(c, TLSFP_EV_TRUNCATED, p->nr_segments);
		drop_partial(c);
		return;
	}
	/* A segment that starts before the base: use the part after it. */
	if (seg_off >= 0x80000000) {
		skip = -seg_off;
		if (skip >= c->pkt.payload_len) {
			count(c, TLSFP_CNT_RETRANSMIT);
			return;
		}
		c->pkt.payload_off += skip;
		c->pkt.payload_len -= skip;
		seg_off = 0;
	}
	if (add_segment(c, xdp, p, seg_off) && complete(c, p))
		drop_partial(c);
}

/*
 * Start reassembly with the segment already copied to scratch->part.buf
 * at its stream offset, and the partial header set up in scratch.
 */
static __always_inline void start_partial(struct tlsfp_ctx *c)
{
	struct tlsfp_partial *p;

	count(c, TLSFP_CNT_PARTIAL_CREATED);
	if (bpf_map_update_elem(&partials, &c->pkt.key, &c->s->part,
				BPF_ANY)) {
		count(c, TLSFP_CNT_FLOW_INSERT);
		return;
	}
	p = bpf_map_lookup_elem(&partials, &c->pkt.key);
	if (p && p->have && complete(c, p))
		drop_partial(c);
}

static __always_inline void init_partial(struct tlsfp_ctx *c, __u32 base)
{
	struct tlsfp_partial *p = &c->s->part;

	p->first_ns = now_ns(c);
	p->last_ns = now_ns(c);
	p->base_seq = base;
	p->have = 0;
	p->ifindex = c->ifindex;
	p->nr_segments = 0;
	p->direction = c->direction;
	p->out_of_order = 0;
	__builtin_memset(p->ranges, 0, sizeof(p->ranges));
}

/*
 * A segment that starts with a ClientHello record: parse it at once if it
 * contains the whole hello, else start reassembly.
 */
static __always_inline void start_hello(struct tlsfp_ctx *c, const bool xdp)
{
	struct tlsfp_scratch *s = c->s;
	__u32 len = c->pkt.payload_len;
	int err;

	/* Only the first ClientHello of a flow counts. */
	if (bpf_map_lookup_elem(&flows, &c->pkt.key)) {
		count(c, TLSFP_CNT_REPEAT_HELLO);
		return;
	}
	if (len > TLSFP_BUF_SIZE)
		len = TLSFP_BUF_SIZE;
	/* A hello longer than hello_max is left to the record walk. */
	if (len > hello_max)
		len = hello_max;
	if (load_bytes(c, xdp, c->pkt.payload_off, s->part.buf, len,
		       TLSFP_BUF_SIZE)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return;
	}

	err = tlsfp_sub_parse((struct tlsfp_bytes *)s->part.buf, len,
			      &s->ev.hello);
	if (!err) {
		emit(c, 0, 1);
		return;
	}
	if (err != TLSFP_INCOMPLETE) {
		count_status(c, err);
		return;
	}
	init_partial(c, c->pkt.seq);
	s->part.have = len;
	s->part.nr_segments = 1;
	count(c, TLSFP_CNT_SEGMENTS_BUFFERED);
	start_partial(c);
}

/* Start reassembly with a segment at stream offset 0 of base. */
static __always_inline void keep_first_segment(struct tlsfp_ctx *c,
					       const bool xdp, __u32 base)
{
	__u32 len = c->pkt.payload_len;

	if (len > TLSFP_BUF_SIZE)
		len = TLSFP_BUF_SIZE;
	init_partial(c, base);
	if (copy_segment(c, xdp, &c->s->part, 0, 0, len)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return;
	}
	c->s->part.have = len;
	c->s->part.nr_segments = 1;
	count(c, TLSFP_CNT_SEGMENTS_BUFFERED);
	start_partial(c);
}

/*
 * A segment of a stream whose SYN was seen and in which no ClientHello has
 * started yet.  head contains the first head_len bytes of its payload.
 */
static __always_inline void handle_conn(struct tlsfp_ctx *c, const bool xdp,
					struct tlsfp_conn *conn,
					const __u8 *head, __u32 head_len)
{
	__u32 seg_off = c->pkt.seq - (conn->isn + 1);

	if (seg_off == 0) {
		/*
		 * The stream starts with less than a record header, or with a
		 * record too short for the handshake header: keep it as the
		 * start of a hello and let the record walk decide.
		 */
		if (tlsfp_may_start_handshake(head, head_len)) {
			bpf_map_delete_elem(&conns, &c->pkt.key);
			if (bpf_map_lookup_elem(&flows, &c->pkt.key))
				return;
			keep_first_segment(c, xdp, conn->isn + 1);
			return;
		}
		if (conn->state == TLSFP_CONN_SYN &&
		    tlsfp_is_proxy_preamble(head, head_len)) {
			conn->state = TLSFP_CONN_PREAMBLE;
			conn->last_ns = now_ns(c);
			count(c, TLSFP_CNT_PREAMBLE);
			return;
		}
		/* Neither TLS nor a proxy request: not a TLS client. */
		bpf_map_delete_elem(&conns, &c->pkt.key);
		return;
	}
	if (seg_off >= look_limit) {
		count(c, TLSFP_CNT_GIVEN_UP);
		bpf_map_delete_elem(&conns, &c->pkt.key);
		return;
	}
	if (conn->state != TLSFP_CONN_SYN)
		return;
	/*
	 * Data past the stream's start before its first byte: segments out
	 * of order.  Keep them in case the stream turns out to be TLS.
	 */
	init_partial(c, conn->isn + 1);
	if (copy_segment(c, xdp, &c->s->part, seg_off, seg_off,
			 seg_off + c->pkt.payload_len > TLSFP_BUF_SIZE ?
			 TLSFP_BUF_SIZE : seg_off + c->pkt.payload_len)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return;
	}
	c->s->part.nr_segments = 1;
	c->s->part.out_of_order = 1;
	if (seg_off < TLSFP_BUF_SIZE)
		add_range(&c->s->part, seg_off,
			  seg_off + c->pkt.payload_len > TLSFP_BUF_SIZE ?
			  TLSFP_BUF_SIZE : seg_off + c->pkt.payload_len);
	count(c, TLSFP_CNT_OUT_OF_ORDER);
	count(c, TLSFP_CNT_SEGMENTS_BUFFERED);
	bpf_map_delete_elem(&conns, &c->pkt.key);
	start_partial(c);
}

/*
 * Bytes of a segment read for a ServerHello: its key share is up to about
 * 1.1 KiB (ffdhe8192, X25519MLKEM768).  One that continues in the next
 * segment is counted in err_server_hello and gets no JA3S.
 */
#define TLSFP_SERVER_HELLO_MAX TLSFP_COPY_CHUNK

/*
 * A segment from a server that starts with a ServerHello: report the first
 * one of a flow whose ClientHello was reported, keyed by the client's flow.
 */
static __always_inline void handle_server_hello(struct tlsfp_ctx *c,
						const bool xdp)
{
	struct tlsfp_event *client, *ev = &c->s->ev;
	struct tlsfp_flow_key key = {};
	__u32 len = c->pkt.payload_len;
	int err;

	/* The client's flow: the same addresses and ports, swapped. */
	__builtin_memcpy(key.saddr, c->pkt.key.daddr, sizeof(key.saddr));
	__builtin_memcpy(key.daddr, c->pkt.key.saddr, sizeof(key.daddr));
	key.sport = c->pkt.key.dport;
	key.dport = c->pkt.key.sport;
	key.family = c->pkt.key.family;
	client = bpf_map_lookup_elem(&flows, &key);
	if (!client || (client->ev_flags & TLSFP_EV_SERVER_HELLO))
		return;
	/* A blocked hello never reached the server (in a capture it did). */
	if (client->verdict == TLSFP_BLOCKED)
		return;

	if (len > TLSFP_SERVER_HELLO_MAX)
		len = TLSFP_SERVER_HELLO_MAX;
	if (load_bytes(c, xdp, c->pkt.payload_off, c->s->part.buf, len,
		       TLSFP_SERVER_HELLO_MAX)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return;
	}
	err = tlsfp_sub_server((struct tlsfp_bytes *)c->s->part.buf, len,
			       &ev->server);
	if (err) {
		count(c, TLSFP_CNT_ERR_SERVER_HELLO);
		return;
	}
	/* Only the first ServerHello counts; a HelloRetryRequest is one. */
	client->ev_flags |= TLSFP_EV_SERVER_HELLO;
	count(c, TLSFP_CNT_SERVER_HELLOS);

	ev->ts_ns = now_ns(c);
	ev->key = key;
	ev->ifindex = c->ifindex;
	/* The event describes the client's flow: keep its direction. */
	ev->direction = client->direction;
	ev->nr_segments = 1;
	ev->ev_flags = TLSFP_EV_SERVER_HELLO;
	ev->verdict = TLSFP_ALLOWED;
	reset_hello(&ev->hello);
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), ringbuf_flags()))
		count(c, TLSFP_CNT_RINGBUF_FULL);
}

/* A client's SYN: remember where its stream starts. */
static __always_inline void track_syn(struct tlsfp_ctx *c)
{
	struct tlsfp_conn conn = {
		.last_ns = now_ns(c),
		.isn = c->pkt.seq,
		.state = TLSFP_CONN_SYN,
	};

	/*
	 * A SYN starts a new connection, possibly on the 4-tuple of an old
	 * one: forget what tlsfp knew of the old one, its verdict included,
	 * so that the new ClientHello is reported and judged on its own.
	 */
	/* A lookup takes no lock; a delete does, even of a missing key. */
	if (bpf_map_lookup_elem(&flows, &c->pkt.key))
		bpf_map_delete_elem(&flows, &c->pkt.key);
	if (bpf_map_lookup_elem(&partials, &c->pkt.key))
		bpf_map_delete_elem(&partials, &c->pkt.key);
	if (nr_blocked_flows &&
	    bpf_map_lookup_elem(&blocked_flows, &c->pkt.key))
		bpf_map_delete_elem(&blocked_flows, &c->pkt.key);
	count(c, TLSFP_CNT_SYN_TRACKED);
	bpf_map_update_elem(&conns, &c->pkt.key, &conn, BPF_ANY);
}

/* FIN or RST: a hello still partial will never be whole. */
static __always_inline void end_flow(struct tlsfp_ctx *c)
{
	struct tlsfp_partial *p = bpf_map_lookup_elem(&partials, &c->pkt.key);

	if (p) {
		count(c, TLSFP_CNT_FLOW_ENDED);
		emit_truncated(c, TLSFP_EV_TRUNCATED, p->nr_segments);
		drop_partial(c);
	}
	bpf_map_delete_elem(&conns, &c->pkt.key);
}

/*
 * Copy the first len (1 to 6) bytes of the payload into head: straight from
 * the packet when they are in its linear part, as they nearly always are,
 * else through the helper.
 */
static __always_inline int read_head(struct tlsfp_ctx *c, const bool xdp,
				     const __u8 *data, const __u8 *end,
				     __u8 *head, __u32 len)
{
	__u64 off = c->pkt.payload_off;
	const __u8 *p;

	if (off <= TLSFP_MAX_HDR_OFF && len == TLSFP_REC_HLEN + 1) {
		p = data + off;
		if (p + TLSFP_REC_HLEN + 1 <= end) {
			__builtin_memcpy(head, p, TLSFP_REC_HLEN + 1);
			return 0;
		}
	}
	if (load_bytes(c, xdp, off, head, len, TLSFP_REC_HLEN + 1)) {
		count(c, TLSFP_CNT_LOAD_BYTES);
		return -1;
	}
	return 0;
}

static __always_inline void handle_packet(struct tlsfp_ctx *c, const bool xdp,
					  const __u8 *data, const __u8 *end,
					  __u64 frame_len)
{
	struct tlsfp_partial *p;
	struct tlsfp_conn *conn;
	__u8 head[TLSFP_REC_HLEN + 1] = {};
	__u32 zero = 0, head_len;
	int err;

	count(c, TLSFP_CNT_PACKETS);
	err = tlsfp_parse_pkt(data, end, frame_len, &c->pkt);
	if (err) {
		count_status(c, err);
		return;
	}
	if ((c->pkt.tcp_flags & (TLSFP_TCP_SYN | TLSFP_TCP_ACK)) ==
	    TLSFP_TCP_SYN) {
		track_syn(c);
		if (!c->pkt.payload_len)
			return;
		/*
		 * TCP Fast Open (RFC 7413): data in the SYN, which takes one
		 * sequence number before it, so the data is at stream offset 0.
		 */
		c->pkt.seq += 1;
	}
	if (nr_blocked_flows &&
	    bpf_map_lookup_elem(&blocked_flows, &c->pkt.key)) {
		/*
		 * A FIN or RST without payload passes, so that the server can
		 * release the connection whose ClientHello it never got.  No
		 * data of the client gets through.
		 */
		if (!c->pkt.payload_len &&
		    (c->pkt.tcp_flags & (TLSFP_TCP_FIN | TLSFP_TCP_RST)))
			return;
		count(c, TLSFP_CNT_DROPPED);
		c->action = TLSFP_DROP;
		return;
	}
	if (c->pkt.payload_len) {
		count(c, TLSFP_CNT_TCP_PAYLOAD);
		c->s = bpf_map_lookup_elem(&scratch, &zero);
		if (!c->s)
			return;

		p = bpf_map_lookup_elem(&partials, &c->pkt.key);
		if (p) {
			continue_partial(c, xdp, p);
		} else {
			head_len = c->pkt.payload_len;
			if (head_len > sizeof(head))
				head_len = sizeof(head);
			if (read_head(c, xdp, data, end, head, head_len))
				return;
			conn = bpf_map_lookup_elem(&conns, &c->pkt.key);
			if (head_len == sizeof(head) &&
			    tlsfp_is_hello_start(head)) {
				if (conn)
					bpf_map_delete_elem(&conns,
							    &c->pkt.key);
				start_hello(c, xdp);
			} else if (head_len == sizeof(head) &&
				   tlsfp_is_server_hello_start(head)) {
				handle_server_hello(c, xdp);
			} else if (conn) {
				handle_conn(c, xdp, conn, head, head_len);
			}
		}
	}
	if (c->pkt.tcp_flags & (TLSFP_TCP_FIN | TLSFP_TCP_RST)) {
		if (!c->s)
			c->s = bpf_map_lookup_elem(&scratch, &zero);
		if (c->s)
			end_flow(c);
	}
}

/*
 * The packet's action for the entry point: a drop turns into a pass when
 * the loader's heartbeat is older than heartbeat_timeout_ns.
 */
static __always_inline int packet_action(const struct tlsfp_ctx *c)
{
	if (c->action != TLSFP_DROP || !heartbeat_timeout_ns)
		return c->action;
	if (bpf_ktime_get_ns() - loader_heartbeat_ns <= heartbeat_timeout_ns)
		return TLSFP_DROP;
	count(c, TLSFP_CNT_LOADER_GONE);
	return TLSFP_PASS;
}

#endif /* TLSFP_DATAPATH_BPF_H */
