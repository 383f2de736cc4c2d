/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "guest_checks.h"

static int n_checks, n_failed;

int check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++n_checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	n_failed += !ok;
	return ok;
}

int checks_done(void)
{
	printf("# %d checks, %d failed\n", n_checks, n_failed);
	return n_failed ? 1 : 0;
}
