// SPDX-License-Identifier: BSD-2-Clause
/*
 * Time tlsfp's XDP and TC programs with BPF_PROG_TEST_RUN, per packet
 * class, against empty programs of the same types, and print what the
 * verifier processed for every program.  Results go to stdout as JSON
 * lines, which bench/report.py turns into BENCHMARKS.md.
 *
 * Usage: bench_prog CLASS_DIR             run every measurement
 *        bench_prog --profile SECONDS CLASS_DIR CLASS
 *                     only run CLASS through tlsfp_xdp for SECONDS, for a
 *                     profiler to sample: a per-flow class such as
 *                     hello_small, or a repeat class such as ack_data
 *
 * CLASS_DIR contains the captures that bench/gen_traffic.py classes writes.
 *
 * Two methods, because a ClientHello changes the maps it is run against:
 *
 * - repeat: one test run of REPEAT runs of the same frame, for which the
 *   kernel reports the mean time of a run.  For classes whose path does
 *   not depend on earlier runs: SYN, data without TLS, UDP, IPv6, and a
 *   hello of a flow already fingerprinted.
 *
 * - per flow: the frame is sent once for each of FLOWS flows (source ports
 *   differ), one test run with repeat 1 each, and the kernel's times are
 *   averaged.  The maps are emptied between rounds, outside the timing.
 *   A repeat-1 time includes the kernel's two clock reads around the run,
 *   so the empty program is timed the same way, call for call, on the same
 *   frames.  The kernel times only the program, never the syscall or the
 *   copy of the frame.
 *
 * Each figure is the best of REPEAT_ROUNDS or FLOW_ROUNDS rounds, because
 * other load on the machine only ever adds time.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench.skel.h"
#include "counters.h"
#include "ja3.h"
#include "ja3_build.h"
#include "tlsfp.skel.h"

#define FRAME_MAX	4096
#define REPEAT		200000
#define REPEAT_ROUNDS	7
#define FLOWS		2048
#define FLOW_ROUNDS	7
/* Source ports of the per-flow runs: FIRST_PORT + flow number. */
#define FIRST_PORT	20000
#define LOG_SIZE	(1 << 20)

/* Return codes: XDP_PASS, XDP_DROP, TC_ACT_UNSPEC and TC_ACT_SHOT. */
#define XDP_PASS_RET	2
#define XDP_DROP_RET	1
#define TC_UNSPEC_RET	0xffffffffu
#define TC_SHOT_RET	2

struct frame {
	uint8_t data[FRAME_MAX];
	uint32_t len;
};

/* A program under test and the empty program of the same type. */
struct hook {
	const char *name;
	int prog_fd;
	int empty_fd;
	uint32_t pass_ret;
	uint32_t drop_ret;
};

/* Counter deltas a class must cause, per run or per flow. */
struct expect {
	int counter;
	uint64_t per_run;
};

#define MAX_EXPECT 3

struct flow_class {
	const char *name;
	const char *file;
	/* Frames of one flow, all timed: 2 for a split hello, else 1. */
	int nr_frames;
	/* Index of the frame whose time the row reports. */
	int timed;
	/* Events each flow must send to the ring buffer. */
	int events;
	bool drop;
	/*
	 * Consume the ring buffer after each flow, as a consumer that keeps
	 * up does.  Otherwise the events of a round stay in the ring buffer
	 * until its end, as with a consumer that falls behind.
	 */
	bool consume_each;
	struct expect expect[MAX_EXPECT];
	int nr_expect;
};

static struct tlsfp_bpf *skel;
static struct bench_bpf *ref;
static struct ring_buffer *rb;
static uint64_t nr_events;
static struct tlsfp_event last_event;
static char log_buf[LOG_SIZE];
static const char *class_dir;

static int on_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(last_event))
		memcpy(&last_event, data, sizeof(last_event));
	nr_events++;
	return 0;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
							noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_prog: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* Read the frames of CLASS_DIR/name into frames; returns their number. */
