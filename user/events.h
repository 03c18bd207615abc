/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_EVENTS_H
#define TLSFP_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <signal.h>

#include "output.h"

struct ring_buffer;
struct tlsfp_blocker;
struct tlsfp_bpf;

/* Handling of the events of one run, live or from a capture file. */
struct tlsfp_session {
	struct tlsfp_output out;
	struct ring_buffer *rb;
	/* ClientHellos reported so far, and the -c limit (0: none). */
	uint64_t reported;
	uint64_t limit;
	/* Frame number of the packet being replayed, 0 when live. */
	uint64_t frame;
	/* Events shorter than struct tlsfp_event; never expected. */
	uint64_t bad_events;
	/* Partial hellos expired by tlsfp_session_tick(). */
	int partials_fd;
	uint64_t timeout_ns;
	uint64_t last_sweep_ns;
	uint64_t timeouts;
	/*
	 * Client hellos waiting up to hold_ns for their ServerHello, oldest
	 * first; hold_ns is 0 when the reverse direction is not watched.
	 */
	struct tlsfp_pending *pending;
	unsigned int pending_head;
	unsigned int pending_len;
	uint64_t hold_ns;
	/* ServerHellos whose client line was already printed. */
	uint64_t ja3s_unmatched;
	/* Blocklists of the run, NULL without -b. */
	struct tlsfp_blocker *blocker;
	struct tlsfp_bpf *skel;
	/* Hellos whose datapath JA3 MD5 differed from OpenSSL's; never
	 * expected. */
	uint64_t md5_mismatches;
	uint64_t ja4_blocked;
	/* Lines printed and hellos blocked, by enum tlsfp_direction. */
	uint64_t reported_by_dir[2];
	uint64_t blocked_by_dir[2];
	/* Bytes kept per ClientHello (--hello-max), for messages. */
	uint32_t hello_max;
	/* Set by SIGINT or SIGTERM. */
	volatile sig_atomic_t *interrupted;
	/* Set when the limit is reached or stdout is closed. */
	bool stop;
	int err;
	int cached_ifindex;
	char cached_ifname[IF_NAMESIZE];
};

int tlsfp_session_open(struct tlsfp_session *s, int ringbuf_fd);
void tlsfp_session_close(struct tlsfp_session *s);
int tlsfp_session_report(struct tlsfp_session *s,
			 const struct tlsfp_event *ev);
void tlsfp_session_flush(struct tlsfp_session *s, uint64_t now);

#endif /* TLSFP_EVENTS_H */
