// SPDX-License-Identifier: BSD-2-Clause
/*
 * Expiry of partial ClientHellos.  The datapath expires a partial hello
 * when its next segment arrives late; a flow that sends nothing more is
 * found here instead, by a periodic walk of the partials map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "log.h"
#include "sweep.h"

/* Keys removed per walk; the rest wait for the next one. */
#define SWEEP_BATCH 4096

/*
 * Remove the partial hellos idle for more than timeout_ns at time now (the
 * datapath's clock: monotonic, or capture time when replaying) and report
 * each as truncated.  Returns how many were removed, or -errno.
 */
int tlsfp_sweep_partials(struct tlsfp_session *s, int map_fd, uint64_t now,
			 uint64_t timeout_ns)
{
	static struct tlsfp_flow_key keys[SWEEP_BATCH];
	static struct tlsfp_partial p;
	static struct tlsfp_event ev;
	struct tlsfp_flow_key key, *prev = NULL;
	int n = 0, i, removed = 0;

	while (n < SWEEP_BATCH && !bpf_map_get_next_key(map_fd, prev, &key)) {
		keys[n] = key;
		prev = &keys[n];
		if (bpf_map_lookup_elem(map_fd, &key, &p))
			continue;
		if (now > p.last_ns && now - p.last_ns > timeout_ns)
			n++;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(map_fd, &keys[i], &p) ||
		    bpf_map_delete_elem(map_fd, &keys[i]))
			continue;	/* finished meanwhile */
		memset(&ev, 0, sizeof(ev));
		ev.ts_ns = now;
		ev.key = keys[i];
		ev.ifindex = p.ifindex;
		ev.direction = p.direction;
		ev.nr_segments = p.nr_segments;
		ev.ev_flags = TLSFP_EV_TRUNCATED;
		tlsfp_session_report(s, &ev);
		removed++;
	}
	return removed;
}

/* Number of entries in a hash map, by walking its keys. */
long tlsfp_count_entries(int map_fd, uint32_t key_size)
{
	unsigned char *key = calloc(2, key_size);
	long n = 0;

	if (!key)
		return -ENOMEM;
	while (!bpf_map_get_next_key(map_fd, n ? key : NULL,
				     key + key_size)) {
		memcpy(key, key + key_size, key_size);
		n++;
	}
	free(key);
	return n;
}

/*
 * Print the held hellos whose wait for a ServerHello ended, and sweep the
 * partial hellos once a second of the datapath's clock.
 */
void tlsfp_session_tick(struct tlsfp_session *s, uint64_t now)
{
	int n;

	tlsfp_session_flush(s, now);
	if (now - s->last_sweep_ns < 1000000000ULL)
		return;
	s->last_sweep_ns = now;
	n = tlsfp_sweep_partials(s, s->partials_fd, now, s->timeout_ns);
	if (n > 0)
		s->timeouts += n;
}
