/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_PROC_H
#define TLSFP_PROC_H

#include <stddef.h>
#include <stdint.h>

int tlsfp_cgroup2_open(void);
const char *tlsfp_cgroup_path(uint64_t id);

#endif /* TLSFP_PROC_H */
