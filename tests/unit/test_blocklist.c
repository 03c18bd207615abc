// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the blocklist loader on the files in tests/blocklists.
 * Run from the top of the repository, or pass its path as the argument.
 * The messages are checked word for word, since users act on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blocklist.h"
#include "check.h"

#define D "tests/blocklists/"
#define JA4_EXAMPLE "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define WANT_FP                                                               \
	"(want a JA3 hash of 32 hex digits or a JA4 like " JA4_EXAMPLE ")"

#define ERR TLSFP_LOG_ERR
#define WARN TLSFP_LOG_WARN
#define INFO TLSFP_LOG_INFO

struct message {
	enum tlsfp_log_level level;
	const char *text;
};

static struct {
	enum tlsfp_log_level level;
	char text[1024];
} got[64];
static size_t nr_got;

static void capture(void *ctx, enum tlsfp_log_level level, const char *msg)
{
	if (nr_got < sizeof(got) / sizeof(got[0])) {
		got[nr_got].level = level;
		snprintf(got[nr_got].text, sizeof(got[nr_got].text), "%s", msg);
	}
	nr_got++;
}

/* Start a test with an empty list whose messages go to got[]. */
static void init_list(struct tlsfp_blocklist *bl)
{
	memset(bl, 0, sizeof(*bl));
	bl->report = capture;
	memset(got, 0, sizeof(got));
	nr_got = 0;
}

/* Check that exactly the n messages in want were reported, in order. */
static void check_messages(const struct message *want, size_t n)
{
	size_t i;

	CHECK_EQ_INT(nr_got, n);
	for (i = 0; i < n && i < nr_got; i++) {
		CHECK_EQ_INT(got[i].level, want[i].level);
		CHECK_EQ_STR(got[i].text, want[i].text);
	}
}

#define CHECK_MESSAGES(...)                                                   \
	do {                                                                  \
		static const struct message want_[] = { __VA_ARGS__ };        \
		check_messages(want_, sizeof(want_) / sizeof(want_[0]));      \
	} while (0)

static void check_entry(const struct tlsfp_blocklist *bl, size_t i,
			enum tlsfp_fp_kind kind, const char *fp,
			const char *reason, const char *source)
{
	const struct tlsfp_block_entry *e;

	CHECK(i < bl->n, "entry %zu of %zu", i, bl->n);
	if (i >= bl->n)
		return;
	e = &bl->entries[i];
	CHECK_EQ_INT(e->kind, kind);
	CHECK_EQ_STR(e->fp, fp);
	CHECK_EQ_STR(e->reason, reason);
	CHECK_EQ_STR(e->source, source);
}

static void plain_list_loads(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "plain.txt", false), 0);
	CHECK_EQ_INT(bl.n, 7);
	check_entry(&bl, 0, TLSFP_FP_JA3, "a4c123b1612dd272d1371c17149d4395",
		    "Example loader, test build", D "plain.txt:4");
	check_entry(&bl, 1, TLSFP_FP_JA3, "36b3216fdaeeb975729fae923d5a4fd1",
		    "", D "plain.txt:5");
	check_entry(&bl, 2, TLSFP_FP_JA3, "2aabfe228f219e9cb0eb53f16947ccf2",
		    "scanner with padding", D "plain.txt:6");
	check_entry(&bl, 3, TLSFP_FP_JA4, JA4_EXAMPLE, "browser-like bot",
		    D "plain.txt:7");
	check_entry(&bl, 4, TLSFP_FP_JA4,
		    "q13d0312h3_e58b081006f7_e3dfc967a64c", "",
		    D "plain.txt:8");
	check_entry(&bl, 5, TLSFP_FP_JA4,
		    "t12i2005h1_b14028d512c9_791e558e08ba",
		    "no space before the comment", D "plain.txt:9");
	check_entry(&bl, 6, TLSFP_FP_JA4,
		    "d12i030800_a7196b50ac2f_86702824c1c0",
		    "DTLS client without ALPN", D "plain.txt:10");
	CHECK_MESSAGES({ INFO, D "plain.txt: read 7 entries as a plain list" });
	tlsfp_blocklist_free(&bl);
}

