// SPDX-License-Identifier: BSD-2-Clause
/*
 * Result lines on stdout: a text line per ClientHello, or a JSON object
 * shaped like a Suricata EVE "tls" event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "blocklist.h"
#include "ja3.h"
#include "output.h"
#include "proc.h"

void tlsfp_output_init(struct tlsfp_output *o, FILE *f, bool json,
		       int verbose, bool replay)
{
	struct timespec mono, real;

	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	o->verbose = verbose;
	o->replay = replay;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	o->mono_to_real_ns = (int64_t)(real.tv_sec - mono.tv_sec) * 1000000000 +
			     (real.tv_nsec - mono.tv_nsec);
}

/* Address of the client (src) or server, without the port. */
void tlsfp_format_addr(const struct tlsfp_flow_key *k, bool src, char *buf,
		       size_t size)
{
	const __u8 *a = src ? k->saddr : k->daddr;
	int af = k->family == TLSFP_AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, a, buf, size))
		snprintf(buf, size, "?");
}

/*
 * The highest version the client offers: the largest non-GREASE entry of
 * supported_versions (RFC 8446 4.2.1) if present, else legacy_version.
 */
uint16_t tlsfp_hello_version(const struct tlsfp_hello *h)
{
	uint16_t best = 0;
	unsigned int i, n = h->nr_versions;

	if (n > TLSFP_MAX_VERSIONS)
		n = TLSFP_MAX_VERSIONS;
	for (i = 0; i < n; i++) {
		if (!tlsfp_is_grease(h->versions[i]) && h->versions[i] > best)
			best = h->versions[i];
	}
	return best ? best : h->legacy_version;
}

const char *tlsfp_version_name(uint16_t v, char *buf, size_t size)
{
	switch (v) {
	case 0x0300:
		return "SSL 3.0";
	case 0x0301:
		return "TLS 1.0";
	case 0x0302:
		return "TLS 1.1";
	case 0x0303:
		return "TLS 1.2";
	case 0x0304:
		return "TLS 1.3";
	}
	snprintf(buf, size, "0x%04x", v);
	return buf;
}

/*
 * Copy bytes from the wire as printable ASCII: anything else, and the
 * backslash, becomes \xNN, so that a hostile SNI can neither inject
 * terminal escapes nor break a JSON consumer expecting UTF-8.
 */
static void escape(const uint8_t *s, size_t len, char *buf, size_t size,
		   uint8_t lowest)
{
	size_t o = 0, i;

	if (!size)
		return;
	for (i = 0; i < len && o + 5 < size; i++) {
		if (s[i] >= lowest && s[i] < 0x7f && s[i] != '\\')
			buf[o++] = s[i];
		else
			o += snprintf(buf + o, size - o, "\\x%02x", s[i]);
	}
	buf[o] = '\0';
}

void tlsfp_escape_bytes(const uint8_t *s, size_t len, char *buf, size_t size)
{
	escape(s, len, buf, size, 0x20);
}

/* As tlsfp_escape_bytes(), and a space too, which separates text fields. */
static void escape_field(const uint8_t *s, size_t len, char *buf,
			 size_t size)
{
	escape(s, len, buf, size, 0x21);
}

static void format_time(const struct tlsfp_output *o, uint64_t ts_ns,
			bool iso, char *buf, size_t size)
{
	uint64_t real = o->replay ? ts_ns : ts_ns + o->mono_to_real_ns;
	time_t sec = real / 1000000000;
	long usec = (real % 1000000000) / 1000;
	char date[32], zone[8];
	struct tm tm;

	localtime_r(&sec, &tm);
	if (iso) {
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof(zone), "%z", &tm);
		snprintf(buf, size, "%s.%06ld%s", date, usec, zone);
	} else {
		strftime(date, sizeof(date), "%H:%M:%S", &tm);
		snprintf(buf, size, "%s.%06ld", date, usec);
	}
}

static void format_endpoint(const struct tlsfp_flow_key *k, bool src,
			    char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	tlsfp_format_addr(k, src, addr, sizeof(addr));
	snprintf(buf, size, k->family == TLSFP_AF_INET6 ? "[%s]:%u" :
		 "%s:%u", addr, src ? k->sport : k->dport);
}

/*
 * Process of an outbound hello: name[pid], or "unknown" when its socket
 * connected before tlsfp started or the packet was forwarded.
 */