static int read_frames(const char *name, struct frame *frames, int max)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[4096];
	struct pcap_pkthdr *ph;
	const uint8_t *pkt;
	pcap_t *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", class_dir, name);
	p = pcap_open_offline(path, errbuf);
	if (!p)
		die("%s: cannot read capture: %s", path, errbuf);
	while (n < max && pcap_next_ex(p, &ph, &pkt) == 1) {
		if (ph->caplen > FRAME_MAX)
			die("%s: frame %d is %u bytes, over %d", path, n + 1,
			    ph->caplen, FRAME_MAX);
		memcpy(frames[n].data, pkt, ph->caplen);
		frames[n].len = ph->caplen;
		n++;
	}
	pcap_close(p);
	if (!n)
		die("%s: no frames", path);
	return n;
}

/* Set the TCP source port of an untagged IPv4 or IPv6 frame. */
static void set_sport(struct frame *f, uint16_t port)
{
	bool ipv6 = f->data[12] == 0x86;
	uint32_t off = ipv6 ? 14 + 40 : 14 + 4 * (f->data[14] & 15);

	f->data[off] = port >> 8;
	f->data[off + 1] = port & 0xff;
}

/* One BPF_PROG_TEST_RUN; the kernel's mean ns per run in *ns. */
static uint32_t test_run(int fd, const struct frame *f, uint32_t repeat,
			 uint32_t *ns)
{
	static uint8_t out[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data,
		    .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts))
		die("BPF_PROG_TEST_RUN of a %u-byte frame failed: %s", f->len,
		    strerror(errno));
	*ns = opts.duration;
	return opts.retval;
}

static void read_counters(struct tlsfp_counters *c)
{
	int err = tlsfp_counters_read(bpf_map__fd(skel->maps.counters), c);

	if (err)
		die("read counters: %s", strerror(-err));
}

/*
 * Compare counter deltas with the expected ones; returns "ok" or a
 * description of the first difference, in a static buffer.
 */
static const char *check_counters(const struct tlsfp_counters *before,
				  const struct expect *e, int nr, uint64_t runs)
{
	static char msg[256];
	struct tlsfp_counters after;
	uint64_t got;
	int i;

	read_counters(&after);
	for (i = 0; i < nr; i++) {
		got = after.v[e[i].counter] - before->v[e[i].counter];
		if (got == e[i].per_run * runs)
			continue;
		snprintf(msg, sizeof(msg), "counter %s grew by %llu, expected %llu",
			 tlsfp_counter_name(e[i].counter),
			 (unsigned long long)got,
			 (unsigned long long)(e[i].per_run * runs));
		return msg;
	}
	got = after.v[TLSFP_CNT_RINGBUF_FULL] -
	      before->v[TLSFP_CNT_RINGBUF_FULL];
	if (got) {
		snprintf(msg, sizeof(msg), "%llu events lost: ring buffer full",
			 (unsigned long long)got);
		return msg;
	}
	return "ok";
}

/* Delete every entry of a hash map: collect the keys, then delete them. */
static void clear_map(struct bpf_map *map)
{
	static uint8_t keys[1 << 16][64];
	uint32_t size = bpf_map__key_size(map), n = 0, i;
	int fd = bpf_map__fd(map);
	void *prev = NULL;

	if (size > sizeof(keys[0]))
		die("map %s: key of %u bytes", bpf_map__name(map), size);
	while (n < sizeof(keys) / sizeof(keys[0]) &&
	       !bpf_map_get_next_key(fd, prev, keys[n])) {
		prev = keys[n];
		n++;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys[i]);
}

static void clear_flow_maps(void)
{
	clear_map(skel->maps.flows);
	clear_map(skel->maps.partials);
	clear_map(skel->maps.conns);
	clear_map(skel->maps.blocked_flows);
	skel->bss->nr_blocked_flows = 0;
}

/*
 * Fill the flows map to max_entries with keys no packet has (family 0), so
 * that every insert of a run evicts the least recently used entry.
 */
static void fill_flows(void)
{
	static struct tlsfp_event ev;
	struct tlsfp_flow_key key = {};
	uint32_t i, n = bpf_map__max_entries(skel->maps.flows);
	int fd = bpf_map__fd(skel->maps.flows);

	for (i = 0; i < n; i++) {
		memcpy(key.saddr, &i, sizeof(i));
		if (bpf_map_update_elem(fd, &key, &ev, BPF_ANY))
			die("fill flows map: %s", strerror(errno));
	}
}

