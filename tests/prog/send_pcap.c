// SPDX-License-Identifier: BSD-2-Clause
/*
 * Send every frame of a capture out of an interface, once, and print how
 * many the kernel accepted and how many it refused.
 *
 * Usage: send_pcap IFACE FILE
 * Output: "sent N refused M" on standard output.
 *
 * A frame that an egress program drops (TC_ACT_SHOT) makes the packet
 * socket's send fail with ENOBUFS.  tcpreplay retries such a frame without
 * end; this program counts it as refused and goes on, so a test can tell
 * which frames tlsfp dropped.
 */
#include <stdio.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	unsigned long sent = 0, refused = 0;
	struct pcap_pkthdr *hdr;
	const u_char *frame;
	pcap_t *in, *out;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IFACE FILE\n", argv[0]);
		return 2;
	}
	in = pcap_open_offline(argv[2], errbuf);
	if (!in) {
		fprintf(stderr, "send_pcap: cannot read %s: %s\n", argv[2],
			errbuf);
		return 1;
	}
	out = pcap_open_live(argv[1], 65535, 0, 100, errbuf);
	if (!out) {
		fprintf(stderr, "send_pcap: cannot open %s: %s\n", argv[1],
			errbuf);
		pcap_close(in);
		return 1;
	}
	while ((ret = pcap_next_ex(in, &hdr, &frame)) == 1) {
		if (pcap_inject(out, frame, hdr->caplen) == (int)hdr->caplen)
			sent++;
		else
			refused++;
	}
	if (ret == PCAP_ERROR)
		fprintf(stderr, "send_pcap: %s: %s\n", argv[2], pcap_geterr(in));
	printf("sent %lu refused %lu\n", sent, refused);
	pcap_close(out);
	pcap_close(in);
	return ret == PCAP_ERROR;
}
