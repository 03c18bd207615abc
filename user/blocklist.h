/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocklists of TLS client fingerprints, read from files in three formats:
 * a plain list, the abuse.ch SSLBL JA3 CSV feed and Suricata rules that
 * match ja3.hash or ja4.hash.  blocklist.c describes each format and how a
 * file's format is detected.
 */
#ifndef TLSFP_BLOCKLIST_H
#define TLSFP_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Longest accepted line, without its line ending. */
#define TLSFP_BLOCKLIST_MAX_LINE 8192
/*
 * Maximum number of messages about invalid lines, and of those about
 * ignored rules, printed per file.  One line at the end of the file gives
 * the number left out.
 */
#define TLSFP_BLOCKLIST_MAX_REPORTS 10

enum tlsfp_fp_kind {
	TLSFP_FP_JA3,
	TLSFP_FP_JA4,
};

struct tlsfp_block_entry {
	enum tlsfp_fp_kind kind;
	/* 32 lowercase hex digits (JA3 MD5), or the 36-character JA4. */
	char fp[40];
	/*
	 * Text that the file gives for the entry: a plain list's trailing
	 * comment, the SSLBL Listingreason column, or a Suricata rule's msg
	 * followed by " (sid N)".  Empty when the file gives none.  Longer
	 * text is cut at a UTF-8 character boundary, and control characters
	 * become spaces.
	 */
	char reason[128];
	/* "PATH:LINE" of the entry, with paths over about 240 bytes cut. */
	char source[256];
};

/*
 * Receives each message without the "tlsfp: " prefix or a newline, for
 * example "list.txt:3: 'abc' is not a JA3 hash: 3 hex digits (want 32)".
 */
typedef void (*tlsfp_blocklist_report_fn)(void *ctx,
					  enum tlsfp_log_level level,
					  const char *msg);

/*
 * Fingerprints from any number of files.  Zero-initialize it, optionally
 * set report, load files, then call tlsfp_blocklist_finalize().
 */
struct tlsfp_blocklist {
	struct tlsfp_block_entry *entries;
	size_t n, cap;
	/* Entries that tlsfp_blocklist_finalize() removed as repeats. */
	size_t duplicates;
	/* Suricata rules read but not turned into entries. */
	size_t ignored;
	/* Invalid lines skipped because skip_invalid was set. */
	size_t skipped;
	/* Set by tlsfp_blocklist_finalize(), cleared by a load. */
	bool sorted;
	/* NULL sends messages to stderr through tlsfp_log(). */
	tlsfp_blocklist_report_fn report;
	void *report_ctx;
};

/*
 * Append the entries of the file at path, whose format is detected from
 * its first lines as blocklist.c describes.  Each invalid line is reported
 * as "PATH:LINE: <what is wrong> (want <what is expected>)", and each
 * Suricata rule without a usable hash as a warning.
 *
 * With skip_invalid false, an invalid line fails the whole file, so
 * nothing from it is appended and -EINVAL is returned.  With skip_invalid
 * true, invalid lines are reported as warnings and skipped.  A file
 * without entries is a warning, not an error.
 *
 * Returns 0, -EINVAL, -ENOMEM, or the -errno of a failed open or read.
 */
int tlsfp_blocklist_load(struct tlsfp_blocklist *bl, const char *path,
			 bool skip_invalid);

/*
 * Sort the entries for tlsfp_blocklist_find() and remove repeats of a
 * fingerprint, keeping the first one loaded (and so its reason).  Each
 * repeat is counted in duplicates and reported at info level.  Returns 0,
 * or -ENOMEM with the list left as it was.
 */
int tlsfp_blocklist_finalize(struct tlsfp_blocklist *bl);

/*
 * Look up fp, given in the stored form, which is lowercase hex for JA3.
 * The search takes O(log n) after tlsfp_blocklist_finalize().  Before it, a
 * linear scan returns the first entry loaded.  Returns NULL when fp is not
 * listed.
 */
const struct tlsfp_block_entry *
tlsfp_blocklist_find(const struct tlsfp_blocklist *bl,
		     enum tlsfp_fp_kind kind, const char *fp);

/* Free the entries and leave bl empty, keeping report and report_ctx. */
void tlsfp_blocklist_free(struct tlsfp_blocklist *bl);

#endif /* TLSFP_BLOCKLIST_H */