static void sslbl_csv_loads(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "sslbl_ja3.csv", false), 0);
	CHECK_EQ_INT(bl.n, 4);
	check_entry(&bl, 0, TLSFP_FP_JA3, "5ec84d8dbc74254770f58904dba41ecc",
		    "Dridex", D "sslbl_ja3.csv:11");
	check_entry(&bl, 1, TLSFP_FP_JA3, "cc3fc1626e53a13043b026c48bbf33fe",
		    "TrickBot", D "sslbl_ja3.csv:12");
	check_entry(&bl, 2, TLSFP_FP_JA3, "ff9243a8f506b40928b5b7a767c76fb0",
		    "Tofsee", D "sslbl_ja3.csv:13");
	check_entry(&bl, 3, TLSFP_FP_JA3, "08f86bebb2737f6a6f0fb23c6f5da2ce",
		    "Adware", D "sslbl_ja3.csv:14");
	CHECK_MESSAGES({ INFO, D "sslbl_ja3.csv: read 4 entries as SSLBL JA3 CSV" });
	tlsfp_blocklist_free(&bl);
}

/* Without the column comment, the comma on the first line decides. */
static void sslbl_csv_without_header(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "sslbl_no_header.csv", false),
		     0);
	CHECK_EQ_INT(bl.n, 2);
	check_entry(&bl, 0, TLSFP_FP_JA3, "c255404e4fb440034d6608697a8d41be",
		    "Quakbot", D "sslbl_no_header.csv:1");
	check_entry(&bl, 1, TLSFP_FP_JA3, "d440e50454f31af3176813e02ea68ef7",
		    "Malware C&C, second stage", D "sslbl_no_header.csv:2");
	CHECK_MESSAGES({ INFO, D "sslbl_no_header.csv: read 2 entries as SSLBL JA3 CSV" });
	tlsfp_blocklist_free(&bl);
}

static void sslbl_csv_crlf(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "sslbl_crlf.csv", false), 0);
	CHECK_EQ_INT(bl.n, 2);
	check_entry(&bl, 0, TLSFP_FP_JA3, "86e4d3cea27d26934b484e73cf575dca",
		    "Emotet", D "sslbl_crlf.csv:2");
	check_entry(&bl, 1, TLSFP_FP_JA3, "d6ba2b0aee0ca923732881584d8c4fa2",
		    "IcedID", D "sslbl_crlf.csv:3");
	CHECK_MESSAGES({ INFO, D "sslbl_crlf.csv: read 2 entries as SSLBL JA3 CSV" });
	tlsfp_blocklist_free(&bl);
}

static void suricata_rules_load(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "suricata.rules", false), 0);
	CHECK_EQ_INT(bl.n, 6);
	CHECK_EQ_INT(bl.ignored, 7);
	check_entry(&bl, 0, TLSFP_FP_JA3, "86e4d3cea27d26934b484e73cf575dca",
		    "SSLBL: Malicious JA3 SSL-Client Fingerprint detected (Dridex) (sid 906200000)",
		    D "suricata.rules:3");
	check_entry(&bl, 1, TLSFP_FP_JA3, "d6ba2b0aee0ca923732881584d8c4fa2",
		    "bot \"fetcher\"; JA3 match (sid 1000001)",
		    D "suricata.rules:4");
	check_entry(&bl, 2, TLSFP_FP_JA4,
		    "t13d1715h2_e58b081006f7_b14028d512c9",
		    "match JA4 (sid 1000002)", D "suricata.rules:5");
	check_entry(&bl, 3, TLSFP_FP_JA3, "815d2802827283e0ad84173581569969",
		    "SNI and JA3 (sid 1000003)", D "suricata.rules:6");
	check_entry(&bl, 4, TLSFP_FP_JA3, "a4c123b1612dd272d1371c17149d4395",
		    "JA3 over three lines (sid 1000004)", D "suricata.rules:7");
	check_entry(&bl, 5, TLSFP_FP_JA3, "36b3216fdaeeb975729fae923d5a4fd1",
		    "sid 1000005", D "suricata.rules:10");
	CHECK_MESSAGES(
		{ WARN, D "suricata.rules:12: rule ignored: no ja3.hash or ja4.hash content" },
		{ WARN, D "suricata.rules:13: rule ignored: no ja3.hash or ja4.hash content" },
		{ WARN, D "suricata.rules:14: rule ignored: negated ja3.hash content '!cc3fc1626e53a13043b026c48bbf33fe' matches every other client, so it cannot be a blocklist entry" },
		{ WARN, D "suricata.rules:15: rule ignored: a pass rule allows the client, so it is not a blocklist entry" },
		{ WARN, D "suricata.rules:16: rule ignored: 2 hash contents, which must all match (want one ja3.hash or ja4.hash content per rule)" },
		{ WARN, D "suricata.rules:17: rule ignored: no ja3.hash or ja4.hash content" },
		{ WARN, D "suricata.rules:18: rule ignored: no ja3.hash or ja4.hash content" },
		{ INFO, D "suricata.rules: read 6 entries as Suricata rules" });
	tlsfp_blocklist_free(&bl);
}

