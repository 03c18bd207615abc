// SPDX-License-Identifier: BSD-2-Clause
/*
 * Run bpf/md5.h and bpf/ja3_build.h in the kernel through BPF_PROG_TEST_RUN
 * (tests/prog/md5_test.bpf.c) and compare with OpenSSL's MD5 and with
 * tlsfp_ja3_string() in user/ja3.c.  Also prints, as '#' lines, the
 * verifier's statistics, the program sizes and the time per run against an
 * empty XDP program.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <openssl/evp.h>

#include "../unit/check.h"
#include "ja3.h"
#include "ja3_build.h"
#include "md5.h"
#include "md5_test.skel.h"

/* Layout and modes of tests/prog/md5_test.bpf.c. */
#define TEST_HDR_LEN		14
#define MD5_TEST_MESSAGE	0
#define MD5_TEST_HELLO		1

#define XDP_PASS_CODE		2
/* Stop a looping test after this many failed checks. */
#define MAX_REPORTED		5
#define TIMING_REPEAT		100000
#define TIMING_ROUNDS		5

static struct md5_test_bpf *skel;
/* Values of the per-CPU scratch map, one per possible CPU, 8-aligned. */
static uint8_t *percpu_values;
static size_t percpu_stride;
static int run_cpu, nr_cpus;
static uint8_t pkt[TEST_HDR_LEN + TLSFP_MD5_MAX_LEN];
static struct tlsfp_hello hello;
static uint32_t rng_state = 2463534242u;

/* xorshift32: the same pseudo-random sequence on every run. */
static uint32_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void to_hex(const uint8_t digest[16], char hex[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

/*
 * Run prog on pkt[0, size) repeat times.  Returns the program's return
 * code, or -1 if the run failed, and stores the kernel's average time per
 * run in *ns_per_run.
 */
static int run_prog(struct bpf_program *prog, uint32_t size, int repeat,
		    uint32_t *ns_per_run)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = size, .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		err = -errno;
		printf("#   BPF_PROG_TEST_RUN of %s with %u bytes failed: %s\n",
		       bpf_program__name(prog), size, strerror(-err));
		return -1;
	}
	if (ns_per_run)
		*ns_per_run = opts.duration;
	return (int)opts.retval;
}

/* Hash msg in the kernel.  Returns 0 and the digest, or -1. */
static int kernel_md5(const void *msg, uint32_t len, uint8_t digest[16])
{
	int ret;

	memcpy(pkt + TEST_HDR_LEN, msg, len);
	skel->bss->mode = MD5_TEST_MESSAGE;
	memset(skel->bss->md5_digest, 0, 16);
	ret = run_prog(skel->progs.md5_xdp, TEST_HDR_LEN + len, 1, NULL);
	if (ret != XDP_PASS_CODE) {
		printf("#   length %u: program returned %d\n", len, ret);
		return -1;
	}
	memcpy(digest, skel->bss->md5_digest, 16);
	return 0;
}

static void md5_every_length(void)
{
	static uint8_t msg[TLSFP_MD5_MAX_LEN];
	uint8_t got[16], want[16];
	char got_hex[33], want_hex[33];
	unsigned int n = 0;
	uint32_t len, i;

	for (len = 0; len <= TLSFP_MD5_MAX_LEN; len++) {
		for (i = 0; i < len; i++)
			msg[i] = next_random() >> 24;
		CHECK(EVP_Digest(msg, len, want, &n, EVP_md5(), NULL),
		      "EVP_Digest failed at length %u", len);
		if (kernel_md5(msg, len, got)) {
			CHECK(0, "length %u: run failed", len);
		} else {
			to_hex(got, got_hex);
			to_hex(want, want_hex);
			CHECK(!memcmp(got, want, 16),
			      "length %u: got %s, want %s", len, got_hex,
			      want_hex);
		}
		if (check_failed_in_test >= MAX_REPORTED)
			break;
	}
}

/*
 * The JA3 string the last run left in the scratch buffer of the CPU that
 * ran it.
 */
static const uint8_t *kernel_ja3_string(void)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.scratch), &zero,
				percpu_values))
		return NULL;
	/* The map value starts with the JA3 buffer. */
	return percpu_values + run_cpu * percpu_stride;
}

/*
 * Build the JA3 string and MD5 of h in the kernel and compare with
 * user/ja3.c and OpenSSL.  Returns 0 if they agree.
 */
