/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_PRIVS_H
#define TLSFP_PRIVS_H

#include <sys/types.h>

/* The account that -Z switches to. */
struct tlsfp_user {
	const char *name;
	uid_t uid;
	gid_t gid;
};

int tlsfp_user_lookup(const char *name, struct tlsfp_user *u);
int tlsfp_drop_privileges(const struct tlsfp_user *u);

#endif /* TLSFP_PRIVS_H */