/* The sid stays whole when the msg fills the reason. */
static void suricata_long_msg_keeps_sid(void)
{
	static const char sid[] = " (sid 2000001)";
	struct tlsfp_blocklist bl;
	size_t len;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "suricata_long_msg.rules",
					  false), 0);
	CHECK_EQ_INT(bl.n, 1);
	if (bl.n != 1)
		return;
	len = strlen(bl.entries[0].reason);
	CHECK_EQ_INT(len, sizeof(bl.entries[0].reason) - 1);
	CHECK_EQ_STR(bl.entries[0].reason + len - strlen(sid), sid);
	CHECK_EQ_INT(bl.entries[0].reason[0], 'm');
	tlsfp_blocklist_free(&bl);
}

/*
 * An invalid line ends the rule it continues, a joined rule may not pass
 * the maximum line length, and a backslash on the last line is harmless.
 */
static void suricata_join_errors(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "suricata_join_errors.rules",
					  true), 0);
	CHECK_EQ_INT(bl.n, 2);
	check_entry(&bl, 0, TLSFP_FP_JA3, "d6ba2b0aee0ca923732881584d8c4fa2",
		    "y (sid 2)", D "suricata_join_errors.rules:3");
	check_entry(&bl, 1, TLSFP_FP_JA3, "815d2802827283e0ad84173581569969",
		    "last line ends in a backslash (sid 4)",
		    D "suricata_join_errors.rules:6");
	CHECK_MESSAGES(
		{ WARN, D "suricata_join_errors.rules:2: NUL byte at column 62 (want a text file)" },
		{ WARN, D "suricata_join_errors.rules:4: rule too long: over 8192 bytes with its continuation lines (want at most 8192)" },
		{ INFO, D "suricata_join_errors.rules: read 2 entries as Suricata rules" });
	tlsfp_blocklist_free(&bl);
}

static void bom_and_crlf_accepted(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "plain_bom_crlf.txt", false),
		     0);
	CHECK_EQ_INT(bl.n, 3);
	check_entry(&bl, 0, TLSFP_FP_JA3, "c255404e4fb440034d6608697a8d41be",
		    "first line, after the BOM", D "plain_bom_crlf.txt:1");
	check_entry(&bl, 1, TLSFP_FP_JA4, JA4_EXAMPLE, "",
		    D "plain_bom_crlf.txt:4");
	check_entry(&bl, 2, TLSFP_FP_JA3, "d440e50454f31af3176813e02ea68ef7",
		    "last line, CR without LF", D "plain_bom_crlf.txt:5");
	CHECK_MESSAGES({ INFO, D "plain_bom_crlf.txt: read 3 entries as a plain list" });
	tlsfp_blocklist_free(&bl);
}

/* A line of the maximum length, followed by CRLF. */
static void max_line_with_crlf(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "max_line_crlf.txt", false),
		     0);
	CHECK_EQ_INT(bl.n, 1);
	CHECK_EQ_INT(bl.n ? strlen(bl.entries[0].reason) : 0, 127);
	CHECK_MESSAGES({ INFO, D "max_line_crlf.txt: read 1 entry as a plain list" });
	tlsfp_blocklist_free(&bl);
}

