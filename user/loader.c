// SPDX-License-Identifier: BSD-2-Clause
/*
 * Life of the BPF skeleton: checks of the running kernel, load, attach to
 * an interface through a BPF link, detach.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "proc.h"
#include "tc.h"
#include "tlsfp.skel.h"

#define MIN_KERNEL "6.1"

/*
 * Age of the loader's heartbeat after which the datapath drops nothing.
 * The event loop beats every 100 ms; a loader stopped longer than this,
 * killed or suspended, leaves a filter that passes all traffic.
 */
#define HEARTBEAT_TIMEOUT_NS (5ULL * 1000000000ULL)

static bool have_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = (__u64)data[1].effective << 32 | data[0].effective;
	/*
	 * CAP_SYS_ADMIN replaces CAP_BPF and CAP_PERFMON on kernels before
	 * 5.8.  Without CAP_PERFMON the verifier rejects the programs.
	 */
	return (eff & (1ULL << CAP_NET_ADMIN)) &&
	       (eff & ((1ULL << CAP_BPF) | (1ULL << CAP_SYS_ADMIN))) &&
	       (eff & ((1ULL << CAP_PERFMON) | (1ULL << CAP_SYS_ADMIN)));
}

struct feature {
	enum bpf_func_id helper;
	const char *name;
	const char *since;
};

/* Helpers the datapath calls that Linux 5.8 (ring buffer) lacks. */
static const struct feature helpers[] = {
	{ BPF_FUNC_loop, "bpf_loop", "5.17" },
	{ BPF_FUNC_xdp_load_bytes, "bpf_xdp_load_bytes", "5.18" },
	{ BPF_FUNC_xdp_get_buff_len, "bpf_xdp_get_buff_len", "5.18" },
	{ BPF_FUNC_ringbuf_output, "bpf_ringbuf_output", "5.8" },
};

/*
 * Check what tlsfp needs before loading anything, so that a failure names
 * its cause instead of surfacing as a verifier or libbpf error.
 */
int tlsfp_check_env(void)
{
	struct utsname u;
	unsigned int i;
	int ret;

	if (!have_caps()) {
		pr_err("permission denied: tlsfp needs root, or the CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN capabilities (run it with sudo)");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		uname(&u);
		pr_err("kernel %s has no BTF (/sys/kernel/btf/vmlinux is missing): tlsfp needs a kernel built with CONFIG_DEBUG_INFO_BTF=y, Linux %s or newer",
		       u.release, MIN_KERNEL);
		return -ENOTSUP;
	}
	ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (ret <= 0) {
		uname(&u);
		pr_err("kernel %s has no BPF ring buffer (Linux 5.8): tlsfp needs Linux %s or newer",
		       u.release, MIN_KERNEL);
		return -ENOTSUP;
	}
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP,
					      helpers[i].helper, NULL);
		if (ret > 0)
			continue;
		uname(&u);
		pr_err("kernel %s lacks the BPF helper %s (Linux %s): tlsfp needs Linux %s or newer",
		       u.release, helpers[i].name, helpers[i].since,
		       MIN_KERNEL);
		return -ENOTSUP;
	}
	return 0;
}

