/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_PIN_H
#define TLSFP_PIN_H

#include <stdbool.h>
#include <sys/types.h>

struct tlsfp_bpf;

/* --pin DIR: the maps pinned under DIR for bpftool, removed at exit. */
struct tlsfp_pin {
	const char *dir;
	struct tlsfp_bpf *skel;
	/* DIR did not exist: tlsfp made it and removes it at exit. */
	bool created;
};

int tlsfp_pin_check_dir(const char *dir);
int tlsfp_pin_maps(struct tlsfp_pin *p, struct tlsfp_bpf *skel,
		   const char *dir);
int tlsfp_pin_chown(const struct tlsfp_pin *p, uid_t uid, gid_t gid);
void tlsfp_pin_remove(struct tlsfp_pin *p);

#endif /* TLSFP_PIN_H */