static void empty_file_warns(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "empty.txt", false), 0);
	CHECK_EQ_INT(bl.n, 0);
	CHECK_MESSAGES({ WARN, D "empty.txt: no entries" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "comments_only.txt", false),
		     0);
	CHECK_EQ_INT(bl.n, 0);
	CHECK_MESSAGES({ WARN, D "comments_only.txt: no entries" });
	tlsfp_blocklist_free(&bl);
}

static void missing_file_fails(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "missing.txt", true),
		     -ENOENT);
	CHECK_MESSAGES({ ERR, D "missing.txt: cannot open: No such file or directory" });
	tlsfp_blocklist_free(&bl);
}

static void directory_fails(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, "tests/blocklists", true),
		     -EISDIR);
	CHECK_MESSAGES({ ERR, "tests/blocklists: cannot read: Is a directory" });
	tlsfp_blocklist_free(&bl);
}

#define MALFORMED_JA3(level)                                                  \
	{ level, D "malformed_ja3.txt:2: 'a4c123b1612dd272d1371c17149d439' is not a JA3 hash: 31 hex digits (want 32)" }, \
	{ level, D "malformed_ja3.txt:3: 'a4c123b1612dd272d1371c17149d4395a' is not a JA3 hash: 33 hex digits (want 32)" }, \
	{ level, D "malformed_ja3.txt:4: 'g4c123b1612dd272d1371c17149d4395' is not a JA3 hash: 'g' is not a hex digit (want 32 hex digits)" }, \
	{ level, D "malformed_ja3.txt:6: 'hello' is not a fingerprint " WANT_FP }, \
	{ level, D "malformed_ja3.txt:7: unexpected 'Dridex' after the fingerprint (want one fingerprint per line, and '#' before a reason)" }, \
	{ level, D "malformed_ja3.txt:8: '5ec84d8dbc74254770f58904dba41ecc,2017-07-14' is not a fingerprint " WANT_FP }, \
	{ level, D "malformed_ja3.txt:9: 'a4c123b1612dd272d1371c17149d43\\xc3\\xa95' is not a fingerprint " WANT_FP }

/* An invalid line fails the file, and the entries of earlier files stay. */
static void malformed_ja3_fails_file(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "plain.txt", false), 0);
	CHECK_EQ_INT(bl.n, 7);
	nr_got = 0;
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_ja3.txt", false),
		     -EINVAL);
	CHECK_EQ_INT(bl.n, 7);
	CHECK_EQ_INT(bl.skipped, 0);
	CHECK_MESSAGES(MALFORMED_JA3(ERR),
		       { ERR, D "malformed_ja3.txt: 7 invalid lines, no entries loaded" });
	CHECK(tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				   "36b3216fdaeeb975729fae923d5a4fd1") ==
		      &bl.entries[1],
	      "the entry of plain.txt");
	tlsfp_blocklist_free(&bl);
}

static void malformed_ja3_skipped(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_ja3.txt", true),
		     0);
	CHECK_EQ_INT(bl.n, 1);
	CHECK_EQ_INT(bl.skipped, 7);
	check_entry(&bl, 0, TLSFP_FP_JA3, "36b3216fdaeeb975729fae923d5a4fd1",
		    "the valid line", D "malformed_ja3.txt:5");
	CHECK_MESSAGES(MALFORMED_JA3(WARN),
		       { INFO, D "malformed_ja3.txt: read 1 entry as a plain list" });
	tlsfp_blocklist_free(&bl);
}

#define NOT_JA4(line, value) \
	D "malformed_ja4.txt:" #line ": '" value "' is not a JA4 fingerprint: "

