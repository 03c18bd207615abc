// SPDX-License-Identifier: BSD-2-Clause
/* tlsfp: fingerprint TLS clients from the kernel. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "block.h"
#include "config.h"
#include "counters.h"
#include "events.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "pin.h"
#include "privs.h"
#include "replay.h"
#include "sweep.h"
#include "tlsfp.skel.h"

#define EXIT_USAGE 2
#define DEFAULT_MAX_FLOWS 8192
#define DEFAULT_MAX_PARTIAL 1024
#define DEFAULT_REASM_TIMEOUT 10
#define DEFAULT_LOOK_LIMIT 16384
#define DEFAULT_RINGBUF_MB 4
#define DEFAULT_BLOCK_MAX 65536
#define JA3S_WAIT_NS 2000000000ULL
#define MAX_BLOCK_FILES 64
#define DEFAULT_METRICS_INTERVAL 15

struct options {
	struct tlsfp_loader_opts load;
	const char *read_file;
	const char *block_files[MAX_BLOCK_FILES];
	int nr_block_files;
	bool skip_invalid;
	bool dry_run;
	bool json;
	bool stats;
	int verbose;
	uint64_t count;
	const char *write_file;
	const char *metrics_file;
	unsigned int metrics_interval;
	const char *user;
	const char *pin_dir;
	/* Options are being read from --config, not from the command line. */
	bool in_config;
	bool ifname_from_cli;
};

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
	exiting = sig;
}

static void on_sighup(int sig)
{
	reload_requested = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tlsfp [OPTIONS] IFACE\n"
"       tlsfp [OPTIONS] -r FILE\n"
"Print the JA3 fingerprint of every TLS client seen on IFACE, taken in the\n"
"kernel by an XDP program, or of every client in a capture file.\n"
"\n"
"  -i, --interface IFACE   attach to IFACE (same as the IFACE argument)\n"
"  -r, --read FILE         read a pcap or pcapng file ('-': standard input)\n"
"                          through the same BPF program; needs root too\n"
"  -j, --json              print one JSON object per line (Suricata EVE tls)\n"
"  -w, --write FILE        append the result lines to FILE instead of\n"
"                          standard output; SIGHUP opens FILE again\n"
"  -b, --block FILE        drop clients whose JA3 or JA4 is in FILE: one\n"
"                          fingerprint per line, abuse.ch SSLBL JA3 CSV, or\n"
"                          Suricata rules with ja3.hash or ja4.hash; may be\n"
"                          repeated; SIGHUP reads the files again\n"
"      --dry-run           report blocklist matches, drop nothing\n"
"      --skip-invalid      skip invalid blocklist lines instead of failing\n"
"      --block-max N       JA3 hashes the block map holds (default %d)\n"
"  -c, --count N           exit after N fingerprints\n"
"  -s, --stats             print every datapath counter at exit\n"
"  -v, --verbose           add the JA3 string; repeat for more diagnostics\n"
"  -d, --direction DIR     in (XDP, clients reaching IFACE), out (TC egress,\n"
"                          this host's own clients) or both (default)\n"
"      --xdp-mode MODE     auto (default: native, else generic), native or\n"
"                          generic\n"
"      --force             replace an XDP program already on IFACE\n"
"      --max-flows N       flows remembered, oldest evicted first (default %d)\n"
"      --max-partial N     ClientHellos reassembled at once, oldest evicted\n"
"                          first (default %d, %zu bytes each)\n"
"      --reasm-timeout S   seconds a partial ClientHello may idle (default %d)\n"
"      --hello-max BYTES   bytes kept per ClientHello, record headers\n"
"                          included; a longer one is reported truncated\n"
"                          (512 to %d, default %d)\n"
"      --look-limit BYTES  bytes of a stream after its SYN in which a\n"
"                          ClientHello may start (default %d)\n"
"      --ringbuf-size MB   event ring buffer size, a power of 2 (default %d)\n"
"      --metrics FILE      write the counters to FILE in the Prometheus text\n"
"                          format (for node_exporter's textfile collector)\n"
"      --metrics-interval S  seconds between two writes of the metrics file\n"
"                          (default %d)\n"
"  -Z, --user USER         run as USER once the programs are attached,\n"
"                          keeping only CAP_NET_ADMIN\n"
"      --pin DIR           pin the maps under DIR, on a BPF file system, for\n"
"                          bpftool; removed at exit\n"
"      --config FILE       read options from FILE: one long option per line,\n"
"                          'name value', '#' comments; the command line wins\n"
"  -V, --version           print tlsfp's and libbpf's versions\n"
"  -h, --help              print this help\n",
		DEFAULT_BLOCK_MAX, DEFAULT_MAX_FLOWS, DEFAULT_MAX_PARTIAL,
		sizeof(struct tlsfp_partial), DEFAULT_REASM_TIMEOUT,
		TLSFP_BUF_SIZE, TLSFP_BUF_SIZE, DEFAULT_LOOK_LIMIT,
		DEFAULT_RINGBUF_MB, DEFAULT_METRICS_INTERVAL);
}

