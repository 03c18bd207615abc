// SPDX-License-Identifier: BSD-2-Clause
/* From a ring buffer event to a printed fingerprint. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "ja3.h"
#include "log.h"

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

/* Compute the JA3 of one event and print it. */
int tlsfp_session_report(struct tlsfp_session *s,
			 const struct tlsfp_event *ev)
{
	static char ja3[TLSFP_JA3_STR_MAX];
	struct tlsfp_report r = {
		.ev = ev,
		.frame = s->frame,
	};
	char md5[TLSFP_MD5_HEX_LEN + 1], reason[128];
	int len, err;

	if (s->stop)
		return 0;
	r.ifname = ifname_of(s, ev->ifindex);
	if (ev->ev_flags & TLSFP_EV_TOO_LARGE) {
		snprintf(reason, sizeof(reason),
			 "truncated: ClientHello larger than the %u bytes tlsfp keeps",
			 TLSFP_BUF_SIZE);
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
	} else {
		if (tlsfp_ja3_reason(&ev->hello, reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "%s", strerror(-len));
		r.no_ja3_reason = reason;
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
	if (s->limit && s->reported >= s->limit)
		s->stop = true;
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
	ring_buffer__free(s->rb);
	s->rb = NULL;
}