static void print_row(const char *hook, const char *cls, const char *method,
		      uint32_t frame_len, uint64_t runs, double ns,
		      double empty_ns, const char *check)
{
	printf("{\"kind\":\"class\",\"hook\":\"%s\",\"class\":\"%s\",\"method\":\"%s\",\"frame_len\":%u,\"runs\":%llu,\"ns\":%.1f,\"empty_ns\":%.1f,\"check\":\"%s\"}\n",
	       hook, cls, method, frame_len, (unsigned long long)runs, ns,
	       empty_ns, check);
	fflush(stdout);
}

/* Time a class of the repeat method on h. */
static void time_repeat(const struct hook *h, const char *cls,
			const char *file, const struct expect *e, int nr)
{
	uint32_t best = UINT32_MAX, best_empty = UINT32_MAX, ns, ret;
	struct tlsfp_counters before;
	struct frame f;
	const char *check = "ok";
	int round;

	read_frames(file, &f, 1);
	/* One run first, so that the flow's state is that of later runs. */
	test_run(h->prog_fd, &f, 1, &ns);
	ring_buffer__consume(rb);
	read_counters(&before);
	for (round = 0; round < REPEAT_ROUNDS; round++) {
		test_run(h->empty_fd, &f, REPEAT, &ns);
		if (ns < best_empty)
			best_empty = ns;
		ret = test_run(h->prog_fd, &f, REPEAT, &ns);
		if (ns < best)
			best = ns;
		if (ret != h->pass_ret)
			check = "unexpected verdict";
	}
	ring_buffer__consume(rb);
	if (!strcmp(check, "ok"))
		check = check_counters(&before, e, nr,
				       (uint64_t)REPEAT * REPEAT_ROUNDS);
	print_row(h->name, cls, "repeat", f.len, REPEAT, best, best_empty,
		  check);
}

struct flow_times {
	uint64_t prog[2];
	uint64_t empty[2];
};

/* Run the frames of flows [0, FLOWS) once each, with their times. */
static const char *run_flows(const struct hook *h,
			     const struct flow_class *c, struct frame *frames,
			     struct flow_times *t)
{
	uint32_t ns, ret, want = c->drop ? h->drop_ret : h->pass_ret;
	const char *check = "ok";
	int flow, i;

	memset(t, 0, sizeof(*t));
	for (flow = 0; flow < FLOWS; flow++) {
		for (i = 0; i < c->nr_frames; i++) {
			set_sport(&frames[i], FIRST_PORT + flow);
			test_run(h->empty_fd, &frames[i], 1, &ns);
			t->empty[i] += ns;
			ret = test_run(h->prog_fd, &frames[i], 1, &ns);
			t->prog[i] += ns;
			if (i == c->nr_frames - 1 && ret != want)
				check = "unexpected verdict";
		}
		if (c->consume_each)
			ring_buffer__consume(rb);
	}
	ring_buffer__consume(rb);
	return check;
}

/*
 * Time a class of the per-flow method on h.  setup runs before each round,
 * after the maps are emptied.
 */
static void time_flows(const struct hook *h, const struct flow_class *c,
		       void (*setup)(void))
{
	double best = 1e18, best_empty = 1e18, ns, empty_ns;
	struct tlsfp_counters before;
	const char *check = "ok", *err;
	struct frame frames[2];
	struct flow_times t;
	uint64_t events;
	int round;

	if (read_frames(c->file, frames, 2) != c->nr_frames)
		die("%s: expected %d frames", c->file, c->nr_frames);
	for (round = 0; round < FLOW_ROUNDS; round++) {
		clear_flow_maps();
		if (setup)
			setup();
		read_counters(&before);
		events = nr_events;
		err = run_flows(h, c, frames, &t);
		ns = (double)t.prog[c->timed] / FLOWS;
		empty_ns = (double)t.empty[c->timed] / FLOWS;
		if (ns < best)
			best = ns;
		if (empty_ns < best_empty)
			best_empty = empty_ns;
		if (strcmp(err, "ok"))
			check = err;
		else if (nr_events - events != (uint64_t)c->events * FLOWS)
			check = "unexpected number of events";
		else if (!strcmp(check, "ok"))
			check = check_counters(&before, c->expect,
					       c->nr_expect, FLOWS);
	}
	clear_flow_maps();
	print_row(h->name, c->name, "per flow", frames[c->timed].len, FLOWS,
		  best, best_empty, check);
}

