// SPDX-License-Identifier: BSD-2-Clause
/*
 * tlsfp -r: feed each packet of a capture file to the loaded XDP program
 * with BPF_PROG_TEST_RUN, so that a capture goes through exactly the code
 * that runs on an interface.  This loads the program into the kernel, so
 * it needs the same privileges as live mode.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
/* pcap/bpf.h and linux/bpf.h both define struct bpf_insn. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "replay.h"
#include "sweep.h"
#include "tlsfp.skel.h"

#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
/* Largest frame passed on: an IP packet of 64 KiB plus the Ethernet header. */
#define FRAME_MAX (65535 + ETH_HDR_LEN)

/* DLT values not every libpcap header defines. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static uint16_t ip_ethertype(const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		return ETHERTYPE_IPV4;
	case 6:
		return ETHERTYPE_IPV6;
	}
	return 0;
}

/* BSD loopback family values: AF_INET is 2 everywhere, AF_INET6 varies. */
static uint16_t null_ethertype(uint32_t family)
{
	switch (family) {
	case 2:
		return ETHERTYPE_IPV4;
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return ETHERTYPE_IPV6;
	}
	return 0;
}

/*
 * Turn one captured frame into an Ethernet frame for the XDP program.  The
 * link header is replaced by an Ethernet header with zero addresses and the
 * EtherType of the payload.  Returns the frame length, or 0 to skip.
 */
static uint32_t to_ethernet(int dlt, const uint8_t *p, uint32_t len,
			    uint8_t *frame)
{
	uint32_t hdr;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < ETH_HDR_LEN || len > FRAME_MAX)
			return 0;
		memcpy(frame, p, len);
		return len;
	case DLT_LINUX_SLL:
		hdr = 16;
		if (len < hdr)
			return 0;
		type = p[14] << 8 | p[15];
		break;
	case DLT_LINUX_SLL2:
		hdr = 20;
		if (len < hdr)
			return 0;
		type = p[0] << 8 | p[1];
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t fam;

		hdr = 4;
		if (len < hdr)
			return 0;
		memcpy(&fam, p, 4);
		/* DLT_NULL is in the capturing host's byte order. */
		if (dlt == DLT_LOOP)
			fam = ntohl(fam);
		type = null_ethertype(fam);
		if (!type)
			type = null_ethertype(__builtin_bswap32(fam));
		break;
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		hdr = 0;
		type = ip_ethertype(p, len);
		break;
	default:
		return 0;
	}
	if (!type || len - hdr + ETH_HDR_LEN > FRAME_MAX)
		return 0;
	memset(frame, 0, 12);
	frame[12] = type >> 8;
	frame[13] = type & 0xff;
	memcpy(frame + ETH_HDR_LEN, p + hdr, len - hdr);
	return len - hdr + ETH_HDR_LEN;
}

/* Say once how many frames the capture's snap length cut short. */
static void warn_cut_frames(const struct tlsfp_replay_stats *st,
			  const char *path)
{
	if (!st->cut)
		return;
	pr_warn("%s: %llu frames were cut short by the capture's snap length: their payload is missing, so their hellos are counted as malformed or reported truncated",
		path, (unsigned long long)st->cut);
}

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	}
	return false;
}

static pcap_t *open_capture(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	/* "-" is standard input for libpcap too. */
	p = pcap_open_offline_with_tstamp_precision(path,
						     PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	/* Some of libpcap's messages name the file, others do not. */
	if (!p && strstr(errbuf, path))
		pr_err("cannot read capture: %s", errbuf);
	else if (!p)
		pr_err("%s: cannot read capture: %s", path, errbuf);
	return p;
}

int tlsfp_replay(struct tlsfp_session *s, struct tlsfp_bpf *skel,
		 const char *path, struct tlsfp_replay_stats *st)
{
	static uint8_t frame[FRAME_MAX], frame_out[FRAME_MAX];
	int prog_fd = bpf_program__fd(skel->progs.tlsfp_xdp);
	/*
	 * The kernel copies the frame back and fails with ENOSPC when
	 * data_out is missing or short (seen on 6.18).
	 */
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_out = frame_out,
		    .repeat = 1);
	struct pcap_pkthdr *ph;
	const uint8_t *pkt;
	uint64_t before;
	uint32_t len;
	pcap_t *p;
	int dlt, ret, err = 0;

	memset(st, 0, sizeof(*st));
	p = open_capture(path);
	if (!p)
		return -EINVAL;
	dlt = pcap_datalink(p);
	if (!dlt_supported(dlt)) {
		pr_err("%s: link type %s (%d) is not supported; tlsfp reads Ethernet, Linux cooked (SLL, SLL2), raw IP and BSD loopback captures",
		       path, pcap_datalink_val_to_name(dlt) ?: "unknown", dlt);
		pcap_close(p);
		return -EINVAL;
	}

	skel->bss->replay = 1;
	while (!s->stop && !*s->interrupted &&
	       (ret = pcap_next_ex(p, &ph, &pkt)) == 1) {
		st->frames++;
		s->frame = st->frames;
		if (ph->caplen < ph->len)
			st->cut++;
		len = to_ethernet(dlt, pkt, ph->caplen, frame);
		if (!len) {
			st->skipped++;
			continue;
		}
		skel->bss->replay_now_ns = (uint64_t)ph->ts.tv_sec *
					   1000000000 + ph->ts.tv_usec;
		/* Idle partial hellos expire by the capture's clock. */
		tlsfp_session_tick(s, skel->bss->replay_now_ns);
		run.data_in = frame;
		run.data_size_in = len;
		run.data_size_out = sizeof(frame_out);
		if (bpf_prog_test_run_opts(prog_fd, &run)) {
			if (!st->run_errors++)
				pr_warn("%s: frame %llu: BPF_PROG_TEST_RUN failed: %s (counted, continuing)",
					path, (unsigned long long)s->frame,
					strerror(errno));
			continue;
		}
		before = s->reported;
		ring_buffer__consume(s->rb);
		/* Lines appear as they are found, also through a pipe. */
		if (s->reported != before && tlsfp_output_flush(&s->out))
			s->stop = true;
	}
	warn_cut_frames(st, path);
	if (ret == PCAP_ERROR && !*s->interrupted) {
		pr_err("%s: frame %llu: %s", path,
		       (unsigned long long)st->frames + 1, pcap_geterr(p));
		err = -EIO;
	}
	pcap_close(p);
	return err;
}