static void malformed_ja4_messages(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_ja4.txt", false),
		     -EINVAL);
	CHECK_EQ_INT(bl.n, 0);
	CHECK_MESSAGES(
		{ ERR, NOT_JA4(2, "t13d1516h2_8daaf6152771_e5627efa2ab") "35 characters (want 36, like " JA4_EXAMPLE ")" },
		{ ERR, NOT_JA4(3, "x13d1516h2_8daaf6152771_e5627efa2ab1") "protocol 'x' (want t, q or d)" },
		{ ERR, NOT_JA4(4, "t1.d1516h2_8daaf6152771_e5627efa2ab1") "TLS version '1.' (want 2 letters or digits, like 13)" },
		{ ERR, NOT_JA4(5, "t13x1516h2_8daaf6152771_e5627efa2ab1") "SNI 'x' (want d or i)" },
		{ ERR, NOT_JA4(6, "t13d1a16h2_8daaf6152771_e5627efa2ab1") "cipher count '1a' (want 2 digits)" },
		{ ERR, NOT_JA4(7, "t13d15x6h2_8daaf6152771_e5627efa2ab1") "extension count 'x6' (want 2 digits)" },
		{ ERR, NOT_JA4(8, "t13d1516h2-8daaf6152771_e5627efa2ab1") "separator '-' (want '_')" },
		{ ERR, NOT_JA4(9, "t13d1516h2_8DAAF6152771_e5627efa2ab1") "cipher hash '8DAAF6152771' (want 12 lowercase hex digits)" },
		{ ERR, NOT_JA4(10, "t13d1516h2_8daaf6152771_e5627efa2abz") "extension hash 'e5627efa2abz' (want 12 lowercase hex digits)" },
		{ ERR, D "malformed_ja4.txt: 9 invalid lines, no entries loaded" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_ja4.txt", true),
		     0);
	check_entry(&bl, 0, TLSFP_FP_JA4, JA4_EXAMPLE, "the valid line",
		    D "malformed_ja4.txt:11");
	CHECK_EQ_INT(bl.skipped, 9);
	tlsfp_blocklist_free(&bl);
}

static void malformed_sslbl_messages(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_sslbl.csv", false),
		     -EINVAL);
	CHECK_EQ_INT(bl.n, 0);
	CHECK_MESSAGES(
		{ ERR, D "malformed_sslbl.csv:3: 'cc3fc1626e53a13043b026c48bbf33fe,2017-07-14 19:03:35,TrickBot' has 3 columns (want 4: ja3_md5,Firstseen,Lastseen,Listingreason)" },
		{ ERR, D "malformed_sslbl.csv:4: 'ff9243a8f506b40928b5b7a767c76fb0' has 1 column (want 4: ja3_md5,Firstseen,Lastseen,Listingreason)" },
		{ ERR, D "malformed_sslbl.csv:5: 'not-a-hash' is not a JA3 hash: 'n' is not a hex digit (want 32 hex digits)" },
		{ ERR, D "malformed_sslbl.csv:6: '08f86bebb2737f6a6f0fb23c6f5da2c' is not a JA3 hash: 31 hex digits (want 32)" },
		{ ERR, D "malformed_sslbl.csv:7: Firstseen '2020-02-01' is not a time (want YYYY-MM-DD HH:MM:SS)" },
		{ ERR, D "malformed_sslbl.csv:8: Lastseen 'yesterday' is not a time (want YYYY-MM-DD HH:MM:SS)" },
		{ ERR, D "malformed_sslbl.csv:9: '" JA4_EXAMPLE "' is not a JA3 hash: 't' is not a hex digit (want 32 hex digits)" },
		{ ERR, D "malformed_sslbl.csv: 7 invalid lines, no entries loaded" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_sslbl.csv", true),
		     0);
	CHECK_EQ_INT(bl.n, 1);
	check_entry(&bl, 0, TLSFP_FP_JA3, "5ec84d8dbc74254770f58904dba41ecc",
		    "Dridex", D "malformed_sslbl.csv:2");
	tlsfp_blocklist_free(&bl);
}