static struct tlsfp_block_key hello_md5;

/* Block the JA3 of the small hello: every flow of the class matches. */
static void block_hello(void)
{
	struct tlsfp_block_val val = {};

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.block_a), &hello_md5,
				&val, BPF_ANY))
		die("add block entry: %s", strerror(errno));
	skel->bss->block_active = 0;
	skel->bss->block_entries = 1;
}

/* A blocklist with one JA3 that no flow of the class has. */
static void block_other(void)
{
	struct tlsfp_block_key key = { .md5 = { 0xbe, 0x4c } };
	struct tlsfp_block_val val = {};

	clear_map(skel->maps.block_a);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.block_a), &key, &val,
				BPF_ANY))
		die("add block entry: %s", strerror(errno));
	skel->bss->block_active = 0;
	skel->bss->block_entries = 1;
}

static void unblock(void)
{
	clear_map(skel->maps.block_a);
	skel->bss->block_entries = 0;
}

static const struct flow_class flow_classes[] = {
	{
		.name = "hello_small",
		.file = "hello_small.pcap",
		.nr_frames = 1,
		.events = 1,
		.expect = { { TLSFP_CNT_HELLOS, 1 } },
		.nr_expect = 1,
	},
	{
		.name = "hello_small_wakeup",
		.file = "hello_small.pcap",
		.nr_frames = 1,
		.events = 1,
		.consume_each = true,
		.expect = { { TLSFP_CNT_HELLOS, 1 } },
		.nr_expect = 1,
	},
	{
		.name = "hello_large",
		.file = "hello_large.pcap",
		.nr_frames = 1,
		.events = 1,
		.expect = { { TLSFP_CNT_HELLOS, 1 } },
		.nr_expect = 1,
	},
	{
		.name = "split_first",
		.file = "split.pcap",
		.nr_frames = 2,
		.timed = 0,
		.events = 1,
		.expect = { { TLSFP_CNT_PARTIAL_CREATED, 1 } },
		.nr_expect = 1,
	},
	{
		.name = "split_last",
		.file = "split.pcap",
		.nr_frames = 2,
		.timed = 1,
		.events = 1,
		.expect = { { TLSFP_CNT_REASSEMBLED, 1 },
			    { TLSFP_CNT_HELLOS, 1 } },
		.nr_expect = 2,
	},
};

/* Small hellos with the flows map full: each insert evicts an entry. */
static const struct flow_class full_map_class = {
	.name = "hello_small_flows_full",
	.file = "hello_small.pcap",
	.nr_frames = 1,
	.events = 1,
	.expect = { { TLSFP_CNT_HELLOS, 1 } },
	.nr_expect = 1,
};

/* Small hellos looked up in a block map with one other entry. */
static const struct flow_class block_miss_class = {
	.name = "hello_small_blocklist_miss",
	.file = "hello_small.pcap",
	.nr_frames = 1,
	.events = 1,
	.expect = { { TLSFP_CNT_HELLOS, 1 }, { TLSFP_CNT_BLOCKED, 0 } },
	.nr_expect = 2,
};

/* Small hellos whose JA3 is in the block map: dropped. */
static const struct flow_class blocked_class = {
	.name = "hello_small_blocked",
	.file = "hello_small.pcap",
	.nr_frames = 1,
	.events = 1,
	.drop = true,
	.expect = { { TLSFP_CNT_HELLOS, 1 }, { TLSFP_CNT_BLOCKED, 1 } },
	.nr_expect = 2,
};

