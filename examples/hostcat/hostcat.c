/* SPDX-License-Identifier: MIT */
/*
 * hostcat: print host files from the guest side, like cat(1). A dual-OS
 * program: it runs in the guest and opens, reads and closes files in its
 * host shadow process through host calls. Relative paths resolve against
 * the shadow's working directory, which -C changes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostcalls_caller.h"
#include "vmrpc/guest.h"

static char buf[128 << 10];

static int hostcat_file(const struct vmrpc_binding *hc, const char *path)
{
	int64_t n;
	int32_t fd;
	int err = 0;

	fd = hostcalls_open(hc, path, O_RDONLY, 0);
	if (fd < 0) {
		fprintf(stderr, "hostcat: host:%s: %s\n", path, vmrpc_strerror(fd));
		return 1;
	}
	while ((n = hostcalls_read(hc, fd, buf, sizeof(buf))) > 0) {
		err = vmrpc_write_all(STDOUT_FILENO, buf, (size_t)n);
		if (err < 0) {
			fprintf(stderr, "hostcat: stdout: %s\n", strerror(-err));
			break;
		}
	}
	if (n < 0)
		fprintf(stderr, "hostcat: host:%s: %s\n", path, vmrpc_strerror((int)n));
	hostcalls_close(hc, fd);
	return n < 0 || err < 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	struct vmrpc_binding hc;
	struct vmrpc_guest g;
	int c, err, status = 0, verbose = 0;

	while ((c = getopt(argc, argv, "C:vh")) != -1) {
		switch (c) {
		case 'C':
			dir = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: hostcat [-v] [-C HOSTDIR] HOSTFILE...\n"
				"Print host files from the guest through vmrpc host calls.\n"
				"The region is $VMRPC_REGION (default 'default').\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "hostcat: no file named (hostcat -h for help)\n");
		return 2;
	}
	err = vmrpc_guest_attach(NULL, &g);
	if (err < 0) {
		char why[1024];

		vmrpc_region_explain(vmrpc_guest_default_region(), err, why, sizeof(why));
		fprintf(stderr, "hostcat: region '%s': %s\n", vmrpc_guest_default_region(), why);
		return 1;
	}
	err = hostcalls_bind(g.chan, &hc);
	if (err < 0) {
		fprintf(stderr, "hostcat: %s\n", vmrpc_strerror(err));
		vmrpc_guest_detach(&g);
		return 1;
	}
	if (verbose) {
		int32_t pid;
		uint32_t uid, gid;
		if (hostcalls_identity(&hc, &pid, &uid, &gid) == 0)
			fprintf(stderr, "hostcat: shadow pid %d, uid %u, gid %u\n", pid, uid, gid);
	}
	if (dir && (err = hostcalls_chdir(&hc, dir)) < 0) {
		fprintf(stderr, "hostcat: host:%s: %s\n", dir, vmrpc_strerror(err));
		status = 1;
	}
	for (int i = optind; i < argc && !status; i++)
		status |= hostcat_file(&hc, argv[i]);
	vmrpc_guest_detach(&g);
	return status;
}
