/* SPDX-License-Identifier: MIT */
/* vmrpc-shadow: serves one channel for one guest caller, as that caller's
 * unprivileged host user. Started by vmrpc-hostd only, with the descriptors
 * of shadow_proto.h; it exits when hostd kills it (caller gone) or dies.
 *
 * Everything that decides what it serves comes from hostd: the channel and
 * the region's geometry on the command line, adoption after a fork on its
 * control socket; nothing from the region's header. A root hostd starts it
 * as root: it loads its service modules, drops to --uid and --gid for good,
 * becomes undumpable, enters --cwd, maps the region (and closes it), opens
 * the channel, confines itself (--root) and only then tells hostd it is
 * ready and reads what the guest wrote. Its exports (--export NAME=PATH,
 * --export-ro) are opened before all that, as hostd named them, and served
 * through the vfs interface (vfs/). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host_services.h"
#include "shadow_creds.h"
#include "shadow_fds.h"
#include "shadow_fork.h"
#include "shadow_proto.h"
#include "shadow_sandbox.h"
#include "shadow_siblings.h"
#include "vfsd.h"
#include "vmrpc_private.h"

struct shadow_args {
	long chan;
	uint32_t n_channels, chan_size;
	long uid, gid;
	const char *cwd, *root, *doorbell;
	enum vmrpc_transport transport;
	int bell, guest_bell;
	const char *modules[SERVICES_MODULES_MAX];
	size_t n_modules;
	const char *ffi_services[SERVICES_FFI_MAX]; /* FILE.idl:LIBRARY */
	size_t n_ffi_services;
	const char *exports[VFSD_EXPORTS_MAX]; /* NAME=PATH */
	bool export_ro[VFSD_EXPORTS_MAX];
	size_t n_exports;
};

static int shadow_usage(void)
{
	fprintf(stderr, "vmrpc-shadow: started by vmrpc-hostd only\n");
	return 2;
}

static int shadow_parse(int argc, char **argv, struct shadow_args *a)
{
	static const struct option longopts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "geometry", required_argument, NULL, 'G' },
		{ "service", required_argument, NULL, 's' },
		{ "ffi-service", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "transport", required_argument, NULL, 't' },
		{ "bell", no_argument, NULL, 'b' },
		{ "guest-bell", no_argument, NULL, 'B' },
		{ "doorbell", required_argument, NULL, 'd' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "root", required_argument, NULL, 'r' },
		{ "export", required_argument, NULL, 'e' },
		{ "export-ro", required_argument, NULL, 'E' },
		{ 0 }
	};
	int c;

	*a = (struct shadow_args){ .chan = -1, .uid = -1, .gid = -1, .bell = -1,
				   .guest_bell = -1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->chan = strtol(optarg, NULL, 10);
			break;
		case 'G':
			if (sscanf(optarg, "%u,%u", &a->n_channels, &a->chan_size) != 2)
				return -EINVAL;
			break;
		case 's':
			if (a->n_modules < SERVICES_MODULES_MAX)
				a->modules[a->n_modules++] = optarg;
			break;
		case 'F':
			if (a->n_ffi_services == SERVICES_FFI_MAX)
				return -E2BIG;
			a->ffi_services[a->n_ffi_services++] = optarg;
			break;
		case 'v':
			break;
		case 't':
			if (vmrpc_transport_parse(optarg, &a->transport) < 0)
				return -EINVAL;
			break;
		case 'b':
			a->bell = SHADOW_FD_BELL;
			break;
		case 'B':
			a->guest_bell = SHADOW_FD_GUEST_BELL;
			break;
		case 'd':
			a->doorbell = optarg;
			break;
		case 'u':
			a->uid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			a->gid = strtol(optarg, NULL, 10);
			break;
		case 'C':
			a->cwd = optarg;
			break;
		case 'r':
			a->root = optarg;
			break;
		case 'e':
		case 'E':
			if (a->n_exports == VFSD_EXPORTS_MAX)
				return -E2BIG;
			a->export_ro[a->n_exports] = c == 'E';
			a->exports[a->n_exports++] = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->chan < 0 || (uint64_t)a->chan >= a->n_channels || !a->n_channels ||
	    (a->uid < 0) != (a->gid < 0))
		return -EINVAL;
	return 0;
}

/* Loopback: a datagram socket connected to hostd's doorbell, made now,
 * before the confinement, for the FORK_READY of a forked copy. */