static void time_hook(const struct hook *h)
{
	const struct expect syn[] = { { TLSFP_CNT_SYN_TRACKED, 1 } };
	const struct expect data[] = { { TLSFP_CNT_TCP_PAYLOAD, 1 },
				       { TLSFP_CNT_HELLOS, 0 } };
	const struct expect udp[] = { { TLSFP_CNT_PACKETS, 1 },
				      { TLSFP_CNT_TCP_PAYLOAD, 0 } };
	const struct expect repeat[] = { { TLSFP_CNT_REPEAT_HELLO, 1 } };
	unsigned int i;

	clear_flow_maps();
	time_repeat(h, "syn", "syn.pcap", syn, 1);
	time_repeat(h, "ack_data", "ack_data.pcap", data, 2);
	time_repeat(h, "udp", "udp.pcap", udp, 2);
	time_repeat(h, "ipv6_data", "ipv6_data.pcap", data, 2);
	time_repeat(h, "hello_repeat", "hello_small.pcap", repeat, 1);
	for (i = 0; i < sizeof(flow_classes) / sizeof(flow_classes[0]); i++)
		time_flows(h, &flow_classes[i], NULL);
	time_flows(h, &full_map_class, fill_flows);
	time_flows(h, &block_miss_class, block_other);
	time_flows(h, &blocked_class, block_hello);
	unblock();
}

/*
 * Run the small hello once and keep its event: the hello fields and the
 * datapath's JA3 MD5 are the input of the JA3 timing and the block entry.
 */
static void capture_hello(const struct hook *h, const char *file,
			  struct tlsfp_event *ev)
{
	struct frame f;
	uint32_t ns;

	read_frames(file, &f, 1);
	set_sport(&f, FIRST_PORT - 1);
	clear_flow_maps();
	nr_events = 0;
	test_run(h->prog_fd, &f, 1, &ns);
	ring_buffer__consume(rb);
	if (nr_events != 1 || !(last_event.ev_flags & TLSFP_EV_KERNEL_MD5))
		die("%s: tlsfp_xdp sent %llu events, expected one with the JA3 MD5",
		    file, (unsigned long long)nr_events);
	*ev = last_event;
	clear_flow_maps();
}

static void to_hex(const uint8_t *b, char *hex)
{
	int i;

	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", b[i]);
}

/* Time md5_xdp and ja3_md5_xdp on the hello of ev. */
static void time_ja3(const char *cls, const struct tlsfp_event *ev)
{
	static uint8_t value[TLSFP_JA3_BUF_SIZE + sizeof(struct tlsfp_hello)];
	static char ja3[TLSFP_JA3_STR_MAX + 1];
	uint32_t best[2] = { UINT32_MAX, UINT32_MAX }, empty = UINT32_MAX;
	char got[33], want[33], md5_hex[TLSFP_MD5_HEX_LEN + 1];
	int fds[2] = { bpf_program__fd(ref->progs.md5_xdp),
		       bpf_program__fd(ref->progs.ja3_md5_xdp) };
	const char *names[2] = { "md5", "ja3_md5" };
	struct frame f = { .len = 64 };
	uint32_t zero = 0, ns;
	int len, round, i;

	len = tlsfp_ja3_string(&ev->hello, ja3, sizeof(ja3));
	if (len < 0 || tlsfp_md5_hex(ja3, len, md5_hex))
		die("%s: no JA3 string", cls);
	/* struct bench_input: the JA3 buffer, then the hello. */
	memset(value, 0, sizeof(value));
	memcpy(value, ja3, len);
	memcpy(value + TLSFP_JA3_BUF_SIZE, &ev->hello, sizeof(ev->hello));
	if (bpf_map__value_size(ref->maps.input) !=
	    TLSFP_JA3_BUF_SIZE + sizeof(ev->hello))
		die("bench.bpf.c: input value is %u bytes, expected %zu",
		    bpf_map__value_size(ref->maps.input),
		    TLSFP_JA3_BUF_SIZE + sizeof(ev->hello));
	if (bpf_map_update_elem(bpf_map__fd(ref->maps.input), &zero, value,
				BPF_ANY))
		die("fill input map: %s", strerror(errno));
	ref->bss->ja3_len = len;

	for (round = 0; round < REPEAT_ROUNDS; round++) {
		test_run(bpf_program__fd(ref->progs.empty_xdp), &f, REPEAT,
			 &ns);
		if (ns < empty)
			empty = ns;
		for (i = 0; i < 2; i++) {
			memset(ref->bss->digest, 0, 16);
			test_run(fds[i], &f, REPEAT, &ns);
			if (ns < best[i])
				best[i] = ns;
			to_hex(ref->bss->digest, got);
			to_hex(ev->ja3_md5, want);
			if (strcmp(got, want) || strcmp(got, md5_hex))
				die("%s: %s gave MD5 %s, expected %s (OpenSSL: %s)",
				    cls, names[i], got, want, md5_hex);
		}
	}
	for (i = 0; i < 2; i++)
		printf("{\"kind\":\"ja3\",\"class\":\"%s\",\"what\":\"%s\",\"ja3_len\":%d,\"runs\":%d,\"ns\":%u,\"empty_ns\":%u,\"check\":\"ok\"}\n",
		       cls, names[i], len, REPEAT, best[i], empty);
	fflush(stdout);
}

