// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counters in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector.  The file is written under a
 * temporary name and renamed, so that a reader sees either the old or the
 * new file whole, never a partial one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "block.h"
#include "counters.h"
#include "events.h"
#include "log.h"
#include "metrics.h"

int tlsfp_metrics_init(struct tlsfp_metrics *m, const char *path,
		       const char *ifname, unsigned int interval_s)
{
	struct timespec now;

	memset(m, 0, sizeof(*m));
	if (asprintf(&m->tmp_path, "%s.tmp", path) < 0) {
		m->tmp_path = NULL;
		return -ENOMEM;
	}
	m->path = path;
	m->ifname = ifname;
	m->interval_ns = (uint64_t)interval_s * 1000000000;
	clock_gettime(CLOCK_REALTIME, &now);
	m->start_time = now.tv_sec + now.tv_nsec / 1e9;
	return 0;
}

void tlsfp_metrics_free(struct tlsfp_metrics *m)
{
	free(m->tmp_path);
	m->tmp_path = NULL;
}

/* A label value with '\', '"' and newline escaped, as the format requires. */
static void print_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void print_header(FILE *f, const char *name, const char *type,
			 const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; direction NULL for a count of the loader as a whole. */
static void print_sample(FILE *f, const struct tlsfp_metrics *m,
			 const char *name, const char *direction,
			 unsigned long long v)
{
	fprintf(f, "%s{interface=\"", name);
	print_label_value(f, m->ifname);
	if (direction)
		fprintf(f, "\",direction=\"%s", direction);
	fprintf(f, "\"} %llu\n", v);
}

/* A counter with one series per direction. */
static void print_by_dir(FILE *f, const struct tlsfp_metrics *m,
			 const char *name, const char *help, uint64_t in,
			 uint64_t out)
{
	print_header(f, name, "counter", help);
	print_sample(f, m, name, "in", in);
	print_sample(f, m, name, "out", out);
}

static void print_all(FILE *f, const struct tlsfp_metrics *m,
		      const struct tlsfp_counters *c,
		      const struct tlsfp_session *s)
{
	char name[128];
	unsigned int i;

	for (i = 0; i < TLSFP_CNT_MAX; i++) {
		snprintf(name, sizeof(name), "tlsfp_%s_total",
			 tlsfp_counter_name(i));
		print_by_dir(f, m, name, tlsfp_counter_help(i),
			     c->dir[TLSFP_DIR_INGRESS][i],
			     c->dir[TLSFP_DIR_EGRESS][i]);
	}
	print_by_dir(f, m, "tlsfp_reported_total",
		     "ClientHello lines written",
		     s->reported_by_dir[TLSFP_DIR_INGRESS],
		     s->reported_by_dir[TLSFP_DIR_EGRESS]);
	print_by_dir(f, m, "tlsfp_blocked_reported_total",
		     "ClientHello lines with action blocked",
		     s->blocked_by_dir[TLSFP_DIR_INGRESS],
		     s->blocked_by_dir[TLSFP_DIR_EGRESS]);

	print_header(f, "tlsfp_md5_mismatch_total", "counter",
		     "datapath JA3 MD5 different from OpenSSL's");
	print_sample(f, m, "tlsfp_md5_mismatch_total", NULL,
		     (unsigned long long)s->md5_mismatches);
	print_header(f, "tlsfp_swept_partial_total", "counter",
		     "partial hellos expired by the idle sweep");
	print_sample(f, m, "tlsfp_swept_partial_total", NULL,
		     (unsigned long long)s->timeouts);
	print_header(f, "tlsfp_ja4_blocked_total", "counter",
		     "flows blocked by JA4 after their hello passed");
	print_sample(f, m, "tlsfp_ja4_blocked_total", NULL,
		     (unsigned long long)s->ja4_blocked);
	if (s->blocker) {
		print_header(f, "tlsfp_blocklist_entries", "gauge",
			     "JA3 entries in the active block map");
		print_sample(f, m, "tlsfp_blocklist_entries", NULL,
			     s->blocker->nr_ja3);
	}
	print_header(f, "tlsfp_start_time_seconds", "gauge",
		     "start of this run, seconds since the epoch");
	fprintf(f, "tlsfp_start_time_seconds{interface=\"");
	print_label_value(f, m->ifname);
	fprintf(f, "\"} %.3f\n", m->start_time);
}

/*
 * Write the metrics file: FILE.tmp, then rename(2) over FILE.  Returns 0 or
 * -errno; a failure is logged once until a write succeeds again.
 */
int tlsfp_metrics_write(struct tlsfp_metrics *m,
			const struct tlsfp_counters *c,
			const struct tlsfp_session *s)
{
	char what[2 * PATH_MAX + 16];
	int err = 0, fd;
	FILE *f;

	snprintf(what, sizeof(what), "write %s", m->tmp_path);
	fd = open(m->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	/*
	 * 0644 whatever the umask (the unit sets 0027): node_exporter reads
	 * the file as its own user, and the counters are not secret.
	 */
	if (fd < 0 || fchmod(fd, 0644)) {
		err = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(m->tmp_path);
		}
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	print_all(f, m, c, s);
	if (fclose(f)) {
		err = -errno;
		unlink(m->tmp_path);
		goto out;
	}
	if (rename(m->tmp_path, m->path)) {
		err = -errno;
		snprintf(what, sizeof(what), "rename %s to %s", m->tmp_path,
			 m->path);
		unlink(m->tmp_path);
	}
out:
	if (err && !m->failing)
		pr_err("--metrics: %s: %s (the directory must be writable by tlsfp's user)",
		       what, strerror(-err));
	if (!err && m->failing)
		pr_warn("--metrics: %s written again", m->path);
	m->failing = err != 0;
	return err;
}
