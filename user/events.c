// SPDX-License-Identifier: BSD-2-Clause
/* From a ring buffer event to a printed fingerprint. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include <bpf/bpf.h>

#include "block.h"
#include "events.h"
#include "ja3.h"
#include "ja4.h"
#include "log.h"
#include "tlsfp.skel.h"

static const char *ifname_of(struct tlsfp_session *s, int ifindex)
{
	if (s->out.replay)
		return NULL;
	if (ifindex != s->cached_ifindex) {
		if (!if_indextoname(ifindex, s->cached_ifname))
			snprintf(s->cached_ifname, sizeof(s->cached_ifname),
				 "if%d", ifindex);
		s->cached_ifindex = ifindex;
	}
	return s->cached_ifname;
}

/* Count a difference between the datapath's JA3 MD5 and OpenSSL's. */
static void check_kernel_md5(struct tlsfp_session *s,
			     const struct tlsfp_event *ev, const char *md5)
{
	char hex[TLSFP_MD5_HEX_LEN + 1];
	int i;

	if (!(ev->ev_flags & TLSFP_EV_KERNEL_MD5))
		return;
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", ev->ja3_md5[i]);
	if (!strcmp(hex, md5))
		return;
	if (!s->md5_mismatches++)
		pr_err("datapath JA3 MD5 %s differs from OpenSSL's %s (counted as md5_mismatch)",
		       hex, md5);
}

/*
 * JA4 verdicts are taken here, after the hello has passed: block the
 * rest of the flow in the datapath.
 */
static void block_flow(struct tlsfp_session *s, const struct tlsfp_event *ev)
{
	__u64 now = ev->ts_ns;
	int fd = bpf_map__fd(s->skel->maps.blocked_flows);

	if (bpf_map_update_elem(fd, &ev->key, &now, BPF_ANY)) {
		pr_warn("block flow after a JA4 match: %s", strerror(errno));
		return;
	}
	__atomic_fetch_add(&s->skel->bss->nr_blocked_flows, 1,
			   __ATOMIC_SEQ_CST);
	s->ja4_blocked++;
}

static void judge(struct tlsfp_session *s, const struct tlsfp_event *ev,
		  struct tlsfp_report *r)
{
	const struct tlsfp_block_entry *e = NULL;

	r->action = "allowed";
	if (!s->blocker)
		return;
	if (ev->verdict != TLSFP_ALLOWED) {
		e = tlsfp_blocker_entry(s->blocker, ev->block_id);
	} else if (r->ja4) {
		e = tlsfp_blocker_find_ja4(s->blocker, r->ja4);
		if (e && !s->blocker->dry_run)
			block_flow(s, ev);
	}
	if (!e)
		return;
	r->entry = e;
	r->action = s->blocker->dry_run ? "would-block" : "blocked";
}