static void format_process(const struct tlsfp_event *ev, char *buf,
			   size_t size)
{
	char comm[4 * TLSFP_COMM_LEN + 1];

	if (!(ev->ev_flags & TLSFP_EV_OWNER)) {
		snprintf(buf, size, "unknown");
		return;
	}
	escape_field((const uint8_t *)ev->owner.comm,
		     strnlen(ev->owner.comm, TLSFP_COMM_LEN), comm, sizeof(comm));
	snprintf(buf, size, "%s[%u]", comm, ev->owner.pid);
}

static struct json_object *process_object(const struct tlsfp_event *ev)
{
	struct json_object *p;
	char comm[4 * TLSFP_COMM_LEN + 1];
	const char *cgroup;

	if (!(ev->ev_flags & TLSFP_EV_OWNER))
		return NULL;
	p = json_object_new_object();
	json_object_object_add(p, "pid", json_object_new_int64(ev->owner.pid));
	tlsfp_escape_bytes((const uint8_t *)ev->owner.comm,
			   strnlen(ev->owner.comm, TLSFP_COMM_LEN), comm,
			   sizeof(comm));
	json_object_object_add(p, "name", json_object_new_string(comm));
	json_object_object_add(p, "uid", json_object_new_int64(ev->owner.uid));
	json_object_object_add(p, "cgroup_id",
			       json_object_new_int64(ev->owner.cgroup_id));
	cgroup = tlsfp_cgroup_path(ev->owner.cgroup_id);
	if (cgroup)
		json_object_object_add(p, "cgroup",
				       json_object_new_string(cgroup));
	return p;
}

/* The version the server chose: supported_versions, else legacy. */
static uint16_t server_version(const struct tlsfp_server_hello *sh)
{
	return sh->selected_version ? sh->selected_version :
				      sh->legacy_version;
}

static void add_server(struct json_object *tls, const struct tlsfp_report *r)
{
	struct json_object *ja3s = json_object_new_object();
	char buf[16];

	json_object_object_add(ja3s, "hash",
			       json_object_new_string(r->ja3s_md5));
	json_object_object_add(ja3s, "string",
			       json_object_new_string(r->ja3s_string));
	json_object_object_add(tls, "ja3s", ja3s);
	json_object_object_add(tls, "server_version", json_object_new_string(
		tlsfp_version_name(server_version(r->server), buf,
				   sizeof(buf))));
	snprintf(buf, sizeof(buf), "0x%04x", r->server->cipher);
	json_object_object_add(tls, "cipher_suite",
			       json_object_new_string(buf));
	if (r->server->hrr)
		json_object_object_add(tls, "hello_retry_request",
				       json_object_new_boolean(1));
}

/* Direction of the hello: "in" from XDP, "out" from the egress program. */
static const char *dir_name(const struct tlsfp_event *ev)
{
	return ev->direction == TLSFP_DIR_EGRESS ? "out" : "in";
}