static void malformed_suricata_messages(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_suricata.rules",
					  false), -EINVAL);
	CHECK_EQ_INT(bl.n, 0);
	CHECK_MESSAGES(
		{ ERR, D "malformed_suricata.rules:2: 'alerts' is not a Suricata rule (want a rule starting with alert, drop, reject or pass)" },
		{ ERR, D "malformed_suricata.rules:3: 'd6ba2b0aee0ca923732881584d8c4fa2' is not a Suricata rule (want a rule starting with alert, drop, reject or pass)" },
		{ ERR, D "malformed_suricata.rules:4: rule has no options (want options in parentheses after the header)" },
		{ ERR, D "malformed_suricata.rules:5: rule options are not closed (want ')' at the end of the rule)" },
		{ ERR, D "malformed_suricata.rules:6: '86e4d3cea27d26934b484e73cf575dc' is not a JA3 hash: 31 hex digits (want 32)" },
		{ ERR, D "malformed_suricata.rules:7: '" JA4_EXAMPLE "' is not a JA3 hash: 't' is not a hex digit (want 32 hex digits)" },
		{ ERR, D "malformed_suricata.rules:8: 't13d1516h2_8daaf6152771' is not a JA4 fingerprint: 23 characters (want 36, like " JA4_EXAMPLE ")" },
		{ ERR, D "malformed_suricata.rules:9: '|86 e4|d3cea27d26934b484e73cf575dca' is not a JA3 hash: '|' is not a hex digit (want 32 hex digits)" },
		{ ERR, D "malformed_suricata.rules: 8 invalid lines, no entries loaded" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "malformed_suricata.rules",
					  true), 0);
	CHECK_EQ_INT(bl.n, 1);
	CHECK_EQ_INT(bl.skipped, 8);
	check_entry(&bl, 0, TLSFP_FP_JA3, "86e4d3cea27d26934b484e73cf575dca",
		    "valid (sid 1)", D "malformed_suricata.rules:1");
	tlsfp_blocklist_free(&bl);
}

static void nul_byte_reported(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "nul_byte.txt", false),
		     -EINVAL);
	CHECK_MESSAGES(
		{ ERR, D "nul_byte.txt:2: NUL byte at column 5 (want a text file)" },
		{ ERR, D "nul_byte.txt: 1 invalid line, no entries loaded" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "nul_byte.txt", true), 0);
	CHECK_EQ_INT(bl.n, 2);
	CHECK_MESSAGES(
		{ WARN, D "nul_byte.txt:2: NUL byte at column 5 (want a text file)" },
		{ INFO, D "nul_byte.txt: read 2 entries as a plain list" });
	tlsfp_blocklist_free(&bl);
}

static void long_line_reported(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "long_line.txt", false),
		     -EINVAL);
	CHECK_MESSAGES(
		{ ERR, D "long_line.txt:2: line too long: 9000 bytes (want at most 8192)" },
		{ ERR, D "long_line.txt: 1 invalid line, no entries loaded" });

	tlsfp_blocklist_free(&bl);
	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "long_line.txt", true), 0);
	CHECK_EQ_INT(bl.n, 2);
	check_entry(&bl, 1, TLSFP_FP_JA3, "2aabfe228f219e9cb0eb53f16947ccf2",
		    "", D "long_line.txt:3");
	tlsfp_blocklist_free(&bl);
}

static void many_invalid_lines_summarized(void)
{
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "many_invalid.txt", false),
		     -EINVAL);
	CHECK_EQ_INT(nr_got, TLSFP_BLOCKLIST_MAX_REPORTS + 2);
	CHECK_EQ_STR(got[0].text, D "many_invalid.txt:1: 'bad1' is not a JA3 hash: 4 hex digits (want 32)");
	CHECK_EQ_STR(got[9].text, D "many_invalid.txt:10: 'bad10' is not a JA3 hash: 5 hex digits (want 32)");
	CHECK_EQ_INT(got[10].level, ERR);
	CHECK_EQ_STR(got[10].text, D "many_invalid.txt: 3 more invalid lines not reported");
	CHECK_EQ_STR(got[11].text, D "many_invalid.txt: 13 invalid lines, no entries loaded");
	tlsfp_blocklist_free(&bl);
}

/* Reasons are cut at a character boundary and stay on one line. */
static void reason_cut_and_cleaned(void)
{
	struct tlsfp_blocklist bl;
	char want[128];
	size_t i;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "long_reason.txt", false), 0);
	CHECK_EQ_INT(bl.n, 2);
	if (bl.n != 2)
		return;
	/* 63 two-byte characters fill 126 of the 127 bytes. */
	for (i = 0; i < 63; i++)
		memcpy(want + 2 * i, "\xc3\xa9", 2);
	want[126] = '\0';
	CHECK_EQ_STR(bl.entries[0].reason, want);
	CHECK_EQ_STR(bl.entries[1].reason, "tab inside");
	tlsfp_blocklist_free(&bl);
}

