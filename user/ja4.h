/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_JA4_H
#define TLSFP_JA4_H

#include <stddef.h>

#include "tlsfp.h"

/* "t13d1516h2_8daaf6152771_e5627efa2ab1": 10 + 1 + 12 + 1 + 12. */
#define TLSFP_JA4_LEN 36

/*
 * Maximum length of ja4_r for a hello within the TLSFP_MAX_* bounds: part
 * a, five characters per value ("c02b,") in the cipher, extension and
 * signature algorithm lists, and the separators.
 */
#define TLSFP_JA4_RAW_MAX                                                    \
	(10 + 3 + 5 * (TLSFP_MAX_CIPHERS + TLSFP_MAX_EXTS + TLSFP_MAX_SIGALGS))

int tlsfp_ja4(const struct tlsfp_hello *h, char out[TLSFP_JA4_LEN + 1]);
int tlsfp_ja4_raw(const struct tlsfp_hello *h, char *buf, size_t size);
int tlsfp_ja4_reason(const struct tlsfp_hello *h, char *buf, size_t size);

#endif /* TLSFP_JA4_H */
