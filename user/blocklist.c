// SPDX-License-Identifier: BSD-2-Clause
/*
 * Blocklist files.  Each file has one of three formats, detected from its
 * first data line, the first line that is neither blank nor a '#' comment.
 * These checks run in order, and the first that matches decides:
 *
 * 1. SSLBL JA3 CSV, when a comment line before the first data line names
 *    the columns "ja3_md5,Firstseen,Lastseen,Listingreason" (in any case).
 * 2. Suricata rules, when the line starts with a rule action and a blank.
 * 3. SSLBL JA3 CSV, when the line has a comma before any '#'.
 * 4. A plain list.
 *
 * Every later data line is parsed in the detected format, and each format
 * checks every field, so a line of another format is reported as invalid
 * instead of being read as something else.  An info message names the
 * format chosen.
 *
 * Lines may end in CRLF, and a UTF-8 byte order mark before the first line
 * is skipped, so files saved on Windows load unchanged.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blocklist.h"
#include "ja3.h"
#include "ja4.h"

/* Bytes of a value that a message shows before "...". */
#define QUOTE_MAX 64
/* Each shown byte may become "\xNN", followed by "..." and the NUL. */
#define QUOTE_SIZE (QUOTE_MAX * 4 + 4)

#define JA4_EXAMPLE "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define SSLBL_COLUMNS "ja3_md5,Firstseen,Lastseen,Listingreason"

enum file_format {
	FORMAT_UNKNOWN,
	FORMAT_PLAIN,
	FORMAT_SSLBL_CSV,
	FORMAT_SURICATA,
};

static const char *const format_names[] = {
	[FORMAT_PLAIN] = "a plain list",
	[FORMAT_SSLBL_CSV] = "SSLBL JA3 CSV",
	[FORMAT_SURICATA] = "Suricata rules",
};

/* Fingerprint kinds that a field may contain. */
enum fp_expect {
	EXPECT_JA3_OR_JA4,
	EXPECT_JA3,
	EXPECT_JA4,
};

/* State of one tlsfp_blocklist_load() call. */
struct load {
	struct tlsfp_blocklist *bl;
	const char *path;
	/* bl->n before this file, for undoing a failed load. */
	size_t first;
	size_t entries;
	size_t ignored;
	size_t invalid;
	/* Number of the line, or first line of the rule, being parsed. */
	unsigned int line;
	enum file_format format;
	/* A comment before the first data line named the SSLBL columns. */
	bool sslbl_header;
	bool skip_invalid;
	/* -ENOMEM once an append has failed. */
	int err;
};