enum {
	OPT_XDP_MODE = 256,
	OPT_FORCE,
	OPT_MAX_FLOWS,
	OPT_MAX_PARTIAL,
	OPT_REASM_TIMEOUT,
	OPT_LOOK_LIMIT,
	OPT_HELLO_MAX,
	OPT_RINGBUF_SIZE,
	OPT_DRY_RUN,
	OPT_SKIP_INVALID,
	OPT_BLOCK_MAX,
	OPT_METRICS,
	OPT_METRICS_INTERVAL,
	OPT_PIN,
	OPT_CONFIG,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "direction", required_argument, NULL, 'd' },
	{ "read", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "block", required_argument, NULL, 'b' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "skip-invalid", no_argument, NULL, OPT_SKIP_INVALID },
	{ "block-max", required_argument, NULL, OPT_BLOCK_MAX },
	{ "count", required_argument, NULL, 'c' },
	{ "stats", no_argument, NULL, 's' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "max-partial", required_argument, NULL, OPT_MAX_PARTIAL },
	{ "reasm-timeout", required_argument, NULL, OPT_REASM_TIMEOUT },
	{ "look-limit", required_argument, NULL, OPT_LOOK_LIMIT },
	{ "hello-max", required_argument, NULL, OPT_HELLO_MAX },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE },
	{ "write", required_argument, NULL, 'w' },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "user", required_argument, NULL, 'Z' },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{},
};

