// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the datapath's parsers, built for the host from the
 * same source as the BPF program: the packet header walk, the ClientHello
 * parser, the record walk and defragmentation of a reassembled stream, and
 * the JA3 string built from whatever parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "ja3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlsfp_hello h;
	static struct tlsfp_records r;
	static struct tlsfp_server_hello sh;
	static char ja3s[TLSFP_JA3S_STR_MAX];
	static uint8_t dst[TLSFP_BUF_SIZE + TLSFP_COPY_CHUNK];
	static char ja3[TLSFP_JA3_STR_MAX];
	struct tlsfp_pkt pkt;
	uint8_t *copy;
	uint32_t len;

	if (size > TLSFP_BUF_SIZE)
		return 0;
	/* An exact-size heap copy, so that ASan reports any over-read. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	memset(&pkt, 0, sizeof(pkt));
	if (tlsfp_parse_pkt(copy, copy + size, size, &pkt) == TLSFP_OK &&
	    (pkt.payload_off > size || pkt.payload_len > size - pkt.payload_off))
		abort();

	memset(&h, 0, sizeof(h));
	if (tlsfp_parse_hello(copy, size, &h) == TLSFP_OK)
		tlsfp_ja3_string(&h, ja3, sizeof(ja3));

	memset(&sh, 0, sizeof(sh));
	if (tlsfp_parse_server_hello(copy, size, &sh) == TLSFP_OK)
		tlsfp_ja3s_string(&sh, ja3s, sizeof(ja3s));

	memset(&r, 0, sizeof(r));
	if (tlsfp_find_hello(copy, size, TLSFP_BUF_SIZE, &r) == TLSFP_OK) {
		if (r.nr == 0 || r.nr > TLSFP_MAX_RECORDS)
			abort();
		len = tlsfp_defrag_hello(copy, &r, dst);
		memset(&h, 0, sizeof(h));
		if (tlsfp_parse_hello(dst, len, &h) == TLSFP_OK)
			tlsfp_ja3_string(&h, ja3, sizeof(ja3));
	}
	free(copy);
	return 0;
}