/* Pull an unsigned number that follows label in the verifier log. */
static long long log_number(const char *log, const char *label)
{
	const char *p = strstr(log, label);

	return p ? strtoll(p + strlen(label), NULL, 10) : -1;
}

/* Print the name and jited size of each function of a program. */
static void print_funcs(int fd, const char *prog)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info), i, lens[256];
	struct bpf_func_info finfo[256];
	const struct btf_type *t;
	struct btf *btf;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	if (!info.btf_id || info.nr_jited_func_lens > 256 ||
	    info.nr_func_info != info.nr_jited_func_lens)
		return;
	memset(&info, 0, sizeof(info));
	info.nr_jited_func_lens = 256;
	info.jited_func_lens = (uintptr_t)lens;
	info.nr_func_info = 256;
	info.func_info_rec_size = sizeof(finfo[0]);
	info.func_info = (uintptr_t)finfo;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return;
	for (i = 0; i < info.nr_jited_func_lens; i++) {
		t = btf__type_by_id(btf, finfo[i].type_id);
		printf("{\"kind\":\"func\",\"prog\":\"%s\",\"name\":\"%s\",\"jited\":%u}\n",
		       prog, t ? btf__name_by_offset(btf, t->name_off) : "?",
		       lens[i]);
	}
	btf__free(btf);
}

/* Print what the verifier reported for prog, from its level-4 log. */
static void print_prog(const char *object, struct bpf_program *prog,
		       const char *log)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int fd = bpf_program__fd(prog);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	printf("{\"kind\":\"prog\",\"object\":\"%s\",\"name\":\"%s\",\"section\":\"%s\",\"verified_insns\":%u,\"processed_insns\":%lld,\"total_states\":%lld,\"peak_states\":%lld,\"verification_us\":%lld,\"xlated\":%u,\"jited\":%u,\"funcs\":%u}\n",
	       object, bpf_program__name(prog), bpf_program__section_name(prog),
	       info.verified_insns, log_number(log, "processed "),
	       log_number(log, "total_states "),
	       log_number(log, "peak_states "),
	       log_number(log, "verification time "), info.xlated_prog_len,
	       info.jited_prog_len, info.nr_jited_func_lens);
	print_funcs(fd, bpf_program__name(prog));
}

/*
 * Give every program of obj its own part of log_buf at log level 4
 * (BPF_LOG_STATS: the verifier's totals only).
 */
static void set_logs(struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t part = LOG_SIZE / 16, off = 0;

	bpf_object__for_each_program(prog, obj) {
		if (off + part > LOG_SIZE)
			break;
		log_buf[off] = 0;
		bpf_program__set_log_buf(prog, log_buf + off, part);
		bpf_program__set_log_level(prog, 4);
		off += part;
	}
}

static void print_progs(const char *name, struct bpf_object *obj)
{
	struct bpf_program *prog;
	size_t part = LOG_SIZE / 16, off = 0;

	bpf_object__for_each_program(prog, obj) {
		if (off + part > LOG_SIZE)
			break;
		if (bpf_program__autoload(prog))
			print_prog(name, prog, log_buf + off);
		off += part;
	}
}

