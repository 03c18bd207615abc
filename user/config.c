// SPDX-License-Identifier: BSD-2-Clause
/*
 * Configuration file: one long option per line, the option's name without
 * "--", then its value after white space, as in
 *
 *	# comment
 *	json
 *	block /etc/tlsfp/blocklist.txt
 *	metrics /var/lib/prometheus/node-exporter/tlsfp.prom
 *
 * A '#' starts a comment only as the first character of a line (after
 * white space), so values such as paths may contain it.  The value is the
 * rest of the line without surrounding white space, so it may contain
 * spaces.  Each line goes through the same code as the command line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

/* Options that make no sense in a file: they act at once or nest files. */
static const char *const not_in_file[] = { "config", "help", "version" };

static const struct option *find_option(const struct option *opts,
					const char *name)
{
	for (; opts->name; opts++) {
		if (!strcmp(opts->name, name))
			return opts;
	}
	return NULL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Check one "name [value]" line and pass it to apply. */
static int apply_line(char *line, const struct option *opts,
		      tlsfp_config_fn apply, void *ctx)
{
	const struct option *opt;
	char *name = line, *value;
	unsigned int i;

	value = name + strcspn(name, " \t");
	if (*value)
		*value++ = '\0';
	value = trim(value);
	for (i = 0; i < sizeof(not_in_file) / sizeof(not_in_file[0]); i++) {
		if (!strcmp(name, not_in_file[i])) {
			pr_err("'%s' is not allowed in a configuration file",
			       name);
			return 2;
		}
	}
	opt = find_option(opts, name);
	if (!opt) {
		pr_err("unknown option '%s' (expected a long option name without '--', see tlsfp --help)",
		       name);
		return 2;
	}
	if (opt->has_arg == required_argument && !*value) {
		pr_err("option '%s' needs a value ('%s VALUE')", name, name);
		return 2;
	}
	if (opt->has_arg == no_argument && *value) {
		pr_err("option '%s' takes no value, got '%s'", name, value);
		return 2;
	}
	if (opt->has_arg == no_argument)
		return apply(ctx, opt->val, NULL);
	/* Values outlive the file: options keep pointers to them. */
	value = strdup(value);
	if (!value) {
		pr_err("out of memory");
		return 1;
	}
	return apply(ctx, opt->val, value);
}

/*
 * Read the configuration file at path and apply each option line in file
 * order.  Messages about a line start with "PATH:LINE: ".  Returns 0, 1
 * when the file cannot be read, or 2 (bad usage) for an invalid line or
 * the value apply returned.
 */
int tlsfp_config_read(const char *path, const struct option *opts,
		      tlsfp_config_fn apply, void *ctx)
{
	char where[4096 + 32], *buf = NULL, *line;
	unsigned long lineno = 0;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		ret = errno;
		pr_err("--config %s: %s", path, strerror(ret));
		return 1;
	}
	while (!ret && (len = getline(&buf, &cap, f)) >= 0) {
		lineno++;
		if ((size_t)len != strlen(buf)) {
			pr_err("%s:%lu: line contains a NUL byte", path,
			       lineno);
			ret = 2;
			break;
		}
		line = trim(buf);
		if (!*line || *line == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%lu", path, lineno);
		tlsfp_log_context = where;
		ret = apply_line(line, opts, apply, ctx);
		tlsfp_log_context = NULL;
	}
	if (!ret && ferror(f)) {
		pr_err("--config %s: read failed: %s", path, strerror(errno));
		ret = 1;
	}
	free(buf);
	fclose(f);
	return ret;
}