int tlsfp_loader_load(struct tlsfp_loader *l,
		      const struct tlsfp_loader_opts *o)
{
	struct tlsfp_bpf *skel;
	int err, dirs;

	memset(l, 0, sizeof(*l));
	l->link_fd = -1;
	l->tc_link_fd = -1;

	skel = tlsfp_bpf__open();
	if (!skel) {
		err = -errno;
		pr_err("open BPF object: %s", strerror(-err));
		return err;
	}
	l->skel = skel;

	if (o->max_flows) {
		err = bpf_map__set_max_entries(skel->maps.flows, o->max_flows);
		if (err)
			goto fail_size;
	}
	if (o->max_flows) {
		err = bpf_map__set_max_entries(skel->maps.conns, o->max_flows);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.owners,
						       o->max_flows);
		if (err)
			goto fail_size;
	}
	if (o->max_partial) {
		err = bpf_map__set_max_entries(skel->maps.partials,
					       o->max_partial);
		if (err)
			goto fail_size;
	}
	if (o->block_max) {
		err = bpf_map__set_max_entries(skel->maps.block_a,
					       o->block_max);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.block_b,
						       o->block_max);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.blocked_flows,
						       o->max_flows ?
						       o->max_flows : 8192);
		if (err)
			goto fail_size;
	}
	skel->rodata->dry_run = o->dry_run;
	if (!o->replay)
		skel->rodata->heartbeat_timeout_ns = HEARTBEAT_TIMEOUT_NS;
	if (o->reasm_timeout_ns)
		skel->rodata->reasm_timeout_ns = o->reasm_timeout_ns;
	if (o->look_limit)
		skel->rodata->look_limit = o->look_limit;
	if (o->hello_max)
		skel->rodata->hello_max = o->hello_max;
	if (o->ringbuf_size) {
		err = bpf_map__set_max_entries(skel->maps.events,
					       o->ringbuf_size);
		if (err)
			goto fail_size;
	}

	/*
	 * Load only the programs this run attaches: the verifier takes
	 * about a second per packet program.  The XDP program also serves
	 * -r and receives the ServerHellos of outbound clients with "both".
	 */
	dirs = o->dirs ? o->dirs : TLSFP_DIRS_BOTH;
	if (o->replay || !(dirs & TLSFP_DIRS_OUT)) {
		bpf_program__set_autoload(skel->progs.tlsfp_tc, false);
		bpf_program__set_autoload(skel->progs.tlsfp_connect4, false);
		bpf_program__set_autoload(skel->progs.tlsfp_connect6, false);
	}
	if (!o->replay && !(dirs & TLSFP_DIRS_IN))
		bpf_program__set_autoload(skel->progs.tlsfp_xdp, false);

	err = tlsfp_bpf__load(skel);
	if (err) {
		pr_err("load BPF program: %s", strerror(-err));
		if (tlsfp_log_verifier_tail(20))
			pr_err("the verifier rejected the program (last lines of its log above; all of it with -v)");
		return err;
	}
	return 0;

fail_size:
	pr_err("set map size: %s", strerror(-err));
	return err;
}

/*
 * Whether the XDP program on ifindex is held by a BPF link: netlink cannot
 * detach such a program, only its owner can.
 */
static bool xdp_link_owned(int ifindex)
{
	struct bpf_link_info info;
	__u32 id = 0, len;
	bool found = false;
	int fd;

	while (!found && !bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_LINK_TYPE_XDP &&
		    (int)info.xdp.ifindex == ifindex)
			found = true;
		close(fd);
	}
	return found;
}

static void prog_name(__u32 id, char *buf, size_t size)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	snprintf(buf, size, "?");
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, size, "%s", info.name);
	close(fd);
}

/* Refuse to replace another XDP program unless --force, and then only
 * one attached through netlink. */
static int handle_existing(struct tlsfp_loader *l,
			   const struct tlsfp_loader_opts *o)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN + 1];
	int err;

	err = bpf_xdp_query(l->ifindex, 0, &q);
	if (err) {
		pr_err("%s: query XDP programs: %s", l->ifname,
		       strerror(-err));
		return err;
	}
	if (!q.prog_id)
		return 0;

	prog_name(q.prog_id, name, sizeof(name));
	if (xdp_link_owned(l->ifindex)) {
		pr_err("%s: XDP program '%s' (id %u) is already attached through a BPF link; stop the program that owns it (bpftool link show) and try again",
		       l->ifname, name, q.prog_id);
		return -EBUSY;
	}
	if (!o->force) {
		pr_err("%s: XDP program '%s' (id %u) is already attached; detach it (ip link set dev %s xdp off) or use --force to replace it",
		       l->ifname, name, q.prog_id, l->ifname);
		return -EBUSY;
	}
	err = bpf_xdp_detach(l->ifindex, 0, NULL);
	if (err) {
		pr_err("%s: detach XDP program '%s' (id %u): %s", l->ifname,
		       name, q.prog_id, strerror(-err));
		return err;
	}
	pr_warn("%s: detached XDP program '%s' (id %u) (--force)", l->ifname,
		name, q.prog_id);
	return 0;
}

static int link_xdp(struct tlsfp_loader *l, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int prog_fd = bpf_program__fd(l->skel->progs.tlsfp_xdp);
	int fd;

	fd = bpf_link_create(prog_fd, l->ifindex, BPF_XDP, &opts);
	if (fd < 0)
		return -errno;
	l->link_fd = fd;
	return 0;
}