/* Across files and formats, the first entry loaded keeps its reason. */
static void duplicates_keep_first(void)
{
	const struct tlsfp_block_entry *e;
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "duplicates_a.txt", false), 0);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "duplicates_b.csv", false), 0);
	CHECK_EQ_INT(bl.n, 5);
	nr_got = 0;
	CHECK_EQ_INT(tlsfp_blocklist_finalize(&bl), 0);
	CHECK_EQ_INT(bl.n, 3);
	CHECK_EQ_INT(bl.duplicates, 2);
	CHECK_MESSAGES(
		{ INFO, D "duplicates_a.txt:3: 'a4c123b1612dd272d1371c17149d4395' is already listed at " D "duplicates_a.txt:1, ignored" },
		{ INFO, D "duplicates_b.csv:2: 'a4c123b1612dd272d1371c17149d4395' is already listed at " D "duplicates_a.txt:1, ignored" });
	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				 "a4c123b1612dd272d1371c17149d4395");
	CHECK(e != NULL, "duplicated entry found");
	if (e) {
		CHECK_EQ_STR(e->reason, "first reason");
		CHECK_EQ_STR(e->source, D "duplicates_a.txt:1");
	}
	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				 "2aabfe228f219e9cb0eb53f16947ccf2");
	CHECK(e != NULL, "entry of the second file found");
	if (e)
		CHECK_EQ_STR(e->reason, "only in b");

	/* A second finalize finds nothing more to remove. */
	CHECK_EQ_INT(tlsfp_blocklist_finalize(&bl), 0);
	CHECK_EQ_INT(bl.duplicates, 2);
	tlsfp_blocklist_free(&bl);
}

static void find_by_kind(void)
{
	const struct tlsfp_block_entry *e;
	struct tlsfp_blocklist bl;

	init_list(&bl);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "plain.txt", false), 0);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "sslbl_ja3.csv", false), 0);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "suricata.rules", false), 0);

	/* Before finalize, a linear scan. */
	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				 "36b3216fdaeeb975729fae923d5a4fd1");
	CHECK(e != NULL, "found before finalize");
	if (e)
		CHECK_EQ_STR(e->source, D "plain.txt:5");

	CHECK_EQ_INT(tlsfp_blocklist_finalize(&bl), 0);
	CHECK(bl.sorted, "sorted after finalize");
	CHECK_EQ_INT(bl.n, 15);
	CHECK_EQ_INT(bl.duplicates, 2);

	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA4, JA4_EXAMPLE);
	CHECK(e != NULL, "JA4 found");
	if (e)
		CHECK_EQ_STR(e->source, D "plain.txt:7");
	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				 "ff9243a8f506b40928b5b7a767c76fb0");
	CHECK(e != NULL, "JA3 found");
	if (e)
		CHECK_EQ_STR(e->reason, "Tofsee");
	CHECK(!tlsfp_blocklist_find(&bl, TLSFP_FP_JA4,
				    "ff9243a8f506b40928b5b7a767c76fb0"),
	      "a JA3 is not found as a JA4");
	CHECK(!tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				    "ff9243a8f506b40928b5b7a767c76fb1"),
	      "an unlisted JA3 is not found");
	CHECK(!tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				    "FF9243A8F506B40928B5B7A767C76FB0"),
	      "lookups take the stored, lowercase form");

	/* A load after finalize needs another finalize for O(log n). */
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, D "sslbl_crlf.csv", false), 0);
	CHECK(!bl.sorted, "unsorted after a load");
	e = tlsfp_blocklist_find(&bl, TLSFP_FP_JA3,
				 "d6ba2b0aee0ca923732881584d8c4fa2");
	CHECK(e != NULL, "repeat found before finalize");
	if (e)
		CHECK_EQ_STR(e->source, D "suricata.rules:4");
	tlsfp_blocklist_free(&bl);
	CHECK_EQ_INT(bl.n, 0);
	CHECK(bl.report == capture, "free keeps the report callback");
}