static int check_ja3(const char *name, const struct tlsfp_hello *h)
{
	static char want[TLSFP_JA3_STR_MAX + 1];
	char want_md5[TLSFP_MD5_HEX_LEN + 1], got_md5[33];
	int want_len, ret, failed = check_failed_in_test;
	const uint8_t *got;

	want_len = tlsfp_ja3_string(h, want, sizeof(want));
	memcpy(pkt + TEST_HDR_LEN, h, sizeof(*h));
	skel->bss->mode = MD5_TEST_HELLO;
	skel->bss->ja3_ret = 1;
	skel->bss->ja3_len = 0;
	ret = run_prog(skel->progs.md5_xdp, TEST_HDR_LEN + sizeof(*h), 1,
		       NULL);
	CHECK(ret == XDP_PASS_CODE, "%s: program returned %d", name, ret);
	if (ret != XDP_PASS_CODE)
		return -1;

	if (want_len < 0) {
		CHECK(skel->bss->ja3_ret == -1, "%s: ja3_ret %d, want -1",
		      name, skel->bss->ja3_ret);
		return check_failed_in_test > failed ? -1 : 0;
	}
	CHECK(skel->bss->ja3_ret == 0, "%s: ja3_ret %d, want 0", name,
	      skel->bss->ja3_ret);
	CHECK(skel->bss->ja3_len == (uint32_t)want_len,
	      "%s: length %u, want %d", name, skel->bss->ja3_len, want_len);
	got = kernel_ja3_string();
	CHECK(got != NULL, "%s: cannot read the scratch map", name);
	if (got && skel->bss->ja3_len == (uint32_t)want_len)
		CHECK(!memcmp(got, want, want_len),
		      "%s: got \"%.*s\", want \"%s\"", name, want_len, got,
		      want);

	to_hex(skel->bss->md5_digest, got_md5);
	CHECK_EQ_INT(tlsfp_md5_hex(want, want_len, want_md5), 0);
	CHECK(!strcmp(got_md5, want_md5), "%s: MD5 %s, want %s", name,
	      got_md5, want_md5);
	return check_failed_in_test > failed ? -1 : 0;
}

static void set_list16(uint16_t *dst, uint16_t *nr, const uint16_t *src,
		       unsigned int n)
{
	memcpy(dst, src, n * sizeof(*src));
	*nr = n;
}

/* A TLS 1.3 browser-like hello, GREASE first and last. */
static void fill_browser_hello(void)
{
	static const uint16_t ciphers[] = { 0x2a2a, 4865, 4866, 4867, 49195,
					    49199, 49196, 49200, 52393, 52392,
					    49171, 49172, 156, 157, 47, 53 };
	static const uint16_t exts[] = { 0xfafa, 0, 23, 65281, 10, 11, 35,
					 16, 5, 13, 18, 51, 45, 43, 27, 21,
					 0x1a1a };
	static const uint16_t groups[] = { 0x8a8a, 29, 23, 24 };

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = 0x0303;
	set_list16(hello.ciphers, &hello.nr_ciphers, ciphers,
		   sizeof(ciphers) / sizeof(ciphers[0]));
	set_list16(hello.exts, &hello.nr_exts, exts,
		   sizeof(exts) / sizeof(exts[0]));
	set_list16(hello.groups, &hello.nr_groups, groups,
		   sizeof(groups) / sizeof(groups[0]));
	hello.nr_point_formats = 1;
}

static void fill_hello_at_bounds(uint16_t value, uint8_t point_format)
{
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = value;
	hello.nr_ciphers = TLSFP_MAX_CIPHERS;
	hello.nr_exts = TLSFP_MAX_EXTS;
	hello.nr_groups = TLSFP_MAX_GROUPS;
	hello.nr_point_formats = TLSFP_MAX_POINT_FORMATS;
	for (i = 0; i < TLSFP_MAX_CIPHERS; i++)
		hello.ciphers[i] = value;
	for (i = 0; i < TLSFP_MAX_EXTS; i++)
		hello.exts[i] = value;
	for (i = 0; i < TLSFP_MAX_GROUPS; i++)
		hello.groups[i] = value;
	for (i = 0; i < TLSFP_MAX_POINT_FORMATS; i++)
		hello.point_formats[i] = point_format;
}

/* Random counts up to the bounds and values, a quarter of them GREASE. */
static void fill_random_hello(void)
{
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	hello.legacy_version = next_random();
	hello.nr_ciphers = next_random() % (TLSFP_MAX_CIPHERS + 1);
	hello.nr_exts = next_random() % (TLSFP_MAX_EXTS + 1);
	hello.nr_groups = next_random() % (TLSFP_MAX_GROUPS + 1);
	hello.nr_point_formats = next_random() % (TLSFP_MAX_POINT_FORMATS + 1);
	for (i = 0; i < TLSFP_MAX_CIPHERS; i++)
		hello.ciphers[i] = next_random() % 4 ?
					   next_random() :
					   0x0a0a + next_random() % 16 * 0x1010;
	for (i = 0; i < TLSFP_MAX_EXTS; i++)
		hello.exts[i] = next_random() % 4 ?
					next_random() % 70 :
					0x0a0a + next_random() % 16 * 0x1010;
	for (i = 0; i < TLSFP_MAX_GROUPS; i++)
		hello.groups[i] = next_random() % 4 ?
					  next_random() :
					  0x0a0a + next_random() % 16 * 0x1010;
	for (i = 0; i < TLSFP_MAX_POINT_FORMATS; i++)
		hello.point_formats[i] = next_random();
}

