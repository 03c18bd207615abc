/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_COUNTERS_H
#define TLSFP_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsfp.h"

struct tlsfp_counters {
	/* Both directions added up. */
	uint64_t v[TLSFP_CNT_MAX];
	/* Per enum tlsfp_direction: the XDP, then the egress program. */
	uint64_t dir[2][TLSFP_CNT_MAX];
};

int tlsfp_counters_read(int map_fd, struct tlsfp_counters *out);
void tlsfp_counters_print(FILE *f, const struct tlsfp_counters *c, bool all);
const char *tlsfp_counter_name(unsigned int idx);
const char *tlsfp_counter_help(unsigned int idx);

#endif /* TLSFP_COUNTERS_H */
