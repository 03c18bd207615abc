// SPDX-License-Identifier: BSD-2-Clause
/*
 * Blocklists in the datapath.  JA3 entries go into a BPF hash map keyed by
 * the MD5 digest, where the datapath looks up every ClientHello's JA3 and
 * drops the packet that completes a matching hello.  There are two such
 * maps: a reload fills the one not in use and then switches block_active,
 * so that the new set takes effect all at once and a failed reload leaves
 * the old one in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tlsfp.h"
#include "block.h"
#include "log.h"
#include "tlsfp.skel.h"

static int hex_to_md5(const char *hex, struct tlsfp_block_key *key)
{
	unsigned int i, v;

	for (i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		key->md5[i] = v;
	}
	return 0;
}

/* Read every file into a new list; nothing is installed. */
static int read_lists(const struct tlsfp_blocker *b,
		      struct tlsfp_blocklist *out)
{
	int i, err;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < b->nr_files; i++) {
		err = tlsfp_blocklist_load(out, b->files[i], b->skip_invalid);
		if (err)
			goto fail;
	}
	err = tlsfp_blocklist_finalize(out);
	if (err)
		goto fail;
	return 0;
fail:
	tlsfp_blocklist_free(out);
	return err;
}

static uint32_t count_kind(const struct tlsfp_blocklist *l,
			   enum tlsfp_fp_kind kind)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < l->n; i++)
		n += l->entries[i].kind == kind;
	return n;
}

/*
 * Read the blocklists before the program is loaded, to fail early on a bad
 * file or on more JA3 entries than a block map holds.
 */
int tlsfp_blocker_check(struct tlsfp_blocker *b)
{
	struct tlsfp_blocklist l;
	uint32_t n;
	int err;

	err = read_lists(b, &l);
	if (err)
		return err;
	n = count_kind(&l, TLSFP_FP_JA3);
	if (n > b->max_entries) {
		tlsfp_blocklist_free(&l);
		pr_err("blocklists contain %u JA3 hashes, more than the block map size (%u); raise --block-max",
		       n, b->max_entries);
		return -E2BIG;
	}
	/* Kept for tlsfp_blocker_install(), so the files are read once. */
	b->staged = l;
	b->has_staged = true;
	return 0;
}

static int clear_map(int fd)
{
	struct tlsfp_block_key key;

	while (!bpf_map_get_next_key(fd, NULL, &key)) {
		if (bpf_map_delete_elem(fd, &key))
			return -errno;
	}
	return 0;
}