/* Binary search over many entries: every one is found, others are not. */
static void find_in_large_list(void)
{
	char path[] = "/tmp/tlsfp-blocklist-XXXXXX";
	struct tlsfp_blocklist bl;
	unsigned int i, missed = 0, wrong = 0;
	char fp[33];
	FILE *f;
	int fd;

	init_list(&bl);
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	for (i = 0; i < 5000; i++)
		fprintf(f, "%08x%08x%08x%08x\n", i * 2654435761u, i, ~i, i * 7);
	fclose(f);
	CHECK_EQ_INT(tlsfp_blocklist_load(&bl, path, false), 0);
	unlink(path);
	CHECK_EQ_INT(tlsfp_blocklist_finalize(&bl), 0);
	CHECK_EQ_INT(bl.n, 5000);
	for (i = 0; i < 5000; i++) {
		snprintf(fp, sizeof(fp), "%08x%08x%08x%08x", i * 2654435761u,
			 i, ~i, i * 7);
		if (!tlsfp_blocklist_find(&bl, TLSFP_FP_JA3, fp))
			missed++;
		snprintf(fp, sizeof(fp), "%08x%08x%08x%08x", i * 2654435761u,
			 i, ~i, i * 7 + 1);
		if (tlsfp_blocklist_find(&bl, TLSFP_FP_JA3, fp))
			wrong++;
	}
	CHECK_EQ_INT(missed, 0);
	CHECK_EQ_INT(wrong, 0);
	CHECK(!tlsfp_blocklist_find(&bl, TLSFP_FP_JA3, ""), "empty key");
	tlsfp_blocklist_free(&bl);
}

/* Without a callback, messages go to stderr through log.c. */
static void messages_on_stderr(void)
{
	struct tlsfp_blocklist bl = { 0 };
	FILE *tmp = tmpfile();
	char out[1024];
	size_t len;
	int saved;

	CHECK(tmp != NULL, "tmpfile: %s", strerror(errno));
	if (!tmp)
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	CHECK(saved >= 0, "dup: %s", strerror(errno));
	if (saved < 0) {
		fclose(tmp);
		return;
	}
	CHECK(dup2(fileno(tmp), STDERR_FILENO) >= 0, "dup2: %s",
	      strerror(errno));
	tlsfp_blocklist_load(&bl, D "missing.txt", false);
	tlsfp_blocklist_load(&bl, D "nul_byte.txt", true);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);

	rewind(tmp);
	len = fread(out, 1, sizeof(out) - 1, tmp);
	out[len] = '\0';
	fclose(tmp);
	CHECK_EQ_STR(out,
		     "tlsfp: " D "missing.txt: cannot open: No such file or directory\n"
		     "tlsfp: warning: " D "nul_byte.txt:2: NUL byte at column 5 (want a text file)\n");
	tlsfp_blocklist_free(&bl);
}

int main(int argc, char **argv)
{
	if (argc > 1 && chdir(argv[1])) {
		printf("not ok - chdir %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (access(D "plain.txt", R_OK)) {
		printf("not ok - " D "plain.txt: %s (run from the top of the repository, or pass its path)\n",
		       strerror(errno));
		return 1;
	}

	RUN_TEST(plain_list_loads);
	RUN_TEST(sslbl_csv_loads);
	RUN_TEST(sslbl_csv_without_header);
	RUN_TEST(sslbl_csv_crlf);
	RUN_TEST(suricata_rules_load);
	RUN_TEST(suricata_long_msg_keeps_sid);
	RUN_TEST(suricata_join_errors);
	RUN_TEST(bom_and_crlf_accepted);
	RUN_TEST(max_line_with_crlf);
	RUN_TEST(empty_file_warns);
	RUN_TEST(missing_file_fails);
	RUN_TEST(directory_fails);
	RUN_TEST(malformed_ja3_fails_file);
	RUN_TEST(malformed_ja3_skipped);
	RUN_TEST(malformed_ja4_messages);
	RUN_TEST(malformed_sslbl_messages);
	RUN_TEST(malformed_suricata_messages);
	RUN_TEST(nul_byte_reported);
	RUN_TEST(long_line_reported);
	RUN_TEST(many_invalid_lines_summarized);
	RUN_TEST(reason_cut_and_cleaned);
	RUN_TEST(duplicates_keep_first);
	RUN_TEST(find_by_kind);
	RUN_TEST(find_in_large_list);
	RUN_TEST(messages_on_stderr);
	return check_summary();
}