/* Parse a decimal number in [min, max] for option name. */
static int parse_u64(const char *name, const char *arg, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max) {
		pr_err("%s: invalid value '%s' (expected a number from %llu to %llu)",
		       name, arg, (unsigned long long)min,
		       (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * Apply one option, from the command line or a --config line.  Returns 0,
 * or EXIT_USAGE after printing why the value is invalid.
 */
static int apply_option(struct options *o, int c, char *arg)
{
	uint64_t v;

	switch (c) {
	case 'i':
		o->load.ifname = arg;
		o->ifname_from_cli = !o->in_config;
		break;
	case 'w':
		o->write_file = arg;
		break;
	case OPT_METRICS:
		o->metrics_file = arg;
		break;
	case OPT_METRICS_INTERVAL:
		if (parse_u64("--metrics-interval", arg, 1, 86400, &v))
			return EXIT_USAGE;
		o->metrics_interval = v;
		break;
	case 'Z':
		o->user = arg;
		break;
	case OPT_PIN:
		o->pin_dir = arg;
		break;
	case OPT_CONFIG:
		/* Read by parse_args() before the command line. */
		break;
	case 'r':
		o->read_file = arg;
		break;
	case 'd':
		if (!strcmp(arg, "in")) {
			o->load.dirs = TLSFP_DIRS_IN;
		} else if (!strcmp(arg, "out")) {
			o->load.dirs = TLSFP_DIRS_OUT;
		} else if (!strcmp(arg, "both")) {
			o->load.dirs = TLSFP_DIRS_BOTH;
		} else {
			pr_err("--direction: invalid value '%s' (expected in, out or both)",
			       arg);
			return EXIT_USAGE;
		}
		break;
	case 'j':
		o->json = true;
		break;
	case 'b':
		if (o->nr_block_files == MAX_BLOCK_FILES) {
			pr_err("--block: more than %d files; merge some",
			       MAX_BLOCK_FILES);
			return EXIT_USAGE;
		}
		o->block_files[o->nr_block_files++] = arg;
		break;
	case OPT_DRY_RUN:
		o->dry_run = true;
		break;
	case OPT_SKIP_INVALID:
		o->skip_invalid = true;
		break;
	case OPT_BLOCK_MAX:
		if (parse_u64("--block-max", arg, 1, 1 << 24, &v))
			return EXIT_USAGE;
		o->load.block_max = v;
		break;
	case 'c':
		if (parse_u64("--count", arg, 1, UINT64_MAX,
			      &o->count))
			return EXIT_USAGE;
		break;
	case 's':
		o->stats = true;
		break;
	case 'v':
		o->verbose++;
		break;
	case 'V':
		printf("tlsfp %s (libbpf %s)\n", TLSFP_VERSION,
		       libbpf_version_string());
		exit(0);
	case 'h':
		usage(stdout);
		exit(0);
	case OPT_XDP_MODE:
		if (!strcmp(arg, "auto")) {
			o->load.xdp_mode = TLSFP_XDP_AUTO;
		} else if (!strcmp(arg, "native")) {
			o->load.xdp_mode = TLSFP_XDP_NATIVE;
		} else if (!strcmp(arg, "generic")) {
			o->load.xdp_mode = TLSFP_XDP_GENERIC;
		} else {
			pr_err("--xdp-mode: invalid mode '%s' (expected auto, native or generic)",
			       arg);
			return EXIT_USAGE;
		}
		break;
	case OPT_FORCE:
		o->load.force = true;
		break;
	case OPT_MAX_FLOWS:
		if (parse_u64("--max-flows", arg, 1, 1 << 24, &v))
			return EXIT_USAGE;
		o->load.max_flows = v;
		break;
	case OPT_MAX_PARTIAL:
		if (parse_u64("--max-partial", arg, 1, 1 << 20, &v))
			return EXIT_USAGE;
		o->load.max_partial = v;
		break;
	case OPT_REASM_TIMEOUT:
		if (parse_u64("--reasm-timeout", arg, 1, 3600, &v))
			return EXIT_USAGE;
		o->load.reasm_timeout_ns = v * 1000000000ULL;
		break;
	case OPT_HELLO_MAX:
		/* The buffers are TLSFP_BUF_SIZE bytes, set at build time. */
		if (parse_u64("--hello-max", arg, 512, TLSFP_BUF_SIZE,
			      &v))
			return EXIT_USAGE;
		o->load.hello_max = v;
		break;
	case OPT_LOOK_LIMIT:
		if (parse_u64("--look-limit", arg, 1, 1 << 30, &v))
			return EXIT_USAGE;
		o->load.look_limit = v;
		break;
	case OPT_RINGBUF_SIZE:
		if (parse_u64("--ringbuf-size", arg, 1, 1024, &v))
			return EXIT_USAGE;
		if (v & (v - 1)) {
			pr_err("--ringbuf-size: invalid value '%s' (expected a power of 2, in MiB)",
			       arg);
			return EXIT_USAGE;
		}
		o->load.ringbuf_size = v << 20;
		break;
	default:
		fprintf(stderr, "Try 'tlsfp --help' for more information.\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int apply_config_line(void *ctx, int val, char *value)
{
	return apply_option(ctx, val, value);
}

/*
 * The --config FILE of the command line, or NULL; the last one counts.
 * getopt_long() takes "--con" and longer prefixes for --config as well,
 * so they are looked for here too.
 */
static const char *find_config(int argc, char **argv)
{
	const char *path = NULL, *eq;
	size_t len;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		eq = strchr(argv[i], '=');
		len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		if (len < 5 || len > 8 || strncmp(argv[i], "--config", len))
			continue;
		if (eq)
			path = eq + 1;
		else if (i + 1 < argc)
			path = argv[++i];
	}
	return path;
}

static void set_defaults(struct options *o)
{
	o->load.xdp_mode = TLSFP_XDP_AUTO;
	o->load.dirs = TLSFP_DIRS_BOTH;
	o->load.max_flows = DEFAULT_MAX_FLOWS;
	o->load.max_partial = DEFAULT_MAX_PARTIAL;
	o->load.reasm_timeout_ns = DEFAULT_REASM_TIMEOUT * 1000000000ULL;
	o->load.look_limit = DEFAULT_LOOK_LIMIT;
	o->load.hello_max = TLSFP_BUF_SIZE;
	o->load.block_max = DEFAULT_BLOCK_MAX;
	o->load.ringbuf_size = DEFAULT_RINGBUF_MB << 20;
	o->metrics_interval = DEFAULT_METRICS_INTERVAL;
}

/* Options that need an interface: they act on a live run. */
static int check_live_only(const struct options *o)
{
	const char *opt = NULL;

	if (o->load.force || o->load.dirs != TLSFP_DIRS_BOTH ||
	    o->load.xdp_mode != TLSFP_XDP_AUTO)
		opt = "--force, --direction and --xdp-mode";
	else if (o->metrics_file)
		opt = "--metrics";
	else if (o->user)
		opt = "--user";
	else if (o->pin_dir)
		opt = "--pin";
	if (!o->read_file || !opt)
		return 0;
	pr_err("%s cannot be combined with -r, which reads a capture, not an interface",
	       opt);
	return EXIT_USAGE;
}

/*
 * Read the options: those of the --config file first, then those of the
 * command line, so that the command line overrides a value of the file
 * (-b files add up).
 */
static int parse_args(int argc, char **argv, struct options *o)
{
	const char *config = find_config(argc, argv);
	int c, err;

	set_defaults(o);
	if (config) {
		o->in_config = true;
		err = tlsfp_config_read(config, long_opts, apply_config_line,
					o);
		o->in_config = false;
		if (err)
			return err;
	}

	while ((c = getopt_long(argc, argv, "i:d:r:jb:c:svVhw:Z:", long_opts,
				NULL)) != -1) {
		err = apply_option(o, c, optarg);
		if (err)
			return err;
	}

	if (optind < argc) {
		if (o->ifname_from_cli) {
			pr_err("interface given twice: '%s' and '%s'",
			       o->load.ifname, argv[optind]);
			return EXIT_USAGE;
		}
		o->load.ifname = argv[optind++];
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (check_live_only(o))
		return EXIT_USAGE;
	if ((o->dry_run || o->skip_invalid) && !o->nr_block_files) {
		pr_err("%s needs a blocklist (-b FILE)",
		       o->dry_run ? "--dry-run" : "--skip-invalid");
		return EXIT_USAGE;
	}
	if (!o->load.ifname == !o->read_file) {
		pr_err(o->read_file ? "give an interface or -r FILE, not both" :
		       "no interface given (usage: tlsfp IFACE, or tlsfp -r FILE)");
		return EXIT_USAGE;
	}
	return 0;
}

/* Memory the kernel sets aside for one map, from its definition. */
static unsigned long long map_bytes(const struct bpf_map *m)
{
	unsigned long long n = bpf_map__max_entries(m);
	int ncpus = libbpf_num_possible_cpus();

	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_RINGBUF:
		return n;
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return n * bpf_map__value_size(m) * (ncpus > 0 ? ncpus : 1);
	default:
		return n * (bpf_map__key_size(m) + bpf_map__value_size(m));
	}
}

static void print_memory(struct tlsfp_bpf *skel)
{
	const struct bpf_map *maps[] = {
		skel->maps.flows, skel->maps.partials, skel->maps.conns,
		skel->maps.events, skel->maps.scratch, skel->maps.counters,
		skel->maps.block_a, skel->maps.block_b,
		skel->maps.blocked_flows, skel->maps.owners,
	};
	unsigned long long total = 0, b;
	unsigned int i;

	fprintf(stderr, "tlsfp: BPF map memory (entries x (key + value); the kernel adds per-entry overhead, see bpftool map show):\n");
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		b = map_bytes(maps[i]);
		total += b;
		fprintf(stderr, "  %-10s %8u entries %12llu bytes\n",
			bpf_map__name(maps[i]), bpf_map__max_entries(maps[i]),
			b);
	}
	fprintf(stderr, "  %-10s %8s         %12llu bytes\n", "total", "", total);
}

/*
 * Partial hellos the LRU map evicted to make room: those started, less
 * those finished by the datapath or the sweep, less those still held.
 */
static long long partial_evictions(struct tlsfp_bpf *skel,
				   const struct tlsfp_counters *c,
				   const struct tlsfp_session *s)
{
	long held = tlsfp_count_entries(bpf_map__fd(skel->maps.partials),
					sizeof(struct tlsfp_flow_key));
	long long n = (long long)c->v[TLSFP_CNT_PARTIAL_CREATED] -
		      (long long)c->v[TLSFP_CNT_PARTIAL_DONE] -
		      (long long)s->timeouts - held;

	return n > 0 ? n : 0;
}

static void print_summary(const struct options *o, struct tlsfp_bpf *skel,
			  const struct tlsfp_session *s)
{
	struct tlsfp_counters c;
	int err;

	err = tlsfp_counters_read(bpf_map__fd(skel->maps.counters), &c);
	if (err) {
		pr_warn("read counters: %s", strerror(-err));
		return;
	}
	fprintf(stderr,
		"tlsfp: %llu ClientHello%s reported, %llu packets, %llu parse errors, %llu events lost\n",
		(unsigned long long)s->reported, s->reported == 1 ? "" : "s",
		(unsigned long long)c.v[TLSFP_CNT_PACKETS],
		(unsigned long long)(c.v[TLSFP_CNT_ERR_L2] +
				     c.v[TLSFP_CNT_ERR_L3] +
				     c.v[TLSFP_CNT_ERR_L4] +
				     c.v[TLSFP_CNT_ERR_RECORD] +
				     c.v[TLSFP_CNT_ERR_HELLO]),
		(unsigned long long)c.v[TLSFP_CNT_RINGBUF_FULL]);
	if (s->md5_mismatches)
		fprintf(stderr, "tlsfp: %llu datapath JA3 MD5 values differed from OpenSSL's\n",
			(unsigned long long)s->md5_mismatches);
	if (!o->stats && !o->verbose)
		return;
	tlsfp_counters_print(stderr, &c, o->stats);
	if (o->stats || s->timeouts)
		fprintf(stderr, "  %-18s %12llu  %s\n", "swept_partial",
			(unsigned long long)s->timeouts,
			"partial hellos expired by the idle sweep");
	if (o->stats) {
		fprintf(stderr, "  %-18s %12lld  %s\n", "evicted_partial",
			partial_evictions(skel, &c, s),
			"partial hellos evicted from a full table");
		fprintf(stderr, "  %-18s %12llu  %s\n", "md5_mismatch",
			(unsigned long long)s->md5_mismatches,
			"datapath JA3 MD5 different from OpenSSL's");
		fprintf(stderr, "  %-18s %12llu  %s\n", "ja3s_unmatched",
			(unsigned long long)s->ja3s_unmatched,
			"ServerHellos printed alone, after their client's line");
		fprintf(stderr, "  %-18s %12llu  %s\n", "ja4_blocked",
			(unsigned long long)s->ja4_blocked,
			"flows blocked by JA4 after their hello passed");
		print_memory(skel);
		if (s->blocker)
			tlsfp_blocker_print_hits(s->blocker, stderr);
	}
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The parts of a live run that outlive the setup in main(). */
struct live {
	const struct options *o;
	struct tlsfp_session *s;
	/* NULL without --metrics. */
	struct tlsfp_metrics *metrics;
};

/* Write the metrics file now.  Returns 0 or -errno. */
static int write_metrics(struct live *lv)
{
	struct tlsfp_counters c;
	int err;

	err = tlsfp_counters_read(bpf_map__fd(lv->s->skel->maps.counters), &c);
	if (err) {
		pr_err("--metrics: read counters: %s", strerror(-err));
		return err;
	}
	return tlsfp_metrics_write(lv->metrics, &c, lv->s);
}

/* SIGHUP: open the -w file again and read the blocklists again. */
static void reload(struct live *lv)
{
	const struct options *o = lv->o;
	int err;

	if (o->write_file) {
		err = tlsfp_output_reopen(&lv->s->out, o->write_file);
		if (err)
			pr_err("reopen %s failed: %s (lines still go to the file opened before)",
			       o->write_file, strerror(-err));
	}
	if (lv->s->blocker)
		tlsfp_blocker_reload(lv->s->blocker);
	else if (!o->write_file)
		pr_warn("SIGHUP ignored: no blocklist (-b) to reload and no -w file to reopen");
}

/*
 * Flush the result lines; returns true when the run must stop.  A closed
 * pipe (EPIPE, as after "| head") ends it cleanly.  Any other write error,
 * such as a full file system under -w, ends it with an error, so that a
 * service manager restarts tlsfp.
 */
static bool output_failed(struct live *lv)
{
	const char *name = lv->o->write_file ? lv->o->write_file :
					       "standard output";
	int err = tlsfp_output_flush(&lv->s->out);

	if (!err)
		return false;
	if (err != -EPIPE) {
		pr_err("write to %s failed: %s; stopping (free space or fix the output, then start tlsfp again)",
		       name, strerror(-err));
		lv->s->err = err;
	}
	return true;
}

static int run_live(struct live *lv)
{
	struct tlsfp_session *s = lv->s;
	uint64_t now;
	int err = 0;

	while (!exiting && !s->stop) {
		/* Flushed first, so that a reopen falls between whole lines. */
		if (output_failed(lv))
			s->stop = true;
		if (reload_requested) {
			reload_requested = 0;
			reload(lv);
		}
		/* bpf_ktime_get_ns() is CLOCK_MONOTONIC too. */
		now = monotonic_ns();
		/* The datapath drops only while this is recent. */
		tlsfp_loader_heartbeat(s->skel, now);
		tlsfp_session_tick(s, now);
		if (lv->metrics && now >= lv->metrics->next_ns) {
			write_metrics(lv);
			lv->metrics->next_ns = now + lv->metrics->interval_ns;
		}
		/*
		 * The datapath wakes the loader only for a backlog, so lone
		 * events wait for this timeout: at most 100 ms.
		 */
		err = ring_buffer__poll(s->rb, 100);
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0) {
			pr_err("poll ring buffer: %s", strerror(-err));
			return err;
		}
		/* poll() reads only a ring that signalled a wakeup. */
		err = ring_buffer__consume(s->rb);
		if (err < 0) {
			pr_err("read ring buffer: %s", strerror(-err));
			return err;
		}
		err = 0;
		if (output_failed(lv))
			s->stop = true;
	}
	/* Events queued before the stop. */
	if (!s->stop)
		ring_buffer__consume(s->rb);
	return s->err ? s->err : err;
}

static int run_replay(const struct options *o, struct tlsfp_session *s,
		      struct tlsfp_bpf *skel)
{
	struct tlsfp_replay_stats st;
	int err;

	err = tlsfp_replay(s, skel, o->read_file, &st);
	if (st.skipped)
		pr_info("%s: %llu frames not IP or too short, skipped",
			o->read_file, (unsigned long long)st.skipped);
	if (st.run_errors)
		pr_warn("%s: BPF_PROG_TEST_RUN failed on %llu frames",
			o->read_file, (unsigned long long)st.run_errors);
	return err ? err : s->err;
}

/*
 * Load with SIGINT, SIGTERM and SIGHUP blocked: the verifier stops with
 * EAGAIN when a signal is pending, and libbpf retries only a few times, so
 * repeated reloads during a start would fail it.  The signals are handled
 * after the load.
 */
static int load_quietly(struct tlsfp_loader *l,
			const struct tlsfp_loader_opts *o)
{
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	err = tlsfp_loader_load(l, o);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Resources of the service options, set up around the load. */
struct service {
	struct tlsfp_user user;
	/* The -w file, or NULL for standard output. */
	FILE *out;
	struct tlsfp_pin pin;
	struct tlsfp_metrics metrics;
	bool has_metrics;
};

/*
 * Check the values of -Z, -w and --pin before anything is loaded, so that
 * a bad one fails the start with nothing attached.
 */
static int check_service(const struct options *o, struct service *sv)
{
	if (o->user && tlsfp_user_lookup(o->user, &sv->user))
		return -ENOENT;
	if (o->pin_dir && tlsfp_pin_check_dir(o->pin_dir))
		return -EINVAL;
	if (o->write_file) {
		sv->out = tlsfp_output_open(o->write_file);
		if (!sv->out) {
			pr_err("--write %s: %s (check the path and that its directory exists)",
			       o->write_file, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/*
 * After the attach: give up root for -Z, then write the metrics file once,
 * as the user that will write it from now on, so that a directory it
 * cannot write fails the start.
 */
static int start_service(const struct options *o, struct service *sv,
			 struct live *lv)
{
	int err;

	if (o->user) {
		err = tlsfp_pin_chown(&sv->pin, sv->user.uid, sv->user.gid);
		if (!err)
			err = tlsfp_drop_privileges(&sv->user);
		if (err)
			return err;
	}
	if (o->metrics_file) {
		err = tlsfp_metrics_init(&sv->metrics, o->metrics_file,
					 o->load.ifname, o->metrics_interval);
		if (err)
			return err;
		sv->has_metrics = true;
		lv->metrics = &sv->metrics;
		err = write_metrics(lv);
		if (err)
			return err;
		sv->metrics.next_ns = monotonic_ns() +
				      sv->metrics.interval_ns;
	}
	return 0;
}

static void stop_service(struct service *sv, struct live *lv)
{
	/* A SIGHUP may have replaced the -w stream that sv->out opened. */
	FILE *out = lv->s->out.f ? lv->s->out.f : sv->out;

	if (sv->has_metrics && lv->s->skel)
		write_metrics(lv);
	tlsfp_metrics_free(&sv->metrics);
	tlsfp_pin_remove(&sv->pin);
	if (sv->out && fclose(out))
		pr_err("close %s: %s", lv->o->write_file, strerror(errno));
	sv->out = NULL;
}

int main(int argc, char **argv)
{
	struct tlsfp_blocker blocker = {};
	struct tlsfp_session s = {};
	struct tlsfp_loader l = {};
	struct service sv = {};
	struct options o = {};
	struct live lv = { .o = &o, .s = &s };
	int err;

	err = parse_args(argc, argv, &o);
	if (err)
		return err;
	tlsfp_log_level = TLSFP_LOG_WARN + o.verbose;
	tlsfp_log_setup_libbpf();
	/* Writes to a closed pipe return EPIPE and end the run cleanly. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Set before the load, which takes seconds: a SIGHUP from "systemctl
	 * reload" then would otherwise end the run, and systemd counts an
	 * exit by SIGHUP as clean, so Restart=on-failure would not start
	 * tlsfp again.  A signal that comes early is acted on once the main
	 * loop starts.  No SA_RESTART: a read of a capture from a pipe must
	 * return.
	 */
	set_handler(SIGINT, on_signal);
	set_handler(SIGTERM, on_signal);
	set_handler(SIGHUP, on_sighup);

	if (o.nr_block_files) {
		blocker.files = o.block_files;
		blocker.nr_files = o.nr_block_files;
		blocker.skip_invalid = o.skip_invalid;
		blocker.dry_run = o.dry_run;
		blocker.max_entries = o.load.block_max;
		/* Bad files fail here, before anything is loaded. */
		if (tlsfp_blocker_check(&blocker))
			return 1;
		o.load.dry_run = o.dry_run;
	}
	if (tlsfp_check_env())
		return 1;
	if (check_service(&o, &sv))
		goto fail;
	o.load.replay = !!o.read_file;
	if (load_quietly(&l, &o.load))
		goto fail;
	if (o.nr_block_files) {
		blocker.skel = l.skel;
		if (tlsfp_blocker_install(&blocker))
			goto fail;
		s.blocker = &blocker;
	}
	s.skel = l.skel;
	if (o.pin_dir && tlsfp_pin_maps(&sv.pin, l.skel, o.pin_dir))
		goto fail;

	tlsfp_output_init(&s.out, sv.out ? sv.out : stdout, o.json, o.verbose,
			  !!o.read_file);
	s.out.blocking = o.nr_block_files > 0;
	s.limit = o.count;
	s.partials_fd = bpf_map__fd(l.skel->maps.partials);
	/*
	 * A ServerHello is seen only if the reverse direction is: with both
	 * hooks, or in a capture.  Wait that long for it before printing.
	 */
	if (o.read_file || o.load.dirs == TLSFP_DIRS_BOTH)
		s.hold_ns = JA3S_WAIT_NS;
	s.timeout_ns = o.load.reasm_timeout_ns;
	s.hello_max = o.load.hello_max;
	if (tlsfp_session_open(&s, bpf_map__fd(l.skel->maps.events)))
		goto fail;

	s.interrupted = &exiting;
	if (o.read_file) {
		err = run_replay(&o, &s, l.skel);
		/* An unreadable capture: nothing was run, no summary. */
		if (err == -EINVAL)
			goto fail;
	} else if (!exiting) {
		err = tlsfp_loader_attach(&l, &o.load);
		if (err)
			goto fail;
		if (start_service(&o, &sv, &lv))
			goto fail;
		pr_info("%s: fingerprinting TLS clients; Ctrl-C to stop",
			l.ifname);
		err = run_live(&lv);
	}

	/* Held hellos whose ServerHello did not come. */
	tlsfp_session_flush(&s, UINT64_MAX);
	tlsfp_output_flush(&s.out);
	print_summary(&o, l.skel, &s);
	stop_service(&sv, &lv);
	tlsfp_session_close(&s);
	tlsfp_loader_close(&l);
	tlsfp_blocker_free(&blocker);
	return err ? 1 : 0;

fail:
	stop_service(&sv, &lv);
	tlsfp_session_close(&s);
	tlsfp_loader_close(&l);
	tlsfp_blocker_free(&blocker);
	return 1;
}
