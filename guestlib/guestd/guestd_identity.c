/* SPDX-License-Identifier: MIT */
/* Who the guest is (identity): uname(2) and /etc/os-release. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "guestd_exec.h"

static void gx_os_name(char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen("/etc/os-release", "re");

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;
		size_t n;

		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		snprintf(buf, size, "%s", v);
		break;
	}
	fclose(f);
}

int32_t gx_identity(void *ctx, char *os, size_t os_size, char *kernel, size_t kernel_size,
		    char *hostname, size_t hostname_size, char *machine, size_t machine_size)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	gx_os_name(os, os_size);
	snprintf(kernel, kernel_size, "%s %s", u.sysname, u.release);
	snprintf(hostname, hostname_size, "%s", u.nodename);
	snprintf(machine, machine_size, "%s", u.machine);
	return 0;
}
