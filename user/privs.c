// SPDX-License-Identifier: BSD-2-Clause
/*
 * -Z USER: switch to USER once the programs are attached, keeping only
 * CAP_NET_ADMIN: removing the clsact egress filter at exit, on kernels
 * before 6.6 (without tcx), goes through rtnetlink, and without it the
 * filter stays.  CAP_BPF is not kept: with kernel.unprivileged_bpf_disabled
 * set, Linux 6.1 and later reject only BPF_MAP_CREATE and BPF_PROG_LOAD
 * without it, not the map reads and updates on open descriptors that the
 * loader makes afterwards.  tests/kernels/guest.sh checks both on Debian's
 * 6.1 and 6.12 kernels.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#include "log.h"
#include "privs.h"

static const cap_value_t kept_caps[] = { CAP_NET_ADMIN };
#define NR_KEPT (sizeof(kept_caps) / sizeof(kept_caps[0]))

/*
 * Find USER, a name or a numeric uid, in the password database.  A uid
 * that has no entry there is taken as it is, with the same number as gid.
 */
int tlsfp_user_lookup(const char *name, struct tlsfp_user *u)
{
	struct passwd *pw;
	char *end;
	long id;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && !errno) {
		id = strtol(name, &end, 10);
		if (*name && !*end && id >= 0 && id < 0x7fffffff) {
			pw = getpwuid(id);
			if (!pw) {
				u->name = name;
				u->uid = id;
				u->gid = id;
				return 0;
			}
		}
	}
	if (!pw) {
		pr_err("--user: unknown user '%s' (see getent passwd; create it with adduser --system)",
		       name);
		return -ENOENT;
	}
	u->name = name;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

/*
 * Remove every capability but the kept ones from the bounding set.  This
 * takes CAP_SETPCAP.  Without it, the bounding set stays as the parent
 * process set it (systemd's CapabilityBoundingSet=, for one).
 */
static int drop_bounding_set(void)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	cap_value_t c;
	unsigned int i;
	bool keep;

	if (caps) {
		cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
		cap_free(caps);
	}
	if (setpcap != CAP_SET)
		return 0;
	for (c = 0; c <= CAP_LAST_CAP; c++) {
		keep = false;
		for (i = 0; i < NR_KEPT; i++)
			keep |= c == kept_caps[i];
		if (keep || CAP_IS_SUPPORTED(c) == 0)
			continue;
		if (cap_drop_bound(c))
			return -errno;
	}
	return 0;
}

/* Set the kept capabilities as permitted and effective, nothing else. */
static int set_kept_caps(void)
{
	cap_t caps = cap_init();
	int err = 0;

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, NR_KEPT, kept_caps, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, NR_KEPT, kept_caps, CAP_SET) ||
	    cap_set_proc(caps))
		err = -errno;
	cap_free(caps);
	return err;
}

/*
 * Switch to u's uid and gid, with no supplementary groups but u's own,
 * keeping CAP_NET_ADMIN (see the top of this file).  Any
 * failure is fatal to the run: going on as root would not be what -Z
 * promised.
 */
int tlsfp_drop_privileges(const struct tlsfp_user *u)
{
	int err;

	err = drop_bounding_set();
	if (err) {
		pr_err("--user %s: drop capabilities from the bounding set: %s",
		       u->name, strerror(-err));
		return err;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
		err = -errno;
		pr_err("--user %s: keep capabilities: %s", u->name,
		       strerror(-err));
		return err;
	}
	/* A uid without a passwd entry gets its gid as only group. */
	if (initgroups(u->name, u->gid) && setgroups(1, &u->gid)) {
		err = -errno;
		pr_err("--user %s: set groups: %s", u->name, strerror(-err));
		return err;
	}
	if (setresgid(u->gid, u->gid, u->gid) ||
	    setresuid(u->uid, u->uid, u->uid)) {
		err = -errno;
		pr_err("--user %s: switch to uid %u gid %u: %s", u->name,
		       (unsigned int)u->uid, (unsigned int)u->gid,
		       strerror(-err));
		return err;
	}
	err = set_kept_caps();
	if (err) {
		pr_err("--user %s: keep CAP_NET_ADMIN: %s",
		       u->name, strerror(-err));
		return err;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* No exec is expected; this keeps one from gaining privileges. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	pr_info("running as %s (uid %u), keeping CAP_NET_ADMIN",
		u->name, (unsigned int)u->uid);
	return 0;
}
