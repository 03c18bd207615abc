/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_LOADER_H
#define TLSFP_LOADER_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

enum tlsfp_xdp_mode {
	TLSFP_XDP_AUTO,
	TLSFP_XDP_NATIVE,
	TLSFP_XDP_GENERIC,
};

enum tlsfp_dirs {
	TLSFP_DIRS_IN = 1,
	TLSFP_DIRS_OUT = 2,
	TLSFP_DIRS_BOTH = 3,
};

struct tlsfp_loader_opts {
	const char *ifname;
	/* enum tlsfp_dirs: XDP for in, TC egress for out; 0 means both. */
	int dirs;
	enum tlsfp_xdp_mode xdp_mode;
	bool force;
	__u32 max_flows;
	__u32 max_partial;
	__u32 ringbuf_size;
	__u32 look_limit;
	__u32 hello_max;
	__u32 block_max;
	bool dry_run;
	/* tlsfp -r: only the XDP program is run. */
	bool replay;
	__u64 reasm_timeout_ns;
};

struct tlsfp_bpf;
struct bpf_link;

struct tlsfp_loader {
	struct tlsfp_bpf *skel;
	int ifindex;
	/* XDP link; closing it detaches the program. */
	int link_fd;
	/* Egress: a tcx link, or a clsact filter on kernels before 6.6. */
	int tc_link_fd;
	bool tc_clsact;
	/* connect() hooks on the cgroup v2 root, for process attribution. */
	struct bpf_link *connect4;
	struct bpf_link *connect6;
	const char *mode_name;
	char ifname[IF_NAMESIZE];
};

int tlsfp_check_env(void);
int tlsfp_loader_load(struct tlsfp_loader *l,
		      const struct tlsfp_loader_opts *o);
int tlsfp_loader_attach(struct tlsfp_loader *l,
			const struct tlsfp_loader_opts *o);
void tlsfp_loader_close(struct tlsfp_loader *l);
void tlsfp_loader_heartbeat(struct tlsfp_bpf *skel, __u64 now_ns);

#endif /* TLSFP_LOADER_H */
