/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static const char *log_prog = "vmrpc-hostd";
static int log_verbose;
static int log_journal; /* stderr goes to the journal: prefix priorities */

void log_init(const char *prog, int verbose)
{
	log_prog = prog;
	log_verbose = verbose;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl == LOG_LVL_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", lvl, line);
	else
		fprintf(stderr, "%s: %s\n", log_prog, line);
}
