// SPDX-License-Identifier: BSD-2-Clause
/*
 * Attach the egress program.  A tcx link (Linux 6.6 and later) leaves with
 * the process, like the XDP link.  Older kernels get a filter on the clsact
 * qdisc, which stays after a crash: tlsfp removes one left by an earlier run
 * at start, found by its fixed handle and priority.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "tc.h"
#include "tlsfp.skel.h"

/*
 * The kernel's attach type for tcx egress links.  libbpf 1.1 and the 6.1
 * UAPI headers predate it; its value is fixed by the kernel ABI.
 */
#define TLSFP_BPF_TCX_EGRESS 47

/* Handle and priority of tlsfp's clsact filter: "tl" and "sf". */
#define TLSFP_TC_HANDLE 0x746c
#define TLSFP_TC_PRIORITY 0x7366

static int attach_tcx(struct tlsfp_loader *l)
{
	int prog_fd = bpf_program__fd(l->skel->progs.tlsfp_tc);
	int fd;

	fd = bpf_link_create(prog_fd, l->ifindex, TLSFP_BPF_TCX_EGRESS, NULL);
	if (fd < 0)
		return -errno;
	l->tc_link_fd = fd;
	return 0;
}

static int attach_clsact(struct tlsfp_loader *l)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, old, .handle = TLSFP_TC_HANDLE,
		    .priority = TLSFP_TC_PRIORITY);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TLSFP_TC_HANDLE,
		    .priority = TLSFP_TC_PRIORITY);
	libbpf_print_fn_t print;
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_err("%s: create clsact qdisc: %s", l->ifname,
		       strerror(-err));
		return err;
	}
	/*
	 * Without the filter, libbpf prints the kernel's "Cannot find
	 * specified filter chain": the usual case, so keep it quiet.
	 */
	print = libbpf_set_print(NULL);
	err = bpf_tc_query(&hook, &old);
	libbpf_set_print(print);
	if (!err) {
		pr_warn("%s: removing a tlsfp egress filter left by an earlier run (program id %u)",
			l->ifname, old.prog_id);
		old.prog_fd = 0;
		old.prog_id = 0;
		old.flags = 0;
		bpf_tc_detach(&hook, &old);
	}
	opts.prog_fd = bpf_program__fd(l->skel->progs.tlsfp_tc);
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		pr_err("%s: attach egress filter: %s", l->ifname,
		       strerror(-err));
		return err;
	}
	l->tc_clsact = true;
	return 0;
}

int tlsfp_tc_attach(struct tlsfp_loader *l)
{
	int err;

	err = attach_tcx(l);
	if (!err) {
		pr_info("%s: egress program attached (tcx link)", l->ifname);
		return 0;
	}
	/* EINVAL: a kernel without tcx, before 6.6. */
	if (err != -EINVAL && err != -EOPNOTSUPP) {
		pr_err("%s: attach egress tcx link: %s", l->ifname,
		       strerror(-err));
		return err;
	}
	pr_info("%s: no tcx (%s); attaching to the clsact qdisc, where a crash leaves the filter until the next start (it drops nothing 5 s after the loader stops)",
		l->ifname, strerror(-err));
	err = attach_clsact(l);
	if (!err)
		pr_info("%s: egress program attached (clsact)", l->ifname);
	return err;
}

void tlsfp_tc_detach(struct tlsfp_loader *l)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TLSFP_TC_HANDLE,
		    .priority = TLSFP_TC_PRIORITY);

	if (l->tc_link_fd >= 0) {
		close(l->tc_link_fd);
		l->tc_link_fd = -1;
	}
	if (l->tc_clsact) {
		/* The qdisc stays: other filters may use it. */
		if (bpf_tc_detach(&hook, &opts))
			pr_warn("%s: detach egress filter failed", l->ifname);
		l->tc_clsact = false;
	}
}
