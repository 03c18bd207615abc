/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_JA3_H
#define TLSFP_JA3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsfp.h"

/*
 * Longest JA3 string from a hello within the TLSFP_MAX_* bounds: up to six
 * characters per value ("65535-"), plus the version and separators.
 */
#define TLSFP_JA3_STR_MAX                                                    \
	(8 + 6 * (TLSFP_MAX_CIPHERS + TLSFP_MAX_EXTS + TLSFP_MAX_GROUPS) +      \
	 4 * TLSFP_MAX_POINT_FORMATS)
#define TLSFP_MD5_HEX_LEN 32

bool tlsfp_is_grease(uint16_t v);
int tlsfp_ja3_string(const struct tlsfp_hello *h, char *buf, size_t size);
int tlsfp_ja3_reason(const struct tlsfp_hello *h, char *buf, size_t size);
/* "65535," per value: version, cipher and every extension. */
#define TLSFP_JA3S_STR_MAX (16 + 6 * TLSFP_MAX_SERVER_EXTS)

int tlsfp_ja3s_string(const struct tlsfp_server_hello *sh, char *buf,
		      size_t size);
int tlsfp_md5_hex(const char *data, size_t len,
		  char out[TLSFP_MD5_HEX_LEN + 1]);

#endif /* TLSFP_JA3_H */
