/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_SWEEP_H
#define TLSFP_SWEEP_H

#include <stdint.h>

#include "events.h"

int tlsfp_sweep_partials(struct tlsfp_session *s, int map_fd, uint64_t now,
			 uint64_t timeout_ns);
long tlsfp_count_entries(int map_fd, uint32_t key_size);
void tlsfp_session_tick(struct tlsfp_session *s, uint64_t now);

#endif /* TLSFP_SWEEP_H */
