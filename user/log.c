// SPDX-License-Identifier: BSD-2-Clause
/*
 * Diagnostics on stderr, one line each, prefixed "tlsfp: ".  Results go to
 * stdout elsewhere; nothing here writes there.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

int tlsfp_log_level = TLSFP_LOG_WARN;
const char *tlsfp_log_context;

/* The last verifier log libbpf printed, kept for tlsfp_log_verifier_tail. */
static char verifier_log[64 * 1024];

void tlsfp_vlog(enum tlsfp_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t len;

	if ((int)level > tlsfp_log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	fprintf(stderr, "tlsfp: %s%s%s%s\n",
		tlsfp_log_context ? tlsfp_log_context : "",
		tlsfp_log_context ? ": " : "",
		level == TLSFP_LOG_WARN ? "warning: " : "", line);
}

void tlsfp_log(enum tlsfp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tlsfp_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * libbpf's lines enter our log one level below its own, so that its
 * warnings (verifier logs among them) show with -v and its debug lines
 * only with -vvv.
 */
static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum tlsfp_log_level ours;
	va_list copy;

	/* libbpf prints a whole verifier log in one message. */
	if (strstr(fmt, "BEGIN PROG LOAD LOG")) {
		va_copy(copy, ap);
		vsnprintf(verifier_log, sizeof(verifier_log), fmt, copy);
		va_end(copy);
	}

	switch (level) {
	case LIBBPF_WARN:
		ours = TLSFP_LOG_INFO;
		break;
	case LIBBPF_INFO:
		ours = TLSFP_LOG_DEBUG;
		break;
	default:
		ours = TLSFP_LOG_LIBBPF_DEBUG;
		break;
	}
	if ((int)ours > tlsfp_log_level)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void tlsfp_log_setup_libbpf(void)
{
	libbpf_set_print(print_libbpf);
}

/*
 * Print the last max_lines lines of the verifier log that libbpf printed on
 * the last failed load, if any.  Returns the number of lines printed.
 */
int tlsfp_log_verifier_tail(int max_lines)
{
	char *end = verifier_log + strlen(verifier_log), *p = end;
	int lines = 0;

	if (p == verifier_log)
		return 0;
	/* Step back over the END marker line and the final newline. */
	while (p > verifier_log && lines <= max_lines + 1) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	fprintf(stderr, "%s", p);
	if (end > verifier_log && end[-1] != '\n')
		fputc('\n', stderr);
	return lines;
}
