/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_BLOCK_H
#define TLSFP_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "blocklist.h"

struct tlsfp_bpf;

/* The blocklists of a run and their copy in the datapath's block maps. */
struct tlsfp_blocker {
	const char **files;
	int nr_files;
	bool skip_invalid;
	bool dry_run;
	/* Capacity of each block map (--block-max). */
	uint32_t max_entries;
	struct tlsfp_bpf *skel;
	/* Entries in use; ids in the block maps index list.entries. */
	struct tlsfp_blocklist list;
	/* JA3 entries in the active block map. */
	uint32_t nr_ja3;
	uint32_t nr_ja4;
	/*
	 * Per entry of list: matches not in the active block map, that is
	 * those of earlier sets (kept across reloads) and, for JA4 entries,
	 * all of them, since the loader checks JA4.
	 */
	uint64_t *carried;
	/* Lists read by tlsfp_blocker_check(), not yet installed. */
	struct tlsfp_blocklist staged;
	bool has_staged;
};

int tlsfp_blocker_check(struct tlsfp_blocker *b);
int tlsfp_blocker_install(struct tlsfp_blocker *b);
int tlsfp_blocker_reload(struct tlsfp_blocker *b);
const struct tlsfp_block_entry *tlsfp_blocker_entry(
	const struct tlsfp_blocker *b, uint32_t id);
const struct tlsfp_block_entry *tlsfp_blocker_find_ja4(
	struct tlsfp_blocker *b, const char *ja4);
void tlsfp_blocker_print_hits(const struct tlsfp_blocker *b, FILE *f);
void tlsfp_blocker_free(struct tlsfp_blocker *b);

#endif /* TLSFP_BLOCK_H */