/*
 * Attach the connect() hooks to the cgroup v2 root, which covers every
 * process.  Without them tlsfp still works, without process names.
 */
static void attach_owner_hooks(struct tlsfp_loader *l)
{
	int fd, err;

	fd = tlsfp_cgroup2_open();
	if (fd < 0) {
		pr_warn("cannot open the cgroup v2 root (%s): outbound clients will have no process name",
			strerror(-fd));
		return;
	}
	l->connect4 = bpf_program__attach_cgroup(l->skel->progs.tlsfp_connect4,
						 fd);
	l->connect6 = bpf_program__attach_cgroup(l->skel->progs.tlsfp_connect6,
						 fd);
	if (!l->connect4 || !l->connect6) {
		err = -errno;
		pr_warn("attach connect hooks to the cgroup v2 root: %s: outbound clients will have no process name",
			strerror(-err));
		return;
	}
	pr_info("connect hooks attached to the cgroup v2 root for process attribution");
}

/*
 * Attach through a BPF link, so that the kernel detaches the program when
 * the last file descriptor closes, even if tlsfp is killed.
 */
/* Tell the datapath that the loader runs, at now_ns (CLOCK_MONOTONIC). */
void tlsfp_loader_heartbeat(struct tlsfp_bpf *skel, __u64 now_ns)
{
	__atomic_store_n(&skel->bss->loader_heartbeat_ns, now_ns,
			 __ATOMIC_RELAXED);
}

int tlsfp_loader_attach(struct tlsfp_loader *l,
			const struct tlsfp_loader_opts *o)
{
	struct timespec ts;
	int err;

	/* Blocking works from the first packet, before the event loop. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	tlsfp_loader_heartbeat(l->skel, (__u64)ts.tv_sec * 1000000000ULL +
					ts.tv_nsec);

	snprintf(l->ifname, sizeof(l->ifname), "%s", o->ifname);
	l->ifindex = if_nametoindex(o->ifname);
	if (!l->ifindex) {
		pr_err("%s: no such interface (see ip link show)", o->ifname);
		return -ENODEV;
	}

	if (o->dirs & TLSFP_DIRS_OUT) {
		attach_owner_hooks(l);
		err = tlsfp_tc_attach(l);
		if (err)
			return err;
	}
	if (!(o->dirs & TLSFP_DIRS_IN))
		return 0;

	err = handle_existing(l, o);
	if (err)
		return err;

	switch (o->xdp_mode) {
	case TLSFP_XDP_NATIVE:
		l->mode_name = "native";
		err = link_xdp(l, XDP_FLAGS_DRV_MODE);
		break;
	case TLSFP_XDP_GENERIC:
		l->mode_name = "generic";
		err = link_xdp(l, XDP_FLAGS_SKB_MODE);
		break;
	default:
		l->mode_name = "native";
		err = link_xdp(l, XDP_FLAGS_DRV_MODE);
		if (err == -EOPNOTSUPP || err == -EINVAL) {
			pr_warn("%s: driver has no native XDP (%s); using generic mode",
				l->ifname, strerror(-err));
			l->mode_name = "generic";
			err = link_xdp(l, XDP_FLAGS_SKB_MODE);
		}
		break;
	}
	if (err) {
		pr_err("%s: attach XDP in %s mode: %s", l->ifname,
		       l->mode_name, strerror(-err));
		if (err == -EBUSY)
			pr_err("%s: another XDP program was attached meanwhile; run tlsfp again",
			       l->ifname);
		return err;
	}
	pr_info("%s: XDP program attached in %s mode", l->ifname,
		l->mode_name);
	return 0;
}

void tlsfp_loader_close(struct tlsfp_loader *l)
{
	bpf_link__destroy(l->connect4);
	bpf_link__destroy(l->connect6);
	l->connect4 = NULL;
	l->connect6 = NULL;
	if (l->ifindex)
		tlsfp_tc_detach(l);
	if (l->link_fd >= 0)
		close(l->link_fd);
	l->link_fd = -1;
	tlsfp_bpf__destroy(l->skel);
	l->skel = NULL;
}