static int print_text(const struct tlsfp_output *o,
		      const struct tlsfp_report *r)
{
	const struct tlsfp_event *ev = r->ev;
	const struct tlsfp_hello *h = &ev->hello;
	char ts[64], src[64], dst[64], sni[4 * TLSFP_MAX_SNI + 8];

	format_time(o, ev->ts_ns, false, ts, sizeof(ts));
	format_endpoint(&ev->key, true, src, sizeof(src));
	format_endpoint(&ev->key, false, dst, sizeof(dst));
	if (h->sni_len)
		escape_field(h->sni, h->sni_len, sni, sizeof(sni));
	else
		snprintf(sni, sizeof(sni), "-");

	if (ev->ev_flags & (TLSFP_EV_TRUNCATED | TLSFP_EV_TOO_LARGE)) {
		fprintf(o->f, "%s %s %s -> %s ja3=- (%s)\n", ts, dir_name(ev),
			src, dst, r->no_ja3_reason);
		return 0;
	}
	if (r->server_only) {
		char vbuf[16];

		fprintf(o->f, "%s %s %s -> %s ja3s=%s server=%s/0x%04x%s\n", ts,
			dir_name(ev), src, dst, r->ja3s_md5,
			tlsfp_version_name(server_version(r->server), vbuf,
					   sizeof(vbuf)),
			r->server->cipher, r->server->hrr ? " hrr=yes" : "");
		return 0;
	}
	fprintf(o->f, "%s %s %s -> %s", ts, dir_name(ev), src, dst);
	if (ev->direction == TLSFP_DIR_EGRESS) {
		char proc[128];

		format_process(ev, proc, sizeof(proc));
		fprintf(o->f, " proc=%s", proc);
	}
	fprintf(o->f, " sni=%s", sni);
	if (r->ja3_md5)
		fprintf(o->f, " ja3=%s", r->ja3_md5);
	else
		fprintf(o->f, " ja3=- (%s)", r->no_ja3_reason);
	if (r->ja4)
		fprintf(o->f, " ja4=%s", r->ja4);
	else
		fprintf(o->f, " ja4=- (%s)", r->no_ja4_reason);
	if (r->server) {
		char vbuf[16];

		fprintf(o->f, " ja3s=%s server=%s/0x%04x%s", r->ja3s_md5,
			tlsfp_version_name(server_version(r->server), vbuf,
					   sizeof(vbuf)),
			r->server->cipher,
			r->server->hrr ? " hrr=yes" : "");
	}
	if (o->blocking && r->action) {
		fprintf(o->f, " action=%s", r->action);
		if (r->entry)
			fprintf(o->f, " list=%s%s%s", r->entry->source,
				r->entry->reason[0] ? " reason=" : "",
				r->entry->reason);
	}
	if (o->verbose && r->ja3_string)
		fprintf(o->f, " ja3_string=%s", r->ja3_string);
	if (o->verbose && r->ja4_raw)
		fprintf(o->f, " ja4_r=%s", r->ja4_raw);
	if (o->verbose && r->ja3s_string)
		fprintf(o->f, " ja3s_string=%s", r->ja3s_string);
	fputc('\n', o->f);
	return 0;
}

/* ALPN protocol names from the raw list, as Suricata's "client_alpns". */
static struct json_object *alpn_array(const struct tlsfp_hello *h)
{
	struct json_object *arr = json_object_new_array();
	char name[4 * 255 + 1];
	unsigned int off = 0, len = h->alpn_len;

	if (len > TLSFP_MAX_ALPN)
		len = TLSFP_MAX_ALPN;
	while (off < len) {
		unsigned int n = h->alpn[off];

		/* The last name may be cut at TLSFP_MAX_ALPN: leave it out. */
		if (!n || off + 1 + n > len)
			break;
		tlsfp_escape_bytes(h->alpn + off + 1, n, name, sizeof(name));
		json_object_array_add(arr, json_object_new_string(name));
		off += 1 + n;
	}
	return arr;
}

/* The blocklist entry that matched: what, where from, and why. */
static struct json_object *entry_object(const struct tlsfp_report *r)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "fingerprint", json_object_new_string(
		r->entry->kind == TLSFP_FP_JA3 ? "ja3" : "ja4"));
	json_object_object_add(e, "entry",
			       json_object_new_string(r->entry->fp));
	json_object_object_add(e, "source",
			       json_object_new_string(r->entry->source));
	if (r->entry->reason[0])
		json_object_object_add(e, "reason", json_object_new_string(
			r->entry->reason));
	/* JA4 matches are found by the loader, after the hello passed. */
	if (r->entry->kind == TLSFP_FP_JA4)
		json_object_object_add(e, "hello_passed",
				       json_object_new_boolean(1));
	return e;
}