static void ja3_fixed_hellos(void)
{
	unsigned int i;

	memset(&hello, 0, sizeof(hello));
	check_ja3("version 0, no lists", &hello);
	fill_browser_hello();
	check_ja3("browser-like hello", &hello);

	memset(&hello, 0, sizeof(hello));
	hello.nr_ciphers = 16;
	hello.nr_exts = 16;
	hello.nr_groups = 16;
	for (i = 0; i < 16; i++) {
		hello.ciphers[i] = 0x0a0a + i * 0x1010;
		hello.exts[i] = 0xfafa - i * 0x1010;
		hello.groups[i] = 0x0a0a + i * 0x1010;
	}
	check_ja3("GREASE only", &hello);

	fill_hello_at_bounds(65535, 255);
	check_ja3("all 65535 at the bounds", &hello);
	CHECK_EQ_INT(skel->bss->ja3_len, TLSFP_JA3_MAX_LEN);
	fill_hello_at_bounds(0, 0);
	check_ja3("all 0 at the bounds", &hello);
}

static void ja3_random_hellos(void)
{
	char name[32];
	unsigned int n;

	for (n = 0; n < 500; n++) {
		fill_random_hello();
		snprintf(name, sizeof(name), "random hello %u", n);
		check_ja3(name, &hello);
		if (check_failed_in_test >= MAX_REPORTED)
			break;
	}
}

/* Hellos over a bound give no JA3, and check_ja3 expects ja3_ret -1. */
static void ja3_rejects_over_bound(void)
{
	fill_browser_hello();
	hello.flags = TLSFP_HELLO_F_CIPHERS_OVER;
	check_ja3("ciphers over", &hello);
	hello.flags = TLSFP_HELLO_F_POINT_FORMATS_OVER;
	check_ja3("point formats over", &hello);
	hello.flags = 0;
	/*
	 * A count over the bound without its flag: user/ja3.c would read past
	 * the array, so only the kernel's rejection is checked.
	 */
	hello.nr_exts = TLSFP_MAX_EXTS + 1;
	memcpy(pkt + TEST_HDR_LEN, &hello, sizeof(hello));
	skel->bss->mode = MD5_TEST_HELLO;
	skel->bss->ja3_ret = 1;
	CHECK_EQ_INT(run_prog(skel->progs.md5_xdp,
			      TEST_HDR_LEN + sizeof(hello), 1, NULL),
		     XDP_PASS_CODE);
	CHECK_EQ_INT(skel->bss->ja3_ret, -1);
}

/* Print, for each program, what the verifier processed and the sizes. */
static void print_prog_stats(struct bpf_program *prog, const char *log)
{
	struct bpf_prog_info info = {};
	uint32_t info_len = sizeof(info);
	const char *line;

	line = strstr(log, "processed ");
	if (line)
		printf("# verifier: %s: %.*s\n", bpf_program__name(prog),
		       (int)strcspn(line, "\n"), line);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len))
		printf("# size: %s: xlated %u bytes (%u insns), jited %u bytes\n",
		       bpf_program__name(prog), info.xlated_prog_len,
		       info.xlated_prog_len / 8, info.jited_prog_len);
}

/*
 * Time one input against the empty program, alternating, and keep the
 * fastest of TIMING_ROUNDS rounds of each: other load on the machine only
 * ever adds time.
 */
static void time_input(const char *what, int mode, uint32_t size,
		       uint32_t ja3_len)
{
	uint32_t md5_ns = UINT32_MAX, empty_ns = UINT32_MAX, ns;
	int round;

	skel->bss->mode = mode;
	for (round = 0; round < TIMING_ROUNDS; round++) {
		if (run_prog(skel->progs.empty_xdp, size, TIMING_REPEAT,
			     &ns) != XDP_PASS_CODE)
			goto fail;
		if (ns < empty_ns)
			empty_ns = ns;
		if (run_prog(skel->progs.md5_xdp, size, TIMING_REPEAT, &ns) !=
		    XDP_PASS_CODE)
			goto fail;
		if (ns < md5_ns)
			md5_ns = ns;
	}
	printf("# time: %s, JA3 %u bytes: %u ns per run, empty XDP program %u ns, difference %d ns (best of %d rounds of %d runs)\n",
	       what, ja3_len, md5_ns, empty_ns, (int)(md5_ns - empty_ns),
	       TIMING_ROUNDS, TIMING_REPEAT);
	return;
fail:
	printf("# time: %s: run failed\n", what);
}

