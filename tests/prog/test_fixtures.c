// SPDX-License-Identifier: BSD-2-Clause
/*
 * Feed packet fixtures to the real XDP program with BPF_PROG_TEST_RUN and
 * check, for each manifest row, the program's return code, the ring buffer
 * event and the flows map entry.
 *
 * Usage: test_fixtures MANIFEST.tsv PCAP_DIR
 * Manifest columns: name file frame expect ja3_md5 ja3_string note, where
 * expect is "hello" (an event with that JA3), "noja3" (an event flagged
 * as over a bound, without JA3) or "none" (no event for that frame).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ja3.h"
#include "loader.h"
#include "log.h"
#include "tlsfp.skel.h"

#define MAX_EVENTS 64
#define XDP_PASS_CODE 2

struct got_event {
	unsigned int frame;
	struct tlsfp_event ev;
};

static struct got_event events[MAX_EVENTS];
static unsigned int nr_events, cur_frame;
static int retvals[4096];

static int on_event(void *ctx, void *data, size_t size)
{
	if (size < sizeof(struct tlsfp_event) || nr_events >= MAX_EVENTS)
		return 0;
	events[nr_events].frame = cur_frame;
	memcpy(&events[nr_events].ev, data, sizeof(struct tlsfp_event));
	nr_events++;
	return 0;
}

static void clear_flows(int fd)
{
	struct tlsfp_flow_key key, next;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

/* Run every frame of path through the program; returns frames or -1. */
static int run_file(struct tlsfp_bpf *skel, struct ring_buffer *rb,
		    const char *path)
{
	static uint8_t out[65536 + 64];
	char errbuf[PCAP_ERRBUF_SIZE];
	LIBBPF_OPTS(bpf_test_run_opts, run, .repeat = 1);
	struct pcap_pkthdr *ph;
	const uint8_t *pkt;
	pcap_t *p;

	p = pcap_open_offline(path, errbuf);
	if (!p) {
		printf("#   %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		printf("#   %s: not an Ethernet capture\n", path);
		pcap_close(p);
		return -1;
	}
	nr_events = 0;
	cur_frame = 0;
	clear_flows(bpf_map__fd(skel->maps.flows));
	while (pcap_next_ex(p, &ph, &pkt) == 1 && cur_frame < 4095) {
		cur_frame++;
		run.data_in = pkt;
		run.data_size_in = ph->caplen;
		run.data_out = out;
		run.data_size_out = sizeof(out);
		retvals[cur_frame] = -1;
		if (bpf_prog_test_run_opts(
			    bpf_program__fd(skel->progs.tlsfp_xdp), &run)) {
			printf("#   %s: frame %u: test run failed: %s\n", path,
			       cur_frame, strerror(errno));
			continue;
		}
		retvals[cur_frame] = run.retval;
		ring_buffer__consume(rb);
	}
	pcap_close(p);
	return cur_frame;
}

static struct got_event *event_at(unsigned int frame, int *count)
{
	struct got_event *found = NULL;
	unsigned int i;

	*count = 0;
	for (i = 0; i < nr_events; i++) {
		if (events[i].frame == frame) {
			found = &events[i];
			(*count)++;
		}
	}
	return found;
}

/* The flows map holds the same hello the event carried. */
static int check_flow_entry(struct tlsfp_bpf *skel, const struct got_event *e)
{
	static struct tlsfp_event stored;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &e->ev.key,
				&stored)) {
		printf("#   no flows map entry for the event's flow\n");
		return -1;
	}
	if (memcmp(&stored.hello, &e->ev.hello, sizeof(stored.hello))) {
		printf("#   flows map entry differs from the event\n");
		return -1;
	}
	return 0;
}

static int check_row(struct tlsfp_bpf *skel, char **col)
{
	char ja3[TLSFP_JA3_STR_MAX], md5[TLSFP_MD5_HEX_LEN + 1];
	const char *expect = col[3];
	unsigned int frame = atoi(col[2]);
	struct got_event *e;
	int count, len, bad = 0;

	if (frame == 0 || frame > cur_frame) {
		printf("#   frame %u not in the capture (%u frames)\n", frame,
		       cur_frame);
		return -1;
	}
	if (retvals[frame] != XDP_PASS_CODE) {
		printf("#   frame %u: return code %d, want XDP_PASS\n", frame,
		       retvals[frame]);
		bad = 1;
	}
	e = event_at(frame, &count);
	if (!strcmp(expect, "none")) {
		if (count) {
			printf("#   frame %u: %d events, want none\n", frame,
			       count);
			bad = 1;
		}
		return bad ? -1 : 0;
	}
	if (count != 1) {
		printf("#   frame %u: %d events, want 1\n", frame, count);
		return -1;
	}
	if (check_flow_entry(skel, e))
		bad = 1;
	len = tlsfp_ja3_string(&e->ev.hello, ja3, sizeof(ja3));
	if (!strcmp(expect, "noja3")) {
		if (len != -E2BIG) {
			printf("#   frame %u: JA3 given for a hello over a bound\n",
			       frame);
			bad = 1;
		}
		return bad ? -1 : 0;
	}
	if (len < 0 || tlsfp_md5_hex(ja3, len, md5)) {
		printf("#   frame %u: no JA3 (%d)\n", frame, len);
		return -1;
	}
	if (strcmp(ja3, col[5])) {
		printf("#   JA3 string\n#     got  %s\n#     want %s\n", ja3,
		       col[5]);
		bad = 1;
	}
	if (strcmp(md5, col[4])) {
		printf("#   JA3 hash got %s, want %s\n", md5, col[4]);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* Split a TSV line in place into at most max columns. */
static int split_tsv(char *line, char **col, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		col[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

int main(int argc, char **argv)
{
	/* Packets are run with BPF_PROG_TEST_RUN, as tlsfp -r does. */
	struct tlsfp_loader_opts lo = { .max_flows = 1024, .replay = true };
	struct tlsfp_loader l;
	struct ring_buffer *rb;
	char line[16384], path[4096], last[4096] = "", *col[8];
	int passed = 0, failed = 0, n;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MANIFEST.tsv PCAP_DIR\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("skip - fixtures: needs root to load BPF programs\n");
		printf("0 passed, 0 failed\n");
		return 0;
	}
	tlsfp_log_setup_libbpf();
	if (tlsfp_check_env() || tlsfp_loader_load(&l, &lo))
		return 1;
	rb = ring_buffer__new(bpf_map__fd(l.skel->maps.events), on_event,
			      NULL, NULL);
	f = fopen(argv[1], "r");
	if (!rb || !f) {
		fprintf(stderr, "cannot open ring buffer or %s\n", argv[1]);
		return 1;
	}
	/* Header line. */
	if (!fgets(line, sizeof(line), f))
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (split_tsv(line, col, 7) < 6)
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[2],
			 strrchr(col[1], '/') ? strrchr(col[1], '/') + 1 :
			 col[1]);
		if (strcmp(path, last)) {
			snprintf(last, sizeof(last), "%s", path);
			if (run_file(l.skel, rb, path) < 0) {
				printf("not ok - %s: cannot run %s\n", col[0],
				       path);
				failed++;
				continue;
			}
		}
		n = check_row(l.skel, col);
		printf("%s - %s frame %s (%s)\n", n ? "not ok" : "ok", col[0],
		       col[2], col[3]);
		if (n)
			failed++;
		else
			passed++;
	}
	fclose(f);
	ring_buffer__free(rb);
	tlsfp_loader_close(&l);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