static int print_json(const struct tlsfp_output *o,
		      const struct tlsfp_report *r)
{
	const struct tlsfp_event *ev = r->ev;
	const struct tlsfp_hello *h = &ev->hello;
	struct json_object *root, *tls, *ja3;
	char ts[64], addr[INET6_ADDRSTRLEN], sni[4 * TLSFP_MAX_SNI + 8];
	char vbuf[16];

	root = json_object_new_object();
	format_time(o, ev->ts_ns, true, ts, sizeof(ts));
	json_object_object_add(root, "timestamp", json_object_new_string(ts));
	json_object_object_add(root, "event_type",
			       json_object_new_string("tls"));
	tlsfp_format_addr(&ev->key, true, addr, sizeof(addr));
	json_object_object_add(root, "src_ip", json_object_new_string(addr));
	json_object_object_add(root, "src_port",
			       json_object_new_int(ev->key.sport));
	tlsfp_format_addr(&ev->key, false, addr, sizeof(addr));
	json_object_object_add(root, "dest_ip", json_object_new_string(addr));
	json_object_object_add(root, "dest_port",
			       json_object_new_int(ev->key.dport));
	json_object_object_add(root, "proto", json_object_new_string("TCP"));
	if (r->ifname)
		json_object_object_add(root, "in_iface",
				       json_object_new_string(r->ifname));
	json_object_object_add(root, "direction",
			       json_object_new_string(dir_name(ev)));
	/* null: an outbound hello whose process is not known. */
	if (ev->direction == TLSFP_DIR_EGRESS)
		json_object_object_add(root, "process", process_object(ev));
	if (r->frame)
		json_object_object_add(root, "pcap_cnt",
				       json_object_new_int64(r->frame));

	tls = json_object_new_object();
	if (r->server_only) {
		add_server(tls, r);
		json_object_object_add(root, "tls", tls);
		goto print;
	}
	if (ev->ev_flags & (TLSFP_EV_TRUNCATED | TLSFP_EV_TOO_LARGE)) {
		json_object_object_add(tls, "truncated",
				       json_object_new_boolean(1));
		json_object_object_add(tls, "ja3_error",
				       json_object_new_string(r->no_ja3_reason));
		json_object_object_add(tls, "segments",
				       json_object_new_int(ev->nr_segments));
		json_object_object_add(root, "tls", tls);
		goto print;
	}
	json_object_object_add(tls, "segments",
			       json_object_new_int(ev->nr_segments));
	if (h->flags & TLSFP_HELLO_F_HAS_SNI) {
		tlsfp_escape_bytes(h->sni, h->sni_len, sni, sizeof(sni));
		json_object_object_add(tls, "sni",
				       json_object_new_string(sni));
	}
	json_object_object_add(tls, "version", json_object_new_string(
		tlsfp_version_name(tlsfp_hello_version(h), vbuf,
				   sizeof(vbuf))));
	if (r->ja3_md5) {
		ja3 = json_object_new_object();
		json_object_object_add(ja3, "hash",
				       json_object_new_string(r->ja3_md5));
		json_object_object_add(ja3, "string",
				       json_object_new_string(r->ja3_string));
		json_object_object_add(tls, "ja3", ja3);
	} else {
		json_object_object_add(tls, "ja3_error",
				       json_object_new_string(r->no_ja3_reason));
	}
	if (r->ja4) {
		json_object_object_add(tls, "ja4", json_object_new_string(r->ja4));
		json_object_object_add(tls, "ja4_r",
				       json_object_new_string(r->ja4_raw));
	} else if (r->no_ja4_reason) {
		json_object_object_add(tls, "ja4_error",
				       json_object_new_string(r->no_ja4_reason));
	}
	if (h->flags & TLSFP_HELLO_F_HAS_ALPN)
		json_object_object_add(tls, "client_alpns", alpn_array(h));
	if (r->server)
		add_server(tls, r);
	json_object_object_add(root, "tls", tls);
	if (r->action)
		json_object_object_add(root, "action",
				       json_object_new_string(r->action));
	if (r->entry)
		json_object_object_add(root, "blocklist", entry_object(r));
print:
	fprintf(o->f, "%s\n", json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

/*
 * Print one ClientHello.  The stream is flushed by tlsfp_output_flush()
 * after each batch of events, not after each line: a flush per line cost
 * about 8% of the loader's time.
 */
int tlsfp_output_report(const struct tlsfp_output *o,
			const struct tlsfp_report *r)
{
	int err = o->json ? print_json(o, r) : print_text(o, r);

	if (ferror(o->f))
		return errno ? -errno : -EIO;
	return err;
}

int tlsfp_output_flush(const struct tlsfp_output *o)
{
	if (fflush(o->f) == EOF || ferror(o->f))
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * Open the -w file for appending.  Lines are written whole between two
 * flushes of the loop, so another process may append to the same file.
 */
FILE *tlsfp_output_open(const char *path)
{
	return fopen(path, "ae");
}

/*
 * SIGHUP with -w: flush what the old file is owed, then switch to a file
 * opened again at path (a new one after logrotate renamed the old).  The
 * stream contains only whole lines here, so no line is split or
 * written twice.  If path cannot be opened, the old file stays in use.
 */
int tlsfp_output_reopen(struct tlsfp_output *o, const char *path)
{
	int err = tlsfp_output_flush(o);
	FILE *f;

	if (err)
		return err;
	f = tlsfp_output_open(path);
	if (!f)
		return -errno;
	if (fclose(o->f))
		err = errno ? -errno : -EIO;
	o->f = f;
	return err;
}
