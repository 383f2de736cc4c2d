/* SPDX-License-Identifier: MIT */
/* One served region: its channels as hostd sees them, the doorbell, and the
 * shadows. hostd's private channel state is the truth; the state words in
 * the region are only a guest's claim, checked against it. */
#ifndef HOSTD_SERVER_H
#define HOSTD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "services.h"
#include "spawn.h"
#include "vmrpc_private.h"

#define SERVER_MODULES_MAX 16
#define SERVER_GUEST_CALLERS_MAX 32
#define SERVER_EXPORTS_MAX 16

struct server_opts {
	const char *name;           /* region name (loopback) or VM name */
	enum vmrpc_transport transport; /* loopback: <runtime dir>/NAME.region and a
					 * datagram doorbell; ivshmem-doorbell: a
					 * sealed region served to QEMU on an
					 * ivshmem socket; ivshmem-plain: a VM's
					 * shm file QEMU maps itself */
	const char *shm_path;       /* ivshmem: the shared-memory file */
	uint64_t shm_size;          /* ivshmem: its size (a power of two) */
	const char *socket_path;    /* ivshmem-doorbell: QEMU's chardev socket */
	bool have_ids;              /* ivshmem: shadows run as uid:gid below */
	uid_t uid;
	gid_t gid;
	uint32_t n_channels;        /* 0: libvmrpc's default */
	uint32_t chan_size;         /* 0: libvmrpc's default */
	uint32_t mode;              /* region and socket file mode, 0: 0600 */
	uid_t owner_uid;            /* ... and their owner, (uid_t)-1: hostd's */
	gid_t owner_gid;            /* ... and group, (gid_t)-1: hostd's */
	uint32_t max_shadows;       /* 0: one per channel */
	const char *shadow_exe;
	const char *shadow_cwd;
	const char *root;           /* every shadow confined beneath it, or NULL */
	const char *modules[SERVER_MODULES_MAX];
	size_t n_modules;
	/* Plain libraries served through libffi, "FILE.idl:LIBRARY" with the
	 * paths resolved (--ffi-service, services_ffi_pin()). */
	const char *ffi_services[SERVICES_FFI_MAX];
	size_t n_ffi_services;
	/* Trees a guest caller may mount (vmrpc-mount host:NAME), each
	 * "NAME=PATH" with PATH resolved: served by every shadow (--export,
	 * --export-ro). None by default. */
	const char *exports[SERVER_EXPORTS_MAX];
	bool export_ro[SERVER_EXPORTS_MAX];
	size_t n_exports;
	struct shadow_limits limits;
	struct cgroup_limits cg_limits; /* per caller: its shadow's cgroup */
	int verbose;
	/* Guest-sourced calls: host programs that call into the guest. */
	const char *host_socket;    /* NULL: <runtime dir>/<name>.host.sock */
	uid_t guest_callers[SERVER_GUEST_CALLERS_MAX]; /* host users allowed, besides
						 * root and hostd's own user */
	size_t n_guest_callers;
	uint32_t max_guest_sourced; /* channels held by host callers; 0: half */
	/* Where the options came from, for SIGHUP: the configuration file
	 * (whose [vm name] section they are), or NULL: the command line,
	 * which a reload cannot change. */
	const char *config_path;
};

/* Serve until SIGTERM or SIGINT, or, draining (SIGUSR1: the VM left the
 * configuration), until no caller is left. SIGHUP rereads config_path and
 * applies what changed to new shadows and connections. opts stays the
 * caller's, changed in place by a reload. Returns a process exit status. */
int server_run(struct server_opts *opts);

/* The checks server_run() makes before it serves, without serving: the
 * runtime directory, the shadows' working directory and root, the service
 * modules. 0, or -errno with what is wrong in msg. */
int server_check(const struct server_opts *opts, char *msg, size_t size);

#endif /* HOSTD_SERVER_H */