static void report(const struct tlsfp_blocklist *bl,
		   enum tlsfp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(const struct tlsfp_blocklist *bl,
		   enum tlsfp_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (bl->report)
		bl->report(bl->report_ctx, level, msg);
	else
		tlsfp_log(level, "%s", msg);
}

/*
 * Report the current line as invalid, as an error that fails the file or
 * as a warning when invalid lines are skipped.
 */
static void report_invalid(struct load *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report_invalid(struct load *ld, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	ld->invalid++;
	if (ld->invalid > TLSFP_BLOCKLIST_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ld->bl, ld->skip_invalid ? TLSFP_LOG_WARN : TLSFP_LOG_ERR,
	       "%s:%u: %s", ld->path, ld->line, msg);
}

/* Report a valid rule that gives no entry, as a warning only. */
static void report_ignored(struct load *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report_ignored(struct load *ld, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	ld->ignored++;
	if (ld->ignored > TLSFP_BLOCKLIST_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ld->bl, TLSFP_LOG_WARN, "%s:%u: rule ignored: %s", ld->path,
	       ld->line, msg);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * Copy len bytes of s into buf for a message.  Bytes outside printable
 * ASCII, the single quote and the backslash become "\xNN", and a value
 * longer than QUOTE_MAX bytes ends in "...".
 */
static const char *quote(char buf[QUOTE_SIZE], const char *s, size_t len)
{
	size_t i, out = 0;

	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			out += sprintf(buf + out, "\\x%02x", c);
		else
			buf[out++] = c;
	}
	if (len > QUOTE_MAX) {
		memcpy(buf + out, "...", 3);
		out += 3;
	}
	buf[out] = '\0';
	return buf;
}

/*
 * Copy len bytes of s into dst as a NUL-terminated string.  Text longer
 * than dst is cut before the character that does not fit whole (UTF-8),
 * and control characters become spaces so that a reason prints on one
 * line.
 */
static void copy_text(char *dst, size_t size, const char *s, size_t len)
{
	size_t i;

	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	dst[len] = '\0';
}

static char *skip_space(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* Remove leading and trailing white space in place. */
static char *trim(char *s)
{
	size_t len;

	s = skip_space(s);
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	s[len] = '\0';
	return s;
}

/*
 * Read one line, without its '\n', into buf as a NUL-terminated string of
 * at most size - 1 bytes.  *len gets the full length, which is larger when
 * the line did not fit; the rest of such a line is read and dropped.
 * Returns 1 for a line, 0 at the end of the file, or -errno.
 */
static int read_line(FILE *f, char *buf, size_t size, size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n < size - 1)
			buf[n] = (char)c;
		n++;
	}
	if (c == EOF && ferror(f))
		return errno ? -errno : -EIO;
	if (c == EOF && n == 0)
		return 0;
	buf[n < size - 1 ? n : size - 1] = '\0';
	*len = n;
	return 1;
}

static bool is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_hex(int c)
{
	return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_printable(int c)
{
	return c > ' ' && c < 0x7f;
}

static bool is_ja4_protocol(int c)
{
	return c == 't' || c == 'q' || c == 'd';
}

static bool is_ja4_sni(int c)
{
	return c == 'd' || c == 'i';
}

static bool is_underscore(int c)
{
	return c == '_';
}

static size_t count_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && is_hex((unsigned char)s[i]); i++)
		;
	return i;
}

/*
 * Check a JA3 MD5 and store it in lowercase.  On failure, write what is
 * wrong and what is expected into why.
 */
static bool parse_ja3(const char *s, size_t len, struct tlsfp_block_entry *e,
		      char *why, size_t why_size)
{
	size_t i, nhex = count_hex(s, len);
	char q[QUOTE_SIZE];

	if (nhex < len) {
		snprintf(why, why_size,
			 "'%s' is not a hex digit (want %d hex digits)",
			 quote(q, s + nhex, 1), TLSFP_MD5_HEX_LEN);
		return false;
	}
	if (len != TLSFP_MD5_HEX_LEN) {
		snprintf(why, why_size, "%zu hex digits (want %d)", len,
			 TLSFP_MD5_HEX_LEN);
		return false;
	}
	for (i = 0; i < len; i++)
		e->fp[i] = (char)tolower((unsigned char)s[i]);
	e->fp[len] = '\0';
	e->kind = TLSFP_FP_JA3;
	return true;
}

/*
 * The fields of a JA4 (FoxIO JA4 spec, "JA4 Algorithm"), such as
 * t13d1516h2_8daaf6152771_e5627efa2ab1: protocol t, TLS version 13, SNI d,
 * 15 cipher suites, 16 extensions, ALPN h2, and two truncated SHA-256
 * hashes.
 */
static const struct {
	unsigned char off, len;
	bool (*valid)(int c);
	const char *name;
	const char *want;
} ja4_fields[] = {
	{ 0, 1, is_ja4_protocol, "protocol", "t, q or d" },
	{ 1, 2, is_alnum, "TLS version", "2 letters or digits, like 13" },
	{ 3, 1, is_ja4_sni, "SNI", "d or i" },
	{ 4, 2, is_digit, "cipher count", "2 digits" },
	{ 6, 2, is_digit, "extension count", "2 digits" },
	/*
	 * The FoxIO spec v0.18.2 takes the first and last characters of the
	 * ALPN value as they are, and later versions take alphanumeric
	 * characters only, so any printable character is accepted.
	 */
	{ 8, 2, is_printable, "ALPN", "2 printable characters, like h2 or 00" },
	{ 10, 1, is_underscore, "separator", "'_'" },
	{ 11, 12, is_lower_hex, "cipher hash", "12 lowercase hex digits" },
	{ 23, 1, is_underscore, "separator", "'_'" },
	{ 24, 12, is_lower_hex, "extension hash", "12 lowercase hex digits" },
};

/* Check the shape of a JA4 and store it, or write what is wrong into why. */
static bool parse_ja4(const char *s, size_t len, struct tlsfp_block_entry *e,
		      char *why, size_t why_size)
{
	char q[QUOTE_SIZE];
	size_t i, j;

	if (len != TLSFP_JA4_LEN) {
		snprintf(why, why_size, "%zu characters (want %d, like %s)",
			 len, TLSFP_JA4_LEN, JA4_EXAMPLE);
		return false;
	}
	for (i = 0; i < sizeof(ja4_fields) / sizeof(ja4_fields[0]); i++) {
		const char *field = s + ja4_fields[i].off;

		for (j = 0; j < ja4_fields[i].len; j++) {
			if (ja4_fields[i].valid((unsigned char)field[j]))
				continue;
			snprintf(why, why_size, "%s '%s' (want %s)",
				 ja4_fields[i].name,
				 quote(q, field, ja4_fields[i].len),
				 ja4_fields[i].want);
			return false;
		}
	}
	memcpy(e->fp, s, len);
	e->fp[len] = '\0';
	e->kind = TLSFP_FP_JA4;
	return true;
}

/*
 * Parse the fingerprint in s[0..len) into e, reporting the line as
 * invalid when it is not one.  Where either kind may appear, a value with
 * an underscore is read as a JA4, and a value of 32 characters or of hex
 * digits only as a JA3.
 */
static bool parse_fp(struct load *ld, const char *s, size_t len,
		     enum fp_expect expect, struct tlsfp_block_entry *e)
{
	char why[512], q[QUOTE_SIZE];

	if (expect == EXPECT_JA3_OR_JA4) {
		if (memchr(s, '_', len))
			expect = EXPECT_JA4;
		else if (len == TLSFP_MD5_HEX_LEN || count_hex(s, len) == len)
			expect = EXPECT_JA3;
	}
	switch (expect) {
	case EXPECT_JA3:
		if (parse_ja3(s, len, e, why, sizeof(why)))
			return true;
		report_invalid(ld, "'%s' is not a JA3 hash: %s",
			       quote(q, s, len), why);
		return false;
	case EXPECT_JA4:
		if (parse_ja4(s, len, e, why, sizeof(why)))
			return true;
		report_invalid(ld, "'%s' is not a JA4 fingerprint: %s",
			       quote(q, s, len), why);
		return false;
	default:
		report_invalid(ld,
			       "'%s' is not a fingerprint (want a JA3 hash of %d hex digits or a JA4 like %s)",
			       quote(q, s, len), TLSFP_MD5_HEX_LEN,
			       JA4_EXAMPLE);
		return false;
	}
}

static void add_entry(struct load *ld, struct tlsfp_block_entry *e)
{
	struct tlsfp_blocklist *bl = ld->bl;

	if (bl->n == bl->cap) {
		size_t cap = bl->cap ? bl->cap * 2 : 64;
		struct tlsfp_block_entry *entries = NULL;

		if (cap <= SIZE_MAX / sizeof(*entries))
			entries = realloc(bl->entries, cap * sizeof(*entries));
		if (!entries) {
			ld->err = -ENOMEM;
			return;
		}
		bl->entries = entries;
		bl->cap = cap;
	}
	snprintf(e->source, sizeof(e->source), "%s:%u", ld->path, ld->line);
	bl->entries[bl->n++] = *e;
	ld->entries++;
}

/*
 * Plain list: one fingerprint per line, JA3 or JA4, optionally followed by
 * "# reason".
 */
static void parse_plain(struct load *ld, char *s)
{
	size_t len = strcspn(s, " \t\v\f\r#");
	struct tlsfp_block_entry e = { 0 };
	char *rest = skip_space(s + len);
	char q[QUOTE_SIZE];

	if (!parse_fp(ld, s, len, EXPECT_JA3_OR_JA4, &e))
		return;
	if (*rest && *rest != '#') {
		report_invalid(ld,
			       "unexpected '%s' after the fingerprint (want one fingerprint per line, and '#' before a reason)",
			       quote(q, rest, strlen(rest)));
		return;
	}
	if (*rest == '#') {
		rest = trim(rest + 1);
		copy_text(e.reason, sizeof(e.reason), rest, strlen(rest));
	}
	add_entry(ld, &e);
}

/* Match the SSLBL time format, "2017-07-14 18:08:15". */
static bool is_sslbl_time(const char *s)
{
	/* Each 'd' is a digit. */
	static const char pattern[] = "dddd-dd-dd dd:dd:dd";
	size_t i;

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (i = 0; pattern[i]; i++) {
		if (pattern[i] == 'd' ? !is_digit((unsigned char)s[i]) :
					s[i] != pattern[i])
			return false;
	}
	return true;
}

/*
 * abuse.ch SSLBL JA3 feed: "md5,Firstseen,Lastseen,Listingreason", with
 * times like "2017-07-14 18:08:15".  The reason column is the rest of the
 * line, commas included.
 */
static void parse_sslbl_csv(struct load *ld, char *s)
{
	static const char *const time_names[] = { "Firstseen", "Lastseen" };
	struct tlsfp_block_entry e = { 0 };
	char q[QUOTE_SIZE];
	char *col[4];
	size_t ncols;
	char *comma;
	int i;

	col[0] = s;
	for (ncols = 1; ncols < 4; ncols++) {
		comma = strchr(col[ncols - 1], ',');
		if (!comma)
			break;
		col[ncols] = comma + 1;
	}
	if (ncols < 4) {
		report_invalid(ld,
			       "'%s' has %zu column%s (want 4: " SSLBL_COLUMNS ")",
			       quote(q, s, strlen(s)), ncols, plural(ncols));
		return;
	}
	for (i = 1; i < 4; i++)
		col[i][-1] = '\0';
	for (i = 0; i < 4; i++)
		col[i] = trim(col[i]);

	if (!parse_fp(ld, col[0], strlen(col[0]), EXPECT_JA3, &e))
		return;
	for (i = 0; i < 2; i++) {
		if (is_sslbl_time(col[i + 1]))
			continue;
		report_invalid(ld,
			       "%s '%s' is not a time (want YYYY-MM-DD HH:MM:SS)",
			       time_names[i],
			       quote(q, col[i + 1], strlen(col[i + 1])));
		return;
	}
	copy_text(e.reason, sizeof(e.reason), col[3], strlen(col[3]));
	add_entry(ld, &e);
}

/* Rule actions of the Suricata 7 rules format. */
static const char *const rule_actions[] = {
	"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst",
	"rejectboth",
};

/* Returns the length of the action that starts s, or 0. */
static size_t rule_action_len(const char *s)
{
	size_t i, len;

	for (i = 0; i < sizeof(rule_actions) / sizeof(rule_actions[0]); i++) {
		len = strlen(rule_actions[i]);
		if (!strncmp(s, rule_actions[i], len) && s[len] &&
		    isspace((unsigned char)s[len]))
			return len;
	}
	return 0;
}

/* Values read from the options of a rule. */
struct rule_info {
	char msg[128];
	char sid[24];
	/* The first content in a ja3.hash or ja4.hash buffer (rule text). */
	const char *hash;
	size_t hash_len;
	enum fp_expect hash_kind;
	const char *hash_keyword;
	bool hash_negated;
	/* Contents in ja3.hash and ja4.hash buffers. */
	unsigned int nr_hashes;
};

/*
 * Remove the quotes around a Suricata option value and undo its backslash
 * escapes, in place.  A value without quotes is returned trimmed.
 */
static char *unquote(char *v)
{
	char *in, *out;

	v = trim(v);
	if (*v != '"')
		return v;
	for (in = out = v + 1; *in && *in != '"'; in++) {
		if (*in == '\\' && in[1])
			in++;
		*out++ = *in;
	}
	*out = '\0';
	return v + 1;
}

/*
 * Value-less keywords that modify the content before them instead of
 * selecting a buffer.  Any other value-less keyword is taken as a sticky
 * buffer, which ends a ja3.hash or ja4.hash buffer.
 */
static bool is_content_modifier(const char *name)
{
	static const char *const names[] = {
		"nocase", "rawbytes", "fast_pattern", "startswith", "endswith",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/*
 * Record one option of a rule.  ja3.hash (or its older name ja3_hash) and
 * ja4.hash are sticky buffers, so the contents after them, up to the next
 * buffer, are matched against the client's hash.
 */
static void read_rule_option(struct rule_info *r, const char **buffer,
			     enum fp_expect *kind, const char *name,
			     char *value)
{
	if (!strcmp(name, "ja3.hash") || !strcmp(name, "ja3_hash")) {
		*buffer = name;
		*kind = EXPECT_JA3;
	} else if (!strcmp(name, "ja4.hash")) {
		*buffer = name;
		*kind = EXPECT_JA4;
	} else if (!value) {
		if (!is_content_modifier(name))
			*buffer = NULL;
	} else if (!strcmp(name, "msg")) {
		value = unquote(value);
		copy_text(r->msg, sizeof(r->msg), value, strlen(value));
	} else if (!strcmp(name, "sid")) {
		value = trim(value);
		copy_text(r->sid, sizeof(r->sid), value, strlen(value));
	} else if (!strcmp(name, "content") && *buffer) {
		value = trim(value);
		if (r->nr_hashes++)
			return;
		r->hash_negated = *value == '!';
		if (r->hash_negated)
			value = skip_space(value + 1);
		r->hash = unquote(value);
		r->hash_len = strlen(r->hash);
		r->hash_keyword = *buffer;
		r->hash_kind = *kind;
	}
}

/*
 * Split the options between the parentheses of a rule at each ';' that
 * is neither escaped with a backslash nor inside double quotes, and
 * record them in r.
 */
static void read_rule_options(char *opts, struct rule_info *r)
{
	enum fp_expect kind = EXPECT_JA3;
	const char *buffer = NULL;
	bool quoted, escaped;
	char *name, *value;
	char *p = opts;

	while (*(p = skip_space(p))) {
		name = p;
		p += strcspn(p, ":;");
		value = NULL;
		if (*p == ':') {
			*p++ = '\0';
			value = p;
			quoted = escaped = false;
			for (; *p && (*p != ';' || quoted || escaped); p++) {
				if (escaped)
					escaped = false;
				else if (*p == '\\')
					escaped = true;
				else if (*p == '"')
					quoted = !quoted;
			}
		}
		if (*p)
			*p++ = '\0';
		read_rule_option(r, &buffer, &kind, trim(name), value);
	}
}

/* Make "MSG (sid N)" the reason, cutting MSG so that the sid fits. */
static void set_rule_reason(struct tlsfp_block_entry *e,
			    const struct rule_info *r)
{
	char suffix[40] = "";

	if (r->sid[0])
		snprintf(suffix, sizeof(suffix),
			 r->msg[0] ? " (sid %s)" : "sid %s", r->sid);
	copy_text(e->reason, sizeof(e->reason) - strlen(suffix), r->msg,
		  strlen(r->msg));
	strcat(e->reason, suffix);
}

/*
 * Suricata rules: "ACTION HEADER (OPTIONS)", each rule giving one entry
 * from the content of its ja3.hash or ja4.hash buffer.  Rules that match
 * something else are reported as ignored, since a rules file often mixes
 * them with hash rules.
 */
static void parse_rule(struct load *ld, char *s)
{
	size_t action_len = rule_action_len(s);
	struct tlsfp_block_entry e = { 0 };
	struct rule_info r = { 0 };
	char q[QUOTE_SIZE];
	char *open, *close;
	size_t len;

	if (!action_len) {
		report_invalid(ld,
			       "'%s' is not a Suricata rule (want a rule starting with alert, drop, reject or pass)",
			       quote(q, s, strcspn(s, " \t")));
		return;
	}
	open = strchr(s, '(');
	if (!open) {
		report_invalid(ld,
			       "rule has no options (want options in parentheses after the header)");
		return;
	}
	len = strlen(s);
	close = s + len - 1;
	if (*close != ')') {
		report_invalid(ld,
			       "rule options are not closed (want ')' at the end of the rule)");
		return;
	}
	*close = '\0';
	read_rule_options(open + 1, &r);

	if (!r.nr_hashes) {
		report_ignored(ld, "no ja3.hash or ja4.hash content");
		return;
	}
	if (action_len == 4 && !strncmp(s, "pass", 4)) {
		report_ignored(ld,
			       "a pass rule allows the client, so it is not a blocklist entry");
		return;
	}
	if (r.nr_hashes > 1) {
		report_ignored(ld,
			       "%u hash contents, which must all match (want one ja3.hash or ja4.hash content per rule)",
			       r.nr_hashes);
		return;
	}
	if (r.hash_negated) {
		report_ignored(ld,
			       "negated %s content '!%s' matches every other client, so it cannot be a blocklist entry",
			       r.hash_keyword,
			       quote(q, r.hash, r.hash_len));
		return;
	}
	if (!parse_fp(ld, r.hash, r.hash_len, r.hash_kind, &e))
		return;
	set_rule_reason(&e, &r);
	add_entry(ld, &e);
}

/* Whether a comment line names the columns of the SSLBL JA3 feed. */
static bool names_sslbl_columns(const char *comment)
{
	size_t len = strlen(SSLBL_COLUMNS);
	const char *s = comment;

	while (isspace((unsigned char)*s))
		s++;
	if (strncasecmp(s, SSLBL_COLUMNS, len))
		return false;
	for (s += len; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static bool is_blank_or_comment(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return !*line || *line == '#';
}

/* Choose the format from the first data line and the comments before it. */
static void detect_format(struct load *ld, const char *line)
{
	const char *s = line;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return;
	if (*s == '#') {
		if (names_sslbl_columns(s + 1))
			ld->sslbl_header = true;
		return;
	}
	if (ld->sslbl_header)
		ld->format = FORMAT_SSLBL_CSV;
	else if (rule_action_len(s))
		ld->format = FORMAT_SURICATA;
	else if (memchr(s, ',', strcspn(s, "#")))
		ld->format = FORMAT_SSLBL_CSV;
	else
		ld->format = FORMAT_PLAIN;
}

static void parse_line(struct load *ld, char *line)
{
	char *s = trim(line);

	if (!*s || *s == '#')
		return;
	switch (ld->format) {
	case FORMAT_PLAIN:
		parse_plain(ld, s);
		break;
	case FORMAT_SSLBL_CSV:
		parse_sslbl_csv(ld, s);
		break;
	case FORMAT_SURICATA:
		parse_rule(ld, s);
		break;
	default:
		break;
	}
}

/*
 * Reject a line that is too long or contains a NUL byte, and remove a CR
 * before the line end and the UTF-8 byte order mark of the first line.
 * line contains at most TLSFP_BLOCKLIST_MAX_LINE + 1 bytes of the *len
 * read, which leaves room for the CR of a line of the maximum length.
 */
static bool check_line(struct load *ld, char *line, size_t *len)
{
	char *nul;

	if (*len <= TLSFP_BLOCKLIST_MAX_LINE + 1 && *len > 0 &&
	    line[*len - 1] == '\r')
		line[--*len] = '\0';
	if (*len > TLSFP_BLOCKLIST_MAX_LINE) {
		report_invalid(ld, "line too long: %zu bytes (want at most %d)",
			       *len, TLSFP_BLOCKLIST_MAX_LINE);
		return false;
	}
	nul = memchr(line, '\0', *len);
	if (nul) {
		report_invalid(ld, "NUL byte at column %zu (want a text file)",
			       (size_t)(nul - line) + 1);
		return false;
	}
	if (ld->line == 1 && *len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		memmove(line, line + 3, *len - 3 + 1);
		*len -= 3;
	}
	return true;
}

/* A Suricata rule being read, which may span lines. */
struct rule_join {
	char text[TLSFP_BLOCKLIST_MAX_LINE + 1];
	size_t len;
	unsigned int first_line;
	bool active;
	bool too_long;
};

/* End the rule in j.  Returns true when it is short enough to parse. */
static bool end_rule(struct load *ld, struct rule_join *j)
{
	j->active = false;
	ld->line = j->first_line;
	if (!j->too_long)
		return true;
	report_invalid(ld,
		       "rule too long: over %d bytes with its continuation lines (want at most %d)",
		       TLSFP_BLOCKLIST_MAX_LINE, TLSFP_BLOCKLIST_MAX_LINE);
	return false;
}

/*
 * Append a line to the rule in j.  Suricata continues a rule on the next
 * line when a line ends in a backslash.  Returns true when j contains a
 * whole rule, with ld->line set to its first line.
 */
static bool join_rule(struct load *ld, struct rule_join *j, const char *line,
		      size_t len)
{
	bool more = len > 0 && line[len - 1] == '\\';

	if (!j->active) {
		j->active = true;
		j->len = 0;
		j->first_line = ld->line;
		j->too_long = false;
	}
	if (more)
		len--;
	if (j->len + len > TLSFP_BLOCKLIST_MAX_LINE) {
		j->too_long = true;
	} else {
		memcpy(j->text + j->len, line, len);
		j->len += len;
		j->text[j->len] = '\0';
	}
	if (more)
		return false;
	return end_rule(ld, j);
}

/* Parse every line of f.  Returns 0 or the -errno of a failed read. */
static int read_file(struct load *ld, FILE *f)
{
	unsigned int lineno = 0;
	struct rule_join *join;
	size_t len = 0;
	char *line;
	int ret = 0;

	/* Two more bytes than a line: a CR and the NUL. */
	line = malloc(TLSFP_BLOCKLIST_MAX_LINE + 2);
	join = calloc(1, sizeof(*join));
	if (!line || !join) {
		ld->err = -ENOMEM;
		goto out;
	}
	while (!ld->err) {
		ret = read_line(f, line, TLSFP_BLOCKLIST_MAX_LINE + 2, &len);
		if (ret <= 0)
			break;
		ld->line = ++lineno;
		if (!check_line(ld, line, &len)) {
			/*
			 * Drop the rule the line belongs to.  Ending it here
			 * means that lines after it are reported, not lost.
			 */
			join->active = false;
			continue;
		}
		if (ld->format == FORMAT_UNKNOWN)
			detect_format(ld, line);
		if (ld->format != FORMAT_SURICATA ||
		    (!join->active && is_blank_or_comment(line))) {
			parse_line(ld, line);
			continue;
		}
		if (join_rule(ld, join, line, len))
			parse_line(ld, join->text);
	}
	/* The last line ended in a backslash. */
	if (ret == 0 && join->active && end_rule(ld, join))
		parse_line(ld, join->text);
out:
	free(join);
	free(line);
	return ret < 0 ? ret : 0;
}

/* Report the end of a load, and undo it when it failed. */
static int finish_load(struct load *ld, int err)
{
	enum tlsfp_log_level level = ld->skip_invalid ? TLSFP_LOG_WARN :
							TLSFP_LOG_ERR;
	struct tlsfp_blocklist *bl = ld->bl;
	size_t max = TLSFP_BLOCKLIST_MAX_REPORTS;

	if (ld->invalid > max)
		report(bl, level, "%s: %zu more invalid line%s not reported",
		       ld->path, ld->invalid - max, plural(ld->invalid - max));
	if (ld->ignored > max)
		report(bl, TLSFP_LOG_WARN,
		       "%s: %zu more ignored rule%s not reported", ld->path,
		       ld->ignored - max, plural(ld->ignored - max));
	if (err)
		report(bl, TLSFP_LOG_ERR, "%s: cannot read: %s", ld->path,
		       strerror(-err));
	else if (ld->err)
		report(bl, TLSFP_LOG_ERR, "%s: cannot load: %s", ld->path,
		       strerror(-ld->err));
	else if (ld->invalid && !ld->skip_invalid)
		report(bl, TLSFP_LOG_ERR,
		       "%s: %zu invalid line%s, no entries loaded", ld->path,
		       ld->invalid, plural(ld->invalid));
	if (!err)
		err = ld->err;
	if (!err && ld->invalid && !ld->skip_invalid)
		err = -EINVAL;
	if (err) {
		bl->n = ld->first;
		return err;
	}

	bl->skipped += ld->invalid;
	bl->ignored += ld->ignored;
	if (ld->entries)
		bl->sorted = false;
	else
		report(bl, TLSFP_LOG_WARN, "%s: no entries", ld->path);
	if (ld->format != FORMAT_UNKNOWN)
		report(bl, TLSFP_LOG_INFO, "%s: read %zu %s as %s", ld->path,
		       ld->entries, ld->entries == 1 ? "entry" : "entries",
		       format_names[ld->format]);
	return 0;
}

int tlsfp_blocklist_load(struct tlsfp_blocklist *bl, const char *path,
			 bool skip_invalid)
{
	struct load ld = {
		.bl = bl,
		.path = path,
		.first = bl->n,
		.skip_invalid = skip_invalid,
	};
	FILE *f;
	int err;

	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		report(bl, TLSFP_LOG_ERR, "%s: cannot open: %s", path,
		       strerror(-err));
		return err;
	}
	err = read_file(&ld, f);
	fclose(f);
	return finish_load(&ld, err);
}

static int compare_fp(enum tlsfp_fp_kind kind, const char *fp,
		      const struct tlsfp_block_entry *e)
{
	if (kind != e->kind)
		return kind < e->kind ? -1 : 1;
	return strcmp(fp, e->fp);
}

/* Sort stably, so that the repeats of a fingerprint stay in load order. */
static void merge_sort(struct tlsfp_block_entry *a,
		       struct tlsfp_block_entry *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(a, tmp, mid);
	merge_sort(a + mid, tmp, n - mid);
	while (i < mid && j < n) {
		if (compare_fp(a[j].kind, a[j].fp, &a[i]) < 0)
			tmp[k++] = a[j++];
		else
			tmp[k++] = a[i++];
	}
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

int tlsfp_blocklist_finalize(struct tlsfp_blocklist *bl)
{
	size_t max = TLSFP_BLOCKLIST_MAX_REPORTS;
	struct tlsfp_block_entry *tmp, *e;
	size_t i, out = 0, repeats = 0;

	if (bl->sorted)
		return 0;
	tmp = calloc(bl->n ? bl->n : 1, sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	merge_sort(bl->entries, tmp, bl->n);
	free(tmp);

	for (i = 0; i < bl->n; i++) {
		e = &bl->entries[i];
		if (out && !compare_fp(e->kind, e->fp, &bl->entries[out - 1])) {
			if (++repeats <= max)
				report(bl, TLSFP_LOG_INFO,
				       "%s: '%s' is already listed at %s, ignored",
				       e->source, e->fp,
				       bl->entries[out - 1].source);
			continue;
		}
		if (out != i)
			bl->entries[out] = *e;
		out++;
	}
	if (repeats > max)
		report(bl, TLSFP_LOG_INFO,
		       "%zu more duplicate entr%s not reported", repeats - max,
		       repeats - max == 1 ? "y" : "ies");
	bl->n = out;
	bl->duplicates += repeats;
	bl->sorted = true;
	return 0;
}

const struct tlsfp_block_entry *
tlsfp_blocklist_find(const struct tlsfp_blocklist *bl,
		     enum tlsfp_fp_kind kind, const char *fp)
{
	size_t lo = 0, hi = bl->n, mid, i;
	int cmp;

	if (!bl->sorted) {
		for (i = 0; i < bl->n; i++)
			if (!compare_fp(kind, fp, &bl->entries[i]))
				return &bl->entries[i];
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = compare_fp(kind, fp, &bl->entries[mid]);
		if (!cmp)
			return &bl->entries[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void tlsfp_blocklist_free(struct tlsfp_blocklist *bl)
{
	free(bl->entries);
	bl->entries = NULL;
	bl->n = 0;
	bl->cap = 0;
	bl->duplicates = 0;
	bl->ignored = 0;
	bl->skipped = 0;
	bl->sorted = false;
}