/* Fill the block map not in use with the JA3 entries of l. */
static int fill_map(int fd, const struct tlsfp_blocklist *l)
{
	struct tlsfp_block_key key;
	struct tlsfp_block_val val;
	size_t i;
	int err;

	err = clear_map(fd);
	if (err)
		return err;
	for (i = 0; i < l->n; i++) {
		if (l->entries[i].kind != TLSFP_FP_JA3)
			continue;
		if (hex_to_md5(l->entries[i].fp, &key))
			return -EINVAL;
		memset(&val, 0, sizeof(val));
		val.id = i;
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int active_fd(const struct tlsfp_blocker *b, bool active)
{
	bool use_b = b->skel->bss->block_active == (active ? 1 : 0);

	return bpf_map__fd(use_b ? b->skel->maps.block_b :
			   b->skel->maps.block_a);
}

/* Matches of entry e in the active map. */
static uint64_t kernel_hits(const struct tlsfp_blocker *b,
			    const struct tlsfp_block_entry *e)
{
	struct tlsfp_block_key key;
	struct tlsfp_block_val val;

	if (e->kind != TLSFP_FP_JA3 || hex_to_md5(e->fp, &key) ||
	    bpf_map_lookup_elem(active_fd(b, true), &key, &val))
		return 0;
	return val.hits;
}

/*
 * Make l the active set: fill the idle map, carry each entry's matches so
 * far over to the new set, and switch.
 */
static int switch_to(struct tlsfp_blocker *b, struct tlsfp_blocklist *l)
{
	uint32_t n = count_kind(l, TLSFP_FP_JA3);
	const struct tlsfp_block_entry *old;
	uint64_t *carried;
	size_t i, j;
	int err;

	if (n > b->max_entries) {
		pr_err("blocklists contain %u JA3 hashes, more than the block map size (%u); raise --block-max",
		       n, b->max_entries);
		return -E2BIG;
	}
	err = fill_map(active_fd(b, false), l);
	if (err) {
		pr_err("fill the block map: %s", strerror(-err));
		return err;
	}
	carried = calloc(l->n ? l->n : 1, sizeof(*carried));
	if (!carried)
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		old = tlsfp_blocklist_find(&b->list, l->entries[i].kind,
					   l->entries[i].fp);
		if (!old)
			continue;
		j = old - b->list.entries;
		carried[i] = b->carried[j] + kernel_hits(b, old);
	}

	b->skel->bss->block_entries = n;
	__atomic_store_n(&b->skel->bss->block_active,
			 !b->skel->bss->block_active, __ATOMIC_SEQ_CST);

	free(b->carried);
	b->carried = carried;
	tlsfp_blocklist_free(&b->list);
	b->list = *l;
	b->nr_ja3 = n;
	b->nr_ja4 = count_kind(l, TLSFP_FP_JA4);
	return 0;
}

/* Load the blocklists into the datapath after the program is loaded. */
int tlsfp_blocker_install(struct tlsfp_blocker *b)
{
	struct tlsfp_blocklist l;
	int err;

	if (b->has_staged) {
		l = b->staged;
		b->has_staged = false;
	} else {
		err = read_lists(b, &l);
		if (err)
			return err;
	}
	err = switch_to(b, &l);
	if (err) {
		tlsfp_blocklist_free(&l);
		return err;
	}
	pr_info("blocklists: %u JA3 and %u JA4 entries from %d files%s",
		b->nr_ja3, b->nr_ja4, b->nr_files,
		b->dry_run ? " (dry run: nothing is dropped)" : "");
	return 0;
}

/* SIGHUP: read the files again; on any error keep the set in use. */
int tlsfp_blocker_reload(struct tlsfp_blocker *b)
{
	struct tlsfp_blocklist l;
	int err;

	err = read_lists(b, &l);
	if (err) {
		pr_err("reload: blocklists unchanged (%u JA3, %u JA4 entries still active)",
		       b->nr_ja3, b->nr_ja4);
		return err;
	}
	err = switch_to(b, &l);
	if (err) {
		tlsfp_blocklist_free(&l);
		pr_err("reload: blocklists unchanged (%u JA3, %u JA4 entries still active)",
		       b->nr_ja3, b->nr_ja4);
		return err;
	}
	pr_warn("reload: %u JA3 and %u JA4 entries now active", b->nr_ja3,
		b->nr_ja4);
	return 0;
}

const struct tlsfp_block_entry *
tlsfp_blocker_entry(const struct tlsfp_blocker *b, uint32_t id)
{
	return id < b->list.n ? &b->list.entries[id] : NULL;
}

/* Look up a JA4 in the active set and count the match. */
const struct tlsfp_block_entry *
tlsfp_blocker_find_ja4(struct tlsfp_blocker *b, const char *ja4)
{
	const struct tlsfp_block_entry *e;

	e = tlsfp_blocklist_find(&b->list, TLSFP_FP_JA4, ja4);
	if (e)
		b->carried[e - b->list.entries]++;
	return e;
}

/* --stats: hits per entry of the active set, with those of earlier sets. */
void tlsfp_blocker_print_hits(const struct tlsfp_blocker *b, FILE *f)
{
	size_t i;

	fprintf(f, "tlsfp: blocklist hits (%u JA3 entries checked in the kernel, %u JA4 entries checked by the loader):\n",
		b->nr_ja3, b->nr_ja4);
	for (i = 0; i < b->list.n; i++) {
		const struct tlsfp_block_entry *e = &b->list.entries[i];
		uint64_t hits = b->carried[i] + kernel_hits(b, e);

		fprintf(f, "  %-36s %10llu  %s%s%s\n", e->fp,
			(unsigned long long)hits, e->source,
			e->reason[0] ? "  " : "", e->reason);
	}
}

void tlsfp_blocker_free(struct tlsfp_blocker *b)
{
	if (b->has_staged)
		tlsfp_blocklist_free(&b->staged);
	b->has_staged = false;
	tlsfp_blocklist_free(&b->list);
	free(b->carried);
	b->carried = NULL;
}