static int shadow_doorbell(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int shadow_ready(uint32_t chan)
{
	struct shadow_msg m = { .type = SHADOW_MSG_READY, .chan = chan };

	return send(SHADOW_FD_CONTROL, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m)
		       ? 0
		       : -errno;
}

int main(int argc, char **argv)
{
	static struct shadow_args a; /* static: kept across the fork copy's siglongjmp */
	static int forked;
	struct vmrpc_region *region;
	struct vmrpc_callee *callee;
	struct services services;
	struct vfsd_server *vfs;
	struct vfsd_peer *vfs_peer;
	char msg[4096];
	static int proc_fd = -1; /* static: kept across the fork copy's siglongjmp */
	int bell_sock = -1, err;

	/* Started by hostd only, but, like every installed program, it says
	 * which vmrpc it is. */
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("vmrpc-shadow %s\n", VMRPC_VERSION);
		return 0;
	}
	if (shadow_parse(argc, argv, &a) < 0)
		return shadow_usage();
	/* The exports, by hostd's paths, before the root changes; what the
	 * caller may reach through them is then what its user may. */
	err = vfsd_server_new(NULL, &vfs);
	for (size_t i = 0; err == 0 && i < a.n_exports; i++)
		err = vfsd_server_export_arg(vfs, a.exports[i], a.export_ro[i], msg, sizeof(msg));
	if (err == 0)
		err = vfsd_peer_new(vfs, 0, &vfs_peer); /* all channels: this one caller */
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: %s\n", a.n_exports ? msg : strerror(-err));
		return 1;
	}
	/* hostd logged what the ffi services' libraries lack when it loaded
	 * them: no warnings again per caller. */
	err = host_services_load(&services, a.modules, a.n_modules, a.ffi_services,
				 a.n_ffi_services, NULL, vfs_peer, msg, sizeof(msg));
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: %s\n", msg);
		return 1;
	}
	if (a.doorbell && (bell_sock = shadow_doorbell(a.doorbell)) < 0) {
		fprintf(stderr, "vmrpc-shadow: hostd's doorbell %s: %s\n", a.doorbell,
			strerror(-bell_sock));
		return 1;
	}
	/* The tree becomes its root while it still has the privilege to do
	 * so; /proc goes out of sight with it, so its fd list is opened now. */
	if (a.root) {
		proc_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (proc_fd < 0 || sandbox_enter_root(a.root, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "vmrpc-shadow: %s\n",
				proc_fd < 0 ? "/proc/self/fd: cannot open it" : msg);
			return 1;
		}
	}
	if (a.uid >= 0 && (err = creds_drop((uid_t)a.uid, (gid_t)a.gid)) < 0) {
		fprintf(stderr, "vmrpc-shadow: cannot become uid %ld gid %ld: %s\n", a.uid, a.gid,
			strerror(-err));
		return 1;
	}
	/* Neither its own programs nor another shadow may trace it or open
	 * its descriptors through /proc. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (a.cwd && creds_enter(a.cwd, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "vmrpc-shadow: %s\n", msg);
		return 1;
	}
	err = vmrpc_callee_region_open(SHADOW_FD_REGION, a.n_channels, a.chan_size, &region);
	close(SHADOW_FD_REGION); /* the mapping stays; no host call can reach the file */
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: region: %s\n", vmrpc_strerror(err));
		return 1;
	}
	shadow_fork_init(region, (uint32_t)a.chan, bell_sock);
	/* A forked copy (hostproc.fork_shadow) comes back here from inside the
	 * parent's call, once hostd adopted it for another channel: it leaves
	 * the parent's channel alone and serves that one. The parent's callee
	 * handle is left behind on purpose: closing it could touch the
	 * parent's channel. */
	if (sigsetjmp(shadow_fork_jmp, 0)) {
		a.chan = shadow_fork_chan;
		forked = 1;
	}
	err = vmrpc_callee_open(region, (uint32_t)a.chan, &callee);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: channel %ld: %s\n", a.chan, vmrpc_strerror(err));
		return 1;
	}
	err = vmrpc_callee_set_transport(callee, a.transport, a.bell);
	if (err == 0 && a.guest_bell >= 0)
		err = vmrpc_callee_set_guest_bell(callee, a.guest_bell);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: channel %ld: --transport: %s\n", a.chan,
			vmrpc_strerror(err));
		return 1;
	}
	/* Whatever is open now is ours: no host call may name it. A forked
	 * copy keeps its parent's confinement, and the descriptors it shares
	 * with the parent are the guest's. */
	if (!forked) {
		int trees[VFSD_EXPORTS_MAX];
		int n_trees = vfsd_server_fds(vfs, trees, VFSD_EXPORTS_MAX);

		err = shadow_fd_reserve_open(proc_fd);
		if (err < 0) {
			fprintf(stderr, "vmrpc-shadow: /proc/self/fd: %s\n", strerror(-err));
			return 1;
		}
		err = sandbox_apply(a.root != NULL, trees, n_trees, msg, sizeof(msg));
		if (err < 0) {
			fprintf(stderr, "vmrpc-shadow: cannot confine itself: %s\n", msg);
			return 1;
		}
	}
	/* Siblings, and hostd's cancel: a thread of its own (no SA_RESTART:
	 * a cancel must end a blocked system call). */
	err = shadow_siblings_start(region, a.transport, &services, (uint32_t)a.chan);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: cannot start its control thread: %s\n",
			strerror(-err));
		return 1;
	}
	err = shadow_ready((uint32_t)a.chan);
	if (err < 0) {
		fprintf(stderr, "vmrpc-shadow: telling hostd it is ready: %s\n", strerror(-err));
		return 1;
	}
	err = vmrpc_callee_serve(callee, services.svc, services.n);
	vmrpc_callee_close(callee);
	vmrpc_region_close(region);
	services_unload(&services);
	vfsd_peer_free(vfs_peer);
	vfsd_server_free(vfs);
	return err < 0 ? 1 : 0;
}
