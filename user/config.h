/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_CONFIG_H
#define TLSFP_CONFIG_H

#include <getopt.h>

/*
 * Called for each option line with the option's getopt_long value and its
 * value (NULL for an option without one).  Returns 0, or non-zero to stop
 * reading; tlsfp_config_read() then returns that value.
 */
typedef int (*tlsfp_config_fn)(void *ctx, int val, char *value);

int tlsfp_config_read(const char *path, const struct option *opts,
		      tlsfp_config_fn apply, void *ctx);

#endif /* TLSFP_CONFIG_H */