/* Compute the fingerprints of one event, judge it and print it. */
static int print_event(struct tlsfp_session *s, const struct tlsfp_event *ev,
		       const struct tlsfp_server_hello *server)
{
	static char ja3[TLSFP_JA3_STR_MAX], ja4_raw[TLSFP_JA4_RAW_MAX];
	char ja4[TLSFP_JA4_LEN + 1], reason4[128];
	static char ja3s[TLSFP_JA3S_STR_MAX];
	char ja3s_md5[TLSFP_MD5_HEX_LEN + 1];
	struct tlsfp_report r = {
		.ev = ev,
		.frame = s->frame,
	};
	char md5[TLSFP_MD5_HEX_LEN + 1], reason[128];
	bool truncated = ev->ev_flags &
			 (TLSFP_EV_TRUNCATED | TLSFP_EV_TOO_LARGE);
	int len, err;

	if (s->stop)
		return 0;
	r.ifname = ifname_of(s, ev->ifindex);
	if (ev->ev_flags & TLSFP_EV_TOO_LARGE) {
		snprintf(reason, sizeof(reason),
			 "truncated: ClientHello larger than the %u bytes tlsfp keeps, set by --hello-max",
			 s->hello_max ? s->hello_max : TLSFP_BUF_SIZE);
		r.no_ja3_reason = reason;
		len = -1;
	} else if (ev->ev_flags & TLSFP_EV_TRUNCATED) {
		snprintf(reason, sizeof(reason),
			 "truncated: the flow ended or idled out before its ClientHello was whole");
		r.no_ja3_reason = reason;
		len = -1;
	} else {
		len = tlsfp_ja3_string(&ev->hello, ja3, sizeof(ja3));
	}
	if (r.no_ja3_reason) {
		/* Truncated: nothing of the hello is known. */
	} else if (len >= 0) {
		err = tlsfp_md5_hex(ja3, len, md5);
		if (err) {
			pr_err("MD5 of the JA3 string failed (OpenSSL)");
			return err;
		}
		r.ja3_string = ja3;
		r.ja3_md5 = md5;
		check_kernel_md5(s, ev, md5);
	} else {
		if (tlsfp_ja3_reason(&ev->hello, reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "%s", strerror(-len));
		r.no_ja3_reason = reason;
	}

	if (!truncated) {
		/* JA4 of any hello that was parsed whole. */
		if (!tlsfp_ja4(&ev->hello, ja4) &&
		    tlsfp_ja4_raw(&ev->hello, ja4_raw, sizeof(ja4_raw)) >= 0) {
			r.ja4 = ja4;
			r.ja4_raw = ja4_raw;
		} else {
			if (tlsfp_ja4_reason(&ev->hello, reason4,
					     sizeof(reason4)))
				snprintf(reason4, sizeof(reason4),
					 "JA4 not computed");
			r.no_ja4_reason = reason4;
		}
	}
	if (!truncated)
		judge(s, ev, &r);
	else if (s->blocker)
		r.action = "allowed";
	if (server) {
		len = tlsfp_ja3s_string(server, ja3s, sizeof(ja3s));
		if (len >= 0 && !tlsfp_md5_hex(ja3s, len, ja3s_md5)) {
			r.server = server;
			r.ja3s_string = ja3s;
			r.ja3s_md5 = ja3s_md5;
		}
	}

	err = tlsfp_output_report(&s->out, &r);
	if (err) {
		/* A closed pipe (tlsfp | head) ends the run normally. */
		if (err != -EPIPE)
			pr_err("write to standard output: %s", strerror(-err));
		s->stop = true;
		s->err = err == -EPIPE ? 0 : err;
		return 0;
	}
	s->reported++;
	s->reported_by_dir[ev->direction & 1]++;
	if (r.action && !strcmp(r.action, "blocked"))
		s->blocked_by_dir[ev->direction & 1]++;
	if (s->limit && s->reported >= s->limit)
		s->stop = true;
	return 0;
}

/* A line for a ServerHello whose client's line was already printed. */
static int print_server_only(struct tlsfp_session *s,
			     const struct tlsfp_event *ev)
{
	static char ja3s[TLSFP_JA3S_STR_MAX];
	char md5[TLSFP_MD5_HEX_LEN + 1];
	struct tlsfp_report r = {
		.ev = ev,
		.frame = s->frame,
		.server_only = true,
		.server = &ev->server,
		.ja3s_string = ja3s,
		.ja3s_md5 = md5,
	};
	int len, err;

	len = tlsfp_ja3s_string(&ev->server, ja3s, sizeof(ja3s));
	if (len < 0 || tlsfp_md5_hex(ja3s, len, md5))
		return 0;
	r.ifname = ifname_of(s, ev->ifindex);
	err = tlsfp_output_report(&s->out, &r);
	if (err) {
		s->stop = true;
		s->err = err == -EPIPE ? 0 : err;
	}
	return 0;
}

/* Client hellos held for their ServerHello, at most (memory bound). */
#define PENDING_MAX 1024

struct tlsfp_pending {
	struct tlsfp_event ev;
	uint64_t frame;
	bool used;
};

static struct tlsfp_pending *pending_at(struct tlsfp_session *s,
					unsigned int i)
{
	return &s->pending[(s->pending_head + i) % PENDING_MAX];
}

/* Print the oldest held hello, or drop its slot if it was printed. */
static void pop_pending(struct tlsfp_session *s)
{
	struct tlsfp_pending *p = pending_at(s, 0);
	uint64_t frame = s->frame;

	if (p->used) {
		s->frame = p->frame;
		print_event(s, &p->ev, NULL);
		s->frame = frame;
		p->used = false;
	}
	s->pending_head = (s->pending_head + 1) % PENDING_MAX;
	s->pending_len--;
}

static void hold(struct tlsfp_session *s, const struct tlsfp_event *ev)
{
	struct tlsfp_pending *p;

	if (s->pending_len == PENDING_MAX)
		pop_pending(s);
	p = pending_at(s, s->pending_len++);
	p->ev = *ev;
	p->frame = s->frame;
	p->used = true;
}

/* A ServerHello: print its client's held line with JA3S added. */
static int join_server(struct tlsfp_session *s, const struct tlsfp_event *ev)
{
	struct tlsfp_pending *p;
	uint64_t frame = s->frame;
	unsigned int i;
	int err;

	for (i = 0; i < s->pending_len; i++) {
		p = pending_at(s, i);
		if (!p->used || memcmp(&p->ev.key, &ev->key, sizeof(ev->key)))
			continue;
		s->frame = p->frame;
		err = print_event(s, &p->ev, &ev->server);
		s->frame = frame;
		p->used = false;
		while (s->pending_len && !pending_at(s, 0)->used)
			pop_pending(s);
		return err;
	}
	s->ja3s_unmatched++;
	return print_server_only(s, ev);
}

/*
 * Print the held hellos whose wait ended by now (the datapath's clock), or
 * all of them when now is UINT64_MAX.
 */
void tlsfp_session_flush(struct tlsfp_session *s, uint64_t now)
{
	struct tlsfp_pending *p;

	while (s->pending_len) {
		p = pending_at(s, 0);
		if (p->used && now != UINT64_MAX &&
		    p->ev.ts_ns + s->hold_ns > now)
			break;
		pop_pending(s);
	}
}

/*
 * Whether the hello's JA4 is on the blocklist.  Such a hello is judged and
 * printed at once, not held for its ServerHello: the rest of its flow is
 * blocked as soon as possible.
 */
static bool ja4_listed(struct tlsfp_session *s, const struct tlsfp_event *ev)
{
	char ja4[TLSFP_JA4_LEN + 1];

	if (!s->blocker || !s->blocker->nr_ja4 || tlsfp_ja4(&ev->hello, ja4))
		return false;
	return tlsfp_blocklist_find(&s->blocker->list, TLSFP_FP_JA4, ja4);
}

/*
 * Report one event.  A client hello is held for its ServerHello when the
 * reverse direction is watched, so that its line carries JA3S; a blocked
 * or truncated one never gets a ServerHello and is printed at once.
 */
int tlsfp_session_report(struct tlsfp_session *s,
			 const struct tlsfp_event *ev)
{
	if (ev->ev_flags & TLSFP_EV_SERVER_HELLO)
		return join_server(s, ev);
	if (!s->hold_ns || ev->verdict == TLSFP_BLOCKED ||
	    (ev->ev_flags & (TLSFP_EV_TRUNCATED | TLSFP_EV_TOO_LARGE)) ||
	    ja4_listed(s, ev))
		return print_event(s, ev, NULL);
	if (!s->pending) {
		s->pending = calloc(PENDING_MAX, sizeof(*s->pending));
		if (!s->pending)
			return print_event(s, ev, NULL);
	}
	hold(s, ev);
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tlsfp_session *s = ctx;

	if (size < sizeof(struct tlsfp_event)) {
		s->bad_events++;
		return 0;
	}
	return tlsfp_session_report(s, data);
}

int tlsfp_session_open(struct tlsfp_session *s, int ringbuf_fd)
{
	int err;

	s->rb = ring_buffer__new(ringbuf_fd, handle_event, s, NULL);
	if (!s->rb) {
		err = -errno;
		pr_err("open ring buffer: %s", strerror(-err));
		return err;
	}
	return 0;
}

void tlsfp_session_close(struct tlsfp_session *s)
{
	free(s->pending);
	s->pending = NULL;
	ring_buffer__free(s->rb);
	s->rb = NULL;
}
