/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_OUTPUT_H
#define TLSFP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsfp.h"

struct tlsfp_block_entry;

struct tlsfp_output {
	FILE *f;
	bool json;
	int verbose;
	/* Blocklists loaded: print the action of every hello. */
	bool blocking;
	/* Event times are capture times (ns since the epoch), not monotonic. */
	bool replay;
	/* Added to a monotonic event time to get the wall-clock time. */
	int64_t mono_to_real_ns;
};

/* One ClientHello as printed: the event and what was derived from it. */
struct tlsfp_report {
	const struct tlsfp_event *ev;
	/* NULL when the hello has no JA3; no_ja3_reason gives the reason. */
	const char *ja3_string;
	const char *ja3_md5;
	const char *no_ja3_reason;
	/* NULL when the JA4 cannot be exact; see no_ja4_reason. */
	const char *ja4;
	const char *ja4_raw;
	const char *no_ja4_reason;
	/* Blocklist verdict: "allowed", "blocked" or "would-block". */
	const char *action;
	/* The blocklist entry that matched, NULL if none. */
	const struct tlsfp_block_entry *entry;
	/*
	 * The flow's first ServerHello, NULL if none was seen in time.  With
	 * server_only, the line is for a ServerHello alone: its client's line
	 * was printed before it came.
	 */
	bool server_only;
	const struct tlsfp_server_hello *server;
	const char *ja3s_string;
	const char *ja3s_md5;
	/* Frame number in the capture file, 0 when live. */
	uint64_t frame;
	/* Interface name, NULL when replaying. */
	const char *ifname;
};

void tlsfp_output_init(struct tlsfp_output *o, FILE *f, bool json,
		       int verbose, bool replay);
int tlsfp_output_report(const struct tlsfp_output *o,
			const struct tlsfp_report *r);
int tlsfp_output_flush(const struct tlsfp_output *o);
FILE *tlsfp_output_open(const char *path);
int tlsfp_output_reopen(struct tlsfp_output *o, const char *path);
void tlsfp_format_addr(const struct tlsfp_flow_key *k, bool src, char *buf,
		       size_t size);
const char *tlsfp_version_name(uint16_t v, char *buf, size_t size);
uint16_t tlsfp_hello_version(const struct tlsfp_hello *h);
void tlsfp_escape_bytes(const uint8_t *s, size_t len, char *buf,
			size_t size);

#endif /* TLSFP_OUTPUT_H */