static void load(void)
{
	int err;

	skel = tlsfp_bpf__open();
	if (!skel)
		die("open tlsfp BPF object: %s", strerror(errno));
	set_logs(skel->obj);
	err = tlsfp_bpf__load(skel);
	if (err)
		die("load tlsfp BPF object: %s", strerror(-err));
	print_progs("tlsfp", skel->obj);

	ref = bench_bpf__open();
	if (!ref)
		die("open bench BPF object: %s", strerror(errno));
	set_logs(ref->obj);
	err = bench_bpf__load(ref);
	if (err)
		die("load bench BPF object: %s", strerror(-err));
	print_progs("bench", ref->obj);

	/* A round's events, each with its 8-byte header, must all fit. */
	if ((uint64_t)FLOWS * ((sizeof(struct tlsfp_event) + 8 + 7) & ~7UL) >
	    bpf_map__max_entries(skel->maps.events))
		die("the events of %d flows do not fit the %u-byte ring buffer",
		    FLOWS, bpf_map__max_entries(skel->maps.events));
	printf("{\"kind\":\"sizes\",\"event\":%zu,\"hello\":%zu}\n",
	       sizeof(struct tlsfp_event), sizeof(struct tlsfp_hello));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL,
			      NULL);
	if (!rb)
		die("open ring buffer: %s", strerror(errno));
}

/* Keep this thread on its CPU: one per-CPU scratch slot, no migrations. */
static void pin_to_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		die("sched_getcpu: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("pin to CPU %d: %s", cpu, strerror(errno));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Return the per-flow class called name, or NULL. */
static const struct flow_class *find_flow_class(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(flow_classes) / sizeof(flow_classes[0]); i++) {
		if (!strcmp(flow_classes[i].name, name))
			return &flow_classes[i];
	}
	return NULL;
}

/*
 * Run cls through tlsfp_xdp for seconds, for a profiler: new flows for a
 * per-flow class, else the repeat method on CLASS_DIR/cls.pcap.  The
 * message on stderr signals to the caller that loading is over.
 */
static void profile(const struct hook *h, const char *cls, double seconds)
{
	const struct flow_class *c = find_flow_class(cls);
	double end = now_s() + seconds;
	struct frame frames[2];
	struct flow_times t;
	char file[256];
	uint32_t ns;

	if (c) {
		read_frames(c->file, frames, 2);
	} else {
		snprintf(file, sizeof(file), "%s.pcap", cls);
		read_frames(file, frames, 1);
	}
	fprintf(stderr, "bench_prog: profiling %s for %.0f s\n", cls, seconds);
	while (now_s() < end) {
		if (!c) {
			test_run(h->prog_fd, &frames[0], REPEAT, &ns);
			continue;
		}
		clear_flow_maps();
		run_flows(h, c, frames, &t);
	}
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct tlsfp_event ev_small, ev_large;
	const char *profile_class = NULL;
	double profile_s = 0;
	struct hook xdp, tc;

	if (argc == 5 && !strcmp(argv[1], "--profile")) {
		profile_s = atof(argv[2]);
		class_dir = argv[3];
		profile_class = argv[4];
	} else if (argc == 2) {
		class_dir = argv[1];
	} else {
		fprintf(stderr, "usage: bench_prog CLASS_DIR\n"
			"       bench_prog --profile SECONDS CLASS_DIR CLASS\n");
		return 2;
	}
	libbpf_set_print(print_libbpf);
	pin_to_cpu();
	load();

	xdp = (struct hook){ "xdp", bpf_program__fd(skel->progs.tlsfp_xdp),
			     bpf_program__fd(ref->progs.empty_xdp),
			     XDP_PASS_RET, XDP_DROP_RET };
	tc = (struct hook){ "tc", bpf_program__fd(skel->progs.tlsfp_tc),
			    bpf_program__fd(ref->progs.empty_tc),
			    TC_UNSPEC_RET, TC_SHOT_RET };
	if (profile_class) {
		profile(&xdp, profile_class, profile_s);
		return 0;
	}

	capture_hello(&xdp, "hello_small.pcap", &ev_small);
	capture_hello(&xdp, "hello_large.pcap", &ev_large);
	memcpy(hello_md5.md5, ev_small.ja3_md5, sizeof(hello_md5.md5));
	time_ja3("hello_small", &ev_small);
	time_ja3("hello_large", &ev_large);
	time_hook(&xdp);
	time_hook(&tc);

	ring_buffer__free(rb);
	bench_bpf__destroy(ref);
	tlsfp_bpf__destroy(skel);
	return 0;
}
