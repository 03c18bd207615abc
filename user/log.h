/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef TLSFP_LOG_H
#define TLSFP_LOG_H

#include <stdarg.h>

enum tlsfp_log_level {
	TLSFP_LOG_ERR,
	TLSFP_LOG_WARN,
	TLSFP_LOG_INFO,
	TLSFP_LOG_DEBUG,
	/* libbpf's own debug lines; shown with -vvv. */
	TLSFP_LOG_LIBBPF_DEBUG,
};

/* Messages up to this level are printed; -v raises it by one. */
extern int tlsfp_log_level;
/*
 * Source of the message, such as "FILE:LINE" of a configuration line.
 * When not NULL, it is printed after the "tlsfp: " prefix.
 */
extern const char *tlsfp_log_context;

void tlsfp_log(enum tlsfp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tlsfp_vlog(enum tlsfp_log_level level, const char *fmt, va_list ap);
void tlsfp_log_setup_libbpf(void);
int tlsfp_log_verifier_tail(int max_lines);

#define pr_err(...) tlsfp_log(TLSFP_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) tlsfp_log(TLSFP_LOG_WARN, __VA_ARGS__)
#define pr_info(...) tlsfp_log(TLSFP_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) tlsfp_log(TLSFP_LOG_DEBUG, __VA_ARGS__)

#endif /* TLSFP_LOG_H */
