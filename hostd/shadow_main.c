/* SPDX-License-Identifier: MIT */
/* vmrpc-shadow: serves one channel for one guest caller, as that caller's
 * unprivileged host user. Started by vmrpc-hostd only; it inherits the region
 * on --region-fd and exits when hostd kills it (caller gone) or dies. A root
 * hostd starts it as root: it loads its service modules, drops to --uid and
 * --gid for good, enters --cwd, and only then looks at the region. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services.h"
#include "shadow_creds.h"
#include "shadow_fds.h"
#include "shadow_fork.h"
#include "vmrpc/vmrpc.h"

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "region-fd", required_argument, NULL, 'f' },
		{ "channel", required_argument, NULL, 'c' },
		{ "service", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "wake", required_argument, NULL, 'w' },
		{ "bell-fd", required_argument, NULL, 'b' },
		{ "doorbell", required_argument, NULL, 'd' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "cwd", required_argument, NULL, 'C' },
		{ 0 }
	};
	static enum vmrpc_wake wake = VMRPC_WAKE_FUTEX; /* static: kept across siglongjmp */
	static long bell_fd = -1;
	const char *doorbell = NULL, *cwd = NULL;
	long uid = -1, gid = -1;
	const char *modules[SERVICES_MODULES_MAX];
	size_t n_modules = 0;
	struct vmrpc_region *region;
	struct vmrpc_callee *callee;
	struct services services;
	long fd = -1;
	static long chan = -1; /* survives the fork copy's siglongjmp */
	char msg[512];
	int c, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fd = strtol(optarg, NULL, 10);
			break;
		case 'c':
			chan = strtol(optarg, NULL, 10);
			break;
		case 's':
			if (n_modules < SERVICES_MODULES_MAX)
				modules[n_modules++] = optarg;
			break;
		case 'v':
			break;
		case 'w':
			if (!strcmp(optarg, "eventfd"))
				wake = VMRPC_WAKE_EVENTFD;
			else if (!strcmp(optarg, "poll"))
				wake = VMRPC_WAKE_POLL;
			else {
				fprintf(stderr, "vmrpc-shadow: --wake %s: unknown\n", optarg);
				return 2;
			}
			break;
		case 'b':
			bell_fd = strtol(optarg, NULL, 10);
			break;
		case 'd':
			doorbell = optarg;
			break;
		case 'u':
			uid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			gid = strtol(optarg, NULL, 10);
			break;
		case 'C':
			cwd = optarg;
			break;
		default:
			fprintf(stderr, "vmrpc-shadow: started by vmrpc-hostd only\n");
			return 2;
		}
	}
	if (fd < 0 || chan < 0 || chan >= VMRPC_CHAN_MAX || (uid < 0) != (gid < 0)) {
		fprintf(stderr, "vmrpc-shadow: started by vmrpc-hostd only\n");
		return 2;
	}
	err = services_load(&services, modules, n_modules, msg, sizeof(msg));
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: %s\n", msg);
		return 1;
	}
	if (uid >= 0 && (err = creds_drop((uid_t)uid, (gid_t)gid)) < 0) {
		fprintf(stderr, "vmrpc-shadow: cannot become uid %ld gid %ld: %s\n", uid, gid,
			strerror(-err));
		return 1;
	}
	if (cwd && creds_enter(cwd, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "vmrpc-shadow: %s\n", msg);
		return 1;
	}
	err = vmrpc_region_open_fd((int)fd, &region);
	close((int)fd);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: region: %s\n", vmrpc_strerror(err));
		return 1;
	}
	shadow_fd_reserve((int)bell_fd);
	shadow_fork_init(region, (uint32_t)chan, doorbell);
	/* A forked copy (hostproc.fork_shadow) comes back here from inside the
	 * parent's call, leaves the parent's channel alone, and serves the
	 * child's once hostd attached it. The parent's callee handle is left
	 * behind on purpose: closing it could touch the parent's channel. */
	if (sigsetjmp(shadow_fork_jmp, 0)) {
		chan = shadow_fork_chan;
		err = shadow_fork_wait_adopted();
		if (err < 0) {
			fprintf(stderr, "vmrpc-shadow: forked copy for channel %ld: not "
				"adopted by hostd: %s\n", chan, vmrpc_strerror(err));
			_exit(1);
		}
	}
	err = vmrpc_callee_open(region, (uint32_t)chan, &callee);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: channel %ld: %s\n", chan, vmrpc_strerror(err));
		return 1;
	}
	err = vmrpc_callee_set_wake(callee, wake, (int)bell_fd);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: channel %ld: --wake: %s\n", chan,
			vmrpc_strerror(err));
		return 1;
	}
	err = vmrpc_callee_serve(callee, services.svc, services.n);
	vmrpc_callee_close(callee);
	vmrpc_region_close(region);
	services_unload(&services);
	return err < 0 ? 1 : 0;
}
