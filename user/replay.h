/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_REPLAY_H
#define TLSFP_REPLAY_H

#include <stdint.h>

#include "events.h"

struct tlsfp_bpf;

struct tlsfp_replay_stats {
	uint64_t frames;
	/* Frames too short for their link header, or of another protocol. */
	uint64_t skipped;
	/* BPF_PROG_TEST_RUN calls that failed. */
	uint64_t run_errors;
	/* Frames shorter than on the wire (snap length). */
	uint64_t cut;
};

int tlsfp_replay(struct tlsfp_session *s, struct tlsfp_bpf *skel,
		 const char *path, struct tlsfp_replay_stats *st);

#endif /* TLSFP_REPLAY_H */
