/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_METRICS_H
#define TLSFP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct tlsfp_counters;
struct tlsfp_session;

/* --metrics FILE: the counters in the Prometheus text format. */
struct tlsfp_metrics {
	const char *path;
	/* path with ".tmp" appended: written, then renamed over path. */
	char *tmp_path;
	const char *ifname;
	uint64_t interval_ns;
	uint64_t next_ns;
	/* Start of the run, seconds since the epoch. */
	double start_time;
	/* The last write failed: log only the first failure of a series. */
	bool failing;
};

int tlsfp_metrics_init(struct tlsfp_metrics *m, const char *path,
		       const char *ifname, unsigned int interval_s);
int tlsfp_metrics_write(struct tlsfp_metrics *m,
			const struct tlsfp_counters *c,
			const struct tlsfp_session *s);
void tlsfp_metrics_free(struct tlsfp_metrics *m);

#endif /* TLSFP_METRICS_H */