/* Time MD5 alone and JA3 plus MD5 for a short and a long JA3 string. */
static void print_timing(void)
{
	static char ja3[TLSFP_JA3_STR_MAX + 1];
	unsigned int i;
	int len;

	fill_browser_hello();
	len = tlsfp_ja3_string(&hello, ja3, sizeof(ja3));
	memcpy(pkt + TEST_HDR_LEN, ja3, len);
	time_input("MD5 of a JA3 string", MD5_TEST_MESSAGE,
		   TEST_HDR_LEN + len, len);
	memcpy(pkt + TEST_HDR_LEN, &hello, sizeof(hello));
	time_input("JA3 string and MD5 of a hello", MD5_TEST_HELLO,
		   TEST_HDR_LEN + sizeof(hello), len);

	/* About 500 bytes: 70 cipher suites and 25 extensions. */
	for (i = 0; i < 70; i++)
		hello.ciphers[i] = 49152 + i;
	hello.nr_ciphers = 70;
	for (i = 0; i < 25; i++)
		hello.exts[i] = i * 1000 + 1;
	hello.nr_exts = 25;
	len = tlsfp_ja3_string(&hello, ja3, sizeof(ja3));
	memcpy(pkt + TEST_HDR_LEN, ja3, len);
	time_input("MD5 of a JA3 string", MD5_TEST_MESSAGE,
		   TEST_HDR_LEN + len, len);
	memcpy(pkt + TEST_HDR_LEN, &hello, sizeof(hello));
	time_input("JA3 string and MD5 of a hello", MD5_TEST_HELLO,
		   TEST_HDR_LEN + sizeof(hello), len);
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Keep this thread on one CPU, so that its scratch slot is known. */
static int pin_to_cpu(void)
{
	cpu_set_t set;

	run_cpu = sched_getcpu();
	if (run_cpu < 0)
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(run_cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return 0;
}

int main(void)
{
	static char md5_log[1 << 16], empty_log[1 << 16];
	int err;

	if (geteuid() != 0) {
		printf("skip - md5_kernel: needs root to load BPF programs\n");
		printf("0 passed, 0 failed\n");
		return 0;
	}
	libbpf_set_print(print_libbpf);
	err = pin_to_cpu();
	if (err) {
		fprintf(stderr, "test_md5_kernel: failed to pin the thread to its CPU: %s\n",
			strerror(-err));
		return 1;
	}
	nr_cpus = libbpf_num_possible_cpus();
	if (nr_cpus <= 0 || run_cpu >= nr_cpus) {
		fprintf(stderr, "test_md5_kernel: invalid CPU numbers: %d possible CPUs, running on CPU %d\n",
			nr_cpus, run_cpu);
		return 1;
	}

	skel = md5_test_bpf__open();
	if (!skel) {
		fprintf(stderr, "test_md5_kernel: failed to open md5_test.bpf.o: %s\n",
			strerror(errno));
		return 1;
	}
	/* The kernel copies per-CPU values at 8-byte strides. */
	percpu_stride = (bpf_map__value_size(skel->maps.scratch) + 7) & ~7UL;
	percpu_values = calloc(nr_cpus, percpu_stride);
	if (!percpu_values) {
		fprintf(stderr, "test_md5_kernel: out of memory\n");
		return 1;
	}
	/* Level 4 (BPF_LOG_STATS): only the verifier's totals. */
	bpf_program__set_log_buf(skel->progs.md5_xdp, md5_log,
				 sizeof(md5_log));
	bpf_program__set_log_level(skel->progs.md5_xdp, 4);
	bpf_program__set_log_buf(skel->progs.empty_xdp, empty_log,
				 sizeof(empty_log));
	bpf_program__set_log_level(skel->progs.empty_xdp, 4);
	err = md5_test_bpf__load(skel);
	if (err) {
		fprintf(stderr, "test_md5_kernel: failed to load md5_test.bpf.o: %s\n%s",
			strerror(-err), md5_log);
		return 1;
	}
	print_prog_stats(skel->progs.md5_xdp, md5_log);
	print_prog_stats(skel->progs.empty_xdp, empty_log);

	RUN_TEST(md5_every_length);
	RUN_TEST(ja3_fixed_hellos);
	RUN_TEST(ja3_random_hellos);
	RUN_TEST(ja3_rejects_over_bound);
	print_timing();

	md5_test_bpf__destroy(skel);
	free(percpu_values);
	return check_summary();
}
